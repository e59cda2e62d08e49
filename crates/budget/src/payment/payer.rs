//! Multi-payer split: simple shares and the layered payer waterfall (DOMAIN.md §5.4 l).
//!
//! Simple shares: `amount_p = share_p · amount`, shares summing to 1 (e.g. basic medical
//! insurance 40 %, commercial insurance 40 %, manufacturer 20 %; the manufacturer's share is
//! economically a discount).
//!
//! Waterfall: layers applied in the order given, each to what the previous ones left:
//!
//! ```text
//! eligible_L = remaining × in-scope fraction_L
//! paid_L     = min(cap_L, max(0, eligible_L − deductible_L) × rate_L)
//! remaining  = remaining − paid_L            (the patient pays the final remainder)
//! ```
//!
//! e.g. basic medical insurance → critical-illness insurance → city commercial "Huiminbao" plan
//! → medical assistance → patient. Order changes the result, so it is configuration.
//!
//! Conventions: amounts are per patient. For a [`Schedule`], the waterfall is applied to each
//! year's payment separately (deductibles and caps are annual per patient, as benefit rules
//! are), then each payer's schedule is convolved with the cohorts; simple shares are linear and
//! may be applied before or after convolution. Undiscounted (BIA); the CEA (health-system
//! perspective) uses the total, not the split.
//!
//! Source: DOMAIN.md §5.4 (l); Chinese multi-tier medical security (basic medical insurance,
//! critical-illness insurance, medical assistance, Huiminbao).

use super::error::{self, Result};
use super::schedule::Schedule;

/// `share_p · amount` for each payer; `amount` finite (negative for refunds), shares in [0, 1]
/// summing to 1.
pub fn split_by_shares(amount: f64, payer_shares: &[f64]) -> Result<Vec<f64>> {
    let amount = error::finite("amount to split", amount)?;
    error::fractions_summing_to_one("payer shares", payer_shares)?;
    Ok(payer_shares.iter().map(|share| share * amount).collect())
}

/// One schedule per payer, `share_p · pay(τ)`.
pub fn split_schedule_by_shares(schedule: &Schedule, payer_shares: &[f64]) -> Result<Vec<Schedule>> {
    error::fractions_summing_to_one("payer shares", payer_shares)?;
    Ok(payer_shares.iter().map(|&share| schedule.mapped(|amount| share * amount)).collect())
}

/// One layer of a payer waterfall.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallLayer {
    /// Payer name, for messages and reports.
    pub name: String,
    /// Share of the remaining amount within this payer's benefit scope, in [0, 1].
    pub in_scope_fraction: f64,
    /// Deductible (≥ 0) subtracted from the eligible amount.
    pub deductible: f64,
    /// Reimbursement rate in [0, 1] above the deductible.
    pub rate: f64,
    /// Maximum paid by this layer (≥ 0); `None` = no cap.
    pub cap: Option<f64>,
}

impl WaterfallLayer {
    fn check(&self) -> Result<()> {
        let name = |field: &str| format!("waterfall layer '{}' {field}", self.name);
        error::unit_interval(&name("in-scope fraction"), self.in_scope_fraction)?;
        error::non_negative(&name("deductible"), self.deductible)?;
        error::unit_interval(&name("rate"), self.rate)?;
        if let Some(cap) = self.cap {
            error::non_negative(&name("cap"), cap)?;
        }
        Ok(())
    }

    /// `min(cap, max(0, remaining × in-scope − deductible) × rate)`.
    fn pays(&self, remaining: f64) -> f64 {
        let eligible = remaining * self.in_scope_fraction;
        let paid = (eligible - self.deductible).max(0.0) * self.rate;
        self.cap.map_or(paid, |cap| paid.min(cap))
    }
}

/// What each layer pays, in layer order, and the patient's remainder.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallSplit {
    pub paid_by_layer: Vec<f64>,
    pub patient_pays: f64,
}

