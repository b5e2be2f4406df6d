#!/usr/bin/env bash
# usage: run_readme_recipe.sh README BIN_DIR FREE_PORTS NODE...
# Runs the run recipe of README (the ```sh block right after the line
# "<!-- run recipe: ... -->") as a user would, with two changes only: its `cd`
# lines are left out (it runs in a scratch directory holding links to the
# binaries of BIN_DIR), and $NEBULA_ADDRESSES moves NODE... to free loopback
# ports (FREE_PORTS, from tests/cli), since other tests and worktrees on this
# machine may hold the topology's fixed ones. Then checks that the output holds
# the README's own "The api node prints:" lines (a ```text block), each whole,
# that the cookie file it made is mode 0600,
# and that no process of the recipe is left. Bounded: 90 s.
set -euo pipefail
readme=$1 bin_dir=$(cd "$2" && pwd) free_ports=$3
shift 3

recipe=$(awk '/<!-- run recipe:/ { armed = 1; next }
              armed && /^```sh/ { inside = 1; next }
              inside && /^```/ { exit }
              inside { print }' "$readme")
expected=$(awk '/^The api node prints:/ { armed = 1; next }
                armed && /^```text/ { inside = 1; next }
                inside && /^```/ { exit }
                inside { print }' "$readme")
[ -n "$recipe" ] || { echo "FAIL: no run recipe in $readme"; exit 1; }
[ -n "$expected" ] || { echo "FAIL: no expected output in $readme"; exit 1; }

scratch=$(mktemp -d)
pgid=
cleanup() {
  # The recipe ran in a process group of its own: whatever it left is in it.
  [ -z "$pgid" ] || kill -KILL -- "-$pgid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
for exe in "$bin_dir"/*; do
  [ -x "$exe" ] && [ -f "$exe" ] && ln -s "$exe" "$scratch/"
done

mapfile -t ports < <("$free_ports" $#)
list="" i=0
for node in "$@"; do
  list+="${list:+,}$node=127.0.0.1:${ports[i]}"
  i=$((i + 1))
done
unset NEBULA_NODE NEBULA_LISTEN NEBULA_COOKIE NEBULA_COOKIE_FILE NEBULA_LOG
export NEBULA_ADDRESSES=$list

echo "== the recipe (without its cd lines), in $scratch"
grep -v '^cd ' <<<"$recipe" | tee "$scratch/recipe.sh"
echo "== its output"
status=0
(cd "$scratch" && exec setsid timeout -k 5 90 bash -e recipe.sh) >"$scratch/out" 2>&1 &
pgid=$!
wait "$pgid" || status=$?
cat "$scratch/out"

failures=0
[ "$status" = 0 ] || { echo "FAIL: the recipe exited $status"; failures=$((failures + 1)); }
while IFS= read -r line; do
  if grep -qxF -- "$line" "$scratch/out"; then
    echo "ok: $line"
  else
    echo "FAIL: missing '$line'"
    failures=$((failures + 1))
  fi
done <<<"$expected"
mode=$(stat -c %a "$scratch/cookie" 2>/dev/null || echo none)
if [ "$mode" = 600 ] && [ "$(wc -c <"$scratch/cookie")" -ge 32 ]; then
  echo "ok: the cookie file is 0600, 32 hex characters"
else
  echo "FAIL: the cookie file is mode $mode"
  failures=$((failures + 1))
fi
if pgrep -g "$pgid" >/dev/null 2>&1; then
  echo "FAIL: the recipe left processes: $(pgrep -g "$pgid" | tr '\n' ' ')"
  failures=$((failures + 1))
else
  echo "ok: no process of the recipe is left"
fi
[ "$failures" = 0 ] && echo "quickstart recipe: all checks passed"
exit $((failures > 0))
