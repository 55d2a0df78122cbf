#!/usr/bin/env bash
# sweep_scale.sh — the sweep's scaling figures (a benchmark, not a test):
#  1. the demo grid with 1 rank x 1 thread, 1 rank x 2 threads and 2 ranks x 1 thread;
#  2. rank 0's dispatch rate: 16 ranks oversubscribed on tiny cells (2 classes, 8-d);
# usage: bench/sweep_scale.sh [build dir]   (needs data/store.h5 from scripts/demo.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
IMPRINT="$PWD/$B/imprint"
cmake --build "$B" --target bench_tiny_store >/dev/null
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
STORE="$PWD/data/store.h5"
[ -f "$STORE" ] || { echo "run scripts/demo.sh first (needs data/store.h5)"; exit 2; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo

t() { local s=$(date +%s.%N); "$@" >"$W/out" 2>&1 || true; echo "$(date +%s.%N) - $s" | bc; }

sed -e "s#^store:.*#store: $STORE#" -e "s#^cube:.*#cube: $W/demo.h5#" jobs/demo.yaml > "$W/demo.yaml"
cells=$("$IMPRINT" plan "$W/demo.yaml" --json | sed 's/.*"valid_cells": *\([0-9]*\).*/\1/')
echo "== 1. demo grid ($cells cells), wall seconds incl. start-up; best of 3, runs interleaved"
a=""; b=""; c=""
minf() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
for i in 1 2 3; do
  a=$(minf "$a" "$(t "$IMPRINT" sweep "$W/demo.yaml" --fresh --quiet --threads 1)")
  c=$(minf "$c" "$(t mpirun -np 2 "$IMPRINT" sweep "$W/demo.yaml" --fresh --quiet --threads 1)")
  b=$(minf "$b" "$(t "$IMPRINT" sweep "$W/demo.yaml" --fresh --quiet --threads 2)")
done
printf '  1 rank  x 1 thread : %6.2f s  %6.2f cells/s\n' "$a" "$(echo "$cells / $a" | bc -l)"
printf '  1 rank  x 2 threads: %6.2f s  %6.2f cells/s\n' "$b" "$(echo "$cells / $b" | bc -l)"
printf '  2 ranks x 1 thread : %6.2f s  %6.2f cells/s  (ratio to 1x1: %.2f)\n' "$c" \
  "$(echo "$cells / $c" | bc -l)" "$(echo "$a / $c" | bc -l)"

echo "== 2. dispatch rate through rank 0 (16 ranks oversubscribed, tiny cells)"
"$B/bench_tiny_store" "$W/tiny.h5" 10
cat > "$W/tiny.yaml" <<YAML
store: $W/tiny.h5
cube: $W/tiny-cube.h5
models: [tiny]
tasks: [{name: two, dataset: two, classes: all}]
strategy_grid:
  pre: [none, l2]
  gen: [mean, random, fps, covmax]
  post: [none, l2]
  inf: [none, l2]
  agg: [max, "nn:euclidean", "nn:cosine", "mnn:3:euclidean:uniform"]
ks: [1, 2, 3, 4, 5, 6, 7, 8]
shots: [all, 2, 4, 6]
seeds: [$(seq -s, 1 40)]
YAML
tc=$("$IMPRINT" plan "$W/tiny.yaml" --json | sed 's/.*"valid_cells": *\([0-9]*\).*/\1/')
d=$(t mpirun -np 16 --oversubscribe "$IMPRINT" sweep "$W/tiny.yaml" --fresh --threads 1 --progress-seconds 1000)
rate=$(grep -o '[0-9.]* cells/s' "$W/out" | tail -1)
printf '  %s cells in %.2f s wall (incl. MPI start-up); rank 0 reported %s\n' "$tc" "$d" "$rate"
d1=$(t "$IMPRINT" sweep "$W/tiny.yaml" --fresh --threads 1 --progress-seconds 1000)
rate1=$(grep -o '[0-9.]* cells/s' "$W/out" | tail -1)
printf '  same grid, 1 process: %.2f s wall; %s\n' "$d1" "$rate1"
# units of 3 cells each: every (shot, seed) is its own unit, so rank 0 dispatches 4000 units
cat > "$W/tiny2.yaml" <<YAML
store: $W/tiny.h5
cube: $W/tiny2-cube.h5
models: [tiny]
tasks: [{name: two, dataset: two, classes: all}]
strategies: [none/random/none/none/max]
ks: [1, 2, 3]
shots: [2, 4, 6, 8]
seeds: [$(seq -s, 1 1000)]
YAML
tc2=$("$IMPRINT" plan "$W/tiny2.yaml" --json | sed 's/.*"valid_cells": *\([0-9]*\).*/\1/')
u2=$("$IMPRINT" plan "$W/tiny2.yaml" --json | sed 's/.*"units_todo": *\([0-9]*\).*/\1/')
d2=$(t mpirun -np 16 --oversubscribe "$IMPRINT" sweep "$W/tiny2.yaml" --fresh --threads 1 --progress-seconds 1000)
rate2=$(grep -o '[0-9.]* cells/s' "$W/out" | tail -1)
printf '  %s cells in %s units of 3 cells: %.2f s wall; rank 0 reported %s\n' "$tc2" "$u2" "$d2" "$rate2"
