//! `hta budget FILE`: multi-year budget impact of a new option under payment schemes, with
//! per-patient costs from the cost-effectiveness model the budget file names.

use hta_app::budget::{BudgetAnalysis, ScenarioResult};
use hta_budget::impact::{BudgetInputs, OptionCosts, SchemeImpact};
use hta_model::Model;
use hta_spec::budget::BudgetSpec;

use hta_report::html::{Extra, Part};
use hta_report::tables::Table;

use crate::args::BudgetArgs;
use crate::exit::Exit;
use crate::{load, number, write_files};

pub fn budget(args: &BudgetArgs) -> Result<Extra, Exit> {
    let spec = hta_app::budget::load_spec(&args.file).map_err(crate::fail)?;
    let loaded = load(&spec.model_path, &hta_app::budget::model_overrides(&spec, &args.set))?;
    budget_of(args, spec, loaded)
}

/// `hta budget` on a budget file already read and its model loaded with the budget's
/// overrides (`hta_app::budget::model_overrides`).
pub fn budget_of(args: &BudgetArgs, spec: BudgetSpec, loaded: hta_spec::Loaded) -> Result<Extra, Exit> {
    let analysis = hta_app::budget::analyse(spec, loaded).map_err(crate::fail)?;
    for w in &analysis.warnings {
        eprintln!("warning: {w}");
    }
    let BudgetAnalysis { spec, loaded, inputs, impacts, scenarios, .. } = &analysis;
    let model = &loaded.model;
    print(spec, model, impacts);
    print_scenarios(scenarios, impacts);
    if args.solve_price {
        solve_prices(args, &analysis)?;
    }
    let mut out = files(spec, loaded, &inputs.categories, impacts, scenarios);
    if !spec.scenarios.is_empty() {
        out.push(("budget_scenarios.csv", scenarios_csv(scenarios, impacts)));
    }
    let mut figures = figures(model, &inputs.categories, impacts);
    if let Some(r) = hta_app::budget_regions::regions(&analysis).map_err(crate::fail)? {
        crate::budget_regions::print(&r, impacts);
        out.push(("budget_regions.csv", crate::budget_regions::regions_csv(&r, impacts)));
        out.push(("budget_region_payers.csv", crate::budget_regions::payers_csv(&r, impacts)));
        figures.extend(crate::budget_regions::figure(&r, impacts, &model.metadata.currency));
    }
    let probabilistic = match args.draws {
        Some(draws) => Some(crate::budget_psa::run(args, &analysis, draws)?),
        None => None,
    };
    if let Some(p) = &probabilistic {
        out.extend(p.files.iter().cloned());
        figures.extend(p.figures.iter().cloned());
    }
    if let Some(dir) = &args.out {
        write_files(dir, &out)?;
        crate::write_figures(dir, &figures)?;
    }
    let mut extra = report_extra(spec, model, impacts, &out, figures);
    extra.tables.extend(patients_table(inputs, impacts, spec.horizon_years));
    if let Some(p) = probabilistic {
        extra.tables.extend(Table::from_csv("Probabilistic budget impact: risk by scheme", &p.summary_csv));
        extra.sheets.push(("Budget risk".into(), p.summary_csv));
    }
    Ok(extra)
}

/// Eligible patients, uptake and patients treated per year (the first scheme's: schemes with
/// volume caps or capacity differ, and budget.csv has every scheme's patients).
fn patients_table(inputs: &BudgetInputs, impacts: &[SchemeImpact], years: u32) -> Option<Table> {
    let first = impacts.first()?;
    let pool = hta_budget::population::treated_by_year(&inputs.population, &inputs.uptake, years);
    let mut csv = String::from(
        "year,eligible_incident,eligible_in_pool,uptake,treated_from_prevalent,treated_from_incident,treated,limited_by_capacity\n",
    );
    for (y, t) in first.years.iter().zip(&pool) {
        let i = (y.year - 1) as usize;
        let incident = inputs.population.incident.get(i).or(inputs.population.incident.last()).copied().unwrap_or(0.0);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            y.year,
            incident.round(),
            t.pool.round(),
            inputs.uptake.share(y.year),
            y.treated_from_prevalent.round(),
            y.treated_from_incident.round(),
            (y.treated_from_prevalent + y.treated_from_incident).round(),
            if t.capacity_bound { "yes" } else { "no" }
        ));
    }
    Table::from_csv(
        &format!("Eligible population, uptake and patients treated by year ({})", first.scheme.shown()),
        &csv,
    )
}

