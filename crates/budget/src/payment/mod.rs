//! Payment schemes: the algebra of who pays how much, and when (DOMAIN.md §5.3–5.4).
//!
//! Each scheme is a pure function of numbers: price, contract parameters and outcome
//! probabilities (computed by an engine from the model's own states and handed over as plain
//! data). Schemes compose in the order DOMAIN.md §5.4 gives: discount → instalments → outcome
//! condition → cohort convolution → cap → payer split.
//!
//! | §5.4 | scheme | module |
//! |---|---|---|
//! | a, b | upfront, unconditional instalments | [`instalment`] |
//! | c, d, f, g | outcome-conditioned instalments, deferred outcome payment, refund, PFS tiers | [`outcome`] |
//! | g' | cohort-level outcome contract (tiers on the cohort's realised rate) | [`cohort_contract`] |
//! | e | annuity (ordinary, due, outcome-contingent) | [`annuity`] |
//! | h | budget (expenditure) cap with rebate | [`caps`] |
//! | i | patient-number cap with free doses | [`volume`] |
//! | j | price–volume tiers and expenditure-triggered cuts | [`price_volume`] |
//! | k | confidential discount, delayed rebates, earmark | [`discount`] |
//! | l | payer shares and payer waterfall | [`payer`] |
//! | m | income-tiered co-payment | [`copay`] |
//! | n | special fund financed per capita | [`fund`] |
//! | o | DRG subgroups, who bears the gap | [`drg`] |
//!
//! Conventions shared by every module:
//! - Timing: τ = whole years after treatment, 0 = the treatment year; calendar years y = 1..Y.
//!   Events given in months are placed in τ by [`outcome::year_offset_of_event`] (start-of-year
//!   treatment unless stated).
//! - Per patient, then population: a [`Schedule`] holds the expected payment per treated
//!   patient by τ; [`Schedule::by_calendar_year`] convolves it with treated cohorts
//!   (`Σ_c n_c · pay(y − c)`) and reports what falls after the horizon. Caps, volume rules,
//!   price–volume tiers, rebates and funds act on these yearly aggregates, never per patient.
//! - BIA is undiscounted; CEA and the cohort view discount a payment at τ by `(1 + r)^(−τ)`.
//! - Inputs are checked: every function returns [`PaymentError`] naming the bad parameter rather
//!   than panicking; the few functions without `Result` are total and say so.
//!
//! ```
//! use hta_budget::payment::{expenditure_cap, instalments, CapPeriod, RebateTiming};
//!
//! // 20 % a year for 5 years, 100 patients treated a year (DOMAIN.md §5.4 b).
//! let pay = instalments(1_200_000.0, &[0.2; 5])?;
//! let by_year = pay.by_calendar_year(&[100.0; 5])?;
//! assert!((by_year.within_horizon_total() - 360.0e6).abs() < 1e-3);
//! assert!((by_year.committed_after_horizon() - 240.0e6).abs() < 1e-3);
//! // A 100 M cap on the payer's yearly spending, rebated in the same year.
//! let spend = &by_year.within_horizon_by_year;
//! let capped = expenditure_cap(spend, &[100.0e6; 5], CapPeriod::Annual, RebateTiming::SameYear)?;
//! assert!((capped.payer_spend_by_year[4] - 100.0e6).abs() < 1e-3);
//! # Ok::<(), hta_budget::payment::PaymentError>(())
//! ```

pub mod annuity;
pub mod caps;
pub mod cohort_contract;
pub mod copay;
pub mod discount;
pub mod drg;
pub mod error;
pub mod fund;
pub mod instalment;
pub mod outcome;
pub mod payer;
pub mod price_volume;
pub mod schedule;
pub mod tolerance;
pub mod volume;

