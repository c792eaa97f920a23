/* lsmt_sharded_arena: the sharded concurrent arena (see include/lsmt/arena.h,
 * "lsmt_sharded_arena").
 *
 * Design
 *   One region of `capacity` bytes is reserved through the backing at create; it never
 *   moves (header invariant 2). The region cursor `top` (an offset from base) only
 *   grows, by a CAS loop that never passes `capacity`, so a failed carve leaves it
 *   usable for smaller requests and bytes_reserved == top is always truthful.
 *   Each shard owns at most one chunk [cur, end) (offsets) carved from the region; an
 *   allocation inside it is a pointer bump. Requests larger than a quarter chunk that
 *   do not fit the current chunk are carved directly from the region (so at most a
 *   quarter chunk is wasted per refill), and when fewer than chunk_size bytes remain,
 *   a refill takes the tail of the region, so the arena fills up to its capacity.
 *
 * Claims and the thread-local cache
 *   A writer thread claims a shard exclusively the first time it allocates from an
 *   arena: it tries owner 0 -> token by CAS on each shard, starting at an atomic
 *   round-robin counter. The claim is cached in thread-local storage (t_cache, 8
 *   entries, most recently used first) keyed by the arena's 64-bit id, which is never
 *   reused (header invariant 3). While the thread owns its shard, allocation takes no
 *   atomic read-modify-write: relaxed loads and stores of the shard's fields, which only
 *   the owner writes (invariant I2 below).
 *   When every shard is owned, the thread allocates on the SHARED path: a CAS bump of
 *   the region cursor itself (lock-free, no refill to coordinate), and every
 *   SHARED_RETRY allocations it tries again to claim a shard that may have been freed.
 *   A thread releases its claims when it exits (a pthread key destructor) and when it
 *   evicts a cache entry; both look the arena up by id in a global registry (a mutex,
 *   slow path only) so they never touch a destroyed arena (header invariant 4). A full
 *   cache first drops the entries of destroyed arenas, then evicts the least recently
 *   used one. lsmt_sharded_arena_release_thread releases on request (the caller vouches that
 *   the arena is alive, so it needs no registry lookup).
 *
 * Implementation invariants (the code refers to them as I1..I6)
 *   I1. 0 <= top <= capacity; chunks and direct carves are disjoint ranges of
 *       [0, top) because every change of top is one atomic RMW (or reset_all, which is
 *       exclusive by contract).
 *   I2. A shard's cur, end and allocated are written only by its owner (owner != 0),
 *       or by reset_all/create (exclusive). cur <= end; [cur, end) is unused.
 *   I3. owner goes 0 -> token only by CAS (acquire) and token -> 0 only by its holder
 *       (release), so a new owner sees the previous owner's last cur/end/allocated.
 *   I4. A t_cache entry {id, arena, shard} with shard != NULL means this thread holds
 *       that shard's claim; the entry is dropped exactly when the claim is released.
 *   I5. The registry lists exactly the arenas created and not yet destroyed; release of
 *       a claim from outside a call on that arena (thread exit, eviction) happens under
 *       the registry mutex after finding the arena there, so destroy (which unlinks
 *       under the same mutex first) cannot free it meanwhile.
 *   I6. Ids come from a global counter starting at 1 and are never reused.
 *
 * reset_all (header invariant 5) stores cur = end = 0 and allocated = 0 in every shard
 * and top = 0; owners keep their claims and their next alloc finds an empty chunk and
 * carves a new one. The precondition (no alloc in flight) is the caller's; debug builds
 * count allocations in flight and return LSMT_BUSY when reset_all sees one (best
 * effort: an alloc starting after the check is not seen). */
#include "lsmt/arena.h"

#include "arena/concurrent_internal.h"
#include "common/internal.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CARENA_MAX_SHARDS       256
#define CARENA_MAX_CAPACITY     ((size_t)1 << 40)
#define CARENA_MIN_CHUNK        ((size_t)4096)
#define CARENA_DEFAULT_CAPACITY ((size_t)64 << 20)
#define CARENA_DEFAULT_CHUNK    ((size_t)256 << 10)
#define CARENA_MAX_ALIGN        ((size_t)4096)
#define CARENA_DEFAULT_ALIGN    ((size_t)8)
#define CARENA_HUGE_PAGE        ((size_t)2 << 20)
/* Chunk starts are cache-line aligned (a request with a larger alignment aligns the
 * chunk it refills to its own alignment). */
