//! Annuity: the price financed and repaid in equal instalments with interest (DOMAIN.md §5.4 e).
//!
//! A present amount P repaid in n equal payments at financing rate i:
//!
//! ```text
//! ordinary annuity (payments at the end of each year):  A     = P · i / (1 − (1 + i)^(−n))
//! annuity-due (first payment at treatment):             A_due = A / (1 + i)
//! payer's present value at its discount rate r:         PV    = A · (1 − (1 + r)^(−n)) / r      (ordinary)
//!                                                       PV    = A_due · (1 − (1 + r)^(−n)) / r · (1 + r)  (due)
//! ```
//!
//! At a zero rate the limits are used: `A = P/n`, `PV = n·A`.
//!
//! Conventions: payments of an ordinary annuity fall at the end of years 1..n after treatment,
//! i.e. τ = 1..n (the end of year τ−1 is the start of year τ, as a 12-month assessment falls in
//! τ = 1 in [`super::outcome`]); an annuity-due pays at τ = 0..n−1. Present values discount a
//! payment at τ by `(1 + r)^(−τ)` to the treatment year, so they equal
//! [`Schedule::present_value`] of [`annuity_schedule`]. Who pays: the payer repays the whole
//! amount; deferral helps a payer whose discount rate r exceeds i, and at i = r, PV = P. BIA
//! takes the nominal amounts by calendar year; the nominal total `n·A` exceeds P by the interest.
//! Outcome-contingent annuities multiply each payment by `q_τ` as in (c).
//!
//! Source: DOMAIN.md §5.4 (e); standard annuity formulas (annuity-immediate and annuity-due).

use super::error::{self, PaymentError, Result};
use super::schedule::{check_offset, Schedule};

/// Whether payments fall at the end of each year (ordinary) or start at treatment (due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnuityTiming {
    /// Payments at τ = 1..n (end of each year after treatment).
    Ordinary,
    /// Payments at τ = 0..n−1 (first payment at treatment).
    Due,
}

impl AnnuityTiming {
    fn first_offset(self) -> usize {
        match self {
            Self::Ordinary => 1,
            Self::Due => 0,
        }
    }
}

fn check_n_payments(n_payments: usize, timing: AnnuityTiming) -> Result<usize> {
    if n_payments == 0 {
        return Err(PaymentError::Empty { quantity: "annuity payments (n_payments = 0)".to_owned() });
    }
    check_offset(n_payments - 1 + timing.first_offset())?;
    Ok(n_payments)
}

/// `(1 − (1 + r)^(−n)) / r`, or n at r = 0; computed with `ln_1p`/`exp_m1` so that rates
/// near zero keep full precision. r > −1 checked by the caller.
fn annuity_factor(annual_rate: f64, n_payments: usize) -> f64 {
    let n = n_payments as f64;
    if annual_rate == 0.0 {
        return n;
    }
    -(-n * annual_rate.ln_1p()).exp_m1() / annual_rate
}

/// Payment per instalment: `A = P / annuity_factor(i, n)` (ordinary), `A_due = A / (1 + i)`.
pub fn annuity_payment(principal: f64, financing_rate: f64, n_payments: usize, timing: AnnuityTiming) -> Result<f64> {
    let principal = error::non_negative("annuity principal", principal)?;
    let rate = error::annual_rate("annuity financing rate", financing_rate)?;
    let n_payments = check_n_payments(n_payments, timing)?;
    let ordinary = principal / annuity_factor(rate, n_payments);
    Ok(match timing {
        AnnuityTiming::Ordinary => ordinary,
        AnnuityTiming::Due => ordinary / (1.0 + rate),
    })
}

/// Nominal (undiscounted) total repaid, `n · A` (or `n · A_due`).
pub fn annuity_nominal_total(
    principal: f64,
    financing_rate: f64,
    n_payments: usize,
    timing: AnnuityTiming,
) -> Result<f64> {
    Ok(annuity_payment(principal, financing_rate, n_payments, timing)? * n_payments as f64)
}

/// Payer's present value at its discount rate r of n payments of `payment` with the given
/// timing: `A · (1 − (1 + r)^(−n)) / r`, times `(1 + r)` for an annuity-due.
pub fn annuity_present_value(
    payment: f64,
    payer_discount_rate: f64,
    n_payments: usize,
    timing: AnnuityTiming,
) -> Result<f64> {
    let payment = error::non_negative("annuity payment", payment)?;
    let rate = error::annual_rate("payer discount rate", payer_discount_rate)?;
    let n_payments = check_n_payments(n_payments, timing)?;
    let ordinary = payment * annuity_factor(rate, n_payments);
    Ok(match timing {
        AnnuityTiming::Ordinary => ordinary,
        AnnuityTiming::Due => ordinary * (1.0 + rate),
    })
}

/// The repayment schedule: `A` at τ = 1..n (ordinary) or `A_due` at τ = 0..n−1 (due).
pub fn annuity_schedule(
    principal: f64,
    financing_rate: f64,
    n_payments: usize,
    timing: AnnuityTiming,
) -> Result<Schedule> {
    let payment = annuity_payment(principal, financing_rate, n_payments, timing)?;
    let first = timing.first_offset();
    let mut amounts_by_offset = vec![0.0; first];
    amounts_by_offset.extend(std::iter::repeat_n(payment, n_payments));
    Schedule::from_amounts_by_offset(amounts_by_offset)
}

