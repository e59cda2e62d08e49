//! Summaries of a probabilistic sensitivity analysis (PSA; DOMAIN.md §4.4–4.5): per-strategy
//! mean, SD and 95 % interval of cost, effect and their increments; the cost-effectiveness
//! acceptability curve (CEAC) and frontier (CEAF); expected loss; running means for convergence.
//! Value of information (EVPI, EVPPI) is in [`crate::voi`].
//!
//! Input ([`Psa`]): for each of n draws and S strategies a cost and an effect, row-major, draw i
//! strategy j at `i * S + j`. A row holds one parameter draw for every strategy (common random
//! numbers, §4.4).
//!
//! Conventions
//! - NMB_ij(λ) = λ·E_ij − C_ij (§1.3); increments are against a reference strategy, per draw.
//! - Mean: arithmetic. SD: sample SD, divisor n − 1 (0 for a single draw). MCSE of the mean:
//!   SD/√n (§4.4).
//! - Percentiles: Hyndman & Fan (1996) type 7, R's `quantile` default. On the sorted values
//!   x_0 ≤ … ≤ x_{n−1}, h = (n − 1)·p and Q(p) = x_⌊h⌋ + (h − ⌊h⌋)·(x_⌊h⌋+1 − x_⌊h⌋).
//! - CEAC (Fenwick, Claxton, Sculpher 2001): for each λ, the share of draws in which a strategy
//!   has the highest NMB. Ties within [`crate::tolerance::TIE`] go to the more effective strategy
//!   in that draw, then to the earlier one in input order, as in [`crate::net_benefit`]. Every
//!   draw has exactly one winner, so the shares sum to 1 at every λ.
//! - CEAF (Fenwick et al. 2001; Barton, Briggs, Fenwick, *Value Health* 2008;11:886–897): at each
//!   λ the strategy with the highest *expected* NMB (ties: higher mean effect, then input order)
//!   and its CEAC value. It is not the upper envelope of the CEACs.
//! - Expected (opportunity) loss of strategy k: mean over draws of max_j NMB_j − NMB_k ≥ 0. Its
//!   minimum over k is the EVPI and is attained by the CEAF strategy (Barton et al. 2008).
//!
//! Cost: one pass over the draws for all thresholds, O(n·S·T) with a branch-free, vectorisable
//! inner loop over the T thresholds and no allocation per draw. A draw in which two strategies
//! can come within `TIE` of each other at some threshold (checked per pair of strategies, from
//! the root of their NMB difference on the sorted grid) takes a slower loop that applies the tie
//! rule; all others take the plain maximum. 10,000 draws × 3 strategies × 101 thresholds take
//! about 3.5 ms on one core of the build machine (release build).

use serde::Serialize;

use crate::tolerance::TIE;

/// Why a PSA summary cannot be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum PsaError {
    /// `n_strategies` is 0.
    NoStrategies,
    /// No draws.
    NoDraws,
    /// Cost and effect lengths differ, or are not a multiple of `n_strategies`.
    Shape { cost_len: usize, effect_len: usize, n_strategies: usize },
    /// A value is NaN or infinite; `what` names the input, `index` its position.
    NonFinite { what: &'static str, index: usize },
    /// A strategy index is out of range.
    Strategy { index: usize, n_strategies: usize },
    /// A parameter column has the wrong number of draws.
    ParameterLength { parameter: usize, expected: usize, found: usize },
    /// An argument is outside its valid range; the text says which.
    Invalid(&'static str),
    /// A regression metamodel needs more draws than coefficients.
    TooFewDraws { draws: usize, coefficients: usize },
}

impl std::fmt::Display for PsaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PsaError::NoStrategies => write!(f, "a PSA needs at least one strategy"),
            PsaError::NoDraws => write!(f, "a PSA needs at least one draw"),
            PsaError::Shape { cost_len, effect_len, n_strategies } => write!(
                f,
                "cost ({cost_len} values) and effect ({effect_len} values) must have the same length, \
                 a multiple of the {n_strategies} strategies"
            ),
            PsaError::NonFinite { what, index } => write!(f, "{what} value {index} is not a finite number"),
            PsaError::Strategy { index, n_strategies } => {
                write!(f, "strategy {index} does not exist (there are {n_strategies})")
            }
            PsaError::ParameterLength { parameter, expected, found } => {
                write!(f, "parameter {parameter} has {found} draws, the PSA has {expected}")
            }
            PsaError::Invalid(what) => write!(f, "invalid argument: {what}"),
            PsaError::TooFewDraws { draws, coefficients } => {
                write!(f, "{draws} draws are too few to fit a metamodel with {coefficients} coefficients")
            }
        }
    }
}

impl std::error::Error for PsaError {}

/// A validated, borrowed PSA result: `n_draws × n_strategies` costs and effects, row-major.
#[derive(Debug, Clone, Copy)]
pub struct Psa<'a> {
    cost: &'a [f64],
    effect: &'a [f64],
    n_strategies: usize,
    n_draws: usize,
}

