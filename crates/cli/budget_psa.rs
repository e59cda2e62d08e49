//! `hta budget FILE --draws N`: the probabilistic budget impact. Prints the spread of each
//! scheme's cumulative impact, the risk of exceeding the annual budget, the manufacturer's
//! revenue and the payers' net cost; writes every draw (`budget_draws.csv`), the summaries by
//! scheme and year (`budget_uncertainty.csv`, `budget_risk.csv`, `budget_uncertainty.json`) and
//! fan charts.

use hta_app::budget::BudgetAnalysis;
use hta_app::budget_psa::{BudgetDraws, BudgetPsaOptions, SchemeUncertainty, Spread};
use hta_report::figures::{Band, Figure, Plot};

use crate::args::BudgetArgs;
use crate::exit::Exit;
use crate::number;

/// What the probabilistic run adds: files, figures and the lines of the HTML report.
pub struct ProbabilisticBudget {
    pub files: Vec<(&'static str, String)>,
    pub figures: Vec<Figure>,
    pub summary_csv: String,
}

pub fn run(args: &BudgetArgs, analysis: &BudgetAnalysis, draws: u64) -> Result<ProbabilisticBudget, Exit> {
    let options =
        BudgetPsaOptions { seed: args.seed, first_draw: args.first_draw, draws, threads: args.threads, external: None };
    let started = std::time::Instant::now();
    let run = crate::with_progress(draws, 1000, "budget draws", |tick| {
        hta_app::budget_psa::run(analysis, &options, Some(tick))
    });
    let run = run.map_err(crate::fail)?;
    let elapsed = started.elapsed().as_secs_f64();
    let budget = annual_budget(args, analysis);
    let summary = hta_app::budget_psa::summarise(analysis, &run, budget.as_deref());
    print(analysis, &run, &summary, budget.is_some(), (args.seed, elapsed));
    let currency = &analysis.loaded.model.metadata.currency;
    let risk = risk_csv(&summary);
    let files = vec![
        ("budget_draws.csv", draws_csv(&run)),
        ("budget_uncertainty.csv", uncertainty_csv(&summary, budget.as_deref())),
        ("budget_risk.csv", risk.clone()),
        ("budget_uncertainty.json", json(args, analysis, &run, &summary, budget.as_deref())),
    ];
    Ok(ProbabilisticBudget { files, figures: fan_charts(&summary, currency), summary_csv: risk })
}

/// The annual budget: `--annual-budget` or the file's `uncertainty.annual_budget`.
fn annual_budget(args: &BudgetArgs, analysis: &BudgetAnalysis) -> Option<Vec<f64>> {
    let years = analysis.spec.horizon_years as usize;
    args.annual_budget.map(|b| vec![b; years]).or_else(|| analysis.spec.uncertainty.annual_budget.clone())
}

fn interval(s: &Spread) -> String {
    format!("{} ({} to {})", number(s.mean, 0), number(s.p2_5, 0), number(s.p97_5, 0))
}

fn print(
    analysis: &BudgetAnalysis,
    run: &BudgetDraws,
    summary: &[SchemeUncertainty],
    budget: bool,
    (seed, elapsed): (u64, f64),
) {
    let currency = &analysis.loaded.model.metadata.currency;
    let years = run.years;
    println!(
        "\nProbabilistic budget impact: {} draws (seed {}, draws {}..{}) in {elapsed:.2} s; mean (95% interval), {currency}",
        run.n_draws(),
        seed,
        run.draws.first().copied().unwrap_or(0),
        run.draws.last().map_or(0, |d| d + 1),
    );
    let mut header = vec![
        "Scheme".to_string(),
        format!("Cumulative net impact, year {years}"),
        "Payers' net cost".into(),
        "Manufacturer revenue".into(),
    ];
    if budget {
        header.push("P(over annual budget, any year)".into());
    }
    header.push("P(cap binds, any year)".into());
    let rows = summary
        .iter()
        .map(|s| {
            let mut row = vec![
                s.scheme.clone(),
                s.cumulative.last().map_or("-".into(), interval),
                interval(&s.payer_net_cost),
                interval(&s.manufacturer_revenue),
            ];
            if budget {
                row.push(s.p_over_budget_any_year.map_or("-".into(), |p| format!("{:.1}%", 100.0 * p)));
            }
            row.push(s.p_cap_binds_any_year.map_or("no cap".into(), |p| format!("{:.1}%", 100.0 * p)));
            row
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
    if !run.inputs.is_empty() {
        println!("Budget inputs drawn beside the model's parameters: {}", run.inputs.join(", "));
    }
}

/// One row per draw and scheme: the yearly net impacts, the payers' net cost, the manufacturer's
/// revenue, then the budget inputs drawn.
pub fn draws_csv(run: &BudgetDraws) -> String {
    let mut csv = String::from("draw,scheme");
    for y in 1..=run.years {
        csv.push_str(&format!(",net_impact_year_{y}"));
    }
    csv.push_str(",payer_net_cost,manufacturer_revenue");
    for name in &run.inputs {
        csv.push_str(&format!(",{name}"));
    }
    csv.push('\n');
    let n_inputs = run.inputs.len();
    for (d, draw) in run.draws.iter().enumerate() {
        for (s, scheme) in run.schemes.iter().enumerate() {
            csv.push_str(&format!("{draw},{scheme}"));
            for y in 0..run.years {
                csv.push_str(&format!(",{}", run.net_at(d, s, y)));
            }
            let k = d * run.schemes.len() + s;
            csv.push_str(&format!(",{},{}", run.payer_net_cost[k], run.manufacturer_revenue[k]));
            for v in &run.input_values[d * n_inputs..(d + 1) * n_inputs] {
                csv.push_str(&format!(",{v}"));
            }
            csv.push('\n');
        }
    }
    csv
}

fn uncertainty_csv(summary: &[SchemeUncertainty], budget: Option<&[f64]>) -> String {
    let mut csv = String::from("scheme,year,net_mean,net_p2_5,net_p50,net_p97_5,cumulative_mean,cumulative_p2_5,cumulative_p50,cumulative_p97_5,annual_budget,p_net_over_budget,p_cap_binds\n");
    for s in summary {
        for (y, (n, c)) in s.net.iter().zip(&s.cumulative).enumerate() {
            let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                s.scheme,
                y + 1,
                n.mean,
                n.p2_5,
                n.p50,
                n.p97_5,
                c.mean,
                c.p2_5,
                c.p50,
                c.p97_5,
                opt(budget.and_then(|b| b.get(y).copied())),
                opt(s.p_over_budget.as_ref().map(|p| p[y])),
                opt(s.p_cap_binds.as_ref().map(|p| p[y])),
            ));
        }
    }
    csv
}

fn risk_csv(summary: &[SchemeUncertainty]) -> String {
    let mut csv = String::from("scheme,p_over_budget_any_year,p_cap_binds_any_year,payer_net_cost_mean,payer_net_cost_p2_5,payer_net_cost_p50,payer_net_cost_p97_5,manufacturer_revenue_mean,manufacturer_revenue_p2_5,manufacturer_revenue_p50,manufacturer_revenue_p97_5\n");
    for s in summary {
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let (p, m) = (&s.payer_net_cost, &s.manufacturer_revenue);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            s.scheme,
            opt(s.p_over_budget_any_year),
            opt(s.p_cap_binds_any_year),
            p.mean,
            p.p2_5,
            p.p50,
            p.p97_5,
            m.mean,
            m.p2_5,
            m.p50,
            m.p97_5
        ));
    }
    csv
}

