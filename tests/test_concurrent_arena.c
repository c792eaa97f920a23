/* Check suite for lsmt_sharded_arena (arena/concurrent.c) and lsmt_backing_os (arena/backing.c).
 *
 * TCases: lifecycle, bad input, allocation, full, reuse, concurrency. The concurrency
 * tests check LevelDB-style properties: every allocation is filled with a pattern
 * derived from (thread, index) and verified at the end, and the ranges are checked to be
 * pairwise disjoint and inside [base, base + capacity). Each concurrent test has a
 * deterministic single-thread twin (distinct_single, full_single). Iteration counts
 * shrink under ThreadSanitizer (LSMT_TSAN). */
#include "lsmt/arena.h"

#include "arena/concurrent_internal.h"

#include <check.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/backing.h"
#include "support/check_run.h"
#include "support/hash.h"
#include "support/scale.h"

#define SCALE LSMT_TEST_SCALE_DOWN(8, 1)

/* ---- helpers ----------------------------------------------------------------------- */

static lsmt_sharded_arena *make(size_t capacity, size_t chunk, size_t shards, const lsmt_backing *b)
{
    lsmt_sharded_arena_options o;
    lsmt_sharded_arena_options_default(&o);
    o.capacity = capacity;
    o.chunk_size = chunk;
    o.shard_count = shards;
    o.backing = b;
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    ck_assert_ptr_nonnull(a);
    return a;
}

static size_t claimed(const lsmt_sharded_arena *a)
{
    lsmt_sharded_arena_stats s;
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s), LSMT_OK);
    return s.shards_claimed;
}

/* One recorded allocation. */
struct rec {
    unsigned char *p;
    size_t size;
    uint32_t tag;
};

static unsigned char pattern(uint32_t tag, size_t i)
{
    return (unsigned char)(tag * 131u + i * 7u + 1u);
}

static void fill(struct rec *r)
{
    for (size_t i = 0; i < r->size; i++)
        r->p[i] = pattern(r->tag, i);
}

static int cmp_rec(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    return a->p < b->p ? -1 : a->p > b->p;
}

/* Every pattern intact, ranges disjoint and inside the region. Sorts `recs`. */
static void verify(lsmt_sharded_arena *a, struct rec *recs, size_t n)
{
    unsigned char *base = lsmt_sharded_arena_base_(a);
    size_t cap = lsmt_sharded_arena_capacity_(a);
    /* Plain checks in the loops, one Check assertion on failure: Check's asserts are
     * too slow for millions of bytes. */
    for (size_t k = 0; k < n; k++) {
        size_t bad = recs[k].size;
        for (size_t i = 0; i < recs[k].size && bad == recs[k].size; i++)
            if (recs[k].p[i] != pattern(recs[k].tag, i))
                bad = i;
        if (bad != recs[k].size)
            ck_abort_msg("pattern broken at rec %zu byte %zu", k, bad);
        if (recs[k].p < base || recs[k].p + recs[k].size > base + cap)
            ck_abort_msg("rec %zu outside the region", k);
    }
    qsort(recs, n, sizeof *recs, cmp_rec);
    for (size_t k = 1; k < n; k++)
        if (recs[k - 1].p + recs[k - 1].size > recs[k].p)
            ck_abort_msg("overlap at %zu", k);
}

/* ---- lifecycle --------------------------------------------------------------------- */

START_TEST(lifecycle_defaults)
{
    lsmt_sharded_arena_options o;
    memset(&o, 0xff, sizeof o);
    lsmt_sharded_arena_options_default(&o);
    ck_assert_uint_eq(o.capacity, 64 * MIB);
    ck_assert_uint_eq(o.chunk_size, 256 * KIB);
    ck_assert_uint_eq(o.shard_count, 0);
    ck_assert(!o.huge_pages);
    ck_assert_ptr_null(o.backing);
    lsmt_sharded_arena_options_default(NULL); /* ignored */

    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(NULL, &a), LSMT_OK);
    lsmt_sharded_arena_stats s;
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s), LSMT_OK);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_uint_eq(s.shard_count, (size_t)(cpus < 1 ? 1 : cpus > 256 ? 256 : cpus));
    ck_assert_uint_eq(s.capacity, 64 * MIB);
    ck_assert_uint_eq(s.bytes_allocated, 0);
    ck_assert_uint_eq(s.bytes_reserved, 0);
    ck_assert_uint_eq(s.chunk_count, 0);
    ck_assert_uint_eq(s.shards_claimed, 0);
    ck_assert_uint_eq(s.shared_allocs, 0);
    ck_assert_ptr_nonnull(lsmt_sharded_arena_base_(a));
    ck_assert_uint_eq((uintptr_t)lsmt_sharded_arena_base_(a) % 4096, 0);
    ck_assert_uint_eq(lsmt_sharded_arena_capacity_(a), 64 * MIB);
    ck_assert_uint_ne(lsmt_sharded_arena_id_(a), 0);
    lsmt_sharded_arena_destroy(a);
    lsmt_sharded_arena_destroy(NULL); /* no-op */
}
END_TEST

START_TEST(lifecycle_ids_unique)
{
    uint64_t prev = 0;
    for (int i = 0; i < 16; i++) {
        lsmt_sharded_arena *a = make(64 * KIB, 4 * KIB, 1, NULL);
        uint64_t id = lsmt_sharded_arena_id_(a);
        ck_assert_uint_gt(id, prev); /* never reused, even at the same address */
        prev = id;
        lsmt_sharded_arena_destroy(a);
    }
}
END_TEST

START_TEST(lifecycle_map_unmap_once)
{
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    lsmt_sharded_arena *a = make(8 * MIB, 64 * KIB, 2, &b);
    ck_assert_int_eq(atomic_load(&c.maps), 1);
    ck_assert_uint_eq(c.last_map_size, 8 * MIB);
    for (int i = 0; i < 1000; i++)
        ck_assert_ptr_nonnull(alloc_p(a, 1000, 0));
    ck_assert_int_eq(atomic_load(&c.maps), 1);
    ck_assert_int_eq(atomic_load(&c.hugepages), 0);
    lsmt_sharded_arena_destroy(a);
    ck_assert_int_eq(atomic_load(&c.unmaps), 1);
}
END_TEST

