//! The sampled parameter values of a PSA's draws, kept in memory only for the parameters that
//! need them later (EVPPI's). The others are drawn again from the seed when a file or a caller
//! asks for them: every draw has its own random stream ([`Sampler::stream`]) and [`Sampler::draw`]
//! is a pure function of (seed, draw), so a re-draw gives the same bits as the run's draw.

use std::borrow::Cow;

use hta_model::ParamId;

use crate::sample::Sampler;

/// Values of a run's sampled parameters, one row per kept draw and one column per parameter.
#[derive(Debug, Clone)]
pub struct SampledValues {
    n_params: usize,
    /// Columns held, by index into the run's parameters (ascending), one value per kept draw.
    kept: Vec<(usize, Vec<f64>)>,
    /// How the columns not held are drawn again; `None` when every column is held.
    redraw: Option<(Sampler, u64)>,
}

impl SampledValues {
    /// Every column held in memory (values read back from files, as `hta merge` does).
    pub fn all(n_params: usize) -> SampledValues {
        SampledValues { n_params, kept: (0..n_params).map(|j| (j, Vec::new())).collect(), redraw: None }
    }

    /// The columns `keep` (indices into `sampler.params`) held; the others drawn again by
    /// `sampler` with `seed` when asked for.
    pub fn redrawn(sampler: Sampler, seed: u64, keep: &[usize]) -> SampledValues {
        let n_params = sampler.params.len();
        let mut columns: Vec<usize> = keep.iter().copied().filter(|&j| j < n_params).collect();
        columns.sort_unstable();
        columns.dedup();
        let kept = columns.into_iter().map(|j| (j, Vec::new())).collect();
        SampledValues { n_params, kept, redraw: Some((sampler, seed)) }
    }

    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// Whether every column is held in memory (nothing is drawn again).
    fn holds_all(&self) -> bool {
        self.kept.len() == self.n_params
    }

    /// Reserves room for `draws` more rows of the held columns.
    pub fn reserve(&mut self, draws: usize) {
        self.kept.iter_mut().for_each(|(_, c)| c.reserve_exact(draws));
    }

    /// Adds the next kept draw's values (every parameter, in order); only held columns are stored.
    pub fn push(&mut self, row: &[f64]) {
        for (j, column) in &mut self.kept {
            column.push(row.get(*j).copied().unwrap_or(f64::NAN));
        }
    }

    /// Adds `other`'s rows after these (both holding the same columns: shards read back).
    pub fn append(&mut self, other: SampledValues) {
        for ((_, column), (_, more)) in self.kept.iter_mut().zip(other.kept) {
            column.extend(more);
        }
    }

    /// Calls `f` with each kept draw's number and values, in order (`draws` are the run's kept
    /// draw numbers); stops at the first error.
    pub fn try_for_each_row<E>(&self, draws: &[u64], mut f: impl FnMut(u64, &[f64]) -> Result<(), E>) -> Result<(), E> {
        let mut row = Vec::with_capacity(self.n_params);
        match &self.redraw {
            Some((sampler, seed)) if !self.holds_all() => {
                let mut pins = Vec::with_capacity(self.n_params);
                for &draw in draws {
                    sampler.draw(*seed, draw, &mut pins);
                    row.clear();
                    row.extend(pins.iter().map(|p| p.1));
                    f(draw, &row)?;
                }
            }
            _ => {
                for (i, &draw) in draws.iter().enumerate() {
                    row.clear();
                    row.extend(self.kept.iter().map(|(_, c)| c.get(i).copied().unwrap_or(f64::NAN)));
                    f(draw, &row)?;
                }
            }
        }
        Ok(())
    }

    /// Column `j` over the kept draws `draws`: borrowed where held, else drawn again.
    pub fn column(&self, j: usize, draws: &[u64]) -> Cow<'_, [f64]> {
        if let Some((_, column)) = self.kept.iter().find(|(k, _)| *k == j) {
            return Cow::Borrowed(column);
        }
        let mut out = Vec::with_capacity(draws.len());
        let _ = self.try_for_each_row::<()>(draws, |_, row| {
            out.push(row.get(j).copied().unwrap_or(f64::NAN));
            Ok(())
        });
        Cow::Owned(out)
    }

    /// Every value, `draws x parameters` row-major.
    pub fn to_rows(&self, draws: &[u64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(draws.len().saturating_mul(self.n_params));
        let _ = self.try_for_each_row::<()>(draws, |_, row| {
            out.extend_from_slice(row);
            Ok(())
        });
        out
    }

    /// Number of columns held in memory.
    pub fn held_columns(&self) -> usize {
        self.kept.len()
    }
}

/// The indices in `params` of `keep`'s parameters.
pub fn positions(params: &[ParamId], keep: &[ParamId]) -> Vec<usize> {
    keep.iter().filter_map(|p| params.iter().position(|q| q == p)).collect()
}
