//! Resolve: turns a [`Program`] plus the cycle into numbers (parameters, transition
//! probabilities, state and transition values), checking every one. Buffers are allocated once
//! per strategy run; resolving a cycle allocates nothing unless it finds a problem.

use hta_model::formula::{SlotLayout, TimeVar};
use hta_model::{ParamId, StateId, StrategyId};

use crate::error::{Problem, RunErrors};
use crate::program::{Compiled, Program};

/// Slack allowed on a row summing to 1, and on a complement dipping below 0 by rounding.
pub const ROW_TOLERANCE: f64 = 1e-9;

/// Numbers of one cycle, as the kernel reads them.
#[derive(Debug, Clone)]
pub struct CycleInputs {
    /// Transition probability of each CSR entry.
    pub probs: Vec<f64>,
    /// State values, `n_states x layout.width()`, row-major.
    pub state_values: Vec<f64>,
    /// Transition values, `events x layout.width()`, row-major.
    pub event_values: Vec<f64>,
}

/// Resolves one strategy cycle by cycle.
pub struct Resolver<'p> {
    program: &'p Program,
    slots: Vec<f64>,
    start_age: Option<f64>,
    cycle_years: f64,
    pub inputs: CycleInputs,
    pub errors: RunErrors,
    /// A parameter failed in the cycle being resolved: problems downstream of it are not
    /// reported again.
    param_failed: bool,
    /// A time-invariant parameter failed: every cycle is downstream of it.
    fixed_param_failed: bool,
}

impl<'p> Resolver<'p> {
    pub fn new(program: &'p Program, cycle_years: f64, start_age: Option<f64>) -> Self {
        let width = program.layout.width();
        let mut slots = vec![0.0; SlotLayout::len(program.n_params)];
        slots[SlotLayout::time(TimeVar::CycleYears)] = cycle_years;
        Resolver {
            program,
            slots,
            start_age,
            cycle_years,
            inputs: CycleInputs {
                probs: vec![0.0; program.entries.len()],
                state_values: vec![0.0; program.n_states * width],
                event_values: vec![0.0; program.events.len() * width],
            },
            errors: RunErrors::default(),
            param_failed: false,
            fixed_param_failed: false,
        }
    }

    fn strategy(&self) -> StrategyId {
        self.program.strategy
    }

    /// Records a problem unless it follows from a parameter that already failed this cycle.
    fn report(&mut self, cycle: usize, problem: Problem) {
        if !self.param_failed {
            let age = self.age();
            self.errors.record(self.program.strategy, cycle, age, problem);
        }
    }

    fn set_time(&mut self, cycle: usize) {
        let time = cycle.saturating_sub(1) as f64 * self.cycle_years;
        self.slots[SlotLayout::time(TimeVar::Cycle)] = cycle as f64;
        self.slots[SlotLayout::time(TimeVar::Time)] = time;
        self.slots[SlotLayout::time(TimeVar::Age)] = self.start_age.map_or(f64::NAN, |a| a + time);
    }

    fn age(&self) -> Option<f64> {
        self.start_age.map(|_| self.slots[SlotLayout::time(TimeVar::Age)])
    }

    fn eval_params(&mut self, order_varying: bool, cycle: usize) {
        let order = if order_varying { &self.program.varying_order } else { &self.program.fixed_order };
        for &p in order {
            let value = self.program.params[p.index()].eval(&self.slots);
            self.slots[SlotLayout::param(p)] = value;
            if !value.is_finite() {
                self.param_failed = true;
                self.fixed_param_failed |= !order_varying;
                let age = self.age();
                self.errors.record(self.strategy(), cycle, age, Problem::Parameter { param: p, value });
            }
        }
    }

    /// Evaluates everything that does not change with time, and the values charged at start.
    /// Returns the start values by slot.
    pub fn start(&mut self, start_values: &mut [f64]) {
        self.param_failed = false;
        self.set_time(0);
        self.eval_params(false, 0);
        self.eval_params(true, 0);
        self.fill(false, 0);
        for (slot, value) in &self.program.at_start {
            let v = value.expr.eval(&self.slots);
            if !v.is_finite() {
                self.report(0, Problem::StartValue { slot: *slot, value: v });
            }
            start_values[*slot] += v;
        }
    }

