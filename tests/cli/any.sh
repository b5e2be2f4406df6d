#!/usr/bin/env bash
# usage: any.sh NEBULA TOPOLOGY V1_U1 V2_U1 V2_U2 FREE_PORTS
#
# The installed nebula (built for no project) against the rolling-upgrade
# test's cluster (tests/cluster/upgrade.yaml): builds v1 and v2 of its APIs,
# where changed_scale gained a parameter and added_square is new. The same
# binary calls build v1, then build v2 (the new signature called, the old one
# refused), then both at once (each signature reaches the nodes serving it);
# a copy of the topology with another fingerprint is refused, with the reason.
cli=$1 topology=$2 v1_u1=$3 v2_u1=$4 v2_u2=$5 free_ports=$6
. "$(dirname "$0")/lib.sh"
export NEBULA_TOPOLOGY=$topology

addresses u1@127.0.0.1 u2@127.0.0.1 u3@127.0.0.1 old@127.0.0.1 new@127.0.0.1

# No topology: the command says how to give one.
NEBULA_TOPOLOGY= expect_err 64 'give --topology FILE' apis
expect_err 64 'cannot use the topology' --topology "$scratch/none.yaml" apis

# Build v1 on u1.
start u1 "$v1_u1"
u1=$last_pid
await '@u1'
expect_lines 0 '^changed_scale +int64_t changed_scale\(int64_t x\) +&svc +u1@127\.0\.0\.1 \(connected\)' \
    '^stable_add +int64_t stable_add\(int64_t a, int64_t b\) ' -- apis
expect 0 '70' call changed_scale 7
expect 0 '7' call stable_add 3 4
expect 0 '7' --topology "$topology" call stable_add 3 4
expect_err 64 'changed_scale takes 1 argument(s), 2 given' call changed_scale 7 2
expect_err 64 'no API named "added_square" among those the nodes described' call added_square 3
expect_err 64 'apis --offline: this command learns the APIs from the running cluster' apis --offline
stop "$u1"

# Build v2 on u1: the same binary, no rebuild.
start u1 "$v2_u1"
u1=$last_pid
await '@u1'
expect 0 '21' call changed_scale 7 3
expect 0 '9' call added_square 3
expect_err 64 'changed_scale takes 2 argument(s), 1 given: int64_t changed_scale(int64_t x, int64_t factor)' \
    call changed_scale 7
expect_lines 0 '^int64_t changed_scale\(int64_t x, int64_t factor\)$' '^  factor +int64_t ' -- \
    call changed_scale --help
stop "$u1"

# Mid-upgrade: u1 runs v1, u2 runs v2. Both signatures are listed, and each is
# routed by its wire id to the node serving it (docs/upgrades.md).
start u1 "$v1_u1"
start u2 "$v2_u2"
await '@u1'
await '@u2'
expect_lines 0 '^changed_scale +int64_t changed_scale\(int64_t x\) ' \
    '^changed_scale +int64_t changed_scale\(int64_t x, int64_t factor\) ' \
    'u1@127\.0\.0\.1 \(connected, another signature\)' -- apis
expect 0 '70' call changed_scale 7
expect 0 '21' call changed_scale 7 3
expect_lines 0 '^u1@127\.0\.0\.1 NB_OK 70$' -- call changed_scale 7 --all
expect_lines 0 '^u2@127\.0\.0\.1 NB_OK 21$' -- call changed_scale 7 3 --all
expect 0 '9' call added_square 3
expect 0 '7' call stable_add 3 4

# The live placement as DOT: one box per node, the APIs each serves, marked.
expect_lines 0 '^graph nebula \{$' '^    "u1@127\.0\.0\.1" \[label=<' \
    '<b>u1@127\.0\.0\.1</b> \(connected\)' '<b>u3@127\.0\.0\.1</b> \(down\)' \
    '>added_square</td><td align="right" bgcolor="#c8ecd0"><font point-size="9">reachable<' \
    '^\}$' -- routes --format dot
expect_err 64 '--follow redraws the text map' routes --format dot --follow
expect_err 64 '"png" is not text, dot or svg' routes --format png

# Another topology (one more tag): another fingerprint, refused by the nodes,
# and the command says so.
sed 's/"u3@127.0.0.1":  \[svc\]/"u3@127.0.0.1":  [svc, extra]/' "$topology" >"$scratch/other.yaml"
if cmp -s "$topology" "$scratch/other.yaml"; then
    fail "the copy of the topology was not changed"
fi
expect_err 2 'fingerprint' --topology "$scratch/other.yaml" call stable_add 3 4
expect_err 2 'no node is connected' --topology "$scratch/other.yaml" apis
finish
