//! The partitioned survival engine: fed the curves of a Markov model (its progression-free and
//! overall survival at every cycle boundary), it reproduces that model's occupancy and results;
//! crossing curves are capped with a warning that counts the boundaries.

use crate::support::{load_str, run};

const SETTINGS: &str = r#"
format_version: 1
metadata: { title: psm, currency: X }
settings:
  cycle_length: { value: 1, unit: months }
  horizon: { cycles: 60 }
  discount: { costs: 0.035, effects: 0.035 }
  counting: life_table
cost_categories: [care]
"#;

const STATES: &str = r#"
states:
  pf: { cost: { care: 1000 }, utility: 0.8 }
  pd: { cost: { care: "3000 + 10 * cycle" }, utility: 0.55 }
  dead: { dead: true }
transition_values:
  - { to: dead, cost: { care: 7000 } }
strategies:
  only: {}
"#;

fn markov() -> String {
    format!(
        "{SETTINGS}cohort: {{ initial: {{ pf: 1 }} }}\nsurvival:\n  os_pd: {{ weibull: {{ shape: 1.2, scale: 1.5 }} }}\n{STATES}transitions:\n  pf: {{ pf: C, pd: \"rate_to_prob(0.4)\", dead: \"rate_to_prob(0.05)\" }}\n  pd: {{ pd: C, dead: \"cycle_prob(os_pd)\" }}\n  dead: {{ dead: 1 }}\n"
    )
}

fn partitioned(months: &[f64], pfs: &[f64], os: &[f64]) -> String {
    let list = |v: &[f64]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ");
    format!(
        "{SETTINGS}tables:\n  curves:\n    key: month\n    interpolation: step\n    columns:\n      month: [{}]\n      pfs: [{}]\n      os: [{}]\nsurvival:\n  pfs: {{ time_unit: months, table: {{ table: curves, survival: pfs, interpolation: step }} }}\n  os: {{ time_unit: months, table: {{ table: curves, survival: os, interpolation: step }} }}\npartitioned_survival: {{ curves: [pfs, os] }}\n{STATES}",
        list(months),
        list(pfs),
        list(os)
    )
}

#[test]
fn partitioned_model_reproduces_the_markov_model_it_was_built_from() {
    let markov_model = load_str(&markov());
    let m = &run(&markov_model)[0];
    let months: Vec<f64> = (0..=60).map(f64::from).collect();
    let pfs: Vec<f64> = (0..=60).map(|k| m.occupancy(k)[0]).collect();
    let os: Vec<f64> = (0..=60).map(|k| m.occupancy(k)[0] + m.occupancy(k)[1]).collect();
    let psm_model = load_str(&partitioned(&months, &pfs, &os));
    assert_eq!(psm_model.structure, hta_model::Structure::PartitionedSurvival);
    let run = hta_psm::run(&psm_model).expect("runs");
    assert!(run.crossings.is_empty());
    let p = &run.results[0];
    for k in 0..=60 {
        for s in 0..3 {
            assert!((p.occupancy(k)[s] - m.occupancy(k)[s]).abs() < 1e-12, "cycle {k}, state {s}");
        }
    }
    for discounted in [false, true] {
        // Deaths in the Markov model come from both living states; the partitioned model sees
        // the same total flow into `dead` (the fall in OS), so the terminal-care cost agrees.
        for (got, want) in [
            (p.total_cost(discounted), m.total_cost(discounted)),
            (p.qaly(discounted), m.qaly(discounted)),
            (p.life_years(discounted), m.life_years(discounted)),
        ] {
            assert!((got - want).abs() <= 1e-10 * want.abs(), "{got} vs {want}");
        }
    }
}

#[test]
fn crossing_curves_are_capped_with_a_count() {
    let text = format!(
        "{SETTINGS}survival:\n  pfs: {{ exponential: {{ rate: 0.3 }} }}\n  os: {{ exponential: {{ rate: 0.5 }} }}\n  os_late: {{ join: {{ first: pfs, then: os, at_years: 2 }} }}\npartitioned_survival: {{ curves: [pfs, os] }}\n{}",
        STATES.replace("  only: {}", "  crossing: {}\n  late:\n    curves: [pfs, os_late]")
    );
    let model = load_str(&text);
    let run = hta_psm::run(&model).expect("a crossing is not an error");
    let (a, b) = (&run.results[0], &run.results[1]);
    // PFS (rate 0.3) lies above OS (rate 0.5) at every boundary after 0: all 60 capped.
    assert_eq!(run.crossings.len(), 2);
    assert_eq!((run.crossings[0].n_points, run.crossings[0].first_cycle), (60, 1));
    for k in 0..=60 {
        assert!(a.occupancy(k)[1].abs() < 1e-15, "no one is in progressed disease when PFS = OS");
        assert!(a.occupancy(k).iter().all(|x| *x >= 0.0));
    }
    // The joined OS follows PFS for 2 years, then falls faster: capped from month 25 on.
    assert_eq!(run.crossings[1].first_cycle, 25);
    assert_eq!(run.crossings[1].n_points, 36);
    assert!(b.occupancy(24)[1].abs() < 1e-15);
}

#[test]
fn cli_warns_about_crossings() {
    let dir = std::env::temp_dir().join(format!("hta-psm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("crossing.yaml");
    let text = format!(
        "{SETTINGS}survival:\n  pfs: {{ exponential: {{ rate: 0.3 }} }}\n  os: {{ exponential: {{ rate: 0.5 }} }}\npartitioned_survival: {{ curves: [pfs, os] }}\n{STATES}"
    );
    std::fs::write(&path, text).expect("write");
    assert_cmd::Command::cargo_bin("hta")
        .expect("binary")
        .arg("run")
        .arg(&path)
        .assert()
        .success()
        .stderr(predicates::str::contains("curve `pfs` rises above curve `os` at 60 of 61 cycle boundaries"));
}
