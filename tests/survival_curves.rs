//! Survival curves in model files: a two-state Markov model driven by `cycle_prob(curve)` has
//! alive occupancy S(t_k) exactly (the per-cycle conditional probabilities telescope), for every
//! kind of curve; composite curves obey their definitions.

use crate::support::{load_str, run};

fn model(curves: &str, curve: &str, cycle: &str, cycles: usize) -> String {
    format!(
        r#"
format_version: 1
metadata: {{ title: curves, currency: X }}
settings:
  cycle_length: {{ value: 1, unit: {cycle} }}
  horizon: {{ cycles: {cycles} }}
  discount: {{ costs: 0, effects: 0 }}
  counting: end_of_cycle
  effect: life_years
cohort: {{ start_age: 60, initial: {{ alive: 1 }} }}
tables:
  lt:
    key: age
    interpolation: step
    outside: hold
    columns:
      age: [60, 70, 80, 90]
      qx: [0.01, 0.03, 0.08, 0.2]
  km:
    key: month
    interpolation: step
    columns:
      month: [0, 6, 12, 24]
      s: [1, 0.8, 0.6, 0.45]
parameters:
  shape: 1.3
survival:
{curves}
states:
  alive: {{}}
  dead: {{ dead: true }}
transitions:
  alive: {{ alive: C, dead: "cycle_prob({curve})" }}
  dead: {{ dead: 1 }}
strategies:
  only: {{}}
"#
    )
}

const CURVES: &str = r#"
  expo: { exponential: { rate: 0.2 } }
  wei: { weibull: { shape: shape, scale: 4 } }
  wei_months: { time_unit: months, weibull: { shape: shape, scale: 48 } }
  weiph: { weibull_ph: { shape: 1.3, scale: 0.15 } }
  gomp: { gompertz: { shape: -0.2, rate: 0.3 } }
  ll: { llogis: { shape: 2, scale: 3 } }
  lnormal: { lnorm: { meanlog: 1.2, sdlog: 0.8 } }
  gam: { gamma: { shape: 1.5, rate: 0.4 } }
  gg: { gengamma: { mu: 1.1, sigma: 0.7, Q: 0.4 } }
  pwe: { piecewise_exponential: { cuts: [1, 3], rates: [0.3, 0.2, 0.1] } }
  km_curve: { time_unit: months, table: { table: km, survival: s, interpolation: log_linear } }
  ph: { proportional_hazards: { curve: wei, hr: 0.6 } }
  af: { accelerated_failure: { curve: wei, af: 1.5 } }
  joined: { join: { first: km_curve, then: expo, at_years: 2 } }
  background: { life_table: { table: lt, column: qx } }
  cure: { mixture_cure: { cure_fraction: 0.35, uncured: lnormal, background: background } }
"#;

fn alive_and_surv(curve: &str, cycle: &str, cycles: usize) -> Vec<(f64, f64)> {
    let text = model(CURVES, curve, cycle, cycles);
    let m = load_str(&text);
    let results = run(&m);
    let years = if cycle == "months" { 1.0 / 12.0 } else { 1.0 };
    // S(t_k) through the formula language: a second model evaluating surv() as a parameter.
    (0..=cycles)
        .map(|k| {
            let t = k as f64 * years;
            let probe = model(CURVES, curve, cycle, cycles)
                .replace("  shape: 1.3", &format!("  shape: 1.3\n  probe: \"surv({curve}, {t:?})\""));
            let pm = load_str(&probe);
            let p = pm.param_by_name("probe").expect("probe");
            let program = hta_markov::Program::new(&pm, hta_model::StrategyId::new(0));
            let mut resolver = hta_markov::Resolver::new(&program, pm.settings.cycle_years, pm.settings.start_age);
            resolver.start(&mut [0.0; 8]);
            resolver.cycle(1);
            (results[0].occupancy(k)[0], resolver.param(p))
        })
        .collect()
}

#[test]
fn markov_from_curve_reproduces_survival() {
    for curve in [
        "expo",
        "wei",
        "wei_months",
        "weiph",
        "gomp",
        "ll",
        "lnormal",
        "gam",
        "gg",
        "pwe",
        "km_curve",
        "ph",
        "af",
        "joined",
        "background",
        "cure",
    ] {
        for (k, (alive, s)) in alive_and_surv(curve, "months", 36).into_iter().enumerate() {
            assert!((alive - s).abs() <= 1e-12, "{curve}, cycle {k}: occupancy {alive} vs S(t) {s}");
        }
    }
}

#[test]
fn composite_curves_follow_their_definitions() {
    let points = |c: &str| alive_and_surv(c, "years", 10).into_iter().map(|(_, s)| s).collect::<Vec<_>>();
    let (expo, wei, ph, af, months) = (points("expo"), points("wei"), points("ph"), points("af"), points("wei_months"));
    for k in 0..=10 {
        let t = k as f64;
        assert!((expo[k] - (-0.2 * t).exp()).abs() < 1e-14, "exponential at {t}");
        assert!((ph[k] - wei[k].powf(0.6)).abs() < 1e-14, "PH at {t}");
        assert!((months[k] - wei[k]).abs() < 1e-14, "the same Weibull in months at {t}");
        let af_expected = (-((t / 1.5) / 4.0f64).powf(1.3)).exp();
        assert!((af[k] - af_expected).abs() < 1e-14, "AF at {t}");
    }
    // The join follows the KM curve to 2 years, then the exponential's conditional survival.
    let joined = points("joined");
    assert!((joined[1] - 0.6).abs() < 1e-14);
    assert!((joined[2] - 0.45).abs() < 1e-14);
    assert!((joined[5] - 0.45 * (-0.2f64 * 3.0).exp()).abs() < 1e-14);
}

