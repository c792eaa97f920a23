/* lsmt_skiplist: lock-free, insert-only skip list over the sharded concurrent arena.
 *
 * Design
 *  - One arena allocation per entry ("node"): tower, header, key and value inline
 *    (layout: "Node layout" below; built by node_build). Links are 32-bit references
 *    (offset from the arena's base in 4-byte units, plus one, so 0 means null). The
 *    level-0 link is 4 bytes; an upper link (level >= 1) is an 8-byte slot, as a 64-bit
 *    pointer would be, holding the reference AND the first 4 key bytes of the node it
 *    points to ("next prefix", see "Upper slots"). The upper slots sit BEFORE the node
 *    address (they grow downwards, as in RocksDB's InlineSkipList), so the level-0 link,
 *    the header and the first bytes of the key share a cache line whatever the height.
 *  - Scans read ahead along independent stretches of level 0 (see "scan read-ahead").
 *  - The head is not in the arena: it is a tower inside the list header, laid out the same
 *    way (slot i at head - 8*i), so every walk uses one link accessor. Nodes never link
 *    to the head: a reference 0 in a splice's prev slot stands for the head.
 *  - Order: (key by comparator, version descending). With the default bytewise
 *    comparator a search decodes the first 8 key bytes of a node as one big-endian
 *    integer ("prefix") and compares it with the search key's prefix (computed once per
 *    search): most comparisons are one integer compare on the node's first cache line.
 *    At levels >= 1 the search first compares the next prefix held in the current
 *    node's slot: when it differs from the key's, the next node is never touched
 *    (descending past an overshoot costs no cache miss; stepping touches the node it
 *    steps to, which it needs for that node's own links anyway).
 *  - Heights: p = 1/4, drawn from a per-thread xorshift generator (LSMT_TLS).
 *  - Finger table (bytewise lists): searches and inserts start from a tall node just
 *    before their key, found in a small table, instead of from the head ("Finger
 *    table" below).
 *
 * Concurrency model
 *  - Inserters find a splice (prev[i] < key <= next[i] at every level), then link the
 *    node bottom-up with one CAS per level (level 0 first: it is the linearisation point
 *    and the duplicate check; invariant 2 of skiplist.h). A failed CAS re-searches that
 *    level only, starting from prev[i] (nodes are never removed, so prev[i] stays a valid
 *    place to start and stays before the key).
 *  - Readers only load links with acquire and never write: they never block and never
 *    see a half-built node, because every node field is written before the release CAS
 *    (or release store, insert_serial) that makes the node reachable (invariant 3).
 *  - The list height only grows (relaxed CAS); a reader that sees an old height starts
 *    lower, which is correct because every level is a subsequence of level 0.
 */
#include "lsmt/skiplist.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "arena/concurrent_internal.h"
#include "common/internal.h"
#include "skiplist/skiplist_internal.h"

/* The comparison and link helpers sit inside every search loop: inline them also at -O2
 * (the default RelWithDebInfo build), where GCC would otherwise call node_cmp. */
#define HOT static inline __attribute__((always_inline))

/* ---- links -------------------------------------------------------------------------- */

/* A link holds a node reference: 0 = null, else (node - base) / LINK_UNIT + 1. */
typedef uint32_t ref_t;
#define LINK_UNIT 4u

/* Upper slots. A link at level >= 1 is one 64-bit atomic word: the reference in the low
 * 32 bits, and in the high 32 bits the first 4 bytes (big-endian, zero padded) of the key
 * of the node it references (0 for a null link and in lists with a custom comparator).
 * Invariant S: a slot's prefix is always that of its own reference's node -- both are
 * written by one store or CAS, and a node's key never changes -- so a reader that loads
 * a slot may trust the prefix: prefix(next) < prefix(key) means next < key and
 * prefix(next) > prefix(key) means next > key (padded prefixes that differ order like
 * the keys), without loading the next node. */
typedef uint64_t slot_t;
#define SLOT_BYTES      8u
/* Largest arena a 32-bit reference can address. */
#define MAX_ARENA_BYTES ((size_t)LINK_UNIT * (size_t)(UINT32_MAX - 1u))

/* Node layout, around the node address N (4-byte aligned; 8-byte aligned when h > 1):
 *   N - 8*i  (i = h-1 .. 1)  _Atomic slot_t upper slot at level i (see "Upper slots")
 *   N + 0                    _Atomic ref_t  link at level 0
 *   N + 4                    _Atomic uint32_t meta = key length (bits 0..23)
 *                                            | tag << 24 | height << 26
 *                                            | NEWER (bit 31, invariant V)
 *   N + 8                    key bytes [klen]
 *   N + 8 + klen             uint64_t tail = version (bits 0..55)   (unaligned: memcpy)
 *                                          | short value length << 56
 *   N + 16 + klen            [uint32_t vlen, only when the short length is VLEN_LONG]
 *                            value bytes [vlen]
 * A value of up to VLEN_SHORT_MAX bytes keeps its length in the tail word's top byte
 * (most memtable values: no length field at all); a longer one has VLEN_LONG there and
 * its length in the 4 bytes after the word. The allocation starts at N - 8*(h-1); its
 * size, 16 + 8*(h-1) + klen + vlen (+ 4 for a long value), is rounded up to 4 bytes.
 * What a search touches -- the slot it follows, meta and the first 8 key bytes -- is
 * the 16 bytes [N, N+16) plus the slot below N: one cache line for most nodes. Version
 * and length sit after the key because a search needs them only on a key tie (the
 * version) or never (the value length). The tag is 2 bits the caller may set at
 * node_alloc_ex (the memtable keeps its entry type there, so a value needs no extra
 * byte). */
#define HDR_META          4
#define HDR_KEY           8
#define NODE_FIXED        16 /* link0 + meta + tail word: the smallest node */
#define TAIL_BYTES        8
#define TAIL_VLEN_SHIFT   56
#define VLEN_SHORT_MAX    254u
#define VLEN_LONG         255u /* the tail's length byte when a uint32_t length follows */
#define VLEN_LONG_BYTES   4
#define META_KLEN_MASK    ((1u << 24) - 1u)
#define META_TAG_SHIFT    24
#define META_HEIGHT_SHIFT 26
#define META_HEIGHT_MASK  31u
/* Invariant V (versions): a node's NEWER bit is set once a node of an equal key and a
 * larger version precedes it at level 0, and before that node can be reached: the
 * inserter sets it on its level-0 successor when their keys are equal, and on its own
 * node when its level-0 predecessor's key is equal, before the publishing CAS or store
 * (place_level0). A node WITHOUT the bit is therefore the first version of its key that
 * any search can see, which lets find_ge stop at an upper level on a node whose key
 * equals the search key (find_ge). The bit is the only header field written after
 * publication, so meta is read and written atomically (relaxed: see place_level0). */
#define META_NEWER        (1u << 31)
_Static_assert(LSMT_SKIPLIST_TAG_MAX == 3 && META_TAG_SHIFT + 2 == META_HEIGHT_SHIFT,
               "the tag has exactly the two bits between key length and height");
_Static_assert(LSMT_SKIPLIST_MAX_KEY_LEN <= META_KLEN_MASK, "key length must fit in meta");
_Static_assert(LSMT_SKIPLIST_MAX_HEIGHT <= META_HEIGHT_MASK && META_HEIGHT_SHIFT + 5 == 31,
               "height must fit in meta below the NEWER bit");
_Static_assert(LSMT_SKIPLIST_MAX_VALUE_LEN <= UINT32_MAX, "value length must fit in 32 bits");

/* ---- tuning levers (measured in bench/skiplist_bench.c; see bench/README.md) ---------- */
#ifndef LSMT_SKIPLIST_PREFIX
#define LSMT_SKIPLIST_PREFIX 1 /* bytewise: compare decoded 8-byte prefixes first */
#endif
/* Search-path prefetch: 0 none; 1 the node after next at the same level (RocksDB); 2 the
 * next node one level down from the current node (where the search goes when it stops
 * at this level: its miss then overlaps the comparison at this level). */
#ifndef LSMT_SKIPLIST_PREFETCH
#define LSMT_SKIPLIST_PREFETCH 2
#endif
/* Iterator scan read-ahead (see "scan read-ahead"): 1 on, 0 off. */
#ifndef LSMT_SKIPLIST_READAHEAD
#define LSMT_SKIPLIST_READAHEAD 1
#endif

