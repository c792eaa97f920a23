#!/usr/bin/env bash
# The memtable of this tree against the one of an older commit, both in ONE process
# (bench/memtable_ab.c): round i of each runs back to back, so the A/B measures the
# library alone -- not changes in memtable-bench's own loops, and not the drift of a
# shared VM between two processes run one after the other.
#
# How two versions of one library share a process: each tree's liblsmt.a is linked into
# one relocatable object (ld -r), its hidden symbols are made local (objcopy
# --localize-hidden) and every global one it defines gets a prefix, old_ or new_
# (objcopy --redefine-syms); the driver's per-side part is compiled against each tree's
# headers with the prefixed names.
#
# Usage: bench/run_memtable_ab.sh [OLD_COMMIT] [PROCESSES]   (default f35df52, the tree
#        before the reshape of issue 12; 4 processes, ~40 s each on a quiet machine)
# Env:   N (entries, default 1000000), ROUNDS (per process and row, default 8),
#        ROWS (all, W6 or W1: W1 includes W3 and W5; default all),
#        WORK (scratch, default /tmp/lsmt-memtable-ab)
# Prints every figure, then per row the median and range of new / old speed: W6-cold is
# W6's round 1 (memory first touched), W6-warm its rounds 2.. (memory reused after
# reset_all); W1, W3 and W5 run after W6 on the same, already touched, memory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD=${1:-f35df52}
PROCS=${2:-4}
N=${N:-1000000}
ROUNDS=${ROUNDS:-8}
ROWS=${ROWS:-all}
WORK=${WORK:-/tmp/lsmt-memtable-ab}
mkdir -p "$WORK"
rm -rf "$WORK/old"
mkdir -p "$WORK/old"
git -C "$ROOT" archive "$OLD" | tar -x -C "$WORK/old"

side() { # tree build-dir prefix: $WORK/side-<prefix>.o and $WORK/lsmt-<prefix>.o
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_TESTS=OFF \
        -DLSMT_BUILD_TOOLS=OFF -DLSMT_BUILD_BENCH=OFF >/dev/null
    cmake --build "$2" -j2 --target lsmt_static >/dev/null
    local lib="$WORK/lsmt-$3.o"
    ld -r -o "$lib" --whole-archive "$2/liblsmt.a"
    objcopy --localize-hidden "$lib"
    nm -g --defined-only "$lib" | awk -v p="$3" 'NF == 3 {print $3, p "_" $3}' >"$WORK/syms-$3"
    objcopy --redefine-syms="$WORK/syms-$3" "$lib"
    cc -O2 -std=c11 -DAB_SIDE="$3" -I"$1/include" -c "$ROOT/bench/memtable_ab.c" \
        -o "$WORK/side-$3.o"
}
side "$WORK/old" "$WORK/old/build" old
side "$ROOT" "$WORK/build-new" new
cc -O2 -std=c11 "$ROOT/bench/memtable_ab.c" "$WORK/side-old.o" "$WORK/side-new.o" \
    "$WORK/lsmt-old.o" "$WORK/lsmt-new.o" $(pkg-config --libs liburcu-memb libxxhash) \
    -lpthread -o "$WORK/memtable-ab"

out="$WORK/results.txt"
: >"$out"
for p in $(seq 1 "$PROCS"); do
    "$WORK/memtable-ab" "$N" "$ROUNDS" "$ROWS" | awk -v p="$p" '{print p, $0}' >>"$out"
done
cat "$out"
echo "# new = $(git -C "$ROOT" rev-parse --short HEAD), old = $OLD," \
    "$PROCS processes x $ROUNDS rounds, N = $N"
python3 - "$out" <<'EOF'
import collections, statistics, sys
ratios = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p, row, i, old, new = line.split()
    if row == 'W6':
        row += '-cold' if i == '1' else '-warm'
    ratios[row].append(float(new) / float(old))
for row in ('W6-cold', 'W6-warm', 'W1', 'W3', 'W5'):
    r = ratios.get(row)
    if r:
        print(f"{row}: new/old speed median {statistics.median(r):.3f} "
              f"[{min(r):.3f}..{max(r):.3f}] n={len(r)}")
EOF
