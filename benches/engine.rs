//! Benchmarks (divan). Run with `cargo bench --bench engine`.
//!
//! W1 of shared/bench/WORKLOADS.md: one deterministic run of the HIV model (Chancellor et al.
//! 1997), timed (a) end to end in process, as the peers' figures are (parse and validate the
//! YAML, compile, run both strategies, incremental analysis), and (b) engine only (compile and
//! run a model already loaded). Peers on a 2-core project machine: hand-vectorised numpy 1.3 ms,
//! heormodel 11 ms, pyheor 17 ms, dampack 19 ms, hesim 86 ms, heemod 137 ms.

use std::path::Path;

use hta_analysis::{incremental, Outcome};

fn main() {
    divan::main();
}

fn hiv_text() -> String {
    std::fs::read_to_string("models/hiv.yaml").unwrap_or_default()
}

fn analyse(model: &hta_model::Model) -> usize {
    let results = hta_markov::run(model).unwrap_or_default();
    let outcomes: Vec<Outcome> = results
        .iter()
        .zip(&model.strategies)
        .map(|(r, s)| Outcome::new(&s.name, r.total_cost(true), r.life_years(true)))
        .collect();
    incremental(&outcomes).len()
}

/// W1 end to end: YAML text -> validated model -> run -> incremental analysis.
#[divan::bench]
fn w1_hiv_end_to_end(bencher: divan::Bencher) {
    let text = hiv_text();
    bencher.bench(|| {
        let loaded = hta_spec::load_str(divan::black_box(&text), "models/hiv.yaml", Path::new("models"), &[]);
        loaded.map(|l| analyse(&l.model)).unwrap_or(0)
    });
}

/// W1 engine only: compile and run both strategies of a loaded model, then the analysis.
#[divan::bench]
fn w1_hiv_engine(bencher: divan::Bencher) {
    let text = hiv_text();
    let Ok(loaded) = hta_spec::load_str(&text, "models/hiv.yaml", Path::new("models"), &[]) else {
        return;
    };
    bencher.bench(|| analyse(divan::black_box(&loaded.model)));
}

/// Time in state: 10 states, two tracked for 120 cycles, 600 monthly cycles, 2 strategies
/// (benches/models/tunnel_10_states.yaml): compile and run a loaded model.
#[divan::bench]
fn tunnel_10_states_engine(bencher: divan::Bencher) {
    let text = std::fs::read_to_string("benches/models/tunnel_10_states.yaml").unwrap_or_default();
    let Ok(loaded) = hta_spec::load_str(&text, "tunnel_10_states.yaml", Path::new("benches/models"), &[]) else {
        return;
    };
    bencher.bench(|| hta_markov::run(divan::black_box(&loaded.model)).map(|r| r.len()).unwrap_or(0));
}

fn psa_model(path: &str) -> Option<hta_model::Model> {
    let text = std::fs::read_to_string(path).ok()?;
    hta_spec::load_str(&text, path, Path::new("benches/models"), &[]).ok().map(|l| l.model)
}

/// A PSA and its summary as the workloads define it: mean cost and effect per strategy, the
/// ICER of the last strategy against the first, and the CEAC on `thresholds`.
fn run_psa(model: &hta_model::Model, draws: u64, thresholds: &[f64]) -> f64 {
    let evaluator = hta_sensitivity::Evaluator::new(model);
    let Ok(sampler) = hta_sensitivity::Sampler::new(model) else { return 0.0 };
    let settings =
        hta_sensitivity::PsaSettings { seed: 1, first_draw: 0, draws, on_invalid: hta_sensitivity::OnInvalid::Stop };
    let Ok(run) = hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &[], None) else { return 0.0 };
    let (cost, effect) = run.matrices(model.settings.effect);
    let Ok(psa) = hta_analysis::psa::Psa::new(cost, effect, run.n_strategies) else { return 0.0 };
    let Ok(summary) = hta_analysis::psa::summarise(&psa, 0, 0.0) else { return 0.0 };
    let last = &summary[summary.len() - 1];
    let icer = last.incremental_cost.mean / last.incremental_effect.mean;
    let ceac = hta_analysis::psa::ceac(&psa, thresholds).map(|c| c.len()).unwrap_or(0);
    icer + ceac as f64
}

fn steps(max: f64, step: f64) -> Vec<f64> {
    (0..=((max / step) as usize)).map(|i| i as f64 * step).collect()
}

/// W2: the HIV model with 10,000 probabilistic draws and the summary (means, ICER, CEAC on 101
/// thresholds), all threads.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn w2_hiv_psa_10000_draws_with_summary(bencher: divan::Bencher) {
    let Some(model) = psa_model("benches/models/w2_hiv.yaml") else { return };
    let thresholds = steps(50_000.0, 500.0);
    bencher.bench(|| run_psa(divan::black_box(&model), 10_000, &thresholds));
}

/// W3: 20 states x 600 monthly cycles x 3 strategies, 1,000 draws and the summary, all threads.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn w3_psa_1000_draws(bencher: divan::Bencher) {
    let Some(model) = psa_model("benches/models/w3_synthetic.yaml") else { return };
    let thresholds = steps(100_000.0, 1_000.0);
    bencher.bench(|| run_psa(divan::black_box(&model), 1_000, &thresholds));
}

/// W3, one lockstep block: strategy `tx1` (20 states x 600 monthly cycles) for one block of
/// `LANES` PSA draws on the buffers a PSA thread reuses, engine only (sampling and compiling
/// outside the timing). Divide by LANES x 20 x 600 for the time per draw-state-cycle
/// (docs/performance.md).
#[divan::bench(sample_count = 50)]
fn w3_one_block_of_draws(bencher: divan::Bencher) {
    let Some(model) = psa_model("benches/models/w3_synthetic.yaml") else { return };
    let Ok(sampler) = hta_sensitivity::Sampler::new(&model) else { return };
    let Some(tx1) = model.strategy_ids().nth(1) else { return };
    let program = hta_markov::Program::new(&model, tx1);
    let pins: Vec<Vec<(hta_model::ParamId, f64)>> = (0..hta_markov::kernel::LANES as u64)
        .map(|draw| {
            let mut pins = Vec::new();
            sampler.draw(1, draw, &mut pins);
            pins
        })
        .collect();
    let mut runner = hta_markov::BlockRunner::new(&model, &program);
    bencher.bench_local(|| runner.run(divan::black_box(&pins)).len());
}