struct lsmt_skiplist {
    /* Read-mostly line(s): written at create/reset only. */
    lsmt_sharded_arena *arena;
    uintptr_t base_m1; /* arena base - LINK_UNIT: node(r) = base_m1 + r * LINK_UNIT */
    uintptr_t base;
    size_t capacity;
    lsmt_compare_fn compare; /* NULL when bytewise (prefix path) */
    void *compare_ctx;
    /* The finger table (see "Finger table"): finger_n entries, or NULL (a custom
     * comparator, or finger_bytes = SIZE_MAX). The pointer and size are set at create. */
    _Atomic ref_t *finger;
    uint32_t finger_n;
    unsigned max_height;
    /* Never reused within the process (list_id_counter): keys the per-thread hint of
     * plain inserts, so a list created at a destroyed list's address never sees it. */
    uint64_t id;
    /* Drawn from epoch_counter at create and at every reset, so never reused by any
     * list: a hint is followed only when it names this list AND this epoch, even if a
     * list is created at a destroyed list's address. Plain field: reset
     * requires that no call is in flight (skiplist.h), so no reader races with it. */
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
    _Alignas(LSMT_CACHE_LINE) lsmt_skiplist_hint serial_hint;
};
_Static_assert(sizeof(struct lsmt_skiplist) % LSMT_CACHE_LINE == 0,
               "list header is padded to whole cache lines");
_Static_assert(offsetof(struct lsmt_skiplist, head.l0) - offsetof(struct lsmt_skiplist, head.up) ==
                   SLOT_BYTES * (LSMT_SKIPLIST_MAX_HEIGHT - 1),
               "the head's level-0 link directly follows its upper slots");

static inline char *head_of(const lsmt_skiplist *sl)
{
    /* from the whole head struct, so walking back to its upper slots stays inside one
     * object (the static assert below the struct pins l0 right after up[]) */
    return (char *)&sl->head + offsetof(struct lsmt_skiplist, head.l0) -
           offsetof(struct lsmt_skiplist, head);
}

/* The level-0 link of node (or head) `n`. */
static inline _Atomic ref_t *link0(const char *n)
{
    return (_Atomic ref_t *)n;
}
/* The upper slot of node (or head) `n` at level i >= 1. */
static inline _Atomic slot_t *upper_slot(const char *n, unsigned i)
{
    return (_Atomic slot_t *)(n - (size_t)SLOT_BYTES * i);
}
static inline slot_t slot_make(ref_t r, uint32_t prefix)
{
    return (slot_t)prefix << 32 | r;
}
static inline ref_t slot_ref(slot_t s)
{
    return (ref_t)s;
}
static inline uint32_t slot_prefix(slot_t s)
{
    return (uint32_t)(s >> 32);
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

/* Acquire: observes every field of the node the link points to, written before the
 * release CAS (or release store, insert_serial) in link_node that published it. Level 0
 * is a bare link (its "prefix" reads as 0). */
HOT slot_t slot_load_acquire(const char *n, unsigned i)
{
    if (i == 0)
        return atomic_load_explicit(link0(n), memory_order_acquire);
    return atomic_load_explicit(upper_slot(n, i), memory_order_acquire);
}
HOT ref_t link_load_acquire(const char *n, unsigned i)
{
    return slot_ref(slot_load_acquire(n, i));
}

static inline _Atomic uint32_t *meta_word(const char *n)
{
    return (_Atomic uint32_t *)(uintptr_t)(n + HDR_META);
}
static inline uint32_t node_meta(const char *n)
{
    /* relaxed: every field but NEWER is written before the node is published (and the
     * acquire that reached n orders it); NEWER: see place_level0. */
    return atomic_load_explicit(meta_word(n), memory_order_relaxed);
}
static inline size_t node_klen(const char *n)
{
    return node_meta(n) & META_KLEN_MASK;
}
static inline unsigned node_height(const char *n)
{
    return (node_meta(n) >> META_HEIGHT_SHIFT) & META_HEIGHT_MASK;
}
/* Invariant V: has a version of n's key with a larger version been placed before n? */
static inline bool node_has_newer(const char *n)
{
    return (node_meta(n) & META_NEWER) != 0;
}
/* The tail word after the key: version and short value length ("Node layout"). */
static inline const char *node_tail(const char *n)
{
    return n + HDR_KEY + node_klen(n);
}
static inline uint64_t node_tail_word(const char *n)
{
    uint64_t w;
    memcpy(&w, node_tail(n), sizeof w);
    return w;
}
static inline uint64_t node_ver(const char *n)
{
    return node_tail_word(n) & LSMT_SKIPLIST_MAX_VERSION;
}
/* The value's bytes, and its length in *vlen: the one decoder of the two length forms.
 * *long_form (may be NULL) tells which one the node uses. */
static inline const char *node_value_len(const char *n, size_t *vlen, bool *long_form)
{
    const char *t = node_tail(n);
    uint64_t w;
    memcpy(&w, t, sizeof w);
    unsigned s = (unsigned)(w >> TAIL_VLEN_SHIFT);
    t += TAIL_BYTES;
    if (long_form != NULL)
        *long_form = s == VLEN_LONG;
    if (LSMT_LIKELY(s != VLEN_LONG)) {
        *vlen = s;
        return t;
    }
    uint32_t v;
    memcpy(&v, t, sizeof v);
    *vlen = v;
    return t + VLEN_LONG_BYTES;
}
/* Bytes of a node's fixed fields, key and value, before rounding and without the tower. */
static inline size_t node_body_bytes(size_t klen, size_t vlen)
{
    return (size_t)NODE_FIXED + klen + (vlen > VLEN_SHORT_MAX ? VLEN_LONG_BYTES : 0) + vlen;
}

static inline void prefetch_node(const char *n)
{
    __builtin_prefetch(n, 0, 3);
}

/* ---- yield injection (test builds only) ------------------------------------------- */

#ifdef LSMT_YIELD_INJECTION
/* Configured with -DLSMT_YIELD_INJECTION=ON: the hook, when set, runs between finding
 * an insert's position at a level and the CAS that links it there, so a test can make
 * other inserts land in that window (as Pebble's arenaskl tests do). Set it before any
 * thread inserts (thread creation publishes it); never in a production build. */
void (*lsmt_skiplist_test_yield_hook)(unsigned level);
#define YIELD_POINT(level)                                             \
    do {                                                               \
        void (*yield_hook_)(unsigned) = lsmt_skiplist_test_yield_hook; \
        if (yield_hook_ != NULL)                                       \
            yield_hook_(level);                                        \
    } while (0)
#else
#define YIELD_POINT(level) ((void)0)
#endif

/* ---- comparison -------------------------------------------------------------------- */

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

/* The prefix an upper slot holds for node n (invariant S). */
static inline uint32_t node_prefix32(const lsmt_skiplist *sl, const char *n)
{
    return sl->compare == NULL
               ? (uint32_t)(load_prefix((const unsigned char *)n + HDR_KEY, node_klen(n)) >> 32)
               : 0;
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
    const unsigned char *nk = (const unsigned char *)n + HDR_KEY;
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
    memcpy(&v, nk + nlen, sizeof v); /* the tail word (node_ver, with nlen known) */
    v &= LSMT_SKIPLIST_MAX_VERSION;
    /* versions descend: a larger version comes first */
    return 2 * ((v < k->version) - (v > k->version));
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

/* ---- searches (readers) ------------------------------------------------------------ */

static inline unsigned list_height(const lsmt_skiplist *sl)
{
    /* relaxed: see the field's comment (a stale height is a lower start, still correct) */
    return atomic_load_explicit(&sl->height, memory_order_relaxed);
}

/* Order of successor nx (non-null), reached through slot `s` at `level`, against k:
 * from the slot's prefix when it tells (levels >= 1: no load of nx), else by comparing
 * nx itself. Every search loop decides through this. */
HOT int succ_cmp(const lsmt_skiplist *sl, const skey *k, slot_t s, const char *nx, unsigned level)
{
    int c = level > 0 ? slot_order(k, s) : 0; /* level 0 links carry no prefix */
    return c != 0 ? c : node_cmp(sl, nx, k);
}

/* ---- finger table -------------------------------------------------------------------
 * The key space is cut into finger_n ranges by the first 4 key bytes (prefix32, as in
 * the upper slots): range(p) = p * finger_n / 2^32, which is monotone in p, so a key in a
 * lower range is smaller than every key in a higher one. Entry b of the table holds the
 * largest node of height >= FINGER_MIN_HEIGHT whose key is in range b - 1 (0 = none yet).
 *
 * Invariant F: a nonzero entry b references a node of this list that is linked at all
 * its levels, of height >= FINGER_MIN_HEIGHT, whose key lies in a range < b. Hence for
 * a key k in range >= b the node is before k, and a search for k may start there (at
 * its top level) instead of at the head: every level is a subsequence of level 0, so a
 * search from any node before k finds what a search from the head finds. Entries only
 * move forward (to larger nodes of the same range) until reset, which clears them.
 *
 * An entry is written only after its node is linked at every level (end of link_node),
 * with a release CAS; searches load it with acquire, so the node's fields and links are
 * visible to them (as an acquire of a link would make them). */
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
            *level = (hx < lh ? hx : lh) - 1;
            return x;
        }
    }
    *level = lh - 1;
    return head_of(sl);
}

