//! The formula language of model files: parse once, resolve names, compile to closures.
//!
//! A formula is text such as `1 - exp(-rate * cycle_years) * hr`. [`parse`] turns it into an
//! [`Expr`] tree whose names are still text; the spec crate resolves each name to a parameter,
//! a time variable or a table column ([`Expr::resolve`]); [`compile`] then turns the resolved tree
//! into a closure reading numbered slots, so that evaluating it many times costs no parsing
//! and no allocation.
//!
//! Grammar (lowest to highest precedence): `||`; `&&`; comparisons `== != < <= > >=`
//! (not chainable); `+ -`; `* /`; unary `-`; `^` (right-associative). Comparisons and logical
//! operators give 1 or 0. `-a^b` is rejected as ambiguous (R reads it as `-(a^b)`, Excel as
//! `(-a)^b`); write the parentheses you mean. Nesting is limited to [`MAX_DEPTH`] levels.

mod ast;
mod compile;
mod function;
mod lexer;
mod parser;

pub use ast::{BinaryOp, Expr, ExprKind, Reference, TimeVar};
pub use compile::{compile, CompiledExpr, Env, SlotLayout};
pub use function::Function;
pub use parser::{parse, FormulaError, MAX_DEPTH, MAX_FORMULA_LEN};
