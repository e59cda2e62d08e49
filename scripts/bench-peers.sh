#!/usr/bin/env bash
# Time hta, the hand-vectorised numpy reference and the Python peers (pyheor, heormodel) on the workloads of
# shared/bench/WORKLOADS.md (W1 HIV deterministic, W2 HIV PSA with 1,000 and 10,000 draws,
# W3 20-state synthetic deterministic and with 1,000 draws), check every implementation's
# deterministic results against the expected values first, and print a table of times and
# ratios (peer time / hta time). See docs/performance.md.
#
# Usage: scripts/bench-peers.sh            (from anywhere; works in the repository root)
#
# Environment knobs:
#   PEERS="pyheor heormodel"  peers to run
#   PEER_TIMEOUT=300          hard limit of one peer run, seconds (then "timed out")
#   PEER_BUDGET=240           timed work of one peer run, seconds; a PSA that would not fit runs
#                             fewer draws and is scaled linearly (the table says so)
#   PEER_REPS=3               repetitions of a peer workload (median); W1 repeats more (>= 2 s)
#   HTA_REPS_DET=30 HTA_REPS_PSA=5   repetitions of the hta commands
#   RUN_HTA=1                 time hta too (0: keep the hta records of an earlier run)
#   NUMPY_REF=1               time the hand-vectorised numpy reference, run where it lives in
#                             ../shared/bench/numpy_reference (0: keep earlier records)
#   PYTHON=python3            interpreter for the venv (heormodel needs 3.11 or later)
#
# Everything it makes stays under target/bench-peers/ (ignored by git): the venv, one JSON
# record per run in results/, and the table in results.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT="target/bench-peers"
VENV="$OUT/venv"
RESULTS="$OUT/results"
PEERS="${PEERS-pyheor heormodel}"
PEER_TIMEOUT="${PEER_TIMEOUT:-300}"
PEER_BUDGET="${PEER_BUDGET:-240}"
PEER_REPS="${PEER_REPS:-3}"
HTA_REPS_DET="${HTA_REPS_DET:-30}"
HTA_REPS_PSA="${HTA_REPS_PSA:-5}"
PYTHON="${PYTHON:-python3}"
HTA="target/release/hta"

say() { printf '\n== %s\n' "$*" >&2; }

# --- 1. hta release binary -------------------------------------------------------------------
if [[ ! -x "$HTA" ]]; then
  say "building hta (cargo build --release)"
  cargo build --release
fi

# --- 2. Python virtual environment with the peers --------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating $VENV"
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "heormodel needs Python 3.11 or later; set PYTHON=")'
  "$PYTHON" -m venv "$VENV"
fi
say "installing the peers (scripts/bench_peers/requirements.txt)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/bench_peers/requirements.txt
PY="$ROOT/$VENV/bin/python"

# One core each: no BLAS/OpenMP threads in the peers (heormodel's run_psa is called with
# sequential=True). This machine may set OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE to work around old
# OpenBLAS builds; they slow a current numpy, so they are unset for the peer runs only (the BLAS
# kernel used is recorded in each JSON record).
peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
  MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1 BLIS_NUM_THREADS=1
  PYTHONHASHSEED=0)

# Share of the CPU time other processes used over two seconds: timings are only as good as an
# idle machine.
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
check_idle() { # what is about to run
  local busy
  busy="$(cpu_busy)"
  BUSY_LOG+="${BUSY_LOG:+; }$1: ${busy}%"
  if (( busy > 10 )); then
    echo "WARNING: the CPUs were ${busy}% busy before $1: something else is running; timings may be disturbed" >&2
  fi
}
BUSY_LOG=""

mkdir -p "$RESULTS"
RUN_HTA="${RUN_HTA:-1}"
# Records of what runs now are replaced; others (e.g. from PEERS="" RUN_HTA=1) are kept.
for peer in $PEERS; do rm -f "$RESULTS/${peer}"_*.json; done
[[ "$RUN_HTA" == 1 ]] && rm -f "$RESULTS"/hta_*.json

