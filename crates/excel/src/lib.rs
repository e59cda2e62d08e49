//! `hta-excel`: the model as a live Excel workbook that a reviewer can audit and change.
//!
//! Reads the validated [`Model`] (never the model file) and writes a workbook in which every
//! result is a formula: an Inputs sheet (each parameter a defined name, blue when it is a value
//! to edit, and the settings), one trace sheet per strategy (occupancy as formulas of the
//! previous row and the transition formulas, translated by [`translate`]; discount factors;
//! costs by category, QALYs and life-years per cycle; totals), a Results sheet (totals, ICERs
//! against the reference strategy and net monetary benefit as formulas, with check cells against
//! hta's own numbers that turn red beyond 1e-9 relative) and a cover sheet.
//!
//! What cannot be a formula is refused with the list of reasons ([`ExcelError::Unsupported`]),
//! never written silently: covered are Markov models with time-dependent transitions, lookup
//! tables, values at start and on transitions, every counting method, mid-cycle transition
//! timing, time in state (tunnel columns) and decision trees in front (a Tree sheet per
//! strategy over one trace per arm), `surv` and `cycle_prob` of the parametric families with an
//! Excel function (exponential, Weibull in both forms, Gompertz, log-logistic, log-normal,
//! gamma) and `cycle_prob` of a life-table curve for cycles of up to a year. Partitioned
//! survival models, the generalised gamma, composite curves (mixture cure, proportional
//! hazards, joins, ...) and `hazard`/`cumhaz`/`event_prob` are not yet written. Custom counting weights are
//! written as values and listed in [`Written::values_only`].

pub mod translate;
mod workbook;

pub use workbook::{write_workbook, ExcelError, Written};
