#!/usr/bin/env bash
# slurm-local.sh — a throwaway Slurm cluster on this machine for testing slurm/: munge +
# slurmctld + one slurmd on loopback, or N slurmd "hosts" made as network namespaces (no
# systemd, no cgroups, everything under one directory).
#
#   scripts/slurm-local.sh start [--nodes N] [DIR]   install slurm-wlm + munge if missing, start,
#                                        wait until the nodes are idle, print
#                                        `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop [DIR]    cancel its jobs, stop the daemons it started, remove the
#                                        namespaces and links it made, keep DIR
#   scripts/slurm-local.sh status [DIR]  sinfo + squeue of that cluster
#   scripts/slurm-local.sh kill-node NAME [DIR]   a node fails: SIGKILL every process in its
#                                        namespace (its slurmd, job steps, ranks) and cut its link
#   scripts/slurm-local.sh exec NAME [DIR] -- CMD...   run CMD on a node (its network, host name)
#
# Without --nodes: one node on 127.0.0.1 named after this machine (as before). With --nodes N
# (multi-node mode): nodes node1..nodeN, each a network namespace with its own address
# 10.213.S.(10+K) on a veth pair onto a bridge impbrS private to this machine, its own host
# name (UTS namespace) and a hosts file naming every node (bind-mounted over /etc/hosts in the
# node's mount namespace only), and its own slurmd (NodeName=nodeK NodeAddr=10.213.S.(10+K)).
# slurmctld and munged run in the host's namespaces; the bridge carries 10.213.S.1 for them.
# The bridge has no other port and no route leads off it (nothing is forwarded or NATed), so
# traffic stays between these namespaces. The file system is shared, like a cluster's shared
# file system: a job sees the same paths on every node. S is $IMPRINT_SLURM_SUBNET (default 77),
# so two clusters can run side by side with different DIR, port and subnet.
#
# DIR defaults to $IMPRINT_SLURM_DIR or /tmp/imprint-slurm. Ports: $IMPRINT_SLURM_PORT (slurmctld,
# default 16817) and the next one (slurmd), so a system Slurm on 6817/6818 is left alone; munged
# gets its own socket in DIR. Clients (sbatch, squeue, scontrol, srun inside jobs) find the cluster
# through SLURM_CONF, which sbatch passes on to the jobs. Needs root (SlurmUser=root, as in CI), as
# measured in slurm-mpi-facts.md: munged runs as root here with its own key and socket.
set -euo pipefail

# arguments: COMMAND [--nodes N] [NODE] [DIR] [-- CMD...]
cmd="${1:-}"
[ $# -gt 0 ] && shift
NODES=0
NODE=""
DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes)
      NODES="${2:-}"
      case "$NODES" in '' | *[!0-9]* | 0*) echo "slurm-local: --nodes '$NODES': expected N >= 1" >&2; exit 2 ;; esac
      shift 2 ;;
    --) shift; break ;;
    *)
      if [ -z "$NODE" ] && { [ "$cmd" = kill-node ] || [ "$cmd" = exec ]; }; then NODE="$1"
      elif [ -z "$DIR" ]; then DIR="$1"
      else echo "slurm-local: unexpected argument '$1'" >&2; exit 2
      fi
      shift ;;
  esac
done
DIR="${DIR:-${IMPRINT_SLURM_DIR:-/tmp/imprint-slurm}}"
PORT="${IMPRINT_SLURM_PORT:-16817}"
SUBNET="${IMPRINT_SLURM_SUBNET:-77}"
# a running cluster's subnet is the one it was started with (kept in DIR by start)
if [ "$cmd" != start ] && [ -f "$DIR/subnet" ]; then SUBNET="$(cat "$DIR/subnet")"; fi
case "$SUBNET" in '' | *[!0-9]* ) echo "slurm-local: IMPRINT_SLURM_SUBNET='$SUBNET': expected 0-255" >&2; exit 2 ;; esac
[ "$SUBNET" -le 255 ] || { echo "slurm-local: IMPRINT_SLURM_SUBNET=$SUBNET: expected 0-255" >&2; exit 2; }
NET="10.213.$SUBNET"
BRIDGE="impbr$SUBNET"
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

