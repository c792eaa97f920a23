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
    s->armed = 0;
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
 * independent entry points: the nodes of height > 1 ("spine" nodes, ~4 entries apart)
 * cut level 0 into stretches that can be followed in parallel. The iterator keeps
 * ITER_LANES lanes, each following one stretch a step at a time (the line it reads was
 * prefetched a lane cycle earlier) and prefetching the next node and its value, so up to
 * that many misses are in flight. `spine` is the first stretch start not yet given to a
 * lane (walked along level 1: one miss per stretch, far ahead of the cursor); `lead`
 * estimates how far (in entries) the lanes are ahead of the cursor and throttles them at
 * READ_AHEAD.
 *
 * Short scans matter as much as long ones (an engine's range query is a seek and a few
 * dozen nexts), so the lanes start at the first next, from the spine node the
 * positioning call found for free: the level-1 node a seek's own search stopped at, the
 * head's level-1 successor for seek_to_first. Other positionings (seek_for_prev, prev,
 * seek_to_last) find one with a search after ARM_AFTER nexts in a row. A spine node is
 * only ever taken from a link at level 1 or above -- a node met at level 0 may still be
 * linking its upper levels, its slots not written yet. Everything here only prefetches:
 * a concurrent insert that adds a tall node just ends a lane's stretch early, and
 * results never depend on this state. */
/* LSMT_SKIPLIST_READAHEAD: a measurement lever (search.h), settled on. */
#ifndef LSMT_SKIPLIST_READAHEAD
#define LSMT_SKIPLIST_READAHEAD 1
#endif
#define SPINE_LEVEL 1
#define ARM_AFTER   32
#define READ_AHEAD  128

static void prefetch_entry(const char *n)
{
    /* n's line has arrived (prefetched a lane cycle ago): its value's bounds are known */
    size_t vlen;
    const char *v = node_value(n, &vlen);
    prefetch_node(v);
    if (vlen > 64)
        prefetch_node(v + vlen - 1);
}

/* Start the lanes from spine node `spine` (a node reached through a level >= 1 link). */
static void readahead_arm(iter_state *it, ref_t spine)
{
    LSMT_ASSERT(node_height(node_at(it->list, spine)) > SPINE_LEVEL);
    it->spine = spine;
    it->armed = 1;
    it->lead = 0;
    it->lane = 0;
    for (unsigned j = 0; j < ITER_LANES; j++)
        it->ahead[j] = 0;
    prefetch_node(node_at(it->list, spine));
}

/* The first spine node after `cur`, by a search (levels >= 1 only), or 0. */
static ref_t spine_after(const lsmt_skiplist *sl, const char *cur)
{
    unsigned h = list_height(sl);
    if (h <= SPINE_LEVEL)
        return 0; /* a short list: nothing worth reading ahead */
    skey k;
    skey_of_node(sl, &k, cur);
    ref_t prev = 0, next = 0;
    uint32_t nextmeta = 0;
    size_t m = 0; /* lcp(prev, k): 0 at the head */
    for (unsigned i = h; i-- > SPINE_LEVEL;) {
        size_t b = next != 0 ? slot_lcp_lower(slot_make(0, nextmeta)) : 0;
        find_splice_level(sl, &k, prev, next, b, i, &prev, &next, &nextmeta, &m);
    }
    if (next != 0 && node_at(sl, next) == cur)
        next = link_load_acquire(cur, SPINE_LEVEL);
    return next;
}

static void readahead_step(iter_state *it)
{
    const lsmt_skiplist *sl = it->list;
    unsigned j = it->lane;
    it->lane = (j + 1) % ITER_LANES;
    ref_t c = it->ahead[j];
    if (c != 0 && node_height(node_at(sl, c)) > SPINE_LEVEL)
        c = 0; /* reached the next stretch, which another lane has */
    if (c == 0) {
        c = it->spine;
        if (c == 0) {
            it->ahead[j] = 0;
            return;
        }
        ref_t s = link_load_acquire(node_at(sl, c), SPINE_LEVEL);
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

/* Called by next after each step (nx: the new position): start the lanes, then keep them
 * ahead: two lane steps per entry while they are less than READ_AHEAD entries ahead, none
 * beyond, so on average one and the lanes keep their lead. */
static inline void readahead_after_next(iter_state *s, const char *nx)
{
    if (!LSMT_SKIPLIST_READAHEAD)
        return;
    if (LSMT_UNLIKELY(!s->armed)) {
        s->run++;
        if (s->run == 1 && s->stop1 != 0)
            readahead_arm(s, s->stop1);
        else if (s->run == ARM_AFTER && (s->stop1 = spine_after(s->list, nx)) != 0)
            readahead_arm(s, s->stop1);
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
    lsmt_status st = iter_land(s, next_node(s->list, link_load_acquire(head_of(s->list), 0)));
    s->stop1 = link_load_acquire(head_of(s->list), SPINE_LEVEL); /* the first spine node */
    return st;
}

lsmt_status lsmt_skiplist_iter_seek_to_last(lsmt_skiplist_iter *it)
{
    if (!bound(it))
        return LSMT_INVALID;
    return iter_land(state(it), find_last(state(it)->list));
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
        return iter_land(s, search_run(s->list, &k, GOAL_LE, NULL));
    ref_t stop1;
    lsmt_status st = iter_land(s, search_run(s->list, &k, GOAL_GE, &stop1));
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
    return iter_land(s, search_run(s->list, &k, GOAL_LT, NULL));
}

const lsmt_skiplist_node *lsmt_skiplist_iter_node(const lsmt_skiplist_iter *it)
{
    return bound(it) ? (const lsmt_skiplist_node *)cstate(it)->node : NULL;
}
