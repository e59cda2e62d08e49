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
    let at = |pair: (f64, f64), s: usize| pair.0 * m_prev[s] + pair.1 * m_next[s];
    for s in 0..m_prev.len() {
        let counted = at(weights.counting, s);
        let cost = at(weights.costs, s);
        let effect = at(weights.effects, s) * weights.cycle_years;
        let row = &state_values[s * width..(s + 1) * width];
        for v in 0..n_categories {
            undiscounted[v] += counted * row[v];
            discounted[v] += cost * row[v];
        }
        for v in n_categories..width {
            undiscounted[v] += counted * weights.cycle_years * row[v];
            discounted[v] += effect * row[v];
        }
    }
}
