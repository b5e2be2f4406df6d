#!/usr/bin/env bash
# usage: run_pair.sh A_EXE B_EXE FREE_PORTS
# One corpus idiom as a real 2-node cluster: b serves on a free loopback port,
# a calls it and checks the answers came from b (see main.c). Nodes are started
# and stopped by PID with the nebula command tests' helpers (tests/cli/lib.sh).
a_exe=$1 b_exe=$2 free_ports=$3
. "$(dirname "$0")/../cli/lib.sh"

addresses a@127.0.0.1 b@127.0.0.1
start b "$b_exe"
out=$(timeout 60 "$a_exe" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "node a exited $status (wanted both answers from b)"
finish
