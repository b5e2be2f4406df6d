#!/usr/bin/env bash
# The shop demo across separate hosts: api, db and worker each run in a network
# namespace of their own, with their own address on a bridge this script
# creates (nbshop0, $NEBULA_DEMO_NET.0/24, default 10.77.0.0/24), under the node
# names and addresses a real deployment would have:
#
#   api@api.shop.test        10.77.0.2:4370   [mainframe_cluster, api, cache]
#   db@db.shop.test          10.77.0.3:4370   [mainframe_cluster, db, cache]
#   worker@worker.shop.test  10.77.0.4:4370   [cloud_worker_lambda, worker]
#
# The topology is generated (deploy/docker/nebula.yaml is the same file, for
# the default network), each node is built for it with nebulac and cc, and the
# api node runs the loopback demo's session with the same checks, failover
# included. Then the node serving &worker is cut off the network (iptables
# DROP in its namespace) and healed, and what the caller saw is checked.
#
#   scripts/run_shop_netns_demo.sh [BUILD_DIR]   build nebulac and libnebula in
#                                                BUILD_DIR (default build/plain)
#   scripts/run_shop_netns_demo.sh --no-build BUILD_DIR   use those already built
#
# Root only: it creates namespaces, a bridge, veth pairs and iptables rules. Not
# root, or not allowed to create a network namespace: it says so and exits 77
# having done nothing. Everything it made (processes by PID, namespaces with
# their iptables rules, veths, the bridge) is removed at the end, also on Ctrl-C
# or SIGTERM; what a killed earlier run left behind is removed at start. Every
# wait is bounded. Exit status: 0 when every check held.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/shop_demo_lib.sh"

build=1
if [ "${1:-}" = --no-build ]; then
  build=0
  shift
fi
build_dir=${1:-${SHOP_BUILD_DIR:-build/plain}}
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh --hosts needs root: it creates network namespaces, a bridge and iptables" >&2
  echo "rules. Run it as root (sudo scripts/demo.sh --hosts); nothing was done." >&2
  exit 77
fi
for tool in ip iptables ss; do
  command -v "$tool" >/dev/null || {
    echo "run_shop_netns_demo.sh: '$tool' is missing (scripts/demo.sh --hosts installs it)" >&2
    exit 2
  }
done

net=${NEBULA_DEMO_NET:-10.77.0}
if ! [[ $net =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]]; then
  echo "NEBULA_DEMO_NET must be the first three numbers of a /24, e.g. 10.77.0" >&2
  exit 2
fi
port=4370
bridge=nbshop0
roles=(api db worker)
declare -A node_of=([api]=api@api.shop.test [db]=db@db.shop.test [worker]=worker@worker.shop.test)
declare -A ip_of=([api]=$net.2 [db]=$net.3 [worker]=$net.4)
declare -A tags_of=([api]="mainframe_cluster, api, cache" [db]="mainframe_cluster, db, cache"
                    [worker]="cloud_worker_lambda, worker")
declare -A libs_of=([api]="" [db]="-lsqlite3" [worker]="-lz")
ns() { echo "nbshop-$1"; } # the namespace of a role; its host-side veth has the same name

# One run at a time: the names below are fixed, so that a later run finds and
# removes what a killed one left. The running one's PID is in $pidfile (written
# under a lock, which is released at once: a lock held open would be inherited
# by the nodes, and outlive a killed run).
pidfile=/run/nbshop-demo.pid
exec {lock_fd}>"/run/nbshop-demo.lock"
flock -w 10 "$lock_fd" || { echo "/run/nbshop-demo.lock stays locked (by whom: fuser /run/nbshop-demo.lock)" >&2; exit 1; }
other=$(cat "$pidfile" 2>/dev/null || true)
if [ -n "$other" ] && [ "$other" != $$ ] && kill -0 "$other" 2>/dev/null &&
   grep -qs run_shop_netns_demo "/proc/$other/cmdline"; then
  echo "another demo.sh --hosts is running (pid $other)" >&2
  exit 1
fi
echo $$ >"$pidfile"
exec {lock_fd}>&-

# shellcheck source=netns_lib.sh
. scripts/netns_lib.sh

