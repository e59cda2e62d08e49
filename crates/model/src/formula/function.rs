//! Built-in functions of the formula language, with their arity and meaning.

/// A built-in function. Durations are in years; where a duration may be left out it defaults to
/// the model's cycle length (`cycle_years`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Exp,
    /// Natural logarithm.
    Ln,
    /// `log(x, base)`: the base is required, because R's `log` is natural and Excel's is base 10.
    Log,
    Log10,
    Sqrt,
    Pow,
    Abs,
    Floor,
    Ceil,
    Min,
    Max,
    /// `if(condition, then, else)`: only the chosen branch is evaluated.
    If,
    /// `rate_to_prob(rate, years = cycle_years)` = 1 − exp(−rate · years).
    RateToProb,
    /// `prob_to_rate(p, years)` = −ln(1 − p) / years, for a probability measured over `years`.
    ProbToRate,
    /// `rescale_prob(p, from_years, to_years = cycle_years)` = 1 − (1 − p)^(to/from).
    RescaleProb,
    /// `apply_hr(p, hr)` = 1 − (1 − p)^hr: a hazard ratio applied to a probability.
    ApplyHr,
    /// `prob_to_odds(p)` = p / (1 − p).
    ProbToOdds,
    /// `odds_to_prob(o)` = o / (1 + o).
    OddsToProb,
    /// `lookup(table.column, key)`: the column's value at `key`, by the table's interpolation.
    Lookup,
    /// `surv(curve, t)`: survival S(t) of a curve at `t` years.
    Surv,
    /// `hazard(curve, t)`: hazard h(t) per year.
    Hazard,
    /// `cumhaz(curve, t)`: cumulative hazard H(t).
    CumHaz,
    /// `event_prob(curve, t0, t1)` = 1 − S(t1)/S(t0): the probability of the event between
    /// `t0` and `t1` years for those event-free at `t0`.
    EventProb,
    /// `cycle_prob(curve)` = `event_prob(curve, time, time + cycle_years)`: the per-cycle
    /// transition probability in the current cycle (model time since start).
    CycleProb,
}

