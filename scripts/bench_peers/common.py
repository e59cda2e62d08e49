"""Shared pieces of the peer benchmarks (scripts/bench-peers.sh).

The workloads are defined in shared/bench/WORKLOADS.md (W1, W2, W3); each peer file
(pyheor_workloads.py, heormodel_workloads.py) writes them against that peer's own API and hands
this module a table of workload functions. This module holds what every implementation shares:
the expected deterministic results, the W3 mortality table, the correctness check and the timing
harness, which writes one JSON record per run for report.py.

Timing is in process, with `time.perf_counter`, around the whole workload: building the model,
running it, and the summary (incremental analysis; for a PSA also sampling, means, ICER and
CEAC). A deterministic workload is repeated and the median reported. A PSA is first run on a few
draws (the pilot) to estimate its cost; if the requested draws fit the time budget they are run
(repeated while the budget allows, median reported), otherwise as many draws as fit are run once
and the time is scaled linearly to the requested count, and the record says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from decimal import Decimal

# ---------------------------------------------------------------------------------------------
# Expected deterministic results (WORKLOADS.md), as printed there: the number of decimals tells
# how precisely each is known, so the check allows half a unit in the last printed place when
# that is looser than the relative tolerance.
# ---------------------------------------------------------------------------------------------

EXPECTED = {
    "W1": {
        "cost": {"mono": "44663.4536", "comb": "50601.6513"},
        "effect": {"mono": "7.991207", "comb": "8.937389"},
        "icer": {"comb": "6275.96"},
    },
    "W3": {
        "cost": {"soc": "48073.5368", "tx1": "82198.4971", "tx2": "142859.6296"},
        "effect": {"soc": "18.172666", "tx1": "18.535207", "tx2": "18.887601"},
    },
}

REL_TOL = 1e-6

# W1 / W2 inputs
HIV_COUNTS = {  # monotherapy transitions: observed counts per row (Dirichlet concentrations)
    "A": {"A": 1251, "B": 350, "C": 116, "D": 17},
    "B": {"B": 731, "C": 512, "D": 15},
    "C": {"C": 1312, "D": 437},
}
HIV_CARE = {"A": 2756.0, "B": 3052.0, "C": 9007.0}  # medical + community care, per year
HIV_ZIDOVUDINE = 2278.0
HIV_LAMIVUDINE = 2086.5
HIV_RR = 0.509
HIV_RR_MEANLOG = math.log(0.509)
HIV_RR_SDLOG = (math.log(0.710) - math.log(0.365)) / 3.92
HIV_CYCLES = 20
HIV_RR_CYCLES = 2  # RR and lamivudine in cycles 1 and 2
HIV_COST_DISCOUNT = 0.06


def hiv_base_probabilities():
    """Monotherapy probabilities, count / row total, keyed 'AB' for A -> B."""
    out = {}
    for src, row in HIV_COUNTS.items():
        total = sum(row.values())
        for dst, n in row.items():
            out[src + dst] = n / total
    return out


# W3 inputs
W3_ALIVE = 19
W3_CYCLES = 600
W3_BASE = {
    "p_prog": 0.015,
    "p_reg": 0.005,
    "hr_dis": 1.05,
    "rr_tx1": 0.8,
    "rr_tx2": 0.6,
    "c_scale": 1.0,
    "u1": 0.9,
}
W3_TX_COST = {"soc": 0.0, "tx1": 150.0, "tx2": 400.0}
W3_RR_PARAM = {"soc": None, "tx1": "rr_tx1", "tx2": "rr_tx2"}


def w3_background(age: int) -> float:
    """Background monthly death probability at integer age 40..89 (WORKLOADS.md W3)."""
    if not 40 <= age <= 89:
        raise ValueError(f"age {age} outside the W3 table (40..89)")
    return -math.expm1(-0.002 * math.exp(0.085 * (age - 40)) / 12.0)


W3_MORTALITY = [w3_background(a) for a in range(40, 90)]


def w3_age_index(cycle: int) -> int:
    """Row of W3_MORTALITY for 1-based cycle t: integer part of 40 + (t - 1) / 12, minus 40."""
    return (cycle - 1) // 12


# ---------------------------------------------------------------------------------------------
# Correctness check
# ---------------------------------------------------------------------------------------------


def _tolerance(expected: str) -> float:
    value = Decimal(expected)
    exponent = value.as_tuple().exponent
    half_unit = 0.5 * 10.0 ** exponent
    return max(REL_TOL, half_unit / abs(float(value)))


def check(workload: str, got: dict) -> dict:
    """Compare deterministic results with EXPECTED[workload].

    `got` is {"cost": {strategy: x}, "effect": {strategy: x}, "icer": {strategy: x}}.
    """
    rows = []
    ok = True
    for kind, table in EXPECTED[workload].items():
        for strategy, expected in table.items():
            value = got.get(kind, {}).get(strategy)
            tol = _tolerance(expected)
            if value is None or not math.isfinite(value):
                rel = math.inf
            else:
                rel = abs(value - float(expected)) / abs(float(expected))
            passed = rel <= tol
            ok &= passed
            rows.append(
                {
                    "quantity": f"{kind} {strategy}",
                    "expected": expected,
                    "got": value,
                    "rel_err": rel,
                    "tolerance": tol,
                    "ok": passed,
                }
            )
    return {"workload": workload, "ok": ok, "rows": rows}


# ---------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------


class NotExpressible(Exception):
    """Raised by a workload the peer's API cannot express as defined."""


