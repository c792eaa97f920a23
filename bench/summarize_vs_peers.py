#!/usr/bin/env python3
"""Summarize a run_vs_peers.sh output directory as markdown tables (standard library only).

Usage: summarize_vs_peers.py OUT_DIR
Reads lsmt-micro.csv and ycsb.csv (memtable-bench --format csv, headers may repeat; rows
carry their key shape in column 18, older files without it count as random16), peers.txt
(the peer harnesses' format: `peer workload threads median unit min=.. max=.. [shape=S]`)
and machine.txt. Prints, per key shape: W1-W8 lsmt median [min..max] over the rounds
beside each peer's median and the ratio lsmt/peer; then the YCSB table (throughput and
p99 per workload and thread count)."""
import csv
import os
import statistics
import sys

LOWER_IS_BETTER = ("ns/entry", "ns/alloc", "B/entry", "ms/cycle", "faults", "bytes/entry")


def read_csv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for row in csv.reader(f):
            if not row or row[0] == "workload":
                continue
            rows.append(row)
    return rows


def shape_of_peer_line(fields):
    for f in fields:
        if f.startswith("shape="):
            return f[len("shape="):]
    return "random16"


def read_peers(path):
    """shape -> (workload, threads) -> {peer: (median, unit)}"""
    peers = {}
    if not os.path.exists(path):
        return peers
    for line in open(path):
        if line.startswith("#"):
            continue
        p = line.split()
        if len(p) < 5:
            continue
        try:
            by_shape = peers.setdefault(shape_of_peer_line(p), {})
            by_shape.setdefault((p[1], int(p[2])), {})[p[0]] = (float(p[3]), p[4])
        except ValueError:
            pass
    return peers


def read_micro(path):
    """shape -> (metric, threads) -> [values], and (metric, threads) -> unit, from a
    memtable-bench CSV."""
    micro, units = {}, {}
    if not os.path.exists(path):
        return micro, units
    for r in read_csv(path):
        if r[2] != "metric":
            continue
        shape = r[17] if len(r) > 17 and r[17] else "random16"
        key = (r[3], int(r[1]))
        micro.setdefault(shape, {}).setdefault(key, []).append(float(r[4]))
        units[key] = r[5]
    return micro, units


def print_bloom10(out, peers, alias):
    """W1/W3/W4/W6 run with --bloom 10, beside the same peers."""
    micro, units = read_micro(os.path.join(out, "lsmt-micro-bloom10.csv"))
    micro, peers = micro.get("random16", {}), peers.get("random16", {})
    if not micro:
        return
    print("With the optional bloom filter (`--bloom 10`):")
    print()
    print("| workload | T | unit | lsmt median [min..max], n | peer: median | lsmt/peer |")
    print("|---|---|---|---|---|---|")
    for name in ("W1-fillrandom", "W1-fillrandom-warm", "W1-rss-total", "W3-readrandom",
                 "W4-readmissing", "W4-readmissing-batch32", "W6-fillseq"):
        for (m, t), vals in sorted(micro.items(), key=lambda kv: kv[0][1]):
            if m != name:
                continue
            med = statistics.median(vals)
            cell = "%.3f [%.3f..%.3f], %d" % (med, min(vals), max(vals), len(vals))
            if m == "W1-rss-total" and t != 1:
                continue
            for peer, (pv, punit) in sorted(peers.get((alias.get(m, m), t), {}).items()):
                print("| %s | %d | %s | %s | %s: %.3f %s | **%.2f** |"
                      % (m, t, units[(m, t)], cell, peer, pv, punit, med / pv if pv else float("nan")))
    print()


ORDER = ["W1-fillrandom", "W1-fillrandom-cold", "W1-fillrandom-warm", "W1-rss",
         "W1-rss-total", "W1-memtable-usage", "W2-fillrandom-mt", "W2-fillrandom-mt-cold",
         "W2-fillrandom-mt-warm", "W3-readrandom", "W4-readmissing", "W1-fillrandom-batch32",
         "W2-fillrandom-mt-batch32", "W3-readrandom-batch32", "W4-readmissing-batch32",
         "W5-scan", "W6-fillseq", "W6-fillseq-cold", "W6-fillseq-warm", "W7-reset-cycle",
         "W7-fresh-cycle", "W7-speedup-vs-fresh", "W7-reset-all-ms",
         "W7-fresh-create-destroy-ms", "W7-minflt-per-cycle", "W7-mmap-calls",
         "W8-alloc-cold", "W8-alloc-warm", "W8-freeall"]


