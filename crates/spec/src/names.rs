//! Name tables of one model file and the rules names must follow.

use indexmap::IndexMap;

use hta_model::formula::{Function, TimeVar};
use hta_model::suggest;

/// Names in the order they were declared, mapped to their index.
#[derive(Debug, Default)]
pub struct NameTable {
    pub index: IndexMap<String, usize>,
}

impl NameTable {
    pub fn insert(&mut self, name: &str) -> usize {
        let next = self.index.len();
        *self.index.entry(name.to_string()).or_insert(next)
    }

    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn suggest(&self, name: &str) -> Option<String> {
        suggest::closest(name, self.index.keys().map(String::as_str)).map(str::to_string)
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn listing(&self) -> String {
        let names: Vec<&str> = self.index.keys().map(String::as_str).take(12).collect();
        let more = if self.index.len() > 12 { ", ..." } else { "" };
        format!("{}{more}", names.join(", "))
    }
}

/// Why `name` cannot name a model item, if it cannot.
pub fn naming_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(format!(
            "`{name}` is not a valid name: use letters, digits and `_`, starting with a letter or `_`"
        ));
    }
    if TimeVar::from_name(name).is_some() {
        return Some(format!("`{name}` is reserved for the time variable of the same name"));
    }
    if Function::from_name(name).is_some() {
        return Some(format!("`{name}` is reserved: it is a built-in function"));
    }
    None
}

/// As [`naming_problem`], plus names reserved inside formulas (parameters only).
pub fn parameter_naming_problem(name: &str) -> Option<String> {
    if name == "C" {
        return Some("`C` is reserved: it means the complement in transition rows".into());
    }
    naming_problem(name)
}

/// "did you mean `x`?" when a close name exists.
pub fn did_you_mean(suggestion: Option<String>) -> Option<String> {
    suggestion.map(|s| format!("did you mean `{s}`?"))
}

/// Names joined by commas; a long list by its first ten and how many more.
pub(crate) fn listing<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 10;
    let first: Vec<&str> = names.iter().take(SHOWN).map(AsRef::as_ref).collect();
    match names.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", first.join(", ")),
        _ => first.join(", "),
    }
}
