//! Runs strategies: resolve each cycle, advance the cohort, count and discount rewards.

use hta_model::{DiscountTiming, EventTiming, Model, ParamId, StrategyId};

use crate::counting::cycle_weights;
use crate::discount::{cycle_factors, factor};
use crate::error::RunErrors;
use crate::kernel::{add_state_rewards, advance, CycleWeights};
use crate::program::{Program, ValueLayout};
use crate::resolve::Resolver;
use crate::sources::{BySource, Source};

/// The results of one strategy. Values are per person in the cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyResult {
    pub strategy: StrategyId,
    pub n_cycles: usize,
    pub n_states: usize,
    pub layout: ValueLayout,
    /// Occupancy, `(n_cycles + 1) x n_states`, row k = after cycle k (row 0 = initial).
    pub trace: Vec<f64>,
    /// Values by cycle, `(n_cycles + 1) x layout.width()`; row 0 holds values charged at start.
    pub undiscounted: Vec<f64>,
    pub discounted: Vec<f64>,
    /// The totals by state, values at start and transition values, if the run kept them
    /// ([`run_with_sources`]; they cost as much again as the rewards, so other runs do not).
    pub by_source: Option<BySource>,
}

impl StrategyResult {
    pub fn occupancy(&self, cycle: usize) -> &[f64] {
        &self.trace[cycle * self.n_states..(cycle + 1) * self.n_states]
    }

    /// Total of value slot `slot` over all cycles.
    pub fn total(&self, slot: usize, discounted: bool) -> f64 {
        let values = if discounted { &self.discounted } else { &self.undiscounted };
        // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
        values.chunks_exact(self.layout.width()).map(|row| row[slot]).sum::<f64>() + 0.0
    }

    /// Total cost over all categories.
    pub fn total_cost(&self, discounted: bool) -> f64 {
        (0..self.layout.n_categories).map(|c| self.total(c, discounted)).sum::<f64>() + 0.0
    }

    pub fn qaly(&self, discounted: bool) -> f64 {
        self.total(self.layout.qaly(), discounted)
    }

    pub fn life_years(&self, discounted: bool) -> f64 {
        self.total(self.layout.life_years(), discounted)
    }
}

/// Runs every strategy (a strategy with a decision tree: its arms, weighted); returns all
/// results, or every problem found in any strategy or arm.
pub fn run(model: &Model) -> Result<Vec<StrategyResult>, RunErrors> {
    run_keeping(model, false)
}

/// As [`run`], keeping each strategy's totals by source ([`StrategyResult::by_source`]).
pub fn run_with_sources(model: &Model) -> Result<Vec<StrategyResult>, RunErrors> {
    run_keeping(model, true)
}

fn run_keeping(model: &Model, sources: bool) -> Result<Vec<StrategyResult>, RunErrors> {
    let mut errors = RunErrors::default();
    let mut arms = Vec::with_capacity(model.arms.len());
    let schedule = crate::program::Schedule::new(model);
    let run_program = |program: &Program| run_program_keeping(model, program, &[], sources);
    for k in 0..model.arms.len() {
        match run_program(&Program::with_schedule(model, model.arm_id(k), &schedule)) {
            Ok(result) => arms.push(result),
            Err(e) => errors.extend(e),
        }
    }
    let mut results = Vec::new();
    for strategy in model.strategy_ids() {
        let outcome = match crate::tree::TreeProgram::new(model, strategy) {
            Some(tree) => tree.evaluate(&[]).map(|values| crate::tree::compose(strategy, model, &values, &arms)),
            None => run_program(&Program::with_schedule(model, strategy, &schedule)),
        };
        match outcome {
            Ok(result) => results.push(result),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(results)
    } else {
        Err(errors)
    }
}

/// Runs one compiled strategy, keeping the trace and the values of every cycle.
pub fn run_program(model: &Model, program: &Program) -> Result<StrategyResult, RunErrors> {
    run_program_with(model, program, &[])
}

/// As [`run_program`], with some parameters pinned to given values (their definitions are not
/// evaluated): one draw of a sensitivity analysis.
pub fn run_program_with(
    model: &Model,
    program: &Program,
    pins: &[(ParamId, f64)],
) -> Result<StrategyResult, RunErrors> {
    run_program_keeping(model, program, pins, false)
}

fn run_program_keeping(
    model: &Model,
    program: &Program,
    pins: &[(ParamId, f64)],
    sources: bool,
) -> Result<StrategyResult, RunErrors> {
    let (n, width, n_user) = (model.settings.n_cycles, program.layout.width(), program.n_user_states);
    let mut sink = FullSink {
        trace: vec![0.0; (n + 1) * n_user],
        undiscounted: vec![0.0; (n + 1) * width],
        discounted: vec![0.0; (n + 1) * width],
        width,
        n_user,
        sources: sources.then(|| BySource::new(program.layout, program.n_states)),
    };
    simulate(model, program, pins, &mut sink)?;
    Ok(StrategyResult {
        strategy: program.strategy,
        n_cycles: n,
        n_states: n_user,
        layout: program.layout,
        trace: sink.trace,
        undiscounted: sink.undiscounted,
        discounted: sink.discounted,
        by_source: sink.sources.map(|s| s.merge_states(&program.sub_start)),
    })
}

/// Totals of one strategy without the per-cycle detail (for sensitivity analyses).
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    pub layout: ValueLayout,
    /// By value slot (cost categories, QALY, life-years), summed over all cycles.
    pub undiscounted: Vec<f64>,
    pub discounted: Vec<f64>,
}

