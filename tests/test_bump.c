/* Check suite for the single-threaded bump arena (arena/bump.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsmt/arena.h"

#include "support/check_run.h"
#include "support/hash.h"

/* Block hooks that count calls and can be told to fail or misbehave. */
struct hooks {
    size_t allocs, frees, live_bytes;
    long fail_after; /* < 0: never fail; else the number of allocs that succeed */
    int misalign;    /* return a pointer that is not 16-aligned */
};

static void *hook_alloc(void *ctx, size_t size)
{
    struct hooks *h = ctx;
    if (h->fail_after >= 0 && (long)h->allocs >= h->fail_after)
        return NULL;
    char *p = malloc(size + 16);
    if (!p)
        return NULL;
    h->allocs++;
    h->live_bytes += size;
    return h->misalign ? p + 8 : p;
}

static void hook_free(void *ctx, void *p, size_t size)
{
    struct hooks *h = ctx;
    h->frees++;
    h->live_bytes -= size;
    free(h->misalign ? (char *)p - 8 : p);
}

static lsmt_bump_arena *make_arena(struct hooks *h, size_t block, size_t capacity, size_t retain)
{
    lsmt_bump_arena_options o;
    lsmt_bump_arena_options_default(&o);
    if (block)
        o.block_size = block;
    o.capacity = capacity;
    o.retain_bytes = retain;
    if (h) {
        o.block_alloc = hook_alloc;
        o.block_free = hook_free;
        o.block_ctx = h;
    }
    lsmt_bump_arena *a = NULL;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    ck_assert_ptr_nonnull(a);
    return a;
}

/* The allocation's pointer, or NULL when lsmt_bump_arena_alloc did not return LSMT_OK:
 * for the many calls whose failure the test only tells from success. */
static void *alloc_p(lsmt_bump_arena *a, size_t size, size_t align)
{
    void *p = (void *)(uintptr_t)0x1;
    lsmt_status st = lsmt_bump_arena_alloc(a, size, align, &p);
    if (st != LSMT_OK) {
        ck_assert_ptr_eq(p, (void *)(uintptr_t)0x1); /* out untouched on failure */
        return NULL;
    }
    return p;
}

static lsmt_bump_arena_stats stats(const lsmt_bump_arena *a)
{
    lsmt_bump_arena_stats s;
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &s), LSMT_OK);
    return s;
}

static void assert_same_stats(lsmt_bump_arena_stats x, lsmt_bump_arena_stats y)
{
    ck_assert_uint_eq(x.bytes_allocated, y.bytes_allocated);
    ck_assert_uint_eq(x.bytes_reserved, y.bytes_reserved);
    ck_assert_uint_eq(x.block_count, y.block_count);
    ck_assert_uint_eq(x.block_allocs, y.block_allocs);
    ck_assert_uint_eq(x.open_marks, y.open_marks);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

START_TEST(test_lifecycle)
{
    lsmt_bump_arena_options o;
    lsmt_bump_arena_options_default(&o);
    ck_assert_uint_eq(o.block_size, 256 * 1024);
    ck_assert_uint_eq(o.capacity, 0);
    ck_assert_uint_eq(o.retain_bytes, SIZE_MAX);
    ck_assert(o.block_alloc == NULL && o.block_free == NULL);

    lsmt_bump_arena *a = NULL;
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &a), LSMT_OK);
    lsmt_bump_arena_stats s = stats(a);
    ck_assert_uint_eq(s.bytes_allocated, 0);
    ck_assert_uint_eq(s.bytes_reserved, 0);
    ck_assert_uint_eq(s.block_count, 0);
    char *p = alloc_p(a, 100, 0);
    ck_assert_ptr_nonnull(p);
    memset(p, 0xab, 100);
    s = stats(a);
    ck_assert_uint_eq(s.bytes_allocated, 104);
    ck_assert_uint_eq(s.bytes_reserved, 256 * 1024);
    ck_assert_uint_eq(s.block_count, 1);
    ck_assert_uint_eq(stats(a).bytes_allocated, 104);
    char *q = alloc_p(a, 8, 0);
    ck_assert_ptr_eq(q, p + 104); /* bump: consecutive */
    lsmt_bump_arena_destroy(a);
    lsmt_bump_arena_destroy(NULL); /* no-op */

    struct hooks h = {.fail_after = -1};
    a = make_arena(&h, 4096, 0, SIZE_MAX);
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(alloc_p(a, 200, 0));
    ck_assert_uint_gt(h.allocs, 1);
    lsmt_bump_arena_destroy(a);
    ck_assert_uint_eq(h.frees, h.allocs); /* destroy frees every block */
    ck_assert_uint_eq(h.live_bytes, 0);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

