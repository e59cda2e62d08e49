//! The expression tree of a formula, with byte spans into the formula text.

use crate::ids::{CurveId, ParamId, TableId};

use super::function::Function;

/// Byte range `start..end` of a node within its formula text.
pub type Span = std::ops::Range<usize>;

/// A node of a formula with the span of text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    /// A name as written (possibly dotted, `table.column`), not yet resolved.
    Name(String),
    /// A name after resolution.
    Ref(Reference),
    Negate(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

/// What a resolved name refers to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    Param(ParamId),
    Time(TimeVar),
    /// A column of a lookup table; only valid as the first argument of `lookup`.
    Column {
        table: TableId,
        column: usize,
    },
    /// A survival curve; only valid as the first argument of the survival functions.
    Curve(CurveId),
}

/// Variables that change with model time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeVar {
    /// Model cycle, 1-based (0 for values charged at model start).
    Cycle,
    /// Years since model start at the beginning of the cycle: `(cycle - 1) * cycle_years`.
    Time,
    /// Cohort age in years: `start_age + time`.
    Age,
    /// Cycle length in years (constant during a run).
    CycleYears,
    /// Cycles spent in the current state, 1 in the first cycle after entry (or at model start).
    /// Defined only in the rows and values of states that track time in state.
    StateTime,
}

impl TimeVar {
    pub const ALL: [TimeVar; 5] =
        [TimeVar::Cycle, TimeVar::Time, TimeVar::Age, TimeVar::CycleYears, TimeVar::StateTime];

    pub fn name(self) -> &'static str {
        match self {
            TimeVar::Cycle => "cycle",
            TimeVar::Time => "time",
            TimeVar::Age => "age",
            TimeVar::CycleYears => "cycle_years",
            TimeVar::StateTime => "state_time",
        }
    }

    pub fn from_name(name: &str) -> Option<TimeVar> {
        TimeVar::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Whether the variable changes from cycle to cycle.
    pub fn varies(self) -> bool {
        !matches!(self, TimeVar::CycleYears)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as the formula language writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    /// Applies the operator. Comparisons and logic give 1 or 0, and NaN if either side is NaN,
    /// so that a failed lookup in a condition stops the run instead of choosing a branch.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        let is_arithmetic =
            matches!(self, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow);
        if !is_arithmetic && (a.is_nan() || b.is_nan()) {
            return f64::NAN;
        }
        let truth = |x: bool| if x { 1.0 } else { 0.0 };
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Pow => a.powf(b),
            BinaryOp::Lt => truth(a < b),
            BinaryOp::Le => truth(a <= b),
            BinaryOp::Gt => truth(a > b),
            BinaryOp::Ge => truth(a >= b),
            BinaryOp::Eq => truth(a == b),
            BinaryOp::Ne => truth(a != b),
            BinaryOp::And => truth(a != 0.0 && b != 0.0),
            BinaryOp::Or => truth(a != 0.0 || b != 0.0),
        }
    }
}

impl Expr {
    /// Visits every node, parents before children.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Negate(inner) => inner.walk(visit),
            ExprKind::Binary(_, a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|arg| arg.walk(visit)),
            ExprKind::Number(_) | ExprKind::Name(_) | ExprKind::Ref(_) => {}
        }
    }

    /// Replaces every `Name` by what `resolve` says it refers to; collects every failure.
    pub fn resolve<E>(&mut self, resolve: &mut impl FnMut(&str, &Span) -> Result<Reference, E>, errors: &mut Vec<E>) {
        match &mut self.kind {
            ExprKind::Name(name) => match resolve(name, &self.span) {
                Ok(reference) => self.kind = ExprKind::Ref(reference),
                Err(error) => errors.push(error),
            },
            ExprKind::Negate(inner) => inner.resolve(resolve, errors),
            ExprKind::Binary(_, a, b) => {
                a.resolve(resolve, errors);
                b.resolve(resolve, errors);
            }
            ExprKind::Call(_, args) => args.iter_mut().for_each(|arg| arg.resolve(resolve, errors)),
            ExprKind::Number(_) | ExprKind::Ref(_) => {}
        }
    }

    /// Every resolved reference in the tree, in order of appearance.
    pub fn references(&self) -> Vec<Reference> {
        let mut found = Vec::new();
        self.walk(&mut |node| {
            if let ExprKind::Ref(reference) = &node.kind {
                found.push(*reference);
            }
        });
        found
    }

    /// The parameters this expression reads directly.
    pub fn params(&self) -> impl Iterator<Item = ParamId> + '_ {
        self.references().into_iter().filter_map(|r| match r {
            Reference::Param(id) => Some(id),
            _ => None,
        })
    }

    /// The constant value of a bare number literal (optionally negated).
    pub fn as_constant(&self) -> Option<f64> {
        match &self.kind {
            ExprKind::Number(value) => Some(*value),
            ExprKind::Negate(inner) => inner.as_constant().map(|v| -v),
            _ => None,
        }
    }

    pub fn number(value: f64) -> Expr {
        Expr { kind: ExprKind::Number(value), span: 0..0 }
    }
}
