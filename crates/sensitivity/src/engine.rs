//! Evaluates a model for one parameter set with the right engine, compiling once.

use hta_markov::{compose_totals, BlockRunner, Program, RunErrors, StrategyResult, Totals, TreeProgram, ValueLayout};
use hta_model::{EffectMeasure, Model, ParamId, Structure};

/// Discounted totals of one strategy for one parameter set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub cost: f64,
    pub qaly: f64,
    pub ly: f64,
}

impl Outcome {
    /// The effect in the model's effect measure.
    pub fn effect(&self, measure: EffectMeasure) -> f64 {
        match measure {
            EffectMeasure::Qaly => self.qaly,
            EffectMeasure::LifeYears => self.ly,
        }
    }
}

/// Reusable buffers of lockstep runs, one per Markov strategy and arm ([`Evaluator::workspace`]).
pub struct Workspace<'e> {
    arms: Vec<BlockRunner<'e>>,
    strategies: Vec<Option<BlockRunner<'e>>>,
}

/// A model compiled once, evaluated for many parameter sets (safe to share across threads).
pub struct Evaluator<'m> {
    model: &'m Model,
    /// Markov: one program per compared strategy (`None` for a tree strategy), then the arms'.
    programs: Vec<Option<Program>>,
    arm_programs: Vec<Program>,
    trees: Vec<Option<TreeProgram>>,
}

impl<'m> Evaluator<'m> {
    pub fn new(model: &'m Model) -> Self {
        let trees: Vec<Option<TreeProgram>> = model.strategy_ids().map(|s| TreeProgram::new(model, s)).collect();
        let (programs, arm_programs) = match model.structure {
            Structure::Markov => {
                let schedule = hta_markov::Schedule::new(model);
                let compile = |s| Program::with_schedule(model, s, &schedule);
                (
                    model.strategy_ids().zip(&trees).map(|(s, t)| t.is_none().then(|| compile(s))).collect(),
                    (0..model.arms.len()).map(|k| compile(model.arm_id(k))).collect(),
                )
            }
            Structure::PartitionedSurvival => (Vec::new(), Vec::new()),
        };
        Evaluator { model, programs, arm_programs, trees }
    }

    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Discounted outcomes of every strategy with `pins` fixing parameter values.
    pub fn evaluate(&self, pins: &[(ParamId, f64)]) -> Result<Vec<Outcome>, RunErrors> {
        let outcome = |t: &Totals| Outcome { cost: t.total_cost(true), qaly: t.qaly(true), ly: t.life_years(true) };
        match self.model.structure {
            Structure::Markov => {
                let arms = self
                    .arm_programs
                    .iter()
                    .map(|program| hta_markov::run_totals(self.model, program, pins))
                    .collect::<Result<Vec<Totals>, RunErrors>>()?;
                let layout = ValueLayout { n_categories: self.model.categories.len() };
                self.programs
                    .iter()
                    .zip(&self.trees)
                    .map(|(program, tree)| match (program, tree) {
                        (_, Some(tree)) => tree.evaluate(pins).map(|v| outcome(&compose_totals(&v, &arms, layout))),
                        (Some(program), None) => hta_markov::run_totals(self.model, program, pins).map(|t| outcome(&t)),
                        (None, None) => Err(RunErrors::default()),
                    })
                    .collect()
            }
            Structure::PartitionedSurvival => hta_psm::run_with(self.model, pins).map(|run| {
                run.results
                    .iter()
                    .map(|r| Outcome { cost: r.total_cost(true), qaly: r.qaly(true), ly: r.life_years(true) })
                    .collect()
            }),
        }
    }

    /// [`Self::evaluate`] for a block of parameter sets, in order. Markov strategies and arms
    /// run the block in lockstep ([`hta_markov::run_totals_block`]); each parameter set gets
    /// exactly the numbers (and, when it fails, the problems) it gets alone.
    pub fn evaluate_block(&self, pins: &[Vec<(ParamId, f64)>]) -> Vec<Result<Vec<Outcome>, RunErrors>> {
        self.evaluate_block_in(&mut self.workspace(), pins)
    }

