//! Patient-number (volume) cap with free doses (DOMAIN.md §5.4 i).
//!
//! For demand n over the cap period, paid cap N and free allowance F:
//!
//! ```text
//! paid = min(n, N);   free = min(max(n − N, 0), F);   unfunded = max(n − N − F, 0)
//! ```
//!
//! Conventions: acts on aggregate patient numbers for the cap period after convolution
//! (population level). Patients may be expected (fractional) numbers. Who pays: the payer pays
//! `paid · P`, the manufacturer supplies `free` doses (cost `free · P` at the price, its
//! opportunity cost), and `unfunded` patients are not treated under the agreement: report them
//! as an access problem, never as a saving. Over several years the cap is consumed in year order
//! ([`volume_cap_with_free_doses_by_year`]). Undiscounted (BIA).
//!
//! Source: DOMAIN.md §5.4 (i); Brazil's 2022 Zolgensma agreement, 250 paid doses in two years and
//! up to 40 more free (O Globo, 7 Dec 2022).

use super::error::{self, Result};

/// Demand split by who funds it (patients; fractional if expected numbers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeCapSplit {
    pub paid_patients: f64,
    pub free_patients: f64,
    pub unfunded_patients: f64,
}

impl VolumeCapSplit {
    /// Payer's cost, `paid · P`.
    pub fn payer_cost(&self, price: f64) -> Result<f64> {
        Ok(self.paid_patients * error::non_negative("price", price)?)
    }

    /// Manufacturer's cost of free doses at the price, `free · P`.
    pub fn manufacturer_cost(&self, price: f64) -> Result<f64> {
        Ok(self.free_patients * error::non_negative("price", price)?)
    }
}

/// Split demand over one cap period (all inputs finite, ≥ 0).
pub fn volume_cap_with_free_doses(demand: f64, paid_cap: f64, free_allowance: f64) -> Result<VolumeCapSplit> {
    let demand = error::non_negative("demand (patients)", demand)?;
    let paid_cap = error::non_negative("paid cap (patients)", paid_cap)?;
    let free_allowance = error::non_negative("free allowance (patients)", free_allowance)?;
    Ok(split(demand, paid_cap, free_allowance))
}

fn split(demand: f64, paid_cap: f64, free_allowance: f64) -> VolumeCapSplit {
    let beyond_cap = (demand - paid_cap).max(0.0);
    VolumeCapSplit {
        paid_patients: demand.min(paid_cap),
        free_patients: beyond_cap.min(free_allowance),
        unfunded_patients: (beyond_cap - free_allowance).max(0.0),
    }
}

/// Split yearly demand over a multi-year cap period: paid places, then free doses, are used up
/// in year order (first come, first served); one split per year.
pub fn volume_cap_with_free_doses_by_year(
    demand_by_year: &[f64],
    paid_cap: f64,
    free_allowance: f64,
) -> Result<Vec<VolumeCapSplit>> {
    error::each("demand by year (patients)", demand_by_year, error::non_negative)?;
    let (mut paid_left, mut free_left) = (
        error::non_negative("paid cap (patients)", paid_cap)?,
        error::non_negative("free allowance (patients)", free_allowance)?,
    );
    let mut splits = Vec::with_capacity(demand_by_year.len());
    for &demand in demand_by_year {
        let year = split(demand, paid_left, free_left);
        paid_left = (paid_left - year.paid_patients).max(0.0);
        free_left = (free_left - year.free_patients).max(0.0);
        splits.push(year);
    }
    Ok(splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICE: f64 = 1_200_000.0;

    /// DOMAIN.md §5.4 (i): demand 300, 250 paid, 40 free → 250 paid (payer 250·P), 40 free
    /// (manufacturer), 10 unfunded (exact).
    #[test]
    fn domain_volume_cap_with_free_doses() {
        let s = volume_cap_with_free_doses(300.0, 250.0, 40.0).expect("valid");
        assert_eq!(s, VolumeCapSplit { paid_patients: 250.0, free_patients: 40.0, unfunded_patients: 10.0 });
        assert_eq!(s.payer_cost(PRICE).expect("valid"), 300.0e6);
        assert_eq!(s.manufacturer_cost(PRICE).expect("valid"), 48.0e6);
    }

    /// The same cap over two years with demand 150 then 150: year 1 all paid, year 2 100 paid,
    /// 40 free, 10 unfunded (exact).
    #[test]
    fn a_two_year_cap_is_consumed_in_year_order() {
        let s = volume_cap_with_free_doses_by_year(&[150.0, 150.0], 250.0, 40.0).expect("valid");
        assert_eq!(s[0], VolumeCapSplit { paid_patients: 150.0, free_patients: 0.0, unfunded_patients: 0.0 });
        assert_eq!(s[1], VolumeCapSplit { paid_patients: 100.0, free_patients: 40.0, unfunded_patients: 10.0 });
        assert!(volume_cap_with_free_doses(-1.0, 250.0, 40.0).is_err());
        assert!(volume_cap_with_free_doses_by_year(&[1.0, f64::NAN], 250.0, 40.0).is_err());
    }

    proptest::proptest! {
        /// Paid + free + unfunded = demand; each part within its limit; zero demand pays nothing.
        #[test]
        fn the_split_accounts_for_every_patient(
            demand in proptest::collection::vec(0f64..500.0, 0..6), cap in 0f64..600.0, free in 0f64..100.0,
        ) {
            let years = volume_cap_with_free_doses_by_year(&demand, cap, free).expect("valid");
            let (mut paid, mut given) = (0.0, 0.0);
            for (s, d) in years.iter().zip(&demand) {
                let sum = s.paid_patients + s.free_patients + s.unfunded_patients;
                proptest::prop_assert!((sum - d).abs() <= 1e-9 * d.max(1.0));
                paid += s.paid_patients;
                given += s.free_patients;
            }
            proptest::prop_assert!(paid <= cap * (1.0 + 1e-12) && given <= free * (1.0 + 1e-12));
            let none = volume_cap_with_free_doses(0.0, cap, free).expect("valid");
            proptest::prop_assert_eq!(none.payer_cost(PRICE).expect("valid"), 0.0);
        }
    }
}
