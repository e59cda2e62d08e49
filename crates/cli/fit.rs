//! `hta fit DATA --out DIR`: fits every parametric family to individual patient data, per arm
//! and (with two or more arms) pooled with the arm as a covariate on the location parameter,
//! and writes the fit table (CSV, JSON), the ranking, numbers at risk, the TSD 14 diagnostic
//! figures (fitted curves over Kaplan–Meier with its 95% band, hazards, log cumulative hazard
//! against log time) and a model-file fragment: one curve per fit whose parameters are a
//! `multivariate_normal` group on the estimation scale, naming the data file and its SHA-256.
//! `--into MODEL` merges the fragment into a model file (checked before it is written).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hta_fit::{kaplan_meier_with_entry, Fit, FitOptions, Model, PatientData, Status};
use hta_model::survival::Family;
use hta_report::figures::{Figure, Plot, Series};

use crate::exit::Exit;

#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// Patient data: CSV with a header naming `time` (> 0), `event` (1 event, 0 censored),
    /// optionally `arm`, optionally `entry` (delayed entry: the time a patient came under
    /// observation, at least 0 and less than `time`; the fits and the Kaplan–Meier estimate
    /// condition on survival to it), and any further numeric columns (covariates; not used in
    /// the fits yet).
    pub data: PathBuf,
    /// Directory for the outputs (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Families to fit, comma-separated (default: all): exponential, weibull, weibull_ph,
    /// gompertz, llogis, lnorm, gamma, gengamma.
    #[arg(long, value_delimiter = ',', value_name = "FAMILY,...")]
    pub families: Vec<String>,
    /// The unit of the times in DATA, written as the curves' `time_unit`.
    #[arg(long, default_value = "years", value_parser = ["days", "weeks", "months", "years"])]
    pub time_unit: String,
    /// Prefix of the curve and parameter names in the fragment (default: the data file's stem).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Horizon of the figures' extrapolation, in the data's time unit (default: 3 times the
    /// longest follow-up).
    #[arg(long, value_name = "TIME")]
    pub horizon: Option<f64>,
    /// Numbers at risk (CSV: `time`, `at_risk`, optionally `arm`): DATA is then a digitised
    /// Kaplan–Meier curve (`time`, `survival`, optionally `arm`), reconstructed to pseudo patient
    /// data by the algorithm of Guyot et al. (2012) before fitting (written as
    /// reconstructed_ipd.csv).
    #[arg(long, value_name = "FILE")]
    pub at_risk: Option<PathBuf>,
    /// Skip the mixture cure models (one over each family, by default fitted too).
    #[arg(long)]
    pub no_cure: bool,
    /// Numbers of internal knots of the Royston–Parmar spline models (default 1,2,3; 0 for none).
    #[arg(long, value_delimiter = ',', value_name = "K,...", default_values_t = [1usize, 2, 3])]
    pub spline_knots: Vec<usize>,
    /// Merge the fragment into this model file (rewritten only with --force, and only if the
    /// merged model loads).
    #[arg(long, value_name = "MODEL")]
    pub into: Option<PathBuf>,
}

/// A fit with what it was fitted to.
struct Fitted {
    /// The arm's name, or "pooled" for all arms with the arm as a covariate.
    arm: String,
    /// For a pooled fit, the arms in order (the first is the reference).
    arms: Vec<String>,
    fit: Fit,
}

/// A name usable in a model file: lower case letters, digits and `_`, starting with a letter.
fn identifier(text: &str) -> String {
    let mut s: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'x');
    }
    s
}

