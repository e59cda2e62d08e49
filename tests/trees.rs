//! Decision trees in front of the model and the test-and-treat shorthand (issue: personalised
//! medicine): a hand-computed case, the shorthand against the same tree written out, the
//! perfect-test limit, agreement of the sensitivity-analysis engine, and malformed trees.

use std::path::Path;

use crate::support::{assert_close, load_str, run, tol};

/// Two arms of a two-state model (alive A, dead D), two annual cycles, end-of-cycle counting,
/// no discounting. `good`: P(A -> D) = 0.1, cost 100 and utility 1 in A; `bad`: 0.5, 200, 0.5.
/// good: m1 = 0.9, m2 = 0.81 -> LYs 1.71, QALYs 1.71, cost 171.
/// bad:  m1 = 0.5, m2 = 0.25 -> LYs 0.75, QALYs 0.375, cost 150.
fn two_arms(strategies: &str) -> String {
    format!(
        r#"
format_version: 1
metadata: {{ title: "tree", currency: GBP }}
settings:
  cycle_length: {{ value: 1, unit: years }}
  horizon: {{ cycles: 2 }}
  discount: {{ costs: 0, effects: 0 }}
  counting: end_of_cycle
cohort: {{ initial: {{ A: 1 }} }}
cost_categories: [care, test]
parameters:
  c_a: 0
  u_a: 0
  p_die: 0
  p_pos: 0.3
  c_test: 50
  sens: 0.9
  spec: 0.8
states:
  A: {{ cost: {{ care: c_a }}, utility: u_a }}
  D: {{ dead: true }}
arms:
  good:
    parameters: {{ c_a: 100, u_a: 1, p_die: 0.1 }}
  bad:
    parameters: {{ c_a: 200, u_a: 0.5, p_die: 0.5 }}
transitions:
  A: {{ A: C, D: p_die }}
  D: {{ D: 1 }}
strategies:
{strategies}
"#
    )
}

const HAND: &str = r#"
  all_good:
    tree:
      - { branch: everyone, probability: 1, arm: good }
  tested:
    tree:
      - branch: positive
        probability: p_pos
        cost: { test: c_test }
        qaly: -0.01
        arm: good
      - { branch: negative, probability: C, arm: bad }
"#;

#[test]
fn two_branch_tree_into_two_markov_models_is_reproduced_exactly() {
    let model = load_str(&two_arms(HAND));
    let results = run(&model);
    let (all_good, tested) = (&results[0], &results[1]);
    assert_close(all_good.total_cost(true), 171.0, tol::EXACT, "all_good cost");
    assert_close(all_good.qaly(true), 1.71, tol::EXACT, "all_good QALYs");
    // 0.3 x 171 + 0.7 x 150 + 0.3 x 50 (the test, on the positive branch)
    assert_close(tested.total_cost(true), 171.3, tol::EXACT, "tested cost");
    assert_close(tested.total(1, true), 15.0, tol::EXACT, "tested test cost");
    // 0.3 x 1.71 + 0.7 x 0.375 - 0.3 x 0.01
    assert_close(tested.qaly(true), 0.7725, tol::EXACT, "tested QALYs");
    assert_close(tested.life_years(true), 0.3 * 1.71 + 0.7 * 0.75, tol::EXACT, "tested LYs");
    // The trace is the weighted trace of the arms: alive after two cycles 0.3 x 0.81 + 0.7 x 0.25.
    assert_close(tested.occupancy(2)[0], 0.418, tol::EXACT, "alive at 2");
    assert_close(tested.occupancy(2).iter().sum(), 1.0, tol::EXACT, "trace sums to 1");
}

