//! The model file as written (format_version 1): serde types that keep source positions.
//!
//! Plain structs and externally tagged enums only: internally tagged, untagged and flattened
//! enums lose error positions in every YAML crate tested (see ARCHITECTURE.md). Every struct
//! denies unknown keys. Nothing here is checked beyond its YAML type; `lower` validates.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

/// A mapping whose keys keep their positions.
pub type SpannedMap<V> = IndexMap<Spanned<String>, V>;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "hta model file", description = "A Markov cohort model for the hta toolkit (format_version 1).")]
pub struct RawModel {
    /// Version of this file format; must be 1.
    #[schemars(with = "u32")]
    pub format_version: Spanned<u32>,
    pub metadata: RawMetadata,
    pub settings: RawSettings,
    #[serde(default)]
    pub cohort: Option<RawCohort>,
    /// Perspectives, by name: the cost categories each counts (e.g. productivity losses only in
    /// the societal one). The first listed is the default, and the budget's.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, crate::perspective::RawPerspective>")]
    pub perspectives: SpannedMap<Spanned<crate::perspective::RawPerspective>>,
    /// Names of the cost categories used by states, transitions and one-off values.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub cost_categories: Vec<Spanned<String>>,
    /// Lookup tables, by name: inline columns or a CSV file beside the model.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawTable>")]
    pub tables: SpannedMap<Spanned<RawTable>>,
    /// Dirichlet groups: group name -> { parameter: count }. Declares each parameter with base
    /// value count / total; PSA draws the group jointly from Dirichlet(counts) (e.g. a row of
    /// transition probabilities from observed transitions).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, IndexMap<String, f64>>")]
    pub dirichlet: SpannedMap<Spanned<SpannedMap<Spanned<f64>>>>,
    /// Correlations between sampled parameters (Gaussian copula): each entry gives two or more
    /// parameters with distributions and their pairwise correlation `rho`.
    #[serde(default)]
    #[schemars(with = "Vec<RawCorrelation>")]
    pub correlations: Vec<Spanned<RawCorrelation>>,
    /// Multivariate normal groups: group name -> { parameters, mean, covariance }. Declares each
    /// listed parameter with base value its mean; PSA draws the group jointly (e.g. a fitted
    /// curve's coefficients with the covariance of the fit; `hta fit` writes such a group).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawMultivariateNormal>")]
    pub multivariate_normal: SpannedMap<Spanned<RawMultivariateNormal>>,
    /// Survival curves, by name, for `surv`, `hazard`, `cumhaz`, `event_prob`, `cycle_prob` and
    /// partitioned survival.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawCurve>")]
    pub survival: SpannedMap<Spanned<RawCurve>>,
    /// Parameters, by name: a number, a formula, or a map with the value and its uncertainty.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawParameter>")]
    pub parameters: SpannedMap<Spanned<RawParameter>>,
    /// Health states, by name, in the order used for output.
    #[schemars(with = "IndexMap<String, RawState>")]
    pub states: SpannedMap<Spanned<RawState>>,
    /// Shared transition matrix: from-state -> { to-state: probability formula or `C` }
    /// (Markov models).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, IndexMap<String, Scalar>>")]
    pub transitions: SpannedMap<Spanned<SpannedMap<Spanned<Scalar>>>>,
    /// Makes this a partitioned survival model: states follow the listed curves instead of a
    /// transition matrix.
    #[serde(default)]
    #[schemars(with = "Option<RawPartitioned>")]
    pub partitioned_survival: Option<Spanned<RawPartitioned>>,
    /// Values charged per person making a transition.
    #[serde(default)]
    #[schemars(with = "Vec<RawTransitionValue>")]
    pub transition_values: Vec<Spanned<RawTransitionValue>>,
    /// Named scenarios: sets of overrides (parameters or settings, as `--set` takes them) run
    /// side by side by `hta scenarios`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawScenario>")]
    pub scenarios: SpannedMap<Spanned<RawScenario>>,
    /// Strategies (comparators and interventions), by name.
    #[schemars(with = "IndexMap<String, RawStrategy>")]
    pub strategies: SpannedMap<Spanned<RawStrategy>>,
    /// Arms: strategies that decision trees send patients into (same keys as a strategy, but no
    /// tree). They are run, but not compared: a strategy with a `tree` (or `test_and_treat`)
    /// is the probability-weighted sum of the arms its leaves lead to.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawStrategy>")]
    pub arms: SpannedMap<Spanned<RawStrategy>>,
    /// Subgroups, by name: a weight (the weights sum to 1) and the overrides that describe the
    /// subgroup (parameters or settings, as `--set` takes them). `hta subgroups` runs each and
    /// the weighted total.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawSubgroup>")]
    pub subgroups: SpannedMap<Spanned<RawSubgroup>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSubgroup {
    #[serde(default)]
    pub label: Option<String>,
    /// Share of the population in this subgroup.
    #[schemars(with = "f64")]
    pub weight: Spanned<f64>,
    /// Parameter or setting -> value, as for scenarios.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub set: SpannedMap<Spanned<Scalar>>,
}

/// One branch of a decision tree: its probability given the branch above (a formula over
/// parameters, evaluated at model start, or `C` for one minus its siblings), one-off values
/// charged to everyone taking it, and either further branches (`then`), an `arm` that the
/// branch's share of the cohort enters, or `end: true` (its values are the whole payoff).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    #[schemars(with = "String")]
    pub branch: Spanned<String>,
    #[schemars(with = "Scalar")]
    pub probability: Spanned<Scalar>,
    /// Cost category -> cost per person taking the branch (at model start, not discounted).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub cost: SpannedMap<Spanned<Scalar>>,
    /// QALYs gained (negative: lost) per person taking the branch.
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub qaly: Option<Spanned<Scalar>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub arm: Option<Spanned<String>>,
    /// The states a leaf's share enters its arm in (default: the arm's own `initial`), e.g.
    /// `{ progressed: 1 }` for patients found to have progressed already.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, f64>>")]
    pub initial: Option<Spanned<SpannedMap<Spanned<f64>>>>,
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub end: Option<Spanned<bool>>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<RawBranch>>")]
    pub then: Option<Spanned<Vec<Spanned<RawBranch>>>>,
}

