//! The extension module `hta._hta`: a thin binding of the analysis layer (`hta-app`) for
//! Python. It loads a model once, runs the workflows with the GIL released, and hands results
//! back as plain columns (lists, or little-endian float64 bytes for numpy to view without a
//! copy) that `hta/__init__.py` turns into pandas DataFrames. Errors become `hta.ModelError`
//! (an invalid file) or `hta.RunError` (a run-time check failed), each with every diagnostic.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use hta_app::{Error, Loaded};

create_exception!(_hta, HtaError, PyException, "Base class of every error raised by hta.");
create_exception!(_hta, ModelError, HtaError, "The model file is invalid; `.diagnostics` lists every problem.");
create_exception!(_hta, RunError, HtaError, "The model failed a run-time check; `.diagnostics` says where.");
create_exception!(_hta, UsageError, HtaError, "The request does not fit the model.");

/// One diagnostic as a dict: file, line, column, code, severity, message, label, help.
fn diagnostic_dict<'py>(py: Python<'py>, d: &hta_app::Diagnostic) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let (line, column) = d.line_column().map_or((None, None), |(l, c)| (Some(l), Some(c)));
    dict.set_item("file", d.source.as_ref().map(|s| s.name().to_string()))?;
    dict.set_item("line", line)?;
    dict.set_item("column", column)?;
    dict.set_item("code", d.code)?;
    dict.set_item("severity", if d.is_error() { "error" } else { "warning" })?;
    dict.set_item("message", &d.message)?;
    dict.set_item("label", &d.label)?;
    dict.set_item("help", &d.help)?;
    Ok(dict)
}

fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    let diagnostics: Vec<Bound<'_, PyDict>> =
        error.diagnostics().iter().filter_map(|d| diagnostic_dict(py, d).ok()).collect();
    let mut message = error.to_string();
    for d in error.diagnostics().iter().filter(|d| d.is_error()) {
        message.push_str("\n  ");
        message.push_str(&d.one_line());
    }
    let err = match error.innermost() {
        Error::Invalid(_) | Error::Model(_) => ModelError::new_err(message),
        Error::RunFailed { .. } | Error::Analysis(_) => RunError::new_err(message),
        Error::Usage(_) => UsageError::new_err(message),
        Error::Io(_) | Error::Within { .. } => ModelError::new_err(message),
    };
    let value = err.value(py);
    let _ = value.setattr("diagnostics", PyList::new(py, diagnostics).ok());
    err
}

fn floats<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyBytes::new(py, &bytes)
}

