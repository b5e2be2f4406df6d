#!/usr/bin/env bash
# The remote round trip of a real call (routing.c's blocking bench_inc) with
# metrics counted (the default) divided by the same with $NEBULA_METRICS=off,
# side by side in one run (goal <= 1.05, docs/metrics.md):
#   bench/metrics.sh [BUILD_DIR] [ROUNDS] [TSV]     (default build/plain, 7)
# Two clients (bench_routing_client, each spawning its own server node, which
# inherits its setting) run at once, each waiting for a line on stdin before a
# round; the rounds alternate on, off, then off, on, so a busy machine slows
# both alike. Every round is 4000 blocking round trips after an untimed
# warm-up. Prints the median of each side and the ratio; TSV, when given, gets
# the row for run.sh (figure, value ns, baseline ns, goal).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/plain}
rounds=${2:-7}
tsv=${3:-}
cmake --build "$dir" -j2 --target bench_routing_client bench_routing_server >/dev/null
b=$(cd "$dir/bench" && pwd)
work=$(mktemp -d)
declare -A pid in out
cleanup() {
  for t in "${!pid[@]}"; do
    eval "exec ${in[$t]}>&- ${out[$t]}<&-" 2>/dev/null || true
    kill -TERM "${pid[$t]}" 2>/dev/null || true
    wait "${pid[$t]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
unset NEBULA_METRICS_LISTEN

sides=(on off)
for t in "${sides[@]}"; do
  mkfifo "$work/$t.in" "$work/$t.out"
  setting=on
  [ "$t" = off ] && setting=off
  NEBULA_METRICS=$setting "$b/bench_routing_client" "$b/bench_routing_server" --only-rtt \
    --rounds "$rounds" --step <"$work/$t.in" >"$work/$t.out" 2>"$work/$t.log" &
  pid[$t]=$!
  exec {fi}>"$work/$t.in" {fo}<"$work/$t.out"
  in[$t]=$fi out[$t]=$fo
done

# value T KEY: the next "KEY value" line of client T (60 s at most).
value() {
  local line
  while IFS= read -r -t 60 -u "${out[$1]}" line; do
    case $line in "$2 "*) echo "${line#* }"; return 0 ;; esac
  done
  echo "bench: the metrics-$1 client gave no '$2' line (see below)" >&2
  cat "$work/$1.log" >&2
  return 1
}

declare -A rtts
for r in $(seq "$rounds"); do
  order=(on off)
  [ $((r % 2)) = 0 ] && order=(off on)
  line="round $r:"
  for t in "${order[@]}"; do
    echo go >&"${in[$t]}"
    value "$t" raw_rtt_ns >/dev/null
    nb=$(value "$t" nebula_rtt_ns)
    rtts[$t]+="$nb "
    line+=$(awk -v t="$t" -v v="$nb" 'BEGIN { printf " %s %.1f us", t, v / 1000 }')
  done
  echo "$line"
done

median() { # median "v1 v2 ...": the values are split on purpose
  # shellcheck disable=SC2086
  printf '%s\n' $1 | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
on=$(median "${rtts[on]}")
off=$(median "${rtts[off]}")
[ -z "$tsv" ] || : >"$tsv"
awk -v v="$on" -v b="$off" \
  'BEGIN { printf "%-40s %9.2f us %9.2f us  ratio %.3f  goal <=1.05\n", "remote round trip metrics on / off", v / 1000, b / 1000, v / b }'
[ -z "$tsv" ] || printf '%s\t%s\t%s\t%s\n' "remote round trip metrics on / off" "$on" "$off" "<=1.05" >>"$tsv"
