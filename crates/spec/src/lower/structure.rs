//! States, transition rows, transition values and strategies.

use hta_model::{
    CategoryId, EntryValue, Formula, OneOff, Origin, ParamId, State, StateId, Strategy, TransitionEntry, TransitionRow,
    TransitionValue,
};
use serde_saphyr::{Location, Spanned};

use super::{Lowerer, Names};
use crate::diagnostic::span_of;
use crate::names::did_you_mean;
use crate::raw::{RawModel, RawOneOff, Scalar, SpannedMap};

/// Tolerance on a row or an initial distribution summing to 1.
pub const SUM_TOLERANCE: f64 = 1e-9;

type RawRows = SpannedMap<Spanned<SpannedMap<Spanned<Scalar>>>>;

/// What strategies share unless they give their own.
struct Shared {
    rows: Vec<TransitionRow>,
    curves: Option<Vec<hta_model::CurveId>>,
    initial: Option<Option<Vec<f64>>>,
}

fn origin_of(location: &Location) -> Origin {
    let span = span_of(location);
    Origin { offset: span.offset(), len: span.len() }
}

fn names_dead(names: &Names, state: usize) -> bool {
    names.dead_states.get(state).copied().unwrap_or(false)
}

/// The value of a formula that reads no parameter, time variable or table.
pub(super) fn constant_value(f: &Formula) -> Option<f64> {
    if f.expr.references().is_empty() && !has_names(&f.expr) {
        hta_model::formula::compile(&f.expr, &hta_model::formula::Env::EMPTY).constant()
    } else {
        None
    }
}

fn has_names(expr: &hta_model::formula::Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |node| found |= matches!(node.kind, hta_model::formula::ExprKind::Name(_)));
    found
}

