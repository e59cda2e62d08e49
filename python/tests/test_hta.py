"""Tests of the Python package against published numbers (Briggs et al. 2006, Exercise 2.5),
the command line's own files, and the analysis layer's invariants (determinism across threads)."""

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hta

ROOT = Path(__file__).resolve().parents[2]
HIV = ROOT / "models" / "hiv.yaml"
W2 = ROOT / "benches" / "models" / "w2_hiv.yaml"
CART = ROOT / "models" / "cart_lbcl_psm.yaml"
CART_BUDGET = ROOT / "models" / "budgets" / "cart_china.yaml"
INVALID = ROOT / "tests" / "invalid"


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    # Model paths are recorded as given; run from the repository root as the CLI tests do.
    monkeypatch.chdir(ROOT)


def hta_binary():
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "hta"
        if path.exists():
            return path
    return None


@pytest.fixture(scope="module")
def hiv():
    os.chdir(ROOT)
    return hta.load("models/hiv.yaml")


@pytest.fixture(scope="module")
def hiv_run(hiv):
    return hiv.run()


def test_hiv_costs_and_life_years_match_briggs(hiv_run):
    s = hiv_run.strategies.set_index("strategy")
    assert s.loc["mono", "cost"] == pytest.approx(44663.45, abs=0.01)
    assert s.loc["comb", "cost"] == pytest.approx(50601.65, abs=0.01)
    assert s.loc["mono", "ly"] == pytest.approx(7.9912, abs=1e-4)
    assert s.loc["comb", "ly"] == pytest.approx(8.9374, abs=1e-4)


def test_hiv_icer_matches_briggs(hiv_run):
    row = hiv_run.summary.set_index("strategy").loc["comb"]
    assert row["icer"] == pytest.approx(6275.96, abs=0.01)
    assert row["compared_with"] == "mono"


def test_run_equals_cli_results_json_to_the_bit(hiv_run, tmp_path):
    binary = hta_binary()
    if binary is None:
        pytest.skip("the hta binary is not built")
    subprocess.run([binary, "run", "models/hiv.yaml", "--out", tmp_path], check=True, capture_output=True)
    for name, text in [
        ("results.json", hiv_run.results_json),
    ]:
        assert (tmp_path / name).read_text() == text
    cli = json.loads((tmp_path / "results.json").read_text())
    py = hiv_run.strategies.set_index("strategy")
    for s in cli["strategies"]:
        assert py.loc[s["name"], "cost"] == s["cost"]  # exact, not approximate
        assert py.loc[s["name"], "ly"] == s["ly"]
    pd.testing.assert_frame_equal(hta._csv((tmp_path / "summary.csv").read_text()), hiv_run.summary)


def test_run_dataframes_have_named_columns_and_dtypes(hiv_run):
    st = hiv_run.strategies
    assert list(st.columns) == ["strategy", "cost", "qaly", "ly", "cost_undiscounted", "qaly_undiscounted", "ly_undiscounted"]
    assert st["cost"].dtype == np.float64 and st["strategy"].dtype == "string"
    tr = hiv_run.trace
    assert list(tr.columns) == ["strategy", "cycle", "state", "proportion"]
    assert tr["cycle"].dtype == np.int64 and tr["proportion"].dtype == np.float64
    assert list(hiv_run.values.columns) == ["strategy", "cycle", "category", "undiscounted", "discounted"]


def test_trace_rows_sum_to_one(hiv_run):
    sums = hiv_run.trace.groupby(["strategy", "cycle"])["proportion"].sum()
    assert np.allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert len(sums) == 2 * 21


def test_incremental_and_thresholds_tables(hiv_run):
    inc = hiv_run.incremental
    assert len(inc) == 2
    assert len(hiv_run.thresholds) >= 1


def test_model_properties(hiv):
    assert hiv.strategies == ["mono", "comb"]
    assert "c_lamivudine" in hiv.parameters
    assert hiv.currency == "GBP"
    assert "HIV" in hiv.title
    assert hiv.warnings == []


