#!/usr/bin/env bash
# usage: run_golden.sh NEBULAC CC NEBULA_INCLUDE_DIR CASE_DIR
#
# Runs nebulac on a golden case for every node the case lists and compares the
# output tree (plus a path-normalised depfile) with CASE_DIR/expected/<node>/.
# Also checks that two runs are byte-identical, that every generated .c
# compiles warning-free as C11, and compares --explain with expected/explain.txt
# (and --explain --format=dot with expected/explain.dot where the case has one).
# UPDATE_GOLDEN=1 rewrites the expected files.
#
# CASE_DIR/case.conf (bash) sets:
#   SOURCES="main.c users.c"   the sources, relative to the case directory
#   FLAGS="-I include"         more nebulac arguments (optional)
#   NODES="api@a db@b"         the nodes to build; nonode@nohost builds without --node
set -u
nebulac=$1 cc=$2 incdir=$3 case=$4
FLAGS=""
# shellcheck source=/dev/null
. "$case/case.conf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cflags=(-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror)

build() { # build NODE OUTDIR
    local node=$1 out=$2 nodeflag=()
    [ "$node" != nonode@nohost ] && nodeflag=(--node "$node")
    # shellcheck disable=SC2086
    (cd "$case" && env -u NEBULA_NODE "$nebulac" --topology nebula.yaml "${nodeflag[@]}" \
        --out "$out" --depfile "$out.d" $FLAGS $SOURCES) || return 1
    # Generated code's #line names the output itself, an absolute path.
    find "$out" -type f \( -name '*.c' -o -name '*.h' \) -exec sed -i "s|$out/|<out>/|g" {} +
}

# --explain needs no node and writes nothing: the placement on every node.
# shellcheck disable=SC2086
(cd "$case" && env -u NEBULA_NODE "$nebulac" --topology nebula.yaml --explain $FLAGS $SOURCES) \
    > "$tmp/explain.txt"
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    mkdir -p "$case/expected"
    cp "$tmp/explain.txt" "$case/expected/explain.txt"
elif ! diff -u "$case/expected/explain.txt" "$tmp/explain.txt"; then
    echo "FAIL: --explain output differs from $case/expected/explain.txt"
    fail=1
fi

# --format=dot, when the case has an expected graph: the same bytes every run;
# --format=svg draws it through Graphviz's dot, or says clearly that dot is missing.
if [ -f "$case/expected/explain.dot" ]; then
    explain() { # explain FORMAT [ENV...]
        local format=$1; shift
        # shellcheck disable=SC2086
        (cd "$case" && env -u NEBULA_NODE "$@" "$nebulac" --topology nebula.yaml --explain \
            --format="$format" $FLAGS $SOURCES)
    }
    explain dot > "$tmp/explain.dot"
    explain dot > "$tmp/explain2.dot"
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$tmp/explain.dot" "$case/expected/explain.dot"
    elif ! diff -u "$case/expected/explain.dot" "$tmp/explain.dot"; then
        echo "FAIL: --explain --format=dot differs from $case/expected/explain.dot"
        fail=1
    fi
    if ! cmp -s "$tmp/explain.dot" "$tmp/explain2.dot"; then
        echo "FAIL: two runs of --format=dot differ"
        fail=1
    fi
    if command -v dot >/dev/null; then
        if ! explain svg > "$tmp/explain.svg" || ! grep -q '<svg' "$tmp/explain.svg" ||
            ! grep -q 'users_find' "$tmp/explain.svg"; then
            echo "FAIL: --format=svg did not draw the graph"
            fail=1
        fi
    fi
    mkdir -p "$tmp/nodot"
    explain svg PATH="$tmp/nodot" > "$tmp/nodot.out" 2> "$tmp/nodot.err"
    if [ $? -ne 1 ] || ! grep -q "needs Graphviz's dot on PATH" "$tmp/nodot.err" || [ -s "$tmp/nodot.out" ]; then
        echo "FAIL: --format=svg without dot on PATH: wanted exit 1 and a clear error, got:"
        cat "$tmp/nodot.err"
        fail=1
    fi
fi

for node in $NODES; do
    out=$tmp/$node
    if ! build "$node" "$out"; then
        echo "FAIL: nebulac exited non-zero for $node"
        fail=1
        continue
    fi
    # The depfile holds absolute paths: make them relative to the case and the output.
    sed -e "s|$out/|<out>/|g" -e "s|$(cd "$case" && pwd -P)/|<case>/|g" "$out.d" > "$out/nebula.d"

    build "$node" "$tmp/again-$node" >/dev/null 2>&1
    if ! diff -r -x nebula.d "$out" "$tmp/again-$node" >/dev/null; then
        echo "FAIL: two runs for $node differ"
        fail=1
    fi

    incs=(-I "$out" -I "$case" -I "$incdir")
    for f in $FLAGS; do
        case $f in -I) ;; *) [ -d "$case/$f" ] && incs+=(-I "$out/$f" -I "$case/$f") ;; esac
    done
    while IFS= read -r -d '' src; do
        if ! "$cc" "${cflags[@]}" "${incs[@]}" -I "$(dirname "$src")" -fsyntax-only "$src"; then
            echo "FAIL: ${src#"$out"/} ($node) does not compile cleanly"
            fail=1
        fi
    done < <(find "$out" -name '*.c' -print0 | sort -z)

    # A rewritten include that names its original header exactly holds the
    # case's absolute path: normalised once the output has been compiled.
    find "$out" -type f \( -name '*.c' -o -name '*.h' \) \
        -exec sed -i "s|$(cd "$case" && pwd -P)/|<case>/|g" {} +
    expected=$case/expected/$node
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        rm -rf "$expected"
        mkdir -p "$(dirname "$expected")"
        cp -r "$out" "$expected"
        echo "updated $expected"
    elif ! diff -ru "$expected" "$out"; then
        echo "FAIL: output for $node differs from $expected (UPDATE_GOLDEN=1 to accept)"
        fail=1
    fi
done
exit $fail
