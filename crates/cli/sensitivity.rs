//! `hta dsa`, `hta threshold` and `hta psa`: drive `hta-sensitivity`, summarise with
//! `hta-analysis`, print and write.

use hta_model::{Model, ParamId};
use hta_report::html::{Extra, Part};
use hta_report::tables::Table;
use hta_sensitivity::{Evaluator, Outcome};
use hta_spec::Loaded;

use hta_app::dsa::{Bar, Measure, Tornado};

use crate::args::{DsaArgs, DsaOutcome, ThresholdArgs};
use crate::exit::Exit;
use crate::{load, number, write_files};

/// The strategy index named `name`, or a usage error listing the strategies.
pub fn strategy_index(model: &Model, name: &str) -> Result<usize, Exit> {
    model.strategies.iter().position(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
        eprintln!("error: unknown strategy `{name}`; strategies: {}", names.join(", "));
        Exit::Usage
    })
}

fn effect(model: &Model, o: &Outcome) -> f64 {
    o.effect(model.settings.effect)
}

fn first_threshold(model: &Model, wtp: Option<f64>) -> Result<f64, Exit> {
    hta_app::dsa::first_threshold(model, wtp).map_err(crate::fail)
}

pub fn dsa(args: &DsaArgs) -> Result<Extra, Exit> {
    let loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let measure = match args.outcome {
        DsaOutcome::Inmb => Measure::Inmb,
        DsaOutcome::Nmb => Measure::Nmb,
        DsaOutcome::Cost => Measure::Cost,
        DsaOutcome::Effect => Measure::Effect,
        DsaOutcome::Icer => Measure::Icer,
    };
    let Tornado { bars, base: base_values, wtp } =
        hta_app::dsa::one_way(&loaded, measure, args.wtp, args.range_percent).map_err(crate::fail)?;
    print_tornado(model, args, wtp, &bars, &base_values);
    let mut csv = String::from(
        "parameter,low,high,comparison,outcome_at_low,outcome_at_high,width,quadrant_at_low,quadrant_at_high\n",
    );
    for b in &bars {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            b.param,
            b.low,
            b.high,
            b.comparison,
            fmt(b.at_low),
            fmt(b.at_high),
            fmt((b.at_high - b.at_low).abs()),
            b.label_low,
            b.label_high
        ));
    }
    let mut extra = Extra::new(Part::OneWay);
    extra.notes.push(format!(
        "{}; each parameter at its low and high value, the others at their base values.",
        what(model, args, wtp)
    ));
    if let Some(table) = Table::from_csv("One-way results, widest bars first", &csv) {
        extra.tables.push(table.head(15));
    }
    extra.sheets.push(("One-way".into(), csv.clone()));
    if args.outcome != DsaOutcome::Icer {
        extra.figures = tornado_figures(model, &what(model, args, wtp), &bars, &base_values);
    }
    if let Some(dir) = &args.out {
        write_files(dir, &[("tornado.csv", csv)])?;
        if args.outcome == DsaOutcome::Icer {
            println!(
                "(no tornado figure for the ICER: bars that change quadrant have no ratio; use the default outcome)"
            );
        } else {
            crate::write_figures(dir, &extra.figures)?;
        }
    }
    Ok(extra)
}

fn fmt(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}

/// `a vs b` with each strategy's label in place of its name.
fn shown_comparison(model: &Model, comparison: &str) -> String {
    let shown = |name: &str| {
        model.strategies.iter().find(|s| s.name == name).map_or_else(|| name.to_string(), |s| s.shown().to_string())
    };
    comparison.split(" vs ").map(shown).collect::<Vec<_>>().join(" vs ")
}

