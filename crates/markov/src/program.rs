//! Compiles one strategy of a [`Model`] into closures and flat index arrays, once per run set:
//! parameters in evaluation order split into time-invariant, time-varying and
//! state-time-dependent; states expanded for time in state (tunnel states); transition rows as a
//! sparse (CSR) structure over the expanded states; state and transition values by slot.
//!
//! Time in state: a state that tracks `N` cycles becomes sub-states `1..=N`; sub-state `j` holds
//! the people in their `j`-th cycle in the state (`state_time = j`). Staying moves `j` to
//! `min(j + 1, N)`; entering from another state (or starting there) puts people in sub-state 1.
//! Only tracked states are expanded, so memory and time grow with the tracked length.

use hta_model::formula::{compile, BinaryOp, CompiledExpr, Expr, ExprKind, Function, Reference, SlotLayout, TimeVar};
use hta_model::table::Interpolation;
use hta_model::{EntryValue, Formula, Model, ParamId, StateId, StrategyId};

/// Value slots per state and per transition: the cost categories, then QALY, then life-years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueLayout {
    pub n_categories: usize,
}

impl ValueLayout {
    pub fn qaly(self) -> usize {
        self.n_categories
    }

    pub fn life_years(self) -> usize {
        self.n_categories + 1
    }

    pub fn width(self) -> usize {
        self.n_categories + 2
    }
}

/// A compiled formula and what it depends on.
#[derive(Debug)]
pub struct Compiled {
    pub expr: CompiledExpr,
    /// Changes from cycle to cycle (reads a varying time variable or parameter).
    pub varies: bool,
    /// Reads `state_time` (directly or through a parameter): evaluated per sub-state.
    pub state_time: bool,
}

/// One transition entry in CSR order, between expanded states.
#[derive(Debug)]
pub struct Entry {
    pub from: usize,
    pub to: usize,
    /// Index into [`Program::formulas`]; `None` for the complement.
    pub formula: Option<usize>,
}

/// A transition value that applies to entry `entry` (index into the CSR arrays).
#[derive(Debug)]
pub struct EventValue {
    pub entry: usize,
    /// (slot in [`ValueLayout`], index into [`Program::formulas`]).
    pub values: Vec<(usize, usize)>,
}

/// What [`crate::resolve::Resolver`] evaluates and copies when it resolves the time-varying
/// (or the time-invariant) items of a program without `state_time`: the same items in the
/// same order as walking every state, without testing each one.
#[derive(Debug, Clone, Default)]
pub struct FillList {
    /// Formulas to evaluate.
    pub formulas: Vec<usize>,
    /// (entry, formula): transition probabilities to copy.
    pub entries: Vec<(usize, usize)>,
    /// (expanded state, slot, formula): state values to copy and check.
    pub state_values: Vec<(usize, usize, usize)>,
    /// (transition value, slot, formula): transition values to copy and check.
    pub events: Vec<(usize, usize, usize)>,
}

impl FillList {
    /// The items whose formulas vary with time (`varying`) or do not; `None` when any formula
    /// reads `state_time` (those are resolved per sub-state).
    fn of(program: &Program, varying: bool) -> Option<FillList> {
        let formulas = &program.formulas;
        if formulas.iter().any(|f| f.state_time) {
            return None;
        }
        let wanted = |f: usize| formulas[f].varies == varying;
        Some(FillList {
            formulas: (0..formulas.len()).filter(|&f| wanted(f)).collect(),
            entries: program
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.formula.filter(|&f| wanted(f)).map(|f| (i, f)))
                .collect(),
            state_values: (0..program.n_states)
                .flat_map(|x| {
                    program.state_values[x].iter().filter(|(_, f)| wanted(*f)).map(move |&(slot, f)| (x, slot, f))
                })
                .collect(),
            events: program
                .events
                .iter()
                .enumerate()
                .flat_map(|(e, event)| {
                    event.values.iter().filter(|(_, f)| wanted(*f)).map(move |&(slot, f)| (e, slot, f))
                })
                .collect(),
        })
    }
}

