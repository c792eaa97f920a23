/* The skip-list iterator: a position (one node) plus a scan read-ahead that only
 * prefetches. Forward steps follow level-0 links, O(1); backward steps, seek_for_prev and
 * seek_to_last search from the finger or the head, O(log n) (there are no back links).
 * Invariant 4 of skiplist.h: a next never moves backwards in the order and never misses
 * an entry present when the iterator was positioned, whatever inserts run beside it,
 * because it follows the live level-0 link of its current node (acquire) and nodes are
 * never removed. */
#include "skiplist/search.h"

static inline iter_state *state(lsmt_skiplist_iter *it)
{
    return (iter_state *)it;
}
static inline const iter_state *cstate(const lsmt_skiplist_iter *it)
{
    return (const iter_state *)it;
}

/* Position the iterator on n (NULL or the head: not valid). Every positioning call
 * ends its read-ahead run. */
static lsmt_status iter_land(iter_state *s, const char *n)
{
    s->run = 0;
    s->spine_wait = 0;
    s->stop1 = 0;
    if (n == NULL || n == head_of(s->list)) {
        s->node = NULL;
        return LSMT_END;
    }
    s->node = n;
    return LSMT_OK;
}

/* ---- scan read-ahead ------------------------------------------------------------------
 * A scan over a list filled in random order takes one memory latency per entry: each
 * level-0 link is a dependent load into a node allocated far away. The towers give
 * independent entry points: the nodes of height > L ("spine" nodes, ~4^L entries apart)
 * cut level 0 into stretches that can be followed in parallel. The iterator keeps
 * ITER_LANES lanes, each following one stretch a step at a time (the line it reads was
 * prefetched a lane cycle earlier) and prefetching the next node and its value, so up to
 * that many misses are in flight. `spine` is the first stretch start not yet given to a
 * lane (walked along level L); `lead` estimates how far (in entries) the lanes are ahead
 * of the cursor and throttles them at READ_AHEAD.
 *
 * Short scans matter as much as long ones (an engine's range query is a seek and a few
 * dozen nexts), so the lanes start at the first next after a seek, at L = 1, from the
 * level-1 node the seek's own search stopped at (no extra search: it is on the path).
 * Short stretches (~4 entries) keep a short scan's misses overlapped from its start;
 * after LONG_AFTER nexts in a row the spine moves up to L = 2 (~16 entries a stretch,
 * so the spine's own walk, one miss per stretch, stays far from the cursor), from the
 * first spine node the cursor meets. Everything here only prefetches: a concurrent
 * insert that adds a tall node just ends a lane's stretch early, and results never
 * depend on this state. */
/* LSMT_SKIPLIST_READAHEAD: a measurement lever (search.h), settled on. */
#ifndef LSMT_SKIPLIST_READAHEAD
#define LSMT_SKIPLIST_READAHEAD 1
#endif
#define LONG_AFTER 32
#define READ_AHEAD 128

static void prefetch_entry(const char *n)
{
    /* n's line has arrived (prefetched a lane cycle ago): its value's bounds are known */
    size_t vlen;
    const char *v = node_value(n, &vlen);
    prefetch_node(v);
    if (vlen > 64)
        prefetch_node(v + vlen - 1);
}

/* (Re)start the lanes at spine level `level`, from `spine` (0: from the first spine node
 * the cursor meets, readahead_after_next). */
static void readahead_arm(iter_state *it, unsigned level, ref_t spine)
{
    it->slevel = level;
    it->spine = spine;
    it->lead = 0;
    it->lane = 0;
    it->spine_wait = spine == 0 && list_height(it->list) > level;
    for (unsigned j = 0; j < ITER_LANES; j++)
        it->ahead[j] = 0;
    if (spine != 0)
        prefetch_node(node_at(it->list, spine));
}

static void readahead_step(iter_state *it)
{
    const lsmt_skiplist *sl = it->list;
    unsigned j = it->lane;
    it->lane = (j + 1) % ITER_LANES;
    ref_t c = it->ahead[j];
    if (c != 0 && node_height(node_at(sl, c)) > it->slevel)
        c = 0; /* reached the next stretch, which another lane has */
    if (c == 0) {
        c = it->spine;
        if (c == 0) {
            it->ahead[j] = 0;
            return;
        }
        ref_t s = link_load_acquire(node_at(sl, c), it->slevel);
        it->spine = s;
        if (s != 0)
            prefetch_node(node_at(sl, s));
    }
    const char *n = node_at(sl, c);
    prefetch_entry(n);
    ref_t r = link_load_acquire(n, 0);
    if (r != 0)
        prefetch_node(node_at(sl, r));
    it->ahead[j] = r;
    it->lead++;
}

/* Called by next after each step: start the lanes at the first next, move the spine up
 * after a run of nexts, and keep the lanes ahead: two lane steps per entry while they
 * are less than READ_AHEAD entries ahead, none beyond, so on average one and the lanes
 * keep their lead. */