START_TEST(lifecycle_huge_pages)
{
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    lsmt_sharded_arena_options o;
    lsmt_sharded_arena_options_default(&o);
    o.capacity = 3 * MIB; /* mapped as 4 MiB: whole huge pages */
    o.huge_pages = true;
    o.backing = &b;
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)lsmt_sharded_arena_base_(a) % (2 * MIB), 0);
    ck_assert_uint_eq(c.last_map_align, 2 * MIB);
    ck_assert_int_eq(atomic_load(&c.hugepages), 1);
    ck_assert_uint_eq(c.last_huge_size, 4 * MIB);
    ck_assert_uint_eq(lsmt_sharded_arena_capacity_(a), 3 * MIB); /* the limit stays as asked */
    size_t total = 0;
    void *p;
    while ((p = alloc_p(a, 4000, 0)) != NULL) {
        memset(p, 0x5a, 4000);
        total += 4000;
    }
    ck_assert_uint_le(total, 3 * MIB);
    ck_assert_uint_gt(total, 3 * MIB - 64 * KIB);
    lsmt_sharded_arena_destroy(a);

    /* The OS backing: huge pages on a real mapping work the same. */
    o.backing = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)lsmt_sharded_arena_base_(a) % (2 * MIB), 0);
    p = alloc_p(a, 100, 0);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, 100);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(backing_os_hooks)
{
    const lsmt_backing *b = lsmt_backing_os();
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(b, lsmt_backing_os());
    void *p = NULL;
    ck_assert_int_eq(b->map(b->ctx, 3 * MIB, 2 * MIB, &p), 0);
    ck_assert_uint_eq((uintptr_t)p % (2 * MIB), 0);
    unsigned char *u = p;
    ck_assert_uint_eq(u[0], 0); /* zero-filled */
    memset(u, 0xab, 3 * MIB);
    ck_assert_int_eq(b->discard(b->ctx, p, 3 * MIB), 0);
    ck_assert_uint_eq(u[12345], 0);        /* dropped pages read as zeros */
    (void)b->hugepage(b->ctx, p, 2 * MIB); /* may fail when THP is off: not an error */
    ck_assert_int_eq(b->unmap(b->ctx, p, 3 * MIB), 0);
    /* Bad input is an error code, never a crash. */
    ck_assert_int_ne(b->map(b->ctx, 4096, 4096, NULL), 0);
    ck_assert_int_ne(b->map(b->ctx, 0, 4096, &p), 0);
    ck_assert_int_ne(b->map(b->ctx, 4096, 3000, &p), 0);
    ck_assert_int_ne(b->map(b->ctx, SIZE_MAX - 4096, 4096, &p), 0);
    ck_assert_int_ne(b->unmap(b->ctx, NULL, 4096), 0);
    ck_assert_int_ne(b->discard(b->ctx, NULL, 4096), 0);
}
END_TEST

/* ---- bad input --------------------------------------------------------------------- */

/* A broken backing: returns its mapping 4 KiB past an aligned address. */
static atomic_int g_misaligned_unmaps;
static int misaligned_map(void *ctx, size_t size, size_t align, void **out)
{
    (void)ctx;
    void *p;
    int rc = lsmt_backing_os()->map(NULL, size + 4096, align, &p);
    if (rc == 0)
        *out = (char *)p + 4096;
    return rc;
}
static int misaligned_unmap(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    atomic_fetch_add(&g_misaligned_unmaps, 1);
    return lsmt_backing_os()->unmap(NULL, (char *)addr - 4096, size + 4096);
}

static void expect_bad_options(lsmt_sharded_arena_options o, lsmt_status want)
{
    lsmt_sharded_arena *sentinel = (lsmt_sharded_arena *)(uintptr_t)0x1234;
    lsmt_sharded_arena *a = sentinel;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), want);
    ck_assert_ptr_eq(a, sentinel); /* out written only on success */
}

START_TEST(bad_create)
{
    lsmt_sharded_arena_options d, o;
    lsmt_sharded_arena_options_default(&d);
    ck_assert_int_eq(lsmt_sharded_arena_create(&d, NULL), LSMT_INVALID);
    o = d, o.chunk_size = 0;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.chunk_size = 3 * 4096; /* not a power of two */
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.chunk_size = 2048; /* below 4 KiB */
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.capacity = 0;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.capacity = d.chunk_size - 1;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.capacity = ((size_t)1 << 40) + 1;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.capacity = SIZE_MAX;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.shard_count = 257;
    expect_bad_options(o, LSMT_INVALID);
    o = d, o.shard_count = SIZE_MAX;
    expect_bad_options(o, LSMT_INVALID);
    lsmt_backing nomap = {NULL, cnt_unmap, cnt_discard, NULL, NULL};
    o = d, o.backing = &nomap;
    expect_bad_options(o, LSMT_INVALID);
    lsmt_backing nounmap = {cnt_map, NULL, cnt_discard, NULL, NULL};
    o = d, o.backing = &nounmap;
    expect_bad_options(o, LSMT_INVALID);
    lsmt_backing nodiscard = {cnt_map, cnt_unmap, NULL, NULL, NULL};
    o = d, o.backing = &nodiscard;
    expect_bad_options(o, LSMT_INVALID);
    /* A backing that refuses the region: LSMT_NOMEM, nothing mapped. */
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    atomic_store(&c.fail_map, 1);
    o = d, o.backing = &b;
    expect_bad_options(o, LSMT_NOMEM);
    ck_assert_int_eq(atomic_load(&c.maps), 0);
    ck_assert_int_eq(atomic_load(&c.unmaps), 0);
    /* A backing that breaks the alignment contract: LSMT_NOMEM, its region returned. */
    lsmt_backing mis = {misaligned_map, misaligned_unmap, cnt_discard, NULL, NULL};
    o = d, o.backing = &mis, o.huge_pages = true;
    expect_bad_options(o, LSMT_NOMEM);
    ck_assert_int_eq(atomic_load(&g_misaligned_unmaps), 1);
#if !defined(LSMT_TSAN) /* TSan keeps most of the address space for its shadow */
    /* The largest allowed values are accepted (2^40 of address space, MAP_NORESERVE). */
    o = d, o.capacity = (size_t)1 << 40, o.shard_count = 256, o.chunk_size = (size_t)1 << 30;
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    ck_assert_ptr_nonnull(alloc_p(a, (size_t)1 << 30, 4096));
    lsmt_sharded_arena_destroy(a);
#endif
}
END_TEST

