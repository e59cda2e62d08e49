//! `hta fit`: malformed patient-data files (tests/invalid_data/) each give exit code 3 and a
//! diagnostic naming the file and line (snapshot-tested), none panics; a fit of the ovarian data
//! writes its files, and its fragment merged into a model loads and draws the fitted parameters.

use std::process::Command;

fn hta() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("hta"))
}

#[test]
fn malformed_data_files_are_rejected_with_positions() {
    let mut files: Vec<_> = std::fs::read_dir("tests/invalid_data")
        .expect("tests/invalid_data")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "expected at least 15 malformed data files, found {}", files.len());
    let out = std::env::temp_dir().join(format!("hta-fit-invalid-{}", std::process::id()));
    for path in files {
        let output = hta().arg("fit").arg(&path).arg("--out").arg(&out).output().expect("ran hta");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        assert_eq!(output.status.code(), Some(3), "{name}: exit code\n{stderr}");
        assert!(stderr.contains(&format!("{}:", path.display())), "{name}: no file:line in\n{stderr}");
        assert!(!out.join("fits.csv").exists(), "{name}: wrote output");
        insta::assert_snapshot!(
            format!("fit-{name}"),
            format!("exit code: {}\n{stderr}", output.status.code().unwrap_or(-1))
        );
    }
}

