/* lsmt_skiplist_validate: the full invariant check, O(n). One pass over level 0 checks
 * the order (invariant 1), that every tower agrees with level 0 (invariant 2), the slots'
 * prefixes (invariant S), the NEWER bits (invariant V), the length encodings, and the
 * finger table exactly (invariant F). REQUIRES no insert in flight, so every link and
 * every finger entry has converged. */
#include "skiplist/finger.h"

/* Is reference r a plausible node of sl (inside the arena, room for its header)? */
static bool ref_ok(const lsmt_skiplist *sl, ref_t r)
{
    size_t off = ((size_t)r - 1) * LINK_UNIT;
    return r != 0 && off <= sl->capacity - NODE_FIXED;
}

/* The walk's state: cursor[i] is the next node expected at level i, cursor_o[i] the node
 * (or the head) whose slot leads to it, cursor_m[i] the meta that slot holds. A node of height h
 * must be exactly the expected node of levels 1..h-1 (invariant 2: each level is a subsequence of
 * level 0, in the same order); a level that holds a node missing from level 0, out of order or too
 * short leaves its cursor stuck, which the final check catches. For the finger table
 * (invariant F): `named` counts the tall nodes that the entry of their range names; every
 * nonzero entry must be one of them. */
typedef struct walk {
    unsigned height;
    ref_t cursor[LSMT_SKIPLIST_MAX_HEIGHT];
    const char *cursor_o[LSMT_SKIPLIST_MAX_HEIGHT];
    uint32_t cursor_m[LSMT_SKIPLIST_MAX_HEIGHT];
    const char *prev;
    size_t named;
    uint32_t last_b; /* range of the last tall node with one: ranges never decrease */
} walk;

/* One node's own fields: plausible header of the list's format, length encoding
 * canonical, key and value inside the arena. */
static bool node_fields_ok(const lsmt_skiplist *sl, const walk *w, const char *n)
{
    if (!node_plausible(sl, (const lsmt_skiplist_node *)n) || node_height(n) > w->height ||
        !node_key_fits(sl, n))
        return false;
    size_t off = (uintptr_t)n - sl->base;
    size_t vlen;
    if (sl->encoded) {
        /* published entries were parsed; the value (varint and bytes) ends inside the
         * arena (decoded against the arena's end, not trusted) */
        const unsigned char *end = (const unsigned char *)sl->base + sl->capacity;
        const unsigned char *p = node_key(n) + node_klen(n) + TAIL_BYTES;
        uint32_t v;
        size_t b = varint32_decode(p, end, &v);
        return (node_meta(n) & META_PARSED) && b != 0 && v <= (size_t)(end - p) - b;
    }
    bool long_form; /* node_key_fits: the tail word lies inside the arena */
    kv_value(node_key(n), node_klen(n), &vlen, &long_form);
    return node_body_bytes(node_klen(n), vlen) <= sl->capacity - off &&
           long_form == (vlen > VLEN_SHORT_MAX); /* the encoding must be canonical */
}

/* Check node n (reference r) against the walk so far and advance the walk past it. */
static bool walk_node(const lsmt_skiplist *sl, walk *w, const char *n, ref_t r)
{
    if (!node_fields_ok(sl, w, n))
        return false;
    bool newer = false; /* does a version of n's key precede it? */
    if (w->prev != NULL) {
        skey k;
        skey_of_node(sl, &k, n);
        int c = node_cmp(sl, w->prev, &k);
        if (c >= 0)
            return false; /* invariant 1 */
        newer = c == -SAME_KEY_AFTER;
    }
    if (node_has_newer(n) != newer)
        return false; /* invariant V, exact once no insert is in flight */
    unsigned h = node_height(n);
    if (sl->finger != NULL && h >= FINGER_MIN_HEIGHT) {
        skey k;
        skey_of_node(sl, &k, n);
        uint32_t b = finger_key_range(sl, k.p, k.len, k.prefix, k.prefix2);
        if (b != FINGER_NONE) {
            if (b >= sl->finger_n || (w->last_b != FINGER_NONE && b < w->last_b))
                return false; /* ranges are monotone */
            w->last_b = b;
            /* relaxed: no insert in flight, every entry has converged */
            if (b + 1 < sl->finger_n &&
                atomic_load_explicit(&sl->finger[b + 1], memory_order_relaxed) == r)
                w->named++;
        }
    }
    for (unsigned i = 1; i < h; i++) {
        if (w->cursor[i] != r || w->cursor_m[i] != slot_meta_between(sl, w->cursor_o[i], n))
            return false; /* invariant 2; invariant S: the slot that led here holds the meta
                           * of its owner and n */
        slot_t s = slot_load_acquire(n, i);
        w->cursor[i] = slot_ref(s);
        w->cursor_o[i] = n;
        w->cursor_m[i] = slot_meta(s);
    }
    w->prev = n;
    return true;
}

lsmt_status lsmt_skiplist_validate(const lsmt_skiplist *sl, size_t *count)
{
    if (sl == NULL)
        return LSMT_INVALID;
    walk w = {.height = list_height(sl), .last_b = FINGER_NONE};
    if (w.height < 1 || w.height > sl->max_height)
        return LSMT_CORRUPT;
    for (unsigned i = 0; i < LSMT_SKIPLIST_MAX_HEIGHT; i++) {
        slot_t s = slot_load_acquire(head_of(sl), i);
        w.cursor[i] = slot_ref(s);
        w.cursor_o[i] = head_of(sl);
        w.cursor_m[i] = i > 0 ? slot_meta(s) : 0;
        if (i >= w.height && s != 0)
            return LSMT_CORRUPT;
    }
    size_t limit = sl->capacity / NODE_FIXED + 1; /* a longer walk means a cycle */
    size_t n0 = 0;
    for (ref_t r = w.cursor[0]; r != 0;) {
        if (!ref_ok(sl, r) || ++n0 > limit)
            return LSMT_CORRUPT;
        const char *n = node_at(sl, r);
        if (!walk_node(sl, &w, n, r))
            return LSMT_CORRUPT;
        r = link_load_acquire(n, 0);
    }
    for (unsigned i = 1; i < w.height; i++)
        if (w.cursor[i] != 0 || w.cursor_m[i] != 0)
            return LSMT_CORRUPT; /* a null link's meta is 0 */
    if (sl->finger != NULL) {
        size_t nonzero = 0;
        for (uint32_t b = 0; b < sl->finger_n; b++)
            nonzero += atomic_load_explicit(&sl->finger[b], memory_order_relaxed) != 0;
        if (nonzero != w.named)
            return LSMT_CORRUPT; /* an entry names no tall node of its range in the list */
    }
    if (count != NULL)
        *count = n0;
    return LSMT_OK;
}