START_TEST(test_bad_create)
{
    lsmt_bump_arena_options o;
    lsmt_bump_arena *a = (lsmt_bump_arena *)(uintptr_t)0x1;
    lsmt_bump_arena_options_default(NULL); /* ignored */
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, NULL), LSMT_INVALID);
    size_t bad_blocks[] = {0, 1, 4095, 4097, 3 * 4096, (size_t)1 << 31, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_blocks / sizeof bad_blocks[0]; i++) {
        lsmt_bump_arena_options_default(&o);
        o.block_size = bad_blocks[i];
        ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    }
    lsmt_bump_arena_options_default(&o);
    o.block_alloc = hook_alloc; /* one hook without the other */
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    lsmt_bump_arena_options_default(&o);
    o.block_free = hook_free;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    ck_assert_ptr_eq(a, (lsmt_bump_arena *)(uintptr_t)0x1); /* out untouched on failure */
    lsmt_bump_arena_options_default(&o);
    o.block_size = 4096;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    lsmt_bump_arena_destroy(a);
    o.block_size = (size_t)1 << 30;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_bad_alloc)
{
    lsmt_bump_arena *a = make_arena(NULL, 4096, 0, SIZE_MAX);
    ck_assert_ptr_nonnull(alloc_p(a, 24, 0));
    lsmt_bump_arena_stats before = stats(a);
    void *out = (void *)(uintptr_t)0x1;

    ck_assert_int_eq(lsmt_bump_arena_alloc(NULL, 8, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(NULL, 8, 8, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 0, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 0, 8, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, SIZE_MAX, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, SIZE_MAX, 8, &out), LSMT_INVALID);
    /* would wrap when rounded */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, SIZE_MAX - 6, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, LSMT_ARENA_MAX_REQUEST + 1, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, LSMT_ARENA_MAX_REQUEST + 1, 8, &out), LSMT_INVALID);
    /* alignments that are not powers of two, inside the hot path's range and above it */
    static const size_t bad_align[] = {3, 5, 6, 7, 12, 24};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
        ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, bad_align[i], &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, SIZE_MAX, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, (SIZE_MAX >> 1) + 1, &out), LSMT_INVALID);
    ck_assert_ptr_eq(out, (void *)(uintptr_t)0x1);

    lsmt_bump_arena_stats s;
    ck_assert_int_eq(lsmt_bump_arena_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_reset(NULL), LSMT_INVALID);
    assert_same_stats(before, stats(a)); /* nothing changed */
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_bad_grow_mark)
{
    lsmt_bump_arena *a = make_arena(NULL, 4096, 0, SIZE_MAX);
    char *p = alloc_p(a, 16, 0);
    ck_assert_ptr_nonnull(p);
    lsmt_bump_arena_stats before = stats(a);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(NULL, p, 16, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, NULL, 16, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 0, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 16, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 16, SIZE_MAX), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, SIZE_MAX, 16), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 8, 32), LSMT_FULL);      /* wrong old size */
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p + 8, 16, 32), LSMT_FULL); /* not an alloc */
    int on_stack;
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, &on_stack, 16, 32), LSMT_FULL); /* foreign */

    lsmt_mark m = 77;
    ck_assert_int_eq(lsmt_bump_arena_mark(NULL, &m), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, NULL), LSMT_INVALID);
    ck_assert_uint_eq(m, 77);
    ck_assert_int_eq(lsmt_bump_arena_rewind(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, 12345), LSMT_INVALID); /* never opened */
    assert_same_stats(before, stats(a));

    /* a mark of another arena is rejected */
    lsmt_bump_arena *b = make_arena(NULL, 4096, 0, SIZE_MAX);
    lsmt_mark mb;
    ck_assert_int_eq(lsmt_bump_arena_mark(b, &mb), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m + 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m), LSMT_INVALID);  /* already closed */
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, mb), LSMT_INVALID); /* another arena's mark */
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m), LSMT_INVALID); /* reset closed it */
    ck_assert_uint_eq(stats(a).open_marks, 0);
    lsmt_bump_arena_destroy(b);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- alignment and layout ----------------------------------------------------------- */