impl<'a> Psa<'a> {
    /// Checks the shape and that every value is finite.
    pub fn new(cost: &'a [f64], effect: &'a [f64], n_strategies: usize) -> Result<Self, PsaError> {
        if n_strategies == 0 {
            return Err(PsaError::NoStrategies);
        }
        let n_draws = cost.len() / n_strategies;
        if cost.len() != effect.len() || n_draws * n_strategies != cost.len() {
            return Err(PsaError::Shape { cost_len: cost.len(), effect_len: effect.len(), n_strategies });
        }
        if n_draws == 0 {
            return Err(PsaError::NoDraws);
        }
        check_finite("cost", cost)?;
        check_finite("effect", effect)?;
        Ok(Psa { cost, effect, n_strategies, n_draws })
    }

    pub fn n_draws(&self) -> usize {
        self.n_draws
    }

    pub fn n_strategies(&self) -> usize {
        self.n_strategies
    }

    /// Costs of every strategy in draw `i`.
    pub fn costs(&self, i: usize) -> &'a [f64] {
        &self.cost[i * self.n_strategies..(i + 1) * self.n_strategies]
    }

    /// Effects of every strategy in draw `i`.
    pub fn effects(&self, i: usize) -> &'a [f64] {
        &self.effect[i * self.n_strategies..(i + 1) * self.n_strategies]
    }

    /// Rows of (costs, effects), one per draw.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&'a [f64], &'a [f64])> {
        self.cost.chunks_exact(self.n_strategies).zip(self.effect.chunks_exact(self.n_strategies))
    }

    pub(crate) fn check_strategy(&self, index: usize) -> Result<(), PsaError> {
        if index < self.n_strategies {
            Ok(())
        } else {
            Err(PsaError::Strategy { index, n_strategies: self.n_strategies })
        }
    }

    fn cost_column(&self, j: usize) -> impl Iterator<Item = f64> + 'a {
        self.cost.iter().skip(j).step_by(self.n_strategies).copied()
    }

    fn effect_column(&self, j: usize) -> impl Iterator<Item = f64> + 'a {
        self.effect.iter().skip(j).step_by(self.n_strategies).copied()
    }

    /// Mean effect of each strategy.
    fn mean_effects(&self) -> Vec<f64> {
        (0..self.n_strategies).map(|j| self.effect_column(j).sum::<f64>() / self.n_draws as f64).collect()
    }
}

pub(crate) fn check_finite(what: &'static str, values: &[f64]) -> Result<(), PsaError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(PsaError::NonFinite { what, index }),
        None => Ok(()),
    }
}

pub(crate) fn check_thresholds(thresholds: &[f64]) -> Result<(), PsaError> {
    check_finite("threshold", thresholds)
}

/// Distribution of one quantity over the draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1; 0 for one draw).
    pub sd: f64,
    /// Monte Carlo standard error of the mean, SD/√n.
    pub mcse: f64,
    /// 2.5th percentile (type 7).
    pub lower: f64,
    /// 97.5th percentile (type 7).
    pub upper: f64,
}

impl Summary {
    /// Summary of `values`; `None` when empty or when a value is NaN.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut scratch = values.to_vec();
        Some(summary_in(&mut scratch))
    }
}

/// Summary of the values in `buf` (non-empty, no NaN), which is reordered.
fn summary_in(buf: &mut [f64]) -> Summary {
    let n = buf.len() as f64;
    let mean = buf.iter().sum::<f64>() / n;
    let ss: f64 = buf.iter().map(|v| (v - mean) * (v - mean)).sum();
    let sd = if buf.len() > 1 { (ss / (n - 1.0)).sqrt() } else { 0.0 };
    let lower = quantile_in(buf, 0.025);
    let upper = quantile_in(buf, 0.975);
    Summary { mean, sd, mcse: sd / n.sqrt(), lower, upper }
}

/// Type 7 quantile of `values` (R's default); `None` when empty, when `p` is outside [0, 1] or
/// when a value is NaN.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&p) || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(quantile_in(&mut values.to_vec(), p))
}

/// Type 7 quantile by selection, O(n); `buf` is non-empty, NaN-free and gets reordered.
fn quantile_in(buf: &mut [f64], p: f64) -> f64 {
    let h = (buf.len() - 1) as f64 * p;
    let lo = (h.floor() as usize).min(buf.len() - 1);
    let frac = h - lo as f64;
    let (_, x_lo, above) = buf.select_nth_unstable_by(lo, f64::total_cmp);
    let x_lo = *x_lo;
    if frac == 0.0 || above.is_empty() {
        return x_lo;
    }
    let x_hi = above.iter().copied().fold(f64::INFINITY, f64::min);
    x_lo + frac * (x_hi - x_lo)
}

/// One strategy's PSA summary; the increments are against the reference, draw by draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategySummary {
    pub strategy: usize,
    pub cost: Summary,
    pub effect: Summary,
    pub incremental_cost: Summary,
    pub incremental_effect: Summary,
    /// Incremental NMB at the threshold given to [`summarise`]: λ·ΔE − ΔC.
    pub incremental_nmb: Summary,
}

