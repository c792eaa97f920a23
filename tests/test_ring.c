/* Check suite for the ring allocator (arena/ring.c). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"
#include "support/scale.h"

#include "lsmt/arena.h"

#define SCALE LSMT_TEST_SCALE_DOWN(8, 8)

static lsmt_ring *make_ring(size_t cap, bool waits)
{
    lsmt_ring_options o;
    lsmt_ring_options_default(&o);
    o.capacity = cap;
    o.destroy_waits = waits;
    lsmt_ring *r = NULL;
    ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_OK);
    ck_assert_ptr_nonnull(r);
    return r;
}

static lsmt_ring_stats rstats(lsmt_ring *r)
{
    lsmt_ring_stats s;
    ck_assert_int_eq(lsmt_ring_stats_get(r, &s), LSMT_OK);
    return s;
}

static void fill(lsmt_ring_buf *b, uint64_t id)
{
    unsigned char *p = b->data;
    for (size_t i = 0; i < b->size; i++)
        p[i] = (unsigned char)(id * 131 + i);
}

static int check_fill(const lsmt_ring_buf *b, uint64_t id)
{
    const unsigned char *p = b->data;
    for (size_t i = 0; i < b->size; i++)
        if (p[i] != (unsigned char)(id * 131 + i))
            return 0;
    return 1;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

START_TEST(test_lifecycle)
{
    lsmt_ring_options o;
    lsmt_ring_options_default(&o);
    ck_assert_uint_eq(o.capacity, 1u << 20);
    ck_assert(!o.destroy_waits);
    lsmt_ring *r = NULL;
    ck_assert_int_eq(lsmt_ring_create(NULL, &r), LSMT_OK);
    lsmt_ring_stats s = rstats(r);
    ck_assert_uint_eq(s.capacity, 1u << 20);
    ck_assert_uint_eq(s.bytes_in_use, 0);
    ck_assert_uint_eq(s.live_buffers, 0);
    lsmt_ring_buf b;
    ck_assert_int_eq(lsmt_ring_alloc(r, 100, 0, &b), LSMT_OK);
    ck_assert_uint_eq(b.size, 100);
    ck_assert_uint_eq((uintptr_t)b.data % 16, 0);
    fill(&b, 1);
    s = rstats(r);
    ck_assert_uint_eq(s.live_buffers, 1);
    ck_assert_uint_eq(s.bytes_in_use, 128); /* 16 guard + 100 rounded to 16 */
    ck_assert_uint_eq(s.allocs, 1);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY);
    ck_assert(check_fill(&b, 1)); /* the refused destroy left it intact */
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_ptr_null(b.guard_);
    s = rstats(r);
    ck_assert_uint_eq(s.live_buffers, 0);
    ck_assert_uint_eq(s.bytes_in_use, 0);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(NULL), LSMT_OK);

    r = make_ring(5000, false); /* rounded up to 4 KiB multiples */
    ck_assert_uint_eq(rstats(r).capacity, 8192);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

