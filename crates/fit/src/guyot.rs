//! Reconstruction of individual patient data from a digitised Kaplan–Meier curve and its numbers
//! at risk, by the algorithm of Guyot, Ades, Ouwens and Welton (BMC Med Res Methodol 2012;12:9),
//! following the authors' published R code without the optional total number of events: in each
//! interval between risk-table times, censorings are spread evenly and their number adjusted
//! until the reconstructed number at risk at the next risk-table time matches the published one;
//! events at each digitised point are those that reproduce the curve's drop; in the last
//! interval the censoring rate of the earlier intervals is assumed.

use std::fmt;

/// A problem with the digitised points or the risk table (indices are 1-based rows).
#[derive(Debug, Clone, PartialEq)]
pub enum GuyotError {
    TooFewPoints,
    PointNotFinite { row: usize },
    SurvivalOutOfRange { row: usize, survival: f64 },
    TimesNotSorted { row: usize, previous: f64, time: f64 },
    SurvivalRises { row: usize, previous: f64, survival: f64 },
    NoRiskTable,
    RiskTimesNotIncreasing { row: usize },
    RiskTimeOutsideCurve { row: usize, time: f64 },
    AtRiskIncreases { row: usize, previous: usize, at_risk: usize },
    FirstRiskTimeNotZero { time: f64 },
}

impl fmt::Display for GuyotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuyotError::TooFewPoints => write!(f, "the digitised curve needs at least two points"),
            GuyotError::PointNotFinite { row } => write!(f, "digitised point {row}: time and survival must be finite numbers"),
            GuyotError::SurvivalOutOfRange { row, survival } => {
                write!(f, "digitised point {row}: survival {survival} is outside [0, 1]")
            }
            GuyotError::TimesNotSorted { row, previous, time } => {
                write!(f, "digitised point {row}: time {time} is before the previous point's {previous}; sort the points by time")
            }
            GuyotError::SurvivalRises { row, previous, survival } => write!(
                f,
                "digitised point {row}: survival rises from {previous} to {survival}; a Kaplan-Meier curve never rises (re-digitise, or take the running minimum)"
            ),
            GuyotError::NoRiskTable => write!(f, "the numbers at risk are missing; give at least the number at time 0"),
            GuyotError::RiskTimesNotIncreasing { row } => write!(f, "risk table row {row}: times must increase"),
            GuyotError::RiskTimeOutsideCurve { row, time } => {
                write!(f, "risk table row {row}: time {time} is after the last digitised point")
            }
            GuyotError::AtRiskIncreases { row, previous, at_risk } => {
                write!(f, "risk table row {row}: the number at risk rises from {previous} to {at_risk}; it can only fall")
            }
            GuyotError::FirstRiskTimeNotZero { time } => {
                write!(f, "the risk table starts at time {time}; it must start at 0 with the number randomised")
            }
        }
    }
}

impl std::error::Error for GuyotError {}

/// Reconstructed pseudo patients: times and event indicators (events first, then censorings).
#[derive(Debug, Clone, PartialEq)]
pub struct Reconstruction {
    pub times: Vec<f64>,
    pub events: Vec<bool>,
}

fn check(times: &[f64], survival: &[f64], risk_times: &[f64], at_risk: &[usize]) -> Result<(), GuyotError> {
    if times.len() < 2 || times.len() != survival.len() {
        return Err(GuyotError::TooFewPoints);
    }
    for (i, (&t, &s)) in times.iter().zip(survival).enumerate() {
        let row = i + 1;
        if !t.is_finite() || !s.is_finite() || t < 0.0 {
            return Err(GuyotError::PointNotFinite { row });
        }
        if !(0.0..=1.0).contains(&s) {
            return Err(GuyotError::SurvivalOutOfRange { row, survival: s });
        }
        if i > 0 && t < times[i - 1] {
            return Err(GuyotError::TimesNotSorted { row, previous: times[i - 1], time: t });
        }
        if i > 0 && s > survival[i - 1] {
            return Err(GuyotError::SurvivalRises { row, previous: survival[i - 1], survival: s });
        }
    }
    if risk_times.is_empty() || risk_times.len() != at_risk.len() {
        return Err(GuyotError::NoRiskTable);
    }
    if risk_times[0] != 0.0 {
        return Err(GuyotError::FirstRiskTimeNotZero { time: risk_times[0] });
    }
    let last = times[times.len() - 1];
    for i in 0..risk_times.len() {
        let row = i + 1;
        if !risk_times[i].is_finite() || (i > 0 && risk_times[i] <= risk_times[i - 1]) {
            return Err(GuyotError::RiskTimesNotIncreasing { row });
        }
        if risk_times[i] > last {
            return Err(GuyotError::RiskTimeOutsideCurve { row, time: risk_times[i] });
        }
        if i > 0 && at_risk[i] > at_risk[i - 1] {
            return Err(GuyotError::AtRiskIncreases { row, previous: at_risk[i - 1], at_risk: at_risk[i] });
        }
    }
    Ok(())
}

