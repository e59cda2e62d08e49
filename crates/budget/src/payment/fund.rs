//! Special fund financed per capita (DOMAIN.md §5.4 n), e.g. 2 CNY per insured person per year.
//!
//! ```text
//! Revenue_y  = contribution × insured_y
//! Balance_y  = Balance_{y−1} · (1 + i) + Revenue_y − Spend_y
//! capacity_y = Revenue_y / fund cost per patient      (whole patients: rounded down)
//! ```
//!
//! Conventions: calendar years y = 1..Y (index y − 1); `Balance_0` is the opening balance;
//! interest i is credited on the balance carried over from the previous year, and the formula is
//! applied as written when that balance is negative (a deficit accrues interest at i). `Spend_y`
//! is the fund's share of the convolved yearly payments (after payer split). Years in which the
//! balance goes negative are reported: the fund cannot pay for them without a top-up.
//! Undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (n); 1,326.62 million insured persons at end-2024 (NHSA statistical
//! bulletin 2024).

use super::error::{self, Result};
use super::tolerance::WHOLE_COUNT;

/// `contribution × insured persons` (both finite, ≥ 0).
pub fn per_capita_revenue(contribution_per_insured: f64, insured_persons: f64) -> Result<f64> {
    let contribution = error::non_negative("contribution per insured person", contribution_per_insured)?;
    Ok(contribution * error::non_negative("insured persons", insured_persons)?)
}

/// Patients a year's revenue finances, `revenue / fund cost per patient` (cost > 0).
pub fn fund_capacity_patients(revenue: f64, fund_cost_per_patient: f64) -> Result<f64> {
    let revenue = error::non_negative("fund revenue", revenue)?;
    let capacity = revenue / error::positive("fund cost per patient", fund_cost_per_patient)?;
    error::finite("fund capacity (patients)", capacity)
}

/// Whole patients financed: the capacity rounded down, except that a quotient within
/// [`WHOLE_COUNT`] (relative) of an integer counts as that integer. Saturates at `u64::MAX`.
pub fn fund_capacity_whole_patients(revenue: f64, fund_cost_per_patient: f64) -> Result<u64> {
    let capacity = fund_capacity_patients(revenue, fund_cost_per_patient)?;
    let nearest = capacity.round();
    let whole = if (capacity - nearest).abs() <= WHOLE_COUNT * capacity.max(1.0) { nearest } else { capacity.floor() };
    Ok(whole as u64)
}

/// A fund's yearly accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct FundBalances {
    pub revenue_by_year: Vec<f64>,
    /// Balance at the end of each year.
    pub balance_by_year: Vec<f64>,
    /// Calendar years (1-based) whose end-of-year balance is negative.
    pub years_with_negative_balance: Vec<usize>,
}

/// Carry the balance over the years: insured persons and fund spending by year (same length,
/// finite, ≥ 0), opening balance finite, interest rate > −1.
pub fn special_fund_balances(
    opening_balance: f64,
    interest_rate: f64,
    contribution_per_insured: f64,
    insured_by_year: &[f64],
    spend_by_year: &[f64],
) -> Result<FundBalances> {
    let mut balance = error::finite("opening fund balance", opening_balance)?;
    let rate = error::annual_rate("fund interest rate", interest_rate)?;
    error::non_negative("contribution per insured person", contribution_per_insured)?;
    error::each("insured persons by year", insured_by_year, error::non_negative)?;
    error::same_length("fund spend by year", insured_by_year.len(), spend_by_year.len())?;
    error::each("fund spend by year", spend_by_year, error::non_negative)?;
    let revenue_by_year: Vec<f64> = insured_by_year.iter().map(|insured| contribution_per_insured * insured).collect();
    let mut balance_by_year = Vec::with_capacity(revenue_by_year.len());
    for (revenue, spend) in revenue_by_year.iter().zip(spend_by_year) {
        balance = balance * (1.0 + rate) + revenue - spend;
        balance_by_year.push(balance);
    }
    let years_with_negative_balance =
        balance_by_year.iter().enumerate().filter(|(_, balance)| **balance < 0.0).map(|(index, _)| index + 1).collect();
    Ok(FundBalances { revenue_by_year, balance_by_year, years_with_negative_balance })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    const INSURED_2024: f64 = 1_326.62e6;

    /// DOMAIN.md §5.4 (n): 2 CNY × 1,326.62 million insured = 2.653 billion CNY/yr (compared at
    /// DOMAIN's rounding to the million; exact value 2,653.24 M to 1e-9 relative); the fund
    /// paying 40 % of 1.2 M (480,000) finances 5,527.6 patients (to one decimal), i.e. 5,527
    /// whole patients (exact).
    #[test]
    fn domain_special_fund_capacity() {
        let revenue = per_capita_revenue(2.0, INSURED_2024).expect("valid");
        assert_relative_eq!(revenue, 2_653.24e6, max_relative = WORKED_EXAMPLE);
        assert_eq!((revenue / 1e6).round(), 2_653.0);
        let fund_cost = 0.4 * 1_200_000.0;
        let capacity = fund_capacity_patients(revenue, fund_cost).expect("valid");
        assert_eq!((capacity * 10.0).round() / 10.0, 5_527.6);
        assert_eq!(fund_capacity_whole_patients(revenue, fund_cost).expect("valid"), 5_527);
        assert_eq!(fund_capacity_whole_patients(2_400_000.0, 480_000.0).expect("valid"), 5);
        assert_eq!(fund_capacity_whole_patients(0.3, 0.1).expect("valid"), 3);
    }

    /// Illustrative balance (DOMAIN gives the rule): revenue 2,653.24 M a year, interest 2 %,
    /// fund spend for 5,000, 5,600 and 6,100 patients at 480,000: balances 253.24 M,
    /// 253.24 × 1.02 + 2,653.24 − 2,688 = 223.5448 M, 223.5448 × 1.02 + 2,653.24 − 2,928 =
    /// −46.744304 M: year 3 goes negative (1e-9 relative).
    #[test]
    fn fund_balance_carries_over_with_interest() {
        let spend = [5_000.0 * 480_000.0, 5_600.0 * 480_000.0, 6_100.0 * 480_000.0];
        let f = special_fund_balances(0.0, 0.02, 2.0, &[INSURED_2024; 3], &spend).expect("valid");
        for (got, expected) in f.balance_by_year.iter().zip([253.24e6, 223.5448e6, -46.744304e6]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        assert_eq!(f.years_with_negative_balance, vec![3]);
        assert!(special_fund_balances(0.0, 0.02, 2.0, &[1.0], &[]).is_err());
        assert!(special_fund_balances(f64::NAN, 0.02, 2.0, &[1.0], &[1.0]).is_err());
        assert!(fund_capacity_patients(1.0, 0.0).is_err());
        assert!(fund_capacity_patients(f64::MAX, f64::MIN_POSITIVE).is_err());
    }
}