fn json(
    args: &BudgetArgs,
    analysis: &BudgetAnalysis,
    run: &BudgetDraws,
    summary: &[SchemeUncertainty],
    budget: Option<&[f64]>,
) -> String {
    let loaded = &analysis.loaded;
    let spread = |s: &Spread| serde_json::json!({ "mean": s.mean, "p2_5": s.p2_5, "p50": s.p50, "p97_5": s.p97_5 });
    let value = serde_json::json!({
        "format": "hta-budget-uncertainty",
        "format_version": 1,
        "title": analysis.spec.title,
        "run": {
            "tool": "hta",
            "version": env!("CARGO_PKG_VERSION"),
            "inputs": loaded.inputs.iter().map(|i| serde_json::json!({ "path": i.path, "sha256": i.sha256 })).collect::<Vec<_>>(),
            "overrides": loaded.overrides.iter().map(|o| [o.name.clone(), o.value.clone()]).collect::<Vec<_>>(),
            "seed": args.seed,
            "first_draw": args.first_draw,
            "draws": run.n_draws(),
            "budget_inputs_drawn": run.inputs,
            "annual_budget": budget,
        },
        "schemes": summary.iter().map(|s| serde_json::json!({
            "name": s.scheme,
            "net_by_year": s.net.iter().map(spread).collect::<Vec<_>>(),
            "cumulative_by_year": s.cumulative.iter().map(spread).collect::<Vec<_>>(),
            "p_over_budget_by_year": s.p_over_budget,
            "p_over_budget_any_year": s.p_over_budget_any_year,
            "p_cap_binds_by_year": s.p_cap_binds,
            "p_cap_binds_any_year": s.p_cap_binds_any_year,
            "payer_net_cost": spread(&s.payer_net_cost),
            "manufacturer_revenue": spread(&s.manufacturer_revenue),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// Per scheme, the yearly net impact's median and 95% interval; and one chart of the
/// cumulative impact of every scheme side by side.
fn fan_charts(summary: &[SchemeUncertainty], currency: &str) -> Vec<Figure> {
    let band = |name: String, spreads: &[Spread]| Band {
        name,
        points: spreads.iter().enumerate().map(|(y, s)| ((y + 1) as f64, s.p2_5, s.p50, s.p97_5)).collect(),
    };
    let mut figures: Vec<Figure> = summary
        .iter()
        .map(|s| Figure {
            name: format!("budget_fan_{}", s.scheme),
            title: format!("Net budget impact by year: {}", s.scheme),
            x_label: "Year".into(),
            y_label: format!("Net budget impact ({currency})"),
            plot: Plot::Fan { bands: vec![band("median, 95% interval".into(), &s.net)] },
        })
        .collect();
    // Overlapping bands stay legible for a few schemes only: the first scheme and those with
    // the lowest, middle and highest median at the horizon.
    let mut ranked: Vec<usize> = (0..summary.len()).collect();
    let at_horizon = |k: usize| summary[k].cumulative.last().map_or(0.0, |s| s.p50);
    ranked.sort_by(|a, b| at_horizon(*a).total_cmp(&at_horizon(*b)).then(a.cmp(b)));
    // Schemes with the same spread as one earlier in the file (e.g. a payer split of the same
    // payments) would hide behind it: each spread once, under its first scheme.
    let same = |a: usize, b: usize| summary[a].cumulative == summary[b].cumulative;
    ranked.retain(|&k| !(0..k).any(|j| same(j, k)));
    let mut shown: Vec<usize> = Vec::new();
    for k in [Some(0), ranked.first().copied(), ranked.get(ranked.len() / 2).copied(), ranked.last().copied()]
        .into_iter()
        .flatten()
    {
        if !shown.contains(&k) {
            shown.push(k);
        }
    }
    let title = if shown.len() < summary.len() {
        format!("Cumulative net impact, median and 95% interval ({} of {} schemes)", shown.len(), summary.len())
    } else {
        "Cumulative net budget impact, median and 95% interval".to_string()
    };
    figures.push(Figure {
        name: "budget_fan_cumulative".into(),
        title,
        x_label: "Year".into(),
        y_label: format!("Cumulative impact ({currency})"),
        plot: Plot::Fan {
            bands: shown.iter().map(|&k| band(summary[k].scheme.clone(), &summary[k].cumulative)).collect(),
        },
    });
    figures
}
