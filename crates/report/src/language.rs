//! The report's two languages: English, the toolkit's own, and Simplified Chinese. Labels and
//! headings are looked up in one table ([`zh`]); [`figure`] translates a figure's title, axes
//! and the toolkit's own series names, and [`legend_word`] the words the figures add to their
//! legends. The model's names, labels and numbers stay as written.

use crate::figures::{Figure, Plot};

/// The language of the report's labels (the model's own names and labels are shown as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

/// `label` in the report's language (English labels without a translation stay English).
pub fn translate(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => label.to_string(),
        Lang::Zh => zh(label).map_or_else(|| label.to_string(), str::to_string),
    }
}

/// A figure's title or axis label in Simplified Chinese: the English words the toolkit writes
/// are replaced, names and numbers from the model stay as they are.
fn figure_text(text: &str) -> String {
    const WORDS: [(&str, &str); 32] = [
        ("Net budget impact by year", "各年净预算影响"),
        ("Cumulative net budget impact", "累计净预算影响"),
        ("Care costs avoided by category: ", "按类别避免的医疗费用："),
        ("Payments by payer and year: ", "各支付方各年支付："),
        ("EVPPI per person at ", "人均部分完全信息期望值，阈值 "),
        ("Convergence: running mean cost per strategy", "收敛性：各方案成本的累计均值"),
        ("Cost-effectiveness plane (discounted)", "成本效果平面（贴现后）"),
        ("Cost-effectiveness plane: ", "成本效果平面："),
        ("Expected value of perfect information per person", "人均完全信息期望值"),
        ("Cost-effectiveness acceptability curves and frontier", "成本效果可接受曲线与前沿"),
        ("One-way sensitivity: ", "单因素敏感性分析："),
        ("State occupancy: ", "状态分布："),
        ("Survival curves as modelled (partitioned survival)", "模型中的生存曲线（分区生存）"),
        ("Optimal strategy at ", "最优方案，阈值 "),
        ("incremental net monetary benefit at ", "增量净货币效益，阈值 "),
        ("net monetary benefit at ", "净货币效益，阈值 "),
        ("Probability cost-effective", "具有成本效果的概率"),
        ("Proportion of the cohort", "队列比例"),
        ("Proportion surviving", "生存比例"),
        ("Years since model start", "自模型开始的年数"),
        ("Year", "年"),
        ("Draws", "抽样次数"),
        ("Cost (", "成本（"),
        ("Cumulative impact (", "累计影响（"),
        ("EVPI per person (", "人均完全信息期望值（"),
        ("EVPPI per person (", "人均部分完全信息期望值（"),
        ("Mean cost so far (", "累计平均成本（"),
        ("Net budget impact (", "净预算影响（"),
        ("Payments net of rebates (", "扣除返还后的支付（"),
        ("Offset: care without minus with (", "抵消：无新疗法与有新疗法的医疗费用之差（"),
        ("Willingness to pay (", "意愿支付（"),
        ("Cycle", "周期"),
    ];
    for (en, zh) in WORDS {
        if let Some(rest) = text.strip_prefix(en) {
            let rest = if en.ends_with('(') { rest.replacen(')', "）", 1) } else { rest.to_string() };
            let rest = rest.replace(" draws", " 次抽样").replace(" per ", " 每");
            return format!("{zh}{rest}");
        }
    }
    text.to_string()
}

