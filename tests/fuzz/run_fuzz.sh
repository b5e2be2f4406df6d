#!/usr/bin/env bash
# One bounded fuzz run, as CTest starts it (tests/fuzz/CMakeLists.txt):
#   run_fuzz.sh HARNESS SEED_DIR SECONDS RSS_MB ARTIFACT_DIR [dict=FILE] [tree=DIR:EXT,...]...
# The seeds are copied to a scratch corpus so the run never writes into the
# repository; new inputs found during the run are dropped with it. A crash,
# leak or failed check exits non-zero and leaves the input in ARTIFACT_DIR.
#   dict=FILE          a libFuzzer dictionary
#   tree=DIR:EXT,...   also seeds: every file under DIR whose name ends with one
#                      of the EXTs, up to 8 KiB (the repository's own topologies
#                      and sources are read where they are, not copied into the
#                      committed corpus)
set -euo pipefail
harness=$(realpath "$1") seeds=$2 seconds=$3 rss=$4 artifacts=$5
shift 5
mkdir -p "$artifacts"
# Absolute paths: a harness may change directory before libFuzzer reads them.
artifacts=$(realpath "$artifacts")
# Scratch files (the corpus copy, the files harnesses write) in memory when possible.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/nb_fuzz_corpus.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -R "$seeds"/. "$scratch"/
args=(-max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=10 -print_final_stats=1
      -artifact_prefix="$artifacts/")
for extra in "$@"; do
  case "$extra" in
    dict=*) args+=(-dict="$(realpath "${extra#dict=}")") ;;
    tree=*)
      spec=${extra#tree=} dir=${spec%:*}
      IFS=, read -r -a exts <<<"${spec##*:}"
      [ -d "$dir" ] || { echo "run_fuzz: no seed directory $dir" >&2; exit 2; }
      while IFS= read -r -d '' f; do
        for e in "${exts[@]}"; do
          if [[ "$f" == *"$e" ]] && [ "$(stat -c %s "$f")" -le 8192 ]; then
            rel=${f#"$dir"/}
            cp "$f" "$scratch/tree-$(basename "$dir")-${rel//\//_}"
          fi
        done
      done < <(find "$dir" -type f -print0 | sort -z) ;;
    *) echo "run_fuzz: unknown argument '$extra'" >&2; exit 2 ;;
  esac
done
echo "run_fuzz: $(basename "$harness") ${args[*]} (seeds: $(ls "$scratch" | wc -l))"
"$harness" "${args[@]}" "$scratch"