/// Most schemes whose payments by payer are shown in the HTML report (files have them all).
const REPORTED_PAYER_FIGURES: usize = 3;

/// What the budget impact adds to the HTML report and the workbook.
fn report_extra(
    spec: &BudgetSpec,
    model: &Model,
    impacts: &[SchemeImpact],
    files: &[(&str, String)],
    figures: Vec<hta_report::figures::Figure>,
) -> Extra {
    let mut extra = Extra::new(Part::Budget);
    extra.notes.push(format!(
        "{}: {} years, {} payment scheme{}, amounts in {} (undiscounted, as budgets are reported); patients treated from the prevalent pool and incident cohorts; care costs with and without the new option from the model's own states.",
        spec.title,
        spec.horizon_years,
        impacts.len(),
        if impacts.len() == 1 { "" } else { "s" },
        model.metadata.currency
    ));
    if let Some(line) = hta_report::terminal::perspective_line(model, false) {
        extra.notes.push(format!("Budget {}.", line.replacen("Perspective: ", "perspective: ", 1)));
    }
    // The budget holders' own net cost first; the headline net impact also counts what the
    // manufacturer and patients pay themselves.
    let mut summary = String::from(
        "scheme,label,payers_net_cost_over_horizon,manufacturer_pays,patients_pay,net_impact_over_horizon,committed_after_horizon,nominal_per_patient,present_value_per_patient,break_even_year\n",
    );
    extra.notes.push(match crate::output::language() {
        hta_report::html::Lang::Zh => "各方案先列支付方自付净成本：净预算影响减去生产企业（其在每笔支付中的份额）和患者（共付）自行承担的部分；随后为全部支付方的净预算影响，budget_payers.csv 按支付方拆分各年。".into(),
        hta_report::html::Lang::En => "Per scheme, the payers' own net cost comes first: the net budget impact less what the manufacturer (its share of each payment) and patients (co-payments) pay themselves; the net impact over all payers follows, and budget_payers.csv splits each year by payer.".into(),
    });
    for i in impacts {
        let over = i.years_over_cap();
        if let Some((cap, next_year)) = i.scheme.annual_cap.filter(|_| !over.is_empty()) {
            let years: Vec<String> = over.iter().map(u32::to_string).collect();
            let note = match crate::output::language() {
                hta_report::html::Lang::Zh => format!(
                    "{}在第 {} 年的支付超过其每年 {} {} 的上限：{}",
                    i.scheme.shown(),
                    years.join("、"),
                    number(cap, 0),
                    model.metadata.currency,
                    if next_year {
                        "生产企业对某年超额部分的返还在次年到账，因此支出增长的年份先全额支付，返还晚一年到账（最后一年的返还在研究期之后）。"
                    } else {
                        "这些年份的支付包含专项资金或上限以外的支付方。"
                    }
                ),
                hta_report::html::Lang::En => format!(
                    "{} pays more than its cap of {} {} a year in year{} {}: {}",
                    i.scheme.shown(),
                    number(cap, 0),
                    model.metadata.currency,
                    if over.len() == 1 { "" } else { "s" },
                    years.join(", "),
                    if next_year {
                        "the manufacturer's rebate of a year's excess is received the following year, so a year of growing spending is paid in full and its rebate arrives a year later (the last year's rebate after the horizon)."
                    } else {
                        "payments there include earmarked amounts or payers outside the cap."
                    }
                ),
            };
            extra.notes.push(note);
        }
        summary.push_str(&format!(
            "{},\"{}\",{},{},{},{},{},{},{},{}\n",
            i.scheme.name,
            i.scheme.label.clone().unwrap_or_default().replace('"', "'"),
            i.payers_net_cost(),
            i.paid_by("manufacturer"),
            i.paid_by("patient"),
            i.total_net_impact(),
            i.committed_after_horizon,
            i.nominal_per_patient,
            i.present_value_per_patient,
            // As the terminal says; a blank cell would read as missing.
            i.break_even_year.map_or("not within horizon".to_string(), |y| y.to_string())
        ));
    }
    let mut by_year = String::from("year");
    for i in impacts {
        by_year.push_str(&format!(",{}", i.scheme.name));
    }
    by_year.push('\n');
    for y in 0..spec.horizon_years as usize {
        by_year.push_str(&(y + 1).to_string());
        for i in impacts {
            by_year.push_str(&format!(",{}", i.years.get(y).map_or(0.0, |v| v.net_impact)));
        }
        by_year.push('\n');
    }
    extra.tables.extend(Table::from_csv("Net budget impact per scheme", &summary));
    extra.tables.extend(Table::from_csv("Net budget impact by year and scheme (impact columns)", &by_year));
    extra.figures = figures
        .into_iter()
        .filter(|f| {
            // Fan charts: the cumulative one and the first schemes'.
            if let Some(scheme) = f.name.strip_prefix("budget_fan_") {
                return scheme == "cumulative"
                    || impacts.iter().take(REPORTED_PAYER_FIGURES).any(|i| i.scheme.name == scheme);
            }
            !f.name.starts_with("budget_by_payer_")
                || impacts
                    .iter()
                    .take(REPORTED_PAYER_FIGURES)
                    .any(|i| f.name == format!("budget_by_payer_{}", i.scheme.name))
        })
        .collect();
    extra.sheets.push(("Budget summary".into(), summary));
    extra.sheets.push(("Budget by year".into(), by_year));
    for (file, sheet) in [
        ("budget.csv", "Budget detail"),
        ("budget_payers.csv", "Budget by payer"),
        ("budget_categories.csv", "Budget by category"),
        ("budget_scenarios.csv", "Budget scenarios"),
        ("budget_cohort_contract.csv", "Budget cohort contract"),
    ] {
        if let Some((_, text)) = files.iter().find(|(name, _)| *name == file) {
            extra.sheets.push((sheet.into(), text.clone()));
        }
    }
    extra
}

