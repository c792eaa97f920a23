/* W8 "alloc" of shared/anchors/WORKLOADS.md over every lsmt arena kind (and glibc malloc
 * as the baseline), as a library function: arena-bench (bench/arena_bench.c) drives it in
 * fresh processes, and memtable-bench can call it to run W8 too.
 *
 * The workload, per pass: N allocations (default 10,000,000) of size
 *     size_i = 16 + (splitmix64(i) & 112)          (16..128 bytes, multiples of 16)
 * each written with 8 bytes (the value i) and its pointer kept in a pre-faulted array;
 * then everything is freed at once (the "free-all" phase). Sizes are precomputed and the
 * pointer array is faulted in before the first pass: neither is timed.
 * With T threads, thread t allocates i = t, t+T, t+2T, ... and stores its pointers in its
 * own contiguous slice of the array (exactly as the peers' alloc_bench does). Figures are
 * wall time of the phase (first thread start to last thread end) / N.
 *
 * What each kind measures (alloc phase; free-all phase):
 *   malloc       glibc malloc(size_i); free() of every pointer.
 *   bump         lsmt_bump_arena_alloc(size_i, align 8) on one lsmt_bump_arena per thread (created
 *                before pass 0, untimed); lsmt_bump_arena_reset (keeps the blocks).
 *   carena       lsmt_sharded_arena_alloc(size_i, align 8) on ONE lsmt_sharded_arena shared by all
 *                threads (capacity >= 1 GiB reserved before pass 0, untimed; default
 *                shard count = CPU count); lsmt_sharded_arena_reset_all by thread 0.
 *   carena_huge  the same with huge_pages = true (MADV_HUGEPAGE on the region).
 *   pool         per pass one lsmt_arena_pool cycle: checkout (timed, added to the alloc
 *                phase), W8 on the checked-out carena, give_back (the free-all phase).
 *                Pass 0 creates the arena (cold); later passes get the recycled one.
 *   scratch      lsmt_scratch_alloc(size_i, align 8) of each thread's scratch arena with an
 *                auto-reset threshold above the pass's bytes; lsmt_scratch_reset.
 *   ring         a ring cannot hold 10M live buffers: one lsmt_ring per thread and a
 *                sliding window of `ring_window` live buffers: allocation j is
 *                lsmt_ring_alloc(size_i, align 16) + the 8-byte write + the release of
 *                the buffer allocated `ring_window` earlier (so the alloc phase = alloc + write +
 *                release, steady state after the first window); free-all = release of
 *                the last window. The pointer is still stored (it dangles once released;
 *                never read).
 * "cold" = pass 0 in a fresh process (includes page faults / heap growth); "warm" = any
 * later pass of the same w8_run call (memory reused after the free-all).
 *
 * Diagnostics: with W8_STATS=1 in the environment, the carena kinds print the arena's
 * statistics (bytes, chunks, shards claimed, shared_allocs) to stderr after each alloc
 * phase, outside the timed phases.
 *
 * Thread safety: w8_run may be called from one thread at a time (it starts and joins its
 * own worker threads; the calling thread is worker 0). */
#ifndef LSMT_BENCH_W8_ALLOC_H
#define LSMT_BENCH_W8_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/lsmt.h"

#define W8_DEFAULT_N   10000000ULL
#define W8_MAX_THREADS 64

typedef enum w8_kind {
    W8_MALLOC = 0,
    W8_BUMP,
    W8_CARENA,
    W8_CARENA_HUGE,
    W8_POOL,
    W8_SCRATCH,
    W8_RING,
    W8_KIND_COUNT
} w8_kind;

typedef struct w8_options {
    /* Allocations per pass. Default W8_DEFAULT_N (10M, the anchor). Range [1, 2^32]. */
    uint64_t n;
    /* Worker threads (the caller is worker 0). Default 1. Range [1, W8_MAX_THREADS]. */
    unsigned threads;
    /* Passes in this call: pass 0 is "cold" in a fresh process, passes >= 1 "warm".
     * Default 2. Range [1, 64]. */
    unsigned passes;
    /* carena / carena_huge / pool: bytes of address space of the region. Default 1.5 GiB
     * (W8 hands out ~720 MB; reserved address space only, MAP_NORESERVE). */
    size_t capacity;
    /* ring: live buffers per thread (the sliding window). Default 1024. >= 1. */
    size_t ring_window;
    /* ring: bytes of each thread's ring. Default 1 MiB (the window holds <= 128 KiB). */
    size_t ring_capacity;
    /* After each alloc phase (untimed, outside every figure), check that every allocation
     * still holds its value i (no two allocations overlap). Not for ring (released).
     * Default true: costs ~0.1 s per pass, keeps the figures honest. */
    bool verify;
} w8_options;

/* One pass's figures. */
typedef struct w8_pass {
    double alloc_ns;     /* wall ns per allocation of the alloc phase (all threads) */
    double free_ns;      /* wall ns per allocation of the free-all phase */
    double minflt;       /* minor page faults of the whole process during the pass (alloc +
                          * free-all phases) per allocation (getrusage RUSAGE_SELF) */
    double alloc_cpu_ns; /* the alloc phase by CPU time: max over the workers of the
                          * worker's thread CPU time (user + system, page faults
                          * included), ns per allocation. Equals alloc_ns on a quiet
                          * machine; on a busy one it drops the time spent waiting for a
                          * CPU (single-thread figures stay usable). Not a measure of
                          * multi-thread throughput. */
} w8_pass;

/* Fill `opt` with the defaults above. NULL is ignored. */
void w8_options_default(w8_options *opt);

/* The kind's short name ("malloc", "bump", "carena", "carena_huge", "pool", "scratch",
 * "ring"); "?" for a value out of range. Static string. */
const char *w8_kind_name(w8_kind k);

/* Parse a short name into *out (written only on success). LSMT_INVALID if unknown or
 * NULL arguments. */
lsmt_status w8_kind_parse(const char *name, w8_kind *out);

/* Run `opt->passes` passes of W8 over `kind` (opt NULL = defaults) and write pass p's
 * figures to out[p] (the array holds opt->passes entries; written only on success).
 * Everything the call creates (arenas, pool, rings, threads, the size and pointer
 * arrays) is destroyed before it returns; the calling thread's scratch arena is released
 * (lsmt_scratch_release) and its threshold restored. Returns LSMT_OK; LSMT_INVALID for bad options
 * or NULL out; LSMT_NOMEM when memory or a thread could not be obtained; LSMT_FULL when an arena or
 * ring refused an allocation (capacity too small for N); LSMT_CORRUPT when `verify` found an
 * overwritten value; any other status an arena call returned. `what` (may be NULL) receives a
 * static description of the failure (what failed), or "" on success. */
lsmt_status w8_run(w8_kind kind, const w8_options *opt, w8_pass *out, const char **what);

#endif /* LSMT_BENCH_W8_ALLOC_H */
