/* lsmt_bump_arena: the single-threaded, block-chained bump arena.
 *
 * Design. The arena serves requests from the window [ptr, end) of its current block:
 * the hot path (lsmt_bump_arena_alloc with align <= 8) is one compare and one add, and
 * keeps ptr a multiple of 8 by rounding sizes up to 8. Everything else is the slow
 * path (alloc_checked validates, alloc_slow serves):
 *  - an aligned request that does not fit in the window, or a request larger than a
 *    quarter of a standard block (it gets a dedicated block, pushed on the used list
 *    above the current block, which keeps serving small requests: a big request never
 *    wastes the tail of the current block);
 *  - a refill: the current block is retired (its unused tail is wasted, at most a
 *    quarter of a block) and the next one comes from the spare lists or block_alloc.
 * reset and rewind move blocks from the used list to two spare lists: spare_std
 * (exactly the standard size, O(1) pop) and spare_odd (dedicated and capacity-cut
 * blocks, searched best-fit so a repeated workload finds the same blocks again:
 * bump invariant 5 in include/lsmt/arena.h). Only reset frees blocks, and only beyond
 * retain_bytes.
 *
 * Marks (bump invariant 4) are records allocated from the arena itself right after the
 * position they remember, so they cost no malloc and vanish with the rewind. Each has
 * a never-reused serial; a rewind looks the serial up on the stack of open records, so
 * a stale mark (rewound, reset, foreign) is rejected instead of corrupting the arena.
 *
 * Concurrency: none; the caller serializes all calls on one arena.
 */
#include "arena/bump_internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

#define BLOCK_HDR     ((size_t)sizeof(struct lsmt_block))
#define MIN_ALIGN     ((size_t)8)
#define MIN_BLOCK     ((size_t)4096)
#define MAX_BLOCK     ((size_t)1 << 30)
#define DEFAULT_BLOCK ((size_t)256 * 1024)

_Static_assert(sizeof(struct lsmt_block) == 16, "block header must keep data 16-aligned");
_Static_assert(_Alignof(struct lsmt_mark_rec) <= 8, "mark records are allocated 8-aligned");

/* Mark serials are unique in the process, not just per arena, so a mark of another
 * arena (another thread's scratch) is never mistaken for one of ours. An arena takes
 * SERIAL_BATCH serials at a time from this counter (batch number k covers
 * [(k + 1) * SERIAL_BATCH, (k + 2) * SERIAL_BATCH); 0 is never a serial).
 * Written and read only by fetch_add in next_serial(). */
#define SERIAL_BATCH ((uint64_t)1 << 16)
static _Atomic uint64_t g_serial_batches;

static lsmt_mark next_serial(lsmt_bump_arena *a)
{
    if (a->next_serial == a->serial_end) {
        /* relaxed: only the atomicity of the increment matters (every arena gets a
         * distinct batch); no other memory is published through this counter. */
        uint64_t k = atomic_fetch_add_explicit(&g_serial_batches, 1, memory_order_relaxed);
        a->next_serial = (k + 1) * SERIAL_BATCH;
        a->serial_end = a->next_serial + SERIAL_BATCH;
    }
    return a->next_serial;
}

static inline uintptr_t block_data(const struct lsmt_block *b)
{
    return (uintptr_t)b + BLOCK_HDR;
}

static inline size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

void lsmt_bump_arena_options_default(lsmt_bump_arena_options *opt)
{
    if (!opt)
        return;
    opt->block_size = DEFAULT_BLOCK;
    opt->capacity = 0;
    opt->retain_bytes = SIZE_MAX;
    opt->block_alloc = NULL;
    opt->block_free = NULL;
    opt->block_ctx = NULL;
}

static void *default_block_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void default_block_free(void *ctx, void *block, size_t size)
{
    (void)ctx;
    (void)size;
    free(block);
}

lsmt_status lsmt_bump_arena_create(const lsmt_bump_arena_options *opt, lsmt_bump_arena **out)
{
    lsmt_bump_arena_options o;
    if (!out)
        return LSMT_INVALID;
    if (opt)
        o = *opt;
    else
        lsmt_bump_arena_options_default(&o);
    if (!lsmt_is_pow2(o.block_size) || o.block_size < MIN_BLOCK || o.block_size > MAX_BLOCK)
        return LSMT_INVALID;
    if ((o.block_alloc == NULL) != (o.block_free == NULL))
        return LSMT_INVALID;
    if (!o.block_alloc) {
        o.block_alloc = default_block_alloc;
        o.block_free = default_block_free;
    }
    lsmt_bump_arena *a = calloc(1, sizeof *a);
    if (!a)
        return LSMT_NOMEM;
    a->opt = o;
    *out = a;
    return LSMT_OK;
}

