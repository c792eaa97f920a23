/* Bad-input sweep over every public function of every header (lsmt.h, arena.h,
 * skiplist.h, memtable.h).
 *
 * Each function is called with each kind of bad argument that applies to it: NULL
 * handle, NULL pointer with a nonzero length, zero and maximal sizes, overflowing
 * sizes, out-of-range sequence numbers and alignments, and the wrong lifecycle state.
 * Each call must return its documented status (where the header leaves two statuses
 * possible, both are accepted, never success), leave out-parameters untouched (a
 * sentinel is checked), not crash (ASan/UBSan builds run this suite too) and leave the
 * structure intact: the object still passes its full validation (lsmt_skiplist_validate,
 * lsmt_memtable_validate) or its statistics are unchanged, and a good call still works.
 *
 * TCase "coverage" parses the public headers (found next to this file via __FILE__)
 * and fails if a function declared LSMT_API is not called here, so a function added
 * to a header later cannot go untested. */
#include "lsmt/memtable.h"
#include "lsmt/range_del.h"
#include "lsmt/skiplist.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#define SENTINEL ((void *)(uintptr_t)0x5e17e1)
#define HUGE_SZ  SIZE_MAX

/* ---- lsmt.h ------------------------------------------------------------------------- */
START_TEST(test_lsmt_h)
{
    ck_assert_ptr_nonnull(lsmt_status_str((lsmt_status)-1));
    ck_assert_ptr_nonnull(lsmt_status_str(LSMT_STATUS_COUNT_));
    ck_assert_ptr_nonnull(lsmt_status_str((lsmt_status)100000));
    for (int s = 0; s < LSMT_STATUS_COUNT_; s++)
        ck_assert_ptr_nonnull(lsmt_status_str((lsmt_status)s));
    ck_assert_int_eq(lsmt_version(), LSMT_VERSION);
    /* zero-length keys may be NULL */
    ck_assert_int_eq(lsmt_bytewise_compare(NULL, NULL, 0, NULL, 0), 0);
    ck_assert_int_lt(lsmt_bytewise_compare(NULL, NULL, 0, "a", 1), 0);
    ck_assert_int_gt(lsmt_bytewise_compare(NULL, "a", 1, NULL, 0), 0);
    ck_assert_int_lt(lsmt_bytewise_compare(NULL, "a", 1, "ab", 2), 0);
    ck_assert_int_gt(lsmt_bytewise_compare(NULL, "\xff", 1, "\x01", 1), 0); /* unsigned */
}
END_TEST

/* ---- arena.h: backing --------------------------------------------------------------- */
static int fail_map(void *ctx, size_t size, size_t align, void **out)
{
    (void)ctx, (void)size, (void)align, (void)out;
    return ENOMEM;
}
static int fail_unmap(void *ctx, void *addr, size_t size)
{
    (void)ctx, (void)addr, (void)size;
    return EINVAL;
}
static int fail_discard(void *ctx, void *addr, size_t size)
{
    (void)ctx, (void)addr, (void)size;
    return EINVAL;
}
static const lsmt_backing failing_backing = {fail_map, fail_unmap, fail_discard, NULL, NULL};

START_TEST(test_backing)
{
    const lsmt_backing *os = lsmt_backing_os();
    ck_assert_ptr_nonnull(os);
    ck_assert(os->map != NULL && os->unmap != NULL && os->discard != NULL);
    void *p = SENTINEL;
    ck_assert_int_ne(os->map(os->ctx, 0, 4096, &p), 0);       /* size 0 */
    ck_assert_int_ne(os->map(os->ctx, 4096, 3, &p), 0);       /* bad alignment */
    ck_assert_int_ne(os->map(os->ctx, HUGE_SZ, 4096, &p), 0); /* overflow */
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_ne(os->map(os->ctx, 4096, 4096, NULL), 0);
    ck_assert_int_eq(os->map(os->ctx, 8192, 4096, &p), 0);
    ck_assert_int_eq(os->discard(os->ctx, p, 8192), 0);
    ck_assert_int_eq(os->unmap(os->ctx, p, 8192), 0);
}
END_TEST

/* ---- arena.h: bump arena ------------------------------------------------------------ */
static void *null_block(void *ctx, size_t size)
{
    (void)ctx, (void)size;
    return NULL;
}
static void free_block(void *ctx, void *b, size_t size)
{
    (void)ctx, (void)size;
    free(b);
}

START_TEST(test_arena)
{
    lsmt_bump_arena_options_default(NULL);
    lsmt_bump_arena_destroy(NULL);
    lsmt_bump_arena *a = SENTINEL, *b = NULL;
    lsmt_bump_arena_options o;
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, NULL), LSMT_INVALID);
    lsmt_bump_arena_options_default(&o);
    o.block_size = 5000; /* not a power of two */
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    o.block_size = 1024; /* below 4 KiB */
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    o.block_size = (size_t)2 << 30; /* above 1 GiB */
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    lsmt_bump_arena_options_default(&o);
    o.block_alloc = null_block; /* one hook without the other */
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_INVALID);
    ck_assert_ptr_eq(a, SENTINEL);

    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &a), LSMT_OK);
    void *p = SENTINEL, *q = NULL, *r = NULL;
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 24, 0, &q), LSMT_OK);
    lsmt_bump_arena_stats s, s0;
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &s0), LSMT_OK);
    /* every bad argument of the one allocation call: NULL arena or out, size 0,
     * oversize, alignment not a power of two or oversize */
    ck_assert_int_eq(lsmt_bump_arena_alloc(NULL, 8, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(NULL, 8, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 0, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 0, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, LSMT_ARENA_MAX_REQUEST + 1, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, HUGE_SZ, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, HUGE_SZ, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 3, &p), LSMT_INVALID);  /* in the hot range */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 24, &p), LSMT_INVALID); /* above it */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, LSMT_ARENA_MAX_REQUEST * 2, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, HUGE_SZ, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, HUGE_SZ - 8, 4096, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.bytes_allocated, s0.bytes_allocated);

    /* try_grow */
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 16, 0, &q), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 16, 0, &r), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(NULL, r, 16, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, NULL, 16, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, r, 0, 32), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, r, 16, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, r, 16, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, q, 16, 32), LSMT_FULL); /* not the last */
    ck_assert_int_eq(lsmt_bump_arena_try_grow(a, r, 16, 32), LSMT_OK);

    /* marks: NULL, 0, closed, foreign */
    lsmt_mark m = 77, m2;
    ck_assert_int_eq(lsmt_bump_arena_mark(NULL, &m), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, NULL), LSMT_INVALID);
    ck_assert_uint_eq(m, 77);
    ck_assert_int_eq(lsmt_bump_arena_rewind(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &m2), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m), LSMT_INVALID);  /* closed */
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m2), LSMT_INVALID); /* closed by m */
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &b), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_mark(b, &m2), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(a, m2), LSMT_INVALID); /* foreign */
    ck_assert_int_eq(lsmt_bump_arena_rewind(b, m2), LSMT_OK);
    lsmt_bump_arena_destroy(b);

    ck_assert_int_eq(lsmt_bump_arena_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_reset(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.open_marks, 0);
    ck_assert_int_eq(lsmt_bump_arena_reset(a), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 8, 0, &q), LSMT_OK);
    lsmt_bump_arena_destroy(a);

    /* capacity: FULL changes nothing; block_alloc failure: NOMEM */
    lsmt_bump_arena_options_default(&o);
    o.block_size = 4096;
    o.capacity = 8192;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 16384, 8, &p), LSMT_FULL);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.bytes_allocated, 0);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 100, 0, &q), LSMT_OK);
    lsmt_bump_arena_destroy(a);
    lsmt_bump_arena_options_default(&o);
    o.block_alloc = null_block;
    o.block_free = free_block;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 16, 8, &p), LSMT_NOMEM);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_bump_arena_mark(a, &m), LSMT_NOMEM);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- arena.h: abuf / avec ----------------------------------------------------------- */
