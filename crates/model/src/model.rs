//! The validated model: every name resolved to an id, every value checked for type and range.
//! Engines read only this; they never see the model file.

use std::sync::Arc;

use crate::formula::Expr;
use crate::ids::{CategoryId, ParamId, StateId, StrategyId};
use crate::settings::Settings;
use crate::table::LookupTable;

/// Byte range in the model file that an item came from (for run-time error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    pub offset: usize,
    pub len: usize,
}

/// A formula as written, its resolved expression, and where its text starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    pub text: String,
    pub expr: Expr,
    pub origin: Origin,
}

impl State {
    /// What figures and sentences call the state: its label, or its name when it has none.
    pub fn shown(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

impl Formula {
    /// A literal number with no position (for command-line overrides and defaults).
    pub fn constant(value: f64) -> Formula {
        Formula { text: value.to_string(), expr: Expr::number(value), origin: Origin::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub title: String,
    pub description: Option<String>,
    pub currency: String,
    pub price_year: Option<i32>,
    pub perspective: Option<String>,
    pub country: Option<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub label: Option<String>,
    pub definition: Formula,
    pub source: Option<String>,
    pub uncertainty: Uncertainty,
    pub origin: Origin,
}

/// Uncertainty fields used by deterministic and probabilistic sensitivity analysis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Uncertainty {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub distribution: Option<Distribution>,
}

/// A sampling distribution in its native parameters (moment-based input is converted on load).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    Beta {
        alpha: f64,
        beta: f64,
    },
    Gamma {
        shape: f64,
        rate: f64,
    },
    LogNormal {
        meanlog: f64,
        sdlog: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT with shape 4: mean (min + 4 mode + max) / 6.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Normal(mean, sd) truncated to [min, max] (infinite bounds allowed).
    TruncatedNormal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// Explicitly not sampled.
    Fixed,
}

impl Distribution {
    /// The distribution in words with its native parameters, e.g. `Beta(α = 19.8, β = 79.2)`.
    pub fn describe(&self) -> String {
        let g = |v: f64| format!("{}", (v * 1e6).round() / 1e6);
        match *self {
            Distribution::Beta { alpha, beta } => format!("Beta(α = {}, β = {})", g(alpha), g(beta)),
            Distribution::Gamma { shape, rate } => format!("Gamma(shape = {}, rate = {})", g(shape), g(rate)),
            Distribution::LogNormal { meanlog, sdlog } => {
                format!("LogNormal(meanlog = {}, sdlog = {})", g(meanlog), g(sdlog))
            }
            Distribution::Normal { mean, sd } => format!("Normal(mean = {}, sd = {})", g(mean), g(sd)),
            Distribution::Uniform { min, max } => format!("Uniform({}, {})", g(min), g(max)),
            Distribution::Triangular { min, mode, max } => {
                format!("Triangular(min = {}, mode = {}, max = {})", g(min), g(mode), g(max))
            }
            Distribution::Pert { min, mode, max } => {
                format!("PERT(min = {}, mode = {}, max = {})", g(min), g(mode), g(max))
            }
            Distribution::TruncatedNormal { mean, sd, min, max } => {
                format!("Normal(mean = {}, sd = {}) truncated to [{}, {}]", g(mean), g(sd), g(min), g(max))
            }
            Distribution::Fixed => "fixed".to_string(),
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Beta { alpha, beta } => alpha / (alpha + beta),
            Distribution::Gamma { shape, rate } => shape / rate,
            Distribution::LogNormal { meanlog, sdlog } => (meanlog + sdlog * sdlog / 2.0).exp(),
            Distribution::Normal { mean, .. } => mean,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Distribution::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Distribution::TruncatedNormal { mean, sd, min, max } => truncated_normal_mean(mean, sd, min, max),
            Distribution::Fixed => f64::NAN,
        }
    }
}

/// Mean of Normal(μ, σ) truncated to [a, b]: μ + σ (φ(α) − φ(β)) / (Φ(β) − Φ(α)).
fn truncated_normal_mean(mean: f64, sd: f64, min: f64, max: f64) -> f64 {
    let (a, b) = ((min - mean) / sd, (max - mean) / sd);
    let phi = |x: f64| if x.is_finite() { (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() } else { 0.0 };
    mean + sd * (phi(a) - phi(b)) / (standard_normal_cdf(b) - standard_normal_cdf(a))
}

/// Φ(x), through the log-normal survival function of the survival module (erfc-based, accurate
/// in both tails).
pub fn standard_normal_cdf(x: f64) -> f64 {
    if x == f64::INFINITY {
        return 1.0;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    1.0 - crate::survival::Family::LogNormal.survival(&[0.0, 1.0], x.exp())
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub label: Option<String>,
    pub dead: bool,
    /// Cost per cycle of being in the state, by category.
    pub costs: Vec<(CategoryId, Formula)>,
    /// Utility per year (QALY weight); `None` when the model reports no QALYs.
    pub utility: Option<Formula>,
    /// Life-year weight per year (1 alive, 0 dead unless given).
    pub life_years: Formula,
    /// Cycles of time in state tracked (tunnel states); beyond that the last value holds.
    pub track_cycles: Option<usize>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryValue {
    Formula(Formula),
    /// One minus the other entries of the row.
    Complement,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransitionEntry {
    pub to: StateId,
    pub value: EntryValue,
    pub origin: Origin,
}

/// The transitions out of one state. Destinations not listed have probability 0.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRow {
    pub from: StateId,
    pub entries: Vec<TransitionEntry>,
    pub origin: Origin,
}

/// Costs and QALYs charged once: at model start, or on a transition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OneOff {
    pub costs: Vec<(CategoryId, Formula)>,
    pub qaly: Option<Formula>,
}

impl OneOff {
    pub fn is_empty(&self) -> bool {
        self.costs.is_empty() && self.qaly.is_none()
    }
}

/// Values charged per person moving `from -> to` in a cycle (`from: None` = any other state).
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionValue {
    pub from: Option<StateId>,
    pub to: StateId,
    pub values: OneOff,
    pub origin: Origin,
}

impl TransitionValue {
    pub fn applies(&self, from: StateId, to: StateId) -> bool {
        to == self.to && from != to && self.from.is_none_or(|f| f == from)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub name: String,
    pub label: Option<String>,
    /// Parameter definitions that replace the shared ones for this strategy.
    pub overrides: Vec<(ParamId, Formula)>,
    /// One row per state, in state order: the strategy's own rows where it gives them,
    /// the shared rows otherwise.
    pub rows: Vec<TransitionRow>,
    /// Initial cohort distribution over states (sums to 1).
    pub initial: Vec<f64>,
    /// Charged at t = 0: not discounted, not within-cycle corrected.
    pub at_start: OneOff,
    /// Partitioned survival: the curves that define state occupancy, innermost first
    /// (empty for Markov models).
    pub curves: Vec<crate::ids::CurveId>,
    /// A decision tree in front of the model: the strategy's results are the probability-weighted
    /// results of the arms its leaves lead to, plus the tree's own values. Its rows, initial
    /// distribution and curves are then not run.
    pub tree: Option<Tree>,
    pub origin: Origin,
}

impl Strategy {
    /// What figures and sentences call the strategy: its label, or its name when it has none.
    pub fn shown(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// A decision tree: chance nodes whose branches carry probabilities (formulas over parameters,
/// evaluated at model start) and one-off values; each leaf either ends (its values are the
/// payoff) or sends its share of the cohort into an arm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree {
    /// Every branch, parents before children.
    pub branches: Vec<TreeBranch>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreeBranch {
    pub name: String,
    /// The branch this one hangs from (`None`: from the root).
    pub parent: Option<usize>,
    /// Probability given the parent branch was taken; `Complement` is 1 − its siblings.
    pub probability: EntryValue,
    /// Charged once, at model start, per person taking the branch (not discounted).
    pub values: OneOff,
    /// A leaf's arm (an index into [`Model::arms`]); `None` for inner branches and for leaves
    /// that end the tree.
    pub arm: Option<usize>,
    pub origin: Origin,
}

impl Tree {
    /// Indices of the branches hanging from `parent` (`None`: the root).
    pub fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        self.branches.iter().enumerate().filter(move |(_, b)| b.parent == parent).map(|(i, _)| i)
    }

    pub fn is_leaf(&self, branch: usize) -> bool {
        self.children(Some(branch)).next().is_none()
    }
}

/// Parameters drawn jointly from a Dirichlet distribution; their base values are the counts'
/// shares.
#[derive(Debug, Clone, PartialEq)]
pub struct DirichletGroup {
    pub name: String,
    pub params: Vec<ParamId>,
    pub counts: Vec<f64>,
    pub origin: Origin,
}

/// Parameters drawn jointly from a multivariate normal distribution (e.g. a fitted survival
/// curve's coefficients on their estimation scale, with the covariance from the fit's Hessian);
/// their base values are the means. `covariance` is row-major, `params.len()` squared, checked
/// symmetric and positive semi-definite on load.
#[derive(Debug, Clone, PartialEq)]
pub struct MultivariateNormalGroup {
    pub name: String,
    pub params: Vec<ParamId>,
    pub mean: Vec<f64>,
    pub covariance: Vec<f64>,
    pub origin: Origin,
}

/// A named set of overrides (parameter or setting name, value as text), as `--set` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub label: Option<String>,
    pub overrides: Vec<(String, String)>,
}

/// Sampled parameters drawn with a Gaussian copula: `matrix` is their correlation matrix
/// (row-major, `params.len()` squared), checked positive definite on load.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelatedGroup {
    pub params: Vec<ParamId>,
    pub matrix: Vec<f64>,
}

/// How state occupancy is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// A transition matrix per cycle (state-transition, Markov cohort).
    Markov,
    /// Occupancy read from ordered survival curves (partitioned survival).
    PartitionedSurvival,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub structure: Structure,
    pub metadata: Metadata,
    pub settings: Settings,
    pub categories: Vec<String>,
    pub tables: Vec<Arc<LookupTable>>,
    /// Survival curves (time-invariant: their formulas read no time variable).
    pub curves: Vec<crate::curve::Curve>,
    pub parameters: Vec<Parameter>,
    /// Groups of parameters drawn jointly (PSA).
    pub dirichlet: Vec<DirichletGroup>,
    /// Parameters drawn with correlation (PSA): at most one group holding every correlated one.
    pub correlated: Option<CorrelatedGroup>,
    /// Groups of parameters drawn from a multivariate normal (PSA), after every other draw.
    pub multivariate_normal: Vec<MultivariateNormalGroup>,
    pub states: Vec<State>,
    pub transition_values: Vec<TransitionValue>,
    pub strategies: Vec<Strategy>,
    /// Strategies that decision trees send patients into; run, but not compared themselves. Arm
    /// `k` has the id `StrategyId(strategies.len() + k)`.
    pub arms: Vec<Strategy>,
    pub scenarios: Vec<Scenario>,
    /// Subgroups run separately and combined with their weights by `hta subgroups`.
    pub subgroups: Vec<Subgroup>,
    /// The perspective this model was lowered for, if the file lists perspectives (the
    /// categories it does not count are not in `categories`).
    pub perspective: Option<Perspective>,
    /// Every perspective the file lists, in its order (the first is the default and the budget's).
    pub perspectives: Vec<String>,
}

/// A perspective of the analysis: its name and label and the cost categories of the model file
/// that it does not count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Perspective {
    pub name: String,
    pub label: Option<String>,
    pub not_counted: Vec<String>,
}

/// A subgroup of the population: a weight and the overrides that describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroup {
    pub name: String,
    pub label: Option<String>,
    /// Share of the population (the weights sum to 1).
    pub weight: f64,
    /// Parameter or setting overrides, as `--set` takes them.
    pub overrides: Vec<(String, String)>,
}

impl Model {
    /// The definition of `param` in force for `strategy`.
    pub fn definition(&self, strategy: StrategyId, param: ParamId) -> &Formula {
        let own = self.strategy(strategy).overrides.iter().find(|(p, _)| *p == param);
        match own {
            Some((_, formula)) => formula,
            None => &self.parameters[param.index()].definition,
        }
    }

