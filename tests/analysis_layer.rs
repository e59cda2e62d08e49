//! The analyses moved into hta-app (two-way, threshold, scenarios, subgroups, shard merging, the
//! budget price solver) checked against numbers computed another way: the model loaded afresh
//! with `--set` overrides and run by its engine, a PSA run at once, the budget impact at a price.

use std::path::Path;

use hta_app::Override;

fn load(path: &str, set: &[(&str, String)]) -> hta_spec::Loaded {
    let set: Vec<Override> = set.iter().map(|(n, v)| Override { name: n.to_string(), value: v.clone() }).collect();
    match hta_app::load(Path::new(path), &set) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{path} did not load: {e}"),
    }
}

/// (cost, effect) of each strategy from a fresh load with `set`, run by the model's engine.
fn fresh(path: &str, set: &[(&str, String)]) -> Vec<(f64, f64)> {
    let loaded = load(path, set);
    let qaly = loaded.model.settings.effect == hta_model::EffectMeasure::Qaly;
    crate::support::run(&loaded.model)
        .iter()
        .map(|r| (r.total_cost(true), if qaly { r.qaly(true) } else { r.life_years(true) }))
        .collect()
}

fn close(got: f64, expected: f64, what: &str) {
    crate::support::assert_close(got, expected, 1e-9, what);
}

#[test]
fn two_way_cells_equal_fresh_runs_with_both_parameters_set() {
    let loaded = load("models/hiv.yaml", &[]);
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let grid = hta_app::twoway::two_way(&loaded, "rr", "c_lamivudine", 3, Some(25_000.0), Some(&tick)).expect("grid");
    assert_eq!(ticks.into_inner(), 9, "one tick per cell");
    assert_eq!((grid.xs.len(), grid.ys.len(), grid.cells.len()), (3, 3, 9));
    let rr = &loaded.model.parameters[loaded.model.param_by_name("rr").expect("rr").index()].uncertainty;
    assert_eq!((grid.xs[0], grid.xs[2]), (rr.low.expect("low"), rr.high.expect("high")));
    for cell in &grid.cells {
        let runs = fresh("models/hiv.yaml", &[("rr", cell.x.to_string()), ("c_lamivudine", cell.y.to_string())]);
        let nmb: Vec<f64> = runs.iter().map(|(c, e)| 25_000.0 * e - c).collect();
        for (got, expected) in cell.nmb.iter().zip(&nmb) {
            close(*got, *expected, "net monetary benefit of a cell");
        }
        let best = if nmb[1] > nmb[0] { 1 } else { 0 };
        assert_eq!(cell.optimal, best, "optimal strategy at rr={} c_lamivudine={}", cell.x, cell.y);
    }
    // Cells go row by row: x varies fastest.
    assert_eq!((grid.cells[1].x, grid.cells[1].y), (grid.xs[1], grid.ys[0]));
    assert_eq!(grid.optimal_rows().len(), 3);
}

#[test]
fn two_way_refuses_unknown_parameters_with_a_hint() {
    let loaded = load("models/hiv.yaml", &[]);
    let Err(hta_app::Error::Usage(message)) = hta_app::twoway::two_way(&loaded, "rrr", "rr", 3, None, None) else {
        panic!("an unknown parameter is a usage error")
    };
    assert_eq!(message, "unknown parameter `rrr` (did you mean `rr`?)");
}

#[test]
fn threshold_values_give_the_threshold_icer_when_the_model_is_run_again() {
    use hta_app::threshold::{ThresholdOutcome, ThresholdRequest, Versus};
    let loaded = load("models/hiv.yaml", &[]);
    let request = ThresholdRequest {
        param: "c_lamivudine".into(),
        strategy: None,
        versus: Versus::Reference,
        wtp: vec![20_000.0, 45_000.0],
    };
    let analysis = hta_app::threshold::threshold(&loaded, &request).expect("threshold");
    assert_eq!(analysis.rows.len(), 2);
    for row in &analysis.rows {
        let ThresholdOutcome::Icer { value, icer } = row.outcome else { panic!("a value is found at {}", row.wtp) };
        let runs = fresh("models/hiv.yaml", &[("c_lamivudine", format!("{value:?}"))]);
        let independent = (runs[1].0 - runs[0].0) / (runs[1].1 - runs[0].1);
        crate::support::assert_close(independent, row.wtp, 1e-7, "ICER at the threshold value");
        close(icer, independent, "the re-run ICER reported");
    }
    let same = ThresholdRequest { strategy: Some("comb".into()), versus: Versus::Strategy("comb".into()), ..request };
    assert!(matches!(hta_app::threshold::threshold(&loaded, &same), Err(hta_app::Error::Usage(_))));
}