START_TEST(test_abuf_avec)
{
    lsmt_bump_arena *a = NULL;
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &a), LSMT_OK);
    lsmt_abuf b, z;
    memset(&b, 0xab, sizeof(b));
    lsmt_abuf saved = b;
    ck_assert_int_eq(lsmt_abuf_init(NULL, a, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, NULL, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, a, LSMT_ARENA_MAX_REQUEST + 1), LSMT_INVALID);
    ck_assert_mem_eq(&b, &saved, sizeof(b));
    memset(&z, 0, sizeof(z)); /* never initialised */
    ck_assert_int_eq(lsmt_abuf_reserve(&z, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, a, 4), LSMT_OK);
    ck_assert_int_eq(lsmt_abuf_append(&b, "abc", 3), LSMT_OK);
    ck_assert_int_eq(lsmt_abuf_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_reserve(&b, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_append(NULL, "x", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_append(&b, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_append(&b, "x", HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_append(&b, NULL, 0), LSMT_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_mem_eq(b.data, "abc", 3);

    lsmt_avec v;
    memset(&v, 0xcd, sizeof(v));
    lsmt_avec vsaved = v;
    ck_assert_int_eq(lsmt_avec_init(NULL, a, 8, 8, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, NULL, 8, 8, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 0, 8, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 8, 3, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, (size_t)1 << 40, 8, (size_t)1 << 40), LSMT_INVALID);
    ck_assert_mem_eq(&v, &vsaved, sizeof(v));
    ck_assert_int_eq(lsmt_avec_init(&v, a, sizeof(uint64_t), 0, 2), LSMT_OK);
    uint64_t x = 42;
    void *slot = SENTINEL;
    ck_assert_int_eq(lsmt_avec_push(&v, &x), LSMT_OK);
    ck_assert_int_eq(lsmt_avec_push(NULL, &x), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_push(&v, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_reserve(&v, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_reserve(&v, HUGE_SZ / 4), LSMT_INVALID); /* bytes overflow */
    ck_assert_int_eq(lsmt_avec_emplace(NULL, &slot), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_emplace(&v, NULL), LSMT_INVALID);
    ck_assert_ptr_eq(slot, SENTINEL);
    ck_assert_uint_eq(v.len, 1);
    ck_assert_uint_eq(*(uint64_t *)v.data, 42);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- arena.h: scratch --------------------------------------------------------------- */
START_TEST(test_scratch)
{
    void *p = SENTINEL;
    /* every bad argument of the one allocation call */
    ck_assert_int_eq(lsmt_scratch_alloc(8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(0, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(0, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(LSMT_ARENA_MAX_REQUEST + 1, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(HUGE_SZ, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(HUGE_SZ, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 3, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 24, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, HUGE_SZ, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_scratch_set_threshold(100), LSMT_RANGE);
    ck_assert_int_eq(lsmt_scratch_set_threshold(4095), LSMT_RANGE);
    ck_assert_int_eq(lsmt_scratch_stats_get(NULL), LSMT_INVALID);
    lsmt_scratch_stats s;
    ck_assert_int_eq(lsmt_scratch_stats_get(&s), LSMT_OK);
    size_t th = s.threshold;
    ck_assert_uint_ge(th, 4096);
    ck_assert_int_eq(lsmt_scratch_alloc(32, 0, &p), LSMT_OK);
    /* a mark opened on the scratch arena: reset and release are refused */
    lsmt_bump_arena *sa = lsmt_scratch_arena();
    ck_assert_ptr_nonnull(sa);
    lsmt_mark m = 0;
    ck_assert_int_eq(lsmt_bump_arena_mark(sa, &m), LSMT_OK);
    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_BUSY);   /* wrong state: a mark is open */
    ck_assert_int_eq(lsmt_scratch_release(), LSMT_BUSY); /* same */
    ck_assert_int_eq(lsmt_bump_arena_rewind(sa, m), LSMT_OK);
    ck_assert_int_eq(lsmt_bump_arena_rewind(sa, m), LSMT_INVALID); /* closed */
    ck_assert_int_eq(lsmt_scratch_stats_get(&s), LSMT_OK);
    ck_assert_uint_eq(s.open_marks, 0);
    ck_assert_uint_eq(s.threshold, th);
    ck_assert_uint_ge(s.total_bytes, 1);
    ck_assert_uint_ge(s.thread_count, 1);
    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_OK);
    ck_assert_int_eq(lsmt_scratch_release(), LSMT_OK);
}
END_TEST

/* ---- arena.h: ring ----------------------------------------------------------------- */
START_TEST(test_ring)
{
    lsmt_ring_options_default(NULL);
    ck_assert_int_eq(lsmt_ring_destroy(NULL), LSMT_OK);
    lsmt_ring *r = SENTINEL;
    lsmt_ring_options o;
    ck_assert_int_eq(lsmt_ring_create(NULL, NULL), LSMT_INVALID);
    lsmt_ring_options_default(&o);
    o.capacity = 100;
    ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_RANGE);
    o.capacity = (size_t)1 << 41;
    ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_RANGE);
    o.capacity = HUGE_SZ;
    ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_RANGE);
    ck_assert_ptr_eq(r, SENTINEL);
    lsmt_ring_options_default(&o);
    o.capacity = 64 << 10;
    ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_OK);

    lsmt_ring_buf b, keep;
    memset(&b, 0x5a, sizeof(b));
    lsmt_ring_buf saved = b;
    /* every bad argument of the one allocation call */
    ck_assert_int_eq(lsmt_ring_alloc(NULL, 8, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(NULL, 8, 16, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 0, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 0, 16, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 64 << 10, 0, &b), LSMT_INVALID); /* can never fit */
    ck_assert_int_eq(lsmt_ring_alloc(r, HUGE_SZ, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 3, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, LSMT_RING_MAX_ALIGN * 2, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, HUGE_SZ, &b), LSMT_INVALID);
    ck_assert_mem_eq(&b, &saved, sizeof(b));

    /* release: NULL, never allocated, twice */
    lsmt_ring_buf zero;
    memset(&zero, 0, sizeof(zero));
    ck_assert_int_eq(lsmt_ring_release(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_release(&zero), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 100, 0, &b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_INVALID);

    /* extendable buffer: wrong states and sizes */
    lsmt_ring_ext e, closed;
    memset(&closed, 0, sizeof(closed));
    ck_assert_int_eq(lsmt_ring_ext_begin(NULL, 0, &e), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, HUGE_SZ, &e), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&closed, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_append(&closed, "x", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&closed, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_cancel(&closed), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_cancel(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_finalize(NULL, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 16, &e), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 0, &keep), LSMT_BUSY); /* ext open */
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, "abc", 3), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_ext_append(NULL, "abc", 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, 64 << 10), LSMT_INVALID); /* never fits */
    ck_assert_uint_eq(e.len, 3);
    ck_assert_mem_eq(e.data, "abc", 3);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &keep), LSMT_OK);
    ck_assert_mem_eq(keep.data, "abc", 3);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &b), LSMT_INVALID); /* closed now */

    lsmt_ring_stats s;
    ck_assert_int_eq(lsmt_ring_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_stats_get(r, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_stats_get(r, &s), LSMT_OK);
    ck_assert_uint_eq(s.live_buffers, 1);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY); /* a live buffer */
    ck_assert_int_eq(lsmt_ring_release(&keep), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- arena.h: concurrent arena and pool -------------------------------------------- */
START_TEST(test_carena)
{
    lsmt_sharded_arena_options_default(NULL);
    lsmt_sharded_arena_destroy(NULL);
    lsmt_sharded_arena *a = SENTINEL;
    lsmt_sharded_arena_options o;
    ck_assert_int_eq(lsmt_sharded_arena_create(NULL, NULL), LSMT_INVALID);
    lsmt_sharded_arena_options_default(&o);
    o.capacity = 4096;
    o.chunk_size = 8192; /* capacity < chunk */
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_INVALID);
    lsmt_sharded_arena_options_default(&o);
    o.capacity = ((size_t)1 << 40) + 4096;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_INVALID);
    lsmt_sharded_arena_options_default(&o);
    o.shard_count = 257;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_INVALID);
    lsmt_sharded_arena_options_default(&o);
    o.chunk_size = 5000;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_INVALID);
    o.chunk_size = 2048;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_INVALID);
    lsmt_sharded_arena_options_default(&o);
    o.backing = &failing_backing;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_NOMEM);
    ck_assert_ptr_eq(a, SENTINEL);

    lsmt_sharded_arena_options_default(&o);
    o.capacity = 1 << 20;
    o.chunk_size = 64 << 10;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    void *p = SENTINEL, *q = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 100, 8, &q), LSMT_OK);
    lsmt_sharded_arena_stats s, s0;
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s0), LSMT_OK);
    /* every bad argument of the one allocation call */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(NULL, 8, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(NULL, 8, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 0, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 0, 0, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 3, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, 8192, &p), LSMT_INVALID); /* align > 4096 */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 8, HUGE_SZ, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, (1 << 20) + 1, 8, &p), LSMT_INVALID); /* > cap */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 2 << 20, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, HUGE_SZ, 8, &p), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, HUGE_SZ - 100, 4096, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.bytes_allocated, s0.bytes_allocated);

    ck_assert_int_eq(lsmt_sharded_arena_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.capacity, 1 << 20);
    ck_assert_uint_le(s.bytes_reserved, s.capacity);
    ck_assert_uint_ge(s.bytes_reserved, s.bytes_allocated);
    /* FULL: fits the capacity, not the room left; nothing changes */
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 600 << 10, 8, &q), LSMT_OK);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s0), LSMT_OK);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 600 << 10, 8, &p), LSMT_FULL);
    ck_assert_ptr_eq(p, SENTINEL);
    ck_assert_int_eq(lsmt_sharded_arena_stats_get(a, &s), LSMT_OK);
    ck_assert_uint_eq(s.bytes_allocated, s0.bytes_allocated);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK);
    ck_assert_int_eq(lsmt_sharded_arena_release_thread(a), LSMT_OK); /* nothing to release */
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    ck_assert_int_eq(lsmt_sharded_arena_release_pages(a), LSMT_OK);
    ck_assert_int_eq(lsmt_sharded_arena_alloc(a, 100, 8, &q), LSMT_OK);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(test_pool)
{
    lsmt_arena_pool_options_default(NULL);
    lsmt_arena_pool_destroy(NULL);
    lsmt_arena_pool *p = SENTINEL;
    lsmt_arena_pool_options o;
    ck_assert_int_eq(lsmt_arena_pool_create(NULL, NULL), LSMT_INVALID);
    lsmt_arena_pool_options_default(&o);
    o.arena.chunk_size = 5000;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, SENTINEL);

    lsmt_sharded_arena *a = SENTINEL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(NULL, &a), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_give_back(NULL, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(NULL, 1), LSMT_INVALID);
    lsmt_arena_pool_stats ps;
    ck_assert_int_eq(lsmt_arena_pool_stats_get(NULL, &ps), LSMT_INVALID);
    size_t rel = 99;
    ck_assert_int_eq(lsmt_arena_pool_trim(NULL, LSMT_POOL_DESTROY_IDLE, &rel), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_trim(NULL, LSMT_POOL_DISCARD_PAGES, &rel), LSMT_INVALID);
    ck_assert_uint_eq(rel, 99);

    lsmt_arena_pool_options_default(&o);
    o.arena.capacity = 1 << 20;
    o.arena.chunk_size = 64 << 10;
    o.max_idle = 2;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, (lsmt_arena_pool_trim_mode)7, &rel), LSMT_INVALID);
    ck_assert_uint_eq(rel, 99);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    /* an arena with other options is refused and stays the caller's */
    lsmt_sharded_arena_options co;
    lsmt_sharded_arena_options_default(&co);
    co.capacity = 2 << 20;
    lsmt_sharded_arena *other = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&co, &other), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, other), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &ps), LSMT_OK);
    ck_assert_uint_eq(ps.idle, 0);
    lsmt_sharded_arena_destroy(other);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &ps), LSMT_OK);
    ck_assert_uint_eq(ps.idle, 1);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 1000), LSMT_OK); /* capped at max_idle */
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &ps), LSMT_OK);
    ck_assert_uint_le(ps.idle, ps.max_idle);
    ck_assert_uint_eq(ps.max_idle, 2);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DISCARD_PAGES, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DESTROY_IDLE, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &ps), LSMT_OK);
    ck_assert_uint_eq(ps.idle, 0);
    lsmt_arena_pool_destroy(p);

    /* a failing page layer: checkout/prewarm NOMEM, pool unchanged */
    lsmt_arena_pool_options_default(&o);
    o.arena.backing = &failing_backing;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_OK);
    a = SENTINEL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_NOMEM);
    ck_assert_ptr_eq(a, SENTINEL);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 1), LSMT_NOMEM);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &ps), LSMT_OK);
    ck_assert_uint_eq(ps.idle, 0);
    lsmt_arena_pool_destroy(p);
}
END_TEST

