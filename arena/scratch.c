/* Thread-local scratch arena, its cross-thread registry, and the arena-backed growable
 * arrays (lsmt_abuf, lsmt_avec).
 *
 * Design. Each thread owns one lsmt_bump_arena (64 KiB blocks) reached through an
 * initial-exec TLS pointer, so lsmt_scratch_alloc is a TLS load, the auto-reset test
 * (no open mark and bytes_allocated > threshold: two loads and a compare) and the bump
 * arena's hot path. The arena is created on the thread's first scratch call and
 * registered with a pthread key whose destructor destroys it at thread exit.
 *
 * Auto-reset (contract in include/lsmt/arena.h): only at the start of a scratch alloc
 * with no mark open. Marks are the bump arena's own, opened by the caller with
 * lsmt_bump_arena_mark(lsmt_scratch_arena(), ...) (records inside the arena), so "a
 * mark is open" is simply arena->top != NULL whoever opened it, and memory under a mark
 * can never be reset by anything but its rewind (lsmt_scratch_reset/release refuse with
 * LSMT_BUSY).
 *
 * Registry. The scratch arenas get their blocks through hooks that add/subtract the
 * block size to one process-wide atomic total, so the total changes only when a block
 * is malloc'd or freed (never on the bump hot path) and any thread reads it with one
 * load. A second atomic counts the threads holding a scratch arena.
 *
 * Concurrency: everything but the two registry counters is thread-local.
 */
#include "arena/bump_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

#define SCRATCH_BLOCK ((size_t)64 * 1024)
#define MIN_THRESHOLD ((size_t)4096)

/* ---- registry ---------------------------------------------------------------------- */

/* Two process-wide counters, each alone on its cache line (every thread's block
 * changes write them; reader threads poll them). */
struct registry_counter {
    /* Writers: any thread with a scratch arena (fetch_add/fetch_sub, relaxed). Readers:
     * any thread (relaxed load). A pure statistic: no memory is published through it,
     * so no ordering is needed; a reader may see a value that lags a block change in
     * flight, never a torn one. */
    _Atomic size_t value;
    char pad[LSMT_CACHE_LINE - sizeof(_Atomic size_t)];
};
_Static_assert(sizeof(struct registry_counter) == LSMT_CACHE_LINE, "counter must fill a line");

static _Alignas(LSMT_CACHE_LINE) struct registry_counter g_total_bytes; /* bytes of blocks */
static _Alignas(LSMT_CACHE_LINE) struct registry_counter g_threads;     /* threads with scratch */

static void *scratch_block_alloc(void *ctx, size_t size)
{
    (void)ctx;
    void *p = malloc(size);
    if (p) /* relaxed: statistic only (see struct registry_counter) */
        atomic_fetch_add_explicit(&g_total_bytes.value, size, memory_order_relaxed);
    return p;
}

static void scratch_block_free(void *ctx, void *block, size_t size)
{
    (void)ctx;
    free(block);
    /* relaxed: statistic only (see struct registry_counter) */
    atomic_fetch_sub_explicit(&g_total_bytes.value, size, memory_order_relaxed);
}

/* ---- per-thread state ------------------------------------------------------------ */

static LSMT_TLS lsmt_bump_arena *t_arena;                            /* NULL until first use */
static LSMT_TLS size_t t_threshold = LSMT_SCRATCH_DEFAULT_THRESHOLD; /* auto-reset point */
static LSMT_TLS size_t t_auto_resets;

static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static int g_key_ok; /* written once inside pthread_once, read after it returns */

/* Thread exit: destroy the thread's arena (the block hooks update the total). */
static void scratch_thread_exit(void *p)
{
    lsmt_bump_arena_destroy(p);
    t_arena = NULL;
    /* relaxed: statistic only (see struct registry_counter) */
    atomic_fetch_sub_explicit(&g_threads.value, 1, memory_order_relaxed);
}

static void scratch_key_init(void)
{
    g_key_ok = pthread_key_create(&g_key, scratch_thread_exit) == 0;
}

static lsmt_bump_arena *scratch_create(void)
{
    pthread_once(&g_key_once, scratch_key_init);
    if (!g_key_ok)
        return NULL;
    lsmt_bump_arena_options o;
    lsmt_bump_arena_options_default(&o);
    o.block_size = SCRATCH_BLOCK;
    o.retain_bytes = t_threshold;
    o.block_alloc = scratch_block_alloc;
    o.block_free = scratch_block_free;
    lsmt_bump_arena *a;
    if (lsmt_bump_arena_create(&o, &a) != LSMT_OK)
        return NULL;
    if (pthread_setspecific(g_key, a) != 0) {
        lsmt_bump_arena_destroy(a);
        return NULL;
    }
    /* relaxed: statistic only (see struct registry_counter) */
    atomic_fetch_add_explicit(&g_threads.value, 1, memory_order_relaxed);
    t_arena = a;
    return a;
}

