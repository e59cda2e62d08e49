//! The Excel workbook of a run (`report.xlsx`): one sheet per table — the run record, the
//! settings, the summary, the incremental analysis, the parameters, the trace and the values by
//! cycle, then the sheets of the other analyses (one-way, scenarios, PSA, budget impact) —
//! with bold frozen headers, numbers stored as numbers, and column widths set. In Chinese the
//! sheet names and the headers the toolkit writes are translated; cells stay as computed.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::language::{translate, Lang};
use crate::{tables, CeaRun};

/// Rows of one sheet at most (Excel's limit, less the header).
const MAX_ROWS: usize = 1_048_575;

/// The workbook as bytes: the run's own sheets, then `extra` sheets (name, CSV text) from the
/// other analyses (one-way, scenarios, PSA, budget impact), with sheet names and headers in `lang`.
pub fn workbook(run: &CeaRun, extra: &[(String, String)], lang: Lang) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    // A fixed creation date: the same input gives a byte-identical workbook.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(|e| format!("workbook: {e}"))?;
    let properties = DocProperties::new()
        .set_creation_datetime(&created)
        .set_title(&run.model.metadata.title)
        .set_comment(format!("{} {}", run.record.tool, run.record.version));
    book.set_properties(&properties);
    let mut sheets = vec![
        ("Run".to_string(), run_csv(run)),
        ("Settings".to_string(), settings_csv(run)),
        ("Summary".to_string(), tables::summary_csv(run)),
        ("Incremental".to_string(), tables::incremental_csv(run)),
        ("Parameters".to_string(), parameters_csv(run)),
        ("Trace".to_string(), tables::trace_csv(run)),
        ("Values".to_string(), tables::values_csv(run)),
    ];
    sheets.extend(extra.iter().cloned());
    for (name, text) in &sheets {
        let sheet = book.add_worksheet();
        fill(sheet, &translate(lang, name), text, lang).map_err(|e| format!("workbook sheet `{name}`: {e}"))?;
    }
    book.save_to_buffer().map_err(|e| format!("workbook: {e}"))
}

/// The run record as key, value rows.
fn run_csv(run: &CeaRun) -> String {
    let mut rows = vec![
        vec!["tool".to_string(), run.record.tool.to_string()],
        vec!["version".into(), run.record.version.to_string()],
        vec!["model".into(), run.model.metadata.title.clone()],
        vec!["currency".into(), run.model.metadata.currency.clone()],
    ];
    for input in &run.record.inputs {
        rows.push(vec![format!("sha256 of {}", input.path), input.sha256.clone()]);
    }
    for (name, value) in &run.record.overrides {
        rows.push(vec![format!("override {name}"), value.clone()]);
    }
    tables::csv_text(&["item", "value"], rows.into_iter())
}

/// The settings of the run as key, value rows.
fn settings_csv(run: &CeaRun) -> String {
    tables::csv_text(&["setting", "value"], tables::settings_rows(run.model).into_iter().map(|(k, v)| vec![k, v]))
}

/// Parameters with their ranges, distributions and sources.
fn parameters_csv(run: &CeaRun) -> String {
    tables::csv_text(&tables::PARAMETER_COLUMNS, tables::parameter_rows(run.model).into_iter())
}

/// Writes a CSV table into `sheet`: header bold and frozen, numeric cells as numbers (costs and
/// ICERs with thousands separators, effects to four decimals), widths from the content.
fn fill(sheet: &mut Worksheet, name: &str, text: &str, lang: Lang) -> Result<(), rust_xlsxwriter::XlsxError> {
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let effect = Format::new().set_num_format("0.0000");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut header: Vec<String> = Vec::new();
    let mut widths: Vec<usize> = Vec::new();
    for (r, record) in reader.records().enumerate() {
        let Ok(record) = record else { continue };
        if r > MAX_ROWS {
            sheet.write_string(r as u32, 0, "(more rows than a sheet holds: see the CSV file)")?;
            break;
        }
        for (c, cell) in record.iter().enumerate() {
            let (row, col) = (r as u32, c as u16);
            if widths.len() <= c {
                widths.push(8);
            }
            widths[c] = widths[c].max(cell.chars().count().min(60));
            if r == 0 {
                // Number formats follow the English column key; the header is shown translated.
                header.push(cell.to_string());
                sheet.write_string_with_format(row, col, translate(lang, cell), &bold)?;
                continue;
            }
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    let column = header.get(c).map_or("", String::as_str);
                    if column.contains("cost") || column == "icer" {
                        sheet.write_number_with_format(row, col, v, &money)?;
                    } else if column.starts_with("qaly") || column.starts_with("ly") {
                        sheet.write_number_with_format(row, col, v, &effect)?;
                    } else {
                        sheet.write_number(row, col, v)?;
                    }
                }
                _ => {
                    sheet.write_string(row, col, cell)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (*w + 2) as f64)?;
    }
    Ok(())
}
