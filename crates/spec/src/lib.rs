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
pub mod budget_market;
pub mod budget_regions;
pub mod budget_uncertainty;
pub mod diagnostic;
mod lower;
mod names;
pub mod overrides;
pub mod perspective;
pub mod raw;
pub mod schema;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use diagnostic::{Diagnostic, Diagnostics, Severity, Source};
pub use overrides::Override;

/// Largest model or budget file read, in bytes.
pub const MAX_MODEL_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest nesting of YAML lists and maps.
pub const MAX_YAML_DEPTH: usize = 64;
/// Most YAML values (scalars, lists and maps) in one file.
pub const MAX_YAML_NODES: usize = 250_000;
/// Most bytes of text in one file once aliases are expanded.
pub const MAX_YAML_SCALAR_BYTES: usize = 64 * 1024 * 1024;
/// Most alias (`*name`) uses in one file.
pub const MAX_YAML_ALIASES: usize = 10_000;

/// Parser options for model and budget files, with the limits above.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        // A tag such as `!custom 0.9` means nothing to hta: refuse it rather than ignore it.
        reject_unsupported_tags: true,
        reject_tagged_field_names: true,
        budget: serde_saphyr::budget! {
            max_depth: MAX_YAML_DEPTH,
            max_nodes: MAX_YAML_NODES,
            max_total_scalar_bytes: MAX_YAML_SCALAR_BYTES,
            max_aliases: MAX_YAML_ALIASES,
        },
    }
}

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
    /// The model file's text as read (`source` shows control characters as `?`), so that it can
    /// be lowered again with other overrides without reading the file again ([`relower`]).
    pub text: std::sync::Arc<str>,
    /// The directory its table files are resolved against.
    pub base_dir: std::path::PathBuf,
}

/// Directories outside a model's own directory tree from which it may read table files (the
/// command line's `--allow-outside DIR`); set once by the front end before loading.
static TABLE_ROOTS: std::sync::RwLock<Vec<std::path::PathBuf>> = std::sync::RwLock::new(Vec::new());

/// Lets models read table files under `dir` as well as under their own directory.
pub fn allow_tables_under(dir: &Path) -> std::io::Result<()> {
    let canonical = std::fs::canonicalize(dir)?;
    TABLE_ROOTS.write().unwrap_or_else(|p| p.into_inner()).push(canonical);
    Ok(())
}

/// Whether a (canonical) table path lies under `base` (canonical) or an allowed directory.
pub(crate) fn table_path_allowed(path: &Path, base: &Path) -> bool {
    path.starts_with(base) || TABLE_ROOTS.read().unwrap_or_else(|p| p.into_inner()).iter().any(|r| path.starts_with(r))
}

/// Reads, validates and lowers a model file. Errors are returned all at once.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Loaded, Diagnostics> {
    let name = path.display().to_string();
    let text = read_model_file(path, &name)?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    load_str(&text, &name, base_dir, overrides)
}

/// The perspectives a model file lists, in its order (empty if it lists none or cannot be read:
/// loading it then reports why).
pub fn perspectives_of(path: &Path) -> Vec<String> {
    let name = path.display().to_string();
    let Ok(text) = read_model_file(path, &name) else { return Vec::new() };
    let source = diagnostic::source(&name, &text);
    parse(&text, &source).map_or(Vec::new(), |raw| raw.perspectives.keys().map(|k| k.value.clone()).collect())
}

fn read_model_file(path: &Path, name: &str) -> Result<String, Diagnostics> {
    read_text_file(path, name, "model")
}

