//! The budget price solver: for each payment scheme of a budget impact analysis, the highest
//! list price per patient that meets the willingness-to-pay threshold (the model's acquisition
//! cost parameter at which the ICER equals it, turned into a list price through the scheme's
//! present value per unit of price) and the highest whose largest yearly net budget impact stays
//! within a cap (by bisection).

use hta_budget::impact::{scheme_impact, BudgetInputs, Scheme};
use hta_model::ParamId;

use crate::budget::BudgetAnalysis;
use crate::Error;

/// The highest prices of one scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemePrice {
    /// Index of the scheme in [`BudgetAnalysis::impacts`].
    pub scheme: usize,
    /// The scheme's present value per patient per unit of list price.
    pub present_value_per_unit: f64,
    /// The highest list price meeting the threshold (with a price parameter and a threshold).
    pub by_wtp: Option<f64>,
    /// The highest list price within the budget cap (with a cap).
    pub by_budget: Option<f64>,
}

impl SchemePrice {
    /// The highest price meeting both limits given, if any is.
    pub fn best(&self) -> Option<f64> {
        let best = [self.by_wtp, self.by_budget].into_iter().flatten().fold(f64::INFINITY, f64::min);
        best.is_finite().then_some(best)
    }
}

/// The price limits of every scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceLimits {
    /// The threshold used: the one given, else the model's first.
    pub wtp: Option<f64>,
    /// The model's acquisition-cost parameter, if named and found.
    pub price_param: Option<ParamId>,
    /// The value of the price parameter at which the ICER of the new option against the
    /// comparator equals `wtp` (`None` without both, or when no value in range gives it).
    pub acquisition_at_wtp: Option<f64>,
    pub budget_cap: Option<f64>,
    pub schemes: Vec<SchemePrice>,
}

/// Solves for the highest prices of each scheme of `analysis`: against `wtp` (or the model's
/// first threshold) through `price_param`, and against `budget_cap`.
pub fn solve_prices(
    analysis: &BudgetAnalysis,
    price_param: Option<&str>,
    wtp: Option<f64>,
    budget_cap: Option<f64>,
) -> Result<PriceLimits, Error> {
    let BudgetAnalysis { spec, loaded, inputs, impacts, new, comparator, .. } = analysis;
    let (new, comparator) = (*new, *comparator);
    let model = &loaded.model;
    let wtp = wtp.or_else(|| model.settings.thresholds.first().map(|t| t.value));
    let price_param = price_param.and_then(|n| model.param_by_name(n));
    let acquisition_at_wtp = match (wtp, price_param) {
        (Some(wtp), Some(param)) => {
            let evaluator = hta_sensitivity::Evaluator::new(model);
            let effect = |o: &hta_sensitivity::Outcome| o.effect(model.settings.effect);
            let inmb = |o: &[hta_sensitivity::Outcome]| {
                wtp * (effect(&o[new]) - effect(&o[comparator])) - (o[new].cost - o[comparator].cost)
            };
            match hta_sensitivity::threshold(&evaluator, param, (0.0, spec.price.max(1.0)), Some(1e15), 1e-9, &inmb) {
                Ok(hta_sensitivity::Threshold::Found { value, .. }) => Some(value),
                Ok(_) => None,
                Err(f) => return Err(Error::run(loaded, &f.errors)),
            }
        }
        _ => None,
    };
    let schemes = impacts
        .iter()
        .enumerate()
        .map(|(k, impact)| {
            // The scheme's present value per unit of list price (schedules are linear in it).
            let mut unit = impact.scheme.clone();
            unit.list_price = 1.0;
            let present_value_per_unit = hta_budget::impact::per_patient_schedule(&unit, inputs.timing)
                .and_then(|s| s.present_value(model.settings.discount.costs))
                .unwrap_or(f64::NAN);
            SchemePrice {
                scheme: k,
                present_value_per_unit,
                by_wtp: acquisition_at_wtp.map(|acquisition| acquisition / present_value_per_unit),
                by_budget: budget_cap.map(|cap| highest_price_within(inputs, &impact.scheme, cap)),
            }
        })
        .collect();
    Ok(PriceLimits { wtp, price_param, acquisition_at_wtp, budget_cap, schemes })
}

/// The highest list price whose largest yearly net budget impact is at most `cap`, by
/// bisection (the impact rises with the price); 0 if even a zero price exceeds the cap.
pub fn highest_price_within(inputs: &BudgetInputs, scheme: &Scheme, cap: f64) -> f64 {
    let peak = |price: f64| {
        let mut s = scheme.clone();
        s.list_price = price;
        scheme_impact(inputs, &s)
            .map(|i| i.years.iter().map(|y| y.net_impact).fold(f64::NEG_INFINITY, f64::max))
            .unwrap_or(f64::INFINITY)
    };
    if peak(0.0) > cap {
        return 0.0;
    }
    let mut high = scheme.list_price.max(1.0);
    while peak(high) <= cap && high < 1e15 {
        high *= 2.0;
    }
    let mut low = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (low + high);
        if peak(mid) <= cap {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}
