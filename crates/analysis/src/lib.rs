//! `hta-analysis`: cost-effectiveness analysis (DOMAIN.md §1).
//!
//! Takes per-strategy (cost, effect) pairs and gives the incremental analysis on the efficiency
//! frontier with strong and extended dominance ([`frontier`]), pairwise comparisons against a
//! reference with quadrant labels instead of bare negative ratios ([`pairwise`]), and net
//! monetary and health benefit with the optimal strategy at each threshold ([`net_benefit`]).
//! From probabilistic draws it summarises uncertainty (means, intervals, CEAC, CEAF, expected
//! loss, running means: [`psa`]) and the value of information (EVPI, EVPPI: [`voi`]).
//! It knows nothing of models or files; engines produce the numbers, reports present them.
//!
//! ```
//! use hta_analysis::{frontier::incremental, Outcome, Status};
//! let outcomes = [Outcome::new("soc", 20_000.0, 4.0), Outcome::new("new", 80_000.0, 5.0)];
//! let rows = incremental(&outcomes);
//! assert_eq!(rows[1].status, Status::NonDominated);
//! assert_eq!(rows[1].icer, Some(60_000.0));
//! ```

pub mod frontier;
pub mod net_benefit;
pub mod pairwise;
pub mod psa;
pub mod tolerance;
pub mod voi;

pub use frontier::{incremental, FrontierRow, Status};
pub use net_benefit::{at_threshold, ThresholdResult};
pub use pairwise::{pairwise, Comparison, Quadrant};

/// Discounted cost and effect of one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub cost: f64,
    pub effect: f64,
}

impl Outcome {
    pub fn new(name: &str, cost: f64, effect: f64) -> Self {
        Outcome { name: name.to_string(), cost, effect }
    }
}
