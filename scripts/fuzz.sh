#!/usr/bin/env bash
# Runs one cargo-fuzz target for a given time, seeding it with the example and malformed models.
#   scripts/fuzz.sh TARGET SECONDS      (TARGET: load_model or formula)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Runs one process at
# low priority, with overflow checks and without a sanitizer (the crates forbid unsafe code). New inputs go to fuzz/corpus/TARGET; crashes to fuzz/artifacts/TARGET.
# fuzz/TARGET.dict, if there, gives the fuzzer the words of the format.
# Afterwards, `cargo +nightly fuzz cmin TARGET` keeps the corpus small.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
corpus=fuzz/corpus/$target
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$corpus"
case $target in
  load_model)
    cp models/*.yaml models/budgets/*.yaml tests/invalid/*.yaml "$seeds"/ 2>/dev/null || true
    ;;
  formula)
    # Every quoted formula in the models, one per file.
    grep -hoE '"[^"]*[-+*/^(][^"]*"' models/*.yaml tests/invalid/*.yaml | sed 's/^"//; s/"$//' | sort -u |
      awk -v dir="$seeds" '{ f = dir "/seed" NR; printf "%s", $0 > f; close(f) }'
    ;;
  *)
    echo "unknown target $target (load_model or formula)" >&2
    exit 2
    ;;
esac
cd fuzz
dict=()
if [ -f "$target.dict" ]; then dict=("-dict=$target.dict"); fi
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} nice -n 10 cargo +nightly fuzz run --sanitizer none --debug-assertions \
  "$target" "corpus/$target" "$seeds" -- \
  -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 "${dict[@]}"
