//! Runs strategies: resolve each cycle, advance the cohort, count and discount rewards.

use hta_model::{DiscountTiming, EventTiming, Model, StrategyId};

use crate::counting::cycle_weights;
use crate::discount::{cycle_factors, factor};
use crate::error::RunErrors;
use crate::kernel::{add_state_rewards, advance, CycleWeights};
use crate::program::{Program, ValueLayout};
use crate::resolve::Resolver;

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

/// Runs every strategy; returns all results, or every problem found in any strategy.
pub fn run(model: &Model) -> Result<Vec<StrategyResult>, RunErrors> {
    let mut results = Vec::new();
    let mut errors = RunErrors::default();
    for strategy in model.strategy_ids() {
        let program = Program::new(model, strategy);
        match run_program(model, &program) {
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

/// Runs one compiled strategy.
pub fn run_program(model: &Model, program: &Program) -> Result<StrategyResult, RunErrors> {
    let settings = &model.settings;
    let (n, layout) = (settings.n_cycles, program.layout);
    let (n_user, n_expanded, width) = (program.n_user_states, program.n_states, layout.width());
    let mut trace = vec![0.0; (n + 1) * n_user];
    let mut undiscounted = vec![0.0; (n + 1) * width];
    let mut discounted = vec![0.0; (n + 1) * width];
    let mut m_prev = program.initial.clone();
    let mut m_next = vec![0.0; n_expanded];
    aggregate(program, &m_prev, &mut trace[..n_user]);

    let mut resolver = Resolver::new(program, settings.cycle_years, settings.start_age);
    resolver.start(&mut undiscounted[..width]);
    discounted[..width].copy_from_slice(&undiscounted[..width]);
    let to: Vec<usize> = program.entries.iter().map(|e| e.to).collect();
    let from: Vec<usize> = program.events.iter().map(|e| program.entries[e.entry].from).collect();

    for k in 1..=n {
        resolver.cycle(k);
        let inputs = &resolver.inputs;
        advance(&program.row_start, &to, &inputs.probs, &m_prev, &mut m_next);
        aggregate(program, &m_next, &mut trace[k * n_user..(k + 1) * n_user]);

        let weights = cycle_weights_for(model, k);
        let row = k * width..(k + 1) * width;
        add_state_rewards(
            &m_prev,
            &m_next,
            &inputs.state_values,
            layout.n_categories,
            &weights,
            &mut undiscounted[row.clone()],
            &mut discounted[row.clone()],
        );

        if !program.events.is_empty() {
            let t_event = match settings.transition_timing {
                EventTiming::EndOfCycle => k as f64 * settings.cycle_years,
                EventTiming::MidCycle => (k as f64 - 0.5) * settings.cycle_years,
            };
            let d = &settings.discount;
            // Under the point convention an event is discounted at its own time; under the
            // per-cycle conventions (B to E) with the rest of its cycle.
            let (dc, de) = match d.timing {
                DiscountTiming::Point => {
                    (factor(d.costs, t_event, d.start_year), factor(d.effects, t_event, d.start_year))
                }
                _ => (
                    cycle_factors(d, d.costs, k, settings.cycle_years).1,
                    cycle_factors(d, d.effects, k, settings.cycle_years).1,
                ),
            };
            for (e, event) in program.events.iter().enumerate() {
                let flow = m_prev[from[e]] * inputs.probs[event.entry];
                let values = &inputs.event_values[e * width..(e + 1) * width];
                for (slot, value) in values.iter().enumerate() {
                    let amount = flow * value;
                    undiscounted[row.start + slot] += amount;
                    discounted[row.start + slot] += amount * if slot < layout.n_categories { dc } else { de };
                }
            }
        }
        std::mem::swap(&mut m_prev, &mut m_next);
    }
    if !resolver.errors.is_empty() {
        return Err(resolver.errors);
    }
    Ok(StrategyResult {
        strategy: program.strategy,
        n_cycles: n,
        n_states: n_user,
        layout,
        trace,
        undiscounted,
        discounted,
    })
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
    let counting = cycle_weights(s.counting, k, s.n_cycles);
    let (c0, c1) = cycle_factors(&s.discount, s.discount.costs, k, s.cycle_years);
    let (e0, e1) = cycle_factors(&s.discount, s.discount.effects, k, s.cycle_years);
    CycleWeights {
        counting,
        costs: (counting.0 * c0, counting.1 * c1),
        effects: (counting.0 * e0, counting.1 * e1),
        cycle_years: s.cycle_years,
    }
}
