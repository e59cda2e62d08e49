//! Published reference models reproduced to a stated tolerance.

use crate::support::{assert_close, load_file, run, tol};

/// Chancellor et al. (1997) as in Briggs, Claxton & Sculpher (2006), Exercise 2.5.
/// Expected values to more figures than the book prints come from the benchmark definition
/// (shared/bench/WORKLOADS.md, W1), computed from the same counts; the book's own rounded
/// figures are checked at the precision printed.
#[test]
fn hiv_chancellor_1997() {
    let model = load_file("models/hiv.yaml");
    let results = run(&model);
    let (mono, comb) = (&results[0], &results[1]);
    assert_close(mono.total_cost(true), 44_663.453_6, tol::PUBLISHED, "mono discounted cost");
    assert_close(mono.life_years(false), 7.991207, tol::PUBLISHED, "mono life-years");
    assert_close(comb.total_cost(true), 50_601.651_3, tol::PUBLISHED, "comb discounted cost");
    assert_close(comb.life_years(false), 8.937389, tol::PUBLISHED, "comb life-years");
    // Book figures: GBP 44,663.45 / 7.9912 LY, GBP 50,601.65 / 8.9374 LY, ICER 6,275.96.
    assert!((mono.total_cost(true) - 44_663.45).abs() < 0.005);
    assert!((comb.total_cost(true) - 50_601.65).abs() < 0.005);
    assert!((mono.life_years(false) - 7.9912).abs() < 0.00005);
    assert!((comb.life_years(false) - 8.9374).abs() < 0.00005);
    let icer = (comb.total_cost(true) - mono.total_cost(true)) / (comb.life_years(false) - mono.life_years(false));
    assert!((icer - 6_275.96).abs() < 0.005, "ICER {icer}");
    // Life-years are undiscounted in the exercise (effects rate 0).
    assert_eq!(mono.life_years(true), mono.life_years(false));
}

/// The same numbers through the incremental analysis.
#[test]
fn hiv_incremental_analysis() {
    let model = load_file("models/hiv.yaml");
    let results = run(&model);
    let outcomes: Vec<_> = results
        .iter()
        .zip(&model.strategies)
        .map(|(r, s)| hta_analysis::Outcome::new(&s.name, r.total_cost(true), r.life_years(true)))
        .collect();
    let rows = hta_analysis::incremental(&outcomes);
    assert_eq!(rows[1].status, hta_analysis::Status::NonDominated);
    assert!((rows[1].icer.expect("icer") - 6_275.96).abs() < 0.005);
    let pairwise = hta_analysis::pairwise(&outcomes, 0);
    assert_eq!(pairwise[0].quadrant, hta_analysis::Quadrant::NorthEast);
}

/// The W3 benchmark workload (shared/bench/WORKLOADS.md): 20 states, 600 monthly cycles,
/// age-dependent mortality from a lookup table, 3 strategies; expected values as published there
/// to the digits given.
#[test]
fn w3_synthetic_workload() {
    let model = load_file("benches/models/w3_synthetic.yaml");
    let results = run(&model);
    let expected = [(48_073.536_8, 18.172_666), (82_198.497_1, 18.535_207), (142_859.629_6, 18.887_601)];
    for (r, (cost, qaly)) in results.iter().zip(expected) {
        assert!((r.total_cost(true) - cost).abs() < 5e-5, "cost {} vs {cost}", r.total_cost(true));
        assert!((r.qaly(true) - qaly).abs() < 5e-7, "QALYs {} vs {qaly}", r.qaly(true));
    }
}
