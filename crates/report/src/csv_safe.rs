//! Neutralises spreadsheet formula injection in CSV output (the OWASP CSV-injection rule).
//!
//! A cell that a spreadsheet would read as a formula (text starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) is written with a leading `'`, which Excel and LibreOffice show as
//! text. Numbers such as `-0.25` or `+3` are left alone: they are data, not formulas. Every CSV
//! file the toolkit writes passes through [`neutralise`] once, at the point it is written, or
//! record by record through [`neutralise_record`] when it is written as it is made.

use std::borrow::Cow;

const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet could read this cell as a formula.
pub fn is_dangerous(cell: &str) -> bool {
    // A lone `-` or `+` (a placeholder) is text to a spreadsheet, not a formula.
    cell.starts_with(TRIGGERS) && cell.len() > 1 && cell.trim().parse::<f64>().is_err()
}

/// The cell as it is safe to write: prefixed with `'` if a spreadsheet could read it as a formula.
pub fn cell(text: &str) -> Cow<'_, str> {
    if is_dangerous(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV document with every dangerous cell neutralised; the text unchanged, byte for byte, when
/// no cell needs it. Text that is not valid CSV is returned unchanged (the writers in this
/// workspace produce valid CSV; the check guards the rest).
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let records = || csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let needs = records().records().any(|r| r.is_ok_and(|r| r.iter().any(is_dangerous)));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for record in records().records() {
        let Ok(record) = record else { return Cow::Borrowed(text) };
        if writer.write_record(record.iter().map(|c| cell(c).into_owned())).is_err() {
            return Cow::Borrowed(text);
        }
    }
    match writer.into_inner().map(String::from_utf8) {
        Ok(Ok(safe)) => Cow::Owned(safe),
        _ => Cow::Borrowed(text),
    }
}

/// One record (a line ending in `\n`) as it is safe to write. Written record by record, a file
/// is what [`neutralise`] makes of the whole when its records carry no quotes the CSV writer
/// would drop (the toolkit's writers quote only where needed): a record without a dangerous cell
/// is unchanged, one with them is rewritten as [`neutralise`] rewrites every record.
pub fn neutralise_record(line: &str) -> Cow<'_, str> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    if !body.contains(['"', '\r', '\n']) && !body.split(',').any(is_dangerous) {
        return Cow::Borrowed(line);
    }
    neutralise(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_numbers_kept() {
        for bad in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(cell(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["-0.25", "+3", "-", "-1e-5", "mono", "", "a=b", "'=x"] {
            assert_eq!(cell(fine), fine, "{fine:?}");
        }
    }

    #[test]
    fn documents_change_only_where_needed() {
        let clean = "strategy,cost\nmono,-12.5\n\"a, b\",3\n";
        assert!(matches!(neutralise(clean), Cow::Borrowed(_)));
        let hostile = "strategy,cost\n=cmd|' /C calc'!A0,-12.5\n@x,1\n";
        assert_eq!(neutralise(hostile), "strategy,cost\n'=cmd|' /C calc'!A0,-12.5\n'@x,1\n");
        // Idempotent: a neutralised document is left as it is.
        let once = neutralise(hostile).into_owned();
        assert_eq!(neutralise(&once), once);
    }

    #[test]
    fn records_one_by_one_make_what_the_whole_file_makes() {
        let documents = [
            "strategy,cost\nmono,-12.5\ncomb,3\n",
            "strategy,cost\n=cmd|' /C calc'!A0,-12.5\n@x,1\nmono,+3\n",
            "draw,a,b\n0,-1e-5,-inf\n1,NaN,+cmd\n2,\"q, r\",\t\n",
            "a\n-\n-x\n",
        ];
        for doc in documents {
            let by_record: String = doc.split_inclusive('\n').map(neutralise_record).collect();
            assert_eq!(by_record, neutralise(doc), "{doc:?}");
        }
        // A clean record is returned as it is, without a copy.
        assert!(matches!(neutralise_record("0,mono,-12.5,3\n"), Cow::Borrowed(_)));
        assert_eq!(neutralise_record("0,=1+1,2\n"), "0,'=1+1,2\n");
    }
}
