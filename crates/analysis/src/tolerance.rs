//! When two costs, effects or ICERs count as equal.

/// Relative tolerance for ties in cost, effect and ICER: differences below one part in 10^9
/// (or 10^-9 absolute near zero) are rounding, not evidence.
pub const TIE: f64 = 1e-9;

/// Whether `a` and `b` are equal within [`TIE`].
pub fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= TIE * a.abs().max(b.abs()).max(1.0)
}

/// Whether `a` exceeds `b` by more than [`TIE`].
pub fn greater(a: f64, b: f64) -> bool {
    a > b && !same(a, b)
}
