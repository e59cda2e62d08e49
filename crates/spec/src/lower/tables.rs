//! Lookup tables: inline columns or a CSV file beside the model; keys strictly increasing.

use std::sync::Arc;

use hta_model::settings::limits::{MAX_TABLE_CELLS, MAX_TABLE_ROWS};
use hta_model::{Interpolation, LookupTable, Outside, TableColumn};
use serde_saphyr::Spanned;

use super::{Lowerer, Names};
use crate::diagnostic::Diagnostic;
use crate::raw::{InterpolationName, OutsideName, RawModel, RawTable};
use crate::InputFile;

/// Largest CSV table file read, in bytes.
const MAX_TABLE_FILE_BYTES: u64 = 64 * 1024 * 1024;

impl Lowerer<'_> {
    pub fn lower_tables(&mut self, raw: &RawModel, names: &mut Names) -> Vec<Arc<LookupTable>> {
        let mut tables = Vec::new();
        let mut cells_left = MAX_TABLE_CELLS;
        for (name, table) in &raw.tables {
            let loaded = self.lower_table(&name.value, table, cells_left);
            let cells = loaded.as_ref().map_or(0, |t| t.keys.len() * (t.columns.len() + 1));
            cells_left = cells_left.saturating_sub(cells);
            names.table_failed.push(loaded.is_none());
            names
                .table_columns
                .push(loaded.as_ref().map(|t| t.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default());
            tables.push(Arc::new(loaded.unwrap_or_else(|| empty_table(&name.value))));
        }
        tables
    }

    /// `cells_left`: how many cells the tables read so far leave of [`MAX_TABLE_CELLS`].
    fn lower_table(&mut self, name: &str, spanned: &Spanned<RawTable>, cells_left: usize) -> Option<LookupTable> {
        let table = &spanned.value;
        let columns = match (&table.file, &table.columns) {
            (Some(file), None) => self.read_csv(file, cells_left)?,
            (None, Some(columns)) => columns.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
            _ => {
                self.error(
                    "table-source",
                    &spanned.referenced,
                    format!("table `{name}` needs exactly one of `file` or `columns`"),
                    "this table",
                );
                return None;
            }
        };
        let key_name = &table.key.value;
        let Some(key_index) = columns.iter().position(|(c, _)| c == key_name) else {
            let mut listing: Vec<String> = columns.iter().take(10).map(|(c, _)| shown_cell(c)).collect();
            if columns.len() > 10 {
                listing.push(format!("and {} more", columns.len() - 10));
            }
            self.error(
                "unknown-name",
                &table.key.referenced,
                format!("table `{name}` has no column `{key_name}`"),
                "key column",
            )
            .help = Some(format!("columns: {}", listing.join(", ")));
            return None;
        };
        let n_rows = columns[key_index].1.len();
        for (column, values) in &columns {
            if values.len() != n_rows {
                self.error(
                    "table-shape",
                    &spanned.referenced,
                    format!(
                        "column `{column}` of table `{name}` has {} values; the key column has {n_rows}",
                        values.len()
                    ),
                    "this table",
                );
                return None;
            }
            if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
                self.error(
                    "not-finite",
                    &spanned.referenced,
                    format!("table `{name}`, column `{column}`, row {}: value is not a finite number", bad + 1),
                    "this table",
                );
                return None;
            }
        }
        if n_rows == 0 || n_rows > MAX_TABLE_ROWS {
            self.error(
                "table-shape",
                &spanned.referenced,
                format!("table `{name}` has {n_rows} rows; it needs between 1 and {MAX_TABLE_ROWS}"),
                "this table",
            );
            return None;
        }
        let keys = columns[key_index].1.clone();
        if let Some(i) = keys.windows(2).position(|w| w[1] <= w[0]) {
            self.error(
                "table-keys",
                &table.key.referenced,
                format!(
                    "keys of table `{name}` must strictly increase: row {} has {} after {}",
                    i + 2,
                    keys[i + 1],
                    keys[i]
                ),
                "key column",
            )
            .help = Some("sort the table by its key and remove repeated keys".into());
            return None;
        }
        let value_columns = columns
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != key_index)
            .map(|(_, (name, values))| TableColumn { name, values })
            .collect();
        Some(LookupTable {
            name: name.to_string(),
            key_name: key_name.clone(),
            keys,
            columns: value_columns,
            interpolation: match table.interpolation {
                InterpolationName::Step => Interpolation::Step,
                InterpolationName::Linear => Interpolation::Linear,
            },
            outside: match table.outside {
                Some(OutsideName::Hold) => Outside::Hold,
                Some(OutsideName::Error) | None => Outside::Error,
            },
            source: table.source.clone(),
        })
    }

    fn read_csv(&mut self, file: &Spanned<String>, cells_left: usize) -> Option<Vec<(String, Vec<f64>)>> {
        let path = self.base_dir.join(&file.value);
        if let (Ok(canonical), Ok(base)) = (std::fs::canonicalize(&path), std::fs::canonicalize(&self.base_dir)) {
            if !crate::table_path_allowed(&canonical, &base) {
                self.error(
                    "table-file",
                    &file.referenced,
                    format!(
                        "`{}` is outside the model's directory `{}`; table files are read only from the model's directory and the folders below it",
                        file.value,
                        self.base_dir.display()
                    ),
                    "this file",
                )
                .help = Some("move the table beside the model, or run with `--allow-outside DIR` to allow a folder you trust".into());
                return None;
            }
        }
        let size = std::fs::metadata(&path).map(|m| m.len());
        if let Ok(size) = size {
            if size > MAX_TABLE_FILE_BYTES {
                self.error(
                    "table-file",
                    &file.referenced,
                    format!("`{}` is {size} bytes; the limit is {MAX_TABLE_FILE_BYTES}", path.display()),
                    "this file",
                );
                return None;
            }
        }
        let bytes = match crate::read_at_most(&path, MAX_TABLE_FILE_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.error(
                    "table-file",
                    &file.referenced,
                    format!("`{}` is longer than {MAX_TABLE_FILE_BYTES} bytes, the limit", path.display()),
                    "this file",
                )
                .help = Some("is it a device or a pipe rather than a file?".into());
                return None;
            }
            Err(e) => {
                self.error(
                    "table-file",
                    &file.referenced,
                    format!("cannot read `{}`: {e}", path.display()),
                    "this file",
                )
                .help = Some("paths are relative to the model file".into());
                return None;
            }
        };
        self.inputs.push(InputFile::new(&file.value, &bytes));
        match parse_csv(&bytes, cells_left) {
            Ok(columns) => Some(columns),
            Err(message) => {
                let diagnostic = Diagnostic::error("table-content", format!("`{}`: {message}", file.value)).at(
                    &self.source,
                    crate::diagnostic::span_of(&file.referenced),
                    "read from here",
                );
                self.push(diagnostic);
                None
            }
        }
    }
}

