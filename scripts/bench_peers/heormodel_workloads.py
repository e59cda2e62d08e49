"""WORKLOADS.md W1-W3 written against heormodel's API (heormodel.models.MarkovModel), for
bench-peers.sh.

Usage: python heormodel_workloads.py --workload {W1,W2,W3,W3PSA} [--draws N] [--reps R] [--out FILE]

How each workload maps onto heormodel 0.7.4 (read from its README and source):

- The engine is `MarkovModel(states, interventions, transitions_and_rewards, n_cycles, ...)`;
  `transitions_and_rewards(params, intervention)` returns a `CohortSpec` with the transition
  matrix, constant `(n_states, n_states)` or per cycle `(n_cycles, n_states, n_states)`, and
  state rewards, per state or per cycle point `(n_cycles + 1, n_states)`.
- Counting on the occupancy after each transition, t = 1..T: `cycle_correction="none"` weighs
  every cycle point 0..T by one, so the rewards are given per cycle point with row 0 (the
  starting occupancy) zero. The engine discounts point t by (1 + rate)^-(t * cycle_length), which
  is W3's 1.03^-(t/12) with `cycle_length=1/12`.
- heormodel has one discount rate for costs and effects. W1 discounts costs at 6% and leaves
  life-years undiscounted, so for W1/W2 the engine rate is 0 and the cost rows carry 1.06^-t.
- Dirichlet rows (W2) are native: `Dirichlet(counts, names=...)` in the `ParameterSet`, which
  expands to columns `from_a[B]` etc.; the base case is `single_draw` at count / row total.
- Each run goes through `run_psa(engine, draws, sequential=True)` (one core), then
  `icer_table(outcomes)` (means, dominance, ICERs) and `ceac(outcomes, wtp)`.
"""

from __future__ import annotations

import math

import heormodel
import numpy as np
from heormodel.cea import ceac, icer_table
from heormodel.models import Intervention, MarkovModel
from heormodel.models.markov import CohortSpec
from heormodel.params import Beta, Dirichlet, Gamma, LogNormal, ParameterSet
from heormodel.params.inputs import single_draw
from heormodel.run import run_psa

import common as cm

NOTES = []

# ---------------------------------------------------------------------------------------------
# W1 / W2: HIV model
# ---------------------------------------------------------------------------------------------

HIV_STATES = ("A", "B", "C", "D")
_ROW_PARAM = {"A": "from_a", "B": "from_b", "C": "from_c"}
_HIV_T = np.arange(cm.HIV_CYCLES + 1)
_HIV_COST_DISC = (1.0 + cm.HIV_COST_DISCOUNT) ** -_HIV_T  # per cycle point; engine rate is 0


def hiv_parameters() -> ParameterSet:
    dists = {}
    for src, row in cm.HIV_COUNTS.items():
        dists[_ROW_PARAM[src]] = Dirichlet(tuple(float(n) for n in row.values()), names=tuple(row))
    dists["rr"] = LogNormal(cm.HIV_RR_MEANLOG, cm.HIV_RR_SDLOG)
    for s, c in cm.HIV_CARE.items():
        dists[f"c_care_{s}"] = Gamma(shape=1.0, scale=c)  # mean = SD = c
    return ParameterSet(dists)


def hiv_base_draw():
    values = {}
    for src, row in cm.HIV_COUNTS.items():
        total = sum(row.values())
        for dst, n in row.items():
            values[f"{_ROW_PARAM[src]}[{dst}]"] = n / total
    values["rr"] = cm.HIV_RR
    for s, c in cm.HIV_CARE.items():
        values[f"c_care_{s}"] = c
    return single_draw(values)


