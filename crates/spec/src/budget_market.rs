//! The `market:` section of a budget file: the share of each option (the model's strategies) in
//! the world without and the world with the new option, by year (ISPOR budget impact good
//! practice, Sullivan et al. 2014). It replaces `uptake:` and `displaced:`: the new option's
//! share in the world with is its uptake. Parsed with positions; lowered to [`MarketSpec`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use hta_budget::market::at;

use crate::budget::Yearly;
use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::raw::SpannedMap;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    /// Shares of the options in the world without the new option: strategy -> share (one number,
    /// or one per year; the last holds). Each year's shares sum to 1.
    #[schemars(with = "IndexMap<String, Vec<f64>>")]
    pub without: SpannedMap<Spanned<Yearly>>,
    /// Shares in the world with it, the new option included; each year's shares sum to 1.
    #[schemars(with = "IndexMap<String, Vec<f64>>")]
    pub with: SpannedMap<Spanned<Yearly>>,
}

/// Validated market shares (each list as written; the last value holds after it).
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    /// The new option's share by year in the world with.
    pub new_option: Vec<f64>,
    /// Every other option named in either world: (strategy, shares without, shares with); an
    /// option missing from a world has share 0 there.
    pub options: Vec<(String, Vec<f64>, Vec<f64>)>,
}

/// Shares within this distance of summing to 1 count as summing to 1 (rounding of decimals).
const SUM_TOLERANCE: f64 = 1e-9;

/// Lowers the section; names go to `name_spans` for the check against the model.
pub fn lower(
    section: &Spanned<RawMarket>,
    new_option: &str,
    source: &Source,
    problems: &mut Diagnostics,
    name_spans: &mut Vec<(String, &'static str, miette::SourceSpan)>,
) -> MarketSpec {
    let raw = &section.value;
    let mut check_world = |world: &str, shares: &SpannedMap<Spanned<Yearly>>| {
        let Some((first, _)) = shares.iter().next() else {
            return;
        };
        for (name, values) in shares {
            name_spans.push((name.value.clone(), "strategy", span_of(&name.referenced)));
            if values.value.0.is_empty() || values.value.0.iter().any(|v| !(0.0..=1.0).contains(v)) {
                problems.push(
                    Diagnostic::error(
                        "probability",
                        format!(
                            "market share of `{}` in the world {world} must be in [0, 1] (one number, or one per year)",
                            name.value
                        ),
                    )
                    .at(source, span_of(&values.referenced), "here"),
                );
            }
        }
        let longest = shares.values().map(|v| v.value.0.len()).max().unwrap_or(0);
        for y in 0..longest {
            let sum: f64 = shares.values().map(|v| at(&v.value.0, y)).sum();
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                problems.push(
                    Diagnostic::error(
                        "shares",
                        format!("market shares in the world {world} sum to {sum} in year {}, not 1", y + 1),
                    )
                    .at(source, span_of(&first.referenced), "these shares")
                    .help("every year's shares of all options, the new one included in the world with, sum to 1"),
                );
                break;
            }
        }
    };
    check_world("without", &raw.without);
    check_world("with", &raw.with);
    if raw.without.is_empty() {
        problems.push(Diagnostic::error("missing", "market: `without` names no option").at(
            source,
            span_of(raw.with.keys().next().map_or(&section.referenced, |k| &k.referenced)),
            "add the options' shares in the world without the new option",
        ));
    }
    if let Some(k) = raw.without.keys().find(|k| k.value == new_option) {
        problems.push(
            Diagnostic::error("market", format!("the new option `{new_option}` has a share in the world without it"))
                .at(source, span_of(&k.referenced), "here")
                .help("the world without is the market before the new option: leave it out there"),
        );
    }
    let new_share = raw.with.iter().find(|(k, _)| k.value == new_option).map(|(_, v)| v.value.0.clone());
    if new_share.is_none() {
        problems.push(
            Diagnostic::error("missing", format!("market: `with` gives no share to the new option `{new_option}`"))
                .at(source, span_of(raw.with.keys().next().map_or(&section.referenced, |k| &k.referenced)), "here")
                .help(format!("add `{new_option}: [...]`, its share by year in the world with it")),
        );
    }
    let mut options: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for name in raw.without.keys().chain(raw.with.keys()) {
        if name.value == new_option || options.iter().any(|(n, _, _)| *n == name.value) {
            continue;
        }
        let find = |world: &SpannedMap<Spanned<Yearly>>| {
            world.iter().find(|(k, _)| k.value == name.value).map_or(vec![0.0], |(_, v)| v.value.0.clone())
        };
        options.push((name.value.clone(), find(&raw.without), find(&raw.with)));
    }
    MarketSpec { new_option: new_share.unwrap_or_else(|| vec![0.0]), options }
}
