//! The `hta` command as a user runs it.

use assert_cmd::Command;
use predicates::prelude::*;

fn hta() -> Command {
    Command::cargo_bin("hta").expect("binary built")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hta-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn run_prints_the_table_and_writes_files() {
    let out = temp_dir("run");
    hta()
        .args(["run", "models/hiv.yaml", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("6,275.96"))
        .stdout(predicate::str::contains("44,663.45"))
        .stdout(predicate::str::contains("more costly, more effective"));
    for file in ["results.json", "summary.csv", "trace.csv", "values.csv"] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).expect("read")).expect("json");
    let mono = &json["strategies"][0];
    assert_eq!(mono["name"], "mono");
    for key in ["cost", "ly", "cost_undiscounted", "qaly_undiscounted", "ly_undiscounted", "costs_by_category"] {
        assert!(mono.get(key).is_some(), "strategies[0].{key} missing");
    }
    assert!(mono["qaly"].is_null(), "the HIV model has no utilities, so QALYs are null");
    assert!((mono["cost"].as_f64().expect("number") - 44_663.453_6).abs() < 1e-3);
    assert_eq!(json["incremental"][1]["status"], "ND");
    assert!((json["incremental"][1]["icer"].as_f64().expect("icer") - 6_275.96).abs() < 0.005);
    assert!(json["incremental"][0]["icer"].is_null());
    let run = &json["run"];
    assert_eq!(run["tool"], "hta");
    assert_eq!(run["inputs"][0]["path"], "models/hiv.yaml");
    assert_eq!(run["inputs"][0]["sha256"].as_str().expect("hash").len(), 64);
    let trace = std::fs::read_to_string(out.join("trace.csv")).expect("trace");
    assert!(trace.starts_with("strategy,cycle,state,proportion\nmono,0,A,1\n"));
    assert_eq!(trace.lines().count(), 1 + 2 * 21 * 4);
    let values = std::fs::read_to_string(out.join("values.csv")).expect("values");
    assert!(values.starts_with("strategy,cycle,category,undiscounted,discounted\n"));
}

#[test]
fn two_runs_are_byte_identical() {
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    for dir in [&a, &b] {
        hta().args(["run", "models/hiv.yaml", "--out"]).arg(dir).assert().success();
    }
    for file in ["results.json", "summary.csv", "trace.csv", "values.csv"] {
        let (x, y) = (std::fs::read(a.join(file)).expect("a"), std::fs::read(b.join(file)).expect("b"));
        assert!(x == y, "{file} differs between runs");
    }
}

#[test]
fn set_overrides_a_setting_and_a_parameter() {
    let out = temp_dir("set");
    hta()
        .args(["run", "models/hiv.yaml", "--set", "discount.costs=0", "--set", "c_lamivudine=0", "--out"])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).expect("read")).expect("json");
    let s = &json["strategies"];
    assert_eq!(s[0]["cost"], s[0]["cost_undiscounted"]);
    assert_eq!(json["run"]["overrides"][0][0], "discount.costs");
    let drug = s[1]["costs_by_category"]["drug"]["undiscounted"].as_f64().expect("drug");
    let zidovudine_years = s[1]["ly_undiscounted"].as_f64().expect("ly");
    assert!((drug - 2278.0 * zidovudine_years).abs() < 1e-6, "no lamivudine cost left");
}

#[test]
fn unknown_override_is_a_usage_error_with_a_suggestion() {
    hta()
        .args(["run", "models/hiv.yaml", "--set", "c_lamivudin=0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `c_lamivudine`?"));
    hta().args(["run", "models/hiv.yaml", "--set", "rr"]).assert().code(2);
    hta().args(["run", "models/hiv.yaml", "--set", "rr=abc"]).assert().code(2);
}

#[test]
fn override_is_validated_like_the_file() {
    hta()
        .args(["check", "models/hiv.yaml", "--set", "discount.costs=3.5"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("must be in [0, 1)"));
}

#[test]
fn check_validates_every_model() {
    for entry in std::fs::read_dir("models").expect("models/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            hta().arg("check").arg(&path).assert().success().stdout(predicate::str::starts_with("ok:"));
        }
    }
}

#[test]
fn missing_file_is_an_io_error() {
    hta().args(["check", "models/no-such-model.yaml"]).assert().code(5).stderr(predicate::str::contains("cannot read"));
}