start_munge() {
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
}

# slurm.conf lines common to both modes; $1 the controller's address, $2 more AuthInfo options
write_conf() {
  local ctl="$1" auth="$2"
  cat >"$CONF" <<EOF
# slurm.conf written by scripts/slurm-local.sh: a test cluster on this machine
ClusterName=imprint-local
SlurmctldHost=$(hostname -s)($ctl)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MSOCK$auth
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd-%n.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd-%n.log
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
EOF
}

# wait until sinfo counts $1 idle nodes
wait_idle() {
  local want="$1" n=0
  for _ in $(seq 150); do
    n="$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | grep -c . || true)"
    [ "$n" -ge "$want" ] && return 0
    sleep 0.2
  done
  sinfo -N >&2 || true
  die "$n of $want nodes idle after 30 s; see $DIR/slurmctld.log and $DIR/slurmd-*.log"
}

start_single() {
  start_munge
  # the node line as slurmd measures it (CPUs, sockets, cores, memory), minus the uptime
  local node
  node="$(slurmd -C | head -1 | sed -e 's/ *UpTime=.*//')"
  [ -n "$node" ] || die "slurmd -C printed nothing"
  write_conf 127.0.0.1 ""
  mkdir -p "$DIR/spool/$(hostname -s)"
  cat >>"$CONF" <<EOF
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$CONF"
  slurmctld -f "$CONF" || die "slurmctld did not start; see $DIR/slurmctld.log"
  slurmd -f "$CONF" || die "slurmd did not start; see $DIR/slurmd-*.log"
  wait_idle 1
}

ns_of() { echo "imp$SUBNET-$1"; }

# Run a command as on node NAME: in its network namespace, with its own host name and its
# hosts file (a private UTS and mount namespace per call; daemons started so keep them)
node_sh() {
  local name="$1"
  shift
  # nsenter, not `ip netns exec`, which remounts /sys and hides /sys/fs/cgroup (slurmd needs it)
  nsenter --net="/run/netns/$(ns_of "$name")" unshare --uts --mount --propagation private \
    bash -c 'hostname "$0" && mount --bind "$1" /etc/hosts && shift && exec "$@"' \
    "$name" "$DIR/hosts" "$@"
}

