#!/usr/bin/env bash
# Time a 10,000-draw PSA of models/hiv.yaml from Python (`hta.load(...).psa(draws=...)`, the
# whole call: draws, summary, CEAC and the DataFrames) against the CLI's in-process time for the
# same draws (the time `hta psa` prints for its draws), median of 5 each, and print the ratio
# (issue 14's bar: under 1.2x). A benchmark, not a test: the numbers depend on the machine.
#
# Usage: scripts/bench-python.sh    (knobs: DRAWS=10000 REPS=5 SEED=1 THREADS=0 MODEL=models/hiv.yaml
#                                    VENV=target/ci-venv, where `maturin develop` installed hta)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DRAWS="${DRAWS:-10000}"
REPS="${REPS:-5}"
SEED="${SEED:-1}"
THREADS="${THREADS:-0}"
MODEL="${MODEL:-models/hiv.yaml}"
VENV="${VENV:-target/ci-venv}"
HTA="target/release/hta"

cargo build --release --quiet --bin hta
if ! "$VENV/bin/python" -c "import hta" 2>/dev/null; then
    echo "error: the hta package is not installed in $VENV; build it as .ci/run does (maturin develop --release --manifest-path python/Cargo.toml)" >&2
    exit 2
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

cli_times=()
for _ in $(seq "$REPS"); do
    # "Probabilistic analysis: N draws (...), S s" -> S (timed inside the binary around the draws).
    line=$("$HTA" --quiet psa "$MODEL" --draws "$DRAWS" --seed "$SEED" --threads "$THREADS" | grep '^Probabilistic analysis:')
    cli_times+=("$(echo "$line" | sed -E 's/.*, ([0-9.]+) s$/\1/')")
done
cli=$(printf '%s\n' "${cli_times[@]}" | median)

py_times=$("$VENV/bin/python" - "$MODEL" "$DRAWS" "$SEED" "$THREADS" "$REPS" <<'PY'
import sys, time
import hta
model, draws, seed, threads, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
m = hta.load(model)
for _ in range(reps):
    start = time.perf_counter()
    m.psa(draws=draws, seed=seed, threads=threads)
    print(f"{time.perf_counter() - start:.6f}")
PY
)
py=$(echo "$py_times" | median)

printf 'CLI (in-process, draws only): median %.3f s of %s runs (%s)\n' "$cli" "$REPS" "$(printf '%s ' "${cli_times[@]}")"
printf 'Python (m.psa, whole call):   median %.3f s of %s runs (%s)\n' "$py" "$REPS" "$(echo $py_times)"
awk -v p="$py" -v c="$cli" 'BEGIN { if (c > 0) printf "ratio Python / CLI: %.2fx (bar: < 1.2x)\n", p / c; else print "ratio: the CLI time rounds to 0 s; raise DRAWS" }'
