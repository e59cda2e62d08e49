//! The probabilistic analysis: check the request against the model, run the seeded draws in a
//! thread pool (progress through a callback), and summarise them (means with 95% intervals,
//! the probability each strategy is cost-effective, expected loss, EVPI, EVPPI), with parameter
//! values from a file (`--draws-file`, [`read_draws`]). `hta psa`, `hta merge`, `hta report`
//! and the Python package all go through here. Of the sampled values only EVPPI's parameters are
//! held in memory; the rest are drawn again from the seed when a file asks for them.

use hta_analysis::psa::{Psa, StrategySummary, ThresholdAnalysis};
use hta_model::Model;
use hta_sensitivity::{Evaluator, ExternalDraws, OnInvalid, PsaRun, PsaSettings, Sampler};
use hta_spec::Loaded;

use crate::{Error, Progress};

/// What identifies the draws: recorded in psa.json and checked when shards are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawRecord {
    pub seed: u64,
    pub first_draw: u64,
    pub draws_requested: u64,
    /// `stop` or `skip` ([`OnInvalid::name`]).
    pub on_invalid: &'static str,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct PsaOptions {
    pub seed: u64,
    pub first_draw: u64,
    pub draws: u64,
    pub on_invalid: OnInvalid,
    /// Worker threads; `None` for rayon's default, `Some(0)` for one per core.
    pub threads: Option<usize>,
    /// Parameter values per draw that replace sampled ones (`--draws-file`), with the name of
    /// their file for messages.
    pub external: Option<(String, ExternalDraws)>,
    /// Parameters (and comma-separated groups) whose EVPPI will be asked for: checked against
    /// what a draw samples before any draw is run.
    pub evppi_names: Vec<String>,
}

impl PsaOptions {
    pub fn new(draws: u64, seed: u64) -> PsaOptions {
        PsaOptions {
            seed,
            first_draw: 0,
            draws,
            on_invalid: OnInvalid::Stop,
            threads: None,
            external: None,
            evppi_names: Vec::new(),
        }
    }
}

/// The model's sampler, with the external draws when given, checked to hold the draws asked for.
pub(crate) fn sampler_for(
    model: &Model,
    external: Option<&(String, ExternalDraws)>,
    first_draw: u64,
    draws: u64,
) -> Result<Sampler, Error> {
    let sampler = Sampler::new(model).map_err(|e| Error::Model(e.to_string()))?;
    let sampler = match external {
        Some((_, external)) => sampler.with_external(external.clone()),
        None => sampler,
    };
    if let Some(rows) = sampler.external_rows() {
        if (rows as u64) < first_draw + draws {
            return Err(Error::Usage(format!(
                "{} has {rows} draws; draws {first_draw}..{} were asked for",
                external.map_or("", |(name, _)| name.as_str()),
                first_draw + draws
            )));
        }
    }
    Ok(sampler)
}

/// A worker pool of `threads` threads (0 or none: one per core).
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Error> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t);
    }
    pool.build().map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))
}