START_TEST(test_alignment)
{
    lsmt_bump_arena *a = make_arena(NULL, 64 * 1024, 0, SIZE_MAX);
    for (size_t align = 1; align <= ((size_t)1 << 22); align <<= 1) {
        for (size_t size = 1; size <= 300; size += 37) {
            void *p = NULL;
            ck_assert_int_eq(lsmt_bump_arena_alloc(a, size, align, &p), LSMT_OK);
            size_t eff = align < 8 ? 8 : align;
            ck_assert_uint_eq((uintptr_t)p % eff, 0);
            memset(p, 0x5a, size);
            char *q = alloc_p(a, size, align);
            ck_assert_ptr_nonnull(q);
            ck_assert_uint_eq((uintptr_t)q % eff, 0);
        }
        char *r = alloc_p(a, 3, 0); /* align 0: the default 8 */
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq((uintptr_t)r % 8, 0);
    }
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_oversize)
{
    struct hooks h = {.fail_after = -1};
    lsmt_bump_arena *a = make_arena(&h, 4096, 0, SIZE_MAX);
    char *s0 = alloc_p(a, 40, 0);
    ck_assert_uint_eq(h.allocs, 1);
    ck_assert_ptr_eq(alloc_p(a, 2000, 0), s0 + 40); /* fits the window: bumped */
    char *s1 = alloc_p(a, 1960, 0);
    ck_assert_ptr_eq(s1, s0 + 2040);
    char *big = alloc_p(a, 2000, 0); /* does not fit, > block/4: own block */
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 2000);
    ck_assert_uint_eq(h.allocs, 2);
    char *s2 = alloc_p(a, 40, 0);
    ck_assert_ptr_eq(s2, s1 + 1960); /* the current block kept serving small requests */
    char *huge = alloc_p(a, 1 << 20, 0);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 2, 1 << 20);
    lsmt_bump_arena_stats s = stats(a);
    ck_assert_uint_eq(s.block_count, 3);
    ck_assert_uint_ge(s.bytes_reserved, 4096 + 2000 + (1 << 20));
    ck_assert_uint_eq(s.bytes_allocated, 4040 + 2000 + (1 << 20));
    ck_assert_ptr_eq(alloc_p(a, 40, 0), s2 + 40);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- capacity, exhaustion, failing blocks -------------------------------------------- */

