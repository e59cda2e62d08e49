//! Issue 17's classes of defect, one test (or more) each: results that could be lost or mixed
//! silently (merge of foreign shards, concurrent runs, interrupted rewrites, repeated columns),
//! hostile input (thread counts, terminal escapes, table paths, pipes), unclear messages, and
//! custom counting weights.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn hta() -> Command {
    Command::cargo_bin("hta").expect("binary built")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hta-safety-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write test file");
}

/// A PSA shard of the HIV model (at `model`) into `dir`.
fn shard(model: &Path, dir: &Path, first: &str, draws: &str, extra: &[&str]) {
    hta()
        .args(["psa"])
        .arg(model)
        .args(["--seed", "5", "--draws", draws, "--first-draw", first, "--out"])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn merge_refuses_shards_of_another_model_or_settings() {
    let root = temp_dir("merge-foreign");
    let hiv = Path::new("models/hiv.yaml");
    // The same model with one cost changed: another file, another SHA-256.
    let other = root.join("hiv_other.yaml");
    let text = std::fs::read_to_string(hiv).expect("hiv");
    write(&other, &text.replacen("2278", "2279", 1));
    let (a, b, c, d) = (root.join("a"), root.join("b"), root.join("c"), root.join("d"));
    shard(hiv, &a, "0", "40", &[]);
    shard(&other, &b, "40", "40", &[]);
    shard(hiv, &c, "40", "40", &["--set", "c_lamivudine=0"]);
    shard(hiv, &d, "40", "40", &[]);
    let merge = |dirs: &[&Path]| {
        let mut cmd = hta();
        cmd.args(["merge", "models/hiv.yaml"]);
        for dir in dirs {
            cmd.arg(dir);
        }
        cmd.assert()
    };
    let foreign = merge(&[&a, &b]).code(3);
    assert!(stderr_of(&foreign).contains("different model file"), "{}", stderr_of(&foreign));
    let overrides = merge(&[&a, &c]).code(3);
    assert!(stderr_of(&overrides).contains("overrides c_lamivudine=0"), "{}", stderr_of(&overrides));
    // The same directory twice, and a copy of a shard.
    let twice = merge(&[&a, &a]).code(2);
    assert!(stderr_of(&twice).contains("the same shard twice"), "{}", stderr_of(&twice));
    let copy = root.join("copy");
    std::fs::create_dir_all(&copy).expect("copy dir");
    for f in ["psa.json", "psa_draws.csv", "psa_parameters.csv"] {
        std::fs::copy(d.join(f), copy.join(f)).expect("copy");
    }
    let copied = merge(&[&a, &d, &copy]).code(2);
    assert!(stderr_of(&copied).contains("hold the same draws 40..80"), "{}", stderr_of(&copied));
    // And the good pair still merges.
    merge(&[&d, &a]).success().stdout(predicate::str::contains("Merged 2 shards: 80 draws"));
}

/// A shard whose files come from two runs (as an interrupted `--force` rewrite leaves it) is
/// recognised by the checksums that psa.json lists.
#[test]
fn merge_refuses_a_shard_with_files_of_two_runs() {
    let root = temp_dir("merge-mixed");
    let (old, new) = (root.join("old"), root.join("new"));
    shard(Path::new("models/hiv.yaml"), &old, "0", "30", &[]);
    hta().args(["psa", "models/hiv.yaml", "--seed", "6", "--draws", "30", "--out"]).arg(&new).assert().success();
    std::fs::copy(new.join("psa_draws.csv"), old.join("psa_draws.csv")).expect("mix");
    let other = temp_dir("merge-mixed-other");
    shard(Path::new("models/hiv.yaml"), &other, "30", "30", &[]);
    let mixed = hta().args(["merge", "models/hiv.yaml"]).arg(&old).arg(&other).assert().code(5);
    assert!(stderr_of(&mixed).contains("does not match the checksum in psa.json"), "{}", stderr_of(&mixed));
}

#[test]
fn a_directory_in_use_by_another_run_is_refused() {
    let dir = temp_dir("locked");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(".hta.lock"))
        .expect("lock file");
    lock.try_lock().expect("take the lock as another hta would");
    std::fs::write(dir.join(".hta.lock"), "4242\n").expect("pid");
    let held = hta().args(["run", "models/hiv.yaml", "--out"]).arg(&dir).assert().code(5);
    let message = stderr_of(&held);
    assert!(message.contains("hta process 4242 is writing into"), "{message}");
    assert!(!dir.join("results.json").exists(), "nothing may be written while the lock is held");
    drop(lock);
    hta().args(["run", "models/hiv.yaml", "--out"]).arg(&dir).assert().success();
    // Two runs at the same time without --force: exactly one writes, the other stops.
    let race = temp_dir("race");
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hta"))
            .args(["psa", "models/hiv.yaml", "--draws", "400", "--out"])
            .arg(&race)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let (mut one, mut two) = (spawn(), spawn());
    let codes = [one.wait().expect("wait").code(), two.wait().expect("wait").code()];
    assert_eq!(codes.iter().filter(|c| **c == Some(0)).count(), 1, "exactly one run succeeds: {codes:?}");
    assert!(codes.contains(&Some(5)), "{codes:?}");
}

