#!/usr/bin/env python3
"""Recalculation check of `hta excel` workbooks against `hta run` (issue 15).

For every shipped model in models/ that the writer supports, writes the workbook with the
release binary, recalculates it in LibreOffice headless (forced recalculation on load, through
a throw-away user profile), and compares each strategy's total cost, QALYs and life-years, the
ICERs against the reference strategy and along the frontier, and the net monetary benefit at
each threshold with `hta run`'s results.json, to 1e-9 relative. Every cell of every recalculated
sheet is checked for formula errors (#NAME?, #VALUE!, ...). Then input edits: an Inputs cell is
changed with openpyxl, the workbook recalculated and compared with `hta run MODEL --set
NAME=VALUE`.

Curves without an Excel formula are written as hta's values with a note (the derived models of
WITH_VALUES): the command must list them there and only there.

Models the writer refuses are listed (with the writer's reasons) and are not a failure; a model
named in EXPECTED that is refused is. Exits non-zero on any mismatch or error.

Usage: scripts/excel-check.py [--hta target/release/hta] [--keep DIR]
Needs `soffice` (Debian libreoffice-calc) and openpyxl (a venv: target/excel-venv).
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-9

# Models that must export (a refusal is a failure); the others are reported when refused.
EXPECTED = ["age_composite", "age_curves", "age_mortality", "cart_composite", "cart_lbcl_psm", "dominance", "egfr_test_and_treat", "gene_therapy_haemophilia", "hiv"]

# Input edits: (model, Inputs-sheet name, value, the `hta run --set` override).
EDITS = [
    ("hiv", "rr", 0.6, "rr=0.6"),
    ("hiv", "c_medical_a", 2500.0, "c_medical_a=2500"),
    ("hiv", "c_lamivudine", 1043.25, "c_lamivudine=1043.25"),
    ("hiv", "treatment_years", 3.0, "treatment_years=3"),
    ("hiv", "hta_disc_costs", 0.035, "discount.costs=0.035"),
    ("hiv", "hta_disc_effects", 0.035, "discount.effects=0.035"),
    ("age_mortality", "hr_treatment", 0.7, "hr_treatment=0.7"),
    ("age_mortality", "c_end_of_life", 8000.0, "c_end_of_life=8000"),
    ("age_mortality", "hta_start_age", 55.0, "cohort.start_age=55"),
    ("dominance", "c_invite", 50.0, "c_invite=50"),
    ("dominance", "c_surgery", 9000.0, "c_surgery=9000"),
    ("dominance", "h_late", 0.35, "h_late=0.35"),
    ("egfr_test_and_treat", "p_egfr", 0.5, "p_egfr=0.5"),
    ("egfr_test_and_treat", "c_test", 3000.0, "c_test=3000"),
    ("egfr_test_and_treat", "turnaround_weeks", 3.0, "turnaround_weeks=3"),
    ("egfr_test_and_treat", "median_pps", 14.0, "median_pps=14"),
    ("gene_therapy_haemophilia", "c_monitor_gt_year1", 10000.0, "c_monitor_gt_year1=10000"),
    ("gene_therapy_haemophilia", "loss_step", 0.01, "loss_step=0.01"),
    ("gene_therapy_haemophilia", "smr", 1.5, "smr=1.5"),
    ("cart_lbcl_psm", "pi_os_cart", 0.5, "pi_os_cart=0.5"),
    ("cart_lbcl_psm", "c_cart", 1000000.0, "c_cart=1000000"),
    ("cart_lbcl_psm", "hta_disc_costs", 0.03, "discount.costs=0.03"),
    ("cart_lbcl_psm", "hta_start_age", 60.0, "cohort.start_age=60"),
    ("age_curves", "h_excess", 0.2, "h_excess=0.2"),
    ("age_curves", "hr_treatment", 0.5, "hr_treatment=0.5"),
    # Inputs read only by curves written as formulas (a strategy's hazard ratio on a Weibull; a
    # cure fraction over a spline and PH over AFT): the workbook's values columns do not move.
    ("age_composite", "hr_treatment", 0.5, "hr_treatment=0.5"),
    ("cart_composite", "pi_pfs_cart", 0.3, "pi_pfs_cart=0.3"),
    ("cart_composite", "pi_os_cart", 0.5, "pi_os_cart=0.5"),
    # The life-table curve starts at the cohort's age: 40.5 puts birthdays mid-cycle.
    ("gene_therapy_haemophilia", "hta_start_age", 40.5, "cohort.start_age=40.5"),
]

ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}

# Settings that are the workbook's structure rather than a cell (counting, discount timing,
# horizon): the workbook is written with `hta excel --set` and compared with `hta run --set`.
VARIANTS = [
    ("dominance", ["horizon.cycles=29"]),  # Simpson with an odd count: the 3/8 rule at the end
    ("hiv", ["counting=half_cycle"]),
    ("hiv", ["counting=start_of_cycle"]),
    ("hiv", ["counting=simpson", "discount.timing=cycle_start"]),
    ("age_mortality", ["discount.timing=cycle_middle"]),
    ("age_mortality", ["discount.timing=cycle_end", "discount.start_year=2"]),
    ("dominance", ["discount.timing=annual_step"]),
]

# Models derived from a shipped one by text replacements, for features no shipped Markov model
# uses: (name, shipped model, [(old, new)], data files to copy beside it). `age_curves`: the
# survival functions of the parametric families (surv, cycle_prob) in transitions and utilities.
CURVES = """survival:
  c_weib: { weibull: { shape: 1.3, scale: 6 } }
  c_ln: { time_unit: months, lnorm: { meanlog: 3.5, sdlog: 0.8 } }
  c_ll: { llogis: { shape: 1.5, scale: 4 } }
  c_gam: { gamma: { shape: 2, rate: 0.4 } }
  c_gomp: { gompertz: { shape: 0.05, rate: 0.02 } }
  c_exp: { exponential: { rate: h_excess } }