# Only one run at a time, so any scratch directory of a run is an earlier one's.
rm -rf "${TMPDIR:-/tmp}"/shop-hosts.*
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shop-hosts.XXXXXX")
cleanup() {
  stop_all
  netns_teardown
  rm -rf "$tmp"
  [ "$(cat "$pidfile" 2>/dev/null)" != $$ ] || rm -f "$pidfile"
}
trap cleanup EXIT
trap 'echo "interrupted: removing what the demo made" >&2; exit 130' INT TERM

if ! netns_all_gone; then
  echo "== Removing what an earlier run left behind"
  netns_teardown
fi

# --- build --------------------------------------------------------------------
if [ "$build" = 1 ]; then
  echo "== Building nebulac and libnebula in $build_dir"
  cmake -S . -B "$build_dir" >/dev/null
  cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" --target nebulac nebula_shared nebula_cli \
    >/dev/null
fi
nebulac=$build_dir/src/nebulac/nebulac
libdir=$build_dir/src/runtime
if [ ! -x "$nebulac" ] || [ ! -e "$libdir/libnebula.so" ]; then
  echo "run_shop_netns_demo.sh: no nebulac or libnebula.so in $build_dir (build it first)" >&2
  exit 2
fi

# The topology, as a deployment on three hosts would write it.
topology=$tmp/nebula.yaml
{
  echo "# The shop on three hosts (written by scripts/run_shop_netns_demo.sh)."
  echo "nodes:"
  for role in "${roles[@]}"; do
    printf '  %-26s { tags: [%s], address: "%s:%d" }\n' "\"${node_of[$role]}\":" \
      "${tags_of[$role]}" "${ip_of[$role]}" "$port"
  done
  echo "default_timeout: 5000"
  echo "nodes_info_refresh_interval: 1000"
} >"$topology"

echo "== Building one binary per node for the topology ($topology)"
echo "   (deploy/build_shop_node.sh: nebulac, then cc; and the shop's nebula command)"
sed 's/^/   /' "$topology"
echo "-- placement (nebulac --explain):"
(cd examples/shop && "$nebulac" --topology "$topology" --explain \
   main.c session.c users.c cache.c jobs.c health.c) | sed 's/^/   /'
export NEBULAC=$nebulac NEBULA_CFLAGS="-I$root/include"
export NEBULA_LIBS="-L$libdir -L$build_dir/src/cli -Wl,-rpath,$libdir -lnebula"
declare -A build_pid=()
for role in "${roles[@]}" cli; do
  if [ "$role" = cli ]; then
    deploy/build_shop_node.sh examples/shop "$topology" --cli "$tmp/nebula" \
      >"$tmp/build-cli.log" 2>&1 &
  else
    # shellcheck disable=SC2086 # libs_of holds zero or one flag
    deploy/build_shop_node.sh examples/shop "$topology" "${node_of[$role]}" "$tmp/shop_$role" \
      ${libs_of[$role]} >"$tmp/build-$role.log" 2>&1 &
  fi
  build_pid[$role]=$!
  running[$!]=1
done
for role in "${roles[@]}" cli; do
  unset "running[${build_pid[$role]}]"
  if ! wait "${build_pid[$role]}"; then
    echo "building ${node_of[$role]:-the nebula command} failed:" >&2
    cat "$tmp/build-$role.log" >&2
    exit 1
  fi
done

# What the Dockerfile's slim runtime stage holds: the libraries the binaries
# load, glibc's own excepted. The nodes run with those (LD_LIBRARY_PATH, which
# comes before the build tree's RUNPATH).
collected=$(deploy/docker/collect_libs.sh "$tmp/lib" "$tmp"/shop_{api,db,worker} "$tmp/nebula")
collected=$(echo "$collected" | sed 's|.*/||' | tr '\n' ' ')
echo "   deploy/docker/collect_libs.sh: ${collected}(the nodes run with these)"
export LD_LIBRARY_PATH=$tmp/lib

# --- the hosts ------------------------------------------------------------------
echo
echo "== Three hosts: network namespaces on bridge $bridge ($net.0/24)"
netns_hosts_up "nothing was run"