static inline void readahead_after_next(iter_state *s, const char *nx)
{
    if (!LSMT_SKIPLIST_READAHEAD)
        return;
    if (LSMT_UNLIKELY(s->run < LONG_AFTER)) {
        if (s->run++ == 0)
            readahead_arm(s, 1, s->stop1);
        else if (s->run == LONG_AFTER)
            readahead_arm(s, 2, 0);
    }
    if (LSMT_UNLIKELY(s->spine_wait)) {
        if (node_height(nx) > s->slevel) { /* nx's line is loaded: the cursor stands on it */
            s->spine = link_load_acquire(nx, s->slevel);
            s->spine_wait = 0;
            if (s->spine != 0)
                prefetch_node(node_at(s->list, s->spine));
        }
        return;
    }
    if (s->lead < READ_AHEAD) {
        readahead_step(s);
        readahead_step(s);
    }
    if (s->lead > 0)
        s->lead--;
}

/* ---- positioning -------------------------------------------------------------------- */

static inline bool bound(const lsmt_skiplist_iter *it)
{
    return it != NULL && cstate(it)->list != NULL;
}

lsmt_status lsmt_skiplist_iter_init(lsmt_skiplist_iter *it, const lsmt_skiplist *sl)
{
    if (it == NULL || sl == NULL)
        return LSMT_INVALID;
    iter_state *s = state(it);
    memset(s, 0, sizeof *s);
    s->list = sl;
    return LSMT_OK;
}

lsmt_status lsmt_skiplist_iter_seek_to_first(lsmt_skiplist_iter *it)
{
    if (!bound(it))
        return LSMT_INVALID;
    iter_state *s = state(it);
    return iter_land(s, next_node(s->list, link_load_acquire(head_of(s->list), 0)));
}

lsmt_status lsmt_skiplist_iter_seek_to_last(lsmt_skiplist_iter *it)
{
    if (!bound(it))
        return LSMT_INVALID;
    return iter_land(state(it), find_last(state(it)->list));
}

/* The first node >= k, as search_run, and in *stop1 the first node of height > 1 after
 * it that the search met on its way (its level-1 stop; else the found node's level-1
 * successor when the search ended above level 0; else 0). */
static const char *seek_ge(const lsmt_skiplist *sl, const skey *k, ref_t *stop1)
{
    search s;
    s.k = *k;
    search_start(sl, &s);
    if (s.m == M_UNKNOWN)
        search_learn_m(sl, &s);
    const char *out;
    *stop1 = 0;
    step st;
    while ((st = search_step(sl, &s, GOAL_GE, false, NULL, &out)) != STEP_DONE) {
        if (st == STEP_DOWN && s.level == 0)
            *stop1 = s.stop != NULL ? node_ref(sl, s.stop) : 0;
    }
    if (out != NULL && s.level > 0 && node_height(out) > 1)
        *stop1 = link_load_acquire(out, 1);
    return out;
}

/* seek (first entry >= the key) or seek_for_prev (last entry <= the key). */
static lsmt_status iter_search(lsmt_skiplist_iter *it, const void *key, size_t klen,
                               uint64_t version, bool forward)
{
    if (!bound(it) || !key_ok(key, klen))
        return LSMT_INVALID;
    iter_state *s = state(it);
    skey k;
    skey_init(s->list, &k, key, klen, version);
    if (!forward)
        return iter_land(s, search_run(s->list, &k, GOAL_LE));
    ref_t stop1;
    lsmt_status st = iter_land(s, seek_ge(s->list, &k, &stop1));
    s->stop1 = stop1; /* where the read-ahead starts if nexts follow */
    return st;
}

lsmt_status lsmt_skiplist_iter_seek(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                    uint64_t version)
{
    return iter_search(it, key, klen, version, true);
}

lsmt_status lsmt_skiplist_iter_seek_for_prev(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                             uint64_t version)
{
    return iter_search(it, key, klen, version, false);
}

lsmt_status lsmt_skiplist_iter_next(lsmt_skiplist_iter *it)
{
    if (!bound(it) || state(it)->node == NULL)
        return LSMT_INVALID;
    iter_state *s = state(it);
    const char *nx = next_node(s->list, link_load_acquire(s->node, 0));
    if (nx == NULL) {
        s->node = NULL;
        return LSMT_END;
    }
#if defined(LSMT_DEBUG)
    {
        skey k; /* invariant 4: never backwards */
        skey_of_node(s->list, &k, s->node);
        LSMT_ASSERT(node_cmp(s->list, nx, &k) > 0);
    }
#endif
    readahead_after_next(s, nx);
    s->node = nx;
    return LSMT_OK;
}

lsmt_status lsmt_skiplist_iter_prev(lsmt_skiplist_iter *it)
{
    if (!bound(it) || state(it)->node == NULL)
        return LSMT_INVALID;
    iter_state *s = state(it);
    skey k;
    skey_of_node(s->list, &k, s->node);
    return iter_land(s, search_run(s->list, &k, GOAL_LT));
}

const lsmt_skiplist_node *lsmt_skiplist_iter_node(const lsmt_skiplist_iter *it)
{
    return bound(it) ? (const lsmt_skiplist_node *)cstate(it)->node : NULL;
}
