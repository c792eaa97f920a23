/* Searching the skip list: how a key is compared with a node, and the one search step
 * that every find_ge-style search runs -- a plain lookup (search.c), each way of a batched
 * seek (batch.c) -- so the two can never disagree on a decision.
 *
 * Order: (key by comparator, version descending). With the default bytewise comparator a
 * search decodes the first 8 key bytes of a node as one big-endian integer ("prefix") and
 * compares it with the search key's prefix (computed once per search): most comparisons
 * are one integer compare on the node's first cache line. At levels >= 1 the search first
 * compares the next prefix held in the current node's slot (invariant S, node.h): when it
 * differs from the key's, the next node is never touched (descending past an overshoot
 * costs no cache miss; stepping touches the node it steps to, which it needs for that
 * node's own links anyway).
 *
 * A search from x at level i (x before the key, or the head):
 *
 *     level i:   x ----------------> nx          nx < k : step right (x = nx)
 *                |                               nx >= k: go down (stop = nx: the levels
 *     level i-1: x ---> a ---> b --> nx ...               below end there for this key)
 *
 * Readers only load links with acquire and never write: they never block and never see a
 * half-built node (invariant 3). Nodes are never removed, so a node once before the key
 * stays a valid place to continue from. */
#ifndef LSMT_SKIPLIST_SEARCH_H
#define LSMT_SKIPLIST_SEARCH_H

#include "skiplist/list.h"

/* Measurement levers, settled (bench/README.md, skip-list levers; bench/
 * run_skiplist_vs_peers.sh rebuilds with them to measure each one again). Not options.
 * LSMT_SKIPLIST_PREFIX: bytewise lists compare decoded 8-byte prefixes first (1).
 * LSMT_SKIPLIST_PREFETCH: search-path prefetch: 0 none; 1 the node after next at the same
 * level (RocksDB); 2 the next node one level down from the current node (where the
 * search goes when it stops at this level: its miss then overlaps the comparison at this
 * level). */
#ifndef LSMT_SKIPLIST_PREFIX
#define LSMT_SKIPLIST_PREFIX 1
#endif
#ifndef LSMT_SKIPLIST_PREFETCH
#define LSMT_SKIPLIST_PREFETCH 2
#endif

/* A search key with its prefix decoded once. */
typedef struct skey {
    const unsigned char *p;
    size_t len;
    uint64_t version;
    uint64_t prefix;   /* bytes 0..7 big-endian, zero padded (bytewise lists only) */
    uint64_t prefix2;  /* bytes 8..15 likewise (0 for keys shorter than 8 bytes) */
    uint32_t prefix32; /* bytes 0..3: what upper slots hold (0 with a custom comparator) */
    bool hints;        /* bytewise: upper slots' prefixes may decide comparisons */
} skey;

/* The first 8 bytes of a key as a big-endian integer, zero padded. Comparing two such
 * prefixes agrees with the bytewise order whenever they differ (a zero pad that differs
 * from a real byte means the shorter key is a prefix of the longer one, which is then
 * after it). Equal prefixes need the full comparison. */
HOT uint64_t load_prefix(const unsigned char *p, size_t len)
{
    uint64_t v = 0;
    if (LSMT_LIKELY(len >= 8)) {
        memcpy(&v, p, 8);
    } else if (len > 0) {
        memcpy(&v, p, len);
    }
    return __builtin_bswap64(v);
}

static inline void skey_init(const lsmt_skiplist *sl, skey *k, const void *key, size_t klen,
                             uint64_t version)
{
    k->p = key;
    k->len = klen;
    k->version = version;
    k->prefix = k->prefix2 = 0;
    k->prefix32 = 0;
    k->hints = sl->compare == NULL;
    if (sl->compare == NULL) {
        k->prefix = load_prefix(key, klen);
        k->prefix32 = (uint32_t)(k->prefix >> 32);
        if (klen > 8)
            k->prefix2 = load_prefix(k->p + 8, klen - 8);
    }
}

/* The search key of node n itself (its key and version). */
static inline void skey_of_node(const lsmt_skiplist *sl, skey *k, const char *n)
{
    skey_init(sl, k, node_key(n), node_klen(n), node_ver(n));
}