/* After node n (key k, height h) is linked at all its levels: make it entry
 * range(k) + 1 unless that entry already holds a larger node. */
static void finger_note(lsmt_skiplist *sl, const char *n, const skey *k, unsigned h)
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
         * the entry (invariant F); acquire on failure: the new entry is compared next. */
        if (atomic_compare_exchange_weak_explicit(e, &cur, nref, memory_order_release,
                                                  memory_order_acquire))
            return;
    }
}

/* First node >= k, or NULL. */
static const char *find_ge(const lsmt_skiplist *sl, const skey *k)
{
    unsigned level;
    const char *x = finger_start(sl, k, &level);
    const char *stop = NULL; /* a node known to be >= k: no need to compare it again */
    for (;;) {
        slot_t s = slot_load_acquire(x, level);
        const char *nx = next_node(sl, slot_ref(s));
        search_prefetch(sl, x, nx, level, k);
        if (nx != NULL && nx != stop) {
            int c = succ_cmp(sl, k, s, nx, level);
            if (c < 0) {
                x = nx;
                continue;
            }
            if (c == 0)
                return nx; /* exact match: nothing below can be before it and >= k */
            if (c == SAME_KEY_AFTER && !node_has_newer(nx))
                return nx; /* k's key, no version before nx (invariant V): first >= k */
        }
        if (level == 0)
            return nx;
        stop = nx;
        level--;
    }
}

/* Last node < k (less == true) or <= k (less == false); the head when there is none. */
static const char *find_before(const lsmt_skiplist *sl, const skey *k, bool less)
{
    unsigned level;
    const char *x = finger_start(sl, k, &level);
    const char *stop = NULL;
    for (;;) {
        slot_t s = slot_load_acquire(x, level);
        const char *nx = next_node(sl, slot_ref(s));
        search_prefetch(sl, x, nx, level, k);
        if (nx != NULL && nx != stop) {
            int c = succ_cmp(sl, k, s, nx, level);
            if (c < 0 || (!less && c == 0)) {
                x = nx;
                continue;
            }
        }
        if (level == 0)
            return x;
        stop = nx;
        level--;
    }
}

/* The last node, or the head when the list is empty. */
static const char *find_last(const lsmt_skiplist *sl)
{
    const char *x = head_of(sl);
    unsigned level = list_height(sl) - 1;
    for (;;) {
        const char *nx = next_node(sl, link_load_acquire(x, level));
        if (nx != NULL) {
            x = nx;
            continue;
        }
        if (level == 0)
            return x;
        level--;
    }
}

/* ---- heights ----------------------------------------------------------------------- */

/* Per-thread xorshift64* state; 0 = not seeded yet. */
static LSMT_TLS uint64_t tls_rng;
/* Distinct seeds for threads. relaxed: only uniqueness of the counter value matters, it
 * orders nothing. */
static _Atomic uint64_t rng_seed_counter;

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(void)
{
    uint64_t x = tls_rng;
    if (LSMT_UNLIKELY(x == 0)) {
        uint64_t c = atomic_fetch_add_explicit(&rng_seed_counter, 1, memory_order_relaxed);
        x = splitmix64(c ^ (uint64_t)(uintptr_t)&tls_rng);
        if (x == 0)
            x = 0x9E3779B97F4A7C15ull;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    tls_rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* 1 + the number of leading "zero pairs": P(height > i) = 4^-i, capped. */
static inline unsigned random_height(const lsmt_skiplist *sl)
{
    uint64_t r = rng_next();
    unsigned h = 1;
    while ((r & 3u) == 0 && h < sl->max_height) {
        h++;
        r >>= 2;
    }
    return h;
}

/* ---- lifecycle --------------------------------------------------------------------- */

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
    lsmt_skiplist_hint_init(&sl->serial_hint);
    /* plain stores: as above, nothing reads the table while the list is reset */
    if (sl->finger != NULL)
        memset((void *)sl->finger, 0, sizeof(ref_t) * sl->finger_n);
}

lsmt_status lsmt_skiplist_create(const lsmt_skiplist_options *opt, lsmt_skiplist **out)
{
    if (opt == NULL || out == NULL || opt->arena == NULL)
        return LSMT_INVALID;
    if (opt->max_height > LSMT_SKIPLIST_MAX_HEIGHT)
        return LSMT_INVALID;
    void *base = lsmt_sharded_arena_base_(opt->arena);
    size_t cap = lsmt_sharded_arena_capacity_(opt->arena);
    if (base == NULL || cap == 0 || cap > MAX_ARENA_BYTES)
        return LSMT_INVALID;
    unsigned mh = opt->max_height;
    if (mh == 0) {
        /* enough levels for the most nodes the arena can hold (smallest node: a bare
         * 16-byte node): 4^(mh-1) >= cap / NODE_FIXED */
        size_t nodes = cap / NODE_FIXED;
        mh = 1;
        while (nodes > 1 && mh < LSMT_SKIPLIST_MAX_HEIGHT) {
            nodes = (nodes + 3) / 4;
            mh++;
        }
    }
    _Atomic ref_t *finger = NULL;
    size_t fn = 0;
    if (opt->compare == NULL || opt->compare == lsmt_bytewise_compare) {
        size_t fb = opt->finger_bytes ? opt->finger_bytes : LSMT_SKIPLIST_FINGER_BYTES_DEFAULT;
        if (fb != SIZE_MAX) {
            fn = cap / fb;
            fn = fn < 1 ? 1 : fn > FINGER_MAX ? FINGER_MAX : fn;
            if ((finger = calloc(fn, sizeof *finger)) == NULL)
                return LSMT_NOMEM;
        }
    }
    lsmt_skiplist *sl = aligned_alloc(LSMT_CACHE_LINE, sizeof *sl);
    if (sl == NULL) {
        free((void *)finger);
        return LSMT_NOMEM;
    }
    memset(sl, 0, sizeof *sl);
    sl->finger = finger;
    sl->finger_n = (uint32_t)fn;
    sl->arena = opt->arena;
    sl->base = (uintptr_t)base;
    sl->base_m1 = (uintptr_t)base - LINK_UNIT;
    sl->capacity = cap;
    sl->compare = opt->compare == lsmt_bytewise_compare ? NULL : opt->compare;
    sl->compare_ctx = opt->compare_ctx;
    sl->max_height = mh;
    sl->epoch = new_epoch();
    sl->id = atomic_fetch_add_explicit(&list_id_counter, 1, memory_order_relaxed) + 1;
    list_clear(sl);
    *out = sl;
    return LSMT_OK;
}

void lsmt_skiplist_destroy(lsmt_skiplist *sl)
{
    if (sl != NULL)
        free((void *)sl->finger);
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

size_t lsmt_skiplist_memory_bytes(const lsmt_skiplist *sl)
{
    return sl ? sizeof *sl + sizeof(ref_t) * sl->finger_n : 0;
}

unsigned lsmt_skiplist_height(const lsmt_skiplist *sl)
{
    return sl ? list_height(sl) : 0;
}

/* ---- insertion --------------------------------------------------------------------- */

void lsmt_skiplist_hint_init(lsmt_skiplist_hint *hint)
{
    if (hint == NULL)
        return;
    hint->list_ = NULL;
    hint->epoch_ = 0;
    hint->height_ = 0;
}

/* Build a node for (klen, version, vlen) of a random height in the arena (layout: see
 * "Node layout" above). Returns LSMT_FULL when the arena is full (nothing is
 * linked), LSMT_INVALID on oversize lengths, LSMT_RANGE on a version over 56 bits. Key
 * and value bytes are left to the caller (the value's place goes to *value_out). */
static lsmt_status node_build(lsmt_skiplist *sl, size_t klen, uint64_t version, size_t vlen,
                              unsigned tag, char **out, char **value_out)
{
    if (klen > LSMT_SKIPLIST_MAX_KEY_LEN || vlen > LSMT_SKIPLIST_MAX_VALUE_LEN ||
        tag > LSMT_SKIPLIST_TAG_MAX)
        return LSMT_INVALID;
    if (version > LSMT_SKIPLIST_MAX_VERSION)
        return LSMT_RANGE;
    unsigned h = random_height(sl);
    /* upper slots are 8-byte atomics: a node with any starts 8-byte aligned */
    size_t tower = (size_t)SLOT_BYTES * (h - 1);
    size_t align = h > 1 ? SLOT_BYTES : LINK_UNIT;
    size_t size;
    /* both lengths are capped far below SIZE_MAX / 4: no overflow */
    size = lsmt_align_up(tower + node_body_bytes(klen, vlen), LINK_UNIT);
    void *mem = NULL;
    lsmt_status st = lsmt_sharded_arena_alloc(sl->arena, size, align, &mem);
    if (st != LSMT_OK)
        return st == LSMT_INVALID ? LSMT_INVALID : LSMT_FULL;
    char *n = (char *)mem + tower;
    /* The links are set by the inserter before each publishing CAS; the header fields
     * are plain stores published by the level-0 release CAS (invariant 3). */
    uint32_t meta =
        (uint32_t)klen | ((uint32_t)tag << META_TAG_SHIFT) | ((uint32_t)h << META_HEIGHT_SHIFT);
    /* relaxed: published by the level-0 release CAS with the other header fields */
    atomic_store_explicit(meta_word(n), meta, memory_order_relaxed);
    bool long_value = vlen > VLEN_SHORT_MAX;
    uint64_t tail = version | (uint64_t)(long_value ? VLEN_LONG : vlen) << TAIL_VLEN_SHIFT;
    char *t = n + HDR_KEY + klen;
    memcpy(t, &tail, sizeof tail);
    if (long_value) {
        uint32_t vl = (uint32_t)vlen;
        memcpy(t + TAIL_BYTES, &vl, sizeof vl);
    }
    *out = n;
    *value_out = t + TAIL_BYTES + (long_value ? VLEN_LONG_BYTES : 0);
    return LSMT_OK;
}

size_t lsmt_skiplist_node_min_bytes(size_t klen, size_t vlen)
{
    if (klen > LSMT_SKIPLIST_MAX_KEY_LEN || vlen > LSMT_SKIPLIST_MAX_VALUE_LEN)
        return SIZE_MAX;
    /* both lengths are capped far below SIZE_MAX / 4: no overflow */
    return lsmt_align_up(node_body_bytes(klen, vlen), LINK_UNIT);
}

/* Search level `level` forward from `before` (< k) for the first node >= k, stopping
 * early at `after` (a node known to be >= k, or 0). Writes prev (last node < k; 0 =
 * head) and next (first node >= k; 0 = null). */
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
            *nextp = slot_prefix(s); /* r's own prefix (invariant S); 0 at level 0 */
            return;
        }
        before = r;
        x = nx;
    }
}

