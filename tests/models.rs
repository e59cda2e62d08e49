//! Every model in models/ loads and runs; those with an independent expected-value file
//! (tests/reference/*.expected.json, computed by the Python oracle beside it) match it.

use crate::support::{assert_close, load_file, run, run_with_sources};

#[test]
fn every_shipped_model_runs() {
    for entry in std::fs::read_dir("models").expect("models/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let model = load_file(path.to_str().expect("utf-8 path"));
            let results = run(&model);
            assert_eq!(results.len(), model.strategies.len());
        }
    }
}

#[test]
fn models_match_their_oracles() {
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/reference").expect("tests/reference") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".expected.json") {
            continue;
        }
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let model = load_file(expected["model"].as_str().expect("model path"));
        let tolerance = expected["tolerance_relative"].as_f64().expect("tolerance");
        let results = run(&model);
        for (i, strategy) in model.strategies.iter().enumerate() {
            let e = &expected["strategies"][&strategy.name];
            let r = &results[i];
            let checks = [
                ("cost", r.total_cost(true)),
                ("qaly", r.qaly(true)),
                ("ly", r.life_years(true)),
                ("cost_undiscounted", r.total_cost(false)),
                ("qaly_undiscounted", r.qaly(false)),
                ("ly_undiscounted", r.life_years(false)),
            ];
            for (key, got) in checks {
                if let Some(want) = e[key].as_f64() {
                    assert_close(got, want, tolerance, &format!("{}: {} {key}", path.display(), strategy.name));
                }
            }
        }
        let outcomes: Vec<_> = results
            .iter()
            .zip(&model.strategies)
            .map(|(r, s)| {
                let effect = match model.settings.effect {
                    hta_model::EffectMeasure::Qaly => r.qaly(true),
                    hta_model::EffectMeasure::LifeYears => r.life_years(true),
                };
                hta_analysis::Outcome::new(&s.name, r.total_cost(true), effect)
            })
            .collect();
        for row in hta_analysis::incremental(&outcomes) {
            let name = &model.strategies[row.strategy].name;
            let e = &expected["incremental"][name];
            if let Some(status) = e["status"].as_str() {
                assert_eq!(row.status.code(), status, "{}: status of {name}", path.display());
            }
            match (e["icer"].as_f64(), row.icer) {
                (Some(want), Some(got)) => assert_close(got, want, tolerance.max(1e-9), &format!("{name} ICER")),
                (None, None) => {}
                (want, got) => panic!("{}: ICER of {name}: expected {want:?}, got {got:?}", path.display()),
            }
        }
        checked += 1;
    }
    assert!(checked >= 4, "expected the four oracle files, found {checked}");
}

/// Issue 17 item 12: a model that lists `metadata.references` should say where each input
/// comes from. Every shipped model does; an input without `source` gets a warning (the model
/// still loads), a formula of other parameters (derived) does not, and a model without
/// references is not asked.
#[test]
fn parameters_without_a_source_are_warned_about() {
    for entry in std::fs::read_dir("models").expect("models/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let loaded = hta_spec::load(&path, &[]).expect("shipped model loads");
            let missing: Vec<_> = loaded.warnings.iter().filter(|w| w.code == "no-source").collect();
            assert!(missing.is_empty(), "{}: {missing:?}", path.display());
        }
    }
    let model = |references: &str| {
        format!(
            "format_version: 1\nmetadata: {{ title: t, currency: GBP{references} }}\n\
             settings: {{ cycle_length: {{ value: 1, unit: years }}, horizon: {{ years: 2 }},\n             \
             discount: {{ costs: 0, effects: 0 }}, counting: end_of_cycle }}\n\
             cohort: {{ initial: {{ a: 1 }} }}\ncost_categories: [care]\n\
             parameters:\n  p: {{ value: 0.1, source: \"illustrative\" }}\n  q: 0.2\n  \
             c: {{ value: 10, label: cost }}\n  r: \"p + q\"\n\
             states: {{ a: {{ cost: {{ care: c }}, utility: 1 }}, d: {{ dead: true }} }}\n\
             transitions: {{ a: {{ a: C, d: r }}, d: {{ d: 1 }} }}\n\
             strategies: {{ s: {{}} }}\n"
        )
    };
    let text = model(", references: [\"Someone 2020\"]");
    let loaded = hta_spec::load_str(&text, "t.yaml", std::path::Path::new("."), &[]).expect("loads");
    let mut warned: Vec<String> =
        loaded.warnings.iter().filter(|w| w.code == "no-source").map(|w| w.message.clone()).collect();
    warned.sort();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(warned[0].contains("`c`") && warned[1].contains("`q`"), "{warned:?}");
    let loaded = hta_spec::load_str(&model(""), "t.yaml", std::path::Path::new("."), &[]).expect("loads");
    assert!(loaded.warnings.iter().all(|w| w.code != "no-source"));
}

