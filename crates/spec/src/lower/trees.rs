//! Decision trees in front of the model: lowering `tree:` (branches with probabilities, values
//! and leaves into arms) and expanding the `test_and_treat:` shorthand into the same tree.
//! Constant probabilities are checked here (each in [0, 1], each node's branches summing to 1);
//! formulas are checked at run time, at the branch that defines them.

use hta_model::{EntryValue, OneOff, Origin, Tree, TreeBranch};
use serde_saphyr::{Location, Spanned};

use super::structure::{constant_value, SUM_TOLERANCE};
use super::{Lowerer, Names};
use crate::diagnostic::span_of;
use crate::names::did_you_mean;
use crate::raw::{RawBranch, RawTestAndTreat, Scalar, SpannedMap};

/// The arm an arm copied by a leaf's `initial` was copied from (`tki_pos[branch]` ->
/// `tki_pos`); an arm's own name otherwise.
pub(super) fn base_arm(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// Branches still to lower: (branches of one node, their parent, depth).
type Pending<'a> = (&'a [Spanned<RawBranch>], Option<usize>, usize);

/// Deepest tree accepted (levels of `then`).
pub const MAX_TREE_DEPTH: usize = 64;
/// Most branches in one tree.
pub const MAX_TREE_BRANCHES: usize = 10_000;

fn origin_of(location: &Location) -> Origin {
    let span = span_of(location);
    Origin { offset: span.offset(), len: span.len() }
}

fn spanned<T>(value: T, at: &Location) -> Spanned<T> {
    Spanned::new(value, *at, *at)
}

/// `1 − x`, written as a formula at x's place in the file.
fn one_minus(x: &Spanned<Scalar>) -> Spanned<Scalar> {
    let value = match &x.value {
        Scalar::Number(v) => Scalar::Number(1.0 - v),
        Scalar::Text(t) => Scalar::Text(format!("1 - ({t})")),
    };
    spanned(value, &x.referenced)
}

fn text(x: &Scalar) -> String {
    match x {
        Scalar::Number(v) => v.to_string(),
        Scalar::Text(t) => format!("({t})"),
    }
}

fn complement(at: &Location) -> Spanned<Scalar> {
    spanned(Scalar::Text("C".into()), at)
}

fn leaf(name: &str, probability: Spanned<Scalar>, arm: &Spanned<String>) -> Spanned<RawBranch> {
    let at = probability.referenced;
    spanned(
        RawBranch {
            branch: spanned(name.to_string(), &at),
            probability,
            cost: SpannedMap::new(),
            qaly: None,
            arm: Some(arm.clone()),
            initial: None,
            end: None,
            then: None,
        },
        &at,
    )
}

fn node(
    name: &str,
    probability: Spanned<Scalar>,
    cost: SpannedMap<Spanned<Scalar>>,
    qaly: Option<Spanned<Scalar>>,
    then: Vec<Spanned<RawBranch>>,
) -> Spanned<RawBranch> {
    let at = probability.referenced;
    spanned(
        RawBranch {
            branch: spanned(name.to_string(), &at),
            probability,
            cost,
            qaly,
            arm: None,
            initial: None,
            end: None,
            then: Some(spanned(then, &at)),
        },
        &at,
    )
}

