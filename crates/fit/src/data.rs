//! Individual patient data: a CSV file with a header row naming the columns `time` (> 0, in the
//! unit the fit is wanted in), `event` (1 for an event, 0 for right censoring), optionally `arm`
//! (any text; each arm is fitted on its own and, with two or more arms, together with the arm as
//! a covariate), and any further numeric columns as covariates.
//!
//! Every problem is reported with the file, the line (the header is line 1), the column number
//! and name, what was found and what was expected; all problems are collected, not just the
//! first (up to [`MAX_ERRORS`]).

use std::fmt;
use std::path::Path;

/// At most this many problems are reported for one file.
pub const MAX_ERRORS: usize = 20;

/// One problem in a data file. `line` is 1-based (the header is line 1); `column` is 1-based with
/// its name, or `None` when the problem is the whole row or file.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub file: String,
    pub line: usize,
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some((number, name)) => {
                write!(f, "{}:{}:{}: column `{}`: {}", self.file, self.line, number, name, self.message)
            }
            None => write!(f, "{}:{}: {}", self.file, self.line, self.message),
        }
    }
}

impl std::error::Error for DataError {}

/// One patient: follow-up time, whether it ended in the event, the arm (an index into
/// [`PatientData::arms`]), the covariates (in the order of [`PatientData::covariates`]) and the
/// file line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
    /// Delayed entry (left truncation): the time the patient came under observation, 0 without
    /// an `entry` column; always less than `time`.
    pub entry: f64,
    pub arm: usize,
    pub covariates: Vec<f64>,
    pub line: usize,
}

/// A data set read and checked: arms in order of first appearance (one arm called `all` when the
/// file has no `arm` column).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientData {
    pub source: String,
    pub arms: Vec<String>,
    pub covariates: Vec<String>,
    pub observations: Vec<Observation>,
    /// Whether the file has an `entry` column (delayed entry).
    pub entry_column: bool,
}

impl PatientData {
    /// Observations of arm `arm`.
    pub fn arm(&self, arm: usize) -> impl Iterator<Item = &Observation> {
        self.observations.iter().filter(move |o| o.arm == arm)
    }

    /// Times and event indicators of arm `arm` (all arms for `None`).
    pub fn times_events(&self, arm: Option<usize>) -> (Vec<f64>, Vec<bool>) {
        self.observations.iter().filter(|o| arm.is_none_or(|a| o.arm == a)).map(|o| (o.time, o.event)).unzip()
    }

    /// Entry times of arm `arm` (all arms for `None`), in the order of [`Self::times_events`];
    /// empty when the file has no `entry` column (no delayed entry).
    pub fn entries(&self, arm: Option<usize>) -> Vec<f64> {
        if !self.entry_column {
            return Vec::new();
        }
        self.observations.iter().filter(|o| arm.is_none_or(|a| o.arm == a)).map(|o| o.entry).collect()
    }
}

/// Reads and checks the patient data in `path`.
pub fn read_ipd(path: &Path) -> Result<PatientData, Vec<DataError>> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => parse_ipd(&name, &bytes),
        Err(e) => {
            Err(vec![DataError { file: name, line: 0, column: None, message: format!("cannot read the file: {e}") }])
        }
    }
}

struct Problems {
    file: String,
    list: Vec<DataError>,
}

impl Problems {
    fn at(&mut self, line: usize, column: Option<(usize, &str)>, message: String) {
        if self.list.len() < MAX_ERRORS {
            let column = column.map(|(i, name)| (i + 1, name.to_string()));
            self.list.push(DataError { file: self.file.clone(), line, column, message });
        }
    }
}

/// Shows a field as found, quoted, shortened and with control characters replaced.
fn shown(field: &str) -> String {
    let clean: String = field.chars().take(40).map(|c| if c.is_control() { '?' } else { c }).collect();
    if field.chars().count() > 40 {
        format!("\"{clean}...\"")
    } else {
        format!("\"{clean}\"")
    }
}

