//! Number formatting for people (terminal tables); files keep full precision.

/// `1234567.891` -> `1,234,567.89` with `decimals` places.
pub fn grouped(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    let negative = value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::grouped(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(super::grouped(-6275.96, 2), "-6,275.96");
        assert_eq!(super::grouped(999.0, 0), "999");
        assert_eq!(super::grouped(-0.0001, 2), "0.00");
        assert_eq!(super::grouped(7.991207, 4), "7.9912");
    }
}