#define CARENA_CHUNK_ALIGN      ((size_t)LSMT_CACHE_LINE)
/* Two cache lines: the adjacent-line prefetcher pairs lines, so two writers 64 bytes
 * apart would still contend. */
#define CARENA_PAD              (2 * LSMT_CACHE_LINE)
/* Thread-local cache entries (arenas a thread allocates from at once). */
#define TLS_ENTRIES             8
/* Shared-path allocations between two attempts to claim a shard. */
#define SHARED_RETRY            128

/* Per-shard state, one per CARENA_PAD bytes so owners never share a line. */
struct carena_shard {
    /* Next free byte of the chunk, as an offset from base. Written by the owner only
     * (I2), relaxed: no other thread reads it except reset_all, which is exclusive. */
    _Atomic size_t cur;
    /* End of the chunk (offset). Same writers/readers as cur; cur <= end. */
    _Atomic size_t end;
    /* Bytes handed out from this shard. Written by the owner with relaxed load+store
     * (single writer, so no RMW needed); read by bytes_allocated/stats from any thread,
     * relaxed: a stale value only lags allocations in flight. */
    _Atomic size_t allocated;
    /* 0 = free, else the owning thread's token. CAS 0 -> token (acquire) by a claimer,
     * store/CAS token -> 0 (release) by the holder (I3). Read relaxed by stats. */
    _Atomic uint64_t owner;
    char pad[CARENA_PAD - 3 * sizeof(size_t) - sizeof(uint64_t)];
};
_Static_assert(sizeof(struct carena_shard) == CARENA_PAD, "shard must fill its lines");

struct lsmt_sharded_arena {
    /* ---- read-only between create and destroy (the hot path reads id and base) ---- */
    uint64_t id; /* I6 */
    char *base;
    size_t capacity;  /* the allocation limit (header invariant 2) */
    size_t map_len;   /* bytes mapped: capacity rounded up to the page / huge page */
    size_t map_align; /* page size, or 2 MiB with huge pages */
    size_t chunk_size;
    size_t big; /* requests above it that do not fit a chunk are carved directly */
    size_t shard_count;
    bool huge_pages;
    const lsmt_backing *backing;
    void *mem; /* the malloc'd block holding this struct (aligned inside it) */
    /* ---- registry links: written and read only under g_reg_lock (I5) ---- */
    struct lsmt_sharded_arena *reg_prev, *reg_next;
    /* Highest top seen since the last discard; written and read only by reset_all and
     * release_pages, which are exclusive with everything else. */
    size_t hwm;
#if defined(LSMT_DEBUG)
    lsmt_sharded_arena_debug_hook dbg_hook; /* set before threads start (test support) */
    void *dbg_ctx;
#endif

    /* ---- the region cursor: written on chunk carves (rare) and the shared path. The
     * shared path's counters share its line: a shared allocation has just taken the
     * line exclusive for its CAS on top, so its two counter RMWs cost little more. ---- */
    alignas(CARENA_PAD) _Atomic size_t top; /* I1; relaxed RMW, see region_carve */
    /* Chunks carved since create / reset_all: relaxed fetch_add per carve (slow path),
     * read relaxed by stats (a count, orders nothing). */
    _Atomic size_t chunk_count;
    /* Bytes handed out on the shared path: relaxed fetch_add, read relaxed by
     * bytes_allocated (a statistic, orders nothing). */
    _Atomic size_t shared_allocated;
    /* Allocations on the shared path; same access as shared_allocated. */
    _Atomic size_t shared_allocs;

    /* ---- claims (written only off the owner hot path) ---- */
    /* Round-robin start for claims: relaxed fetch_add, only spreads claimers out. */
    alignas(CARENA_PAD) _Atomic size_t rr;
#if defined(LSMT_DEBUG)
    /* Allocations in flight (debug builds): relaxed fetch_add/sub around every alloc,
     * read by reset_all. Detection only; it orders nothing. */
    _Atomic size_t dbg_inflight;
#endif

    alignas(CARENA_PAD) struct carena_shard shards[];
};

/* ---- process-wide state ------------------------------------------------------------ */

/* Next arena id (I6): relaxed fetch_add, uniqueness comes from the RMW itself. */
static _Atomic uint64_t g_next_id = 1;
/* Next thread token (nonzero, unique): relaxed fetch_add, same reasoning. */
static _Atomic uint64_t g_next_token = 1;

