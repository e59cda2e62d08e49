//! Sheet layout and writing of the workbook.

use std::path::Path;

use hta_model::formula::{Expr, ExprKind, Reference, TimeVar};
use hta_model::{
    DiscountTiming, EffectMeasure, EntryValue, EventTiming, LookupTable, Model, ParamId, StrategyId, Structure, TableId,
};
use rust_xlsxwriter::{
    Color, ConditionalFormatCell, ConditionalFormatCellRule, Format, Formula, Workbook, Worksheet, XlsxError,
};

use crate::translate::{table_range, to_excel, Cells, Unsupported};
use crate::values::ValueColumns;

#[derive(Debug, thiserror::Error)]
pub enum ExcelError {
    #[error("the model cannot be written as formulas yet:\n  - {}", .0.join("\n  - "))]
    Unsupported(Vec<String>),
    #[error("the model did not run: {0}")]
    Run(String),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// What was written, for the command's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub sheets: Vec<String>,
    /// Cells written as values rather than formulas, with why.
    pub values_only: Vec<String>,
}

/// Where the Excel name of parameter `p` differs from the model's (names that Excel would read
/// as a cell reference or a reserved word get a `p_` prefix... kept as `_name`).
fn excel_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let looks_like_cell =
        (1..=3).contains(&letters) && letters < bytes.len() && bytes[letters..].iter().all(u8::is_ascii_digit);
    let reserved = matches!(name.to_ascii_lowercase().as_str(), "r" | "c" | "true" | "false");
    if looks_like_cell || reserved {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

pub(crate) fn col_name(col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut s = String::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.insert(0, char::from(b'A' + r));
        n = (n - 1) / 26;
    }
    s
}

pub(crate) fn cell(col: u16, row: u32) -> String {
    format!("${}${}", col_name(col), row + 1)
}

/// Whether `expr` reads the clock (`cycle`, `time`, `age`, a curve) or a parameter marked in `local`.
fn refs_time(expr: &Expr, local: &[bool]) -> bool {
    match &expr.kind {
        ExprKind::Ref(Reference::Time(v)) => v.varies() && *v != TimeVar::StateTime,
        // Survival functions read the cycle's time without naming it (`cycle_prob`).
        ExprKind::Ref(Reference::Curve(_)) => true,
        ExprKind::Ref(Reference::Param(p)) => local[p.index()],
        ExprKind::Negate(a) => refs_time(a, local),
        ExprKind::Binary(_, a, b) => refs_time(a, local) || refs_time(b, local),
        ExprKind::Call(_, args) => args.iter().any(|a| refs_time(a, local)),
        _ => false,
    }
}

fn definition(model: &Model, strategy: Option<StrategyId>, p: ParamId) -> &hta_model::Formula {
    match strategy {
        Some(s) => model.definition(s, p),
        None => &model.parameters[p.index()].definition,
    }
}

/// Parameters that depend on time in state (`state_time`, directly or through another): written
/// out in the formulas of each tunnel column rather than given a cell.
fn state_time_params(model: &Model, strategy: Option<StrategyId>) -> Vec<bool> {
    let n = model.parameters.len();
    let mut dep = vec![false; n];
    loop {
        let mut changed = false;
        for i in 0..n {
            let reads = definition(model, strategy, ParamId::new(i)).expr.references();
            let st = reads.iter().any(|r| match r {
                Reference::Time(v) => *v == TimeVar::StateTime,
                Reference::Param(p) => dep[p.index()],
                _ => false,
            });
            if st && !dep[i] {
                dep[i] = true;
                changed = true;
            }
        }
        if !changed {
            return dep;
        }
    }
}

/// Parameters that must be computed per row of a strategy's trace: overridden by the strategy,
/// reading a time variable, or reading such a parameter (except those of [`state_time_params`]).
fn local_params(model: &Model, strategy: Option<StrategyId>) -> Vec<bool> {
    let n = model.parameters.len();
    let inline = state_time_params(model, strategy);
    let mut local = vec![false; n];
    if let Some(s) = strategy {
        for (p, _) in &model.strategy(s).overrides {
            local[p.index()] = !inline[p.index()];
        }
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            let def = definition(model, strategy, ParamId::new(i));
            if !local[i] && !inline[i] && refs_time(&def.expr, &local) {
                local[i] = true;
                changed = true;
            }
        }
        if !changed {
            return local;
        }
    }
}

fn unsupported_features(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    if model.structure != Structure::Markov && model.states.iter().any(|s| s.track_cycles.is_some()) {
        out.push("time in state in a partitioned survival model".to_string());
    }
    out
}

/// What a formula in one row (and tunnel column) of a trace reads.
#[derive(Clone, Copy)]
struct NameCells<'a> {
    model: &'a Model,
    strategy: Option<StrategyId>,
    /// Per parameter, its column in the trace sheet when it is computed per row.
    local: &'a [Option<u16>],
    /// Per parameter, whether it depends on time in state (written out where used).
    inline: &'a [bool],
    /// The tunnel column's time in state (1-based), if the formula is in one.
    state_time: Option<usize>,
    row: u32,
    time_col: u16,
    cycle_col: u16,
    /// Where hta's values go for what has no formula (`None`: refused instead).
    values: Option<&'a ValueColumns<'a>>,
}

impl Cells for NameCells<'_> {
    fn param(&self, id: ParamId) -> Result<String, Unsupported> {
        if self.inline.get(id.index()).copied().unwrap_or(false) {
            let def = definition(self.model, self.strategy, id);
            return Ok(format!("({})", to_excel(&def.expr, self)?));
        }
        Ok(match self.local.get(id.index()).copied().flatten() {
            Some(col) => cell(col, self.row),
            None => excel_name(&self.model.parameters[id.index()].name),
        })
    }
    fn time(&self, var: TimeVar) -> Option<String> {
        match var {
            TimeVar::Cycle => Some(cell(self.cycle_col, self.row)),
            TimeVar::Time => Some(cell(self.time_col, self.row)),
            TimeVar::Age => Some(format!("(hta_start_age+{})", cell(self.time_col, self.row))),
            TimeVar::CycleYears => Some("hta_cycle_years".to_string()),
            TimeVar::StateTime => self.state_time.map(|j| j.to_string()),
        }
    }
    fn table(&self, id: TableId) -> Option<&LookupTable> {
        self.model.tables.get(id.index()).map(|t| &**t)
    }
    fn model(&self) -> Option<&Model> {
        Some(self.model)
    }
    fn value_of(&self, call: &Expr, why: &str) -> Option<String> {
        self.values.map(|v| v.cell(call, why, self.row, self.state_time))
    }
}

/// Writes `model` as a workbook to `path`, after checking every formula translates. `record`:
/// lines of the run record for the cover sheet (input files and their digests, overrides).
pub fn write_workbook(model: &Model, path: &Path, record: &[String]) -> Result<Written, ExcelError> {
    let (bytes, written) = workbook_bytes(model, record)?;
    std::fs::write(path, bytes).map_err(|e| ExcelError::Xlsx(XlsxError::IoError(e)))?;
    Ok(written)
}

