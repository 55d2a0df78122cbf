#!/usr/bin/env bash
# demo.sh — the whole demo on a fresh Debian 12 machine: install, build, ingest Fashion-MNIST,
# sweep the demo grid with MPI, analyze (ranks, Friedman, Wilcoxon-Holm, CD diagram).
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
$IMPRINT plan jobs/demo.yaml
echo
# mpirun as root (CI, containers) needs explicit consent; one machine: shared memory only.
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl=self,vader
NP="${NP:-$(nproc)}"
set +e
mpirun -np "$NP" --oversubscribe $IMPRINT sweep jobs/demo.yaml --threads 1 --progress-seconds 5
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then echo "demo: sweep exited $rc"; exit "$rc"; fi
echo
$IMPRINT analyze results/demo.h5 --svg results/demo-cd.svg --md results/demo-ranks.md
if command -v rsvg-convert >/dev/null; then
  rsvg-convert -o results/demo-cd.png results/demo-cd.svg
  echo "demo: CD diagram in results/demo-cd.svg and results/demo-cd.png, table in results/demo-ranks.md"
fi