/// One tornado per comparison: the 15 widest bars, widest at the top.
fn tornado_figures(
    model: &Model,
    what: &str,
    bars: &[Bar],
    base: &[(String, f64, String)],
) -> Vec<hta_report::figures::Figure> {
    let mut comparisons: Vec<&str> = Vec::new();
    for b in bars {
        if !comparisons.contains(&b.comparison.as_str()) {
            comparisons.push(&b.comparison);
        }
    }
    comparisons
        .iter()
        .enumerate()
        .map(|(k, comparison)| {
            let mut shown: Vec<(String, f64, f64)> = bars
                .iter()
                .filter(|b| b.comparison == *comparison && b.at_low.is_finite() && b.at_high.is_finite())
                .take(15)
                .map(|b| (b.param.clone(), b.at_low, b.at_high))
                .collect();
            shown.reverse();
            let stem: String =
                comparison.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
            hta_report::figures::Figure {
                name: format!("tornado_{stem}"),
                title: format!("One-way sensitivity: {}", shown_comparison(model, comparison)),
                x_label: format!("{what} ({})", model.metadata.currency),
                y_label: String::new(),
                plot: hta_report::figures::Plot::Tornado { bars: shown, base: base.get(k).map_or(0.0, |b| b.1) },
            }
        })
        .collect()
}

/// What the one-way analysis measures, in words.
fn what(model: &Model, args: &DsaArgs, wtp: Option<f64>) -> String {
    match (args.outcome, wtp) {
        (DsaOutcome::Inmb, Some(w)) => {
            format!("incremental net monetary benefit at {} per {}", number(w, 0), model.settings.effect.unit())
        }
        (DsaOutcome::Nmb, Some(w)) => {
            format!("net monetary benefit at {} per {}", number(w, 0), model.settings.effect.unit())
        }
        (DsaOutcome::Cost, _) => "discounted cost".into(),
        (DsaOutcome::Effect, _) => format!("discounted {}s", model.settings.effect.unit()),
        _ => "ICER (with the quadrant where there is no ratio)".into(),
    }
}

fn print_tornado(model: &Model, args: &DsaArgs, wtp: Option<f64>, bars: &[Bar], base: &[(String, f64, String)]) {
    let what = what(model, args, wtp);
    println!("{}\nOne-way sensitivity analysis: {what}", model.metadata.title);
    for (name, value, label) in base {
        println!("  base case {name}: {} {label}", number(*value, 2));
    }
    let header = ["Parameter", "Low", "High", "Comparison", "At low", "At high", "Width"].map(String::from).to_vec();
    let mut rows = Vec::new();
    for b in bars.iter().take(20) {
        let show = |v: f64, label: &str| if v.is_finite() { number(v, 2) } else { label.to_string() };
        rows.push(vec![
            b.param.clone(),
            number(b.low, 4),
            number(b.high, 4),
            b.comparison.clone(),
            show(b.at_low, &b.label_low),
            show(b.at_high, &b.label_high),
            number((b.at_high - b.at_low).abs(), 2),
        ]);
    }
    println!("{}", hta_report::terminal::simple_table(header, rows));
    if bars.len() > 20 {
        println!("({} more rows in tornado.csv with --out)", bars.len() - 20);
    }
}

