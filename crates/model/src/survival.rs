//! Survival curves for partitioned-survival and state-transition models: the standard parametric
//! families with the parameterisations of the R package flexsurv (DOMAIN.md §3.2), piecewise-
//! constant hazards, tabulated curves (Kaplan–Meier or digitised), the probability of an event in
//! a model cycle (§3.5), and mixture cure models (§3.4).
//!
//! Every function here is a pure function of numbers: it allocates nothing and never panics.
//! Invalid input (a parameter out of range, a negative or NaN time, a malformed table) gives NaN;
//! the `check` functions say what is wrong, in words fit for an error message. Times are in the
//! unit the curve was fitted in: the caller converts model time to it.
//!
//! Conventions: S(t) is survival, H(t) = −ln S(t) the cumulative hazard, h(t) = H'(t) the hazard
//! and f(t) = h(t)·S(t) the density, for t ≥ 0. S(0) = 1 and H(0) = 0 for every curve. The hazard
//! at t = 0 is its limit as t → 0+, which may be +∞ (Weibull, log-logistic or gamma shape < 1).
//! A parametric hazard at t = +∞ is NaN; S(+∞) and H(+∞) are their limits (for a Gompertz curve
//! with negative shape, the plateau).
//!
//! Accuracy: H is computed first, in log space, and S = exp(−H); so H and h keep their relative
//! accuracy in the far tail, after S has underflowed to 0. The special functions (ln Γ, the
//! regularised incomplete gamma function, the normal tail) are computed here (H and h within
//! 2e-13 relative of mpmath across Q from −3 to 3 and tails down to S = 1e-5418), rather than taken from `statrs` 0.19, whose `erfc` is off by up to 1e-10 relative,
//! whose `gamma_ur` panics at x = 0, underflows in the tails and loses digits for large shapes
//! (the generalised gamma near Q = 0 has shape Q⁻²), and which needs Rust 1.89 (the workspace
//! promises 1.85). Tests compare against values from Python's mpmath at 30 digits.

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.9189385332046728;

/// A parametric survival family, with flexsurv's parameterisation: parameters are passed as a
/// slice in the order of [`Family::param_names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// flexsurv `exp`: S = exp(−λt), h = λ. Parameter: rate λ > 0.
    Exponential,
    /// flexsurv `weibull` (accelerated-failure-time form, as R's `dweibull`): S = exp(−(t/b)^a),
    /// h = (a/b)(t/b)^(a−1). Parameters: shape a > 0, scale b > 0.
    Weibull,
    /// flexsurv `weibullPH` (proportional-hazards form): S = exp(−m·t^a), h = m·a·t^(a−1).
    /// Parameters: shape a > 0, scale m > 0, which flexsurv calls "scale" although it acts as a
    /// rate: m = b^(−a) for the [`Family::Weibull`] scale b.
    WeibullPh,
    /// flexsurv `gompertz`: h = b·e^(at), H = (b/a)(e^(at) − 1) (= b·t when a = 0). Parameters:
    /// shape a, any finite number (a < 0 gives a plateau S(∞) = exp(b/a)), rate b > 0.
    Gompertz,
    /// flexsurv `llogis`: S = 1/(1 + (t/b)^a), h = (a/b)(t/b)^(a−1)/(1 + (t/b)^a). Parameters:
    /// shape a > 0, scale b > 0.
    LogLogistic,
    /// flexsurv `lnorm` (R's `dlnorm`): S = 1 − Φ((ln t − μ)/σ), h = f/S. Parameters: meanlog μ
    /// (finite), sdlog σ > 0.
    LogNormal,
    /// flexsurv `gamma` (R's `dgamma` with a rate): S = 1 − P(k, r·t) = Q(k, r·t), h = f/S, with P
    /// and Q the regularised lower and upper incomplete gamma functions. Parameters: shape k > 0,
    /// rate r > 0.
    Gamma,
    /// flexsurv `gengamma`, the generalised gamma in Prentice's (1974) parameterisation: with
    /// w = (ln t − μ)/σ and u = Q⁻²·e^(Qw), S = Q(Q⁻², u) = 1 − P(Q⁻², u) when Q > 0,
    /// S = P(Q⁻², u) when Q < 0, and the log-normal (μ, σ) when Q = 0; h = f/S with
    /// f(t) = |Q|·(Q⁻²)^(Q⁻²)/(σ·t·Γ(Q⁻²))·exp(Q⁻²(Qw − e^(Qw))) (flexsurv's `dgengamma`).
    /// Q = 1 is the Weibull (shape 1/σ, scale e^μ); Q = σ the gamma (shape σ⁻², rate e^(−μ)/σ²).
    /// Parameters: mu (finite), sigma > 0, Q (finite).
    GenGamma,
}

/// What a parameter must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParameterRange {
    /// Finite and > 0.
    Positive,
    /// Any finite number.
    Finite,
}