/// The payoffs drawn at the end nodes: the positive leaf is 171 (good arm) + 50 (the test) in
/// cost and 1.71 - 0.01 QALYs; the negative leaf 150 and 0.375. Reach-weighted they give the
/// strategy's totals, and by state (A, then D) its QALYs sit in A.
#[test]
fn leaf_payoffs_are_the_path_values_plus_the_arm_and_average_to_the_totals() {
    let model = load_str(&two_arms(HAND));
    let tested = hta_model::StrategyId::new(1);
    let payoffs = hta_markov::leaf_payoffs(&model, tested).expect("a tree").expect("evaluates");
    let qaly = payoffs.layout.qaly();
    assert_eq!(payoffs.cost(0), Some(221.0));
    assert_close(payoffs.value(0, qaly).expect("leaf"), 1.70, tol::EXACT, "positive QALYs");
    assert_eq!(payoffs.cost(1), Some(150.0));
    assert_close(payoffs.value(1, qaly).expect("leaf"), 0.375, tol::EXACT, "negative QALYs");
    let results = run(&model);
    let expected_cost = payoffs.reach[0] * 221.0 + payoffs.reach[1] * 150.0;
    assert_close(expected_cost, results[1].total_cost(true), tol::EXACT, "reach-weighted cost");
    assert!(hta_markov::leaf_payoffs(&model, hta_model::StrategyId::new(0)).is_some());
    let sourced = crate::support::run_with_sources(&model);
    let by_source = sourced[1].by_source.as_ref().expect("kept");
    assert_close(
        by_source.qaly(hta_markov::Source::State(0), true),
        0.3 * 1.71 + 0.7 * 0.375,
        tol::EXACT,
        "QALYs in A",
    );
    assert_close(by_source.qaly(hta_markov::Source::AtStart, true), -0.003, tol::EXACT, "tree one-off QALYs");
    assert_close(by_source.cost(hta_markov::Source::AtStart, true), 15.0, tol::EXACT, "tree one-off cost");
}

#[test]
fn the_sensitivity_engine_agrees_with_the_full_run_and_pins_tree_parameters() {
    let model = load_str(&two_arms(HAND));
    let evaluator = hta_sensitivity::Evaluator::new(&model);
    let outcomes = evaluator.evaluate(&[]).expect("evaluates");
    let results = run(&model);
    for (o, r) in outcomes.iter().zip(&results) {
        assert_close(o.cost, r.total_cost(true), tol::EXACT, "cost");
        assert_close(o.qaly, r.qaly(true), tol::EXACT, "QALYs");
        assert_close(o.ly, r.life_years(true), tol::EXACT, "LYs");
    }
    // p_pos pinned at 1: everyone is positive, pays the test and loses 0.01 QALYs.
    let p_pos = model.param_by_name("p_pos").expect("p_pos");
    let pinned = evaluator.evaluate(&[(p_pos, 1.0)]).expect("evaluates");
    assert_close(pinned[1].cost, 171.0 + 50.0, tol::EXACT, "pinned cost");
    assert_close(pinned[1].qaly, 1.71 - 0.01, tol::EXACT, "pinned QALYs");
}

/// A test-and-treat shorthand and the same tree written out in full.
fn shorthand_and_full() -> String {
    two_arms(
        r#"
  shorthand:
    test_and_treat:
      prevalence: p_pos
      tested: 0.8
      tests: [{ sensitivity: sens, specificity: spec, cost: c_test }]
      turnaround: { weeks: 2, qaly_loss_per_week: 0.001, cost_per_week: 10 }
      cost_category: test
      true_positive: good
      false_negative: bad
      false_positive: good
      true_negative: bad
      untested_positive: bad
      untested_negative: bad
  written_out:
    tree:
      - branch: tested
        probability: 0.8
        cost: { test: c_test + 2 * 10 }
        qaly: -2 * 0.001
        then:
          - branch: biomarker_positive
            probability: p_pos
            then:
              - { branch: test_positive, probability: sens, arm: good }
              - { branch: test_negative, probability: C, arm: bad }
          - branch: biomarker_negative
            probability: C
            then:
              - { branch: test_positive, probability: 1 - spec, arm: good }
              - { branch: test_negative, probability: C, arm: bad }
      - branch: untested
        probability: C
        then:
          - { branch: biomarker_positive, probability: p_pos, arm: bad }
          - { branch: biomarker_negative, probability: C, arm: bad }
"#,
    )
}

