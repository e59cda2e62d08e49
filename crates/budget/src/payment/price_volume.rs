//! Price–volume agreements (DOMAIN.md §5.4 j).
//!
//! - Marginal tiers: patient k in a period is paid at the price of the tier containing k
//!   (1.2 M for patients 1–100, 1.0 M for 101–200, 0.8 M beyond): `spend = Σ_tiers price_t ·
//!   units in tier t`.
//! - All-units tiers: every unit is paid at the price of the tier containing the total volume
//!   (volume in `(bound_{t−1}, bound_t]`); spending jumps at the bounds, so one-way and PSA
//!   results may be discontinuous.
//! - Expenditure-triggered price cut (China NRDL renewal style): if actual fund spending S exceeds
//!   the forecast F by more than a set ratio, the next period's price is cut by a schedule:
//!   `P_next = P · (1 − cut(S/F))`, `cut` = the cut of the highest step whose ratio S/F exceeds.
//!   The NHSA schedule changes over time, so it is always an input.
//!
//! Conventions: acts on aggregate volume or spending per period after convolution (population
//! level), never per patient. Who pays: the payer pays the tiered spending; the cut lowers the
//! price the payer pays in the following period. Undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (j); NHSA NRDL renewal rules (schedule kept as input).

use super::error::{self, PaymentError, Result};

/// One price tier: units up to `up_to_volume` (inclusive, cumulative count in the period) cost
/// `unit_price` each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeTier {
    pub up_to_volume: f64,
    pub unit_price: f64,
}

/// Tiers with strictly increasing bounds (finite, ≥ 0) and a price beyond the last bound.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceVolumeTiers {
    tiers: Vec<VolumeTier>,
    unit_price_beyond_last_tier: f64,
}

impl PriceVolumeTiers {
    /// The same tiers with every price multiplied by `factor` (a price uncertainty draw).
    pub fn scaled(&self, factor: f64) -> Result<Self> {
        let tiers = self
            .tiers
            .iter()
            .map(|t| VolumeTier { up_to_volume: t.up_to_volume, unit_price: t.unit_price * factor })
            .collect();
        Self::new(tiers, self.unit_price_beyond_last_tier * factor)
    }

    pub fn new(tiers: Vec<VolumeTier>, unit_price_beyond_last_tier: f64) -> Result<Self> {
        let bounds: Vec<f64> = tiers.iter().map(|t| t.up_to_volume).collect();
        let prices: Vec<f64> = tiers.iter().map(|t| t.unit_price).collect();
        error::each("price-volume tier bounds", &bounds, error::non_negative)?;
        error::strictly_increasing("price-volume tier bounds", &bounds)?;
        error::each("price-volume tier prices", &prices, error::non_negative)?;
        error::non_negative("unit price beyond the last tier", unit_price_beyond_last_tier)?;
        Ok(Self { tiers, unit_price_beyond_last_tier })
    }

    /// Marginal tiers: each unit at the price of its own tier.
    pub fn marginal_spend(&self, volume: f64) -> Result<f64> {
        let volume = error::non_negative("volume (patients)", volume)?;
        let mut lower_bound = 0.0;
        let mut spend = 0.0;
        for tier in &self.tiers {
            spend += tier.unit_price * (volume.min(tier.up_to_volume) - lower_bound).max(0.0);
            lower_bound = tier.up_to_volume;
        }
        Ok(spend + self.unit_price_beyond_last_tier * (volume - lower_bound).max(0.0))
    }

    /// All-units tiers: the unit price of the tier containing `volume` (bound inclusive).
    pub fn all_units_unit_price(&self, volume: f64) -> Result<f64> {
        let volume = error::non_negative("volume (patients)", volume)?;
        let tier = self.tiers.iter().find(|tier| volume <= tier.up_to_volume);
        Ok(tier.map_or(self.unit_price_beyond_last_tier, |tier| tier.unit_price))
    }

    /// All-units tiers: `volume · unit price of its tier`.
    pub fn all_units_spend(&self, volume: f64) -> Result<f64> {
        Ok(volume * self.all_units_unit_price(volume)?)
    }
}

/// One step of an expenditure-triggered cut: if S/F > `spend_over_forecast_above`, the next
/// price is cut by `price_cut` (a fraction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutStep {
    pub spend_over_forecast_above: f64,
    pub price_cut: f64,
}

/// A schedule of cut steps with strictly increasing ratios (finite, ≥ 0) and cuts in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ExpenditureTriggeredCuts {
    steps: Vec<CutStep>,
}

