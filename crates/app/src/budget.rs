//! Budget impact of a budget file: load the file and the model it names (with overrides), run
//! the model, take per-patient costs from its states, and compose every payment scheme into a
//! yearly impact, for the base case and each scenario of the file. The price solver stays in
//! the command line for now.

use std::path::Path;

use hta_budget::cohort::TreatmentTiming;
use hta_budget::impact::{scheme_impact, BudgetInputs, OptionCosts, Scheme, SchemeImpact};
use hta_budget::market::{Market, MarketOption};
use hta_budget::population::Population;
use hta_markov::StrategyResult;
use hta_model::Model;
use hta_spec::budget::BudgetSpec;
use hta_spec::{Diagnostic, Loaded, Override};

use crate::Error;

/// A budget impact analysis.
pub struct BudgetAnalysis {
    pub spec: BudgetSpec,
    pub loaded: Loaded,
    pub results: Vec<StrategyResult>,
    /// Index of the new option and of the comparator among the model's strategies.
    pub new: usize,
    pub comparator: usize,
    pub inputs: BudgetInputs,
    /// One per scheme of the file, in file order.
    pub impacts: Vec<SchemeImpact>,
    /// The base case first, then each scenario of the file.
    pub scenarios: Vec<ScenarioResult>,
    /// Run-time warnings of the model run.
    pub warnings: Vec<String>,
}

/// Loads the budget file only (its diagnostics point into it).
pub fn load_spec(file: &Path) -> Result<BudgetSpec, Error> {
    hta_spec::budget::load_budget(file).map_err(Error::Invalid)
}

/// Runs the budget impact of `spec` on its model loaded with `set`.
pub fn analyse(spec: BudgetSpec, loaded: Loaded) -> Result<BudgetAnalysis, Error> {
    let model = &loaded.model;
    let (new, comparator) = check_names(&spec, model)?;
    let (results, warnings) = crate::simulate(&loaded)?;
    let inputs = inputs(&spec, model, &results[new], &results);
    let mut impacts = Vec::new();
    for s in &spec.schemes {
        let scheme = scheme(&spec, s, model, &results[new])?;
        let impact = scheme_impact(&inputs, &scheme).map_err(|e| Error::Model(format!("scheme `{}`: {e}", s.name)))?;
        let finite = impact.years.iter().all(|y| {
            [y.gross_payments, y.net_impact, y.cumulative_impact, y.care_with, y.care_without]
                .iter()
                .all(|v| v.is_finite())
        });
        if !finite {
            return Err(Error::Model(format!(
                "scheme `{}`: the budget impact overflows (amounts or populations too large); nothing was written",
                s.name
            )));
        }
        impacts.push(impact);
    }
    let scenarios = scenarios(&spec, &inputs, &impacts)?;
    Ok(BudgetAnalysis { spec, loaded, results, new, comparator, inputs, impacts, scenarios, warnings })
}

/// The overrides to load the budget's model with: `set`, and unless it names a perspective, the
/// budget file's perspective or else the first the model lists (budgets are the payer's; the
/// cost-effectiveness default `settings.perspective` does not apply to them).
pub fn model_overrides(spec: &BudgetSpec, set: &[Override]) -> Vec<Override> {
    model_overrides_with(spec, set, || hta_spec::perspectives_of(&spec.model_path))
}

/// As [`model_overrides`], with the model's perspectives known (a model already loaded:
/// `Model::perspectives`), so that its file is not read for them.
pub fn model_overrides_with(
    spec: &BudgetSpec,
    set: &[Override],
    perspectives: impl FnOnce() -> Vec<String>,
) -> Vec<Override> {
    let mut set = set.to_vec();
    if !set.iter().any(|o| o.name == "perspective") {
        let chosen = spec.perspective.clone().or_else(|| perspectives().into_iter().next());
        if let Some(value) = chosen {
            set.push(Override { name: "perspective".into(), value });
        }
    }
    set
}

/// Loads the budget file and its model (with `set`) and runs the analysis.
pub fn budget(file: &Path, set: &[Override]) -> Result<BudgetAnalysis, Error> {
    let spec = load_spec(file)?;
    let loaded = crate::load(&spec.model_path, &model_overrides(&spec, set))?;
    analyse(spec, loaded)
}

/// One scenario's results for every scheme: net impact over its horizon, committed after it,
/// and the largest yearly net impact.
pub struct ScenarioResult {
    pub name: String,
    pub label: Option<String>,
    pub horizon_years: u32,
    pub by_scheme: Vec<(f64, f64, f64)>,
}