/// The first thing wrong with a parameter slice, kept small so that evaluation allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ParameterProblem {
    WrongCount { found: usize },
    NotFinite { index: usize, value: f64 },
    NotPositive { index: usize, value: f64 },
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::Exponential,
        Family::Weibull,
        Family::WeibullPh,
        Family::Gompertz,
        Family::LogLogistic,
        Family::LogNormal,
        Family::Gamma,
        Family::GenGamma,
    ];

    /// The toolkit's name for the family (as in a model file).
    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::Weibull => "weibull",
            Family::WeibullPh => "weibull_ph",
            Family::Gompertz => "gompertz",
            Family::LogLogistic => "llogis",
            Family::LogNormal => "lnorm",
            Family::Gamma => "gamma",
            Family::GenGamma => "gengamma",
        }
    }

    /// flexsurv's `dist` name for the family.
    pub fn flexsurv_name(self) -> &'static str {
        match self {
            Family::Exponential => "exp",
            Family::Weibull => "weibull",
            Family::WeibullPh => "weibullPH",
            Family::Gompertz => "gompertz",
            Family::LogLogistic => "llogis",
            Family::LogNormal => "lnorm",
            Family::Gamma => "gamma",
            Family::GenGamma => "gengamma",
        }
    }

    /// The family called `name`, by [`Family::name`] or by [`Family::flexsurv_name`] (exact case).
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name || f.flexsurv_name() == name)
    }

    /// Parameter names, in flexsurv's order (the order of the `params` slice).
    pub fn param_names(self) -> &'static [&'static str] {
        match self {
            Family::Exponential => &["rate"],
            Family::Weibull | Family::WeibullPh | Family::LogLogistic => &["shape", "scale"],
            Family::Gompertz | Family::Gamma => &["shape", "rate"],
            Family::LogNormal => &["meanlog", "sdlog"],
            Family::GenGamma => &["mu", "sigma", "Q"],
        }
    }

    fn param_ranges(self) -> &'static [ParameterRange] {
        use ParameterRange::{Finite, Positive};
        match self {
            Family::Exponential => &[Positive],
            Family::Weibull | Family::WeibullPh | Family::LogLogistic | Family::Gamma => &[Positive, Positive],
            Family::Gompertz => &[Finite, Positive],
            Family::LogNormal => &[Finite, Positive],
            Family::GenGamma => &[Finite, Positive, Finite],
        }
    }

    /// Whether `params` fit the family: the right number, each in range. The message names the
    /// family and parameter, e.g. "weibull shape must be positive, found -1".
    pub fn check(self, params: &[f64]) -> Result<(), String> {
        match self.first_parameter_problem(params) {
            None => Ok(()),
            Some(problem) => Err(self.describe(problem)),
        }
    }

    fn first_parameter_problem(self, params: &[f64]) -> Option<ParameterProblem> {
        let ranges = self.param_ranges();
        if params.len() != ranges.len() {
            return Some(ParameterProblem::WrongCount { found: params.len() });
        }
        params.iter().zip(ranges).enumerate().find_map(|(index, (&value, range))| {
            if !value.is_finite() {
                Some(ParameterProblem::NotFinite { index, value })
            } else if *range == ParameterRange::Positive && value <= 0.0 {
                Some(ParameterProblem::NotPositive { index, value })
            } else {
                None
            }
        })
    }

    fn describe(self, problem: ParameterProblem) -> String {
        let names = self.param_names();
        let name_of = |index: usize| names.get(index).copied().unwrap_or("parameter");
        match problem {
            ParameterProblem::WrongCount { found } => {
                let plural = if names.len() == 1 { "" } else { "s" };
                format!("{} needs {} parameter{plural} ({}), found {found}", self.name(), names.len(), names.join(", "))
            }
            ParameterProblem::NotFinite { index, value } => {
                format!("{} {} must be a finite number, found {value}", self.name(), name_of(index))
            }
            ParameterProblem::NotPositive { index, value } => {
                format!("{} {} must be positive, found {value}", self.name(), name_of(index))
            }
        }
    }

    /// S(t) = exp(−H(t)); NaN for invalid parameters or t < 0 or NaN; S(0) = 1.
    pub fn survival(self, params: &[f64], t: f64) -> f64 {
        (-self.cumulative_hazard(params, t)).exp()
    }

    /// H(t) = −ln S(t), by the family's formula (see each variant); NaN for invalid parameters or
    /// t < 0 or NaN; H(0) = 0; H(+∞) is the limit (+∞, or −b/a for a Gompertz with shape a < 0).
    pub fn cumulative_hazard(self, params: &[f64], t: f64) -> f64 {
        if self.first_parameter_problem(params).is_some() || t.is_nan() || t < 0.0 {
            return f64::NAN;
        }
        if t == 0.0 {
            return 0.0;
        }
        match (self, params) {
            (Family::Exponential, &[rate]) => rate * t,
            (Family::Weibull, &[shape, scale]) => weibull_cumulative_hazard(shape, scale, t),
            (Family::WeibullPh, &[shape, scale]) => scale * t.powf(shape),
            (Family::Gompertz, &[shape, rate]) => gompertz_cumulative_hazard(shape, rate, t),
            (Family::LogLogistic, &[shape, scale]) => log_logistic_cumulative_hazard(shape, scale, t),
            (Family::LogNormal, &[meanlog, sdlog]) => -ln_normal_upper_tail((t.ln() - meanlog) / sdlog),
            (Family::Gamma, &[shape, rate]) => -gamma_tails_at_time(shape, rate, t).ln_upper,
            (Family::GenGamma, &[mu, sigma, q]) => gengamma_cumulative_hazard(mu, sigma, q, t),
            _ => f64::NAN,
        }
    }

    /// h(t) = f(t)/S(t), by the family's formula (see each variant); at t = 0 the limit as t → 0+
    /// (may be +∞); NaN for invalid parameters, t < 0, NaN or +∞.
    pub fn hazard(self, params: &[f64], t: f64) -> f64 {
        if self.first_parameter_problem(params).is_some() || !t.is_finite() || t < 0.0 {
            return f64::NAN;
        }
        match (self, params) {
            (Family::Exponential, &[rate]) => rate,
            (Family::Weibull, &[shape, scale]) => (shape / scale) * (t / scale).powf(shape - 1.0),
            (Family::WeibullPh, &[shape, scale]) => scale * shape * t.powf(shape - 1.0),
            (Family::Gompertz, &[shape, rate]) => rate * (shape * t).exp(),
            (Family::LogLogistic, &[shape, scale]) => log_logistic_hazard(shape, scale, t),
            (Family::LogNormal, &[meanlog, sdlog]) => log_normal_hazard(meanlog, sdlog, t),
            (Family::Gamma, &[shape, rate]) => gamma_hazard(shape, rate, t),
            (Family::GenGamma, &[mu, sigma, q]) => gengamma_hazard(mu, sigma, q, t),
            _ => f64::NAN,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Closed-form families.

/// Weibull (AFT) H = (t/b)^a.
fn weibull_cumulative_hazard(shape: f64, scale: f64, t: f64) -> f64 {
    (t / scale).powf(shape)
}

/// Gompertz H = (b/a)(e^(at) − 1) = b·expm1(a·t)/a, accurate for small a; b·t when a = 0.
fn gompertz_cumulative_hazard(shape: f64, rate: f64, t: f64) -> f64 {
    if shape == 0.0 {
        rate * t
    } else {
        rate * (shape * t).exp_m1() / shape
    }
}

/// Log-logistic H = ln(1 + (t/b)^a), as softplus(a·ln(t/b)) so that it stays finite where
/// (t/b)^a overflows.
fn log_logistic_cumulative_hazard(shape: f64, scale: f64, t: f64) -> f64 {
    softplus(shape * (t / scale).ln())
}

/// Log-logistic h = (a/b)(t/b)^(a−1)/(1 + (t/b)^a), computed for t > 0 as (a/t)/(1 + (t/b)^(−a))
/// (no overflow); at t = 0 the limit (a/b)·0^(a−1): +∞, 1/b or 0 for a <, =, > 1.
fn log_logistic_hazard(shape: f64, scale: f64, t: f64) -> f64 {
    if t == 0.0 {
        return (shape / scale) * 0f64.powf(shape - 1.0);
    }
    let log_odds = shape * (t / scale).ln();
    (shape / t) / (1.0 + (-log_odds).exp())
}

/// ln(1 + e^x) without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

// ---------------------------------------------------------------------------------------------
// Normal tails, for the log-normal and for the generalised gamma near Q = 0.

/// ln φ(z) = −z²/2 − ln √(2π), the standard normal log density.
fn ln_normal_density(z: f64) -> f64 {
    -0.5 * z * z - LN_SQRT_2PI
}

/// Mills' ratio M(z) = Φ̄(z)/φ(z) for z ≥ 0, Φ̄ = 1 − Φ the normal upper tail, from the incomplete
/// gamma function: Φ̄(z) = ½·Q(½, x) at x = z²/2, where x·g(x) = z·φ(z) (g the Gamma(½, 1)
/// density). So M = ½·z·(continued fraction) for x ≥ 1.5, and M = 1/(2φ(z)) − z·(series) below,
/// from P(½, x) = 2·z·φ(z)·(series). No exponential is needed in the tail, where M ≈ 1/z.
fn mills_ratio(z: f64) -> f64 {
    let x = 0.5 * z * z;
    if x == f64::INFINITY {
        1.0 / z
    } else if x >= 1.5 {
        0.5 * z * upper_gamma_continued_fraction(0.5, x)
    } else {
        0.5 / ln_normal_density(z).exp() - z * lower_gamma_series(0.5, x)
    }
}

/// ln Φ̄(z), the log of the standard normal upper tail, accurate in both tails: ln φ(z) + ln M(z)
/// for z ≥ 0 (no underflow), ln(1 − Φ̄(−z)) by ln_1p for z < 0.
fn ln_normal_upper_tail(z: f64) -> f64 {
    if z >= 0.0 {
        ln_normal_density(z) + mills_ratio(z).ln()
    } else {
        (-normal_lower_tail(z)).ln_1p()
    }
}

/// Φ(z) = φ(z)·M(−z) for z ≤ 0.
fn normal_lower_tail(z: f64) -> f64 {
    ln_normal_density(z).exp() * mills_ratio(-z)
}

/// φ(z)/Φ̄(z), the hazard of the standard normal: 1/M(z) for z ≥ 0.
fn normal_hazard(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / mills_ratio(z)
    } else {
        ln_normal_density(z).exp() / (1.0 - normal_lower_tail(z))
    }
}

/// Log-normal h = φ(w)/(σ·t·Φ̄(w)), w = (ln t − μ)/σ; 0 at t = 0.
fn log_normal_hazard(meanlog: f64, sdlog: f64, t: f64) -> f64 {
    if t == 0.0 {
        return 0.0;
    }
    normal_hazard((t.ln() - meanlog) / sdlog) / (sdlog * t)
}

// ---------------------------------------------------------------------------------------------
// Gamma and generalised gamma.

/// The gamma family's [`GammaTails`] at time t: shape k at x = r·t (S = Q(k, x)).
fn gamma_tails_at_time(shape: f64, rate: f64, t: f64) -> GammaTails {
    gamma_tails(shape, ln_ratio_to_shape(rate * t, shape))
}

/// ln(x/a), from the quotient while it is a normal number, else from the difference of logs.
fn ln_ratio_to_shape(x: f64, a: f64) -> f64 {
    let ratio = x / a;
    if ratio.is_normal() {
        ratio.ln()
    } else {
        x.ln() - a.ln()
    }
}

/// Gamma h = r·g(r·t)/Q(k, r·t), g the Gamma(k, 1) density, = (x·g(x)/Q)/t with x = r·t; at
/// t = 0 the limit: +∞, r or 0 for k <, =, > 1.
fn gamma_hazard(shape: f64, rate: f64, t: f64) -> f64 {
    if t == 0.0 {
        return if shape < 1.0 {
            f64::INFINITY
        } else if shape == 1.0 {
            rate
        } else {
            0.0
        };
    }
    gamma_tails_at_time(shape, rate, t).ln_log_density_over_upper.exp() / t
}

/// Below this |Q| (near where the shape Q⁻² overflows) the generalised gamma is taken as the
/// log-normal: the difference is O(|Q|), far below rounding.
const GENGAMMA_LOG_NORMAL_BELOW: f64 = 1e-150;

/// The generalised gamma's survival tail of the Gamma(Q⁻², 1) at u = Q⁻²·e^(Qw): (ln S, ln of
/// u·g(u)/S), g the Gamma(Q⁻², 1) density; None when the log-normal applies (Q ≈ 0).
fn gengamma_tail(mu: f64, sigma: f64, q: f64, t: f64) -> Option<(f64, f64)> {
    if q.abs() < GENGAMMA_LOG_NORMAL_BELOW {
        return None;
    }
    let w = (t.ln() - mu) / sigma;
    let tails = gamma_tails(1.0 / (q * q), q * w);
    Some(if q > 0.0 {
        (tails.ln_upper, tails.ln_log_density_over_upper)
    } else {
        (tails.ln_lower, tails.ln_log_density_over_lower)
    })
}

/// Generalised gamma H = −ln S (see [`Family::GenGamma`]).
fn gengamma_cumulative_hazard(mu: f64, sigma: f64, q: f64, t: f64) -> f64 {
    match gengamma_tail(mu, sigma, q, t) {
        Some((ln_survival, _)) => -ln_survival,
        None => -ln_normal_upper_tail((t.ln() - mu) / sigma),
    }
}

/// Generalised gamma h = f/S. With u = Q⁻²·e^(Qw), du/dt = Q·u/(σ·t), so f(t) = |Q|·u·g(u)/(σ·t)
/// and h = |Q|·(u·g(u)/S)/(σ·t). At t = 0 the limit: f(t) ∝ t^(1/(Qσ) − 1) as t → 0 when Q > 0,
/// so +∞ when Qσ > 1, 0 when Qσ < 1, and (Q⁻²)^(Q⁻²−1)·e^(−μ)/Γ(Q⁻²) when Qσ = 1; 0 when Q ≤ 0.
fn gengamma_hazard(mu: f64, sigma: f64, q: f64, t: f64) -> f64 {
    if t == 0.0 {
        return gengamma_hazard_at_zero(mu, sigma, q);
    }
    match gengamma_tail(mu, sigma, q, t) {
        Some((_, ln_log_density_over_survival)) => q.abs() * ln_log_density_over_survival.exp() / (sigma * t),
        None => log_normal_hazard(mu, sigma, t),
    }
}

fn gengamma_hazard_at_zero(mu: f64, sigma: f64, q: f64) -> f64 {
    if q <= 0.0 || q * sigma < 1.0 {
        0.0
    } else if q * sigma > 1.0 {
        f64::INFINITY
    } else {
        let a = 1.0 / (q * q);
        ((a - 1.0) * a.ln() - mu - ln_gamma(a)).exp()
    }
}

/// Both tails of the Gamma(a, 1) distribution at one point x, in logs, with the ratios a hazard
/// needs. g is the Gamma(a, 1) density, so x·g(x) = x^a·e^(−x)/Γ(a) is the density of ln X.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GammaTails {
    /// ln P(a, x), P the regularised lower incomplete gamma function.
    ln_lower: f64,
    /// ln Q(a, x) = ln(1 − P(a, x)).
    ln_upper: f64,
    /// ln(x·g(x)/P(a, x)).
    ln_log_density_over_lower: f64,
    /// ln(x·g(x)/Q(a, x)).
    ln_log_density_over_upper: f64,
}

/// From this shape on, and near the centre (|η| < 1, see [`gamma_tails_temme`]), the incomplete
/// gamma function comes from Temme's uniform asymptotic expansion (its three terms leave a
/// relative error below 1e-15 at a = 1e4, checked against mpmath); elsewhere from the series or the
/// continued fraction, which need O(√a) terms near the centre and few far from it.
const TEMME_MIN_SHAPE: f64 = 1e4;

/// Temme's expansion is used while η²/2 = λ − 1 − ln λ is below this (|η| < 1, λ = x/a in about
/// [0.3, 2.4]); farther out its correction cancels against the leading term (for λ ≫ 1 the
/// upper tail is φ(v)/(√a·(λ − 1)), far below the φ(v)/v of each part).
const TEMME_MAX_HALF_ETA_SQUARED: f64 = 0.5;

/// Iteration cap for the series and the continued fraction; at a < 1e4 they converge in a few
/// thousand terms at most.
const MAX_GAMMA_TERMS: usize = 100_000;

/// [`GammaTails`] of shape a > 0 at x = a·e^y, y = ln(x/a) (passing y keeps the generalised gamma
/// accurate near Q = 0, where x and a are huge and close). For x < a + 1 the power series for P,
/// otherwise the continued fraction for Q (Numerical Recipes §6.2, `gser` and `gcf`), each
/// multiplied by the prefactor in logs; the other tail by ln(1 − e^l). For a ≥ 1e4 and x near a,
/// Temme's expansion ([`gamma_tails_temme`]).
fn gamma_tails(a: f64, y: f64) -> GammaTails {
    let x = a * y.exp();
    if y == f64::NEG_INFINITY {
        // x = 0: P = 0, Q = 1; x·g(x)/P → a (P ≈ x^a/Γ(a + 1)), x·g(x) → 0. (An x that merely
        // underflows to 0 goes through the series, which keeps ln P finite.)
        return GammaTails {
            ln_lower: f64::NEG_INFINITY,
            ln_upper: 0.0,
            ln_log_density_over_lower: a.ln(),
            ln_log_density_over_upper: f64::NEG_INFINITY,
        };
    }
    if x == f64::INFINITY {
        // x = ∞: P = 1, Q = 0; x·g(x)/Q ≈ x → ∞.
        return GammaTails {
            ln_lower: 0.0,
            ln_upper: f64::NEG_INFINITY,
            ln_log_density_over_lower: f64::NEG_INFINITY,
            ln_log_density_over_upper: f64::INFINITY,
        };
    }
    if a >= TEMME_MIN_SHAPE && exp_minus_one_minus(y) < TEMME_MAX_HALF_ETA_SQUARED {
        return gamma_tails_temme(a, y);
    }
    let ln_log_density = ln_gamma_log_density(a, y);
    if x < a + 1.0 {
        let ln_series = lower_gamma_series(a, x).ln();
        let ln_lower = ln_log_density - a.ln() + ln_series;
        let ln_upper = ln_one_minus_exp(ln_lower);
        GammaTails {
            ln_lower,
            ln_upper,
            ln_log_density_over_lower: a.ln() - ln_series,
            ln_log_density_over_upper: ln_log_density - ln_upper,
        }
    } else {
        let ln_fraction = upper_gamma_continued_fraction(a, x).ln();
        let ln_upper = ln_log_density + ln_fraction;
        let ln_lower = ln_one_minus_exp(ln_upper);
        GammaTails {
            ln_lower,
            ln_upper,
            ln_log_density_over_lower: ln_log_density - ln_lower,
            ln_log_density_over_upper: -ln_fraction,
        }
    }
}

