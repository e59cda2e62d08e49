"""Times the hand-vectorised numpy reference (shared/bench/numpy_reference/ref_numpy.py) for
scripts/bench-peers.sh and writes one JSON record per workload for report.py.

The reference is run where it lives (nothing is copied): `ref_numpy.py w1 K | w2 N | w3 N` prints
one line `RESULT {json}` with its in-process time (`inproc_s`; for W1 `per_run_s`, one run).
Each workload is run `--reps` times in fresh processes and the median time is kept. Its
deterministic results (W1, and W3 with 0 draws) are checked against WORKLOADS.md with the same
check as the peers; a PSA's time counts only if its model's deterministic check passes.

Usage: python numpy_reference.py --ref-dir DIR --out-dir DIR [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import common

W1_STRATEGIES = ["mono", "comb"]
W3_STRATEGIES = ["soc", "tx1", "tx2"]


def run_ref(ref_dir: Path, *args: str) -> dict:
    """One run of the reference in a fresh interpreter; its RESULT record."""
    out = subprocess.run([sys.executable, "ref_numpy.py", *args], cwd=ref_dir, capture_output=True, text=True,
                         check=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"ref_numpy.py {' '.join(args)} printed no RESULT line:\n{out.stdout}\n{out.stderr}")


def median_time(ref_dir: Path, reps: int, key: str, *args: str) -> tuple[float, dict]:
    runs = [run_ref(ref_dir, *args) for _ in range(reps)]
    return statistics.median(r[key] for r in runs), runs[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref-dir", required=True, type=Path)
    ap.add_argument("--out-dir", required=True, type=Path)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    import numpy

    version = numpy.__version__
    base = {"impl": "numpy", "version": version, "status": "ok", "notes": [
        "numpy: the hand-vectorised reference of shared/bench/numpy_reference (one model each, every "
        "draw at once), not a general tool; in-process time, median of fresh runs"]}

    def write(name: str, record: dict) -> None:
        (a.out_dir / f"numpy_{name}.json").write_text(json.dumps({**base, **record}, indent=1))
        print(f"  numpy {name}: {record['time_s']:.4g} s" + ("" if record["counts"] else "  WARNING: deterministic results disagree"),
              file=sys.stderr)

    # W1: per-run time over 200 repetitions inside one process.
    t, r = median_time(a.ref_dir, a.reps, "per_run_s", "w1", "200")
    got = {"cost": dict(zip(W1_STRATEGIES, r["cost"])), "effect": dict(zip(W1_STRATEGIES, r["ly"])),
           "icer": {"comb": r["icer"]}}
    w1 = common.check("W1", got)
    write("W1", {"workload": "W1", "time_s": t, "check": w1, "counts": w1["ok"]})
    for draws in (1000, 10000):
        t, _ = median_time(a.ref_dir, a.reps, "inproc_s", "w2", str(draws))
        write(f"W2_{draws}", {"workload": "W2", "draws": draws, "time_s": t, "counts": w1["ok"]})
    # W3 deterministic: checked, not timed (the reference has no separate deterministic timing).
    r = run_ref(a.ref_dir, "w3", "0")
    got = {"cost": dict(zip(W3_STRATEGIES, r["mean_cost"])), "effect": dict(zip(W3_STRATEGIES, r["mean_effect"]))}
    w3 = common.check("W3", got)
    (a.out_dir / "numpy_W3.json").write_text(json.dumps(
        {**base, "workload": "W3", "status": "not expressible", "reason": "checked, not timed", "check": w3}, indent=1))
    t, _ = median_time(a.ref_dir, a.reps, "inproc_s", "w3", "1000")
    write("W3PSA_1000", {"workload": "W3PSA", "draws": 1000, "time_s": t, "counts": w3["ok"]})


if __name__ == "__main__":
    main()