#[test]
fn out_naming_a_file_is_a_clear_error() {
    let dir = temp_dir("out-file");
    let file = dir.join("results");
    write(&file, "x");
    let failed = hta().args(["run", "models/hiv.yaml", "--out"]).arg(&file).assert().code(2);
    assert!(stderr_of(&failed).contains("is a file, not a directory"), "{}", stderr_of(&failed));
}

#[test]
fn tables_with_a_repeated_column_are_refused_with_positions() {
    let dir = temp_dir("dup-columns");
    let model = std::fs::read_to_string("models/age_mortality.yaml").expect("model");
    write(&dir.join("model.yaml"), &model);
    write(&dir.join("life_table_gompertz.csv"), "age,qx,qx\n60,0.01,0.02\n61,0.011,0.03\n");
    let failed = hta().arg("check").arg(dir.join("model.yaml")).assert().code(3);
    assert!(stderr_of(&failed).contains("columns 2 and 3 are both named `qx`"), "{}", stderr_of(&failed));
    // The same in a CSV of external draws.
    write(&dir.join("draws.csv"), "rr,rr\n0.5,0.6\n");
    let draws = hta()
        .args(["psa", "models/hiv.yaml", "--draws", "1", "--draws-file"])
        .arg(dir.join("draws.csv"))
        .assert()
        .code(2);
    assert!(stderr_of(&draws).contains("columns 1 and 2 are both named `rr`"), "{}", stderr_of(&draws));
}

#[test]
fn thread_counts_are_capped() {
    let failed = hta().args(["psa", "models/hiv.yaml", "--draws", "10", "--threads", "10000"]).assert().code(2);
    assert!(stderr_of(&failed).contains("more than this machine can use"), "{}", stderr_of(&failed));
    hta().args(["psa", "models/hiv.yaml", "--draws", "10", "--threads", "0"]).assert().success();
}

