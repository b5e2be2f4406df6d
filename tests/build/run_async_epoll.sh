#!/usr/bin/env bash
# usage: run_async_epoll.sh LOOP_BIN KV_BIN FREE_PORTS
# Runs examples/async_epoll for real: the kv node serves on a free loopback port,
# the loop node keeps 4096 calls in flight through their descriptors in one epoll
# set until 100000 are done, and checks every value itself (exit 0 only when
# none failed and none was wrong). Waits bounded.
loop=$1 kv_exe=$2 free_ports=$3
. "$(dirname "$0")/../cli/lib.sh"

addresses loop@127.0.0.1 kv@127.0.0.1
start kv "$kv_exe"
out=$(timeout 120 "$loop" --calls 100000 --in-flight 4096 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "the loop node exited $status"
if grep -qE "^calls 100000, in flight 4096, failed 0, wrong 0," <<<"$out"; then
    echo "ok: 100000 calls, 4096 in flight, none failed or wrong"
else
    fail "unexpected summary"
fi
finish
