//! Budget impact: properties of the engine, the shipped example through the CLI, and bad budget
//! files rejected with positions.

use assert_cmd::Command;
use hta_budget::cohort::TreatmentTiming;
use hta_budget::impact::{scheme_impact, BudgetInputs, OptionCosts, Scheme};
use hta_budget::population::Population;
use hta_budget::uptake::Uptake;
use predicates::prelude::*;
use proptest::prelude::*;

fn inputs(incident: f64, prevalent: f64, uptake: f64) -> BudgetInputs {
    BudgetInputs {
        years: 6,
        timing: TreatmentTiming::StartOfYear,
        population: Population {
            incident: vec![incident],
            prevalent_at_launch: prevalent,
            pool_mortality: 0.2,
            capacity: vec![None],
        },
        uptake: Uptake::Table(vec![uptake]),
        new_option: OptionCosts { one_off: 30_000.0, by_model_year: vec![20_000.0, 10_000.0, 8_000.0] },
        comparator: OptionCosts { one_off: 0.0, by_model_year: vec![200_000.0, 190_000.0, 180_000.0, 170_000.0] },
        discount_rate: 0.05,
        insured: None,
        categories: vec![],
        market: None,
    }
}

fn scheme(instalments: Option<Vec<f64>>) -> Scheme {
    Scheme {
        name: "s".into(),
        list_price: 1_200_000.0,
        instalments,
        payers: vec![("fund".into(), 0.6), ("insurer".into(), 0.4)],
        ..Scheme::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No uptake, no budget impact; twice the eligible population, twice the impact (no cap or
    /// capacity binding); payer shares add up to the payments.
    #[test]
    fn budget_properties(incident in 0.0f64..5000.0, prevalent in 0.0f64..20000.0, uptake in 0.0f64..1.0) {
        let zero = scheme_impact(&inputs(incident, prevalent, 0.0), &scheme(None)).expect("runs");
        prop_assert!(zero.years.iter().all(|y| y.net_impact == 0.0));
        let one = scheme_impact(&inputs(incident, prevalent, uptake), &scheme(Some(vec![0.5, 0.25, 0.25]))).expect("runs");
        let two = scheme_impact(&inputs(2.0 * incident, 2.0 * prevalent, uptake), &scheme(Some(vec![0.5, 0.25, 0.25]))).expect("runs");
        for (a, b) in one.years.iter().zip(&two.years) {
            prop_assert!((b.net_impact - 2.0 * a.net_impact).abs() <= 1e-6 * a.net_impact.abs().max(1.0));
            let payers: f64 = a.by_payer.iter().sum();
            prop_assert!((payers - (a.gross_payments - a.rebates)).abs() <= 1e-6 * payers.abs().max(1.0));
        }
    }
}

/// Instalments move payments in time but not their nominal total: within the horizon plus
/// committed after it equals the upfront total.
#[test]
fn instalments_only_defer() {
    let upfront = scheme_impact(&inputs(100.0, 500.0, 0.3), &scheme(None)).expect("runs");
    let spread = scheme_impact(&inputs(100.0, 500.0, 0.3), &scheme(Some(vec![0.2; 5]))).expect("runs");
    let paid = |s: &hta_budget::impact::SchemeImpact| s.years.iter().map(|y| y.gross_payments).sum::<f64>();
    assert!((paid(&spread) + spread.committed_after_horizon - paid(&upfront)).abs() < 1e-3);
    assert!(paid(&spread) < paid(&upfront));
}

#[test]
fn shipped_budget_runs() {
    let dir = std::env::temp_dir().join(format!("hta-budget-{}", std::process::id()));
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["budget", "models/budgets/cart_china.yaml", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("(c) Instalments due while progression-free"));
    let csv = std::fs::read_to_string(dir.join("budget.csv")).expect("budget.csv");
    assert_eq!(csv.lines().count(), 1 + 14 * 10);
    // The five-year scenario changes only the horizon: its upfront net impact is the base case's
    // first five years (1e-9 relative).
    let scenarios = std::fs::read_to_string(dir.join("budget_scenarios.csv")).expect("scenarios");
    assert_eq!(scenarios.lines().count(), 1 + 4 * 14);
    let five: f64 = scenarios
        .lines()
        .find(|l| l.starts_with("five_years,5,upfront,"))
        .and_then(|l| l.split(',').nth(3)?.parse().ok())
        .expect("five-year row");
    let first_five: f64 = csv
        .lines()
        .filter(|l| l.starts_with("upfront,"))
        .filter(|l| l.split(',').nth(1).and_then(|y| y.parse::<u32>().ok()).is_some_and(|y| y <= 5))
        .filter_map(|l| l.split(',').nth(13)?.parse::<f64>().ok())
        .sum();
    assert!((five - first_five).abs() <= 1e-9 * first_five, "{five} vs {first_five}");
    // The figures plot the same numbers: net impact by year for every scheme.
    let plotted = std::fs::read_to_string(dir.join("figures/budget_net_impact.csv")).expect("figure data");
    assert_eq!(plotted.lines().count(), 1 + 14 * 10);
    assert!(dir.join("figures/budget_by_payer_waterfall.png").exists());
    // Care costs by category add up to the totals (1e-9 relative).
    let categories = std::fs::read_to_string(dir.join("budget_categories.csv")).expect("categories");
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let key = format!("{},{},", cells[0], cells[1]);
        let (mut with, mut without) = (0.0, 0.0);
        for row in categories.lines().filter(|l| l.starts_with(&key)) {
            let c: Vec<f64> = row.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect();
            with += c[3];
            without += c[4];
        }
        let total_with: f64 = cells[10].parse().expect("care_with");
        let total_without: f64 = cells[11].parse().expect("care_without");
        assert!((with - total_with).abs() <= 1e-9 * total_with.abs().max(1.0), "{line}");
        assert!((without - total_without).abs() <= 1e-9 * total_without.abs().max(1.0), "{line}");
    }
    // Share of the fund's spending (2.8e12 a year in the file) = net impact / spending.
    for line in csv.lines().skip(1) {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap_or(f64::NAN)).collect();
        let (net, share) = (cells[13], cells[18]);
        assert!((share * 2.8e12 - net).abs() <= 1e-9 * net.abs().max(1.0), "{line}");
    }
    let payers = std::fs::read_to_string(dir.join("budget_payers.csv")).expect("payers");
    assert!(payers.contains(",manufacturer,"));
    // The waterfall's layers and the patient together pay every payment (DOMAIN.md §5.4 (l)).
    for year in 1..=10 {
        let paid: f64 = payers
            .lines()
            .filter(|l| l.starts_with(&format!("waterfall,{year},")))
            .filter_map(|l| l.rsplit(',').next()?.parse::<f64>().ok())
            .sum();
        let gross: f64 = csv
            .lines()
            .find(|l| l.starts_with(&format!("waterfall,{year},")))
            .and_then(|l| l.split(',').nth(7)?.parse().ok())
            .expect("row");
        assert!((paid - gross).abs() <= 1e-6 * gross, "year {year}: layers pay {paid} of {gross}");
    }
}

