//! Maximum-likelihood fits of the parametric families of `hta_model::survival` to right-censored
//! data, with flexsurv's conventions: the log-likelihood Σ dᵢ ln h(tᵢ) − H(tᵢ) (the full
//! density, no constants dropped, so it equals flexsurv's `loglik`); estimation on the log scale
//! for positive parameters and the identity otherwise; covariates act on the location parameter
//! (flexsurv's first-listed "location": rate, scale, meanlog or mu) through its estimation scale.
//!
//! The optimiser is Nelder–Mead from data-based starting values, polished by damped Newton steps
//! (Levenberg–Marquardt) on central finite differences; the covariance of the estimates is the
//! inverse of the Hessian of −loglik on the estimation scale (nalgebra), and standard errors of
//! positive parameters are on their natural scale by the delta method (as flexsurv prints them).
//! Covariates are centred while fitting and the estimates transformed back.
//!
//! Besides the families (`Model::Parametric`), a fit can be a mixture cure model over a family
//! (`Model::Cure`: S = π + (1 − π) S_u, the cure fraction π estimated on the logit scale after
//! the family's parameters, covariates on the uncured curve's location) or a Royston–Parmar
//! spline on the log cumulative hazard (`Model::Spline`: flexsurv's `flexsurvspline`, scale
//! "hazard", knots at quantiles of the log event times, covariates on γ0). Delayed entry (left
//! truncation) subtracts each patient's cumulative hazard at entry.

use hta_model::survival::{self as sv, Family};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// Whether an optimisation converged, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Converged,
    /// The iterations ran out before the gradient vanished.
    NotConverged,
    /// The optimum was found but −loglik's Hessian is not positive definite there, so there is
    /// no covariance (the curve may be at a boundary, e.g. a generalised gamma near Q → ±∞).
    HessianNotPositiveDefinite,
    /// No finite log-likelihood was found.
    Failed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::NotConverged => "not converged",
            Status::HessianNotPositiveDefinite => "Hessian not positive definite",
            Status::Failed => "failed",
        }
    }
}

/// Options of the optimiser.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// Newton iterations after Nelder–Mead.
    pub max_newton: usize,
    /// Nelder–Mead iterations per parameter.
    pub max_simplex_per_parameter: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { max_newton: 200, max_simplex_per_parameter: 400 }
    }
}

/// What is fitted: a family, a mixture cure model over a family, or a Royston–Parmar spline
/// with these knots (ln time: lower boundary, internal knots, upper boundary).
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    Parametric(Family),
    Cure(Family),
    Spline(Vec<f64>),
}

impl Model {
    /// The fit's name: the family's (`weibull`), `cure_weibull`, or `spline_2` (internal knots).
    pub fn name(&self) -> String {
        match self {
            Model::Parametric(f) => f.name().to_string(),
            Model::Cure(f) => format!("cure_{}", f.name()),
            Model::Spline(k) => format!("spline_{}", k.len().saturating_sub(2)),
        }
    }

    /// The curve's own parameters (before covariate coefficients).
    pub fn param_names(&self) -> Vec<String> {
        match self {
            Model::Parametric(f) => f.param_names().iter().map(|s| s.to_string()).collect(),
            Model::Cure(f) => f.param_names().iter().map(|s| s.to_string()).chain(["cure_fraction".into()]).collect(),
            Model::Spline(k) => (0..k.len()).map(|i| format!("gamma{i}")).collect(),
        }
    }

    /// The index of the parameter covariates act on.
    pub fn location(&self) -> usize {
        match self {
            Model::Parametric(f) | Model::Cure(f) => location_index(*f),
            Model::Spline(_) => 0,
        }
    }

