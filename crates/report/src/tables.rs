//! CSV tables in long format (one row per strategy, cycle, state or category), full precision.

use crate::CeaRun;

/// A CSV document of a header and rows, every cell neutralised against formula injection.
pub fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(header.iter().map(|h| crate::csv_safe::cell(h).into_owned()));
    for row in rows {
        let _ = writer.write_record(row.iter().map(|c| crate::csv_safe::cell(c).into_owned()));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn num(value: f64) -> String {
    if value.is_finite() {
        value.to_string()
    } else {
        String::new()
    }
}

fn opt(value: Option<f64>) -> String {
    value.map(num).unwrap_or_default()
}

/// `summary.csv`: one row per strategy with totals and its incremental-analysis result.
pub fn summary_csv(run: &CeaRun) -> String {
    let has_qaly = run.model.has_utilities();
    let header = [
        "strategy",
        "label",
        "cost",
        "qaly",
        "ly",
        "cost_undiscounted",
        "qaly_undiscounted",
        "ly_undiscounted",
        "status",
        "compared_with",
        "icer",
    ];
    let rows = run.results.iter().enumerate().map(|(i, r)| {
        let row = run.frontier.iter().find(|f| f.strategy == i);
        vec![
            run.name(i).to_string(),
            run.model.strategies[i].label.clone().unwrap_or_default(),
            num(r.total_cost(true)),
            if has_qaly { num(r.qaly(true)) } else { String::new() },
            num(r.life_years(true)),
            num(r.total_cost(false)),
            if has_qaly { num(r.qaly(false)) } else { String::new() },
            num(r.life_years(false)),
            row.map(|f| f.status.code().to_string()).unwrap_or_default(),
            row.and_then(|f| f.compared_with).map(|c| run.name(c).to_string()).unwrap_or_default(),
            opt(row.and_then(|f| f.icer)),
        ]
    });
    csv_text(&header, rows)
}

/// The incremental analysis: strategies by cost with their status on the efficiency frontier.
pub fn incremental_csv(run: &CeaRun) -> String {
    let header = ["strategy", "status", "compared_with", "delta_cost", "delta_effect", "icer", "note"];
    let rows = run.frontier.iter().map(|row| {
        let note = match (row.dominated_by, row.between) {
            (Some(by), _) => format!("dominated by {}", run.name(by)),
            (_, Some((a, b))) => format!("extendedly dominated by {} and {}", run.name(a), run.name(b)),
            _ => String::new(),
        };
        vec![
            run.name(row.strategy).to_string(),
            row.status.code().to_string(),
            row.compared_with.map(|c| run.name(c).to_string()).unwrap_or_default(),
            opt(row.delta_cost),
            opt(row.delta_effect),
            opt(row.icer),
            note,
        ]
    });
    csv_text(&header, rows)
}

/// Each strategy against the reference strategy, with the quadrant of the CE plane.
pub fn pairwise_csv(run: &CeaRun) -> String {
    let header = ["strategy", "reference", "delta_cost", "delta_effect", "quadrant", "icer"];
    let rows = run.pairwise.iter().map(|c| {
        vec![
            run.name(c.strategy).to_string(),
            run.name(c.reference).to_string(),
            num(c.delta_cost),
            num(c.delta_effect),
            c.quadrant.label().to_string(),
            opt(c.icer),
        ]
    });
    csv_text(&header, rows)
}

/// Net monetary benefit of every strategy at each of the model's thresholds.
pub fn net_benefit_csv(run: &CeaRun) -> String {
    let header = ["threshold", "value", "strategy", "nmb", "optimal"];
    let rows = run.model.settings.thresholds.iter().zip(run.thresholds).flat_map(|(t, r)| {
        r.nmb.iter().enumerate().map(move |(i, nmb)| {
            vec![t.label.clone(), num(t.value), run.name(i).to_string(), num(*nmb), (r.optimal == i).to_string()]
        })
    });
    csv_text(&header, rows)
}

/// Columns of [`parameter_rows`].
pub const PARAMETER_COLUMNS: [&str; 8] =
    ["parameter", "label", "definition", "low", "high", "distribution", "varied in", "source"];

/// Every parameter with its definition as written, range, distribution, the analyses that vary
/// it ("one-way and PSA", "one-way only", "PSA only", "fixed", or "derived" for a formula of
/// other parameters) and source, which for a fixed input says why it is fixed.
pub fn parameter_rows(model: &hta_model::Model) -> Vec<Vec<String>> {
    model
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let u = &p.uncertainty;
            let in_dirichlet = model.dirichlet.iter().any(|g| g.params.iter().any(|id| id.index() == i));
            vec![
                p.name.clone(),
                p.label.clone().unwrap_or_default(),
                p.definition.text.clone(),
                u.low.map(|v| v.to_string()).unwrap_or_default(),
                u.high.map(|v| v.to_string()).unwrap_or_default(),
                u.distribution.map(|d| d.describe()).unwrap_or_default(),
                match (u.low.is_some(), u.distribution.is_some() || in_dirichlet) {
                    (true, true) => "one-way and PSA",
                    (true, false) => "one-way only",
                    (false, true) => "PSA only",
                    (false, false) if p.definition.expr.as_constant().is_none() => "derived",
                    (false, false) => "fixed",
                }
                .to_string(),
                p.source.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// [`parameter_rows`] for people (the HTML and Markdown report): numbers grouped to six
/// significant digits, each distribution with its mean and standard deviation beside its
/// parameters. Formulas are shown as written.
pub fn parameter_rows_for_people(model: &hta_model::Model) -> Vec<Vec<String>> {
    let number = |text: &str| match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => crate::number::significant(v, 6),
        _ => text.to_string(),
    };
    parameter_rows(model)
        .into_iter()
        .zip(&model.parameters)
        .map(|(mut row, p)| {
            for cell in &mut row[2..=4] {
                *cell = number(cell);
            }
            row[5] = p.uncertainty.distribution.map(distribution_for_people).unwrap_or_default();
            row
        })
        .collect()
}

/// A distribution with its mean and SD first: `Gamma: mean 90,000, SD 18,000 (shape 25, rate
/// 0.000278)`.
pub fn distribution_for_people(d: hta_model::Distribution) -> String {
    use hta_model::Distribution as D;
    let g = |v: f64| crate::number::significant(v, 4);
    let moments =
        |name: &str, mean: f64, sd: f64, native: String| format!("{name}: mean {}, SD {} ({native})", g(mean), g(sd));
    match d {
        D::Beta { alpha, beta } => {
            let n = alpha + beta;
            let sd = (alpha * beta / (n * n * (n + 1.0))).sqrt();
            moments("Beta", d.mean(), sd, format!("α {}, β {}", g(alpha), g(beta)))
        }
        D::Gamma { shape, rate } => {
            moments("Gamma", d.mean(), shape.sqrt() / rate, format!("shape {}, scale {}", g(shape), g(1.0 / rate)))
        }
        D::LogNormal { meanlog, sdlog } => {
            let sd = ((sdlog * sdlog).exp_m1() * (2.0 * meanlog + sdlog * sdlog).exp()).sqrt();
            moments("Log-normal", d.mean(), sd, format!("meanlog {}, sdlog {}", g(meanlog), g(sdlog)))
        }
        D::Normal { mean, sd } => format!("Normal: mean {}, SD {}", g(mean), g(sd)),
        other => other.describe(),
    }
}

/// The settings of a model as (setting, value) pairs, in words.
pub fn settings_rows(model: &hta_model::Model) -> Vec<(String, String)> {
    let s = &model.settings;
    let m = &model.metadata;
    let percent = |r: f64| format!("{}%", (r * 1e6).round() / 1e4);
    let mut rows = vec![
        (
            "structure".to_string(),
            match model.structure {
                hta_model::Structure::Markov => "Markov cohort".to_string(),
                hta_model::Structure::PartitionedSurvival => "partitioned survival".to_string(),
            },
        ),
        ("currency".into(), m.currency.clone()),
        ("price_year".into(), m.price_year.map(|y| y.to_string()).unwrap_or_default()),
        ("perspective".into(), m.perspective.clone().unwrap_or_default()),
        ("country".into(), m.country.clone().unwrap_or_default()),
        ("cycle".into(), s.cycle_unit.describe(s.cycle_length)),
        ("cycles".into(), s.n_cycles.to_string()),
        ("horizon_years".into(), num(s.n_cycles as f64 * s.cycle_years)),
        ("start_age".into(), opt(s.start_age)),
        ("discount_costs".into(), percent(s.discount.costs)),
        ("discount_effects".into(), percent(s.discount.effects)),
        ("discount_timing".into(), s.discount.timing.name().to_string()),
        ("counting".into(), s.counting.name().to_string()),
        ("transition_timing".into(), s.transition_timing.name().to_string()),
        ("effect".into(), s.effect.name().to_string()),
        ("reference".into(), model.strategies[s.reference.index()].name.clone()),
    ];
    for t in &s.thresholds {
        let basis = t.basis.as_ref().map(|b| format!(" ({b})")).unwrap_or_default();
        rows.push((format!("threshold {}", t.label), format!("{}{basis}", num(t.value))));
    }
    rows
}

/// `trace.csv`: strategy, cycle, state, proportion of the cohort.
pub fn trace_csv(run: &CeaRun) -> String {
    let states = &run.model.states;
    let rows = run.results.iter().enumerate().flat_map(|(i, r)| {
        (0..=r.n_cycles).flat_map(move |k| {
            r.occupancy(k)
                .iter()
                .enumerate()
                .map(move |(s, p)| vec![run.name(i).to_string(), k.to_string(), states[s].name.clone(), num(*p)])
        })
    });
    csv_text(&["strategy", "cycle", "state", "proportion"], rows)
}

/// `values.csv`: strategy, cycle, category (each cost category, `qaly`, `ly`), undiscounted and
/// discounted value counted in that cycle (cycle 0 holds values charged at start).
pub fn values_csv(run: &CeaRun) -> String {
    // (slot, name): every cost category, QALYs when every living state has a utility, LYs.
    let mut categories: Vec<(usize, String)> = run.model.categories.iter().cloned().enumerate().collect();
    if run.model.has_utilities() {
        categories.push((run.model.categories.len(), "qaly".into()));
    }
    categories.push((run.model.categories.len() + 1, "ly".into()));
    let categories = &categories;
    let rows = run.results.iter().enumerate().flat_map(|(i, r)| {
        let width = r.layout.width();
        (0..=r.n_cycles).flat_map(move |k| {
            categories.iter().map(move |(v, cat)| {
                vec![
                    run.name(i).to_string(),
                    k.to_string(),
                    cat.clone(),
                    num(r.undiscounted[k * width + v]),
                    num(r.discounted[k * width + v]),
                ]
            })
        })
    });
    csv_text(&["strategy", "cycle", "category", "undiscounted", "discounted"], rows)
}

/// A captioned table read from CSV text, for Markdown, HTML and workbook sheets. Cells stay as
/// written; [`Table::display`] formats numbers for people by the column they are in.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Cells are shown exactly as written (formulas, settings), never reformatted as numbers.
    pub verbatim: bool,
}

/// How a column's numbers are shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    /// Money and counts of people: thousands grouped, two decimals.
    Money,
    /// QALYs, life-years, probabilities: four decimals.
    Effect,
    /// Anything else: up to six significant digits.
    General,
}

