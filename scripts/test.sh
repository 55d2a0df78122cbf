#!/usr/bin/env bash
# test.sh — install dependencies, build (release and AddressSanitizer+UBSan), run every test.
# IMPRINT_SLURM_TESTS=1 also runs the Slurm tests (test_slurm starts a
# single-node Slurm, test_cluster a 3-node one in network namespaces; root needed; release
# build only, a few minutes each). CI sets it. Then the libFuzzer harnesses run FUZZ_SECONDS
# (default 60) each, two at a time (scripts/fuzz.sh; IMPRINT_SKIP_FUZZ=1 leaves them out).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
JOBS="${JOBS:-2}"
SLURM="${IMPRINT_SLURM_TESTS:-0}"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$JOBS"
# A suite that cannot run exits 77 and ctest reports it "Skipped"; with IMPRINT_NO_SKIPS=1
# (CI) a skipped suite fails the run, so a missing package cannot pass as green.
run_ctest() {
  local log; log=$(mktemp)
  local rc=0
  ctest "$@" --output-on-failure -j"$JOBS" 2>&1 | tee "$log" || rc=1
  if [ "${IMPRINT_NO_SKIPS:-0}" = 1 ] && grep -q '(Skipped)\|\*\*\*Skipped' "$log"; then
    echo "test.sh: suites were skipped (listed above); IMPRINT_NO_SKIPS=1 forbids that"
    rc=1
  fi
  rm -f "$log"
  return $rc
}
IMPRINT_SLURM_TESTS="$SLURM" run_ctest --test-dir build/release
if [ "${IMPRINT_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DIMPRINT_SANITIZE=ON >/dev/null
  cmake --build build/asan -j"$JOBS"
  # the Slurm tests run in the release build only (a sanitised sweep under slurmd is slow)
  run_ctest --test-dir build/asan -E '^test_(slurm|cluster)$'
fi
if [ "${IMPRINT_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh
fi
