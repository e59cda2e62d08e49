"""hta: health-technology assessment in Python on the Rust engine of the `hta` toolkit.

    import hta
    m = hta.load("models/hiv.yaml", set={"c_lamivudine": 0})
    base = m.run()            # base.summary, base.trace, base.values, base.incremental (DataFrames)
    psa = m.psa(draws=10_000, seed=1, threads=0)
    psa.draws, psa.ceac       # DataFrames
    m.twoway("rr", "c_lamivudine").cells, m.threshold("c_lamivudine").rows
    m.scenarios().table, m.subgroups().table

Models are validated on load; an invalid file raises :class:`ModelError` whose ``diagnostics``
list every problem with file, line, column, code and message. Runs release the GIL.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import numpy as np
import pandas as pd

from . import _hta
from ._hta import HtaError, ModelError, RunError, UsageError

__version__ = _hta.__version__
__all__ = [
    "load",
    "check",
    "Model",
    "RunResult",
    "PsaResult",
    "DsaResult",
    "BudgetResult",
    "TwowayResult",
    "ThresholdResult",
    "ComparisonResult",
    "HtaError",
    "ModelError",
    "RunError",
    "UsageError",
]

Overrides = Mapping[str, Union[float, int, str, bool]]


# pandas 3 parses floats exactly by default (and deprecates the option); before it, ask for it.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def _csv(text: str) -> pd.DataFrame:
    # The same float64 as the Rust value that printed the text.
    return pd.read_csv(io.StringIO(text), **_EXACT)


def _array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f8")


@dataclass
class RunResult:
    """The base case: what `hta run --out` writes, as DataFrames and as the results.json dict."""

    results: Dict[str, Any]
    """results.json as a dict (run record, settings, strategies, incremental, pairwise, thresholds)."""
    strategies: pd.DataFrame
    """One row per strategy: cost, qaly, ly (discounted and undiscounted), float64."""
    summary: pd.DataFrame
    """summary.csv: per strategy with status on the frontier and ICER."""
    trace: pd.DataFrame
    """trace.csv: strategy, cycle, state, proportion (long format)."""
    values: pd.DataFrame
    """values.csv: strategy, cycle, category, undiscounted, discounted."""
    warnings: List[str] = field(default_factory=list)
    results_json: str = ""
    """results.json exactly as `hta run` writes it."""

    @property
    def incremental(self) -> pd.DataFrame:
        """The incremental analysis (efficiency frontier, dominance, ICERs)."""
        return pd.DataFrame(self.results["incremental"])

    @property
    def thresholds(self) -> pd.DataFrame:
        """Net monetary benefit and the optimal strategy at each model threshold."""
        return pd.DataFrame(self.results["thresholds"])


@dataclass
class PsaResult:
    """A probabilistic analysis: every draw, the sampled values, the summary and the CEAC."""

    draws: pd.DataFrame
    """One row per draw and strategy: draw, strategy, cost, qaly, ly (discounted)."""
    parameters: pd.DataFrame
    """One row per draw: the sampled value of each parameter."""
    summary: pd.DataFrame
    """Means, SDs and 95% intervals of cost and effect per strategy."""
    ceac: pd.DataFrame
    """wtp, strategy, probability_cost_effective, expected_nmb, expected_loss, optimal (CEAF)."""
    evpi: pd.DataFrame
    """wtp, evpi_per_person and evppi_<name> for each parameter asked for."""
    skipped: List[int]
    effect: str
    cost: np.ndarray
    """Costs as a (draws, strategies) float64 array (a view, no copy)."""
    effect_values: np.ndarray
    """Effects (QALYs or life-years, as the model reports) as a (draws, strategies) array."""


@dataclass
class DsaResult:
    """A one-way analysis: the bars (widest first) and the base-case value of each comparison."""

    bars: pd.DataFrame
    """parameter, low, high, comparison, outcome_at_low, outcome_at_high, width, quadrant_at_low/high."""
    base: pd.DataFrame
    """comparison, value at base parameter values."""
    wtp: Optional[float]


@dataclass
class BudgetResult:
    """A budget impact analysis under every payment scheme of a budget file."""

    title: str
    horizon_years: int
    years: pd.DataFrame
    """One row per scheme and year: patients treated, payments, rebates, care costs, net and cumulative impact."""
    schemes: pd.DataFrame
    """One row per scheme: net impact over the horizon, committed after it, per-patient amounts, break-even year."""
    scenarios: pd.DataFrame
    """One row per scenario (base first) and scheme."""
    warnings: List[str]


@dataclass
class TwowayResult:
    """A two-way analysis: a grid over two parameters, the optimal strategy in each cell."""

    x: str
    y: str
    wtp: float
    """The threshold the net monetary benefit is taken at."""
    cells: pd.DataFrame
    """twoway.csv: one row per cell (``x`` fastest): the two parameters' values (columns named
    after them), ``optimal`` and ``nmb_<strategy>`` for each strategy, float64."""
    x_values: np.ndarray
    y_values: np.ndarray

    def optimal_grid(self) -> pd.DataFrame:
        """The optimal strategy as a grid: rows are values of ``y``, columns values of ``x``."""
        return self.cells.pivot(index=self.y, columns=self.x, values="optimal")


@dataclass
class ThresholdResult:
    """A threshold analysis of one parameter."""

    parameter: str
    base: float
    """The parameter's base value (1 if it is a formula)."""
    strategy: str
    comparator: Optional[str]
    """The comparator; None for the best other strategy (``vs="best"``)."""
    range: tuple
    """(low, high) of the range searched (the upper end may have been doubled, to 1e15)."""
    rows: pd.DataFrame
    """One row per threshold: threshold (label), wtp, result (icer, net_benefit,
    optimal_between, always_optimal, never_optimal, no_sign_change), value (the parameter
    value found), check (the ICER, or the net benefit over the best other strategy, of the
    model re-run at it), lower/upper with lower_found/upper_found (the range where the strategy
    stays optimal; ``*_found`` False where it is the end searched), inmb_at_low/inmb_at_high;
    NaN where a column does not apply."""


