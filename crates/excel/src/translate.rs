//! Translation of the model's formula language to Excel formula syntax, over the parsed
//! expression tree (never by rewriting text). Every operator is parenthesised, so Excel's
//! precedence rules (unary minus binds tighter than `^`) cannot change a formula's meaning.

use hta_model::formula::{BinaryOp, Expr, ExprKind, Function, Reference, TimeVar};
use hta_model::ParamId;

/// What a name or time variable becomes in a cell formula.
pub trait Cells {
    /// The Excel text for a parameter (a defined name or a cell of the same row).
    fn param(&self, id: ParamId) -> String;
    /// The Excel text for a time variable, or `None` where it is not available.
    fn time(&self, var: TimeVar) -> Option<String>;
}

/// Why a formula cannot be written as an Excel formula.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// The Excel formula text (without the leading `=`) of `expr`.
pub fn to_excel(expr: &Expr, cells: &dyn Cells) -> Result<String, Unsupported> {
    Ok(match &expr.kind {
        ExprKind::Number(v) => number(*v)?,
        ExprKind::Name(name) => return Err(Unsupported(format!("unresolved name `{name}`"))),
        ExprKind::Ref(Reference::Param(id)) => cells.param(*id),
        ExprKind::Ref(Reference::Time(var)) => cells
            .time(*var)
            .ok_or_else(|| Unsupported(format!("time variable `{}` is not available here", var.name())))?,
        ExprKind::Ref(Reference::Column { .. }) => return Err(Unsupported("a lookup table column".into())),
        ExprKind::Ref(Reference::Curve(_)) => return Err(Unsupported("a survival curve".into())),
        ExprKind::Negate(inner) => format!("(-{})", to_excel(inner, cells)?),
        ExprKind::Binary(op, a, b) => {
            let (a, b) = (to_excel(a, cells)?, to_excel(b, cells)?);
            match op {
                BinaryOp::And => format!("AND({a}<>0,{b}<>0)"),
                BinaryOp::Or => format!("OR({a}<>0,{b}<>0)"),
                // Comparisons give TRUE/FALSE; `--` turns them into 1/0 as in the model.
                _ => {
                    let sym = binary_symbol(*op);
                    if is_comparison(*op) {
                        format!("(--({a}{sym}{b}))")
                    } else {
                        format!("({a}{sym}{b})")
                    }
                }
            }
        }
        ExprKind::Call(function, args) => call(*function, args, cells)?,
    })
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne)
}

fn binary_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Pow => "^",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::And | BinaryOp::Or => "",
    }
}

/// A number as Excel reads it back exactly (Rust's shortest round-trip form).
pub fn number(v: f64) -> Result<String, Unsupported> {
    if !v.is_finite() {
        return Err(Unsupported(format!("the non-finite number {v}")));
    }
    let a = v.abs();
    let text = if a == 0.0 || (1e-6..1e15).contains(&a) { format!("{v}") } else { format!("{v:E}") };
    Ok(if v < 0.0 { format!("({text})") } else { text })
}

fn call(function: Function, args: &[Expr], cells: &dyn Cells) -> Result<String, Unsupported> {
    let a: Vec<String> = args.iter().map(|e| to_excel(e, cells)).collect::<Result<_, _>>()?;
    let arg = |i: usize| -> Result<String, Unsupported> {
        match a.get(i) {
            Some(text) => Ok(text.clone()),
            None => cells.time(TimeVar::CycleYears).ok_or_else(|| Unsupported("cycle_years".into())),
        }
    };
    let list = a.join(",");
    Ok(match function {
        Function::Exp => format!("EXP({})", arg(0)?),
        Function::Ln => format!("LN({})", arg(0)?),
        Function::Log => format!("LOG({},{})", arg(0)?, arg(1)?),
        Function::Log10 => format!("LOG10({})", arg(0)?),
        Function::Sqrt => format!("SQRT({})", arg(0)?),
        Function::Pow => format!("POWER({},{})", arg(0)?, arg(1)?),
        Function::Abs => format!("ABS({})", arg(0)?),
        Function::Floor => format!("INT({})", arg(0)?),
        Function::Ceil => format!("(-INT(-{}))", arg(0)?),
        Function::Min => format!("MIN({list})"),
        Function::Max => format!("MAX({list})"),
        Function::If => format!("IF({}<>0,{},{})", arg(0)?, arg(1)?, arg(2)?),
        Function::RateToProb => format!("(1-EXP(-{}*{}))", arg(0)?, arg(1)?),
        Function::ProbToRate => format!("(-LN(1-{})/{})", arg(0)?, arg(1)?),
        Function::RescaleProb => format!("(1-(1-{})^({}/{}))", arg(0)?, arg(2)?, arg(1)?),
        Function::ApplyHr => format!("(1-(1-{})^{})", arg(0)?, arg(1)?),
        Function::ProbToOdds => format!("({0}/(1-{0}))", arg(0)?),
        Function::OddsToProb => format!("({0}/(1+{0}))", arg(0)?),
        Function::Lookup
        | Function::Surv
        | Function::Hazard
        | Function::CumHaz
        | Function::EventProb
        | Function::CycleProb => return Err(Unsupported(format!("the function `{}`", function.name()))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hta_model::formula::parse;

    struct NoCells;
    impl Cells for NoCells {
        fn param(&self, _: ParamId) -> String {
            "p".into()
        }
        fn time(&self, var: TimeVar) -> Option<String> {
            (var == TimeVar::CycleYears).then(|| "cycle_years".into())
        }
    }

    #[test]
    fn negation_and_power_keep_the_model_meaning() {
        let expr = parse("-(2 ^ 2)").expect("valid");
        let text = to_excel(&expr, &NoCells).expect("translates");
        // Excel would read -2^2 as (-2)^2: the parentheses are kept.
        assert!(text == "(-(2^2))", "{text}");
    }

    #[test]
    fn helpers_are_spelled_out_and_lookups_refused() {
        let expr = parse("rate_to_prob(0.1)").expect("valid");
        assert_eq!(to_excel(&expr, &NoCells).expect("translates"), "(1-EXP(-0.1*cycle_years))");
        assert!(to_excel(&parse("cycle_prob(x)").expect("valid"), &NoCells).is_err());
    }
}
