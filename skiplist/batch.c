/* Batched seeks and inserts: many searches interleaved so their cache misses overlap.
 *
 * lsmt_skiplist_seek_batch runs up to SEEK_WAYS searches side by side ("ways"). Each way
 * starts as a plain search does (finger.h) and advances with the very search step a plain
 * search takes (search_step in search.h, lazy form), loading the same links with the same
 * (acquire) ordering, but before it touches a line it has not touched yet -- the finger
 * table entry, the finger node, each node it compares -- it prefetches that line and
 * hands over to the next way. By the time the ways come round to it again the line is
 * (mostly) in cache, so up to SEEK_WAYS misses are in flight at once instead of one after
 * the other. Interleaving only changes when each load happens, never which loads a search
 * makes, so each result is one search_run could return in the interval the batch ran
 * (readers never write; nodes are never removed; a finger entry read later than a plain
 * search would read it names a node before the key all the same, invariant F).
 *
 * lsmt_skiplist_node_insert_batch first runs the nodes' searches that way, which loads
 * every node's search path with the misses overlapped, then inserts one by one through
 * lines already in cache. */
#include "skiplist/finger.h"

/* Searches in flight at once; settled at 32 (bench/README.md, skip-list levers). */
#ifndef LSMT_SKIPLIST_SEEK_WAYS
#define LSMT_SKIPLIST_SEEK_WAYS 32
#endif
#define SEEK_WAYS LSMT_SKIPLIST_SEEK_WAYS

/* A way's start, in the steps finger.h splits it into, each load prefetched one round
 * before it is made: the table entry, then the finger node, then the search proper. */
typedef enum way_phase {
    WAY_ENTRY, /* `entry` (finger_entry) prefetched: read it next */
    WAY_NODE,  /* `s.x` (the finger node) prefetched: read its height next */
    WAY_RUN,   /* started: the search steps */
} way_phase;

typedef struct seek_way {
    search s;
    const char *pending;        /* the node prefetched for a full compare, or NULL */
    const _Atomic ref_t *entry; /* WAY_ENTRY: the finger table entry */
    size_t idx;                 /* which key of the batch */
    way_phase phase;
} seek_way;

/* Where a batch's search keys come from: three arrays, or nodes' own keys. */
typedef struct seek_src {
    const void *const *keys;
    const size_t *klens;
    const uint64_t *versions;
    lsmt_skiplist_node *const *nodes; /* non-NULL: search for each node's (key, version) */
} seek_src;

/* Take key idx: compute where its search starts and prefetch the table entry there (a
 * plain search reads it at once: here the other ways run while it loads). */
static void seek_way_start(const lsmt_skiplist *sl, seek_way *w, const seek_src *src, size_t idx)
{
    if (src->nodes != NULL)
        skey_of_node(sl, &w->s.k, (const char *)src->nodes[idx]);
    else
        skey_init(sl, &w->s.k, src->keys[idx], src->klens[idx], src->versions[idx]);
    w->entry = finger_entry(sl, &w->s.k);
    w->phase = WAY_ENTRY;
    if (w->entry != NULL)
        prefetch_node((const char *)w->entry);
    w->pending = NULL;
    w->idx = idx;
}

/* The way's start, one load per call: false while it waits for a line it prefetched. */
static bool seek_way_begin(const lsmt_skiplist *sl, seek_way *w)
{
    if (w->phase == WAY_ENTRY) {
        const char *x = finger_node(sl, w->entry);
        if (x != NULL) {
            /* its header and first key bytes, and the slot below them (the start level's
             * slot when x is 2 high, as 3 in 4 finger nodes are) */
            prefetch_node(x);
            prefetch_node((const char *)upper_slot(x, 1));
            w->s.x = x;
            w->phase = WAY_NODE;
            return false;
        }
        w->s.x = NULL; /* no finger node: from the head */
    }
    search_start_at(sl, &w->s, w->s.x);
    if (w->s.m == M_UNKNOWN)
        search_learn_m(sl, &w->s); /* the finger node: its line was prefetched */
    w->phase = WAY_RUN;
    return true;
}

/* Advance one way until it must touch a node it has not touched: then prefetch that
 * node and return false. When the search ends, store its result in *out, return true. */
HOT bool seek_way_step(const lsmt_skiplist *sl, seek_way *w, const char **out)
{
    if (LSMT_UNLIKELY(w->phase != WAY_RUN) && !seek_way_begin(sl, w))
        return false;
    for (;;) {
        const char *nx;
        switch (search_step(sl, &w->s, GOAL_GE, true, w->pending, &nx)) {
        case STEP_DONE:
            *out = nx;
            return true;
        case STEP_NEED:
            prefetch_node(nx);
            w->pending = nx;
            return false;
        case STEP_RIGHT_BLIND:
            /* decided by the slot alone: the next step reads the new x's slot */
            w->pending = NULL;
            prefetch_node((const char *)upper_slot(w->s.x, w->s.level));
            return false;
        case STEP_RIGHT:
        case STEP_DOWN:
            w->pending = NULL;
            break;
        }
    }
}

/* The n searches of `src`, SEEK_WAYS at a time (a finished way takes the next key):
 * out[i] = the first node >= key i; out NULL: only warm the cache along the paths. */
static void seek_run(const lsmt_skiplist *sl, size_t n, const seek_src *src,
                     const lsmt_skiplist_node **out)
{
    seek_way ways[SEEK_WAYS];
    seek_way *live[SEEK_WAYS]; /* the ways in flight: live[0, active) */
    size_t started = 0, active = 0;
    while (active < SEEK_WAYS && started < n) {
        live[active] = &ways[active];
        seek_way_start(sl, live[active++], src, started++);
    }
    while (active > 0) {
        for (size_t a = 0; a < active;) {
            const char *r;
            seek_way *w = live[a];
            if (!seek_way_step(sl, w, &r)) {
                a++;
                continue;
            }
            if (out != NULL)
                out[w->idx] = (const lsmt_skiplist_node *)r;
            if (started < n)
                seek_way_start(sl, w, src, started++), a++;
            else
                live[a] = live[--active]; /* order of the ways does not matter */
        }
    }
}

lsmt_status lsmt_skiplist_seek_batch(const lsmt_skiplist *sl, size_t n, const void *const *keys,
                                     const size_t *klens, const uint64_t *versions,
                                     const lsmt_skiplist_node **out)
{
    if (sl == NULL ||
        (n != 0 && (keys == NULL || klens == NULL || versions == NULL || out == NULL)))
        return LSMT_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (!key_ok(keys[i], klens[i]))
            return LSMT_INVALID;
    }
    seek_src src = {keys, klens, versions, NULL};
    seek_run(sl, n, &src, out);
    return LSMT_OK;
}

lsmt_status lsmt_skiplist_node_insert_batch(lsmt_skiplist *sl, size_t n,
                                            lsmt_skiplist_node *const *nodes, lsmt_status *statuses)
{
    if (sl == NULL || (n != 0 && (nodes == NULL || statuses == NULL)))
        return LSMT_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (!node_ready(sl, nodes[i]))
            return LSMT_INVALID;
    }
    /* Warm the cache along every node's search path (interleaved, misses overlapped);
     * the inserts below then search, and CAS, through lines already loaded. */
    seek_src src = {NULL, NULL, NULL, nodes};
    seek_run(sl, n, &src, NULL);
    for (size_t i = 0; i < n; i++)
        statuses[i] = node_insert_ready(sl, nodes[i]); /* checked above */
    return LSMT_OK;
}
