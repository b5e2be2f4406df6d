#!/usr/bin/env bash
# The main job: builds the quickstart cluster (examples/quickstart) once per
# node, prints where every API runs, and runs the three nodes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

dir=build/plain
cmake -S . -B "$dir" -DNEBULA_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target nebulac \
      quickstart_api quickstart_db quickstart_worker >/dev/null

ex=examples/quickstart
echo "== Placement (nebulac --explain)"
(cd "$ex" && "../../$dir/src/nebulac/nebulac" --topology nebula.yaml --explain \
     main.c users.c jobs.c)

echo
echo "== One binary per node"
for node in api db worker; do
  bin="$dir/examples/quickstart/quickstart_$node"
  printf '%-8s %8d bytes  store.h compiled in: %s\n' "$node" "$(stat -c %s "$bin")" \
    "$(grep -c store_get "$dir/examples/quickstart/quickstart_$node.nebula/users.c" >/dev/null \
       && echo yes || echo no)"
done
