//! Validation and lowering: raw document -> [`Model`], collecting every problem at once.
//!
//! Order: names first (states, categories, tables, parameters, strategies), then everything
//! that refers to them, then whole-model checks (circular definitions, sizes, unused names).

mod curves;
mod formula;
mod multivariate;
pub(crate) mod parameters;
mod settings;
mod structure;
mod tables;
mod trees;

use std::path::{Path, PathBuf};

use hta_model::{Metadata, Model, ParamId, StrategyId};
use serde_saphyr::Location;

use crate::diagnostic::{span_of, Diagnostic, Diagnostics, Source};
use crate::names::{naming_problem, parameter_naming_problem, NameTable};
use crate::raw::RawModel;
use crate::InputFile;

/// Names declared in the file, resolved before anything that refers to them.
#[derive(Debug, Default)]
pub struct Names {
    pub states: NameTable,
    pub categories: NameTable,
    pub tables: NameTable,
    pub params: NameTable,
    pub strategies: NameTable,
    pub arms: NameTable,
    pub curves: NameTable,
    /// The cohort's start age, if given.
    pub start_age: Option<f64>,
    /// Column names of each table, by table index.
    pub table_columns: Vec<Vec<String>>,
    /// Tables that failed to load (already reported; references to them are not reported again).
    pub table_failed: Vec<bool>,
    pub has_start_age: bool,
    /// Whether each state is marked `dead: true`.
    pub dead_states: Vec<bool>,
}

pub struct Lowerer<'a> {
    pub source: Source,
    pub text: &'a str,
    pub base_dir: PathBuf,
    pub diagnostics: Diagnostics,
    pub inputs: Vec<InputFile>,
    /// Names read by parts of the file removed before lowering (costs a perspective does not
    /// count): a parameter among them is not "never used".
    pub read_elsewhere: Vec<String>,
}

impl<'a> Lowerer<'a> {
    pub fn new(source: Source, text: &'a str, base_dir: &Path) -> Self {
        Lowerer {
            source,
            text,
            base_dir: base_dir.to_path_buf(),
            diagnostics: Diagnostics::default(),
            inputs: Vec::new(),
            read_elsewhere: Vec::new(),
        }
    }

    /// Records an error pointing at `location`.
    pub fn error(
        &mut self,
        code: &'static str,
        location: &Location,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        let diagnostic = Diagnostic::error(code, message).at(&self.source, span_of(location), label);
        self.diagnostics.push(diagnostic);
        let last = self.diagnostics.0.len() - 1;
        &mut self.diagnostics.0[last]
    }