#[test]
fn bad_budget_files_are_rejected_with_positions() {
    let base = std::fs::read_to_string("models/budgets/cart_china.yaml").expect("read");
    let cases = [
        (
            "payers: { basic_insurance: 0.4, commercial_insurance: 0.4, manufacturer: 0.2 }\n    discount:",
            "payers: { basic_insurance: 0.4, commercial_insurance: 0.4, manufacturer: 0.3 }\n    discount:",
            "sum to 1",
        ),
        ("instalments: [0.2, 0.2, 0.2, 0.2, 0.2]", "instalments: [0.2, 0.2, 0.2, 0.2]", "sum to 1"),
        ("prevalent_at_launch: 10000", "prevalent_at_launch: -10000", "prevalent patients must be a number from 0"),
        ("{ share: 0.2, rate: 0.05 }", "{ share: 0.3, rate: 0.05 }", "co-payment tiers"),
        ("meets_label: 0.8", "meets_label: 1.8", "funnel step"),
        ("new_option: cart", "new_option: carts", "did you mean `cart`?"),
        (
            "priced_categories: [cart_acquisition]",
            "priced_categories: [cart_acquisiton]",
            "did you mean `cart_acquisition`?",
        ),
        ("pool_mortality: 0.5", "pool_mortality: 1.5", "probability"),
        ("horizon_years: 10", "horizon_years: 10.5", "whole number"),
        ("horizon_years: 5", "horizon_years: 0", "scenario `five_years`"),
        ("price: 1200000", "price: 1e300", "from 0 to 1e12"),
        ("insured: 1326620000", "insured: -5", "insured persons"),
        ("fund_spending: 2800000000000", "fund_spending: -1", "fund spending must be positive"),
        (
            "comparator: salvage_chemo\n",
            "comparator: salvage_chemo\n  displaced: { salvage_chemo: 0.7, cart: 0.2 }\n",
            "displaced shares",
        ),
        (
            "comparator: salvage_chemo\n",
            "comparator: salvage_chemo\n  displaced: { salvage_chem: 1.0 }\n",
            "did you mean `salvage_chemo`?",
        ),
        ("{ cutoff_months: 12, fraction: 1.0 }", "{ cutoff_months: 3, fraction: 1.0 }", "strictly increasing"),
        ("share: 0.2, weight: 12.0", "share: 0.3, weight: 12.0", "subgroup shares"),
        (
            "other_case_costs: 150000\n",
            "other_case_costs: 150000\n      refund: { fraction: 0.5, at_months: 12, success_states: [progression_free] }\n",
            "a DRG bundle replaces the price",
        ),
        (
            "- { at_least: 0.6, fraction: 0.7 }",
            "- { at_least: 0.3, fraction: 0.7 }",
            "tiers must be in increasing order",
        ),
        ("- { at_least: 0.8, fraction: 1.0 }", "- { at_least: 0.8, fraction: 1.2 }", "fractions and `below`"),
        ("outcome_in_states: [progression_free]", "outcome_in_states: [progression_fre]", "the model has no state `progression_fre`"),
        ("deferred: { upfront: 0.4,", "deferred: { upfront: 1.4,", "found 1.4"),
        (
            "deferred: { upfront: 0.4, at_months: 12, if_in_states: [progression_free] }",
            "deferred: { upfront: 0.4, at_months: 12, if_in_states: [progression_free] }\n      instalments: [0.5, 0.5]",
            "give at most one of instalments",
        ),
        (
            "order: [basic_insurance, critical_illness, city_commercial]",
            "order: [basic_insurance, critical_ilness, city_commercial]",
            "did you mean `critical_illness`?",
        ),
        ("reimbursement_ratio: 0.7", "reimbursement_ratio: 1.7", "the reimbursement ratio is a share in [0, 1]"),
        ("{ basic_insurance: 0.8, critical_illness: 0.2 }", "{ basic_insurance: 0.8, critical_illness: 0.3 }", "region `province_a`: payer shares must sum to 1"),
        ("{ basic_insurance: 0.8, critical_illness: 0.2 }", "{ basic_insurance: 1.2, critical_illness: -0.2 }", "payer `basic_insurance`: a share in [0, 1]"),
        ("population_scale: 0.05", "population_scale: -0.05", "population_scale must be a non-negative factor"),
        ("population_scale: 0.03", "population_scale: 0.03\n      population: { incident: 5 }", "give either `population` or `population_scale`"),
        ("price_scale: 0.95", "price_scale: 0.95\n      price: 1000000", "give either `price` or `price_scale`"),
        ("incident: 600, prevalent_at_launch: 1200", "incident: -600, prevalent_at_launch: 1200", "region `province_a`: incident patients"),
        ("province_c:", "national:", "`national` is the sum of the regions"),
        ("to: 0.2, years: 5 } }\n      reimbursement_ratio: 0.5", "to: 1.2, years: 5 } }\n      reimbursement_ratio: 0.5", "region `province_c`"),
        ("reimbursement_ratio: 0.6", "reimbursement_ratio: 0.6\n      uptake_typo: 1", "unknown field"),
    ];
    for (from, to, needle) in cases {
        assert!(base.contains(from), "fixture text `{from}` not found");
        let path = std::env::temp_dir().join(format!("hta-budget-bad-{}-{}.yaml", std::process::id(), needle.len()));
        let positioned = format!("{}:", path.display());
        std::fs::write(
            &path,
            base.replacen(from, to, 1).replace(
                "model: ../cart_lbcl_psm.yaml",
                &format!("model: {}/models/cart_lbcl_psm.yaml", env!("CARGO_MANIFEST_DIR")),
            ),
        )
        .expect("write");
        Command::cargo_bin("hta")
            .expect("binary")
            .arg("budget")
            .arg(&path)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(needle))
            .stderr(predicate::str::contains(positioned.as_str()))
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// DOMAIN.md §5.4 (g): cut-offs 6 and 12 months, fractions 0 / 0.7 / 1.0, S_PFS(6) = 0.60,
/// S_PFS(12) = 0.45, price 1.2 M → 666,000 expected per patient (1e-9 relative), staged as
/// 504,000 in the treatment year (the 6-month cut-off falls in it) and 162,000 a year later, or
/// as 1.2 M less refunds 480,000 (same year) and 54,000 (a year later).
#[test]
fn pfs_tiers_in_a_scheme() {
    use hta_budget::impact::per_patient_schedule;
    use hta_budget::payment::{PfsTier, PfsTieredPayment};
    let tiers = PfsTieredPayment::new(
        0.0,
        vec![
            PfsTier { cutoff_months: 6.0, pfs_survival_at_cutoff: 0.60, fraction_paid: 0.7 },
            PfsTier { cutoff_months: 12.0, pfs_survival_at_cutoff: 0.45, fraction_paid: 1.0 },
        ],
    )
    .expect("valid tiers");
    let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    for (as_refunds, year_0, year_1) in [(false, 504_000.0, 162_000.0), (true, 720_000.0, -54_000.0)] {
        let s = Scheme { pfs_tiers: Some((tiers.clone(), as_refunds)), ..scheme(None) };
        let schedule = per_patient_schedule(&s, TreatmentTiming::StartOfYear).expect("schedule");
        close(schedule.total(), 666_000.0);
        let impact = scheme_impact(&inputs(100.0, 0.0, 1.0), &s).expect("runs");
        let n1 = impact.years[0].paid_patients;
        let n2 = impact.years[1].paid_patients;
        close(impact.years[0].gross_payments, n1 * year_0);
        close(impact.years[1].gross_payments, n2 * year_0 + n1 * year_1);
    }
}

/// DOMAIN.md §5.4 (j): 1.2 M for patients 1-100 a year, 1.0 M for 101-200, 0.8 M beyond; 250
/// patients → 260 M marginal, 200 M all-units (1e-9 relative); a 10% discount scales both.
#[test]
fn price_volume_in_a_scheme() {
    use hta_budget::payment::{PriceVolumeTiers, VolumeTier};
    let tiers = PriceVolumeTiers::new(
        vec![
            VolumeTier { up_to_volume: 100.0, unit_price: 1_200_000.0 },
            VolumeTier { up_to_volume: 200.0, unit_price: 1_000_000.0 },
        ],
        800_000.0,
    )
    .expect("valid tiers");
    let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b, "{a} vs {b}");
    for (all_units, discount, expected) in [(false, 0.0, 260e6), (true, 0.0, 200e6), (false, 0.1, 234e6)] {
        let s = Scheme { price_volume: Some((tiers.clone(), all_units)), discount, ..scheme(None) };
        // 250 incident patients a year, all treated in their year.
        let impact = scheme_impact(&inputs(250.0, 0.0, 1.0), &s).expect("runs");
        close(impact.years[0].paid_patients, 250.0);
        close(impact.years[0].gross_payments, expected);
        close(impact.nominal_per_patient, expected / 250.0);
    }
}