    /// Resolves cycle `cycle` (1-based) into [`Self::inputs`], checking every number.
    pub fn cycle(&mut self, cycle: usize) {
        if self.program.any_varying || cycle == 1 {
            self.param_failed = self.fixed_param_failed;
            self.set_time(cycle);
            self.eval_params(true, cycle);
            self.fill(true, cycle);
        }
        self.complete_rows(cycle);
    }

    /// Evaluates entries and values that vary (`varying`) or those that do not.
    fn fill(&mut self, varying: bool, cycle: usize) {
        let program = self.program;
        let width = program.layout.width();
        let pick = |c: &Compiled| c.varies == varying;
        for (i, entry) in program.entries.iter().enumerate() {
            if let Some(value) = entry.value.as_ref().filter(|c| pick(c)) {
                self.inputs.probs[i] = value.expr.eval(&self.slots);
            }
        }
        for (s, values) in program.state_values.iter().enumerate() {
            for (slot, value) in values.iter().filter(|(_, c)| pick(c)) {
                let v = value.expr.eval(&self.slots);
                self.inputs.state_values[s * width + slot] = v;
                if !v.is_finite() {
                    self.report(cycle, Problem::StateValue { state: StateId::new(s), slot: *slot, value: v });
                }
            }
        }
        for (e, event) in program.events.iter().enumerate() {
            for (slot, value) in event.values.iter().filter(|(_, c)| pick(c)) {
                let v = value.expr.eval(&self.slots);
                self.inputs.event_values[e * width + slot] = v;
                if !v.is_finite() {
                    let entry = &program.entries[event.entry];
                    let problem = Problem::TransitionValue {
                        from: StateId::new(entry.from),
                        to: StateId::new(entry.to),
                        slot: *slot,
                        value: v,
                    };
                    self.report(cycle, problem);
                }
            }
        }
    }

    /// Computes complements and checks every row.
    fn complete_rows(&mut self, cycle: usize) {
        let program = self.program;
        for from in 0..program.n_states {
            let range = program.row_start[from]..program.row_start[from + 1];
            let mut sum = 0.0;
            let mut complement = None;
            let mut bad_entry = None;
            for i in range.clone() {
                match program.entries[i].value {
                    None => complement = Some(i),
                    Some(_) => {
                        let p = self.inputs.probs[i];
                        if !(0.0..=1.0).contains(&p) {
                            bad_entry.get_or_insert(i);
                        }
                        sum += p;
                    }
                }
            }
            if let Some(i) = bad_entry {
                if let Some(c) = complement {
                    self.inputs.probs[c] = 1.0 - sum;
                }
                let problem = Problem::Probability {
                    from: StateId::new(from),
                    to: StateId::new(program.entries[i].to),
                    value: self.inputs.probs[i],
                    row: self.row(from),
                };
                self.report(cycle, problem);
                continue;
            }
            match complement {
                Some(i) => {
                    let rest = 1.0 - sum;
                    if rest < -ROW_TOLERANCE {
                        self.inputs.probs[i] = rest;
                        let problem = Problem::NegativeComplement {
                            from: StateId::new(from),
                            to: StateId::new(program.entries[i].to),
                            value: rest,
                            row: self.row(from),
                        };
                        self.report(cycle, problem);
                    } else {
                        self.inputs.probs[i] = rest.max(0.0);
                    }
                }
                None if (sum - 1.0).abs() > ROW_TOLERANCE => {
                    let problem = Problem::RowSum { from: StateId::new(from), sum, row: self.row(from) };
                    self.report(cycle, problem);
                }
                None => {}
            }
        }
    }

    /// The entries of a row as (to, probability), for error messages.
    fn row(&self, from: usize) -> Vec<(StateId, f64)> {
        let range = self.program.row_start[from]..self.program.row_start[from + 1];
        range.map(|i| (StateId::new(self.program.entries[i].to), self.inputs.probs[i])).collect()
    }

    /// Value of parameter `p` as last evaluated.
    pub fn param(&self, p: ParamId) -> f64 {
        self.slots[SlotLayout::param(p)]
    }
}