#[test]
fn threshold_against_the_best_brackets_the_base_value() {
    use hta_app::threshold::{Edge, ThresholdOutcome, ThresholdRequest, Versus};
    let loaded = load("models/hiv.yaml", &[]);
    let request =
        ThresholdRequest { param: "c_lamivudine".into(), strategy: None, versus: Versus::Best, wtp: vec![30_000.0] };
    let analysis = hta_app::threshold::threshold(&loaded, &request).expect("threshold");
    let ThresholdOutcome::OptimalBetween { below, above } = analysis.rows[0].outcome else {
        panic!("comb is optimal at the base value: {:?}", analysis.rows[0].outcome)
    };
    assert_eq!(below, Edge::SearchEnd(0.0));
    let Edge::Found(upper) = above else { panic!("an upper edge is found") };
    assert!(upper > analysis.base);
    // Just below the edge comb is optimal, just above it is not.
    for (price, comb_optimal) in [(upper * (1.0 - 1e-6), true), (upper * (1.0 + 1e-6), false)] {
        let runs = fresh("models/hiv.yaml", &[("c_lamivudine", format!("{price:?}"))]);
        let nmb: Vec<f64> = runs.iter().map(|(c, e)| 30_000.0 * e - c).collect();
        assert_eq!(nmb[1] > nmb[0], comb_optimal, "at {price}");
    }
}

#[test]
fn scenarios_equal_fresh_loads_with_their_overrides() {
    let loaded = load("models/hiv.yaml", &[]);
    let result = hta_app::compare::scenarios(&loaded, true).expect("scenarios");
    assert_eq!(result.runs.len(), 1 + result.own + result.standard);
    assert!(result.standard > 0 && result.own > 0);
    let standard = hta_app::scenarios::standard(&loaded.model);
    let all: Vec<&hta_model::Scenario> = loaded.model.scenarios.iter().chain(&standard).collect();
    for (run, scenario) in result.runs[1..].iter().zip(all) {
        let set: Vec<(&str, String)> = scenario.overrides.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let runs = fresh("models/hiv.yaml", &set);
        for row in &run.rows {
            close(row.cost, runs[row.strategy].0, "scenario cost");
            close(row.effect, runs[row.strategy].1, "scenario effect");
        }
    }
    let base = fresh("models/hiv.yaml", &[]);
    let wtp = loaded.model.settings.thresholds[0].value;
    for row in &result.runs[0].rows {
        let inmb = wtp * (base[row.strategy].1 - base[0].1) - (base[row.strategy].0 - base[0].0);
        close(row.inmb_vs_reference.expect("a threshold"), inmb, "INMB against the reference");
    }
}

#[test]
fn a_scenario_that_breaks_the_model_names_itself() {
    let loaded = load("models/hiv.yaml", &[]);
    let error = hta_app::compare::outcomes_with(&loaded, &[("no_such".into(), "1".into())], "scenario `bad`")
        .expect_err("an unknown override fails");
    assert!(error.to_string().starts_with("error: scenario `bad`:"), "{error}");
    assert!(!error.diagnostics().is_empty());
}

#[test]
fn subgroups_total_is_the_weighted_sum_of_fresh_subgroup_runs() {
    let path = "models/egfr_test_and_treat.yaml";
    let loaded = load(path, &[]);
    let result = hta_app::compare::subgroups(&loaded).expect("subgroups");
    let groups = &loaded.model.subgroups;
    assert_eq!(result.runs.len(), groups.len() + 1);
    let mut total = vec![(0.0, 0.0); loaded.model.strategies.len()];
    for g in groups {
        let set: Vec<(&str, String)> = g.overrides.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        for (t, (c, e)) in total.iter_mut().zip(fresh(path, &set)) {
            t.0 += g.weight * c;
            t.1 += g.weight * e;
        }
    }
    let weighted = result.total().expect("total");
    for row in &weighted.rows {
        close(row.cost, total[row.strategy].0, "weighted cost");
        close(row.effect, total[row.strategy].1, "weighted effect");
    }
    let base = fresh(path, &[]);
    let differs = base.iter().zip(&total).any(|(b, t)| (b.0 - t.0).abs() > 1e-9 * b.0.abs().max(1.0));
    assert_eq!(result.total_differs(&loaded.model).is_some(), differs);
}

