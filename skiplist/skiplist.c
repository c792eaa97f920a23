/* lsmt_skiplist: a lock-free, insert-only skip list over the sharded concurrent arena
 * (include/lsmt/skiplist.h). This file holds the list's lifecycle -- create, reset,
 * destroy, statistics -- and the point lookups; list.h maps the other files.
 *
 * Concurrency model (the details live with the code that relies on them)
 *  - Inserters find a splice, then link the node bottom-up with one CAS per level, level
 *    0 first (insert.c).
 *  - Readers only load links with acquire and never write: they never block and never
 *    see a half-built node, because every node field is written before the release CAS
 *    (or release store, insert_serial) that makes the node reachable (search.h).
 *  - The list height only grows (relaxed CAS); a reader that sees an old height starts
 *    lower, which is correct because every level is a subsequence of level 0.
 *  - reset and destroy require that no other call is in flight. */
#include <stdlib.h>

#include "arena/concurrent_internal.h"
#include "skiplist/finger.h"
#include "skiplist/skiplist_internal.h"

/* Source of list ids and of reset epochs. relaxed: only the uniqueness of the values
 * matters. */
static _Atomic uint64_t list_id_counter;
static _Atomic uint64_t epoch_counter;

static uint64_t new_epoch(void)
{
    return atomic_fetch_add_explicit(&epoch_counter, 1, memory_order_relaxed) + 1;
}

void lsmt_skiplist_options_default(lsmt_skiplist_options *opt)
{
    if (opt == NULL)
        return;
    opt->arena = NULL;
    opt->compare = NULL;
    opt->compare_ctx = NULL;
    opt->max_height = 0;
    opt->finger_bytes = 0;
    opt->format = LSMT_SKIPLIST_FORMAT_KV;
}

static void list_clear(lsmt_skiplist *sl)
{
    for (unsigned i = 0; i + 1 < LSMT_SKIPLIST_MAX_HEIGHT; i++) {
        /* relaxed: reset/create run with no other call in flight (skiplist.h); the
         * caller's own synchronisation (thread start, a lock) publishes this state. */
        atomic_store_explicit(&sl->head.up[i], 0, memory_order_relaxed);
    }
    /* relaxed: as above */
    atomic_store_explicit(&sl->head.l0, 0, memory_order_relaxed);
    /* relaxed: as above */
    atomic_store_explicit(&sl->height, 1, memory_order_relaxed);
    lsmt_skiplist_hint_init((lsmt_skiplist_hint *)&sl->serial_splice);
    /* plain stores: as above, nothing reads the table while the list is reset */
    if (sl->finger != NULL) {
        memset((void *)sl->finger, 0, sizeof(ref_t) * sl->finger_n);
        finger_map_clear(sl->finger_map);
    }
}

/* Enough levels for the most nodes an arena of `cap` bytes can hold (smallest node: a
 * bare 16-byte node): 4^(mh-1) >= cap / NODE_FIXED, at most LSMT_SKIPLIST_MAX_HEIGHT. */
static unsigned height_for(size_t cap)
{
    size_t nodes = cap / NODE_FIXED;
    unsigned mh = 1;
    while (nodes > 1 && mh < LSMT_SKIPLIST_MAX_HEIGHT) {
        nodes = (nodes + 3) / 4;
        mh++;
    }
    return mh;
}