/// The workbook of `model` as the bytes of an .xlsx file, for a caller that writes it with
/// other files (the dossier pack, through the CLI's output layer).
pub fn workbook_bytes(model: &Model, record: &[String]) -> Result<(Vec<u8>, Written), ExcelError> {
    let mut problems = unsupported_features(model);
    if !problems.is_empty() {
        return Err(ExcelError::Unsupported(problems));
    }
    let results = match model.structure {
        Structure::Markov => hta_markov::run(model),
        Structure::PartitionedSurvival => hta_psm::run(model).map(|run| run.results),
    }
    .map_err(|e| ExcelError::Run(format!("{e:?}")))?;
    let s = &model.settings;
    let mut wb = Workbook::new();
    // A fixed creation date: the same model gives a byte-identical workbook (its SHA-256 in a
    // report's run record is reproducible).
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_creation_datetime(&created)
            .set_title(&model.metadata.title)
            .set_comment(format!("hta {}", env!("CARGO_PKG_VERSION"))),
    );
    let bold = Format::new().set_bold();
    // Column headings of the traces and trees wrap within their column.
    // Right-aligned over the numbers they head.
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_align(rust_xlsxwriter::FormatAlign::Right);
    let blue = Format::new().set_font_color(Color::RGB(0x0000CC)).set_background_color(Color::RGB(0xDDEBF7));
    let mut values_only = Vec::new();
    let mut sheets = vec!["Cover".to_string(), "Inputs".to_string()];

    // Cover.
    let cover = wb.add_worksheet().set_name("Cover")?;
    cover.write_string_with_format(0, 0, &model.metadata.title, &bold)?;
    if let Some(d) = &model.metadata.description {
        cover.write_string(1, 0, d.trim())?;
    }
    cover.write_string(2, 0, format!("Written by hta {} from the validated model.", env!("CARGO_PKG_VERSION")))?;
    let settings_line = format!(
        "Currency {}; cycle {} years, {} cycles; counting {}; discount costs {}, effects {} ({}, from year {}); \
         transitions {}; effect {}",
        model.metadata.currency,
        s.cycle_years,
        s.n_cycles,
        s.counting.name(),
        s.discount.costs,
        s.discount.effects,
        s.discount.timing.name(),
        s.discount.start_year,
        s.transition_timing.name(),
        s.effect.name(),
    );
    cover.write_string(3, 0, settings_line)?;
    cover.write_string(
        4,
        0,
        "Blue cells are inputs to edit; black cells are formulas. Results are recalculated by the spreadsheet; \
         the check cells on Results compare them with hta's own run.",
    )?;
    let mut r = 6;
    cover.write_string_with_format(r, 0, "run record", &bold)?;
    for line in record {
        r += 1;
        cover.write_string(r, 0, line)?;
    }
    r += 2;
    cover.write_string_with_format(r, 0, "sheet", &bold)?;
    cover.write_string_with_format(r, 1, "what it holds", &bold)?;
    let mut describe = vec![
        ("Inputs", "every parameter as a defined name (blue cells are values to edit), the settings, the thresholds"),
        ("Tables", "the lookup tables (blue), each column a defined name read with INDEX/MATCH"),
        ("Trace <strategy>", "per cycle: time, parameters that vary, occupancy (tunnel columns [j] for time in state), counting weights, discount factors, costs by category, QALYs, life-years; totals at the foot; grey italic cells are values computed by hta where a curve has no formula (see the note on their heading and below the totals)"),
        ("Arm <arm>", "the trace of one arm of a decision tree"),
        ("Tree <strategy>", "the decision tree: probability and reach of each branch, its one-off values and its arm's totals"),
        ("Results", "totals, ICERs against the reference and along hta's frontier, net monetary benefit, as formulas; check cells against hta (red when they differ)"),
    ];
    describe.retain(|(name, _)| match *name {
        "Tables" => !model.tables.is_empty(),
        "Arm <arm>" | "Tree <strategy>" => model.has_trees(),
        _ => true,
    });
    for (name, what) in describe {
        r += 1;
        cover.write_string_with_format(r, 0, name, &bold)?;
        cover.write_string(r, 1, what)?;
    }
    cover.set_column_width(0, 22)?;
    cover.set_column_width(1, 110)?;
    let cover_notes_row = r + 2;

    // Inputs.
    let global_local = local_params(model, None);
    let global_inline = state_time_params(model, None);
    {
        let inputs = wb.add_worksheet().set_name("Inputs")?;
        for (c, h) in ["name", "value", "label", "source", "low", "high"].iter().enumerate() {
            inputs.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        inputs.set_freeze_panes(1, 0)?;
        inputs.set_column_width(0, 24)?;
        inputs.set_column_width(2, 50)?;
        inputs.set_column_width(3, 40)?;
        let none = vec![None; model.parameters.len()];
        let nm = NameCells {
            model,
            strategy: None,
            local: &none,
            inline: &global_inline,
            state_time: None,
            row: 0,
            time_col: 0,
            cycle_col: 0,
            values: None,
        };
        for (i, p) in model.parameters.iter().enumerate() {
            let r = 1 + i as u32;
            inputs.write_string(r, 0, excel_name(&p.name))?;
            if global_inline[i] {
                inputs.write_string(r, 1, "varies with time in state: written out in the trace formulas")?;
            } else if global_local[i] {
                inputs.write_string(r, 1, "varies by cycle: see the trace sheets")?;
            } else {
                match &p.definition.expr.kind {
                    ExprKind::Number(v) => {
                        inputs.write_number_with_format(r, 1, *v, &blue)?;
                    }
                    _ => match to_excel(&p.definition.expr, &nm) {
                        Ok(f) => {
                            inputs.write_formula(r, 1, Formula::new(format!("={f}")))?;
                        }
                        Err(Unsupported(why)) => problems.push(format!("parameter {}: {why}", p.name)),
                    },
                }
            }
            if let Some(l) = &p.label {
                inputs.write_string(r, 2, l)?;
            }
            if let Some(src) = &p.source {
                inputs.write_string(r, 3, src)?;
            }
            if let Some(v) = p.uncertainty.low {
                inputs.write_number(r, 4, v)?;
            }
            if let Some(v) = p.uncertainty.high {
                inputs.write_number(r, 5, v)?;
            }
        }
        let settings: Vec<(&str, f64)> = vec![
            ("hta_cycle_years", s.cycle_years),
            ("hta_disc_costs", s.discount.costs),
            ("hta_disc_effects", s.discount.effects),
            ("hta_disc_start_year", s.discount.start_year),
            ("hta_start_age", s.start_age.unwrap_or(0.0)),
        ];
        let base = model.parameters.len() as u32 + 2;
        inputs.write_string_with_format(base, 0, "settings", &bold)?;
        for (i, (name, v)) in settings.iter().enumerate() {
            let r = base + 1 + i as u32;
            inputs.write_string(r, 0, *name)?;
            inputs.write_number_with_format(r, 1, *v, &blue)?;
        }
        let tbase = base + 2 + settings.len() as u32;
        inputs.write_string_with_format(tbase, 0, "thresholds", &bold)?;
        for (i, t) in s.thresholds.iter().enumerate() {
            let r = tbase + 1 + i as u32;
            inputs.write_string(r, 0, format!("hta_wtp_{}", i + 1))?;
            inputs.write_number_with_format(r, 1, t.value, &blue)?;
            inputs.write_string(r, 2, &t.label)?;
        }
        for (i, p) in model.parameters.iter().enumerate() {
            if !global_local[i] && !global_inline[i] {
                wb.define_name(excel_name(&p.name), &format!("=Inputs!$B${}", i + 2))?;
            }
        }
        for (i, (name, _)) in settings.iter().enumerate() {
            wb.define_name(*name, &format!("=Inputs!$B${}", base + 2 + i as u32))?;
        }
        for i in 0..s.thresholds.len() {
            wb.define_name(format!("hta_wtp_{}", i + 1), &format!("=Inputs!$B${}", tbase + 2 + i as u32))?;
        }
    }

    if !model.tables.is_empty() {
        sheets.push("Tables".to_string());
        write_tables(&mut wb, model, &bold, &blue)?;
    }

    // Trace sheets.
    let n = s.n_cycles;
    let last = n as u32 + 1;
    // The arms of decision trees: one trace each, weighted in the strategies' tree sheets.
    let mut arm_totals = Vec::new();
    for k in 0..model.arms.len() {
        let sheet_name = sheet_name("Arm", &model.arms[k].name);
        sheets.push(sheet_name.clone());
        let ws = wb.add_worksheet().set_name(&sheet_name)?;
        let (totals, mut notes) = write_trace(model, model.arm_id(k), ws, &head, &mut problems)?;
        values_only.append(&mut notes);
        arm_totals.push((sheet_name, totals));
    }
    let mut totals_cells = Vec::new();
    for sid in model.strategy_ids() {
        let strategy = model.strategy(sid);
        let (sheet_name, totals) = match &strategy.tree {
            Some(tree) => {
                let sheet_name = sheet_name("Tree", &strategy.name);
                let ws = wb.add_worksheet().set_name(&sheet_name)?;
                (sheet_name, write_tree(model, sid, tree, ws, &head, &arm_totals, &mut problems)?)
            }
            None => {
                let sheet_name = sheet_name("Trace", &strategy.name);
                let ws = wb.add_worksheet().set_name(&sheet_name)?;
                let (totals, mut notes) = write_trace(model, sid, ws, &head, &mut problems)?;
                values_only.append(&mut notes);
                (sheet_name, totals)
            }
        };
        sheets.push(sheet_name.clone());
        totals_cells.push((sheet_name, totals));
    }
    if !problems.is_empty() {
        return Err(ExcelError::Unsupported(problems));
    }
    if !values_only.is_empty() {
        let cover = wb.worksheet_from_name("Cover")?;
        let r = cover_notes_row;
        cover.write_string_with_format(r, 0, "written as values, not formulas", &bold)?;
        for (i, note) in values_only.iter().enumerate() {
            cover.write_string(r + 1 + i as u32, 0, note)?;
        }
    }

    // Results.
    sheets.push("Results".to_string());
    let res = wb.add_worksheet().set_name("Results")?;
    let heads = ["strategy", "cost", "QALYs", "life-years", "effect", "hta cost", "hta effect", "check"];
    for (c, h) in heads.iter().enumerate() {
        res.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    res.set_freeze_panes(1, 1)?;
    res.set_column_width(0, 24)?;
    let money = Format::new().set_num_format("#,##0.00");
    let fixed6 = Format::new().set_num_format("0.000000");
    for c in 1..8 {
        res.set_column_format(c, &money)?;
        res.set_column_width(c, 16)?;
    }
    let effect_col = if s.effect == EffectMeasure::Qaly { 2 } else { 3 };
    for (i, (sheet, t)) in totals_cells.iter().enumerate() {
        let r = 1 + i as u32;
        let q = |c: &str| format!("='{sheet}'!{c}");
        res.write_string(r, 0, &model.strategies[i].name)?;
        res.write_formula(r, 1, Formula::new(q(&t.cost)))?;
        res.write_formula_with_format(r, 2, Formula::new(q(&t.qaly)), &fixed6)?;
        res.write_formula_with_format(r, 3, Formula::new(q(&t.ly)), &fixed6)?;
        res.write_formula_with_format(r, 4, Formula::new(format!("={}", cell(effect_col, r))), &fixed6)?;
        let result = &results[i];
        let effect = if s.effect == EffectMeasure::Qaly { result.qaly(true) } else { result.life_years(true) };
        res.write_number(r, 5, result.total_cost(true))?;
        res.write_number_with_format(r, 6, effect, &fixed6)?;
        let close = |a: String, b: String| format!("ABS({a}-{b})<=1E-9*MAX(ABS({a}),ABS({b}),1E-300)");
        res.write_formula(
            r,
            7,
            Formula::new(format!(
                "=IF(AND({},{}),\"ok\",\"DIFFERS\")",
                close(cell(1, r), cell(5, r)),
                close(cell(4, r), cell(6, r))
            )),
        )?;
    }
    let ns = model.strategies.len() as u32;
    let red = Format::new().set_background_color(Color::RGB(0xFF9999));
    res.add_conditional_format(
        1,
        7,
        ns,
        7,
        &ConditionalFormatCell::new().set_rule(ConditionalFormatCellRule::EqualTo("\"DIFFERS\"")).set_format(red),
    )?;
    // Pairwise against the reference strategy, and NMB at each threshold.
    let base = ns + 2;
    let refr = 1 + s.reference.index() as u32;
    res.write_string_with_format(
        base,
        0,
        format!("against the reference strategy {}", model.strategies[s.reference.index()].name),
        &bold,
    )?;
    for (c, h) in ["strategy", "incremental cost", "incremental effect", "ICER"].iter().enumerate() {
        res.write_string_with_format(base + 1, c as u16, *h, &bold)?;
    }
    for (c, t) in s.thresholds.iter().enumerate() {
        res.write_string_with_format(base + 1, 4 + c as u16, format!("NMB at {}", t.value), &bold)?;
    }
    for i in 0..ns {
        let r = base + 2 + i;
        let sr = 1 + i;
        res.write_string(r, 0, &model.strategies[i as usize].name)?;
        res.write_formula(r, 1, Formula::new(format!("={}-{}", cell(1, sr), cell(1, refr))))?;
        res.write_formula_with_format(r, 2, Formula::new(format!("={}-{}", cell(4, sr), cell(4, refr))), &fixed6)?;
        if sr != refr {
            res.write_formula(r, 3, Formula::new(format!("={}/{}", cell(1, r), cell(2, r))))?;
        }
        for c in 0..s.thresholds.len() {
            res.write_formula(
                r,
                4 + c as u16,
                Formula::new(format!("={}*hta_wtp_{}-{}", cell(4, sr), c + 1, cell(1, sr))),
            )?;
        }
    }
    // Incremental analysis: hta's frontier order and dominance, the ICERs as formulas.
    let outcomes: Vec<hta_analysis::Outcome> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let effect = if s.effect == EffectMeasure::Qaly { r.qaly(true) } else { r.life_years(true) };
            hta_analysis::Outcome::new(&model.strategies[i].name, r.total_cost(true), effect)
        })
        .collect();
    let fbase = base + 3 + ns;
    res.write_string_with_format(
        fbase,
        0,
        "incremental analysis (frontier order and dominance as computed by hta; ICERs as formulas)",
        &bold,
    )?;
    for (c, h) in ["strategy", "status", "compared with", "ICER"].iter().enumerate() {
        res.write_string_with_format(fbase + 1, c as u16, *h, &bold)?;
    }
    for (i, row) in hta_analysis::incremental(&outcomes).iter().enumerate() {
        let r = fbase + 2 + i as u32;
        res.write_string(r, 0, &model.strategies[row.strategy].name)?;
        res.write_string(r, 1, row.status.code())?;
        if let Some(j) = row.compared_with {
            let (a, b) = (1 + row.strategy as u32, 1 + j as u32);
            res.write_string(r, 2, &model.strategies[j].name)?;
            res.write_formula(
                r,
                3,
                Formula::new(format!("=({}-{})/({}-{})", cell(1, a), cell(1, b), cell(4, a), cell(4, b))),
            )?;
        }
    }
    let _ = last;
    // Printing (and PDF): landscape, each sheet one page wide.
    for ws in wb.worksheets_mut() {
        ws.set_landscape().set_print_fit_to_pages(1, 0);
    }
    Ok((wb.save_to_buffer()?, Written { sheets, values_only }))
}

