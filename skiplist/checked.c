/* The checked walk (skiplist/checked.h): a plain top-down search, without the fast
 * search's key-prefix slots, fingers or read-ahead, that checks each node before it
 * reads its key and each link's order before it follows it. Used only by the
 * memtable's paranoid_checks, so it is written for clarity, not speed. */
#include "skiplist/checked.h"

#include "skiplist/list.h"

bool lsmt_sl_node_sane(const lsmt_skiplist *sl, const lsmt_skiplist_node *node)
{
    /* bounds, alignment, height and tower (list.h) -- read before anything else */
    if (sl->encoded || !node_plausible(sl, node))
        return false;
    const char *n = (const char *)node;
    /* the key and version word inside the arena, and a KV node (no ENCODED bit) */
    if (!node_key_fits(sl, n))
        return false;
    size_t off = (uintptr_t)n - sl->base;
    size_t room = sl->capacity - off - (HDR_KEY + node_klen(n) + TAIL_BYTES);
    uint64_t w;
    memcpy(&w, n + HDR_KEY + node_klen(n), sizeof w);
    size_t vlen = (size_t)(w >> TAIL_VLEN_SHIFT), extra = 0;
    if (vlen == VLEN_LONG) {
        if (room < VLEN_LONG_BYTES)
            return false;
        uint32_t v;
        memcpy(&v, n + HDR_KEY + node_klen(n) + TAIL_BYTES, sizeof v);
        vlen = v;
        extra = VLEN_LONG_BYTES;
    }
    return vlen <= room - extra;
}

/* Order of node n against (key, version): < 0, 0, > 0 (key asc, version desc). */
static int cmp_node_key(const lsmt_skiplist *sl, const char *n, const void *key, size_t klen,
                        uint64_t version)
{
    const unsigned char *nk = node_key(n);
    size_t nkl = node_klen(n);
    int c = sl->compare ? sl->compare(sl->compare_ctx, nk, nkl, key, klen)
                        : lsmt_bytewise_compare(NULL, nk, nkl, key, klen);
    if (c != 0)
        return c;
    uint64_t v = node_ver(n);
    return v > version ? -1 : v < version ? 1 : 0;
}

/* Does y order strictly after x (two sane nodes)? */
static bool after(const lsmt_skiplist *sl, const char *x, const char *y)
{
    return cmp_node_key(sl, y, node_key(x), node_klen(x), node_ver(x)) > 0;
}

static lsmt_status land(lsmt_skiplist_iter *it, const char *n)
{
    iter_state *s = (iter_state *)it;
    s->run = 0;
    s->armed = 0;
    s->stop1 = 0;
    s->node = n;
    return n ? LSMT_OK : LSMT_END;
}

static lsmt_status corrupt(lsmt_skiplist_iter *it)
{
    land(it, NULL);
    return LSMT_CORRUPTION;
}

/* Take the node at the end of x's level-i link: NULL with *st = LSMT_OK for a null
 * link, NULL with *st = LSMT_CORRUPTION for a node that fails checked.h's 1 or 2. */
static const char *follow(const lsmt_skiplist *sl, const char *x, bool x_is_head, unsigned i,
                          lsmt_status *st)
{
    *st = LSMT_OK;
    ref_t r = link_load_acquire(x, i);
    if (r == 0)
        return NULL;
    /* node_at on a reference past the arena is only arithmetic; sane checks it first */
    const char *y = (const char *)(sl->base_m1 + (uintptr_t)r * LINK_UNIT);
    if (!lsmt_sl_node_sane(sl, (const lsmt_skiplist_node *)y) || node_height(y) <= i ||
        (!x_is_head && !after(sl, x, y))) {
        *st = LSMT_CORRUPTION;
        return NULL;
    }
    return y;
}

lsmt_status lsmt_sl_checked_seek(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                 uint64_t version, lsmt_sl_goal goal)
{
    const lsmt_skiplist *sl = ((iter_state *)it)->list;
    const char *x = head_of(sl), *ge = NULL;
    bool x_is_head = true;
    unsigned h = list_height(sl);
    if (h == 0 || h > sl->max_height)
        return corrupt(it);
    for (unsigned i = h; i-- > 0;) {
        for (;;) {
            lsmt_status st;
            const char *y = follow(sl, x, x_is_head, i, &st);
            if (st != LSMT_OK)
                return corrupt(it);
            ge = y;
            if (y == NULL || goal == LSMT_SL_FIRST)
                break;
            int c = goal == LSMT_SL_LAST ? -1 : cmp_node_key(sl, y, key, klen, version);
            if (goal == LSMT_SL_LE ? c > 0 : c >= 0)
                break; /* y is at or past the target: go down */
            x = y;
            x_is_head = false;
        }
    }
    /* ge, the node that ended the walk at level 0, was checked by follow against its
     * predecessor; check it against its successor too, so that a node whose key was
     * damaged upwards (it now stops the searches of the keys after it) is caught where
     * those searches stop, forward or backward */
    lsmt_status st = LSMT_OK;
    if (ge != NULL)
        follow(sl, ge, false, 0, &st);
    if (st != LSMT_OK)
        return corrupt(it);
    if (goal == LSMT_SL_GE || goal == LSMT_SL_FIRST)
        return land(it, ge);
    return land(it, x_is_head ? NULL : x);
}

lsmt_status lsmt_sl_checked_last(lsmt_skiplist_iter *it)
{
    return lsmt_sl_checked_seek(it, NULL, 0, 0, LSMT_SL_LAST);
}

lsmt_status lsmt_sl_checked_next(lsmt_skiplist_iter *it)
{
    iter_state *s = (iter_state *)it;
    if (s->node == NULL)
        return LSMT_INVALID;
    lsmt_status st;
    const char *y = follow(s->list, s->node, false, 0, &st);
    if (st != LSMT_OK)
        return corrupt(it);
    return land(it, y);
}

lsmt_status lsmt_sl_checked_prev(lsmt_skiplist_iter *it)
{
    iter_state *s = (iter_state *)it;
    if (s->node == NULL)
        return LSMT_INVALID;
    const char *n = s->node;
    return lsmt_sl_checked_seek(it, node_key(n), node_klen(n), node_ver(n), LSMT_SL_LT);
}