    /// The estimation scale of parameter `i`: "log", "logit" or "identity".
    pub fn scale(&self, i: usize) -> &'static str {
        match self {
            Model::Parametric(f) | Model::Cure(f) if i < f.param_names().len() && is_log_scale(*f, i) => "log",
            Model::Parametric(f) | Model::Cure(f) if i < f.param_names().len() => "identity",
            Model::Cure(_) => "logit",
            _ => "identity",
        }
    }

    fn natural(&self, theta: &[f64]) -> Vec<f64> {
        theta
            .iter()
            .enumerate()
            .map(|(i, &v)| match self.scale(i) {
                "log" => v.exp(),
                "logit" => 1.0 / (1.0 + (-v).exp()),
                _ => v,
            })
            .collect()
    }

    fn to_natural_one(&self, i: usize, v: f64) -> f64 {
        match self.scale(i) {
            "log" => v.exp(),
            "logit" => 1.0 / (1.0 + (-v).exp()),
            _ => v,
        }
    }

    /// (H(t), h(t)) at natural-scale parameters; h only where `need_hazard`.
    pub fn evaluate(&self, params: &[f64], t: f64, need_hazard: bool) -> (f64, f64) {
        match self {
            Model::Parametric(f) => {
                (f.cumulative_hazard(params, t), if need_hazard { f.hazard(params, t) } else { f64::NAN })
            }
            Model::Cure(f) => {
                let k = f.param_names().len();
                let (pi, u) = (params[k], &params[..k]);
                let s_u = f.survival(u, t);
                let s = sv::mixture_cure_survival(pi, s_u, 1.0);
                let h = if need_hazard { sv::mixture_cure_hazard(pi, s_u, f.hazard(u, t), 0.0) } else { f64::NAN };
                (-s.ln(), h)
            }
            Model::Spline(knots) => (
                sv::royston_parmar_cumulative_hazard(knots, params, t),
                if need_hazard { sv::royston_parmar_hazard(knots, params, t) } else { f64::NAN },
            ),
        }
    }
}

/// A fitted curve.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// The fit's name: the family's name in a model file, `cure_FAMILY` or `spline_M`.
    pub family: String,
    #[serde(skip)]
    pub model: Model,
    /// A spline's knots (ln time), empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub knots: Vec<f64>,
    /// Parameter names: the curve's (flexsurv order; a cure model's `cure_fraction` after the
    /// family's; a spline's gamma0..), then one coefficient per covariate.
    pub parameters: Vec<String>,
    /// Estimates on the natural scale (family parameters at covariates 0; coefficients as they are).
    pub estimates: Vec<f64>,
    /// Standard errors on the natural scale.
    pub std_errors: Vec<f64>,
    /// "log", "logit" or "identity" for each parameter: the scale of `coefficients` and `covariance`.
    pub scales: Vec<&'static str>,
    /// Estimates on the estimation scale.
    pub coefficients: Vec<f64>,
    /// Covariance of `coefficients`, row by row (empty unless the Hessian is positive definite).
    pub covariance: Vec<Vec<f64>>,
    pub loglik: f64,
    pub aic: f64,
    pub bic: f64,
    /// Observations and events.
    pub n: usize,
    pub events: usize,
    pub status: Status,
    pub iterations: usize,
}

impl Fit {
    /// The curve's parameters (natural scale) for a patient with covariates `x`.
    pub fn params_at(&self, x: &[f64]) -> Vec<f64> {
        let k = self.model.param_names().len();
        let mut theta = self.coefficients[..k].to_vec();
        theta[self.model.location()] += x.iter().zip(&self.coefficients[k..]).map(|(a, b)| a * b).sum::<f64>();
        self.model.natural(&theta)
    }

    /// Survival at `t` for covariates `x`.
    pub fn survival(&self, x: &[f64], t: f64) -> f64 {
        (-self.cumulative_hazard(x, t)).exp()
    }

    /// Cumulative hazard at `t` for covariates `x`.
    pub fn cumulative_hazard(&self, x: &[f64], t: f64) -> f64 {
        self.model.evaluate(&self.params_at(x), t, false).0
    }

    /// Hazard at `t` for covariates `x`.
    pub fn hazard(&self, x: &[f64], t: f64) -> f64 {
        self.model.evaluate(&self.params_at(x), t, true).1
    }
}

/// The index of the family's location parameter (where covariates act).
pub fn location_index(family: Family) -> usize {
    match family {
        Family::Exponential | Family::LogNormal | Family::GenGamma => 0,
        Family::Weibull | Family::WeibullPh | Family::Gompertz | Family::LogLogistic | Family::Gamma => 1,
    }
}

