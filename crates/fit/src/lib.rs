//! Survival analysis inputs for a model: read individual patient data (`data`), estimate the
//! Kaplan–Meier curve with Greenwood's confidence band (`km`), fit the parametric families of
//! `hta_model::survival` by maximum likelihood with the covariance of the estimates from the
//! Hessian (`mle`), rank the fits, and reconstruct pseudo patient data from a digitised
//! Kaplan–Meier curve and its numbers at risk (`guyot`).
//!
//! The families and their parameters are exactly the model's (`hta_model::survival::Family`,
//! flexsurv's parameterisations), so a fit's estimates can be pasted into a model file as they
//! are. Estimation is on flexsurv's scale (log of positive parameters, identity otherwise);
//! covariates (such as the arm) act on the location parameter as in flexsurv. No I/O except the
//! file readers in `data` and `guyot`, which take a path only to name it in errors.

pub mod data;
pub mod guyot;
pub mod km;
pub mod mle;

pub use data::{read_ipd, DataError, Observation, PatientData};
pub use km::{kaplan_meier, kaplan_meier_with_entry, KaplanMeier};
pub use mle::{fit, fit_all, fit_model, rank, spline_knots, Fit, FitOptions, Model, Status};