/// Per-strategy summaries of cost, effect, and increments against `reference` with incremental
/// NMB at `threshold`. The reference's own increments are all zero.
pub fn summarise(psa: &Psa<'_>, reference: usize, threshold: f64) -> Result<Vec<StrategySummary>, PsaError> {
    psa.check_strategy(reference)?;
    check_thresholds(&[threshold])?;
    let mut buf = Vec::with_capacity(psa.n_draws);
    let rows = || psa.rows().map(move |(c, e)| (c, e, c[reference], e[reference]));
    Ok((0..psa.n_strategies)
        .map(|j| StrategySummary {
            strategy: j,
            cost: summary_from(&mut buf, psa.cost_column(j)),
            effect: summary_from(&mut buf, psa.effect_column(j)),
            incremental_cost: summary_from(&mut buf, rows().map(|(c, _, rc, _)| c[j] - rc)),
            incremental_effect: summary_from(&mut buf, rows().map(|(_, e, _, re)| e[j] - re)),
            incremental_nmb: summary_from(&mut buf, rows().map(|(c, e, rc, re)| threshold * (e[j] - re) - (c[j] - rc))),
        })
        .collect())
}

/// Summary of `values` (non-empty, NaN-free), using `buf` as scratch.
fn summary_from(buf: &mut Vec<f64>, values: impl Iterator<Item = f64>) -> Summary {
    buf.clear();
    buf.extend(values);
    summary_in(buf)
}

/// Decision uncertainty at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdAnalysis {
    pub threshold: f64,
    /// Mean NMB of each strategy.
    pub expected_nmb: Vec<f64>,
    /// CEAC: probability that each strategy has the highest NMB; sums to 1.
    pub probability_optimal: Vec<f64>,
    /// CEAF strategy: highest expected NMB.
    pub optimal: usize,
    /// CEAF value: `probability_optimal[optimal]`.
    pub optimal_probability: f64,
    /// Mean over draws of max_j NMB_j − NMB_k, for each strategy k.
    pub expected_loss: Vec<f64>,
    /// Per-person EVPI: mean of max_j NMB_j − max_j mean NMB_j; the smallest expected loss.
    pub evpi: f64,
}

/// CEAC, CEAF, expected loss and EVPI at each threshold, in one pass over the draws.
pub fn decision_uncertainty(psa: &Psa<'_>, thresholds: &[f64]) -> Result<Vec<ThresholdAnalysis>, PsaError> {
    check_thresholds(thresholds)?;
    let t_len = thresholds.len();
    if t_len == 0 {
        return Ok(Vec::new());
    }
    let mut sorted = thresholds.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Accumulators over draws, `[strategy][threshold]`, and per-draw state, `[threshold]`. The
    // threshold loop is innermost and branch-free, so it vectorises and never mispredicts.
    let s = psa.n_strategies;
    let mut sums = vec![0.0; s * t_len];
    let mut wins = vec![0u64; s * t_len];
    let mut sum_max = vec![0.0; t_len];
    let mut draw = DrawState {
        max: vec![0.0; t_len],
        winner: vec![0; t_len],
        best: vec![0.0; t_len],
        best_effect: vec![0.0; t_len],
    };
    for (c, e) in psa.rows() {
        let near_tie = near_tie(c, e, &sorted);
        for (j, sums_j) in sums.chunks_exact_mut(t_len).enumerate() {
            if near_tie {
                draw.offer_with_ties(j, c[j], e[j], thresholds, sums_j);
            } else {
                draw.offer(j, c[j], e[j], thresholds, sums_j);
            }
        }
        // Summed in the same order as `sums`, the largest NMB keeps expected losses and EVPI ≥ 0 in
        // floating point too (rounding is monotone).
        sum_max.iter_mut().zip(&draw.max).for_each(|(s, m)| *s += m);
        for (j, wins_j) in wins.chunks_exact_mut(t_len).enumerate() {
            wins_j.iter_mut().zip(&draw.winner).for_each(|(w, &k)| *w += u64::from(k == j));
        }
    }
    let mean_effect = psa.mean_effects();
    let n = psa.n_draws as f64;
    Ok(thresholds
        .iter()
        .enumerate()
        .map(|(t, &threshold)| {
            let sums: Vec<f64> = (0..s).map(|j| sums[j * t_len + t]).collect();
            let mut optimal = 0;
            for j in 1..s {
                if beats(sums[j], mean_effect[j], sums[optimal], mean_effect[optimal]) {
                    optimal = j;
                }
            }
            let best_sum = sums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let probability_optimal: Vec<f64> = (0..s).map(|j| wins[j * t_len + t] as f64 / n).collect();
            ThresholdAnalysis {
                threshold,
                expected_nmb: sums.iter().map(|v| v / n).collect(),
                optimal,
                optimal_probability: probability_optimal[optimal],
                probability_optimal,
                expected_loss: sums.iter().map(|v| (sum_max[t] - v) / n).collect(),
                evpi: (sum_max[t] - best_sum) / n,
            }
        })
        .collect())
}

/// Whether two strategies of one draw (costs `c`, effects `e`) may have NMBs within [`TIE`] of
/// each other at some threshold of the ascending grid `sorted`. Conservative: it uses the largest
/// |NMB| of the draw over the grid (at an end, NMB being linear in λ) as the scale, doubled. The
/// NMB difference of two strategies is linear in λ, so its smallest |value| on the grid is at one
/// of the two grid points around its root, or everywhere when the effects are equal.
fn near_tie(c: &[f64], e: &[f64], sorted: &[f64]) -> bool {
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    let scale = c.iter().zip(e).fold(1.0, |m: f64, (c, e)| m.max((lo * e - c).abs()).max((hi * e - c).abs()));
    let tol = 2.0 * TIE * scale;
    for j in 0..c.len() {
        for k in j + 1..c.len() {
            let (de, dc) = (e[j] - e[k], c[j] - c[k]);
            if de == 0.0 {
                if dc.abs() <= tol {
                    return true;
                }
                continue;
            }
            let root = dc / de;
            let p = sorted.partition_point(|&l| l < root);
            let around = [p.checked_sub(1), (p < sorted.len()).then_some(p)];
            if around.into_iter().flatten().any(|i| (sorted[i] * de - dc).abs() <= tol) {
                return true;
            }
        }
    }
    false
}