def print_shape(shape, micro, units, peers, alias):
    """One table: every lsmt row of this key shape beside each peer's row of the shape."""
    print("Key shape `%s`:" % shape)
    print()
    print("| workload | T | unit | lsmt median [min..max], n | peer: median | lsmt/peer |")
    print("|---|---|---|---|---|---|")
    for name in ORDER:
        for (m, t), vals in sorted(micro.items(), key=lambda kv: kv[0][1]):
            if m != name:
                continue
            if m in ("W1-rss", "W1-rss-total", "W1-memtable-usage") and t != 1:
                continue
            unit = units[(m, t)]
            med = statistics.median(vals)
            cell = "%.3f [%.3f..%.3f], %d" % (med, min(vals), max(vals), len(vals))
            pl = peers.get((alias.get(m, m), t), {})
            if not pl:
                print("| %s | %d | %s | %s | - | - |" % (m, t, unit, cell))
                continue
            for peer, (pv, punit) in sorted(pl.items()):
                ratio = med / pv if pv else float("nan")
                better = "lower is better" if unit in LOWER_IS_BETTER else "higher is better"
                print("| %s | %d | %s | %s | %s: %.3f %s | **%.2f** (%s) |"
                      % (m, t, unit, cell, peer, pv, punit, ratio, better))
    print()


def main():
    out = sys.argv[1]
    if os.path.exists(os.path.join(out, "machine.txt")):
        for line in open(os.path.join(out, "machine.txt")):
            print("    " + line.rstrip())
        print()
    micro, units = read_micro(os.path.join(out, "lsmt-micro.csv"))
    peers = read_peers(os.path.join(out, "peers.txt"))
    # lsmt metric -> peer workload name
    alias = {"W1-rss": "W1-rss", "W1-rss-total": "W1-rss"}
    # batched rows (32 keys per write batch / multi_get) beside the peers' one-key calls
    for base in ("W1-fillrandom", "W2-fillrandom-mt", "W3-readrandom", "W4-readmissing"):
        alias[base + "-batch32"] = base
    shapes = ["random16", "ycsb", "dbbench16", "prefix8", "long128"]
    shapes += sorted(s for s in micro if s not in shapes)
    for shape in shapes:
        if shape in micro:
            print_shape(shape, micro[shape], units, peers.get(shape, {}), alias)
    if micro:
        print_bloom10(out, peers, alias)
    ycsb = read_csv(os.path.join(out, "ycsb.csv"))
    if ycsb:
        print("| YCSB | T | record | run ops/s | p50 | p95 | p99 | p99.9 | p99.99 | max | read misses |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        misses = {}
        for r in ycsb:
            if r[2] == "metric" and r[3] == "run-read-misses":
                misses[(r[0], r[1])] = r[4]
        for r in ycsb:
            if r[2] == "run" and r[3] == "TOTAL":
                us = lambda i: "%.2f us" % (float(r[i]) / 1e3) if len(r) > i and r[i] else "-"
                rec = "%s B" % r[18] if len(r) > 18 else "-"
                print("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |"
                      % (r[0], r[1], rec, float(r[4]), us(8), us(14), us(10), us(11), us(15),
                         us(12), misses.get((r[0], r[1]), "?")))
        print()
        print("Per operation type (run phase):")
        print()
        print("| YCSB | T | op | ops/s | p50 | p99 |")
        print("|---|---|---|---|---|---|")
        for r in ycsb:
            if r[2] == "run" and r[3] != "TOTAL":
                print("| %s | %s | %s | %.0f | %.2f us | %.2f us |"
                      % (r[0], r[1], r[3], float(r[4]), float(r[8]) / 1e3, float(r[10]) / 1e3))


if __name__ == "__main__":
    main()
