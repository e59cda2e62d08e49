//! Determinism: the same input gives byte-identical output files, whatever the number of
//! threads and however a PSA is split into shards. Every file written is compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn hta() -> Command {
    Command::cargo_bin("hta").expect("binary built")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hta-determinism-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir`, by path relative to `dir`, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("output directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).expect("inside").display().to_string();
                out.insert(name, std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The two directories hold the same files with the same bytes.
fn assert_same_files(a: &Path, b: &Path, what: &str) {
    let (x, y) = (files(a), files(b));
    assert!(!x.is_empty(), "{what}: no files written");
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{what}: different files");
    for (name, bytes) in &x {
        assert!(bytes == &y[name], "{what}: {name} differs");
    }
}

fn psa(dir: &Path, args: &[&str]) {
    hta().args(["psa", "models/hiv.yaml", "--seed", "2024", "--out"]).arg(dir).args(args).assert().success();
}

/// 200 draws on 1, 2 and 8 threads, and as two shards (0-119, 120-199) merged.
#[test]
fn psa_files_are_identical_for_1_2_8_threads_and_shards() {
    let dirs: Vec<PathBuf> = ["t1", "t2", "t8", "s1", "s2", "merged"].iter().map(|n| temp_dir(n)).collect();
    psa(&dirs[0], &["--draws", "200", "--threads", "1"]);
    psa(&dirs[1], &["--draws", "200", "--threads", "2"]);
    psa(&dirs[2], &["--draws", "200", "--threads", "8"]);
    psa(&dirs[3], &["--draws", "120", "--threads", "2"]);
    psa(&dirs[4], &["--draws", "80", "--first-draw", "120", "--threads", "8"]);
    hta().args(["merge", "models/hiv.yaml"]).arg(&dirs[4]).arg(&dirs[3]).arg("--out").arg(&dirs[5]).assert().success();
    assert_same_files(&dirs[0], &dirs[1], "1 vs 2 threads");
    assert_same_files(&dirs[0], &dirs[2], "1 vs 8 threads");
    assert_same_files(&dirs[0], &dirs[5], "one run vs merged shards");
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The W2 workload (13 sampled parameters) in one run, its draws written a record at a time
/// with the sampled values drawn again from the seed (only EVPPI's `rr` held), equals the same
/// draws run as ten shards (each reading its values back from files) joined by `hta merge`.
#[test]
fn streamed_psa_equals_its_ten_shard_merge() {
    let root = temp_dir("ten-shards");
    let model = "benches/models/w2_hiv.yaml";
    let run = |dir: &Path, first: u64, draws: u64| {
        hta()
            .args(["psa", model, "--seed", "31", "--evppi", "rr", "--threads", "1", "--out"])
            .arg(dir)
            .args(["--first-draw", &first.to_string(), "--draws", &draws.to_string()])
            .assert()
            .success();
    };
    let whole = root.join("whole");
    run(&whole, 0, 1000);
    let shards: Vec<PathBuf> = (0..10).map(|k| root.join(format!("shard{k}"))).collect();
    for (k, dir) in shards.iter().enumerate().rev() {
        run(dir, 100 * k as u64, 100);
    }
    let merged = root.join("merged");
    hta().args(["merge", model]).args(&shards).args(["--evppi", "rr", "--out"]).arg(&merged).assert().success();
    let whole_files = files(&whole);
    for name in ["psa_draws.csv", "psa_parameters.csv"] {
        let lines = whole_files[name].iter().filter(|b| **b == b'\n').count();
        assert_eq!(lines, if name == "psa_draws.csv" { 1 + 2 * 1000 } else { 1 + 1000 }, "{name}");
    }
    assert_same_files(&whole, &merged, "one streamed run vs ten shards merged");
    let _ = std::fs::remove_dir_all(root);
}

/// A model with correlated parameters (Gaussian copula) and a lookup table: the correlated
/// draws too are the same on 1 and 8 threads and in shards.
#[test]
fn correlated_psa_is_identical_for_1_and_8_threads_and_shards() {
    let dirs: Vec<PathBuf> = ["c1", "c8", "cs1", "cs2", "cmerged"].iter().map(|n| temp_dir(n)).collect();
    let model = std::fs::read_to_string("tests/invalid/92-correlations-not-positive-definite.yaml")
        .expect("template")
        .replace("rho: -0.9", "rho: 0.5")
        .replace("rho: 0.9 }\n  - { parameters: [c_sick, u_sick]", "rho: 0.4 }\n  - { parameters: [c_sick, u_sick]");
    let path = std::env::temp_dir().join(format!("hta-determinism-{}-correlated.yaml", std::process::id()));
    std::fs::write(&path, model).expect("write");
    let psa = |dir: &Path, args: &[&str]| {
        hta().arg("psa").arg(&path).args(["--seed", "7", "--out"]).arg(dir).args(args).assert().success();
    };
    psa(&dirs[0], &["--draws", "200", "--threads", "1"]);
    psa(&dirs[1], &["--draws", "200", "--threads", "8"]);
    psa(&dirs[2], &["--draws", "50", "--threads", "8"]);
    psa(&dirs[3], &["--draws", "150", "--first-draw", "50", "--threads", "1"]);
    hta().arg("merge").arg(&path).arg(&dirs[2]).arg(&dirs[3]).arg("--out").arg(&dirs[4]).assert().success();
    assert_same_files(&dirs[0], &dirs[1], "correlated: 1 vs 8 threads");
    assert_same_files(&dirs[0], &dirs[4], "correlated: one run vs merged shards");
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = std::fs::remove_file(path);
}

/// Runs `args` twice into fresh directories; the files must be byte-identical.
fn twice(name: &str, args: &[&str]) {
    let (a, b) = (temp_dir(&format!("{name}-a")), temp_dir(&format!("{name}-b")));
    for dir in [&a, &b] {
        hta().args(args).arg("--out").arg(dir).assert().success();
    }
    assert_same_files(&a, &b, name);
    let _ = std::fs::remove_dir_all(a);
    let _ = std::fs::remove_dir_all(b);
}

#[test]
fn run_output_is_byte_identical_twice() {
    twice("run", &["run", "models/hiv.yaml"]);
    twice("run-psm", &["run", "models/cart_lbcl_psm.yaml"]);
}

#[test]
fn budget_output_is_byte_identical_twice() {
    twice("budget", &["budget", "models/budgets/cart_china.yaml"]);
}

#[test]
fn dsa_output_is_byte_identical_twice() {
    twice("dsa", &["dsa", "models/hiv.yaml", "--range-percent", "20"]);
}