parameters:"""
KM_TABLE = """  km:
    key: month
    interpolation: step
    columns:
      month: [0, 3, 6, 12, 18, 24]
      s: [1, 0.91, 0.83, 0.70, 0.61, 0.55]
"""
COMPOSITE = """survival:
  c_gg: { gengamma: { mu: 2.0, sigma: 0.8, Q: 0.4 } }
  c_pw: { time_unit: months, piecewise_exponential: { cuts: [6, 24], rates: [0.02, "h_excess / 10", 0.005] } }
  c_sp: { spline: { knots: [-1, 1.5, 3.5], gamma: [-2.5, 1.2, 0.02] } }
  c_km: { time_unit: months, table: { table: km, survival: s, interpolation: log_linear } }
  c_tail: { exponential: { rate: h_excess } }
  c_join: { join: { first: c_km, then: c_tail, at_years: 2 } }
  c_weib: { weibull: { shape: 1.3, scale: 6 } }
  c_jf: { join: { first: c_pw, then: c_weib, at_years: 3 } }
  c_ph: { proportional_hazards: { curve: c_weib, hr: hr_applied } }
  c_af: { accelerated_failure: { curve: c_sp, af: 1.3 } }
  c_aft: { accelerated_failure: { curve: c_join, af: 1.3 } }
  c_bg: { life_table: { table: life_table, column: qx } }
  c_floor: { hazard_floor: { curve: c_tail, background: c_bg } }

