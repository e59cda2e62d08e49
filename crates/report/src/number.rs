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

/// `value` to `digits` significant digits, thousands grouped, trailing zeros dropped:
/// `993.575904` -> `993.576`, `0.000278` -> `0.000278`, `1200000` -> `1,200,000`.
pub fn significant(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - magnitude).clamp(0, 12) as usize;
    let text = grouped(value, decimals);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
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

    #[test]
    fn significant_digits() {
        assert_eq!(super::significant(993.575904, 6), "993.576");
        assert_eq!(super::significant(0.000278, 6), "0.000278");
        assert_eq!(super::significant(1_200_000.0, 6), "1,200,000");
        assert_eq!(super::significant(-0.5, 6), "-0.5");
        assert_eq!(super::significant(141.422222, 4), "141.4");
    }
}