static inline lsmt_bump_arena *scratch_get(void)
{
    lsmt_bump_arena *a = t_arena;
    return LSMT_LIKELY(a != NULL) ? a : scratch_create();
}

/* Auto-reset is due (contract in arena.h): no mark is open and this thread's
 * bytes_allocated exceeds its threshold. */
static inline bool auto_reset_due(const lsmt_bump_arena *a)
{
    return a->top == NULL && lsmt_bump_arena_used_(a) > t_threshold;
}

/* ---- allocation, reset ------------------------------------------------------------ */

/* lsmt_scratch_alloc when the thread has no arena yet or an auto-reset is due. Bad input
 * is refused first, so that it neither creates the arena nor resets it. This is the one
 * place auto-reset happens. */
__attribute__((noinline)) static lsmt_status scratch_alloc_slow(size_t size, size_t align,
                                                                void **out)
{
    if (!out || size == 0 || size > LSMT_ARENA_MAX_REQUEST || (align & (align - 1)) != 0 ||
        align > LSMT_ARENA_MAX_REQUEST)
        return LSMT_INVALID;
    lsmt_bump_arena *a = scratch_get();
    if (!a)
        return LSMT_NOMEM;
    if (auto_reset_due(a)) {
        lsmt_bump_arena_reset(a);
        t_auto_resets++;
    }
    return lsmt_bump_arena_alloc(a, size, align, out);
}

lsmt_status lsmt_scratch_alloc(size_t size, size_t align, void **out)
{
    /* Hot path: the arena exists and no auto-reset is due; lsmt_bump_arena_alloc then
     * validates the arguments itself (bad input changes nothing there). */
    lsmt_bump_arena *a = t_arena;
    if (LSMT_UNLIKELY(a == NULL || auto_reset_due(a)))
        return scratch_alloc_slow(size, align, out);
    return lsmt_bump_arena_alloc(a, size, align, out);
}

lsmt_status lsmt_scratch_reset(void)
{
    lsmt_bump_arena *a = t_arena;
    if (!a)
        return LSMT_OK;
    if (a->top)
        return LSMT_BUSY;
    return lsmt_bump_arena_reset(a);
}

lsmt_status lsmt_scratch_set_threshold(size_t bytes)
{
    if (bytes < MIN_THRESHOLD)
        return LSMT_RANGE;
    t_threshold = bytes;
    if (t_arena)
        lsmt_bump_arena_set_retain_(t_arena, bytes);
    return LSMT_OK;
}

lsmt_status lsmt_scratch_release(void)
{
    lsmt_bump_arena *a = t_arena;
    if (!a)
        return LSMT_OK;
    if (a->top)
        return LSMT_BUSY;
    /* Unhook the destructor first so thread exit cannot destroy it twice. */
    pthread_setspecific(g_key, NULL);
    t_arena = NULL;
    lsmt_bump_arena_destroy(a);
    /* relaxed: statistic only (see struct registry_counter) */
    atomic_fetch_sub_explicit(&g_threads.value, 1, memory_order_relaxed);
    return LSMT_OK;
}

lsmt_status lsmt_scratch_stats_get(lsmt_scratch_stats *out)
{
    if (!out)
        return LSMT_INVALID;
    memset(out, 0, sizeof *out);
    out->threshold = t_threshold;
    out->auto_resets = t_auto_resets;
    if (t_arena) {
        lsmt_bump_arena_stats s;
        lsmt_bump_arena_stats_get(t_arena, &s);
        out->bytes_allocated = s.bytes_allocated;
        out->bytes_reserved = s.bytes_reserved;
        out->block_count = s.block_count;
        out->open_marks = s.open_marks;
    }
    /* relaxed: statistics only (see struct registry_counter) */
    out->total_bytes = atomic_load_explicit(&g_total_bytes.value, memory_order_relaxed);
    out->thread_count = atomic_load_explicit(&g_threads.value, memory_order_relaxed);
    return LSMT_OK;
}

lsmt_bump_arena *lsmt_scratch_arena(void)
{
    return scratch_get();
}

/* ---- growable arrays ---------------------------------------------------------------- */

/* Grow an array of `es`-byte elements at *data (cap elements, len used) to hold at least
 * `need` elements: doubling when possible, else exactly `need`; in place when it is the
 * arena's last allocation, else by a new allocation and a copy. On failure nothing
 * changes. */