/// Apply the layers in order to an amount (finite, ≥ 0).
pub fn payer_waterfall(amount: f64, layers: &[WaterfallLayer]) -> Result<WaterfallSplit> {
    let amount = error::non_negative("amount entering the payer waterfall", amount)?;
    layers.iter().try_for_each(WaterfallLayer::check)?;
    Ok(apply_layers(amount, layers))
}

fn apply_layers(amount: f64, layers: &[WaterfallLayer]) -> WaterfallSplit {
    let mut remaining = amount;
    let paid_by_layer = layers
        .iter()
        .map(|layer| {
            let paid = layer.pays(remaining);
            remaining -= paid;
            paid
        })
        .collect();
    WaterfallSplit { paid_by_layer, patient_pays: remaining }
}

/// A payer waterfall applied to a schedule: one schedule per layer and the patient's.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallSchedules {
    pub by_layer: Vec<Schedule>,
    pub patient: Schedule,
}

/// The waterfall applied to each year's payment `pay(τ)` (every amount ≥ 0: net a refund against
/// its payment first).
pub fn payer_waterfall_schedule(schedule: &Schedule, layers: &[WaterfallLayer]) -> Result<WaterfallSchedules> {
    error::each("payments entering the payer waterfall by offset", schedule.amounts_by_offset(), error::non_negative)?;
    layers.iter().try_for_each(WaterfallLayer::check)?;
    let splits: Vec<WaterfallSplit> =
        schedule.amounts_by_offset().iter().map(|&amount| apply_layers(amount, layers)).collect();
    let column = |layer: usize| splits.iter().map(|split| split.paid_by_layer[layer]).collect();
    let by_layer =
        (0..layers.len()).map(|layer| Schedule::from_amounts_by_offset(column(layer))).collect::<Result<_>>()?;
    let patient = Schedule::from_amounts_by_offset(splits.iter().map(|split| split.patient_pays).collect())?;
    Ok(WaterfallSchedules { by_layer, patient })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::tolerance::WORKED_EXAMPLE;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const PRICE: f64 = 1_200_000.0;

    fn layer(name: &str, in_scope_fraction: f64, deductible: f64, rate: f64, cap: Option<f64>) -> WaterfallLayer {
        WaterfallLayer { name: name.to_owned(), in_scope_fraction, deductible, rate, cap }
    }

    /// DOMAIN.md §5.4 (l): shares 40/40/20 → 480,000 / 480,000 / 240,000 (1e-9 relative).
    #[test]
    fn domain_simple_shares() {
        let split = split_by_shares(PRICE, &[0.4, 0.4, 0.2]).expect("valid");
        for (got, expected) in split.iter().zip([480_000.0, 480_000.0, 240_000.0]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        let e = split_by_shares(PRICE, &[0.4, 0.4]).expect_err("sum 0.8");
        assert!(e.to_string().contains("payer shares sum to 0.8"), "{e}");
    }

    /// Illustrative waterfall (DOMAIN gives the rule, not numbers), hand-computed on 1.2 M:
    /// basic insurance: in scope 100 %, deductible 20,000, rate 60 %, cap 400,000 →
    ///   min(400,000, 1,180,000 × 0.6 = 708,000) = 400,000; 800,000 left;
    /// critical illness: 100 %, 15,000, 60 %, no cap → 785,000 × 0.6 = 471,000; 329,000 left;
    /// Huiminbao: 80 % in scope, 20,000, 70 %, cap 1 M → (263,200 − 20,000) × 0.7 = 170,240;
    /// patient 158,760. Sum 1,200,000 (1e-9 relative).
    fn three_layers() -> Vec<WaterfallLayer> {
        vec![
            layer("basic medical insurance", 1.0, 20_000.0, 0.6, Some(400_000.0)),
            layer("critical-illness insurance", 1.0, 15_000.0, 0.6, None),
            layer("Huiminbao", 0.8, 20_000.0, 0.7, Some(1_000_000.0)),
        ]
    }

    #[test]
    fn waterfall_layers_in_order() {
        let split = payer_waterfall(PRICE, &three_layers()).expect("valid");
        for (got, expected) in split.paid_by_layer.iter().zip([400_000.0, 471_000.0, 170_240.0]) {
            assert_relative_eq!(*got, expected, max_relative = WORKED_EXAMPLE);
        }
        assert_relative_eq!(split.patient_pays, 158_760.0, max_relative = WORKED_EXAMPLE);
        // Order is configuration: Huiminbao first pays (960,000 − 20,000) × 0.7 = 658,000.
        let mut reordered = three_layers();
        reordered.rotate_right(1);
        let split = payer_waterfall(PRICE, &reordered).expect("valid");
        assert_relative_eq!(split.paid_by_layer[0], 658_000.0, max_relative = WORKED_EXAMPLE);
        // A deductible above the eligible amount leaves the layer at zero, not negative.
        let split = payer_waterfall(10_000.0, &three_layers()).expect("valid");
        assert_eq!(split.paid_by_layer, vec![0.0, 0.0, 0.0]);
        assert_eq!(split.patient_pays, 10_000.0);
    }

    #[test]
    fn waterfall_on_a_schedule_is_per_year() {
        let schedule = Schedule::from_amounts_by_offset(vec![PRICE, 10_000.0]).expect("valid");
        let w = payer_waterfall_schedule(&schedule, &three_layers()).expect("valid");
        assert_relative_eq!(w.by_layer[0].amount_at(0), 400_000.0, max_relative = WORKED_EXAMPLE);
        assert_eq!(w.by_layer[0].amount_at(1), 0.0);
        assert_eq!(w.patient.amount_at(1), 10_000.0);
        let refund = Schedule::from_amounts_by_offset(vec![PRICE, -1.0]).expect("valid");
        assert!(payer_waterfall_schedule(&refund, &three_layers()).is_err());
        let mut bad = three_layers();
        bad[1].rate = 1.5;
        let e = payer_waterfall(PRICE, &bad).expect_err("rate 1.5");
        assert_eq!(e.to_string(), "waterfall layer 'critical-illness insurance' rate is 1.5; it must be in [0, 1]");
        let shares = split_schedule_by_shares(&schedule, &[0.4, 0.4, 0.2]).expect("valid");
        assert_relative_eq!(shares[2].amount_at(0), 240_000.0, max_relative = WORKED_EXAMPLE);
    }

    fn arbitrary_layer() -> impl Strategy<Value = WaterfallLayer> {
        (0f64..=1.0, 0f64..1e5, 0f64..=1.0, proptest::option::of(0f64..1e6))
            .prop_map(|(scope, deductible, rate, cap)| layer("layer", scope, deductible, rate, cap))
    }

    proptest! {
        /// Payer shares sum to the total.
        #[test]
        fn payer_shares_sum_to_the_total(
            weights in proptest::collection::vec(0.01f64..1.0, 1..6), amount in -1e8f64..1e8,
        ) {
            let sum: f64 = weights.iter().sum();
            let shares: Vec<f64> = weights.iter().map(|w| w / sum).collect();
            let split = split_by_shares(amount, &shares).expect("valid");
            let total: f64 = split.iter().sum();
            prop_assert!((total - amount).abs() <= WORKED_EXAMPLE * amount.abs().max(1.0));
        }

        /// Waterfall layers plus the patient sum to the total; no layer pays a negative amount
        /// or more than its cap, and the patient's remainder is never negative.
        #[test]
        fn waterfall_layers_plus_patient_sum_to_the_total(
            layers in proptest::collection::vec(arbitrary_layer(), 0..6), amount in 0f64..1e7,
        ) {
            let split = payer_waterfall(amount, &layers).expect("valid");
            let total = split.paid_by_layer.iter().sum::<f64>() + split.patient_pays;
            prop_assert!((total - amount).abs() <= WORKED_EXAMPLE * amount.max(1.0));
            prop_assert!(split.patient_pays >= -WORKED_EXAMPLE * amount.max(1.0));
            for (paid, layer) in split.paid_by_layer.iter().zip(&layers) {
                prop_assert!(*paid >= 0.0 && *paid <= layer.cap.unwrap_or(f64::INFINITY));
            }
        }
    }
}
