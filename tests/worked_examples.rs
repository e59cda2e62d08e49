//! DOMAIN.md worked examples run through the whole pipeline (YAML -> model -> engine).

use hta_model::Counting;

use crate::support::{assert_close, load_str, run, tol};

/// DOMAIN.md §2.9: H/S/D, annual cycles, 2-cycle horizon, one-off therapy cost 1,200,000.
fn section_2_9(counting: &str, discount: f64) -> String {
    format!(
        r#"
format_version: 1
metadata: {{ title: "DOMAIN 2.9", currency: CNY }}
settings:
  cycle_length: {{ value: 1, unit: years }}
  horizon: {{ cycles: 2 }}
  discount: {{ costs: {discount}, effects: {discount}, timing: point }}
  counting: {counting}
cohort: {{ initial: {{ H: 1 }} }}
cost_categories: [care, therapy]
states:
  H: {{ cost: {{ care: 1000 }}, utility: 0.9 }}
  S: {{ cost: {{ care: 10000 }}, utility: 0.6 }}
  D: {{ dead: true }}
transitions:
  H: {{ H: 0.85, S: 0.10, D: 0.05 }}
  S: {{ S: 0.70, D: 0.30 }}
  D: {{ D: 1 }}
strategies:
  therapy:
    at_start: {{ cost: {{ therapy: 1200000 }} }}
"#
    )
}

#[test]
fn trace_matches_domain() {
    let results = run(&load_str(&section_2_9("life_table", 0.0)));
    let r = &results[0];
    let expected = [[1.0, 0.0, 0.0], [0.85, 0.10, 0.05], [0.7225, 0.155, 0.1225]];
    for (k, row) in expected.iter().enumerate() {
        for (s, p) in row.iter().enumerate() {
            assert_close(r.occupancy(k)[s], *p, tol::EXACT, &format!("m_{k}[{s}]"));
        }
    }
}

#[test]
fn counting_methods_match_domain_table() {
    // (method, QALYs, cost excluding the one-off, LYs)
    let table = [
        ("start_of_cycle", 1.725, 2_850.0, 1.950),
        ("end_of_cycle", 1.56825, 4_122.5, 1.8275),
        ("life_table", 1.646625, 3_486.25, 1.88875),
        ("half_cycle", 1.646625, 3_486.25, 1.88875),
        ("simpson", 1.64775, 3_557.5, 1.8925),
    ];
    for (method, qaly, cost, ly) in table {
        let results = run(&load_str(&section_2_9(method, 0.0)));
        let r = &results[0];
        assert_close(r.qaly(true), qaly, tol::EXACT, &format!("{method} QALYs"));
        assert_close(r.total(0, true), cost, tol::EXACT, &format!("{method} care cost"));
        assert_close(r.life_years(true), ly, tol::EXACT, &format!("{method} LYs"));
        // The one-off is charged once at t = 0, uncorrected.
        assert_close(r.total(1, true), 1_200_000.0, tol::EXACT, &format!("{method} therapy cost"));
    }
}

#[test]
fn trapezoid_with_five_percent_discount() {
    // DOMAIN.md: QALYs 1.572789, costs 3,292.52; total including the therapy 1,203,292.52.
    let results = run(&load_str(&section_2_9("life_table", 0.05)));
    let r = &results[0];
    assert!((r.qaly(true) - 1.572789).abs() < 5e-7, "QALYs {}", r.qaly(true));
    assert!((r.total(0, true) - 3_292.52).abs() < 0.005, "care cost {}", r.total(0, true));
    assert!((r.total_cost(true) - 1_203_292.52).abs() < 0.005);
    // Exact values: 0.45 + 0.825/1.05 + 0.5 * 0.74325/1.05^2, and the same for costs.
    let qaly = 0.45 + 0.825 / 1.05 + 0.5 * 0.74325 / 1.05f64.powi(2);
    assert_close(r.qaly(true), qaly, tol::EXACT, "exact discounted QALYs");
    let cost = 500.0 + 1_850.0 / 1.05 + 0.5 * 2_272.5 / 1.05f64.powi(2);
    assert_close(r.total(0, true), cost, tol::EXACT, "exact discounted cost");
}

#[test]
fn counting_weights_are_the_documented_ones() {
    let w = hta_markov::counting::point_weights(Counting::Simpson, 2, &[]);
    assert_eq!(w, vec![1.0 / 3.0, 4.0 / 3.0, 1.0 / 3.0]);
}

/// A value that stops after cycle 2 (e.g. a drug given for two years) is counted at the average
/// of its two sides at the jump under the life-table method (DOMAIN.md §2.7).
#[test]
fn discontinuous_value_uses_average_at_the_jump() {
    let yaml = r#"
format_version: 1
metadata: { title: "jump", currency: GBP }
settings:
  cycle_length: { value: 1, unit: years }
  horizon: { cycles: 4 }
  discount: { costs: 0, effects: 0 }
  counting: life_table
  effect: life_years
cohort: { initial: { A: 1 } }
cost_categories: [drug]
states:
  A: { cost: { drug: "if(cycle <= 2, 100, 0)" } }
transitions:
  A: { A: 1 }
strategies:
  only: {}
"#;
    let results = run(&load_str(yaml));
    // Cycles 1 and 2 count 100 each (both boundaries inside the dosing period), then 0:
    // point weights 1/2, 1, 1/2 (at the jump, average of 100 and 0), 0, 0 -> total 200.
    assert_close(results[0].total_cost(false), 200.0, tol::EXACT, "drug cost");
}