/// Test and treat, written in a few lines and expanded into a decision tree: those tested
/// (`tested`, default everyone) take the tests in order, each only if positive on all before
/// (serial confirmation); a patient counts as test-positive if positive on every test. Tests
/// are assumed independent given the true biomarker status.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTestAndTreat {
    /// Share of patients with the biomarker.
    #[schemars(with = "Scalar")]
    pub prevalence: Spanned<Scalar>,
    /// One test, or several in sequence.
    #[schemars(with = "Vec<RawTest>")]
    pub tests: Spanned<Vec<Spanned<RawTest>>>,
    /// Share of patients tested (default 1); the others follow `untested_positive` and
    /// `untested_negative`.
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub tested: Option<Spanned<Scalar>>,
    /// Waiting for the result, charged to everyone tested.
    #[serde(default)]
    pub turnaround: Option<RawTurnaround>,
    /// Cost category of test and waiting costs (default: the first cost category).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub cost_category: Option<Spanned<String>>,
    /// The arm each result leads to.
    #[schemars(with = "String")]
    pub true_positive: Spanned<String>,
    #[schemars(with = "String")]
    pub false_negative: Spanned<String>,
    #[schemars(with = "String")]
    pub false_positive: Spanned<String>,
    #[schemars(with = "String")]
    pub true_negative: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub untested_positive: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub untested_negative: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTest {
    #[serde(default)]
    pub name: Option<String>,
    #[schemars(with = "Scalar")]
    pub sensitivity: Spanned<Scalar>,
    #[schemars(with = "Scalar")]
    pub specificity: Spanned<Scalar>,
    /// Cost per person tested.
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub cost: Option<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTurnaround {
    /// Weeks from sample to result.
    #[schemars(with = "Scalar")]
    pub weeks: Spanned<Scalar>,
    /// QALYs lost per week of waiting.
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub qaly_loss_per_week: Option<Spanned<Scalar>>,
    /// Cost per week of waiting (e.g. interim care).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub cost_per_week: Option<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMetadata {
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// ISO 4217 code or other currency label, e.g. GBP, CNY, USD.
    #[schemars(with = "String")]
    pub currency: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "Option<i32>")]
    pub price_year: Option<Spanned<i32>>,
    #[serde(default)]
    pub perspective: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub cycle_length: RawCycleLength,
    #[schemars(with = "RawHorizon")]
    pub horizon: Spanned<RawHorizon>,
    pub discount: RawDiscount,
    /// Within-cycle correction: which occupancies count towards each cycle.
    #[schemars(with = "CountingName")]
    pub counting: Spanned<CountingName>,
    /// Effect measure of the incremental analysis (default qaly).
    #[serde(default)]
    pub effect: Option<EffectName>,
    /// When transition values are discounted within their cycle (default end_of_cycle).
    #[serde(default)]
    pub transition_timing: Option<EventTimingName>,
    /// Strategy that pairwise comparisons use as reference (default: the first strategy).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub reference_strategy: Option<Spanned<String>>,
    /// Willingness-to-pay thresholds, per unit of effect.
    #[serde(default)]
    #[schemars(with = "Vec<RawThreshold>")]
    pub wtp: Vec<Spanned<RawThreshold>>,
    /// Named GDP-per-capita figures that thresholds may be multiples of.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawGdp>")]
    pub gdp_per_capita: SpannedMap<Spanned<RawGdp>>,
    /// The perspective of the analysis, one of `perspectives` (default: the first listed).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub perspective: Option<Spanned<String>>,
    /// The people the decision affects, for population EVPI in the PSA and the dossier pack.
    #[serde(default)]
    pub population: Option<RawDecisionPopulation>,
}

