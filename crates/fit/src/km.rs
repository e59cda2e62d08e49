//! The Kaplan–Meier estimate of survival from right-censored data, with Greenwood's variance and
//! a pointwise confidence interval on the log scale (R `survfit`'s default `conf.type = "log"`:
//! S·exp(±z·√(Σ d/(n(n−d))))), capped at 1), and numbers at risk at chosen times.

use serde::Serialize;

/// The Kaplan–Meier curve: one step per distinct event time (censoring times are counted in the
/// numbers at risk but make no step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaplanMeier {
    /// Distinct event times, increasing.
    pub times: Vec<f64>,
    /// Patients at risk just before each time (follow-up ≥ the time).
    pub at_risk: Vec<usize>,
    /// Events at each time.
    pub events: Vec<usize>,
    /// Survival just after each time.
    pub survival: Vec<f64>,
    /// Greenwood's standard error of the survival.
    pub std_error: Vec<f64>,
    /// Lower and upper 95% limits.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// All follow-up times, sorted, for numbers at risk at any time.
    follow_up: Vec<f64>,
    /// All delayed-entry times, sorted (empty without delayed entry).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    entries: Vec<f64>,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959963984540054;

/// The Kaplan–Meier estimate for `times` with `events` (true = event). Times must be finite and
/// non-negative (the data reader checks them); a NaN time is skipped.
pub fn kaplan_meier(times: &[f64], events: &[bool]) -> KaplanMeier {
    kaplan_meier_with_entry(times, events, &[])
}

/// [`kaplan_meier`] with delayed entry (left truncation): patient i is at risk at t when
/// `entry[i] < t <= times[i]` (an entry at the very time of an event is not yet at risk for
/// it). `entry` is empty for none, else one time per patient, each less than its time.
pub fn kaplan_meier_with_entry(times: &[f64], events: &[bool], entry: &[f64]) -> KaplanMeier {
    let mut entries: Vec<f64> = times.iter().zip(entry).filter(|(t, _)| !t.is_nan()).map(|(_, &e)| e).collect();
    entries.sort_by(f64::total_cmp);
    let not_yet_entered = |t: f64| entries.len() - entries.partition_point(|&e| e < t);
    let mut order: Vec<(f64, bool)> =
        times.iter().copied().zip(events.iter().copied()).filter(|(t, _)| !t.is_nan()).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut follow_up: Vec<f64> = order.iter().map(|o| o.0).collect();
    follow_up.sort_by(f64::total_cmp);
    let mut km = KaplanMeier {
        times: Vec::new(),
        at_risk: Vec::new(),
        events: Vec::new(),
        survival: Vec::new(),
        std_error: Vec::new(),
        lower: Vec::new(),
        upper: Vec::new(),
        follow_up,
        entries: Vec::new(),
    };
    let (mut s, mut greenwood) = (1.0_f64, 0.0_f64);
    let mut i = 0;
    let n = order.len();
    while i < n {
        let t = order[i].0;
        let at_risk = (n - i) - not_yet_entered(t);
        let mut d = 0;
        while i < n && order[i].0 == t {
            d += usize::from(order[i].1);
            i += 1;
        }
        if d == 0 {
            continue;
        }
        s *= 1.0 - d as f64 / at_risk as f64;
        if at_risk > d {
            greenwood += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
        } else {
            greenwood = f64::INFINITY;
        }
        let half = Z95 * greenwood.sqrt();
        km.times.push(t);
        km.at_risk.push(at_risk);
        km.events.push(d);
        km.survival.push(s);
        km.std_error.push(if greenwood.is_finite() { s * greenwood.sqrt() } else { f64::NAN });
        km.lower.push(if s > 0.0 && greenwood.is_finite() { s * (-half).exp() } else { f64::NAN });
        km.upper.push(if s > 0.0 && greenwood.is_finite() { (s * half.exp()).min(1.0) } else { f64::NAN });
    }
    km.entries = entries;
    km
}

impl KaplanMeier {
    /// Survival at `t` (right-continuous step function; 1 before the first event).
    pub fn survival_at(&self, t: f64) -> f64 {
        let k = self.times.partition_point(|&x| x <= t);
        if k == 0 {
            1.0
        } else {
            self.survival[k - 1]
        }
    }

    /// Patients at risk at `t` (the table of numbers at risk): followed to t or later and
    /// entered at or before t, so that everyone entering at 0 is at risk at 0.
    pub fn at_risk_at(&self, t: f64) -> usize {
        let followed = self.follow_up.len() - self.follow_up.partition_point(|&x| x < t);
        followed - (self.entries.len() - self.entries.partition_point(|&e| e <= t))
    }

