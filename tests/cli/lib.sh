# lib.sh — sourced by the nebula command's tests: serving nodes started on free
# loopback ports with a fresh cookie, the command run and checked, and every
# node stopped by PID on exit (also after a failure). Waits are bounded.
#
# The sourcing script sets: cli (the command), free_ports (the helper).
set -u
unset NEBULA_NODE NEBULA_LISTEN NEBULA_COOKIE_FILE NEBULA_LOG
export NEBULA_COOKIE="cli-test-cookie-$$-$RANDOM"
scratch=$(mktemp -d)
pids=()
failures=0
status=0 out="" err=""

cleanup() {
    local pid i
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "$failures" -eq 0 ]; then rm -rf "$scratch"; else echo "node logs kept in $scratch"; fi
}
trap cleanup EXIT

# addresses NAME...: sets $NEBULA_ADDRESSES to one free port per node name.
addresses() {
    local ports=($("$free_ports" $#)) list="" i=0 name
    for name in "$@"; do
        list+="${list:+,}$name=127.0.0.1:${ports[i]}"
        i=$((i + 1))
    done
    export NEBULA_ADDRESSES=$list
}

# start NAME EXE: starts a serving node (built as NAME), logging to scratch.
# Sets $last_pid.
start() {
    "$2" >"$scratch/$1.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
}

# stop PID: SIGTERM, then SIGKILL after 5 s; reaped.
stop() {
    local i
    kill -TERM "$1" 2>/dev/null
    for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# run ARG...: runs the command; sets $status, $out and $err.
run() {
    "$cli" "$@" >"$scratch/out" 2>"$scratch/err"
    status=$?
    out=$(<"$scratch/out")
    err=$(<"$scratch/err")
}

fail() {
    echo "FAIL: $1"
    echo "  exit status: $status"
    echo "  stdout: $out"
    echo "  stderr: $err"
    failures=$((failures + 1))
}

# expect STATUS STDOUT ARG...: the exit status and the whole stdout.
expect() {
    local want_status=$1 want=$2
    shift 2
    run "$@"
    if [ "$status" = "$want_status" ] && [ "$out" = "$want" ]; then
        echo "ok: nebula $*"
    else
        fail "nebula $*: wanted status $want_status and stdout: $want"
    fi
}

# expect_err STATUS TEXT ARG...: the exit status, and TEXT within stderr.
expect_err() {
    local want_status=$1 want=$2
    shift 2
    run "$@"
    if [ "$status" = "$want_status" ] && [[ "$err" == *"$want"* ]]; then
        echo "ok: nebula $* (status $status)"
    else
        fail "nebula $*: wanted status $want_status and stderr containing: $want"
    fi
}

# expect_lines STATUS REGEX... -- ARG...: the exit status, and each extended
# regular expression matching some line of stdout.
expect_lines() {
    local want_status=$1 res=() re
    shift
    while [ "$1" != "--" ]; do res+=("$1"); shift; done
    shift
    run "$@"
    local ok=1
    [ "$status" = "$want_status" ] || ok=0
    for re in "${res[@]}"; do grep -qE -- "$re" <<<"$out" || ok=0; done
    if [ $ok = 1 ]; then
        echo "ok: nebula $*"
    else
        fail "nebula $*: wanted status $want_status and lines matching: ${res[*]}"
    fi
}

# await SELECTOR: the cluster must come up (10 s at most), or the test stops.
await() {
    run await "$1" --timeout 10000
    if [ "$status" != 0 ]; then
        fail "no node matching $1 came up"
        exit 1
    fi
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
    fi
    echo "all checks passed"
}
