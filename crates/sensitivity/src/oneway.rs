//! One-way (deterministic) sensitivity analysis and threshold analysis.
//!
//! One-way: each parameter set to its low and then its high value, all else at base. Threshold:
//! the value of a parameter at which a function of the outcomes (e.g. the incremental net
//! monetary benefit of two strategies) is zero, by bracketing and bisection with the secant
//! step (Illinois), to a stated relative tolerance, checked by re-running at the root.

use hta_markov::RunErrors;
use hta_model::ParamId;

use crate::engine::{Evaluator, Outcome};

/// Outcomes with one parameter at its low and at its high value.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWayRow {
    pub param: ParamId,
    pub low: f64,
    pub high: f64,
    pub at_low: Vec<Outcome>,
    pub at_high: Vec<Outcome>,
}

/// A one-way run that failed, at which value.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWayFailure {
    pub param: ParamId,
    pub value: f64,
    pub errors: RunErrors,
}

/// Runs every (parameter, low, high): the parameter sets run in lockstep blocks
/// ([`Evaluator::evaluate_block_in`]), one block per parallel task, so each gets the numbers it
/// gets alone. A failure reported is the first in the order of `ranges` (low before high).
pub fn one_way(evaluator: &Evaluator, ranges: &[(ParamId, f64, f64)]) -> Result<Vec<OneWayRow>, OneWayFailure> {
    let sets: Vec<Vec<(ParamId, f64)>> =
        ranges.iter().flat_map(|&(param, low, high)| [vec![(param, low)], vec![(param, high)]]).collect();
    let results = evaluator.evaluate_many(&sets, None);
    let mut results = sets.iter().zip(results).map(|(set, result)| {
        let (param, value) = set[0];
        result.map_err(|errors| OneWayFailure { param, value, errors })
    });
    let mut rows = Vec::with_capacity(ranges.len());
    for &(param, low, high) in ranges {
        let (Some(at_low), Some(at_high)) = (results.next(), results.next()) else { break };
        rows.push(OneWayRow { param, low, high, at_low: at_low?, at_high: at_high? });
    }
    Ok(rows)
}

/// Result of a threshold search.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// The root, and the function's value when the model is re-run there.
    Found { value: f64, check: f64 },
    /// No sign change between the bounds searched: the function keeps one sign.
    NotInRange { at_low: f64, at_high: f64 },
}

/// Finds `x` in `[low, high]` (expanding `high` by doubling up to `limit` when `expand`) with
/// `f(outcomes at x) = 0`, to `relative_tolerance`.
pub fn threshold(
    evaluator: &Evaluator,
    param: ParamId,
    (low, high): (f64, f64),
    expand_to: Option<f64>,
    relative_tolerance: f64,
    f: &dyn Fn(&[Outcome]) -> f64,
) -> Result<Threshold, OneWayFailure> {
    let value_at = |x: f64| -> Result<f64, OneWayFailure> {
        evaluator.evaluate(&[(param, x)]).map(|o| f(&o)).map_err(|errors| OneWayFailure { param, value: x, errors })
    };
    let (mut a, mut b) = (low, high);
    let (mut fa, mut fb) = (value_at(a)?, value_at(b)?);
    if let Some(limit) = expand_to {
        while fa.signum() == fb.signum() && b.abs() < limit.abs() {
            a = b;
            fa = fb;
            b = if b == 0.0 { 1.0 } else { b * 2.0 };
            fb = value_at(b)?;
        }
    }
    if fa == 0.0 {
        return Ok(Threshold::Found { value: a, check: fa });
    }
    if fa.signum() == fb.signum() {
        return Ok(Threshold::NotInRange { at_low: fa, at_high: fb });
    }
    // Illinois variant of regula falsi: superlinear, always bracketed.
    let mut side = 0;
    for _ in 0..200 {
        let c = (a * fb - b * fa) / (fb - fa);
        let fc = value_at(c)?;
        if fc == 0.0 || (b - a).abs() <= relative_tolerance * c.abs().max(f64::MIN_POSITIVE) {
            return Ok(Threshold::Found { value: c, check: fc });
        }
        if fc.signum() == fb.signum() {
            b = c;
            fb = fc;
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
    }
    let c = (a + b) / 2.0;
    Ok(Threshold::Found { value: c, check: value_at(c)? })
}
