#!/usr/bin/env bash
# The shop demo (examples/shop): one set of sources, three topologies.
#
#   prod     api, db and worker, three processes; the api node runs the session,
#            then a serving node is killed (kill -9) and the next call goes to
#            another one with no timeout spent
#   staging  app and db, two processes
#   dev      one process wearing every tag: the same session, every call local
#
# Then a summary of the binaries: size and linked libraries (readelf -d), with
# SQLite in the &db nodes only and zlib in the &worker nodes only. The key lines
# of every session are checked; the exit status says whether all of them held.
#
#   scripts/run_shop_demo.sh               build (in $SHOP_BUILD_DIR, default
#                                          build/plain), then run
#   scripts/run_shop_demo.sh --no-build D  run the binaries already in D
#
# Every node listens on a free loopback port picked here ($NEBULA_ADDRESSES),
# with a fresh cookie (a 0600 file, $NEBULA_COOKIE_FILE). Every process started
# is stopped by its PID on exit, and every wait is bounded. The same session
# across separate hosts (network namespaces) is run_shop_netns_demo.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/shop_demo_lib.sh"

demo_args "$@"
demo_binaries run_shop_demo.sh shop_api shop_db shop_worker shop_staging_app shop_staging_db \
  shop_dev nebulac

# nebulac, when this is a build tree, prints where every API runs per layout.
nebulac=$bin_dir/../../src/nebulac/nebulac
explain() {
  if [ -x "$nebulac" ]; then
    echo "-- placement (nebulac --explain):"
    (cd examples/shop && "$nebulac" --topology "$1" --explain \
       main.c session.c users.c cache.c jobs.c health.c) | sed 's/^/   /'
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shop-demo.XXXXXX")
declare -A pid_of=() # node name -> PID, for the serving nodes

cleanup() {
  stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True when something listens on TCP port $1 (IPv4 or IPv6).
port_in_use() {
  local hex
  hex=$(printf ':%04X ' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" {print $2 " "}' |
    grep -q -- "$hex"
}

# Prints a free loopback port, not one handed out before in this run.
used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    if [[ $used_ports != *" $p "* ]] && ! port_in_use "$p"; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}

# Sets NEBULA_ADDRESSES for the nodes named in "$@" (short@127.0.0.1).
assign_ports() {
  local node list=""
  for node in "$@"; do
    list+="${list:+,}$node=127.0.0.1:$(free_port)"
  done
  export NEBULA_ADDRESSES=$list
}

# Stops every serving node still running (SIGTERM: a clean leave). Returns 1
# when one of them did not exit with status 0.
stop_nodes() {
  local name status=0
  for name in "${!pid_of[@]}"; do
    if ! stop_pid "${pid_of[$name]}"; then
      echo "$name did not stop cleanly:" >&2
      cat "$tmp/${name%@*}.log" >&2
      status=1
    fi
    unset "pid_of[$name]"
  done
  return "$status"
}

# Runs a session without failover: run_api <binary> <log>.
run_api() {
  local status=0
  timeout -k 5 60 "$bin_dir/$1" </dev/null 2>&1 | tee "$2" || status=$?
  return "$status"
}

unset NEBULA_NODE NEBULA_LISTEN NEBULA_ALLOW_RUNTIME_NODE_MISMATCH
new_cookie "$tmp/cookie"

# --- prod ---------------------------------------------------------------------
echo
echo "== prod (nebula.yaml): api, db and worker, three processes"
explain nebula.yaml
assign_ports api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
export SHOP_DB="$tmp/prod.db"
prod_status=0
if start_node db@127.0.0.1 shop_db && start_node worker@127.0.0.1 shop_worker; then
  run_session "$tmp/prod.out" kill_node "$bin_dir/shop_api" --failover || prod_status=$?
else
  prod_status=1
fi
stop_nodes || prod_status=1
touch "$tmp/prod.out"

# --- staging ------------------------------------------------------------------
echo
echo "== staging (nebula.staging.yaml): app and db, two processes"
explain nebula.staging.yaml
assign_ports app@127.0.0.1 db@127.0.0.1
export SHOP_DB="$tmp/staging.db"
staging_status=0
if start_node db@127.0.0.1 shop_staging_db; then
  run_api shop_staging_app "$tmp/staging.out" || staging_status=$?
else
  staging_status=1
fi
stop_nodes || staging_status=1
touch "$tmp/staging.out"

# --- dev ----------------------------------------------------------------------
echo
echo "== dev (nebula.dev.yaml): one process wearing every tag"
explain nebula.dev.yaml
assign_ports dev@127.0.0.1
export SHOP_DB="$tmp/dev.db"
dev_status=0
run_api shop_dev "$tmp/dev.out" || dev_status=$?

# --- the binaries -------------------------------------------------------------
echo
echo "== One binary per node: size and linked libraries (readelf -d, NEEDED)"
for exe in "${targets[@]}"; do
  libs=$(readelf -d "$bin_dir/$exe" 2>&1 | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
         tr '\n' ' ') || libs="(not an ELF executable)"
  printf '  %-18s %8d bytes  %s\n' "$exe" "$(stat -c %s "$bin_dir/$exe")" "$libs"
done

# --- checks -------------------------------------------------------------------
needs() { readelf -d "$bin_dir/$1" | grep NEEDED | grep -q "$2"; }
lacks() { # binary $1: no library $2 among NEEDED, no dynamic symbol matching $3
  ! needs "$1" "$2" && ! nm -D "$bin_dir/$1" 2>/dev/null | grep -qE "$3"
}
names_only() { # the node names log $1 mentions are exactly $2
  [ "$(grep -o '[a-z_]*@127\.0\.0\.1' "$1" | sort -u | tr '\n' ' ')" = "$2 " ]
}
calls() { # the calls a session made, in order, up to the failover step
  sed '/^== failover/q' "$1" | sed -nE 's/^  NB_[A-Z_]+ +[a-z&! ]+ +[0-9.]+ ms  ([^=:]*).*/\1/p'
}
same_calls() { # logs $1 and $2 made the same calls, and at least one
  [ -n "$(calls "$1")" ] && [ "$(calls "$1")" = "$(calls "$2")" ]
}
all_local() { # log $1 has local calls and no remote ones
  grep -q '^  NB_OK  local ' "$1" && ! grep -q remote "$1"
}
p=$tmp/prod.out s=$tmp/staging.out d=$tmp/dev.out

echo
echo "== Checks"
check "prod: every process exited 0" [ "$prod_status" = 0 ]
check_prod_session "$p" worker@127.0.0.1
check "staging: every process exited 0" [ "$staging_status" = 0 ]
check "staging: users are remote" grep -qE '^  NB_OK  remote &db .* users_get\(2\)' "$s"
check "staging: the job ran on app" grep -q 'by app@127.0.0.1' "$s"
check "dev: the process exited 0" [ "$dev_status" = 0 ]
check "dev: every call local (no remote placement)" all_local "$d"
check "dev: every answer from dev@127.0.0.1" names_only "$d" dev@127.0.0.1
check "dev: the same calls as prod, in the same order" same_calls "$p" "$d"
for exe in shop_db shop_staging_db shop_dev; do
  check "$exe links libsqlite3" needs "$exe" libsqlite3
done
for exe in shop_api shop_worker shop_staging_app; do
  check "$exe has no trace of SQLite" lacks "$exe" libsqlite3 ' sqlite3_'
done
for exe in shop_api shop_db shop_staging_db; do
  check "$exe has no trace of zlib" lacks "$exe" libz ' (compress2|crc32)$'
done

echo
if [ "$failures" = 0 ]; then
  echo "shop demo: all checks passed"
else
  echo "shop demo: $failures check(s) FAILED (node logs follow)"
  for f in "$tmp"/*.log; do
    echo "--- $f"
    tail -n 20 "$f"
  done
  exit 1
fi