static lsmt_status array_grow(lsmt_bump_arena *a, void **data, size_t *cap, size_t len, size_t need,
                              size_t es, size_t align)
{
    size_t want[2] = {need, need};
    if (*cap <= SIZE_MAX / 2 && *cap * 2 > need)
        want[0] = *cap * 2;
    size_t min_elems = es >= 16 ? 1 : (16 + es - 1) / es; /* first growth: >= 16 bytes */
    if (want[0] < min_elems)
        want[0] = min_elems;
    size_t bytes[2];
    for (int i = 0; i < 2; i++) {
        if (lsmt_mul_overflow(want[i], es, &bytes[i]) || bytes[i] > LSMT_ARENA_MAX_REQUEST)
            bytes[i] = 0; /* too big: skip this attempt */
    }
    if (bytes[1] == 0)
        return LSMT_INVALID; /* even the exact need cannot be represented */
    if (*data && *cap) {
        for (int i = 0; i < 2; i++) {
            if (bytes[i] && lsmt_bump_arena_try_grow(a, *data, *cap * es, bytes[i]) == LSMT_OK) {
                *cap = want[i];
                return LSMT_OK;
            }
        }
    }
    lsmt_status st = LSMT_INVALID;
    for (int i = 0; i < 2; i++) {
        void *p;
        if (!bytes[i])
            continue;
        st = lsmt_bump_arena_alloc(a, bytes[i], align, &p);
        if (st == LSMT_OK) {
            if (len)
                memcpy(p, *data, len * es);
            *data = p;
            *cap = want[i];
            return LSMT_OK;
        }
    }
    return st;
}

lsmt_status lsmt_abuf_init(lsmt_abuf *b, lsmt_bump_arena *a, size_t initial_cap)
{
    if (!b || !a || initial_cap > LSMT_ARENA_MAX_REQUEST)
        return LSMT_INVALID;
    lsmt_abuf n = {.arena = a, .data = NULL, .len = 0, .cap = 0};
    if (initial_cap) {
        void *p;
        lsmt_status st = lsmt_bump_arena_alloc(a, initial_cap, 8, &p);
        if (st != LSMT_OK)
            return st;
        n.data = p;
        n.cap = initial_cap;
    }
    *b = n;
    return LSMT_OK;
}

lsmt_status lsmt_abuf_reserve(lsmt_abuf *b, size_t additional)
{
    size_t need;
    if (!b || !b->arena || lsmt_add_overflow(b->len, additional, &need))
        return LSMT_INVALID;
    if (need <= b->cap)
        return LSMT_OK;
    void *d = b->data;
    lsmt_status st = array_grow(b->arena, &d, &b->cap, b->len, need, 1, 8);
    b->data = d;
    return st;
}

lsmt_status lsmt_abuf_append(lsmt_abuf *b, const void *p, size_t n)
{
    if (!b || (!p && n))
        return LSMT_INVALID;
    lsmt_status st = lsmt_abuf_reserve(b, n);
    if (st != LSMT_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return LSMT_OK;
}

lsmt_status lsmt_avec_init(lsmt_avec *v, lsmt_bump_arena *a, size_t elem_size, size_t elem_align,
                           size_t initial_cap)
{
    size_t bytes;
    if (elem_align == 0)
        elem_align = 8;
    if (!v || !a || elem_size == 0 || elem_size > LSMT_ARENA_MAX_REQUEST ||
        !lsmt_is_pow2(elem_align) || elem_align > LSMT_ARENA_MAX_REQUEST ||
        lsmt_mul_overflow(elem_size, initial_cap, &bytes) || bytes > LSMT_ARENA_MAX_REQUEST)
        return LSMT_INVALID;
    lsmt_avec n = {.arena = a,
                   .data = NULL,
                   .len = 0,
                   .cap = 0,
                   .elem_size = elem_size,
                   .elem_align = elem_align};
    if (initial_cap) {
        lsmt_status st = lsmt_bump_arena_alloc(a, bytes, elem_align, &n.data);
        if (st != LSMT_OK)
            return st;
        n.cap = initial_cap;
    }
    *v = n;
    return LSMT_OK;
}

static int avec_ok(const lsmt_avec *v)
{
    return v && v->arena && v->elem_size && lsmt_is_pow2(v->elem_align);
}

lsmt_status lsmt_avec_reserve(lsmt_avec *v, size_t additional)
{
    size_t need;
    if (!avec_ok(v) || lsmt_add_overflow(v->len, additional, &need))
        return LSMT_INVALID;
    if (need <= v->cap)
        return LSMT_OK;
    return array_grow(v->arena, &v->data, &v->cap, v->len, need, v->elem_size, v->elem_align);
}

lsmt_status lsmt_avec_emplace(lsmt_avec *v, void **slot)
{
    if (!slot)
        return LSMT_INVALID;
    lsmt_status st = lsmt_avec_reserve(v, 1);
    if (st != LSMT_OK)
        return st;
    *slot = (char *)v->data + v->len * v->elem_size;
    v->len++;
    return LSMT_OK;
}

lsmt_status lsmt_avec_push(lsmt_avec *v, const void *elem)
{
    void *slot;
    if (!elem)
        return LSMT_INVALID;
    lsmt_status st = lsmt_avec_emplace(v, &slot);
    if (st == LSMT_OK)
        memcpy(slot, elem, v->elem_size);
    return st;
}
