#!/usr/bin/env bash
# usage: install_and_consume.sh BUILD_DIR SOURCE_DIR WORK_DIR
# Installs the build into WORK_DIR/prefix, then builds the quickstart sources
# against it with find_package(nebula) and with pkg-config + nebulac by hand.
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in bin/nebulac include/nebula.h lib/libnebula.a lib/libnebula.so \
         lib/pkgconfig/nebula.pc lib/cmake/nebula/nebulaConfig.cmake \
         lib/cmake/nebula/NebulaNode.cmake; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
echo "ok: installed layout"

# find_package: the consumer project next to a copy of the quickstart sources.
proj=$work/project
mkdir -p "$proj"
cp "$src"/examples/quickstart/*.c "$src"/examples/quickstart/*.h \
   "$src"/examples/quickstart/nebula.yaml "$proj"/
cp "$src"/tests/build/consumer/CMakeLists.txt "$proj"/
cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$work/configure.log"
cmake --build "$proj/build" -j2 >"$work/build.log" || { cat "$work/build.log"; exit 1; }
echo "ok: find_package(nebula) + nebula_add_node_executable built 4 nodes"
if readelf -d "$proj/build/consumer_db_static" | grep -q 'libnebula'; then
  echo "FAIL: STATIC node links libnebula.so"; exit 1
fi
echo "ok: STATIC node does not need libnebula.so"

# pkg-config + nebulac by hand.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
(cd "$proj" && "$prefix/bin/nebulac" --topology nebula.yaml --node worker@127.0.0.1 \
     --out "$work/gen" main.c users.c jobs.c)
cc -std=c11 -Wall -Wextra -Werror -I"$work/gen" -I"$proj" "$work"/gen/*.c \
   $(pkg-config --cflags --libs nebula) -Wl,-rpath,"$prefix/lib" -o "$work/worker_by_hand"
echo "ok: nebulac + pkg-config built the worker by hand"
