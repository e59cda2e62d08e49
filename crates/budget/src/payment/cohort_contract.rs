//! (g') Cohort-level outcome contracts: the payment for each yearly treated cohort depends on the
//! cohort's *realised* outcome rate at an assessment time (e.g. the share of the cohort
//! progression-free at 12 months), through tiers of the contract.
//!
//! - Tiers: cut-offs `c_1 < … < c_k` in [0, 1] with fractions `f_1, …, f_k`, and `f_below`
//!   for a rate under `c_1`. Step (the default): a rate `r` at or above `c_j` (and below
//!   `c_{j+1}`) earns `f_j`, so `f(c_j) = f_j` exactly. Linear: between `c_j` and `c_{j+1}` the
//!   fraction is interpolated linearly from `f_j` to `f_{j+1}`; below `c_1` it is `f_below`, at
//!   and above `c_k` it is `f_k`.
//! - Cohort: `n` treated patients (the cohort's count rounded to the nearest integer, by the
//!   caller), each meeting the outcome independently with the model's probability `p`, so the
//!   number meeting it is `X ~ Binomial(n, p)` and the realised rate is `R = X/n`. The expected
//!   fraction paid is `E[f(X/n)] = Σ_x C(n, x) p^x (1 − p)^(n − x) f(x/n)`; `n = 0` pays nothing
//!   (fraction 0). The patient-level equivalent is `f(p)` (every cohort realising exactly `p`);
//!   `E[f(X/n)] → f(p)` as `n` grows for `p` not at a cut-off.
//! - The binomial probabilities are computed by the ratio recurrence
//!   `pmf(x + 1)/pmf(x) = (n − x)/(x + 1) · p/(1 − p)` outward from the mode (where the
//!   unnormalised weight is 1) until a term falls below 10^-18 of the running sum, then
//!   normalised by that sum: no factorials, no underflow, `O(σ)` terms with `σ = √(n p (1 − p))`.
//!
//! A probabilistic budget draws `X` with [`CohortOutcomeContract::realised_fraction`] (the
//! caller's seeded RNG) or maps its own draw with [`CohortOutcomeContract::fraction_for_count`].

use rand_distr::{Binomial, Distribution as _};

use super::error::{self, PaymentError, Result};
use super::outcome::{year_offset_of_event, TreatmentTiming};
use super::schedule::Schedule;

/// One tier: a realised rate at or above `at_least` earns `fraction` of the price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortTier {
    pub at_least: f64,
    pub fraction: f64,
}

/// How the fraction runs between two cut-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Between {
    /// A step function: the tier reached is paid in full.
    #[default]
    Step,
    /// Linear interpolation between neighbouring cut-offs' fractions.
    Linear,
}

/// A validated contract: cut-offs strictly increasing in [0, 1], fractions in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOutcomeContract {
    tiers: Vec<CohortTier>,
    below: f64,
    between: Between,
}

/// Terms of the binomial sum smaller than this share of the running sum end the sum.
const NEGLIGIBLE_TERM: f64 = 1e-18;

impl CohortOutcomeContract {
    /// Tiers in any order (sorted by cut-off here); cut-offs must be distinct.
    pub fn new(mut tiers: Vec<CohortTier>, below: f64, between: Between) -> Result<Self> {
        error::unit_interval("fraction paid below the first cut-off", below)?;
        if tiers.is_empty() {
            return Err(PaymentError::Empty { quantity: "cohort contract tiers".to_owned() });
        }
        let cutoffs: Vec<f64> = tiers.iter().map(|t| t.at_least).collect();
        let fractions: Vec<f64> = tiers.iter().map(|t| t.fraction).collect();
        error::each("cohort contract cut-offs (at_least)", &cutoffs, error::unit_interval)?;
        error::each("cohort contract fractions", &fractions, error::unit_interval)?;
        tiers.sort_by(|a, b| a.at_least.total_cmp(&b.at_least));
        let sorted: Vec<f64> = tiers.iter().map(|t| t.at_least).collect();
        error::strictly_increasing("cohort contract cut-offs (at_least, sorted)", &sorted)?;
        Ok(Self { tiers, below, between })
    }

    /// Tiers by increasing cut-off.
    pub fn tiers(&self) -> &[CohortTier] {
        &self.tiers
    }

