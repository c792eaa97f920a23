/* The memtable's private layout, shared by memtable.c, batch.c and iter.c. */
#ifndef LSMT_MEMTABLE_INTERNAL_H
#define LSMT_MEMTABLE_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/internal.h"
#include "lsmt/memtable.h"
#include "lsmt/skiplist.h"
#include "memtable/bloom.h"
#include "memtable/hash_index.h"
#include "memtable/protect.h"
#include "memtable/rcu.h"

/* State word bits (lsmt_memtable.state). */
#define LSMT_MT_FROZEN        1u
/* reset_all has started and is checking for open iterators: iter_create refuses
 * (LSMT_BUSY); gets and writes are not affected. */
#define LSMT_MT_RESET_PENDING 4u
/* reset_all found no open iterator and is emptying the memtable: gets read it as empty,
 * writes and iter_create return LSMT_BUSY. Set only with RESET_PENDING. */
#define LSMT_MT_RESETTING     2u

/* Statistics of one slot (see rcu.h): written by the slot's owner thread only (plain
 * load + store, relaxed) or, for the shared slot, by fetch_add; read by stats_get with
 * relaxed loads (a stale sum is fine: stats are approximate while writes run);
 * zeroed by reset_all while no writer or reader is in flight. One cache line each. */
typedef struct lsmt_mt_counters {
    _Alignas(LSMT_CACHE_LINE) _Atomic uint64_t puts;
    _Atomic uint64_t deletes;
    _Atomic uint64_t key_bytes;
    _Atomic uint64_t value_bytes;
    _Atomic uint64_t bloom_checks;
    _Atomic uint64_t bloom_negatives;
    _Atomic uint64_t bloom_false_positives;
} lsmt_mt_counters;
_Static_assert(sizeof(lsmt_mt_counters) == LSMT_CACHE_LINE, "one cache line per slot");

