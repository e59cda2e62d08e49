//! Values computed by hta for what has no Excel formula (a survival function of a curve without
//! one, such as a generalised gamma or a hazard floor): written into columns of the trace sheet
//! that the formulas read, each column headed by the call, marked with a note ("values computed
//! by hta …; not a formula because …") and listed in [`crate::Written::values_only`]. The values
//! are those of the base case (the model's parameters as written), evaluated by the same
//! compiled formulas and curves as the engines, so a recalculated workbook still reproduces
//! hta's results; editing an input does not move them.

use std::cell::RefCell;

use hta_model::curve::{compile_curve, Need};
use hta_model::formula::{compile, CompiledExpr, Expr, ExprKind, Reference, SlotLayout, TimeVar};
use hta_model::{CurveId, Model, ParamId, StrategyId};
use rust_xlsxwriter::{Format, Formula, Note, Worksheet};

use crate::workbook::cell;

/// Evaluates a strategy's parameters, and any expression over them, at a cycle of the base case.
pub(crate) struct Evaluator<'a> {
    model: &'a Model,
    params: Vec<CompiledExpr>,
    order: Vec<ParamId>,
}

/// The parameters `expr` reads, directly or through the formulas of the curves it reads.
fn reads(model: &Model, expr: &Expr, out: &mut Vec<ParamId>) {
    let mut curves = Vec::new();
    for r in expr.references() {
        match r {
            Reference::Param(p) => out.push(p),
            Reference::Curve(c) => curves.push(c),
            _ => {}
        }
    }
    // Curves are acyclic (checked on load); `seen` bounds the walk all the same.
    let mut seen = Vec::new();
    while let Some(c) = curves.pop() {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        let Some(curve) = model.curves.get(c.index()) else { continue };
        for f in curve.formulas() {
            out.extend(f.expr.references().into_iter().filter_map(|r| match r {
                Reference::Param(p) => Some(p),
                _ => None,
            }));
        }
        curves.extend(curve.bases());
    }
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(model: &'a Model, strategy: StrategyId) -> Self {
        let env = model.env();
        let n = model.parameters.len();
        let defs: Vec<&hta_model::Formula> = (0..n).map(|i| model.definition(strategy, ParamId::new(i))).collect();
        let read: Vec<Vec<ParamId>> = defs
            .iter()
            .map(|d| {
                let mut out = Vec::new();
                reads(model, &d.expr, &mut out);
                out
            })
            .collect();
        // A validated model has no circular definitions.
        let order = hta_model::dependency::evaluation_order(&read).unwrap_or_default();
        Self { model, params: defs.iter().map(|d| compile(&d.expr, &env)).collect(), order }
    }

    /// The slot array of cycle `cycle` (0: the model's start) with `state_time` set in a
    /// tunnel column, as the engine's clock sets it.
    fn slots(&self, cycle: usize, state_time: Option<usize>) -> Vec<f64> {
        let s = &self.model.settings;
        let mut slots = vec![0.0; SlotLayout::N_TIME + self.params.len()];
        let time = cycle.saturating_sub(1) as f64 * s.cycle_years;
        slots[SlotLayout::time(TimeVar::CycleYears)] = s.cycle_years;
        slots[SlotLayout::time(TimeVar::Cycle)] = cycle as f64;
        slots[SlotLayout::time(TimeVar::Time)] = time;
        slots[SlotLayout::time(TimeVar::Age)] = s.start_age.map_or(f64::NAN, |a| a + time);
        slots[SlotLayout::time(TimeVar::StateTime)] = state_time.map_or(f64::NAN, |j| j as f64);
        for &p in &self.order {
            if let Some(e) = self.params.get(p.index()) {
                slots[SlotLayout::param(p)] = e.eval(&slots);
            }
        }
        slots
    }

    /// `expr` at cycle `cycle`.
    pub(crate) fn eval(&self, expr: &Expr, cycle: usize, state_time: Option<usize>) -> f64 {
        compile(expr, &self.model.env()).eval(&self.slots(cycle, state_time))
    }

    /// Survival of curve `c` at the boundaries 0, 1, …, n cycles, as the partitioned survival
    /// engine computes it (parameters as at the model's start).
    pub(crate) fn survival(&self, c: CurveId) -> Vec<f64> {
        let (slots, curve) = (self.slots(0, None), compile_curve(c, &self.model.env()));
        let s = &self.model.settings;
        (0..=s.n_cycles).map(|k| (-curve(&slots, k as f64 * s.cycle_years, Need::CumulativeHazard).0).exp()).collect()
    }
}

/// One column of values: its heading, why it is not a formula, and (row, value) pairs.
struct Column {
    head: String,
    why: String,
    values: Vec<(u32, f64)>,
}

/// The value columns of one trace sheet, from `first_col` on, filled as formulas ask for them.
pub(crate) struct ValueColumns<'a> {
    pub(crate) eval: Evaluator<'a>,
    first_col: u16,
    columns: RefCell<Vec<Column>>,
    /// A partitioned survival model's curves without a formula.
    partition: RefCell<Vec<PartitionCurve>>,
}

/// A partition's curve written as values: its column, why, its survival at every boundary.
struct PartitionCurve {
    curve: CurveId,
    col: u16,
    why: String,
    survival: Vec<f64>,
}