#[test]
fn the_test_and_treat_shorthand_equals_the_tree_written_out() {
    let results = run(&load_str(&shorthand_and_full()));
    let (short, full) = (&results[0], &results[1]);
    assert_eq!(short.trace, full.trace);
    for discounted in [true, false] {
        assert_close(short.total_cost(discounted), full.total_cost(discounted), tol::EXACT, "cost");
        assert_close(short.qaly(discounted), full.qaly(discounted), tol::EXACT, "QALYs");
        assert_close(short.life_years(discounted), full.life_years(discounted), tol::EXACT, "LYs");
    }
    // By hand: good share = 0.8 (0.3 x 0.9 + 0.7 x 0.2) = 0.328, bad share 0.672;
    // costs 0.328 x 171 + 0.672 x 150 + 0.8 x (50 + 20).
    assert_close(short.total_cost(true), 0.328 * 171.0 + 0.672 * 150.0 + 0.8 * 70.0, tol::EXACT, "by hand");
    assert_close(short.qaly(true), 0.328 * 1.71 + 0.672 * 0.375 - 0.8 * 0.002, tol::EXACT, "QALYs by hand");
}

#[test]
fn a_perfect_test_at_prevalence_one_is_treat_all_plus_the_test() {
    let text = two_arms(
        r#"
  treat_all:
    tree:
      - { branch: everyone, probability: 1, arm: good }
  test_and_treat:
    test_and_treat:
      prevalence: 1
      tests: [{ sensitivity: 1, specificity: 1, cost: c_test }]
      cost_category: test
      true_positive: good
      false_negative: bad
      false_positive: bad
      true_negative: bad
"#,
    );
    let results = run(&load_str(&text));
    let (all, tt) = (&results[0], &results[1]);
    assert_close(tt.total_cost(true), all.total_cost(true) + 50.0, tol::EXACT, "cost = treat all + test");
    assert_close(tt.qaly(true), all.qaly(true), tol::EXACT, "QALYs = treat all");
    assert_eq!(tt.trace, all.trace);
}

/// Serial tests: the second only for those positive on the first; positive = positive on both.
#[test]
fn sequential_tests_multiply_sensitivities_and_charge_the_second_test_to_first_positives() {
    let text = two_arms(
        r#"
  sequential:
    test_and_treat:
      prevalence: p_pos
      tests:
        - { name: screen, sensitivity: 0.9, specificity: 0.8, cost: 10 }
        - { name: confirm, sensitivity: 0.95, specificity: 0.99, cost: 100 }
      cost_category: test
      true_positive: good
      false_negative: bad
      false_positive: good
      true_negative: bad
"#,
    );
    let r = &run(&load_str(&text))[0];
    let good = 0.3 * 0.9 * 0.95 + 0.7 * 0.2 * 0.01;
    let screen_positive = 0.3 * 0.9 + 0.7 * 0.2;
    let cost = good * 171.0 + (1.0 - good) * 150.0 + 10.0 + 100.0 * screen_positive;
    assert_close(r.total_cost(true), cost, tol::EXACT, "sequential cost");
    assert_close(r.qaly(true), good * 1.71 + (1.0 - good) * 0.375, tol::EXACT, "sequential QALYs");
}

fn problems(text: &str) -> String {
    match hta_spec::load_str(text, "tree.yaml", Path::new("."), &[]) {
        Ok(_) => String::new(),
        Err(d) => d.errors().map(|e| format!("{} | {}\n", e.code, e.one_line())).collect(),
    }
}

