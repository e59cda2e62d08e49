//! Translation of the model's formula language to Excel formula syntax, over the parsed
//! expression tree (never by rewriting text). Every operator is parenthesised, so Excel's
//! precedence rules (unary minus binds tighter than `^`) cannot change a formula's meaning.

use hta_model::curve::CurveKind;
use hta_model::formula::{BinaryOp, Expr, ExprKind, Function, Reference, TimeVar};
use hta_model::survival::Family;
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
}

/// `cycle_prob` of a life-table curve: 1 − exp(−ΔH) with ΔH the integral of the yearly hazard
/// −ln(1 − q_x) over the cycle's ages `[a0, a0 + cycle_years]`, x the whole age (a whole age a
/// rounding error away counts as that age). A cycle of at most a year crosses one birthday at
/// most: ΔH = h(y)·(min(y + 1, a1) − a0) + h(y + 1)·(a1 − y − 1) when a1 passes y + 1.
pub fn life_table_cycle_prob(table: &LookupTable, column: usize, a0: &str, cycle_years: &str) -> String {
    let snap = |x: &str| format!("IF(ABS({x}-ROUND({x},0))<=1E-9*MAX(ABS({x}),1),ROUND({x},0),{x})");
    let a1 = format!("({a0}+{cycle_years})");
    let y = format!("INT({})", snap(a0));
    let h = |age: &str| format!("(-LN(1-{}))", lookup(table, column, age));
    let next = format!("({y}+1)");
    format!("(1-EXP(-({}*(MIN({next},{a1})-{a0})+IF({}>{next},{}*({a1}-{next}),0))))", h(&y), snap(&a1), h(&next))
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
        ExprKind::Call(Function::CycleProb, args) => cycle_prob(args, cells)?,
        ExprKind::Call(Function::Surv, args) => survival(args, cells)?,
        ExprKind::Call(function, args) => call(*function, args, cells)?,
    })
}

/// The cumulative hazard H(t) of a parametric family as an Excel formula of its parameters and
/// `t` (curve time units), as `Family::cumulative_hazard` computes it (0 at t = 0); `None` for a
/// family without an Excel function (the generalised gamma).
pub fn cumulative_hazard(family: Family, params: &[String], t: &str) -> Option<String> {
    let p = |i: usize| params.get(i).cloned();
    let h = match family {
        Family::Exponential => format!("({}*{t})", p(0)?),
        Family::Weibull => format!("(({t}/{})^{})", p(1)?, p(0)?),
        Family::WeibullPh => format!("({}*{t}^{})", p(1)?, p(0)?),
        Family::Gompertz => {
            let (a, b) = (p(0)?, p(1)?);
            format!("IF({a}=0,{b}*{t},{b}*(EXP({a}*{t})-1)/{a})")
        }
        Family::LogLogistic => format!("LN(1+({t}/{})^{})", p(1)?, p(0)?),
        // The upper tail as the lower tail of −z keeps its precision far out.
        Family::LogNormal => format!("(-LN(NORMSDIST(-(LN({t})-{})/{})))", p(0)?, p(1)?),
        Family::Gamma => format!("(-LN(1-GAMMADIST({}*{t},{},1,TRUE)))", p(1)?, p(0)?),
        Family::GenGamma => return None,
    };
    Some(format!("IF({t}=0,0,{h})"))
}

/// The cumulative hazard of a parametric curve at `t_years` as a formula, where its family has
/// one.
fn curve_cumulative_hazard(
    curve: &hta_model::curve::Curve,
    t_years: &str,
    cells: &dyn Cells,
) -> Result<String, Unsupported> {
    let CurveKind::Parametric { family, params } = &curve.kind else {
        return Err(Unsupported(format!("the cumulative hazard of curve {}", curve.name)));
    };
    let params: Vec<String> = params.iter().map(|f| to_excel(&f.expr, cells)).collect::<Result<_, _>>()?;
    let t = format!("({t_years}*{})", number(curve.units_per_year)?);
    cumulative_hazard(*family, &params, &t)
        .ok_or_else(|| Unsupported(format!("the {} survival curve {} (no Excel function)", family.name(), curve.name)))
}