pub fn fit(args: &FitArgs) -> Result<(), Exit> {
    let families = families(&args.families)?;
    if let Some(k) = args.spline_knots.iter().find(|&&k| k > 3) {
        eprintln!("error: --spline-knots: {k} internal knots; 1 to 3 are supported (0 for none)");
        return Err(Exit::Usage);
    }
    let bytes = std::fs::read(&args.data).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", args.data.display());
        Exit::Io
    })?;
    let source = args.data.display().to_string();
    let mut extra_files: Vec<(String, Vec<u8>)> = Vec::new();
    let ipd = match &args.at_risk {
        None => bytes.clone(),
        Some(risk_path) => {
            let risk = std::fs::read(risk_path).map_err(|e| {
                eprintln!("error: cannot read {}: {e}", risk_path.display());
                Exit::Io
            })?;
            let arms = hta_fit::guyot::read_digitised(&source, &bytes, &risk_path.display().to_string(), &risk)
                .map_err(|errors| data_errors(&errors))?;
            let mut csv = String::from("time,event,arm\n");
            for (arm, rec) in &arms {
                for (t, e) in rec.times.iter().zip(&rec.events) {
                    let _ = writeln!(csv, "{t},{},{}", u8::from(*e), csv_field(&arm.arm));
                }
            }
            extra_files.push(("reconstructed_ipd.csv".into(), csv.clone().into_bytes()));
            csv.into_bytes()
        }
    };
    let data = hta_fit::data::parse_ipd(&source, &ipd).map_err(|errors| data_errors(&errors))?;
    let sha256 = hta_spec::InputFile::new(&source, &bytes).sha256;
    let prefix = identifier(
        &args
            .name
            .clone()
            .unwrap_or_else(|| args.data.file_stem().and_then(|s| s.to_str()).unwrap_or("fit").to_string()),
    );
    let models = Models {
        families,
        cure: !args.no_cure,
        splines: args.spline_knots.iter().copied().filter(|&k| k > 0).collect(),
    };
    let fitted = fit_everything(&data, &models);
    let horizon = args.horizon.unwrap_or_else(|| 3.0 * data.observations.iter().map(|o| o.time).fold(0.0, f64::max));
    print_summary(&data, &fitted);
    let provenance = format!("hta fit {} (sha256 {sha256})", source);
    let fragment = fragment(&fitted, &prefix, &args.time_unit, &provenance);
    let json = json(&data, &fitted, &source, &sha256);
    let files: Vec<(String, Vec<u8>)> = vec![
        ("fits.csv".into(), fits_csv(&fitted).into_bytes()),
        ("fit_ranking.csv".into(), ranking_csv(&fitted).into_bytes()),
        ("at_risk.csv".into(), at_risk_csv(&data).into_bytes()),
        ("fits.json".into(), json.into_bytes()),
        ("fit_fragment.yaml".into(), fragment.clone().into_bytes()),
    ];
    let files: Vec<(String, Vec<u8>)> = files.into_iter().chain(extra_files).collect();
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    crate::output::write_all(&args.out, &borrowed)?;
    crate::output::write_figures(&args.out, &figures(&data, &fitted, horizon, &args.time_unit))?;
    println!(
        "wrote fits.csv, fit_ranking.csv, at_risk.csv, fits.json, fit_fragment.yaml and figures to {}",
        args.out.display()
    );
    if let Some(model) = &args.into {
        merge_into(model, &fragment)?;
    }
    Ok(())
}

fn data_errors(errors: &[hta_fit::DataError]) -> Exit {
    for e in errors {
        eprintln!("error: {e}");
    }
    let n = errors.len();
    eprintln!("error: {n} problem{} in the data; nothing was fitted", if n == 1 { "" } else { "s" });
    Exit::InvalidModel
}

fn families(names: &[String]) -> Result<Vec<Family>, Exit> {
    if names.is_empty() {
        return Ok(Family::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            Family::from_name(n.trim()).ok_or_else(|| {
                let all: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
                eprintln!("error: --families: unknown family `{n}`; expected one of {}", all.join(", "));
                Exit::Usage
            })
        })
        .collect()
}

/// What to fit to each arm (and pooled).
struct Models {
    families: Vec<Family>,
    cure: bool,
    /// Numbers of internal knots of the spline models.
    splines: Vec<usize>,
}

impl Models {
    /// The models for these times and events (spline knots come from the data).
    fn for_data(&self, times: &[f64], events: &[bool]) -> Vec<Model> {
        let mut out: Vec<Model> = self.families.iter().map(|&f| Model::Parametric(f)).collect();
        if self.cure {
            out.extend(self.families.iter().map(|&f| Model::Cure(f)));
        }
        out.extend(self.splines.iter().filter_map(|&k| hta_fit::spline_knots(times, events, k)).map(Model::Spline));
        out
    }
}

