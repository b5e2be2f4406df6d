#!/usr/bin/env bash
# Makes a CA and one certificate per node for `transport: mtls` (docs/security.md).
#
#   scripts/make-certs.sh DIR NODE...      e.g. scripts/make-certs.sh certs api@h1 db@h2
#
# Writes DIR/ca.pem and DIR/ca.key (made once: an existing CA in DIR is reused),
# then for each node short@host DIR/short@host.pem and DIR/short@host.key: an
# EC P-256 key and a certificate signed by the CA whose subject CN is the node
# name and whose SAN is the URI nebula://short@host. A topology then says
#   tls: { ca: certs/ca.pem, cert: "certs/{node}.pem", key: "certs/{node}.key" }
# Keep ca.key off the nodes: it is needed only to make certificates.
#
# Environment (for tests of refusals): CERT_CN overrides the subject CN of
# every certificate of this run; CERT_NO_SAN=1 leaves the SAN URI out.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [NODE...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
cnf=$(mktemp)
trap 'rm -f "$cnf" "$dir"/*.csr "$dir"/*.ext' EXIT
# A config of our own, so the result does not depend on the system's openssl.cnf.
printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n' >"$cnf"

if [ ! -f "$dir/ca.pem" ]; then
  openssl req -config "$cnf" -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 -subj "/CN=nebula cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi

for node in "$@"; do
  case $node in
    *@*) ;;
    *) echo "$0: $node is not a node name short@host" >&2; exit 2 ;;
  esac
  cn=${CERT_CN:-$node}
  openssl req -config "$cnf" -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$dir/$node.key" -out "$dir/$node.csr" -subj "/CN=$cn" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ "${CERT_NO_SAN:-0}" = 1 ] || echo "subjectAltName=URI:nebula://$node"
  } >"$dir/$node.ext"
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 825 -extfile "$dir/$node.ext" \
    -out "$dir/$node.pem" 2>/dev/null
done
