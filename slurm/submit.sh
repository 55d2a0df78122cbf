#!/usr/bin/env bash
# submit.sh — submit a sweep (requeued until complete) and its analysis (runs once the sweep has
# ended, failed cells included) in one go, sized from the plan and with the site's options;
# prints both job ids.
#
#   slurm/submit.sh [options] JOB.yaml [imprint sweep options]
#
# Options (before JOB.yaml):
#   --hours H            wall-time target (default 24): the sweep asks for the smallest number
#                        of nodes whose simulated makespan (`imprint plan --ranks`) fits in H
#                        with the margin below, and for that time limit
#   --max-nodes M        never ask for more than M nodes (default 64)
#   --ntasks-per-node R  ranks per node (default 1)
#   --cpus-per-task C    CPUs (BLAS threads) per rank (default 16)
#   --dims D             size before the store exists: plan's estimate for D-dimensional data
#   --account A, --partition P, --qos Q, --constraint C
#                        passed to every job submitted (also IMPRINT_SBATCH_ACCOUNT,
#                        IMPRINT_SBATCH_PARTITION, IMPRINT_SBATCH_QOS, IMPRINT_SBATCH_CONSTRAINT)
#   --array N            compute the grid as N shards by a Slurm job array (see below)
#   --array-parallel P   at most P elements of the array at once (--array=0-(N-1)%P)
#   --dry-run            print the sbatch command lines instead of running them
#
# Sizing: time limit = 1.5 x the simulated makespan + 10 minutes (the store load, the 180-240 s
# warning signal of sweep.sbatch and the drain), rounded up to whole minutes; a job fits in H if
# that limit is at most H hours. Nodes are tried 1, 2, 4, ... then bisected (the makespan does
# not grow with nodes). Without a cost estimate (no store and no --dims) the scripts' own
# #SBATCH defaults stand. An array element gets the limit of N ranks (one shard each).
# SWEEP_SBATCH_ARGS, ANALYZE_SBATCH_ARGS, ARRAY_SBATCH_ARGS, MERGE_SBATCH_ARGS come last on their
# sbatch line, so they override all of this (e.g. SWEEP_SBATCH_ARGS="--mem=64G").
#
# IMPRINT_SETUP=FILE: every batch script sources FILE before it runs imprint (`module load ...`,
# `source venv/bin/activate`). The jobs are submitted with --export=ALL (or $SBATCH_EXPORT, e.g.
# NONE on sites that want a clean environment) plus IMPRINT, IMPRINT_SETUP and
# IMPRINT_SLURM_DIR, so the prelude reaches them either way.
#
# With --array N the grid is computed as N shards by a Slurm job array (array.sbatch, one
# single-process `imprint sweep --shard I/N` per element, no multi-node MPI), and one dependent
# job (merge.sbatch) runs `imprint merge` and the analysis once every element has ended.
# Output then: `array JOBID` and `merge JOBID`.
#
# Output: a line `sweep JOBID` and a line `analyze JOBID`. Logs go to imprint-sweep-JOBID.log
# and imprint-analyze-JOBID.log in the current directory (the directory you submit from).
# The job is checked with `imprint plan` first: a bad job file is reported and nothing is
# submitted (exit 2). Which imprint: $IMPRINT, else `imprint` on PATH, else this checkout's
# build (build/imprint or build/release/imprint); jobs get its absolute path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die2() {
  echo "submit.sh: $*" >&2
  exit 2
}
need_number() { # NAME VALUE: a positive integer
  case "$2" in '' | *[!0-9]* | 0*) die2 "$1 '$2': expected a number >= 1" ;; esac
}

