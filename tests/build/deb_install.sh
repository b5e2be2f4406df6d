#!/usr/bin/env bash
# usage: deb_install.sh BUILD_DIR SOURCE_DIR WORK_DIR FREE_PORTS
# Builds the Debian packages of BUILD_DIR with CPack, installs them into this
# machine with apt-get as users do, builds the README's quickstart against the
# system install alone (find_package with no hint, and pkg-config + nebulac by
# hand), runs it as a 3-node cluster, and removes the packages again.
# Needs root (it installs into /usr); skipped (77) otherwise.
set -euo pipefail
build=$1 src=$2 work=$3 free_ports=$4
if [ "$(id -u)" -ne 0 ]; then
  echo "skip: installing .deb packages needs root"; exit 77
fi
packages=(libnebula-dev libnebula0 nebula-tools)
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "skip: $p is already installed on this machine; not replacing it"; exit 77
  fi
done

rm -rf "$work" && mkdir -p "$work/debs"
(cd "$work/debs" && cpack -G DEB --config "$build/CPackConfig.cmake" >"$work/cpack.log") \
  || { cat "$work/cpack.log"; exit 1; }
debs=("$work"/debs/*.deb)
[ ${#debs[@]} -eq 3 ] || { echo "FAIL: expected 3 packages, got ${#debs[@]}"; exit 1; }
echo "ok: cpack wrote $(cd "$work/debs" && echo *.deb)"

cleanup() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
for f in /usr/bin/nebulac /usr/bin/nebula /usr/share/man/man1/nebula.1 /usr/include/nebula.h /usr/lib/libnebula.so.0 /usr/lib/libnebula.so \
         /usr/lib/libnebula.a /usr/lib/pkgconfig/nebula.pc /usr/lib/cmake/nebula/nebulaConfig.cmake /usr/share/man/man1/nebulac.1 /usr/share/man/man3/libnebula.3 \
         /usr/lib/systemd/system/nebula-node@.service; do
  [ -e "$f" ] || { echo "FAIL: $f not installed by the packages"; exit 1; }
done
echo "ok: apt-get installed ${packages[*]}"
# The installed nebula (for any cluster) reads a topology it was not built with.
/usr/bin/nebula --topology "$src/examples/quickstart/nebula.yaml" --version | grep -q '^cluster: 3 node(s)' \
  || { echo "FAIL: the installed nebula does not read the quickstart's topology"; exit 1; }
echo "ok: the installed nebula reads the quickstart's topology"

# find_package with no hint: the system prefix alone.
proj=$work/project
mkdir -p "$proj"
cp "$src"/examples/quickstart/*.c "$src"/examples/quickstart/*.h \
   "$src"/examples/quickstart/nebula.yaml "$proj"/
cp "$src"/tests/build/consumer/CMakeLists.txt "$proj"/
env -u CMAKE_PREFIX_PATH -u PKG_CONFIG_PATH cmake -S "$proj" -B "$proj/build" \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$proj/build" -j2 >"$work/build.log" || { cat "$work/build.log"; exit 1; }
if ! readelf -d "$proj/build/consumer_api" | grep -q 'Shared library: \[libnebula.so.0\]'; then
  echo "FAIL: consumer_api does not load libnebula.so.0"; exit 1
fi
echo "ok: find_package(nebula) found the system install and built the quickstart"

# pkg-config + the installed nebulac, by hand.
(cd "$proj" && env -u PKG_CONFIG_PATH nebulac --topology nebula.yaml --node worker@127.0.0.1 \
     --out "$work/gen" main.c users.c jobs.c)
cc -std=c11 -Wall -Wextra -Werror -I"$work/gen" -I"$proj" "$work"/gen/*.c \
   $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs nebula) -o "$work/worker_by_hand"
echo "ok: nebulac + pkg-config built the worker by hand"

# The cluster runs on the system library (no rpath into any build tree).
"$src/tests/build/run_quickstart.sh" "$proj/build/consumer_api" "$proj/build/consumer_db" \
    "$work/worker_by_hand" "$free_ports"
