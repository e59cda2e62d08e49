//! Incremental analysis on the efficiency frontier (DOMAIN.md §1.4; dampack `calculate_icers`;
//! Drummond et al. 2015).
//!
//! 1. Sort by cost ascending, ties by effect descending.
//! 2. Strong dominance: a strategy with no more effect than a cheaper (or equally costly) one
//!    is dominated (`D`).
//! 3. Extended dominance: among the rest, in cost order, a strategy whose ICER against the
//!    previous one exceeds the next strategy's ICER is extendedly dominated (`ED`); all such are
//!    removed at once and the ICERs recomputed until they do not decrease. Equal consecutive
//!    ICERs are kept (as dampack does).
//! 4. The survivors (`ND`) form the frontier; each ICER is against the previous frontier
//!    strategy; the cheapest has none.
//!
//! Identical (cost, effect) pairs (within [`crate::tolerance::TIE`]) are *equivalent*: they share
//! one status and ICER and name each other in `equivalent_to`, rather than one being marked
//! dominated arbitrarily (dampack marks the later one `D`).

use serde::Serialize;

use crate::tolerance::{greater, same};
use crate::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "ND")]
    NonDominated,
    #[serde(rename = "D")]
    Dominated,
    #[serde(rename = "ED")]
    ExtendedlyDominated,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::NonDominated => "ND",
            Status::Dominated => "D",
            Status::ExtendedlyDominated => "ED",
        }
    }
}

/// One strategy in the incremental table, in cost order.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierRow {
    /// Index of the strategy in the input.
    pub strategy: usize,
    pub status: Status,
    /// For `ND` strategies after the first: the previous frontier strategy.
    pub compared_with: Option<usize>,
    pub delta_cost: Option<f64>,
    pub delta_effect: Option<f64>,
    pub icer: Option<f64>,
    /// For `D`: a strategy that is cheaper (or as cheap) and at least as effective.
    pub dominated_by: Option<usize>,
    /// For `ED`: the frontier strategies whose mix dominates it.
    pub between: Option<(usize, usize)>,
    /// Strategies with the same cost and effect.
    pub equivalent_to: Vec<usize>,
}

/// Incremental analysis of `outcomes`; rows in order of increasing cost.
pub fn incremental(outcomes: &[Outcome]) -> Vec<FrontierRow> {
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&outcomes[a], &outcomes[b]);
        x.cost.total_cmp(&y.cost).then(y.effect.total_cmp(&x.effect)).then(a.cmp(&b))
    });
    let mut rows: Vec<FrontierRow> = order.iter().map(|&s| blank_row(s)).collect();

    // Equivalent groups: each member points at the group's first member (its representative).
    let mut representative: Vec<usize> = (0..rows.len()).collect();
    for i in 1..rows.len() {
        let (a, b) = (&outcomes[order[i - 1]], &outcomes[order[i]]);
        if same(a.cost, b.cost) && same(a.effect, b.effect) {
            representative[i] = representative[i - 1];
        }
    }
    let reps: Vec<usize> = (0..rows.len()).filter(|&i| representative[i] == i).collect();

    // Strong dominance among representatives.
    let mut alive: Vec<usize> = Vec::new();
    let mut best: Option<usize> = None;
    for &i in &reps {
        let effect = outcomes[order[i]].effect;
        match best {
            Some(b) if !greater(effect, outcomes[order[b]].effect) => {
                rows[i].status = Status::Dominated;
                rows[i].dominated_by = Some(order[b]);
            }
            _ => {
                best = Some(i);
                alive.push(i);
            }
        }
    }

    // Extended dominance, repeated until ICERs do not decrease along the frontier.
    loop {
        let icers: Vec<f64> = alive.windows(2).map(|w| icer(&outcomes[order[w[0]]], &outcomes[order[w[1]]])).collect();
        let flagged: Vec<usize> =
            (1..alive.len().saturating_sub(1)).filter(|&k| greater(icers[k - 1], icers[k])).collect();
        if flagged.is_empty() {
            break;
        }
        for &k in &flagged {
            rows[alive[k]].status = Status::ExtendedlyDominated;
        }
        let removed: Vec<usize> = flagged.iter().map(|&k| alive[k]).collect();
        alive.retain(|i| !removed.contains(i));
    }

    // Each extendedly dominated strategy lies between two frontier strategies (in cost order).
    for (i, row) in rows.iter_mut().enumerate() {
        if row.status == Status::ExtendedlyDominated {
            let below = alive.iter().rev().find(|&&a| a < i);
            let above = alive.iter().find(|&&a| a > i);
            if let (Some(&b), Some(&a)) = (below, above) {
                row.between = Some((order[b], order[a]));
            }
        }
    }
    for w in alive.windows(2) {
        let (prev, next) = (&outcomes[order[w[0]]], &outcomes[order[w[1]]]);
        let row = &mut rows[w[1]];
        row.compared_with = Some(order[w[0]]);
        row.delta_cost = Some(next.cost - prev.cost);
        row.delta_effect = Some(next.effect - prev.effect);
        row.icer = Some(icer(prev, next));
    }

    // Members of an equivalent group copy their representative's result.
    for i in 0..rows.len() {
        let r = representative[i];
        if r != i {
            let strategy = rows[i].strategy;
            rows[i] = FrontierRow { strategy, equivalent_to: Vec::new(), ..rows[r].clone() };
        }
    }
    for i in 0..rows.len() {
        let group: Vec<usize> =
            (0..rows.len()).filter(|&j| j != i && representative[j] == representative[i]).map(|j| order[j]).collect();
        rows[i].equivalent_to = group;
    }
    rows
}