    /// The longest follow-up time.
    pub fn max_time(&self) -> f64 {
        self.follow_up.last().copied().unwrap_or(0.0)
    }

    /// The median survival time: the first event time with survival ≤ 0.5, if reached.
    pub fn median(&self) -> Option<f64> {
        self.survival.iter().position(|&s| s <= 0.5).map(|k| self.times[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The `aml` maintained group of R's survival package (Miller 1981): survfit gives survival
    /// 0.9091, 0.8182, 0.7159, 0.6136, 0.4909, 0.3682, 0.1841 with standard errors 0.0867,
    /// 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535 and lower 95% limits (log) 0.7541, 0.6192,
    /// 0.4884, 0.3769, 0.2549, 0.1549, 0.0359 at times 9, 13, 18, 23, 31, 34, 48.
    #[test]
    fn matches_survfit_on_aml_maintained() {
        let times = [9.0, 13.0, 13.0, 18.0, 23.0, 28.0, 31.0, 34.0, 45.0, 48.0, 161.0];
        let events = [true, true, false, true, true, false, true, true, false, true, false];
        let km = kaplan_meier(&times, &events);
        assert_eq!(km.times, [9.0, 13.0, 18.0, 23.0, 31.0, 34.0, 48.0]);
        assert_eq!(km.at_risk, [11, 10, 8, 7, 5, 4, 2]);
        let expected = [0.9091, 0.8182, 0.7159, 0.6136, 0.4909, 0.3682, 0.1841];
        let se = [0.0867, 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535];
        let lower = [0.7541, 0.6192, 0.4884, 0.3769, 0.2549, 0.1549, 0.0359];
        for k in 0..7 {
            assert_relative_eq!(km.survival[k], expected[k], epsilon = 5e-5);
            assert_relative_eq!(km.std_error[k], se[k], epsilon = 5e-5);
            assert_relative_eq!(km.lower[k], lower[k], epsilon = 5e-5);
        }
        assert_eq!(km.at_risk_at(30.0), 5);
        assert_eq!(km.median(), Some(31.0));
        assert_eq!(km.survival_at(13.5), km.survival[1]);
        let no_delay = kaplan_meier_with_entry(&times, &events, &[0.0; 11]);
        assert_eq!(no_delay.survival, km.survival, "entry at 0 is no delayed entry");
    }

    /// Delayed entry worked by hand. Patients (entry, time, event): (0, 2, 1), (0, 5, 0),
    /// (3, 4, 1), (1, 6, 1), (4.5, 7, 1). At t = 2 the patients entered before 2 and followed
    /// to 2 or later are the first, second and fourth: 3 at risk, 1 event, S = 2/3. At t = 4:
    /// the second, third and fourth (the fifth enters at 4.5): 3 at risk, S = 2/3 · 2/3 = 4/9.
    /// At t = 6: the fourth and fifth: 2 at risk, S = 4/9 · 1/2 = 2/9. At t = 7: the fifth
    /// alone, S = 0. Greenwood at t = 4: 1/(3·2) + 1/(3·2) = 1/3.
    #[test]
    fn delayed_entry_leaves_late_entrants_out_of_earlier_risk_sets() {
        let times = [2.0, 5.0, 4.0, 6.0, 7.0];
        let events = [true, false, true, true, true];
        let entry = [0.0, 0.0, 3.0, 1.0, 4.5];
        let km = kaplan_meier_with_entry(&times, &events, &entry);
        assert_eq!(km.times, [2.0, 4.0, 6.0, 7.0]);
        assert_eq!(km.at_risk, [3, 3, 2, 1]);
        for (got, want) in km.survival.iter().zip([2.0 / 3.0, 4.0 / 9.0, 2.0 / 9.0, 0.0]) {
            assert_relative_eq!(*got, want, epsilon = 1e-15);
        }
        assert_relative_eq!(km.std_error[1], 4.0 / 9.0 * (1.0_f64 / 3.0).sqrt(), epsilon = 1e-15);
        // At t = 4.6: followed to 4.6 or later are the second, fourth and fifth, all entered.
        assert_eq!(km.at_risk_at(4.6), 3);
        // At t = 3.5: the second, third and fourth (the fifth has not entered).
        assert_eq!(km.at_risk_at(3.5), 3);
        assert_eq!(km.at_risk_at(0.5), 2, "the third, fourth and fifth enter later");
        assert_eq!(km.at_risk_at(0.0), 2, "those entering at 0 are at risk at 0");
        assert_eq!(kaplan_meier_with_entry(&times, &events, &[0.0; 5]).at_risk_at(0.0), 5);
    }
}