/// English label -> Simplified Chinese.
pub(crate) fn zh(label: &str) -> Option<&'static str> {
    Some(match label {
        "Health economic evaluation report" => "卫生经济学评价报告",
        "Contents" => "目录",
        "Executive summary" => "摘要",
        "CHEERS 2022 checklist" => "CHEERS 2022 报告清单",
        "CHEERS 2022 items and where this report gives them" => "CHEERS 2022 条目及其在本报告中的位置",
        "Totals per strategy, undiscounted" => "各方案总计（未贴现）",
        "Discounted costs per strategy by category" => "各方案按类别的贴现成本",
        "Discounted costs, QALYs and life-years per strategy by state" => "各方案按健康状态的贴现成本、QALY 与生命年",
        "ends" => "结束",
        "QALYs" => "QALY",
        "life-years" => "生命年",
        "Values at start" => "起始时的一次性值",
        "Transition values" => "状态转移时的一次性值",
        "topic" => "主题",
        "payers_net_cost_over_horizon" => "支付方自付净成本（研究期内）",
        "manufacturer_pays" => "生产企业承担",
        "patients_pay" => "患者自付",
        "net_impact_over_horizon" => "研究期内净预算影响",
        "committed_after_horizon" => "研究期后已承诺支付",
        "nominal_per_patient" => "每例患者名义支付",
        "present_value_per_patient" => "每例患者支付现值",
        "break_even_year" => "收支平衡年份",
        "reported_in" => "报告位置",
        "Setting and perspective" => "研究背景与视角",
        "Comparators" => "干预措施与对照",
        "Time horizon" => "研究时限",
        "Discounting and counting" => "贴现与周期校正",
        "Outcomes and thresholds" => "健康产出与意愿支付阈值",
        "Model structure" => "模型结构",
        "Parameters" => "模型参数",
        "Base-case results" => "基础分析结果",
        "Uncertainty" => "不确定性分析",
        "One-way sensitivity analysis" => "单因素敏感性分析",
        "Scenario analysis" => "情景分析",
        "Heterogeneity (subgroups)" => "异质性（亚组分析）",
        "Probabilistic sensitivity analysis" => "概率敏感性分析",
        "Budget impact" => "预算影响分析",
        "Run record" => "运行记录",
        "Live workbook" => "可运算的 Excel 工作簿",
        "setting" => "设置",
        "value" => "取值",
        "strategy" => "方案",
        "label" => "说明",
        "state" => "健康状态",
        "dead" => "死亡状态",
        "parameter" => "参数",
        "definition" => "定义",
        "low" => "下限",
        "high" => "上限",
        "distribution" => "分布",
        "source" => "来源",
        "varied in" => "敏感性分析",
        "cost" => "成本",
        "qaly" => "QALY",
        "ly" => "生命年",
        "status" => "状态",
        "compared_with" => "比较对象",
        "icer" => "ICER",
        "delta_cost" => "增量成本",
        "delta_effect" => "增量效果",
        "note" => "注",
        "reference" => "参照方案",
        "quadrant" => "象限",
        "threshold" => "阈值",
        "nmb" => "净货币效益",
        "optimal" => "最优",
        "input" => "输入文件",
        "sha256" => "SHA-256",
        "item" => "项目",
        "from" => "从",
        "to" => "到",
        "probability" => "概率",
        "Settings of the model" => "模型设置",
        "structure" => "模型类型",
        "currency" => "货币",
        "price_year" => "价格年份",
        "perspective" => "研究视角",
        "country" => "国家或地区",
        "start_age" => "起始年龄",
        "cycle" => "周期长度",
        "cycles" => "周期数",
        "horizon_years" => "研究时限（年）",
        "discount_costs" => "成本贴现率",
        "discount_effects" => "健康产出贴现率",
        "discount_timing" => "贴现时点",
        "counting" => "周期内校正",
        "transition_timing" => "转移时点",
        "effect" => "健康产出指标",
        "Setting, perspective and currency" => "研究设置、视角与货币",
        "Time horizon and cycle length" => "研究时限与周期长度",
        "Discount rates, their timing and within-cycle correction" => "贴现率、贴现时点与周期内校正",
        "Outcome measure, reference strategy and willingness-to-pay thresholds" => "产出指标、参照方案与意愿支付阈值",
        "Strategies compared" => "比较的方案",
        "Health states" => "健康状态",
        "Transitions" => "转移概率",
        "Decision trees in front of the model (probabilities given the branch above)" => {
            "模型前端的决策树（各分支概率为在上一分支条件下的概率）"
        }
        "Arms (entered from the decision trees; not compared themselves)" => "治疗臂（由决策树进入，不单独比较）",
        "branch" => "分支",
        "Decision tree of strategy" => "方案的决策树",
        "Results by subgroup and weighted total" => "各亚组结果及加权合计",
        "One-way results, widest bars first" => "单因素敏感性分析结果（按影响大小排序）",
        "Probabilistic results per strategy" => "各方案的概率敏感性分析结果",
        "Probability cost-effective and EVPI at each threshold" => "各阈值下具有成本效果的概率与EVPI",
        "Scenario results" => "情景分析结果",
        "Net budget impact per scheme" => "各支付方案的净预算影响",
        "Net budget impact by year and scheme (impact columns)" => "各年度、各支付方案的净预算影响",
        "scenario" => "情景",
        "subgroup" => "亚组",
        "scheme" => "支付方案",
        "year" => "年份",
        "values" => "一次性成本与效用",
        "leads to" => "进入",
        "arm" => "治疗臂",
        "State diagram (self-transitions not drawn)" => "状态转移图（未画出停留在原状态的转移）",
        "Parameters with ranges, distributions and sources" => "参数：取值、范围、分布与来源",
        "Totals per strategy (discounted; undiscounted in the CSV files)" => "各方案总计（贴现后；未贴现值见CSV文件）",
        "Incremental analysis (efficiency frontier)" => "增量分析（效率前沿）",
        "Each strategy against the reference" => "各方案与参照方案比较",
        "Net monetary benefit at each threshold" => "各阈值下的净货币效益",
        "Willingness-to-pay thresholds" => "意愿支付阈值",
        "Inputs and their SHA-256" => "输入文件及其SHA-256",
        "Warnings" => "警告",
        "Not run" => "未运行",
        // Sheets of the workbook.
        "Run" => "运行记录",
        "Settings" => "模型设置",
        "Summary" => "结果汇总",
        "Incremental" => "增量分析",
        "Trace" => "状态分布轨迹",
        "Values" => "各周期取值",
        "One-way" => "单因素敏感性分析",
        "Two-way" => "双因素敏感性分析",
        "Scenarios" => "情景分析结果",
        "Subgroups" => "亚组分析",
        "PSA summary" => "概率敏感性分析汇总",
        "PSA thresholds" => "各阈值下的决策",
        "EVPPI" => "部分完全信息期望值",
        "CEAC" => "成本效果可接受曲线",
        "Budget risk" => "预算风险",
        "Budget summary" => "预算影响汇总",
        "Budget by year" => "各年预算影响",
        "Budget detail" => "预算影响明细",
        "Budget by payer" => "各支付方的预算影响",
        "Budget by category" => "按费用类别的预算影响",
        "Budget scenarios" => "预算情景分析",
        "Budget cohort contract" => "队列结果合同",
        "Figure" => "图",
        "Table" => "表",
        "CHEERS 2022 items" => "CHEERS 2022 条目",
        "Generated by" => "生成工具",
        "Overrides" => "参数覆盖",
        "first rows shown; all rows are in the CSV files and the workbook" => {
            "仅显示前若干行；全部数据见CSV文件与Excel工作簿"
        }
        _ => return None,
    })
}