fn is_log_scale(family: Family, i: usize) -> bool {
    !matches!(
        (family, i),
        (Family::Gompertz, 0) | (Family::LogNormal, 0) | (Family::GenGamma, 0) | (Family::GenGamma, 2)
    )
}

struct Problem<'a> {
    model: &'a Model,
    times: &'a [f64],
    events: &'a [bool],
    /// Delayed entry times (empty for none).
    entry: &'a [f64],
    /// Centred covariates, one row per observation.
    x: &'a [Vec<f64>],
}

impl Problem<'_> {
    fn k(&self) -> usize {
        self.model.param_names().len()
    }

    /// −loglik at estimation-scale `theta`; +∞ where it is not finite.
    fn negloglik(&self, theta: &[f64]) -> f64 {
        let k = self.k();
        let loc = self.model.location();
        let mut params = self.model.natural(&theta[..k]);
        let mut total = 0.0;
        for (i, (&t, &d)) in self.times.iter().zip(self.events).enumerate() {
            if !self.x.is_empty() {
                let shift: f64 = self.x[i].iter().zip(&theta[k..]).map(|(a, b)| a * b).sum();
                params[loc] = self.model.to_natural_one(loc, theta[loc] + shift);
            }
            let (cum, h) = self.model.evaluate(&params, t, d);
            let mut term = -cum;
            if d {
                term += h.ln();
            }
            if let Some(&t0) = self.entry.get(i).filter(|&&t0| t0 > 0.0) {
                term += self.model.evaluate(&params, t0, false).0;
            }
            total += term;
            if !total.is_finite() {
                return f64::INFINITY;
            }
        }
        -total
    }
}

fn step_size(v: f64) -> f64 {
    1e-4 * v.abs().max(1.0)
}

fn gradient_hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> (DVector<f64>, DMatrix<f64>) {
    let p = x.len();
    let f0 = f(x);
    let mut g = DVector::zeros(p);
    let mut h = DMatrix::zeros(p, p);
    let mut y = x.to_vec();
    let steps: Vec<f64> = x.iter().map(|&v| step_size(v)).collect();
    for i in 0..p {
        y[i] = x[i] + steps[i];
        let fp = f(&y);
        y[i] = x[i] - steps[i];
        let fm = f(&y);
        y[i] = x[i];
        g[i] = (fp - fm) / (2.0 * steps[i]);
        h[(i, i)] = (fp - 2.0 * f0 + fm) / (steps[i] * steps[i]);
        for j in 0..i {
            let mut corner = |si: f64, sj: f64| {
                y[i] = x[i] + si * steps[i];
                y[j] = x[j] + sj * steps[j];
                let v = f(&y);
                y[i] = x[i];
                y[j] = x[j];
                v
            };
            let v = (corner(1.0, 1.0) - corner(1.0, -1.0) - corner(-1.0, 1.0) + corner(-1.0, -1.0))
                / (4.0 * steps[i] * steps[j]);
            h[(i, j)] = v;
            h[(j, i)] = v;
        }
    }
    (g, h)
}

