/* The finger table (bytewise lists): searches and inserts start from a tall node just
 * before their key, found in a small table, instead of from the head -- on a list far
 * larger than the cache this skips the ~10 upper levels a search from the head walks.
 *
 * The key space is cut into finger_n ranges by the first 4 key bytes (prefix32, as in
 * the upper slots): range(p) = p * finger_n / 2^32, which is monotone in p, so a key in a
 * lower range is smaller than every key in a higher one. Entry b of the table holds the
 * largest node of height >= FINGER_MIN_HEIGHT whose key is in range b - 1 (0 = none yet).
 *
 * Invariant F (skiplist.h invariant 7): a nonzero entry b references a node of this list
 * that is linked at all its levels, of height >= FINGER_MIN_HEIGHT, whose key lies in a
 * range < b. Hence for a key k in range >= b the node is before k, and a search for k
 * may start there (at its top level) instead of at the head: every level is a
 * subsequence of level 0, so a search from any node before k finds what a search from
 * the head finds. Entries only move forward (to larger nodes of the same range) until
 * reset, which clears them.
 *
 * An entry is written only after its node is linked at every level (finger_note, at the
 * end of an insert), with a release CAS; searches load it with acquire, so the node's
 * fields and links are visible to them (as an acquire of a link would make them). */
#ifndef LSMT_SKIPLIST_FINGER_H
#define LSMT_SKIPLIST_FINGER_H

#include "skiplist/search.h"

#define FINGER_MIN_HEIGHT 2
#define FINGER_MAX        ((size_t)1 << 26) /* entries: 256 MiB of table at most */

static inline uint32_t finger_range(const lsmt_skiplist *sl, uint32_t prefix32)
{
    return (uint32_t)(((uint64_t)prefix32 * sl->finger_n) >> 32);
}

/* Where a search for k starts: a node before k from the table, with *level its top level
 * (capped by the list height), or the head at the list's top level. */
HOT const char *finger_start(const lsmt_skiplist *sl, const skey *k, unsigned *level)
{
    unsigned lh = list_height(sl);
    if (sl->finger != NULL && k->hints) {
        uint32_t b = finger_range(sl, k->prefix32);
        /* acquire: pairs with the release CAS in finger_note (invariant F) */
        ref_t r = atomic_load_explicit(&sl->finger[b], memory_order_acquire);
        if (r == 0 && b > 0) /* range b - 1 had no tall node: entry b - 1 is also before k */
            r = atomic_load_explicit(&sl->finger[b - 1], memory_order_acquire);
        if (r != 0) {
            const char *x = node_at(sl, r);
            unsigned hx = node_height(x);
            LSMT_ASSERT(hx >= FINGER_MIN_HEIGHT); /* invariant F */
            *level = (hx < lh ? hx : lh) - 1;
            return x;
        }
    }
    *level = lh - 1;
    return head_of(sl);
}

/* After node n (key k, height h) is linked at all its levels: make it entry
 * range(k) + 1 unless that entry already holds a larger node. */
static inline void finger_note(lsmt_skiplist *sl, const char *n, const skey *k, unsigned h)
{
    if (sl->finger == NULL || h < FINGER_MIN_HEIGHT)
        return;
    uint32_t b = finger_range(sl, k->prefix32) + 1;
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