#[test]
fn malformed_trees_are_rejected_with_positions() {
    let cases = [
        // (strategies, expected code, words in the message)
        ("  s:\n    tree:\n      - { branch: a, probability: 0.5, arm: good }\n      - { branch: b, probability: 0.6, arm: bad }\n", "probability", "sum to 1.1"),
        ("  s:\n    tree:\n      - { branch: a, probability: 1, arm: goood }\n", "unknown-name", "unknown arm `goood`"),
        ("  s:\n    tree:\n      - { branch: a, probability: 1, arm: s }\n", "unknown-name", "unknown arm `s`"),
        ("  s:\n    tree:\n      - { branch: a, probability: 1 }\n", "structure", "leaf without an arm"),
        ("  s:\n    tree:\n      - { branch: a, probability: 1.5, arm: good }\n", "probability", "1.5"),
        ("  s:\n    tree:\n      - { branch: a, probability: C, arm: good }\n      - { branch: b, probability: C, arm: bad }\n", "probability", "are `C`"),
        ("  s:\n    tree:\n      - { branch: a, probability: 1, arm: good, then: [{ branch: b, probability: 1, arm: bad }] }\n", "structure", "further branches and an arm"),
        ("  s:\n    tree: []\n", "structure", "no branches"),
        ("  s:\n    initial: { A: 1 }\n    tree:\n      - { branch: a, probability: 1, arm: good }\n", "structure", "belongs to its arms"),
    ];
    for (strategies, code, words) in cases {
        let found = problems(&two_arms(strategies));
        assert!(
            found.contains(code) && found.contains(words),
            "expected {code} with `{words}` for\n{strategies}\ngot:\n{found}"
        );
        assert!(found.contains("tree.yaml:"), "no position in {found}");
    }
    // An arm with a tree of its own (the only way to make a cycle: trees lead into arms).
    let arm_with_tree = two_arms("  s:\n    tree:\n      - { branch: a, probability: 1, arm: good }\n").replace(
        "    parameters: { c_a: 100, u_a: 1, p_die: 0.1 }",
        "    parameters: { c_a: 100, u_a: 1, p_die: 0.1 }\n    tree:\n      - { branch: x, probability: 1, arm: bad }",
    );
    let found = problems(&arm_with_tree);
    assert!(found.contains("trees lead into arms"), "{found}");
}

#[test]
fn a_formula_probability_out_of_range_is_a_run_time_error_at_the_branch() {
    let text = two_arms("  s:\n    tree:\n      - { branch: a, probability: p_pos * 4, arm: good }\n      - { branch: b, probability: C, arm: bad }\n");
    let model = load_str(&text);
    let errors = hta_markov::run(&model).expect_err("p = 1.2 must fail");
    let kinds: Vec<String> = errors.errors.iter().map(|e| format!("{:?}", e.problem)).collect();
    assert!(kinds.iter().any(|k| k.contains("TreeProbability")), "{kinds:?}");
}

fn hta() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("hta").expect("binary")
}

/// The highest test price at which test-and-treat stays optimal, against a hand calculation:
/// test-and-treat pays the test for everyone tested (slope 1 in the price); screen-and-confirm
/// pays it only for screen positives (slope P(screen positive)); the price where their net
/// benefits meet is the answer if both beat the others there.
#[test]
fn value_of_the_test_is_the_price_where_test_and_treat_stops_being_optimal() {
    let path = "models/egfr_test_and_treat.yaml";
    let loaded = hta_spec::load(Path::new(path), &[]).expect("loads");
    let model = &loaded.model;
    let outcomes = hta_sensitivity::Evaluator::new(model).evaluate(&[]).expect("runs");
    let wtp = 287_247.0;
    let nmb = |i: usize| wtp * outcomes[i].qaly - outcomes[i].cost;
    let index = |name: &str| model.strategies.iter().position(|s| s.name == name).expect("strategy");
    let (tt, sc) = (index("test_and_treat"), index("screen_and_confirm"));
    let screen_positive = 0.45 * 0.95 + 0.55 * 0.15;
    let expected = 2500.0 + (nmb(tt) - nmb(sc)) / (1.0 - screen_positive);
    let output = hta()
        .args(["threshold", path, "--param", "c_test", "--strategy", "test_and_treat", "--vs", "best"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|l| l.contains("3 x GDP")).expect("3 x GDP line");
    let found: f64 = line
        .split(" to ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|v| v.replace(',', ""))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no price in {line}"));
    assert_close(found, expected, 1e-6, "highest test price");
    assert!(line.contains("test_and_treat is optimal for c_test from 0"), "{line}");
    // At 1 x GDP per capita chemotherapy for all is optimal whatever the test costs.
    assert!(stdout.contains("not optimal over the whole range searched"), "{stdout}");
}

