//! Sensitivity analyses: sampled distributions match their targets, Dirichlet rows sum to 1,
//! PSA is identical for any thread count and any split into shards, one-way values equal
//! manual re-runs, and a threshold re-run meets the threshold.

use std::path::Path;

use hta_model::Distribution;
use hta_sensitivity::{Evaluator, OnInvalid, PsaSettings, Sampler};

use crate::support::load_file;

fn model_with(distributions: &str) -> hta_model::Model {
    let text = std::fs::read_to_string("models/hiv.yaml")
        .expect("hiv")
        .replace("  treatment_years:", &format!("{distributions}\n  treatment_years:"));
    match hta_spec::load_str(&text, "t.yaml", Path::new("models"), &[]) {
        Ok(l) => l.model,
        Err(d) => panic!("{d}"),
    }
}

/// Mean and variance of 100,000 draws against each distribution's (tolerance: 4 standard
/// errors of the mean, 6% on the variance).
#[test]
fn sampled_moments_match_the_distributions() {
    let model = model_with(
        "  d_beta: { value: 0.2, distribution: { beta: { mean: 0.2, se: 0.05 } } }\n  d_gamma: { value: 50, distribution: { gamma: { shape: 4, rate: 0.08 } } }\n  d_lognormal: { value: 1, distribution: { lognormal: { meanlog: 0.1, sdlog: 0.3 } } }\n  d_normal: { value: 3, distribution: { normal: { mean: 3, sd: 2 } } }\n  d_uniform: { value: 1, distribution: { uniform: { min: -1, max: 3 } } }\n  d_triangular: { value: 1, distribution: { triangular: { min: 0, mode: 1, max: 4 } } }\n  d_pert: { value: 1, distribution: { pert: { min: 0, mode: 1, max: 4 } } }\n  d_truncated: { value: 1, distribution: { truncated_normal: { mean: 1, sd: 2, min: 0, max: 5 } } }\n  d_fixed: { value: 7, distribution: fixed }",
    );
    let sampler = Sampler::new(&model).expect("sampler");
    let n = 100_000;
    let mut pins = Vec::new();
    let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(n); sampler.params.len()];
    for i in 0..n {
        sampler.draw(42, i as u64, &mut pins);
        for (c, (_, v)) in columns.iter_mut().zip(&pins) {
            c.push(*v);
        }
    }
    for (p, column) in sampler.params.iter().zip(&columns) {
        let param = &model.parameters[p.index()];
        let Some(d) = param.uncertainty.distribution else { continue };
        assert_ne!(d, Distribution::Fixed, "fixed parameters are not sampled");
        assert_ne!(d, Distribution::Fixed, "fixed parameters are not sampled");
        let (mean, variance) = moments(&d);
        let m = column.iter().sum::<f64>() / n as f64;
        let v = column.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (variance / n as f64).sqrt();
        assert!((m - mean).abs() < 4.0 * se, "{}: mean {m} vs {mean}", param.name);
        assert!((v / variance - 1.0).abs() < 0.06, "{}: variance {v} vs {variance}", param.name);
    }
}

