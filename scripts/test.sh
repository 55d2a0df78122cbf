#!/usr/bin/env bash
# test.sh — install dependencies, build (release and AddressSanitizer+UBSan), run every test.
# IMPRINT_SLURM_TESTS=1 also runs the Slurm tests (test_slurm starts a single-node Slurm,
# test_cluster a 3-node one in network namespaces; root needed; release build only, a few
# minutes each). CI sets it. Then the second toolchain (clang, MPICH, BLIS with the reference
# LAPACK) builds in build/mpich and runs the whole suite but the Slurm tests and test_stop
# (IMPRINT_SKIP_TOOLCHAIN2=1 leaves it out); a tool-only build (IMPRINT_TESTS=OFF) installs
# into a prefix. Then the libFuzzer harnesses run FUZZ_SECONDS (default 60) each, two at a
# time (scripts/fuzz.sh; IMPRINT_SKIP_FUZZ=1 leaves them out). docs/install.md quotes the
# cmake lines below: change both together.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${IMPRINT_SKIP_DEPS:-0}" != 1 ]; then scripts/install-deps.sh; fi
JOBS="${JOBS:-2}"
SLURM="${IMPRINT_SLURM_TESTS:-0}"
# With MPICH installed beside Open MPI, Debian's alternatives decide what plain mpicc and
# mpiexec are; the default toolchain names Open MPI's own where they exist.
OPENMPI=()
if command -v mpicc.openmpi >/dev/null; then OPENMPI=(-DMPI_EXECUTABLE_SUFFIX=.openmpi); fi
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DIMPRINT_WERROR=ON "${OPENMPI[@]}" >/dev/null
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
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DIMPRINT_SANITIZE=ON -DIMPRINT_WERROR=ON \
    "${OPENMPI[@]}" >/dev/null
  cmake --build build/asan -j"$JOBS"
  # the Slurm tests run in the release build only (a sanitised sweep under slurmd is slow)
  run_ctest --test-dir build/asan -E '^test_(slurm|cluster)$'
fi
if [ "${IMPRINT_SKIP_TOOLCHAIN2:-0}" != 1 ]; then
  # The second toolchain: clang, MPICH (mpicc.mpich, mpiexec.mpich, libhdf5-mpich-dev), BLIS
  # for BLAS and the reference LAPACK (Debian's liblapack3, named so that OpenBLAS's LAPACK,
  # the default of the alternatives, does not stand in). Release build only: no ASan, and
  # the Slurm test stays with the first toolchain (its cluster runs Open MPI's PMIx).
  t2=$(date +%s)
  REFLAPACK="/usr/lib/$(gcc -print-multiarch)/lapack/liblapack.so.3"
  CC=clang cmake -S . -B build/mpich -DCMAKE_BUILD_TYPE=Release -DIMPRINT_WERROR=ON \
    -DMPI_EXECUTABLE_SUFFIX=.mpich -DBLA_VENDOR=FLAME -DLAPACK_LIBRARIES="$REFLAPACK" >/dev/null
  cmake --build build/mpich -j"$JOBS"
  # test_stop pins what Open MPI's mpirun does with each signal (MPICH's Hydra differs)
  run_ctest --test-dir build/mpich -E '^test_(slurm|cluster|stop)$'
  echo "test.sh: second toolchain (clang, MPICH, BLIS) built and tested in $(( $(date +%s) - t2 )) s"
  # The tool alone: no CUnit, no test program; a no-root install into a prefix that runs.
  cmake -S . -B build/tool -DCMAKE_BUILD_TYPE=Release -DIMPRINT_TESTS=OFF "${OPENMPI[@]}" >/dev/null
  cmake --build build/tool -j"$JOBS"
  if ls build/tool/test_* >/dev/null 2>&1 || grep -q '^CUNIT_FOUND' build/tool/CMakeCache.txt; then
    echo "test.sh: IMPRINT_TESTS=OFF still built tests or looked for CUnit"; exit 1
  fi
  prefix=$(mktemp -d)
  cmake --install build/tool --prefix "$prefix" >/dev/null
  "$prefix/bin/imprint" --version | grep -q '^imprint ' || { echo "test.sh: installed tool does not run"; exit 1; }
  rm -rf "$prefix"
fi
if [ "${IMPRINT_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh
fi