/* Does level i of splice sp bracket k (prev < k <= next; 0 = head / null)? */
static inline bool splice_brackets(const lsmt_skiplist *sl, const lsmt_skiplist_hint *sp,
                                   unsigned i, const skey *k)
{
    if (sp->prev_[i] != 0 && node_cmp(sl, node_at(sl, sp->prev_[i]), k) >= 0)
        return false;
    return sp->next_[i] == 0 || node_cmp(sl, node_at(sl, sp->next_[i]), k) >= 0;
}

/* Is level i of splice sp still adjacent (prev's link at level i is next)? */
static inline bool splice_tight(const lsmt_skiplist *sl, const lsmt_skiplist_hint *sp, unsigned i)
{
    return link_load_acquire(prev_node(sl, sp->prev_[i]), i) == sp->next_[i];
}

/* n (key k) is about to be published at level 0 between prev[0] and next[0] of sp, as
 * found by the search or re-search just before. false when next[0] equals k: a
 * duplicate (invariant 1: next[0] is the first node >= k). Else keep invariant V:
 *  - n's own bit is recomputed (n is not reachable yet): set when prev holds k's key,
 *    i.e. a larger version precedes n;
 *  - next gets the bit when it holds k's key: n, a larger version, is about to precede it.
 * A re-search only moves prev and next towards n's place, so a bit set for an attempt
 * that then lost its CAS is still true of the final position (or of the racing equal
 * node that made us return EXISTS).
 * relaxed: the bit happens-before every reader that can find n, through the release
 * publish that follows (program order); a search that meets next without having seen n
 * either started after the insert returned (the caller's happens-before edge, then
 * coherence lets its load see the bit) or runs concurrently with it and may answer as
 * if n were not there yet. */
static bool place_level0(const lsmt_skiplist *sl, const lsmt_skiplist_hint *sp, char *n,
                         const skey *k)
{
    int cn = sp->next_[0] != 0 ? node_cmp(sl, node_at(sl, sp->next_[0]), k) : 1;
    if (cn == 0)
        return false;
    uint32_t m = node_meta(n);
    bool newer = sp->prev_[0] != 0 && node_cmp(sl, node_at(sl, sp->prev_[0]), k) == -SAME_KEY_AFTER;
    uint32_t want = newer ? m | META_NEWER : m & ~META_NEWER;
    if (want != m)
        atomic_store_explicit(meta_word(n), want, memory_order_relaxed); /* unpublished */
    if (cn == SAME_KEY_AFTER) {
        const char *nx = node_at(sl, sp->next_[0]);
        if (!node_has_newer(nx))
            atomic_fetch_or_explicit(meta_word(nx), META_NEWER, memory_order_relaxed);
    }
    return true;
}

/* Publish n at level 0 between prev[0] and next[0] of splice sp: true when linked,
 * false when the CAS lost (another node now follows prev[0]). */
static inline bool link0_publish(const lsmt_skiplist *sl, const lsmt_skiplist_hint *sp, char *n,
                                 ref_t nref, bool concurrent)
{
    /* relaxed: n is not reachable yet; the release below publishes this link together
     * with the rest of the node. */
    atomic_store_explicit(link0(n), sp->next_[0], memory_order_relaxed);
    _Atomic ref_t *pl = link0(prev_node(sl, sp->prev_[0]));
    if (!concurrent) {
        /* release: publishes n (header, key, value, link) to readers that acquire this
         * link (slot_load_acquire). Writers are serialised by the caller, so nothing
         * else writes pl meanwhile. */
        atomic_store_explicit(pl, nref, memory_order_release);
        return true;
    }
    ref_t expect = sp->next_[0];
    YIELD_POINT(0);
    /* CAS, release on success: publishes n as above; pairs with slot_load_acquire in
     * every search. Fails when another inserter linked a node between prev[0] and
     * next[0] since we read it; acquire on failure so the node we then walk to is fully
     * visible. The caller re-searches from prev[0] (nodes are never removed, so it is
     * still before k), which also catches an equal key inserted meanwhile (exactly one
     * of racing equal inserts wins this CAS). */
    return atomic_compare_exchange_strong_explicit(pl, &expect, nref, memory_order_release,
                                                   memory_order_acquire);
}

/* Publish n (key prefix nprefix) at level i >= 1: n's own slot takes (next[i], its
 * prefix) and prev[i]'s slot goes from that same pair to (n, nprefix), so both slots
 * keep invariant S. true when linked, false when the CAS lost. */
