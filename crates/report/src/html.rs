//! The self-contained HTML report: one file, figures inline as SVG, styles inline, no scripts,
//! fonts, images or links outside the file. Sections follow the CHEERS 2022 items the toolkit can
//! fill (DOMAIN.md §6.1); labels in English or Simplified Chinese.

use crate::figures::Figure;
use crate::tables::{self, Table};
use crate::CeaRun;

pub use crate::language::Lang;
use crate::language::{translate, zh};

/// Which part of the report an [`Extra`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    OneWay,
    Scenarios,
    Subgroups,
    Psa,
    Budget,
    /// The live workbook written with the pack (`hta report --excel`), in the run record.
    Workbook,
}

/// What another analysis contributes to the report: sentences, tables and figures.
#[derive(Debug, Clone)]
pub struct Extra {
    pub part: Part,
    pub notes: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
    /// Full tables for the workbook: (sheet name, CSV text).
    pub sheets: Vec<(String, String)>,
}

impl Extra {
    pub fn new(part: Part) -> Extra {
        Extra { part, notes: Vec::new(), tables: Vec::new(), figures: Vec::new(), sheets: Vec::new() }
    }
}

/// Rows shown of a long table; the CSV files and the workbook hold them all.
const MAX_SHOWN_ROWS: usize = 40;

