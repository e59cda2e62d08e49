//! Work done only when inputs change: a cycle whose step inputs (a step-interpolated lookup by
//! age, a step schedule in `cycle`) have the same bits as the previous cycle's keeps that cycle's
//! resolved rows and values. The results must be bit-identical to resolving every cycle.

use hta_markov::{run_program, run_totals, Program};
use hta_model::Model;

use crate::support::{load_file, load_str};

/// Monthly cycles with background mortality by integer age from a step table, a treatment
/// effect on a step schedule (`cycle <= 7`), a tracked state, a transition value and a utility
/// from a step table of age bands: every input changes only at some cycles.
fn banded(horizon: usize) -> String {
    format!(
        r#"
format_version: 1
metadata: {{ title: banded, currency: X }}
settings:
  cycle_length: {{ value: 1, unit: months }}
  horizon: {{ cycles: {horizon} }}
  discount: {{ costs: 0.035, effects: 0.015 }}
  counting: life_table
cohort: {{ start_age: 60.5, initial: {{ well: 1 }} }}
cost_categories: [care]
tables:
  mortality:
    key: age
    interpolation: step
    outside: error
    columns:
      age: [60, 61, 62, 63]
      q: [0.0011, 0.0013, 0.00157, 0.0019]
  norms:
    key: age
    interpolation: step
    outside: hold
    columns:
      age: [60, 62]
      u: [0.83, 0.79]
parameters:
  m_bg: "lookup(mortality.q, age)"
  hr: 1.7
  p_sick: "if(cycle <= 7, 0.02, 0.035)"
states:
  well: {{ cost: {{ care: 20 }}, utility: "lookup(norms.u, age)" }}
  sick: {{ track_cycles: 3, cost: {{ care: "if(state_time == 1, 900, 300) + 10 * floor(age)" }}, utility: "0.6 * lookup(norms.u, age)" }}
  dead: {{ dead: true }}
transitions:
  well: {{ well: C, sick: p_sick, dead: m_bg }}
  sick: {{ sick: C, well: 0.05, dead: "m_bg * hr ^ 2" }}
  dead: {{ dead: 1 }}
transition_values:
  - {{ to: dead, cost: {{ care: "500 + lookup(mortality.q, age) * 1000" }} }}
strategies:
  only: {{}}
"#
    )
}

/// The same program with the reuse turned off.
fn without_reuse(model: &Model, program: &Program) -> Program {
    let mut plain = Program::new(model, program.strategy);
    plain.step_atoms = None;
    plain
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn banded_model_gives_the_same_bits_with_and_without_reuse() {
    // Ages 60.5 to 63.5: the mortality bands change at cycles 7, 19 and 31, the utility band at
    // cycle 19 and the treatment schedule at cycle 8.
    let model = load_str(&banded(36));
    for strategy in model.strategy_ids() {
        let program = Program::new(&model, strategy);
        // Detected: every time-varying formula reads age and cycle only through step functions.
        assert!(program.step_atoms.as_ref().is_some_and(|a| !a.is_empty()), "step inputs not detected");
        let a = run_program(&model, &program).expect("runs");
        let b = run_program(&model, &without_reuse(&model, &program)).expect("runs");
        assert_eq!(bits(&a.trace), bits(&b.trace), "trace");
        assert_eq!(bits(&a.undiscounted), bits(&b.undiscounted), "undiscounted values");
        assert_eq!(bits(&a.discounted), bits(&b.discounted), "discounted values");
    }
}

#[test]
fn a_run_past_the_table_reports_the_same_problems_with_and_without_reuse() {
    // Age 60.5 + 48 months = 64.5 is past the table's last band (63 to 64): `outside: error`.
    let model = load_str(&banded(48));
    let program = Program::new(&model, model.strategy_ids().next().expect("a strategy"));
    let a = run_program(&model, &program).expect_err("past the table");
    let b = run_program(&model, &without_reuse(&model, &program)).expect_err("past the table");
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn w3_draws_give_the_same_bits_with_and_without_reuse() {
    let model = load_file("benches/models/w3_synthetic.yaml");
    let pins: Vec<(hta_model::ParamId, f64)> = ["p_prog", "hr_dis", "c_scale"]
        .iter()
        .zip([0.021, 1.061, 1.13])
        .map(|(name, v)| (model.param_by_name(name).expect("parameter"), v))
        .collect();
    for strategy in model.strategy_ids() {
        let program = Program::new(&model, strategy);
        assert!(program.step_atoms.is_some(), "W3's life table by integer age is a step input");
        let plain = without_reuse(&model, &program);
        for pins in [&[][..], &pins[..]] {
            let a = run_totals(&model, &program, pins).expect("runs");
            let b = run_totals(&model, &plain, pins).expect("runs");
            assert_eq!(bits(&a.discounted), bits(&b.discounted));
            assert_eq!(bits(&a.undiscounted), bits(&b.undiscounted));
        }
    }
}

#[test]
fn a_formula_reading_age_directly_is_resolved_every_cycle() {
    let model = load_str(&banded(12).replace("hr: 1.7", "hr: \"1 + age / 100\""));
    let program = Program::new(&model, model.strategy_ids().next().expect("a strategy"));
    assert!(program.step_atoms.is_none());
}
