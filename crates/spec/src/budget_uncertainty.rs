//! The `uncertainty:` section of a budget file: distributions on budget inputs for a
//! probabilistic budget impact (`hta budget --draws`), and the annual budget that spending is
//! compared with. Parsed with positions; lowered to [`BudgetUncertainty`].

use hta_model::Distribution;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::budget::Yearly;
use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::raw::RawDistribution;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUncertainty {
    /// Factor on incident and prevalent patients in each draw (e.g. a log-normal with mean 1).
    #[serde(default)]
    #[schemars(with = "Option<RawDistribution>")]
    pub population_scale: Option<Spanned<RawDistribution>>,
    /// Factor on the uptake of every year in each draw (a draw whose uptake exceeds 1 in some
    /// year stops the run).
    #[serde(default)]
    #[schemars(with = "Option<RawDistribution>")]
    pub uptake_scale: Option<Spanned<RawDistribution>>,
    /// Factor on the list price in each draw (and on price-volume tier prices).
    #[serde(default)]
    #[schemars(with = "Option<RawDistribution>")]
    pub price_scale: Option<Spanned<RawDistribution>>,
    /// The budget holder's annual budget for the new option (one number, or one per year): the
    /// probability that the yearly net impact exceeds it is reported per year and for any year.
    #[serde(default)]
    #[schemars(with = "Option<Vec<f64>>")]
    pub annual_budget: Option<Spanned<Yearly>>,
}

/// Distributions of the budget inputs that vary between draws (`None`: fixed at the file's value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetUncertainty {
    pub population_scale: Option<Distribution>,
    pub uptake_scale: Option<Distribution>,
    pub price_scale: Option<Distribution>,
    /// The annual budget by year of the horizon.
    pub annual_budget: Option<Vec<f64>>,
}

impl BudgetUncertainty {
    /// The inputs that have a distribution, in the order they are drawn: (name, distribution).
    pub fn sampled(&self) -> Vec<(&'static str, Distribution)> {
        [
            ("population_scale", self.population_scale),
            ("uptake_scale", self.uptake_scale),
            ("price_scale", self.price_scale),
        ]
        .into_iter()
        .filter_map(|(name, d)| d.filter(|d| *d != Distribution::Fixed).map(|d| (name, d)))
        .collect()
    }
}

/// Lowers the section; problems point at the offending key.
pub fn lower(raw: &RawUncertainty, years: u32, source: &Source, problems: &mut Diagnostics) -> BudgetUncertainty {
    let mut distribution = |name: &str, d: &Option<Spanned<RawDistribution>>| -> Option<Distribution> {
        let d = d.as_ref()?;
        match crate::lower::parameters::convert(&d.value) {
            Ok(converted) => {
                if converted != Distribution::Fixed && lowest(&converted) < 0.0 {
                    problems.push(
                        Diagnostic::error(
                            "out-of-range",
                            format!("uncertainty `{name}` is a factor and must not be negative, but this distribution can draw negative values"),
                        )
                        .at(source, span_of(&d.referenced), "this distribution")
                        .help("use a log-normal or gamma with mean 1, a beta, or a distribution bounded at 0"),
                    );
                }
                Some(converted)
            }
            Err(message) => {
                problems.push(Diagnostic::error("distribution", format!("uncertainty `{name}`: {message}")).at(
                    source,
                    span_of(&d.referenced),
                    "this distribution",
                ));
                None
            }
        }
    };
    let population_scale = distribution("population_scale", &raw.population_scale);
    let uptake_scale = distribution("uptake_scale", &raw.uptake_scale);
    let price_scale = distribution("price_scale", &raw.price_scale);
    let annual_budget = raw.annual_budget.as_ref().map(|b| {
        if b.value.0.is_empty() || b.value.0.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            problems.push(
                Diagnostic::error("out-of-range", "annual_budget must be non-negative amounts (one, or one per year)")
                    .at(source, span_of(&b.referenced), "here"),
            );
        }
        (0..years as usize).map(|i| b.value.0.get(i).or(b.value.0.last()).copied().unwrap_or(0.0)).collect()
    });
    BudgetUncertainty { population_scale, uptake_scale, price_scale, annual_budget }
}

/// The lowest value a distribution can draw (−∞ when unbounded below).
fn lowest(d: &Distribution) -> f64 {
    match *d {
        Distribution::Beta { .. } | Distribution::Gamma { .. } | Distribution::LogNormal { .. } => 0.0,
        Distribution::Uniform { min, .. } | Distribution::Triangular { min, .. } | Distribution::Pert { min, .. } => {
            min
        }
        Distribution::TruncatedNormal { min, .. } => min,
        _ => f64::NEG_INFINITY,
    }
}
