/* The finger table (bytewise lists): searches and inserts start from a tall node just
 * before their key, found in a small table, instead of from the head -- on a list far
 * larger than the cache this skips the ~10 upper levels a search from the head walks.
 *
 * The key space is cut into finger_n ranges by range(k) (finger.c), which is monotone --
 * a key in a lower range is smaller than every key in a higher one -- and spreads the
 * list's keys over the ranges whatever prefix they share, because it is learned from the
 * list's own keys once the list is tall enough to need it. Before that, and for keys the
 * learned ranges do not cover, range(k) = FINGER_NONE: the search starts at the head.
 * Entry b of the table holds the largest node of height >= FINGER_MIN_HEIGHT whose key
 * is in range b - 1 among those noted so far (0 = none yet).
 *
 * Invariant F (skiplist.h invariant 7): a nonzero entry b references a node of this list
 * that is linked at all its levels, of height >= FINGER_MIN_HEIGHT, whose key lies in
 * range b - 1. Hence for a key k in range >= b the node is before k, and a search for k
 * may start there (at its top level) instead of at the head: every level is a
 * subsequence of level 0, so a search from any node before k finds what a search from
 * the head finds. Entries only move forward (to larger nodes of the same range) until
 * reset, which clears them and forgets the learned ranges.
 *
 * An entry is written only after its node is linked at every level (finger_note, at the
 * end of an insert), with a release CAS; searches load it with acquire, so the node's
 * fields and links are visible to them (as an acquire of a link would make them). */
#ifndef LSMT_SKIPLIST_FINGER_H
#define LSMT_SKIPLIST_FINGER_H

#include "skiplist/search.h"

#define FINGER_MIN_HEIGHT 2
#define FINGER_BACK       64 /* entries below a key's own that a search may start from */
#define FINGER_MAX        ((size_t)1 << 26) /* entries: 256 MiB of table at most */
#define FINGER_NONE       UINT32_MAX        /* range(k) of a key the table does not cover */
#define FINGER_POS        8                 /* key positions a range is read from */
#define FINGER_PREFIX_MAX 256               /* longest shared prefix the ranges skip */

/* finger.c: the learned ranges of one list (allocated with its table). */
__attribute__((visibility("hidden"))) finger_map *finger_map_create(void);
__attribute__((visibility("hidden"))) void finger_map_destroy(finger_map *fm);
__attribute__((visibility("hidden"))) void finger_map_clear(finger_map *fm);
__attribute__((visibility("hidden"))) size_t finger_map_bytes(void);
/* An insert linked a node of height h (cheap unless h is tall and the table unarmed). */
__attribute__((visibility("hidden"))) void finger_arm_slow(lsmt_skiplist *sl);
#define ARM_NODE_HEIGHT 5 /* inserts of nodes this tall (1 in 256) try to arm the table */
static inline void finger_tall_insert(lsmt_skiplist *sl, unsigned h)
{
    if (LSMT_UNLIKELY(h >= ARM_NODE_HEIGHT) && sl->finger != NULL)
        finger_arm_slow(sl);
}

/* Where a search for k starts, in three steps so that a batched search (batch.c) can
 * prefetch what each one loads before it takes the next: the table entry of k's range
 * (finger_entry: no load but the key's), the node it names (finger_node: loads the
 * entry), and that node's top level (finger_level: loads the node). */

/* The entry of k's range, or NULL when the table has none for k (no table, not armed
 * yet, or a key outside the learned ranges): the search then starts at the head. */
HOT const _Atomic ref_t *finger_entry(const lsmt_skiplist *sl, const skey *k)
{
    uint32_t b = sl->finger != NULL ? skey_finger(sl, k) : FINGER_NONE;
    return b != FINGER_NONE ? &sl->finger[b] : NULL;
}

/* The node entry e names, a node before every key of e's range; NULL when e is NULL or
 * neither it nor the FINGER_BACK entries below it name one. */