/* The registry of live arenas (I5): a doubly linked list under g_reg_lock. */
static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lsmt_sharded_arena *g_reg_head;

/* The key whose destructor releases an exiting thread's claims. */
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;

struct tls_entry {
    uint64_t id;                      /* arena id; 0 = empty slot */
    struct lsmt_sharded_arena *arena; /* valid while `id` is alive (I5) */
    struct carena_shard *shard;       /* claimed shard, or NULL: shared path (I4) */
    uint32_t shared_left;             /* shared path: allocations before the next claim try */
    uint32_t unused;
};

struct tls_cache {
    struct tls_entry e[TLS_ENTRIES]; /* most recently used first */
    uint64_t token;                  /* 0 until the thread first claims */
    bool key_set;                    /* pthread_setspecific done: exit releases claims */
};

/* This thread's claims. Only its own thread touches it (and the key destructor, which
 * runs in that same thread). */
static LSMT_TLS struct tls_cache t_cache;

/* ---- small helpers ---------------------------------------------------------------- */

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static size_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    if (n > CARENA_MAX_SHARDS)
        return CARENA_MAX_SHARDS;
    return (size_t)n;
}

static bool valid_align(size_t align)
{
    return align <= CARENA_MAX_ALIGN && (align & (align - 1)) == 0;
}

/* Carve from the region: at most `want` bytes and at least `need` (need <= want), the
 * start aligned to `align`. Returns the offset, *got = bytes taken. False when fewer
 * than `need` bytes remain after alignment: top is unchanged then (I1).
 * top is relaxed: disjointness comes from the atomicity of the CAS alone, and no data
 * is published through the cursor (the memory it hands out is the caller's). */
#ifdef LSMT_FAULT_INJECTION
/* Configured with -DLSMT_FAULT_INJECTION=ON (test builds only): when set and it returns
 * true, a carve fails as if the region were exhausted (every chunk refill, large
 * direct carve and shared-path allocation goes through here). Set before the threads
 * that allocate start. */
bool (*lsmt_sharded_arena_test_fault_hook)(void);
#endif

