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

/// `models/NAME.yaml` with text replaced (each `old` must be there), loaded beside the shipped
/// models so that its data files are found.
fn derived(name: &str, replacements: &[(&str, &str)]) -> hta_model::Model {
    let mut text = std::fs::read_to_string(format!("models/{name}.yaml")).expect("model file");
    for (old, new) in replacements {
        assert!(text.contains(old), "models/{name}.yaml no longer contains {old:?}");
        text = text.replacen(old, new, 1);
    }
    match hta_spec::load_str(&text, "derived.yaml", std::path::Path::new("models"), &[]) {
        Ok(loaded) => loaded.model,
        Err(d) => panic!("{d}"),
    }
}

fn number(range: &calamine::Range<Data>, row: u32, col: usize) -> f64 {
    match range.get_value((row, col as u32)) {
        Some(Data::Float(v)) => *v,
        other => panic!("({row}, {col}) holds {other:?}, not a number"),
    }
}

fn values(path: &std::path::Path, sheet: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("workbook opens");
    book.worksheet_range(sheet).expect("sheet exists")
}

/// A partitioned survival model whose chemotherapy curves have no Excel formula (a generalised
/// gamma inside a mixture cure; a hazard floor) and whose CAR-T curves do (a spline; PH over
/// acceleration): the first are hta's values with a note, the second formulas.
#[test]
fn partition_curves_without_a_formula_are_hta_values_with_a_note() {
    let model = derived(
        "cart_lbcl_psm",
        &[
            (
                "chemo_pfs_excess: { llogis: { shape: 1.5, scale: 0.45 }, source: \"illustrative\" }",
                "chemo_pfs_excess: { gengamma: { mu: -0.6, sigma: 0.9, Q: 0.5 } }",
            ),
            (
                "chemo_os: { mixture_cure: { cure_fraction: pi_chemo, uncured: chemo_os_excess, background: background } }",
                "chemo_os: { hazard_floor: { curve: chemo_os_excess, background: background } }",
            ),
            (
                "cart_pfs_uncured: { time_unit: months, weibull: { shape: 0.9, scale: 5.5 }, source: \"illustrative\" }",
                "cart_pfs_uncured: { time_unit: months, spline: { knots: [-0.7, 1.7, 3.6], gamma: [-1.5, 0.9, 0.01] } }",
            ),
            (
                "cart_os_uncured: { time_unit: months, lnorm: { meanlog: 2.6, sdlog: 1.1 }, source: \"illustrative\" }",
                "cart_os_uncured: { proportional_hazards: { curve: cart_os_base, hr: 0.9 } }\n  \
                 cart_os_base: { accelerated_failure: { curve: cart_os_lnorm, af: 1.1 } }\n  \
                 cart_os_lnorm: { time_unit: months, lnorm: { meanlog: 2.6, sdlog: 1.1 } }",
            ),
        ],
    );
    let path = std::env::temp_dir().join(format!("hta-test-{}-excel-psm-values.xlsx", std::process::id()));
    let written = hta_excel::write_workbook(&model, &path, &[]).unwrap_or_else(|e| panic!("{e}"));
    // Listed for the command's output, each with its reason.
    let listed = |curve: &str, why: &str| {
        written.values_only.iter().any(|n| n.contains(&format!("curve {curve} written as values")) && n.contains(why))
    };
    assert!(
        listed("chemo_pfs", "the gengamma curve chemo_pfs_excess has no Excel function"),
        "{:?}",
        written.values_only
    );
    assert!(listed("chemo_os", "integrates its hazard numerically"), "{:?}", written.values_only);
    assert_eq!(written.values_only.len(), 2, "{:?}", written.values_only);

    let sheet = "Trace salvage_chemo";
    let head = header(&path, sheet);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {head:?}"));
    let (pfs, os) = (col("S chemo_pfs"), col("S chemo_os"));
    let cells = values(&path, sheet);
    let trace = formulas(&path, sheet);
    // Values, not formulas: S = 1 at t = 0, and at one year (row 13, monthly cycles) the life
    // table's survival from 58 (1 − q_58) times the generalised gamma's exp(−H(1)).
    assert!(trace.get_value((13, pfs as u32)).is_none_or(String::is_empty), "a formula in S chemo_pfs");
    assert_eq!(number(&cells, 1, pfs), 1.0);
    let q58 = model.tables[0].lookup(0, 58.0);
    let gg = hta_model::survival::Family::GenGamma.cumulative_hazard(&[-0.6, 0.9, 0.5], 1.0);
    let expected = (1.0 - q58) * (-gg).exp();
    let got = number(&cells, 13, pfs);
    assert!((got - expected).abs() <= 1e-12 * expected, "S chemo_pfs(1 y) = {got}, by hand {expected}");
    // The hazard floor only raises the hazard: at most the log-normal's survival (to the
    // engine's quadrature, 8 Gauss points a quarter-year: 1.2e-5 relative here) and the table's.
    let os_1y = number(&cells, 13, os);
    let ln = hta_model::survival::Family::LogNormal.cumulative_hazard(&[0.35, 1.4], 1.0);
    assert!(os_1y <= (-ln).exp() * (1.0 + 1e-4) && os_1y < 1.0 - q58 && os_1y > 0.5, "{os_1y}");
    // Listed under the totals, one a row, naming the column (its heading carries the same note).
    let note_row = model.settings.n_cycles as u32 + 5;
    let listed_under: Vec<String> =
        (note_row..note_row + 2).map(|r| cells.get_value((r, 0)).map(Data::to_string).unwrap_or_default()).collect();
    let expected = format!(
        "survival of curve chemo_pfs (column {}): values computed by hta {}; not a formula because the gengamma \
         curve chemo_pfs_excess has no Excel function",
        column_letters(pfs),
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(listed_under[0], expected);
    assert!(listed_under[1].starts_with(&format!("survival of curve chemo_os (column {}): ", column_letters(os))));
    // CAR-T's curves stay formulas.
    let cart = formulas(&path, "Trace cart");
    let cart_head = header(&path, "Trace cart");
    let s_pfs = cart_head.iter().position(|h| h == "S cart_pfs").expect("column");
    let f = cart.get_value((13, s_pfs as u32)).cloned().unwrap_or_default();
    assert!(f.contains("MAX(0,LN(") && f.contains("pi_pfs_cart"), "{f}");
    let s_os = cart_head.iter().position(|h| h == "S cart_os").expect("column");
    let f = cart.get_value((13, s_os as u32)).cloned().unwrap_or_default();
    assert!(f.contains("(0.9*") && f.contains("/1.1)"), "{f}");
    // The cover lists both.
    let cover = values(&path, "Cover");
    let text: Vec<String> = cover.rows().flat_map(|r| r.iter().map(Data::to_string)).collect();
    assert_eq!(text.iter().filter(|t| t.contains("written as values")).count(), 3, "{text:?}");
    let _ = std::fs::remove_file(&path);
}

/// A Markov model reading curves without a formula (`cycle_prob` of a generalised gamma and
/// `hazard` of a Weibull): a column of hta's values per call, which the transition formula reads;
/// a piecewise exponential and a join of formula curves stay formulas.
#[test]
fn survival_calls_without_a_formula_read_a_column_of_hta_values() {
    let model = derived(
        "age_mortality",
        &[
            (
                "\nparameters:",
                "\nsurvival:\n  c_gg: { gengamma: { mu: 2.0, sigma: 0.8, Q: 0.4 } }\n  \
                 c_weib: { weibull: { shape: 1.3, scale: 6 } }\n  \
                 c_pw: { piecewise_exponential: { cuts: [2, 5], rates: [0.02, 0.05, 0.01] } }\n  \
                 c_jf: { join: { first: c_pw, then: c_weib, at_years: 3 } }\n\nparameters:",
            ),
            (
                "p_sick_dead: \"rate_to_prob(h_background + h_excess * hr_applied)\"",
                "p_sick_dead: \"1 - (1 - rate_to_prob(h_background)) * (1 - 0.2 * cycle_prob(c_gg)) \
                 * (1 - 0.1 * hazard(c_weib, time)) * (1 - cycle_prob(c_jf))\"",
            ),
        ],
    );
    let path = std::env::temp_dir().join(format!("hta-test-{}-excel-markov-values.xlsx", std::process::id()));
    let written = hta_excel::write_workbook(&model, &path, &[]).unwrap_or_else(|e| panic!("{e}"));
    // Two calls in two strategies.
    assert_eq!(written.values_only.len(), 4, "{:?}", written.values_only);
    let sheet = "Trace usual_care";
    let head = header(&path, sheet);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {head:?}"));
    let gg = col("cycle_prob(c_gg) (values)");
    let hz = col("hazard(c_weib, time) (values)");
    let cells = values(&path, sheet);
    // Cycle 3 (row 4): t = 2 years; cycle_prob = 1 − exp(−(H(3) − H(2))); the Weibull hazard
    // (a/b)(t/b)^(a−1) at t = 2.
    let h = |t: f64| hta_model::survival::Family::GenGamma.cumulative_hazard(&[2.0, 0.8, 0.4], t);
    let expected = 1.0 - (-(h(3.0) - h(2.0))).exp();
    assert!((number(&cells, 4, gg) - expected).abs() <= 1e-12 * expected, "{} vs {expected}", number(&cells, 4, gg));
    let note = cells.get_value((model.settings.n_cycles as u32 + 5, 0)).map(Data::to_string).unwrap_or_default();
    assert!(
        note.starts_with(&format!("cycle_prob(c_gg) (column {}): values computed by hta", column_letters(gg)))
            && note.ends_with("the gengamma curve c_gg has no Excel function"),
        "{note}"
    );
    let weibull = 1.3 / 6.0 * (2.0f64 / 6.0).powf(0.3);
    assert!((number(&cells, 4, hz) - weibull).abs() <= 1e-12 * weibull, "{} vs {weibull}", number(&cells, 4, hz));
    // The transition formula reads those cells, and writes the join as a formula.
    let trace = formulas(&path, sheet);
    let p = col("p_sick_dead");
    let f = trace.get_value((4, p as u32)).cloned().unwrap_or_default();
    assert!(
        f.contains(&format!("${}$5", column_letters(gg))) && f.contains(&format!("${}$5", column_letters(hz))),
        "{f}"
    );
    assert!(f.contains("IF((") && f.contains("<=3,") && f.contains("MAX(0,MIN("), "{f}");
    let _ = std::fs::remove_file(&path);
}

/// Excel's letters for a 0-based column (A, ..., Z, AA, ...).
fn column_letters(col: usize) -> String {
    let (mut n, mut s) = (col + 1, String::new());
    while n > 0 {
        s.insert(0, char::from(b'A' + ((n - 1) % 26) as u8));
        n = (n - 1) / 26;
    }
    s
}

fn hta() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("hta").expect("binary built")
}

