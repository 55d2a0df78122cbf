#!/usr/bin/env bash
# valgrind.sh TOOL SOURCE_DIR — imprint eval, analyze and a 1-rank sweep under valgrind
# --leak-check=full: no leak and no memory error of ours (tests/valgrind.supp lists Open MPI's
# one-time allocations). Each run must also give its known result (100 % on the blobs), so a
# run that did nothing cannot pass. Exit 77 (ctest: skipped) without valgrind or h5py.
set -uo pipefail
TOOL=$1 SRC=$2
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed (apt-get install valgrind)"; exit 77; }
/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
/usr/bin/python3 "$SRC/tests/inputs/mkstores.py" "$W" || exit 1
cat > "$W/j.yaml" <<'YAML'
store: h5py.h5
cube: out/c.h5
models: [m]
tasks:
  - {name: t, dataset: ds, classes: all}
  - {name: u, dataset: ds, classes: [0, 1]}
strategies: [l2/mean/l2/l2/max, none/mean/none/none/nn:euclidean, l2/kmeans/l2/l2/max]
ks: [1, 2]
seeds: [1, 2]
YAML
export OMPI_MCA_mca_base_component_disable_dlclose=1 # keep plugin frames for the suppressions
fail=0
vg() { # NAME NEEDLE ARGS...: valgrind's verdict and the result both checked
  local name=$1 needle=$2; shift 2
  valgrind --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 \
    --suppressions="$SRC/tests/valgrind.supp" --num-callers=40 "$TOOL" "$@" >"$W/$name.log" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$W/$name.log" || ! grep -qF -- "$needle" "$W/$name.log"; then
    echo "FAILED: $name (exit $rc, expected 0, output containing '$needle'):"; cat "$W/$name.log"; fail=1
  else
    echo "ok: $name: $(grep -o 'ERROR SUMMARY: .*' "$W/$name.log")"
  fi
}
cd "$W"
vg eval "accuracy    100.00 % (12 of 12 test rows)" eval --store h5py.h5 --model m --dataset ds --strategy l2/kmeans/l2/l2/max --k 2
vg sweep "finished: 16 of 16 cells done, 0 failed" sweep j.yaml --quiet --threads 2
vg analyze "Friedman: chi2 = 0.000000, df = 3, p = 1" analyze out/c.h5 --md out/r.md --svg out/cd.svg --csv out/r.csv
exit $fail