/// Net and cumulative impact by year for every scheme, and each scheme's payments by payer.
fn figures(
    model: &Model,
    categories: &[(String, OptionCosts, OptionCosts)],
    impacts: &[SchemeImpact],
) -> Vec<hta_report::figures::Figure> {
    use hta_report::figures::{Figure, Plot, Series};
    let currency = &model.metadata.currency;
    let by_scheme = |value: fn(&hta_budget::impact::YearImpact) -> f64| -> Vec<Series> {
        impacts
            .iter()
            .map(|i| Series {
                name: i.scheme.shown().to_string(),
                points: i.years.iter().map(|y| (f64::from(y.year), value(y))).collect(),
            })
            .collect()
    };
    let mut figures = vec![
        Figure {
            name: "budget_net_impact".into(),
            title: "Net budget impact by year".into(),
            x_label: "Year".into(),
            y_label: format!("Net budget impact ({currency})"),
            plot: Plot::Lines { series: by_scheme(|y| y.net_impact) },
        },
        Figure {
            name: "budget_cumulative".into(),
            title: "Cumulative net budget impact".into(),
            x_label: "Year".into(),
            y_label: format!("Cumulative impact ({currency})"),
            plot: Plot::Lines {
                // The break-even year (the first whose net impact is at or below zero), if any.
                series: by_scheme(|y| y.cumulative_impact)
                    .into_iter()
                    .zip(impacts)
                    .map(|(mut s, i)| {
                        if let Some(year) = i.break_even_year {
                            s.name = format!("{} (net impact ≤ 0 from year {year})", s.name);
                        }
                        s
                    })
                    .collect(),
            },
        },
    ];
    if let Some(first) = impacts.first().filter(|_| !categories.is_empty()) {
        let series = categories
            .iter()
            .enumerate()
            .map(|(k, (name, _, _))| Series {
                name: name.clone(),
                points: first
                    .years
                    .iter()
                    .map(|y| {
                        (f64::from(y.year), y.care_by_category.get(k).map_or(0.0, |(with, without)| without - with))
                    })
                    .collect(),
            })
            .filter(|s: &Series| s.points.iter().any(|p| p.1 != 0.0))
            .collect();
        figures.push(Figure {
            name: "budget_offsets_by_category".into(),
            title: format!("Care costs avoided by category: {}", first.scheme.shown()),
            x_label: "Year".into(),
            y_label: format!("Offset: care without minus with ({currency})"),
            plot: Plot::StackedBars { series },
        });
    }
    for i in impacts {
        let series = i
            .scheme
            .payer_names()
            .iter()
            .enumerate()
            .map(|(k, payer)| Series {
                name: payer.clone(),
                points: i
                    .years
                    .iter()
                    .map(|y| (f64::from(y.year), y.by_payer.get(k).copied().unwrap_or(0.0)))
                    .collect(),
            })
            .collect();
        figures.push(Figure {
            name: format!("budget_by_payer_{}", i.scheme.name),
            title: format!("Payments by payer and year: {}", i.scheme.shown()),
            x_label: "Year".into(),
            y_label: format!("Payments net of rebates ({currency})"),
            plot: Plot::StackedBars { series },
        });
    }
    figures
}

