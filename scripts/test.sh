#!/usr/bin/env bash
# test.sh — install dependencies, build (release and AddressSanitizer+UBSan), run every test.
# IMPRINT_SLURM_TESTS=1 also runs the Slurm test (starts a single-node Slurm; root needed;
# release build only, ~100 s). CI sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
JOBS="${JOBS:-2}"
SLURM="${IMPRINT_SLURM_TESTS:-0}"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$JOBS"
IMPRINT_SLURM_TESTS="$SLURM" ctest --test-dir build/release --output-on-failure -j"$JOBS"
if [ "${IMPRINT_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DIMPRINT_SANITIZE=ON >/dev/null
  cmake --build build/asan -j"$JOBS"
  IMPRINT_SLURM_TESTS=0 ctest --test-dir build/asan --output-on-failure -j"$JOBS"
fi
