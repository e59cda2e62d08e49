//! Survival curves as a model defines them (parametric families, piecewise exponential,
//! tabulated, proportional hazards, acceleration, joins, mixture cure, life tables), and their
//! compilation into closures that give the cumulative hazard and hazard at a model time.
//!
//! Model time is in years. A curve's own parameters (and a tabulated curve's times) are in the
//! curve's time unit (the unit it was fitted in); the compiled curve converts: H(t) = H_u(t·u)
//! and h(t) = u·h_u(t·u) for u curve units per year. Composite curves (hazard ratio,
//! acceleration, join, cure) work in years. The numeric functions are in [`crate::survival`].

use std::sync::Arc;

use crate::formula::{compile, CompiledExpr, Env};
use crate::ids::{CurveId, TableId};
use crate::model::{Formula, Origin};
use crate::survival::{self, Family, TableInterpolation};

#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub name: String,
    /// Curve time units per year (12 for months).
    pub units_per_year: f64,
    pub kind: CurveKind,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CurveKind {
    Parametric {
        family: Family,
        params: Vec<Formula>,
    },
    /// `rates[i]` on `[cuts[i-1], cuts[i])` (curve time units), `cuts[-1] = 0`.
    PiecewiseExponential {
        cuts: Vec<f64>,
        rates: Vec<Formula>,
    },
    /// Royston–Parmar spline on the log cumulative hazard: ln H = Σ γᵢ bᵢ(ln t), the basis of
    /// [`survival::royston_parmar_basis`] on `knots` (ln of curve time units; at most 8).
    Spline {
        knots: Vec<f64>,
        gamma: Vec<Formula>,
    },
    /// Times (curve units) from 0 with survival from 1, non-increasing.
    Tabulated {
        times: Vec<f64>,
        survival: Vec<f64>,
        interpolation: TableInterpolation,
    },
    /// S = S_base^hr.
    ProportionalHazards {
        base: CurveId,
        hr: Formula,
    },
    /// S(t) = S_base(t / af): af > 1 stretches time (longer survival).
    AcceleratedFailure {
        base: CurveId,
        af: Formula,
    },
    /// `first` up to `at_years`, then `then` conditional on survival to `at_years`.
    Joined {
        first: CurveId,
        then: CurveId,
        at_years: f64,
    },
    /// S = S_bg · (π + (1 − π) S_uncured); without background, S_bg = 1.
    MixtureCure {
        cure_fraction: Formula,
        uncured: CurveId,
        background: Option<CurveId>,
    },
    /// Background survival from annual death probabilities q_x of a life table by age, constant
    /// hazard −ln(1 − q) within each year of age.
    LifeTable {
        table: TableId,
        column: usize,
        start_age: Formula,
    },
    /// The hazard of `curve`, never below that of `background` (DOMAIN.md §2.5):
    /// h(t) = max(h_curve(t), h_background(t)), H by numerical integration.
    HazardFloor {
        curve: CurveId,
        background: CurveId,
    },
}

impl Curve {
    /// Curves this one is built on.
    pub fn bases(&self) -> Vec<CurveId> {
        match &self.kind {
            CurveKind::ProportionalHazards { base, .. } | CurveKind::AcceleratedFailure { base, .. } => vec![*base],
            CurveKind::Joined { first, then, .. } => vec![*first, *then],
            CurveKind::MixtureCure { uncured, background, .. } => {
                std::iter::once(*uncured).chain(*background).collect()
            }
            CurveKind::HazardFloor { curve, background } => vec![*curve, *background],
            _ => Vec::new(),
        }
    }

    /// Every formula in the definition (for dependency and validity checks).
    pub fn formulas(&self) -> Vec<&Formula> {
        match &self.kind {
            CurveKind::Parametric { params, .. } => params.iter().collect(),
            CurveKind::PiecewiseExponential { rates, .. } => rates.iter().collect(),
            CurveKind::Spline { gamma, .. } => gamma.iter().collect(),
            CurveKind::ProportionalHazards { hr: f, .. }
            | CurveKind::AcceleratedFailure { af: f, .. }
            | CurveKind::MixtureCure { cure_fraction: f, .. }
            | CurveKind::LifeTable { start_age: f, .. } => vec![f],
            CurveKind::Tabulated { .. } | CurveKind::Joined { .. } | CurveKind::HazardFloor { .. } => Vec::new(),
        }
    }
}

/// Checks a curve's parameters as evaluated from the slots: `Some(problem)` if invalid.
pub type CurveCheck = Box<dyn Fn(&[f64]) -> Option<String> + Send + Sync>;

