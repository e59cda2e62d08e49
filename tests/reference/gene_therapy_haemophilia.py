#!/usr/bin/env python3
"""Independent oracle for models/gene_therapy_haemophilia.yaml (Python 3, standard library only).

Recomputes the model with its own cycle loop from the values written in the model file (repeated
here by hand, not parsed) and DOMAIN.md's conventions, with the time-in-state states written out
as explicit tunnel states (DOMAIN.md 2.4):

  * states P (prophylaxis), G1..G8 (expressing, year 1..8+ since infusion; G8 absorbs within the
    state), R1, R2 (returned to prophylaxis, first year and later), D (dead);
  * L = 1 year, n = 60 cycles, cohort aged 40 at t = 0; cycle k runs from t_{k-1} = k - 1 to t_k = k;
  * background survival from models/life_table_gompertz.csv with constant hazard -ln(1 - q_x)
    within each year of age; background probability of death in cycle k = 1 - S_bg(t_k)/S_bg(t_{k-1});
    as a hazard per year h_bg = -ln(1 - p)/L, times the SMR; p_dead = 1 - exp(-SMR h_bg L) in
    every living state (DOMAIN.md 2.3, 2.5);
  * from G_j: lose expression with probability (1 - p_dead)(1 - (1 - min(0.005 j, 0.04))^L) to R1,
    die with p_dead, otherwise move to G_{min(j+1, 8)}; R1 -> R2 -> R2; P -> P;
  * initial: comparator P = 1; gene therapy G1 = 0.95, R1 = 0.05;
  * state values of cycle k (costs per cycle = annual x L, utilities and life-years per year x L)
    applied to both boundary points of the cycle; life-table counting (1/2, 1/2); each boundary
    discounted at its own time, d(t) = 1.035^-t for costs and effects (DOMAIN.md 2.7, 2.8 A);
  * work-up cost on loss of expression: flow G_j -> R1 x 1500, uncorrected, discounted at t_k;
  * gene therapy and infusion cost at t = 0, undiscounted.

Writes tests/reference/gene_therapy_haemophilia.expected.json. With --compare DIR/results.json,
also compares an hta results file with the oracle and exits 1 on any mismatch.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cea_common import REPO, compare_with_results, cycle_weights, discount_factor, read_life_table, step_lookup, write_expected  # noqa: E402

# Settings.
L = 1.0
N_CYCLES = 60
START_AGE = 40.0
R_COSTS = 0.035
R_EFFECTS = 0.035
COUNTING = "life_table"
THRESHOLDS = (25_000.0, 35_000.0)

# Parameters (illustrative).
SMR = 1.2
LOSS_STEP, LOSS_MAX = 0.005, 0.04
TRACK_POST, TRACK_RETURNED = 8, 2
ABR_PROPHYLAXIS, ABR_GT_FIRST, ABR_GT_RISE = 2.5, 0.8, 0.1
C_BLEED, D_BLEED = 4_000.0, 0.01
C_GENE_THERAPY, C_INFUSION = 2_500_000.0, 6_000.0
C_FIX_ANNUAL, C_MONITOR_PROPHYLAXIS = 180_000.0, 1_200.0
C_MONITOR_GT_YEAR1, C_MONITOR_GT_YEARS2TO5, C_MONITOR_GT_LATER = 9_000.0, 2_500.0, 1_000.0
C_REINITIATION, C_LOSS_ASSESSMENT = 3_000.0, 1_500.0
U_PROPHYLAXIS, U_GENE_THERAPY, U_YEAR1_DECREMENT = 0.82, 0.86, 0.03

# Expanded state list.
STATES = ["P"] + [f"G{j}" for j in range(1, TRACK_POST + 1)] + [f"R{j}" for j in range(1, TRACK_RETURNED + 1)] + ["D"]
IDX = {s: i for i, s in enumerate(STATES)}
N = len(STATES)


def background_cumhaz(ages, qx, t):
    whole = math.floor(t)
    h = sum(-math.log(1.0 - step_lookup(ages, qx, START_AGE + y)) for y in range(whole))
    return h + (t - whole) * -math.log(1.0 - step_lookup(ages, qx, START_AGE + whole))


def state_values(name):
    """(cost per cycle, utility per year, life-year weight per year) of an expanded state."""
    prophylaxis_cost = (C_FIX_ANNUAL + C_BLEED * ABR_PROPHYLAXIS + C_MONITOR_PROPHYLAXIS) * L
    u_proph = U_PROPHYLAXIS - D_BLEED * ABR_PROPHYLAXIS
    if name == "P":
        return prophylaxis_cost, u_proph, 1.0
    if name.startswith("G"):
        j = int(name[1:])
        abr = ABR_GT_FIRST + ABR_GT_RISE * (j - 1)
        monitor = C_MONITOR_GT_YEAR1 if j == 1 else (C_MONITOR_GT_YEARS2TO5 if j <= 5 else C_MONITOR_GT_LATER)
        u = U_GENE_THERAPY - D_BLEED * abr - (U_YEAR1_DECREMENT if j == 1 else 0.0)
        return (C_BLEED * abr + monitor) * L, u, 1.0
    if name.startswith("R"):
        j = int(name[1:])
        return prophylaxis_cost + (C_REINITIATION if j == 1 else 0.0), u_proph, 1.0
    return 0.0, 0.0, 0.0


def run_strategy(initial, start_cost, ages, qx):
    m = [0.0] * N
    for s, share in initial.items():
        m[IDX[s]] = share
    tot = {k: 0.0 for k in ("cost", "qaly", "ly", "cost_undiscounted", "qaly_undiscounted", "ly_undiscounted")}
    tot["cost"] += start_cost
    tot["cost_undiscounted"] += start_cost
    values = [state_values(s) for s in STATES]
    trace = [m[:]]
    for k in range(1, N_CYCLES + 1):
        t0, t1 = (k - 1) * L, k * L
        p_bg = 1.0 - math.exp(-(background_cumhaz(ages, qx, t1) - background_cumhaz(ages, qx, t0)))
        h_death = SMR * (-math.log(1.0 - p_bg) / L)
        p_dead = 1.0 - math.exp(-h_death * L)

        new = [0.0] * N
        loss_flow = 0.0
        for i, s in enumerate(STATES):
            if m[i] == 0.0:
                continue
            if s == "D":
                new[i] += m[i]
                continue
            new[IDX["D"]] += m[i] * p_dead
            if s == "P":
                new[i] += m[i] * (1.0 - p_dead)
            elif s.startswith("G"):
                j = int(s[1:])
                p_loss_annual = min(LOSS_STEP * j, LOSS_MAX)
                p_loss = (1.0 - p_dead) * (1.0 - (1.0 - p_loss_annual) ** (L / 1.0))
                new[IDX["R1"]] += m[i] * p_loss
                loss_flow += m[i] * p_loss
                new[IDX[f"G{min(j + 1, TRACK_POST)}"]] += m[i] * (1.0 - p_dead - p_loss)
            elif s.startswith("R"):
                j = int(s[1:])
                new[IDX[f"R{min(j + 1, TRACK_RETURNED)}"]] += m[i] * (1.0 - p_dead)

        a, b = cycle_weights(COUNTING, k, N_CYCLES)
        dc0, dc1 = discount_factor(R_COSTS, t0), discount_factor(R_COSTS, t1)
        de0, de1 = discount_factor(R_EFFECTS, t0), discount_factor(R_EFFECTS, t1)
        for key, col, scale, d0, d1 in (("cost", 0, 1.0, dc0, dc1), ("qaly", 1, L, de0, de1), ("ly", 2, L, de0, de1)):
            start = sum(m[s] * values[s][col] * scale for s in range(N))
            end = sum(new[s] * values[s][col] * scale for s in range(N))
            tot[key + "_undiscounted"] += a * start + b * end
            tot[key] += a * d0 * start + b * d1 * end
        tot["cost_undiscounted"] += loss_flow * C_LOSS_ASSESSMENT
        tot["cost"] += loss_flow * C_LOSS_ASSESSMENT * dc1
        m = new
        trace.append(m[:])
    return tot, trace


def main():
    ages, qx = read_life_table(os.path.join(REPO, "models", "life_table_gompertz.csv"))
    arms = {
        "fix_prophylaxis": ({"P": 1.0}, 0.0),
        "gene_therapy": ({"G1": 0.95, "R1": 0.05}, C_GENE_THERAPY + C_INFUSION),
    }
    strategies = {}
    for name, (initial, start_cost) in arms.items():
        tot, trace = run_strategy(initial, start_cost, ages, qx)
        strategies[name] = tot
        if name == "gene_therapy":
            expressing = lambda k: sum(trace[k][IDX[f"G{j}"]] for j in range(1, TRACK_POST + 1))
            alive = lambda k: 1.0 - trace[k][IDX["D"]]
            print("gene_therapy: share of the living still expressing at 5/10/20/30 years: "
                  + ", ".join(f"{expressing(y) / alive(y):.3f}" for y in (5, 10, 20, 30)))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gene_therapy_haemophilia.expected.json")
    expected = write_expected(
        out,
        "models/gene_therapy_haemophilia.yaml",
        "Independent Python oracle tests/reference/gene_therapy_haemophilia.py (illustrative inputs; tunnel states written out by hand; DOMAIN.md 2.3-2.8 conventions)",
        strategies,
        "qaly",
    )
    for name, v in strategies.items():
        print(f"{name:16s} cost {v['cost']:.6f}  qaly {v['qaly']:.8f}  ly {v['ly']:.8f}  "
              f"(undiscounted {v['cost_undiscounted']:.6f}, {v['qaly_undiscounted']:.8f}, {v['ly_undiscounted']:.8f})  "
              f"{expected['incremental'][name]}")
    icer = expected["incremental"]["gene_therapy"]["icer"]
    if icer is not None:
        for lam in THRESHOLDS:
            print(f"ICER of gene_therapy {icer:,.2f} GBP/QALY is {'below' if icer <= lam else 'above'} {lam:,.0f}")
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        problems = compare_with_results(expected, sys.argv[2])
        print("\n".join(problems) if problems else "hta agrees with the oracle")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
