//! Value of information from a PSA (DOMAIN.md §4.5): EVPI per person and for the population,
//! and EVPPI for one parameter or a group of parameters.
//!
//! - EVPI (per person, at λ) = mean_i max_j NMB_ij − max_j mean_i NMB_ij ≥ 0 (Briggs, Claxton,
//!   Sculpher 2006). It is computed with CEAC and CEAF in [`crate::psa::decision_uncertainty`].
//! - Population EVPI = per-person EVPI × Σ_{y=0}^{Y−1} N_y·(1 + r)^(−y): the N_y persons affected
//!   in decision year y are counted at the start of that year, so year 0 is undiscounted. DOMAIN.md
//!   §4.5 writes Σ_{t=1..T} I_t/(1 + r)^t (end-of-year timing), which is this value divided by
//!   (1 + r); use that convention by dividing.
//! - EVPPI of parameters φ = E_φ[max_j E(NMB_j | φ)] − max_j E(NMB_j). The inner expectation is
//!   estimated from the PSA draws themselves, without nested simulation:
//!   - [`evppi_binned`], one parameter (Strong & Oakley, *Med Decis Making* 2013;33:755–766):
//!     sort the draws by φ, split them into b bins of sizes differing by at most one, and use the
//!     bin means of NMB as E(NMB_j | φ); EVPPI = Σ_k (n_k/n)·max_j mean_k NMB_j − max_j mean NMB_j
//!     (the plain mean over bins when b divides n). Default b = round(√n). Draws with equal φ
//!     are kept in input order, so a discrete φ may be split across bins.
//!   - [`evppi_regression`], one parameter or a group (after Strong, Oakley & Brennan, *Med Decis
//!     Making* 2014;34:311–326, who use a GAM or Gaussian process): the incremental cost and
//!     effect of each strategy against the first are regressed by ordinary least squares on a
//!     basis of the group's parameters with an intercept, and the fitted values replace the inner
//!     expectation. Since least squares is linear in the response, fitted INMB at λ is
//!     λ·fitted ΔE − fitted ΔC, so one fit serves every threshold. Bases ([`Metamodel`]): linear in
//!     each parameter, or additive natural cubic regression splines (unpenalised, fixed knots).
//!
//! Bias. Both estimators are biased *upward* when draws are few: noise in the bin means or in
//! the fitted values is mistaken for information (the max of noisy means exceeds the max of the
//! means), worst with small bins, many coefficients, or when strategies are close in expected
//! NMB. Binning is also biased *downward* when bins are too wide, since the variation of NMB with
//! φ inside a bin is averaged away; b ≈ √n lets both vanish as n grows. A regression metamodel
//! can only find the value that its basis can express: a linear basis misses non-linear and
//! interaction effects (e.g. NMB driven by φ², or by the product of two parameters) and then
//! usually underestimates, possibly to 0; the additive spline captures smooth non-linear effects
//! of each parameter but no interactions. Binned EVPPI never exceeds the EVPI (up to rounding);
//! a regression estimate can, by overfitting.

use crate::psa::{check_finite, check_thresholds, decision_uncertainty, Psa, PsaError};

/// Per-person EVPI at each threshold.
pub fn evpi(psa: &Psa<'_>, thresholds: &[f64]) -> Result<Vec<f64>, PsaError> {
    Ok(decision_uncertainty(psa, thresholds)?.into_iter().map(|t| t.evpi).collect())
}

/// Discounted affected population Σ_{y=0}^{Y−1} N_y·(1 + r)^(−y), year 0 undiscounted.
pub fn discounted_population(yearly_population: &[f64], rate: f64) -> Result<f64, PsaError> {
    if !rate.is_finite() || rate <= -1.0 {
        return Err(PsaError::Invalid("the discount rate must be finite and greater than -1"));
    }
    check_finite("population", yearly_population)?;
    if yearly_population.iter().any(|&n| n < 0.0) {
        return Err(PsaError::Invalid("the affected population cannot be negative"));
    }
    let factor = 1.0 / (1.0 + rate);
    let mut weight = 1.0;
    let mut total = 0.0;
    for &n in yearly_population {
        total += n * weight;
        weight *= factor;
    }
    Ok(total)
}

