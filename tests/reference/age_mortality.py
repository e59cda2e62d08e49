#!/usr/bin/env python3
"""Independent oracle for models/age_mortality.yaml (Python 3, standard library only).

Recomputes the model with its own cycle loop from the values written in the model file (repeated
here by hand, not parsed) and DOMAIN.md's conventions:

  * cycle k = 1..n runs from t_{k-1} = (k-1)L to t_k = kL; age in cycle k = 60 + (k-1)L;
  * background q_x from models/life_table_gompertz.csv by step lookup at that age, hazard
    h_bg = -ln(1 - q_x) (q_x is annual);
  * competing risks from healthy: R = r_inc + h_bg, p_j = (r_j / R)(1 - exp(-R L)); sick die with
    probability 1 - exp(-(h_bg + HR * h_excess) L);
  * m_k = m_{k-1} P_k; state values v_k evaluated at cycle k's age (costs per cycle = annual x L,
    utilities and life-years per year x L);
  * life-table counting: cycle reward = (1/2 d(t_{k-1}) m_{k-1} + 1/2 d(t_k) m_k) . v_k, with
    d(t) = 1.035^-t for costs and effects ("point" timing, DOMAIN.md 2.8 convention A);
  * end-of-life cost on every death: flow m_{k-1,i} P_k[i, dead] x 5000, no within-cycle
    correction, discounted at the end of the cycle t_k (transition_timing end_of_cycle).

Writes tests/reference/age_mortality.expected.json. With --compare DIR/results.json, also
compares an hta results file with the oracle and exits 1 on any mismatch.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cea_common import REPO, compare_with_results, cycle_weights, discount_factor, read_life_table, step_lookup, write_expected  # noqa: E402

# Settings (models/age_mortality.yaml).
L = 1.0
N_CYCLES = 40
START_AGE = 60.0
R_COSTS = 0.035
R_EFFECTS = 0.035
COUNTING = "life_table"
INITIAL = {"healthy": 0.9, "sick": 0.1, "dead": 0.0}

# Parameters.
R_INCIDENCE = 0.03
H_EXCESS = 0.12
HR_TREATMENT = 0.6
C_MONITORING = 150.0
C_MANAGEMENT = 2500.0
C_DRUG = 2000.0
C_END_OF_LIFE = 5000.0
U_HEALTHY_60 = 0.86
U_DECLINE = 0.004
U_SICK_RATIO = 0.72

STRATEGIES = {
    "usual_care": {"hr": 1.0, "drug": 0.0},
    "treatment": {"hr": HR_TREATMENT, "drug": C_DRUG},
}


def run_strategy(hr, drug, ages, qx):
    m = [INITIAL["healthy"], INITIAL["sick"], INITIAL["dead"]]
    tot = {k: 0.0 for k in ("cost", "qaly", "ly", "cost_undiscounted", "qaly_undiscounted", "ly_undiscounted")}
    for k in range(1, N_CYCLES + 1):
        age = START_AGE + (k - 1) * L
        q = step_lookup(ages, qx, age)
        h_bg = -math.log(1.0 - q) / 1.0
        r_leave = R_INCIDENCE + h_bg
        leave = 1.0 - math.exp(-r_leave * L)
        p_hs = R_INCIDENCE / r_leave * leave
        p_hd = h_bg / r_leave * leave
        p_sd = 1.0 - math.exp(-(h_bg + H_EXCESS * hr) * L)
        P = [
            [1.0 - p_hs - p_hd, p_hs, p_hd],
            [0.0, 1.0 - p_sd, p_sd],
            [0.0, 0.0, 1.0],
        ]
        m_new = [sum(m[i] * P[i][j] for i in range(3)) for j in range(3)]

        # State values of cycle k (per cycle).
        u_h = U_HEALTHY_60 - U_DECLINE * (age - 60.0)
        u_s = u_h * U_SICK_RATIO
        cost_v = [C_MONITORING * L, (C_MANAGEMENT + drug) * L, 0.0]
        qaly_v = [u_h * L, u_s * L, 0.0]
        ly_v = [1.0 * L, 1.0 * L, 0.0]

        a, b = cycle_weights(COUNTING, k, N_CYCLES)
        t0, t1 = (k - 1) * L, k * L
        dc0, dc1 = discount_factor(R_COSTS, t0), discount_factor(R_COSTS, t1)
        de0, de1 = discount_factor(R_EFFECTS, t0), discount_factor(R_EFFECTS, t1)
        for key, v, d0, d1 in (("cost", cost_v, dc0, dc1), ("qaly", qaly_v, de0, de1), ("ly", ly_v, de0, de1)):
            start = sum(m[s] * v[s] for s in range(3))
            end = sum(m_new[s] * v[s] for s in range(3))
            tot[key + "_undiscounted"] += a * start + b * end
            tot[key] += a * d0 * start + b * d1 * end

        # End-of-life cost on deaths this cycle (from healthy and from sick), at the cycle end.
        deaths = m[0] * P[0][2] + m[1] * P[1][2]
        tot["cost_undiscounted"] += deaths * C_END_OF_LIFE
        tot["cost"] += deaths * C_END_OF_LIFE * dc1

        m = m_new
    return tot


def main():
    ages, qx = read_life_table(os.path.join(REPO, "models", "life_table_gompertz.csv"))
    strategies = {name: run_strategy(s["hr"], s["drug"], ages, qx) for name, s in STRATEGIES.items()}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "age_mortality.expected.json")
    expected = write_expected(
        out,
        "models/age_mortality.yaml",
        "Independent Python oracle tests/reference/age_mortality.py (illustrative model; DOMAIN.md 2.3, 2.5, 2.7, 2.8 conventions)",
        strategies,
        "qaly",
    )
    for name, v in strategies.items():
        print(f"{name:12s} cost {v['cost']:.6f}  qaly {v['qaly']:.8f}  ly {v['ly']:.8f}  "
              f"(undiscounted {v['cost_undiscounted']:.6f}, {v['qaly_undiscounted']:.8f}, {v['ly_undiscounted']:.8f})  "
              f"{expected['incremental'][name]}")
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        problems = compare_with_results(expected, sys.argv[2])
        print("\n".join(problems) if problems else "hta agrees with the oracle")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
