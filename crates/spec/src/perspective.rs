//! Perspectives: which cost categories count (e.g. productivity losses and patient time only in
//! the societal perspective). A model lists its perspectives; one is active for a run
//! (`settings.perspective`, `--perspective NAME` or `--set perspective=NAME`; default: the first
//! listed). Applied to the raw document before lowering: the categories the active perspective
//! does not count are removed with every cost written in them, so every engine, analysis and
//! report sees a model of the counted categories only, and says which perspective it is.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::raw::{RawBranch, RawModel, RawStrategy, Scalar, SpannedMap};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPerspective {
    #[serde(default)]
    pub label: Option<String>,
    /// The cost categories counted in this perspective (of `cost_categories`).
    #[schemars(with = "Vec<String>")]
    pub categories: Vec<Spanned<String>>,
}

/// The perspective a model was lowered for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivePerspective {
    pub name: String,
    pub label: Option<String>,
    /// Categories of the model not counted in it (removed with their costs).
    pub not_counted: Vec<String>,
    /// Names read by the costs removed (a parameter read only there is not "never used").
    #[serde(skip)]
    pub read_by_removed: Vec<String>,
}

/// Selects the active perspective and removes the categories it does not count. `None` when the
/// model lists no perspectives (then `settings.perspective` is an error).
pub fn apply(raw: &mut RawModel, source: &Source, problems: &mut Diagnostics) -> Option<ActivePerspective> {
    let chosen = raw.settings.perspective.clone();
    if raw.perspectives.is_empty() {
        if let Some(p) = &chosen {
            problems.push(
                Diagnostic::error(
                    "perspective",
                    format!("perspective `{}` is named, but the model lists no `perspectives:`", p.value),
                )
                .at(source, span_of(&p.referenced), "here")
                .help("add `perspectives: { payer: { categories: [...] }, societal: { categories: [...] } }`"),
            );
        }
        return None;
    }
    let known: Vec<String> = raw.cost_categories.iter().map(|c| c.value.clone()).collect();
    for (name, p) in &raw.perspectives {
        for c in &p.value.categories {
            if !known.contains(&c.value) {
                let mut d = Diagnostic::error(
                    "unknown-name",
                    format!("perspective `{}` counts `{}`, which is not a cost category", name.value, c.value),
                )
                .at(source, span_of(&c.referenced), "not in `cost_categories`");
                if let Some(best) = hta_model::suggest::closest(&c.value, known.iter().map(String::as_str)) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                problems.push(d);
            }
        }
    }
    let (name, perspective) = match &chosen {
        Some(p) => match raw.perspectives.iter().find(|(k, _)| k.value == p.value) {
            Some(found) => found,
            None => {
                let names: Vec<&str> = raw.perspectives.keys().map(|k| k.value.as_str()).collect();
                let mut d = Diagnostic::error(
                    "unknown-name",
                    format!("perspective `{}` is not one of the model's: {}", p.value, names.join(", ")),
                )
                .at(source, span_of(&p.referenced), "here");
                if let Some(best) = hta_model::suggest::closest(&p.value, names.iter().copied()) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                problems.push(d);
                return None;
            }
        },
        None => raw.perspectives.iter().next()?,
    };
    let counted: Vec<String> = perspective.value.categories.iter().map(|c| c.value.clone()).collect();
    let active = ActivePerspective {
        name: name.value.clone(),
        label: perspective.value.label.clone(),
        not_counted: known.iter().filter(|c| !counted.contains(c)).cloned().collect(),
        read_by_removed: Vec::new(),
    };
    if active.not_counted.is_empty() {
        return Some(active);
    }
    // Test costs go to the first category when none is named: name it before the list changes.
    let first = known.first().cloned();
    // Only known categories that are not counted go: a misspelt one stays for lowering to report.
    let not_counted = active.not_counted.clone();
    let is_counted = |c: &Spanned<String>| !not_counted.contains(&c.value);
    let mut read = Vec::new();
    raw.cost_categories.retain(is_counted);
    for state in raw.states.values_mut() {
        drop_uncounted(&mut state.value.cost, &is_counted, &mut read);
    }
    for value in &mut raw.transition_values {
        drop_uncounted(&mut value.value.cost, &is_counted, &mut read);
    }
    let mut strategies: Vec<&mut Spanned<RawStrategy>> = raw.strategies.values_mut().collect();
    strategies.extend(raw.arms.values_mut());
    for strategy in strategies {
        let s = &mut strategy.value;
        if let Some(one_off) = &mut s.at_start {
            drop_uncounted(&mut one_off.cost, &is_counted, &mut read);
        }
        if let Some(tree) = &mut s.tree {
            retain_branch_costs(&mut tree.value, &is_counted, &mut read);
        }
        if let Some(t) = &mut s.test_and_treat {
            let at = t.referenced;
            let category =
                t.value.cost_category.get_or_insert_with(|| Spanned::new(first.clone().unwrap_or_default(), at, at));
            if !is_counted(category) {
                problems.push(
                    Diagnostic::error(
                        "perspective",
                        format!(
                            "test and treat charges its test costs to `{}`, which perspective `{}` does not count",
                            category.value, active.name
                        ),
                    )
                    .at(source, span_of(&category.referenced), "here")
                    .help("name a counted category in `cost_category` (tests are health-care costs)"),
                );
            }
        }
    }
    Some(ActivePerspective { read_by_removed: read, ..active })
}

/// Removes the costs of uncounted categories from `costs`, noting the names their formulas read.
fn drop_uncounted(
    costs: &mut SpannedMap<Spanned<Scalar>>,
    is_counted: &dyn Fn(&Spanned<String>) -> bool,
    read: &mut Vec<String>,
) {
    costs.retain(|k, v| {
        if !is_counted(k) {
            if let Scalar::Text(formula) = &v.value {
                read.extend(
                    formula
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .map(String::from),
                );
            }
        }
        is_counted(k)
    });
}

fn retain_branch_costs(
    branches: &mut [Spanned<RawBranch>],
    is_counted: &dyn Fn(&Spanned<String>) -> bool,
    read: &mut Vec<String>,
) {
    for b in branches {
        drop_uncounted(&mut b.value.cost, is_counted, read);
        if let Some(then) = &mut b.value.then {
            retain_branch_costs(&mut then.value, is_counted, read);
        }
    }
}