/// Counts of `values` in the intervals (b₀, b₁], (b₁, b₂], ... with the first closed (R's `hist`
/// with `include.lowest`).
fn histogram(values: &[f64], breaks: &[f64]) -> Vec<i64> {
    let mut counts = vec![0; breaks.len().saturating_sub(1)];
    for &v in values {
        if let Some(j) =
            (0..counts.len()).find(|&j| v <= breaks[j + 1] && (v > breaks[j] || (j == 0 && v >= breaks[0])))
        {
            counts[j] += 1;
        }
    }
    counts
}

fn even_censorings(n: i64, from: f64, to: f64) -> Vec<f64> {
    (1..=n.max(0)).map(|j| from + j as f64 * (to - from) / (n as f64 + 1.0)).collect()
}

/// Reconstructs pseudo patient data from digitised points (`times`, `survival`; with S = 1 at
/// the first point, normally time 0) and the published numbers at risk (`risk_times` from 0,
/// `at_risk`).
///
/// A risk-table time that is not a digitised time is added as a point on the flat segment
/// there, so that censorings placed at interval midpoints stay on the right side of it.
pub fn reconstruct(
    times: &[f64],
    survival: &[f64],
    risk_times: &[f64],
    at_risk: &[usize],
) -> Result<Reconstruction, GuyotError> {
    check(times, survival, risk_times, at_risk)?;
    let (mut times, mut survival) = (times.to_vec(), survival.to_vec());
    for &r in risk_times {
        if !times.contains(&r) {
            let at = times.partition_point(|&t| t < r);
            let s = if at == 0 { 1.0 } else { survival[at - 1] };
            times.insert(at, r);
            survival.insert(at, s);
        }
    }
    let (times, survival) = (&times[..], &survival[..]);
    let n_points = times.len();
    let nint = risk_times.len();
    // lower[i]: first point at or after the risk time; upper[i]: the point before the next lower.
    let lower: Vec<usize> = risk_times.iter().map(|&r| times.partition_point(|&t| t < r)).collect();
    let mut upper: Vec<usize> =
        (0..nint).map(|i| if i + 1 < nint { lower[i + 1].saturating_sub(1) } else { n_points - 1 }).collect();
    for i in 0..nint {
        upper[i] = upper[i].max(lower[i]);
    }
    let mut nrisk: Vec<i64> = at_risk.iter().map(|&n| n as i64).collect();
    let mut ncensor = vec![0_i64; nint];
    let mut cen = vec![0_i64; n_points + 1];
    let mut d = vec![0_i64; n_points + 1];
    let mut n_hat = vec![nrisk[0] + 1; n_points + 1];
    let mut km = vec![1.0_f64; n_points + 1];
    let mut last_i = 0usize;
    let s = survival;
    let step = |k: usize, last: usize, n_hat: &[i64], km: &[f64]| -> (i64, f64) {
        if km[last] <= 0.0 || n_hat[k] <= 0 {
            return (0, km[last]);
        }
        let dk = ((n_hat[k] as f64) * (1.0 - s[k] / km[last])).round().max(0.0) as i64;
        let dk = dk.min(n_hat[k]);
        (dk, km[last] * (1.0 - dk as f64 / n_hat[k] as f64))
    };
    for i in 0..nint.saturating_sub(1) {
        let (lo, hi, next) = (lower[i], upper[i], lower[i + 1]);
        ncensor[i] = if s[lo] > 0.0 {
            ((nrisk[i] as f64) * s[next.min(n_points - 1)] / s[lo] - nrisk[i + 1] as f64).round() as i64
        } else {
            0
        };
        let mut last = last_i;
        let mut guard = 0;
        while guard < 1000 && (n_hat[next] > nrisk[i + 1] || (n_hat[next] < nrisk[i + 1] && ncensor[i] > 0)) {
            guard += 1;
            if ncensor[i] <= 0 {
                ncensor[i] = 0;
                cen[lo..=hi].iter_mut().for_each(|c| *c = 0);
            } else {
                let end = times[next.min(n_points - 1)];
                let c_t = even_censorings(ncensor[i], times[lo], end);
                let breaks = &times[lo..=next.min(n_points - 1)];
                let counts = histogram(&c_t, breaks);
                cen[lo..=hi].iter_mut().for_each(|c| *c = 0);
                for (j, c) in counts.iter().enumerate() {
                    if lo + j <= hi {
                        cen[lo + j] = *c;
                    }
                }
            }
            n_hat[lo] = nrisk[i];
            last = last_i;
            for k in lo..=hi {
                if i == 0 && k == lo {
                    d[k] = 0;
                    km[k] = 1.0;
                } else {
                    let (dk, kk) = step(k, last, &n_hat, &km);
                    d[k] = dk;
                    km[k] = kk;
                }
                n_hat[k + 1] = n_hat[k] - d[k] - cen[k];
                if d[k] != 0 {
                    last = k;
                }
            }
            ncensor[i] += n_hat[next] - nrisk[i + 1];
        }
        if n_hat[next] < nrisk[i + 1] {
            nrisk[i + 1] = n_hat[next];
        }
        last_i = last;
    }
    // The last interval: the average censoring rate of the earlier ones.
    let li = nint - 1;
    let (lo, hi) = (lower[li], upper[li]);
    ncensor[li] = if nint > 1 {
        let span = times[upper[li - 1]] - times[lower[0]];
        let rate = if span > 0.0 { (times[hi] - times[lo]) / span } else { 0.0 };
        ((ncensor[..li].iter().sum::<i64>() as f64 * rate).round() as i64).min(nrisk[li])
    } else {
        0
    };
    cen[lo..=hi].iter_mut().for_each(|c| *c = 0);
    if ncensor[li] > 0 && hi > lo {
        let c_t = even_censorings(ncensor[li], times[lo], times[hi]);
        for (j, c) in histogram(&c_t, &times[lo..=hi]).iter().enumerate() {
            cen[lo + j] = *c;
        }
    }
    n_hat[lo] = nrisk[li];
    let mut last = last_i;
    for k in lo..=hi {
        if nint == 1 && k == lo {
            d[k] = 0;
            km[k] = 1.0;
        } else {
            let (dk, kk) = step(k, last, &n_hat, &km);
            d[k] = dk;
            km[k] = kk;
        }
        n_hat[k + 1] = n_hat[k] - d[k] - cen[k];
        if n_hat[k + 1] < 0 {
            n_hat[k + 1] = 0;
            cen[k] = n_hat[k] - d[k];
        }
        if d[k] != 0 {
            last = k;
        }
    }
    let total = at_risk[0];
    let mut out = Reconstruction { times: Vec::with_capacity(total), events: Vec::with_capacity(total) };
    for k in 0..n_points {
        for _ in 0..d[k].max(0) {
            out.times.push(times[k]);
            out.events.push(true);
        }
    }
    for k in 0..n_points - 1 {
        for _ in 0..cen[k].max(0) {
            out.times.push((times[k] + times[k + 1]) / 2.0);
            out.events.push(false);
        }
    }
    out.times.truncate(total);
    out.events.truncate(total);
    while out.times.len() < total {
        out.times.push(times[n_points - 1]);
        out.events.push(false);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::km::kaplan_meier;

    /// A trial of 200 patients, made by hand so that its Kaplan–Meier curve is known exactly:
    /// event times from a Weibull (shape 1.3, scale 24 months) at the quantiles (i − ½)/200 in a
    /// shuffled order, administrative censoring at staggered entry (follow-up 12 to 60 months),
    /// and some loss to follow-up. We digitise its KM at every step (both corners, as a
    /// digitiser would, and the flat tail to the last follow-up), publish the numbers at risk
    /// every 6 months, reconstruct, and compare (not a published data set: one whose true
    /// patient data are known, so that the comparison can be exact).
    fn trial() -> (Vec<f64>, Vec<bool>) {
        let n = 200;
        let mut times = Vec::new();
        let mut events = Vec::new();
        for i in 0..n {
            let q = ((i * 73) % n) as f64 + 0.5;
            let t_event = 24.0 * (-(1.0 - q / n as f64).ln()).powf(1.0 / 1.3);
            let follow_up = 12.0 + 48.0 * (i as f64 / n as f64);
            let lost = if i % 17 == 0 { 3.0 + (i % 11) as f64 } else { f64::INFINITY };
            let end = follow_up.min(lost);
            times.push(t_event.min(end));
            events.push(t_event <= end);
        }
        (times, events)
    }

    #[test]
    fn reproduces_the_curve_and_the_numbers_at_risk() {
        let (t, e) = trial();
        let truth = kaplan_meier(&t, &e);
        let mut dt = vec![0.0];
        let mut ds = vec![1.0];
        let mut previous = 1.0;
        for (&time, &s) in truth.times.iter().zip(&truth.survival) {
            dt.push(time);
            ds.push(previous);
            dt.push(time);
            ds.push(s);
            previous = s;
        }
        // The plotted curve runs flat to the last follow-up time.
        dt.push(truth.max_time());
        ds.push(previous);
        let risk_times: Vec<f64> = (0..10).map(|k| 6.0 * k as f64).collect();
        let at_risk: Vec<usize> = risk_times.iter().map(|&r| truth.at_risk_at(r)).collect();
        let max_t = truth.max_time();
        let risk: Vec<(f64, usize)> =
            risk_times.iter().copied().zip(at_risk.iter().copied()).filter(|(r, _)| *r <= max_t).collect();
        let (rt, ra): (Vec<f64>, Vec<usize>) = risk.into_iter().unzip();
        let rec = reconstruct(&dt, &ds, &rt, &ra).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rec.times.len(), 200);
        let km = kaplan_meier(&rec.times, &rec.events);
        // After each step of the digitised curve, and on a fine grid.
        let worst = truth
            .times
            .iter()
            .zip(&truth.survival)
            .map(|(&time, &s)| (km.survival_at(time) - s).abs())
            .fold(0.0, f64::max);
        let grid = (0..=600).map(|k| k as f64 / 10.0);
        let worst_grid = grid.map(|x| (km.survival_at(x) - truth.survival_at(x)).abs()).fold(0.0, f64::max);
        // Found: 0.0046 (both).
        assert!(worst < 0.01 && worst_grid < 0.01, "max |ΔS| {worst} after the steps, {worst_grid} on the grid");
        for (&r, &n) in rt.iter().zip(&ra) {
            let got = km.at_risk_at(r) as i64;
            assert_eq!(got, n as i64, "at risk at {r}");
        }
    }

    #[test]
    fn bad_input_is_described() {
        let err =
            |t: &[f64], s: &[f64], rt: &[f64], ra: &[usize]| reconstruct(t, s, rt, ra).err().map(|e| e.to_string());
        assert_eq!(
            err(&[0.0, 2.0, 1.0], &[1.0, 0.9, 0.8], &[0.0], &[10]),
            Some("digitised point 3: time 1 is before the previous point's 2; sort the points by time".into())
        );
        assert!(err(&[0.0, 1.0, 2.0], &[1.0, 0.8, 0.9], &[0.0], &[10]).is_some_and(|m| m.contains("rises")));
        assert!(err(&[0.0, 1.0, 2.0], &[1.0, 0.8, 0.7], &[0.0, 1.0], &[10, 12])
            .is_some_and(|m| m.contains("rises from 10 to 12")));
    }
}