static inline bool upper_publish(const lsmt_skiplist *sl, const lsmt_skiplist_hint *sp, char *n,
                                 ref_t nref, uint32_t nprefix, unsigned i, bool concurrent)
{
    slot_t old = slot_make(sp->next_[i], sp->nextp_[i]);
    /* relaxed: n is not reachable at level i yet; the release below publishes it. */
    atomic_store_explicit(upper_slot(n, i), old, memory_order_relaxed);
    _Atomic slot_t *pl = upper_slot(prev_node(sl, sp->prev_[i]), i);
    slot_t mine = slot_make(nref, nprefix);
    if (!concurrent) {
        /* release: as in link0_publish (n's fields and its slots <= i) */
        atomic_store_explicit(pl, mine, memory_order_release);
        return true;
    }
    YIELD_POINT(i);
    /* CAS, release on success / acquire on failure: as in link0_publish. The expected
     * value is the whole slot; since a prefix is a function of its reference, it fails
     * exactly when the link changed. */
    return atomic_compare_exchange_strong_explicit(pl, &old, mine, memory_order_release,
                                                   memory_order_acquire);
}

/* Link node n (height from its header, key k) using splice `sp` (a hint; validated here
 * and left describing the position just after n). `concurrent` selects CAS linking
 * (insert, insert_hint, node_insert) or plain release stores (insert_serial).
 * Returns LSMT_OK or LSMT_EXISTS (nothing linked). */
static lsmt_status link_node(lsmt_skiplist *sl, lsmt_skiplist_hint *sp, char *n, const skey *k,
                             bool concurrent, lsmt_sl_publish_hook before_publish, void *hook_ctx)
{
    unsigned h = node_height(n);
    ref_t nref = node_ref(sl, n);

    /* Raise the list height to h. CAS loop; fails only when another inserter changed the
     * height meanwhile (then `cur` is reloaded and we retry only while still below h).
     * relaxed: the height publishes nothing (see the field); head links at the new
     * levels are null until linked, which readers treat as end of level. */
    uint32_t cur = atomic_load_explicit(&sl->height, memory_order_relaxed);
    while (cur < h) {
        if (atomic_compare_exchange_weak_explicit(&sl->height, &cur, h, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            cur = h;
            break;
        }
    }
    unsigned maxh = cur;

    /* Validate the splice: find the lowest level rh that brackets k (prev < k <= next)
     * and is tight (prev's link at that level is still next); recompute below it. */
    unsigned rh;
    if (sp->list_ != sl || sp->epoch_ != sl->epoch || sp->height_ < maxh) {
        sp->list_ = sl;
        sp->epoch_ = sl->epoch;
        sp->height_ = maxh;
        sp->prev_[maxh] = 0; /* head */
        sp->next_[maxh] = 0; /* null */
        sp->nextp_[maxh] = 0;
        rh = maxh;
    } else if (splice_brackets(sl, sp, 0, k) && splice_tight(sl, sp, 0)) {
        rh = 0; /* the common case of ascending inserts: O(1) */
    } else {
        /* Bracketing is monotone in the level (prev[i+1] <= prev[i] and next[i+1] >=
         * next[i], kept so by every update of the splice), so binary-search the lowest
         * bracketing level in [1, height_] (height_ = head..null always brackets): about
         * log2(height) probes instead of a climb. Then climb past loose levels (inserts
         * landed in between since the splice was saved), so the walk below starts from a
         * gap that is empty at level rh. */
        unsigned lo = 1, hi = sp->height_;
        sp->prev_[hi] = 0;
        sp->next_[hi] = 0;
        sp->nextp_[hi] = 0;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (splice_brackets(sl, sp, mid, k))
                hi = mid;
            else
                lo = mid + 1;
        }
        rh = lo;
        while (rh < sp->height_ && !splice_tight(sl, sp, rh))
            rh++;
    }
    /* A far splice (valid only from level rh up) and a finger node x just before k
     * whose top level covers n's: build the splice from x instead, levels [0, hx) only
     * (all n needs), and keep only those (height_ = hx; level hx reads as head..null, so
     * the splice stays monotone). The next insert then sees a short splice and rebuilds
     * it, from the finger again for a random key. */
    if (rh > 1 && sl->finger != NULL && k->hints) {
        unsigned top;
        const char *x = finger_start(sl, k, &top);
        unsigned hx = top + 1;
        if (x != head_of(sl) && h <= hx && hx < rh) {
            sp->height_ = hx;
            sp->prev_[hx] = 0;
            sp->next_[hx] = 0;
            sp->nextp_[hx] = 0;
            sp->prev_[top] = node_ref(sl, x);
            find_splice_level(sl, k, sp->prev_[top], 0, top, &sp->prev_[top], &sp->next_[top],
                              &sp->nextp_[top]);
            rh = top;
        }
    }
    for (unsigned i = rh; i-- > 0;)
        find_splice_level(sl, k, sp->prev_[i + 1], sp->next_[i + 1], i, &sp->prev_[i],
                          &sp->next_[i], &sp->nextp_[i]);

    bool retried_upper = false; /* a CAS at a level > 0 was lost (see the end) */

    for (unsigned i = 0; i < h; i++) {
        /* Levels >= rh come from the hint unchecked for tightness (they bracket k by
         * monotonicity: prev[i] <= prev[rh] < k <= next[rh] <= next[i]). The CAS below
         * checks tightness itself; a plain store must not skip nodes inserted in between
         * (by other paths since the hint was saved), so re-search a loose level first. */
        if (!concurrent && i >= rh &&
            link_load_acquire(prev_node(sl, sp->prev_[i]), i) != sp->next_[i])
            find_splice_level(sl, k, sp->prev_[i], 0, i, &sp->prev_[i], &sp->next_[i],
                              &sp->nextp_[i]);
        for (;;) {
            if (i == 0) {
                /* Every level-0 attempt follows a search or re-search of level 0: check
                 * its result for a duplicate (invariant 1; nothing is linked yet, so the
                 * list is unchanged) and keep invariant V before publishing. */
                if (!place_level0(sl, sp, n, k))
                    return LSMT_EXISTS;
                /* Once, before the first CAS that can publish n (skiplist_internal.h). */
                if (before_publish != NULL) {
                    before_publish(hook_ctx);
                    before_publish = NULL;
                }
                if (link0_publish(sl, sp, n, nref, concurrent))
                    break;
            } else if (upper_publish(sl, sp, n, nref, k->prefix32, i, concurrent)) {
                break;
            }
            if (i > 0)
                retried_upper = true;
            find_splice_level(sl, k, sp->prev_[i], 0, i, &sp->prev_[i], &sp->next_[i],
                              &sp->nextp_[i]);
        }
    }
    /* The splice now describes the position just after n. Its levels must stay monotone
     * (prev[i+1] <= prev[i], next[i+1] >= next[i]): the binary search and the climb of
     * the next insert rely on it. A re-search at level i > 0 after a lost CAS can break
     * it: the node m that beat us lies after n, so next[i] becomes m while next[j < i]
     * still names nodes after m (m reached those levels after we linked there). Such a
     * splice would let the next insert stop at m for a key above m and link it before
     * m. Drop it instead: the next insert searches from the head (this only happens
     * when two inserts raced at an upper level). */
    for (unsigned i = 0; i < h; i++)
        sp->prev_[i] = nref;
    if (retried_upper)
        sp->height_ = 0;
    finger_note(sl, n, k, h);
    return LSMT_OK;
}

/* A key every call accepts: NULL only when empty, at most LSMT_SKIPLIST_MAX_KEY_LEN. */
static bool key_ok(const void *key, size_t klen)
{
    return (key != NULL || klen == 0) && klen <= LSMT_SKIPLIST_MAX_KEY_LEN;
}

static bool kv_args_ok(const void *key, size_t klen, const void *value, size_t vlen)
{
    return key_ok(key, klen) && (value != NULL || vlen == 0) && vlen <= LSMT_SKIPLIST_MAX_VALUE_LEN;
}

static lsmt_status insert_common(lsmt_skiplist *sl, lsmt_skiplist_hint *sp, const void *key,
                                 size_t klen, uint64_t version, const void *value, size_t vlen,
                                 bool concurrent)
{
    if (sl == NULL || !kv_args_ok(key, klen, value, vlen))
        return LSMT_INVALID;
    char *n, *vb;
    lsmt_status st = node_build(sl, klen, version, vlen, 0, &n, &vb);
    if (st != LSMT_OK)
        return st;
    if (klen)
        memcpy(n + HDR_KEY, key, klen);
    if (vlen)
        memcpy(vb, value, vlen);
    skey k;
    skey_init(sl, &k, n + HDR_KEY, klen, version);
    return link_node(sl, sp, n, &k, concurrent, NULL, NULL);
}

