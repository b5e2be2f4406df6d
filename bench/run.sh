#!/usr/bin/env bash
# Runs the benchmarks of docs/design.md §11 in one go and prints every pair side by
# side as a ratio of medians; see bench/README.md for what each row means.
#   bench/run.sh [BUILD_DIR]      (default build/plain; builds what it needs)
# Environment: BENCH_ROUNDS (default 7) rounds per pair, BENCH_TPUT_MS (default
# 1000) length of one throughput round.
#
# Where two systems are compared (nebula and Erlang), their rounds alternate
# within this one run: a C round, then an Erlang round, and so on, so a busy
# machine slows both alike. Writes all rows, merged, to BUILD_DIR/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/plain}
rounds=${BENCH_ROUNDS:-7}
tput_ms=${BENCH_TPUT_MS:-1000}
started=$SECONDS

bench/setup.sh
cmake -S . -B "$dir" -DNEBULA_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(bench_routing_client bench_routing_client_static bench_routing_server
         bench_multicast_driver bench_multicast_s{1..8} bench_async_client bench_async_server
         bench_fresh_pages)
# The throughput bench (bench/throughput.c) is built when its target exists.
have_tput=0
build_targets=$(cmake --build "$dir" --target help 2>/dev/null || true)
if grep -qw bench_throughput_client <<<"$build_targets"; then
  have_tput=1 targets+=(bench_throughput_client bench_throughput_server)
fi
# The stream-level TLS bench (bench/stream_tls.c), when its target exists.
have_stream=0
if grep -qw bench_stream_tls <<<"$build_targets"; then
  have_stream=1 targets+=(bench_stream_tls)
fi
cmake --build "$dir" -j2 --target "${targets[@]}" >/dev/null
b=$(cd "$dir/bench" && pwd)
parts=$b/results.d
mkdir -p "$parts"
work=$(mktemp -d)
rows=$work/rows.tsv
: >"$rows"

# ---- processes driven a line at a time (C and Erlang rounds in turn) --------

declare -A step_pid step_in step_out
held_fds=()

# stepper_start NAME CMD...: runs CMD with its stdin and stdout on FIFOs held here.
# The child closes the FIFOs of earlier steppers, so each one sees end of input
# as soon as this script closes (or loses) its end.
stepper_start() {
  local name=$1 fd_in fd_out
  shift
  mkfifo "$work/$name.in" "$work/$name.out"
  (
    for fd in "${held_fds[@]}"; do eval "exec $fd>&-"; done
    exec "$@"
  ) <"$work/$name.in" >"$work/$name.out" &
  step_pid[$name]=$!
  exec {fd_in}>"$work/$name.in" {fd_out}<"$work/$name.out"
  step_in[$name]=$fd_in step_out[$name]=$fd_out
  held_fds+=("$fd_in" "$fd_out")
}

# A stepper that has quit makes the write fail (the PIPE trap below keeps the
# signal from ending this script before it can say so and clean up).
stepper_send() {
  echo "$2" 2>/dev/null >&"${step_in[$1]}" || { echo "bench: $1 has stopped" >&2; return 1; }
}

# stepper_expect NAME KEY SECONDS: prints the value of the next "KEY value" line.
stepper_expect() {
  local line
  while IFS= read -r -t "$3" -u "${step_out[$1]}" line; do
    case $line in
      "$2 "*) echo "${line#* }"; return 0 ;;
      *error*) echo "bench: $1: $line" >&2; return 1 ;;
    esac
  done
  echo "bench: $1 gave no '$2' line within $3 s" >&2
  return 1
}

# Closes our ends (end of input for the child), then waits at most 10 s for it to
# leave before it is killed; always by PID.
stepper_stop() {
  local name=$1 pid=${step_pid[$1]:-}
  [ -n "$pid" ] || return 0
  eval "exec ${step_in[$name]}>&- ${step_out[$name]}<&-"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null && sleep 1 && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  unset "step_pid[$name]"
}

