#!/usr/bin/env bash
# usage: svg.sh NEBULA TOPOLOGY V1_U1 FREE_PORTS
#
# `nebula routes --svg` with the installed nebula: the live placement drawn by
# Graphviz's dot. Exits 77 (ctest SKIP_RETURN_CODE) when dot is not installed;
# any.sh checks the DOT text itself everywhere.
cli=$1 topology=$2 v1_u1=$3 free_ports=$4
if ! command -v dot >/dev/null; then
    echo "Graphviz's dot is not installed: skipped"
    exit 77
fi
. "$(dirname "$0")/lib.sh"
export NEBULA_TOPOLOGY=$topology

addresses u1@127.0.0.1 u2@127.0.0.1 u3@127.0.0.1 old@127.0.0.1 new@127.0.0.1
start u1 "$v1_u1"
await '@u1'
# An SVG document whose text names the nodes and the APIs served, as dot drew them.
expect_lines 0 '<svg ' '>u1@127\.0\.0\.1<' '> \(connected\)<' '>changed_scale<' '>stable_add<' \
    '>reachable<' '</svg>' -- routes --svg
expect_lines 0 '<svg ' '</svg>' -- routes --format svg
# Without dot on PATH the command says what to install.
PATH=/nonexistent expect_err 64 'needs Graphviz' routes --svg
finish