fn fit_everything(data: &PatientData, models: &Models) -> Vec<Fitted> {
    let options = FitOptions::default();
    let mut out = Vec::new();
    for (a, arm) in data.arms.iter().enumerate() {
        let (t, e) = data.times_events(Some(a));
        let entry = data.entries(Some(a));
        for model in models.for_data(&t, &e) {
            out.push(Fitted {
                arm: arm.clone(),
                arms: Vec::new(),
                fit: hta_fit::fit_model(&model, &t, &e, &entry, &[], &[], options),
            });
        }
    }
    if data.arms.len() > 1 {
        let (t, e) = data.times_events(None);
        let x: Vec<Vec<f64>> = data
            .observations
            .iter()
            .map(|o| (1..data.arms.len()).map(|k| f64::from(u8::from(o.arm == k))).collect())
            .collect();
        let names: Vec<String> = data.arms[1..].iter().map(|a| format!("arm_{}", identifier(a))).collect();
        for model in models.for_data(&t, &e) {
            let fit = hta_fit::fit_model(&model, &t, &e, &data.entries(None), &x, &names, options);
            out.push(Fitted { arm: "pooled".into(), arms: data.arms.clone(), fit });
        }
    }
    out
}

fn groups(fitted: &[Fitted]) -> Vec<(&str, Vec<&Fitted>)> {
    let mut groups: Vec<(&str, Vec<&Fitted>)> = Vec::new();
    for f in fitted {
        match groups.iter_mut().find(|(a, _)| *a == f.arm) {
            Some((_, list)) => list.push(f),
            None => groups.push((&f.arm, vec![f])),
        }
    }
    groups
}

fn print_summary(data: &PatientData, fitted: &[Fitted]) {
    println!(
        "{}: {} patients, {} events, arms: {}",
        data.source,
        data.observations.len(),
        data.observations.iter().filter(|o| o.event).count(),
        data.arms.join(", ")
    );
    for (arm, list) in groups(fitted) {
        let fits: Vec<Fit> = list.iter().map(|f| f.fit.clone()).collect();
        println!("\n{arm}: family, loglik, AIC, ΔAIC, BIC, status");
        for r in hta_fit::mle::rank(&fits) {
            let fit = fits.iter().find(|f| f.family == r.family);
            let (ll, status) = fit.map_or((f64::NAN, ""), |f| (f.loglik, f.status.as_str()));
            println!("  {:<18} {:>12.4} {:>10.3} {:>8.3} {:>10.3}  {status}", r.family, ll, r.aic, r.delta_aic, r.bic);
        }
    }
}

fn fits_csv(fitted: &[Fitted]) -> String {
    let mut out = String::from("arm,family,parameter,estimate,std_error,coefficient,scale,loglik,aic,bic,status\n");
    for f in fitted {
        let fit = &f.fit;
        for (i, name) in fit.parameters.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&f.arm),
                fit.family,
                name,
                fit.estimates[i],
                fit.std_errors[i],
                fit.coefficients[i],
                fit.scales[i],
                fit.loglik,
                fit.aic,
                fit.bic,
                fit.status.as_str()
            );
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn ranking_csv(fitted: &[Fitted]) -> String {
    let mut out = String::from("arm,family,parameters,loglik,aic,delta_aic,rank_aic,bic,delta_bic,rank_bic,status\n");
    for (arm, list) in groups(fitted) {
        let fits: Vec<Fit> = list.iter().map(|f| f.fit.clone()).collect();
        for r in hta_fit::mle::rank(&fits) {
            let Some(fit) = fits.iter().find(|f| f.family == r.family) else { continue };
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(arm),
                r.family,
                fit.parameters.len(),
                fit.loglik,
                r.aic,
                r.delta_aic,
                r.rank_aic,
                r.bic,
                r.delta_bic,
                r.rank_bic,
                fit.status.as_str()
            );
        }
    }
    out
}