/* Plain inserts keep a splice per thread for the list they last inserted into, so
 * sequential or clustered inserts through the plain API are O(log distance) too (a
 * random insert pays at most two comparisons per level on nodes its previous insert
 * left in cache). Keyed by the list's never-reused id; the splice itself is validated
 * against the list's epoch (reset) and re-checked level by level before use. */
static LSMT_TLS struct {
    uint64_t list_id;
    lsmt_skiplist_hint hint;
} tls_splice;

/* The calling thread's splice for `sl` (reset when it last served another list). */
static inline lsmt_skiplist_hint *thread_splice(const lsmt_skiplist *sl)
{
    if (tls_splice.list_id != sl->id) {
        tls_splice.list_id = sl->id;
        lsmt_skiplist_hint_init(&tls_splice.hint);
    }
    return &tls_splice.hint;
}

lsmt_status lsmt_skiplist_insert(lsmt_skiplist *sl, const void *key, size_t klen, uint64_t version,
                                 const void *value, size_t vlen)
{
    if (sl == NULL)
        return LSMT_INVALID;
    return insert_common(sl, thread_splice(sl), key, klen, version, value, vlen, true);
}

lsmt_status lsmt_skiplist_insert_serial(lsmt_skiplist *sl, const void *key, size_t klen,
                                        uint64_t version, const void *value, size_t vlen)
{
    if (sl == NULL)
        return LSMT_INVALID;
    return insert_common(sl, &sl->serial_hint, key, klen, version, value, vlen, false);
}

lsmt_status lsmt_skiplist_insert_hint(lsmt_skiplist *sl, lsmt_skiplist_hint *hint, const void *key,
                                      size_t klen, uint64_t version, const void *value, size_t vlen)
{
    if (hint == NULL)
        return LSMT_INVALID;
    return insert_common(sl, hint, key, klen, version, value, vlen, true);
}

lsmt_status lsmt_skiplist_node_alloc(lsmt_skiplist *sl, size_t klen, uint64_t version, size_t vlen,
                                     lsmt_skiplist_node **node, void **key_buf, void **value_buf)
{
    return lsmt_skiplist_node_alloc_ex(sl, klen, version, vlen, 0, node, key_buf, value_buf);
}

lsmt_status lsmt_skiplist_node_alloc_ex(lsmt_skiplist *sl, size_t klen, uint64_t version,
                                        size_t vlen, unsigned tag, lsmt_skiplist_node **node,
                                        void **key_buf, void **value_buf)
{
    if (sl == NULL || node == NULL || key_buf == NULL || value_buf == NULL)
        return LSMT_INVALID;
    char *n, *vb;
    lsmt_status st = node_build(sl, klen, version, vlen, tag, &n, &vb);
    if (st != LSMT_OK)
        return st;
    *node = (lsmt_skiplist_node *)n;
    *key_buf = n + HDR_KEY;
    *value_buf = vb;
    return LSMT_OK;
}

/* true when n could be a node of sl's arena (bounds and alignment; its header must then
 * have been built by node_build, which the caller guarantees). */
static bool node_in_arena(const lsmt_skiplist *sl, const char *n)
{
    uintptr_t a = (uintptr_t)n;
    return a >= sl->base && a - sl->base <= sl->capacity - NODE_FIXED &&
           (a - sl->base) % LINK_UNIT == 0;
}

/* Could `node` be a node of this list (from node_alloc)? Guards node_insert against
 * pointers from elsewhere and headers that would place the tower or key outside. */
static bool node_plausible(const lsmt_skiplist *sl, const lsmt_skiplist_node *node)
{
    if (node == NULL || !node_in_arena(sl, (const char *)node))
        return false;
    const char *n = (const char *)node;
    unsigned h = node_height(n);
    size_t off = (uintptr_t)n - sl->base;
    size_t klen = node_klen(n);
    return !(h == 0 || h > sl->max_height || off < (size_t)SLOT_BYTES * (h - 1) ||
             (h > 1 && off % SLOT_BYTES != 0) || klen > LSMT_SKIPLIST_MAX_KEY_LEN ||
             klen > sl->capacity - NODE_FIXED - off);
}

static lsmt_status node_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                               lsmt_skiplist_node *node, lsmt_sl_publish_hook before_publish,
                               void *ctx)
{
    if (sl == NULL || !node_plausible(sl, node))
        return LSMT_INVALID;
    char *n = (char *)node;
    skey k;
    skey_init(sl, &k, n + HDR_KEY, node_klen(n), node_ver(n));
    return link_node(sl, hint != NULL ? hint : thread_splice(sl), n, &k, true, before_publish, ctx);
}

lsmt_status lsmt_skiplist_node_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                      lsmt_skiplist_node *node)
{
    return node_insert(sl, hint, node, NULL, NULL);
}

lsmt_status lsmt_sl_node_insert_hooked(lsmt_skiplist *sl, lsmt_skiplist_node *node,
                                       lsmt_sl_publish_hook before_publish, void *ctx)
{
    return node_insert(sl, NULL, node, before_publish, ctx);
}

/* ---- lookups ----------------------------------------------------------------------- */

const lsmt_skiplist_node *lsmt_skiplist_find(const lsmt_skiplist *sl, const void *key, size_t klen,
                                             uint64_t version)
{
    if (sl == NULL || !key_ok(key, klen))
        return NULL;
    skey k;
    skey_init(sl, &k, key, klen, version);
    const char *n = find_ge(sl, &k);
    if (n != NULL && node_cmp(sl, n, &k) == 0)
        return (const lsmt_skiplist_node *)n;
    return NULL;
}

bool lsmt_skiplist_contains(const lsmt_skiplist *sl, const void *key, size_t klen, uint64_t version)
{
    return lsmt_skiplist_find(sl, key, klen, version) != NULL;
}

/* ---- batched seeks ------------------------------------------------------------------
 * lsmt_skiplist_seek_batch runs up to SEEK_WAYS find_ge searches side by side ("ways").
 * A way advances exactly as find_ge does, loading the same links with the same
 * (acquire) ordering, but it stops at every node it has not touched yet: it prefetches
 * that node and hands over to the next way. By the time the ways come round to it again
 * the line is (mostly) in cache, so up to SEEK_WAYS misses are in flight at once instead
 * of one after the other. Interleaving only changes when each load happens, never which
 * loads a search makes, so each result is one find_ge could return in the interval the
 * batch ran (readers never write; nodes are never removed). */
#ifndef LSMT_SKIPLIST_SEEK_WAYS
#define LSMT_SKIPLIST_SEEK_WAYS 32
#endif
#define SEEK_WAYS LSMT_SKIPLIST_SEEK_WAYS

typedef struct seek_way {
    skey k;
    const char *x;       /* current node (or the head) */
    const char *stop;    /* a node known to be >= k */
    const char *pending; /* the successor prefetched for a full compare, or NULL */
    size_t idx;          /* which key of the batch */
    unsigned level;
} seek_way;

/* Where a batch's search keys come from: three arrays, or nodes' own keys. */
typedef struct seek_src {
    const void *const *keys;
    const size_t *klens;
    const uint64_t *versions;
    lsmt_skiplist_node *const *nodes; /* non-NULL: search for each node's (key, version) */
} seek_src;

static void seek_way_start(const lsmt_skiplist *sl, seek_way *w, const seek_src *src, size_t idx)
{
    if (src->nodes != NULL) {
        const char *nd = (const char *)src->nodes[idx];
        skey_init(sl, &w->k, nd + HDR_KEY, node_klen(nd), node_ver(nd));
    } else {
        skey_init(sl, &w->k, src->keys[idx], src->klens[idx], src->versions[idx]);
    }
    w->x = finger_start(sl, &w->k, &w->level);
    w->stop = w->pending = NULL;
    w->idx = idx;
}

/* Advance one way until it must touch a node it has not touched: then prefetch that
 * node and return false. When the search ends, store its result (find_ge's) in *out and
 * return true. */
