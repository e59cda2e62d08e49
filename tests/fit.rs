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
