//! The probabilistic budget impact (`hta budget --draws`): zero variance gives the
//! deterministic budget, results do not depend on threads or shards, and the written per-draw
//! file reproduces the reported percentiles and probabilities.

use std::path::Path;

use assert_cmd::Command;
use hta_app::budget_psa::{self, BudgetPsaOptions};
use hta_sensitivity::{ExternalDraws, Sampler};

const CART: &str = "models/budgets/cart_china.yaml";

fn analysis() -> hta_app::budget::BudgetAnalysis {
    hta_app::budget::budget(Path::new(CART), &[]).expect("the shipped budget runs")
}

/// Every sampled parameter pinned at its base value, no budget input drawn: `draws` draws.
fn zero_variance_draws(analysis: &hta_app::budget::BudgetAnalysis, draws: usize) -> budget_psa::BudgetDraws {
    let model = &analysis.loaded.model;
    let params = Sampler::new(model).expect("sampler").params;
    let base: Vec<f64> = params
        .iter()
        .map(|p| model.parameters[p.index()].definition.expr.as_constant().expect("sampled parameters are numbers"))
        .collect();
    assert!(params.len() > 10, "the CAR-T model samples its parameters");
    let external = ExternalDraws { params, rows: vec![base; draws] };
    let options =
        BudgetPsaOptions { external: Some(("base values".into(), external)), ..BudgetPsaOptions::new(draws as u64, 1) };
    budget_psa::run(analysis, &options, None).expect("draws run")
}

/// With every sampled parameter pinned at its base value and no budget input drawn, each draw
/// is the deterministic budget (1e-12 relative, every scheme and year) but for cohort contracts,
/// whose cohorts' outcomes are drawn (see the next test).
#[test]
fn zero_variance_draws_equal_the_deterministic_budget() {
    let mut analysis = analysis();
    analysis.spec.uncertainty = Default::default();
    let draws = zero_variance_draws(&analysis, 3);
    for d in 0..3 {
        for (s, impact) in analysis.impacts.iter().enumerate().filter(|(_, i)| i.cohort_contract.is_none()) {
            for (y, year) in impact.years.iter().enumerate() {
                let (got, want) = (draws.net_at(d, s, y), year.net_impact);
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{} year {}: {got} vs {want}",
                    impact.scheme.name,
                    y + 1
                );
            }
        }
    }
    let summary = budget_psa::summarise(&analysis, &draws, None);
    let total = summary[0].cumulative.last().expect("years");
    let want = analysis.impacts[0].total_net_impact();
    assert!((total.mean - want).abs() <= 1e-12 * want.abs() && total.p2_5 == total.p97_5);
}

/// Identical bits on one and two threads, and for two shards appended.
#[test]
fn draws_do_not_depend_on_threads_or_shards() {
    let analysis = analysis();
    let run = |first: u64, n: u64, threads: usize| {
        let options = BudgetPsaOptions { first_draw: first, threads: Some(threads), ..BudgetPsaOptions::new(n, 7) };
        budget_psa::run(&analysis, &options, None).expect("draws run")
    };
    let one = run(0, 40, 1);
    let two = run(0, 40, 2);
    assert_eq!(one, two);
    let mut shards = run(0, 25, 2);
    shards.append(run(25, 15, 1));
    assert_eq!(one, shards);
    // The draws differ from one another (the model's parameters are sampled).
    assert_ne!(one.net_at(0, 0, 0), one.net_at(1, 0, 0));
}

/// The model's draw k is `hta psa`'s draw k: the budget inputs come from another stream, so
/// giving them distributions leaves the model part unchanged (the care costs of draw k agree).
#[test]
fn budget_inputs_do_not_shift_the_model_draws() {
    let mut analysis = analysis();
    let options = BudgetPsaOptions::new(5, 3);
    let with_inputs = budget_psa::run(&analysis, &options, None).expect("draws run");
    assert!(!with_inputs.inputs.is_empty(), "the shipped file draws budget inputs");
    analysis.spec.uncertainty.population_scale = None;
    analysis.spec.uncertainty.uptake_scale = None;
    analysis.spec.uncertainty.price_scale = None;
    let without = budget_psa::run(&analysis, &options, None).expect("draws run");
    // Same model draw, different population: net impacts differ by the factors, yet the
    // per-patient view is the same: net / treated equal across the two runs in year 1 of the
    // upfront scheme is not available here, so compare the population-free ratio of two schemes.
    for d in 0..5 {
        let ratio = |r: &hta_app::budget_psa::BudgetDraws| r.net_at(d, 0, 0) / r.net_at(d, 1, 0);
        let (a, b) = (ratio(&with_inputs), ratio(&without));
        assert!((a - b).abs() <= 1e-9 * b.abs(), "draw {d}: {a} vs {b}");
    }
}