/// Population EVPI: per-person EVPI × [`discounted_population`].
pub fn population_evpi(per_person: f64, yearly_population: &[f64], rate: f64) -> Result<f64, PsaError> {
    check_finite("per-person EVPI", &[per_person])?;
    Ok(per_person * discounted_population(yearly_population, rate)?)
}

/// Default number of bins for [`evppi_binned`]: round(√n), at least 1.
pub fn default_bins(n_draws: usize) -> usize {
    ((n_draws as f64).sqrt().round() as usize).clamp(1, n_draws.max(1))
}

/// Single-parameter EVPPI at each threshold by binning (Strong & Oakley 2013). `parameter` holds
/// the parameter's value in each draw; `bins` defaults to [`default_bins`].
pub fn evppi_binned(
    psa: &Psa<'_>,
    parameter: &[f64],
    thresholds: &[f64],
    bins: Option<usize>,
) -> Result<Vec<f64>, PsaError> {
    check_parameter(psa, 0, parameter)?;
    check_thresholds(thresholds)?;
    let n = psa.n_draws();
    let b = bins.unwrap_or_else(|| default_bins(n));
    if b == 0 || b > n {
        return Err(PsaError::Invalid("the number of bins must be between 1 and the number of draws"));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| parameter[x].total_cmp(&parameter[y]));

    // Per bin and strategy, the sums of cost and effect; bin NMB sums at λ are λ·ΣE − ΣC.
    let s = psa.n_strategies();
    let (mut sum_c, mut sum_e) = (vec![0.0; b * s], vec![0.0; b * s]);
    for k in 0..b {
        for &i in &order[k * n / b..(k + 1) * n / b] {
            let row = k * s..(k + 1) * s;
            sum_c[row.clone()].iter_mut().zip(psa.costs(i)).for_each(|(a, v)| *a += v);
            sum_e[row].iter_mut().zip(psa.effects(i)).for_each(|(a, v)| *a += v);
        }
    }
    let mut totals = vec![0.0; s];
    Ok(thresholds
        .iter()
        .map(|&l| {
            // Σ_k max_j (bin sum of NMB_j) − max_j Σ_k (bin sum of NMB_j), over n. Summing both over
            // k in the same order keeps the difference ≥ 0 in floating point.
            totals.fill(0.0);
            let mut within = 0.0;
            for (c, e) in sum_c.chunks_exact(s).zip(sum_e.chunks_exact(s)) {
                let mut max = f64::NEG_INFINITY;
                for ((t, c), e) in totals.iter_mut().zip(c).zip(e) {
                    let nmb = l * e - c;
                    *t += nmb;
                    max = max.max(nmb);
                }
                within += max;
            }
            (within - totals.iter().copied().fold(f64::NEG_INFINITY, f64::max)) / n as f64
        })
        .collect())
}

/// Basis of the regression metamodel in [`evppi_regression`]; always with an intercept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metamodel {
    /// One linear term per parameter: E(INMB | φ) = β_0 + Σ β_p φ_p.
    Linear,
    /// Per parameter, a natural (restricted) cubic regression spline with `knots` ≥ 3 knots at
    /// the type-7 quantiles 5 %, …, 95 % evenly spaced in probability (for 5 knots: 5, 27.5,
    /// 50, 72.5, 95 %, Harrell's placement); linear beyond the outer knots; `knots − 1`
    /// coefficients per parameter; additive, no interactions, no penalty. A parameter with fewer
    /// than 3 distinct knot values gets a linear term only.
    AdditiveSpline { knots: usize },
}