/// Everything needed to resolve one strategy cycle by cycle.
pub struct Program {
    pub strategy: StrategyId,
    /// States as the user wrote them.
    pub n_user_states: usize,
    /// States after expanding time in state.
    pub n_states: usize,
    /// User state `s` occupies expanded states `sub_start[s]..sub_start[s + 1]`.
    pub sub_start: Vec<usize>,
    /// User state of each expanded state.
    pub user_state: Vec<usize>,
    /// `state_time` of each expanded state (1-based; 0 for states that do not track it).
    pub state_time: Vec<usize>,
    /// Parameters in the slot array: the model's, then hoisted ones.
    pub n_params: usize,
    /// The model's own parameters (the first `n_model_params` slots after the time variables).
    pub n_model_params: usize,
    pub layout: ValueLayout,
    /// Compiled definition of every parameter, by parameter index.
    pub params: Vec<CompiledExpr>,
    /// Time-invariant parameters, in evaluation order.
    pub fixed_order: Vec<ParamId>,
    /// Time-varying parameters (not depending on state_time), in evaluation order.
    pub varying_order: Vec<ParamId>,
    /// Parameters depending on state_time, in evaluation order (evaluated per sub-state).
    pub state_time_order: Vec<ParamId>,
    /// Every compiled entry, state and transition value.
    pub formulas: Vec<Compiled>,
    /// Row `i` (expanded state) occupies entries `row_start[i]..row_start[i + 1]`.
    pub row_start: Vec<usize>,
    pub entries: Vec<Entry>,
    /// Per expanded state: (slot, formula) for costs per cycle, utility and life-years per year.
    pub state_values: Vec<Vec<(usize, usize)>>,
    /// Per expanded state: whether any of its entries or values reads state_time.
    pub needs_state_time: Vec<bool>,
    pub events: Vec<EventValue>,
    /// Charged at t = 0, by (slot, formula).
    pub at_start: Vec<(usize, usize)>,
    /// Initial distribution over expanded states.
    pub initial: Vec<f64>,
    pub any_varying: bool,
    /// Whether the strategy has transition rows (false for partitioned survival models, whose
    /// occupancy comes from curves).
    pub has_rows: bool,
    /// Run-time checks of every curve's parameters.
    pub curve_checks: Vec<(hta_model::CurveId, hta_model::curve::CurveCheck)>,
    /// Counting and discount weights of cycle k at index k - 1 (the same in every run).
    pub weights: std::sync::Arc<[crate::kernel::CycleWeights]>,
    /// Discount factors (costs, effects) of transition values in cycle k at index k - 1.
    pub event_factors: std::sync::Arc<[(f64, f64)]>,
    /// Destination of each entry (for the kernel).
    pub entry_to: Vec<usize>,
    /// Origin state of each transition value's entry.
    pub event_from: Vec<usize>,
    /// The step inputs of the cycle: `Some(atoms)` when every time-varying parameter, entry and
    /// value reads the clock (`cycle`, `time`, `age`) only through these subexpressions, each a
    /// step function of time (a step-interpolated lookup such as a life table by integer age,
    /// `floor`, `ceil`, a comparison). A cycle whose atoms have the same bits as the previous
    /// cycle's has the same inputs, so its rows and values are not resolved again. `None`: every
    /// cycle is resolved (a formula reads the clock otherwise, or reads a curve). Setting it to
    /// `None` turns the reuse off (tests compare both).
    pub step_atoms: Option<Vec<CompiledExpr>>,
    /// When no step input reads a parameter, whether they change, by cycle (index k: cycle k
    /// against cycle k - 1): the same for every parameter set, so it is worked out once here
    /// and a run does not evaluate the atoms at all. Read only while `step_atoms` is `Some`.
    pub step_changes: Option<Vec<bool>>,
    /// The time-invariant items (index 0) and the time-varying ones (index 1) as lists, for a
    /// program without `state_time` (see [`FillList`]).
    pub fill_lists: Option<[FillList; 2]>,
    /// What a resolution after cycle 1 can change (see [`Changing`]).
    pub changing: Changing,
    /// By parameter: for a time-varying parameter whose definition reads only the clock
    /// (`cycle`, `time`, `age`) and tables, no parameter or curve, its value at each cycle
    /// 0..=n (a life table by age): the same for every parameter set, so evaluated once here,
    /// by the same formula on the same clock (`resolve::set_clock`), and read in a run; at most
    /// a million values a program, the parameters past that evaluated cycle by cycle.
    pub clock_values: Vec<Option<Vec<f64>>>,
}