/// ln(x·g(x)) = a·ln x − x − ln Γ(a) at x = a·e^y, written as
/// ½ ln a − ln √(2π) − stirling(a) − a·(e^y − 1 − y) so that its large terms (a·ln a, x, ln Γ(a))
/// cancel exactly rather than in floating point (the form of Temme's and R's `dpois_raw`).
fn ln_gamma_log_density(a: f64, y: f64) -> f64 {
    0.5 * a.ln() - LN_SQRT_2PI - stirling_error(a) - a * exp_minus_one_minus(y)
}

/// ln Γ(a) for a > 0: (a − ½)·ln a − a + ln √(2π) + stirling(a).
fn ln_gamma(a: f64) -> f64 {
    (a - 0.5) * a.ln() - a + LN_SQRT_2PI + stirling_error(a)
}

/// stirling(a) = ln Γ(a) − (a − ½)·ln a + a − ln √(2π), the error of Stirling's formula, for a > 0:
/// by its asymptotic series 1/(12a) − 1/(360a³) + 1/(1260a⁵) − … (six terms, error < 1e-15) for
/// a ≥ 10; below, by the recurrence stirling(a) = stirling(a + 1) + (a + ½)·ln(1 + 1/a) − 1 (from
/// Γ(a + 1) = a·Γ(a)) up to a ≥ 10. Absolute error about 1e-15, which is what ln Γ's uses here
/// need (it enters exponents).
fn stirling_error(a: f64) -> f64 {
    let mut b = a;
    let mut recurrence_terms = 0.0;
    while b < 10.0 {
        recurrence_terms += (b + 0.5) * (1.0 / b).ln_1p() - 1.0;
        b += 1.0;
    }
    recurrence_terms + stirling_series(b)
}

/// The asymptotic series of [`stirling_error`], for a ≥ 10.
fn stirling_series(a: f64) -> f64 {
    let inverse_square = 1.0 / (a * a);
    let series = [1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0, -691.0 / 360360.0]
        .iter()
        .rev()
        .fold(0.0, |sum, coefficient| sum * inverse_square + coefficient);
    series / a
}

/// e^y − 1 − y, by its Taylor series for |y| < 0.5 (no cancellation), else expm1(y) − y.
fn exp_minus_one_minus(y: f64) -> f64 {
    if y.abs() >= 0.5 {
        return y.exp_m1() - y;
    }
    let mut term = 0.5 * y * y;
    let mut sum = term;
    let mut k = 2.0;
    while term.abs() > f64::EPSILON * sum.abs() * 0.25 {
        k += 1.0;
        term *= y / k;
        sum += term;
    }
    sum
}

/// ln(1 − e^l) for l ≤ 0, accurate at both ends (Mächler 2012, "Accurately computing
/// log(1 − exp(−|a|))").
fn ln_one_minus_exp(l: f64) -> f64 {
    if l > -std::f64::consts::LN_2 {
        (-l.exp_m1()).ln()
    } else {
        (-l.exp()).ln_1p()
    }
}

/// Σ_{n ≥ 0} x^n/((a + 1)(a + 2)…(a + n)), so that P(a, x) = x^a·e^(−x)/Γ(a + 1) × the sum
/// (Numerical Recipes `gser`); used for x < a + 1, where the terms fall.
fn lower_gamma_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut denominator = a;
    for _ in 0..MAX_GAMMA_TERMS {
        denominator += 1.0;
        term *= x / denominator;
        sum += term;
        if term <= sum * f64::EPSILON * 0.5 {
            break;
        }
    }
    sum
}

/// The continued fraction 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))),
/// so that Q(a, x) = x^a·e^(−x)/Γ(a) × the fraction, by the modified Lentz method (Numerical
/// Recipes `gcf`); used for x ≥ a + 1.
fn upper_gamma_continued_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut fraction = d;
    let mut i = 0.0;
    for _ in 0..MAX_GAMMA_TERMS {
        i += 1.0;
        let numerator = -i * (i - a);
        b += 2.0;
        d = numerator * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + numerator / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        fraction *= step;
        if (step - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    fraction
}

/// Taylor coefficients of Temme's c₀(η) = 1/(λ − 1) − 1/η at η = 0 (−1/3, 1/12, −2/135, 1/864,
/// …; DLMF 8.12.9), computed with mpmath at 80 digits.
const TEMME_C0: [f64; 16] = [
    -0.3333333333333333,
    0.08333333333333333,
    -0.014814814814814815,
    0.0011574074074074073,
    0.0003527336860670194,
    -0.0001787551440329218,
    3.919263178522438e-05,
    -2.185448510679992e-06,
    -1.85406221071516e-06,
    8.296711340953087e-07,
    -1.7665952736826078e-07,
    6.707853543401498e-09,
    1.0261809784240309e-08,
    -4.382036018453353e-09,
    9.14769958223679e-10,
    -2.5514193994946248e-11,
];

/// Taylor coefficients of Temme's c₁(η) = 1/η³ − 1/(λ − 1)³ − 1/(λ − 1)² − 1/(12(λ − 1)) at
/// η = 0 (−1/540, −1/288, 1/378, …), computed with mpmath at 80 digits.
const TEMME_C1: [f64; 12] = [
    -0.001851851851851852,
    -0.003472222222222222,
    0.0026455026455026454,
    -0.0009902263374485596,
    0.00020576131687242798,
    -4.018775720164609e-07,
    -1.8098550334489977e-05,
    7.64916091608111e-06,
    -1.6120900894563446e-06,
    4.647127802807434e-09,
    1.378633446915721e-07,
    -5.752545603517705e-08,
];

/// Taylor coefficients of Temme's c₂(η) at η = 0 (25/6048, −139/51840, 1/1296, …), from those of
/// c₀ and c₁ through the recurrence c₂ = c₁'/η + 1/(288(λ − 1)) (DLMF 8.12.10, with the
/// coefficient 1/288 of Stirling's series for Γ): d₂,ₘ = (m + 2)·d₁,ₘ₊₂ + d₀,ₘ/288.
const TEMME_C2: [f64; 12] = [
    0.004133597883597883,
    -0.0026813271604938273,
    0.0007716049382716049,
    2.0093878600823047e-06,
    -0.0001073665322636516,
    5.2923448829120125e-05,
    -1.2760635188618728e-05,
    3.423578734096138e-08,
    1.3721957309062934e-06,
    -6.298992138380055e-07,
    1.4280614206064242e-07,
    -2.0477098421990866e-10,
];

/// Below this |η| Temme's coefficients come from their Taylor series (truncation < 1e-15 for c₀,
/// and c₁, c₂ count 1e4 and 1e8 times less), above it from their closed forms (whose
/// cancellation is mild there).
const TEMME_TAYLOR_BELOW: f64 = 0.25;

fn polynomial(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |sum, coefficient| sum * x + coefficient)
}

/// [`GammaTails`] by Temme's uniform asymptotic expansion (N. M. Temme, "The asymptotic expansion
/// of the incomplete gamma functions", SIAM J Math Anal 1979; DLMF 8.12.3–8.12.9): with λ = x/a
/// = e^y, η = sign(y)·√(2(λ − 1 − ln λ)) and v = η√a,
/// Q(a, x) = Φ̄(v) + φ(v)/√a·(c₀(η) + c₁(η)/a + c₂(η)/a² + …) and P(a, x) = Φ(v) − the same
/// correction.
/// The smaller tail is computed as φ(v)·(M(±v) ± correction) in logs, M Mills' ratio; and
/// x·g(x) = φ(v)·√a·e^(−stirling(a)), so the hazard ratios need no division by a tiny φ.
fn gamma_tails_temme(a: f64, y: f64) -> GammaTails {
    let half_eta_squared = exp_minus_one_minus(y);
    let eta = (2.0 * half_eta_squared).sqrt().copysign(y);
    let sqrt_a = a.sqrt();
    let v = eta * sqrt_a;
    let ln_density_v = -a * half_eta_squared - LN_SQRT_2PI;
    let (c0, c1, c2) = temme_coefficients(eta, y);
    let correction = (c0 + (c1 + c2 / a) / a) / sqrt_a;
    let ln_log_density_minus_ln_density_v = sqrt_a.ln() - stirling_error(a);
    if v >= 0.0 {
        let ln_scaled_upper = (mills_ratio(v) + correction).ln();
        let ln_upper = ln_density_v + ln_scaled_upper;
        let ln_lower = ln_one_minus_exp(ln_upper);
        GammaTails {
            ln_lower,
            ln_upper,
            ln_log_density_over_lower: ln_density_v + ln_log_density_minus_ln_density_v - ln_lower,
            ln_log_density_over_upper: ln_log_density_minus_ln_density_v - ln_scaled_upper,
        }
    } else {
        let ln_scaled_lower = (mills_ratio(-v) - correction).ln();
        let ln_lower = ln_density_v + ln_scaled_lower;
        let ln_upper = ln_one_minus_exp(ln_lower);
        GammaTails {
            ln_lower,
            ln_upper,
            ln_log_density_over_lower: ln_log_density_minus_ln_density_v - ln_scaled_lower,
            ln_log_density_over_upper: ln_density_v + ln_log_density_minus_ln_density_v - ln_upper,
        }
    }
}

/// Temme's c₀(η), c₁(η) and c₂(η), with λ = e^y and u = 1/(λ − 1): c₀ = u − 1/η,
/// c₁ = 1/η³ − u³ − u² − u/12, c₂ = −3/η⁵ + λu³(3u² + 2u + 1/12) + u/288 (from the recurrence
/// above, with dλ/dη = ηλ/(λ − 1)); by their Taylor series near η = 0, where these cancel.
fn temme_coefficients(eta: f64, y: f64) -> (f64, f64, f64) {
    if eta.abs() < TEMME_TAYLOR_BELOW {
        return (polynomial(&TEMME_C0, eta), polynomial(&TEMME_C1, eta), polynomial(&TEMME_C2, eta));
    }
    let lambda = y.exp();
    let u = 1.0 / y.exp_m1();
    let c0 = u - 1.0 / eta;
    let c1 = 1.0 / eta.powi(3) - u.powi(3) - u * u - u / 12.0;
    let c2 = -3.0 / eta.powi(5) + lambda * u.powi(3) * (3.0 * u * u + 2.0 * u + 1.0 / 12.0) + u / 288.0;
    (c0, c1, c2)
}

// ---------------------------------------------------------------------------------------------
// Piecewise-constant hazard.

/// The first thing wrong with a piecewise-exponential hazard (numbering from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
enum PiecewiseProblem {
    NoRates,
    CutCount { rates: usize, cuts: usize },
    RateInvalid { number: usize, value: f64 },
    CutInvalid { number: usize, value: f64 },
    CutsNotIncreasing { number: usize, previous: f64, value: f64 },
}