#[test]
fn help_and_version() {
    hta().arg("--version").assert().success().stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    for sub in ["run", "check", "schema"] {
        hta().args([sub, "--help"]).assert().success().stdout(predicate::str::contains("Usage: hta"));
    }
    hta().arg("--help").assert().success().stdout(predicate::str::contains("Exit codes"));
    hta().arg("frobnicate").assert().code(2);
}

/// `hta psa` writes the same files on 1 and 2 threads, and shards merged with `hta merge` give
/// the same files as one run over all the draws.
#[test]
fn psa_is_reproducible_across_threads_and_shards() {
    let dirs: Vec<std::path::PathBuf> =
        ["one", "two", "a", "b", "merged"].iter().map(|n| temp_dir(&format!("psa-{n}"))).collect();
    let psa = |dir: &std::path::Path, extra: &[&str]| {
        hta()
            .args(["psa", "models/hiv.yaml", "--seed", "17", "--evppi", "rr", "--out"])
            .arg(dir)
            .args(extra)
            .assert()
            .success();
    };
    psa(&dirs[0], &["--draws", "300", "--threads", "1"]);
    psa(&dirs[1], &["--draws", "300", "--threads", "2"]);
    psa(&dirs[2], &["--draws", "120"]);
    psa(&dirs[3], &["--draws", "180", "--first-draw", "120"]);
    hta()
        .args(["merge", "models/hiv.yaml"])
        .arg(&dirs[3])
        .arg(&dirs[2])
        .args(["--evppi", "rr", "--out"])
        .arg(&dirs[4])
        .assert()
        .success()
        .stdout(predicate::str::contains("Merged 2 shards: 300 draws"));
    for file in [
        "psa_draws.csv",
        "psa_parameters.csv",
        "ceac.csv",
        "evpi.csv",
        "evppi.csv",
        "psa_convergence.csv",
        "psa.json",
        "figures/ceac.svg",
        "figures/ceac.png",
        "figures/evpi.csv",
        "figures/ce_plane_psa.csv",
        "figures/ce_plane_psa.svg",
    ] {
        let one = std::fs::read(dirs[0].join(file)).expect("one");
        assert!(one == std::fs::read(dirs[1].join(file)).expect("two"), "{file}: 1 vs 2 threads");
        assert!(one == std::fs::read(dirs[4].join(file)).expect("merged"), "{file}: single run vs merged shards");
    }
    // The CEAC figure plots probabilities that sum to 1 over the strategies at every threshold
    // (the CEAF series aside), and the plane holds every draw of each strategy.
    let ceac = std::fs::read_to_string(dirs[0].join("figures/ceac.csv")).expect("ceac figure");
    let mut sums: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for line in ceac.lines().skip(1).filter(|l| !l.starts_with("CEAF")) {
        let cells: Vec<&str> = line.split(',').collect();
        *sums.entry(cells[1].to_string()).or_default() += cells[2].parse::<f64>().expect("probability");
    }
    assert!(sums.len() > 10 && sums.values().all(|s| (s - 1.0).abs() < 1e-9), "{sums:?}");
    let plane = std::fs::read_to_string(dirs[0].join("figures/ce_plane_psa.csv")).expect("plane figure");
    assert_eq!(plane.lines().count(), 1 + 2 * 300);
    hta().args(["merge", "models/hiv.yaml"]).arg(&dirs[3]).assert().success();
    hta()
        .args(["merge", "models/hiv.yaml"])
        .arg(&dirs[3])
        .arg(&dirs[3])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the same shard twice"));
}

#[test]
fn sensitivity_commands_run() {
    hta().args(["dsa", "models/hiv.yaml"]).assert().success().stdout(predicate::str::contains("rr"));
    hta().args(["dsa", "models/hiv.yaml", "--outcome", "icer", "--range-percent", "20"]).assert().success();
    // The tornado figure plots the widest bars of tornado.csv, widest at the top (last row).
    let dir = temp_dir("tornado");
    hta().args(["dsa", "models/hiv.yaml", "--range-percent", "20", "--out"]).arg(&dir).assert().success();
    let table = std::fs::read_to_string(dir.join("tornado.csv")).expect("tornado.csv");
    let plotted = std::fs::read_to_string(dir.join("figures/tornado_comb_vs_mono.csv")).expect("figure data");
    let widest: Vec<&str> = table.lines().nth(1).expect("row").split(',').collect();
    let top: Vec<&str> = plotted.lines().last().expect("row").split(',').collect();
    assert_eq!((top[0], top[1], top[2]), (widest[0], widest[4], widest[5]));
    assert_eq!(plotted.lines().count(), 1 + (table.lines().count() - 1).min(15));
    hta()
        .args(["threshold", "models/hiv.yaml", "--param", "c_lamivudine"])
        .assert()
        .success()
        .stdout(predicate::str::contains("c_lamivudine = 9,236.98"));
    hta()
        .args(["scenarios", "models/hiv.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Lamivudine at half price"));
    hta().args(["twoway", "models/hiv.yaml", "--x", "rr", "--y", "c_lamivudine", "--steps", "3"]).assert().success();
    hta().args(["threshold", "models/hiv.yaml", "--param", "c_lamivudin"]).assert().code(2);
}