/// Checks the request and runs the draws, in draw order whatever the number of threads.
pub fn run(loaded: &Loaded, options: &PsaOptions, progress: Option<Progress>) -> Result<PsaRun, Error> {
    if options.draws == 0 {
        return Err(Error::Usage(
            "--draws 0: a probabilistic analysis needs at least 1 draw (1,000 or more for stable results)".into(),
        ));
    }
    hta_sensitivity::check_draws(options.first_draw, options.draws).map_err(|e| Error::Usage(e.to_string()))?;
    let model = &loaded.model;
    let sampler = sampler_for(model, options.external.as_ref(), options.first_draw, options.draws)?;
    if sampler.is_empty() {
        return Err(Error::Usage(
            "no parameter has a `distribution` and there is no Dirichlet group: nothing to sample".into(),
        ));
    }
    let mut pins = Vec::new();
    sampler.draw(options.seed, options.first_draw, &mut pins);
    // --evppi names are checked against what one draw samples, before any draw is run; a
    // multivariate normal group stands for its members.
    // Their sampled values are the only ones held in memory; files draw the others again.
    let requested = options.evppi_names.iter().flat_map(|g| g.split(','));
    let mut keep = Vec::new();
    for name in requested.flat_map(|n| group_members(model, n.trim()).unwrap_or_else(|| vec![n.to_string()])) {
        match model.param_by_name(name.trim()).filter(|p| pins.iter().any(|(q, _)| q == p)) {
            Some(p) => keep.push(p),
            None => return Err(not_sampled(&name)),
        }
    }
    let settings = PsaSettings {
        seed: options.seed,
        first_draw: options.first_draw,
        draws: options.draws,
        on_invalid: options.on_invalid,
    };
    let evaluator = Evaluator::new(model);
    let pool = thread_pool(options.threads)?;
    let run = pool.install(|| hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &keep, progress));
    run.map_err(|failure| {
        let values: Vec<String> =
            failure.values.iter().map(|(p, v)| format!("{} = {v}", model.parameters[p.index()].name)).collect();
        Error::run(loaded, &failure.errors)
            .with_context("(use --on-invalid skip to leave such draws out and count them)".into())
            .with_context(format!("error: draw {} failed its run-time checks with {}", failure.draw, values.join(", ")))
    })
}

/// The member parameters of the multivariate normal group `name`, if there is one.
pub fn group_members(model: &Model, name: &str) -> Option<Vec<String>> {
    let group = model.multivariate_normal.iter().find(|g| g.name == name)?;
    Some(group.params.iter().map(|p| model.parameters[p.index()].name.clone()).collect())
}

pub(crate) fn not_sampled(name: &str) -> Error {
    Error::Usage(format!("--evppi `{name}` is not a sampled parameter (it needs a distribution or a Dirichlet group)"))
}

/// The summary of a set of draws.
pub struct PsaSummary {
    /// Per strategy: cost, effect and increments against the reference, means with intervals.
    pub strategies: Vec<StrategySummary>,
    /// At each of the model's thresholds.
    pub at_model: Vec<ThresholdAnalysis>,
    /// At each threshold of `grid` (the CEAC).
    pub at_grid: Vec<ThresholdAnalysis>,
    pub grid: Vec<f64>,
}

/// The cost and effect matrices of the kept draws (draw-major, borrowed), for [`Psa::new`].
pub fn matrices<'r>(model: &Model, run: &'r PsaRun) -> Result<(&'r [f64], &'r [f64]), Error> {
    if run.n_draws() == 0 {
        return Err(Error::Analysis("every draw failed its run-time checks".into()));
    }
    Ok(run.matrices(model.settings.effect))
}

/// Summarises the draws at the model's thresholds and at `grid`.
pub fn summarise(model: &Model, psa: &Psa, grid: Vec<f64>) -> Result<PsaSummary, Error> {
    let fail = |e: hta_analysis::psa::PsaError| Error::Analysis(e.to_string());
    let reference = model.settings.reference.index();
    let first_wtp = model.settings.thresholds.first().map_or(0.0, |t| t.value);
    let strategies = hta_analysis::psa::summarise(psa, reference, first_wtp).map_err(fail)?;
    let model_wtp: Vec<f64> = model.settings.thresholds.iter().map(|t| t.value).collect();
    let at_model = hta_analysis::psa::decision_uncertainty(psa, &model_wtp).map_err(fail)?;
    let at_grid = hta_analysis::psa::decision_uncertainty(psa, &grid).map_err(fail)?;
    Ok(PsaSummary { strategies, at_model, at_grid, grid })
}

