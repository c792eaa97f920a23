#!/usr/bin/env bash
# Build the libFuzzer target tests/fuzz/fuzz_memtable.c with clang against the library
# sources (-fsanitize=fuzzer,address,undefined) and run it.
#   tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags...]     (default 60 s)
# Work directory: $LSMT_FUZZ_DIR (default build-fuzz/); extra compiler flags: $FUZZ_CFLAGS.
# New corpus entries stay there; a crash writes crash-* there and the script exits
# nonzero: copy the input to tests/fuzz/regressions/ (replayed by ctest fuzz_replay and
# by every run of this script), where it fails until the bug is fixed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
out=${LSMT_FUZZ_DIR:-$root/build-fuzz}
cc=${CC_FUZZ:-}
for c in clang-14 clang; do
  if [ -z "$cc" ] && command -v "$c" >/dev/null; then cc=$c; fi
done
[ -n "$cc" ] || { echo "fuzz: no clang found"; exit 1; }
mkdir -p "$out/corpus"
srcs=$(ls "$root"/common/*.c "$root"/arena/*.c "$root"/skiplist/*.c "$root"/memtable/*.c)
# shellcheck disable=SC2086
"$cc" -std=c11 -O1 -g -D_GNU_SOURCE -DLSMT_BUILDING=1 -DLSMT_DEBUG=1 \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer ${FUZZ_CFLAGS:-} -I"$root/include" -I"$root" \
  "$here/fuzz_memtable.c" $srcs \
  $(pkg-config --cflags --libs liburcu-memb libxxhash) -lpthread \
  -o "$out/fuzz_memtable"
echo "fuzz: built $out/fuzz_memtable with $cc; running ${secs}s"
cd "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# New inputs go to $out/corpus (first dir); the repo's seeds and regressions are read.
status=0
# -detect_leaks=0: libFuzzer's per-input leak check runs a full LSan scan after every input
# whose mallocs and frees do not balance, and the memtable frees replaced range-tombstone
# views later, through call_rcu (memtable/range_del.c): every input with range deletes
# paid a scan (265 inputs/s); waiting for the frees instead (rcu_barrier) cost a grace
# period per input (~80/s). Without it ~660/s. Leaks are still reported by LSan when the
# fuzzer exits, and by the ASan+UBSan run of the whole test suite in CI.
./fuzz_memtable -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
  -print_final_stats=1 "$@" corpus "$here/corpus" "$here/regressions" >fuzz.log 2>&1 || status=$?
tail -60 fuzz.log
[ "$status" -eq 0 ] || echo "fuzz: FAILED (status $status); full log: $out/fuzz.log"
exit "$status"