/// One period of a price path under expenditure-triggered cuts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodPrice {
    pub unit_price: f64,
    /// `volume · unit_price`.
    pub spend: f64,
    pub spend_over_forecast: f64,
    /// Cut applied to the next period's price.
    pub price_cut_for_next_period: f64,
}

impl ExpenditureTriggeredCuts {
    pub fn new(steps: Vec<CutStep>) -> Result<Self> {
        let ratios: Vec<f64> = steps.iter().map(|s| s.spend_over_forecast_above).collect();
        let cuts: Vec<f64> = steps.iter().map(|s| s.price_cut).collect();
        error::each("cut schedule ratios S/F", &ratios, error::non_negative)?;
        error::strictly_increasing("cut schedule ratios S/F", &ratios)?;
        error::each("cut schedule price cuts", &cuts, error::unit_interval)?;
        Ok(Self { steps })
    }

    /// `cut(S/F)`: the cut of the highest step whose ratio is exceeded, 0 if none.
    pub fn price_cut(&self, spend_over_forecast: f64) -> Result<f64> {
        let ratio = error::non_negative("spend over forecast", spend_over_forecast)?;
        let step = self.steps.iter().rev().find(|step| ratio > step.spend_over_forecast_above);
        Ok(step.map_or(0.0, |step| step.price_cut))
    }

    /// `P_next = P · (1 − cut(S/F))`, with S ≥ 0 and F > 0.
    pub fn next_period_price(&self, unit_price: f64, actual_spend: f64, forecast_spend: f64) -> Result<f64> {
        let unit_price = error::non_negative("unit price", unit_price)?;
        let ratio = spend_over_forecast(actual_spend, forecast_spend)?;
        Ok(unit_price * (1.0 - self.price_cut(ratio)?))
    }

    /// Price path over periods when spending is volume × price: each period's S/F sets the cut
    /// applied to the next period's price (cuts compound).
    pub fn price_path(
        &self,
        initial_unit_price: f64,
        volume_by_period: &[f64],
        forecast_spend_by_period: &[f64],
    ) -> Result<Vec<PeriodPrice>> {
        let mut unit_price = error::non_negative("initial unit price", initial_unit_price)?;
        error::each("volume by period", volume_by_period, error::non_negative)?;
        error::same_length("forecast spend by period", volume_by_period.len(), forecast_spend_by_period.len())?;
        let mut path = Vec::with_capacity(volume_by_period.len());
        for (&volume, &forecast) in volume_by_period.iter().zip(forecast_spend_by_period) {
            let spend = volume * unit_price;
            let ratio = spend_over_forecast(spend, forecast)?;
            let cut = self.price_cut(ratio)?;
            path.push(PeriodPrice { unit_price, spend, spend_over_forecast: ratio, price_cut_for_next_period: cut });
            unit_price *= 1.0 - cut;
        }
        Ok(path)
    }
}

