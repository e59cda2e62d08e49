//! Per-patient amounts by year after treatment, and their cohort convolution into calendar years
//! (DOMAIN.md §5.3).
//!
//! A [`Schedule`] holds `pay(τ)`, the amount due per treated patient τ years after treatment
//! (τ = 0 is the treatment year), dense by τ. The same algebra serves expected care costs and
//! offsets per patient (`care_w(τ)` in §5.3), so the offsets example there is a schedule too.
//! Amounts may be negative (refunds, offsets).
//!
//! Conventions:
//! - Timing: τ counts whole budget years after treatment. With start-of-year treatment an event
//!   at t years after treatment falls in τ = ⌊t⌋ (see [`super::outcome::TreatmentTiming`]).
//! - BIA (undiscounted): cohorts `n_c` treated in calendar years c = 1..Y give, in year y,
//!   `Σ_{c ≤ y} n_c · pay(y − c)` ([`Schedule::by_calendar_year`]). Payments of those cohorts
//!   falling after year Y are reported as committed after the horizon, never dropped: otherwise a
//!   deferral looks like a saving (§5.3, "Horizon truncation").
//! - CEA and the cohort view (discounted): a payment at τ is worth `pay(τ)·(1 + r)^(−τ)` in the
//!   treatment year ([`Schedule::present_value`]); end-of-year and start-of-year payments differ
//!   only through the τ the scheme assigns to them.
//! - Who pays: a schedule is one payer's (or the total) amount; split it with
//!   [`super::payer`]. Caps and volume rules act on the calendar-year totals after convolution
//!   ([`super::caps`], [`super::volume`], [`super::price_volume`]), never per patient.
//!
//! Source: DOMAIN.md §5.3 and §5.4 (engine requirements); Sullivan et al., Value Health
//! 2014;17:5–14 (ISPOR BIA good practice).

use super::error::{self, PaymentError, Result};

/// The latest year offset a schedule may hold (τ ≤ 200). It bounds memory for dense vectors
/// and is far beyond any contract or BIA horizon.
pub const MAX_OFFSET_YEARS: usize = 200;

/// Per-patient amounts by year offset τ after treatment (index τ; zero beyond the end).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schedule {
    amounts_by_offset: Vec<f64>,
}

/// A schedule convolved with treated cohorts (undiscounted, BIA).
#[derive(Debug, Clone, PartialEq)]
pub struct CohortPayments {
    /// `Σ_{c ≤ y} n_c · pay(y − c)` for calendar years y = 1..Y (index y − 1).
    pub within_horizon_by_year: Vec<f64>,
    /// Amounts of the same cohorts falling in years Y + 1, Y + 2, ... (index 0 = year Y + 1):
    /// committed after the horizon.
    pub after_horizon_by_year: Vec<f64>,
}

fn offset_error(offset_years: usize) -> PaymentError {
    PaymentError::InvalidValue {
        quantity: "payment offset (years after treatment)".to_owned(),
        value: offset_years as f64,
        requirement: "at most MAX_OFFSET_YEARS = 200",
    }
}

/// Check that a payment may be placed τ = `offset_years` after treatment.
pub(crate) fn check_offset(offset_years: usize) -> Result<usize> {
    if offset_years <= MAX_OFFSET_YEARS {
        Ok(offset_years)
    } else {
        Err(offset_error(offset_years))
    }
}

impl Schedule {
    /// The schedule that pays nothing.
    pub fn none() -> Self {
        Self::default()
    }

    /// `pay(τ) = amounts[τ]`; every amount finite, at most `MAX_OFFSET_YEARS + 1` of them.
    pub fn from_amounts_by_offset(amounts_by_offset: Vec<f64>) -> Result<Self> {
        if let Some(last) = amounts_by_offset.len().checked_sub(1) {
            check_offset(last)?;
        }
        error::each("schedule amounts by offset", &amounts_by_offset, error::finite)?;
        Ok(Self { amounts_by_offset })
    }

    /// From (τ, amount) pairs in any order; amounts at the same τ add up.
    pub fn from_dated_amounts(dated_amounts: &[(usize, f64)]) -> Result<Self> {
        let mut schedule = Self::none();
        for &(offset_years, amount) in dated_amounts {
            schedule.add_at(offset_years, amount)?;
        }
        Ok(schedule)
    }

    /// One payment of `amount` at τ = `offset_years`.
    pub fn single_payment(offset_years: usize, amount: f64) -> Result<Self> {
        Self::from_dated_amounts(&[(offset_years, amount)])
    }

