//! Translation of the model's formula language to Excel formula syntax, over the parsed
//! expression tree (never by rewriting text). Every operator is parenthesised, so Excel's
//! precedence rules (unary minus binds tighter than `^`) cannot change a formula's meaning.

use hta_model::formula::{BinaryOp, Expr, ExprKind, Function, Reference, TimeVar};
use hta_model::{Interpolation, LookupTable, Model, Outside, ParamId, TableId};

/// What a name or time variable becomes in a cell formula.
pub trait Cells {
    /// The Excel text for a parameter (a defined name, a cell of the same row, or its definition
    /// written out where it depends on time in state).
    fn param(&self, id: ParamId) -> Result<String, Unsupported>;
    /// The Excel text for a time variable, or `None` where it is not available.
    fn time(&self, var: TimeVar) -> Option<String>;
    /// The lookup table `id`, whose columns are the defined names of [`table_range`].
    fn table(&self, _id: TableId) -> Option<&LookupTable> {
        None
    }
    /// The model, for the survival curves written as formulas.
    fn model(&self) -> Option<&Model> {
        None
    }
    /// A reference to hta's value of `call` (a survival function without a formula, `why`
    /// saying so) where the sheet writes such values, or `None` where it does not.
    fn value_of(&self, _call: &Expr, _why: &str) -> Option<String> {
        None
    }
}

/// The defined name of a lookup table's key column (`column: None`) or of one of its columns
/// in the Tables sheet.
pub fn table_range(table: &LookupTable, column: Option<usize>) -> String {
    let clean = |s: &str| -> String { s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect() };
    match column.and_then(|c| table.columns.get(c)) {
        Some(c) => format!("tbl_{}_{}", clean(&table.name), clean(&c.name)),
        None => format!("tbl_{}_key", clean(&table.name)),
    }
}

/// `lookup(table.column, x)` as INDEX/MATCH over the Tables sheet, following the table's
/// interpolation and its rule for keys outside it (`NA()` where the model stops with an error),
/// as [`LookupTable::lookup`] does.
pub fn lookup(table: &LookupTable, column: usize, x: &str) -> String {
    let (keys, values) = (table_range(table, None), table_range(table, Some(column)));
    let n = table.keys.len();
    let key = |i: String| format!("INDEX({keys},{i})");
    let value = |i: String| format!("INDEX({values},{i})");
    let (low, high) = match table.outside {
        Outside::Error => ("NA()".to_string(), "NA()".to_string()),
        Outside::Hold => (value("1".into()), value(n.to_string())),
    };
    match table.interpolation {
        Interpolation::Step => {
            // The engine's slack for keys computed a rounding error below a whole number.
            let xs = format!("({x}+1E-9*MAX(ABS({x}),1))");
            let inside = value(format!("MATCH({xs},{keys},1)"));
            let above = if n >= 2 {
                let last = key(n.to_string());
                format!("IF({xs}>=({last}+({last}-{})),{high},{inside})", key((n - 1).to_string()))
            } else {
                inside
            };
            format!("IF({xs}<{},{low},{above})", key("1".into()))
        }
        Interpolation::Linear => {
            let i = format!("MATCH({x},{keys},1)");
            let k0 = key(i.clone());
            let v0 = value(i.clone());
            let inside = format!(
                "IF({i}>={n},{},{v0}+(({x}-{k0})/({}-{k0}))*({}-{v0}))",
                value(n.to_string()),
                key(format!("{i}+1")),
                value(format!("{i}+1"))
            );
            format!("IF({x}<{},{low},IF({x}>{},{high},{inside}))", key("1".into()), key(n.to_string()))
        }
    }
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
        ExprKind::Ref(Reference::Param(id)) => cells.param(*id)?,
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
        ExprKind::Call(Function::Lookup, args) => match (args.first().map(|a| &a.kind), args.get(1)) {
            (Some(ExprKind::Ref(Reference::Column { table, column })), Some(key)) => {
                let t = cells.table(*table).ok_or_else(|| Unsupported("a lookup table".into()))?;
                lookup(t, *column, &to_excel(key, cells)?)
            }
            _ => return Err(Unsupported("a malformed lookup".into())),
        },
        // A survival function: a formula where the curve has one, otherwise hta's value of
        // the call where the sheet keeps such values (`Cells::value_of`).
        ExprKind::Call(function, args) if function.is_survival() => {
            match crate::curves::survival_call(*function, args, cells) {
                Ok(text) => text,
                Err(why) => cells.value_of(expr, &why.0).ok_or(why)?,
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
        fn param(&self, _: ParamId) -> Result<String, Unsupported> {
            Ok("p".into())
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

    fn life_table(interpolation: Interpolation, outside: Outside) -> LookupTable {
        LookupTable {
            name: "lt".into(),
            key_name: "age".into(),
            keys: vec![60.0, 61.0, 62.0],
            columns: vec![hta_model::TableColumn { name: "qx".into(), values: vec![0.1, 0.2, 0.4] }],
            interpolation,
            outside,
            source: None,
        }
    }

    #[test]
    fn step_lookup_matches_at_or_below_with_the_engine_slack() {
        let t = life_table(Interpolation::Step, Outside::Error);
        let xs = "(a+1E-9*MAX(ABS(a),1))";
        let expected = format!(
            "IF({xs}<INDEX(tbl_lt_key,1),NA(),IF({xs}>=(INDEX(tbl_lt_key,3)+(INDEX(tbl_lt_key,3)-INDEX(tbl_lt_key,2))),\
             NA(),INDEX(tbl_lt_qx,MATCH({xs},tbl_lt_key,1))))"
        );
        assert_eq!(lookup(&t, 0, "a"), expected);
    }

    #[test]
    fn linear_lookup_holds_outside() {
        let t = life_table(Interpolation::Linear, Outside::Hold);
        let text = lookup(&t, 0, "a");
        assert!(
            text.starts_with(
                "IF(a<INDEX(tbl_lt_key,1),INDEX(tbl_lt_qx,1),IF(a>INDEX(tbl_lt_key,3),INDEX(tbl_lt_qx,3),"
            ),
            "{text}"
        );
        assert!(text.contains("((a-INDEX(tbl_lt_key,MATCH(a,tbl_lt_key,1)))/"), "{text}");
    }

    #[test]
    fn helpers_are_spelled_out_and_survival_functions_refused() {
        let expr = parse("rate_to_prob(0.1)").expect("valid");
        assert_eq!(to_excel(&expr, &NoCells).expect("translates"), "(1-EXP(-0.1*cycle_years))");
        assert!(to_excel(&parse("cycle_prob(x)").expect("valid"), &NoCells).is_err());
    }
}
