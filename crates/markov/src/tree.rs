//! Decision trees in front of the model. A [`TreeProgram`] compiles a strategy's tree once (its
//! branch probabilities and values, and the parameters they read); [`TreeProgram::evaluate`]
//! turns it into numbers at model start for one parameter set, checking every probability and
//! every node's sum; [`compose`] and [`compose_totals`] then weight the arms' results by the
//! share of the cohort each receives and add the tree's one-off values. Both engines (Markov and
//! partitioned survival) use it, so a tree works the same in front of either.

use hta_model::formula::{compile, CompiledExpr, SlotLayout, TimeVar};
use hta_model::{EntryValue, Model, ParamId, StrategyId};

use crate::error::{Problem, RunErrors};
use crate::program::ValueLayout;
use crate::resolve::ROW_TOLERANCE;
use crate::run::{StrategyResult, Totals};
use crate::sources::{BySource, Source};

/// A strategy's decision tree, compiled.
pub struct TreeProgram {
    strategy: StrategyId,
    layout: ValueLayout,
    n_arms: usize,
    /// Parameters the tree reads (directly or through other parameters), in evaluation order,
    /// with their compiled definitions.
    params: Vec<(ParamId, CompiledExpr)>,
    n_params: usize,
    start_age: Option<f64>,
    cycle_years: f64,
    branches: Vec<CompiledBranch>,
    /// The branches from each node (`None`: the root), in the order nodes first appear.
    nodes: Vec<(Option<usize>, Vec<usize>)>,
}

struct CompiledBranch {
    parent: Option<usize>,
    /// `None`: the complement of the siblings.
    probability: Option<CompiledExpr>,
    /// (value slot, formula): costs by category, QALYs.
    values: Vec<(usize, CompiledExpr)>,
    arm: Option<usize>,
}

/// A tree evaluated for one parameter set.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeValues {
    /// Share of the cohort entering each arm (by index into `Model::arms`).
    pub arm_weights: Vec<f64>,
    /// Per person, charged at model start, by value slot ([`ValueLayout`]).
    pub start_values: Vec<f64>,
    /// Probability of reaching each branch (the product along its path).
    pub reach: Vec<f64>,
    /// Per person taking each branch, its own one-off values by value slot (`n_branches x
    /// width`); empty unless asked for ([`leaf_payoffs`] asks; a draw of a PSA does not).
    pub branch_values: Vec<f64>,
}

/// What a drawn tree shows at its branches and leaves, for one run of the base case.
#[derive(Debug, Clone, PartialEq)]
pub struct TreePayoffs {
    pub layout: ValueLayout,
    /// Probability of reaching each branch.
    pub reach: Vec<f64>,
    /// Per leaf, what a person taking it gets by value slot, discounted: the one-off values
    /// along its path plus the totals of the arm it enters (nothing more for a leaf that ends
    /// the tree). `None` for inner branches.
    pub payoffs: Vec<Option<Vec<f64>>>,
}

impl TreePayoffs {
    /// A leaf's discounted cost over all categories.
    pub fn cost(&self, branch: usize) -> Option<f64> {
        let p = self.payoffs.get(branch)?.as_ref()?;
        Some(p[..self.layout.n_categories].iter().sum::<f64>() + 0.0)
    }

    /// A leaf's discounted value of slot `slot` (QALY or life-years).
    pub fn value(&self, branch: usize, slot: usize) -> Option<f64> {
        Some(self.payoffs.get(branch)?.as_ref()?[slot])
    }
}

/// The payoffs at the leaves of `strategy`'s tree (`None` if it has none): evaluates the tree
/// and runs the arms its leaves enter.
pub fn leaf_payoffs(model: &Model, strategy: StrategyId) -> Option<Result<TreePayoffs, RunErrors>> {
    let tree = model.strategy(strategy).tree.as_ref()?;
    let program = TreeProgram::new(model, strategy)?;
    Some(program.evaluate_keeping(&[], true).and_then(|values| {
        let (layout, width) = (program.layout, program.layout.width());
        let mut arms: Vec<Option<Totals>> = vec![None; model.arms.len()];
        let mut payoffs = vec![None; tree.branches.len()];
        for (i, b) in tree.branches.iter().enumerate() {
            if !tree.is_leaf(i) {
                continue;
            }
            let mut payoff = vec![0.0; width];
            let mut at = Some(i);
            while let Some(j) = at {
                for (slot, value) in payoff.iter_mut().zip(&values.branch_values[j * width..(j + 1) * width]) {
                    *slot += value;
                }
                at = tree.branches[j].parent;
            }
            if let Some(arm) = b.arm {
                if arms[arm].is_none() {
                    let arm_program = crate::program::Program::new(model, model.arm_id(arm));
                    arms[arm] = Some(crate::run::run_totals(model, &arm_program, &[])?);
                }
                if let Some(totals) = &arms[arm] {
                    for (slot, value) in payoff.iter_mut().zip(&totals.discounted) {
                        *slot += value;
                    }
                }
            }
            payoffs[i] = Some(payoff);
        }
        Ok(TreePayoffs { layout, reach: values.reach, payoffs })
    }))
}

