//! `hta dsa`, `hta threshold`, `hta twoway`, `hta scenarios` and `hta subgroups`: call the
//! analysis layer (`hta-app`), print its results and write their files.

use hta_model::Model;
use hta_report::html::{Extra, Part};
use hta_report::tables::Table;
use hta_spec::Loaded;

use hta_app::dsa::{Bar, Measure, Tornado};

use crate::args::{DsaArgs, DsaOutcome, ThresholdArgs};
use crate::exit::Exit;
use crate::{load, number, write_files};

pub fn dsa(args: &DsaArgs) -> Result<Extra, Exit> {
    let loaded = load(&args.model, &args.set)?;
    dsa_of(&loaded, args).map(|(extra, _)| extra)
}

/// `hta dsa` on a loaded model (`args.model` and `args.set` are not read again); the report's
/// part and the bars.
pub fn dsa_of(loaded: &Loaded, args: &DsaArgs) -> Result<(Extra, Vec<Bar>), Exit> {
    let model = &loaded.model;
    let measure = match args.outcome {
        DsaOutcome::Inmb => Measure::Inmb,
        DsaOutcome::Nmb => Measure::Nmb,
        DsaOutcome::Cost => Measure::Cost,
        DsaOutcome::Effect => Measure::Effect,
        DsaOutcome::Icer => Measure::Icer,
    };
    let Tornado { bars, base: base_values, wtp } =
        hta_app::dsa::one_way(loaded, measure, args.wtp, args.range_percent).map_err(crate::fail)?;
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
    extra.notes.push(match crate::output::language() {
        hta_report::html::Lang::Zh => {
            format!("{}；各参数分别取其低值和高值，其余参数取基础值。", what_zh(model, args, wtp))
        }
        hta_report::html::Lang::En => format!(
            "{}; each parameter at its low and high value, the others at their base values.",
            what(model, args, wtp)
        ),
    });
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
    Ok((extra, bars))
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

/// [`what`] in Chinese, for the report's note.
fn what_zh(model: &Model, args: &DsaArgs, wtp: Option<f64>) -> String {
    let unit = match model.settings.effect {
        hta_model::EffectMeasure::Qaly => "QALY",
        hta_model::EffectMeasure::LifeYears => "生命年",
    };
    match (args.outcome, wtp) {
        (DsaOutcome::Inmb, Some(w)) => format!("意愿支付阈值为每{unit} {} 时的增量净货币效益", number(w, 0)),
        (DsaOutcome::Nmb, Some(w)) => format!("意愿支付阈值为每{unit} {} 时的净货币效益", number(w, 0)),
        (DsaOutcome::Cost, _) => "贴现后成本".into(),
        (DsaOutcome::Effect, _) => format!("贴现后{unit}"),
        _ => "增量成本效果比（无比值时给出象限）".into(),
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
    use hta_app::threshold::{Edge, ThresholdOutcome, Versus};
    let loaded: Loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let request = hta_app::threshold::ThresholdRequest {
        param: args.param.clone(),
        strategy: args.strategy.clone(),
        versus: match args.vs.as_deref() {
            Some("best") => Versus::Best,
            Some(name) => Versus::Strategy(name.to_string()),
            None => Versus::Reference,
        },
        wtp: args.wtp.clone(),
    };
    let analysis = hta_app::threshold::threshold(&loaded, &request).map_err(crate::fail)?;
    let p = &model.parameters[analysis.param.index()];
    let strategy = &model.strategies[analysis.strategy].name;
    match analysis.comparator {
        Some(c) => println!(
            "{}\nThreshold analysis of `{}`: the value at which {strategy} vs {} has ICER = threshold",
            model.metadata.title, p.name, model.strategies[c].name
        ),
        None => println!(
            "{}\nThreshold analysis of `{}`: the value at which {strategy} stops being optimal (its net monetary benefit equals the best other strategy's)",
            model.metadata.title, p.name
        ),
    }
    let unit = model.settings.effect.unit();
    for row in &analysis.rows {
        let (label, wtp) = (&row.label, row.wtp);
        match row.outcome {
            ThresholdOutcome::OptimalBetween { below, above } => {
                let edge = |e: Edge, which: &str| match e {
                    Edge::Found(value) => trimmed(value),
                    Edge::SearchEnd(end) => format!("{} (the {which} end searched)", trimmed(end)),
                };
                println!(
                    "  {label} ({} per {unit}): {strategy} is optimal for {} from {} to {} (base value {})",
                    number(wtp, 0),
                    p.name,
                    edge(below, "lower"),
                    edge(above, "upper"),
                    trimmed(analysis.base)
                );
            }
            ThresholdOutcome::NetBenefit { value, net_benefit } => println!(
                "  {label} ({} per {unit}): {} = {}  (re-run: net benefit over the best other strategy {})",
                number(wtp, 0),
                p.name,
                number(value, 6),
                number(net_benefit, 6)
            ),
            ThresholdOutcome::Icer { value, icer } => println!(
                "  {label} ({} per {unit}): {} = {}  (re-run: ICER {}, relative error {:.1e})",
                number(wtp, 0),
                p.name,
                number(value, 6),
                number(icer, 2),
                (icer - wtp).abs() / wtp.abs().max(1.0)
            ),
            ThresholdOutcome::AlwaysOrNever { optimal } => println!(
                "  {label} ({}): no value found: {strategy} is {} over the whole range searched ({} from {})",
                number(wtp, 0),
                if optimal { "optimal" } else { "not optimal" },
                p.name,
                trimmed(analysis.range.0)
            ),
            ThresholdOutcome::NoSignChange { at_low, at_high } => println!(
                "  {label} ({}): no value found: the incremental net benefit keeps one sign ({} to {}) over the range searched",
                number(wtp, 0),
                number(at_low, 2),
                number(at_high, 2)
            ),
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

pub fn twoway(args: &crate::args::TwowayArgs) -> Result<Extra, Exit> {
    let loaded = load(&args.model, &args.set)?;
    twoway_of(&loaded, args)
}

/// `hta twoway` on a loaded model: runs the grid, prints it, writes twoway.csv and its figure.
pub fn twoway_of(loaded: &Loaded, args: &crate::args::TwowayArgs) -> Result<Extra, Exit> {
    let model = &loaded.model;
    let cells = args.steps.clamp(2, hta_app::twoway::MAX_STEPS).pow(2) as u64;
    let grid = crate::with_progress(cells, 100, "cells", |tick| {
        hta_app::twoway::two_way(loaded, &args.x, &args.y, args.steps, args.wtp, Some(tick))
    })
    .map_err(crate::fail)?;
    let hta_app::twoway::TwoWay { xs, ys, wtp, .. } = &grid;
    let (steps, wtp) = (xs.len(), *wtp);
    let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
    let mut csv = format!(
        "{},{},optimal,{}\n",
        args.x,
        args.y,
        names.iter().map(|n| format!("nmb_{n}")).collect::<Vec<_>>().join(",")
    );
    for c in &grid.cells {
        let nmb: Vec<String> = c.nmb.iter().map(|v| v.to_string()).collect();
        csv.push_str(&format!("{},{},{},{}\n", c.x, c.y, names[c.optimal], nmb.join(",")));
    }
    let rows_of_grid = grid.optimal_rows();
    println!(
        "{}\nTwo-way analysis: optimal strategy (highest NMB at {} per {}) by `{}` (columns) and `{}` (rows)",
        model.metadata.title,
        number(wtp, 0),
        model.settings.effect.unit(),
        args.x,
        args.y
    );
    let mut header = vec![format!("{} \\ {}", args.y, args.x)];
    header.extend(xs.iter().map(|v| number(*v, 4)));
    let rows = rows_of_grid
        .iter()
        .zip(ys)
        .map(|(row, yv)| {
            let mut cells = vec![number(*yv, 4)];
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
            x: xs.clone(),
            y: ys.clone(),
            cells: rows_of_grid.concat(),
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

/// Runs side by side (scenarios, subgroups): prints the table; returns the CSV (`kind` names the
/// first column).
fn side_by_side(model: &Model, kind: &str, runs: &[hta_app::compare::Run]) -> String {
    use hta_app::compare::RunKind;
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
    for run in runs {
        let label = match run.kind {
            RunKind::Subgroup { weight, .. } => format!("{} ({}%)", run.label, number(100.0 * weight, 1)),
            _ => hta_report::language::scenario_label(crate::output::language(), &run.label),
        };
        for row in &run.rows {
            let mut cells = vec![
                label.clone(),
                names[row.strategy].to_string(),
                number(row.cost, 2),
                number(row.effect, 4),
                row.status.code().to_string(),
                row.icer.map(|v| number(v, 2)).unwrap_or_default(),
            ];
            if let Some(v) = row.inmb_vs_reference {
                cells.push(number(v, 2));
            }
            rows.push(cells);
            csv.push_str(&format!(
                "\"{}\",{},{},{},{},{},{}\n",
                label.replace('"', "'"),
                names[row.strategy],
                row.cost,
                row.effect,
                row.status.code(),
                row.icer.map(|v| v.to_string()).unwrap_or_default(),
                row.inmb_vs_reference.map(|v| v.to_string()).unwrap_or_default()
            ));
        }
    }
    println!("{}", hta_report::terminal::simple_table(header, rows));
    csv
}

pub fn scenarios(scenario_args: &crate::args::ScenarioArgs) -> Result<Extra, Exit> {
    let base = load(&scenario_args.runs.model, &scenario_args.runs.set)?;
    scenarios_of(&base, scenario_args.standard, scenario_args.runs.out.as_deref())
}

/// `hta scenarios` on a loaded model: prints the table, writes scenarios.csv under `out`.
pub fn scenarios_of(base: &Loaded, standard: bool, out: Option<&std::path::Path>) -> Result<Extra, Exit> {
    let model = &base.model;
    let result = hta_app::compare::scenarios(base, standard).map_err(crate::fail)?;
    println!("{}\nScenarios", model.metadata.title);
    let csv = side_by_side(model, "scenario", &result.runs);
    let mut extra = Extra::new(Part::Scenarios);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (own, added) = (result.own, result.standard);
    let zh = crate::output::language() == hta_report::html::Lang::Zh;
    extra.notes.push(match (added, zh) {
        (0, false) => format!(
            "The base case and {own} named scenario{} of the model file, each with the incremental analysis.",
            plural(own)
        ),
        (_, false) => format!(
            "The base case, {own} named scenario{} of the model file and {added} standard scenario{} it does not name (labelled \"Standard\": no discounting, the alternative discount rates of its country's guideline, half the horizon), each with the incremental analysis.",
            plural(own),
            plural(added)
        ),
        (0, true) => format!("基础分析及模型文件中命名的 {own} 个情景，各附增量分析。"),
        (_, true) => format!(
            "基础分析、模型文件中命名的 {own} 个情景，以及模型未命名的 {added} 个标准情景（标为“标准情景”：不贴现、所在国家指南的其他贴现率、研究时限减半），各附增量分析。"
        ),
    });
    extra.tables.extend(Table::from_csv("Scenario results", &csv));
    extra.sheets.push(("Scenarios".into(), csv.clone()));
    if let Some(dir) = out {
        write_files(dir, &[("scenarios.csv", csv)])?;
    }
    Ok(extra)
}

/// Whether the subgroups' weighted total equals the base case, and why it may not: the base
/// case is one cohort at the base-case values, the total a mix of cohorts, and a model is not
/// linear in most parameters (start age, probabilities through survival).
fn subgroup_total_note(model: &Model, result: &hta_app::compare::Subgroups) -> String {
    let measure = model.settings.effect;
    let differs = result.total_differs(model).zip(result.total());
    match differs {
        None => "The weighted total equals the base case (costs and effects within 1e-9): the subgroups' values average to the base-case values and the model is linear in them.".into(),
        Some((k, total)) => {
            let (b, t) = (&result.base_case[k], &total.outcomes[k]);
            format!(
                "The weighted total differs from the base case (e.g. {}: cost {} against {}, {} {} against {}). The base case runs one cohort at the base-case values; the total averages the results of each subgroup's own cohort, and the model's results are not linear in the parameters the subgroups change (a mix of cohorts is not one cohort at the average). The total is the population result.",
                model.strategies[k].shown(),
                number(t.cost, 0),
                number(b.cost, 0),
                number(t.effect(measure), 4),
                measure.unit(),
                number(b.effect(measure), 4),
            )
        }
    }
}

/// `hta subgroups`: each subgroup of the model file, then the population total weighted by the
/// subgroups' shares.
pub fn subgroups(args: &crate::args::ScenariosArgs) -> Result<Extra, Exit> {
    let base = load(&args.model, &args.set)?;
    subgroups_of(&base, args.out.as_deref())
}

/// `hta subgroups` on a loaded model: prints the table, writes subgroups.csv under `out`.
pub fn subgroups_of(base: &Loaded, out: Option<&std::path::Path>) -> Result<Extra, Exit> {
    let model = &base.model;
    let result = hta_app::compare::subgroups(base).map_err(crate::fail)?;
    println!("{}\nSubgroups (each, then the population weighted by the subgroups' shares)", model.metadata.title);
    let csv = side_by_side(model, "subgroup", &result.runs);
    let mut extra = Extra::new(Part::Subgroups);
    extra.notes.push(format!(
        "{} subgroups run separately (with their own parameter values) and combined by their shares of the population; the total's incremental analysis compares the weighted costs and effects.",
        model.subgroups.len()
    ));
    extra.notes.push(subgroup_total_note(model, &result));
    extra.tables.extend(Table::from_csv("Results by subgroup and weighted total", &csv));
    extra.sheets.push(("Subgroups".into(), csv.clone()));
    if let Some(dir) = out {
        write_files(dir, &[("subgroups.csv", csv)])?;
    }
    Ok(extra)
}