impl Lowerer<'_> {
    /// The tree of `test_and_treat`, as if written out under `tree:`.
    pub(super) fn expand_test_and_treat(
        &mut self,
        tt: &RawTestAndTreat,
        at: &Location,
        names: &Names,
    ) -> Option<Vec<Spanned<RawBranch>>> {
        if tt.tests.value.is_empty() {
            self.error("structure", &tt.tests.referenced, "`tests` lists no test", "empty list").help =
                Some("give at least one test: `tests: [{ sensitivity: ..., specificity: ..., cost: ... }]`".into());
            return None;
        }
        let category = match (&tt.cost_category, names.categories.index.keys().next()) {
            (Some(c), _) => c.clone(),
            (None, Some(first)) => spanned(first.clone(), at),
            (None, None) => {
                let costly = tt.tests.value.iter().any(|t| t.value.cost.is_some())
                    || tt.turnaround.as_ref().is_some_and(|w| w.cost_per_week.is_some());
                if costly {
                    self.error(
                        "missing",
                        at,
                        "test costs need a cost category, and the model has none",
                        "test_and_treat",
                    )
                    .help = Some("add `cost_categories: [tests, ...]` and `cost_category: tests`".into());
                    return None;
                }
                spanned(String::new(), at)
            }
        };
        let cost_of = |x: Option<&Spanned<Scalar>>| -> SpannedMap<Spanned<Scalar>> {
            let mut map = SpannedMap::new();
            if let Some(x) = x {
                map.insert(category.clone(), x.clone());
            }
            map
        };
        // Serial tests for one true status: positive on every test -> `all`, else `any_negative`.
        let tests = &tt.tests.value;
        let chain = |positive: bool, all: &Spanned<String>, any_negative: &Spanned<String>| {
            let mut then: Vec<Spanned<RawBranch>> = Vec::new();
            for (k, test) in tests.iter().enumerate().rev() {
                let t = &test.value;
                let label = t.name.clone().unwrap_or_else(|| format!("test_{}", k + 1));
                let p_positive = if positive { t.sensitivity.clone() } else { one_minus(&t.specificity) };
                let next_cost = tests.get(k + 1).and_then(|n| n.value.cost.as_ref());
                let positive_branch = if then.is_empty() {
                    leaf(&format!("{label}_positive"), p_positive, all)
                } else {
                    node(&format!("{label}_positive"), p_positive, cost_of(next_cost), None, then)
                };
                let negative_branch =
                    leaf(&format!("{label}_negative"), complement(&t.sensitivity.referenced), any_negative);
                then = vec![positive_branch, negative_branch];
            }
            then
        };
        let prevalence = &tt.prevalence;
        let tested_branches = vec![
            node(
                "biomarker_positive",
                prevalence.clone(),
                SpannedMap::new(),
                None,
                chain(true, &tt.true_positive, &tt.false_negative),
            ),
            node(
                "biomarker_negative",
                complement(&prevalence.referenced),
                SpannedMap::new(),
                None,
                chain(false, &tt.false_positive, &tt.true_negative),
            ),
        ];
        // Everyone tested pays the first test and waits for the result.
        let first_cost = tests[0].value.cost.clone();
        let (wait_cost, wait_qaly) = match &tt.turnaround {
            Some(w) => (
                w.cost_per_week.as_ref().map(|c| {
                    spanned(Scalar::Text(format!("{} * {}", text(&w.weeks.value), text(&c.value))), &c.referenced)
                }),
                w.qaly_loss_per_week.as_ref().map(|q| {
                    spanned(Scalar::Text(format!("-{} * {}", text(&w.weeks.value), text(&q.value))), &q.referenced)
                }),
            ),
            None => (None, None),
        };
        let tested_cost = match (first_cost, wait_cost) {
            (Some(a), Some(b)) => {
                Some(spanned(Scalar::Text(format!("{} + {}", text(&a.value), text(&b.value))), &a.referenced))
            }
            (a, b) => a.or(b),
        };
        let Some(tested) = &tt.tested else {
            return Some(vec![node(
                "tested",
                spanned(Scalar::Number(1.0), at),
                cost_of(tested_cost.as_ref()),
                wait_qaly,
                tested_branches,
            )]);
        };
        let (Some(untested_positive), Some(untested_negative)) = (&tt.untested_positive, &tt.untested_negative) else {
            self.error("missing", &tested.referenced, "with `tested`, say which arms the untested enter", "tested")
                .help = Some("add `untested_positive: <arm>` and `untested_negative: <arm>`".into());
            return None;
        };
        Some(vec![
            node("tested", tested.clone(), cost_of(tested_cost.as_ref()), wait_qaly, tested_branches),
            node(
                "untested",
                complement(&tested.referenced),
                SpannedMap::new(),
                None,
                vec![
                    leaf("biomarker_positive", prevalence.clone(), untested_positive),
                    leaf("biomarker_negative", complement(&prevalence.referenced), untested_negative),
                ],
            ),
        ])
    }

    /// Lowers a tree; `None` if it has errors (reported).
    pub(super) fn lower_tree(
        &mut self,
        root: &[Spanned<RawBranch>],
        at: &Location,
        names: &Names,
        strategy: &str,
        arms: &mut Vec<hta_model::Strategy>,
    ) -> Option<Tree> {
        let mut tree = Tree::default();
        let before = self.diagnostics.errors().count();
        if root.is_empty() {
            self.error("structure", at, format!("the tree of strategy `{strategy}` has no branches"), "empty tree");
            return None;
        }
        // (branches, parent, depth), depth first, parents before children.
        let mut stack: Vec<Pending<'_>> = vec![(root, None, 1)];
        while let Some((branches, parent, depth)) = stack.pop() {
            let first = branches.first().map_or(*at, |b| b.referenced);
            if depth > MAX_TREE_DEPTH {
                let message = format!("the tree of strategy `{strategy}` is more than {MAX_TREE_DEPTH} levels deep");
                self.error("too-large", &first, message, "too deep");
                return None;
            }
            if tree.branches.len() + branches.len() > MAX_TREE_BRANCHES {
                let message = format!("the tree of strategy `{strategy}` has more than {MAX_TREE_BRANCHES} branches");
                self.error("too-large", &first, message, "too many");
                return None;
            }
            if branches.is_empty() {
                self.error("structure", &first, "`then` lists no branches", "empty");
            }
            self.check_node(branches, strategy, names);
            for raw in branches.iter() {
                let b = &raw.value;
                let what = format!("branch `{}` in the tree of strategy `{strategy}`", b.branch.value);
                let probability = match &b.probability.value {
                    Scalar::Text(t) if t.trim() == "C" => Some(EntryValue::Complement),
                    _ => self
                        .formula(&b.probability, names, &format!("the probability of {what}"))
                        .map(EntryValue::Formula),
                };
                let values = OneOff {
                    costs: self.costs(&b.cost, names, &what),
                    qaly: b.qaly.as_ref().and_then(|q| self.formula(q, names, &format!("the QALYs of {what}"))),
                };
                let mut arm = b.arm.as_ref().and_then(|a| self.arm_ref(a, names));
                if let (Some(k), Some(initial)) = (arm, &b.initial) {
                    arm = self.arm_entered_at(k, initial, names, arms, &b.branch.value);
                } else if let (None, Some(initial)) = (&b.arm, &b.initial) {
                    self.error("structure", &initial.referenced, format!("{what} has `initial` but no arm"), "initial");
                }
                match (&b.then, &b.arm, b.end.as_ref().map(|e| e.value)) {
                    (Some(_), Some(a), _) => {
                        self.error(
                            "structure",
                            &a.referenced,
                            format!("{what} has further branches and an arm"),
                            "arm",
                        )
                        .help = Some("a branch either continues (`then`) or ends in an arm".into());
                    }
                    (Some(_), None, Some(true)) | (None, Some(_), Some(true)) => {
                        self.error(
                            "structure",
                            &b.branch.referenced,
                            format!("{what} says `end: true` but continues"),
                            "end",
                        )
                        .help = Some("`end: true` is for leaves whose values are the whole payoff".into());
                    }
                    (None, None, None | Some(false)) => {
                        self.error("structure", &b.branch.referenced, format!("{what} is a leaf without an arm"), "leaf").help =
                            Some("name the arm its patients enter (`arm: <name>`), or say `end: true` if its values are the whole payoff".into());
                    }
                    _ => {}
                }
                if let Some(EntryValue::Formula(f)) = &probability {
                    if let Some(v) = constant_value(f) {
                        if !(0.0..=1.0).contains(&v) {
                            self.error(
                                "probability",
                                &b.probability.referenced,
                                format!("the probability of {what} is {v}"),
                                "not in [0, 1]",
                            );
                        }
                    }
                }
                tree.branches.push(TreeBranch {
                    name: b.branch.value.clone(),
                    parent,
                    probability: probability.unwrap_or(EntryValue::Complement),
                    values,
                    arm,
                    origin: origin_of(&b.probability.referenced),
                });
                if let Some(then) = &b.then {
                    stack.push((then.value.as_slice(), Some(tree.branches.len() - 1), depth + 1));
                }
            }
        }
        (self.diagnostics.errors().count() == before).then_some(tree)
    }

    /// The branches from one node: names distinct, at most one complement, constant
    /// probabilities summing to 1.
    fn check_node(&mut self, branches: &[Spanned<RawBranch>], strategy: &str, names: &Names) {
        let Some(first) = branches.first() else { return };
        let mut seen: Vec<&str> = Vec::new();
        let mut complements = 0;
        let mut sum = 0.0;
        let mut all_constant = true;
        for b in branches {
            let name = b.value.branch.value.as_str();
            if seen.contains(&name) {
                self.error(
                    "duplicate-name",
                    &b.value.branch.referenced,
                    format!("two branches named `{name}` at one node"),
                    "repeated",
                );
            }
            seen.push(name);
            match &b.value.probability.value {
                Scalar::Text(t) if t.trim() == "C" => complements += 1,
                Scalar::Number(v) => sum += v,
                Scalar::Text(t) => {
                    // A formula without names (e.g. `1/3`) is a constant; names compile to NaN here.
                    let env = hta_model::formula::Env::EMPTY;
                    let value = hta_model::formula::parse(t)
                        .ok()
                        .and_then(|e| hta_model::formula::compile(&e, &env).constant())
                        .filter(|v| v.is_finite());
                    match value {
                        Some(v) if names.params.get(t.trim()).is_none() => sum += v,
                        _ => all_constant = false,
                    }
                }
            }
        }
        if complements > 1 {
            self.error(
                "probability",
                &first.value.probability.referenced,
                format!("{complements} branches at one node of strategy `{strategy}`'s tree are `C`"),
                "node",
            )
            .help = Some("at most one branch per node may be the complement of the others".into());
        } else if all_constant && complements == 0 && (sum - 1.0).abs() > SUM_TOLERANCE {
            let names: Vec<&str> = branches.iter().map(|b| b.value.branch.value.as_str()).collect();
            self.error(
                "probability",
                &first.value.probability.referenced,
                format!("the branches {} of strategy `{strategy}`'s tree sum to {sum}, not 1", names.join(", ")),
                "node",
            )
            .help = Some("make one of them `C` (one minus the others), or correct the probabilities".into());
        } else if all_constant && complements == 1 && sum > 1.0 + SUM_TOLERANCE {
            self.error(
                "probability",
                &first.value.probability.referenced,
                format!("the branches of one node of strategy `{strategy}`'s tree sum to {sum} before the complement"),
                "node",
            );
        }
    }

    /// The arm `k` entered with another initial distribution: a copy of the arm with that
    /// distribution (one per distinct distribution), appended to `arms`.
    fn arm_entered_at(
        &mut self,
        k: usize,
        initial: &Spanned<SpannedMap<Spanned<f64>>>,
        names: &Names,
        arms: &mut Vec<hta_model::Strategy>,
        branch: &str,
    ) -> Option<usize> {
        let base = arms.get(k)?;
        if !base.curves.is_empty() {
            let message =
                format!("arm `{}` is a partitioned survival arm: everyone enters it in the first state", base.name);
            self.error("structure", &initial.referenced, message, "initial").help =
                Some("remove `initial` from the branch".into());
            return None;
        }
        let distribution = self.initial(&initial.value, &initial.referenced, names)?;
        // The base arm itself, or an earlier copy, may already start this way.
        if let Some(existing) = arms.iter().position(|a| base_arm(&a.name) == base.name && a.initial == distribution) {
            return Some(existing);
        }
        let mut derived = base.clone();
        // Arm names cannot hold `[` (naming rules), so the copy's name leads back to its base.
        derived.name = format!("{}[{branch}]", base.name);
        derived.initial = distribution;
        arms.push(derived);
        Some(arms.len() - 1)
    }

    fn arm_ref(&mut self, name: &Spanned<String>, names: &Names) -> Option<usize> {
        if let Some(k) = names.arms.get(&name.value) {
            return Some(k);
        }
        let help = if names.strategies.get(&name.value).is_some() {
            format!("`{}` is a compared strategy; leaves lead into arms, listed under `arms:`", name.value)
        } else {
            did_you_mean(names.arms.suggest(&name.value)).unwrap_or_else(|| {
                format!(
                    "arms: {}",
                    if names.arms.len() == 0 { "(none: add `arms:`)".to_string() } else { names.arms.listing() }
                )
            })
        };
        self.error("unknown-name", &name.referenced, format!("unknown arm `{}`", name.value), "unknown arm").help =
            Some(help);
        None
    }
}