START_TEST(test_capacity)
{
    const size_t cap = 64 * 1024 + 100;
    lsmt_bump_arena *a = make_arena(NULL, 16 * 1024, cap, SIZE_MAX);
    size_t got = 0, n = 0;
    for (;;) {
        void *p;
        lsmt_status fst = lsmt_bump_arena_alloc(a, 200, 0, &p);
        if (fst != LSMT_OK) {
            ck_assert_int_eq(fst, LSMT_FULL);
            break;
        }
        memset(p, (int)n, 200);
        got += 200;
        n++;
        ck_assert_uint_lt(n, 100000);
    }
    lsmt_bump_arena_stats s = stats(a);
    ck_assert_uint_le(s.bytes_reserved, cap);
    ck_assert_uint_ge(got, cap - 6 * 1024); /* used nearly up to the byte */
    lsmt_bump_arena_stats before = s;
    void *out = (void *)(uintptr_t)0x1;
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 200, 8, &out), LSMT_FULL);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 10000, 8, &out), LSMT_FULL); /* dedicated */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 100, 4096, &out), LSMT_FULL);
    ck_assert_ptr_eq(out, (void *)(uintptr_t)0x1);
    assert_same_stats(before, stats(a));
    lsmt_mark m;
    lsmt_status st = lsmt_bump_arena_mark(a, &m); /* the record may or may not fit */
    ck_assert(st == LSMT_OK || st == LSMT_FULL);

    /* after reset the same capacity is usable again, from the same blocks */
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    size_t again = 0;
    while (alloc_p(a, 200, 0))
        again += 200;
    ck_assert_uint_eq(again, got);
    ck_assert_uint_eq(stats(a).block_allocs, before.block_allocs);
    ck_assert_uint_le(stats(a).bytes_reserved, cap);
    lsmt_bump_arena_destroy(a);

    /* a tiny capacity: nothing fits */
    a = make_arena(NULL, 4096, 16, SIZE_MAX);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 8, &out), LSMT_FULL);
    ck_assert_uint_eq(stats(a).bytes_reserved, 0);
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_nomem)
{
    struct hooks h = {.fail_after = 1};
    lsmt_bump_arena *a = make_arena(&h, 4096, 0, SIZE_MAX);
    char *p = alloc_p(a, 1000, 0); /* the first block */
    ck_assert_ptr_nonnull(p);
    memset(p, 7, 1000);
    ck_assert_ptr_nonnull(alloc_p(a, 2500, 0)); /* 576 bytes left in the window */
    lsmt_bump_arena_stats before = stats(a);
    void *out = NULL;
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 4000, 8, &out), LSMT_NOMEM);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 900, 8, &out), LSMT_NOMEM); /* refill */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 3000, 0, &out), LSMT_NOMEM);
    assert_same_stats(before, stats(a));
    ck_assert_ptr_nonnull(alloc_p(a, 8, 0)); /* still serves what fits */
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq((unsigned char)p[i], 7);
    lsmt_bump_arena_destroy(a);
    ck_assert_uint_eq(h.live_bytes, 0);

    struct hooks bad = {.fail_after = -1, .misalign = 1};
    a = make_arena(&bad, 4096, 0, SIZE_MAX);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 8, &out), LSMT_NOMEM);
    ck_assert_uint_eq(bad.live_bytes, 0); /* the refused block was given back */
    ck_assert_uint_eq(stats(a).block_count, 0);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- reuse after reset --------------------------------------------------------------- */

/* One round of a mixed workload: small, medium, aligned and oversize requests from a
 * fixed seed; every allocation is written. */
static void workload(lsmt_bump_arena *a, uint64_t seed, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t r = splitmix64(&seed);
        size_t size;
        switch (r & 7) {
        case 0:
            size = 4096 + (size_t)(r >> 40) % 50000;
            break; /* oversize */
        case 1:
            size = 1 + (size_t)(r >> 40) % 3000;
            break;
        default:
            size = 16 + ((r >> 8) & 112);
            break; /* W8-like */
        }
        size_t align = (size_t)1 << ((r >> 20) % 8);
        void *p = alloc_p(a, size, align);
        ck_assert_ptr_nonnull(p);
        memset(p, (int)i, size);
    }
}