/* ---- skiplist.h ---------------------------------------------------------------------- */
static lsmt_sharded_arena *small_arena(size_t cap)
{
    lsmt_sharded_arena_options o;
    lsmt_sharded_arena_options_default(&o);
    o.capacity = cap;
    o.chunk_size = 4096;
    o.shard_count = 1;
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&o, &a), LSMT_OK);
    return a;
}

static void sl_intact(const lsmt_skiplist *sl, size_t want)
{
    size_t n = 12345;
    ck_assert_int_eq(lsmt_skiplist_validate(sl, &n), LSMT_OK);
    ck_assert_uint_eq(n, want);
}

START_TEST(test_skiplist)
{
    lsmt_skiplist_options_default(NULL);
    lsmt_skiplist_destroy(NULL);
    lsmt_skiplist_hint_init(NULL);
    lsmt_sharded_arena *a = small_arena(64 << 10);
    lsmt_skiplist *sl = SENTINEL;
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID); /* no arena */
    ck_assert_int_eq(lsmt_skiplist_create(NULL, &sl), LSMT_INVALID);
    o.arena = a;
    ck_assert_int_eq(lsmt_skiplist_create(&o, NULL), LSMT_INVALID);
    o.max_height = LSMT_SKIPLIST_MAX_HEIGHT + 1;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID);
    ck_assert_ptr_eq(sl, SENTINEL);
    o.max_height = 0;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_OK);

    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k1", 2, 5, "v", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "", 0, 5, NULL, 0), LSMT_OK); /* empty key */
    const char big = 0;
    ck_assert_int_eq(lsmt_skiplist_insert(NULL, NULL, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, NULL, 3, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, &big, LSMT_SKIPLIST_MAX_KEY_LEN + 1, 0, "v", 1),
                     LSMT_INVALID);
    ck_assert_int_eq(
        lsmt_skiplist_insert(sl, NULL, "k", 1, 0, &big, LSMT_SKIPLIST_MAX_VALUE_LEN + 1),
        LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, &big, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k1", 2, 5, "w", 1), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(NULL, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, NULL, 3, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, "k", 1, 0, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, "k1", 2, 5, "w", 1), LSMT_EXISTS);
    /* a version a node cannot store (56 bits): LSMT_RANGE, nothing inserted */
    const uint64_t over = LSMT_SKIPLIST_MAX_VERSION + 1;
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k9", 2, over, "v", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k9", 2, UINT64_MAX, "v", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, "k9", 2, over, "v", 1), LSMT_RANGE);
    sl_intact(sl, 2);
    /* An entry larger than the whole arena can never fit: the carena calls that
     * LSMT_INVALID (arena.h), skiplist.h documents only FULL for "the arena is full".
     * Either way: refused, nothing changes. */
    static char fill[80 << 10];
    lsmt_status big_st = lsmt_skiplist_insert(sl, NULL, "k2", 2, 0, fill, sizeof(fill));
    ck_assert(big_st == LSMT_FULL || big_st == LSMT_INVALID);
    sl_intact(sl, 2);
    /* Full: fill the arena; the insert that does not fit is LSMT_FULL, list unchanged. */
    size_t filled = 2;
    lsmt_status fst;
    for (uint64_t ver = 100;
         (fst = lsmt_skiplist_insert(sl, NULL, "f", 1, ver, fill, 1000)) == LSMT_OK; ver++)
        filled++;
    ck_assert_int_eq(fst, LSMT_FULL);
    ck_assert_uint_gt(filled, 10);
    /* Still full for a node that is larger than the refused one whatever the heights
     * (a tower adds at most 8 * (MAX_HEIGHT - 1) bytes plus 4 of alignment); a same-size
     * insert could fit by drawing a shorter tower. */
    ck_assert_int_eq(
        lsmt_skiplist_insert(sl, NULL, "f", 1, 99, fill, 1000 + 8 * LSMT_SKIPLIST_MAX_HEIGHT + 8),
        LSMT_FULL);
    sl_intact(sl, filled);

    lsmt_skiplist_hint h;
    lsmt_skiplist_hint_init(&h);
    ck_assert_int_eq(lsmt_skiplist_insert(NULL, &h, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, NULL, 3, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, "k", 1, 0, NULL, 3), LSMT_INVALID);
    /* NULL hint: the thread's own splice (documented) */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k3", 2, 0, "v", 1), LSMT_OK);
    size_t n3 = filled + 1;
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, "k1", 2, 5, "w", 1), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, "k9", 2, over, "v", 1), LSMT_RANGE);
    sl_intact(sl, n3);

    lsmt_skiplist_node *node = SENTINEL;
    void *kb = SENTINEL, *vb = SENTINEL;
    ck_assert_int_eq(lsmt_skiplist_node_alloc(NULL, 1, 0, 1, 0, &node, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 0, NULL, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, over, 1, 0, &node, &kb, &vb), LSMT_RANGE);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, over, 1, 0, &node, &kb, &vb), LSMT_RANGE);
    ck_assert_int_eq(
        lsmt_skiplist_node_alloc(sl, LSMT_SKIPLIST_MAX_KEY_LEN + 1, 0, 1, 0, &node, &kb, &vb),
        LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, HUGE_SZ, 0, &node, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1000, 0, &node, &kb, &vb), LSMT_FULL);
    ck_assert_ptr_eq(node, SENTINEL);
    ck_assert_int_eq(lsmt_skiplist_node_insert(NULL, NULL, node), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, NULL), LSMT_INVALID);
    {
        lsmt_skiplist_node *bn[2] = {NULL, SENTINEL};
        lsmt_status bs[2] = {LSMT_CORRUPT, LSMT_CORRUPT};
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(NULL, 2, bn, bs), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 2, NULL, bs), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 2, bn, NULL), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 2, bn, bs), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 1, bn + 1, bs), LSMT_INVALID);
        ck_assert_int_eq(bs[0], LSMT_CORRUPT); /* statuses untouched on INVALID */
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 0, NULL, NULL), LSMT_OK);
    }
    sl_intact(sl, n3);
    /* min_bytes: over-limit lengths are SIZE_MAX (never a wrapped small size) */
    ck_assert_uint_eq(lsmt_skiplist_node_min_bytes(HUGE_SZ, 0), SIZE_MAX);
    ck_assert_uint_eq(lsmt_skiplist_node_min_bytes(0, HUGE_SZ), SIZE_MAX);
    ck_assert_uint_eq(lsmt_skiplist_node_min_bytes(LSMT_SKIPLIST_MAX_KEY_LEN + 1, 0), SIZE_MAX);
    ck_assert_uint_ge(lsmt_skiplist_node_min_bytes(0, 0), 1);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(NULL, 1, 0, 1, 0, &node, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(
        lsmt_skiplist_node_alloc(sl, 1, 0, 1, LSMT_SKIPLIST_TAG_MAX + 1, &node, &kb, &vb),
        LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 1, NULL, &kb, &vb), LSMT_INVALID);
    ck_assert_ptr_eq(node, SENTINEL);
    ck_assert_uint_gt(
        lsmt_skiplist_node_min_bytes(LSMT_SKIPLIST_MAX_KEY_LEN, LSMT_SKIPLIST_MAX_VALUE_LEN),
        LSMT_SKIPLIST_MAX_VALUE_LEN);
    sl_intact(sl, n3);

    ck_assert_ptr_null(lsmt_skiplist_find(NULL, "k1", 2, 5));
    ck_assert_ptr_null(lsmt_skiplist_find(sl, NULL, 2, 5));
    ck_assert_ptr_null(lsmt_skiplist_find(sl, "k", LSMT_SKIPLIST_MAX_KEY_LEN + 1, 5));
    ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, "k1", 2, 5));
    {
        const void *bk[1] = {"k1"};
        size_t bl[1] = {2};
        const lsmt_skiplist_node *bo[1] = {SENTINEL};
        const uint64_t bv[1] = {5};
        ck_assert_int_eq(lsmt_skiplist_seek_batch(NULL, 1, bk, bl, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, NULL, bl, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, NULL, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, bl, NULL, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, bl, bv, NULL), LSMT_INVALID);
        bl[0] = LSMT_SKIPLIST_MAX_KEY_LEN + 1;
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, bl, bv, bo), LSMT_INVALID);
        bk[0] = NULL;
        bl[0] = 2;
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, bl, bv, bo), LSMT_INVALID);
        ck_assert_ptr_eq(bo[0], SENTINEL);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 0, NULL, NULL, bv, NULL), LSMT_OK);
        bk[0] = "k1";
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 1, bk, bl, bv, bo), LSMT_OK);
        ck_assert_ptr_eq(bo[0], lsmt_skiplist_find(sl, "k1", 2, 5));
    }
    sl_intact(sl, n3);
    const lsmt_skiplist_node *f = lsmt_skiplist_find(sl, "k1", 2, 5);
    ck_assert_ptr_nonnull(f);
    lsmt_skiplist_entry e, e0;
    memset(&e, 0x5a, sizeof e);
    e0 = e;
    ck_assert_int_eq(lsmt_skiplist_node_entry(NULL, &e), LSMT_INVALID);
    ck_assert_mem_eq(&e, &e0, sizeof e); /* untouched on failure */
    ck_assert_int_eq(lsmt_skiplist_node_entry(f, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_entry(f, &e), LSMT_OK);
    ck_assert_uint_eq(e.klen, 2);
    ck_assert_mem_eq(e.key, "k1", 2);
    ck_assert_uint_eq(e.version, 5);
    ck_assert_uint_eq(e.vlen, 1);
    ck_assert_uint_eq(e.tag, 0);
    ck_assert_uint_ge(e.height, 1);

    lsmt_skiplist_iter it;
    ck_assert_int_eq(lsmt_skiplist_iter_init(NULL, sl), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_last(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(NULL, "k", 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(NULL, "k", 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_next(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_prev(NULL), LSMT_INVALID);
    ck_assert_ptr_null(lsmt_skiplist_iter_node(NULL));
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, sl), LSMT_OK);
    ck_assert_ptr_null(lsmt_skiplist_iter_node(&it));             /* not positioned */
    ck_assert_int_eq(lsmt_skiplist_iter_next(&it), LSMT_INVALID); /* not positioned */
    ck_assert_int_eq(lsmt_skiplist_iter_prev(&it), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, NULL, 3, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, NULL, 3, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(&it), LSMT_OK);
    ck_assert_ptr_nonnull(lsmt_skiplist_iter_node(&it));
    ck_assert_int_eq(lsmt_skiplist_iter_prev(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_last(&it), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_next(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, "\xff", 1, 0), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, NULL, 0, 0), LSMT_OK); /* "" key */

    lsmt_skiplist_stats ss, ss0;
    memset(&ss, 0x5a, sizeof ss);
    ss0 = ss;
    ck_assert_int_eq(lsmt_skiplist_stats_get(NULL, &ss), LSMT_INVALID);
    ck_assert_mem_eq(&ss, &ss0, sizeof ss);
    ck_assert_int_eq(lsmt_skiplist_stats_get(sl, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_stats_get(sl, &ss), LSMT_OK);
    ck_assert_uint_gt(ss.memory_bytes, 0);
    ck_assert_uint_ge(ss.height, 1);
    ck_assert_uint_le(ss.height, ss.max_height);
    ck_assert_int_eq(lsmt_skiplist_validate(NULL, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_validate(sl, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_reset(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_reset(sl), LSMT_OK);
    sl_intact(sl, 0);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k1", 2, 5, "v", 1), LSMT_OK);
    sl_intact(sl, 1);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* An ENCODED list: entry_alloc's bad arguments, and entries that node_insert must refuse
 * (nothing published, the list intact). */
static void encoded_entry_case(lsmt_skiplist *sl, const unsigned char *e, size_t n, size_t alloc,
                               lsmt_status want, size_t count_after)
{
    lsmt_skiplist_node *node = NULL;
    void *b = NULL;
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, alloc, &node, &b), LSMT_OK);
    memset(b, 0xEE, alloc);
    memcpy(b, e, n);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, node), want);
    sl_intact(sl, count_after);
}

START_TEST(test_skiplist_encoded)
{
    lsmt_sharded_arena *a = NULL;
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = 1 << 20;
    ao.chunk_size = 64 << 10;
    ck_assert_int_eq(lsmt_sharded_arena_create(&ao, &a), LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    lsmt_skiplist *sl = SENTINEL;
    o.format = (lsmt_skiplist_format)7;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID); /* unknown format */
    ck_assert_ptr_eq(sl, SENTINEL);
    o.format = LSMT_SKIPLIST_FORMAT_KV;
    lsmt_skiplist *kv = NULL;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &kv), LSMT_OK);
    o.format = LSMT_SKIPLIST_FORMAT_ENCODED;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_OK);

    lsmt_skiplist_node *node = SENTINEL;
    void *b = SENTINEL;
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(NULL, 16, &node, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, 16, NULL, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, 16, &node, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(kv, 16, &node, &b), LSMT_INVALID); /* KV list */
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, 9, &node, &b), LSMT_INVALID);  /* < minimum */
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, HUGE_SZ, &node, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_entry_alloc(sl, (size_t)2 << 20, &node, &b), LSMT_INVALID);
    ck_assert_ptr_eq(node, SENTINEL);
    ck_assert_ptr_eq(b, SENTINEL);
    /* the KV calls refuse an ENCODED list */
    void *kb, *vb;
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 0, &node, &kb, &vb), LSMT_INVALID);
    sl_intact(sl, 0);

    /* "k1", version 5, value "v": varint 10, key, 8 version bytes, varint 1, value */
    static const unsigned char good[] = {10, 'k', '1', 5, 0, 0, 0, 0, 0, 0, 0, 1, 'v'};
    encoded_entry_case(sl, good, sizeof good, sizeof good, LSMT_OK, 1);
    encoded_entry_case(sl, good, sizeof good, sizeof good, LSMT_EXISTS, 1); /* duplicate */
    /* an entry with room to spare in its allocation is fine */
    unsigned char e[32];
    memcpy(e, good, sizeof good);
    e[3] = 6;
    encoded_entry_case(sl, e, sizeof good, sizeof good + 8, LSMT_OK, 2);
    /* key length below the version's 8 bytes */
    static const unsigned char short_ikey[] = {7, 1, 2, 3, 4, 5, 6, 7, 0};
    encoded_entry_case(sl, short_ikey, sizeof short_ikey, sizeof short_ikey + 1, LSMT_INVALID, 2);
    /* internal key longer than the allocation */
    memcpy(e, good, sizeof good);
    e[0] = 30;
    encoded_entry_case(sl, e, sizeof good, sizeof good, LSMT_INVALID, 2);
    /* value running past the end of the allocation */
    memcpy(e, good, sizeof good);
    e[11] = 2;
    encoded_entry_case(sl, e, sizeof good, sizeof good, LSMT_INVALID, 2);
    /* a varint that never ends inside the allocation */
    memset(e, 0x80, sizeof e);
    encoded_entry_case(sl, e, 12, 12, LSMT_INVALID, 2);
    /* the key's varint in a longer form than needed (10 as 0x8a 0x00) */
    static const unsigned char long_varint[] = {0x8a, 0, 'k', '2', 5, 0, 0, 0, 0, 0, 0, 0, 0};
    encoded_entry_case(sl, long_varint, sizeof long_varint, sizeof long_varint, LSMT_INVALID, 2);
    /* a KV node handed to an ENCODED list is refused */
    ck_assert_int_eq(lsmt_skiplist_node_alloc(kv, 1, 0, 1, 0, &node, &kb, &vb), LSMT_OK);
    memcpy(kb, "x", 1);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, node), LSMT_INVALID);
    sl_intact(sl, 2);

    lsmt_skiplist_entry en;
    ck_assert_int_eq(lsmt_skiplist_node_entry(lsmt_skiplist_find(sl, "k1", 2, 6), &en), LSMT_OK);
    ck_assert_uint_eq(en.klen, 2);
    ck_assert_mem_eq(en.key, "k1", 2);
    ck_assert_uint_eq(en.version, 6);
    ck_assert_uint_eq(en.vlen, 1);
    ck_assert_mem_eq(en.value, "v", 1);
    unsigned char want[sizeof good]; /* the entry as written */
    memcpy(want, good, sizeof good);
    want[3] = 6;
    ck_assert_ptr_nonnull(en.encoded);
    ck_assert_mem_eq(en.encoded, want, sizeof want);
    lsmt_skiplist_destroy(sl);
    lsmt_skiplist_destroy(kv);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- memtable.h -------------------------------------------------------------------- */