/// Draws from a file replace sampled values, row d for draw d.
#[test]
fn psa_takes_values_from_a_draws_file() {
    let dir = temp_dir("draws-file");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("posterior.csv");
    std::fs::write(&file, "rr,c_lamivudine\n0.5,2000\n0.6,2100\n").expect("write");
    let out = dir.join("out");
    hta()
        .args(["psa", "models/hiv.yaml", "--draws", "2", "--draws-file"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let params = std::fs::read_to_string(out.join("psa_parameters.csv")).expect("read");
    let header: Vec<&str> = params.lines().next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = params.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect("column");
    assert_eq!((rows[0][column("rr")], rows[1][column("rr")]), ("0.5", "0.6"));
    assert_eq!((rows[0][column("c_lamivudine")], rows[1][column("c_lamivudine")]), ("2000", "2100"));
    hta().args(["psa", "models/hiv.yaml", "--draws", "3", "--draws-file"]).arg(&file).assert().code(2);
}

/// `hta report` writes the run's files and the figures as SVG, PNG and CSV; the CE plane plots
/// the published HIV results (Briggs et al. Ex. 2.5, 1e-6 relative) and the traces start with
/// the whole cohort in state A.
#[test]
fn report_draws_the_figures() {
    let dir = temp_dir("report");
    hta()
        .args(["report", "models/hiv.yaml", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("drew trace_mono, trace_comb, ce_plane"));
    let figures = dir.join("figures");
    for name in ["trace_mono", "trace_comb", "ce_plane"] {
        let svg = std::fs::read_to_string(figures.join(format!("{name}.svg"))).expect("svg");
        let title = if name == "ce_plane" { "Cost-effectiveness plane" } else { "State occupancy" };
        assert!(svg.starts_with("<svg") && svg.contains(title), "{name}");
        let png = std::fs::read(figures.join(format!("{name}.png"))).expect("png");
        assert_eq!(&png[1..4], b"PNG");
    }
    let plane = std::fs::read_to_string(figures.join("ce_plane.csv")).expect("csv");
    let point = |name: &str| -> (f64, f64) {
        let line = plane.lines().find(|l| l.starts_with(&format!("{name},"))).expect("row");
        let cells: Vec<f64> = line.split(',').skip(1).map(|c| c.parse().expect("number")).collect();
        (cells[0], cells[1])
    };
    // Figures call strategies by their labels.
    for (name, effect, cost) in
        [("Zidovudine monotherapy", 7.991207, 44663.4536), ("Zidovudine + lamivudine", 8.937389, 50601.6513)]
    {
        let (e, c) = point(name);
        assert!((e - effect).abs() <= 1e-6 * effect && (c - cost).abs() <= 1e-6 * cost, "{name}: {e} {c}");
    }
    let trace = std::fs::read_to_string(figures.join("trace_mono.csv")).expect("trace");
    assert!(trace.lines().any(|l| l == "CD4 200-500 cells/mm3,0,1"), "states by their labels");
    // The workbook opens and holds every sheet; the summary's costs are numbers (1e-6).
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.join("report.xlsx")).expect("workbook opens");
    let sheets = book.sheet_names();
    for name in [
        "Run",
        "Settings",
        "Summary",
        "Incremental",
        "Parameters",
        "Trace",
        "Values",
        "One-way",
        "Scenarios",
        "PSA summary",
        "PSA thresholds",
        "CEAC",
    ] {
        assert!(sheets.iter().any(|s| s == name), "no sheet {name} in {sheets:?}");
    }
    let summary = book.worksheet_range("Summary").expect("summary sheet");
    let header: Vec<String> = summary.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    let cost = header.iter().position(|h| h == "cost").expect("cost column");
    let mono = summary.rows().find(|r| r[0] == "mono").expect("mono row");
    let value = match &mono[cost] {
        calamine::Data::Float(v) => *v,
        other => panic!("cost is not a number: {other:?}"),
    };
    assert!((value - 44663.4536).abs() <= 1e-6 * 44663.4536);
    let parameters = book.worksheet_range("Parameters").expect("parameters sheet");
    assert!(parameters.rows().any(|r| r[0] == "rr"));
}

/// The dossier pack of the CAR-T model with its budget file: every section of the HTML report,
/// no external reference, well-formed markup, figures of every kind, the workbook's sheets.
#[test]
fn report_writes_the_whole_dossier_pack() {
    let dir = temp_dir("dossier");
    hta()
        .args([
            "report",
            "models/cart_lbcl_psm.yaml",
            "--budget",
            "models/budgets/cart_china.yaml",
            "--draws",
            "200",
            "--out",
        ])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote report.html"));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("html");
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&html, options).expect("the report is well-formed");
    let ids: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("section")).filter_map(|n| n.attribute("id")).collect();
    let expected = [
        "summary",
        "setting",
        "comparators",
        "horizon",
        "discounting",
        "outcomes",
        "structure",
        "parameters",
        "base-case",
        "uncertainty",
        "budget",
        "cheers",
        "run-record",
    ];
    assert_eq!(ids, expected);
    // The executive summary states the ICER; the checklist lists all 28 CHEERS 2022 items; the
    // undiscounted totals and the costs by category are shown (issue 17, item 21).
    assert!(html.contains("an ICER of 314,682 CNY per QALY"), "executive summary");
    assert!(html.contains("<td>28</td><td>Conflicts of interest</td>"), "CHEERS checklist");
    assert!(
        html.contains("Totals per strategy, undiscounted")
            && html.contains("Discounted costs per strategy by category")
    );
    for node in doc.descendants() {
        for attribute in node.attributes() {
            let v = attribute.value();
            assert!(!v.contains("//") && (attribute.name() != "href" || v.starts_with('#')), "external reference {v}");
            assert!(attribute.name() != "src", "a `src` attribute: {v}");
        }
    }
    assert!(
        !html.contains("http:") && !html.contains("https:") && !html.contains("@import") && !html.contains("<script")
    );
    // Base case as published by the model's tests, all figures inline.
    assert!(html.contains("314,681.83"), "the base-case ICER (CNY 314,681.83 per QALY) is shown");
    let svgs = doc.descendants().filter(|n| n.has_tag_name("svg")).count();
    for name in [
        "survival_curves",
        "trace_cart",
        "ce_plane",
        "tornado_cart_vs_salvage_chemo",
        "twoway_c_cart_pi_pfs_cart",
        "ce_plane_psa",
        "ceac",
        "evpi",
        "evppi",
        "budget_net_impact",
        "budget_cumulative",
        "budget_offsets_by_category",
        "budget_by_payer_upfront",
        "budget_by_payer_pfs_tiers",
    ] {
        for ext in ["svg", "png", "csv"] {
            assert!(dir.join("figures").join(format!("{name}.{ext}")).is_file(), "{name}.{ext}");
        }
    }
    assert!(svgs >= 15, "{svgs} inline figures");
    // The workbook holds a sheet per table; Markdown has the tables too.
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(dir.join("report.xlsx")).expect("workbook opens");
    let sheets = book.sheet_names();
    for name in [
        "Settings",
        "Incremental",
        "One-way",
        "Two-way",
        "PSA summary",
        "Budget summary",
        "Budget by year",
        "Budget by payer",
    ] {
        assert!(sheets.iter().any(|s| s == name), "no sheet {name} in {sheets:?}");
    }
    let markdown = std::fs::read_to_string(dir.join("report.md")).expect("markdown");
    assert!(markdown.contains("### Incremental analysis (efficiency frontier)") && markdown.contains("| cart |"));
    // Issue 17 items 12-14: every parameter row says which analyses vary it and has a source;
    // the CAR-T price is varied one-way but fixed in the PSA, the structural zero is fixed.
    let book_text = std::fs::read_to_string(dir.join("report.html")).expect("html");
    let row = |name: &str| {
        let at = book_text.find(&format!("<tr><td>{name}</td>")).unwrap_or_else(|| panic!("no row {name}"));
        book_text[at..].split("</tr>").next().unwrap_or_default().to_string()
    };
    assert!(row("c_cart").contains("<td>one-way only</td>"), "{}", row("c_cart"));
    assert!(row("pi_chemo").contains("<td>fixed</td>"), "{}", row("pi_chemo"));
    assert!(row("u_pf").contains("<td>one-way and PSA</td>") && row("u_pf").contains("illustrative"));
    assert!(markdown.contains("| CAR-T price 30% lower (840,000 CNY) | cart |"), "the model's scenarios are run");
    // Simplified Chinese labels.
    let zh = temp_dir("dossier-zh");
    hta()
        .args(["report", "models/cart_lbcl_psm.yaml", "--draws", "0", "--lang", "zh", "--out"])
        .arg(&zh)
        .assert()
        .success();
    let html = std::fs::read_to_string(zh.join("report.html")).expect("html");
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("基础分析结果") && !html.contains("预算"));
    // (The scenarios used to read "未运行" here too; the model ships scenarios now.)
    assert!(html.contains("--draws 0"), "the PSA was skipped with --draws 0 and says so");
}

