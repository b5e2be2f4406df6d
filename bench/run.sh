#!/usr/bin/env bash
# Runs the benchmarks of SPEC.md section 11 and prints each pair side by side as
# a ratio; writes the same rows as JSON into build/plain/bench/results*.json.
#   bench/run.sh [BUILD_DIR]      (default build/plain; builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/plain}
scripts/setup.sh
cmake -S . -B "$dir" -DNEBULA_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target bench_routing_client \
      bench_routing_client_static bench_routing_server >/dev/null
b=$dir/bench
echo "== libnebula.so (the default link)"
"$b/bench_routing_client" "$b/bench_routing_server" --json "$b/results.json"
echo
echo "== libnebula.a (STATIC)"
"$b/bench_routing_client_static" "$b/bench_routing_server" --json "$b/results_static.json"