#[test]
fn model_text_reaches_the_terminal_without_control_sequences() {
    let dir = temp_dir("escapes");
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv");
    let title = "title: \"Evil \\e]0;pwned\\a\\e[31mred\\e[0m\"";
    let hostile = text
        .lines()
        .map(|l| if l.trim_start().starts_with("title:") { format!("  {title}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n");
    write(&dir.join("evil.yaml"), &hostile);
    for args in [vec!["run"], vec!["dsa"], vec!["psa", "--draws", "20"]] {
        let out = hta().args(&args).arg(dir.join("evil.yaml")).assert().success();
        let bytes = [out.get_output().stdout.clone(), out.get_output().stderr.clone()].concat();
        assert!(!bytes.contains(&0x1b) && !bytes.contains(&0x07), "{args:?} printed a control character");
        assert!(String::from_utf8_lossy(&bytes).contains("Evil ?]0;pwned??[31mred?[0m"), "{args:?}");
    }
}

#[test]
fn table_files_stay_inside_the_model_directory_unless_allowed() {
    let root = temp_dir("outside");
    let inner = root.join("model");
    std::fs::create_dir_all(&inner).expect("dir");
    let model = std::fs::read_to_string("models/age_mortality.yaml").expect("model");
    write(&inner.join("model.yaml"), &model.replace("file: life_table_gompertz.csv", "file: ../elsewhere.csv"));
    std::fs::copy("models/life_table_gompertz.csv", root.join("elsewhere.csv")).expect("copy");
    let refused = hta().arg("check").arg(inner.join("model.yaml")).assert().code(5);
    assert!(stderr_of(&refused).contains("outside the model's directory"), "{}", stderr_of(&refused));
    hta().arg("check").arg(inner.join("model.yaml")).arg("--allow-outside").arg(&root).assert().success();
    // An absolute path to a system file is refused the same way, and nothing of it is echoed.
    write(&inner.join("passwd.yaml"), &model.replace("file: life_table_gompertz.csv", "file: /etc/passwd"));
    let passwd = hta().arg("check").arg(inner.join("passwd.yaml")).assert().code(5);
    assert!(!stderr_of(&passwd).contains("root:"), "{}", stderr_of(&passwd));
}

#[test]
fn a_cell_in_a_message_is_quoted_at_most_in_part() {
    let dir = temp_dir("long-cell");
    let model = std::fs::read_to_string("models/age_mortality.yaml").expect("model");
    write(&dir.join("model.yaml"), &model);
    let secret = "S".repeat(5000);
    write(&dir.join("life_table_gompertz.csv"), &format!("age,qx\n60,{secret}\n"));
    let failed = hta().arg("check").arg(dir.join("model.yaml")).assert().code(3);
    let message = stderr_of(&failed);
    assert!(message.contains("not a number") && !message.contains(&"S".repeat(41)), "{message}");
}

#[cfg(unix)]
#[test]
fn pipes_are_refused_not_waited_on() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("model.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let started = std::time::Instant::now();
    let refused = hta().arg("check").arg(&fifo).timeout(std::time::Duration::from_secs(20)).assert().code(5);
    assert!(stderr_of(&refused).contains("not a regular file"), "{}", stderr_of(&refused));
    assert!(started.elapsed().as_secs() < 20);
    // A FIFO as a table file.
    let model = std::fs::read_to_string("models/age_mortality.yaml").expect("model");
    write(&dir.join("tables.yaml"), &model.replace("file: life_table_gompertz.csv", "file: table.csv"));
    let made = std::process::Command::new("mkfifo").arg(dir.join("table.csv")).status().expect("mkfifo");
    assert!(made.success());
    let table =
        hta().arg("check").arg(dir.join("tables.yaml")).timeout(std::time::Duration::from_secs(20)).assert().code(5);
    assert!(stderr_of(&table).contains("not a regular file"), "{}", stderr_of(&table));
}

#[test]
fn unclear_inputs_get_clear_messages() {
    let zero = hta().args(["psa", "models/hiv.yaml", "--draws", "0"]).assert().code(2);
    assert!(stderr_of(&zero).contains("needs at least 1 draw"), "{}", stderr_of(&zero));
    // A bad --wtp-grid is reported before the draws are run (nothing about draws is printed).
    let grid = hta().args(["psa", "models/hiv.yaml", "--draws", "200000", "--wtp-grid", "oops"]).assert().code(2);
    assert!(!String::from_utf8_lossy(&grid.get_output().stdout).contains("draws"));
    let evppi = hta().args(["psa", "models/hiv.yaml", "--draws", "200000", "--evppi", "c_zidovudine"]).assert().code(2);
    assert!(stderr_of(&evppi).contains("not a sampled parameter"), "{}", stderr_of(&evppi));
    let member = hta().args(["run", "models/hiv.yaml", "--set", "p_ab=0.3"]).assert().code(2);
    assert!(stderr_of(&member).contains("belongs to Dirichlet group `from_a`"), "{}", stderr_of(&member));
    let twice = hta().args(["run", "models/hiv.yaml", "--set", "rr=0.5", "--set", "rr=0.6"]).assert().code(2);
    assert!(stderr_of(&twice).contains("--set rr is given twice (0.5, then 0.6)"), "{}", stderr_of(&twice));
    let tiny = hta().args(["run", "models/hiv.yaml", "--set", "rr=1e-400"]).assert().code(2);
    assert!(stderr_of(&tiny).contains("would become 0"), "{}", stderr_of(&tiny));
    hta().args(["run", "--help"]).assert().success().stdout(predicate::str::contains("are replaced").not());
    // A formula literal that underflows, and a YAML tag hta does not know.
    let dir = temp_dir("messages");
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv");
    write(&dir.join("tiny.yaml"), &text.replacen("value: 0.509", "value: \"0.509 + 1e-400\"", 1));
    let formula = hta().arg("check").arg(dir.join("tiny.yaml")).assert().code(3);
    assert!(stderr_of(&formula).contains("would become 0"), "{}", stderr_of(&formula));
    write(&dir.join("tag.yaml"), &text.replacen("value: 0.509", "value: !custom 0.509", 1));
    hta().arg("check").arg(dir.join("tag.yaml")).assert().code(3);
}

#[test]
fn identical_strategies_are_said_to_tie() {
    let dir = temp_dir("tie");
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv");
    // comb with lamivudine free and no effect is the same strategy as mono.
    write(&dir.join("tie.yaml"), &text);
    let out = hta()
        .args(["run"])
        .arg(dir.join("tie.yaml"))
        .args(["--set", "rr=1", "--set", "c_lamivudine=0"])
        .assert()
        .success();
    assert!(stderr_of(&out).contains("ties with `comb`"), "{}", stderr_of(&out));
}

const TWO_STATES: &str = r#"format_version: 1
metadata:
  title: "Two states"
  currency: GBP
settings:
  cycle_length: { value: 1, unit: years }
  horizon: { cycles: 6 }
  discount: { costs: 0.05, effects: 0, timing: point }
  counting: COUNTING
  effect: life_years
cost_categories: [care]
cohort: { initial: { alive: 1 } }
states:
  alive: { cost: { care: 1000 } }
  dead: { dead: true }
transitions:
  alive: { alive: C, dead: 0.1 }
  dead: { dead: 1 }
strategies:
  only: { label: "Only" }
"#;

fn totals(dir: &Path, counting: &str) -> (f64, f64, serde_json::Value) {
    let name = format!("m{}.yaml", counting.len());
    write(&dir.join(&name), &TWO_STATES.replace("COUNTING", counting));
    let out = dir.join(format!("out{}", counting.len()));
    hta().arg("run").arg(dir.join(&name)).arg("--out").arg(&out).assert().success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).expect("json")).expect("parse");
    let s = &json["strategies"][0];
    (s["cost"].as_f64().expect("cost"), s["ly"].as_f64().expect("ly"), json)
}