#[test]
fn mixture_cure_tends_to_cure_fraction_times_background() {
    let text = model(CURVES, "cure", "years", 1)
        .replace("  shape: 1.3", "  shape: 1.3\n  s_cure: \"surv(cure, 100)\"\n  s_bg100: \"surv(background, 100)\"\n  s_bg: \"surv(background, 35)\"");
    let m = load_str(&text);
    let program = hta_markov::Program::new(&m, hta_model::StrategyId::new(0));
    let mut resolver = hta_markov::Resolver::new(&program, 1.0, m.settings.start_age);
    resolver.start(&mut [0.0; 8]);
    resolver.cycle(1);
    let param = |name: &str| resolver.param(m.param_by_name(name).expect("parameter"));
    let (cure, bg100, bg) = (param("s_cure"), param("s_bg100"), param("s_bg"));
    // The uncured log-normal (1.2, 0.8) has S(100) = 1e-5: the cured dominate.
    assert!((cure / bg100 - 0.35).abs() < 1e-4, "S_cure / S_bg = {}", cure / bg100);
    // Background: ages 60-69 q 0.01, 70-79 0.03, 80-89 0.08, 90+ 0.2: S(35) = 0.99^10 0.97^10 0.92^10 0.8^5.
    let expected = 0.99f64.powi(10) * 0.97f64.powi(10) * 0.92f64.powi(10) * 0.8f64.powi(5);
    assert!((bg - expected).abs() < 1e-12, "{bg} vs {expected}");
}

/// A plateauing Gompertz (hazard b·e^(at), a < 0) under a background hazard of 0.02 a year:
/// H(t) = (b/a)(e^(at) − 1) up to the crossing t* = ln(0.02/b)/a, then + 0.02 (t − t*).
#[test]
fn hazard_floor_integrates_the_larger_hazard() {
    let curves = "  gomp: { gompertz: { shape: -0.3, rate: 0.3 } }\n  bg: { exponential: { rate: 0.02 } }\n  floored: { hazard_floor: { curve: gomp, background: bg } }\n  lnormal: { lnorm: { meanlog: 1, sdlog: 1 } }\n";
    let (a, b): (f64, f64) = (-0.3, 0.3);
    let crossing = (0.02 / b).ln() / a;
    let gompertz_h = |t: f64| (b / a) * (a * t).exp_m1();
    for t in [0.5, 5.0, 9.0, 12.0, 30.0] {
        let expected = if t <= crossing { gompertz_h(t) } else { gompertz_h(crossing) + 0.02 * (t - crossing) };
        let text = model(curves, "floored", "years", 1)
            .replace("  shape: 1.3", &format!("  shape: 1.3\n  h: \"cumhaz(floored, {t:?})\""));
        let m = load_str(&text);
        let program = hta_markov::Program::new(&m, hta_model::StrategyId::new(0));
        let mut resolver = hta_markov::Resolver::new(&program, 1.0, m.settings.start_age);
        resolver.start(&mut [0.0; 8]);
        resolver.cycle(1);
        let got = resolver.param(m.param_by_name("h").expect("h"));
        assert!((got - expected).abs() <= 1e-6 * expected, "H({t}) = {got}, expected {expected}");
    }
}

/// A life-table curve for a cohort aged 60.5: the hazard changes at each birthday, so over the
/// first year H = 0.5 (−ln 0.99) + 0.5 (−ln 0.99) and from age 69.5 to 70.5 half a year at q 0.01
/// and half at q 0.03.
#[test]
fn life_table_hazard_changes_at_birthdays() {
    let text = model(CURVES, "background", "years", 1)
        .replace("  shape: 1.3", "  shape: 1.3\n  h1: \"cumhaz(background, 1)\"\n  h10: \"cumhaz(background, 10)\"")
        .replace("start_age: 60", "start_age: 60.5");
    let m = load_str(&text);
    let program = hta_markov::Program::new(&m, hta_model::StrategyId::new(0));
    let mut resolver = hta_markov::Resolver::new(&program, 1.0, m.settings.start_age);
    resolver.start(&mut [0.0; 8]);
    resolver.cycle(1);
    let (h1, h10) =
        (resolver.param(m.param_by_name("h1").expect("h1")), resolver.param(m.param_by_name("h10").expect("h10")));
    let (a, b) = (-(0.99f64.ln()), -(0.97f64.ln()));
    assert!((h1 - a).abs() < 1e-14, "{h1}");
    assert!((h10 - (9.5 * a + 0.5 * b)).abs() < 1e-13, "{h10}");
}
