//! `hta-spec`: the YAML model-file format.
//!
//! [`load`] reads a model file (and any CSV tables it names), parses it with positions
//! (serde-saphyr), applies command-line overrides, validates everything at once and lowers it to
//! a [`hta_model::Model`]. Every problem comes back as a [`Diagnostic`] with the file, span, what
//! was found, what was expected and a hint. Only this crate knows YAML. It does not run models.
//!
//! ```no_run
//! let loaded = hta_spec::load(std::path::Path::new("models/hiv.yaml"), &[]).expect("valid model");
//! assert_eq!(loaded.model.strategies.len(), 2);
//! ```

pub mod budget;
pub mod diagnostic;
mod lower;
mod names;
pub mod overrides;
pub mod raw;
pub mod schema;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use diagnostic::{Diagnostic, Diagnostics, Severity, Source};
pub use overrides::Override;

/// Largest model file read, in bytes.
pub const MAX_MODEL_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A file the model was built from, with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

impl InputFile {
    pub fn new(path: &str, bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        InputFile { path: path.to_string(), sha256 }
    }
}

/// A validated model with what it was built from.
#[derive(Debug)]
pub struct Loaded {
    pub model: hta_model::Model,
    /// The model file first, then every table file, in the order read.
    pub inputs: Vec<InputFile>,
    pub overrides: Vec<Override>,
    /// Warnings (never errors: a load with errors returns `Err`).
    pub warnings: Vec<Diagnostic>,
    pub source: Source,
}

/// Reads, validates and lowers a model file. Errors are returned all at once.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Loaded, Diagnostics> {
    let name = path.display().to_string();
    let text = read_model_file(path, &name)?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    load_str(&text, &name, base_dir, overrides)
}

fn read_model_file(path: &Path, name: &str) -> Result<String, Diagnostics> {
    let fail = |message: String| Diagnostics(vec![Diagnostic::error("file", message)]);
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read `{name}`: {e}")))?;
    if meta.len() > MAX_MODEL_FILE_BYTES {
        return Err(fail(format!(
            "`{name}` is {} bytes; model files are limited to {MAX_MODEL_FILE_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read `{name}`: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| fail(format!("`{name}` is not UTF-8 text (byte {})", e.utf8_error().valid_up_to())))
}

/// As [`load`], from text already in memory; `base_dir` resolves table files.
pub fn load_str(text: &str, name: &str, base_dir: &Path, overrides: &[Override]) -> Result<Loaded, Diagnostics> {
    let source = diagnostic::source(name, text);
    let mut raw = parse(text, &source)?;
    overrides::apply(&mut raw, overrides, &source)?;
    let mut lowerer = lower::Lowerer::new(source.clone(), text, base_dir);
    lowerer.inputs.push(InputFile::new(name, text.as_bytes()));
    let model = lowerer.lower(&raw);
    let mut diagnostics = lowerer.diagnostics;
    diagnostics.sort();
    match model {
        Some(model) if !diagnostics.has_errors() => {
            Ok(Loaded { model, inputs: lowerer.inputs, overrides: overrides.to_vec(), warnings: diagnostics.0, source })
        }
        _ => Err(diagnostics),
    }
}

/// Parses YAML into the raw document. Structural errors (syntax, unknown keys, wrong types)
/// stop the parse, so only the first is reported.
pub fn parse(text: &str, source: &Source) -> Result<raw::RawModel, Diagnostics> {
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options::<raw::RawModel>(text, options)
        .map_err(|e| Diagnostics(vec![yaml_diagnostic(&e, source)]))
}

/// A YAML parse error as a diagnostic (for model and budget files alike).
pub(crate) fn yaml_error(error: &serde_saphyr::Error, source: &Source) -> Diagnostic {
    yaml_diagnostic(error, source)
}

fn yaml_diagnostic(error: &serde_saphyr::Error, source: &Source) -> Diagnostic {
    let message = clean_message(&error.without_snippet().to_string());
    let (code, message, help) = explain(&message, error.location().as_ref(), source);
    let diagnostic = Diagnostic::error(code, message.clone()).maybe_help(help);
    match error.location() {
        Some(location) => diagnostic.at(source, diagnostic::span_of(&location), short_label(&message)),
        None => diagnostic,
    }
}

/// serde-saphyr writes the position as a prefix ("error: line L column C: ") or a suffix
/// (" at line L, column C"); the diagnostic shows the position itself.
fn clean_message(message: &str) -> String {
    let mut message = message.trim().trim_start_matches("error: ").to_string();
    if let Some(rest) = message.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            message = after.to_string();
        }
    }
    if let Some(at) = message.rfind(" at line ") {
        if message[at..].contains("column") {
            message.truncate(at);
        }
    }
    message
}

/// Rewrites library wording into model terms: (code, message, hint).
fn explain(
    message: &str,
    location: Option<&serde_saphyr::Location>,
    source: &Source,
) -> (&'static str, String, Option<String>) {
    let key = location.and_then(|l| key_at(source, l));
    if message.contains("non-finite float") {
        return ("not-finite", "not a finite number (NaN or infinity)".into(), Some("write a finite number".into()));
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let name = rest.split(',').next().unwrap_or(rest).trim();
        return (
            "yaml",
            format!("duplicate key `{name}`"),
            Some("each key may appear only once in a map; remove or rename one".into()),
        );
    }
    if message.starts_with("invalid floating point") || message.starts_with("invalid integer") {
        let what = if message.contains("integer") { "a whole number" } else { "a number" };
        let message = match key {
            Some(k) => format!("`{k}` must be {what}"),
            None => format!("expected {what}"),
        };
        return ("yaml", message, Some("write numbers without units or text, e.g. 0.035 for 3.5%".into()));
    }
    let message = match (key, message.starts_with("invalid type")) {
        (Some(k), true) => format!("`{k}`: {message}"),
        _ => message.to_string(),
    };
    let help = unknown_field_hint(&message);
    ("yaml", message, help)
}

/// The mapping key on the line of `location`, if the location is in that key's value.
fn key_at(source: &Source, location: &serde_saphyr::Location) -> Option<String> {
    let text = source.inner();
    let line = text.lines().nth(usize::try_from(location.line()).ok()?.checked_sub(1)?)?;
    let column = usize::try_from(location.column()).ok()?.saturating_sub(1);
    let before = line.get(..column.min(line.len()))?;
    let colon = before.rfind(':')?;
    let start = before[..colon].rfind(['{', ',', ' ']).map_or(0, |i| i + 1);
    let key = before[start..colon].trim();
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

/// "did you mean" for `unknown field `x`, expected one of a, b`.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (found, expected) = rest.split_once('`')?;
    let options = expected.split_once("expected ")?.1;
    let options = options.trim_start_matches("one of ").trim_start_matches("`");
    let candidates: Vec<&str> = options.split(", ").map(|s| s.trim_matches('`')).collect();
    hta_model::suggest::closest(found, candidates.iter().copied()).map(|s| format!("did you mean `{s}`?"))
}

fn short_label(message: &str) -> String {
    if message.starts_with("unknown field") {
        "unknown key".into()
    } else if message.starts_with("missing field") {
        "in this map".into()
    } else if message.starts_with("unknown variant") {
        "unknown value".into()
    } else {
        "here".into()
    }
}
