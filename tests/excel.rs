//! The live workbook (`hta-excel`): which models are written, what is refused and why, and the
//! shape of the formulas. The numbers themselves are checked by recalculating the workbooks in
//! LibreOffice against `hta run` (scripts/excel-check.py, 1e-9 relative), which needs a
//! spreadsheet engine and so is not part of this binary.

use calamine::{Data, Reader, Xlsx};

use crate::support::load_file;

fn write(model: &str, name: &str) -> (Result<hta_excel::Written, hta_excel::ExcelError>, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("hta-test-{}-excel-{name}.xlsx", std::process::id()));
    (hta_excel::write_workbook(&load_file(model), &path, &[]), path)
}

fn formulas(path: &std::path::Path, sheet: &str) -> calamine::Range<String> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("workbook opens");
    book.worksheet_formula(sheet).expect("sheet exists")
}

fn header(path: &std::path::Path, sheet: &str) -> Vec<String> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("workbook opens");
    let range = book.worksheet_range(sheet).expect("sheet exists");
    range.rows().next().map(|r| r.iter().map(Data::to_string).collect()).unwrap_or_default()
}

#[test]
fn every_shipped_model_is_written() {
    for (model, sheets) in [
        ("models/hiv.yaml", vec!["Inputs", "Trace mono", "Trace comb", "Results"]),
        ("models/age_mortality.yaml", vec!["Tables", "Trace usual_care", "Results"]),
        ("models/dominance.yaml", vec!["Trace screen_1y", "Results"]),
        ("models/egfr_test_and_treat.yaml", vec!["Arm tki_pos", "Tree test_and_treat", "Results"]),
        ("models/gene_therapy_haemophilia.yaml", vec!["Tables", "Trace gene_therapy", "Results"]),
        ("models/cart_lbcl_psm.yaml", vec!["Tables", "Trace cart", "Results"]),
    ] {
        let (written, path) = write(model, "shipped");
        let written = written.unwrap_or_else(|e| panic!("{model}: {e}"));
        for s in sheets {
            assert!(written.sheets.iter().any(|x| x == s), "{model}: no sheet {s} in {:?}", written.sheets);
        }
        // Every model here is written wholly as formulas.
        assert!(written.values_only.is_empty(), "{model}: {:?}", written.values_only);
        let results = formulas(&path, "Results");
        let cost = results.get_value((1, 1)).cloned().unwrap_or_default();
        assert!(cost.starts_with('\'') && cost.contains("'!$"), "{model}: Results cost is {cost:?}");
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn lookups_and_transitions_are_formulas_of_the_inputs() {
    let (written, path) = write("models/age_mortality.yaml", "lookup");
    written.expect("age_mortality is written");
    let trace = formulas(&path, "Trace usual_care");
    let head = header(&path, "Trace usual_care");
    let q = head.iter().position(|h| h == "q_background").expect("q_background varies by cycle: a column");
    let cell = trace.get_value((2, q as u32)).cloned().unwrap_or_default();
    assert!(cell.contains("MATCH(") && cell.contains("tbl_life_table_qx") && cell.contains("hta_start_age"), "{cell}");
    // The end-of-life cost is charged on the flows into dead, discounted at the event.
    let eol = head.iter().position(|h| h == "cost end_of_life").expect("category column");
    let cell = trace.get_value((2, eol as u32)).cloned().unwrap_or_default();
    assert!(cell.contains("c_end_of_life"), "{cell}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn tunnel_columns_follow_the_tracked_length() {
    let (written, path) = write("models/gene_therapy_haemophilia.yaml", "tunnels");
    written.expect("the gene therapy model is written");
    let head = header(&path, "Trace gene_therapy");
    let tunnels: Vec<&String> = head.iter().filter(|h| h.starts_with("post_infusion [")).collect();
    assert_eq!(tunnels.len(), 8, "{head:?}");
    assert_eq!(tunnels[7], "post_infusion [8+]");
    assert_eq!(head.iter().filter(|h| h.starts_with("returned_to_prophylaxis [")).count(), 2);
    // p_loss = min(loss_step * state_time, loss_max) is written out with state_time = 3 in the
    // third column; the first column receives only people entering (none stay in it).
    let trace = formulas(&path, "Trace gene_therapy");
    let col = |name: &str| head.iter().position(|h| h == name).expect("column");
    let third = trace.get_value((2, col("post_infusion [4]") as u32)).cloned().unwrap_or_default();
    assert!(third.contains("(loss_step*3)"), "{third}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn what_is_not_yet_a_formula_is_refused_with_reasons() {
    // A generalised gamma has no Excel function: the CAR-T model with one is refused, with the
    // curve named, and nothing is written.
    let text = std::fs::read_to_string("models/cart_lbcl_psm.yaml").expect("model file");
    let text = text.replace("weibull: { shape: 0.9, scale: 5.5 }", "gengamma: { mu: 1.7, sigma: 1.1, Q: 0.5 }");
    let model = match hta_spec::load_str(&text, "gengamma.yaml", std::path::Path::new("models"), &[]) {
        Ok(loaded) => loaded.model,
        Err(d) => panic!("{d}"),
    };
    let path = std::env::temp_dir().join(format!("hta-test-{}-excel-gengamma.xlsx", std::process::id()));
    match hta_excel::write_workbook(&model, &path, &[]) {
        Err(hta_excel::ExcelError::Unsupported(reasons)) => {
            assert!(reasons.iter().any(|r| r.contains("gengamma") && r.contains("cart_pfs_uncured")), "{reasons:?}");
        }
        other => panic!("the generalised gamma was not refused: {other:?}"),
    }
    assert!(!path.exists(), "no workbook is written for a refused model");
}
