//! Problems found while resolving formulas to numbers, in model ids (the binary maps them to
//! file positions and names).

use hta_model::{CurveId, ParamId, StateId, StrategyId};

/// What went wrong in one cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A parameter evaluated to NaN or infinity.
    Parameter { param: ParamId, value: f64 },
    /// A transition probability outside [0, 1].
    Probability { from: StateId, to: StateId, value: f64, row: Vec<(StateId, f64)> },
    /// A row without complement that does not sum to 1.
    RowSum { from: StateId, sum: f64, row: Vec<(StateId, f64)> },
    /// The complement of a row came out negative: the other entries sum to more than 1.
    NegativeComplement { from: StateId, to: StateId, value: f64, row: Vec<(StateId, f64)> },
    /// A state value (cost, utility, life-year weight) is NaN or infinite. `slot` follows
    /// [`crate::ValueLayout`].
    StateValue { state: StateId, slot: usize, value: f64 },
    /// A transition value is NaN or infinite.
    TransitionValue { from: StateId, to: StateId, slot: usize, value: f64 },
    /// A value charged at model start is NaN or infinite.
    StartValue { slot: usize, value: f64 },
    /// A survival curve gives no valid survival (NaN) at a time, in years.
    Curve { curve: CurveId, time: f64, value: f64 },
    /// A survival curve's parameters, as evaluated, are invalid.
    CurveParameter { curve: CurveId, message: String },
    /// A decision-tree branch probability outside [0, 1] (a complement: the siblings sum to
    /// more than 1).
    TreeProbability { branch: usize, value: f64 },
    /// The branches from one node (`parent`; `None` = the root) do not sum to 1.
    TreeSum { parent: Option<usize>, sum: f64 },
    /// A decision-tree branch value is NaN or infinite.
    TreeValue { branch: usize, slot: usize, value: f64 },
}

impl Problem {
    /// Two problems with the same identity in different cycles are reported once.
    fn same_kind(&self, other: &Problem) -> bool {
        use Problem::*;
        match (self, other) {
            (Parameter { param: a, .. }, Parameter { param: b, .. }) => a == b,
            (Probability { from: a, to: x, .. }, Probability { from: b, to: y, .. }) => a == b && x == y,
            (RowSum { from: a, .. }, RowSum { from: b, .. }) => a == b,
            (NegativeComplement { from: a, .. }, NegativeComplement { from: b, .. }) => a == b,
            (StateValue { state: a, slot: x, .. }, StateValue { state: b, slot: y, .. }) => a == b && x == y,
            (TransitionValue { from: a, to: t, slot: x, .. }, TransitionValue { from: b, to: u, slot: y, .. }) => {
                a == b && t == u && x == y
            }
            (StartValue { slot: x, .. }, StartValue { slot: y, .. }) => x == y,
            (Curve { curve: a, .. }, Curve { curve: b, .. }) => a == b,
            (CurveParameter { curve: a, .. }, CurveParameter { curve: b, .. }) => a == b,
            (TreeProbability { branch: a, .. }, TreeProbability { branch: b, .. }) => a == b,
            (TreeSum { parent: a, .. }, TreeSum { parent: b, .. }) => a == b,
            (TreeValue { branch: a, slot: x, .. }, TreeValue { branch: b, slot: y, .. }) => a == b && x == y,
            _ => false,
        }
    }
}

/// A problem with where and when it first happened, and how often it recurred.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    pub strategy: StrategyId,
    /// First cycle with the problem (0 = model start).
    pub cycle: usize,
    /// Last cycle with the same problem.
    pub last_cycle: usize,
    /// Number of cycles with the same problem.
    pub n_cycles: usize,
    /// Cohort age in that cycle, if the model has one.
    pub age: Option<f64>,
    pub problem: Problem,
}

/// Every problem of a run, grouped by kind.
#[derive(Debug, Clone, Default, PartialEq, thiserror::Error)]
#[error("the model failed its run-time checks ({} problem(s))", .errors.len())]
pub struct RunErrors {
    pub errors: Vec<RunError>,
}

/// Distinct problems recorded before further ones are only counted.
const MAX_DISTINCT: usize = 100;

impl RunErrors {
    pub fn record(&mut self, strategy: StrategyId, cycle: usize, age: Option<f64>, problem: Problem) {
        if let Some(existing) = self.errors.iter_mut().find(|e| e.strategy == strategy && e.problem.same_kind(&problem))
        {
            existing.last_cycle = cycle;
            existing.n_cycles += 1;
            return;
        }
        if self.errors.len() < MAX_DISTINCT {
            self.errors.push(RunError { strategy, cycle, last_cycle: cycle, n_cycles: 1, age, problem });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn extend(&mut self, other: RunErrors) {
        self.errors.extend(other.errors);
    }
}
