//! Resolve: turns a [`Program`] plus the cycle into numbers (parameters, transition
//! probabilities, state and transition values), checking every one. Buffers are allocated once
//! per strategy run; resolving a cycle allocates nothing unless it finds a problem.

use hta_model::formula::{SlotLayout, TimeVar};
use hta_model::{ParamId, StateId};

use crate::error::{Problem, RunErrors};
use crate::program::{FillList, Program};

/// Slack allowed on a row summing to 1, and on a complement dipping below 0 by rounding.
pub const ROW_TOLERANCE: f64 = 1e-9;

/// Numbers of one cycle, as the kernel reads them (over expanded states).
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
    /// Value of each formula that does not read state_time.
    formula_values: Vec<f64>,
    start_age: Option<f64>,
    cycle_years: f64,
    pub inputs: CycleInputs,
    pub errors: RunErrors,
    /// A parameter failed in the cycle being resolved: problems downstream of it are not
    /// reported again.
    param_failed: bool,
    /// A time-invariant parameter failed: every cycle is downstream of it.
    fixed_param_failed: bool,
    /// Parameters whose values are given (a sensitivity-analysis draw), not evaluated.
    pinned: Vec<bool>,
    /// Values of [`Program::step_atoms`] in the last cycle resolved (`None` before the first).
    step_key: Option<Vec<f64>>,
}

impl<'p> Resolver<'p> {
    pub fn new(program: &'p Program, cycle_years: f64, start_age: Option<f64>) -> Self {
        let width = program.layout.width();
        let mut slots = vec![0.0; SlotLayout::len(program.n_params)];
        slots[SlotLayout::time(TimeVar::CycleYears)] = cycle_years;
        Resolver {
            program,
            slots,
            formula_values: vec![0.0; program.formulas.len()],
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
            pinned: vec![false; program.n_params],
            step_key: None,
        }
    }

    /// Back to the state [`Self::new`] makes, keeping the buffers: a new run of the same
    /// program, with nothing pinned.
    pub fn reset(&mut self) {
        self.slots.fill(0.0);
        self.slots[SlotLayout::time(TimeVar::CycleYears)] = self.cycle_years;
        self.formula_values.fill(0.0);
        self.inputs.probs.fill(0.0);
        self.inputs.state_values.fill(0.0);
        self.inputs.event_values.fill(0.0);
        self.errors = RunErrors::default();
        self.param_failed = false;
        self.fixed_param_failed = false;
        self.pinned.fill(false);
        self.step_key = None;
    }

    /// Fixes parameters at given values for this run: their definitions are not evaluated.
    pub fn pin(&mut self, pins: &[(ParamId, f64)]) {
        for &(p, value) in pins {
            self.pinned[p.index()] = true;
            self.slots[SlotLayout::param(p)] = value;
        }
    }

    /// Records a problem unless it follows from a parameter that already failed this cycle.
    fn report(&mut self, cycle: usize, problem: Problem) {
        if !self.param_failed {
            let age = self.age();
            self.errors.record(self.program.strategy, cycle, age, problem);
        }
    }

    fn set_time(&mut self, cycle: usize) {
        set_clock(&mut self.slots, cycle, self.cycle_years, self.start_age);
    }

    fn age(&self) -> Option<f64> {
        self.start_age.map(|_| self.slots[SlotLayout::time(TimeVar::Age)])
    }

    fn eval_params(&mut self, which: Order, cycle: usize) {
        let program = self.program;
        let order = match which {
            Order::Fixed => &program.fixed_order,
            Order::Varying => &program.varying_order,
            Order::StateTime => &program.state_time_order,
        };
        for &p in order {
            if self.pinned[p.index()] {
                continue;
            }
            let value = match program.clock_values.get(p.index()).and_then(Option::as_ref) {
                Some(values) if which == Order::Varying => values[cycle],
                _ => program.params[p.index()].eval(&self.slots),
            };
            self.slots[SlotLayout::param(p)] = value;
            // Hoisted internal parameters are not reported: the formula they came from is.
            if !value.is_finite() && !self.param_failed && p.index() < program.n_model_params {
                self.param_failed = true;
                self.fixed_param_failed |= which == Order::Fixed;
                let age = self.age();
                self.errors.record(program.strategy, cycle, age, Problem::Parameter { param: p, value });
            }
        }
    }