fn precision(column: &str) -> Precision {
    let c = column.to_ascii_lowercase();
    let money = [
        "cost", "icer", "payment", "impact", "nmb", "price", "care", "offset", "rebate", "balance", "gap", "evpi",
        "evppi",
    ];
    let effect = ["qaly", "ly", "effect", "probability", "share", "utility"];
    if effect.iter().any(|w| c == *w || c.starts_with(&format!("{w}_")) || c.ends_with(&format!("_{w}"))) {
        Precision::Effect
    } else if money.iter().any(|w| c.contains(w)) {
        Precision::Money
    } else {
        Precision::General
    }
}

/// A column key of the CSV files (`delta_cost`, `qaly`, `evppi_per_person`) as a column heading
/// for people (`Incremental cost`, `QALYs`, `EVPPI per person`).
pub fn column_label(key: &str) -> String {
    let whole = match key {
        "qaly" => Some("QALYs"),
        "ly" => Some("Life-years"),
        "lys" => Some("Life-years"),
        "sha256" => Some("SHA-256"),
        "icer" => Some("ICER"),
        _ => None,
    };
    if let Some(label) = whole {
        return label.to_string();
    }
    let words: Vec<String> = key
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "qaly" | "qalys" => "QALYs".to_string(),
            "ly" | "lys" => "life-years".to_string(),
            "icer" | "nmb" | "inmb" | "evpi" | "evppi" | "ceac" | "ceaf" | "pfs" | "os" | "psa" | "dsa" | "gdp" => {
                w.to_ascii_uppercase()
            }
            "delta" => "incremental".to_string(),
            "pct" => "%".to_string(),
            other => other.to_string(),
        })
        .collect();
    let mut label = words.join(" ");
    if let Some(first) = label.get(..1) {
        label = first.to_uppercase() + &label[1..];
    }
    if label.is_empty() {
        key.to_string()
    } else {
        label
    }
}

