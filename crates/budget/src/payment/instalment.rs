//! Upfront payment and unconditional instalments (DOMAIN.md §5.4 a, b).
//!
//! - (a) Upfront: `pay(0) = P`, the reference scheme.
//! - (b) Unconditional instalments: `pay(τ) = f_τ · P` with `Σ_τ f_τ = 1`; the same nominal total
//!   per patient as upfront, only the timing changes.
//!
//! Conventions: τ = years after treatment, 0 = treatment year; the instalment of fraction
//! `fraction_by_offset[τ]` is due in year τ. Who pays: the whole amount, before any payer split.
//! BIA sums the amounts undiscounted by calendar year ([`Schedule::by_calendar_year`]); CEA
//! discounts each at `(1 + r)^(−τ)` ([`Schedule::present_value`]). Outcome-conditioned
//! instalments are in [`super::outcome`].
//!
//! Source: DOMAIN.md §5.4 (a), (b).

use super::error::{self, Result};
use super::schedule::{check_offset, Schedule};

/// (a) The whole price in the treatment year: `pay(0) = P` (P finite, ≥ 0).
pub fn upfront(price: f64) -> Result<Schedule> {
    let price = error::non_negative("price", price)?;
    Schedule::single_payment(0, price)
}

/// (b) `pay(τ) = f_τ · P` for τ = 0..n−1. Each fraction in [0, 1] and `Σ f_τ = 1` within
/// [`super::tolerance::SUM_TO_ONE`]; otherwise an error naming the sum.
pub fn instalments(price: f64, fraction_by_offset: &[f64]) -> Result<Schedule> {
    let price = error::non_negative("price", price)?;
    error::fractions_summing_to_one("instalment fractions", fraction_by_offset)?;
    Schedule::from_amounts_by_offset(fraction_by_offset.iter().map(|fraction| fraction * price).collect())
}

/// (b) `n` equal instalments `P/n` at τ = 0..n−1 (n ≥ 1, n ≤ 201).
pub fn equal_instalments(price: f64, n_instalments: usize) -> Result<Schedule> {
    let price = error::non_negative("price", price)?;
    let last_offset = n_instalments
        .checked_sub(1)
        .ok_or_else(|| error::PaymentError::Empty { quantity: "equal instalments (n_instalments = 0)".to_owned() })?;
    check_offset(last_offset)?;
    Schedule::from_amounts_by_offset(vec![price / n_instalments as f64; n_instalments])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const PRICE: f64 = 1_200_000.0;
    const FIVE_COHORTS: [f64; 5] = [100.0; 5];

    /// DOMAIN.md §5.4 (a): 120 M every year, 600 M over 5 years (1e-9 relative).
    #[test]
    fn domain_upfront() {
        let by_year = upfront(PRICE).expect("valid").by_calendar_year(&FIVE_COHORTS).expect("valid");
        for amount in &by_year.within_horizon_by_year {
            assert_relative_eq!(*amount, 120.0e6, max_relative = WORKED_EXAMPLE);
        }
        assert_relative_eq!(by_year.within_horizon_total(), 600.0e6, max_relative = WORKED_EXAMPLE);
        assert_eq!(by_year.committed_after_horizon(), 0.0);
    }

    /// DOMAIN.md §5.4 (b): 20 % at τ = 0..4; 24, 48, 72, 96, 120 M (total 360 M), 240 M still
    /// owed after year 5 for cohorts 2–5; same nominal total per patient (1e-9 relative).
    #[test]
    fn domain_unconditional_instalments() {
        let schedule = instalments(PRICE, &[0.2; 5]).expect("valid");
        assert_relative_eq!(schedule.total(), PRICE, max_relative = WORKED_EXAMPLE);
        let by_year = schedule.by_calendar_year(&FIVE_COHORTS).expect("valid");
        for (got, expected) in by_year.within_horizon_by_year.iter().zip([24.0e6, 48.0e6, 72.0e6, 96.0e6, 120.0e6]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        assert_relative_eq!(by_year.within_horizon_total(), 360.0e6, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(by_year.committed_after_horizon(), 240.0e6, max_relative = WORKED_EXAMPLE);
        assert_eq!(equal_instalments(PRICE, 5).expect("valid"), schedule);
    }

    #[test]
    fn fractions_not_summing_to_one_are_rejected_with_the_sum() {
        let e = instalments(PRICE, &[0.2, 0.2, 0.2, 0.2, 0.1]).expect_err("sum 0.9");
        assert!(e.to_string().contains("sum to 0.9"), "{e}");
        assert!(instalments(PRICE, &[]).is_err());
        assert!(instalments(PRICE, &[1.2, -0.2]).is_err());
        assert!(instalments(-1.0, &[1.0]).is_err());
        assert!(equal_instalments(PRICE, 0).is_err());
        assert!(equal_instalments(PRICE, usize::MAX).is_err());
    }

    proptest! {
        /// Without discounting, instalments sum to the price (any fractions normalised to 1).
        #[test]
        fn instalments_sum_to_the_price(
            weights in proptest::collection::vec(0.01f64..1.0, 1..15),
            price in 0f64..1e8,
        ) {
            let sum: f64 = weights.iter().sum();
            let fractions: Vec<f64> = weights.iter().map(|w| w / sum).collect();
            let schedule = instalments(price, &fractions).expect("valid");
            let tolerance = WORKED_EXAMPLE * price.max(1.0);
            prop_assert!((schedule.total() - price).abs() <= tolerance);
            prop_assert!((schedule.present_value(0.0).expect("valid") - price).abs() <= tolerance);
        }
    }
}
