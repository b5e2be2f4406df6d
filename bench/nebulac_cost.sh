#!/usr/bin/env bash
# usage: bench/nebulac_cost.sh [NEBULAC] [SIZE_MB]
#
# nebulac's cost next to the C preprocessor's on the same large input: a
# generated source of about SIZE_MB megabytes (default 32) of ordinary C (no
# system headers, so both read exactly the same text), with one NB_API among
# thousands of plain functions and #if blocks. Both run BENCH_ROUNDS times
# (default 5), interleaved; the medians are printed side by side with their
# ratio, like the other bench rows (bench/README.md), and nebulac's peak memory
# as a multiple of the input's size (goal: time ratio <= 1, memory <= 10x).
set -eu
nebulac=$(realpath "${1:-build/plain/src/nebulac/nebulac}")
size_mb=${2:-32}
rounds=${BENCH_ROUNDS:-5}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/nebula.yaml" <<'EOF'
nodes:
  "a@a.example": [front]
  "b@b.example": [db]
EOF
# One block, about 400 bytes; repeated until the file has the size asked for.
awk -v mb="$size_mb" 'BEGIN {
    print "typedef long i64;"
    print "NB_API(\"&db\") long bench_api(long x) { return x + 1; }"
    print "int main(void) { return nb_start(0); }"
    n = mb * 2600
    for (i = 0; i < n; i++) {
        printf "/* block %d: a comment, a conditional, a function */\n", i
        printf "#if BENCH_LEVEL > %d\n#define BENCH_M%d(x) ((x) * %d)\n#else\n#define BENCH_M%d(x) (x)\n#endif\n", i % 7, i, i, i
        printf "static i64 bench_f%d(i64 a, i64 b)\n{\n    i64 s = 0;\n", i
        printf "    for (i64 k = 0; k < a; k++) {\n        s += BENCH_M%d(k) ^ (b << 3);\n", i
        printf "        if (s > %d) { s -= a * b; }\n    }\n", i * 31
        printf "    return s + (i64)\"string %d\"[0];\n}\n", i
        printf "i64 bench_g%d(void);\ni64 bench_g%d(void) { return bench_f%d(%d, 2); }\n\n", i, i, i, i % 100
    }
}' > "$tmp/big.c"
# nebula.h stands in as an empty header: cc -E then reads what nebulac reads.
mkdir -p "$tmp/inc" && : > "$tmp/inc/nebula.h"
bytes=$(stat -c %s "$tmp/big.c")

run_cc() { "$cc" -E -DBENCH_LEVEL=3 -I "$tmp/inc" "$tmp/big.c" > /dev/null; }

cc_times=() nbc_times=() peak_kb=0
for r in $(seq "$rounds"); do
    t0=$(date +%s%N); run_cc; t1=$(date +%s%N)
    cc_times+=($(( (t1 - t0) / 1000000 )))
    t0=$(date +%s%N)
    if ! (cd "$tmp" && /usr/bin/time -o mem -f %M "$nebulac" --topology nebula.yaml --node a@a.example \
            -DBENCH_LEVEL=3 --out out big.c > /dev/null 2> err); then
        cat "$tmp/err"
        exit 1
    fi
    t1=$(date +%s%N)
    kb=$(tail -1 "$tmp/mem")
    nbc_times+=($(( (t1 - t0) / 1000000 )))
    [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cc_ms=$(median "${cc_times[@]}")
nbc_ms=$(median "${nbc_times[@]}")
printf '%-34s %10s %10s %8s %6s\n' row value baseline ratio goal
printf '%-34s %8sms %8sms %8s %6s\n' "nebulac / cc -E ($((bytes / 1048576)) MB)" "$nbc_ms" "$cc_ms" \
    "$(awk -v a="$nbc_ms" -v b="$cc_ms" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')" "<= 1"
printf '%-34s %8sMB %8sMB %8s %6s\n' "nebulac peak memory / input" "$((peak_kb / 1024))" \
    "$((bytes / 1048576))" "$(awk -v a="$peak_kb" -v b="$bytes" 'BEGIN { printf "%.1f", a * 1024 / b }')" "<= 10"
