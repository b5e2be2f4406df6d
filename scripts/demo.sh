#!/usr/bin/env bash
# The main job: the shop demo (examples/shop).
#
#   scripts/demo.sh          builds every node of three layouts of the same
#                            sources (prod: api, db, worker; staging: 2 nodes;
#                            dev: 1), runs each on loopback — local, remote,
#                            multicast and failover calls, each printed with
#                            where it ran — then shows each binary's size and
#                            linked libraries, and stops everything it started
#                            (scripts/run_shop_demo.sh)
#   scripts/demo.sh --hosts  the prod layout across three hosts: each node in a
#                            network namespace of its own, with its own address,
#                            the same session and checks, then a network
#                            partition of a serving node. Root only
#                            (scripts/run_shop_netns_demo.sh)
#   scripts/demo.sh --mtls   the prod layout under transport: mtls, with a CA
#                            and node certificates made for the run, then an
#                            impostor refused (scripts/run_shop_mtls_demo.sh)
#
# Any further argument is passed on (--no-build DIR: use binaries already built).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --hosts ]; then
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh --hosts needs root: it creates network namespaces, a bridge and iptables" >&2
    echo "rules. Run it as root (sudo scripts/demo.sh --hosts); nothing was done." >&2
    exit 77
  fi
  scripts/setup.sh iproute2 iptables # ip and ss; iptables for the partition
  exec scripts/run_shop_netns_demo.sh "$@"
fi
scripts/setup.sh
if [ "${1:-}" = --mtls ]; then
  shift
  exec scripts/run_shop_mtls_demo.sh "$@"
fi
exec scripts/run_shop_demo.sh "$@"
