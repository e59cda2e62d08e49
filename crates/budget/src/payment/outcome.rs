//! Outcome-based schemes (DOMAIN.md §5.4 c, d, f, g): the payment depends on whether the patient
//! is alive and meets an outcome at a stated time.
//!
//! - (c) Outcome-conditioned instalments: `pay(τ) = f_τ · P · q_τ`, `q_0 = 1` usually,
//!   `q_τ = P(alive and outcome met/maintained at τ)` from the model's own states. Conditional
//!   milestone probabilities are chained first: `q_k = Π_{j ≤ k} p_j`.
//! - (d) Deferred outcome payment: `pay(0) = f_0 · P`, `pay(T) = (1 − f_0) · P · p_outcome`.
//! - (f) Outcome-based refund: pay P, refund `ρ·P` on failure at assessment time T_a; expected
//!   net `P·(1 − ρ·p_fail)`; cash flow `P` at τ = 0 and `−ρ·P·p_fail` in the assessment year.
//! - (g) Tiered payment by PFS: cut-offs `t_1 < … < t_k`, fraction `f_0` if PFS < t_1 and `f_j`
//!   if `t_j ≤ PFS < t_{j+1}` (`t_{k+1} = ∞`): expected fraction
//!   `Σ_j f_j · [S(t_j) − S(t_{j+1})]` with `S(t_0) = 1`, `S(t_{k+1}) = 0`. Death is a PFS event.
//!
//! Conventions: τ = years after treatment (0 = treatment year). An event `m` months after
//! treatment falls in τ = ⌊m/12⌋ with start-of-year treatment and τ = ⌊(m + 6)/12⌋ with mid-year
//! treatment ([`year_offset_of_event`]): a 3-month assessment is in the treatment year, a
//! 12-month one in the next year. Probabilities are expected values over the treated cohort, so
//! a schedule holds the expected payment per treated patient. Who pays: the whole amount before
//! any payer split; refunds are negative amounts (manufacturer to payer). BIA: undiscounted by
//! calendar year; CEA: the same expected payments at their times, discounted.
//!
//! Source: DOMAIN.md §5.4 (c) Brazil's Zolgensma agreements (O Globo, 7 Dec 2022; risk-sharing
//! terms of March 2025), (d) UK-style deferred payment, (f) refund schemes, (g) PFS tiers.

use super::error::{self, PaymentError, Result};
use super::instalment::instalments;
use super::schedule::{check_offset, Schedule};

/// When in the calendar year patients are treated: the crate's one definition, shared with the
/// cohort convolution. Here an event m months after treatment falls in τ = ⌊m/12⌋ with
/// `StartOfYear` and τ = ⌊(m + 6)/12⌋ with `MidYear`.
pub use crate::cohort::TreatmentTiming;

/// Year offset τ in which an event `months_after_treatment` (finite, ≥ 0) falls.
pub fn year_offset_of_event(months_after_treatment: f64, timing: TreatmentTiming) -> Result<usize> {
    let months = error::non_negative("months after treatment", months_after_treatment)?;
    let months_into_year_at_treatment = match timing {
        TreatmentTiming::StartOfYear => 0.0,
        TreatmentTiming::MidYear => 6.0,
    };
    // A saturating cast: anything beyond MAX_OFFSET_YEARS is rejected by check_offset.
    check_offset(((months + months_into_year_at_treatment) / 12.0).floor() as usize)
}

/// (c) Chain conditional milestone probabilities into unconditional ones: `q_k = Π_{j ≤ k} p_j`
/// (0.8, 0.7, 0.7 → 0.8, 0.56, 0.392). Each `p_j` in [0, 1].
pub fn chain_conditional_probabilities(conditional_probabilities: &[f64]) -> Result<Vec<f64>> {
    error::each("conditional probabilities", conditional_probabilities, error::unit_interval)?;
    Ok(conditional_probabilities
        .iter()
        .scan(1.0, |running, p| {
            *running *= p;
            Some(*running)
        })
        .collect())
}

/// (c) `pay(τ) = f_τ · P · q_τ`: instalment fractions by τ (summing to 1) and the probability
/// `q_τ` that each is due (at least one per instalment; extra values ignored).
pub fn outcome_conditioned_instalments(
    price: f64,
    fraction_by_offset: &[f64],
    probability_paid_by_offset: &[f64],
) -> Result<Schedule> {
    instalments(price, fraction_by_offset)?.weighted_by_probability(probability_paid_by_offset)
}

