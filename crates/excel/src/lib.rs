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
//! never written silently. Covered: Markov models with time-dependent transitions, lookup
//! tables, values at start and on transitions, every counting method, mid-cycle transition
//! timing, time in state (tunnel columns), decision trees in front (a Tree sheet per strategy
//! over one trace per arm) and partitioned survival models (curve columns, capped inner ≤
//! outer, occupancy their differences). Survival curves: the parametric families with an Excel
//! function (exponential, Weibull in both forms, Gompertz, log-logistic, log-normal, gamma),
//! mixture cure and life-table curves (by single years of age), in `surv`, `cycle_prob` and
//! the partition. Not yet written: the generalised gamma, piecewise-exponential, spline,
//! tabulated, proportional-hazards, accelerated-failure, joined and hazard-floor curves, and
//! `hazard`/`cumhaz`/`event_prob`. Custom counting weights are written as values and listed
//! in [`Written::values_only`].

pub mod translate;
mod workbook;

pub use workbook::{write_workbook, ExcelError, Written};
