#!/usr/bin/env bash
# skiplist-bench against the oneTBB peer (tbb_map of the peer harnesses beside the
# checkout, ../shared/anchors/peers, not part of this repository), interleaved in one run
# per key shape: tbb, lsmt, tbb, lsmt, ... (PAIRS pairs; each program prints the median of
# 5 rounds, min and max, in the peers' format, its lines ending in shape=<name>), then a
# summary per shape and workload: the median over the pairs and the ratio lsmt / tbb,
# checked against the targets of issues 3 and 13.
#
# Usage: bench/run_skiplist_vs_peers.sh [pairs]      (default 2; ~2.5 min per pair and
#        shape on a quiet machine)
# Env:   KEY_SHAPES  "random16 ycsb dbbench16 prefix8 long128" (WORKLOADS.md "Key shapes";
#                    the peer reads KEY_SHAPE, skiplist-bench -k)
#        BENCH_N  entries (default 1000000; smaller only for smoke runs of this script)
#        PEERS  peer sources   (default ../shared/anchors/peers beside the checkout; copied)
#        SUMMARY_ONLY=1  only print the summary of an existing $WORK/results.txt
#        BUILD  build directory (default <repo>/build-skiplist-bench, Release)
#        WORK   scratch dir     (default /tmp/lsmt-skiplist-peers)
#        LEVERS=1  also A/B the levers (prefetch modes, scan read-ahead, huge pages)
#                  with skiplist-bench -c -o (W1 cold, W3, W4, W5; process CPU time),
#                  variants interleaved
# Needs libtbb-dev (apt-get install -y libtbb-dev g++ make).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRS=${1:-2}
PEERS=${PEERS:-$ROOT/../shared/anchors/peers}
SHAPES=${KEY_SHAPES:-random16 ycsb dbbench16 prefix8 long128}
export BENCH_N=${BENCH_N:-1000000} # entries, both programs (smaller only for smoke runs)
BUILD=${BUILD:-$ROOT/build-skiplist-bench}
WORK=${WORK:-/tmp/lsmt-skiplist-peers}

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLSMT_BUILD_TESTS=OFF \
    -DLSMT_BUILD_TOOLS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target skiplist-bench >/dev/null
mkdir -p "$WORK"
mkdir -p "$WORK/peers"
cp -r "$PEERS"/. "$WORK/peers/"
make -s -C "$WORK/peers" build/tbb_map >&2
LSMT="$BUILD/bench/skiplist-bench"
TBB="$WORK/peers/build/tbb_map"

cpu_busy_pct() {
    local a b
    a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) tot=0 i
    for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
    echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}
OUT="$WORK/results.txt"
if [ -z "${SUMMARY_ONLY:-}" ]; then
: > "$OUT"
{
    echo "# run_skiplist_vs_peers.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cpus $(uname -r)"
    echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)  loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# cpu busy before start: $(cpu_busy_pct)%  (other work on the 2 cores skews every figure)"
    echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
} | tee -a "$OUT"
for s in $SHAPES; do
    for p in $(seq 1 "$PAIRS"); do
        echo "# $s pair $p: tbb_map" | tee -a "$OUT"
        KEY_SHAPE=$s "$TBB" | sed "s/^/pair$p /" | tee -a "$OUT"
        echo "# $s pair $p: skiplist-bench" | tee -a "$OUT"
        "$LSMT" -k "$s" -n "$BENCH_N" | sed "s/^/pair$p /" | tee -a "$OUT"
    done
done
echo "# loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT"
fi # SUMMARY_ONLY=1: summarise an existing $OUT again