    /// The fraction paid for a realised rate `r` (total: rates outside [0, 1] are clamped; NaN
    /// pays the `below` fraction).
    pub fn fraction_at(&self, rate: f64) -> f64 {
        // `position` of the first cut-off above the rate: tiers[..j] are reached.
        let reached = self.tiers.iter().take_while(|t| rate >= t.at_least).count();
        match (reached, self.between) {
            (0, _) => self.below,
            (j, Between::Step) => self.tiers[j - 1].fraction,
            (j, Between::Linear) => match self.tiers.get(j) {
                None => self.tiers[j - 1].fraction,
                Some(next) => {
                    let lo = self.tiers[j - 1];
                    let w = (rate - lo.at_least) / (next.at_least - lo.at_least);
                    lo.fraction + w * (next.fraction - lo.fraction)
                }
            },
        }
    }

    /// The fraction paid when `successes` of `n` patients meet the outcome: `f(x/n)`; a cohort
    /// of no patients pays nothing (0).
    pub fn fraction_for_count(&self, n: u64, successes: u64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        self.fraction_at(successes.min(n) as f64 / n as f64)
    }

    /// `E[f(X/n)]` for `X ~ Binomial(n, p)`, `p` in [0, 1]; 0 for `n = 0`.
    pub fn expected_fraction(&self, n: u64, p: f64) -> Result<f64> {
        let p = error::unit_interval("probability of the outcome", p)?;
        if n == 0 {
            return Ok(0.0);
        }
        if p == 0.0 || p == 1.0 {
            return Ok(self.fraction_for_count(n, if p == 0.0 { 0 } else { n }));
        }
        let odds = p / (1.0 - p);
        let nf = n as f64;
        let mode = (((nf + 1.0) * p).floor() as u64).min(n);
        let (mut weight_sum, mut paid_sum) = (1.0, self.fraction_for_count(n, mode));
        // Upwards from the mode.
        let mut w = 1.0;
        let mut x = mode;
        while x < n {
            w *= (nf - x as f64) / (x as f64 + 1.0) * odds;
            x += 1;
            weight_sum += w;
            paid_sum += w * self.fraction_for_count(n, x);
            if w < NEGLIGIBLE_TERM * weight_sum {
                break;
            }
        }
        // Downwards from the mode.
        let mut w = 1.0;
        let mut x = mode;
        while x > 0 {
            w *= x as f64 / (nf - x as f64 + 1.0) / odds;
            x -= 1;
            weight_sum += w;
            paid_sum += w * self.fraction_for_count(n, x);
            if w < NEGLIGIBLE_TERM * weight_sum {
                break;
            }
        }
        Ok(paid_sum / weight_sum)
    }

    /// One realised fraction: `X ~ Binomial(n, p)` drawn with `rng`, then `f(X/n)`.
    pub fn realised_fraction(&self, n: u64, p: f64, rng: &mut impl rand::Rng) -> Result<f64> {
        let p = error::unit_interval("probability of the outcome", p)?;
        let binomial = Binomial::new(n, p).map_err(|_| PaymentError::InvalidValue {
            quantity: "probability of the outcome".to_owned(),
            value: p,
            requirement: "in [0, 1]",
        })?;
        Ok(self.fraction_for_count(n, binomial.sample(rng)))
    }
}

/// How a cohort contract's payment reaches the manufacturer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Settlement {
    /// The price at treatment, then the cohort's refund of `(1 − E[f]) · P · n` in the year of
    /// the assessment.
    #[default]
    Refund,
    /// Nothing at treatment; `E[f] · P · n` in the year of the assessment.
    AtAssessment,
}

/// A cohort contract as a scheme uses it: the tiers, the model's probability `p` of the
/// outcome at the assessment (occupancy of the outcome's states), the assessment time and the
/// settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOutcomeTerms {
    pub contract: CohortOutcomeContract,
    pub probability: f64,
    pub at_months: f64,
    pub settlement: Settlement,
    /// `None`: each cohort is settled at its expected fraction E[f(X/n)]. `Some(seed)`: at a
    /// realised fraction f(X/n), X ~ Binomial(n, p) drawn from the stream `seed` of ChaCha8
    /// with the cohort's year as the stream number (a probabilistic budget's draw).
    pub draw_seed: Option<u64>,
}

impl CohortOutcomeTerms {
    /// The fraction that settles the cohort treated in year `year` (1-based) of `patients`:
    /// expected, or realised when the terms carry a draw seed.
    pub fn cohort_fraction(&self, patients: f64, year: u64) -> Result<f64> {
        match self.draw_seed {
            None => self.expected_fraction(patients),
            Some(seed) => {
                let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
                rng.set_stream(year);
                self.contract.realised_fraction(cohort_size(patients), self.probability, &mut rng)
            }
        }
    }

    /// `f(p)`: the fraction paid if every cohort realised exactly the model's rate.
    pub fn patient_level_fraction(&self) -> f64 {
        self.contract.fraction_at(self.probability)
    }