impl Function {
    pub const ALL: [Function; 24] = [
        Function::Exp,
        Function::Ln,
        Function::Log,
        Function::Log10,
        Function::Sqrt,
        Function::Pow,
        Function::Abs,
        Function::Floor,
        Function::Ceil,
        Function::Min,
        Function::Max,
        Function::If,
        Function::RateToProb,
        Function::ProbToRate,
        Function::RescaleProb,
        Function::ApplyHr,
        Function::ProbToOdds,
        Function::OddsToProb,
        Function::Lookup,
        Function::Surv,
        Function::Hazard,
        Function::CumHaz,
        Function::EventProb,
        Function::CycleProb,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Ln => "ln",
            Function::Log => "log",
            Function::Log10 => "log10",
            Function::Sqrt => "sqrt",
            Function::Pow => "pow",
            Function::Abs => "abs",
            Function::Floor => "floor",
            Function::Ceil => "ceil",
            Function::Min => "min",
            Function::Max => "max",
            Function::If => "if",
            Function::RateToProb => "rate_to_prob",
            Function::ProbToRate => "prob_to_rate",
            Function::RescaleProb => "rescale_prob",
            Function::ApplyHr => "apply_hr",
            Function::ProbToOdds => "prob_to_odds",
            Function::OddsToProb => "odds_to_prob",
            Function::Lookup => "lookup",
            Function::Surv => "surv",
            Function::Hazard => "hazard",
            Function::CumHaz => "cumhaz",
            Function::EventProb => "event_prob",
            Function::CycleProb => "cycle_prob",
        }
    }

    /// Whether the first argument is a survival curve.
    pub fn is_survival(self) -> bool {
        matches!(self, Function::Surv | Function::Hazard | Function::CumHaz | Function::EventProb | Function::CycleProb)
    }

    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Smallest and largest number of arguments (`usize::MAX` for variadic).
    pub fn arity(self) -> (usize, usize) {
        match self {
            Function::Exp
            | Function::Ln
            | Function::Log10
            | Function::Sqrt
            | Function::Abs
            | Function::Floor
            | Function::Ceil
            | Function::ProbToOdds
            | Function::OddsToProb => (1, 1),
            Function::Log | Function::Pow | Function::ProbToRate | Function::ApplyHr => (2, 2),
            Function::Lookup | Function::Surv | Function::Hazard | Function::CumHaz => (2, 2),
            Function::EventProb => (3, 3),
            Function::CycleProb => (1, 1),
            Function::Min | Function::Max => (2, usize::MAX),
            Function::If => (3, 3),
            Function::RateToProb => (1, 2),
            Function::RescaleProb => (2, 3),
        }
    }

    /// How to call it, for error messages.
    pub fn signature(self) -> &'static str {
        match self {
            Function::Exp => "exp(x)",
            Function::Ln => "ln(x)",
            Function::Log => "log(x, base)",
            Function::Log10 => "log10(x)",
            Function::Sqrt => "sqrt(x)",
            Function::Pow => "pow(x, y)",
            Function::Abs => "abs(x)",
            Function::Floor => "floor(x)",
            Function::Ceil => "ceil(x)",
            Function::Min => "min(a, b, ...)",
            Function::Max => "max(a, b, ...)",
            Function::If => "if(condition, then, else)",
            Function::RateToProb => "rate_to_prob(rate, years = cycle_years)",
            Function::ProbToRate => "prob_to_rate(p, years)",
            Function::RescaleProb => "rescale_prob(p, from_years, to_years = cycle_years)",
            Function::ApplyHr => "apply_hr(p, hr)",
            Function::ProbToOdds => "prob_to_odds(p)",
            Function::OddsToProb => "odds_to_prob(odds)",
            Function::Lookup => "lookup(table.column, key)",
            Function::Surv => "surv(curve, t_years)",
            Function::Hazard => "hazard(curve, t_years)",
            Function::CumHaz => "cumhaz(curve, t_years)",
            Function::EventProb => "event_prob(curve, from_years, to_years)",
            Function::CycleProb => "cycle_prob(curve)",
        }
    }

    /// Applies a function of numbers (everything but `if` and `lookup`, which the compiler
    /// handles itself). `cycle_years` fills in a left-out duration.
    pub fn apply(self, args: &[f64], cycle_years: f64) -> f64 {
        let arg = |i: usize| args.get(i).copied().unwrap_or(f64::NAN);
        let duration = |i: usize| args.get(i).copied().unwrap_or(cycle_years);
        match self {
            Function::Exp => arg(0).exp(),
            Function::Ln => arg(0).ln(),
            Function::Log => arg(0).ln() / arg(1).ln(),
            Function::Log10 => arg(0).log10(),
            Function::Sqrt => arg(0).sqrt(),
            Function::Pow => arg(0).powf(arg(1)),
            Function::Abs => arg(0).abs(),
            Function::Floor => arg(0).floor(),
            Function::Ceil => arg(0).ceil(),
            Function::Min => fold_nan_aware(args, f64::min),
            Function::Max => fold_nan_aware(args, f64::max),
            Function::RateToProb => -(-arg(0) * duration(1)).exp_m1(),
            Function::ProbToRate => -(-arg(0)).ln_1p() / arg(1),
            Function::RescaleProb => -((duration(2) / arg(1)) * (-arg(0)).ln_1p()).exp_m1(),
            Function::ApplyHr => -(arg(1) * (-arg(0)).ln_1p()).exp_m1(),
            Function::ProbToOdds => arg(0) / (1.0 - arg(0)),
            Function::OddsToProb => arg(0) / (1.0 + arg(0)),
            Function::If
            | Function::Lookup
            | Function::Surv
            | Function::Hazard
            | Function::CumHaz
            | Function::EventProb
            | Function::CycleProb => f64::NAN,
        }
    }
}

/// `min`/`max` that propagate NaN instead of ignoring it (f64::min ignores NaN).
fn fold_nan_aware(args: &[f64], pick: fn(f64, f64) -> f64) -> f64 {
    if args.iter().any(|a| a.is_nan()) {
        return f64::NAN;
    }
    args.iter().copied().reduce(pick).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    // DOMAIN.md §2.3 worked examples.
    #[test]
    fn annual_probability_to_monthly() {
        let monthly = Function::RescaleProb.apply(&[0.20, 1.0], 1.0 / 12.0);
        assert_relative_eq!(monthly, 0.018423, epsilon = 5e-7);
        assert_relative_eq!(Function::ProbToRate.apply(&[0.20, 1.0], 1.0), 0.22314, epsilon = 5e-6);
    }

    #[test]
    fn hazard_ratio_on_probability() {
        assert_relative_eq!(Function::ApplyHr.apply(&[0.20, 0.7], 1.0), 0.14461, epsilon = 5e-6);
    }

    #[test]
    fn rate_to_probability_defaults_to_cycle_length() {
        let p = Function::RateToProb.apply(&[0.3], 0.5);
        assert_relative_eq!(p, 1.0 - (-0.15f64).exp(), max_relative = 1e-15);
    }

    #[test]
    fn min_max_propagate_nan() {
        assert!(Function::Min.apply(&[1.0, f64::NAN], 1.0).is_nan());
        assert_eq!(Function::Max.apply(&[1.0, 3.0, 2.0], 1.0), 3.0);
    }
}
