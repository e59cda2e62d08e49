//! Model conventions, named and never implied: cycle length, horizon, discounting, counting
//! (within-cycle correction), the effect measure and willingness-to-pay thresholds.

use crate::ids::StrategyId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleUnit {
    Days,
    Weeks,
    Months,
    Years,
}

impl CycleUnit {
    /// Length of one unit in years (a year is 365.25 days).
    pub fn years(self) -> f64 {
        match self {
            CycleUnit::Days => 1.0 / 365.25,
            CycleUnit::Weeks => 7.0 / 365.25,
            CycleUnit::Months => 1.0 / 12.0,
            CycleUnit::Years => 1.0,
        }
    }

    /// "1 year", "2 weeks", "0.5 months".
    pub fn describe(self, length: f64) -> String {
        let name = self.name();
        if length == 1.0 {
            format!("1 {}", name.trim_end_matches('s'))
        } else {
            format!("{length} {name}")
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CycleUnit::Days => "days",
            CycleUnit::Weeks => "weeks",
            CycleUnit::Months => "months",
            CycleUnit::Years => "years",
        }
    }
}

/// Which boundary points of the trace count towards each cycle's rewards (DOMAIN.md §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Occupancy at the start of each cycle.
    StartOfCycle,
    /// Occupancy at the end of each cycle.
    EndOfCycle,
    /// Two-sided half-cycle correction; the same weights as the life-table method.
    HalfCycle,
    /// Average of start and end occupancy (trapezoidal rule).
    LifeTable,
    /// Simpson's 1/3 rule, with Simpson's 3/8 rule on the last three cycles when the number
    /// of cycles is odd (the trapezoid for a single cycle).
    Simpson,
    /// Weights the model file gives for each boundary point 0..=n
    /// ([`Settings::counting_weights`]); point k ≥ 1 counts with the values of cycle k, point 0
    /// with those of cycle 1.
    Weights,
}

impl Counting {
    pub fn name(self) -> &'static str {
        match self {
            Counting::StartOfCycle => "start_of_cycle",
            Counting::EndOfCycle => "end_of_cycle",
            Counting::HalfCycle => "half_cycle",
            Counting::LifeTable => "life_table",
            Counting::Simpson => "simpson",
            Counting::Weights => "weights",
        }
    }

    /// The named methods (not [`Counting::Weights`], whose weights come from the model file).
    pub const ALL: [Counting; 5] =
        [Counting::StartOfCycle, Counting::EndOfCycle, Counting::HalfCycle, Counting::LifeTable, Counting::Simpson];
}

/// When the reward of a cycle is discounted (DOMAIN.md §2.8, conventions A to E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountTiming {
    /// A: each boundary point at its own time `k * L` (recommended with correction).
    Point,
    /// B: the whole cycle at its start.
    CycleStart,
    /// C: the whole cycle at its end.
    CycleEnd,
    /// D: the whole cycle at its middle.
    CycleMiddle,
    /// E: every cycle of model year y at `(1 + r)^-y` (year of the cycle's start).
    AnnualStep,
}

impl DiscountTiming {
    pub fn name(self) -> &'static str {
        match self {
            DiscountTiming::Point => "point",
            DiscountTiming::CycleStart => "cycle_start",
            DiscountTiming::CycleEnd => "cycle_end",
            DiscountTiming::CycleMiddle => "cycle_middle",
            DiscountTiming::AnnualStep => "annual_step",
        }
    }

    pub const ALL: [DiscountTiming; 5] = [
        DiscountTiming::Point,
        DiscountTiming::CycleStart,
        DiscountTiming::CycleEnd,
        DiscountTiming::CycleMiddle,
        DiscountTiming::AnnualStep,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discount {
    /// Annual rate for costs.
    pub costs: f64,
    /// Annual rate for QALYs and life-years.
    pub effects: f64,
    pub timing: DiscountTiming,
    /// Years from model start before discounting begins: d(t) = (1 + r)^-max(0, t - start_year).
    pub start_year: f64,
}

/// When transition (event) values are discounted within their cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTiming {
    EndOfCycle,
    MidCycle,
}

impl EventTiming {
    pub fn name(self) -> &'static str {
        match self {
            EventTiming::EndOfCycle => "end_of_cycle",
            EventTiming::MidCycle => "mid_cycle",
        }
    }
}

/// The effect measure of the incremental analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectMeasure {
    Qaly,
    LifeYears,
}

impl EffectMeasure {
    pub fn name(self) -> &'static str {
        match self {
            EffectMeasure::Qaly => "qaly",
            EffectMeasure::LifeYears => "life_years",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            EffectMeasure::Qaly => "QALY",
            EffectMeasure::LifeYears => "life-year",
        }
    }
}

/// A willingness-to-pay threshold, in currency per unit of effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
    /// How the value was derived, e.g. "3 x GDP per capita (cn_2024: 95749 CNY, NBS 2024)".
    pub basis: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub cycle_length: f64,
    pub cycle_unit: CycleUnit,
    /// `cycle_length` in years.
    pub cycle_years: f64,
    pub n_cycles: usize,
    pub discount: Discount,
    pub counting: Counting,
    /// With [`Counting::Weights`]: the weight of each boundary point 0..=n_cycles; else empty.
    pub counting_weights: Vec<f64>,
    pub effect: EffectMeasure,
    pub transition_timing: EventTiming,
    pub reference: StrategyId,
    pub thresholds: Vec<Threshold>,
    /// Cohort age at model start, if the model uses `age`.
    pub start_age: Option<f64>,
    /// The people the decision affects, if the model says (population EVPI).
    pub population: Option<DecisionPopulation>,
}

/// People affected by the decision: `per_year` in each of `years` years, the year t (1-based)
/// discounted by (1 + discount)^-t (DOMAIN.md §4.5).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionPopulation {
    pub per_year: f64,
    pub years: u32,
    pub discount: f64,
    pub source: Option<String>,
}

/// Limits on model size, refused with a message rather than run out of memory.
pub mod limits {
    pub const MAX_STATES: usize = 10_000;
    pub const MAX_CYCLES: usize = 100_000;
    pub const MAX_STRATEGIES: usize = 1_000;
    pub const MAX_PARAMETERS: usize = 100_000;
    /// States x (cycles + 1), the size of one stored trace.
    pub const MAX_TRACE_CELLS: usize = 50_000_000;
    pub const MAX_TABLE_ROWS: usize = 1_000_000;
    /// Cells (rows x columns) of all lookup tables together.
    pub const MAX_TABLE_CELLS: usize = 5_000_000;
    /// States after expanding time in state (tunnel states).
    pub const MAX_EXPANDED_STATES: usize = 100_000;
}