/// The lookup tables side by side, each a block of columns (key, then its columns) with a
/// defined name per column ([`table_range`]), values blue as inputs.
fn write_tables(wb: &mut Workbook, model: &Model, bold: &Format, blue: &Format) -> Result<(), ExcelError> {
    let ws = wb.add_worksheet().set_name("Tables")?;
    ws.set_freeze_panes(2, 0)?;
    let mut names = Vec::new();
    let mut col = 0u16;
    for t in &model.tables {
        let rule = match t.interpolation {
            hta_model::Interpolation::Step => "step (the row at or below the key)",
            hta_model::Interpolation::Linear => "linear between neighbouring keys",
        };
        let outside = match t.outside {
            hta_model::Outside::Error => "keys outside the table are an error (#N/A)",
            hta_model::Outside::Hold => "outside the table the first or last value holds",
        };
        let mut title = format!("{}: {rule}; {outside}", t.name);
        if let Some(src) = &t.source {
            title.push_str(&format!("; source: {src}"));
        }
        ws.write_string_with_format(0, col, title, bold)?;
        let last = 2 + t.keys.len() as u32 - 1;
        let columns: Vec<(Option<usize>, &str, &[f64])> = std::iter::once((None, t.key_name.as_str(), &t.keys[..]))
            .chain(t.columns.iter().enumerate().map(|(j, c)| (Some(j), c.name.as_str(), &c.values[..])))
            .collect();
        for (name_col, header, values) in columns {
            ws.write_string_with_format(1, col, header, bold)?;
            for (i, v) in values.iter().enumerate() {
                ws.write_number_with_format(2 + i as u32, col, *v, blue)?;
            }
            names.push((table_range(t, name_col), format!("=Tables!{}:{}", cell(col, 2), cell(col, last))));
            col += 1;
        }
        col += 1;
    }
    for (name, range) in names {
        wb.define_name(name, &range)?;
    }
    Ok(())
}