/// Survival S(t) of curve `id` at `t_years` as a formula: a parametric family, a mixture cure
/// S_bg·(π + (1 − π)·S_u), or a life-table curve (a table of whole consecutive ages).
pub fn curve_survival(
    model: &Model,
    id: hta_model::CurveId,
    t_years: &str,
    cells: &dyn Cells,
) -> Result<String, Unsupported> {
    let refused = || Unsupported("this survival curve".into());
    let curve = model.curves.get(id.index()).ok_or_else(refused)?;
    match &curve.kind {
        CurveKind::Parametric { .. } => Ok(format!("EXP(-{})", curve_cumulative_hazard(curve, t_years, cells)?)),
        CurveKind::MixtureCure { cure_fraction, uncured, background } => {
            let pi = to_excel(&cure_fraction.expr, cells)?;
            let su = curve_survival(model, *uncured, t_years, cells)?;
            let cure = format!("({pi}+(1-{pi})*{su})");
            Ok(match background {
                Some(b) => format!("({}*{cure})", curve_survival(model, *b, t_years, cells)?),
                None => cure,
            })
        }
        CurveKind::LifeTable { table, column, start_age } => {
            let table = model.tables.get(table.index()).ok_or_else(refused)?;
            let whole_ages =
                table.keys.windows(2).all(|w| w[1] - w[0] == 1.0) && table.keys.iter().all(|k| k.fract() == 0.0);
            if !whole_ages || table.interpolation != Interpolation::Step {
                return Err(Unsupported(format!(
                    "the life-table curve {} over a table not by single years of age",
                    curve.name
                )));
            }
            let start = match start_age.expr.kind {
                ExprKind::Number(v) if Some(v) == model.settings.start_age => "hta_start_age".to_string(),
                _ => to_excel(&start_age.expr, cells)?,
            };
            // H(t) = Σ_x −ln(1 − q_x)·|[x, x + 1) ∩ [a0, a0 + t]|, the overlaps elementwise
            // (max and min written with ABS, which SUMPRODUCT applies to arrays).
            let (keys, q) = (table_range(table, None), table_range(table, Some(*column)));
            let (a0, a1) = (format!("({start})"), format!("({start}+{t_years})"));
            let lo = format!("(({keys}+{a0}+ABS({keys}-{a0}))/2)");
            let hi = format!("(({keys}+1+{a1}-ABS({keys}+1-{a1}))/2)");
            let overlap = format!("((({hi}-{lo})+ABS({hi}-{lo}))/2)");
            Ok(format!("EXP(-SUMPRODUCT(-LN(1-{q}),{overlap}))"))
        }
        _ => Err(Unsupported(format!("the survival curve {} (a {} curve)", curve.name, kind_name(&curve.kind)))),
    }
}

fn kind_name(kind: &CurveKind) -> &'static str {
    match kind {
        CurveKind::Parametric { .. } => "parametric",
        CurveKind::PiecewiseExponential { .. } => "piecewise exponential",
        CurveKind::Spline { .. } => "spline",
        CurveKind::Tabulated { .. } => "tabulated",
        CurveKind::ProportionalHazards { .. } => "proportional hazards",
        CurveKind::AcceleratedFailure { .. } => "accelerated failure",
        CurveKind::Joined { .. } => "joined",
        CurveKind::MixtureCure { .. } => "mixture cure",
        CurveKind::LifeTable { .. } => "life-table",
        CurveKind::HazardFloor { .. } => "hazard floor",
    }
}