#[test]
fn fit_writes_its_files_and_a_fragment_that_merges() {
    let dir = std::env::temp_dir().join(format!("hta-fit-ovarian-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let model = dir.join("hiv.yaml");
    std::fs::copy("models/hiv.yaml", &model).expect("copy");
    let out = dir.join("out");
    let output = hta()
        .args(["fit", "crates/fit/tests/data/ovarian.csv", "--time-unit", "days", "--force", "--into"])
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("ran hta");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for f in [
        "fits.csv",
        "fit_ranking.csv",
        "at_risk.csv",
        "fits.json",
        "fit_fragment.yaml",
        "fit_survival_x1.svg",
        "fit_hazard_x2.png",
        "fit_log_cumhaz_x1.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fits.json")).expect("json")).expect("parse");
    assert_eq!(json["data"]["sha256"].as_str().map(str::len), Some(64));
    // The pooled Weibull with the arm as a covariate: 3 coefficients and a 3×3 covariance.
    let pooled = json["fits"]
        .as_array()
        .expect("fits")
        .iter()
        .find(|f| f["arm"] == "pooled" && f["family"] == "weibull")
        .expect("pooled weibull");
    assert_eq!(pooled["parameters"], serde_json::json!(["shape", "scale", "arm_x2"]));
    assert_eq!(pooled["covariance"].as_array().map(Vec::len), Some(3));
    let merged = hta_spec::load(&model, &[]).unwrap_or_else(|d| panic!("{d}"));
    let group = merged.model.multivariate_normal.iter().find(|g| g.name == "ovarian_all_weibull");
    assert!(group.is_none(), "arms are named 1 and 2, not all");
    let group =
        merged.model.multivariate_normal.iter().find(|g| g.name == "ovarian_pooled_weibull").expect("pooled group");
    assert_eq!(group.params.len(), 3);
    let curve = merged.model.curves.iter().any(|c| c.name == "ovarian_pooled_weibull_x2");
    assert!(curve, "curve for arm 2 of the pooled fit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shipped illustrative example: the reconstruction reproduces the digitised curves (max
/// |ΔS| < 0.01) and the numbers at risk, and the fits recover the curves the data were made from.
#[test]
fn shipped_example_reconstructs_and_recovers_its_curves() {
    let points = std::fs::read("models/data/example_pfs_digitised.csv").expect("points");
    let risk = std::fs::read("models/data/example_pfs_at_risk.csv").expect("risk");
    let arms = hta_fit::guyot::read_digitised("points", &points, "risk", &risk).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(arms.len(), 2);
    for (arm, rec) in &arms {
        assert_eq!(rec.times.len(), 150);
        let km = hta_fit::kaplan_meier(&rec.times, &rec.events);
        // Compare after each digitised step (the lower corner: the last point at each time).
        let worst = (0..arm.times.len())
            .filter(|&i| i + 1 == arm.times.len() || arm.times[i + 1] > arm.times[i])
            .map(|i| (km.survival_at(arm.times[i]) - arm.survival[i]).abs())
            .fold(0.0, f64::max);
        assert!(worst < 0.01, "{}: max |ΔS| {worst}", arm.arm);
        for (&t, &n) in arm.risk_times.iter().zip(&arm.at_risk) {
            assert!((km.at_risk_at(t) as i64 - n as i64).abs() <= 1, "{} at risk at {t}", arm.arm);
        }
    }
    let (_, cart) = arms.iter().find(|(a, _)| a.arm == "cart").expect("cart");
    let gompertz =
        hta_fit::fit(hta_model::survival::Family::Gompertz, &cart.times, &cart.events, &[], &[], Default::default());
    let plateau = (gompertz.estimates[1] / gompertz.estimates[0]).exp();
    assert!((plateau - 0.35).abs() < 0.05, "plateau {plateau}");
    let (_, chemo) = arms.iter().find(|(a, _)| a.arm == "chemo").expect("chemo");
    let llogis = hta_fit::fit(
        hta_model::survival::Family::LogLogistic,
        &chemo.times,
        &chemo.events,
        &[],
        &[],
        Default::default(),
    );
    // Truth shape 1.6, scale 5: within 2.5 standard errors.
    assert!((llogis.estimates[0] - 1.6).abs() < 2.5 * llogis.std_errors[0], "shape {:?}", llogis.estimates);
    assert!((llogis.estimates[1] - 5.0).abs() < 2.5 * llogis.std_errors[1], "scale {:?}", llogis.estimates);
}

/// Mixture cure and Royston-Parmar spline fits (issue 13) against lifelines 0.30 on the same
/// data (`scripts/fit_crosscheck.py`, control arm of `synthetic500.csv`): log-likelihoods within
/// 1e-6 relative, ours never lower by more than that (lifelines' optimiser stops earlier along
/// flat directions); and each cure model is at least as likely as the family it nests (π → 0).
#[test]
fn cure_and_spline_fits_match_lifelines_and_nest_their_families() {
    let dir = std::env::temp_dir().join(format!("hta-fit-cure-{}", std::process::id()));
    let status = hta()
        .args(["--force", "fit", "crates/fit/tests/data/synthetic500.csv", "--out"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("hta runs");
    assert!(status.success());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fits.json")).expect("fits.json")).expect("json");
    let loglik = |arm: &str, family: &str| -> f64 {
        json["fits"]
            .as_array()
            .expect("fits")
            .iter()
            .find(|f| f["arm"] == arm && f["family"] == family)
            .and_then(|f| f["loglik"].as_f64())
            .unwrap_or_else(|| panic!("no fit {arm} {family}"))
    };
    for (family, lifelines) in [
        ("cure_exponential", -329.6477708),
        ("cure_weibull", -320.9681609),
        ("cure_llogis", -324.2822712),
        ("cure_lnorm", -327.5327168),
        ("spline_1", -329.6265422),
        ("spline_2", -327.2494913),
        ("spline_3", -326.6197833),
    ] {
        let ours = loglik("control", family);
        assert!((ours - lifelines).abs() <= 1e-6 * lifelines.abs(), "{family}: {ours} vs lifelines {lifelines}");
        assert!(ours >= lifelines - 1e-6 * lifelines.abs(), "{family}: below lifelines");
    }
    for arm in ["control", "active"] {
        for family in ["exponential", "weibull", "llogis", "lnorm", "gompertz", "gamma", "gengamma"] {
            let (plain, cure) = (loglik(arm, family), loglik(arm, &format!("cure_{family}")));
            assert!(cure >= plain - 1e-6 * plain.abs(), "{arm}: cure_{family} {cure} below {family} {plain}");
        }
    }
}