#[test]
fn subgroups_are_run_separately_and_weighted() {
    let path = "models/egfr_test_and_treat.yaml";
    let dir = std::env::temp_dir().join(format!("hta-subgroups-{}", std::process::id()));
    hta().args(["subgroups", path, "--out"]).arg(&dir).assert().success();
    let csv = std::fs::read_to_string(dir.join("subgroups.csv")).expect("subgroups.csv");
    let cost = |group: &str, strategy: &str| -> f64 {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("\"{group}")) && l.contains(&format!(",{strategy},")))
            .unwrap_or_else(|| panic!("{group} {strategy} in\n{csv}"));
        line.split(',').nth(2).and_then(|v| v.parse().ok()).expect("cost")
    };
    // Each subgroup is the model with its own prevalence; the total is the weighted mean.
    for (group, prevalence) in [("Never smokers", "0.55"), ("Current or former smokers", "0.25")] {
        let set = [hta_spec::Override { name: "p_egfr".into(), value: prevalence.into() }];
        let loaded = hta_spec::load(Path::new(path), &set).expect("loads");
        let outcomes = hta_sensitivity::Evaluator::new(&loaded.model).evaluate(&[]).expect("runs");
        assert_close(cost(group, "test_and_treat"), outcomes[2].cost, tol::EXACT, group);
    }
    let total =
        0.55 * cost("Never smokers", "test_and_treat") + 0.45 * cost("Current or former smokers", "test_and_treat");
    assert_close(cost("weighted total", "test_and_treat"), total, tol::EXACT, "weighted total");
}

#[test]
fn subgroup_weights_must_sum_to_one() {
    let text = two_arms("  s:\n    tree:\n      - { branch: a, probability: 1, arm: good }\n")
        + "subgroups:\n  a: { weight: 0.5, set: { p_pos: 0.1 } }\n  b: { weight: 0.4, set: { p_poss: 0.2 } }\n";
    let found = problems(&text);
    assert!(found.contains("sum to 0.9"), "{found}");
    assert!(found.contains("`p_poss`, which is neither a parameter nor a setting"), "{found}");
}

/// A tree in front of a partitioned survival model: the CAR-T model with its two strategies as
/// arms, and a strategy sending 60% of patients to CAR-T (e.g. those eligible and manufactured
/// in time) and 40% to chemotherapy, is 0.6 x CAR-T + 0.4 x chemotherapy.
#[test]
fn trees_work_in_front_of_partitioned_survival_models() {
    let text = std::fs::read_to_string("models/cart_lbcl_psm.yaml").expect("model");
    let (head, strategies) = text.split_once("\nstrategies:\n").expect("strategies section");
    let head = head.replace("reference_strategy: salvage_chemo", "reference_strategy: eligible_first");
    let with_arms = format!(
        "{head}\narms:\n{strategies}\nstrategies:\n  eligible_first:\n    tree:\n      - {{ branch: gets_cart, probability: 0.6, arm: cart }}\n      - {{ branch: chemo, probability: C, arm: salvage_chemo }}\n"
    );
    let original = hta_psm::run(&hta_spec::load(Path::new("models/cart_lbcl_psm.yaml"), &[]).expect("loads").model)
        .expect("runs")
        .results;
    let loaded = hta_spec::load_str(&with_arms, "cart_tree.yaml", Path::new("models"), &[]).expect("loads");
    let mixed = hta_psm::run(&loaded.model).expect("runs").results;
    let (chemo, cart) = (&original[0], &original[1]);
    assert_close(
        mixed[0].total_cost(true),
        0.6 * cart.total_cost(true) + 0.4 * chemo.total_cost(true),
        tol::EXACT,
        "cost",
    );
    assert_close(mixed[0].qaly(true), 0.6 * cart.qaly(true) + 0.4 * chemo.qaly(true), tol::EXACT, "QALYs");
    let outcomes = hta_sensitivity::Evaluator::new(&loaded.model).evaluate(&[]).expect("evaluates");
    assert_close(outcomes[0].cost, mixed[0].total_cost(true), tol::EXACT, "evaluator cost");
}

