/* Memtable iterators over the skip list (see lsmt/memtable.h).
 *
 * An iterator is a skip-list iterator plus the memtable's view rules:
 *  - INTERNAL walks every node. seek(k) = first node >= (k, UINT64_MAX) (the newest
 *    version of the first key >= k); seek_for_prev(k) = last node <= (k, 0) (the oldest
 *    version of the last key <= k).
 *  - SNAPSHOT stops on one node per user key: the newest version with seq <= snapshot,
 *    unless it is a tombstone. Forward, after landing on key K it skips K's remaining
 *    versions (skip_key: O(1) for few versions, O(log n) for many) and "settles": a node newer than
 * the snapshot jumps with one seek to (K, snapshot); a visible tombstone skips K. Backward, it
 * steps to the previous key's oldest version (seek_for_prev (K, UINT64_MAX): the last node before
 * every version of K), then seeks (K', snapshot) to find K''s visible version, and repeats while
 * that is missing or a tombstone. So prev costs O(log n) per key visited.
 *  - Bounds (lower inclusive, upper exclusive) are copied at create and checked after
 *    every move.
 *  - Range tombstones: SNAPSHOT treats a put hidden by a newer visible range tombstone
 *    (lsmt_mt_range_hides, memtable/range_del.h) as it treats a tombstone, in both
 *    directions. With none, that is one load of the tombstone count per key; with some,
 *    one binary search in the fragmented view per key visited.
 * Snapshot point-in-time (invariant 1): a node with seq > snapshot is never the
 * position of a SNAPSHOT iterator, whenever it was inserted.
 *
 * Protection and paranoid checks (memtable/protect.h, skiplist/checked.h): the entry an
 * iterator stops on is verified (verified_stop), and so is a SNAPSHOT iterator's visible
 * tombstone or too-new version before it moves on because of it; with paranoid_checks
 * every skip-list move goes through the checked walk (the sl_* wrappers). Either failing
 * leaves the iterator not valid and returns LSMT_CORRUPTION.
 *
 * Every positioning call runs in an RCU read section; in addition an open iterator is
 * counted in open_iters, which makes reset_all return LSMT_BUSY (memtable.c), so the
 * nodes an iterator points to stay valid between calls.
 */
#include <stdlib.h>

#include "memtable/memtable_internal.h"
#include "memtable/range_del.h"
#include "skiplist/checked.h"

struct lsmt_memtable_iter {
    lsmt_memtable *mt;
    lsmt_skiplist_iter it;
    lsmt_iter_kind kind;
    uint64_t snapshot;
    bool has_lower, has_upper;
    const void *lower; /* copies, in this allocation */
    size_t lower_len;
    const void *upper;
    size_t upper_len;
};

void lsmt_memtable_iter_options_default(lsmt_memtable_iter_options *opt)
{
    if (opt == NULL)
        return;
    memset(opt, 0, sizeof *opt);
    opt->kind = LSMT_ITER_SNAPSHOT;
    opt->snapshot = LSMT_MAX_SEQUENCE;
}