/// Parses and checks patient data from `bytes`; `file` names the source in errors.
pub fn parse_ipd(file: &str, bytes: &[u8]) -> Result<PatientData, Vec<DataError>> {
    let mut problems = Problems { file: file.to_string(), list: Vec::new() };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            problems.at(
                1,
                None,
                "the file is empty; expected a header row naming the columns time, event and optionally arm".into(),
            );
            return Err(problems.list);
        }
        Some(Err(e)) => {
            problems.at(1, None, format!("cannot read the header row: {e}"));
            return Err(problems.list);
        }
        Some(Ok(h)) => h,
    };
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(name) => names.push(name.to_string()),
            Err(_) => {
                problems.at(1, Some((i, "?")), "the column name is not valid UTF-8".into());
                names.push(String::new());
            }
        }
    }
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            problems.at(1, Some((i, name)), "the column has no name; every column needs one".into());
        } else if let Some(first) = names[..i].iter().position(|n| n == name) {
            problems.at(1, Some((i, name)), format!("the column name repeats column {}", first + 1));
        }
    }
    let find = |wanted: &str| names.iter().position(|n| n == wanted);
    let (time_col, event_col, arm_col, entry_col) = (find("time"), find("event"), find("arm"), find("entry"));
    for (col, wanted) in [(time_col, "time"), (event_col, "event")] {
        if col.is_none() {
            let found: Vec<String> = names.iter().map(|n| shown(n)).collect();
            let hint = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(wanted))
                .map(|n| format!(" (column names are case-sensitive: found \"{n}\")"))
                .unwrap_or_default();
            problems.at(1, None, format!("no `{wanted}` column; the header has {}{hint}", found.join(", ")));
        }
    }
    let (Some(time_col), Some(event_col)) = (time_col, event_col) else {
        return Err(problems.list);
    };
    if !problems.list.is_empty() {
        return Err(problems.list);
    }
    let covariate_cols: Vec<usize> = (0..names.len())
        .filter(|&i| i != time_col && i != event_col && Some(i) != arm_col && Some(i) != entry_col)
        .collect();
    let mut data = PatientData {
        source: file.to_string(),
        arms: Vec::new(),
        covariates: covariate_cols.iter().map(|&i| names[i].clone()).collect(),
        observations: Vec::new(),
        entry_column: entry_col.is_some(),
    };
    let mut first_line_of_arm: Vec<usize> = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("the row has {len} fields; the header has {expected_len}")
                    }
                    _ => format!("cannot read the row: {e}"),
                };
                problems.at(line, None, message);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field =
            |i: usize| -> Result<&str, ()> { std::str::from_utf8(record.get(i).unwrap_or_default()).map_err(|_| ()) };
        let mut row_ok = true;
        let number = |i: usize, what: &str, problems: &mut Problems| -> Option<f64> {
            let Ok(text) = field(i) else {
                problems.at(line, Some((i, &names[i])), "the field is not valid UTF-8".into());
                return None;
            };
            if text.is_empty() {
                problems.at(line, Some((i, &names[i])), format!("the field is empty; expected {what}"));
                return None;
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    problems.at(line, Some((i, &names[i])), format!("found {}; expected {what}", shown(text)));
                    None
                }
            }
        };
        let time = number(time_col, "a time greater than 0", &mut problems);
        let time = match time {
            Some(t) if t < 0.0 => {
                problems.at(line, Some((time_col, &names[time_col])), format!("found {t}; a time cannot be negative"));
                None
            }
            Some(0.0) => {
                problems.at(line, Some((time_col, &names[time_col])), "found 0; a parametric curve gives no likelihood at time 0, so times must be greater than 0 (add a small amount, e.g. half a day, if 0 means the day of entry)".into());
                None
            }
            other => other,
        };
        let event = match field(event_col) {
            Ok("1") => Some(true),
            Ok("0") => Some(false),
            Ok(other) => {
                problems.at(
                    line,
                    Some((event_col, &names[event_col])),
                    format!("found {}; expected 1 (event) or 0 (censored)", shown(other)),
                );
                None
            }
            Err(()) => {
                problems.at(line, Some((event_col, &names[event_col])), "the field is not valid UTF-8".into());
                None
            }
        };
        let arm = match arm_col {
            None => Some(String::from("all")),
            Some(col) => match field(col) {
                Ok("") => {
                    problems.at(line, Some((col, &names[col])), "the field is empty; expected the arm's name".into());
                    None
                }
                Ok(text) if text.chars().any(char::is_control) => {
                    problems.at(
                        line,
                        Some((col, &names[col])),
                        format!("found {}; an arm name cannot contain control characters", shown(text)),
                    );
                    None
                }
                Ok(text) => Some(text.to_string()),
                Err(()) => {
                    problems.at(line, Some((col, &names[col])), "the field is not valid UTF-8".into());
                    None
                }
            },
        };
        let entry = match entry_col {
            None => Some(0.0),
            Some(col) => match (number(col, "an entry time of at least 0", &mut problems), time) {
                (Some(e), Some(t)) if !(0.0..t).contains(&e) => {
                    problems.at(
                        line,
                        Some((col, &names[col])),
                        format!("found {e}; the entry time must be at least 0 and less than the row's time ({t})"),
                    );
                    None
                }
                (entry, _) => entry,
            },
        };
        let mut covariates = Vec::with_capacity(covariate_cols.len());
        for &col in &covariate_cols {
            match number(
                col,
                "a number (every column other than time, event and arm is a numeric covariate)",
                &mut problems,
            ) {
                Some(v) => covariates.push(v),
                None => row_ok = false,
            }
        }
        let (Some(time), Some(event), Some(arm), Some(entry), true) = (time, event, arm, entry, row_ok) else {
            continue;
        };
        let arm = match data.arms.iter().position(|a| *a == arm) {
            Some(i) => i,
            None => {
                data.arms.push(arm);
                first_line_of_arm.push(line);
                data.arms.len() - 1
            }
        };
        data.observations.push(Observation { time, event, entry, arm, covariates, line });
    }
    if !problems.list.is_empty() {
        return Err(problems.list);
    }
    if data.observations.is_empty() {
        problems.at(2, None, "the file has a header but no patients".into());
        return Err(problems.list);
    }
    for (i, arm) in data.arms.iter().enumerate() {
        if !data.arm(i).any(|o| o.event) {
            let column = arm_col.map(|c| (c, names[c].as_str()));
            let n = data.arm(i).count();
            problems.at(
                first_line_of_arm[i],
                column,
                if arm_col.is_some() {
                    format!("arm \"{arm}\" has no events (all {n} patients censored); no curve can be fitted to it")
                } else {
                    format!("no patient has an event (all {n} censored); no curve can be fitted")
                },
            );
        }
    }
    if problems.list.is_empty() {
        Ok(data)
    } else {
        Err(problems.list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse_ipd("d.csv", text.as_bytes()).err().unwrap_or_default().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_arms_and_covariates() {
        let data = parse_ipd("d.csv", b"time,event,arm,age\n1.5,1,A,60\n2,0,B,70\n3,1,B,65\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(data.arms, ["A", "B"]);
        assert_eq!(data.covariates, ["age"]);
        assert_eq!(
            data.observations[2],
            Observation { time: 3.0, event: true, entry: 0.0, arm: 1, covariates: vec![65.0], line: 4 }
        );
        assert!(!data.entry_column && data.entries(None).is_empty());
    }

    #[test]
    fn reads_delayed_entry_and_refuses_entry_at_or_after_the_time() {
        let data =
            parse_ipd("d.csv", b"time,event,entry,age\n1.5,1,0.5,60\n2,0,0,70\n").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(data.covariates, ["age"], "entry is not a covariate");
        assert_eq!(data.entries(None), [0.5, 0.0]);
        let e = errors("time,event,entry\n1,1,1\n2,1,-1\n3,1,x\n");
        assert_eq!(
            e,
            [
                "d.csv:2:3: column `entry`: found 1; the entry time must be at least 0 and less than the row's time (1)",
                "d.csv:3:3: column `entry`: found -1; the entry time must be at least 0 and less than the row's time (2)",
                "d.csv:4:3: column `entry`: found \"x\"; expected an entry time of at least 0",
            ]
        );
    }

    #[test]
    fn every_problem_has_its_place() {
        let e = errors("time,event\n-1,1\n2,2\n3,1\n");
        assert_eq!(
            e,
            [
                "d.csv:2:1: column `time`: found -1; a time cannot be negative",
                "d.csv:3:2: column `event`: found \"2\"; expected 1 (event) or 0 (censored)"
            ]
        );
        let e = errors("time,event,arm\n1,1,A\n2,0,B\n");
        assert_eq!(e, ["d.csv:3:3: column `arm`: arm \"B\" has no events (all 1 patients censored); no curve can be fitted to it"]);
    }
}
