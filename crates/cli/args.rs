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
    /// Replace output files that already exist (without it, an existing file stops the command
    /// before anything is replaced).
    #[arg(long, global = true)]
    pub force: bool,
    /// Show no progress bars (they are shown only on a terminal, for long runs: PSA draws,
    /// two-way grids, EVPPI).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Also let models read table files under DIR (by default only from the model's own
    /// directory and the folders below it). May be repeated.
    #[arg(long, global = true, value_name = "DIR")]
    pub allow_outside: Vec<std::path::PathBuf>,
    /// Run in this perspective of the model (its `perspectives:`, e.g. societal): the same as
    /// --set perspective=NAME. Budgets default to the first perspective the model lists.
    #[arg(long, global = true, value_name = "NAME")]
    pub perspective: Option<String>,
    /// Language of figures and the report: English (en) or Simplified Chinese (zh). The model's
    /// own names, labels and numbers are shown as written.
    #[arg(long, global = true, value_enum, default_value = "en")]
    pub lang: Language,
}

impl Command {
    /// The model overrides of the command (`--set`), if it loads a model.
    pub fn overrides_mut(&mut self) -> Option<&mut Vec<Override>> {
        match self {
            Command::Check { set, .. } => Some(set),
            Command::Run(a) => Some(&mut a.set),
            Command::Report(a) => Some(&mut a.set),
            Command::Dsa(a) => Some(&mut a.set),
            Command::Twoway(a) => Some(&mut a.set),
            Command::Scenarios(a) => Some(&mut a.runs.set),
            Command::Subgroups(a) => Some(&mut a.set),
            Command::Threshold(a) => Some(&mut a.set),
            Command::Psa(a) => Some(&mut a.set),
            Command::Merge(a) => Some(&mut a.set),
            Command::Budget(a) => Some(&mut a.set),
            Command::Excel(a) => Some(&mut a.set),
            Command::Fit(_) | Command::Schema { .. } => None,
        }
    }
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
    /// The dossier pack in one command: runs the model and every analysis it supports (one-way
    /// and two-way if parameters have low/high, scenarios and subgroups if it names any, PSA if
    /// parameters have distributions, budget impact with --budget) and writes report.html (self-contained,
    /// organised by CHEERS 2022 items), report.xlsx, report.md, the CSV/JSON files and the
    /// figures (SVG, PNG, CSV) into DIR.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// One-way sensitivity analysis: each parameter at its low and high value (from the model
    /// file, or ±--range-percent), on incremental net monetary benefit (default) or another
    /// outcome; tornado data sorted by width.
    #[command(after_help = EXIT_CODES)]
    Dsa(DsaArgs),
    /// Two-way sensitivity analysis: a grid over two parameters (low to high), with the optimal
    /// strategy (highest net monetary benefit) in each cell.
    #[command(after_help = EXIT_CODES)]
    Twoway(TwowayArgs),
    /// Run the model's named scenarios (and the base case) and show the results side by side.
    #[command(after_help = EXIT_CODES)]
    Scenarios(ScenarioArgs),
    /// Run the model's subgroups (each with its own parameter values) and the population total
    /// weighted by their shares, each with the incremental analysis.
    #[command(after_help = EXIT_CODES)]
    Subgroups(ScenariosArgs),
    /// Threshold analysis: the value of a parameter at which a strategy's ICER against a
    /// comparator equals each willingness-to-pay threshold (e.g. the value-based price), or with
    /// `--vs best` the range over which the strategy stays optimal (e.g. the value of a test).
    #[command(after_help = EXIT_CODES)]
    Threshold(ThresholdArgs),
    /// Probabilistic sensitivity analysis: seeded draws of every parameter with a distribution
    /// (and every Dirichlet group), in parallel; CE-plane data, means with 95% intervals, CEAC,
    /// CEAF, expected loss and EVPI.
    #[command(after_help = EXIT_CODES)]
    Psa(PsaArgs),
    /// Join the outputs of PSA shards (`hta psa --first-draw ...`) into one analysis, identical
    /// to running all the draws at once.
    #[command(after_help = EXIT_CODES)]
    Merge(MergeArgs),
    /// Budget impact over a multi-year horizon under payment schemes (a budget file that names a
    /// model file): patients treated, payments by payer, care costs with and without, offsets,
    /// committed payments after the horizon.
    #[command(after_help = EXIT_CODES)]
    Budget(BudgetArgs),
    /// Fit parametric survival curves to patient data (per arm and pooled with the arm as a
    /// covariate): fit table, ranking by AIC/BIC, diagnostic figures, and a model-file fragment
    /// whose curve parameters are drawn jointly (a multivariate normal group).
    #[command(after_help = EXIT_CODES)]
    Fit(crate::fit::FitArgs),
    /// Write the model as a live Excel workbook: inputs as defined names, traces and results as
    /// formulas, with check cells against hta's own results.
    #[command(after_help = EXIT_CODES)]
    Excel(crate::excel::ExcelArgs),
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
    /// missing; a file that already exists stops the run unless --force is given).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override a parameter or setting for this run, e.g. --set cost_drug=1200000 or
    /// --set discount.costs=0.035. Repeatable. Settings: discount.costs, discount.effects,
    /// discount.start_year, discount.timing, horizon.cycles, horizon.years, counting, effect,
    /// cohort.start_age.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

/// Language of the report's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The model file (YAML, format_version 1).
    pub model: PathBuf,
    /// Directory for the dossier pack (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A budget file naming this model: adds the budget impact under its payment schemes.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// Probabilistic draws (0 to skip the PSA).
    #[arg(long, default_value_t = 1000)]
    pub draws: u64,
    /// Random seed of the PSA.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads for the PSA (default: all cores; at most 16 or 4 per core, whichever is
    /// more); results do not depend on it.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Also write model.xlsx, the model as a live Excel workbook (as `hta excel`), with the pack.
    #[arg(long)]
    pub excel: bool,
    /// Override a parameter or setting for every analysis of the report.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

/// Outcome of a one-way analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DsaOutcome {
    /// Incremental net monetary benefit of a strategy against the reference, at a threshold.
    Inmb,
    /// Net monetary benefit of each strategy at a threshold.
    Nmb,
    /// Discounted total cost of each strategy.
    Cost,
    /// Discounted effect (QALYs or life-years, the model's measure) of each strategy.
    Effect,
    /// ICER of a strategy against the reference, with its quadrant.
    Icer,
}

