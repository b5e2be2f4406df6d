#!/usr/bin/env bash
# The fault suite (docs/faults.md): a driver node and three serving nodes, each
# in a network namespace of its own with its own address on a bridge this
# script creates (nbfault0, $net.0/24, default 10.78.0.0/24, private to this
# machine: nothing is routed off the bridge):
#
#   driver@NET.2    namespace nbf-driver   32 caller threads (driver.c)
#   s1@NET.11       namespace nbf-s1       serves fault_work (api/work.c)
#   s2@NET.12       namespace nbf-s2
#   s3@NET.13       namespace nbf-s3
#
# For each scenario the driver runs a bounded load while the script breaks the
# network (iptables in a serving node's namespace) or a serving process (kill
# -9, SIGSTOP), then heals it; check.py then counts, per scenario, calls vs
# outcomes, bodies run, run twice, run after their caller's deadline, and calls
# that outlived their timeout, prints the table, and fails the run on a call
# without exactly one outcome, a body run twice or a call past its deadline.
#
#   run_fault_suite.sh --bin-dir DIR [--net 10.78.0] [--python python3]
#                      [--only NAME[,NAME...]] [--seconds S] [--keep DIR]
#
# --bin-dir: where fault_driver, fault_s1..3 and fault_nfq_delay were built
# (build/plain/tests/fault), with the topology they were built for; --net, if
# given, must be that topology's network; --only runs the named scenarios (baseline is always
# run first); --seconds sets each scenario's load time (8 to 60, default 8); --keep
# copies the logs to DIR.
#
# Root only: not root, or not allowed to create a network namespace, it says so
# and exits 77 having done nothing. Everything it made (processes by PID,
# namespaces with their iptables rules, veths, the bridge) is removed at the
# end, also on Ctrl-C or SIGTERM; what a killed earlier run left behind is
# removed at start. Every wait is bounded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# stop_pid, stop_all, new_cookie, wait_for_line, check, $running, $failures.
# shellcheck source-path=SCRIPTDIR source=../../scripts/shop_demo_lib.sh
. "$here/../../scripts/shop_demo_lib.sh"

bin=
net=
python=python3
only=
seconds=8
keep=
while [ $# -gt 0 ]; do
  case $1 in
    --bin-dir) bin=$2; shift 2 ;;
    --net) net=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "run_fault_suite.sh: unknown argument '$1' (see the head of this file)" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ] || [ ! -x "$bin/fault_driver" ] || [ ! -x "$bin/fault_nfq_delay" ]; then
  echo "run_fault_suite.sh: --bin-dir must hold fault_driver, fault_s1..3, fault_nfq_delay" >&2
  exit 2
fi
bin=$(cd "$bin" && pwd)
# The nodes are named by their addresses: the network is the one the build's
# topology was generated for.
built_net=$(sed -n 's/^ *"driver@\([0-9.]*\)\.2":.*/\1/p' "$bin/nebula.yaml" 2>/dev/null || true)
if [ -z "$net" ]; then
  net=$built_net
elif [ "$net" != "$built_net" ]; then
  echo "--net $net: the nodes in $bin were built for ${built_net:-an unknown network}" \
       "(cmake -DNEBULA_FAULT_NET=$net rebuilds them)" >&2
  exit 2
fi
if ! [[ $net =~ ^10\.[0-9]{1,3}\.[0-9]{1,3}$ ]]; then
  echo "the network ('$net', NEBULA_FAULT_NET) must be the first three numbers of a /24 in 10.0.0.0/8, e.g. 10.78.0" >&2
  exit 2
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 8 ] || [ "$seconds" -gt 60 ]; then
  echo "--seconds must be 8 to 60 (the last heal is at 5 s)" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "the fault suite needs root: it creates network namespaces, a bridge and iptables rules;" >&2
  echo "skipped, nothing was done" >&2
  exit 77
fi
for tool in ip iptables flock timeout; do
  command -v "$tool" >/dev/null || {
    echo "run_fault_suite.sh: '$tool' is missing (scripts/setup.sh iproute2 iptables installs it)" >&2
    exit 2
  }
done

