//! `hta-sensitivity`: sensitivity analyses that re-run a model many times.
//!
//! A model is compiled once ([`Evaluator`]) and evaluated for many parameter sets: seeded,
//! parallel probabilistic analysis ([`psa`]; one independent random stream per draw, so results
//! do not depend on the thread count), one-way analysis and threshold search ([`oneway`]).
//! The statistics of the results (CEAC, EVPI, ...) are in `hta-analysis`; presenting them is
//! `hta-report`'s job.

pub mod engine;
pub mod oneway;
pub mod psa;
pub mod quantile;
pub mod sample;
pub mod sampled;

pub use engine::{Evaluator, Outcome};
pub use oneway::{one_way, threshold, OneWayFailure, OneWayRow, Threshold};
pub use psa::{check_draws, run_psa, DrawFailure, OnInvalid, PsaRun, PsaSettings, MAX_DRAWS};
pub use sample::{ExternalDraws, Sampler};
pub use sampled::SampledValues;
