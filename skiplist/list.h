/* The skip list's header (struct lsmt_skiplist), the private layouts behind the public
 * opaque hint and iterator, and the small helpers every file of skiplist/ shares: turning
 * references into nodes, the list height, argument checks.
 *
 * Files of skiplist/ (one concern each):
 *   node.h      node layout and accessors
 *   list.h      this header
 *   search.h    key comparison and the search step every search runs (find_ge, ...)
 *   finger.h    the finger table: where a search starts
 *   skiplist.c  lifecycle (create, reset, destroy, stats) and the point lookups
 *   insert.c    building a node and linking it (the CAS steps)
 *   batch.c     interleaved batched seeks and inserts
 *   iter.c      the iterator and its scan read-ahead
 *   validate.c  the full invariant check */
#ifndef LSMT_SKIPLIST_LIST_H
#define LSMT_SKIPLIST_LIST_H

#include "skiplist/node.h"

/* A splice: for each level i < height, prev[i] < key <= next[i] (0 = head / null) as of
 * when it was filled, nextmeta[i] the meta the slot prev[i] -> next[i] held (invariant S,
 * node.h), and, for the key being inserted, plcp[i] = lcp(prev[i], key) where bit i of
 * plcp_valid is set.
 * The private layout of lsmt_skiplist_hint, and the list's own serial splice.
 * Monotone: prev[i+1] <= prev[i] and next[i+1] >= next[i] (insert.c relies on it).
 * may_alias: the public hint is a buffer of another type that the library reads and
 * writes through this one (the compiler must not assume the two never overlap). */
typedef struct __attribute__((may_alias)) splice {
    const lsmt_skiplist *list; /* the list and reset epoch it was filled for (invariant 6) */
    uint64_t epoch;
    uint32_t height; /* levels [0, height) are meaningful; level `height` reads head..null */
    ref_t prev[LSMT_SKIPLIST_MAX_HEIGHT + 1];
    ref_t next[LSMT_SKIPLIST_MAX_HEIGHT + 1];
    uint32_t nextmeta[LSMT_SKIPLIST_MAX_HEIGHT + 1];
    uint32_t plcp[LSMT_SKIPLIST_MAX_HEIGHT + 1];
    uint32_t plcp_valid;
    /* Level 0's comparisons with the key being inserted, made by the splice check and
     * reused by the placement (an ascending insert compared its predecessor twice):
     * cmp0_val[j] = node_cmp(node cmp0_ref[j], key), j = 0 for prev[0], 1 for next[0],
     * while cmp0_ref[j] != 0. Cleared when an insert starts (splice_repair): it holds
     * for one key only. */
    ref_t cmp0_ref[2];
    int8_t cmp0_val[2];
} splice;
_Static_assert(sizeof(splice) <= sizeof(lsmt_skiplist_hint) &&
                   _Alignof(splice) <= _Alignof(lsmt_skiplist_hint),
               "a splice fits the public hint buffer");

/* Read-ahead lanes of an iterator (iter.c, "scan read-ahead"). */
#define ITER_LANES 8

/* The private layout of lsmt_skiplist_iter (may_alias: as for splice). */
typedef struct __attribute__((may_alias)) iter_state {
    const lsmt_skiplist *list;
    const char *node; /* current node, NULL when not positioned */
    /* scan read-ahead state (prefetch only; never affects results) */
    uint32_t run;
    uint32_t spine;
    uint32_t lane;
    uint32_t lead;
    uint32_t armed; /* the lanes run */
    ref_t stop1;    /* a spine node found by the positioning call: where the lanes start */
    uint32_t ahead[ITER_LANES];
} iter_state;
_Static_assert(sizeof(iter_state) <= sizeof(lsmt_skiplist_iter) &&
                   _Alignof(iter_state) <= _Alignof(lsmt_skiplist_iter),
               "the iterator state fits the public iterator buffer");

typedef struct finger_map finger_map;

struct lsmt_skiplist {
    /* Read-mostly line(s): written at create/reset only. */
    lsmt_sharded_arena *arena;
    uintptr_t base_m1; /* arena base - LINK_UNIT: node(r) = base_m1 + r * LINK_UNIT */
    uintptr_t base;
    size_t capacity;
    lsmt_compare_fn compare; /* NULL when bytewise (prefix path) */
    void *compare_ctx;
    bool encoded;       /* an ENCODED format: every node has META_ENCODED (node.h) */
    unsigned ver_shift; /* ENCODED_SEQ: 8, the version word's bits below the order */
    /* Lines after a node's first that a plain search prefetches with each level-0 node it
     * compares (0: none): set by a caller whose lookups read the whole entry they find
     * (the memtable: its gets return a value the caller reads, and a protected get
     * checksums key and value, memtable/protect.h), so those lines load beside the
     * node's first line instead of after it. Set after create, before the list is shared
     * (lsmt_sl_prefetch_entry_lines). */
    unsigned entry_lines;
    /* The finger table (finger.h): finger_n entries, or NULL (a custom comparator, or
     * finger_bytes = SIZE_MAX). The pointer and size are set at create. */
    _Atomic ref_t *finger;
    uint32_t finger_n;
    finger_map *finger_map; /* the learned ranges (finger.c); with the table */
    unsigned max_height;
    /* Never reused within the process: keys the per-thread splice of plain inserts, so a
     * list created at a destroyed list's address never sees it. */
    uint64_t id;
    /* Drawn from a process-wide counter at create and at every reset, so never reused by
     * any list: a hint is followed only when it names this list AND this epoch, even if a
     * list is created at a destroyed list's address. Plain field: reset requires that no
     * call is in flight (skiplist.h), so no reader races with it. */
    uint64_t epoch;
    /* Current tallest tower, 1..max_height. Writers raise it with a relaxed CAS (only
     * grows until reset); readers load it relaxed: a stale (lower) value only makes a
     * search start at a lower level, which is correct because level i is a subsequence
     * of level 0 (invariant 2). It publishes nothing: links carry their own ordering. */
    _Alignas(LSMT_CACHE_LINE) _Atomic uint32_t height;
    /* The head tower, laid out as a node's: head = &head.l0, upper slot i at head - 8*i
     * = head.up[MAX_HEIGHT - 1 - i]. */
    struct {
        _Atomic slot_t up[LSMT_SKIPLIST_MAX_HEIGHT - 1];
        _Atomic ref_t l0;
        uint32_t pad_;
    } head;
    /* insert_serial's own splice: sequential serial inserts are O(1). Only the single
     * (serialised) writer touches it. */
    _Alignas(LSMT_CACHE_LINE) splice serial_splice;
};
_Static_assert(sizeof(struct lsmt_skiplist) % LSMT_CACHE_LINE == 0,
               "list header is padded to whole cache lines");
