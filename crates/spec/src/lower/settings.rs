//! Settings: cycle length, horizon, discounting, counting, effect, thresholds, cohort.

use hta_model::settings::limits::{MAX_CYCLES, MAX_TRACE_CELLS};
use hta_model::settings::DecisionPopulation;
use hta_model::{
    Counting, CycleUnit, Discount, DiscountTiming, EffectMeasure, EventTiming, Settings, StrategyId, Threshold,
};

use serde_saphyr::Spanned;

use super::{Lowerer, Names};
use crate::raw::{
    CountingName, CycleUnitName, DiscountTimingName, EffectName, EventTimingName, RawModel, RawThreshold, Scalar,
};

impl Lowerer<'_> {
    /// `counting: { weights: FORMULA }`: the weight of each boundary point 0..=n, a formula of
    /// `cycle` (the point) and `n_cycles`; every weight finite and non-negative. Their sum is
    /// reported (a warning that the run record keeps), since it need not be n.
    fn counting_weights(&mut self, formula: &Spanned<Scalar>, n_cycles: usize) -> Option<Vec<f64>> {
        use hta_model::formula::{compile, Env, Reference, SlotLayout, TimeVar};
        let what = "the counting weights";
        let text = match &formula.value {
            Scalar::Number(v) => v.to_string(),
            Scalar::Text(t) => t.clone(),
        };
        let mut expr = match hta_model::formula::parse(&text) {
            Ok(expr) => expr,
            Err(e) => {
                self.error(
                    "formula-syntax",
                    &formula.referenced,
                    format!("invalid formula for {what}: {}", e.message),
                    "weights",
                );
                return None;
            }
        };
        // `n_cycles` is the one parameter of this formula's environment.
        let n_slot = hta_model::ParamId::new(0);
        let mut unknown = Vec::new();
        expr.resolve(
            &mut |name, _| match name {
                "cycle" => Ok(Reference::Time(TimeVar::Cycle)),
                "n_cycles" => Ok(Reference::Param(n_slot)),
                other => Err(other.to_string()),
            },
            &mut unknown,
        );
        if let Some(name) = unknown.first() {
            self.error(
                "unknown-name",
                &formula.referenced,
                format!("{what} may use only `cycle` (the boundary point, 0 to {n_cycles}) and `n_cycles`; `{name}` is not allowed"),
                "weights",
            )
            .help = Some("e.g. `if(cycle == 0, 1/3, if(cycle == n_cycles, 1/3, 1))`".into());
            return None;
        }
        let compiled = compile(&expr, &Env::EMPTY);
        let mut slots = vec![f64::NAN; SlotLayout::len(1)];
        slots[SlotLayout::param(n_slot)] = n_cycles as f64;
        let mut weights = Vec::with_capacity(n_cycles + 1);
        for point in 0..=n_cycles {
            slots[SlotLayout::time(TimeVar::Cycle)] = point as f64;
            let w = compiled.eval(&slots);
            if !(w.is_finite() && w >= 0.0) {
                self.error(
                    "out-of-range",
                    &formula.referenced,
                    format!("{what} give {w} at cycle {point}; every weight must be a finite number of at least 0"),
                    "weights",
                );
                return None;
            }
            weights.push(w);
        }
        let sum: f64 = weights.iter().sum();
        self.warning(
            "counting-weights",
            &formula.referenced,
            format!(
                "custom counting weights over points 0..{n_cycles} sum to {sum} (the named methods sum to {n_cycles})"
            ),
            "weights",
        );
        Some(weights)
    }

    pub fn lower_settings(&mut self, raw: &RawModel, names: &Names) -> Option<Settings> {
        let s = &raw.settings;
        let cycle_unit = match s.cycle_length.unit {
            CycleUnitName::Days => CycleUnit::Days,
            CycleUnitName::Weeks => CycleUnit::Weeks,
            CycleUnitName::Months => CycleUnit::Months,
            CycleUnitName::Years => CycleUnit::Years,
        };
        let cycle_length = s.cycle_length.value.value;
        if !(cycle_length.is_finite() && cycle_length > 0.0) {
            self.error(
                "out-of-range",
                &s.cycle_length.value.referenced,
                format!("cycle length must be a positive number, found {cycle_length}"),
                "cycle length",
            );
            return None;
        }
        let cycle_years = cycle_length * cycle_unit.years();
        let n_cycles = self.horizon(raw, cycle_years, cycle_unit)?;
        let discount = self.discount(raw)?;
        let discount_effects = discount.effects;
        let thresholds = self.thresholds(raw);
        let reference = match &s.reference_strategy {
            None => StrategyId::new(0),
            Some(name) => match names.strategies.get(&name.value) {
                Some(i) => StrategyId::new(i),
                None => {
                    let help = crate::names::did_you_mean(names.strategies.suggest(&name.value));
                    self.error(
                        "unknown-name",
                        &name.referenced,
                        format!("unknown strategy `{}`", name.value),
                        "reference strategy",
                    )
                    .help = help.or(Some(format!("strategies: {}", names.strategies.listing())));
                    StrategyId::new(0)
                }
            },
        };
        let start_age = raw.cohort.as_ref().and_then(|c| c.start_age.as_ref());
        if let Some(age) = start_age {
            if !(age.value.is_finite() && (0.0..=150.0).contains(&age.value)) {
                self.error(
                    "out-of-range",
                    &age.referenced,
                    format!("start age must be between 0 and 150, found {}", age.value),
                    "start age",
                );
            }
        }
        // Every strategy's trace is kept: strategies x states (after tracking time in state) x
        // (cycles + 1) numbers, and the run takes time in proportion.
        let n_states = raw.states.len();
        let expanded: usize = raw
            .states
            .values()
            .map(|st| match &st.value.track_cycles {
                Some(t) if t.value.is_finite() && t.value >= 1.0 => t.value.min(1e9) as usize,
                _ => 1,
            })
            .fold(0usize, usize::saturating_add);
        let strategies = raw.strategies.len().max(1);
        let cells = n_cycles.saturating_add(1).saturating_mul(expanded).saturating_mul(strategies);
        if cells > MAX_TRACE_CELLS {
            let tracked = if expanded == n_states {
                String::new()
            } else {
                format!(" ({n_states} states, expanded by tracking time in state)")
            };
            self.error(
                "too-large",
                &s.horizon.referenced,
                format!(
                    "{strategies} strategies x {expanded} states{tracked} x {} cycles (with cycle 0) make {cells} trace cells; the limit is {MAX_TRACE_CELLS}",
                    n_cycles + 1
                ),
                "horizon",
            )
            .help = Some("use longer cycles, fewer states or fewer strategies".into());
            return None;
        }
        if matches!(s.counting.value, CountingName::Simpson) && n_cycles % 2 == 1 {
            let how = if n_cycles == 1 {
                "the trapezoid (life-table) weights are used for the single cycle"
            } else {
                "Simpson's 3/8 rule is used on the last three cycles"
            };
            self.warning(
                "simpson-odd",
                &s.counting.referenced,
                format!("Simpson's 1/3 rule needs an even number of cycles; the horizon has {n_cycles}, so {how}"),
                "counting method",
            );
        }
        let (counting, counting_weights) = match &s.counting.value {
            CountingName::StartOfCycle => (Counting::StartOfCycle, Vec::new()),
            CountingName::EndOfCycle => (Counting::EndOfCycle, Vec::new()),
            CountingName::HalfCycle => (Counting::HalfCycle, Vec::new()),
            CountingName::LifeTable => (Counting::LifeTable, Vec::new()),
            CountingName::Simpson => (Counting::Simpson, Vec::new()),
            CountingName::Weights(formula) => (Counting::Weights, self.counting_weights(formula, n_cycles)?),
        };
        Some(Settings {
            cycle_length,
            cycle_unit,
            cycle_years,
            n_cycles,
            discount,
            counting,
            counting_weights,
            effect: match s.effect {
                Some(EffectName::LifeYears) => EffectMeasure::LifeYears,
                Some(EffectName::Qaly) | None => EffectMeasure::Qaly,
            },
            transition_timing: match s.transition_timing {
                Some(EventTimingName::MidCycle) => EventTiming::MidCycle,
                Some(EventTimingName::EndOfCycle) | None => EventTiming::EndOfCycle,
            },
            reference,
            thresholds,
            start_age: start_age.map(|a| a.value),
            population: self.population(raw, discount_effects)?,
        })
    }

    /// `settings.population`: people a year finite and positive, whole years 1 to 1,000, a rate
    /// in [0, 1). `Some(None)` when the model does not say.
    fn population(&mut self, raw: &RawModel, default_rate: f64) -> Option<Option<DecisionPopulation>> {
        let Some(p) = &raw.settings.population else { return Some(None) };
        let mut ok = true;
        if !(p.per_year.value.is_finite() && p.per_year.value > 0.0 && p.per_year.value <= 1e12) {
            ok = false;
            self.error(
                "out-of-range",
                &p.per_year.referenced,
                format!(
                    "population.per_year must be a positive number of people, at most 1e12, found {}",
                    p.per_year.value
                ),
                "people a year",
            );
        }
        let years = p.years.value;
        if !(years.is_finite() && years.fract() == 0.0 && (1.0..=1000.0).contains(&years)) {
            ok = false;
            self.error(
                "out-of-range",
                &p.years.referenced,
                format!("population.years must be a whole number of years from 1 to 1000, found {years}"),
                "years",
            );
        }
        if let Some(rate) = &p.discount {
            ok &= self.annual_rate(rate, "population.discount must be an annual rate in [0, 1)");
        }
        ok.then(|| {
            Some(DecisionPopulation {
                per_year: p.per_year.value,
                years: years as u32,
                discount: p.discount.as_ref().map_or(default_rate, |r| r.value),
                source: p.source.clone(),
            })
        })
    }

    fn horizon(&mut self, raw: &RawModel, cycle_years: f64, unit: CycleUnit) -> Option<usize> {
        let horizon = &raw.settings.horizon;
        let (cycles, location) = match (&horizon.value.cycles, &horizon.value.years) {
            (Some(c), None) => (c.value, c.referenced),
            (None, Some(y)) => {
                let cycles = y.value / cycle_years;
                if y.value.is_finite() && (cycles - cycles.round()).abs() > 1e-9 * cycles.abs().max(1.0) {
                    self.error(
                        "horizon",
                        &y.referenced,
                        format!(
                            "{} years is not a whole number of cycles of {}: it makes {} cycles",
                            y.value,
                            unit.describe(raw.settings.cycle_length.value.value),
                            (cycles * 1e4).round() / 1e4
                        ),
                        "horizon in years",
                    )
                    .help = Some(format!(
                        "use `cycles: {}` or a horizon that is a multiple of the cycle length",
                        cycles.round()
                    ));
                    return None;
                }
                (cycles.round(), y.referenced)
            }
            _ => {
                self.error(
                    "horizon",
                    &horizon.referenced,
                    "the horizon needs exactly one of `cycles` or `years`",
                    "horizon",
                );
                return None;
            }
        };
        if !(cycles.is_finite() && cycles >= 1.0 && cycles.fract() == 0.0) {
            self.error(
                "horizon",
                &location,
                format!("the horizon must be a whole number of cycles, at least 1; found {cycles}"),
                "horizon",
            );
            return None;
        }
        if cycles > MAX_CYCLES as f64 {
            self.error(
                "too-large",
                &location,
                format!("the horizon is {cycles} cycles; the limit is {MAX_CYCLES}"),
                "horizon",
            )
            .help = Some("use longer cycles".into());
            return None;
        }
        Some(cycles as usize)
    }

    /// Whether `rate` is an annual rate in [0, 1); if not, says so (`must` says what it must be).
    fn annual_rate(&mut self, rate: &Spanned<f64>, must: &str) -> bool {
        let ok = rate.value.is_finite() && (0.0..1.0).contains(&rate.value);
        if !ok {
            self.error("out-of-range", &rate.referenced, format!("{must}, found {}", rate.value), "discount rate")
                .help = Some("write rates as fractions: 3.5% is 0.035".into());
        }
        ok
    }

    fn discount(&mut self, raw: &RawModel) -> Option<Discount> {
        let d = &raw.settings.discount;
        let mut ok = true;
        for (rate, what) in [(&d.costs, "costs"), (&d.effects, "effects")] {
            ok &= self.annual_rate(rate, &format!("the annual discount rate for {what} must be in [0, 1)"));
        }
        let start_year = d.start_year.as_ref().map_or(0.0, |s| s.value);
        if let Some(s) = &d.start_year {
            if !(s.value.is_finite() && s.value >= 0.0) {
                ok = false;
                self.error(
                    "out-of-range",
                    &s.referenced,
                    format!("start_year must be a non-negative number of years, found {}", s.value),
                    "start_year",
                );
            }
        }
        ok.then_some(Discount {
            costs: d.costs.value,
            effects: d.effects.value,
            timing: match d.timing {
                None | Some(DiscountTimingName::Point) => DiscountTiming::Point,
                Some(DiscountTimingName::CycleStart) => DiscountTiming::CycleStart,
                Some(DiscountTimingName::CycleEnd) => DiscountTiming::CycleEnd,
                Some(DiscountTimingName::CycleMiddle) => DiscountTiming::CycleMiddle,
                Some(DiscountTimingName::AnnualStep) => DiscountTiming::AnnualStep,
            },
            start_year,
        })
    }

    fn thresholds(&mut self, raw: &RawModel) -> Vec<Threshold> {
        let gdp = &raw.settings.gdp_per_capita;
        for (name, figure) in gdp {
            let v = figure.value.value.value;
            if !(v.is_finite() && v > 0.0) {
                self.error(
                    "out-of-range",
                    &figure.value.value.referenced,
                    format!("GDP per capita `{}` must be positive, found {v}", name.value),
                    "GDP figure",
                );
            }
        }
        let currency = raw.metadata.currency.value.clone();
        raw.settings.wtp.iter().filter_map(|t| self.threshold(&t.value, &t.referenced, gdp, &currency)).collect()
    }

    fn threshold(
        &mut self,
        t: &RawThreshold,
        at: &serde_saphyr::Location,
        gdp: &crate::raw::SpannedMap<serde_saphyr::Spanned<crate::raw::RawGdp>>,
        currency: &str,
    ) -> Option<Threshold> {
        let (value, basis) = match (&t.value, &t.gdp_multiple, &t.gdp) {
            (Some(v), None, None) => (v.value, None),
            (None, Some(k), Some(name)) => {
                let Some((_, figure)) = gdp.iter().find(|(n, _)| n.value == name.value) else {
                    let known: Vec<&str> = gdp.keys().map(|k| k.value.as_str()).collect();
                    let help = hta_model::suggest::closest(&name.value, known.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"));
                    self.error(
                        "unknown-name",
                        &name.referenced,
                        format!("unknown GDP figure `{}`", name.value),
                        "GDP figure",
                    )
                    .help = help.or(Some("declare it under settings.gdp_per_capita".into()));
                    return None;
                };
                if !(k.value.is_finite() && k.value > 0.0) {
                    self.error(
                        "out-of-range",
                        &k.referenced,
                        format!("gdp_multiple must be positive, found {}", k.value),
                        "multiple",
                    );
                    return None;
                }
                let f = &figure.value;
                let basis = format!(
                    "{} x GDP per capita `{}` = {} {currency} ({}, {})",
                    k.value, name.value, f.value.value, f.year, f.source
                );
                (k.value * f.value.value, Some(basis))
            }
            _ => {
                self.error(
                    "threshold",
                    at,
                    format!("threshold `{}` needs either `value`, or `gdp_multiple` with `gdp`", t.label),
                    "threshold",
                );
                return None;
            }
        };
        if !(value.is_finite() && value >= 0.0) {
            self.error(
                "out-of-range",
                at,
                format!("threshold `{}` must be a non-negative number, found {value}", t.label),
                "threshold",
            );
            return None;
        }
        Some(Threshold { label: t.label.clone(), value, basis })
    }
}