lsmt_status lsmt_memtable_iter_create(lsmt_memtable *mt, const lsmt_memtable_iter_options *opt,
                                      lsmt_memtable_iter **out)
{
    lsmt_memtable_iter_options o;
    if (mt == NULL || out == NULL)
        return LSMT_INVALID;
    if (opt == NULL)
        lsmt_memtable_iter_options_default(&o);
    else
        o = *opt;
    if (o.kind != LSMT_ITER_INTERNAL && o.kind != LSMT_ITER_SNAPSHOT)
        return LSMT_INVALID;
    if (o.lower_len > LSMT_MEMTABLE_MAX_KEY_LEN || o.upper_len > LSMT_MEMTABLE_MAX_KEY_LEN)
        return LSMT_INVALID;
    if ((o.lower_bound == NULL && o.lower_len != 0) || (o.upper_bound == NULL && o.upper_len != 0))
        return LSMT_INVALID; /* NULL with a length, as everywhere else */
    if (o.snapshot > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    size_t ll = o.lower_bound ? o.lower_len : 0, ul = o.upper_bound ? o.upper_len : 0;
    lsmt_memtable_iter *it = malloc(sizeof *it + ll + ul);
    if (it == NULL)
        return LSMT_NOMEM;
    char *extra = (char *)(it + 1);
    it->mt = mt;
    it->kind = o.kind;
    it->snapshot = o.snapshot;
    it->has_lower = o.lower_bound != NULL;
    it->has_upper = o.upper_bound != NULL;
    if (ll)
        memcpy(extra, o.lower_bound, ll);
    if (ul)
        memcpy(extra + ll, o.upper_bound, ul);
    it->lower = extra;
    it->lower_len = ll;
    it->upper = extra + ll;
    it->upper_len = ul;
    lsmt_skiplist_iter_init(&it->it, mt->sl);
    /* seq_cst: the Dekker pair with reset_all (see there): we count ourselves, then
     * look for RESET_PENDING; reset_all sets RESET_PENDING, then looks at the count. */
    atomic_fetch_add_explicit(&mt->open_iters, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&mt->state, memory_order_seq_cst) & LSMT_MT_RESET_PENDING) {
        /* release: nothing was read; keeps every decrement a release. */
        atomic_fetch_sub_explicit(&mt->open_iters, 1, memory_order_release);
        free(it);
        return LSMT_BUSY;
    }
    *out = it;
    return LSMT_OK;
}

void lsmt_memtable_iter_destroy(lsmt_memtable_iter *it)
{
    if (it == NULL)
        return;
    /* release: every node read through this iterator happens-before a reset_all that
     * sees the count drop (its seq_cst load of open_iters). */
    atomic_fetch_sub_explicit(&it->mt->open_iters, 1, memory_order_release);
    free(it);
}

bool lsmt_memtable_iter_valid(const lsmt_memtable_iter *it)
{
    return it != NULL && (lsmt_skiplist_iter_node(&it->it) != NULL);
}

/* ---- helpers (inside a read section) ------------------------------------------------ */

static inline const void *cur_key(const lsmt_memtable_iter *it, size_t *len)
{
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it->it), &se);
    *len = se.klen;
    return se.key;
}

static bool past_upper(const lsmt_memtable_iter *it, const void *k, size_t kl)
{
    return it->has_upper && it->mt->cmp(it->mt->cmp_ctx, k, kl, it->upper, it->upper_len) >= 0;
}

static bool before_lower(const lsmt_memtable_iter *it, const void *k, size_t kl)
{
    return it->has_lower && it->mt->cmp(it->mt->cmp_ctx, k, kl, it->lower, it->lower_len) < 0;
}

/* Make the skip-list iterator not valid. */
static lsmt_status set_end(lsmt_memtable_iter *it)
{
    lsmt_skiplist_iter_init(&it->it, it->mt->sl);
    return LSMT_END;
}

/* After a failed skip-list move: not valid; LSMT_CORRUPTION passes through. */
static lsmt_status set_end_st(lsmt_memtable_iter *it, lsmt_status st)
{
    set_end(it);
    return st == LSMT_CORRUPTION ? st : LSMT_END;
}

/* Verify decoded entry e before the iterator stops on it, or moves on because of it
 * (protect.h): LSMT_OK, or LSMT_CORRUPTION with the iterator not valid. */
static lsmt_status verified_stop(lsmt_memtable_iter *it, const lsmt_mt_entry *e)
{
    if (LSMT_LIKELY(it->mt->prot == 0) || lsmt_mt_verify(it->mt, e) == LSMT_OK)
        return LSMT_OK;
    set_end(it);
    return LSMT_CORRUPTION;
}

/* Order of the node s stands on against (k, v): key asc under the memtable's
 * comparator, then sequence desc. */
static int order_vs(const lsmt_memtable_iter *it, const lsmt_skiplist_iter *s, const void *k,
                    size_t kl, uint64_t v)
{
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(s), &se);
    int c = it->mt->cmp(it->mt->cmp_ctx, se.key, se.klen, k, kl);
    return c != 0 ? c : se.version > v ? -1 : se.version < v ? 1 : 0;
}