fn moments(d: &Distribution) -> (f64, f64) {
    match *d {
        Distribution::Beta { alpha, beta } => {
            let s = alpha + beta;
            (alpha / s, alpha * beta / (s * s * (s + 1.0)))
        }
        Distribution::Gamma { shape, rate } => (shape / rate, shape / (rate * rate)),
        Distribution::LogNormal { meanlog, sdlog } => {
            let v = sdlog * sdlog;
            ((meanlog + v / 2.0).exp(), (v.exp() - 1.0) * (2.0 * meanlog + v).exp())
        }
        Distribution::Normal { mean, sd } => (mean, sd * sd),
        Distribution::Uniform { min, max } => ((min + max) / 2.0, (max - min).powi(2) / 12.0),
        Distribution::Triangular { min, mode, max } => (
            (min + mode + max) / 3.0,
            (min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0,
        ),
        Distribution::Pert { min, mode, max } => {
            // Beta(alpha, beta) on [min, max] with alpha = 1 + 4 (mode - min)/(max - min).
            let (alpha, beta) = (1.0 + 4.0 * (mode - min) / (max - min), 1.0 + 4.0 * (max - mode) / (max - min));
            let s = alpha + beta;
            (min + (max - min) * alpha / s, (max - min).powi(2) * alpha * beta / (s * s * (s + 1.0)))
        }
        Distribution::TruncatedNormal { mean, sd, min, max } => {
            // Moments of the truncated normal (Johnson, Kotz & Balakrishnan).
            let (a, b) = ((min - mean) / sd, (max - mean) / sd);
            let phi = |x: f64| (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let z = hta_model::model::standard_normal_cdf(b) - hta_model::model::standard_normal_cdf(a);
            let m = (phi(a) - phi(b)) / z;
            let v = 1.0 + (a * phi(a) - b * phi(b)) / z - m * m;
            (mean + sd * m, sd * sd * v)
        }
        Distribution::Fixed => (f64::NAN, f64::NAN),
    }
}

#[test]
fn dirichlet_rows_sum_to_one_and_match_their_means() {
    let model = load_file("models/hiv.yaml");
    let sampler = Sampler::new(&model).expect("sampler");
    let mut pins = Vec::new();
    let n = 20_000;
    let group = &model.dirichlet[0];
    let mut sums = vec![0.0; group.params.len()];
    for i in 0..n {
        sampler.draw(3, i, &mut pins);
        for g in &model.dirichlet {
            let total: f64 = pins.iter().filter(|(p, _)| g.params.contains(p)).map(|(_, v)| v).sum();
            assert!((total - 1.0).abs() < 1e-12, "group {} sums to {total}", g.name);
        }
        for (k, p) in group.params.iter().enumerate() {
            sums[k] += pins.iter().find(|(q, _)| q == p).map_or(0.0, |(_, v)| *v);
        }
    }
    let total: f64 = group.counts.iter().sum();
    for (k, count) in group.counts.iter().enumerate() {
        let expected = count / total;
        assert!((sums[k] / n as f64 - expected).abs() < 0.002, "mean share {k}");
    }
}

fn psa(model: &hta_model::Model, first: u64, draws: u64, threads: usize) -> hta_sensitivity::PsaRun {
    let evaluator = Evaluator::new(model);
    let sampler = Sampler::new(model).expect("sampler");
    let settings = PsaSettings { seed: 99, first_draw: first, draws, on_invalid: OnInvalid::Stop };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    pool.install(|| hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &[], None)).expect("psa")
}

#[test]
fn psa_is_identical_for_any_thread_count_and_split() {
    let model = load_file("models/hiv.yaml");
    let one = psa(&model, 0, 600, 1);
    let two = psa(&model, 0, 600, 2);
    assert_eq!(one, two);
    let (a, b) = (psa(&model, 0, 250, 2), psa(&model, 250, 350, 1));
    for (whole, (first, second)) in
        [(&one.cost, (&a.cost, &b.cost)), (&one.qaly, (&a.qaly, &b.qaly)), (&one.ly, (&a.ly, &b.ly))]
    {
        assert_eq!(&[first.as_slice(), second.as_slice()].concat(), whole);
    }
    assert_eq!([a.values(), b.values()].concat(), one.values());
}

/// The values a run holds (EVPPI's parameters) are the values drawn again from the seed for the
/// others: a run holding every column and a run holding none give the same rows, bit for bit,
/// and both are the sampler's draws.
#[test]
fn held_and_redrawn_values_are_the_same_bits() {
    let model = load_file("models/hiv.yaml");
    let evaluator = Evaluator::new(&model);
    let sampler = Sampler::new(&model).expect("sampler");
    let settings = PsaSettings { seed: 5, first_draw: 30, draws: 70, on_invalid: OnInvalid::Stop };
    let all = sampler.params.clone();
    let some = [all[2], all[0]];
    let held = hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &all, None).expect("psa");
    let partly = hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &some, None).expect("psa");
    let redrawn = hta_sensitivity::run_psa(&evaluator, &sampler, &settings, &[], None).expect("psa");
    assert_eq!(
        (held.sampled.held_columns(), partly.sampled.held_columns(), redrawn.sampled.held_columns()),
        (all.len(), 2, 0)
    );
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<u64>>();
    assert_eq!(bits(held.values()), bits(redrawn.values()));
    assert_eq!(bits(partly.values()), bits(redrawn.values()));
    for j in 0..all.len() {
        let column = |run: &hta_sensitivity::PsaRun| run.param_column(j).into_owned();
        assert_eq!(bits(column(&held)), bits(column(&redrawn)), "column {j}");
        assert_eq!(bits(column(&partly)), bits(column(&redrawn)), "column {j}");
    }
    let mut pins = Vec::new();
    let mut expected = Vec::new();
    for draw in 30..100 {
        sampler.draw(5, draw, &mut pins);
        expected.extend(pins.iter().map(|p| p.1));
    }
    assert_eq!(bits(redrawn.values()), bits(expected));
}