/// Compiles the run-time check of curve `curve`'s own parameters (those written as formulas are
/// known only once parameters are evaluated, e.g. per strategy or per PSA draw).
pub fn compile_check(curve: &Curve, env: &Env) -> CurveCheck {
    let positive = |what: &'static str, f: &Formula| {
        let e = compile(&f.expr, env);
        Box::new(move |slots: &[f64]| {
            let v = e.eval(slots);
            (!(v.is_finite() && v > 0.0)).then(|| format!("{what} must be positive, found {v}"))
        }) as CurveCheck
    };
    match &curve.kind {
        CurveKind::Parametric { family, params } => {
            let (family, exprs) = (*family, params.iter().map(|p| compile(&p.expr, env)).collect::<Vec<_>>());
            Box::new(move |slots| {
                let values: Vec<f64> = exprs.iter().map(|e| e.eval(slots)).collect();
                family.check(&values).err()
            })
        }
        CurveKind::PiecewiseExponential { cuts, rates } => {
            let (cuts, exprs) = (cuts.clone(), rates.iter().map(|p| compile(&p.expr, env)).collect::<Vec<_>>());
            Box::new(move |slots| {
                let values: Vec<f64> = exprs.iter().map(|e| e.eval(slots)).collect();
                survival::check_piecewise_exponential(&cuts, &values).err()
            })
        }
        CurveKind::Spline { knots, gamma } => {
            let (knots, exprs) = (knots.clone(), gamma.iter().map(|p| compile(&p.expr, env)).collect::<Vec<_>>());
            Box::new(move |slots| {
                let values: Vec<f64> = exprs.iter().map(|e| e.eval(slots)).collect();
                survival::check_royston_parmar(&knots, &values).err()
            })
        }
        CurveKind::ProportionalHazards { hr, .. } => positive("the hazard ratio", hr),
        CurveKind::AcceleratedFailure { af, .. } => positive("the acceleration factor", af),
        CurveKind::MixtureCure { cure_fraction, .. } => {
            let e = compile(&cure_fraction.expr, env);
            Box::new(move |slots| {
                let v = e.eval(slots);
                (!(0.0..=1.0).contains(&v)).then(|| format!("the cure fraction must lie in [0, 1], found {v}"))
            })
        }
        CurveKind::LifeTable { start_age, .. } => {
            let e = compile(&start_age.expr, env);
            Box::new(move |slots| {
                let v = e.eval(slots);
                (!v.is_finite()).then(|| format!("the start age must be a finite number, found {v}"))
            })
        }
        CurveKind::Tabulated { .. } | CurveKind::Joined { .. } | CurveKind::HazardFloor { .. } => Box::new(|_| None),
    }
}

/// (cumulative hazard, hazard per year) at a time in years, reading parameters from the slots.
/// With [`Need::CumulativeHazard`] the hazard is not computed (it is NaN): survival, event
/// probabilities and partitioned survival need only H, and the hazard of most families costs as
/// much again.
pub type CurveFn = Box<dyn Fn(&[f64], f64, Need) -> (f64, f64) + Send + Sync>;

/// What a caller of a [`CurveFn`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// H(t) only; the hazard returned is NaN.
    CumulativeHazard,
    /// H(t) and h(t).
    Both,
}

impl Need {
    fn hazard(self) -> bool {
        self == Need::Both
    }
}

/// Deepest nesting of curves built on curves (checked on load, with cycles).
pub const MAX_CURVE_DEPTH: usize = 32;

/// Compiles curve `id` of `env`.
pub fn compile_curve(id: CurveId, env: &Env) -> CurveFn {
    compile_at_depth(id, env, 0)
}

fn nan_curve() -> CurveFn {
    Box::new(|_, _, _| (f64::NAN, f64::NAN))
}