START_TEST(test_bad_input)
{
    lsmt_ring_options o;
    lsmt_ring *r = (lsmt_ring *)(uintptr_t)0x1;
    lsmt_ring_options_default(NULL);
    ck_assert_int_eq(lsmt_ring_create(NULL, NULL), LSMT_INVALID);
    size_t bad[] = {0, 1, 4095, ((size_t)1 << 40) + 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lsmt_ring_options_default(&o);
        o.capacity = bad[i];
        ck_assert_int_eq(lsmt_ring_create(&o, &r), LSMT_RANGE);
    }
    ck_assert_ptr_eq(r, (lsmt_ring *)(uintptr_t)0x1);

    r = make_ring(4096, false);
    lsmt_ring_buf b = {0}, keep;
    ck_assert_int_eq(lsmt_ring_alloc(NULL, 8, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(NULL, 8, 16, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 0, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 0, 8, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 4096, 0, &b), LSMT_INVALID); /* never fits (guard) */
    ck_assert_int_eq(lsmt_ring_alloc(r, 4080, 0, &b), LSMT_OK);      /* exactly fits */
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_alloc(r, SIZE_MAX, 0, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 3, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 6, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 24, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 8192, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, SIZE_MAX, &b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 3000, 4096, &b), LSMT_INVALID); /* never fits */
    ck_assert_uint_eq(rstats(r).live_buffers, 0); /* nothing allocated by bad calls */

    /* release */
    lsmt_ring_buf zero = {0};
    ck_assert_int_eq(lsmt_ring_release(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_release(&zero), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_alloc(r, 64, 0, &b), LSMT_OK);
    keep = b;
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_INVALID);    /* same handle again */
    ck_assert_int_eq(lsmt_ring_release(&keep), LSMT_INVALID); /* a copy, not reused yet */

    /* extendable buffers */
    lsmt_ring_ext e = {0}, closed = {0};
    lsmt_ring_buf f = {0};
    ck_assert_int_eq(lsmt_ring_ext_begin(NULL, 8, &e), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 5000, &e), LSMT_INVALID); /* never fits */
    ck_assert_int_eq(lsmt_ring_ext_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&closed, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_append(NULL, "x", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_append(&closed, "x", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_finalize(NULL, &f), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&closed, &f), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_cancel(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_cancel(&closed), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 32, &e), LSMT_OK);
    lsmt_ring_ext e2;
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 32, &e2), LSMT_BUSY); /* invariant 3 */
    ck_assert_int_eq(lsmt_ring_alloc(r, 8, 0, &b), LSMT_BUSY);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, SIZE_MAX), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, "abc", 3), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, SIZE_MAX - 3), LSMT_INVALID); /* len + n ovf */
    /* fits the ring's bytes but not with its guard: can never fit, so INVALID (FULL
     * would have a caller release and retry forever); the buffer is unchanged */
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, rstats(r).capacity - 3 - 6), LSMT_INVALID);
    ck_assert_uint_eq(e.len, 3);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY); /* an ext is open */
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &f), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &f), LSMT_INVALID); /* already closed */
    ck_assert_int_eq(lsmt_ring_ext_cancel(&e), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_release(&f), LSMT_OK);

    lsmt_ring_stats s;
    ck_assert_int_eq(lsmt_ring_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_stats_get(r, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- full, wrap-around --------------------------------------------------------------- */

START_TEST(test_full_when_live)
{
    lsmt_ring *r = make_ring(4096, false);
    enum { MAXB = 64 };
    lsmt_ring_buf b[MAXB];
    int n = 0;
    lsmt_status st;
    while ((st = lsmt_ring_alloc(r, 200, 0, &b[n])) == LSMT_OK) {
        fill(&b[n], (uint64_t)n);
        n++;
        ck_assert_int_lt(n, MAXB);
    }
    ck_assert_int_eq(st, LSMT_FULL);
    ck_assert_int_eq(n, 4096 / 224); /* 16 guard + 208 */
    lsmt_ring_stats s = rstats(r);
    ck_assert_uint_eq(s.full, 1);
    ck_assert_uint_eq(s.live_buffers, (size_t)n);
    /* releasing buffers behind the oldest live one frees nothing usable yet */
    for (int i = 1; i < n; i++)
        ck_assert_int_eq(lsmt_ring_release(&b[i]), LSMT_OK);
    lsmt_ring_buf x;
    ck_assert_int_eq(lsmt_ring_alloc(r, 200, 0, &x), LSMT_FULL); /* would wrap into b[0] */
    ck_assert_int_eq(lsmt_ring_alloc(r, 16, 0, &x), LSMT_OK);    /* the 64-byte tail fits */
    ck_assert_int_eq(lsmt_ring_release(&x), LSMT_OK);
    ck_assert(check_fill(&b[0], 0)); /* never overwritten */
    ck_assert_int_eq(lsmt_ring_release(&b[0]), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_alloc(r, 4000, 0, &x), LSMT_OK); /* all reclaimed */
    ck_assert_int_eq(lsmt_ring_release(&x), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

START_TEST(test_wrap_around)
{
    /* FIFO with a window of live buffers of random sizes: the ring wraps many times;
     * every buffer keeps its pattern until released; no live buffers overlap. */
    lsmt_ring *r = make_ring(16384, false);
    enum { WIN = 24 };
    lsmt_ring_buf live[WIN];
    uint64_t ids[WIN];
    int head = 0, count = 0;
    uint64_t seed = 12345, id = 0, full = 0;
    size_t bytes = 0;
    unsigned char *lo = NULL, *hi = NULL;
    for (int it = 0; it < 200000 / SCALE; it++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t size = 1 + (size_t)(seed >> 33) % 1500;
        size_t align = (size_t)1 << ((seed >> 20) % 8);
        lsmt_ring_buf b;
        lsmt_status st = count < WIN ? lsmt_ring_alloc(r, size, align, &b) : LSMT_FULL;
        if (st == LSMT_OK) {
            ck_assert_uint_eq((uintptr_t)b.data % (align < 16 ? 16 : align), 0);
            fill(&b, id);
            int slot = (head + count) % WIN;
            live[slot] = b;
            ids[slot] = id++;
            count++;
            bytes += size;
            unsigned char *p = b.data;
            if (!lo || p < lo)
                lo = p;
            if (!hi || p + size > hi)
                hi = p + size;
        } else {
            ck_assert_int_eq(st, LSMT_FULL);
            full++;
            ck_assert_int_gt(count, 0);
            /* release the oldest (verifying it), sometimes two */
            for (int k = 0; k < 1 + (int)(seed & 1) && count; k++) {
                ck_assert(check_fill(&live[head], ids[head]));
                ck_assert_int_eq(lsmt_ring_release(&live[head]), LSMT_OK);
                head = (head + 1) % WIN;
                count--;
            }
        }
    }
    ck_assert_uint_gt(bytes, 20 * 16384); /* wrapped many times */
    ck_assert_uint_gt(full, 0);
    ck_assert_uint_le((size_t)(hi - lo), 16384); /* everything inside the ring */
    while (count) {
        ck_assert(check_fill(&live[head], ids[head]));
        ck_assert_int_eq(lsmt_ring_release(&live[head]), LSMT_OK);
        head = (head + 1) % WIN;
        count--;
    }
    ck_assert_uint_eq(rstats(r).bytes_in_use, 0);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- typed arrays ------------------------------------------------------------------ */

START_TEST(test_typed_arrays)
{
    lsmt_ring *r = make_ring(64 * 1024, false);
    for (size_t align = 1; align <= LSMT_RING_MAX_ALIGN; align <<= 1) {
        lsmt_ring_buf b;
        ck_assert_int_eq(lsmt_ring_alloc(r, 7 * 24, align, &b), LSMT_OK);
        ck_assert_uint_eq(b.size, 7 * 24);
        ck_assert_uint_eq((uintptr_t)b.data % (align < 16 ? 16 : align), 0);
        fill(&b, align);
        ck_assert(check_fill(&b, align));
        ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    }
    /* align 0: the default 16 */
    lsmt_ring_buf d;
    ck_assert_int_eq(lsmt_ring_alloc(r, 7 * 24, 0, &d), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)d.data % 16, 0);
    ck_assert_int_eq(lsmt_ring_release(&d), LSMT_OK);
    struct pt {
        double x, y;
        _Alignas(32) uint64_t tag;
    };
    lsmt_ring_buf b;
    ck_assert_int_eq(lsmt_ring_alloc(r, 100 * sizeof(struct pt), _Alignof(struct pt), &b), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)b.data % _Alignof(struct pt), 0);
    struct pt *a = b.data;
    for (int i = 0; i < 100; i++)
        a[i] = (struct pt){.x = i, .y = -i, .tag = (uint64_t)i * 3};
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(a[i].tag, (uint64_t)i * 3);
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- extendable buffers -------------------------------------------------------------- */

START_TEST(test_ext_grow_finalize)
{
    lsmt_ring *r = make_ring(8192, false);
    lsmt_ring_ext e;
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 16, &e), LSMT_OK);
    unsigned char *start = e.data;
    ck_assert_uint_ge(e.cap, 16);
    char msg[64];
    for (int i = 0; i < 100; i++) {
        memset(msg, 'a' + i % 26, sizeof msg);
        ck_assert_int_eq(lsmt_ring_ext_append(&e, msg, 37), LSMT_OK);
    }
    ck_assert_ptr_eq(e.data, start); /* grew in place */
    ck_assert_uint_eq(e.len, 3700);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, 2000), LSMT_OK);
    ck_assert_uint_ge(e.cap, 5700);
    lsmt_ring_buf f;
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &f), LSMT_OK);
    ck_assert_ptr_eq(f.data, start);
    ck_assert_uint_eq(f.size, 3700);
    for (int i = 0; i < 100; i++)
        for (int j = 0; j < 37; j++)
            ck_assert_int_eq(((char *)f.data)[i * 37 + j], 'a' + i % 26);
    /* the unused reserve went back: the next buffer follows right after */
    lsmt_ring_buf n;
    ck_assert_int_eq(lsmt_ring_alloc(r, 16, 0, &n), LSMT_OK);
    ck_assert_ptr_eq(n.data, start + 3712 + 16);
    ck_assert_uint_eq(rstats(r).live_buffers, 2);

    /* growth that runs into a live buffer: FULL, buffer intact and still open */
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 16, &e), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, "xyz", 3), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_ext_reserve(&e, 6000), LSMT_FULL);
    ck_assert_int_eq(lsmt_ring_ext_append(&e, "w", 1), LSMT_OK);
    ck_assert_int_eq(memcmp(e.data, "xyzw", 4), 0);
    unsigned char *ext2 = e.data;
    ck_assert_int_eq(lsmt_ring_ext_cancel(&e), LSMT_OK); /* bytes go back */
    lsmt_ring_buf again;
    ck_assert_int_eq(lsmt_ring_alloc(r, 16, 0, &again), LSMT_OK);
    ck_assert_ptr_eq(again.data, ext2);
    ck_assert_int_eq(lsmt_ring_release(&again), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&n), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&f), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

