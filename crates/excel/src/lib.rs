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
//! Covered: Markov models with time-dependent transitions, lookup tables, values at start and
//! on transitions, every counting method, mid-cycle transition timing, time in state (tunnel
//! columns), decision trees in front (a Tree sheet per strategy over one trace per arm) and
//! partitioned survival models (curve columns, capped inner ≤ outer, occupancy their
//! differences). Survival curves ([`curves`]) are formulas where they can be: the parametric
//! families with an Excel function, piecewise exponential, Royston–Parmar splines,
//! proportional hazards, acceleration, joins, mixture cure and life-table curves (by single
//! years of age), in `surv`, `cumhaz`, `event_prob`, `cycle_prob` and the partition. What has
//! no formula (the generalised gamma, tabulated and hazard-floor curves and curves built on
//! them, `hazard`) is written as hta's values of the base case (`values.rs`): columns headed by
//! the call, marked with a note in the sheet and listed in [`Written::values_only`], as are
//! custom counting weights. Never written silently; what is still refused (a curve in a
//! decision tree without a formula, time in state in a partitioned model) is refused with the
//! list of reasons ([`ExcelError::Unsupported`]).

pub mod curves;
pub mod translate;
mod values;
mod workbook;

pub use workbook::{workbook_bytes, write_workbook, ExcelError, Written};
