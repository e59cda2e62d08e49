//! Turns run-time problems (in model ids) into diagnostics with names, values and the place in
//! the model file that defined the offending item.

use hta_markov::{Problem, RunError, RunErrors};
use hta_model::{Model, Origin, StateId};
use hta_spec::{Diagnostic, Loaded};

pub fn diagnostics(loaded: &Loaded, errors: &RunErrors) -> Vec<Diagnostic> {
    errors.errors.iter().map(|e| diagnostic(loaded, e)).collect()
}

fn diagnostic(loaded: &Loaded, e: &RunError) -> Diagnostic {
    let model = &loaded.model;
    let strategy = model.strategy(e.strategy);
    let (code, message, origin, label) = describe(model, e);
    let when = match (e.cycle, e.n_cycles) {
        (0, _) => "at model start".to_string(),
        (c, 1) => format!("in cycle {c}"),
        (c, n) if n == e.last_cycle - c + 1 => format!("in cycles {c}-{}", e.last_cycle),
        (c, n) => format!("in {n} cycles from {c} to {}", e.last_cycle),
    };
    let age = e.age.map(|a| format!(" (age {} at cycle {})", trim(a), e.cycle)).unwrap_or_default();
    let text = format!("strategy `{}`, {when}{age}: {message}", strategy.name);
    let diagnostic = Diagnostic::error(code, text);
    match origin {
        Some(o) if o.len > 0 => diagnostic.at(&loaded.source, (o.offset, o.len).into(), label),
        _ => diagnostic,
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value for a message: up to 10 decimals, without trailing zeros or rounding noise.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn row_text(model: &Model, row: &[(StateId, f64)]) -> String {
    row.iter().map(|(s, p)| format!("{} {}", model.states[s.index()].name, num(*p))).collect::<Vec<_>>().join(", ")
}

fn slot_name(model: &Model, slot: usize) -> String {
    let n = model.categories.len();
    match slot {
        s if s < n => format!("{} cost", model.categories[s]),
        s if s == n => "utility (QALY weight)".into(),
        _ => "life-year weight".into(),
    }
}

fn row_origin(model: &Model, e: &RunError, from: StateId) -> Option<Origin> {
    Some(model.strategy(e.strategy).rows.get(from.index())?.origin)
}

fn describe(model: &Model, e: &RunError) -> (&'static str, String, Option<Origin>, String) {
    let state = |s: &StateId| model.states[s.index()].name.clone();
    match &e.problem {
        Problem::Parameter { param, value } => {
            let p = &model.parameters[param.index()];
            let definition = model.definition(e.strategy, *param);
            let hint = match lookup_ranges(model, definition) {
                Some(ranges) => format!(
                    "is a lookup key outside its table? {ranges}; or check for division by zero, ln or sqrt of a negative number"
                ),
                None => "check for division by zero, ln or sqrt of a negative number".into(),
            };
            (
                "not-finite",
                format!("parameter `{}` evaluates to {} ({hint})", p.name, num(*value)),
                Some(definition.origin),
                "this definition".into(),
            )
        }
        Problem::Probability { from, to, value, row } => (
            "probability",
            format!(
                "probability {} -> {} is {}, outside [0, 1] (row {}: {})",
                state(from),
                state(to),
                num(*value),
                state(from),
                row_text(model, row)
            ),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::RowSum { from, sum, row } => (
            "row-sum",
            format!(
                "the probabilities out of `{}` sum to {}, not 1 ({})",
                state(from),
                num(*sum),
                row_text(model, row)
            ),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::NegativeComplement { from, to, value, row } => (
            "complement",
            format!(
                "the complement {} -> {} is {}: the other probabilities sum to more than 1 ({})",
                state(from),
                state(to),
                num(*value),
                row_text(model, row)
            ),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::StateValue { state: s, slot, value } => (
            "not-finite",
            format!("the {} of state `{}` is {}", slot_name(model, *slot), state(s), num(*value)),
            Some(model.states[s.index()].origin),
            "this state".into(),
        ),
        Problem::TransitionValue { from, to, slot, value } => {
            let origin = model.transition_values.iter().find(|t| t.applies(*from, *to)).map(|t| t.origin);
            (
                "not-finite",
                format!(
                    "the {} of the transition {} -> {} is {}",
                    slot_name(model, *slot),
                    state(from),
                    state(to),
                    num(*value)
                ),
                origin,
                "this transition value".into(),
            )
        }
        Problem::Curve { curve, time, value } => {
            let c = &model.curves[curve.index()];
            let hint = curve_tables(model, *curve)
                .map(|r| format!(" (is the age beyond the life table? {r})"))
                .unwrap_or_default();
            (
                "curve",
                format!(
                    "survival curve `{}` gives S({} years) = {}, which is not a survival probability that falls with time{hint}",
                    c.name,
                    num(*time),
                    num(*value)
                ),
                Some(c.origin),
                "this curve".into(),
            )
        }
        Problem::CurveParameter { curve, message } => {
            let c = &model.curves[curve.index()];
            ("curve", format!("survival curve `{}`: {message}", c.name), Some(c.origin), "this curve".into())
        }
        Problem::StartValue { slot, value } => (
            "not-finite",
            format!("the {} charged at model start is {}", slot_name(model, *slot), num(*value)),
            Some(model.strategy(e.strategy).origin),
            "this strategy".into(),
        ),
        Problem::TreeProbability { branch, value } => {
            let b = tree_branch(model, e, *branch);
            let text = match b.map(|b| &b.probability) {
                Some(hta_model::EntryValue::Complement) => format!(
                    "branch `{}` of the decision tree is the complement of its siblings, which sum to {}; it would be {}",
                    b.map_or("", |b| b.name.as_str()),
                    num(1.0 - value),
                    num(*value)
                ),
                _ => format!(
                    "the probability of branch `{}` of the decision tree is {}, outside [0, 1]",
                    b.map_or("", |b| b.name.as_str()),
                    num(*value)
                ),
            };
            ("probability", text, b.map(|b| b.origin), "this probability".into())
        }
        Problem::TreeSum { parent, sum } => {
            let tree = model.strategy(e.strategy).tree.as_ref();
            let first = tree.and_then(|t| t.children(*parent).next()).and_then(|i| tree_branch(model, e, i));
            let names: Vec<String> = tree
                .map(|t| t.children(*parent).map(|i| format!("`{}`", t.branches[i].name)).collect())
                .unwrap_or_default();
            (
                "probability",
                format!("the decision-tree branches {} sum to {}, not 1", names.join(", "), num(*sum)),
                first.map(|b| b.origin),
                "first branch of this node".into(),
            )
        }
        Problem::TreeValue { branch, slot, value } => {
            let b = tree_branch(model, e, *branch);
            (
                "not-finite",
                format!(
                    "the {} of decision-tree branch `{}` is {}",
                    slot_name(model, *slot).replace("utility (QALY weight)", "QALYs"),
                    b.map_or("", |b| b.name.as_str()),
                    num(*value)
                ),
                b.map(|b| b.origin),
                "this branch".into(),
            )
        }
    }
}

fn tree_branch<'m>(model: &'m Model, e: &RunError, branch: usize) -> Option<&'m hta_model::TreeBranch> {
    model.strategy(e.strategy).tree.as_ref()?.branches.get(branch)
}

/// "table `t` covers key from a to b" for every table the formula looks up.
fn lookup_ranges(model: &Model, formula: &hta_model::Formula) -> Option<String> {
    let mut ranges = Vec::new();
    for reference in formula.expr.references() {
        if let hta_model::formula::Reference::Column { table, .. } = reference {
            let t = &model.tables[table.index()];
            if let (Some(first), Some(last)) = (t.keys.first(), t.keys.last()) {
                let text = format!("table `{}` covers {} {} to {}", t.name, t.key_name, num(*first), num(*last));
                if !ranges.contains(&text) {
                    ranges.push(text);
                }
            }
        }
    }
    (!ranges.is_empty()).then(|| ranges.join("; "))
}

/// Key ranges of the life tables a curve (or any curve it is built on) reads.
fn curve_tables(model: &Model, curve: hta_model::CurveId) -> Option<String> {
    let mut stack = vec![curve];
    let mut ranges = Vec::new();
    while let Some(c) = stack.pop() {
        let Some(def) = model.curves.get(c.index()) else { continue };
        if let hta_model::curve::CurveKind::LifeTable { table, .. } = &def.kind {
            let t = &model.tables[table.index()];
            if let (Some(first), Some(last)) = (t.keys.first(), t.keys.last()) {
                ranges.push(format!("table `{}` covers {} {} to {}", t.name, t.key_name, num(*first), num(*last)));
            }
        }
        stack.extend(def.bases());
    }
    ranges.dedup();
    (!ranges.is_empty()).then(|| ranges.join("; "))
}
