//! Model-file loader: any bytes either load or give diagnostics; a loaded model is then run
//! when it is small enough to run quickly.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// Largest model (states x cycles x strategies) the target runs after loading.
const MAX_RUN_CELLS: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Table files resolve against an empty directory so the fuzzer never reads real files.
    let Ok(loaded) = hta_spec::load_str(text, "fuzz.yaml", Path::new("/nonexistent-fuzz-dir"), &[]) else {
        return;
    };
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
});