/// `{"name": value}` overrides as `--set` takes them (values as text: numbers, settings).
fn parse_overrides(set: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<hta_app::Override>> {
    let Some(set) = set else { return Ok(Vec::new()) };
    let mut pairs = Vec::new();
    for (k, v) in set.iter() {
        let name: String = k.extract()?;
        let value = if let Ok(b) = v.extract::<bool>() {
            b.to_string()
        } else if let Ok(x) = v.extract::<f64>() {
            if v.extract::<i64>().is_ok() {
                v.str()?.to_string()
            } else {
                // The shortest text that reads back as the same float.
                format!("{x:?}")
            }
        } else {
            v.str()?.to_string()
        };
        pairs.push((name, value));
    }
    hta_app::overrides(pairs.iter().map(|(n, v)| (n.as_str(), v.clone())))
        .map_err(|e| UsageError::new_err(format!("set: {e}")))
}

/// A loaded, validated model.
#[pyclass(module = "hta._hta", frozen)]
struct Model {
    loaded: Loaded,
    path: PathBuf,
    overrides: Vec<hta_app::Override>,
}

#[pymethods]
impl Model {
    /// The model file's path.
    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Strategy names, in model order.
    #[getter]
    fn strategies(&self) -> Vec<String> {
        self.loaded.model.strategies.iter().map(|s| s.name.clone()).collect()
    }

    /// Parameter names, in model order.
    #[getter]
    fn parameters(&self) -> Vec<String> {
        self.loaded.model.parameters.iter().map(|p| p.name.clone()).collect()
    }

    /// Load warnings, one line each (file:line:col: message).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.loaded.warnings.iter().map(|w| w.one_line()).collect()
    }

    #[getter]
    fn effect(&self) -> &'static str {
        self.loaded.model.settings.effect.name()
    }

    #[getter]
    fn currency(&self) -> String {
        self.loaded.model.metadata.currency.clone()
    }

    #[getter]
    fn title(&self) -> String {
        self.loaded.model.metadata.title.clone()
    }

    /// Base case: the same files `hta run --out` writes (as text) and the numbers per strategy.
    fn run<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let loaded = &self.loaded;
        let base = py.allow_threads(|| hta_app::base_case(loaded)).map_err(|e| to_py_err(py, e))?;
        let model = &loaded.model;
        let cea = base.cea(model);
        let out = PyDict::new(py);
        out.set_item("results_json", hta_report::json::results_json(&cea))?;
        out.set_item("summary_csv", hta_report::tables::summary_csv(&cea))?;
        out.set_item("trace_csv", hta_report::tables::trace_csv(&cea))?;
        out.set_item("values_csv", hta_report::tables::values_csv(&cea))?;
        let strategies = PyDict::new(py);
        strategies.set_item("strategy", self.strategies())?;
        for (key, values) in [
            ("cost", base.results.iter().map(|r| r.total_cost(true)).collect::<Vec<_>>()),
            ("qaly", base.results.iter().map(|r| r.qaly(true)).collect()),
            ("ly", base.results.iter().map(|r| r.life_years(true)).collect()),
            ("cost_undiscounted", base.results.iter().map(|r| r.total_cost(false)).collect()),
            ("qaly_undiscounted", base.results.iter().map(|r| r.qaly(false)).collect()),
            ("ly_undiscounted", base.results.iter().map(|r| r.life_years(false)).collect()),
        ] {
            strategies.set_item(key, values)?;
        }
        out.set_item("strategies", strategies)?;
        out.set_item("warnings", base.warnings)?;
        Ok(out)
    }

    /// One-way analysis: one row per parameter and comparison, widest bars first.
    #[pyo3(signature = (outcome="inmb", wtp=None, range_percent=None))]
    fn dsa<'py>(
        &self,
        py: Python<'py>,
        outcome: &str,
        wtp: Option<f64>,
        range_percent: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        use hta_app::dsa::Measure;
        let measure = match outcome {
            "inmb" => Measure::Inmb,
            "nmb" => Measure::Nmb,
            "cost" => Measure::Cost,
            "effect" => Measure::Effect,
            "icer" => Measure::Icer,
            other => {
                return Err(UsageError::new_err(format!(
                    "outcome `{other}`: expected one of inmb, nmb, cost, effect, icer"
                )))
            }
        };
        let loaded = &self.loaded;
        let tornado = py
            .allow_threads(|| hta_app::dsa::one_way(loaded, measure, wtp, range_percent))
            .map_err(|e| to_py_err(py, e))?;
        let out = PyDict::new(py);
        let bars = &tornado.bars;
        out.set_item("parameter", bars.iter().map(|b| b.param.clone()).collect::<Vec<_>>())?;
        out.set_item("low", bars.iter().map(|b| b.low).collect::<Vec<_>>())?;
        out.set_item("high", bars.iter().map(|b| b.high).collect::<Vec<_>>())?;
        out.set_item("comparison", bars.iter().map(|b| b.comparison.clone()).collect::<Vec<_>>())?;
        out.set_item("outcome_at_low", bars.iter().map(|b| b.at_low).collect::<Vec<_>>())?;
        out.set_item("outcome_at_high", bars.iter().map(|b| b.at_high).collect::<Vec<_>>())?;
        out.set_item("width", bars.iter().map(|b| (b.at_high - b.at_low).abs()).collect::<Vec<_>>())?;
        out.set_item("quadrant_at_low", bars.iter().map(|b| b.label_low.clone()).collect::<Vec<_>>())?;
        out.set_item("quadrant_at_high", bars.iter().map(|b| b.label_high.clone()).collect::<Vec<_>>())?;
        let base = PyDict::new(py);
        base.set_item("comparison", tornado.base.iter().map(|b| b.0.clone()).collect::<Vec<_>>())?;
        base.set_item("value", tornado.base.iter().map(|b| b.1).collect::<Vec<_>>())?;
        let result = PyDict::new(py);
        result.set_item("bars", out)?;
        result.set_item("base", base)?;
        result.set_item("wtp", tornado.wtp)?;
        Ok(result)
    }

    /// Two-way analysis: a grid of `steps` values of `x` and of `y` over their ranges; per cell
    /// the net monetary benefit of each strategy at `wtp` and the optimal one (twoway.csv).
    #[pyo3(signature = (x, y, steps=11, wtp=None))]
    fn twoway<'py>(
        &self,
        py: Python<'py>,
        x: &str,
        y: &str,
        steps: usize,
        wtp: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let loaded = &self.loaded;
        let grid = py
            .allow_threads(|| hta_app::twoway::two_way(loaded, x, y, steps, wtp, None))
            .map_err(|e| to_py_err(py, e))?;
        let names = self.strategies();
        let cells = PyDict::new(py);
        cells.set_item("x", grid.cells.iter().map(|c| c.x).collect::<Vec<_>>())?;
        cells.set_item("y", grid.cells.iter().map(|c| c.y).collect::<Vec<_>>())?;
        cells.set_item("optimal", grid.cells.iter().map(|c| names[c.optimal].clone()).collect::<Vec<_>>())?;
        for (j, name) in names.iter().enumerate() {
            cells.set_item(format!("nmb_{name}"), grid.cells.iter().map(|c| c.nmb[j]).collect::<Vec<_>>())?;
        }
        let out = PyDict::new(py);
        out.set_item("x", &grid.x)?;
        out.set_item("y", &grid.y)?;
        out.set_item("x_values", grid.xs.clone())?;
        out.set_item("y_values", grid.ys.clone())?;
        out.set_item("wtp", grid.wtp)?;
        out.set_item("strategies", names)?;
        out.set_item("cells", cells)?;
        Ok(out)
    }

    /// Threshold analysis of `param` (`hta threshold`): per threshold the value at which
    /// `strategy` (default: the last) has ICER = threshold against `vs` (a strategy, default
    /// the reference), or with `vs="best"` where it stops being optimal.
    #[pyo3(signature = (param, strategy=None, vs=None, wtp=None))]
    fn threshold<'py>(
        &self,
        py: Python<'py>,
        param: &str,
        strategy: Option<String>,
        vs: Option<String>,
        wtp: Option<Vec<f64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        use hta_app::threshold::{Edge, ThresholdOutcome, ThresholdRequest, Versus};
        let request = ThresholdRequest {
            param: param.to_string(),
            strategy,
            versus: match vs.as_deref() {
                None => Versus::Reference,
                Some("best") => Versus::Best,
                Some(name) => Versus::Strategy(name.to_string()),
            },
            wtp: wtp.unwrap_or_default(),
        };
        let loaded = &self.loaded;
        let analysis =
            py.allow_threads(|| hta_app::threshold::threshold(loaded, &request)).map_err(|e| to_py_err(py, e))?;
        let model = &loaded.model;
        let rows = &analysis.rows;
        let nan = f64::NAN;
        let edge = |e: Edge| match e {
            Edge::Found(v) => (v, true),
            Edge::SearchEnd(v) => (v, false),
        };
        // result, value, check (re-run ICER or net benefit), lower, lower_found, upper,
        // upper_found, at_low, at_high
        type Columns = (&'static str, f64, f64, f64, bool, f64, bool, f64, f64);
        let columns: Vec<Columns> = rows
            .iter()
            .map(|r| match r.outcome {
                ThresholdOutcome::Icer { value, icer } => ("icer", value, icer, nan, false, nan, false, nan, nan),
                ThresholdOutcome::NetBenefit { value, net_benefit } => {
                    ("net_benefit", value, net_benefit, nan, false, nan, false, nan, nan)
                }
                ThresholdOutcome::OptimalBetween { below, above } => {
                    let ((lo, lo_found), (hi, hi_found)) = (edge(below), edge(above));
                    ("optimal_between", nan, nan, lo, lo_found, hi, hi_found, nan, nan)
                }
                ThresholdOutcome::AlwaysOrNever { optimal } => {
                    let kind = if optimal { "always_optimal" } else { "never_optimal" };
                    (kind, nan, nan, analysis.range.0, false, analysis.range.1, false, nan, nan)
                }
                ThresholdOutcome::NoSignChange { at_low, at_high } => {
                    ("no_sign_change", nan, nan, analysis.range.0, false, analysis.range.1, false, at_low, at_high)
                }
            })
            .collect();
        let table = PyDict::new(py);
        table.set_item("threshold", rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>())?;
        table.set_item("wtp", rows.iter().map(|r| r.wtp).collect::<Vec<_>>())?;
        table.set_item("result", columns.iter().map(|c| c.0).collect::<Vec<_>>())?;
        table.set_item("value", columns.iter().map(|c| c.1).collect::<Vec<_>>())?;
        table.set_item("check", columns.iter().map(|c| c.2).collect::<Vec<_>>())?;
        table.set_item("lower", columns.iter().map(|c| c.3).collect::<Vec<_>>())?;
        table.set_item("lower_found", columns.iter().map(|c| c.4).collect::<Vec<_>>())?;
        table.set_item("upper", columns.iter().map(|c| c.5).collect::<Vec<_>>())?;
        table.set_item("upper_found", columns.iter().map(|c| c.6).collect::<Vec<_>>())?;
        table.set_item("inmb_at_low", columns.iter().map(|c| c.7).collect::<Vec<_>>())?;
        table.set_item("inmb_at_high", columns.iter().map(|c| c.8).collect::<Vec<_>>())?;
        let out = PyDict::new(py);
        out.set_item("parameter", model.parameters[analysis.param.index()].name.clone())?;
        out.set_item("base", analysis.base)?;
        out.set_item("strategy", model.strategies[analysis.strategy].name.clone())?;
        out.set_item("comparator", analysis.comparator.map(|c| model.strategies[c].name.clone()))?;
        out.set_item("range", analysis.range)?;
        out.set_item("rows", table)?;
        Ok(out)
    }

    /// Scenarios (`hta scenarios`): the base case and each scenario of the model file, with
    /// `standard` also the standard ones it does not name; one row per run and strategy.
    #[pyo3(signature = (standard=false))]
    fn scenarios<'py>(&self, py: Python<'py>, standard: bool) -> PyResult<Bound<'py, PyDict>> {
        let loaded = &self.loaded;
        let result =
            py.allow_threads(|| hta_app::compare::scenarios(loaded, standard)).map_err(|e| to_py_err(py, e))?;
        side_by_side(py, &loaded.model, &result.runs)
    }

    /// Subgroups (`hta subgroups`): each subgroup, then the weighted total; one row per run
    /// and strategy.
    fn subgroups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let loaded = &self.loaded;
        let result = py.allow_threads(|| hta_app::compare::subgroups(loaded)).map_err(|e| to_py_err(py, e))?;
        let out = side_by_side(py, &loaded.model, &result.runs)?;
        out.set_item("total_equals_base_case", result.total_differs(&loaded.model).is_none())?;
        Ok(out)
    }

    /// Budget impact of a budget file that names this model, run with this model's overrides.
    fn budget<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
        let err = |e| to_py_err(py, e);
        let spec = py.allow_threads(|| hta_app::budget::load_spec(&path)).map_err(err)?;
        let canonical = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if canonical(&spec.model_path) != canonical(&self.path) {
            return Err(UsageError::new_err(format!(
                "{} is a budget file for {}, not for {}",
                path.display(),
                spec.model_path.display(),
                self.path.display()
            )));
        }
        let (overrides, this) = (&self.overrides, &self.loaded);
        let analysis = py
            .allow_threads(|| {
                // This model's text lowered again in the budget's perspective (not read again).
                let set = hta_app::budget::model_overrides_with(&spec, overrides, || this.model.perspectives.clone());
                let loaded = hta_app::relower(this, Some(&spec.model_path), &set)?;
                hta_app::budget::analyse(spec, loaded)
            })
            .map_err(err)?;
        let years = PyDict::new(py);
        let rows: Vec<(&str, &hta_budget::impact::YearImpact)> =
            analysis.impacts.iter().flat_map(|i| i.years.iter().map(move |y| (i.scheme.name.as_str(), y))).collect();
        years.set_item("scheme", rows.iter().map(|r| r.0.to_string()).collect::<Vec<_>>())?;
        years.set_item("year", rows.iter().map(|r| r.1.year).collect::<Vec<_>>())?;
        for (key, f) in [
            (
                "treated_from_prevalent",
                (|y: &hta_budget::impact::YearImpact| y.treated_from_prevalent) as fn(&_) -> f64,
            ),
            ("treated_from_incident", |y| y.treated_from_incident),
            ("paid_patients", |y| y.paid_patients),
            ("free_patients", |y| y.free_patients),
            ("unfunded_patients", |y| y.unfunded_patients),
            ("gross_payments", |y| y.gross_payments),
            ("rebates", |y| y.rebates),
            ("earmarked", |y| y.earmarked),
            ("care_with", |y| y.care_with),
            ("care_without", |y| y.care_without),
            ("net_impact", |y| y.net_impact),
            ("cumulative_impact", |y| y.cumulative_impact),
        ] {
            years.set_item(key, rows.iter().map(|r| f(r.1)).collect::<Vec<f64>>())?;
        }
        let schemes = PyDict::new(py);
        let impacts = &analysis.impacts;
        schemes.set_item("scheme", impacts.iter().map(|i| i.scheme.name.clone()).collect::<Vec<_>>())?;
        schemes.set_item(
            "label",
            impacts.iter().map(|i| i.scheme.label.clone().unwrap_or_default()).collect::<Vec<_>>(),
        )?;
        schemes
            .set_item("net_impact_over_horizon", impacts.iter().map(|i| i.total_net_impact()).collect::<Vec<_>>())?;
        schemes.set_item(
            "committed_after_horizon",
            impacts.iter().map(|i| i.committed_after_horizon).collect::<Vec<_>>(),
        )?;
        schemes.set_item("nominal_per_patient", impacts.iter().map(|i| i.nominal_per_patient).collect::<Vec<_>>())?;
        schemes.set_item(
            "present_value_per_patient",
            impacts.iter().map(|i| i.present_value_per_patient).collect::<Vec<_>>(),
        )?;
        schemes.set_item("break_even_year", impacts.iter().map(|i| i.break_even_year).collect::<Vec<_>>())?;
        let scenarios = PyDict::new(py);
        let sc: Vec<(&hta_app::budget::ScenarioResult, usize)> =
            analysis.scenarios.iter().flat_map(|s| (0..s.by_scheme.len()).map(move |k| (s, k))).collect();
        scenarios.set_item("scenario", sc.iter().map(|(s, _)| s.name.clone()).collect::<Vec<_>>())?;
        scenarios.set_item("horizon_years", sc.iter().map(|(s, _)| s.horizon_years).collect::<Vec<_>>())?;
        scenarios.set_item("scheme", sc.iter().map(|(_, k)| impacts[*k].scheme.name.clone()).collect::<Vec<_>>())?;
        scenarios.set_item("net_impact_over_horizon", sc.iter().map(|(s, k)| s.by_scheme[*k].0).collect::<Vec<_>>())?;
        scenarios.set_item("committed_after_horizon", sc.iter().map(|(s, k)| s.by_scheme[*k].1).collect::<Vec<_>>())?;
        scenarios.set_item("largest_yearly_impact", sc.iter().map(|(s, k)| s.by_scheme[*k].2).collect::<Vec<_>>())?;
        let out = PyDict::new(py);
        out.set_item("title", analysis.spec.title.clone())?;
        out.set_item("horizon_years", analysis.spec.horizon_years)?;
        out.set_item("years", years)?;
        out.set_item("schemes", schemes)?;
        out.set_item("scenarios", scenarios)?;
        out.set_item("warnings", analysis.warnings.clone())?;
        Ok(out)
    }

    /// Probabilistic analysis: draws, sampled values, summary, CEAC over the WTP grid.
    #[pyo3(signature = (draws=1000, seed=1, threads=None, first_draw=0, skip_invalid=false, wtp_grid=None, evppi=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn psa<'py>(
        &self,
        py: Python<'py>,
        draws: u64,
        seed: u64,
        threads: Option<usize>,
        first_draw: u64,
        skip_invalid: bool,
        wtp_grid: Option<String>,
        evppi: Option<Vec<String>>,
        progress: Option<PyObject>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let loaded = &self.loaded;
        let model = &loaded.model;
        let err = |e| to_py_err(py, e);
        let grid = hta_app::psa::grid(model, wtp_grid.as_deref()).map_err(err)?;
        let mut options = hta_app::psa::PsaOptions::new(draws, seed);
        options.first_draw = first_draw;
        options.threads = threads;
        options.evppi_names = evppi.clone().unwrap_or_default();
        if skip_invalid {
            options.on_invalid = hta_sensitivity::OnInvalid::Skip;
        }
        let done = AtomicU64::new(0);
        let every = (draws / 100).max(1);
        let tick = || {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(callback) = &progress {
                if n.is_multiple_of(every) || n == draws {
                    Python::with_gil(|py| {
                        let _ = callback.call1(py, (n, draws));
                    });
                }
            }
        };
        let tick: &(dyn Fn() + Sync) = &tick;
        let evppi_names = evppi.unwrap_or_default();
        let computed = py.allow_threads(|| {
            let run = hta_app::psa::run(loaded, &options, Some(tick))?;
            let (cost, effect) = hta_app::psa::matrices(model, &run)?;
            let psa = hta_analysis::psa::Psa::new(cost, effect, run.n_strategies)
                .map_err(|e| Error::Analysis(e.to_string()))?;
            let summary = hta_app::psa::summarise(model, &psa, grid)?;
            let evppi = hta_app::psa::evppi(model, &run, &psa, &evppi_names, &[], &summary.grid, None)?;
            Ok::<_, Error>((run, summary, evppi))
        });
        let (run, summary, evppi) = computed.map_err(err)?;
        let names = self.strategies();
        let out = PyDict::new(py);
        out.set_item("strategies", &names)?;
        out.set_item("draw", run.draws.clone())?;
        out.set_item("cost", floats(py, &run.cost))?;
        out.set_item("qaly", floats(py, &run.qaly))?;
        out.set_item("ly", floats(py, &run.ly))?;
        out.set_item(
            "parameters",
            run.params.iter().map(|p| model.parameters[p.index()].name.clone()).collect::<Vec<_>>(),
        )?;
        // Drawn again from the seed: only EVPPI's parameters were held through the run.
        out.set_item("values", floats(py, &run.values()))?;
        out.set_item("skipped", run.skipped.iter().map(|(d, _)| *d).collect::<Vec<_>>())?;
        out.set_item("effect", model.settings.effect.name())?;
        let s = PyDict::new(py);
        let stat = |f: &dyn Fn(&hta_analysis::psa::StrategySummary) -> f64| -> Vec<f64> {
            summary.strategies.iter().map(f).collect()
        };
        s.set_item("strategy", summary.strategies.iter().map(|x| names[x.strategy].clone()).collect::<Vec<_>>())?;
        s.set_item("mean_cost", stat(&|x| x.cost.mean))?;
        s.set_item("cost_sd", stat(&|x| x.cost.sd))?;
        s.set_item("cost_2.5%", stat(&|x| x.cost.lower))?;
        s.set_item("cost_97.5%", stat(&|x| x.cost.upper))?;
        s.set_item("mean_effect", stat(&|x| x.effect.mean))?;
        s.set_item("effect_sd", stat(&|x| x.effect.sd))?;
        s.set_item("effect_2.5%", stat(&|x| x.effect.lower))?;
        s.set_item("effect_97.5%", stat(&|x| x.effect.upper))?;
        s.set_item("mean_delta_cost", stat(&|x| x.incremental_cost.mean))?;
        s.set_item("mean_delta_effect", stat(&|x| x.incremental_effect.mean))?;
        out.set_item("summary", s)?;
        let ceac = PyDict::new(py);
        let n = names.len();
        let rows = summary.at_grid.len() * n;
        let (mut wtp, mut strategy, mut prob, mut nmb, mut loss, mut optimal) = (
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
        );
        for a in &summary.at_grid {
            for (j, name) in names.iter().enumerate() {
                wtp.push(a.threshold);
                strategy.push(name.clone());
                prob.push(a.probability_optimal[j]);
                nmb.push(a.expected_nmb[j]);
                loss.push(a.expected_loss[j]);
                optimal.push(a.optimal == j);
            }
        }
        ceac.set_item("wtp", wtp)?;
        ceac.set_item("strategy", strategy)?;
        ceac.set_item("probability_cost_effective", prob)?;
        ceac.set_item("expected_nmb", nmb)?;
        ceac.set_item("expected_loss", loss)?;
        ceac.set_item("optimal", optimal)?;
        out.set_item("ceac", ceac)?;
        let evpi = PyDict::new(py);
        evpi.set_item("wtp", summary.at_grid.iter().map(|a| a.threshold).collect::<Vec<_>>())?;
        evpi.set_item("evpi_per_person", summary.at_grid.iter().map(|a| a.evpi).collect::<Vec<_>>())?;
        for (name, values) in &evppi {
            evpi.set_item(format!("evppi_{name}"), values.clone())?;
        }
        out.set_item("evpi", evpi)?;
        Ok(out)
    }
}

