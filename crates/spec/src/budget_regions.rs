//! The `regions:` section of a budget file: several regions (e.g. provinces), each with its own
//! population, uptake, price, reimbursement ratio and payers; whatever a region does not name is
//! the file's national value. Parsed with positions; lowered to [`RegionSpec`].

use hta_budget::uptake::Uptake;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::budget::{BudgetSpec, RawUptake, Yearly, MAX_AMOUNT, MAX_PEOPLE};
use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::raw::SpannedMap;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    #[serde(default)]
    pub label: Option<String>,
    /// The region's eligible population (before the file's funnel); fields it leaves out are
    /// the national values. Not with `population_scale`.
    #[serde(default)]
    pub population: Option<RawRegionPopulation>,
    /// Factor on the national incident and prevalent patients, capacity and insured persons.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub population_scale: Option<Spanned<f64>>,
    /// Uptake in the region (default: the national uptake).
    #[serde(default)]
    #[schemars(with = "Option<RawUptake>")]
    pub uptake: Option<Spanned<RawUptake>>,
    /// List price per patient in the region. Not with `price_scale`.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub price: Option<Spanned<f64>>,
    /// Factor on the national list price (and on price-volume tier prices).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub price_scale: Option<Spanned<f64>>,
    /// Share of the net budget impact the region's payers reimburse, in [0, 1]; patients pay
    /// the rest (besides what a scheme's co-payment or waterfall already puts on them).
    #[schemars(with = "f64")]
    pub reimbursement_ratio: Spanned<f64>,
    /// Shares of the reimbursed spending by payer, summing to 1 (default: one payer).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, f64>")]
    pub payers: SpannedMap<Spanned<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegionPopulation {
    /// Eligible incident patients per year before the funnel (one value per year, or one for all).
    #[serde(default)]
    #[schemars(with = "Option<Vec<f64>>")]
    pub incident: Option<Spanned<Yearly>>,
    /// Eligible prevalent patients at launch, before the funnel.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub prevalent_at_launch: Option<Spanned<f64>>,
    /// Annual mortality of eligible untreated patients in the pool.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub pool_mortality: Option<Spanned<f64>>,
    /// Most patients treatable per year in the region.
    #[serde(default)]
    #[schemars(with = "Option<Vec<f64>>")]
    pub capacity: Option<Spanned<Yearly>>,
    /// Insured persons in the region (for a special fund's revenue).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub insured: Option<Spanned<f64>>,
}

/// A validated region: every input as a number, the national value where the file names none.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSpec {
    pub name: String,
    pub label: Option<String>,
    /// Eligible incident patients by year (after the funnel).
    pub incident: Vec<f64>,
    pub prevalent_at_launch: f64,
    pub pool_mortality: f64,
    pub capacity: Vec<Option<f64>>,
    pub insured: Option<f64>,
    pub uptake: Uptake,
    /// The region's list price.
    pub price: f64,
    /// Factor on price-volume tier prices (the region's price over the national price).
    pub price_factor: f64,
    pub reimbursement_ratio: f64,
    /// (payer, share); empty: one payer.
    pub payers: Vec<(String, f64)>,
}

