#!/usr/bin/env bash
# lsmt inside RocksDB, measured with RocksDB's own db_bench (issue 14).
#
# The same db_bench binary (Debian's rocksdb-tools) runs every benchmark twice per pair,
# --memtablerep=skip_list then --memtablerep=lsmt (liblsmt_rocksdb.so preloaded for both
# runs, so the process image is the same), PAIRS times, interleaved. Ratios are
# lsmt / skip_list of the medians over the pairs, all from this run.
#
#   memtable only (write_buffer_size 4 GiB: nothing flushes), N entries:
#     fillrandom (1 thread), fillrandom (2 threads, allow_concurrent_memtable_write),
#     fillseq, overwrite (over a fillrandom), readrandom and seekrandom (after a
#     fillrandom), readwhilewriting (1 reader beside db_bench's writer)
#   flush heavy: fillrandom of FLUSH_N entries into 64 MiB write buffers (many
#     rotations): throughput, minor faults, max RSS; then once more per memtable under
#     strace -f -c for the mmap/munmap counts of the whole process
#
# Keys 16 bytes (db_bench: an 8-byte big-endian counter padded with '0'), values 100
# bytes, --disable_wal, --compression_type=none, --seed fixed. Debian's db_bench and
# librocksdb are built with assertions enabled (they import __assert_fail): absolute
# figures are below a release build's for both memtables alike.
#
# Usage: bench/run_rocksdb.sh [build-dir]   (default: build-bench)
#   env: N (1000000), FLUSH_N (4000000), PAIRS (3), OUT (bench/results/rocksdb-<time>.txt)
# Runs under flock /tmp/lsmt-cpu.lock (the machine's CPUs are shared).
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-build-bench}
N=${N:-1000000}
FLUSH_N=${FLUSH_N:-4000000}
PAIRS=${PAIRS:-3}
stamp=$(date -u +%Y%m%d-%H%M%S)
OUT=${OUT:-bench/results/rocksdb-$stamp.txt}
mkdir -p "$(dirname "$OUT")"

if [ -z "${LSMT_BENCH_LOCKED:-}" ]; then
  export LSMT_BENCH_LOCKED=1
  exec flock /tmp/lsmt-cpu.lock "$0" "$@"
fi

scripts/install-deps.sh librocksdb-dev rocksdb-tools strace time >/dev/null
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_ROCKSDB=ON -DLSMT_BUILD_TESTS=OFF \
  -DLSMT_BUILD_BENCH=OFF -DLSMT_BUILD_TOOLS=OFF >/dev/null