# Summary per key shape: median over pairs of each program's median; ratios lsmt / tbb.
for s in $SHAPES; do
printf "\n== key shape %s ==\n" "$s" | tee -a "$OUT"
awk -v shape="$s" '
function med(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^pair[0-9]+ (tbb_map|lsmt_skiplist) W/ {
    sh = "random16"
    for (i = 7; i <= NF; i++) if ($i ~ /^shape=/) sh = substr($i, 7)
    if (sh != shape) next
    k = $3 " " $4; v[$2, k] = v[$2, k] " " $5; unit[k] = $6; seen[k] = 1
    for (i = 7; i <= NF; i++) if ($i ~ /^minflt/) flt[$2, k] = $i
}
END {
    printf "\n%-28s %3s %12s %12s %8s  %s\n", "workload", "T", "lsmt", "tbb_map", "ratio", "unit / faults (lsmt)"
    n = split("W1-fillrandom 1,W2-fillrandom-mt 2,W3-readrandom 1,W3-readrandom 2,W4-readmissing 1,W1-fillrandom-batch32-warm 1,W3-readrandom-batch32 1,W3-readrandom-batch32 2,W4-readmissing-batch32 1,W5-scan 1,W6-fillseq 1,W1-rss 1,W1-fillrandom-fresh-arena 1,W2-fillrandom-mt-fresh-arena 2,W6-fillseq-fresh-arena 1,W1-fillrandom-warm 1,W2-fillrandom-mt-warm 2,W1-fillrandom-serial-warm 1,W1-fillrandom-hint-warm 1,W6-fillseq-warm 1,W6-fillseq-hint-warm 1,W6-fillseq-serial-warm 1", order, ",")
    for (i = 1; i <= n; i++) {
        k = order[i]; if (!seen[k]) continue
        l = med(v["lsmt_skiplist", k]); tk = k; sub(/-fresh-arena/, "", tk); sub(/-batch[0-9]+(-warm)?/, "", tk)
        t = (v["tbb_map", tk] != "") ? med(v["tbb_map", tk]) : 0
        split(k, kk, " ")
        r = (t > 0) ? sprintf("%.2f", l / t) : "-"
        printf "%-28s %3s %12.3f %12s %8s  %s %s\n", kk[1], kk[2], l, (t > 0 ? sprintf("%.3f", t) : "-"), r, unit[k], flt["lsmt_skiplist", k]
        L[kk[1] "/" kk[2]] = l; TB[kk[1] "/" kk[2]] = t
    }
    printf "\n(fill rows without a suffix: the peer protocol, round 1 on a fresh arena, rounds\n"
    printf " 2..5 on it after reset_all, as the later tbb_map rounds reuse memory tbbmalloc got back;\n"
    printf " -fresh-arena: a new arena every round; the ratios of those rows are vs the same tbb figure;\n"
    printf " -batch32: 32 keys per seek_batch / node_insert_batch call, vs tbb one call per key)\n"
    printf "\ntargets (issue 3; issue 13 for every key shape: W1 >= 1.5x, W3 >= 1.8x, W5 <= 0.5x):\n"
    chk("W3 1T >= 1.8x tbb (issue 13)", L["W3-readrandom/1"] / TB["W3-readrandom/1"], 1.8, 1)
    chk("W5 <= 0.5x tbb (issue 13)", L["W5-scan/1"] / TB["W5-scan/1"], 0.5, 0)
    chk("W1 >= 1.5x tbb", L["W1-fillrandom/1"] / TB["W1-fillrandom/1"], 1.5, 1)
    chk("W3 1T >= 1.5x tbb", L["W3-readrandom/1"] / TB["W3-readrandom/1"], 1.5, 1)
    chk("W3 2T >= 1.5x tbb", L["W3-readrandom/2"] / TB["W3-readrandom/2"], 1.5, 1)
    chk("W6 >= 1.5x tbb", L["W6-fillseq/1"] / TB["W6-fillseq/1"], 1.5, 1)
    chk("W4 >= 1.5x tbb", L["W4-readmissing/1"] / TB["W4-readmissing/1"], 1.5, 1)
    chk("W5 <= 0.7x tbb ns/entry", L["W5-scan/1"] / TB["W5-scan/1"], 0.7, 0)
    chk("W2 >= 1.8x own W1", L["W2-fillrandom-mt/2"] / L["W1-fillrandom/1"], 1.8, 1)
    chk("rss <= 140 B/entry", L["W1-rss/1"], 140, 0)
    printf "the same targets through the batch calls (32 keys per call; tbb one per key):\n"
    chk("W1 batch >= 1.5x tbb", L["W1-fillrandom-batch32-warm/1"] / TB["W1-fillrandom-batch32-warm/1"], 1.5, 1)
    chk("W3 1T batch >= 1.5x tbb", L["W3-readrandom-batch32/1"] / TB["W3-readrandom-batch32/1"], 1.5, 1)
    chk("W3 2T batch >= 1.5x tbb", L["W3-readrandom-batch32/2"] / TB["W3-readrandom-batch32/2"], 1.5, 1)
    chk("W4 batch >= 1.5x tbb", L["W4-readmissing-batch32/1"] / TB["W4-readmissing-batch32/1"], 1.5, 1)
}
function chk(name, x, lim, ge) {
    printf "  %-30s %8.2f  %s\n", name, x, ((ge && x >= lim) || (!ge && x <= lim)) ? "met" : "NOT met"
}' "$OUT" | tee -a "$OUT.summary"
done
cat "$OUT.summary" >>"$OUT" && rm -f "$OUT.summary"

if [ -n "${LEVERS:-}" ]; then
    # Compile-time levers: the skip list object rebuilt with each setting, linked into
    # the same benchmark; run interleaved, -c -o (W1 cold, W3, W4, W5; CPU time: robust
    # to other work on the machine), 3 rounds each, 2 passes.
    SRC="$ROOT"
    for v in "base:" "prefetch_0:-DLSMT_SKIPLIST_PREFETCH=0" \
             "prefetch_1:-DLSMT_SKIPLIST_PREFETCH=1" "readahead_off:-DLSMT_SKIPLIST_READAHEAD=0"; do
        name=${v%%:*}; flags=${v#*:}
        objs=()
        for f in "$SRC"/skiplist/*.c; do # every file of the skip list, with the lever
            o="$WORK/sl_${name}_$(basename "$f" .c).o"
            gcc -O3 -DNDEBUG -std=c11 -D_GNU_SOURCE -DLSMT_BUILDING=1 -fvisibility=hidden $flags \
                -I"$SRC/include" -I"$SRC" -c "$f" -o "$o"
            objs+=("$o")
        done
        gcc -O3 -DNDEBUG -std=c11 -D_GNU_SOURCE -I"$SRC/include" -I"$SRC" \
            "$SRC/bench/skiplist_bench.c" "$SRC/bench/keys.c" "$SRC/bench/ycsb.c" \
            "$SRC/bench/common.c" "${objs[@]}" "$BUILD/liblsmt_layer_arena.a" \
            -lpthread -lm -o "$WORK/bench_$name"
    done
    for p in 1 2; do
        for v in base prefetch_0 prefetch_1 readahead_off; do
            "$WORK/bench_$v" -c -o -r 3 | grep -v '^#' | sed "s/^lsmt_skiplist/lever $v/" | tee -a "$OUT"
        done
        "$WORK/bench_base" -c -o -r 3 -H 0 | grep -v '^#' | sed "s/^lsmt_skiplist/lever huge_off/" | tee -a "$OUT"
    done
    awk '/^lever/ { k = $3 " " $4; v[$2, k] = v[$2, k] " " $5; seen[k] = 1; names[$2] = 1 }
    END { for (k in seen) { printf "%-20s", k; for (n in names) printf " %s=%s", n, v[n, k]; printf "\n" } }' \
        "$OUT" | sort | tee -a "$OUT"
fi
echo "# results in $OUT"