START_TEST(test_ext_move_at_end)
{
    lsmt_ring *r = make_ring(8192, false);
    lsmt_ring_buf a, b;
    ck_assert_int_eq(lsmt_ring_alloc(r, 3000, 0, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_alloc(r, 3000, 0, &b), LSMT_OK);
    fill(&b, 9);
    ck_assert_int_eq(lsmt_ring_release(&a), LSMT_OK); /* the ring's start is free again */
    lsmt_ring_ext e;
    ck_assert_int_eq(lsmt_ring_ext_begin(r, 64, &e), LSMT_OK);
    unsigned char *was = e.data;
    for (int i = 0; i < 40; i++) {
        unsigned char chunk[60];
        memset(chunk, i, sizeof chunk);
        ck_assert_int_eq(lsmt_ring_ext_append(&e, chunk, sizeof chunk), LSMT_OK);
    }
    ck_assert_ptr_ne(e.data, was); /* moved to the ring's start, past the end */
    ck_assert((uintptr_t)e.data < (uintptr_t)b.data);
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 60; j++)
            ck_assert_uint_eq(e.data[i * 60 + j], (unsigned)i);
    ck_assert(check_fill(&b, 9)); /* the live neighbour untouched */
    lsmt_ring_buf f;
    ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &f), LSMT_OK);
    ck_assert_uint_eq(f.size, 2400);
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_release(&f), LSMT_OK);
    ck_assert_uint_eq(rstats(r).bytes_in_use, 0);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
}
END_TEST

