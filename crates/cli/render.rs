//! Renders diagnostics with miette: a code, file:line:column, the source line with the
//! offending text underlined, and a hint. Plain (no colour) unless stderr is a terminal.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

pub fn diagnostic(d: &hta_spec::Diagnostic) -> String {
    let theme = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, d).is_err() {
        out = format!("{d}\n");
    }
    out
}