fn spend_over_forecast(actual_spend: f64, forecast_spend: f64) -> Result<f64> {
    let actual = error::non_negative("actual spend", actual_spend)?;
    let forecast = error::positive("forecast spend", forecast_spend)?;
    let ratio = actual / forecast;
    if ratio.is_finite() {
        Ok(ratio)
    } else {
        Err(PaymentError::InvalidValue {
            quantity: "spend over forecast".to_owned(),
            value: ratio,
            requirement: "finite (forecast too small for the spend)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;

    fn domain_tiers() -> PriceVolumeTiers {
        PriceVolumeTiers::new(
            vec![
                VolumeTier { up_to_volume: 100.0, unit_price: 1_200_000.0 },
                VolumeTier { up_to_volume: 200.0, unit_price: 1_000_000.0 },
            ],
            800_000.0,
        )
        .expect("valid")
    }

    /// DOMAIN.md §5.4 (j): marginal tiers, demand 250 → 120 + 100 + 40 = 260 M (average
    /// 1.04 M); all-units, volume > 200 → every unit 0.8 M → 200 M (1e-9 relative).
    #[test]
    fn domain_price_volume_tiers() {
        let tiers = domain_tiers();
        let marginal = tiers.marginal_spend(250.0).expect("valid");
        assert_relative_eq!(marginal, 260.0e6, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(marginal / 250.0, 1.04e6, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(tiers.all_units_spend(250.0).expect("valid"), 200.0e6, max_relative = WORKED_EXAMPLE);
        // The all-units discontinuity at the bound: 200 units at 1.0 M, 201 at 0.8 M.
        assert_relative_eq!(tiers.all_units_spend(200.0).expect("valid"), 200.0e6, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(tiers.all_units_spend(201.0).expect("valid"), 160.8e6, max_relative = WORKED_EXAMPLE);
        assert_relative_eq!(tiers.marginal_spend(50.0).expect("valid"), 60.0e6, max_relative = WORKED_EXAMPLE);
        assert_eq!(tiers.marginal_spend(0.0).expect("valid"), 0.0);
    }

    /// Illustrative schedule (DOMAIN gives none; it is an input): S/F > 1.1 → 5 %, > 1.3 →
    /// 10 %, > 1.5 → 15 %. P = 1.2 M: S/F = 1.3 → 5 % (1.14 M); 1.501 → 15 % (1.02 M).
    /// Path with volumes 100, 110, 90 and forecasts 100, 110, 110 M: spend 120 M (ratio 1.2,
    /// cut 5 %), 110 × 1.14 M = 125.4 M (1.14, 5 %), 90 × 1.083 M = 97.47 M (no cut).
    #[test]
    fn expenditure_triggered_cuts() {
        let cuts = ExpenditureTriggeredCuts::new(vec![
            CutStep { spend_over_forecast_above: 1.1, price_cut: 0.05 },
            CutStep { spend_over_forecast_above: 1.3, price_cut: 0.10 },
            CutStep { spend_over_forecast_above: 1.5, price_cut: 0.15 },
        ])
        .expect("valid");
        let next = cuts.next_period_price(1_200_000.0, 130.0e6, 100.0e6).expect("valid");
        assert_relative_eq!(next, 1_140_000.0, max_relative = WORKED_EXAMPLE);
        let next = cuts.next_period_price(1_200_000.0, 150.1e6, 100.0e6).expect("valid");
        assert_relative_eq!(next, 1_020_000.0, max_relative = WORKED_EXAMPLE);
        assert_eq!(cuts.next_period_price(1_200_000.0, 90.0e6, 100.0e6).expect("valid"), 1_200_000.0);
        let path = cuts.price_path(1_200_000.0, &[100.0, 110.0, 90.0], &[100.0e6, 110.0e6, 110.0e6]).expect("valid");
        let prices: Vec<f64> = path.iter().map(|p| p.unit_price).collect();
        let spends: Vec<f64> = path.iter().map(|p| p.spend).collect();
        for (got, expected) in prices.iter().zip([1_200_000.0, 1_140_000.0, 1_083_000.0]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        for (got, expected) in spends.iter().zip([120.0e6, 125.4e6, 97.47e6]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        assert_eq!(path[2].price_cut_for_next_period, 0.0);
    }

    #[test]
    fn bad_price_volume_inputs_are_rejected() {
        let tier = |up_to_volume, unit_price| VolumeTier { up_to_volume, unit_price };
        assert!(PriceVolumeTiers::new(vec![tier(200.0, 1.0), tier(100.0, 1.0)], 1.0).is_err());
        assert!(PriceVolumeTiers::new(vec![tier(100.0, -1.0)], 1.0).is_err());
        assert!(domain_tiers().marginal_spend(f64::NAN).is_err());
        let step = |spend_over_forecast_above, price_cut| CutStep { spend_over_forecast_above, price_cut };
        assert!(ExpenditureTriggeredCuts::new(vec![step(1.1, 1.5)]).is_err());
        let cuts = ExpenditureTriggeredCuts::new(vec![step(1.1, 0.1)]).expect("valid");
        assert!(cuts.next_period_price(1.0, 1.0, 0.0).is_err());
        assert!(cuts.next_period_price(1.0, 1e308, 1e-308).is_err());
        assert!(cuts.price_path(1.0, &[1.0], &[]).is_err());
    }

    proptest::proptest! {
        /// Marginal spending is non-decreasing in volume and between the lowest and highest
        /// unit price times the volume.
        #[test]
        fn marginal_spend_is_monotone(v in 0f64..1_000.0, extra in 0f64..100.0) {
            let tiers = domain_tiers();
            let low = tiers.marginal_spend(v).expect("valid");
            proptest::prop_assert!(tiers.marginal_spend(v + extra).expect("valid") >= low);
            proptest::prop_assert!(low <= 1.2e6 * v * (1.0 + 1e-12) && low >= 0.8e6 * v * (1.0 - 1e-12));
        }
    }
}
