#!/usr/bin/env bash
# Builds one node of the shop (examples/shop) for a topology, by hand: nebulac,
# then cc. The hosts demo (scripts/run_shop_netns_demo.sh) builds its nodes with
# it, and so does deploy/docker/Dockerfile, one stage per node.
#
# usage: build_shop_node.sh SHOP_DIR TOPOLOGY NODE OUTPUT [LINK_FLAG]...
#          one node, built as NODE (short@host); LINK_FLAGs name what its tags
#          need: -lsqlite3 for the &db nodes, -lz for the &worker nodes
#        build_shop_node.sh SHOP_DIR TOPOLOGY --cli OUTPUT
#          the shop's `nebula` command (docs/cli.md): a generic build of the
#          API sources, used as a readiness probe (`nebula await`)
#
# nebulac is $NEBULAC, else the one on PATH. Where nebula.h and libnebula are:
# $NEBULA_CFLAGS and $NEBULA_LIBS, else `pkg-config --cflags/--libs nebula` (an
# installed NebulaAPI). Flags for cc: $CFLAGS (default -O2). The generated
# sources live in a scratch directory, removed at exit.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '6,11s/^# \{0,1\}//p' "$0" >&2
  exit 64
fi
shop=$(cd "$1" && pwd) topology=$2 node=$3 output=$4
shift 4
case $topology in /*) ;; *) topology=$(pwd)/$topology ;; esac
case $output in /*) ;; *) output=$(pwd)/$output ;; esac
nebulac=${NEBULAC:-nebulac}
cflags=${NEBULA_CFLAGS-$(pkg-config --cflags nebula)}
libs=${NEBULA_LIBS-$(pkg-config --libs nebula)}
gen=$(mktemp -d "${TMPDIR:-/tmp}/shop-node.XXXXXX")
trap 'rm -rf "$gen"' EXIT

cd "$shop"
# shellcheck disable=SC2086 # the flag variables hold several words
if [ "$node" = --cli ]; then
  # Every source that defines an API, and not main.c: the command brings its own.
  "$nebulac" --topology "$topology" --generic --out "$gen" users.c cache.c jobs.c health.c
  printf '#include <nebula_cli.h>\nint main(int c, char **v) { return nb_cli_main(c, v); }\n' \
    >"$gen/cli_main.c"
  cc -std=c11 ${CFLAGS:--O2} -pthread -I"$gen" -I. $cflags "$gen"/*.c \
    -lnebula_cli $libs "$@" -o "$output"
else
  "$nebulac" --topology "$topology" --node "$node" --out "$gen" \
    main.c session.c users.c cache.c jobs.c health.c
  cc -std=c11 ${CFLAGS:--O2} -pthread -I"$gen" -I. $cflags "$gen"/*.c kvmap.c \
    $libs "$@" -o "$output"
fi
