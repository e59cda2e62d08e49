//! Where a strategy's totals arose: the values counted on each state's occupancy, the values
//! charged at start and the transition values. A report's "QALYs and costs by state" table;
//! kept by full runs only (sensitivity analyses keep totals).

use crate::kernel::{add_state_rewards, CycleWeights};
use crate::program::ValueLayout;

/// Totals by source, each row `layout.width()` wide (cost categories, QALY, life-years): one
/// row per state, then the values at start, then the transition values. The rows sum to the
/// strategy's totals up to rounding (they are summed in another order).
#[derive(Debug, Clone, PartialEq)]
pub struct BySource {
    pub layout: ValueLayout,
    pub n_states: usize,
    /// `(n_states + 2) x width`.
    pub undiscounted: Vec<f64>,
    pub discounted: Vec<f64>,
}

/// A row of [`BySource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    State(usize),
    AtStart,
    Transitions,
}

impl BySource {
    pub fn new(layout: ValueLayout, n_states: usize) -> Self {
        let len = (n_states + 2) * layout.width();
        BySource { layout, n_states, undiscounted: vec![0.0; len], discounted: vec![0.0; len] }
    }

    fn row(&self, source: Source) -> usize {
        match source {
            Source::State(s) => s,
            Source::AtStart => self.n_states,
            Source::Transitions => self.n_states + 1,
        }
    }

    /// The values of one source, by slot.
    pub fn values(&self, source: Source, discounted: bool) -> &[f64] {
        let width = self.layout.width();
        let r = self.row(source);
        let values = if discounted { &self.discounted } else { &self.undiscounted };
        &values[r * width..(r + 1) * width]
    }

    /// Cost of one source over all categories.
    pub fn cost(&self, source: Source, discounted: bool) -> f64 {
        self.values(source, discounted)[..self.layout.n_categories].iter().sum::<f64>() + 0.0
    }

    pub fn qaly(&self, source: Source, discounted: bool) -> f64 {
        self.values(source, discounted)[self.layout.qaly()]
    }

    pub fn life_years(&self, source: Source, discounted: bool) -> f64 {
        self.values(source, discounted)[self.layout.life_years()]
    }

    fn rows_mut(&mut self, source: Source) -> (&mut [f64], &mut [f64]) {
        let width = self.layout.width();
        let r = self.row(source);
        (&mut self.undiscounted[r * width..(r + 1) * width], &mut self.discounted[r * width..(r + 1) * width])
    }

    /// Adds one cycle's state rewards, each state's into its own row (the same arithmetic as
    /// [`add_state_rewards`], one state at a time).
    pub fn add_states(&mut self, m_prev: &[f64], m_next: &[f64], state_values: &[f64], weights: &CycleWeights) {
        let (width, n_categories) = (self.layout.width(), self.layout.n_categories);
        for s in 0..m_prev.len() {
            let (undiscounted, discounted) = self.rows_mut(Source::State(s));
            add_state_rewards(
                &m_prev[s..=s],
                &m_next[s..=s],
                &state_values[s * width..(s + 1) * width],
                n_categories,
                weights,
                undiscounted,
                discounted,
            );
        }
    }

    /// Adds a value to a source's slot.
    pub fn add(&mut self, source: Source, slot: usize, undiscounted: f64, discounted: f64) {
        let (u, d) = self.rows_mut(source);
        u[slot] += undiscounted;
        d[slot] += discounted;
    }

    /// Sums the rows of sub-states into their user states (`sub_start[u]..sub_start[u + 1]`
    /// are user state u's rows here); the rows at start and of transitions stay as they are.
    pub fn merge_states(&self, sub_start: &[usize]) -> BySource {
        let n_user = sub_start.len() - 1;
        let mut out = BySource::new(self.layout, n_user);
        let width = self.layout.width();
        let from = |r: usize| match r.checked_sub(n_user) {
            None => sub_start[r]..sub_start[r + 1],
            Some(extra) => self.n_states + extra..self.n_states + extra + 1,
        };
        for r in 0..n_user + 2 {
            for e in from(r) {
                for slot in 0..width {
                    out.undiscounted[r * width + slot] += self.undiscounted[e * width + slot];
                    out.discounted[r * width + slot] += self.discounted[e * width + slot];
                }
            }
        }
        out
    }

    /// Adds `weight` times another strategy's sources (a decision tree's arm).
    pub fn add_weighted(&mut self, other: &BySource, weight: f64) {
        for (a, b) in self.undiscounted.iter_mut().zip(&other.undiscounted) {
            *a += weight * b;
        }
        for (a, b) in self.discounted.iter_mut().zip(&other.discounted) {
            *a += weight * b;
        }
    }
}