/// Outcome-contingent annuity: each payment at τ times `q_τ` (probabilities by τ, covering the
/// last payment; for an ordinary annuity `q_0` is unused), as in (c).
pub fn outcome_contingent_annuity_schedule(
    principal: f64,
    financing_rate: f64,
    n_payments: usize,
    timing: AnnuityTiming,
    probability_paid_by_offset: &[f64],
) -> Result<Schedule> {
    annuity_schedule(principal, financing_rate, n_payments, timing)?.weighted_by_probability(probability_paid_by_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const PRICE: f64 = 1_200_000.0;

    /// DOMAIN.md §5.4 (e), P = 1.2 M, i = 3 %, n = 5, compared at whole CNY as DOMAIN rounds:
    /// A = 262,025 (total 1,310,127), A_due = 254,394 (total 1,271,968), PV at 5 % of the
    /// ordinary annuity 1,134,433 (< P); at i = r, PV = P (1e-9 relative).
    #[test]
    fn domain_annuity() {
        let ordinary = annuity_payment(PRICE, 0.03, 5, AnnuityTiming::Ordinary).expect("valid");
        assert_eq!(ordinary.round(), 262_025.0);
        let total = annuity_nominal_total(PRICE, 0.03, 5, AnnuityTiming::Ordinary).expect("valid");
        assert_eq!(total.round(), 1_310_127.0);
        let due = annuity_payment(PRICE, 0.03, 5, AnnuityTiming::Due).expect("valid");
        assert_eq!(due.round(), 254_394.0);
        assert_eq!(annuity_nominal_total(PRICE, 0.03, 5, AnnuityTiming::Due).expect("valid").round(), 1_271_968.0);
        let pv = annuity_present_value(ordinary, 0.05, 5, AnnuityTiming::Ordinary).expect("valid");
        assert_eq!(pv.round(), 1_134_433.0);
        assert!(pv < PRICE);
        for timing in [AnnuityTiming::Ordinary, AnnuityTiming::Due] {
            let payment = annuity_payment(PRICE, 0.03, 5, timing).expect("valid");
            let pv_at_i = annuity_present_value(payment, 0.03, 5, timing).expect("valid");
            assert_relative_eq!(pv_at_i, PRICE, max_relative = WORKED_EXAMPLE);
        }
    }

    #[test]
    fn schedule_timing_and_closed_form_agree() {
        let ordinary = annuity_schedule(PRICE, 0.03, 5, AnnuityTiming::Ordinary).expect("valid");
        assert_eq!(ordinary.n_offsets(), 6);
        assert_eq!(ordinary.amount_at(0), 0.0);
        let due = annuity_schedule(PRICE, 0.03, 5, AnnuityTiming::Due).expect("valid");
        assert_eq!(due.n_offsets(), 5);
        let a = annuity_payment(PRICE, 0.03, 5, AnnuityTiming::Ordinary).expect("valid");
        let pv = annuity_present_value(a, 0.05, 5, AnnuityTiming::Ordinary).expect("valid");
        assert_relative_eq!(ordinary.present_value(0.05).expect("valid"), pv, max_relative = WORKED_EXAMPLE);
        // Outcome-contingent: q_τ multiplies each payment.
        let q = [1.0, 0.9, 0.85, 0.8, 0.8, 0.8];
        let contingent =
            outcome_contingent_annuity_schedule(PRICE, 0.03, 5, AnnuityTiming::Ordinary, &q).expect("valid");
        assert_relative_eq!(contingent.amount_at(1), 0.9 * a, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(contingent.amount_at(5), 0.8 * a, max_relative = WORKED_EXAMPLE);
        assert!(outcome_contingent_annuity_schedule(PRICE, 0.03, 5, AnnuityTiming::Ordinary, &q[..5]).is_err());
        // Zero rate: P/n each, present value n·A.
        assert_relative_eq!(
            annuity_payment(PRICE, 0.0, 4, AnnuityTiming::Due).expect("valid"),
            300_000.0,
            max_relative = WORKED_EXAMPLE
        );
    }

    #[test]
    fn bad_annuity_inputs_are_rejected() {
        assert!(annuity_payment(PRICE, 0.03, 0, AnnuityTiming::Ordinary).is_err());
        assert!(annuity_payment(PRICE, 0.03, usize::MAX, AnnuityTiming::Ordinary).is_err());
        assert!(annuity_payment(PRICE, 0.03, 200, AnnuityTiming::Ordinary).is_ok());
        assert!(annuity_payment(PRICE, 0.03, 201, AnnuityTiming::Ordinary).is_err());
        assert!(annuity_payment(PRICE, -1.0, 5, AnnuityTiming::Ordinary).is_err());
        assert!(annuity_payment(f64::NAN, 0.03, 5, AnnuityTiming::Ordinary).is_err());
        assert!(annuity_present_value(1.0, f64::INFINITY, 5, AnnuityTiming::Due).is_err());
    }

    proptest! {
        /// The closed forms equal the schedule's present value for any rates, and at i = r the
        /// payer's present value is the principal; near-zero rates stay accurate.
        #[test]
        fn closed_forms_match_the_schedule(
            i in -0.5f64..0.5, r in -0.5f64..0.5, n in 1usize..40, due in proptest::bool::ANY,
        ) {
            let timing = if due { AnnuityTiming::Due } else { AnnuityTiming::Ordinary };
            let payment = annuity_payment(PRICE, i, n, timing).expect("valid");
            let schedule = annuity_schedule(PRICE, i, n, timing).expect("valid");
            let closed = annuity_present_value(payment, r, n, timing).expect("valid");
            let summed = schedule.present_value(r).expect("valid");
            prop_assert!((closed - summed).abs() <= 1e-9 * summed.abs().max(1.0));
            let at_i = annuity_present_value(payment, i, n, timing).expect("valid");
            prop_assert!((at_i - PRICE).abs() <= 1e-9 * PRICE);
        }
    }
}
