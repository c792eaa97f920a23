#!/usr/bin/env bash
# This tree's skip list or memtable against an older commit's, both in ONE process: one
# driver (bench/skiplist_ab.c, bench/memtable_ab.c) runs each figure of the old library
# and the same figure of the new one back to back, so the A/B measures the library alone
# -- not changes in skiplist-bench's or memtable-bench's own loops, and not the drift of
# a shared VM between two processes run one after the other (up to 1.7x over seconds
# here).
#
# How two versions of one library share a process: the driver's per-side part is
# compiled against each tree's headers (-DAB_SIDE) and linked with that tree's liblsmt.a
# into one relocatable object (ld -r); its hidden symbols are made local (objcopy
# --localize-hidden) and every global one it defines gets a prefix, old_ or new_
# (objcopy --redefine-syms), so the driver's main sees old_ab_side_impl and
# new_ab_side_impl.
#
# Usage: bench/run_ab.sh skiplist|memtable [OLD_COMMIT] [PROCESSES]
#        (default f35df52, the tree before the reshape of issue 12; 4 processes)
# Env:   N (entries, default 1000000); ROUNDS (per process: skiplist default 2, memtable
#        default 8); ROWS (memtable only: all, W6 or W1 -- W1 includes W3 and W5;
#        default all); WORK (scratch, default /tmp/lsmt-ab-<driver>)
# Prints every figure (row round old new), then per row the median and range of new /
# old speed. W6-cold is W6's round 1 (memory first touched: page faults, THP zeroing,
# which swing from run to run on these VMs), W6-warm its later rounds (memory reused
# after a reset). skiplist: W1 once per process, W3, W4, B32 (seek_batch of 32) and W5
# (scan) per round; memtable: W1, W3 and W5 per round, after W6 on the same memory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRIVER=${1:-}
case "$DRIVER" in
skiplist) ROUNDS=${ROUNDS:-2} ;;
memtable) ROUNDS=${ROUNDS:-8} ;;
*)
    echo "usage: $0 skiplist|memtable [OLD_COMMIT] [PROCESSES]" >&2
    exit 2
    ;;
esac
OLD=${2:-f35df52}
PROCS=${3:-4}
N=${N:-1000000}
ROWS=${ROWS:-all}
WORK=${WORK:-/tmp/lsmt-ab-$DRIVER}
SRC="$ROOT/bench/${DRIVER}_ab.c"
mkdir -p "$WORK"
rm -rf "$WORK/old"
mkdir -p "$WORK/old"
git -C "$ROOT" archive "$OLD" | tar -x -C "$WORK/old"

side() { # tree build-dir prefix: $WORK/side-<prefix>.o
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_TESTS=OFF \
        -DLSMT_BUILD_TOOLS=OFF -DLSMT_BUILD_BENCH=OFF >/dev/null
    cmake --build "$2" -j2 --target lsmt_static >/dev/null
    local api="" obj="$WORK/side-$3.o"
    # before 0.7 the sharded concurrent arena was lsmt_carena (skiplist_ab.c)
    grep -q "lsmt_carena_create" "$1/include/lsmt/arena.h" && api=-DAB_PRE_0_7
    cc -O2 -std=c11 -DAB_SIDE $api -I"$1/include" -c "$SRC" -o "$WORK/driver-$3.o"
    ld -r -o "$obj" "$WORK/driver-$3.o" --whole-archive "$2/liblsmt.a"
    objcopy --localize-hidden "$obj"
    nm -g --defined-only "$obj" | awk -v p="$3" 'NF == 3 {print $3, p "_" $3}' >"$WORK/syms-$3"
    objcopy --redefine-syms="$WORK/syms-$3" "$obj"
}
side "$WORK/old" "$WORK/old/build" old
side "$ROOT" "$WORK/build-new" new
cc -O2 -std=c11 "$SRC" "$WORK/side-old.o" "$WORK/side-new.o" \
    $(pkg-config --libs liburcu-memb libxxhash) -lpthread -o "$WORK/ab"

args=("$N" "$ROUNDS")
[ "$DRIVER" = memtable ] && args+=("$ROWS")
out="$WORK/results.txt"
: >"$out"
for p in $(seq 1 "$PROCS"); do
    # every other process swaps which side runs first (AB_FLIP)
    AB_FLIP=$(((p + 1) % 2)) "$WORK/ab" "${args[@]}" | awk -v p="$p" '{print p, $0}' >>"$out"
done
cat "$out"
echo "# $DRIVER: new = $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo +changes)," \
    "old = $OLD, $PROCS processes x $ROUNDS rounds, N = $N"
python3 - "$out" <<'EOF'
import collections, statistics, sys
rows = {}  # row -> new/old ratios, in the order rows first appear
for line in open(sys.argv[1]):
    p, row, i, old, new = line.split()
    if row == 'W6':
        row += '-cold' if i == '1' else '-warm'
    rows.setdefault(row, []).append(float(new) / float(old))
for row, r in rows.items():
    print(f"{row}: new/old speed median {statistics.median(r):.3f} "
          f"[{min(r):.3f}..{max(r):.3f}] n={len(r)}")
EOF