impl Totals {
    pub fn total_cost(&self, discounted: bool) -> f64 {
        let values = if discounted { &self.discounted } else { &self.undiscounted };
        values[..self.layout.n_categories].iter().sum::<f64>() + 0.0
    }

    pub fn qaly(&self, discounted: bool) -> f64 {
        if discounted {
            self.discounted[self.layout.qaly()]
        } else {
            self.undiscounted[self.layout.qaly()]
        }
    }

    pub fn life_years(&self, discounted: bool) -> f64 {
        if discounted {
            self.discounted[self.layout.life_years()]
        } else {
            self.undiscounted[self.layout.life_years()]
        }
    }
}

/// Runs one compiled strategy with pinned parameters and returns only its totals. Memory does
/// not grow with the horizon.
pub fn run_totals(model: &Model, program: &Program, pins: &[(ParamId, f64)]) -> Result<Totals, RunErrors> {
    let width = program.layout.width();
    let mut sink = TotalsSink {
        undiscounted: vec![0.0; width],
        discounted: vec![0.0; width],
        cycle_undiscounted: vec![0.0; width],
        cycle_discounted: vec![0.0; width],
    };
    simulate(model, program, pins, &mut sink)?;
    Ok(Totals { layout: program.layout, undiscounted: sink.undiscounted, discounted: sink.discounted })
}

/// Where a run puts what it counts.
trait Sink {
    /// The value rows (undiscounted, discounted) that cycle `k` (0 = start) adds into, and
    /// where the values' sources are kept if they are (on the program's expanded states).
    fn values(&mut self, k: usize) -> (&mut [f64], &mut [f64], Option<&mut BySource>);
    /// The occupancy row of boundary `k`, if the trace is kept.
    fn trace_row(&mut self, k: usize) -> Option<&mut [f64]>;
    /// Cycle `k` is complete.
    fn end_cycle(&mut self) {}
}

struct FullSink {
    trace: Vec<f64>,
    undiscounted: Vec<f64>,
    discounted: Vec<f64>,
    width: usize,
    n_user: usize,
    sources: Option<BySource>,
}

impl Sink for FullSink {
    fn values(&mut self, k: usize) -> (&mut [f64], &mut [f64], Option<&mut BySource>) {
        let row = k * self.width..(k + 1) * self.width;
        (&mut self.undiscounted[row.clone()], &mut self.discounted[row], self.sources.as_mut())
    }

    fn trace_row(&mut self, k: usize) -> Option<&mut [f64]> {
        Some(&mut self.trace[k * self.n_user..(k + 1) * self.n_user])
    }
}

/// Sums each cycle's row separately and then into the totals, in cycle order, so that totals
/// are bit-identical to summing a full run's per-cycle rows.
struct TotalsSink {
    undiscounted: Vec<f64>,
    discounted: Vec<f64>,
    cycle_undiscounted: Vec<f64>,
    cycle_discounted: Vec<f64>,
}

impl Sink for TotalsSink {
    fn values(&mut self, _: usize) -> (&mut [f64], &mut [f64], Option<&mut BySource>) {
        (&mut self.cycle_undiscounted, &mut self.cycle_discounted, None)
    }

    fn trace_row(&mut self, _: usize) -> Option<&mut [f64]> {
        None
    }

    fn end_cycle(&mut self) {
        for (total, value) in self.undiscounted.iter_mut().zip(&mut self.cycle_undiscounted) {
            *total += *value;
            *value = 0.0;
        }
        for (total, value) in self.discounted.iter_mut().zip(&mut self.cycle_discounted) {
            *total += *value;
            *value = 0.0;
        }
    }
}

