//! Survival curves: one kind per curve, parameters by flexsurv name, references to other
//! curves and tables resolved, constant parameters checked now (others at run time).

use std::sync::Arc;

use hta_model::curve::{Curve, CurveKind};
use hta_model::survival::{self, Family, TableInterpolation};
use hta_model::{CurveId, Formula, LookupTable, Origin, TableId};
use serde_saphyr::{Location, Spanned};

use super::structure::constant_value;
use super::{Lowerer, Names};
use crate::diagnostic::span_of;
use crate::names::did_you_mean;
use crate::raw::{CurveInterpolationName, CycleUnitName, RawCurve, RawModel, Scalar, SpannedMap};

impl Lowerer<'_> {
    pub fn lower_curves(&mut self, raw: &RawModel, names: &Names, tables: &[Arc<LookupTable>]) -> Vec<Curve> {
        raw.survival
            .iter()
            .map(|(name, spanned)| {
                let kind = self.curve_kind(&name.value, spanned, names, tables);
                let units_per_year = match spanned.value.time_unit {
                    None | Some(CycleUnitName::Years) => 1.0,
                    Some(CycleUnitName::Months) => 12.0,
                    Some(CycleUnitName::Weeks) => 365.25 / 7.0,
                    Some(CycleUnitName::Days) => 365.25,
                };
                let span = span_of(&name.referenced);
                Curve {
                    name: name.value.clone(),
                    units_per_year,
                    // A failed curve is reported; a NaN curve keeps ids aligned.
                    kind: kind.unwrap_or(CurveKind::PiecewiseExponential { cuts: Vec::new(), rates: Vec::new() }),
                    origin: Origin { offset: span.offset(), len: span.len() },
                }
            })
            .collect()
    }

    fn curve_kind(
        &mut self,
        name: &str,
        spanned: &Spanned<RawCurve>,
        names: &Names,
        tables: &[Arc<LookupTable>],
    ) -> Option<CurveKind> {
        let c = &spanned.value;
        let families = [
            (Family::Exponential, &c.exponential),
            (Family::Weibull, &c.weibull),
            (Family::WeibullPh, &c.weibull_ph),
            (Family::Gompertz, &c.gompertz),
            (Family::LogLogistic, &c.llogis),
            (Family::LogNormal, &c.lnorm),
            (Family::Gamma, &c.gamma),
            (Family::GenGamma, &c.gengamma),
        ];
        let given: Vec<Family> = families.iter().filter(|(_, p)| p.is_some()).map(|(f, _)| *f).collect();
        let others = [
            c.piecewise_exponential.is_some(),
            c.spline.is_some(),
            c.table.is_some(),
            c.proportional_hazards.is_some(),
            c.accelerated_failure.is_some(),
            c.join.is_some(),
            c.mixture_cure.is_some(),
            c.life_table.is_some(),
            c.hazard_floor.is_some(),
        ];
        let other_names = [
            "piecewise_exponential",
            "spline",
            "table",
            "proportional_hazards",
            "accelerated_failure",
            "join",
            "mixture_cure",
            "life_table",
            "hazard_floor",
        ];
        let mut kinds: Vec<&str> = given.iter().map(|f| f.name()).collect();
        kinds.extend(other_names.iter().zip(others).filter(|(_, given)| *given).map(|(n, _)| *n));
        let count = kinds.len();
        if count != 1 {
            let found = if count == 0 { "none".to_string() } else { format!("{count}: {}", kinds.join(", ")) };
            self.error("curve", &spanned.referenced, format!("survival curve `{name}` needs exactly one kind of curve, found {found}"), "this curve").help = Some(
                "e.g. `weibull: { shape: 1.2, scale: 3 }`; kinds: exponential, weibull, weibull_ph, gompertz, llogis, lnorm, gamma, gengamma, piecewise_exponential, spline, table, proportional_hazards, accelerated_failure, join, mixture_cure, life_table, hazard_floor".into(),
            );
            return None;
        }
        let owner = format!("curve `{name}`");
        if let Some((family, Some(params))) = families.iter().find(|(_, p)| p.is_some()) {
            return self.parametric(*family, params, &spanned.referenced, names, &owner);
        }
        if let Some(p) = &c.piecewise_exponential {
            let rates: Option<Vec<Formula>> =
                p.rates.iter().map(|r| self.formula(r, names, &format!("a rate of {owner}"))).collect();
            let rates = rates?;
            if rates.len() > 64 {
                self.error(
                    "curve",
                    &p.cuts.referenced,
                    format!("{owner} has {} rates; a piecewise exponential curve takes at most 64", rates.len()),
                    "cuts",
                );
                return None;
            }
            if rates.len() != p.cuts.value.len() + 1 {
                self.error(
                    "curve",
                    &p.cuts.referenced,
                    format!(
                        "{owner} has {} cuts and {} rates; it needs one more rate than cuts",
                        p.cuts.value.len(),
                        rates.len()
                    ),
                    "cuts",
                );
                return None;
            }
            let constant: Option<Vec<f64>> = rates.iter().map(constant_value).collect();
            let check_rates = constant.unwrap_or_else(|| vec![1.0; rates.len()]);
            if let Err(message) = survival::check_piecewise_exponential(&p.cuts.value, &check_rates) {
                self.error("curve", &p.cuts.referenced, format!("{owner}: {message}"), "piecewise exponential");
                return None;
            }
            return Some(CurveKind::PiecewiseExponential { cuts: p.cuts.value.clone(), rates });
        }
        if let Some(p) = &c.spline {
            let gamma: Option<Vec<Formula>> =
                p.gamma.iter().map(|r| self.formula(r, names, &format!("a gamma of {owner}"))).collect();
            let gamma = gamma?;
            if p.knots.value.len() > 8 {
                let message = format!("{owner} has {} knots; a spline takes at most 8", p.knots.value.len());
                self.error("curve", &p.knots.referenced, message, "knots");
                return None;
            }
            let constant: Option<Vec<f64>> = gamma.iter().map(constant_value).collect();
            let check = constant.unwrap_or_else(|| vec![0.0; gamma.len()]);
            if let Err(message) = survival::check_royston_parmar(&p.knots.value, &check) {
                self.error("curve", &p.knots.referenced, format!("{owner}: {message}"), "spline");
                return None;
            }
            return Some(CurveKind::Spline { knots: p.knots.value.clone(), gamma });
        }
        if let Some(t) = &c.table {
            let (table_id, column) = self.table_column(&t.table, &t.survival, names)?;
            let table = &tables[table_id.index()];
            let (times, surv) = (table.keys.clone(), table.columns[column].values.clone());
            if let Err(message) = survival::check_tabulated(&times, &surv) {
                self.error(
                    "curve",
                    &t.table.referenced,
                    format!("{owner}: table `{}`: {message}", t.table.value),
                    "tabulated curve",
                );
                return None;
            }
            let interpolation = match t.interpolation {
                CurveInterpolationName::Step => TableInterpolation::Step,
                CurveInterpolationName::Linear => TableInterpolation::Linear,
                CurveInterpolationName::LogLinear => TableInterpolation::LogLinear,
            };
            return Some(CurveKind::Tabulated { times, survival: surv, interpolation });
        }
        if let Some(ph) = &c.proportional_hazards {
            let base = self.curve_ref(&ph.curve, names)?;
            let hr = self.positive_formula(&ph.hr, names, &format!("the hazard ratio of {owner}"))?;
            return Some(CurveKind::ProportionalHazards { base, hr });
        }
        if let Some(af) = &c.accelerated_failure {
            let base = self.curve_ref(&af.curve, names)?;
            let af = self.positive_formula(&af.af, names, &format!("the acceleration factor of {owner}"))?;
            return Some(CurveKind::AcceleratedFailure { base, af });
        }
        if let Some(j) = &c.join {
            let (first, then) = (self.curve_ref(&j.first, names), self.curve_ref(&j.then, names));
            if !(j.at_years.value.is_finite() && j.at_years.value >= 0.0) {
                self.error(
                    "curve",
                    &j.at_years.referenced,
                    format!("{owner}: at_years must be a non-negative number of years, found {}", j.at_years.value),
                    "join time",
                );
                return None;
            }
            return Some(CurveKind::Joined { first: first?, then: then?, at_years: j.at_years.value });
        }
        if let Some(m) = &c.mixture_cure {
            let uncured = self.curve_ref(&m.uncured, names);
            let background = match &m.background {
                Some(b) => Some(self.curve_ref(b, names)?),
                None => None,
            };
            let cure = self.formula(&m.cure_fraction, names, &format!("the cure fraction of {owner}"))?;
            if let Some(pi) = constant_value(&cure) {
                if !(0.0..=1.0).contains(&pi) {
                    self.error(
                        "curve",
                        &m.cure_fraction.referenced,
                        format!("the cure fraction of {owner} is {pi}, outside [0, 1]"),
                        "cure fraction",
                    );
                    return None;
                }
            }
            return Some(CurveKind::MixtureCure { cure_fraction: cure, uncured: uncured?, background });
        }
        if let Some(f) = &c.hazard_floor {
            let (curve, background) = (self.curve_ref(&f.curve, names), self.curve_ref(&f.background, names));
            return Some(CurveKind::HazardFloor { curve: curve?, background: background? });
        }
        if let Some(l) = &c.life_table {
            let (table, column) = self.table_column(&l.table, &l.column, names)?;
            let start_age = match &l.start_age {
                Some(a) => self.formula(a, names, &format!("the start age of {owner}"))?,
                None if names.start_age.is_some() => Formula::constant(names.start_age.unwrap_or(f64::NAN)),
                None => {
                    self.error(
                        "missing",
                        &spanned.referenced,
                        format!("{owner} needs a start age"),
                        "life-table curve",
                    )
                    .help = Some("add `start_age:` to the curve or `cohort: { start_age: ... }`".into());
                    return None;
                }
            };
            return Some(CurveKind::LifeTable { table, column, start_age });
        }
        None
    }

    fn parametric(
        &mut self,
        family: Family,
        params: &SpannedMap<Spanned<Scalar>>,
        at: &Location,
        names: &Names,
        owner: &str,
    ) -> Option<CurveKind> {
        let expected = family.param_names();
        let mut ok = true;
        for key in params.keys() {
            if !expected.contains(&key.value.as_str()) {
                ok = false;
                let help =
                    did_you_mean(hta_model::suggest::closest(&key.value, expected.iter().copied()).map(str::to_string))
                        .unwrap_or_else(|| format!("{} takes {}", family.name(), expected.join(", ")));
                self.error(
                    "curve",
                    &key.referenced,
                    format!("{owner}: {} has no parameter `{}`", family.name(), key.value),
                    "unknown parameter",
                )
                .help = Some(format!("{help} (flexsurv `{}` parameterisation)", family.flexsurv_name()));
            }
        }
        let mut formulas = Vec::new();
        for name in expected {
            match params.iter().find(|(k, _)| k.value == *name) {
                Some((_, value)) => formulas.push(self.formula(value, names, &format!("the {name} of {owner}"))),
                None if !ok => {}
                None => {
                    ok = false;
                    self.error("curve", at, format!("{owner}: {} needs `{name}`", family.name()), "this curve").help =
                        Some(format!(
                            "{} takes {} (flexsurv `{}`)",
                            family.name(),
                            expected.join(", "),
                            family.flexsurv_name()
                        ));
                }
            }
        }
        let formulas: Option<Vec<Formula>> = formulas.into_iter().collect();
        let formulas = formulas.filter(|_| ok)?;
        let constants: Option<Vec<f64>> = formulas.iter().map(constant_value).collect();
        if let Some(values) = constants {
            if let Err(message) = family.check(&values) {
                self.error("curve", at, format!("{owner}: {message}"), "this curve");
                return None;
            }
        }
        Some(CurveKind::Parametric { family, params: formulas })
    }

    fn positive_formula(&mut self, value: &Spanned<Scalar>, names: &Names, what: &str) -> Option<Formula> {
        let f = self.formula(value, names, what)?;
        if let Some(v) = constant_value(&f) {
            if v <= 0.0 {
                self.error("curve", &value.referenced, format!("{what} must be positive, found {v}"), "not positive");
                return None;
            }
        }
        Some(f)
    }

    pub(super) fn curve_ref(&mut self, name: &Spanned<String>, names: &Names) -> Option<CurveId> {
        match names.curves.get(&name.value) {
            Some(i) => Some(CurveId::new(i)),
            None => {
                let help = did_you_mean(names.curves.suggest(&name.value))
                    .unwrap_or_else(|| format!("curves: {}", names.curves.listing()));
                self.error(
                    "unknown-name",
                    &name.referenced,
                    format!("unknown survival curve `{}`", name.value),
                    "curve",
                )
                .help = Some(help);
                None
            }
        }
    }

    fn table_column(
        &mut self,
        table: &Spanned<String>,
        column: &Spanned<String>,
        names: &Names,
    ) -> Option<(TableId, usize)> {
        let Some(t) = names.tables.get(&table.value) else {
            self.error("unknown-name", &table.referenced, format!("unknown table `{}`", table.value), "table").help =
                did_you_mean(names.tables.suggest(&table.value));
            return None;
        };
        if names.table_failed.get(t).copied().unwrap_or(true) {
            return None;
        }
        let columns = &names.table_columns[t];
        match columns.iter().position(|c| *c == column.value) {
            Some(c) => Some((TableId::new(t), c)),
            None => {
                self.error(
                    "unknown-name",
                    &column.referenced,
                    format!("table `{}` has no column `{}`", table.value, column.value),
                    "column",
                )
                .help = Some(format!("columns: {}", columns.join(", ")));
                None
            }
        }
    }
}