cmake --build "$b" -j2 --target lsmt_rocksdb >/dev/null
lib=$(ls "$b"/integrations/rocksdb/liblsmt_rocksdb.so)
dbb=$(command -v db_bench)
dir=$(mktemp -d "${TMPDIR:-/tmp}/lsmt-rocksdb-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
raw="$dir/raw.txt"
: >"$raw"

common=(--key_size=16 --value_size=100 --disable_wal=1 --compression_type=none --seed=301
  --histogram=0 --statistics=0)
mem=(--write_buffer_size=4294967296 --max_write_buffer_number=2)

{
  echo "# bench/run_rocksdb.sh $(date -u '+%F %T') UTC"
  echo "# db_bench: $dbb ($($dbb --version 2>&1 | head -1)); lib: $lib"
  echo "# N=$N FLUSH_N=$FLUSH_N PAIRS=$PAIRS; common: ${common[*]}; memtable-only: ${mem[*]}"
  echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT"

# run <label> <rep> <bench-line-name> <db_bench flags...>: appends
# "label rep ops/s minflt maxrss_kb" to $raw
run() {
  local label=$1 rep=$2 line=$3
  shift 3
  rm -rf "$dir/db"
  local log="$dir/out.txt" tm="$dir/time.txt"
  LD_PRELOAD="$lib" /usr/bin/time -f '%R %M' -o "$tm" "$dbb" --db="$dir/db" \
    --memtablerep="$rep" "${common[@]}" "$@" >"$log" 2>&1
  local ops
  ops=$(grep -E "^$line +:" "$log" | tail -1 | sed -E 's/.* ([0-9]+) ops\/sec.*/\1/')
  if [ "$rep" = lsmt ] && ! grep -q 'lsmt: memtable order bytewise' "$dir/db/LOG"; then
    echo "error: the lsmt run did not use lsmt's bytewise memtables" >&2
    exit 1
  fi
  read -r minflt maxrss <"$tm"
  echo "$label $rep ${ops:-0} $minflt $maxrss" | tee -a "$raw"
}

for p in $(seq 1 "$PAIRS"); do
  echo "# pair $p"
  for rep in skip_list lsmt; do
    run fillrandom_1t "$rep" fillrandom --benchmarks=fillrandom --num="$N" --threads=1 "${mem[@]}"
    run fillrandom_2t "$rep" fillrandom --benchmarks=fillrandom --num=$((N / 2)) --threads=2 \
      --allow_concurrent_memtable_write=1 "${mem[@]}"
    run fillseq "$rep" fillseq --benchmarks=fillseq --num="$N" "${mem[@]}"
    run overwrite "$rep" overwrite --benchmarks=fillrandom,overwrite --num="$N" "${mem[@]}"
    run readrandom "$rep" readrandom --benchmarks=fillrandom,readrandom --num="$N" "${mem[@]}"
    run seekrandom "$rep" seekrandom --benchmarks=fillrandom,seekrandom --num="$N" \
      --seek_nexts=0 "${mem[@]}"
    run readwhilewriting "$rep" readwhilewriting --benchmarks=fillrandom,readwhilewriting \
      --num="$N" --threads=1 "${mem[@]}"
    run fillrandom_flush "$rep" fillrandom --benchmarks=fillrandom --num="$FLUSH_N" \
      --write_buffer_size=67108864 --max_write_buffer_number=4 --target_file_size_base=67108864
  done
done

# mmap/munmap of the whole process during the flush-heavy fill, once per memtable (strace
# slows the run; its throughput is not used)
mmaps=()
for rep in skip_list lsmt; do
  rm -rf "$dir/db"
  LD_PRELOAD="$lib" strace -f -c -e trace=mmap,munmap -o "$dir/strace.txt" "$dbb" \
    --db="$dir/db" --memtablerep="$rep" "${common[@]}" --benchmarks=fillrandom \
    --num="$FLUSH_N" --write_buffer_size=67108864 --max_write_buffer_number=4 \
    --target_file_size_base=67108864 >/dev/null 2>&1
  m=$(awk '$NF=="mmap"{print $4}' "$dir/strace.txt")
  u=$(awk '$NF=="munmap"{print $4}' "$dir/strace.txt")
  flushes=$(grep -c 'Flushing memtable with next log file' "$dir/db/LOG" || true)
  arenas=""
  [ "$rep" = lsmt ] && arenas=$(grep -o 'lsmt: [0-9]* memtables, arenas created [0-9]*, reused [0-9]*' "$dir/db/LOG" | tail -1)
  mmaps+=("$rep: mmap ${m:-0}, munmap ${u:-0}, memtables flushed $flushes ${arenas:+($arenas)}")
done

# ---- summary: medians and ratios ---------------------------------------------------------
python3 - "$raw" "$N" "$FLUSH_N" "${mmaps[@]}" <<'EOF' | tee -a "$OUT"
import statistics, sys
raw, n, fn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(raw):
    label, rep, ops, minflt, rss = line.split()
    rows.setdefault(label, {}).setdefault(rep, []).append((int(ops), int(minflt), int(rss)))
print()
print("| benchmark | skip_list ops/s | lsmt ops/s | lsmt / skip_list | pairs |")
print("|---|---|---|---|---|")
for label in ["fillrandom_1t", "fillrandom_2t", "fillseq", "overwrite", "readrandom",
              "seekrandom", "readwhilewriting", "fillrandom_flush"]:
    if label not in rows:
        continue
    s = statistics.median(r[0] for r in rows[label]["skip_list"])
    l = statistics.median(r[0] for r in rows[label]["lsmt"])
    per = ", ".join("%.2f" % (b[0] / a[0]) for a, b in zip(rows[label]["skip_list"], rows[label]["lsmt"]) if a[0])
    print("| %s | %d | %d | %.2fx | %s |" % (label, s, l, l / s if s else 0, per))
print()
for label, entries in (("fillrandom_1t", n), ("fillrandom_flush", fn)):
    if label not in rows:
        continue
    for rep in ("skip_list", "lsmt"):
        f = statistics.median(r[1] for r in rows[label][rep])
        rss = statistics.median(r[2] for r in rows[label][rep])
        print("%s %s: minor faults %d, max RSS %.1f MiB (%.1f B/entry of the fill)"
              % (label, rep, f, rss / 1024, rss * 1024 / entries))
print()
print("flush-heavy fillrandom, whole process (strace -f -c):")
for m in sys.argv[4:]:
    print("  " + m)
EOF
{
  echo
  echo "# every run: benchmark memtable ops/s minor-faults max-RSS-KiB"
  cat "$raw"
} >>"$OUT"
echo "results: $OUT"
