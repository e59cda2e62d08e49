//! Seeded sampling of parameter sets: one independent ChaCha8 stream per draw, so draw `i`
//! depends only on (seed, i) and results are identical for any thread count or split.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution as _, Gamma, LogNormal, Normal, Pert, Triangular, Uniform};

use hta_model::model::standard_normal_cdf;
use hta_model::{Distribution, Model, ParamId};

/// Φ⁻¹(p) by bisection on Φ to double precision (90 halvings of [-40, 40]).
pub fn inverse_standard_normal(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..90 {
        let mid = (lo + hi) / 2.0;
        if standard_normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// A parameter's sampler, built once.
#[derive(Debug, Clone)]
enum Single {
    Beta(Beta<f64>),
    Gamma(Gamma<f64>),
    LogNormal(LogNormal<f64>),
    Normal(Normal<f64>),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Pert(Pert<f64>),
    /// Inverse-CDF sampling between Φ(a) and Φ(b).
    TruncatedNormal {
        mean: f64,
        sd: f64,
        lower: f64,
        upper: f64,
    },
}

impl Single {
    fn new(d: &Distribution) -> Result<Single, String> {
        let fail = |e: &dyn std::fmt::Display| e.to_string();
        Ok(match *d {
            Distribution::Beta { alpha, beta } => Single::Beta(Beta::new(alpha, beta).map_err(|e| fail(&e))?),
            Distribution::Gamma { shape, rate } => Single::Gamma(Gamma::new(shape, 1.0 / rate).map_err(|e| fail(&e))?),
            Distribution::LogNormal { meanlog, sdlog } => {
                Single::LogNormal(LogNormal::new(meanlog, sdlog).map_err(|e| fail(&e))?)
            }
            Distribution::Normal { mean, sd } => Single::Normal(Normal::new(mean, sd).map_err(|e| fail(&e))?),
            Distribution::Uniform { min, max } => Single::Uniform(Uniform::new(min, max).map_err(|e| fail(&e))?),
            Distribution::Triangular { min, mode, max } => {
                Single::Triangular(Triangular::new(min, max, mode).map_err(|e| fail(&e))?)
            }
            Distribution::Pert { min, mode, max } => {
                Single::Pert(Pert::new(min, max).with_mode(mode).map_err(|e| fail(&e))?)
            }
            Distribution::TruncatedNormal { mean, sd, min, max } => Single::TruncatedNormal {
                mean,
                sd,
                lower: standard_normal_cdf((min - mean) / sd),
                upper: standard_normal_cdf((max - mean) / sd),
            },
            Distribution::Fixed => return Err("a fixed parameter is not sampled".into()),
        })
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Single::Beta(d) => d.sample(rng),
            Single::Gamma(d) => d.sample(rng),
            Single::LogNormal(d) => d.sample(rng),
            Single::Normal(d) => d.sample(rng),
            Single::Uniform(d) => d.sample(rng),
            Single::Triangular(d) => d.sample(rng),
            Single::Pert(d) => d.sample(rng),
            Single::TruncatedNormal { mean, sd, lower, upper } => {
                let u: f64 = rand::RngExt::random(rng);
                mean + sd * inverse_standard_normal(lower + u * (upper - lower))
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Item {
    Single {
        param: ParamId,
        sampler: Single,
    },
    /// Gaussian copula: z ~ N(0, I), x = L z with L the Cholesky factor of the correlation
    /// matrix, each value = F⁻¹(Φ(x_i)) for its own distribution.
    Correlated {
        params: Vec<ParamId>,
        distributions: Vec<Distribution>,
        cholesky: Vec<f64>,
    },
    /// Dirichlet(counts) by normalised independent Gamma(count, 1) draws.
    Dirichlet {
        params: Vec<ParamId>,
        gammas: Vec<Gamma<f64>>,
    },
    /// Multivariate normal: x = mean + L z with z ~ N(0, I) and L L' the covariance (`factor`
    /// row-major: the Cholesky factor, or V √Λ from the eigen-decomposition when the covariance is
    /// only semi-definite).
    MultivariateNormal {
        params: Vec<ParamId>,
        mean: Vec<f64>,
        factor: Vec<f64>,
    },
}

/// A k×k factor L (row-major) with L Lᵀ = `covariance`: the Cholesky factor when the matrix is
/// positive definite, else V·√max(Λ, 0) from its symmetric eigen-decomposition.
pub fn covariance_factor(covariance: &[f64], k: usize) -> Vec<f64> {
    let matrix = nalgebra::DMatrix::from_row_slice(k, k, covariance);
    let l = match matrix.clone().cholesky() {
        Some(c) => c.l(),
        None => {
            let eigen = matrix.symmetric_eigen();
            let roots = nalgebra::DMatrix::from_diagonal(&eigen.eigenvalues.map(|v| v.max(0.0).sqrt()));
            eigen.eigenvectors * roots
        }
    };
    (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| l[(i, j)]).collect()
}

/// Draws every uncertain parameter of a model: those with a `distribution`, in parameter order,
/// then the correlated group, each Dirichlet group and each multivariate normal group (last, so
/// that a model without one draws exactly as before they existed).
#[derive(Debug, Clone)]
pub struct Sampler {
    items: Vec<Item>,
    /// Values read from a file (e.g. posterior samples): row d is draw d. Shared, so that a
    /// run keeps its sampler for re-draws without copying the file's rows.
    external: Option<std::sync::Arc<ExternalDraws>>,
    /// Sampled parameters in the order [`Sampler::draw`] writes them.
    pub params: Vec<ParamId>,
}

impl Sampler {
    pub fn new(model: &Model) -> Result<Sampler, String> {
        let mut items = Vec::new();
        let mut params = Vec::new();
        let correlated: Vec<ParamId> = model.correlated.as_ref().map(|g| g.params.clone()).unwrap_or_default();
        for (i, p) in model.parameters.iter().enumerate() {
            if correlated.contains(&ParamId::new(i)) {
                continue;
            }
            if let Some(d) = p.uncertainty.distribution.as_ref().filter(|d| **d != Distribution::Fixed) {
                let sampler = Single::new(d).map_err(|e| format!("parameter `{}`: {e}", p.name))?;
                items.push(Item::Single { param: ParamId::new(i), sampler });
                params.push(ParamId::new(i));
            }
        }
        if let Some(group) = &model.correlated {
            let k = group.params.len();
            let matrix = nalgebra::DMatrix::from_row_slice(k, k, &group.matrix);
            let l = matrix.cholesky().ok_or("the correlation matrix is not positive definite")?.l();
            let cholesky = (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| l[(i, j)]).collect();
            let distributions = group
                .params
                .iter()
                .map(|p| {
                    model.parameters[p.index()]
                        .uncertainty
                        .distribution
                        .ok_or("a correlated parameter has no distribution")
                })
                .collect::<Result<Vec<_>, _>>()?;
            params.extend(&group.params);
            items.push(Item::Correlated { params: group.params.clone(), distributions, cholesky });
        }
        for group in &model.dirichlet {
            let gammas = group
                .counts
                .iter()
                .map(|&c| Gamma::new(c, 1.0).map_err(|e| format!("Dirichlet group `{}`: {e}", group.name)))
                .collect::<Result<Vec<_>, String>>()?;
            params.extend(&group.params);
            items.push(Item::Dirichlet { params: group.params.clone(), gammas });
        }
        // After every other item, so that adding a group leaves the other draws unchanged.
        for group in &model.multivariate_normal {
            let k = group.params.len();
            let factor = covariance_factor(&group.covariance, k);
            params.extend(&group.params);
            items.push(Item::MultivariateNormal { params: group.params.clone(), mean: group.mean.clone(), factor });
        }
        Ok(Sampler { items, external: None, params })
    }

    /// Takes these parameters' values from `external` (row d for draw d) instead of sampling
    /// them (parameters without a distribution can be given this way too).
    pub fn with_external(mut self, external: ExternalDraws) -> Self {
        for p in &external.params {
            if !self.params.contains(p) {
                self.params.push(*p);
            }
        }
        self.external = Some(std::sync::Arc::new(external));
        self
    }

    /// Number of rows of external draws, if any.
    pub fn external_rows(&self) -> Option<usize> {
        self.external.as_ref().map(|e| e.rows.len())
    }

    /// The random stream of draw `index`.
    pub fn stream(seed: u64, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        rng
    }

    /// Draw `index` of the sampled parameters, written to `pins` (cleared first) in the order of
    /// [`Sampler::params`].
    pub fn draw(&self, seed: u64, index: u64, pins: &mut Vec<(ParamId, f64)>) {
        pins.clear();
        let mut rng = Self::stream(seed, index);
        for item in &self.items {
            match item {
                Item::Single { param, sampler } => pins.push((*param, sampler.sample(&mut rng))),
                Item::Correlated { params, distributions, cholesky } => {
                    let k = params.len();
                    let z: Vec<f64> = (0..k).map(|_| rand_distr::StandardNormal.sample(&mut rng)).collect();
                    for (i, (p, d)) in params.iter().zip(distributions).enumerate() {
                        let x: f64 = (0..=i).map(|j| cholesky[i * k + j] * z[j]).sum();
                        pins.push((*p, crate::quantile::quantile(d, standard_normal_cdf(x))));
                    }
                }
                Item::Dirichlet { params, gammas } => {
                    let start = pins.len();
                    let mut total = 0.0;
                    for (p, g) in params.iter().zip(gammas) {
                        let x = g.sample(&mut rng);
                        total += x;
                        pins.push((*p, x));
                    }
                    for pin in &mut pins[start..] {
                        pin.1 /= total;
                    }
                }
                Item::MultivariateNormal { params, mean, factor } => {
                    let k = params.len();
                    let z: Vec<f64> = (0..k).map(|_| rand_distr::StandardNormal.sample(&mut rng)).collect();
                    for (i, p) in params.iter().enumerate() {
                        let x: f64 = mean[i] + (0..k).map(|j| factor[i * k + j] * z[j]).sum::<f64>();
                        pins.push((*p, x));
                    }
                }
            }
        }
        self.apply_external(index, pins);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.external.is_none()
    }

    /// Replaces or adds the external values of draw `index` (NaN if the file has no such row:
    /// callers check [`Sampler::external_rows`] first).
    fn apply_external(&self, index: u64, pins: &mut Vec<(ParamId, f64)>) {
        let Some(external) = &self.external else { return };
        let row = usize::try_from(index).ok().and_then(|i| external.rows.get(i));
        for (j, p) in external.params.iter().enumerate() {
            let value = row.and_then(|r| r.get(j)).copied().unwrap_or(f64::NAN);
            match pins.iter_mut().find(|(q, _)| q == p) {
                Some(pin) => pin.1 = value,
                None => pins.push((*p, value)),
            }
        }
    }
}

/// Parameter values given per draw (a CSV of posterior samples, say).
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalDraws {
    pub params: Vec<ParamId>,
    /// One row per draw, one column per parameter.
    pub rows: Vec<Vec<f64>>,
}