# A connection refused is an answer: the address is reachable. Bounded by
# timeout, since a dropped packet would wait for TCP's retries.
reachable() { # from role $1 to address $2, waiting at most $3 s (default 5)
  local out
  out=$(timeout "${3:-5}" ip netns exec "$(ns "$1")" bash -c "exec 3<>/dev/tcp/$2/9" 2>&1) || true
  [[ $out == *"refused"* ]]
}

netns_find_iptables api
echo "   iptables: $($ipt -V)"

# --- the nodes -------------------------------------------------------------------
declare -A pid_of=() # node name -> PID
unset NEBULA_NODE NEBULA_LISTEN NEBULA_ADDRESSES NEBULA_ALLOW_RUNTIME_NODE_MISMATCH
new_cookie "$tmp/cookie"
export SHOP_DB=$tmp/shop.db

# start_node <role>: starts a serving node in its namespace and waits (at most
# 10 s) until it says it is serving. `ip netns exec` execs the binary, so the
# PID is the node's.
declare -A own_ns=() # role -> the namespace its process was seen in
own_libs=1            # 0 once a node did not load libnebula from $tmp/lib
start_node() {
  local role=$1 log="$tmp/$1.log"
  NEBULA_NODE=${node_of[$role]} ip netns exec "$(ns "$role")" "$tmp/shop_$role" >"$log" 2>&1 &
  pid_of[${node_of[$role]}]=$!
  running[$!]=1
  if wait_for_line "$log" serving $! 100; then
    own_ns[$role]=$(ip netns identify $! 2>/dev/null || true)
    grep -qF "$tmp/lib/libnebula.so" "/proc/$!/maps" || own_libs=0
    return 0
  fi
  echo "${node_of[$role]} did not start:" >&2
  cat "$log" >&2
  return 1
}

# The run_session handler: failover kills the named node (kill -9), partition
# cuts its host off the network with iptables in its namespace, heal removes
# those rules. Says what it did, on stdout and in log $3.
rules=(INPUT -i eth0 -j DROP) out_rules=(OUTPUT -o eth0 -j DROP)
cut_held=1
act() {
  local tag=$1 node=$2 log=$3 role=${2%@*} pid=${pid_of[$2]:-}
  if [ -z "$pid" ] || [ -z "${ip_of[$role]:-}" ]; then
    echo "   [demo] $node is not a node this script started" | tee -a "$log"
    return 1
  fi
  case $tag in
    READY_FOR_FAILOVER)
      echo "   [demo] kill -9 $node (pid $pid on ${ip_of[$role]}): a crash, not a clean leave" |
        tee -a "$log"
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      unset "running[$pid]" "pid_of[$node]"
      ;;
    READY_FOR_PARTITION)
      ip netns exec "$(ns "$role")" "$ipt" -w 5 -I "${rules[@]}"
      ip netns exec "$(ns "$role")" "$ipt" -w 5 -I "${out_rules[@]}"
      echo "   [demo] partition: $(ns "$role") drops every packet in and out of eth0" \
           "($ipt -I INPUT/OUTPUT ... -j DROP); $node (pid $pid) still runs" | tee -a "$log"
      ;;
    READY_TO_HEAL)
      # Checked only now: the session's call into the cut goes right after the cut.
      if reachable api "${ip_of[$role]}" 2; then
        echo "   [demo] ${ip_of[$role]} answered during the cut: the rules did not hold" |
          tee -a "$log"
        cut_held=0
      fi
      ip netns exec "$(ns "$role")" "$ipt" -w 5 -D "${rules[@]}"
      ip netns exec "$(ns "$role")" "$ipt" -w 5 -D "${out_rules[@]}"
      echo "   [demo] healed: the DROP rules in $(ns "$role") are removed" | tee -a "$log"
      ;;
    *) return 1 ;;
  esac
}