struct lsmt_memtable {
    /* ---- fixed after create (read by every call) ---- */
    lsmt_sharded_arena *arena;
    lsmt_arena_pool *pool; /* the arena's pool, or NULL when we own the arena */
    lsmt_skiplist *sl;
    lsmt_compare_fn cmp; /* never NULL (bytewise when the option was NULL) */
    void *cmp_ctx;
    size_t write_buffer_size;     /* should_flush threshold (<= arena capacity) */
    lsmt_bloom bloom;             /* bloom.nlines == 0: off */
    lsmt_hash_index hidx;         /* hidx.slots == NULL: off */
    unsigned prot;                /* protection_bytes_per_key: 0, 1, 2, 4 or 8 (protect.h) */
    bool paranoid;                /* paranoid_checks: reads use the checked walk (checked.h) */
    uintptr_t arena_lo, arena_hi; /* the arena's bytes [lo, hi): bounds of a verified read */
    /* ---- lifecycle word: read (acquire) at the start of every write and get, written
     * by freeze (fetch_or) and reset_all (CAS to set RESET_PENDING, fetch_or to add
     * RESETTING, release store to clear).
     * Read-mostly; it starts a line that holds the range-tombstone words every get
     * reads too (rt_count, rt_started), so a get with no tombstone reads one line of
     * lifecycle and range state beside the fixed fields. */
    _Alignas(LSMT_CACHE_LINE) _Atomic uint32_t state;
    /* TSan token for the RCU edge (memtable/tsan_rcu.h); never read or written. */
    char tsan_token;
    /* ---- range tombstones (memtable/range_del.h), on the state word's line: a get with
     * no tombstone reads rt_count and rt_started there and no other line of theirs. */
    lsmt_skiplist *rsl; /* the raw tombstones; fixed after create */
    /* Tombstones linked into rsl and counted: incremented (release) by delete_range and
     * a batch after linking theirs, read (acquire) by every get and iterator step,
     * zeroed by reset_all with nothing in flight. Range deletes are rare: their
     * increments invalidate this read-mostly line, gets' loads never do. */
    _Atomic uint64_t rt_count;
    /* Range deletes begun: incremented (relaxed) by delete_range and by a write batch
     * holding range deletes BEFORE they link their tombstones, also when they then
     * fail; never reset (only compared for equality). The link CAS is a release that
     * follows the increment, so a read that sees a tombstone through the list or a view
     * built from it also sees this increment: a get loads it (acquire) before its point
     * read and again after its tombstone read, and retries when it moved
     * (memtable/range_del.h R4: lsmt_mt_rt_begin, lsmt_mt_rt_generation). Rare
     * writes: gets' loads never invalidate the line. */
    _Atomic uint64_t rt_started;
    /* The cached fragmented view: NULL or immutable (F3); replaced by a release CAS from
     * the reader that rebuilt it, read with acquire (rcu_dereference), reclaimed via
     * call_rcu, freed directly by reset_all and destroy. */
    struct lsmt_rt_frag *_Atomic rt_frag;
    /* Top of the recent-tombstone stack (range_del.h, lsmt_rt_recent): pushed by a
     * release CAS after the tombstone is linked (S1), read with acquire by the slow path
     * of every tombstone lookup, set to NULL by reset_all with nothing in flight. */
    struct lsmt_rt_recent *_Atomic rt_recent;
    /* ---- open iterators: incremented by iter_create, decremented by iter_destroy,
     * read by reset_all. Own line: iterator churn must not invalidate the line every
     * get reads. */
    _Alignas(LSMT_CACHE_LINE) _Atomic size_t open_iters;
    /* Range tombstones' view bookkeeping, off the state word's line (written when a view
     * is built, or once per rebuild by a reader): bytes of the published view
     * (stats.memory_reserved; relaxed, a statistic) and the views built since create
     * (tests; relaxed). */
    _Atomic size_t rt_view_bytes;
    _Atomic uint64_t rt_view_builds;
    /* A reader found the view lagging (it checked tombstones from rt_recent): the next
     * writer that finds the lag over lsmt_rt_lag_max rebuilds it. Set by readers only
     * when clear, cleared by that writer; relaxed (a hint: a lost update only moves a
     * rebuild to a later writer or a reader). */
    _Atomic bool rt_view_wanted;
    /* completed reset_all calls (written by reset_all only; relaxed). */
    _Atomic uint64_t resets;
    /* A write was refused with LSMT_FULL since create or the last reset_all: should_flush
     * is then true (invariant 5). Set (relaxed store) by a writer inside its read
     * section, cleared by reset_all while no write is in flight. relaxed: the writer that
     * got LSMT_FULL reads it back in program order; another thread may see it late,
     * which only delays its should_flush as a usage figure read a moment earlier would. */
    _Atomic bool refused_full;
    /* ---- per-thread statistics, summed on read ---- */
    lsmt_mt_counters ctr[LSMT_MT_SLOTS + 1];
};
/* A get with no range tombstone loads the state word, rt_count and rt_started: one line. */
_Static_assert(offsetof(struct lsmt_memtable, rt_started) + sizeof(uint64_t) -
                       offsetof(struct lsmt_memtable, state) <=
                   LSMT_CACHE_LINE,
               "state, rt_count and rt_started share a cache line");

/* ---- entry encoding ----
 * One skip-list node per version, one arena allocation:
 *
 *   skip-list key      the user key, unchanged (so the skip list's comparator and its
 *                      bytewise key-prefix fast paths see user keys only)
 *   skip-list version  the sequence number, 0 .. 2^56-1 (the list orders versions
 *                      descending: newest first)
 *   skip-list tag      the type, LSMT_TYPE_PUT or LSMT_TYPE_DELETE (2 header bits of
 *                      the node, lsmt_skiplist_node_alloc: no byte of its own)
 *   skip-list value    the value bytes, vlen (a tombstone has none)
 *
 * The type is NOT part of the version: the skip list's uniqueness of (key, version) is
 * then exactly "the same (key, sequence) twice is LSMT_EXISTS", enforced atomically by
 * its level-0 CAS, whatever the types of two racing writes. The low byte of a
 * RocksDB-style (seq << 8 | type) trailer would have let a put and a delete with the
 * same (key, seq) coexist, or cost a second search per write to rule it out. */

/* A decoded entry. */
typedef struct lsmt_mt_entry {
    const void *key;
    size_t klen;
    uint64_t seq;
    lsmt_entry_type type;
    const void *value;
    size_t vlen;
    /* protection (protect.h): the stored checksum bytes, and the skip-list value region
     * (value + checksum) as the node states it; prot is NULL when the memtable has no
     * protection or the region is too short to hold it (then LSMT_CORRUPTION). */
    const unsigned char *prot;
    const void *raw;
    size_t raw_len;
} lsmt_mt_entry;