def test_override_changes_the_result():
    m = hta.load("models/hiv.yaml", set={"c_lamivudine": 0})
    s = m.run().strategies.set_index("strategy")
    assert s.loc["comb", "cost"] == pytest.approx(46812.52, abs=0.01)
    assert s.loc["mono", "cost"] == pytest.approx(44663.45, abs=0.01)


def test_override_is_recorded_in_the_run_record():
    r = hta.load("models/hiv.yaml", set={"c_lamivudine": 0}).run()
    assert r.results["run"]["overrides"] == [["c_lamivudine", "0"]]


def test_setting_override():
    r = hta.load("models/hiv.yaml", set={"discount.costs": 0.0}).run()
    s = r.strategies.set_index("strategy")
    assert s.loc["mono", "cost"] == s.loc["mono", "cost_undiscounted"]


def test_unknown_override_raises_with_diagnostics():
    with pytest.raises(hta.HtaError) as e:
        hta.load("models/hiv.yaml", set={"no_such_parameter": 1})
    assert "no_such_parameter" in str(e.value)


def test_invalid_model_raises_model_error_with_file_line_column():
    path = "tests/invalid/07-unknown-parameter-in-formula.yaml"
    with pytest.raises(hta.ModelError) as e:
        hta.load(path)
    diags = e.value.diagnostics
    assert diags, "every problem is listed"
    d = diags[0]
    assert d["file"] == path
    assert isinstance(d["line"], int) and d["line"] > 0
    assert isinstance(d["column"], int) and d["column"] > 0
    assert d["code"] and d["message"] and d["severity"] == "error"
    assert f"{path}:{d['line']}:{d['column']}" in str(e.value)


def test_every_invalid_file_raises_and_never_crashes():
    n = 0
    for path in sorted(INVALID.glob("*.yaml"))[:40]:
        try:
            hta.check(path)
        except hta.HtaError as e:
            n += 1
            assert str(e)
    assert n >= 30


def test_run_time_failure_raises_run_error():
    path = "tests/invalid/105-division-by-zero-at-cycle-5.yaml"
    with pytest.raises(hta.HtaError) as e:
        hta.check(path)
    assert e.value.diagnostics


def test_missing_file_raises():
    with pytest.raises(hta.ModelError):
        hta.load("models/no_such_model.yaml")


def test_check_valid_model_returns_warnings_list():
    assert hta.check("models/hiv.yaml") == []


@pytest.fixture(scope="module")
def w2_psa():
    os.chdir(ROOT)
    return hta.load("benches/models/w2_hiv.yaml").psa(draws=2000, seed=1, threads=1)


def test_psa_frames(w2_psa):
    d = w2_psa.draws
    assert list(d.columns) == ["draw", "strategy", "cost", "qaly", "ly"]
    assert len(d) == 2 * 2000
    assert d["cost"].dtype == np.float64 and d["draw"].dtype == np.uint64
    assert w2_psa.cost.shape == (2000, 2)
    assert list(w2_psa.parameters.columns)[0] == "draw"