    /// [`Self::evaluate`] for many parameter sets, in order: in lockstep blocks of at most
    /// [`hta_markov::kernel::LANES`] sets (at least one block per thread when there are few),
    /// in parallel; `progress` is called once per set. Each set gets the numbers it gets alone.
    pub fn evaluate_many(
        &self,
        sets: &[Vec<(ParamId, f64)>],
        progress: Option<&(dyn Fn() + Sync)>,
    ) -> Vec<Result<Vec<Outcome>, RunErrors>> {
        use rayon::prelude::*;
        let block = sets.len().div_ceil(rayon::current_num_threads().max(1)).clamp(1, hta_markov::kernel::LANES);
        sets.par_chunks(block)
            .map_init(
                || self.workspace(),
                |workspace, chunk| {
                    let results = self.evaluate_block_in(workspace, chunk);
                    if let Some(tick) = progress {
                        chunk.iter().for_each(|_| tick());
                    }
                    results
                },
            )
            .flatten_iter()
            .collect()
    }

    /// The buffers of [`Self::evaluate_block_in`], made once per thread and reused for every
    /// block it evaluates.
    pub fn workspace(&self) -> Workspace<'_> {
        let runner = |program| BlockRunner::new(self.model, program);
        Workspace {
            arms: self.arm_programs.iter().map(runner).collect(),
            strategies: self.programs.iter().map(|p| p.as_ref().map(runner)).collect(),
        }
    }

    /// [`Self::evaluate_block`] on the buffers of `workspace` (made by [`Self::workspace`]).
    pub fn evaluate_block_in(
        &self,
        workspace: &mut Workspace<'_>,
        pins: &[Vec<(ParamId, f64)>],
    ) -> Vec<Result<Vec<Outcome>, RunErrors>> {
        if self.model.structure != Structure::Markov {
            return pins.iter().map(|p| self.evaluate(p)).collect();
        }
        let outcome = |t: &Totals| Outcome { cost: t.total_cost(true), qaly: t.qaly(true), ly: t.life_years(true) };
        let layout = ValueLayout { n_categories: self.model.categories.len() };
        // By arm (strategy), by lane.
        let arms: Vec<Vec<Result<Totals, RunErrors>>> = workspace.arms.iter_mut().map(|arm| arm.run(pins)).collect();
        let strategies: Vec<Option<Vec<Result<Totals, RunErrors>>>> =
            workspace.strategies.iter_mut().map(|runner| runner.as_mut().map(|r| r.run(pins))).collect();
        (0..pins.len())
            .map(|lane| {
                // As `evaluate`: the first failing arm, else the first failing strategy.
                let arms = arms.iter().map(|arm| arm[lane].clone()).collect::<Result<Vec<Totals>, RunErrors>>()?;
                strategies
                    .iter()
                    .zip(&self.trees)
                    .map(|(runs, tree)| match (runs, tree) {
                        (_, Some(tree)) => {
                            tree.evaluate(&pins[lane]).map(|v| outcome(&compose_totals(&v, &arms, layout)))
                        }
                        (Some(runs), None) => runs[lane].as_ref().map(outcome).map_err(Clone::clone),
                        (None, None) => Err(RunErrors::default()),
                    })
                    .collect()
            })
            .collect()
    }

    /// Full results (traces, occupancy, rewards by cycle) of every strategy with `pins` fixing
    /// parameter values, for analyses that need more than the totals (budget impact).
    pub fn results(&self, pins: &[(ParamId, f64)]) -> Result<Vec<StrategyResult>, RunErrors> {
        let model = self.model;
        match model.structure {
            Structure::PartitionedSurvival => hta_psm::run_with(model, pins).map(|run| run.results),
            Structure::Markov => {
                let arms = self
                    .arm_programs
                    .iter()
                    .map(|p| hta_markov::run_program_with(model, p, pins))
                    .collect::<Result<Vec<_>, _>>()?;
                model
                    .strategy_ids()
                    .zip(self.programs.iter().zip(&self.trees))
                    .map(|(id, (program, tree))| match (program, tree) {
                        (_, Some(tree)) => {
                            tree.evaluate(pins).map(|values| hta_markov::compose(id, model, &values, &arms))
                        }
                        (Some(program), None) => hta_markov::run_program_with(model, program, pins),
                        (None, None) => Err(RunErrors::default()),
                    })
                    .collect()
            }
        }
    }
}
