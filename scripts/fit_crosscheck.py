#!/usr/bin/env python3
"""Cross-check of `hta fit` against lifelines (an independent implementation), run outside CI.

Usage: python3 scripts/fit_crosscheck.py DATA.csv [hta-fits.json]
(without lifelines importable, it makes a venv in $FIT_CROSSCHECK_VENV, default
/tmp/hta-fit-crosscheck, installs lifelines from PyPI there and runs itself in it.)

Fits each model that lifelines has to all patients in DATA.csv (columns time, event; for a
file with arms, `hta fit` fits the arms separately and this script the whole file, so compare
the `--name` of a one-arm file, or pass a file with one arm): exponential, Weibull, log-normal,
log-logistic, generalised gamma; mixture cure models over exponential, Weibull, log-normal and
log-logistic (MixtureCureFitter); Royston-Parmar splines on the log cumulative hazard
(SplineFitter, whose basis is Royston & Parmar's, at the knots `hta fit` chose). It prints the
estimates in flexsurv's parameterisation (the model's) with the log-likelihood and AIC and,
given the fits.json that `hta fit` wrote, the largest relative difference of each.

lifelines' parameterisations: Exponential lambda_ = 1/rate; Weibull lambda_ = scale, rho_ = shape;
LogNormal mu_, sigma_ = meanlog, sdlog; LogLogistic alpha_ = scale, beta_ = shape; GeneralizedGamma
mu_, exp(ln_sigma_), lambda_ = flexsurv's mu, sigma, Q; MixtureCureFitter cured_fraction_ = pi;
SplineFitter phi_i = gamma_i with knot_locations = exp(knots).
"""
import csv
import json
import math
import os
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
try:
    import numpy as np
    from lifelines import (ExponentialFitter, GeneralizedGammaFitter, LogLogisticFitter,
                           LogNormalFitter, MixtureCureFitter, SplineFitter, WeibullFitter)
except ImportError:
    venv = os.environ.get("FIT_CROSSCHECK_VENV", "/tmp/hta-fit-crosscheck")
    python = os.path.join(venv, "bin", "python")
    if os.environ.get("FIT_CROSSCHECK_IN_VENV"):
        sys.exit("lifelines is not importable even in the venv " + venv)
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", "lifelines"])
    os.environ["FIT_CROSSCHECK_IN_VENV"] = "1"
    os.execv(python, [python] + sys.argv)


def family_params(name, f, prefix=""):
    g = lambda p: getattr(f, prefix + p)  # noqa: E731
    if name == "exponential":
        return [1 / g("lambda_")]
    if name == "weibull":
        return [g("rho_"), g("lambda_")]
    if name == "lnorm":
        return [g("mu_"), g("sigma_")]
    if name == "llogis":
        return [g("beta_"), g("alpha_")]
    if name == "gengamma":
        return [g("mu_"), math.exp(g("ln_sigma_")), g("lambda_")]
    raise ValueError(name)


FITTERS = {"exponential": ExponentialFitter, "weibull": WeibullFitter, "lnorm": LogNormalFitter,
           "llogis": LogLogisticFitter, "gengamma": GeneralizedGammaFitter}


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    t = np.array([float(r["time"]) for r in rows])
    e = np.array([int(r["event"]) for r in rows])
    hta = {}
    if len(sys.argv) > 2:
        for fit in json.load(open(sys.argv[2]))["fits"]:
            if fit.get("arm") != "pooled":
                hta.setdefault(fit["family"], fit)
    out = {}
    for name, fitter in FITTERS.items():
        f = fitter().fit(t, e)
        out[name] = (family_params(name, f), f.log_likelihood_)
    for name in ["exponential", "weibull", "lnorm", "llogis"]:
        f = MixtureCureFitter(base_fitter=FITTERS[name]()).fit(t, e)
        # lifelines prefixes the base fitter's parameters with its class name.
        base = type(f._base_fitter).__name__ + "_"
        params = family_params(name, f, base) if hasattr(f, base + "lambda_") or hasattr(f, base + "mu_") else None
        if params is None:
            params = family_params(name, f._base_fitter)
        out["cure_" + name] = (params + [f.cured_fraction_], f.log_likelihood_)
    for name, fit in hta.items():
        if name.startswith("spline_") and fit.get("knots"):
            f = SplineFitter(np.exp(fit["knots"])).fit(t, e)
            out[name] = (list(f.params_.values), f.log_likelihood_)
    worst = 0.0
    for family, (params, ll) in out.items():
        k = len(params)
        line = f"{family:18s} params {' '.join(f'{p:.8g}' for p in params)}  loglik {ll:.10g}  AIC {2 * k - 2 * ll:.8g}"
        if family in hta:
            ours = hta[family]["estimates"][:k] + [hta[family]["loglik"]]
            theirs = params + [ll]
            rel = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, theirs))
            worst = max(worst, rel)
            line += f"  max rel diff vs hta {rel:.2e} ({hta[family]['status']})"
        print(line)
    if hta:
        print(f"worst relative difference: {worst:.2e}")


if __name__ == "__main__":
    main()