fn print_scenarios(scenarios: &[ScenarioResult], impacts: &[SchemeImpact]) {
    if scenarios.len() < 2 {
        return;
    }
    println!("Scenarios: net budget impact over each scenario's horizon");
    let mut header = vec!["Scenario".to_string(), "Years".into()];
    header.extend(impacts.iter().map(|i| i.scheme.name.clone()));
    let rows = scenarios
        .iter()
        .map(|s| {
            let mut row = vec![s.label.clone().unwrap_or_else(|| s.name.clone()), s.horizon_years.to_string()];
            row.extend(s.by_scheme.iter().map(|(net, _, _)| number(*net, 0)));
            row
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
}

fn scenarios_csv(scenarios: &[ScenarioResult], impacts: &[SchemeImpact]) -> String {
    let mut csv = String::from(
        "scenario,horizon_years,scheme,net_impact_over_horizon,committed_after_horizon,largest_yearly_impact\n",
    );
    for s in scenarios {
        for (i, (net, committed, peak)) in impacts.iter().zip(&s.by_scheme) {
            csv.push_str(&format!(
                "{},{},{},{net},{},{peak}\n",
                s.name,
                s.horizon_years,
                i.scheme.name,
                committed + 0.0
            ));
        }
    }
    csv
}

fn print(spec: &BudgetSpec, model: &Model, impacts: &[SchemeImpact]) {
    let currency = &model.metadata.currency;
    println!(
        "{}\nBudget impact over {} years ({currency}, undiscounted); model: {}",
        spec.title, spec.horizon_years, model.metadata.title
    );
    if let Some(line) = hta_report::terminal::perspective_line(model, true) {
        println!("{line}");
    }
    if let Some(m) = &spec.market {
        let names: Vec<&str> = m.options.iter().map(|(n, _, _)| n.as_str()).collect();
        println!(
            "Market shares in both worlds: `{}` and {} (every eligible patient counted in both worlds; net impact = world with − world without)",
            spec.new_option,
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        );
    }
    let header = [
        "Scheme".to_string(),
        "Net impact over horizon".into(),
        "Committed after horizon".into(),
        format!("Per patient (nominal / PV at {}%)", percent(model.settings.discount.costs)),
        "Year net impact ≤ 0".into(),
    ]
    .to_vec();
    let rows = impacts
        .iter()
        .map(|i| {
            vec![
                i.scheme.label.clone().unwrap_or_else(|| i.scheme.name.clone()),
                number(i.total_net_impact(), 0),
                number(i.committed_after_horizon, 0),
                format!("{} / {}", number(i.nominal_per_patient, 0), number(i.present_value_per_patient, 0)),
                i.break_even_year.map_or("not within horizon".to_string(), |y| y.to_string()),
            ]
        })
        .collect();
    println!("{}", hta_report::terminal::simple_table(header, rows));
    for i in impacts {
        if let Some(c) = &i.cohort_contract {
            println!(
                "Cohort contract `{}`: model probability of the outcome {:.4}; patient-level fraction f(p) = {:.4}; expected fraction over the treated cohorts E[f(X/n)] = {:.4} (budget_cohort_contract.csv by year)",
                i.scheme.name, c.probability, c.patient_level_fraction, c.average_fraction
            );
        }
    }
    if let Some(first) = impacts.first() {
        let mut header = vec!["Year".to_string(), "Treated".into()];
        header.extend(impacts.iter().map(|i| format!("Net impact: {}", i.scheme.name)));
        let rows = (0..first.years.len())
            .map(|y| {
                let mut row = vec![
                    first.years[y].year.to_string(),
                    number(first.years[y].paid_patients + first.years[y].free_patients, 0),
                ];
                row.extend(impacts.iter().map(|i| number(i.years[y].net_impact, 0)));
                row
            })
            .collect();
        println!("{}", hta_report::terminal::simple_table(header, rows));
    }
}

fn files(
    spec: &BudgetSpec,
    loaded: &hta_spec::Loaded,
    inputs_categories: &[(String, OptionCosts, OptionCosts)],
    impacts: &[SchemeImpact],
    scenarios: &[ScenarioResult],
) -> Vec<(&'static str, String)> {
    let mut csv = String::from("scheme,year,treated_from_prevalent,treated_from_incident,paid_patients,free_patients,unfunded_patients,gross_payments,rebates,earmarked,care_with,care_without,offsets,net_impact,cumulative_impact,manufacturer_free_doses,fund_balance,hospital_gap,share_of_fund_spending\n");
    let mut payers = String::from("scheme,year,payer,payments\n");
    let mut categories = String::from("scheme,year,category,care_with,care_without,offset\n");
    for i in impacts {
        for y in &i.years {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                i.scheme.name,
                y.year,
                y.treated_from_prevalent,
                y.treated_from_incident,
                y.paid_patients,
                y.free_patients,
                y.unfunded_patients,
                y.gross_payments,
                y.rebates,
                y.earmarked,
                y.care_with,
                y.care_without,
                y.care_without - y.care_with,
                y.net_impact,
                y.cumulative_impact,
                y.manufacturer_free_doses,
                y.fund_balance.map(|b| b.to_string()).unwrap_or_default(),
                y.hospital_gap,
                spec.fund_spending
                    .as_ref()
                    .and_then(|f| f.get(y.year as usize - 1))
                    .map(|f| (y.net_impact / f).to_string())
                    .unwrap_or_default()
            ));
            for ((name, _, _), (with, without)) in inputs_categories.iter().zip(&y.care_by_category) {
                categories.push_str(&format!(
                    "{},{},{name},{with},{without},{}\n",
                    i.scheme.name,
                    y.year,
                    without - with
                ));
            }
            for (payer, amount) in i.scheme.payer_names().iter().zip(&y.by_payer) {
                payers.push_str(&format!("{},{},{payer},{amount}\n", i.scheme.name, y.year));
            }
        }
    }
    let schemes: Vec<serde_json::Value> = impacts
        .iter()
        .map(|i| {
            serde_json::json!({
                "name": i.scheme.name,
                "label": i.scheme.label,
                "net_impact_over_horizon": i.total_net_impact(),
                "committed_after_horizon": i.committed_after_horizon,
                "nominal_per_patient": i.nominal_per_patient,
                "present_value_per_patient": i.present_value_per_patient,
                "break_even_year": i.break_even_year,
            })
        })
        .collect();
    let json = serde_json::json!({
        "format": "hta-budget",
        "format_version": 1,
        "title": spec.title,
        "run": {
            "tool": "hta",
            "version": env!("CARGO_PKG_VERSION"),
            "inputs": loaded.inputs.iter().map(|i| serde_json::json!({ "path": i.path, "sha256": i.sha256 })).collect::<Vec<_>>(),
            "overrides": loaded.overrides.iter().map(|o| [o.name.clone(), o.value.clone()]).collect::<Vec<_>>(),
        },
        "horizon_years": spec.horizon_years,
        "treatment_timing": if spec.mid_year { "mid_year" } else { "start_of_year" },
        "schemes": schemes,
        "scenarios": scenarios.iter().map(|s| serde_json::json!({
            "name": s.name,
            "label": s.label,
            "horizon_years": s.horizon_years,
            "net_impact_over_horizon": impacts.iter().zip(&s.by_scheme).map(|(i, v)| (i.scheme.name.clone(), serde_json::json!(v.0))).collect::<serde_json::Map<String, serde_json::Value>>(),
        })).collect::<Vec<_>>(),
    });
    let mut files = vec![
        ("budget.csv", csv),
        ("budget_payers.csv", payers),
        ("budget_categories.csv", categories),
        ("budget.json", serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"),
    ];
    if let Some(contracts) = cohort_contract_csv(impacts) {
        files.push(("budget_cohort_contract.csv", contracts));
    }
    files
}

/// Per cohort-contract scheme and year of treatment: the cohort's patients n, the model's
/// probability p of the outcome, the expected fraction paid E[f(X/n)] beside the patient-level
/// f(p), and the expected payment for the cohort under each (at the net price, before caps and
/// payer splits). None when no scheme has a cohort contract.
fn cohort_contract_csv(impacts: &[SchemeImpact]) -> Option<String> {
    let mut csv = String::from(
        "scheme,year_treated,patients,p_outcome,expected_fraction,patient_level_fraction,expected_payment,patient_level_payment\n",
    );
    let mut any = false;
    for i in impacts {
        let Some(c) = &i.cohort_contract else { continue };
        any = true;
        let net = hta_budget::payment::net_price(i.scheme.list_price, i.scheme.discount).unwrap_or(f64::NAN);
        for (y, (n, fraction)) in c.by_cohort.iter().enumerate() {
            let patients = *n as f64;
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                i.scheme.name,
                y + 1,
                n,
                c.probability,
                fraction,
                c.patient_level_fraction,
                fraction * net * patients,
                c.patient_level_fraction * net * patients
            ));
        }
    }
    any.then_some(csv)
}