# The readiness probe of deploy/docker and deploy/kubernetes: the shop's nebula
# command, run on the node's own host with the node's environment, waits until
# that node is connected and serving (bounded). --as: it must not take the name
# in $NEBULA_NODE, the node's.
ready() { # role $1 [timeout in ms]
  local host=${node_of[$1]#*@}
  NEBULA_NODE=${node_of[$1]} timeout 30 ip netns exec "$(ns "$1")" "$tmp/nebula" --as "probe@$host" \
    await "@:\"${node_of[$1]}\"" --timeout "${2:-10000}" >>"$tmp/probe.log" 2>&1
}

reach_ok=1
for role in db worker; do
  reachable api "${ip_of[$role]}" || reach_ok=0
done
echo "   api reaches db and worker across the bridge: $([ $reach_ok = 1 ] && echo yes || echo NO)"

echo
echo "== The session, from api@api.shop.test (the loopback demo's, then a partition)"
status=0
probes_ok=0
ready db 500 || probes_ok=1 # not started yet: the probe must say so
if start_node db && start_node worker; then
  if [ "$probes_ok" = 0 ]; then
    echo "   readiness probe: db ready before it was started?"
  else
    probes_ok=0
    ready db && ready worker && probes_ok=1
  fi
  echo "   readiness probe (nebula await, from each node's own host): db and worker" \
       "$([ $probes_ok = 1 ] && echo ready || echo NOT READY)"
  run_session "$tmp/prod.out" act \
    env NEBULA_NODE=api@api.shop.test ip netns exec "$(ns api)" "$tmp/shop_api" --failover \
    --partition || status=$?
else
  status=1
fi
touch "$tmp/prod.out"

# Who listened where, seen from inside each namespace, while the survivors run.
listens_in() { # role $1 has a socket listening on port $port in its namespace
  [ -n "$(ip netns exec "$(ns "$1")" ss -Hltn "sport = :$port")" ]
}
worker_listens=0
listens_in worker && worker_listens=1

for node in "${!pid_of[@]}"; do
  if ! stop_pid "${pid_of[$node]}"; then
    echo "$node did not stop cleanly:" >&2
    cat "$tmp/${node%@*}.log" >&2
    status=1
  fi
  unset "pid_of[$node]"
done

# --- checks -------------------------------------------------------------------
p=$tmp/prod.out
in_own_ns() { # every node ran in its own namespace
  local role
  for role in "${roles[@]}"; do
    [ "$role" = api ] || [ "${own_ns[$role]:-}" = "$(ns "$role")" ] || return 1
  done
}
topology_is_deployed() { # the generated topology is the one deploy/ ships
  [ "$net" != 10.77.0 ] || diff -q "$topology" deploy/docker/nebula.yaml
}
partition_seen() { # the call into the cut failed with a code, and no value came back
  grep -qE '^  NB_E_(NODE_DOWN|TIMEOUT) +routed .*NB_ON_NODE\("&worker"\) \{ node_health\(\); \} = \(none\)' "$p"
}
echo
echo "== Checks"
check "hosts: api reached db and worker across the bridge" [ "$reach_ok" = 1 ]
check "hosts: db and worker ran in their own namespaces" in_own_ns
check "hosts: the worker listened on port $port in its namespace" [ "$worker_listens" = 1 ]
check "hosts: the topology is deploy/docker/nebula.yaml" topology_is_deployed
check "hosts: db and worker ran on the libraries collect_libs.sh copied" [ "$own_libs" = 1 ]
check "hosts: the readiness probe said not ready, then ready, for db and worker" \
  [ "$probes_ok" = 1 ]
check "prod: every process exited 0" [ "$status" = 0 ]
check_prod_session "$p" worker@worker.shop.test
check "hosts: every node answered under its host name" \
  grep -qE '^ +-> worker@worker\.shop\.test +NB_OK' "$p"
check "partition: the worker's address did not answer during the cut" [ "$cut_held" = 1 ]
check "partition: the call into the cut got an error, no value" partition_seen
check "partition: the worker was then down, and the next call failed at once" \
  grep -qE '^  NB_E_NO_WORKER routed .*NB_ON_NODE\("&worker"\)' "$p"
check "partition: healed, the worker answered again" grep -q '^  partition ok: ' "$p"

stop_all
netns_teardown
check "cleanup: no namespace, veth or bridge of the demo is left" netns_all_gone

echo
if [ "$failures" = 0 ]; then
  echo "hosts demo: all checks passed"
else
  echo "hosts demo: $failures check(s) FAILED (node logs follow)"
  for f in "$tmp"/*.log; do
    echo "--- $f"
    tail -n 20 "$f"
  done
  exit 1
fi