    pub fn warning(
        &mut self,
        code: &'static str,
        location: &Location,
        message: impl Into<String>,
        label: impl Into<String>,
    ) {
        let diagnostic = Diagnostic::warning(code, message).at(&self.source, span_of(location), label);
        self.diagnostics.push(diagnostic);
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Registers a declared name, reporting invalid or reserved names.
    pub fn declare(&mut self, table: &mut NameTable, name: &str, location: &Location, what: &str) -> usize {
        let problem = if what == "parameter" { parameter_naming_problem(name) } else { naming_problem(name) };
        if let Some(problem) = problem {
            self.error("invalid-name", location, format!("invalid {what} name: {problem}"), "this name");
        }
        table.insert(name)
    }

    /// Lowers the whole document. Returns the model only if no error was found.
    pub fn lower(&mut self, raw: &RawModel) -> Option<Model> {
        if raw.format_version.value != 1 {
            self.error(
                "format-version",
                &raw.format_version.referenced,
                format!("format_version {} is not supported", raw.format_version.value),
                "this version",
            )
            .help = Some("this version of hta reads format_version: 1".into());
            return None;
        }
        let mut names = Names::default();
        self.declare_names(raw, &mut names);
        if !self.check_sizes(raw) {
            return None;
        }
        let metadata = lower_metadata(raw);
        let tables = self.lower_tables(raw, &mut names);
        names.has_start_age = raw.cohort.as_ref().is_some_and(|c| c.start_age.is_some());
        names.start_age = raw.cohort.as_ref().and_then(|c| c.start_age.as_ref()).map(|a| a.value);
        let curves = self.lower_curves(raw, &names, &tables);
        let categories: Vec<String> = names.categories.index.keys().cloned().collect();
        let (mut parameters, dirichlet) = self.lower_parameters(raw, &names);
        let multivariate_normal = self.lower_multivariate_normal(raw, &mut parameters);
        let settings = self.lower_settings(raw, &names);
        let states = self.lower_states(raw, &names);
        let transition_values = self.lower_transition_values(raw, &names);
        let strategies = self.lower_strategies(raw, &names);
        let (Some(settings), Some((strategies, arms))) = (settings, strategies) else {
            return None;
        };
        if self.diagnostics.has_errors() {
            return None;
        }
        let structure = if raw.partitioned_survival.is_some() {
            hta_model::Structure::PartitionedSurvival
        } else {
            hta_model::Structure::Markov
        };
        let model = Model {
            structure,
            metadata,
            settings,
            categories,
            tables,
            curves,
            parameters,
            correlated: None,
            dirichlet,
            multivariate_normal,
            states,
            transition_values,
            strategies,
            arms,
            scenarios: self.lower_scenarios(raw, &names),
            subgroups: self.lower_subgroups(raw, &names),
            perspective: None,
            perspectives: Vec::new(),
        };
        let mut model = model;
        model.correlated = self.lower_correlations(raw, &names, &model);
        self.check_curve_cycles(&model);
        if self.diagnostics.has_errors() {
            return None;
        }
        self.check_circular_definitions(&model);
        if self.diagnostics.has_errors() {
            return None;
        }
        self.check_curves_time_invariant(&model);
        self.check_state_time(&model);
        if model.structure == hta_model::Structure::PartitionedSurvival {
            self.check_partitioned(&model);
        }
        self.warn_unused_parameters(&model, raw);
        if self.diagnostics.has_errors() {
            return None;
        }
        Some(model)
    }

    fn declare_names(&mut self, raw: &RawModel, names: &mut Names) {
        for (name, state) in &raw.states {
            self.declare(&mut names.states, &name.value, &name.referenced, "state");
            names.dead_states.push(state.value.dead);
        }
        for name in &raw.cost_categories {
            if names.categories.get(&name.value).is_some() {
                self.error(
                    "duplicate-name",
                    &name.referenced,
                    format!("cost category `{}` is listed twice", name.value),
                    "repeated here",
                );
            }
            if matches!(name.value.as_str(), "qaly" | "ly" | "life_years") {
                self.error(
                    "invalid-name",
                    &name.referenced,
                    format!("`{}` is reserved for effects, not a cost category", name.value),
                    "reserved",
                );
            }
            self.declare(&mut names.categories, &name.value, &name.referenced, "cost category");
        }
        for name in raw.tables.keys() {
            self.declare(&mut names.tables, &name.value, &name.referenced, "table");
        }
        for name in raw.parameters.keys() {
            if names.states.get(&name.value).is_some() {
                self.error(
                    "duplicate-name",
                    &name.referenced,
                    format!("`{}` names both a state and a parameter", name.value),
                    "also a state",
                )
                .help = Some("give the parameter a different name, e.g. `p_` or `c_` prefixed".into());
            }
            self.declare(&mut names.params, &name.value, &name.referenced, "parameter");
        }
        for (group, members) in &raw.dirichlet {
            if members.value.len() < 2 {
                self.error(
                    "distribution",
                    &group.referenced,
                    format!("Dirichlet group `{}` needs at least two parameters", group.value),
                    "group",
                );
            }
            for (name, count) in &members.value {
                if names.params.get(&name.value).is_some() {
                    self.error(
                        "duplicate-name",
                        &name.referenced,
                        format!(
                            "parameter `{}` is declared twice (under `parameters:` or another Dirichlet group)",
                            name.value
                        ),
                        "repeated",
                    );
                }
                if !(count.value.is_finite() && count.value > 0.0) {
                    self.error(
                        "distribution",
                        &count.referenced,
                        format!("Dirichlet count of `{}` must be a positive number, found {}", name.value, count.value),
                        "count",
                    );
                }
                self.declare(&mut names.params, &name.value, &name.referenced, "parameter");
            }
        }
        for group in raw.multivariate_normal.values() {
            for name in &group.value.parameters {
                if names.params.get(&name.value).is_some() {
                    self.error(
                        "duplicate-name",
                        &name.referenced,
                        format!(
                            "parameter `{}` is declared twice (under `parameters:`, a Dirichlet group or a multivariate normal group)",
                            name.value
                        ),
                        "repeated",
                    );
                }
                self.declare(&mut names.params, &name.value, &name.referenced, "parameter");
            }
        }
        for name in raw.survival.keys() {
            if names.params.get(&name.value).is_some() || names.states.get(&name.value).is_some() {
                self.error(
                    "duplicate-name",
                    &name.referenced,
                    format!("`{}` names a survival curve and a parameter or state", name.value),
                    "also used elsewhere",
                );
            }
            self.declare(&mut names.curves, &name.value, &name.referenced, "survival curve");
        }
        for name in raw.strategies.keys() {
            self.declare(&mut names.strategies, &name.value, &name.referenced, "strategy");
        }
        for name in raw.arms.keys() {
            if names.strategies.get(&name.value).is_some() {
                self.error(
                    "duplicate-name",
                    &name.referenced,
                    format!("`{}` names a strategy and an arm", name.value),
                    "also a strategy",
                );
            }
            self.declare(&mut names.arms, &name.value, &name.referenced, "arm");
        }
    }

    fn check_sizes(&mut self, raw: &RawModel) -> bool {
        use hta_model::settings::limits::*;
        let checks = [
            (raw.states.len(), MAX_STATES, "states", raw.states.keys().next().map(|k| k.referenced)),
            (raw.strategies.len(), MAX_STRATEGIES, "strategies", raw.strategies.keys().next().map(|k| k.referenced)),
            (raw.arms.len(), MAX_STRATEGIES, "arms", raw.arms.keys().next().map(|k| k.referenced)),
            (raw.parameters.len(), MAX_PARAMETERS, "parameters", raw.parameters.keys().next().map(|k| k.referenced)),
        ];
        let mut ok = true;
        for (count, limit, what, location) in checks {
            if count > limit {
                ok = false;
                let diagnostic =
                    Diagnostic::error("too-large", format!("the model has {count} {what}; the limit is {limit}"));
                let diagnostic = match location {
                    Some(l) => diagnostic.at(&self.source, span_of(&l), format!("first of {count} {what}")),
                    None => diagnostic,
                };
                self.push(diagnostic);
            }
        }
        if raw.states.is_empty() {
            ok = false;
            self.push(
                Diagnostic::error("missing", "the model has no states")
                    .at(&self.source, (0, 0).into(), "")
                    .help("add a `states:` map"),
            );
        }
        if raw.strategies.is_empty() {
            ok = false;
            self.push(
                Diagnostic::error("missing", "the model has no strategies")
                    .at(&self.source, (0, 0).into(), "")
                    .help("add a `strategies:` map"),
            );
        }
        ok
    }

    fn check_circular_definitions(&mut self, model: &Model) {
        let mut reported: Vec<Vec<ParamId>> = Vec::new();
        for strategy in model.all_strategy_ids() {
            let reads: Vec<Vec<ParamId>> = (0..model.parameters.len())
                .map(|p| reads_with_curves(model, model.definition(strategy, ParamId::new(p))))
                .collect();
            let Err(cycle) = hta_model::dependency::evaluation_order(&reads) else { continue };
            let mut key = cycle[..cycle.len() - 1].to_vec();
            key.sort();
            if reported.contains(&key) {
                continue;
            }
            reported.push(key);
            self.report_cycle(model, strategy, &cycle);
        }
    }

    /// `state_time` is defined only in the rows and values of states that track time in state.
    fn check_state_time(&mut self, model: &Model) {
        use hta_model::formula::{Reference, TimeVar};
        let expanded: usize = model.states.iter().map(|s| s.track_cycles.unwrap_or(1)).sum();
        if expanded > hta_model::settings::limits::MAX_EXPANDED_STATES {
            let limit = hta_model::settings::limits::MAX_EXPANDED_STATES;
            let first = model.states.iter().find(|s| s.track_cycles.is_some()).map(|s| s.origin).unwrap_or_default();
            let d = Diagnostic::error(
                "too-large",
                format!("tracking time in state makes {expanded} states; the limit is {limit}"),
            )
            .at(&self.source, (first.offset, first.len).into(), "tracked state");
            self.push(d);
            return;
        }
        for strategy in model.all_strategy_ids() {
            let n = model.parameters.len();
            let mut uses = vec![false; n];
            let reads: Vec<Vec<ParamId>> =
                (0..n).map(|p| model.definition(strategy, ParamId::new(p)).expr.params().collect()).collect();
            let order = hta_model::dependency::evaluation_order(&reads).unwrap_or_default();
            for p in order {
                uses[p.index()] = model.definition(strategy, p).expr.references().iter().any(|r| match r {
                    Reference::Time(TimeVar::StateTime) => true,
                    Reference::Param(q) => uses[q.index()],
                    _ => false,
                });
            }
            let uses_state_time = |f: &hta_model::Formula| {
                f.expr.references().iter().any(|r| match r {
                    Reference::Time(TimeVar::StateTime) => true,
                    Reference::Param(q) => uses[q.index()],
                    _ => false,
                })
            };
            let mut bad: Vec<(hta_model::Origin, String)> = Vec::new();
            let s = model.strategy(strategy);
            for (state, row) in model.states.iter().zip(&s.rows) {
                if state.track_cycles.is_some() {
                    continue;
                }
                let mut formulas: Vec<&hta_model::Formula> = row
                    .entries
                    .iter()
                    .filter_map(|e| match &e.value {
                        hta_model::EntryValue::Formula(f) => Some(f),
                        hta_model::EntryValue::Complement => None,
                    })
                    .collect();
                formulas.extend(state.costs.iter().map(|(_, f)| f));
                formulas.extend(state.utility.iter());
                formulas.push(&state.life_years);
                for f in formulas.into_iter().filter(|f| uses_state_time(f)) {
                    bad.push((f.origin, format!("state `{}`", state.name)));
                }
            }
            let one_offs = s.at_start.costs.iter().map(|(_, f)| f).chain(s.at_start.qaly.iter());
            let events = model
                .transition_values
                .iter()
                .flat_map(|t| t.values.costs.iter().map(|(_, f)| f).chain(t.values.qaly.iter()));
            for f in one_offs.chain(events).filter(|f| uses_state_time(f)) {
                bad.push((f.origin, "a one-off or transition value (charged once, not per cycle in a state)".into()));
            }
            for (origin, owner) in bad {
                if self
                    .diagnostics
                    .0
                    .iter()
                    .any(|d| d.code == "state-time" && d.span.map(|s| s.offset()) == Some(origin.offset))
                {
                    continue;
                }
                let message = if owner.starts_with("a one-off") {
                    format!("`state_time` is used (directly or through a parameter) for {owner}")
                } else {
                    format!("`state_time` is used (directly or through a parameter) for {owner}, which does not track time in state")
                };
                let d = Diagnostic::error("state-time", message)
                    .at(&self.source, (origin.offset, origin.len.max(1)).into(), "uses state_time")
                    .help("add `track_cycles: N` to the state whose rows and values need time in state");
                self.push(d);
            }
        }
    }

    fn report_cycle(&mut self, model: &Model, strategy: StrategyId, cycle: &[ParamId]) {
        let path: Vec<&str> = cycle.iter().map(|p| model.parameters[p.index()].name.as_str()).collect();
        let first = model.definition(strategy, cycle[0]);
        let own = model.strategies[strategy.index()].overrides.iter().any(|(p, _)| cycle.contains(p));
        let context =
            if own { format!(" (in strategy `{}`)", model.strategies[strategy.index()].name) } else { String::new() };
        let span = (first.origin.offset, first.origin.len.max(1)).into();
        let shown = circle(&path);
        let diagnostic =
            Diagnostic::error("circular-definition", format!("circular parameter definition{context}: {shown}"))
                .at(&self.source, span, format!("`{}` depends on itself through this formula", path[0]))
                .help("define one of these parameters without referring back to the others");
        self.push(diagnostic);
    }

    fn warn_unused_parameters(&mut self, model: &Model, raw: &RawModel) {
        let mut used = vec![false; model.parameters.len()];
        let mut mark = |formula: &hta_model::Formula| formula.expr.params().for_each(|p| used[p.index()] = true);
        model.parameters.iter().for_each(|p| mark(&p.definition));
        model.curves.iter().flat_map(|c| c.formulas()).for_each(&mut mark);
        for state in &model.states {
            state.costs.iter().for_each(|(_, f)| mark(f));
            state.utility.iter().for_each(&mut mark);
            mark(&state.life_years);
        }
        for strategy in model.strategies.iter().chain(&model.arms) {
            strategy.overrides.iter().for_each(|(_, f)| mark(f));
            strategy.at_start.costs.iter().for_each(|(_, f)| mark(f));
            strategy.at_start.qaly.iter().for_each(&mut mark);
            for branch in strategy.tree.iter().flat_map(|t| &t.branches) {
                if let hta_model::EntryValue::Formula(f) = &branch.probability {
                    mark(f);
                }
                branch.values.costs.iter().for_each(|(_, f)| mark(f));
                branch.values.qaly.iter().for_each(&mut mark);
            }
            for row in &strategy.rows {
                for entry in &row.entries {
                    if let hta_model::EntryValue::Formula(f) = &entry.value {
                        mark(f);
                    }
                }
            }
        }
        for value in &model.transition_values {
            value.values.costs.iter().for_each(|(_, f)| mark(f));
            value.values.qaly.iter().for_each(&mut mark);
        }
        for ((name, _), used) in raw.parameters.iter().zip(used.iter().copied()) {
            if !used && !self.read_elsewhere.contains(&name.value) {
                self.warning(
                    "unused-parameter",
                    &name.referenced,
                    format!("parameter `{}` is never used", name.value),
                    "defined here",
                );
            }
        }
    }
}

impl Lowerer<'_> {
    /// Correlations: parameters with (non-fixed) distributions, |rho| < 1, and a positive
    /// definite matrix overall (checked with a Cholesky factorisation).
    fn lower_correlations(
        &mut self,
        raw: &RawModel,
        names: &Names,
        model: &Model,
    ) -> Option<hta_model::CorrelatedGroup> {
        if raw.correlations.is_empty() {
            return None;
        }
        let mut params: Vec<ParamId> = Vec::new();
        let mut pairs: Vec<(ParamId, ParamId, f64)> = Vec::new();
        for entry in &raw.correlations {
            let c = &entry.value;
            let rho = c.rho.value;
            if !(rho.is_finite() && rho > -1.0 && rho < 1.0) {
                self.error(
                    "correlation",
                    &c.rho.referenced,
                    format!("a correlation must lie strictly between -1 and 1, found {rho}"),
                    "rho",
                );
                continue;
            }
            let mut ids = Vec::new();
            for name in &c.parameters {
                let Some(i) = names.params.get(&name.value) else {
                    self.error(
                        "unknown-name",
                        &name.referenced,
                        format!("unknown parameter `{}`", name.value),
                        "parameter",
                    )
                    .help = crate::names::did_you_mean(names.params.suggest(&name.value));
                    continue;
                };
                let p = &model.parameters.get(i);
                let sampled = p.is_some_and(
                    |p| matches!(&p.uncertainty.distribution, Some(d) if *d != hta_model::Distribution::Fixed),
                );
                if !sampled {
                    self.error(
                        "correlation",
                        &name.referenced,
                        format!("`{}` has no distribution to correlate", name.value),
                        "parameter",
                    )
                    .help =
                        Some("only parameters with a `distribution` (not Dirichlet members) can be correlated".into());
                    continue;
                }
                let id = ParamId::new(i);
                if ids.contains(&id) {
                    self.error(
                        "correlation",
                        &name.referenced,
                        format!("`{}` is listed twice in one correlation", name.value),
                        "listed again",
                    )
                    .help = Some("a parameter is always perfectly correlated with itself; list each once".into());
                    continue;
                }
                let earlier =
                    pairs.iter().find(|(x, y, _)| ids.iter().any(|a| (*a == *x && id == *y) || (*a == *y && id == *x)));
                if let Some((x, y, r)) = earlier {
                    let name_of = |p: &ParamId| model.parameters.get(p.index()).map_or("?", |p| p.name.as_str());
                    let (x, y) = (name_of(x), name_of(y));
                    self.error(
                        "correlation",
                        &name.referenced,
                        format!("`{x}` and `{y}` are already correlated at {r} by an earlier entry"),
                        "correlated again",
                    )
                    .help = Some("give each pair of parameters one correlation".into());
                    continue;
                }
                ids.push(id);
            }
            if c.parameters.len() < 2 {
                self.error(
                    "correlation",
                    &entry.referenced,
                    "a correlation needs at least two parameters",
                    "correlation",
                );
            }
            for (a, x) in ids.iter().enumerate() {
                if !params.contains(x) {
                    params.push(*x);
                }
                for y in &ids[a + 1..] {
                    pairs.push((*x, *y, rho));
                }
            }
        }
        let k = params.len();
        let mut matrix = vec![0.0; k * k];
        for i in 0..k {
            matrix[i * k + i] = 1.0;
        }
        for (x, y, rho) in pairs {
            let (i, j) =
                (params.iter().position(|p| *p == x).unwrap_or(0), params.iter().position(|p| *p == y).unwrap_or(0));
            matrix[i * k + j] = rho;
            matrix[j * k + i] = rho;
        }
        let positive_definite = nalgebra::DMatrix::from_row_slice(k, k, &matrix).cholesky().is_some();
        if !positive_definite {
            if let Some(first) = raw.correlations.first() {
                self.error(
                    "correlation",
                    &first.referenced,
                    "the correlations together are impossible: the correlation matrix is not positive definite",
                    "correlations",
                )
                .help = Some(
                    "lower some correlations; e.g. a with b at 0.9 and b with c at 0.9 need a with c above 0.62".into(),
                );
            }
        }
        (k >= 2 && positive_definite).then_some(hta_model::CorrelatedGroup { params, matrix })
    }