pub fn threshold(args: &ThresholdArgs) -> Result<(), Exit> {
    let loaded: Loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let Some(param) = model.param_by_name(&args.param) else {
        eprintln!("error: unknown parameter `{}`", args.param);
        return Err(Exit::Usage);
    };
    let strategy = match &args.strategy {
        Some(name) => strategy_index(model, name)?,
        None => model.strategies.len() - 1,
    };
    // `None`: the best other strategy (highest net monetary benefit) at each threshold.
    let comparator = match args.vs.as_deref() {
        Some("best") => None,
        Some(name) => Some(strategy_index(model, name)?),
        None => Some(model.settings.reference.index()),
    };
    if comparator == Some(strategy) {
        eprintln!("error: the strategy and its comparator are the same; use --strategy and --vs");
        return Err(Exit::Usage);
    }
    let thresholds: Vec<(String, f64)> = if args.wtp.is_empty() {
        model.settings.thresholds.iter().map(|t| (t.label.clone(), t.value)).collect()
    } else {
        args.wtp.iter().map(|w| (format!("{w}"), *w)).collect()
    };
    if thresholds.is_empty() {
        eprintln!("error: no threshold; give --wtp");
        return Err(Exit::Usage);
    }
    let evaluator = Evaluator::new(model);
    let p = &model.parameters[param.index()];
    let base = p.definition.expr.as_constant().unwrap_or(1.0);
    // A probability (beta-distributed, or ranged within [0, 1]) is searched over [0, 1] only;
    // other parameters from min(low, 0), the upper end doubling until the sign changes.
    let probability = matches!(p.uncertainty.distribution, Some(hta_model::Distribution::Beta { .. }))
        || matches!((p.uncertainty.low, p.uncertainty.high), (Some(l), Some(h)) if l >= 0.0 && h <= 1.0);
    let bracket = match (p.uncertainty.low, p.uncertainty.high) {
        _ if probability => (0.0, 1.0),
        (Some(l), Some(h)) => (l.min(0.0), h),
        _ => (0.0, base.abs().max(1.0)),
    };
    let expand_to = (!probability).then_some(1e15);
    match comparator {
        Some(c) => println!(
            "{}\nThreshold analysis of `{}`: the value at which {} vs {} has ICER = threshold",
            model.metadata.title, p.name, model.strategies[strategy].name, model.strategies[c].name
        ),
        None => println!(
            "{}\nThreshold analysis of `{}`: the value at which {} stops being optimal (its net monetary benefit equals the best other strategy's)",
            model.metadata.title, p.name, model.strategies[strategy].name
        ),
    }
    for (label, wtp) in thresholds {
        let nmb = |o: &Outcome| wtp * effect(model, o) - o.cost;
        // Net benefit over the comparator (or over the best other strategy).
        let inmb = |o: &[Outcome]| match comparator {
            Some(c) => nmb(&o[strategy]) - nmb(&o[c]),
            None => {
                let best =
                    (0..o.len()).filter(|&j| j != strategy).map(|j| nmb(&o[j])).fold(f64::NEG_INFINITY, f64::max);
                nmb(&o[strategy]) - best
            }
        };
        let solve = |range: (f64, f64), expand: Option<f64>| {
            hta_sensitivity::threshold(&evaluator, param, range, expand, 1e-9, &inmb).map_err(|f| {
                eprintln!("error: with `{}` = {}:", p.name, f.value);
                crate::report_run_errors(&loaded, &f.errors)
            })
        };
        if comparator.is_none() {
            // Optimal at the base value: search down and up from it for where that stops (the
            // net benefit gap need not be monotone, e.g. in a prevalence).
            let base_outcomes = evaluator.evaluate(&[]).map_err(|e| crate::report_run_errors(&loaded, &e))?;
            if inmb(&base_outcomes) > 0.0 && base > bracket.0 {
                let edge = |t: hta_sensitivity::Threshold, open: String| match t {
                    hta_sensitivity::Threshold::Found { value, .. } => trimmed(value),
                    hta_sensitivity::Threshold::NotInRange { .. } => open,
                };
                let below =
                    edge(solve((bracket.0, base), None)?, format!("{} (the lower end searched)", trimmed(bracket.0)));
                let upper_end = if probability { 1.0 } else { bracket.1.max(base) };
                let above = edge(
                    solve((base, upper_end), expand_to)?,
                    format!("{} (the upper end searched)", trimmed(upper_end)),
                );
                println!(
                    "  {label} ({} per {}): {} is optimal for {} from {below} to {above} (base value {})",
                    number(wtp, 0),
                    model.settings.effect.unit(),
                    model.strategies[strategy].name,
                    p.name,
                    trimmed(base)
                );
                continue;
            }
        }
        let result = solve(bracket, expand_to)?;
        match result {
            hta_sensitivity::Threshold::Found { value, .. } => {
                let check = evaluator.evaluate(&[(param, value)]).map_err(|e| crate::report_run_errors(&loaded, &e))?;
                let Some(comparator) = comparator else {
                    println!(
                        "  {label} ({} per {}): {} = {}  (re-run: net benefit over the best other strategy {})",
                        number(wtp, 0),
                        model.settings.effect.unit(),
                        p.name,
                        number(value, 6),
                        number(inmb(&check), 6)
                    );
                    continue;
                };
                let (dc, de) = (
                    check[strategy].cost - check[comparator].cost,
                    effect(model, &check[strategy]) - effect(model, &check[comparator]),
                );
                println!(
                    "  {label} ({} per {}): {} = {}  (re-run: ICER {}, relative error {:.1e})",
                    number(wtp, 0),
                    model.settings.effect.unit(),
                    p.name,
                    number(value, 6),
                    number(dc / de, 2),
                    ((dc / de) - wtp).abs() / wtp.abs().max(1.0)
                );
            }
            hta_sensitivity::Threshold::NotInRange { at_low, .. } if comparator.is_none() => {
                let state = if at_low > 0.0 { "optimal" } else { "not optimal" };
                println!(
                    "  {label} ({}): no value found: {} is {state} over the whole range searched ({} from {})",
                    number(wtp, 0),
                    model.strategies[strategy].name,
                    p.name,
                    trimmed(bracket.0)
                );
            }
            hta_sensitivity::Threshold::NotInRange { at_low, at_high } => {
                println!(
                    "  {label} ({}): no value found: the incremental net benefit keeps one sign ({} to {}) over the range searched",
                    number(wtp, 0),
                    number(at_low, 2),
                    number(at_high, 2)
                );
            }
        }
    }
    Ok(())
}