START_TEST(bad_alloc)
{
    lsmt_sharded_arena *a = make(1 * MIB, 64 * KIB, 2, NULL);
    void *sentinel = (void *)(uintptr_t)0x5678, *p = sentinel;
    /* NULL handles and outputs and size 0 are in test_bad_input's sweep; here the
     * sizes and alignments whose arithmetic could wrap, then what they left behind */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, SIZE_MAX, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, SIZE_MAX - 4095, 4096, &p), LSMT_INVALID);
    /* > capacity: it could never fit, so INVALID rather than FULL */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 1 * MIB + 1, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 3, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 5, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 24, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 8192, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, SIZE_MAX, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, sentinel);
    /* Nothing was consumed by the bad calls. */
    ck_assert_uint_eq(allocated(a), 0);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), 0);
    ck_assert_uint_eq(claimed(a), 0);
    /* A whole-capacity request is valid and fits an empty arena. */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 1 * MIB, 4096, &p), LSMT_OK);
    ck_assert_ptr_eq(p, lsmt_sharded_arena_base_(a));
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(bad_queries)
{
    lsmt_sharded_arena_stats s;
    memset(&s, 0x77, sizeof s);
    lsmt_sharded_arena_stats copy = s;
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(NULL), 0);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_mem_eq(&s, &copy, sizeof s);
    ck_assert_ptr_null(lsmt_sharded_arena_base_(NULL));
    ck_assert_uint_eq(lsmt_sharded_arena_capacity_(NULL), 0);
    ck_assert_uint_eq(lsmt_sharded_arena_id_(NULL), 0);
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(NULL), LSMT_INVALID);
    lsmt_sharded_arena *a = make(1 * MIB, 64 * KIB, 1, NULL);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, NULL), LSMT_INVALID);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- allocation -------------------------------------------------------------------- */

START_TEST(alloc_alignment_and_accounting)
{
    lsmt_sharded_arena *a = make(4 * MIB, 64 * KIB, 1, NULL);
    unsigned char *base = lsmt_sharded_arena_base_(a);
    size_t expect = 0;
    for (size_t align = 1; align <= 4096; align *= 2) {
        for (int k = 0; k < 5; k++) {
            size_t before = allocated(a);
            unsigned char *p = alloc_p(a, 24, align);
            ck_assert_ptr_nonnull(p);
            ck_assert_uint_eq((uintptr_t)p % align, 0);
            ck_assert(p >= base && p + 24 <= base + 4 * MIB);
            for (int i = 0; i < 24; i++)
                ck_assert_uint_eq(p[i], 0); /* fresh memory is zero (header inv. 6) */
            size_t after = allocated(a);
            ck_assert_uint_ge(after - before, 24);
            ck_assert_uint_lt(after - before, 24 + align);
        }
    }
    /* align 0 means 8 */
    for (int k = 0; k < 10; k++) {
        unsigned char *p = alloc_p(a, 3, 0);
        ck_assert_uint_eq((uintptr_t)p % 8, 0);
    }
    /* Exact accounting with 8-aligned sizes. */
    lsmt_sharded_arena_reset_all(a);
    for (int k = 0; k < 1000; k++) {
        size_t sz = 8 * (size_t)(1 + k % 50);
        ck_assert_ptr_nonnull(alloc_p(a, sz, 8));
        expect += sz;
    }
    ck_assert_uint_eq(allocated(a), expect);
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(a, &s);
    ck_assert_uint_eq(s.shards_claimed, 1);
    ck_assert_uint_eq(s.shared_allocs, 0);
    ck_assert_uint_eq(s.bytes_reserved, s.chunk_count * 64 * KIB);
    ck_assert_uint_ge(s.bytes_reserved, expect);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(alloc_oversize)
{
    lsmt_sharded_arena *a = make(4 * MIB, 64 * KIB, 1, NULL);
    unsigned char *small = alloc_p(a, 64, 0);
    ck_assert_ptr_nonnull(small);
    size_t reserved = lsmt_sharded_arena_bytes_reserved_(a);
    ck_assert_uint_eq(reserved, 64 * KIB);
    /* Larger than a chunk: carved directly, the current chunk stays in use. */
    unsigned char *big = alloc_p(a, 200 * KIB, 0);
    ck_assert_ptr_nonnull(big);
    memset(big, 0xee, 200 * KIB);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), reserved + 200 * KIB);
    unsigned char *small2 = alloc_p(a, 64, 0);
    ck_assert_ptr_eq(small2, small + 64); /* same chunk as before */
    ck_assert_uint_eq(allocated(a), 64 + 200 * KIB + 64);
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(a, &s);
    ck_assert_uint_eq(s.chunk_count, 1);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(distinct_single)
{
    lsmt_sharded_arena *a = make(16 * MIB, 64 * KIB, 2, NULL);
    size_t n = 20000 / SCALE;
    struct rec *recs = calloc(n, sizeof *recs);
    uint64_t seed = 42;
    for (size_t k = 0; k < n; k++) {
        uint64_t r = splitmix64(&seed);
        size_t size = 1 + (size_t)(r % 600);
        size_t align = (size_t)1 << ((r >> 20) % 9); /* 1 .. 256 */
        recs[k].p = alloc_p(a, size, align);
        ck_assert_ptr_nonnull(recs[k].p);
        ck_assert_uint_eq((uintptr_t)recs[k].p % align, 0);
        recs[k].size = size;
        recs[k].tag = (uint32_t)k;
        fill(&recs[k]);
    }
    verify(a, recs, n);
    free(recs);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- full -------------------------------------------------------------------------- */

START_TEST(full_single)
{
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    lsmt_sharded_arena *a = make(1 * MIB, 64 * KIB, 1, &b);
    size_t total = 0;
    void *p;
    while ((p = alloc_p(a, 1000, 8)) != NULL)
        total += 1000;
    /* Every chunk wastes < 1000 bytes; the region's tail is used too. */
    ck_assert_uint_gt(total, 1 * MIB - 17 * 1000);
    void *sentinel = (void *)(uintptr_t)0x99, *q = sentinel;
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 1000, 8, &q), LSMT_FULL);
    ck_assert_ptr_eq(q, sentinel);
    /* Smaller requests still fill what is left; then everything is full. */
    while ((p = alloc_p(a, 8, 8)) != NULL)
        total += 8;
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), 1 * MIB);
    ck_assert_uint_eq(allocated(a), total);
    /* Only the tails of abandoned chunks (< 1000 bytes each) went unused. */
    ck_assert_uint_gt(total, 1 * MIB - 16 * 1000);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 1, 1, &q), LSMT_FULL);
    ck_assert_ptr_eq(q, sentinel);
    /* Still usable after reset_all, without mapping anything. */
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), 0);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 1000, 8, &q), LSMT_OK);
    ck_assert_ptr_eq(q, lsmt_sharded_arena_base_(a));
    ck_assert_int_eq(atomic_load(&c.maps), 1);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