parameters:"""
# The derived models whose workbooks hold columns of hta's values (with their notes).
WITH_VALUES = ["age_composite", "cart_composite"]
DERIVED = [
    ("age_curves", "age_mortality", [
        ("\nparameters:", "\n" + CURVES),
        ('p_sick_dead: "rate_to_prob(h_background + h_excess * hr_applied)"',
         'p_sick_dead: "1 - (1 - rate_to_prob(h_background)) * (1 - cycle_prob(c_weib) * hr_applied)'
         ' * (1 - 0.1 * cycle_prob(c_exp))"'),
        ('u_sick: "u_healthy * u_sick_ratio"',
         'u_sick: "u_healthy * u_sick_ratio * (0.8 + 0.05 * (surv(c_ln, time) + surv(c_ll, time)'
         ' + surv(c_gam, time) + surv(c_gomp, time)))"'),
    ], ["life_table_gompertz.csv"]),
    # Curves without an Excel formula written as hta's values (generalised gamma, tabulated, a
    # join on a tabulated curve, hazard floor, `hazard`), beside the kinds that are formulas
    # (piecewise exponential, spline, proportional hazards with a strategy's hazard ratio,
    # acceleration, a join of formula curves), in transitions and utilities.
    ("age_composite", "age_mortality", [
        ('    source: "Illustrative Gompertz life table (a = 3e-5, b = 0.09); not real population data"\n',
         '    source: "Illustrative Gompertz life table (a = 3e-5, b = 0.09); not real population data"\n'
         + KM_TABLE),
        ("\nparameters:", "\n" + COMPOSITE),
        ('p_healthy_sick: "r_incidence / r_leave_healthy * rate_to_prob(r_leave_healthy)"',
         'p_healthy_sick: "r_incidence / r_leave_healthy * rate_to_prob(r_leave_healthy)'
         ' * (0.5 + 0.25 * cycle_prob(c_sp) + 0.25 * cycle_prob(c_jf))"'),
        ('p_sick_dead: "rate_to_prob(h_background + h_excess * hr_applied)"',
         'p_sick_dead: "1 - (1 - rate_to_prob(h_background)) * (1 - 0.5 * cycle_prob(c_ph))'
         ' * (1 - 0.3 * cycle_prob(c_floor)) * (1 - 0.2 * cycle_prob(c_gg)) * (1 - 0.1 * cycle_prob(c_join))"'),
        ('u_sick: "u_healthy * u_sick_ratio"',
         'u_sick: "u_healthy * u_sick_ratio * (0.8 + 0.03 * (surv(c_pw, time) + surv(c_af, time)'
         ' + surv(c_aft, time) + event_prob(c_join, time, time + 1) + cumhaz(c_km, time) / 10'
         ' + hazard(c_gg, time + 0.5)))"'),
    ], ["life_table_gompertz.csv"]),
    # A partitioned survival model: chemotherapy's curves are values (a generalised gamma in a
    # mixture cure; a hazard floor over a join of a piecewise exponential and a log-normal),
    # CAR-T's formulas (a spline, proportional hazards over acceleration over a log-normal).
    ("cart_composite", "cart_lbcl_psm", [
        ('cart_pfs_uncured: { time_unit: months, weibull: { shape: 0.9, scale: 5.5 }, source: "illustrative" }',
         'cart_pfs_uncured: { time_unit: months, spline: { knots: [-0.7, 1.7, 3.6], gamma: [-1.5, 0.9, 0.01] } }'),
        ('cart_os_uncured: { time_unit: months, lnorm: { meanlog: 2.6, sdlog: 1.1 }, source: "illustrative" }',
         'cart_os_uncured: { proportional_hazards: { curve: cart_os_base, hr: 0.9 } }\n'
         '  cart_os_base: { accelerated_failure: { curve: cart_os_lnorm, af: 1.1 } }\n'
         '  cart_os_lnorm: { time_unit: months, lnorm: { meanlog: 2.6, sdlog: 1.1 } }'),
        ('chemo_pfs_excess: { llogis: { shape: 1.5, scale: 0.45 }, source: "illustrative" }',
         'chemo_pfs_excess: { gengamma: { mu: -0.6, sigma: 0.9, Q: 0.5 } }'),
        ('chemo_os: { mixture_cure: { cure_fraction: pi_chemo, uncured: chemo_os_excess, background: background } }',
         'chemo_os: { hazard_floor: { curve: chemo_os_joined, background: background } }\n'
         '  chemo_os_joined: { join: { first: chemo_os_pw, then: chemo_os_excess, at_years: 2 } }\n'
         '  chemo_os_pw: { piecewise_exponential: { cuts: [0.5, 2], rates: [0.6, 0.35, 0.2] } }'),
    ], ["life_table_gompertz.csv"]),
]

XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
</oor:items>
"""