/// The counting weights (on the start, on the end occupancy) of the cycle in cell `k` as
/// formulas, as `hta_markov::counting::cycle_weights` gives them; `None` for custom weights.
pub(crate) fn counting_weights(method: hta_model::Counting, k: &str, n: usize) -> Option<(String, String)> {
    use hta_model::Counting;
    let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
    match method {
        Counting::StartOfCycle => pair("1", "0"),
        Counting::EndOfCycle => pair("0", "1"),
        Counting::HalfCycle | Counting::LifeTable => pair("1/2", "1/2"),
        Counting::Simpson if n == 1 => pair("1/2", "1/2"),
        Counting::Simpson => {
            let third = |odd: &str, even: &str| format!("IF(MOD({k},2)=1,{odd},{even})");
            let (a, b) = (third("1/3", "2/3"), third("2/3", "1/3"));
            if n % 2 == 1 {
                // The last three cycles of an odd count use the 3/8 rule.
                let tail = |x: &str, y: &str, z: &str, rest: &str| {
                    format!("IF({k}>={},CHOOSE({k}-{},{x},{y},{z}),{rest})", n - 2, n - 3)
                };
                Some((tail("3/8", "1/2", "5/8", &a), tail("5/8", "1/2", "3/8", &b)))
            } else {
                Some((a, b))
            }
        }
        Counting::Weights => None,
    }
}

/// One row of a partitioned survival model: each curve's survival at the boundary ending the
/// row's cycle, capped from the outside in (inner ≤ outer), and the states' occupancy as the
/// differences of the capped curves.
fn write_partition(
    model: &Model,
    ws: &mut Worksheet,
    nm: &NameCells<'_>,
    curves: &[hta_model::CurveId],
    curve0: u16,
    state0: u16,
) -> Result<(), ExcelError> {
    let r = nm.row;
    let t = format!("({}*hta_cycle_years)", cell(nm.cycle_col, r));
    let (raw, capped) = (|i: usize| curve0 + 2 * i as u16, |i: usize| curve0 + 2 * i as u16 + 1);
    for (i, c) in curves.iter().enumerate() {
        match (crate::curves::curve_survival(model, *c, &t, nm), nm.values) {
            (Ok(f), _) => {
                ws.write_formula(r, raw(i), Formula::new(format!("={f}")))?;
            }
            // A curve without a formula: hta's survival at the boundary, the heading marked.
            (Err(Unsupported(why)), Some(values)) => {
                let v = values.curve_survival(*c, raw(i), &why, r.saturating_sub(1) as usize);
                crate::values::write_value(ws, r, raw(i), v, &value_format())?;
            }
            (Err(Unsupported(why)), None) => return Err(ExcelError::Unsupported(vec![why])),
        }
    }
    let n = curves.len();
    for i in (0..n).rev() {
        let f = if i + 1 == n {
            format!("={}", cell(raw(i), r))
        } else {
            format!("=MIN({},{})", cell(raw(i), r), cell(capped(i + 1), r))
        };
        ws.write_formula(r, capped(i), Formula::new(f))?;
    }
    for i in 0..=n {
        let f = match i {
            0 => format!("={}", cell(capped(0), r)),
            i if i == n => format!("=1-{}", cell(capped(n - 1), r)),
            i => format!("={}-{}", cell(capped(i), r), cell(capped(i - 1), r)),
        };
        ws.write_formula(r, state0 + i as u16, Formula::new(f))?;
    }
    Ok(())
}