static lsmt_memtable *mt_make(void)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 256 << 10;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

static void mt_intact(const lsmt_memtable *mt, uint64_t entries)
{
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, entries);
}

static const char zero_key[1] = {0};

START_TEST(test_memtable_create)
{
    lsmt_memtable_options_default(NULL);
    lsmt_memtable_destroy(NULL);
    lsmt_memtable *mt = SENTINEL;
    lsmt_memtable_options o;
    ck_assert_int_eq(lsmt_memtable_create(NULL, NULL), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.hard_limit = o.write_buffer_size - 1; /* below the budget */
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.shard_count = 100000;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.hash_index = true;
    o.hash_index_expected_keys = o.write_buffer_size / 16 + 1; /* more keys than can fit */
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = HUGE_SZ; /* the derived hard limit overflows */
    lsmt_status st = lsmt_memtable_create(&o, &mt);
    ck_assert(st == LSMT_INVALID || st == LSMT_NOMEM);
    ck_assert_ptr_eq(mt, SENTINEL);
    /* protection_bytes_per_key other than 0, 1, 2, 4, 8 */
    static const unsigned bad_prot[] = {3, 5, 6, 7, 9, 16, 64, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_prot / sizeof bad_prot[0]; i++) {
        lsmt_memtable_options_default(&o);
        o.write_buffer_size = 1 << 20;
        o.protection_bytes_per_key = bad_prot[i];
        o.paranoid_checks = true;
        ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_INVALID);
        ck_assert_ptr_eq(mt, SENTINEL);
    }
    /* a pool whose page layer fails */
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.backing = &failing_backing;
    lsmt_arena_pool *pool = NULL;
    ck_assert_int_eq(lsmt_arena_pool_create(&po, &pool), LSMT_OK);
    lsmt_memtable_options_default(&o);
    o.pool = pool;
    o.write_buffer_size = 1 << 20;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_NOMEM);
    ck_assert_ptr_eq(mt, SENTINEL);
    lsmt_arena_pool_destroy(pool);
}
END_TEST