/// Runs side by side as columns: run (label), name, kind, weight, strategy, cost, effect, status,
/// icer, inmb_vs_reference (NaN where there is none).
fn side_by_side<'py>(
    py: Python<'py>,
    model: &hta_model::Model,
    runs: &[hta_app::compare::Run],
) -> PyResult<Bound<'py, PyDict>> {
    use hta_app::compare::RunKind;
    let rows: Vec<(&hta_app::compare::Run, &hta_app::compare::Row)> =
        runs.iter().flat_map(|run| run.rows.iter().map(move |row| (run, row))).collect();
    let (name, kind, weight): (Vec<Option<String>>, Vec<&str>, Vec<f64>) = rows
        .iter()
        .map(|(run, _)| match &run.kind {
            RunKind::BaseCase => (None, "base_case", f64::NAN),
            RunKind::Scenario { name, standard } => {
                (Some(name.clone()), if *standard { "standard_scenario" } else { "scenario" }, f64::NAN)
            }
            RunKind::Subgroup { name, weight } => (Some(name.clone()), "subgroup", *weight),
            RunKind::WeightedTotal => (None, "weighted_total", 1.0),
        })
        .fold((Vec::new(), Vec::new(), Vec::new()), |(mut a, mut b, mut c), (x, y, z)| {
            a.push(x);
            b.push(y);
            c.push(z);
            (a, b, c)
        });
    let table = PyDict::new(py);
    table.set_item("run", rows.iter().map(|(run, _)| run.label.clone()).collect::<Vec<_>>())?;
    table.set_item("name", name)?;
    table.set_item("kind", kind)?;
    table.set_item("weight", weight)?;
    table.set_item(
        "strategy",
        rows.iter().map(|(_, r)| model.strategies[r.strategy].name.clone()).collect::<Vec<_>>(),
    )?;
    table.set_item("cost", rows.iter().map(|(_, r)| r.cost).collect::<Vec<_>>())?;
    table.set_item("effect", rows.iter().map(|(_, r)| r.effect).collect::<Vec<_>>())?;
    table.set_item("status", rows.iter().map(|(_, r)| r.status.code()).collect::<Vec<_>>())?;
    table.set_item("icer", rows.iter().map(|(_, r)| r.icer.unwrap_or(f64::NAN)).collect::<Vec<_>>())?;
    table.set_item(
        "inmb_vs_reference",
        rows.iter().map(|(_, r)| r.inmb_vs_reference.unwrap_or(f64::NAN)).collect::<Vec<_>>(),
    )?;
    let out = PyDict::new(py);
    out.set_item("rows", table)?;
    out.set_item("effect", model.settings.effect.name())?;
    Ok(out)
}

/// Loads and validates a model file; `set` overrides parameters or settings as `--set` does.
#[pyfunction]
#[pyo3(signature = (path, set=None))]
fn load(py: Python<'_>, path: PathBuf, set: Option<&Bound<'_, PyDict>>) -> PyResult<Model> {
    let overrides = parse_overrides(set)?;
    let loaded = py.allow_threads(|| hta_app::load(&path, &overrides.clone())).map_err(|e| to_py_err(py, e))?;
    Ok(Model { loaded, path, overrides })
}

/// Validates a model file and runs every check (`hta check`); returns its warnings.
#[pyfunction]
#[pyo3(signature = (path, set=None))]
fn check(py: Python<'_>, path: PathBuf, set: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<String>> {
    let overrides = parse_overrides(set)?;
    let result = py.allow_threads(|| {
        let loaded = hta_app::load(&path, &overrides)?;
        let (_, run_warnings) = hta_app::simulate(&loaded)?;
        Ok::<_, Error>(loaded.warnings.iter().map(|w| w.one_line()).chain(run_warnings).collect())
    });
    result.map_err(|e| to_py_err(py, e))
}

#[pymodule]
fn _hta(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    let py = m.py();
    m.add("HtaError", py.get_type::<HtaError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
