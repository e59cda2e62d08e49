//! Survival curves as Excel formulas: each curve's cumulative hazard H(t) as a formula of the
//! Inputs' names and a time in years, as `hta_model::curve` computes it, and the survival
//! functions of the formula language (`surv`, `cumhaz`, `event_prob`, `cycle_prob`) over it.
//!
//! Written as formulas: the parametric families with an Excel function, piecewise exponential
//! (the rate times the time spent in each piece), Royston–Parmar splines (the basis written
//! out), proportional hazards (hr·H), acceleration (H(t/af)), joins (IF on the join time),
//! mixture cure and life tables. Not formulas (the caller writes hta's values instead): the
//! generalised gamma, tabulated curves, hazard floors (a numerical integral), `hazard`, and any
//! curve built on one of these.

use hta_model::curve::CurveKind;
use hta_model::formula::{Expr, ExprKind, Function, Reference, TimeVar};
use hta_model::survival::Family;
use hta_model::{CurveId, Interpolation, LookupTable, Model};

use crate::translate::{lookup, number, table_range, to_excel, Cells, Unsupported};

/// Longest formula text Excel accepts in a cell.
pub const MAX_FORMULA_CHARS: usize = 8192;

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

/// Piecewise exponential H(t) (curve units): Σ rate_i·(time spent in piece i by t), the pieces
/// `[cuts[i-1], cuts[i])` from 0, the last unbounded.
pub fn piecewise_cumulative_hazard(cuts: &[f64], rates: &[String], t: &str) -> Result<String, Unsupported> {
    let mut terms = Vec::new();
    let mut start = 0.0;
    for (i, rate) in rates.iter().enumerate() {
        let from = number(start)?;
        let spent = match cuts.get(i) {
            Some(&end) => format!("MAX(0,MIN({t},{})-{from})", number(end)?),
            None => format!("MAX(0,{t}-{from})"),
        };
        terms.push(format!("{rate}*{spent}"));
        start = cuts.get(i).copied().unwrap_or(start);
    }
    Ok(if terms.is_empty() { "0".into() } else { format!("({})", terms.join("+")) })
}

/// Royston–Parmar H(t) = exp(Σ γ_i b_i(ln t)) (curve units), the natural cubic spline basis of
/// `hta_model::survival::royston_parmar_basis` written out (0 at t = 0).
pub fn spline_cumulative_hazard(knots: &[f64], gamma: &[String], t: &str) -> Result<String, Unsupported> {
    let x = format!("LN({t})");
    let mut basis = vec!["1".to_string(), x.clone()];
    if let (Some(&lo), Some(&hi)) = (knots.first(), knots.last()) {
        let cube = |k: f64| -> Result<String, Unsupported> { Ok(format!("MAX(0,{x}-{})^3", number(k)?)) };
        for &k in knots.iter().take(knots.len().saturating_sub(1)).skip(1) {
            let lambda = (hi - k) / (hi - lo);
            basis.push(format!(
                "({}-{}*{}-{}*{})",
                cube(k)?,
                number(lambda)?,
                cube(lo)?,
                number(1.0 - lambda)?,
                cube(hi)?
            ));
        }
    }
    let s: Vec<String> = basis.iter().zip(gamma).map(|(b, g)| format!("{b}*{g}")).collect();
    Ok(format!("IF({t}=0,0,EXP({}))", s.join("+")))
}

/// The start age of a life-table curve: the Inputs cell where it is the cohort's, so that
/// editing it moves the curve as `--set cohort.start_age` does.
fn start_age(model: &Model, start: &hta_model::Formula, cells: &dyn Cells) -> Result<String, Unsupported> {
    match start.expr.kind {
        ExprKind::Number(v) if Some(v) == model.settings.start_age => Ok("hta_start_age".to_string()),
        _ => to_excel(&start.expr, cells),
    }
}

/// Whether a life table has whole consecutive ages read by step (a key per year of age).
fn by_single_years(table: &LookupTable) -> bool {
    table.keys.windows(2).all(|w| w[1] - w[0] == 1.0)
        && table.keys.iter().all(|k| k.fract() == 0.0)
        && table.interpolation == Interpolation::Step
}

