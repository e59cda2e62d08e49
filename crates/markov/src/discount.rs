//! Discount factors: d(t) = (1 + r)^-(max(0, t - start_year)), t in years (DOMAIN.md §2.8).

use hta_model::{Discount, DiscountTiming};

/// Discount factor at time `t_years` for annual rate `rate`.
pub fn factor(rate: f64, t_years: f64, start_year: f64) -> f64 {
    let t = (t_years - start_year).max(0.0);
    if rate == 0.0 || t == 0.0 {
        1.0
    } else {
        (1.0 + rate).powf(-t)
    }
}

/// Factors for one cycle: (on start occupancy, on end occupancy). Under the point convention
/// each boundary has its own time; otherwise the whole cycle shares one factor.
pub fn cycle_factors(discount: &Discount, rate: f64, k: usize, cycle_years: f64) -> (f64, f64) {
    let start = (k - 1) as f64 * cycle_years;
    let end = k as f64 * cycle_years;
    let at = |t: f64| factor(rate, t, discount.start_year);
    match discount.timing {
        DiscountTiming::Point => (at(start), at(end)),
        DiscountTiming::CycleStart => (at(start), at(start)),
        DiscountTiming::CycleEnd => (at(end), at(end)),
        DiscountTiming::CycleMiddle => (at(start + cycle_years / 2.0), at(start + cycle_years / 2.0)),
        DiscountTiming::AnnualStep => {
            // A small tolerance keeps 12 monthly cycles of 1/12 year in year 0, not year 0.999...
            let year = (start + 1e-9).floor();
            (at(year), at(year))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn discount(timing: DiscountTiming) -> Discount {
        Discount { costs: 0.05, effects: 0.05, timing, start_year: 0.0 }
    }

    #[test]
    fn point_convention_matches_domain_example() {
        // DOMAIN.md §2.9: d = 1, 0.952381, 0.907029.
        let d = discount(DiscountTiming::Point);
        let (a, b) = cycle_factors(&d, 0.05, 2, 1.0);
        assert_relative_eq!(a, 0.952381, epsilon = 5e-7);
        assert_relative_eq!(b, 0.907029, epsilon = 5e-7);
    }

    #[test]
    fn conventions_b_to_e() {
        let monthly = 1.0 / 12.0;
        assert_eq!(cycle_factors(&discount(DiscountTiming::CycleStart), 0.05, 1, 1.0), (1.0, 1.0));
        let (c, _) = cycle_factors(&discount(DiscountTiming::CycleEnd), 0.05, 1, 1.0);
        assert_relative_eq!(c, 1.0 / 1.05, max_relative = 1e-15);
        let (m, _) = cycle_factors(&discount(DiscountTiming::CycleMiddle), 0.05, 1, 1.0);
        assert_relative_eq!(m, 1.05f64.powf(-0.5), max_relative = 1e-15);
        // Annual step: monthly cycles 1..12 are year 0, cycle 13 is year 1.
        let d = discount(DiscountTiming::AnnualStep);
        assert_eq!(cycle_factors(&d, 0.05, 12, monthly).0, 1.0);
        assert_relative_eq!(cycle_factors(&d, 0.05, 13, monthly).0, 1.0 / 1.05, max_relative = 1e-15);
    }

    #[test]
    fn start_year_delays_discounting() {
        assert_eq!(factor(0.035, 0.5, 1.0), 1.0);
        assert_relative_eq!(factor(0.035, 3.0, 1.0), 1.035f64.powi(-2), max_relative = 1e-15);
    }
}