pub use annuity::{
    annuity_nominal_total, annuity_payment, annuity_present_value, annuity_schedule,
    outcome_contingent_annuity_schedule, AnnuityTiming,
};
pub use caps::{expenditure_cap, CapPeriod, CappedSpending, RebateTiming};
pub use cohort_contract::{cohort_size, Between, CohortOutcomeContract, CohortOutcomeTerms, CohortTier, Settlement};
pub use copay::{copay_then_split, expected_copay, CopaySplit, IncomeTier};
pub use discount::{delayed_rebates, earmarked_discount, net_price, DelayedRebates, EarmarkedSplit};
pub use drg::{
    combined_adjustment_coefficient, drg_case_financing, drg_case_payment, expected_drg_case_payment, DrgCaseFinancing,
    DrgSubgroup,
};
pub use error::{PaymentError, Result};
pub use fund::{
    fund_capacity_patients, fund_capacity_whole_patients, per_capita_revenue, special_fund_balances, FundBalances,
};
pub use instalment::{equal_instalments, instalments, upfront};
pub use outcome::{
    chain_conditional_probabilities, deferred_outcome_payment, expected_net_price_after_refund,
    outcome_conditioned_instalments, outcome_refund, year_offset_of_event, PfsTier, PfsTieredPayment, TreatmentTiming,
};
pub use payer::{
    payer_waterfall, payer_waterfall_schedule, split_by_shares, split_schedule_by_shares, WaterfallLayer,
    WaterfallSchedules, WaterfallSplit,
};
pub use price_volume::{CutStep, ExpenditureTriggeredCuts, PeriodPrice, PriceVolumeTiers, VolumeTier};
pub use schedule::{CohortPayments, Schedule, MAX_OFFSET_YEARS};
pub use volume::{volume_cap_with_free_doses, volume_cap_with_free_doses_by_year, VolumeCapSplit};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::assert_all_close;

    /// Composition in DOMAIN.md §5.4's order, hand-computed: list 1.2 M at a 25 % discount →
    /// 900,000; 20 % instalments with q = 1, 0.9, 0.85, 0.8, 0.8 → 180,000, 162,000, 153,000,
    /// 144,000, 144,000; 100 treated a year → 18.0, 34.2, 49.5, 63.9, 78.3 M; a 60 M annual cap
    /// (same-year rebate) → payer 18.0, 34.2, 49.5, 60, 60 M, rebates 3.9 and 18.3 M; split
    /// 50/50 between two payers → 30 M each in year 5 (1e-9 relative).
    #[test]
    fn schemes_compose_discount_instalments_outcome_cap_split() {
        let price = net_price(1_200_000.0, 0.25).expect("valid");
        let pay = outcome_conditioned_instalments(price, &[0.2; 5], &[1.0, 0.9, 0.85, 0.8, 0.8]).expect("valid");
        assert_all_close(pay.amounts_by_offset(), &[180_000.0, 162_000.0, 153_000.0, 144_000.0, 144_000.0]);
        let by_year = pay.by_calendar_year(&[100.0; 5]).expect("valid");
        assert_all_close(&by_year.within_horizon_by_year, &[18.0e6, 34.2e6, 49.5e6, 63.9e6, 78.3e6]);
        let capped =
            expenditure_cap(&by_year.within_horizon_by_year, &[60.0e6; 5], CapPeriod::Annual, RebateTiming::SameYear)
                .expect("valid");
        assert_all_close(&capped.payer_spend_by_year, &[18.0e6, 34.2e6, 49.5e6, 60.0e6, 60.0e6]);
        assert_all_close(&capped.rebate_accrued_by_year[3..], &[3.9e6, 18.3e6]);
        let year_5 = split_by_shares(capped.payer_spend_by_year[4], &[0.5, 0.5]).expect("valid");
        assert_all_close(&year_5, &[30.0e6, 30.0e6]);
    }

    /// Linear steps commute: discounting the price before or after the instalments gives the
    /// same schedule, and splitting before or after convolution the same yearly amounts.
    #[test]
    fn linear_steps_commute() {
        let before = instalments(net_price(1_200_000.0, 0.25).expect("ok"), &[0.4, 0.6]).expect("ok");
        let after = instalments(1_200_000.0, &[0.4, 0.6]).expect("ok").scaled(0.75).expect("ok");
        assert_all_close(before.amounts_by_offset(), after.amounts_by_offset());
        let cohorts = [100.0, 50.0, 20.0];
        let split_first = split_schedule_by_shares(&before, &[0.4, 0.6]).expect("ok")[0]
            .by_calendar_year(&cohorts)
            .expect("ok")
            .within_horizon_by_year;
        let total = before.by_calendar_year(&cohorts).expect("ok").within_horizon_by_year;
        let split_after: Vec<f64> = total.iter().map(|amount| 0.4 * amount).collect();
        assert_all_close(&split_first, &split_after);
    }
}