/// The cumulative hazard of curve `id` at `t_years` (a formula in years) as a formula, or why
/// it has none.
pub fn curve_cumulative_hazard(
    model: &Model,
    id: CurveId,
    t_years: &str,
    cells: &dyn Cells,
) -> Result<String, Unsupported> {
    let curve = model.curves.get(id.index()).ok_or_else(|| Unsupported("an unknown survival curve".into()))?;
    let no_formula = |why: &str| Err(Unsupported(format!("the {} curve {} {why}", kind_name(&curve.kind), curve.name)));
    let formulas = |fs: &[hta_model::Formula]| -> Result<Vec<String>, Unsupported> {
        fs.iter().map(|f| to_excel(&f.expr, cells)).collect()
    };
    let t_units = || -> Result<String, Unsupported> { Ok(format!("({t_years}*{})", number(curve.units_per_year)?)) };
    let sub = |c: CurveId, t: &str| curve_cumulative_hazard(model, c, t, cells);
    match &curve.kind {
        CurveKind::Parametric { family, params } => match cumulative_hazard(*family, &formulas(params)?, &t_units()?) {
            Some(h) => Ok(h),
            None => Err(Unsupported(format!("the {} curve {} has no Excel function", family.name(), curve.name))),
        },
        CurveKind::PiecewiseExponential { cuts, rates } => {
            piecewise_cumulative_hazard(cuts, &formulas(rates)?, &t_units()?)
        }
        CurveKind::Spline { knots, gamma } => spline_cumulative_hazard(knots, &formulas(gamma)?, &t_units()?),
        CurveKind::ProportionalHazards { base, hr } => {
            Ok(format!("({}*{})", to_excel(&hr.expr, cells)?, sub(*base, t_years)?))
        }
        CurveKind::AcceleratedFailure { base, af } => {
            sub(*base, &format!("({t_years}/{})", to_excel(&af.expr, cells)?))
        }
        CurveKind::Joined { first, then, at_years } => {
            let at = number(*at_years)?;
            Ok(format!(
                "IF({t_years}<={at},{},{}+{}-{})",
                sub(*first, t_years)?,
                sub(*first, &at)?,
                sub(*then, t_years)?,
                sub(*then, &at)?
            ))
        }
        CurveKind::MixtureCure { .. } => Ok(format!("(-LN({}))", curve_survival(model, id, t_years, cells)?)),
        CurveKind::LifeTable { table, column, start_age: start } => {
            let table = model.tables.get(table.index()).ok_or_else(|| Unsupported("an unknown table".into()))?;
            if !by_single_years(table) {
                return no_formula("reads a table not by single years of age");
            }
            // H(t) = Σ_x −ln(1 − q_x)·|[x, x + 1) ∩ [a0, a0 + t]|, the overlaps elementwise
            // (max and min written with ABS, which SUMPRODUCT applies to arrays).
            let start = start_age(model, start, cells)?;
            let (keys, q) = (table_range(table, None), table_range(table, Some(*column)));
            let (a0, a1) = (format!("({start})"), format!("({start}+{t_years})"));
            let lo = format!("(({keys}+{a0}+ABS({keys}-{a0}))/2)");
            let hi = format!("(({keys}+1+{a1}-ABS({keys}+1-{a1}))/2)");
            let overlap = format!("((({hi}-{lo})+ABS({hi}-{lo}))/2)");
            Ok(format!("SUMPRODUCT(-LN(1-{q}),{overlap})"))
        }
        CurveKind::Tabulated { .. } => no_formula("is not written as a formula yet"),
        CurveKind::HazardFloor { .. } => no_formula("integrates its hazard numerically"),
    }
}

/// Survival S(t) of curve `id` at `t_years` as a formula: exp(−H), a mixture cure written as
/// S_bg·(π + (1 − π)·S_u).
pub fn curve_survival(model: &Model, id: CurveId, t_years: &str, cells: &dyn Cells) -> Result<String, Unsupported> {
    let curve = model.curves.get(id.index()).ok_or_else(|| Unsupported("an unknown survival curve".into()))?;
    let text = match &curve.kind {
        CurveKind::MixtureCure { cure_fraction, uncured, background } => {
            let pi = to_excel(&cure_fraction.expr, cells)?;
            let su = curve_survival(model, *uncured, t_years, cells)?;
            let cure = format!("({pi}+(1-{pi})*{su})");
            match background {
                Some(b) => format!("({}*{cure})", curve_survival(model, *b, t_years, cells)?),
                None => cure,
            }
        }
        _ => format!("EXP(-{})", curve_cumulative_hazard(model, id, t_years, cells)?),
    };
    fits(text)
}

