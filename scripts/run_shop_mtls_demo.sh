#!/usr/bin/env bash
# The shop demo's prod layout under transport: mtls (examples/shop/nebula.mtls.yaml):
# api, db and worker on loopback, each proving its node name with a certificate
# of the cluster's CA (docs/security.md). The session and its checks are those
# of run_shop_demo.sh's prod layout, failover included; then a process
# presenting the killed node's name with a certificate from another CA is refused.
#
#   scripts/run_shop_mtls_demo.sh               build (in $SHOP_BUILD_DIR, default
#                                               build/plain), then run
#   scripts/run_shop_mtls_demo.sh --no-build D  run the binaries already in D
#
# The steps, as a deployment would do them:
#   1. scripts/make-certs.sh DIR api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
#   2. each node gets DIR/ca.pem, its own .pem and .key: here every node reads
#      them through $NEBULA_TLS_CA, $NEBULA_TLS_CERT="DIR/{node}.pem" and
#      $NEBULA_TLS_KEY="DIR/{node}.key" ({node} is the node's own name);
#   3. start the nodes as usual. No cookie is needed under mtls.
# Every process started is stopped by its PID on exit; every wait is bounded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/shop_demo_lib.sh"

demo_args "$@"
demo_binaries run_shop_mtls_demo.sh shop_mtls_api shop_mtls_db shop_mtls_worker

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shop-mtls-demo.XXXXXX")
declare -A pid_of=()
killed=worker@127.0.0.1 # the node the failover step killed
cleanup() {
  stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports from the kernel (bind to port 0), one per node.
ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r p_api p_db p_worker <<<"$ports"
export NEBULA_ADDRESSES="api@127.0.0.1=127.0.0.1:$p_api,db@127.0.0.1=127.0.0.1:$p_db,worker@127.0.0.1=127.0.0.1:$p_worker"
unset NEBULA_NODE NEBULA_LISTEN NEBULA_ALLOW_RUNTIME_NODE_MISMATCH NEBULA_COOKIE NEBULA_COOKIE_FILE

echo "== 1. a CA and one certificate per node (scripts/make-certs.sh)"
scripts/make-certs.sh "$tmp/certs" api@127.0.0.1 db@127.0.0.1 worker@127.0.0.1
for f in "$tmp/certs"/*; do echo "   ${f##*/}"; done
export NEBULA_TLS_CA=$tmp/certs/ca.pem
export NEBULA_TLS_CERT="$tmp/certs/{node}.pem" NEBULA_TLS_KEY="$tmp/certs/{node}.key"

echo
echo "== 2. prod under transport: mtls: api, db and worker"
export SHOP_DB="$tmp/prod.db"
status=0
if start_node db@127.0.0.1 shop_mtls_db && start_node worker@127.0.0.1 shop_mtls_worker; then
  run_session "$tmp/prod.out" kill_node "$bin_dir/shop_mtls_api" --failover || status=$?
else
  status=1
fi
touch "$tmp/prod.out"

echo
echo "== 3. the killed node's name, with a certificate from another CA, is refused"
# The impostor takes the address of the node the failover killed; the other
# serving node, which keeps dialling it there, refuses its certificate.
survivor=db@127.0.0.1
[ "$killed" = db@127.0.0.1 ] && survivor=worker@127.0.0.1
scripts/make-certs.sh "$tmp/other" "$killed"
NEBULA_TLS_CA=$tmp/other/ca.pem NEBULA_TLS_CERT="$tmp/other/{node}.pem" \
  NEBULA_TLS_KEY="$tmp/other/{node}.key" SHOP_DB="$tmp/impostor.db" \
  start_node impostor "shop_mtls_${killed%@*}" impostor || status=1
survivor_pid=${pid_of[$survivor]:-0}
refused() {
  wait_for_line "$tmp/${survivor%@*}.log" "not signed by the configured CA" "$survivor_pid" 100
}
refused && grep -h "not signed by the configured CA" "$tmp/${survivor%@*}.log" | head -n 1 |
  sed "s/^/   ${survivor%@*}: /"
for name in "${!pid_of[@]}"; do
  stop_pid "${pid_of[$name]}" || status=1
  unset "pid_of[$name]"
done

echo
echo "== Checks"
failures=0
check "every process exited 0" [ "$status" = 0 ]
check_prod_session "$tmp/prod.out" worker@127.0.0.1
check "the surviving node refused the impostor's certificate" refused
echo
if [ "$failures" = 0 ]; then
  echo "shop mtls demo: all checks passed"
else
  echo "shop mtls demo: $failures check(s) FAILED (node logs follow)"
  for f in "$tmp"/*.log; do
    echo "--- $f"
    tail -n 20 "$f"
  done
  exit 1
fi
