//! Confidential discounts, delayed rebates and earmarked discounts (DOMAIN.md §5.4 k).
//!
//! ```text
//! net price          = list price · (1 − confidential discount)
//! rebate received    = rebate fraction · gross spend of year y, received in year y + delay
//! earmarked discount: drug budget line = P · (1 − e),  earmarked line = e · P
//! ```
//!
//! Conventions: the confidential discount applies to the price before any other scheme (apply it
//! first, then instalments, outcomes, caps, payer split). Rebates act on aggregate gross spending
//! by calendar year after convolution; a rebate due after the horizon is reported, not dropped.
//! An earmark moves part of the price from the drug budget line to a programme (Brazil: 3 % for
//! newborn screening); report both lines; the payer's total is unchanged if both sit in its
//! budget. Who pays: the payer pays the net price; the manufacturer pays rebates. Undiscounted
//! (BIA); for CEA discount the rebate at its own year.
//!
//! Source: DOMAIN.md §5.4 (k); Brazil's Zolgensma agreement, 3 % per dose for newborn screening
//! (O Globo, 7 Dec 2022).

use super::error::{self, Result};

/// `list · (1 − d)`, list ≥ 0 and d in [0, 1].
pub fn net_price(list_price: f64, confidential_discount: f64) -> Result<f64> {
    let list_price = error::non_negative("list price", list_price)?;
    let discount = error::unit_interval("confidential discount", confidential_discount)?;
    Ok(list_price * (1.0 - discount))
}

/// The two budget lines of an earmarked discount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarmarkedSplit {
    /// `P · (1 − e)`, on the drug budget line.
    pub drug_budget_line: f64,
    /// `e · P`, to the earmarked programme.
    pub earmarked_line: f64,
}

impl EarmarkedSplit {
    /// Both lines together (= P).
    pub fn total(&self) -> f64 {
        self.drug_budget_line + self.earmarked_line
    }
}

/// Split a price `P` (≥ 0) by an earmark fraction `e` in [0, 1].
pub fn earmarked_discount(price: f64, earmark_fraction: f64) -> Result<EarmarkedSplit> {
    let price = error::non_negative("price", price)?;
    let earmark = error::unit_interval("earmark fraction", earmark_fraction)?;
    Ok(EarmarkedSplit { drug_budget_line: price * (1.0 - earmark), earmarked_line: price * earmark })
}

/// Rebates on yearly gross spending, by calendar year (index y − 1).
#[derive(Debug, Clone, PartialEq)]
pub struct DelayedRebates {
    pub rebate_received_by_year: Vec<f64>,
    /// `gross − rebate received`, year by year.
    pub payer_spend_by_year: Vec<f64>,
    /// Rebates on spending within the horizon received after it.
    pub rebate_received_after_horizon: f64,
}

/// A rebate of `rebate_fraction` (in [0, 1]) of each year's gross spend (finite), received
/// `delay_years` later (0 = same year).
pub fn delayed_rebates(
    gross_spend_by_year: &[f64],
    rebate_fraction: f64,
    delay_years: usize,
) -> Result<DelayedRebates> {
    error::each("gross spend by year", gross_spend_by_year, error::finite)?;
    let fraction = error::unit_interval("rebate fraction", rebate_fraction)?;
    let mut rebate_received_by_year = vec![0.0; gross_spend_by_year.len()];
    let mut rebate_received_after_horizon = 0.0;
    for (year, spend) in gross_spend_by_year.iter().enumerate() {
        let slot = year.checked_add(delay_years).and_then(|received| rebate_received_by_year.get_mut(received));
        match slot {
            Some(slot) => *slot += fraction * spend,
            None => rebate_received_after_horizon += fraction * spend,
        }
    }
    let payer_spend_by_year =
        gross_spend_by_year.iter().zip(&rebate_received_by_year).map(|(spend, rebate)| spend - rebate).collect();
    Ok(DelayedRebates { rebate_received_by_year, payer_spend_by_year, rebate_received_after_horizon })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    /// DOMAIN.md §5.4 (k): earmark 3 % of P = 1.2 M → drug line 1,164,000, screening 36,000 per
    /// dose; the total is unchanged (1e-9 relative).
    #[test]
    fn domain_earmarked_discount() {
        let split = earmarked_discount(1_200_000.0, 0.03).expect("valid");
        assert_relative_eq!(split.drug_budget_line, 1_164_000.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(split.earmarked_line, 36_000.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(split.total(), 1_200_000.0, max_relative = WORKED_EXAMPLE);
    }

    /// Net price = list × (1 − discount): 1.2 M at 25 % → 900,000; a 10 % rebate on 120 M a year
    /// paid one year later: received 0, 12, 12 M; 12 M after a 3-year horizon (1e-9 relative).
    #[test]
    fn net_price_and_delayed_rebates() {
        assert_relative_eq!(net_price(1_200_000.0, 0.25).expect("valid"), 900_000.0, max_relative = WORKED_EXAMPLE);
        let r = delayed_rebates(&[120.0e6; 3], 0.1, 1).expect("valid");
        for (got, expected) in r.rebate_received_by_year.iter().zip([0.0, 12.0e6, 12.0e6]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        for (got, expected) in r.payer_spend_by_year.iter().zip([120.0e6, 108.0e6, 108.0e6]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        assert_relative_eq!(r.rebate_received_after_horizon, 12.0e6, max_relative = WORKED_EXAMPLE);
        let far = delayed_rebates(&[1.0], 0.5, usize::MAX).expect("valid");
        assert_eq!(far.rebate_received_after_horizon, 0.5);
        assert!(net_price(1.0, 1.1).is_err());
        assert!(earmarked_discount(f64::NAN, 0.03).is_err());
        assert!(delayed_rebates(&[f64::INFINITY], 0.1, 0).is_err());
    }
}
