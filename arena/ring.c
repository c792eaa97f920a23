/* lsmt_ring: a fixed-capacity ring allocator for short-lived buffers.
 *
 * Layout. One block of `cap` bytes (4 KiB aligned, cap a multiple of 4 KiB) is tiled by
 * slots. A slot is a 16-byte guard (struct ring_guard), alignment padding, the payload,
 * and padding to a multiple of 16; slots never cross the ring's end: when the next slot
 * would, a "pad" slot (already released) fills the rest and the slot goes to offset 0.
 * The producer keeps three numbers, touched by no other thread:
 *   tail_off  offset of the oldest slot not yet reclaimed,
 *   head_off  offset where the next slot goes,
 *   used      bytes of slots from tail to head (0 <= used <= cap; used == 0 means the
 *             ring is empty, and then both offsets are 0).
 * The free space is the `cap - used` bytes from head_off onwards, circularly; a slot is
 * placed only inside it (ring invariant 1 in include/lsmt/arena.h;
 * "invariant N" below means the ring's), so an allocation that
 * would run into the oldest live slot fails with LSMT_FULL instead.
 *
 * Concurrency. The only shared word is each guard's `state`: (seq << 1) | LIVE. The
 * producer sets it LIVE when it hands the buffer out; a releasing thread (any thread)
 * clears LIVE with a release CAS; the producer's reclaim loads it with acquire before it
 * moves tail past the slot and later reuses the bytes (invariant 2). A handle carries
 * the expected state (its tag), so the CAS also rejects a second release of a buffer
 * whose guard was not yet reused. Everything else (len, offsets, counters) is written
 * and read by the producer only.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "lsmt/arena.h"

#define GUARD            ((size_t)16)
#define RING_PAGE        ((size_t)4096)
#define RING_MAX_CAP     ((size_t)1 << 40)
#define RING_DEFAULT_CAP ((size_t)1 << 20)
#define LIVE             ((uint64_t)1)

struct ring_guard {
    /* (seq << 1) | LIVE while the buffer is handed out, seq << 1 once released (pads
     * are created released). Written by the producer (relaxed store when the slot is
     * created) and by one releasing thread (release CAS); read by the producer (acquire
     * load in reclaim) and by the releasing thread's CAS. */
    _Atomic uint64_t state;
    /* Bytes of the slot, guard included; a multiple of 16. Producer only. */
    uint64_t len;
};
_Static_assert(sizeof(struct ring_guard) == GUARD, "guard is 16 bytes");

struct lsmt_ring {
    unsigned char *base; /* cap bytes, 4 KiB aligned; never changes */
    size_t cap;          /* never changes */
    size_t head_off;     /* producer only (see the file comment) */
    size_t tail_off;     /* producer only */
    size_t used;         /* producer only */
    uint64_t seq;        /* next buffer's sequence number; producer only */
    bool destroy_waits;
    bool ext_open;            /* an extendable buffer is open (invariant 3) */
    struct ring_guard *ext_g; /* its guard while open */
    uint64_t ext_tag;         /* its tag while open */
    uint64_t allocs;          /* statistics, producer only */
    uint64_t full;
};

static inline size_t align16(size_t x)
{
    return (x + 15) & ~(size_t)15;
}

static inline struct ring_guard *guard_at(const lsmt_ring *r, size_t off)
{
    return (struct ring_guard *)(void *)(r->base + off);
}

void lsmt_ring_options_default(lsmt_ring_options *opt)
{
    if (!opt)
        return;
    opt->capacity = RING_DEFAULT_CAP;
    opt->destroy_waits = false;
}

lsmt_status lsmt_ring_create(const lsmt_ring_options *opt, lsmt_ring **out)
{
    lsmt_ring_options o;
    if (!out)
        return LSMT_INVALID;
    if (opt)
        o = *opt;
    else
        lsmt_ring_options_default(&o);
    if (o.capacity < RING_PAGE || o.capacity > RING_MAX_CAP)
        return LSMT_RANGE;
    size_t cap = (o.capacity + RING_PAGE - 1) & ~(RING_PAGE - 1);
    lsmt_ring *r = calloc(1, sizeof *r);
    if (!r)
        return LSMT_NOMEM;
    r->base = aligned_alloc(RING_PAGE, cap);
    if (!r->base) {
        free(r);
        return LSMT_NOMEM;
    }
    r->cap = cap;
    r->seq = 1;
    r->destroy_waits = o.destroy_waits;
    *out = r;
    return LSMT_OK;
}