/// (d) `pay(0) = f_0 · P` and `pay(T) = (1 − f_0) · P · p_outcome` at τ = T.
pub fn deferred_outcome_payment(
    price: f64,
    upfront_fraction: f64,
    deferred_offset_years: usize,
    probability_outcome_met: f64,
) -> Result<Schedule> {
    let price = error::non_negative("price", price)?;
    let upfront_fraction = error::unit_interval("upfront fraction", upfront_fraction)?;
    let p = error::unit_interval("probability outcome met", probability_outcome_met)?;
    Schedule::from_dated_amounts(&[
        (0, upfront_fraction * price),
        (deferred_offset_years, (1.0 - upfront_fraction) * price * p),
    ])
}

/// (f) Expected net price after an outcome-based refund: `P · (1 − ρ · p_fail)`.
pub fn expected_net_price_after_refund(price: f64, refund_fraction: f64, probability_failure: f64) -> Result<f64> {
    let price = error::non_negative("price", price)?;
    let rho = error::unit_interval("refund fraction", refund_fraction)?;
    let p_fail = error::unit_interval("probability of failure", probability_failure)?;
    Ok(price * (1.0 - rho * p_fail))
}

/// (f) Cash flow of an outcome-based refund: `P` at τ = 0 and `−ρ·P·p_fail` in the year of the
/// assessment made `assessment_months` after treatment.
pub fn outcome_refund(
    price: f64,
    refund_fraction: f64,
    probability_failure: f64,
    assessment_months: f64,
    timing: TreatmentTiming,
) -> Result<Schedule> {
    let net = expected_net_price_after_refund(price, refund_fraction, probability_failure)?;
    let assessment_offset = year_offset_of_event(assessment_months, timing)?;
    Schedule::from_dated_amounts(&[(0, price), (assessment_offset, net - price)])
}

/// (g) One PFS tier: patients progression-free at `cutoff_months` (probability
/// `pfs_survival_at_cutoff` = S_PFS(cut-off), death counted as an event) and not at the next
/// cut-off pay `fraction_paid` of the price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PfsTier {
    pub cutoff_months: f64,
    pub pfs_survival_at_cutoff: f64,
    pub fraction_paid: f64,
}

/// (g) Tiered payment by PFS, validated: cut-offs strictly increasing, survival in [0, 1] and
/// non-increasing, fractions in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct PfsTieredPayment {
    fraction_paid_below_first_cutoff: f64,
    tiers: Vec<PfsTier>,
}

impl PfsTieredPayment {
    pub fn new(fraction_paid_below_first_cutoff: f64, tiers: Vec<PfsTier>) -> Result<Self> {
        error::unit_interval("fraction paid below the first PFS cut-off", fraction_paid_below_first_cutoff)?;
        if tiers.is_empty() {
            return Err(PaymentError::Empty { quantity: "PFS tiers".to_owned() });
        }
        let cutoffs: Vec<f64> = tiers.iter().map(|t| t.cutoff_months).collect();
        let survival: Vec<f64> = tiers.iter().map(|t| t.pfs_survival_at_cutoff).collect();
        let fractions: Vec<f64> = tiers.iter().map(|t| t.fraction_paid).collect();
        error::each("PFS tier cut-offs (months)", &cutoffs, error::non_negative)?;
        error::strictly_increasing("PFS tier cut-offs (months)", &cutoffs)?;
        error::each("PFS survival at the cut-offs", &survival, error::unit_interval)?;
        error::non_increasing("PFS survival at the cut-offs", &survival)?;
        error::each("PFS tier payment fractions", &fractions, error::unit_interval)?;
        Ok(Self { fraction_paid_below_first_cutoff, tiers })
    }

    /// Probability of each band with its payment fraction: band 0 is PFS < t_1 (`1 − S(t_1)`),
    /// band j is `t_j ≤ PFS < t_{j+1}` (`S(t_j) − S(t_{j+1})`), the last is `S(t_k)`.
    fn bands(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let first = (1.0 - self.tiers[0].pfs_survival_at_cutoff, self.fraction_paid_below_first_cutoff);
        let later = self.tiers.iter().enumerate().map(|(j, tier)| {
            let next_survival = self.tiers.get(j + 1).map_or(0.0, |next| next.pfs_survival_at_cutoff);
            (tier.pfs_survival_at_cutoff - next_survival, tier.fraction_paid)
        });
        std::iter::once(first).chain(later)
    }