    /// Scenarios: every name must be a parameter or a setting `--set` accepts; values are checked
    /// when the scenario is run, like `--set`.
    fn lower_scenarios(&mut self, raw: &RawModel, names: &Names) -> Vec<hta_model::Scenario> {
        let mut scenarios = Vec::new();
        for (name, scenario) in &raw.scenarios {
            let overrides = self.named_overrides(&scenario.value.set, names, &format!("scenario `{}`", name.value));
            scenarios.push(hta_model::Scenario {
                name: name.value.clone(),
                label: scenario.value.label.clone(),
                overrides,
            });
        }
        scenarios
    }

    /// Subgroups: weights in (0, 1] summing to 1, overrides as for scenarios.
    fn lower_subgroups(&mut self, raw: &RawModel, names: &Names) -> Vec<hta_model::Subgroup> {
        let mut subgroups = Vec::new();
        for (name, subgroup) in &raw.subgroups {
            let g = &subgroup.value;
            let overrides = self.named_overrides(&g.set, names, &format!("subgroup `{}`", name.value));
            if !(g.weight.value > 0.0 && g.weight.value <= 1.0) {
                let message = format!("subgroup `{}` has weight {}", name.value, g.weight.value);
                self.error("probability", &g.weight.referenced, message, "not in (0, 1]");
            }
            subgroups.push(hta_model::Subgroup {
                name: name.value.clone(),
                label: g.label.clone(),
                weight: g.weight.value,
                overrides,
            });
        }
        let total: f64 = subgroups.iter().map(|g| g.weight).sum();
        if let Some((first, _)) = raw.subgroups.first() {
            if (total - 1.0).abs() > structure::SUM_TOLERANCE {
                let message = format!("the subgroup weights sum to {total}, not 1");
                self.error("probability", &first.referenced, message, "first subgroup").help =
                    Some("give each subgroup its share of the population".into());
            }
        }
        subgroups
    }