/// Type 7 percentile, written independently of the toolkit's.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// `hta budget --draws`: the summary files agree with a recomputation from budget_draws.csv
/// (1e-9 relative): mean and percentiles of yearly and cumulative net impact, and the
/// probability of exceeding the annual budget.
#[test]
fn written_draws_reproduce_the_summary() {
    let dir = std::env::temp_dir().join(format!("hta-budget-psa-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["budget", CART, "--draws", "300", "--seed", "11", "--annual-budget", "700000000", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("Probabilistic budget impact: 300 draws (seed 11"));
    let draws = std::fs::read_to_string(dir.join("budget_draws.csv")).expect("draws");
    let summary = std::fs::read_to_string(dir.join("budget_uncertainty.csv")).expect("summary");
    let header: Vec<&str> = draws.lines().next().expect("header").split(',').collect();
    let years = header.iter().filter(|h| h.starts_with("net_impact_year_")).count();
    assert_eq!(years, 10);
    let rows: Vec<Vec<String>> = draws.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    for scheme in ["upfront", "capped", "outcome_instalments"] {
        let series: Vec<Vec<f64>> = rows
            .iter()
            .filter(|r| r[1] == scheme)
            .map(|r| (0..years).map(|y| r[2 + y].parse().expect("number")).collect())
            .collect();
        assert_eq!(series.len(), 300);
        for (y, year) in [(0usize, 1usize), (4, 5), (9, 10)] {
            let net: Vec<f64> = series.iter().map(|s| s[y]).collect();
            let cumulative: Vec<f64> = series.iter().map(|s| s[..=y].iter().sum()).collect();
            let row: Vec<f64> = summary
                .lines()
                .find(|l| l.starts_with(&format!("{scheme},{year},")))
                .expect("summary row")
                .split(',')
                .skip(2)
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let want = [
                mean(&net),
                percentile(&net, 0.025),
                percentile(&net, 0.5),
                percentile(&net, 0.975),
                mean(&cumulative),
                percentile(&cumulative, 0.025),
                percentile(&cumulative, 0.5),
                percentile(&cumulative, 0.975),
            ];
            for (k, (got, want)) in row.iter().zip(want).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{scheme} year {year} column {k}: {got} vs {want}"
                );
            }
            let over = net.iter().filter(|v| **v > 7e8).count() as f64 / 300.0;
            assert!((row[9] - over).abs() < 1e-12, "{scheme} year {year}: P(over) {} vs {over}", row[9]);
        }
    }
    for name in [
        "budget_risk.csv",
        "budget_uncertainty.json",
        "figures/budget_fan_upfront.png",
        "figures/budget_fan_cumulative.png",
    ] {
        assert!(dir.join(name).exists(), "{name}");
    }
    let json = std::fs::read_to_string(dir.join("budget_uncertainty.json")).expect("json");
    assert!(json.contains("\"seed\": 11") && json.contains("sha256"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A cohort contract within zero-variance draws: only the cohorts' binomial outcomes vary. The
/// mean over 400 draws of each year's net impact is within 4 standard errors of the
/// deterministic budget (which settles at E[f(X/n)]); the draws do vary; and the first year's
/// cohort (300 patients) spreads more, relative to its payment, than a later one of 1,600.
#[test]
fn cohort_contract_outcomes_are_drawn_per_cohort() {
    let mut analysis = analysis();
    analysis.spec.uncertainty = Default::default();
    let s = analysis.impacts.iter().position(|i| i.cohort_contract.is_some()).expect("the shipped file has one");
    let n = 400;
    let draws = zero_variance_draws(&analysis, n);
    let treated: Vec<f64> = analysis.impacts[s].years.iter().map(|y| y.paid_patients + y.free_patients).collect();
    let mut relative_sd = Vec::new();
    // The settlement at 12 months of the cohort treated at the start of year y falls in year
    // y + 1: year 1 has none.
    for (y, year) in analysis.impacts[s].years.iter().enumerate().skip(1) {
        let values: Vec<f64> = (0..n).map(|d| draws.net_at(d, s, y)).collect();
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        assert!(sd > 0.0, "year {}: the cohort outcome is drawn", y + 1);
        assert!(
            (mean - year.net_impact).abs() <= 4.0 * sd / (n as f64).sqrt(),
            "year {}: mean {mean} vs deterministic {} (sd {sd})",
            y + 1,
            year.net_impact
        );
        relative_sd.push(sd / treated[y - 1]);
    }
    // Year 2 settles year 1's cohort of 300, year 10 year 9's of about 1,600: sd/n falls as 1/√n.
    assert!(relative_sd[0] > 1.5 * relative_sd[8], "{relative_sd:?}");
}
