//! The regions of `hta budget`: `budget_regions.csv`, `budget_region_payers.csv`, the figure
//! `budget_by_region` and a short terminal section.

use hta_app::budget_regions::RegionsAnalysis;
use hta_budget::impact::SchemeImpact;
use hta_report::figures::{Figure, Plot, Series};

use crate::number;

/// Prints the net impact over the horizon and the payer's and patients' parts by region, for
/// the first scheme.
pub fn print(r: &RegionsAnalysis, impacts: &[SchemeImpact]) {
    let Some(first) = impacts.first() else { return };
    println!("Regions: scheme `{}`, over the horizon", first.scheme.name);
    let header = vec!["Region".to_string(), "Ratio".into(), "Net impact".into(), "Payer".into(), "Patients".into()];
    let total = |rows: &[hta_budget::regions::RegionYear]| {
        rows.iter().fold((0.0, 0.0, 0.0), |t, y| (t.0 + y.net_impact, t.1 + y.payer_spending, t.2 + y.patient_spending))
    };
    let mut rows: Vec<Vec<String>> = r
        .regions
        .iter()
        .map(|g| {
            let (net, payer, patient) = total(&g.by_scheme[0]);
            vec![
                g.label.clone().unwrap_or_else(|| g.name.clone()),
                number(g.reimbursement_ratio, 2),
                number(net, 0),
                number(payer, 0),
                number(patient, 0),
            ]
        })
        .collect();
    let (net, payer, patient) = total(&r.national[0]);
    rows.push(vec![
        "National (sum of the regions)".into(),
        String::new(),
        number(net, 0),
        number(payer, 0),
        number(patient, 0),
    ]);
    println!("{}", hta_report::terminal::simple_table(header, rows));
}

/// `budget_regions.csv`: per scheme, region (then `national`) and year.
pub fn regions_csv(r: &RegionsAnalysis, impacts: &[SchemeImpact]) -> String {
    let mut csv = String::from("scheme,region,year,net_impact,payer_spending,patient_spending\n");
    for (s, i) in impacts.iter().enumerate() {
        let named = r.regions.iter().map(|g| (g.name.as_str(), &g.by_scheme[s])).chain([("national", &r.national[s])]);
        for (region, rows) in named {
            for y in rows {
                csv.push_str(&format!(
                    "{},{region},{},{},{},{}\n",
                    i.scheme.name,
                    y.year,
                    y.net_impact + 0.0,
                    y.payer_spending + 0.0,
                    y.patient_spending + 0.0
                ));
            }
        }
    }
    csv
}

/// `budget_region_payers.csv`: per scheme, region, year and payer of the region.
pub fn payers_csv(r: &RegionsAnalysis, impacts: &[SchemeImpact]) -> String {
    let mut csv = String::from("scheme,region,year,payer,spending\n");
    for (s, i) in impacts.iter().enumerate() {
        for g in &r.regions {
            for y in &g.by_scheme[s] {
                for (payer, amount) in g.payers.iter().zip(&y.by_payer) {
                    csv.push_str(&format!("{},{},{},{payer},{}\n", i.scheme.name, g.name, y.year, amount + 0.0));
                }
            }
        }
    }
    csv
}

/// Net impact by region and year, stacked, for the first scheme.
pub fn figure(r: &RegionsAnalysis, impacts: &[SchemeImpact], currency: &str) -> Option<Figure> {
    let first = impacts.first()?;
    let series = r
        .regions
        .iter()
        .map(|g| Series {
            name: g.label.clone().unwrap_or_else(|| g.name.clone()),
            points: g.by_scheme[0].iter().map(|y| (f64::from(y.year), y.net_impact)).collect(),
        })
        .collect();
    Some(Figure {
        name: "budget_by_region".into(),
        title: format!("Net budget impact by region: {}", first.scheme.shown()),
        x_label: "Year".into(),
        y_label: format!("Net budget impact ({currency})"),
        plot: Plot::StackedBars { series },
    })
}
