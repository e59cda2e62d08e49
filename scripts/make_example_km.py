#!/usr/bin/env python3
"""Writes the ILLUSTRATIVE digitised Kaplan-Meier curves and numbers at risk in models/data/
(not from any trial): progression-free survival in months for two arms of 150 patients, made
from known curves so that `hta fit --at-risk` can be checked against the truth.

cart:  mixture cure, 35% cured, uncured Weibull(shape 1.1, scale 4 months)
chemo: log-logistic(shape 1.6, scale 5 months)
Entry is staggered so that follow-up runs from 18 to 48 months; 1 in 15 patients is lost at
random before then. The Kaplan-Meier estimate of the patient data is "digitised" at every step
(both corners) and the numbers at risk are read every 6 months.
"""
import math
import random

random.seed(20121)


def patients(arm, n):
    rows = []
    for i in range(n):
        u = random.random()
        if arm == "cart":
            if random.random() < 0.35:
                t = math.inf
            else:
                t = 4.0 * (-math.log(u)) ** (1 / 1.1)
        else:
            t = 5.0 * ((1 - u) / u) ** (1 / 1.6)
        follow = 18 + 30 * random.random()
        if random.random() < 1 / 15:
            follow = min(follow, 48 * random.random())
        end = min(t, follow)
        rows.append((max(end, 0.05), 1 if t <= follow else 0))
    return rows


def km(rows):
    rows = sorted(rows)
    n = len(rows)
    s, out, i = 1.0, [], 0
    while i < n:
        t = rows[i][0]
        at_risk = n - i
        d = 0
        while i < n and rows[i][0] == t:
            d += rows[i][1]
            i += 1
        if d:
            s *= 1 - d / at_risk
            out.append((t, s))
    return out, rows


with open("models/data/example_pfs_digitised.csv", "w") as points, open("models/data/example_pfs_at_risk.csv", "w") as risk:
    points.write("arm,time,survival\n")
    risk.write("arm,time,at_risk\n")
    for arm in ["chemo", "cart"]:
        steps, rows = km(patients(arm, 150))
        points.write(f"{arm},0,1\n")
        prev = 1.0
        for t, s in steps:
            points.write(f"{arm},{t:.4f},{prev:.5f}\n{arm},{t:.4f},{s:.5f}\n")
            prev = s
        points.write(f"{arm},{max(r[0] for r in rows):.4f},{prev:.5f}\n")
        for k in range(0, 9):
            r = 6.0 * k
            if r > max(x[0] for x in rows):
                break
            risk.write(f"{arm},{r:g},{sum(1 for x in rows if x[0] >= r)}\n")
