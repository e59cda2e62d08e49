//! `hta report MODEL --out DIR`: the dossier pack in one command. Loads the model file once and
//! runs the base case and every analysis the model supports on it (one-way if parameters have
//! low/high, two-way over the widest two, scenarios and subgroups if the model names any, PSA if
//! parameters have distributions, budget impact with `--budget`), each through the same code as
//! its own subcommand, then writes report.html, report.xlsx and report.md (and with `--excel`
//! model.xlsx, the live workbook of `hta excel`, in the same batch, recorded in the run record).

use std::path::Path;

use hta_report::html::{Extra, Part};

use crate::args::{DsaArgs, DsaOutcome, OnInvalidArg, PsaArgs, PsaReportArgs, ReportArgs};
use crate::exit::Exit;
use crate::{base_case, load, write_figures, write_outputs};

/// Most parameters given their own EVPPI in a report (each is one binned regression).
const MAX_EVPPI_PARAMETERS: usize = 30;

fn skipped(part: Part, why: String) -> Extra {
    let mut extra = Extra::new(part);
    extra.notes.push(why);
    extra
}

fn heading(text: &str) {
    println!("\n== {text}");
}

pub fn report(args: &ReportArgs) -> Result<(), Exit> {
    let loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let budget = match &args.budget {
        Some(budget) => Some(same_model(budget, &args.model)?),
        None => None,
    };
    let dir = &args.out;
    heading("Base case");
    let base = base_case(&loaded, true)?;
    let run = base.cea(model);
    print!("{}", hta_report::terminal::summary(&run));
    write_outputs(dir, &run)?;

    let mut extras = Vec::new();
    let ranged = model.parameters.iter().any(|p| p.uncertainty.low.is_some() && p.uncertainty.high.is_some());
    if ranged {
        heading("One-way sensitivity analysis");
        let incremental = model.strategies.len() > 1 && !model.settings.thresholds.is_empty();
        let (one_way, bars) = crate::sensitivity::dsa_of(
            &loaded,
            &DsaArgs {
                model: args.model.clone(),
                outcome: if incremental { DsaOutcome::Inmb } else { DsaOutcome::Cost },
                wtp: None,
                range_percent: None,
                out: Some(dir.clone()),
                set: args.set.clone(),
            },
        )?;
        extras.push(one_way);
        // A two-way grid over the two parameters with the widest bars.
        if let [x, y] = &widest_parameters(&bars)[..] {
            if incremental {
                heading("Two-way sensitivity analysis");
                extras.push(crate::sensitivity::twoway_of(
                    &loaded,
                    &crate::args::TwowayArgs {
                        model: args.model.clone(),
                        x: x.clone(),
                        y: y.clone(),
                        steps: 11,
                        // At the model's primary (first) threshold, as the one-way analysis above.
                        wtp: None,
                        out: Some(dir.clone()),
                        set: args.set.clone(),
                    },
                )?);
            }
        }
    } else {
        extras.push(skipped(
            Part::OneWay,
            "Not run: no parameter has `low` and `high` in the model file (`hta dsa --range-percent 20` varies every parameter by ±20%).".into(),
        ));
    }

    // The model's scenarios and the standard ones it does not name (no discounting, the
    // jurisdiction's alternative rates, half the horizon).
    if !model.scenarios.is_empty() || !hta_app::scenarios::standard(model).is_empty() {
        heading("Scenarios");
        extras.push(crate::sensitivity::scenarios_of(&loaded, true, Some(dir))?);
    }
    if !model.subgroups.is_empty() {
        heading("Subgroups");
        extras.push(crate::sensitivity::subgroups_of(&loaded, Some(dir))?);
    }

    let sampled: Vec<String> = model
        .parameters
        .iter()
        .filter(|p| p.uncertainty.distribution.is_some_and(|d| d != hta_model::Distribution::Fixed))
        .map(|p| p.name.clone())
        .collect();
    let can_sample = !sampled.is_empty() || !model.dirichlet.is_empty() || !model.multivariate_normal.is_empty();
    if can_sample && args.draws > 0 {
        heading("Probabilistic sensitivity analysis");
        let evppi = if sampled.len() <= MAX_EVPPI_PARAMETERS { sampled } else { Vec::new() };
        extras.push(crate::psa::psa_of(
            &loaded,
            &PsaArgs {
                model: args.model.clone(),
                draws: args.draws,
                first_draw: 0,
                seed: args.seed,
                threads: args.threads,
                on_invalid: OnInvalidArg::Stop,
                draws_file: None,
                report: PsaReportArgs {
                    wtp_grid: None,
                    evppi,
                    evppi_group: Vec::new(),
                    population: None,
                    population_years: None,
                    population_discount: None,
                    out: Some(dir.clone()),
                },
                set: args.set.clone(),
            },
        )?);
    } else {
        let why = if can_sample {
            "Not run: --draws 0.".to_string()
        } else {
            "Not run: no parameter has a `distribution` in the model file.".to_string()
        };
        extras.push(skipped(Part::Psa, why));
    }

    if let (Some(file), Some(spec)) = (&args.budget, budget) {
        heading("Budget impact");
        // The budget's model is this model in the budget's perspective, lowered again from the
        // text already read (under the budget file's name for it, as `hta budget` loads it).
        let set = hta_app::budget::model_overrides_with(&spec, &args.set, || model.perspectives.clone());
        let budget_model = crate::relower(&loaded, &spec.model_path, &set)?;
        let budget_args = crate::args::BudgetArgs {
            file: file.clone(),
            out: Some(dir.clone()),
            solve_price: false,
            price_param: None,
            wtp: None,
            budget_cap: None,
            set: args.set.clone(),
            draws: None,
            first_draw: 0,
            seed: 1,
            threads: None,
            annual_budget: None,
        };
        extras.push(crate::budget::budget_of(&budget_args, spec, budget_model)?);
    }

    // The live workbook, written in the same batch as the report's own files.
    let live = if args.excel {
        let (bytes, written) = crate::excel::workbook_of(&loaded, &args.model)?;
        extras.push(workbook_extra(&bytes, &written));
        Some((bytes, written))
    } else {
        None
    };

    heading("Dossier pack");
    let mut figures = Vec::new();
    figures.extend(hta_report::figures::survival_curves(&run));
    figures.extend(hta_report::figures::markov_traces(&run));
    figures.push(hta_report::figures::ce_plane(&run));
    write_figures(dir, &figures)?;
    write_tree_figures(dir, model)?;
    let sheets: Vec<(String, String)> = extras.iter().flat_map(|e| e.sheets.iter().cloned()).collect();
    let lang = crate::output::language();
    let book = hta_report::workbook::workbook(&run, &sheets, lang).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Io
    })?;
    let html = hta_report::html::report(&run, &figures, &extras, lang).map_err(|e| {
        eprintln!("error: {e}");
        Exit::Io
    })?;
    let markdown = hta_report::html::markdown(&run, &extras);
    let mut files: Vec<(&str, &[u8])> =
        vec![("report.xlsx", &book), ("report.html", html.as_bytes()), ("report.md", markdown.as_bytes())];
    if let Some((bytes, _)) = &live {
        files.push((LIVE_WORKBOOK, bytes));
    }
    crate::output::write_all(dir, &files)?;
    println!(
        "wrote report.html (self-contained: open it in any browser), report.xlsx and report.md to {}",
        dir.display()
    );
    if let Some((_, written)) = &live {
        println!("wrote {LIVE_WORKBOOK} (the live workbook; sheets: {})", written.sheets.join(", "));
        for note in &written.values_only {
            println!("note: {note}");
        }
    }
    Ok(())
}

