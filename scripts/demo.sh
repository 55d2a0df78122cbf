#!/usr/bin/env bash
# demo.sh — the whole demo on a fresh Debian 12 machine: install, build, ingest Fashion-MNIST,
# sweep the demo grid with MPI, analyze (ranks, Friedman, Wilcoxon-Holm, CD diagram) and write
# the report page (results/demo-report/index.html: tables, tests, figures as SVG, PDF and PNG).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
# Open MPI's own mpicc and mpirun even where MPICH is installed beside it (install-deps.sh)
OPENMPI=() MPIRUN=mpirun
if command -v mpicc.openmpi >/dev/null; then OPENMPI=(-DMPI_EXECUTABLE_SUFFIX=.openmpi) MPIRUN=mpirun.openmpi; fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release "${OPENMPI[@]}" >/dev/null
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
$MPIRUN -np "$NP" --oversubscribe $IMPRINT sweep jobs/demo.yaml --threads 1 --progress-seconds 5
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then echo "demo: sweep exited $rc"; exit "$rc"; fi
echo
$IMPRINT analyze results/demo.h5 --svg results/demo-cd.svg --md results/demo-ranks.md
echo
$IMPRINT nc1 --store data/store.h5 --all --csv results/demo-nc1.csv
$IMPRINT report results/demo.h5 --out results/demo-report --nc1 results/demo-nc1.csv
echo "demo: report in results/demo-report/index.html (figures as .svg .pdf .png, tables as .md .csv .tex)"