def _blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for d in threadpool_info()
        ]
    except Exception:  # pragma: no cover - informational only
        return []


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main(peer: str, version: str, workloads: dict, notes: list[str]) -> None:
    """Command line of a peer file: run one workload, write its JSON record.

    `workloads` maps a name to {"kind": "det" | "psa", "run": fn, "check": name of the
    deterministic workload whose results are checked first (untimed), "label": text,
    "notes": [text]}. A deterministic fn() returns the `got` dict of `check`; a PSA fn(n)
    returns a summary dict.
    """
    ap = argparse.ArgumentParser(description=f"{peer}: WORKLOADS.md workloads")
    ap.add_argument("--workload", required=True, choices=sorted(workloads))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    ap.add_argument("--budget", type=float, default=240.0, help="seconds of timed work at most")
    ap.add_argument("--min-time", type=float, default=2.0, help="keep repeating a fast deterministic run this long")
    ap.add_argument("--out", help="write the JSON record here (default: stdout)")
    args = ap.parse_args()

    spec = workloads[args.workload]
    record = {
        "impl": peer,
        "version": version,
        "workload": args.workload,
        "label": spec.get("label", args.workload),
        "kind": spec["kind"],
        "draws_requested": args.draws if spec["kind"] == "psa" else None,
        "status": "ok",
        "notes": list(notes) + list(spec.get("notes", [])),
        "python": platform.python_version(),
        "blas": _blas_info(),
        "threads_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }

    def emit():
        record["maxrss_mb"] = round(_maxrss_mb(), 1)
        text = json.dumps(record, indent=1, default=float)
        if args.out:
            with open(args.out, "w") as fh:
                fh.write(text + "\n")
        else:
            print(text)

    try:
        # 1. Correctness first (untimed): the deterministic results this workload rests on.
        det = workloads[spec["check"]]
        got = det["run"]()
        record["check"] = check(spec["check"], got)
        record["deterministic"] = got
        if not record["check"]["ok"]:
            print(
                f"WARNING: {peer} {spec['check']} deterministic results disagree with WORKLOADS.md "
                f"beyond {REL_TOL:g} relative; its timing of {args.workload} does not count",
                file=sys.stderr,
            )
            for row in record["check"]["rows"]:
                if not row["ok"]:
                    print(f"  {row['quantity']}: expected {row['expected']}, got {row['got']!r}", file=sys.stderr)

        # 2. Timing.
        times: list[float] = []
        spent = 0.0
        if spec["kind"] == "det":
            while True:
                dt, _ = _timed(spec["run"])
                times.append(dt)
                spent += dt
                if len(times) >= args.reps and (spent >= args.min_time or len(times) >= 200):
                    break
                if spent + dt > args.budget:
                    break
            record["draws_run"] = None
        else:
            n = args.draws
            pilot_n = min(n, max(2, n // 100))
            dt, _ = _timed(spec["run"], pilot_n)
            spent += dt
            per_draw = dt / pilot_n
            record["pilot"] = {"draws": pilot_n, "seconds": dt}
            estimate = per_draw * n
            if estimate <= 0.8 * (args.budget - spent):
                run_n = n
            else:
                run_n = max(pilot_n, min(n, int(0.85 * (args.budget - spent) / per_draw)))
            summary = None
            while True:
                dt, summary = _timed(spec["run"], run_n)
                times.append(dt)
                spent += dt
                if len(times) >= args.reps or spent + dt > args.budget:
                    break
            record["draws_run"] = run_n
            record["summary"] = summary
        record["times_s"] = times
        record["median_s"] = statistics.median(times)
        if spec["kind"] == "psa" and record["draws_run"] != args.draws:
            scale = args.draws / record["draws_run"]
            record["time_s"] = record["median_s"] * scale
            record["extrapolated"] = True
            record["notes"].append(
                f"ran {record['draws_run']} of {args.draws} draws ({len(times)} run(s)) and scaled "
                f"the time linearly by {scale:.1f} to stay within the {args.budget:.0f} s budget"
            )
        else:
            record["time_s"] = record["median_s"]
            record["extrapolated"] = False
        record["reps"] = len(times)
        record["counts"] = bool(record["check"]["ok"])
    except NotExpressible as exc:
        record["status"] = "not expressible"
        record["reason"] = str(exc)
        print(f"{peer} cannot express {args.workload}: {exc}", file=sys.stderr)
    except Exception as exc:  # report, do not fake
        record["status"] = "error"
        record["reason"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    emit()
