//! CSV tables in long format (one row per strategy, cycle, state or category), full precision.

use crate::CeaRun;

pub(crate) fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn num(value: f64) -> String {
    if value.is_finite() {
        value.to_string()
    } else {
        String::new()
    }
}

fn opt(value: Option<f64>) -> String {
    value.map(num).unwrap_or_default()
}

/// `summary.csv`: one row per strategy with totals and its incremental-analysis result.
pub fn summary_csv(run: &CeaRun) -> String {
    let has_qaly = run.model.has_utilities();
    let header = [
        "strategy",
        "label",
        "cost",
        "qaly",
        "ly",
        "cost_undiscounted",
        "qaly_undiscounted",
        "ly_undiscounted",
        "status",
        "compared_with",
        "icer",
    ];
    let rows = run.results.iter().enumerate().map(|(i, r)| {
        let row = run.frontier.iter().find(|f| f.strategy == i);
        vec![
            run.name(i).to_string(),
            run.model.strategies[i].label.clone().unwrap_or_default(),
            num(r.total_cost(true)),
            if has_qaly { num(r.qaly(true)) } else { String::new() },
            num(r.life_years(true)),
            num(r.total_cost(false)),
            if has_qaly { num(r.qaly(false)) } else { String::new() },
            num(r.life_years(false)),
            row.map(|f| f.status.code().to_string()).unwrap_or_default(),
            row.and_then(|f| f.compared_with).map(|c| run.name(c).to_string()).unwrap_or_default(),
            opt(row.and_then(|f| f.icer)),
        ]
    });
    csv_text(&header, rows)
}

/// `trace.csv`: strategy, cycle, state, proportion of the cohort.
pub fn trace_csv(run: &CeaRun) -> String {
    let states = &run.model.states;
    let rows = run.results.iter().enumerate().flat_map(|(i, r)| {
        (0..=r.n_cycles).flat_map(move |k| {
            r.occupancy(k)
                .iter()
                .enumerate()
                .map(move |(s, p)| vec![run.name(i).to_string(), k.to_string(), states[s].name.clone(), num(*p)])
        })
    });
    csv_text(&["strategy", "cycle", "state", "proportion"], rows)
}

/// `values.csv`: strategy, cycle, category (each cost category, `qaly`, `ly`), undiscounted and
/// discounted value counted in that cycle (cycle 0 holds values charged at start).
pub fn values_csv(run: &CeaRun) -> String {
    // (slot, name): every cost category, QALYs when every living state has a utility, LYs.
    let mut categories: Vec<(usize, String)> = run.model.categories.iter().cloned().enumerate().collect();
    if run.model.has_utilities() {
        categories.push((run.model.categories.len(), "qaly".into()));
    }
    categories.push((run.model.categories.len() + 1, "ly".into()));
    let categories = &categories;
    let rows = run.results.iter().enumerate().flat_map(|(i, r)| {
        let width = r.layout.width();
        (0..=r.n_cycles).flat_map(move |k| {
            categories.iter().map(move |(v, cat)| {
                vec![
                    run.name(i).to_string(),
                    k.to_string(),
                    cat.clone(),
                    num(r.undiscounted[k * width + v]),
                    num(r.discounted[k * width + v]),
                ]
            })
        })
    });
    csv_text(&["strategy", "cycle", "category", "undiscounted", "discounted"], rows)
}
