//! Lockstep runs: one strategy for a block of parameter sets (lanes) at once, for the analyses
//! that re-run a model many times (PSA). Each lane keeps its own [`Resolver`] (the checks, the
//! errors and the reuse of unchanged cycles are per lane, exactly as in a single run); the
//! cohort, the resolved numbers and the rewards of the block are held as structure of arrays
//! (`[item * lanes + lane]`), so advancing the cohort and counting a cycle's rewards are straight
//! loops over lanes that the compiler vectorises ([`crate::kernel::advance_lanes`],
//! [`crate::kernel::add_state_rewards_lanes`]).
//!
//! Bit-identity: per lane these are the same floating-point operations, in the same order, as
//! [`crate::run_totals`] (no sum across lanes, no reassociation, no fused multiply-add), so a
//! parameter set's totals do not depend on the block it lands in or on the block's size.

use hta_model::{Model, ParamId};

use crate::error::RunErrors;
use crate::kernel::{add_state_rewards_lanes, advance_lanes, Lane, LANES};
use crate::program::Program;
use crate::resolve::{CycleInputs, Resolver};
use crate::run::Totals;

const ZERO: Lane = [0.0; LANES];

/// The numbers of a block, structure of arrays: item `i` of lane `b` at `[i][b]`.
struct Lanes {
    /// Cohort at the start and at the end of the cycle, by expanded state.
    m_prev: Vec<Lane>,
    m_next: Vec<Lane>,
    /// The resolved inputs of the cycle: by CSR entry, by (state, slot), by (event, slot).
    probs: Vec<Lane>,
    state_values: Vec<Lane>,
    event_values: Vec<Lane>,
    /// The cycle's rewards and the totals so far, by value slot.
    cycle_undiscounted: Vec<Lane>,
    cycle_discounted: Vec<Lane>,
    undiscounted: Vec<Lane>,
    discounted: Vec<Lane>,
}

impl Lanes {
    fn new(program: &Program) -> Self {
        let width = program.layout.width();
        let zeros = |items: usize| vec![ZERO; items];
        Lanes {
            m_prev: program.initial.iter().map(|&share| [share; LANES]).collect(),
            m_next: zeros(program.n_states),
            probs: zeros(program.entries.len()),
            state_values: zeros(program.n_states * width),
            event_values: zeros(program.events.len() * width),
            cycle_undiscounted: zeros(width),
            cycle_discounted: zeros(width),
            undiscounted: zeros(width),
            discounted: zeros(width),
        }
    }

    /// Back to the state [`Self::new`] makes, without allocating.
    fn reset(&mut self, program: &Program) {
        for (m, &share) in self.m_prev.iter_mut().zip(&program.initial) {
            *m = [share; LANES];
        }
        for v in [
            &mut self.m_next,
            &mut self.probs,
            &mut self.state_values,
            &mut self.event_values,
            &mut self.cycle_undiscounted,
            &mut self.cycle_discounted,
            &mut self.undiscounted,
            &mut self.discounted,
        ] {
            v.fill(ZERO);
        }
    }

    /// Copies lane `lane`'s newly resolved inputs into the block.
    fn load(&mut self, lane: usize, inputs: &CycleInputs) {
        let scatter = |to: &mut [Lane], from: &[f64]| to.iter_mut().zip(from).for_each(|(slot, &v)| slot[lane] = v);
        scatter(&mut self.probs, &inputs.probs);
        scatter(&mut self.state_values, &inputs.state_values);
        scatter(&mut self.event_values, &inputs.event_values);
    }

    /// [`Self::load`] of what a cycle after the first can change ([`crate::program::Changing`]).
    fn load_changing(&mut self, lane: usize, inputs: &CycleInputs, changing: &crate::program::Changing) {
        let gather = |to: &mut [Lane], from: &[f64], items: &[usize]| items.iter().for_each(|&i| to[i][lane] = from[i]);
        gather(&mut self.probs, &inputs.probs, &changing.probs);
        gather(&mut self.state_values, &inputs.state_values, &changing.state_values);
        gather(&mut self.event_values, &inputs.event_values, &changing.event_values);
    }

    /// Adds the cycle's rewards into the totals and clears them, as the single run does.
    fn end_cycle(&mut self) {
        let pairs = self.undiscounted.iter_mut().zip(&mut self.cycle_undiscounted);
        for (total, value) in pairs.chain(self.discounted.iter_mut().zip(&mut self.cycle_discounted)) {
            for b in 0..LANES {
                total[b] += value[b];
            }
            *value = ZERO;
        }
    }