/// The willingness-to-pay grid of a CEAC: `MIN:MAX:STEP`, or 0 to twice the model's highest
/// threshold in 100 steps.
pub fn grid(model: &Model, spec: Option<&str>) -> Result<Vec<f64>, Error> {
    let (min, max, step) = match spec {
        Some(text) => {
            let parts: Vec<f64> = text.split(':').filter_map(|p| p.trim().parse().ok()).collect();
            match parts[..] {
                [min, max, step] if step > 0.0 && max >= min && ((max - min) / step) <= 100_000.0 => (min, max, step),
                _ => {
                    return Err(Error::Usage(format!("--wtp-grid must be MIN:MAX:STEP with STEP > 0, MAX >= MIN and at most 100,000 steps, found `{text}`")));
                }
            }
        }
        None => {
            let top = model.settings.thresholds.iter().map(|t| t.value).fold(0.0, f64::max);
            let max = if top > 0.0 { 2.0 * top } else { 100_000.0 };
            (0.0, max, max / 100.0)
        }
    };
    let n = ((max - min) / step + 1e-9).floor() as usize;
    Ok((0..=n).map(|i| min + i as f64 * step).collect())
}

/// EVPPI of each parameter (binned) and each comma-separated group (additive spline
/// regression), at every threshold of `thresholds`.
pub fn evppi(
    model: &Model,
    run: &PsaRun,
    psa: &Psa,
    parameters: &[String],
    groups: &[String],
    thresholds: &[f64],
    progress: Option<Progress>,
) -> Result<Vec<(String, Vec<f64>)>, Error> {
    let tick = || {
        if let Some(tick) = progress {
            tick();
        }
    };
    let column = |name: &str| -> Result<std::borrow::Cow<'_, [f64]>, Error> {
        let p = model.param_by_name(name.trim());
        match p.and_then(|p| run.params.iter().position(|q| *q == p)) {
            Some(j) => Ok(run.param_column(j)),
            None => Err(not_sampled(name)),
        }
    };
    let fail = |e: hta_analysis::psa::PsaError| Error::Analysis(format!("EVPPI: {e}"));
    let mut out = Vec::new();
    for name in parameters {
        if group_members(model, name.trim()).is_some() {
            continue;
        }
        let values = hta_analysis::voi::evppi_binned(psa, &column(name)?, thresholds, None).map_err(fail)?;
        out.push((name.clone(), values));
        tick();
    }
    // A multivariate normal group named as a parameter is one parameter set, as a group is.
    let named_groups = parameters.iter().filter(|n| group_members(model, n.trim()).is_some());
    for group in named_groups.chain(groups) {
        let members: Vec<String> = group
            .split(',')
            .flat_map(|n| group_members(model, n.trim()).unwrap_or_else(|| vec![n.to_string()]))
            .collect();
        let columns = members.iter().map(|n| column(n)).collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[f64]> = columns.iter().map(|c| c.as_ref()).collect();
        let knots = if psa.n_draws() >= 1000 { 5 } else { 3 };
        let metamodel = hta_analysis::voi::Metamodel::AdditiveSpline { knots };
        let values = hta_analysis::voi::evppi_regression(psa, &slices, thresholds, metamodel).map_err(fail)?;
        out.push((group.clone(), values));
        tick();
    }
    Ok(out)
}

/// Reads a CSV of parameter values per draw (`--draws-file`; header: parameter names, one row
/// of finite numbers per draw), to replace the sampled values of those parameters.
pub fn read_draws(path: &std::path::Path, model: &Model) -> Result<ExternalDraws, Error> {
    let fail = |message: String| Error::Usage(format!("{}: {message}", path.display()));
    let text = crate::merge::read_text(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').map(str::trim).collect();
    for (i, name) in header.iter().enumerate() {
        if let Some(first) = header[..i].iter().position(|h| h == name) {
            return Err(fail(format!(
                "columns {} and {} are both named `{name}`; each parameter may have one column",
                first + 1,
                i + 1
            )));
        }
    }
    let params = header
        .iter()
        .map(|name| {
            model.param_by_name(name).ok_or_else(|| fail(format!("column `{name}` is not a parameter of the model")))
        })
        .collect::<Result<Vec<hta_model::ParamId>, Error>>()?;
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let row = line
            .split(',')
            .map(|cell| cell.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .filter(|r| r.len() == params.len())
            .ok_or_else(|| fail(format!("line {}: expected {} finite numbers", i + 2, params.len())))?;
        rows.push(row);
    }
    Ok(ExternalDraws { params, rows })
}
