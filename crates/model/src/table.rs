//! Lookup tables (life tables, utility norms, price schedules) with stated interpolation.

/// How values between keys are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// The row whose key is the largest key <= x (row i covers `[key_i, key_i+1)`; the last row
    /// covers one more interval of the same width as the one before it, so an integer-age life
    /// table ending at 89 covers ages up to 90).
    Step,
    /// Straight line between the two neighbouring keys.
    Linear,
}

/// What happens to a key outside the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// The lookup fails (NaN), and the run stops with an error naming the cycle.
    Error,
    /// The first or last value holds.
    Hold,
}

/// Relative slack on a step lookup's key, for rounding in computed times and ages.
pub const KEY_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq)]
pub struct LookupTable {
    pub name: String,
    pub key_name: String,
    /// Strictly increasing, finite.
    pub keys: Vec<f64>,
    pub columns: Vec<TableColumn>,
    pub interpolation: Interpolation,
    pub outside: Outside,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    pub name: String,
    pub values: Vec<f64>,
}

impl LookupTable {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Value of `column` at key `x`, or NaN when `x` is outside the table and the table says
    /// [`Outside::Error`] (or `x` is NaN).
    pub fn lookup(&self, column: usize, x: f64) -> f64 {
        let Some(values) = self.columns.get(column).map(|c| &c.values) else {
            return f64::NAN;
        };
        let n = self.keys.len();
        if x.is_nan() || n == 0 {
            return f64::NAN;
        }
        // Keys computed as (k - 1) * cycle_years can land a rounding error below a whole
        // number (27.999999999999996 for 1,461 weeks); a step lookup treats them as that number.
        let x = if self.interpolation == Interpolation::Step { x + KEY_TOLERANCE * x.abs().max(1.0) } else { x };
        let first = self.keys[0];
        let last = self.keys[n - 1];
        let upper = match self.interpolation {
            Interpolation::Step if n >= 2 => last + (last - self.keys[n - 2]),
            Interpolation::Step => f64::INFINITY,
            Interpolation::Linear => last,
        };
        let beyond = if self.interpolation == Interpolation::Step { x >= upper } else { x > upper };
        if x < first || beyond {
            return match self.outside {
                Outside::Error => f64::NAN,
                Outside::Hold if x < first => values[0],
                Outside::Hold => values[n - 1],
            };
        }
        // Largest i with keys[i] <= x.
        let i = self.keys.partition_point(|&k| k <= x).saturating_sub(1);
        match self.interpolation {
            Interpolation::Step => values[i],
            Interpolation::Linear if i + 1 >= n => values[n - 1],
            Interpolation::Linear => {
                let (k0, k1) = (self.keys[i], self.keys[i + 1]);
                let w = (x - k0) / (k1 - k0);
                values[i] + w * (values[i + 1] - values[i])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(interpolation: Interpolation, outside: Outside) -> LookupTable {
        LookupTable {
            name: "t".into(),
            key_name: "age".into(),
            keys: vec![40.0, 41.0, 42.0],
            columns: vec![TableColumn { name: "q".into(), values: vec![0.1, 0.2, 0.4] }],
            interpolation,
            outside,
            source: None,
        }
    }

    #[test]
    fn step_uses_row_at_or_below() {
        let t = table(Interpolation::Step, Outside::Error);
        assert_eq!(t.lookup(0, 40.0), 0.1);
        assert_eq!(t.lookup(0, 40.99), 0.1);
        assert_eq!(t.lookup(0, 41.0), 0.2);
        assert_eq!(t.lookup(0, 42.9), 0.4);
        assert!(t.lookup(0, 43.0).is_nan());
        assert!(t.lookup(0, 39.9).is_nan());
        // 1,460 weekly cycles compute to 27.999999999999996 years, one ulp below 28.
        let weeks = 1460.0 * (7.0 / 365.25);
        assert!(weeks < 28.0);
        let just_below_41 = f64::from_bits(41f64.to_bits() - 1);
        assert_eq!(t.lookup(0, just_below_41), 0.2);
    }

    #[test]
    fn linear_interpolates_and_holds() {
        let t = table(Interpolation::Linear, Outside::Hold);
        assert!((t.lookup(0, 41.5) - 0.3).abs() < 1e-15);
        assert_eq!(t.lookup(0, 42.0), 0.4);
        assert_eq!(t.lookup(0, 50.0), 0.4);
        assert_eq!(t.lookup(0, 10.0), 0.1);
        let strict = table(Interpolation::Linear, Outside::Error);
        assert!(strict.lookup(0, 42.01).is_nan());
    }
}