/// DOMAIN.md §5.4 (o): expected case payment 116,160; inside the bundle the fund pays it instead
/// of the 1.2 M price and the hospital bears 1.2 M + other costs − 116,160 per case; outside it
/// pays both and the hospital only other costs − 116,160 (1e-9 relative).
#[test]
fn drg_in_a_scheme() {
    let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} vs {b}");
    for (inside, fund_per_case, gap_per_case) in
        [(true, 116_160.0, 1_200_000.0 + 150_000.0 - 116_160.0), (false, 1_316_160.0, 150_000.0 - 116_160.0)]
    {
        let s = Scheme { drg: Some((116_160.0, inside, 150_000.0)), ..scheme(None) };
        let impact = scheme_impact(&inputs(250.0, 0.0, 1.0), &s).expect("runs");
        let y = &impact.years[0];
        close(y.gross_payments, y.paid_patients * fund_per_case);
        close(y.hospital_gap, y.paid_patients * gap_per_case);
    }
}

/// Displaced shares: the world without is the shares' mix of the strategies' costs. With the HIV
/// model and half of the treated patients displaced from each strategy, care costs without the
/// new option are the mean of the base case's costs with and without it (1e-9 relative).
#[test]
fn displaced_shares_mix_the_world_without() {
    let dir = std::env::temp_dir().join(format!("hta-budget-displaced-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let run = |displaced: &str, name: &str| -> Vec<(f64, f64)> {
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &file,
            format!(
                "format_version: 1\nbudget:\n  title: t\n  model: {}/models/hiv.yaml\n  horizon_years: 6\n  \
                 treatment_timing: start_of_year\n  new_option: comb\n  comparator: mono\n{displaced}  price: 1000\n  \
                 population: {{ incident: 100, prevalent_at_launch: 300, pool_mortality: 0.1 }}\n  \
                 uptake: {{ table: [0.2, 0.4, 0.6] }}\n  schemes:\n    upfront: {{}}\n",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .expect("write");
        let out = dir.join(name);
        Command::cargo_bin("hta").expect("binary").arg("budget").arg(&file).arg("--out").arg(&out).assert().success();
        std::fs::read_to_string(out.join("budget.csv"))
            .expect("csv")
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<f64> = l.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect();
                (c[10], c[11])
            })
            .collect()
    };
    let base = run("", "base");
    let mixed = run("  displaced: { mono: 0.5, comb: 0.5 }\n", "mixed");
    for ((with, without), (mixed_with, mixed_without)) in base.iter().zip(&mixed) {
        assert!((with - mixed_with).abs() <= 1e-9 * with);
        let expected = 0.5 * (with + without);
        assert!((mixed_without - expected).abs() <= 1e-9 * expected, "{mixed_without} vs {expected}");
    }
}