/* The prefix an upper slot holds for node n (invariant S). */
static inline uint32_t node_prefix32(const lsmt_skiplist *sl, const char *n)
{
    return sl->compare == NULL ? (uint32_t)(load_prefix(node_key(n), node_klen(n)) >> 32) : 0;
}

/* Order of the node an upper slot `s` (level >= 1, non-null) points to against k, from
 * the slot alone: -1 (before k), 1 (after k), or 0 when the slot cannot tell (equal
 * prefixes, or a custom comparator) and the node itself must be compared. */
HOT int slot_order(const skey *k, slot_t s)
{
    if (!k->hints || slot_prefix(s) == k->prefix32)
        return 0;
    return slot_prefix(s) < k->prefix32 ? -1 : 1;
}

/* Three-way comparison of node n with key k in list order: < 0 when n is before k.
 * -1 / 1 when the keys differ, -2 / 2 when only the versions do (SAME_KEY_AFTER: n is
 * an older version of k's key), 0 when both are equal. */
#define SAME_KEY_AFTER 2
HOT int node_cmp(const lsmt_skiplist *sl, const char *n, const skey *k)
{
    const unsigned char *nk = node_key(n);
    size_t nlen = node_klen(n);
    int c;
    if (sl->compare == NULL) {
        size_t m = nlen < k->len ? nlen : k->len, same = 0;
#if LSMT_SKIPLIST_PREFIX
        uint64_t np = load_prefix(nk, nlen);
        if (np != k->prefix)
            return np < k->prefix ? -1 : 1;
        /* equal padded words: their real bytes below m are equal */
        same = m < 8 ? m : 8;
        if (m > 8) {
            /* second word: keys that share 8 bytes (a common leading field) */
            uint64_t np2 = load_prefix(nk + 8, nlen - 8);
            if (np2 != k->prefix2)
                return np2 < k->prefix2 ? -1 : 1;
            same = m < 16 ? m : 16;
        }
#endif
        c = m > same ? memcmp(nk + same, k->p + same, m - same) : 0;
        if (c == 0)
            c = (nlen > k->len) - (nlen < k->len);
    } else {
        c = sl->compare(sl->compare_ctx, nk, nlen, k->p, k->len);
    }
    if (c != 0)
        return c < 0 ? -1 : 1;
    uint64_t v;
    memcpy(&v, nk + nlen, sizeof v); /* the version word (node_ver, with nlen known) */
    if (!sl->encoded)
        v &= LSMT_SKIPLIST_MAX_VERSION;
    /* versions descend: a larger version comes first */
    return 2 * ((v < k->version) - (v > k->version));
}

/* Order of successor nx (non-null), reached through slot `s` at `level`, against k:
 * from the slot's prefix when it tells (levels >= 1: no load of nx), else by comparing
 * nx itself. */
HOT int succ_cmp(const lsmt_skiplist *sl, const skey *k, slot_t s, const char *nx, unsigned level)
{
    int c = level > 0 ? slot_order(k, s) : 0; /* level 0 links carry no prefix */
    return c != 0 ? c : node_cmp(sl, nx, k);
}

/* The search at node x, level `level`, about to compare nx (may be NULL). */
HOT void search_prefetch(const lsmt_skiplist *sl, const char *x, const char *nx, unsigned level,
                         const skey *k)
{
#if LSMT_SKIPLIST_PREFETCH == 1
    (void)x;
    /* not when the slot already says nx is after k: the search will not load it */
    if (nx != NULL && (level == 0 || slot_order(k, slot_load_acquire(x, level)) <= 0))
        prefetch_node(next_node(sl, link_load_acquire(nx, level)));
#elif LSMT_SKIPLIST_PREFETCH == 2
    (void)nx;
    if (level > 0) {
        /* x's next one level down: where the search goes if it descends here. Skip it
         * when its slot already says it is after k (the search will not touch it). */
        slot_t d = slot_load_acquire(x, level - 1);
        if (slot_ref(d) != 0 && (level - 1 == 0 || slot_order(k, d) <= 0))
            prefetch_node(node_at(sl, slot_ref(d)));
    }
#else
    (void)sl, (void)x, (void)nx, (void)level, (void)k;
#endif
}

/* ---- the find_ge search step -------------------------------------------------------- */

