/* lsmt_arena_pool: recycles reset concurrent arenas across flushes (include/lsmt/arena.h,
 * "lsmt_arena_pool").
 *
 * Design: a fixed array of at most max_idle idle arenas (a LIFO stack: the most
 * recently returned arena, whose pages are the most likely to be resident, goes out
 * first) under one mutex. give_back resets the arena in O(shard count) and pushes it,
 * or destroys it when the stack is full; checkout pops, or creates an arena with the
 * pool's resolved options when the stack is empty. Arena creation and destruction
 * (mmap/munmap) run outside the mutex; trim's page discard holds it while it discards,
 * so no checkout can hand out an arena whose pages are being dropped.
 *
 * Concurrency: every call may run concurrently with every other except destroy; the
 * pool is never on an allocation hot path, so a mutex is the right tool.
 *
 * Invariants (header invariants 1-3 plus):
 *  P1. idle[0 .. count) are distinct arenas, each reset, each matching `arena_opt`.
 *  P2. count <= max_idle; count, idle[], created and destroyed are read and written
 *      only under `lock` (so stats_get is a consistent snapshot).
 *  P3. created / destroyed count exactly the lsmt_sharded_arena_create successes and
 *      lsmt_sharded_arena_destroy calls the pool made; each is counted under the lock
 *      right after (create) or right before (destroy) the call, outside the lock. */
#include "lsmt/arena.h"

#include "arena/concurrent_internal.h"
#include "common/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound of max_idle: far more idle arenas than any engine keeps (each holds its
 * capacity of address space), small enough that the idle array is cheap. */
#define POOL_MAX_IDLE ((size_t)1 << 16)

struct lsmt_arena_pool {
    pthread_mutex_t lock;                 /* guards count, idle, created, destroyed (P2) */
    lsmt_sharded_arena_options arena_opt; /* resolved options of every arena (header inv. 2) */
    size_t max_idle;                      /* fixed at create */
    size_t count;
    lsmt_sharded_arena **idle; /* max_idle slots (NULL when max_idle == 0) */
    size_t created;            /* arenas created by the pool (P3) */
    size_t destroyed;          /* arenas destroyed by the pool (P3) */
};

/* Count `n` arenas created or destroyed (P3): takes the lock for the update only. */
static void count_arenas(lsmt_arena_pool *p, size_t *counter, size_t n)
{
    pthread_mutex_lock(&p->lock);
    *counter += n;
    pthread_mutex_unlock(&p->lock);
}

void lsmt_arena_pool_options_default(lsmt_arena_pool_options *opt)
{
    if (opt == NULL)
        return;
    memset(opt, 0, sizeof *opt);
    lsmt_sharded_arena_options_default(&opt->arena);
    opt->max_idle = 4;
}

lsmt_status lsmt_arena_pool_create(const lsmt_arena_pool_options *opt, lsmt_arena_pool **out)
{
    lsmt_arena_pool_options o;
    if (out == NULL)
        return LSMT_INVALID;
    if (opt != NULL)
        o = *opt;
    else
        lsmt_arena_pool_options_default(&o);
    if (o.max_idle > POOL_MAX_IDLE)
        return LSMT_INVALID;
    lsmt_sharded_arena_options resolved;
    if (lsmt_sharded_arena_resolve_options(&o.arena, &resolved) != LSMT_OK)
        return LSMT_INVALID;
    lsmt_arena_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LSMT_NOMEM;
    if (o.max_idle != 0) {
        p->idle = calloc(o.max_idle, sizeof *p->idle);
        if (p->idle == NULL) {
            free(p);
            return LSMT_NOMEM;
        }
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->idle);
        free(p);
        return LSMT_NOMEM;
    }
    p->arena_opt = resolved;
    p->max_idle = o.max_idle;
    *out = p;
    return LSMT_OK;
}

void lsmt_arena_pool_destroy(lsmt_arena_pool *p)
{
    if (p == NULL)
        return;
    (void)lsmt_arena_pool_trim(p, LSMT_POOL_DESTROY_IDLE, NULL);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p);
}

lsmt_status lsmt_arena_pool_checkout(lsmt_arena_pool *p, lsmt_sharded_arena **out)
{
    if (p == NULL || out == NULL)
        return LSMT_INVALID;
    lsmt_sharded_arena *a = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->count > 0) {
        a = p->idle[--p->count];
        p->idle[p->count] = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (a == NULL) {
        /* The factory; on failure nothing in the pool changed (header invariant 3). */
        lsmt_status st = lsmt_sharded_arena_create(&p->arena_opt, &a);
        if (st != LSMT_OK)
            return st;
        count_arenas(p, &p->created, 1);
    }
    *out = a;
    return LSMT_OK;
}

