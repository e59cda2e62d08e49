//! `hta-budget`: multi-year budget impact for one-time and chronic therapies (DOMAIN.md §5):
//! population, uptake, cohort convolution of per-patient costs and payments, and payment
//! schemes (the payment-scheme algebra).
//!
//! It knows nothing of model files: the caller hands it plain numbers (per-patient yearly costs
//! computed by an engine from its state occupancy, populations, shares, scheme parameters).

pub mod payment;
