/* Searching the skip list: how a key is compared with a node, and the one search step
 * every search runs -- a plain lookup and seek_for_prev (search.c), each way of a batched
 * seek (batch.c) -- so they can never disagree on a decision.
 *
 * Order: (key by comparator, version descending). A search from x at level i (x before
 * the key k, or the head):
 *
 *     level i:   x ----------------> y           y < k : step right (x = y)
 *                |                               y >= k: go down (stop = y: the levels
 *     level i-1: x ---> a ---> b --> y ...               below end there for this key)
 *
 * Bytewise lists compare without touching most nodes, whatever prefix the keys share:
 *  - The search keeps m = lcp(x, k), the length of the prefix x's key shares with k
 *    (exact: 0 at the head), and b <= lcp(x, stop).
 *  - An upper slot x -> y holds d = lcp(x, y) and y's two key bytes at d (invariant S,
 *    node.h). Since x < y and x < k: d < m means y differs from x where k agrees with it,
 *    upwards: y > k. d > m means y agrees with x where k is above it: y < k, and
 *    lcp(y, k) = m. d == m: y's bytes at d against k's at m decide, unless both are
 *    equal, and tell lcp(y, k) exactly (the slot's END bit says whether a zero of y's is
 *    padding). So at upper levels most steps and every overshoot are decided from x's
 *    own slot, without loading y, and m stays exact.
 *  - Every node z the search compares lies between x and stop, so it shares
 *    min(m, b) bytes with k: node comparisons start there (and past the slot's bytes when
 *    they agreed), so keys that share a long prefix -- a table id, "user",
 *    96 bytes of path -- are compared from where they differ, on the line that holds it.
 * With a custom comparator the slots decide nothing and every comparison calls it.
 *
 * Readers only load links with acquire and never write: they never block and never see a
 * half-built node (invariant 3). Nodes are never removed, so a node once before the key
 * stays a valid place to continue from. */
#ifndef LSMT_SKIPLIST_SEARCH_H
#define LSMT_SKIPLIST_SEARCH_H

#include "skiplist/list.h"

/* Measurement levers, settled (bench/README.md, skip-list levers; bench/
 * run_skiplist_vs_peers.sh rebuilds with them to measure each one again). Not options.
 * LSMT_SKIPLIST_PREFETCH: search-path prefetch: 0 none; 1 the node after next at the same
 * level (RocksDB); 2 the next node one level down from the current node (where the
 * search goes when it stops at this level: its miss then overlaps the comparison at this
 * level). */
#ifndef LSMT_SKIPLIST_PREFETCH
#define LSMT_SKIPLIST_PREFETCH 2
#endif

/* A search key with its first 16 bytes decoded once. */
typedef struct skey {
    const unsigned char *p;
    size_t len;
    uint64_t version;
    uint64_t prefix;  /* bytes 0..7 big-endian, zero padded (bytewise lists only) */
    uint64_t prefix2; /* bytes 8..15 likewise (0 for keys shorter than 8 bytes) */
    bool bytewise;    /* the list is bytewise: slots and byte offsets mean something */
    /* bytewise and not ENCODED (the KV layout): a node's key is right after its header,
     * its version the word after the key. The comparisons read this and `bytewise` from
     * the key, which a search keeps in registers, not from the list: the acquire loads
     * of a search make the compiler load a list field again after each of them. */
    bool kv;
    /* the finger table's range of this key, or FINGER_NONE (finger.h); computed when a
     * search or insert first needs it (skey_finger): an insert that follows its splice
     * never does */
    uint32_t finger_b;
    bool finger_known;
} skey;

/* Up to 8 bytes at p (len of them there) as a big-endian integer, zero padded. Two such
 * words that differ order like the keys they come from (a zero pad that differs from a
 * real byte means the shorter key is a prefix of the longer one, which is then after
 * it). */
