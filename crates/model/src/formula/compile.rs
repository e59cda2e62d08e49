//! Compiles a resolved [`Expr`] into a closure over numbered slots, folding constants.

use std::sync::Arc;

use super::ast::{BinaryOp, Expr, ExprKind, Reference, TimeVar};
use super::function::Function;
use crate::curve::{compile_curve, Curve, Need};
use crate::table::LookupTable;

/// What compiled formulas may read besides slots: the model's tables and survival curves.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub tables: &'a [Arc<LookupTable>],
    pub curves: &'a [Curve],
}

impl Env<'static> {
    /// No tables and no curves (for formulas that read neither).
    pub const EMPTY: Env<'static> = Env { tables: &[], curves: &[] };
}

type Closure = Box<dyn Fn(&[f64]) -> f64 + Send + Sync>;

/// Where each variable lives in the slot array a compiled expression reads:
/// the time variables first (in [`TimeVar::ALL`] order), then one slot per parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlotLayout;

impl SlotLayout {
    pub const N_TIME: usize = TimeVar::ALL.len();

    pub fn time(var: TimeVar) -> usize {
        var as usize
    }

    pub fn param(id: crate::ids::ParamId) -> usize {
        Self::N_TIME + id.index()
    }

    pub fn len(n_params: usize) -> usize {
        Self::N_TIME + n_params
    }
}

/// A formula ready to evaluate: a constant, or a closure reading the slot array.
pub enum CompiledExpr {
    Constant(f64),
    /// A slot read as it is (a parameter or a time variable): kept apart from closures so that
    /// an operation on slots (`m_age * hr_3`) is one closure, not three.
    Slot(usize),
    Dynamic(Closure),
}

impl std::fmt::Debug for CompiledExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompiledExpr::Constant(v) => write!(f, "Constant({v})"),
            CompiledExpr::Slot(i) => write!(f, "Slot({i})"),
            CompiledExpr::Dynamic(_) => f.write_str("Dynamic"),
        }
    }
}

impl CompiledExpr {
    #[inline]
    pub fn eval(&self, slots: &[f64]) -> f64 {
        match self {
            CompiledExpr::Constant(value) => *value,
            CompiledExpr::Slot(i) => slots[*i],
            CompiledExpr::Dynamic(closure) => closure(slots),
        }
    }

    pub fn constant(&self) -> Option<f64> {
        match self {
            CompiledExpr::Constant(value) => Some(*value),
            CompiledExpr::Slot(_) | CompiledExpr::Dynamic(_) => None,
        }
    }

    fn into_closure(self) -> Closure {
        match self {
            CompiledExpr::Constant(value) => Box::new(move |_| value),
            CompiledExpr::Slot(i) => Box::new(move |slots| slots[i]),
            CompiledExpr::Dynamic(closure) => closure,
        }
    }
}

/// Compiles a resolved expression. Names must have been resolved ([`Expr::resolve`]); an
/// unresolved name or a misplaced table column compiles to NaN, which run-time checks report.
pub fn compile(expr: &Expr, env: &Env) -> CompiledExpr {
    let tables = env;
    match &expr.kind {
        ExprKind::Number(value) => CompiledExpr::Constant(*value),
        ExprKind::Name(_) | ExprKind::Ref(Reference::Column { .. } | Reference::Curve(_)) => {
            CompiledExpr::Constant(f64::NAN)
        }
        ExprKind::Ref(Reference::Param(id)) => CompiledExpr::Slot(SlotLayout::param(*id)),
        ExprKind::Ref(Reference::Time(var)) => CompiledExpr::Slot(SlotLayout::time(*var)),
        ExprKind::Negate(inner) => match compile(inner, tables) {
            CompiledExpr::Constant(value) => CompiledExpr::Constant(-value),
            CompiledExpr::Slot(i) => CompiledExpr::Dynamic(Box::new(move |s| -s[i])),
            CompiledExpr::Dynamic(f) => CompiledExpr::Dynamic(Box::new(move |s| -f(s))),
        },
        ExprKind::Binary(op, a, b) => binary(*op, compile(a, tables), compile(b, tables)),
        ExprKind::Call(Function::If, args) => conditional(args, tables),
        ExprKind::Call(Function::Lookup, args) => lookup(args, tables),
        ExprKind::Call(f, args) if f.is_survival() => survival_call(*f, args, env),
        ExprKind::Call(function, args) => call(*function, args, tables),
    }
}