/// DOMAIN.md §5.4 (j), expenditure-triggered cuts: 100 patients a year at 1.2 M against a
/// forecast of 100 M, 5% cut when spending exceeds the forecast by more than 10%: 120 M (ratio
/// 1.2, cut), 114 M (1.14, cut), 108.3 M (1.083, no cut), 108.3 M (1e-9 relative).
#[test]
fn expenditure_triggered_cuts_in_a_scheme() {
    use hta_budget::payment::{CutStep, ExpenditureTriggeredCuts};
    let cuts = ExpenditureTriggeredCuts::new(vec![CutStep { spend_over_forecast_above: 1.1, price_cut: 0.05 }])
        .expect("valid");
    let s = Scheme { price_cuts: Some((cuts, vec![100e6])), ..scheme(None) };
    let impact = scheme_impact(&inputs(100.0, 0.0, 1.0), &s).expect("runs");
    for (y, expected) in [120e6, 114e6, 108.3e6, 108.3e6].iter().enumerate() {
        assert!((impact.years[y].paid_patients - 100.0).abs() < 1e-9);
        let paid = impact.years[y].gross_payments;
        assert!((paid - expected).abs() <= 1e-9 * expected, "year {}: {paid} vs {expected}", y + 1);
    }
}

/// DOMAIN.md §5.4 (d) as a budget-file scheme: 40% at treatment, 60% after 3 years if the outcome
/// is achieved (p = 0.5) is `instalments: [0.4, 0, 0, 0.6]` conditional on the outcome's states:
/// 840,000 expected, present value at 3.5% 804,699 (to the euro).
#[test]
fn deferred_outcome_payment_as_conditional_instalments() {
    use hta_budget::impact::per_patient_schedule;
    let s = Scheme { due_probability: Some(vec![1.0, 0.5, 0.5, 0.5]), ..scheme(Some(vec![0.4, 0.0, 0.0, 0.6])) };
    let schedule = per_patient_schedule(&s, TreatmentTiming::StartOfYear).expect("schedule");
    assert!((schedule.total() - 840_000.0).abs() < 1e-6);
    assert!((schedule.present_value(0.035).expect("pv") - 804_699.0).abs() < 1.0);
}