lsmt_status lsmt_arena_pool_give_back(lsmt_arena_pool *p, lsmt_sharded_arena *a)
{
    if (p == NULL || a == NULL || !lsmt_sharded_arena_matches(a, &p->arena_opt))
        return LSMT_INVALID;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->count; i++) {
        if (p->idle[i] == a) { /* given back twice: a caller bug, refuse it (P1) */
            pthread_mutex_unlock(&p->lock);
            return LSMT_INVALID;
        }
    }
    /* Reset under the lock: the arena is not visible to anyone else until it is pushed,
     * and a BUSY (debug check) leaves it the caller's. */
    lsmt_status st = lsmt_sharded_arena_reset_all(a);
    if (st != LSMT_OK) {
        pthread_mutex_unlock(&p->lock);
        return st;
    }
    bool kept = p->count < p->max_idle;
    if (kept)
        p->idle[p->count++] = a;
    else
        p->destroyed++; /* P3: destroyed just below, outside the lock */
    pthread_mutex_unlock(&p->lock);
    if (!kept)
        lsmt_sharded_arena_destroy(a);
    return LSMT_OK;
}

lsmt_status lsmt_arena_pool_prewarm(lsmt_arena_pool *p, size_t n)
{
    if (p == NULL)
        return LSMT_INVALID;
    if (n > p->max_idle)
        n = p->max_idle;
    pthread_mutex_lock(&p->lock);
    size_t want = p->count < n ? n - p->count : 0;
    pthread_mutex_unlock(&p->lock);
    if (want == 0)
        return LSMT_OK;
    /* All or nothing (header invariant 3): create every arena first, outside the lock
     * (mmap); on a factory failure destroy what was created and report it. */
    lsmt_sharded_arena **fresh = calloc(want, sizeof *fresh);
    if (fresh == NULL)
        return LSMT_NOMEM;
    for (size_t i = 0; i < want; i++) {
        lsmt_status st = lsmt_sharded_arena_create(&p->arena_opt, &fresh[i]);
        if (st != LSMT_OK) {
            count_arenas(p, &p->created, i); /* P3: made and unmade, both counted */
            count_arenas(p, &p->destroyed, i);
            for (size_t k = 0; k < i; k++)
                lsmt_sharded_arena_destroy(fresh[k]);
            free(fresh);
            return st;
        }
    }
    /* A concurrent give_back may have filled the pool meanwhile: keep what fits. */
    size_t kept = 0;
    pthread_mutex_lock(&p->lock);
    while (kept < want && p->count < p->max_idle)
        p->idle[p->count++] = fresh[kept++];
    p->created += want;
    p->destroyed += want - kept; /* P3: the surplus is destroyed just below */
    pthread_mutex_unlock(&p->lock);
    for (size_t k = kept; k < want; k++)
        lsmt_sharded_arena_destroy(fresh[k]);
    free(fresh);
    return LSMT_OK;
}

lsmt_status lsmt_arena_pool_stats_get(const lsmt_arena_pool *p, lsmt_arena_pool_stats *out)
{
    if (p == NULL || out == NULL)
        return LSMT_INVALID;
    lsmt_arena_pool *mp = (lsmt_arena_pool *)p; /* the lock is not logically state */
    lsmt_arena_pool_stats s;
    pthread_mutex_lock(&mp->lock);
    s.idle = mp->count;
    s.max_idle = mp->max_idle;
    s.arenas_created = mp->created;
    s.arenas_destroyed = mp->destroyed;
    pthread_mutex_unlock(&mp->lock);
    *out = s;
    return LSMT_OK;
}

/* trim(LSMT_POOL_DESTROY_IDLE): pop and destroy one arena at a time, unmapping outside
 * the lock. */
static void destroy_idle(lsmt_arena_pool *p, size_t *unmapped)
{
    size_t total = 0;
    for (;;) {
        lsmt_sharded_arena *a = NULL;
        pthread_mutex_lock(&p->lock);
        if (p->count > 0) {
            a = p->idle[--p->count];
            p->idle[p->count] = NULL;
            p->destroyed++; /* P3 */
        }
        pthread_mutex_unlock(&p->lock);
        if (a == NULL)
            break;
        total += lsmt_sharded_arena_mapped_bytes_(a);
        lsmt_sharded_arena_destroy(a); /* unmap outside the lock */
    }
    *unmapped = total;
}

/* trim(LSMT_POOL_DISCARD_PAGES): under the lock, as an idle arena must not be checked out
 * while its pages go. LSMT_NOMEM if any discard failed (the others still went). */
static lsmt_status discard_idle(lsmt_arena_pool *p, size_t *discarded)
{
    lsmt_status result = LSMT_OK;
    size_t total = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->count; i++) {
        size_t n = 0;
        lsmt_status st = lsmt_sharded_arena_release_pages_n(p->idle[i], &n);
        if (st != LSMT_OK)
            result = st; /* keep going: the other arenas can still give their pages */
        else
            total += n;
    }
    pthread_mutex_unlock(&p->lock);
    *discarded = total;
    return result;
}

lsmt_status lsmt_arena_pool_trim(lsmt_arena_pool *p, lsmt_arena_pool_trim_mode how,
                                 size_t *released)
{
    if (p == NULL || (how != LSMT_POOL_DISCARD_PAGES && how != LSMT_POOL_DESTROY_IDLE))
        return LSMT_INVALID;
    size_t total = 0;
    lsmt_status st = LSMT_OK;
    if (how == LSMT_POOL_DESTROY_IDLE)
        destroy_idle(p, &total);
    else
        st = discard_idle(p, &total);
    if (st == LSMT_OK && released != NULL)
        *released = total;
    return st;
}
