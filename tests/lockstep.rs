//! The lockstep (block) evaluation of the PSA against one-at-a-time evaluation (issue 12): a
//! parameter set's results do not depend on the block it lands in, its position there or the
//! block's size, to the bit, on the shipped models (trees, tunnels, life tables, time-dependent
//! transitions) and on the benchmark models.

use hta_markov::kernel::LANES;
use hta_model::{Model, ParamId};
use hta_sensitivity::Evaluator;

use crate::support::load_file;

/// `n` parameter sets spread over each ranged parameter's low..high (other parameters at base).
fn parameter_sets(model: &Model, n: usize) -> Vec<Vec<(ParamId, f64)>> {
    (0..n)
        .map(|k| {
            model
                .parameters
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let (low, high) = (p.uncertainty.low?, p.uncertainty.high?);
                    // A different fraction per parameter, so sets are not all on one diagonal.
                    let frac = ((k * 7 + i * 3) % n.max(1)) as f64 / n.max(2) as f64;
                    Some((ParamId::new(i), low + (high - low) * frac))
                })
                .collect()
        })
        .collect()
}

fn bits(outcomes: &Result<Vec<hta_sensitivity::Outcome>, hta_markov::RunErrors>) -> Option<Vec<[u64; 3]>> {
    outcomes.as_ref().ok().map(|o| o.iter().map(|x| [x.cost.to_bits(), x.qaly.to_bits(), x.ly.to_bits()]).collect())
}

#[test]
fn a_draw_gives_the_same_bits_alone_in_any_block_and_at_any_position() {
    let mut checked = 0;
    for path in [
        "models/hiv.yaml",
        "models/age_mortality.yaml",
        "models/egfr_test_and_treat.yaml",
        "models/dominance.yaml",
        "benches/models/w2_hiv.yaml",
        "benches/models/tunnel_10_states.yaml",
    ] {
        if !std::path::Path::new(path).exists() {
            continue;
        }
        let model = load_file(path);
        let evaluator = Evaluator::new(&model);
        let sets = parameter_sets(&model, LANES + 2);
        let alone: Vec<_> = sets.iter().map(|s| bits(&evaluator.evaluate(s))).collect();
        // A short block, a full one from 0 and, shifted, from 1 (each set at another position),
        // and one wider than the lanes.
        for (size, starts) in [(3, &[0][..]), (LANES, &[0, 1][..]), (LANES + 2, &[0][..])] {
            for &start in starts {
                for (b, chunk) in sets[start..].chunks(size).enumerate() {
                    let block = evaluator.evaluate_block(chunk);
                    assert_eq!(block.len(), chunk.len());
                    for (j, result) in block.iter().enumerate() {
                        let k = start + b * size + j;
                        assert_eq!(bits(result), alone[k], "{path}: set {k} in a block of {size} from {start}");
                        assert_eq!(result.is_err(), alone[k].is_none(), "{path}: set {k} fails alike");
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 5, "models checked: {checked}");
}

/// One workspace reused for block after block (as each PSA thread does), with parameter sets
/// that fail their checks among those that do not: a block that follows a failing one gives
/// every set the bits, and a failing set the problems, that it gets alone.
#[test]
fn a_reused_workspace_carries_nothing_from_one_block_to_the_next() {
    let model = load_file("models/hiv.yaml");
    let evaluator = Evaluator::new(&model);
    let rr = model.param_by_name("rr").expect("rr");
    let mut sets = parameter_sets(&model, 3 * LANES - 5);
    // rr = 3 makes the combination rows' off-diagonal probabilities exceed 1 in cycles 1-2.
    for (k, set) in sets.iter_mut().enumerate() {
        if k % 7 == 2 {
            set.retain(|(p, _)| *p != rr);
            set.push((rr, 3.0));
        }
    }
    let alone: Vec<_> = sets.iter().map(|s| evaluator.evaluate(s)).collect();
    assert!(alone.iter().filter(|r| r.is_err()).count() >= 5, "the fixture has failing sets");
    let mut workspace = evaluator.workspace();
    for (b, chunk) in sets.chunks(LANES).enumerate() {
        for (j, result) in evaluator.evaluate_block_in(&mut workspace, chunk).iter().enumerate() {
            let k = b * LANES + j;
            assert_eq!(bits(result), bits(&alone[k]), "set {k}");
            assert_eq!(result.as_ref().err(), alone[k].as_ref().err(), "set {k}: the same problems");
        }
    }
}