/// 0.035 -> "3.5".
fn percent(rate: f64) -> String {
    let text = format!("{:.6}", rate * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Prints the highest price meeting the threshold and the budget cap, for each scheme.
fn solve_prices(args: &BudgetArgs, analysis: &BudgetAnalysis) -> Result<(), Exit> {
    let model = &analysis.loaded.model;
    let limits = hta_app::budget_price::solve_prices(analysis, args.price_param.as_deref(), args.wtp, args.budget_cap)
        .map_err(crate::fail)?;
    if limits.wtp.is_none() || limits.price_param.is_none() {
        eprintln!("note: give --price-param (the model's acquisition-cost parameter) and a threshold to include the willingness-to-pay limit");
    }
    println!("\nHighest price per patient (list price before the scheme's discount):");
    let rows = limits
        .schemes
        .iter()
        .map(|p| {
            let scheme = &analysis.impacts[p.scheme].scheme;
            vec![
                scheme.label.clone().unwrap_or_else(|| scheme.name.clone()),
                p.by_wtp.map_or("-".into(), |v| number(v, 0)),
                p.by_budget.map_or("-".into(), |v| number(v, 0)),
                p.best().map_or("-".into(), |v| number(v, 0)),
            ]
        })
        .collect();
    let header = vec![
        "Scheme".to_string(),
        format!("Meets {} per {}", limits.wtp.map_or("-".into(), |w| number(w, 0)), model.settings.effect.unit()),
        format!("Meets budget cap {}", limits.budget_cap.map_or("-".into(), |c| number(c, 0))),
        "Highest price meeting both".into(),
    ];
    println!("{}", hta_report::terminal::simple_table(header, rows));
    Ok(())
}
