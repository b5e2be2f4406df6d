#!/usr/bin/env bash
# The remote round trip of a real call (routing.c's blocking bench_inc) under
# transport psk and mtls, each divided by the same under transport plain,
# measured side by side in one run (goal <= 1.25, docs/security.md):
#   bench/transport.sh [BUILD_DIR] [ROUNDS] [TSV]     (default build/plain, 7)
# The three clients (bench_transport_<t>_client, each with its own server node)
# run at once, each waiting for a line on stdin before a round; the rounds go
# plain, psk, mtls, then rotate, so a busy machine slows all three alike. Every
# round is 4000 blocking round trips after an untimed warm-up round. Prints the
# median of each and the ratios, and the CPU time the server node spent per
# call (steadier than wall-clock time on a busy machine: what TLS costs one
# side of a call); TSV, when given, gets the rows for run.sh (figure, value
# ns, baseline ns). mtls certificates are made in a temporary directory by
# scripts/make-certs.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/plain}
rounds=${2:-7}
tsv=${3:-}
cmake --build "$dir" -j2 --target bench_transport_{psk,mtls,plain}_{client,server} >/dev/null
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
scripts/make-certs.sh "$work/certs" client@127.0.0.1 server@127.0.0.1
export NEBULA_TLS_CA=$work/certs/ca.pem
export NEBULA_TLS_CERT="$work/certs/{node}.pem" NEBULA_TLS_KEY="$work/certs/{node}.key"

transports=(plain psk mtls)
for t in "${transports[@]}"; do
  mkfifo "$work/$t.in" "$work/$t.out"
  # One round more than are run: the client, still waiting for it, keeps its
  # server node up until the last round's CPU time has been read.
  "$b/bench_transport_${t}_client" "$b/bench_transport_${t}_server" --only-rtt \
    --rounds $((rounds + 1)) --step <"$work/$t.in" >"$work/$t.out" 2>"$work/$t.log" &
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
  echo "bench: the $1 client gave no '$2' line (see below)" >&2
  cat "$work/$1.log" >&2
  return 1
}

# cpu_ns T: the CPU time (ns, all threads, user and kernel, from the
# scheduler's own accounting) used so far by client T's server node: it does
# nothing but serve the round's calls, so per call it is what one side of a
# call costs. The server is the client's child with another executable (the
# raw TCP peer is a fork of the client itself).
cpu_ns() {
  local p=${pid[$1]} kids kid total=0 ns rest f
  kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
  for kid in $kids; do
    [ "$(readlink /proc/"$kid"/exe 2>/dev/null)" = "$b/bench_transport_${1}_server" ] || continue
    for f in /proc/"$kid"/task/*/schedstat; do
      read -r ns rest <"$f" 2>/dev/null && total=$((total + ns))
    done
  done
  echo "$total"
}

declare -A rtts raws cpus
for r in $(seq "$rounds"); do
  order=("${transports[@]:$((r % 3))}" "${transports[@]:0:$((r % 3))}")
  line="round $r:"
  for t in "${order[@]}"; do
    c0=$(cpu_ns "$t")
    echo go >&"${in[$t]}"
    raw=$(value "$t" raw_rtt_ns)
    nb=$(value "$t" nebula_rtt_ns)
    c1=$(cpu_ns "$t")
    rtts[$t]+="$nb "
    raws[$t]+="$raw "
    cpus[$t]+="$(((c1 - c0) / 4000)) "
    line+=$(awk -v t="$t" -v v="$nb" -v c="$(((c1 - c0) / 4000))" \
      'BEGIN { printf " %s %.1f us (server CPU %.1f us)", t, v / 1000, c / 1000 }')
  done
  echo "$line"
done

median() { # median "v1 v2 ...": the values are split on purpose
  # shellcheck disable=SC2086
  printf '%s\n' $1 | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
plain=$(median "${rtts[plain]}")
raw=$(median "${raws[plain]} ${raws[psk]} ${raws[mtls]}")
[ -z "$tsv" ] || : >"$tsv"
row() { # figure value baseline goal
  awk -v f="$1" -v v="$2" -v b="$3" -v g="$4" \
    'BEGIN { printf "%-40s %9.2f us %9.2f us  ratio %.3f  goal %s\n", f, v / 1000, b / 1000, v / b, g }'
  [ -z "$tsv" ] || printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$tsv"
}
row "remote round trip psk / plain" "$(median "${rtts[psk]}")" "$plain" "<=1.25"
row "remote round trip mtls / plain" "$(median "${rtts[mtls]}")" "$plain" "<=1.25"
row "remote round trip plain / raw TCP" "$plain" "$raw" "-"
splain=$(median "${cpus[plain]}")
row "served call CPU psk / plain" "$(median "${cpus[psk]}")" "$splain" "-"
row "served call CPU mtls / plain" "$(median "${cpus[mtls]}")" "$splain" "-"
