//! Time in state (tunnel states) against the same model with the tunnel states written out by
//! hand, to 1e-12.

use crate::support::{load_str, run};

fn header(counting: &str) -> String {
    format!(
        r#"
format_version: 1
metadata: {{ title: tunnel, currency: X }}
settings:
  cycle_length: {{ value: 1, unit: months }}
  horizon: {{ cycles: 24 }}
  discount: {{ costs: 0.035, effects: 0.015 }}
  counting: {counting}
cost_categories: [care]
"#
    )
}

fn tracked(counting: &str, initial: &str) -> String {
    header(counting)
        + &format!(
            r#"
cohort: {{ initial: {initial} }}
parameters:
  p_die_post: "if(state_time == 1, 0.2, if(state_time == 2, 0.1, 0.05))"
  c_post: "if(state_time <= 2, 1000, 200) + cycle"
states:
  well: {{ cost: {{ care: 50 }}, utility: 0.9 }}
  post: {{ track_cycles: 3, cost: {{ care: c_post }}, utility: "0.5 + 0.1 * min(state_time, 3)" }}
  dead: {{ dead: true }}
transitions:
  well: {{ well: C, post: 0.1, dead: 0.02 }}
  post: {{ post: C, dead: p_die_post }}
  dead: {{ dead: 1 }}
transition_values:
  - {{ to: post, cost: {{ care: 5000 }} }}
strategies:
  only: {{}}
"#
        )
}

fn by_hand(counting: &str, initial: &str) -> String {
    header(counting)
        + &format!(
            r#"
cohort: {{ initial: {initial} }}
states:
  well: {{ cost: {{ care: 50 }}, utility: 0.9 }}
  post1: {{ cost: {{ care: "1000 + cycle" }}, utility: 0.6 }}
  post2: {{ cost: {{ care: "1000 + cycle" }}, utility: 0.7 }}
  post3: {{ cost: {{ care: "200 + cycle" }}, utility: 0.8 }}
  dead: {{ dead: true }}
transitions:
  well: {{ well: C, post1: 0.1, dead: 0.02 }}
  post1: {{ post2: C, dead: 0.2 }}
  post2: {{ post3: C, dead: 0.1 }}
  post3: {{ post3: C, dead: 0.05 }}
  dead: {{ dead: 1 }}
transition_values:
  - {{ from: well, to: post1, cost: {{ care: 5000 }} }}
strategies:
  only: {{}}
"#
        )
}

#[test]
fn tunnel_states_match_a_hand_expanded_model() {
    for counting in ["end_of_cycle", "life_table", "simpson"] {
        for (initial, initial_by_hand) in
            [("{ well: 1 }", "{ well: 1 }"), ("{ well: 0.5, post: 0.5 }", "{ well: 0.5, post1: 0.5 }")]
        {
            let a = run(&load_str(&tracked(counting, initial)));
            let b = run(&load_str(&by_hand(counting, initial_by_hand)));
            let (a, b) = (&a[0], &b[0]);
            for k in 0..=24 {
                let (x, y) = (a.occupancy(k), b.occupancy(k));
                let post = y[1] + y[2] + y[3];
                for (got, want) in [(x[0], y[0]), (x[1], post), (x[2], y[4])] {
                    assert!((got - want).abs() < 1e-12, "{counting}, cycle {k}: {got} vs {want}");
                }
            }
            for discounted in [false, true] {
                for (got, want) in [
                    (a.total_cost(discounted), b.total_cost(discounted)),
                    (a.qaly(discounted), b.qaly(discounted)),
                    (a.life_years(discounted), b.life_years(discounted)),
                ] {
                    assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{counting}: {got} vs {want}");
                }
            }
        }
    }
}

#[test]
fn state_time_outside_a_tracked_state_is_an_error() {
    let text = tracked("end_of_cycle", "{ well: 1 }")
        .replace("well: { cost: { care: 50 }", "well: { cost: { care: \"50 * state_time\" }");
    let error = hta_spec::load_str(&text, "t.yaml", std::path::Path::new("."), &[]).expect_err("state_time in well");
    assert!(error.to_string().contains("does not track time in state"), "{error}");
}
