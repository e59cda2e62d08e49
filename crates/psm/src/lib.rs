//! `hta-psm`: the partitioned survival engine (DOMAIN.md §3.1; NICE DSU TSD 19).
//!
//! N states from N − 1 ordered survival curves, innermost first: state 0 holds S_0(t), state i
//! holds S_i(t) − S_(i−1)(t), the last (dead) state 1 − S_(N−2)(t), at every cycle boundary
//! t_k = k·L. Where an inner curve rises above an outer one it is capped at it (e.g. PFS at OS);
//! the run then reports a [`Crossing`] warning with the number of boundaries affected, instead
//! of failing. Deaths per cycle, S_outer(t_(k−1)) − S_outer(t_k), carry the transition values
//! into the dead state (a partitioned model identifies no other transition).
//!
//! State values, one-off values at start, counting (within-cycle correction) and discounting
//! are those of the Markov engine: this crate reuses `hta-markov`'s value resolution and reward
//! kernel (a deliberate one-way dependency, so both engines count and discount identically) and
//! returns the same [`StrategyResult`].

use hta_markov::kernel::add_state_rewards;
use hta_markov::{BySource, Problem, Program, Resolver, RunErrors, Source, StrategyResult};
use hta_model::curve::{compile_curve, Need};
use hta_model::formula::compile;
use hta_model::{CurveId, Model, ParamId, StrategyId};

/// An inner curve above an outer one, capped.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub strategy: StrategyId,
    pub inner: CurveId,
    pub outer: CurveId,
    /// Cycle boundaries where the inner curve was capped.
    pub n_points: usize,
    /// First boundary (cycle number) affected.
    pub first_cycle: usize,
}

/// Results of every strategy and the crossings found.
#[derive(Debug, Clone, PartialEq)]
pub struct PsmRun {
    pub results: Vec<StrategyResult>,
    pub crossings: Vec<Crossing>,
}

/// Runs every strategy of a partitioned survival model.
pub fn run(model: &Model) -> Result<PsmRun, RunErrors> {
    run_with(model, &[])
}