/// Columns of a CSV file with a header row; every cell must be a number. At most `max_cells`
/// cells are read.
fn parse_csv(bytes: &[u8], max_cells: usize) -> Result<Vec<(String, Vec<f64>)>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_reader(bytes);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    if headers.len() > max_cells {
        return Err(format!("{} columns; the model's tables may hold {MAX_TABLE_CELLS} numbers in all", headers.len()));
    }
    for (i, header) in headers.iter().enumerate() {
        if let Some(first) = headers.iter().take(i).position(|h| h == header) {
            return Err(format!(
                "columns {} and {} are both named `{}`; every column needs its own name",
                first + 1,
                i + 1,
                shown_cell(header)
            ));
        }
    }
    let mut columns: Vec<(String, Vec<f64>)> = headers.iter().map(|h| (h.to_string(), Vec::new())).collect();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        // The line in the file (comment lines count), for messages.
        let line = record.position().map_or(row as u64 + 2, |p| p.line());
        for (i, cell) in record.iter().enumerate() {
            let value: f64 = cell.parse().map_err(|_| {
                let column = shown_cell(headers.get(i).unwrap_or("?"));
                if cell.is_empty() {
                    format!("line {line}, column `{column}`: the cell is empty; every cell must be a number")
                } else {
                    format!("line {line}, column `{column}`: `{}` is not a number", shown_cell(cell))
                }
            })?;
            if let Some((_, values)) = columns.get_mut(i) {
                values.push(value);
            }
        }
        if row >= MAX_TABLE_ROWS {
            return Err(format!("more than {MAX_TABLE_ROWS} rows"));
        }
        if (row + 1).saturating_mul(headers.len()) > max_cells {
            return Err(format!(
                "too many cells: the model's tables may hold {MAX_TABLE_CELLS} numbers (rows x columns) in all"
            ));
        }
    }
    Ok(columns)
}

/// Longest part of a cell quoted in a message: a message names the offending cell, never more
/// of the file.
const MAX_SHOWN_CELL: usize = 40;

/// A cell as a message quotes it: at most [`MAX_SHOWN_CELL`] characters.
fn shown_cell(cell: &str) -> String {
    if cell.chars().count() > MAX_SHOWN_CELL {
        format!("{}…", cell.chars().take(MAX_SHOWN_CELL).collect::<String>())
    } else {
        cell.to_string()
    }
}

fn empty_table(name: &str) -> LookupTable {
    LookupTable {
        name: name.to_string(),
        key_name: String::new(),
        keys: Vec::new(),
        columns: Vec::new(),
        interpolation: Interpolation::Step,
        outside: Outside::Error,
        source: None,
    }
}
