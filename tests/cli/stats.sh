#!/usr/bin/env bash
# usage: stats.sh NEBULA CLUSTER_DB1 FREE_PORTS
#
# `nebula stats` against a live cluster: db1 alone serves the &db and &store
# APIs (api is not started), the command makes a known number of calls, and
# db1's figures, asked over the command's own connection (db1 has no
# metrics_listen), must show exactly those.
cli=$1 db1_exe=$2 free_ports=$3
. "$(dirname "$0")/lib.sh"
unset NEBULA_METRICS NEBULA_METRICS_LISTEN

addresses api@127.0.0.1 db1@127.0.0.1 db2@127.0.0.1 cold@127.0.0.1
start db1 "$db1_exe"
await '@db1'

# Nothing served yet: db1 answers, the others are not connected.
expect_lines 0 '^NODE +API +CALLS +ERRORS +P50 +P99 +SERVED +ERRORS +P50 +P99$' \
    '^db1@127\.0\.0\.1 +\(nothing counted yet\)' '^db2@127\.0\.0\.1 +\(not connected\)' \
    -- stats --wait 300

for i in 1 2 3; do expect 0 "$i" call echo_i64 "$i"; done
expect 0 '"db1@127.0.0.1"' call whoami
# A body that outlives its caller's timeout: an error for the command; db1
# runs it to its end and counts it served, with an error (cancelled: its
# caller had gone).
expect_err 2 'NB_E_TIMEOUT' call nap 300 --timeout 50

# The nap ends 300 ms after it began; it is counted then.
for i in $(seq 50); do
    run stats --wait 300 --json
    [[ "$out" == *'"api": "nap", "calls": 0, "call_errors": 0, "call_p50_s": null, "call_p99_s": null, "served": 1'* ]] && break
    sleep 0.1
done
expect_lines 0 '^db1@127\.0\.0\.1 +echo_i64 +0 +0 +- +- +3 +0 +[0-9.]+(us|ms) +[0-9.]+(us|ms)$' \
    '^db1@127\.0\.0\.1 +whoami +0 +0 +- +- +1 +0 ' \
    '^db1@127\.0\.0\.1 +nap +0 +0 +- +- +1 +1 +[0-9.]+ms +[0-9.]+ms$' \
    -- stats --wait 300
# The p50 of the 300 ms nap lies in its bucket (250 ms .. 500 ms).
run stats --wait 300 --json
if [[ "$out" =~ \"api\":\ \"nap\"[^}]*\"serve_p50_s\":\ (0\.[0-9]+) ]] &&
    awk -v v="${BASH_REMATCH[1]}" 'BEGIN { exit !(v >= 0.25 && v <= 0.5) }'; then
    echo "ok: nap p50 ${BASH_REMATCH[1]} s within its bucket"
else
    fail "stats --json: no nap serve_p50_s between 0.25 and 0.5 in: $out"
fi

# --follow: the first table since the start, the next ones per interval.
expect_lines 0 '^-- since each node started$' '^-- the last interval$' \
    '^db1@127\.0\.0\.1 +echo_i64 +0 +0 +- +- +0 +0 +- +-$' \
    -- stats --wait 300 --follow --interval 100 --count 2
expect_err 64 '--count wants a number of tables' stats --count 0
finish