struct Writer {
    lang: Lang,
    out: String,
    tables: usize,
    figures: usize,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Writer {
    fn t(&self, label: &str) -> String {
        translate(self.lang, label)
    }

    fn section(&mut self, id: &str, title: &str, cheers: &str) {
        let cheers = if cheers.is_empty() {
            String::new()
        } else {
            format!(" <span class=\"cheers\">{} {cheers}</span>", escape(&self.t("CHEERS 2022 items")))
        };
        self.out.push_str(&format!("<section id=\"{id}\">\n<h2>{}{cheers}</h2>\n", escape(&self.t(title))));
    }

    fn end_section(&mut self) {
        self.out.push_str("</section>\n");
    }

    fn heading(&mut self, text: &str) {
        self.out.push_str(&format!("<h3>{}</h3>\n", escape(&self.t(text))));
    }

    /// A paragraph; text between backticks (names from the model file) is set as code.
    fn paragraph(&mut self, text: &str) {
        let escaped = escape(text);
        let parts: Vec<&str> = escaped.split('`').collect();
        let mut out = String::with_capacity(escaped.len());
        for (k, part) in parts.iter().enumerate() {
            if k % 2 == 0 {
                out.push_str(part);
            } else if k + 1 < parts.len() {
                // Between a pair of backticks.
                out.push_str(&format!("<code>{part}</code>"));
            } else {
                // An unpaired last backtick stays as it is.
                out.push('`');
                out.push_str(part);
            }
        }
        self.out.push_str(&format!("<p>{out}</p>\n"));
    }

    fn table(&mut self, table: &Table) {
        self.tables += 1;
        let shown = table.rows.len().min(MAX_SHOWN_ROWS);
        let more = if table.rows.len() > shown {
            format!(
                " ({} of {}: {})",
                shown,
                table.rows.len(),
                self.t("first rows shown; all rows are in the CSV files and the workbook")
            )
        } else {
            String::new()
        };
        self.out.push_str(&format!(
            "<p class=\"caption\">{} {}. {}{}</p>\n<table>\n<thead><tr>",
            escape(&self.t("Table")),
            self.tables,
            escape(&self.t(&table.caption)),
            escape(&more)
        ));
        let numeric: Vec<bool> = (0..table.header.len()).map(|c| table.is_numeric(c)).collect();
        for (c, h) in table.header.iter().enumerate() {
            let label = match zh(h) {
                Some(zh) if self.lang == Lang::Zh && table.heading(c).ends_with("(millions)") => {
                    format!("{zh}（百万）")
                }
                Some(zh) if self.lang == Lang::Zh => zh.to_string(),
                _ => table.heading(c),
            };
            self.out.push_str(&format!("<th>{}</th>", escape(&label)));
        }
        self.out.push_str("</tr></thead>\n<tbody>\n");
        for r in 0..shown {
            self.out.push_str("<tr>");
            for (c, is_number) in numeric.iter().enumerate() {
                let class = if *is_number { " class=\"num\"" } else { "" };
                self.out.push_str(&format!("<td{class}>{}</td>", escape(&table.display(r, c))));
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }

    fn svg_figure(&mut self, svg: &str, caption: &str) {
        self.figures += 1;
        self.out.push_str(&format!(
            "<figure>\n{}<figcaption>{} {}. {}</figcaption>\n</figure>\n",
            inline_svg(svg),
            escape(&self.t("Figure")),
            self.figures,
            escape(caption)
        ));
    }

    fn figure(&mut self, figure: &Figure) -> Result<(), String> {
        let figure = crate::language::figure(self.lang, figure);
        let svg = figure.svg_in(self.lang)?;
        self.svg_figure(&svg, &figure.title);
        Ok(())
    }
}

/// An SVG document as an element inside HTML: no XML declaration, no namespace attribute.
fn inline_svg(svg: &str) -> String {
    let body = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    };
    let mut text = body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn csv_table(caption: &str, csv: &str) -> Table {
    Table::from_csv(caption, csv).unwrap_or_else(|| Table::text(caption, &[], Vec::new()))
}

const STYLE: &str = "body{font-family:'DejaVu Sans','Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.45}
header{background:#0b3d5c;color:#fff;padding:1.4em 2em}header h1{margin:0 0 .3em 0;font-size:1.7em}header p{margin:.2em 0;opacity:.92}
main{max-width:1000px;margin:0 auto;padding:0 1.5em 3em}nav{background:#f3f6f9;border:1px solid #dde4ea;padding:.6em 1.2em;margin:1.5em 0}
nav ol{margin:.3em 0;padding-left:1.4em;columns:2}nav a{color:#0b3d5c;text-decoration:none}
h2{border-bottom:2px solid #0b3d5c;padding-bottom:.2em;margin-top:2em;color:#0b3d5c}h3{margin-top:1.5em}
.cheers{font-size:.55em;font-weight:normal;color:#666;margin-left:.6em;white-space:nowrap}
table{border-collapse:collapse;margin:1em 0;font-size:.86em;width:auto;max-width:100%;display:block;overflow-x:auto}
.caption{font-weight:bold;margin:1.2em 0 .3em 0;font-size:.9em}table{margin-top:0}
th{background:#eef3f7;text-align:left;border-bottom:2px solid #9fb3c4;padding:.35em .6em;vertical-align:bottom}
td{border-bottom:1px solid #e3e8ec;padding:.3em .6em;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em;background:#f1f3f5;padding:0 .2em;border-radius:2px}
figure{margin:1.5em 0;text-align:center}figure svg{max-width:100%;height:auto;border:1px solid #e3e8ec}
figcaption{font-size:.9em;color:#333;margin-top:.4em}.none{color:#777;font-style:italic}
.record{font-family:'DejaVu Sans Mono',monospace;font-size:.8em;word-break:break-all}
@media print{body{max-width:none;margin:0;font-size:9pt}header{background:none;color:#000}nav{display:none}
table{display:table;overflow:visible;font-size:7.5pt;page-break-inside:auto}tr{page-break-inside:avoid}
th,td{padding:.15em .3em}figure{page-break-inside:avoid}h2{page-break-after:avoid}}";

/// The whole report as one HTML document.
pub fn report(run: &CeaRun, base_figures: &[Figure], extras: &[Extra], lang: Lang) -> Result<String, String> {
    let model = run.model;
    let mut w = Writer { lang, out: String::new(), tables: 0, figures: 0 };
    let title = escape(&model.metadata.title);
    let lang_code = match lang {
        Lang::En => "en",
        Lang::Zh => "zh-CN",
    };
    w.out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{lang_code}\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n<p>{}</p>\n",
        escape(&w.t("Health economic evaluation report"))
    ));
    if let Some(d) = &model.metadata.description {
        w.out.push_str(&format!("<p>{}</p>\n", escape(d.trim())));
    }
    w.out.push_str(&format!(
        "<p>{} {} {} · {}</p>\n</header>\n<main>\n",
        escape(&w.t("Generated by")),
        run.record.tool,
        run.record.version,
        escape(&format!("SHA-256 {}", run.record.inputs.first().map_or("", |i| i.sha256.as_str())))
    ));

    let has = |p: Part| extras.iter().any(|e| e.part == p);
    let mut contents = vec![
        ("summary", "Executive summary"),
        ("setting", "Setting and perspective"),
        ("comparators", "Comparators"),
        ("horizon", "Time horizon"),
        ("discounting", "Discounting and counting"),
        ("outcomes", "Outcomes and thresholds"),
        ("structure", "Model structure"),
        ("parameters", "Parameters"),
        ("base-case", "Base-case results"),
    ];
    if has(Part::Subgroups) {
        contents.push(("heterogeneity", "Heterogeneity (subgroups)"));
    }
    contents.push(("uncertainty", "Uncertainty"));
    if has(Part::Budget) {
        contents.push(("budget", "Budget impact"));
    }
    contents.push(("cheers", "CHEERS 2022 checklist"));
    contents.push(("run-record", "Run record"));
    w.out.push_str(&format!("<nav>\n<strong>{}</strong>\n<ol>\n", escape(&w.t("Contents"))));
    for (id, title) in &contents {
        w.out.push_str(&format!("<li><a href=\"#{id}\">{}</a></li>\n", escape(&w.t(title))));
    }
    w.out.push_str("</ol>\n</nav>\n");

    w.section("summary", "Executive summary", "2, 23");
    for sentence in executive_summary(run, w.lang) {
        w.paragraph(&sentence);
    }
    w.end_section();

    let settings = tables::settings_rows(model);
    let pick = |caption: &str, keys: &[&str]| -> Table {
        let rows = settings
            .iter()
            .filter(|(k, v)| !v.is_empty() && keys.iter().any(|key| k == key || k.starts_with(&format!("{key} "))))
            .map(|(k, v)| {
                // `threshold <label>`: translate the word, keep the model's label.
                let key = match k.split_once(' ') {
                    Some((word, rest)) => format!("{} {rest}", translate(lang, word)),
                    None => translate(lang, k),
                };
                vec![key, v.clone()]
            })
            .collect();
        Table::text(caption, &["setting", "value"], rows)
    };

    w.section("setting", "Setting and perspective", "5, 8, 14, 15");
    w.table(&pick(
        "Setting, perspective and currency",
        &["structure", "perspective", "country", "currency", "price_year", "start_age"],
    ));
    if !model.categories.is_empty() {
        w.paragraph(&format!("Cost categories: {}.", model.categories.join(", ")));
    }
    if let Some(line) = crate::terminal::perspective_line(model, false) {
        w.paragraph(&format!("{line}."));
    }
    w.end_section();

    w.section("comparators", "Comparators", "7");
    let rows = model.strategies.iter().map(|s| vec![s.name.clone(), s.label.clone().unwrap_or_default()]).collect();
    w.table(&Table::text("Strategies compared", &["strategy", "label"], rows));
    if !model.arms.is_empty() {
        let rows = model.arms.iter().map(|s| vec![s.name.clone(), s.label.clone().unwrap_or_default()]).collect();
        w.table(&Table::text(
            "Arms (entered from the decision trees; not compared themselves)",
            &["arm", "label"],
            rows,
        ));
    }
    w.end_section();

    w.section("horizon", "Time horizon", "9");
    w.table(&pick("Time horizon and cycle length", &["cycle", "cycles", "horizon_years"]));
    w.end_section();

    w.section("discounting", "Discounting and counting", "10, 17");
    w.table(&pick(
        "Discount rates, their timing and within-cycle correction",
        &["discount_costs", "discount_effects", "discount_timing", "counting", "transition_timing"],
    ));
    w.end_section();

    w.section("outcomes", "Outcomes and thresholds", "11, 12, 13");
    w.table(&pick(
        "Outcome measure, reference strategy and willingness-to-pay thresholds",
        &["effect", "reference", "threshold"],
    ));
    w.end_section();

    w.section("structure", "Model structure", "16");
    let diagram = crate::diagram::state_diagram(model);
    let caption = w.t("State diagram (self-transitions not drawn)");
    w.svg_figure(&diagram, &caption);
    let rows = model
        .states
        .iter()
        .map(|s| {
            vec![s.name.clone(), s.label.clone().unwrap_or_default(), if s.dead { "yes".into() } else { String::new() }]
        })
        .collect();
    w.table(&Table::text("Health states", &["state", "label", "dead"], rows));
    for (i, s) in model.strategies.iter().enumerate() {
        let numbers = hta_markov::leaf_payoffs(model, hta_model::StrategyId::new(i)).and_then(Result::ok);
        if let Some(svg) = crate::diagram::tree_diagram(model, i, numbers.as_ref(), w.lang) {
            let caption = format!("{}: {}", w.t("Decision tree of strategy"), s.name);
            w.svg_figure(&svg, &caption);
        }
    }
    if model.has_trees() {
        w.table(&Table::text(
            "Decision trees in front of the model (probabilities given the branch above)",
            &["strategy", "branch", "probability", "values", "leads to"],
            tree_rows(model),
        ));
    }
    if model.structure == hta_model::Structure::Markov {
        let mut rows = Vec::new();
        for s in model.strategies.iter().chain(&model.arms) {
            for row in &s.rows {
                for e in &row.entries {
                    let value = match &e.value {
                        hta_model::EntryValue::Formula(f) => f.text.clone(),
                        hta_model::EntryValue::Complement => "complement (1 − the rest of the row)".into(),
                    };
                    rows.push(vec![
                        s.name.clone(),
                        model.states[row.from.index()].name.clone(),
                        model.states[e.to.index()].name.clone(),
                        value,
                    ]);
                }
            }
        }
        w.table(&Table::text("Transitions", &["strategy", "from", "to", "probability"], rows));
    }
    w.end_section();

    w.section("parameters", "Parameters", "14, 22");
    let parameters = Table::text(
        "Parameters with ranges, distributions and sources",
        &tables::PARAMETER_COLUMNS,
        tables::parameter_rows_for_people(model),
    );
    // Every parameter is shown (in tables of at most MAX_SHOWN_ROWS rows): the parameter table
    // is the one reviewers check line by line.
    if parameters.rows.is_empty() {
        w.table(&parameters);
    }
    for chunk in parameters.rows.chunks(MAX_SHOWN_ROWS) {
        w.table(&Table { rows: chunk.to_vec(), ..parameters.clone() });
    }
    w.end_section();

    w.section("base-case", "Base-case results", "23");
    for table in base_case_tables(run, w.lang) {
        w.table(&table);
    }
    for f in base_figures {
        w.figure(f)?;
    }
    w.end_section();

    if has(Part::Subgroups) {
        w.section("heterogeneity", "Heterogeneity (subgroups)", "18");
        extra_content(&mut w, extras, Part::Subgroups)?;
        w.end_section();
    }

    w.section("uncertainty", "Uncertainty", "20, 24");
    for (part, title) in [
        (Part::OneWay, "One-way sensitivity analysis"),
        (Part::Scenarios, "Scenario analysis"),
        (Part::Psa, "Probabilistic sensitivity analysis"),
    ] {
        w.heading(title);
        extra_content(&mut w, extras, part)?;
    }
    w.end_section();

    if has(Part::Budget) {
        w.section("budget", "Budget impact", "");
        extra_content(&mut w, extras, Part::Budget)?;
        w.end_section();
    }

    w.section("cheers", "CHEERS 2022 checklist", "");
    w.table(&cheers_checklist(w.lang, has(Part::Subgroups), extras.iter().any(|e| e.part != Part::Subgroups)));
    w.end_section();

    w.section("run-record", "Run record", "");
    let rows = run.record.inputs.iter().map(|i| vec![i.path.clone(), i.sha256.clone()]).collect();
    w.table(&Table::text("Inputs and their SHA-256", &["input", "sha256"], rows));
    if !run.record.overrides.is_empty() {
        let rows = run.record.overrides.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
        w.table(&Table::text("Overrides", &["parameter", "value"], rows));
    }
    if has(Part::Workbook) {
        w.heading("Live workbook");
        extra_content(&mut w, extras, Part::Workbook)?;
    }
    if !run.record.warnings.is_empty() {
        w.heading("Warnings");
        for warning in &run.record.warnings {
            w.paragraph(warning);
        }
    }
    w.end_section();
    w.out.push_str("</main>\n</body>\n</html>\n");
    Ok(w.out)
}

/// One row per decision-tree branch: its path, probability, one-off values and where it leads.
fn tree_rows(model: &hta_model::Model) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for s in &model.strategies {
        let Some(tree) = &s.tree else { continue };
        // Depth first, siblings in the order written.
        let mut order = Vec::new();
        let mut stack: Vec<usize> = tree.children(None).collect::<Vec<_>>().into_iter().rev().collect();
        while let Some(i) = stack.pop() {
            order.push(i);
            stack.extend(tree.children(Some(i)).collect::<Vec<_>>().into_iter().rev());
        }
        for i in order {
            let b = &tree.branches[i];
            let mut path = vec![b.name.as_str()];
            let mut parent = b.parent;
            while let Some(p) = parent {
                path.push(&tree.branches[p].name);
                parent = tree.branches[p].parent;
            }
            path.reverse();
            let probability = match &b.probability {
                hta_model::EntryValue::Formula(f) => f.text.clone(),
                hta_model::EntryValue::Complement => "C (1 − the other branches)".into(),
            };
            let mut values: Vec<String> = b
                .values
                .costs
                .iter()
                .map(|(c, f)| format!("{} cost {}", model.categories[c.index()], f.text))
                .collect();
            if let Some(q) = &b.values.qaly {
                values.push(format!("QALYs {}", q.text));
            }
            let leads = match (b.arm, tree.is_leaf(i)) {
                (Some(a), _) => format!("arm {}", model.arms[a].name),
                (None, true) => "ends".into(),
                (None, false) => String::new(),
            };
            rows.push(vec![s.name.clone(), path.join(" › "), probability, values.join("; "), leads]);
        }
    }
    rows
}

/// The base-case tables (CHEERS 23): totals, the incremental analysis, each strategy against
/// the reference, net monetary benefit at each threshold.
/// The headline in sentences: what was compared, each strategy's totals, the incremental result
/// of each frontier step with its quadrant, and the decision at each threshold. Strategies are
/// called by their labels; the sentences are in the report's language.
fn executive_summary(run: &CeaRun, lang: Lang) -> Vec<String> {
    let model = run.model;
    let zh = lang == Lang::Zh;
    let money = |v: f64| format!("{} {}", crate::number::grouped(v, 0), model.metadata.currency);
    let shown = |i: usize| model.strategies[i].shown();
    let unit = match (zh, model.settings.effect) {
        (true, hta_model::EffectMeasure::Qaly) => "QALY",
        (true, hta_model::EffectMeasure::LifeYears) => "生命年",
        (false, measure) => measure.unit(),
    };
    let years = crate::number::significant(model.settings.n_cycles as f64 * model.settings.cycle_years, 4);
    let (costs, effects) =
        ((model.settings.discount.costs * 1e4).round() / 1e2, (model.settings.discount.effects * 1e4).round() / 1e2);
    let n = run.results.len();
    let mut out = vec![match (zh, model.structure) {
        (false, structure) => format!(
            "{n} strategies were compared over {years} years with a {} model, discounted at {costs}% (costs) and {effects}% (effects) a year.",
            match structure {
                hta_model::Structure::Markov => "Markov cohort",
                hta_model::Structure::PartitionedSurvival => "partitioned survival",
            }
        ),
        (true, structure) => format!(
            "采用{}模型比较了 {n} 个方案，研究时限 {years} 年，成本与健康产出每年分别按 {costs}% 和 {effects}% 贴现。",
            match structure {
                hta_model::Structure::Markov => "马尔可夫队列",
                hta_model::Structure::PartitionedSurvival => "分区生存",
            }
        ),
    }];
    let totals: Vec<String> = (0..n)
        .map(|i| {
            let (cost, effect) = (money(run.results[i].total_cost(true)), crate::number::grouped(run.effect(i), 3));
            if zh {
                format!("{}：{cost}，{effect} {unit}", shown(i))
            } else {
                format!("{}: {cost} and {effect} {unit}", shown(i))
            }
        })
        .collect();
    out.push(if zh {
        format!("每人贴现后总计：{}。", totals.join("；"))
    } else {
        format!("Discounted totals per person: {}.", totals.join("; "))
    });
    for row in run.frontier {
        let name = shown(row.strategy);
        match (row.status, row.compared_with, row.icer) {
            (hta_analysis::Status::NonDominated, Some(c), Some(icer)) => {
                let (dc, de) = (
                    money(row.delta_cost.unwrap_or(f64::NAN)),
                    crate::number::grouped(row.delta_effect.unwrap_or(f64::NAN), 3),
                );
                out.push(if zh {
                    format!(
                        "{name}与{}相比：成本增加 {dc}，健康产出增加 {de} {unit}，增量成本效果比（ICER）为每 {unit} {}。",
                        shown(c),
                        money(icer)
                    )
                } else {
                    format!(
                        "{name} against {}: {dc} more for {de} {unit} more, an ICER of {} per {unit}.",
                        shown(c),
                        money(icer)
                    )
                });
            }
            (hta_analysis::Status::Dominated, ..) => out.push(match (zh, row.dominated_by) {
                (false, by) => format!(
                    "{name} is dominated{}: it costs more and is no more effective.",
                    by.map(|d| format!(" by {}", shown(d))).unwrap_or_default()
                ),
                (true, Some(d)) => format!("{name}被{}绝对劣势（成本更高且效果不更好）。", shown(d)),
                (true, None) => format!("{name}处于绝对劣势（成本更高且效果不更好）。"),
            }),
            (hta_analysis::Status::ExtendedlyDominated, ..) => out.push(match (zh, row.between) {
                (false, between) => format!(
                    "{name} is extendedly dominated{}: a mix of its neighbours on the frontier gives more effect for the money.",
                    between.map(|(a, b)| format!(" (by {} and {})", shown(a), shown(b))).unwrap_or_default()
                ),
                (true, Some((a, b))) => {
                    format!("{name}被{}与{}扩展劣势：前沿上相邻方案的组合以同样花费获得更多效果。", shown(a), shown(b))
                }
                (true, None) => format!("{name}处于扩展劣势：前沿上相邻方案的组合以同样花费获得更多效果。"),
            }),
            _ => {}
        }
    }
    for (t, r) in model.settings.thresholds.iter().zip(run.thresholds) {
        out.push(if zh {
            format!("在{}（每 {unit} {}）下，净货币效益最高的方案是{}。", t.label, money(t.value), shown(r.optimal))
        } else {
            format!(
                "At {} ({} per {unit}) the strategy with the highest net monetary benefit is {}.",
                t.label,
                money(t.value),
                shown(r.optimal)
            )
        });
    }
    out
}

/// CHEERS 2022 (Husereau et al., Value Health 2022;25:3-9): each item and where this report
/// gives it; items only the authors can write are marked as such. In Chinese the topics follow
/// the Chinese translation of the checklist's item names and the places name the report's
/// own (translated) section headings.
fn cheers_checklist(lang: Lang, subgroups: bool, uncertainty: bool) -> Table {
    let zh = lang == Lang::Zh;
    let pick = |en: &str, zh_text: &str| if zh { zh_text.to_string() } else { en.to_string() };
    let sec = |name: &str| translate(lang, name);
    let space = if zh { "" } else { " " };
    let with = |name: &str, en: &str, zh_text: &str| format!("{}{space}{}", sec(name), pick(en, zh_text));
    let and = if zh { "；" } else { "; " };
    let authors = pick("to be reported by the authors (not produced by hta)", "由作者报告（hta 不生成）");
    let not_analysed = pick("not analysed in this report", "本报告未分析");
    let uncertainty_at = if uncertainty { sec("Uncertainty") } else { not_analysed.clone() };
    let items: [(&str, &str, &str, String); 28] = [
        (
            "1",
            "Title",
            "标题",
            pick(
                "report title (identify as an economic evaluation in the dossier title)",
                "报告标题（在申报材料标题中注明为经济学评价）",
            ),
        ),
        (
            "2",
            "Abstract",
            "摘要",
            with("Executive summary", "(the structured abstract is the authors')", "（结构式摘要由作者撰写）"),
        ),
        ("3", "Background and objectives", "背景与目的", authors.clone()),
        ("4", "Health economic analysis plan", "卫生经济学分析计划", authors.clone()),
        (
            "5",
            "Study population",
            "研究人群",
            with("Setting and perspective", "(cohort, start age)", "（队列、起始年龄）"),
        ),
        ("6", "Setting and location", "研究场景与地点", sec("Setting and perspective")),
        ("7", "Comparators", "对照", sec("Comparators")),
        ("8", "Perspective", "研究角度", sec("Setting and perspective")),
        ("9", "Time horizon", "研究时限", sec("Time horizon")),
        ("10", "Discount rate", "贴现率", sec("Discounting and counting")),
        ("11", "Selection of outcomes", "结局指标的选择", sec("Outcomes and thresholds")),
        ("12", "Measurement of outcomes", "结局指标的测量", with("Parameters", "(sources)", "（来源）")),
        (
            "13",
            "Valuation of outcomes",
            "结局指标的估值",
            with("Parameters", "(utilities and their sources)", "（效用值及其来源）"),
        ),
        (
            "14",
            "Measurement and valuation of resources and costs",
            "资源与成本的测量和估值",
            with("Parameters", "(costs and their sources)", "（成本及其来源）"),
        ),
        (
            "15",
            "Currency, price date and conversion",
            "货币、价格年份与换算",
            with("Setting and perspective", "(currency, price year)", "（货币、价格年份）"),
        ),
        ("16", "Rationale and description of model", "模型的选择依据与描述", sec("Model structure")),
        (
            "17",
            "Analytics and assumptions",
            "分析方法与假设",
            format!("{}{and}{}", sec("Discounting and counting"), with("Model structure", "(transitions)", "（转移）")),
        ),
        (
            "18",
            "Characterising heterogeneity",
            "异质性的描述",
            if subgroups {
                sec("Heterogeneity (subgroups)")
            } else {
                pick("not analysed: the model defines no subgroups", "未分析：模型未定义亚组")
            },
        ),
        ("19", "Characterising distributional effects", "分配效应的描述", authors.clone()),
        ("20", "Characterising uncertainty", "不确定性的描述", uncertainty_at.clone()),
        (
            "21",
            "Approach to engagement with patients and others affected by the study",
            "患者及其他受研究影响者的参与方式",
            authors.clone(),
        ),
        (
            "22",
            "Study parameters",
            "研究参数",
            with("Parameters", "(values, ranges, distributions, sources)", "（取值、范围、分布、来源）"),
        ),
        (
            "23",
            "Summary of main results",
            "主要结果概述",
            format!("{}{and}{}", sec("Base-case results"), sec("Executive summary")),
        ),
        ("24", "Effect of uncertainty", "不确定性的影响", uncertainty_at),
        (
            "25",
            "Effect of engagement with patients and others affected by the study",
            "患者及其他受研究影响者参与的影响",
            authors.clone(),
        ),
        (
            "26",
            "Study findings, limitations, generalisability and current knowledge",
            "研究发现、局限性、可推广性及与现有知识的关系",
            authors.clone(),
        ),
        ("27", "Source of funding", "资金来源", authors.clone()),
        ("28", "Conflicts of interest", "利益冲突", authors),
    ];
    let rows = items.into_iter().map(|(n, en, zh_topic, at)| vec![n.to_string(), pick(en, zh_topic), at]).collect();
    Table::text("CHEERS 2022 items and where this report gives them", &["item", "topic", "reported_in"], rows)
}

fn base_case_tables(run: &CeaRun, lang: Lang) -> Vec<Table> {
    let mut out = vec![
        csv_table("Totals per strategy (discounted; undiscounted in the CSV files)", &base_totals(run, true)),
        csv_table("Totals per strategy, undiscounted", &base_totals(run, false)),
        csv_table("Discounted costs per strategy by category", &costs_by_category(run)),
    ];
    if let Some(csv) = values_by_state(run, lang) {
        out.push(csv_table("Discounted costs, QALYs and life-years per strategy by state", &csv));
    }
    out.push(csv_table("Incremental analysis (efficiency frontier)", &tables::incremental_csv(run)));
    if !run.pairwise.is_empty() {
        out.push(csv_table("Each strategy against the reference", &tables::pairwise_csv(run)));
    }
    if !run.thresholds.is_empty() {
        out.push(csv_table("Net monetary benefit at each threshold", &tables::net_benefit_csv(run)));
    }
    out
}

/// Each cost category's discounted total per strategy, and the sum.
fn costs_by_category(run: &CeaRun) -> String {
    let categories = &run.model.categories;
    let rows = (0..run.results.len()).map(|i| {
        let r = &run.results[i];
        let mut row = vec![run.name(i).to_string()];
        row.extend((0..categories.len()).map(|c| r.total(c, true).to_string()));
        row.push(r.total_cost(true).to_string());
        row
    });
    let header: Vec<String> = std::iter::once("strategy".to_string())
        .chain(categories.iter().map(|c| format!("{c}_cost")))
        .chain(std::iter::once("total_cost".to_string()))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    tables::csv_text(&header, rows)
}

/// Each strategy's discounted cost, QALYs and life-years by the state they were counted in;
/// values at start and transition values in rows of their own where the model has them.
/// `None` if the run did not keep them.
fn values_by_state(run: &CeaRun, lang: Lang) -> Option<String> {
    use hta_markov::Source;
    let model = run.model;
    let has_qaly = model.has_utilities();
    let sources_of: Vec<&hta_markov::BySource> =
        run.results.iter().map(|r| r.by_source.as_ref()).collect::<Option<_>>()?;
    let any = |source: Source| sources_of.iter().any(|b| b.values(source, true).iter().any(|v| *v != 0.0));
    let mut sources: Vec<(Source, String)> =
        model.states.iter().enumerate().map(|(s, state)| (Source::State(s), state.shown().to_string())).collect();
    for (source, label) in [(Source::AtStart, "Values at start"), (Source::Transitions, "Transition values")] {
        if any(source) {
            sources.push((source, translate(lang, label)));
        }
    }
    let mut rows = Vec::new();
    for (i, b) in sources_of.iter().enumerate() {
        for (source, label) in &sources {
            let mut row = vec![run.name(i).to_string(), label.clone(), b.cost(*source, true).to_string()];
            if has_qaly {
                row.push(b.qaly(*source, true).to_string());
            }
            row.push(b.life_years(*source, true).to_string());
            rows.push(row);
        }
    }
    let mut header = vec!["strategy", "state", "cost"];
    if has_qaly {
        header.push("qaly");
    }
    header.push("ly");
    Some(tables::csv_text(&header, rows.into_iter()))
}

/// Totals per strategy with the columns a base-case table needs, discounted or not.
fn base_totals(run: &CeaRun, discounted: bool) -> String {
    let has_qaly = run.model.has_utilities();
    let rows = (0..run.results.len()).map(|i| {
        let r = &run.results[i];
        let mut row = vec![run.name(i).to_string(), r.total_cost(discounted).to_string()];
        if has_qaly {
            row.push(r.qaly(discounted).to_string());
        }
        row.push(r.life_years(discounted).to_string());
        row
    });
    let mut header = vec!["strategy", "cost"];
    if has_qaly {
        header.push("qaly");
    }
    header.push("ly");
    tables::csv_text(&header, rows)
}

fn extra_content(w: &mut Writer, extras: &[Extra], part: Part) -> Result<(), String> {
    let mut any = false;
    for extra in extras.iter().filter(|e| e.part == part) {
        any = true;
        for note in &extra.notes {
            w.paragraph(note);
        }
        for table in &extra.tables {
            w.table(table);
        }
        for figure in &extra.figures {
            w.figure(figure)?;
        }
    }
    if !any {
        w.out.push_str(&format!("<p class=\"none\">{}</p>\n", escape(&w.t("Not run"))));
    }
    Ok(())
}

/// Every table of the report as Markdown (base case, then the other analyses), for pasting into
/// a dossier.
pub fn markdown(run: &CeaRun, extras: &[Extra]) -> String {
    let model = run.model;
    let mut out = format!("# {}\n\n", tables::markdown_text(&model.metadata.title));
    let settings = tables::settings_rows(model).into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| vec![k, v]);
    let mut all = vec![Table::text("Settings of the model", &["setting", "value"], settings.collect())];
    all.extend(base_case_tables(run, Lang::En));
    for table in &all {
        out.push_str(&table.markdown());
    }
    for extra in extras {
        for note in &extra.notes {
            out.push_str(&format!("{}\n\n", tables::markdown_text(note)));
        }
        for table in &extra.tables {
            out.push_str(&table.markdown());
        }
    }
    out
}