/// Reads a model or budget file as UTF-8 text, refusing files over [`MAX_MODEL_FILE_BYTES`]
/// before reading them. `what` names the kind of file in messages.
pub(crate) fn read_text_file(path: &Path, name: &str, what: &str) -> Result<String, Diagnostics> {
    let fail =
        |message: String, help: Option<String>| Diagnostics(vec![Diagnostic::error("file", message).maybe_help(help)]);
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read `{name}`: {e}"), None))?;
    if !meta.is_file() {
        return Err(fail(
            format!("`{name}` is not a regular file (a pipe, device or directory?); {what} files must be files"),
            None,
        ));
    }
    if meta.len() > MAX_MODEL_FILE_BYTES {
        return Err(fail(
            format!(
                "`{name}` is {} bytes; {what} files are limited to {MAX_MODEL_FILE_BYTES} bytes (16 MiB)",
                meta.len()
            ),
            Some("large data belong in CSV tables (`tables:`), which may be up to 64 MiB".into()),
        ));
    }
    let bytes = match read_at_most(path, MAX_MODEL_FILE_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(fail(
                format!("`{name}` is longer than {MAX_MODEL_FILE_BYTES} bytes (16 MiB), the limit for {what} files"),
                Some("is it a device or a pipe rather than a file?".into()),
            ))
        }
        Err(e) => return Err(fail(format!("cannot read `{name}`: {e}"), None)),
    };
    String::from_utf8(bytes).map_err(|e| {
        let (line, column, byte) = utf8_error_position(e.as_bytes(), e.utf8_error().valid_up_to());
        fail(
            format!("`{name}` is not UTF-8 text: byte 0x{byte:02X} at line {line}, column {column} cannot be read"),
            Some("save the file as UTF-8 (most editors offer this under \"Save as\" or \"Encoding\")".into()),
        )
    })
}

/// Reads at most `limit` bytes; `None` if there are more. The size on disk is checked first, but
/// a device (`/dev/zero`) or a pipe reports none, so the read itself is bounded too.
/// Anything but a regular file (a FIFO, a device, a directory) is refused before it is opened:
/// opening a FIFO would block for ever.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file (a pipe, device or directory?)"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Line and column (1-based, counting characters) of byte `at`, and the byte there.
fn utf8_error_position(bytes: &[u8], at: usize) -> (usize, usize, u8) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    // Everything before `at` is valid UTF-8, so this counts characters, not bytes.
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column, bytes.get(at).copied().unwrap_or(0))
}

/// As [`load`], from text already in memory; `base_dir` resolves table files.
pub fn load_str(text: &str, name: &str, base_dir: &Path, overrides: &[Override]) -> Result<Loaded, Diagnostics> {
    let source = diagnostic::source(name, text);
    let mut raw = parse(text, &source)?;
    overrides::apply(&mut raw, overrides, &source)?;
    let mut perspective_problems = Diagnostics::default();
    let perspective = perspective::apply(&mut raw, &source, &mut perspective_problems);
    let read_by_removed = perspective.as_ref().map_or(Vec::new(), |p| p.read_by_removed.clone());
    let mut lowerer = lower::Lowerer::new(source.clone(), text, base_dir);
    // A parameter read only by costs the perspective does not count is used (in the others).
    lowerer.read_elsewhere = read_by_removed;
    lowerer.inputs.push(InputFile::new(name, text.as_bytes()));
    let model = lowerer.lower(&raw).map(|mut m| {
        m.perspective =
            perspective.map(|p| hta_model::Perspective { name: p.name, label: p.label, not_counted: p.not_counted });
        m.perspectives = raw.perspectives.keys().map(|k| k.value.clone()).collect();
        m
    });
    let mut diagnostics = lowerer.diagnostics;
    diagnostics.0.extend(perspective_problems.0);
    diagnostics.sort();
    limit_diagnostics(&mut diagnostics);
    match model {
        Some(model) if !diagnostics.has_errors() => Ok(Loaded {
            model,
            inputs: lowerer.inputs,
            overrides: overrides.to_vec(),
            warnings: diagnostics.0,
            source,
            text: text.into(),
            base_dir: base_dir.to_path_buf(),
        }),
        _ => Err(diagnostics),
    }
}

/// Lowers the text `loaded` was read from again, with `overrides` in place of its own, as
/// [`load`] of the same file would (its table files are read again). `path` names the file in
/// diagnostics and the run record and resolves its tables, as in [`load`] (a budget file names
/// its model by a path of its own); `None` keeps the first load's.
pub fn relower(loaded: &Loaded, path: Option<&Path>, overrides: &[Override]) -> Result<Loaded, Diagnostics> {
    match path {
        Some(path) => {
            load_str(&loaded.text, &path.display().to_string(), path.parent().unwrap_or(Path::new(".")), overrides)
        }
        None => {
            let name = loaded.inputs.first().map_or("", |i| i.path.as_str());
            load_str(&loaded.text, name, &loaded.base_dir, overrides)
        }
    }
}

