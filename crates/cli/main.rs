//! The `hta` command: argument parsing, file I/O, diagnostics rendering and exit codes. No
//! modelling logic lives here; it calls `hta-spec`, `hta-markov`, `hta-analysis` and
//! `hta-report` in that order.
#![allow(clippy::print_stdout, clippy::print_stderr)]

// Everything the binary prints goes through these, so that text from a model file (titles,
// labels, scheme names) cannot send control sequences to the terminal: control characters are
// shown as `?`, as in diagnostics, and a closed pipe does not panic ([`emit`]). They shadow the
// standard macros for every module below; rendered diagnostics (already made safe, and coloured on
// a terminal) go to [`emit`] directly.
macro_rules! println {
    () => { $crate::emit(false, "\n") };
    ($($arg:tt)*) => { $crate::emit(false, &format!("{}\n", $crate::terminal_safe(&format!($($arg)*)))) };
}
macro_rules! print {
    ($($arg:tt)*) => { $crate::emit(false, &$crate::terminal_safe(&format!($($arg)*))) };
}
macro_rules! eprintln {
    () => { $crate::emit(true, "\n") };
    ($($arg:tt)*) => { $crate::emit(true, &format!("{}\n", $crate::terminal_safe(&format!($($arg)*)))) };
}
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::emit(true, &$crate::terminal_safe(&format!($($arg)*))) };
}

mod args;
mod budget;
mod excel;
mod exit;
mod output;
mod psa;
mod render;
mod report;
mod run_errors;
mod sensitivity;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, RunArgs};
use exit::Exit;
use hta_analysis::{at_threshold, incremental, pairwise, Outcome};
use hta_report::{CeaRun, InputRecord, RunRecord};
use hta_spec::{Diagnostics, Loaded};

/// `text` with control characters other than newline and tab shown as `?`.
pub(crate) fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t')) {
        text.chars().map(|c| if c.is_control() && !matches!(c, '\n' | '\t') { '?' } else { c }).collect()
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes text to stdout (or stderr). A reader that went away (`hta run m.yaml | head`) is not
/// an error of the run: the rest of the text is dropped and the run goes on to write its files
/// and exit with its own code, where the standard macros would panic.
pub(crate) fn emit(to_stderr: bool, text: &str) {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    static CLOSED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    let closed = &CLOSED[usize::from(to_stderr)];
    if closed.load(Ordering::Relaxed) {
        return;
    }
    let written = if to_stderr {
        std::io::stderr().lock().write_all(text.as_bytes())
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    };
    if written.is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::set_force(cli.force);
    for dir in &cli.allow_outside {
        if let Err(e) = hta_spec::allow_tables_under(dir) {
            eprintln!("error: --allow-outside {}: {e}", dir.display());
            return Exit::Usage.code();
        }
    }
    let result = match cli.command {
        Command::Check { model, set } => check(&model, &set),
        Command::Run(args) => run(&args),
        Command::Report(args) => report::report(&args),
        Command::Dsa(args) => sensitivity::dsa(&args).map(drop),
        Command::Threshold(args) => sensitivity::threshold(&args),
        Command::Twoway(args) => sensitivity::twoway(&args).map(drop),
        Command::Scenarios(args) => sensitivity::scenarios(&args).map(drop),
        Command::Subgroups(args) => sensitivity::subgroups(&args).map(drop),
        Command::Psa(args) => psa::psa(&args).map(drop),
        Command::Merge(args) => psa::merge(&args).map(drop),
        Command::Budget(args) => budget::budget(&args).map(drop),
        Command::Excel(args) => excel::excel(&args),
        Command::Schema { out } => schema(out.as_deref()),
    };
    output::release_locks();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => exit.code(),
    }
}

fn load(model: &Path, set: &[hta_spec::Override]) -> Result<Loaded, Exit> {
    match hta_spec::load(model, set) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                crate::emit(true, &render::diagnostic(warning));
            }
            Ok(loaded)
        }
        Err(diagnostics) => Err(report_load_failure(&diagnostics)),
    }
}