@dataclass
class ComparisonResult:
    """Runs side by side (scenarios or subgroups), each with its incremental analysis."""

    table: pd.DataFrame
    """scenarios.csv / subgroups.csv: run (label), name, kind (base_case, scenario,
    standard_scenario, subgroup, weighted_total), weight (subgroups), strategy, cost, effect,
    status (frontier code), icer, inmb_vs_reference (at the first threshold); NaN where none."""
    effect: str
    total_equals_base_case: Optional[bool] = None
    """Subgroups: whether the weighted total equals the base case within 1e-9."""


def _comparison(raw: Dict[str, Any]) -> ComparisonResult:
    table = pd.DataFrame(raw["rows"])
    for column in ("run", "name", "kind", "strategy", "status"):
        table[column] = table[column].astype("string")
    return ComparisonResult(table=table, effect=raw["effect"], total_equals_base_case=raw.get("total_equals_base_case"))


class Model:
    """A loaded and validated model. Create with :func:`load`."""

    def __init__(self, inner: Any, overrides: Optional[Overrides]):
        self._inner = inner
        self._overrides = dict(overrides or {})

    def __repr__(self) -> str:
        return f"<hta.Model {self._inner.path!r}: {len(self.strategies)} strategies>"

    @property
    def path(self) -> str:
        return self._inner.path

    @property
    def strategies(self) -> List[str]:
        return list(self._inner.strategies)

    @property
    def parameters(self) -> List[str]:
        return list(self._inner.parameters)

    @property
    def warnings(self) -> List[str]:
        return list(self._inner.warnings)

    @property
    def title(self) -> str:
        return self._inner.title

    @property
    def currency(self) -> str:
        return self._inner.currency

    def run(self) -> RunResult:
        """Runs the base case and its incremental analysis."""
        raw = self._inner.run()
        strategies = pd.DataFrame(raw["strategies"])
        strategies["strategy"] = strategies["strategy"].astype("string")
        return RunResult(
            results=json.loads(raw["results_json"]),
            strategies=strategies,
            summary=_csv(raw["summary_csv"]),
            trace=_csv(raw["trace_csv"]),
            values=_csv(raw["values_csv"]),
            warnings=list(raw["warnings"]),
            results_json=raw["results_json"],
        )

    def dsa(
        self,
        outcome: str = "inmb",
        wtp: Optional[float] = None,
        range_percent: Optional[float] = None,
    ) -> DsaResult:
        """One-way analysis (``hta dsa``): each parameter with ``low``/``high`` (or ±``range_percent``)
        on ``outcome`` (inmb, nmb, cost, effect, icer) at ``wtp`` (default: the first threshold)."""
        raw = self._inner.dsa(outcome=outcome, wtp=wtp, range_percent=range_percent)
        bars = pd.DataFrame(raw["bars"])
        for column in ("parameter", "comparison", "quadrant_at_low", "quadrant_at_high"):
            bars[column] = bars[column].astype("string")
        base = pd.DataFrame(raw["base"])
        base["comparison"] = base["comparison"].astype("string")
        return DsaResult(bars=bars, base=base, wtp=raw["wtp"])

    def twoway(self, x: str, y: str, steps: int = 11, wtp: Optional[float] = None) -> TwowayResult:
        """Two-way analysis (``hta twoway``): ``steps`` values each of parameters ``x`` and ``y``
        over their ``low``/``high`` (else ±20% of a numeric base value), the others at base; in
        each cell the net monetary benefit of every strategy at ``wtp`` (default: the first
        threshold) and the optimal strategy."""
        raw = self._inner.twoway(x, y, steps=steps, wtp=wtp)
        cells = pd.DataFrame(raw["cells"])
        cells = cells.rename(columns={"x": raw["x"], "y": raw["y"]})
        cells["optimal"] = pd.Categorical(cells["optimal"], categories=list(raw["strategies"]))
        return TwowayResult(
            x=raw["x"],
            y=raw["y"],
            wtp=raw["wtp"],
            cells=cells,
            x_values=np.asarray(raw["x_values"], dtype=np.float64),
            y_values=np.asarray(raw["y_values"], dtype=np.float64),
        )

    def threshold(
        self,
        param: str,
        strategy: Optional[str] = None,
        vs: Optional[str] = None,
        wtp: Optional[List[float]] = None,
    ) -> ThresholdResult:
        """Threshold analysis (``hta threshold``): the value of ``param`` at which ``strategy``
        (default: the last) has ICER = threshold against ``vs`` (default: the reference), or with
        ``vs="best"`` where it stops being optimal; at each of ``wtp`` (default: the model's
        thresholds). Each value found is checked by running the model at it (``check``)."""
        raw = self._inner.threshold(param, strategy=strategy, vs=vs, wtp=wtp)
        rows = pd.DataFrame(raw["rows"])
        for column in ("threshold", "result"):
            rows[column] = rows[column].astype("string")
        return ThresholdResult(
            parameter=raw["parameter"],
            base=raw["base"],
            strategy=raw["strategy"],
            comparator=raw["comparator"],
            range=tuple(raw["range"]),
            rows=rows,
        )

    def scenarios(self, standard: bool = False) -> ComparisonResult:
        """Scenarios (``hta scenarios``): the base case and every scenario of the model file
        (with ``standard``, also the standard ones it does not name: no discounting, the
        jurisdiction's other rates, half the horizon), each with its incremental analysis."""
        return _comparison(self._inner.scenarios(standard=standard))

    def subgroups(self) -> ComparisonResult:
        """Subgroups (``hta subgroups``): each subgroup of the model file, then the population
        total weighted by their shares (costs and effects averaged, then compared)."""
        return _comparison(self._inner.subgroups())

    def budget(self, path: Union[str, os.PathLike]) -> BudgetResult:
        """Budget impact (``hta budget``) of a budget file that names this model, with this
        model's overrides."""
        raw = self._inner.budget(os.fspath(path))
        years = pd.DataFrame(raw["years"])
        years["scheme"] = years["scheme"].astype("string")
        years["year"] = years["year"].astype("int64")
        schemes = pd.DataFrame(raw["schemes"])
        schemes["break_even_year"] = schemes["break_even_year"].astype("Int64")
        return BudgetResult(
            title=raw["title"],
            horizon_years=int(raw["horizon_years"]),
            years=years,
            schemes=schemes,
            scenarios=pd.DataFrame(raw["scenarios"]),
            warnings=list(raw["warnings"]),
        )

    def report(
        self,
        out: Union[str, os.PathLike],
        *,
        draws: int = 0,
        seed: int = 1,
        threads: Optional[int] = None,
        force: bool = False,
    ) -> List[str]:
        """Writes the base case as ``hta run --out`` does (results.json, summary.csv, trace.csv,
        values.csv, byte for byte), the one-way table (tornado.csv) if parameters have ranges,
        and with ``draws > 0`` the PSA tables (psa_draws.csv, ceac.csv, psa_summary.csv) into
        ``out``. Refuses to replace existing files unless ``force``. Returns the names written.
        (The HTML/Excel dossier pack is ``hta report`` on the command line.)"""
        directory = os.fspath(out)
        os.makedirs(directory, exist_ok=True)
        raw = self._inner.run()
        files: Dict[str, str] = {
            "results.json": raw["results_json"],
            "summary.csv": raw["summary_csv"],
            "trace.csv": raw["trace_csv"],
            "values.csv": raw["values_csv"],
        }
        try:
            files["tornado.csv"] = self.dsa().bars.to_csv(index=False)
        except UsageError:
            pass
        if draws > 0:
            p = self.psa(draws=draws, seed=seed, threads=threads)
            files["psa_draws.csv"] = p.draws.to_csv(index=False)
            files["ceac.csv"] = p.ceac.to_csv(index=False)
            files["psa_summary.csv"] = p.summary.to_csv(index=False)
        existing = [n for n in files if os.path.exists(os.path.join(directory, n))]
        if existing and not force:
            raise FileExistsError(f"{', '.join(existing)} already in {directory}; pass force=True to replace")
        for name, text in files.items():
            tmp = os.path.join(directory, f".{name}.tmp")
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            os.replace(tmp, os.path.join(directory, name))
        return list(files)

    def psa(
        self,
        draws: int = 1000,
        seed: int = 1,
        threads: Optional[int] = None,
        *,
        first_draw: int = 0,
        skip_invalid: bool = False,
        wtp_grid: Optional[str] = None,
        evppi: Optional[List[str]] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> PsaResult:
        """Probabilistic analysis: ``draws`` seeded draws (the same numbers for any ``threads``;
        0 means one thread per core). ``wtp_grid`` is ``"MIN:MAX:STEP"`` for the CEAC;
        ``evppi`` names sampled parameters; ``progress(done, total)`` is called about 100 times."""
        raw = self._inner.psa(
            draws=draws,
            seed=seed,
            threads=threads,
            first_draw=first_draw,
            skip_invalid=skip_invalid,
            wtp_grid=wtp_grid,
            evppi=evppi,
            progress=progress,
        )
        names = list(raw["strategies"])
        n = len(names)
        cost, qaly, ly = _array(raw["cost"]), _array(raw["qaly"]), _array(raw["ly"])
        kept = np.asarray(raw["draw"], dtype=np.uint64)
        frame = pd.DataFrame(
            {
                "draw": np.repeat(kept, n),
                "strategy": pd.Categorical(names * len(kept), categories=names),
                "cost": cost,
                "qaly": qaly,
                "ly": ly,
            }
        )
        params = list(raw["parameters"])
        values = _array(raw["values"]).reshape(len(kept), len(params))
        parameters = pd.DataFrame(values, columns=params)
        parameters.insert(0, "draw", kept)
        ceac = pd.DataFrame(raw["ceac"])
        ceac["strategy"] = pd.Categorical(ceac["strategy"], categories=names)
        summary = pd.DataFrame(raw["summary"])
        summary["strategy"] = summary["strategy"].astype("string")
        effect = qaly if raw["effect"] == "qaly" else ly
        return PsaResult(
            draws=frame,
            parameters=parameters,
            summary=summary,
            ceac=ceac,
            evpi=pd.DataFrame(raw["evpi"]),
            skipped=list(raw["skipped"]),
            effect=raw["effect"],
            cost=cost.reshape(len(kept), n),
            effect_values=effect.reshape(len(kept), n),
        )


def load(path: Union[str, os.PathLike], set: Optional[Overrides] = None) -> Model:
    """Loads and validates a model file. ``set`` overrides parameters or settings for this
    model, as ``--set`` does (``{"c_lamivudine": 0, "discount.costs": 0.035}``); an override
    is validated like the file. Raises :class:`ModelError` with every diagnostic."""
    return Model(_hta.load(os.fspath(path), set=dict(set) if set else None), set)


def check(path: Union[str, os.PathLike], set: Optional[Overrides] = None) -> List[str]:
    """Validates a model and runs every run-time check (``hta check``); returns the warnings.
    Raises :class:`ModelError` or :class:`RunError` with every diagnostic."""
    return list(_hta.check(os.fspath(path), set=dict(set) if set else None))
