#!/usr/bin/env bash
# run_vs_peers.sh: memtable-bench's figures beside the peers of shared/anchors/peers, in
# ONE run with lsmt and the peers interleaved (WORKLOADS.md protocol), plus the YCSB table.
#
#   bench/run_vs_peers.sh BUILD_DIR [OUT_DIR]      (OUT_DIR default: /tmp/lsmt-vs-peers)
#     BUILD_DIR: a Release build holding bench/memtable-bench
#   env: ROUNDS=3 (lsmt rounds, each a fresh process per workload that itself runs 5
#        rounds, as the peers' harnesses do: memtable-bench --rounds), YCSB_DURATION=10,
#        YCSB_RECORDS=1000000, SKIP_YCSB=1, SKIP_MICRO=1, PEERS=/work/shared/anchors/peers
#
# Peers are built from a copy in OUT_DIR/peers (shared/ is read-only): oneTBB
# concurrent_map, libcds SkipListMap and Java's ConcurrentSkipListMap (when javac is
# installed) for W1-W6, glibc/jemalloc/mimalloc/bump floor for W8 (their harnesses take
# 5 rounds each and print median/min/max); bumpalo is left out (W8 has the bump floor).
# Order: lsmt round 1, tbb_map, lsmt round 2, java_cslm, lsmt round 3, cds_skiplist, then
# alloc_bench, so machine noise hits both sides.
#
# Output: OUT_DIR/lsmt-micro.csv, lsmt-micro-bloom10.csv (W1/W3/W4/W6 with --bloom 10), peers.txt, ycsb.csv, and summary.md (the tables for
# bench/README.md: median/min/max of lsmt, the peer's median, ratio lsmt/peer).
set -euo pipefail
build=${1:?usage: run_vs_peers.sh BUILD_DIR [OUT_DIR]}
out=${2:-/tmp/lsmt-vs-peers}
bin=$build/bench/memtable-bench
[ -x "$bin" ] || { echo "run_vs_peers.sh: $bin not found (build the memtable-bench target)" >&2; exit 2; }
rounds=${ROUNDS:-3}
peers_src=${PEERS:-/work/shared/anchors/peers}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)

cpu_busy_pct() {
    local a b idle tot=0 i
    a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
    idle=$(( (b[4] + b[5]) - (a[4] + a[5]) ))
    for i in 1 2 3 4 5 6 7 8; do tot=$(( tot + b[i] - a[i] )); done
    echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}
{
    echo "# run_vs_peers.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cpus  $(uname -r)"
    echo "# loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)  cpu busy before start: $(cpu_busy_pct)%"
} | tee "$out/machine.txt"

# ---- peers ---------------------------------------------------------------------------
peers=()
if [ -z "${SKIP_MICRO:-}" ]; then
    rm -rf "$out/peers"; cp -r "$peers_src" "$out/peers"; chmod -R u+w "$out/peers"
    for t in tbb_map cds_skiplist alloc_bench alloc_bench_mi CslmBench.class; do
        if make -s -C "$out/peers" "build/$t" >/dev/null 2>"$out/peers/build-$t.log"; then
            peers+=("$t")
        else
            echo "# peer $t not built (see $out/peers/build-$t.log)" | tee -a "$out/machine.txt"
        fi
    done
fi
has_peer() { local p; for p in "${peers[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

run_peer() { # name
    case $1 in
    tbb_map | cds_skiplist) has_peer "$1" && (cd "$out/peers" && "build/$1") >>"$out/peers.txt" || true ;;
    alloc_bench) has_peer alloc_bench && (cd "$out/peers" && build/alloc_bench) >>"$out/peers.txt" || true ;;
    java_cslm) # as peers/run.sh: G1, fixed 3 GiB heap, 1 warm-up + 5 timed rounds
        has_peer CslmBench.class && (cd "$out/peers" && java -Xms3g -Xmx3g -cp build CslmBench 5) \
            >>"$out/peers.txt" || true ;;
    esac
}

lsmt_round() {
    local w
    for w in W1 W2 W3 W4 W5 W6 W7; do
        "$bin" --workload $w --threads 2 --format csv >>"$out/lsmt-micro.csv"
    done
    # the same W1-W4 through write batches / multi_get, 32 keys per call (-batch32 rows)
    for w in W1 W2 W3 W4; do
        "$bin" --workload $w --threads 2 --batch 32 --format csv >>"$out/lsmt-micro.csv"
    done
    # the single-key rows again with the optional bloom filter on, 10 bits per key (what
    # it saves on gets of absent keys, W4, and costs on puts and on gets of present keys;
    # the peers have none): lsmt-micro-bloom10.csv
    for w in W1 W3 W4 W6; do
        "$bin" --workload $w --threads 2 --bloom 10 --format csv >>"$out/lsmt-micro-bloom10.csv"
    done
    "$bin" --workload W4 --threads 2 --bloom 10 --batch 32 --format csv >>"$out/lsmt-micro-bloom10.csv"
    "$bin" --workload W8 --threads 1 --format csv >>"$out/lsmt-micro.csv"
    "$bin" --workload W8 --threads 2 --format csv >>"$out/lsmt-micro.csv"
}

if [ -z "${SKIP_MICRO:-}" ]; then
    : >"$out/lsmt-micro.csv"; : >"$out/lsmt-micro-bloom10.csv"; : >"$out/peers.txt"
    for r in $(seq 1 "$rounds"); do
        echo "# lsmt round $r" >&2
        lsmt_round
        case $r in
        1) echo "# tbb_map" >&2; run_peer tbb_map ;;
        2) echo "# java_cslm" >&2; run_peer java_cslm ;;
        3) echo "# cds_skiplist" >&2; run_peer cds_skiplist ;;
        esac
    done
    # fewer rounds than 3: run the peers that did not get their turn
    [ "$rounds" -lt 2 ] && run_peer java_cslm
    [ "$rounds" -lt 3 ] && run_peer cds_skiplist
    echo "# alloc_bench" >&2; run_peer alloc_bench
fi

# ---- YCSB A-F at 1 and 2 threads -----------------------------------------------------
if [ -z "${SKIP_YCSB:-}" ]; then
    : >"$out/ycsb.csv"
    for w in A B C D E F; do
        for t in 1 2; do
            echo "# ycsb $w ${t}T" >&2
            "$bin" --workload $w --threads $t --records "${YCSB_RECORDS:-1000000}" \
                --duration "${YCSB_DURATION:-10}" --seed 42 --format csv >>"$out/ycsb.csv"
        done
    done
fi
echo "# finished $(date -u +%Y-%m-%dT%H:%M:%SZ)  loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

# ---- summary (python3, standard library only) ------------------------------------------
python3 "$here/summarize_vs_peers.py" "$out" | tee "$out/summary.md"