    /// `Σ_j f_j · [S(t_j) − S(t_{j+1})]`.
    pub fn expected_fraction(&self) -> f64 {
        self.bands().map(|(probability, fraction)| probability * fraction).sum()
    }

    /// Expected payment per patient, `P · expected fraction`.
    pub fn expected_payment(&self, price: f64) -> Result<f64> {
        Ok(error::non_negative("price", price)? * self.expected_fraction())
    }

    /// Staged payments: `f_0 · P` at treatment, then at each cut-off t_j the increment
    /// `(f_j − f_{j−1}) · P · S(t_j)` for patients still progression-free (negative if a later
    /// tier pays less).
    pub fn as_staged_payments(&self, price: f64, timing: TreatmentTiming) -> Result<Schedule> {
        let price = error::non_negative("price", price)?;
        let mut schedule = Schedule::single_payment(0, self.fraction_paid_below_first_cutoff * price)?;
        let mut previous_fraction = self.fraction_paid_below_first_cutoff;
        for tier in &self.tiers {
            let offset = year_offset_of_event(tier.cutoff_months, timing)?;
            schedule.add_at(offset, (tier.fraction_paid - previous_fraction) * price * tier.pfs_survival_at_cutoff)?;
            previous_fraction = tier.fraction_paid;
        }
        Ok(schedule)
    }