/// Translates `expr`, or records why not (the cell gets 0 and the workbook is refused).
fn translate_or_note(expr: &Expr, cells: &dyn Cells, what: &str, strategy: &str, problems: &mut Vec<String>) -> String {
    match to_excel(expr, cells) {
        Ok(t) => t,
        Err(Unsupported(why)) => {
            problems.push(format!("{what} in strategy {strategy}: {why}"));
            "0".to_string()
        }
    }
}

/// The row's parameters that vary by cycle or are set by the strategy.
fn write_local_params(
    model: &Model,
    sid: StrategyId,
    ws: &mut Worksheet,
    nm: &NameCells<'_>,
    local_col: &[Option<u16>],
    problems: &mut Vec<String>,
) -> Result<(), ExcelError> {
    for (i, c) in local_col.iter().enumerate() {
        if let Some(c) = c {
            let def = model.definition(sid, ParamId::new(i));
            let what = format!("parameter {}", model.parameters[i].name);
            let t = translate_or_note(&def.expr, nm, &what, &model.strategy(sid).name, problems);
            ws.write_formula(nm.row, *c, Formula::new(format!("={t}")))?;
        }
    }
    Ok(())
}

/// Cells holding values computed by hta (not formulas, not inputs): grey italics.
fn value_format() -> Format {
    Format::new().set_italic().set_font_color(Color::RGB(0x595959)).set_num_format("0.000000")
}

/// A sheet's name: `kind` and the strategy's or arm's name, within Excel's 31 characters.
fn sheet_name(kind: &str, name: &str) -> String {
    let clean: String = name.chars().filter(|c| !"[]:*?/\\'".contains(*c)).take(25).collect();
    format!("{kind} {clean}")
}

/// What a tree's formulas read: the Inputs' names, model start for the time variables.
struct TreeCells<'a>(&'a Model);

impl Cells for TreeCells<'_> {
    fn param(&self, id: ParamId) -> Result<String, Unsupported> {
        Ok(excel_name(&self.0.parameters[id.index()].name))
    }
    fn time(&self, var: TimeVar) -> Option<String> {
        match var {
            TimeVar::Cycle | TimeVar::Time => Some("0".to_string()),
            TimeVar::Age => Some("hta_start_age".to_string()),
            TimeVar::CycleYears => Some("hta_cycle_years".to_string()),
            TimeVar::StateTime => None,
        }
    }
    fn table(&self, id: TableId) -> Option<&LookupTable> {
        self.0.tables.get(id.index()).map(|t| &**t)
    }
    fn model(&self) -> Option<&Model> {
        Some(self.0)
    }
}

/// A strategy's decision tree: per branch its probability given the parent, the probability of
/// reaching it, its one-off values and its arm's totals; the strategy's totals weight each
/// branch by its reach (values at model start, not discounted, as in the engine).
fn write_tree(
    model: &Model,
    sid: StrategyId,
    tree: &hta_model::Tree,
    ws: &mut Worksheet,
    bold: &Format,
    arms: &[(String, Totals)],
    problems: &mut Vec<String>,
) -> Result<Totals, ExcelError> {
    let strategy = model.strategy(sid);
    if !strategy.overrides.is_empty() {
        problems.push(format!("strategy {}: parameters set by a strategy with a decision tree", strategy.name));
    }
    let cells = TreeCells(model);
    let nc = model.categories.len() as u16;
    let mut heads = vec!["branch".to_string(), "parent".to_string(), "probability".to_string(), "reach".to_string()];
    heads.extend(model.categories.iter().map(|c| format!("cost {c}")));
    heads.extend(["QALYs", "arm", "arm cost", "arm QALYs", "arm life-years"].map(String::from));
    heads.extend(["cost incl. arm", "QALYs incl. arm", "life-years incl. arm"].map(String::from));
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)?;
    }
    ws.set_freeze_panes(1, 1)?;
    ws.set_column_width(0, 24)?;
    ws.set_row_height(0, 45)?;
    let (cat0, qcol) = (4u16, 4 + nc);
    let (arm_col, own) = (qcol + 1, qcol + 5);
    let (fixed6, money) = (Format::new().set_num_format("0.000000"), Format::new().set_num_format("#,##0.00"));
    ws.set_column_width(1, 20)?;
    ws.set_column_width(arm_col, 16)?;
    for c in (2..=own + 2).filter(|&c| c != arm_col) {
        let cost_like = (cat0..qcol).contains(&c) || c == arm_col + 1 || c == own;
        ws.set_column_format(c, if cost_like { &money } else { &fixed6 })?;
        ws.set_column_width(c, 14.0f64.max(heading_width(&heads[usize::from(c)])))?;
    }
    let what = |b: &str| format!("tree branch {b}");
    for (i, b) in tree.branches.iter().enumerate() {
        let r = 1 + i as u32;
        let mut tr = |e: &Expr| translate_or_note(e, &cells, &what(&b.name), &strategy.name, problems);
        ws.write_string(r, 0, &b.name)?;
        let siblings: Vec<usize> = (0..tree.branches.len()).filter(|&j| tree.branches[j].parent == b.parent).collect();
        if let Some(p) = b.parent {
            ws.write_string(r, 1, &tree.branches[p].name)?;
        }
        let probability = match &b.probability {
            EntryValue::Formula(f) => tr(&f.expr),
            EntryValue::Complement => {
                let given: String = siblings
                    .iter()
                    .filter(|&&j| matches!(tree.branches[j].probability, EntryValue::Formula(_)))
                    .map(|&j| format!("-{}", cell(2, 1 + j as u32)))
                    .collect();
                format!("1{given}")
            }
        };
        ws.write_formula(r, 2, Formula::new(format!("={probability}")))?;
        let reach = match b.parent {
            Some(p) => format!("={}*{}", cell(3, 1 + p as u32), cell(2, r)),
            None => format!("={}", cell(2, r)),
        };
        ws.write_formula(r, 3, Formula::new(reach))?;
        for (c, f) in &b.values.costs {
            let t = tr(&f.expr);
            ws.write_formula(r, cat0 + c.index() as u16, Formula::new(format!("={t}")))?;
        }
        if let Some(q) = &b.values.qaly {
            let t = tr(&q.expr);
            ws.write_formula(r, qcol, Formula::new(format!("={t}")))?;
        }
        let arm_cells = match b.arm.and_then(|k| arms.get(k).map(|a| (k, a))) {
            Some((k, (sheet, t))) => {
                ws.write_string(r, arm_col, &model.arms[k].name)?;
                for (j, c) in [&t.cost, &t.qaly, &t.ly].into_iter().enumerate() {
                    ws.write_formula(r, arm_col + 1 + j as u16, Formula::new(format!("='{sheet}'!{c}")))?;
                }
                true
            }
            None => false,
        };
        let arm = |j: u16| if arm_cells { format!("+{}", cell(arm_col + 1 + j, r)) } else { String::new() };
        let costs = format!("SUM({}:{})", cell(cat0, r), cell(qcol - 1, r));
        ws.write_formula(r, own, Formula::new(format!("={costs}{}", arm(0))))?;
        ws.write_formula(r, own + 1, Formula::new(format!("=N({}){}", cell(qcol, r), arm(1))))?;
        ws.write_formula(r, own + 2, Formula::new(format!("=0{}", arm(2))))?;
    }
    let last = tree.branches.len() as u32;
    let tr_row = last + 2;
    ws.write_string_with_format(tr_row, 0, "total (weighted by reach)", bold)?;
    for j in 0..3 {
        let range = |c: u16| format!("{}:{}", cell(c, 1), cell(c, last));
        ws.write_formula(tr_row, own + j, Formula::new(format!("=SUMPRODUCT({},{})", range(3), range(own + j))))?;
    }
    Ok(Totals { cost: cell(own, tr_row), qaly: cell(own + 1, tr_row), ly: cell(own + 2, tr_row) })
}