_Static_assert(offsetof(struct lsmt_skiplist, head.l0) - offsetof(struct lsmt_skiplist, head.up) ==
                   SLOT_BYTES * (LSMT_SKIPLIST_MAX_HEIGHT - 1),
               "the head's level-0 link directly follows its upper slots");

static inline char *head_of(const lsmt_skiplist *sl)
{
    /* from the whole head struct, so walking back to its upper slots stays inside one
     * object (the static assert above pins l0 right after up[]) */
    return (char *)&sl->head + offsetof(struct lsmt_skiplist, head.l0) -
           offsetof(struct lsmt_skiplist, head);
}

static inline char *node_at(const lsmt_skiplist *sl, ref_t r)
{
    return (char *)(sl->base_m1 + (uintptr_t)r * LINK_UNIT);
}
static inline char *next_node(const lsmt_skiplist *sl, ref_t r)
{
    return r ? node_at(sl, r) : NULL;
}
static inline char *prev_node(const lsmt_skiplist *sl, ref_t r)
{
    return r ? node_at(sl, r) : head_of(sl);
}
static inline ref_t node_ref(const lsmt_skiplist *sl, const char *n)
{
    return (ref_t)(((uintptr_t)n - sl->base) / LINK_UNIT + 1u);
}

static inline unsigned list_height(const lsmt_skiplist *sl)
{
    /* relaxed: see the field's comment (a stale height is a lower start, still correct) */
    return atomic_load_explicit(&sl->height, memory_order_relaxed);
}

/* A key every call accepts: NULL only when empty, at most LSMT_SKIPLIST_MAX_KEY_LEN. */
static inline bool key_ok(const void *key, size_t klen)
{
    return (key != NULL || klen == 0) && klen <= LSMT_SKIPLIST_MAX_KEY_LEN;
}

/* Could `node` be a node of this list (from node_alloc)? Bounds and alignment, and a
 * height that places the tower inside the arena. Guards node_insert against pointers
 * from elsewhere; validate reuses it. Whether the key and the entry fit is checked by
 * node_key_fits (a KV node's header is built by the library, an ENCODED entry by the
 * caller). */
static inline bool node_plausible(const lsmt_skiplist *sl, const lsmt_skiplist_node *node)
{
    uintptr_t a = (uintptr_t)node;
    if (node == NULL || a < sl->base || a - sl->base > sl->capacity - NODE_FIXED ||
        (a - sl->base) % LINK_UNIT != 0)
        return false;
    const char *n = (const char *)node;
    unsigned h = node_height(n);
    size_t off = a - sl->base;
    return !(h == 0 || h > sl->max_height || off < (size_t)SLOT_BYTES * (h - 1) ||
             (h > 1 && off % SLOT_BYTES != 0));
}

/* Is `node` ready to be published on sl: plausible, its key inside the arena, and for
 * an ENCODED list a well-formed entry (parsed now if it was not yet: insert.c)? */
__attribute__((visibility("hidden"))) bool node_ready(const lsmt_skiplist *sl,
                                                      lsmt_skiplist_node *node);
/* lsmt_skiplist_node_insert(sl, NULL, node) for a node node_ready already accepted (a
 * batch checks all its nodes first: insert.c does not check them again). */
__attribute__((visibility("hidden"))) lsmt_status node_insert_ready(lsmt_skiplist *sl,
                                                                    lsmt_skiplist_node *node);

/* Do node n's key and version word (ENCODED: and the first byte of the value's varint)
 * lie inside the arena? */
static inline bool node_key_fits(const lsmt_skiplist *sl, const char *n)
{
    size_t off = (uintptr_t)n - sl->base;
    size_t klen = node_klen(n);
    bool enc = (node_meta(n) & META_ENCODED) != 0;
    size_t need = (size_t)HDR_KEY + klen + TAIL_BYTES +
                  (enc ? varint32_len((uint32_t)klen + TAIL_BYTES) + 1 : 0);
    return enc == sl->encoded && need <= sl->capacity - off;
}

#endif
