#!/usr/bin/env bash
# slurm-local.sh — a throwaway single-node Slurm cluster (munge + slurmctld + slurmd on
# loopback, no systemd, no cgroups, everything under one directory) for testing slurm/.
#
#   scripts/slurm-local.sh start [DIR]   install slurm-wlm + munge if missing, start, wait until
#                                        the node is idle, print `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop [DIR]    cancel its jobs, stop the daemons it started, keep DIR
#   scripts/slurm-local.sh status [DIR]  sinfo + squeue of that cluster
#
# DIR defaults to $IMPRINT_SLURM_DIR or /tmp/imprint-slurm. Ports: $IMPRINT_SLURM_PORT (slurmctld,
# default 16817) and the next one (slurmd), so a system Slurm on 6817/6818 is left alone; munged
# gets its own socket in DIR. Clients (sbatch, squeue, scontrol, srun inside jobs) find the cluster
# through SLURM_CONF, which sbatch passes on to the jobs. Needs root (SlurmUser=root, as in CI), as
# measured in slurm-mpi-facts.md: munged runs as root here with its own key and socket.
set -euo pipefail

cmd="${1:-}"
DIR="${2:-${IMPRINT_SLURM_DIR:-/tmp/imprint-slurm}}"
PORT="${IMPRINT_SLURM_PORT:-16817}"
CONF="$DIR/slurm.conf"
MSOCK="$DIR/msock/munge.sock"

die() { echo "slurm-local: $*" >&2; exit 1; }

install_if_missing() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
     command -v munged >/dev/null && command -v mungekey >/dev/null; then
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "slurm-wlm and munge are not installed and we are not root: apt-get install slurm-wlm munge"
  echo "slurm-local: installing slurm-wlm munge with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

# pid from a pid file if that process is still alive
live_pid() {
  local f="$1" p
  [ -f "$f" ] || return 1
  p="$(cat "$f" 2>/dev/null)" || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (SlurmUser=root, munged with a private key)"
  install_if_missing
  if live_pid "$DIR/slurmctld.pid" >/dev/null || live_pid "$DIR/slurmd.pid" >/dev/null; then
    die "a cluster already runs in $DIR (scripts/slurm-local.sh stop $DIR first)"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"/{state,spool,munge,msock}
  # munged refuses sockets in directories others cannot traverse, and keys others can read
  chmod 755 "$DIR" "$DIR/msock"
  chmod 700 "$DIR/munge"
  mungekey --create --keyfile="$DIR/munge/munge.key" --force >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$DIR/munge/munge.key"
  munged --socket="$MSOCK" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" ||
    die "munged did not start; see $DIR/munge/munged.log"
  for _ in $(seq 50); do [ -S "$MSOCK" ] && break; sleep 0.1; done
  munge -S "$MSOCK" -n | unmunge -S "$MSOCK" >/dev/null || die "munge does not round-trip"

  local host node
  host="$(hostname -s)"
  # the node line as slurmd measures it (CPUs, sockets, cores, memory), minus the uptime
  node="$(slurmd -C | head -1 | sed -e 's/ *UpTime=.*//')"
  [ -n "$node" ] || die "slurmd -C printed nothing"
  cat >"$CONF" <<EOF
# slurm.conf written by scripts/slurm-local.sh: a single-node test cluster on loopback
ClusterName=imprint-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MSOCK
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
EnforcePartLimits=ALL
ReturnToService=2
KillWait=10
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$CONF"
  slurmctld -f "$CONF" || die "slurmctld did not start; see $DIR/slurmctld.log"
  slurmd -f "$CONF" || die "slurmd did not start; see $DIR/slurmd.log"
  local state=""
  for _ in $(seq 100); do
    state="$(sinfo -h -o %t 2>/dev/null | head -1 || true)"
    case "$state" in idle*) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle*) ;;
    *) die "node not idle after 20 s (state '$state'); see $DIR/slurmctld.log and $DIR/slurmd.log" ;;
  esac
  echo "export SLURM_CONF=$CONF"
}

stop_pid() {
  local name="$1" f="$2" p
  p="$(live_pid "$f")" || return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  echo "slurm-local: $name (pid $p) still alive after 5 s; SIGKILL" >&2
  kill -9 "$p" 2>/dev/null || true
}

stop() {
  [ -d "$DIR" ] || return 0
  export SLURM_CONF="$CONF"
  if live_pid "$DIR/slurmctld.pid" >/dev/null; then
    # cancel every job of this cluster (its own slurmctld, so these are ours) and let the
    # steps end before slurmd goes away
    scancel --full --quiet "--user=$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null || true)" ] && break
      sleep 0.2
    done
  fi
  stop_pid slurmd "$DIR/slurmd.pid"
  stop_pid slurmctld "$DIR/slurmctld.pid"
  stop_pid munged "$DIR/munge/munged.pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status)
    export SLURM_CONF="$CONF"
    sinfo && squeue ;;
  *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