/// `surv(curve, t)` of a parametric curve: exp(−H(t)).
fn survival(args: &[Expr], cells: &dyn Cells) -> Result<String, Unsupported> {
    let refused = || Unsupported("the function `surv` of this survival curve".into());
    let (Some(ExprKind::Ref(Reference::Curve(id))), Some(t), Some(model)) =
        (args.first().map(|a| &a.kind), args.get(1), cells.model())
    else {
        return Err(refused());
    };
    curve_survival(model, *id, &to_excel(t, cells)?, cells)
}

/// `cycle_prob(curve)` where the curve has an Excel formula: a parametric family (1 − exp(−ΔH)
/// over the cycle) or a life-table curve with cycles of at most a year.
fn cycle_prob(args: &[Expr], cells: &dyn Cells) -> Result<String, Unsupported> {
    let refused = || Unsupported("the function `cycle_prob` of this survival curve".into());
    let (Some(ExprKind::Ref(Reference::Curve(id))), Some(model)) = (args.first().map(|a| &a.kind), cells.model())
    else {
        return Err(refused());
    };
    let curve = model.curves.get(id.index()).ok_or_else(refused)?;
    if let CurveKind::Parametric { .. } = &curve.kind {
        let time = cells.time(TimeVar::Time).ok_or_else(refused)?;
        let cycle_years = cells.time(TimeVar::CycleYears).ok_or_else(refused)?;
        let h0 = curve_cumulative_hazard(curve, &time, cells)?;
        let h1 = curve_cumulative_hazard(curve, &format!("({time}+{cycle_years})"), cells)?;
        return Ok(format!("(1-EXP(-MAX(0,{h1}-{h0})))"));
    }
    let CurveKind::LifeTable { table, column, start_age } = &curve.kind else { return Err(refused()) };
    if model.settings.cycle_years > 1.0 {
        return Err(Unsupported("`cycle_prob` of a life table with cycles longer than a year".into()));
    }
    let table = model.tables.get(table.index()).ok_or_else(refused)?;
    // The cohort's start age (the curve's default) is the Inputs cell, so that editing it moves
    // the curve as `--set cohort.start_age` does.
    let start = match start_age.expr.kind {
        ExprKind::Number(v) if Some(v) == model.settings.start_age => "hta_start_age".to_string(),
        _ => to_excel(&start_age.expr, cells)?,
    };
    let time = cells.time(TimeVar::Time).ok_or_else(refused)?;
    let cycle_years = cells.time(TimeVar::CycleYears).ok_or_else(refused)?;
    Ok(life_table_cycle_prob(table, *column, &format!("({start}+{time})"), &cycle_years))
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
    fn life_table_cycle_probability_integrates_the_yearly_hazard_over_a_birthday() {
        let t = life_table(Interpolation::Step, Outside::Error);
        let text = life_table_cycle_prob(&t, 0, "a", "c");
        // 1 - exp(-(h(y)·(min(y+1, a+c) - a) + h(y+1)·(a+c-(y+1)) if a+c passes y+1)).
        assert!(text.starts_with("(1-EXP(-((-LN(1-"), "{text}");
        assert!(
            text.contains("*(MIN((INT(IF(ABS(a-ROUND(a,0))<=1E-9*MAX(ABS(a),1),ROUND(a,0),a))+1),(a+c))-a)"),
            "{text}"
        );
        assert!(text.contains(">(INT("), "{text}");
    }

    #[test]
    fn weibull_and_lognormal_cumulative_hazards_follow_flexsurv() {
        let ps = ["a".to_string(), "b".to_string()];
        // Weibull (AFT, as R's dweibull): H = (t/scale)^shape.
        assert_eq!(cumulative_hazard(Family::Weibull, &ps, "t").as_deref(), Some("IF(t=0,0,((t/b)^a))"));
        assert_eq!(
            cumulative_hazard(Family::LogNormal, &ps, "t").as_deref(),
            Some("IF(t=0,0,(-LN(NORMSDIST(-(LN(t)-a)/b))))")
        );
        assert!(cumulative_hazard(Family::GenGamma, &[ps[0].clone(), ps[1].clone(), "q".into()], "t").is_none());
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