timeout_ms=800 # every call's timeout
margin_ms=250  # how far past its timeout a call may end before it counts as late
bridge=nbfault0
roles=(driver s1 s2 s3)
declare -A ip_of=([driver]=$net.2 [s1]=$net.11 [s2]=$net.12 [s3]=$net.13)
ns() { echo "nbf-$1"; } # the namespace of a role; its host-side veth has the same name

# One run at a time: the names are fixed, so that a later run finds and removes
# what a killed one left. The running one's PID is in $pidfile (written under a
# lock released at once: a lock held open would be inherited by the nodes).
pidfile=/run/nbfault.pid
exec {lock_fd}>/run/nbfault.lock
flock -w 10 "$lock_fd" || { echo "/run/nbfault.lock stays locked" >&2; exit 1; }
other=$(cat "$pidfile" 2>/dev/null || true)
if [ -n "$other" ] && [ "$other" != $$ ] && kill -0 "$other" 2>/dev/null &&
   grep -qs run_fault_suite "/proc/$other/cmdline"; then
  echo "another fault suite is running (pid $other)" >&2
  exit 1
fi
echo $$ >"$pidfile"
exec {lock_fd}>&-

# The hosts: netns_hosts_up, netns_teardown (removes every namespace, link and
# process of the suite, whoever made them), netns_all_gone, netns_find_iptables.
# shellcheck source=../../scripts/netns_lib.sh
. "$(dirname "$0")/../../scripts/netns_lib.sh"

rm -rf "${TMPDIR:-/tmp}"/nbfault.*
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbfault.XXXXXX")
cleanup() {
  local pid
  for pid in "${!running[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  stop_all
  netns_teardown
  if [ -n "$keep" ]; then
    rm -f "$tmp/cookie" # a secret, even a throwaway one
    mkdir -p "$keep" && cp -r "$tmp"/. "$keep"/ && echo "logs kept in $keep"
  fi
  rm -rf "$tmp"
  [ "$(cat "$pidfile" 2>/dev/null)" != $$ ] || rm -f "$pidfile"
}
trap cleanup EXIT
trap 'echo "interrupted: removing what the suite made" >&2; exit 130' INT TERM

if ! netns_all_gone; then
  echo "== Removing what an earlier run left behind"
  netns_teardown
fi

# --- the hosts ------------------------------------------------------------------
echo "== Four hosts: network namespaces on bridge $bridge ($net.0/24)"
netns_hosts_up skipped

# The iptables that works in this kernel, then whether it has the statistic
# match (loss) and the NFQUEUE target (delay).
netns_find_iptables s1
ipt_in() { ip netns exec "$(ns "$1")" "$ipt" -w 5 "${@:2}"; } # iptables in role $1's namespace
loss_rule=(-m statistic --mode random --probability 0.05 -j DROP)
has_loss=0
if ipt_in s1 -A INPUT -p tcp --dport 9 "${loss_rule[@]}" 2>/dev/null; then
  ipt_in s1 -D INPUT -p tcp --dport 9 "${loss_rule[@]}"
  has_loss=1
fi
nfq_rule=(-j NFQUEUE --queue-num 7 --queue-bypass)
has_nfq=0
if ipt_in s1 -A INPUT -p tcp --dport 9 "${nfq_rule[@]}" 2>/dev/null; then
  ipt_in s1 -D INPUT -p tcp --dport 9 "${nfq_rule[@]}"
  has_nfq=1
fi
echo "   iptables: $($ipt -V); statistic match: $([ $has_loss = 1 ] && echo yes || echo NO);" \
     "NFQUEUE: $([ $has_nfq = 1 ] && echo yes || echo NO)"

