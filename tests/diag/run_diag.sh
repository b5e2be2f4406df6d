#!/usr/bin/env bash
# usage: run_diag.sh NEBULAC CASE_DIR
#
# Runs nebulac on a case that must fail and checks what a user sees: exit
# status 1, stderr exactly CASE_DIR/expected.txt, and nothing written to --out.
# CASE_DIR/args holds the arguments (OUT stands for a fresh output directory);
# CASE_DIR/cwd, when present, names the subdirectory to run in.
# UPDATE_GOLDEN=1 rewrites expected.txt from the current output.
set -u
nebulac=$1 case=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$case
[ -f "$case/cwd" ] && dir=$case/$(cat "$case/cwd")
args=$(sed "s|OUT|$tmp/out|g" "$case/args")
# shellcheck disable=SC2086
(cd "$dir" && env -u NEBULA_NODE "$nebulac" $args) >"$tmp/stdout" 2>"$tmp/stderr"
status=$?
fail=0
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$tmp/stderr" "$case/expected.txt"
    echo "updated $case/expected.txt"
fi
if [ $status -ne 1 ]; then
    echo "FAIL: exit status $status, expected 1"
    fail=1
fi
if ! diff -u "$case/expected.txt" "$tmp/stderr"; then
    echo "FAIL: diagnostics differ from $case/expected.txt (UPDATE_GOLDEN=1 to accept)"
    fail=1
fi
if [ -d "$tmp/out" ] && [ -n "$(ls -A "$tmp/out")" ]; then
    echo "FAIL: files were written despite the error:"
    ls -R "$tmp/out"
    fail=1
fi
exit $fail