/* Move tail past every released slot at the old end of the ring. */
static void reclaim(lsmt_ring *r)
{
    while (r->used) {
        struct ring_guard *g = guard_at(r, r->tail_off);
        /* acquire: pairs with the release CAS in lsmt_ring_release (or reads the
         * producer's own relaxed store of a pad); once LIVE is seen clear, everything
         * the releasing thread did to the buffer happens-before the reuse of its bytes
         * below tail (invariant 2). */
        if (atomic_load_explicit(&g->state, memory_order_acquire) & LIVE)
            break;
        size_t len = (size_t)g->len;
        LSMT_ASSERT(len >= GUARD && len <= r->used);
        r->used -= len;
        r->tail_off += len;
        if (r->tail_off == r->cap)
            r->tail_off = 0;
    }
    if (r->used == 0) /* empty: restart at offset 0 for the longest contiguous run */
        r->head_off = r->tail_off = 0;
}

/* Slot length for a payload of `size` bytes aligned to `align` when the slot starts at
 * `off`; *pay receives the payload offset. size <= cap and align <= 4096, so no
 * overflow. */
static inline size_t slot_len(size_t off, size_t size, size_t align, size_t *pay)
{
    size_t p = (off + GUARD + align - 1) & ~(align - 1);
    *pay = p;
    return align16(p + size) - off;
}

/* Create a slot of `len` bytes at `off` (inside the free space) and hand it out. */
static struct ring_guard *slot_place(lsmt_ring *r, size_t off, size_t len, uint64_t *tag)
{
    struct ring_guard *g = guard_at(r, off);
    g->len = len;
    *tag = (r->seq++ << 1) | LIVE;
    /* relaxed: the guard reaches another thread only inside a handle the caller passes
     * with its own synchronization, which orders this store before any release. */
    atomic_store_explicit(&g->state, *tag, memory_order_relaxed);
    r->head_off = off + len == r->cap ? 0 : off + len;
    r->used += len;
    r->allocs++;
    return g;
}

/* Fill [off, cap) with a released pad slot (the producer's own; nobody else sees it). */
static void pad_place(lsmt_ring *r, size_t off)
{
    struct ring_guard *g = guard_at(r, off);
    g->len = r->cap - off;
    /* relaxed: only the producer reads a pad's state (in reclaim). */
    atomic_store_explicit(&g->state, (uint64_t)0, memory_order_relaxed);
    r->used += r->cap - off;
    r->head_off = 0;
}

/* Reserve a slot; statuses as lsmt_ring_alloc. */
static lsmt_status ring_alloc(lsmt_ring *r, size_t size, size_t align, void **data,
                              struct ring_guard **g, uint64_t *tag)
{
    size_t pay;
    if (size > r->cap || slot_len(0, size, align, &pay) > r->cap)
        return LSMT_INVALID; /* can never fit */
    reclaim(r);
    size_t off = r->head_off;
    size_t len = slot_len(off, size, align, &pay);
    if (off + len <= r->cap && len <= r->cap - r->used) {
        *g = slot_place(r, off, len, tag);
        *data = r->base + pay;
        return LSMT_OK;
    }
    if (off != 0) { /* wrap: pad to the end, place at 0 */
        size_t pad = r->cap - off;
        size_t len0 = slot_len(0, size, align, &pay);
        if (pad <= r->cap - r->used && len0 <= r->cap - r->used - pad) {
            pad_place(r, off);
            *g = slot_place(r, 0, len0, tag);
            *data = r->base + pay;
            return LSMT_OK;
        }
    }
    r->full++;
    return LSMT_FULL;
}

