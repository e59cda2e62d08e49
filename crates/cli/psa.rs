//! `hta psa` and `hta merge`: run (or join) probabilistic draws, summarise them with
//! `hta-analysis`, print and write. A merged set of shards and a single run over the same draws
//! go through the same summary code and write identical files.

use hta_analysis::psa::{Psa, StrategySummary, ThresholdAnalysis};
use hta_app::psa::DrawRecord;
use hta_model::Model;
use hta_sensitivity::{OnInvalid, PsaRun};
use hta_spec::Loaded;

use hta_report::html::{Extra, Part};
use hta_report::tables::Table;

use crate::args::{MergeArgs, OnInvalidArg, PsaArgs, PsaReportArgs};
use crate::exit::Exit;
use crate::output::{Batch, CsvRows};
use crate::{load, number};

pub fn psa(args: &PsaArgs) -> Result<Extra, Exit> {
    let loaded = load(&args.model, &args.set)?;
    psa_of(&loaded, args)
}

/// `hta psa` on a loaded model (`args.model` and `args.set` are not read again).
pub fn psa_of(loaded: &Loaded, args: &PsaArgs) -> Result<Extra, Exit> {
    let model = &loaded.model;
    // Arguments that depend on the model are checked before the draws are run.
    hta_app::psa::grid(model, args.report.wtp_grid.as_deref()).map_err(crate::fail)?;
    population_factor(model, &args.report)?;
    let external = match &args.draws_file {
        Some(path) => Some((path.display().to_string(), hta_app::psa::read_draws(path, model).map_err(crate::fail)?)),
        None => None,
    };
    let on_invalid = match args.on_invalid {
        OnInvalidArg::Stop => OnInvalid::Stop,
        OnInvalidArg::Skip => OnInvalid::Skip,
    };
    let options = hta_app::psa::PsaOptions {
        seed: args.seed,
        first_draw: args.first_draw,
        draws: args.draws,
        on_invalid,
        threads: args.threads,
        external,
        evppi_names: args.report.evppi.iter().chain(&args.report.evppi_group).cloned().collect(),
    };
    let started = std::time::Instant::now();
    let run = crate::with_progress(args.draws, 1000, "draws", |tick| hta_app::psa::run(loaded, &options, Some(tick)));
    let run = run.map_err(crate::fail)?;
    let elapsed = started.elapsed().as_secs_f64();
    let record = DrawRecord {
        seed: args.seed,
        first_draw: args.first_draw,
        draws_requested: args.draws,
        on_invalid: on_invalid.name(),
    };
    println!("{}", model.metadata.title);
    println!(
        "Probabilistic analysis: {} draws (from draw {}), seed {}, {} parameters sampled, {} skipped, {elapsed:.3} s",
        run.n_draws(),
        args.first_draw,
        args.seed,
        run.params.len(),
        run.skipped.len(),
    );
    report(loaded, &record, run, &args.report)
}

