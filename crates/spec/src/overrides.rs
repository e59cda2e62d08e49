//! `--set NAME=VALUE`: override a parameter or a setting for one run, before validation, so an
//! overridden value is checked like one written in the file.

use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Source};
use crate::raw::{CountingName, DiscountTimingName, EffectName, RawModel, RawParameter, Scalar};

/// Settings that `--set` can change, besides any parameter.
pub const SETTINGS: [&str; 10] = [
    "discount.costs",
    "discount.effects",
    "discount.start_year",
    "discount.timing",
    "horizon.cycles",
    "horizon.years",
    "counting",
    "effect",
    "cohort.start_age",
    "perspective",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub name: String,
    pub value: String,
}

impl std::str::FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(format!("`{text}` is not NAME=VALUE"));
        }
        Ok(Override { name: name.to_string(), value: value.to_string() })
    }
}

/// Applies every override to the raw document; reports every unknown name or bad value.
pub fn apply(raw: &mut RawModel, overrides: &[Override], source: &Source) -> Result<(), Diagnostics> {
    let mut problems = Diagnostics::default();
    for (i, o) in overrides.iter().enumerate() {
        if let Some(earlier) = overrides[..i].iter().find(|e| e.name == o.name) {
            problems.push(Diagnostic::error(
                "override",
                format!("--set {} is given twice ({}, then {}); give each name once", o.name, earlier.value, o.value),
            ));
            continue;
        }
        if let Err(message) = apply_one(raw, o) {
            let diagnostic = Diagnostic::error("override", format!("--set {}={}: {message}", o.name, o.value));
            problems.push(with_hint(diagnostic, raw, o));
        }
    }
    let _ = source;
    if problems.0.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn with_hint(diagnostic: Diagnostic, raw: &RawModel, o: &Override) -> Diagnostic {
    let mut names: Vec<&str> = raw.parameters.keys().map(|k| k.value.as_str()).collect();
    names.extend(SETTINGS);
    match hta_model::suggest::closest(&o.name, names.iter().copied()) {
        Some(best) if best != o.name => diagnostic.help(format!("did you mean `{best}`?")),
        _ => diagnostic.help(format!("settings: {}; or any parameter name", SETTINGS.join(", "))),
    }
}

fn number(value: &str) -> Result<f64, String> {
    let v: f64 = value.parse().map_err(|_| format!("`{value}` is not a number"))?;
    if !v.is_finite() {
        return Err(format!("`{value}` is not a finite number"));
    }
    if v == 0.0 && underflows(value) {
        return Err(format!("`{value}` is too small for a 64-bit number and would become 0; write 0 if 0 is meant"));
    }
    Ok(v)
}

/// Whether a decimal literal has a non-zero digit before its exponent (so reading it as 0 means
/// it underflowed).
pub(crate) fn underflows(literal: &str) -> bool {
    let mantissa = literal.split(['e', 'E']).next().unwrap_or("");
    mantissa.chars().any(|c| c.is_ascii_digit() && c != '0')
}

fn set(target: &mut Spanned<f64>, value: f64) {
    target.value = value;
}

fn apply_one(raw: &mut RawModel, o: &Override) -> Result<(), String> {
    let settings = &mut raw.settings;
    match o.name.as_str() {
        "discount.costs" => set(&mut settings.discount.costs, number(&o.value)?),
        "discount.effects" => set(&mut settings.discount.effects, number(&o.value)?),
        "discount.start_year" => {
            let at = settings.discount.costs.referenced;
            settings.discount.start_year = Some(Spanned::new(number(&o.value)?, at, at));
        }
        "discount.timing" => settings.discount.timing = Some(discount_timing(&o.value)?),
        "horizon.cycles" | "horizon.years" => {
            let value = number(&o.value)?;
            let at = settings.horizon.referenced;
            let spanned = Some(Spanned::new(value, at, at));
            let horizon = &mut settings.horizon.value;
            if o.name == "horizon.cycles" {
                (horizon.cycles, horizon.years) = (spanned, None);
            } else {
                (horizon.cycles, horizon.years) = (None, spanned);
            }
        }
        "counting" => settings.counting.value = counting(&o.value)?,
        "effect" => settings.effect = Some(effect(&o.value)?),
        "cohort.start_age" => {
            let value = number(&o.value)?;
            let at = raw.format_version.referenced;
            let cohort = raw
                .cohort
                .get_or_insert_with(|| crate::raw::RawCohort { start_age: None, initial: Default::default() });
            cohort.start_age = Some(Spanned::new(value, at, at));
        }
        "perspective" => {
            let names: Vec<&str> = raw.perspectives.keys().map(|k| k.value.as_str()).collect();
            if names.is_empty() {
                return Err("the model lists no `perspectives:`".into());
            }
            if !names.contains(&o.value.as_str()) {
                let hint = hta_model::suggest::closest(&o.value, names.iter().copied())
                    .map_or(String::new(), |best| format!(" (did you mean `{best}`?)"));
                return Err(format!("the model's perspectives are {}{hint}", names.join(", ")));
            }
            let at = raw.format_version.referenced;
            raw.settings.perspective = Some(Spanned::new(o.value.clone(), at, at));
        }
        name => return set_parameter(raw, name, number(&o.value)?),
    }
    Ok(())
}

fn set_parameter(raw: &mut RawModel, name: &str, value: f64) -> Result<(), String> {
    let Some((_, param)) = raw.parameters.iter_mut().find(|(k, _)| k.value == name) else {
        if let Some((group, _)) = raw.dirichlet.iter().find(|(_, g)| g.value.keys().any(|k| k.value == name)) {
            return Err(format!(
                "`{name}` belongs to Dirichlet group `{}`: its base value is its count over the group's total, so it cannot be set alone",
                group.value
            ));
        }
        if let Some((group, _)) =
            raw.multivariate_normal.iter().find(|(_, g)| g.value.parameters.iter().any(|k| k.value == name))
        {
            return Err(format!(
                "`{name}` belongs to multivariate normal group `{}`: its base value is the group's mean, so change the mean there",
                group.value
            ));
        }
        return Err(format!("`{name}` is neither a parameter nor a setting"));
    };
    match &mut param.value {
        RawParameter::Short(scalar) => *scalar = Scalar::Number(value),
        RawParameter::Full(full) => full.value.value = Scalar::Number(value),
    }
    for strategy in raw.strategies.values_mut() {
        strategy.value.parameters.retain(|k, _| k.value != name);
    }
    Ok(())
}

fn counting(value: &str) -> Result<CountingName, String> {
    Ok(match value {
        "start_of_cycle" => CountingName::StartOfCycle,
        "end_of_cycle" => CountingName::EndOfCycle,
        "half_cycle" => CountingName::HalfCycle,
        "life_table" => CountingName::LifeTable,
        "simpson" => CountingName::Simpson,
        _ => {
            return Err(format!(
                "`{value}` is not a counting method (start_of_cycle, end_of_cycle, half_cycle, life_table, simpson)"
            ))
        }
    })
}

fn discount_timing(value: &str) -> Result<DiscountTimingName, String> {
    Ok(match value {
        "point" => DiscountTimingName::Point,
        "cycle_start" => DiscountTimingName::CycleStart,
        "cycle_end" => DiscountTimingName::CycleEnd,
        "cycle_middle" => DiscountTimingName::CycleMiddle,
        "annual_step" => DiscountTimingName::AnnualStep,
        _ => {
            return Err(format!(
                "`{value}` is not a discount timing (point, cycle_start, cycle_end, cycle_middle, annual_step)"
            ))
        }
    })
}

fn effect(value: &str) -> Result<EffectName, String> {
    Ok(match value {
        "qaly" => EffectName::Qaly,
        "life_years" => EffectName::LifeYears,
        _ => return Err(format!("`{value}` is not an effect measure (qaly, life_years)")),
    })
}
