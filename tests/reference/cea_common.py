"""Shared helpers for the independent Python reference oracles (standard library only).

Nothing here reads hta's code or outputs: it re-implements, from DOMAIN.md, the pieces every
oracle needs (within-cycle weights, discount factors, a life-table reader, the incremental
analysis) so that each model's oracle is a short, explicit cycle loop.
"""

import json
import math
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def discount_factor(rate, t_years):
    """d(t) = (1 + r)^-t, t in years from model start (DOMAIN.md 2.8)."""
    return (1.0 + rate) ** (-t_years)


def cycle_weights(counting, k, n):
    """(a_k, b_k): weights of cycle k (1-based) on start and end occupancy (DOMAIN.md 2.7).

    Summed over cycles these give the point weights of DOMAIN.md's table: trapezoid 1/2, 1, ..., 1,
    1/2; Simpson 1/3, 4/3, 2/3, ..., 4/3, 1/3 (n even only here).
    """
    if counting in ("half_cycle", "life_table"):
        return 0.5, 0.5
    if counting == "start_of_cycle":
        return 1.0, 0.0
    if counting == "end_of_cycle":
        return 0.0, 1.0
    if counting == "simpson":
        if n % 2 != 0:
            raise ValueError("this oracle implements Simpson 1/3 for an even number of cycles only")
        # Simpson 1/3 on each pair of cycles (2j-1, 2j), i.e. on points 2j-2, 2j-1, 2j with
        # weights 1/3, 4/3, 1/3; the middle point's 4/3 is split equally between the two cycles.
        return (1.0 / 3.0, 2.0 / 3.0) if k % 2 == 1 else (2.0 / 3.0, 1.0 / 3.0)
    raise ValueError(counting)


def read_life_table(path):
    """Reads a two-column CSV (age, qx), skipping '#' comment lines."""
    ages, qx = [], []
    with open(path) as f:
        rows = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
    header = [h.strip() for h in rows[0].split(",")]
    i_age, i_q = header.index("age"), header.index("qx")
    for line in rows[1:]:
        cells = [c.strip() for c in line.split(",")]
        ages.append(float(cells[i_age]))
        qx.append(float(cells[i_q]))
    return ages, qx


def step_lookup(keys, values, x):
    """Value of the row with the largest key <= x; error outside [first key, last key + last width)."""
    upper = keys[-1] + (keys[-1] - keys[-2])
    if x < keys[0] or x >= upper:
        raise ValueError(f"key {x} outside the table")
    i = max(j for j, k in enumerate(keys) if k <= x)
    return values[i]


def incremental_analysis(results):
    """Dominance and sequential ICERs (DOMAIN.md 1.4).

    results: {name: (cost, effect)}. Returns {name: {"status": "ND"|"D"|"ED", "icer": float|None}}.
    Step 1: sort by cost, ties by effect descending. Step 2: j is strongly dominated if some
    cheaper-or-equal i before it has E_i >= E_j. Step 3: repeatedly drop every strategy whose
    sequential ICER exceeds the next one's. Step 4: ICERs among survivors; the cheapest has none.
    Exact (cost, effect) ties are not handled (the models avoid them).
    """
    order = sorted(results, key=lambda s: (results[s][0], -results[s][1]))
    status = {}
    for j_pos, j in enumerate(order):
        for i in order[:j_pos]:
            if results[j][1] <= results[i][1]:
                status[j] = "D"
                break
    frontier = [s for s in order if s not in status]
    while True:
        icers = [None] + [
            (results[b][0] - results[a][0]) / (results[b][1] - results[a][1])
            for a, b in zip(frontier, frontier[1:])
        ]
        flagged = [frontier[i] for i in range(1, len(frontier) - 1) if icers[i] > icers[i + 1]]
        if not flagged:
            break
        for s in flagged:
            status[s] = "ED"
        frontier = [s for s in frontier if s not in flagged]
    out = {}
    for s in order:
        if s in status:
            out[s] = {"status": status[s], "icer": None}
        else:
            i = frontier.index(s)
            out[s] = {"status": "ND", "icer": icers[i]}
    return out


def write_expected(path, model, source, strategies, effect):
    """Writes the expected-value file; effect is 'qaly' or 'ly' (the incremental analysis measure)."""
    incremental = incremental_analysis({s: (v["cost"], v[effect]) for s, v in strategies.items()})
    doc = {
        "model": model,
        "tolerance_relative": 1e-9,
        "source": source,
        "strategies": strategies,
        "incremental": incremental,
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return doc


def compare_with_results(expected, results_json_path):
    """Compares an hta results.json with the expected values; returns a list of mismatches."""
    with open(results_json_path) as f:
        got = json.load(f)
    tol = expected["tolerance_relative"]
    problems = []
    by_name = {s["name"]: s for s in got["strategies"]}
    for name, exp in expected["strategies"].items():
        for key, value in exp.items():
            g = by_name[name][key]
            if not math.isclose(g, value, rel_tol=tol, abs_tol=1e-12):
                problems.append(f"{name}.{key}: hta {g!r} vs oracle {value!r} (rel {abs(g - value) / abs(value):.2e})")
    inc = {s["name"]: s for s in got["incremental"]}
    for name, exp in expected["incremental"].items():
        if inc[name]["status"] != exp["status"]:
            problems.append(f"{name}.status: hta {inc[name]['status']} vs oracle {exp['status']}")
        g, e = inc[name]["icer"], exp["icer"]
        if (g is None) != (e is None) or (e is not None and not math.isclose(g, e, rel_tol=tol)):
            problems.append(f"{name}.icer: hta {g!r} vs oracle {e!r}")
    return problems
