#!/usr/bin/env bash
# sweep_pieces.sh — the sweep at the paper's scale (a benchmark, never run by ctest):
#  1. the demo grid, 2 ranks: pieces, cells/s, first-result latency, measured vs predicted;
#  2. the stand-in slice (bench/jobs/standin-slice.yaml, 2087 cells in one (model, task, shot,
#     seed)), 2 ranks x 1 thread: pieces, first-result latency, ranks busy, cells kept after
#     SIGUSR1 at STOP_AT seconds (default 60), then a resume stopped the same way: nothing
#     recomputed (the journal holds one record per cell);
#  3. `plan --ranks 16/64/256` for the paper's aggfocus and aggfixed grids over the stand-in store.
# usage: bench/sweep_pieces.sh [build dir]   (needs data/store.h5 and data/standin.h5)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
IMPRINT="$PWD/$B/imprint"
STOP_AT="${STOP_AT:-60}"
W="$PWD/results/bench-pieces"
mkdir -p "$W"
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo
for s in data/store.h5 data/standin.h5; do
  [ -f "$s" ] || { echo "sweep_pieces: $s is missing"; exit 2; }
done
sed -e "s#^store:.*#store: $PWD/data/store.h5#" -e "s#^cube:.*#cube: $W/demo.h5#" \
  jobs/demo.yaml > "$W/demo.yaml"
sed -e "s#^store:.*#store: $PWD/data/standin.h5#" -e "s#^cube:.*#cube: $W/slice.h5#" \
  bench/jobs/standin-slice.yaml > "$W/slice.yaml"

summary() { # log file: the figures of one run
  local f="$1"
  grep -o 'in [0-9]* pieces of <= [0-9.e+-]* s' "$f" | head -1 | sed 's/^/  /'
  grep -o '[0-9]*/[0-9]* ranks busy' "$f" | sort | uniq -c | sed 's/^/  progress lines with /'
  grep -E '^sweep: (finished|stopped)' "$f" | sed 's/^/  /'
  grep -o '[0-9.]* cells/s' "$f" | tail -1 | sed 's/^/  overall /'
  grep -E 'pieces finished' "$f" | sed 's/^/  /'
}

echo "== 1. demo grid, mpirun -np 2 --threads 1"
mpirun -np 2 --oversubscribe "$IMPRINT" sweep "$W/demo.yaml" --fresh --threads 1 \
  --progress-seconds 5 2> "$W/demo.log" || true
summary "$W/demo.log"

run_until() { # seconds log [sweep args]: run the slice on 2 ranks, SIGUSR1 after seconds
  local secs="$1" log="$2"; shift 2
  mpirun -np 2 --oversubscribe "$IMPRINT" sweep "$W/slice.yaml" --threads 1 \
    --progress-seconds 10 "$@" 2> "$log" &
  local pid=$!
  ( sleep "$secs"; kill -USR1 "$pid" 2>/dev/null || true ) &
  local killer=$!
  wait "$pid" || true
  kill "$killer" 2>/dev/null || true
}
echo "== 2. stand-in slice, mpirun -np 2 --threads 1, SIGUSR1 at ${STOP_AT} s"
run_until "$STOP_AT" "$W/slice1.log" --fresh
summary "$W/slice1.log"
kept=$("$IMPRINT" plan "$W/slice.yaml" --json | sed 's/.*"done": *\([0-9]*\).*/\1/')
echo "  cells kept after the signal: $kept"
echo "   resume, stopped again at ${STOP_AT} s:"
run_until "$STOP_AT" "$W/slice2.log"
summary "$W/slice2.log"
grep -o '[0-9]* done, [0-9]* failed before this run' "$W/slice2.log" | sed 's/^/  resume started with /'

echo "== 3. plan --ranks over the stand-in store (the paper's grids)"
for j in aggfocus aggfixed; do
  for n in 16 64 256; do
    printf '  %-9s ' "$j"
    "$IMPRINT" plan "bench/jobs/standin-$j.yaml" --ranks "$n" | grep '^simulated:'
  done
  "$IMPRINT" plan "bench/jobs/standin-$j.yaml" --ranks 256 | grep -E '^(valid cells|pieces)' | sed 's/^/    /'
done
