#!/usr/bin/env bash
# The skip list of this tree against the one of an older commit, through ONE driver
# (bench/skiplist_ab.c) compiled against each, so the A/B measures the library alone and
# not changes in skiplist-bench's own loops. The two binaries run in turn, the order
# alternating per pair; round i of one process is paired with round i of the other.
#
# Usage: bench/run_skiplist_ab.sh [OLD_COMMIT] [PAIRS]   (default f35df52, the tree before
#        the reshape of issue 12; 6 pairs, ~25 s each on a quiet machine)
# Env:   N (entries, default 1000000), ROUNDS (per process, default 2),
#        WORK (scratch, default /tmp/lsmt-skiplist-ab)
# Prints every figure, then per row the median and range of new / old (W5: old / new, so
# above 1 is faster for every row).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD=${1:-f35df52}
PAIRS=${2:-6}
N=${N:-1000000}
ROUNDS=${ROUNDS:-2}
WORK=${WORK:-/tmp/lsmt-skiplist-ab}
mkdir -p "$WORK"
rm -rf "$WORK/old"
mkdir -p "$WORK/old"
git -C "$ROOT" archive "$OLD" | tar -x -C "$WORK/old"

build() { # tree build-dir binary
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_TESTS=OFF \
        -DLSMT_BUILD_TOOLS=OFF -DLSMT_BUILD_BENCH=OFF >/dev/null
    cmake --build "$2" -j2 --target lsmt_layer_skiplist >/dev/null
    local api=""
    # before 0.7 the sharded concurrent arena was lsmt_carena
    grep -q "lsmt_carena_create" "$1/include/lsmt/arena.h" && api=-DAB_PRE_0_7
    cc -O2 -std=c11 $api -I"$1/include" "$ROOT/bench/skiplist_ab.c" \
        "$2/liblsmt_layer_skiplist.a" "$2/liblsmt_layer_arena.a" -lpthread -o "$3"
}
build "$WORK/old" "$WORK/old/build" "$WORK/ab-old"
build "$ROOT" "$WORK/build-new" "$WORK/ab-new"

out="$WORK/results.txt"
: >"$out"
for p in $(seq 1 "$PAIRS"); do
    order="old new"
    [ $((p % 2)) = 0 ] && order="new old"
    for v in $order; do
        "$WORK/ab-$v" "$N" "$ROUNDS" | awk -v v=$v -v p=$p '{c[$1]++; print p, v, c[$1], $1, $2}' >>"$out"
    done
done
cat "$out"
echo "# new = $(git -C "$ROOT" rev-parse --short HEAD), old = $OLD, $PAIRS pairs x $ROUNDS rounds, N = $N"
python3 - "$out" <<'EOF'
import collections, statistics, sys
fig = collections.defaultdict(dict)  # (pair, round, row) -> {old, new}
for line in open(sys.argv[1]):
    p, v, i, row, x = line.split()
    fig[(p, i, row)][v] = float(x)
ratios = collections.defaultdict(list)
for (p, i, row), f in fig.items():
    if 'old' in f and 'new' in f:
        r = f['new'] / f['old']
        ratios[row].append(1 / r if row == 'W5' else r)
for row in ('W1', 'W6', 'W3', 'W4', 'B32', 'W5'):
    r = ratios[row]
    print(f"{row}: new/old speed median {statistics.median(r):.3f} "
          f"[{min(r):.3f}..{max(r):.3f}] n={len(r)}")
EOF
