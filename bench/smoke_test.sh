#!/usr/bin/env bash
# ctest memtable_bench_smoke: every workload of memtable-bench runs for a fraction of a
# second and must exit 0 with well-formed JSON (python3 -m json.tool, standard library
# only) holding the expected rows; the YCSB record shape, update semantics and --target
# pacing are checked from the JSON; Ctrl-C prints the figures so far; bad flags must exit
# 2 with one line on stderr and no output. Usage: smoke_test.sh path/to/memtable-bench
set -u
bin=${1:?usage: smoke_test.sh path/to/memtable-bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check_json() { # name file python-assertion
    if ! python3 -m json.tool "$2" >/dev/null; then
        echo "FAIL $1: output is not valid JSON"; sed -n 1,20p "$2"; fail=1; return
    fi
    if ! python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $3" "$2"; then
        echo "FAIL $1: JSON content check failed: $3"; fail=1; return
    fi
    echo "ok   $1"
}
run() { # name expected-check args...
    local name=$1 chk=$2; shift 2
    if ! "$bin" --format json "$@" >"$tmp/out.json" 2>"$tmp/err"; then
        echo "FAIL $name: exit status $? ($(head -1 "$tmp/err"))"; fail=1; return
    fi
    check_json "$name" "$tmp/out.json" "$chk"
}
met() { echo "names=[m['name'] for m in d['metrics']]; assert '$1' in names, names"; }
ops='ops=[o for o in d["ops"] if o["phase"]=="run" and o["op"]=="TOTAL"]; assert ops and ops[0]["count"]>0 and ops[0]["p99_ns"]>0, d["ops"]; assert d["params"]["seed"]==7'
for w in A B C D E F; do
    run "ycsb-$w" "$ops" --workload $w --records 20000 --duration 0.2 --threads 2 --seed 7
done
run "ycsb-A-ops-binary-keys" "$ops; assert sum(o['count'] for o in d['ops'] if o['phase']=='run' and o['op']!='TOTAL')==5000" \
    --workload A --records 5000 --ops 5000 --key-size 24 --seed 7
# YCSB's record (10 fields of 100 B in the RocksDB binding's layout) and its update: every
# UPDATE read the record first and merged one field; records read back still have 10
# fields. --update blind: no update reads.
op() { echo "[o for o in d['ops'] if o['phase']=='$1' and o['op']=='$2'][0]['count']"; }
metric() { echo "[m for m in d['metrics'] if m['name']=='$1'][0]['value']"; }
p='d["params"]'
run "ycsb-A-record-merge" "$ops; assert $p['record_bytes']==1140 and $p['field_count']==10 and $p['field_length']==100 and $p['update']=='merge', $p; assert $(op run UPDATE)==$(metric run-update-reads)>0; assert $(metric end-records-malformed)==0" \
    --workload A --records 5000 --ops 4000 --seed 7
run "ycsb-A-blind" "$ops; assert $p['update']=='blind'; assert $(op run UPDATE)>0 and $(metric run-update-reads)==0" \
    --workload A --records 5000 --ops 4000 --update blind --seed 7
run "ycsb-A-record-shape" "$ops; assert $p['record_bytes']==3*(4+6+4+20)" \
    --workload A --records 5000 --ops 2000 --field-count 3 --field-length 20 --seed 7
# F as YCSB counts it: TOTAL = transactions; each READ-MODIFY-WRITE also counts its read
# as a READ and its update as an UPDATE
run "ycsb-F-accounting" "$ops; t=$(op run TOTAL); rmw=$(op run READ-MODIFY-WRITE); assert t==6000; assert $(op run READ)==t, d['ops']; assert $(op run UPDATE)==rmw==$(metric run-update-reads)" \
    --workload F --records 5000 --ops 6000 --seed 7
# open loop: --target holds its rate within 2 %; latency from the intended start is never
# below the measured one, at any percentile. 1.5 s of run: a scheduling stall of ~10 ms
# near the end (other tests share the 2 cores under ctest -j2) costs under 1 %
cmp='rows={(o["phase"],o["op"]):o for o in d["ops"]}; ks=["min_ns","p50_ns","p90_ns","p95_ns","p99_ns","p99_9_ns","p99_99_ns","max_ns","mean_ns"]; pairs=[(rows[k],rows[("run-intended",k[1])]) for k in rows if k[0]=="run"]; assert pairs; assert all(i[x]>=m[x] for m,i in pairs for x in ks), pairs'
run "ycsb-C-target" "$ops; r=[o for o in d['ops'] if o['phase']=='run' and o['op']=='TOTAL'][0]['ops_per_sec']; assert abs(r-40000)<=0.02*40000, r; $cmp" \
    --workload C --records 20000 --ops 60000 --target 40000 --threads 2 --seed 7
run "ycsb-A-target-duration" "$ops; $cmp" \
    --workload A --records 20000 --duration 0.3 --target 20000 --threads 2 --seed 7
# key shapes: W1/W3/W4/W6 and YCSB C with each (each run checks its own results)
for s in random16 ycsb dbbench16 prefix8 long128; do
    run "W3-$s" "$(met W3-readrandom); assert $p['key_shape']=='$s'" --workload W3 --records 20000 --rounds 1 --key-shape $s --seed 7
    run "W4-$s" "$(met W4-readmissing)" --workload W4 --records 20000 --rounds 1 --key-shape $s --seed 7
    run "W6-$s" "$(met W6-fillseq)" --workload W6 --records 20000 --rounds 1 --key-shape $s --seed 7
    run "ycsb-C-$s" "$ops; assert $p['key_shape']=='$s'" --workload C --records 5000 --ops 5000 --key-shape $s --seed 7
done
run "ycsb-B-uniform" "$ops" --workload B --records 5000 --duration 0.1 --distribution uniform --seed 7
run "ycsb-A-rotation" "$ops; assert any(m['name']=='run-rotations' and m['value']>0 for m in d['metrics'])" \
    --workload A --records 20000 --ops 40000 --memtable-size 1M --value-size 200 --seed 7
run "W1" "$(met W1-fillrandom)" --workload W1 --records 20000 --seed 7
run "W2" "$(met W2-fillrandom-mt)" --workload W2 --records 20000 --seed 7
run "W3" "$(met W3-readrandom)" --workload W3 --records 20000 --seed 7
run "W4" "$(met W4-readmissing)" --workload W4 --records 20000 --seed 7
run "W5" "$(met W5-scan)" --workload W5 --records 20000 --seed 7
# the same work through write batches and multi_get (each run checks its own results)
run "W1-batch" "$(met W1-fillrandom-batch32)" --workload W1 --records 20000 --batch 32 --seed 7
run "W2-batch" "$(met W2-fillrandom-mt-batch7)" --workload W2 --records 20000 --batch 7 --seed 7
run "W3-batch" "$(met W3-readrandom-batch32)" --workload W3 --records 20000 --batch 32 --seed 7
run "W4-batch" "$(met W4-readmissing-batch100)" --workload W4 --records 20000 --batch 100 --seed 7
run "W6" "$(met W6-fillseq)" --workload W6 --records 20000 --seed 7
run "W7" "$(met W7-reset-cycle); assert [m for m in d['metrics'] if m['name']=='W7-mmap-calls'][0]['value']==0" \
    --workload W7 --memtable-size 2M --cycles 3 --seed 7
run "W8" "$(met W8-alloc-warm)" --workload W8 --ops 20000 --seed 7
run "W9" "$(met W9-get-rt10000-vs-rt0); names=[m['name'] for m in d['metrics']]; assert 'W9-delete-range' in names and 'W9-scan-rt100' in names" \
    --workload W9 --records 20000 --rounds 2 --seed 7
run "W10" "$(met W10-get-p8-vs-p0); names=[m['name'] for m in d['metrics']]; assert 'W10-fill-p8-vs-p0' in names and 'W10-get-p0' in names" \
    --workload W10 --records 20000 --rounds 2 --seed 7
run "W10 p2" "$(met W10-get-p2-vs-p0); v={m['name']: m['value'] for m in d['metrics']}; assert abs(v['W10-get-p2-vs-p0'] - v['W10-get-p2'] / v['W10-get-p0']) < 1e-3 * v['W10-get-p2-vs-p0'], v" --workload W10 --records 5000 --rounds 1 --protection-bytes 2 --seed 7
# csv and text formats exit 0 too
"$bin" --workload C --records 2000 --ops 2000 --format csv >"$tmp/out.csv" &&
    head -1 "$tmp/out.csv" | grep -q '^workload,threads,phase,name,value' && echo "ok   csv" ||
    { echo "FAIL csv"; fail=1; }
"$bin" --workload C --records 2000 --ops 2000 >"$tmp/out.txt" && grep -q 'p99.9' "$tmp/out.txt" &&
    echo "ok   text" || { echo "FAIL text"; fail=1; }
# Ctrl-C: once the handler is installed (SigCgt of /proc/PID/status), SIGINT ends the run
# with status 130 and the figures so far: the run phase's ops, or only the load's metrics
# when the signal lands during the load (the handler is installed before it; on a loaded
# machine the 20,000-record load can outlast the poll below)
"$bin" --workload C --records 20000 --duration 60 --format json >"$tmp/int.json" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 500); do
    mask=$(awk '/^SigCgt/ {print $2}' /proc/$pid/status 2>/dev/null || true)
    [ -n "$mask" ] && (( 0x$mask & 2 )) && break
    sleep 0.01