static bool region_carve(struct lsmt_sharded_arena *a, size_t need, size_t want, size_t align,
                         size_t *off, size_t *got)
{
#ifdef LSMT_FAULT_INJECTION
    bool (*fault)(void) = lsmt_sharded_arena_test_fault_hook;
    if (fault != NULL && fault())
        return false;
#endif
    size_t old = atomic_load_explicit(&a->top, memory_order_relaxed);
    for (;;) {
        /* old <= capacity <= 2^40 (I1) and align <= 4096: no overflow. */
        size_t start = (old + (align - 1)) & ~(align - 1);
        if (start > a->capacity || a->capacity - start < need)
            return false;
        size_t take = a->capacity - start < want ? a->capacity - start : want;
        /* Fails when another thread moved top since our load (old is reloaded) or
         * spuriously; retrying recomputes start and the bound from the fresh value,
         * so a retry can never carve past capacity nor overlap another carve. */
        if (atomic_compare_exchange_weak_explicit(&a->top, &old, start + take, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *off = start;
            *got = take;
            return true;
        }
    }
}

/* Bump inside shard s (owner only, I2): *out and true, or false when it does not fit. */
static inline bool shard_bump(struct lsmt_sharded_arena *a, struct carena_shard *s, size_t size,
                              size_t align, void **out)
{
    /* relaxed: we are the only writer (I2); the acquire of our claim (I3) made the
     * previous owner's values visible. */
    size_t cur = atomic_load_explicit(&s->cur, memory_order_relaxed);
    size_t end = atomic_load_explicit(&s->end, memory_order_relaxed);
    size_t p = (cur + (align - 1)) & ~(align - 1);
    if (LSMT_LIKELY(p <= end && end - p >= size)) {
        /* relaxed stores: single writer; readers of `allocated` accept a lag. */
        atomic_store_explicit(&s->cur, p + size, memory_order_relaxed);
        size_t al = atomic_load_explicit(&s->allocated, memory_order_relaxed);
        atomic_store_explicit(&s->allocated, al + (p + size - cur), memory_order_relaxed);
        *out = a->base + p;
        return true;
    }
    return false;
}

/* ---- claims ------------------------------------------------------------------------ */

static void release_claim(struct carena_shard *s, uint64_t token)
{
    uint64_t expect = token;
    /* release: publishes our last cur/end/allocated to the next claimer's acquire CAS
     * in try_claim (I3). It fails only if we do not hold the claim, which I4 rules out;
     * then nothing is changed. */
    bool ok = atomic_compare_exchange_strong_explicit(&s->owner, &expect, 0, memory_order_release,
                                                      memory_order_relaxed);
    LSMT_ASSERT(ok);
    (void)ok;
}

static struct carena_shard *try_claim(struct lsmt_sharded_arena *a, uint64_t token)
{
    /* relaxed: the counter only spreads claimers over the shards. */
    size_t start = atomic_fetch_add_explicit(&a->rr, 1, memory_order_relaxed);
    for (size_t i = 0; i < a->shard_count; i++) {
        struct carena_shard *s = &a->shards[(start + i) % a->shard_count];
        uint64_t expect = 0;
        /* relaxed pre-check avoids a useless RMW on owned shards. */
        if (atomic_load_explicit(&s->owner, memory_order_relaxed) != 0)
            continue;
        /* acquire on success: pairs with the release in release_claim, so we see the
         * previous owner's final cur/end/allocated (I3). Fails when another thread
         * claimed it first: move on to the next shard. */
        if (atomic_compare_exchange_strong_explicit(&s->owner, &expect, token, memory_order_acquire,
                                                    memory_order_relaxed))
            return s;
    }
    return NULL;
}

/* Find the arena with id `id` in the registry. REQUIRES: g_reg_lock held. */
static struct lsmt_sharded_arena *registry_find(uint64_t id)
{
    for (struct lsmt_sharded_arena *a = g_reg_head; a != NULL; a = a->reg_next)
        if (a->id == id)
            return a;
    return NULL;
}

/* Release the claim of entry e (if any) and empty it. REQUIRES: g_reg_lock held. */
static void drop_entry_locked(struct tls_cache *c, struct tls_entry *e)
{
    if (e->id != 0 && e->shard != NULL && registry_find(e->id) == e->arena)
        release_claim(e->shard, c->token);
    memset(e, 0, sizeof *e);
}

/* pthread key destructor: runs in the exiting thread (header invariant 4). */
static void thread_exit_release(void *p)
{
    struct tls_cache *c = p;
    pthread_mutex_lock(&g_reg_lock);
    for (int i = 0; i < TLS_ENTRIES; i++)
        drop_entry_locked(c, &c->e[i]);
    pthread_mutex_unlock(&g_reg_lock);
    c->key_set = false;
}

static void key_init(void)
{
    g_key_ok = pthread_key_create(&g_key, thread_exit_release) == 0;
}

/* Make sure this thread's claims are released at exit. False if that is impossible
 * (no key or setspecific failed): the thread then uses the shared path only. */
static bool thread_register(struct tls_cache *c)
{
    if (c->key_set)
        return true;
    if (pthread_once(&g_key_once, key_init) != 0 || !g_key_ok)
        return false;
    if (pthread_setspecific(g_key, c) != 0)
        return false;
    if (c->token == 0)
        /* relaxed: uniqueness comes from the RMW. */
        c->token = atomic_fetch_add_explicit(&g_next_token, 1, memory_order_relaxed);
    c->key_set = true;
    return true;
}

/* Move entry i to the front (most recently used). */
static struct tls_entry *move_front(struct tls_cache *c, int i)
{
    if (i > 0) {
        struct tls_entry t = c->e[i];
        memmove(&c->e[1], &c->e[0], (size_t)i * sizeof c->e[0]);
        c->e[0] = t;
    }
    return &c->e[0];
}

/* The cache entry for `a`, creating it (and claiming a shard when one is free). */
static struct tls_entry *tls_lookup(struct lsmt_sharded_arena *a)
{
    struct tls_cache *c = &t_cache;
    int empty = -1;
    for (int i = 0; i < TLS_ENTRIES; i++) {
        if (c->e[i].id == a->id)
            return move_front(c, i);
        if (c->e[i].id == 0 && empty < 0)
            empty = i;
    }
    if (empty < 0) {
        /* Full: drop the entries of destroyed arenas first (their ids are gone from
         * the registry); if all are alive, evict the least recently used one,
         * releasing its claim under the registry lock (I5). */
        pthread_mutex_lock(&g_reg_lock);
        for (int i = 0; i < TLS_ENTRIES; i++) {
            if (registry_find(c->e[i].id) != c->e[i].arena) {
                memset(&c->e[i], 0, sizeof c->e[i]);
                if (empty < 0)
                    empty = i;
            }
        }
        if (empty < 0) {
            empty = TLS_ENTRIES - 1;
            drop_entry_locked(c, &c->e[empty]);
        }
        pthread_mutex_unlock(&g_reg_lock);
    }
    struct tls_entry *e = &c->e[empty];
    e->id = a->id;
    e->arena = a;
    e->shard = thread_register(c) ? try_claim(a, c->token) : NULL;
    e->shared_left = SHARED_RETRY;
    return move_front(c, empty);
}

/* ---- allocation -------------------------------------------------------------------- */

static void *alloc_shared(struct lsmt_sharded_arena *a, size_t size, size_t align)
{
    size_t off, got;
    if (!region_carve(a, size, size, align, &off, &got))
        return NULL;
    /* relaxed: statistics; the shared path already pays an RMW on top. */
    atomic_fetch_add_explicit(&a->shared_allocated, size, memory_order_relaxed);
    atomic_fetch_add_explicit(&a->shared_allocs, 1, memory_order_relaxed);
    return a->base + off;
}

/* Everything but a bump in the owned shard: the pointer, or NULL when the region is
 * full (I1: a failed carve changed nothing). */
static void *alloc_slow_p(struct lsmt_sharded_arena *a, size_t size, size_t align)
{
    struct tls_entry *e = tls_lookup(a);
    if (e->shard == NULL) {
        if (--e->shared_left == 0) {
            e->shared_left = SHARED_RETRY;
            if (t_cache.key_set)
                e->shard = try_claim(a, t_cache.token);
        }
        if (e->shard == NULL)
            return alloc_shared(a, size, align);
    }
    struct carena_shard *s = e->shard;
    void *p;
    if (shard_bump(a, s, size, align, &p))
        return p;
    size_t off, got;
    if (size > a->big) {
        /* Large: carve it directly and keep the current chunk for small requests. */
        if (!region_carve(a, size, size, align, &off, &got))
            return NULL;
        /* relaxed load+store: owner-only field (I2), readers accept a lag. */
        size_t al = atomic_load_explicit(&s->allocated, memory_order_relaxed);
        atomic_store_explicit(&s->allocated, al + size, memory_order_relaxed);
        return a->base + off;
    }
    /* Refill: a chunk, or the region's tail when less than a chunk remains. The chunk
     * start is aligned for this request, so `size` bytes suffice. */
    size_t calign = align > CARENA_CHUNK_ALIGN ? align : CARENA_CHUNK_ALIGN;
    if (!region_carve(a, size, a->chunk_size, calign, &off, &got))
        return NULL; /* full; the old chunk stays for smaller requests */
    /* relaxed: a statistic, orders nothing. */
    atomic_fetch_add_explicit(&a->chunk_count, 1, memory_order_relaxed);
    /* relaxed: owner-only fields (I2). */
    atomic_store_explicit(&s->cur, off, memory_order_relaxed);
    atomic_store_explicit(&s->end, off + got, memory_order_relaxed);
    bool ok = shard_bump(a, s, size, align, &p);
    LSMT_ASSERT(ok);
    return ok ? p : NULL;
}

/* alloc_slow_p with the status of lsmt_sharded_arena_alloc: the input was validated, so
 * the only failure left is a full region. Kept out of line (and the fast path ends in a
 * tail call to it) so that the fast path needs no stack frame. */
__attribute__((noinline)) static lsmt_status alloc_slow(struct lsmt_sharded_arena *a, size_t size,
                                                        size_t align, void **out)
{
    void *p = alloc_slow_p(a, size, align);
    if (p == NULL)
        return LSMT_FULL;
    *out = p;
    return LSMT_OK;
}

/* Validated input (size in [1, capacity], align a power of two <= 4096). */
static inline lsmt_status alloc_fast(lsmt_sharded_arena *a, size_t size, size_t align, void **out)
{
    struct tls_entry *e = &t_cache.e[0];
    if (LSMT_LIKELY(e->id == a->id && e->shard != NULL) &&
        LSMT_LIKELY(shard_bump(a, e->shard, size, align, out)))
        return LSMT_OK;
    return alloc_slow(a, size, align, out);
}

lsmt_status lsmt_sharded_arena_alloc(lsmt_sharded_arena *a, size_t size, size_t align, void **out)
{
    /* size - 1 >= capacity rejects size 0 (it wraps) and sizes that could never fit. */
    if (LSMT_UNLIKELY(a == NULL || out == NULL || size - 1 >= a->capacity || !valid_align(align)))
        return LSMT_INVALID;
    if (align == 0)
        align = CARENA_DEFAULT_ALIGN;
#if defined(LSMT_DEBUG)
    /* relaxed: detection only (reset_all reads it); see the file comment. */
    atomic_fetch_add_explicit(&a->dbg_inflight, 1, memory_order_relaxed);
    if (a->dbg_hook != NULL)
        a->dbg_hook(a->dbg_ctx);
    lsmt_status st = alloc_fast(a, size, align, out);
    atomic_fetch_sub_explicit(&a->dbg_inflight, 1, memory_order_relaxed);
    return st;
#else
    return alloc_fast(a, size, align, out);
#endif
}

/* ---- lifecycle --------------------------------------------------------------------- */

void lsmt_sharded_arena_options_default(lsmt_sharded_arena_options *opt)
{
    if (opt == NULL)
        return;
    memset(opt, 0, sizeof *opt);
    opt->capacity = CARENA_DEFAULT_CAPACITY;
    opt->shard_count = 0;
    opt->chunk_size = CARENA_DEFAULT_CHUNK;
    opt->huge_pages = false;
    opt->backing = NULL;
}

lsmt_status lsmt_sharded_arena_resolve_options(const lsmt_sharded_arena_options *in,
                                               lsmt_sharded_arena_options *out)
{
    lsmt_sharded_arena_options o;
    if (out == NULL)
        return LSMT_INVALID;
    if (in != NULL)
        o = *in;
    else
        lsmt_sharded_arena_options_default(&o);
    if (!lsmt_is_pow2(o.chunk_size) || o.chunk_size < CARENA_MIN_CHUNK)
        return LSMT_INVALID;
    if (o.capacity < o.chunk_size || o.capacity > CARENA_MAX_CAPACITY)
        return LSMT_INVALID;
    if (o.shard_count > CARENA_MAX_SHARDS)
        return LSMT_INVALID;
    if (o.shard_count == 0)
        o.shard_count = cpu_count();
    if (o.backing == NULL)
        o.backing = lsmt_backing_os();
    if (o.backing->map == NULL || o.backing->unmap == NULL || o.backing->discard == NULL)
        return LSMT_INVALID;
    *out = o;
    return LSMT_OK;
}

bool lsmt_sharded_arena_matches(const lsmt_sharded_arena *a, const lsmt_sharded_arena_options *r)
{
    return a != NULL && r != NULL && a->capacity == r->capacity &&
           a->shard_count == r->shard_count && a->chunk_size == r->chunk_size &&
           a->huge_pages == r->huge_pages && a->backing == r->backing;
}

lsmt_status lsmt_sharded_arena_create(const lsmt_sharded_arena_options *opt,
                                      lsmt_sharded_arena **out)
{
    lsmt_sharded_arena_options o;
    if (out == NULL)
        return LSMT_INVALID;
    lsmt_status st = lsmt_sharded_arena_resolve_options(opt, &o);
    if (st != LSMT_OK)
        return st;

    size_t align = o.huge_pages ? CARENA_HUGE_PAGE : page_size();
    size_t map_len = lsmt_align_up(o.capacity, align); /* capacity <= 2^40: no overflow */
    size_t bytes = sizeof(struct lsmt_sharded_arena) + o.shard_count * sizeof(struct carena_shard);
    /* malloc + manual alignment rather than aligned_alloc: same-size handles then come
     * back at the same address as freely as any malloc'd object does (the tests rely
     * on it to prove invariant 3), and nothing else is affected. */
    void *mem = malloc(bytes + CARENA_PAD - 1);
    if (mem == NULL)
        return LSMT_NOMEM;
    struct lsmt_sharded_arena *a = (struct lsmt_sharded_arena *)(((uintptr_t)mem + CARENA_PAD - 1) &
                                                                 ~(uintptr_t)(CARENA_PAD - 1));
    memset(a, 0, bytes);
    a->mem = mem;
    void *base = NULL;
    int rc = o.backing->map(o.backing->ctx, map_len, align, &base);
    if (rc != 0 || base == NULL || ((uintptr_t)base & (align - 1)) != 0) {
        if (rc == 0 && base != NULL) /* a backing that broke its alignment contract */
            (void)o.backing->unmap(o.backing->ctx, base, map_len);
        free(mem);
        return LSMT_NOMEM;
    }
    if (o.huge_pages && o.backing->hugepage != NULL)
        (void)o.backing->hugepage(o.backing->ctx, base, map_len); /* THP may be off */

    /* relaxed: uniqueness comes from the RMW (I6). */
    a->id = atomic_fetch_add_explicit(&g_next_id, 1, memory_order_relaxed);
    a->base = base;
    a->capacity = o.capacity;
    a->map_len = map_len;
    a->map_align = align;
    a->chunk_size = o.chunk_size;
    a->big = o.chunk_size / 4;
    a->shard_count = o.shard_count;
    a->huge_pages = o.huge_pages;
    a->backing = o.backing;
    /* The atomics were zeroed by memset; initialise them properly anyway. */
    atomic_init(&a->top, 0);
    atomic_init(&a->chunk_count, 0);
    atomic_init(&a->shared_allocated, 0);
    atomic_init(&a->shared_allocs, 0);
    atomic_init(&a->rr, 0);
#if defined(LSMT_DEBUG)
    atomic_init(&a->dbg_inflight, 0);
#endif
    for (size_t i = 0; i < a->shard_count; i++) {
        atomic_init(&a->shards[i].cur, 0);
        atomic_init(&a->shards[i].end, 0);
        atomic_init(&a->shards[i].allocated, 0);
        atomic_init(&a->shards[i].owner, 0);
    }
    /* Publishing the arena to other threads is the caller's job (it must hand the
     * handle over with its own synchronization); the registry lock publishes it to
     * thread-exit and eviction code (I5). */
    pthread_mutex_lock(&g_reg_lock);
    a->reg_prev = NULL;
    a->reg_next = g_reg_head;
    if (g_reg_head != NULL)
        g_reg_head->reg_prev = a;
    g_reg_head = a;
    pthread_mutex_unlock(&g_reg_lock);
    *out = a;
    return LSMT_OK;
}

void lsmt_sharded_arena_destroy(lsmt_sharded_arena *a)
{
    if (a == NULL)
        return;
    /* Unlink first (I5): from now on no thread exit or eviction can touch `a`. */
    pthread_mutex_lock(&g_reg_lock);
    if (a->reg_prev != NULL)
        a->reg_prev->reg_next = a->reg_next;
    else
        g_reg_head = a->reg_next;
    if (a->reg_next != NULL)
        a->reg_next->reg_prev = a->reg_prev;
    pthread_mutex_unlock(&g_reg_lock);
    /* Free the calling thread's own cache slot (other threads' stale entries are
     * harmless: the id is never reused, I6). */
    for (int i = 0; i < TLS_ENTRIES; i++)
        if (t_cache.e[i].id == a->id)
            memset(&t_cache.e[i], 0, sizeof t_cache.e[i]);
    (void)a->backing->unmap(a->backing->ctx, a->base, a->map_len);
    free(a->mem);
}

lsmt_status lsmt_sharded_arena_release_thread(lsmt_sharded_arena *a)
{
    if (a == NULL)
        return LSMT_INVALID;
    struct tls_cache *c = &t_cache;
    for (int i = 0; i < TLS_ENTRIES; i++) {
        if (c->e[i].id == a->id) {
            /* `a` is alive by contract, so no registry lookup is needed (cf. I5). */
            if (c->e[i].shard != NULL)
                release_claim(c->e[i].shard, c->token);
            memset(&c->e[i], 0, sizeof c->e[i]); /* I4: entry and claim go together */
        }
    }
    return LSMT_OK;
}

/* ---- statistics -------------------------------------------------------------------- */

/* Sum of the shards' and the shared path's bytes handed out. relaxed loads:
 * statistics; each term is monotone between resets, so successive reads by one thread
 * never go down. */
static size_t bytes_allocated(const lsmt_sharded_arena *a)
{
    size_t sum = atomic_load_explicit(&a->shared_allocated, memory_order_relaxed);
    for (size_t i = 0; i < a->shard_count; i++)
        sum += atomic_load_explicit(&a->shards[i].allocated, memory_order_relaxed);
    return sum;
}

size_t lsmt_sharded_arena_bytes_reserved_(const lsmt_sharded_arena *a)
{
    /* relaxed: a statistic; top <= capacity always (I1). */
    return a == NULL ? 0 : atomic_load_explicit(&a->top, memory_order_relaxed);
}

lsmt_status lsmt_sharded_arena_stats_get(const lsmt_sharded_arena *a, lsmt_sharded_arena_stats *out)
{
    if (a == NULL || out == NULL)
        return LSMT_INVALID;
    lsmt_sharded_arena_stats s;
    memset(&s, 0, sizeof s);
    s.bytes_allocated = bytes_allocated(a);
    s.bytes_reserved = lsmt_sharded_arena_bytes_reserved_(a);
    s.capacity = a->capacity;
    /* relaxed loads below: statistics only. */
    s.chunk_count = atomic_load_explicit(&a->chunk_count, memory_order_relaxed);
    s.shard_count = a->shard_count;
    for (size_t i = 0; i < a->shard_count; i++)
        if (atomic_load_explicit(&a->shards[i].owner, memory_order_relaxed) != 0)
            s.shards_claimed++;
    s.shared_allocs = atomic_load_explicit(&a->shared_allocs, memory_order_relaxed);
    *out = s;
    return LSMT_OK;
}

/* ---- internal accessors (arena/concurrent_internal.h) ------------------------------- */

void *lsmt_sharded_arena_base_(const lsmt_sharded_arena *a)
{
    return a == NULL ? NULL : a->base;
}

size_t lsmt_sharded_arena_capacity_(const lsmt_sharded_arena *a)
{
    return a == NULL ? 0 : a->capacity;
}

size_t lsmt_sharded_arena_mapped_bytes_(const lsmt_sharded_arena *a)
{
    return a == NULL ? 0 : a->map_len;
}

uint64_t lsmt_sharded_arena_id_(const lsmt_sharded_arena *a)
{
    return a == NULL ? 0 : a->id;
}

/* ---- reset ------------------------------------------------------------------------- */

lsmt_status lsmt_sharded_arena_reset_all(lsmt_sharded_arena *a)
{
    if (a == NULL)
        return LSMT_INVALID;
#if defined(LSMT_DEBUG)
    /* relaxed: detection of a broken precondition only (best effort). */
    if (atomic_load_explicit(&a->dbg_inflight, memory_order_relaxed) != 0)
        return LSMT_BUSY;
#endif
    /* All relaxed: reset_all is exclusive with allocations by contract; the caller's
     * own synchronization (the one that makes its allocs not in flight) orders these
     * stores against the allocations before and after. Claims (owner) are untouched:
     * the next alloc of an owner finds cur == end and carves a fresh chunk. */
    size_t top = atomic_load_explicit(&a->top, memory_order_relaxed);
    if (top > a->hwm)
        a->hwm = top;
    for (size_t i = 0; i < a->shard_count; i++) {
        atomic_store_explicit(&a->shards[i].cur, 0, memory_order_relaxed);
        atomic_store_explicit(&a->shards[i].end, 0, memory_order_relaxed);
        atomic_store_explicit(&a->shards[i].allocated, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&a->shared_allocated, 0, memory_order_relaxed);
    atomic_store_explicit(&a->shared_allocs, 0, memory_order_relaxed);
    atomic_store_explicit(&a->chunk_count, 0, memory_order_relaxed);
    atomic_store_explicit(&a->top, 0, memory_order_relaxed);
    return LSMT_OK;
}

lsmt_status lsmt_sharded_arena_release_pages_n(lsmt_sharded_arena *a, size_t *discarded)
{
    lsmt_status st = lsmt_sharded_arena_reset_all(a);
    if (st != LSMT_OK)
        return st;
    /* Everything touched since the last discard lies below hwm (reset_all just folded
     * the last top into it). Round to the mapping's granule: a partial huge page
     * would be split by the kernel. */
    size_t len = lsmt_align_up(a->hwm, a->map_align);
    if (len > a->map_len)
        len = a->map_len;
    int rc = len == 0 ? 0 : a->backing->discard(a->backing->ctx, a->base, len);
    if (rc != 0)
        return LSMT_NOMEM; /* hwm kept: a later call retries the same range */
    a->hwm = 0;
    if (discarded != NULL)
        *discarded = len;
    return LSMT_OK;
}

lsmt_status lsmt_sharded_arena_release_pages(lsmt_sharded_arena *a)
{
    return lsmt_sharded_arena_release_pages_n(a, NULL);
}

bool lsmt_sharded_arena_debug_set_alloc_hook(lsmt_sharded_arena *a,
                                             lsmt_sharded_arena_debug_hook fn, void *ctx)
{
#if defined(LSMT_DEBUG)
    if (a == NULL)
        return false;
    a->dbg_hook = fn;
    a->dbg_ctx = ctx;
    return true;
#else
    (void)a;
    (void)fn;
    (void)ctx;
    return false;
#endif
}
