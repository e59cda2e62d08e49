//! What each fuzz target does with one input, shared by the targets (fuzz/fuzz_targets/) and
//! the replay of their corpora in the normal test suite (tests/fuzz_corpus.rs), so both run the
//! same code. Any panic is a finding.

// Each fuzz target uses one of the two checks.
#![allow(dead_code)]

use std::path::Path;

use hta_model::formula::{compile, parse, Env, Reference, SlotLayout, TimeVar};
use hta_model::ParamId;

/// Parameters a fuzzed formula's names stand for.
const N_PARAMS: usize = 4;

/// Largest model (states x cycles x strategies) run after loading.
const MAX_RUN_CELLS: usize = 20_000;

/// Any text either parses or gives an error with a span inside the text; a parsed formula is
/// resolved (time variables by name, any other name as one of a few parameters), compiled and
/// evaluated.
pub fn formula(text: &str) {
    let mut expr = match parse(text) {
        Ok(expr) => expr,
        Err(error) => {
            assert!(error.span.start <= error.span.end && error.span.end <= text.len(), "span {:?}", error.span);
            return;
        }
    };
    let mut errors: Vec<()> = Vec::new();
    expr.resolve(
        &mut |name: &str, _span: &std::ops::Range<usize>| {
            Ok::<_, ()>(match TimeVar::from_name(name) {
                Some(var) => Reference::Time(var),
                None => Reference::Param(ParamId::new(name.len() % N_PARAMS)),
            })
        },
        &mut errors,
    );
    let slots: Vec<f64> =
        (0..SlotLayout::len(N_PARAMS)).map(|i| [3.0, 2.0, 45.0, 1.0, 1.0, 0.5, -1.0, 0.0, 1e300][i % 9]).collect();
    let _ = compile(&expr, &Env::EMPTY).eval(&slots);
}

/// Any text either loads as a model file or gives diagnostics; a loaded model small enough to
/// run quickly is run with its engine. Table files resolve against a directory that does not
/// exist, so no real file is read.
pub fn load_model(text: &str) {
    let Ok(loaded) = hta_spec::load_str(text, "fuzz.yaml", Path::new("/nonexistent-fuzz-dir"), &[]) else { return };
    let model = &loaded.model;
    let cells = model.states.len() * (model.settings.n_cycles + 1) * model.strategies.len();
    if cells > MAX_RUN_CELLS || model.curves.len() > 8 {
        return;
    }
    match model.structure {
        hta_model::Structure::Markov => {
            let _ = hta_markov::run(model);
        }
        hta_model::Structure::PartitionedSurvival => {
            let _ = hta_psm::run(model);
        }
    }
}