fn compile_at_depth(id: CurveId, env: &Env, depth: usize) -> CurveFn {
    let Some(curve) = env.curves.get(id.index()) else { return nan_curve() };
    if depth > MAX_CURVE_DEPTH {
        return nan_curve();
    }
    let sub = |c: CurveId| compile_at_depth(c, env, depth + 1);
    let u = curve.units_per_year;
    match &curve.kind {
        CurveKind::Parametric { family, params } => {
            let family = *family;
            let exprs: Vec<CompiledExpr> = params.iter().map(|p| compile(&p.expr, env)).collect();
            Box::new(move |slots, t, need| {
                let mut values = [0.0; 3];
                for (v, e) in values.iter_mut().zip(&exprs) {
                    *v = e.eval(slots);
                }
                let p = &values[..exprs.len()];
                let h = if need.hazard() { u * family.hazard(p, t * u) } else { f64::NAN };
                (family.cumulative_hazard(p, t * u), h)
            })
        }
        CurveKind::PiecewiseExponential { cuts, rates } => {
            let cuts = cuts.clone();
            let exprs: Vec<CompiledExpr> = rates.iter().map(|r| compile(&r.expr, env)).collect();
            Box::new(move |slots, t, _| {
                let mut values = [0.0; 64];
                let n = exprs.len().min(values.len());
                for (v, e) in values.iter_mut().zip(&exprs) {
                    *v = e.eval(slots);
                }
                let rates = &values[..n];
                (
                    survival::piecewise_exponential_cumulative_hazard(&cuts, rates, t * u),
                    u * survival::piecewise_exponential_hazard(&cuts, rates, t * u),
                )
            })
        }
        CurveKind::Spline { knots, gamma } => {
            let knots = knots.clone();
            let exprs: Vec<CompiledExpr> = gamma.iter().map(|r| compile(&r.expr, env)).collect();
            Box::new(move |slots, t, need| {
                let mut values = [0.0; 8];
                let n = exprs.len().min(values.len());
                for (v, e) in values.iter_mut().zip(&exprs) {
                    *v = e.eval(slots);
                }
                let g = &values[..n];
                let h = if need.hazard() { u * survival::royston_parmar_hazard(&knots, g, t * u) } else { f64::NAN };
                (survival::royston_parmar_cumulative_hazard(&knots, g, t * u), h)
            })
        }
        CurveKind::Tabulated { times, survival: s, interpolation } => {
            let (times, s, how) = (times.clone(), s.clone(), *interpolation);
            Box::new(move |_, t, _| {
                let t = snap(t * u);
                (
                    survival::tabulated_cumulative_hazard(&times, &s, how, t),
                    u * survival::tabulated_hazard(&times, &s, how, t),
                )
            })
        }
        CurveKind::ProportionalHazards { base, hr } => {
            let (base, hr) = (sub(*base), compile(&hr.expr, env));
            Box::new(move |slots, t, need| {
                let (h_cum, h) = base(slots, t, need);
                let r = hr.eval(slots);
                (r * h_cum, r * h)
            })
        }
        CurveKind::AcceleratedFailure { base, af } => {
            let (base, af) = (sub(*base), compile(&af.expr, env));
            Box::new(move |slots, t, need| {
                let a = af.eval(slots);
                let (h_cum, h) = base(slots, t / a, need);
                (h_cum, h / a)
            })
        }
        CurveKind::Joined { first, then, at_years } => {
            let (first, then, at) = (sub(*first), sub(*then), *at_years);
            Box::new(move |slots, t, need| {
                if t <= at {
                    return first(slots, t, need);
                }
                let (h1_at, _) = first(slots, at, Need::CumulativeHazard);
                let (h2_at, _) = then(slots, at, Need::CumulativeHazard);
                let (h2, h) = then(slots, t, need);
                (h1_at + h2 - h2_at, h)
            })
        }
        CurveKind::MixtureCure { cure_fraction, uncured, background } => {
            let (pi, uncured) = (compile(&cure_fraction.expr, env), sub(*uncured));
            let background = background.map(sub);
            Box::new(move |slots, t, need| {
                let pi = pi.eval(slots);
                let (hu_cum, hu) = uncured(slots, t, need);
                let (hb_cum, hb) = background.as_ref().map_or((0.0, 0.0), |b| b(slots, t, need));
                let s_u = (-hu_cum).exp();
                let s = survival::mixture_cure_survival(pi, s_u, 1.0);
                let h = if need.hazard() { survival::mixture_cure_hazard(pi, s_u, hu, hb) } else { f64::NAN };
                (hb_cum - s.ln(), h)
            })
        }
        CurveKind::HazardFloor { curve, background } => {
            let (curve, background) = (sub(*curve), sub(*background));
            Box::new(move |slots, t, _| {
                // NaN-propagating max: a background that fails (a life table run out) must not
                // silently drop the floor.
                let rate = |x: f64| {
                    let (h, floor) = (curve(slots, x, Need::Both).1, background(slots, x, Need::Both).1);
                    if h.is_nan() || floor.is_nan() {
                        f64::NAN
                    } else {
                        h.max(floor)
                    }
                };
                (integrate_hazard(&rate, t), rate(t))
            })
        }
        CurveKind::LifeTable { table, column, start_age } => {
            let Some(table) = env.tables.get(table.index()).cloned() else { return nan_curve() };
            let (column, start_age) = (*column, compile(&start_age.expr, env));
            let yearly = YearlyHazards::new(&table, column);
            Box::new(move |slots, t, _| {
                let age0 = start_age.eval(slots);
                yearly.cumulative(age0, t).unwrap_or_else(|| life_table(&table, column, age0, t))
            })
        }
    }
}

