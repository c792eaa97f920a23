#!/usr/bin/env bash
# plot.sh: PNG charts from memtable-bench CSV output (gnuplot; Debian gnuplot-nox).
#
#   memtable-bench --workload A --threads 1 --format csv >  results.csv
#   memtable-bench --workload A --threads 2 --format csv >> results.csv   (headers repeat: fine)
#   bench/plot.sh results.csv [outdir]        (default outdir: ./memtable-bench-plots)
#
# Writes into outdir (created; the committed charts in bench/figures are replaced only
# when outdir is bench/figures), for the rows present:
#   ycsb-throughput.png  run-phase throughput (TOTAL, Mops/s) per YCSB workload, one bar
#                        per thread count
#   ycsb-latency.png     latency percentile curves (p50, p90, p95, p99, p99.9, p99.99,
#                        max) of the run phase, one curve per workload and thread count
#                        (log scale); CSVs from before p95/p99.99 existed plot p50, p90,
#                        p99, p99.9, max
#   micro.png            W1-W6 figures of one key shape (env KEY_SHAPE, default
#                        random16): Mops/s bars, W5 in ns/entry on its own axis (right)
# When a (workload, threads) pair appears several times (repeated runs), the median is
# plotted.
set -euo pipefail
in=${1:?usage: plot.sh results.csv [outdir]}
out=${2:-memtable-bench-plots}
shape=${KEY_SHAPE:-random16}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }

# the first lines of a chart: gp_head SIZE FILE TITLE
gp_head() {
    printf 'set terminal pngcairo noenhanced size %s font "sans,10"\nset output "%s"\nset title "%s"\n' \
        "$1" "$2" "$3"
}

