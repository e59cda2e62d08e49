//! The budget impact of one payment scheme, year by year (DOMAIN.md §5.2, §5.3, §5.5): who is
//! treated, what they cost in the world with the new option and in the world without, what is
//! paid for the new option under the scheme (after discounts, instalments, outcome conditions,
//! refunds, volume and expenditure caps) and by whom.
//!
//! Conventions: amounts undiscounted, in the calendar years 1..=Y of the horizon. The patients
//! counted are those who receive the new option; in the world without, the same patients stay
//! on the comparator (everyone else costs the same in both worlds and cancels out). Care costs
//! come from the cost-effectiveness model and are paid by the budget holder; payments for the new
//! option are split between payers by their shares. Payments for treated patients that fall
//! after the horizon are reported as committed, never dropped.

use crate::cohort::{calendar_years, TreatmentTiming};
use crate::payment::{self, AnnuityTiming, CapPeriod, PaymentError, RebateTiming, Schedule};
use crate::population::{treated_by_year, Population};
use crate::uptake::Uptake;

/// Per-patient costs of one option from the model: at treatment, and by year since treatment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptionCosts {
    pub one_off: f64,
    pub by_model_year: Vec<f64>,
}

/// A payment scheme's parameters, as numbers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scheme {
    pub name: String,
    pub label: Option<String>,
    pub list_price: f64,
    /// Confidential discount (fraction of the list price).
    pub discount: f64,
    /// Share of each payment earmarked for another programme (reported on its own line).
    pub earmark: f64,
    /// Instalment fractions by year since treatment.
    pub instalments: Option<Vec<f64>>,
    /// Probability that the instalment (or annuity payment) at each year since treatment is due.
    pub due_probability: Option<Vec<f64>>,
    /// Annuity: financing rate, number of payments, first payment at treatment.
    pub annuity: Option<(f64, usize, bool)>,
    /// Refund: fraction of the price, assessment time in months, probability of failure then.
    pub refund: Option<(f64, f64, f64)>,
    /// Annual expenditure cap on payments for the new option; rebate in the following year?
    pub annual_cap: Option<(f64, bool)>,
    /// Volume cap over the horizon: paid patients, then free doses from the manufacturer.
    pub volume_cap: Option<(f64, f64)>,
    /// Payers of the new option and their shares.
    pub payers: Vec<(String, f64)>,
    /// Layered benefit rules (in paying order) instead of shares; the patient pays the rest.
    pub waterfall: Option<Vec<payment::WaterfallLayer>>,
    /// Income-tiered co-payment: the patient pays the expected co-pay share of each payment.
    pub copay: Option<Vec<payment::IncomeTier>>,
    /// Special fund: contribution per insured, share of payments, opening balance, interest.
    pub special_fund: Option<(f64, f64, f64, f64)>,
    /// (g) PFS-tiered payment instead of the price at treatment; `true` = upfront then refunds,
    /// `false` = staged payments at the cut-offs.
    pub pfs_tiers: Option<(payment::PfsTieredPayment, bool)>,
    /// (j) Price-volume tiers on each year's paid patients (prices before the discount);
    /// `true` = every unit at the price of the tier reached, `false` = marginal tiers.
    pub price_volume: Option<(payment::PriceVolumeTiers, bool)>,
    /// (o) DRG for the treatment admission: expected case payment, price inside the bundle?,
    /// other admission costs per case.
    pub drg: Option<(f64, bool, f64)>,
    /// (j) Expenditure-triggered cuts and the forecast spending by calendar year: each year's
    /// spending (paid patients × that year's net price) over its forecast sets the cut of the
    /// next year's price, for the patients treated then (cuts compound).
    pub price_cuts: Option<(payment::ExpenditureTriggeredCuts, Vec<f64>)>,
    /// (d) Deferred outcome payment: fraction of the price at treatment, months to the outcome,
    /// probability the outcome is met then; the rest of the price is paid then if it is.
    pub deferred: Option<(f64, f64, f64)>,
    /// (g') Cohort-level outcome contract: each yearly cohort's payment follows its realised
    /// outcome rate (expected fraction `E[f(X/n)]` of the cohort's n patients), settled in the
    /// year of the assessment. Not with instalments, an annuity, PFS tiers, price-volume tiers
    /// or a waterfall (the budget file refuses them; here a waterfall's layers share the
    /// settlement in proportion to their payments).
    pub cohort_outcome: Option<payment::CohortOutcomeTerms>,
}