/// ∫₀ᵗ h(x) dx by 8-point Gauss–Legendre on each quarter-year (accurate to ~1e-9 for smooth
/// hazards; the max of two hazards has kinks, where the error is larger but still small against
/// a cycle's hazard). Hazards that are infinite at 0 (Weibull shape < 1) are integrable and the
/// Gauss points never touch 0.
fn integrate_hazard(h: &dyn Fn(f64) -> f64, t: f64) -> f64 {
    const NODES: [f64; 4] =
        [0.183_434_642_495_649_8, 0.525_532_409_916_329, 0.796_666_477_413_626_7, 0.960_289_856_497_536_3];
    const WEIGHTS: [f64; 4] =
        [0.362_683_783_378_362, 0.313_706_645_877_887_3, 0.222_381_034_453_374_5, 0.101_228_536_290_376_3];
    if t.is_nan() || t < 0.0 {
        return f64::NAN;
    }
    if t == 0.0 {
        return 0.0;
    }
    let pieces = (t * 4.0).ceil().max(1.0);
    let width = t / pieces;
    let mut total = 0.0;
    let mut piece = 0.0;
    while piece < pieces {
        let (a, b) = (piece * width, (piece + 1.0) * width);
        let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
        for (x, w) in NODES.iter().zip(WEIGHTS) {
            total += w * half * (h(mid - half * x) + h(mid + half * x));
        }
        piece += 1.0;
    }
    total
}

/// A time computed as k·(1/12)·12 can land a rounding error below a whole number (6.9999...);
/// tabulated times are read as that number, as step lookups in tables are.
fn snap(t: f64) -> f64 {
    let nearest = t.round();
    if (t - nearest).abs() <= crate::table::KEY_TOLERANCE * t.abs().max(1.0) {
        nearest
    } else {
        t
    }
}

/// A life table's hazards −ln(1 − q(x)) at whole ages x and their running sums, so that the
/// cumulative hazard between two ages costs two reads instead of one lookup per year of age
/// between them. Covers the whole ages from the first key (rounded up) to one past the last;
/// [`life_table`] is the definition and answers wherever this does not (ages outside, or a
/// result that is not finite).
struct YearlyHazards {
    first_age: f64,
    /// h(first_age + i).
    hazards: Vec<f64>,
    /// Σ_{j < i} h(first_age + j), one longer than `hazards`.
    running: Vec<f64>,
}

/// Longest age range precomputed (a table spanning more falls back to [`life_table`]).
const MAX_PRECOMPUTED_AGES: usize = 10_000;

impl YearlyHazards {
    fn new(table: &crate::table::LookupTable, column: usize) -> Self {
        let empty = Self { first_age: 0.0, hazards: Vec::new(), running: vec![0.0] };
        let (Some(&first), Some(&last)) = (table.keys.first(), table.keys.last()) else { return empty };
        let first_age = snap(first).ceil();
        let span = snap(last).floor() + 2.0 - first_age;
        if !(span >= 1.0 && span <= MAX_PRECOMPUTED_AGES as f64) {
            return empty;
        }
        let hazards: Vec<f64> =
            (0..span as usize).map(|i| -(-table.lookup(column, first_age + i as f64)).ln_1p()).collect();
        let mut running = Vec::with_capacity(hazards.len() + 1);
        let mut sum = 0.0;
        running.push(sum);
        for h in &hazards {
            sum += h;
            running.push(sum);
        }
        Self { first_age, hazards, running }
    }

    /// (H, h) as [`life_table`] gives them, or None where the precomputed ages do not answer.
    fn cumulative(&self, age0: f64, t: f64) -> Option<(f64, f64)> {
        if t.is_nan() || t <= 0.0 || !age0.is_finite() {
            return None;
        }
        let end = age0 + t;
        // The year of age each end falls in, as life_table reads it (a whole age a rounding
        // error away counts as that age).
        let (start_year, end_year) = (snap(age0).floor(), snap(end).floor());
        // The last year of age the cohort spends time in before `end` (an end exactly on a
        // birthday spends none in the year it starts).
        let last_year = if end_year >= end { end_year - 1.0 } else { end_year };
        let index = |age: f64| -> Option<usize> {
            let i = age - self.first_age;
            (i >= 0.0 && i < self.hazards.len() as f64).then_some(i as usize)
        };
        let (i0, i1, i_end) = (index(start_year)?, index(last_year.max(start_year))?, index(end_year)?);
        // ∫ from the start of the first year to `end`, minus the part of the first year before age0.
        let to_end = self.running[i1] + (end - self.first_age - i1 as f64) * self.hazards[i1];
        let before_start = self.running[i0] + (age0 - start_year) * self.hazards[i0];
        let cumulative = to_end - before_start;
        let hazard = self.hazards[i_end];
        (cumulative.is_finite() && hazard.is_finite()).then_some((cumulative, hazard))
    }
}

