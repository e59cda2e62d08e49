//! Replays the fuzzing corpora (fuzz/corpus/<target>/) and the inputs that once crashed a fuzz
//! target (fuzz/regressions/<target>/) through the same code as the targets: nothing may panic.

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks.rs"]
mod checks;

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
    replay("formula", checks::formula);
}

#[test]
fn load_model_corpus_never_panics() {
    replay("load_model", checks::load_model);
}
