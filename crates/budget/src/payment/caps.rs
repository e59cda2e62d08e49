//! Budget (expenditure) cap with a manufacturer rebate (DOMAIN.md §5.4 h).
//!
//! ```text
//! annual:      Rebate_y = max(0, S_y − Cap_y),   Payer_y = min(S_y, Cap_y)   (same-year rebate)
//! cumulative:  Σ_{t ≤ y} Rebate_t = max(0, max_{t ≤ y} (Σ_{u ≤ t} S_u − Σ_{u ≤ t} Cap_u))
//! ```
//!
//! The cumulative cap applies to spending accumulated since the start of the period: unused
//! headroom of earlier years carries forward, the rebate of year y is the newly arising excess
//! (never negative: a rebate once due is not paid back), and cumulative payer spending never
//! exceeds the cumulative cap.
//!
//! Conventions: acts on aggregate calendar-year spending after cohort convolution (population
//! level), never per patient. Years are y = 1..Y (index y − 1). Who pays: the payer pays the gross
//! spend `S_y` and the manufacturer repays the rebate; with [`RebateTiming::FollowingYear`] the
//! rebate accrued in year y is received in year y + 1, so `Payer_y = S_y − Rebate_{y−1}` and the
//! last year's rebate is received after the horizon (reported, not dropped). Undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (h); expenditure caps in managed-entry agreements.

use super::error::{self, Result};

/// Whether the cap applies to each year's spending or to spending accumulated over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapPeriod {
    Annual,
    Cumulative,
}

/// When the payer receives a rebate accrued in year y (a contract parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebateTiming {
    SameYear,
    FollowingYear,
}

/// Spending under an expenditure cap, by calendar year (index y − 1).
#[derive(Debug, Clone, PartialEq)]
pub struct CappedSpending {
    /// Rebate arising from each year's spending.
    pub rebate_accrued_by_year: Vec<f64>,
    /// Rebate the payer receives in each year (the accrual shifted by the rebate timing).
    pub rebate_received_by_year: Vec<f64>,
    /// Net payer spending in each year, `S_y − rebate received in year y`.
    pub payer_spend_by_year: Vec<f64>,
    /// Rebate accrued within the horizon but received after it.
    pub rebate_received_after_horizon: f64,
}

/// Apply an expenditure cap to gross yearly spending `S_y` (finite) with caps `Cap_y` (finite,
/// ≥ 0, one per year).
pub fn expenditure_cap(
    gross_spend_by_year: &[f64],
    cap_by_year: &[f64],
    period: CapPeriod,
    timing: RebateTiming,
) -> Result<CappedSpending> {
    error::each("gross spend by year", gross_spend_by_year, error::finite)?;
    error::same_length("cap by year", gross_spend_by_year.len(), cap_by_year.len())?;
    error::each("cap by year", cap_by_year, error::non_negative)?;
    let rebate_accrued_by_year = match period {
        CapPeriod::Annual => annual_rebates(gross_spend_by_year, cap_by_year),
        CapPeriod::Cumulative => cumulative_rebates(gross_spend_by_year, cap_by_year),
    };
    let (rebate_received_by_year, rebate_received_after_horizon) = match timing {
        RebateTiming::SameYear => (rebate_accrued_by_year.clone(), 0.0),
        RebateTiming::FollowingYear => shifted_one_year(&rebate_accrued_by_year),
    };
    let payer_spend_by_year =
        gross_spend_by_year.iter().zip(&rebate_received_by_year).map(|(spend, rebate)| spend - rebate).collect();
    Ok(CappedSpending {
        rebate_accrued_by_year,
        rebate_received_by_year,
        payer_spend_by_year,
        rebate_received_after_horizon,
    })
}

fn annual_rebates(gross_spend_by_year: &[f64], cap_by_year: &[f64]) -> Vec<f64> {
    gross_spend_by_year.iter().zip(cap_by_year).map(|(spend, cap)| (spend - cap).max(0.0)).collect()
}

fn cumulative_rebates(gross_spend_by_year: &[f64], cap_by_year: &[f64]) -> Vec<f64> {
    let (mut cumulative_excess, mut rebated_so_far) = (0.0, 0.0);
    let mut rebates = Vec::with_capacity(gross_spend_by_year.len());
    for (spend, cap) in gross_spend_by_year.iter().zip(cap_by_year) {
        cumulative_excess += spend - cap;
        let rebate = (cumulative_excess - rebated_so_far).max(0.0);
        rebated_so_far += rebate;
        rebates.push(rebate);
    }
    rebates
}

