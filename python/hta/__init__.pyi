"""Type stubs of the hta package."""

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import pandas as pd

from ._hta import HtaError as HtaError, ModelError as ModelError, RunError as RunError, UsageError as UsageError

__version__: str
Overrides = Mapping[str, Union[float, int, str, bool]]

@dataclass
class RunResult:
    results: Dict[str, Any]
    strategies: pd.DataFrame
    summary: pd.DataFrame
    trace: pd.DataFrame
    values: pd.DataFrame
    warnings: List[str]
    results_json: str
    @property
    def incremental(self) -> pd.DataFrame: ...
    @property
    def thresholds(self) -> pd.DataFrame: ...

@dataclass
class PsaResult:
    draws: pd.DataFrame
    parameters: pd.DataFrame
    summary: pd.DataFrame
    ceac: pd.DataFrame
    evpi: pd.DataFrame
    skipped: List[int]
    effect: str
    cost: np.ndarray
    effect_values: np.ndarray

@dataclass
class DsaResult:
    bars: pd.DataFrame
    base: pd.DataFrame
    wtp: Optional[float]

@dataclass
class BudgetResult:
    title: str
    horizon_years: int
    years: pd.DataFrame
    schemes: pd.DataFrame
    scenarios: pd.DataFrame
    warnings: List[str]

@dataclass
class TwowayResult:
    x: str
    y: str
    wtp: float
    cells: pd.DataFrame
    x_values: np.ndarray
    y_values: np.ndarray
    def optimal_grid(self) -> pd.DataFrame: ...

@dataclass
class ThresholdResult:
    parameter: str
    base: float
    strategy: str
    comparator: Optional[str]
    range: Tuple[float, float]
    rows: pd.DataFrame

@dataclass
class ComparisonResult:
    table: pd.DataFrame
    effect: str
    total_equals_base_case: Optional[bool]

class Model:
    @property
    def path(self) -> str: ...
    @property
    def strategies(self) -> List[str]: ...
    @property
    def parameters(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def title(self) -> str: ...
    @property
    def currency(self) -> str: ...
    def run(self) -> RunResult: ...
    def dsa(self, outcome: str = "inmb", wtp: Optional[float] = None, range_percent: Optional[float] = None) -> DsaResult: ...
    def twoway(self, x: str, y: str, steps: int = 11, wtp: Optional[float] = None) -> TwowayResult: ...
    def threshold(
        self,
        param: str,
        strategy: Optional[str] = None,
        vs: Optional[str] = None,
        wtp: Optional[List[float]] = None,
    ) -> ThresholdResult: ...
    def scenarios(self, standard: bool = False) -> ComparisonResult: ...
    def subgroups(self) -> ComparisonResult: ...
    def budget(self, path: Union[str, os.PathLike]) -> BudgetResult: ...
    def report(
        self,
        out: Union[str, os.PathLike],
        *,
        draws: int = 0,
        seed: int = 1,
        threads: Optional[int] = None,
        force: bool = False,
    ) -> List[str]: ...
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
    ) -> PsaResult: ...

def load(path: Union[str, os.PathLike], set: Optional[Overrides] = None) -> Model: ...
def check(path: Union[str, os.PathLike], set: Optional[Overrides] = None) -> List[str]: ...
