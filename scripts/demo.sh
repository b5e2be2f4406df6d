#!/usr/bin/env bash
# The main job: the shop demo (examples/shop). Builds every node of three
# layouts of the same sources (prod: api, db, worker; staging: 2 nodes; dev: 1),
# runs each on loopback — local, remote, multicast and failover calls, each
# printed with where it ran — then shows each binary's size and linked
# libraries, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec scripts/run_shop_demo.sh "$@"