HOT uint64_t load_prefix(const unsigned char *p, size_t len)
{
    uint64_t v = 0;
    if (LSMT_LIKELY(len >= 8)) {
        memcpy(&v, p, 8);
    } else if (len > 0) {
        memcpy(&v, p, len);
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The two bytes of a key (len bytes at p) at offset i, big-endian, zero past its end:
 * what a slot holds of the node it points to. */
HOT uint32_t key_bytes2(const unsigned char *p, size_t len, size_t i)
{
    if (LSMT_LIKELY(i + 2 <= len))
        return (uint32_t)p[i] << 8 | p[i + 1];
    return i < len ? (uint32_t)p[i] << 8 : 0;
}

/* Length of the common prefix of two byte strings. */
static inline size_t key_lcp(const unsigned char *a, size_t alen, const unsigned char *b,
                             size_t blen)
{
    size_t m = alen < blen ? alen : blen, i = 0;
    for (; i < m; i += 8) {
        uint64_t x = load_prefix(a + i, m - i), y = load_prefix(b + i, m - i);
        if (x != y)
            return i + ((size_t)__builtin_clzll(x ^ y) >> 3);
    }
    return m;
}

/* The meta of a link from a key sharing d bytes with (b, blen), a key after it (node.h,
 * "Upper slots"); `same`: the two keys are equal. */
static inline uint32_t slot_meta_at(bool bytewise, size_t d, bool same, const unsigned char *b,
                                    size_t blen)
{
    if (!bytewise || same || d >= SLOT_D_UNDECIDED)
        return SLOT_META_UNDECIDED;
    return (uint32_t)d << SLOT_D_SHIFT | (blen == d + 1 ? SLOT_END : 0) | key_bytes2(b, blen, d);
}

/* The meta an upper slot holds for a link from a key (a, alen) to a key (b, blen) that
 * follows it (invariant S, node.h). */
static inline uint32_t slot_meta_of(bool bytewise, const unsigned char *a, size_t alen,
                                    const unsigned char *b, size_t blen)
{
    size_t d = bytewise ? key_lcp(a, alen, b, blen) : 0;
    return slot_meta_at(bytewise, d, d == alen && d == blen, b, blen);
}

/* The meta a slot from x (a node, or the head: the empty key) to node y must hold. */
static inline uint32_t slot_meta_between(const lsmt_skiplist *sl, const char *x, const char *y)
{
    bool head = x == head_of(sl);
    return slot_meta_of(sl->compare == NULL, head ? NULL : node_key(x), head ? 0 : node_klen(x),
                        node_key(y), node_klen(y));
}

/* finger.c: the finger range of a key (bytewise lists), given its first two words as
 * skey holds them (w0 = load_prefix(key, klen), w1 = the same of bytes 8.., 0 for keys
 * of at most 8 bytes), which decide most keys without reading the key again. */
__attribute__((visibility("hidden"))) uint32_t finger_key_range(const lsmt_skiplist *sl,
                                                                const unsigned char *key,
                                                                size_t klen, uint64_t w0,
                                                                uint64_t w1);

static inline void skey_init(const lsmt_skiplist *sl, skey *k, const void *key, size_t klen,
                             uint64_t version)
{
    k->p = key;
    k->len = klen;
    k->version = version;
    k->prefix = k->prefix2 = 0;
    k->bytewise = sl->compare == NULL;
    k->kv = k->bytewise && !sl->encoded;
    k->finger_b = UINT32_MAX; /* FINGER_NONE (finger.h) */
    k->finger_known = !k->bytewise || sl->finger == NULL;
    if (k->bytewise) {
        k->prefix = load_prefix(key, klen);
        if (klen > 8)
            k->prefix2 = load_prefix(k->p + 8, klen - 8);
    }
}

/* k's finger range, computed once (finger.c). */
static inline uint32_t skey_finger(const lsmt_skiplist *sl, const skey *k)
{
    skey *mk = (skey *)(uintptr_t)k; /* a cache inside the key: logically const */
    if (!mk->finger_known) {
        mk->finger_b = finger_key_range(sl, k->p, k->len, k->prefix, k->prefix2);
        mk->finger_known = true;
    }
    return k->finger_b;
}

/* The search key of node n itself (its key and version). */
static inline void skey_of_node(const lsmt_skiplist *sl, skey *k, const char *n)
{
    skey_init(sl, k, node_key(n), node_klen(n), node_ver(n) >> sl->ver_shift);
}

/* Order of node y (the successor at level > 0 of x, through slot meta `meta`) against k,
 * from the slot alone, given m = lcp(x, k): -1 (y before k), 1 (after), 0 (the slot
 * cannot tell: compare y). *lcp receives lcp(y, k), exact, for -1, and for 0 a number of
 * leading bytes y and k are known to share. */
HOT int slot_decide(const skey *k, uint32_t meta, size_t m, size_t *lcp)
{
    unsigned d = meta >> SLOT_D_SHIFT;
    if (d == SLOT_D_UNDECIDED) {
        *lcp = m < SLOT_D_UNDECIDED ? m : SLOT_D_UNDECIDED; /* lcp(x, y) is at least that */
        return 0;
    }
    if (d < m)
        return 1; /* y[d] > x[d] = k[d] */
    if (d > m) {
        *lcp = m; /* y[m] = x[m] < k[m] */
        return -1;
    }
    /* k's bytes m, m + 1: from its decoded first word when they lie in it */
    uint32_t yb = meta & SLOT_BYTES_MASK, kb = m <= 6
                                                   ? (uint32_t)(k->prefix >> (48 - 8 * m)) & 0xFFFFu
                                                   : key_bytes2(k->p, k->len, m);
    if (yb == kb) {
        *lcp = m + (meta & SLOT_END ? 1 : 2);
        return 0;
    }
    /* y's byte d is real (y > x), so a difference there gives lcp m; a difference in the
     * second byte only once the first agreed, where END tells y's zero from its end: in
     * both cases y and k share exactly m + 1 bytes when y < k */
    *lcp = (yb ^ kb) >> 8 ? m : m + 1;
    return yb < kb ? -1 : 1;
}

/* Three-way comparison of node n with key k in list order: < 0 when n is before k.
 * -1 / 1 when the keys differ, -2 / 2 when only the versions do (SAME_KEY_AFTER: n is
 * an older version of k's key), 0 when both are equal. REQUIRES (bytewise lists): n's
 * key and k agree on their first `skip` bytes (as far as both go); the comparison
 * starts there. *lcp receives lcp(n, k) (0 with a custom comparator). */
#define SAME_KEY_AFTER 2
HOT int node_cmp_from(const lsmt_skiplist *sl, const char *n, const skey *k, size_t skip,
                      size_t *lcp)
{
    /* a KV node's key is right after its header: its load need not wait for meta */
    const unsigned char *nk =
        !k->kv && sl->encoded ? node_key(n) : (const unsigned char *)n + HDR_KEY;
    size_t nlen = node_klen(n);
    int c;
    if (k->bytewise) {
        /* Keys that differ in their first 8 bytes (random keys, most comparisons of any
         * list whose keys share no prefix): one word against k's decoded one, the loop's
         * first round without its bookkeeping. Also right when k is shorter than 8 bytes:
         * its word is padded at its end, as in the loop (and l < 8 <= nlen here, so the
         * lcp is capped by k's length only). */
        if (skip < 8 && LSMT_LIKELY(nlen >= 8)) {
            uint64_t a = load_prefix(nk, 8);
            if (a != k->prefix) {
                size_t l = (size_t)__builtin_clzll(a ^ k->prefix) >> 3;
                *lcp = l < k->len ? l : k->len;
                return a < k->prefix ? -1 : 1;
            }
            skip = 8; /* the first words agree */
        }
        size_t m = nlen < k->len ? nlen : k->len;
        /* from the word that holds byte `skip` (8-byte steps from 0: k's first two words
         * are decoded, and whole words load without a length check), words padded at
         * each key's own end, as load_prefix */
        size_t i = (skip < m ? skip : m) & ~(size_t)7;
        for (; i < m; i += 8) {
            uint64_t a = load_prefix(nk + i, nlen - i);
            uint64_t b = i == 0   ? k->prefix
                         : i == 8 ? k->prefix2
                                  : load_prefix(k->p + i, k->len - i);
            if (a != b) {
                size_t l = i + ((size_t)__builtin_clzll(a ^ b) >> 3);
                *lcp = l < m ? l : m;
                return a < b ? -1 : 1;
            }
        }
        *lcp = m;
        c = (nlen > k->len) - (nlen < k->len);
    } else {
        *lcp = 0;
        c = sl->compare(sl->compare_ctx, nk, nlen, k->p, k->len);
    }
    if (c != 0)
        return c < 0 ? -1 : 1;
    uint64_t v;
    memcpy(&v, nk + nlen, sizeof v); /* the version word (node_ver, with nlen known) */
    v = !k->kv && sl->encoded ? v >> sl->ver_shift : v & LSMT_SKIPLIST_MAX_VERSION;
    /* versions descend: a larger version comes first */
    return 2 * ((v < k->version) - (v > k->version));
}

/* node_cmp_from from the first byte, for callers that do not track the shared prefix. */
HOT int node_cmp(const lsmt_skiplist *sl, const char *n, const skey *k)
{
    size_t lcp;
    return node_cmp_from(sl, n, k, 0, &lcp);
}

/* The search at node x, level `level`: prefetch where it goes next. */
HOT void search_prefetch(const lsmt_skiplist *sl, const char *x, const char *y, unsigned level,
                         const skey *k, size_t m)
{
#if LSMT_SKIPLIST_PREFETCH == 1
    (void)x, (void)k, (void)m;
    if (y != NULL)
        prefetch_node(next_node(sl, link_load_acquire(y, level)));
#elif LSMT_SKIPLIST_PREFETCH == 2
    (void)y;
    if (level > 0) {
        /* x's next one level down: where the search goes if it descends here. Skip it
         * when its slot already says it is after k (the search will not touch it). */
        slot_t d = slot_load_acquire(x, level - 1);
        (void)k;
        /* skip it when the slot already says it is after k (lcp(x, it) < m: slot_decide's
         * cheapest case) */
        if (slot_ref(d) != 0 && (level - 1 == 0 || (slot_meta(d) >> SLOT_D_SHIFT) >= m))
            prefetch_node(node_at(sl, slot_ref(d)));
    }
#else
    (void)sl, (void)x, (void)y, (void)level, (void)k, (void)m;
#endif
}

/* Order of successor y (non-null) of x, reached through slot w at `level`, against k,
 * given m = lcp(x, k) and b <= lcp(x, stop) (y is not past stop): from the slot when it
 * tells (levels >= 1), else by comparing y from the bytes known to agree. *lcp: as
 * slot_decide / node_cmp_from. *touched (may be NULL): y was compared. `lazy`: return
 * SUCC_NEED instead of comparing a y other than `ready`. */
#define SUCC_NEED 99
HOT int succ_decide(const lsmt_skiplist *sl, const skey *k, slot_t w, const char *y, unsigned level,
                    size_t m, size_t b, size_t *lcp, bool lazy, const char *ready)
{
    size_t l = 0;
    if (level > 0) {
        int c = slot_decide(k, slot_meta(w), m, &l);
        if (c != 0) {
            *lcp = l;
            return c;
        }
    }
    size_t known = m < b ? m : b;
    if (l > known)
        known = l;
    if (lazy && y != ready)
        return SUCC_NEED;
    LSMT_ASSERT(node_height(y) > level); /* invariant 2: a node at this level is that tall */
    return node_cmp_from(sl, y, k, known, lcp);
}

/* The meta slot w says about the link's two keys, as a lower bound of their lcp. */
static inline size_t slot_lcp_lower(slot_t w)
{
    return slot_meta(w) >> SLOT_D_SHIFT;
}

/* ---- the search step ---------------------------------------------------------------- */

/* What a search looks for: the first node >= k, the last node < k, or <= k. */
typedef enum goal { GOAL_GE, GOAL_LT, GOAL_LE } goal;

/* A search in progress. */
typedef struct search {
    skey k;
    const char *x;    /* current node (or the head): before k (GOAL_LE: or equal) */
    const char *stop; /* the node level + 1 stopped at: not compared again */
    unsigned level;
    size_t m; /* lcp(x, k), exact (0 at the head), or M_UNKNOWN until the step reads x */
    size_t b; /* <= lcp(x, stop): every node compared at this level shares it with x */
    /* Steps right left before a search that started at a finger node gives up on it and
     * restarts from the head (0: no limit). A finger node is before the key, but when the
     * learned ranges no longer fit the keys (the list grew past the keys they were
     * learned from) it can be far before it: the start level's walk is bounded, so a
     * search costs at most FINGER_WALK_MAX steps more than one from the head. */
    unsigned budget;
} search;

#define FINGER_WALK_MAX 8

/* search.m before the search has compared x (a finger node) with k. */
#define M_UNKNOWN SIZE_MAX

typedef enum step {
    STEP_RIGHT,       /* x moved to its successor, whose key the step compared */
    STEP_RIGHT_BLIND, /* x moved to its successor on the slot alone (x untouched) */
    STEP_DOWN,        /* one level down */
    STEP_DONE,        /* *out holds the answer (NULL or the head: none) */
    STEP_NEED,        /* lazy steps only: *out must be compared and is not `ready` */
} step;

/* A search that starts at a finger node learns lcp(x, k) from x before its first step
 * (search_start_at, finger.h, leaves it M_UNKNOWN). */
static inline void search_learn_m(const lsmt_skiplist *sl, search *s)
{
    size_t lcp = 0;
    node_cmp_from(sl, s->x, &s->k, 0, &lcp);
    s->m = lcp;
}

/* Restart s from the head at the list's top level. */
static inline void search_from_head(const lsmt_skiplist *sl, search *s)
{
    s->x = head_of(sl);
    s->level = list_height(sl) - 1;
    s->stop = NULL;
    s->m = 0;
    s->b = 0;
    s->budget = 0;
}

/* One decision of the search at (x, level). A plain search (lazy = false) compares every
 * node it must and prefetches along its path; a batched one (lazy = true) returns
 * STEP_NEED instead of comparing a node other than `ready` (the one it prefetched), so
 * it can overlap that miss with other searches. Either way the decisions are the same:
 *  - the successor y is before k (GOAL_LE: or equal): step right;
 *  - GOAL_GE: y equals k, or holds k's key and no newer version of it can precede y
 *    (invariant V): y is the answer, whatever the level (nothing below can be >= k and
 *    before it);
 *  - else go down; at level 0 answer y (GOAL_GE) or x (GOAL_LT, GOAL_LE). */
HOT step search_step(const lsmt_skiplist *sl, search *s, goal g, bool lazy, const char *ready,
                     const char **out)
{
    LSMT_ASSERT(s->m != M_UNKNOWN); /* search_learn_m first */
    slot_t w = slot_load_acquire(s->x, s->level);
    const char *y = next_node(sl, slot_ref(w));
    if (!lazy)
        search_prefetch(sl, s->x, y, s->level, &s->k, s->m);
    if (y != NULL && y != s->stop) {
        /* the caller reads the entry it finds: its later lines load with the first (a
         * prefetch past the arena's end is harmless: prefetches never fault) */
        if (!lazy && s->level == 0 && LSMT_UNLIKELY(sl->entry_lines != 0))
            for (unsigned i = 1; i <= sl->entry_lines; i++)
                prefetch_node(y + 64 * i);
        size_t lcp = 0;
        int c = succ_decide(sl, &s->k, w, y, s->level, s->m, s->b, &lcp, lazy, ready);
        if (c == SUCC_NEED) {
            *out = y;
            return STEP_NEED;
        }
        /* invariant S: the slot holds what it should of y (debug builds; x is the head or
         * a node) */
        LSMT_ASSERT(s->level == 0 || slot_meta(w) == slot_meta_between(sl, s->x, y));
        if (c < 0 || (g == GOAL_LE && c == 0)) {
            if (LSMT_UNLIKELY(s->budget != 0) && --s->budget == 0) {
                search_from_head(sl, s); /* the finger was far from the key */
                return STEP_DOWN;
            }
            bool blind = s->level > 0 && y != ready && lazy;
            s->x = y;
            s->m = lcp;
            return blind ? STEP_RIGHT_BLIND : STEP_RIGHT;
        }
        if (g == GOAL_GE && (c == 0 || (c == SAME_KEY_AFTER && !node_has_newer(y)))) {
            *out = y;
            return STEP_DONE;
        }
    }
    if (s->level == 0) {
        *out = g == GOAL_GE ? y : s->x;
        return STEP_DONE;
    }
    if (y != NULL)
        s->b = slot_lcp_lower(w); /* lcp(x, y): the new stop */
    s->stop = y;
    s->level--;
    s->budget = 0; /* below its start level the search is as from the head */
    return STEP_DOWN;
}

/* Search level `level` forward from `before` (< k; m = lcp(before, k), exact) for the
 * first node >= k, stopping early at `after` (a node known to be >= k, or 0; b <=
 * lcp(before, after)). Writes prev (last node < k; 0 = head) with *m = lcp(prev, k),
 * next (first node >= k; 0 = null) and nextmeta (the meta of the slot prev -> next, what
 * a CAS there must still find; 0 at level 0). An insert's search, level by level.
 * _limit: gives up (false, nothing written) after `limit` steps right (0: no limit). */
HOT bool find_splice_level_limit(const lsmt_skiplist *sl, const skey *k, ref_t before, ref_t after,
                                 size_t b, unsigned level, ref_t *prev, ref_t *next,
                                 uint32_t *nextmeta, size_t *m, unsigned limit)
{
    const char *x = prev_node(sl, before);
    size_t mx = *m;
    for (;;) {
        slot_t w = slot_load_acquire(x, level);
        ref_t r = slot_ref(w);
        const char *y = next_node(sl, r);
        search_prefetch(sl, x, y, level, k, mx);
        size_t lcp = 0;
        if (r == after || r == 0 ||
            succ_decide(sl, k, w, y, level, mx, b, &lcp, false, NULL) >= 0) {
            *prev = before;
            *next = r;
            *nextmeta = level > 0 ? slot_meta(w) : 0;
            *m = mx;
            return true;
        }
        if (limit != 0 && --limit == 0)
            return false; /* nothing written */
        before = r;
        x = y;
        mx = lcp;
    }
}

HOT void find_splice_level(const lsmt_skiplist *sl, const skey *k, ref_t before, ref_t after,
                           size_t b, unsigned level, ref_t *prev, ref_t *next, uint32_t *nextmeta,
                           size_t *m)
{
    find_splice_level_limit(sl, k, before, after, b, level, prev, next, nextmeta, m, 0);
}

/* search.c */
/* Run a search to its end: the first node >= k (GOAL_GE; NULL when none), the last node
 * < k or <= k (the head when none). *stop1 (may be NULL) receives the first node of
 * height > 1 after the answer that the search met -- its level-1 stop, or the found
 * node's level-1 successor when it ended above level 0 -- or 0: where an iterator's
 * read-ahead can start without a search of its own (iter.c). */
__attribute__((visibility("hidden"))) const char *search_run(const lsmt_skiplist *sl, const skey *k,
                                                             goal g, ref_t *stop1);
/* The last node, or the head when the list is empty. */
__attribute__((visibility("hidden"))) const char *find_last(const lsmt_skiplist *sl);

#endif