/* ---- destroy with live buffers -------------------------------------------------------- */

struct holder {
    lsmt_ring_buf buf;
    _Atomic int go; /* main -> thread: release now */
    int ok;
};

static void *holder_thread(void *arg)
{
    struct holder *h = arg;
    /* acquire: pairs with main's release store; the buffer handle was set before it */
    while (!atomic_load_explicit(&h->go, memory_order_acquire))
        sched_yield();
    h->ok = check_fill(&h->buf, 77);
    memset(h->buf.data, 0, h->buf.size); /* a write that must finish before the free */
    h->ok &= lsmt_ring_release(&h->buf) == LSMT_OK;
    return NULL;
}

START_TEST(test_destroy_busy_and_wait)
{
    lsmt_ring *r = make_ring(4096, false);
    lsmt_ring_buf b, c;
    ck_assert_int_eq(lsmt_ring_alloc(r, 100, 0, &b), LSMT_OK);
    fill(&b, 5);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY);
    ck_assert_int_eq(lsmt_ring_alloc(r, 10, 0, &c), LSMT_OK); /* the ring is still usable */
    ck_assert_int_eq(lsmt_ring_release(&c), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_BUSY); /* b is still live */
    ck_assert_uint_eq(rstats(r).live_buffers, 1);
    ck_assert(check_fill(&b, 5)); /* no use-after-free: still ours, intact */
    ck_assert_int_eq(lsmt_ring_release(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);

    /* destroy_waits: another thread releases while destroy waits */
    lsmt_ring *w = make_ring(4096, true);
    struct holder h = {.ok = 0};
    atomic_init(&h.go, 0);
    ck_assert_int_eq(lsmt_ring_alloc(w, 500, 0, &h.buf), LSMT_OK);
    fill(&h.buf, 77);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, holder_thread, &h), 0);
    /* release: publishes the filled buffer; pairs with the acquire load in the thread */
    atomic_store_explicit(&h.go, 1, memory_order_release);
    ck_assert_int_eq(lsmt_ring_destroy(w), LSMT_OK); /* returns only after the release */
    pthread_join(t, NULL);
    ck_assert_int_eq(h.ok, 1);
}
END_TEST

