//! The summary printed by `hta run`: totals, incremental analysis, comparisons, net benefit.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use crate::number::grouped;
use crate::CeaRun;

fn table(header: Vec<String>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(header);
    t
}

fn right(text: String) -> Cell {
    Cell::new(text).set_alignment(CellAlignment::Right)
}

/// The whole summary as text.
/// The perspective a model was run for, in a sentence (None if the file lists no perspectives).
pub fn perspective_line(model: &hta_model::Model, terminal: bool) -> Option<String> {
    let p = model.perspective.as_ref()?;
    let name = match &p.label {
        Some(label) => format!("{label} (`{}`)", p.name),
        None => format!("`{}`", p.name),
    };
    let counted = if p.not_counted.is_empty() {
        "every cost category counted".to_string()
    } else {
        format!("not counted: {}", p.not_counted.join(", "))
    };
    let others: Vec<&str> = model.perspectives.iter().map(String::as_str).filter(|n| *n != p.name).collect();
    let how = if terminal { " (--perspective NAME)" } else { " (scenarios and `--perspective`)" };
    let switch = if others.is_empty() { String::new() } else { format!("; also: {}{how}", others.join(", ")) };
    Some(format!("Perspective: {name}; {counted}{switch}"))
}

pub fn summary(run: &CeaRun) -> String {
    let model = run.model;
    let currency = &model.metadata.currency;
    let unit = model.settings.effect.unit();
    let has_qaly = model.has_utilities();
    let mut out = String::new();
    out.push_str(&format!("{}\n", model.metadata.title));
    let s = &model.settings;
    out.push_str(&format!(
        "{} cycles of {} | discount: costs {}%, effects {}% ({}) | counting: {} | effect: {}\n\n",
        s.n_cycles,
        s.cycle_unit.describe(s.cycle_length),
        percent(s.discount.costs),
        percent(s.discount.effects),
        s.discount.timing.name(),
        s.counting.name(),
        s.effect.name(),
    ));
    if let Some(line) = perspective_line(model, true) {
        out.push_str(&line);
        out.push_str("\n\n");
    }

    let mut header = vec!["Strategy".to_string(), format!("Cost ({currency})")];
    if has_qaly {
        header.push("QALYs".into());
    }
    header.extend([
        "Life-years".to_string(),
        "Status".into(),
        "Δ Cost".to_string(),
        format!("Δ {unit}s"),
        format!("ICER ({currency}/{unit})"),
    ]);
    let mut t = table(header);
    for row in run.frontier {
        let r = &run.results[row.strategy];
        let mut cells = vec![Cell::new(run.name(row.strategy)), right(grouped(r.total_cost(true), 2))];
        if has_qaly {
            cells.push(right(grouped(r.qaly(true), 4)));
        }
        let note = match (row.status.code(), row.dominated_by, row.between) {
            ("D", Some(by), _) => format!("dominated by {}", run.name(by)),
            ("ED", _, Some((a, b))) => format!("extendedly dominated ({}, {})", run.name(a), run.name(b)),
            _ => String::new(),
        };
        cells.extend([
            right(grouped(r.life_years(true), 4)),
            Cell::new(row.status.code()),
            right(row.delta_cost.map(|v| grouped(v, 2)).unwrap_or_default()),
            right(row.delta_effect.map(|v| grouped(v, 4)).unwrap_or_default()),
            right(row.icer.map(|v| grouped(v, 2)).unwrap_or(note)),
        ]);
        t.add_row(cells);
    }
    out.push_str("Incremental analysis (strategies by cost; ICER against the previous non-dominated strategy)\n");
    out.push_str(&format!("{t}\n"));

    if !run.pairwise.is_empty() {
        let reference = run.name(s.reference.index());
        let mut t = table(vec![
            "Strategy".into(),
            format!("vs {reference}: Δ Cost"),
            format!("Δ {unit}s"),
            "Quadrant".into(),
            format!("ICER ({currency}/{unit})"),
        ]);
        for c in run.pairwise {
            let icer = match c.icer {
                Some(v) if c.quadrant == hta_analysis::Quadrant::SouthWest => {
                    format!("{} (saved per {unit} lost)", grouped(v, 2))
                }
                Some(v) => grouped(v, 2),
                None => c.quadrant.label().to_string(),
            };
            t.add_row(vec![
                Cell::new(run.name(c.strategy)),
                right(grouped(c.delta_cost, 2)),
                right(grouped(c.delta_effect, 4)),
                Cell::new(c.quadrant.label()),
                right(icer),
            ]);
        }
        out.push_str(&format!("\nPairwise comparison with the reference strategy `{reference}`\n{t}\n"));
    }

    if !run.thresholds.is_empty() {
        let mut header = vec![format!("Threshold ({currency}/{unit})")];
        header.extend((0..run.results.len()).map(|i| format!("NMB {}", run.name(i))));
        header.push("Optimal".into());
        let mut t = table(header);
        for (th, r) in s.thresholds.iter().zip(run.thresholds) {
            let mut cells = vec![Cell::new(format!("{} ({})", th.label, grouped(th.value, 0)))];
            cells.extend(r.nmb.iter().map(|v| right(grouped(*v, 2))));
            cells.push(Cell::new(run.name(r.optimal)));
            t.add_row(cells);
        }
        out.push_str(&format!("\nNet monetary benefit at each willingness-to-pay threshold\n{t}\n"));
    }
    out
}

/// 0.035 -> "3.5" (no binary rounding noise such as 3.5000000000000004).
fn percent(rate: f64) -> String {
    let text = format!("{:.6}", rate * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A plain table with a header row, in the same style as the summary.
pub fn simple_table(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut t = table(header);
    for row in rows {
        t.add_row(row);
    }
    format!("{t}")
}