/* Reserve and fill a node of `list` (the memtable's point list or its range-tombstone
 * list, range_del.h) in the encoding above, plus mt->prot checksum bytes after the value
 * (protect.h); the caller publishes it with node_insert. Statuses as
 * lsmt_skiplist_node_alloc. */
static inline lsmt_status lsmt_mt_encode_in(const lsmt_memtable *mt, lsmt_skiplist *list,
                                            uint64_t seq, unsigned type, const void *key,
                                            size_t klen, const void *value, size_t vlen,
                                            lsmt_skiplist_node **node)
{
    void *kb, *vb;
    lsmt_status st =
        lsmt_skiplist_node_alloc(list, klen, seq, vlen + mt->prot, type, node, &kb, &vb);
    if (st != LSMT_OK)
        return st;
    lsmt_copy_key(kb, key, klen);
    if (vlen)
        memcpy(vb, value, vlen);
    if (mt->prot) {
        /* the span just written (still in this core's cache): key, the skip list's tail
         * word (sequence, value length), the value */
        unsigned char *end = (unsigned char *)vb + vlen;
        LSMT_ASSERT((unsigned char *)vb >= (unsigned char *)kb + klen + LSMT_PROT_TAIL_BYTES);
        lsmt_prot_store(end, mt->prot,
                        lsmt_prot_hash(kb, (size_t)(end - (unsigned char *)kb), type));
    }
    return LSMT_OK;
}

/* The node of one version in the point list. */
static inline lsmt_status lsmt_mt_encode(const lsmt_memtable *mt, uint64_t seq,
                                         lsmt_entry_type type, const void *key, size_t klen,
                                         const void *value, size_t vlen, lsmt_skiplist_node **node)
{
    return lsmt_mt_encode_in(mt, mt->sl, seq, (unsigned)type, key, klen, value, vlen, node);
}

/* Decode the entry of skip-list node `n` (the encoding above) of memtable mt. */
static inline void lsmt_mt_decode(const lsmt_memtable *mt, const lsmt_skiplist_node *n,
                                  lsmt_mt_entry *e)
{
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(n, &se);
    size_t p = mt->prot, vl = se.vlen >= p ? se.vlen - p : 0;
    e->key = se.key;
    e->klen = se.klen;
    e->seq = se.version;
    e->type = (lsmt_entry_type)se.tag;
    e->value = e->type == LSMT_TYPE_PUT ? se.value : NULL;
    e->vlen = e->type == LSMT_TYPE_PUT ? vl : 0;
    e->raw = se.value;
    e->raw_len = se.vlen;
    e->prot = p && se.vlen >= p ? (const unsigned char *)se.value + vl : NULL;
}

/* Verify decoded entry e (protect.h): LSMT_OK, or LSMT_CORRUPTION when its checksum does
 * not match, its type is not one the memtable writes, a tombstone holds value bytes, or
 * its key or value would reach outside the arena (checked first, so a corrupted length
 * cannot make the check itself read out of bounds). LSMT_OK when protection is off. */
static inline lsmt_status lsmt_mt_verify(const lsmt_memtable *mt, const lsmt_mt_entry *e)
{
    if (mt->prot == 0)
        return LSMT_OK;
    /* the hashed span [key, checksum): inside the arena, and long enough for the key and
     * the tail word (protect.h) */
    uintptr_t k = (uintptr_t)e->key, c = (uintptr_t)e->prot;
    if (e->prot == NULL || (e->type != LSMT_TYPE_PUT && e->type != LSMT_TYPE_DELETE) ||
        (e->type == LSMT_TYPE_DELETE && e->raw_len != mt->prot) || k < mt->arena_lo || c < k ||
        c > mt->arena_hi - mt->prot || e->klen > c - k || c - k - e->klen < LSMT_PROT_TAIL_BYTES)
        return LSMT_CORRUPTION;
    uint64_t h = lsmt_prot_hash(e->key, (size_t)(c - k), (unsigned)e->type);
    return lsmt_prot_match(e->prot, mt->prot, h) ? LSMT_OK : LSMT_CORRUPTION;
}

/* Record that a write was refused with LSMT_FULL (invariant 5: FULL implies should_flush).
 * Called inside the writer's read section, so reset_all's grace period orders it before
 * the reset's clear. */
static inline void lsmt_mt_note_full(lsmt_memtable *mt, lsmt_status st)
{
    /* relaxed: see refused_full */
    if (LSMT_UNLIKELY(st == LSMT_FULL))
        atomic_store_explicit(&mt->refused_full, true, memory_order_relaxed);
}

