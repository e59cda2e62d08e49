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
    let strategy = &model.strategies[e.strategy.index()];
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

fn row_text(model: &Model, row: &[(StateId, f64)]) -> String {
    row.iter().map(|(s, p)| format!("{} {}", model.states[s.index()].name, p)).collect::<Vec<_>>().join(", ")
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
    Some(model.strategies[e.strategy.index()].rows.get(from.index())?.origin)
}

fn describe(model: &Model, e: &RunError) -> (&'static str, String, Option<Origin>, String) {
    let state = |s: &StateId| model.states[s.index()].name.clone();
    match &e.problem {
        Problem::Parameter { param, value } => {
            let p = &model.parameters[param.index()];
            let origin = model.definition(e.strategy, *param).origin;
            let hint =
                "check for division by zero, ln or sqrt of a negative number, or a table lookup outside its keys";
            (
                "not-finite",
                format!("parameter `{}` evaluates to {value} ({hint})", p.name),
                Some(origin),
                "this definition".into(),
            )
        }
        Problem::Probability { from, to, value, row } => (
            "probability",
            format!(
                "probability {} -> {} is {value}, outside [0, 1] (row {}: {})",
                state(from),
                state(to),
                state(from),
                row_text(model, row)
            ),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::RowSum { from, sum, row } => (
            "row-sum",
            format!("the probabilities out of `{}` sum to {sum}, not 1 ({})", state(from), row_text(model, row)),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::NegativeComplement { from, to, value, row } => (
            "complement",
            format!(
                "the complement {} -> {} is {value}: the other probabilities sum to more than 1 ({})",
                state(from),
                state(to),
                row_text(model, row)
            ),
            row_origin(model, e, *from),
            "this row".into(),
        ),
        Problem::StateValue { state: s, slot, value } => (
            "not-finite",
            format!("the {} of state `{}` is {value}", slot_name(model, *slot), state(s)),
            Some(model.states[s.index()].origin),
            "this state".into(),
        ),
        Problem::TransitionValue { from, to, slot, value } => {
            let origin = model.transition_values.iter().find(|t| t.applies(*from, *to)).map(|t| t.origin);
            (
                "not-finite",
                format!(
                    "the {} of the transition {} -> {} is {value}",
                    slot_name(model, *slot),
                    state(from),
                    state(to)
                ),
                origin,
                "this transition value".into(),
            )
        }
        Problem::StartValue { slot, value } => (
            "not-finite",
            format!("the {} charged at model start is {value}", slot_name(model, *slot)),
            Some(model.strategies[e.strategy.index()].origin),
            "this strategy".into(),
        ),
    }
}