    /// Evaluates everything that does not change with time, and the values charged at start.
    /// Adds the start values, by slot, to `start_values`.
    pub fn start(&mut self, start_values: &mut [f64]) {
        self.param_failed = false;
        self.set_time(0);
        self.eval_params(Order::Fixed, 0);
        self.check_curves();
        if self.program.at_start.iter().any(|&(_, f)| self.program.formulas[f].varies) {
            // Values charged at start read time-varying parameters at cycle 0.
            self.eval_params(Order::Varying, 0);
        }
        self.fill(false, 0);
        for &(slot, f) in &self.program.at_start {
            let v = self.program.formulas[f].expr.eval(&self.slots);
            if !v.is_finite() {
                self.report(0, Problem::StartValue { slot, value: v });
            }
            start_values[slot] += v;
        }
    }

    /// Checks every curve's parameters once the time-invariant parameters are known; a failure
    /// is reported once, and what follows from it is not.
    fn check_curves(&mut self) {
        for (curve, check) in &self.program.curve_checks {
            if let Some(message) = check(&self.slots) {
                if !self.fixed_param_failed {
                    self.errors.record(
                        self.program.strategy,
                        0,
                        self.start_age,
                        Problem::CurveParameter { curve: *curve, message },
                    );
                }
                self.fixed_param_failed = true;
                self.param_failed = true;
            }
        }
    }

    /// Resolves cycle `cycle` (1-based) into [`Self::inputs`], checking every number.
    ///
    /// Work is done only when inputs change: if nothing has failed so far and the cycle's step
    /// inputs ([`Program::step_atoms`]) have the same bits as the previous cycle's, every
    /// parameter, entry and value would be computed by the same operations on the same numbers,
    /// so the previous cycle's (already checked and completed) inputs are kept as they are.
    ///
    /// Returns whether [`Self::inputs`] were resolved again (false: they are the previous
    /// cycle's, untouched).
    pub fn cycle(&mut self, cycle: usize) -> bool {
        // The clock is always the cycle's, for what reads the slots after (a partitioned
        // survival model's death values); no formula of a program that does not vary reads it.
        self.set_time(cycle);
        // Nothing varies, or the step inputs read only the clock and keep their values: decided
        // once for every parameter set (`Program::reuses_cycle`, which a lockstep block asks too).
        if self.errors.is_empty() && self.program.reuses_cycle(cycle) {
            return false;
        }
        if self.program.any_varying || cycle == 1 {
            let unchanged = self.step_inputs_unchanged();
            if cycle > 1 && unchanged && self.errors.is_empty() {
                return false;
            }
            self.param_failed = self.fixed_param_failed;
            self.eval_params(Order::Varying, cycle);
            self.fill(true, cycle);
        }
        self.complete_rows(cycle);
        true
    }

    /// Evaluates the step inputs of the current cycle and whether they have the same bits as
    /// the previous cycle's (false when the program has none to compare, or on the first cycle).
    fn step_inputs_unchanged(&mut self) -> bool {
        let Some(atoms) = &self.program.step_atoms else { return false };
        if self.program.step_changes.is_some() {
            // Worked out when the program was compiled: a cycle that keeps its inputs has been
            // answered by `Program::reuses_cycle` already.
            return false;
        }
        let key = self.step_key.get_or_insert_with(|| vec![f64::NAN; atoms.len()]);
        let mut same = true;
        for (atom, old) in atoms.iter().zip(key.iter_mut()) {
            let value = atom.eval(&self.slots);
            same &= value.to_bits() == old.to_bits();
            *old = value;
        }
        same
    }

