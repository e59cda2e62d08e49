//! Probabilistic budget impact (`hta budget FILE --draws N --seed S`): the budget of every PSA
//! draw of the model, with the budget file's own uncertain inputs (population, uptake, price)
//! drawn beside it, summarised per scheme and year. Draw k of the model is the same parameter
//! set as draw k of `hta psa` with the same seed; the budget inputs of draw k come from a
//! separate stream of the same seed, so adding them leaves the model's draws unchanged. Every
//! draw depends only on (seed, k): results are identical for any thread count and any split of
//! the draws into shards.

use hta_budget::impact::{scheme_impact, BudgetInputs, SchemeImpact};
use hta_budget::uptake::Uptake;
use hta_markov::StrategyResult;
use hta_sensitivity::{ExternalDraws, Sampler};
use rayon::prelude::*;

use crate::budget::BudgetAnalysis;
use crate::{Error, Progress};

/// Added to the seed for the stream of the budget inputs (the model's draws use the seed itself).
const BUDGET_STREAM_SALT: u64 = 0x6275_6467_6574_0001;

/// Added to the seed for the streams of cohort contracts' binomial outcomes.
const COHORT_STREAM_SALT: u64 = 0x6275_6467_6574_0002;

/// Draws run in parallel chunks of this many, collected in draw order.
const CHUNK_DRAWS: u64 = 1024;

/// What to draw.
#[derive(Debug, Clone)]
pub struct BudgetPsaOptions {
    pub seed: u64,
    pub first_draw: u64,
    pub draws: u64,
    /// Worker threads; `None` for rayon's default, `Some(0)` for one per core.
    pub threads: Option<usize>,
    /// Parameter values per draw that replace sampled ones, with the name of their file.
    pub external: Option<(String, ExternalDraws)>,
}

impl BudgetPsaOptions {
    pub fn new(draws: u64, seed: u64) -> BudgetPsaOptions {
        BudgetPsaOptions { seed, first_draw: 0, draws, threads: None, external: None }
    }
}

/// Every draw's budget, per scheme: arrays are draw-major, then scheme, then year.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetDraws {
    pub draws: Vec<u64>,
    pub schemes: Vec<String>,
    pub years: usize,
    /// Names of the budget inputs drawn (as in the file's `uncertainty:`), and their values
    /// per draw (draw-major).
    pub inputs: Vec<&'static str>,
    pub input_values: Vec<f64>,
    /// Net budget impact by draw, scheme and year.
    pub net: Vec<f64>,
    /// Payments for the new option before any expenditure-cap rebate, by draw, scheme and year.
    pub gross: Vec<f64>,
    /// Over the horizon, by draw and scheme: what the budget holders bear (net impact less the
    /// manufacturer's and the patients' shares of the payments) and what the manufacturer
    /// receives (payments net of rebates less its own share).
    pub payer_net_cost: Vec<f64>,
    pub manufacturer_revenue: Vec<f64>,
}

impl BudgetDraws {
    pub fn n_draws(&self) -> usize {
        self.draws.len()
    }

    /// Net impact of draw index `d` (0-based position), scheme `s`, year index `y`.
    pub fn net_at(&self, d: usize, s: usize, y: usize) -> f64 {
        self.net[(d * self.schemes.len() + s) * self.years + y]
    }

    /// Appends the draws of `other` (a later shard of the same run).
    pub fn append(&mut self, other: BudgetDraws) {
        self.draws.extend(other.draws);
        self.input_values.extend(other.input_values);
        self.net.extend(other.net);
        self.gross.extend(other.gross);
        self.payer_net_cost.extend(other.payer_net_cost);
        self.manufacturer_revenue.extend(other.manufacturer_revenue);
    }
}

/// The budget inputs of one draw: factors on the population, the uptake and the price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputFactors {
    pub population: f64,
    pub uptake: f64,
    pub price: f64,
}

impl Default for InputFactors {
    fn default() -> Self {
        InputFactors { population: 1.0, uptake: 1.0, price: 1.0 }
    }
}