/// Summarises a PSA, prints it and writes the files. Takes the run, to free its draws before the
/// figures are rendered (they hold what they plot), so that the two never add up in memory.
fn report(loaded: &Loaded, record: &DrawRecord, run: PsaRun, args: &PsaReportArgs) -> Result<Extra, Exit> {
    let model = &loaded.model;
    let grid = hta_app::psa::grid(model, args.wtp_grid.as_deref()).map_err(crate::fail)?;
    let (cost, effect) = hta_app::psa::matrices(model, &run).map_err(crate::fail)?;
    let fail = |e: hta_analysis::psa::PsaError| {
        eprintln!("error: {e}");
        Exit::RunFailed
    };
    let psa = Psa::new(cost, effect, run.n_strategies).map_err(fail)?;
    let hta_app::psa::PsaSummary { strategies: summaries, at_model, at_grid, grid: thresholds } =
        hta_app::psa::summarise(model, &psa, grid).map_err(crate::fail)?;
    let model_wtp: Vec<f64> = model.settings.thresholds.iter().map(|t| t.value).collect();
    let population = population_factor(model, args)?;
    let evppi = evppi(model, &run, &psa, args, &thresholds)?;
    print_summary(model, &summaries, &at_model, population);
    let at_model_evppi = if evppi.is_empty() || model_wtp.is_empty() {
        Vec::new()
    } else {
        self::evppi(model, &run, &psa, args, &model_wtp)?
    };
    if !at_model_evppi.is_empty() {
        let mut header = vec!["EVPPI per person of".to_string()];
        header.extend(model.settings.thresholds.iter().map(|t| format!("{} ({})", t.label, number(t.value, 0))));
        let rows = at_model_evppi
            .iter()
            .map(|(name, values)| {
                let mut row = vec![name.clone()];
                row.extend(values.iter().map(|v| number(*v, 2)));
                row
            })
            .collect();
        println!("{}", hta_report::terminal::simple_table(header, rows));
    }
    let mut extra = Extra::new(Part::Psa);
    extra.notes.push(format!(
        "{} draws (from draw {}), seed {}, {} parameters sampled, {} draws skipped; means with 95% intervals (2.5th to 97.5th percentiles).",
        run.n_draws(),
        record.first_draw,
        record.seed,
        run.params.len(),
        run.skipped.len()
    ));
    let summary = summary_csv(model, &summaries);
    let decision = decision_csv(model, &at_model, population);
    if let Some(factor) = population {
        extra.notes.push(population_note(model, args, factor));
    }
    extra.tables.extend(Table::from_csv("Probabilistic results per strategy", &summary));
    extra.tables.extend(Table::from_csv("Probability cost-effective and EVPI at each threshold", &decision));
    extra.sheets.push(("PSA summary".into(), summary));
    extra.sheets.push(("PSA thresholds".into(), decision));
    extra.figures = figures(model, &run, &at_grid);
    if !at_model_evppi.is_empty() {
        // At the model's primary (first) threshold, as every other analysis of the pack.
        let k = 0;
        if at_model.get(k).is_some_and(|t| t.evpi <= 0.0) {
            extra.notes.push(format!(
                "At the primary threshold ({}) the EVPI is 0: the same strategy is optimal in every draw, so no parameter has EVPPI there; evppi.csv gives the EVPPI at every threshold of the grid.",
                model.settings.thresholds[k].label
            ));
        }
        extra.figures.push(evppi_bars(model, &at_model_evppi, k));
        let mut csv = String::from("parameters,evppi_per_person\n");
        for (name, values) in &at_model_evppi {
            csv.push_str(&format!("\"{name}\",{}\n", values[k]));
        }
        let caption = format!("EVPPI per person at {}", model.settings.thresholds[k].label);
        extra.tables.extend(Table::from_csv(&caption, &csv));
        extra.sheets.push(("EVPPI".into(), csv));
    }
    if let Some(dir) = &args.out {
        let running = hta_analysis::psa::running_means(&psa, (run.n_draws() / 200).max(1)).map_err(fail)?;
        let context = Context { model, loaded, record, run: &run, thresholds: &thresholds, population };
        let tables = tables(&context, &at_grid, &evppi, &running);
        extra.figures.push(convergence_figure(model, &running));
        if let Some((_, ceac)) = tables.iter().find(|(name, _)| *name == "ceac.csv") {
            extra.sheets.push(("CEAC".into(), ceac.clone()));
        }
        write_files(&context, &summaries, &tables, dir)?;
        drop(run);
        crate::write_figures(dir, &extra.figures)?;
    }
    Ok(extra)
}

/// Means and 95% intervals per strategy.
fn summary_csv(model: &Model, summaries: &[StrategySummary]) -> String {
    let mut csv = String::from(
        "strategy,mean_cost,cost_2.5%,cost_97.5%,mean_effect,effect_2.5%,effect_97.5%,mean_delta_cost,mean_delta_effect\n",
    );
    for s in summaries {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            model.strategies[s.strategy].name,
            s.cost.mean,
            s.cost.lower,
            s.cost.upper,
            s.effect.mean,
            s.effect.lower,
            s.effect.upper,
            s.incremental_cost.mean,
            s.incremental_effect.mean
        ));
    }
    csv
}

/// Probability that each strategy is cost-effective, the optimal strategy and EVPI (per person,
/// and for the population if a population factor is given), at each of the model's thresholds.
fn decision_csv(model: &Model, at_model: &[ThresholdAnalysis], population: Option<f64>) -> String {
    let mut csv = String::from("threshold,value");
    for s in &model.strategies {
        csv.push_str(&format!(",probability_{}", s.name));
    }
    csv.push_str(",optimal_in_expectation,evpi_per_person");
    csv.push_str(if population.is_some() { ",evpi_population\n" } else { "\n" });
    for (t, a) in model.settings.thresholds.iter().zip(at_model) {
        csv.push_str(&format!("\"{}\",{}", t.label, t.value));
        for p in &a.probability_optimal {
            csv.push_str(&format!(",{p}"));
        }
        csv.push_str(&format!(",{},{}", model.strategies[a.optimal].name, a.evpi));
        match population {
            Some(factor) => csv.push_str(&format!(",{}\n", a.evpi * factor)),
            None => csv.push('\n'),
        }
    }
    csv
}