impl TreeProgram {
    /// Compiles the tree of `strategy`; `None` if it has none.
    pub fn new(model: &Model, strategy: StrategyId) -> Option<TreeProgram> {
        let tree = model.strategy(strategy).tree.as_ref()?;
        let env = model.env();
        let layout = ValueLayout { n_categories: model.categories.len() };
        let n_params = model.parameters.len();
        // The parameters the tree reads, then everything those read.
        let mut needed = vec![false; n_params];
        let mut stack: Vec<ParamId> = Vec::new();
        for b in &tree.branches {
            if let EntryValue::Formula(f) = &b.probability {
                stack.extend(f.expr.params());
            }
            for (_, f) in &b.values.costs {
                stack.extend(f.expr.params());
            }
            stack.extend(b.values.qaly.iter().flat_map(|f| f.expr.params()));
        }
        while let Some(p) = stack.pop() {
            if !needed[p.index()] {
                needed[p.index()] = true;
                stack.extend(model.definition(strategy, p).expr.params());
            }
        }
        let reads: Vec<Vec<ParamId>> =
            (0..n_params).map(|p| model.definition(strategy, ParamId::new(p)).expr.params().collect()).collect();
        let order = hta_model::dependency::evaluation_order(&reads).unwrap_or_default();
        let params = order
            .into_iter()
            .filter(|p| needed[p.index()])
            .map(|p| (p, compile(&model.definition(strategy, p).expr, &env)))
            .collect();
        let branches = tree
            .branches
            .iter()
            .map(|b| CompiledBranch {
                parent: b.parent,
                probability: match &b.probability {
                    EntryValue::Formula(f) => Some(compile(&f.expr, &env)),
                    EntryValue::Complement => None,
                },
                values: b
                    .values
                    .costs
                    .iter()
                    .map(|(c, f)| (c.index(), compile(&f.expr, &env)))
                    .chain(b.values.qaly.iter().map(|f| (layout.qaly(), compile(&f.expr, &env))))
                    .collect(),
                arm: b.arm,
            })
            .collect();
        let mut nodes: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
        for (i, b) in tree.branches.iter().enumerate() {
            match nodes.iter_mut().find(|(parent, _)| *parent == b.parent) {
                Some((_, siblings)) => siblings.push(i),
                None => nodes.push((b.parent, vec![i])),
            }
        }
        Some(TreeProgram {
            strategy,
            nodes,
            layout,
            n_arms: model.arms.len(),
            params,
            n_params,
            start_age: model.settings.start_age,
            cycle_years: model.settings.cycle_years,
            branches,
        })
    }

    /// The tree's numbers for one parameter set (`pins` fix parameter values, as in a
    /// sensitivity analysis). Problems are reported at model start (cycle 0).
    pub fn evaluate(&self, pins: &[(ParamId, f64)]) -> Result<TreeValues, RunErrors> {
        self.evaluate_keeping(pins, false)
    }

