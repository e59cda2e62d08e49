//! The threshold analysis: the value of one parameter at which a strategy's ICER against a
//! comparator equals a willingness-to-pay threshold, or (against the best other strategy) where
//! it stops being optimal; searched by bisection with `hta_sensitivity::threshold`, and each value
//! found checked by running the model at it.

use hta_model::{Model, ParamId};
use hta_sensitivity::{Evaluator, Outcome, Threshold};
use hta_spec::Loaded;

use crate::Error;

/// What a strategy is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versus {
    /// The model's reference strategy.
    Reference,
    /// A strategy named in the model.
    Strategy(String),
    /// The best other strategy (highest net monetary benefit) at each threshold.
    Best,
}

/// The request.
#[derive(Debug, Clone)]
pub struct ThresholdRequest {
    pub param: String,
    /// The strategy searched for; `None` for the model's last.
    pub strategy: Option<String>,
    pub versus: Versus,
    /// Thresholds to search at; empty for the model's own (with their labels).
    pub wtp: Vec<f64>,
}

/// One end of the range over which a strategy is optimal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge {
    /// Where it stops being optimal.
    Found(f64),
    /// It is still optimal at this end of the range searched.
    SearchEnd(f64),
}

/// The result at one threshold.
#[derive(Debug, Clone, PartialEq)]
pub enum ThresholdOutcome {
    /// Against a comparator: the value, and the ICER of the model re-run at it.
    Icer { value: f64, icer: f64 },
    /// Against the best other strategy: the value, and the net benefit over the best other
    /// strategy of the model re-run at it.
    NetBenefit { value: f64, net_benefit: f64 },
    /// Against the best other strategy, optimal at the base value: the range around the base
    /// value over which it stays optimal.
    OptimalBetween { below: Edge, above: Edge },
    /// Against the best other strategy: no value found; whether it is optimal over the whole
    /// range searched (else never).
    AlwaysOrNever { optimal: bool },
    /// Against a comparator: no value found; the incremental net benefit at the two ends of
    /// the range searched (of one sign).
    NoSignChange { at_low: f64, at_high: f64 },
}

/// One threshold's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRow {
    /// The threshold's label in the model, or the number given.
    pub label: String,
    pub wtp: f64,
    pub outcome: ThresholdOutcome,
}

/// A threshold analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdAnalysis {
    pub param: ParamId,
    /// The parameter's base value (1 if it is not a number).
    pub base: f64,
    pub strategy: usize,
    /// `None`: the best other strategy.
    pub comparator: Option<usize>,
    /// The range searched: [0, 1] for a probability, else from min(low, 0) to the high value,
    /// the upper end doubling (to 1e15) until the sign changes.
    pub range: (f64, f64),
    pub rows: Vec<ThresholdRow>,
}

/// The strategy index named `name`, or a usage error listing the strategies.
pub fn strategy_index(model: &Model, name: &str) -> Result<usize, Error> {
    model.strategies.iter().position(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
        Error::Usage(format!("unknown strategy `{name}`; strategies: {}", names.join(", ")))
    })
}