    /// Add `amount` at τ = `offset_years`, growing the schedule if needed.
    pub fn add_at(&mut self, offset_years: usize, amount: f64) -> Result<()> {
        check_offset(offset_years)?;
        error::finite("schedule amount", amount)?;
        if self.amounts_by_offset.len() <= offset_years {
            self.amounts_by_offset.resize(offset_years + 1, 0.0);
        }
        self.amounts_by_offset[offset_years] += amount;
        Ok(())
    }

    pub fn amounts_by_offset(&self) -> &[f64] {
        &self.amounts_by_offset
    }

    /// `pay(τ)`, zero beyond the last stored offset.
    pub fn amount_at(&self, offset_years: usize) -> f64 {
        self.amounts_by_offset.get(offset_years).copied().unwrap_or(0.0)
    }

    /// The non-zero payments as (τ, amount), in order of τ.
    pub fn dated_amounts(&self) -> Vec<(usize, f64)> {
        self.amounts_by_offset.iter().copied().enumerate().filter(|&(_, amount)| amount != 0.0).collect()
    }

    /// Number of stored offsets (last τ + 1).
    pub fn n_offsets(&self) -> usize {
        self.amounts_by_offset.len()
    }

    /// Nominal (undiscounted) total per patient, `Σ_τ pay(τ)`.
    pub fn total(&self) -> f64 {
        self.amounts_by_offset.iter().sum()
    }

    /// Present value in the treatment year, `Σ_τ pay(τ)·(1 + r)^(−τ)`, at an annual rate r > −1.
    pub fn present_value(&self, annual_discount_rate: f64) -> Result<f64> {
        let rate = error::annual_rate("annual discount rate", annual_discount_rate)?;
        Ok(self.amounts_by_offset.iter().enumerate().map(|(tau, amount)| amount * discount_factor(rate, tau)).sum())
    }

    /// `pay_self(τ) + pay_other(τ)` (total; both schedules already hold finite amounts).
    pub fn plus(&self, other: &Schedule) -> Schedule {
        self.combined_with(other, |a, b| a + b)
    }

    /// `pay_self(τ) − pay_other(τ)`, e.g. care without minus care with = offsets.
    pub fn minus(&self, other: &Schedule) -> Schedule {
        self.combined_with(other, |a, b| a - b)
    }

    fn combined_with(&self, other: &Schedule, op: fn(f64, f64) -> f64) -> Schedule {
        let n_offsets = self.n_offsets().max(other.n_offsets());
        let amounts_by_offset = (0..n_offsets).map(|tau| op(self.amount_at(tau), other.amount_at(tau))).collect();
        Schedule { amounts_by_offset }
    }

    /// Every amount times a finite `factor` (e.g. a price fraction or a payer share).
    pub fn scaled(&self, factor: f64) -> Result<Schedule> {
        let factor = error::finite("schedule scale factor", factor)?;
        Ok(self.mapped(|amount| amount * factor))
    }

    /// `pay(τ)·q_τ`, with `q_τ ∈ [0, 1]` the probability that the payment at τ is due (alive and
    /// outcome met at τ, from the model's states). `probability_by_offset` must cover every
    /// stored τ; values beyond are ignored (a model's q usually runs to its horizon).
    pub fn weighted_by_probability(&self, probability_by_offset: &[f64]) -> Result<Schedule> {
        error::at_least_length("outcome probabilities q by offset", self.n_offsets(), probability_by_offset.len())?;
        let q = &probability_by_offset[..self.n_offsets()];
        error::each("outcome probabilities q by offset", q, error::unit_interval)?;
        let amounts_by_offset = self.amounts_by_offset.iter().zip(q).map(|(amount, q)| amount * q).collect();
        Ok(Schedule { amounts_by_offset })
    }

    /// The same payments `years` later: `pay'(τ) = pay(τ − years)`.
    pub fn delayed(&self, years: usize) -> Result<Schedule> {
        if self.n_offsets() == 0 {
            return Ok(Schedule::none());
        }
        check_offset(self.n_offsets() - 1 + years.min(MAX_OFFSET_YEARS + 1))?;
        let mut amounts_by_offset = vec![0.0; years];
        amounts_by_offset.extend_from_slice(&self.amounts_by_offset);
        Ok(Schedule { amounts_by_offset })
    }

    /// Apply `f` to each amount (f must map finite to finite).
    pub(crate) fn mapped(&self, f: impl Fn(f64) -> f64) -> Schedule {
        Schedule { amounts_by_offset: self.amounts_by_offset.iter().map(|&amount| f(amount)).collect() }
    }

