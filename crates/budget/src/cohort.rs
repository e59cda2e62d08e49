//! Cohort convolution (DOMAIN.md §5.3): what patients treated in calendar year c cost in each
//! later year y, from per-patient amounts by year since treatment τ = y − c.
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

/// Σ_{c ≤ y} n_c · amount(y − c) for calendar years 1..=Y (`treated[c-1]` = n_c).
pub fn convolve(treated: &[f64], per_patient: &[f64]) -> Vec<f64> {
    (0..treated.len())
        .map(|y| (0..=y).map(|c| treated[c] * per_patient.get(y - c).copied().unwrap_or(0.0)).sum())
        .collect()
}

/// Amounts for patients treated within the horizon that fall after it: Σ_c n_c Σ_{τ > Y − c} amount(τ).
pub fn after_horizon(treated: &[f64], per_patient: &[f64]) -> f64 {
    let y = treated.len();
    treated.iter().enumerate().map(|(c, n)| n * per_patient.iter().skip(y - c).sum::<f64>()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DOMAIN.md §5.3: offsets 140,000; 132,000; 124,000 per patient, 100 treated a year ->
    /// 14.0 M, 27.2 M, 39.6 M.
    #[test]
    fn offsets_from_occupancy() {
        let without: Vec<f64> = [1.00, 0.95, 0.90].iter().map(|o| o * 200_000.0).collect();
        let with: Vec<f64> = [0.30, 0.29, 0.28].iter().map(|o| o * 200_000.0).collect();
        let offset: Vec<f64> = without.iter().zip(&with).map(|(a, b)| a - b).collect();
        let total = convolve(&[100.0, 100.0, 100.0], &offset);
        for (got, want) in total.iter().zip([14.0e6, 27.2e6, 39.6e6]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn mid_year_splits_the_first_year() {
        let c = calendar_years(1000.0, &[100.0, 50.0], TreatmentTiming::MidYear, 3);
        assert_eq!(c, vec![1050.0, 75.0, 25.0]);
        let s = calendar_years(1000.0, &[100.0, 50.0], TreatmentTiming::StartOfYear, 3);
        assert_eq!(s, vec![1100.0, 50.0, 0.0]);
    }

    #[test]
    fn committed_after_horizon() {
        // Instalments 20% x 5 of 1.2 M, 100 a year for 5 years: 240 M still owed after year 5.
        let pay = vec![240_000.0; 5];
        let n = vec![100.0; 5];
        assert!((after_horizon(&n, &pay) - 240e6).abs() < 1e-6);
        let by_year = convolve(&n, &pay);
        assert!((by_year[4] - 120e6).abs() < 1e-6);
    }
}
