#!/bin/sh
# usage: collect_libs.sh DEST BINARY...
# Copies into DEST the shared libraries the BINARYs load (as ldd resolves them,
# dependencies of dependencies included), under their sonames, except glibc's
# own, which every Debian image has. deploy/docker/Dockerfile puts DEST on the
# runtime image's LD_LIBRARY_PATH. Prints what it copied.
set -eu
dest=$1
shift
mkdir -p "$dest"
# Not in a pipeline: a binary ldd cannot read is an error, not a shorter list.
deps=$(for bin in "$@"; do
  ldd "$bin" || { echo "collect_libs.sh: ldd $bin failed" >&2; exit 1; }
done) || exit 1
printf '%s\n' "$deps" | awk '$2 == "=>" && $3 ~ /\// { print $3 }' | sort -u | while read -r lib; do
  case ${lib##*/} in
    ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*) ;;
    *) cp -L "$lib" "$dest/${lib##*/}" && echo "$dest/${lib##*/}" ;;
  esac
done
