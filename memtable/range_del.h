/* Range tombstones inside the memtable (internal; public side: lsmt/range_del.h).
 *
 * Pieces
 *  - mt->rsl: a second skip list on the memtable's arena holding the raw tombstones
 *    (skip-list key = begin, version = seq, tag LSMT_MT_TAG_RANGE_DEL, value = end).
 *  - mt->rt_count: tombstones linked into rsl and counted (see the field).
 *  - mt->rt_recent: every linked tombstone again, newest first (lsmt_rt_recent below),
 *    so a reader can tell which tombstones a view lacks and check those few directly.
 *  - mt->rt_frag: the cached fragmented view (lsmt_rt_frag, fragment.c), immutable once
 *    published, reclaimed after an RCU grace period. A view a few tombstones behind
 *    still answers (lookup + the missing ones from rt_recent); once readers have
 *    used a lagging view, the writer whose tombstone puts it more than lsmt_rt_lag_max
 *    behind rebuilds it, so gets do not pay the O(T log T) build while reads and range
 *    deletes interleave (a reader builds only when the view is far behind: after a
 *    burst of writes with no read between them, or when a writer's build failed).
 *
 * The get path asks ONE question, lsmt_mt_range_covering_seq (below): the newest
 * tombstone covering a key that is visible at a snapshot. get_resolve (memtable.c),
 * multi_get, the SNAPSHOT iterator and any other point-lookup path (e.g. a hash index)
 * combine its answer with the newest visible point version: the key reads as deleted
 * when the tombstone's seq is above the version's (R3: never equal-and-hidden).
 */
#ifndef LSMT_MEMTABLE_RANGE_DEL_H
#define LSMT_MEMTABLE_RANGE_DEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lsmt/range_del.h"
#include "memtable/memtable_internal.h"

/* Skip-list tag of a tombstone node in rsl (point entries use their lsmt_entry_type),
 * and the write-batch record type of a range delete (batch.c). */
#define LSMT_MT_TAG_RANGE_DEL 2u

/* One entry of the recent-tombstone stack mt->rt_recent: a push-only (Treiber) stack of
 * every linked tombstone, newest on top, emptied by reset_all. Entries live in the
 * memtable's arena (24 bytes per tombstone). idx is the entry's position counted from
 * the bottom (the first push is 1): the number of tombstones pushed up to and including
 * it, so entries below one with idx i are exactly those with idx < i.
 * S1: a tombstone is linked into rsl before its entry is pushed (release CAS), so a
 *     scan of rsl that starts after an acquire load of the top sees every tombstone at
 *     or below that top. */
typedef struct lsmt_rt_recent {
    const struct lsmt_skiplist_node *node;
    struct lsmt_rt_recent *next;
    uint64_t idx;
    /* copies of the tombstone's sequence and, for the bytewise comparator, the first 8
     * bytes of begin and end (lsmt_rt_key_prefix): a reader rules most entries out
     * without touching the node */
    uint64_t seq, bpfx, epfx;
} lsmt_rt_recent;

/* The first 8 bytes of a key, big-endian, zero-padded. Bytewise comparator only: two
 * keys with unequal prefixes are ordered as their prefixes (a zero pad sorts as the end
 * of the shorter key would); equal prefixes decide nothing. */
