//! Problems found in a model file, each with a stable code, the file, a span, what was found,
//! what was expected and a hint. Rendered by miette in the binary.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceCode, SourceSpan};
use serde_saphyr::Location;

/// A source file as read, shared by every diagnostic that points into it.
pub type Source = Arc<NamedSource<Arc<str>>>;

/// The file as diagnostics show it: control characters (which a terminal could act on) become
/// `?`, one per byte, so every byte offset still points at the same place.
pub fn source(name: &str, text: &str) -> Source {
    let shown: String = text
        .chars()
        .flat_map(|c| {
            let control = c.is_control() && !matches!(c, '\n' | '\t' | '\r');
            let n = if control { c.len_utf8() } else { 0 };
            let keep = if control { None } else { Some(c) };
            std::iter::repeat_n('?', n).chain(keep)
        })
        .collect();
    Arc::new(NamedSource::new(name, Arc::<str>::from(shown)).with_language("yaml"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, in model-file terms.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable kind of problem, e.g. `unknown-name`; documented in docs/model-format.md.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub source: Option<Source>,
    pub span: Option<SourceSpan>,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            source: None,
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, source: &Source, span: SourceSpan, label: impl Into<String>) -> Self {
        self.source = Some(source.clone());
        self.span = Some(span);
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help.or(self.help);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based line and column of the span's start, if the diagnostic points into a file.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        let (source, span) = (self.source.as_ref()?, self.span?);
        let text = source.inner();
        let offset = span.offset().min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, column))
    }

    /// `file:line:column`, or just the file name.
    pub fn location(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        Some(match self.line_column() {
            Some((line, column)) => format!("{}:{line}:{column}", source.name()),
            None => source.name().to_string(),
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Diagnostic {
    /// `file:line:column: message` on one line (for logs and the run record).
    pub fn one_line(&self) -> String {
        match self.location() {
            Some(location) => format!("{location}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("hta::{}", self.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(self.label.clone(), span))))
    }
}

/// The byte span a serde-saphyr location covers.
pub fn span_of(location: &Location) -> SourceSpan {
    let span = location.span();
    let offset = span.byte_offset().unwrap_or(span.offset()) as usize;
    let len = span.byte_len().unwrap_or(span.len()) as usize;
    SourceSpan::new(offset.into(), len.max(1))
}

/// Every problem found in one load, errors and warnings, in file order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }

    /// Orders by file position so the listing reads top to bottom.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| (d.source.as_ref().map(|s| s.name().to_string()), d.span.map(|s| s.offset())));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}", d.one_line())?;
        }
        Ok(())
    }
}