/// Within one draw, at each threshold: the largest NMB so far and the strategy that has it. With
/// near ties, [`DrawState::offer_with_ties`] applies the tie rule, and `winner` may then have an
/// NMB below `max` by up to [`TIE`]; `best` and `best_effect` are the winner's NMB and effect.
struct DrawState {
    max: Vec<f64>,
    winner: Vec<usize>,
    best: Vec<f64>,
    best_effect: Vec<f64>,
}

impl DrawState {
    /// Offers strategy `j` (cost `c`, effect `e`) at every threshold and adds its NMB to `sums`,
    /// for a draw without near ties: the winner is the strategy with the largest NMB.
    fn offer(&mut self, j: usize, c: f64, e: f64, thresholds: &[f64], sums: &mut [f64]) {
        let first = j == 0;
        let state = self.max.iter_mut().zip(self.winner.iter_mut());
        for ((l, sum), (max, winner)) in thresholds.iter().zip(sums.iter_mut()).zip(state) {
            let nmb = l * e - c;
            *sum += nmb;
            let take = first | (nmb > *max);
            *max = if take { nmb } else { *max };
            *winner = if take { j } else { *winner };
        }
    }

    /// As [`DrawState::offer`], for a draw with near ties: the tie rule of [`beats`].
    fn offer_with_ties(&mut self, j: usize, c: f64, e: f64, thresholds: &[f64], sums: &mut [f64]) {
        let first = j == 0;
        let state =
            self.max.iter_mut().zip(self.best.iter_mut()).zip(self.best_effect.iter_mut()).zip(self.winner.iter_mut());
        for ((l, sum), (((max, best), best_effect), winner)) in thresholds.iter().zip(sums.iter_mut()).zip(state) {
            let nmb = l * e - c;
            *sum += nmb;
            *max = if first { nmb } else { larger(*max, nmb) };
            let take = first | beats(nmb, e, *best, *best_effect);
            *best = if take { nmb } else { *best };
            *best_effect = if take { e } else { *best_effect };
            *winner = if take { j } else { *winner };
        }
    }
}

/// Whether a strategy with NMB `nmb` and effect `effect` displaces the current best: higher NMB
/// beyond [`crate::tolerance::TIE`], or equal NMB within it and more effective (as
/// `net_benefit`, whose `greater` and `same` this spells out without branches).
fn beats(nmb: f64, effect: f64, best_nmb: f64, best_effect: f64) -> bool {
    let d = nmb - best_nmb;
    let tie = d.abs() <= TIE * larger(larger(nmb.abs(), best_nmb.abs()), 1.0);
    (d > 0.0) & !tie | tie & (effect > best_effect)
}

/// The larger of two finite numbers (`f64::max` also handles NaN, at a cost in the hot loop).
fn larger(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// CEAC: `[threshold][strategy]` probability of having the highest NMB.
pub fn ceac(psa: &Psa<'_>, thresholds: &[f64]) -> Result<Vec<Vec<f64>>, PsaError> {
    Ok(decision_uncertainty(psa, thresholds)?.into_iter().map(|t| t.probability_optimal).collect())
}

/// One point of the CEAF.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CeafPoint {
    pub threshold: f64,
    /// Strategy with the highest expected NMB.
    pub strategy: usize,
    /// Its probability of having the highest NMB.
    pub probability: f64,
}

/// CEAF: at each threshold the strategy optimal in expectation and its probability of being
/// cost-effective (Barton, Briggs, Fenwick 2008).
pub fn ceaf(psa: &Psa<'_>, thresholds: &[f64]) -> Result<Vec<CeafPoint>, PsaError> {
    Ok(decision_uncertainty(psa, thresholds)?
        .into_iter()
        .map(|t| CeafPoint { threshold: t.threshold, strategy: t.optimal, probability: t.optimal_probability })
        .collect())
}

/// Expected loss `[threshold][strategy]`: mean over draws of max_j NMB_j − NMB_k.
pub fn expected_loss(psa: &Psa<'_>, thresholds: &[f64]) -> Result<Vec<Vec<f64>>, PsaError> {
    Ok(decision_uncertainty(psa, thresholds)?.into_iter().map(|t| t.expected_loss).collect())
}

/// Running means of cost and effect per strategy, for convergence plots (§4.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunningMeans {
    pub n_strategies: usize,
    /// Number of draws i behind each point: stride, 2·stride, …, and always n last.
    pub draws: Vec<usize>,
    /// Mean cost over the first i draws, `[point][strategy]` row-major.
    pub cost: Vec<f64>,
    /// Mean effect over the first i draws, `[point][strategy]` row-major.
    pub effect: Vec<f64>,
}

