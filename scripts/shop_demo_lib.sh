# shellcheck shell=bash
# What the shop demos share (sourced, not run): run_shop_demo.sh and
# run_shop_mtls_demo.sh run the cluster on loopback, run_shop_netns_demo.sh in
# network namespaces. They start processes, track them by PID, drive the api
# node's session and check its lines with the functions below. The caller sets
# $tmp (a scratch directory it removes) before using the ones that write files.

declare -A running=() # every PID the demo started and has not reaped yet
failures=0

# Stops pid (SIGTERM, then SIGKILL after 5 s) and reaps it. Returns its status.
# A reaped PID is forgotten at once: the system may give it to another process.
stop_pid() {
  local pid=$1 i status=0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || status=$?
  unset "running[$pid]"
  return "$status"
}

# demo_args "$@": reads a demo's arguments, [--no-build] [DIR]. Sets $build (0
# with --no-build, else 1) and $bin_dir (DIR made absolute, or empty), then
# changes to the repository's root.
demo_args() {
  build=1
  if [ "${1:-}" = --no-build ]; then
    build=0
    shift
  fi
  bin_dir=${1:-}
  if [ -n "$bin_dir" ] && [ -d "$bin_dir" ]; then
    bin_dir=$(cd "$bin_dir" && pwd) # it was given relative to the caller's directory
  fi
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
}

# demo_binaries <demo> <target>...: unless --no-build was given, builds the
# targets in $SHOP_BUILD_DIR (default build/plain) and sets $bin_dir to its
# examples/shop; then checks $bin_dir holds the first target, or exits 2.
demo_binaries() {
  local demo=$1 dir
  shift
  if [ "$build" = 1 ]; then
    dir=${SHOP_BUILD_DIR:-build/plain}
    echo "== Building $* in $dir"
    cmake -S . -B "$dir" >/dev/null
    cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target "$@" >/dev/null
    bin_dir=${bin_dir:-$(cd "$dir" && pwd)/examples/shop}
  fi
  if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/$1" ]; then
    echo "$demo: no $1 in '${bin_dir}' (usage: $demo [--no-build DIR])" >&2
    exit 2
  fi
}

# On loopback: start_node <name> <binary> [log] starts a serving node from
# $bin_dir in the background, its output in $tmp/<log>.log (default: the
# name's short part), and waits (at most 10 s) until it says it is serving, so
# start order is registration order. Its PID goes to pid_of[<name>], which the
# caller declares (declare -A pid_of=()).
start_node() {
  local name=$1 exe=$2 log="$tmp/${3:-${1%@*}}.log"
  "$bin_dir/$exe" >"$log" 2>&1 &
  pid_of[$name]=$!
  running[$!]=1
  wait_for_line "$log" serving "${pid_of[$name]}" 100 && return 0
  echo "$name did not start:" >&2
  cat "$log" >&2
  return 1
}

# The run_session handler of a loopback failover: on READY_FOR_FAILOVER,
# kill -9 the node the api named ($2), wait until it is gone, and say so on
# stdout and in log $3. Sets $killed to its name.
kill_node() {
  local name=$2 log=$3 pid=${pid_of[$2]:-}
  [ "$1" = READY_FOR_FAILOVER ] || return 1
  if [ -z "$pid" ]; then
    echo "   [demo] $name is not a node this script started" | tee -a "$log"
    return 1
  fi
  echo "   [demo] kill -9 $name (pid $pid): a crash, not a clean leave" | tee -a "$log"
  killed=$name
  # SIGKILL cannot be caught, so this wait is short; waiting at once also keeps
  # bash from announcing "Killed" later.
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "running[$pid]" "pid_of[$name]"
}

# Stops every process still running.
stop_all() {
  local pid
  for pid in "${!running[@]}"; do
    stop_pid "$pid" || true
  done
}

# Writes a new cookie file (32 random hex characters, mode 0600) to $1 and
# exports NEBULA_COOKIE_FILE for every node started afterwards.
new_cookie() {
  (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$1")
  export NEBULA_COOKIE_FILE=$1
  unset NEBULA_COOKIE
}

# wait_for_line <file> <text> <pid> <tenths>: waits until file holds text,
# at most <tenths> tenths of a second and no longer than pid lives.
wait_for_line() {
  local file=$1 text=$2 pid=$3 i
  for ((i = 0; i < $4; i++)); do
    grep -qsF -- "$text" "$file" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qsF -- "$text" "$file"
}

# run_session <log> <handler> <command>...: runs the api node's session with
# its stdin on a pipe and prints its output, also into <log>. The lines the
# session addresses to the demo (READY_FOR_FAILOVER <node>, READY_FOR_PARTITION
# <node>, READY_TO_HEAL <node>) are not printed: <handler> TAG NODE LOG is called
# for each, prints what the demo did, and a line is written back. The session
# has 120 s, and 60 s for each line. Returns its exit status.
run_session() {
  local log=$1 handler=$2 line tag node rest api_in api_out pid status=0
  shift 2
  rm -f "$tmp/api.in" "$tmp/api.out"
  mkfifo "$tmp/api.in" "$tmp/api.out"
  exec {api_in}<>"$tmp/api.in" # read-write: opening does not wait for the api
  timeout -k 5 120 "$@" <"$tmp/api.in" >"$tmp/api.out" 2>&1 &
  pid=$!
  running[$pid]=1
  exec {api_out}<"$tmp/api.out"
  while IFS= read -r -t 60 -u "$api_out" line; do
    if [[ $line == READY_* ]]; then
      read -r tag node rest <<<"$line"
      "$handler" "$tag" "$node" "$log" || true
      echo go >&"$api_in"
      continue
    fi
    printf '%s\n' "$line" | tee -a "$log"
  done
  exec {api_in}>&- {api_out}<&-
  stop_pid "$pid" || status=$?
  return "$status"
}

# check <description> <command...>: runs the command, prints and counts the result.
check() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "  ok      $what"
  else
    echo "  FAILED  $what"
    failures=$((failures + 1))
  fi
}

# --- what the session printed --------------------------------------------------

multicast_ok() { # the line of log $1 holding $2 is followed by $3 NB_OK replies
  [ "$(grep -A "$3" -F "$2" "$1" | grep -c -- '-> .* NB_OK ')" = "$3" ]
}

# check_prod_session <log> <worker node>: the checks every 3-node (api, db,
# worker) session passes, failover included.
check_prod_session() {
  local p=$1 worker=$2
  check "prod: users_get(2) came back from the db node" \
    grep -qE '^  NB_OK  remote &db .* users_get\(2\) = \{2, "grace", "grace@example.org"\}' "$p"
  check "prod: a missing user is NULL, with NB_OK" \
    grep -qE '^  NB_OK  remote &db .* users_get\(99\) = NULL' "$p"
  check "prod: cache_put reached both &cache nodes" \
    multicast_ok "$p" 'NB_ON_NODES("&cache") { cache_put' 2
  check "prod: cache_invalidate reached both &cache nodes" \
    multicast_ok "$p" 'NB_ON_ALL_NODES { cache_invalidate' 2
  check "prod: node_health answered by all 3 nodes" \
    multicast_ok "$p" 'NB_ON_ALL_NODES { node_health' 3
  check "prod: the job ran on the worker" grep -qF "by $worker" "$p"
  check "prod: failover, no timeout spent" grep -q '^  failover ok: ' "$p"
}