/// How the population EVPI was reached: people a year, years, rate, the discounted total.
fn population_note(model: &Model, args: &PsaReportArgs, factor: f64) -> String {
    let (people, years, rate, source) = decision_population(model, args).unwrap_or((0.0, 0, 0.0, None));
    let source = source.map(|s| format!(" (source: {s})")).unwrap_or_default();
    format!(
        "Population EVPI: per-person EVPI times {} people a year for {years} years{source}, year t discounted by (1 + {rate})^-t, an effective population of {}.",
        number(people, 0),
        number(factor, 1)
    )
}

/// EVPPI per person of each parameter (or group) at model threshold `k`, largest at the top.
fn evppi_bars(model: &Model, at_model: &[(String, Vec<f64>)], k: usize) -> hta_report::figures::Figure {
    let mut bars: Vec<(String, f64)> = at_model.iter().map(|(n, v)| (n.clone(), v[k])).collect();
    bars.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let t = &model.settings.thresholds[k];
    hta_report::figures::Figure {
        name: "evppi".into(),
        title: format!("EVPPI per person at {} ({})", t.label, number(t.value, 0)),
        x_label: format!("EVPPI per person ({})", model.metadata.currency),
        y_label: String::new(),
        plot: hta_report::figures::Plot::Bars { bars },
    }
}

/// The people population EVPI counts: (per year, years, annual rate, source), each part from
/// the command line if given there, else from the model's `settings.population`; `None` if
/// neither gives the people.
fn decision_population<'m>(model: &'m Model, args: &PsaReportArgs) -> Option<(f64, u32, f64, Option<&'m str>)> {
    let from_model = model.settings.population.as_ref();
    let people = args.population.or(from_model.map(|p| p.per_year))?;
    let years = args.population_years.or(from_model.map(|p| p.years)).unwrap_or(10);
    let rate = args.population_discount.or(from_model.map(|p| p.discount)).unwrap_or(model.settings.discount.effects);
    let source = from_model.and_then(|p| p.source.as_deref()).filter(|_| args.population.is_none());
    Some((people, years, rate, source))
}

/// The sum over years t = 1..T of I_t/(1 + r)^t for population EVPI, if a population is given.
fn population_factor(model: &Model, args: &PsaReportArgs) -> Result<Option<f64>, Exit> {
    let Some((people, years, rate, _)) = decision_population(model, args) else { return Ok(None) };
    let yearly = vec![people; years as usize];
    hta_analysis::voi::discounted_population(&yearly, rate).map(Some).map_err(|e| {
        eprintln!("error: population EVPI: {e}");
        Exit::Usage
    })
}

/// EVPPI of each requested parameter and group, at every grid threshold.
fn evppi(
    model: &Model,
    run: &PsaRun,
    psa: &Psa,
    args: &PsaReportArgs,
    thresholds: &[f64],
) -> Result<Vec<(String, Vec<f64>)>, Exit> {
    let total = (args.evppi.len() + args.evppi_group.len()) as u64;
    crate::with_progress(total, 1, "EVPPI parameters", |tick| {
        hta_app::psa::evppi(model, run, psa, &args.evppi, &args.evppi_group, thresholds, Some(tick))
    })
    .map_err(crate::fail)
}