    pub fn n_states(&self) -> usize {
        self.states.len()
    }

    /// Whether every living state has a utility, so QALYs can be reported.
    pub fn has_utilities(&self) -> bool {
        self.states.iter().all(|s| s.dead || s.utility.is_some())
    }

    /// The compared strategies.
    pub fn strategy_ids(&self) -> impl Iterator<Item = StrategyId> {
        (0..self.strategies.len()).map(StrategyId::new)
    }

    /// The compared strategies, then the arms.
    pub fn all_strategy_ids(&self) -> impl Iterator<Item = StrategyId> {
        (0..self.strategies.len() + self.arms.len()).map(StrategyId::new)
    }

    /// A compared strategy or an arm.
    pub fn strategy(&self, id: StrategyId) -> &Strategy {
        let n = self.strategies.len();
        if id.index() < n {
            &self.strategies[id.index()]
        } else {
            &self.arms[id.index() - n]
        }
    }

    /// The id of arm `k`.
    pub fn arm_id(&self, k: usize) -> StrategyId {
        StrategyId::new(self.strategies.len() + k)
    }

    /// Whether any strategy has a decision tree.
    pub fn has_trees(&self) -> bool {
        self.strategies.iter().any(|s| s.tree.is_some())
    }

    /// What compiled formulas of this model may read besides slots.
    pub fn env(&self) -> crate::formula::Env<'_> {
        crate::formula::Env { tables: &self.tables, curves: &self.curves }
    }

    pub fn param_by_name(&self, name: &str) -> Option<ParamId> {
        self.parameters.iter().position(|p| p.name == name).map(ParamId::new)
    }
}