/// The dossier pack of the EGFR model shows each strategy's decision tree, the expanded branches
/// and the subgroups (CHEERS 2022 item 18).
#[test]
fn the_report_shows_the_trees_and_the_subgroups() {
    let dir = std::env::temp_dir().join(format!("hta-egfr-report-{}", std::process::id()));
    hta().args(["report", "models/egfr_test_and_treat.yaml", "--draws", "50", "--out"]).arg(&dir).assert().success();
    let html = std::fs::read_to_string(dir.join("report.html")).expect("html");
    assert_eq!(html.matches("Decision tree of strategy").count(), 4, "one tree figure per strategy");
    assert!(html.contains("id=\"heterogeneity\"") && html.contains("weighted total"));
    assert!(html.contains("sens = 0.92") && html.contains("→ tki_pos"), "tree labels with base-case values");
}

/// A leaf can enter its arm in other states than the arm's own initial distribution (the model
/// is linear in it): half the cohort entering dead halves every total.
#[test]
fn a_leaf_can_name_the_states_its_share_enters_in() {
    let text = two_arms(
        "  s:\n    tree:\n      - { branch: a, probability: 1, arm: good, initial: { A: 0.5, D: 0.5 } }\n  t:\n    tree:\n      - { branch: a, probability: 1, arm: good }\n",
    );
    let model = load_str(&text);
    assert_eq!(model.arms.len(), 3, "the copy of `good` entered half dead");
    let results = run(&model);
    assert_close(results[0].total_cost(true), 0.5 * 171.0, tol::EXACT, "cost");
    assert_close(results[0].qaly(true), 0.5 * 1.71, tol::EXACT, "QALYs");
    assert_close(results[1].total_cost(true), 171.0, tol::EXACT, "the arm itself is unchanged");
    let bad = problems(&two_arms(
        "  s:\n    tree:\n      - { branch: a, probability: 1, arm: good, initial: { A: 0.5, X: 0.5 } }\n",
    ));
    assert!(bad.contains("unknown-name") && bad.contains("`X`"), "{bad}");
}

#[test]
fn an_arm_no_leaf_enters_is_a_warning() {
    let text = two_arms("  s:\n    tree:\n      - { branch: a, probability: 1, arm: good }\n");
    let loaded = hta_spec::load_str(&text, "tree.yaml", Path::new("."), &[]).expect("loads");
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.one_line()).collect();
    assert!(warnings.iter().any(|w| w.contains("arm `bad` is not entered")), "{warnings:?}");
    assert!(!warnings.iter().any(|w| w.contains("arm `good`")), "{warnings:?}");
}

/// `hta report` writes every decision tree as its own SVG and PNG figure (issue 17, item 21),
/// each branch with its probability as written and its value, each leaf with the arm it enters.
#[test]
fn the_pack_writes_each_tree_as_a_figure() {
    let dir = std::env::temp_dir().join(format!("hta-tree-figures-{}", std::process::id()));
    hta()
        .args(["--force", "report", "models/egfr_test_and_treat.yaml", "--draws", "0", "--out"])
        .arg(&dir)
        .assert()
        .success();
    let figures = dir.join("figures");
    let svg = std::fs::read_to_string(figures.join("tree_screen_and_confirm.svg")).expect("tree svg");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    for text in ["biomarker_positive", "p_egfr = 0.45", "1 - (spec_screen) = 0.15", "→ tki_pos", "→ chemo_neg"] {
        assert!(svg.contains(text), "missing {text}");
    }
    let png = std::fs::read(figures.join("tree_screen_and_confirm.png")).expect("tree png");
    assert_eq!(&png[1..4], b"PNG");
    assert!(figures.join("tree_chemo_all.png").exists());
}