struct full_arg {
    lsmt_sharded_arena *a;
    pthread_barrier_t *bar;
    uint32_t tid;
    struct rec *recs;
    size_t n, cap;
    size_t bytes;
};

static void *full_worker(void *p)
{
    struct full_arg *f = p;
    uint64_t seed = f->tid;
    pthread_barrier_wait(f->bar);
    for (;;) {
        size_t size = 8 * (1 + (size_t)(splitmix64(&seed) % 300));
        unsigned char *q = alloc_p(f->a, size, 8);
        if (q == NULL) {
            if (size == 8)
                break;
            continue; /* a smaller request may still fit */
        }
        ck_assert_uint_lt(f->n, f->cap);
        struct rec *r = &f->recs[f->n++];
        r->p = q, r->size = size, r->tag = f->tid << 20 | (uint32_t)f->n;
        fill(r);
        f->bytes += size;
    }
    return NULL;
}

START_TEST(full_concurrent)
{
    enum { T = 6 };
    /* 2 shards for 6 threads: owners and the shared path race for the last bytes. */
    lsmt_sharded_arena *a = make(4 * MIB / SCALE, 16 * KIB, 2, NULL);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, T);
    pthread_t th[T];
    struct full_arg f[T];
    for (int t = 0; t < T; t++) {
        f[t] = (struct full_arg){a, &bar, (uint32_t)t, NULL, 0, 4 * MIB / 8, 0};
        f[t].recs = calloc(f[t].cap, sizeof(struct rec));
        pthread_create(&th[t], NULL, full_worker, &f[t]);
    }
    size_t n = 0, bytes = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        n += f[t].n;
        bytes += f[t].bytes;
    }
    struct rec *all = calloc(n, sizeof *all);
    for (int t = 0, k = 0; t < T; t++) {
        memcpy(all + k, f[t].recs, f[t].n * sizeof *all);
        k += (int)f[t].n;
        free(f[t].recs);
    }
    verify(a, all, n);
    ck_assert_uint_eq(allocated(a), bytes);
    ck_assert_uint_le(lsmt_sharded_arena_bytes_reserved_(a), lsmt_sharded_arena_capacity_(a));
    /* 8-byte requests were refused only when neither the owners' chunks nor the region
     * had room: the only loss is each abandoned chunk tail (smaller than the request
     * that did not fit, <= 2400 bytes) and the alignment of each chunk start to the
     * cache line (< 64 bytes). */
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(a, &s);
    ck_assert_uint_eq(s.bytes_reserved, s.capacity);
    ck_assert_uint_ge(bytes, s.capacity - s.chunk_count * (8 * 300 + 64));
    free(all);
    pthread_barrier_destroy(&bar);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- reuse ------------------------------------------------------------------------- */

