#!/usr/bin/env bash
# One bounded fuzz run, as CTest starts it (tests/fuzz/CMakeLists.txt):
#   run_fuzz.sh HARNESS SEED_DIR SECONDS RSS_MB ARTIFACT_DIR [DICT]
# The seeds are copied to a scratch corpus so the run never writes into the
# repository; new inputs found during the run are dropped with it. A crash,
# leak or failed check exits non-zero and leaves the input in ARTIFACT_DIR.
set -euo pipefail
harness=$(realpath "$1") seeds=$2 seconds=$3 rss=$4 artifacts=$5 dict=${6:-}
mkdir -p "$artifacts"
# Absolute paths: a harness may change directory before libFuzzer reads them.
artifacts=$(realpath "$artifacts")
[ -z "$dict" ] || dict=$(realpath "$dict")
# Scratch files (the corpus copy, the files harnesses write) in memory when possible.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/nb_fuzz_corpus.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -R "$seeds"/. "$scratch"/
args=(-max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=10 -print_final_stats=1
      -artifact_prefix="$artifacts/")
[ -n "$dict" ] && args+=(-dict="$dict")
echo "run_fuzz: $(basename "$harness") ${args[*]} (seeds: $(ls "$seeds" | wc -l))"
"$harness" "${args[@]}" "$scratch"