/// EVPPI of a group of parameters at each threshold by a regression metamodel. `parameters`
/// holds one column per parameter of the group, each with the parameter's value in every draw.
/// Needs more draws than coefficients; rank-deficient bases (e.g. a constant or duplicated
/// parameter) are handled by dropping dependent columns.
pub fn evppi_regression(
    psa: &Psa<'_>,
    parameters: &[&[f64]],
    thresholds: &[f64],
    metamodel: Metamodel,
) -> Result<Vec<f64>, PsaError> {
    if parameters.is_empty() {
        return Err(PsaError::Invalid("EVPPI needs at least one parameter"));
    }
    for (p, column) in parameters.iter().enumerate() {
        check_parameter(psa, p, column)?;
    }
    check_thresholds(thresholds)?;
    if let Metamodel::AdditiveSpline { knots } = metamodel {
        if knots < 3 {
            return Err(PsaError::Invalid("a natural cubic spline needs at least 3 knots"));
        }
    }
    let n = psa.n_draws();
    let design = design_matrix(parameters, metamodel);
    let p = design.len() / n;
    if n <= p {
        return Err(PsaError::TooFewDraws { draws: n, coefficients: p });
    }
    let qr = Qr::new(design, n, p);

    // Fitted incremental cost and effect of strategies 1.. against strategy 0, [draw][strategy − 1].
    let s = psa.n_strategies();
    if s == 1 {
        return Ok(vec![0.0; thresholds.len()]);
    }
    let m = s - 1;
    let (mut fit_c, mut fit_e) = (vec![0.0; n * m], vec![0.0; n * m]);
    let mut y = vec![0.0; n];
    for j in 1..s {
        fit_increment(&qr, &mut y, |i| psa.costs(i), j, &mut fit_c);
        fit_increment(&qr, &mut y, |i| psa.effects(i), j, &mut fit_e);
    }

    let mut totals = vec![0.0; m];
    Ok(thresholds
        .iter()
        .map(|&l| {
            // Strategy 0 has INMB 0. As in binning, both sums run over draws in the same order.
            totals.fill(0.0);
            let mut sum_max = 0.0;
            for (c, e) in fit_c.chunks_exact(m).zip(fit_e.chunks_exact(m)) {
                let mut max = 0.0_f64;
                for ((t, c), e) in totals.iter_mut().zip(c).zip(e) {
                    let inmb = l * e - c;
                    *t += inmb;
                    max = max.max(inmb);
                }
                sum_max += max;
            }
            (sum_max - totals.iter().copied().fold(0.0, f64::max)) / n as f64
        })
        .collect())
}

/// Fits the increment `row(i)[j] − row(i)[0]` over draws i and stores it in column j − 1 of `fit`
/// (row-major, S − 1 columns).
fn fit_increment<'a>(qr: &Qr, y: &mut [f64], row: impl Fn(usize) -> &'a [f64], j: usize, fit: &mut [f64]) {
    for (i, yi) in y.iter_mut().enumerate() {
        let v = row(i);
        *yi = v[j] - v[0];
    }
    qr.project(y);
    let m = fit.len() / y.len();
    fit.iter_mut().skip(j - 1).step_by(m).zip(y.iter()).for_each(|(f, v)| *f = *v);
}

fn check_parameter(psa: &Psa<'_>, index: usize, column: &[f64]) -> Result<(), PsaError> {
    if column.len() != psa.n_draws() {
        return Err(PsaError::ParameterLength { parameter: index, expected: psa.n_draws(), found: column.len() });
    }
    check_finite("parameter", column)
}

