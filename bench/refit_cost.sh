#!/usr/bin/env bash
# refit_cost.sh — refit the sweep's cost model to measured cells in one command: sweep the demo
# grid and the stand-in slice with one thread (the slice for at most SLICE_SECONDS, then
# stopped: its finished cells are kept), fit with `imprint plan --fit-cost`, write
# src/engine/cost_calib.h and rebuild. Run it again after a change of the kernels' speed.
# usage: bench/refit_cost.sh [build dir]      (env: SLICE_SECONDS=600, NO_SWEEP=1 reuses cubes)
# needs data/store.h5 (scripts/demo.sh) and data/standin.h5 (see bench/jobs/standin-aggfocus.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
IMPRINT="$PWD/$B/imprint"
W="$PWD/results/calibration"
mkdir -p "$W"
for s in data/store.h5 data/standin.h5; do
  [ -f "$s" ] || { echo "refit_cost: $s is missing (see the header of this script)"; exit 2; }
done
sed -e "s#^store:.*#store: $PWD/data/store.h5#" -e "s#^cube:.*#cube: $W/demo.h5#" \
  jobs/demo.yaml > "$W/demo.yaml"
sed -e "s#^store:.*#store: $PWD/data/standin.h5#" -e "s#^cube:.*#cube: $W/slice.h5#" \
  bench/jobs/standin-slice.yaml > "$W/slice.yaml"
if [ "${NO_SWEEP:-0}" != 1 ]; then
  "$IMPRINT" sweep "$W/demo.yaml" --fresh --quiet --threads 1
  "$IMPRINT" sweep "$W/slice.yaml" --fresh --quiet --threads 1 &
  pid=$!
  ( sleep "${SLICE_SECONDS:-600}"; kill -TERM "$pid" 2>/dev/null || true ) &
  killer=$!
  wait "$pid" || true   # 75 when stopped: the finished cells are in the cube
  kill "$killer" 2>/dev/null || true
fi
"$IMPRINT" plan "$W/demo.yaml" "$W/slice.yaml" --fit-cost > "$W/cost_calib.h"
mv "$W/cost_calib.h" src/engine/cost_calib.h
echo "refit_cost: wrote src/engine/cost_calib.h:"
cat src/engine/cost_calib.h
cmake --build "$B" -j2 >/dev/null
echo "refit_cost: rebuilt $B; the sweep's last line now compares measured and predicted rank time"