#[test]
fn one_way_values_equal_manual_reruns() {
    let model = load_file("models/hiv.yaml");
    let evaluator = Evaluator::new(&model);
    let rr = model.param_by_name("rr").expect("rr");
    let rows = hta_sensitivity::one_way(&evaluator, &[(rr, 0.365, 0.71)]).expect("one-way");
    for (value, outcomes) in [(0.365, &rows[0].at_low), (0.71, &rows[0].at_high)] {
        let set = [hta_spec::Override { name: "rr".into(), value: value.to_string() }];
        let rerun = hta_spec::load(Path::new("models/hiv.yaml"), &set).expect("loads");
        let results = hta_markov::run(&rerun.model).expect("runs");
        for (o, r) in outcomes.iter().zip(&results) {
            assert_eq!(o.cost, r.total_cost(true), "cost at rr = {value}");
            assert_eq!(o.ly, r.life_years(true), "life-years at rr = {value}");
        }
    }
}

#[test]
fn threshold_rerun_meets_the_threshold() {
    let model = load_file("models/hiv.yaml");
    let evaluator = Evaluator::new(&model);
    let price = model.param_by_name("c_lamivudine").expect("price");
    for wtp in [20_000.0, 30_000.0] {
        let inmb = |o: &[hta_sensitivity::Outcome]| wtp * (o[1].ly - o[0].ly) - (o[1].cost - o[0].cost);
        let found =
            hta_sensitivity::threshold(&evaluator, price, (0.0, 2086.5), Some(1e12), 1e-9, &inmb).expect("runs");
        let hta_sensitivity::Threshold::Found { value, .. } = found else { panic!("no root") };
        let o = evaluator.evaluate(&[(price, value)]).expect("re-run");
        let icer = (o[1].cost - o[0].cost) / (o[1].ly - o[0].ly);
        assert!((icer - wtp).abs() <= 1e-6 * wtp, "ICER {icer} at price {value}");
    }
}

/// Gaussian copula: marginals keep their distributions, and the rank correlation of two
/// parameters with normal-score correlation rho is (6/π)·asin(rho/2).
#[test]
fn correlated_parameters_follow_the_copula() {
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv").replace(
        "cost_categories: [medical, community, drug]",
        "cost_categories: [medical, community, drug]\ncorrelations:\n  - { parameters: [c_medical_a, c_community_a], rho: 0.6 }",
    );
    let model = hta_spec::load_str(&text, "t.yaml", Path::new("models"), &[]).expect("loads").model;
    let sampler = Sampler::new(&model).expect("sampler");
    let (a, b) = (model.param_by_name("c_medical_a").expect("a"), model.param_by_name("c_community_a").expect("b"));
    let n = 40_000;
    let mut pins = Vec::new();
    let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        sampler.draw(8, i as u64, &mut pins);
        xs.push(pins.iter().find(|(p, _)| *p == a).expect("a").1);
        ys.push(pins.iter().find(|(p, _)| *p == b).expect("b").1);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!((mean(&xs) / 1701.0 - 1.0).abs() < 0.03, "marginal mean of c_medical_a {}", mean(&xs));
    assert!((mean(&ys) / 1055.0 - 1.0).abs() < 0.03, "marginal mean of c_community_a {}", mean(&ys));
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        for (rank, i) in order.into_iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    let (rx, ry) = (ranks(&xs), ranks(&ys));
    let (mx, my) = (mean(&rx), mean(&ry));
    let cov: f64 = rx.iter().zip(&ry).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var = |r: &[f64], m: f64| r.iter().map(|x| (x - m).powi(2)).sum::<f64>();
    let spearman = cov / (var(&rx, mx) * var(&ry, my)).sqrt();
    let expected = 6.0 / std::f64::consts::PI * (0.6f64 / 2.0).asin();
    assert!((spearman - expected).abs() < 0.015, "Spearman {spearman} vs {expected}");
}

fn hiv_with_top_level(extra: &str) -> hta_model::Model {
    let text = std::fs::read_to_string("models/hiv.yaml").expect("hiv") + extra;
    match hta_spec::load_str(&text, "t.yaml", Path::new("models"), &[]) {
        Ok(l) => l.model,
        Err(d) => panic!("{d}"),
    }
}