    /// `E[f(X/n)]` for a cohort of `patients` (rounded to the nearest integer, [`cohort_size`]).
    pub fn expected_fraction(&self, patients: f64) -> Result<f64> {
        self.contract.expected_fraction(cohort_size(patients), self.probability)
    }

    /// Per patient at `price`: the part paid whatever the outcome (`P` at τ = 0 for a refund,
    /// nothing otherwise) and the settlement per unit weight (`−P`, resp. `+P`, in the year of
    /// the assessment), to be weighted by [`Self::settlement_weight`] of the cohort's fraction.
    pub fn schedules(&self, price: f64, timing: TreatmentTiming) -> Result<(Schedule, Schedule)> {
        let price = error::non_negative("price", price)?;
        let offset = year_offset_of_event(self.at_months, timing)?;
        Ok(match self.settlement {
            Settlement::Refund => (Schedule::single_payment(0, price)?, Schedule::single_payment(offset, -price)?),
            Settlement::AtAssessment => (Schedule::none(), Schedule::single_payment(offset, price)?),
        })
    }

    /// Weight of the settlement for a cohort paid `fraction`: its shortfall `1 − fraction` for a
    /// refund, the fraction itself when paid at the assessment.
    pub fn settlement_weight(&self, fraction: f64) -> f64 {
        match self.settlement {
            Settlement::Refund => 1.0 - fraction,
            Settlement::AtAssessment => fraction,
        }
    }
}