START_TEST(test_reuse_steady_state)
{
    struct hooks h = {.fail_after = -1};
    lsmt_bump_arena *a = make_arena(&h, 16 * 1024, 0, SIZE_MAX);
    workload(a, 42, 3000);
    lsmt_bump_arena_stats first = stats(a);
    size_t allocs = h.allocs;
    for (int round = 0; round < 5; round++) {
        ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
        ck_assert_uint_eq(stats(a).bytes_allocated, 0);
        workload(a, 42, 3000);
        lsmt_bump_arena_stats s = stats(a);
        ck_assert_uint_eq(h.allocs, allocs); /* no block_alloc in steady state */
        ck_assert_uint_eq(h.frees, 0);
        ck_assert_uint_eq(s.block_count, first.block_count);
        ck_assert_uint_eq(s.bytes_reserved, first.bytes_reserved);
        ck_assert_uint_eq(s.bytes_allocated, first.bytes_allocated);
    }
    /* a smaller round also makes no new block */
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    workload(a, 42, 1000);
    ck_assert_uint_eq(h.allocs, allocs);
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_retain)
{
    struct hooks h = {.fail_after = -1};
    lsmt_bump_arena *a = make_arena(&h, 4096, 0, 0); /* retain nothing */
    workload(a, 7, 500);
    ck_assert_uint_gt(stats(a).block_count, 2);
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    lsmt_bump_arena_stats s = stats(a);
    ck_assert_uint_eq(s.bytes_reserved, 0);
    ck_assert_uint_eq(s.block_count, 0);
    ck_assert_uint_eq(h.live_bytes, 0);
    ck_assert_uint_eq(h.frees, h.allocs);
    workload(a, 7, 500); /* usable again */
    lsmt_bump_arena_destroy(a);

    const size_t keep = 40 * 1024;
    struct hooks h2 = {.fail_after = -1};
    a = make_arena(&h2, 4096, 0, keep);
    workload(a, 9, 500);
    ck_assert_uint_gt(stats(a).bytes_reserved, keep);
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    s = stats(a);
    ck_assert_uint_le(s.bytes_reserved, keep);
    ck_assert_uint_gt(s.bytes_reserved, 0);
    ck_assert_uint_eq(s.bytes_reserved, h2.live_bytes);
    /* what was kept is reused: a small round needs no new block */
    size_t before = h2.allocs;
    for (int i = 0; i < 8; i++)
        ck_assert_ptr_nonnull(alloc_p(a, 400, 0));
    ck_assert_uint_eq(h2.allocs, before);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- every allocation distinct (LevelDB's arena test) -------------------------------- */

START_TEST(test_distinct)
{
    uint64_t seed = 0x1234abcdULL;
    printf("test_distinct seed=%llu\n", (unsigned long long)seed);
    enum { N = 20000 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    lsmt_bump_arena *a = make_arena(NULL, 8192, 0, SIZE_MAX);
    size_t total = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            uint64_t r = splitmix64(&seed);
            size_t s = (i % 1000 == 0)
                           ? 1 + (size_t)(r % 6000)
                           : ((r & 0xff00) ? 1 + (size_t)(r % 20) : 1 + (size_t)(r % 100));
            size_t align = (size_t)1 << ((r >> 32) % 10);
            unsigned char *p = alloc_p(a, s, (r >> 48) & 1 ? 0 : align);
            ck_assert_ptr_nonnull(p);
            if (!((r >> 48) & 1))
                ck_assert_uint_eq((uintptr_t)p % (align < 8 ? 8 : align), 0);
            for (size_t b = 0; b < s; b++)
                p[b] = (unsigned char)(i + b * 7);
            ptrs[i] = p;
            sizes[i] = s;
            total += s;
            ck_assert_uint_ge(stats(a).bytes_allocated, total);
        }
        for (int i = 0; i < N; i++)
            for (size_t b = 0; b < sizes[i]; b++)
                ck_assert_uint_eq(ptrs[i][b], (unsigned char)(i + b * 7));
        ck_assert_uint_ge(stats(a).bytes_reserved, stats(a).bytes_allocated);
        lsmt_bump_arena_reset(a); /* round 2 runs on recycled blocks */
        total = 0;
    }
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- marks ------------------------------------------------------------------------ */

START_TEST(test_mark_rewind)
{
    struct hooks h = {.fail_after = -1};
    lsmt_bump_arena *a = make_arena(&h, 4096, 0, SIZE_MAX);
    unsigned char *keep = alloc_p(a, 500, 0);
    memset(keep, 0x11, 500);
    size_t base_bytes = stats(a).bytes_allocated;

    lsmt_mark outer;
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &outer), LSMT_OK);
    ck_assert_uint_ne(outer, 0);
    ck_assert_uint_eq(stats(a).open_marks, 1);
    char *first = alloc_p(a, 64, 0);
    memset(first, 1, 64);
    /* spill across many blocks and dedicated blocks under the mark */
    for (int i = 0; i < 200; i++)
        memset(alloc_p(a, i % 10 == 0 ? 3000 : 100, 0), 2, 100);
    lsmt_mark inner;
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &inner), LSMT_OK);
    ck_assert_uint_gt(inner, outer);
    ck_assert_uint_eq(stats(a).open_marks, 2);
    alloc_p(a, 1000, 0);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, inner), LSMT_OK);
    ck_assert_uint_eq(stats(a).open_marks, 1);
    lsmt_bump_arena_stats big = stats(a);

    ck_assert_int_eq(lsmt_bump_arena_rewind(a, outer), LSMT_OK);
    lsmt_bump_arena_stats s = stats(a);
    ck_assert_uint_eq(s.open_marks, 0);
    ck_assert_uint_eq(s.bytes_allocated, base_bytes);
    ck_assert_uint_eq(s.bytes_reserved, big.bytes_reserved); /* rewind frees nothing */
    for (int i = 0; i < 500; i++)
        ck_assert_uint_eq(keep[i], 0x11); /* memory before the mark intact */
    /* the space is reused: the same first address, and no new block for the same load */
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &outer), LSMT_OK);
    ck_assert_ptr_eq(alloc_p(a, 64, 0), first);
    size_t allocs = h.allocs;
    for (int i = 0; i < 200; i++)
        ck_assert_ptr_nonnull(alloc_p(a, i % 10 == 0 ? 3000 : 100, 0));
    ck_assert_uint_eq(h.allocs, allocs);

    /* rewinding the outer mark closes the inner one */
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &inner), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, outer), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, inner), LSMT_INVALID);
    ck_assert_uint_eq(stats(a).bytes_allocated, base_bytes);

    /* a mark on an empty arena rewinds to empty */
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &outer), LSMT_OK);
    alloc_p(a, 5000, 0);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, outer), LSMT_OK);
    ck_assert_uint_eq(stats(a).bytes_allocated, 0);
    ck_assert_ptr_nonnull(alloc_p(a, 8, 0));
    lsmt_bump_arena_destroy(a);
}
END_TEST