static bool seek_way_step(const lsmt_skiplist *sl, seek_way *w, const char **out)
{
    for (;;) {
        slot_t s = slot_load_acquire(w->x, w->level);
        const char *nx = next_node(sl, slot_ref(s));
        if (nx != NULL && nx != w->stop) {
            int c = w->level > 0 ? slot_order(&w->k, s) : 0;
            if (c == 0) {
                /* the slot cannot tell: nx itself must be compared */
                if (nx != w->pending) {
                    prefetch_node(nx);
                    w->pending = nx;
                    return false;
                }
                c = node_cmp(sl, nx, &w->k);
            }
            if (c < 0) {
                bool touched = nx == w->pending;
                w->x = nx;
                w->pending = NULL;
                if (!touched) {
                    /* decided by the slot alone: the next loop reads x's slot here */
                    prefetch_node((const char *)upper_slot(nx, w->level));
                    return false;
                }
                continue;
            }
            if (c == 0 || (c == SAME_KEY_AFTER && !node_has_newer(nx))) {
                *out = nx; /* as in find_ge */
                return true;
            }
        }
        if (w->level == 0) {
            *out = nx;
            return true;
        }
        w->stop = nx;
        w->pending = NULL;
        w->level--;
    }
}

/* The n searches of `src`, SEEK_WAYS at a time (a finished way takes the next key):
 * out[i] = find_ge's result for key i; out NULL: only warm the cache along the paths. */
