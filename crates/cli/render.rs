//! Renders diagnostics with miette: a code, file:line:column, the source line with the
//! offending text underlined, and a hint. Plain (no colour) unless stderr is a terminal.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

pub fn diagnostic(d: &hta_spec::Diagnostic) -> String {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if colour { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, d).is_err() {
        out = format!("{d}\n");
    }
    shorten_long_lines(&out, colour)
}

/// Longest line of a rendered diagnostic (a minified or binary file can have lines of
/// megabytes; the message and position say enough).
const MAX_LINE: usize = 400;

fn shorten_long_lines(text: &str, colour: bool) -> String {
    let mut out = String::with_capacity(text.len().min(64 * 1024));
    for line in text.split_inclusive('\n') {
        if line.chars().count() > MAX_LINE {
            out.extend(line.chars().take(MAX_LINE));
            out.push_str(" … (line cut)");
            if colour {
                out.push_str("\u{1b}[0m");
            }
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_are_cut() {
        let text = format!("short\n{}\nend\n", "x".repeat(10_000));
        let out = super::shorten_long_lines(&text, false);
        assert!(out.len() < 600 && out.contains("(line cut)") && out.ends_with("end\n"), "{out}");
    }
}
