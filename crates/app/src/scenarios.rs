//! The standard scenarios every dossier reports (DOMAIN.md §4.3), added to the model's own:
//! no discounting, the alternative discount rates of the model's jurisdiction, and a horizon of
//! half the base case. A standard scenario the model already names (the same settings to the
//! same values) is not repeated, and none is added when it would equal the base case.

use hta_model::{Model, Scenario};

/// The discount rates a jurisdiction's guideline asks to be explored besides 0%, keyed by the
/// words a model's `metadata.country` may contain (lower case).
const JURISDICTIONS: [(&[&str], &str, &[f64]); 4] = [
    // China Guidelines for Pharmacoeconomic Evaluations (2020): 5% base, 0% to 8% explored.
    (&["china", "中国"], "China guidelines (2020)", &[0.08]),
    // NICE health technology evaluations manual (2022): 3.5% base; 1.5% may be considered.
    (&["england", "united kingdom", "wales", "scotland", "uk"], "NICE manual (2022)", &[0.015]),
    // CADTH guidelines (2017): 1.5% base; 0% and 3% explored.
    (&["canada"], "CADTH guidelines (2017)", &[0.03]),
    // Second Panel on Cost-Effectiveness (2016): 3% base; 5% often explored.
    (&["united states", "usa", "us"], "US Second Panel (2016)", &[0.05]),
];

/// The standard scenarios of `model` that it does not already define, in the order of DOMAIN.md
/// §4.3: no discounting, each alternative rate of the jurisdiction, then half the horizon.
pub fn standard(model: &Model) -> Vec<Scenario> {
    let discount = &model.settings.discount;
    let mut out = Vec::new();
    let mut rate = |name: &str, label: String, r: f64| {
        if discount.costs != r || discount.effects != r {
            out.push(Scenario {
                name: name.to_string(),
                label: Some(label),
                overrides: vec![("discount.costs".into(), r.to_string()), ("discount.effects".into(), r.to_string())],
            });
        }
    };
    rate("standard_no_discounting", "Standard: no discounting (0% costs and effects)".into(), 0.0);
    if let Some((_, guideline, rates)) = jurisdiction(model) {
        for r in *rates {
            let percent = (r * 1e4).round() / 1e2;
            rate(
                &format!("standard_discount_{}", percent.to_string().replace('.', "_")),
                format!("Standard: {percent}% a year for costs and effects ({guideline})"),
                *r,
            );
        }
    }
    let years = model.settings.n_cycles as f64 * model.settings.cycle_years;
    let half = (years / 2.0).floor();
    let has_horizon_scenario =
        model.scenarios.iter().any(|s| s.overrides.iter().any(|(name, _)| name.starts_with("horizon.")));
    if half >= 1.0 && !has_horizon_scenario {
        out.push(Scenario {
            name: "standard_half_horizon".into(),
            label: Some(format!("Standard: horizon of {half} years (half the base case)")),
            overrides: vec![("horizon.years".into(), half.to_string())],
        });
    }
    out.retain(|s| !model.scenarios.iter().any(|own| same_settings(&own.overrides, &s.overrides)));
    out
}

/// The guideline whose words `metadata.country` contains, if any.
fn jurisdiction(model: &Model) -> Option<&'static (&'static [&'static str], &'static str, &'static [f64])> {
    let country = model.metadata.country.as_deref()?.to_lowercase();
    let words: Vec<&str> = country.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    JURISDICTIONS.iter().find(|(keys, _, _)| {
        keys.iter().any(|k| if k.contains(' ') || !k.is_ascii() { country.contains(k) } else { words.contains(k) })
    })
}

/// Whether two override lists set the same names to the same values (numbers compared as
/// numbers, so `0` equals `0.0`), in any order.
fn same_settings(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let value = |v: &str| v.trim().parse::<f64>().map_err(|_| v.trim().to_string());
    a.len() == b.len() && a.iter().all(|(name, v)| b.iter().any(|(other, w)| other == name && value(v) == value(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(path: &str) -> Model {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
        hta_spec::load(std::path::Path::new(&format!("{root}{path}")), &[]).expect("model loads").model
    }

    fn names(scenarios: &[Scenario]) -> Vec<&str> {
        scenarios.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn a_uk_model_gets_no_discounting_the_nice_rate_and_half_the_horizon() {
        // HIV: United Kingdom, 6% costs and undiscounted effects, 20 years. Without its own
        // scenarios it gets all three; its own `undiscounted` scenario replaces the first.
        let mut hiv = model("models/hiv.yaml");
        let own = std::mem::take(&mut hiv.scenarios);
        let standard_all = standard(&hiv);
        assert_eq!(names(&standard_all), ["standard_no_discounting", "standard_discount_1_5", "standard_half_horizon"]);
        assert_eq!(standard_all[1].overrides[0], ("discount.costs".to_string(), "0.015".to_string()));
        assert_eq!(standard_all[2].overrides, [("horizon.years".to_string(), "10".to_string())]);
        hiv.scenarios = own;
        assert_eq!(names(&standard(&hiv)), ["standard_discount_1_5", "standard_half_horizon"]);
    }

    #[test]
    fn scenarios_the_model_already_names_are_not_repeated() {
        // CAR-T (China): its own scenarios give 0%, 3% and a 20-year horizon; 8% is still missing.
        let cart = model("models/cart_lbcl_psm.yaml");
        let standard = standard(&cart);
        assert_eq!(names(&standard), ["standard_discount_8"]);
        assert_eq!(
            standard[0].label.as_deref(),
            Some("Standard: 8% a year for costs and effects (China guidelines (2020))")
        );
    }

    #[test]
    fn a_rate_equal_to_the_base_case_and_unknown_countries_add_nothing() {
        let mut m = model("models/hiv.yaml");
        m.settings.discount.costs = 0.0;
        m.settings.discount.effects = 0.0;
        m.metadata.country = Some("none (illustrative)".into());
        assert_eq!(names(&standard(&m)), ["standard_half_horizon"]);
        m.metadata.country = Some("Province of Ontario, Canada".into());
        assert_eq!(names(&standard(&m)), ["standard_discount_3", "standard_half_horizon"]);
        // "us" is a word, not a part of one: "Belarus" is no US model.
        m.metadata.country = Some("Belarus".into());
        assert_eq!(names(&standard(&m)), ["standard_half_horizon"]);
    }

    #[test]
    fn settings_compare_as_numbers_in_any_order() {
        let a = [("discount.costs".to_string(), "0".to_string()), ("discount.effects".into(), "0.0".into())];
        let b = [("discount.effects".to_string(), "0.00".to_string()), ("discount.costs".into(), "0".into())];
        assert!(same_settings(&a, &b));
        assert!(!same_settings(&a, &b[..1]));
        assert!(!same_settings(
            &a,
            &[("discount.costs".into(), "0.01".into()), ("discount.effects".into(), "0".into())]
        ));
    }
}