array=0
array_parallel=""
hours="${IMPRINT_HOURS:-24}"
max_nodes=64
per_node=1
cpus=16
dims=""
dry=0
account="${IMPRINT_SBATCH_ACCOUNT:-}"
partition="${IMPRINT_SBATCH_PARTITION:-}"
qos="${IMPRINT_SBATCH_QOS:-}"
constraint="${IMPRINT_SBATCH_CONSTRAINT:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --array) need_number --array "${2:-}"; array="$2"; shift 2 ;;
    --array-parallel) need_number --array-parallel "${2:-}"; array_parallel="$2"; shift 2 ;;
    --hours)
      # hours as a decimal number (0.5 = 30 minutes)
      [[ "${2:-}" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ ! "$2" =~ ^0+(\.0+)?$ ]] ||
        die2 "--hours '${2:-}': expected a positive number of hours"
      hours="$2"; shift 2 ;;
    --max-nodes) need_number --max-nodes "${2:-}"; max_nodes="$2"; shift 2 ;;
    --ntasks-per-node) need_number --ntasks-per-node "${2:-}"; per_node="$2"; shift 2 ;;
    --cpus-per-task) need_number --cpus-per-task "${2:-}"; cpus="$2"; shift 2 ;;
    --dims) need_number --dims "${2:-}"; dims="$2"; shift 2 ;;
    --account) account="${2:-}"; shift 2 ;;
    --partition) partition="${2:-}"; shift 2 ;;
    --qos) qos="${2:-}"; shift 2 ;;
    --constraint) constraint="${2:-}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --) shift; break ;;
    -*) die2 "unknown option '$1' (options go before JOB.yaml; sweep options after it)" ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ]; then
  echo "usage: $0 [--hours H] [--account A] [--partition P] [--qos Q] [--constraint C]" \
    "[--array N [--array-parallel P]] [--dry-run] JOB.yaml [imprint sweep options]" >&2
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
  die2 "no imprint binary: put it on PATH, set IMPRINT, or build this checkout"
fi
IMPRINT="$(cd "$(dirname "$(command -v "$IMPRINT")")" && pwd)/$(basename "$IMPRINT")"
export IMPRINT IMPRINT_SLURM_DIR="$here"

# a bad job file fails here, not hours later in the queue
dims_opt=()
[ -n "$dims" ] && dims_opt=(--dims "$dims")
if ! plan="$("$IMPRINT" plan "$job" "${dims_opt[@]}" 2>&1)"; then
  echo "$plan" >&2
  die2 "job '$job' is not valid; nothing submitted"
fi
echo "$plan" | grep -E '^(valid cells|pending|results)' >&2 || true

# makespan in seconds of `plan --ranks N` (C threads each); empty without a cost estimate
makespan() {
  "$IMPRINT" plan "$job" "${dims_opt[@]}" --ranks "$1" --threads "$cpus" --json 2>/dev/null |
    grep -o '"makespan_seconds":[0-9.eE+-]*' | cut -d: -f2
}
# the time limit in whole minutes for a makespan of $1 seconds: 1.5 x + 10 min, rounded up
limit_minutes() { awk -v s="$1" 'BEGIN { m = (1.5 * s + 600) / 60; printf "%d\n", (m == int(m)) ? m : int(m) + 1 }'; }
fits() { # NODES: the limit for that many nodes is at most the target
  local s
  s="$(makespan "$(($1 * per_node))")"
  [ -n "$s" ] && awk -v m="$(limit_minutes "$s")" -v h="$hours" 'BEGIN { exit !(m <= h * 60) }'
}
hhmm() { printf '%d:%02d:00' "$(($1 / 60))" "$(($1 % 60))"; }

site=()
[ -n "$account" ] && site+=("--account=$account")
[ -n "$partition" ] && site+=("--partition=$partition")
[ -n "$qos" ] && site+=("--qos=$qos")
[ -n "$constraint" ] && site+=("--constraint=$constraint")
# what the jobs need even where the site exports nothing (SBATCH_EXPORT=NONE)
site+=("--export=${SBATCH_EXPORT:-ALL},IMPRINT=$IMPRINT,IMPRINT_SLURM_DIR=$here${IMPRINT_SETUP:+,IMPRINT_SETUP=$IMPRINT_SETUP}")
if [ -n "${IMPRINT_SETUP:-}" ] && [ ! -r "$IMPRINT_SETUP" ]; then
  die2 "IMPRINT_SETUP='$IMPRINT_SETUP' is not a readable file"
fi