/// The headings of a sheet's columns, written and remembered so that each column can be made
/// wide enough for its heading ([`heading_width`]).
#[derive(Default)]
struct Headings(Vec<(u16, String)>);

impl Headings {
    fn write(
        &mut self,
        ws: &mut Worksheet,
        col: u16,
        text: impl Into<String>,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let text = text.into();
        ws.write_string_with_format(0, col, &text, format)?;
        self.0.push((col, text));
        Ok(())
    }

    /// Sets each column's width to its heading's, never below `floor(col)`.
    fn size(&self, ws: &mut Worksheet, floor: impl Fn(u16) -> f64) -> Result<(), XlsxError> {
        for (col, text) in &self.0 {
            ws.set_column_width(*col, heading_width(text).max(floor(*col)))?;
        }
        Ok(())
    }
}

/// The width (in characters of the default font) a bold heading needs, with a margin so that
/// neighbouring headings do not touch: on one line up to 24, otherwise wrapped at spaces in the
/// header row's three lines (its longest word whole).
pub(crate) fn heading_width(text: &str) -> f64 {
    let width = |chars: usize| chars as f64 * 1.15 + 2.0;
    let one_line = width(text.chars().count());
    if one_line <= 24.0 {
        return one_line;
    }
    let longest = text.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
    width(longest.max(text.chars().count().div_ceil(3)))
}

struct Totals {
    cost: String,
    qaly: String,
    ly: String,
}

