//! Shared helpers for the integration tests.

use std::path::Path;

use hta_markov::StrategyResult;
use hta_model::Model;

/// Tolerances, each with when to use it.
pub mod tol {
    /// Exact arithmetic on hand-checkable examples: only rounding error is allowed.
    pub const EXACT: f64 = 1e-12;
    /// Independent reimplementations (Python oracle, naive loop) of the same conventions.
    pub const ORACLE: f64 = 1e-9;
    /// Published results quoted to 6-7 significant figures (the bar for the HIV model).
    pub const PUBLISHED: f64 = 1e-6;
}

pub fn assert_close(got: f64, expected: f64, relative: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        (got - expected).abs() <= relative * scale || (got - expected).abs() <= 1e-15,
        "{what}: got {got}, expected {expected} (relative tolerance {relative})"
    );
}

pub fn load_str(yaml: &str) -> Model {
    match hta_spec::load_str(yaml, "test.yaml", Path::new("."), &[]) {
        Ok(loaded) => loaded.model,
        Err(d) => panic!("model did not load:\n{d}"),
    }
}

pub fn load_file(path: &str) -> Model {
    match hta_spec::load(Path::new(path), &[]) {
        Ok(loaded) => loaded.model,
        Err(d) => panic!("{path} did not load:\n{d}"),
    }
}

/// Runs a model with its engine (Markov or partitioned survival).
pub fn run(model: &Model) -> Vec<StrategyResult> {
    run_keeping(model, hta_markov::run)
}

/// As [`run`], the results keeping their totals by source.
pub fn run_with_sources(model: &Model) -> Vec<StrategyResult> {
    run_keeping(model, hta_markov::run_with_sources)
}

type MarkovRun = fn(&Model) -> Result<Vec<StrategyResult>, hta_markov::RunErrors>;

fn run_keeping(model: &Model, markov: MarkovRun) -> Vec<StrategyResult> {
    let results = match model.structure {
        hta_model::Structure::Markov => markov(model),
        hta_model::Structure::PartitionedSurvival => hta_psm::run(model).map(|run| run.results),
    };
    match results {
        Ok(results) => results,
        Err(e) => panic!("run failed: {e:?}"),
    }
}