# --- 3. peers --------------------------------------------------------------------------------
run_peer() { # peer workload draws|-
  local peer="$1" workload="$2" draws="$3" name out code
  local args=(--workload "$workload" --reps "$PEER_REPS" --budget "$PEER_BUDGET")
  name="${peer}_${workload}"
  if [[ "$draws" != "-" ]]; then
    name+="_${draws}"
    args+=(--draws "$draws")
    say "$peer $workload, $draws draws"
  else
    say "$peer $workload"
  fi
  out="$RESULTS/$name.json"
  set +e
  (cd scripts/bench_peers && "${peer_env[@]}" timeout --kill-after=10 "$PEER_TIMEOUT" \
    "$PY" "${peer}_workloads.py" "${args[@]}" --out "$ROOT/$out")
  code=$?
  set -e
  if [[ $code -eq 124 || $code -eq 137 ]]; then
    printf '{"impl": "%s", "workload": "%s", "status": "timed out", "timeout_s": %s}\n' \
      "$peer" "$workload" "$PEER_TIMEOUT" > "$out"
    echo "  timed out after ${PEER_TIMEOUT} s" >&2
  elif [[ ! -s "$out" ]]; then
    printf '{"impl": "%s", "workload": "%s", "status": "error", "reason": "exit %s, no record"}\n' \
      "$peer" "$workload" "$code" > "$out"
  else
    "$PY" - "$out" <<'EOF' >&2
import json, sys
r = json.load(open(sys.argv[1]))
t = r.get("time_s")
print("  " + r.get("status", "?") + (f": {t:.4g} s" if t else "") + (" (extrapolated)" if r.get("extrapolated") else "")
      + ("" if r.get("counts", r.get("status") != "ok") else "  WARNING: deterministic results disagree"))
EOF
  fi
}

for peer in $PEERS; do
  check_idle "$peer"
  run_peer "$peer" W1 -
  run_peer "$peer" W2 1000
  run_peer "$peer" W2 10000
  run_peer "$peer" W3 -
  run_peer "$peer" W3PSA 1000
done

# --- 3b. the numpy reference (run from where it lives; nothing is copied) -----------------------
NUMPY_REF="${NUMPY_REF:-1}"
REF_DIR="$ROOT/../shared/bench/numpy_reference"
if [[ "$NUMPY_REF" == 1 ]]; then
  rm -f "$RESULTS"/numpy_*.json
  if [[ -f "$REF_DIR/ref_numpy.py" ]]; then
    say "numpy reference ($REF_DIR)"
    check_idle "numpy reference"
    (cd scripts/bench_peers && "${peer_env[@]}" "$PY" numpy_reference.py --ref-dir "$REF_DIR" \
      --out-dir "$ROOT/$RESULTS" --reps "$PEER_REPS") || echo "WARNING: the numpy reference failed" >&2
  else
    echo "WARNING: no numpy reference in $REF_DIR: skipped" >&2
  fi
fi

# --- 4. hta ------------------------------------------------------------------------------------
if [[ "$RUN_HTA" == 1 ]]; then
  say "hta: whole commands, --threads 1 and all threads"
  check_idle hta
  (cd scripts/bench_peers && "$PY" hta_workloads.py --hta "$ROOT/$HTA" --out-dir "$ROOT/$RESULTS" \
    --reps-det "$HTA_REPS_DET" --reps-psa "$HTA_REPS_PSA" \
    --w1-model "$ROOT/models/hiv.yaml" --w2-model "$ROOT/benches/models/w2_hiv.yaml" \
    --w3-model "$ROOT/benches/models/w3_synthetic.yaml")
fi

# --- 5. table ----------------------------------------------------------------------------------
say "results"
(cd scripts/bench_peers && "$PY" report.py "$ROOT/$RESULTS") | tee "$OUT/results.md"
{
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(getconf _NPROCESSORS_ONLN) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
  echo "CPU busy with other work just before each part: $BUSY_LOG"
} | tee -a "$OUT/results.md"
echo "(table also in $OUT/results.md, records in $RESULTS/)" >&2