static void free_list(lsmt_bump_arena *a, struct lsmt_block *b)
{
    while (b) {
        struct lsmt_block *next = b->next;
        a->opt.block_free(a->opt.block_ctx, b, b->size + BLOCK_HDR);
        b = next;
    }
}

void lsmt_bump_arena_destroy(lsmt_bump_arena *a)
{
    if (!a)
        return;
    free_list(a, a->used);
    free_list(a, a->spare_std);
    free_list(a, a->spare_odd);
    free(a);
}

/* ---- blocks ---------------------------------------------------------------------- */

static inline size_t std_usable(const lsmt_bump_arena *a)
{
    return a->opt.block_size - BLOCK_HDR;
}

/* Put a block that no longer holds allocations on the spare list of its kind. */
static void spare_push(lsmt_bump_arena *a, struct lsmt_block *b)
{
    if (b->size == std_usable(a)) {
        b->next = a->spare_std;
        a->spare_std = b;
    } else {
        b->next = a->spare_odd;
        a->spare_odd = b;
    }
}

/* Unlink and return the smallest odd spare block with size >= need, or NULL. */
static struct lsmt_block *spare_odd_best_fit(lsmt_bump_arena *a, size_t need)
{
    struct lsmt_block **best = NULL;
    for (struct lsmt_block **pp = &a->spare_odd; *pp; pp = &(*pp)->next) {
        if ((*pp)->size >= need && (!best || (*pp)->size < (*best)->size)) {
            best = pp;
            if ((*pp)->size == need)
                break;
        }
    }
    if (!best)
        return NULL;
    struct lsmt_block *b = *best;
    *best = b->next;
    return b;
}

/* A fresh block with `usable` data bytes (a multiple of 16) from block_alloc. */
static lsmt_status block_new(lsmt_bump_arena *a, size_t usable, struct lsmt_block **out)
{
    size_t total = usable + BLOCK_HDR;
    if (a->opt.capacity && (a->reserved > a->opt.capacity || total > a->opt.capacity - a->reserved))
        return LSMT_FULL;
    struct lsmt_block *b = a->opt.block_alloc(a->opt.block_ctx, total);
    if (!b)
        return LSMT_NOMEM;
    if ((uintptr_t)b & 15) { /* the hook broke its contract: refuse the block */
        a->opt.block_free(a->opt.block_ctx, b, total);
        return LSMT_NOMEM;
    }
    b->size = usable;
    b->next = NULL;
    a->reserved += total;
    a->blocks++;
    a->block_allocs++;
    *out = b;
    return LSMT_OK;
}

/* A block for a dedicated (oversize) request of `need` data bytes: best-fit odd spare,
 * then a standard spare if big enough, then a new block of exactly `need`. */
static lsmt_status block_dedicated(lsmt_bump_arena *a, size_t need, struct lsmt_block **out)
{
    struct lsmt_block *b = spare_odd_best_fit(a, need);
    if (!b && need <= std_usable(a) && a->spare_std) {
        b = a->spare_std;
        a->spare_std = b->next;
    }
    if (b) {
        *out = b;
        return LSMT_OK;
    }
    return block_new(a, lsmt_align_up(need, 16), out);
}

/* A block to become the current one, with room for `need` data bytes: a standard spare,
 * then the best-fit odd spare, then a new standard block (cut to the capacity left if
 * that still holds `need`). */
static lsmt_status block_refill(lsmt_bump_arena *a, size_t need, struct lsmt_block **out)
{
    struct lsmt_block *b = NULL;
    if (a->spare_std && need <= std_usable(a)) {
        b = a->spare_std;
        a->spare_std = b->next;
    } else {
        b = spare_odd_best_fit(a, need);
    }
    if (b) {
        *out = b;
        return LSMT_OK;
    }
    size_t usable = std_usable(a);
    if (a->opt.capacity) {
        size_t left = a->reserved < a->opt.capacity ? a->opt.capacity - a->reserved : 0;
        size_t fit = left > BLOCK_HDR ? (left - BLOCK_HDR) & ~(size_t)15 : 0;
        if (fit < usable)
            usable = fit;
        if (usable < need)
            return LSMT_FULL;
    }
    return block_new(a, usable, out);
}

