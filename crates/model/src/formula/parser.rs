//! Pratt parser from tokens to [`Expr`], with a nesting-depth limit.

use super::ast::{BinaryOp, Expr, ExprKind, Span};
use super::function::Function;
use super::lexer::{tokenize, Token};

/// Deepest nesting of parentheses, calls and unary minus accepted in one formula.
pub const MAX_DEPTH: usize = 64;
/// Longest formula text accepted, in bytes.
pub const MAX_FORMULA_LEN: usize = 10_000;

/// A problem in a formula's text, with the byte span it concerns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FormulaError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

impl FormulaError {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        FormulaError { message: message.into(), span, help: None }
    }

    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Parses formula text. Names stay unresolved ([`ExprKind::Name`]); function names and
/// argument counts are checked here.
pub fn parse(text: &str) -> Result<Expr, FormulaError> {
    if text.len() > MAX_FORMULA_LEN {
        return Err(FormulaError::new(
            format!("formula is {} bytes long; the limit is {MAX_FORMULA_LEN}", text.len()),
            0..0,
        ));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(FormulaError::new("empty formula", 0..text.len()).with_help("write a number or an expression"));
    }
    let mut parser = Parser { tokens, pos: 0, depth: 0, end: text.len() };
    let expr = parser.expression(0)?;
    match parser.peek() {
        None => Ok(expr),
        Some((token, span)) => {
            Err(FormulaError::new(format!("unexpected {} after a complete expression", describe(token)), span.clone())
                .with_help("is an operator missing?"))
        }
    }
}

struct Parser {
    tokens: Vec<(Token, Span)>,
    pos: usize,
    depth: usize,
    end: usize,
}

