#!/usr/bin/env bash
# run_vs_peers.sh: memtable-bench's figures beside the peer harnesses, in ONE run with lsmt
# and the peers interleaved (WORKLOADS.md protocol), per key shape, plus the YCSB table.
# The peer harnesses are the sources beside the checkout (../shared/anchors/peers, not
# part of this repository; PEERS=DIR elsewhere).
#
#   bench/run_vs_peers.sh BUILD_DIR [OUT_DIR]      (OUT_DIR default: /tmp/lsmt-vs-peers)
#     BUILD_DIR: a Release build holding bench/memtable-bench
#   env: KEY_SHAPES="random16 ycsb dbbench16 prefix8 long128" (WORKLOADS.md "Key shapes";
#        every W1-W6 row runs once per shape, beside the peers run with KEY_SHAPE=<shape>),
#        ROUNDS=3 (lsmt processes per workload and shape, each itself running 5 rounds,
#        as the peers' harnesses do: memtable-bench --rounds), YCSB_DURATION=10,
#        YCSB_RECORDS=1000000, SKIP_YCSB=1, SKIP_MICRO=1, PEERS=<peer sources>,
#        BENCH_N=1000000 (W1-W7 entries, lsmt and peers; smaller only for smoke runs)
#
# Peers are built from a copy in OUT_DIR/peers: oneTBB concurrent_map, libcds SkipListMap
# and Java's ConcurrentSkipListMap (when javac is installed) for W1-W6 (they read
# KEY_SHAPE), glibc/jemalloc/mimalloc/bump floor for W8 (their harnesses take 5 rounds
# each and print median/min/max); bumpalo is left out (W8 has the bump floor).
# Order per shape: lsmt round 1, tbb_map, lsmt round 2, java_cslm, lsmt round 3,
# cds_skiplist, so machine noise hits both sides; then once (random16 keys): W7, W8 with
# alloc_bench, and W1/W3/W4/W6 with the optional bloom filter; then YCSB A-F at 1 and 2
# threads with YCSB's defaults (its keys, 10 x 100 B records, merged updates).
#
# Output: OUT_DIR/lsmt-micro.csv (a key_shape column per row), lsmt-micro-bloom10.csv,
# peers.txt (lines end in shape=<name>), ycsb.csv, and summary.md (a table per shape for
# bench/README.md: median/min/max of lsmt, the peer's median, ratio lsmt/peer; then YCSB).
set -euo pipefail
build=${1:?usage: run_vs_peers.sh BUILD_DIR [OUT_DIR]}
out=${2:-/tmp/lsmt-vs-peers}
bin=$build/bench/memtable-bench
[ -x "$bin" ] || { echo "run_vs_peers.sh: $bin not found (build the memtable-bench target)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
rounds=${ROUNDS:-3}
export BENCH_N=${BENCH_N:-1000000} # read by the peers' W1-W6 harnesses
shapes=${KEY_SHAPES:-random16 ycsb dbbench16 prefix8 long128}
peers_src=${PEERS:-$here/../../shared/anchors/peers}
mkdir -p "$out"

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
    echo "# key shapes: $shapes  rounds: $rounds"
} | tee "$out/machine.txt"

# ---- peers ---------------------------------------------------------------------------
peers=()
if [ -z "${SKIP_MICRO:-}" ]; then
    [ -d "$peers_src" ] || { echo "run_vs_peers.sh: no peer sources at $peers_src (set PEERS)" >&2; exit 2; }
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

run_peer() { # name shape
    case $1 in
    tbb_map | cds_skiplist)
        has_peer "$1" && (cd "$out/peers" && KEY_SHAPE=$2 "build/$1") >>"$out/peers.txt" || true ;;
    alloc_bench) has_peer alloc_bench && (cd "$out/peers" && build/alloc_bench) >>"$out/peers.txt" || true ;;
    java_cslm) # as the peers' run.sh: G1, fixed 3 GiB heap, 1 warm-up + 5 timed rounds
        has_peer CslmBench.class && (cd "$out/peers" && KEY_SHAPE=$2 java -Xms3g -Xmx3g -cp build CslmBench 5) \
            >>"$out/peers.txt" || true ;;
    esac
}

lsmt() { # csv-file args...
    local f=$1; shift
    "$bin" --threads 2 --format csv "$@" >>"$out/$f"
}

lsmt_shape_round() { # shape: W1-W6, and W1-W4 through write batches / multi_get (-batch32)
    local w k="--key-shape $1 --records $BENCH_N"
    for w in W1 W2 W3 W4 W5 W6; do lsmt lsmt-micro.csv --workload $w $k; done
    for w in W1 W2 W3 W4; do lsmt lsmt-micro.csv --workload $w $k --batch 32; done
}

if [ -z "${SKIP_MICRO:-}" ]; then
    : >"$out/lsmt-micro.csv"; : >"$out/lsmt-micro-bloom10.csv"; : >"$out/peers.txt"
    for s in $shapes; do
        for r in $(seq 1 "$rounds"); do
            echo "# $s: lsmt round $r" >&2
            lsmt_shape_round "$s"
            case $r in
            1) echo "# $s: tbb_map" >&2; run_peer tbb_map "$s" ;;
            2) echo "# $s: java_cslm" >&2; run_peer java_cslm "$s" ;;
            3) echo "# $s: cds_skiplist" >&2; run_peer cds_skiplist "$s" ;;
            esac
        done
        # fewer rounds than 3: run the peers that did not get their turn
        [ "$rounds" -lt 2 ] && run_peer java_cslm "$s"
        [ "$rounds" -lt 3 ] && run_peer cds_skiplist "$s"
    done
    echo "# W7, W8, bloom filter rows (random16)" >&2
    for r in $(seq 1 "$rounds"); do
        lsmt lsmt-micro.csv --workload W7 --records "$BENCH_N"
        # the single-key rows with the optional bloom filter, 10 bits per key (what it saves
        # on gets of absent keys, W4, and costs on puts and gets of present keys; the peers
        # have none)
        for w in W1 W3 W4 W6; do lsmt lsmt-micro-bloom10.csv --workload $w --records "$BENCH_N" --bloom 10; done
        lsmt lsmt-micro-bloom10.csv --workload W4 --records "$BENCH_N" --bloom 10 --batch 32
        "$bin" --workload W8 --threads 1 --format csv >>"$out/lsmt-micro.csv"
        lsmt lsmt-micro.csv --workload W8
    done
    echo "# alloc_bench" >&2; run_peer alloc_bench random16
fi

# ---- YCSB A-F at 1 and 2 threads, YCSB's defaults --------------------------------------
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
