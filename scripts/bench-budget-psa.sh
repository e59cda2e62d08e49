#!/usr/bin/env bash
# Time the probabilistic budget impact of the CAR-T budget file (issue 16 bar: 10,000 draws of
# the CAR-T partitioned survival model with twelve schemes (the file now has fourteen) under 5 s
# on 2 cores), check that
# 1 and 2 threads write identical draws, and recompute the summary percentiles independently
# from budget_draws.csv (Python statistics.quantiles, method 'inclusive' = type 7) to 1e-9.
#
# Usage: scripts/bench-budget-psa.sh        (knobs: DRAWS=10000 REPS=5 SEED=1 THREADS="2 1")
# Builds the release binary if needed; writes under target/bench-budget-psa/ (ignored by git).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DRAWS="${DRAWS:-10000}"
REPS="${REPS:-5}"
SEED="${SEED:-1}"
THREADS="${THREADS:-2 1}"
BUDGET="models/budgets/cart_china.yaml"
OUT="target/bench-budget-psa"
HTA="target/release/hta"

cargo build --release --quiet --bin hta
mkdir -p "$OUT"

for t in $THREADS; do
    times=()
    SCHEMES=""
    for _ in $(seq "$REPS"); do
        start=$(date +%s.%N)
        "$HTA" --force budget "$BUDGET" --draws "$DRAWS" --seed "$SEED" --threads "$t" --out "$OUT/threads-$t" >/dev/null
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    SCHEMES=$(tail -n +2 "$OUT/threads-$t/budget_risk.csv" | wc -l)
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    printf 'threads %s: %s draws x %s schemes, median %.2f s of %s runs (%s)\n' \
        "$t" "$DRAWS" "$SCHEMES" "$median" "$REPS" "$(printf '%.2f ' "${times[@]}")"
done

first=""
for t in $THREADS; do
    if [ -z "$first" ]; then
        first=$t
    elif cmp -s "$OUT/threads-$first/budget_draws.csv" "$OUT/threads-$t/budget_draws.csv"; then
        echo "threads $first and $t: budget_draws.csv identical"
    else
        echo "threads $first and $t: budget_draws.csv DIFFERS" >&2
        exit 1
    fi
done

python3 - "$OUT/threads-$first" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
d = sys.argv[1]
series = defaultdict(list)
with open(f"{d}/budget_draws.csv") as f:
    rows = csv.DictReader(f)
    years = [c for c in rows.fieldnames if c.startswith("net_impact_year_")]
    for r in rows:
        series[r["scheme"]].append([float(r[y]) for y in years])
checked = 0
with open(f"{d}/budget_uncertainty.csv") as f:
    for r in csv.DictReader(f):
        draws = series[r["scheme"]]
        y = int(r["year"])
        net = [s[y - 1] for s in draws]
        cumulative = [sum(s[:y]) for s in draws]
        for name, values in (("net", net), ("cumulative", cumulative)):
            q = statistics.quantiles(values, n=1000, method="inclusive")
            want = {"mean": statistics.fmean(values), "p2_5": q[24], "p50": q[499], "p97_5": q[974]}
            for key, w in want.items():
                got = float(r[f"{name}_{key}"])
                if abs(got - w) > 1e-9 * max(abs(w), 1.0):
                    sys.exit(f"{r['scheme']} year {y} {name}_{key}: {got} vs recomputed {w}")
                checked += 1
print(f"{checked} means and percentiles of {len(series)} schemes recomputed from budget_draws.csv: all within 1e-9")
EOF
