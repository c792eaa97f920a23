/* The arena tests' view of the page layer: a backing that counts and fails on demand,
 * and the page faults a thread took.
 *
 * test_concurrent_arena.c and test_pool.c assert how often the arenas map, unmap,
 * discard and ask for huge pages (a steady state must make no such call) and how many
 * page faults a refill takes. The counting backing forwards every call to
 * lsmt_backing_os(). Its counters are atomic: the concurrency tests share one backing
 * between threads. */
#ifndef LSMT_TESTS_SUPPORT_BACKING_H
#define LSMT_TESTS_SUPPORT_BACKING_H

#include "lsmt/arena.h"

#include <stdatomic.h>
#include <stddef.h>

#define MIB ((size_t)1 << 20)
#define KIB ((size_t)1 << 10)

/* Under ASan/TSan the runtime faults in its shadow memory for the pages we touch, on its
 * own schedule, so page-fault counts say nothing about lsmt there: the fault assertions
 * run in plain builds only (the map/unmap counts are asserted everywhere). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(LSMT_TSAN)
#define FAULTS_MEASURABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FAULTS_MEASURABLE 0
#endif
#endif
#ifndef FAULTS_MEASURABLE
#define FAULTS_MEASURABLE 1
#endif

/* A backing that counts calls and can be told to fail; forwards to the OS backing. */
struct counting {
    atomic_int maps, unmaps, discards, hugepages;
    atomic_int fail_map;     /* != 0: map fails (12, ENOMEM) */
    atomic_int fail_discard; /* != 0: discard fails (5, EIO) */
    atomic_int map_budget;   /* > 0: that many more maps succeed, then they fail */
    atomic_size_t discarded; /* bytes discarded */
    atomic_size_t last_map_align, last_map_size, last_discard_size, last_huge_size;
};

/* The backing's calls; ctx is a struct counting. Each counts the calls it forwards. */
int cnt_map(void *ctx, size_t size, size_t align, void **out);
int cnt_unmap(void *ctx, void *addr, size_t size);
int cnt_discard(void *ctx, void *addr, size_t size);
int cnt_huge(void *ctx, void *addr, size_t size);

/* Zeroes *c and returns a backing of all four calls that counts into it. */
lsmt_backing counting_backing(struct counting *c);

/* Minor page faults the calling thread has taken so far (getrusage(RUSAGE_THREAD)). */
long minflt_thread(void);

/* The allocation's pointer, or NULL when lsmt_sharded_arena_alloc did not return LSMT_OK:
 * for the calls whose failure a test only tells from success (also in worker threads,
 * so no Check assertion here). */
static inline void *alloc_p(lsmt_sharded_arena *a, size_t size, size_t align)
{
    void *p = NULL;
    return lsmt_sharded_arena_alloc(a, size, align, &p) == LSMT_OK ? p : NULL;
}

/* The arena's stats' bytes_allocated (0 when they cannot be read), from any thread. */
static inline size_t allocated(const lsmt_sharded_arena *a)
{
    lsmt_sharded_arena_stats s;
    return lsmt_sharded_arena_stats_get(a, &s) == LSMT_OK ? s.bytes_allocated : 0;
}

#endif
