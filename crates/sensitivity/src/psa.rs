//! Probabilistic sensitivity analysis: draws `first..first + n` of the model's uncertain
//! parameters, each evaluated independently and in parallel (rayon), collected in draw order.
//! Draw i depends only on (seed, i): the same numbers for any thread count, and shards of draw
//! ranges concatenate to the single run. Outcomes are held as columns the summaries borrow
//! ([`PsaRun::matrices`]); sampled values only for the parameters asked for ([`SampledValues`]).

use rayon::prelude::*;

use hta_markov::RunErrors;
use hta_model::ParamId;

use crate::engine::{Evaluator, Outcome};
use crate::sample::Sampler;
use crate::sampled::{positions, SampledValues};

/// What to do with a draw that fails the model's run-time checks (e.g. a row that no longer
/// sums to 1 with the sampled values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Stop the analysis and report the first failing draw.
    Stop,
    /// Leave the draw out and count it.
    Skip,
}

impl OnInvalid {
    pub fn name(self) -> &'static str {
        match self {
            OnInvalid::Stop => "stop",
            OnInvalid::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PsaSettings {
    pub seed: u64,
    /// First draw number (for shards).
    pub first_draw: u64,
    pub draws: u64,
    pub on_invalid: OnInvalid,
}

/// Per-draw results, in draw order.
#[derive(Debug, Clone)]
pub struct PsaRun {
    pub n_strategies: usize,
    /// Draw numbers kept.
    pub draws: Vec<u64>,
    /// Discounted costs, `draws x strategies`, row-major.
    pub cost: Vec<f64>,
    /// Discounted QALYs, as `cost`.
    pub qaly: Vec<f64>,
    /// Discounted life-years, as `cost`.
    pub ly: Vec<f64>,
    /// Sampled parameters (the columns of `sampled`).
    pub params: Vec<ParamId>,
    /// Sampled values of the kept draws, held or drawn again ([`PsaRun::values`]).
    pub sampled: SampledValues,
    /// Draws left out under [`OnInvalid::Skip`], with their problems.
    pub skipped: Vec<(u64, RunErrors)>,
}

/// Equal runs have the same draws, outcomes and sampled values (held or drawn again).
impl PartialEq for PsaRun {
    fn eq(&self, other: &PsaRun) -> bool {
        self.n_strategies == other.n_strategies
            && self.draws == other.draws
            && self.cost == other.cost
            && self.qaly == other.qaly
            && self.ly == other.ly
            && self.params == other.params
            && self.skipped == other.skipped
            && self.values() == other.values()
    }
}

/// The first draw that failed under [`OnInvalid::Stop`].
#[derive(Debug, Clone, PartialEq)]
pub struct DrawFailure {
    pub draw: u64,
    pub values: Vec<(ParamId, f64)>,
    pub errors: RunErrors,
}

type DrawResult = Result<(Vec<f64>, Vec<Outcome>), (Vec<(ParamId, f64)>, RunErrors)>;

/// Draws evaluated in lockstep ([`Evaluator::evaluate_block`]), one block per parallel task.
/// One block of lanes ([`hta_markov::kernel::LANES`]); any size gives the same numbers.
pub const BLOCK_DRAWS: u64 = hta_markov::kernel::LANES as u64;

/// Draws evaluated per parallel chunk (bounds the temporary per-draw memory).
const CHUNK_DRAWS: u64 = 16_384;

/// Most draws in one run (memory grows with draws x (strategies + parameters held for EVPPI)); larger
/// analyses are run as shards (`--first-draw`) and joined with `hta merge`.
pub const MAX_DRAWS: u64 = 10_000_000;

/// Checks a requested draw range against [`MAX_DRAWS`] and the range of draw numbers.
pub fn check_draws(first_draw: u64, draws: u64) -> Result<(), String> {
    if draws > MAX_DRAWS {
        return Err(format!(
            "{draws} draws were asked for; one run is limited to {MAX_DRAWS} (run shards with --first-draw and join them with `hta merge`)"
        ));
    }
    if first_draw.checked_add(draws).is_none() {
        return Err(format!("draws {first_draw}..{first_draw}+{draws} run past the last draw number, {}", u64::MAX));
    }
    Ok(())
}

/// Runs the PSA. Deterministic for any number of rayon threads. `progress` is called once per
/// finished draw, from worker threads. The sampled values of `keep` are held in memory; the
/// others are drawn again from the seed when asked for ([`SampledValues`]).
pub fn run_psa(
    evaluator: &Evaluator,
    sampler: &Sampler,
    settings: &PsaSettings,
    keep: &[ParamId],
    progress: Option<&(dyn Fn() + Sync)>,
) -> Result<PsaRun, DrawFailure> {
    let n_strategies = evaluator.model().strategies.len();
    // Reserve for at most MAX_DRAWS: an absurd request must not abort on one huge allocation.
    let expected = usize::try_from(settings.draws.min(MAX_DRAWS)).unwrap_or(0);
    let cells = expected.saturating_mul(n_strategies);
    let mut sampled = SampledValues::redrawn(sampler.clone(), settings.seed, &positions(&sampler.params, keep));
    sampled.reserve(expected);
    let mut run = PsaRun {
        n_strategies,
        draws: Vec::with_capacity(expected),
        cost: Vec::with_capacity(cells),
        qaly: Vec::with_capacity(cells),
        ly: Vec::with_capacity(cells),
        params: sampler.params.clone(),
        sampled,
        skipped: Vec::new(),
    };
    // Draws run in parallel chunks whose results are moved into the flat arrays before the next
    // chunk starts, so the temporary per-draw vectors never exceed one chunk.
    let end = settings.first_draw.saturating_add(settings.draws);
    let mut start = settings.first_draw;
    while start < end {
        let stop = start.saturating_add(CHUNK_DRAWS).min(end);
        let blocks: Vec<(u64, u64)> = (start..stop)
            .step_by(BLOCK_DRAWS as usize)
            .map(|first| (first, first.saturating_add(BLOCK_DRAWS).min(stop)))
            .collect();
        let results: Vec<DrawResult> = blocks
            .into_par_iter()
            .map_init(
                || evaluator.workspace(),
                |workspace, (first, last)| {
                    let pins: Vec<Vec<(ParamId, f64)>> = (first..last)
                        .map(|draw| {
                            let mut pins = Vec::with_capacity(sampler.params.len());
                            sampler.draw(settings.seed, draw, &mut pins);
                            pins
                        })
                        .collect();
                    let outcomes = evaluator.evaluate_block_in(workspace, &pins);
                    if let Some(tick) = progress {
                        (first..last).for_each(|_| tick());
                    }
                    pins.into_iter()
                        .zip(outcomes)
                        .map(|(pins, result)| match result {
                            Ok(outcomes) => Ok((pins.iter().map(|p| p.1).collect(), outcomes)),
                            Err(errors) => Err((pins, errors)),
                        })
                        .collect::<Vec<DrawResult>>()
                },
            )
            .flatten_iter()
            .collect();
        for (draw, result) in (start..stop).zip(results) {
            match result {
                Ok((values, outcomes)) => {
                    run.draws.push(draw);
                    run.push_outcomes(&outcomes);
                    run.sampled.push(&values);
                }
                Err((values, errors)) => match settings.on_invalid {
                    OnInvalid::Stop => return Err(DrawFailure { draw, values, errors }),
                    OnInvalid::Skip => run.skipped.push((draw, errors)),
                },
            }
        }
        start = stop;
    }
    Ok(run)
}

impl PsaRun {
    pub fn n_draws(&self) -> usize {
        self.draws.len()
    }

    /// Adds the outcomes of the next kept draw (one per strategy).
    pub fn push_outcomes(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            self.cost.push(o.cost);
            self.qaly.push(o.qaly);
            self.ly.push(o.ly);
        }
    }

    /// Effects in `measure`, `draws x strategies`.
    pub fn effect(&self, measure: hta_model::EffectMeasure) -> &[f64] {
        match measure {
            hta_model::EffectMeasure::Qaly => &self.qaly,
            hta_model::EffectMeasure::LifeYears => &self.ly,
        }
    }

    /// Costs and effects as `draws x strategies` matrices (for the summaries), borrowed.
    pub fn matrices(&self, measure: hta_model::EffectMeasure) -> (&[f64], &[f64]) {
        (&self.cost, self.effect(measure))
    }

    /// The outcome of strategy `j` in kept draw `i`.
    pub fn outcome(&self, i: usize, j: usize) -> Outcome {
        let k = i * self.n_strategies + j;
        Outcome { cost: self.cost[k], qaly: self.qaly[k], ly: self.ly[k] }
    }

    /// Column `j` of the sampled values (borrowed where held, else drawn again).
    pub fn param_column(&self, j: usize) -> std::borrow::Cow<'_, [f64]> {
        self.sampled.column(j, &self.draws)
    }

    /// Every sampled value, `draws x params` row-major (drawn again where not held).
    pub fn values(&self) -> Vec<f64> {
        self.sampled.to_rows(&self.draws)
    }

    /// Calls `f` with each kept draw's number and sampled values, in draw order.
    pub fn try_for_each_values<E>(&self, f: impl FnMut(u64, &[f64]) -> Result<(), E>) -> Result<(), E> {
        self.sampled.try_for_each_row(&self.draws, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_requests_over_the_limit_are_refused_with_a_message() {
        assert!(check_draws(0, MAX_DRAWS).is_ok());
        let message = check_draws(0, MAX_DRAWS + 1).expect_err("too many");
        assert!(message.contains("limited to 10000000") && message.contains("hta merge"), "{message}");
        let message = check_draws(u64::MAX - 1, 2).expect_err("past the end");
        assert!(message.contains("last draw number"), "{message}");
    }
}