# --- the serving nodes ----------------------------------------------------------
unset NEBULA_NODE NEBULA_LISTEN NEBULA_ADDRESSES NEBULA_ALLOW_RUNTIME_NODE_MISMATCH NEBULA_LOG
new_cookie "$tmp/cookie"
declare -A pid_of=()
# start_node <role>: starts a serving node in its namespace (ip netns exec execs
# it: the PID is the node's) and waits, at most 10 s, until it serves.
start_node() {
  local role=$1 log="$tmp/$1.stderr"
  FAULT_BODY_LOG=$tmp/body-$role.log ip netns exec "$(ns "$role")" "$bin/fault_$role" \
    >>"$log" 2>&1 &
  pid_of[$role]=$!
  running[$!]=1
  if wait_for_line "$log" "ready" $! 100; then
    return 0
  fi
  echo "$role did not start:" >&2
  cat "$log" >&2
  return 1
}
# kill9 <role>: a crash, not a clean leave; the PID is reaped and forgotten.
kill9() {
  local pid=${pid_of[$1]}
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "running[$pid]" "pid_of[$1]"
  echo "-- killed by the suite (kill -9) --" >>"$tmp/$1.stderr"
}
# sigstop <role>: SIGSTOP, then waits (at most 2 s) until the process is stopped.
sigstop() {
  local pid=${pid_of[$1]} i
  kill -STOP "$pid"
  for ((i = 0; i < 200; i++)); do
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] && return 0
    sleep 0.01
  done
  echo "   $1 (pid $pid) did not stop" >&2
  return 1
}

for role in s1 s2 s3; do
  start_node "$role" || exit 1
done
echo "   s1, s2, s3 serving (started in that order)"

# --- scenarios ------------------------------------------------------------------
# Each scenario: the driver starts its load; the script waits until the load
# runs, then performs the scenario's actions at fixed offsets (seconds after the
# load started); then it waits for the driver to end (bounded) and removes
# whatever the scenario left (rules, delay program, stopped process).
nfq_pid=
# event fault|heal ROLE[,ROLE] TEXT: logs when a fault was applied or removed, in
# events-N.txt ("<CLOCK_REALTIME ms> <kind> <roles> <text>": check.py reads the
# heal lines to see the nodes serve again) and on stdout.
event() {
  local now
  now=$(date +%s%3N)
  printf '%s %s %s %s\n' "$now" "$1" "$2" "$3" >>"$tmp/events-$scen.txt"
  echo "   +$((now - t0))ms  ${2//,/, }: $3"
}
at() { # sleeps until $1 seconds after the load started
  local left
  left=$(awk -v t="$1" -v t0="$t0" -v now="$(date +%s%3N)" 'BEGIN { l = t0 + t * 1000 - now; print (l > 0 ? l / 1000 : 0) }')
  sleep "$left"
}