START_TEST(test_memtable_writes)
{
    lsmt_memtable *mt = mt_make();
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "k", 1, "v", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, NULL, 0, NULL, 0), LSMT_OK); /* empty key/value */
    ck_assert_int_eq(lsmt_memtable_put(NULL, 3, "k", 1, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, NULL, 1, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, "k", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1, "v", 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, "k", 1, zero_key, LSMT_MEMTABLE_MAX_VALUE_LEN + 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, zero_key, HUGE_SZ, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, "k", 1, zero_key, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, LSMT_MAX_SEQUENCE + 1, "k", 1, "v", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, UINT64_MAX, "k", 1, "v", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "k", 1, "w", 1), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 1, "k", 1), LSMT_EXISTS); /* same (key, seq) */
    ck_assert_int_eq(lsmt_memtable_delete(NULL, 3, "k", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 3, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 3, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, LSMT_MAX_SEQUENCE + 1, "k", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, LSMT_MAX_SEQUENCE, "k", 1, "m", 1), LSMT_OK);
    mt_intact(mt, 3);

    /* A value bigger than the whole memtable (< LSMT_MEMTABLE_MAX_VALUE_LEN) could never
     * fit: memtable.h documents LSMT_INVALID (LSMT_FULL would have an engine rotate and
     * retry forever). Nothing is written. */
    size_t bigsz = 4 << 20;
    char *big = calloc(1, bigsz);
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(lsmt_memtable_put(mt, 10, "big", 3, big, bigsz), LSMT_INVALID);
    const void *v;
    size_t vl;
    ck_assert_int_eq(lsmt_memtable_get(mt, "big", 3, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                     LSMT_NOT_FOUND);
    mt_intact(mt, 3);
    /* Past the hard limit: LSMT_FULL, nothing written, the memtable intact. */
    uint64_t n = 3, seq = 1000;
    lsmt_status fst;
    while ((fst = lsmt_memtable_put(mt, seq++, "fill", 4, big, 8192)) == LSMT_OK && n < 100000)
        n++;
    ck_assert_int_eq(fst, LSMT_FULL);
    ck_assert(lsmt_memtable_should_flush(mt));
    /* twice the refused entry's value: a same-size retry could still fit in the room
     * left when its random tower came out shorter than the refused entry's */
    ck_assert_int_eq(lsmt_memtable_put(mt, seq, "fill", 4, big, 16384), LSMT_FULL);
    ck_assert_int_eq(lsmt_memtable_get(mt, "fill", 4, LSMT_MAX_SEQUENCE, &v, &vl, NULL), LSMT_OK);
    free(big);
    mt_intact(mt, n);

    /* wrong lifecycle state: frozen */
    ck_assert_int_eq(lsmt_memtable_freeze(NULL), LSMT_INVALID);
    lsmt_memtable_stats fs;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &fs), LSMT_OK);
    ck_assert(!fs.frozen);
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK); /* idempotent */
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &fs), LSMT_OK);
    ck_assert(fs.frozen);
    ck_assert_int_eq(lsmt_memtable_put(mt, 20, "k", 1, "v", 1), LSMT_FROZEN);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 21, "k", 1), LSMT_FROZEN);
    mt_intact(mt, n);
    ck_assert_int_eq(lsmt_memtable_reset_all(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    mt_intact(mt, 0);
    ck_assert_int_eq(lsmt_memtable_put(mt, 20, "k", 1, "v", 1), LSMT_OK);
    mt_intact(mt, 1);
    lsmt_memtable_destroy(mt);
}
END_TEST

START_TEST(test_memtable_batch)
{
    lsmt_write_batch *b = SENTINEL;
    ck_assert_int_eq(lsmt_write_batch_create(NULL), LSMT_INVALID);
    lsmt_write_batch_destroy(NULL);
    lsmt_write_batch_clear(NULL);
    ck_assert_uint_eq(lsmt_write_batch_count(NULL), 0);
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(NULL, "k", 1, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, NULL, 1, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, "k", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1, "v", 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, "k", 1, zero_key, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete(NULL, "k", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete(b, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete(b, zero_key, HUGE_SZ), LSMT_INVALID);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 0);

    lsmt_memtable *mt = mt_make();
    ck_assert_int_eq(lsmt_memtable_write(mt, 1, b), LSMT_OK); /* empty batch */
    ck_assert_int_eq(lsmt_write_batch_put(b, "a", 1, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete(b, "b", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(NULL, 1, b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_write(mt, 1, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE, b), LSMT_RANGE); /* 2 records */
    ck_assert_int_eq(lsmt_memtable_write(mt, UINT64_MAX, b), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, 11, "b", 1, "x", 1), LSMT_OK);
    /* (b, 11) exists: nothing of the batch is applied, not even (a, 10) */
    ck_assert_int_eq(lsmt_memtable_write(mt, 10, b), LSMT_EXISTS);
    const void *v;
    size_t vl;
    ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                     LSMT_NOT_FOUND);
    mt_intact(mt, 1);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE - 1, b), LSMT_OK); /* fits */
    mt_intact(mt, 3);
    /* a batch larger than the whole arena could never fit: LSMT_INVALID (not FULL, which
     * would make an engine rotate and retry it forever), nothing applied */
    lsmt_write_batch_clear(b);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 0);
    static char val[64 << 10];
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(lsmt_write_batch_put(b, "z", 1, val, sizeof(val)), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 100, b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "z", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                     LSMT_NOT_FOUND);
    mt_intact(mt, 3);
    /* a batch that fits an empty memtable but not this full one: LSMT_FULL, and all or
     * nothing: its small first record (which would still fit) is not applied either */
    uint64_t filled = 3, fseq = 1000;
    lsmt_status fst;
    while ((fst = lsmt_memtable_put(mt, fseq++, "f", 1, val, sizeof val)) == LSMT_OK)
        filled++;
    ck_assert_int_eq(fst, LSMT_FULL);
    ck_assert_uint_gt(filled, 3);
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_put(b, "s", 1, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "t", 1, val, sizeof val), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 5000, b), LSMT_FULL);
    ck_assert_int_eq(lsmt_memtable_get(mt, "s", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                     LSMT_NOT_FOUND);
    mt_intact(mt, filled);
    /* frozen */
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_put(b, "c", 1, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 200, b), LSMT_FROZEN);
    mt_intact(mt, filled);
    lsmt_memtable_destroy(mt);
    lsmt_write_batch_destroy(b);
}
END_TEST