/// Amounts received one year after they accrue: (received by year, received after the horizon).
pub(crate) fn shifted_one_year(accrued_by_year: &[f64]) -> (Vec<f64>, f64) {
    let mut received = vec![0.0; accrued_by_year.len()];
    let mut after_horizon = 0.0;
    for (year, &amount) in accrued_by_year.iter().enumerate() {
        match received.get_mut(year + 1) {
            Some(slot) => *slot += amount,
            None => after_horizon += amount,
        }
    }
    (received, after_horizon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    /// DOMAIN.md §5.4 (h): spend 120 M, cap 100 M → payer 100 M, rebate 20 M (exact).
    #[test]
    fn domain_budget_cap() {
        let r = expenditure_cap(&[120.0e6], &[100.0e6], CapPeriod::Annual, RebateTiming::SameYear).expect("valid");
        assert_eq!(r.payer_spend_by_year, vec![100.0e6]);
        assert_eq!(r.rebate_accrued_by_year, vec![20.0e6]);
        assert_eq!(r.rebate_received_after_horizon, 0.0);
    }

    /// Following-year rebates shift annual figures; cumulative caps carry headroom forward.
    /// Spend 80, 120, 130 M against 100 M a year: annual rebates 0, 20, 30; cumulative excess
    /// −20, 0, 30 → rebates 0, 0, 30 (exact).
    #[test]
    fn rebate_timing_and_cumulative_caps() {
        let spend = [80.0e6, 120.0e6, 130.0e6];
        let cap = [100.0e6; 3];
        let annual_next = expenditure_cap(&spend, &cap, CapPeriod::Annual, RebateTiming::FollowingYear).expect("ok");
        assert_eq!(annual_next.rebate_accrued_by_year, vec![0.0, 20.0e6, 30.0e6]);
        assert_eq!(annual_next.rebate_received_by_year, vec![0.0, 0.0, 20.0e6]);
        assert_eq!(annual_next.payer_spend_by_year, vec![80.0e6, 120.0e6, 110.0e6]);
        assert_eq!(annual_next.rebate_received_after_horizon, 30.0e6);
        let cumulative = expenditure_cap(&spend, &cap, CapPeriod::Cumulative, RebateTiming::SameYear).expect("ok");
        assert_eq!(cumulative.rebate_accrued_by_year, vec![0.0, 0.0, 30.0e6]);
        assert_eq!(cumulative.payer_spend_by_year, vec![80.0e6, 120.0e6, 100.0e6]);
        // A year under the cap after an excess does not give the rebate back.
        let back = expenditure_cap(&[150.0, 50.0], &[100.0, 100.0], CapPeriod::Cumulative, RebateTiming::SameYear)
            .expect("ok");
        assert_eq!(back.rebate_accrued_by_year, vec![50.0, 0.0]);
    }

    #[test]
    fn bad_cap_inputs_are_rejected() {
        assert!(expenditure_cap(&[1.0, 2.0], &[1.0], CapPeriod::Annual, RebateTiming::SameYear).is_err());
        assert!(expenditure_cap(&[1.0], &[-1.0], CapPeriod::Annual, RebateTiming::SameYear).is_err());
        assert!(expenditure_cap(&[f64::NAN], &[1.0], CapPeriod::Annual, RebateTiming::SameYear).is_err());
        let empty = expenditure_cap(&[], &[], CapPeriod::Cumulative, RebateTiming::FollowingYear).expect("ok");
        assert!(empty.payer_spend_by_year.is_empty());
    }

    proptest! {
        /// A cap never raises the payer's spending: in every year, in total (rebates received
        /// after the horizon included), and cumulative payer spending stays within the cumulative
        /// cap (same-year rebates); nothing accrued is lost by the timing.
        #[test]
        fn a_cap_never_raises_the_payers_spending(
            spend_and_cap in proptest::collection::vec((0f64..2e8, 0f64..2e8), 0..12),
            cumulative in proptest::bool::ANY,
            following_year in proptest::bool::ANY,
        ) {
            let (spend, cap): (Vec<f64>, Vec<f64>) = spend_and_cap.into_iter().unzip();
            let period = if cumulative { CapPeriod::Cumulative } else { CapPeriod::Annual };
            let timing = if following_year { RebateTiming::FollowingYear } else { RebateTiming::SameYear };
            let r = expenditure_cap(&spend, &cap, period, timing).expect("valid");
            for (payer, gross) in r.payer_spend_by_year.iter().zip(&spend) {
                prop_assert!(payer <= gross);
            }
            let accrued: f64 = r.rebate_accrued_by_year.iter().sum();
            let received: f64 = r.rebate_received_by_year.iter().sum::<f64>() + r.rebate_received_after_horizon;
            prop_assert!(accrued >= 0.0);
            prop_assert!((accrued - received).abs() <= WORKED_EXAMPLE * accrued.max(1.0));
            if !following_year {
                let (mut payer_so_far, mut cap_so_far) = (0.0, 0.0);
                for (payer, cap) in r.payer_spend_by_year.iter().zip(&cap) {
                    payer_so_far += payer;
                    cap_so_far += cap;
                    let limit = if cumulative { cap_so_far } else { *cap };
                    let value = if cumulative { payer_so_far } else { *payer };
                    prop_assert!(value <= limit + WORKED_EXAMPLE * limit.max(1.0));
                }
            }
        }
    }

    #[test]
    fn same_year_annual_cap_is_the_minimum() {
        let r =
            expenditure_cap(&[50.0, 150.0], &[100.0, 100.0], CapPeriod::Annual, RebateTiming::SameYear).expect("ok");
        assert_relative_eq!(r.payer_spend_by_year[0], 50.0_f64.min(100.0), max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(r.payer_spend_by_year[1], 100.0, max_relative = WORKED_EXAMPLE);
    }
}