START_TEST(reuse_after_reset)
{
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    lsmt_sharded_arena *a = make(16 * MIB, 64 * KIB, 2, &b);
    const size_t fill_bytes = 4 * MIB, sz = 128;
    unsigned char *first = NULL;
    long faults[3];
    for (int round = 0; round < 3; round++) {
        long f0 = minflt_thread();
        for (size_t done = 0; done < fill_bytes; done += sz) {
            unsigned char *p = alloc_p(a, sz, 8);
            ck_assert_ptr_nonnull(p);
            if (done == 0) {
                if (round == 0)
                    first = p;
                ck_assert_ptr_eq(p, first); /* the same memory, in place */
            }
            memset(p, round + 1, sz);
        }
        faults[round] = minflt_thread() - f0;
        ck_assert_uint_eq(allocated(a), fill_bytes);
        ck_assert_uint_eq(claimed(a), 1);
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        /* reset keeps the claim (header invariant 5) and zeroes the counters */
        lsmt_sharded_arena_stats s;
        lsmt_sharded_arena_stats_get(a, &s);
        ck_assert_uint_eq(s.shards_claimed, 1);
        ck_assert_uint_eq(s.bytes_allocated, 0);
        ck_assert_uint_eq(s.bytes_reserved, 0);
        ck_assert_uint_eq(s.chunk_count, 0);
    }
    /* The first round faulted its pages in; the later ones reuse them (header inv. 5).
     * The first round's count also shows the measurement works. */
    if (FAULTS_MEASURABLE) {
        ck_assert_int_ge(faults[0], (long)(fill_bytes / 4096));
        ck_assert_int_eq(faults[1], 0);
        ck_assert_int_eq(faults[2], 0);
    }
    ck_assert_int_eq(atomic_load(&c.maps), 1);
    ck_assert_int_eq(atomic_load(&c.unmaps), 0);
    ck_assert_int_eq(atomic_load(&c.discards), 0);
    /* After reset the memory holds old bytes (header invariant 6). */
    unsigned char *p = alloc_p(a, 16, 8);
    ck_assert_uint_eq(p[0], 3);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(release_pages_zeroes)
{
    struct counting c;
    lsmt_backing b = counting_backing(&c);
    lsmt_sharded_arena *a = make(16 * MIB, 64 * KIB, 1, &b);
    for (int i = 0; i < 1000; i++)
        memset(alloc_p(a, 1000, 8), 0xab, 1000);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(a), LSMT_OK);
    ck_assert_int_eq(atomic_load(&c.discards), 1);
    /* Only the touched part (rounded to pages) went to discard. */
    ck_assert_uint_ge(c.last_discard_size, 1000 * 1000);
    ck_assert_uint_le(c.last_discard_size, 1000 * 1000 + 64 * KIB);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), 0);
    unsigned char *p = alloc_p(a, 1000, 8);
    ck_assert_ptr_eq(p, lsmt_sharded_arena_base_(a));
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(p[i], 0); /* the pages were dropped: zero again */
    /* Nothing touched since the last discard: nothing to discard... */
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    size_t n = 1;
    ck_assert_int_eq(lsmt_sharded_arena_release_pages_n(a, &n), LSMT_OK);
    ck_assert_uint_eq(n, 64 * KIB); /* ...but the chunk carved above */
    ck_assert_int_eq(lsmt_sharded_arena_release_pages_n(a, &n), LSMT_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(atomic_load(&c.discards), 2);
    /* A failing discard: LSMT_NOMEM, the arena is reset anyway and stays usable. */
    memset(alloc_p(a, 1000, 8), 1, 1000);
    atomic_store(&c.fail_discard, 1);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(a), LSMT_NOMEM);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(a), 0);
    ck_assert_ptr_nonnull(alloc_p(a, 1000, 8));
    atomic_store(&c.fail_discard, 0);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(a), LSMT_OK);
    ck_assert_int_eq(atomic_load(&c.maps), 1);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------------- */

struct dist_arg {
    lsmt_sharded_arena *a;
    pthread_barrier_t *bar;
    uint32_t tid;
    size_t n;
    struct rec *recs;
    size_t bytes;
    bool random_align; /* else sizes are multiples of 8 with align 8: no padding */
};

static void *dist_worker(void *p)
{
    struct dist_arg *d = p;
    uint64_t seed = 1000 + d->tid;
    pthread_barrier_wait(d->bar); /* all threads alive before anyone allocates */
    for (size_t k = 0; k < d->n; k++) {
        uint64_t r = splitmix64(&seed);
        size_t size = 8 * (1 + (size_t)(r % 40)), align = 8;
        if (d->random_align) {
            size = 1 + (size_t)(r % 320);
            align = (size_t)1 << ((r >> 32) % 7); /* 1 .. 64 */
        }
        struct rec *rc = &d->recs[k];
        rc->p = alloc_p(d->a, size, align);
        if (rc->p == NULL || (uintptr_t)rc->p % align != 0)
            ck_abort_msg("bad allocation %p (size %zu align %zu)", (void *)rc->p, size, align);
        rc->size = size;
        rc->tag = d->tid << 20 | (uint32_t)k;
        fill(rc);
        d->bytes += size;
    }
    pthread_barrier_wait(d->bar); /* nobody exits (and releases) before all are done */
    return NULL;
}

/* T threads, each n allocations; returns the stats after the threads exited. With
 * random_align, sizes 1..320 and alignments 1..64 (bytes_allocated then also counts
 * the alignment padding of the owners' bumps, < 64 per allocation). */
static lsmt_sharded_arena_stats run_distinct(lsmt_sharded_arena *a, int T, size_t n,
                                             bool random_align)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)T);
    pthread_t *th = calloc((size_t)T, sizeof *th);
    struct dist_arg *d = calloc((size_t)T, sizeof *d);
    struct rec *all = calloc((size_t)T * n, sizeof *all);
    for (int t = 0; t < T; t++) {
        d[t] = (struct dist_arg){a, &bar, (uint32_t)t, n, all + (size_t)t * n, 0, random_align};
        pthread_create(&th[t], NULL, dist_worker, &d[t]);
    }
    size_t bytes = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        bytes += d[t].bytes;
    }
    verify(a, all, (size_t)T * n);
    if (random_align) {
        ck_assert_uint_ge(allocated(a), bytes);
        ck_assert_uint_lt(allocated(a), bytes + (size_t)T * n * 64);
    } else {
        ck_assert_uint_eq(allocated(a), bytes);
    }
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(a, &s);
    ck_assert_uint_eq(s.shards_claimed, 0); /* every thread released its claim on exit */
    free(all);
    free(d);
    free(th);
    pthread_barrier_destroy(&bar);
    return s;
}

