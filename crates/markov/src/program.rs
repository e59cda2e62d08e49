//! Compiles one strategy of a [`Model`] into closures and flat index arrays, once per run set:
//! parameters in evaluation order split into time-invariant and time-varying, transition rows
//! as a sparse (CSR) structure, state and transition values by slot.

use hta_model::formula::{compile, CompiledExpr, Reference};
use hta_model::{EntryValue, Formula, Model, ParamId, StrategyId};

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

/// A compiled value and whether it changes from cycle to cycle.
#[derive(Debug)]
pub struct Compiled {
    pub expr: CompiledExpr,
    pub varies: bool,
}

/// One transition entry in CSR order.
#[derive(Debug)]
pub struct Entry {
    pub from: usize,
    pub to: usize,
    /// `None` for the complement.
    pub value: Option<Compiled>,
}

/// A transition value that applies to entry `entry` (index into the CSR arrays).
#[derive(Debug)]
pub struct EventValue {
    pub entry: usize,
    /// Slot in [`ValueLayout`] and its compiled value.
    pub values: Vec<(usize, Compiled)>,
}

/// Everything needed to resolve one strategy cycle by cycle.
#[derive(Debug)]
pub struct Program {
    pub strategy: StrategyId,
    pub n_states: usize,
    pub n_params: usize,
    pub layout: ValueLayout,
    /// Compiled definition of every parameter, by parameter index.
    pub params: Vec<CompiledExpr>,
    /// Time-invariant parameters, in evaluation order.
    pub fixed_order: Vec<ParamId>,
    /// Time-varying parameters, in evaluation order.
    pub varying_order: Vec<ParamId>,
    /// Row `i` occupies entries `row_start[i]..row_start[i + 1]`.
    pub row_start: Vec<usize>,
    pub entries: Vec<Entry>,
    /// Per state: (slot, value) for costs per cycle, utility per year, life-years per year.
    pub state_values: Vec<Vec<(usize, Compiled)>>,
    pub events: Vec<EventValue>,
    /// Charged at t = 0, by slot.
    pub at_start: Vec<(usize, Compiled)>,
    pub initial: Vec<f64>,
    pub any_varying: bool,
}

impl Program {
    /// Compiles strategy `strategy`. The model must be valid (as `hta-spec` returns it).
    pub fn new(model: &Model, strategy: StrategyId) -> Program {
        let n_params = model.parameters.len();
        let definitions: Vec<&Formula> = (0..n_params).map(|p| model.definition(strategy, ParamId::new(p))).collect();
        let reads: Vec<Vec<ParamId>> = definitions.iter().map(|f| f.expr.params().collect()).collect();
        let order = hta_model::dependency::evaluation_order(&reads).unwrap_or_default();
        let mut varies = vec![false; n_params];
        for p in &order {
            varies[p.index()] = formula_varies(definitions[p.index()], &varies);
        }
        let (varying_order, fixed_order): (Vec<ParamId>, Vec<ParamId>) = order.iter().partition(|p| varies[p.index()]);
        let tables = &model.tables;
        let compiled = |f: &Formula| Compiled { expr: compile(&f.expr, tables), varies: formula_varies(f, &varies) };
        let layout = ValueLayout { n_categories: model.categories.len() };
        let s = &model.strategies[strategy.index()];

        let mut row_start = Vec::with_capacity(model.n_states() + 1);
        let mut entries = Vec::new();
        for row in &s.rows {
            row_start.push(entries.len());
            for entry in &row.entries {
                let value = match &entry.value {
                    EntryValue::Complement => None,
                    EntryValue::Formula(f) => Some(compiled(f)),
                };
                entries.push(Entry { from: row.from.index(), to: entry.to.index(), value });
            }
        }
        row_start.push(entries.len());

        let state_values: Vec<Vec<(usize, Compiled)>> = model
            .states
            .iter()
            .map(|state| {
                let mut values: Vec<(usize, Compiled)> =
                    state.costs.iter().map(|(c, f)| (c.index(), compiled(f))).collect();
                match &state.utility {
                    Some(u) => values.push((layout.qaly(), compiled(u))),
                    None => values.push((layout.qaly(), Compiled { expr: CompiledExpr::Constant(0.0), varies: false })),
                }
                values.push((layout.life_years(), compiled(&state.life_years)));
                values
            })
            .collect();

        let mut events = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            for tv in &model.transition_values {
                if tv.applies(hta_model::StateId::new(entry.from), hta_model::StateId::new(entry.to)) {
                    let mut values: Vec<(usize, Compiled)> =
                        tv.values.costs.iter().map(|(c, f)| (c.index(), compiled(f))).collect();
                    if let Some(q) = &tv.values.qaly {
                        values.push((layout.qaly(), compiled(q)));
                    }
                    events.push(EventValue { entry: index, values });
                }
            }
        }

        let mut at_start: Vec<(usize, Compiled)> =
            s.at_start.costs.iter().map(|(c, f)| (c.index(), compiled(f))).collect();
        if let Some(q) = &s.at_start.qaly {
            at_start.push((layout.qaly(), compiled(q)));
        }
        let any_varying = !varying_order.is_empty()
            || entries.iter().filter_map(|e| e.value.as_ref()).any(|c| c.varies)
            || state_values.iter().flatten().any(|(_, c)| c.varies)
            || events.iter().flat_map(|e| &e.values).any(|(_, c)| c.varies);
        Program {
            strategy,
            n_states: model.n_states(),
            n_params,
            layout,
            params: definitions.iter().map(|f| compile(&f.expr, tables)).collect(),
            fixed_order,
            varying_order,
            row_start,
            entries,
            state_values,
            events,
            at_start,
            initial: s.initial.clone(),
            any_varying,
        }
    }
}

/// Whether a formula reads a time variable that changes, or a parameter that does.
fn formula_varies(formula: &Formula, param_varies: &[bool]) -> bool {
    formula.expr.references().iter().any(|r| match r {
        Reference::Time(var) => var.varies(),
        Reference::Param(p) => param_varies.get(p.index()).copied().unwrap_or(false),
        Reference::Column { .. } => false,
    })
}