fn binary(op: BinaryOp, a: CompiledExpr, b: CompiledExpr) -> CompiledExpr {
    if let (Some(x), Some(y)) = (a.constant(), b.constant()) {
        return CompiledExpr::Constant(op.apply(x, y));
    }
    // The same operation on the same numbers, read straight from the slots.
    match (&a, &b) {
        (CompiledExpr::Slot(i), CompiledExpr::Slot(j)) => {
            let (i, j) = (*i, *j);
            return CompiledExpr::Dynamic(match op {
                BinaryOp::Add => Box::new(move |s| s[i] + s[j]),
                BinaryOp::Sub => Box::new(move |s| s[i] - s[j]),
                BinaryOp::Mul => Box::new(move |s| s[i] * s[j]),
                BinaryOp::Div => Box::new(move |s| s[i] / s[j]),
                _ => Box::new(move |s| op.apply(s[i], s[j])),
            });
        }
        (CompiledExpr::Slot(i), CompiledExpr::Constant(c)) if matches!(op, BinaryOp::Mul) => {
            let (i, c) = (*i, *c);
            return CompiledExpr::Dynamic(Box::new(move |s| s[i] * c));
        }
        (CompiledExpr::Constant(c), CompiledExpr::Slot(j)) if matches!(op, BinaryOp::Mul) => {
            let (c, j) = (*c, *j);
            return CompiledExpr::Dynamic(Box::new(move |s| c * s[j]));
        }
        _ => {}
    }
    let (f, g) = (a.into_closure(), b.into_closure());
    CompiledExpr::Dynamic(match op {
        BinaryOp::Add => Box::new(move |s| f(s) + g(s)),
        BinaryOp::Sub => Box::new(move |s| f(s) - g(s)),
        BinaryOp::Mul => Box::new(move |s| f(s) * g(s)),
        BinaryOp::Div => Box::new(move |s| f(s) / g(s)),
        _ => Box::new(move |s| op.apply(f(s), g(s))),
    })
}

fn conditional(args: &[Expr], tables: &Env) -> CompiledExpr {
    let [condition, then, otherwise] = args else {
        return CompiledExpr::Constant(f64::NAN);
    };
    let condition = compile(condition, tables);
    let (then, otherwise) = (compile(then, tables), compile(otherwise, tables));
    match condition.constant() {
        Some(c) if c.is_nan() => CompiledExpr::Constant(f64::NAN),
        Some(c) if c != 0.0 => then,
        Some(_) => otherwise,
        None => {
            let (c, t, o) = (condition.into_closure(), then.into_closure(), otherwise.into_closure());
            CompiledExpr::Dynamic(Box::new(move |s| {
                let test = c(s);
                if test.is_nan() {
                    f64::NAN
                } else if test != 0.0 {
                    t(s)
                } else {
                    o(s)
                }
            }))
        }
    }
}

fn lookup(args: &[Expr], env: &Env) -> CompiledExpr {
    let tables = env;
    let (Some(ExprKind::Ref(Reference::Column { table, column })), Some(key)) =
        (args.first().map(|a| &a.kind), args.get(1))
    else {
        return CompiledExpr::Constant(f64::NAN);
    };
    let Some(table) = env.tables.get(table.index()).cloned() else {
        return CompiledExpr::Constant(f64::NAN);
    };
    let column = *column;
    match compile(key, tables) {
        CompiledExpr::Constant(x) => CompiledExpr::Constant(table.lookup(column, x)),
        CompiledExpr::Slot(i) => CompiledExpr::Dynamic(Box::new(move |s| table.lookup(column, s[i]))),
        CompiledExpr::Dynamic(k) => CompiledExpr::Dynamic(Box::new(move |s| table.lookup(column, k(s)))),
    }
}

fn call(function: Function, args: &[Expr], tables: &Env) -> CompiledExpr {
    let compiled: Vec<CompiledExpr> = args.iter().map(|a| compile(a, tables)).collect();
    let needs_cycle_years = matches!(function, Function::RateToProb if args.len() < 2)
        || matches!(function, Function::RescaleProb if args.len() < 3);
    let constants: Option<Vec<f64>> = compiled.iter().map(CompiledExpr::constant).collect();
    if let (Some(values), false) = (&constants, needs_cycle_years) {
        return CompiledExpr::Constant(function.apply(values, f64::NAN));
    }
    let cycle_years_slot = SlotLayout::time(TimeVar::CycleYears);
    match <[CompiledExpr; 1]>::try_from(compiled) {
        Ok([only]) if !needs_cycle_years => {
            let f = only.into_closure();
            CompiledExpr::Dynamic(Box::new(move |s| function.apply(&[f(s)], f64::NAN)))
        }
        Ok([only]) => {
            let f = only.into_closure();
            CompiledExpr::Dynamic(Box::new(move |s| function.apply(&[f(s)], s[cycle_years_slot])))
        }
        Err(many) => {
            let closures: Vec<Closure> = many.into_iter().map(CompiledExpr::into_closure).collect();
            CompiledExpr::Dynamic(Box::new(move |s| {
                let mut values = [0.0; 8];
                if closures.len() > values.len() {
                    let all: Vec<f64> = closures.iter().map(|c| c(s)).collect();
                    return function.apply(&all, s[cycle_years_slot]);
                }
                for (value, closure) in values.iter_mut().zip(&closures) {
                    *value = closure(s);
                }
                function.apply(&values[..closures.len()], s[cycle_years_slot])
            }))
        }
    }
}

