//! Perspectives (issue 16 item 6): the model lists which cost categories each perspective
//! counts; the analysis runs in one of them (settings, `--perspective`, `--set`), budgets in the
//! first listed unless the budget file names one, and every output says which.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::{assert_close, run, tol};

const HIV: &str = include_str!("../models/hiv.yaml");

/// The HIV model with two perspectives: `direct` without community care, `full` with it.
fn with_perspectives(extra_settings: &str) -> String {
    let text = HIV.replace(
        "cost_categories: [medical, community, drug]",
        "cost_categories: [medical, community, drug]\nperspectives:\n  direct: { label: \"Hospital and drugs\", categories: [medical, drug] }\n  full: { categories: [medical, community, drug] }",
    );
    assert_ne!(text, HIV, "the fixture's cost_categories line moved");
    text.replacen("settings:\n", &format!("settings:\n{extra_settings}"), 1)
}

fn load(text: &str, set: &[(&str, &str)]) -> hta_spec::Loaded {
    let overrides: Vec<hta_spec::Override> =
        set.iter().map(|(n, v)| hta_spec::Override { name: n.to_string(), value: v.to_string() }).collect();
    match hta_spec::load_str(text, "perspectives.yaml", Path::new("models"), &overrides) {
        Ok(loaded) => loaded,
        Err(d) => panic!("model did not load:\n{d}"),
    }
}

/// A perspective that counts fewer categories drops exactly their costs: the full perspective
/// equals the model without perspectives (bit for bit), and the narrower one's total is the full
/// total less the community-care category (1e-12 relative).
#[test]
fn a_perspective_counts_only_its_categories() {
    let plain = run(&load(HIV, &[]).model);
    let text = with_perspectives("");
    let direct = load(&text, &[]);
    assert_eq!(direct.model.categories, ["medical", "drug"]);
    // The community-cost parameters are read in the full perspective: not "never used".
    assert!(direct.warnings.iter().all(|w| w.code != "unused-parameter"), "{:?}", direct.warnings);
    let p = direct.model.perspective.as_ref().expect("perspective");
    assert_eq!((p.name.as_str(), p.not_counted.clone()), ("direct", vec!["community".to_string()]));
    let full = load(&text, &[("perspective", "full")]);
    assert_eq!(full.model.categories, ["medical", "community", "drug"]);
    let (direct, full) = (run(&direct.model), run(&full.model));
    for ((d, f), p) in direct.iter().zip(&full).zip(&plain) {
        for discounted in [false, true] {
            assert_eq!(f.total_cost(discounted).to_bits(), p.total_cost(discounted).to_bits());
            let community = f.total(1, discounted);
            assert!(community > 1000.0, "the fixture has community costs");
            assert_close(d.total_cost(discounted), f.total_cost(discounted) - community, tol::EXACT, "direct cost");
            assert_eq!(d.qaly(discounted).to_bits(), f.qaly(discounted).to_bits());
        }
    }
    // settings.perspective picks the default for the cost-effectiveness analysis.
    let chosen = load(&with_perspectives("  perspective: full\n"), &[]);
    assert_eq!(chosen.model.perspective.as_ref().map(|p| p.name.as_str()), Some("full"));
}

/// The command line: `--perspective` switches `hta run` and says so; results.json names it; a
/// budget uses the first listed perspective although the model's analysis default is another,
/// and the budget file's own `perspective:` or `--perspective` switches it.
#[test]
fn perspectives_on_the_command_line() {
    let dir = std::env::temp_dir().join(format!("hta-perspectives-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let model = dir.join("hiv_perspectives.yaml");
    std::fs::write(&model, with_perspectives("  perspective: full\n")).expect("write");
    let out = dir.join("run");
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["--force", "run"])
        .arg(&model)
        .args(["--perspective", "direct", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Perspective: Hospital and drugs (`direct`); not counted: community; also: full",
        ));
    let json = std::fs::read_to_string(out.join("results.json")).expect("json");
    assert!(json.contains("\"perspective_analysed\""), "{json}");
    assert!(json.contains("\"not_counted\": [\n        \"community\"") || json.contains("\"community\""));
    Command::cargo_bin("hta")
        .expect("binary")
        .arg("run")
        .arg(&model)
        .assert()
        .success()
        .stdout(predicate::str::contains("Perspective: `full`; every cost category counted; also: direct"));
    let budget = |name: &str, extra: &str, args: &[&str]| -> String {
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &file,
            format!(
                "format_version: 1\nbudget:\n  title: t\n  model: {}\n  horizon_years: 5\n  treatment_timing: start_of_year\n  \
                 new_option: comb\n  comparator: mono\n  price: 1000\n{extra}  population: {{ incident: 100 }}\n  \
                 uptake: {{ table: [0.5] }}\n  schemes:\n    upfront: {{}}\n",
                model.display()
            ),
        )
        .expect("write");
        let output =
            Command::cargo_bin("hta").expect("binary").arg("budget").arg(&file).args(args).output().expect("run");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(budget("default", "", &[]).contains("(`direct`)"));
    assert!(budget("named", "  perspective: full\n", &[]).contains("Perspective: `full`"));
    assert!(budget("flag", "", &["--perspective", "full"]).contains("Perspective: `full`"));
}

/// Bad perspectives are refused with a position or the override named, never silently.
#[test]
fn bad_perspectives_are_refused() {
    let text = with_perspectives("");
    let refused = |text: &str, set: &[(&str, &str)], needle: &str| {
        let overrides: Vec<hta_spec::Override> =
            set.iter().map(|(n, v)| hta_spec::Override { name: n.to_string(), value: v.to_string() }).collect();
        match hta_spec::load_str(text, "p.yaml", Path::new("models"), &overrides) {
            Ok(_) => panic!("accepted; expected `{needle}`"),
            Err(d) => assert!(format!("{d} {d:?}").contains(needle), "expected `{needle}` in:\n{d:?}"),
        }
    };
    refused(&with_perspectives("  perspective: ful\n"), &[], "did you mean `full`?");
    refused(&text, &[("perspective", "societal")], "the model's perspectives are direct, full");
    refused(&text.replace("categories: [medical, drug]", "categories: [medical, drugs]"), &[], "did you mean `drug`?");
    refused(HIV, &[("perspective", "full")], "the model lists no `perspectives:`");
    let none = HIV.replacen("settings:\n", "settings:\n  perspective: full\n", 1);
    refused(&none, &[], "lists no `perspectives:`");
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["fit", "x.csv", "--out", "unused", "--perspective", "full"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--perspective applies to commands that run a model"));
}
