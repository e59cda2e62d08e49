"""Print the benchmark table (markdown) from the JSON records bench-peers.sh wrote.

Usage: python report.py RESULTS_DIR
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path

PEERS = [("numpy", "numpy reference"), ("pyheor", "pyheor"), ("heormodel", "heormodel")]
ROWS = [  # (label, workload, draws)
    ("W1, one run", "W1", None),
    ("W2, 1,000 draws", "W2", 1000),
    ("W2, 10,000 draws", "W2", 10000),
    ("W3, deterministic", "W3", None),
    ("W3, 1,000 draws", "W3PSA", 1000),
]


def load(results: Path) -> dict:
    records = {}
    for path in sorted(results.glob("*.json")):
        try:
            records[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            records[path.stem] = {"status": "error", "reason": f"unreadable record: {exc}"}
    return records


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 100:
        return f"{seconds:.3g} s"
    return f"{seconds:,.0f} s"


def fmt_ratio(peer: float | None, base: float | None) -> str:
    if not peer or not base:
        return "—"
    r = peer / base
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.0f}×"
    return f"{r:.2g}×"


def key(impl: str, workload: str, draws: int | None, suffix: str = "") -> str:
    return f"{impl}_{workload}" + (f"_{draws}" if draws else "") + suffix


def peer_cell(rec: dict | None, marks: list[str]) -> tuple[str, float | None]:
    if rec is None:
        return "not run", None
    status = rec.get("status", "ok")
    if status == "timed out":
        return f"timed out (> {rec.get('timeout_s', '?')} s)", None
    if status == "not expressible":
        return f"cannot express: {rec.get('reason', '')}", None
    if status != "ok":
        return f"error: {rec.get('reason', '')[:80]}", None
    t = rec.get("time_s")
    text = fmt_time(t)
    if rec.get("maxrss_mb"):
        text += f", {rec['maxrss_mb']:.0f} MB"
    if rec.get("extrapolated"):
        text = "≈ " + text + f" (from {rec['draws_run']:,} draws)"
    if not rec.get("counts", False):
        text += " ⚠ results disagree"
        t = None
    return text, t


def main() -> None:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench-peers/results")
    recs = load(results)
    if not recs:
        sys.exit(f"no records in {results}")

    versions = {impl: next((r.get("version") for k, r in recs.items() if k.startswith(impl + "_") and r.get("version")), "?")
                for impl, _ in PEERS}
    hta_version = next((r.get("version") for k, r in recs.items() if k.startswith("hta_")), "hta")
    cores = next((r.get("threads") for k, r in recs.items() if k.endswith("_tall")), os.cpu_count())

    head = (f"| workload | hta, 1 thread: command (in process) | hta, {cores} threads: command (in process) | "
            + " | ".join(f"{impl} {versions[impl]} | {impl} ÷ hta 1 thread: command (in process)" for impl, _ in PEERS) + " |")
    print(head)
    print("|" + "---|" * (3 + 2 * len(PEERS)))
    for label, workload, draws in ROWS:
        cells = [label]
        h1 = recs.get(key("hta", workload, draws, "_t1" if draws else ""))
        hall = recs.get(key("hta", workload, draws, "_tall")) if draws else None
        base = base_in = None
        for which, h in (("one", h1), ("all", hall)):
            if h is None:
                cells.append("—" if which == "all" and not draws else "not run")
                continue
            text = fmt_time(h["time_s"])
            if h.get("inprocess_s") is not None:
                text += f" ({fmt_time(h['inprocess_s'])})"
            if h.get("maxrss_mb"):
                text += f", {h['maxrss_mb']:.0f} MB"
            if not h.get("counts", False):
                text += " ⚠ results disagree"
            cells.append(text)
        if h1 is not None and h1.get("counts", False):
            base = h1["time_s"]
            base_in = h1.get("inprocess_s")
        for impl, _ in PEERS:
            rec = recs.get(key(impl, workload, draws))
            text, t = peer_cell(rec, [])
            cells.append(text)
            ratio = fmt_ratio(t, base)
            if base_in:
                ratio += f" ({fmt_ratio(t, base_in)})"
            cells.append(ratio)
        print("| " + " | ".join(cells) + " |")

    print()
    print("Times are medians; peers are timed in process (build, run, summary), hta as whole commands "
          "(start-up, YAML parse and validation, run, summary, printing), with hta's own in-process PSA "
          "time in parentheses. ≈: fewer draws run and the time scaled linearly. MB: peak resident memory "
          "of the process (for the peers it includes the Python interpreter, numpy, scipy and pandas; "
          "Python start-up and imports are not in the peers' times).")

    # Correctness
    print()
    print("Deterministic check against WORKLOADS.md (max relative error over costs, effects and ICERs):")
    for impl in ["hta"] + [p for p, _ in PEERS]:
        parts = []
        for wl in ("W1", "W3"):
            rec = recs.get(f"{impl}_{wl}")
            if not rec or "check" not in rec:
                parts.append(f"{wl}: not run")
                continue
            rows = rec["check"]["rows"]
            worst = max(r["rel_err"] for r in rows if not r["quantity"].startswith("icer"))
            text = f"{wl}: {'ok' if rec['check']['ok'] else 'DISAGREES'} (costs and effects: max rel. err. {worst:.1e}"
            icers = [r for r in rows if r["quantity"].startswith("icer")]
            if icers:
                text += "; ICER " + ("; ".join(
                    f"{r['got']:,.4f} vs {r['expected']}: {'ok' if r['ok'] else 'differs'}" for r in icers))
            parts.append(text + ")")
        print(f"- {impl}: " + "; ".join(parts))

    # PSA sanity: means differ by Monte Carlo error only (different random streams).
    print()
    print("PSA means (different random streams, so they agree only within Monte Carlo error):")
    for label, workload, draws in ROWS:
        if not draws:
            continue
        line = []
        for impl in ["hta"] + [p for p, _ in PEERS]:
            rec = recs.get(key(impl, workload, draws, "_t1") if impl == "hta" else key(impl, workload, draws))
            s = rec.get("summary") if rec else None
            if not s:
                continue
            means = ", ".join(f"{k} {s['mean_cost'][k]:,.0f} / {s['mean_effect'][k]:.3f}" for k in s["mean_cost"])
            n = rec.get("draws_run", draws)
            line.append(f"{impl} ({n:,} draws): {means}")
        print(f"- {label}: " + "; ".join(line))

    notes = []
    for k, rec in sorted(recs.items()):
        for n in rec.get("notes", []) or []:
            tag = f"{rec.get('impl', k.split('_')[0])}"
            if (tag, n) not in notes:
                notes.append((tag, n))
    if notes:
        print()
        print("Notes:")
        for tag, n in notes:
            print(f"- {tag}: {n}")

    blas = next((r.get("blas") for r in recs.values() if r.get("blas")), None)
    print()
    print(f"Software: {hta_version}; Python {platform.python_version()}; BLAS of the peers: "
          + (", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, {b.get('num_threads')} thread)" for b in blas) if blas else "?"))


if __name__ == "__main__":
    main()