/// `hta report --excel` writes model.xlsx, the same workbook as `hta excel`, with the pack and
/// records it (file, SHA-256, sheets) in report.html, report.md and a sheet of report.xlsx;
/// without `--excel` there is none. `hta excel` keeps an existing file without --force.
#[test]
fn the_dossier_pack_carries_the_live_workbook_when_asked() {
    let dir = std::env::temp_dir().join(format!("hta-test-{}-excel-pack", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    hta()
        .args(["report", "models/hiv.yaml", "--draws", "0", "--excel", "--out"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote model.xlsx (the live workbook; sheets: Cover, Inputs"));
    let pack = std::fs::read(dir.join("model.xlsx")).expect("model.xlsx in the pack");
    let single = dir.join("single.xlsx");
    hta().args(["excel", "models/hiv.yaml", "--out"]).arg(&single).assert().success();
    assert!(pack == std::fs::read(&single).expect("single workbook"), "the pack's workbook is hta excel's");
    let sha = hta_spec::InputFile::new("", &pack).sha256;
    for file in ["report.html", "report.md"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("report");
        assert!(text.contains("model.xlsx: the model as a live Excel workbook") && text.contains(&sha), "{file}");
    }
    let mut book: Xlsx<_> = calamine::open_workbook(dir.join("report.xlsx")).expect("report.xlsx");
    let sheet = book.worksheet_range("Live workbook").expect("a Live workbook sheet");
    assert_eq!(sheet.get_value((1, 0)).map(Data::to_string).as_deref(), Some("model.xlsx"));
    assert_eq!(sheet.get_value((1, 1)).map(Data::to_string), Some(sha));
    // An existing workbook is kept without --force, replaced with it.
    hta()
        .args(["excel", "models/hiv.yaml", "--out"])
        .arg(&single)
        .assert()
        .failure()
        .stderr(predicates::str::contains("already exists; add --force"));
    hta().args(["excel", "models/hiv.yaml", "--force", "--out"]).arg(&single).assert().success();

    let plain = std::env::temp_dir().join(format!("hta-test-{}-excel-pack-plain", std::process::id()));
    let _ = std::fs::remove_dir_all(&plain);
    hta().args(["report", "models/hiv.yaml", "--draws", "0", "--out"]).arg(&plain).assert().success();
    assert!(!plain.join("model.xlsx").exists(), "no live workbook unless asked");
    let html = std::fs::read_to_string(plain.join("report.html")).expect("report");
    assert!(!html.contains("Live workbook"), "no live workbook in the run record unless asked");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&plain);
}
