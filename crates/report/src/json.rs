//! `results.json`: documented in docs/output.md. Field order is fixed by these structs and the
//! file carries no timestamp, so two runs of the same input give identical bytes.

use serde::Serialize;

use crate::{CeaRun, RunRecord};

#[derive(Serialize)]
struct Results<'a> {
    format: &'static str,
    format_version: u32,
    run: &'a RunRecord,
    settings: Settings<'a>,
    metadata: Metadata<'a>,
    effect: &'static str,
    currency: &'a str,
    strategies: Vec<Strategy<'a>>,
    incremental: Vec<Incremental<'a>>,
    pairwise: Vec<Pairwise<'a>>,
    thresholds: Vec<Threshold<'a>>,
}

#[derive(Serialize)]
struct Settings<'a> {
    cycle_length: f64,
    cycle_unit: &'static str,
    cycle_years: f64,
    n_cycles: usize,
    horizon_years: f64,
    discount_costs: f64,
    discount_effects: f64,
    discount_timing: &'static str,
    discount_start_year: f64,
    counting: &'static str,
    transition_timing: &'static str,
    reference_strategy: &'a str,
    start_age: Option<f64>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    title: &'a str,
    description: Option<&'a str>,
    currency: &'a str,
    price_year: Option<i32>,
    perspective: Option<&'a str>,
    /// The perspective analysed, when the model lists perspectives.
    #[serde(skip_serializing_if = "Option::is_none")]
    perspective_analysed: Option<PerspectiveAnalysed<'a>>,
    country: Option<&'a str>,
    references: &'a [String],
}

#[derive(Serialize)]
struct PerspectiveAnalysed<'a> {
    name: &'a str,
    label: Option<&'a str>,
    not_counted: &'a [String],
}

#[derive(Serialize)]
struct Amount {
    discounted: f64,
    undiscounted: f64,
}

#[derive(Serialize)]
struct Strategy<'a> {
    name: &'a str,
    label: Option<&'a str>,
    cost: f64,
    qaly: Option<f64>,
    ly: f64,
    cost_undiscounted: f64,
    qaly_undiscounted: Option<f64>,
    ly_undiscounted: f64,
    /// In the order of the model's `cost_categories`.
    #[serde(serialize_with = "ordered_map")]
    costs_by_category: Vec<(&'a str, Amount)>,
}

#[derive(Serialize)]
struct Incremental<'a> {
    name: &'a str,
    status: &'static str,
    cost: f64,
    effect: f64,
    compared_with: Option<&'a str>,
    delta_cost: Option<f64>,
    delta_effect: Option<f64>,
    icer: Option<f64>,
    dominated_by: Option<&'a str>,
    extendedly_dominated_between: Option<[&'a str; 2]>,
    equivalent_to: Vec<&'a str>,
}

#[derive(Serialize)]
struct Pairwise<'a> {
    name: &'a str,
    reference: &'a str,
    delta_cost: f64,
    delta_effect: f64,
    quadrant: &'static str,
    label: &'static str,
    icer: Option<f64>,
}

#[derive(Serialize)]
struct Threshold<'a> {
    label: &'a str,
    value: f64,
    basis: Option<&'a str>,
    optimal: &'a str,
    strategies: Vec<NetBenefit<'a>>,
}

#[derive(Serialize)]
struct NetBenefit<'a> {
    name: &'a str,
    nmb: f64,
    nhb: Option<f64>,
}

/// Writes (key, value) pairs as a JSON object, keeping their order.
fn ordered_map<S: serde::Serializer>(pairs: &[(&str, Amount)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// `results.json` as pretty-printed text, ending in a newline.
pub fn results_json(run: &CeaRun) -> String {
    let model = run.model;
    let s = &model.settings;
    let name = |i: usize| run.name(i);
    let has_qaly = model.has_utilities();
    let strategies = run
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| Strategy {
            name: name(i),
            label: model.strategies[i].label.as_deref(),
            cost: r.total_cost(true),
            qaly: has_qaly.then(|| r.qaly(true)),
            ly: r.life_years(true),
            cost_undiscounted: r.total_cost(false),
            qaly_undiscounted: has_qaly.then(|| r.qaly(false)),
            ly_undiscounted: r.life_years(false),
            costs_by_category: model
                .categories
                .iter()
                .enumerate()
                .map(|(c, cat)| {
                    (cat.as_str(), Amount { discounted: r.total(c, true), undiscounted: r.total(c, false) })
                })
                .collect(),
        })
        .collect();
    let incremental = run
        .frontier
        .iter()
        .map(|row| Incremental {
            name: name(row.strategy),
            status: row.status.code(),
            cost: run.results[row.strategy].total_cost(true),
            effect: run.effect(row.strategy),
            compared_with: row.compared_with.map(name),
            delta_cost: row.delta_cost,
            delta_effect: row.delta_effect,
            icer: row.icer,
            dominated_by: row.dominated_by.map(name),
            extendedly_dominated_between: row.between.map(|(a, b)| [name(a), name(b)]),
            equivalent_to: row.equivalent_to.iter().map(|&i| name(i)).collect(),
        })
        .collect();
    let pairwise = run
        .pairwise
        .iter()
        .map(|c| Pairwise {
            name: name(c.strategy),
            reference: name(c.reference),
            delta_cost: c.delta_cost,
            delta_effect: c.delta_effect,
            quadrant: c.quadrant.code(),
            label: c.quadrant.label(),
            icer: c.icer,
        })
        .collect();
    let thresholds = model
        .settings
        .thresholds
        .iter()
        .zip(run.thresholds)
        .map(|(t, r)| Threshold {
            label: &t.label,
            value: t.value,
            basis: t.basis.as_deref(),
            optimal: name(r.optimal),
            strategies: (0..r.nmb.len()).map(|i| NetBenefit { name: name(i), nmb: r.nmb[i], nhb: r.nhb[i] }).collect(),
        })
        .collect();
    let results = Results {
        format: "hta-results",
        format_version: 1,
        run: run.record,
        settings: Settings {
            cycle_length: s.cycle_length,
            cycle_unit: s.cycle_unit.name(),
            cycle_years: s.cycle_years,
            n_cycles: s.n_cycles,
            horizon_years: s.n_cycles as f64 * s.cycle_years,
            discount_costs: s.discount.costs,
            discount_effects: s.discount.effects,
            discount_timing: s.discount.timing.name(),
            discount_start_year: s.discount.start_year,
            counting: s.counting.name(),
            transition_timing: s.transition_timing.name(),
            reference_strategy: name(s.reference.index()),
            start_age: s.start_age,
        },
        metadata: Metadata {
            title: &model.metadata.title,
            description: model.metadata.description.as_deref(),
            currency: &model.metadata.currency,
            price_year: model.metadata.price_year,
            perspective: model.metadata.perspective.as_deref(),
            perspective_analysed: model.perspective.as_ref().map(|p| PerspectiveAnalysed {
                name: &p.name,
                label: p.label.as_deref(),
                not_counted: &p.not_counted,
            }),
            country: model.metadata.country.as_deref(),
            references: &model.metadata.references,
        },
        effect: s.effect.name(),
        currency: &model.metadata.currency,
        strategies,
        incremental,
        pairwise,
        thresholds,
    };
    serde_json::to_string_pretty(&results).unwrap_or_default() + "\n"
}