pub fn summarise(name: &str, label: Option<String>, horizon_years: u32, impacts: &[SchemeImpact]) -> ScenarioResult {
    let by_scheme = impacts
        .iter()
        .map(|i| {
            let peak = i.years.iter().map(|y| y.net_impact).fold(f64::NEG_INFINITY, f64::max);
            (i.total_net_impact(), i.committed_after_horizon, peak)
        })
        .collect();
    ScenarioResult { name: name.to_string(), label, horizon_years, by_scheme }
}

/// The base case and every scenario of the budget file, each run with every scheme.
pub fn scenarios(
    spec: &BudgetSpec,
    base: &BudgetInputs,
    impacts: &[SchemeImpact],
) -> Result<Vec<ScenarioResult>, Error> {
    let mut results = vec![summarise("base", Some("Base case".into()), spec.horizon_years, impacts)];
    for sc in &spec.scenarios {
        let mut inputs = base.clone();
        inputs.years = sc.horizon_years;
        inputs.population.incident = sc.incident.clone();
        inputs.population.prevalent_at_launch = sc.prevalent_at_launch;
        inputs.population.capacity = sc.capacity.clone();
        inputs.uptake = sc.uptake.clone();
        let mut runs = Vec::with_capacity(impacts.len());
        for i in impacts {
            runs.push(
                scheme_impact(&inputs, &i.scheme)
                    .map_err(|e| Error::Model(format!("scenario `{}`, scheme `{}`: {e}", sc.name, i.scheme.name)))?,
            );
        }
        results.push(summarise(&sc.name, sc.label.clone(), sc.horizon_years, &runs));
    }
    Ok(results)
}

