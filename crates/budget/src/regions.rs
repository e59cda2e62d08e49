//! Budget impact by region (e.g. province): each region's impact is computed with its own
//! population, uptake and price, and split between the payer and patients by the region's
//! reimbursement ratio; the national figures are the sums over regions.
//!
//! For region r and year y, with NI = the net impact (payments net of rebates + earmarked +
//! care with − care without) and P = what the scheme itself already puts on patients (its
//! `patient` payer: co-payment tiers or the remainder of a waterfall; 0 otherwise):
//!
//! payer_(r,y)   = ratio_r · (NI_(r,y) − P_(r,y))
//! patient_(r,y) = NI_(r,y) − payer_(r,y)
//!
//! The ratio applies to the care-cost difference too (a reimbursement ratio covers all in-scope
//! medical spending, so patients keep their part of avoided care costs); a region with ratio 0
//! therefore has no payer spending at all. The payer's part is split between the region's
//! payers by their shares, if it has any.

use crate::impact::SchemeImpact;

/// One year of one region (or of the nation) under one scheme.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionYear {
    pub year: u32,
    pub net_impact: f64,
    pub payer_spending: f64,
    pub patient_spending: f64,
    /// The payer's spending by the region's payers (in the order of their shares).
    pub by_payer: Vec<f64>,
}

/// Splits a region's impact between payer and patients by `ratio` (the reimbursed share), and
/// the payer's part by `payer_shares`.
pub fn split(impact: &SchemeImpact, ratio: f64, payer_shares: &[f64]) -> Vec<RegionYear> {
    let patient_index = impact.scheme.payer_names().iter().position(|p| p == "patient");
    impact
        .years
        .iter()
        .map(|y| {
            let scheme_patient = patient_index.and_then(|k| y.by_payer.get(k)).copied().unwrap_or(0.0);
            let payer = ratio * (y.net_impact - scheme_patient);
            RegionYear {
                year: y.year,
                net_impact: y.net_impact,
                payer_spending: payer,
                patient_spending: y.net_impact - payer,
                by_payer: payer_shares.iter().map(|s| s * payer).collect(),
            }
        })
        .collect()
}

/// Sums of regions' years, year by year. Regions may name different payers, so the national
/// rows carry no payer split.
pub fn national(regions: &[&[RegionYear]]) -> Vec<RegionYear> {
    let years = regions.iter().map(|r| r.len()).max().unwrap_or(0);
    (0..years)
        .map(|y| {
            let mut total = RegionYear { year: y as u32 + 1, ..RegionYear::default() };
            for r in regions {
                if let Some(row) = r.get(y) {
                    total.net_impact += row.net_impact;
                    total.payer_spending += row.payer_spending;
                    total.patient_spending += row.patient_spending;
                }
            }
            total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::{Scheme, YearImpact};

    fn impact(net: &[f64], patient: Option<&[f64]>) -> SchemeImpact {
        let scheme = Scheme { payers: vec![("fund".into(), 1.0)], copay: patient.map(|_| vec![]), ..Scheme::default() };
        SchemeImpact {
            scheme,
            years: net
                .iter()
                .enumerate()
                .map(|(y, n)| YearImpact {
                    year: y as u32 + 1,
                    net_impact: *n,
                    by_payer: std::iter::once(n - patient.map_or(0.0, |p| p[y])).chain(patient.map(|p| p[y])).collect(),
                    ..YearImpact::default()
                })
                .collect(),
            committed_after_horizon: 0.0,
            present_value_per_patient: 0.0,
            nominal_per_patient: 0.0,
            break_even_year: None,
            cohort_contract: None,
        }
    }

    #[test]
    fn ratio_splits_payer_and_patients() {
        let r = split(&impact(&[100.0, -40.0], None), 0.7, &[0.5, 0.5]);
        assert!((r[0].payer_spending - 70.0).abs() < 1e-12);
        assert!((r[0].patient_spending - 30.0).abs() < 1e-12);
        // Offsets are shared by the same ratio.
        assert!((r[1].payer_spending + 28.0).abs() < 1e-12);
        assert_eq!(r[0].by_payer, vec![35.0, 35.0]);
        // The scheme's own co-payment stays with patients: 0.7 · (100 − 20) = 56.
        let c = split(&impact(&[100.0], Some(&[20.0])), 0.7, &[]);
        assert!((c[0].payer_spending - 56.0).abs() < 1e-12);
        assert!((c[0].patient_spending - 44.0).abs() < 1e-12);
        // No reimbursement: nothing falls to the payer.
        assert!(split(&impact(&[100.0, 50.0], None), 0.0, &[1.0]).iter().all(|y| y.payer_spending == 0.0));
        // Full reimbursement without co-payment: the payer bears the whole net impact.
        assert!(split(&impact(&[100.0, -5.0], None), 1.0, &[]).iter().all(|y| y.patient_spending == 0.0));
    }

    #[test]
    fn national_is_the_sum() {
        let a = split(&impact(&[100.0, 50.0], None), 0.7, &[]);
        let b = split(&impact(&[10.0, 5.0], None), 0.5, &[]);
        let n = national(&[&a, &b]);
        assert_eq!(n.len(), 2);
        assert!((n[1].net_impact - 55.0).abs() < 1e-12);
        assert!((n[0].payer_spending - 75.0).abs() < 1e-12);
        assert!((n[0].patient_spending - 35.0).abs() < 1e-12);
        assert!(national(&[]).is_empty());
    }
}