    /// As [`TreeProgram::evaluate`], keeping each branch's own values if `keep`.
    fn evaluate_keeping(&self, pins: &[(ParamId, f64)], keep: bool) -> Result<TreeValues, RunErrors> {
        let mut errors = RunErrors::default();
        let record =
            |errors: &mut RunErrors, problem: Problem| errors.record(self.strategy, 0, self.start_age, problem);
        let mut slots = vec![0.0; SlotLayout::len(self.n_params)];
        slots[SlotLayout::time(TimeVar::Age)] = self.start_age.unwrap_or(f64::NAN);
        slots[SlotLayout::time(TimeVar::CycleYears)] = self.cycle_years;
        for (p, expr) in &self.params {
            let value = match pins.iter().find(|(q, _)| q == p) {
                Some((_, v)) => *v,
                None => expr.eval(&slots),
            };
            if !value.is_finite() {
                record(&mut errors, Problem::Parameter { param: *p, value });
            }
            slots[SlotLayout::param(*p)] = value;
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Probabilities given the parent: formulas first, then complements.
        let n = self.branches.len();
        let mut probability: Vec<f64> =
            self.branches.iter().map(|b| b.probability.as_ref().map_or(f64::NAN, |e| e.eval(&slots))).collect();
        for (parent, siblings) in &self.nodes {
            let parent = *parent;
            let given: f64 =
                siblings.iter().filter(|&&i| self.branches[i].probability.is_some()).map(|&i| probability[i]).sum();
            for &i in siblings {
                if self.branches[i].probability.is_none() {
                    let rest = 1.0 - given;
                    // Rounding may take an exact complement a hair below zero.
                    probability[i] = if rest < 0.0 && rest > -ROW_TOLERANCE { 0.0 } else { rest };
                }
                if !(0.0..=1.0).contains(&probability[i]) {
                    record(&mut errors, Problem::TreeProbability { branch: i, value: probability[i] });
                }
            }
            let sum: f64 = siblings.iter().map(|&i| probability[i]).sum();
            if sum.is_finite() && (sum - 1.0).abs() > ROW_TOLERANCE {
                record(&mut errors, Problem::TreeSum { parent, sum });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut reach = vec![0.0; n];
        let mut arm_weights = vec![0.0; self.n_arms];
        let width = self.layout.width();
        let mut start_values = vec![0.0; width];
        let mut branch_values = vec![0.0; if keep { n * width } else { 0 }];
        for (i, b) in self.branches.iter().enumerate() {
            reach[i] = b.parent.map_or(1.0, |p| reach[p]) * probability[i];
            for (slot, expr) in &b.values {
                let value = expr.eval(&slots);
                if !value.is_finite() {
                    record(&mut errors, Problem::TreeValue { branch: i, slot: *slot, value });
                }
                start_values[*slot] += reach[i] * value;
                if keep {
                    branch_values[i * width + slot] += value;
                }
            }
            if let Some(arm) = b.arm {
                arm_weights[arm] += reach[i];
            }
        }
        if errors.is_empty() {
            Ok(TreeValues { arm_weights, start_values, reach, branch_values })
        } else {
            Err(errors)
        }
    }
}

/// The result of a tree strategy: the arms' results weighted by the share each receives, plus
/// the tree's values at model start (row 0, undiscounted and uncorrected like `at_start`).
pub fn compose(strategy: StrategyId, model: &Model, values: &TreeValues, arms: &[StrategyResult]) -> StrategyResult {
    let n = model.settings.n_cycles;
    let n_states = model.states.len();
    let layout = ValueLayout { n_categories: model.categories.len() };
    let width = layout.width();
    let mut result = StrategyResult {
        strategy,
        n_cycles: n,
        n_states,
        layout,
        trace: vec![0.0; (n + 1) * n_states],
        undiscounted: vec![0.0; (n + 1) * width],
        discounted: vec![0.0; (n + 1) * width],
        // Kept if every arm kept its own.
        by_source: arms.iter().all(|a| a.by_source.is_some()).then(|| BySource::new(layout, n_states)),
    };
    for (arm, weight) in arms.iter().zip(&values.arm_weights) {
        if *weight == 0.0 {
            continue;
        }
        let add = |into: &mut [f64], from: &[f64]| into.iter_mut().zip(from).for_each(|(a, b)| *a += weight * b);
        add(&mut result.trace, &arm.trace);
        add(&mut result.undiscounted, &arm.undiscounted);
        add(&mut result.discounted, &arm.discounted);
        if let (Some(into), Some(from)) = (result.by_source.as_mut(), &arm.by_source) {
            into.add_weighted(from, *weight);
        }
    }
    for (slot, value) in values.start_values.iter().enumerate() {
        result.undiscounted[slot] += value;
        result.discounted[slot] += value;
        if let Some(into) = result.by_source.as_mut() {
            into.add(Source::AtStart, slot, *value, *value);
        }
    }
    result
}

/// As [`compose`], for totals only (sensitivity analyses).
pub fn compose_totals(values: &TreeValues, arms: &[Totals], layout: ValueLayout) -> Totals {
    let width = layout.width();
    let mut totals = Totals { layout, undiscounted: vec![0.0; width], discounted: vec![0.0; width] };
    for (arm, weight) in arms.iter().zip(&values.arm_weights) {
        for slot in 0..width {
            totals.undiscounted[slot] += weight * arm.undiscounted[slot];
            totals.discounted[slot] += weight * arm.discounted[slot];
        }
    }
    for (slot, value) in values.start_values.iter().enumerate() {
        totals.undiscounted[slot] += value;
        totals.discounted[slot] += value;
    }
    totals
}