    /// Adds the transition values of the cycle: flow `m_prev[from] * p` times each value.
    fn add_event_rewards(&mut self, program: &Program, factors: (f64, f64)) {
        let (width, n_categories) = (program.layout.width(), program.layout.n_categories);
        for (e, event) in program.events.iter().enumerate() {
            let (mass, probs) = (&self.m_prev[program.event_from[e]], &self.probs[event.entry]);
            let flow: Lane = std::array::from_fn(|b| mass[b] * probs[b]);
            for slot in 0..width {
                let factor = if slot < n_categories { factors.0 } else { factors.1 };
                let values = &self.event_values[e * width + slot];
                let (und, disc) = (&mut self.cycle_undiscounted[slot], &mut self.cycle_discounted[slot]);
                for b in 0..LANES {
                    let amount = flow[b] * values[b];
                    und[b] += amount;
                    disc[b] += amount * factor;
                }
            }
        }
    }

    /// Lane `lane`'s totals, by value slot.
    fn totals(&self, program: &Program, lane: usize) -> Totals {
        let column = |v: &[Lane]| v.iter().map(|slot| slot[lane]).collect();
        Totals {
            layout: program.layout,
            undiscounted: column(&self.undiscounted),
            discounted: column(&self.discounted),
        }
    }
}

/// Runs one compiled strategy for every parameter set of `pins` in lockstep blocks of
/// [`LANES`] and returns each one's totals (or its problems), in order: the same numbers, to the
/// bit, as [`crate::run_totals`] for each parameter set alone.
pub fn run_totals_block<P: AsRef<[(ParamId, f64)]>>(
    model: &Model,
    program: &Program,
    pins: &[P],
) -> Vec<Result<Totals, RunErrors>> {
    BlockRunner::new(model, program).run(pins)
}

/// The buffers of lockstep runs of one strategy, made once and reused for every block (a PSA
/// keeps one per thread), so that a block allocates only its results.
pub struct BlockRunner<'p> {
    model: &'p Model,
    program: &'p Program,
    lanes: Lanes,
    resolvers: Vec<Resolver<'p>>,
    start: Vec<f64>,
}

impl<'p> BlockRunner<'p> {
    pub fn new(model: &'p Model, program: &'p Program) -> Self {
        let settings = &model.settings;
        BlockRunner {
            model,
            program,
            lanes: Lanes::new(program),
            resolvers: (0..LANES).map(|_| Resolver::new(program, settings.cycle_years, settings.start_age)).collect(),
            start: vec![0.0; program.layout.width()],
        }
    }

    /// [`run_totals_block`] on these buffers.
    pub fn run<P: AsRef<[(ParamId, f64)]>>(&mut self, pins: &[P]) -> Vec<Result<Totals, RunErrors>> {
        let mut out = Vec::with_capacity(pins.len());
        for block in pins.chunks(LANES) {
            self.run_block(block, &mut out);
        }
        out
    }

    /// One block of at most [`LANES`] parameter sets. The lanes past the last are not resolved:
    /// their inputs stay zero, so the kernels carry zeros there (no NaN, nothing read back).
    fn run_block<P: AsRef<[(ParamId, f64)]>>(&mut self, pins: &[P], out: &mut Vec<Result<Totals, RunErrors>>) {
        if pins.is_empty() {
            return;
        }
        let (program, settings) = (self.program, &self.model.settings);
        let n_categories = program.layout.n_categories;
        let block = &mut self.lanes;
        block.reset(program);
        let used = pins.len();
        for (lane, resolver) in self.resolvers.iter_mut().take(used).enumerate() {
            resolver.reset();
            resolver.pin(pins[lane].as_ref());
            self.start.fill(0.0);
            resolver.start(&mut self.start);
            for (slot, value) in self.start.iter().enumerate() {
                block.cycle_undiscounted[slot][lane] += value;
                block.cycle_discounted[slot][lane] += value;
            }
        }
        block.end_cycle();
        for k in 1..=settings.n_cycles {
            // A cycle that every clean lane would keep is not visited lane by lane.
            let reused = program.reuses_cycle(k);
            for (lane, resolver) in self.resolvers.iter_mut().take(used).enumerate() {
                if reused && resolver.errors.is_empty() {
                    continue;
                }
                if resolver.cycle(k) {
                    match k {
                        1 => block.load(lane, &resolver.inputs),
                        _ => block.load_changing(lane, &resolver.inputs, &program.changing),
                    }
                }
            }
            advance_lanes(&program.row_start, &program.entry_to, &block.probs, &block.m_prev, &mut block.m_next);
            add_state_rewards_lanes(
                &block.m_prev,
                &block.m_next,
                &block.state_values,
                n_categories,
                &program.weights[k - 1],
                &mut block.cycle_undiscounted,
                &mut block.cycle_discounted,
            );
            if !program.events.is_empty() {
                block.add_event_rewards(program, program.event_factors[k - 1]);
            }
            block.end_cycle();
            std::mem::swap(&mut block.m_prev, &mut block.m_next);
        }
        for (lane, resolver) in self.resolvers.iter_mut().take(pins.len()).enumerate() {
            out.push(match resolver.errors.is_empty() {
                true => Ok(block.totals(program, lane)),
                false => Err(std::mem::take(&mut resolver.errors)),
            });
        }
    }
}