START_TEST(distinct_threads)
{
    lsmt_sharded_arena *a = make(64 * MIB, 64 * KIB, 4, NULL);
    lsmt_sharded_arena_stats s = run_distinct(a, 4, 30000 / SCALE, true);
    ck_assert_uint_eq(s.shared_allocs, 0); /* 4 threads, 4 shards: all exclusive */
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(more_threads_than_shards)
{
    for (size_t shards = 1; shards <= 2; shards++) {
        lsmt_sharded_arena *a = make(64 * MIB, 16 * KIB, shards, NULL);
        lsmt_sharded_arena_stats s = run_distinct(a, 8, 20000 / SCALE, shards == 1);
        /* All 8 threads were alive together, at most `shards` of them own a shard: the
         * others must have gone through the shared path. */
        ck_assert_uint_gt(s.shared_allocs, 0);
        lsmt_sharded_arena_destroy(a);
    }
}
END_TEST

static void *churn_worker(void *p)
{
    lsmt_sharded_arena *a = p;
    for (int k = 0; k < 100; k++) {
        unsigned char *q = alloc_p(a, 64, 8);
        ck_assert_ptr_nonnull(q);
        memset(q, k, 64);
    }
    return NULL;
}

START_TEST(thread_churn)
{
    lsmt_sharded_arena *a = make(64 * MIB, 16 * KIB, 2, NULL);
    size_t rounds = 200 / SCALE;
    for (size_t r = 0; r < rounds; r++) {
        pthread_t th[3];
        for (int t = 0; t < 3; t++)
            pthread_create(&th[t], NULL, churn_worker, a);
        for (int t = 0; t < 3; t++)
            pthread_join(th[t], NULL);
        /* The threads are gone: so are their claims (header invariant 4). */
        ck_assert_uint_eq(claimed(a), 0);
    }
    ck_assert_uint_eq(allocated(a), rounds * 3 * 100 * 64);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* A long-lived worker that runs commands from the main thread, in lock step. */
struct cmd_worker {
    pthread_barrier_t bar;
    lsmt_sharded_arena *volatile target;
    bool quit;
    void *got;
};

static void *cmd_loop(void *p)
{
    struct cmd_worker *w = p;
    for (;;) {
        pthread_barrier_wait(&w->bar); /* command posted */
        if (w->quit)
            return NULL;
        w->got = alloc_p(w->target, 256, 8);
        if (w->got != NULL)
            memset(w->got, 0x3c, 256);
        pthread_barrier_wait(&w->bar); /* command done */
    }
}

static void *cmd_run(struct cmd_worker *w, lsmt_sharded_arena *a)
{
    w->target = a;
    pthread_barrier_wait(&w->bar);
    pthread_barrier_wait(&w->bar);
    return w->got;
}

START_TEST(recreate_same_address)
{
    struct cmd_worker w;
    memset(&w, 0, sizeof w);
    pthread_barrier_init(&w.bar, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, cmd_loop, &w);

    lsmt_sharded_arena *a = make(4 * MIB, 16 * KIB, 2, NULL);
    ck_assert_ptr_nonnull(cmd_run(&w, a)); /* the worker claims a shard of a */
    ck_assert_uint_eq(claimed(a), 1);
    uintptr_t old_addr = (uintptr_t)a;
    uint64_t old_id = lsmt_sharded_arena_id_(a);
    lsmt_sharded_arena_destroy(a); /* the worker lives on with a stale cache entry */

    /* Try to get a new arena at the old address (malloc usually hands it back). */
    lsmt_sharded_arena *keep[32];
    int nkeep = 0;
    lsmt_sharded_arena *b = make(4 * MIB, 16 * KIB, 2, NULL);
    while ((uintptr_t)b != old_addr && nkeep < 32) {
        keep[nkeep++] = b;
        b = make(4 * MIB, 16 * KIB, 2, NULL);
    }
    /* The scenario needs the old address; glibc hands it back at once in practice. If
     * it ever does not, say so instead of passing without testing anything. */
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's quarantine holds freed blocks back, so the address rarely comes back here;
     * the plain and TSan builds exercise the case (and assert that they did). */
    if ((uintptr_t)b != old_addr)
        fprintf(stderr, "recreate_same_address: address not reused under ASan (quarantine)\n");
#else
    ck_assert_msg((uintptr_t)b == old_addr,
                  "malloc never returned the destroyed arena's address in 33 tries: "
                  "the recreate-at-the-same-address case was not exercised");
#endif
    ck_assert_uint_ne(lsmt_sharded_arena_id_(b), old_id);
    /* The id, not the address, keys the claim: the worker must claim afresh. */
    ck_assert_uint_eq(claimed(b), 0);
    unsigned char *p = cmd_run(&w, b);
    ck_assert_ptr_nonnull(p);
    ck_assert(p >= (unsigned char *)lsmt_sharded_arena_base_(b) &&
              p < (unsigned char *)lsmt_sharded_arena_base_(b) + 4 * MIB);
    ck_assert_uint_eq(claimed(b), 1);
    ck_assert_uint_eq(allocated(b), 256);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(b), 16 * KIB);

    w.quit = true;
    pthread_barrier_wait(&w.bar);
    pthread_join(th, NULL);
    ck_assert_uint_eq(claimed(b), 0); /* released on exit, b being alive */
    lsmt_sharded_arena_destroy(b);
    for (int i = 0; i < nkeep; i++)
        lsmt_sharded_arena_destroy(keep[i]);
    pthread_barrier_destroy(&w.bar);
}
END_TEST

static void *evict_worker(void *p)
{
    lsmt_sharded_arena **b = p; /* out: 8 arenas left alive for the caller */
    enum { N = 12 };
    lsmt_sharded_arena *a[N];
    for (int i = 0; i < N; i++)
        a[i] = make(1 * MIB, 16 * KIB, 1, NULL);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_nonnull(alloc_p(a[i], 32, 8));
    /* The cache holds 8 claims; evicting an entry released its claim. */
    size_t total = 0;
    for (int i = 0; i < N; i++)
        total += claimed(a[i]);
    ck_assert_uint_eq(total, 8);
    ck_assert_uint_eq(claimed(a[N - 1]), 1); /* the most recent ones are cached */
    ck_assert_uint_eq(claimed(a[0]), 0);     /* the least recent one was evicted */
    /* An evicted arena is claimed again on its next use. */
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_nonnull(alloc_p(a[i], 32, 8));
        ck_assert_uint_eq(claimed(a[i]), 1);
    }
    /* Arenas this thread destroys leave no entry behind: 8 new arenas all get claims. */
    for (int i = 0; i < N; i++)
        lsmt_sharded_arena_destroy(a[i]);
    for (int i = 0; i < 8; i++) {
        b[i] = make(1 * MIB, 16 * KIB, 1, NULL);
        ck_assert_ptr_nonnull(alloc_p(b[i], 32, 8));
    }
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(claimed(b[i]), 1);
    return NULL;
}