/// Words the figures write into their own legends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendWord {
    /// Before a willingness-to-pay value on the CE plane.
    Wtp,
    EfficiencyFrontier,
    /// The tornado's two bar colours.
    LowValue,
    HighValue,
}

/// A legend word in `lang`.
/// The label of a standard scenario (`hta_app::scenarios::standard`: "Standard: no
/// discounting (0% costs and effects)", "Standard: R% a year for costs and effects
/// (GUIDELINE)", "Standard: horizon of N years (half the base case)") in `lang`; any other
/// label (the model's own) as it is.
pub fn scenario_label(lang: Lang, label: &str) -> String {
    let Some(rest) = label.strip_prefix("Standard: ").filter(|_| lang == Lang::Zh) else {
        return label.to_string();
    };
    if rest == "no discounting (0% costs and effects)" {
        return "标准情景：不贴现（成本与效果均为 0%）".to_string();
    }
    if let Some((rate, guideline)) = rest.split_once("% a year for costs and effects (") {
        let guideline = match guideline.strip_suffix(')').unwrap_or(guideline) {
            "China guidelines (2020)" => "《中国药物经济学评价指南》（2020）",
            "NICE manual (2022)" => "NICE 卫生技术评估方法手册（2022）",
            "CADTH guidelines (2017)" => "CADTH 经济学评价指南（2017）",
            "US Second Panel (2016)" => "美国第二届成本效果专家组（2016）",
            other => other,
        };
        return format!("标准情景：成本与效果每年贴现 {rate}%（{guideline}）");
    }
    if let Some(years) = rest.strip_prefix("horizon of ").and_then(|r| r.strip_suffix(" years (half the base case)")) {
        return format!("标准情景：研究时限 {years} 年（基础分析的一半）");
    }
    label.to_string()
}