/// People affected by the decision: `per_year` new patients in each of `years` years,
/// discounted at `discount` (default: the effects' rate).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDecisionPopulation {
    #[schemars(with = "f64")]
    pub per_year: Spanned<f64>,
    #[schemars(with = "f64")]
    pub years: Spanned<f64>,
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub discount: Option<Spanned<f64>>,
    /// Where the figure comes from (shown in the report).
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCycleLength {
    #[schemars(with = "f64")]
    pub value: Spanned<f64>,
    pub unit: CycleUnitName,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CycleUnitName {
    Days,
    Weeks,
    Months,
    Years,
}

/// The horizon: give exactly one of `cycles` or `years`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHorizon {
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub cycles: Option<Spanned<f64>>,
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub years: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDiscount {
    /// Annual discount rate for costs, e.g. 0.035.
    #[schemars(with = "f64")]
    pub costs: Spanned<f64>,
    /// Annual discount rate for QALYs and life-years.
    #[schemars(with = "f64")]
    pub effects: Spanned<f64>,
    /// When each cycle's reward is discounted (default point).
    #[serde(default)]
    pub timing: Option<DiscountTimingName>,
    /// Years from model start before discounting begins (default 0).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub start_year: Option<Spanned<f64>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountingName {
    StartOfCycle,
    EndOfCycle,
    HalfCycle,
    LifeTable,
    Simpson,
    /// Custom weights: `{ weights: FORMULA }`, the weight of boundary point `cycle` (0..n) as a
    /// formula of `cycle`, `time` and `cycle_years`.
    #[schemars(with = "String")]
    Weights(Spanned<Scalar>),
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountTimingName {
    Point,
    CycleStart,
    CycleEnd,
    CycleMiddle,
    AnnualStep,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EffectName {
    Qaly,
    LifeYears,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventTimingName {
    EndOfCycle,
    MidCycle,
}

/// A threshold: `value`, or `gdp_multiple` times a named `gdp` figure.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    pub label: String,
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub value: Option<Spanned<f64>>,
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub gdp_multiple: Option<Spanned<f64>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub gdp: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGdp {
    #[schemars(with = "f64")]
    pub value: Spanned<f64>,
    pub year: i32,
    pub source: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    /// Age in years at model start (needed when formulas use `age`).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub start_age: Option<Spanned<f64>>,
    /// Initial distribution over states (proportions summing to 1); states not listed start empty.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, f64>")]
    pub initial: SpannedMap<Spanned<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    /// CSV file, relative to the model file; first row holds column names.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub file: Option<Spanned<String>>,
    /// Inline columns: name -> list of numbers (all the same length).
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Vec<f64>>>")]
    pub columns: Option<SpannedMap<Spanned<Vec<f64>>>>,
    /// Column holding the lookup key (strictly increasing).
    #[schemars(with = "String")]
    pub key: Spanned<String>,
    pub interpolation: InterpolationName,
    /// Keys outside the table: error (default) or hold the first/last value.
    #[serde(default)]
    pub outside: Option<OutsideName>,
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterpolationName {
    Step,
    Linear,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutsideName {
    Error,
    Hold,
}

/// A number or a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a formula")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number or a formula (text).",
            "type": ["number", "string"]
        })
    }
}

/// A parameter: a bare number or formula, or a map with its value and uncertainty.
#[derive(Debug)]
pub enum RawParameter {
    Short(Scalar),
    Full(Box<RawParameterFull>),
}

impl<'de> Deserialize<'de> for RawParameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParameterVisitor;
        impl<'de> Visitor<'de> for ParameterVisitor {
            type Value = RawParameter;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a formula, or a map with `value`")
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawParameter, E> {
                Ok(RawParameter::Short(Scalar::Number(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawParameter, E> {
                Ok(RawParameter::Short(Scalar::Number(v as f64)))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawParameter, E> {
                Ok(RawParameter::Short(Scalar::Number(v as f64)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawParameter, E> {
                Ok(RawParameter::Short(Scalar::Text(v.to_string())))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawParameter, A::Error> {
                RawParameterFull::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|full| RawParameter::Full(Box::new(full)))
            }
        }
        deserializer.deserialize_any(ParameterVisitor)
    }
}

impl JsonSchema for RawParameter {
    fn schema_name() -> Cow<'static, str> {
        "Parameter".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let full = generator.subschema_for::<RawParameterFull>();
        json_schema!({
            "description": "A number, a formula, or a map with the value and its uncertainty.",
            "anyOf": [ { "type": ["number", "string"] }, full ]
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawParameterFull {
    /// A number or a formula.
    #[schemars(with = "Scalar")]
    pub value: Spanned<Scalar>,
    #[serde(default)]
    pub label: Option<String>,
    /// Citation for the value.
    #[serde(default)]
    pub source: Option<String>,
    /// Lower bound for one-way sensitivity analysis.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub low: Option<Spanned<f64>>,
    /// Upper bound for one-way sensitivity analysis.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub high: Option<Spanned<f64>>,
    /// Distribution for probabilistic sensitivity analysis.
    #[serde(default)]
    #[schemars(with = "Option<RawDistribution>")]
    pub distribution: Option<Spanned<RawDistribution>>,
}

/// A distribution, by family, with moment-based or native parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawDistribution {
    /// `{ mean, se }` or `{ alpha, beta }`.
    Beta(RawBeta),
    /// `{ mean, se }` or `{ shape, rate }`.
    Gamma(RawGamma),
    /// `{ mean, se }` (of the variable itself) or `{ meanlog, sdlog }`.
    Lognormal(RawLogNormal),
    Normal(RawNormal),
    Uniform(RawUniform),
    Triangular(RawTriangular),
    /// PERT (beta-PERT) on [min, max] with the given mode (shape 4).
    Pert(RawTriangular),
    /// A normal truncated to [min, max] (either may be left out).
    TruncatedNormal(RawTruncatedNormal),
    /// Not sampled: the parameter keeps its value in every draw (stated explicitly).
    Fixed,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTruncatedNormal {
    pub mean: f64,
    pub sd: f64,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// Beta: `{ mean, se }` or `{ alpha, beta }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBeta {
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub se: Option<f64>,
    #[serde(default)]
    pub alpha: Option<f64>,
    #[serde(default)]
    pub beta: Option<f64>,
}

/// Gamma: `{ mean, se }` or `{ shape, rate }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGamma {
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub se: Option<f64>,
    #[serde(default)]
    pub shape: Option<f64>,
    #[serde(default)]
    pub rate: Option<f64>,
}

/// Log-normal: `{ mean, se }` of the variable itself, or `{ meanlog, sdlog }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLogNormal {
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub se: Option<f64>,
    #[serde(default)]
    pub meanlog: Option<f64>,
    #[serde(default)]
    pub sdlog: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNormal {
    pub mean: f64,
    pub sd: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUniform {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTriangular {
    pub min: f64,
    pub mode: f64,
    pub max: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    #[serde(default)]
    pub label: Option<String>,
    /// Marks the dead state(s): life-year weight and utility 0.
    #[serde(default)]
    pub dead: bool,
    /// Cost per cycle in this state, by category.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub cost: SpannedMap<Spanned<Scalar>>,
    /// Utility per year (QALY weight).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub utility: Option<Spanned<Scalar>>,
    /// Life-year weight per year (default 1 alive, 0 dead).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub life_years: Option<Spanned<Scalar>>,
    /// Track time in this state for this many cycles (tunnel states): the state's transitions
    /// and values may then use `state_time` (1 in the first cycle in the state); from this cycle
    /// on the last value holds.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub track_cycles: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransitionValue {
    #[serde(default)]
    pub label: Option<String>,
    /// From-state; left out = from any other state.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub cost: SpannedMap<Spanned<Scalar>>,
    /// QALYs gained (or lost, negative) per person making the transition.
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub qaly: Option<Spanned<Scalar>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOneOff {
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub cost: SpannedMap<Spanned<Scalar>>,
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub qaly: Option<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    #[serde(default)]
    pub label: Option<String>,
    /// Parameter definitions replacing the shared ones for this strategy.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub parameters: SpannedMap<Spanned<Scalar>>,
    /// Transition rows replacing the shared rows for this strategy.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, IndexMap<String, Scalar>>")]
    pub transitions: SpannedMap<Spanned<SpannedMap<Spanned<Scalar>>>>,
    /// Initial distribution replacing the cohort's.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, f64>>")]
    pub initial: Option<Spanned<SpannedMap<Spanned<f64>>>>,
    /// Costs and QALYs charged once at model start (t = 0): not discounted, not corrected.
    #[serde(default)]
    pub at_start: Option<RawOneOff>,
    /// Partitioned survival: this strategy's curves, replacing the shared list.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub curves: Option<Spanned<Vec<Spanned<String>>>>,
    /// A decision tree in front of the model: the branches from its root.
    #[serde(default)]
    #[schemars(with = "Option<Vec<RawBranch>>")]
    pub tree: Option<Spanned<Vec<Spanned<RawBranch>>>>,
    /// Test and treat, expanded into a decision tree.
    #[serde(default)]
    #[schemars(with = "Option<RawTestAndTreat>")]
    pub test_and_treat: Option<Spanned<RawTestAndTreat>>,
}

/// Partitioned survival: N states from N − 1 curves, innermost first (e.g. [pfs, os] for
/// progression-free, progressed, dead). State i holds S_i − S_(i−1); the last state (dead) holds
/// 1 − S_(N−1). Where an inner curve rises above an outer one it is capped at it (PFS ≤ OS),
/// with a warning giving the number of cycles affected.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPartitioned {
    #[schemars(with = "Vec<String>")]
    pub curves: Vec<Spanned<String>>,
}

/// A survival curve: give `time_unit` (the unit its parameters were fitted in; default years)
/// and exactly one kind of curve.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCurve {
    #[serde(default)]
    pub time_unit: Option<CycleUnitName>,
    #[serde(default)]
    pub source: Option<String>,
    /// flexsurv `exp`: { rate }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub exponential: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `weibull` (AFT): { shape, scale }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub weibull: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `weibullPH`: { shape, scale } with S = exp(-scale t^shape).
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub weibull_ph: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `gompertz`: { shape, rate }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub gompertz: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `llogis`: { shape, scale }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub llogis: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `lnorm`: { meanlog, sdlog }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub lnorm: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `gamma`: { shape, rate }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub gamma: Option<SpannedMap<Spanned<Scalar>>>,
    /// flexsurv `gengamma`: { mu, sigma, Q }.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, Scalar>>")]
    pub gengamma: Option<SpannedMap<Spanned<Scalar>>>,
    #[serde(default)]
    pub piecewise_exponential: Option<RawPiecewise>,
    /// Royston–Parmar spline on the log cumulative hazard (flexsurv `flexsurvspline`).
    #[serde(default)]
    pub spline: Option<RawSpline>,
    /// A tabulated curve from a lookup table: key column = time, `survival` column = S(t).
    #[serde(default)]
    pub table: Option<RawCurveTable>,
    #[serde(default)]
    pub proportional_hazards: Option<RawHazardRatio>,
    #[serde(default)]
    pub accelerated_failure: Option<RawAcceleration>,
    #[serde(default)]
    pub join: Option<RawJoin>,
    #[serde(default)]
    pub mixture_cure: Option<RawMixtureCure>,
    #[serde(default)]
    pub life_table: Option<RawLifeTableCurve>,
    /// The hazard of `curve`, never below that of `background`.
    #[serde(default)]
    pub hazard_floor: Option<RawHazardFloor>,
}

/// h(t) = max(h_curve(t), h_background(t)).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHazardFloor {
    #[schemars(with = "String")]
    pub curve: Spanned<String>,
    #[schemars(with = "String")]
    pub background: Spanned<String>,
}

/// Piecewise-constant hazard: `rates` has one more entry than `cuts` (curve time units).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPiecewise {
    #[schemars(with = "Vec<f64>")]
    pub cuts: Spanned<Vec<f64>>,
    #[schemars(with = "Vec<Scalar>")]
    pub rates: Vec<Spanned<Scalar>>,
}

/// ln H(t) = Σ gamma[i] · b_i(ln t): `knots` are ln times (curve units), the boundaries and
/// 0 to 6 internal knots; one `gamma` per knot.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSpline {
    #[schemars(with = "Vec<f64>")]
    pub knots: Spanned<Vec<f64>>,
    #[schemars(with = "Vec<Scalar>")]
    pub gamma: Vec<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCurveTable {
    /// A table under `tables:` whose key column is time (curve units, from 0).
    #[schemars(with = "String")]
    pub table: Spanned<String>,
    /// Its column holding survival (from 1, non-increasing).
    #[schemars(with = "String")]
    pub survival: Spanned<String>,
    pub interpolation: CurveInterpolationName,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CurveInterpolationName {
    Step,
    Linear,
    LogLinear,
}

/// S = S_curve^hr.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHazardRatio {
    #[schemars(with = "String")]
    pub curve: Spanned<String>,
    #[schemars(with = "Scalar")]
    pub hr: Spanned<Scalar>,
}

/// S(t) = S_curve(t / af).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAcceleration {
    #[schemars(with = "String")]
    pub curve: Spanned<String>,
    #[schemars(with = "Scalar")]
    pub af: Spanned<Scalar>,
}

/// `first` up to `at_years`, then `then` conditional on survival to that time.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJoin {
    #[schemars(with = "String")]
    pub first: Spanned<String>,
    #[schemars(with = "String")]
    pub then: Spanned<String>,
    #[schemars(with = "f64")]
    pub at_years: Spanned<f64>,
}

/// S = S_background · (cure_fraction + (1 − cure_fraction) · S_uncured).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMixtureCure {
    #[schemars(with = "Scalar")]
    pub cure_fraction: Spanned<Scalar>,
    #[schemars(with = "String")]
    pub uncured: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub background: Option<Spanned<String>>,
}

/// Background survival from annual death probabilities q_x by age in a lookup table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLifeTableCurve {
    /// A table under `tables:` keyed by age.
    #[schemars(with = "String")]
    pub table: Spanned<String>,
    /// Its column of annual death probabilities.
    #[schemars(with = "String")]
    pub column: Spanned<String>,
    /// Age at t = 0 (default: `cohort.start_age`).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub start_age: Option<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(default)]
    pub label: Option<String>,
    /// Parameter or setting -> value (a number, or a method name for settings such as counting).
    #[schemars(with = "IndexMap<String, Scalar>")]
    pub set: SpannedMap<Spanned<Scalar>>,
}

/// A multivariate normal group: its parameters, their means (in the same order) and covariance
/// matrix (one row per parameter), symmetric and positive semi-definite.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMultivariateNormal {
    #[schemars(with = "Vec<String>")]
    pub parameters: Vec<Spanned<String>>,
    #[schemars(with = "Vec<f64>")]
    pub mean: Spanned<Vec<Spanned<f64>>>,
    #[schemars(with = "Vec<Vec<f64>>")]
    pub covariance: Spanned<Vec<Spanned<Vec<Spanned<f64>>>>>,
    /// What the group is, e.g. "OS Weibull fit".
    #[serde(default)]
    pub label: Option<String>,
    /// Where the numbers come from, e.g. the data file and its SHA-256.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    #[schemars(with = "Vec<String>")]
    pub parameters: Vec<Spanned<String>>,
    /// Correlation (of the normal scores) between every pair of the listed parameters.
    #[schemars(with = "f64")]
    pub rho: Spanned<f64>,
}