START_TEST(tls_eviction)
{
    lsmt_sharded_arena *b[8];
    pthread_t th;
    pthread_create(&th, NULL, evict_worker, b);
    pthread_join(th, NULL);
    /* The worker exited while its 8 arenas live on: every claim was released. */
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(claimed(b[i]), 0);
        ck_assert_uint_eq(allocated(b[i]), 32);
        lsmt_sharded_arena_destroy(b[i]);
    }
}
END_TEST

struct stale_arg {
    pthread_barrier_t bar;
    lsmt_sharded_arena *live[8], *fresh[4];
};

static void *stale_worker(void *p)
{
    struct stale_arg *s = p;
    for (int i = 0; i < 8; i++) /* 8 claims: the cache is full */
        ck_assert_ptr_nonnull(alloc_p(s->live[i], 32, 8));
    pthread_barrier_wait(&s->bar); /* main destroys live[4..7], the most recent ones */
    pthread_barrier_wait(&s->bar);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(alloc_p(s->fresh[i], 32, 8));
    /* The 4 stale entries were dropped; no live claim was evicted for them. */
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(claimed(s->live[i]), 1);
        ck_assert_uint_eq(claimed(s->fresh[i]), 1);
    }
    pthread_barrier_wait(&s->bar); /* main checks, then lets us exit */
    pthread_barrier_wait(&s->bar);
    return NULL;
}

START_TEST(stale_entries_purged)
{
    struct stale_arg s;
    pthread_barrier_init(&s.bar, NULL, 2);
    for (int i = 0; i < 8; i++)
        s.live[i] = make(1 * MIB, 16 * KIB, 1, NULL);
    for (int i = 0; i < 4; i++)
        s.fresh[i] = make(1 * MIB, 16 * KIB, 1, NULL);
    pthread_t th;
    pthread_create(&th, NULL, stale_worker, &s);
    pthread_barrier_wait(&s.bar);
    for (int i = 4; i < 8; i++) /* destroyed by another thread: the worker's entries go stale */
        lsmt_sharded_arena_destroy(s.live[i]);
    pthread_barrier_wait(&s.bar);
    pthread_barrier_wait(&s.bar);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(claimed(s.live[i]), 1);
    pthread_barrier_wait(&s.bar);
    pthread_join(th, NULL);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(claimed(s.live[i]), 0); /* released at exit */
        ck_assert_uint_eq(claimed(s.fresh[i]), 0);
        lsmt_sharded_arena_destroy(s.live[i]);
        lsmt_sharded_arena_destroy(s.fresh[i]);
    }
    pthread_barrier_destroy(&s.bar);
}
END_TEST

static void *release_worker(void *p)
{
    lsmt_sharded_arena *a = p;
    size_t before = allocated(a);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK); /* nothing held: no-op */
    ck_assert_ptr_nonnull(alloc_p(a, 40, 8));
    ck_assert_uint_eq(claimed(a), 1);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK);
    ck_assert_uint_eq(claimed(a), 0);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK); /* twice is fine */
    /* The next allocation claims again and continues in the same arena. */
    ck_assert_ptr_nonnull(alloc_p(a, 40, 8));
    ck_assert_uint_eq(claimed(a), 1);
    ck_assert_uint_eq(allocated(a), before + 80);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK);
    return NULL;
}

START_TEST(release_thread)
{
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(NULL), LSMT_INVALID);
    /* One shard: a thread that releases it lets the next thread own it (no shared path). */
    lsmt_sharded_arena *a = make(1 * MIB, 16 * KIB, 1, NULL);
    for (int round = 0; round < 3; round++) {
        pthread_t th;
        pthread_create(&th, NULL, release_worker, a);
        pthread_join(th, NULL);
    }
    ck_assert_ptr_nonnull(alloc_p(a, 40, 8));
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK);
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(a, &s);
    ck_assert_uint_eq(s.shared_allocs, 0);
    ck_assert_uint_eq(s.shards_claimed, 0);
    ck_assert_uint_eq(s.bytes_allocated, 3 * 80 + 40);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

struct reader_arg {
    lsmt_sharded_arena *a;
    atomic_int *stop;
    size_t reads, final;
};

static void *reader(void *p)
{
    struct reader_arg *r = p;
    size_t last = 0;
    int stop;
    do {
        /* acquire: pairs with main's release store after joining the writers, so the
         * read after the loop sees every allocation. */
        stop = atomic_load_explicit(r->stop, memory_order_acquire);
        size_t now = allocated(r->a);
        if (now < last) /* plain check: ck_assert is too slow for a tight loop */
            ck_abort_msg("bytes_allocated went down: %zu after %zu", now, last);
        last = now;
        r->reads++;
    } while (!stop);
    r->final = last;
    return NULL;
}