def _hiv_matrix(p, rr: float) -> np.ndarray:
    q = {src + dst: p[f"{_ROW_PARAM[src]}[{dst}]"] for src, row in cm.HIV_COUNTS.items() for dst in row}
    ab, ac, ad = q["AB"] * rr, q["AC"] * rr, q["AD"] * rr
    bc, bd = q["BC"] * rr, q["BD"] * rr
    cd = q["CD"] * rr
    return np.array(
        [
            [1.0 - ab - ac - ad, ab, ac, ad],
            [0.0, 1.0 - bc - bd, bc, bd],
            [0.0, 0.0, 1.0 - cd, cd],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def hiv_transitions_and_rewards(p, intervention: str) -> CohortSpec:
    mono = _hiv_matrix(p, 1.0)
    if intervention == "comb":
        transition = np.repeat(mono[None], cm.HIV_CYCLES, axis=0)
        transition[: cm.HIV_RR_CYCLES] = _hiv_matrix(p, p["rr"])
    else:
        transition = mono
    per_state = np.array([p["c_care_A"], p["c_care_B"], p["c_care_C"], 0.0])
    per_state[:3] += cm.HIV_ZIDOVUDINE
    cost = np.repeat(per_state[None], cm.HIV_CYCLES + 1, axis=0)
    if intervention == "comb":
        cost[1 : cm.HIV_RR_CYCLES + 1, :3] += cm.HIV_LAMIVUDINE
    cost[0] = 0.0  # counted on end-of-cycle occupancy, t = 1..20
    cost *= _HIV_COST_DISC[:, None]
    effect = np.zeros((cm.HIV_CYCLES + 1, 4))
    effect[1:, :3] = 1.0  # one life-year per annual cycle alive
    return CohortSpec(transition, cost, effect)


def hiv_engine() -> MarkovModel:
    return MarkovModel(
        states=HIV_STATES,
        interventions=[Intervention("mono", is_comparator=True), "comb"],
        transitions_and_rewards=hiv_transitions_and_rewards,
        n_cycles=cm.HIV_CYCLES,
        initial_state="A",
        cycle_length=1.0,
        discount_rate=0.0,  # costs discounted in the cost rows (module doc)
        cycle_correction="none",
        effect="ly",
    )


def _det_results(outcomes) -> dict:
    table = icer_table(outcomes)
    icers = {s: float(v) for s, v in table["icer"].items() if not math.isnan(v)}
    return {
        "cost": {s: float(v) for s, v in table["cost"].items()},
        "effect": {s: float(v) for s, v in table["effect"].items()},
        "icer": icers,
    }


def _psa_summary(outcomes, wtp: np.ndarray) -> dict:
    table = icer_table(outcomes)
    curve = ceac(outcomes, wtp)
    mid = len(curve) // 2
    return {
        "mean_cost": {s: float(v) for s, v in table["cost"].items()},
        "mean_effect": {s: float(v) for s, v in table["effect"].items()},
        "icer": {s: float(v) for s, v in table["icer"].items() if not math.isnan(v)},
        "ceac_points": int(len(curve)),
        "ceac_mid": {s: float(curve[s].iloc[mid]) for s in curve.columns},
        "ceac_mid_wtp": float(curve.index[mid]),
    }


def w1() -> dict:
    """W1: build, run, incremental analysis."""
    engine = hiv_engine()
    outcomes = run_psa(engine, hiv_base_draw(), sequential=True).outcomes
    return _det_results(outcomes)


def w2(n: int) -> dict:
    """W2: PSA of W1 with the summary (means, ICER comb vs mono, CEAC 0..50,000 step 500)."""
    engine = hiv_engine()
    draws = hiv_parameters().sample(n, seed=1)
    outcomes = run_psa(engine, draws, sequential=True).outcomes
    return _psa_summary(outcomes, np.arange(0.0, 50_000.0 + 1, 500.0))


# ---------------------------------------------------------------------------------------------
# W3: synthetic 20-state model
# ---------------------------------------------------------------------------------------------

W3_STATES = tuple(f"S{k}" for k in range(1, cm.W3_ALIVE + 1)) + ("Dead",)
_K = np.arange(cm.W3_ALIVE)  # k - 1 for alive state k
_UP = np.where(_K <= 17, 1.0, 0.0)
_DOWN = np.where(_K >= 1, 1.0, 0.0)
# background mortality of cycle t = 1..600 (row t - 1), by integer age 40 + (t - 1) / 12
_MORT_BY_CYCLE = np.array(cm.W3_MORTALITY)[
    [cm.w3_age_index(t) for t in range(1, cm.W3_CYCLES + 1)]
]


def w3_transitions_and_rewards(p, intervention: str) -> CohortSpec:
    n, T = cm.W3_ALIVE, cm.W3_CYCLES
    rr_name = cm.W3_RR_PARAM[intervention]
    rr = 1.0 if rr_name is None else p[rr_name]
    die = _MORT_BY_CYCLE[:, None] * (p["hr_dis"] ** _K)[None, :]  # (T, 19)
    up = p["p_prog"] * rr * _UP
    down = p["p_reg"] * _DOWN
    P = np.zeros((T, n + 1, n + 1))
    P[:, _K, n] = die
    P[:, _K[:-1], _K[:-1] + 1] = up[:-1]
    P[:, _K[1:], _K[1:] - 1] = down[1:]
    P[:, _K, _K] = 1.0 - die - up - down
    P[:, n, n] = 1.0
    cost = np.zeros((T + 1, n + 1))
    cost[1:, :n] = p["c_scale"] * (100.0 + 40.0 * _K) + cm.W3_TX_COST[intervention]
    effect = np.zeros((T + 1, n + 1))
    effect[1:, :n] = (p["u1"] - 0.025 * _K) / 12.0
    return CohortSpec(P, cost, effect)


def w3_engine() -> MarkovModel:
    return MarkovModel(
        states=W3_STATES,
        interventions=[Intervention("soc", is_comparator=True), "tx1", "tx2"],
        transitions_and_rewards=w3_transitions_and_rewards,
        n_cycles=cm.W3_CYCLES,
        initial_state="S1",
        cycle_length=1.0 / 12.0,
        discount_rate=0.03,
        cycle_correction="none",
        effect="qaly",
    )


def w3_parameters() -> ParameterSet:
    return ParameterSet(
        {
            "p_prog": Beta(15, 985),
            "p_reg": Beta(5, 995),
            "hr_dis": LogNormal(math.log(1.05), 0.01),
            "rr_tx1": LogNormal(math.log(0.8), 0.1),
            "rr_tx2": LogNormal(math.log(0.6), 0.1),
            "c_scale": Gamma(shape=100.0, scale=1.0 / 100.0),  # rate 100
            "u1": Beta(90, 10),
        }
    )


def w3() -> dict:
    engine = w3_engine()
    outcomes = run_psa(engine, single_draw(cm.W3_BASE), sequential=True).outcomes
    return _det_results(outcomes)


def w3_psa(n: int) -> dict:
    """W3 PSA with the summary (means, ICERs, CEAC 0..100,000 step 1,000)."""
    engine = w3_engine()
    draws = w3_parameters().sample(n, seed=1)
    outcomes = run_psa(engine, draws, sequential=True).outcomes
    return _psa_summary(outcomes, np.arange(0.0, 100_000.0 + 1, 1_000.0))


WORKLOADS = {
    "W1": {"kind": "det", "run": w1, "check": "W1", "label": "W1, one run",
           "notes": ["one discount rate for costs and effects: engine rate 0, costs discounted in the per-cycle cost rows"]},
    "W2": {"kind": "psa", "run": w2, "check": "W1", "label": "W2",
           "notes": ["one discount rate for costs and effects: engine rate 0, costs discounted in the per-cycle cost rows"]},
    "W3": {"kind": "det", "run": w3, "check": "W3", "label": "W3, deterministic"},
    "W3PSA": {"kind": "psa", "run": w3_psa, "check": "W3", "label": "W3"},
}

if __name__ == "__main__":
    cm.main("heormodel", heormodel.__version__, WORKLOADS, NOTES)
