//! Market shares in both worlds (DOMAIN.md §5.2; Sullivan et al., Value Health 2014;17:5-14):
//! the patients who start treatment each year are split between the options by each year's
//! shares in the world without the new option and in the world with it.
//!
//! N_y = eligible patients starting treatment in year y (the prevalent backlog in year 1 plus
//! the incident patients of the year, after the funnel; nobody waits in a pool),
//!
//! Cost_y^w = Σ_j Σ_(c ≤ y) N_c · s_(c,j)^w · cost_j(y − c)     (cohort convolution, §5.3)
//! BI_y     = Cost_y^with − Cost_y^without.
//!
//! The payment scheme prices the new option only: its patients N_y · s_(y,new)^with are paid
//! for as in [`crate::impact::scheme_impact`] (discounts, schedules, caps, payer splits) and cost
//! the model's care costs without the priced categories; the comparators cost their full model
//! costs in both worlds. Patients the scheme leaves unfunded (a volume cap) receive the world
//! without's mix of that year. The displaced-shares form (`displaced:`) is the special case
//! s_j^with = s_j^without − d_j · s_new^with.

use crate::cohort::calendar_years;
use crate::impact::{scheme_impact, BudgetInputs, OptionCosts, Scheme, SchemeImpact};
use crate::payment::{PaymentError, Schedule};
use crate::population::Population;
use crate::uptake::Uptake;

/// One option other than the new one: its per-patient costs (all categories, and by category in
/// the order of [`BudgetInputs::categories`]) and its shares by year in each world.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MarketOption {
    pub name: String,
    pub costs: OptionCosts,
    pub by_category: Vec<OptionCosts>,
    /// Share by calendar year (index 0 = year 1; the last value holds after the list).
    pub without: Vec<f64>,
    pub with: Vec<f64>,
}

/// The market: the comparators and the new option's share in the world with (its share in the
/// world without is zero).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Market {
    pub options: Vec<MarketOption>,
    pub new_option_with: Vec<f64>,
}

/// The value for year index `y` of a yearly list whose last value holds after it (0 if empty).
pub fn at(values: &[f64], y: usize) -> f64 {
    values.get(y).or(values.last()).copied().unwrap_or(0.0)
}

/// Patients starting treatment in years 1..=`years`: the prevalent backlog in year 1 plus each
/// year's incident patients.
pub fn market_patients(population: &Population, years: u32) -> Vec<f64> {
    (0..years as usize)
        .map(|y| at(&population.incident, y) + if y == 0 { population.prevalent_at_launch } else { 0.0 })
        .collect()
}

/// Per-patient amounts convolved with yearly cohorts, within the horizon.
fn convolve(c: &OptionCosts, inputs: &BudgetInputs, cohorts: &[f64]) -> Result<Vec<f64>, PaymentError> {
    let years = inputs.years as usize;
    let per_patient =
        Schedule::from_amounts_by_offset(calendar_years(c.one_off, &c.by_model_year, inputs.timing, years))?;
    Ok(per_patient.by_calendar_year(cohorts)?.within_horizon_by_year)
}