/// What a cohort contract paid, cohort by cohort, beside its patient-level equivalent.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortContractImpact {
    /// The model's probability p of the outcome at the assessment.
    pub probability: f64,
    /// `f(p)`: the fraction paid if every cohort realised exactly p.
    pub patient_level_fraction: f64,
    /// By calendar year of treatment: the cohort's patients n (rounded) and `E[f(X/n)]`.
    pub by_cohort: Vec<(u64, f64)>,
    /// `E[f]` over the cohorts treated within the horizon, weighted by their patients.
    pub average_fraction: f64,
}

/// Everything but the scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetInputs {
    pub years: u32,
    pub timing: TreatmentTiming,
    pub population: Population,
    pub uptake: Uptake,
    pub new_option: OptionCosts,
    pub comparator: OptionCosts,
    /// Rate for the present value of a patient's payments.
    pub discount_rate: f64,
    /// Insured persons (for a special fund's revenue).
    pub insured: Option<f64>,
    /// The same care costs by cost category: (name, with, without); they add up to
    /// `new_option` and `comparator`.
    pub categories: Vec<(String, OptionCosts, OptionCosts)>,
    /// Market shares of every option in both worlds: when given, [`scheme_impact`] follows them
    /// ([`crate::market::market_impact`]) instead of the pool, uptake and `comparator`.
    pub market: Option<crate::market::Market>,
}

/// One calendar year of a scheme's budget impact.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct YearImpact {
    pub year: u32,
    pub treated_from_prevalent: f64,
    pub treated_from_incident: f64,
    /// Treated with paid doses, free doses; demanded but not funded.
    pub paid_patients: f64,
    pub free_patients: f64,
    pub unfunded_patients: f64,
    /// Payments for the new option before any expenditure-cap rebate.
    pub gross_payments: f64,
    pub rebates: f64,
    pub earmarked: f64,
    /// Care costs of treated patients in the world with and in the world without.
    pub care_with: f64,
    pub care_without: f64,
    /// Care costs with and without by cost category (in the order of [`BudgetInputs::categories`]).
    pub care_by_category: Vec<(f64, f64)>,
    /// Net budget impact: payments − rebates + earmarked + care with − care without.
    pub net_impact: f64,
    pub cumulative_impact: f64,
    /// Payments net of rebates, by payer (in the order of [`Scheme::payer_names`]).
    pub by_payer: Vec<f64>,
    /// Balance of the special fund at the end of the year, if the scheme has one.
    pub fund_balance: Option<f64>,
    pub manufacturer_free_doses: f64,
    /// Admission costs the hospital bears beyond the DRG case payment (negative = surplus).
    pub hospital_gap: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchemeImpact {
    pub scheme: Scheme,
    pub years: Vec<YearImpact>,
    /// Payments for patients treated within the horizon that fall after it.
    pub committed_after_horizon: f64,
    /// Present value of one patient's payments (before caps) at the inputs' discount rate.
    pub present_value_per_patient: f64,
    /// Nominal payments per patient (before caps).
    pub nominal_per_patient: f64,
    /// First year whose net impact is at or below zero.
    pub break_even_year: Option<u32>,
    /// The cohort contract's fractions, if the scheme has one.
    pub cohort_contract: Option<CohortContractImpact>,
}

impl Scheme {
    /// What figures and sentences call the scheme: its label, or its name when it has none.
    pub fn shown(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    /// Payers in the order of [`YearImpact::by_payer`]: the waterfall's layers and the patient,
    /// or the share payers.
    pub fn payer_names(&self) -> Vec<String> {
        match &self.waterfall {
            Some(layers) => {
                layers.iter().map(|l| l.name.clone()).chain(std::iter::once("patient".to_string())).collect()
            }
            None => {
                let fund = self.special_fund.map(|_| "special_fund".to_string());
                let patient = self.copay.as_ref().map(|_| "patient".to_string());
                fund.into_iter().chain(self.payers.iter().map(|(n, _)| n.clone())).chain(patient).collect()
            }
        }
    }
}

impl SchemeImpact {
    pub fn total_net_impact(&self) -> f64 {
        self.years.iter().map(|y| y.net_impact).sum()
    }

