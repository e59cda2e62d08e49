//! `hta-markov`: the Markov cohort engine.
//!
//! [`Program::new`] compiles one strategy of a validated [`hta_model::Model`] (formulas to
//! closures, transition rows to a sparse structure, parameters split into time-invariant and
//! time-varying). [`run`] then, for each cycle, *resolves* the formulas to numbers
//! ([`Resolver`], checking every probability, row sum and value, naming strategy, state and
//! cycle), *advances* the cohort ([`kernel::advance`]) and *counts* the cycle's rewards with the
//! model's within-cycle correction ([`counting`]) and discounting ([`discount`]).
//!
//! [`run_totals_block`] runs a strategy for a block of parameter sets in lockstep (structure of
//! arrays over lanes), each lane bit-identical to [`run_totals`] alone.
//!
//! A strategy with a decision tree in front ([`tree`]) is the weighted sum of the arms its
//! leaves lead to, plus the tree's one-off values.
//!
//! It does not read files, compare strategies (that is `hta-analysis`) or write output.
//!
//! Conventions: state costs are per cycle; utilities and life-year weights per year (times the
//! cycle length); one-off values at start are charged at t = 0, undiscounted and uncorrected;
//! transition values are charged on the flow `m_{k-1,i} · P_k[i,j]`, discounted at the end (or
//! middle) of their cycle and not corrected.

pub mod block;
pub mod counting;
pub mod discount;
pub mod error;
pub mod kernel;
pub mod program;
pub mod resolve;
pub mod run;
pub mod sources;
pub mod tree;

pub use block::{run_totals_block, BlockRunner};
pub use error::{Problem, RunError, RunErrors};
pub use program::{Program, Schedule, ValueLayout};
pub use resolve::{CycleInputs, Resolver, ROW_TOLERANCE};
pub use run::{run, run_program, run_program_with, run_totals, run_with_sources, StrategyResult, Totals};
pub use sources::{BySource, Source};
pub use tree::{compose, compose_totals, leaf_payoffs, TreePayoffs, TreeProgram, TreeValues};