pub(crate) fn report_load_failure(diagnostics: &Diagnostics) -> Exit {
    for d in &diagnostics.0 {
        crate::emit(true, &render::diagnostic(d));
    }
    let n = diagnostics.errors().count();
    eprintln!("error: {n} problem{} found; nothing was run", if n == 1 { "" } else { "s" });
    if diagnostics.errors().all(|d| d.code == "file" || d.code == "table-file") {
        Exit::Io
    } else if diagnostics.errors().all(|d| d.code == "override") {
        Exit::Usage
    } else {
        Exit::InvalidModel
    }
}

/// Runs the model with its engine; returns the results and any run-time warnings.
pub(crate) fn simulate(loaded: &Loaded) -> Result<(Vec<hta_markov::StrategyResult>, Vec<String>), Exit> {
    let model = &loaded.model;
    let outcome = match model.structure {
        hta_model::Structure::Markov => hta_markov::run(model).map(|r| (r, Vec::new())),
        hta_model::Structure::PartitionedSurvival => hta_psm::run(model).map(|run| {
            let warnings = run.crossings.iter().map(|c| crossing_warning(model, c)).collect();
            (run.results, warnings)
        }),
    };
    let (results, warnings) = outcome.map_err(|errors| report_run_errors(loaded, &errors))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok((results, warnings))
}

/// Prints run-time problems as diagnostics; the exit code for them.
fn report_run_errors(loaded: &Loaded, errors: &hta_markov::RunErrors) -> Exit {
    for d in run_errors::diagnostics(loaded, errors) {
        crate::emit(true, &render::diagnostic(&d));
    }
    eprintln!("error: the model failed its run-time checks; no results were written");
    Exit::RunFailed
}

/// `1234567.891` -> `1,234,567.89`.
fn number(value: f64, decimals: usize) -> String {
    hta_report::number::grouped(value, decimals)
}

/// Writes each figure as SVG, PNG and CSV into `dir/figures`.
pub(crate) fn write_figures(dir: &Path, figures: &[hta_report::figures::Figure]) -> Result<(), Exit> {
    let folder = dir.join("figures");
    output::write_figures(&folder, figures)?;
    let names: Vec<&str> = figures.iter().map(|f| f.name.as_str()).collect();
    println!("drew {} (SVG, PNG, CSV) in {}", names.join(", "), folder.display());
    Ok(())
}

/// Writes named text files into `dir` (created if missing).
fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<(), Exit> {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    output::write_all(dir, &bytes)?;
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    println!("\nwrote {} to {}", names.join(", "), dir.display());
    Ok(())
}

fn crossing_warning(model: &hta_model::Model, c: &hta_psm::Crossing) -> String {
    format!(
        "strategy `{}`: curve `{}` rises above curve `{}` at {} of {} cycle boundaries (first at cycle {}); it was capped at `{}` there",
        model.strategy(c.strategy).name,
        model.curves[c.inner.index()].name,
        model.curves[c.outer.index()].name,
        c.n_points,
        model.settings.n_cycles + 1,
        c.first_cycle,
        model.curves[c.outer.index()].name,
    )
}

fn check(model: &Path, set: &[hta_spec::Override]) -> Result<(), Exit> {
    let loaded = load(model, set)?;
    simulate(&loaded)?;
    let m = &loaded.model;
    println!(
        "ok: {} is valid: {} states, {} strategies, {} parameters, {} cycles; every probability, row and value checked in every cycle",
        model.display(),
        m.states.len(),
        m.strategies.len(),
        m.parameters.len(),
        m.settings.n_cycles
    );
    Ok(())
}

/// What a deterministic run produced (a [`CeaRun`] borrows from it).
pub(crate) struct BaseCase {
    results: Vec<hta_markov::StrategyResult>,
    frontier: Vec<hta_analysis::FrontierRow>,
    comparisons: Vec<hta_analysis::Comparison>,
    thresholds: Vec<hta_analysis::ThresholdResult>,
    record: RunRecord,
}

