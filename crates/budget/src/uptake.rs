//! Uptake of the new option: its share of the eligible (or of the untreated pool) by year
//! (DOMAIN.md §5.2). Years are 1-based.

/// An uptake curve.
#[derive(Debug, Clone, PartialEq)]
pub enum Uptake {
    /// From `from` in year 1 to `to` in year `years`, straight line, then flat.
    Linear { from: f64, to: f64, years: u32 },
    /// `before` until year `at` (exclusive), `after` from year `at`.
    Step { before: f64, after: f64, at: u32 },
    /// u_y = max · (1 − e^(−k·y)).
    Saturating { max: f64, k: f64 },
    /// u_y = max / (1 + e^(−k (y − midpoint))).
    Logistic { max: f64, k: f64, midpoint: f64 },
    /// Given per year (the last value holds after the table).
    Table(Vec<f64>),
}

impl Uptake {
    /// Share in year `year` (1-based).
    pub fn share(&self, year: u32) -> f64 {
        let y = f64::from(year);
        match self {
            Uptake::Linear { from, to, years } if *years <= 1 => {
                let _ = from;
                *to
            }
            Uptake::Linear { from, to, years } => {
                let progress = ((y - 1.0) / (f64::from(*years) - 1.0)).clamp(0.0, 1.0);
                from + (to - from) * progress
            }
            Uptake::Step { before, after, at } => {
                if year < *at {
                    *before
                } else {
                    *after
                }
            }
            Uptake::Saturating { max, k } => max * (1.0 - (-k * y).exp()),
            Uptake::Logistic { max, k, midpoint } => max / (1.0 + (-k * (y - midpoint)).exp()),
            Uptake::Table(values) => {
                let i = (year.max(1) - 1) as usize;
                values.get(i).or(values.last()).copied().unwrap_or(0.0)
            }
        }
    }

    /// Checks that every share over `years` lies in [0, 1].
    pub fn check(&self, years: u32) -> Result<(), String> {
        for y in 1..=years {
            let s = self.share(y);
            if !(0.0..=1.0).contains(&s) {
                return Err(format!("uptake in year {y} is {s}, outside [0, 1]"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves() {
        let linear = Uptake::Linear { from: 0.1, to: 0.5, years: 5 };
        assert!((linear.share(1) - 0.1).abs() < 1e-15);
        assert!((linear.share(3) - 0.3).abs() < 1e-15);
        assert!((linear.share(9) - 0.5).abs() < 1e-15);
        assert_eq!(Uptake::Step { before: 0.0, after: 0.4, at: 3 }.share(2), 0.0);
        assert_eq!(Uptake::Step { before: 0.0, after: 0.4, at: 3 }.share(3), 0.4);
        let s = Uptake::Saturating { max: 0.6, k: 0.5 };
        assert!((s.share(2) - 0.6 * (1.0 - (-1.0f64).exp())).abs() < 1e-15);
        let l = Uptake::Logistic { max: 0.8, k: 1.0, midpoint: 3.0 };
        assert!((l.share(3) - 0.4).abs() < 1e-15);
        assert_eq!(Uptake::Table(vec![0.1, 0.2]).share(5), 0.2);
        assert!(Uptake::Linear { from: 0.1, to: 1.5, years: 3 }.check(3).is_err());
    }
}
