//! What can be wrong with the numbers handed to a payment scheme, and the checks that find it.
//!
//! Every public function of [`crate::payment`] validates its inputs and returns one of these
//! instead of panicking or silently producing NaN. The `quantity` names the contract parameter in
//! the words of DOMAIN.md §5.4, with the index in brackets for vectors (`q[3]`; for vectors by
//! year offset the index is τ, for vectors by calendar year it is y − 1).

use std::fmt;

use super::tolerance::SUM_TO_ONE;

pub type Result<T> = std::result::Result<T, PaymentError>;

#[derive(Debug, Clone, PartialEq)]
pub enum PaymentError {
    /// A number outside its allowed range (NaN, infinite, negative, outside [0, 1], ...).
    InvalidValue { quantity: String, value: f64, requirement: &'static str },
    /// Fractions, shares or weights that must sum to 1 (within [`SUM_TO_ONE`]) do not.
    DoesNotSumToOne { quantity: String, sum: f64 },
    /// A vector is shorter or longer than the one it goes with.
    LengthMismatch { quantity: String, expected: usize, found: usize, requirement: &'static str },
    /// A list that needs at least one entry is empty.
    Empty { quantity: String },
    /// Cut-offs, bounds or survival values out of order (e.g. tier bounds not increasing).
    OutOfOrder { quantity: String, index: usize, value: f64, previous: f64, requirement: &'static str },
}

impl PaymentError {
    /// The same error, with `[index]` appended to the quantity's name.
    pub(crate) fn at_index(self, index: usize) -> Self {
        match self {
            Self::InvalidValue { quantity, value, requirement } => {
                Self::InvalidValue { quantity: format!("{quantity}[{index}]"), value, requirement }
            }
            other => other,
        }
    }
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidValue { quantity, value, requirement } => {
                write!(f, "{quantity} is {value}; it must be {requirement}")
            }
            Self::DoesNotSumToOne { quantity, sum } => {
                write!(f, "{quantity} sum to {}; they must sum to 1 (within {SUM_TO_ONE:e})", twelve_decimals(*sum))
            }
            Self::LengthMismatch { quantity, expected, found, requirement } => {
                write!(f, "{quantity} has {found} values; it must have {requirement} {expected}")
            }
            Self::Empty { quantity } => write!(f, "{quantity} is empty; at least one value is needed"),
            Self::OutOfOrder { quantity, index, value, previous, requirement } => write!(
                f,
                "{quantity}[{index}] is {value} after {previous} at [{}]; the values must be {requirement}",
                index.saturating_sub(1)
            ),
        }
    }
}

impl std::error::Error for PaymentError {}

/// A sum shown to 12 decimals without trailing zeros (0.1 + 0.5 + 0.3 shows as 0.9, not
/// 0.8999999999999999), still fine enough to show a miss of 10^-9.
fn twelve_decimals(value: f64) -> String {
    let text = format!("{value:.12}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn invalid(quantity: &str, value: f64, requirement: &'static str) -> PaymentError {
    PaymentError::InvalidValue { quantity: quantity.to_owned(), value, requirement }
}

/// Any finite number (amounts that may be negative, such as refunds and offsets).
pub(crate) fn finite(quantity: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(quantity, value, "a finite number"))
    }
}

/// A finite number ≥ 0 (prices, patients, caps, deductibles).
pub(crate) fn non_negative(quantity: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(quantity, value, "a finite number ≥ 0"))
    }
}

/// A finite number > 0 (divisors such as the forecast spend or the cost per patient).
pub(crate) fn positive(quantity: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(quantity, value, "a finite number > 0"))
    }
}

/// A probability, fraction or share in [0, 1].
pub(crate) fn unit_interval(quantity: &str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(quantity, value, "in [0, 1]"))
    }
}

/// An annual interest or discount rate: finite and > −1 (so that 1 + r > 0).
pub(crate) fn annual_rate(quantity: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > -1.0 {
        Ok(value)
    } else {
        Err(invalid(quantity, value, "a finite annual rate > -1"))
    }
}