    /// Cohort convolution (BIA, undiscounted): for treated cohorts `n_c` in calendar years
    /// c = 1..Y (`patients_treated_by_year[c − 1]`, expected numbers, finite and ≥ 0), the amount
    /// in year y is `Σ_{c ≤ y} n_c · pay(y − c)`; Y = the number of cohorts given (pad with zeros
    /// for a longer horizon). Amounts of these cohorts after year Y come back separately.
    pub fn by_calendar_year(&self, patients_treated_by_year: &[f64]) -> Result<CohortPayments> {
        error::each("patients treated by year", patients_treated_by_year, error::non_negative)?;
        let horizon_years = patients_treated_by_year.len();
        let n_years = if horizon_years == 0 { 0 } else { horizon_years + self.n_offsets().saturating_sub(1) };
        let mut by_year = vec![0.0; n_years];
        for (cohort, &n_treated) in patients_treated_by_year.iter().enumerate() {
            for (tau, &amount) in self.amounts_by_offset.iter().enumerate() {
                by_year[cohort + tau] += n_treated * amount;
            }
        }
        let after_horizon_by_year = by_year.split_off(horizon_years);
        Ok(CohortPayments { within_horizon_by_year: by_year, after_horizon_by_year })
    }

    /// The cohort view (§5.3): expected total per treated cohort, `n_c · Σ_τ pay(τ)(1 + r)^(−τ)`,
    /// each discounted to its own treatment year at the stated annual rate.
    pub fn cohort_present_values(
        &self,
        patients_treated_by_year: &[f64],
        annual_discount_rate: f64,
    ) -> Result<Vec<f64>> {
        error::each("patients treated by year", patients_treated_by_year, error::non_negative)?;
        let per_patient = self.present_value(annual_discount_rate)?;
        Ok(patients_treated_by_year.iter().map(|n_treated| n_treated * per_patient).collect())
    }
}

/// `(1 + r)^(−τ)` for a checked rate r > −1 and τ ≤ `MAX_OFFSET_YEARS`.
pub(crate) fn discount_factor(annual_rate: f64, offset_years: usize) -> f64 {
    let exponent = i32::try_from(offset_years).unwrap_or(i32::MAX);
    (1.0 + annual_rate).powi(-exponent)
}

impl CohortPayments {
    /// `Σ_y` over years 1..Y.
    pub fn within_horizon_total(&self) -> f64 {
        self.within_horizon_by_year.iter().sum()
    }

    /// Payments for cohorts treated within the horizon that fall after year Y.
    pub fn committed_after_horizon(&self) -> f64 {
        self.after_horizon_by_year.iter().sum()
    }