def recalc(files, outdir, profile):
    """Recalculates `files` in one LibreOffice run; returns the recalculated paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(outdir), *map(str, files)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    out = [outdir / Path(f).name for f in files]
    missing = [str(p) for p in out if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {missing}")
    return out


def rel(a, b):
    if a is None or b is None:
        return math.inf if (a is None) != (b is None) else 0.0
    scale = max(abs(a), abs(b))
    return 0.0 if scale < 1e-300 else abs(a - b) / scale


def sheet_numbers(path):
    """The Results sheet's numbers, by (table, row label, column header), and formula errors."""
    wb = openpyxl.load_workbook(path, data_only=True)
    errors = [
        f"{ws.title}!{c.coordinate}={c.value}"
        for ws in wb for row in ws.iter_rows() for c in row
        if isinstance(c.value, str) and (c.value in ERRORS or c.value.startswith("Err:"))
    ]
    out = {}
    table, heads = None, None
    for row in wb["Results"].iter_rows(values_only=True):
        if not any(v is not None for v in row):
            table, heads = None, None
            continue
        if heads is None:
            if row[0] == "strategy":
                heads = list(row)
                table = table or "totals"
            else:
                table = str(row[0])
            continue
        for h, v in zip(heads, row):
            if h is not None and isinstance(v, (int, float)):
                out[(table, row[0], h)] = float(v)
            elif h is not None and isinstance(v, str) and h != "strategy":
                out[(table, row[0], h)] = v
    return out, errors


def expected_numbers(results):
    """What the Results sheet must hold, from hta's results.json."""
    exp = {}
    for s in results["strategies"]:
        exp[("totals", s["name"], "cost")] = s["cost"]
        exp[("totals", s["name"], "life-years")] = s["ly"]
        if s["qaly"] is not None:
            exp[("totals", s["name"], "QALYs")] = s["qaly"]
    for p in results["pairwise"]:
        if p["icer"] is not None:
            exp[("pairwise", p["name"], "ICER")] = p["icer"]
        exp[("pairwise", p["name"], "incremental cost")] = p["delta_cost"]
        exp[("pairwise", p["name"], "incremental effect")] = p["delta_effect"]
    for s in results["incremental"]:
        if s["icer"] is not None:
            exp[("frontier", s["name"], "ICER")] = s["icer"]
    for t in results["thresholds"]:
        for s in t["strategies"]:
            exp[("pairwise", s["name"], f"NMB at {fmt(t['value'])}")] = s["nmb"]
    return exp


def fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(v)


def normalise(got):
    """Maps the sheet's table titles to the keys used by `expected_numbers`."""
    out = {}
    for (table, name, head), v in got.items():
        if table.startswith("against the reference"):
            table = "pairwise"
        elif table.startswith("incremental analysis"):
            table = "frontier"
        out[(table, name, head)] = v
    return out


def compare(label, got, exp):
    worst, problems = 0.0, []
    for key, want in exp.items():
        have = got.get(key)
        if not isinstance(have, float):
            problems.append(f"{label}: {key} missing from the sheet (hta: {want})")
            continue
        d = rel(have, want)
        worst = max(worst, d)
        if d > TOLERANCE:
            problems.append(f"{label}: {key} sheet {have!r} hta {want!r} (relative {d:.3g})")
    return worst, problems


def check_cells(got):
    """The Results sheet's check cells (sheet against hta's base case): `ok` or `DIFFERS`."""
    return {k: v for k, v in got.items() if k[2] == "check"}


def hta_run(hta, model, outdir, sets=()):
    args = [hta, "run", str(model), "--out", str(outdir), "--force"]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((outdir / "results.json").read_text())