/* ---- cross-thread release: producer / consumers ---------------------------------------- */

enum { QCAP = 64, BATCH = 8, NCONS = 2 };

/* A mutex-protected FIFO of handles (the caller's synchronization the ring's contract
 * relies on); moved in batches so that the test is not dominated by thread wake-ups. */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lsmt_ring_buf items[QCAP];
    uint64_t ids[QCAP];
    int head, count, done;
};

struct cons_arg {
    struct queue *q;
    uint64_t consumed;
    int ok;
};

static void *consumer(void *arg)
{
    struct cons_arg *ca = arg;
    struct queue *q = ca->q;
    ca->ok = 1;
    for (;;) {
        lsmt_ring_buf b[BATCH];
        uint64_t id[BATCH];
        int k = 0;
        pthread_mutex_lock(&q->mu);
        while (q->count == 0 && !q->done)
            pthread_cond_wait(&q->cv, &q->mu);
        while (q->count > 0 && k < BATCH) {
            b[k] = q->items[q->head];
            id[k++] = q->ids[q->head];
            q->head = (q->head + 1) % QCAP;
            q->count--;
        }
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        if (k == 0)
            return NULL;                   /* done and drained */
        for (int i = k - 1; i >= 0; i--) { /* release out of allocation order */
            if (!check_fill(&b[i], id[i]))
                ca->ok = 0;
            memset(b[i].data, 0xee, b[i].size); /* consumer writes, then releases */
            if (lsmt_ring_release(&b[i]) != LSMT_OK)
                ca->ok = 0;
            ca->consumed++;
        }
    }
}

