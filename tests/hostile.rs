//! Hostile and random input: nothing may panic, and resource bombs are refused quickly.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

fn load(text: &str) -> Result<hta_spec::Loaded, hta_spec::Diagnostics> {
    hta_spec::load_str(text, "hostile.yaml", Path::new("models"), &[])
}

/// Loads and, if valid, runs: either way, no panic.
fn load_and_run(text: &str) {
    if let Ok(loaded) = load(text) {
        let _ = hta_markov::run(&loaded.model);
    }
}

fn hiv() -> String {
    std::fs::read_to_string("models/hiv.yaml").expect("models/hiv.yaml")
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), "[ -~\n]{1,12}").prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), prop::char::any()).prop_map(|(at, c)| Edit::Replace(at, c)),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let n = chars.len().max(1);
        match edit {
            Edit::Delete(at, len) => {
                let start = at % n;
                let end = (start + len).min(chars.len());
                chars.drain(start.min(chars.len())..end);
            }
            Edit::Insert(at, s) => {
                let at = at % n;
                for (i, c) in s.chars().enumerate() {
                    chars.insert((at + i).min(chars.len()), c);
                }
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at % chars.len();
                    chars[at] = *c;
                }
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random edits of a valid model never panic the loader or the engine.
    #[test]
    fn mutated_model_never_panics(edits in edits()) {
        load_and_run(&apply(&hiv(), &edits));
    }

    /// Random formula text never panics the parser.
    #[test]
    fn random_formulas_never_panic(text in "[a-z0-9_ .()+*/^<>=!&|,-]{0,60}") {
        let _ = hta_model::formula::parse(&text);
    }

    /// Random numbers in a numeric field are either accepted or reported, never a panic.
    #[test]
    fn any_number_in_any_setting_is_handled(value in prop_oneof![any::<f64>(), Just(f64::NAN), Just(-0.0), Just(1e308)]) {
        let text = hiv().replace("costs: 0.06", &format!("costs: {value:?}")).replace("cycles: 20", &format!("cycles: {value:?}"));
        load_and_run(&text);
    }
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
    }
    let start = Instant::now();
    let result = load(&format!("format_version: 1\n{bomb}"));
    assert!(result.is_err());
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let deep = format!("format_version: 1\nmetadata: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let start = Instant::now();
    assert!(load(&deep).is_err());
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn absurd_sizes_are_refused_with_a_message() {
    let text = hiv().replace("cycles: 20", "cycles: 1000000");
    let error = load(&text).expect_err("too many cycles");
    assert!(error.to_string().contains("the limit is 100000"), "{error}");
    let text = hiv().replace("cycles: 20", "cycles: 20000000000000000000");
    assert!(load(&text).is_err());
}

#[test]
fn deep_formula_is_refused() {
    let formula = format!("\"{}1{}\"", "(".repeat(1_000), ")".repeat(1_000));
    let text = hiv().replace("\"if(time < treatment_years, c_lamivudine, 0)\"", &formula);
    let error = load(&text).expect_err("too deep");
    assert!(error.to_string().contains("deeper than 64"), "{error}");
}