/// Most problems reported from one file; a hostile file could otherwise produce millions.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Keeps the first [`MAX_DIAGNOSTICS`] problems and says how many more there were.
fn limit_diagnostics(diagnostics: &mut Diagnostics) {
    let total = diagnostics.0.len();
    if total > MAX_DIAGNOSTICS {
        let errors = diagnostics.has_errors();
        // Errors before warnings, each in file order, so that no error is left out for a warning.
        diagnostics.0.sort_by_key(|d| d.severity != Severity::Error);
        diagnostics.0.truncate(MAX_DIAGNOSTICS);
        let more =
            format!("{} more problems are not shown (only the first {MAX_DIAGNOSTICS})", total - MAX_DIAGNOSTICS);
        let note = if errors { Diagnostic::error("too-many", more) } else { Diagnostic::warning("too-many", more) };
        diagnostics.0.push(note.help("fix these and check the file again"));
    }
}

/// Parses YAML into the raw document. Structural errors (syntax, unknown keys, wrong types)
/// stop the parse, so only the first is reported.
pub fn parse(text: &str, source: &Source) -> Result<raw::RawModel, Diagnostics> {
    serde_saphyr::from_str_with_options::<raw::RawModel>(text, yaml_options())
        .map_err(|e| Diagnostics(vec![yaml_diagnostic(&e, source)]))
}

/// A YAML parse error as a diagnostic (for model and budget files alike).
pub(crate) fn yaml_error(error: &serde_saphyr::Error, source: &Source) -> Diagnostic {
    yaml_diagnostic(error, source)
}

