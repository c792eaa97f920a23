#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build Release, run memtable-bench on
# its default workload (YCSB A, 1M records, 2 threads, ~10 s). Arguments are passed on
# to memtable-bench (try --help). Its report ends with a command that repeats the run
# (the binary's absolute path and every parameter, the seed included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target memtable-bench >/dev/null
exec build-release/bench/memtable-bench "$@"
