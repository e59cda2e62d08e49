//! Replays the fuzzing corpora (fuzz/corpus/<target>/) and the inputs that once crashed a fuzz
//! target (fuzz/regressions/<target>/) through the same code as the targets: nothing may panic.

use std::path::{Path, PathBuf};

use hta_model::formula::{compile, parse, Env, Reference, SlotLayout, TimeVar};
use hta_model::ParamId;

/// Every file of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        if let Ok(entries) = std::fs::read_dir(Path::new(dir).join(target)) {
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    files
}

/// As fuzz/fuzz_targets/formula.rs.
fn formula(text: &str) {
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
                None => Reference::Param(ParamId::new(name.len() % 4)),
            })
        },
        &mut errors,
    );
    let slots: Vec<f64> =
        (0..SlotLayout::len(4)).map(|i| [3.0, 2.0, 45.0, 1.0, 1.0, 0.5, -1.0, 0.0, 1e300][i % 9]).collect();
    let _ = compile(&expr, &Env::EMPTY).eval(&slots);
}

/// As fuzz/fuzz_targets/load_model.rs.
fn load_model(text: &str) {
    let Ok(loaded) = hta_spec::load_str(text, "fuzz.yaml", Path::new("/nonexistent-fuzz-dir"), &[]) else { return };
    let model = &loaded.model;
    let cells = model.states.len() * (model.settings.n_cycles + 1) * model.strategies.len();
    if cells > 20_000 || model.curves.len() > 8 {
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

fn replay(target: &str, run: fn(&str)) {
    for path in inputs(target) {
        // A file may vanish while a fuzzer is minimising the corpus.
        let Ok(bytes) = std::fs::read(&path) else { continue };
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let outcome = std::panic::catch_unwind(|| run(text));
            assert!(outcome.is_ok(), "{} panicked", path.display());
        }
    }
}

#[test]
fn formula_corpus_never_panics() {
    replay("formula", formula);
}

#[test]
fn load_model_corpus_never_panics() {
    replay("load_model", load_model);
}
