//! Net monetary and net health benefit at a willingness-to-pay threshold, and the optimal
//! strategy (DOMAIN.md §1.3): NMB = λ·E − C, NHB = E − C/λ; choose the highest NMB.

use crate::tolerance::same;
use crate::Outcome;

#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdResult {
    pub threshold: f64,
    /// NMB of each strategy, in input order.
    pub nmb: Vec<f64>,
    /// NHB of each strategy; `None` at a zero threshold.
    pub nhb: Vec<Option<f64>>,
    /// Index of the strategy with the highest NMB. On a tie (λ exactly at an ICER) the more
    /// effective strategy is chosen, matching "the frontier strategy with the largest ICER ≤ λ".
    pub optimal: usize,
    /// Other strategies that tie with `optimal` in both NMB and effect (so nothing separates
    /// them; the first listed is reported as optimal, and front ends should say so).
    pub ties: Vec<usize>,
}

pub fn at_threshold(outcomes: &[Outcome], threshold: f64) -> ThresholdResult {
    let nmb: Vec<f64> = outcomes.iter().map(|o| threshold * o.effect - o.cost).collect();
    let nhb = outcomes.iter().map(|o| (threshold > 0.0).then(|| o.effect - o.cost / threshold)).collect();
    let mut optimal = 0;
    for i in 1..outcomes.len() {
        let better = nmb[i] > nmb[optimal] && !same(nmb[i], nmb[optimal]);
        let tie_more_effective = same(nmb[i], nmb[optimal]) && outcomes[i].effect > outcomes[optimal].effect;
        if better || tie_more_effective {
            optimal = i;
        }
    }
    let ties = (0..outcomes.len())
        .filter(|&i| i != optimal && same(nmb[i], nmb[optimal]) && same(outcomes[i].effect, outcomes[optimal].effect))
        .collect();
    ThresholdResult { threshold, nmb, nhb, optimal, ties }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn domain_example() -> Vec<Outcome> {
        [
            ("S0", 20_000.0, 4.0),
            ("S1", 60_000.0, 4.5),
            ("S2", 80_000.0, 5.0),
            ("S3", 90_000.0, 4.8),
            ("S4", 140_000.0, 5.5),
        ]
        .iter()
        .map(|(n, c, e)| Outcome::new(n, *c, *e))
        .collect()
    }

    /// DOMAIN.md §1.4: NMB at 100,000 and 150,000.
    #[test]
    fn domain_nmb_check() {
        let r = at_threshold(&domain_example(), 100_000.0);
        for (got, expected) in r.nmb.iter().zip([380_000.0, 390_000.0, 420_000.0, 390_000.0, 410_000.0]) {
            assert_relative_eq!(*got, expected, max_relative = 1e-12);
        }
        assert_eq!(r.optimal, 2);
        let r = at_threshold(&domain_example(), 150_000.0);
        assert_relative_eq!(r.nmb[4], 685_000.0, max_relative = 1e-12);
        assert_relative_eq!(r.nmb[2], 670_000.0, max_relative = 1e-12);
        assert_eq!(r.optimal, 4);
    }

    #[test]
    fn identical_strategies_are_reported_as_tied() {
        let outcomes = vec![Outcome::new("a", 100.0, 1.0), Outcome::new("b", 100.0, 1.0), Outcome::new("c", 50.0, 0.1)];
        let r = at_threshold(&outcomes, 1000.0);
        assert_eq!((r.optimal, r.ties.clone()), (0, vec![1]));
        assert!(at_threshold(&domain_example(), 50_000.0).ties.is_empty());
    }

    #[test]
    fn tie_at_an_icer_picks_the_more_effective() {
        // S2 vs S4 ICER is 120,000: at exactly that threshold both have NMB 520,000.
        let r = at_threshold(&domain_example(), 120_000.0);
        assert_eq!(r.optimal, 4);
        let r = at_threshold(&domain_example(), 0.0);
        assert_eq!(r.optimal, 0);
        assert_eq!(r.nhb[0], None);
    }
}
