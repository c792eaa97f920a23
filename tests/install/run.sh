#!/usr/bin/env bash
# Installs the lsmt build tree into a scratch prefix, then builds and runs a separate
# consumer program against it both ways: find_package(lsmt) (shared and static) and
# pkg-config --cflags --libs lsmt.
# Usage: run.sh <lsmt-build-dir> <scratch-dir> <lsmt-version>
set -euo pipefail
build=$1 work=$2 version=$3
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(ls -d "$work"/prefix/lib*/ | head -n1)

echo "-- find_package(lsmt)"
cmake -S "$src" -B "$work/cm" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DLSMT_EXPECT_VERSION="$version" >/dev/null
cmake --build "$work/cm" >/dev/null
"$work/cm/consumer_shared"
"$work/cm/consumer_static"

echo "-- pkg-config --cflags --libs lsmt"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 -o "$work/consumer_pc" "$src/consumer.c" $(pkg-config --cflags --libs lsmt) \
  -Wl,-rpath,"$libdir"
"$work/consumer_pc"
echo "-- pkg-config --static"
cc -std=c11 -o "$work/consumer_pc_static" "$src/consumer.c" \
  $(pkg-config --cflags lsmt) "$libdir/liblsmt.a" $(pkg-config --static --libs-only-l lsmt | sed 's/-llsmt//')
"$work/consumer_pc_static"
