#!/usr/bin/env bash
# test.sh — install dependencies, build (release and AddressSanitizer+UBSan), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
JOBS="${JOBS:-2}"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$JOBS"
ctest --test-dir build/release --output-on-failure -j"$JOBS"
if [ "${IMPRINT_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DIMPRINT_SANITIZE=ON >/dev/null
  cmake --build build/asan -j"$JOBS"
  ctest --test-dir build/asan --output-on-failure -j"$JOBS"
fi