/* A search for the first node >= k, in progress. */
typedef struct search {
    skey k;
    const char *x;    /* current node (or the head): before k */
    const char *stop; /* the node level + 1 stopped at (>= k): not compared again */
    unsigned level;
} search;

typedef enum step {
    STEP_RIGHT,       /* x moved to its successor, whose key the step compared */
    STEP_RIGHT_BLIND, /* x moved to its successor on the slot's prefix alone (x untouched) */
    STEP_DOWN,        /* one level down */
    STEP_DONE,        /* *out holds the answer: the first node >= k, or NULL */
    STEP_NEED,        /* lazy steps only: *out must be compared and is not `ready` */
} step;

/* One decision of the search at (x, level). A plain search (lazy = false) compares every
 * node it must and prefetches along its path; a batched one (lazy = true) returns
 * STEP_NEED instead of comparing a node other than `ready` (the one it prefetched), so
 * it can overlap that miss with other searches. Either way the decisions are the same:
 *  - the successor nx is before k: step right;
 *  - nx equals k, or holds k's key and no newer version of it can precede nx (invariant
 *    V): nx is the answer, whatever the level (nothing below can be >= k and before it);
 *  - else go down, or at level 0 answer nx. */
HOT step search_step(const lsmt_skiplist *sl, search *s, bool lazy, const char *ready,
                     const char **out)
{
    slot_t w = slot_load_acquire(s->x, s->level);
    const char *nx = next_node(sl, slot_ref(w));
    if (!lazy)
        search_prefetch(sl, s->x, nx, s->level, &s->k);
    if (nx != NULL && nx != s->stop) {
        int c = s->level > 0 ? slot_order(&s->k, w) : 0;
        bool blind = c != 0;
        if (c == 0) {
            if (lazy && nx != ready) {
                *out = nx;
                return STEP_NEED;
            }
            /* invariants 2 and S: a node linked at this level is that tall, and the slot
             * holds its prefix */
            LSMT_ASSERT(node_height(nx) > s->level);
            LSMT_ASSERT(s->level == 0 || !s->k.hints || slot_prefix(w) == node_prefix32(sl, nx));
            c = node_cmp(sl, nx, &s->k);
        }
        if (c < 0) {
            s->x = nx;
            return blind ? STEP_RIGHT_BLIND : STEP_RIGHT;
        }
        if (c == 0 || (c == SAME_KEY_AFTER && !node_has_newer(nx))) {
            *out = nx;
            return STEP_DONE;
        }
    }
    if (s->level == 0) {
        *out = nx;
        return STEP_DONE;
    }
    s->stop = nx;
    s->level--;
    return STEP_DOWN;
}

/* Search level `level` forward from `before` (< k) for the first node >= k, stopping
 * early at `after` (a node known to be >= k, or 0). Writes prev (last node < k; 0 =
 * head), next (first node >= k; 0 = null) and nextp (the prefix the slot prev -> next
 * holds: next's own, invariant S; 0 at level 0). An insert's search, level by level. */
HOT void find_splice_level(const lsmt_skiplist *sl, const skey *k, ref_t before, ref_t after,
                           unsigned level, ref_t *prev, ref_t *next, uint32_t *nextp)
{
    const char *x = prev_node(sl, before);
    for (;;) {
        slot_t s = slot_load_acquire(x, level);
        ref_t r = slot_ref(s);
        const char *nx = next_node(sl, r);
        search_prefetch(sl, x, nx, level, k);
        if (r == after || r == 0 || succ_cmp(sl, k, s, nx, level) >= 0) {
            *prev = before;
            *next = r;
            *nextp = slot_prefix(s);
            return;
        }
        before = r;
        x = nx;
    }
}

/* search.c */
/* Start a search for k: from the finger table's node before k, or from the head. */
__attribute__((visibility("hidden"))) void search_start(const lsmt_skiplist *sl, search *s);
/* First node >= k, or NULL. */
__attribute__((visibility("hidden"))) const char *find_ge(const lsmt_skiplist *sl, const skey *k);
/* Last node < k (less) or <= k (!less); the head when there is none. */
__attribute__((visibility("hidden"))) const char *find_before(const lsmt_skiplist *sl,
                                                              const skey *k, bool less);
/* The last node, or the head when the list is empty. */
__attribute__((visibility("hidden"))) const char *find_last(const lsmt_skiplist *sl);

#endif