    /// Evaluates the entries and values that vary with time (`varying`) or those that do not.
    fn fill(&mut self, varying: bool, cycle: usize) {
        let program = self.program;
        let width = program.layout.width();
        if let Some(lists) = &program.fill_lists {
            self.fill_listed(&lists[usize::from(varying)], cycle);
            return;
        }
        for (f, formula) in program.formulas.iter().enumerate() {
            if formula.varies == varying && !formula.state_time {
                self.formula_values[f] = formula.expr.eval(&self.slots);
            }
        }
        let mut current_state_time = 0;
        for x in 0..program.n_states {
            // State-time formulas are evaluated per cycle only (never at model start).
            let needs = program.needs_state_time[x] && varying;
            if needs && program.state_time[x] != current_state_time {
                current_state_time = program.state_time[x];
                self.slots[SlotLayout::time(TimeVar::StateTime)] = current_state_time as f64;
                self.eval_params(Order::StateTime, cycle);
            }
            for i in program.row_start[x]..program.row_start[x + 1] {
                if let Some(f) = program.entries[i].formula {
                    let formula = &program.formulas[f];
                    if (formula.varies == varying && !formula.state_time) || (formula.state_time && varying) {
                        self.inputs.probs[i] = self.value_of(f);
                    }
                }
            }
            for &(slot, f) in &program.state_values[x] {
                let formula = &program.formulas[f];
                if (formula.varies == varying && !formula.state_time) || (formula.state_time && varying) {
                    let v = self.value_of(f);
                    self.inputs.state_values[x * width + slot] = v;
                    if !v.is_finite() {
                        let state = StateId::new(program.user_state[x]);
                        self.report(cycle, Problem::StateValue { state, slot, value: v });
                    }
                }
            }
        }
        for (e, event) in program.events.iter().enumerate() {
            for &(slot, f) in &event.values {
                if program.formulas[f].varies != varying {
                    continue;
                }
                let v = self.formula_values[f];
                self.inputs.event_values[e * width + slot] = v;
                if !v.is_finite() {
                    let entry = &program.entries[event.entry];
                    let (from, to) = (program.user_state[entry.from], program.user_state[entry.to]);
                    let problem =
                        Problem::TransitionValue { from: StateId::new(from), to: StateId::new(to), slot, value: v };
                    self.report(cycle, problem);
                }
            }
        }
    }

    /// [`Self::fill`] for a program without `state_time`: the same numbers written, and the same
    /// problems reported in the same order, from the precomputed lists.
    fn fill_listed(&mut self, list: &FillList, cycle: usize) {
        let program = self.program;
        let width = program.layout.width();
        for &f in &list.formulas {
            self.formula_values[f] = program.formulas[f].expr.eval(&self.slots);
        }
        for &(i, f) in &list.entries {
            self.inputs.probs[i] = self.formula_values[f];
        }
        for &(x, slot, f) in &list.state_values {
            let v = self.formula_values[f];
            self.inputs.state_values[x * width + slot] = v;
            if !v.is_finite() {
                let state = StateId::new(program.user_state[x]);
                self.report(cycle, Problem::StateValue { state, slot, value: v });
            }
        }
        for &(e, slot, f) in &list.events {
            let v = self.formula_values[f];
            self.inputs.event_values[e * width + slot] = v;
            if !v.is_finite() {
                let entry = &program.entries[program.events[e].entry];
                let (from, to) = (program.user_state[entry.from], program.user_state[entry.to]);
                let problem =
                    Problem::TransitionValue { from: StateId::new(from), to: StateId::new(to), slot, value: v };
                self.report(cycle, problem);
            }
        }
    }

