#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs the whole
# CTest suite in three configurations — plain (-Werror), ASan+UBSan, and TSan —
# then transport-plain (the cluster and cli tests with their nodes built for
# `transport: plain`, about 2 minutes on 2 cores, build included), then the fuzz
# configuration: the libFuzzer harnesses of tests/fuzz built by
# clang, each fuzzed for a bounded time as one CTest test (docs/reliability.md;
# about 2 minutes on 2 cores, build included).
#   scripts/test.sh            all five
#   scripts/test.sh plain      one or more of: plain asan tsan transport-plain fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(plain asan tsan transport-plain fuzz)
jobs=$(nproc 2>/dev/null || echo 2)

total_pass=0
total_fail=0
for cfg in "${configs[@]}"; do
  # The fuzz configuration builds only the harnesses and runs only their tests.
  cc="" extra=() target=() select=()
  case "$cfg" in
    plain) sanitize="" ;;
    asan)  sanitize="address,undefined" ;;
    tsan)  sanitize="thread" ;;
    # The cluster and cli tests again with their nodes built for transport:
    # plain (tests/cluster/test_topology.cmake); the other tests do not depend
    # on it, nor do the transport tests, which fix their own transport.
    # Only what those tests run is built (a test whose executable is missing
    # fails as "Not Run"), to stay near 2 minutes on 2 cores.
    transport-plain)
           sanitize="" extra=(-DNEBULA_TEST_TRANSPORT=plain)
           target=(--target test_cluster test_routing test_metrics test_upgrade test_cancel test_async
                   nebula_quickstart nebula_cluster
                   cli_quickstart_db cli_quickstart_worker cli_free_ports test_cli_values
                   nebula_any test_describe)
           select=(-L "cluster|cli" -LE example -E "^transport[.]") ;;
    fuzz)  sanitize="address,undefined" cc=clang
           extra=(-DNEBULA_FUZZ=ON -DNEBULA_BUILD_TESTS=OFF)
           target=(--target fuzz_harnesses) select=(-L fuzz) ;;
    *) echo "unknown configuration '$cfg' (plain, asan, tsan, transport-plain, fuzz)" >&2; exit 2 ;;
  esac
  dir="build/$cfg"
  mkdir -p build
  echo "== $cfg: configure and build in $dir"
  CC=${cc:-${CC:-}} cmake -S . -B "$dir" -DNEBULA_SANITIZE="$sanitize" -DNEBULA_WERROR=ON \
        -DNEBULA_BUILD_BENCH=$([ "$cfg" = plain ] && echo ON || echo OFF) ${extra[@]+"${extra[@]}"} \
        >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j"$jobs" ${target[@]+"${target[@]}"}
  echo "== $cfg: ctest"
  log="$dir/ctest.log"
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" ${select[@]+"${select[@]}"} 2>&1 | tee "$log"
  set -e
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -n1 || true)
  if [ -z "$line" ]; then
    echo "== $cfg: ctest did not report a result" >&2
    total_fail=$((total_fail + 1))
    continue
  fi
  nfail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  nall=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
  total_pass=$((total_pass + nall - nfail))
  total_fail=$((total_fail + nfail))
done

echo "all configurations: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
