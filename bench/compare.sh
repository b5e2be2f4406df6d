#!/usr/bin/env bash
# Compares the remote round trip of two builds of libnebula side by side in one
# run, e.g. before and after a change to the runtime:
#   bench/compare.sh BUILD_DIR_A BUILD_DIR_B [BLOCKS] [shared|static]
# Each build dir must have the bench_routing targets built (NEBULA_BUILD_BENCH=ON).
# BLOCKS (default 10) blocks of 3 rounds per side alternate A,B then B,A, so a
# busy machine slows both alike; each round is `bench_routing_client --only-rtt`
# (4000 blocking round trips, and as many raw TCP ping-pongs as the baseline).
# Prints, per side, the median of the per-round ratios nebula / raw TCP and the
# median round trips; read the ratios, not the times (bench/README.md).
set -euo pipefail
a=${1:?usage: bench/compare.sh BUILD_DIR_A BUILD_DIR_B [BLOCKS] [shared|static]}
b=${2:?usage: bench/compare.sh BUILD_DIR_A BUILD_DIR_B [BLOCKS] [shared|static]}
blocks=${3:-10}
suffix=""
[ "${4:-shared}" = static ] && suffix=_static
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for i in $(seq "$blocks"); do
  order="A B"
  [ $((i % 2)) = 0 ] && order="B A"
  for side in $order; do
    dir=$a
    [ "$side" = B ] && dir=$b
    "$dir/bench/bench_routing_client$suffix" "$dir/bench/bench_routing_server" --only-rtt \
      --rounds 3 |
      awk -v s="$side" '/^raw_rtt_ns/ { r = $2 } /^nebula_rtt_ns/ { print s, $2, r, $2 / r }' >>"$rows"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for side in A B; do
  dir=$a
  [ "$side" = B ] && dir=$b
  ratio=$(awk -v s="$side" '$1 == s { print $4 }' "$rows" | median)
  nb=$(awk -v s="$side" '$1 == s { print $2 / 1000 }' "$rows" | median)
  raw=$(awk -v s="$side" '$1 == s { print $3 / 1000 }' "$rows" | median)
  n=$(awk -v s="$side" '$1 == s' "$rows" | wc -l)
  printf '%s %-28s remote round trip / raw TCP %.3f  (nebula %.1f us, raw %.1f us, %d rounds)\n' \
    "$side" "$dir" "$ratio" "$nb" "$raw" "$n"
done
