//! `hta-report`: presents results; computes nothing of its own.
//!
//! [`CeaRun`] gathers what one `hta run` produced (the model, the engine's per-strategy results,
//! the incremental analysis from `hta-analysis`, and the run record). From it this crate builds
//! `results.json` ([`json`]), the CSV tables `summary.csv`, `trace.csv` and `values.csv`
//! ([`tables`]) and the terminal summary ([`terminal`]). It returns text; the binary writes it.
//! [`figures`] draws the dossier figures (SVG, PNG and their data as CSV) in one house style;
//! [`workbook`] writes the tables into one Excel workbook; [`html`] writes the self-contained HTML
//! report (with the state diagram of [`diagram`]) in the languages of [`language`];
//! [`tables::Table`] renders any table as Markdown;
//! [`csv_safe`] neutralises formula injection in every CSV file written.

pub mod csv_safe;
pub mod diagram;
pub mod figures;
pub mod html;
pub mod json;
pub mod language;
pub mod number;
pub mod tables;
pub mod terminal;
pub mod workbook;

use hta_analysis::{Comparison, FrontierRow, ThresholdResult};
use hta_markov::StrategyResult;
use hta_model::Model;

/// A file the model was built from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputRecord {
    pub path: String,
    pub sha256: String,
}

/// What identifies a run: tool version, inputs with hashes, overrides, warnings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    pub tool: &'static str,
    pub version: &'static str,
    /// The model file first, then every file it read.
    pub inputs: Vec<InputRecord>,
    /// `--set` overrides in force, as given.
    pub overrides: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

/// Everything one deterministic run produced.
pub struct CeaRun<'a> {
    pub model: &'a Model,
    pub results: &'a [StrategyResult],
    /// Incremental analysis rows, in cost order.
    pub frontier: &'a [FrontierRow],
    pub pairwise: &'a [Comparison],
    pub thresholds: &'a [ThresholdResult],
    pub record: &'a RunRecord,
}

impl CeaRun<'_> {
    /// Discounted effect of strategy `i` in the model's effect measure.
    pub fn effect(&self, i: usize) -> f64 {
        match self.model.settings.effect {
            hta_model::EffectMeasure::Qaly => self.results[i].qaly(true),
            hta_model::EffectMeasure::LifeYears => self.results[i].life_years(true),
        }
    }

    pub fn name(&self, i: usize) -> &str {
        &self.model.strategies[i].name
    }
}
