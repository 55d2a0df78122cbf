#!/usr/bin/env bash
# demo.sh — the whole demo on a fresh Debian 12 machine: install, build, ingest Fashion-MNIST,
# evaluate the paper's named strategies (and, once the sweep lands, sweep and analyze).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"${JOBS:-2}"
IMPRINT=build/release/imprint
mkdir -p data results
if [ ! -f data/store.h5 ]; then
  $IMPRINT ingest fashion-mnist --store data/store.h5 --model pixels --model randfeat:512:1
fi
$IMPRINT store data/store.h5
echo
echo "== the paper's named strategies on Fashion-MNIST pixels (all 10 classes)"
while read -r name strategy k; do
  printf '%-7s %-36s ' "$name" "$strategy"
  $IMPRINT eval --store data/store.h5 --model pixels --dataset fmnist --strategy "$strategy" --k "$k" \
    | awk '/^accuracy/ {acc=$2} /^gen_seconds/ {g=$2} /^inf_seconds/ {i=$2} END {printf "accuracy %6s %%  GEN %ss  inference %ss\n", acc, g, i}'
done <<'LIST'
Qi      l2/mean/l2/l2/max                   1
Hosoda  none/mean/quantile/none/max         1
Janson  none/mean/none/none/nn:euclidean    1
Ours    l2/kmeans/l2/l2/max                 20
Oracle  none/ls/none/none/max               1
LIST