# $first is the serving node the driver's default route uses at the start of
# the scenario (the driver says which), $other the next one after it (s1, s2,
# s3, s1): faults aimed at $first hit all 32 threads, at $other only the 16
# round-robin ones.
first='' other=''
act_baseline() { :; }
act_partition() { # $first cut off both ways, then healed
  at 2; ipt_in "$first" -I INPUT -i eth0 -j DROP; ipt_in "$first" -I OUTPUT -o eth0 -j DROP
  event fault "$first" "iptables DROP INPUT and OUTPUT on eth0"
  at 5; ipt_in "$first" -D INPUT -i eth0 -j DROP; ipt_in "$first" -D OUTPUT -o eth0 -j DROP
  event heal "$first" "healed"
}
act_oneway_in() { # $other hears nothing, but what it sends still goes out
  at 2; ipt_in "$other" -I INPUT -i eth0 -j DROP; event fault "$other" "iptables DROP INPUT only"
  at 5; ipt_in "$other" -D INPUT -i eth0 -j DROP; event heal "$other" "healed"
}
act_oneway_out() { # $other receives everything, but nothing it sends leaves
  at 2; ipt_in "$other" -I OUTPUT -o eth0 -j DROP; event fault "$other" "iptables DROP OUTPUT only"
  at 5; ipt_in "$other" -D OUTPUT -o eth0 -j DROP; event heal "$other" "healed"
}
act_loss() { # 5 % of the packets into and out of $first and $other dropped, from 1 s to 5 s
  local r
  at 1
  for r in "$first" "$other"; do
    ipt_in "$r" -I INPUT -i eth0 "${loss_rule[@]}"; ipt_in "$r" -I OUTPUT -o eth0 "${loss_rule[@]}"
  done
  event fault "$first,$other" "5 % random loss in and out (iptables statistic)"
  at 5
  for r in "$first" "$other"; do
    ipt_in "$r" -D INPUT -i eth0 "${loss_rule[@]}"; ipt_in "$r" -D OUTPUT -o eth0 "${loss_rule[@]}"
  done
  event heal "$first,$other" "healed"
}
nfq_role=
start_delay() { # $1 ms on every packet into and out of role $2, by NFQUEUE
  nfq_role=$2
  ip netns exec "$(ns "$2")" "$bin/fault_nfq_delay" 7 "$1" >"$tmp/nfq-$scen.out" 2>&1 &
  nfq_pid=$!
  running[$nfq_pid]=1
  wait_for_line "$tmp/nfq-$scen.out" "bound" "$nfq_pid" 50 || { cat "$tmp/nfq-$scen.out" >&2; return 1; }
  ipt_in "$2" -I INPUT -i eth0 "${nfq_rule[@]}"; ipt_in "$2" -I OUTPUT -o eth0 "${nfq_rule[@]}"
}
stop_delay() {
  [ -n "$nfq_role" ] || return 0
  ipt_in "$nfq_role" -D INPUT -i eth0 "${nfq_rule[@]}" 2>/dev/null || true
  ipt_in "$nfq_role" -D OUTPUT -o eth0 "${nfq_rule[@]}" 2>/dev/null || true
  if [ -n "$nfq_pid" ]; then stop_pid "$nfq_pid" || true; nfq_pid=; fi
  nfq_role=
}
act_delay() {
  at 1; start_delay 50 "$first"
  event fault "$first" "50 ms delay in and out (NFQUEUE, fault_nfq_delay)"
  at 5; stop_delay; event heal "$first" "healed"
}
act_delay_loss() {
  at 1; start_delay 50 "$first"
  ipt_in "$first" -I INPUT -i eth0 "${loss_rule[@]}"; ipt_in "$first" -I OUTPUT -o eth0 "${loss_rule[@]}"
  event fault "$first" "50 ms delay and 5 % loss, in and out"
  at 5
  ipt_in "$first" -D INPUT -i eth0 "${loss_rule[@]}"; ipt_in "$first" -D OUTPUT -o eth0 "${loss_rule[@]}"
  stop_delay; event heal "$first" "healed"
}
act_kill() { # $first crashes under load and comes back
  at 2; kill9 "$first"; event fault "$first" "kill -9"
  at 4; start_node "$first"; event heal "$first" "restarted and serving"
}
act_sigstop() { # $first frozen 1.5 s
  at 2; sigstop "$first"; event fault "$first" "SIGSTOP"
  sleep 1.5; kill -CONT "${pid_of[$first]}"; event heal "$first" "SIGCONT"
}
act_sigstop_long() { # $other frozen 4 s: declared down, its connections closed under it
  at 2; sigstop "$other"; event fault "$other" "SIGSTOP"
  sleep 4; kill -CONT "${pid_of[$other]}"; event heal "$other" "SIGCONT"
}
act_kill_all() { # every serving node crashes at once: a total outage, then all come back
  at 2; kill9 s1; kill9 s2; kill9 s3; event fault s1,s2,s3 "kill -9, all three"
  at 4; start_node s1; start_node s2; start_node s3; event heal s1,s2,s3 "restarted and serving"
}

all_scenarios=(baseline partition oneway_in oneway_out loss delay delay_loss kill sigstop
               sigstop_long kill_all)
