#!/usr/bin/env bash
# db_bench smoke runs: the stock db_bench, with liblsmt_rocksdb.so preloaded, must
# report what the same command reports with RocksDB's skip list: the same "(X of Y
# found)" for readrandom, seekrandom and readwhilewriting, the same number of entries
# for readseq. Usage: dbbench_smoke.sh <path to liblsmt_rocksdb.so> [num]
set -euo pipefail
lib=$1
num=${2:-50000}
command -v db_bench >/dev/null || { echo "db_bench not found (apt-get install rocksdb-tools)"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/lsmt-dbbench-XXXXXX")
trap 'rm -rf "$dir"' EXIT

# $1 = memtablerep, rest = db_bench flags; prints db_bench's result lines
run() {
  local rep=$1
  shift
  rm -rf "$dir/db"
  LD_PRELOAD="$lib" db_bench --db="$dir/db" --memtablerep="$rep" --seed=7 --threads=1 \
    --key_size=16 --value_size=100 --compression_type=none --num="$num" "$@" 2>&1 |
    grep -E '^(fillrandom|fillseq|readrandom|overwrite|readseq|seekrandom|readwhilewriting) +:'
}

# the part of a result line that must match between the two memtables
summary() {
  sed -E 's/^([a-z]+) +:.* ([0-9]+) operations;.*\(([0-9]+) of ([0-9]+) found\).*/\1 \3 of \4 found/; t
          s/^(readseq) +:.* ([0-9]+) operations;.*/\1 \2 entries/; t
          s/^([a-z]+) +:.*/\1/'
}

fail=0
check() { # $1 = label, rest = flags
  local label=$1
  shift
  local a b
  a=$(run skip_list "$@" | summary)
  b=$(run lsmt "$@" | summary)
  echo "--- $label"
  # the lsmt run really used lsmt memtables, in the bytewise order (db_bench's comparator)
  if ! grep -q 'memtable_factory: LsmtRepFactory' "$dir/db/LOG" ||
    ! grep -q 'lsmt: memtable order bytewise' "$dir/db/LOG"; then
    echo "the lsmt run did not use lsmt's bytewise memtables (see its LOG)"
    fail=1
  fi
  echo "$b" | sed 's/^/  lsmt: /'
  if [ -z "$a" ] || [ "$a" != "$b" ]; then
    echo "MISMATCH with skip_list:"
    echo "$a" | sed 's/^/  skip_list: /'
    fail=1
  fi
}

# Memtable only (nothing flushes) and flush-heavy (256 KiB write buffers: dozens of
# memtables rotate and flush), WAL on and off.
check "memtable, no WAL" --benchmarks=fillrandom,readrandom,overwrite,readseq,seekrandom \
  --write_buffer_size=1073741824 --disable_wal=1
check "flushing, WAL" --benchmarks=fillrandom,readrandom,overwrite,readseq,seekrandom \
  --write_buffer_size=262144 --target_file_size_base=1048576
check "readwhilewriting, concurrent memtable writes" --benchmarks=fillseq,readwhilewriting \
  --threads=2 --allow_concurrent_memtable_write=1 --write_buffer_size=1048576 --disable_wal=1 \
  --duration=0 --reads=$((num / 2)) --benchmark_write_rate_limit=2000000

if [ $fail -ne 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
