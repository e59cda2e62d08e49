"""WORKLOADS.md W1-W3 written against pyheor's API (pyheor.MarkovModel), for bench-peers.sh.

Usage: python pyheor_workloads.py --workload {W1,W2,W3,W3PSA} [--draws N] [--reps R] [--out FILE]

How each workload maps onto pyheor 0.4.1 (read from its README and source):

- `MarkovModel(..., method="end")` counts rewards on the occupancy after each cycle's
  transition, as W1 and W3 do. pyheor leaves the first cycle undiscounted: cycle t (1-based) is
  discounted by (1 + r)^-(t-1). WORKLOADS.md discounts cycle t by (1 + r)^-t, so every
  discounted per-cycle reward carries the constant factor 1 / (1 + r) (for W1 costs only, for W3
  costs and QALYs). That is exact, not an approximation.
- Dirichlet rows (W2): pyheor's `Dirichlet` draws vectors, which `run_psa` refuses to assign to a
  parameter ("add each component as its own parameter"). Each row is therefore written as its
  components, independent Gamma(count, 1) parameters, and the transition function divides each
  by the row sum: the standard construction of a Dirichlet(counts) draw (heormodel does the same
  internally). At the base values (the counts) this gives count / row total exactly.
- Time-dependent transitions (RR in cycles 1-2 of W1, age in W3) are `f(params, cycle)`
  callables, which pyheor calls with the 1-based cycle. W1's matrices are lists with `ph.C` for
  the diagonal complement, as in pyheor's documentation; W3's 20 x 20 matrices are built as
  numpy arrays (also accepted), which is faster for pyheor than a 400-entry list.
- W3 background mortality is a table by integer age 40..89 (common.W3_MORTALITY), read in the
  transition function at age 40 + (t - 1) / 12.
- PSA: `model.run_psa(n_sim, seed=1, progress=False)`, then `psa.summary()` (means),
  `psa.icer()` and `psa.ceac_data(wtp_range, n_wtp)`. pyheor runs on one core (no parallel PSA).
"""

from __future__ import annotations

import math

import numpy as np
import pyheor as ph
from pyheor import C

import common as cm

NOTES = [
    "pyheor discounts cycle t by (1+r)^-(t-1); the per-cycle rewards carry a constant 1/(1+r) so that cycle t is discounted by (1+r)^-t as WORKLOADS.md defines",
]

# ---------------------------------------------------------------------------------------------
# W1 / W2: HIV model
# ---------------------------------------------------------------------------------------------

HIV_STATES = ["A", "B", "C", "D"]


