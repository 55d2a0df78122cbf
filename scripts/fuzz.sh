#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer harnesses (clang, ASan + UBSan) in build/fuzz and run each for
# FUZZ_SECONDS (default 60), two at a time, from the seeds in tests/fuzz/<harness>/ (plus the
# repository's job files and a fresh journal when build/release/imprint exists). Prints the
# executions per harness; fails if any harness crashed, leaving the input in
# build/fuzz/artifacts/<harness>/ (copy it to tests/fuzz/<harness>/crash-<what> once fixed:
# the fuzz_replay_<harness> ctest then replays it forever).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${FUZZ_SECONDS:-60}"
B=build/fuzz
CC=clang nice -n 10 cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPRINT_FUZZ=ON >/dev/null
nice -n 10 cmake --build "$B" -j"${JOBS:-2}" >/dev/null
harnesses="job idx journal store"
for h in $harnesses; do
  rm -rf "$B/corpus/$h" "$B/artifacts/$h"
  mkdir -p "$B/corpus/$h" "$B/artifacts/$h"
  cp tests/fuzz/"$h"/* "$B/corpus/$h/"
done
cp jobs/*.yaml "$B/corpus/job/"
if [ -x build/release/imprint ] && /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; then
  # a journal in today's format (the committed seed may predate a format change)
  w=$(mktemp -d)
  /usr/bin/python3 tests/inputs/mkstores.py "$w" >/dev/null
  printf 'store: h5py.h5\ncube: c.h5\nmodels: [m]\ntasks:\n  - {name: t, dataset: ds, classes: all}\nstrategies: [l2/mean/l2/l2/max, none/mean/none/none/max]\nks: [1]\nseeds: [1, 2, 3]\n' > "$w/j.yaml"
  HDF5_USE_FILE_LOCKING=FALSE build/release/imprint sweep "$w/j.yaml" --quiet >/dev/null 2>&1 &&
    cp "$w/c.h5.journal" "$B/corpus/journal/fresh-six-records"
  rm -rf "$w"
fi
run() {
  local h=$1
  # -rss_limit_mb: a parser that allocates what a header claims is a finding, not a pass
  HDF5_USE_FILE_LOCKING=FALSE nice -n 10 "$B/fuzz_$h" -max_total_time="$SECS" -timeout=10 \
    -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$B/artifacts/$h/" "$B/corpus/$h" >"$B/fuzz_$h.log" 2>&1
}
status=0
set -- $harnesses
while [ $# -gt 0 ]; do
  pids=()
  for h in "$1" "${2:-}"; do
    [ -n "$h" ] || continue
    run "$h" & pids+=("$!:$h")
  done
  for p in "${pids[@]}"; do
    if ! wait "${p%%:*}"; then
      echo "fuzz: ${p#*:} FAILED: see $B/fuzz_${p#*:}.log and $B/artifacts/${p#*:}/"; status=1
    fi
  done
  shift; [ $# -gt 0 ] && shift
done
for h in $harnesses; do
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$B/fuzz_$h.log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(find "$B/artifacts/$h" -type f | wc -l)
  echo "fuzz: $h: $execs executions in ${SECS} s, $crashes crash input(s)"
done
exit $status