/// The resolved numbers a cycle after the first can change: every entry of a row with an entry
/// that varies (completing the row rewrites its complement and clamps), and the state and
/// transition values that vary, as indices into [`crate::resolve::CycleInputs`]. A row or
/// value that does not vary keeps what cycle 1 gave it (its formula is evaluated once, and
/// completing a row is idempotent), so a lockstep block copies only these.
#[derive(Debug, Clone, Default)]
pub struct Changing {
    pub probs: Vec<usize>,
    pub state_values: Vec<usize>,
    pub event_values: Vec<usize>,
}

impl Changing {
    fn of(program: &Program) -> Changing {
        let varies = |f: usize| program.formulas[f].varies || program.formulas[f].state_time;
        let width = program.layout.width();
        let mut probs = Vec::new();
        for x in 0..program.n_states {
            let row = program.row_start[x]..program.row_start[x + 1];
            if program.entries[row.clone()].iter().any(|e| e.formula.is_some_and(varies)) {
                probs.extend(row);
            }
        }
        let state_values = (0..program.n_states)
            .flat_map(|x| {
                program.state_values[x].iter().filter(|(_, f)| varies(*f)).map(move |&(slot, _)| x * width + slot)
            })
            .collect();
        let event_values = program
            .events
            .iter()
            .enumerate()
            .flat_map(|(e, event)| {
                event.values.iter().filter(|(_, f)| varies(*f)).map(move |&(slot, _)| e * width + slot)
            })
            .collect();
        Changing { probs, state_values, event_values }
    }
}

impl std::fmt::Debug for CurveChecks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} curve checks", self.0.len())
    }
}

/// Debug view of the curve checks (closures have no Debug).
pub struct CurveChecks<'a>(pub &'a [(hta_model::CurveId, hta_model::curve::CurveCheck)]);

/// Whether a time variable changes from cycle to cycle (`state_time` changes with the sub-state
/// instead, which is the same in every cycle).
fn reads_clock(var: TimeVar) -> bool {
    matches!(var, TimeVar::Cycle | TimeVar::Time | TimeVar::Age)
}

/// What a formula depends on, given what each parameter depends on.
fn dependence(formula: &Formula, param_varies: &[bool], param_state_time: &[bool]) -> (bool, bool) {
    let mut varies = false;
    let mut state_time = false;
    for r in formula.expr.references() {
        match r {
            Reference::Time(TimeVar::StateTime) => state_time = true,
            Reference::Time(var) => varies |= var.varies(),
            Reference::Param(p) => {
                varies |= param_varies.get(p.index()).copied().unwrap_or(false);
                state_time |= param_state_time.get(p.index()).copied().unwrap_or(false);
            }
            // Survival functions read the time they are given (often `time`): treated as varying.
            Reference::Curve(_) => varies = true,
            Reference::Column { .. } => {}
        }
    }
    (varies, state_time)
}

struct Builder<'m> {
    model: &'m Model,
    param_varies: Vec<bool>,
    param_state_time: Vec<bool>,
    formulas: Vec<Compiled>,
    /// Time-invariant parts of time-varying formulas, hoisted out as extra (internal) parameters
    /// evaluated once per run, after the model's own.
    hoisted: Vec<CompiledExpr>,
    /// Step inputs of the time-varying formulas (see [`Program::step_atoms`]).
    atoms: Vec<Expr>,
    /// Every time-varying formula so far reads the clock only through `atoms`.
    steps_only: bool,
}