cleanup() {
  for name in "${!step_pid[@]}"; do stepper_stop "$name"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap ':' PIPE

# ---- rows -------------------------------------------------------------------

median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# add_row BENCH FIGURE VALUE BASELINE UNIT GOAL: UNIT is ns or calls/s; GOAL is
# "<=X", ">=X" or "-"; the ratio is always value / baseline.
add_row() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"
}

# Rows of a bench_print JSON file (bench_util.c), all in ns with a <= goal.
add_routing_rows() {
  sed -n 's/.*"figure": "\([^"]*\)", "value_ns": \([^,]*\), "baseline_ns": \([^,]*\), .*"goal": \([0-9.]*\).*/\1\t\2\t\3\t\4/p' "$2" |
    while IFS=$'\t' read -r figure value baseline goal; do
      goal=$(awk -v g="$goal" 'BEGIN { if (g > 0) printf "<=%g", g; else print "-" }')
      add_row "$1" "$figure" "$value" "$baseline" ns "$goal"
    done
}

# ---- 1. bench_routing: local call and round trips against raw TCP ------------

for variant in shared static; do
  client=$b/bench_routing_client
  [ "$variant" = shared ] || client=$b/bench_routing_client_static
  echo "== bench_routing, libnebula $variant"
  "$client" "$b/bench_routing_server" --json "$parts/routing_$variant.json"
  add_routing_rows "routing ($variant)" "$parts/routing_$variant.json"
  echo
done

# ---- 1b. bench_multicast: NB_ALL over 8 nodes, failover, silent-peer detection --

if [ "$have_stream" = 1 ]; then
  echo "== stream ping-pong, 64-byte messages: raw TCP vs psk vs mtls, $rounds rounds in turn"
  "$b/bench_stream_tls" --rounds "$rounds" --tsv "$parts/stream_tls.tsv"
  while IFS=$'\t' read -r figure value baseline; do
    add_row "transport" "$figure" "$value" "$baseline" ns "-"
  done <"$parts/stream_tls.tsv"
  echo
fi

# ---- 1c. a real call's round trip per transport (bench/transport.sh) ---------

if grep -qw bench_transport_psk_client <<<"$build_targets"; then
  echo "== remote round trip per transport: psk and mtls vs plain, $rounds rounds in turn"
  bench/transport.sh "$dir" "$rounds" "$parts/transport.tsv"
  while IFS=$'\t' read -r figure value baseline goal; do
    add_row "transport" "$figure" "$value" "$baseline" ns "$goal"
  done <"$parts/transport.tsv"
  echo
fi

# ---- 1d. what counting metrics costs a round trip (bench/metrics.sh) ----------

echo "== remote round trip with metrics counted vs NEBULA_METRICS=off, $rounds rounds in turn"
bench/metrics.sh "$dir" "$rounds" "$parts/metrics.tsv"
while IFS=$'\t' read -r figure value baseline goal; do
  add_row "metrics" "$figure" "$value" "$baseline" ns "$goal"
done <"$parts/metrics.tsv"
echo

echo "== bench_multicast (8 serving nodes)"
"$b/bench_multicast_driver" --json "$parts/multicast.json"
add_routing_rows "multicast" "$parts/multicast.json"
echo

# ---- 2. remote round trip against Erlang gen_server:call ---------------------

echo "== remote round trip vs Erlang gen_server:call, $rounds rounds in turn"
stepper_start erlang bench/erlang/bench_erlang.sh --step --out "$b/erlang" --ms "$tput_ms"
stepper_start nebula "$b/bench_routing_client" "$b/bench_routing_server" --only-rtt \
  --rounds "$rounds" --step