/// Apply a scalar check to every element, naming the first bad one by its index.
pub(crate) fn each(quantity: &str, values: &[f64], check: fn(&str, f64) -> Result<f64>) -> Result<()> {
    for (index, &value) in values.iter().enumerate() {
        check(quantity, value).map_err(|e| e.at_index(index))?;
    }
    Ok(())
}

/// Values in [0, 1] whose sum is 1 within [`SUM_TO_ONE`] (absolute).
pub(crate) fn fractions_summing_to_one(quantity: &str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(PaymentError::Empty { quantity: quantity.to_owned() });
    }
    each(quantity, values, unit_interval)?;
    let sum: f64 = values.iter().sum();
    if (sum - 1.0).abs() <= SUM_TO_ONE {
        Ok(())
    } else {
        Err(PaymentError::DoesNotSumToOne { quantity: quantity.to_owned(), sum })
    }
}

/// `found` must equal `expected`.
pub(crate) fn same_length(quantity: &str, expected: usize, found: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(PaymentError::LengthMismatch { quantity: quantity.to_owned(), expected, found, requirement: "exactly" })
    }
}

/// `found` must be at least `expected`.
pub(crate) fn at_least_length(quantity: &str, expected: usize, found: usize) -> Result<()> {
    if found >= expected {
        Ok(())
    } else {
        Err(PaymentError::LengthMismatch { quantity: quantity.to_owned(), expected, found, requirement: "at least" })
    }
}

/// Values that increase strictly (tier bounds, cut-offs).
pub(crate) fn strictly_increasing(quantity: &str, values: &[f64]) -> Result<()> {
    for (index, pair) in values.windows(2).enumerate() {
        if pair[1] <= pair[0] {
            return Err(PaymentError::OutOfOrder {
                quantity: quantity.to_owned(),
                index: index + 1,
                value: pair[1],
                previous: pair[0],
                requirement: "strictly increasing",
            });
        }
    }
    Ok(())
}

/// Values that never increase (survival at successive cut-offs).
pub(crate) fn non_increasing(quantity: &str, values: &[f64]) -> Result<()> {
    for (index, pair) in values.windows(2).enumerate() {
        if pair[1] > pair[0] {
            return Err(PaymentError::OutOfOrder {
                quantity: quantity.to_owned(),
                index: index + 1,
                value: pair[1],
                previous: pair[0],
                requirement: "non-increasing",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_quantity_the_value_and_the_rule() {
        let e = fractions_summing_to_one("instalment fractions", &[0.2, 0.2, 0.2, 0.2]).expect_err("sum is 0.8");
        assert_eq!(e.to_string(), "instalment fractions sum to 0.8; they must sum to 1 (within 1e-9)");
        let e = fractions_summing_to_one("shares", &[0.1, 0.5, 0.3]).expect_err("sum is 0.9");
        assert_eq!(e.to_string(), "shares sum to 0.9; they must sum to 1 (within 1e-9)");
        let e = fractions_summing_to_one("shares", &[0.5, 0.500000002]).expect_err("sum is 1.000000002");
        assert_eq!(e.to_string(), "shares sum to 1.000000002; they must sum to 1 (within 1e-9)");
        let e = fractions_summing_to_one("q", &[0.5, 1.5]).expect_err("out of range");
        assert_eq!(e.to_string(), "q[1] is 1.5; it must be in [0, 1]");
        let e = strictly_increasing("tier bounds", &[100.0, 100.0]).expect_err("tie");
        assert_eq!(e.to_string(), "tier bounds[1] is 100 after 100 at [0]; the values must be strictly increasing");
        let e = annual_rate("discount rate", -1.0).expect_err("-100 %");
        assert_eq!(e.to_string(), "discount rate is -1; it must be a finite annual rate > -1");
        let e = same_length("q", 5, 3).expect_err("short");
        assert_eq!(e.to_string(), "q has 3 values; it must have exactly 5");
        assert!(finite("amount", f64::NAN).is_err());
        assert!(non_negative("price", -0.0).is_ok());
    }
}
