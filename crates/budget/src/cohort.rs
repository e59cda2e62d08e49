//! Per-patient amounts by calendar year since treatment (DOMAIN.md §5.3). The convolution with
//! treated cohorts is [`crate::payment::Schedule::by_calendar_year`].
//!
//! Per-patient yearly amounts come from the cost-effectiveness model (undiscounted costs by
//! cycle aggregated to years since treatment). With mid-year treatment the patient's first model
//! year straddles two calendar years: calendar τ gets half of model year τ and half of model year
//! τ − 1 (one-off costs at treatment stay in τ = 0).

/// When in the calendar year patients are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatmentTiming {
    StartOfYear,
    MidYear,
}

/// Per-patient amounts by calendar year since treatment, from amounts by model year (index 0 =
/// first year after treatment) and the one-off amount at treatment.
pub fn calendar_years(one_off: f64, model_years: &[f64], timing: TreatmentTiming, years: usize) -> Vec<f64> {
    (0..years)
        .map(|tau| {
            let at = |i: usize| model_years.get(i).copied().unwrap_or(0.0);
            let recurring = match timing {
                TreatmentTiming::StartOfYear => at(tau),
                TreatmentTiming::MidYear if tau == 0 => 0.5 * at(0),
                TreatmentTiming::MidYear => 0.5 * at(tau) + 0.5 * at(tau - 1),
            };
            recurring + if tau == 0 { one_off } else { 0.0 }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_year_splits_the_first_year() {
        let c = calendar_years(1000.0, &[100.0, 50.0], TreatmentTiming::MidYear, 3);
        assert_eq!(c, vec![1050.0, 75.0, 25.0]);
        let s = calendar_years(1000.0, &[100.0, 50.0], TreatmentTiming::StartOfYear, 3);
        assert_eq!(s, vec![1100.0, 50.0, 0.0]);
    }
}
