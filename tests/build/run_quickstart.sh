#!/usr/bin/env bash
# usage: run_quickstart.sh API_BIN DB_BIN WORKER_BIN FREE_PORTS
# Runs the README's 30-second example for real: the db and worker nodes serve on
# free loopback ports, the api node calls users_find and jobs_checksum across
# them, and its output is checked. Every node is stopped by PID; waits bounded.
set -u
api=$1 db=$2 worker=$3 free_ports=$4
unset NEBULA_NODE NEBULA_LISTEN NEBULA_COOKIE_FILE NEBULA_LOG
export NEBULA_COOKIE="quickstart-$$-$RANDOM"
ports=($("$free_ports" 3))
export NEBULA_ADDRESSES="api@127.0.0.1=127.0.0.1:${ports[0]},db@127.0.0.1=127.0.0.1:${ports[1]},worker@127.0.0.1=127.0.0.1:${ports[2]}"
scratch=$(mktemp -d)
pids=()
cleanup() {
    local pid i
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

"$db" >"$scratch/db.log" 2>&1 &
pids+=($!)
"$worker" >"$scratch/worker.log" 2>&1 &
pids+=($!)
# The api node waits for &db and @worker itself (nb_await, 10 s each).
out=$(timeout 60 "$api" 2>&1)
status=$?
echo "$out"
fail=0
expect() {
    if grep -qF -- "$1" <<<"$out"; then echo "ok: $1"; else echo "FAIL: missing '$1'"; fail=1; fi
}
[ "$status" -eq 0 ] || { echo "FAIL: the api node exited $status"; fail=1; }
expect "users_find(2) -> grace"
expect "users_find(42) -> NULL"
expect "jobs_checksum -> "
expect "(NB_OK)"
if [ "$fail" -ne 0 ]; then
    echo "--- db.log"; cat "$scratch/db.log"; echo "--- worker.log"; cat "$scratch/worker.log"
fi
exit $fail
