//! Parameters: value or formula, citation, DSA range and PSA distribution (checked now, used by
//! later analyses). Moment-based distributions are converted to native parameters here.

use hta_model::{Distribution, Formula, Parameter, Uncertainty};
use serde_saphyr::Spanned;

use super::{Lowerer, Names};
use crate::diagnostic::span_of;
use crate::raw::{RawDistribution, RawModel, RawParameter};

impl Lowerer<'_> {
    /// The parameters in declaration order (those under `parameters:`, then the members of each
    /// Dirichlet group), and the Dirichlet groups.
    pub fn lower_parameters(
        &mut self,
        raw: &RawModel,
        names: &Names,
    ) -> (Vec<Parameter>, Vec<hta_model::DirichletGroup>) {
        let mut parameters = self.lower_plain_parameters(raw, names);
        let mut groups = Vec::new();
        for (group, members) in &raw.dirichlet {
            let total: f64 = members.value.values().map(|c| c.value).sum();
            let mut params = Vec::new();
            for (name, count) in &members.value {
                params.push(hta_model::ParamId::new(parameters.len()));
                let span = span_of(&name.referenced);
                let origin = hta_model::Origin { offset: span.offset(), len: span.len() };
                let mut definition = Formula::constant(count.value / total);
                definition.origin = origin;
                parameters.push(Parameter {
                    name: name.value.clone(),
                    label: Some(format!("share of Dirichlet group `{}`", group.value)),
                    definition,
                    source: None,
                    uncertainty: Uncertainty::default(),
                    origin,
                });
            }
            let span = span_of(&group.referenced);
            groups.push(hta_model::DirichletGroup {
                name: group.value.clone(),
                params,
                counts: members.value.values().map(|c| c.value).collect(),
                origin: hta_model::Origin { offset: span.offset(), len: span.len() },
            });
        }
        (parameters, groups)
    }

    fn lower_plain_parameters(&mut self, raw: &RawModel, names: &Names) -> Vec<Parameter> {
        raw.parameters
            .iter()
            .map(|(name, spanned)| {
                let what = format!("parameter `{}`", name.value);
                let span = span_of(&name.referenced);
                let origin = hta_model::Origin { offset: span.offset(), len: span.len() };
                let (definition, label, source, uncertainty) = match &spanned.value {
                    RawParameter::Short(scalar) => {
                        let scalar = Spanned::new(scalar.clone(), spanned.referenced, spanned.defined);
                        (self.formula(&scalar, names, &what), None, None, Uncertainty::default())
                    }
                    RawParameter::Full(full) => {
                        let definition = self.formula(&full.value, names, &what);
                        let uncertainty = self.uncertainty(full, definition.as_ref(), &name.value);
                        (definition, full.label.clone(), full.source.clone(), uncertainty)
                    }
                };
                // A model that cites references should say where each input value comes from
                // (a citation, or "illustrative"); a formula of other parameters is derived and
                // needs none.
                let input = definition.as_ref().is_some_and(|d| d.expr.as_constant().is_some());
                if input && source.is_none() && !raw.metadata.references.is_empty() {
                    self.warning(
                        "no-source",
                        &name.referenced,
                        format!(
                            "parameter `{}` has no `source`, though the model lists `metadata.references`",
                            name.value
                        ),
                        "give `source:` (a citation, or \"illustrative\")",
                    );
                }
                Parameter {
                    name: name.value.clone(),
                    label,
                    definition: definition.unwrap_or_else(|| Formula::constant(f64::NAN)),
                    source,
                    uncertainty,
                    origin,
                }
            })
            .collect()
    }

    fn uncertainty(
        &mut self,
        full: &crate::raw::RawParameterFull,
        definition: Option<&Formula>,
        name: &str,
    ) -> Uncertainty {
        let finite = |this: &mut Self, v: &Spanned<f64>, what: &str| {
            if v.value.is_finite() {
                Some(v.value)
            } else {
                this.error(
                    "not-finite",
                    &v.referenced,
                    format!("`{what}` of parameter `{name}` is {}", v.value),
                    "not a finite number",
                );
                None
            }
        };
        let low = full.low.as_ref().and_then(|v| finite(self, v, "low"));
        let high = full.high.as_ref().and_then(|v| finite(self, v, "high"));
        match (&full.low, &full.high, low, high) {
            (Some(_), None, ..) | (None, Some(_), ..) => {
                let at =
                    full.low.as_ref().or(full.high.as_ref()).map(|v| v.referenced).unwrap_or(full.value.referenced);
                self.error(
                    "range",
                    &at,
                    format!("parameter `{name}` gives only one of `low` and `high`"),
                    "give both bounds",
                );
            }
            (_, Some(h), Some(l), Some(hv)) if l > hv => {
                self.error(
                    "range",
                    &h.referenced,
                    format!("parameter `{name}`: low ({l}) is greater than high ({hv})"),
                    "high bound",
                );
            }
            (_, Some(h), Some(l), Some(hv)) => {
                if let Some(base) = definition.and_then(|d| d.expr.as_constant()) {
                    if base < l || base > hv {
                        self.warning(
                            "range",
                            &h.referenced,
                            format!("parameter `{name}`: base value {base} lies outside [low, high] = [{l}, {hv}]"),
                            "range",
                        );
                    }
                }
            }
            _ => {}
        }
        let distribution = full.distribution.as_ref().and_then(|d| match convert(&d.value) {
            Ok(dist) => Some(dist),
            Err(message) => {
                self.error("distribution", &d.referenced, format!("parameter `{name}`: {message}"), "distribution");
                None
            }
        });
        Uncertainty { low, high, distribution }
    }
}

