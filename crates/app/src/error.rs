//! Why a workflow stopped, with what a front end needs to show it: the diagnostics of a model or
//! budget file, the run-time problems of a model (as diagnostics pointing into the file), or a
//! one-line message. Each kind maps to one of the documented exit codes.

use hta_spec::{Diagnostic, Diagnostics, Loaded};

#[derive(Debug, Clone)]
pub enum Error {
    /// The model (or budget) file failed validation: every problem, each with file:line:col.
    Invalid(Diagnostics),
    /// The model failed a run-time check (a probability, row sum or value in some cycle).
    /// `context` lines (already prefixed) say which draw or parameter value, before the
    /// diagnostics.
    RunFailed { context: Vec<String>, diagnostics: Vec<Diagnostic> },
    /// The request does not fit the model (an unknown parameter, strategy, a bad option value).
    Usage(String),
    /// The model cannot be analysed as asked (exit code of an invalid model).
    Model(String),
    /// An analysis failed on the numbers (every draw failed, a degenerate PSA).
    Analysis(String),
    /// A file could not be read.
    Io(String),
    /// Another error, with a line of context in front (which scenario or subgroup it was).
    Within { context: String, error: Box<Error> },
}

impl Error {
    /// The run-time problems of `errors` as diagnostics in `loaded`'s file.
    pub fn run(loaded: &Loaded, errors: &hta_markov::RunErrors) -> Error {
        Error::RunFailed { context: Vec::new(), diagnostics: crate::run_errors::diagnostics(loaded, errors) }
    }

    /// The same error with a line of context in front.
    pub fn with_context(self, line: String) -> Error {
        match self {
            Error::RunFailed { mut context, diagnostics } => {
                context.insert(0, line);
                Error::RunFailed { context, diagnostics }
            }
            other => Error::Within { context: line, error: Box::new(other) },
        }
    }

    /// The error under any lines of context.
    pub fn innermost(&self) -> &Error {
        match self {
            Error::Within { error, .. } => error.innermost(),
            other => other,
        }
    }

    /// Every diagnostic this error carries (none for one-line messages).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => &d.0,
            Error::RunFailed { diagnostics, .. } => diagnostics,
            Error::Within { error, .. } => error.diagnostics(),
            _ => &[],
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(d) => {
                let n = d.errors().count();
                write!(f, "{n} problem{} found; nothing was run", if n == 1 { "" } else { "s" })
            }
            Error::RunFailed { context, .. } => {
                for line in context {
                    writeln!(f, "{line}")?;
                }
                write!(f, "the model failed its run-time checks")
            }
            Error::Usage(m) | Error::Model(m) | Error::Analysis(m) | Error::Io(m) => f.write_str(m),
            Error::Within { context, error } => write!(f, "{context}\n{error}"),
        }
    }
}

impl std::error::Error for Error {}