#[test]
fn report_refuses_a_budget_file_of_another_model() {
    let dir = temp_dir("dossier-wrong-budget");
    hta()
        .args(["report", "models/hiv.yaml", "--budget", "models/budgets/cart_china.yaml", "--out"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a budget file for"));
}

/// Safe output: a second run into the same directory stops before replacing anything unless
/// `--force` is given; no temporary file is left behind.
#[test]
fn existing_outputs_are_kept_without_force() {
    let dir = temp_dir("force");
    hta().args(["run", "models/hiv.yaml", "--out"]).arg(&dir).assert().success();
    let before = std::fs::read(dir.join("results.json")).expect("results");
    std::fs::write(dir.join("summary.csv"), "edited by hand").expect("edit");
    hta()
        .args(["run", "models/hiv.yaml", "--out"])
        .arg(&dir)
        .assert()
        .code(5)
        .stderr(predicates::str::contains("already exists; add --force to replace it"));
    assert_eq!(std::fs::read_to_string(dir.join("summary.csv")).expect("kept"), "edited by hand");
    hta().args(["run", "models/hiv.yaml", "--force", "--out"]).arg(&dir).assert().success();
    assert_eq!(std::fs::read(dir.join("results.json")).expect("results"), before);
    assert_ne!(std::fs::read_to_string(dir.join("summary.csv")).expect("replaced"), "edited by hand");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hta-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// Scheme names become file names: a name that would leave the output directory is refused.
#[test]
fn scheme_names_cannot_escape_the_output_directory() {
    let text = std::fs::read_to_string("models/budgets/cart_china.yaml").expect("budget").replacen(
        "    upfront:",
        "    \"../../escape\":",
        1,
    );
    let dir = temp_dir("escape");
    let file = dir.join("budget.yaml");
    std::fs::create_dir_all(&dir).expect("dir");
    let absolute = std::fs::canonicalize("models/cart_lbcl_psm.yaml").expect("model");
    std::fs::write(&file, text.replace("../cart_lbcl_psm.yaml", &absolute.display().to_string())).expect("write");
    hta()
        .args(["budget"])
        .arg(&file)
        .args(["--out"])
        .arg(dir.join("out"))
        .assert()
        .code(3)
        .stderr(predicates::str::contains("invalid scheme name"));
    assert!(!dir.join("escape.svg").exists() && !dir.parent().expect("parent").join("escape.svg").exists());
}

/// The whole dossier pack is byte-identical for the same input, whatever the thread count
/// (the workbook carries a fixed creation date; PSA draws have their own streams).
#[test]
fn the_dossier_pack_is_byte_identical_across_runs_and_threads() {
    let (a, b) = (temp_dir("pack-a"), temp_dir("pack-b"));
    hta().args(["report", "models/hiv.yaml", "--draws", "300", "--out"]).arg(&a).assert().success();
    hta().args(["report", "models/hiv.yaml", "--draws", "300", "--threads", "1", "--out"]).arg(&b).assert().success();
    let mut files = Vec::new();
    let mut stack = vec![a.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 30, "{} files", files.len());
    for file in files {
        let other = b.join(file.strip_prefix(&a).expect("inside"));
        assert!(std::fs::read(&file).expect("a") == std::fs::read(&other).expect("b"), "{} differs", other.display());
    }
}

/// `hta scenarios --standard` adds the standard scenarios the model does not name (issue 17,
/// item 13): for the UK HIV model NICE's 1.5% and half the horizon (its own `undiscounted`
/// scenario stands for no discounting); each equals a run with the same settings set by hand.
#[test]
fn standard_scenarios_are_added_and_equal_runs_with_their_settings() {
    let dir = temp_dir("standard_scenarios");
    hta().args(["scenarios", "models/hiv.yaml", "--standard", "--out"]).arg(&dir).assert().success();
    let csv = std::fs::read_to_string(dir.join("scenarios.csv")).expect("scenarios.csv");
    let cost = |text: &str, label: &str, strategy: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("\"{label}\",{strategy},")) || l.starts_with(&format!("{strategy},")))
            .unwrap_or_else(|| panic!("no row {label} {strategy}"));
        let cells: Vec<&str> = line.rsplitn(6, ',').collect();
        cells[4].parse().expect("cost")
    };
    assert!(!csv.contains("Standard: no discounting"), "the model's own undiscounted scenario is not repeated");
    for (label, set) in [
        (
            "Standard: 1.5% a year for costs and effects (NICE manual (2022))",
            vec!["discount.costs=0.015", "discount.effects=0.015"],
        ),
        ("Standard: horizon of 10 years (half the base case)", vec!["horizon.years=10"]),
    ] {
        let run = temp_dir(&format!("standard_{}", set.len()));
        let mut command = hta();
        command.args(["run", "models/hiv.yaml", "--out"]).arg(&run);
        for s in &set {
            command.args(["--set", s]);
        }
        command.assert().success();
        let summary = std::fs::read_to_string(run.join("summary.csv")).expect("summary");
        for strategy in ["mono", "comb"] {
            let by_hand: f64 = summary
                .lines()
                .find(|l| l.starts_with(&format!("{strategy},")))
                .and_then(|l| l.split(',').nth(2))
                .and_then(|c| c.parse().ok())
                .expect("summary cost");
            let scenario = cost(&csv, label, strategy);
            assert!((scenario - by_hand).abs() <= 1e-9 * by_hand, "{label} {strategy}: {scenario} vs {by_hand}");
        }
    }
    // Without --standard only the model's own scenarios run.
    let own = temp_dir("own_scenarios");
    hta().args(["scenarios", "models/hiv.yaml", "--out"]).arg(&own).assert().success();
    assert!(!std::fs::read_to_string(own.join("scenarios.csv")).expect("csv").contains("Standard:"));
}