#[derive(Debug, clap::Args)]
pub struct DsaArgs {
    pub model: PathBuf,
    /// What each bar measures.
    #[arg(long, value_enum, default_value = "inmb")]
    pub outcome: DsaOutcome,
    /// Willingness to pay per unit of effect for NMB outcomes (default: the model's first threshold).
    #[arg(long, value_name = "AMOUNT")]
    pub wtp: Option<f64>,
    /// Also vary every numeric parameter without low/high by this many percent either way.
    #[arg(long, value_name = "PERCENT")]
    pub range_percent: Option<f64>,
    /// Write tornado.csv and dsa.json here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

#[derive(Debug, clap::Args)]
pub struct ThresholdArgs {
    pub model: PathBuf,
    /// The parameter to solve for (e.g. the therapy's price).
    #[arg(long, value_name = "NAME")]
    pub param: String,
    /// The strategy whose ICER is set to the threshold (default: the last strategy).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,
    /// Its comparator (default: the model's reference strategy), or `best`: the best other
    /// strategy at each threshold, so the value found is where the strategy stops being optimal
    /// (e.g. the highest price of a test at which test-and-treat stays the best choice).
    #[arg(long, value_name = "NAME")]
    pub vs: Option<String>,
    /// Thresholds to solve at (default: the model's).
    #[arg(long, value_name = "AMOUNT")]
    pub wtp: Vec<f64>,
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

/// What to do with a draw that fails the model's run-time checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnInvalidArg {
    Stop,
    Skip,
}

#[derive(Debug, clap::Args)]
pub struct PsaArgs {
    pub model: PathBuf,
    /// Number of draws.
    #[arg(long, default_value_t = 1000)]
    pub draws: u64,
    /// First draw number (to run a shard of a larger analysis: draws FIRST..FIRST+DRAWS; join the
    /// shards with `hta merge`).
    #[arg(long, default_value_t = 0)]
    pub first_draw: u64,
    /// Random seed: the same seed gives the same draws on any number of threads.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores; at most 16 or 4 per core, whichever is more); results
    /// do not depend on it.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// A draw that fails a run-time check stops the analysis (default) or is skipped and counted.
    #[arg(long, value_enum, default_value = "stop")]
    pub on_invalid: OnInvalidArg,
    /// CSV of parameter values per draw (e.g. posterior samples), columns named by parameter:
    /// row d (after the header) is draw d; these values replace sampled ones.
    #[arg(long, value_name = "FILE")]
    pub draws_file: Option<PathBuf>,
    #[command(flatten)]
    pub report: PsaReportArgs,
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

/// How PSA results are summarised and written (shared by `psa` and `merge`).
#[derive(Debug, Clone, clap::Args)]
pub struct PsaReportArgs {
    /// Thresholds for the CEAC, CEAF, EVPI and EVPPI: MIN:MAX:STEP (default: 0 to twice the
    /// model's largest threshold in 100 steps).
    #[arg(long, value_name = "MIN:MAX:STEP")]
    pub wtp_grid: Option<String>,
    /// EVPPI of one parameter (Strong & Oakley binning), or of a multivariate normal group by its
    /// name (one parameter set, by regression as for --evppi-group). Repeatable.
    #[arg(long, value_name = "PARAMETER")]
    pub evppi: Vec<String>,
    /// EVPPI of a group of parameters, comma-separated (regression on an additive spline basis).
    /// Repeatable.
    #[arg(long, value_name = "A,B,...")]
    pub evppi_group: Vec<String>,
    /// People affected by the decision each year, for population EVPI (default: the model's
    /// settings.population, if it has one).
    #[arg(long, value_name = "PEOPLE")]
    pub population: Option<f64>,
    /// Years the decision applies to, for population EVPI (default: the model's
    /// settings.population, else 10).
    #[arg(long, value_name = "YEARS")]
    pub population_years: Option<u32>,
    /// Annual discount rate for population EVPI (default: the model's settings.population, else
    /// its rate for effects).
    #[arg(long, value_name = "RATE")]
    pub population_discount: Option<f64>,
    /// Write psa_draws.csv, psa_parameters.csv, ceac.csv, evpi.csv, evppi.csv,
    /// psa_convergence.csv and psa.json here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    pub model: PathBuf,
    /// Output directories of `hta psa` shards (any order; their draw ranges must not overlap).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub report: PsaReportArgs,
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

#[derive(Debug, clap::Args)]
pub struct TwowayArgs {
    pub model: PathBuf,
    /// First parameter (grid columns).
    #[arg(long, value_name = "NAME")]
    pub x: String,
    /// Second parameter (grid rows).
    #[arg(long, value_name = "NAME")]
    pub y: String,
    /// Values per parameter, evenly spaced from low to high (from the model file, else ±20%).
    #[arg(long, default_value_t = 11)]
    pub steps: usize,
    /// Willingness to pay per unit of effect (default: the model's first threshold).
    #[arg(long, value_name = "AMOUNT")]
    pub wtp: Option<f64>,
    /// Write twoway.csv here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ScenariosArgs {
    pub model: PathBuf,
    /// Write scenarios.csv (subgroups.csv) here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overrides applied to the base case and every scenario.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
}

#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    #[command(flatten)]
    pub runs: ScenariosArgs,
    /// Also run the standard scenarios the model does not name: no discounting, the alternative
    /// discount rates of its country's guideline (China 8%, NICE 1.5%, CADTH 3%, US 5%), and half
    /// the horizon (`hta report` always does).
    #[arg(long)]
    pub standard: bool,
}

#[derive(Debug, clap::Args)]
pub struct BudgetArgs {
    /// The budget file (YAML, format_version 1).
    pub file: PathBuf,
    /// Write budget.csv, budget_payers.csv and budget.json here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Find the highest price that meets both --wtp (through the cost-effectiveness model, with
    /// the model's acquisition cost set to the present value of the scheme's payments) and
    /// --budget-cap (the largest yearly net budget impact), for each scheme.
    #[arg(long)]
    pub solve_price: bool,
    /// The model parameter holding the new option's acquisition cost (for --solve-price).
    #[arg(long, value_name = "NAME")]
    pub price_param: Option<String>,
    /// Willingness to pay per unit of effect (for --solve-price; default: the model's first).
    #[arg(long, value_name = "AMOUNT")]
    pub wtp: Option<f64>,
    /// Largest acceptable net budget impact in any year (for --solve-price).
    #[arg(long, value_name = "AMOUNT")]
    pub budget_cap: Option<f64>,
    /// Override a parameter or setting of the model, e.g. --set c_cart=1000000.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<Override>,
    /// Probabilistic budget impact: run the budget for this many PSA draws of the model (the same
    /// draws as `hta psa` with the same seed) and of the file's `uncertainty:` inputs.
    #[arg(long, value_name = "N")]
    pub draws: Option<u64>,
    /// First draw number (to run a shard: draws FIRST..FIRST+N).
    #[arg(long, default_value_t = 0)]
    pub first_draw: u64,
    /// Random seed: the same seed gives the same draws on any number of threads.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads for --draws (default: all cores); results do not depend on it.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Annual budget for the new option (with --draws): the probability that the yearly net
    /// impact exceeds it is reported (default: the file's `uncertainty.annual_budget`).
    #[arg(long, value_name = "AMOUNT")]
    pub annual_budget: Option<f64>,
}

/// Most worker threads: 16 or 4 per core, whichever is more (more only adds overhead).
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).max(16)
}

/// `--threads N`: 0 (one per core, as when it is left out) to [`max_threads`].
fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text.trim().parse().map_err(|_| format!("`{text}` is not a whole number of threads"))?;
    let max = max_threads();
    match n {
        n if n > max => Err(format!(
            "{n} threads is more than this machine can use: at most {max} (16 or 4 per core, whichever is more; it has {} cores)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )),
        n => Ok(n),
    }
}
