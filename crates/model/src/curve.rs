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
pub type CurveFn = Box<dyn Fn(&[f64], f64) -> (f64, f64) + Send + Sync>;

/// Deepest nesting of curves built on curves (checked on load, with cycles).
pub const MAX_CURVE_DEPTH: usize = 32;

/// Compiles curve `id` of `env`.
pub fn compile_curve(id: CurveId, env: &Env) -> CurveFn {
    compile_at_depth(id, env, 0)
}

fn nan_curve() -> CurveFn {
    Box::new(|_, _| (f64::NAN, f64::NAN))
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
            Box::new(move |slots, t| {
                let mut values = [0.0; 3];
                for (v, e) in values.iter_mut().zip(&exprs) {
                    *v = e.eval(slots);
                }
                let p = &values[..exprs.len()];
                (family.cumulative_hazard(p, t * u), u * family.hazard(p, t * u))
            })
        }
        CurveKind::PiecewiseExponential { cuts, rates } => {
            let cuts = cuts.clone();
            let exprs: Vec<CompiledExpr> = rates.iter().map(|r| compile(&r.expr, env)).collect();
            Box::new(move |slots, t| {
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
        CurveKind::Tabulated { times, survival: s, interpolation } => {
            let (times, s, how) = (times.clone(), s.clone(), *interpolation);
            Box::new(move |_, t| {
                let t = snap(t * u);
                (
                    survival::tabulated_cumulative_hazard(&times, &s, how, t),
                    u * survival::tabulated_hazard(&times, &s, how, t),
                )
            })
        }
        CurveKind::ProportionalHazards { base, hr } => {
            let (base, hr) = (sub(*base), compile(&hr.expr, env));
            Box::new(move |slots, t| {
                let (h_cum, h) = base(slots, t);
                let r = hr.eval(slots);
                (r * h_cum, r * h)
            })
        }
        CurveKind::AcceleratedFailure { base, af } => {
            let (base, af) = (sub(*base), compile(&af.expr, env));
            Box::new(move |slots, t| {
                let a = af.eval(slots);
                let (h_cum, h) = base(slots, t / a);
                (h_cum, h / a)
            })
        }
        CurveKind::Joined { first, then, at_years } => {
            let (first, then, at) = (sub(*first), sub(*then), *at_years);
            Box::new(move |slots, t| {
                if t <= at {
                    return first(slots, t);
                }
                let (h1_at, _) = first(slots, at);
                let (h2_at, _) = then(slots, at);
                let (h2, h) = then(slots, t);
                (h1_at + h2 - h2_at, h)
            })
        }
        CurveKind::MixtureCure { cure_fraction, uncured, background } => {
            let (pi, uncured) = (compile(&cure_fraction.expr, env), sub(*uncured));
            let background = background.map(sub);
            Box::new(move |slots, t| {
                let pi = pi.eval(slots);
                let (hu_cum, hu) = uncured(slots, t);
                let (hb_cum, hb) = background.as_ref().map_or((0.0, 0.0), |b| b(slots, t));
                let s_u = (-hu_cum).exp();
                let s = survival::mixture_cure_survival(pi, s_u, 1.0);
                (hb_cum - s.ln(), survival::mixture_cure_hazard(pi, s_u, hu, hb))
            })
        }
        CurveKind::HazardFloor { curve, background } => {
            let (curve, background) = (sub(*curve), sub(*background));
            Box::new(move |slots, t| {
                // NaN-propagating max: a background that fails (a life table run out) must not
                // silently drop the floor.
                let rate = |x: f64| {
                    let (h, floor) = (curve(slots, x).1, background(slots, x).1);
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
            Box::new(move |slots, t| life_table(&table, column, start_age.eval(slots), t))
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