    /// Upfront then refunds: `P` at treatment; the band ending at cut-off t_{j+1} is known then and
    /// refunded `(1 − f_j) · P · [S(t_j) − S(t_{j+1})]`; the top band (PFS ≥ t_k) is settled at t_k.
    pub fn as_upfront_then_refunds(&self, price: f64, timing: TreatmentTiming) -> Result<Schedule> {
        let price = error::non_negative("price", price)?;
        let mut schedule = Schedule::single_payment(0, price)?;
        let last = self.tiers.len() - 1;
        for (band, (probability, fraction)) in self.bands().enumerate() {
            let settled_at = &self.tiers[band.min(last)];
            let offset = year_offset_of_event(settled_at.cutoff_months, timing)?;
            schedule.add_at(offset, -(1.0 - fraction) * price * probability)?;
        }
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::assert_all_close;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    const PRICE: f64 = 1_200_000.0;

    /// DOMAIN.md §5.4 (c): q = 1, 0.90, 0.85, 0.80, 0.80 → 240,000; 216,000; 204,000; 192,000;
    /// 192,000 = 1,044,000 (87 % of P); PV at 5 % = 954,564 (whole CNY); BIA 24.0, 45.6, 66.0,
    /// 85.2, 104.4 M, total 325.2 M (1e-9 relative).
    #[test]
    fn domain_outcome_conditioned_instalments() {
        let s = outcome_conditioned_instalments(PRICE, &[0.2; 5], &[1.0, 0.90, 0.85, 0.80, 0.80]).expect("valid");
        assert_all_close(s.amounts_by_offset(), &[240_000.0, 216_000.0, 204_000.0, 192_000.0, 192_000.0]);
        assert_relative_eq!(s.total(), 1_044_000.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(s.total() / PRICE, 0.87, max_relative = WORKED_EXAMPLE);
        assert_eq!(s.present_value(0.05).expect("valid").round(), 954_564.0);
        let by_year = s.by_calendar_year(&[100.0; 5]).expect("valid");
        assert_all_close(&by_year.within_horizon_by_year, &[24.0e6, 45.6e6, 66.0e6, 85.2e6, 104.4e6]);
        assert_relative_eq!(by_year.within_horizon_total(), 325.2e6, max_relative = WORKED_EXAMPLE);
    }

    /// DOMAIN.md §5.4 (c), March 2025 terms: 40 % at infusion, 20 % at 24, 36, 48 months with
    /// unconditional q = 0.8, 0.7, 0.7 → 0.84 of P = 1,008,000; chaining conditional
    /// probabilities 0.8, 0.7, 0.7 gives q = 0.8, 0.56, 0.392 → 0.7504 (1e-9 relative).
    #[test]
    fn domain_later_brazilian_terms_and_chaining() {
        let months = [0.0, 24.0, 36.0, 48.0];
        let offsets: Vec<usize> =
            months.iter().map(|m| year_offset_of_event(*m, TreatmentTiming::StartOfYear).expect("valid")).collect();
        assert_eq!(offsets, vec![0, 2, 3, 4]);
        let fractions = [0.4, 0.0, 0.2, 0.2, 0.2];
        let unconditional = outcome_conditioned_instalments(PRICE, &fractions, &[1.0, 1.0, 0.8, 0.7, 0.7]).expect("ok");
        assert_relative_eq!(unconditional.total() / PRICE, 0.84, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(unconditional.total(), 1_008_000.0, max_relative = WORKED_EXAMPLE);
        let chained = chain_conditional_probabilities(&[0.8, 0.7, 0.7]).expect("valid");
        assert_all_close(&chained, &[0.8, 0.56, 0.392]);
        let q = [1.0, 1.0, chained[0], chained[1], chained[2]];
        let conditional = outcome_conditioned_instalments(PRICE, &fractions, &q).expect("valid");
        assert_relative_eq!(conditional.total() / PRICE, 0.7504, max_relative = WORKED_EXAMPLE);
    }

    /// DOMAIN.md §5.4 (d): 40 % upfront, 60 % at 3 years with p_walk = 0.5: 480,000 + 360,000 =
    /// 840,000 expected (1e-9 relative); PV at 3.5 % = 804,699 (whole CNY).
    #[test]
    fn domain_deferred_outcome_payment() {
        let s = deferred_outcome_payment(PRICE, 0.4, 3, 0.5).expect("valid");
        assert_eq!(s.dated_amounts().len(), 2);
        assert_relative_eq!(s.amount_at(0), 480_000.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(s.amount_at(3), 360_000.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(s.total(), 840_000.0, max_relative = WORKED_EXAMPLE);
        assert_eq!(s.present_value(0.035).expect("valid").round(), 804_699.0);
    }

    /// DOMAIN.md §5.4 (f): ρ = 0.5, p_fail = 0.4 → 960,000; the refund is in the treatment year
    /// for a 3-month assessment and in the next year for a 12-month one (start-of-year
    /// treatment), which shifts annual BIA (1e-9 relative).
    #[test]
    fn domain_outcome_refund_and_its_timing() {
        let net = expected_net_price_after_refund(PRICE, 0.5, 0.4).expect("valid");
        assert_relative_eq!(net, 960_000.0, max_relative = WORKED_EXAMPLE);
        let at_3_months = outcome_refund(PRICE, 0.5, 0.4, 3.0, TreatmentTiming::StartOfYear).expect("valid");
        assert_all_close(at_3_months.amounts_by_offset(), &[960_000.0]);
        let at_12_months = outcome_refund(PRICE, 0.5, 0.4, 12.0, TreatmentTiming::StartOfYear).expect("valid");
        assert_all_close(at_12_months.amounts_by_offset(), &[1_200_000.0, -240_000.0]);
        let by_year = at_12_months.by_calendar_year(&[100.0; 5]).expect("valid");
        assert_all_close(&by_year.within_horizon_by_year, &[120.0e6, 96.0e6, 96.0e6, 96.0e6, 96.0e6]);
        assert_relative_eq!(by_year.committed_after_horizon(), -24.0e6, max_relative = WORKED_EXAMPLE);
        // Mid-year treatment moves a 6-month assessment into the next year.
        assert_eq!(year_offset_of_event(6.0, TreatmentTiming::MidYear).expect("valid"), 1);
        assert_eq!(year_offset_of_event(5.9, TreatmentTiming::MidYear).expect("valid"), 0);
        assert_eq!(year_offset_of_event(11.9, TreatmentTiming::StartOfYear).expect("valid"), 0);
    }

    fn domain_pfs_tiers() -> PfsTieredPayment {
        PfsTieredPayment::new(
            0.0,
            vec![
                PfsTier { cutoff_months: 6.0, pfs_survival_at_cutoff: 0.60, fraction_paid: 0.7 },
                PfsTier { cutoff_months: 12.0, pfs_survival_at_cutoff: 0.45, fraction_paid: 1.0 },
            ],
        )
        .expect("valid")
    }

    /// DOMAIN.md §5.4 (g): S_PFS(6) = 0.60, S_PFS(12) = 0.45 → 0.45 + 0.105 = 0.555 → 666,000.
    /// Staged: 0.7·0.60·P = 504,000 at 6 months (τ = 0), 0.3·0.45·P = 162,000 at 12 months
    /// (τ = 1). Upfront then refunds: P − 0.40·P = 720,000 at τ = 0 (PFS < 6 months refunded in
    /// full at the 6-month assessment), −0.3·0.15·P = −54,000 at τ = 1 (1e-9 relative).
    #[test]
    fn domain_tiered_payment_by_pfs() {
        let tiers = domain_pfs_tiers();
        assert_relative_eq!(tiers.expected_fraction(), 0.555, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(tiers.expected_payment(PRICE).expect("valid"), 666_000.0, max_relative = WORKED_EXAMPLE);
        let staged = tiers.as_staged_payments(PRICE, TreatmentTiming::StartOfYear).expect("valid");
        assert_all_close(staged.amounts_by_offset(), &[504_000.0, 162_000.0]);
        let refunds = tiers.as_upfront_then_refunds(PRICE, TreatmentTiming::StartOfYear).expect("valid");
        assert_all_close(refunds.amounts_by_offset(), &[720_000.0, -54_000.0]);
    }

    #[test]
    fn bad_outcome_inputs_are_rejected() {
        assert!(outcome_conditioned_instalments(PRICE, &[0.2; 5], &[1.0, 0.9]).is_err());
        assert!(outcome_conditioned_instalments(PRICE, &[0.5, 0.5], &[1.0, 1.1]).is_err());
        assert!(chain_conditional_probabilities(&[0.5, f64::NAN]).is_err());
        assert!(deferred_outcome_payment(PRICE, 1.4, 3, 0.5).is_err());
        assert!(deferred_outcome_payment(PRICE, 0.4, 1_000, 0.5).is_err());
        assert!(year_offset_of_event(-1.0, TreatmentTiming::StartOfYear).is_err());
        assert!(year_offset_of_event(f64::INFINITY, TreatmentTiming::StartOfYear).is_err());
        assert!(year_offset_of_event(1e300, TreatmentTiming::MidYear).is_err());
        assert!(PfsTieredPayment::new(0.0, vec![]).is_err());
        let tier = |cutoff_months, pfs_survival_at_cutoff| PfsTier {
            cutoff_months,
            pfs_survival_at_cutoff,
            fraction_paid: 1.0,
        };
        assert!(PfsTieredPayment::new(0.0, vec![tier(12.0, 0.4), tier(6.0, 0.3)]).is_err());
        assert!(PfsTieredPayment::new(0.0, vec![tier(6.0, 0.4), tier(12.0, 0.5)]).is_err());
    }

    proptest::proptest! {
        /// Both cash-flow forms of a PFS tier scheme pay the expected payment in total.
        #[test]
        fn pfs_cash_flows_total_the_expected_payment(
            f0 in 0f64..1.0, f1 in 0f64..1.0, f2 in 0f64..1.0, s1 in 0f64..1.0, drop in 0f64..1.0,
        ) {
            let tiers = PfsTieredPayment::new(f0, vec![
                PfsTier { cutoff_months: 6.0, pfs_survival_at_cutoff: s1, fraction_paid: f1 },
                PfsTier { cutoff_months: 18.0, pfs_survival_at_cutoff: s1 * drop, fraction_paid: f2 },
            ]).expect("valid");
            let expected = tiers.expected_payment(PRICE).expect("valid");
            for timing in [TreatmentTiming::StartOfYear, TreatmentTiming::MidYear] {
                let staged = tiers.as_staged_payments(PRICE, timing).expect("valid").total();
                let refunds = tiers.as_upfront_then_refunds(PRICE, timing).expect("valid").total();
                proptest::prop_assert!((staged - expected).abs() <= WORKED_EXAMPLE * PRICE);
                proptest::prop_assert!((refunds - expected).abs() <= WORKED_EXAMPLE * PRICE);
            }
        }
    }
}
