#!/usr/bin/env bash
# The hash index (issue 17) against no index, same binary, same seed, in interleaved
# pairs: W3 readrandom (1 and 2 threads; random16 and ycsb keys), W4 readmissing (also
# beside the bloom filter, --bloom 10), W1 fillrandom (insert cost, RSS B/entry) and
# YCSB C (1 and 2 threads). Prints medians over the repetitions and the median of the
# per-repetition ratios with [min..max].
#   bench/run_hash_index.sh [memtable-bench] [out-dir]     (REPS=3, YCSB_DURATION=4)
# TBB_MAP=<peers' build/tbb_map> adds oneTBB's concurrent_map (random16 keys, all its
# W1-W6, ~2.5 min) to every repetition, and the ratios of lsmt with and without the
# index to it (build it from a copy of ../shared/anchors/peers: make build/tbb_map).
set -euo pipefail
bin=${1:-build-rel/bench/memtable-bench}
out=${2:-/tmp/lsmt-hash-index}
reps=${REPS:-3}
ydur=${YCSB_DURATION:-4}
mkdir -p "$out"
: >"$out/results.tsv"
run() { # label index args...
  local label=$1 idx=$2 rep=$3
  shift 3
  local log="$out/$label-$idx-$rep.log"
  "$bin" "$@" --hash-index "$idx" --seed 42 >"$log" 2>&1
  # micro rows: name threads value unit; YCSB: "run TOTAL count ops/s ..."
  awk -v l="$label" -v i="$idx" -v r="$rep" '
    $1 ~ /^W[0-9]-/ && $2 ~ /T$/ { print l "\t" $1 "-" $2 "\t" i "\t" r "\t" $3 }
    $1 == "run" && $2 == "TOTAL" { print l "\tycsb-run\t" i "\t" r "\t" $4 }' "$log" \
    >>"$out/results.tsv"
}
echo "hash index bench: $bin, $reps repetitions, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$reps"); do
  order="off on"
  [ $((rep % 2)) -eq 0 ] && order="on off"
  for idx in $order; do
    run w3-random16 "$idx" "$rep" --workload W3 --threads 2 --rounds 3 --key-shape random16
    run w3-ycsb "$idx" "$rep" --workload W3 --threads 2 --rounds 3 --key-shape ycsb
    run w4 "$idx" "$rep" --workload W4 --threads 1 --rounds 3
    run w1 "$idx" "$rep" --workload W1 --threads 1 --rounds 3
    run ycsbc-1t "$idx" "$rep" --workload C --threads 1 --duration "$ydur"
    run ycsbc-2t "$idx" "$rep" --workload C --threads 2 --duration "$ydur"
  done
  run w4-bloom10 off "$rep" --workload W4 --threads 1 --rounds 3 --bloom 10
  if [ -n "${TBB_MAP:-}" ]; then
    KEY_SHAPE=random16 "$TBB_MAP" >"$out/tbb-$rep.log" 2>&1
    awk -v r="$rep" '$1 == "tbb_map" && $5 == "Mops/s" { print "tbb\t" $2 "-" $3 "T\ttbb\t" r "\t" $4 }' \
      "$out/tbb-$rep.log" >>"$out/results.tsv"
  fi
  echo "repetition $rep done, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
python3 - "$out/results.tsv" <<'PY'
import sys, statistics as st
from collections import defaultdict
v = defaultdict(dict)
for line in open(sys.argv[1]):
    label, row, idx, rep, val = line.split("\t")
    v[(label, row)].setdefault(idx, {})[int(rep)] = float(val)
print("| bench | row | without | with | with / without, median [min..max] |")
print("|---|---|---:|---:|---|")
for (label, row), d in sorted(v.items()):
    if "on" not in d or "off" not in d:
        if label == "w4-bloom10":
            print(f"| {label} | {row} | {st.median(d['off'].values()):.4g} (bloom 10, no index) | | |")
        continue
    ratios = [d["on"][r] / d["off"][r] for r in d["on"] if r in d["off"] and d["off"][r]]
    print(f"| {label} | {row} | {st.median(d['off'].values()):.4g} | {st.median(d['on'].values()):.4g} | "
          f"{st.median(ratios):.2f} [{min(ratios):.2f}..{max(ratios):.2f}] |")
tbb = {row: d["tbb"] for (label, row), d in v.items() if label == "tbb"}
if tbb:
    print()
    print("| lsmt row (random16) | oneTBB median | without / oneTBB | with / oneTBB |")
    print("|---|---:|---|---|")
    for (label, row), d in sorted(v.items()):
        if label not in ("w3-random16", "w4", "w1") or row not in tbb or "on" not in d:
            continue
        t = tbb[row]
        cell = lambda idx: (lambda q: f"{st.median(q):.2f} [{min(q):.2f}..{max(q):.2f}]")(
            [d[idx][r] / t[r] for r in t if r in d[idx]])
        print(f"| {row} | {st.median(t.values()):.4g} | {cell('off')} | {cell('on')} |")
PY