# Multi-node mode. Every namespace and link is listed in $DIR/net.list before it is made, so
# that stop (also after a failed start) removes exactly those.
start_multi() {
  command -v ip >/dev/null && command -v unshare >/dev/null ||
    die "needs ip (iproute2) and unshare (util-linux)"
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    die "bridge $BRIDGE exists already (another cluster on subnet $SUBNET? IMPRINT_SLURM_SUBNET picks another)"
  fi
  start_munge
  local hw k ns addr
  # every node gets this machine's hardware as slurmd measures it (they share it)
  hw="$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *UpTime=.*//')"
  [ -n "$hw" ] || die "slurmd -C printed nothing"
  : >"$DIR/net.list"
  echo "$SUBNET" >"$DIR/subnet"
  echo "bridge $BRIDGE" >>"$DIR/net.list"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  {
    echo "127.0.0.1 localhost"
    echo "$NET.1 $(hostname -s)"
    for k in $(seq "$NODES"); do echo "$NET.$((10 + k)) node$k"; done
  } >"$DIR/hosts"
  # cred_expire=10: a job requeued after a node failure starts again ~10 s later, not 120 s
  # (the step credential's lifetime also holds a requeued job back)
  write_conf "$NET.1" ",cred_expire=10"
  cat >>"$CONF" <<EOF
# a node that stops answering is DOWN after 10 s and its jobs are requeued (NODE_FAIL)
SlurmdTimeout=10
# per node: the PMIx plugin makes its client directories there, and /tmp is shared here
TmpFS=$DIR/tmp/%n
EOF
  for k in $(seq "$NODES"); do
    ns="$(ns_of "node$k")"
    addr="$NET.$((10 + k))"
    echo "netns $ns" >>"$DIR/net.list"
    echo "veth impv$SUBNET-$k" >>"$DIR/net.list"
    ip netns add "$ns"
    # the host end (impvS-K) on the bridge; the node end is the node's eth0
    ip link add "impv$SUBNET-$k" type veth peer name eth0 netns "$ns"
    ip link set "impv$SUBNET-$k" master "$BRIDGE" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    mkdir -p "$DIR/spool/node$k" "$DIR/tmp/node$k"
    echo "NodeName=node$k NodeAddr=$addr NodeHostname=node$k $hw State=UNKNOWN" >>"$CONF"
  done
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >>"$CONF"
  export SLURM_CONF="$CONF"
  slurmctld -f "$CONF" || die "slurmctld did not start; see $DIR/slurmctld.log"
  for k in $(seq "$NODES"); do
    node_sh "node$k" slurmd -N "node$k" -f "$CONF" ||
      die "slurmd of node$k did not start; see $DIR/slurmd-node$k.log"
  done
  wait_idle "$NODES"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (SlurmUser=root, munged with a private key)"
  install_if_missing
  if live_pid "$DIR/slurmctld.pid" >/dev/null || [ -s "$DIR/net.list" ]; then
    die "a cluster already runs in $DIR (scripts/slurm-local.sh stop $DIR first)"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$NODES" -gt 0 ]; then start_multi; else start_single; fi
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

# SIGKILL every process in a namespace this script made (only ours run in it), until none is left
kill_ns_pids() {
  local ns="$1" pids
  for _ in $(seq 50); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086  # a list of pids
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
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
  local f kind name
  for f in "$DIR"/slurmd-*.pid; do
    [ -e "$f" ] && stop_pid slurmd "$f"
  done
  # the namespaces, the veth pairs (the kernel would remove them with their namespace, but
  # lazily: a quick restart would find the names taken), then the bridge, as start listed them
  if [ -f "$DIR/net.list" ]; then
    while read -r kind name; do
      if [ "$kind" = netns ]; then
        kill_ns_pids "$name"
        ip netns del "$name" 2>/dev/null || true
      fi
    done <"$DIR/net.list"
    while read -r kind name; do
      case "$kind" in veth | bridge) ip link del "$name" 2>/dev/null || true ;; esac
    done <"$DIR/net.list"
    rm -f "$DIR/net.list"
  fi
  stop_pid slurmctld "$DIR/slurmctld.pid"
  stop_pid munged "$DIR/munge/munged.pid"
}

# A node fails: its link goes down and everything on it (slurmd, slurmstepd, the ranks) dies at
# once, with no orderly goodbye to anyone.
kill_node() {
  [ -n "$NODE" ] || die "kill-node: which node?"
  local ns
  ns="$(ns_of "$NODE")"
  [ -e "/run/netns/$ns" ] || die "no node '$NODE' in this cluster (namespace $ns)"
  ip -n "$ns" link set eth0 down
  kill_ns_pids "$ns"
  echo "slurm-local: $NODE killed (link down, every process in namespace $ns SIGKILLed)"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status)
    export SLURM_CONF="$CONF"
    sinfo -N && squeue ;;
  kill-node) kill_node ;;
  exec)
    [ -n "$NODE" ] && [ $# -gt 0 ] || die "usage: $0 exec NODE [DIR] -- CMD..."
    node_sh "$NODE" "$@" ;;
  *)
    echo "usage: $0 start [--nodes N] [DIR] | stop [DIR] | status [DIR] | kill-node NODE [DIR] | exec NODE [DIR] -- CMD..." >&2
    exit 2 ;;
esac