/// Runs the threshold analysis of `request`.
pub fn threshold(loaded: &Loaded, request: &ThresholdRequest) -> Result<ThresholdAnalysis, Error> {
    let model = &loaded.model;
    let param = model
        .param_by_name(&request.param)
        .ok_or_else(|| Error::Usage(format!("unknown parameter `{}`", request.param)))?;
    let strategy = match &request.strategy {
        Some(name) => strategy_index(model, name)?,
        None => model.strategies.len() - 1,
    };
    let comparator = match &request.versus {
        Versus::Best => None,
        Versus::Strategy(name) => Some(strategy_index(model, name)?),
        Versus::Reference => Some(model.settings.reference.index()),
    };
    if comparator == Some(strategy) {
        return Err(Error::Usage("the strategy and its comparator are the same; use --strategy and --vs".into()));
    }
    let thresholds: Vec<(String, f64)> = if request.wtp.is_empty() {
        model.settings.thresholds.iter().map(|t| (t.label.clone(), t.value)).collect()
    } else {
        request.wtp.iter().map(|w| (format!("{w}"), *w)).collect()
    };
    if thresholds.is_empty() {
        return Err(Error::Usage("no threshold; give --wtp".into()));
    }
    let evaluator = Evaluator::new(model);
    let p = &model.parameters[param.index()];
    let base = p.definition.expr.as_constant().unwrap_or(1.0);
    // A probability (beta-distributed, or ranged within [0, 1]) is searched over [0, 1] only;
    // other parameters from min(low, 0), the upper end doubling until the sign changes.
    let probability = matches!(p.uncertainty.distribution, Some(hta_model::Distribution::Beta { .. }))
        || matches!((p.uncertainty.low, p.uncertainty.high), (Some(l), Some(h)) if l >= 0.0 && h <= 1.0);
    let bracket = match (p.uncertainty.low, p.uncertainty.high) {
        _ if probability => (0.0, 1.0),
        (Some(l), Some(h)) => (l.min(0.0), h),
        _ => (0.0, base.abs().max(1.0)),
    };
    let expand_to = (!probability).then_some(1e15);
    let effect = |o: &Outcome| o.effect(model.settings.effect);
    let run_error = |e: &hta_markov::RunErrors| Error::run(loaded, e);
    let mut rows = Vec::new();
    for (label, wtp) in thresholds {
        let nmb = |o: &Outcome| wtp * effect(o) - o.cost;
        // Net benefit over the comparator (or over the best other strategy).
        let inmb = |o: &[Outcome]| match comparator {
            Some(c) => nmb(&o[strategy]) - nmb(&o[c]),
            None => {
                let best =
                    (0..o.len()).filter(|&j| j != strategy).map(|j| nmb(&o[j])).fold(f64::NEG_INFINITY, f64::max);
                nmb(&o[strategy]) - best
            }
        };
        let solve = |range: (f64, f64), expand: Option<f64>| {
            hta_sensitivity::threshold(&evaluator, param, range, expand, 1e-9, &inmb)
                .map_err(|f| run_error(&f.errors).with_context(format!("error: with `{}` = {}:", p.name, f.value)))
        };
        let row = |outcome| ThresholdRow { label: label.clone(), wtp, outcome };
        if comparator.is_none() {
            // Optimal at the base value: search down and up from it for where that stops (the
            // net benefit gap need not be monotone, e.g. in a prevalence).
            let base_outcomes = evaluator.evaluate(&[]).map_err(|e| run_error(&e))?;
            if inmb(&base_outcomes) > 0.0 && base > bracket.0 {
                let edge = |t: Threshold, end: f64| match t {
                    Threshold::Found { value, .. } => Edge::Found(value),
                    Threshold::NotInRange { .. } => Edge::SearchEnd(end),
                };
                let below = edge(solve((bracket.0, base), None)?, bracket.0);
                let upper_end = if probability { 1.0 } else { bracket.1.max(base) };
                let above = edge(solve((base, upper_end), expand_to)?, upper_end);
                rows.push(row(ThresholdOutcome::OptimalBetween { below, above }));
                continue;
            }
        }
        let outcome = match solve(bracket, expand_to)? {
            Threshold::Found { value, .. } => {
                let check = evaluator.evaluate(&[(param, value)]).map_err(|e| run_error(&e))?;
                match comparator {
                    None => ThresholdOutcome::NetBenefit { value, net_benefit: inmb(&check) },
                    Some(c) => {
                        let (dc, de) =
                            (check[strategy].cost - check[c].cost, effect(&check[strategy]) - effect(&check[c]));
                        ThresholdOutcome::Icer { value, icer: dc / de }
                    }
                }
            }
            Threshold::NotInRange { at_low, .. } if comparator.is_none() => {
                ThresholdOutcome::AlwaysOrNever { optimal: at_low > 0.0 }
            }
            Threshold::NotInRange { at_low, at_high } => ThresholdOutcome::NoSignChange { at_low, at_high },
        };
        rows.push(row(outcome));
    }
    Ok(ThresholdAnalysis { param, base, strategy, comparator, range: bracket, rows })
}
