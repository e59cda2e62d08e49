//! Splits formula text into tokens with byte spans.

use super::ast::Span;
use super::parser::FormulaError;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Ident(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    NotEq,
    AndAnd,
    OrOr,
}

pub fn tokenize(text: &str) -> Result<Vec<(Token, Span)>, FormulaError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i = scan_number(bytes, i);
            let literal = &text[start..i];
            let value: f64 =
                literal.parse().map_err(|_| FormulaError::new(format!("`{literal}` is not a number"), start..i))?;
            if !value.is_finite() {
                return Err(FormulaError::new(format!("`{literal}` is too large"), start..i));
            }
            let mantissa = literal.split(['e', 'E']).next().unwrap_or("");
            if value == 0.0 && mantissa.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
                return Err(FormulaError::new(
                    format!("`{literal}` is too small for a 64-bit number and would become 0; write 0 if 0 is meant"),
                    start..i,
                ));
            }
            tokens.push((Token::Number(value), start..i));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            tokens.push((Token::Ident(text[start..i].to_string()), start..i));
            continue;
        }
        let two = bytes.get(i..i + 2);
        let (token, len) = match (c, two) {
            (_, Some(b"<=")) => (Token::Le, 2),
            (_, Some(b">=")) => (Token::Ge, 2),
            (_, Some(b"==")) => (Token::EqEq, 2),
            (_, Some(b"!=")) => (Token::NotEq, 2),
            (_, Some(b"&&")) => (Token::AndAnd, 2),
            (_, Some(b"||")) => (Token::OrOr, 2),
            (b'+', _) => (Token::Plus, 1),
            (b'-', _) => (Token::Minus, 1),
            (b'*', _) => (Token::Star, 1),
            (b'/', _) => (Token::Slash, 1),
            (b'^', _) => (Token::Caret, 1),
            (b'(', _) => (Token::LParen, 1),
            (b')', _) => (Token::RParen, 1),
            (b',', _) => (Token::Comma, 1),
            (b'<', _) => (Token::Lt, 1),
            (b'>', _) => (Token::Gt, 1),
            _ => return Err(unexpected_character(text, start)),
        };
        i += len;
        tokens.push((token, start..i));
    }
    Ok(tokens)
}

fn scan_number(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = j;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

fn unexpected_character(text: &str, start: usize) -> FormulaError {
    let ch = text[start..].chars().next().unwrap_or('?');
    let end = start + ch.len_utf8();
    let help = match ch {
        '=' => Some("use `==` to compare; formulas do not assign".to_string()),
        '&' | '|' => Some("use `&&` for and, `||` for or".to_string()),
        '%' => Some("write percentages as fractions, e.g. 0.05".to_string()),
        '!' => Some("use `!=` for not equal".to_string()),
        _ => None,
    };
    let mut error = FormulaError::new(format!("unexpected character `{ch}`"), start..end);
    error.help = help;
    error
}