impl Table {
    /// Reads CSV text with a header row; `None` if it has no header.
    pub fn from_csv(caption: &str, text: &str) -> Option<Table> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records().filter_map(Result::ok);
        let header: Vec<String> = records.next()?.iter().map(str::to_string).collect();
        let rows = records.map(|r| r.iter().map(str::to_string).collect()).collect();
        Some(Table { caption: caption.to_string(), header, rows, verbatim: false })
    }

    /// A table of text shown exactly as written.
    pub fn text(caption: &str, header: &[&str], rows: Vec<Vec<String>>) -> Table {
        Table { caption: caption.into(), header: header.iter().map(|h| h.to_string()).collect(), rows, verbatim: true }
    }

    /// The first `n` rows only (for long tables shown in a report; the CSV keeps them all).
    pub fn head(mut self, n: usize) -> Table {
        self.rows.truncate(n);
        self
    }

    /// Whether money is shown in millions: a wide table (more than 8 columns, as the budget
    /// tables by year) whose amounts reach ten million, so that every column fits a page.
    pub fn in_millions(&self) -> bool {
        !self.verbatim && self.header.len() > 8 && (0..self.header.len()).any(|c| self.column_max(c) >= 1e7)
    }

    /// The largest magnitude among the numbers of column `c` (0 when it has none).
    fn column_max(&self, c: usize) -> f64 {
        self.rows
            .iter()
            .filter_map(|r| r.get(c)?.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Whether column `c` is shown in millions: money by its name, or (in tables whose columns
    /// are named after schemes or payers) any numeric column reaching a million.
    fn scaled(&self, c: usize) -> bool {
        let key = self.header.get(c).map_or("", String::as_str);
        self.in_millions()
            && self.is_numeric(c)
            && (precision(key) == Precision::Money
                || (precision(key) == Precision::General && self.column_max(c) >= 1e6))
    }

    /// The heading of column `c` for people, with `(millions)` on money shown in millions.
    pub fn heading(&self, c: usize) -> String {
        let key = self.header.get(c).map_or("", String::as_str);
        if self.scaled(c) {
            format!("{} (millions)", column_label(key))
        } else {
            column_label(key)
        }
    }

    /// Cell `(row, column)` formatted for people: numbers grouped with a precision chosen by the
    /// column (money in millions in wide tables, see [`Table::in_millions`]), text as written.
    pub fn display(&self, row: usize, column: usize) -> String {
        let cell = self.rows.get(row).and_then(|r| r.get(column)).map_or("", String::as_str);
        if self.verbatim {
            return cell.to_string();
        }
        if self.scaled(column) {
            if let Ok(v) = cell.parse::<f64>() {
                if v.is_finite() {
                    return crate::number::grouped(v / 1e6, 2);
                }
            }
        }
        match cell.parse::<f64>() {
            _ if cell == "true" => "yes".to_string(),
            _ if cell == "false" => "no".to_string(),
            Ok(v) if v.is_finite() && !cell.is_empty() => {
                let name = self.header.get(column).map_or("", String::as_str);
                match precision(name) {
                    Precision::Money => crate::number::grouped(v, 2),
                    Precision::Effect => crate::number::grouped(v, 4),
                    // Whole numbers below 10,000 (years, counts) as written; large amounts
                    // grouped; small fractions to six significant digits.
                    Precision::General if v == 0.0 => "0".to_string(),
                    Precision::General if v.fract() == 0.0 && v.abs() < 1e4 => cell.to_string(),
                    Precision::General if v.fract() == 0.0 => crate::number::grouped(v, 0),
                    Precision::General if v.abs() >= 1e3 => crate::number::grouped(v, 2),
                    Precision::General => crate::number::significant(v, 6),
                }
            }
            _ => cell.to_string(),
        }
    }

    /// Whether column `c` holds numbers (right-aligned in reports).
    pub fn is_numeric(&self, c: usize) -> bool {
        if self.verbatim {
            return false;
        }
        let mut cells = self.rows.iter().filter_map(|r| r.get(c)).filter(|v| !v.is_empty()).peekable();
        cells.peek().is_some() && cells.all(|v| v.parse::<f64>().is_ok())
    }

    /// The table as GitHub-flavoured Markdown, with its caption as a heading; every cell is plain
    /// text ([`markdown_text`]).
    pub fn markdown(&self) -> String {
        let escape = markdown_text;
        let mut out = format!("### {}\n\n", escape(&self.caption));
        let header = (0..self.header.len()).map(|c| escape(&self.heading(c)));
        out.push_str(&format!("| {} |\n", header.collect::<Vec<_>>().join(" | ")));
        let rule: Vec<&str> = (0..self.header.len()).map(|c| if self.is_numeric(c) { "---:" } else { "---" }).collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for r in 0..self.rows.len() {
            let cells: Vec<String> = (0..self.header.len()).map(|c| escape(&self.display(r, c))).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
        out
    }
}

/// User text made inert in Markdown: HTML (`<script>`, `<img onerror=...>`) and entities become
/// literal text, links and table cell breaks cannot be started, and a line break becomes a space.
/// Backticks stay: a code span shows its content literally, so it cannot carry HTML either.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod table_tests {
    use super::Table;

    #[test]
    fn numbers_are_shown_by_column() {
        let t = Table::from_csv("t", "strategy,cost,qaly,draws\nmono,44663.4512,7.99121,1000\n").expect("table");
        assert_eq!(t.display(0, 1), "44,663.45");
        assert_eq!(t.display(0, 2), "7.9912");
        assert_eq!(t.display(0, 3), "1000");
        let u = Table::from_csv("u", "committed,ratio\n-0,0.1234567\n3868944787.056939,2\n").expect("table");
        assert_eq!(u.display(0, 0), "0");
        assert_eq!(u.display(1, 0), "3,868,944,787.06");
        assert_eq!(u.display(0, 1), "0.123457");
        assert!(t.is_numeric(1) && !t.is_numeric(0));
        let md = t.markdown();
        assert!(md.contains("| Strategy | Cost | QALYs | Draws |\n|---|---:|---:|---:|\n| mono | 44,663.45 |"), "{md}");
        assert_eq!(super::column_label("delta_cost"), "Incremental cost");
        assert_eq!(super::column_label("evppi_per_person"), "EVPPI per person");
        assert_eq!(super::column_label("quadrant_at_low"), "Quadrant at low");
        let b = Table::from_csv("b", "strategy,optimal\nmono,true\ncomb,false\n").expect("table");
        assert_eq!((b.display(0, 1).as_str(), b.display(1, 1).as_str()), ("yes", "no"));
    }

    #[test]
    fn wide_money_tables_are_shown_in_millions() {
        let header = "scheme,year,payment,offset,net_impact,a,b,c,d\n";
        let wide =
            Table::from_csv("w", &format!("{header}upfront,1,1234567890,-5000000,1229567890,1,2,3,4\n")).expect("t");
        assert!(wide.in_millions());
        assert_eq!(wide.display(0, 2), "1,234.57");
        assert_eq!(wide.heading(2), "Payment (millions)");
        assert_eq!(wide.display(0, 1), "1", "years are not money");
        let narrow = Table::from_csv("n", "scheme,payment\nupfront,1234567890\n").expect("t");
        assert!(!narrow.in_millions());
        assert_eq!(narrow.display(0, 1), "1,234,567,890.00");
    }

    #[test]
    fn distributions_are_shown_with_mean_and_sd() {
        use hta_model::Distribution as D;
        // Gamma with mean 90,000 and SD 18,000: shape 25, rate 25/90,000.
        let gamma = super::distribution_for_people(D::Gamma { shape: 25.0, rate: 25.0 / 90_000.0 });
        assert_eq!(gamma, "Gamma: mean 90,000, SD 18,000 (shape 25, scale 3,600)");
        // Beta(38, 57): mean 0.4, SD sqrt(0.4 0.6 / 96) = 0.05.
        assert_eq!(
            super::distribution_for_people(D::Beta { alpha: 38.0, beta: 57.0 }),
            "Beta: mean 0.4, SD 0.05 (α 38, β 57)"
        );
    }

    #[test]
    fn markdown_cells_cannot_carry_html_or_links() {
        let t = Table::text(
            "<b>t</b>",
            &["name"],
            vec![vec!["<script>alert(1)</script> [x](javascript:y) a|b `c` \\".into()]],
        );
        let md = t.markdown();
        assert!(!md.contains('<') && !md.contains('>'), "{md}");
        assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:y) a\\|b `c` \\\\"), "{md}");
        assert!(md.starts_with("### &lt;b&gt;t&lt;/b&gt;\n"), "{md}");
    }
}
