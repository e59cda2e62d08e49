//! DRG case payment by subgroup with risk adjustment (DOMAIN.md §5.4 o).
//!
//! ```text
//! case payment_g            = base rate (CNY per weight point) × RW_g × k_g
//! k_g                       = product of adjustment coefficients (hospital level, risk/severity)
//! expected payment per case = Σ_g π_g · base rate · RW_g · k_g        (π_g summing to 1)
//! ```
//!
//! Who bears the gap: if the therapy price is inside the DRG bundle, the fund pays only the case
//! payment and the hospital bears `price + other case costs − case payment`; if it is paid
//! separately (new-drug exclusion, special-case review), the fund pays the case payment plus the
//! price and the hospital bears only `other case costs − case payment`. A negative gap is a
//! hospital surplus.
//!
//! Conventions: per admission, in the year of the admission (τ of the infusion for CAR-T);
//! undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (o); China CHS-DRG 2.0 (2024: 26 major diagnostic categories, 409 core
//! groups).

use super::error::{self, Result};

/// One DRG subgroup: share of cases π_g, relative weight RW_g and combined coefficient k_g.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrgSubgroup {
    pub share_of_cases: f64,
    pub relative_weight: f64,
    pub adjustment_coefficient: f64,
}

/// `k = Π coefficients` (each finite, ≥ 0; 1 for none).
pub fn combined_adjustment_coefficient(coefficients: &[f64]) -> Result<f64> {
    error::each("DRG adjustment coefficients", coefficients, error::non_negative)?;
    Ok(coefficients.iter().product())
}

/// `base rate × RW × k` (all finite, ≥ 0).
pub fn drg_case_payment(base_rate: f64, relative_weight: f64, adjustment_coefficient: f64) -> Result<f64> {
    let base_rate = error::non_negative("DRG base rate", base_rate)?;
    let weight = error::non_negative("DRG relative weight", relative_weight)?;
    Ok(base_rate * weight * error::non_negative("DRG adjustment coefficient", adjustment_coefficient)?)
}

/// `Σ_g π_g · base rate · RW_g · k_g`, shares summing to 1.
pub fn expected_drg_case_payment(base_rate: f64, subgroups: &[DrgSubgroup]) -> Result<f64> {
    let shares: Vec<f64> = subgroups.iter().map(|g| g.share_of_cases).collect();
    error::fractions_summing_to_one("DRG subgroup shares of cases", &shares)?;
    subgroups.iter().try_fold(0.0, |sum, g| {
        Ok(sum + g.share_of_cases * drg_case_payment(base_rate, g.relative_weight, g.adjustment_coefficient)?)
    })
}

/// Who pays what for one admission.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrgCaseFinancing {
    /// The fund's payment: the case payment, plus the price if paid outside the bundle.
    pub fund_pays: f64,
    /// Cost minus payment borne by the hospital (negative = surplus).
    pub hospital_gap: f64,
}

/// Split an admission between fund and hospital; `inside_bundle` says whether the therapy price
/// is inside the DRG bundle (then the hospital, not the fund, bears the gap for the price).
pub fn drg_case_financing(
    case_payment: f64,
    therapy_price: f64,
    other_case_costs: f64,
    inside_bundle: bool,
) -> Result<DrgCaseFinancing> {
    let case_payment = error::non_negative("DRG case payment", case_payment)?;
    let price = error::non_negative("therapy price", therapy_price)?;
    let other = error::non_negative("other case costs", other_case_costs)?;
    Ok(if inside_bundle {
        DrgCaseFinancing { fund_pays: case_payment, hospital_gap: price + other - case_payment }
    } else {
        DrgCaseFinancing { fund_pays: case_payment + price, hospital_gap: other - case_payment }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    /// DOMAIN.md §5.4 (o): base rate 12,000, RW 8.0 (no severe CRS, 80 %) or 12.0 (severe CRS,
    /// 20 %), coefficient 1.1 → 105,600 or 158,400; expected 116,160 per case (1e-9 relative).
    #[test]
    fn domain_drg_subgroups() {
        assert_relative_eq!(
            drg_case_payment(12_000.0, 8.0, 1.1).expect("ok"),
            105_600.0,
            max_relative = WORKED_EXAMPLE
        );
        assert_relative_eq!(
            drg_case_payment(12_000.0, 12.0, 1.1).expect("ok"),
            158_400.0,
            max_relative = WORKED_EXAMPLE
        );
        let subgroups = [
            DrgSubgroup { share_of_cases: 0.8, relative_weight: 8.0, adjustment_coefficient: 1.1 },
            DrgSubgroup { share_of_cases: 0.2, relative_weight: 12.0, adjustment_coefficient: 1.1 },
        ];
        let expected = expected_drg_case_payment(12_000.0, &subgroups).expect("valid");
        assert_relative_eq!(expected, 116_160.0, max_relative = WORKED_EXAMPLE);
    }

    /// Illustrative bundle split: price 1.2 M, other costs 100,000, case payment 116,160. Inside
    /// the bundle the fund pays 116,160 and the hospital bears 1,183,840; paid separately the
    /// fund pays 1,316,160 and the hospital's gap is −16,160 (a surplus) (1e-9 relative).
    #[test]
    fn who_bears_the_gap() {
        let inside = drg_case_financing(116_160.0, 1_200_000.0, 100_000.0, true).expect("valid");
        assert_relative_eq!(inside.fund_pays, 116_160.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(inside.hospital_gap, 1_183_840.0, max_relative = WORKED_EXAMPLE);
        let outside = drg_case_financing(116_160.0, 1_200_000.0, 100_000.0, false).expect("valid");
        assert_relative_eq!(outside.fund_pays, 1_316_160.0, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(outside.hospital_gap, -16_160.0, max_relative = WORKED_EXAMPLE);
        // Total cost of the case is the same either way.
        assert_relative_eq!(
            inside.fund_pays + inside.hospital_gap,
            outside.fund_pays + outside.hospital_gap,
            max_relative = WORKED_EXAMPLE
        );
        assert_relative_eq!(combined_adjustment_coefficient(&[1.1, 1.2]).expect("ok"), 1.32, max_relative = 1e-12);
        assert_eq!(combined_adjustment_coefficient(&[]).expect("ok"), 1.0);
        assert!(expected_drg_case_payment(12_000.0, &[]).is_err());
        assert!(drg_case_payment(f64::NAN, 8.0, 1.1).is_err());
        assert!(drg_case_financing(1.0, -1.0, 0.0, true).is_err());
    }
}