# median helper over repeated rows: key -> values, print key median
median() { awk '{k=$1; for(i=2;i<=NF;i++){v[k,i]=v[k,i]" "$i}; n[k]=NF; if(!(k in seen)){seen[k]=1; order[++m]=k}}
  END{for(j=1;j<=m;j++){k=order[j]; line=k; for(i=2;i<=n[k];i++){c=split(v[k,i],a," ");
        for(x=2;x<=c;x++){y=a[x]+0; z=x-1; while(z>0 && a[z]+0>y){a[z+1]=a[z]; z--}; a[z+1]=y}
        md=(c%2)?a[(c+1)/2]:(a[c/2]+a[c/2+1])/2; line=line" "md}; print line}}'; }

# ---- YCSB throughput: rows "W,T,run,TOTAL,value,..." ------------------------------
awk -F, '$3=="run" && $4=="TOTAL" {print $1"_"$2, $5/1e6}' "$in" | median | sort > "$tmp/tp"
if [ -s "$tmp/tp" ]; then
    threads=$(cut -d' ' -f1 "$tmp/tp" | cut -d_ -f2 | sort -n -u)
    wls=$(cut -d' ' -f1 "$tmp/tp" | cut -d_ -f1 | sort -u)
    { printf "workload"; for t in $threads; do printf " %sT" "$t"; done; echo
      for w in $wls; do printf "%s" "$w"
        for t in $threads; do v=$(awk -v k="${w}_$t" '$1==k{print $2}' "$tmp/tp"); printf " %s" "${v:-0}"; done; echo
      done; } > "$tmp/tp.dat"
    ncol=$(head -1 "$tmp/tp.dat" | wc -w)
    { gp_head 800,450 "$out/ycsb-throughput.png" "memtable-bench: YCSB run-phase throughput (lsmt memtable)"
      cat <<GP
set ylabel "Mops/s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
plot for [c=2:$ncol] "$tmp/tp.dat" using c:xtic(1) title columnheader(c)
GP
    } | gnuplot
    echo "wrote $out/ycsb-throughput.png"
fi

# ---- YCSB latency percentiles: one line per workload/threads --------------------------
# columns: p50 p90 [p95] p99 p99.9 [p99.99] max (p95, p99.99 from CSV columns 15, 16)
full=$(awk -F, '$3=="run" && $4=="TOTAL" {print (NF >= 16 && $15 != "") ? 1 : 0; exit}' "$in")
pcts="p50 p90 p99 p99.9 max"
[ "${full:-0}" = 1 ] && pcts="p50 p90 p95 p99 p99.9 p99.99 max"
if [ "${full:-0}" = 1 ]; then
    awk -F, '$3=="run" && $4=="TOTAL" {print $1"_"$2"T", $9/1e3, $10/1e3, $15/1e3, $11/1e3, $12/1e3, $16/1e3, $13/1e3}' "$in"
else
    awk -F, '$3=="run" && $4=="TOTAL" {print $1"_"$2"T", $9/1e3, $10/1e3, $11/1e3, $12/1e3, $13/1e3}' "$in"
fi | median | sort > "$tmp/lat"
if [ -s "$tmp/lat" ]; then
    # transpose: rows = percentiles, columns = series
    awk -v pcts="$pcts" 'BEGIN{np=split(pcts, P, " ")}
         {name[NR]=$1; for(i=2;i<=np+1;i++) v[NR,i-1]=$i}
         END{printf "pct"; for(r=1;r<=NR;r++) printf " %s", name[r]; print "";
             for(i=1;i<=np;i++){printf "%s", P[i]; for(r=1;r<=NR;r++) printf " %s", v[r,i]; print ""}}' \
        "$tmp/lat" > "$tmp/lat.dat"
    npct=$(echo $pcts | wc -w)
    ncol=$(head -1 "$tmp/lat.dat" | wc -w)
    { gp_head 800,450 "$out/ycsb-latency.png" "memtable-bench: YCSB run-phase latency percentiles (all operations)"
      cat <<GP
set ylabel "latency (us, log scale)"
set logscale y
set grid ytics mytics
set key outside right
set xrange [-0.3:$npct-0.7]
plot for [c=2:$ncol] "$tmp/lat.dat" using 0:c:xtic(1) with linespoints lw 2 title columnheader(c)
GP
    } | gnuplot
    echo "wrote $out/ycsb-latency.png"
fi

# ---- micro workloads: metric rows W1..W6 of one key shape -------------------------------
# (CSV column 18 is the key shape; rows of older CSVs, without it, count as random16)
awk -F, -v shape="$shape" '$3=="metric" && $4 ~ /^W[1-6]-(fill|read|scan)/ && ($18 == shape || ($18 == "" && shape == "random16")) {print $4"("$2"T)", $5}' "$in" | median > "$tmp/micro"
if [ -s "$tmp/micro" ]; then
    # one data file, bars on the left axis (Mops/s) and W5 on the right one (ns/entry)
    awk '{ if ($1 ~ /^W5-scan/) print NR-1, $1, "NaN", $2; else print NR-1, $1, $2, "NaN" }' \
        "$tmp/micro" > "$tmp/micro.dat"
    { gp_head 1100,520 "$out/micro.png" "memtable-bench: WORKLOADS.md micro workloads through the memtable (keys: $shape)"
      cat <<GP
set rmargin 16
set bmargin 9
set ylabel "Mops/s (bars)"
set y2label "W5 scan, ns/entry (red)"
set ytics nomirror
set y2tics
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set y2range [0:*]
set xtics rotate by -30
unset key
plot "$tmp/micro.dat" using 1:3:xtic(2) with boxes lc rgb "#4472c4", \
     "" using 1:3:(\$3 == \$3 ? sprintf("%.2f",\$3) : "") with labels offset 0,0.7, \
     "" using 1:4 axes x1y2 with boxes lc rgb "#c0504d", \
     "" using 1:4:(\$4 == \$4 ? sprintf("%.1f ns",\$4) : "") axes x1y2 with labels offset 0,0.7
GP
    } | gnuplot
    echo "wrote $out/micro.png"
fi