fn yaml_diagnostic(error: &serde_saphyr::Error, source: &Source) -> Diagnostic {
    let raw = clean_message(&error.without_snippet().to_string());
    let (code, message, help) = explain(&raw, error.location().as_ref(), source);
    let diagnostic = Diagnostic::error(code, message.clone()).maybe_help(help);
    if raw.starts_with(TRAILING_AFTER_QUOTE) {
        if let Some(open) = error.location().and_then(|l| unclosed_quote(source, &l)) {
            return diagnostic.at(source, (open, 1).into(), "this string is not closed on its line");
        }
    }
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
    let value_of = location.and_then(|l| key_of_value_at(source, l));
    if let Some(explained) = explain_structure(message, value_of.as_deref(), location, source) {
        return explained;
    }
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

/// Structural YAML problems (limits, wrong shapes, empty or multiple documents) in plain words.
/// `key` is the key whose whole value starts at the location, if any.
fn explain_structure(
    message: &str,
    key: Option<&str>,
    location: Option<&serde_saphyr::Location>,
    source: &Source,
) -> Option<(&'static str, String, Option<String>)> {
    let limits = Some("see docs/limits.md for the limits on model files".to_string());
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        let what = match breach.split([' ', '{']).next().unwrap_or_default() {
            "Nodes" => format!("the file has more than {MAX_YAML_NODES} YAML values (keys, numbers, lists, maps)"),
            "ScalarBytes" => format!(
                "the text in the file, with aliases (`*name`) expanded, is longer than {MAX_YAML_SCALAR_BYTES} bytes"
            ),
            "Depth" => format!("the YAML is nested more than {MAX_YAML_DEPTH} levels deep"),
            "Events" => "the file is too large to parse (more than 1,000,000 YAML events)".to_string(),
            "Aliases" | "AliasAnchorRatio" => "the file uses too many aliases (`*name`) for its anchors".to_string(),
            "Documents" => "the file holds too many YAML documents".to_string(),
            _ => format!("the file exceeds a parsing limit ({breach})"),
        };
        return Some(("too-large", what, limits));
    }
    if message.starts_with("recursion limit exceeded") || message.starts_with("alias replay") {
        let what = if message.starts_with("alias") {
            "aliases (`*name`) expand to too much data; is this an alias bomb?".to_string()
        } else {
            format!("the YAML is nested too deeply (model files need at most {MAX_YAML_DEPTH} levels)")
        };
        return Some(("too-large", what, limits));
    }
    if message.starts_with("multiple YAML documents") {
        return Some((
            "yaml",
            "the file holds more than one YAML document (a second `---`)".into(),
            Some("a model file is one document: remove the `---` line and what follows, or split the file".into()),
        ));
    }
    if message == "unexpected end of input"
        && source.inner().lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Some((
            "yaml",
            "the file is empty (nothing but blank lines and comments)".into(),
            Some("a model file starts with `format_version: 1`; see models/ for examples".into()),
        ));
    }
    if message == "expected mapping start" {
        let message = match key {
            Some(k) => format!("`{k}` must be a map of `name: value` entries"),
            None => "expected a map of `name: value` entries here".to_string(),
        };
        let help = if key.is_none() && location.is_some_and(|l| l.column() <= 1) {
            "a model file is a map of top-level keys such as `format_version: 1`, `settings:` and `states:`"
        } else {
            "write one `name: value` per line, indented under the key, or `{ name: value, ... }`"
        };
        return Some(("yaml", message, Some(help.into())));
    }
    if message == "expected string scalar" {
        let message = match key {
            Some(k) => format!("`{k}` must be a single value (a number or a word), not a list or a map"),
            None => "expected a single value here, not a list or a map".to_string(),
        };
        return Some(("yaml", message, None));
    }
    if message.starts_with(TRAILING_AFTER_QUOTE) {
        let message = match location.and_then(|l| unclosed_quote(source, l)) {
            Some(open) => {
                let line = source.inner()[..open].matches('\n').count() + 1;
                let end = location.map_or(0, |l| l.line());
                format!("a quoted string opened on line {line} is not closed until line {end}")
            }
            None => "unexpected text after a quoted string".into(),
        };
        return Some((
            "yaml",
            message,
            Some("close the string with `\"` on the line where it starts (write `\\\"` for a quote inside it)".into()),
        ));
    }
    None
}

/// serde-saphyr's message when a double-quoted string ends where the line goes on.
const TRAILING_AFTER_QUOTE: &str = "invalid trailing content after double-quoted scalar";

/// For "trailing content after a double-quoted scalar": the byte offset of the quote that
/// opened that scalar, if it is on an earlier line (a string left open further up).
fn unclosed_quote(source: &Source, location: &serde_saphyr::Location) -> Option<usize> {
    let text = source.inner();
    let line_start = text
        .split_inclusive('\n')
        .take(usize::try_from(location.line()).ok()?.checked_sub(1)?)
        .map(str::len)
        .sum::<usize>();
    let line = text[line_start..].lines().next()?;
    let column = usize::try_from(location.column()).ok()?.saturating_sub(1);
    // The closing quote is the last `"` before the location on its line.
    let close = line_start + line.get(..column.min(line.len()))?.rfind('"')?;
    let open = text[..close].rfind('"')?;
    let escaped = text[..open].ends_with('\\');
    (open < line_start && !escaped).then_some(open)
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

/// The key whose value starts at `location` (after `key:` and an optional `&anchor`), if the
/// location is the start of that whole value rather than somewhere inside it.
fn key_of_value_at(source: &Source, location: &serde_saphyr::Location) -> Option<String> {
    let key = key_at(source, location)?;
    let text = source.inner();
    let line = text.lines().nth(usize::try_from(location.line()).ok()?.checked_sub(1)?)?;
    let column = usize::try_from(location.column()).ok()?.saturating_sub(1);
    let before = line.get(..column.min(line.len()))?;
    let after_colon = &before[before.rfind(':')? + 1..];
    let mut words = after_colon.split_whitespace();
    let rest_is_anchor = match (words.next(), words.next()) {
        (None, _) => true,
        (Some(w), None) => w.starts_with('&'),
        _ => false,
    };
    rest_is_anchor.then_some(key)
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