/// Lowers the section against the national values of `national`; `funnel` is the product of
/// the file's funnel fractions. Problems point at the offending value.
pub fn lower(
    raw: &SpannedMap<Spanned<RawRegion>>,
    national: &BudgetSpec,
    funnel: f64,
    source: &Source,
    problems: &mut Diagnostics,
) -> Vec<RegionSpec> {
    let years = national.horizon_years;
    let mut regions = Vec::with_capacity(raw.len());
    for (name, region) in raw {
        let r = &region.value;
        let mut error = |code: &'static str, at: &Location, message: String| {
            problems.push(Diagnostic::error(code, format!("region `{}`: {message}", name.value)).at(
                source,
                span_of(at),
                "here",
            ));
        };
        // Region names become rows of budget_regions.csv beside `national`.
        if let Some(problem) = crate::names::naming_problem(&name.value) {
            error("invalid-name", &name.referenced, format!("invalid region name: {problem}"));
        } else if name.value == "national" {
            error(
                "invalid-name",
                &name.referenced,
                "`national` is the sum of the regions; give the region another name".into(),
            );
        }
        let people = |v: f64| v.is_finite() && (0.0..=MAX_PEOPLE).contains(&v);
        let scale = match &r.population_scale {
            Some(s) => {
                if !(s.value.is_finite()
                    && s.value >= 0.0
                    && s.value * national.prevalent_at_launch.max(1.0) <= MAX_PEOPLE)
                {
                    error(
                        "out-of-range",
                        &s.referenced,
                        format!("population_scale must be a non-negative factor, found {}", s.value),
                    );
                }
                if r.population.is_some() {
                    error("region", &s.referenced, "give either `population` or `population_scale`, not both".into());
                }
                s.value
            }
            None => 1.0,
        };
        let pop = r.population.as_ref();
        let incident = match pop.and_then(|p| p.incident.as_ref()) {
            Some(v) => {
                if v.value.0.is_empty() || v.value.0.iter().any(|x| !people(*x)) {
                    error(
                        "out-of-range",
                        &v.referenced,
                        "incident patients must be numbers from 0 to 1e10 (one per year, or one for all years)".into(),
                    );
                }
                yearly(&v.value.0, years).into_iter().map(|n| n * funnel).collect()
            }
            None => national.incident.iter().map(|n| n * scale).collect(),
        };
        let prevalent_at_launch = match pop.and_then(|p| p.prevalent_at_launch.as_ref()) {
            Some(v) => {
                if !people(v.value) {
                    error(
                        "out-of-range",
                        &v.referenced,
                        format!("prevalent patients must be a number from 0 to 1e10, found {}", v.value),
                    );
                }
                v.value * funnel
            }
            None => national.prevalent_at_launch * scale,
        };
        let pool_mortality = match pop.and_then(|p| p.pool_mortality.as_ref()) {
            Some(v) => {
                if !(0.0..=1.0).contains(&v.value) {
                    error(
                        "probability",
                        &v.referenced,
                        format!("pool mortality is a probability in [0, 1], found {}", v.value),
                    );
                }
                v.value
            }
            None => national.pool_mortality,
        };
        let capacity = match pop.and_then(|p| p.capacity.as_ref()) {
            Some(c) => {
                if c.value.0.is_empty() || c.value.0.iter().any(|x| !people(*x)) {
                    error("out-of-range", &c.referenced, "capacity must be numbers from 0 to 1e10".into());
                }
                yearly(&c.value.0, years).into_iter().map(Some).collect()
            }
            None => national.capacity.iter().map(|c| c.map(|c| c * scale)).collect(),
        };
        let insured = match pop.and_then(|p| p.insured.as_ref()) {
            Some(v) => {
                if !people(v.value) {
                    error(
                        "out-of-range",
                        &v.referenced,
                        format!("insured persons must be a number from 0 to 1e10, found {}", v.value),
                    );
                }
                Some(v.value)
            }
            None => national.insured.map(|n| n * scale),
        };
        let uptake = match &r.uptake {
            Some(u) => {
                let uptake = crate::budget::lower_uptake(&u.value);
                if let Err(message) = uptake.check(years) {
                    error("out-of-range", &u.referenced, format!("{message} (over the {years}-year horizon)"));
                }
                uptake
            }
            None => national.uptake.clone(),
        };
        let (price, price_factor) = match (&r.price, &r.price_scale) {
            (Some(p), scale) => {
                if !(p.value.is_finite() && (0.0..=MAX_AMOUNT).contains(&p.value)) {
                    error(
                        "out-of-range",
                        &p.referenced,
                        format!("the price must be a number from 0 to {MAX_AMOUNT:e}, found {}", p.value),
                    );
                }
                if let Some(s) = scale {
                    error("region", &s.referenced, "give either `price` or `price_scale`, not both".into());
                }
                let factor = if national.price > 0.0 { p.value / national.price } else { 1.0 };
                (p.value, factor)
            }
            (None, Some(s)) => {
                let price = national.price * s.value;
                if !(s.value.is_finite() && s.value >= 0.0 && price <= MAX_AMOUNT) {
                    error(
                        "out-of-range",
                        &s.referenced,
                        format!(
                            "price_scale must be a non-negative factor giving a price up to {MAX_AMOUNT:e}, found {}",
                            s.value
                        ),
                    );
                }
                (price, s.value)
            }
            (None, None) => (national.price, 1.0),
        };
        let ratio = &r.reimbursement_ratio;
        if !(0.0..=1.0).contains(&ratio.value) {
            error(
                "probability",
                &ratio.referenced,
                format!("the reimbursement ratio is a share in [0, 1], found {}", ratio.value),
            );
        }
        let mut payers = Vec::with_capacity(r.payers.len());
        for (payer, share) in &r.payers {
            if !(0.0..=1.0).contains(&share.value) {
                error(
                    "shares",
                    &share.referenced,
                    format!("payer `{}`: a share in [0, 1], found {}", payer.value, share.value),
                );
            }
            if payer.value == "patient" {
                error(
                    "invalid-name",
                    &payer.referenced,
                    "`patient` is the patients' own spending, not a payer of the region".into(),
                );
            }
            payers.push((payer.value.clone(), share.value));
        }
        let sum: f64 = payers.iter().map(|(_, s)| s).sum();
        if let Some((_, first)) = r.payers.iter().next() {
            if (sum - 1.0).abs() > 1e-9 {
                error("shares", &first.referenced, format!("payer shares must sum to 1, they sum to {sum}"));
            }
        }
        regions.push(RegionSpec {
            name: name.value.clone(),
            label: r.label.clone(),
            incident,
            prevalent_at_launch,
            pool_mortality,
            capacity,
            insured,
            uptake,
            price,
            price_factor,
            reimbursement_ratio: ratio.value,
            payers,
        });
    }
    regions
}

fn yearly(values: &[f64], years: u32) -> Vec<f64> {
    (0..years as usize).map(|i| values.get(i).or(values.last()).copied().unwrap_or(0.0)).collect()
}