/// DARTH's positional weights 1/3, 2/3, 4/3, 2/3, ... by hand: cost = Σ w_t 1000 0.9^t 1.05^-t.
#[test]
fn custom_counting_weights_match_a_hand_calculation() {
    let dir = temp_dir("weights");
    let darth = r#"{ weights: "if(cycle == 0, 1/3, if(floor(cycle / 2) * 2 == cycle, 4/3, 2/3))" }"#;
    let (cost, ly, json) = totals(&dir, darth);
    let w: Vec<f64> = (0..=6)
        .map(|t| {
            if t == 0 {
                1.0 / 3.0
            } else if t % 2 == 0 {
                4.0 / 3.0
            } else {
                2.0 / 3.0
            }
        })
        .collect();
    let hand_cost: f64 =
        w.iter().enumerate().map(|(t, w)| w * 1000.0 * 0.9f64.powi(t as i32) / 1.05f64.powi(t as i32)).sum();
    let hand_ly: f64 = w.iter().enumerate().map(|(t, w)| w * 0.9f64.powi(t as i32)).sum();
    assert!((cost - hand_cost).abs() <= 1e-9 * hand_cost, "{cost} vs {hand_cost}");
    assert!((ly - hand_ly).abs() <= 1e-12 * hand_ly, "{ly} vs {hand_ly}");
    let warnings = json["run"]["warnings"].to_string();
    assert!(warnings.contains("sum to 6.333333333333333"), "the run record keeps the sum: {warnings}");
    // Weights that restate a named method give its results (values constant over time).
    let (half_cost, half_ly, _) = totals(&dir, "half_cycle");
    let (w_cost, w_ly, _) = totals(&dir, r#"{ weights: "if(cycle == 0, 0.5, if(cycle == n_cycles, 0.5, 1))" }"#);
    assert!((half_cost - w_cost).abs() <= 1e-12 * half_cost && (half_ly - w_ly).abs() <= 1e-12 * half_ly);
    // Bad weights are refused before any run.
    write(&dir.join("bad.yaml"), &TWO_STATES.replace("COUNTING", r#"{ weights: "1 - cycle" }"#));
    let bad = hta().arg("check").arg(dir.join("bad.yaml")).assert().code(3);
    assert!(stderr_of(&bad).contains("give -1 at cycle 2"), "{}", stderr_of(&bad));
    write(&dir.join("param.yaml"), &TWO_STATES.replace("COUNTING", r#"{ weights: "age" }"#));
    let param = hta().arg("check").arg(dir.join("param.yaml")).assert().code(3);
    assert!(stderr_of(&param).contains("may use only `cycle`"), "{}", stderr_of(&param));
}

/// Model text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is written to every
/// CSV file with a leading `'`, and HTML in model text is inert in report.md (issue 17, item 7).
#[test]
fn model_text_cannot_inject_formulas_into_csv_or_html_into_markdown() {
    let dir = temp_dir("injection");
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv");
    let hostile = text
        .lines()
        .map(|l| match l.trim_start() {
            t if t.starts_with("title:") => {
                "  title: \"<script>alert(1)</script> [x](javascript:alert(2))\"".to_string()
            }
            "label: \"Zidovudine monotherapy\"" => "    label: \"=1+2\"".to_string(),
            "label: \"Zidovudine + lamivudine\"" => "    label: \"@SUM(A1)|cmd\"".to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    write(&dir.join("evil.yaml"), &hostile);
    let out = dir.join("pack");
    hta().arg("report").arg(dir.join("evil.yaml")).arg("--out").arg(&out).args(["--draws", "50"]).assert().success();
    let mut files = vec![out.clone()];
    let mut csvs = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("dir").map(|e| e.expect("entry").path()));
        } else if path.extension().is_some_and(|e| e == "csv") {
            csvs.push(path);
        }
    }
    assert!(csvs.len() > 5, "the pack has CSV files: {csvs:?}");
    let mut seen = 0;
    for csv in &csvs {
        let text = std::fs::read_to_string(csv).expect("csv");
        for line in text.lines() {
            for bad in ["=1+2", "@SUM(A1)|cmd"] {
                let starts = line.starts_with(bad) || line.starts_with(&format!("\"{bad}"));
                let inside = line.contains(&format!(",{bad}")) || line.contains(&format!(",\"{bad}"));
                assert!(!starts && !inside, "{}: a formula cell left as it is: {line}", csv.display());
            }
            seen += usize::from(line.contains("'=1+2") || line.contains("'@SUM(A1)|cmd"));
        }
    }
    assert!(seen > 0, "the labels reach some CSV file, neutralised");
    let markdown = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(!markdown.contains("<script") && !markdown.contains("[x](javascript"), "raw HTML or a link in report.md");
    assert!(markdown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title is shown as text");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(!html.contains("<script"), "raw HTML in report.html");
}

/// A reader that goes away (`hta run MODEL | head -1`) does not make hta panic; the run still
/// writes its files and exits with its own code.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::process::Stdio;
    let dir = temp_dir("pipe");
    let out = dir.join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hta"))
        .args(["run", "models/hiv.yaml", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hta");
    drop(child.stdout.take());
    let result = child.wait_with_output().expect("hta ran");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(result.status.success(), "{:?} {stderr}", result.status);
    assert!(out.join("results.json").is_file(), "the files were written");
}

/// Every threshold-dependent figure of the pack (tornado, two-way grid, EVPPI) is drawn at the
/// model's primary threshold and says so (issue 17, item 20).
#[test]
fn the_pack_uses_the_primary_threshold_everywhere_and_labels_it() {
    let out = temp_dir("thresholds").join("pack");
    hta().args(["report", "models/cart_lbcl_psm.yaml", "--draws", "100", "--out"]).arg(&out).assert().success();
    let model = std::fs::read_to_string("models/cart_lbcl_psm.yaml").expect("model");
    assert!(
        model.contains("{ label: \"1 x GDP per capita (China, 2024)\", gdp_multiple: 1, gdp: cn_2024 }")
            && model.contains("value: 95749"),
        "the first threshold is 1 x GDP per capita, 95,749"
    );
    let figures = out.join("figures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&figures).expect("figures") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let dependent = ["tornado", "twoway", "evppi"].iter().any(|p| name.starts_with(p));
        if dependent && name.ends_with(".svg") {
            let svg = std::fs::read_to_string(&path).expect("svg");
            assert!(svg.contains("95,749"), "{name} is not labelled with the primary threshold");
            assert!(!svg.contains("287,247"), "{name} is drawn at another threshold (3 x GDP)");
            checked += 1;
        }
    }
    assert!(checked >= 3, "tornado, two-way and EVPPI figures were checked ({checked})");
}

/// With `--lang zh` the figures drawn into report.html have Chinese titles and axes (issue 17,
/// item 15, part); model names stay as written.
#[test]
fn chinese_reports_have_chinese_figure_text() {
    let out = temp_dir("zh").join("pack");
    hta()
        .args(["report", "models/cart_lbcl_psm.yaml", "--lang", "zh", "--draws", "50"])
        .args(["--budget", "models/budgets/cart_china.yaml", "--out"])
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    for text in [
        "单因素敏感性分析：CAR-T cell therapy (one-time infusion) vs Salvage chemotherapy",
        "成本效果平面（贴现后）",
        "生存比例",
    ] {
        assert!(html.contains(text), "missing figure text {text}");
    }
    assert!(!html.contains(">One-way sensitivity: "), "an English figure title is left");
    // The executive summary is in Chinese and calls strategies by their labels.
    assert!(html.contains("采用分区生存模型比较了 2 个方案"), "executive summary");
    // The CHEERS checklist: topics and places in Chinese, the places named as the sections are.
    assert!(
        html.contains("<td>患者及其他受研究影响者的参与方式</td><td>由作者报告（hta 不生成）</td>"),
        "CHEERS item 21"
    );
    assert!(html.contains("<td>分析方法与假设</td><td>贴现与周期校正；模型结构（转移）</td>"), "CHEERS item 17");
    assert!(
        !html.contains("Approach to engagement") && !html.contains("to be reported by the authors"),
        "English CHEERS text"
    );
    assert!(html.contains("CAR-T cell therapy (one-time infusion)与Salvage chemotherapy"), "labels in sentences");
    // The figure files on disk are Chinese too, legends included (the CEAF keeps its band).
    let figures = out.join("figures");
    let ceac = std::fs::read_to_string(figures.join("ceac.svg")).expect("ceac.svg");
    assert!(ceac.contains("成本效果可接受曲线与前沿") && ceac.contains("成本效果可接受前沿（CEAF"), "ceac.svg");
    assert!(ceac.contains("stroke-width=\"8\""), "the CEAF is drawn as a wide band");
    let plane = std::fs::read_to_string(figures.join("ce_plane.svg")).expect("ce_plane.svg");
    assert!(plane.contains("意愿支付阈值 95.75k") && !plane.contains("WTP "), "plane legend");
    let tornado = std::fs::read_dir(&figures)
        .expect("figures")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name().to_string_lossy().starts_with("tornado_") && e.path().extension().is_some_and(|x| x == "svg")
        })
        .expect("a tornado");
    let tornado = std::fs::read_to_string(tornado.path()).expect("tornado svg");
    assert!(tornado.contains("参数取下限") && tornado.contains("参数取上限"), "tornado legend");
    // The workbook's sheet names and headers.
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(out.join("report.xlsx")).expect("workbook");
    let names = book.sheet_names();
    for sheet in ["运行记录", "结果汇总", "增量分析", "单因素敏感性分析", "概率敏感性分析汇总"]
    {
        assert!(names.iter().any(|n| n == sheet), "sheet {sheet} in {names:?}");
    }
    let summary = book.worksheet_range("结果汇总").expect("summary sheet");
    let header: Vec<String> = summary.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    assert!(header.contains(&"方案".to_string()), "{header:?}");
}

/// `--lang` is a global option: `hta psa --lang zh` draws Chinese figures outside the report.
#[test]
fn the_language_applies_to_every_command_that_draws() {
    let out = temp_dir("zh_psa");
    hta().args(["psa", "models/hiv.yaml", "--draws", "50", "--lang", "zh", "--out"]).arg(&out).assert().success();
    let ceac = std::fs::read_to_string(out.join("figures").join("ceac.svg")).expect("ceac.svg");
    assert!(ceac.contains("成本效果可接受曲线与前沿"), "a Chinese title");
    let english = temp_dir("en_psa");
    hta().args(["psa", "models/hiv.yaml", "--draws", "50", "--out"]).arg(&english).assert().success();
    let ceac = std::fs::read_to_string(english.join("figures").join("ceac.svg")).expect("ceac.svg");
    assert!(ceac.contains("Cost-effectiveness acceptability curves and frontier"), "English by default");
}
