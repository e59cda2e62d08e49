//! Income-tiered patient co-payment (DOMAIN.md §5.4 m).
//!
//! Tier weights w_g (share of patients, summing to 1), co-pay rates a_g and optional ceilings K_g:
//!
//! ```text
//! expected co-pay per patient = Σ_g w_g · min(a_g · base, K_g)
//! ```
//!
//! If the co-pay is taken first, the remainder `base − expected co-pay` is split between payers
//! by shares ([`copay_then_split`]).
//!
//! Conventions: per patient and per payment (apply to each year's `pay(τ)` and convolve, as for
//! the waterfall in [`super::payer`]); the base is usually the price or the year's payment. Who
//! pays: patients pay the co-pay, the payers the remainder in their shares. Undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (m).

use super::error::{self, Result};
use super::payer::split_by_shares;

/// One income tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncomeTier {
    /// Share of patients in the tier, w_g in [0, 1].
    pub share_of_patients: f64,
    /// Co-pay rate a_g in [0, 1] of the base.
    pub copay_rate: f64,
    /// Ceiling K_g (≥ 0) on the co-pay; `None` = none.
    pub copay_ceiling: Option<f64>,
}

impl IncomeTier {
    fn copay(&self, base: f64) -> f64 {
        let uncapped = self.copay_rate * base;
        self.copay_ceiling.map_or(uncapped, |ceiling| uncapped.min(ceiling))
    }
}

fn check_tiers(tiers: &[IncomeTier]) -> Result<()> {
    let weights: Vec<f64> = tiers.iter().map(|t| t.share_of_patients).collect();
    let rates: Vec<f64> = tiers.iter().map(|t| t.copay_rate).collect();
    let ceilings: Vec<f64> = tiers.iter().filter_map(|t| t.copay_ceiling).collect();
    error::fractions_summing_to_one("income tier shares of patients", &weights)?;
    error::each("income tier co-pay rates", &rates, error::unit_interval)?;
    error::each("income tier co-pay ceilings", &ceilings, error::non_negative)
}

/// `Σ_g w_g · min(a_g · base, K_g)` for a base amount (finite, ≥ 0).
pub fn expected_copay(base: f64, tiers: &[IncomeTier]) -> Result<f64> {
    let base = error::non_negative("co-pay base", base)?;
    check_tiers(tiers)?;
    Ok(tiers.iter().map(|tier| tier.share_of_patients * tier.copay(base)).sum())
}

/// Expected co-pay and the remainder split between payers.
#[derive(Debug, Clone, PartialEq)]
pub struct CopaySplit {
    pub expected_copay: f64,
    /// `share_p · (base − expected co-pay)`, in the order of the shares.
    pub payer_amounts: Vec<f64>,
}

/// Take the expected co-pay first, then split the remainder by payer shares (summing to 1).
pub fn copay_then_split(base: f64, tiers: &[IncomeTier], payer_shares: &[f64]) -> Result<CopaySplit> {
    let expected_copay = expected_copay(base, tiers)?;
    let payer_amounts = split_by_shares(base - expected_copay, payer_shares)?;
    Ok(CopaySplit { expected_copay, payer_amounts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::assert_all_close;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    const PRICE: f64 = 1_200_000.0;

    fn tiers(top_ceiling: Option<f64>) -> [IncomeTier; 3] {
        [
            IncomeTier { share_of_patients: 0.2, copay_rate: 0.05, copay_ceiling: None },
            IncomeTier { share_of_patients: 0.5, copay_rate: 0.10, copay_ceiling: None },
            IncomeTier { share_of_patients: 0.3, copay_rate: 0.20, copay_ceiling: top_ceiling },
        ]
    }

    /// DOMAIN.md §5.4 (m): 0.2·60,000 + 0.5·120,000 + 0.3·240,000 = 144,000; with a 100,000
    /// ceiling on the top tier 102,000; remainder split 40/40/20: 1,056,000 → 422,400 / 422,400
    /// / 211,200; with the ceiling 1,098,000 → 439,200 / 439,200 / 219,600 (1e-9 relative).
    #[test]
    fn domain_income_tiered_copay() {
        let uncapped = copay_then_split(PRICE, &tiers(None), &[0.4, 0.4, 0.2]).expect("valid");
        assert_relative_eq!(uncapped.expected_copay, 144_000.0, max_relative = WORKED_EXAMPLE);
        assert_all_close(&uncapped.payer_amounts, &[422_400.0, 422_400.0, 211_200.0]);
        let capped = copay_then_split(PRICE, &tiers(Some(100_000.0)), &[0.4, 0.4, 0.2]).expect("valid");
        assert_relative_eq!(capped.expected_copay, 102_000.0, max_relative = WORKED_EXAMPLE);
        assert_all_close(&capped.payer_amounts, &[439_200.0, 439_200.0, 219_600.0]);
    }

    #[test]
    fn bad_copay_inputs_are_rejected() {
        let mut bad = tiers(None);
        bad[0].share_of_patients = 0.1;
        let e = expected_copay(PRICE, &bad).expect_err("sum 0.9");
        assert!(e.to_string().contains("sum to 0.9"), "{e}");
        let mut bad = tiers(Some(-5.0));
        assert!(expected_copay(PRICE, &bad).is_err());
        bad[2].copay_ceiling = None;
        bad[1].copay_rate = f64::NAN;
        assert!(expected_copay(PRICE, &bad).is_err());
        assert!(expected_copay(-1.0, &tiers(None)).is_err());
        assert!(expected_copay(PRICE, &[]).is_err());
    }
}