fn first_piecewise_problem(cuts: &[f64], rates: &[f64]) -> Option<PiecewiseProblem> {
    if rates.is_empty() {
        return Some(PiecewiseProblem::NoRates);
    }
    if cuts.len() + 1 != rates.len() {
        return Some(PiecewiseProblem::CutCount { rates: rates.len(), cuts: cuts.len() });
    }
    if let Some((i, &value)) = rates.iter().enumerate().find(|(_, r)| !(r.is_finite() && **r >= 0.0)) {
        return Some(PiecewiseProblem::RateInvalid { number: i + 1, value });
    }
    if let Some((i, &value)) = cuts.iter().enumerate().find(|(_, c)| !(c.is_finite() && **c > 0.0)) {
        return Some(PiecewiseProblem::CutInvalid { number: i + 1, value });
    }
    cuts.windows(2)
        .enumerate()
        .find(|(_, pair)| pair[1] <= pair[0])
        .map(|(i, pair)| PiecewiseProblem::CutsNotIncreasing { number: i + 2, previous: pair[0], value: pair[1] })
}

/// Whether `cuts` and `rates` describe a piecewise-constant hazard: at least one rate, one cut
/// fewer than rates, rates finite and ≥ 0, cuts finite, > 0 and strictly increasing. Rates and
/// cuts are numbered from 1 in messages.
pub fn check_piecewise_exponential(cuts: &[f64], rates: &[f64]) -> Result<(), String> {
    let Some(problem) = first_piecewise_problem(cuts, rates) else {
        return Ok(());
    };
    Err(match problem {
        PiecewiseProblem::NoRates => "a piecewise-exponential hazard needs at least one rate".to_string(),
        PiecewiseProblem::CutCount { rates: 1, cuts } => format!("a single rate needs no cut points, found {cuts}"),
        PiecewiseProblem::CutCount { rates, cuts } => {
            format!("{rates} rates need {} cut points, found {cuts}", rates - 1)
        }
        PiecewiseProblem::RateInvalid { number, value } => {
            format!("rate {number} must be a non-negative finite number, found {value}")
        }
        PiecewiseProblem::CutInvalid { number, value } => {
            format!("cut point {number} must be a positive finite number, found {value}")
        }
        PiecewiseProblem::CutsNotIncreasing { number, previous, value } => format!(
            "cut points must increase: cut point {number} ({value}) is not after cut point {} ({previous})",
            number - 1
        ),
    })
}

/// Piecewise-constant hazard: `rates[i]` applies on [cuts[i−1], cuts[i]) with cuts[−1] = 0 and
/// cuts[n] = ∞, so the last rate continues for ever. h(t) = the rate of the interval holding t
/// (at a cut, the rate after it); NaN for an invalid hazard (see [`check_piecewise_exponential`])
/// or t < 0 or NaN.
pub fn piecewise_exponential_hazard(cuts: &[f64], rates: &[f64], t: f64) -> f64 {
    if first_piecewise_problem(cuts, rates).is_some() || t.is_nan() || t < 0.0 {
        return f64::NAN;
    }
    let interval = cuts.partition_point(|&cut| cut <= t);
    rates.get(interval).copied().unwrap_or(f64::NAN)
}

/// H(t) = Σ rate_i × (time spent in interval i up to t); NaN as for
/// [`piecewise_exponential_hazard`].
pub fn piecewise_exponential_cumulative_hazard(cuts: &[f64], rates: &[f64], t: f64) -> f64 {
    if first_piecewise_problem(cuts, rates).is_some() || t.is_nan() || t < 0.0 {
        return f64::NAN;
    }
    let mut cumulative = 0.0;
    let mut start = 0.0;
    for (i, &rate) in rates.iter().enumerate() {
        let end = cuts.get(i).copied().unwrap_or(f64::INFINITY).min(t);
        if rate > 0.0 {
            cumulative += rate * (end - start);
        }
        if end >= t {
            break;
        }
        start = end;
    }
    cumulative
}

/// S(t) = exp(−H(t)); NaN as for [`piecewise_exponential_hazard`].
pub fn piecewise_exponential_survival(cuts: &[f64], rates: &[f64], t: f64) -> f64 {
    (-piecewise_exponential_cumulative_hazard(cuts, rates, t)).exp()
}

// ---------------------------------------------------------------------------------------------
// Tabulated survival.

/// How a tabulated survival curve is read between its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableInterpolation {
    /// Kaplan–Meier: the survival at the largest time ≤ t. Beyond the last time the last value
    /// holds. Its hazard is 0 everywhere: the drops are point masses, seen only in S, H and
    /// [`conditional_event_probability`].
    Step,
    /// A straight line in S between neighbouring times; beyond the last time the last value holds
    /// (hazard 0).
    Linear,
    /// A straight line in ln S (= H) between neighbouring times: a constant hazard on each
    /// interval. Beyond the last time the last interval's hazard continues. An interval ending at
    /// S = 0 has an infinite hazard (S is 0 just after it starts): use `Linear` for tables that
    /// reach 0.
    LogLinear,
}

/// The first thing wrong with a survival table (rows numbered from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TableProblem {
    LengthMismatch { times: usize, survival: usize },
    TooShort { rows: usize },
    FirstTimeNotZero { time: f64 },
    FirstSurvivalNotOne { survival: f64 },
    TimeNotFinite { row: usize, time: f64 },
    TimesNotIncreasing { row: usize, previous: f64, time: f64 },
    SurvivalOutOfRange { row: usize, time: f64, survival: f64 },
    SurvivalRises { row: usize, time: f64, previous: f64, survival: f64 },
}

fn first_table_problem(times: &[f64], survival: &[f64]) -> Option<TableProblem> {
    if times.len() != survival.len() {
        return Some(TableProblem::LengthMismatch { times: times.len(), survival: survival.len() });
    }
    if times.len() < 2 {
        return Some(TableProblem::TooShort { rows: times.len() });
    }
    if times[0] != 0.0 {
        return Some(TableProblem::FirstTimeNotZero { time: times[0] });
    }
    if survival[0] != 1.0 {
        return Some(TableProblem::FirstSurvivalNotOne { survival: survival[0] });
    }
    (1..times.len()).find_map(|i| table_row_problem(times, survival, i))
}

/// What is wrong with row i (from 0) given the row before it, if anything.
fn table_row_problem(times: &[f64], survival: &[f64], i: usize) -> Option<TableProblem> {
    let (row, time, s) = (i + 1, times[i], survival[i]);
    if !time.is_finite() {
        Some(TableProblem::TimeNotFinite { row, time })
    } else if time <= times[i - 1] {
        Some(TableProblem::TimesNotIncreasing { row, previous: times[i - 1], time })
    } else if !(0.0..=1.0).contains(&s) {
        Some(TableProblem::SurvivalOutOfRange { row, time, survival: s })
    } else if s > survival[i - 1] {
        Some(TableProblem::SurvivalRises { row, time, previous: survival[i - 1], survival: s })
    } else {
        None
    }
}

/// Whether `times` and `survival` form a survival table: the same length, at least 2 rows, times
/// finite and strictly increasing from 0, survival 1 at time 0, in [0, 1] and non-increasing.
/// Messages name the row, counting from 1, e.g. "survival rises from 0.8 to 0.85 at row 4 (time
/// 2.5)".
pub fn check_tabulated(times: &[f64], survival: &[f64]) -> Result<(), String> {
    let Some(problem) = first_table_problem(times, survival) else {
        return Ok(());
    };
    Err(match problem {
        TableProblem::LengthMismatch { times, survival } => {
            format!("the table has {times} times but {survival} survival values")
        }
        TableProblem::TooShort { rows } => format!("a survival table needs at least 2 rows, found {rows}"),
        TableProblem::FirstTimeNotZero { time } => format!("the first time (row 1) must be 0, found {time}"),
        TableProblem::FirstSurvivalNotOne { survival } => {
            format!("survival at time 0 (row 1) must be 1, found {survival}")
        }
        TableProblem::TimeNotFinite { row, time } => format!("time at row {row} must be a finite number, found {time}"),
        TableProblem::TimesNotIncreasing { row, previous, time } => {
            format!("times must increase: row {row} (time {time}) is not after row {} (time {previous})", row - 1)
        }
        TableProblem::SurvivalOutOfRange { row, time, survival } => {
            format!("survival must be between 0 and 1: row {row} (time {time}) has {survival}")
        }
        TableProblem::SurvivalRises { row, time, previous, survival } => {
            format!("survival rises from {previous} to {survival} at row {row} (time {time})")
        }
    })
}

/// H = −ln S, with H = 0 (not −0) at S = 1 and +∞ at S = 0.
fn cumulative_hazard_of(survival: f64) -> f64 {
    0.0 - survival.ln()
}

/// The index i of the interval [times[i], times[i+1]) holding t ≥ 0 (n − 1 from the last time
/// on).
fn table_interval(times: &[f64], t: f64) -> usize {
    times.partition_point(|&time| time <= t).saturating_sub(1)
}

/// Whether the table and t can be evaluated (a valid table, t ≥ 0, not NaN).
fn table_is_evaluable(times: &[f64], survival: &[f64], t: f64) -> bool {
    first_table_problem(times, survival).is_none() && !t.is_nan() && t >= 0.0
}

/// H on interval i under [`TableInterpolation::LogLinear`]: H_i + (t − t_i)·(H_{i+1} − H_i)/(t_{i+1}
/// − t_i), the last interval extended beyond the last time.
fn log_linear_cumulative_hazard(times: &[f64], survival: &[f64], t: f64) -> f64 {
    let n = times.len();
    let i = table_interval(times, t).min(n - 2);
    let start = cumulative_hazard_of(survival[i]);
    if t == times[i] || start == f64::INFINITY {
        return start;
    }
    let rate = log_linear_rate(times, survival, i);
    if rate == 0.0 {
        start
    } else {
        start + rate * (t - times[i])
    }
}

/// The constant hazard of interval i under [`TableInterpolation::LogLinear`]:
/// (H_{i+1} − H_i)/(t_{i+1} − t_i), +∞ when S_{i+1} = 0.
fn log_linear_rate(times: &[f64], survival: &[f64], i: usize) -> f64 {
    if survival[i + 1] == 0.0 {
        return f64::INFINITY;
    }
    (survival[i] / survival[i + 1]).ln() / (times[i + 1] - times[i])
}

/// S(t) from a table (see [`TableInterpolation`]); NaN for an invalid table (see
/// [`check_tabulated`]) or t < 0 or NaN. Checks the table on every call (O(n)).
pub fn tabulated_survival(times: &[f64], survival: &[f64], how: TableInterpolation, t: f64) -> f64 {
    if !table_is_evaluable(times, survival, t) {
        return f64::NAN;
    }
    let n = times.len();
    let i = table_interval(times, t);
    match how {
        TableInterpolation::Step => survival[i],
        TableInterpolation::Linear if i + 1 >= n => survival[n - 1],
        TableInterpolation::Linear => {
            let fraction = (t - times[i]) / (times[i + 1] - times[i]);
            survival[i] + fraction * (survival[i + 1] - survival[i])
        }
        TableInterpolation::LogLinear => (-log_linear_cumulative_hazard(times, survival, t)).exp(),
    }
}

/// H(t) = −ln S(t) from a table; for `LogLinear` interpolated directly (linear in t), else
/// −ln of [`tabulated_survival`]. +∞ where S = 0; NaN as for [`tabulated_survival`].
pub fn tabulated_cumulative_hazard(times: &[f64], survival: &[f64], how: TableInterpolation, t: f64) -> f64 {
    if !table_is_evaluable(times, survival, t) {
        return f64::NAN;
    }
    match how {
        TableInterpolation::LogLinear => log_linear_cumulative_hazard(times, survival, t),
        TableInterpolation::Step | TableInterpolation::Linear => {
            cumulative_hazard_of(tabulated_survival(times, survival, how, t))
        }
    }
}

