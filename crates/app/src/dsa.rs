//! The one-way sensitivity analysis: each parameter at its low and high value (from the model
//! file, or ±percent of its base value), the others at base, on an outcome; the bars sorted by
//! width, as a tornado shows them.

use hta_model::{Model, ParamId};
use hta_sensitivity::{Evaluator, Outcome};
use hta_spec::Loaded;

use crate::Error;

/// What a one-way analysis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Incremental net monetary benefit of a strategy against the reference, at a threshold.
    Inmb,
    /// Net monetary benefit of each strategy at a threshold.
    Nmb,
    /// Discounted total cost of each strategy.
    Cost,
    /// Discounted effect of each strategy.
    Effect,
    /// ICER of a strategy against the reference, with its quadrant.
    Icer,
}

/// The threshold given, or the model's first.
pub fn first_threshold(model: &Model, wtp: Option<f64>) -> Result<f64, Error> {
    wtp.or_else(|| model.settings.thresholds.first().map(|t| t.value))
        .ok_or_else(|| Error::Usage("the model has no willingness-to-pay threshold; give one with --wtp".into()))
}

/// The parameters a one-way analysis varies: those with low/high, plus ±percent for other
/// numeric parameters.
pub fn ranges(model: &Model, percent: Option<f64>) -> Vec<(ParamId, f64, f64)> {
    model
        .parameters
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match (p.uncertainty.low, p.uncertainty.high, percent, p.definition.expr.as_constant()) {
            (Some(low), Some(high), _, _) => Some((ParamId::new(i), low, high)),
            (_, _, Some(pct), Some(base)) if base != 0.0 => {
                let delta = base.abs() * pct / 100.0;
                Some((ParamId::new(i), base - delta, base + delta))
            }
            _ => None,
        })
        .collect()
}

/// One bar of a tornado.
pub struct Bar {
    pub param: String,
    pub low: f64,
    pub high: f64,
    pub comparison: String,
    pub at_low: f64,
    pub at_high: f64,
    pub label_low: String,
    pub label_high: String,
}

/// A one-way analysis: the bars, widest first, and the base-case value of each comparison.
pub struct Tornado {
    pub bars: Vec<Bar>,
    /// (comparison, value, quadrant label) at base values.
    pub base: Vec<(String, f64, String)>,
    /// The threshold of a net-benefit measure.
    pub wtp: Option<f64>,
}

/// Runs the one-way analysis of `measure`.
pub fn one_way(
    loaded: &Loaded,
    outcome: Measure,
    wtp: Option<f64>,
    range_percent: Option<f64>,
) -> Result<Tornado, Error> {
    let model = &loaded.model;
    let evaluator = Evaluator::new(model);
    let base = evaluator.evaluate(&[]).map_err(|e| Error::run(loaded, &e))?;
    let ranges = ranges(model, range_percent);
    if ranges.is_empty() {
        return Err(Error::Usage(
            "no parameter has `low` and `high`; add them to the model or use --range-percent".into(),
        ));
    }
    let rows = hta_sensitivity::one_way(&evaluator, &ranges).map_err(|f| {
        Error::run(loaded, &f.errors).with_context(format!(
            "error: with `{}` = {}:",
            model.parameters[f.param.index()].name,
            f.value
        ))
    })?;
    let wtp = match outcome {
        Measure::Inmb | Measure::Nmb => Some(first_threshold(model, wtp)?),
        _ => None,
    };
    let reference = model.settings.reference.index();
    let comparisons: Vec<usize> = match outcome {
        Measure::Inmb | Measure::Icer => (0..model.strategies.len()).filter(|&i| i != reference).collect(),
        _ => (0..model.strategies.len()).collect(),
    };
    let measure = |o: &[Outcome], s: usize| -> (f64, String) {
        let (c, e) = (o[s].cost, o[s].effect(model.settings.effect));
        let (rc, re) = (o[reference].cost, o[reference].effect(model.settings.effect));
        match outcome {
            Measure::Inmb => (wtp.unwrap_or(0.0) * (e - re) - (c - rc), String::new()),
            Measure::Nmb => (wtp.unwrap_or(0.0) * e - c, String::new()),
            Measure::Cost => (c, String::new()),
            Measure::Effect => (e, String::new()),
            Measure::Icer => {
                let q = hta_analysis::Quadrant::of(c - rc, e - re, rc, re);
                let icer = matches!(q, hta_analysis::Quadrant::NorthEast | hta_analysis::Quadrant::SouthWest);
                (if icer { (c - rc) / (e - re) } else { f64::NAN }, q.label().to_string())
            }
        }
    };
    let mut bars = Vec::new();
    for row in &rows {
        for &s in &comparisons {
            let (at_low, label_low) = measure(&row.at_low, s);
            let (at_high, label_high) = measure(&row.at_high, s);
            let comparison = match outcome {
                Measure::Inmb | Measure::Icer => {
                    format!("{} vs {}", model.strategies[s].name, model.strategies[reference].name)
                }
                _ => model.strategies[s].name.clone(),
            };
            let param = model.parameters[row.param.index()].name.clone();
            bars.push(Bar { param, low: row.low, high: row.high, comparison, at_low, at_high, label_low, label_high });
        }
    }
    let width = |b: &Bar| {
        let w = (b.at_high - b.at_low).abs();
        if w.is_nan() {
            f64::INFINITY
        } else {
            w
        }
    };
    bars.sort_by(|a, b| width(b).total_cmp(&width(a)).then(a.param.cmp(&b.param)));
    let base_values: Vec<(String, f64, String)> = comparisons
        .iter()
        .map(|&s| (model.strategies[s].name.clone(), measure(&base, s).0, measure(&base, s).1))
        .collect();
    Ok(Tornado { bars, base: base_values, wtp })
}