impl Lowerer<'_> {
    fn state_ref(&mut self, name: &Spanned<String>, names: &Names, role: &str) -> Option<StateId> {
        match names.states.get(&name.value) {
            Some(i) => Some(StateId::new(i)),
            None => {
                let help = did_you_mean(names.states.suggest(&name.value))
                    .unwrap_or_else(|| format!("states: {}", names.states.listing()));
                self.error("unknown-name", &name.referenced, format!("unknown state `{}`", name.value), role).help =
                    Some(help);
                None
            }
        }
    }

    pub(super) fn costs(
        &mut self,
        costs: &SpannedMap<Spanned<Scalar>>,
        names: &Names,
        owner: &str,
    ) -> Vec<(CategoryId, Formula)> {
        let mut out = Vec::new();
        for (category, value) in costs {
            let Some(c) = names.categories.get(&category.value) else {
                let help = did_you_mean(names.categories.suggest(&category.value)).unwrap_or_else(|| {
                    if names.categories.len() == 0 {
                        "declare cost categories in `cost_categories: [...]`".into()
                    } else {
                        format!("cost categories: {}", names.categories.listing())
                    }
                });
                self.error(
                    "unknown-name",
                    &category.referenced,
                    format!("unknown cost category `{}`", category.value),
                    "cost category",
                )
                .help = Some(help);
                continue;
            };
            if let Some(f) = self.formula(value, names, &format!("the {} cost of {owner}", category.value)) {
                out.push((CategoryId::new(c), f));
            }
        }
        out
    }

    fn one_off(&mut self, raw: &RawOneOff, names: &Names, owner: &str) -> OneOff {
        OneOff {
            costs: self.costs(&raw.cost, names, owner),
            qaly: raw.qaly.as_ref().and_then(|q| self.formula(q, names, &format!("the QALYs of {owner}"))),
        }
    }

    pub fn lower_states(&mut self, raw: &RawModel, names: &Names) -> Vec<State> {
        let needs_utility = !matches!(raw.settings.effect, Some(crate::raw::EffectName::LifeYears));
        raw.states
            .iter()
            .map(|(name, spanned)| {
                let s = &spanned.value;
                let owner = format!("state `{}`", name.value);
                let utility =
                    s.utility.as_ref().and_then(|u| self.formula(u, names, &format!("the utility of {owner}")));
                if needs_utility && !s.dead && s.utility.is_none() {
                    self.error(
                        "missing",
                        &name.referenced,
                        format!("state `{}` has no utility, and the effect measure is QALYs", name.value),
                        "this state",
                    )
                    .help = Some("add `utility:` to the state, or set `settings.effect: life_years`".into());
                }
                if s.dead {
                    if let Some(u) = s.utility.as_ref().or(s.life_years.as_ref()) {
                        self.error("dead-state", &u.referenced, format!("state `{}` is dead: it has no utility or life-year weight", name.value), "remove this")
                            .help = Some("a dead state counts 0 QALYs and 0 life-years; costs such as terminal care belong on the transition into it".into());
                    }
                }
                let life_years = match &s.life_years {
                    Some(w) => self.formula(w, names, &format!("the life-year weight of {owner}")),
                    None => Some(Formula::constant(if s.dead { 0.0 } else { 1.0 })),
                };
                let track_cycles = s.track_cycles.as_ref().and_then(|n| self.track_cycles(n, &name.value));
                State {
                    name: name.value.clone(),
                    label: s.label.clone(),
                    dead: s.dead,
                    track_cycles,
                    costs: self.costs(&s.cost, names, &owner),
                    utility,
                    life_years: life_years.unwrap_or_else(|| Formula::constant(f64::NAN)),
                    origin: origin_of(&name.referenced),
                }
            })
            .collect()
    }

    fn track_cycles(&mut self, n: &Spanned<f64>, state: &str) -> Option<usize> {
        use hta_model::settings::limits::MAX_EXPANDED_STATES;
        let v = n.value;
        if !(v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= MAX_EXPANDED_STATES as f64) {
            self.error(
                "out-of-range",
                &n.referenced,
                format!(
                    "track_cycles of state `{state}` must be a whole number from 1 to {MAX_EXPANDED_STATES}, found {v}"
                ),
                "cycles of time in state",
            );
            return None;
        }
        Some(v as usize)
    }

    pub fn lower_transition_values(&mut self, raw: &RawModel, names: &Names) -> Vec<TransitionValue> {
        let mut out = Vec::new();
        for spanned in &raw.transition_values {
            let t = &spanned.value;
            let from = match &t.from {
                Some(f) => match self.state_ref(f, names, "from-state") {
                    Some(id) => Some(id),
                    None => continue,
                },
                None => None,
            };
            let Some(to) = self.state_ref(&t.to, names, "to-state") else { continue };
            if from == Some(to) {
                self.error(
                    "transition-value",
                    &t.to.referenced,
                    format!("a transition value from `{}` to itself is never charged", t.to.value),
                    "same as from",
                )
                .help = Some(
                    "transition values are charged on moves between states; use the state's cost for staying".into(),
                );
                continue;
            }
            let owner = match &t.from {
                Some(f) => format!("the transition {} -> {}", f.value, t.to.value),
                None => format!("entering `{}`", t.to.value),
            };
            let values = self.one_off(&RawOneOff { cost: t.cost.clone(), qaly: t.qaly.clone() }, names, &owner);
            out.push(TransitionValue { from, to, values, origin: origin_of(&spanned.referenced) });
        }
        out
    }

    /// Rows given in a `transitions` map (shared or a strategy's own).
    fn rows(&mut self, rows: &RawRows, names: &Names, owner: &str) -> Vec<TransitionRow> {
        let mut out = Vec::new();
        for (from_name, row) in rows {
            let Some(from) = self.state_ref(from_name, names, "from-state") else { continue };
            let mut entries = Vec::new();
            let mut complements: Vec<Location> = Vec::new();
            let mut all_valid = true;
            for (to_name, value) in &row.value {
                let Some(to) = self.state_ref(to_name, names, "to-state") else { continue };
                let what = format!("the probability {} -> {}{owner}", from_name.value, to_name.value);
                let value = match &value.value {
                    Scalar::Text(t) if t.trim() == "C" => {
                        complements.push(value.referenced);
                        EntryValue::Complement
                    }
                    _ => match self.formula(value, names, &what) {
                        Some(f) => {
                            all_valid &= self.check_literal_probability(&f, &value.referenced, &what);
                            EntryValue::Formula(f)
                        }
                        None => {
                            all_valid = false;
                            continue;
                        }
                    },
                };
                entries.push(TransitionEntry { to, value, origin: origin_of(&to_name.referenced) });
            }
            if complements.len() > 1 {
                self.error(
                    "complement",
                    &complements[1],
                    format!(
                        "row `{}`{owner} has {} complements `C`; at most one is allowed",
                        from_name.value,
                        complements.len()
                    ),
                    "second complement",
                );
            }
            if all_valid {
                self.check_literal_row(&entries, &from_name.value, &row.referenced, owner);
            }
            out.push(TransitionRow { from, entries, origin: origin_of(&from_name.referenced) });
        }
        out
    }

    /// Returns false if the entry is a constant outside [0, 1] (reported).
    fn check_literal_probability(&mut self, f: &Formula, at: &Location, what: &str) -> bool {
        match constant_value(f) {
            Some(p) if !(0.0..=1.0).contains(&p) => {
                self.error("probability", at, format!("{what} is {p}, outside [0, 1]"), "not a probability");
                false
            }
            _ => true,
        }
    }

    /// A row whose entries are all numbers must sum to 1 (or to at most 1 with a complement).
    fn check_literal_row(&mut self, entries: &[TransitionEntry], from: &str, at: &Location, owner: &str) {
        let mut sum = 0.0;
        let mut complement = false;
        for entry in entries {
            match &entry.value {
                EntryValue::Complement => complement = true,
                EntryValue::Formula(f) => match constant_value(f) {
                    Some(p) => sum += p,
                    None => return,
                },
            }
        }
        if complement && sum > 1.0 + SUM_TOLERANCE {
            self.error("row-sum", at, format!("the probabilities out of `{from}`{owner} sum to {sum} before the complement, which would be negative"), "this row");
        } else if !complement && (sum - 1.0).abs() > SUM_TOLERANCE {
            self.error(
                "row-sum",
                at,
                format!("the probabilities out of `{from}`{owner} sum to {sum}, not 1"),
                "this row",
            )
            .help = Some("fix the values, or write `C` for the entry that takes the rest".into());
        }
    }

    pub(super) fn initial(
        &mut self,
        initial: &SpannedMap<Spanned<f64>>,
        at: &Location,
        names: &Names,
    ) -> Option<Vec<f64>> {
        let mut distribution = vec![0.0; names.states.len()];
        let mut ok = true;
        for (state, share) in initial {
            let Some(s) = self.state_ref(state, names, "state") else {
                ok = false;
                continue;
            };
            if !(share.value.is_finite() && share.value >= 0.0) {
                ok = false;
                self.error(
                    "out-of-range",
                    &share.referenced,
                    format!(
                        "the initial share of `{}` must be a non-negative number, found {}",
                        state.value, share.value
                    ),
                    "initial share",
                );
            }
            distribution[s.index()] = share.value;
        }
        let sum: f64 = distribution.iter().sum();
        if ok && (sum - 1.0).abs() > SUM_TOLERANCE {
            ok = false;
            self.error(
                "initial-sum",
                at,
                format!("the initial distribution sums to {sum}, not 1"),
                "initial distribution",
            )
            .help = Some("give proportions of the cohort, e.g. `{ healthy: 1 }`".into());
        }
        ok.then_some(distribution)
    }

    pub fn lower_strategies(&mut self, raw: &RawModel, names: &Names) -> Option<(Vec<Strategy>, Vec<Strategy>)> {
        let partitioned = raw.partitioned_survival.as_ref();
        if let (Some(_), Some((first, _))) = (partitioned, raw.transitions.first()) {
            self.error(
                "structure",
                &first.referenced,
                "a partitioned survival model has no transition matrix",
                "transitions",
            )
            .help = Some("remove `transitions:`, or remove `partitioned_survival:` to make a Markov model".into());
        }
        let any_rows = !raw.transitions.is_empty()
            || raw.strategies.values().chain(raw.arms.values()).any(|s| !s.value.transitions.is_empty());
        if partitioned.is_none() && !any_rows {
            self.error(
                "missing",
                &raw.format_version.referenced,
                "the model has no `transitions:` (Markov) or `partitioned_survival:`",
                "this model",
            );
        }
        let shared_curves = partitioned.map(|p| self.curve_list(&p.value.curves, &p.referenced, names));
        if let (Some(_), Some((first, _))) = (partitioned, raw.cohort.as_ref().and_then(|c| c.initial.first())) {
            self.error(
                "structure",
                &first.referenced,
                "a partitioned survival model starts everyone in the first state; `initial` does not apply",
                "initial",
            )
            .help = Some("remove `initial:`; occupancy comes from the curves (S(0) = 1)".into());
        }
        let shared = self.rows(&raw.transitions, names, "");
        let shared_initial: Option<Option<Vec<f64>>> = raw.cohort.as_ref().filter(|c| !c.initial.is_empty()).map(|c| {
            let at = c.initial.keys().next().map(|k| k.referenced).unwrap_or(raw.format_version.referenced);
            self.initial(&c.initial, &at, names)
        });
        let shared = Shared { rows: shared, curves: shared_curves, initial: shared_initial };
        // Arms first: trees refer to them (and may add copies entered in other states).
        let mut arms = Vec::new();
        for (name, spanned) in &raw.arms {
            let arm = self.lower_strategy(name, &spanned.value, names, &shared, &mut Vec::new(), true);
            arms.push(arm);
        }
        let mut strategies = Vec::new();
        for (name, spanned) in &raw.strategies {
            strategies.push(self.lower_strategy(name, &spanned.value, names, &shared, &mut arms, false));
        }
        if !arms.is_empty()
            && !raw.strategies.values().any(|s| s.value.tree.is_some() || s.value.test_and_treat.is_some())
        {
            let first = raw.arms.keys().next().map(|k| k.referenced).unwrap_or(raw.format_version.referenced);
            self.error(
                "structure",
                &first,
                "`arms` are only run as leaves of decision trees, and no strategy has a tree",
                "arm",
            )
            .help = Some("add `tree:` or `test_and_treat:` to a strategy, or move the arms to `strategies:`".into());
        } else {
            // An arm no leaf enters is run for nothing: probably a misspelt or forgotten leaf.
            // Entering a copy (a leaf with `initial`) uses the arm it was copied from.
            let entered: Vec<&str> = strategies
                .iter()
                .flat_map(|s| s.tree.iter().flat_map(|t| t.branches.iter().filter_map(|b| b.arm)))
                .filter_map(|k| arms.get(k))
                .map(|a| super::trees::base_arm(&a.name))
                .collect();
            for (name, _) in &raw.arms {
                if !entered.contains(&name.value.as_str()) {
                    let message = format!("arm `{}` is not entered by any decision-tree leaf", name.value);
                    self.warning("unused-arm", &name.referenced, message, "never entered");
                }
            }
        }
        (!self.diagnostics.has_errors()).then_some((strategies, arms))
    }

    /// One strategy or arm. A strategy with a decision tree has no rows, initial distribution
    /// or curves of its own (its arms have them).
    fn lower_strategy(
        &mut self,
        name: &Spanned<String>,
        s: &crate::raw::RawStrategy,
        names: &Names,
        shared: &Shared,
        arms: &mut Vec<Strategy>,
        is_arm: bool,
    ) -> Strategy {
        let kind = if is_arm { "arm" } else { "strategy" };
        let owner = format!(" in {kind} `{}`", name.value);
        let overrides = self.overrides(&s.parameters, names, &name.value);
        let tree_raw = match (&s.tree, &s.test_and_treat) {
            (Some(t), Some(tt)) => {
                self.error(
                    "structure",
                    &tt.referenced,
                    "a strategy has either `tree` or `test_and_treat`, not both",
                    "second tree",
                )
                .help = Some("`test_and_treat` is a shorthand that expands into a tree".into());
                Some(std::borrow::Cow::Borrowed(&t.value))
            }
            (Some(t), None) => Some(std::borrow::Cow::Borrowed(&t.value)),
            (None, Some(tt)) => {
                self.expand_test_and_treat(&tt.value, &tt.referenced, names).map(std::borrow::Cow::Owned)
            }
            (None, None) => None,
        };
        if let Some(tree_raw) = tree_raw {
            let at = s.tree.as_ref().map(|t| t.referenced).or(s.test_and_treat.as_ref().map(|t| t.referenced));
            let at = at.unwrap_or(name.referenced);
            if is_arm {
                self.error(
                    "structure",
                    &at,
                    format!("arm `{}` has a decision tree; trees lead into arms, not the other way", name.value),
                    "tree in an arm",
                )
                .help = Some(
                    "move this strategy to `strategies:`; arms are plain Markov or partitioned survival strategies"
                        .into(),
                );
            }
            let own_model = s
                .transitions
                .keys()
                .next()
                .map(|k| (k.referenced, "transitions"))
                .or(s.initial.as_ref().map(|i| (i.referenced, "initial")))
                .or(s.curves.as_ref().map(|c| (c.referenced, "curves")));
            if let Some((location, key)) = own_model {
                self.error(
                    "structure",
                    &location,
                    format!("strategy `{}` has a decision tree, so `{key}` belongs to its arms", name.value),
                    key,
                )
                .help = Some("give each arm its own transitions, initial distribution or curves under `arms:`".into());
            }
            if s.at_start.is_some() {
                self.error(
                    "structure",
                    &at,
                    format!("strategy `{}` has a decision tree and `at_start`", name.value),
                    "tree",
                )
                .help = Some(
                    "put one-off values on the tree's branches (`cost:`, `qaly:`), or in the arms' `at_start`".into(),
                );
            }
            let tree = self.lower_tree(&tree_raw, &at, names, &name.value, arms);
            let at_start = OneOff::default();
            return Strategy {
                name: name.value.clone(),
                label: s.label.clone(),
                overrides,
                rows: Vec::new(),
                initial: Vec::new(),
                at_start,
                curves: Vec::new(),
                tree,
                origin: origin_of(&name.referenced),
            };
        }
        let own_rows = self.rows(&s.transitions, names, &owner);
        let (rows, curves) = match (&shared.curves, &s.curves) {
            (Some(shared_curves), own) => {
                if let Some((first, _)) = s.transitions.first() {
                    self.error(
                        "structure",
                        &first.referenced,
                        "a partitioned survival model has no transition rows",
                        "transitions",
                    );
                }
                let curves = match own {
                    Some(list) => self.curve_list(&list.value, &list.referenced, names),
                    None => shared_curves.clone(),
                };
                (Some(Vec::new()), curves)
            }
            (None, Some(list)) => {
                self.error("structure", &list.referenced, "`curves` belong to partitioned survival models", "curves")
                    .help = Some("add `partitioned_survival: { curves: [...] }` at the top level".into());
                (None, Vec::new())
            }
            (None, None) => (self.merge_rows(&shared.rows, own_rows, names, name), Vec::new()),
        };
        let initial = match (&s.initial, &shared.initial) {
            _ if shared.curves.is_some() => {
                // Occupancy starts at S(0) = 1 in the first state.
                let mut first = vec![0.0; names.states.len()];
                first[0] = 1.0;
                Some(first)
            }
            (Some(map), _) => self.initial(&map.value, &map.referenced, names),
            (None, Some(shared)) => shared.clone(),
            (None, None) => {
                self.error(
                    "missing",
                    &name.referenced,
                    format!("{kind} `{}` has no initial distribution", name.value),
                    format!("this {kind}"),
                )
                .help = Some(format!("add `cohort: {{ initial: {{ <state>: 1 }} }}`, or `initial:` to the {kind}"));
                None
            }
        };
        let at_start = s
            .at_start
            .as_ref()
            .map(|a| self.one_off(a, names, &format!("model start in {kind} `{}`", name.value)))
            .unwrap_or_default();
        Strategy {
            name: name.value.clone(),
            label: s.label.clone(),
            overrides,
            rows: rows.unwrap_or_default(),
            initial: initial.unwrap_or_default(),
            at_start,
            curves,
            tree: None,
            origin: origin_of(&name.referenced),
        }
    }

    /// Curves of a partitioned survival model: one fewer than the states, innermost first.
    fn curve_list(&mut self, list: &[Spanned<String>], at: &Location, names: &Names) -> Vec<hta_model::CurveId> {
        let ids: Vec<hta_model::CurveId> = list.iter().filter_map(|name| self.curve_ref(name, names)).collect();
        let mut seen = Vec::new();
        for (name, id) in list.iter().zip(&ids) {
            if seen.contains(id) {
                let message =
                    format!("curve `{}` is listed twice: the state between the two would always be empty", name.value);
                self.error("structure", &name.referenced, message, "repeated curve");
            }
            seen.push(*id);
        }
        let n_states = names.states.len();
        if list.len() + 1 != n_states {
            let curves = if list.len() == 1 { "1 curve".to_string() } else { format!("{} curves", list.len()) };
            self.error(
                "structure",
                at,
                format!(
                    "{curves} for {n_states} states: a partitioned survival model needs one curve fewer than states"
                ),
                "curves",
            )
            .help =
                Some("list the curves innermost first, e.g. [pfs, os] for progression-free, progressed, dead".into());
        }
        ids
    }

    fn overrides(
        &mut self,
        params: &SpannedMap<Spanned<Scalar>>,
        names: &Names,
        strategy: &str,
    ) -> Vec<(ParamId, Formula)> {
        let mut out = Vec::new();
        for (param, value) in params {
            let Some(p) = names.params.get(&param.value) else {
                let help = did_you_mean(names.params.suggest(&param.value))
                    .unwrap_or_else(|| "a strategy can only override parameters declared under `parameters:`".into());
                self.error(
                    "unknown-name",
                    &param.referenced,
                    format!("strategy `{strategy}` overrides unknown parameter `{}`", param.value),
                    "unknown parameter",
                )
                .help = Some(help);
                continue;
            };
            if let Some(f) =
                self.formula(value, names, &format!("parameter `{}` in strategy `{strategy}`", param.value))
            {
                out.push((ParamId::new(p), f));
            }
        }
        out
    }

    /// One row per state: the strategy's own where given, the shared one otherwise.
    fn merge_rows(
        &mut self,
        shared: &[TransitionRow],
        own: Vec<TransitionRow>,
        names: &Names,
        strategy: &Spanned<String>,
    ) -> Option<Vec<TransitionRow>> {
        let mut rows: Vec<Option<TransitionRow>> = vec![None; names.states.len()];
        for row in shared.iter().cloned().chain(own) {
            let index = row.from.index();
            rows[index] = Some(row);
        }
        let mut missing = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if row.is_none() {
                missing.push(names.states.index.get_index(i).map(|(n, _)| n.clone()).unwrap_or_default());
            }
        }
        for row in rows.iter().flatten() {
            if !names_dead(names, row.from.index()) {
                continue;
            }
            for entry in &row.entries {
                if entry.to != row.from && !names_dead(names, entry.to.index()) {
                    let from =
                        names.states.index.get_index(row.from.index()).map(|(n, _)| n.clone()).unwrap_or_default();
                    let to = names.states.index.get_index(entry.to.index()).map(|(n, _)| n.clone()).unwrap_or_default();
                    let already = self
                        .diagnostics
                        .0
                        .iter()
                        .any(|d| d.code == "dead-state" && d.span.map(|s| s.offset()) == Some(entry.origin.offset));
                    if already {
                        continue;
                    }
                    let d = crate::diagnostic::Diagnostic::error(
                        "dead-state",
                        format!("the dead state `{from}` has a transition to the living state `{to}`"),
                    )
                    .at(&self.source, (entry.origin.offset, entry.origin.len.max(1)).into(), "leaves the dead state")
                    .help("a dead state must be absorbing, e.g. `dead: { dead: 1 }`");
                    self.push(d);
                }
            }
        }
        if !missing.is_empty() {
            self.error(
                "missing",
                &strategy.referenced,
                format!(
                    "strategy `{}` has no transition row for state(s) {}",
                    strategy.value,
                    crate::names::listing(&missing)
                ),
                "this strategy",
            )
            .help = Some("every state needs a row, e.g. an absorbing state `dead: { dead: 1 }`".into());
            return None;
        }
        Some(rows.into_iter().flatten().collect())
    }
}