/// `v` grouped, with up to six decimals and no trailing zeros.
fn trimmed(v: f64) -> String {
    let text = number(v, 6);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// (low, high) of a parameter: from the model file, else ±20% of a numeric base value.
fn range_of(model: &Model, p: ParamId) -> Option<(f64, f64)> {
    let param = &model.parameters[p.index()];
    match (param.uncertainty.low, param.uncertainty.high, param.definition.expr.as_constant()) {
        (Some(l), Some(h), _) => Some((l, h)),
        (_, _, Some(base)) if base != 0.0 => Some((base - 0.2 * base.abs(), base + 0.2 * base.abs())),
        _ => None,
    }
}

fn param_named(model: &Model, name: &str) -> Result<ParamId, Exit> {
    model.param_by_name(name).ok_or_else(|| {
        let names: Vec<&str> = model.parameters.iter().map(|p| p.name.as_str()).collect();
        let hint = hta_model::suggest::closest(name, names.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        eprintln!("error: unknown parameter `{name}`{hint}");
        Exit::Usage
    })
}

pub fn twoway(args: &crate::args::TwowayArgs) -> Result<Extra, Exit> {
    use rayon::prelude::*;
    let loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let (x, y) = (param_named(model, &args.x)?, param_named(model, &args.y)?);
    let steps = args.steps.clamp(2, 1001);
    let (Some((x0, x1)), Some((y0, y1))) = (range_of(model, x), range_of(model, y)) else {
        eprintln!("error: both parameters need `low` and `high`, or a numeric base value");
        return Err(Exit::Usage);
    };
    let wtp = first_threshold(model, args.wtp)?;
    let at = |a: f64, b: f64, i: usize| a + (b - a) * i as f64 / (steps - 1) as f64;
    let evaluator = Evaluator::new(model);
    let cells: Vec<(f64, f64)> =
        (0..steps).flat_map(|j| (0..steps).map(move |i| (i, j))).map(|(i, j)| (at(x0, x1, i), at(y0, y1, j))).collect();
    let results: Vec<Result<Vec<Outcome>, (f64, f64, hta_markov::RunErrors)>> =
        cells.par_iter().map(|&(xv, yv)| evaluator.evaluate(&[(x, xv), (y, yv)]).map_err(|e| (xv, yv, e))).collect();
    let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
    let mut csv = format!(
        "{},{},optimal,{}\n",
        args.x,
        args.y,
        names.iter().map(|n| format!("nmb_{n}")).collect::<Vec<_>>().join(",")
    );
    let mut grid = vec![vec![0usize; steps]; steps];
    for (k, ((xv, yv), result)) in cells.iter().zip(results).enumerate() {
        let outcomes = result.map_err(|(xv, yv, e)| {
            eprintln!("error: with `{}` = {xv} and `{}` = {yv}:", args.x, args.y);
            crate::report_run_errors(&loaded, &e)
        })?;
        let as_outcomes: Vec<hta_analysis::Outcome> =
            outcomes.iter().zip(&names).map(|(o, n)| hta_analysis::Outcome::new(n, o.cost, effect(model, o))).collect();
        let r = hta_analysis::at_threshold(&as_outcomes, wtp);
        grid[k / steps][k % steps] = r.optimal;
        let nmb: Vec<String> = r.nmb.iter().map(|v| v.to_string()).collect();
        csv.push_str(&format!("{xv},{yv},{},{}\n", names[r.optimal], nmb.join(",")));
    }
    println!(
        "{}\nTwo-way analysis: optimal strategy (highest NMB at {} per {}) by `{}` (columns) and `{}` (rows)",
        model.metadata.title,
        number(wtp, 0),
        model.settings.effect.unit(),
        args.x,
        args.y
    );
    let mut header = vec![format!("{} \\ {}", args.y, args.x)];
    header.extend((0..steps).map(|i| number(at(x0, x1, i), 4)));
    let rows = grid
        .iter()
        .enumerate()
        .map(|(j, row)| {
            let mut cells = vec![number(at(y0, y1, j), 4)];
            cells.extend(row.iter().map(|&s| names[s].to_string()));
            cells
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
    let figure = hta_report::figures::Figure {
        name: format!("twoway_{}_{}", args.x, args.y),
        title: format!(
            "Optimal strategy at {} {} per {}",
            number(wtp, 0),
            model.metadata.currency,
            model.settings.effect.unit()
        ),
        x_label: args.x.clone(),
        y_label: args.y.clone(),
        plot: hta_report::figures::Plot::Grid {
            x: (0..steps).map(|i| at(x0, x1, i)).collect(),
            y: (0..steps).map(|j| at(y0, y1, j)).collect(),
            cells: grid.concat(),
            names: model.strategies.iter().map(|s| s.shown().to_string()).collect(),
        },
    };
    let mut extra = Extra::new(Part::OneWay);
    extra.notes.push(format!(
        "Two-way analysis of `{}` and `{}` over their ranges ({steps} values each): the strategy with the highest net monetary benefit at {} per {} in each cell.",
        args.x,
        args.y,
        number(wtp, 0),
        model.settings.effect.unit()
    ));
    extra.sheets.push(("Two-way".into(), csv.clone()));
    extra.figures.push(figure);
    if let Some(dir) = &args.out {
        write_files(dir, &[("twoway.csv", csv)])?;
        crate::write_figures(dir, &extra.figures)?;
    }
    Ok(extra)
}

/// Outcomes of the model file with `overrides` added to the command line's (a scenario or a
/// subgroup, named `what` in messages).
fn outcomes_with(
    path: &std::path::Path,
    set: &[hta_spec::Override],
    overrides: &[(String, String)],
    what: &str,
) -> Result<Vec<Outcome>, Exit> {
    let mut set = set.to_vec();
    set.extend(overrides.iter().map(|(n, v)| hta_spec::Override { name: n.clone(), value: v.clone() }));
    let loaded = hta_spec::load(path, &set).map_err(|d| {
        eprintln!("error: {what}:");
        crate::report_load_failure(&d)
    })?;
    Evaluator::new(&loaded.model).evaluate(&[]).map_err(|e| {
        eprintln!("error: {what}:");
        crate::report_run_errors(&loaded, &e)
    })
}

/// Runs side by side (scenarios, subgroups): each with its incremental analysis and the
/// incremental net monetary benefit against the reference at the first threshold. Prints the
/// table; returns the CSV (`kind` names the first column).
fn side_by_side(model: &Model, kind: &str, runs: &[(String, Vec<Outcome>)]) -> String {
    let reference = model.settings.reference.index();
    let wtp = model.settings.thresholds.first().map(|t| t.value);
    let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
    let unit = model.settings.effect.unit();
    let mut title = kind.to_string();
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let mut header =
        vec![title, "Strategy".into(), "Cost".into(), format!("{unit}s"), "Status".into(), format!("ICER per {unit}")];
    if let Some(w) = wtp {
        header.push(format!("INMB vs {} at {}", names[reference], number(w, 0)));
    }
    let mut rows = Vec::new();
    let mut csv = format!("{kind},strategy,cost,effect,status,icer,inmb_vs_reference\n");
    for (label, outcomes) in runs {
        let as_outcomes: Vec<hta_analysis::Outcome> =
            outcomes.iter().zip(&names).map(|(o, n)| hta_analysis::Outcome::new(n, o.cost, effect(model, o))).collect();
        for row in hta_analysis::incremental(&as_outcomes) {
            let o = &as_outcomes[row.strategy];
            let inmb =
                wtp.map(|w| w * (o.effect - as_outcomes[reference].effect) - (o.cost - as_outcomes[reference].cost));
            let mut cells = vec![
                label.clone(),
                o.name.clone(),
                number(o.cost, 2),
                number(o.effect, 4),
                row.status.code().to_string(),
                row.icer.map(|v| number(v, 2)).unwrap_or_default(),
            ];
            if let Some(v) = inmb {
                cells.push(number(v, 2));
            }
            rows.push(cells);
            csv.push_str(&format!(
                "\"{}\",{},{},{},{},{},{}\n",
                label.replace('"', "'"),
                o.name,
                o.cost,
                o.effect,
                row.status.code(),
                row.icer.map(|v| v.to_string()).unwrap_or_default(),
                inmb.map(|v| v.to_string()).unwrap_or_default()
            ));
        }
    }
    println!("{}", hta_report::terminal::simple_table(header, rows));
    csv
}

pub fn scenarios(scenario_args: &crate::args::ScenarioArgs) -> Result<Extra, Exit> {
    let args = &scenario_args.runs;
    let base = load(&args.model, &args.set)?;
    let model = &base.model;
    let standard = if scenario_args.standard { hta_app::scenarios::standard(model) } else { Vec::new() };
    if model.scenarios.is_empty() && standard.is_empty() {
        eprintln!(
            "error: the model defines no `scenarios:`{}",
            if scenario_args.standard { " and no standard scenario differs from its base case" } else { "" }
        );
        return Err(Exit::Usage);
    }
    let mut runs: Vec<(String, Vec<Outcome>)> = Vec::new();
    runs.push((
        "base case".into(),
        Evaluator::new(model).evaluate(&[]).map_err(|e| crate::report_run_errors(&base, &e))?,
    ));
    for scenario in model.scenarios.iter().chain(&standard) {
        let what = format!("scenario `{}`", scenario.name);
        let outcomes = outcomes_with(&args.model, &args.set, &scenario.overrides, &what)?;
        runs.push((scenario.label.clone().unwrap_or_else(|| scenario.name.clone()), outcomes));
    }
    println!("{}\nScenarios", model.metadata.title);
    let csv = side_by_side(model, "scenario", &runs);
    let mut extra = Extra::new(Part::Scenarios);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (own, added) = (model.scenarios.len(), standard.len());
    extra.notes.push(match added {
        0 => format!(
            "The base case and {own} named scenario{} of the model file, each with the incremental analysis.",
            plural(own)
        ),
        _ => format!(
            "The base case, {own} named scenario{} of the model file and {added} standard scenario{} it does not name (labelled \"Standard\": no discounting, the alternative discount rates of its country's guideline, half the horizon), each with the incremental analysis.",
            plural(own),
            plural(added)
        ),
    });
    extra.tables.extend(Table::from_csv("Scenario results", &csv));
    extra.sheets.push(("Scenarios".into(), csv.clone()));
    if let Some(dir) = &args.out {
        write_files(dir, &[("scenarios.csv", csv)])?;
    }
    Ok(extra)
}

/// Whether the subgroups' weighted total equals the base case, and why it may not: the base
/// case is one cohort at the base-case values, the total a mix of cohorts, and a model is not
/// linear in most parameters (start age, probabilities through survival).
fn subgroup_total_note(model: &Model, base: &[Outcome], total: &[Outcome]) -> String {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let measure = model.settings.effect;
    let differs = base
        .iter()
        .zip(total)
        .zip(&model.strategies)
        .find(|((b, t), _)| !close(b.cost, t.cost) || !close(b.effect(measure), t.effect(measure)));
    match differs {
        None => "The weighted total equals the base case (costs and effects within 1e-9): the subgroups' values average to the base-case values and the model is linear in them.".into(),
        Some(((b, t), s)) => format!(
            "The weighted total differs from the base case (e.g. {}: cost {} against {}, {} {} against {}). The base case runs one cohort at the base-case values; the total averages the results of each subgroup's own cohort, and the model's results are not linear in the parameters the subgroups change (a mix of cohorts is not one cohort at the average). The total is the population result.",
            s.shown(),
            number(t.cost, 0),
            number(b.cost, 0),
            number(t.effect(measure), 4),
            measure.unit(),
            number(b.effect(measure), 4),
        ),
    }
}

/// `hta subgroups`: each subgroup of the model file, then the population total weighted by the
/// subgroups' shares (costs and effects are averaged, then compared: the incremental analysis
/// of the total is not a weighted average of the subgroups' ICERs).
pub fn subgroups(args: &crate::args::ScenariosArgs) -> Result<Extra, Exit> {
    let base = load(&args.model, &args.set)?;
    let model = &base.model;
    if model.subgroups.is_empty() {
        eprintln!("error: the model defines no `subgroups:`");
        return Err(Exit::Usage);
    }
    let mut runs: Vec<(String, Vec<Outcome>)> = Vec::new();
    let mut total = vec![Outcome { cost: 0.0, qaly: 0.0, ly: 0.0 }; model.strategies.len()];
    for g in &model.subgroups {
        let outcomes = outcomes_with(&args.model, &args.set, &g.overrides, &format!("subgroup `{}`", g.name))?;
        for (t, o) in total.iter_mut().zip(&outcomes) {
            t.cost += g.weight * o.cost;
            t.qaly += g.weight * o.qaly;
            t.ly += g.weight * o.ly;
        }
        let label = g.label.clone().unwrap_or_else(|| g.name.clone());
        runs.push((format!("{label} ({}%)", number(100.0 * g.weight, 1)), outcomes));
    }
    runs.push(("weighted total".into(), total));
    println!("{}\nSubgroups (each, then the population weighted by the subgroups' shares)", model.metadata.title);
    let csv = side_by_side(model, "subgroup", &runs);
    let mut extra = Extra::new(Part::Subgroups);
    extra.notes.push(format!(
        "{} subgroups run separately (with their own parameter values) and combined by their shares of the population; the total's incremental analysis compares the weighted costs and effects.",
        model.subgroups.len()
    ));
    let base_case = Evaluator::new(model).evaluate(&[]).map_err(|e| crate::report_run_errors(&base, &e))?;
    extra.notes.push(subgroup_total_note(model, &base_case, &runs[runs.len() - 1].1));
    extra.tables.extend(Table::from_csv("Results by subgroup and weighted total", &csv));
    extra.sheets.push(("Subgroups".into(), csv.clone()));
    if let Some(dir) = &args.out {
        write_files(dir, &[("subgroups.csv", csv)])?;
    }
    Ok(extra)
}