    /// A formula's value: from the shared evaluation, or evaluated now for the current
    /// state_time.
    fn value_of(&self, f: usize) -> f64 {
        let formula = &self.program.formulas[f];
        if formula.state_time {
            formula.expr.eval(&self.slots)
        } else {
            self.formula_values[f]
        }
    }

    /// Computes complements and checks every row.
    fn complete_rows(&mut self, cycle: usize) {
        let program = self.program;
        if !program.has_rows {
            return;
        }
        for from in 0..program.n_states {
            let range = program.row_start[from]..program.row_start[from + 1];
            let mut sum = 0.0;
            let mut complement = None;
            let mut bad_entry = None;
            for i in range.clone() {
                match program.entries[i].formula {
                    None => complement = Some(i),
                    Some(_) => {
                        let mut p = self.inputs.probs[i];
                        // Rounding error (0.3 - 0.05 * 6 is -5.6e-17) is not a mistake: values
                        // within the row tolerance of [0, 1] are clamped into it.
                        if (-ROW_TOLERANCE..=1.0 + ROW_TOLERANCE).contains(&p) {
                            p = p.clamp(0.0, 1.0);
                            self.inputs.probs[i] = p;
                        } else {
                            bad_entry.get_or_insert(i);
                        }
                        sum += p;
                    }
                }
            }
            let user_from = StateId::new(program.user_state[from]);
            if let Some(i) = bad_entry {
                if let Some(c) = complement {
                    self.inputs.probs[c] = 1.0 - sum;
                }
                let to = StateId::new(program.user_state[program.entries[i].to]);
                let problem =
                    Problem::Probability { from: user_from, to, value: self.inputs.probs[i], row: self.row(from) };
                self.report(cycle, problem);
                continue;
            }
            match complement {
                Some(i) => {
                    let rest = 1.0 - sum;
                    if rest < -ROW_TOLERANCE {
                        self.inputs.probs[i] = rest;
                        let to = StateId::new(program.user_state[program.entries[i].to]);
                        let problem =
                            Problem::NegativeComplement { from: user_from, to, value: rest, row: self.row(from) };
                        self.report(cycle, problem);
                    } else {
                        self.inputs.probs[i] = rest.max(0.0);
                    }
                }
                None if (sum - 1.0).abs() > ROW_TOLERANCE => {
                    let problem = Problem::RowSum { from: user_from, sum, row: self.row(from) };
                    self.report(cycle, problem);
                }
                None => {}
            }
        }
    }

    /// The entries of a row as (to, probability), for error messages.
    fn row(&self, from: usize) -> Vec<(StateId, f64)> {
        let program = self.program;
        let range = program.row_start[from]..program.row_start[from + 1];
        range.map(|i| (StateId::new(program.user_state[program.entries[i].to]), self.inputs.probs[i])).collect()
    }

    /// The slot array as last evaluated (time variables, then parameters).
    pub fn slots(&self) -> &[f64] {
        &self.slots
    }

    /// Value of parameter `p` as last evaluated.
    pub fn param(&self, p: ParamId) -> f64 {
        self.slots[SlotLayout::param(p)]
    }
}

/// Sets the clock of cycle `cycle` (1-based; 0 is the model's start) in a slot array: the cycle,
/// the time and age at its start, `cycle_years`; `state_time` unset (NaN) until a state sets it.
pub(crate) fn set_clock(slots: &mut [f64], cycle: usize, cycle_years: f64, start_age: Option<f64>) {
    let time = cycle.saturating_sub(1) as f64 * cycle_years;
    slots[SlotLayout::time(TimeVar::CycleYears)] = cycle_years;
    slots[SlotLayout::time(TimeVar::Cycle)] = cycle as f64;
    slots[SlotLayout::time(TimeVar::Time)] = time;
    slots[SlotLayout::time(TimeVar::Age)] = start_age.map_or(f64::NAN, |a| a + time);
    slots[SlotLayout::time(TimeVar::StateTime)] = f64::NAN;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Fixed,
    Varying,
    StateTime,
}