def set_input(src, dst, name, value):
    wb = openpyxl.load_workbook(src)
    ws = wb["Inputs"]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == name:
            if not isinstance(row[1].value, (int, float)):
                raise RuntimeError(f"Inputs!{row[1].coordinate} ({name}) is not a value cell")
            row[1].value = value
            wb.save(dst)
            return
    raise RuntimeError(f"no input {name} in {src}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hta", default=str(ROOT / "target/release/hta"))
    ap.add_argument("--keep", help="keep the workbooks and runs in this directory")
    args = ap.parse_args()
    if not shutil.which("soffice"):
        sys.exit("excel-check: soffice not found (apt-get install -y libreoffice-calc)")
    started = time.monotonic()
    work = Path(args.keep or tempfile.mkdtemp(prefix="hta-excel-check-"))
    work.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="hta-lo-profile-"))
    (profile / "user").mkdir()
    (profile / "user/registrymodifications.xcu").write_text(XCU)

    failures, written = [], {}
    jobs = [(m.stem, m, []) for m in sorted((ROOT / "models").glob("*.yaml"))]
    for name, source, replacements, data in DERIVED:
        text = (ROOT / "models" / f"{source}.yaml").read_text()
        for old, new in replacements:
            if old not in text:
                sys.exit(f"excel-check: {source}.yaml no longer contains {old!r}")
            text = text.replace(old, new, 1)
        (work / "derived").mkdir(exist_ok=True)
        (work / "derived" / f"{name}.yaml").write_text(text)
        for f in data:
            shutil.copy(ROOT / "models" / f, work / "derived" / f)
        jobs.append((name, work / "derived" / f"{name}.yaml", []))
    jobs += [(f"{name}[{' '.join(sets)}]", ROOT / "models" / f"{name}.yaml", sets) for name, sets in VARIANTS]
    for name, model, sets in jobs:
        out = work / f"{name.replace(' ', '_').replace('=', '-')}.xlsx"
        overrides = [x for v in sets for x in ("--set", v)]
        p = subprocess.run([args.hta, "excel", str(model), "--out", str(out), "--force", *overrides], capture_output=True,
                           text=True)
        if p.returncode != 0:
            reasons = " ".join(p.stderr.split())
            print(f"{name}: not exported: {reasons}")
            if name in EXPECTED or sets:
                failures.append(f"{name}: expected to export")
            continue
        notes = [line for line in p.stdout.splitlines() if line.startswith("note:")]
        for line in notes:
            print(f"{name}: {line}")
        # What is written as values is listed, and only where the model needs it.
        if (name in WITH_VALUES) != any("written as values" in line for line in notes):
            failures.append(f"{name}: values listed {notes!r}, expected {'some' if name in WITH_VALUES else 'none'}")
        written[name] = (model, out, sets)

    edits = []
    for i, (name, cell_name, value, override) in enumerate(EDITS):
        if name not in written:
            failures.append(f"edit {override}: model {name} not exported")
            continue
        dst = work / f"{name}-edit{i}.xlsx"
        set_input(written[name][1], dst, cell_name, value)
        edits.append((name, cell_name, value, override, dst))

    files = [w[1] for w in written.values()] + [e[4] for e in edits]
    recalculated = dict(zip(files, recalc(files, work / "recalc", profile))) if files else {}

    for name, (model, out, sets) in written.items():
        got, errors = sheet_numbers(recalculated[out])
        failures += [f"{name}: formula error {e}" for e in errors[:20]]
        exp = expected_numbers(hta_run(args.hta, model, out.with_suffix(".run"), sets))
        worst, problems = compare(name, normalise(got), exp)
        failures += problems
        checks = check_cells(got)
        failures += [f"{name}: check cell {k} says {v}" for k, v in checks.items() if v != "ok"]
        if not checks:
            failures.append(f"{name}: no check cells")
        print(f"{name}: {len(exp)} results, max relative difference {worst:.3g}, formula errors: {len(errors)}")
    for i, (name, cell_name, value, override, dst) in enumerate(edits):
        got, errors = sheet_numbers(recalculated[dst])
        failures += [f"{name} with {override}: formula error {e}" for e in errors[:20]]
        exp = expected_numbers(hta_run(args.hta, written[name][0], work / f"{name}-edit{i}-run", [override]))
        worst, problems = compare(f"{name} with {override}", normalise(got), exp)
        failures += problems
        # The edit moves the results away from hta's base case: the check cells must say so.
        if "DIFFERS" not in check_cells(got).values():
            failures.append(f"{name} with {override}: no check cell turned DIFFERS")
        print(f"{name}: Inputs {cell_name} := {value} vs --set {override}: max relative difference {worst:.3g}")

    shutil.rmtree(profile, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"excel-check: {len(written)} workbooks ({len(VARIANTS)} with settings changed), {len(edits)} edits, {time.monotonic() - started:.0f} s")
    if failures:
        print(f"FAILED ({len(failures)} problems):", *failures[:40], sep="\n  ")
        sys.exit(1)
    print("excel-check: all results within 1e-9 relative, no formula errors")


if __name__ == "__main__":
    main()
