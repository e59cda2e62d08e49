//! Budget impact by region: every scheme of the analysis re-run with each region's population,
//! uptake and price (as scenarios re-run the budget with changed inputs), split between payers
//! and patients by the region's reimbursement ratio (`hta_budget::regions`), and summed
//! nationally year by year. Typed results; nothing is printed.

use hta_budget::impact::{scheme_impact, SchemeImpact};
use hta_budget::population::Population;
use hta_budget::regions::{national, split, RegionYear};

use crate::budget::BudgetAnalysis;
use crate::Error;

/// One region's results for every scheme (in the order of the analysis's schemes).
pub struct RegionResult {
    pub name: String,
    pub label: Option<String>,
    pub reimbursement_ratio: f64,
    /// The region's payers (empty: one payer).
    pub payers: Vec<String>,
    pub impacts: Vec<SchemeImpact>,
    pub by_scheme: Vec<Vec<RegionYear>>,
}

/// Every region, and the national sums by scheme.
pub struct RegionsAnalysis {
    pub regions: Vec<RegionResult>,
    pub national: Vec<Vec<RegionYear>>,
}

/// The regions of the budget file (`None` without a `regions:` section).
pub fn regions(analysis: &BudgetAnalysis) -> Result<Option<RegionsAnalysis>, Error> {
    let spec = &analysis.spec;
    if spec.regions.is_empty() {
        return Ok(None);
    }
    let mut regions = Vec::with_capacity(spec.regions.len());
    for r in &spec.regions {
        let mut inputs = analysis.inputs.clone();
        inputs.population = Population {
            incident: r.incident.clone(),
            prevalent_at_launch: r.prevalent_at_launch,
            pool_mortality: r.pool_mortality,
            capacity: r.capacity.clone(),
        };
        inputs.uptake = r.uptake.clone();
        inputs.insured = r.insured;
        let shares: Vec<f64> = r.payers.iter().map(|(_, s)| *s).collect();
        let mut impacts = Vec::with_capacity(analysis.impacts.len());
        let mut by_scheme = Vec::with_capacity(analysis.impacts.len());
        for i in &analysis.impacts {
            let failed = |e: String| Error::Model(format!("region `{}`, scheme `{}`: {e}", r.name, i.scheme.name));
            let mut scheme = i.scheme.clone();
            scheme.list_price = r.price;
            if r.price_factor != 1.0 {
                if let Some((tiers, _)) = &mut scheme.price_volume {
                    *tiers = tiers.scaled(r.price_factor).map_err(|e| failed(e.to_string()))?;
                }
            }
            let impact = scheme_impact(&inputs, &scheme).map_err(|e| failed(e.to_string()))?;
            if !impact.years.iter().all(|y| y.net_impact.is_finite() && y.gross_payments.is_finite()) {
                return Err(failed("the budget impact overflows (amounts or populations too large)".into()));
            }
            by_scheme.push(split(&impact, r.reimbursement_ratio, &shares));
            impacts.push(impact);
        }
        regions.push(RegionResult {
            name: r.name.clone(),
            label: r.label.clone(),
            reimbursement_ratio: r.reimbursement_ratio,
            payers: r.payers.iter().map(|(n, _)| n.clone()).collect(),
            impacts,
            by_scheme,
        });
    }
    let national = (0..analysis.impacts.len())
        .map(|s| {
            let rows: Vec<&[RegionYear]> = regions.iter().map(|r| r.by_scheme[s].as_slice()).collect();
            national(&rows)
        })
        .collect();
    Ok(Some(RegionsAnalysis { regions, national }))
}
