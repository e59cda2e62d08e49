//! Eligible patients and the treated pool by year (DOMAIN.md §5.1, §5.3).
//!
//! Eligible incident patients each year come from the population through a funnel (diagnosed ×
//! meeting the label × ...). A one-time therapy treats patients once and removes them from the
//! pool:
//!
//! Pool_y = Pool_(y−1) − Treated_(y−1) − Deaths_(y−1) + Incident_y,
//! Treated_y = min(uptake_y · Pool_y, Capacity_y),
//!
//! with deaths = the untreated remainder × the pool's annual mortality. The pool starts with the
//! prevalent backlog at launch. Treated patients are split between the prevalent backlog and
//! incident patients in proportion to what remains of each.

use crate::uptake::Uptake;

#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Eligible incident patients in years 1..=Y (after the funnel).
    pub incident: Vec<f64>,
    /// Eligible prevalent patients waiting at launch (start of year 1).
    pub prevalent_at_launch: f64,
    /// Annual probability of death of untreated eligible patients in the pool.
    pub pool_mortality: f64,
    /// Most patients the new option can treat each year (centres, manufacturing slots).
    pub capacity: Vec<Option<f64>>,
}

/// Patients treated with the new option in one year.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Treated {
    pub from_prevalent: f64,
    pub from_incident: f64,
    /// Eligible patients in the pool at the start of the year.
    pub pool: f64,
    /// Whether capacity limited the number treated.
    pub capacity_bound: bool,
}

impl Treated {
    pub fn total(&self) -> f64 {
        self.from_prevalent + self.from_incident
    }
}

/// Patients treated each year 1..=`years`, with pool depletion and capacity.
pub fn treated_by_year(population: &Population, uptake: &Uptake, years: u32) -> Vec<Treated> {
    let mut prevalent = population.prevalent_at_launch;
    let mut incident_pool = 0.0;
    let mut out = Vec::with_capacity(years as usize);
    for y in 1..=years {
        let i = (y - 1) as usize;
        incident_pool += population.incident.get(i).or(population.incident.last()).copied().unwrap_or(0.0);
        let pool = prevalent + incident_pool;
        let wanted = uptake.share(y) * pool;
        let capacity = population.capacity.get(i).or(population.capacity.last()).copied().flatten();
        let treated = capacity.map_or(wanted, |c| wanted.min(c));
        let (from_prevalent, from_incident) =
            if pool > 0.0 { (treated * prevalent / pool, treated * incident_pool / pool) } else { (0.0, 0.0) };
        out.push(Treated { from_prevalent, from_incident, pool, capacity_bound: capacity.is_some_and(|c| wanted > c) });
        let survive = 1.0 - population.pool_mortality;
        prevalent = (prevalent - from_prevalent) * survive;
        incident_pool = (incident_pool - from_incident) * survive;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_then_incident_steady_state() {
        let population = Population {
            incident: vec![100.0],
            prevalent_at_launch: 1000.0,
            pool_mortality: 0.0,
            capacity: vec![None],
        };
        let t = treated_by_year(&population, &Uptake::Table(vec![0.5]), 3);
        // Year 1: pool 1100, treat 550 (500 prevalent, 50 incident); year 2: pool 650, treat 325.
        assert!((t[0].total() - 550.0).abs() < 1e-9);
        assert!((t[0].from_prevalent - 500.0).abs() < 1e-9);
        assert!((t[1].pool - 650.0).abs() < 1e-9);
        assert!((t[1].total() - 325.0).abs() < 1e-9);
    }

    #[test]
    fn capacity_binds() {
        let population = Population {
            incident: vec![100.0],
            prevalent_at_launch: 1000.0,
            pool_mortality: 0.1,
            capacity: vec![Some(200.0)],
        };
        let t = treated_by_year(&population, &Uptake::Table(vec![1.0]), 2);
        assert_eq!(t[0].total(), 200.0);
        assert!(t[0].capacity_bound);
        // Untreated 900 lose 10%: 810 + 100 incident.
        assert!((t[1].pool - 910.0).abs() < 1e-9);
    }

    #[test]
    fn zero_uptake_treats_no_one() {
        let population =
            Population { incident: vec![100.0], prevalent_at_launch: 50.0, pool_mortality: 0.0, capacity: vec![None] };
        assert!(treated_by_year(&population, &Uptake::Table(vec![0.0]), 5).iter().all(|t| t.total() == 0.0));
    }
}
