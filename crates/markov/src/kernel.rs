//! The numeric kernel: advance the cohort one cycle and count its rewards. Sees only numbers;
//! allocates nothing.

/// m_next = m_prev · P for a sparse P in CSR form (`row_start`, `to`, `probs`).
pub fn advance(row_start: &[usize], to: &[usize], probs: &[f64], m_prev: &[f64], m_next: &mut [f64]) {
    m_next.fill(0.0);
    for (from, &mass) in m_prev.iter().enumerate() {
        if mass == 0.0 {
            continue;
        }
        for i in row_start[from]..row_start[from + 1] {
            m_next[to[i]] += mass * probs[i];
        }
    }
}

/// Weights of one cycle: how much of the start and end occupancy counts (within-cycle
/// correction), and the same times each boundary's discount factor, for costs and for effects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleWeights {
    /// (start, end) counting weights, a + b = 1.
    pub counting: (f64, f64),
    /// (start, end) counting weights times the cost discount factors.
    pub costs: (f64, f64),
    /// (start, end) counting weights times the effect discount factors.
    pub effects: (f64, f64),
    /// Cycle length in years: effects are per year, costs per cycle.
    pub cycle_years: f64,
}

/// Adds one cycle's state rewards. `state_values` is `n_states x width` with the cost
/// categories first (per cycle), then QALY weight and life-year weight (per year):
///
/// undiscounted[v] += Σ_s (a·m_prev[s] + b·m_next[s]) · x[s][v] (· L for effects), and the
/// discounted sums with the discounted weights.
pub fn add_state_rewards(
    m_prev: &[f64],
    m_next: &[f64],
    state_values: &[f64],
    n_categories: usize,
    weights: &CycleWeights,
    undiscounted: &mut [f64],
    discounted: &mut [f64],
) {
    let width = undiscounted.len();
    let w = weights;
    let (und_costs, und_effects) = undiscounted.split_at_mut(n_categories);
    let (disc_costs, disc_effects) = discounted.split_at_mut(n_categories);
    for ((&prev, &next), row) in m_prev.iter().zip(m_next).zip(state_values.chunks_exact(width)) {
        let counted = w.counting.0 * prev + w.counting.1 * next;
        let cost = w.costs.0 * prev + w.costs.1 * next;
        let effect = (w.effects.0 * prev + w.effects.1 * next) * w.cycle_years;
        let counted_years = counted * w.cycle_years;
        let (costs, effects) = row.split_at(n_categories);
        for ((und, disc), x) in und_costs.iter_mut().zip(disc_costs.iter_mut()).zip(costs) {
            *und += counted * x;
            *disc += cost * x;
        }
        for ((und, disc), x) in und_effects.iter_mut().zip(disc_effects.iter_mut()).zip(effects) {
            *und += counted_years * x;
            *disc += effect * x;
        }
    }
}

/// Parameter sets a lockstep block holds (a shorter block leaves its last lanes unresolved, at
/// zero): one number per lane in each `[f64; LANES]`, a width the compiler unrolls and
/// vectorises (four AVX-512 registers). Chosen by measurement (docs/performance.md: W3 with
/// 1,000 draws on one thread took 0.16-0.23 s with 8 lanes, 0.137 s with 16, 0.121 s with 32
/// and 0.128 s with 64); the numbers do not depend on it (tests/lockstep.rs).
pub const LANES: usize = 32;

/// One number per lane.
pub type Lane = [f64; LANES];

/// [`advance`] for a block of cohorts held as structure of arrays (`m[state][lane]`,
/// `probs[entry][lane]`): per lane the same operations in the same order. Where [`advance`]
/// skips a state without mass, a lane adds `+0.0 * p`, which is +0.0 for any probability in
/// [0, 1] and leaves every sum as it was (a sum of non-negative terms that starts at +0.0 is
/// never -0.0), so the numbers are the same. A lane whose probabilities are not all in [0, 1]
/// has failed its checks and its numbers are dropped.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
pub fn advance_lanes(row_start: &[usize], to: &[usize], probs: &[Lane], m_prev: &[Lane], m_next: &mut [Lane]) {
    m_next.fill([0.0; LANES]);
    for (from, mass) in m_prev.iter().enumerate() {
        for i in row_start[from]..row_start[from + 1] {
            let (p, out) = (&probs[i], &mut m_next[to[i]]);
            for b in 0..LANES {
                out[b] += mass[b] * p[b];
            }
        }
    }
}

/// [`add_state_rewards`] for a block of cohorts (structure of arrays: `m[state][lane]`,
/// `state_values[state * width + slot][lane]`, `undiscounted[slot][lane]`): per lane the same
/// products and sums, states in the same order.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2"))]
pub fn add_state_rewards_lanes(
    m_prev: &[Lane],
    m_next: &[Lane],
    state_values: &[Lane],
    n_categories: usize,
    weights: &CycleWeights,
    undiscounted: &mut [Lane],
    discounted: &mut [Lane],
) {
    let width = undiscounted.len();
    let w = weights;
    // End-of-cycle counting: the start occupancy has weight 0 in every sum.
    let end_only = w.counting.0 == 0.0 && w.costs.0 == 0.0 && w.effects.0 == 0.0;
    for (s, (prev, next)) in m_prev.iter().zip(m_next).enumerate() {
        let (mut counted, mut cost, mut effect) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
        if end_only {
            // `0 * prev + b * next` is `b * next` to the bit for a finite prev >= 0 (a lane
            // where it is not has failed and is dropped): +0 added to a sum leaves it.
            for b in 0..LANES {
                counted[b] = w.counting.1 * next[b];
                cost[b] = w.costs.1 * next[b];
                effect[b] = (w.effects.1 * next[b]) * w.cycle_years;
            }
        } else {
            for b in 0..LANES {
                counted[b] = w.counting.0 * prev[b] + w.counting.1 * next[b];
                cost[b] = w.costs.0 * prev[b] + w.costs.1 * next[b];
                effect[b] = (w.effects.0 * prev[b] + w.effects.1 * next[b]) * w.cycle_years;
            }
        }
        let rows = &state_values[s * width..(s + 1) * width];
        for (v, (x, (und, disc))) in rows.iter().zip(undiscounted.iter_mut().zip(discounted.iter_mut())).enumerate() {
            if v < n_categories {
                for b in 0..LANES {
                    und[b] += counted[b] * x[b];
                    disc[b] += cost[b] * x[b];
                }
            } else {
                for b in 0..LANES {
                    und[b] += counted[b] * w.cycle_years * x[b];
                    disc[b] += effect[b] * x[b];
                }
            }
        }
    }
}