/// Digitised curves and risk tables read from CSV, per arm (in order of first appearance).
#[derive(Debug, Clone, PartialEq)]
pub struct DigitisedArm {
    pub arm: String,
    pub times: Vec<f64>,
    pub survival: Vec<f64>,
    /// File line of each point.
    pub lines: Vec<usize>,
    pub risk_times: Vec<f64>,
    pub at_risk: Vec<usize>,
    pub risk_lines: Vec<usize>,
}

/// One row of a small CSV: its arm, the wanted columns' numbers and its line.
type CsvRow = (String, Vec<f64>, usize);

/// Rows of a small CSV with required numeric columns and an optional `arm` column.
fn read_columns(file: &str, bytes: &[u8], wanted: &[&str]) -> Result<Vec<CsvRow>, Vec<crate::DataError>> {
    let err = |line: usize, column: Option<(usize, String)>, message: String| crate::DataError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(bytes);
    let mut records = reader.byte_records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect(),
        _ => return Err(vec![err(1, None, format!("expected a header row naming the columns {}", wanted.join(", ")))]),
    };
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for w in wanted {
        match header.iter().position(|h| h == w) {
            Some(i) => columns.push(i),
            None => problems.push(err(1, None, format!("no `{w}` column; the header has {}", header.join(", ")))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let arm = header.iter().position(|h| h == "arm");
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(err(
                    e.position().map_or(0, |p| p.line() as usize),
                    None,
                    format!("cannot read the row: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let mut values = Vec::new();
        for (&c, w) in columns.iter().zip(wanted) {
            let text = std::str::from_utf8(record.get(c).unwrap_or_default()).unwrap_or("");
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => problems.push(err(
                    line,
                    Some((c + 1, w.to_string())),
                    format!("found \"{}\"; expected a finite number", text.escape_debug()),
                )),
            }
        }
        let arm = arm.map_or_else(
            || "all".to_string(),
            |a| String::from_utf8_lossy(record.get(a).unwrap_or_default()).into_owned(),
        );
        if values.len() == wanted.len() {
            rows.push((arm, values, line));
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Reads digitised points (`time`, `survival`, optionally `arm`) and numbers at risk (`time`,
/// `at_risk`, optionally `arm`), checks them (sorted times, a curve that never rises, numbers at
/// risk that never rise, whole numbers) with file:line:column, and reconstructs each arm.
pub fn read_digitised(
    points_file: &str,
    points: &[u8],
    risk_file: &str,
    risk: &[u8],
) -> Result<Vec<(DigitisedArm, Reconstruction)>, Vec<crate::DataError>> {
    let p = read_columns(points_file, points, &["time", "survival"]);
    let r = read_columns(risk_file, risk, &["time", "at_risk"]);
    let (p, r) = match (p, r) {
        (Ok(p), Ok(r)) => (p, r),
        (p, r) => return Err(p.err().unwrap_or_default().into_iter().chain(r.err().unwrap_or_default()).collect()),
    };
    let mut arms: Vec<DigitisedArm> = Vec::new();
    let mut problems = Vec::new();
    for (arm, v, line) in p {
        let i = match arms.iter().position(|a| a.arm == arm) {
            Some(i) => i,
            None => {
                arms.push(DigitisedArm {
                    arm,
                    times: vec![],
                    survival: vec![],
                    lines: vec![],
                    risk_times: vec![],
                    at_risk: vec![],
                    risk_lines: vec![],
                });
                arms.len() - 1
            }
        };
        arms[i].times.push(v[0]);
        arms[i].survival.push(v[1]);
        arms[i].lines.push(line);
    }
    for (arm, v, line) in r {
        let Some(a) = arms.iter_mut().find(|a| a.arm == arm) else {
            problems.push(crate::DataError {
                file: risk_file.into(),
                line,
                column: None,
                message: format!("arm \"{}\" has numbers at risk but no digitised points", arm.escape_debug()),
            });
            continue;
        };
        if v[1] < 0.0 || v[1].fract() != 0.0 {
            problems.push(crate::DataError {
                file: risk_file.into(),
                line,
                column: None,
                message: format!("at_risk {} is not a whole number of patients", v[1]),
            });
            continue;
        }
        a.risk_times.push(v[0]);
        a.at_risk.push(v[1] as usize);
        a.risk_lines.push(line);
    }
    let mut out = Vec::new();
    for a in arms {
        match reconstruct(&a.times, &a.survival, &a.risk_times, &a.at_risk) {
            Ok(rec) => out.push((a, rec)),
            Err(e) => {
                let (file, line) = match &e {
                    GuyotError::PointNotFinite { row }
                    | GuyotError::SurvivalOutOfRange { row, .. }
                    | GuyotError::TimesNotSorted { row, .. }
                    | GuyotError::SurvivalRises { row, .. } => {
                        (points_file, a.lines.get(row - 1).copied().unwrap_or(0))
                    }
                    GuyotError::TooFewPoints => (points_file, a.lines.first().copied().unwrap_or(1)),
                    GuyotError::RiskTimesNotIncreasing { row }
                    | GuyotError::RiskTimeOutsideCurve { row, .. }
                    | GuyotError::AtRiskIncreases { row, .. } => {
                        (risk_file, a.risk_lines.get(row - 1).copied().unwrap_or(0))
                    }
                    GuyotError::NoRiskTable | GuyotError::FirstRiskTimeNotZero { .. } => {
                        (risk_file, a.risk_lines.first().copied().unwrap_or(1))
                    }
                };
                problems.push(crate::DataError {
                    file: file.into(),
                    line,
                    column: None,
                    message: format!("arm \"{}\": {e}", a.arm.escape_debug()),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}
