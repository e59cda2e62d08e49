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
mod budget_psa;
mod budget_regions;
mod excel;
mod exit;
mod fit;
mod output;
mod psa;
mod render;
mod report;
mod sensitivity;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, RunArgs};
use exit::Exit;
use hta_app::Error;
use hta_report::CeaRun;
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
    let mut cli = Cli::parse();
    if let Some(name) = cli.perspective.take() {
        match cli.command.overrides_mut() {
            Some(set) => set.push(hta_spec::Override { name: "perspective".into(), value: name }),
            None => {
                eprintln!("error: --perspective applies to commands that run a model");
                return Exit::Usage.code();
            }
        }
    }
    output::set_force(cli.force);
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    output::set_language(match cli.lang {
        args::Language::En => hta_report::html::Lang::En,
        args::Language::Zh => hta_report::html::Lang::Zh,
    });
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
        Command::Fit(args) => fit::fit(&args),
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
    loaded_or_exit(hta_spec::load(model, set))
}

/// A loaded model with its warnings printed, or the exit code of its problems.
fn loaded_or_exit(result: Result<Loaded, Diagnostics>) -> Result<Loaded, Exit> {
    match result {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                crate::emit(true, &render::diagnostic(warning));
            }
            Ok(loaded)
        }
        Err(diagnostics) => Err(report_load_failure(&diagnostics)),
    }
}

/// As [`load`] of `path` with `set`, from the text `loaded` was read from
/// (`hta_spec::relower`): for `hta report`, which reads its model file once.
fn relower(loaded: &Loaded, path: &Path, set: &[hta_spec::Override]) -> Result<Loaded, Exit> {
    loaded_or_exit(hta_spec::relower(loaded, Some(path), set))
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

/// Runs the model with its engine and prints its warnings; returns the results and the warnings.
pub(crate) fn simulate(loaded: &Loaded) -> Result<(Vec<hta_markov::StrategyResult>, Vec<String>), Exit> {
    let (results, warnings) = hta_app::simulate(loaded).map_err(fail)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok((results, warnings))
}

/// Prints why a workflow of the analysis layer stopped; the exit code for it.
pub(crate) fn fail(error: Error) -> Exit {
    match error {
        Error::Invalid(diagnostics) => report_load_failure(&diagnostics),
        Error::RunFailed { context, diagnostics } => {
            for line in &context {
                eprintln!("{line}");
            }
            for d in &diagnostics {
                crate::emit(true, &render::diagnostic(d));
            }
            eprintln!("error: the model failed its run-time checks; no results were written");
            Exit::RunFailed
        }
        Error::Usage(m) => {
            eprintln!("error: {m}");
            Exit::Usage
        }
        Error::Model(m) => {
            eprintln!("error: {m}");
            Exit::InvalidModel
        }
        Error::Analysis(m) => {
            eprintln!("error: {m}");
            Exit::RunFailed
        }
        Error::Io(m) => {
            eprintln!("error: {m}");
            Exit::Io
        }
        Error::Within { context, error } => {
            eprintln!("{context}");
            fail(*error)
        }
    }
}

/// `--quiet`: no progress bars.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs `work` with a progress bar of `total` steps on a terminal (none off a terminal, with
/// `--quiet`, or for fewer than `at_least` steps); `work` calls the tick once per step.
fn with_progress<T>(total: u64, at_least: u64, unit: &str, work: impl FnOnce(hta_app::Progress) -> T) -> T {
    use std::io::IsTerminal;
    let quiet = QUIET.load(std::sync::atomic::Ordering::Relaxed);
    let bar = (!quiet && std::io::stderr().is_terminal() && total >= at_least.max(1)).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {unit}, {{eta}} left"))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let result = work(&tick);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    result
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

/// Runs the model and its incremental analysis, printing the run's warnings; with `sources`
/// the results keep their totals by state (the dossier pack shows them).
pub(crate) fn base_case(loaded: &Loaded, sources: bool) -> Result<hta_app::BaseCase, Exit> {
    let base = if sources { hta_app::base_case_with_sources(loaded) } else { hta_app::base_case(loaded) };
    let base = base.map_err(fail)?;
    for w in &base.warnings {
        eprintln!("warning: {w}");
    }
    Ok(base)
}

fn run(args: &RunArgs) -> Result<(), Exit> {
    let loaded = load(&args.model, &args.set)?;
    let base = base_case(&loaded, false)?;
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

pub(crate) fn io_error(path: &Path, error: &std::io::Error) -> Exit {
    eprintln!("error: cannot write {}: {error}", path.display());
    Exit::Io
}
