#!/usr/bin/env bash
# usage: quickstart.sh NEBULA QUICKSTART_DB QUICKSTART_WORKER FREE_PORTS
#
# The nebula command built for examples/quickstart (users_find, users_count on
# db; jobs_checksum on worker), against the real db and worker nodes.
cli=$1 db_exe=$2 worker_exe=$3 free_ports=$4
. "$(dirname "$0")/lib.sh"

addresses api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
start db "$db_exe"
db=$last_pid
start worker "$worker_exe"
await "@db"
await "@worker"

# Calls: values printed as JSON, NULL as null.
expect 0 '{"id": 2, "name": "grace"}' call users_find 2
expect 0 'null' call users_find 42
expect 0 '3' call users_count
# FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; of nothing, the offset basis.
expect 0 '12638187200555641996' call jobs_checksum text:a
expect 0 '12638187200555641996' call jobs_checksum hex:61
printf a >"$scratch/a.bin"
expect 0 '12638187200555641996' call jobs_checksum "@$scratch/a.bin"
expect 0 '14695981039346656037' call jobs_checksum hex:
expect 0 '{"id": 1, "name": "ada"}' call users_find 1 --on '@db' --timeout 2000
expect 0 'db@127.0.0.1 NB_OK {"id": 3, "name": "edsger"}' call users_find 3 --nodes '&db'
expect 0 'db@127.0.0.1 NB_OK {"id": 3, "name": "edsger"}' call users_find 3 --all

# Inspection.
expect_lines 0 '^NODE +TAGS +CONNECTED +LAST SEEN +MEMORY +THREADS +CPUS +UPTIME +LOAD +VERSION$' \
    '^api@127\.0\.0\.1 +mainframe_cluster,api +no +never( +-){6}$' \
    '^db@127\.0\.0\.1 +mainframe_cluster,db,cache +yes +[0-9.]+s ago +[0-9]+ MB .* 0\.1\.0$' \
    '^worker@127\.0\.0\.1 +cloud_worker_lambda,gpu +yes +.* 0\.1\.0$' -- nodes
expect_lines 0 '"name": "db@127\.0\.0\.1", "tags": \["mainframe_cluster", "db", "cache"\], "connected": true, .*"version": "0\.1\.0"' \
    '"name": "api@127\.0\.0\.1", .*"connected": false, "last_seen_at_ms": 0, "runtime": null' -- nodes --json
expect_lines 0 '^users_find +user_t \*users_find\(int64_t id\) +&db +db@127\.0\.0\.1 \(connected\)$' \
    '^jobs_checksum +uint64_t jobs_checksum\(nb_bytes data\) +@worker +worker@127\.0\.0\.1 \(connected\)$' -- apis

# Usage errors: exit status 64 and a message naming the problem.
expect_err 64 'users_find: argument 1 (int64_t id): "notanumber" is not an integer' \
    call users_find notanumber
expect_err 64 'out of range for int64_t' call users_find 9223372036854775808
expect_err 64 'users_find takes 1 argument(s), 0 given: user_t *users_find(int64_t id)' call users_find
expect_err 64 'no API named "users_delete"' call users_delete 1
expect_err 64 'not bytes: write hex:' call jobs_checksum 0a0b
expect_err 64 'unknown command "frobnicate"' frobnicate
expect_err 64 'must not take its name' --as db@127.0.0.1 nodes
NEBULA_NODE=worker@127.0.0.1 expect_err 64 'must not take its name' apis
expect_err 64 '--on, --nodes and --all exclude each other' call users_count --on '@db' --all
expect_lines 0 '^user_t \*users_find\(int64_t id\)$' '^  id +int64_t +an integer from' -- call users_find --help
expect_lines 0 '^usage: nebula \[--as NAME\] COMMAND' -- --help
# An api node that serves nothing may lend its name to the command.
expect 0 '3' --as api@127.0.0.1 call users_count

# Library errors: exit status 2, the code and message on stderr.
expect_err 2 'NB_E_BAD_SELECTOR' call users_count --on '&nope'
stop "$db"
expect_err 2 'NB_E_NO_WORKER' call users_find 2 --wait 300
expect_err 2 'NB_E_TIMEOUT' await '@db' --timeout 200
expect 0 '14695981039346656037' call jobs_checksum hex:
NEBULA_COOKIE=wrong-cookie-for-this-cluster expect_err 2 'NB_E_NO_WORKER' call jobs_checksum hex: --wait 300
finish
