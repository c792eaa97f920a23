/* lsmt_arena_pool: recycles reset concurrent arenas across flushes (include/lsmt/arena.h,
 * "lsmt_arena_pool").
 *
 * Design: a fixed array of at most max_idle idle arenas (a LIFO stack: the most
 * recently returned arena, whose pages are the most likely to be resident, goes out
 * first) under one mutex. give_back resets the arena in O(shard count) and pushes it,
 * or destroys it when the stack is full; checkout pops, or creates an arena with the
 * pool's resolved options when the stack is empty. Arena creation and destruction
 * (mmap/munmap) run outside the mutex; release_idle holds it while it discards, so no
 * checkout can hand out an arena whose pages are being dropped.
 *
 * Concurrency: every call may run concurrently with every other except destroy; the
 * pool is never on an allocation hot path, so a mutex is the right tool.
 *
 * Invariants (header invariants 1-3 plus):
 *  P1. idle[0 .. count) are distinct arenas, each reset, each matching `arena_opt`.
 *  P2. count <= max_idle; count and idle[] are read and written only under `lock`. */
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
    pthread_mutex_t lock;                 /* guards count and idle (P2) */
    lsmt_sharded_arena_options arena_opt; /* resolved options of every arena (header inv. 2) */
    size_t max_idle;
    size_t count;
    lsmt_sharded_arena **idle; /* max_idle slots (NULL when max_idle == 0) */
};

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
    (void)lsmt_arena_pool_clear(p);
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
    pthread_mutex_unlock(&p->lock);
    for (size_t k = kept; k < want; k++)
        lsmt_sharded_arena_destroy(fresh[k]);
    free(fresh);
    return LSMT_OK;
}

size_t lsmt_arena_pool_idle_count(const lsmt_arena_pool *p)
{
    if (p == NULL)
        return 0;
    lsmt_arena_pool *mp = (lsmt_arena_pool *)p; /* the lock is not logically state */
    pthread_mutex_lock(&mp->lock);
    size_t n = mp->count;
    pthread_mutex_unlock(&mp->lock);
    return n;
}

size_t lsmt_arena_pool_capacity(const lsmt_arena_pool *p)
{
    return p == NULL ? 0 : p->max_idle;
}

lsmt_status lsmt_arena_pool_clear(lsmt_arena_pool *p)
{
    if (p == NULL)
        return LSMT_INVALID;
    for (;;) {
        lsmt_sharded_arena *a = NULL;
        pthread_mutex_lock(&p->lock);
        if (p->count > 0) {
            a = p->idle[--p->count];
            p->idle[p->count] = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        if (a == NULL)
            return LSMT_OK;
        lsmt_sharded_arena_destroy(a); /* unmap outside the lock */
    }
}

lsmt_status lsmt_arena_pool_release_idle(lsmt_arena_pool *p, size_t *released)
{
    if (p == NULL)
        return LSMT_INVALID;
    lsmt_status result = LSMT_OK;
    size_t total = 0;
    /* Under the lock: an idle arena must not be checked out while its pages go. */
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
    if (result == LSMT_OK && released != NULL)
        *released = total;
    return result;
}