/// The budget of one draw: the model's results for the draw's parameter set and the draw's
/// input factors, composed with every scheme of the analysis (as the deterministic budget is).
/// With `draw` = Some((seed, k)), cohort contracts settle each cohort at a realised binomial
/// outcome drawn from a stream of (seed, k, scheme); with None at its expected fraction.
pub fn draw_impacts(
    analysis: &BudgetAnalysis,
    results: &[StrategyResult],
    factors: InputFactors,
    draw: Option<(u64, u64)>,
) -> Result<Vec<SchemeImpact>, String> {
    let spec = &analysis.spec;
    let model = &analysis.loaded.model;
    let mut inputs: BudgetInputs = crate::budget::inputs(spec, model, &results[analysis.new], results);
    if factors.population != 1.0 {
        inputs.population.incident.iter_mut().for_each(|n| *n *= factors.population);
        inputs.population.prevalent_at_launch *= factors.population;
    }
    if factors.uptake != 1.0 {
        let shares: Vec<f64> = (1..=inputs.years).map(|y| inputs.uptake.share(y) * factors.uptake).collect();
        if let Some((y, share)) = shares.iter().enumerate().find(|(_, s)| **s > 1.0) {
            return Err(format!(
                "uptake × uptake_scale = {share} in year {} (uptake_scale {}), above 1",
                y + 1,
                factors.uptake
            ));
        }
        inputs.uptake = Uptake::Table(shares);
    }
    let mut impacts = Vec::with_capacity(spec.schemes.len());
    let mut cohort_seeds = draw.map(|(seed, k)| Sampler::stream(seed.wrapping_add(COHORT_STREAM_SALT), k));
    for s in &spec.schemes {
        let mut scheme = crate::budget::scheme(spec, s, model, &results[analysis.new]).map_err(|e| format!("{e:?}"))?;
        // One seed per scheme, in file order, whether or not it has a cohort contract.
        let scheme_seed = cohort_seeds.as_mut().map(rand::Rng::next_u64);
        if let Some(terms) = &mut scheme.cohort_outcome {
            terms.draw_seed = scheme_seed;
        }
        if factors.price != 1.0 {
            scheme.list_price *= factors.price;
            if let Some((tiers, _)) = &mut scheme.price_volume {
                *tiers = tiers.scaled(factors.price).map_err(|e| format!("scheme `{}`: {e}", s.name))?;
            }
        }
        let impact = scheme_impact(&inputs, &scheme).map_err(|e| format!("scheme `{}`: {e}", s.name))?;
        impacts.push(impact);
    }
    Ok(impacts)
}

/// One draw: its model results, its budget per scheme, flattened.
struct DrawRow {
    inputs: Vec<f64>,
    net: Vec<f64>,
    gross: Vec<f64>,
    payer_net_cost: Vec<f64>,
    manufacturer_revenue: Vec<f64>,
}

fn flatten(impacts: &[SchemeImpact], years: usize, inputs: Vec<f64>) -> DrawRow {
    let mut row = DrawRow {
        inputs,
        net: Vec::with_capacity(impacts.len() * years),
        gross: Vec::with_capacity(impacts.len() * years),
        payer_net_cost: Vec::with_capacity(impacts.len()),
        manufacturer_revenue: Vec::with_capacity(impacts.len()),
    };
    for i in impacts {
        let paid: f64 = i.years.iter().map(|y| y.gross_payments - y.rebates).sum();
        row.net.extend(i.years.iter().map(|y| y.net_impact));
        row.gross.extend(i.years.iter().map(|y| y.gross_payments));
        row.payer_net_cost.push(i.payers_net_cost());
        row.manufacturer_revenue.push(paid - i.paid_by("manufacturer"));
    }
    row
}

