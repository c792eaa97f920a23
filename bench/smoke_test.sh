#!/usr/bin/env bash
# ctest memtable_bench_smoke: every workload of memtable-bench runs for a fraction of a
# second and must exit 0 with well-formed JSON (python3 -m json.tool, standard library
# only) holding the expected rows; bad flags must exit 2 with one line on stderr and no
# output. Usage: smoke_test.sh path/to/memtable-bench
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
ops='ops=[o for o in d["ops"] if o["phase"]=="run" and o["op"]=="TOTAL"]; assert ops and ops[0]["count"]>0 and ops[0]["p99_ns"]>0, d["ops"]; assert d["params"]["seed"]==7'
for w in A B C D E F; do
    run "ycsb-$w" "$ops" --workload $w --records 20000 --duration 0.2 --threads 2 --seed 7
done
run "ycsb-A-ops-binary-keys" "$ops; assert sum(o['count'] for o in d['ops'] if o['phase']=='run' and o['op']!='TOTAL')==5000" \
    --workload A --records 5000 --ops 5000 --key-size 24 --seed 7
run "ycsb-B-uniform" "$ops" --workload B --records 5000 --duration 0.1 --distribution uniform --seed 7
run "ycsb-A-rotation" "$ops; assert any(m['name']=='run-rotations' and m['value']>0 for m in d['metrics'])" \
    --workload A --records 20000 --ops 40000 --memtable-size 1M --value-size 200 --seed 7
met() { echo "names=[m['name'] for m in d['metrics']]; assert '$1' in names, names"; }
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
# csv and text formats exit 0 too
"$bin" --workload C --records 2000 --ops 2000 --format csv >"$tmp/out.csv" &&
    head -1 "$tmp/out.csv" | grep -q '^workload,threads,phase,name,value' && echo "ok   csv" ||
    { echo "FAIL csv"; fail=1; }
"$bin" --workload C --records 2000 --ops 2000 >"$tmp/out.txt" && grep -q 'p99.9' "$tmp/out.txt" &&
    echo "ok   text" || { echo "FAIL text"; fail=1; }
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
"$bin" --help | grep -q -- '--memtable-size' && echo "ok   --help" || { echo "FAIL --help"; fail=1; }
exit $fail