/// The budget impact of `scheme` with the market's shares in both worlds. `inputs.population`
/// gives the patients starting treatment (its capacity and pool mortality do not apply) and
/// `inputs.new_option` the new option's costs; `inputs.uptake` and `inputs.comparator` are not
/// used.
pub fn market_impact(inputs: &BudgetInputs, market: &Market, scheme: &Scheme) -> Result<SchemeImpact, PaymentError> {
    let years = inputs.years as usize;
    let patients = market_patients(&inputs.population, inputs.years);
    let new_patients: Vec<f64> = patients.iter().enumerate().map(|(y, n)| n * at(&market.new_option_with, y)).collect();
    // The scheme's payments and the new option's own care costs: everyone in the pool treated
    // in their year, no comparator costs (they are added below, world by world).
    let mut inner = inputs.clone();
    inner.market = None;
    inner.population =
        Population { incident: new_patients, prevalent_at_launch: 0.0, pool_mortality: 0.0, capacity: vec![None] };
    inner.uptake = Uptake::Table(vec![1.0]);
    inner.comparator = OptionCosts::default();
    for (_, _, without) in &mut inner.categories {
        *without = OptionCosts::default();
    }
    let mut impact = scheme_impact(&inner, scheme)?;
    let unfunded: Vec<f64> = impact.years.iter().map(|y| y.unfunded_patients).collect();
    let mut care_with = vec![0.0; years];
    let mut care_without = vec![0.0; years];
    let n_categories = inputs.categories.len();
    let mut category_with = vec![vec![0.0; years]; n_categories];
    let mut category_without = vec![vec![0.0; years]; n_categories];
    for option in &market.options {
        let with: Vec<f64> =
            (0..years).map(|y| patients[y] * at(&option.with, y) + unfunded[y] * at(&option.without, y)).collect();
        let without: Vec<f64> = (0..years).map(|y| patients[y] * at(&option.without, y)).collect();
        for (total, amount) in [
            (&mut care_with, convolve(&option.costs, inputs, &with)?),
            (&mut care_without, convolve(&option.costs, inputs, &without)?),
        ] {
            for (t, a) in total.iter_mut().zip(amount) {
                *t += a;
            }
        }
        for (k, c) in option.by_category.iter().enumerate().take(n_categories) {
            for (total, amount) in [
                (&mut category_with[k], convolve(c, inputs, &with)?),
                (&mut category_without[k], convolve(c, inputs, &without)?),
            ] {
                for (t, a) in total.iter_mut().zip(amount) {
                    *t += a;
                }
            }
        }
    }
    let prevalent_share = if patients.first().is_some_and(|n| *n > 0.0) {
        inputs.population.prevalent_at_launch / patients[0]
    } else {
        0.0
    };
    let mut cumulative = 0.0;
    for (y, row) in impact.years.iter_mut().enumerate() {
        // The inner run has no comparator costs: its net impact is payments + the new option's care.
        row.net_impact += care_with[y] - care_without[y];
        row.care_with += care_with[y];
        row.care_without += care_without[y];
        for (k, (w, wo)) in row.care_by_category.iter_mut().enumerate() {
            *w += category_with[k][y];
            *wo += category_without[k][y];
        }
        let receiving = row.treated_from_prevalent + row.treated_from_incident;
        row.treated_from_prevalent = if y == 0 { receiving * prevalent_share } else { 0.0 };
        row.treated_from_incident = receiving - row.treated_from_prevalent;
        cumulative += row.net_impact;
        row.cumulative_impact = cumulative;
    }
    impact.break_even_year = impact.years.iter().find(|r| r.net_impact <= 0.0).map(|r| r.year);
    Ok(impact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::TreatmentTiming;

    fn inputs(incident: Vec<f64>, prevalent: f64) -> BudgetInputs {
        BudgetInputs {
            years: 5,
            timing: TreatmentTiming::StartOfYear,
            population: Population {
                incident,
                prevalent_at_launch: prevalent,
                pool_mortality: 0.0,
                capacity: vec![None],
            },
            uptake: Uptake::Table(vec![0.0]),
            new_option: OptionCosts { one_off: 0.0, by_model_year: vec![10.0, 1.0] },
            comparator: OptionCosts::default(),
            discount_rate: 0.0,
            insured: None,
            categories: vec![],
            market: None,
        }
    }

    fn option(name: &str, one_off: f64, years: Vec<f64>, without: Vec<f64>, with: Vec<f64>) -> MarketOption {
        MarketOption {
            name: name.into(),
            costs: OptionCosts { one_off, by_model_year: years },
            by_category: vec![],
            without,
            with,
        }
    }

    /// Worked example: three comparators a, b, c and the new option n over five years, 100
    /// patients starting treatment each year (no backlog), start-of-year treatment.
    ///
    /// Per-patient costs by year since treatment τ = 0, 1, 2, ...:
    ///   a: 10, 10, 10, 10, 10 (chronic, 10 a year);  b: 20 at τ = 0 only;  c: 5, 5, 0, ...;
    ///   n: price 100 at τ = 0 (the scheme, upfront) plus care 10, 1, 0, ...
    /// Shares by year 1..5:
    ///   without: a .5 .5 .5 .5 .5 | b .3 .3 .3 .3 .3 | c .2 .2 .2 .2 .2
    ///   with:    a .5 .4 .3 .3 .3 | b .3 .3 .3 .2 .2 | c .2 .2 .2 .2 .1 | n 0 .1 .2 .3 .4
    /// Cohorts (patients) by year, with: a 50 40 30 30 30, b 30 30 30 20 20, c 20 20 20 20 10,
    /// n 0 10 20 30 40; without: a 50 each year, b 30, c 20.
    /// World without, year y: a 10·50·y, b 20·30 = 600, c 5·20 (this year) + 5·20 (last year):
    ///   y1 500 + 600 + 100 = 1200; y2 1000 + 600 + 200 = 1800; y3 1500 + 600 + 200 = 2300;
    ///   y4 2000 + 600 + 200 = 2800; y5 2500 + 600 + 200 = 3300.
    /// World with: a 10·(cumulative a patients) = 500, 900, 1200, 1500, 1800;
    ///   b 20·(this year's b) = 600, 600, 600, 400, 400;
    ///   c 5·(this + last year's c) = 100, 200, 200, 200, 150;
    ///   n payments 100·n_y = 0, 1000, 2000, 3000, 4000; n care 10·n_y + 1·n_(y−1) =
    ///   0, 100, 210, 320, 430.
    ///   Totals: y1 1200; y2 900+600+200+1000+100 = 2800; y3 1200+600+200+2000+210 = 4210;
    ///   y4 1500+400+200+3000+320 = 5420; y5 1800+400+150+4000+430 = 6780.
    /// Net impact: 0, 1000, 1910, 2620, 3480 (total 9010).
    #[test]
    fn worked_example_three_comparators_five_years() {
        let market = Market {
            options: vec![
                option("a", 0.0, vec![10.0; 5], vec![0.5], vec![0.5, 0.4, 0.3, 0.3, 0.3]),
                option("b", 20.0, vec![], vec![0.3], vec![0.3, 0.3, 0.3, 0.2, 0.2]),
                option("c", 0.0, vec![5.0, 5.0], vec![0.2], vec![0.2, 0.2, 0.2, 0.2, 0.1]),
            ],
            new_option_with: vec![0.0, 0.1, 0.2, 0.3, 0.4],
        };
        let scheme = Scheme {
            name: "upfront".into(),
            list_price: 100.0,
            payers: vec![("payer".into(), 1.0)],
            ..Scheme::default()
        };
        let r = market_impact(&inputs(vec![100.0], 0.0), &market, &scheme).expect("runs");
        let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        for (y, (without, with, net)) in [
            (1200.0, 1200.0, 0.0),
            (1800.0, 2800.0, 1000.0),
            (2300.0, 4210.0, 1910.0),
            (2800.0, 5420.0, 2620.0),
            (3300.0, 6780.0, 3480.0),
        ]
        .into_iter()
        .enumerate()
        {
            let row = &r.years[y];
            close(row.care_without, without);
            close(row.gross_payments + row.care_with, with);
            close(row.net_impact, net);
        }
        close(r.total_net_impact(), 9010.0);
        close(r.years[4].cumulative_impact, 9010.0);
        close(r.years[4].paid_patients, 40.0);
        assert_eq!(r.break_even_year, Some(1));
    }

    /// The displaced-shares form is the market form with s_j^with = s_j^without − d_j · s_new.
    #[test]
    fn displaced_shares_are_a_market() {
        let mut base = inputs(vec![80.0, 90.0, 100.0, 110.0, 120.0], 0.0);
        base.population.pool_mortality = 1.0; // nobody waits: treated = uptake × incident
        let uptake = [0.1, 0.2, 0.3, 0.35, 0.4];
        base.uptake = Uptake::Table(uptake.to_vec());
        let costs = [
            OptionCosts { one_off: 3.0, by_model_year: vec![7.0, 6.0, 5.0] },
            OptionCosts { one_off: 0.0, by_model_year: vec![2.0; 6] },
        ];
        let d = [0.7, 0.3];
        base.comparator = OptionCosts {
            one_off: d[0] * costs[0].one_off + d[1] * costs[1].one_off,
            by_model_year: (0..6)
                .map(|k| d[0] * costs[0].by_model_year.get(k).unwrap_or(&0.0) + d[1] * costs[1].by_model_year[k])
                .collect(),
        };
        let scheme = Scheme {
            name: "s".into(),
            list_price: 50.0,
            instalments: Some(vec![0.5, 0.5]),
            payers: vec![("payer".into(), 1.0)],
            ..Scheme::default()
        };
        let displaced = scheme_impact(&base, &scheme).expect("runs");
        let without = [0.6, 0.4];
        let market = Market {
            options: (0..2)
                .map(|j| {
                    option(
                        ["x", "y"][j],
                        costs[j].one_off,
                        costs[j].by_model_year.clone(),
                        vec![without[j]],
                        uptake.iter().map(|u| without[j] - d[j] * u).collect(),
                    )
                })
                .collect(),
            new_option_with: uptake.to_vec(),
        };
        let shares = market_impact(&base, &market, &scheme).expect("runs");
        for (a, b) in displaced.years.iter().zip(&shares.years) {
            assert!((a.net_impact - b.net_impact).abs() <= 1e-9 * a.net_impact.abs().max(1.0), "{a:?} vs {b:?}");
            assert!(
                ((a.care_with - a.care_without) - (b.care_with - b.care_without)).abs()
                    <= 1e-9 * a.care_with.abs().max(1.0)
            );
            assert!((a.gross_payments - b.gross_payments).abs() <= 1e-9 * a.gross_payments.abs().max(1.0));
        }
        assert!((displaced.committed_after_horizon - shares.committed_after_horizon).abs() < 1e-9);
    }
}
