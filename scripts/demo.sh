#!/usr/bin/env bash
# demo.sh — the whole demo on a fresh Debian 12 machine: install, build, ingest Fashion-MNIST,
# sweep the demo grid with MPI, analyze (ranks, Friedman, Wilcoxon-Holm, CD diagram) and write
# the report page (results/demo-report/index.html: tables, tests, figures as SVG, PDF and PNG);
# then train the learned backbone cnn04 (jobs/train_backbone.py, reused while its weights match
# their hash), sweep jobs/demo-cnn.yaml over it, and write its NC1 per task and report page
# (results/demo-cnn-report/, whose claims.md checks the paper's claims on its cube).
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
# Debian's python3 (torch, sklearn, h5py come from Debian packages, not a virtualenv's python3)
PYTHON="${PYTHON:-/usr/bin/python3}"
$PYTHON jobs/train_backbone.py --store data/store.h5
$IMPRINT store data/store.h5
echo
# mpirun as root (CI, containers) needs explicit consent; one machine: shared memory only.
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl=self,vader
NP="${NP:-$(nproc)}"
sweep() { # JOB: plan, then sweep with MPI; exit 4 (finished with failed cells) goes on
  $IMPRINT plan "$1"
  echo
  set +e
  $MPIRUN -np "$NP" --oversubscribe $IMPRINT sweep "$1" --threads 1 --progress-seconds 5
  local rc=$?
  set -e
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then echo "demo: sweep of $1 exited $rc"; exit "$rc"; fi
  echo
}
sweep jobs/demo.yaml
$IMPRINT analyze results/demo.h5 --svg results/demo-cd.svg --md results/demo-ranks.md
echo
$IMPRINT nc1 --store data/store.h5 --all --csv results/demo-nc1.csv
$IMPRINT report results/demo.h5 --out results/demo-report --nc1 results/demo-nc1.csv
echo
sweep jobs/demo-cnn.yaml
$IMPRINT nc1 --job jobs/demo-cnn.yaml --csv results/demo-cnn-nc1.csv
$IMPRINT report results/demo-cnn.h5 --out results/demo-cnn-report --nc1 results/demo-cnn-nc1.csv
echo
cat results/demo-cnn-report/claims.md
echo "demo: reports in results/demo-report/index.html and results/demo-cnn-report/index.html" \
  "(figures as .svg .pdf .png, tables as .md .csv .tex); claims in results/demo-cnn-report/claims.md"