def test_psa_ceac_probabilities_sum_to_one(w2_psa):
    sums = w2_psa.ceac.groupby("wtp", observed=True)["probability_cost_effective"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    assert w2_psa.ceac["optimal"].dtype == bool


def test_psa_summary_means_equal_draw_means(w2_psa):
    s = w2_psa.summary.set_index("strategy")
    means = w2_psa.draws.groupby("strategy", observed=True)["cost"].mean()
    for name in ["mono", "comb"]:
        assert s.loc[name, "mean_cost"] == pytest.approx(means[name], rel=1e-12)


def test_psa_evpi_is_non_negative(w2_psa):
    assert (w2_psa.evpi["evpi_per_person"] >= -1e-9).all()


def test_psa_deterministic_across_threads(w2_psa):
    other = hta.load("benches/models/w2_hiv.yaml").psa(draws=2000, seed=1, threads=2)
    assert np.array_equal(other.cost, w2_psa.cost)
    assert np.array_equal(other.effect_values, w2_psa.effect_values)
    pd.testing.assert_frame_equal(other.ceac, w2_psa.ceac)


def test_psa_seed_changes_draws(w2_psa):
    other = hta.load("benches/models/w2_hiv.yaml").psa(draws=2000, seed=2, threads=1)
    assert not np.array_equal(other.cost, w2_psa.cost)


def test_psa_shards_join_to_the_whole():
    m = hta.load("benches/models/w2_hiv.yaml")
    whole = m.psa(draws=200, seed=7)
    a = m.psa(draws=120, seed=7)
    b = m.psa(draws=80, seed=7, first_draw=120)
    assert np.array_equal(np.vstack([a.cost, b.cost]), whole.cost)


def test_psa_matches_cli(tmp_path):
    binary = hta_binary()
    if binary is None:
        pytest.skip("the hta binary is not built")
    subprocess.run(
        [binary, "psa", "benches/models/w2_hiv.yaml", "--draws", "500", "--seed", "3", "--out", tmp_path],
        check=True,
        capture_output=True,
    )
    cli = hta._csv((tmp_path / "psa_draws.csv").read_text())
    py = hta.load("benches/models/w2_hiv.yaml").psa(draws=500, seed=3)
    assert np.array_equal(cli["cost"].to_numpy(), py.draws["cost"].to_numpy())


def test_psa_progress_and_evppi():
    calls = []
    m = hta.load("benches/models/w2_hiv.yaml")
    sampled = ["rr"]
    r = m.psa(draws=300, seed=1, evppi=sampled, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (300, 300)
    assert f"evppi_{sampled[0]}" in r.evpi.columns


def test_psa_zero_draws_is_a_usage_error():
    with pytest.raises(hta.UsageError):
        hta.load("benches/models/w2_hiv.yaml").psa(draws=0)


def test_psa_releases_the_gil():
    m = hta.load("benches/models/w2_hiv.yaml")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    m.psa(draws=20000, seed=1, threads=1)
    stop.set()
    t.join()
    assert len(ticks) > 5


def test_dsa_tornado():
    r = hta.load("models/cart_lbcl_psm.yaml").dsa()
    bars = r.bars
    assert list(bars.columns)[:4] == ["parameter", "low", "high", "comparison"]
    widths = bars["width"].to_numpy()
    assert (widths[:-1] >= widths[1:]).all(), "widest first"
    assert r.wtp is not None and len(r.base) == 1


def test_dsa_bad_outcome():
    with pytest.raises(hta.UsageError):
        hta.load("models/cart_lbcl_psm.yaml").dsa(outcome="nonsense")


def test_budget_impact():
    b = hta.load("models/cart_lbcl_psm.yaml").budget("models/budgets/cart_china.yaml")
    assert len(b.schemes) == 14
    assert len(b.years) == 14 * b.horizon_years
    # the cumulative impact is the running sum of the yearly net impact
    for _, g in b.years.groupby("scheme"):
        assert np.allclose(g["net_impact"].cumsum().to_numpy(), g["cumulative_impact"].to_numpy(), rtol=1e-9)
    total = b.years.groupby("scheme")["net_impact"].sum()
    s = b.schemes.set_index("scheme")
    for name, value in total.items():
        assert s.loc[name, "net_impact_over_horizon"] == pytest.approx(value, rel=1e-9)


def test_budget_file_for_another_model():
    with pytest.raises(hta.UsageError):
        hta.load("models/hiv.yaml").budget("models/budgets/cart_china.yaml")


def test_report_to_a_temporary_directory(tmp_path, hiv_run):
    m = hta.load("models/hiv.yaml")
    written = m.report(tmp_path / "pack", draws=200)
    for name in ["results.json", "summary.csv", "trace.csv", "values.csv", "psa_draws.csv", "ceac.csv"]:
        assert (tmp_path / "pack" / name).exists()
        assert name in written
    assert (tmp_path / "pack" / "results.json").read_text() == hiv_run.results_json
    with pytest.raises(FileExistsError):
        m.report(tmp_path / "pack")
    m.report(tmp_path / "pack", force=True)


# The analyses moved into hta-app: two-way, threshold, scenarios, subgroups. Each is checked
# against the command line's files (or its printed values) for the same model, and against the
# model run again with overrides.

EGFR = ROOT / "models" / "egfr_test_and_treat.yaml"


def cli(tmp_path, *args):
    binary = hta_binary()
    if binary is None:
        pytest.skip("the hta binary is not built")
    done = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return done.stdout


def assert_numbers_equal(got, expected, rtol=1e-12):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    keep = ~np.isnan(expected)
    np.testing.assert_allclose(got[keep], expected[keep], rtol=rtol, atol=0)


def test_twoway_equals_cli_twoway_csv(hiv, tmp_path):
    cli(tmp_path, "twoway", "models/hiv.yaml", "--x", "rr", "--y", "c_lamivudine", "--steps", "4", "--out", tmp_path)
    csv = hta._csv((tmp_path / "twoway.csv").read_text())
    grid = hiv.twoway("rr", "c_lamivudine", steps=4)
    assert list(grid.cells.columns) == list(csv.columns) == ["rr", "c_lamivudine", "optimal", "nmb_mono", "nmb_comb"]
    for column in ("rr", "c_lamivudine", "nmb_mono", "nmb_comb"):
        assert grid.cells[column].dtype == np.float64
        assert_numbers_equal(grid.cells[column], csv[column])
    assert list(grid.cells["optimal"].astype(str)) == list(csv["optimal"])


def test_twoway_cells_equal_the_model_run_with_both_values(hiv):
    grid = hiv.twoway("rr", "c_lamivudine", steps=3, wtp=25000)
    assert grid.wtp == 25000
    assert grid.optimal_grid().shape == (3, 3)
    assert np.array_equal(grid.x_values, np.unique(grid.cells["rr"]))
    cell = grid.cells.iloc[5]
    run = hta.load("models/hiv.yaml", set={"rr": float(cell["rr"]), "c_lamivudine": float(cell["c_lamivudine"])}).run()
    s = run.strategies.set_index("strategy")
    for name in ("mono", "comb"):
        assert cell[f"nmb_{name}"] == pytest.approx(25000 * s.loc[name, "ly"] - s.loc[name, "cost"], rel=1e-12)
    best = "comb" if cell["nmb_comb"] > cell["nmb_mono"] else "mono"
    assert cell["optimal"] == best


def test_twoway_unknown_parameter_is_a_usage_error(hiv):
    with pytest.raises(hta.UsageError, match="did you mean `rr`"):
        hiv.twoway("rrr", "c_lamivudine")


def _printed_values(stdout, name):
    # "  LABEL (...): NAME = 9,236.985897  (re-run: ...)" -> 9236.985897
    return [float(line.split(f"{name} = ")[1].split()[0].replace(",", "")) for line in stdout.splitlines() if f"{name} = " in line]


def test_threshold_equals_cli_and_gives_the_threshold_icer(hiv, tmp_path):
    stdout = cli(tmp_path, "threshold", "models/hiv.yaml", "--param", "c_lamivudine")
    result = hiv.threshold("c_lamivudine")
    rows = result.rows
    assert list(rows["result"]) == ["icer", "icer"]
    assert rows["value"].dtype == np.float64
    assert_numbers_equal(rows["value"].round(6), _printed_values(stdout, "c_lamivudine"))
    assert (result.strategy, result.comparator) == ("comb", "mono")
    for value, wtp, check in zip(rows["value"], rows["wtp"], rows["check"]):
        s = hta.load("models/hiv.yaml", set={"c_lamivudine": float(value)}).run().strategies.set_index("strategy")
        icer = (s.loc["comb", "cost"] - s.loc["mono", "cost"]) / (s.loc["comb", "ly"] - s.loc["mono", "ly"])
        assert icer == pytest.approx(wtp, rel=1e-7)
        assert check == pytest.approx(icer, rel=1e-9)


def test_threshold_against_the_best_gives_the_range_where_optimal(hiv, tmp_path):
    stdout = cli(tmp_path, "threshold", "models/hiv.yaml", "--param", "c_lamivudine", "--vs", "best")
    rows = hiv.threshold("c_lamivudine", vs="best").rows
    assert list(rows["result"]) == ["optimal_between", "optimal_between"]
    assert not rows["lower_found"].any() and rows["upper_found"].all()
    printed = [float(line.split(" to ")[1].split()[0].replace(",", "")) for line in stdout.splitlines() if " to " in line]
    assert_numbers_equal(rows["upper"].round(6), printed)
    assert rows["value"].isna().all()


def test_threshold_with_own_thresholds_and_errors(hiv):
    rows = hiv.threshold("rr", wtp=[20000.0, 50000.0]).rows
    assert list(rows["threshold"]) == ["20000", "50000"]
    assert list(rows["wtp"]) == [20000.0, 50000.0]
    with pytest.raises(hta.UsageError, match="unknown parameter"):
        hiv.threshold("c_lamivudin")
    with pytest.raises(hta.UsageError, match="the same"):
        hiv.threshold("rr", strategy="comb", vs="comb")


def test_scenarios_equal_cli_scenarios_csv(hiv, tmp_path):
    cli(tmp_path, "scenarios", "models/hiv.yaml", "--standard", "--out", tmp_path)
    csv = hta._csv((tmp_path / "scenarios.csv").read_text())
    table = hiv.scenarios(standard=True).table
    assert list(table["run"]) == list(csv["scenario"])
    assert list(table["strategy"]) == list(csv["strategy"])
    assert list(table["status"]) == list(csv["status"])
    for column in ("cost", "effect", "icer", "inmb_vs_reference"):
        assert table[column].dtype == np.float64
        assert_numbers_equal(table[column], csv[column])
    assert table["kind"].iloc[0] == "base_case"
    assert "standard_scenario" in set(table["kind"]) and "scenario" in set(table["kind"])


def test_scenario_rows_equal_the_model_run_with_its_overrides(hiv):
    table = hiv.scenarios().table
    undiscounted = table[table["name"] == "undiscounted"].set_index("strategy")
    assert len(undiscounted) == 2
    s = hta.load("models/hiv.yaml", set={"discount.costs": 0, "discount.effects": 0}).run().strategies
    s = s.set_index("strategy")
    for name in ("mono", "comb"):
        assert undiscounted.loc[name, "cost"] == pytest.approx(s.loc[name, "cost"], rel=1e-12)


def test_subgroups_equal_cli_subgroups_csv_and_weight_to_the_total(tmp_path):
    cli(tmp_path, "subgroups", "models/egfr_test_and_treat.yaml", "--out", tmp_path)
    csv = hta._csv((tmp_path / "subgroups.csv").read_text())
    result = hta.load("models/egfr_test_and_treat.yaml").subgroups()
    table = result.table
    assert list(table["strategy"]) == list(csv["strategy"])
    for column in ("cost", "effect", "icer", "inmb_vs_reference"):
        assert_numbers_equal(table[column], csv[column])
    groups = table[table["kind"] == "subgroup"]
    assert groups["weight"].groupby(groups["name"]).first().sum() == pytest.approx(1.0, abs=1e-15)
    total = table[table["kind"] == "weighted_total"].set_index("strategy")
    weighted = (groups["cost"] * groups["weight"]).groupby(groups["strategy"]).sum()
    for name, cost in weighted.items():
        assert total.loc[name, "cost"] == pytest.approx(cost, rel=1e-12)
    assert isinstance(result.total_equals_base_case, bool)


def test_models_without_scenarios_or_subgroups_raise_usage_errors(hiv):
    with pytest.raises(hta.UsageError, match="no `subgroups:`"):
        hiv.subgroups()
    with pytest.raises(hta.UsageError, match="no `scenarios:`"):
        hta.load("models/dominance.yaml").scenarios()
