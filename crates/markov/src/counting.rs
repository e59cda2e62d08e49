//! Within-cycle correction as per-cycle weights on the cycle's start and end occupancy.
//!
//! DOMAIN.md §2.7 writes each method as weights w_0..w_n on boundary points. Here each cycle k
//! (1..n) gets a pair (a_k, b_k), a_k + b_k = 1, on m_{k-1} and m_k, so that a cycle's reward
//! uses that cycle's state values and a value that jumps between cycles is counted at the
//! average of its two sides (Pérez-Martín et al. 2019). Summing the pairs over cycles gives the
//! point weights of the rule:
//!
//! | method | (a_k, b_k) | point weights |
//! |---|---|---|
//! | start of cycle | (1, 0) | 1, 1, ..., 1, 0 |
//! | end of cycle | (0, 1) | 0, 1, ..., 1, 1 |
//! | half-cycle, life-table | (½, ½) | ½, 1, ..., 1, ½ |
//! | Simpson 1/3 | odd k (⅓, ⅔), even k (⅔, ⅓) | ⅓, 4/3, ⅔, ..., 4/3, ⅓ |
//! | Simpson, odd n ≥ 3: 3/8 rule on the last 3 cycles | (⅜, ⅝), (½, ½), (⅝, ⅜) | ..., ⅜+..., 9/8, 9/8, ⅜ |
//!
//! A single cycle under Simpson falls back to the trapezoid (½, ½).
//!
//! Custom weights w_0..w_n (`counting: { weights: FORMULA }`) become the pairs (w_0, w_1) for
//! cycle 1 and (0, w_k) for cycle k ≥ 2: each point is counted once, with the values of the
//! cycle that ends there (point 0 with those of cycle 1), and discounted at its own side.

use hta_model::Counting;

/// Weights (on start occupancy, on end occupancy) for cycle `k` (1-based) of `n_cycles`;
/// `points` are the custom point weights w_0..w_n of [`Counting::Weights`] (ignored otherwise).
pub fn cycle_weights(method: Counting, k: usize, n_cycles: usize, points: &[f64]) -> (f64, f64) {
    match method {
        Counting::StartOfCycle => (1.0, 0.0),
        Counting::EndOfCycle => (0.0, 1.0),
        Counting::HalfCycle | Counting::LifeTable => (0.5, 0.5),
        Counting::Simpson => simpson(k, n_cycles),
        Counting::Weights => {
            let at = |i: usize| points.get(i).copied().unwrap_or(f64::NAN);
            (if k == 1 { at(0) } else { 0.0 }, at(k))
        }
    }
}

fn simpson(k: usize, n: usize) -> (f64, f64) {
    if n == 1 {
        return (0.5, 0.5);
    }
    // With n odd the last three cycles use the 3/8 rule; the rest (an even count) use 1/3.
    let tail_start = if n % 2 == 1 { n - 2 } else { n + 1 };
    if k >= tail_start {
        return match k - tail_start {
            0 => (3.0 / 8.0, 5.0 / 8.0),
            1 => (0.5, 0.5),
            _ => (5.0 / 8.0, 3.0 / 8.0),
        };
    }
    if k % 2 == 1 {
        (1.0 / 3.0, 2.0 / 3.0)
    } else {
        (2.0 / 3.0, 1.0 / 3.0)
    }
}

/// Weights on boundary points 0..=n implied by the per-cycle pairs (for tests and reports).
pub fn point_weights(method: Counting, n_cycles: usize, points: &[f64]) -> Vec<f64> {
    let mut weights = vec![0.0; n_cycles + 1];
    for k in 1..=n_cycles {
        let (a, b) = cycle_weights(method, k, n_cycles, points);
        weights[k - 1] += a;
        weights[k] += b;
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn assert_weights(method: Counting, n: usize, expected: &[f64]) {
        let got = point_weights(method, n, &[]);
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert_relative_eq!(g, e, max_relative = 1e-15);
        }
    }

    #[test]
    fn point_weights_match_domain_table() {
        assert_weights(Counting::StartOfCycle, 3, &[1.0, 1.0, 1.0, 0.0]);
        assert_weights(Counting::EndOfCycle, 3, &[0.0, 1.0, 1.0, 1.0]);
        assert_weights(Counting::LifeTable, 3, &[0.5, 1.0, 1.0, 0.5]);
        assert_weights(Counting::HalfCycle, 2, &[0.5, 1.0, 0.5]);
        assert_weights(Counting::Simpson, 2, &[1.0 / 3.0, 4.0 / 3.0, 1.0 / 3.0]);
        assert_weights(Counting::Simpson, 4, &[1.0 / 3.0, 4.0 / 3.0, 2.0 / 3.0, 4.0 / 3.0, 1.0 / 3.0]);
        // DOMAIN.md: n = 3 gives 3/8, 9/8, 9/8, 3/8; n = 5 gives 1/3, 4/3, 17/24, 9/8, 9/8, 3/8.
        assert_weights(Counting::Simpson, 3, &[3.0 / 8.0, 9.0 / 8.0, 9.0 / 8.0, 3.0 / 8.0]);
        assert_weights(Counting::Simpson, 5, &[1.0 / 3.0, 4.0 / 3.0, 17.0 / 24.0, 9.0 / 8.0, 9.0 / 8.0, 3.0 / 8.0]);
        assert_weights(Counting::Simpson, 1, &[0.5, 0.5]);
    }

    #[test]
    fn custom_weights_are_the_point_weights() {
        // Positional weights 1/3, 2/3, 4/3, 2/3, ..., as in the DARTH tutorials: each point
        // keeps exactly its own weight, whatever the weights sum to.
        let n = 6;
        let darth: Vec<f64> = (0..=n)
            .map(|t| {
                if t == 0 {
                    1.0 / 3.0
                } else if t % 2 == 1 {
                    2.0 / 3.0
                } else {
                    4.0 / 3.0
                }
            })
            .collect();
        assert_eq!(point_weights(Counting::Weights, n, &darth), darth);
        let total: f64 = point_weights(Counting::Weights, n, &darth).iter().sum();
        assert_relative_eq!(total, 1.0 / 3.0 + 3.0 * (2.0 / 3.0) + 3.0 * (4.0 / 3.0), max_relative = 1e-15);
        // Cycle 1 carries points 0 and 1; later cycles only their end point.
        assert_eq!(cycle_weights(Counting::Weights, 1, n, &darth), (1.0 / 3.0, 2.0 / 3.0));
        assert_eq!(cycle_weights(Counting::Weights, 2, n, &darth), (0.0, 4.0 / 3.0));
    }

    #[test]
    fn every_method_sums_to_n() {
        for method in Counting::ALL {
            for n in 1..40 {
                let total: f64 = point_weights(method, n, &[]).iter().sum();
                assert_relative_eq!(total, n as f64, max_relative = 1e-12);
            }
        }
    }

    #[test]
    fn simpson_is_exact_for_cubics() {
        // Integral of t^3 over [0, n] is n^4 / 4.
        for n in [2usize, 3, 4, 5, 6, 7] {
            let w = point_weights(Counting::Simpson, n, &[]);
            let integral: f64 = w.iter().enumerate().map(|(k, w)| w * (k as f64).powi(3)).sum();
            assert_relative_eq!(integral, (n as f64).powi(4) / 4.0, max_relative = 1e-12);
        }
    }
}