fn blank_row(strategy: usize) -> FrontierRow {
    FrontierRow {
        strategy,
        status: Status::NonDominated,
        compared_with: None,
        delta_cost: None,
        delta_effect: None,
        icer: None,
        dominated_by: None,
        between: None,
        equivalent_to: Vec::new(),
    }
}

fn icer(a: &Outcome, b: &Outcome) -> f64 {
    (b.cost - a.cost) / (b.effect - a.effect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn outcomes(data: &[(&str, f64, f64)]) -> Vec<Outcome> {
        data.iter().map(|(n, c, e)| Outcome::new(n, *c, *e)).collect()
    }

    fn by_name<'a>(rows: &'a [FrontierRow], o: &[Outcome], name: &str) -> &'a FrontierRow {
        rows.iter().find(|r| o[r.strategy].name == name).expect("present")
    }

    /// DOMAIN.md §1.4 worked example.
    #[test]
    fn domain_worked_example() {
        let o = outcomes(&[
            ("S0", 20_000.0, 4.0),
            ("S1", 60_000.0, 4.5),
            ("S2", 80_000.0, 5.0),
            ("S3", 90_000.0, 4.8),
            ("S4", 140_000.0, 5.5),
        ]);
        let rows = incremental(&o);
        let status: Vec<&str> = rows.iter().map(|r| r.status.code()).collect();
        assert_eq!(status, ["ND", "ED", "ND", "D", "ND"]);
        assert_eq!(by_name(&rows, &o, "S0").icer, None);
        assert_relative_eq!(by_name(&rows, &o, "S2").icer.expect("icer"), 60_000.0, max_relative = 1e-12);
        assert_relative_eq!(by_name(&rows, &o, "S4").icer.expect("icer"), 120_000.0, max_relative = 1e-12);
        assert_eq!(by_name(&rows, &o, "S3").dominated_by, Some(2));
        assert_eq!(by_name(&rows, &o, "S1").between, Some((0, 2)));
        assert_eq!(by_name(&rows, &o, "S4").compared_with, Some(2));
    }

    #[test]
    fn input_order_does_not_matter() {
        let o = outcomes(&[
            ("S4", 140_000.0, 5.5),
            ("S2", 80_000.0, 5.0),
            ("S3", 90_000.0, 4.8),
            ("S0", 20_000.0, 4.0),
            ("S1", 60_000.0, 4.5),
        ]);
        let rows = incremental(&o);
        let names: Vec<(&str, &str)> = rows.iter().map(|r| (o[r.strategy].name.as_str(), r.status.code())).collect();
        assert_eq!(names, [("S0", "ND"), ("S1", "ED"), ("S2", "ND"), ("S3", "D"), ("S4", "ND")]);
    }

    #[test]
    fn equal_cost_less_effect_is_dominated() {
        let o = outcomes(&[("a", 100.0, 2.0), ("b", 100.0, 1.0)]);
        let rows = incremental(&o);
        assert_eq!(by_name(&rows, &o, "b").status, Status::Dominated);
        assert_eq!(by_name(&rows, &o, "a").status, Status::NonDominated);
    }

    #[test]
    fn identical_strategies_are_equivalent_not_dominated() {
        let o = outcomes(&[("a", 100.0, 1.0), ("b", 200.0, 2.0), ("c", 200.0, 2.0)]);
        let rows = incremental(&o);
        let (b, c) = (by_name(&rows, &o, "b"), by_name(&rows, &o, "c"));
        assert_eq!((b.status, c.status), (Status::NonDominated, Status::NonDominated));
        assert_eq!(b.icer, c.icer);
        assert_eq!(b.equivalent_to, vec![2]);
        assert_eq!(c.equivalent_to, vec![1]);
    }

    #[test]
    fn equal_consecutive_icers_are_kept() {
        let o = outcomes(&[("a", 0.0, 0.0), ("b", 10.0, 1.0), ("c", 20.0, 2.0)]);
        let rows = incremental(&o);
        assert!(rows.iter().all(|r| r.status == Status::NonDominated));
    }

    #[test]
    fn single_strategy_has_no_icer() {
        let rows = incremental(&outcomes(&[("only", 5.0, 1.0)]));
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].status, rows[0].icer), (Status::NonDominated, None));
    }

    #[test]
    fn repeated_extended_dominance_passes() {
        // After removing b (ICER 100 > 50), c's ICER against a becomes 75 > d's 50: c goes too.
        let o =
            outcomes(&[("a", 0.0, 0.0), ("b", 100.0, 1.0), ("c", 150.0, 2.0), ("d", 200.0, 3.0), ("e", 260.0, 4.0)]);
        let rows = incremental(&o);
        let status: Vec<&str> = rows.iter().map(|r| r.status.code()).collect();
        // ICERs a->b 100, b->c 50, c->d 50, d->e 60: b is ED; then a->c 75, c->d 50: c is ED;
        // then a->d 66.7, d->e 60: d is ED; frontier a, e.
        assert_eq!(status, ["ND", "ED", "ED", "ED", "ND"]);
        // Each lies between the frontier strategies a and e, not between dominated ones.
        assert!(rows.iter().filter(|r| r.status == Status::ExtendedlyDominated).all(|r| r.between == Some((0, 4))));
    }
}