def hiv_model() -> ph.MarkovModel:
    year = ph.Cycle(1, "year")
    model = ph.MarkovModel(
        states=HIV_STATES,
        strategies=["mono", "comb"],
        n_cycles=cm.HIV_CYCLES,
        cycle=year,
        dr_cost=cm.HIV_COST_DISCOUNT,
        dr_qaly=0.0,
        method="end",
        initial_state="A",
        state_type={"D": "dead"},
    )
    # Dirichlet(counts) per monotherapy row, as its Gamma(count, 1) components (see module doc).
    for src, row in cm.HIV_COUNTS.items():
        for dst, n in row.items():
            model.add_param(f"g_{src}{dst}", base=float(n), dist=ph.Gamma(shape=n, rate=1.0))
    model.add_param(
        "rr", base=cm.HIV_RR, dist=ph.LogNormal(meanlog=cm.HIV_RR_MEANLOG, sdlog=cm.HIV_RR_SDLOG)
    )
    for s, c in cm.HIV_CARE.items():
        model.add_param(f"c_care_{s}", base=c, dist=ph.Gamma(mean=c, sd=c))

    def matrix(p, rr):
        q = {}
        for src, row in cm.HIV_COUNTS.items():
            total = sum(p[f"g_{src}{dst}"] for dst in row)
            for dst in row:
                q[src + dst] = p[f"g_{src}{dst}"] / total
        return [
            [C, q["AB"] * rr, q["AC"] * rr, q["AD"] * rr],
            [0.0, C, q["BC"] * rr, q["BD"] * rr],
            [0.0, 0.0, C, q["CD"] * rr],
            [0.0, 0.0, 0.0, 1.0],
        ]

    model.set_transitions("mono", lambda p, k: matrix(p, 1.0))
    model.set_transitions("comb", lambda p, k: matrix(p, p["rr"] if k <= cm.HIV_RR_CYCLES else 1.0))

    shift = 1.0 / (1.0 + cm.HIV_COST_DISCOUNT)  # first cycle discounted too (module doc)
    model.set_state_cost("care", lambda p: {s: p[f"c_care_{s}"] * shift for s in cm.HIV_CARE})
    model.set_state_cost("zidovudine", {s: cm.HIV_ZIDOVUDINE * shift for s in cm.HIV_CARE})
    model.set_state_cost(
        "lamivudine",
        {"mono": {}, "comb": {s: cm.HIV_LAMIVUDINE * shift for s in cm.HIV_CARE}},
        cycles=list(range(1, cm.HIV_RR_CYCLES + 1)),
    )
    # Effect: life-years, one per annual cycle alive, undiscounted (dr_qaly = 0).
    model.set_state_qaly("life_years", {s: ph.qaly(1.0, year) for s in cm.HIV_CARE})
    return model


def _base_results(base, comparator: str) -> dict:
    summary = base.summary().set_index("Strategy")
    icer = base.icer(comparator=comparator).set_index("Strategy")
    return {
        "cost": {s: float(summary.loc[s, "Total Cost"]) for s in summary.index},
        "effect": {s: float(summary.loc[s, "QALYs"]) for s in summary.index},
        "icer": {s: float(icer.loc[s, "ICER"]) for s in icer.index},
    }


def w1() -> dict:
    """W1: build, run, incremental analysis."""
    model = hiv_model()
    base = model.run_base_case()
    return _base_results(base, "mono")