/// Market shares in both worlds (issue 16 item 4) through a budget file: the displaced-shares
/// form (treated = uptake × incident when nobody waits) and the market form that describes the
/// same market give the same budget, year by year (1e-9 relative); a market whose two worlds are
/// the same has no net impact; malformed markets are refused with their positions.
#[test]
fn market_shares_in_a_budget_file() {
    let dir = std::env::temp_dir().join(format!("hta-budget-market-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = |name: &str, body: &str| -> std::path::PathBuf {
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &path,
            format!(
                "format_version: 1\nbudget:\n  title: t\n  model: {}/models/hiv.yaml\n  horizon_years: 6\n  \
                 treatment_timing: start_of_year\n  new_option: comb\n  comparator: mono\n  price: 1000\n{body}  \
                 schemes:\n    upfront: {{}}\n    instalments: {{ instalments: [0.5, 0.5] }}\n",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .expect("write");
        path
    };
    let run = |name: &str, body: &str| -> Vec<Vec<f64>> {
        let out = dir.join(name);
        Command::cargo_bin("hta")
            .expect("binary")
            .arg("budget")
            .arg(file(name, body))
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let csv = std::fs::read_to_string(out.join("budget.csv")).expect("csv");
        let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
        let net = header.iter().position(|h| *h == "net_impact").expect("net_impact column");
        let gross = header.iter().position(|h| *h == "gross_payments").expect("gross_payments column");
        csv.lines()
            .skip(1)
            .map(|l| {
                let c: Vec<f64> = l.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect();
                vec![c[net], c[gross]]
            })
            .collect()
    };
    let displaced = run(
        "displaced",
        "  population: { incident: [100, 120, 140], pool_mortality: 1 }\n  uptake: { table: [0.2, 0.4, 0.6] }\n",
    );
    let market = run(
        "market",
        "  population: { incident: [100, 120, 140] }\n  market:\n    without: { mono: 1 }\n    \
         with: { comb: [0.2, 0.4, 0.6], mono: [0.8, 0.6, 0.4] }\n",
    );
    assert_eq!(displaced.len(), 12);
    assert!(displaced.iter().any(|r| r[0].abs() > 1.0), "the example has a budget impact");
    for (d, m) in displaced.iter().zip(&market) {
        for (a, b) in d.iter().zip(m) {
            assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "displaced {d:?} vs market {m:?}");
        }
    }
    // The new option with no share: both worlds are the same market, the impact is zero.
    let same = run(
        "same",
        "  population: { incident: 100 }\n  market:\n    without: { mono: 1 }\n    with: { mono: 1, comb: 0 }\n",
    );
    assert!(same.iter().all(|r| r[0] == 0.0 && r[1] == 0.0), "{same:?}");
    for (k, (body, needle)) in [
        ("  population: { incident: 100 }\n  market:\n    without: { mono: 0.9 }\n    with: { comb: 0.2, mono: 0.8 }\n", "sum to 0.9 in year 1"),
        ("  population: { incident: 100 }\n  market:\n    without: { mono: 1 }\n    with: { comb: [0.2, 0.5], mono: [0.8, 0.6] }\n", "sum to 1.1 in year 2"),
        ("  population: { incident: 100 }\n  market:\n    without: { mono: 1.2 }\n    with: { comb: 1 }\n", "must be in [0, 1]"),
        ("  population: { incident: 100 }\n  market:\n    without: { mono: 1 }\n    with: { mono: 1 }\n", "gives no share to the new option"),
        ("  population: { incident: 100 }\n  market:\n    without: { mon: 1 }\n    with: { comb: 1 }\n", "did you mean `mono`?"),
        ("  population: { incident: 100 }\n  uptake: { table: [0.2] }\n  market:\n    without: { mono: 1 }\n    with: { comb: 1 }\n", "`uptake:` and `market:`"),
        ("  population: { incident: 100, capacity: 10 }\n  market:\n    without: { mono: 1 }\n    with: { comb: 1 }\n", "`capacity:` does not apply"),
        ("  population: { incident: 100 }\n", "neither `uptake:` nor `market:`"),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("bad-{k}");
        Command::cargo_bin("hta")
            .expect("binary")
            .arg("budget")
            .arg(file(&name, body))
            .assert()
            .code(3)
            .stderr(predicate::str::contains(needle))
            .stderr(predicate::str::contains(format!("{name}.yaml:")))
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// The shipped market-share example runs, says it is a market, and its year-1 payments are the
/// test price times the new option's patients (10,000 × 0.10 × 2,500 at list price).
#[test]
fn shipped_market_budget_runs() {
    let dir = std::env::temp_dir().join(format!("hta-budget-egfr-market-{}", std::process::id()));
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["--force", "budget", "models/budgets/egfr_testing_market.yaml", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Market shares in both worlds: `test_and_treat` and `chemo_all`, `tki_all`, `screen_and_confirm`",
        ));
    let csv = std::fs::read_to_string(dir.join("budget.csv")).expect("csv");
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let gross = header.iter().position(|h| *h == "gross_payments").expect("gross_payments");
    let first: Vec<&str> = csv.lines().nth(1).expect("row").split(',').collect();
    assert_eq!(first[0], "list_price");
    let paid: f64 = first[gross].parse().expect("number");
    assert!((paid - 2_500_000.0).abs() < 1e-6, "{paid}");
}

/// Regions (DOMAIN.md §5; docs/budget.md "Regions"): the national rows of budget_regions.csv are
/// the sums of the regions' rows (1e-9 relative), and payer + patient = net impact in every row.
#[test]
fn budget_regions_sum_to_national() {
    let dir = std::env::temp_dir().join(format!("hta-budget-regions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["budget", "models/budgets/cart_china.yaml", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("Regions: scheme `upfront`"));
    let csv = std::fs::read_to_string(dir.join("budget_regions.csv")).expect("budget_regions.csv");
    // 14 schemes × (3 provinces + national) × 10 years.
    assert_eq!(csv.lines().count(), 1 + 14 * 4 * 10);
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    for r in &rows {
        let v: Vec<f64> = r[3..6].iter().map(|x| x.parse().expect("number")).collect();
        assert!((v[1] + v[2] - v[0]).abs() <= 1e-9 * v[0].abs().max(1.0), "{r:?}");
    }
    for n in rows.iter().filter(|r| r[1] == "national") {
        for col in 3..6 {
            let national: f64 = n[col].parse().expect("number");
            let sum: f64 = rows
                .iter()
                .filter(|r| r[0] == n[0] && r[2] == n[2] && r[1] != "national")
                .map(|r| r[col].parse::<f64>().expect("number"))
                .sum();
            assert!((national - sum).abs() <= 1e-9 * sum.abs().max(1.0), "{n:?}: {national} vs {sum}");
        }
    }
    let payers = std::fs::read_to_string(dir.join("budget_region_payers.csv")).expect("payers");
    assert_eq!(payers.lines().count(), 1 + 14 * 2 * 10, "only province_a names payers (two)");
    assert!(dir.join("figures/budget_by_region.png").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Engine level: a region with ratio 0 has no payer spending; a region with every national
/// value and ratio 1 reproduces the national run (payer = net impact − the scheme's patient
/// share); a region at population_scale 0.5 (capacity scaled too) is half the national run for
/// schemes without population-level rules.
#[test]
fn budget_regions_engine() {
    let base = std::fs::read_to_string("models/budgets/cart_china.yaml").expect("read");
    let (head, tail) = base.split_once("  regions:\n").expect("regions section");
    let rest = tail.split_once("  scenarios:\n").map(|(_, r)| r).expect("scenarios");
    let text = format!(
        "{head}  regions:\n    same: {{ reimbursement_ratio: 1 }}\n    none: {{ reimbursement_ratio: 0 }}\n    half: {{ population_scale: 0.5, reimbursement_ratio: 0.6 }}\n  scenarios:\n{rest}"
    )
    .replace("model: ../cart_lbcl_psm.yaml", &format!("model: {}/models/cart_lbcl_psm.yaml", env!("CARGO_MANIFEST_DIR")));
    let path = std::env::temp_dir().join(format!("hta-budget-regions-engine-{}.yaml", std::process::id()));
    std::fs::write(&path, text).expect("write");
    let analysis = hta_app::budget::budget(&path, &[]).expect("budget");
    let regions = hta_app::budget_regions::regions(&analysis).expect("regions").expect("some");
    assert_eq!(regions.regions.len(), 3);
    let (same, none, half) = (&regions.regions[0], &regions.regions[1], &regions.regions[2]);
    for (s, national) in analysis.impacts.iter().enumerate() {
        let patient = national.scheme.payer_names().iter().position(|p| p == "patient");
        for (y, ny) in national.years.iter().enumerate() {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(close(same.by_scheme[s][y].net_impact, ny.net_impact));
            let scheme_patient = patient.map_or(0.0, |k| ny.by_payer[k]);
            assert!(close(same.by_scheme[s][y].payer_spending, ny.net_impact - scheme_patient));
            assert_eq!(none.by_scheme[s][y].payer_spending, 0.0);
            assert!(close(none.by_scheme[s][y].patient_spending, ny.net_impact));
            let linear = national.scheme.annual_cap.is_none()
                && national.scheme.volume_cap.is_none()
                && national.scheme.price_volume.is_none()
                && national.scheme.price_cuts.is_none()
                // E[f(X/n)] depends on the cohort's size n.
                && national.scheme.cohort_outcome.is_none();
            if linear {
                assert!(
                    close(half.by_scheme[s][y].net_impact, 0.5 * ny.net_impact),
                    "{} year {}",
                    national.scheme.name,
                    y + 1
                );
            }
            let sum: f64 = regions.regions.iter().map(|r| r.by_scheme[s][y].net_impact).sum();
            assert!(close(regions.national[s][y].net_impact, sum));
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// The dossier's budget section (issue 17, items 17 and 21): the payers' own net cost first
/// (net impact less the manufacturer's and patients' shares, so the two add up), a note for a
/// capped scheme that pays more than its cap in a year, and eligible patients by year.
#[test]
fn the_pack_shows_the_payers_own_cost_the_cap_note_and_patients_by_year() {
    let dir = std::env::temp_dir().join(format!("hta-budget-pack-{}", std::process::id()));
    Command::cargo_bin("hta")
        .expect("binary")
        .args(["--force", "report", "models/cart_lbcl_psm.yaml", "--budget", "models/budgets/cart_china.yaml"])
        .args(["--draws", "0", "--out"])
        .arg(&dir)
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    let cells = |line: &str| -> Vec<String> { line.split('|').map(|c| c.trim().to_string()).collect() };
    let money = |c: &str| -> f64 { c.replace(',', "").parse().expect("number") };
    let header = md.lines().find(|l| l.contains("Payers net cost over horizon")).expect("summary header");
    let h = cells(header);
    let col = |name: &str| h.iter().position(|c| c.starts_with(name)).expect(name);
    let (own, maker, patients, net) =
        (col("Payers net cost"), col("Manufacturer pays"), col("Patients pay"), col("Net impact over horizon"));
    assert!(own < net, "the payers' own cost comes before the total");
    let mut checked = 0;
    for line in md.lines().filter(|l| l.starts_with("| upfront |") || l.starts_with("| fund_and_copay |")) {
        let c = cells(line);
        let sum = money(&c[own]) + money(&c[maker]) + money(&c[patients]);
        assert!((sum - money(&c[net])).abs() <= 0.011, "{line}");
        checked += 1;
    }
    assert_eq!(checked, 2);
    assert!(
        md.contains("(h) Expenditure cap 600 M a year, rebate next year pays more than its cap of 600,000,000 CNY a year in years 2,"),
        "cap note"
    );
    let patients =
        md.lines().position(|l| l.contains("Eligible population, uptake and patients treated")).expect("table");
    // Year 1: capacity 300 binds (uptake 5% of 9,000 would be 450).
    let year1 = md.lines().skip(patients).find(|l| l.starts_with("| 1 |")).expect("year 1");
    let c = cells(year1);
    assert_eq!((&c[3][..], &c[7][..], &c[8][..]), ("9000", "300", "yes"), "{year1}");
}