/// Numbers at risk at 0 and ten equal steps to the longest follow-up, per arm.
fn at_risk_csv(data: &PatientData) -> String {
    let mut out = String::from("arm,time,at_risk,km_survival\n");
    for (a, arm) in data.arms.iter().enumerate() {
        let (t, e) = data.times_events(Some(a));
        let km = kaplan_meier_with_entry(&t, &e, &data.entries(Some(a)));
        for step in 0..=10 {
            let time = km.max_time() * step as f64 / 10.0;
            let _ = writeln!(out, "{},{},{},{}", csv_field(arm), time, km.at_risk_at(time), km.survival_at(time));
        }
    }
    out
}

fn json(data: &PatientData, fitted: &[Fitted], source: &str, sha256: &str) -> String {
    let arms: Vec<serde_json::Value> = data
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let (t, e) = data.times_events(Some(a));
            serde_json::json!({ "arm": arm, "n": t.len(), "events": e.iter().filter(|&&x| x).count(), "kaplan_meier": kaplan_meier_with_entry(&t, &e, &data.entries(Some(a))) })
        })
        .collect();
    let fits: Vec<serde_json::Value> = fitted
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f.fit).unwrap_or_default();
            v["arm"] = serde_json::Value::String(f.arm.clone());
            if !f.arms.is_empty() {
                v["reference_arm"] = serde_json::Value::String(f.arms[0].clone());
            }
            v
        })
        .collect();
    let ranking: Vec<serde_json::Value> = groups(fitted)
        .into_iter()
        .map(|(arm, list)| {
            let fits: Vec<Fit> = list.iter().map(|f| f.fit.clone()).collect();
            serde_json::json!({ "arm": arm, "ranking": hta_fit::mle::rank(&fits) })
        })
        .collect();
    let doc = serde_json::json!({ "data": { "path": source, "sha256": sha256 }, "arms": arms, "fits": fits, "ranking": ranking });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The model-file fragment: for each fit with a covariance, a `multivariate_normal` group of