/// h(t) from a table, taking the interval [t_i, t_{i+1}) that holds t (at a listed time, the
/// hazard after it). `Step`: 0 everywhere. `Linear`: −S'/S = (S_i − S_{i+1})/((t_{i+1} − t_i)·S(t))
/// inside the table, 0 beyond the last time, +∞ where S has reached 0 along a falling segment.
/// `LogLinear`: the interval's constant hazard (H_{i+1} − H_i)/(t_{i+1} − t_i), the last one
/// beyond the last time. NaN as for [`tabulated_survival`].
pub fn tabulated_hazard(times: &[f64], survival: &[f64], how: TableInterpolation, t: f64) -> f64 {
    if !table_is_evaluable(times, survival, t) {
        return f64::NAN;
    }
    let n = times.len();
    let i = table_interval(times, t);
    match how {
        TableInterpolation::Step => 0.0,
        TableInterpolation::Linear if i + 1 >= n => 0.0,
        TableInterpolation::Linear => {
            let slope = (survival[i] - survival[i + 1]) / (times[i + 1] - times[i]);
            let at_t = tabulated_survival(times, survival, how, t);
            if slope == 0.0 {
                0.0
            } else {
                slope / at_t
            }
        }
        TableInterpolation::LogLinear => log_linear_rate(times, survival, i.min(n - 2)),
    }
}

// ---------------------------------------------------------------------------------------------
// Cycle probabilities and mixture cure.

/// Probability of the event in (t0, t1] given no event by t0: 1 − S(t1)/S(t0) (DOMAIN.md §3.5),
/// computed as −expm1(−(H(t1) − H(t0))) from the cumulative hazards for accuracy when the
/// probability is small. NaN when an argument is NaN, H(t0) is negative or infinite (no one left),
/// or H(t1) < H(t0) by more than rounding (1e-12 relative); a smaller shortfall gives 0.
pub fn conditional_event_probability(cum_hazard_t0: f64, cum_hazard_t1: f64) -> f64 {
    if cum_hazard_t0.is_nan() || cum_hazard_t1.is_nan() || cum_hazard_t0 < 0.0 || cum_hazard_t0.is_infinite() {
        return f64::NAN;
    }
    let increase = cum_hazard_t1 - cum_hazard_t0;
    if increase < -1e-12 * cum_hazard_t0.max(1.0) {
        return f64::NAN;
    }
    -(-increase.max(0.0)).exp_m1()
}

/// Mixture cure survival S(t) = S_bg(t)·(π + (1 − π)·S_u(t)) (DOMAIN.md §3.4): π the cure
/// fraction, S_u the survival of the uncured (in relative-survival form, before background
/// mortality), S_bg the background (general-population) survival. Use `s_background = 1` for the
/// form without background mortality. NaN unless all three are in [0, 1].
pub fn mixture_cure_survival(cure_fraction: f64, s_uncured: f64, s_background: f64) -> f64 {
    let in_unit = |x: f64| (0.0..=1.0).contains(&x);
    if !(in_unit(cure_fraction) && in_unit(s_uncured) && in_unit(s_background)) {
        return f64::NAN;
    }
    s_background * (cure_fraction + (1.0 - cure_fraction) * s_uncured)
}

/// Mixture cure hazard h = h_bg + (1 − π)·f_u/(π + (1 − π)·S_u) with f_u = h_u·S_u: the
/// background hazard plus the uncured hazard weighted by the uncured share of the survivors,
/// (1 − π)·S_u/(π + (1 − π)·S_u). With π = 0 the share is 1 (h = h_bg + h_u); once S_u = 0 with
/// π > 0 it is 0 (h = h_bg, even if h_u is +∞). NaN unless π and S_u are in [0, 1] and both
/// hazards ≥ 0 (+∞ allowed).
pub fn mixture_cure_hazard(cure_fraction: f64, s_uncured: f64, h_uncured: f64, h_background: f64) -> f64 {
    let in_unit = |x: f64| (0.0..=1.0).contains(&x);
    if !(in_unit(cure_fraction) && in_unit(s_uncured) && h_uncured >= 0.0 && h_background >= 0.0) {
        return f64::NAN;
    }
    let uncured = (1.0 - cure_fraction) * s_uncured;
    let uncured_share = if cure_fraction == 0.0 { 1.0 } else { uncured / (cure_fraction + uncured) };
    if uncured_share == 0.0 {
        h_background
    } else {
        h_background + uncured_share * h_uncured
    }
}

// ---------------------------------------------------------------------------------------------
// Royston–Parmar splines on the log cumulative hazard (flexsurv `flexsurvspline`, scale "hazard").

/// The Royston–Parmar natural cubic spline basis at x = ln t for `knots` (ln times: the lower
/// boundary, the internal knots, the upper boundary; at least 2, increasing), as flexsurv's
/// `basis`: 1, x, then for each internal knot kⱼ, vⱼ(x) = (x − kⱼ)₊³ − λⱼ(x − k_min)₊³ −
/// (1 − λⱼ)(x − k_max)₊³ with λⱼ = (k_max − kⱼ)/(k_max − k_min). Returns the basis and its
/// derivative in x. The spline is linear in x outside the boundary knots.
pub fn royston_parmar_basis(knots: &[f64], x: f64) -> (Vec<f64>, Vec<f64>) {
    let n = knots.len();
    let mut b = vec![1.0, x];
    let mut d = vec![0.0, 1.0];
    if n < 2 {
        return (b, d);
    }
    let (lo, hi) = (knots[0], knots[n - 1]);
    let cube = |u: f64| if u > 0.0 { u * u * u } else { 0.0 };
    let square = |u: f64| if u > 0.0 { u * u } else { 0.0 };
    for &k in &knots[1..n - 1] {
        let lambda = (hi - k) / (hi - lo);
        b.push(cube(x - k) - lambda * cube(x - lo) - (1.0 - lambda) * cube(x - hi));
        d.push(3.0 * (square(x - k) - lambda * square(x - lo) - (1.0 - lambda) * square(x - hi)));
    }
    (b, d)
}

/// Checks a Royston–Parmar spline: knots finite and increasing (at least 2), one coefficient
/// γ per basis function (number of knots), all finite.
pub fn check_royston_parmar(knots: &[f64], gamma: &[f64]) -> Result<(), String> {
    if knots.len() < 2 {
        return Err(format!("a spline needs at least 2 knots (the boundaries), found {}", knots.len()));
    }
    if let Some(i) = (0..knots.len()).find(|&i| !knots[i].is_finite() || (i > 0 && knots[i] <= knots[i - 1])) {
        return Err(format!("spline knots must be finite and increasing; knot {} is {}", i + 1, knots[i]));
    }
    if gamma.len() != knots.len() {
        return Err(format!(
            "a spline with {} knots needs {} coefficients gamma, found {}",
            knots.len(),
            knots.len(),
            gamma.len()
        ));
    }
    match gamma.iter().position(|g| !g.is_finite()) {
        Some(i) => Err(format!("spline coefficient gamma{i} must be a finite number, found {}", gamma[i])),
        None => Ok(()),
    }
}

/// Royston–Parmar H(t) = exp(s(ln t)), s = Σ γᵢ bᵢ(ln t); H(0) = 0; NaN for t < 0 or NaN.
pub fn royston_parmar_cumulative_hazard(knots: &[f64], gamma: &[f64], t: f64) -> f64 {
    if t.is_nan() || t < 0.0 {
        return f64::NAN;
    }
    if t == 0.0 {
        return 0.0;
    }
    let (b, _) = royston_parmar_basis(knots, t.ln());
    b.iter().zip(gamma).map(|(b, g)| b * g).sum::<f64>().exp()
}

