#!/usr/bin/env bash
# plot.sh: PNG charts from memtable-bench CSV output (gnuplot; Debian gnuplot-nox).
#
#   memtable-bench --workload A --threads 1 --format csv >  results.csv
#   memtable-bench --workload A --threads 2 --format csv >> results.csv   (headers repeat: fine)
#   bench/plot.sh results.csv [outdir]        (default outdir: bench/figures)
#
# Writes, for the rows present:
#   ycsb-throughput.png  run-phase throughput (TOTAL, Mops/s) per YCSB workload, one bar
#                        per thread count
#   ycsb-latency.png     latency percentile curves (p50, p90, p99, p99.9, max) of the
#                        run phase, one curve per workload and thread count (log scale)
#   micro.png            W1-W6 figures (Mops/s; W5 in ns/entry on its own axis)
# When a (workload, threads) pair appears several times (repeated runs), the median is
# plotted.
set -euo pipefail
in=${1:?usage: plot.sh results.csv [outdir]}
out=${2:-$(dirname "$0")/figures}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }

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
    gnuplot <<GP
set terminal pngcairo noenhanced size 800,450 font "sans,10"
set output "$out/ycsb-throughput.png"
set title "memtable-bench: YCSB run-phase throughput (lsmt memtable)"
set ylabel "Mops/s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
plot for [c=2:$ncol] "$tmp/tp.dat" using c:xtic(1) title columnheader(c)
GP
    echo "wrote $out/ycsb-throughput.png"
fi

# ---- YCSB latency percentiles: one line per workload/threads --------------------------
awk -F, '$3=="run" && $4=="TOTAL" {print $1"_"$2"T", $9/1e3, $10/1e3, $11/1e3, $12/1e3, $13/1e3}' "$in" \
    | median | sort > "$tmp/lat"
if [ -s "$tmp/lat" ]; then
    # transpose: rows = percentiles, columns = series
    awk 'BEGIN{split("p50 p90 p99 p99.9 max", P, " ")}
         {name[NR]=$1; for(i=2;i<=6;i++) v[NR,i-1]=$i}
         END{printf "pct"; for(r=1;r<=NR;r++) printf " %s", name[r]; print "";
             for(i=1;i<=5;i++){printf "%s", P[i]; for(r=1;r<=NR;r++) printf " %s", v[r,i]; print ""}}' \
        "$tmp/lat" > "$tmp/lat.dat"
    ncol=$(head -1 "$tmp/lat.dat" | wc -w)
    gnuplot <<GP
set terminal pngcairo noenhanced size 800,450 font "sans,10"
set output "$out/ycsb-latency.png"
set title "memtable-bench: YCSB run-phase latency percentiles (all operations)"
set ylabel "latency (us, log scale)"
set logscale y
set grid ytics mytics
set key outside right
set xrange [-0.3:4.3]
plot for [c=2:$ncol] "$tmp/lat.dat" using 0:c:xtic(1) with linespoints lw 2 title columnheader(c)
GP
    echo "wrote $out/ycsb-latency.png"
fi

# ---- micro workloads: metric rows W1..W6 ----------------------------------------------
awk -F, '$3=="metric" && $4 ~ /^W[1-6]-(fill|read|scan)/ {print $4"("$2"T)", $5}' "$in" | median > "$tmp/micro"
if [ -s "$tmp/micro" ]; then
    grep -v 'W5-scan' "$tmp/micro" > "$tmp/micro_ops" || true
    gnuplot <<GP
set terminal pngcairo noenhanced size 1100,520 font "sans,10"
set output "$out/micro.png"
set rmargin 24
set bmargin 9
set title "memtable-bench: WORKLOADS.md micro workloads through the memtable"
set ylabel "Mops/s"
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set xtics rotate by -30
unset key
plot "$tmp/micro_ops" using 0:2:xtic(1) with boxes lc rgb "#4472c4", \
     "" using 0:2:(sprintf("%.2f",\$2)) with labels offset 0,0.7
GP
    echo "wrote $out/micro.png"
fi