fn print_summary(
    model: &Model,
    summaries: &[StrategySummary],
    at_model: &[ThresholdAnalysis],
    population: Option<f64>,
) {
    let unit = model.settings.effect.unit();
    let header = vec![
        "Strategy".to_string(),
        "Mean cost (95% interval)".into(),
        format!("Mean {unit}s (95% interval)"),
        "Mean Δ cost vs reference".into(),
        format!("Mean Δ {unit}s"),
    ];
    let rows = summaries
        .iter()
        .map(|s| {
            vec![
                model.strategies[s.strategy].name.clone(),
                format!("{} ({} to {})", number(s.cost.mean, 2), number(s.cost.lower, 2), number(s.cost.upper, 2)),
                format!(
                    "{} ({} to {})",
                    number(s.effect.mean, 4),
                    number(s.effect.lower, 4),
                    number(s.effect.upper, 4)
                ),
                number(s.incremental_cost.mean, 2),
                number(s.incremental_effect.mean, 4),
            ]
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
    if at_model.is_empty() {
        return;
    }
    let mut header = vec!["Threshold".to_string()];
    header.extend(model.strategies.iter().map(|s| format!("P(cost-effective) {}", s.name)));
    header.push("Optimal (expected NMB)".into());
    header.push("EVPI per person".into());
    if population.is_some() {
        header.push("Population EVPI".into());
    }
    let rows = model
        .settings
        .thresholds
        .iter()
        .zip(at_model)
        .map(|(t, a)| {
            let mut row = vec![format!("{} ({})", t.label, number(t.value, 0))];
            row.extend(a.probability_optimal.iter().map(|p| format!("{p:.3}")));
            row.push(model.strategies[a.optimal].name.clone());
            row.push(number(a.evpi, 2));
            if let Some(factor) = population {
                row.push(number(a.evpi * factor, 0));
            }
            row
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
}

/// The threshold grid: MIN:MAX:STEP, or 0 to twice the largest model threshold in 100 steps.
/// Most draws drawn on the CE plane (the CSV of the figure holds the same draws; psa_draws.csv
/// holds all).
const PLANE_DRAWS: usize = 2000;

/// The CE plane with the draws of each strategy, and the CEAC with the CEAF.
/// Running mean cost of each strategy against the number of draws: flat lines at the right say
/// there are enough draws.
fn convergence_figure(model: &Model, running: &hta_analysis::psa::RunningMeans) -> hta_report::figures::Figure {
    use hta_report::figures::{Figure, Plot, Series};
    let series = model
        .strategies
        .iter()
        .enumerate()
        .map(|(j, s)| Series {
            name: s.shown().to_string(),
            points: running.draws.iter().enumerate().map(|(point, n)| (*n as f64, running.cost_at(point, j))).collect(),
        })
        .collect();
    Figure {
        name: "psa_convergence".into(),
        title: "Convergence: running mean cost per strategy".into(),
        x_label: "Draws".into(),
        y_label: format!("Mean cost so far ({})", model.metadata.currency),
        plot: Plot::Lines { series },
    }
}

fn figures(model: &Model, run: &PsaRun, at_grid: &[ThresholdAnalysis]) -> Vec<hta_report::figures::Figure> {
    use hta_report::figures::{Figure, Plot, Series};
    let measure = model.settings.effect;
    let shown = run.n_draws().min(PLANE_DRAWS);
    let clouds: Vec<Series> = model
        .strategies
        .iter()
        .enumerate()
        .map(|(j, s)| Series {
            name: s.shown().to_string(),
            points: (0..shown)
                .map(|i| {
                    let o = run.outcome(i, j);
                    (o.effect(measure), o.cost)
                })
                .collect(),
        })
        .collect();
    let reference = model.settings.reference.index();
    let mean = |j: usize| {
        let points = &clouds[j].points;
        let n = points.len().max(1) as f64;
        (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n)
    };
    let effect = hta_report::figures::effect_axis(measure);
    let mut ceac: Vec<Series> = model
        .strategies
        .iter()
        .enumerate()
        .map(|(j, s)| Series {
            name: s.shown().to_string(),
            points: at_grid.iter().map(|a| (a.threshold, a.probability_optimal[j])).collect(),
        })
        .collect();
    ceac.push(Series {
        name: "CEAF (optimal in expectation)".into(),
        points: at_grid.iter().map(|a| (a.threshold, a.probability_optimal[a.optimal])).collect(),
    });
    vec![
        Figure {
            name: "ce_plane_psa".into(),
            title: format!("Cost-effectiveness plane: {shown} draws"),
            x_label: effect.into(),
            y_label: format!("Cost ({})", model.metadata.currency),
            plot: Plot::Plane {
                series: clouds.clone(),
                frontier: Vec::new(),
                origin: mean(reference),
                wtp: model.settings.thresholds.iter().map(|t| t.value).collect(),
            },
        },
        Figure {
            name: "evpi".into(),
            title: "Expected value of perfect information per person".into(),
            x_label: hta_report::figures::wtp_axis(model),
            y_label: format!("EVPI per person ({})", model.metadata.currency),
            plot: Plot::Lines {
                series: vec![Series {
                    name: "EVPI".into(),
                    points: at_grid.iter().map(|a| (a.threshold, a.evpi)).collect(),
                }],
            },
        },
        Figure {
            name: "ceac".into(),
            title: "Cost-effectiveness acceptability curves and frontier".into(),
            x_label: hta_report::figures::wtp_axis(model),
            y_label: "Probability cost-effective".into(),
            plot: Plot::Lines { series: ceac },
        },
    ]
}

struct Context<'a> {
    model: &'a Model,
    loaded: &'a Loaded,
    record: &'a DrawRecord,
    run: &'a PsaRun,
    thresholds: &'a [f64],
    population: Option<f64>,
}

/// Writes the draws, the sampled values and the tables, then psa.json with the SHA-256 of each,
/// as one batch. psa_draws.csv and psa_parameters.csv are written a record at a time (the
/// sampled values drawn again from the seed where they are not held), never whole in memory.
fn write_files(
    c: &Context,
    summaries: &[StrategySummary],
    tables: &[(&'static str, String)],
    dir: &std::path::Path,
) -> Result<(), Exit> {
    let (model, run) = (c.model, c.run);
    let names: Vec<&str> = model.strategies.iter().map(|s| s.name.as_str()).collect();
    let param_names: Vec<&str> = run.params.iter().map(|p| model.parameters[p.index()].name.as_str()).collect();
    let mut files = vec!["psa_draws.csv", "psa_parameters.csv"];
    files.extend(tables.iter().map(|(name, _)| *name));
    files.push("psa.json");
    let mut batch = Batch::new(dir, &files)?;
    let mut sums = vec![
        ("psa_draws.csv", batch.csv("psa_draws.csv", |out| draw_records(c, &names, out))?),
        ("psa_parameters.csv", batch.csv("psa_parameters.csv", |out| parameter_records(run, &param_names, out))?),
    ];
    for (name, text) in tables {
        sums.push((*name, batch.write(name, text.as_bytes())?));
    }
    // psa.json comes last and lists the others' SHA-256, so a set mixed by an interrupted
    // rewrite is recognised when it is read back (`hta merge`).
    let json = summary_json(c, &names, &param_names, summaries, &sums);
    batch.write("psa.json", json.as_bytes())?;
    batch.commit()?;
    println!("\nwrote {} to {}", files.join(", "), dir.display());
    Ok(())
}

/// psa_draws.csv: one record per draw and strategy.
fn draw_records(c: &Context, names: &[&str], out: &mut CsvRows) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let run = c.run;
    let effect = run.effect(c.model.settings.effect);
    out.record("draw,strategy,cost,effect,qaly,ly\n")?;
    let mut line = String::new();
    for (i, draw) in run.draws.iter().enumerate() {
        for (j, name) in names.iter().enumerate() {
            let k = i * run.n_strategies + j;
            line.clear();
            let _ = writeln!(line, "{draw},{name},{},{},{},{}", run.cost[k], effect[k], run.qaly[k], run.ly[k]);
            out.record(&line)?;
        }
    }
    Ok(())
}

/// psa_parameters.csv: one record per draw, the sampled value of each parameter.
fn parameter_records(run: &PsaRun, param_names: &[&str], out: &mut CsvRows) -> std::io::Result<()> {
    use std::fmt::Write as _;
    out.record(&format!("draw,{}\n", param_names.join(",")))?;
    let mut line = String::new();
    run.try_for_each_values(|draw, values| {
        line.clear();
        let _ = write!(line, "{draw},");
        for (k, v) in values.iter().enumerate() {
            let _ = if k == 0 { write!(line, "{v}") } else { write!(line, ",{v}") };
        }
        line.push('\n');
        out.record(&line)
    })
}

/// The tables of the PSA's output directory, beside the draws: CEAC, EVPI, EVPPI, convergence.
fn tables(
    c: &Context,
    at_grid: &[ThresholdAnalysis],
    evppi: &[(String, Vec<f64>)],
    running: &hta_analysis::psa::RunningMeans,
) -> Vec<(&'static str, String)> {
    let names: Vec<&str> = c.model.strategies.iter().map(|s| s.name.as_str()).collect();
    let mut ceac = String::from(
        "threshold,strategy,probability_cost_effective,expected_nmb,expected_loss,optimal_in_expectation\n",
    );
    let mut evpi = String::from("threshold,evpi_per_person,evpi_population\n");
    for a in at_grid {
        for (j, name) in names.iter().enumerate() {
            let optimal = a.optimal == j;
            ceac.push_str(&format!(
                "{},{name},{},{},{},{optimal}\n",
                a.threshold, a.probability_optimal[j], a.expected_nmb[j], a.expected_loss[j]
            ));
        }
        let population = c.population.map(|f| (a.evpi * f).to_string()).unwrap_or_default();
        evpi.push_str(&format!("{},{},{population}\n", a.threshold, a.evpi));
    }
    let mut evppi_csv = String::from("threshold,parameters,evppi_per_person\n");
    for (name, values) in evppi {
        for (t, v) in c.thresholds.iter().zip(values) {
            evppi_csv.push_str(&format!("{t},\"{name}\",{v}\n"));
        }
    }
    let mut convergence = String::from("draws,strategy,mean_cost,mean_effect\n");
    for (point, n) in running.draws.iter().enumerate() {
        for (j, name) in names.iter().enumerate() {
            convergence.push_str(&format!(
                "{n},{name},{},{}\n",
                running.cost_at(point, j),
                running.effect_at(point, j)
            ));
        }
    }
    vec![("ceac.csv", ceac), ("evpi.csv", evpi), ("evppi.csv", evppi_csv), ("psa_convergence.csv", convergence)]
}

fn summary_json(
    c: &Context,
    names: &[&str],
    param_names: &[&str],
    summaries: &[StrategySummary],
    files: &[(&str, String)],
) -> String {
    let stat = |x: &hta_analysis::psa::Summary| serde_json::json!({ "mean": x.mean, "sd": x.sd, "lower_95": x.lower, "upper_95": x.upper });
    let strategies: Vec<serde_json::Value> = summaries
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": names[s.strategy],
                "cost": stat(&s.cost),
                "effect": stat(&s.effect),
                "incremental_cost": stat(&s.incremental_cost),
                "incremental_effect": stat(&s.incremental_effect),
                "incremental_nmb_at_first_threshold": stat(&s.incremental_nmb),
            })
        })
        .collect();
    let (loaded, record, run) = (c.loaded, c.record, c.run);
    let json = serde_json::json!({
        "format": "hta-psa",
        "format_version": 1,
        "run": {
            "tool": "hta",
            "version": env!("CARGO_PKG_VERSION"),
            "inputs": loaded.inputs.iter().map(|i| serde_json::json!({ "path": i.path, "sha256": i.sha256 })).collect::<Vec<_>>(),
            "overrides": loaded.overrides.iter().map(|o| [o.name.clone(), o.value.clone()]).collect::<Vec<_>>(),
            "seed": record.seed,
            "first_draw": record.first_draw,
            "draws_requested": record.draws_requested,
            "draws_kept": run.n_draws(),
            "draws_skipped": run.skipped.iter().map(|(d, _)| d).collect::<Vec<_>>(),
            "on_invalid": record.on_invalid,
            "generator": "ChaCha8 (rand_chacha 0.10), stream = draw number; rand_distr 0.6",
            "sampled_parameters": param_names,
        },
        "files": files.iter().map(|(name, sha256)| (name.to_string(), serde_json::Value::from(sha256.as_str()))).collect::<serde_json::Map<_, _>>(),
        "effect": c.model.settings.effect.name(),
        "reference_strategy": names[c.model.settings.reference.index()],
        "thresholds": c.thresholds,
        "strategies": strategies,
    });
    serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
}

pub fn merge(args: &MergeArgs) -> Result<Extra, Exit> {
    let loaded = load(&args.model, &args.set)?;
    let model = &loaded.model;
    let merged = hta_app::merge::merge(&loaded, &args.shards).map_err(crate::fail)?;
    let hta_app::merge::Merged { run, record, shards } = merged;
    println!("{}", model.metadata.title);
    println!(
        "Merged {shards} shards: {} draws (from draw {}), seed {}, {} skipped",
        run.n_draws(),
        record.first_draw,
        record.seed,
        run.skipped.len()
    );
    report(&loaded, &record, run, &args.report)
}