/// As [`run`], with some parameters pinned to given values (one draw of a sensitivity analysis).
pub fn run_with(model: &Model, pins: &[(ParamId, f64)]) -> Result<PsmRun, RunErrors> {
    let mut run = PsmRun { results: Vec::new(), crossings: Vec::new() };
    let mut errors = RunErrors::default();
    let mut arms = Vec::with_capacity(model.arms.len());
    for k in 0..model.arms.len() {
        match run_strategy(model, model.arm_id(k), pins, &mut run.crossings) {
            Ok(result) => arms.push(result),
            Err(e) => errors.extend(e),
        }
    }
    for strategy in model.strategy_ids() {
        let outcome = match hta_markov::TreeProgram::new(model, strategy) {
            Some(tree) => tree.evaluate(pins).map(|values| hta_markov::compose(strategy, model, &values, &arms)),
            None => run_strategy(model, strategy, pins, &mut run.crossings),
        };
        match outcome {
            Ok(result) => run.results.push(result),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(run)
    } else {
        Err(errors)
    }
}

/// Survival of each curve at every boundary, checked, then capped so that inner ≤ outer;
/// records crossings.
fn curve_survival(
    model: &Model,
    strategy: StrategyId,
    slots: &[f64],
    crossings: &mut Vec<Crossing>,
    errors: &mut RunErrors,
) -> Vec<Vec<f64>> {
    let s = &model.settings;
    let curves = &model.strategy(strategy).curves;
    let env = model.env();
    let mut survival: Vec<Vec<f64>> = curves
        .iter()
        .map(|&c| {
            let curve = compile_curve(c, &env);
            (0..=s.n_cycles)
                .map(|k| (-curve(slots, k as f64 * s.cycle_years, Need::CumulativeHazard).0).exp())
                .collect()
        })
        .collect();
    check_curves(model, strategy, &survival, errors);
    for i in (0..curves.len().saturating_sub(1)).rev() {
        let (inner, outer) = survival.split_at_mut(i + 1);
        let (inner, outer) = (&mut inner[i], &outer[0]);
        let mut capped = Vec::new();
        for (k, (si, so)) in inner.iter_mut().zip(outer).enumerate() {
            if *si > *so {
                *si = *so;
                capped.push(k);
            }
        }
        if let Some(&first_cycle) = capped.first() {
            crossings.push(Crossing {
                strategy,
                inner: curves[i],
                outer: curves[i + 1],
                n_points: capped.len(),
                first_cycle,
            });
        }
    }
    survival
}

fn run_strategy(
    model: &Model,
    strategy: StrategyId,
    pins: &[(ParamId, f64)],
    crossings: &mut Vec<Crossing>,
) -> Result<StrategyResult, RunErrors> {
    let settings = &model.settings;
    let program = Program::new(model, strategy);
    let (n, layout) = (settings.n_cycles, program.layout);
    let (n_states, width) = (program.n_user_states, layout.width());
    let mut resolver = Resolver::new(&program, settings.cycle_years, settings.start_age);
    resolver.pin(pins);
    let mut undiscounted = vec![0.0; (n + 1) * width];
    let mut discounted = vec![0.0; (n + 1) * width];
    resolver.start(&mut undiscounted[..width]);
    discounted[..width].copy_from_slice(&undiscounted[..width]);
    let mut by_source = BySource::new(layout, n_states);
    for (slot, value) in undiscounted[..width].iter().enumerate() {
        by_source.add(Source::AtStart, slot, *value, *value);
    }

    let mut curve_errors = RunErrors::default();
    let survival = curve_survival(model, strategy, resolver.slots(), crossings, &mut curve_errors);
    let mut trace = vec![0.0; (n + 1) * n_states];
    for k in 0..=n {
        let row = &mut trace[k * n_states..(k + 1) * n_states];
        let mut below = 0.0;
        for (i, curve) in survival.iter().enumerate() {
            row[i] = curve[k] - below;
            below = curve[k];
        }
        row[n_states - 1] = 1.0 - below;
    }

    let dead = n_states - 1;
    let env = model.env();
    let deaths: Vec<(usize, hta_model::formula::CompiledExpr)> = model
        .transition_values
        .iter()
        .filter(|tv| tv.to.index() == dead)
        .flat_map(|tv| {
            let costs = tv.values.costs.iter().map(|(c, f)| (c.index(), compile(&f.expr, &env)));
            costs.chain(tv.values.qaly.iter().map(|q| (layout.qaly(), compile(&q.expr, &env)))).collect::<Vec<_>>()
        })
        .collect();
    let outer = survival.last();

    for k in 1..=n {
        resolver.cycle(k);
        let (m_prev, m_next) = (&trace[(k - 1) * n_states..k * n_states], &trace[k * n_states..(k + 1) * n_states]);
        let weights = &program.weights[k - 1];
        let row = k * width..(k + 1) * width;
        add_state_rewards(
            m_prev,
            m_next,
            &resolver.inputs.state_values,
            layout.n_categories,
            weights,
            &mut undiscounted[row.clone()],
            &mut discounted[row.clone()],
        );
        by_source.add_states(m_prev, m_next, &resolver.inputs.state_values, weights);
        if let (Some(outer), false) = (outer, deaths.is_empty()) {
            let flow = outer[k - 1] - outer[k];
            let (dc, de) = program.event_factors[k - 1];
            for (slot, value) in &deaths {
                let v = value.eval(resolver.slots());
                if !v.is_finite() {
                    let problem = hta_markov::Problem::TransitionValue {
                        from: hta_model::StateId::new(0),
                        to: hta_model::StateId::new(dead),
                        slot: *slot,
                        value: v,
                    };
                    resolver.errors.record(strategy, k, settings.start_age, problem);
                }
                let amount = flow * v;
                let factor = if *slot < layout.n_categories { dc } else { de };
                undiscounted[row.start + slot] += amount;
                discounted[row.start + slot] += amount * factor;
                by_source.add(Source::Transitions, *slot, amount, amount * factor);
            }
        }
    }
    let mut errors = std::mem::take(&mut resolver.errors);
    if errors.is_empty() {
        // Otherwise the curves' invalid parameters are already reported as the cause.
        errors.extend(curve_errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Always kept: a few states, next to the curves' cost.
    let by_source = Some(by_source);
    Ok(StrategyResult { strategy, n_cycles: n, n_states, layout, trace, undiscounted, discounted, by_source })
}

/// Every curve value must be a survival probability, non-increasing over time.
fn check_curves(model: &Model, strategy: StrategyId, survival: &[Vec<f64>], errors: &mut RunErrors) {
    let s = &model.settings;
    let curves = &model.strategy(strategy).curves;
    for (curve, values) in curves.iter().zip(survival) {
        for (k, value) in values.iter().enumerate() {
            let rising = k > 0 && *value > values[k - 1] * (1.0 + 1e-12);
            if !(0.0..=1.0).contains(value) || rising {
                let age = s.start_age.map(|a| a + k as f64 * s.cycle_years);
                errors.record(
                    strategy,
                    k,
                    age,
                    Problem::Curve { curve: *curve, time: k as f64 * s.cycle_years, value: *value },
                );
            }
        }
    }
}