/// Binding power of a binary operator: (left, right). Right-associative `^` has right < left.
fn binding_power(token: &Token) -> Option<(BinaryOp, u8, u8)> {
    let op = match token {
        Token::OrOr => (BinaryOp::Or, 1, 2),
        Token::AndAnd => (BinaryOp::And, 3, 4),
        Token::Lt => (BinaryOp::Lt, 5, 6),
        Token::Le => (BinaryOp::Le, 5, 6),
        Token::Gt => (BinaryOp::Gt, 5, 6),
        Token::Ge => (BinaryOp::Ge, 5, 6),
        Token::EqEq => (BinaryOp::Eq, 5, 6),
        Token::NotEq => (BinaryOp::Ne, 5, 6),
        Token::Plus => (BinaryOp::Add, 7, 8),
        Token::Minus => (BinaryOp::Sub, 7, 8),
        Token::Star => (BinaryOp::Mul, 9, 10),
        Token::Slash => (BinaryOp::Div, 9, 10),
        Token::Caret => (BinaryOp::Pow, 14, 13),
        _ => return None,
    };
    Some(op)
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne)
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(v) => format!("number `{v}`"),
        Token::Ident(name) => format!("name `{name}`"),
        Token::Plus => "`+`".into(),
        Token::Minus => "`-`".into(),
        Token::Star => "`*`".into(),
        Token::Slash => "`/`".into(),
        Token::Caret => "`^`".into(),
        Token::LParen => "`(`".into(),
        Token::RParen => "`)`".into(),
        Token::Comma => "`,`".into(),
        Token::Lt => "`<`".into(),
        Token::Le => "`<=`".into(),
        Token::Gt => "`>`".into(),
        Token::Ge => "`>=`".into(),
        Token::EqEq => "`==`".into(),
        Token::NotEq => "`!=`".into(),
        Token::AndAnd => "`&&`".into(),
        Token::OrOr => "`||`".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&(Token, Span)> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<(Token, Span)> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn end_span(&self) -> Span {
        self.end..self.end
    }

    fn enter(&mut self, span: &Span) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FormulaError::new(format!("formula nests deeper than {MAX_DEPTH} levels"), span.clone()));
        }
        Ok(())
    }

    fn expression(&mut self, min_bp: u8) -> Result<Expr, FormulaError> {
        let mut lhs = self.prefix()?;
        let mut last_comparison: Option<Span> = None;
        while let Some((token, span)) = self.peek() {
            let Some((op, left_bp, right_bp)) = binding_power(token) else { break };
            if left_bp < min_bp {
                break;
            }
            let op_span = span.clone();
            if is_comparison(op) {
                if let Some(previous) = &last_comparison {
                    return Err(FormulaError::new("comparisons cannot be chained", previous.start..op_span.end)
                        .with_help("write `a < b && b < c`"));
                }
                last_comparison = Some(op_span.clone());
            }
            self.pos += 1;
            let rhs = self.expression(right_bp)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span };
        }
        Ok(lhs)
    }

    /// A unary minus, or a primary. `-a^b` is refused as ambiguous.
    fn prefix(&mut self) -> Result<Expr, FormulaError> {
        let Some((token, span)) = self.peek().cloned() else {
            return Err(FormulaError::new("formula ends where a value was expected", self.end_span()));
        };
        if token != Token::Minus {
            return self.primary();
        }
        self.pos += 1;
        self.enter(&span)?;
        let operand = self.prefix()?;
        self.depth -= 1;
        if let Some((Token::Caret, caret)) = self.peek() {
            return Err(FormulaError::new("`-a^b` is ambiguous", span.start..caret.end)
                .with_help("R reads it as -(a^b), Excel as (-a)^b: write the parentheses you mean"));
        }
        let span = span.start..operand.span.end;
        Ok(Expr { kind: ExprKind::Negate(Box::new(operand)), span })
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        let Some((token, span)) = self.next() else {
            return Err(FormulaError::new("formula ends where a value was expected", self.end_span()));
        };
        match token {
            Token::Number(value) => Ok(Expr { kind: ExprKind::Number(value), span }),
            Token::Ident(name) => {
                if matches!(self.peek(), Some((Token::LParen, _))) {
                    self.call(name, span)
                } else {
                    Ok(Expr { kind: ExprKind::Name(name), span })
                }
            }
            Token::LParen => {
                self.enter(&span)?;
                let inner = self.expression(0)?;
                self.depth -= 1;
                match self.next() {
                    Some((Token::RParen, close)) => Ok(Expr { kind: inner.kind, span: span.start..close.end }),
                    Some((other, at)) => {
                        Err(FormulaError::new(format!("expected `)` but found {}", describe(&other)), at))
                    }
                    None => Err(FormulaError::new("missing `)`", span)),
                }
            }
            other => {
                Err(FormulaError::new(format!("expected a number, a name or `(` but found {}", describe(&other)), span))
            }
        }
    }

    fn call(&mut self, name: String, name_span: Span) -> Result<Expr, FormulaError> {
        let Some(function) = Function::from_name(&name) else {
            let mut error = FormulaError::new(format!("unknown function `{name}`"), name_span.clone());
            let names: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
            error.help = Some(match crate::suggest::closest(&name, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("functions: {}", names.join(", ")),
            });
            return Err(error);
        };
        self.enter(&name_span)?;
        self.pos += 1; // the `(`
        let mut args = Vec::new();
        if matches!(self.peek(), Some((Token::RParen, _))) {
            self.pos += 1;
        } else {
            loop {
                args.push(self.expression(0)?);
                match self.next() {
                    Some((Token::Comma, _)) => continue,
                    Some((Token::RParen, _)) => break,
                    Some((other, at)) => {
                        return Err(FormulaError::new(
                            format!("expected `,` or `)` but found {}", describe(&other)),
                            at,
                        ))
                    }
                    None => {
                        return Err(FormulaError::new(format!("missing `)` after arguments of `{name}`"), name_span))
                    }
                }
            }
        }
        self.depth -= 1;
        let end = self.tokens.get(self.pos - 1).map_or(self.end, |(_, s)| s.end);
        let (least, most) = function.arity();
        if args.len() < least || args.len() > most {
            let mut error = FormulaError::new(
                format!("`{name}` takes {}, got {}", plural_args(least, most), args.len()),
                name_span.start..end,
            )
            .with_help(format!("usage: {}", function.signature()));
            if function == Function::Log && args.len() == 1 {
                error.help = Some("use ln(x) for the natural logarithm, log10(x) for base 10, or log(x, base)".into());
            }
            return Err(error);
        }
        Ok(Expr { kind: ExprKind::Call(function, args), span: name_span.start..end })
    }
}

