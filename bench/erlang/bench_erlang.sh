#!/usr/bin/env bash
# The Erlang side of docs/design.md §11: compiles bench_gs.erl, starts a server node
# and a client node (distributed Erlang on 127.0.0.1, one fixed cookie) and lets the
# client measure gen_server:call. The client's lines (see bench_gs.erl) go to
# stdout; everything else goes to stderr.
#
#   bench/erlang/bench_erlang.sh [--step] [--rounds N] [--trips N] [--callers N]
#                                [--ms N] [--out DIR]
#
# --step     read "rtt" / "tput" a line from stdin and answer each with one line,
#            until "quit" or end of input (how bench/run.sh interleaves rounds)
# --rounds   batch mode: N rtt rounds, then N throughput rounds (default 5)
# --trips    calls per rtt round (default 4000, as bench_routing)
# --callers  concurrent client processes of a throughput round (default 32)
# --ms       length of a throughput round in ms (default 2000)
# --out      where the .beam goes (default: a temporary directory, removed)
#
# Both nodes are stopped by PID on every exit, and also halt on their own: the
# server when the client node goes away or after MAX_SECONDS, the client at end of
# input or after MAX_SECONDS. An epmd this script caused to start is killed when no
# other node is registered with it.
set -euo pipefail

MAX_SECONDS=${BENCH_ERLANG_MAX_SECONDS:-300}
COOKIE=nebula-bench-cookie
mode=batch rounds=5 trips=4000 callers=32 ms=2000 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --step) mode=step ;;
    --rounds) rounds=$2; shift ;;
    --trips) trips=$2; shift ;;
    --callers) callers=$2; shift ;;
    --ms) ms=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "bench_erlang: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in erl erlc epmd; do
  command -v "$tool" >/dev/null || { echo "bench_erlang: no $tool; run bench/setup.sh" >&2; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
tmp_out=""
if [ -z "$out" ]; then
  tmp_out=$(mktemp -d) out=$tmp_out
fi
mkdir -p "$out"
erlc -Werror -o "$out" "$here/bench_gs.erl" >&2

# Whether an epmd was already up decides whether we may stop it afterwards.
epmd_was_running=0
if epmd -names >/dev/null 2>&1; then epmd_was_running=1; fi
# An epmd that erl starts listens on loopback only.
export ERL_EPMD_ADDRESS=127.0.0.1

server=bench_gs_srv_$$@127.0.0.1
client=bench_gs_cli_$$@127.0.0.1
server_pid="" client_pid=""

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$client_pid"
  stop_pid "$server_pid"
  if [ "$epmd_was_running" = 0 ] && epmd -names >/dev/null 2>&1 &&
     ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  [ -z "$tmp_out" ] || rm -rf "$tmp_out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

erl_flags=(-noshell -setcookie "$COOKIE" -pa "$out"
           -kernel inet_dist_use_interface '{127,0,0,1}')

erl -name "$server" "${erl_flags[@]}" -noinput \
    -run bench_gs serve "$MAX_SECONDS" </dev/null >&2 &
server_pid=$!

# Stdin is passed on explicitly: a background job would otherwise read /dev/null.
erl -name "$client" "${erl_flags[@]}" \
    -run bench_gs client "$server" "$mode" "$trips" "$callers" "$ms" "$rounds" \
    "$MAX_SECONDS" <&0 &
client_pid=$!
status=0
wait "$client_pid" || status=$?
client_pid=""
exit "$status"
