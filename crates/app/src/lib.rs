//! The analysis layer: the workflows of the toolkit on a model loaded once. Load a model with
//! overrides ([`load`], [`relower`]), run the base case with its incremental analysis
//! ([`base_case`]), the probabilistic analysis and its summary ([`psa`], with EVPPI and external
//! draws), join PSA shards ([`merge`]), the one-way ([`dsa`]), two-way ([`twoway`]) and threshold
//! ([`threshold`]) analyses, scenarios and subgroups ([`compare`], with the standard scenarios of
//! [`scenarios`]), and the budget impact ([`budget`]) with its price solver ([`budget_price`]),
//! regions and probabilistic form. Each returns a typed result (numbers, names, the run record)
//! or an [`Error`] carrying diagnostics; nothing here prints, writes a file or exits (the files
//! it reads are model, budget, shard and draws files). The command line (`crates/cli`) and the
//! Python package (`python/`) render these results.

pub mod budget;
pub mod budget_price;
pub mod budget_psa;
pub mod budget_regions;
pub mod compare;
pub mod dsa;
mod error;
pub mod merge;
pub mod psa;
pub mod run_errors;
pub mod scenarios;
pub mod threshold;
pub mod twoway;

use std::path::Path;

pub use error::Error;
pub use hta_spec::{Diagnostic, Diagnostics, Loaded, Override};

use hta_analysis::{at_threshold, incremental, pairwise, Outcome};
use hta_report::{CeaRun, InputRecord, RunRecord};

/// A progress callback: called once per unit of work done (a PSA draw), from any thread.
pub type Progress<'a> = &'a (dyn Fn() + Sync);

/// Loads and validates a model file with overrides applied (`--set NAME=VALUE`). Warnings are
/// in [`Loaded::warnings`]; a model with errors gives every diagnostic at once.
pub fn load(model: &Path, set: &[Override]) -> Result<Loaded, Error> {
    hta_spec::load(model, set).map_err(Error::Invalid)
}

/// The model of `loaded` lowered again from the text it was read from (the file is not read
/// again; its tables are), with `set` in place of its overrides; `path` names it as
/// [`hta_spec::relower`] says.
pub fn relower(loaded: &Loaded, path: Option<&Path>, set: &[Override]) -> Result<Loaded, Error> {
    hta_spec::relower(loaded, path, set).map_err(Error::Invalid)
}

/// Parses `NAME=VALUE` overrides (as `--set` takes them).
pub fn overrides<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Result<Vec<Override>, Error> {
    pairs.into_iter().map(|(name, value)| format!("{name}={value}").parse::<Override>().map_err(Error::Usage)).collect()
}

/// Runs the model with its engine; returns the results and any run-time warnings.
pub fn simulate(loaded: &Loaded) -> Result<(Vec<hta_markov::StrategyResult>, Vec<String>), Error> {
    simulate_keeping(loaded, false)
}

/// As [`simulate`]; with `sources`, the results keep their totals by source (by state) too.
fn simulate_keeping(loaded: &Loaded, sources: bool) -> Result<(Vec<hta_markov::StrategyResult>, Vec<String>), Error> {
    let model = &loaded.model;
    let markov = if sources { hta_markov::run_with_sources } else { hta_markov::run };
    let outcome = match model.structure {
        hta_model::Structure::Markov => markov(model).map(|r| (r, Vec::new())),
        hta_model::Structure::PartitionedSurvival => hta_psm::run(model).map(|run| {
            let warnings = run.crossings.iter().map(|c| crossing_warning(model, c)).collect();
            (run.results, warnings)
        }),
    };
    outcome.map_err(|errors| Error::run(loaded, &errors))
}

