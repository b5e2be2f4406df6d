#!/usr/bin/env bash
# Installs the Debian packages NebulaAPI for C builds and tests with (docs/design.md
# §12), plus any package named on the command line (bench/setup.sh adds
# Erlang this way). Idempotent: does nothing when they are all present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # toolchain
  libyaml-dev                        # topology file (nebulac)
  libmsgpack-dev                     # values on the wire (libnebula)
  libssl-dev                         # cookie HMAC (libnebula)
  libmicrohttpd-dev                  # the /metrics endpoint (libnebula, docs/metrics.md)
  prometheus                         # promtool: the metrics test checks /metrics with it
  libcmocka-dev                      # unit tests
  python3-yaml                       # tests/deploy: reads the deployment manifests
  libsqlite3-dev                     # the shop example: its &db nodes store users in SQLite
  zlib1g-dev                         # the shop example: its &worker nodes compress with zlib
  binutils file                      # readelf/nm/strings in the placement tests
  groff-base                         # the man pages test (docs.man)
  iproute2 iptables                  # network namespaces: the fault suite, demo.sh --hosts
  clang libclang-rt-dev              # the fuzz configuration: libFuzzer (libclang_rt.fuzzer) and sanitizers
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
