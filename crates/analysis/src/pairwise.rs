//! Pairwise comparison against a reference strategy, with the quadrant of the CE plane
//! (DOMAIN.md §1.2): an ICER is given only where it means something (NE and SW), and labelled.

use serde::Serialize;

use crate::tolerance::same;
use crate::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// More effective, more costly: ICER = cost per unit of effect gained.
    NorthEast,
    /// More effective (or as effective), no more costly: dominant.
    SouthEast,
    /// Less effective, no less costly: dominated.
    NorthWest,
    /// Less effective, less costly: ICER = saving per unit of effect lost.
    SouthWest,
    /// Same effect, different cost: no ICER; compare by cost or net benefit.
    EqualEffect,
    /// Same cost and effect.
    Equivalent,
}

impl Quadrant {
    pub fn of(delta_cost: f64, delta_effect: f64, scale_cost: f64, scale_effect: f64) -> Quadrant {
        let no_cost = same(scale_cost + delta_cost, scale_cost);
        let no_effect = same(scale_effect + delta_effect, scale_effect);
        match (no_effect, no_cost) {
            (true, true) => Quadrant::Equivalent,
            (true, false) => Quadrant::EqualEffect,
            (false, _) if delta_effect > 0.0 && (no_cost || delta_cost < 0.0) => Quadrant::SouthEast,
            (false, _) if delta_effect > 0.0 => Quadrant::NorthEast,
            (false, _) if no_cost || delta_cost > 0.0 => Quadrant::NorthWest,
            (false, _) => Quadrant::SouthWest,
        }
    }

    /// Text shown in place of, or beside, the ratio.
    pub fn label(self) -> &'static str {
        match self {
            Quadrant::NorthEast => "more costly, more effective",
            Quadrant::SouthEast => "dominant",
            Quadrant::NorthWest => "dominated",
            Quadrant::SouthWest => "less costly, less effective",
            Quadrant::EqualEffect => "equal effect",
            Quadrant::Equivalent => "equivalent",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Quadrant::NorthEast => "NE",
            Quadrant::SouthEast => "SE",
            Quadrant::NorthWest => "NW",
            Quadrant::SouthWest => "SW",
            Quadrant::EqualEffect => "equal_effect",
            Quadrant::Equivalent => "equivalent",
        }
    }
}

/// One strategy against the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub strategy: usize,
    pub reference: usize,
    pub delta_cost: f64,
    pub delta_effect: f64,
    pub quadrant: Quadrant,
    /// ΔC/ΔE in the NE and SW quadrants only.
    pub icer: Option<f64>,
}

/// Every strategy other than `reference`, compared with it.
pub fn pairwise(outcomes: &[Outcome], reference: usize) -> Vec<Comparison> {
    let r = &outcomes[reference];
    outcomes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != reference)
        .map(|(i, o)| {
            let (dc, de) = (o.cost - r.cost, o.effect - r.effect);
            let quadrant = Quadrant::of(dc, de, r.cost, r.effect);
            let icer = matches!(quadrant, Quadrant::NorthEast | Quadrant::SouthWest).then(|| dc / de);
            Comparison { strategy: i, reference, delta_cost: dc, delta_effect: de, quadrant, icer }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrants_follow_the_domain_table() {
        let q = |dc: f64, de: f64| Quadrant::of(dc, de, 1000.0, 5.0);
        assert_eq!(q(100.0, 0.5), Quadrant::NorthEast);
        assert_eq!(q(-100.0, 0.5), Quadrant::SouthEast);
        assert_eq!(q(0.0, 0.5), Quadrant::SouthEast);
        assert_eq!(q(100.0, -0.5), Quadrant::NorthWest);
        assert_eq!(q(0.0, -0.5), Quadrant::NorthWest);
        assert_eq!(q(-100.0, -0.5), Quadrant::SouthWest);
        assert_eq!(q(100.0, 0.0), Quadrant::EqualEffect);
        assert_eq!(q(0.0, 0.0), Quadrant::Equivalent);
    }

    #[test]
    fn icer_only_where_meaningful() {
        let o = [
            Outcome::new("ref", 1000.0, 5.0),
            Outcome::new("ne", 2000.0, 6.0),
            Outcome::new("se", 900.0, 6.0),
            Outcome::new("sw", 500.0, 4.0),
        ];
        let c = pairwise(&o, 0);
        assert_eq!(c[0].icer, Some(1000.0));
        assert_eq!(c[1].icer, None);
        assert_eq!(c[1].quadrant.label(), "dominant");
        assert_eq!(c[2].icer, Some(500.0));
    }
}