const MVN: &str = "\nmultivariate_normal:\n  os_fit:\n    parameters: [log_shape, log_scale, beta]\n    mean: [0.1, 7.1, -0.5]\n    covariance:\n      - [0.04, -0.012, 0.002]\n      - [-0.012, 0.09, 0.0]\n      - [0.002, 0.0, 0.25]\n";

/// Means and covariances of 100,000 draws of a multivariate normal group against the file's
/// (tolerance: 4.5 standard errors of each sample moment), and every other parameter's draws
/// bit-identical to those of the model without the group (its numbers are drawn last).
#[test]
#[allow(clippy::needless_range_loop)]
fn multivariate_normal_draws_match_and_leave_other_draws_unchanged() {
    let with = hiv_with_top_level(MVN);
    let without = load_file("models/hiv.yaml");
    let group = &with.multivariate_normal[0];
    assert_eq!(with.parameters[group.params[1].index()].definition.expr.as_constant(), Some(7.1));
    let (s_with, s_without) = (Sampler::new(&with).expect("sampler"), Sampler::new(&without).expect("sampler"));
    let n = 100_000;
    let k = 3;
    let (mut pins, mut base) = (Vec::new(), Vec::new());
    let mut sum = [0.0; 3];
    let mut cross = [[0.0; 3]; 3];
    for i in 0..n {
        s_with.draw(11, i, &mut pins);
        s_without.draw(11, i, &mut base);
        assert_eq!(&pins[..base.len()], &base[..], "draw {i}");
        let x: Vec<f64> =
            group.params.iter().map(|p| pins.iter().find(|(q, _)| q == p).map_or(f64::NAN, |(_, v)| *v)).collect();
        for a in 0..k {
            sum[a] += x[a];
            for b in 0..k {
                cross[a][b] += (x[a] - group.mean[a]) * (x[b] - group.mean[b]);
            }
        }
    }
    let n = n as f64;
    for a in 0..k {
        let var = group.covariance[a * k + a];
        assert!((sum[a] / n - group.mean[a]).abs() < 4.5 * (var / n).sqrt(), "mean {a}");
        for b in 0..k {
            let (c, vb) = (group.covariance[a * k + b], group.covariance[b * k + b]);
            // Var of a product of centred normals: var_a var_b + c².
            let se = ((var * vb + c * c) / n).sqrt();
            assert!((cross[a][b] / n - c).abs() < 4.5 * se, "covariance {a},{b}: {} vs {c}", cross[a][b] / n);
        }
    }
}

/// A semi-definite covariance (two perfectly correlated members) is drawn through its
/// eigen-decomposition: the second member is exactly twice the first, up to rounding.
#[test]
fn semi_definite_covariance_draws_on_its_line() {
    let model = hiv_with_top_level("\nmultivariate_normal:\n  pair:\n    parameters: [a1, a2]\n    mean: [1, 2]\n    covariance: [[1, 2], [2, 4]]\n");
    let sampler = Sampler::new(&model).expect("sampler");
    let group = &model.multivariate_normal[0];
    let mut pins = Vec::new();
    for i in 0..100 {
        sampler.draw(5, i, &mut pins);
        let v = |p: &hta_model::ParamId| pins.iter().find(|(q, _)| q == p).map_or(f64::NAN, |(_, v)| *v);
        let (a, b) = (v(&group.params[0]), v(&group.params[1]));
        assert!((b - 2.0 * a).abs() < 1e-9, "{a} {b}");
    }
}

/// The subgroups' weighted total is explained when it differs from the base case (issue 17,
/// item 21), with the numbers of one strategy from subgroups.csv and the base case.
#[test]
fn a_subgroup_total_that_differs_from_the_base_case_is_explained() {
    let dir = std::env::temp_dir().join(format!("hta-subgroup-note-{}", std::process::id()));
    assert_cmd::Command::cargo_bin("hta")
        .expect("binary")
        .args(["--force", "report", "models/egfr_test_and_treat.yaml", "--draws", "0", "--out"])
        .arg(&dir)
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let summary = std::fs::read_to_string(dir.join("summary.csv")).expect("summary.csv");
    let base_cost: f64 =
        summary.lines().nth(1).and_then(|l| l.split(',').nth(2)).and_then(|c| c.parse().ok()).expect("cost");
    let expected = format!("cost {} against {}", "100,957", hta_report::number::grouped(base_cost, 0));
    assert!(html.contains("The weighted total differs from the base case") && html.contains(&expected), "{expected}");
    assert!(md.contains("weighted total"));
}