impl RunningMeans {
    pub fn cost_at(&self, point: usize, strategy: usize) -> f64 {
        self.cost[point * self.n_strategies + strategy]
    }

    pub fn effect_at(&self, point: usize, strategy: usize) -> f64 {
        self.effect[point * self.n_strategies + strategy]
    }
}

/// Means over the first i draws for i = stride, 2·stride, … and n (stride 1: every draw).
pub fn running_means(psa: &Psa<'_>, stride: usize) -> Result<RunningMeans, PsaError> {
    if stride == 0 {
        return Err(PsaError::Invalid("the running-mean stride must be at least 1"));
    }
    let s = psa.n_strategies;
    let points = psa.n_draws.div_ceil(stride);
    let mut out = RunningMeans {
        n_strategies: s,
        draws: Vec::with_capacity(points),
        cost: Vec::with_capacity(points * s),
        effect: Vec::with_capacity(points * s),
    };
    let (mut sum_c, mut sum_e) = (vec![0.0; s], vec![0.0; s]);
    for (i, (c, e)) in psa.rows().enumerate() {
        sum_c.iter_mut().zip(c).for_each(|(a, v)| *a += v);
        sum_e.iter_mut().zip(e).for_each(|(a, v)| *a += v);
        let k = i + 1;
        if k % stride == 0 || k == psa.n_draws {
            let k_f = k as f64;
            out.draws.push(k);
            out.cost.extend(sum_c.iter().map(|v| v / k_f));
            out.effect.extend(sum_e.iter().map(|v| v / k_f));
        }
    }
    Ok(out)
}