impl BaseCase {
    pub(crate) fn cea<'a>(&'a self, model: &'a hta_model::Model) -> CeaRun<'a> {
        CeaRun {
            model,
            results: &self.results,
            frontier: &self.frontier,
            pairwise: &self.comparisons,
            thresholds: &self.thresholds,
            record: &self.record,
        }
    }
}

/// Runs the model and its incremental analysis.
pub(crate) fn base_case(loaded: &Loaded) -> Result<BaseCase, Exit> {
    let (results, run_warnings) = simulate(loaded)?;
    let model = &loaded.model;
    let outcomes: Vec<Outcome> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let effect = match model.settings.effect {
                hta_model::EffectMeasure::Qaly => r.qaly(true),
                hta_model::EffectMeasure::LifeYears => r.life_years(true),
            };
            Outcome::new(&model.strategies[i].name, r.total_cost(true), effect)
        })
        .collect();
    let thresholds: Vec<hta_analysis::ThresholdResult> =
        model.settings.thresholds.iter().map(|t| at_threshold(&outcomes, t.value)).collect();
    let mut run_warnings = run_warnings;
    for (t, at) in model.settings.thresholds.iter().zip(&thresholds) {
        if !at.ties.is_empty() {
            let names: Vec<&str> = at.ties.iter().map(|&i| model.strategies[i].name.as_str()).collect();
            let warning = format!(
                "at {} ({}), `{}` ties with `{}` in net monetary benefit and effect; `{}` is reported as optimal only because it is listed first",
                t.label,
                number(t.value, 0),
                model.strategies[at.optimal].name,
                names.join("`, `"),
                model.strategies[at.optimal].name
            );
            eprintln!("warning: {warning}");
            run_warnings.push(warning);
        }
    }
    let record = RunRecord {
        tool: "hta",
        version: env!("CARGO_PKG_VERSION"),
        inputs: loaded.inputs.iter().map(|i| InputRecord { path: i.path.clone(), sha256: i.sha256.clone() }).collect(),
        overrides: loaded.overrides.iter().map(|o| (o.name.clone(), o.value.clone())).collect(),
        warnings: loaded.warnings.iter().map(|w| w.one_line()).chain(run_warnings).collect(),
    };
    Ok(BaseCase {
        frontier: incremental(&outcomes),
        comparisons: pairwise(&outcomes, model.settings.reference.index()),
        thresholds,
        results,
        record,
    })
}

fn run(args: &RunArgs) -> Result<(), Exit> {
    let loaded = load(&args.model, &args.set)?;
    let base = base_case(&loaded)?;
    let report = base.cea(&loaded.model);
    print!("{}", hta_report::terminal::summary(&report));
    match &args.out {
        Some(dir) => write_outputs(dir, &report),
        None => {
            println!("\n(add --out DIR to write results.json, summary.csv, trace.csv and values.csv; `hta report` writes the whole dossier pack)");
            Ok(())
        }
    }
}

pub(crate) fn write_outputs(dir: &Path, report: &CeaRun) -> Result<(), Exit> {
    let files = [
        ("results.json", hta_report::json::results_json(report)),
        ("summary.csv", hta_report::tables::summary_csv(report)),
        ("trace.csv", hta_report::tables::trace_csv(report)),
        ("values.csv", hta_report::tables::values_csv(report)),
    ];
    write_files(dir, &files)
}

fn schema(out: Option<&Path>) -> Result<(), Exit> {
    let text = hta_spec::schema::json_schema();
    match out {
        Some(path) => output::write_path(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Reads a text file named on the command line or beside a shard; anything but a regular file
/// (a FIFO would block for ever) is refused.
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file (a pipe, device or directory?)"));
    }
    std::fs::read_to_string(path)
}

pub(crate) fn io_error(path: &Path, error: &std::io::Error) -> Exit {
    eprintln!("error: cannot write {}: {error}", path.display());
    Exit::Io
}