/// `surv`, `hazard`, `cumhaz`, `event_prob` and `cycle_prob` on a curve (first argument).
fn survival_call(function: Function, args: &[Expr], env: &Env) -> CompiledExpr {
    let Some(ExprKind::Ref(Reference::Curve(id))) = args.first().map(|a| &a.kind) else {
        return CompiledExpr::Constant(f64::NAN);
    };
    let curve = compile_curve(*id, env);
    let times: Vec<Closure> = args[1..].iter().map(|a| compile(a, env).into_closure()).collect();
    let time_slot = SlotLayout::time(TimeVar::Time);
    let cycle_years_slot = SlotLayout::time(TimeVar::CycleYears);
    let at = move |i: usize, s: &[f64]| times.get(i).map_or(f64::NAN, |t| t(s));
    CompiledExpr::Dynamic(match function {
        Function::Surv => Box::new(move |s| (-curve(s, at(0, s), Need::CumulativeHazard).0).exp()),
        Function::CumHaz => Box::new(move |s| curve(s, at(0, s), Need::CumulativeHazard).0),
        Function::Hazard => Box::new(move |s| curve(s, at(0, s), Need::Both).1),
        Function::EventProb => Box::new(move |s| {
            let (t0, t1) = (at(0, s), at(1, s));
            if t1 < t0 {
                return f64::NAN;
            }
            crate::survival::conditional_event_probability(
                curve(s, t0, Need::CumulativeHazard).0,
                curve(s, t1, Need::CumulativeHazard).0,
            )
        }),
        _ => Box::new(move |s| {
            let t0 = s[time_slot];
            let t1 = t0 + s[cycle_years_slot];
            crate::survival::conditional_event_probability(
                curve(s, t0, Need::CumulativeHazard).0,
                curve(s, t1, Need::CumulativeHazard).0,
            )
        }),
    })
}

/// Evaluates an expression that reads no variables (used by tests).
#[cfg(test)]
pub fn eval_constant(expr: &Expr) -> Option<f64> {
    compile(expr, &Env::EMPTY).constant()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formula::parse;
    use crate::ids::ParamId;

    fn resolved(text: &str) -> Expr {
        let mut expr = parse(text).expect("parses");
        let mut errors: Vec<()> = Vec::new();
        expr.resolve(
            &mut |name, _| match name {
                "a" => Ok(Reference::Param(ParamId::new(0))),
                "b" => Ok(Reference::Param(ParamId::new(1))),
                other => TimeVar::from_name(other).map(Reference::Time).ok_or(()),
            },
            &mut errors,
        );
        assert!(errors.is_empty());
        expr
    }

    #[test]
    fn closures_match_direct_arithmetic() {
        let mut slots = vec![0.0; SlotLayout::len(2)];
        slots[SlotLayout::time(TimeVar::Cycle)] = 3.0;
        slots[SlotLayout::time(TimeVar::CycleYears)] = 0.5;
        slots[SlotLayout::param(ParamId::new(0))] = 0.2;
        slots[SlotLayout::param(ParamId::new(1))] = 2.0;
        let cases: [(&str, f64); 6] = [
            ("1 - exp(-a * cycle) * b", 1.0 - (-0.6f64).exp() * 2.0),
            ("if(cycle <= 2, a, b)", 2.0),
            ("rate_to_prob(a)", 1.0 - (-0.1f64).exp()),
            ("rescale_prob(a, 1)", 1.0 - 0.8f64.powf(0.5)),
            ("min(a, b, cycle)", 0.2),
            ("a ^ b ^ 2", 0.2f64.powf(4.0)),
        ];
        for (text, expected) in cases {
            let got = compile(&resolved(text), &Env::EMPTY).eval(&slots);
            assert!((got - expected).abs() <= 1e-15 * expected.abs().max(1.0), "{text}: {got} vs {expected}");
        }
    }

    #[test]
    fn constants_fold() {
        assert!(compile(&resolved("2 * 3 + exp(0)"), &Env::EMPTY).constant() == Some(7.0));
        assert!(compile(&resolved("2 * a"), &Env::EMPTY).constant().is_none());
        assert!(compile(&resolved("rate_to_prob(0.1)"), &Env::EMPTY).constant().is_none());
    }
}