/// The strategies and categories the budget names must exist in the model; states in conditions
/// too. Problems point into the budget file.
pub fn check_names(spec: &BudgetSpec, model: &Model) -> Result<(usize, usize), Error> {
    let mut problems = Vec::new();
    for (name, kind, span) in &spec.name_spans {
        let (found, all): (bool, Vec<&str>) = match *kind {
            "strategy" => (
                model.strategies.iter().any(|s| &s.name == name),
                model.strategies.iter().map(|s| s.name.as_str()).collect(),
            ),
            "state" => {
                (model.states.iter().any(|s| &s.name == name), model.states.iter().map(|s| s.name.as_str()).collect())
            }
            _ => (model.categories.iter().any(|c| c == name), model.categories.iter().map(String::as_str).collect()),
        };
        if !found {
            let help = hta_model::suggest::closest(name, all.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("the model has: {}", all.join(", ")));
            problems.push(
                Diagnostic::error("unknown-name", format!("the model has no {kind} `{name}`"))
                    .at(&spec.source, *span, kind.to_string())
                    .help(help),
            );
        }
    }
    for s in &spec.schemes {
        let states = s
            .conditional_on
            .iter()
            .flatten()
            .chain(s.refund.iter().flat_map(|r| r.2.iter()))
            .chain(s.pfs_tiers.iter().flat_map(|t| t.0.iter()));
        for state in states {
            if !model.states.iter().any(|m| &m.name == state) {
                problems.push(Diagnostic::error(
                    "unknown-name",
                    format!("scheme `{}`: the model has no state `{state}`", s.name),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(hta_spec::Diagnostics(problems)));
    }
    let index = |name: &str| model.strategies.iter().position(|s| s.name == name).unwrap_or(0);
    Ok((index(&spec.new_option), index(&spec.comparator)))
}

/// Per-patient costs of a strategy from its run: at treatment (cycle 0) and by model year
/// (cycles grouped by the year their start falls in), undiscounted, leaving out `excluded`.
pub fn option_costs(model: &Model, r: &StrategyResult, excluded: &[String]) -> OptionCosts {
    let kept: Vec<usize> = (0..r.layout.n_categories).filter(|c| !excluded.contains(&model.categories[*c])).collect();
    category_costs(model, r, &kept)
}

/// Per-patient costs of the categories `kept` (indices into the model's categories).
pub fn category_costs(model: &Model, r: &StrategyResult, kept: &[usize]) -> OptionCosts {
    let width = r.layout.width();
    let row_cost = |k: usize| kept.iter().map(|c| r.undiscounted[k * width + c]).sum::<f64>();
    let l = model.settings.cycle_years;
    let n_years = ((r.n_cycles as f64 * l) - 1e-9).ceil().max(1.0) as usize;
    let mut by_model_year = vec![0.0; n_years];
    for k in 1..=r.n_cycles {
        let year = (((k - 1) as f64 * l) + 1e-9).floor() as usize;
        if let Some(slot) = by_model_year.get_mut(year) {
            *slot += row_cost(k);
        }
    }
    OptionCosts { one_off: row_cost(0), by_model_year }
}

/// Occupancy of `states` at `t` years (the nearest cycle boundary).
pub fn occupancy_at(model: &Model, r: &StrategyResult, states: &[String], t: f64) -> f64 {
    let k = ((t / model.settings.cycle_years).round() as usize).min(r.n_cycles);
    model.states.iter().enumerate().filter(|(_, s)| states.contains(&s.name)).map(|(i, _)| r.occupancy(k)[i]).sum()
}

/// The world without: the displaced strategies' per-patient costs, weighted by their shares.
pub fn displaced_costs(spec: &BudgetSpec, model: &Model, results: &[StrategyResult], kept: &[usize]) -> OptionCosts {
    let mut mix = OptionCosts::default();
    for (name, share) in &spec.displaced {
        let Some(k) = model.strategies.iter().position(|s| &s.name == name) else { continue };
        let costs = category_costs(model, &results[k], kept);
        mix.one_off += share * costs.one_off;
        if mix.by_model_year.len() < costs.by_model_year.len() {
            mix.by_model_year.resize(costs.by_model_year.len(), 0.0);
        }
        for (slot, c) in mix.by_model_year.iter_mut().zip(&costs.by_model_year) {
            *slot += share * c;
        }
    }
    mix
}

pub fn inputs(spec: &BudgetSpec, model: &Model, new: &StrategyResult, results: &[StrategyResult]) -> BudgetInputs {
    let all: Vec<usize> = (0..model.categories.len()).collect();
    BudgetInputs {
        years: spec.horizon_years,
        timing: if spec.mid_year { TreatmentTiming::MidYear } else { TreatmentTiming::StartOfYear },
        population: Population {
            incident: spec.incident.clone(),
            prevalent_at_launch: spec.prevalent_at_launch,
            pool_mortality: spec.pool_mortality,
            capacity: spec.capacity.clone(),
        },
        uptake: spec.uptake.clone(),
        new_option: option_costs(model, new, &spec.priced_categories),
        comparator: displaced_costs(spec, model, results, &all),
        discount_rate: model.settings.discount.costs,
        insured: spec.insured,
        categories: model
            .categories
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let with = if spec.priced_categories.contains(name) { vec![] } else { vec![c] };
                (name.clone(), category_costs(model, new, &with), displaced_costs(spec, model, results, &[c]))
            })
            .collect(),
        market: spec.market.as_ref().map(|m| market(m, model, results)),
    }
}

/// The market of the file: each option other than the new one with its full model costs (all
/// categories, and each category alone) and its shares in both worlds.
fn market(spec: &hta_spec::budget_market::MarketSpec, model: &Model, results: &[StrategyResult]) -> Market {
    let all: Vec<usize> = (0..model.categories.len()).collect();
    let options = spec
        .options
        .iter()
        .filter_map(|(name, without, with)| {
            let k = model.strategies.iter().position(|s| &s.name == name)?;
            Some(MarketOption {
                name: name.clone(),
                costs: category_costs(model, &results[k], &all),
                by_category: (0..model.categories.len()).map(|c| category_costs(model, &results[k], &[c])).collect(),
                without: without.clone(),
                with: with.clone(),
            })
        })
        .collect();
    Market { options, new_option_with: spec.new_option.clone() }
}

pub fn scheme(
    spec: &BudgetSpec,
    s: &hta_spec::budget::SchemeSpec,
    model: &Model,
    new: &StrategyResult,
) -> Result<Scheme, Error> {
    let n_offsets = s.instalments.as_ref().map_or(0, Vec::len).max(s.annuity.map_or(0, |a| a.1 as usize + 1));
    let due_probability = s.conditional_on.as_ref().map(|states| {
        (0..n_offsets.max(1))
            .map(|tau| if tau == 0 { 1.0 } else { occupancy_at(model, new, states, tau as f64) })
            .collect()
    });
    let refund = s.refund.as_ref().map(|(fraction, months, success)| {
        (*fraction, *months, 1.0 - occupancy_at(model, new, success, months / 12.0))
    });
    let invalid = |e: hta_budget::payment::PaymentError| Error::Model(format!("scheme `{}`: {e}", s.name));
    // PFS tiers: survival at each cut-off is the new option's occupancy of the progression-free
    // states (death and progression both count as events).
    let pfs_tiers = match &s.pfs_tiers {
        Some((states, below, tiers, as_refunds)) => {
            let tiers = tiers
                .iter()
                .map(|(months, fraction)| hta_budget::payment::PfsTier {
                    cutoff_months: *months,
                    pfs_survival_at_cutoff: occupancy_at(model, new, states, months / 12.0),
                    fraction_paid: *fraction,
                })
                .collect();
            Some((hta_budget::payment::PfsTieredPayment::new(*below, tiers).map_err(invalid)?, *as_refunds))
        }
        None => None,
    };
    let price_volume = match &s.price_volume {
        Some((tiers, beyond, all_units)) => {
            let tiers = tiers
                .iter()
                .map(|(up_to, price)| hta_budget::payment::VolumeTier { up_to_volume: *up_to, unit_price: *price })
                .collect();
            Some((hta_budget::payment::PriceVolumeTiers::new(tiers, *beyond).map_err(invalid)?, *all_units))
        }
        None => None,
    };
    let drg = match &s.drg {
        Some((base_rate, subgroups, inside, other)) => {
            let subgroups: Vec<_> = subgroups
                .iter()
                .map(|(share, weight, k)| hta_budget::payment::DrgSubgroup {
                    share_of_cases: *share,
                    relative_weight: *weight,
                    adjustment_coefficient: *k,
                })
                .collect();
            let case = hta_budget::payment::expected_drg_case_payment(*base_rate, &subgroups).map_err(invalid)?;
            Some((case, *inside, *other))
        }
        None => None,
    };
    let price_cuts = match &s.price_cuts {
        Some((forecast, steps)) => {
            let steps = steps
                .iter()
                .map(|(above, cut)| hta_budget::payment::CutStep { spend_over_forecast_above: *above, price_cut: *cut })
                .collect();
            Some((hta_budget::payment::ExpenditureTriggeredCuts::new(steps).map_err(invalid)?, forecast.clone()))
        }
        None => None,
    };
    // A cohort contract: p is the new option's occupancy of the outcome states at the assessment.
    let cohort_outcome = match &s.cohort_contract {
        Some(c) => {
            use hta_budget::payment::{Between, CohortOutcomeContract, CohortOutcomeTerms, CohortTier, Settlement};
            let tiers = c.tiers.iter().map(|&(at_least, fraction)| CohortTier { at_least, fraction }).collect();
            let between = if c.linear { Between::Linear } else { Between::Step };
            Some(CohortOutcomeTerms {
                contract: CohortOutcomeContract::new(tiers, c.below, between).map_err(invalid)?,
                probability: occupancy_at(model, new, &c.states, c.at_months / 12.0),
                at_months: c.at_months,
                settlement: if c.at_assessment { Settlement::AtAssessment } else { Settlement::Refund },
                draw_seed: None,
            })
        }
        None => None,
    };
    let deferred = s
        .deferred
        .as_ref()
        .map(|(upfront, months, states)| (*upfront, *months, occupancy_at(model, new, states, months / 12.0)));
    Ok(Scheme {
        cohort_outcome,
        deferred,
        price_cuts,
        pfs_tiers,
        price_volume,
        drg,
        name: s.name.clone(),
        label: s.label.clone(),
        list_price: spec.price,
        discount: s.discount,
        earmark: s.earmark,
        instalments: s.instalments.clone(),
        due_probability,
        annuity: s.annuity.map(|(rate, years, due)| (rate, years as usize, due)),
        refund,
        annual_cap: s.annual_cap,
        volume_cap: s.volume_cap,
        payers: s.payers.clone(),
        waterfall: s.waterfall.as_ref().map(|layers| {
            layers
                .iter()
                .map(|(name, in_scope, deductible, rate, cap)| hta_budget::payment::WaterfallLayer {
                    name: name.clone(),
                    in_scope_fraction: *in_scope,
                    deductible: *deductible,
                    rate: *rate,
                    cap: *cap,
                })
                .collect()
        }),
        copay: s.copay.as_ref().map(|tiers| {
            tiers
                .iter()
                .map(|(share, rate, ceiling)| hta_budget::payment::IncomeTier {
                    share_of_patients: *share,
                    copay_rate: *rate,
                    copay_ceiling: *ceiling,
                })
                .collect()
        }),
        special_fund: s.special_fund,
    })
}
