//! Budget-impact files (format_version 1): a budget section that names a model file. Parsed with
//! positions and validated like model files; lowered to [`BudgetSpec`].

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::raw::SpannedMap;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBudgetFile {
    #[schemars(with = "u32")]
    pub format_version: Spanned<u32>,
    pub budget: RawBudget,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub title: String,
    /// The cost-effectiveness model whose states give per-patient costs by year (relative to
    /// this file).
    #[schemars(with = "String")]
    pub model: Spanned<String>,
    /// Years of the budget horizon (1 to 100).
    #[schemars(with = "u32")]
    pub horizon_years: Spanned<f64>,
    /// When patients are treated within their calendar year.
    pub treatment_timing: TimingName,
    /// The new option's strategy in the model.
    #[schemars(with = "String")]
    pub new_option: Spanned<String>,
    /// The strategy it displaces.
    #[schemars(with = "String")]
    pub comparator: Spanned<String>,
    /// What the patients who receive the new option would otherwise receive: shares by strategy
    /// of the model, summing to 1 (default: all the comparator). Comparators lose share in these
    /// proportions; patients who do not switch cost the same in both worlds.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, f64>")]
    pub displaced: SpannedMap<Spanned<f64>>,
    /// Cost categories of the model that the payment scheme replaces for the new option (e.g.
    /// the therapy's acquisition cost).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub priced_categories: Vec<Spanned<String>>,
    /// List price per patient of the new option.
    #[schemars(with = "f64")]
    pub price: Spanned<f64>,
    pub population: RawPopulation,
    /// The new option's share of the treated patients by year (not with `market:`).
    #[serde(default)]
    #[schemars(with = "Option<RawUptake>")]
    pub uptake: Option<Spanned<RawUptake>>,
    /// The model's perspective for the budget (default: the first the model lists; a budget is
    /// the payer's).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub perspective: Option<Spanned<String>>,
    /// Market shares of every option in the world without and with the new option (instead of
    /// `uptake:` and `displaced:`).
    #[serde(default)]
    #[schemars(with = "Option<crate::budget_market::RawMarket>")]
    pub market: Option<Spanned<crate::budget_market::RawMarket>>,
    /// Payment schemes compared, by name.
    #[schemars(with = "IndexMap<String, RawScheme>")]
    pub schemes: SpannedMap<Spanned<RawScheme>>,
    /// Scenarios run beside the base case with every scheme (e.g. low and high uptake, a shorter
    /// horizon): each changes only what it names.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawScenario>")]
    pub scenarios: SpannedMap<Spanned<RawScenario>>,
    /// Distributions on budget inputs for `hta budget --draws`, and the annual budget.
    #[serde(default)]
    pub uncertainty: Option<crate::budget_uncertainty::RawUncertainty>,
    /// Regions (e.g. provinces), each run with every scheme and reported beside the national sum.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, crate::budget_regions::RawRegion>")]
    pub regions: SpannedMap<Spanned<crate::budget_regions::RawRegion>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(default)]
    pub label: Option<String>,
    /// Years of the horizon in this scenario (1 to 100).
    #[serde(default)]
    pub horizon_years: Option<f64>,
    /// Uptake in this scenario.
    #[serde(default)]
    pub uptake: Option<RawUptake>,
    /// Factor on incident and prevalent patients (e.g. 0.8 for a smaller eligible population).
    #[serde(default)]
    pub population_scale: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimingName {
    StartOfYear,
    MidYear,
}

/// A number for every year, or one number for all years.
#[derive(Debug, Clone, PartialEq)]
pub struct Yearly(pub Vec<f64>);