#[test]
fn merged_shards_are_the_run_of_all_their_draws_at_once() {
    let root = std::env::temp_dir().join(format!("hta-app-merge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dirs = [root.join("b"), root.join("a")];
    for (dir, first) in dirs.iter().zip(["40", "0"]) {
        assert_cmd::Command::cargo_bin("hta")
            .expect("binary")
            .args(["psa", "models/hiv.yaml", "--draws", "40", "--first-draw", first, "--out"])
            .arg(dir)
            .assert()
            .success();
    }
    let loaded = load("models/hiv.yaml", &[]);
    let merged = hta_app::merge::merge(&loaded, &dirs).expect("merge");
    let whole = hta_app::psa::run(&loaded, &hta_app::psa::PsaOptions::new(80, 1), None).expect("psa");
    assert_eq!(merged.shards, 2);
    assert_eq!(merged.run.draws, (0..80).collect::<Vec<u64>>());
    assert_eq!(merged.run, whole, "the CSV numbers read back are the same bits");
    assert_eq!(merged.run.values(), whole.values());
    assert_eq!((merged.record.first_draw, merged.record.draws_requested), (0, 80));
    // A shard given twice, and a shard of another model.
    assert!(matches!(
        hta_app::merge::merge(&loaded, &[dirs[0].clone(), dirs[0].clone()]),
        Err(hta_app::Error::Usage(_))
    ));
    let other = load("models/hiv.yaml", &[("rr", "0.6".into())]);
    assert!(matches!(hta_app::merge::merge(&other, &dirs), Err(hta_app::Error::Model(_))));
    std::fs::write(dirs[1].join("psa_draws.csv"), "draw,strategy,cost,effect,qaly,ly\n").expect("write");
    let Err(hta_app::Error::Io(message)) = hta_app::merge::merge(&loaded, &dirs) else {
        panic!("a tampered shard is refused")
    };
    assert!(message.contains("does not match the checksum"), "{message}");
    // A shard whose psa.json was rewritten to match a psa_parameters.csv with a row missing.
    let parameters = std::fs::read_to_string(dirs[0].join("psa_parameters.csv")).expect("read");
    let short: String = parameters.split_inclusive('\n').take(40).collect();
    let json = std::fs::read_to_string(dirs[0].join("psa.json")).expect("read");
    let json = json.replace(&hta_app::merge::sha256(&parameters), &hta_app::merge::sha256(&short));
    std::fs::write(dirs[0].join("psa_parameters.csv"), short).expect("write");
    std::fs::write(dirs[0].join("psa.json"), json).expect("write");
    let Err(hta_app::Error::Io(message)) = hta_app::merge::merge(&loaded, &dirs) else {
        panic!("a shard with fewer parameter rows than draws is refused")
    };
    assert!(message.contains("fewer rows than psa_draws.csv"), "{message}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn solved_prices_meet_the_threshold_and_the_budget_cap() {
    let analysis = hta_app::budget::budget(Path::new("models/budgets/cart_china.yaml"), &[]).expect("budget");
    let cap = 300_000_000.0;
    let limits = hta_app::budget_price::solve_prices(&analysis, Some("c_cart"), None, Some(cap)).expect("prices");
    let wtp = limits.wtp.expect("the model's first threshold");
    let acquisition = limits.acquisition_at_wtp.expect("a price meeting the threshold");
    // At that acquisition cost the model's ICER is the threshold (run afresh in the budget's perspective).
    let mut set: Vec<(&str, String)> =
        analysis.loaded.overrides.iter().map(|o| (o.name.as_str(), o.value.clone())).collect();
    set.push(("c_cart", format!("{acquisition:?}")));
    let runs = fresh("models/cart_lbcl_psm.yaml", &set);
    let (new, comparator) = (analysis.new, analysis.comparator);
    let icer = (runs[new].0 - runs[comparator].0) / (runs[new].1 - runs[comparator].1);
    crate::support::assert_close(icer, wtp, 1e-7, "ICER at the solved acquisition cost");
    assert_eq!(limits.schemes.len(), analysis.impacts.len());
    let peak = |scheme: &hta_budget::impact::Scheme, price: f64| {
        let mut s = scheme.clone();
        s.list_price = price;
        let impact = hta_budget::impact::scheme_impact(&analysis.inputs, &s).expect("impact");
        impact.years.iter().map(|y| y.net_impact).fold(f64::NEG_INFINITY, f64::max)
    };
    for p in &limits.schemes {
        let scheme = &analysis.impacts[p.scheme].scheme;
        let price = p.by_budget.expect("a cap was given");
        if price > 0.0 && price < 1e14 {
            assert!(peak(scheme, price) <= cap, "{}: within the cap at {price}", scheme.name);
            assert!(peak(scheme, price * (1.0 + 1e-6)) > cap, "{}: the highest such price", scheme.name);
        }
        let best = p.best().expect("both limits");
        assert_eq!(best, p.by_wtp.expect("wtp").min(price));
    }
}
