#!/usr/bin/env bash
# W8 (shared/anchors/WORKLOADS.md) for every lsmt arena kind against the peers' anchor, in
# ONE run: builds the peers' alloc_bench (bump floor + glibc malloc) from a copy of
# shared/anchors/peers in a temporary directory (shared/ is read-only), builds arena-bench
# (RelWithDebInfo: -O2 like the peers' Makefile, NDEBUG), then runs arena-bench with
# --peer-bin, which interleaves our kinds and the peers' child processes round by round
# and prints medians, per-round ratios (lsmt / bump floor, malloc / lsmt, 2T / 1T) and
# the issue-2 targets. Takes ~6-8 minutes on the 2-core machine.
#
# Usage: bench/run_arena_vs_peers.sh [arena-bench flags...]
#   e.g. bench/run_arena_vs_peers.sh --rounds 3 --kinds bump,carena,malloc
#        bench/run_arena_vs_peers.sh --nice -20      (root, machine shared with other work)
# Environment: PEERS (default /work/shared/anchors/peers), BUILD (default
#   <repo>/build-arenabench-rel), CC (default gcc), NO_CPU_PATCH=1 (build the peers'
#   alloc_bench exactly as published: wall time only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
peers_src="${PEERS:-/work/shared/anchors/peers}"
build="${BUILD:-$repo/build-arenabench-rel}"
cc="${CC:-gcc}"

if [ ! -f "$peers_src/alloc_bench.c" ]; then
    echo "run_arena_vs_peers.sh: no alloc_bench.c in $peers_src (set PEERS=...)" >&2
    exit 2
fi

tmp="$(mktemp -d /tmp/lsmt-arena-peers.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cp "$peers_src/alloc_bench.c" "$peers_src/bench_common.h" "$peers_src/Makefile" "$tmp/"
chmod u+w "$tmp"/*

# Instrument the copy with the thread CPU time of each thread's alloc phase: two more
# numbers at the end of the child's output line, which arena-bench reads when present.
# On a machine shared with other work, the wall figures of both sides are dominated by
# time the threads did not get a CPU. The timed loops and everything else are untouched;
# every edit is checked, and if one did not apply (the anchor changed) the copy is built
# as published (wall time only). The diff is printed in the run's header.
instrumented=0
a="$tmp/alloc_bench.c"
if [ -z "${NO_CPU_PATCH:-}" ]; then
    cp "$a" "$a.orig"
    sed -i \
        -e 's|^    double t_alloc0, t_alloc1, t_free0, t_free1;$|&\n    double c_alloc; /* arenabench: thread CPU time of do_alloc */|' \
        -e 's|^    do_alloc(a);$|    { struct timespec c0_, c1_; clock_gettime(CLOCK_THREAD_CPUTIME_ID, \&c0_); do_alloc(a); clock_gettime(CLOCK_THREAD_CPUTIME_ID, \&c1_); a->c_alloc = (double)(c1_.tv_sec - c0_.tv_sec) + (double)(c1_.tv_nsec - c0_.tv_nsec) * 1e-9; }|' \
        -e 's|^    \*flt = (double)(minflt_now() - flt0) / W8_N;.*$|&\n    { double m_ = a[0].c_alloc; for (int t_ = 1; t_ < nt; t_++) if (a[t_].c_alloc > m_) m_ = a[t_].c_alloc; g_cpu_last = m_ * 1e9 / W8_N; }|' \
        -e 's|^static void \*\*g_ptrs;$|&\nstatic double g_cpu_last; /* arenabench: CPU ns/alloc of the last pass */|' \
        -e 's|^    one_pass(m, nt, &ac, &fc, &flc);$|&\n    double cc_ = g_cpu_last;|' \
        -e 's|^    one_pass(m, nt, &aw, &fw, &flw);$|&\n    double cw_ = g_cpu_last;|' \
        -e 's|^    printf("%.4f %.4f %.4f %.4f %.5f %.5f\\n", ac, fc, aw, fw, flc, flw);$|    printf("%.4f %.4f %.4f %.4f %.5f %.5f %.4f %.4f\\n", ac, fc, aw, fw, flc, flw, cc_, cw_);|' \
        "$a"
    if [ "$(diff "$a.orig" "$a" | grep -c '^>')" -eq 7 ]; then
        instrumented=1
    else
        echo "run_arena_vs_peers.sh: could not instrument alloc_bench.c; building it as published" >&2
        cp "$a.orig" "$a"
    fi
fi
# the peers' own Makefile rule (CFLAGS = -O2 -Wall -Wextra -pthread), only this target
make -s -C "$tmp" CC="$cc" build/alloc_bench >&2
peer_bin="$tmp/build/alloc_bench"

cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLSMT_BUILD_TESTS=OFF \
    -DLSMT_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j2 --target arena-bench >&2

echo "# run_arena_vs_peers.sh  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r)  $($cc --version | head -1)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)  loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo n/a)"
echo "# lsmt:  $build/bench/arena-bench (RelWithDebInfo = -O2 -g -DNDEBUG)"
echo "# peers: $peers_src/alloc_bench.c built as $peer_bin (-O2)"
if [ "$instrumented" = 1 ]; then
    echo "#   instrumented copy (thread CPU time around do_alloc; loops untouched):"
    diff "$a.orig" "$a" | sed 's/^/#   /' || true
fi
"$build/bench/arena-bench" --peer-bin "$peer_bin" "$@"