#[test]
fn quiet_is_a_global_flag_that_changes_nothing_off_a_terminal() {
    let args = ["twoway", "models/hiv.yaml", "--x", "rr", "--y", "c_lamivudine", "--steps", "12"];
    let plain = hta().args(args).assert().success().get_output().clone();
    let quiet = hta().arg("--quiet").args(args).assert().success().get_output().clone();
    let after = hta().args(args).arg("-q").assert().success().get_output().clone();
    assert_eq!(plain.stdout, quiet.stdout);
    assert_eq!(plain.stdout, after.stdout);
    assert!(quiet.stderr.is_empty() && plain.stderr.is_empty(), "no progress bar off a terminal");
}

/// Population EVPI from the model's `settings.population` (CAR-T: 3,000 people a year for 10
/// years at the effects' 5%): evpi.csv's population column is the per-person EVPI times
/// 3000 x Σ_{t=1..10} 1.05^-t = 23,165.2 people; the command line overrides the people.
#[test]
fn population_evpi_comes_from_the_model_and_the_command_line_overrides_it() {
    let factor: f64 = 3000.0 * (1..=10).map(|t| 1.05f64.powi(-t)).sum::<f64>();
    let read = |dir: &std::path::Path| -> Vec<(f64, f64)> {
        let text = std::fs::read_to_string(dir.join("evpi.csv")).expect("evpi.csv");
        text.lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[1].parse().expect("per person"), cells[2].parse().expect("population"))
            })
            .collect()
    };
    let out = temp_dir("population-evpi");
    hta()
        .args(["psa", "models/cart_lbcl_psm.yaml", "--draws", "100", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Population EVPI"));
    let rows = read(&out);
    assert!(rows.iter().any(|(p, _)| *p > 0.0), "some EVPI above zero");
    for (per_person, population) in rows {
        assert!((population - per_person * factor).abs() <= 1e-9 * population.abs().max(1.0));
    }
    let other = temp_dir("population-evpi-cli");
    hta()
        .args(["psa", "models/cart_lbcl_psm.yaml", "--draws", "100", "--population", "1000", "--out"])
        .arg(&other)
        .assert()
        .success();
    for (per_person, population) in read(&other) {
        let want = per_person * factor / 3.0;
        assert!((population - want).abs() <= 1e-9 * want.abs().max(1.0), "{population} vs {want}");
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&other);
}