lsmt_status lsmt_ring_alloc(lsmt_ring *r, size_t size, size_t align, lsmt_ring_buf *out)
{
    if (!r || !out || size == 0 || (align & (align - 1)) != 0 || align > LSMT_RING_MAX_ALIGN)
        return LSMT_INVALID;
    if (r->ext_open)
        return LSMT_BUSY;
    if (align < 16) /* 0 (the default) and 1..8 give 16 */
        align = 16;
    void *data;
    struct ring_guard *g;
    uint64_t tag;
    lsmt_status st = ring_alloc(r, size, align, &data, &g, &tag);
    if (st != LSMT_OK)
        return st;
    out->data = data;
    out->size = size;
    out->guard_ = g;
    out->tag_ = tag;
    return LSMT_OK;
}

lsmt_status lsmt_ring_release(lsmt_ring_buf *buf)
{
    if (!buf || !buf->guard_ || !(buf->tag_ & LIVE))
        return LSMT_INVALID;
    struct ring_guard *g = buf->guard_;
    uint64_t expect = buf->tag_;
    /* release: publishes this thread's reads and writes of the buffer to the producer;
     * pairs with the acquire load in reclaim() (invariant 2). One attempt, no loop: the
     * CAS fails only when the guard no longer holds this buffer's live tag (a second
     * release of the buffer), and retrying could not make that valid. */
    if (!atomic_compare_exchange_strong_explicit(&g->state, &expect, buf->tag_ & ~LIVE,
                                                 memory_order_release, memory_order_relaxed))
        return LSMT_INVALID;
    buf->guard_ = NULL;
    buf->tag_ = 0;
    return LSMT_OK;
}

/* ---- extendable buffers --------------------------------------------------------- */

static lsmt_ring *ext_ring(const lsmt_ring_ext *e)
{
    if (!e || !e->ring_)
        return NULL;
    lsmt_ring *r = e->ring_;
    if (!r->ext_open || r->ext_g != e->guard_ || r->ext_tag != e->tag_)
        return NULL;
    return r;
}

lsmt_status lsmt_ring_ext_begin(lsmt_ring *r, size_t initial_cap, lsmt_ring_ext *out)
{
    if (!r || !out)
        return LSMT_INVALID;
    if (r->ext_open)
        return LSMT_BUSY;
    if (initial_cap == 0)
        initial_cap = 16;
    void *data;
    struct ring_guard *g;
    uint64_t tag;
    lsmt_status st = ring_alloc(r, initial_cap, 16, &data, &g, &tag);
    if (st != LSMT_OK)
        return st;
    r->ext_open = true;
    r->ext_g = g;
    r->ext_tag = tag;
    out->data = data;
    out->len = 0;
    out->cap = (size_t)g->len - (size_t)((unsigned char *)data - (unsigned char *)g);
    out->ring_ = r;
    out->guard_ = g;
    out->tag_ = tag;
    return LSMT_OK;
}

lsmt_status lsmt_ring_ext_reserve(lsmt_ring_ext *e, size_t additional)
{
    lsmt_ring *r = ext_ring(e);
    size_t need;
    if (!r || lsmt_add_overflow(e->len, additional, &need))
        return LSMT_INVALID;
    if (need <= e->cap)
        return LSMT_OK;
    size_t pay0;
    /* can never fit, even alone in an empty ring (guard and alignment included) */
    if (need > r->cap || slot_len(0, need, 16, &pay0) > r->cap)
        return LSMT_INVALID;
    struct ring_guard *g = r->ext_g;
    size_t goff = (size_t)((unsigned char *)g - r->base);
    size_t poff = (size_t)(e->data - r->base);
    size_t new_len = align16(poff + need) - goff;
    size_t old_len = (size_t)g->len;
    reclaim(r); /* the open buffer is live, so it and head stay where they are */
    /* 1. in place: the buffer is the newest slot (invariant 3), head is right after it */
    if (goff + new_len <= r->cap && new_len - old_len <= r->cap - r->used) {
        g->len = new_len;
        r->used += new_len - old_len;
        r->head_off = goff + new_len == r->cap ? 0 : goff + new_len;
        e->cap = new_len - (poff - goff);
        return LSMT_OK;
    }
    /* 2. move to offset 0: the old slot becomes a pad to the end of the ring */
    if (goff != 0) {
        size_t pay;
        size_t len0 = slot_len(0, need, 16, &pay);
        size_t pad = r->cap - goff;
        size_t used_after_pad = r->used - old_len + pad;
        if (used_after_pad <= r->cap && len0 <= r->cap - used_after_pad) {
            /* [0, len0) is free space, disjoint from the old slot at goff */
            if (e->len)
                memcpy(r->base + pay, e->data, e->len);
            r->used -= old_len;
            r->allocs--; /* the move is not a new allocation */
            pad_place(r, goff);
            uint64_t tag;
            struct ring_guard *ng = slot_place(r, 0, len0, &tag);
            r->ext_g = ng;
            r->ext_tag = tag;
            e->data = r->base + pay;
            e->cap = len0 - (pay - 0);
            e->guard_ = ng;
            e->tag_ = tag;
            return LSMT_OK;
        }
    }
    r->full++;
    return LSMT_FULL;
}

