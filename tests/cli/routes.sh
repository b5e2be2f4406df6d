#!/usr/bin/env bash
# usage: routes.sh NEBULA QUICKSTART_DB FREE_PORTS
#
# `nebula routes` for examples/quickstart (users_* on db, jobs_checksum on
# worker) against a live cluster where db is up and worker is down (never
# started), then with db stopped too.
cli=$1 db_exe=$2 free_ports=$3
. "$(dirname "$0")/lib.sh"

addresses api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
start db "$db_exe"
db=$last_pid
await "@db"

# The map as built: a mark where the API is local, rail elsewhere. Output that
# is not a terminal has no colour.
head='API            SELECTOR   api@127.0.0.1   db@127.0.0.1   worker@127.0.0.1'
static="$head
jobs_checksum  @worker   ---------------------------------------o--------
users_count    &db       ----------------------o-------------------------
users_find     &db       ----------------------o-------------------------
o local on that node (a call there is a direct C call)  - remote from that node"
expect 0 "$static" routes
expect 0 "$static" routes --no-color --sort name

# Colour only on a terminal (script(1) gives the command one), never with
# --no-color or $NO_COLOR.
if command -v script >/dev/null; then
    esc=$'\033['
    t1=$(script -qec "'$cli' routes" /dev/null </dev/null)
    t2=$(script -qec "'$cli' routes --no-color" /dev/null </dev/null)
    t3=$(NO_COLOR=1 script -qec "'$cli' routes" /dev/null </dev/null)
    if [[ "$t1" == *"$esc"* && "$t2" != *"$esc"* && "$t3" != *"$esc"* && "$t2" == *users_find* ]]; then
        echo "ok: colour on a terminal only, not with --no-color or NO_COLOR"
    else
        fail "routes on a terminal: colour expected, none with --no-color or NO_COLOR"
    fi
fi

# By locality: grouped by the first node serving them (db before worker).
expect_lines 0 '^users_count ' -- routes --sort locality
if [ "$(sed -n 2p <<<"$out")" != "users_count    &db       ----------------------o-------------------------" ] ||
    [ "$(sed -n 4p <<<"$out")" != "jobs_checksum  @worker   ---------------------------------------o--------" ]; then
    fail "routes --sort locality: users_* first, then jobs_checksum"
fi

# Live: db reachable, worker down (configured, never connected).
legend='@ local here  * reachable  w worker down  x node down  ? unknown  - not served'
live_up="$head
jobs_checksum  @worker   ---------------------------------------x--------
users_count    &db       ----------------------*-------------------------
users_find     &db       ----------------------*-------------------------
$legend"
expect 0 "$live_up" routes --available --wait 3000

# Worker down: a node connected under worker's name that does not serve
# jobs_checksum (db's binary run as a generic node, docs/calling.md).
NEBULA_NODE=worker@127.0.0.1 NEBULA_ALLOW_RUNTIME_NODE_MISMATCH=1 start worker "$db_exe"
impostor=$last_pid
await "@worker"
expect 0 "$head
jobs_checksum  @worker   ---------------------------------------w--------
users_count    &db       ----------------------*-------------------------
users_find     &db       ----------------------*-------------------------
$legend" routes --available --wait 3000
stop "$impostor"

# The node the command runs as stands out ('>' before its name).
expect_lines 0 '^API +SELECTOR +>api@127\.0\.0\.1 +db@127\.0\.0\.1 +worker@127\.0\.0\.1$' -- \
    --as api@127.0.0.1 routes --available --wait 3000

# --follow: frames until --count, separated by a blank line.
run routes --follow --count 2 --interval 50 --wait 3000
frames=$(grep -c '^API ' <<<"$out")
if [ "$status" = 0 ] && [ "$frames" = 2 ] && [ "$out" = "$live_up

$live_up" ]; then
    echo "ok: nebula routes --follow --count 2"
else
    fail "routes --follow --count 2: wanted two frames of the live map"
fi
# --follow without --count stops on SIGINT (bounded: the test waits 10 s at most).
"$cli" routes --follow --interval 50 --wait 500 >"$scratch/follow.out" 2>&1 &
follower=$!
for i in $(seq 100); do grep -q '^users_find' "$scratch/follow.out" && break; sleep 0.1; done
kill -INT "$follower"
for i in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$follower" 2>/dev/null; then
    kill -KILL "$follower"
    fail "routes --follow did not stop on SIGINT"
else
    wait "$follower"
    rc=$?
    if [ "$rc" = 0 ] && grep -q '^users_find' "$scratch/follow.out"; then
        echo "ok: routes --follow stops on SIGINT"
    else
        fail "routes --follow: exit status $rc after SIGINT"
    fi
fi

# db stopped: every mark is a node down.
stop "$db"
expect 0 "$head
jobs_checksum  @worker   ---------------------------------------x--------
users_count    &db       ----------------------x-------------------------
users_find     &db       ----------------------x-------------------------
$legend" routes --available --wait 300

# Usage errors.
expect_err 64 '--sort: "size" is not name or locality' routes --sort size
expect_err 64 '--count goes with --follow' routes --count 2
expect_err 64 'routes: unexpected "--frobnicate"' routes --frobnicate
expect_lines 0 '^usage: nebula routes ' -- help routes
finish
