"""Time hta on WORKLOADS.md W1-W3 as whole commands, for bench-peers.sh.

Usage: python hta_workloads.py --hta target/release/hta --out-dir DIR [--reps-det 30] [--reps-psa 5]

Each configuration is run once untimed with --out to check its results (deterministic runs
against WORKLOADS.md's expected values; PSA means are kept for the report), then timed: wall time
of the whole process (start-up, reading and validating the YAML, the run, the summary, printing),
median over the repetitions, with the peak resident memory of hta from one more run under GNU
time (when /usr/bin/time is there). For a PSA the
in-process time hta prints ("Probabilistic analysis: ... N s") is kept too. Single-thread runs
pass --threads 1; the all-thread runs pass no --threads (hta's default: every core).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common as cm

PSA_LINE = re.compile(r"Probabilistic analysis:.*?([0-9]+(?:\.[0-9]+)?) s\s*$", re.M)


def run_once(cmd: list[str]) -> tuple[float, float, str, int]:
    """Wall seconds, wait4's peak RSS (MB), stdout+stderr, exit code of one child process."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return wall, usage.ru_maxrss / 1024.0, text, proc.returncode


def deterministic_results(hta: str, model: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        _, _, text, code = run_once([hta, "run", model, "--out", tmp])
        if code != 0:
            raise RuntimeError(f"hta run {model} failed (exit {code}):\n{text}")
        with open(Path(tmp) / "summary.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    got = {"cost": {}, "effect": {}, "icer": {}}
    for row in rows:
        s = row["strategy"]
        got["cost"][s] = float(row["cost"])
        got["effect"][s] = float(row["qaly"] or row["ly"])
        if row["icer"]:
            got["icer"][s] = float(row["icer"])
    return got


def psa_means(hta: str, cmd_tail: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        _, _, text, code = run_once([hta, "psa", *cmd_tail, "--out", tmp])
        if code != 0:
            raise RuntimeError(f"hta psa failed (exit {code}):\n{text}")
        data = json.loads((Path(tmp) / "psa.json").read_text())
    return {
        "mean_cost": {s["name"]: s["cost"]["mean"] for s in data["strategies"]},
        "mean_effect": {s["name"]: s["effect"]["mean"] for s in data["strategies"]},
        "ceac_points": len(data["thresholds"]),
    }


def peak_memory_mb(cmd: list[str]) -> float | None:
    """Peak resident memory of hta alone, from GNU time (untimed run; also warms the caches).

    wait4's figure for a child of this Python process would not do: the child's high-water mark
    includes the forked Python before the exec."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if gnu_time is None:
        run_once(cmd)
        return None
    with tempfile.NamedTemporaryFile("r") as fh:
        _, _, text, code = run_once([gnu_time, "-f", "%M", "-o", fh.name, *cmd])
        try:
            return int(fh.read().split()[-1]) / 1024.0 if code == 0 else None
        except (ValueError, IndexError):
            return None


def time_cmd(cmd: list[str], reps: int, psa: bool) -> dict:
    peak = peak_memory_mb(cmd)
    walls, inproc = [], []
    for _ in range(reps):
        wall, _, text, code = run_once(cmd)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {code}):\n{text}")
        walls.append(wall)
        if psa:
            m = PSA_LINE.search(text)
            if m:
                inproc.append(float(m.group(1)))
    out = {"times_s": walls, "time_s": statistics.median(walls), "reps": reps,
           "maxrss_mb": round(peak, 1) if peak is not None else None}
    if psa:
        out["inprocess_s"] = statistics.median(inproc) if inproc else None
        out["inprocess_times_s"] = inproc
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hta", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--reps-det", type=int, default=30)
    ap.add_argument("--reps-psa", type=int, default=5)
    ap.add_argument("--w1-model", default="models/hiv.yaml")
    ap.add_argument("--w2-model", default="benches/models/w2_hiv.yaml")
    ap.add_argument("--w3-model", default="benches/models/w3_synthetic.yaml")
    args = ap.parse_args()
    hta = args.hta
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([hta, "--version"], capture_output=True, text=True).stdout.strip()
    cores = os.cpu_count()

    def write(name: str, record: dict) -> None:
        record.setdefault("impl", "hta")
        record.setdefault("version", version)
        (out_dir / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")

    # Deterministic checks (W1 on its model, W1's numbers on the W2 model, W3).
    w1_model = args.w1_model
    notes_w1 = []
    try:
        w1_got = deterministic_results(hta, w1_model)
    except RuntimeError as exc:
        print(f"WARNING: {exc}", file=sys.stderr)
        print(f"WARNING: W1 falls back to {args.w2_model} (the same model, care costs merged)", file=sys.stderr)
        notes_w1.append(f"{w1_model} did not run with this binary; W1 timed on {args.w2_model} (same model, care costs merged)")
        w1_model = args.w2_model
        w1_got = deterministic_results(hta, w1_model)
    checks = {
        "W1": cm.check("W1", w1_got),
        "W2": cm.check("W1", deterministic_results(hta, args.w2_model)),
        "W3": cm.check("W3", deterministic_results(hta, args.w3_model)),
    }
    for name, result in checks.items():
        if not result["ok"]:
            print(f"WARNING: hta {name} deterministic results disagree with WORKLOADS.md; its timing does not count", file=sys.stderr)
            for row in result["rows"]:
                if not row["ok"]:
                    print(f"  {row['quantity']}: expected {row['expected']}, got {row['got']!r}", file=sys.stderr)

    configs = [
        ("W1", None, "det", [hta, "run", w1_model], checks["W1"], notes_w1),
        ("W3", None, "det", [hta, "run", args.w3_model], checks["W3"], []),
    ]
    for draws in (1000, 10000):
        configs.append(("W2", draws, "psa", ["psa", args.w2_model, "--draws", str(draws), "--seed", "1", "--wtp-grid", "0:50000:500"], checks["W2"], []))
    configs.append(("W3PSA", 1000, "psa", ["psa", args.w3_model, "--draws", "1000", "--seed", "1", "--wtp-grid", "0:100000:1000"], checks["W3"], []))

    for workload, draws, kind, cmd, chk, notes in configs:
        if kind == "det":
            rec = time_cmd(cmd, args.reps_det, psa=False)
            rec.update(workload=workload, kind=kind, threads=1, check=chk, counts=chk["ok"],
                       command=" ".join(cmd), notes=notes)
            write(f"hta_{workload}", rec)
            print(f"hta {workload}: {rec['time_s'] * 1000:.1f} ms (whole process)", file=sys.stderr)
            continue
        summary = psa_means(hta, cmd[1:] + ["--threads", "1"])
        for threads in ("1", "all"):
            full = [hta, *cmd] + (["--threads", "1"] if threads == "1" else [])
            rec = time_cmd(full, args.reps_psa, psa=True)
            rec.update(workload=workload, kind=kind, draws_requested=draws, draws_run=draws,
                       threads=1 if threads == "1" else cores, check=chk, counts=chk["ok"],
                       command=" ".join(full), summary=summary, notes=notes)
            write(f"hta_{workload}_{draws}_t{threads}", rec)
            print(f"hta {workload} {draws} draws, threads {threads}: {rec['time_s']:.3f} s whole process, "
                  f"{rec['inprocess_s']} s in process", file=sys.stderr)


if __name__ == "__main__":
    main()