declare -A skip_why=()
[ $has_loss = 1 ] || skip_why[loss]="iptables has no statistic match"
[ $has_loss = 1 ] || skip_why[delay_loss]="iptables has no statistic match"
[ $has_nfq = 1 ] || skip_why[delay]="no NFQUEUE target (and this kernel has no sch_netem)"
[ $has_nfq = 1 ] || skip_why[delay_loss]="no NFQUEUE target"
if [ -n "$only" ]; then
  for s in ${only//,/ }; do
    [[ " ${all_scenarios[*]} " == *" $s "* ]] || { echo "no scenario '$s' (${all_scenarios[*]})" >&2; exit 2; }
  done
fi

scen=0
ran=()
driver_status=0
echo
echo "== Scenarios: ${seconds} s of load each, 32 caller threads, every call with a ${timeout_ms} ms timeout"
for name in "${all_scenarios[@]}"; do
  if [ -n "$only" ] && [ "$name" != baseline ] && [[ ",$only," != *",$name,"* ]]; then
    continue
  fi
  scen=$((scen + 1))
  if [ -n "${skip_why[$name]:-}" ]; then
    echo "-- $name: SKIPPED, ${skip_why[$name]}"
    continue
  fi
  echo "-- $name"
  out=$tmp/driver-$scen.out
  ip netns exec "$(ns driver)" "$bin/fault_driver" --scenario "$scen" --seconds "$seconds" \
    --timeout-ms "$timeout_ms" --out "$tmp/calls-$scen.txt" >"$out" 2>&1 &
  dpid=$!
  running[$dpid]=1
  if ! wait_for_line "$out" "load started" "$dpid" 200; then
    echo "   the driver did not start its load in 20 s:" >&2
    cat "$out" >&2
    stop_pid "$dpid" || true
    driver_status=1
    continue
  fi
  # The offsets of the actions count from when the driver started its load.
  t0=$(sed -n 's/^load started at \([0-9]*\) ms.*/\1/p' "$out")
  first=$(sed -n 's/^default route: \(s[1-3]\)@.*/\1/p' "$out")
  case $first in
    s1) other=s2 ;;
    s2) other=s3 ;;
    s3) other=s1 ;;
    *) echo "   the driver did not say which node its default route uses" >&2; exit 1 ;;
  esac
  echo "   default route: $first; the next node: $other"
  "act_$name"
  # The load ends after $seconds, and every call within its timeout: 15 s more
  # is plenty; then the driver is stopped, and what it did not write is missing.
  for ((i = 0; i < (seconds + 15) * 10; i++)); do
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
  done
  st=0
  if kill -0 "$dpid" 2>/dev/null; then
    echo "   the driver did not end in time: stopped" >&2
    stop_pid "$dpid" || true
    st=124
  else
    wait "$dpid" || st=$?
    unset "running[$dpid]"
  fi
  grep -E '^(t=|load stopped)' "$out" | tail -n 1 | sed 's/^/   driver: /'
  if [ "$st" != 0 ]; then
    echo "   the driver exited with status $st:"
    grep -v '^t=' "$out" | sed 's/^/   | /'
    driver_status=1
  fi
  ran+=("$scen:$name")
  stop_delay
  # Every serving node runs and is not stopped, before the next scenario.
  for role in s1 s2 s3; do
    if [ -z "${pid_of[$role]:-}" ] || ! kill -0 "${pid_of[$role]}" 2>/dev/null; then
      echo "   $role is gone (not by the suite's hand): restarting it" >&2
      driver_status=1
      start_node "$role" || exit 1
    fi
  done
done

# --- stop, count, check ----------------------------------------------------------
nodes_ok=1
for role in s1 s2 s3; do
  if ! stop_pid "${pid_of[$role]}"; then
    echo "$role did not leave cleanly:" >&2
    tail -n 20 "$tmp/$role.stderr" >&2
    nodes_ok=0
  fi
done

echo
echo "== Figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, margin ${margin_ms} ms)"
list=$(IFS=,; echo "${ran[*]}")
checker_ok=1
"$python" "$here/check.py" "$tmp" --scenarios "$list" --margin-ms "$margin_ms" || checker_ok=0
if [ "${#skip_why[@]}" -gt 0 ]; then
  for s in "${!skip_why[@]}"; do echo "skipped: $s (${skip_why[$s]})"; done
fi

echo
echo "== Checks"
check "every driver ran its load and ended with every call accounted for" [ "$driver_status" = 0 ]
check "the checker's figures hold (one outcome each, no double run, no late start, no call past its deadline)" \
  [ "$checker_ok" = 1 ]
check "every serving node left cleanly (SIGTERM, exit 0)" [ "$nodes_ok" = 1 ]
stop_all
netns_teardown
check "cleanup: no namespace, veth or bridge of the suite is left" netns_all_gone

echo
if [ "$failures" = 0 ]; then
  echo "fault suite: all checks passed"
else
  echo "fault suite: $failures check(s) FAILED"
  for f in "$tmp"/*.stderr "$tmp"/driver-*.out; do
    [ -e "$f" ] || continue
    echo "--- $f"
    grep -v '^t=' "$f" | tail -n 15
  done
  exit 1
fi
