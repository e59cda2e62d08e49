//! `hta-model`: the vocabulary of the toolkit and the validated model.
//!
//! Holds what every other crate agrees on: typed ids, the [`Model`] that engines read (names
//! already resolved, values already checked), model conventions ([`settings`]), lookup tables,
//! and the formula language ([`formula`]: parse, resolve, compile). It does no I/O and knows no
//! file format; the `hta-spec` crate builds a [`Model`] from YAML.
//!
//! ```
//! use hta_model::formula::{compile, parse};
//! let expr = parse("1 - (1 - 0.2) ^ (1 / 12)").expect("valid formula");
//! let monthly = compile(&expr, &hta_model::formula::Env::EMPTY).constant().expect("no variables");
//! assert!((monthly - 0.018423).abs() < 1e-6);
//! ```

pub mod curve;
pub mod dependency;
pub mod formula;
pub mod ids;
pub mod model;
pub mod settings;
pub mod suggest;
pub mod survival;
pub mod table;

pub use ids::{CategoryId, CurveId, ParamId, StateId, StrategyId, TableId};
pub use model::{
    CorrelatedGroup, DirichletGroup, Distribution, EntryValue, Formula, Metadata, Model, MultivariateNormalGroup,
    OneOff, Origin, Parameter, Perspective, Scenario, State, Strategy, Structure, Subgroup, TransitionEntry,
    TransitionRow, TransitionValue, Tree, TreeBranch, Uncertainty,
};
pub use settings::{Counting, CycleUnit, Discount, DiscountTiming, EffectMeasure, EventTiming, Settings, Threshold};
pub use table::{Interpolation, LookupTable, Outside, TableColumn};