pub fn legend_word(lang: Lang, word: LegendWord) -> &'static str {
    match (lang, word) {
        (Lang::En, LegendWord::Wtp) => "WTP",
        (Lang::En, LegendWord::EfficiencyFrontier) => "efficiency frontier",
        (Lang::En, LegendWord::LowValue) => "parameter at its low value",
        (Lang::En, LegendWord::HighValue) => "parameter at its high value",
        (Lang::Zh, LegendWord::Wtp) => "意愿支付阈值",
        (Lang::Zh, LegendWord::EfficiencyFrontier) => "效率前沿",
        (Lang::Zh, LegendWord::LowValue) => "参数取下限",
        (Lang::Zh, LegendWord::HighValue) => "参数取上限",
    }
}

/// The legend entry of a series drawn exactly under an earlier one.
pub fn same_as(lang: Lang, name: &str, earlier: &str) -> String {
    match lang {
        Lang::En => format!("{name} (same as {earlier})"),
        Lang::Zh => format!("{name}（与{earlier}相同）"),
    }
}

/// Whether a line series is the CEAF, drawn wide and light under the curves it follows (its
/// name starts with `CEAF`, or the Chinese name [`figure`] gives it).
pub fn is_frontier(series_name: &str) -> bool {
    series_name.starts_with("CEAF") || series_name.starts_with(CEAF_ZH)
}

const CEAF_ZH: &str = "成本效果可接受前沿";

/// A series name the toolkit writes (not one from the model) in Simplified Chinese.
fn series_name(name: &str) -> String {
    const NAMES: [(&str, &str); 6] = [
        ("CEAF (optimal in expectation)", "成本效果可接受前沿（CEAF，期望最优）"),
        ("EVPI", "完全信息期望值"),
        ("median, 95% interval", "中位数与 95% 区间"),
        ("KM 95% lower", "KM 95% 下限"),
        ("KM 95% upper", "KM 95% 上限"),
        ("Kaplan-Meier", "Kaplan-Meier 估计"),
    ];
    if let Some((_, zh)) = NAMES.iter().find(|(en, _)| *en == name) {
        return (*zh).to_string();
    }
    // The cumulative budget's break-even note after a scheme's label.
    if let Some((scheme, year)) = name.strip_suffix(')').and_then(|n| n.rsplit_once(" (net impact ≤ 0 from year ")) {
        return format!("{scheme}（自第 {year} 年起净影响 ≤ 0）");
    }
    name.to_string()
}

/// `figure` with its title, axes and the toolkit's own series names in `lang`.
pub fn figure(lang: Lang, figure: &Figure) -> Figure {
    if lang == Lang::En {
        return figure.clone();
    }
    let mut out = Figure {
        title: figure_text(&figure.title),
        x_label: figure_text(&figure.x_label),
        y_label: figure_text(&figure.y_label),
        ..figure.clone()
    };
    match &mut out.plot {
        Plot::Lines { series } | Plot::StackedBars { series } | Plot::Plane { series, .. } => {
            for s in series {
                s.name = series_name(&s.name);
            }
        }
        Plot::Fan { bands } => {
            for b in bands {
                b.name = series_name(&b.name);
            }
        }
        Plot::Tornado { .. } | Plot::Grid { .. } | Plot::Bars { .. } => {}
    }
    out
}

#[cfg(test)]
mod scenario_tests {
    use super::*;

    #[test]
    fn standard_scenario_labels_in_chinese() {
        let zh = |l: &str| scenario_label(Lang::Zh, l);
        assert_eq!(zh("Standard: no discounting (0% costs and effects)"), "标准情景：不贴现（成本与效果均为 0%）");
        assert_eq!(
            zh("Standard: 1.5% a year for costs and effects (NICE manual (2022))"),
            "标准情景：成本与效果每年贴现 1.5%（NICE 卫生技术评估方法手册（2022））"
        );
        assert_eq!(
            zh("Standard: horizon of 10 years (half the base case)"),
            "标准情景：研究时限 10 年（基础分析的一半）"
        );
        assert_eq!(zh("Half-cycle correction"), "Half-cycle correction", "the model's own labels stay");
        assert_eq!(
            scenario_label(Lang::En, "Standard: horizon of 10 years (half the base case)"),
            "Standard: horizon of 10 years (half the base case)"
        );
    }
}