static void seek_run(const lsmt_skiplist *sl, size_t n, const seek_src *src,
                     const lsmt_skiplist_node **out)
{
    seek_way ways[SEEK_WAYS];
    size_t started = 0, active = 0;
    while (active < SEEK_WAYS && started < n)
        seek_way_start(sl, &ways[active++], src, started++);
    while (active > 0) {
        for (size_t a = 0; a < active;) {
            const char *r;
            if (!seek_way_step(sl, &ways[a], &r)) {
                a++;
                continue;
            }
            if (out != NULL)
                out[ways[a].idx] = (const lsmt_skiplist_node *)r;
            if (started < n)
                seek_way_start(sl, &ways[a++], src, started++);
            else
                ways[a] = ways[--active]; /* order of the ways does not matter */
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
        if (!node_plausible(sl, nodes[i]))
            return LSMT_INVALID;
    }
    /* Warm the cache along every node's search path (interleaved, misses overlapped);
     * the inserts below then search, and CAS, through lines already loaded. */
    seek_src src = {NULL, NULL, NULL, nodes};
    seek_run(sl, n, &src, NULL);
    for (size_t i = 0; i < n; i++)
        statuses[i] = lsmt_skiplist_node_insert(sl, NULL, nodes[i]);
    return LSMT_OK;
}

const void *lsmt_skiplist_node_key(const lsmt_skiplist_node *n, size_t *len)
{
    if (n == NULL)
        return NULL;
    const char *p = (const char *)n;
    if (len)
        *len = node_klen(p);
    return p + HDR_KEY;
}

uint64_t lsmt_skiplist_node_version(const lsmt_skiplist_node *n)
{
    return n ? node_ver((const char *)n) : 0;
}

unsigned lsmt_skiplist_node_height(const lsmt_skiplist_node *n)
{
    return n ? node_height((const char *)n) : 0;
}

unsigned lsmt_skiplist_node_tag(const lsmt_skiplist_node *n)
{
    return n ? (node_meta((const char *)n) >> META_TAG_SHIFT) & LSMT_SKIPLIST_TAG_MAX : 0;
}

const void *lsmt_skiplist_node_value(const lsmt_skiplist_node *n, size_t *len)
{
    if (n == NULL)
        return NULL;
    const char *p = (const char *)n;
    size_t vl;
    const char *v = node_value_len(p, &vl, NULL);
    if (len)
        *len = vl;
    return v;
}

/* ---- iterator ---------------------------------------------------------------------- */

/* Position the iterator on n (NULL or the head: not valid). Every positioning call
 * ends its read-ahead run. */
static lsmt_status iter_land(lsmt_skiplist_iter *it, const char *n)
{
    it->run_ = 0;
    if (n == NULL || n == head_of(it->list_)) {
        it->node_ = NULL;
        return LSMT_END;
    }
    it->node_ = (const lsmt_skiplist_node *)n;
    return LSMT_OK;
}

/* ---- scan read-ahead ------------------------------------------------------------------
 * A scan over a list filled in random order takes one memory latency per entry: each
 * level-0 link is a dependent load into a node allocated far away. The towers give
 * independent entry points: the level-SPINE_LEVEL nodes (~4^SPINE_LEVEL entries apart)
 * cut level 0 into stretches that can be followed in parallel. After ARM_AFTER next
 * calls in a row, the iterator keeps LSMT_SKIPLIST_ITER_LANES lanes, each following one
 * stretch a step at a time (the line it reads was prefetched a lane cycle earlier) and
 * prefetching the next node and its value, so up to that many misses are in flight.
 * `spine_` is the first stretch start not yet given to a lane; `lead_` estimates how far
 * (in entries) the lanes are ahead of the cursor and throttles them at READ_AHEAD.
 * Everything here only prefetches: a concurrent insert that adds a tall node just ends a
 * lane's stretch early, and results never depend on this state. */
#define SPINE_LEVEL 2
#define ARM_AFTER   32
#define READ_AHEAD  128

static void prefetch_entry(const char *n)
{
    /* n's line has arrived (prefetched a lane cycle ago): its value's bounds are known */
    size_t vlen;
    const char *v = node_value_len(n, &vlen, NULL);
    prefetch_node(v);
    if (vlen > 64)
        prefetch_node(v + vlen - 1);
}

static void readahead_arm(lsmt_skiplist_iter *it, const char *cur)
{
    const lsmt_skiplist *sl = it->list_;
    unsigned h = list_height(sl);
    it->spine_ = 0;
    it->lead_ = 0;
    it->lane_ = 0;
    for (unsigned j = 0; j < LSMT_SKIPLIST_ITER_LANES; j++)
        it->ahead_[j] = 0;
    if (h <= SPINE_LEVEL)
        return; /* a short list: nothing worth reading ahead */
    /* the first level-SPINE_LEVEL node after cur */
    skey k;
    skey_init(sl, &k, cur + HDR_KEY, node_klen(cur), node_ver(cur));
    ref_t prev = 0, next = 0;
    uint32_t nextp;
    for (unsigned i = h; i-- > SPINE_LEVEL;)
        find_splice_level(sl, &k, prev, 0, i, &prev, &next, &nextp);
    if (next != 0 && node_at(sl, next) == cur)
        next = link_load_acquire(cur, SPINE_LEVEL);
    it->spine_ = next;
    if (next != 0)
        prefetch_node(node_at(sl, next));
}

static void readahead_step(lsmt_skiplist_iter *it)
{
    const lsmt_skiplist *sl = it->list_;
    unsigned j = it->lane_;
    it->lane_ = (j + 1) % LSMT_SKIPLIST_ITER_LANES;
    ref_t c = it->ahead_[j];
    if (c != 0 && node_height(node_at(sl, c)) > SPINE_LEVEL)
        c = 0; /* reached the next stretch, which another lane has */
    if (c == 0) {
        c = it->spine_;
        if (c == 0) {
            it->ahead_[j] = 0;
            return;
        }
        ref_t s = link_load_acquire(node_at(sl, c), SPINE_LEVEL);
        it->spine_ = s;
        if (s != 0)
            prefetch_node(node_at(sl, s));
    }
    const char *n = node_at(sl, c);
    prefetch_entry(n);
    ref_t r = link_load_acquire(n, 0);
    if (r != 0)
        prefetch_node(node_at(sl, r));
    it->ahead_[j] = r;
    it->lead_++;
}

lsmt_status lsmt_skiplist_iter_init(lsmt_skiplist_iter *it, const lsmt_skiplist *sl)
{
    if (it == NULL || sl == NULL)
        return LSMT_INVALID;
    memset(it, 0, sizeof *it);
    it->list_ = sl;
    return LSMT_OK;
}

bool lsmt_skiplist_iter_valid(const lsmt_skiplist_iter *it)
{
    return it != NULL && it->list_ != NULL && it->node_ != NULL;
}

lsmt_status lsmt_skiplist_iter_seek_to_first(lsmt_skiplist_iter *it)
{
    if (it == NULL || it->list_ == NULL)
        return LSMT_INVALID;
    const lsmt_skiplist *sl = it->list_;
    return iter_land(it, next_node(sl, link_load_acquire(head_of(sl), 0)));
}

lsmt_status lsmt_skiplist_iter_seek_to_last(lsmt_skiplist_iter *it)
{
    if (it == NULL || it->list_ == NULL)
        return LSMT_INVALID;
    return iter_land(it, find_last(it->list_));
}

lsmt_status lsmt_skiplist_iter_seek(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                    uint64_t version)
{
    if (it == NULL || it->list_ == NULL || !key_ok(key, klen))
        return LSMT_INVALID;
    skey k;
    skey_init(it->list_, &k, key, klen, version);
    return iter_land(it, find_ge(it->list_, &k));
}

lsmt_status lsmt_skiplist_iter_seek_for_prev(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                             uint64_t version)
{
    if (it == NULL || it->list_ == NULL || !key_ok(key, klen))
        return LSMT_INVALID;
    skey k;
    skey_init(it->list_, &k, key, klen, version);
    return iter_land(it, find_before(it->list_, &k, false));
}

lsmt_status lsmt_skiplist_iter_next(lsmt_skiplist_iter *it)
{
    if (!lsmt_skiplist_iter_valid(it))
        return LSMT_INVALID;
    const char *n = (const char *)it->node_;
    const char *nx = next_node(it->list_, link_load_acquire(n, 0));
    if (nx == NULL) {
        it->node_ = NULL;
        return LSMT_END;
    }
    if (!LSMT_SKIPLIST_READAHEAD) {
        /* read-ahead compiled out */
    } else if (LSMT_LIKELY(it->run_ >= ARM_AFTER)) {
        /* two lane steps per entry while the lanes are less than READ_AHEAD entries
         * ahead, none beyond: on average one, so the lanes keep their lead */
        if (it->lead_ < READ_AHEAD) {
            readahead_step(it);
            readahead_step(it);
        }
        if (it->lead_ > 0)
            it->lead_--;
    } else if (++it->run_ == ARM_AFTER) {
        readahead_arm(it, nx);
    }
    it->node_ = (const lsmt_skiplist_node *)nx;
    return LSMT_OK;
}

lsmt_status lsmt_skiplist_iter_prev(lsmt_skiplist_iter *it)
{
    if (!lsmt_skiplist_iter_valid(it))
        return LSMT_INVALID;
    const lsmt_skiplist *sl = it->list_;
    const char *n = (const char *)it->node_;
    skey k;
    skey_init(sl, &k, n + HDR_KEY, node_klen(n), node_ver(n));
    return iter_land(it, find_before(sl, &k, true));
}

const lsmt_skiplist_node *lsmt_skiplist_iter_node(const lsmt_skiplist_iter *it)
{
    return lsmt_skiplist_iter_valid(it) ? it->node_ : NULL;
}

/* ---- validation -------------------------------------------------------------------- */

/* Is reference r a plausible node of sl (inside the arena, room for its header)? */
static bool ref_ok(const lsmt_skiplist *sl, ref_t r)
{
    size_t off = ((size_t)r - 1) * LINK_UNIT;
    return r != 0 && off <= sl->capacity - NODE_FIXED;
}

/* validate's finger check when the walk leaves range b, whose last tall node is r:
 * entries *fb..b (ranges since the previous tall node's, with no tall node) must be 0
 * and entry b + 1 must be r; *fb moves past them. relaxed loads: validate REQUIRES no
 * insert in flight, so every entry has converged. */
static bool finger_check(const lsmt_skiplist *sl, uint32_t *fb, uint32_t b, ref_t r)
{
    for (; *fb <= b; (*fb)++)
        if (atomic_load_explicit(&sl->finger[*fb], memory_order_relaxed) != 0)
            return false;
    if (b + 1 < sl->finger_n) {
        if (atomic_load_explicit(&sl->finger[b + 1], memory_order_relaxed) != r)
            return false;
        *fb = b + 2;
    }
    return true;
}

lsmt_status lsmt_skiplist_validate(const lsmt_skiplist *sl, size_t *count)
{
    if (sl == NULL)
        return LSMT_INVALID;
    unsigned height = list_height(sl);
    if (height < 1 || height > sl->max_height)
        return LSMT_CORRUPT;
    /* One pass over level 0; cursor[i] is the next node expected at level i. A node of
     * height h must be exactly the expected node of levels 1..h-1 (invariant 2: each
     * level is a subsequence of level 0, in the same order); a level that holds a node
     * missing from level 0, out of order or too short leaves its cursor stuck, which the
     * final check catches. */
    ref_t cursor[LSMT_SKIPLIST_MAX_HEIGHT];
    uint32_t cursor_p[LSMT_SKIPLIST_MAX_HEIGHT]; /* the prefix its slot holds for it */
    for (unsigned i = 0; i < LSMT_SKIPLIST_MAX_HEIGHT; i++) {
        slot_t s = slot_load_acquire(head_of(sl), i);
        cursor[i] = slot_ref(s);
        cursor_p[i] = slot_prefix(s);
        if (i >= height && (cursor[i] != 0 || cursor_p[i] != 0))
            return LSMT_CORRUPT;
    }
    size_t limit = sl->capacity / NODE_FIXED + 1; /* a longer walk means a cycle */
    size_t n0 = 0;
    const char *prev = NULL;
    /* Finger table, checked exactly (no insert in flight: every entry has converged):
     * entry b is the last tall node of range b - 1, or 0 when that range has none.
     * fb = the next entry not checked yet; (tall_r, tall_b) = the last tall node seen
     * and its range (ranges never decrease along level 0). */
    uint32_t fb = 0, tall_b = 0;
    ref_t tall_r = 0;
    for (ref_t r = cursor[0]; r != 0;) {
        if (!ref_ok(sl, r) || ++n0 > limit)
            return LSMT_CORRUPT;
        const char *n = node_at(sl, r);
        unsigned h = node_height(n);
        size_t klen = node_klen(n);
        size_t off = (uintptr_t)n - sl->base;
        size_t vlen;
        bool long_form;
        node_value_len(n, &vlen, &long_form);
        if (!node_plausible(sl, (const lsmt_skiplist_node *)n) || h > height ||
            node_body_bytes(klen, vlen) > sl->capacity - off ||
            long_form != (vlen > VLEN_SHORT_MAX)) /* the encoding must be canonical */
            return LSMT_CORRUPT;
        bool newer = false; /* does a version of n's key precede it? */
        if (prev != NULL) {
            skey k;
            skey_init(sl, &k, n + HDR_KEY, klen, node_ver(n));
            int c = node_cmp(sl, prev, &k);
            if (c >= 0)
                return LSMT_CORRUPT; /* invariant 1 */
            newer = c == -SAME_KEY_AFTER;
        }
        if (node_has_newer(n) != newer)
            return LSMT_CORRUPT; /* invariant V, exact once no insert is in flight */
        uint32_t np = node_prefix32(sl, n);
        if (sl->finger != NULL && h >= FINGER_MIN_HEIGHT) {
            uint32_t b = finger_range(sl, np);
            if (tall_r != 0 && b != tall_b && !finger_check(sl, &fb, tall_b, tall_r))
                return LSMT_CORRUPT;
            tall_b = b;
            tall_r = r;
        }
        for (unsigned i = 1; i < h; i++) {
            if (cursor[i] != r)
                return LSMT_CORRUPT; /* invariant 2 */
            if (cursor_p[i] != np)
                return LSMT_CORRUPT; /* invariant S: the slot that led here holds n's prefix */
            slot_t s = slot_load_acquire(n, i);
            cursor[i] = slot_ref(s);
            cursor_p[i] = slot_prefix(s);
        }
        prev = n;
        r = link_load_acquire(n, 0);
    }
    for (unsigned i = 1; i < height; i++)
        if (cursor[i] != 0 || cursor_p[i] != 0)
            return LSMT_CORRUPT;
    if (sl->finger != NULL) {
        if (tall_r != 0 && !finger_check(sl, &fb, tall_b, tall_r))
            return LSMT_CORRUPT;
        for (; fb < sl->finger_n; fb++) /* ranges after the last tall node */
            if (atomic_load_explicit(&sl->finger[fb], memory_order_relaxed) != 0)
                return LSMT_CORRUPT;
    }
    if (count != NULL)
        *count = n0;
    return LSMT_OK;
}
