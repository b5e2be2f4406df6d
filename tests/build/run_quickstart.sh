#!/usr/bin/env bash
# usage: run_quickstart.sh API_BIN DB_BIN WORKER_BIN FREE_PORTS
# Runs the README's 30-second example for real: the db and worker nodes serve on
# free loopback ports, the api node calls users_find and jobs_checksum across
# them, and its output is checked. Nodes are started, and stopped by PID, with
# the helpers of the nebula command's tests (tests/cli/lib.sh); waits bounded.
api=$1 db_exe=$2 worker_exe=$3 free_ports=$4
. "$(dirname "$0")/../cli/lib.sh"

addresses api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
start db "$db_exe"
start worker "$worker_exe"
# The api node waits for &db and @worker itself (nb_await, 10 s each).
out=$(timeout 60 "$api" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "the api node exited $status"
for line in "users_find(2) -> grace" "users_find(42) -> NULL" "jobs_checksum -> " "(NB_OK)"; do
    if grep -qF -- "$line" <<<"$out"; then echo "ok: $line"; else fail "missing '$line'"; fi
done
finish