/// Column-major n × p design matrix: intercept, then each parameter's basis columns.
fn design_matrix(parameters: &[&[f64]], metamodel: Metamodel) -> Vec<f64> {
    let n = parameters[0].len();
    let mut x = vec![1.0; n];
    for column in parameters {
        // Linear term, standardised so that the rank test compares like with like.
        let mean = column.iter().sum::<f64>() / n as f64;
        let sd = (column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
        if sd > 0.0 {
            x.extend(column.iter().map(|v| (v - mean) / sd));
        }
        if let Metamodel::AdditiveSpline { knots } = metamodel {
            spline_columns(column, knots, &mut x);
        }
    }
    x
}

/// Appends the K − 2 non-linear columns of a natural cubic spline basis (Hastie, Tibshirani,
/// Friedman, *Elements of Statistical Learning* 2009, eq. 5.4–5.5) with knots at quantiles of
/// `column`, on the scale t = (x − ξ_1)/(ξ_K − ξ_1): N_k = d_k − d_{K−1},
/// d_k(t) = ((t − κ_k)³₊ − (t − κ_K)³₊)/(κ_K − κ_k).
fn spline_columns(column: &[f64], knots: usize, x: &mut Vec<f64>) {
    let mut sorted = column.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut xi: Vec<f64> = (0..knots)
        .map(|k| {
            let p = 0.05 + 0.9 * k as f64 / (knots - 1) as f64;
            let h = (sorted.len() - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(sorted.len() - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        })
        .collect();
    xi.dedup_by(|b, a| !crate::tolerance::greater(*b, *a));
    let k = xi.len();
    if k < 3 {
        return;
    }
    let (lo, span) = (xi[0], xi[k - 1] - xi[0]);
    let kappa: Vec<f64> = xi.iter().map(|v| (v - lo) / span).collect();
    let cube = |t: f64| if t > 0.0 { t * t * t } else { 0.0 };
    let d = |t: f64, j: usize| (cube(t - kappa[j]) - cube(t - kappa[k - 1])) / (kappa[k - 1] - kappa[j]);
    for j in 0..k - 2 {
        x.extend(column.iter().map(|v| {
            let t = (v - lo) / span;
            d(t, j) - d(t, k - 2)
        }));
    }
}

/// Householder QR with column pivoting of a column-major n × p matrix, kept as reflectors, for
/// least-squares projections onto its column space. Columns whose remaining norm is below 1e-9
/// of the first pivot's are treated as dependent and left out.
struct Qr {
    /// Reflector k is stored in rows k..n of column k.
    a: Vec<f64>,
    beta: Vec<f64>,
    n: usize,
}

impl Qr {
    fn new(mut a: Vec<f64>, n: usize, p: usize) -> Qr {
        let mut beta = Vec::with_capacity(p);
        let mut first = 0.0;
        for k in 0..p.min(n) {
            let norm2 = |j: usize| a[j * n + k..(j + 1) * n].iter().map(|v| v * v).sum::<f64>();
            let (pivot, norm2) =
                (k..p).map(|j| (j, norm2(j))).fold((k, -1.0), |best, c| if c.1 > best.1 { c } else { best });
            let norm = norm2.sqrt();
            if k == 0 {
                first = norm;
            }
            if norm <= 1e-9 * first || norm == 0.0 {
                break;
            }
            if pivot != k {
                let (left, right) = a.split_at_mut(pivot * n);
                left[k * n..(k + 1) * n].swap_with_slice(&mut right[..n]);
            }
            let x0 = a[k * n + k];
            let alpha = if x0 >= 0.0 { -norm } else { norm };
            a[k * n + k] = x0 - alpha;
            let v0 = a[k * n + k];
            let b = 2.0 / (norm2 - x0 * x0 + v0 * v0);
            let (left, right) = a.split_at_mut((k + 1) * n);
            let v = &left[k * n + k..];
            for column in right.chunks_exact_mut(n) {
                reflect(v, b, &mut column[k..]);
            }
            beta.push(b);
        }
        Qr { a, beta, n }
    }

    /// Replaces `y` by its least-squares fitted values Q_r Q_rᵀ y.
    fn project(&self, y: &mut [f64]) {
        let n = self.n;
        let rank = self.beta.len();
        for (k, &b) in self.beta.iter().enumerate() {
            reflect(&self.a[k * n + k..(k + 1) * n], b, &mut y[k..]);
        }
        y[rank..].fill(0.0);
        for (k, &b) in self.beta.iter().enumerate().rev() {
            reflect(&self.a[k * n + k..(k + 1) * n], b, &mut y[k..]);
        }
    }
}

/// y ← (I − b·v·vᵀ) y.
fn reflect(v: &[f64], b: f64, y: &mut [f64]) {
    let s = b * v.iter().zip(y.iter()).map(|(a, c)| a * c).sum::<f64>();
    y.iter_mut().zip(v).for_each(|(c, a)| *c -= s * a);
}