/* The skip-list moves: the checked walk with paranoid_checks (skiplist/checked.h),
 * else the skip list's own, whose result is still checked to lie on its side of the
 * target (seek: at or after, seek_for_prev: at or before, prev: strictly before): one
 * comparison per seek or prev, against an O(log n) search. Together with level 0's
 * forward steps this makes every iterator move strictly monotone in the order the
 * nodes' keys claim, so no iterator loops over a damaged key (a search that meets one
 * can otherwise send a prev forward); a broken result is LSMT_CORRUPTION. */
static lsmt_status sl_seek(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s, const void *k,
                           size_t kl, uint64_t v)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_seek(s, k, kl, v, LSMT_SL_GE);
    lsmt_status st = lsmt_skiplist_iter_seek(s, k, kl, v);
    if (LSMT_UNLIKELY(st == LSMT_OK && order_vs(it, s, k, kl, v) < 0))
        return LSMT_CORRUPTION;
    return st;
}
static lsmt_status sl_seek_for_prev(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s,
                                    const void *k, size_t kl, uint64_t v)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_seek(s, k, kl, v, LSMT_SL_LE);
    lsmt_status st = lsmt_skiplist_iter_seek_for_prev(s, k, kl, v);
    if (LSMT_UNLIKELY(st == LSMT_OK && order_vs(it, s, k, kl, v) > 0))
        return LSMT_CORRUPTION;
    return st;
}
static lsmt_status sl_next(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_next(s);
    return lsmt_skiplist_iter_next(s);
}
static lsmt_status sl_prev(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_prev(s);
    lsmt_skiplist_entry cur;
    lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(s), &cur);
    lsmt_status st = lsmt_skiplist_iter_prev(s);
    if (st == LSMT_OK && order_vs(it, s, cur.key, cur.klen, cur.version) >= 0)
        return LSMT_CORRUPTION;
    return st;
}
static lsmt_status sl_first(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_seek(s, NULL, 0, 0, LSMT_SL_FIRST);
    return lsmt_skiplist_iter_seek_to_first(s);
}
static lsmt_status sl_last(const lsmt_memtable_iter *it, lsmt_skiplist_iter *s)
{
    if (LSMT_UNLIKELY(it->mt->paranoid))
        return lsmt_sl_checked_last(s);
    return lsmt_skiplist_iter_seek_to_last(s);
}

/* Move forward past every remaining version of `key` (the current node's key): a few
 * next steps (most keys have few versions), then one seek to (key, 0), the last
 * possible entry of the key, so a key with many versions costs O(log n), not O(n). */
static lsmt_status skip_key(lsmt_memtable_iter *it, const void *key, size_t klen)
{
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it->it), &se);
    for (int i = 0; i < 4; i++) {
        uint64_t newer = se.version;
        lsmt_status st = sl_next(it, &it->it);
        if (st != LSMT_OK)
            return st;
        lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it->it), &se);
        if (!lsmt_mt_key_eq(it->mt, se.key, se.klen, key, klen))
            return LSMT_OK;
        /* the versions it skips unverified must at least descend (a key damaged into
         * an equal one shows up here as a version out of order) */
        if (LSMT_UNLIKELY(se.version >= newer))
            return LSMT_CORRUPTION;
    }
    lsmt_status st = sl_seek(it, &it->it, key, klen, 0);
    if (st != LSMT_OK)
        return st;
    size_t kl;
    const void *k = cur_key(it, &kl);
    if (lsmt_mt_key_eq(it->mt, k, kl, key, klen))
        return sl_next(it, &it->it); /* stood on (key, 0) itself */
    return LSMT_OK;
}