sized=()
if [ -z "$(makespan "$per_node")" ]; then
  echo "submit.sh: no cost estimate (store not found? --dims D estimates without it): the batch scripts' own #SBATCH sizes stand" >&2
elif [ "$array" -gt 0 ]; then
  s="$(makespan "$array")"
  m="$(limit_minutes "$s")"
  sized=("--cpus-per-task=$cpus" "--time=$(hhmm "$m")")
  echo "submit.sh: $array shards x $cpus CPUs: simulated makespan ${s%.*} s, --time=$(hhmm "$m") (1.5 x makespan + 10 min)" >&2
else
  lo=0 hi=1
  # double until it fits (or the cap), then bisect between the last miss and the first fit
  while ! fits "$hi"; do
    if [ "$hi" -ge "$max_nodes" ]; then
      s="$(makespan "$((max_nodes * per_node))")"
      die2 "$job does not fit in $hours h on $max_nodes nodes x $per_node rank(s) x $cpus CPUs (simulated makespan ${s%.*} s, limit $(limit_minutes "$s") min with the margin): raise --hours or --max-nodes"
    fi
    lo="$hi"
    hi=$((hi * 2 > max_nodes ? max_nodes : hi * 2))
  done
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if fits "$mid"; then hi="$mid"; else lo="$mid"; fi
  done
  s="$(makespan "$((hi * per_node))")"
  m="$(limit_minutes "$s")"
  sized=("--nodes=$hi" "--ntasks-per-node=$per_node" "--cpus-per-task=$cpus" "--time=$(hhmm "$m")")
  echo "submit.sh: $hi node(s) x $per_node rank(s) x $cpus CPUs: simulated makespan ${s%.*} s, --time=$(hhmm "$m") (1.5 x makespan + 10 min; target $hours h)" >&2
fi

# sbatch, or with --dry-run the command line it would run (on stderr) and the id DRYRUN
submit() {
  if [ "$dry" = 1 ]; then
    echo "sbatch $*" >&2
    echo DRYRUN
  else
    sbatch "$@"
  fi
}

if [ "$array" -gt 0 ]; then
  spec="0-$((array - 1))${array_parallel:+%$array_parallel}"
  # shellcheck disable=SC2086  # the *_SBATCH_ARGS are word lists on purpose
  array_id="$(submit --parsable --array="$spec" "${site[@]}" "${sized[@]}" ${ARRAY_SBATCH_ARGS:-} \
    "$here/array.sbatch" "$job" "$@")"
  array_id="${array_id%%;*}"
  # afterany, as for the analysis: a shard that ended with failed cells (exit 4) is still merged
  # shellcheck disable=SC2086
  merge_id="$(submit --parsable --dependency="afterany:$array_id" --kill-on-invalid-dep=yes \
    "${site[@]}" ${MERGE_SBATCH_ARGS:-} "$here/merge.sbatch" "$job")" || {
    echo "submit.sh: array $array_id submitted, but the merge could not be" >&2
    echo "array $array_id"
    exit 1
  }
  echo "array $array_id"
  echo "merge ${merge_id%%;*}"
  exit 0
fi

# shellcheck disable=SC2086  # the *_SBATCH_ARGS are word lists on purpose
sweep_id="$(submit --parsable "${site[@]}" "${sized[@]}" ${SWEEP_SBATCH_ARGS:-} \
  "$here/sweep.sbatch" "$job" "$@")"
sweep_id="${sweep_id%%;*}"
# afterany: the analysis also runs after a sweep with failed cells (exit 4) and reports them
# shellcheck disable=SC2086
analyze_id="$(submit --parsable --dependency="afterany:$sweep_id" --kill-on-invalid-dep=yes \
  "${site[@]}" ${ANALYZE_SBATCH_ARGS:-} "$here/analyze.sbatch" "$job")" || {
  echo "submit.sh: sweep $sweep_id submitted, but the analysis could not be" >&2
  echo "sweep $sweep_id"
  exit 1
}
analyze_id="${analyze_id%%;*}"
echo "sweep $sweep_id"
echo "analyze $analyze_id"