/// Nelder–Mead minimisation (standard coefficients 1, 2, ½, ½).
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, start: &[f64], iterations: usize) -> (Vec<f64>, f64) {
    let p = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(p + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..p {
        let mut v = start.to_vec();
        v[i] += 0.3 * start[i].abs().max(1.0);
        let fv = f(&v);
        simplex.push((v, fv));
    }
    for _ in 0..iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[p].1);
        if worst.is_finite() && (worst - best).abs() <= 1e-12 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..p).map(|j| simplex[..p].iter().map(|s| s.0[j]).sum::<f64>() / p as f64).collect();
        let along =
            |c: f64| -> Vec<f64> { (0..p).map(|j| centroid[j] + c * (simplex[p].0[j] - centroid[j])).collect() };
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            simplex[p] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[p - 1].1 {
            simplex[p] = (reflected, fr);
        } else {
            let contracted = if fr < simplex[p].1 { along(-0.5) } else { along(0.5) };
            let fc = f(&contracted);
            if fc < simplex[p].1.min(fr) {
                simplex[p] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    for (v, b) in s.0.iter_mut().zip(&best) {
                        *v = b + 0.5 * (*v - b);
                    }
                    s.1 = f(&s.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, fx) = simplex.swap_remove(0);
    (x, fx)
}

/// Damped Newton from `x`; returns the point, its value, iterations and whether the gradient
/// vanished (Newton decrement below 1e-12).
fn newton(f: &dyn Fn(&[f64]) -> f64, mut x: Vec<f64>, iterations: usize) -> (Vec<f64>, f64, usize, bool) {
    let p = x.len();
    let mut fx = f(&x);
    let mut lambda = 1e-8;
    for it in 0..iterations {
        let (g, h) = gradient_hessian(f, &x);
        if let Some(chol) = h.clone().cholesky() {
            let decrement = g.dot(&chol.solve(&g));
            if decrement.abs() < 1e-12 {
                return (x, fx, it, true);
            }
        }
        let mut improved = false;
        for _ in 0..40 {
            let mut damped = h.clone();
            for i in 0..p {
                damped[(i, i)] += lambda * h[(i, i)].abs().max(1.0);
            }
            if let Some(chol) = damped.cholesky() {
                let delta = chol.solve(&(-&g));
                let y: Vec<f64> = (0..p).map(|i| x[i] + delta[i]).collect();
                let fy = f(&y);
                if fy <= fx {
                    let small = (fx - fy) <= 1e-15 * (1.0 + fx.abs());
                    x = y;
                    fx = fy;
                    lambda = (lambda / 10.0).max(1e-12);
                    improved = true;
                    if small && delta.amax() < 1e-10 {
                        return (x, fx, it + 1, true);
                    }
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !improved {
            // No descent along any damped step: at the optimum to rounding, or stuck.
            let (g, _) = gradient_hessian(f, &x);
            return (x, fx, it + 1, g.amax() < 1e-4);
        }
    }
    (x, fx, iterations, false)
}

/// Starting values on the estimation scale (covariate coefficients 0).
fn family_starts(family: Family, times: &[f64], events: &[bool]) -> Vec<Vec<f64>> {
    let d = events.iter().filter(|&&e| e).count().max(1) as f64;
    let total: f64 = times.iter().sum();
    let rate = d / total;
    let mean_log = times.iter().map(|t| t.ln()).sum::<f64>() / times.len() as f64;
    let var_log = times.iter().map(|t| (t.ln() - mean_log).powi(2)).sum::<f64>() / times.len() as f64;
    let sd_log = var_log.sqrt().max(0.1);
    let ln_mean = (1.0 / rate).ln();
    match family {
        Family::Exponential => vec![vec![rate.ln()]],
        Family::Weibull | Family::LogLogistic => vec![vec![0.0, ln_mean]],
        Family::WeibullPh | Family::Gamma => vec![vec![0.0, rate.ln()]],
        Family::Gompertz => vec![vec![0.0, rate.ln()], vec![-rate, rate.ln()], vec![rate, rate.ln()]],
        Family::LogNormal => vec![vec![mean_log + sd_log, sd_log.ln()]],
        Family::GenGamma => {
            vec![vec![ln_mean, 0.0, 1.0], vec![mean_log + sd_log, sd_log.ln(), 0.0], vec![ln_mean, 0.0, -1.0]]
        }
    }
}

/// Starting values for any model: a cure model starts from its family's with the cure fraction
/// at half the Kaplan–Meier survival at the last time (clamped to [0.02, 0.9]); a spline from a
/// Weibull's log cumulative hazard, ln(rate) + ln t.
fn starts(model: &Model, times: &[f64], events: &[bool]) -> Vec<Vec<f64>> {
    match model {
        Model::Parametric(f) => family_starts(*f, times, events),
        Model::Cure(f) => {
            let km = crate::kaplan_meier(times, events);
            let tail = km.survival.iter().rev().find(|s| s.is_finite()).copied().unwrap_or(0.5);
            let pi = (0.5 * tail).clamp(0.02, 0.9);
            family_starts(*f, times, events)
                .into_iter()
                .map(|mut v| {
                    v.push((pi / (1.0 - pi)).ln());
                    v
                })
                .collect()
        }
        Model::Spline(knots) => {
            let d = events.iter().filter(|&&e| e).count().max(1) as f64;
            let rate = d / times.iter().sum::<f64>();
            let mut v = vec![0.0; knots.len()];
            v[0] = rate.ln();
            v[1] = 1.0;
            vec![v]
        }
    }
}

/// The knots (ln time) of a Royston–Parmar spline with `internal` internal knots, as flexsurv's
/// `flexsurvspline(k = internal)`: the boundaries at the smallest and largest log event time,
/// the internal knots at equally spaced quantiles of the log event times (R's type-7 quantile).
/// None with fewer than two distinct event times.
pub fn spline_knots(times: &[f64], events: &[bool], internal: usize) -> Option<Vec<f64>> {
    let mut logs: Vec<f64> = times.iter().zip(events).filter(|(_, &e)| e).map(|(t, _)| t.ln()).collect();
    logs.sort_by(f64::total_cmp);
    let (first, last) = (*logs.first()?, *logs.last()?);
    if last <= first {
        return None;
    }
    let n = logs.len();
    let quantile = |p: f64| {
        let h = (n - 1) as f64 * p;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        logs[lo] + frac * (logs[(lo + 1).min(n - 1)] - logs[lo])
    };
    let mut knots = vec![first];
    knots.extend((1..=internal).map(|j| quantile(j as f64 / (internal + 1) as f64)));
    knots.push(last);
    knots.windows(2).all(|w| w[1] > w[0]).then_some(knots)
}

/// Fits `family` to `times` (> 0) and `events`, with covariate rows `x` (one per observation,
/// all the same length, or empty for none) named `names`.
pub fn fit(
    family: Family,
    times: &[f64],
    events: &[bool],
    x: &[Vec<f64>],
    names: &[String],
    options: FitOptions,
) -> Fit {
    fit_model(&Model::Parametric(family), times, events, &[], x, names, options)
}

/// Fits `model` to `times` (> 0), `events` and delayed `entry` times (< time; empty for none),
/// with covariate rows `x` (one per observation, all the same length, or empty) named `names`.
pub fn fit_model(
    model: &Model,
    times: &[f64],
    events: &[bool],
    entry: &[f64],
    x: &[Vec<f64>],
    names: &[String],
    options: FitOptions,
) -> Fit {
    let k = model.param_names().len();
    let q = names.len();
    let means: Vec<f64> = (0..q).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / x.len().max(1) as f64).collect();
    let centred: Vec<Vec<f64>> = x.iter().map(|r| r.iter().zip(&means).map(|(a, m)| a - m).collect()).collect();
    let problem = Problem { model, times, events, entry, x: if q == 0 { &[] } else { &centred } };
    let f = |theta: &[f64]| problem.negloglik(theta);
    let mut best: Option<(Vec<f64>, f64, usize, bool)> = None;
    for mut start in starts(model, times, events) {
        start.extend(std::iter::repeat_n(0.0, q));
        let (x0, _) = nelder_mead(&f, &start, options.max_simplex_per_parameter * (k + q));
        let result = newton(&f, x0, options.max_newton);
        if best.as_ref().is_none_or(|b| result.1 < b.1) {
            best = Some(result);
        }
    }
    let (theta_c, value, iterations, converged) = best.unwrap_or((vec![f64::NAN; k + q], f64::INFINITY, 0, false));
    // Back from centred covariates: θ_loc = θ_loc,c − Σ βⱼ x̄ⱼ, a linear map A.
    let loc = model.location();
    let p = k + q;
    let mut a = DMatrix::<f64>::identity(p, p);
    for j in 0..q {
        a[(loc, k + j)] = -means[j];
    }
    let theta: Vec<f64> = (&a * DVector::from_column_slice(&theta_c)).iter().copied().collect();
    let n = times.len();
    let events_n = events.iter().filter(|&&e| e).count();
    let loglik = -value;
    let mut status = if !value.is_finite() {
        Status::Failed
    } else if converged {
        Status::Converged
    } else {
        Status::NotConverged
    };
    let mut covariance = Vec::new();
    let mut std_errors = vec![f64::NAN; p];
    if value.is_finite() {
        let (_, h) = gradient_hessian(&f, &theta_c);
        match h.cholesky() {
            Some(chol) => {
                let cov = &a * chol.inverse() * a.transpose();
                for i in 0..p {
                    let se = cov[(i, i)].max(0.0).sqrt();
                    std_errors[i] = match (i < k, model.scale(i)) {
                        (true, "log") => theta[i].exp() * se,
                        (true, "logit") => {
                            let pi = model.to_natural_one(i, theta[i]);
                            pi * (1.0 - pi) * se
                        }
                        _ => se,
                    };
                }
                covariance = (0..p).map(|i| (0..p).map(|j| cov[(i, j)]).collect()).collect();
            }
            None if status == Status::Converged => status = Status::HessianNotPositiveDefinite,
            None => {}
        }
    }
    let mut estimates = model.natural(&theta[..k]);
    estimates.extend_from_slice(&theta[k..]);
    let mut parameters = model.param_names();
    parameters.extend(names.iter().cloned());
    let scales = (0..p).map(|i| if i < k { model.scale(i) } else { "identity" }).collect();
    Fit {
        family: model.name(),
        model: model.clone(),
        knots: if let Model::Spline(k) = model { k.clone() } else { Vec::new() },
        parameters,
        estimates,
        std_errors,
        scales,
        coefficients: theta,
        covariance,
        loglik,
        aic: 2.0 * p as f64 - 2.0 * loglik,
        bic: p as f64 * (n as f64).ln() - 2.0 * loglik,
        n,
        events: events_n,
        status,
        iterations,
    }
}

/// Fits every family in `families`.
pub fn fit_all(
    families: &[Family],
    times: &[f64],
    events: &[bool],
    x: &[Vec<f64>],
    names: &[String],
    options: FitOptions,
) -> Vec<Fit> {
    families.iter().map(|&family| fit(family, times, events, x, names, options)).collect()
}

/// One row of the ranking table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rank {
    pub family: String,
    pub aic: f64,
    pub delta_aic: f64,
    pub bic: f64,
    pub delta_bic: f64,
    pub rank_aic: usize,
    pub rank_bic: usize,
}

/// The fits ranked by AIC (ties by BIC), with differences from the best converged fit; fits
/// that did not converge (often a generalised gamma running off to a boundary on few events)
/// are ranked after every converged fit, failed fits last.
pub fn rank(fits: &[Fit]) -> Vec<Rank> {
    let ok = |i: usize| fits[i].status == Status::Converged;
    let key = |v: f64| if v.is_finite() { v } else { f64::INFINITY };
    let converged: Vec<usize> = (0..fits.len()).filter(|&i| ok(i)).collect();
    let best_aic = converged.iter().map(|&i| key(fits[i].aic)).fold(f64::INFINITY, f64::min);
    let best_bic = converged.iter().map(|&i| key(fits[i].bic)).fold(f64::INFINITY, f64::min);
    let sort_key = |i: usize, v: f64| (!ok(i), key(v));
    let mut by_bic: Vec<usize> = (0..fits.len()).collect();
    by_bic.sort_by(|&a, &b| {
        let (ka, kb) = (sort_key(a, fits[a].bic), sort_key(b, fits[b].bic));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    let mut order: Vec<usize> = (0..fits.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (sort_key(a, fits[a].aic), sort_key(b, fits[b].aic));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(key(fits[a].bic).total_cmp(&key(fits[b].bic)))
    });
    order
        .iter()
        .enumerate()
        .map(|(r, &i)| Rank {
            family: fits[i].family.clone(),
            aic: fits[i].aic,
            delta_aic: fits[i].aic - best_aic,
            bic: fits[i].bic,
            delta_bic: fits[i].bic - best_bic,
            rank_aic: r + 1,
            rank_bic: by_bic.iter().position(|&j| j == i).map_or(0, |p| p + 1),
        })
        .collect()
}