/* After a forward move: check the upper bound (and, for SNAPSHOT, settle). */
static lsmt_status settle_fwd(lsmt_memtable_iter *it, lsmt_status st)
{
    for (;;) {
        if (st != LSMT_OK)
            return set_end_st(it, st);
        lsmt_mt_entry e;
        lsmt_mt_decode(it->mt, lsmt_skiplist_iter_node(&it->it), &e);
        if (past_upper(it, e.key, e.klen))
            return set_end(it);
        if (it->kind == LSMT_ITER_INTERNAL)
            return verified_stop(it, &e);
        if (e.seq > it->snapshot) {
            /* Newer than the snapshot: jump to this key's newest visible version (or
             * the next key). The node's key bytes stay valid (pinned). */
            if (verified_stop(it, &e) != LSMT_OK)
                return LSMT_CORRUPTION;
            st = sl_seek(it, &it->it, e.key, e.klen, it->snapshot);
            continue;
        }
        LSMT_ASSERT(e.seq <= it->snapshot); /* invariant 1 */
        if (verified_stop(it, &e) != LSMT_OK)
            return LSMT_CORRUPTION;
        if (e.type == LSMT_TYPE_PUT) {
            int h = lsmt_mt_range_hides(it->mt, e.key, e.klen, it->snapshot, e.seq);
            if (h == LSMT_RT_NONE)
                return LSMT_OK;
            if (h == LSMT_RT_CORRUPT)
                return set_end_st(it, LSMT_CORRUPTION);
        }
        /* A visible tombstone, or a range tombstone newer than this version: skip every
         * older version of this key. */
        st = skip_key(it, e.key, e.klen);
    }
}

/* After a backward move: check the lower bound (and, for SNAPSHOT, settle on the
 * visible version of the key, moving to earlier keys while there is none). */
static lsmt_status settle_bwd(lsmt_memtable_iter *it, lsmt_status st)
{
    for (;;) {
        if (st != LSMT_OK)
            return set_end_st(it, st);
        size_t kl;
        const void *k = cur_key(it, &kl);
        if (before_lower(it, k, kl))
            return set_end(it);
        if (it->kind == LSMT_ITER_INTERNAL || LSMT_UNLIKELY(it->mt->prot != 0)) {
            /* the stop of an INTERNAL iterator; for SNAPSHOT the node whose key decides
             * the probe below (a damaged key would send it elsewhere) */
            lsmt_mt_entry e;
            lsmt_mt_decode(it->mt, lsmt_skiplist_iter_node(&it->it), &e);
            lsmt_status vs = verified_stop(it, &e);
            if (vs != LSMT_OK || it->kind == LSMT_ITER_INTERNAL)
                return vs;
        }
        lsmt_skiplist_iter probe = it->it;
        lsmt_status ps = sl_seek(it, &probe, k, kl, it->snapshot);
        if (ps == LSMT_CORRUPTION)
            return set_end_st(it, ps);
        if (ps == LSMT_OK) {
            lsmt_mt_entry e;
            lsmt_mt_decode(it->mt, lsmt_skiplist_iter_node(&probe), &e);
            if (lsmt_mt_key_eq(it->mt, e.key, e.klen, k, kl)) {
                /* the visible version (a put to stop on, or a tombstone or a put under a
                 * newer range tombstone, either of which skips k) */
                if (verified_stop(it, &e) != LSMT_OK)
                    return LSMT_CORRUPTION;
                if (e.type == LSMT_TYPE_PUT) {
                    int h = lsmt_mt_range_hides(it->mt, e.key, e.klen, it->snapshot, e.seq);
                    if (h == LSMT_RT_CORRUPT)
                        return set_end_st(it, LSMT_CORRUPTION);
                    if (h == LSMT_RT_NONE) {
                        it->it = probe;
                        return LSMT_OK;
                    }
                }
            }
        }
        /* No visible version, a tombstone or a covering range tombstone: the previous
         * key's oldest version. */
        st = sl_seek_for_prev(it, &it->it, k, kl, UINT64_MAX);
    }
}

static lsmt_status to_last(lsmt_memtable_iter *it)
{
    lsmt_status st;
    if (it->has_upper)
        st = sl_seek_for_prev(it, &it->it, it->upper, it->upper_len, UINT64_MAX);
    else
        st = sl_last(it, &it->it);
    return settle_bwd(it, st);
}

static lsmt_status to_seek(lsmt_memtable_iter *it, const void *key, size_t klen)
{
    if (before_lower(it, key, klen)) {
        key = it->lower;
        klen = it->lower_len;
    }
    uint64_t v = it->kind == LSMT_ITER_SNAPSHOT ? it->snapshot : UINT64_MAX;
    return settle_fwd(it, sl_seek(it, &it->it, key, klen, v));
}