START_TEST(test_try_grow)
{
    lsmt_bump_arena *a = make_arena(NULL, 4096, 0, SIZE_MAX);
    char *p = alloc_p(a, 10, 0);
    memcpy(p, "0123456789", 10);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 10, 100), LSMT_OK);
    ck_assert_uint_eq(stats(a).bytes_allocated, 104);
    ck_assert_int_eq(memcmp(p, "0123456789", 10), 0);
    char *q = alloc_p(a, 8, 0);
    ck_assert_ptr_eq(q, p + 104); /* the grown space is owned by p */
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, p, 100, 200), LSMT_FULL); /* not last */
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, q, 8, 1), LSMT_OK);       /* shrink */
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, q, 1, 5000), LSMT_FULL);  /* past the block */
    ck_assert_ptr_eq(alloc_p(a, 8, 0), q + 8);
    lsmt_bump_arena_destroy(a);
}
END_TEST

static Suite *bump_suite(void)
{
    Suite *s = suite_create("bump");
    TCase *tc;
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_bad_create);
    tcase_add_test(tc, test_bad_alloc);
    tcase_add_test(tc, test_bad_grow_mark);
    suite_add_tcase(s, tc);
    tc = tcase_create("alignment");
    tcase_add_test(tc, test_alignment);
    tcase_add_test(tc, test_oversize);
    suite_add_tcase(s, tc);
    tc = tcase_create("full");
    tcase_add_test(tc, test_capacity);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    tc = tcase_create("reuse");
    tcase_add_test(tc, test_reuse_steady_state);
    tcase_add_test(tc, test_retain);
    suite_add_tcase(s, tc);
    tc = tcase_create("distinct");
    tcase_add_test(tc, test_distinct);
    suite_add_tcase(s, tc);
    tc = tcase_create("marks");
    tcase_add_test(tc, test_mark_rewind);
    tcase_add_test(tc, test_try_grow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(bump_suite());
}
