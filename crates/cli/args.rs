//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use hta_spec::Override;

const EXIT_CODES: &str = "Exit codes:
  0  success
  2  command-line usage error (unknown option, bad --set)
  3  the model file is invalid (every problem is listed, with file:line:column)
  4  the model failed a run-time check (a probability, row sum or value in some cycle)
  5  a file could not be read or written
  101  internal error (a bug: please report it)";

/// Health-technology assessment: Markov cohort models and cost-effectiveness analysis.
#[derive(Debug, Parser)]
#[command(name = "hta", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a model file without writing results: every key, name, formula and value, then
    /// every probability and row of every strategy in every cycle.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// The model file (YAML, format_version 1).
        model: PathBuf,
        /// Override a parameter or setting for this check, e.g. --set discount.costs=0.035.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<Override>,
    },
    /// Run a model: per-strategy costs, life-years and QALYs, the incremental analysis with
    /// dominance and ICERs, and net benefit at the model's thresholds.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Print the JSON Schema of model files (draft-07, for editor completion and checking).
    Schema {
        /// Write the schema to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model file (YAML, format_version 1).
    pub model: PathBuf,
    /// Directory to write results.json, summary.csv, trace.csv and values.csv into (created if
    /// missing; existing files of those names are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override a parameter or setting for this run, e.g. --set cost_drug=1200000 or
    /// --set discount.costs=0.035. Repeatable. Settings: discount.costs, discount.effects,
    /// discount.start_year, discount.timing, horizon.cycles, horizon.years, counting, effect,
    /// cohort.start_age.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}
