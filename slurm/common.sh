#!/bin/bash
# common.sh — sourced by the batch scripts: the site prelude and the requeue on exit 75.
# A batch script finds it beside itself in the checkout (Slurm runs a copy of the script):
# $IMPRINT_SLURM_DIR (submit.sh sets it), else the path the job was submitted by. Callers
# define `log`.

# The site prelude: IMPRINT_SETUP=FILE is sourced (`module load ...`, a venv) before anything
# runs. SLURM_EXPORT_ENV=ALL then makes srun pass what it set on to the ranks, also in jobs
# submitted with --export=NONE (SBATCH_EXPORT=NONE sites), where srun would otherwise inherit
# NONE and start the ranks without it.
site_setup() {
  [ -n "${IMPRINT_SETUP:-}" ] || return 0
  # shellcheck source=/dev/null
  if ! . "$IMPRINT_SETUP"; then
    log "IMPRINT_SETUP=$IMPRINT_SETUP failed (sourced before the job runs)"
    exit 2
  fi
  export SLURM_EXPORT_ENV=ALL
  log "site prelude $IMPRINT_SETUP sourced"
}

# `requeue_self` (after the program exited 75: stopped early by a time-limit warning signal or
# scancel --signal, resumable) requeues the job (same id, log appended; SLURM_RESTART_COUNT
# counts the runs) and exits the script: 0 once requeued, 75 when it cannot requeue (outside
# Slurm, --no-requeue, or IMPRINT_MAX_REQUEUES, default 20, reached; resubmit to go on).
requeue_self() {
  local restarts="${SLURM_RESTART_COUNT:-0}" max_requeues="${IMPRINT_MAX_REQUEUES:-20}"
  if [ "$restarts" -ge "$max_requeues" ]; then
    log "stopped (exit 75) and already requeued $restarts times (IMPRINT_MAX_REQUEUES=$max_requeues): not requeueing; resubmit to go on"
    exit 75
  fi
  if [ -z "${SLURM_JOB_ID:-}" ]; then
    log "stopped (exit 75) outside Slurm: run the same command again to resume"
    exit 75
  fi
  # Slurm makes a requeued job wait until its launch credential expires (~2 minutes by default);
  # `scontrol update StartTime=now` lifts that, but only once the job is PENDING again, i.e. after
  # this script has ended. So a small detached helper (setsid, at most ~60 s, polling every 0.5 s)
  # does it, 5 s after the job is pending again: a relaunch in the very second of the kill fails
  # with "Job credential revoked" (the job ends FAILED), and the old srun step can take ~3 s to
  # release its PMIx socket (a launch failure sweep.sbatch's retry loop absorbs). Where Slurm
  # tracks processes with cgroups the helper ends with the job and the rerun simply starts after
  # the delay.
  # shellcheck disable=SC2317  # run through `bash -c kick_start` below
  kick_start() {
    local job updated=0
    for _ in $(seq 120); do
      job="$(scontrol show job -o "$SLURM_JOB_ID" 2>/dev/null)"
      case "$job" in
        *JobState=PENDING*Reason=BeginTime*)
          # not at once: slurmd refuses ("credential revoked") a launch within the same second as
          # the kill, and the old step may still be shutting down for a few seconds
          [ "$updated" = 1 ] || sleep 5
          if scontrol update JobId="$SLURM_JOB_ID" StartTime=now 2>/dev/null && [ "$updated" = 0 ]; then
            log "requeued job $SLURM_JOB_ID is eligible again (StartTime=now)"
          fi
          updated=1 ;;
        *JobState=PENDING* | *JobState=RUNNING*) [ "$updated" = 0 ] || return 0 ;;
        *JobState=COMPLETING* | *JobState=REQUEUE* | *JobState=CONFIGURING*) ;;
        *) return 0 ;;
      esac
      sleep 0.5
    done
}

  # `scontrol requeue` sends SIGTERM to this job, this shell included: ignore it for what follows
  # (Slurm sends SIGKILL after KillWait anyway).
  trap '' TERM
  log "stopped early (exit 75): requeueing job $SLURM_JOB_ID"
  # let the sweep step finish shutting down first (at most 30 s), so the rerun's step starts clean
  for _ in $(seq 60); do
    squeue -h -s -j "$SLURM_JOB_ID" -o %i 2>/dev/null | grep -q '^[0-9]*\.[0-9]' || break
    sleep 0.5
  done
  if ! scontrol requeue "$SLURM_JOB_ID"; then
    log "scontrol requeue failed (submitted with --no-requeue?): resubmit to go on"
    exit 75
  fi
  export -f kick_start log
  export SLURM_JOB_ID
  setsid -f bash -c kick_start </dev/null || true
  exit 0
}