lsmt_status lsmt_skiplist_create(const lsmt_skiplist_options *opt, lsmt_skiplist **out)
{
    if (opt == NULL || out == NULL || opt->arena == NULL)
        return LSMT_INVALID;
    if (opt->max_height > LSMT_SKIPLIST_MAX_HEIGHT ||
        (opt->format != LSMT_SKIPLIST_FORMAT_KV && opt->format != LSMT_SKIPLIST_FORMAT_ENCODED &&
         opt->format != LSMT_SKIPLIST_FORMAT_ENCODED_SEQ))
        return LSMT_INVALID;
    void *base = lsmt_sharded_arena_base_(opt->arena);
    size_t cap = lsmt_sharded_arena_capacity_(opt->arena);
    if (base == NULL || cap == 0 || cap > MAX_ARENA_BYTES)
        return LSMT_INVALID;
    _Atomic ref_t *finger = NULL;
    finger_map *fmap = NULL;
    size_t fn = 0;
    if (opt->compare == NULL || opt->compare == lsmt_bytewise_compare) {
        size_t fb = opt->finger_bytes ? opt->finger_bytes : LSMT_SKIPLIST_FINGER_BYTES_DEFAULT;
        if (fb != SIZE_MAX) {
            fn = cap / fb;
            fn = fn < 1 ? 1 : fn > FINGER_MAX ? FINGER_MAX : fn;
            finger = calloc(fn, sizeof *finger);
            fmap = finger_map_create();
            if (finger == NULL || fmap == NULL) {
                free((void *)finger);
                finger_map_destroy(fmap);
                return LSMT_NOMEM;
            }
        }
    }
    lsmt_skiplist *sl = aligned_alloc(LSMT_CACHE_LINE, sizeof *sl);
    if (sl == NULL) {
        free((void *)finger);
        finger_map_destroy(fmap);
        return LSMT_NOMEM;
    }
    memset(sl, 0, sizeof *sl);
    sl->finger = finger;
    sl->finger_map = fmap;
    sl->finger_n = (uint32_t)fn;
    sl->arena = opt->arena;
    sl->base = (uintptr_t)base;
    sl->base_m1 = (uintptr_t)base - LINK_UNIT;
    sl->capacity = cap;
    sl->compare = opt->compare == lsmt_bytewise_compare ? NULL : opt->compare;
    sl->compare_ctx = opt->compare_ctx;
    sl->encoded = opt->format != LSMT_SKIPLIST_FORMAT_KV;
    sl->ver_shift = opt->format == LSMT_SKIPLIST_FORMAT_ENCODED_SEQ ? 8 : 0;
    sl->max_height = opt->max_height ? opt->max_height : height_for(cap);
    sl->epoch = new_epoch();
    sl->id = atomic_fetch_add_explicit(&list_id_counter, 1, memory_order_relaxed) + 1;
    list_clear(sl);
    *out = sl;
    return LSMT_OK;
}

void lsmt_sl_prefetch_entry_lines(lsmt_skiplist *sl, unsigned lines)
{
    sl->entry_lines = lines < 3 ? lines : 3;
}

void lsmt_skiplist_destroy(lsmt_skiplist *sl)
{
    if (sl != NULL) {
        free((void *)sl->finger);
        finger_map_destroy(sl->finger_map);
    }
    free(sl);
}

lsmt_status lsmt_skiplist_reset(lsmt_skiplist *sl)
{
    if (sl == NULL)
        return LSMT_INVALID;
    sl->epoch = new_epoch();
    list_clear(sl);
    return LSMT_OK;
}

lsmt_status lsmt_skiplist_stats_get(const lsmt_skiplist *sl, lsmt_skiplist_stats *out)
{
    if (sl == NULL || out == NULL)
        return LSMT_INVALID;
    memset(out, 0, sizeof *out);
    out->memory_bytes =
        sizeof *sl + (sl->finger != NULL ? sizeof(ref_t) * sl->finger_n + finger_map_bytes() : 0);
    out->height = list_height(sl);
    out->max_height = sl->max_height;
    out->finger_entries = sl->finger_n;
    return LSMT_OK;
}

/* ---- point lookups ------------------------------------------------------------------ */

const lsmt_skiplist_node *lsmt_skiplist_find(const lsmt_skiplist *sl, const void *key, size_t klen,
                                             uint64_t version)
{
    if (sl == NULL || !key_ok(key, klen))
        return NULL;
    skey k;
    skey_init(sl, &k, key, klen, version);
    const char *n = search_run(sl, &k, GOAL_GE, NULL);
    if (n != NULL && node_cmp(sl, n, &k) == 0)
        return (const lsmt_skiplist_node *)n;
    return NULL;
}

lsmt_status lsmt_skiplist_node_entry(const lsmt_skiplist_node *node, lsmt_skiplist_entry *out)
{
    if (node == NULL || out == NULL)
        return LSMT_INVALID;
    const char *n = (const char *)node;
    uint32_t m = node_meta(n); /* once: a scan reads every entry through here */
    const unsigned char *key = node_key_m(n, m);
    size_t klen = meta_klen(m);
    out->key = key;
    out->klen = klen;
    out->version = node_ver_m(key, klen, m);
    out->value = node_value_m(key, klen, m, &out->vlen);
    /* ENCODED: the entry starts right after the header */
    out->encoded = m & META_ENCODED ? n + HDR_KEY : NULL;
    out->tag = meta_tag(m);
    out->height = meta_height(m);
    return LSMT_OK;
}
