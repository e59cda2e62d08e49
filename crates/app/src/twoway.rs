//! The two-way sensitivity analysis: two parameters varied together over their ranges on an
//! evenly spaced grid, the others at base values; in each cell the net monetary benefit of every
//! strategy at one threshold and the strategy with the highest.

use hta_model::{Model, ParamId};
use hta_sensitivity::{Evaluator, Outcome};
use hta_spec::Loaded;

use crate::{Error, Progress};

/// Most values per parameter (the grid has their square of cells).
pub const MAX_STEPS: usize = 1001;

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub x: f64,
    pub y: f64,
    /// The strategy with the highest net monetary benefit (as `hta_analysis::at_threshold` picks it).
    pub optimal: usize,
    /// Net monetary benefit of each strategy, in model order.
    pub nmb: Vec<f64>,
}

/// A two-way grid.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoWay {
    pub x: String,
    pub y: String,
    /// The values of `x` (the grid's columns) and of `y` (its rows), low to high.
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// The threshold (per unit of the model's effect) the net benefit is taken at.
    pub wtp: f64,
    /// Row by row: every `x` at the first `y`, then at the second, and so on.
    pub cells: Vec<Cell>,
}

impl TwoWay {
    /// The optimal strategy of each cell, one row per value of `y`.
    pub fn optimal_rows(&self) -> Vec<Vec<usize>> {
        self.cells.chunks(self.xs.len().max(1)).map(|row| row.iter().map(|c| c.optimal).collect()).collect()
    }
}

/// (low, high) of a parameter: from the model file, else ±20% of a numeric base value.
pub fn range_of(model: &Model, p: ParamId) -> Option<(f64, f64)> {
    let param = &model.parameters[p.index()];
    match (param.uncertainty.low, param.uncertainty.high, param.definition.expr.as_constant()) {
        (Some(l), Some(h), _) => Some((l, h)),
        (_, _, Some(base)) if base != 0.0 => Some((base - 0.2 * base.abs(), base + 0.2 * base.abs())),
        _ => None,
    }
}

/// The parameter named `name`, or a usage error with the closest name.
pub fn param_named(model: &Model, name: &str) -> Result<ParamId, Error> {
    model.param_by_name(name).ok_or_else(|| {
        let names = model.parameters.iter().map(|p| p.name.as_str());
        let hint =
            hta_model::suggest::closest(name, names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
        Error::Usage(format!("unknown parameter `{name}`{hint}"))
    })
}

/// The outcomes as `hta_analysis` takes them, with the model's effect measure.
pub(crate) fn as_outcomes(model: &Model, outcomes: &[Outcome]) -> Vec<hta_analysis::Outcome> {
    outcomes
        .iter()
        .zip(&model.strategies)
        .map(|(o, s)| hta_analysis::Outcome::new(&s.name, o.cost, o.effect(model.settings.effect)))
        .collect()
}

/// Runs the grid of `steps` values of each parameter (clamped to 2..=[`MAX_STEPS`]) at `wtp`
/// (or the model's first threshold), in parallel lockstep blocks; `progress` is called once per cell.
pub fn two_way(
    loaded: &Loaded,
    x: &str,
    y: &str,
    steps: usize,
    wtp: Option<f64>,
    progress: Option<Progress>,
) -> Result<TwoWay, Error> {
    let model = &loaded.model;
    let (px, py) = (param_named(model, x)?, param_named(model, y)?);
    let steps = steps.clamp(2, MAX_STEPS);
    let (Some((x0, x1)), Some((y0, y1))) = (range_of(model, px), range_of(model, py)) else {
        return Err(Error::Usage("both parameters need `low` and `high`, or a numeric base value".into()));
    };
    let wtp = crate::dsa::first_threshold(model, wtp)?;
    let at = |a: f64, b: f64, i: usize| a + (b - a) * i as f64 / (steps - 1) as f64;
    let xs: Vec<f64> = (0..steps).map(|i| at(x0, x1, i)).collect();
    let ys: Vec<f64> = (0..steps).map(|j| at(y0, y1, j)).collect();
    let points: Vec<(f64, f64)> = ys.iter().flat_map(|&yv| xs.iter().map(move |&xv| (xv, yv))).collect();
    let evaluator = Evaluator::new(model);
    let sets: Vec<Vec<(ParamId, f64)>> = points.iter().map(|&(xv, yv)| vec![(px, xv), (py, yv)]).collect();
    let results = evaluator.evaluate_many(&sets, progress);
    let mut cells = Vec::with_capacity(points.len());
    for (&(xv, yv), result) in points.iter().zip(results) {
        let outcomes = result
            .map_err(|e| Error::run(loaded, &e).with_context(format!("error: with `{x}` = {xv} and `{y}` = {yv}:")))?;
        let r = hta_analysis::at_threshold(&as_outcomes(model, &outcomes), wtp);
        cells.push(Cell { x: xv, y: yv, optimal: r.optimal, nmb: r.nmb });
    }
    Ok(TwoWay { x: x.to_string(), y: y.to_string(), xs, ys, wtp, cells })
}
