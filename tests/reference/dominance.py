#!/usr/bin/env python3
"""Independent oracle for models/dominance.yaml (Python 3, standard library only).

Recomputes the model with its own cycle loop from the values written in the model file (repeated
here by hand, not parsed) and DOMAIN.md's conventions:

  * L = 0.5 years, n = 60 cycles; cycle k runs from t_{k-1} = (k-1)L to t_k = kL;
  * competing exit hazards from each state: p_j = (r_j / R)(1 - exp(-R L)) (DOMAIN.md 2.3);
  * m_k = m_{k-1} P_k; state values per cycle: costs = annual x L, utilities and life-years per
    year x L;
  * Simpson's 1/3 counting (n even): cycle reward = a_k d(t_{k-1}) m_{k-1}.v + b_k d(t_k) m_k.v with
    (a_k, b_k) = (1/3, 2/3) for odd k and (2/3, 1/3) for even k, i.e. point weights 1/3, 4/3,
    2/3, ..., 4/3, 1/3 (DOMAIN.md 2.7); d(t) = 1.035^-t for costs and effects (2.8, convention A);
  * transition costs: flow m_{k-1,i} P_k[i,j] x cost, no within-cycle correction, discounted at
    the middle of the cycle, (k - 1/2)L (transition_timing mid_cycle);
  * invitation cost at t = 0 for screening strategies: undiscounted, not corrected.
  * incremental analysis as DOMAIN.md 1.4 (strong dominance, then repeated extended dominance).

Writes tests/reference/dominance.expected.json. With --compare DIR/results.json, also compares
an hta results file with the oracle and exits 1 on any mismatch.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cea_common import compare_with_results, cycle_weights, discount_factor, write_expected  # noqa: E402

# Settings (models/dominance.yaml).
L = 6.0 / 12.0
N_CYCLES = 60
R_COSTS = 0.035
R_EFFECTS = 0.035
COUNTING = "simpson"

# Parameters (per year unless stated).
H_BACKGROUND = 0.012
R_INCIDENCE = 0.015
R_PROGRESSION = 0.02
H_EARLY = 0.01
H_LATE = 0.30
C_SCREEN = 400.0
C_INVITE = 25.0
C_SURGERY = 8000.0
C_LATE_TREATMENT = 10000.0
C_FOLLOW_UP_EARLY = 1500.0
C_FOLLOW_UP_LATE = 6000.0
U_WELL = 0.85
DQ_SCREEN = 0.01
U_EARLY = 0.76
U_LATE = 0.50

# name: (screens per year, share of incident cancers detected early, one-off cost at t = 0)
STRATEGIES = {
    "no_screening": (0.0, 0.20, 0.0),
    "screen_5y": (1.0 / 5.0, 0.40, C_INVITE),
    "screen_4y": (1.0 / 4.0, 0.49, C_INVITE),
    "screen_3y": (1.0 / 3.0, 0.60, C_INVITE),
    "screen_2y": (1.0 / 2.0, 0.70, C_INVITE),
    "screen_1y": (1.0, 0.74, C_INVITE),
}

WELL, EARLY, LATE, DEAD = range(4)


def competing(rates, length):
    """Per-cycle probabilities of each exit from hazards per year (DOMAIN.md 2.3)."""
    total = sum(rates)
    leave = 1.0 - math.exp(-total * length)
    return [r / total * leave for r in rates]


def run_strategy(screens_per_year, f_early, one_off):
    p_we, p_wl, p_wd = competing([R_INCIDENCE * f_early, R_INCIDENCE * (1.0 - f_early), H_BACKGROUND], L)
    p_el, p_ed = competing([R_PROGRESSION, H_BACKGROUND + H_EARLY], L)
    (p_ld,) = competing([H_BACKGROUND + H_LATE], L)
    P = [
        [1.0 - p_we - p_wl - p_wd, p_we, p_wl, p_wd],
        [0.0, 1.0 - p_el - p_ed, p_el, p_ed],
        [0.0, 0.0, 1.0 - p_ld, p_ld],
        [0.0, 0.0, 0.0, 1.0],
    ]
    cost_v = [C_SCREEN * screens_per_year * L, C_FOLLOW_UP_EARLY * L, C_FOLLOW_UP_LATE * L, 0.0]
    qaly_v = [(U_WELL - screens_per_year * DQ_SCREEN) * L, U_EARLY * L, U_LATE * L, 0.0]
    ly_v = [L, L, L, 0.0]
    # Transition costs: (from, to, cost).
    events = [(WELL, EARLY, C_SURGERY), (WELL, LATE, C_LATE_TREATMENT), (EARLY, LATE, C_LATE_TREATMENT)]

    tot = {"cost": one_off, "qaly": 0.0, "ly": 0.0, "cost_undiscounted": one_off, "qaly_undiscounted": 0.0, "ly_undiscounted": 0.0}
    m = [1.0, 0.0, 0.0, 0.0]
    for k in range(1, N_CYCLES + 1):
        m_new = [sum(m[i] * P[i][j] for i in range(4)) for j in range(4)]
        a, b = cycle_weights(COUNTING, k, N_CYCLES)
        t0, t1, t_mid = (k - 1) * L, k * L, (k - 0.5) * L
        dc0, dc1 = discount_factor(R_COSTS, t0), discount_factor(R_COSTS, t1)
        de0, de1 = discount_factor(R_EFFECTS, t0), discount_factor(R_EFFECTS, t1)
        for key, v, d0, d1 in (("cost", cost_v, dc0, dc1), ("qaly", qaly_v, de0, de1), ("ly", ly_v, de0, de1)):
            start = sum(m[s] * v[s] for s in range(4))
            end = sum(m_new[s] * v[s] for s in range(4))
            tot[key + "_undiscounted"] += a * start + b * end
            tot[key] += a * d0 * start + b * d1 * end
        event_cost = sum(m[i] * P[i][j] * c for i, j, c in events)
        tot["cost_undiscounted"] += event_cost
        tot["cost"] += event_cost * discount_factor(R_COSTS, t_mid)
        m = m_new
    return tot


def main():
    strategies = {name: run_strategy(*args) for name, args in STRATEGIES.items()}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dominance.expected.json")
    expected = write_expected(
        out,
        "models/dominance.yaml",
        "Independent Python oracle tests/reference/dominance.py (illustrative model; DOMAIN.md 1.4, 2.3, 2.7, 2.8 conventions)",
        strategies,
        "qaly",
    )
    for name in sorted(strategies, key=lambda s: strategies[s]["cost"]):
        v = strategies[name]
        print(f"{name:13s} cost {v['cost']:.6f}  qaly {v['qaly']:.8f}  ly {v['ly']:.8f}  "
              f"(undiscounted {v['cost_undiscounted']:.6f}, {v['qaly_undiscounted']:.8f}, {v['ly_undiscounted']:.8f})  "
              f"{expected['incremental'][name]}")
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        problems = compare_with_results(expected, sys.argv[2])
        print("\n".join(problems) if problems else "hta agrees with the oracle")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
