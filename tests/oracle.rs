//! The engine (sparse rows, per-cycle counting weights, compiled formulas) against a naive dense
//! loop written from DOMAIN.md's formulas (index loops on purpose, to mirror the formulas): m_k = m_{k-1} P_k and
//! total = Σ_k w_k d(t_k) (m_k · v) with the point weights of §2.7 and discount convention A.

#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;

use crate::support::{assert_close, load_str, run, tol};

/// A random model: `n` states, the last one dead; every living state moves to each other
/// state with a base probability, the exit to death growing with the cycle (time dependence),
/// the stay probability being the complement.
#[derive(Debug, Clone)]
pub struct RandomModel {
    pub base: Vec<Vec<f64>>,
    pub death_growth: f64,
    pub costs: Vec<f64>,
    pub utilities: Vec<f64>,
    pub n_cycles: usize,
    pub months: bool,
    pub rate_costs: f64,
    pub rate_effects: f64,
    pub counting: &'static str,
}

pub fn random_model() -> impl Strategy<Value = RandomModel> {
    (2usize..7, 1usize..40).prop_flat_map(|(n, n_cycles)| {
        (
            prop::collection::vec(prop::collection::vec(0.0f64..0.1, n), n - 1),
            0.0f64..0.02,
            prop::collection::vec(0.0f64..5000.0, n - 1),
            prop::collection::vec(-0.2f64..1.0, n - 1),
            Just(n_cycles),
            any::<bool>(),
            0.0f64..0.08,
            0.0f64..0.08,
            prop::sample::select(vec!["start_of_cycle", "end_of_cycle", "half_cycle", "life_table", "simpson"]),
        )
            .prop_map(
                |(base, death_growth, costs, utilities, n_cycles, months, rate_costs, rate_effects, counting)| {
                    RandomModel {
                        base,
                        death_growth,
                        costs,
                        utilities,
                        n_cycles,
                        months,
                        rate_costs,
                        rate_effects,
                        counting,
                    }
                },
            )
    })
}

impl RandomModel {
    pub fn n_states(&self) -> usize {
        self.base.len() + 1
    }

    pub fn cycle_years(&self) -> f64 {
        if self.months {
            1.0 / 12.0
        } else {
            1.0
        }
    }

    /// Probability i -> j (j != i) in cycle k.
    pub fn prob(&self, i: usize, j: usize, k: usize) -> f64 {
        let dead = self.n_states() - 1;
        let growth = if j == dead { 1.0 + self.death_growth * k as f64 } else { 1.0 };
        self.base[i][j] * growth
    }

    pub fn yaml(&self) -> String {
        let n = self.n_states();
        let dead = n - 1;
        let name = |s: usize| if s == dead { "dead".to_string() } else { format!("s{s}") };
        let mut y = String::new();
        y.push_str("format_version: 1\nmetadata: { title: random, currency: X }\nsettings:\n");
        y.push_str(&format!(
            "  cycle_length: {{ value: 1, unit: {} }}\n",
            if self.months { "months" } else { "years" }
        ));
        y.push_str(&format!("  horizon: {{ cycles: {} }}\n", self.n_cycles));
        y.push_str(&format!(
            "  discount: {{ costs: {:?}, effects: {:?}, timing: point }}\n",
            self.rate_costs, self.rate_effects
        ));
        y.push_str(&format!("  counting: {}\n", self.counting));
        y.push_str("cohort: { initial: { s0: 1 } }\ncost_categories: [care]\nparameters:\n  growth: ");
        y.push_str(&format!("{:?}\n", self.death_growth));
        y.push_str("states:\n");
        for s in 0..dead {
            y.push_str(&format!(
                "  {}: {{ cost: {{ care: {:?} }}, utility: {:?} }}\n",
                name(s),
                self.costs[s],
                self.utilities[s]
            ));
        }
        y.push_str("  dead: { dead: true }\ntransitions:\n");
        for i in 0..dead {
            let mut entries = vec![format!("{}: C", name(i))];
            for j in 0..n {
                if j == i {
                    continue;
                }
                let value = if j == dead {
                    format!("\"{:?} * (1 + growth * cycle)\"", self.base[i][j])
                } else {
                    format!("{:?}", self.base[i][j])
                };
                entries.push(format!("{}: {value}", name(j)));
            }
            y.push_str(&format!("  {}: {{ {} }}\n", name(i), entries.join(", ")));
        }
        y.push_str("  dead: { dead: 1 }\nstrategies:\n  only: {}\n");
        y
    }

