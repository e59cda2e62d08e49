//! `hta-budget`: multi-year budget impact for one-time and chronic therapies (DOMAIN.md §5):
//! eligible population and pool depletion ([`population`]), uptake ([`uptake`]), cohort
//! convolution of per-patient costs and payments ([`cohort`]), and payment schemes
//! ([`payment`]).
//!
//! It knows nothing of model files: the caller hands it plain numbers (per-patient yearly costs
//! computed by an engine from its state occupancy, populations, shares, scheme parameters).

pub mod cohort;
pub mod impact;
pub mod market;
pub mod payment;
pub mod population;
pub mod regions;
pub mod uptake;
