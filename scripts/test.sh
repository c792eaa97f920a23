#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run every test through ctest.
# Usage: scripts/test.sh [build-dir]        (default: build)
# Extra CMake arguments can be passed in LSMT_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
# the RocksDB integration's tests run too: Debian's RocksDB 7.8.3 (library and db_bench)
scripts/install-deps.sh librocksdb-dev rocksdb-tools
b=${1:-build}
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLSMT_DEBUG_CHECKS=ON \
  -DLSMT_BUILD_ROCKSDB=ON ${LSMT_CMAKE_ARGS:-}
cmake --build "$b" -j"$(nproc)"
ctest --test-dir "$b" --output-on-failure -j"$(nproc)" ${LSMT_CTEST_ARGS:-}