START_TEST(test_memtable_reads)
{
    lsmt_memtable *mt = mt_make();
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "v", 1), LSMT_OK);
    const void *v = SENTINEL;
    size_t vl = 99;
    uint64_t so = 98;
    ck_assert_int_eq(lsmt_memtable_get(NULL, "k", 1, 5, &v, &vl, &so), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, NULL, 1, 5, &v, &vl, &so), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 5, NULL, &vl, &so), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 5, &v, NULL, &so), LSMT_INVALID);
    ck_assert_int_eq(
        lsmt_memtable_get(mt, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1, 5, &v, &vl, &so),
        LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, LSMT_MAX_SEQUENCE + 1, &v, &vl, &so),
                     LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 4, &v, &vl, &so), LSMT_NOT_FOUND);
    ck_assert_ptr_eq(v, SENTINEL);
    ck_assert_uint_eq(vl, 99);
    ck_assert_uint_eq(so, 98);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 5, &v, &vl, NULL), LSMT_OK); /* seq NULL */

    const void *keys[2] = {"k", NULL};
    size_t klens[2] = {1, 3};
    lsmt_status sts[2];
    const void *vals[2];
    size_t vlens[2];
    ck_assert_int_eq(lsmt_memtable_multi_get(NULL, 1, keys, klens, 5, sts, vals, vlens),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, NULL, klens, 5, sts, vals, vlens),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, NULL, 5, sts, vals, vlens), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 5, NULL, vals, vlens),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 5, sts, NULL, vlens),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 5, sts, vals, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 2, keys, klens, 5, sts, vals, vlens),
                     LSMT_INVALID); /* keys[1] NULL with length 3 */
    ck_assert_int_eq(
        lsmt_memtable_multi_get(mt, 1, keys, klens, LSMT_MAX_SEQUENCE + 1, sts, vals, vlens),
        LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 0, NULL, NULL, 5, NULL, NULL, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 5, sts, vals, vlens), LSMT_OK);
    ck_assert_int_eq(sts[0], LSMT_OK);

    ck_assert_uint_eq(lsmt_memtable_approximate_memory_usage(NULL), 0);
    ck_assert_uint_gt(lsmt_memtable_approximate_memory_usage(mt), 0);
    ck_assert(!lsmt_memtable_should_flush(NULL));
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_validate(NULL), LSMT_INVALID);
    mt_intact(mt, 1);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* The same bad calls on a memtable with the hash index: refused, index unchanged. */
