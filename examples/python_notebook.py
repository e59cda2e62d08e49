"""A notebook-style tour of the Python package (run cell by cell, or as a script from the
repository root after `maturin develop --release -m python/Cargo.toml`; needs matplotlib).

Reproduces the HIV model of Chancellor et al. (1997) as in Briggs, Claxton & Sculpher (2006),
Exercise 2.5, and draws the cost-effectiveness acceptability curve of its probabilistic version.
"""

# %% Load and run the base case
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import hta

m = hta.load("models/hiv.yaml")
base = m.run()
print(base.strategies[["strategy", "cost", "ly"]])
print(base.summary[["strategy", "status", "compared_with", "icer"]])
# monotherapy GBP 44,663.45 and 7.9912 life-years; combination GBP 50,601.65 and 8.9374;
# ICER GBP 6,275.96 per life-year gained
s = base.strategies.set_index("strategy")
assert round(s.loc["mono", "cost"], 2) == 44663.45 and round(s.loc["comb", "cost"], 2) == 50601.65
assert round(base.summary.set_index("strategy").loc["comb", "icer"], 2) == 6275.96

# %% An override, validated like the file
free = hta.load("models/hiv.yaml", set={"c_lamivudine": 0}).run()
print(free.summary[["strategy", "cost", "icer"]])

# %% Probabilistic analysis (W2: 10,000 draws) and its CEAC
psa = hta.load("benches/models/w2_hiv.yaml").psa(draws=10_000, seed=1, threads=0)
print(psa.summary)
fig, ax = plt.subplots(figsize=(6, 4))
for name, g in psa.ceac.groupby("strategy", observed=True):
    ax.plot(g["wtp"], g["probability_cost_effective"], label=name)
ax.set_xlabel(f"Willingness to pay per life-year ({m.currency})")
ax.set_ylabel("Probability cost-effective")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("CEAC: HIV model, 10,000 draws")
fig.tight_layout()
fig.savefig("ceac_hiv.png", dpi=120)
print("wrote ceac_hiv.png")
