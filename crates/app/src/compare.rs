//! Runs side by side: the model's scenarios (with the standard ones of [`crate::scenarios`]) and
//! its subgroups, each a run of the model with overrides added to its own, with the incremental
//! analysis and the incremental net monetary benefit against the reference at the first
//! threshold; for subgroups also the population total weighted by their shares.

use hta_analysis::Status;
use hta_sensitivity::{Evaluator, Outcome};
use hta_spec::Loaded;

use crate::Error;

/// One strategy's line of a run's incremental analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub strategy: usize,
    pub cost: f64,
    /// In the model's effect measure.
    pub effect: f64,
    pub status: Status,
    pub icer: Option<f64>,
    /// Against the reference at the model's first threshold (`None` without thresholds).
    pub inmb_vs_reference: Option<f64>,
}

/// What a run of the comparison is.
#[derive(Debug, Clone, PartialEq)]
pub enum RunKind {
    BaseCase,
    /// A scenario of the model file or a standard one, by name.
    Scenario {
        name: String,
        standard: bool,
    },
    /// A subgroup by name, with its share of the population.
    Subgroup {
        name: String,
        weight: f64,
    },
    /// The subgroups' results weighted by their shares.
    WeightedTotal,
}

/// One run: its label (the model's label, else the name), its outcomes per strategy and its
/// incremental analysis (strategies in the frontier's order).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub kind: RunKind,
    pub label: String,
    pub outcomes: Vec<Outcome>,
    pub rows: Vec<Row>,
}

/// The base case and every scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenarios {
    pub runs: Vec<Run>,
    /// How many scenarios the model file names, and how many standard ones were added.
    pub own: usize,
    pub standard: usize,
}

/// Every subgroup, then the weighted total.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroups {
    pub runs: Vec<Run>,
    /// The base case (one cohort at the base-case values), to compare the total with.
    pub base_case: Vec<Outcome>,
}

impl Subgroups {
    /// The weighted total's run.
    pub fn total(&self) -> Option<&Run> {
        self.runs.last()
    }

    /// The first strategy whose weighted total cost or effect differs from the base case by
    /// more than 1e-9 relative (the model is not linear in what the subgroups change).
    pub fn total_differs(&self, model: &hta_model::Model) -> Option<usize> {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let measure = model.settings.effect;
        let total = &self.total()?.outcomes;
        self.base_case
            .iter()
            .zip(total)
            .position(|(b, t)| !close(b.cost, t.cost) || !close(b.effect(measure), t.effect(measure)))
    }
}

/// The model of `loaded` with `extra` overrides after its own, lowered again from its text;
/// `what` (a scenario or subgroup) is named in front of any problem.
pub fn outcomes_with(loaded: &Loaded, extra: &[(String, String)], what: &str) -> Result<Vec<Outcome>, Error> {
    let mut set = loaded.overrides.clone();
    set.extend(extra.iter().map(|(n, v)| hta_spec::Override { name: n.clone(), value: v.clone() }));
    let context = || format!("error: {what}:");
    let scenario = hta_spec::relower(loaded, None, &set).map_err(|d| Error::Invalid(d).with_context(context()))?;
    Evaluator::new(&scenario.model).evaluate(&[]).map_err(|e| Error::run(&scenario, &e).with_context(context()))
}

fn base_outcomes(loaded: &Loaded) -> Result<Vec<Outcome>, Error> {
    Evaluator::new(&loaded.model).evaluate(&[]).map_err(|e| Error::run(loaded, &e))
}

/// A run with its incremental analysis.
fn run(model: &hta_model::Model, kind: RunKind, label: String, outcomes: Vec<Outcome>) -> Run {
    let reference = model.settings.reference.index();
    let wtp = model.settings.thresholds.first().map(|t| t.value);
    let as_outcomes = crate::twoway::as_outcomes(model, &outcomes);
    let rows = hta_analysis::incremental(&as_outcomes)
        .into_iter()
        .map(|row| {
            let (o, r) = (&as_outcomes[row.strategy], &as_outcomes[reference]);
            Row {
                strategy: row.strategy,
                cost: o.cost,
                effect: o.effect,
                status: row.status,
                icer: row.icer,
                inmb_vs_reference: wtp.map(|w| w * (o.effect - r.effect) - (o.cost - r.cost)),
            }
        })
        .collect();
    Run { kind, label, outcomes, rows }
}

/// The base case and each scenario of the model file, then (with `standard`) the standard
/// scenarios it does not name.
pub fn scenarios(loaded: &Loaded, standard: bool) -> Result<Scenarios, Error> {
    let model = &loaded.model;
    let added = if standard { crate::scenarios::standard(model) } else { Vec::new() };
    if model.scenarios.is_empty() && added.is_empty() {
        return Err(Error::Usage(format!(
            "the model defines no `scenarios:`{}",
            if standard { " and no standard scenario differs from its base case" } else { "" }
        )));
    }
    let mut runs = vec![run(model, RunKind::BaseCase, "base case".into(), base_outcomes(loaded)?)];
    let own = model.scenarios.len();
    for (k, scenario) in model.scenarios.iter().chain(&added).enumerate() {
        let outcomes = outcomes_with(loaded, &scenario.overrides, &format!("scenario `{}`", scenario.name))?;
        let kind = RunKind::Scenario { name: scenario.name.clone(), standard: k >= own };
        runs.push(run(model, kind, scenario.label.clone().unwrap_or_else(|| scenario.name.clone()), outcomes));
    }
    Ok(Scenarios { runs, own, standard: added.len() })
}

/// Each subgroup of the model file, then the population total weighted by the subgroups'
/// shares (costs and effects are averaged, then compared: the incremental analysis of the total
/// is not a weighted average of the subgroups' ICERs).
pub fn subgroups(loaded: &Loaded) -> Result<Subgroups, Error> {
    let model = &loaded.model;
    if model.subgroups.is_empty() {
        return Err(Error::Usage("the model defines no `subgroups:`".into()));
    }
    let mut runs = Vec::new();
    let mut total = vec![Outcome { cost: 0.0, qaly: 0.0, ly: 0.0 }; model.strategies.len()];
    for g in &model.subgroups {
        let outcomes = outcomes_with(loaded, &g.overrides, &format!("subgroup `{}`", g.name))?;
        for (t, o) in total.iter_mut().zip(&outcomes) {
            t.cost += g.weight * o.cost;
            t.qaly += g.weight * o.qaly;
            t.ly += g.weight * o.ly;
        }
        let kind = RunKind::Subgroup { name: g.name.clone(), weight: g.weight };
        runs.push(run(model, kind, g.label.clone().unwrap_or_else(|| g.name.clone()), outcomes));
    }
    runs.push(run(model, RunKind::WeightedTotal, "weighted total".into(), total));
    Ok(Subgroups { runs, base_case: base_outcomes(loaded)? })
}