def _psa_summary(psa, comparator: str, wtp_max: float, n_wtp: int) -> dict:
    summary = psa.summary().set_index("Strategy")
    icer = psa.icer(comparator=comparator).set_index("Strategy")
    ceac = psa.ceac_data(wtp_range=(0, wtp_max), n_wtp=n_wtp)
    wide = ceac.pivot(index="WTP", columns="strategy", values="Prob CE")
    return {
        "mean_cost": {s: float(summary.loc[s, "Mean Cost"]) for s in summary.index},
        "mean_effect": {s: float(summary.loc[s, "Mean QALYs"]) for s in summary.index},
        "icer": {s: float(icer.loc[s, "ICER"]) for s in icer.index},
        "ceac_points": int(len(wide)),
        "ceac_mid": {s: float(wide[s].iloc[len(wide) // 2]) for s in wide.columns},
        "ceac_mid_wtp": float(wide.index[len(wide) // 2]),
    }


def w2(n: int) -> dict:
    """W2: PSA of W1 with the summary (means, ICER comb vs mono, CEAC 0..50,000 step 500)."""
    model = hiv_model()
    psa = model.run_psa(n_sim=n, seed=1, progress=False)
    return _psa_summary(psa, "mono", 50_000, 101)


# ---------------------------------------------------------------------------------------------
# W3: synthetic 20-state model
# ---------------------------------------------------------------------------------------------

W3_STATES = [f"S{k}" for k in range(1, cm.W3_ALIVE + 1)] + ["Dead"]
_K = np.arange(cm.W3_ALIVE)  # k - 1 for alive state k
_UP = np.where(_K <= 17, 1.0, 0.0)  # k <= 18 moves up
_DOWN = np.where(_K >= 1, 1.0, 0.0)  # k >= 2 moves down
_MORT = np.array(cm.W3_MORTALITY)


def w3_model() -> ph.MarkovModel:
    month = ph.Cycle(1, "month")
    rate = ph.rescale_discount_rate(0.03, ph.Cycle(1, "year"), month)  # 1.03^(1/12) - 1
    model = ph.MarkovModel(
        states=W3_STATES,
        strategies=["soc", "tx1", "tx2"],
        n_cycles=cm.W3_CYCLES,
        cycle=month,
        dr_cost=rate,
        dr_qaly=rate,
        method="end",
        initial_state="S1",
        state_type={"Dead": "dead"},
    )
    model.add_param("p_prog", base=0.015, dist=ph.Beta(alpha=15, beta=985))
    model.add_param("p_reg", base=0.005, dist=ph.Beta(alpha=5, beta=995))
    model.add_param("hr_dis", base=1.05, dist=ph.LogNormal(meanlog=math.log(1.05), sdlog=0.01))
    model.add_param("rr_tx1", base=0.8, dist=ph.LogNormal(meanlog=math.log(0.8), sdlog=0.1))
    model.add_param("rr_tx2", base=0.6, dist=ph.LogNormal(meanlog=math.log(0.6), sdlog=0.1))
    model.add_param("c_scale", base=1.0, dist=ph.Gamma(shape=100, rate=100))
    model.add_param("u1", base=0.9, dist=ph.Beta(alpha=90, beta=10))

    n = cm.W3_ALIVE

    def matrix(p, k, rr):
        die = _MORT[cm.w3_age_index(k)] * p["hr_dis"] ** _K
        up = p["p_prog"] * rr * _UP
        down = p["p_reg"] * _DOWN
        P = np.zeros((n + 1, n + 1))
        P[_K, n] = die
        P[_K[:-1], _K[:-1] + 1] = up[:-1]
        P[_K[1:], _K[1:] - 1] = down[1:]
        P[_K, _K] = 1.0 - die - up - down
        P[n, n] = 1.0
        return P

    for s, rr_name in cm.W3_RR_PARAM.items():
        if rr_name is None:
            model.set_transitions(s, lambda p, k: matrix(p, k, 1.0))
        else:
            model.set_transitions(s, lambda p, k, name=rr_name: matrix(p, k, p[name]))

    shift = 1.0 / (1.0 + rate)  # first cycle discounted too (module doc)
    alive = W3_STATES[:n]
    disease = (100.0 + 40.0 * _K) * shift
    model.set_state_cost("disease", lambda p: dict(zip(alive, p["c_scale"] * disease)))
    model.set_state_cost(
        "treatment",
        {s: {a: c * shift for a in alive} if c else {} for s, c in cm.W3_TX_COST.items()},
    )
    model.set_state_qaly(
        "health", lambda p: dict(zip(alive, ph.qaly(p["u1"] - 0.025 * _K, month) * shift))
    )
    return model


def w3() -> dict:
    model = w3_model()
    base = model.run_base_case()
    return _base_results(base, "soc")


def w3_psa(n: int) -> dict:
    """W3 PSA with the summary (means, ICERs vs soc, CEAC 0..100,000 step 1,000)."""
    model = w3_model()
    psa = model.run_psa(n_sim=n, seed=1, progress=False)
    return _psa_summary(psa, "soc", 100_000, 101)


WORKLOADS = {
    "W1": {"kind": "det", "run": w1, "check": "W1", "label": "W1, one run"},
    "W2": {"kind": "psa", "run": w2, "check": "W1", "label": "W2",
           "notes": ["Dirichlet rows as independent Gamma(count, 1) parameters normalised in the transition function (pyheor's run_psa cannot assign a Dirichlet vector to parameters)"]},
    "W3": {"kind": "det", "run": w3, "check": "W3", "label": "W3, deterministic"},
    "W3PSA": {"kind": "psa", "run": w3_psa, "check": "W3", "label": "W3"},
}

if __name__ == "__main__":
    cm.main("pyheor", ph.__version__, WORKLOADS, NOTES)
