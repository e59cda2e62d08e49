#!/usr/bin/env python3
"""Cross-check of `hta fit` against lifelines (an independent implementation), run outside CI.

Usage: pip install lifelines; python3 scripts/fit_crosscheck.py DATA.csv [hta-fits.json]

Fits each family that lifelines has (exponential, Weibull, log-normal, log-logistic,
generalised gamma) to all patients in DATA.csv (columns time, event), prints the estimates in
flexsurv's parameterisation (the model's) with the log-likelihood and AIC, and, given the
fits.json that `hta fit` wrote, the largest relative difference of each.

lifelines' parameterisations: Exponential lambda_ = 1/rate; Weibull lambda_ = scale, rho_ = shape;
LogNormal mu_, sigma_ = meanlog, sdlog; LogLogistic alpha_ = scale, beta_ = shape; GeneralizedGamma
mu_, exp(ln_sigma_), lambda_ = flexsurv's mu, sigma, Q.
"""
import csv
import json
import math
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from lifelines import (ExponentialFitter, GeneralizedGammaFitter, LogLogisticFitter,  # noqa: E402
                       LogNormalFitter, WeibullFitter)


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    t = np.array([float(r["time"]) for r in rows])
    e = np.array([int(r["event"]) for r in rows])
    out = {}
    f = ExponentialFitter().fit(t, e)
    out["exponential"] = ([1 / f.lambda_], f.log_likelihood_)
    f = WeibullFitter().fit(t, e)
    out["weibull"] = ([f.rho_, f.lambda_], f.log_likelihood_)
    f = LogNormalFitter().fit(t, e)
    out["lnorm"] = ([f.mu_, f.sigma_], f.log_likelihood_)
    f = LogLogisticFitter().fit(t, e)
    out["llogis"] = ([f.beta_, f.alpha_], f.log_likelihood_)
    f = GeneralizedGammaFitter().fit(t, e)
    out["gengamma"] = ([f.mu_, math.exp(f.ln_sigma_), f.lambda_], f.log_likelihood_)
    hta = {}
    if len(sys.argv) > 2:
        for fit in json.load(open(sys.argv[2]))["fits"]:
            if fit.get("arm") in (None, "all"):
                hta[fit["family"]] = fit
    worst = 0.0
    for family, (params, ll) in out.items():
        k = len(params)
        line = f"{family:12s} params {' '.join(f'{p:.10g}' for p in params)}  loglik {ll:.10g}  AIC {2 * k - 2 * ll:.10g}"
        if family in hta:
            ours = hta[family]["estimates"][:k] + [hta[family]["loglik"]]
            theirs = params + [ll]
            rel = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, theirs))
            worst = max(worst, rel)
            line += f"  max rel diff vs hta {rel:.2e}"
        print(line)
    if hta:
        print(f"worst relative difference: {worst:.2e}")


if __name__ == "__main__":
    main()