/// The live workbook's name in the pack.
const LIVE_WORKBOOK: &str = "model.xlsx";

/// The live workbook in the report's run record: its file, SHA-256 and sheets, and what it
/// holds as values rather than formulas (also a sheet of report.xlsx).
fn workbook_extra(bytes: &[u8], written: &hta_excel::Written) -> Extra {
    let mut extra = Extra::new(Part::Workbook);
    let sha = hta_spec::InputFile::new("", bytes).sha256;
    extra.notes.push(format!(
        "{LIVE_WORKBOOK}: the model as a live Excel workbook (every result a formula of its Inputs \
         sheet; check cells on its Results sheet compare the recalculated results with this report's). \
         SHA-256 {sha}."
    ));
    if written.values_only.is_empty() {
        extra.notes.push("Every cell of it is a formula or an input.".into());
    }
    extra.notes.extend(written.values_only.iter().map(|n| format!("Written as values: {n}.")));
    let mut rows = vec![vec![LIVE_WORKBOOK.to_string(), sha, written.sheets.join("; ")]];
    rows.extend(written.values_only.iter().map(|n| vec![String::new(), String::new(), format!("values: {n}")]));
    extra.sheets.push((
        "Live workbook".into(),
        hta_report::tables::csv_text(&["file", "sha256", "contents"], rows.into_iter()),
    ));
    extra
}

/// Each decision tree in front of the model as `figures/tree_<strategy>.svg` and `.png`: the
/// diagram of the report, with every branch's probability as written and its value.
fn write_tree_figures(dir: &Path, model: &hta_model::Model) -> Result<(), Exit> {
    let lang = crate::output::language();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, s) in model.strategies.iter().enumerate() {
        let numbers = hta_markov::leaf_payoffs(model, hta_model::StrategyId::new(i)).and_then(Result::ok);
        let Some(svg) = hta_report::diagram::tree_diagram(model, i, numbers.as_ref(), lang) else { continue };
        // A file of its own needs the SVG namespace (the PNG is drawn on white).
        let svg = svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1);
        let png = hta_report::figures::png(&svg).map_err(|e| {
            eprintln!("error: decision tree of `{}`: {e}", s.name);
            Exit::Io
        })?;
        files.push((format!("tree_{}.svg", s.name), svg.into_bytes()));
        files.push((format!("tree_{}.png", s.name), png));
    }
    if files.is_empty() {
        return Ok(());
    }
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    crate::output::write_all(&dir.join("figures"), &named)?;
    let names: Vec<&str> = files.iter().step_by(2).map(|(n, _)| n.trim_end_matches(".svg")).collect();
    println!("drew {} (SVG, PNG) in {}", names.join(", "), dir.join("figures").display());
    Ok(())
}

/// The first two distinct parameters of a one-way analysis (its bars sorted widest first).
fn widest_parameters(bars: &[hta_app::dsa::Bar]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for b in bars {
        if !names.contains(&b.param) {
            names.push(b.param.clone());
        }
        if names.len() == 2 {
            break;
        }
    }
    names
}

/// The budget file must name the report's model, or its numbers would belong to another model.
/// Returns the budget file read.
fn same_model(budget: &Path, model: &Path) -> Result<hta_spec::budget::BudgetSpec, Exit> {
    let spec = hta_spec::budget::load_budget(budget).map_err(|d| crate::report_load_failure(&d))?;
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canonical(&spec.model_path) != canonical(model) {
        eprintln!(
            "error: {} is a budget file for {}, not for {}; give the budget file of this model",
            budget.display(),
            spec.model_path.display(),
            model.display()
        );
        return Err(Exit::Usage);
    }
    Ok(spec)
}