/// Royston–Parmar h(t) = s′(ln t)/t · exp(s(ln t)); NaN for t ≤ 0 or where s′ < 0 (the
/// cumulative hazard decreasing: not a survival curve there).
pub fn royston_parmar_hazard(knots: &[f64], gamma: &[f64], t: f64) -> f64 {
    if !t.is_finite() || t <= 0.0 {
        return f64::NAN;
    }
    let (b, d) = royston_parmar_basis(knots, t.ln());
    let s: f64 = b.iter().zip(gamma).map(|(b, g)| b * g).sum();
    let ds: f64 = d.iter().zip(gamma).map(|(d, g)| d * g).sum();
    if ds < 0.0 {
        return f64::NAN;
    }
    ds / t * s.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts |actual − expected| ≤ relative·|expected|.
    fn assert_relative(actual: f64, expected: f64, relative: f64, what: &str) {
        let error = (actual - expected).abs();
        assert!(
            error <= relative * expected.abs(),
            "{what}: got {actual}, expected {expected} (relative error {:e} > {relative:e})",
            error / expected.abs()
        );
    }

    const TIMES: [f64; 7] = [0.05, 0.5, 1.0, 2.0, 5.0, 12.0, 40.0];

    /// One parameter set per family, and a few more for the shapes that behave differently.
    fn examples() -> Vec<(Family, Vec<f64>)> {
        vec![
            (Family::Exponential, vec![0.3]),
            (Family::Weibull, vec![1.4, 3.0]),
            (Family::Weibull, vec![0.7, 2.0]),
            (Family::WeibullPh, vec![1.4, 0.2]),
            (Family::Gompertz, vec![0.15, 0.05]),
            (Family::Gompertz, vec![-0.4, 0.3]),
            (Family::LogLogistic, vec![1.8, 2.5]),
            (Family::LogLogistic, vec![0.6, 2.5]),
            (Family::LogNormal, vec![0.4, 0.9]),
            (Family::Gamma, vec![1.7, 0.6]),
            (Family::Gamma, vec![0.5, 0.3]),
            (Family::GenGamma, vec![0.5, 0.8, 0.6]),
            (Family::GenGamma, vec![0.5, 0.8, -0.7]),
            (Family::GenGamma, vec![0.2, 1.3, 2.5]),
            (Family::GenGamma, vec![0.5, 0.8, 0.005]),
            (Family::GenGamma, vec![0.5, 0.8, -0.005]),
        ]
    }

    #[test]
    fn names_round_trip_and_parameters_line_up() {
        for family in Family::ALL {
            assert_eq!(Family::from_name(family.name()), Some(family));
            assert_eq!(Family::from_name(family.flexsurv_name()), Some(family));
            assert_eq!(family.param_names().len(), family.param_ranges().len());
        }
        assert_eq!(Family::from_name("weibullPH"), Some(Family::WeibullPh));
        assert_eq!(Family::from_name("Weibull"), None);
        assert_eq!(Family::GenGamma.param_names(), &["mu", "sigma", "Q"]);
    }

    /// (a) S and h against the formulas written out, at several t, to 1e-12 relative. For the
    /// log-normal, gamma and generalised gamma, whose S needs a special function (checked against
    /// mpmath below), the density f = h·S against its formula (flexsurv's `dlnorm`, `dgamma`,
    /// `dgengamma`).
    #[test]
    fn closed_forms_at_several_times() {
        let tolerance = 1e-12;
        for t in TIMES {
            let (a, b) = (1.4, 3.0);
            let s = (-(t / b).powf(a)).exp();
            assert_relative(Family::Weibull.survival(&[a, b], t), s, tolerance, "weibull S");
            assert_relative(Family::Weibull.hazard(&[a, b], t), a / b * (t / b).powf(a - 1.0), tolerance, "weibull h");

            assert_relative(Family::Exponential.survival(&[0.3], t), (-0.3 * t).exp(), tolerance, "exponential S");
            assert_eq!(Family::Exponential.hazard(&[0.3], t), 0.3);

            let (a, m) = (1.4, 0.2);
            let s = (-m * t.powf(a)).exp();
            assert_relative(Family::WeibullPh.survival(&[a, m], t), s, tolerance, "weibull_ph S");
            assert_relative(Family::WeibullPh.hazard(&[a, m], t), m * a * t.powf(a - 1.0), tolerance, "weibull_ph h");

            for (a, b) in [(0.15, 0.05), (-0.4, 0.3)] {
                let s = (-(b / a) * ((a * t).exp() - 1.0)).exp();
                assert_relative(Family::Gompertz.survival(&[a, b], t), s, tolerance, "gompertz S");
                assert_relative(Family::Gompertz.hazard(&[a, b], t), b * (a * t).exp(), tolerance, "gompertz h");
            }

            let (a, b) = (1.8, 2.5);
            let z = (t / b).powf(a);
            assert_relative(Family::LogLogistic.survival(&[a, b], t), 1.0 / (1.0 + z), tolerance, "llogis S");
            let h = a / b * (t / b).powf(a - 1.0) / (1.0 + z);
            assert_relative(Family::LogLogistic.hazard(&[a, b], t), h, tolerance, "llogis h");

            let density = |family: Family, params: &[f64]| family.hazard(params, t) * family.survival(params, t);
            let (mu, sigma) = (0.4, 0.9);
            let w = (t.ln() - mu) / sigma;
            let f = (-0.5 * w * w).exp() / (2.0 * std::f64::consts::PI).sqrt() / (sigma * t);
            assert_relative(density(Family::LogNormal, &[mu, sigma]), f, tolerance, "lnorm f");

            let (k, r): (f64, f64) = (1.7, 0.6);
            let f = (k * r.ln() + (k - 1.0) * t.ln() - r * t - ln_gamma(k)).exp();
            assert_relative(density(Family::Gamma, &[k, r]), f, tolerance, "gamma f");

            for (mu, sigma, q) in [(0.5, 0.8, 0.6f64), (0.5, 0.8, -0.7), (0.2, 1.3, 2.5)] {
                let w: f64 = (t.ln() - mu) / sigma;
                let shape = 1.0 / (q * q);
                let ln_f = -(sigma * t).ln() + f64::ln(q.abs()) + shape * shape.ln() + shape * (q * w - (q * w).exp())
                    - ln_gamma(shape);
                let what = format!("gengamma f, Q = {q}, t = {t}");
                assert_relative(density(Family::GenGamma, &[mu, sigma, q]), ln_f.exp(), tolerance, &what);
            }
        }
    }

    /// ln Γ against mpmath's `loggamma` at 30 digits, to 2e-15 absolute (it enters exponents).
    #[test]
    fn ln_gamma_matches_mpmath() {
        #[rustfmt::skip]
        let cases = [
            (0.001, 6.907178885383853), (0.1, 2.252712651734206), (0.5, 0.5723649429247001), (1.0, 0.0), (1.5, -0.12078223763524522), (2.0, 0.0), (3.3, 0.9870985778947344), (9.9, 12.57717990421988), (10.5, 13.940625219403763), (25.0, 54.78472939811232), (1111.0, 6677.873047935513),
        ];
        for (a, expected) in cases {
            assert!((ln_gamma(a) - expected).abs() <= 2e-15 * expected.abs().max(1.0), "ln Γ({a}) = {}", ln_gamma(a));
        }
    }

    /// A family, its parameters, and (t, S, h) at four times.
    type ReferenceCase = (Family, &'static [f64], [(f64, f64, f64); 4]);

    /// (b) S and h against mpmath at 30 digits, to 1e-12 relative (the errors are below 1e-13).
    /// Values from (mpmath 1.4.1):
    ///
    /// ```python
    /// import mpmath as mp
    /// mp.mp.dps = 30
    /// def gamma_sh(k, r, t):
    ///     k, r, t = mp.mpf(k), mp.mpf(r), mp.mpf(t)
    ///     S = mp.gammainc(k, r*t, mp.inf, regularized=True)
    ///     f = r**k * t**(k-1) * mp.exp(-r*t) / mp.gamma(k)
    ///     return S, f/S
    /// def lnorm_sh(mu, sigma, t):
    ///     mu, sigma, t = mp.mpf(mu), mp.mpf(sigma), mp.mpf(t)
    ///     w = (mp.log(t)-mu)/sigma
    ///     S = mp.erfc(w/mp.sqrt(2))/2
    ///     return S, mp.npdf(w)/(sigma*t)/S
    /// def gengamma_sh(mu, sigma, Q, t):  # flexsurv pgengamma / dgengamma
    ///     mu, sigma, Q, t = mp.mpf(mu), mp.mpf(sigma), mp.mpf(Q), mp.mpf(t)
    ///     w = (mp.log(t)-mu)/sigma
    ///     a = 1/Q**2
    ///     u = a*mp.exp(Q*w)
    ///     S = (mp.gammainc(a, u, mp.inf, regularized=True) if Q > 0
    ///          else mp.gammainc(a, 0, u, regularized=True))
    ///     logf = (mp.log(abs(Q)) + a*mp.log(a) - mp.log(sigma*t) - mp.loggamma(a)
    ///             + a*(Q*w - mp.exp(Q*w)))
    ///     return S, mp.exp(logf)/S
    /// for t in (0.5, 1, 2, 5): print(t, *gamma_sh(1.7, 0.6, t))  # and so on for each row
    /// # Sign convention checked: S(2) equals mp.quad of the density from 2 to inf
    /// # (difference < 1e-31 for Q = 0.6 and Q = -0.7).
    /// ```
    ///
    /// Each value is the f64 nearest mpmath's (Python's `repr(float(x))`).
    #[test]
    fn matches_mpmath_reference_values() {
        #[rustfmt::skip]
        let cases: [ReferenceCase; 7] = [
            (Family::Gamma, &[1.7, 0.6], [
                (0.5, 0.9305811533810258, 0.2263092397569351),
                (1.0, 0.8116447843695436, 0.3122649131623484),
                (2.0, 0.5654165790719312, 0.39963632809898153),
                (5.0, 0.1437778475429901, 0.49336627559678886),
            ]),
            (Family::LogNormal, &[0.4, 0.9], [
                (0.5, 0.8877421777806711, 0.47759452091081717),
                (1.0, 0.6716393567181148, 0.5979131943150723),
                (2.0, 0.37231844993328306, 0.5645276483918232),
                (5.0, 0.08950331597046073, 0.40153431148804114),
            ]),
            (Family::GenGamma, &[0.5, 0.8, 0.6], [
                (0.5, 0.8611595428285619, 0.48375717252662825),
                (1.0, 0.6485254693456687, 0.6277322516127037),
                (2.0, 0.3276340134384412, 0.7163661605996824),
                (5.0, 0.03633084750337115, 0.7301562385171558),
            ]),
            (Family::GenGamma, &[0.5, 0.8, -0.7], [
                (0.5, 0.9780661029106987, 0.192697161214672),
                (1.0, 0.8161524014550382, 0.46749279661970294),
                (2.0, 0.5014177254255713, 0.46453301253206297),
                (5.0, 0.17231576960962358, 0.27233905982790957),
            ]),
            (Family::GenGamma, &[0.2, 1.3, 2.5], [
                (0.5, 0.3929740959780797, 0.9273158891151746),
                (1.0, 0.25671112932529416, 0.8107997541877685),
                (2.0, 0.1141904126644112, 0.8322330210692424),
                (5.0, 0.005827679888658693, 1.1788053571533805),
            ]),
            // |Q| < 0.01: shape Q⁻² = 40000, Temme's expansion.
            (Family::GenGamma, &[0.5, 0.8, 0.005], [
                (0.5, 0.9316133349965713, 0.3530164349568858),
                (1.0, 0.7333602188628096, 0.5594573367141443),
                (2.0, 0.4039449631942504, 0.599520854071558),
                (5.0, 0.08225417232083707, 0.4624930469430652),
            ]),
            (Family::GenGamma, &[0.5, 0.8, -0.005], [
                (0.5, 0.9325369795075075, 0.3507222016693211),
                (1.0, 0.7346677354475316, 0.5582344563409339),
                (2.0, 0.4052742170394791, 0.5975685091857951),
                (5.0, 0.08325137013224891, 0.45898899184764114),
            ]),
        ];
        for (family, params, rows) in cases {
            for (t, s, h) in rows {
                let what = format!("{} {params:?} at t = {t}", family.name());
                assert_relative(family.survival(params, t), s, 1e-12, &format!("{what}: S"));
                assert_relative(family.hazard(params, t), h, 1e-12, &format!("{what}: h"));
            }
        }
    }

    /// A family, its parameters, and (t, H, h) at one time.
    type TailCase = (Family, &'static [f64], (f64, f64, f64));

    /// Tails where S is tiny or underflows, and a gamma of shape 20000 (Temme's expansion), against
    /// the same mpmath functions, to 1e-12 relative; (t, H = −ln S, h).
    #[test]
    fn far_tails_and_large_shapes_match_mpmath() {
        #[rustfmt::skip]
        let cases: [TailCase; 4] = [
            (Family::LogNormal, &[0.0, 0.05], (5.0, 522.4495974231457, 128.87906126023208)),
            // S = 6.8e-5418, far below the smallest f64.
            (Family::GenGamma, &[0.0, 0.1, 0.5], (5.0, 12473.491067689753, 12497.00024001919)),
            (Family::GenGamma, &[0.0, 0.1, -0.5], (5.0, 29.822658612703457, 3.99897604369546)),
            (Family::Gamma, &[2.0, 1.0], (800.0, 793.3141390529316, 0.9987515605493134)),
        ];
        for (family, params, (t, cumulative_hazard, hazard)) in cases {
            let what = format!("{} {params:?} at t = {t}", family.name());
            assert_relative(family.cumulative_hazard(params, t), cumulative_hazard, 1e-12, &format!("{what}: H"));
            assert_relative(family.hazard(params, t), hazard, 1e-12, &format!("{what}: h"));
        }
        #[rustfmt::skip]
        let large_shape = [
            (0.98, 0.9977804424203108, 1.0010800405980325),
            (1.0, 0.49905968376625065, 113.05005215107222),
            (1.02, 0.0024606459436456577, 433.9267571289213),
        ];
        for (t, s, h) in large_shape {
            assert_relative(Family::Gamma.survival(&[20000.0, 20000.0], t), s, 1e-12, "gamma(20000) S");
            assert_relative(Family::Gamma.hazard(&[20000.0, 20000.0], t), h, 1e-12, "gamma(20000) h");
        }
    }

    /// (c) Weibull with shape 1 is the exponential with rate 1/scale; 1e-14 relative.
    #[test]
    fn weibull_shape_one_is_exponential() {
        for t in TIMES {
            let weibull = Family::Weibull.survival(&[1.0, 4.0], t);
            assert_relative(weibull, Family::Exponential.survival(&[0.25], t), 1e-14, "S");
            assert_relative(Family::Weibull.hazard(&[1.0, 4.0], t), 0.25, 1e-14, "h");
        }
    }

    /// (c) WeibullPh(a, m) = Weibull(a, m^(−1/a)); 1e-12 relative.
    #[test]
    fn weibull_ph_is_weibull_with_scale_m_to_minus_one_over_a() {
        for (a, m) in [(1.4, 0.2), (0.6, 3.0)] {
            let scale = f64::powf(m, -1.0 / a);
            for t in TIMES {
                let ph = [a, m];
                let aft = [a, scale];
                assert_relative(Family::WeibullPh.survival(&ph, t), Family::Weibull.survival(&aft, t), 1e-12, "S");
                assert_relative(Family::WeibullPh.hazard(&ph, t), Family::Weibull.hazard(&aft, t), 1e-12, "h");
            }
        }
    }

    /// (c) flexsurv: gengamma(μ, σ, Q = 1) = Weibull(shape 1/σ, scale e^μ) and gengamma(μ, σ, Q = σ) =
    /// gamma(shape σ⁻², rate e^(−μ)/σ²); 1e-12 relative.
    #[test]
    fn gengamma_special_cases() {
        for (mu, sigma) in [(0.5, 0.8), (1.2, 1.5), (-0.3, 0.4)] {
            let weibull = [1.0 / sigma, f64::exp(mu)];
            let gamma = [1.0 / (sigma * sigma), (-mu).exp() / (sigma * sigma)];
            for t in TIMES {
                let q_one = [mu, sigma, 1.0];
                let q_sigma = [mu, sigma, sigma];
                let what = format!("mu {mu} sigma {sigma} t {t}");
                let (s, h) = (Family::Weibull.survival(&weibull, t), Family::Weibull.hazard(&weibull, t));
                assert_relative(Family::GenGamma.survival(&q_one, t), s, 1e-12, &format!("Q=1 S {what}"));
                assert_relative(Family::GenGamma.hazard(&q_one, t), h, 1e-12, &format!("Q=1 h {what}"));
                let (s, h) = (Family::Gamma.survival(&gamma, t), Family::Gamma.hazard(&gamma, t));
                assert_relative(Family::GenGamma.survival(&q_sigma, t), s, 1e-12, &format!("Q=σ S {what}"));
                assert_relative(Family::GenGamma.hazard(&q_sigma, t), h, 1e-12, &format!("Q=σ h {what}"));
            }
        }
    }

    /// (c) Q → 0 is continuous: Q = ±1e-8 against the log-normal (Q = 0) to 1e-6 relative (the
    /// difference is O(Q·w³)); at Q = ±1e-6 the change in S matches the first-order (Edgeworth)
    /// term dS/dQ = −φ(w)(w² + 2)/6 from the cumulants of ln X, X ~ Gamma(Q⁻²), to 1e-3 relative;
    /// and across the switch to Temme's expansion at |Q| = 0.01 the values agree to 1e-12.
    #[test]
    fn gengamma_is_continuous_near_q_zero() {
        let (mu, sigma) = (0.5, 0.8);
        for t in TIMES {
            let lognormal = [mu, sigma, 0.0];
            let s0 = Family::GenGamma.survival(&lognormal, t);
            let h0 = Family::GenGamma.hazard(&lognormal, t);
            assert_eq!(s0, Family::LogNormal.survival(&[mu, sigma], t));
            for q in [1e-8, -1e-8] {
                assert_relative(Family::GenGamma.survival(&[mu, sigma, q], t), s0, 1e-6, "S near Q = 0");
                assert_relative(Family::GenGamma.hazard(&[mu, sigma, q], t), h0, 1e-6, "h near Q = 0");
            }
            let w: f64 = (t.ln() - mu) / sigma;
            let slope = -ln_normal_density(w).exp() * (w * w + 2.0) / 6.0;
            for q in [1e-6, -1e-6] {
                let change = Family::GenGamma.survival(&[mu, sigma, q], t) - s0;
                assert_relative(change, slope * q, 1e-3, &format!("first-order change at t = {t}, Q = {q}"));
            }
            for q in [0.01, -0.01] {
                let series = [0.5, 0.8, q * (1.0 + 1e-12)];
                let temme = [0.5, 0.8, q * (1.0 - 1e-12)];
                assert!(1.0 / (series[2] * series[2]) < TEMME_MIN_SHAPE);
                assert!(1.0 / (temme[2] * temme[2]) >= TEMME_MIN_SHAPE);
                let what = format!("Q {q} t {t}");
                let s = Family::GenGamma.survival(&series, t);
                assert_relative(Family::GenGamma.survival(&temme, t), s, 1e-12, &format!("S at switch {what}"));
                let h = Family::GenGamma.hazard(&series, t);
                assert_relative(Family::GenGamma.hazard(&temme, t), h, 1e-12, &format!("h at switch {what}"));
            }
        }
    }

    /// Where a large shape leaves Temme's expansion for the series or continued fraction (|η| = 1),
    /// both give the same tails and hazard ratios: their logs agree to 1e-13 + 2e-15·|log| (the
    /// logs reach −1e4 here, where rounding y alone moves them by 3e-12).
    #[test]
    fn incomplete_gamma_is_continuous_where_temme_stops() {
        let a = 2e4;
        for (inside, outside) in [(0.5, 1.5), (-0.5, -2.0)] {
            // Bisect to two neighbouring floats either side of exp_minus_one_minus(y) = 0.5.
            let (mut inside, mut outside): (f64, f64) = (inside, outside);
            while f64::from_bits(inside.to_bits() + 1) != outside && f64::from_bits(inside.to_bits() - 1) != outside {
                let middle = 0.5 * (inside + outside);
                if exp_minus_one_minus(middle) < TEMME_MAX_HALF_ETA_SQUARED {
                    inside = middle;
                } else {
                    outside = middle;
                }
            }
            let (temme, other) = (gamma_tails(a, inside), gamma_tails(a, outside));
            let pairs = [
                (temme.ln_lower, other.ln_lower),
                (temme.ln_upper, other.ln_upper),
                (temme.ln_log_density_over_lower, other.ln_log_density_over_lower),
                (temme.ln_log_density_over_upper, other.ln_log_density_over_upper),
            ];
            for (from_temme, from_other) in pairs {
                let tolerance = 1e-13 + 2e-15 * from_other.abs();
                assert!((from_temme - from_other).abs() <= tolerance, "y {inside} / {outside}: {temme:?} vs {other:?}");
            }
        }
    }

    /// (c) ∫₀^∞ S = 1/rate for the exponential, by Simpson's rule on [0, 60/rate] (20,000 panels,
    /// error near 1e-12; the tail beyond holds e^−60); 1e-10 relative.
    #[test]
    fn exponential_mean_survival_is_inverse_rate() {
        let rate = 0.35;
        let (end, panels) = (60.0 / rate, 20_000);
        let step = end / f64::from(panels);
        let s = |i: i32| Family::Exponential.survival(&[rate], f64::from(i) * step);
        let odd: f64 = (1..panels).step_by(2).map(s).sum();
        let even: f64 = (2..panels).step_by(2).map(s).sum();
        let integral = step / 3.0 * (s(0) + 4.0 * odd + 2.0 * even + s(panels));
        assert_relative(integral, 1.0 / rate, 1e-10, "mean survival");
    }

    /// (c) H'(t) ≈ h(t) by central differences with step 1e-5·t, for every family; 1e-6 relative
    /// (the difference's truncation and rounding errors are near 1e-9).
    #[test]
    fn hazard_is_derivative_of_cumulative_hazard() {
        for (family, params) in examples() {
            for t in [0.3, 1.0, 2.0, 5.0, 12.0] {
                let step = 1e-5 * t;
                let rise = family.cumulative_hazard(&params, t + step) - family.cumulative_hazard(&params, t - step);
                let what = format!("{} {params:?} at t = {t}", family.name());
                assert_relative(rise / (2.0 * step), family.hazard(&params, t), 1e-6, &what);
            }
        }
    }

    /// (c) S = exp(−H) exactly, S(0) = 1, H(0) = 0, and S does not increase, for every family.
    #[test]
    fn survival_is_exp_of_minus_cumulative_hazard() {
        for (family, params) in examples() {
            assert_eq!(family.survival(&params, 0.0), 1.0);
            assert_eq!(family.cumulative_hazard(&params, 0.0), 0.0);
            let mut previous = 1.0;
            for t in TIMES {
                let s = family.survival(&params, t);
                assert_eq!(s, (-family.cumulative_hazard(&params, t)).exp(), "{} {params:?}", family.name());
                assert!(s <= previous && s > 0.0, "{} {params:?} at {t}: {s} after {previous}", family.name());
                previous = s;
            }
        }
    }

    #[test]
    fn hazard_at_zero_is_the_limit() {
        assert_eq!(Family::Weibull.hazard(&[0.7, 2.0], 0.0), f64::INFINITY);
        assert_eq!(Family::Weibull.hazard(&[1.0, 2.0], 0.0), 0.5);
        assert_eq!(Family::Weibull.hazard(&[1.5, 2.0], 0.0), 0.0);
        assert_eq!(Family::LogLogistic.hazard(&[0.6, 2.0], 0.0), f64::INFINITY);
        assert_eq!(Family::LogLogistic.hazard(&[1.0, 2.0], 0.0), 0.5);
        assert_eq!(Family::LogLogistic.hazard(&[1.8, 2.0], 0.0), 0.0);
        assert_eq!(Family::Gamma.hazard(&[0.5, 0.3], 0.0), f64::INFINITY);
        assert_eq!(Family::Gamma.hazard(&[1.0, 0.3], 0.0), 0.3);
        assert_eq!(Family::Gamma.hazard(&[2.0, 0.3], 0.0), 0.0);
        assert_eq!(Family::LogNormal.hazard(&[0.0, 1.0], 0.0), 0.0);
        assert_eq!(Family::Gompertz.hazard(&[-0.4, 0.3], 0.0), 0.3);
        assert_eq!(Family::GenGamma.hazard(&[0.5, 0.8, -0.7], 0.0), 0.0);
        assert_eq!(Family::GenGamma.hazard(&[0.5, 0.8, 0.6], 0.0), 0.0);
        assert_eq!(Family::GenGamma.hazard(&[0.5, 2.0, 0.6], 0.0), f64::INFINITY);
        // Q·σ = 1 with Q = 1 is the exponential with rate e^−μ.
        assert_relative(Family::GenGamma.hazard(&[0.5, 1.0, 1.0], 0.0), f64::exp(-0.5), 1e-14, "Qσ = 1");
    }

    /// Gompertz with negative shape plateaus at S(∞) = exp(b/a); shape 0 is the exponential, and a
    /// tiny shape is continuous with it (1e-14 relative).
    #[test]
    fn gompertz_plateau_and_zero_shape() {
        let (a, b): (f64, f64) = (-0.4, 0.3);
        let plateau = (b / a).exp();
        assert_relative(Family::Gompertz.survival(&[a, b], f64::INFINITY), plateau, 1e-15, "S(inf)");
        assert_relative(Family::Gompertz.survival(&[a, b], 200.0), plateau, 1e-15, "S(200)");
        assert!(Family::Gompertz.hazard(&[a, b], 200.0) < 1e-30);
        for t in TIMES {
            assert_relative(Family::Gompertz.survival(&[0.0, b], t), (-b * t).exp(), 1e-15, "shape 0");
            // (b/a)(e^(at) − 1) = b·t·(1 + a·t/2 + …)
            let tiny = Family::Gompertz.cumulative_hazard(&[1e-13, b], t);
            assert_relative(tiny, b * t * (1.0 + 0.5e-13 * t), 1e-14, "shape 1e-13");
        }
    }

    #[test]
    fn invalid_input_gives_nan_and_check_says_why() {
        assert_eq!(Family::Weibull.check(&[-1.0, 2.0]), Err("weibull shape must be positive, found -1".to_string()));
        assert_eq!(Family::Weibull.check(&[1.0, 0.0]), Err("weibull scale must be positive, found 0".to_string()));
        assert_eq!(
            Family::GenGamma.check(&[0.0, 1.0]),
            Err("gengamma needs 3 parameters (mu, sigma, Q), found 2".to_string())
        );
        assert_eq!(Family::Exponential.check(&[]), Err("exponential needs 1 parameter (rate), found 0".to_string()));
        assert_eq!(
            Family::LogNormal.check(&[f64::NAN, 1.0]),
            Err("lnorm meanlog must be a finite number, found NaN".into())
        );
        assert_eq!(
            Family::Gamma.check(&[f64::INFINITY, 1.0]),
            Err("gamma shape must be a finite number, found inf".into())
        );
        assert_eq!(Family::GenGamma.check(&[0.0, 0.0, 1.0]), Err("gengamma sigma must be positive, found 0".into()));
        assert_eq!(Family::Gompertz.check(&[-0.5, 0.1]), Ok(()));
        assert_eq!(Family::GenGamma.check(&[-3.0, 0.5, -2.0]), Ok(()));
        assert!(Family::Weibull.survival(&[-1.0, 2.0], 1.0).is_nan());
        assert!(Family::Weibull.hazard(&[1.0], 1.0).is_nan());
        for (family, params) in examples() {
            assert!(family.survival(&params, -1.0).is_nan());
            assert!(family.cumulative_hazard(&params, f64::NAN).is_nan());
            assert!(family.hazard(&params, f64::INFINITY).is_nan());
        }
    }

    /// (d) One rate is the exponential (1e-14); several rates add up by hand.
    #[test]
    fn piecewise_exponential() {
        for t in TIMES {
            let s = piecewise_exponential_survival(&[], &[0.3], t);
            assert_relative(s, Family::Exponential.survival(&[0.3], t), 1e-14, "one rate");
        }
        let (cuts, rates) = ([1.0, 3.0], [0.1, 0.5, 0.2]);
        assert_eq!(piecewise_exponential_cumulative_hazard(&cuts, &rates, 0.0), 0.0);
        assert_relative(piecewise_exponential_cumulative_hazard(&cuts, &rates, 0.5), 0.05, 1e-15, "H(0.5)");
        assert_relative(piecewise_exponential_cumulative_hazard(&cuts, &rates, 2.0), 0.6, 1e-15, "H(2)");
        assert_relative(piecewise_exponential_cumulative_hazard(&cuts, &rates, 5.0), 1.5, 1e-15, "H(5)");
        assert_eq!(piecewise_exponential_hazard(&cuts, &rates, 0.99), 0.1);
        assert_eq!(piecewise_exponential_hazard(&cuts, &rates, 1.0), 0.5);
        assert_eq!(piecewise_exponential_hazard(&cuts, &rates, 50.0), 0.2);
        assert_eq!(piecewise_exponential_cumulative_hazard(&[1.0], &[0.2, 0.0], f64::INFINITY), 0.2);
        assert!(piecewise_exponential_survival(&[1.0], &[0.1], 1.0).is_nan());
        assert!(piecewise_exponential_hazard(&cuts, &rates, -1.0).is_nan());
        let message = |cuts: &[f64], rates: &[f64]| check_piecewise_exponential(cuts, rates).expect_err("invalid");
        assert_eq!(message(&[1.0], &[0.1]), "a single rate needs no cut points, found 1");
        assert_eq!(message(&[1.0], &[0.1, 0.2, 0.3]), "3 rates need 2 cut points, found 1");
        assert_eq!(
            message(&[2.0, 2.0], &[0.1, 0.2, 0.3]),
            "cut points must increase: cut point 2 (2) is not after cut point 1 (2)"
        );
        assert_eq!(message(&[1.0], &[0.1, -0.2]), "rate 2 must be a non-negative finite number, found -0.2");
        assert_eq!(message(&[0.0], &[0.1, 0.2]), "cut point 1 must be a positive finite number, found 0");
        assert_eq!(check_piecewise_exponential(&cuts, &rates), Ok(()));
    }

    /// (d) A log-linear table through exponential points is the exponential, inside the table and
    /// beyond it (1e-13 relative); step and linear readings; check messages naming rows.
    #[test]
    fn tabulated_survival_curves() {
        let rate: f64 = 0.4;
        let times = [0.0, 0.5, 1.0, 2.5, 4.0];
        let survival = times.map(|t| (-rate * t).exp());
        for t in [0.0, 0.2, 0.5, 0.7, 1.9, 3.0, 4.0, 6.5, 20.0] {
            let s = tabulated_survival(&times, &survival, TableInterpolation::LogLinear, t);
            assert_relative(s, (-rate * t).exp(), 1e-13, &format!("log-linear S at {t}"));
            let h = tabulated_hazard(&times, &survival, TableInterpolation::LogLinear, t);
            assert_relative(h, rate, 1e-13, &format!("log-linear h at {t}"));
        }

        let times = [0.0, 1.0, 2.0, 3.0];
        let survival = [1.0, 0.8, 0.5, 0.4];
        let step = |t| tabulated_survival(&times, &survival, TableInterpolation::Step, t);
        assert_eq!((step(0.0), step(0.99), step(1.0), step(2.5), step(9.0)), (1.0, 1.0, 0.8, 0.5, 0.4));
        assert_eq!(tabulated_hazard(&times, &survival, TableInterpolation::Step, 1.5), 0.0);
        let linear = |t| tabulated_survival(&times, &survival, TableInterpolation::Linear, t);
        assert_relative(linear(1.5), 0.65, 1e-15, "linear S(1.5)");
        assert_eq!(linear(7.0), 0.4);
        let h = tabulated_hazard(&times, &survival, TableInterpolation::Linear, 1.5);
        assert_relative(h, 0.3 / 0.65, 1e-15, "linear h(1.5)");
        assert_eq!(tabulated_hazard(&times, &survival, TableInterpolation::Linear, 3.5), 0.0);
        let cumulative = tabulated_cumulative_hazard(&times, &survival, TableInterpolation::Linear, 1.5);
        assert_relative(cumulative, -f64::ln(0.65), 1e-15, "linear H(1.5)");
        assert_eq!(tabulated_cumulative_hazard(&times, &survival, TableInterpolation::Step, 0.5), 0.0);
        let beyond = tabulated_cumulative_hazard(&times, &survival, TableInterpolation::LogLinear, 4.0);
        assert_relative(beyond, -f64::ln(0.4) + f64::ln(0.5 / 0.4), 1e-14, "log-linear H beyond");
        assert!(tabulated_survival(&times, &survival, TableInterpolation::Step, -0.1).is_nan());

        // A table reaching 0: linear is 0 from there, log-linear drops to 0 at once.
        let survival = [1.0, 0.5, 0.0, 0.0];
        assert_eq!(tabulated_survival(&times, &survival, TableInterpolation::Linear, 1.5), 0.25);
        assert_eq!(tabulated_cumulative_hazard(&times, &survival, TableInterpolation::Linear, 2.5), f64::INFINITY);
        assert_eq!(tabulated_survival(&times, &survival, TableInterpolation::LogLinear, 1.0), 0.5);
        assert_eq!(tabulated_survival(&times, &survival, TableInterpolation::LogLinear, 1.01), 0.0);

        let message = |times: &[f64], survival: &[f64]| check_tabulated(times, survival).expect_err("invalid");
        assert_eq!(
            message(&[0.0, 1.0, 2.0, 2.5], &[1.0, 0.9, 0.8, 0.85]),
            "survival rises from 0.8 to 0.85 at row 4 (time 2.5)"
        );
        assert_eq!(
            message(&[0.0, 1.0, 0.5], &[1.0, 0.9, 0.8]),
            "times must increase: row 3 (time 0.5) is not after row 2 (time 1)"
        );
        assert_eq!(message(&[0.0, 1.0], &[1.0, 1.2]), "survival must be between 0 and 1: row 2 (time 1) has 1.2");
        assert_eq!(message(&[0.5, 1.0], &[1.0, 0.9]), "the first time (row 1) must be 0, found 0.5");
        assert_eq!(message(&[0.0, 1.0], &[0.98, 0.9]), "survival at time 0 (row 1) must be 1, found 0.98");
        assert_eq!(message(&[0.0, 1.0], &[1.0]), "the table has 2 times but 1 survival values");
        assert_eq!(message(&[0.0], &[1.0]), "a survival table needs at least 2 rows, found 1");
        assert!(tabulated_survival(&[0.0, 1.0, 0.5], &[1.0, 0.9, 0.8], TableInterpolation::Step, 0.7).is_nan());
        assert_eq!(check_tabulated(&times, &[1.0, 0.5, 0.0, 0.0]), Ok(()));
    }

    #[test]
    fn conditional_event_probability_from_cumulative_hazards() {
        let params = [1.4, 3.0];
        let (h0, h1) =
            (Family::Weibull.cumulative_hazard(&params, 2.0), Family::Weibull.cumulative_hazard(&params, 3.0));
        let direct = 1.0 - Family::Weibull.survival(&params, 3.0) / Family::Weibull.survival(&params, 2.0);
        assert_relative(conditional_event_probability(h0, h1), direct, 1e-14, "1 - S1/S0");
        // A tiny probability keeps its digits: 1 − e^−1e-12.
        assert_relative(conditional_event_probability(5.0, 5.0 + 1e-12), 1e-12, 1e-3, "tiny");
        assert_relative(conditional_event_probability(0.0, 1e-15), 1e-15, 1e-12, "tiny from 0");
        assert_eq!(conditional_event_probability(2.0, f64::INFINITY), 1.0);
        assert_eq!(conditional_event_probability(2.0, 2.0 - 1e-15), 0.0);
        assert!(conditional_event_probability(2.0, 1.9).is_nan());
        assert!(conditional_event_probability(f64::INFINITY, f64::INFINITY).is_nan());
        assert!(conditional_event_probability(-0.1, 1.0).is_nan());
    }

    /// (e) As t → ∞ the mixture cure survival tends to π × background survival and its hazard to
    /// the background hazard (1e-12 relative at t = 100, uncured Weibull median ≈ 1.3).
    #[test]
    fn mixture_cure_tends_to_cured_fraction_of_background() {
        let (cure, uncured) = (0.35, [1.3, 1.7]);
        let background = [0.08, 0.004]; // Gompertz, like adult mortality
        for t in [100.0, 150.0] {
            let (s_u, h_u) = (Family::Weibull.survival(&uncured, t), Family::Weibull.hazard(&uncured, t));
            let (s_bg, h_bg) = (Family::Gompertz.survival(&background, t), Family::Gompertz.hazard(&background, t));
            assert_relative(mixture_cure_survival(cure, s_u, s_bg), cure * s_bg, 1e-12, "S → π S_bg");
            assert_relative(mixture_cure_hazard(cure, s_u, h_u, h_bg), h_bg, 1e-12, "h → h_bg");
        }
        // Early on, the hazard is the background plus the uncured share of the uncured hazard.
        let t = 1.0;
        let (s_u, h_u) = (Family::Weibull.survival(&uncured, t), Family::Weibull.hazard(&uncured, t));
        let share = (1.0 - cure) * s_u / (cure + (1.0 - cure) * s_u);
        assert_relative(mixture_cure_hazard(cure, s_u, h_u, 0.01), 0.01 + share * h_u, 1e-15, "early h");
        // π = 0: no cure; π = 1: background only.
        assert_relative(mixture_cure_survival(0.0, 0.6, 0.9), 0.54, 1e-15, "π = 0");
        assert_eq!(mixture_cure_hazard(0.0, 0.0, 2.0, 0.1), 2.1);
        assert_eq!(mixture_cure_survival(1.0, 0.2, 0.9), 0.9);
        assert_eq!(mixture_cure_hazard(1.0, 0.2, 2.0, 0.1), 0.1);
        assert_eq!(mixture_cure_hazard(0.3, 0.0, f64::INFINITY, 0.1), 0.1);
        assert!(mixture_cure_survival(1.2, 0.5, 1.0).is_nan());
        assert!(mixture_cure_hazard(0.3, 0.5, -1.0, 0.1).is_nan());
    }
}