    /// What payer `who` (a name of [`Scheme::payer_names`]) pays over the horizon, net of
    /// rebates; 0 when the scheme has no such payer.
    pub fn paid_by(&self, who: &str) -> f64 {
        let names = self.scheme.payer_names();
        names.iter().position(|n| n == who).map_or(0.0, |k| self.years.iter().map(|y| y.by_payer[k]).sum())
    }

    /// The payers' own net cost over the horizon: the net impact less what the manufacturer and
    /// the patients pay themselves (a manufacturer's share of each payment is not the budget
    /// holders' spending).
    pub fn payers_net_cost(&self) -> f64 {
        self.total_net_impact() - self.paid_by("manufacturer") - self.paid_by("patient")
    }

    /// Years (1-based) in which the budget holders pay more than a scheme's annual cap, net of
    /// rebates: with the rebate received the following year, a year's payments are its spending
    /// less the previous year's rebate, which exceeds the cap when spending grows fast.
    pub fn years_over_cap(&self) -> Vec<u32> {
        let Some((cap, _)) = self.scheme.annual_cap else { return Vec::new() };
        self.years.iter().filter(|y| y.gross_payments - y.rebates > cap * (1.0 + 1e-12)).map(|y| y.year).collect()
    }
}

/// One patient's payments under the scheme (before population-level caps). A cohort contract
/// is at its patient-level equivalent `f(p)` here; [`scheme_impact`] settles each cohort at its
/// own expected fraction.
pub fn per_patient_schedule(s: &Scheme, timing: TreatmentTiming) -> Result<Schedule, PaymentError> {
    let (schedule, settlement) = schedule_parts(s, timing)?;
    at_patient_level(s, &schedule, settlement.as_ref())
}

/// The parts of [`schedule_parts`] joined, a cohort contract settled at `f(p)`.
fn at_patient_level(s: &Scheme, schedule: &Schedule, settlement: Option<&Schedule>) -> Result<Schedule, PaymentError> {
    Ok(match (settlement, &s.cohort_outcome) {
        (Some(unit), Some(terms)) => {
            schedule.plus(&unit.scaled(terms.settlement_weight(terms.patient_level_fraction()))?)
        }
        _ => schedule.clone(),
    })
}

/// One patient's payments but a cohort contract's settlement, and that settlement per unit
/// weight (see [`payment::CohortOutcomeTerms::schedules`]).
fn schedule_parts(s: &Scheme, timing: TreatmentTiming) -> Result<(Schedule, Option<Schedule>), PaymentError> {
    let net = payment::net_price(s.list_price, s.discount)?;
    let mut settlement = None;
    let mut schedule = match (&s.annuity, &s.instalments, &s.pfs_tiers, &s.deferred, &s.cohort_outcome) {
        (Some((rate, n, due)), ..) => {
            let timing = if *due { AnnuityTiming::Due } else { AnnuityTiming::Ordinary };
            payment::annuity_schedule(net, *rate, *n, timing)?
        }
        (None, Some(fractions), ..) => payment::instalments(net, fractions)?,
        (None, None, Some((tiers, true)), ..) => tiers.as_upfront_then_refunds(net, timing)?,
        (None, None, Some((tiers, false)), ..) => tiers.as_staged_payments(net, timing)?,
        (None, None, None, Some((upfront, months, p)), _) => {
            let offset = payment::year_offset_of_event(*months, timing)?;
            payment::deferred_outcome_payment(net, *upfront, offset, *p)?
        }
        (None, None, None, None, Some(terms)) => {
            let (fixed, unit) = terms.schedules(net, timing)?;
            settlement = Some(unit);
            fixed
        }
        (None, None, None, None, None) => payment::upfront(net)?,
    };
    // Inside the DRG bundle the fund pays the case payment instead of the price; outside, the
    // case payment on top of it.
    match s.drg {
        Some((case, true, _)) => {
            schedule = payment::upfront(case)?;
            settlement = None;
        }
        Some((case, false, _)) => schedule = schedule.plus(&Schedule::single_payment(0, case)?),
        None => {}
    }
    if let Some(q) = &s.due_probability {
        schedule = schedule.weighted_by_probability(q)?;
    }
    if let Some((fraction, months, p_fail)) = s.refund {
        let offset = payment::year_offset_of_event(months, timing)?;
        schedule = schedule.plus(&Schedule::single_payment(offset, -fraction * net * p_fail)?);
    }
    Ok((schedule, settlement))
}

/// `a + b` year by year (within and after the horizon).
fn add_payments(a: &mut payment::CohortPayments, b: &payment::CohortPayments) {
    for (x, y) in a.within_horizon_by_year.iter_mut().zip(&b.within_horizon_by_year) {
        *x += y;
    }
    if a.after_horizon_by_year.len() < b.after_horizon_by_year.len() {
        a.after_horizon_by_year.resize(b.after_horizon_by_year.len(), 0.0);
    }
    for (x, y) in a.after_horizon_by_year.iter_mut().zip(&b.after_horizon_by_year) {
        *x += y;
    }
}

/// The budget impact of `scheme` over the horizon.
pub fn scheme_impact(inputs: &BudgetInputs, scheme: &Scheme) -> Result<SchemeImpact, PaymentError> {
    if let Some(market) = &inputs.market {
        return crate::market::market_impact(inputs, market, scheme);
    }
    let years = inputs.years as usize;
    let treated = treated_by_year(&inputs.population, &inputs.uptake, inputs.years);
    let demand: Vec<f64> = treated.iter().map(|t| t.total()).collect();
    let (paid, free, unfunded): (Vec<f64>, Vec<f64>, Vec<f64>) = match scheme.volume_cap {
        Some((paid_cap, free)) => {
            let split = payment::volume_cap_with_free_doses_by_year(&demand, paid_cap, free)?;
            (
                split.iter().map(|s| s.paid_patients).collect(),
                split.iter().map(|s| s.free_patients).collect(),
                split.iter().map(|s| s.unfunded_patients).collect(),
            )
        }
        None => (demand.clone(), vec![0.0; years], vec![0.0; years]),
    };
    let receiving: Vec<f64> = paid.iter().zip(&free).map(|(p, f)| p + f).collect();

    // A cohort contract: everything but the settlement is convolved with the cohorts as usual;
    // the settlement is weighted cohort by cohort by its own expected fraction.
    let (mut convolved, settlement) = schedule_parts(scheme, inputs.timing)?;
    let mut schedule = at_patient_level(scheme, &convolved, settlement.as_ref())?;
    // Price-volume: each year's payments at treatment follow that year's paid volume; the
    // per-patient schedule becomes the average price over the horizon.
    let volume_spend = match &scheme.price_volume {
        Some((tiers, all_units)) => {
            let factor = payment::net_price(1.0, scheme.discount)?;
            let mut spend = Vec::with_capacity(years);
            for &n in &paid {
                let gross = if *all_units { tiers.all_units_spend(n)? } else { tiers.marginal_spend(n)? };
                spend.push(gross * factor);
            }
            let patients: f64 = paid.iter().sum();
            let average = if patients > 0.0 { spend.iter().sum::<f64>() / patients } else { 0.0 };
            let mut per_patient = payment::upfront(average)?;
            if let Some((case, false, _)) = scheme.drg {
                per_patient = per_patient.plus(&Schedule::single_payment(0, case)?);
            }
            schedule = per_patient.clone();
            convolved = per_patient;
            Some(spend)
        }
        None => None,
    };
    // Patients weighted by their cohort's price relative to the net price (payments are linear
    // in the price): expenditure-triggered cuts lower the price of later cohorts.
    let priced: Vec<f64> = match &scheme.price_cuts {
        Some((cuts, forecast)) => {
            let net = payment::net_price(scheme.list_price, scheme.discount)?;
            let forecast: Vec<f64> =
                (0..years).map(|y| forecast.get(y).or(forecast.last()).copied().unwrap_or(0.0)).collect();
            let path = cuts.price_path(net, &paid, &forecast)?;
            paid.iter().zip(&path).map(|(n, p)| if net > 0.0 { n * p.unit_price / net } else { 0.0 }).collect()
        }
        None => paid.clone(),
    };
    let payer_schedule = convolved.scaled(1.0 - scheme.earmark)?;
    let earmark_schedule = convolved.scaled(scheme.earmark)?;
    let mut payments = payer_schedule.by_calendar_year(&priced)?;
    let mut earmarked = earmark_schedule.by_calendar_year(&priced)?;
    if let Some(spend) = &volume_spend {
        let case = scheme.drg.map_or(0.0, |d| if d.1 { 0.0 } else { d.0 });
        for y in 0..years {
            let total = spend[y] + case * paid[y];
            payments.within_horizon_by_year[y] = total * (1.0 - scheme.earmark);
            earmarked.within_horizon_by_year[y] = total * scheme.earmark;
        }
    }
    // Payments before a cohort contract's settlement (a waterfall's layers are computed on them).
    let before_settlement = payments.within_horizon_by_year.clone();
    let cohort_contract = match (&settlement, &scheme.cohort_outcome) {
        (Some(unit), Some(terms)) => {
            // n = the cohort's treated patients (paid and free doses) rounded; its payments
            // (paid patients, at their cohort's price) are settled at E[f(X/n)].
            let mut by_cohort = Vec::with_capacity(years);
            let mut weights = Vec::with_capacity(years);
            for (year, (treated, priced)) in (1u64..).zip(receiving.iter().zip(&priced)) {
                let fraction = terms.cohort_fraction(*treated, year)?;
                by_cohort.push((payment::cohort_size(*treated), fraction));
                weights.push(priced * terms.settlement_weight(fraction));
            }
            add_payments(&mut payments, &unit.scaled(1.0 - scheme.earmark)?.by_calendar_year(&weights)?);
            add_payments(&mut earmarked, &unit.scaled(scheme.earmark)?.by_calendar_year(&weights)?);
            let patients: f64 = receiving.iter().sum();
            let average_fraction = if patients > 0.0 {
                receiving.iter().zip(&by_cohort).map(|(n, (_, f))| n * f).sum::<f64>() / patients
            } else {
                0.0
            };
            Some(CohortContractImpact {
                probability: terms.probability,
                patient_level_fraction: terms.patient_level_fraction(),
                by_cohort,
                average_fraction,
            })
        }
        _ => None,
    };
    let (net_payments, rebates) = match scheme.annual_cap {
        Some((cap, next_year)) => {
            let timing = if next_year { RebateTiming::FollowingYear } else { RebateTiming::SameYear };
            let capped = payment::expenditure_cap(
                &payments.within_horizon_by_year,
                &vec![cap; years],
                CapPeriod::Annual,
                timing,
            )?;
            (capped.payer_spend_by_year, capped.rebate_received_by_year)
        }
        None => (payments.within_horizon_by_year.clone(), vec![0.0; years]),
    };
    let care = |c: &OptionCosts| -> Result<Vec<f64>, PaymentError> {
        let per_patient =
            Schedule::from_amounts_by_offset(calendar_years(c.one_off, &c.by_model_year, inputs.timing, years))?;
        Ok(per_patient.by_calendar_year(&receiving)?.within_horizon_by_year)
    };
    let (care_with, care_without) = (care(&inputs.new_option)?, care(&inputs.comparator)?);
    let mut by_category = Vec::with_capacity(inputs.categories.len());
    for (_, with, without) in &inputs.categories {
        by_category.push((care(with)?, care(without)?));
    }
    let net_price = payment::net_price(scheme.list_price, scheme.discount)?;
    // Share of each payment the patient co-pays (expected co-pay on the net price over the price).
    let copay_share = match &scheme.copay {
        Some(tiers) if net_price > 0.0 => payment::expected_copay(net_price, tiers)? / net_price,
        _ => 0.0,
    };
    // Fund balances from the fund's share of payments (after the patient's co-pay).
    let fund_balances = match (scheme.special_fund, inputs.insured) {
        (Some((contribution, share, opening, interest)), Some(insured)) => {
            let spend: Vec<f64> = net_payments.iter().map(|p| p * (1.0 - copay_share) * share).collect();
            Some(
                payment::special_fund_balances(opening, interest, contribution, &vec![insured; years], &spend)?
                    .balance_by_year,
            )
        }
        _ => None,
    };
    // Payments by payer and year: the waterfall per patient payment, or shares.
    let waterfall_by_year: Option<Vec<Vec<f64>>> = match &scheme.waterfall {
        Some(layers) => {
            let split = payment::payer_waterfall_schedule(&payer_schedule, layers)?;
            let mut by_payer = Vec::new();
            for layer in split.by_layer.iter().chain(std::iter::once(&split.patient)) {
                by_payer.push(layer.by_calendar_year(&priced)?.within_horizon_by_year);
            }
            Some(by_payer)
        }
        None => None,
    };

    let hospital_gap_per_case = match scheme.drg {
        Some((case, inside, other)) => payment::drg_case_financing(case, net_price, other, inside)?.hospital_gap,
        None => 0.0,
    };
    let mut rows = Vec::with_capacity(years);
    let mut cumulative = 0.0;
    for y in 0..years {
        let net_impact = net_payments[y] + earmarked.within_horizon_by_year[y] + care_with[y] - care_without[y];
        cumulative += net_impact;
        let by_payer = match &waterfall_by_year {
            // A cap's rebate (and a cohort contract's settlement) is shared in proportion to each
            // payer's gross payments.
            Some(layers) => {
                let gross = before_settlement[y];
                let scale = if gross != 0.0 { net_payments[y] / gross } else { 0.0 };
                layers.iter().map(|l| l[y] * scale).collect()
            }
            None => {
                // Patient co-pay first, then the special fund's share, then the payers' shares.
                let patient = net_payments[y] * copay_share;
                let fund = (net_payments[y] - patient) * scheme.special_fund.map_or(0.0, |f| f.1);
                let shares: Vec<f64> = scheme.payers.iter().map(|(_, s)| *s).collect();
                let rest = payment::split_by_shares(net_payments[y] - patient - fund, &shares)?;
                scheme
                    .special_fund
                    .map(|_| fund)
                    .into_iter()
                    .chain(rest)
                    .chain(scheme.copay.as_ref().map(|_| patient))
                    .collect()
            }
        };
        rows.push(YearImpact {
            year: y as u32 + 1,
            treated_from_prevalent: treated[y].from_prevalent
                * if demand[y] > 0.0 { receiving[y] / demand[y] } else { 0.0 },
            treated_from_incident: treated[y].from_incident
                * if demand[y] > 0.0 { receiving[y] / demand[y] } else { 0.0 },
            paid_patients: paid[y],
            free_patients: free[y],
            unfunded_patients: unfunded[y],
            gross_payments: payments.within_horizon_by_year[y],
            rebates: rebates[y],
            earmarked: earmarked.within_horizon_by_year[y],
            care_with: care_with[y],
            care_without: care_without[y],
            care_by_category: by_category.iter().map(|(w, wo)| (w[y], wo[y])).collect(),
            net_impact,
            cumulative_impact: cumulative,
            by_payer,
            fund_balance: fund_balances.as_ref().map(|b| b[y]),
            manufacturer_free_doses: free[y] * net_price,
            hospital_gap: paid[y] * hospital_gap_per_case,
        });
    }
    let break_even_year = rows.iter().find(|r| r.net_impact <= 0.0).map(|r| r.year);
    Ok(SchemeImpact {
        scheme: scheme.clone(),
        years: rows,
        committed_after_horizon: payments.committed_after_horizon() + earmarked.committed_after_horizon(),
        present_value_per_patient: schedule.present_value(inputs.discount_rate)?,
        nominal_per_patient: schedule.total(),
        break_even_year,
        cohort_contract,
    })
}