START_TEST(test_memtable_hash_index)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 256 << 10;
    o.hash_index = true;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "v", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "w", 1), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_memtable_put(mt, LSMT_MAX_SEQUENCE + 1, "k", 1, "w", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, 6, NULL, 1, "w", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 6, "k", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 6, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1),
                     LSMT_INVALID);
    const void *v = SENTINEL;
    size_t vl = 99;
    uint64_t so = 98;
    ck_assert_int_eq(lsmt_memtable_get(mt, NULL, 1, 5, &v, &vl, &so), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, LSMT_MAX_SEQUENCE + 1, &v, &vl, &so),
                     LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_get(mt, "absent", 6, 5, &v, &vl, &so), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 4, &v, &vl, &so), LSMT_NOT_FOUND);
    ck_assert_ptr_eq(v, SENTINEL);
    ck_assert_uint_eq(vl, 99);
    ck_assert_uint_eq(so, 98);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, LSMT_MAX_SEQUENCE, &v, &vl, &so), LSMT_OK);
    ck_assert(vl == 1 && memcmp(v, "v", 1) == 0 && so == 5);
    mt_intact(mt, 1);
    lsmt_memtable_destroy(mt);
}
END_TEST

START_TEST(test_memtable_iter)
{
    lsmt_memtable *mt = mt_make();
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "v", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 6, "d", 1), LSMT_OK);
    lsmt_memtable_iter_options_default(NULL);
    lsmt_memtable_iter_destroy(NULL);
    lsmt_memtable_iter *it = SENTINEL;
    lsmt_memtable_iter_options o;
    lsmt_memtable_iter_options_default(&o);
    ck_assert_int_eq(lsmt_memtable_iter_create(NULL, &o, &it), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, NULL), LSMT_INVALID);
    o.kind = (lsmt_iter_kind)7;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_INVALID);
    lsmt_memtable_iter_options_default(&o);
    o.snapshot = LSMT_MAX_SEQUENCE + 1;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_RANGE);
    lsmt_memtable_iter_options_default(&o);
    o.lower_bound = zero_key;
    o.lower_len = LSMT_MEMTABLE_MAX_KEY_LEN + 1;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_INVALID);
    lsmt_memtable_iter_options_default(&o);
    o.upper_bound = zero_key;
    o.upper_len = HUGE_SZ;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_INVALID);
    /* a NULL bound with a nonzero length is bad input, not "no bound" */
    lsmt_memtable_iter_options_default(&o);
    o.lower_len = 3;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_INVALID);
    lsmt_memtable_iter_options_default(&o);
    o.upper_len = 1;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &o, &it), LSMT_INVALID);
    ck_assert_ptr_eq(it, SENTINEL);

    ck_assert(!lsmt_memtable_iter_valid(NULL));
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_last(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek(NULL, "k", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_for_prev(NULL, "k", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_next(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_prev(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_entry(NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                     LSMT_INVALID);

    ck_assert_int_eq(lsmt_memtable_iter_create(mt, NULL, &it), LSMT_OK); /* NULL = defaults */
    ck_assert(!lsmt_memtable_iter_valid(it));
    const void *k = SENTINEL;
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, NULL, NULL, NULL, NULL, NULL),
                     LSMT_INVALID); /* not positioned */
    ck_assert_ptr_eq(k, SENTINEL);
    lsmt_status st = lsmt_memtable_iter_next(it);
    ck_assert(st == LSMT_INVALID || st == LSMT_END);
    st = lsmt_memtable_iter_prev(it);
    ck_assert(st == LSMT_INVALID || st == LSMT_END);
    ck_assert(!lsmt_memtable_iter_valid(it));
    ck_assert_int_eq(lsmt_memtable_iter_seek(it, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_for_prev(it, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek(it, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1),
                     LSMT_INVALID);
    /* all out-params NULL is fine on a valid iterator; the tombstone is hidden */
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, NULL, NULL, NULL, NULL, NULL, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_last(it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_seek(it, NULL, 0), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_seek_for_prev(it, "z", 1), LSMT_OK);
    size_t kl = 0;
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, NULL, NULL), LSMT_OK);
    ck_assert_uint_eq(kl, 1);
    ck_assert_mem_eq(k, "k", 1);
    ck_assert_int_eq(lsmt_memtable_iter_next(it), LSMT_END);

    /* wrong lifecycle: reset_all with an open iterator */
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_BUSY);
    mt_intact(mt, 2);
    lsmt_memtable_iter_destroy(it);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    mt_intact(mt, 0);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- range_del.h ------------------------------------------------------------------------ */
static void rd_intact(const lsmt_memtable *mt, uint64_t ranges)
{
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.range_deletes, ranges);
}

START_TEST(test_range_del)
{
    lsmt_memtable *mt = mt_make();
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 5, "a", 1, "c", 1), LSMT_OK);
    /* delete_range: every bad argument, nothing changed */
    ck_assert_int_eq(lsmt_memtable_delete_range(NULL, 6, "a", 1, "c", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, NULL, 1, "c", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, "a", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(
        lsmt_memtable_delete_range(mt, 6, zero_key, LSMT_MEMTABLE_MAX_KEY_LEN + 1, "c", 1),
        LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, "a", 1, zero_key, HUGE_SZ), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, "c", 1, "c", 1), LSMT_INVALID); /* empty */
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, "d", 1, "c", 1),
                     LSMT_INVALID); /* inverted */
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 6, NULL, 0, NULL, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, LSMT_MAX_SEQUENCE + 1, "a", 1, "c", 1),
                     LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 5, "a", 1, "z", 1), LSMT_EXISTS);
    rd_intact(mt, 1);

    /* batch record */
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(NULL, "a", 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, NULL, 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "a", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, zero_key, HUGE_SZ, "b", 1), LSMT_INVALID);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 0);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "b", 1, "a", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 10, b), LSMT_INVALID); /* inverted, at apply */
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "a", 1, "b", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE + 1, b), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_write(mt, 5, b), LSMT_EXISTS);
    rd_intact(mt, 1);

    /* iterators */
    lsmt_range_del_iter *it = SENTINEL;
    ck_assert_int_eq(lsmt_range_del_iter_create(NULL, LSMT_RANGE_DEL_RAW, &it), LSMT_INVALID);
    ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_range_del_iter_create(mt, (lsmt_range_del_kind)7, &it), LSMT_INVALID);
    ck_assert_ptr_eq(it, SENTINEL);
    lsmt_range_del_iter_destroy(NULL);
    ck_assert(!lsmt_range_del_iter_valid(NULL));
    ck_assert_int_eq(lsmt_range_del_iter_seek_to_first(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_range_del_iter_next(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_range_del_iter_entry(NULL, NULL, NULL, NULL, NULL, NULL), LSMT_INVALID);
    for (int kind = 0; kind < 2; kind++) {
        ck_assert_int_eq(lsmt_range_del_iter_create(mt, (lsmt_range_del_kind)kind, &it), LSMT_OK);
        ck_assert(!lsmt_range_del_iter_valid(it));
        ck_assert_int_eq(lsmt_range_del_iter_next(it), LSMT_INVALID); /* not positioned */
        ck_assert_int_eq(lsmt_range_del_iter_entry(it, NULL, NULL, NULL, NULL, NULL), LSMT_INVALID);
        ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_BUSY); /* pinned */
        ck_assert_int_eq(lsmt_range_del_iter_seek_to_first(it), LSMT_OK);
        ck_assert_int_eq(lsmt_range_del_iter_entry(it, NULL, NULL, NULL, NULL, NULL), LSMT_OK);
        ck_assert_int_eq(lsmt_range_del_iter_next(it), LSMT_END);
        ck_assert_int_eq(lsmt_range_del_iter_next(it), LSMT_INVALID);
        lsmt_range_del_iter_destroy(it);
    }
    /* frozen: the write is refused, nothing changed */
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 7, "a", 1, "c", 1), LSMT_FROZEN);
    ck_assert_int_eq(lsmt_memtable_write(mt, 20, b), LSMT_FROZEN);
    rd_intact(mt, 1);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    rd_intact(mt, 0);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- coverage: every LSMT_API function of every header is called above ---------------- */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s != NULL && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s != NULL)
        s[n] = 0;
    fclose(f);
    return s;
}

