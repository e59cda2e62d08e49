//! Evaluates a model for one parameter set with the right engine, compiling once.

use hta_markov::{Program, RunErrors};
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

/// A model compiled once, evaluated for many parameter sets (safe to share across threads).
pub struct Evaluator<'m> {
    model: &'m Model,
    programs: Vec<Program>,
}

impl<'m> Evaluator<'m> {
    pub fn new(model: &'m Model) -> Self {
        let programs = match model.structure {
            Structure::Markov => model.strategy_ids().map(|s| Program::new(model, s)).collect(),
            Structure::PartitionedSurvival => Vec::new(),
        };
        Evaluator { model, programs }
    }

    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Discounted outcomes of every strategy with `pins` fixing parameter values.
    pub fn evaluate(&self, pins: &[(ParamId, f64)]) -> Result<Vec<Outcome>, RunErrors> {
        match self.model.structure {
            Structure::Markov => self
                .programs
                .iter()
                .map(|program| {
                    hta_markov::run_totals(self.model, program, pins).map(|t| Outcome {
                        cost: t.total_cost(true),
                        qaly: t.qaly(true),
                        ly: t.life_years(true),
                    })
                })
                .collect(),
            Structure::PartitionedSurvival => hta_psm::run_with(self.model, pins).map(|run| {
                run.results
                    .iter()
                    .map(|r| Outcome { cost: r.total_cost(true), qaly: r.qaly(true), ly: r.life_years(true) })
                    .collect()
            }),
        }
    }
}