impl Builder<'_> {
    fn add(&mut self, formula: &Formula) -> usize {
        let (varies, state_time) = dependence(formula, &self.param_varies, &self.param_state_time);
        let expr = if varies || state_time {
            self.collect_steps(&formula.expr);
            self.hoist(&formula.expr)
        } else {
            formula.expr.clone()
        };
        self.formulas.push(Compiled { expr: compile(&expr, &self.model.env()), varies, state_time });
        self.formulas.len() - 1
    }

    /// Whether a subtree gives the same value in every cycle and sub-state of a run.
    fn invariant(&self, e: &Expr) -> bool {
        e.references().iter().all(|r| match r {
            Reference::Time(var) => !var.varies(),
            Reference::Param(p) => {
                let i = p.index();
                !self.param_varies.get(i).copied().unwrap_or(false)
                    && !self.param_state_time.get(i).copied().unwrap_or(false)
            }
            Reference::Column { .. } => true,
            Reference::Curve(_) => false,
        })
    }

    /// Whether a parameter has the same value in every cycle and sub-state of a run.
    fn invariant_param(&self, p: ParamId) -> bool {
        let i = p.index();
        !self.param_varies.get(i).copied().unwrap_or(false) && !self.param_state_time.get(i).copied().unwrap_or(false)
    }

    /// Adds the step inputs of a time-varying expression to `atoms`: its largest subtrees that
    /// read the clock (`cycle`, `time`, `age`) and otherwise only invariants, and that are step
    /// functions of time. Clears `steps_only` if the clock is read in any other way.
    fn collect_steps(&mut self, e: &Expr) {
        let refs = e.references();
        if refs.iter().any(|r| matches!(r, Reference::Curve(_))) {
            // Survival functions may read time without naming it (`cycle_prob`).
            self.steps_only = false;
            return;
        }
        if !refs.iter().any(|r| matches!(r, Reference::Time(var) if reads_clock(*var))) {
            return;
        }
        let clock_only = refs.iter().all(|r| match r {
            Reference::Time(var) => *var != TimeVar::StateTime,
            Reference::Param(p) => self.invariant_param(*p),
            Reference::Column { .. } => true,
            Reference::Curve(_) => false,
        });
        if clock_only && self.is_step(e) {
            self.atoms.push(e.clone());
            return;
        }
        match &e.kind {
            ExprKind::Negate(a) => self.collect_steps(a),
            ExprKind::Binary(_, a, b) => {
                self.collect_steps(a);
                self.collect_steps(b);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| self.collect_steps(a)),
            // The clock read directly (`age * 2`): its value changes every cycle.
            _ => self.steps_only = false,
        }
    }

    /// Whether a subtree that reads only the clock and invariants is a step function of time.
    fn is_step(&self, e: &Expr) -> bool {
        if !e.references().iter().any(|r| matches!(r, Reference::Time(var) if reads_clock(*var))) {
            return true;
        }
        match &e.kind {
            ExprKind::Call(Function::Lookup, args) => match args.first().map(|a| &a.kind) {
                Some(ExprKind::Ref(Reference::Column { table, .. })) => {
                    self.model.tables.get(table.index()).is_some_and(|t| t.interpolation == Interpolation::Step)
                }
                _ => false,
            },
            ExprKind::Call(Function::Floor | Function::Ceil, _) => true,
            ExprKind::Binary(
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne,
                _,
                _,
            ) => true,
            ExprKind::Negate(a) => self.is_step(a),
            ExprKind::Binary(_, a, b) => self.is_step(a) && self.is_step(b),
            ExprKind::Call(_, args) => args.iter().all(|a| self.is_step(a)),
            _ => false,
        }
    }

    /// Replaces the largest time-invariant, non-trivial subtrees of a varying expression by
    /// references to hoisted parameters (`hr ^ 3` in `m_age * hr ^ 3`). Arguments of `if` stay
    /// in place, so that a branch not taken is never evaluated.
    fn hoist(&mut self, e: &Expr) -> Expr {
        let trivial = matches!(e.kind, ExprKind::Number(_) | ExprKind::Ref(_) | ExprKind::Name(_));
        if !trivial
            && self.invariant(e)
            && e.references().iter().any(|r| matches!(r, Reference::Param(_) | Reference::Column { .. }))
        {
            let id = ParamId::new(self.model.parameters.len() + self.hoisted.len());
            self.hoisted.push(compile(e, &self.model.env()));
            return Expr { kind: ExprKind::Ref(Reference::Param(id)), span: e.span.clone() };
        }
        let kind = match &e.kind {
            ExprKind::Negate(inner) => ExprKind::Negate(Box::new(self.hoist(inner))),
            ExprKind::Binary(op, a, b) => ExprKind::Binary(*op, Box::new(self.hoist(a)), Box::new(self.hoist(b))),
            ExprKind::Call(f, args) if *f != hta_model::formula::Function::If => {
                ExprKind::Call(*f, args.iter().map(|a| self.hoist(a)).collect())
            }
            other => other.clone(),
        };
        Expr { kind, span: e.span.clone() }
    }
}