/// The cycle loop shared by full and totals-only runs.
fn simulate(model: &Model, program: &Program, pins: &[(ParamId, f64)], sink: &mut impl Sink) -> Result<(), RunErrors> {
    let settings = &model.settings;
    let (n, layout) = (settings.n_cycles, program.layout);
    let width = layout.width();
    let mut m_prev = program.initial.clone();
    let mut m_next = vec![0.0; program.n_states];
    if let Some(row) = sink.trace_row(0) {
        aggregate(program, &m_prev, row);
    }
    let mut resolver = Resolver::new(program, settings.cycle_years, settings.start_age);
    resolver.pin(pins);
    let mut start = vec![0.0; width];
    resolver.start(&mut start);
    let (undiscounted, discounted, mut sources) = sink.values(0);
    for (slot, value) in start.iter().enumerate() {
        undiscounted[slot] += value;
        discounted[slot] += value;
        if let Some(sources) = sources.as_deref_mut() {
            sources.add(Source::AtStart, slot, *value, *value);
        }
    }
    sink.end_cycle();
    let (to, from) = (&program.entry_to, &program.event_from);
    for k in 1..=n {
        resolver.cycle(k);
        let inputs = &resolver.inputs;
        advance(&program.row_start, to, &inputs.probs, &m_prev, &mut m_next);
        if let Some(row) = sink.trace_row(k) {
            aggregate(program, &m_next, row);
        }
        let weights = &program.weights[k - 1];
        let (undiscounted, discounted, mut sources) = sink.values(k);
        add_state_rewards(
            &m_prev,
            &m_next,
            &inputs.state_values,
            layout.n_categories,
            weights,
            undiscounted,
            discounted,
        );
        if !program.events.is_empty() {
            let (dc, de) = program.event_factors[k - 1];
            for (e, event) in program.events.iter().enumerate() {
                let flow = m_prev[from[e]] * inputs.probs[event.entry];
                let values = &inputs.event_values[e * width..(e + 1) * width];
                for (slot, value) in values.iter().enumerate() {
                    let amount = flow * value;
                    let factor = if slot < layout.n_categories { dc } else { de };
                    undiscounted[slot] += amount;
                    discounted[slot] += amount * factor;
                    if let Some(sources) = sources.as_deref_mut() {
                        sources.add(Source::Transitions, slot, amount, amount * factor);
                    }
                }
            }
        }
        if let Some(sources) = sources {
            sources.add_states(&m_prev, &m_next, &inputs.state_values, weights);
        }
        sink.end_cycle();
        std::mem::swap(&mut m_prev, &mut m_next);
    }
    if resolver.errors.is_empty() {
        Ok(())
    } else {
        Err(resolver.errors)
    }
}

/// Occupancy of the user's states: the sum over each state's sub-states.
fn aggregate(program: &Program, expanded: &[f64], user: &mut [f64]) {
    for (u, out) in user.iter_mut().enumerate() {
        *out = expanded[program.sub_start[u]..program.sub_start[u + 1]].iter().sum();
    }
}

/// Discount factors (costs, effects) of transition values in cycle `k`. Under the point
/// convention an event is discounted at its own time (end or middle of the cycle); under the
/// per-cycle conventions (B to E) with the rest of its cycle.
pub fn event_factors(model: &Model, k: usize) -> (f64, f64) {
    let s = &model.settings;
    let d = &s.discount;
    let t = match s.transition_timing {
        EventTiming::EndOfCycle => k as f64 * s.cycle_years,
        EventTiming::MidCycle => (k as f64 - 0.5) * s.cycle_years,
    };
    match d.timing {
        DiscountTiming::Point => (factor(d.costs, t, d.start_year), factor(d.effects, t, d.start_year)),
        _ => (cycle_factors(d, d.costs, k, s.cycle_years).1, cycle_factors(d, d.effects, k, s.cycle_years).1),
    }
}

/// Counting and discount weights of cycle `k`.
pub fn cycle_weights_for(model: &Model, k: usize) -> CycleWeights {
    let s = &model.settings;
    let counting = cycle_weights(s.counting, k, s.n_cycles, &s.counting_weights);
    let (c0, c1) = cycle_factors(&s.discount, s.discount.costs, k, s.cycle_years);
    let (e0, e1) = cycle_factors(&s.discount, s.discount.effects, k, s.cycle_years);
    CycleWeights {
        counting,
        costs: (counting.0 * c0, counting.1 * c1),
        effects: (counting.0 * e0, counting.1 * e1),
        cycle_years: s.cycle_years,
    }
}
