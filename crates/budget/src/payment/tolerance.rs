//! When numbers in payment contracts count as equal.

/// Fractions, shares and weights that must sum to 1 (instalment fractions, payer shares, income
/// tiers, DRG subgroup shares): an absolute error up to 10^-9 is rounding of hand-typed
/// percentages (five times 0.2 sums to 1 within 2·10^-16), a missing 0.1 % is an input error.
pub const SUM_TO_ONE: f64 = 1e-9;

/// Whole-patient counts from a quotient (fund capacity): a quotient within 10^-9 relative of an
/// integer is that integer, so that 2,400,000 / 480,000 gives 5 patients even if the division
/// rounds to 4.999999999999999; otherwise the quotient is rounded down.
pub const WHOLE_COUNT: f64 = 1e-9;

/// Tests: DOMAIN.md worked examples and property tests agree with the code to 10^-9 relative
/// (amounts in CNY up to 10^9, so this is below a cent on a patient and a few CNY on a fund).
#[cfg(test)]
pub(crate) const WORKED_EXAMPLE: f64 = 1e-9;

/// Tests: every element of `got` equals `expected` within [`WORKED_EXAMPLE`].
#[cfg(test)]
pub(crate) fn assert_all_close(got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        approx::assert_relative_eq!(*g, *e, max_relative = WORKED_EXAMPLE);
    }
}