/* ---- allocation ------------------------------------------------------------------- */

/* Validated request: size in [1, MAX], align a power of two in [8, MAX]. */
static lsmt_status alloc_slow(lsmt_bump_arena *a, size_t size, size_t align, void **out)
{
    size_t rsize = round8(size);
    /* 1. the current window, with alignment padding */
    if (a->cur) {
        uintptr_t p = (a->ptr + (align - 1)) & ~(uintptr_t)(align - 1);
        if (p >= a->ptr && p <= a->end && rsize <= a->end - p) {
            a->ptr = p + rsize;
            *out = (void *)p;
            return LSMT_OK;
        }
    }
    /* Worst-case bytes needed in a fresh block (data starts 16-aligned). Cannot
     * overflow: size, align <= SIZE_MAX / 4. */
    size_t need = rsize + (align > 16 ? align - 16 : 0);
    struct lsmt_block *b;
    lsmt_status st;
    if (need > std_usable(a) / 4) {
        /* 2. dedicated block above the current one; the window stays as it is */
        st = block_dedicated(a, need, &b);
        if (st != LSMT_OK)
            return st;
        b->next = a->used;
        a->used = b;
        uintptr_t p = (block_data(b) + (align - 1)) & ~(uintptr_t)(align - 1);
        a->retired += (size_t)(p - block_data(b)) + rsize;
        *out = (void *)p;
        return LSMT_OK;
    }
    /* 3. refill: retire the current block (its tail is wasted) */
    st = block_refill(a, need, &b);
    if (st != LSMT_OK)
        return st;
    if (a->cur)
        a->retired += (size_t)(a->ptr - block_data(a->cur));
    b->next = a->used;
    a->used = b;
    a->cur = b;
    uintptr_t p = (block_data(b) + (align - 1)) & ~(uintptr_t)(align - 1);
    a->ptr = p + rsize;
    a->end = block_data(b) + (b->size & ~(size_t)7);
    LSMT_ASSERT(a->ptr <= a->end);
    *out = (void *)p;
    return LSMT_OK;
}

/* Everything but the hot path of lsmt_bump_arena_alloc: validate, then serve. Kept out
 * of line so that the hot path stays a leaf without a stack frame. */
__attribute__((noinline)) static lsmt_status alloc_checked(lsmt_bump_arena *a, size_t size,
                                                           size_t align, void **out)
{
    if (!a || !out || size == 0 || size > LSMT_ARENA_MAX_REQUEST ||
        (align != 0 && !lsmt_is_pow2(align)) || align > LSMT_ARENA_MAX_REQUEST)
        return LSMT_INVALID;
    if (align < MIN_ALIGN) /* 0 (the default) and 1, 2, 4 give 8 */
        align = MIN_ALIGN;
    return alloc_slow(a, size, align, out);
}

/* True when `align` is 0 (the default) or a power of two up to 8, the alignments every
 * pointer of the window already has: no bit of `align` may be set in align - 1 (0 or a
 * power of two) nor at 16 or above. */
static inline bool window_align(size_t align)
{
    return (align & ((align - 1) | ~(size_t)15)) == 0;
}

lsmt_status lsmt_bump_arena_alloc(lsmt_bump_arena *a, size_t size, size_t align, void **out)
{
    /* Hot path: the arguments' tests (each predicted taken), then size - 1 < room  <=>
     * 1 <= size <= room (size 0 wraps and fails); room is a multiple of 8, so
     * round8(size) <= room too (invariant 1). Every other case, bad input included,
     * goes to alloc_checked. */
    if (LSMT_LIKELY(a != NULL) && LSMT_LIKELY(out != NULL) && LSMT_LIKELY(window_align(align))) {
        uintptr_t p = a->ptr;
        if (LSMT_LIKELY(size - 1 < (size_t)(a->end - p))) {
            a->ptr = p + round8(size);
            *out = (void *)p;
            return LSMT_OK;
        }
    }
    return alloc_checked(a, size, align, out);
}