otp=$(stepper_expect erlang erlang_ready 60)
nb_rtt=() raw_rtt=() erl_rtt=()
for r in $(seq "$rounds"); do
  stepper_send nebula go
  raw_rtt+=("$(stepper_expect nebula raw_rtt_ns 60)")
  nb_rtt+=("$(stepper_expect nebula nebula_rtt_ns 60)")
  stepper_send erlang rtt
  erl_rtt+=("$(stepper_expect erlang erlang_rtt_ns 60)")
  printf 'round %d: nebula %.1f us, raw TCP %.1f us, Erlang/OTP %s %.1f us\n' "$r" \
    "$(awk -v v="${nb_rtt[-1]}" 'BEGIN { print v / 1000 }')" \
    "$(awk -v v="${raw_rtt[-1]}" 'BEGIN { print v / 1000 }')" "$otp" \
    "$(awk -v v="${erl_rtt[-1]}" 'BEGIN { print v / 1000 }')"
done
stepper_stop nebula
add_row "vs Erlang" "remote round trip / Erlang gen_server:call" \
  "$(median "${nb_rtt[@]}")" "$(median "${erl_rtt[@]}")" ns "<=0.6"
add_row "vs Erlang" "raw TCP ping-pong / Erlang gen_server:call" \
  "$(median "${raw_rtt[@]}")" "$(median "${erl_rtt[@]}")" ns "-"
echo

# ---- 3. calls/s with 32 callers against Erlang's ----------------------------

echo "== calls/s, 32 callers, one serving node vs Erlang, $rounds rounds in turn"
nb_cps=() pipe_cps=() erl_cps=() hand_cps=()
for r in $(seq "$rounds"); do
  line="round $r:"
  if [ "$have_tput" = 1 ]; then
    # One C round per run of bench_throughput_client (its server included): a nebula
    # round and a pipelined raw TCP round, read back from its JSON.
    json=$parts/throughput_round$r.json
    "$b/bench_throughput_client" "$b/bench_throughput_server" --rounds 1 --ms "$tput_ms" \
      --callers 32 --json "$json" >"$parts/throughput_round$r.log"
    # The row against pipelined raw TCP, by its name (the file has several rows).
    row=$(grep -m1 '"figure": "[^"]*pipelined raw TCP"' "$json")
    nb_cps+=("$(sed 's/.*"calls_per_s": \([0-9.]*\).*/\1/' <<<"$row")")
    pipe_cps+=("$(sed 's/.*"baseline_per_s": \([0-9.]*\).*/\1/' <<<"$row")")
    # The in-process hand-off between threads (bench/handoff.h): the most calls/s
    # any library of blocking callers could make on this machine.
    row=$(grep -m1 '"figure": "[^"]*hand-off ceiling / Erlang[^"]*"' "$json")
    hand_cps+=("$(sed 's/.*"calls_per_s": \([0-9.]*\).*/\1/' <<<"$row")")
    line+=" nebula ${nb_cps[-1]} calls/s, pipelined raw TCP ${pipe_cps[-1]} msgs/s,"
    line+=" thread hand-off ${hand_cps[-1]} calls/s,"
  fi
  stepper_send erlang tput
  erl_cps+=("$(stepper_expect erlang erlang_calls_per_s 60)")
  echo "$line Erlang ${erl_cps[-1]} calls/s"
done
stepper_send erlang quit
stepper_stop erlang
if [ "$have_tput" = 1 ]; then
  add_row "vs Erlang" "calls/s 32 callers / Erlang's" \
    "$(median "${nb_cps[@]}")" "$(median "${erl_cps[@]}")" calls/s ">=5"
  add_row "throughput" "calls/s 32 callers / pipelined raw TCP" \
    "$(median "${nb_cps[@]}")" "$(median "${pipe_cps[@]}")" calls/s "-"
  add_row "vs Erlang" "calls/s 32 threads handing off in one process, no I/O / Erlang's" \
    "$(median "${hand_cps[@]}")" "$(median "${erl_cps[@]}")" calls/s "-"
