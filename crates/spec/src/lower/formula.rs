//! Formulas in the file: parse, resolve names, check table-column use, map spans to the file.

use hta_model::formula::{parse, Expr, ExprKind, Function, Reference, TimeVar};
use hta_model::{Formula, Origin, ParamId, TableId};
use miette::SourceSpan;
use serde_saphyr::{Location, Spanned};

use super::{Lowerer, Names};
use crate::diagnostic::{span_of, Diagnostic};
use crate::names::did_you_mean;
use crate::raw::Scalar;

impl Lowerer<'_> {
    /// Byte offset where the text of a scalar starts (after an opening quote).
    fn text_start(&self, location: &Location) -> usize {
        let start = span_of(location).offset();
        match self.text.as_bytes().get(start) {
            Some(b'"' | b'\'') => start + 1,
            _ => start,
        }
    }

    /// Converts a number-or-formula into a resolved [`Formula`], reporting every problem.
    pub fn formula(&mut self, scalar: &Spanned<Scalar>, names: &Names, what: &str) -> Option<Formula> {
        let location = &scalar.referenced;
        match &scalar.value {
            Scalar::Number(value) => {
                if !value.is_finite() {
                    self.error("not-finite", location, format!("{what} is {value}"), "not a finite number");
                    return None;
                }
                let span = span_of(location);
                let origin = Origin { offset: span.offset(), len: span.len() };
                Some(Formula { text: value.to_string(), expr: Expr::number(*value), origin })
            }
            Scalar::Text(text) => self.parse_formula(text, location, names, what),
        }
    }

    fn parse_formula(&mut self, text: &str, location: &Location, names: &Names, what: &str) -> Option<Formula> {
        let base = self.text_start(location);
        let origin = Origin { offset: base, len: text.len() };
        // Spans inside the formula map onto the file only where the text appears verbatim
        // (not for folded multi-line scalars or escapes); otherwise point at the whole value.
        let verbatim = self.text.get(base..base + text.len()) == Some(text);
        let whole = span_of(location);
        let locate = |span: &std::ops::Range<usize>| if verbatim { file_span(base, span) } else { whole };
        let mut expr = match parse(text) {
            Ok(expr) => expr,
            Err(error) => {
                let span = locate(&error.span);
                let diagnostic =
                    Diagnostic::error("formula-syntax", format!("invalid formula for {what}: {}", error.message))
                        .at(&self.source, span, error.message.clone())
                        .maybe_help(error.help);
                self.push(diagnostic);
                return None;
            }
        };
        let mut errors = Vec::new();
        expr.resolve(&mut |name, span| resolve_name(name, span, names).map_err(|e| (e, span.clone())), &mut errors);
        let ok = errors.is_empty();
        for ((message, help), span) in errors {
            let diagnostic = Diagnostic::error("unknown-name", format!("in the formula for {what}: {message}"))
                .at(&self.source, locate(&span), message)
                .maybe_help(help);
            self.push(diagnostic);
        }
        if !ok {
            return None;
        }
        if !self.check_columns(&expr, if verbatim { Some(base) } else { None }, whole, what) {
            return None;
        }
        Some(Formula { text: text.to_string(), expr, origin })
    }

    /// Table columns may appear only as the first argument of `lookup`, and that argument
    /// must be a column.
    fn check_columns(&mut self, expr: &Expr, base: Option<usize>, whole: SourceSpan, what: &str) -> bool {
        let mut allowed = Vec::new();
        let mut problems: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        expr.walk(&mut |node| {
            if let ExprKind::Call(f, args) = &node.kind {
                if f.is_survival() {
                    match args.first() {
                        Some(first) if matches!(first.kind, ExprKind::Ref(Reference::Curve(_))) => {
                            allowed.push(first.span.clone())
                        }
                        Some(first) => problems.push((
                            format!("the first argument of `{}` must be a survival curve", f.name()),
                            first.span.clone(),
                        )),
                        None => {}
                    }
                }
            }
            if let ExprKind::Call(Function::Lookup, args) = &node.kind {
                match args.first() {
                    Some(first) if matches!(first.kind, ExprKind::Ref(Reference::Column { .. })) => {
                        allowed.push(first.span.clone());
                    }
                    Some(first) => problems
                        .push(("the first argument of `lookup` must be `table.column`".into(), first.span.clone())),
                    None => {}
                }
            }
        });
        expr.walk(&mut |node| {
            if matches!(node.kind, ExprKind::Ref(Reference::Curve(_))) && !allowed.contains(&node.span) {
                problems.push((
                    "a survival curve can only be used through surv, hazard, cumhaz, event_prob or cycle_prob".into(),
                    node.span.clone(),
                ));
            }
            if matches!(node.kind, ExprKind::Ref(Reference::Column { .. })) && !allowed.contains(&node.span) {
                problems.push((
                    "a table column can only be read through `lookup(table.column, key)`".into(),
                    node.span.clone(),
                ));
            }
        });
        let ok = problems.is_empty();
        for (message, span) in problems {
            let span = base.map_or(whole, |b| file_span(b, &span));
            let diagnostic = Diagnostic::error("lookup-misuse", format!("in the formula for {what}: {message}")).at(
                &self.source,
                span,
                "here",
            );
            self.push(diagnostic);
        }
        ok
    }
}