/// Helpers shared by the PSA and VOI tests: exact normal quantiles for analytic checks and a
/// small deterministic generator.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Psa;

    /// Standard normal quantile: Acklam's rational approximation refined by Newton steps on
    /// [`norm_cdf`] (checked to 1e-12 relative against Python down to p = 5e-6).
    pub fn inv_norm(p: f64) -> f64 {
        const A: [f64; 6] = [
            -3.969683028665376e+01,
            2.209460984245205e+02,
            -2.759285104469687e+02,
            1.38357751867269e+02,
            -3.066479806614716e+01,
            2.506628277459239e+00,
        ];
        const B: [f64; 5] = [
            -5.447609879822406e+01,
            1.615858368580409e+02,
            -1.556989798598866e+02,
            6.680131188771972e+01,
            -1.328068155288572e+01,
        ];
        const C: [f64; 6] = [
            -7.784894002430293e-03,
            -3.223964580411365e-01,
            -2.400758277161838e+00,
            -2.549671010228217e+00,
            4.374664141464968e+00,
            2.938163982698783e+00,
        ];
        const D: [f64; 4] =
            [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        let tail = |q: f64| {
            (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
        };
        let mut x = if p < 0.02425 {
            tail((-2.0 * p.ln()).sqrt())
        } else if p > 1.0 - 0.02425 {
            -tail((-2.0 * (1.0 - p).ln()).sqrt())
        } else {
            let q = p - 0.5;
            let r = q * q;
            (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
        };
        for _ in 0..3 {
            x -= (norm_cdf(x) - p) / norm_pdf(x);
        }
        x
    }

    /// erfc(x) for x ≥ 0: the series erf(x) = 2/√π·e^(−x²)·Σ 2^k x^(2k+1)/(1·3···(2k+1)) below
    /// 2.5, the continued fraction e^(−x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) above.
    fn erfc(x: f64) -> f64 {
        let sqrt_pi = std::f64::consts::PI.sqrt();
        if x < 2.5 {
            let (mut term, mut sum, mut k) = (x, x, 0.0);
            while term > 1e-17 * sum {
                k += 1.0;
                term *= 2.0 * x * x / (2.0 * k + 1.0);
                sum += term;
            }
            1.0 - 2.0 / sqrt_pi * (-x * x).exp() * sum
        } else {
            let f = (1..=80).rev().fold(x, |f, k| x + (f64::from(k) / 2.0) / f);
            (-x * x).exp() / sqrt_pi / f
        }
    }

    /// Standard normal CDF.
    pub fn norm_cdf(x: f64) -> f64 {
        let tail = 0.5 * erfc(x.abs() / std::f64::consts::SQRT_2);
        if x < 0.0 {
            tail
        } else {
            1.0 - tail
        }
    }

    pub fn norm_pdf(x: f64) -> f64 {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }

    /// EVPI of a two-strategy choice with INMB ~ N(μ, σ²), the unit normal loss integral:
    /// E[max(0, X)] − max(0, μ) = σ·φ(μ/σ) − |μ|·Φ(−|μ|/σ).
    pub fn normal_evpi(mu: f64, sigma: f64) -> f64 {
        sigma * norm_pdf(mu / sigma) - mu.abs() * norm_cdf(-mu.abs() / sigma)
    }

    /// Deterministic standard normal sample z_i = Φ⁻¹((i + 0.5)/n), in increasing order.
    pub fn normal_quantiles(n: usize) -> Vec<f64> {
        (0..n).map(|i| inv_norm((i as f64 + 0.5) / n as f64)).collect()
    }

    /// xorshift64* generator: reproducible test data without a dependency.
    pub struct Rng(pub u64);

    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        /// Uniform on [0, 1).
        pub fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Fisher–Yates shuffle.
        pub fn shuffle<T>(&mut self, v: &mut [T]) {
            for i in (1..v.len()).rev() {
                let j = (self.next_u64() % (i as u64 + 1)) as usize;
                v.swap(i, j);
            }
        }
    }

    /// Two strategies: 0 costs and yields nothing; 1 costs 10,000 and yields 0.25 + 0.1·z_i. So at
    /// λ the INMB of 1 is N(0.25λ − 10,000, (0.1λ)²) in draw order `z`.
    pub fn two_strategy(z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let cost = z.iter().flat_map(|_| [0.0, 10_000.0]).collect();
        let effect = z.iter().flat_map(|z| [0.0, 0.25 + 0.1 * z]).collect();
        (cost, effect)
    }

    pub fn psa<'a>(cost: &'a [f64], effect: &'a [f64], s: usize) -> Psa<'a> {
        Psa::new(cost, effect, s).expect("valid PSA")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{psa, Rng};
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    /// DOMAIN.md §4.5 worked example: NB in thousands, four draws, effect 0 so NMB = −cost.
    fn domain_example() -> (Vec<f64>, Vec<f64>) {
        let nb = [[105.0, 100.0], [105.0, 100.0], [105.0, 100.0], [105.0, 140.0]];
        (nb.iter().flat_map(|r| r.map(|v: f64| -v)).collect(), vec![0.0; 8])
    }

    #[test]
    fn domain_worked_example_ceac_ceaf_evpi() {
        let (c, e) = domain_example();
        let r = &decision_uncertainty(&psa(&c, &e, 2), &[50.0]).expect("ok")[0];
        assert_eq!(r.probability_optimal, vec![0.75, 0.25]);
        assert_eq!((r.optimal, r.optimal_probability), (1, 0.25));
        assert_relative_eq!(r.expected_nmb[0], 105.0, max_relative = 1e-12);
        assert_relative_eq!(r.expected_nmb[1], 110.0, max_relative = 1e-12);
        assert_relative_eq!(r.evpi, 3.75, max_relative = 1e-12);
        assert_relative_eq!(r.expected_loss[0], 8.75, max_relative = 1e-12);
        assert_relative_eq!(r.expected_loss[1], 3.75, max_relative = 1e-12);
        let f = ceaf(&psa(&c, &e, 2), &[50.0]).expect("ok");
        assert_eq!(f, vec![CeafPoint { threshold: 50.0, strategy: 1, probability: 0.25 }]);
    }

    /// Three strategies with random cost and effect; thresholds 0..200,000 in steps of 2,000.
    fn random_three(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Rng(seed);
        let mut cost = Vec::with_capacity(3 * n);
        let mut effect = Vec::with_capacity(3 * n);
        for _ in 0..n {
            let (u, v) = (rng.uniform(), rng.uniform());
            for (j, (c0, e0)) in [(10_000.0, 5.0), (40_000.0, 5.4), (70_000.0, 5.6)].into_iter().enumerate() {
                cost.push(c0 * (0.7 + 0.6 * u) + 5_000.0 * rng.uniform());
                effect.push(e0 + 0.3 * (v - 0.5) * (j as f64 + 1.0) + 0.2 * rng.uniform());
            }
        }
        (cost, effect)
    }

    fn grid() -> Vec<f64> {
        (0..=100).map(|k| 2_000.0 * k as f64).collect()
    }

    /// CEAC shares sum to 1 (to 1e-12) at every threshold; the winner changes along the grid.
    #[test]
    fn ceac_sums_to_one() {
        let (c, e) = random_three(2_000, 7);
        let curves = ceac(&psa(&c, &e, 3), &grid()).expect("ok");
        for p in &curves {
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert_eq!(curves[0][0], 1.0); // at λ = 0 the cheapest always wins
        assert!(curves[100][2] > 0.5);
    }

    /// Expected loss of the CEAF strategy equals the EVPI (to 1e-12 relative), and the EVPI is
    /// the smallest expected loss exactly.
    #[test]
    fn expected_loss_of_expected_optimum_is_evpi() {
        let (c, e) = random_three(2_000, 11);
        for r in decision_uncertainty(&psa(&c, &e, 3), &grid()).expect("ok") {
            assert!(r.evpi >= 0.0);
            assert!(r.expected_loss.iter().all(|&l| l >= 0.0));
            assert_relative_eq!(r.expected_loss[r.optimal], r.evpi, max_relative = 1e-12, epsilon = 1e-9);
            assert_eq!(r.evpi, r.expected_loss.iter().copied().fold(f64::INFINITY, f64::min));
        }
    }

    /// EVPI is exactly 0, and the CEAC 1, when one strategy has the highest NMB in every draw.
    #[test]
    fn evpi_zero_when_one_strategy_always_wins() {
        let mut rng = Rng(3);
        let (mut c, mut e) = (Vec::new(), Vec::new());
        for _ in 0..1_000 {
            let base = 1_000.0 * rng.uniform();
            c.extend([base + 500.0, base, base + 100.0]);
            e.extend([1.0, 1.0 + rng.uniform(), 0.5]);
        }
        for r in decision_uncertainty(&psa(&c, &e, 3), &[0.0, 1_000.0, 50_000.0]).expect("ok") {
            assert_eq!(r.evpi, 0.0);
            assert_eq!(r.probability_optimal, vec![0.0, 1.0, 0.0]);
            assert_eq!((r.optimal, r.optimal_probability), (1, 1.0));
        }
    }

    /// A per-draw NMB tie goes to the more effective strategy; a tie in expectation too.
    #[test]
    fn ties_go_to_the_more_effective() {
        // At λ = 100: A has NMB 100·1 − 0 = 100, B 100·2 − 100 = 100 in both draws.
        let c = [0.0, 100.0, 0.0, 100.0];
        let e = [1.0, 2.0, 1.0, 2.0];
        let r = &decision_uncertainty(&psa(&c, &e, 2), &[100.0]).expect("ok")[0];
        assert_eq!(r.probability_optimal, vec![0.0, 1.0]);
        assert_eq!(r.optimal, 1);
        assert_eq!(r.evpi, 0.0);
    }

    /// Percentiles of 1..=100 match R's `quantile(1:100, c(.025, .975))` (type 7): 3.475, 97.525.
    #[test]
    fn percentiles_match_type_7() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = Summary::of(&v).expect("summary");
        assert_relative_eq!(s.lower, 3.475, max_relative = 1e-14);
        assert_relative_eq!(s.upper, 97.525, max_relative = 1e-14);
        assert_relative_eq!(s.mean, 50.5, max_relative = 1e-14);
        // sd(1:100) = sqrt(100·101/12) = 29.011491975882016
        assert_relative_eq!(s.sd, 29.011491975882016, max_relative = 1e-14);
        assert_relative_eq!(s.mcse, 2.9011491975882016, max_relative = 1e-14);
        assert_eq!(quantile(&v, 0.5), Some(50.5));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        // quantile(c(3, 1, 2, 10), .9) = 7.9 in R.
        assert_relative_eq!(quantile(&[3.0, 1.0, 2.0, 10.0], 0.9).expect("q"), 7.9, max_relative = 1e-14);
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&v, 1.5), None);
        let one = Summary::of(&[4.0]).expect("summary");
        assert_eq!((one.mean, one.sd, one.lower, one.upper), (4.0, 0.0, 4.0, 4.0));
    }

    #[test]
    fn summaries_of_increments_against_a_reference() {
        // Draws: (cost, effect) of strategies 0 and 1.
        let c = [100.0, 300.0, 200.0, 500.0, 300.0, 400.0];
        let e = [1.0, 2.0, 1.0, 1.5, 2.0, 2.5];
        let s = summarise(&psa(&c, &e, 2), 0, 1_000.0).expect("ok");
        assert_relative_eq!(s[1].cost.mean, 400.0, max_relative = 1e-14);
        assert_relative_eq!(s[1].incremental_cost.mean, 200.0, max_relative = 1e-14);
        assert_relative_eq!(s[1].incremental_effect.mean, 2.0 / 3.0, max_relative = 1e-14);
        // INMB per draw: 1000·1 − 200 = 800, 1000·0.5 − 300 = 200, 1000·0.5 − 100 = 400.
        assert_relative_eq!(s[1].incremental_nmb.mean, 1400.0 / 3.0, max_relative = 1e-14);
        assert_relative_eq!(s[1].incremental_nmb.lower, 210.0, max_relative = 1e-14);
        assert_relative_eq!(s[1].incremental_nmb.upper, 780.0, max_relative = 1e-14);
        let zero = Summary { mean: 0.0, sd: 0.0, mcse: 0.0, lower: 0.0, upper: 0.0 };
        assert_eq!((s[0].incremental_cost, s[0].incremental_effect, s[0].incremental_nmb), (zero, zero, zero));
        assert_eq!(summarise(&psa(&c, &e, 2), 2, 1.0), Err(PsaError::Strategy { index: 2, n_strategies: 2 }));
    }

    #[test]
    fn running_means_at_a_stride_end_at_the_mean() {
        let c: Vec<f64> = (0..20).map(f64::from).collect();
        let e: Vec<f64> = (0..20).map(|v| f64::from(v) * 0.5).collect();
        let p = psa(&c, &e, 2);
        let r = running_means(&p, 3).expect("ok");
        assert_eq!(r.draws, vec![3, 6, 9, 10]);
        // Strategy 0 costs 0, 2, 4, …: mean of the first 3 is 2.
        assert_eq!(r.cost_at(0, 0), 2.0);
        assert_eq!(r.effect_at(0, 1), 1.5);
        let s = summarise(&p, 0, 0.0).expect("ok");
        assert_eq!(r.cost_at(3, 1), s[1].cost.mean);
        assert_eq!(r.effect_at(3, 0), s[0].effect.mean);
        let every = running_means(&p, 1).expect("ok");
        assert_eq!(every.draws, (1..=10).collect::<Vec<_>>());
        assert_eq!(every.cost.len(), 20);
        assert!(running_means(&p, 0).is_err());
    }

    #[test]
    fn invalid_input_is_rejected() {
        assert_eq!(Psa::new(&[1.0], &[1.0], 0).err(), Some(PsaError::NoStrategies));
        assert_eq!(Psa::new(&[], &[], 2).err(), Some(PsaError::NoDraws));
        assert!(matches!(Psa::new(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 2), Err(PsaError::Shape { .. })));
        assert!(matches!(Psa::new(&[1.0, 2.0], &[1.0], 1), Err(PsaError::Shape { .. })));
        assert_eq!(
            Psa::new(&[1.0, f64::NAN], &[1.0, 2.0], 1).err(),
            Some(PsaError::NonFinite { what: "cost", index: 1 })
        );
        let p = psa(&[1.0], &[1.0], 1);
        assert!(decision_uncertainty(&p, &[f64::INFINITY]).is_err());
        assert_eq!(decision_uncertainty(&p, &[]), Ok(vec![]));
    }

    fn arbitrary_psa() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>, f64)> {
        (1usize..40, 1usize..5).prop_flat_map(|(n, s)| {
            (
                Just(s),
                proptest::collection::vec(-1e4f64..1e5, n * s),
                proptest::collection::vec(0f64..20.0, n * s),
                0f64..1e5,
            )
        })
    }

    /// Straightforward per-threshold evaluation: winners by the sequential tie rule, sums in draw
    /// order. Returns per threshold (wins, sums of NMB, sum of the largest NMB).
    fn reference(c: &[f64], e: &[f64], s: usize, thresholds: &[f64]) -> Vec<(Vec<u64>, Vec<f64>, f64)> {
        thresholds
            .iter()
            .map(|&l| {
                let (mut wins, mut sums, mut sum_max) = (vec![0u64; s], vec![0.0; s], 0.0);
                for (c, e) in c.chunks(s).zip(e.chunks(s)) {
                    let nmb: Vec<f64> = c.iter().zip(e).map(|(c, e)| l * e - c).collect();
                    let mut best = 0;
                    for j in 1..s {
                        if crate::tolerance::greater(nmb[j], nmb[best])
                            || (crate::tolerance::same(nmb[j], nmb[best]) && e[j] > e[best])
                        {
                            best = j;
                        }
                    }
                    wins[best] += 1;
                    sums.iter_mut().zip(&nmb).for_each(|(a, v)| *a += v);
                    sum_max += nmb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                }
                (wins, sums, sum_max)
            })
            .collect()
    }

    /// Costs, effects and thresholds on coarse grids, so that exact ties are common, some nudged
    /// by 1e-12 (relative) to make ties within TIE that are not exact.
    fn tie_prone_psa() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>, Vec<f64>)> {
        let nudge = prop_oneof![Just(0.0), Just(1e-12), Just(-1e-12)];
        (1usize..30, 1usize..5).prop_flat_map(move |(n, s)| {
            (
                Just(s),
                proptest::collection::vec((0u8..4, nudge.clone()), n * s)
                    .prop_map(|v| v.into_iter().map(|(k, d)| 10.0 * f64::from(k) * (1.0 + d)).collect()),
                proptest::collection::vec(0u8..4, n * s)
                    .prop_map(|v| v.into_iter().map(|k| 0.5 * f64::from(k)).collect()),
                proptest::collection::vec(prop_oneof![(0u8..7).prop_map(|k| 10.0 * f64::from(k)), 0f64..100.0], 1..8),
            )
        })
    }

    proptest! {
        /// For any PSA: CEAC sums to 1 (1e-12), losses and EVPI ≥ 0, EVPI = smallest loss, and
        /// the last running mean is the mean.
        #[test]
        fn invariants((s, c, e, l) in arbitrary_psa()) {
            let p = psa(&c, &e, s);
            let r = &decision_uncertainty(&p, &[l]).expect("ok")[0];
            prop_assert!((r.probability_optimal.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(r.evpi >= 0.0);
            prop_assert!(r.expected_loss.iter().all(|&x| x >= 0.0));
            prop_assert_eq!(r.evpi, r.expected_loss.iter().copied().fold(f64::INFINITY, f64::min));
            let scale = r.expected_nmb.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
            prop_assert!((r.expected_loss[r.optimal] - r.evpi).abs() <= 2e-9 * scale);
            let means = running_means(&p, 7).expect("ok");
            let summary = summarise(&p, 0, l).expect("ok");
            let last = means.draws.len() - 1;
            for (j, sj) in summary.iter().enumerate() {
                prop_assert_eq!(means.cost_at(last, j), sj.cost.mean);
                prop_assert!(sj.cost.lower <= sj.cost.upper);
            }
        }

        /// The one-pass evaluation (plain maximum, or the tie rule where a near tie is possible)
        /// gives exactly the same CEAC, expected NMB and EVPI as the straightforward one.
        #[test]
        fn one_pass_matches_reference((s, c, e, thresholds) in tie_prone_psa()) {
            let p = psa(&c, &e, s);
            let n = p.n_draws() as f64;
            let got = decision_uncertainty(&p, &thresholds).expect("ok");
            for (r, (wins, sums, sum_max)) in got.iter().zip(reference(&c, &e, s, &thresholds)) {
                let probability: Vec<f64> = wins.iter().map(|&w| w as f64 / n).collect();
                prop_assert_eq!(&r.probability_optimal, &probability);
                let expected: Vec<f64> = sums.iter().map(|v| v / n).collect();
                prop_assert_eq!(&r.expected_nmb, &expected);
                prop_assert_eq!(r.evpi, (sum_max - sums.iter().copied().fold(f64::NEG_INFINITY, f64::max)) / n);
            }
        }
    }
}