HOT const char *finger_node(const lsmt_skiplist *sl, const _Atomic ref_t *e)
{
    if (e == NULL)
        return NULL;
    /* acquire: pairs with the release CAS in finger_note (invariant F) */
    ref_t r = atomic_load_explicit(e, memory_order_acquire);
    /* Entry b names no node when range b - 1 had no tall node (yet): every entry below b
     * also names a node before the key, so take the nearest nonzero one of the
     * FINGER_BACK below it (at most five cache lines, most often the same one). A table
     * sized by the arena's capacity has more entries than the list has tall nodes when
     * the arena is far larger than what the list holds: an engine that reserves a large
     * arena, or large entries. One tenth of a tall node per range (1M YCSB records in a
     * 4 GiB memtable) left 19 % of the searches with 16 empty entries below theirs,
     * where they started at the head; with 64, 0.3-0.4 %. Ranges in between hold no
     * tall node, so the start level's walk from there is still short. */
    uint32_t b = (uint32_t)(e - sl->finger);
    for (uint32_t j = b, lo = b > FINGER_BACK ? b - FINGER_BACK : 0; r == 0 && j > lo;)
        r = atomic_load_explicit(&sl->finger[--j], memory_order_acquire);
    return r != 0 ? node_at(sl, r) : NULL;
}

/* The level a search starts at from finger node x (NULL: the head): x's top level,
 * capped by the list's height. */
HOT unsigned finger_level(const lsmt_skiplist *sl, const char *x)
{
    unsigned lh = list_height(sl);
    if (x == NULL)
        return lh - 1;
    unsigned hx = node_height(x);
    LSMT_ASSERT(hx >= FINGER_MIN_HEIGHT); /* invariant F */
    return (hx < lh ? hx : lh) - 1;
}

/* Where a search for k starts: a node before k from the table, with *level its top level
 * (capped by the list height), or the head at the list's top level. */
HOT const char *finger_start(const lsmt_skiplist *sl, const skey *k, unsigned *level)
{
    const char *x = finger_node(sl, finger_entry(sl, k));
    *level = finger_level(sl, x);
    return x != NULL ? x : head_of(sl);
}

/* Start a search for s->k from finger node x (finger_node; NULL: from the head).
 * Inline (search_run, batch.c's ways): the search state can then stay in registers. */
HOT void search_start_at(const lsmt_skiplist *sl, search *s, const char *x)
{
    s->level = finger_level(sl, x);
    s->x = x != NULL ? x : head_of(sl);
    s->stop = NULL;
    s->b = 0;
    /* a finger node is before k (invariant F); its lcp with k is learned before the
     * first step (search_learn_m) */
    s->m = x != NULL && s->k.bytewise ? M_UNKNOWN : 0;
    s->budget = x != NULL ? FINGER_WALK_MAX : 0;
}

/* Start a search for s->k: from the finger table's node before k, or from the head. */
HOT void search_start(const lsmt_skiplist *sl, search *s)
{
    search_start_at(sl, s, finger_node(sl, finger_entry(sl, &s->k)));
}

/* After node n (key k, height h) is linked at all its levels: make it entry
 * range(k) + 1 unless that entry already holds a larger node. */
static inline void finger_note(lsmt_skiplist *sl, const char *n, const skey *k, unsigned h)
{
    if (sl->finger == NULL || h < FINGER_MIN_HEIGHT || skey_finger(sl, k) == FINGER_NONE)
        return;
    uint32_t b = k->finger_b + 1;
    if (b >= sl->finger_n)
        return;
    _Atomic ref_t *e = &sl->finger[b];
    ref_t nref = node_ref(sl, n);
    /* acquire: the node an entry names is read (compared) below */
    ref_t cur = atomic_load_explicit(e, memory_order_acquire);
    while (cur == 0 || node_cmp(sl, node_at(sl, cur), k) < 0) {
        /* CAS, release on success: publishes n (fully linked) to searches that acquire
         * the entry (invariant F); acquire on failure: the new entry is compared next.
         * Fails when another insert moved the entry meanwhile: retry only while that
         * node is still before n, so the entry ends on the largest of the racing nodes. */
        if (atomic_compare_exchange_weak_explicit(e, &cur, nref, memory_order_release,
                                                  memory_order_acquire))
            return;
    }
}

#endif
