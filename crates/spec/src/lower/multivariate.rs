//! Multivariate normal groups: each member becomes a parameter whose base value is its mean; the
//! mean vector and covariance matrix are checked (sizes, finite numbers, symmetry, positive
//! semi-definiteness by the eigenvalues) with the position of the offending entry.

use hta_model::{Formula, MultivariateNormalGroup, ParamId, Parameter, Uncertainty};

use super::Lowerer;
use crate::diagnostic::span_of;
use crate::raw::RawModel;

/// Relative tolerance of the symmetry and semi-definiteness checks: a covariance printed to 10
/// significant digits passes, a mistyped entry does not.
const TOLERANCE: f64 = 1e-8;

impl Lowerer<'_> {
    /// Appends the groups' parameters to `parameters` (in the order their names were declared)
    /// and returns the groups.
    pub fn lower_multivariate_normal(
        &mut self,
        raw: &RawModel,
        parameters: &mut Vec<Parameter>,
    ) -> Vec<MultivariateNormalGroup> {
        let mut groups = Vec::new();
        for (name, spanned) in &raw.multivariate_normal {
            let group = &spanned.value;
            let k = group.parameters.len();
            let what = format!("multivariate normal group `{}`", name.value);
            let means: Vec<f64> = group.mean.value.iter().map(|m| m.value).collect();
            let mut params = Vec::with_capacity(k);
            for (i, member) in group.parameters.iter().enumerate() {
                let span = span_of(&member.referenced);
                let origin = hta_model::Origin { offset: span.offset(), len: span.len() };
                let mut definition = Formula::constant(means.get(i).copied().unwrap_or(f64::NAN));
                definition.origin = origin;
                params.push(ParamId::new(parameters.len()));
                parameters.push(Parameter {
                    name: member.value.clone(),
                    label: Some(group.label.clone().unwrap_or_else(|| format!("member of {what}"))),
                    definition,
                    source: group.source.clone(),
                    uncertainty: Uncertainty::default(),
                    origin,
                });
            }
            let mut ok = true;
            if k == 0 {
                self.error("distribution", &name.referenced, format!("{what} lists no parameters"), "group");
                ok = false;
            }
            if group.mean.value.len() != k {
                self.error(
                    "distribution",
                    &group.mean.referenced,
                    format!("{what} has {k} parameters but {} means", group.mean.value.len()),
                    "mean",
                )
                .help = Some("give one mean per parameter, in the order of `parameters`".into());
                ok = false;
            }
            for m in &group.mean.value {
                if !m.value.is_finite() {
                    self.error(
                        "not-finite",
                        &m.referenced,
                        format!("a mean of {what} is {}", m.value),
                        "not a finite number",
                    );
                    ok = false;
                }
            }
            let rows = &group.covariance.value;
            if rows.len() != k {
                self.error(
                    "distribution",
                    &group.covariance.referenced,
                    format!("the covariance of {what} has {} rows; expected {k}, one per parameter", rows.len()),
                    "covariance",
                );
                ok = false;
            }
            for (i, row) in rows.iter().enumerate() {
                if row.value.len() != k {
                    self.error(
                        "distribution",
                        &row.referenced,
                        format!(
                            "row {} of the covariance of {what} has {} entries; expected {k}",
                            i + 1,
                            row.value.len()
                        ),
                        "row",
                    );
                    ok = false;
                }
                for c in &row.value {
                    if !c.value.is_finite() {
                        self.error(
                            "not-finite",
                            &c.referenced,
                            format!("a covariance entry of {what} is {}", c.value),
                            "not a finite number",
                        );
                        ok = false;
                    }
                }
            }
            if !ok {
                continue;
            }
            let at = |i: usize, j: usize| rows[i].value[j].value;
            for (i, row) in rows.iter().enumerate() {
                if at(i, i) < 0.0 {
                    let c = &row.value[i];
                    self.error(
                        "distribution",
                        &c.referenced,
                        format!("the variance of `{}` in {what} is negative ({})", group.parameters[i].value, c.value),
                        "a variance",
                    );
                    ok = false;
                }
                for j in 0..i {
                    let scale = (at(i, i).abs() * at(j, j).abs()).sqrt().max(at(i, j).abs()).max(f64::MIN_POSITIVE);
                    if (at(i, j) - at(j, i)).abs() > TOLERANCE * scale {
                        self.error(
                            "distribution",
                            &row.value[j].referenced,
                            format!(
                                "the covariance of {what} is not symmetric: row {} column {} is {}, row {} column {} is {}",
                                i + 1,
                                j + 1,
                                at(i, j),
                                j + 1,
                                i + 1,
                                at(j, i)
                            ),
                            "differs from its mirror entry",
                        );
                        ok = false;
                    }
                }
            }
            if !ok {
                continue;
            }
            let covariance: Vec<f64> =
                (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| at(i, j)).collect();
            let eigen = nalgebra::DMatrix::from_row_slice(k, k, &covariance).symmetric_eigen();
            let largest = eigen.eigenvalues.iter().fold(0.0_f64, |a, &b| a.max(b.abs()));
            let smallest = eigen.eigenvalues.iter().fold(f64::INFINITY, |a, &b| a.min(b));
            if smallest < -TOLERANCE * largest {
                self.error(
                    "distribution",
                    &group.covariance.referenced,
                    format!("the covariance of {what} is not positive semi-definite: its smallest eigenvalue is {smallest:.6e}"),
                    "covariance",
                )
                .help = Some(
                    "a covariance matrix has no negative eigenvalues; check that every entry was copied in full (a fit's covariance printed to few digits can lose this)"
                        .into(),
                );
                continue;
            }
            let span = span_of(&name.referenced);
            groups.push(MultivariateNormalGroup {
                name: name.value.clone(),
                params,
                mean: means,
                covariance,
                origin: hta_model::Origin { offset: span.offset(), len: span.len() },
            });
        }
        groups
    }
}