/// The counting and discount weights of every cycle: the same for every strategy of a model,
/// so worked out once and shared by the programs compiled with it ([`Program::with_schedule`]).
#[derive(Debug, Clone)]
pub struct Schedule {
    weights: std::sync::Arc<[crate::kernel::CycleWeights]>,
    event_factors: std::sync::Arc<[(f64, f64)]>,
}

impl Schedule {
    pub fn new(model: &Model) -> Schedule {
        let cycles = 1..=model.settings.n_cycles;
        Schedule {
            weights: cycles.clone().map(|k| crate::run::cycle_weights_for(model, k)).collect(),
            event_factors: cycles.map(|k| crate::run::event_factors(model, k)).collect(),
        }
    }
}

impl Program {
    /// Compiles strategy `strategy`. The model must be valid (as `hta-spec` returns it).
    pub fn new(model: &Model, strategy: StrategyId) -> Program {
        Program::with_schedule(model, strategy, &Schedule::new(model))
    }

    /// [`Program::new`] with the model's [`Schedule`] made once for all its strategies.
    pub fn with_schedule(model: &Model, strategy: StrategyId, schedule: &Schedule) -> Program {
        let n_params = model.parameters.len();
        let definitions: Vec<&Formula> = (0..n_params).map(|p| model.definition(strategy, ParamId::new(p))).collect();
        let reads: Vec<Vec<ParamId>> = definitions.iter().map(|f| f.expr.params().collect()).collect();
        let order = hta_model::dependency::evaluation_order(&reads).unwrap_or_default();
        let mut param_varies = vec![false; n_params];
        let mut param_state_time = vec![false; n_params];
        for p in &order {
            let (v, st) = dependence(definitions[p.index()], &param_varies, &param_state_time);
            param_varies[p.index()] = v;
            param_state_time[p.index()] = st;
        }
        let state_time_order: Vec<ParamId> = order.iter().copied().filter(|p| param_state_time[p.index()]).collect();
        let (varying_order, fixed_order): (Vec<ParamId>, Vec<ParamId>) =
            order.iter().filter(|p| !param_state_time[p.index()]).partition(|p| param_varies[p.index()]);
        let layout = ValueLayout { n_categories: model.categories.len() };
        let s = model.strategy(strategy);
        let mut b = Builder {
            model,
            param_varies,
            param_state_time,
            formulas: Vec::new(),
            hoisted: Vec::new(),
            atoms: Vec::new(),
            steps_only: true,
        };
        for p in varying_order.iter().chain(&state_time_order) {
            b.collect_steps(&definitions[p.index()].expr);
        }

        // Expanded states.
        let mut sub_start = Vec::with_capacity(model.n_states() + 1);
        let mut user_state = Vec::new();
        let mut state_time = Vec::new();
        for (u, state) in model.states.iter().enumerate() {
            sub_start.push(user_state.len());
            match state.track_cycles {
                Some(n) => (1..=n).for_each(|j| {
                    user_state.push(u);
                    state_time.push(j);
                }),
                None => {
                    user_state.push(u);
                    state_time.push(0);
                }
            }
        }
        sub_start.push(user_state.len());
        let n_states = user_state.len();

        // One compiled formula per user entry and value, shared by the sub-states.
        let row_formulas: Vec<Vec<Option<usize>>> = s
            .rows
            .iter()
            .map(|row| {
                row.entries
                    .iter()
                    .map(|e| match &e.value {
                        EntryValue::Complement => None,
                        EntryValue::Formula(f) => Some(b.add(f)),
                    })
                    .collect()
            })
            .collect();
        let value_formulas: Vec<Vec<(usize, usize)>> = model
            .states
            .iter()
            .map(|state| {
                let mut values: Vec<(usize, usize)> = state.costs.iter().map(|(c, f)| (c.index(), b.add(f))).collect();
                if let Some(u) = &state.utility {
                    values.push((layout.qaly(), b.add(u)));
                }
                values.push((layout.life_years(), b.add(&state.life_years)));
                values
            })
            .collect();

        let mut row_start = Vec::with_capacity(n_states + 1);
        let mut entries = Vec::new();
        for x in 0..n_states {
            row_start.push(entries.len());
            let (u, j) = (user_state[x], state_time[x]);
            // Partitioned survival models have no rows.
            let Some(row) = s.rows.get(u) else { continue };
            for (e, entry) in row.entries.iter().enumerate() {
                let target = entry.to.index();
                // Staying in sub-state j moves to sub-state j + 1 (index sub_start + j), capped at
                // the last; entering any state lands in its first sub-state.
                let to =
                    if target == u && j > 0 { (sub_start[u] + j).min(sub_start[u + 1] - 1) } else { sub_start[target] };
                entries.push(Entry { from: x, to, formula: row_formulas[u][e] });
            }
        }
        row_start.push(entries.len());
        let state_values: Vec<Vec<(usize, usize)>> =
            (0..n_states).map(|x| value_formulas[user_state[x]].clone()).collect();
        let needs_state_time: Vec<bool> = (0..n_states)
            .map(|x| {
                let range = row_start[x]..row_start[x + 1];
                let in_row = entries[range].iter().filter_map(|e| e.formula).any(|f| b.formulas[f].state_time);
                in_row || state_values[x].iter().any(|(_, f)| b.formulas[*f].state_time)
            })
            .collect();

        let mut events = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let (from, to) = (StateId::new(user_state[entry.from]), StateId::new(user_state[entry.to]));
            for tv in model.transition_values.iter().filter(|tv| tv.applies(from, to)) {
                let mut values: Vec<(usize, usize)> =
                    tv.values.costs.iter().map(|(c, f)| (c.index(), b.add(f))).collect();
                if let Some(q) = &tv.values.qaly {
                    values.push((layout.qaly(), b.add(q)));
                }
                events.push(EventValue { entry: index, values });
            }
        }
        let mut at_start: Vec<(usize, usize)> = s.at_start.costs.iter().map(|(c, f)| (c.index(), b.add(f))).collect();
        if let Some(q) = &s.at_start.qaly {
            at_start.push((layout.qaly(), b.add(q)));
        }
        let mut initial = vec![0.0; n_states];
        for (u, share) in s.initial.iter().enumerate() {
            initial[sub_start[u]] = *share;
        }
        let n_hoisted = b.hoisted.len();
        let entry_to: Vec<usize> = entries.iter().map(|e| e.to).collect();
        let event_from: Vec<usize> = events.iter().map(|e| entries[e.entry].from).collect();
        let any_varying = !varying_order.is_empty() || b.formulas.iter().any(|f| f.varies || f.state_time);
        let env = model.env();
        let step_atoms: Option<Vec<CompiledExpr>> =
            b.steps_only.then(|| b.atoms.iter().map(|e| compile(e, &env)).collect());
        let clock_only = b.atoms.iter().all(|e| !e.references().iter().any(|r| matches!(r, Reference::Param(_))));
        let step_changes = step_atoms
            .as_deref()
            .filter(|_| clock_only)
            .map(|atoms| step_changes(atoms, n_params + b.hoisted.len(), &model.settings));
        let mut program = Program {
            strategy,
            n_user_states: model.n_states(),
            n_states,
            sub_start,
            user_state,
            state_time,
            n_params: n_params + b.hoisted.len(),
            n_model_params: n_params,
            layout,
            params: definitions.iter().map(|f| compile(&f.expr, &model.env())).chain(b.hoisted).collect(),
            fixed_order: fixed_order.into_iter().chain((n_params..n_params + n_hoisted).map(ParamId::new)).collect(),
            varying_order,
            state_time_order,
            formulas: b.formulas,
            row_start,
            entries,
            state_values,
            needs_state_time,
            events,
            at_start,
            initial,
            any_varying,
            has_rows: !s.rows.is_empty(),
            weights: schedule.weights.clone(),
            event_factors: schedule.event_factors.clone(),
            entry_to,
            event_from,
            step_atoms,
            step_changes,
            curve_checks: model
                .curves
                .iter()
                .enumerate()
                .map(|(i, c)| (hta_model::CurveId::new(i), hta_model::curve::compile_check(c, &model.env())))
                .collect(),
            fill_lists: None,
            changing: Changing::default(),
            clock_values: Vec::new(),
        };
        // Tabulated values are bounded (a model with many such parameters over a long horizon
        // evaluates the rest cycle by cycle, as before).
        let mut budget = MAX_CLOCK_VALUES;
        let mut is_varying = vec![false; program.n_params];
        program.varying_order.iter().for_each(|p| is_varying[p.index()] = true);
        program.clock_values = (0..program.n_params)
            .map(|p| {
                let cells = model.settings.n_cycles + 1;
                let clock_only = cells <= budget
                    && p < n_params
                    && is_varying[p]
                    && definitions[p].expr.references().iter().all(|r| match r {
                        Reference::Time(var) => *var != TimeVar::StateTime,
                        Reference::Column { .. } => true,
                        Reference::Param(_) | Reference::Curve(_) => false,
                    });
                clock_only.then(|| {
                    budget -= cells;
                    clock_values(&program.params[p], program.n_params, &model.settings)
                })
            })
            .collect();
        program.changing = Changing::of(&program);
        program.fill_lists = FillList::of(&program, false).zip(FillList::of(&program, true)).map(|(a, b)| [a, b]);
        program
    }
}