fn write_trace(
    model: &Model,
    sid: StrategyId,
    ws: &mut Worksheet,
    bold: &Format,
    problems: &mut Vec<String>,
) -> Result<(Totals, Vec<String>), ExcelError> {
    let s = &model.settings;
    let n = s.n_cycles as u32;
    let strategy = model.strategy(sid);
    let local = local_params(model, Some(sid));
    let inline = state_time_params(model, Some(sid));
    let mut notes = Vec::new();
    let mut headings = Headings::default();
    // Columns: cycle, time, local params, states, weights a b, dfc0 dfc1 dfe0 dfe1, categories, qaly, ly.
    let (cycle_col, time_col) = (0u16, 1u16);
    let mut col = 2u16;
    let mut local_col = vec![None; model.parameters.len()];
    for (i, is_local) in local.iter().enumerate() {
        if *is_local {
            local_col[i] = Some(col);
            headings.write(ws, col, &model.parameters[i].name, bold)?;
            col += 1;
        }
    }
    // Occupancy columns: one per state, or per cycle in the state (tunnel columns) for a state
    // that tracks time in state; (user state, time in state or 0), as the engine expands them.
    let state0 = col;
    let mut subs: Vec<(usize, usize)> = Vec::new();
    let mut sub_start = Vec::new();
    for (u, st) in model.states.iter().enumerate() {
        sub_start.push(subs.len());
        match st.track_cycles {
            Some(len) => subs.extend((1..=len).map(|j| (u, j))),
            None => subs.push((u, 0)),
        }
    }
    sub_start.push(subs.len());
    for (x, &(u, j)) in subs.iter().enumerate() {
        let name = &model.states[u].name;
        let head = match model.states[u].track_cycles {
            Some(len) if j == len => format!("{name} [{j}+]"),
            Some(_) => format!("{name} [{j}]"),
            None => name.clone(),
        };
        headings.write(ws, state0 + x as u16, head, bold)?;
    }
    col += subs.len() as u16;
    // A partitioned survival model: per curve its survival at the cycle's end boundary and the
    // same capped at the next curve out (the engine's crossing rule); occupancy partitions them.
    let curves: &[hta_model::CurveId] =
        if model.structure == Structure::PartitionedSurvival { &strategy.curves } else { &[] };
    let curve0 = col;
    for (i, c) in curves.iter().enumerate() {
        let name = &model.curves[c.index()].name;
        headings.write(ws, curve0 + 2 * i as u16, format!("S {name}"), bold)?;
        headings.write(ws, curve0 + 2 * i as u16 + 1, format!("S {name} capped"), bold)?;
    }
    col += 2 * curves.len() as u16;
    let wa = col;
    let heads = [
        "weight start",
        "weight end",
        "df costs start",
        "df costs end",
        "df effects start",
        "df effects end",
        "df transitions costs",
        "df transitions effects",
    ];
    for (i, h) in heads.iter().enumerate() {
        headings.write(ws, wa + i as u16, *h, bold)?;
    }
    let cat0 = wa + heads.len() as u16;
    for (c, name) in model.categories.iter().enumerate() {
        headings.write(ws, cat0 + c as u16, format!("cost {name}"), bold)?;
    }
    let qcol = cat0 + model.categories.len() as u16;
    let lcol = qcol + 1;
    // hta's values for what has no formula, right of the total cost column.
    let values = ValueColumns::new(model, sid, lcol + 2);
    headings.write(ws, qcol, "QALYs", bold)?;
    headings.write(ws, lcol, "life-years", bold)?;
    headings.write(ws, cycle_col, "cycle", bold)?;
    headings.write(ws, time_col, "time", bold)?;
    ws.set_freeze_panes(1, 2)?;
    // Room for wrapped headings (tunnel columns, discount factors).
    ws.set_row_height(0, 45)?;
    // Number formats by column (cells written without a format take their column's).
    let (fixed6, money, years) = (
        Format::new().set_num_format("0.000000"),
        Format::new().set_num_format("#,##0.00"),
        Format::new().set_num_format("0.00"),
    );
    ws.set_column_format(time_col, &years)?;
    for c in 2..cat0 {
        ws.set_column_format(c, &fixed6)?;
        ws.set_column_width(c, 13)?;
    }
    for c in cat0..qcol {
        ws.set_column_format(c, &money)?;
        ws.set_column_width(c, 14)?;
    }
    ws.set_column_format(qcol, &fixed6)?;
    ws.set_column_format(lcol, &fixed6)?;
    ws.set_column_format(lcol + 1, &money)?;
    ws.set_column_width(lcol + 1, 14)?;
    if s.counting == hta_model::Counting::Weights {
        notes.push(format!(
            "{}: custom counting weights written as values, one pair per cycle",
            sheet_name(if sid.index() < model.strategies.len() { "Trace" } else { "Arm" }, &strategy.name),
        ));
    }

    // Row 1: cycle 0, the initial cohort.
    ws.write_number(1, cycle_col, 0.0)?;
    ws.write_formula(1, time_col, Formula::new(format!("=MAX(0,{}-1)*hta_cycle_years", cell(cycle_col, 1))))?;
    // Cycle 0's cells: the partition's curves at t = 0 and the values charged at start.
    let nm0 = NameCells {
        model,
        strategy: Some(sid),
        local: &local_col,
        inline: &inline,
        state_time: None,
        row: 1,
        time_col,
        cycle_col,
        values: Some(&values),
    };
    if curves.is_empty() {
        for (u, v) in strategy.initial.iter().enumerate() {
            for x in sub_start[u]..sub_start[u + 1] {
                ws.write_number(1, state0 + x as u16, if x == sub_start[u] { *v } else { 0.0 })?;
            }
        }
    } else {
        write_local_params(model, sid, ws, &nm0, &local_col, problems)?;
        write_partition(model, ws, &nm0, curves, curve0, state0)?;
    }
    // Values charged at model start (cycle 0), undiscounted; they read cycle 0's parameters.
    {
        let nm = nm0;
        let at_start = &strategy.at_start;
        let formulas: Vec<&Expr> =
            at_start.costs.iter().map(|(_, f)| &f.expr).chain(at_start.qaly.iter().map(|f| &f.expr)).collect();
        if curves.is_empty() && formulas.iter().any(|e| refs_time(e, &local)) {
            write_local_params(model, sid, ws, &nm, &local_col, problems)?;
        }
        let mut tr = |e: &Expr| translate_or_note(e, &nm, "a value at start", &strategy.name, problems);
        for (c, f) in &at_start.costs {
            let t = tr(&f.expr);
            ws.write_formula(1, cat0 + c.index() as u16, Formula::new(format!("={t}")))?;
        }
        if let Some(q) = &at_start.qaly {
            let t = tr(&q.expr);
            ws.write_formula(1, qcol, Formula::new(format!("={t}")))?;
        }
    }
    let df = |rate: &str, t: String| format!("(1+{rate})^(-MAX(0,{t}-hta_disc_start_year))");
    for k in 1..=n {
        let r = k + 1;
        let nm = NameCells {
            model,
            strategy: Some(sid),
            local: &local_col,
            inline: &inline,
            state_time: None,
            row: r,
            time_col,
            cycle_col,
            values: Some(&values),
        };
        // Formulas of tunnel column `j` read `state_time = j`.
        let tr_at = |j: usize, e: &Expr, what: &str, problems: &mut Vec<String>| {
            let cells = NameCells { state_time: (j > 0).then_some(j), ..nm };
            translate_or_note(e, &cells, what, &strategy.name, problems)
        };
        ws.write_number(r, cycle_col, f64::from(k))?;
        ws.write_formula(r, time_col, Formula::new(format!("=MAX(0,{}-1)*hta_cycle_years", cell(cycle_col, r))))?;
        write_local_params(model, sid, ws, &nm, &local_col, problems)?;
        // Occupancy: sum over source states of the previous row times the probability.
        let mut terms: Vec<Vec<String>> = vec![Vec::new(); subs.len()];
        // Transition values: flow × value per category (and QALYs), discounted at the event.
        let mut event_costs: Vec<Vec<String>> = vec![Vec::new(); model.categories.len()];
        let mut event_qalys: Vec<String> = Vec::new();
        for (x, &(u, j)) in subs.iter().enumerate() {
            let Some(row) = strategy.rows.get(u) else { continue };
            let tr = |e: &Expr, what: &str, problems: &mut Vec<String>| tr_at(j, e, what, problems);
            let mut explicit = Vec::new();
            for e in &row.entries {
                if let EntryValue::Formula(f) = &e.value {
                    explicit.push(tr(&f.expr, "a transition", problems));
                }
            }
            for e in &row.entries {
                let p = match &e.value {
                    EntryValue::Formula(f) => tr(&f.expr, "a transition", problems),
                    EntryValue::Complement => {
                        let others: String = explicit.iter().map(|x| format!("-{x}")).collect();
                        format!("(1{others})")
                    }
                };
                let flow = format!("{}*{p}", cell(state0 + x as u16, r - 1));
                for tv in model.transition_values.iter().filter(|tv| tv.applies(row.from, e.to)) {
                    for (c, f) in &tv.values.costs {
                        let v = tr(&f.expr, "a transition value", problems);
                        event_costs[c.index()].push(format!("{flow}*{v}"));
                    }
                    if let Some(q) = &tv.values.qaly {
                        let v = tr(&q.expr, "a transition value", problems);
                        event_qalys.push(format!("{flow}*{v}"));
                    }
                }
                // Staying moves one tunnel column on (the last holds); entering lands in the first.
                let target = e.to.index();
                let to =
                    if target == u && j > 0 { (sub_start[u] + j).min(sub_start[u + 1] - 1) } else { sub_start[target] };
                terms[to].push(flow);
            }
        }
        if curves.is_empty() {
            for (to, t) in terms.iter().enumerate() {
                let f = if t.is_empty() { "0".to_string() } else { t.join("+") };
                ws.write_formula(r, state0 + to as u16, Formula::new(format!("={f}")))?;
            }
        } else {
            write_partition(model, ws, &nm, curves, curve0, state0)?;
            // Deaths in the cycle (the fall of the outermost curve) carry the values of
            // transitions into the dead state.
            let outer = curve0 + 2 * curves.len() as u16 - 1;
            let flow = format!("({}-{})", cell(outer, r - 1), cell(outer, r));
            let dead = model.n_states() - 1;
            for tv in model.transition_values.iter().filter(|tv| tv.to.index() == dead) {
                for (c, f) in &tv.values.costs {
                    let v = translate_or_note(&f.expr, &nm, "a transition value", &strategy.name, problems);
                    event_costs[c.index()].push(format!("{flow}*{v}"));
                }
                if let Some(q) = &tv.values.qaly {
                    let v = translate_or_note(&q.expr, &nm, "a transition value", &strategy.name, problems);
                    event_qalys.push(format!("{flow}*{v}"));
                }
            }
        }
        match counting_weights(s.counting, &cell(cycle_col, r), s.n_cycles) {
            Some((a, b)) => {
                ws.write_formula(r, wa, Formula::new(format!("={a}")))?;
                ws.write_formula(r, wa + 1, Formula::new(format!("={b}")))?;
            }
            None => {
                let (a, b) =
                    hta_markov::counting::cycle_weights(s.counting, k as usize, s.n_cycles, &s.counting_weights);
                ws.write_number(r, wa, a)?;
                ws.write_number(r, wa + 1, b)?;
            }
        }
        let t0 = cell(time_col, r);
        let t1 = format!("({t0}+hta_cycle_years)");
        let (d0, d1) = match s.discount.timing {
            DiscountTiming::Point => (t0.clone(), t1),
            DiscountTiming::CycleStart => (t0.clone(), t0.clone()),
            DiscountTiming::CycleEnd => (t1.clone(), t1),
            DiscountTiming::CycleMiddle => {
                let m = format!("({t0}+hta_cycle_years/2)");
                (m.clone(), m)
            }
            DiscountTiming::AnnualStep => {
                let y = format!("INT({t0}+1E-9)");
                (y.clone(), y)
            }
        };
        // Transition values: at the event's own time under the point convention (the end or the
        // middle of the cycle), otherwise with the rest of their cycle (its end-side factor).
        let dev = match (s.discount.timing, s.transition_timing) {
            (DiscountTiming::Point, EventTiming::EndOfCycle) => format!("({t0}+hta_cycle_years)"),
            (DiscountTiming::Point, EventTiming::MidCycle) => format!("({t0}+hta_cycle_years/2)"),
            _ => d1.clone(),
        };
        for (i, (rate, t)) in [
            ("hta_disc_costs", d0.clone()),
            ("hta_disc_costs", d1.clone()),
            ("hta_disc_effects", d0),
            ("hta_disc_effects", d1),
            ("hta_disc_costs", dev.clone()),
            ("hta_disc_effects", dev),
        ]
        .into_iter()
        .enumerate()
        {
            ws.write_formula(r, wa + 2 + i as u16, Formula::new(format!("={}", df(rate, t))))?;
        }
        let events = |flows: &[String], df: u16| -> String {
            if flows.is_empty() {
                String::new()
            } else {
                format!("+{}*({})", cell(df, r), flows.join("+"))
            }
        };
        // Values: a·dfs·Σ m_prev·x + b·dfe·Σ m·x (× cycle years for effects).
        let weighted = |values: &[Option<String>], d0: u16, d1: u16, per_year: bool| -> String {
            let sum = |row: u32| -> String {
                let parts: Vec<String> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{}*{v}", cell(state0 + k as u16, row))))
                    .collect();
                if parts.is_empty() {
                    "0".to_string()
                } else {
                    parts.join("+")
                }
            };
            let years = if per_year { "*hta_cycle_years" } else { "" };
            format!(
                "=({}*{}*({})+{}*{}*({})){years}",
                cell(wa, r),
                cell(d0, r),
                sum(r - 1),
                cell(wa + 1, r),
                cell(d1, r),
                sum(r)
            )
        };
        for (c, category_events) in event_costs.iter().enumerate() {
            let values: Vec<Option<String>> = subs
                .iter()
                .map(|&(u, j)| {
                    let st = &model.states[u];
                    st.costs
                        .iter()
                        .find(|(cat, _)| cat.index() == c)
                        .map(|(_, f)| tr_at(j, &f.expr, &format!("the cost of state {}", st.name), problems))
                })
                .collect();
            let f = weighted(&values, wa + 2, wa + 3, false) + &events(category_events, wa + 6);
            ws.write_formula(r, cat0 + c as u16, Formula::new(f))?;
        }
        let utilities: Vec<Option<String>> = subs
            .iter()
            .map(|&(u, j)| {
                let st = &model.states[u];
                st.utility.as_ref().map(|f| tr_at(j, &f.expr, &format!("the utility of state {}", st.name), problems))
            })
            .collect();
        let f = weighted(&utilities, wa + 4, wa + 5, true) + &events(&event_qalys, wa + 7);
        ws.write_formula(r, qcol, Formula::new(f))?;
        let lys: Vec<Option<String>> = subs
            .iter()
            .map(|&(u, j)| {
                let st = &model.states[u];
                Some(tr_at(j, &st.life_years.expr, &format!("the life-years of state {}", st.name), problems))
            })
            .collect();
        ws.write_formula(r, lcol, Formula::new(weighted(&lys, wa + 4, wa + 5, true)))?;
    }
    // Totals row.
    let tr_row = n + 3;
    ws.write_string_with_format(tr_row, 0, "total", bold)?;
    let sum = |c: u16| format!("SUM({}:{})", cell(c, 1), cell(c, n + 1));
    for c in cat0..=lcol {
        ws.write_formula(tr_row, c, Formula::new(format!("={}", sum(c))))?;
    }
    let cost_col = lcol + 1;
    headings.write(ws, cost_col, "total cost", bold)?;
    ws.write_formula(
        tr_row,
        cost_col,
        Formula::new(format!("=SUM({}:{})", cell(cat0, tr_row), cell(qcol - 1, tr_row))),
    )?;
    // Every column at least as wide as its heading's longest word (headings wrap at spaces).
    let floor = |c: u16| match c {
        c if (2..cat0).contains(&c) => 13.0,
        c if (cat0..qcol).contains(&c) || c == cost_col => 14.0,
        _ => 9.0,
    };
    headings.size(ws, floor)?;
    let sheet = sheet_name(if sid.index() < model.strategies.len() { "Trace" } else { "Arm" }, &strategy.name);
    notes.extend(values.write(ws, &sheet, bold, &value_format(), tr_row + 2)?);
    Ok((Totals { cost: cell(cost_col, tr_row), qaly: cell(qcol, tr_row), ly: cell(lcol, tr_row) }, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simpson_weights_use_the_three_eighths_tail_only_for_odd_counts() {
        let (a, b) = counting_weights(hta_model::Counting::Simpson, "$A$3", 29).expect("a formula");
        assert_eq!(a, "IF($A$3>=27,CHOOSE($A$3-26,3/8,1/2,5/8),IF(MOD($A$3,2)=1,1/3,2/3))");
        assert_eq!(b, "IF($A$3>=27,CHOOSE($A$3-26,5/8,1/2,3/8),IF(MOD($A$3,2)=1,2/3,1/3))");
        let (a, _) = counting_weights(hta_model::Counting::Simpson, "k", 30).expect("a formula");
        assert_eq!(a, "IF(MOD(k,2)=1,1/3,2/3)");
        assert!(counting_weights(hta_model::Counting::Weights, "k", 30).is_none());
    }

    #[test]
    fn headings_fit_on_one_line_or_wrap_with_their_longest_word_whole() {
        // 16 characters: one line, 16 × 1.15 + 2.
        assert!((heading_width("c_lamivudine_now") - 20.4).abs() < 1e-9);
        // 20 characters would be 25 wide: wrapped, the width of "transitions" (11).
        assert!((heading_width("df transitions costs") - 14.65).abs() < 1e-9);
        // One word of 30 characters cannot wrap: all of it.
        assert!((heading_width(&"x".repeat(30)) - 36.5).abs() < 1e-9);
    }

    #[test]
    fn names_that_read_as_cells_are_prefixed() {
        assert_eq!(excel_name("p_ab"), "p_ab");
        assert_eq!(excel_name("rr1"), "_rr1");
        assert_eq!(excel_name("c"), "_c");
    }
}