lsmt_status lsmt_ring_ext_append(lsmt_ring_ext *e, const void *p, size_t n)
{
    if (!ext_ring(e) || (!p && n))
        return LSMT_INVALID;
    lsmt_status st = lsmt_ring_ext_reserve(e, n);
    if (st != LSMT_OK)
        return st;
    if (n)
        memcpy(e->data + e->len, p, n);
    e->len += n;
    return LSMT_OK;
}

lsmt_status lsmt_ring_ext_finalize(lsmt_ring_ext *e, lsmt_ring_buf *out)
{
    lsmt_ring *r = ext_ring(e);
    if (!r || !out)
        return LSMT_INVALID;
    struct ring_guard *g = r->ext_g;
    size_t goff = (size_t)((unsigned char *)g - r->base);
    size_t poff = (size_t)(e->data - r->base);
    size_t new_len = align16(poff + e->len) - goff;
    size_t old_len = (size_t)g->len;
    LSMT_ASSERT(new_len <= old_len);
    /* give the unused tail back: the buffer is the newest slot, head follows it */
    g->len = new_len;
    r->used -= old_len - new_len;
    r->head_off = goff + new_len == r->cap ? 0 : goff + new_len;
    r->ext_open = false;
    r->ext_g = NULL;
    out->data = e->data;
    out->size = e->len;
    out->guard_ = g;
    out->tag_ = r->ext_tag;
    memset(e, 0, sizeof *e);
    return LSMT_OK;
}

lsmt_status lsmt_ring_ext_cancel(lsmt_ring_ext *e)
{
    lsmt_ring *r = ext_ring(e);
    if (!r)
        return LSMT_INVALID;
    struct ring_guard *g = r->ext_g;
    r->used -= (size_t)g->len;
    r->head_off = (size_t)((unsigned char *)g - r->base);
    r->allocs--;
    r->ext_open = false;
    r->ext_g = NULL;
    if (r->used == 0)
        r->head_off = r->tail_off = 0;
    memset(e, 0, sizeof *e);
    return LSMT_OK;
}

/* ---- stats, destroy ------------------------------------------------------------- */

lsmt_status lsmt_ring_stats_get(lsmt_ring *r, lsmt_ring_stats *out)
{
    if (!r || !out)
        return LSMT_INVALID;
    reclaim(r);
    size_t live = 0;
    size_t off = r->tail_off;
    for (size_t seen = 0; seen < r->used;) {
        struct ring_guard *g = guard_at(r, off);
        /* acquire: as in reclaim(); a count only, but keeps the pairing uniform */
        if (atomic_load_explicit(&g->state, memory_order_acquire) & LIVE)
            live++;
        seen += (size_t)g->len;
        off += (size_t)g->len;
        if (off == r->cap)
            off = 0;
    }
    out->capacity = r->cap;
    out->bytes_in_use = r->used;
    out->live_buffers = live;
    out->allocs = r->allocs;
    out->full = r->full;
    return LSMT_OK;
}

lsmt_status lsmt_ring_destroy(lsmt_ring *r)
{
    if (!r)
        return LSMT_OK;
    if (r->ext_open) /* the producer's own buffer: waiting could never end */
        return LSMT_BUSY;
    for (;;) {
        reclaim(r); /* acquire loads: every release happens-before the free below */
        if (r->used == 0)
            break;
        if (!r->destroy_waits)
            return LSMT_BUSY;
        sched_yield();
    }
    free(r->base);
    free(r);
    return LSMT_OK;
}