/* Add to the calling thread's statistics slot. */
static inline void lsmt_mt_count(lsmt_memtable *mt, size_t field_offset, uint64_t v)
{
    unsigned slot = lsmt_mt_tls.slot;
    _Atomic uint64_t *c = (_Atomic uint64_t *)((char *)&mt->ctr[slot] + field_offset);
    if (LSMT_LIKELY(slot < LSMT_MT_SLOTS)) {
        /* relaxed load + store: this thread is the slot's only writer (rcu.c), and
         * readers only need an eventually exact sum. */
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                              memory_order_relaxed);
    } else {
        /* relaxed RMW: the shared slot has several writers; only the sum matters. */
        atomic_fetch_add_explicit(c, v, memory_order_relaxed);
    }
}
#define LSMT_MT_COUNT(mt, field, v) lsmt_mt_count((mt), offsetof(lsmt_mt_counters, field), (v))

/* Count `puts` puts and `dels` deletes that together hold `kbytes` key bytes and `vbytes`
 * value bytes: the statistics of every successful write, single or batched. */
static inline void lsmt_mt_count_writes(lsmt_memtable *mt, uint64_t puts, uint64_t dels,
                                        uint64_t kbytes, uint64_t vbytes)
{
    if (puts != 0) {
        LSMT_MT_COUNT(mt, puts, puts);
        LSMT_MT_COUNT(mt, value_bytes, vbytes);
    }
    if (dels != 0)
        LSMT_MT_COUNT(mt, deletes, dels);
    LSMT_MT_COUNT(mt, key_bytes, kbytes);
}

/* Is `a` equal to `b` under the memtable's comparator? */
static inline bool lsmt_mt_key_eq(const lsmt_memtable *mt, const void *a, size_t alen,
                                  const void *b, size_t blen)
{
    if (mt->cmp == lsmt_bytewise_compare)
        return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
    return mt->cmp(mt->cmp_ctx, a, alen, b, blen) == 0;
}

/* Every key the memtable accepts is one the skip list accepts, so a batched skip-list
 * call on keys that passed lsmt_mt_bad_key (multi_get, a write batch's duplicate check)
 * cannot be refused. */
_Static_assert(LSMT_MEMTABLE_MAX_KEY_LEN <= LSMT_SKIPLIST_MAX_KEY_LEN,
               "memtable keys must be valid skip-list keys");

/* Argument checks shared by the entry points. */
static inline bool lsmt_mt_bad_key(const void *key, size_t klen)
{
    return (key == NULL && klen != 0) || klen > LSMT_MEMTABLE_MAX_KEY_LEN;
}

/* Begin / end an operation that reads or writes the list: registration and RCU read
 * section. lsmt_mt_begin returns -1 (LSMT_NOMEM) if the thread could not register. */
static inline int lsmt_mt_begin(void)
{
    if (lsmt_mt_thread_enter() != 0)
        return -1;
    lsmt_mt_read_lock();
    return 0;
}
static inline void lsmt_mt_end(const lsmt_memtable *mt)
{
    lsmt_mt_read_unlock(&mt->tsan_token);
}

/* The memtable's write path for already validated batch records (batch.c). */
__attribute__((visibility("hidden"))) lsmt_status lsmt_mt_writable(const lsmt_memtable *mt);

/* Before a write's insert: the key's hash, and its home slot starts loading so that the
 * slot's cache miss overlaps the skip-list search. 0 when the index is off. */
static inline uint64_t lsmt_mt_index_prepare(const lsmt_memtable *mt, const void *key, size_t klen)
{
    if (mt->hidx.slots == NULL)
        return 0;
    uint64_t h = lsmt_hash_index_hash(key, klen);
    __builtin_prefetch((const void *)&mt->hidx.slots[lsmt_hash_index_home(&mt->hidx, h)], 1, 3);
    return h;
}

/* After a successful insert of `node` (key, seq; h from lsmt_mt_index_prepare): tell the
 * hash index, if it is on (hash_index.h invariant 2: only published nodes). */
static inline void lsmt_mt_index_learn(lsmt_memtable *mt, uint64_t h,
                                       const lsmt_skiplist_node *node, const void *key, size_t klen,
                                       uint64_t seq)
{
    if (mt->hidx.slots != NULL)
        lsmt_hash_index_learn(&mt->hidx, mt->sl, h, node, key, klen, seq);
}

#endif