    /// Running total over years 1..y, for the cumulative curve and the break-even year.
    pub fn cumulative_within_horizon(&self) -> Vec<f64> {
        self.within_horizon_by_year
            .iter()
            .scan(0.0, |running, amount| {
                *running += amount;
                Some(*running)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::assert_all_close;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    /// DOMAIN.md §5.3 offsets from occupancy: chronic care 200,000 CNY/yr while alive, start-of-year
    /// occupancy 1.00/0.95/0.90 without the therapy and 0.30/0.29/0.28 with it; offsets 140,000,
    /// 132,000, 124,000 per patient; 100 treated a year give 14.0, 27.2, 39.6 M (1e-9 relative).
    #[test]
    fn domain_offsets_from_occupancy() {
        let annual_cost = 200_000.0;
        let care = |occupancy: [f64; 3]| Schedule::from_amounts_by_offset(occupancy.map(|o| o * annual_cost).to_vec());
        let without = care([1.00, 0.95, 0.90]).expect("valid");
        let with = care([0.30, 0.29, 0.28]).expect("valid");
        let offsets = without.minus(&with);
        assert_all_close(offsets.amounts_by_offset(), &[140_000.0, 132_000.0, 124_000.0]);
        let by_year = offsets.by_calendar_year(&[100.0, 100.0, 100.0]).expect("valid");
        assert_all_close(&by_year.within_horizon_by_year, &[14.0e6, 27.2e6, 39.6e6]);
        // Cohorts 2 and 3 still have offsets in years 4 and 5 (beyond the example's horizon).
        assert_all_close(&by_year.after_horizon_by_year, &[25.6e6, 12.4e6]);
    }

    #[test]
    fn dated_amounts_add_up_and_round_trip() {
        let s = Schedule::from_dated_amounts(&[(3, 10.0), (0, 5.0), (3, 2.5)]).expect("valid");
        assert_eq!(s.amounts_by_offset(), &[5.0, 0.0, 0.0, 12.5]);
        assert_eq!(s.dated_amounts(), vec![(0, 5.0), (3, 12.5)]);
        assert_eq!(s.amount_at(99), 0.0);
        assert_eq!(s.delayed(2).expect("valid").amounts_by_offset(), &[0.0, 0.0, 5.0, 0.0, 0.0, 12.5]);
        assert_eq!(s.cohort_present_values(&[2.0, 0.0], 0.0).expect("valid"), vec![35.0, 0.0]);
        assert_eq!(s.by_calendar_year(&[1.0, 1.0]).expect("valid").cumulative_within_horizon(), vec![5.0, 10.0]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(Schedule::single_payment(MAX_OFFSET_YEARS + 1, 1.0).is_err());
        assert!(Schedule::single_payment(usize::MAX, 1.0).is_err());
        assert!(Schedule::single_payment(0, f64::INFINITY).is_err());
        assert!(Schedule::from_amounts_by_offset(vec![0.0; MAX_OFFSET_YEARS + 2]).is_err());
        let s = Schedule::single_payment(MAX_OFFSET_YEARS, 1.0).expect("valid");
        assert!(s.delayed(1).is_err());
        assert!(s.delayed(usize::MAX).is_err());
        assert!(s.present_value(-1.0).is_err());
        assert!(s.present_value(f64::NAN).is_err());
        assert!(s.by_calendar_year(&[-1.0]).is_err());
        assert!(s.weighted_by_probability(&[1.0]).is_err());
        assert!(s.scaled(f64::NAN).is_err());
        let empty = Schedule::none().by_calendar_year(&[]).expect("valid");
        assert!(empty.within_horizon_by_year.is_empty() && empty.after_horizon_by_year.is_empty());
    }

    /// Oracle: the convolution against a naive double loop over calendar years.
    #[test]
    fn convolution_matches_a_naive_loop() {
        let s = Schedule::from_amounts_by_offset(vec![3.0, -1.0, 0.5, 2.0]).expect("valid");
        let n = [10.0, 0.0, 7.0, 1.5, 2.0];
        let got = s.by_calendar_year(&n).expect("valid");
        for year in 1..=8usize {
            let expected: f64 = (1..=n.len().min(year)).map(|c| n[c - 1] * s.amount_at(year - c)).sum();
            let got = if year <= n.len() {
                got.within_horizon_by_year[year - 1]
            } else {
                got.after_horizon_by_year[year - 6]
            };
            assert_relative_eq!(got, expected, max_relative = WORKED_EXAMPLE);
        }
    }

    proptest! {
        /// Zero patients give zero payments, within and after the horizon.
        #[test]
        fn zero_patients_give_zero_payments(
            amounts in proptest::collection::vec(-1e7f64..1e7, 0..12),
            horizon in 0usize..15,
        ) {
            let s = Schedule::from_amounts_by_offset(amounts).expect("valid");
            let got = s.by_calendar_year(&vec![0.0; horizon]).expect("valid");
            prop_assert!(got.within_horizon_by_year.iter().chain(&got.after_horizon_by_year).all(|&x| x == 0.0));
            prop_assert_eq!(got.within_horizon_by_year.len(), horizon);
        }

        /// Nothing is lost at the horizon: within + after = per-patient total × patients treated.
        #[test]
        fn convolution_conserves_the_total(
            amounts in proptest::collection::vec(0f64..1e7, 0..12),
            n in proptest::collection::vec(0f64..1e3, 0..15),
        ) {
            let s = Schedule::from_amounts_by_offset(amounts).expect("valid");
            let got = s.by_calendar_year(&n).expect("valid");
            let expected = s.total() * n.iter().sum::<f64>();
            let sum = got.within_horizon_total() + got.committed_after_horizon();
            prop_assert!((sum - expected).abs() <= WORKED_EXAMPLE * expected.abs().max(1.0));
        }

        /// A higher discount rate never raises the present value of non-negative payments, and a
        /// zero rate gives the nominal total.
        #[test]
        fn present_value_falls_with_the_rate(
            amounts in proptest::collection::vec(0f64..1e7, 0..12),
            r in 0f64..0.2,
            extra in 0f64..0.2,
        ) {
            let s = Schedule::from_amounts_by_offset(amounts).expect("valid");
            let low = s.present_value(r).expect("valid");
            prop_assert!(s.present_value(r + extra).expect("valid") <= low * (1.0 + 1e-12));
            let undiscounted = s.present_value(0.0).expect("valid");
            prop_assert!((undiscounted - s.total()).abs() <= WORKED_EXAMPLE * s.total().max(1.0));
        }
    }
}