START_TEST(test_coverage)
{
    static const char *const headers[] = {"lsmt.h", "arena.h", "skiplist.h", "memtable.h",
                                          "range_del.h"};
    char root[4096];
    snprintf(root, sizeof(root), "%s", __FILE__);
    char *slash = strrchr(root, '/');
    if (slash == NULL) {
        fprintf(stderr, "coverage: __FILE__ is not a path; skipped\n");
        return;
    }
    *slash = 0; /* .../tests */
    char path[4200];
    snprintf(path, sizeof(path), "%s/test_bad_input.c", root);
    char *self = slurp(path);
    ck_assert_msg(self != NULL, "cannot read %s", path);
    size_t functions = 0, missing = 0;
    for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
        snprintf(path, sizeof(path), "%s/../include/lsmt/%s", root, headers[h]);
        char *text = slurp(path);
        ck_assert_msg(text != NULL, "cannot read %s", path);
        for (char *p = strstr(text, "LSMT_API "); p != NULL; p = strstr(p + 1, "LSMT_API ")) {
            char *paren = strchr(p, '(');
            if (paren == NULL || memchr(p, ';', (size_t)(paren - p)) != NULL ||
                memchr(p, '#', (size_t)(paren - p)) != NULL)
                continue; /* the macro's own definition */
            char *end = paren;
            while (end > p && end[-1] == ' ')
                end--;
            char *start = end;
            while (start > p && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                                 (start[-1] >= '0' && start[-1] <= '9')))
                start--;
            char name[128];
            size_t len = (size_t)(end - start);
            if (len < 5 || len >= sizeof(name) - 2 || strncmp(start, "lsmt_", 5) != 0)
                continue; /* e.g. the macro's __attribute__ */
            memcpy(name, start, len);
            name[len] = '(';
            name[len + 1] = 0;
            functions++;
            /* called somewhere before this TCase (so not just named in this loop) */
            char *hit = strstr(self, name);
            if (hit == NULL || hit > strstr(self, "START_TEST(test_coverage)")) {
                fprintf(stderr, "bad-input sweep misses %.*s (%s)\n", (int)len, name, headers[h]);
                missing++;
            }
        }
        free(text);
    }
    free(self);
    fprintf(stderr, "bad-input sweep: %zu public functions, %zu missing\n", functions, missing);
    ck_assert_uint_gt(functions, 100);
    ck_assert_uint_eq(missing, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bad_input");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"lsmt", test_lsmt_h},
        {"backing", test_backing},
        {"arena", test_arena},
        {"abuf_avec", test_abuf_avec},
        {"scratch", test_scratch},
        {"ring", test_ring},
        {"carena", test_carena},
        {"pool", test_pool},
        {"skiplist", test_skiplist},
        {"skiplist_encoded", test_skiplist_encoded},
        {"memtable_create", test_memtable_create},
        {"memtable_writes", test_memtable_writes},
        {"memtable_batch", test_memtable_batch},
        {"memtable_reads", test_memtable_reads},
        {"memtable_hash_index", test_memtable_hash_index},
        {"memtable_iter", test_memtable_iter},
        {"range_del", test_range_del},
        {"coverage", test_coverage},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