fn crossing_warning(model: &hta_model::Model, c: &hta_psm::Crossing) -> String {
    format!(
        "strategy `{}`: curve `{}` rises above curve `{}` at {} of {} cycle boundaries (first at cycle {}); it was capped at `{}` there",
        model.strategy(c.strategy).name,
        model.curves[c.inner.index()].name,
        model.curves[c.outer.index()].name,
        c.n_points,
        model.settings.n_cycles + 1,
        c.first_cycle,
        model.curves[c.outer.index()].name,
    )
}

/// What a deterministic run produced (a [`CeaRun`] borrows from it).
pub struct BaseCase {
    pub results: Vec<hta_markov::StrategyResult>,
    pub frontier: Vec<hta_analysis::FrontierRow>,
    pub comparisons: Vec<hta_analysis::Comparison>,
    pub thresholds: Vec<hta_analysis::ThresholdResult>,
    /// The run record: tool, version, inputs with SHA-256, overrides, warnings.
    pub record: RunRecord,
    /// The warnings of this run (engine warnings first, then ties at thresholds); also in the
    /// record, after the load warnings.
    pub warnings: Vec<String>,
}

impl BaseCase {
    pub fn cea<'a>(&'a self, model: &'a hta_model::Model) -> CeaRun<'a> {
        CeaRun {
            model,
            results: &self.results,
            frontier: &self.frontier,
            pairwise: &self.comparisons,
            thresholds: &self.thresholds,
            record: &self.record,
        }
    }
}

/// The run record of `loaded` with these run warnings.
pub fn run_record(loaded: &Loaded, run_warnings: Vec<String>) -> RunRecord {
    RunRecord {
        tool: "hta",
        version: env!("CARGO_PKG_VERSION"),
        inputs: loaded.inputs.iter().map(|i| InputRecord { path: i.path.clone(), sha256: i.sha256.clone() }).collect(),
        overrides: loaded.overrides.iter().map(|o| (o.name.clone(), o.value.clone())).collect(),
        warnings: loaded.warnings.iter().map(|w| w.one_line()).chain(run_warnings).collect(),
    }
}

/// Runs the model and its incremental analysis.
pub fn base_case(loaded: &Loaded) -> Result<BaseCase, Error> {
    base_case_keeping(loaded, false)
}

/// As [`base_case`], the results keeping their totals by state (for the dossier pack).
pub fn base_case_with_sources(loaded: &Loaded) -> Result<BaseCase, Error> {
    base_case_keeping(loaded, true)
}

fn base_case_keeping(loaded: &Loaded, sources: bool) -> Result<BaseCase, Error> {
    let (results, run_warnings) = simulate_keeping(loaded, sources)?;
    let model = &loaded.model;
    let outcomes: Vec<Outcome> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let effect = match model.settings.effect {
                hta_model::EffectMeasure::Qaly => r.qaly(true),
                hta_model::EffectMeasure::LifeYears => r.life_years(true),
            };
            Outcome::new(&model.strategies[i].name, r.total_cost(true), effect)
        })
        .collect();
    let thresholds: Vec<hta_analysis::ThresholdResult> =
        model.settings.thresholds.iter().map(|t| at_threshold(&outcomes, t.value)).collect();
    let mut run_warnings = run_warnings;
    for (t, at) in model.settings.thresholds.iter().zip(&thresholds) {
        if !at.ties.is_empty() {
            let names: Vec<&str> = at.ties.iter().map(|&i| model.strategies[i].name.as_str()).collect();
            let warning = format!(
                "at {} ({}), `{}` ties with `{}` in net monetary benefit and effect; `{}` is reported as optimal only because it is listed first",
                t.label,
                hta_report::number::grouped(t.value, 0),
                model.strategies[at.optimal].name,
                names.join("`, `"),
                model.strategies[at.optimal].name
            );
            run_warnings.push(warning);
        }
    }
    let record = run_record(loaded, run_warnings.clone());
    Ok(BaseCase {
        frontier: incremental(&outcomes),
        comparisons: pairwise(&outcomes, model.settings.reference.index()),
        thresholds,
        results,
        record,
        warnings: run_warnings,
    })
}