/// `text`, unless it is longer than Excel takes in a cell.
fn fits(text: String) -> Result<String, Unsupported> {
    if text.len() > MAX_FORMULA_CHARS {
        return Err(Unsupported(format!("the formula would be longer than Excel's {MAX_FORMULA_CHARS} characters")));
    }
    Ok(text)
}

pub(crate) fn kind_name(kind: &CurveKind) -> &'static str {
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

/// A survival function of the formula language (`surv`, `cumhaz`, `event_prob`, `cycle_prob`,
/// `hazard`) as a formula, or why it has none.
pub fn survival_call(function: Function, args: &[Expr], cells: &dyn Cells) -> Result<String, Unsupported> {
    let refused = || Unsupported(format!("the function `{}` here", function.name()));
    let (Some(ExprKind::Ref(Reference::Curve(id))), Some(model)) = (args.first().map(|a| &a.kind), cells.model())
    else {
        return Err(refused());
    };
    let curve = model.curves.get(id.index()).ok_or_else(refused)?;
    let at = |i: usize| args.get(i).ok_or_else(refused).and_then(|a| to_excel(a, cells));
    let h = |t: &str| curve_cumulative_hazard(model, *id, t, cells);
    // 1 − exp(−(H(t1) − H(t0))), as `conditional_event_probability` (a fall below 0 by
    // rounding counts as 0).
    let between =
        |t0: &str, t1: &str| -> Result<String, Unsupported> { Ok(format!("(1-EXP(-MAX(0,{}-{})))", h(t1)?, h(t0)?)) };
    let text = match function {
        Function::Surv => curve_survival(model, *id, &at(1)?, cells)?,
        Function::CumHaz => h(&at(1)?)?,
        Function::EventProb => {
            let (t0, t1) = (at(1)?, at(2)?);
            format!("IF({t1}<{t0},NA(),{})", between(&t0, &t1)?)
        }
        Function::CycleProb => {
            let time = cells.time(TimeVar::Time).ok_or_else(refused)?;
            let cycle_years = cells.time(TimeVar::CycleYears).ok_or_else(refused)?;
            match &curve.kind {
                // Cycles of at most a year cross one birthday at most: the shorter formula.
                CurveKind::LifeTable { table, column, start_age: start }
                    if model.settings.cycle_years <= 1.0
                        && model.tables.get(table.index()).is_some_and(|t| by_single_years(t)) =>
                {
                    let table = model.tables.get(table.index()).ok_or_else(refused)?;
                    let start = start_age(model, start, cells)?;
                    life_table_cycle_prob(table, *column, &format!("({start}+{time})"), &cycle_years)
                }
                _ => between(&time, &format!("({time}+{cycle_years})"))?,
            }
        }
        _ => return Err(Unsupported(format!("`{}` is not written as a formula", function.name()))),
    };
    fits(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hta_model::Outside;

    fn life_table() -> LookupTable {
        LookupTable {
            name: "lt".into(),
            key_name: "age".into(),
            keys: vec![60.0, 61.0, 62.0],
            columns: vec![hta_model::TableColumn { name: "qx".into(), values: vec![0.1, 0.2, 0.4] }],
            interpolation: Interpolation::Step,
            outside: Outside::Error,
            source: None,
        }
    }

    #[test]
    fn life_table_cycle_probability_integrates_the_yearly_hazard_over_a_birthday() {
        let text = life_table_cycle_prob(&life_table(), 0, "a", "c");
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
    fn piecewise_exponential_charges_each_rate_for_the_time_in_its_piece() {
        let rates = ["r1".to_string(), "r2".to_string(), "r3".to_string()];
        let text = piecewise_cumulative_hazard(&[1.0, 3.0], &rates, "t").expect("a formula");
        assert_eq!(text, "(r1*MAX(0,MIN(t,1)-0)+r2*MAX(0,MIN(t,3)-1)+r3*MAX(0,t-3))");
    }

    #[test]
    fn spline_basis_weights_the_boundary_cubes_by_the_knot_position() {
        // Knots 0, 1, 4: λ = (4 − 1)/(4 − 0) = 0.75 for the inner knot.
        let gamma = ["g0".to_string(), "g1".to_string(), "g2".to_string()];
        let text = spline_cumulative_hazard(&[0.0, 1.0, 4.0], &gamma, "t").expect("a formula");
        assert_eq!(
            text,
            "IF(t=0,0,EXP(1*g0+LN(t)*g1+(MAX(0,LN(t)-1)^3-0.75*MAX(0,LN(t)-0)^3-0.25*MAX(0,LN(t)-4)^3)*g2))"
        );
    }
}