    /// Naive dense trace.
    pub fn naive_trace(&self) -> Vec<Vec<f64>> {
        let n = self.n_states();
        let mut trace = vec![vec![0.0; n]];
        trace[0][0] = 1.0;
        for k in 1..=self.n_cycles {
            let mut p = vec![vec![0.0; n]; n];
            for i in 0..n - 1 {
                let mut rest = 1.0;
                for j in 0..n {
                    if j != i {
                        p[i][j] = self.prob(i, j, k);
                        rest -= p[i][j];
                    }
                }
                p[i][i] = rest;
            }
            p[n - 1][n - 1] = 1.0;
            let prev = &trace[k - 1];
            let next: Vec<f64> = (0..n).map(|j| (0..n).map(|i| prev[i] * p[i][j]).sum()).collect();
            trace.push(next);
        }
        trace
    }

    /// Point weights w_0..w_n straight from DOMAIN.md §2.7's table.
    pub fn point_weights(&self) -> Vec<f64> {
        let n = self.n_cycles;
        let mut w = vec![1.0; n + 1];
        match self.counting {
            "start_of_cycle" => w[n] = 0.0,
            "end_of_cycle" => w[0] = 0.0,
            "half_cycle" | "life_table" => {
                w[0] = 0.5;
                w[n] = 0.5;
            }
            _ if n == 1 => w = vec![0.5, 0.5],
            _ => {
                // Simpson 1/3 on the first m intervals (m even), 3/8 on the last 3 if n is odd.
                let m = if n.is_multiple_of(2) { n } else { n - 3 };
                w = vec![0.0; n + 1];
                for j in (0..m).step_by(2) {
                    w[j] += 1.0 / 3.0;
                    w[j + 1] += 4.0 / 3.0;
                    w[j + 2] += 1.0 / 3.0;
                }
                if n % 2 == 1 {
                    for (offset, weight) in [3.0 / 8.0, 9.0 / 8.0, 9.0 / 8.0, 3.0 / 8.0].iter().enumerate() {
                        w[m + offset] += weight;
                    }
                }
            }
        }
        w
    }

    /// (discounted cost, discounted QALYs, undiscounted life-years) by the naive formula.
    pub fn naive_totals(&self) -> (f64, f64, f64) {
        let trace = self.naive_trace();
        let w = self.point_weights();
        let l = self.cycle_years();
        let (mut cost, mut qaly, mut ly) = (0.0, 0.0, 0.0);
        for (k, m) in trace.iter().enumerate() {
            let t = k as f64 * l;
            let (dc, de) = ((1.0 + self.rate_costs).powf(-t), (1.0 + self.rate_effects).powf(-t));
            for s in 0..self.n_states() - 1 {
                cost += w[k] * dc * m[s] * self.costs[s];
                qaly += w[k] * de * m[s] * self.utilities[s] * l;
                ly += w[k] * m[s] * l;
            }
        }
        (cost, qaly, ly)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_naive_loop(m in random_model()) {
        let results = run(&load_str(&m.yaml()));
        let r = &results[0];
        let naive = m.naive_trace();
        for (k, row) in naive.iter().enumerate() {
            for (s, p) in row.iter().enumerate() {
                prop_assert!((r.occupancy(k)[s] - p).abs() < 1e-12, "m_{}[{}]: {} vs {}", k, s, r.occupancy(k)[s], p);
            }
        }
        let (cost, qaly, ly) = m.naive_totals();
        assert_close(r.total_cost(true), cost, tol::ORACLE, "discounted cost");
        prop_assert!((r.qaly(true) - qaly).abs() <= tol::ORACLE * qaly.abs().max(1e-6), "QALYs {} vs {}", r.qaly(true), qaly);
        assert_close(r.life_years(false), ly, tol::ORACLE, "life-years");
    }
}