/// its coefficients (estimation scale) and a curve reading them; fits without one are written
/// as fixed curves, in a comment.
fn fragment(fitted: &[Fitted], prefix: &str, unit: &str, provenance: &str) -> String {
    let mut curves = String::new();
    let mut groups = String::new();
    let mut notes = String::new();
    let quoted = provenance.replace('\\', "\\\\").replace('"', "\\\"");
    for f in fitted {
        let fit = &f.fit;
        let base = format!("{prefix}_{}_{}", identifier(&f.arm), fit.family);
        let k = fit.model.param_names().len();
        let names: Vec<String> = fit
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| match fit.scales[i] {
                "log" | "logit" if i < k => format!("{base}_{}_{}", fit.scales[i], identifier(p)),
                _ => format!("{base}_{}", identifier(p)),
            })
            .collect();
        if fit.covariance.is_empty() || fit.status != Status::Converged {
            let _ = writeln!(notes, "# {base}: {} ({}), not written", fit.status.as_str(), f.arm);
            continue;
        }
        let location = fit.model.location();
        let arms: Vec<(String, Option<usize>)> = if f.arms.is_empty() {
            vec![(base.clone(), None)]
        } else {
            f.arms.iter().enumerate().map(|(j, a)| (format!("{base}_{}", identifier(a)), j.checked_sub(1))).collect()
        };
        for (curve, covariate) in arms {
            // The model-file expression of parameter i on its natural scale.
            let value = |i: usize| {
                let mut term = names[i].clone();
                if let (true, Some(c)) = (i == location, covariate) {
                    term = format!("{term} + {}", names[k + c]);
                }
                match fit.scales[i] {
                    "log" => format!("exp({term})"),
                    "logit" => format!("1 / (1 + exp(-({term})))"),
                    _ => term,
                }
            };
            let family_curve = |family: Family, name: &str| {
                let params: Vec<String> =
                    family.param_names().iter().enumerate().map(|(i, p)| format!("{p}: \"{}\"", value(i))).collect();
                format!(
                    "  {name}: {{ time_unit: {unit}, {}: {{ {} }}, source: \"{quoted}\" }}\n",
                    family.name(),
                    params.join(", ")
                )
            };
            match &fit.model {
                Model::Parametric(family) => curves.push_str(&family_curve(*family, &curve)),
                Model::Cure(family) => {
                    let uncured = format!("{curve}_uncured");
                    curves.push_str(&family_curve(*family, &uncured));
                    let _ = writeln!(
                        curves,
                        "  {curve}: {{ mixture_cure: {{ cure_fraction: \"{}\", uncured: {uncured} }} }}",
                        value(k - 1)
                    );
                }
                Model::Spline(knots) => {
                    let gammas: Vec<String> = (0..k).map(|i| format!("\"{}\"", value(i))).collect();
                    let knots: Vec<String> = knots.iter().map(|x| format!("{x:e}")).collect();
                    let _ = writeln!(
                        curves,
                        "  {curve}: {{ time_unit: {unit}, spline: {{ knots: [{}], gamma: [{}] }}, source: \"{quoted}\" }}",
                        knots.join(", "),
                        gammas.join(", ")
                    );
                }
            }
        }
        let numbers = |v: &[f64]| v.iter().map(|x| format!("{x:e}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(groups, "  {base}:");
        let _ = writeln!(
            groups,
            "    label: \"{} fit, {} (loglik {:.4}, AIC {:.3})\"",
            fit.family,
            f.arm.replace('"', "'"),
            fit.loglik,
            fit.aic
        );
        let _ = writeln!(groups, "    source: \"{quoted}\"");
        let _ = writeln!(groups, "    parameters: [{}]", names.join(", "));
        let _ = writeln!(groups, "    mean: [{}]", numbers(&fit.coefficients));
        let _ = writeln!(groups, "    covariance:");
        for row in &fit.covariance {
            let _ = writeln!(groups, "      - [{}]", numbers(row));
        }
    }
    let mut out = format!(
        "# Survival curves fitted by {provenance}.\n# Parameters are on flexsurv's estimation scale (log of positive parameters), drawn jointly in PSA.\n"
    );
    out.push_str(&notes);
    out.push_str("survival:\n");
    out.push_str(&curves);
    out.push_str("multivariate_normal:\n");
    out.push_str(&groups);
    out
}

/// Kaplan–Meier as a step function.
fn steps(times: &[f64], values: &[f64], start: f64, end: f64) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, start)];
    let mut last = start;
    for (&t, &v) in times.iter().zip(values) {
        if v.is_finite() {
            points.push((t, last));
            points.push((t, v));
            last = v;
        }
    }
    if points.last().is_some_and(|p| p.0 < end) {
        points.push((end, last));
    }
    points
}