    /// `set:` of a scenario or subgroup: each key a parameter or a setting.
    fn named_overrides(
        &mut self,
        set: &crate::raw::SpannedMap<serde_saphyr::Spanned<crate::raw::Scalar>>,
        names: &Names,
        owner: &str,
    ) -> Vec<(String, String)> {
        let mut overrides = Vec::new();
        for (key, value) in set {
            let known =
                names.params.get(&key.value).is_some() || crate::overrides::SETTINGS.contains(&key.value.as_str());
            if !known {
                let mut candidates: Vec<&str> = names.params.index.keys().map(String::as_str).collect();
                candidates.extend(crate::overrides::SETTINGS);
                let help =
                    crate::names::did_you_mean(hta_model::suggest::closest(&key.value, candidates).map(str::to_string))
                        .unwrap_or_else(|| {
                            format!("settings: {}; or any parameter", crate::overrides::SETTINGS.join(", "))
                        });
                self.error(
                    "unknown-name",
                    &key.referenced,
                    format!("{owner} sets `{}`, which is neither a parameter nor a setting", key.value),
                    "unknown name",
                )
                .help = Some(help);
                continue;
            }
            let text = match &value.value {
                crate::raw::Scalar::Number(v) => v.to_string(),
                crate::raw::Scalar::Text(t) => t.clone(),
            };
            overrides.push((key.value.clone(), text));
        }
        overrides
    }
}