impl<'de> Deserialize<'de> for Yearly {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Yearly;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, or a list with one number per year")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Yearly, E> {
                Ok(Yearly(vec![v]))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Yearly, E> {
                Ok(Yearly(vec![v as f64]))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Yearly, E> {
                Ok(Yearly(vec![v as f64]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Yearly, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<f64>()? {
                    values.push(v);
                }
                Ok(Yearly(values))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    /// Insured persons (for spending per insured person).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub insured: Option<Spanned<f64>>,
    /// Eligible incident patients per year (after the funnel): one value per year, or one for all.
    #[schemars(with = "Vec<f64>")]
    pub incident: Spanned<Yearly>,
    /// Eligible prevalent patients waiting at launch.
    #[serde(default)]
    #[schemars(with = "f64")]
    pub prevalent_at_launch: Option<Spanned<f64>>,
    /// Annual mortality of eligible untreated patients in the pool.
    #[serde(default)]
    #[schemars(with = "f64")]
    pub pool_mortality: Option<Spanned<f64>>,
    /// Eligibility funnel applied to incident and prevalent patients: each named step keeps a
    /// fraction (e.g. { diagnosed: 0.8, meets_label: 0.6, reimbursed: 0.9 }).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, f64>")]
    pub funnel: SpannedMap<Spanned<f64>>,
    /// Most patients treatable with the new option per year.
    #[serde(default)]
    #[schemars(with = "Option<Vec<f64>>")]
    pub capacity: Option<Spanned<Yearly>>,
    /// The budget holder's total spending per year (e.g. the medical insurance fund's), for the
    /// share of it the net budget impact takes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<f64>>")]
    pub fund_spending: Option<Spanned<Yearly>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawUptake {
    Linear { from: f64, to: f64, years: u32 },
    Step { before: f64, after: f64, at: u32 },
    Saturating { max: f64, k: f64 },
    Logistic { max: f64, k: f64, midpoint: f64 },
    Table(Vec<f64>),
}

/// A payment scheme: the steps it applies, each optional, in the order discount -> schedule
/// (instalments, annuity, outcome conditions) -> refund/tiers -> cap -> payer split.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScheme {
    #[serde(default)]
    pub label: Option<String>,
    /// Confidential discount on the list price (fraction).
    #[serde(default)]
    pub discount: Option<f64>,
    /// Share of each payment set aside for another programme (earmark).
    #[serde(default)]
    pub earmark: Option<f64>,
    /// Instalment fractions by year since treatment (τ = 0, 1, ...), summing to 1.
    #[serde(default)]
    pub instalments: Option<Vec<f64>>,
    /// Instalment k is due only for patients in these model states at year k (alive and responding).
    #[serde(default)]
    pub instalments_conditional_on: Option<Vec<String>>,
    /// Annuity: the price financed at `rate` over `years` equal payments.
    #[serde(default)]
    pub annuity: Option<RawAnnuity>,
    /// Refund of a fraction of the price if the patient is not in `success_states` at `at_months`.
    #[serde(default)]
    pub refund: Option<RawRefund>,
    /// Payer spending on the product capped per year; the excess is repaid.
    #[serde(default)]
    pub annual_cap: Option<RawCap>,
    /// Volume cap over the horizon: `paid` patients paid for, then up to `free` doses supplied
    /// free by the manufacturer; demand beyond both is reported as unfunded.
    #[serde(default)]
    pub volume_cap: Option<RawVolumeCap>,
    /// Shares of each payment by payer (summing to 1).
    #[serde(default)]
    pub payers: Option<IndexMap<String, f64>>,
    /// (g) Payment by progression-free survival tiers instead of the price at treatment.
    #[serde(default)]
    pub pfs_tiers: Option<RawPfsTiers>,
    /// (g') Cohort-level outcome contract: each yearly cohort's payment follows the share of the
    /// cohort with the outcome at the assessment (binomial in a finite cohort), by tiers.
    #[serde(default)]
    pub cohort_contract: Option<RawCohortContract>,
    /// (d) Deferred outcome payment: a share at treatment, the rest at `at_months` for patients
    /// then in `if_in_states`.
    #[serde(default)]
    pub deferred: Option<RawDeferred>,
    /// (j) Price-volume agreement: yearly spend from the number of patients paid for.
    #[serde(default)]
    pub price_volume: Option<RawPriceVolume>,
    /// (o) DRG case payment for the treatment admission.
    #[serde(default)]
    pub drg: Option<RawDrg>,
    /// (j) Expenditure-triggered price cuts: when a year's spending on the product exceeds its
    /// forecast by a ratio, the next year's price is cut (cuts compound).
    #[serde(default)]
    pub price_cuts: Option<RawPriceCuts>,
    /// Income-tiered patient co-payment on each patient's payments (before the payer split).
    #[serde(default)]
    pub copay: Option<Vec<RawCopayTier>>,
    /// A special fund financed per insured person pays a share of the payments; its balance is
    /// carried over the years (needs `population.insured`).
    #[serde(default)]
    pub special_fund: Option<RawFund>,
    /// Layered benefit rules instead of shares: each layer in `order` pays part of what is left
    /// of each payment; the patient pays the remainder.
    #[serde(default)]
    pub waterfall: Option<RawWaterfall>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPfsTiers {
    /// Model states that count as progression-free (alive and not progressed).
    pub states: Vec<String>,
    /// Fraction of the price paid for patients who progress before the first cut-off.
    #[serde(default)]
    pub below_first: f64,
    /// Cut-offs in months with the fraction paid for patients progression-free at the cut-off
    /// (and not at the next one).
    pub tiers: Vec<RawPfsTier>,
    /// Pay the price at treatment and refund by tier (default: staged payments at the cut-offs).
    #[serde(default)]
    pub as_refunds: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCohortContract {
    /// Model states that count as the outcome (e.g. [progression_free]).
    #[schemars(with = "Vec<String>")]
    pub outcome_in_states: Vec<Spanned<String>>,
    /// Time of the assessment, months after treatment.
    pub at_months: f64,
    /// Cut-offs of the cohort's realised rate, increasing, each with the fraction of the price
    /// paid for a rate at or above it.
    pub tiers: Vec<RawCohortTier>,
    /// Fraction paid for a rate below the first cut-off (default 0).
    #[serde(default)]
    pub below: f64,
    /// Between cut-offs: `step` (the tier reached, the default) or `linear` interpolation.
    #[serde(default)]
    pub between: BetweenName,
    /// `refund` (the price at treatment, the shortfall refunded at the assessment; the default)
    /// or `at_assessment` (nothing at treatment, the fraction earned paid at the assessment).
    #[serde(default)]
    pub settlement: SettlementName,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCohortTier {
    pub at_least: f64,
    pub fraction: f64,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BetweenName {
    #[default]
    Step,
    Linear,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SettlementName {
    #[default]
    Refund,
    AtAssessment,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDeferred {
    /// Share of the price paid at treatment.
    pub upfront: f64,
    /// When the rest falls due, months after treatment.
    pub at_months: f64,
    /// The rest is paid for patients in these model states then.
    #[schemars(with = "Vec<String>")]
    pub if_in_states: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPfsTier {
    pub cutoff_months: f64,
    pub fraction: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPriceVolume {
    /// Tiers of yearly volume: patients up to `up_to` at `price` each.
    pub tiers: Vec<RawVolumeTier>,
    /// Price beyond the last tier.
    pub beyond: f64,
    /// Every unit at the price of the tier the total volume reaches (default: marginal tiers).
    #[serde(default)]
    pub all_units: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolumeTier {
    pub up_to: f64,
    pub price: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPriceCuts {
    /// Forecast spending on the product per year (one number, or one per year).
    #[schemars(with = "Vec<f64>")]
    pub forecast: Yearly,
    /// Steps: if spending / forecast is above `above`, the next price is cut by `cut`.
    pub steps: Vec<RawCutStep>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCutStep {
    pub above: f64,
    pub cut: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDrg {
    /// Currency per weight point.
    pub base_rate: f64,
    pub subgroups: Vec<RawDrgSubgroup>,
    /// Whether the therapy's price is inside the DRG bundle (then the fund pays only the case
    /// payment and the hospital bears the gap).
    pub inside_bundle: bool,
    /// Other costs of the admission per case (for the hospital's gap).
    #[serde(default)]
    pub other_case_costs: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDrgSubgroup {
    pub share: f64,
    pub weight: f64,
    #[serde(default = "one")]
    pub coefficient: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCopayTier {
    /// Share of patients in the income tier.
    pub share: f64,
    /// Co-payment rate on the price.
    pub rate: f64,
    /// Most a patient in the tier pays.
    #[serde(default)]
    pub ceiling: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFund {
    pub contribution_per_insured: f64,
    /// Share of the payments for the new option the fund pays.
    pub share_of_payments: f64,
    #[serde(default)]
    pub opening_balance: f64,
    #[serde(default)]
    pub interest: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWaterfall {
    /// Layers in the order they pay, e.g. [basic_insurance, critical_illness, city_commercial].
    #[schemars(with = "Vec<String>")]
    pub order: Vec<Spanned<String>>,
    /// Benefit rule of each layer.
    #[schemars(with = "IndexMap<String, RawLayer>")]
    pub layers: SpannedMap<Spanned<RawLayer>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    /// Share of the remaining amount within the layer's scope.
    pub in_scope: f64,
    #[serde(default)]
    pub deductible: f64,
    /// Reimbursement rate above the deductible.
    pub rate: f64,
    /// Most the layer pays per patient and year.
    #[serde(default)]
    pub cap: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolumeCap {
    pub paid: f64,
    #[serde(default)]
    pub free: f64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAnnuity {
    pub rate: f64,
    pub years: u32,
    /// First payment at treatment (annuity-due) rather than a year after.
    #[serde(default)]
    pub due: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRefund {
    pub fraction: f64,
    pub at_months: f64,
    pub success_states: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCap {
    pub amount: f64,
    /// The rebate of the excess is paid back in the same year (default) or the next.
    #[serde(default)]
    pub rebate_next_year: bool,
}

/// A validated budget file.
#[derive(Debug, Clone)]
pub struct BudgetSpec {
    pub title: String,
    pub model_path: PathBuf,
    pub horizon_years: u32,
    pub mid_year: bool,
    pub new_option: String,
    pub comparator: String,
    /// Strategies the treated patients would otherwise receive, with shares summing to 1.
    pub displaced: Vec<(String, f64)>,
    pub priced_categories: Vec<String>,
    pub price: f64,
    pub insured: Option<f64>,
    pub incident: Vec<f64>,
    pub prevalent_at_launch: f64,
    pub pool_mortality: f64,
    pub capacity: Vec<Option<f64>>,
    /// The budget holder's total spending by year, if given.
    pub fund_spending: Option<Vec<f64>>,
    pub uptake: hta_budget::uptake::Uptake,
    /// Market shares in both worlds, if the file gives them (then `displaced` is unused and
    /// `uptake` is the new option's share in the world with).
    pub market: Option<crate::budget_market::MarketSpec>,
    /// The model perspective the budget file names, if any.
    pub perspective: Option<String>,
    pub schemes: Vec<SchemeSpec>,
    /// Scenarios run beside the base case.
    pub scenarios: Vec<ScenarioSpec>,
    /// Distributions on budget inputs for a probabilistic budget impact.
    pub uncertainty: crate::budget_uncertainty::BudgetUncertainty,
    /// Regions of the `regions:` section (empty without one).
    pub regions: Vec<crate::budget_regions::RegionSpec>,
    /// Positions of names checked later against the model (strategy, category, state names).
    pub name_spans: Vec<(String, &'static str, miette::SourceSpan)>,
    pub source: Source,
}

/// A scenario: the base case's population and uptake with the scenario's changes applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    pub label: Option<String>,
    pub horizon_years: u32,
    pub incident: Vec<f64>,
    pub prevalent_at_launch: f64,
    pub capacity: Vec<Option<f64>>,
    pub uptake: hta_budget::uptake::Uptake,
}

/// One payer layer: (name, in-scope fraction, deductible, rate, cap per patient and year).
pub type LayerSpec = (String, f64, f64, f64, Option<f64>);

#[derive(Debug, Clone, PartialEq)]
pub struct SchemeSpec {
    pub name: String,
    pub label: Option<String>,
    pub discount: f64,
    pub earmark: f64,
    pub instalments: Option<Vec<f64>>,
    pub conditional_on: Option<Vec<String>>,
    pub annuity: Option<(f64, u32, bool)>,
    pub refund: Option<(f64, f64, Vec<String>)>,
    pub annual_cap: Option<(f64, bool)>,
    pub volume_cap: Option<(f64, f64)>,
    pub payers: Vec<(String, f64)>,
    /// Layers in paying order.
    pub waterfall: Option<Vec<LayerSpec>>,
    /// Income tiers: (share of patients, co-pay rate, ceiling).
    pub copay: Option<Vec<(f64, f64, Option<f64>)>>,
    /// Special fund: (contribution per insured, share of payments, opening balance, interest).
    pub special_fund: Option<(f64, f64, f64, f64)>,
    /// PFS tiers: (states, fraction below the first cut-off, [(cut-off months, fraction)], as refunds).
    pub pfs_tiers: Option<PfsTiersSpec>,
    /// Price-volume: ([(up to, price)], price beyond, all units).
    pub price_volume: Option<PriceVolumeSpec>,
    /// DRG: (base rate, [(share, weight, coefficient)], inside bundle, other case costs).
    pub drg: Option<DrgSpec>,
    /// Expenditure-triggered cuts: (forecast spending by year, [(ratio above, cut)]).
    pub price_cuts: Option<PriceCutsSpec>,
    pub cohort_contract: Option<CohortContractSpec>,
    /// (upfront share, months, states).
    pub deferred: Option<(f64, f64, Vec<String>)>,
}

/// A cohort contract as written: outcome states, months, tiers (cut-off, fraction) in
/// increasing order, the fraction below, linear between cut-offs, settled at the assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortContractSpec {
    pub states: Vec<String>,
    pub at_months: f64,
    pub tiers: Vec<(f64, f64)>,
    pub below: f64,
    pub linear: bool,
    pub at_assessment: bool,
}

/// (forecast spending by year, [(spending / forecast above, price cut)]).
pub type PriceCutsSpec = (Vec<f64>, Vec<(f64, f64)>);

/// (states, fraction below the first cut-off, [(cut-off months, fraction)], as refunds).
pub type PfsTiersSpec = (Vec<String>, f64, Vec<(f64, f64)>, bool);
/// ([(up to, price)], price beyond, all units).
pub type PriceVolumeSpec = (Vec<(f64, f64)>, f64, bool);
/// (base rate, [(share, weight, coefficient)], inside bundle, other case costs).
pub type DrgSpec = (f64, Vec<(f64, f64, f64)>, bool, f64);

/// Reads and validates a budget file.
pub fn load_budget(path: &Path) -> Result<BudgetSpec, Diagnostics> {
    let name = path.display().to_string();
    let text = crate::read_text_file(path, &name, "budget")?;
    let source = crate::diagnostic::source(&name, &text);
    let raw: RawBudgetFile = serde_saphyr::from_str_with_options(&text, crate::yaml_options())
        .map_err(|e| Diagnostics(vec![crate::yaml_error(&e, &source)]))?;
    let mut problems = Diagnostics::default();
    let spec = lower(&raw, path, &source, &mut problems);
    match spec {
        Some(spec) if !problems.has_errors() => Ok(spec),
        _ => Err(problems),
    }
}

/// Largest price per patient accepted (a trillion in any currency): beyond it a typo is likelier
/// than a price, and sums over patients and years could overflow.
pub const MAX_AMOUNT: f64 = 1e12;
/// Largest number of people in any population field.
pub const MAX_PEOPLE: f64 = 1e10;
/// Longest budget horizon, in years.
pub const MAX_BUDGET_YEARS: u32 = 100;

pub(crate) fn lower_uptake(raw: &RawUptake) -> hta_budget::uptake::Uptake {
    use hta_budget::uptake::Uptake;
    match raw {
        RawUptake::Linear { from, to, years } => Uptake::Linear { from: *from, to: *to, years: *years },
        RawUptake::Step { before, after, at } => Uptake::Step { before: *before, after: *after, at: *at },
        RawUptake::Saturating { max, k } => Uptake::Saturating { max: *max, k: *k },
        RawUptake::Logistic { max, k, midpoint } => Uptake::Logistic { max: *max, k: *k, midpoint: *midpoint },
        RawUptake::Table(v) => Uptake::Table(v.clone()),
    }
}

fn yearly(values: &[f64], years: u32) -> Vec<f64> {
    (0..years as usize).map(|i| values.get(i).or(values.last()).copied().unwrap_or(0.0)).collect()
}

fn lower(raw: &RawBudgetFile, path: &Path, source: &Source, problems: &mut Diagnostics) -> Option<BudgetSpec> {
    let b = &raw.budget;
    let mut error = |code: &'static str, at: &serde_saphyr::Location, message: String| {
        problems.push(Diagnostic::error(code, message).at(source, span_of(at), "here"));
    };
    if raw.format_version.value != 1 {
        error(
            "format-version",
            &raw.format_version.referenced,
            format!("format_version {} is not supported", raw.format_version.value),
        );
    }
    let years = b.horizon_years.value;
    if !(years.fract() == 0.0 && (1.0..=f64::from(MAX_BUDGET_YEARS)).contains(&years)) {
        error(
            "out-of-range",
            &b.horizon_years.referenced,
            format!("horizon_years must be a whole number from 1 to {MAX_BUDGET_YEARS}, found {years}"),
        );
        return None;
    }
    let years = years as u32;
    if !(b.price.value.is_finite() && (0.0..=MAX_AMOUNT).contains(&b.price.value)) {
        error(
            "out-of-range",
            &b.price.referenced,
            format!("the price must be a number from 0 to {MAX_AMOUNT:e}, found {}", b.price.value),
        );
    }
    let p = &b.population;
    // Patients: finite, non-negative and at most ten billion (more than the world's population).
    let bad = |v: &f64| !(v.is_finite() && (0.0..=MAX_PEOPLE).contains(v));
    if p.incident.value.0.is_empty() || p.incident.value.0.iter().any(bad) {
        error(
            "out-of-range",
            &p.incident.referenced,
            "incident patients must be numbers from 0 to 1e10 (one per year, or one for all years)".into(),
        );
    }
    let mut funnel = 1.0;
    for (step, fraction) in &p.funnel {
        if !(0.0..=1.0).contains(&fraction.value) {
            error(
                "probability",
                &fraction.referenced,
                format!("funnel step `{}` keeps a fraction in [0, 1], found {}", step.value, fraction.value),
            );
        }
        funnel *= fraction.value;
    }
    let prevalent = funnel * p.prevalent_at_launch.as_ref().map_or(0.0, |v| v.value);
    if let Some(v) = &p.prevalent_at_launch {
        if bad(&v.value) {
            error(
                "out-of-range",
                &v.referenced,
                format!("prevalent patients must be a number from 0 to 1e10, found {}", v.value),
            );
        }
    }
    let mortality = p.pool_mortality.as_ref().map_or(0.0, |v| v.value);
    if let Some(v) = &p.pool_mortality {
        if !(0.0..=1.0).contains(&v.value) {
            error(
                "probability",
                &v.referenced,
                format!("pool mortality is a probability in [0, 1], found {}", v.value),
            );
        }
    }
    if let Some(v) = &p.insured {
        if bad(&v.value) {
            error(
                "out-of-range",
                &v.referenced,
                format!("insured persons must be a number from 0 to 1e10, found {}", v.value),
            );
        }
    }
    if let Some(c) = &p.capacity {
        if c.value.0.is_empty() || c.value.0.iter().any(bad) {
            error("out-of-range", &c.referenced, "capacity must be numbers from 0 to 1e10".into());
        }
    }
    if let Some(f) = &p.fund_spending {
        if f.value.0.is_empty() || f.value.0.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            error("out-of-range", &f.referenced, "fund spending must be positive numbers".into());
        }
    }
    let mut name_spans = vec![
        (b.new_option.value.clone(), "strategy", span_of(&b.new_option.referenced)),
        (b.comparator.value.clone(), "strategy", span_of(&b.comparator.referenced)),
    ];
    let market = b
        .market
        .as_ref()
        .map(|m| crate::budget_market::lower(m, &b.new_option.value, source, problems, &mut name_spans));
    let uptake = match (&b.uptake, &market) {
        (Some(u), None) => {
            let uptake = lower_uptake(&u.value);
            if let Err(message) = uptake.check(years) {
                problems.push(
                    Diagnostic::error("out-of-range", format!("{message} (over the {years}-year horizon)")).at(
                        source,
                        span_of(&u.referenced),
                        "this uptake",
                    ),
                );
            }
            uptake
        }
        // The new option's share of the market in the world with it is its uptake.
        (None, Some(m)) => hta_budget::uptake::Uptake::Table(m.new_option.clone()),
        (Some(u), Some(_)) => {
            problems.push(
                Diagnostic::error("market", "`uptake:` and `market:` both say how many receive the new option")
                    .at(source, span_of(&u.referenced), "remove this")
                    .help("with `market:` the new option's share in the world with it is its uptake"),
            );
            hta_budget::uptake::Uptake::Table(vec![0.0])
        }
        (None, None) => {
            problems.push(
                Diagnostic::error("missing", "the budget says neither `uptake:` nor `market:`")
                    .at(source, span_of(&b.new_option.referenced), "for this new option")
                    .help("add `uptake:` (its share of the eligible patients by year) or `market:` (every option's shares in both worlds)"),
            );
            hta_budget::uptake::Uptake::Table(vec![0.0])
        }
    };
    if b.market.is_some() {
        let mut refuse = |at: &serde_saphyr::Location, what: &str| {
            problems.push(
                Diagnostic::error("market", format!("{what} does not apply with `market:`"))
                    .at(source, span_of(at), "remove this")
                    .help(
                        "market shares split each year's eligible patients between the options; nobody waits in a pool",
                    ),
            );
        };
        if let Some((k, _)) = b.displaced.iter().next() {
            refuse(&k.referenced, "`displaced:` (the market's shares say what the new option displaces)");
        }
        if let Some(c) = &p.capacity {
            refuse(&c.referenced, "`capacity:`");
        }
        if let Some(v) = &p.pool_mortality {
            refuse(&v.referenced, "`pool_mortality:`");
        }
        for (name, scenario) in &b.scenarios {
            if scenario.value.uptake.is_some() {
                refuse(&name.referenced, &format!("scenario `{}` changes the uptake, which", name.value));
            }
        }
        if let Some(u) = b.uncertainty.as_ref().and_then(|u| u.uptake_scale.as_ref()) {
            refuse(&u.referenced, "`uptake_scale` (a factor on the shares would break their sum)");
        }
    }
    let incident_for = |years: u32, scale: f64| -> Vec<f64> {
        yearly(&p.incident.value.0, years).into_iter().map(|n| n * funnel * scale).collect()
    };
    let capacity_for = |years: u32| -> Vec<Option<f64>> {
        p.capacity
            .as_ref()
            .map_or(vec![None; years as usize], |c| yearly(&c.value.0, years).into_iter().map(Some).collect())
    };
    let mut scenarios = Vec::new();
    for (name, scenario) in &b.scenarios {
        let sc = &scenario.value;
        let mut fail = |message: String| {
            problems.push(Diagnostic::error("scenario", format!("scenario `{}`: {message}", name.value)).at(
                source,
                span_of(&scenario.referenced),
                "this scenario",
            ));
        };
        let horizon = sc.horizon_years.unwrap_or(years as f64);
        if !(horizon.fract() == 0.0 && (1.0..=f64::from(MAX_BUDGET_YEARS)).contains(&horizon)) {
            fail(format!("horizon_years must be a whole number from 1 to {MAX_BUDGET_YEARS}, found {horizon}"));
            continue;
        }
        let scale = sc.population_scale.unwrap_or(1.0);
        if !(scale.is_finite() && scale >= 0.0) {
            fail(format!("population_scale must be a non-negative number, found {scale}"));
        }
        let uptake = sc.uptake.as_ref().map_or_else(|| uptake.clone(), lower_uptake);
        if let Err(message) = uptake.check(horizon as u32) {
            fail(message);
        }
        scenarios.push(ScenarioSpec {
            name: name.value.clone(),
            label: sc.label.clone(),
            horizon_years: horizon as u32,
            incident: incident_for(horizon as u32, scale),
            prevalent_at_launch: prevalent * scale,
            capacity: capacity_for(horizon as u32),
            uptake,
        });
    }
    let mut schemes = Vec::new();
    for (name, scheme) in &b.schemes {
        let s = &scheme.value;
        // Scheme names become file names (budget_by_payer_<scheme>): plain names only.
        if let Some(problem) = crate::names::naming_problem(&name.value) {
            problems.push(Diagnostic::error("invalid-name", format!("invalid scheme name: {problem}")).at(
                source,
                span_of(&name.referenced),
                "this name",
            ));
        }
        let mut check = |ok: bool, message: String| {
            if !ok {
                problems.push(Diagnostic::error("scheme", format!("scheme `{}`: {message}", name.value)).at(
                    source,
                    span_of(&scheme.referenced),
                    "this scheme",
                ));
            }
        };
        let fraction = |v: Option<f64>| v.is_none_or(|v| (0.0..=1.0).contains(&v));
        check(fraction(s.discount), "the discount must be a fraction in [0, 1]".into());
        check(fraction(s.earmark), "the earmark must be a fraction in [0, 1]".into());
        if let Some(f) = &s.instalments {
            let sum: f64 = f.iter().sum();
            check(
                !f.is_empty() && f.iter().all(|x| (0.0..=1.0).contains(x)) && (sum - 1.0).abs() < 1e-9,
                format!("instalment fractions must lie in [0, 1] and sum to 1, they sum to {sum}"),
            );
        }
        check(
            !(s.instalments.is_some() && s.annuity.is_some()),
            "give either instalments or an annuity, not both".into(),
        );
        check(
            s.instalments_conditional_on.is_none() || s.instalments.is_some(),
            "instalments_conditional_on needs instalments".into(),
        );
        if let Some(a) = &s.annuity {
            check(
                a.rate.is_finite() && a.rate > -1.0 && a.years >= 1 && a.years <= 100,
                "an annuity needs a rate above -1 and 1 to 100 years".into(),
            );
        }
        if let Some(r) = &s.refund {
            check(
                (0.0..=1.0).contains(&r.fraction) && r.at_months >= 0.0 && !r.success_states.is_empty(),
                "a refund needs a fraction in [0, 1], at_months >= 0 and success_states".into(),
            );
        }
        if let Some(v) = &s.volume_cap {
            check(
                v.paid.is_finite() && v.paid >= 0.0 && v.free.is_finite() && v.free >= 0.0,
                "a volume cap needs non-negative `paid` and `free`".into(),
            );
        }
        if let Some(c) = &s.annual_cap {
            check(c.amount.is_finite() && c.amount >= 0.0, "the annual cap must be a non-negative amount".into());
        }
        let mut extra: Vec<Diagnostic> = Vec::new();
        let mut waterfall = None;
        if let Some(w) = &s.waterfall {
            check(s.payers.is_none(), "give either `payers` shares or a `waterfall`, not both".into());
            let mut layers = Vec::new();
            for name in &w.order {
                match w.layers.iter().find(|(k, _)| k.value == name.value) {
                    Some((_, l)) => {
                        let ok = (0.0..=1.0).contains(&l.value.in_scope)
                            && (0.0..=1.0).contains(&l.value.rate)
                            && l.value.deductible >= 0.0
                            && l.value.cap.is_none_or(|c| c >= 0.0);
                        if !ok {
                            let message = format!("waterfall layer `{}`: in_scope and rate must lie in [0, 1], deductible and cap must be non-negative", name.value);
                            extra.push(Diagnostic::error("scheme", message).at(
                                source,
                                span_of(&l.referenced),
                                "this layer",
                            ));
                        }
                        layers.push((
                            name.value.clone(),
                            l.value.in_scope,
                            l.value.deductible,
                            l.value.rate,
                            l.value.cap,
                        ));
                    }
                    None => {
                        let known: Vec<&str> = w.layers.keys().map(|k| k.value.as_str()).collect();
                        let help = hta_model::suggest::closest(&name.value, known.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("layers: {}", known.join(", ")));
                        let message =
                            format!("the waterfall order names `{}`, which is not one of its layers", name.value);
                        extra.push(
                            Diagnostic::error("unknown-name", message)
                                .at(source, span_of(&name.referenced), "unknown payer")
                                .help(help),
                        );
                    }
                }
            }
            waterfall = Some(layers);
        }
        let payers: Vec<(String, f64)> = s
            .payers
            .as_ref()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_else(|| vec![("payer".to_string(), 1.0)]);
        let share_sum: f64 = payers.iter().map(|(_, v)| v).sum();
        check(
            payers.iter().all(|(_, v)| (0.0..=1.0).contains(v)) && (share_sum - 1.0).abs() < 1e-9,
            format!("payer shares must lie in [0, 1] and sum to 1, they sum to {share_sum}"),
        );
        if let Some(tiers) = &s.copay {
            let share: f64 = tiers.iter().map(|t| t.share).sum();
            let ok = tiers.iter().all(|t| {
                (0.0..=1.0).contains(&t.share) && (0.0..=1.0).contains(&t.rate) && t.ceiling.is_none_or(|c| c >= 0.0)
            });
            check(
                ok && (share - 1.0).abs() < 1e-9,
                format!(
                    "co-payment tiers need shares and rates in [0, 1] and shares summing to 1, they sum to {share}"
                ),
            );
        }
        if let Some(f) = &s.special_fund {
            let ok = f.contribution_per_insured >= 0.0
                && (0.0..=1.0).contains(&f.share_of_payments)
                && f.opening_balance.is_finite()
                && f.interest > -1.0;
            check(
                ok,
                "a special fund needs a non-negative contribution, a share of payments in [0, 1] and interest above -1"
                    .into(),
            );
            check(p.insured.is_some(), "a special fund needs `population.insured`".into());
        }
        let schedules = [
            s.instalments.is_some(),
            s.annuity.is_some(),
            s.pfs_tiers.is_some(),
            s.price_volume.is_some(),
            s.cohort_contract.is_some(),
            s.deferred.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        check(
            schedules <= 1,
            "give at most one of instalments, annuity, pfs_tiers, price_volume, cohort_contract and deferred".into(),
        );
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        let new_states = s.cohort_contract.iter().flat_map(|c| &c.outcome_in_states);
        name_spans.extend(
            new_states
                .chain(s.deferred.iter().flat_map(|d| &d.if_in_states))
                .map(|st| (st.value.clone(), "state", span_of(&st.referenced))),
        );
        if let Some(c) = &s.cohort_contract {
            check(!c.outcome_in_states.is_empty(), "cohort_contract needs `outcome_in_states`".into());
            check(
                c.at_months.is_finite() && c.at_months >= 0.0,
                format!("cohort_contract: `at_months` must be a number of months >= 0, found {}", c.at_months),
            );
            check(!c.tiers.is_empty(), "cohort_contract needs at least one tier".into());
            check(
                c.tiers.iter().all(|t| unit(t.at_least) && unit(t.fraction)) && unit(c.below),
                "cohort_contract: cut-offs (`at_least`), fractions and `below` must lie in [0, 1]".into(),
            );
            check(
                c.tiers.windows(2).all(|w| w[0].at_least < w[1].at_least),
                "cohort_contract: tiers must be in increasing order of `at_least`, each cut-off once".into(),
            );
            check(s.waterfall.is_none(), "cohort_contract: give `payers` shares, not a waterfall".into());
            check(
                s.refund.is_none(),
                "cohort_contract: give either a patient-level `refund` or a cohort contract".into(),
            );
        }
        if let Some(d) = &s.deferred {
            check(
                unit(d.upfront),
                format!("deferred: `upfront` is a share of the price in [0, 1], found {}", d.upfront),
            );
            check(
                d.at_months.is_finite() && d.at_months >= 0.0,
                format!("deferred: `at_months` must be a number of months >= 0, found {}", d.at_months),
            );
            check(!d.if_in_states.is_empty(), "deferred needs `if_in_states`".into());
        }
        if let Some(t) = &s.pfs_tiers {
            let unit = |x: f64| (0.0..=1.0).contains(&x);
            let ok = !t.states.is_empty()
                && !t.tiers.is_empty()
                && unit(t.below_first)
                && t.tiers.iter().all(|x| unit(x.fraction) && x.cutoff_months >= 0.0)
                && t.tiers.windows(2).all(|w| w[0].cutoff_months < w[1].cutoff_months);
            check(
                ok,
                "pfs_tiers needs `states`, at least one tier, fractions in [0, 1] and cut-offs (months, >= 0) strictly increasing".into(),
            );
        }
        if let Some(v) = &s.price_volume {
            let ok = !v.tiers.is_empty()
                && v.beyond >= 0.0
                && v.tiers.iter().all(|x| x.price >= 0.0 && x.up_to >= 0.0)
                && v.tiers.windows(2).all(|w| w[0].up_to < w[1].up_to);
            check(
                ok,
                "price_volume needs at least one tier, non-negative prices and `up_to` volumes strictly increasing"
                    .into(),
            );
        }
        if let Some(c) = &s.price_cuts {
            let ok = !c.forecast.0.is_empty()
                && c.forecast.0.iter().all(|f| f.is_finite() && *f > 0.0)
                && !c.steps.is_empty()
                && c.steps.iter().all(|x| x.above >= 0.0 && (0.0..=1.0).contains(&x.cut))
                && c.steps.windows(2).all(|w| w[0].above < w[1].above);
            check(
                ok,
                "price_cuts needs positive forecasts, steps with `above` (>= 0) strictly increasing and cuts in [0, 1]"
                    .into(),
            );
            check(s.price_volume.is_none(), "give either price_volume or price_cuts, not both".into());
        }
        if s.drg.as_ref().is_some_and(|d| d.inside_bundle) {
            // Inside the bundle the fund pays the case payment instead of the price, so nothing
            // that shapes or schedules the price can apply.
            let price_terms = [
                s.instalments.is_some(),
                s.annuity.is_some(),
                s.refund.is_some(),
                s.pfs_tiers.is_some(),
                s.price_volume.is_some(),
                s.price_cuts.is_some(),
                s.cohort_contract.is_some(),
                s.deferred.is_some(),
            ];
            check(
                !price_terms.contains(&true),
                "a DRG bundle replaces the price: give no instalments, annuity, refund, pfs_tiers, price_volume, price_cuts, cohort_contract or deferred with `inside_bundle: true`".into(),
            );
        }
        if let Some(d) = &s.drg {
            let share: f64 = d.subgroups.iter().map(|g| g.share).sum();
            let ok = d.base_rate >= 0.0
                && d.other_case_costs >= 0.0
                && !d.subgroups.is_empty()
                && d.subgroups
                    .iter()
                    .all(|g| (0.0..=1.0).contains(&g.share) && g.weight >= 0.0 && g.coefficient >= 0.0)
                && (share - 1.0).abs() < 1e-9;
            check(
                ok,
                format!("a DRG needs non-negative base rate, costs, weights and coefficients, and subgroup shares in [0, 1] summing to 1 (they sum to {share})"),
            );
        }
        problems.0.extend(extra);
        schemes.push(SchemeSpec {
            name: name.value.clone(),
            label: s.label.clone(),
            discount: s.discount.unwrap_or(0.0),
            earmark: s.earmark.unwrap_or(0.0),
            instalments: s.instalments.clone(),
            conditional_on: s.instalments_conditional_on.clone(),
            annuity: s.annuity.as_ref().map(|a| (a.rate, a.years, a.due)),
            refund: s.refund.as_ref().map(|r| (r.fraction, r.at_months, r.success_states.clone())),
            annual_cap: s.annual_cap.as_ref().map(|c| (c.amount, c.rebate_next_year)),
            volume_cap: s.volume_cap.as_ref().map(|v| (v.paid, v.free)),
            payers,
            waterfall,
            copay: s.copay.as_ref().map(|tiers| tiers.iter().map(|t| (t.share, t.rate, t.ceiling)).collect()),
            special_fund: s
                .special_fund
                .as_ref()
                .map(|f| (f.contribution_per_insured, f.share_of_payments, f.opening_balance, f.interest)),
            pfs_tiers: s.pfs_tiers.as_ref().map(|t| {
                (
                    t.states.clone(),
                    t.below_first,
                    t.tiers.iter().map(|x| (x.cutoff_months, x.fraction)).collect(),
                    t.as_refunds,
                )
            }),
            price_volume: s
                .price_volume
                .as_ref()
                .map(|v| (v.tiers.iter().map(|t| (t.up_to, t.price)).collect(), v.beyond, v.all_units)),
            price_cuts: s
                .price_cuts
                .as_ref()
                .map(|c| (yearly(&c.forecast.0, years), c.steps.iter().map(|x| (x.above, x.cut)).collect())),
            cohort_contract: s.cohort_contract.as_ref().map(|c| CohortContractSpec {
                states: c.outcome_in_states.iter().map(|st| st.value.clone()).collect(),
                at_months: c.at_months,
                tiers: c.tiers.iter().map(|t| (t.at_least, t.fraction)).collect(),
                below: c.below,
                linear: c.between == BetweenName::Linear,
                at_assessment: c.settlement == SettlementName::AtAssessment,
            }),
            deferred: s
                .deferred
                .as_ref()
                .map(|d| (d.upfront, d.at_months, d.if_in_states.iter().map(|st| st.value.clone()).collect())),
            drg: s.drg.as_ref().map(|d| {
                (
                    d.base_rate,
                    d.subgroups.iter().map(|g| (g.share, g.weight, g.coefficient)).collect(),
                    d.inside_bundle,
                    d.other_case_costs,
                )
            }),
        });
    }
    if schemes.is_empty() {
        problems.push(Diagnostic::error("missing", "the budget has no payment schemes").at(
            source,
            span_of(&b.price.referenced),
            "add `schemes:`",
        ));
    }
    let displaced: Vec<(String, f64)> = if b.displaced.is_empty() {
        vec![(b.comparator.value.clone(), 1.0)]
    } else {
        b.displaced.iter().map(|(k, v)| (k.value.clone(), v.value)).collect()
    };
    let displaced_sum: f64 = displaced.iter().map(|(_, v)| v).sum();
    if let Some((_, first)) = b.displaced.iter().next() {
        if displaced.iter().any(|(_, v)| !(0.0..=1.0).contains(v)) || (displaced_sum - 1.0).abs() > 1e-9 {
            problems.push(
                Diagnostic::error(
                    "shares",
                    format!("displaced shares must lie in [0, 1] and sum to 1, they sum to {displaced_sum}"),
                )
                .at(source, span_of(&first.referenced), "here"),
            );
        }
    }
    let base = path.parent().unwrap_or(Path::new("."));
    name_spans.extend(b.displaced.keys().map(|k| (k.value.clone(), "strategy", span_of(&k.referenced))));
    name_spans.extend(b.priced_categories.iter().map(|c| (c.value.clone(), "category", span_of(&c.referenced))));
    let uncertainty = b
        .uncertainty
        .as_ref()
        .map(|u| crate::budget_uncertainty::lower(u, years, source, problems))
        .unwrap_or_default();
    let mut spec = BudgetSpec {
        title: b.title.clone(),
        model_path: base.join(&b.model.value),
        horizon_years: years,
        mid_year: matches!(b.treatment_timing, TimingName::MidYear),
        new_option: b.new_option.value.clone(),
        comparator: b.comparator.value.clone(),
        displaced,
        priced_categories: b.priced_categories.iter().map(|c| c.value.clone()).collect(),
        price: b.price.value,
        insured: p.insured.as_ref().map(|v| v.value),
        incident: incident_for(years, 1.0),
        prevalent_at_launch: prevalent,
        pool_mortality: mortality,
        capacity: capacity_for(years),
        fund_spending: p.fund_spending.as_ref().map(|f| yearly(&f.value.0, years)),
        uptake,
        market,
        perspective: b.perspective.as_ref().map(|p| p.value.clone()),
        schemes,
        scenarios,
        uncertainty,
        regions: Vec::new(),
        name_spans,
        source: source.clone(),
    };
    spec.regions = crate::budget_regions::lower(&b.regions, &spec, funnel, source, problems);
    Some(spec)
}