fn figures(data: &PatientData, fitted: &[Fitted], horizon: f64, unit: &str) -> Vec<Figure> {
    let mut figures = Vec::new();
    let grid: Vec<f64> = (1..=200).map(|i| horizon * i as f64 / 200.0).collect();
    for (a, arm) in data.arms.iter().enumerate() {
        let (t, e) = data.times_events(Some(a));
        let km = kaplan_meier_with_entry(&t, &e, &data.entries(Some(a)));
        let fits: Vec<&Fit> = fitted.iter().filter(|f| f.arm == *arm).map(|f| &f.fit).collect();
        let name = identifier(arm);
        let mut survival = vec![
            Series { name: "Kaplan-Meier".into(), points: steps(&km.times, &km.survival, 1.0, km.max_time()) },
            Series { name: "KM 95% lower".into(), points: steps(&km.times, &km.lower, 1.0, km.max_time()) },
            Series { name: "KM 95% upper".into(), points: steps(&km.times, &km.upper, 1.0, km.max_time()) },
        ];
        let mut hazard = Vec::new();
        let mut log_cumhaz = vec![Series {
            name: "Kaplan-Meier".into(),
            points: km
                .times
                .iter()
                .zip(&km.survival)
                .filter(|(_, &s)| s > 0.0 && s < 1.0)
                .map(|(&t, &s)| (t.ln(), (-s.ln()).ln()))
                .collect(),
        }];
        for fit in fits.iter().filter(|f| f.status != Status::Failed) {
            let at = |g: &dyn Fn(f64) -> f64| {
                grid.iter().map(|&x| (x, g(x))).filter(|(_, y)| y.is_finite()).collect::<Vec<_>>()
            };
            survival.push(Series {
                name: fit.family.clone(),
                points: std::iter::once((0.0, 1.0)).chain(at(&|x| fit.survival(&[], x))).collect(),
            });
            hazard.push(Series { name: fit.family.clone(), points: at(&|x| fit.hazard(&[], x)) });
            let points = grid
                .iter()
                .map(|&x| (x.ln(), fit.cumulative_hazard(&[], x).ln()))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            log_cumhaz.push(Series { name: fit.family.clone(), points });
        }
        let unit_label = format!("time ({unit})");
        figures.push(Figure {
            name: format!("fit_survival_{name}"),
            title: format!("Fitted survival over Kaplan-Meier: {arm}"),
            x_label: unit_label.clone(),
            y_label: "survival".into(),
            plot: Plot::Lines { series: survival },
        });
        figures.push(Figure {
            name: format!("fit_hazard_{name}"),
            title: format!("Fitted hazards: {arm}"),
            x_label: unit_label,
            y_label: "hazard per unit time".into(),
            plot: Plot::Lines { series: hazard },
        });
        figures.push(Figure {
            name: format!("fit_log_cumhaz_{name}"),
            title: format!("Log cumulative hazard against log time: {arm}"),
            x_label: "log time".into(),
            y_label: "log cumulative hazard".into(),
            plot: Plot::Lines { series: log_cumhaz },
        });
    }
    figures
}

/// Inserts the fragment's `survival:` and `multivariate_normal:` entries under the model's own
/// keys (block maps at the top level) or appends them, loads the result, and writes it.
fn merge_into(model: &Path, fragment: &str) -> Result<(), Exit> {
    let text = std::fs::read_to_string(model).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", model.display());
        Exit::Io
    })?;
    let mut merged = text.clone();
    for key in ["survival", "multivariate_normal"] {
        let entries = section(fragment, key);
        if entries.is_empty() {
            continue;
        }
        merged = insert_entries(&merged, key, &entries).map_err(|message| {
            eprintln!("error: --into {}: {message}", model.display());
            Exit::Usage
        })?;
    }
    let base = model.parent().unwrap_or(Path::new("."));
    if let Err(diagnostics) = hta_spec::load_str(&merged, &model.display().to_string(), base, &[]) {
        eprintln!("error: the model with the fitted curves merged in does not load; {} is unchanged", model.display());
        return Err(crate::report_load_failure(&diagnostics));
    }
    crate::output::write_path(model, merged.as_bytes())?;
    println!("merged the fitted curves and their multivariate normal groups into {}", model.display());
    Ok(())
}

/// The indented lines under top-level `key:` in `text`.
fn section(text: &str, key: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            inside = line.trim_end() == format!("{key}:");
            continue;
        }
        if inside && line.starts_with(' ') {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn insert_entries(text: &str, key: &str, entries: &str) -> Result<String, String> {
    let header = format!("{key}:");
    let lines: Vec<&str> = text.lines().collect();
    match lines.iter().position(|l| l.starts_with(&header)) {
        None => {
            let mut out = text.to_string();
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("\n{header}\n{entries}"));
            Ok(out)
        }
        Some(i) if lines[i].trim_end() == header => {
            let mut out = String::new();
            for (j, line) in lines.iter().enumerate() {
                out.push_str(line);
                out.push('\n');
                if j == i {
                    out.push_str(entries);
                }
            }
            Ok(out)
        }
        Some(i) => Err(format!(
            "line {}: `{key}` is not written as a block map (`{key}:` alone on its line), so the fitted entries cannot be merged; paste fit_fragment.yaml by hand",
            i + 1
        )),
    }
}