static inline uint64_t lsmt_rt_key_prefix(const void *k, size_t len)
{
    uint64_t v = 0;
    if (len >= 8)
        memcpy(&v, k, 8);
    else if (len > 0)
        memcpy(&v, k, len);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* One raw tombstone, as the fragmenter takes it. Views into the arena (or a batch). */
typedef struct lsmt_rt_tomb {
    const void *begin;
    size_t blen;
    const void *end;
    size_t elen;
    uint64_t seq;
} lsmt_rt_tomb;

/* One fragment: [begin, end) covered by exactly the tombstones whose sequence numbers are
 * seqs[seq_off .. seq_off + nseq) (strictly descending, nseq >= 1). */
typedef struct lsmt_rt_fragment {
    /* bytewise comparator only: the first 8 bytes of begin and end, big-endian,
     * zero-padded. Unequal prefixes order the keys (a zero pad sorts as the end of the
     * shorter key would), so a lookup's binary search reads the arena only on a tie. */
    uint64_t bpfx, epfx;
    const void *begin;
    size_t blen;
    const void *end;
    size_t elen;
    size_t seq_off;
    size_t nseq;
} lsmt_rt_fragment;
_Static_assert(sizeof(lsmt_rt_fragment) == 64, "one cache line per fragment");

/* The fragmented view. Invariants (checked by lsmt_rt_frag_check):
 *  F1. frags[i].begin < frags[i].end, frags[i].end <= frags[i+1].begin (sorted, disjoint);
 *  F2. a key k and a sequence s: k lies in a fragment listing s iff some source
 *      tombstone with seq s covers k;
 *  F3. immutable after publication; its key views point into the arena (valid until
 *      reset_all, which frees the cached view after its grace period).
 * `count` is the idx of the rt_recent top loaded (acquire) BEFORE the scan that built it
 * (0 for an empty stack): by S1 every tombstone with idx <= count was linked before the
 * scan and is in the view (it may hold more, that landed during the scan; in flight,
 * so showing them is allowed). A reader adds the entries above `count`. */
typedef struct lsmt_rt_frag {
    struct rcu_head rcu; /* call_rcu reclamation */
    uint64_t count;
    size_t bytes;  /* malloc'd for it (stats.memory_reserved) */
    bool bytewise; /* built for lsmt_bytewise_compare: the prefixes are valid */
    /* a tombstone it was built from failed its checksum (protection on): every lookup
     * through it answers LSMT_RT_CORRUPT */
    bool corrupt;
    size_t n;
    lsmt_rt_fragment *frags;
    uint64_t *seqs;
} lsmt_rt_frag;

/* Fragment `n` tombstones sorted by (begin asc, seq desc) under cmp. NULL when memory
 * runs out. O(n log n + output). (fragment.c) */
__attribute__((visibility("hidden"))) lsmt_rt_frag *
lsmt_rt_fragment_build(const lsmt_rt_tomb *t, size_t n, lsmt_compare_fn cmp, void *ctx);
__attribute__((visibility("hidden"))) void lsmt_rt_frag_free(lsmt_rt_frag *f);
/* Newest seq <= snapshot covering key in f: true and *seq, or false. O(log n). */
__attribute__((visibility("hidden"))) bool lsmt_rt_frag_lookup(const lsmt_rt_frag *f,
                                                               lsmt_compare_fn cmp, void *ctx,
                                                               const void *key, size_t klen,
                                                               uint64_t snapshot, uint64_t *seq);
/* 0 when F1 holds (F2 is what the tests check against a model), else -1. */
__attribute__((visibility("hidden"))) int lsmt_rt_frag_check(const lsmt_rt_frag *f,
                                                             lsmt_compare_fn cmp, void *ctx);

/* ---- range_del.c: the memtable's side ---- */

/* How many tombstones a view may lack before it is rebuilt: 8 + (tombstones in it) / 128,
 * at most 64. A reader checks the ones it lacks one by one (a decode and two key
 * comparisons each); a rebuild costs O(T log T) (3.7-11 ms at T = 10,000, bench/README
 * W9), so a bigger list tolerates a longer lag. */
static inline uint64_t lsmt_rt_lag_max(uint64_t view_count)
{
    uint64_t m = 8 + view_count / 128;
    return m < 64 ? m : 64;
}

/* Slow path of lsmt_mt_range_covering_seq, called when its count was > 0. */
__attribute__((visibility("hidden"))) int lsmt_mt_range_covering_slow(lsmt_memtable *mt,
                                                                      const void *key, size_t klen,
                                                                      uint64_t snapshot,
                                                                      uint64_t *seq);

/* Answers of lsmt_mt_range_covering_seq and lsmt_mt_range_hides. */
#define LSMT_RT_NONE    0 /* no visible tombstone covers the key (hides the version) */
#define LSMT_RT_COVERED 1 /* one does; *seq is the newest one's sequence */
#define LSMT_RT_CORRUPT                                          \
    -1 /* protection on and a tombstone failed its checksum: the \
        * read answers LSMT_CORRUPTION (range_del.c, tomb_verify) */

/* The newest range tombstone covering `key` with seq <= snapshot: LSMT_RT_COVERED and
 * *seq, LSMT_RT_NONE, or LSMT_RT_CORRUPT. REQUIRES: inside a read section (lsmt_mt_begin), memtable
 * not being reset. With no tombstone: one acquire load of rt_count (on the state word's
 * line, memtable_internal.h).
 * R1: acquire pairs with the release increment after a tombstone is linked. */
static inline int lsmt_mt_range_covering_seq(lsmt_memtable *mt, const void *key, size_t klen,
                                             uint64_t snapshot, uint64_t *seq)
{
    uint64_t count = atomic_load_explicit(&mt->rt_count, memory_order_acquire);
    if (LSMT_LIKELY(count == 0))
        return LSMT_RT_NONE;
    return lsmt_mt_range_covering_slow(mt, key, klen, snapshot, seq);
}

/* Does a visible tombstone hide the point version (key, version_seq) at snapshot?
 * LSMT_RT_COVERED (hidden), LSMT_RT_NONE or LSMT_RT_CORRUPT. */
static inline int lsmt_mt_range_hides(lsmt_memtable *mt, const void *key, size_t klen,
                                      uint64_t snapshot, uint64_t version_seq)
{
    uint64_t t;
    int r = lsmt_mt_range_covering_seq(mt, key, klen, snapshot, &t);
    return r == LSMT_RT_COVERED && t <= version_seq ? LSMT_RT_NONE : r;
}

/* R4, range-delete generation (mt->rt_started): what makes a get linearizable while
 * range deletes and point writes with out-of-order sequence numbers race with it
 * (memtable.c, lsmt_memtable_get). A write that may link tombstones calls
 * lsmt_mt_rt_begin once BEFORE its first link, even if it then fails; a get reads
 * lsmt_mt_rt_generation before its point read and after its tombstone read, and starts
 * over when the two differ. */
static inline void lsmt_mt_rt_begin(lsmt_memtable *mt)
{
    /* relaxed: ordered before the tombstone's link by the link's release CAS (insert.c):
     * a reader that sees the node, itself or through a view built by a thread that saw
     * it, happens-after this increment, so its later generation load returns it or a
     * later value (read-write coherence). */
    atomic_fetch_add_explicit(&mt->rt_started, 1, memory_order_relaxed);
}

static inline uint64_t lsmt_mt_rt_generation(const lsmt_memtable *mt)
{
    /* acquire: the first load keeps the get's point read after it, the second one stays
     * after the tombstone read (the loads that decide which tombstones it sees -- the
     * count, the stack's top, the view, the links of a scan -- are acquires too); both
     * are loads of a read-mostly line, the state word's. */
    return atomic_load_explicit(&mt->rt_started, memory_order_acquire);
}

/* Lifecycle hooks (memtable.c). create: 0 or an error status; reset: REQUIRES no
 * operation in flight (after reset_all's grace period); destroy: frees everything. */
__attribute__((visibility("hidden"))) lsmt_status lsmt_mt_range_create(lsmt_memtable *mt);
__attribute__((visibility("hidden"))) void lsmt_mt_range_reset(lsmt_memtable *mt);
__attribute__((visibility("hidden"))) void lsmt_mt_range_destroy(lsmt_memtable *mt);
/* stats: tombstones counted; validate: LSMT_OK or LSMT_CORRUPT; memory: rsl's own and
 * the cached view's. */
__attribute__((visibility("hidden"))) uint64_t lsmt_mt_range_count(const lsmt_memtable *mt);
__attribute__((visibility("hidden"))) lsmt_status lsmt_mt_range_validate(const lsmt_memtable *mt);
__attribute__((visibility("hidden"))) size_t lsmt_mt_range_memory(const lsmt_memtable *mt);
/* Reserve the rt_recent entry of one tombstone about to be encoded (before it is linked,
 * so a FULL arena refuses the write with nothing published), then push it once the
 * node is linked, before counting it (S1). batch.c and delete_range. */
__attribute__((visibility("hidden"))) lsmt_status lsmt_mt_range_recent_alloc(lsmt_memtable *mt,
                                                                             lsmt_rt_recent **e);
__attribute__((visibility("hidden"))) void
lsmt_mt_range_recent_push(lsmt_memtable *mt, lsmt_rt_recent *e, const lsmt_skiplist_node *node);
/* After a write counted its tombstones: rebuild the cached view when it lags by more
 * than lsmt_rt_lag_max and a reader has used it since the last rebuild (inside the
 * writer's read section). A failed build is left to a later writer or reader. */
__attribute__((visibility("hidden"))) void lsmt_mt_range_after_write(lsmt_memtable *mt);

#endif