/// Parameters a formula reads, directly or through the curves it evaluates.
pub fn reads_with_curves(model: &Model, formula: &hta_model::Formula) -> Vec<ParamId> {
    let mut params: Vec<ParamId> = formula.expr.params().collect();
    let mut stack: Vec<hta_model::CurveId> = formula
        .expr
        .references()
        .into_iter()
        .filter_map(|r| match r {
            hta_model::formula::Reference::Curve(c) => Some(c),
            _ => None,
        })
        .collect();
    let mut seen = Vec::new();
    while let Some(c) = stack.pop() {
        if seen.contains(&c) || c.index() >= model.curves.len() {
            continue;
        }
        seen.push(c);
        let curve = &model.curves[c.index()];
        for f in curve.formulas() {
            params.extend(f.expr.params());
        }
        stack.extend(curve.bases());
    }
    params
}

impl Lowerer<'_> {
    /// Partitioned survival: the last state is the only dead one; no time in state; the only
    /// transition values are on deaths (the one transition a partitioned model identifies).
    fn check_partitioned(&mut self, model: &Model) {
        let n = model.states.len();
        for (i, state) in model.states.iter().enumerate() {
            let problem = match (i + 1 == n, state.dead, state.track_cycles) {
                (_, _, Some(_)) => Some("time in state needs a Markov model; partitioned survival has no transitions to track"),
                (true, false, _) => Some("the last state of a partitioned survival model is dead (1 minus the outermost curve): mark it `dead: true`"),
                (false, true, _) => Some("only the last state of a partitioned survival model can be dead"),
                _ => None,
            };
            if let Some(message) = problem {
                let d = Diagnostic::error("structure", format!("state `{}`: {message}", state.name)).at(
                    &self.source,
                    (state.origin.offset, state.origin.len.max(1)).into(),
                    "this state",
                );
                self.push(d);
            }
        }
        for tv in &model.transition_values {
            if tv.from.is_some() || tv.to.index() + 1 != n {
                let d = Diagnostic::error("structure", "a partitioned survival model identifies only deaths: transition values must be `to:` the dead state, without `from:`")
                    .at(&self.source, (tv.origin.offset, tv.origin.len.max(1)).into(), "this transition value");
                self.push(d);
            }
        }
    }

    /// A curve may not be built, directly or indirectly, on itself.
    fn check_curve_cycles(&mut self, model: &Model) {
        let reads: Vec<Vec<ParamId>> =
            model.curves.iter().map(|c| c.bases().iter().map(|b| ParamId::new(b.index())).collect()).collect();
        let order = match hta_model::dependency::evaluation_order(&reads) {
            Ok(order) => order,
            Err(cycle) => {
                let path: Vec<&str> = cycle.iter().map(|c| model.curves[c.index()].name.as_str()).collect();
                let origin = model.curves[cycle[0].index()].origin;
                let d = Diagnostic::error(
                    "circular-definition",
                    format!("survival curves are built on each other in a circle: {}", circle(&path)),
                )
                .at(&self.source, (origin.offset, origin.len.max(1)).into(), "this curve");
                self.push(d);
                return;
            }
        };
        // Longest chain of curves below each curve (bases come first in `order`).
        let limit = hta_model::curve::MAX_CURVE_DEPTH;
        let mut depth = vec![0usize; model.curves.len()];
        for c in order {
            let below = reads[c.index()].iter().map(|b| depth[b.index()] + 1).max().unwrap_or(0);
            depth[c.index()] = below;
            if below == limit + 1 {
                let curve = &model.curves[c.index()];
                let d = Diagnostic::error(
                    "too-large",
                    format!(
                        "survival curve `{}` is built on a chain of {below} curves; the limit is {limit}",
                        curve.name
                    ),
                )
                .at(&self.source, (curve.origin.offset, curve.origin.len.max(1)).into(), "this curve")
                .help("fit the curve directly, or combine hazard ratios into one parameter");
                self.push(d);
            }
        }
    }

    /// Curve definitions may not read time (directly or through parameters): a curve is a
    /// function of the time it is evaluated at.
    fn check_curves_time_invariant(&mut self, model: &Model) {
        use hta_model::formula::Reference;
        for strategy in model.all_strategy_ids() {
            let n = model.parameters.len();
            let reads: Vec<Vec<ParamId>> =
                (0..n).map(|p| model.definition(strategy, ParamId::new(p)).expr.params().collect()).collect();
            let order = hta_model::dependency::evaluation_order(&reads).unwrap_or_default();
            let mut timed = vec![false; n];
            for p in order {
                timed[p.index()] = model.definition(strategy, p).expr.references().iter().any(|r| match r {
                    Reference::Time(v) => v.varies(),
                    Reference::Param(q) => timed[q.index()],
                    _ => false,
                });
            }
            for curve in &model.curves {
                for f in curve.formulas() {
                    let uses_time = f.expr.references().iter().any(|r| match r {
                        Reference::Time(v) => v.varies(),
                        Reference::Param(q) => timed[q.index()],
                        _ => false,
                    });
                    let reported = self
                        .diagnostics
                        .0
                        .iter()
                        .any(|d| d.code == "curve-time" && d.span.map(|s| s.offset()) == Some(f.origin.offset));
                    if uses_time && !reported {
                        let d = Diagnostic::error("curve-time", format!("a parameter of survival curve `{}` changes with model time", curve.name))
                            .at(&self.source, (f.origin.offset, f.origin.len.max(1)).into(), "reads a time variable")
                            .help("curve parameters must be fixed; evaluate the curve at the time you need with surv(curve, t) or event_prob(curve, t0, t1)");
                        self.push(d);
                    }
                }
            }
        }
    }
}

fn lower_metadata(raw: &RawModel) -> Metadata {
    let m = &raw.metadata;
    Metadata {
        title: m.title.value.clone(),
        description: m.description.clone(),
        currency: m.currency.value.clone(),
        price_year: m.price_year.as_ref().map(|y| y.value),
        perspective: m.perspective.clone(),
        country: m.country.clone(),
        references: m.references.clone(),
    }
}

/// A circle of names, `a -> b -> a`; a long one by its first and last links only.
fn circle(path: &[&str]) -> String {
    if path.len() > 12 {
        let skipped = path.len() - 10;
        format!("{} -> ... ({skipped} more) -> {}", path[..6].join(" -> "), path[path.len() - 4..].join(" -> "))
    } else {
        path.join(" -> ")
    }
}