lsmt_status lsmt_bump_arena_try_grow(lsmt_bump_arena *a, void *p, size_t old_size, size_t new_size)
{
    if (!a || !p || old_size == 0 || new_size == 0 || old_size > LSMT_ARENA_MAX_REQUEST ||
        new_size > LSMT_ARENA_MAX_REQUEST)
        return LSMT_INVALID;
    uintptr_t u = (uintptr_t)p;
    /* p must be the last allocation of the current window */
    if (!a->cur || u < block_data(a->cur) || u > a->ptr || a->ptr - u != round8(old_size))
        return LSMT_FULL;
    if (round8(new_size) > a->end - u)
        return LSMT_FULL;
    a->ptr = u + round8(new_size);
    return LSMT_OK;
}

/* ---- reset, marks, stats ---------------------------------------------------------- */

lsmt_status lsmt_bump_arena_reset(lsmt_bump_arena *a)
{
    if (!a)
        return LSMT_INVALID;
    while (a->used) {
        struct lsmt_block *b = a->used;
        a->used = b->next;
        spare_push(a, b);
    }
    /* Trim to retain_bytes: odd blocks first (they serve only odd requests), then
     * standard ones. */
    struct lsmt_block **lists[2] = {&a->spare_odd, &a->spare_std};
    for (int i = 0; i < 2 && a->reserved > a->opt.retain_bytes; i++) {
        while (*lists[i] && a->reserved > a->opt.retain_bytes) {
            struct lsmt_block *b = *lists[i];
            *lists[i] = b->next;
            a->reserved -= b->size + BLOCK_HDR;
            a->blocks--;
            a->opt.block_free(a->opt.block_ctx, b, b->size + BLOCK_HDR);
        }
    }
    a->cur = NULL;
    a->ptr = a->end = 0;
    a->retired = 0;
    a->top = NULL; /* bump invariant 4: reset closes every mark */
    return LSMT_OK;
}

void lsmt_bump_arena_set_retain_(lsmt_bump_arena *a, size_t retain_bytes)
{
    a->opt.retain_bytes = retain_bytes;
}

lsmt_status lsmt_bump_arena_mark(lsmt_bump_arena *a, lsmt_mark *out)
{
    if (!a || !out)
        return LSMT_INVALID;
    struct lsmt_mark_rec at = {
        .serial = next_serial(a),
        .prev = a->top,
        .depth = a->top ? a->top->depth + 1 : 0,
        .used = a->used,
        .cur = a->cur,
        .ptr = a->ptr,
        .retired = a->retired,
    };
    void *mem;
    lsmt_status st = alloc_slow(a, sizeof at, MIN_ALIGN, &mem);
    if (st != LSMT_OK)
        return st;
    memcpy(mem, &at, sizeof at);
    a->top = mem;
    a->next_serial++;
    *out = at.serial;
    return LSMT_OK;
}

lsmt_status lsmt_bump_arena_rewind(lsmt_bump_arena *a, lsmt_mark mark)
{
    if (!a || mark == 0)
        return LSMT_INVALID;
    struct lsmt_mark_rec *r = a->top;
    while (r && r->serial != mark) {
        if (r->serial < mark) /* serials only grow up the stack: `mark` is not below */
            return LSMT_INVALID;
        r = r->prev;
    }
    if (!r)
        return LSMT_INVALID;
    /* Copy the record out first: releasing the blocks may recycle its memory. */
    struct lsmt_mark_rec m = *r;
    while (a->used != m.used) {
        struct lsmt_block *b = a->used;
        LSMT_ASSERT(b != NULL);
        a->used = b->next;
        spare_push(a, b);
    }
    a->cur = m.cur;
    a->ptr = m.ptr;
    a->end = m.cur ? block_data(m.cur) + (m.cur->size & ~(size_t)7) : 0;
    a->retired = m.retired;
    a->top = m.prev;
    return LSMT_OK;
}

lsmt_status lsmt_bump_arena_stats_get(const lsmt_bump_arena *a, lsmt_bump_arena_stats *out)
{
    if (!a || !out)
        return LSMT_INVALID;
    out->bytes_allocated = lsmt_bump_arena_used_(a);
    out->bytes_reserved = a->reserved;
    out->block_count = a->blocks;
    out->block_allocs = a->block_allocs;
    out->capacity = a->opt.capacity;
    out->open_marks = a->top ? a->top->depth + 1 : 0;
    return LSMT_OK;
}
