#!/usr/bin/env bash
# usage: check_man.sh MAN_DIR NEBULAC
# The man pages format without a groff warning, and every option nebulac's
# --help lists is documented in nebulac(1): a new option without its man entry
# fails here.
set -euo pipefail
man=$1 nebulac=$2
status=0
for page in "$man"/*.[1-9]; do
  out=$(groff -man -ww -z "$page" 2>&1) || true
  if [ -n "$out" ]; then echo "FAIL: $page: $out"; status=1; else echo "ok: $(basename "$page") formats cleanly"; fi
done
# Options as --help prints them ("  --out DIR", "  -I DIR", "[--explain]").
opts=$("$nebulac" --help | grep -oE '(^|[ [])--?[A-Za-z][A-Za-z-]*' | sed -E 's/^[ [ ]*//' | sort -u)
text=$(groff -man -Tutf8 "$man/nebulac.1" 2>/dev/null | sed -e 's/.\x08//g' -e 's/‐/-/g')
for o in $opts; do
  if grep -qF -- "$o" <<<"$text"; then :; else echo "FAIL: nebulac --help lists $o, nebulac.1 does not"; status=1; fi
done
[ $status -eq 0 ] && echo "ok: nebulac.1 documents every option of nebulac --help ($(echo $opts | wc -w))"
exit $status