/// Draws the budget inputs of draw `index` (factors of 1 for inputs without a distribution).
pub fn input_factors(analysis: &BudgetAnalysis, seed: u64, index: u64) -> (InputFactors, Vec<f64>) {
    let u = &analysis.spec.uncertainty;
    let mut rng = Sampler::stream(seed.wrapping_add(BUDGET_STREAM_SALT), index);
    let mut draw = |d: &Option<hta_model::Distribution>| -> Option<f64> {
        let d = d.filter(|d| *d != hta_model::Distribution::Fixed)?;
        // A probability in the open interval (0, 1), where every quantile function is finite.
        let bits: u64 = rand::RngExt::random(&mut rng);
        let p = ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        Some(hta_sensitivity::quantile::quantile(&d, p))
    };
    let population = draw(&u.population_scale);
    let uptake = draw(&u.uptake_scale);
    let price = draw(&u.price_scale);
    let values = [population, uptake, price].into_iter().flatten().collect();
    let factors = InputFactors {
        population: population.unwrap_or(1.0),
        uptake: uptake.unwrap_or(1.0),
        price: price.unwrap_or(1.0),
    };
    (factors, values)
}

/// Runs the draws `first_draw .. first_draw + draws` of the budget, in draw order whatever the
/// number of threads. A draw that fails its run-time checks stops the run with its number.
pub fn run(
    analysis: &BudgetAnalysis,
    options: &BudgetPsaOptions,
    progress: Option<Progress>,
) -> Result<BudgetDraws, Error> {
    if options.draws == 0 {
        return Err(Error::Usage("--draws 0: a probabilistic budget needs at least 1 draw".into()));
    }
    hta_sensitivity::check_draws(options.first_draw, options.draws).map_err(|e| Error::Usage(e.to_string()))?;
    let loaded = &analysis.loaded;
    let model = &loaded.model;
    let sampler = crate::psa::sampler_for(model, options.external.as_ref(), options.first_draw, options.draws)?;
    if sampler.is_empty() && analysis.spec.uncertainty.sampled().is_empty() {
        return Err(Error::Usage(
            "nothing to sample: the model has no parameter with a `distribution` and the budget file no `uncertainty:` distribution".into(),
        ));
    }
    let runner = hta_sensitivity::Evaluator::new(model);
    let years = analysis.spec.horizon_years as usize;
    let pool = crate::psa::thread_pool(options.threads)?;
    let mut out = BudgetDraws {
        draws: Vec::new(),
        schemes: analysis.spec.schemes.iter().map(|s| s.name.clone()).collect(),
        years,
        inputs: analysis.spec.uncertainty.sampled().into_iter().map(|(name, _)| name).collect(),
        input_values: Vec::new(),
        net: Vec::new(),
        gross: Vec::new(),
        payer_net_cost: Vec::new(),
        manufacturer_revenue: Vec::new(),
    };
    let end = options.first_draw + options.draws;
    let mut start = options.first_draw;
    while start < end {
        let stop = start.saturating_add(CHUNK_DRAWS).min(end);
        let rows: Vec<Result<DrawRow, Error>> = pool.install(|| {
            (start..stop)
                .into_par_iter()
                .map_init(Vec::new, |pins, draw| {
                    sampler.draw(options.seed, draw, pins);
                    let results = runner.results(pins).map_err(|errors| {
                        let values: Vec<String> =
                            pins.iter().map(|(p, v)| format!("{} = {v}", model.parameters[p.index()].name)).collect();
                        Error::run(loaded, &errors).with_context(format!(
                            "error: draw {draw} failed its run-time checks with {}",
                            values.join(", ")
                        ))
                    })?;
                    let (factors, values) = input_factors(analysis, options.seed, draw);
                    let impacts = draw_impacts(analysis, &results, factors, Some((options.seed, draw)))
                        .map_err(|e| Error::Model(format!("draw {draw}: {e}")))?;
                    if let Some(tick) = progress {
                        tick();
                    }
                    Ok(flatten(&impacts, years, values))
                })
                .collect()
        });
        for (draw, row) in (start..stop).zip(rows) {
            let row = row?;
            if let Some(bad) = row.net.iter().chain(&row.payer_net_cost).find(|v| !v.is_finite()) {
                return Err(Error::Model(format!(
                    "draw {draw}: the budget impact is not a finite number ({bad}); nothing was written"
                )));
            }
            out.draws.push(draw);
            out.input_values.extend(row.inputs);
            out.net.extend(row.net);
            out.gross.extend(row.gross);
            out.payer_net_cost.extend(row.payer_net_cost);
            out.manufacturer_revenue.extend(row.manufacturer_revenue);
        }
        start = stop;
    }
    Ok(out)
}