fn file_span(base: usize, span: &std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new((base + span.start).into(), (span.end - span.start).max(1))
}

type NameProblem = (String, Option<String>);

fn resolve_name(name: &str, _span: &std::ops::Range<usize>, names: &Names) -> Result<Reference, NameProblem> {
    if let Some((table, column)) = name.split_once('.') {
        return resolve_column(table, column, names);
    }
    if let Some(var) = TimeVar::from_name(name) {
        if var == TimeVar::Age && !names.has_start_age {
            return Err((
                "`age` is used but the cohort has no start age".into(),
                Some("add `cohort: { start_age: ... }`".into()),
            ));
        }
        return Ok(Reference::Time(var));
    }
    if let Some(index) = names.params.get(name) {
        return Ok(Reference::Param(ParamId::new(index)));
    }
    if let Some(index) = names.curves.get(name) {
        return Ok(Reference::Curve(hta_model::CurveId::new(index)));
    }
    if names.states.get(name).is_some() {
        return Err((
            format!("`{name}` is a state, not a parameter"),
            Some("formulas read parameters, time variables and table columns".into()),
        ));
    }
    let mut candidates: Vec<&str> = names.params.index.keys().map(String::as_str).collect();
    candidates.extend(TimeVar::ALL.iter().map(|v| v.name()));
    candidates.extend(names.curves.index.keys().map(String::as_str));
    let suggestion = hta_model::suggest::closest(name, candidates).map(str::to_string);
    let help = did_you_mean(suggestion)
        .or_else(|| (names.params.len() > 0).then(|| format!("parameters: {}", names.params.listing())));
    Err((format!("unknown name `{name}`"), help))
}

fn resolve_column(table: &str, column: &str, names: &Names) -> Result<Reference, NameProblem> {
    let Some(t) = names.tables.get(table) else {
        return Err((format!("unknown table `{table}`"), did_you_mean(names.tables.suggest(table))));
    };
    if names.table_failed.get(t).copied().unwrap_or(true) {
        // The table's own error is reported; any column name is accepted here.
        return Ok(Reference::Column { table: TableId::new(t), column: 0 });
    }
    let columns = &names.table_columns[t];
    match columns.iter().position(|c| c == column) {
        Some(c) => Ok(Reference::Column { table: TableId::new(t), column: c }),
        None => {
            let suggestion =
                hta_model::suggest::closest(column, columns.iter().map(String::as_str)).map(str::to_string);
            let help = did_you_mean(suggestion.map(|s| format!("{table}.{s}")))
                .unwrap_or_else(|| format!("columns of `{table}`: {}", columns.join(", ")));
            Err((format!("table `{table}` has no column `{column}`"), Some(help)))
        }
    }
}