fn plural_args(least: usize, most: usize) -> String {
    match (least, most) {
        (1, 1) => "1 argument".into(),
        (l, m) if l == m => format!("{l} arguments"),
        (l, usize::MAX) => format!("at least {l} arguments"),
        (l, m) => format!("{l} or {m} arguments"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_constant(text: &str) -> f64 {
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        crate::formula::compile::eval_constant(&expr).unwrap_or(f64::NAN)
    }

    #[test]
    fn precedence_and_associativity() {
        let cases = [
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("2 ^ -1", 0.5),
            ("(-2) ^ 2", 4.0),
            ("-(2 ^ 2)", -4.0),
            ("1 / 2", 0.5),
            ("8 / 4 / 2", 1.0),
            ("10 - 4 - 3", 3.0),
            ("2 * -3", -6.0),
            ("1 < 2", 1.0),
            ("1 >= 2", 0.0),
            ("1 < 2 && 3 < 2", 0.0),
            ("1 < 2 || 3 < 2", 1.0),
            ("1 + 1 == 2", 1.0),
            ("if(0, 1/0, 5)", 5.0),
            ("max(1, 4, 2) - min(3, -1)", 5.0),
            ("log(8, 2)", 3.0),
            ("if(0 / 0 > 1, 1, 2) + 1", f64::NAN),
            ("1e-3 * 1000", 1.0),
            (".5 + .5", 1.0),
        ];
        for (text, expected) in cases {
            let got = eval_constant(text);
            let same = (got - expected).abs() < 1e-12 || (got.is_nan() && expected.is_nan());
            assert!(same, "{text}: got {got}, expected {expected}");
        }
    }

    #[test]
    fn rejects_ambiguous_and_malformed() {
        let cases = [
            ("-2^2", "ambiguous"),
            ("-x^2", "ambiguous"),
            ("1 +", "ends where a value"),
            ("(1 + 2", "missing `)`"),
            ("1 2", "unexpected number"),
            ("expp(1)", "unknown function"),
            ("log(3)", "takes 2 arguments"),
            ("if(1, 2)", "takes 3 arguments"),
            ("1 < 2 < 3", "cannot be chained"),
            ("a = 1", "unexpected character"),
            ("", "empty formula"),
            ("1e999", "too large"),
        ];
        for (text, needle) in cases {
            let error = parse(text).expect_err(text);
            assert!(error.message.contains(needle), "{text}: {}", error.message);
        }
    }

    #[test]
    fn depth_limit_stops_deep_nesting_without_overflow() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let error = parse(&deep[..MAX_FORMULA_LEN.min(deep.len())]).expect_err("too deep or too long");
        assert!(error.message.contains("deeper") || error.message.contains("long"));
        let nested = format!("{}1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(parse(&nested).expect_err("deep").message.contains("deeper"));
        let ok = format!("{}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let minus = "-".repeat(MAX_DEPTH + 5) + "1";
        assert!(parse(&minus).is_err());
    }

    #[test]
    fn spans_point_at_the_problem() {
        let error = parse("1 + foo(2)").expect_err("unknown");
        assert_eq!(error.span, 4..7);
        let expr = parse("a + bb").expect("parses");
        let mut names = Vec::new();
        expr.walk(&mut |node| {
            if let ExprKind::Name(name) = &node.kind {
                names.push((name.clone(), node.span.clone()));
            }
        });
        assert_eq!(names, vec![("a".to_string(), 0..1), ("bb".to_string(), 4..6)]);
    }
}