START_TEST(bytes_allocated_concurrent)
{
    lsmt_sharded_arena *a = make(64 * MIB, 64 * KIB, 2, NULL);
    atomic_int stop = 0;
    struct reader_arg r = {a, &stop, 0, 0};
    pthread_t rt;
    pthread_create(&rt, NULL, reader, &r);
    lsmt_sharded_arena_stats s =
        run_distinct(a, 3, 20000 / SCALE, false); /* checks the exact total */
    atomic_store_explicit(&stop, 1, memory_order_release);
    pthread_join(rt, NULL);
    /* The reader's last read came after the writers were joined: the exact total. */
    ck_assert_uint_eq(r.final, s.bytes_allocated);
    ck_assert_uint_gt(s.bytes_allocated, 0);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

struct rounds_arg {
    lsmt_sharded_arena *a;
    pthread_barrier_t *bar;
    uint32_t tid;
    int rounds;
    size_t n;
    struct rec *recs;
};

static void *rounds_worker(void *p)
{
    struct rounds_arg *w = p;
    for (int r = 0; r < w->rounds; r++) {
        pthread_barrier_wait(w->bar); /* round starts (after main's reset_all) */
        for (size_t k = 0; k < w->n; k++) {
            struct rec *rc = &w->recs[k];
            rc->p = alloc_p(w->a, 48, 16);
            ck_assert_ptr_nonnull(rc->p);
            rc->size = 48;
            rc->tag = (uint32_t)r << 24 | w->tid << 20 | (uint32_t)k;
            fill(rc);
        }
        pthread_barrier_wait(w->bar); /* round done: main verifies, then resets */
    }
    pthread_barrier_wait(w->bar); /* main has checked the last round: exit */
    return NULL;
}

START_TEST(reset_keeps_claims_across_threads)
{
    enum { T = 3 };
    lsmt_sharded_arena *a = make(16 * MIB, 16 * KIB, 4, NULL);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, T + 1);
    size_t n = 4000 / SCALE;
    int rounds = 5;
    struct rounds_arg w[T];
    pthread_t th[T];
    struct rec *all = calloc(T * n, sizeof *all);
    for (int t = 0; t < T; t++) {
        w[t] = (struct rounds_arg){a, &bar, (uint32_t)t, rounds, n, all + (size_t)t * n};
        pthread_create(&th[t], NULL, rounds_worker, &w[t]);
    }
    for (int r = 0; r < rounds; r++) {
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        verify(a, all, T * n); /* sorted copy is fine: rounds overwrite all slots */
        ck_assert_uint_eq(allocated(a), T * n * 48);
        ck_assert_uint_eq(claimed(a), T);
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        ck_assert_uint_eq(claimed(a), T); /* claims survive reset_all */
        ck_assert_uint_eq(allocated(a), 0);
    }
    pthread_barrier_wait(&bar);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    ck_assert_uint_eq(claimed(a), 0);
    free(all);
    pthread_barrier_destroy(&bar);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* Debug builds catch reset_all during an allocation; the hook holds one in flight. */
struct hold {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int entered, go;
    lsmt_sharded_arena *a;
};

static void hold_hook(void *ctx)
{
    struct hold *h = ctx;
    pthread_mutex_lock(&h->m);
    h->entered = 1;
    pthread_cond_broadcast(&h->cv);
    while (!h->go)
        pthread_cond_wait(&h->cv, &h->m);
    pthread_mutex_unlock(&h->m);
}

#if defined(LSMT_DEBUG)
static void *hold_worker(void *p)
{
    struct hold *h = p;
    return alloc_p(h->a, 64, 8);
}
#endif

START_TEST(reset_in_flight_debug_check)
{
    struct hold h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.m, NULL);
    pthread_cond_init(&h.cv, NULL);
    h.a = make(1 * MIB, 16 * KIB, 2, NULL);
    bool tracked = lsmt_sharded_arena_debug_set_alloc_hook(h.a, hold_hook, &h);
#if defined(LSMT_DEBUG)
    ck_assert(tracked);
    pthread_t th;
    pthread_create(&th, NULL, hold_worker, &h);
    pthread_mutex_lock(&h.m);
    while (!h.entered)
        pthread_cond_wait(&h.cv, &h.m);
    pthread_mutex_unlock(&h.m);
    /* The worker is inside lsmt_sharded_arena_alloc: a broken precondition, caught. */
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(h.a), LSMT_BUSY);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(h.a), LSMT_BUSY);
    pthread_mutex_lock(&h.m);
    h.go = 1;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.m);
    void *p;
    pthread_join(th, &p);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(allocated(h.a), 64); /* nothing was reset */
#else
    ck_assert(!tracked); /* release builds do not track allocations in flight */
    ck_assert_ptr_nonnull(alloc_p(h.a, 64, 8));
#endif
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(h.a), LSMT_OK);
    ck_assert_uint_eq(allocated(h.a), 0);
    lsmt_sharded_arena_debug_set_alloc_hook(h.a, NULL, NULL);
    lsmt_sharded_arena_destroy(h.a);
    pthread_mutex_destroy(&h.m);
    pthread_cond_destroy(&h.cv);
}
END_TEST

static Suite *carena_suite(void)
{
    Suite *s = suite_create("concurrent_arena");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, lifecycle_defaults);
    tcase_add_test(tc, lifecycle_ids_unique);
    tcase_add_test(tc, lifecycle_map_unmap_once);
    tcase_add_test(tc, lifecycle_huge_pages);
    tcase_add_test(tc, backing_os_hooks);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, bad_create);
    tcase_add_test(tc, bad_alloc);
    tcase_add_test(tc, bad_queries);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_add_test(tc, alloc_alignment_and_accounting);
    tcase_add_test(tc, alloc_oversize);
    tcase_add_test(tc, distinct_single);
    suite_add_tcase(s, tc);
    tc = tcase_create("full");
    tcase_add_test(tc, full_single);
    tcase_add_test(tc, full_concurrent);
    suite_add_tcase(s, tc);
    tc = tcase_create("reuse");
    tcase_add_test(tc, reuse_after_reset);
    tcase_add_test(tc, release_pages_zeroes);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, distinct_threads);
    tcase_add_test(tc, more_threads_than_shards);
    tcase_add_test(tc, thread_churn);
    tcase_add_test(tc, recreate_same_address);
    tcase_add_test(tc, tls_eviction);
    tcase_add_test(tc, stale_entries_purged);
    tcase_add_test(tc, release_thread);
    tcase_add_test(tc, bytes_allocated_concurrent);
    tcase_add_test(tc, reset_keeps_claims_across_threads);
    tcase_add_test(tc, reset_in_flight_debug_check);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(carena_suite());
}