done
kill -INT $pid; wait $pid; rc=$?
if [ $rc -eq 130 ]; then
    check_json "ctrl-c" "$tmp/int.json" "assert d['interrupted'] is True and (d['ops'] or d['metrics']), d"
else
    echo "FAIL ctrl-c: exit status $rc ($(head -1 "$tmp/int.err"))"; fail=1
fi
# bad flags: exit 2, one line naming the flag, nothing on stdout
bad() {
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 2 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
        ! grep -q -- "${1%%=*}" "$tmp/err"; then
        echo "FAIL bad flag $*: rc=$rc stderr=$(cat "$tmp/err")"; fail=1
    else
        echo "ok   bad flag $* -> $(cat "$tmp/err")"
    fi
}
bad --threads 0
bad --threads 9999
bad --workload G
bad --records=-5
bad --theta 1.5
bad --key-size 8
bad --format xml
bad --distribution zipf
bad --memtable-size 1K
bad --duration
bad --bogus 1
bad --batch 0
bad --batch 2000
bad --key-shape random32
bad --key-size 24 --key-shape ycsb
bad --update partial
bad --field-count 0
bad --target -5
grep -q -- '--memtable-size' <<<"$("$bin" --help)" && echo "ok   --help" || { echo "FAIL --help"; fail=1; }
grep -q -- '--key-shape' <<<"$("$bin" -h)" && echo "ok   -h" || { echo "FAIL -h"; fail=1; }
exit $fail
