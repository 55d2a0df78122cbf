#!/usr/bin/env bash
# submit.sh — submit a sweep (requeued until complete) and its analysis (runs once the sweep has
# ended, failed cells included) in one go; prints both job ids.
#
#   slurm/submit.sh JOB.yaml [imprint sweep options]
#   slurm/submit.sh --array N JOB.yaml [imprint sweep options]
#
# With --array N the grid is computed as N shards by a Slurm job array (array.sbatch, one
# single-process `imprint sweep --shard I/N` per element, no multi-node MPI), and one dependent
# job (merge.sbatch) runs `imprint merge` and the analysis once every element has completed.
# Output then: `array JOBID` and `merge JOBID`; ARRAY_SBATCH_ARGS and MERGE_SBATCH_ARGS pass
# sbatch options to each (e.g. ARRAY_SBATCH_ARGS="-c 16 --time=12:00:00 -p cpu").
#
#   SWEEP_SBATCH_ARGS="-N 4 --time=12:00:00 -p cpu" ANALYZE_SBATCH_ARGS="-p cpu" slurm/submit.sh jobs/demo.yaml
#
# Output: a line `sweep JOBID` and a line `analyze JOBID`. Logs go to imprint-sweep-JOBID.log
# and imprint-analyze-JOBID.log in the current directory (the directory you submit from).
# The job is checked with `imprint plan` first: a bad job file is reported and nothing is
# submitted. Which imprint: $IMPRINT, else `imprint` on PATH, else this checkout's build
# (build/imprint or build/release/imprint); jobs get its absolute path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
array=0
if [ "${1:-}" = --array ]; then
  array="${2:-}"
  case "$array" in
    '' | *[!0-9]* | 0*)
      echo "submit.sh: --array '$array': expected a number of shards N >= 1" >&2
      exit 2
      ;;
  esac
  shift 2
fi
if [ $# -lt 1 ]; then
  echo "usage: $0 [--array N] JOB.yaml [imprint sweep options]" >&2
  exit 2
fi
job="$1"
shift

if [ -z "${IMPRINT:-}" ]; then
  IMPRINT="$(command -v imprint || true)"
  for cand in "$here/../build/imprint" "$here/../build/release/imprint"; do
    [ -n "$IMPRINT" ] && break
    [ -x "$cand" ] && IMPRINT="$cand"
  done
fi
if [ -z "${IMPRINT:-}" ] || ! command -v "$IMPRINT" >/dev/null; then
  echo "submit.sh: no imprint binary: put it on PATH, set IMPRINT, or build this checkout" >&2
  exit 2
fi
IMPRINT="$(cd "$(dirname "$(command -v "$IMPRINT")")" && pwd)/$(basename "$IMPRINT")"
export IMPRINT

# a bad job file fails here, not hours later in the queue
if ! plan="$("$IMPRINT" plan "$job" 2>&1)"; then
  echo "$plan" >&2
  echo "submit.sh: job '$job' is not valid; nothing submitted" >&2
  exit 2
fi
echo "$plan" | grep -E '^(valid cells|pending|results)' >&2 || true
if [ "$array" -gt 0 ]; then
  export IMPRINT_SLURM_DIR="$here"
  # shellcheck disable=SC2086  # the *_SBATCH_ARGS are word lists on purpose
  array_id="$(sbatch --parsable --array="0-$((array - 1))" ${ARRAY_SBATCH_ARGS:-} \
    "$here/array.sbatch" "$job" "$@")"
  array_id="${array_id%%;*}"
  # afterany, as for the analysis: a shard that ended with failed cells (exit 4) is still merged
  # shellcheck disable=SC2086
  merge_id="$(sbatch --parsable --dependency="afterany:$array_id" --kill-on-invalid-dep=yes \
    ${MERGE_SBATCH_ARGS:-} "$here/merge.sbatch" "$job")" || {
    echo "submit.sh: array $array_id submitted, but the merge could not be" >&2
    echo "array $array_id"
    exit 1
  }
  echo "array $array_id"
  echo "merge ${merge_id%%;*}"
  exit 0
fi

# shellcheck disable=SC2086  # the *_SBATCH_ARGS are word lists on purpose
sweep_id="$(sbatch --parsable ${SWEEP_SBATCH_ARGS:-} "$here/sweep.sbatch" "$job" "$@")"
sweep_id="${sweep_id%%;*}"
# afterany: the analysis also runs after a sweep with failed cells (exit 4) and reports them
# shellcheck disable=SC2086
analyze_id="$(sbatch --parsable --dependency="afterany:$sweep_id" --kill-on-invalid-dep=yes \
  ${ANALYZE_SBATCH_ARGS:-} "$here/analyze.sbatch" "$job")" || {
  echo "submit.sh: sweep $sweep_id submitted, but the analysis could not be" >&2
  echo "sweep $sweep_id"
  exit 1
}
analyze_id="${analyze_id%%;*}"
echo "sweep $sweep_id"
echo "analyze $analyze_id"
