#!/usr/bin/env python3
"""Independent oracle for models/cart_lbcl_psm.yaml (Python 3, standard library only).

Recomputes the partitioned survival model with its own loop from the values written in the
model file (repeated here by hand, not parsed) and DOMAIN.md's conventions:

  * L = 1/12 year, n = 480 cycles; boundary k at t_k = k/12 years; cohort aged 58 at t = 0;
  * background survival from models/life_table_gompertz.csv: constant hazard -ln(1 - q_x) within
    each year of age, so H_bg(t) = sum_{y < floor t} -ln(1 - q_{58+y}) + (t - floor t)(-ln(1 - q_{58+floor t}))
    (DOMAIN.md 2.5);
  * flexsurv parameterisations (DOMAIN.md 3.2): Weibull S = exp(-(t/b)^a); log-normal
    S = 1 - Phi((ln t - mu)/sigma); log-logistic S = 1/(1 + (t/b)^a); curves fitted in months are
    evaluated at 12 t;
  * mixture cure S = S_bg (pi + (1 - pi) S_u) (DOMAIN.md 3.4); chemotherapy uses pi = 0
    (S = S_bg S_excess);
  * occupancy (DOMAIN.md 3.1): PF = S_PFS, PD = S_OS - S_PFS, dead = 1 - S_OS, with PFS capped at
    OS where it would exceed it (counted and reported; none in the base case);
  * life-table counting: cycle reward = 1/2 d(t_{k-1}) m_{k-1}.v_k + 1/2 d(t_k) m_k.v_k, values
    v_k of cycle k (state costs per cycle, utilities and life-years per year x L),
    d(t) = 1.05^-t for costs and effects (DOMAIN.md 2.7, 2.8 convention A);
  * deaths in cycle k = S_OS(t_{k-1}) - S_OS(t_k), times the terminal-care cost, no within-cycle
    correction, discounted at t_k (end of cycle);
  * one-off costs and QALYs at t = 0: undiscounted, uncorrected.

Writes tests/reference/cart_lbcl_psm.expected.json. With --compare DIR/results.json, also
compares an hta results file with the oracle and exits 1 on any mismatch.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cea_common import REPO, compare_with_results, cycle_weights, discount_factor, read_life_table, step_lookup, write_expected  # noqa: E402

# Settings.
L = 1.0 / 12.0
N_CYCLES = 480
START_AGE = 58.0
R_COSTS = 0.05
R_EFFECTS = 0.05
COUNTING = "life_table"
GDP_PER_CAPITA_2024 = 95749.0

# Survival (illustrative).
PI_PFS_CART, PI_OS_CART, PI_CHEMO = 0.40, 0.45, 0.0
CART_PFS_UNCURED = ("weibull", 0.9, 5.5, 12.0)      # shape, scale (months)
CART_OS_UNCURED = ("lnorm", 2.6, 1.1, 12.0)         # meanlog, sdlog (months)
CHEMO_PFS_EXCESS = ("llogis", 1.5, 0.45, 1.0)       # shape, scale (years)
CHEMO_OS_EXCESS = ("lnorm", 0.35, 1.4, 1.0)         # meanlog, sdlog (years)

# One-off costs at start.
C_CART = 1_200_000.0
C_APHERESIS_BRIDGING, C_LYMPHODEPLETION, C_INFUSION_ADMISSION = 25_000.0, 8_000.0, 45_000.0
P_CRS_ANY, P_CRS_SEVERE = 0.90, 0.08
C_CRS_LOW_GRADE, C_CRS_SEVERE = 6_000.0, 90_000.0
QALY_LOSS_CRS = 0.004
C_SALVAGE_CHEMO, P_ASCT, C_ASCT = 36_000.0, 0.35, 130_000.0
P_FEBRILE_NEUTROPENIA, C_FEBRILE_NEUTROPENIA = 0.30, 18_000.0

# Per-cycle (monthly) state costs, terminal care, utilities.
C_PF_EARLY, C_PF_LATE = 2_500.0, 400.0
C_PD_TREATMENT, C_PD_FOLLOWUP = 9_000.0, 1_500.0
C_TERMINAL = 40_000.0
U_PF, U_PD = 0.80, 0.62


def surv_parametric(spec, t_years):
    family, p1, p2, units_per_year = spec
    t = t_years * units_per_year
    if t == 0.0:
        return 1.0
    if family == "weibull":
        return math.exp(-((t / p2) ** p1))
    if family == "llogis":
        return 1.0 / (1.0 + (t / p2) ** p1)
    if family == "lnorm":
        z = (math.log(t) - p1) / p2
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    raise ValueError(family)


def make_background(ages, qx):
    def s_bg(t):
        whole = math.floor(t)
        h = 0.0
        for y in range(whole):
            h += -math.log(1.0 - step_lookup(ages, qx, START_AGE + y))
        h += (t - whole) * -math.log(1.0 - step_lookup(ages, qx, START_AGE + whole))
        return math.exp(-h)
    return s_bg


def mixture(pi, uncured, s_bg):
    return lambda t: s_bg(t) * (pi + (1.0 - pi) * surv_parametric(uncured, t))


def run_strategy(name, s_pfs, s_os):
    times = [k * L for k in range(N_CYCLES + 1)]
    pfs = [s_pfs(t) for t in times]
    os_ = [s_os(t) for t in times]
    capped = 0
    for k in range(N_CYCLES + 1):
        if pfs[k] > os_[k]:
            pfs[k] = os_[k]
            capped += 1
    trace = [[pfs[k], os_[k] - pfs[k], 1.0 - os_[k]] for k in range(N_CYCLES + 1)]

    tot = {k: 0.0 for k in ("cost", "qaly", "ly", "cost_undiscounted", "qaly_undiscounted", "ly_undiscounted")}
    # At start (t = 0): undiscounted, not corrected.
    if name == "cart":
        start_cost = (C_CART + C_APHERESIS_BRIDGING + C_LYMPHODEPLETION + C_INFUSION_ADMISSION
                      + (P_CRS_ANY - P_CRS_SEVERE) * C_CRS_LOW_GRADE + P_CRS_SEVERE * C_CRS_SEVERE)
        start_qaly = -(P_CRS_ANY * QALY_LOSS_CRS)
    else:
        start_cost = C_SALVAGE_CHEMO + P_ASCT * C_ASCT + P_FEBRILE_NEUTROPENIA * C_FEBRILE_NEUTROPENIA
        start_qaly = 0.0
    for key, v in (("cost", start_cost), ("qaly", start_qaly)):
        tot[key] += v
        tot[key + "_undiscounted"] += v

    for k in range(1, N_CYCLES + 1):
        cost_v = [C_PF_EARLY if k <= 24 else C_PF_LATE, C_PD_TREATMENT if k <= 36 else C_PD_FOLLOWUP, 0.0]
        qaly_v = [U_PF * L, U_PD * L, 0.0]
        ly_v = [L, L, 0.0]
        a, b = cycle_weights(COUNTING, k, N_CYCLES)
        t0, t1 = (k - 1) * L, k * L
        dc0, dc1 = discount_factor(R_COSTS, t0), discount_factor(R_COSTS, t1)
        de0, de1 = discount_factor(R_EFFECTS, t0), discount_factor(R_EFFECTS, t1)
        m0, m1 = trace[k - 1], trace[k]
        for key, v, d0, d1 in (("cost", cost_v, dc0, dc1), ("qaly", qaly_v, de0, de1), ("ly", ly_v, de0, de1)):
            start = sum(m0[s] * v[s] for s in range(3))
            end = sum(m1[s] * v[s] for s in range(3))
            tot[key + "_undiscounted"] += a * start + b * end
            tot[key] += a * d0 * start + b * d1 * end
        deaths = os_[k - 1] - os_[k]
        tot["cost_undiscounted"] += deaths * C_TERMINAL
        tot["cost"] += deaths * C_TERMINAL * dc1
    return tot, capped, trace


def main():
    ages, qx = read_life_table(os.path.join(REPO, "models", "life_table_gompertz.csv"))
    s_bg = make_background(ages, qx)
    curves = {
        "salvage_chemo": (mixture(PI_CHEMO, CHEMO_PFS_EXCESS, s_bg), mixture(PI_CHEMO, CHEMO_OS_EXCESS, s_bg)),
        "cart": (mixture(PI_PFS_CART, CART_PFS_UNCURED, s_bg), mixture(PI_OS_CART, CART_OS_UNCURED, s_bg)),
    }
    strategies = {}
    for name, (pfs, os_) in curves.items():
        tot, capped, trace = run_strategy(name, pfs, os_)
        strategies[name] = tot
        landmarks = ", ".join(f"{y}y PFS {trace[12 * y][0]:.3f} OS {trace[12 * y][0] + trace[12 * y][1]:.3f}" for y in (1, 2, 5, 10, 20))
        print(f"{name}: PFS capped at OS at {capped} boundaries; {landmarks}")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cart_lbcl_psm.expected.json")
    expected = write_expected(
        out,
        "models/cart_lbcl_psm.yaml",
        "Independent Python oracle tests/reference/cart_lbcl_psm.py (illustrative inputs; DOMAIN.md 2.5, 2.7, 2.8, 3.1, 3.2, 3.4 conventions)",
        strategies,
        "qaly",
    )
    for name, v in strategies.items():
        print(f"{name:14s} cost {v['cost']:.6f}  qaly {v['qaly']:.8f}  ly {v['ly']:.8f}  "
              f"(undiscounted {v['cost_undiscounted']:.6f}, {v['qaly_undiscounted']:.8f}, {v['ly_undiscounted']:.8f})  "
              f"{expected['incremental'][name]}")
    icer = expected["incremental"]["cart"]["icer"]
    for mult in (1, 3):
        lam = mult * GDP_PER_CAPITA_2024
        verdict = "below" if icer is not None and icer <= lam else "above"
        print(f"ICER of cart {icer:,.2f} CNY/QALY is {verdict} {mult} x GDP per capita = {lam:,.0f}")
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        problems = compare_with_results(expected, sys.argv[2])
        print("\n".join(problems) if problems else "hta agrees with the oracle")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