/// Cumulative hazard and hazard at `t` years for a cohort aged `age0` at t = 0, from annual
/// death probabilities q(x) at whole ages x (constant hazard −ln(1 − q(x)) from birthday x to
/// birthday x + 1, so a fractional start age changes hazard at the birthdays).
fn life_table(table: &Arc<crate::table::LookupTable>, column: usize, age0: f64, t: f64) -> (f64, f64) {
    if t.is_nan() || t < 0.0 || !age0.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let yearly = |age: f64| -(-table.lookup(column, snap(age).floor())).ln_1p();
    let end = age0 + t;
    let mut cumulative = 0.0;
    let mut age = age0;
    while age < end {
        let birthday = (snap(age).floor() + 1.0).min(end);
        cumulative += (birthday - age) * yearly(age);
        age = birthday;
    }
    (cumulative, yearly(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Interpolation, LookupTable, Outside, TableColumn};

    fn table(keys: Vec<f64>, q: Vec<f64>, interpolation: Interpolation, outside: Outside) -> Arc<LookupTable> {
        Arc::new(LookupTable {
            name: "life".into(),
            key_name: "age".into(),
            keys,
            columns: vec![TableColumn { name: "q".into(), values: q }],
            interpolation,
            outside,
            source: None,
        })
    }

    /// The running sums answer as the year-by-year definition does (to rounding: 1e-12
    /// relative), for whole, fractional and almost-whole start ages, monthly times, birthdays,
    /// t = 0 and ends outside the table; where they cannot answer the definition does.
    fn agrees_with_the_loop(table: &Arc<LookupTable>) {
        let yearly = YearlyHazards::new(table, 0);
        let ages = [0.0, 0.5, 30.0, 40.25, 49.999_999_999_9, 50.000_000_000_1, 60.0, 89.5, 90.0, 95.0, -3.0];
        let mut times: Vec<f64> = (0..=720).map(|k| k as f64 / 12.0).collect();
        times.extend([1e-9, 0.999_999_999_99, 1.000_000_000_01, 2.5, 61.0, 150.0]);
        let mut answered = 0;
        for &age0 in &ages {
            for &t in &times {
                let expected = life_table(table, 0, age0, t);
                let got = yearly.cumulative(age0, t);
                answered += usize::from(got.is_some());
                let got = got.unwrap_or_else(|| life_table(table, 0, age0, t));
                for (g, e) in [(got.0, expected.0), (got.1, expected.1)] {
                    let same = if e.is_finite() {
                        (g - e).abs() <= 1e-12 * e.abs().max(1.0)
                    } else {
                        g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan())
                    };
                    assert!(same, "age {age0}, t {t}: {g} vs the loop's {e}");
                }
            }
        }
        assert!(answered > 1000, "the running sums answered only {answered} times");
    }

    #[test]
    fn running_sums_match_the_year_by_year_life_table() {
        let whole: Vec<f64> = (0..=100).map(f64::from).collect();
        let q: Vec<f64> = whole.iter().map(|a| (0.0005 * (0.085 * a).exp()).min(0.9)).collect();
        agrees_with_the_loop(&table(whole.clone(), q.clone(), Interpolation::Step, Outside::Error));
        agrees_with_the_loop(&table(whole.clone(), q.clone(), Interpolation::Step, Outside::Hold));
        // q = 1 at 99: the hazard is infinite there, and any H reaching it too.
        let mut certain = q.clone();
        certain[99] = 1.0;
        agrees_with_the_loop(&table(whole, certain, Interpolation::Step, Outside::Hold));
        // An abridged table (0, 1, 5, 10, ...) read at whole ages, by step and linearly.
        let mut abridged = vec![0.0, 1.0];
        abridged.extend((1..=20).map(|k| f64::from(5 * k)));
        let q: Vec<f64> = abridged.iter().map(|a| 0.001 * (0.07 * a).exp()).collect();
        agrees_with_the_loop(&table(abridged.clone(), q.clone(), Interpolation::Step, Outside::Hold));
        agrees_with_the_loop(&table(abridged, q, Interpolation::Linear, Outside::Error));
    }
}