/// Native parameters of a distribution given by moments or natively, with checks.
pub fn convert(raw: &RawDistribution) -> Result<Distribution, String> {
    let positive = |v: f64, what: &str| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(format!("{what} must be a positive number, found {v}"))
        }
    };
    match raw {
        RawDistribution::Beta(b) => match (b.mean, b.se, b.alpha, b.beta) {
            (Some(mean), Some(se), None, None) => {
                if !(mean > 0.0 && mean < 1.0) {
                    return Err(format!("a beta mean must lie strictly between 0 and 1, found {mean}"));
                }
                positive(se, "se")?;
                let limit = mean * (1.0 - mean);
                if se * se >= limit {
                    return Err(format!(
                        "a beta with mean {mean} needs se < {:.6} (se^2 < mean(1 - mean)), found {se}",
                        limit.sqrt()
                    ));
                }
                let alpha = mean * (limit / (se * se) - 1.0);
                Ok(Distribution::Beta { alpha, beta: alpha * (1.0 - mean) / mean })
            }
            (None, None, Some(alpha), Some(beta)) => {
                Ok(Distribution::Beta { alpha: positive(alpha, "alpha")?, beta: positive(beta, "beta")? })
            }
            _ => Err("a beta needs either `mean` and `se`, or `alpha` and `beta`".into()),
        },
        RawDistribution::Gamma(g) => match (g.mean, g.se, g.shape, g.rate) {
            (Some(mean), Some(se), None, None) => {
                let (mean, se) = (positive(mean, "mean")?, positive(se, "se")?);
                Ok(Distribution::Gamma { shape: (mean / se).powi(2), rate: mean / (se * se) })
            }
            (None, None, Some(shape), Some(rate)) => {
                Ok(Distribution::Gamma { shape: positive(shape, "shape")?, rate: positive(rate, "rate")? })
            }
            _ => Err("a gamma needs either `mean` and `se`, or `shape` and `rate`".into()),
        },
        RawDistribution::Lognormal(l) => match (l.mean, l.se, l.meanlog, l.sdlog) {
            (Some(mean), Some(se), None, None) => {
                let (mean, se) = (positive(mean, "mean")?, positive(se, "se")?);
                let variance_log = (1.0 + (se / mean).powi(2)).ln();
                Ok(Distribution::LogNormal { meanlog: mean.ln() - variance_log / 2.0, sdlog: variance_log.sqrt() })
            }
            (None, None, Some(meanlog), Some(sdlog)) if meanlog.is_finite() => {
                Ok(Distribution::LogNormal { meanlog, sdlog: positive(sdlog, "sdlog")? })
            }
            _ => Err("a log-normal needs either `mean` and `se`, or `meanlog` and `sdlog`".into()),
        },
        RawDistribution::Normal(n) if n.mean.is_finite() => {
            Ok(Distribution::Normal { mean: n.mean, sd: positive(n.sd, "sd")? })
        }
        RawDistribution::Normal(n) => Err(format!("mean must be finite, found {}", n.mean)),
        RawDistribution::Uniform(u) if u.min.is_finite() && u.max.is_finite() && u.min < u.max => {
            Ok(Distribution::Uniform { min: u.min, max: u.max })
        }
        RawDistribution::Uniform(u) => Err(format!("a uniform needs finite min < max, found [{}, {}]", u.min, u.max)),
        RawDistribution::Triangular(t)
            if [t.min, t.mode, t.max].iter().all(|v| v.is_finite())
                && t.min <= t.mode
                && t.mode <= t.max
                && t.min < t.max =>
        {
            Ok(Distribution::Triangular { min: t.min, mode: t.mode, max: t.max })
        }
        RawDistribution::Triangular(t) => Err(format!(
            "a triangular needs min <= mode <= max and min < max, found ({}, {}, {})",
            t.min, t.mode, t.max
        )),
        RawDistribution::Pert(t)
            if [t.min, t.mode, t.max].iter().all(|v| v.is_finite())
                && t.min <= t.mode
                && t.mode <= t.max
                && t.min < t.max =>
        {
            Ok(Distribution::Pert { min: t.min, mode: t.mode, max: t.max })
        }
        RawDistribution::Pert(t) => {
            Err(format!("a PERT needs min <= mode <= max and min < max, found ({}, {}, {})", t.min, t.mode, t.max))
        }
        RawDistribution::TruncatedNormal(n) => {
            let (min, max) = (n.min.unwrap_or(f64::NEG_INFINITY), n.max.unwrap_or(f64::INFINITY));
            if !(n.mean.is_finite() && n.sd.is_finite() && n.sd > 0.0) || min.is_nan() || max.is_nan() || min >= max {
                return Err(format!("a truncated normal needs a finite mean, sd > 0 and min < max, found mean {}, sd {}, [{min}, {max}]", n.mean, n.sd));
            }
            let (a, b) = ((min - n.mean) / n.sd, (max - n.mean) / n.sd);
            if hta_model::model::standard_normal_cdf(b) - hta_model::model::standard_normal_cdf(a) < 1e-12 {
                return Err("the truncation interval holds almost none of the normal's probability".into());
            }
            Ok(Distribution::TruncatedNormal { mean: n.mean, sd: n.sd, min, max })
        }
        RawDistribution::Fixed => Ok(Distribution::Fixed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{RawBeta, RawGamma, RawLogNormal};
    use approx::assert_relative_eq;

    #[test]
    fn beta_from_moments() {
        let d = convert(&RawDistribution::Beta(RawBeta { mean: Some(0.2), se: Some(0.04), alpha: None, beta: None }))
            .expect("valid");
        let Distribution::Beta { alpha, beta } = d else { panic!("beta") };
        // alpha = 0.2 * (0.16 / 0.0016 - 1) = 19.8; beta = 79.2
        assert_relative_eq!(alpha, 19.8, max_relative = 1e-12);
        assert_relative_eq!(beta, 79.2, max_relative = 1e-12);
        assert_relative_eq!(d.mean(), 0.2, max_relative = 1e-12);
        assert!(convert(&RawDistribution::Beta(RawBeta { mean: Some(0.5), se: Some(0.5), alpha: None, beta: None }))
            .is_err());
    }

    #[test]
    fn gamma_and_lognormal_keep_the_mean() {
        let g = convert(&RawDistribution::Gamma(RawGamma {
            mean: Some(2756.0),
            se: Some(2756.0),
            shape: None,
            rate: None,
        }))
        .expect("valid");
        assert_relative_eq!(g.mean(), 2756.0, max_relative = 1e-12);
        let l = convert(&RawDistribution::Lognormal(RawLogNormal {
            mean: Some(0.509),
            se: Some(0.09),
            meanlog: None,
            sdlog: None,
        }))
        .expect("valid");
        assert_relative_eq!(l.mean(), 0.509, max_relative = 1e-12);
        assert!(convert(&RawDistribution::Gamma(RawGamma { mean: Some(1.0), se: None, shape: Some(1.0), rate: None }))
            .is_err());
    }
}