impl<'a> ValueColumns<'a> {
    pub(crate) fn new(model: &'a Model, strategy: StrategyId, first_col: u16) -> Self {
        Self {
            eval: Evaluator::new(model, strategy),
            first_col,
            columns: RefCell::new(Vec::new()),
            partition: RefCell::new(Vec::new()),
        }
    }

    /// The cell of row `row` (cycle `row − 1`) holding hta's value of `call`, evaluated now.
    pub(crate) fn cell(&self, call: &Expr, why: &str, row: u32, state_time: Option<usize>) -> String {
        let mut head = show(self.eval.model, call);
        if let Some(j) = state_time {
            head.push_str(&format!(" [{j}]"));
        }
        let mut columns = self.columns.borrow_mut();
        let i = match columns.iter().position(|c| c.head == head) {
            Some(i) => i,
            None => {
                columns.push(Column { head, why: why.to_string(), values: Vec::new() });
                columns.len() - 1
            }
        };
        let column = &mut columns[i];
        if !column.values.iter().any(|&(r, _)| r == row) {
            let v = self.eval.eval(call, row.saturating_sub(1) as usize, state_time);
            column.values.push((row, v));
        }
        cell(self.first_col + i as u16, row)
    }

    /// hta's survival of curve `c` (written in column `col`, without a formula because `why`)
    /// at the boundary ending cycle `k`.
    pub(crate) fn curve_survival(&self, c: CurveId, col: u16, why: &str, k: usize) -> f64 {
        let mut partition = self.partition.borrow_mut();
        let i = match partition.iter().position(|p| p.curve == c) {
            Some(i) => i,
            None => {
                partition.push(PartitionCurve { curve: c, col, why: why.to_string(), survival: self.eval.survival(c) });
                partition.len() - 1
            }
        };
        partition[i].survival.get(k).copied().unwrap_or(f64::NAN)
    }

    /// Writes the columns (headings with their note, the values) and marks the partition's
    /// curve columns written as values (a note on the heading); lists every such column with
    /// its note under the trace, one a row from `note_row` in the first column. Returns one line
    /// per column for the cover sheet and the command's output.
    pub(crate) fn write(
        &self,
        ws: &mut Worksheet,
        sheet: &str,
        head: &Format,
        value: &Format,
        note_row: u32,
    ) -> Result<Vec<String>, rust_xlsxwriter::XlsxError> {
        let mut notes = Vec::new();
        let mut row = note_row;
        let mut mark =
            |ws: &mut Worksheet, col: u16, what: &str, why: &str| -> Result<(), rust_xlsxwriter::XlsxError> {
                let note = values_note(why);
                ws.insert_note(0, col, &Note::new(&note).set_author("hta").set_width(300).set_height(120))?;
                ws.write_string(row, 0, format!("{what} (column {}): {note}", crate::workbook::col_name(col)))?;
                row += 1;
                notes.push(format!("{sheet}: {what} written as values: not a formula because {why}"));
                Ok(())
            };
        for (i, c) in self.columns.borrow().iter().enumerate() {
            let col = self.first_col + i as u16;
            let heading = format!("{} (values)", c.head);
            ws.write_string_with_format(0, col, &heading, head)?;
            ws.set_column_width(col, crate::workbook::heading_width(&heading).max(16.0))?;
            for &(r, v) in &c.values {
                write_value(ws, r, col, v, value)?;
            }
            mark(ws, col, &c.head, &c.why)?;
        }
        for p in self.partition.borrow().iter() {
            let name = self.eval.model.curves.get(p.curve.index()).map_or("?", |c| c.name.as_str());
            mark(ws, p.col, &format!("survival of curve {name}"), &p.why)?;
        }
        Ok(notes)
    }
}

/// The note on a column of values.
pub(crate) fn values_note(why: &str) -> String {
    format!("values computed by hta {}; not a formula because {why}", env!("CARGO_PKG_VERSION"))
}

/// A value cell; a value that is not a number (in a branch the model does not take) as #N/A.
pub(crate) fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: f64,
    format: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if v.is_finite() {
        ws.write_number_with_format(row, col, v, format)?;
    } else {
        ws.write_formula_with_format(row, col, Formula::new("=NA()"), format)?;
    }
    Ok(())
}

/// `expr` as the model's formula language writes it (every operation parenthesised), for a
/// column heading.
pub(crate) fn show(model: &Model, expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Number(v) => format!("{v}"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Ref(Reference::Param(p)) => model.parameters.get(p.index()).map_or("?".into(), |p| p.name.clone()),
        ExprKind::Ref(Reference::Time(v)) => v.name().to_string(),
        ExprKind::Ref(Reference::Curve(c)) => model.curves.get(c.index()).map_or("?".into(), |c| c.name.clone()),
        ExprKind::Ref(Reference::Column { table, column }) => match model.tables.get(table.index()) {
            Some(t) => format!("{}.{}", t.name, t.columns.get(*column).map_or("?", |c| c.name.as_str())),
            None => "?".into(),
        },
        ExprKind::Negate(a) => format!("-{}", show(model, a)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", show(model, a), op.symbol(), show(model, b)),
        ExprKind::Call(f, args) => {
            let args: Vec<String> = args.iter().map(|a| show(model, a)).collect();
            format!("{}({})", f.name(), args.join(", "))
        }
    }
}