impl Program {
    /// Whether cycle `k` keeps the previous cycle's inputs for every parameter set whose run has
    /// found no problem: nothing varies, or the step inputs read only the clock and do not
    /// change at `k` ([`crate::resolve::Resolver::cycle`] would return false without resolving).
    pub fn reuses_cycle(&self, k: usize) -> bool {
        k > 1 && (!self.any_varying || (self.step_atoms.is_some() && self.step_changes.as_ref().is_some_and(|c| !c[k])))
    }
}

/// Most values tabulated for clock-only parameters in one program (8 MB).
const MAX_CLOCK_VALUES: usize = 1_000_000;

/// The values of a formula that reads only the clock, at cycles 0..=n.
fn clock_values(expr: &CompiledExpr, n_params: usize, settings: &hta_model::Settings) -> Vec<f64> {
    let mut slots = vec![0.0; SlotLayout::len(n_params)];
    (0..=settings.n_cycles)
        .map(|cycle| {
            crate::resolve::set_clock(&mut slots, cycle, settings.cycle_years, settings.start_age);
            expr.eval(&slots)
        })
        .collect()
}

/// Whether step inputs that read only the clock change at each cycle (see
/// [`Program::step_changes`]): the same evaluation, on the same clock, as a run's resolver does.
fn step_changes(atoms: &[CompiledExpr], n_params: usize, settings: &hta_model::Settings) -> Vec<bool> {
    let mut slots = vec![0.0; SlotLayout::len(n_params)];
    let mut previous = vec![f64::NAN; atoms.len()];
    (0..=settings.n_cycles)
        .map(|cycle| {
            crate::resolve::set_clock(&mut slots, cycle, settings.cycle_years, settings.start_age);
            let mut changed = false;
            for (atom, old) in atoms.iter().zip(previous.iter_mut()) {
                let value = atom.eval(&slots);
                changed |= value.to_bits() != old.to_bits();
                *old = value;
            }
            changed
        })
        .collect()
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("strategy", &self.strategy)
            .field("n_states", &self.n_states)
            .field("entries", &self.entries.len())
            .field("formulas", &self.formulas.len())
            .field("curve_checks", &CurveChecks(&self.curve_checks))
            .finish()
    }
}
