//! Properties every valid run must have (DESIGN.md §6).

use proptest::prelude::*;

use crate::oracle::{random_model, RandomModel};
use crate::support::{load_str, run};

fn with_rates(mut m: RandomModel, costs: f64, effects: f64) -> RandomModel {
    m.rate_costs = costs;
    m.rate_effects = effects;
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Cohort mass is conserved and occupancy is never negative.
    #[test]
    fn mass_is_conserved_and_occupancy_non_negative(m in random_model()) {
        let results = run(&load_str(&m.yaml()));
        let r = &results[0];
        for k in 0..=r.n_cycles {
            let row = r.occupancy(k);
            prop_assert!(row.iter().all(|p| *p >= 0.0), "negative occupancy in cycle {}", k);
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "mass {} in cycle {}", row.iter().sum::<f64>(), k);
        }
    }

    /// With zero discount rates, discounted totals equal undiscounted totals exactly.
    #[test]
    fn zero_discount_equals_undiscounted(m in random_model()) {
        let results = run(&load_str(&with_rates(m, 0.0, 0.0).yaml()));
        let r = &results[0];
        prop_assert_eq!(&r.discounted, &r.undiscounted);
    }

    /// A higher discount rate never raises the present value of non-negative costs.
    #[test]
    fn higher_discount_never_raises_present_value(m in random_model(), low in 0.0f64..0.05, extra in 0.0f64..0.05) {
        let cheap = run(&load_str(&with_rates(m.clone(), low, low).yaml()));
        let dear = run(&load_str(&with_rates(m, low + extra, low + extra).yaml()));
        prop_assert!(dear[0].total_cost(true) <= cheap[0].total_cost(true) * (1.0 + 1e-12));
        prop_assert!(cheap[0].total_cost(true) <= cheap[0].total_cost(false) * (1.0 + 1e-12));
        prop_assert!(dear[0].life_years(true) <= cheap[0].life_years(true) * (1.0 + 1e-12));
    }
}