/// The totals by source (each state, values at start, transition values) add up to the totals
/// in every shipped model: Markov, tunnels, decision trees in front and partitioned survival.
#[test]
fn totals_by_source_add_up_to_the_totals() {
    use hta_markov::Source;
    for entry in std::fs::read_dir("models").expect("models/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let model = load_file(path.to_str().expect("utf-8 path"));
        assert!(run(&model)
            .iter()
            .all(|r| r.by_source.is_none() || model.structure == hta_model::Structure::PartitionedSurvival));
        for r in run_with_sources(&model) {
            let by_source = r.by_source.as_ref().expect("kept");
            let sources: Vec<Source> =
                (0..r.n_states).map(Source::State).chain([Source::AtStart, Source::Transitions]).collect();
            for discounted in [false, true] {
                let what = format!("{} strategy {} discounted {discounted}", path.display(), r.strategy.index());
                let cost: f64 = sources.iter().map(|s| by_source.cost(*s, discounted)).sum();
                let qaly: f64 = sources.iter().map(|s| by_source.qaly(*s, discounted)).sum();
                let ly: f64 = sources.iter().map(|s| by_source.life_years(*s, discounted)).sum();
                assert_close(cost, r.total_cost(discounted), 1e-12, &format!("{what}: cost"));
                assert_close(qaly, r.qaly(discounted), 1e-12, &format!("{what}: qaly"));
                assert_close(ly, r.life_years(discounted), 1e-12, &format!("{what}: ly"));
            }
        }
    }
}

/// HIV (W1), monotherapy: a state's life-years are its occupancy summed over cycles 1..20
/// (end-of-cycle counting, 1 LY a cycle, undiscounted), and its discounted cost is
/// Σ_t m_t · (medical + community + zidovudine) · 1.06^-t; death adds nothing.
#[test]
fn hiv_values_by_state_are_occupancy_times_the_state_values() {
    use hta_markov::Source;
    let model = load_file("models/hiv.yaml");
    let mono = &run_with_sources(&model)[0];
    let by_source = mono.by_source.as_ref().expect("kept");
    let per_cycle = [2756.0 + 2278.0, 3052.0 + 2278.0, 9007.0 + 2278.0];
    for (s, cost) in per_cycle.iter().enumerate() {
        let years: f64 = (1..=20).map(|t| mono.occupancy(t)[s]).sum();
        let discounted: f64 = (1..=20).map(|t| mono.occupancy(t)[s] * cost * 1.06f64.powi(-(t as i32))).sum();
        assert_close(by_source.life_years(Source::State(s), false), years, 1e-12, "LY by state");
        assert_close(by_source.cost(Source::State(s), true), discounted, 1e-12, "cost by state");
    }
    assert_eq!(by_source.life_years(Source::State(3), false), 0.0);
    assert_eq!(by_source.cost(Source::State(3), true), 0.0);
    // The three alive states together give the published 7.991207 LY.
    let alive: f64 = (0..3).map(|s| by_source.life_years(Source::State(s), false)).sum();
    assert_close(alive, 7.991207, 1e-6, "alive LY");
}