/* ---- positioning calls: validate, then run one helper in a read section ------------- */

enum move { M_FIRST, M_LAST, M_SEEK, M_SEEK_PREV, M_NEXT, M_PREV };

static lsmt_status do_move(lsmt_memtable_iter *it, enum move m, const void *key, size_t klen)
{
    if (it == NULL)
        return LSMT_INVALID;
    if ((m == M_SEEK || m == M_SEEK_PREV) && lsmt_mt_bad_key(key, klen))
        return LSMT_INVALID;
    if ((m == M_NEXT || m == M_PREV) && !(lsmt_skiplist_iter_node(&it->it) != NULL))
        return LSMT_INVALID;
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    lsmt_status st = LSMT_INVALID;
    size_t kl;
    const void *k;
    switch (m) {
    case M_FIRST:
        /* The lower bound, else the list's first node: "" is not the smallest key
         * under every comparator (a reverse order puts it last). */
        if (it->has_lower)
            st = to_seek(it, it->lower, it->lower_len);
        else
            st = settle_fwd(it, sl_first(it, &it->it));
        break;
    case M_LAST:
        st = to_last(it);
        break;
    case M_SEEK:
        st = to_seek(it, key, klen);
        break;
    case M_SEEK_PREV:
        if (past_upper(it, key, klen))
            st = to_last(it);
        else
            st = settle_bwd(it, sl_seek_for_prev(it, &it->it, key, klen, 0));
        break;
    case M_NEXT:
        if (it->kind == LSMT_ITER_INTERNAL) {
            st = settle_fwd(it, sl_next(it, &it->it));
            break;
        }
        /* SNAPSHOT: leave the current key (its older versions), then settle. */
        k = cur_key(it, &kl);
        st = settle_fwd(it, skip_key(it, k, kl));
        break;
    case M_PREV:
        if (it->kind == LSMT_ITER_INTERNAL) {
            st = settle_bwd(it, sl_prev(it, &it->it));
            break;
        }
        k = cur_key(it, &kl);
        st = settle_bwd(it, sl_seek_for_prev(it, &it->it, k, kl, UINT64_MAX));
        break;
    }
    lsmt_mt_end(it->mt);
    return st;
}

lsmt_status lsmt_memtable_iter_seek_to_first(lsmt_memtable_iter *it)
{
    return do_move(it, M_FIRST, NULL, 0);
}
lsmt_status lsmt_memtable_iter_seek_to_last(lsmt_memtable_iter *it)
{
    return do_move(it, M_LAST, NULL, 0);
}
lsmt_status lsmt_memtable_iter_seek(lsmt_memtable_iter *it, const void *key, size_t klen)
{
    return do_move(it, M_SEEK, key, klen);
}
lsmt_status lsmt_memtable_iter_seek_for_prev(lsmt_memtable_iter *it, const void *key, size_t klen)
{
    return do_move(it, M_SEEK_PREV, key, klen);
}
lsmt_status lsmt_memtable_iter_next(lsmt_memtable_iter *it)
{
    return do_move(it, M_NEXT, NULL, 0);
}
lsmt_status lsmt_memtable_iter_prev(lsmt_memtable_iter *it)
{
    return do_move(it, M_PREV, NULL, 0);
}

lsmt_status lsmt_memtable_iter_entry(const lsmt_memtable_iter *it, const void **key, size_t *klen,
                                     uint64_t *seq, lsmt_entry_type *type, const void **value,
                                     size_t *vlen)
{
    if (it == NULL || !(lsmt_skiplist_iter_node(&it->it) != NULL))
        return LSMT_INVALID;
    /* No read section needed: the open iterator pins the memory (reset_all -> BUSY). */
    lsmt_mt_entry e;
    lsmt_mt_decode(it->mt, lsmt_skiplist_iter_node(&it->it), &e);
    if (key)
        *key = e.key;
    if (klen)
        *klen = e.klen;
    if (seq)
        *seq = e.seq;
    if (type)
        *type = e.type;
    if (value)
        *value = e.value;
    if (vlen)
        *vlen = e.vlen;
    return LSMT_OK;
}