/// Mean and the 2.5, 50 and 97.5 percentiles (type 7, as everywhere in the toolkit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub p2_5: f64,
    pub p50: f64,
    pub p97_5: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let q = |p: f64| hta_analysis::psa::quantile(values, p).unwrap_or(f64::NAN);
        let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
        Spread { mean, p2_5: q(0.025), p50: q(0.5), p97_5: q(0.975) }
    }
}

/// One scheme's summary over the draws.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemeUncertainty {
    pub scheme: String,
    /// By year: net impact and cumulative net impact.
    pub net: Vec<Spread>,
    pub cumulative: Vec<Spread>,
    /// By year: share of draws whose net impact exceeds the annual budget (if one is given).
    pub p_over_budget: Option<Vec<f64>>,
    /// Share of draws exceeding the annual budget in at least one year.
    pub p_over_budget_any_year: Option<f64>,
    /// By year: share of draws whose payments before rebates exceed the scheme's annual cap (the
    /// cap binds), if the scheme has one.
    pub p_cap_binds: Option<Vec<f64>>,
    pub p_cap_binds_any_year: Option<f64>,
    pub payer_net_cost: Spread,
    pub manufacturer_revenue: Spread,
}

/// Summarises the draws per scheme; `annual_budget` by year (from the budget file or the
/// command line) and each scheme's cap from `analysis`.
pub fn summarise(
    analysis: &BudgetAnalysis,
    draws: &BudgetDraws,
    annual_budget: Option<&[f64]>,
) -> Vec<SchemeUncertainty> {
    let (n, years, n_schemes) = (draws.n_draws(), draws.years, draws.schemes.len());
    let share = |count: usize| count as f64 / n.max(1) as f64;
    (0..n_schemes)
        .map(|s| {
            let at = |values: &[f64], d: usize, y: usize| values[(d * n_schemes + s) * years + y];
            let series = |values: &[f64], y: usize| -> Vec<f64> { (0..n).map(|d| at(values, d, y)).collect() };
            let cumulative_of = |d: usize, y: usize| (0..=y).map(|t| at(&draws.net, d, t)).sum::<f64>();
            let net: Vec<Spread> = (0..years).map(|y| Spread::of(&series(&draws.net, y))).collect();
            let cumulative: Vec<Spread> =
                (0..years).map(|y| Spread::of(&(0..n).map(|d| cumulative_of(d, y)).collect::<Vec<_>>())).collect();
            let exceed = |limit: &dyn Fn(usize) -> f64, values: &[f64]| -> (Vec<f64>, f64) {
                let by_year =
                    (0..years).map(|y| share((0..n).filter(|&d| at(values, d, y) > limit(y)).count())).collect();
                let any = share((0..n).filter(|&d| (0..years).any(|y| at(values, d, y) > limit(y))).count());
                (by_year, any)
            };
            let budget =
                annual_budget.map(|b| exceed(&|y| b.get(y).or(b.last()).copied().unwrap_or(f64::INFINITY), &draws.net));
            let cap = analysis
                .impacts
                .get(s)
                .and_then(|i| i.scheme.annual_cap)
                .map(|(cap, _)| exceed(&|_| cap, &draws.gross));
            let column = |values: &[f64]| -> Vec<f64> { (0..n).map(|d| values[d * n_schemes + s]).collect() };
            SchemeUncertainty {
                scheme: draws.schemes[s].clone(),
                net,
                cumulative,
                p_over_budget: budget.as_ref().map(|b| b.0.clone()),
                p_over_budget_any_year: budget.map(|b| b.1),
                p_cap_binds: cap.as_ref().map(|c| c.0.clone()),
                p_cap_binds_any_year: cap.map(|c| c.1),
                payer_net_cost: Spread::of(&column(&draws.payer_net_cost)),
                manufacturer_revenue: Spread::of(&column(&draws.manufacturer_revenue)),
            }
        })
        .collect()
}