/// The cohort's patients for the contract: `n` rounded to the nearest integer (0 for
/// non-finite or negative counts, which the budget never produces).
pub fn cohort_size(patients: f64) -> u64 {
    if patients.is_finite() && patients > 0.0 {
        patients.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    fn contract() -> CohortOutcomeContract {
        CohortOutcomeContract::new(
            vec![
                CohortTier { at_least: 0.8, fraction: 1.0 },
                CohortTier { at_least: 0.6, fraction: 0.7 },
                CohortTier { at_least: 0.4, fraction: 0.4 },
            ],
            0.0,
            Between::Step,
        )
        .expect("valid")
    }

    /// The step function at and between cut-offs: a rate at a cut-off earns that tier.
    #[test]
    fn tiers_are_a_step_function() {
        let c = contract();
        for (rate, f) in [(0.0, 0.0), (0.399, 0.0), (0.4, 0.4), (0.59, 0.4), (0.6, 0.7), (0.8, 1.0), (1.0, 1.0)] {
            assert_eq!(c.fraction_at(rate), f, "rate {rate}");
        }
        assert_eq!(c.fraction_for_count(10, 8), 1.0);
        assert_eq!(c.fraction_for_count(10, 7), 0.7);
        assert_eq!(c.fraction_for_count(0, 0), 0.0);
    }

    /// Linear: 0.4 at 0.4, 0.55 halfway to 0.6 (0.7), 0.85 halfway to 0.8 (1.0); 0 below 0.4
    /// (1e-15 absolute).
    #[test]
    fn linear_between_cut_offs() {
        let tiers = contract().tiers().to_vec();
        let c = CohortOutcomeContract::new(tiers, 0.0, Between::Linear).expect("valid");
        for (rate, f) in [(0.3, 0.0), (0.4, 0.4), (0.5, 0.55), (0.7, 0.85), (0.8, 1.0), (0.95, 1.0)] {
            assert!((c.fraction_at(rate) - f).abs() < 1e-15, "rate {rate}: {}", c.fraction_at(rate));
        }
    }

    /// n = 10, p = 0.7, tiers 1.0 (R ≥ 0.8), 0.7 (0.6 ≤ R < 0.8), 0.4 (0.4 ≤ R < 0.6), else 0:
    /// E[f] = 1.0·P(X ≥ 8) + 0.7·P(6 ≤ X ≤ 7) + 0.4·P(4 ≤ X ≤ 5), with
    /// P(X = x) = C(10, x) 0.7^x 0.3^(10−x) and C(10, x) = 1, 10, 45, 120, 210, 252, 210, 120, 45,
    /// 10, 1 written out (1e-12 absolute).
    #[test]
    fn hand_calculation_n_10() {
        let binomial = [1.0, 10.0, 45.0, 120.0, 210.0, 252.0, 210.0, 120.0, 45.0, 10.0, 1.0];
        let pmf = |x: usize| binomial[x] * 0.7f64.powi(x as i32) * 0.3f64.powi(10 - x as i32);
        let at_least_8 = pmf(8) + pmf(9) + pmf(10);
        let six_seven = pmf(6) + pmf(7);
        let four_five = pmf(4) + pmf(5);
        let hand = 1.0 * at_least_8 + 0.7 * six_seven + 0.4 * four_five;
        // The same sum with numbers: P(X ≥ 8) = 0.3827827864, P(6..7) = 0.4669488810,
        // P(4..5) = 0.1396762542, so E[f] = 0.7655175048.
        assert!((at_least_8 - 0.3827827864).abs() < 1e-10);
        assert!((six_seven - 0.4669488810).abs() < 1e-10);
        assert!((four_five - 0.1396762542).abs() < 1e-10);
        assert!((hand - 0.7655175048).abs() < 1e-10);
        let got = contract().expected_fraction(10, 0.7).expect("valid");
        assert!((got - hand).abs() < 1e-12, "{got} vs {hand}");
        // The patient-level equivalent f(0.7) = 0.7 differs.
        assert_eq!(contract().fraction_at(0.7), 0.7);
    }

    /// 200,000 seeded draws of f(X/n) (n = 50, p = 0.62) average to E[f] within 4 standard
    /// errors (SE = sample SD / √N).
    #[test]
    fn monte_carlo_agrees() {
        let c = contract();
        let (n, p, draws) = (50, 0.62, 200_000);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_240_617);
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..draws {
            let f = c.realised_fraction(n, p, &mut rng).expect("valid");
            sum += f;
            sum_sq += f * f;
        }
        let mean = sum / f64::from(draws);
        let sd = (sum_sq / f64::from(draws) - mean * mean).sqrt();
        let se = sd / f64::from(draws).sqrt();
        let exact = c.expected_fraction(n, p).expect("valid");
        assert!((mean - exact).abs() < 4.0 * se, "MC {mean} vs exact {exact} (SE {se})");
    }

    /// As n grows the cohort's expected fraction tends to the patient-level f(p): p = 0.7 is
    /// 0.1 from the nearest cut-offs; |E[f] − f(p)| decreases over n = 10, 100, 1,000, 10,000 and
    /// is below 1e-3 at 10,000.
    #[test]
    fn large_cohorts_tend_to_the_patient_level_fraction() {
        let c = contract();
        let p = 0.7;
        let diffs: Vec<f64> = [10, 100, 1_000, 10_000]
            .iter()
            .map(|n| (c.expected_fraction(*n, p).expect("valid") - c.fraction_at(p)).abs())
            .collect();
        assert!(diffs.windows(2).all(|w| w[1] < w[0]), "{diffs:?}");
        assert!(diffs[3] < 1e-3, "{diffs:?}");
    }

    /// Probabilities sum to 1 for large n (a contract paying 1 everywhere has E[f] = 1, 1e-12),
    /// and p = 0 or 1 give f(0) and f(1).
    #[test]
    fn edge_cases() {
        let one = CohortOutcomeContract::new(vec![CohortTier { at_least: 0.0, fraction: 1.0 }], 0.0, Between::Step)
            .expect("valid");
        for n in [1, 7, 1_000_000, 10_000_000_000] {
            assert!((one.expected_fraction(n, 0.37).expect("valid") - 1.0).abs() < 1e-12);
        }
        assert_eq!(contract().expected_fraction(20, 0.0).expect("valid"), 0.0);
        assert_eq!(contract().expected_fraction(20, 1.0).expect("valid"), 1.0);
        assert_eq!(contract().expected_fraction(0, 0.9).expect("valid"), 0.0);
        assert_eq!(cohort_size(224.5), 225);
        assert_eq!(cohort_size(0.4), 0);
        assert_eq!(cohort_size(f64::NAN), 0);
    }

    #[test]
    fn bad_contracts_are_rejected() {
        let tier = |at_least, fraction| CohortTier { at_least, fraction };
        assert!(CohortOutcomeContract::new(vec![], 0.0, Between::Step).is_err());
        assert!(CohortOutcomeContract::new(vec![tier(0.4, 0.5), tier(0.4, 0.7)], 0.0, Between::Step).is_err());
        assert!(CohortOutcomeContract::new(vec![tier(1.4, 0.5)], 0.0, Between::Step).is_err());
        assert!(CohortOutcomeContract::new(vec![tier(0.4, 1.5)], 0.0, Between::Step).is_err());
        assert!(CohortOutcomeContract::new(vec![tier(0.4, 0.5)], -0.1, Between::Step).is_err());
        assert!(contract().expected_fraction(10, 1.2).is_err());
        assert!(contract().expected_fraction(10, f64::NAN).is_err());
    }
}