static void queue_push(struct queue *q, lsmt_ring_buf *b, uint64_t *ids, int n)
{
    pthread_mutex_lock(&q->mu);
    while (q->count + n > QCAP)
        pthread_cond_wait(&q->cv, &q->mu);
    for (int i = 0; i < n; i++) {
        q->items[(q->head + q->count) % QCAP] = b[i];
        q->ids[(q->head + q->count) % QCAP] = ids[i];
        q->count++;
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

START_TEST(test_cross_thread_release)
{
    lsmt_ring *r = make_ring(64 * 1024, true); /* < in-flight bytes: FULL happens */
    struct queue q = {.head = 0};
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.cv, NULL);
    pthread_t t[NCONS];
    struct cons_arg ca[NCONS];
    for (int i = 0; i < NCONS; i++) {
        ca[i] = (struct cons_arg){.q = &q};
        ck_assert_int_eq(pthread_create(&t[i], NULL, consumer, &ca[i]), 0);
    }
    const uint64_t n = 40000 / SCALE;
    uint64_t seed = 99, fulls = 0;
    lsmt_ring_buf batch[BATCH];
    uint64_t batch_ids[BATCH];
    int nb = 0;
    for (uint64_t id = 0; id < n; id++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t size = 1 + (size_t)(seed >> 33) % 2000;
        lsmt_ring_buf b;
        lsmt_status st;
        if (id % 3 == 0) { /* an extendable buffer, finalized before it is sent */
            lsmt_ring_ext e;
            while ((st = lsmt_ring_ext_begin(r, 8, &e)) == LSMT_FULL) {
                fulls++;
                sched_yield(); /* consumers release; retry (the ring never blocks) */
            }
            ck_assert_int_eq(st, LSMT_OK);
            for (size_t i = 0; i < size; i += 16) {
                unsigned char c[16];
                size_t m = size - i < 16 ? size - i : 16;
                for (size_t j = 0; j < m; j++)
                    c[j] = (unsigned char)(id * 131 + i + j);
                while ((st = lsmt_ring_ext_append(&e, c, m)) == LSMT_FULL) {
                    fulls++;
                    sched_yield();
                }
                ck_assert_int_eq(st, LSMT_OK);
            }
            ck_assert_int_eq(lsmt_ring_ext_finalize(&e, &b), LSMT_OK);
        } else {
            while ((st = lsmt_ring_alloc(r, size, 0, &b)) == LSMT_FULL) {
                fulls++;
                sched_yield();
            }
            ck_assert_int_eq(st, LSMT_OK);
            fill(&b, id);
        }
        batch[nb] = b;
        batch_ids[nb++] = id;
        if (nb == BATCH || id + 1 == n) {
            queue_push(&q, batch, batch_ids, nb);
            nb = 0;
        }
    }
    pthread_mutex_lock(&q.mu);
    q.done = 1;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
    uint64_t total = 0;
    for (int i = 0; i < NCONS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(ca[i].ok, 1);
        total += ca[i].consumed;
    }
    ck_assert_uint_eq(total, n);
    lsmt_ring_stats s = rstats(r);
    ck_assert_uint_eq(s.live_buffers, 0);
    ck_assert_uint_eq(s.bytes_in_use, 0);
    ck_assert_uint_eq(s.allocs, n);
    ck_assert_int_eq(lsmt_ring_destroy(r), LSMT_OK);
    pthread_mutex_destroy(&q.mu);
    pthread_cond_destroy(&q.cv);
    printf("cross-thread: %llu buffers, %llu FULL retries\n", (unsigned long long)n,
           (unsigned long long)fulls);
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc;
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("full");
    tcase_add_test(tc, test_full_when_live);
    tcase_add_test(tc, test_wrap_around);
    suite_add_tcase(s, tc);
    tc = tcase_create("typed");
    tcase_add_test(tc, test_typed_arrays);
    suite_add_tcase(s, tc);
    tc = tcase_create("extendable");
    tcase_add_test(tc, test_ext_grow_finalize);
    tcase_add_test(tc, test_ext_move_at_end);
    suite_add_tcase(s, tc);
    tc = tcase_create("destroy");
    tcase_add_test(tc, test_destroy_busy_and_wait);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, test_cross_thread_release);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(ring_suite());
}