else
  # HOOK: bench/throughput.c's bench_throughput_client target is not in this build;
  # once it is, the "calls/s 32 callers / Erlang's" row (goal >= 5) appears here.
  echo "HOOK: no bench_throughput_client target: the row 'calls/s 32 callers / Erlang's' is missing"
  add_row "vs Erlang" "Erlang calls/s 32 callers (C side missing)" \
    "$(median "${erl_cps[@]}")" "$(median "${erl_cps[@]}")" calls/s "-"
fi
echo

# ---- 3a. one caller's round trip against the fastest raw TCP ping-pong --------

if [ "$have_tput" = 1 ]; then
  echo "== remote round trip vs raw TCP ping-pong: blocking, both ends spinning, one CPU, $rounds rounds in turn"
  "$b/bench_throughput_client" "$b/bench_throughput_server" --rtt --rounds "$rounds" \
    --json "$parts/rtt.json" | tee "$parts/rtt.log"
  add_routing_rows "round trip" "$parts/rtt.json"
  echo
  echo "== the same with NEBULA_SPIN_US=50 on both nodes (docs/calling.md, spinning)"
  NEBULA_SPIN_US=50 "$b/bench_throughput_client" "$b/bench_throughput_server" --rtt \
    --rounds "$rounds" --json "$parts/rtt_spin.json" | tee "$parts/rtt_spin.log"
  add_routing_rows "round trip, NEBULA_SPIN_US=50" "$parts/rtt_spin.json"
  echo
fi

# ---- 3b. asynchronous calls: one thread, 256 in flight (bench/async.c) ---------

echo "== async calls: one thread, 256 in flight vs its sync calls vs pipelined raw TCP, $rounds rounds in turn"
"$b/bench_async_client" "$b/bench_async_server" --rounds "$rounds" --ms "$tput_ms" \
  --window 256 --json "$parts/async.json"
while IFS= read -r row; do
  figure=$(sed 's/.*"figure": "\([^"]*\)".*/\1/' <<<"$row")
  goal="-"
  case $figure in *"/ sync calls") goal=">=10" ;; esac
  add_row "async" "$figure" "$(sed 's/.*"calls_per_s": \([0-9.]*\).*/\1/' <<<"$row")" \
    "$(sed 's/.*"baseline_per_s": \([0-9.]*\).*/\1/' <<<"$row")" calls/s "$goal"
done < <(grep '"figure"' "$parts/async.json")
echo

# ---- 3c. cluster scale: 8, 16 and 32 nodes (bench/scale.c), absolute figures --

if grep -qw bench_scale32_driver <<<"$build_targets"; then
  echo "== cluster scale: mesh formation, idle CPU and RSS per node, round trip"
  for n in 8 16 32; do
    cmake --build "$dir" -j2 --target "bench_scale${n}_driver" >/dev/null
    "$b/bench_scale${n}_driver" "$b/bench_scale${n}_member" | tee "$parts/scale$n.txt"
  done
  echo
fi

# ---- 3d. this machine's fresh pages (bench/fresh_pages.c), under the echo rows -

echo "== 1 MiB copied into freshly mapped pages vs pages already mapped, $rounds rounds in turn"
"$b/bench_fresh_pages" --rounds "$rounds" | tee "$parts/fresh_pages.txt"
read -r _ fresh _ mapped < <(tail -n1 "$parts/fresh_pages.txt")
add_row "malloc" "1 MiB copy into fresh pages / into mapped pages" "$fresh" "$mapped" ns "-"
echo

# ---- 4. the whole table and the merged JSON ---------------------------------

echo "== all rows (median of $rounds rounds each side; ratio = value / baseline)"
awk -F'\t' -f bench/table.awk "$rows"
awk -F'\t' -v json=1 -f bench/table.awk "$rows" >"$b/results.json"
echo
echo "results: $b/results.json (per bench: $parts/)"
echo "bench run took $((SECONDS - started)) s"
