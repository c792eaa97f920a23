/* lsmt_memtable: LSM semantics over the lock-free skip list (see lsmt/memtable.h).
 *
 * Design
 *  - One skip list over one concurrent arena (own, or checked out of a pool). Every
 *    version is one skip-list node (one arena allocation, value inline); the encoding is
 *    documented at encode_entry below. Seeks for snapshot s use the skip list's
 *    (key asc, version desc) order directly: the first node >= (key, s) is the newest
 *    version of key with sequence <= s, if its key is key.
 *  - A bloom filter over user keys (memtable/bloom.h) lets gets of absent keys skip
 *    the list; its bit is set before the entry is published (invariant 2 argument at
 *    lsmt_bloom_add_apply).
 *  - An optional hash index (memtable/hash_index.h) maps each user key to the node of
 *    its newest version: gets land there and walk level 0 to their snapshot, misses
 *    skip the search. A write tells it after its node is published (write_one,
 *    batch.c); gets go through get_resolve with the node found either way.
 *  - Statistics live in per-thread cache-line slots (rcu.h), summed on read: no shared
 *    counter is written on the hot path.
 *  - Range tombstones (range_del.c) are a second read after the point read; a get, and
 *    each multi_get chunk, redoes both when a range delete began in between (R4 of
 *    memtable/range_del.h; the argument at lsmt_memtable_get). The retry cannot delay
 *    reset_all: once RESETTING is set no range delete begins and gets read empty.
 *
 * Concurrency model
 *  - Every write, get and iterator step runs inside an RCU read-side section
 *    (liburcu-memb, registration done lazily in rcu.c) and first reads the state word.
 *  - freeze sets FROZEN and waits for a grace period: writes that missed the flag were
 *    inside sections that started before it, and the grace period waits for them, so
 *    when freeze returns no write is in flight and none will start.
 *  - reset_all works in two steps. It sets RESET_PENDING (a CAS, so resets never
 *    overlap) and refuses with LSMT_BUSY while an iterator is open (a Dekker pair of
 *    seq_cst operations with iter_create: at least one side sees the other); gets and
 *    writes do not look at RESET_PENDING, so a refused reset changes nothing they can
 *    observe. Only then does it add RESETTING, wait for a grace period (every get and
 *    write that missed RESETTING has finished; later ones see it and touch nothing:
 *    writes return LSMT_BUSY, gets read the memtable as empty), reset arena, list, bloom
 *    and counters, and clear the state word with a release store that the acquire load
 *    at the start of every operation pairs with (invariant 4). The memtable is then
 *    ACTIVE: a freeze that overlapped the reset is ordered before it and undone.
 */
#include "lsmt/memtable.h"

#include <stdlib.h>
#include <unistd.h>

#include "arena/concurrent_internal.h"
#include "memtable/memtable_internal.h"
#include "memtable/range_del.h"
#include "skiplist/checked.h"
#include "skiplist/skiplist_internal.h"

/* Expected bytes per entry when sizing the bloom filter from the write-buffer size
 * (bloom_expected_keys = 0: a small key and value plus the node header). Smaller
 * entries than this only raise the false-positive rate, never cause false negatives. */
#define LSMT_MT_BLOOM_ENTRY_BYTES 64u
/* No entry takes fewer arena bytes than this (a node's fixed fields alone take 16), so
 * no budget holds more entries than write_buffer_size / this. */
#define LSMT_MT_MIN_ENTRY_BYTES   16u
/* Every sequence number fits a skip-list version (the node's 56-bit version field). */
_Static_assert(LSMT_MAX_SEQUENCE <= LSMT_SKIPLIST_MAX_VERSION,
               "sequence numbers must fit the skip list's versions");
#define LSMT_MT_MAX_BLOOM_BITS   64u
/* Expected bytes per entry when sizing the hash index from the write-buffer size
 * (hash_index_expected_keys = 0): a small key, a ~100-byte value and the node header. */
#define LSMT_MT_HASH_ENTRY_BYTES 128u

void lsmt_memtable_options_default(lsmt_memtable_options *opt)
{
    if (opt == NULL)
        return;
    memset(opt, 0, sizeof *opt);
    opt->write_buffer_size = (size_t)64 << 20;
    opt->hard_limit = 0;
    opt->shard_count = 0;
    opt->compare = NULL;
    opt->compare_ctx = NULL;
    opt->bloom_bits_per_key = 0;
    opt->bloom_expected_keys = 0;
    opt->hash_index = false;
    opt->hash_index_expected_keys = 0;
    opt->huge_pages = true;
    opt->pool = NULL;
    opt->protection_bytes_per_key = 0;
    opt->paranoid_checks = false;
}

static size_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 256 ? 256 : (size_t)n;
}

/* The memtable's arena: checked out of the pool, or created for the options' hard limit
 * (derived when 0: write_buffer_size + 25 % + one chunk per shard, so writers racing past
 * the budget still fit while the engine rotates). */
static lsmt_status memtable_arena(const lsmt_memtable_options *o, lsmt_sharded_arena **out)
{
    if (o->pool != NULL)
        return lsmt_arena_pool_checkout(o->pool, out);
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    size_t shards = o->shard_count ? o->shard_count : cpu_count();
    size_t hard = o->hard_limit;
    if (hard == 0) {
        size_t slack;
        if (lsmt_mul_overflow(shards, ao.chunk_size, &slack) ||
            lsmt_add_overflow(o->write_buffer_size, o->write_buffer_size / 4, &hard) ||
            lsmt_add_overflow(hard, slack, &hard))
            return LSMT_INVALID;
    }
    if (hard < o->write_buffer_size)
        return LSMT_INVALID;
    ao.capacity = hard;
    ao.shard_count = o->shard_count;
    /* huge pages only for large arenas (memtable.h, huge_pages) */
    ao.huge_pages = o->huge_pages && hard >= LSMT_MEMTABLE_HUGE_PAGES_MIN;
    return lsmt_sharded_arena_create(&ao, out);
}

lsmt_status lsmt_memtable_create(const lsmt_memtable_options *opt, lsmt_memtable **out)
{
    lsmt_memtable_options o;
    if (out == NULL)
        return LSMT_INVALID;
    if (opt == NULL)
        lsmt_memtable_options_default(&o);
    else
        o = *opt;
    if (o.write_buffer_size == 0 || o.bloom_bits_per_key > LSMT_MT_MAX_BLOOM_BITS ||
        o.bloom_expected_keys > o.write_buffer_size / LSMT_MT_MIN_ENTRY_BYTES ||
        o.hash_index_expected_keys > o.write_buffer_size / LSMT_MT_MIN_ENTRY_BYTES ||
        !lsmt_prot_width_ok(o.protection_bytes_per_key))
        return LSMT_INVALID;

    lsmt_sharded_arena *arena = NULL;
    lsmt_status st = memtable_arena(&o, &arena);
    if (st != LSMT_OK)
        return st;

    lsmt_memtable *mt = aligned_alloc(LSMT_CACHE_LINE, sizeof *mt);
    if (mt == NULL) {
        st = LSMT_NOMEM;
        goto fail_arena;
    }
    memset(mt, 0, sizeof *mt);
    mt->arena = arena;
    mt->pool = o.pool;
    mt->cmp = o.compare ? o.compare : lsmt_bytewise_compare;
    mt->cmp_ctx = o.compare ? o.compare_ctx : NULL;
    /* With a pool the arena's capacity is the hard limit; the budget is clamped to it. */
    size_t cap = lsmt_sharded_arena_capacity_(arena);
    mt->write_buffer_size = o.write_buffer_size < cap ? o.write_buffer_size : cap;
    mt->prot = o.protection_bytes_per_key;
    mt->paranoid = o.paranoid_checks;
    mt->arena_lo = (uintptr_t)lsmt_sharded_arena_base_(arena);
    mt->arena_hi = mt->arena_lo + cap;

    lsmt_skiplist_options so;
    lsmt_skiplist_options_default(&so);
    so.arena = arena;
    /* The bytewise order goes in as NULL so the skip list keeps its key-prefix path. */
    so.compare = mt->cmp == lsmt_bytewise_compare ? NULL : mt->cmp;
    so.compare_ctx = mt->cmp_ctx;
    st = lsmt_skiplist_create(&so, &mt->sl);
    if (st != LSMT_OK)
        goto fail_mt;
    /* A get's caller reads the value it returns (an engine copies it out; a protected
     * get hashes the whole entry first: protect.h). A node with a ~100-byte value spans
     * three lines, so each level-0 node a get compares loads its next two with its first:
     * the found entry's value then arrives beside its key instead of one miss after the
     * get returns (bench/README.md, "Gets fetch the value they return": YCSB C +5 % at
     * 1 thread, +14 % at 2; W3, which reads one value byte, unchanged). */
    lsmt_sl_prefetch_entry_lines(mt->sl, 2);
    st = lsmt_mt_range_create(mt); /* range tombstones: their own list (range_del.h) */
    if (st != LSMT_OK)
        goto fail_sl;

    /* With the hash index answering gets (not paranoid ones, which bypass it), no get
     * tests the filter: it is not built, and writes do not hash their keys for it. */
    bool bloom = o.bloom_bits_per_key > 0 && !(o.hash_index && !o.paranoid_checks);
    if (bloom &&
        lsmt_bloom_init(&mt->bloom,
                        o.bloom_expected_keys ? o.bloom_expected_keys
                                              : mt->write_buffer_size / LSMT_MT_BLOOM_ENTRY_BYTES,
                        o.bloom_bits_per_key) != 0) {
        st = LSMT_NOMEM;
        goto fail_sl;
    }
    if (o.hash_index && lsmt_hash_index_init(&mt->hidx, o.hash_index_expected_keys
                                                            ? o.hash_index_expected_keys
                                                            : mt->write_buffer_size /
                                                                  LSMT_MT_HASH_ENTRY_BYTES) != 0) {
        st = LSMT_NOMEM;
        goto fail_bloom;
    }
    /* relaxed: the memtable is published to other threads by the caller. */
    atomic_store_explicit(&mt->state, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->open_iters, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->resets, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->refused_full, false, memory_order_relaxed);
    *out = mt;
    return LSMT_OK;

fail_bloom:
    lsmt_bloom_free(&mt->bloom);
fail_sl:
    lsmt_mt_range_destroy(mt);
    lsmt_skiplist_destroy(mt->sl);
fail_mt:
    free(mt);
fail_arena:
    if (o.pool != NULL && lsmt_arena_pool_give_back(o.pool, arena) == LSMT_OK)
        return st;
    lsmt_sharded_arena_destroy(arena);
    return st;
}

void lsmt_memtable_destroy(lsmt_memtable *mt)
{
    if (mt == NULL)
        return;
    lsmt_mt_range_destroy(mt);
    lsmt_skiplist_destroy(mt->sl);
    lsmt_bloom_free(&mt->bloom);
    lsmt_hash_index_free(&mt->hidx);
    if (mt->pool == NULL || lsmt_arena_pool_give_back(mt->pool, mt->arena) != LSMT_OK)
        lsmt_sharded_arena_destroy(mt->arena);
    free(mt);
}

/* ---- writes ------------------------------------------------------------------------- */

lsmt_status lsmt_mt_writable(const lsmt_memtable *mt)
{
    /* acquire: pairs with reset_all's release store that ends a reset, so a write that
     * sees the memtable ACTIVE again sees the reset arena, list, bloom and counters.
     * FROZEN/RESETTING set by freeze/reset_all are seen by every section that started
     * after their grace period began (RCU's guarantee); earlier ones are waited for. */
    uint32_t s = atomic_load_explicit(&mt->state, memory_order_acquire);
    if (s & LSMT_MT_RESETTING)
        return LSMT_BUSY;
    if (s & LSMT_MT_FROZEN)
        return LSMT_FROZEN;
    return LSMT_OK;
}

/* write_one's publish hook: the key's bloom bit, set before the node becomes reachable. */
static void bloom_apply_hook(void *pending)
{
    lsmt_bloom_add_apply(pending);
}

static lsmt_status write_one(lsmt_memtable *mt, uint64_t seq, lsmt_entry_type type, const void *key,
                             size_t klen, const void *value, size_t vlen)
{
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    lsmt_status st = lsmt_mt_writable(mt);
    if (st == LSMT_OK) {
        lsmt_skiplist_node *node;
        lsmt_bloom_pending bp;
        uint64_t hh = lsmt_mt_index_prepare(mt, key, klen);
        if (mt->bloom.nlines)
            lsmt_bloom_add_prepare(&mt->bloom, lsmt_bloom_hash(key, klen), &bp);
        st = lsmt_mt_encode(mt, seq, type, key, klen, value, vlen, &node);
        if (st == LSMT_OK) {
            /* The bloom bit goes in before the node is published (bloom.h), but as late as
             * that allows: after the search, whose chain of dependent misses hides the
             * line's. */
            st = lsmt_sl_node_insert_hooked(mt->sl, node,
                                            mt->bloom.nlines ? bloom_apply_hook : NULL, &bp);
        }
        if (st == LSMT_OK) {
            lsmt_mt_index_learn(mt, hh, node, key, klen, seq);
            lsmt_mt_count_writes(mt, type == LSMT_TYPE_PUT, type != LSMT_TYPE_PUT, klen, vlen);
        }
        lsmt_mt_note_full(mt, st);
    }
    lsmt_mt_end(mt);
    return st;
}

lsmt_status lsmt_memtable_put(lsmt_memtable *mt, uint64_t seq, const void *key, size_t klen,
                              const void *value, size_t vlen)
{
    if (mt == NULL || lsmt_mt_bad_key(key, klen) || (value == NULL && vlen != 0) ||
        vlen > LSMT_MEMTABLE_MAX_VALUE_LEN)
        return LSMT_INVALID;
    if (seq > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    return write_one(mt, seq, LSMT_TYPE_PUT, key, klen, value, vlen);
}

lsmt_status lsmt_memtable_delete(lsmt_memtable *mt, uint64_t seq, const void *key, size_t klen)
{
    if (mt == NULL || lsmt_mt_bad_key(key, klen))
        return LSMT_INVALID;
    if (seq > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    return write_one(mt, seq, LSMT_TYPE_DELETE, key, klen, NULL, 0);
}

/* ---- reads -------------------------------------------------------------------------- */

/* What a get of a key with no visible point version answers: LSMT_DELETED when a range
 * tombstone visible at the snapshot covers it, else LSMT_NOT_FOUND. */
static inline __attribute__((always_inline)) lsmt_status
get_absent(lsmt_memtable *mt, const void *key, size_t klen, uint64_t snapshot, uint64_t *seq_out)
{
    uint64_t t;
    int r = lsmt_mt_range_covering_seq(mt, key, klen, snapshot, &t);
    if (LSMT_LIKELY(r == LSMT_RT_NONE))
        return LSMT_NOT_FOUND;
    if (r == LSMT_RT_CORRUPT)
        return LSMT_CORRUPTION;
    if (seq_out != NULL)
        *seq_out = t;
    return LSMT_DELETED;
}

/* What a get answers once the skip list has found n, the first node >= (key, snapshot)
 * (NULL when none): versions are descending, so n is the newest version of `key` with
 * seq <= snapshot when its key is `key`. The one place where the point version and the
 * range tombstones meet (lsmt_mt_range_covering_seq: a tombstone newer than the version
 * hides it; R3). Never writes its out-params on failure. Forced inline: the get path's
 * cost with no range tombstone is then one load and one branch more than before them
 * (callgrind, W3 over 50k entries: +5 instructions per get, +0.3 %; out of line it was
 * +31, +1.7 %). */
static inline __attribute__((always_inline)) lsmt_status
get_resolve(lsmt_memtable *mt, const lsmt_skiplist_node *n, const void *key, size_t klen,
            uint64_t snapshot, const void **value, size_t *vlen, uint64_t *seq_out)
{
    lsmt_mt_entry e;
    if (n != NULL) {
        lsmt_mt_decode(mt, n, &e);
        /* protection: start loading the lines the verify below hashes (the value's, up
         * to the checksum) before the key comparison, so their misses overlap */
        if (LSMT_UNLIKELY(e.prot != NULL))
            lsmt_prot_prefetch(e.key, e.prot);
    }
    if (n == NULL || !lsmt_mt_key_eq(mt, e.key, e.klen, key, klen)) {
        if (mt->bloom.nlines && mt->hidx.slots == NULL) /* the filter let it through for nothing */
            LSMT_MT_COUNT(mt, bloom_false_positives, 1);
        return get_absent(mt, key, klen, snapshot, seq_out);
    }
    /* protection: the one entry this get returns is verified (protect.h) */
    if (LSMT_UNLIKELY(mt->prot != 0) && lsmt_mt_verify(mt, &e) != LSMT_OK)
        return LSMT_CORRUPTION;
    /* invariant 1: first node >= (key, snapshot); a corrupted sequence is caught above */
    LSMT_ASSERT(mt->prot != 0 || e.seq <= snapshot);
    uint64_t t;
    int r = lsmt_mt_range_covering_seq(mt, key, klen, snapshot, &t);
    if (LSMT_UNLIKELY(r != LSMT_RT_NONE)) {
        if (r == LSMT_RT_CORRUPT)
            return LSMT_CORRUPTION;
        if (t > e.seq) {
            if (seq_out != NULL)
                *seq_out = t;
            return LSMT_DELETED;
        }
    }
    if (seq_out != NULL)
        *seq_out = e.seq;
    if (e.type != LSMT_TYPE_PUT)
        return LSMT_DELETED;
    *value = e.value;
    *vlen = e.vlen;
    return LSMT_OK;
}

/* A memtable being reset reads as empty. */
static bool reads_empty(const lsmt_memtable *mt)
{
    /* acquire: as in lsmt_mt_writable. */
    return atomic_load_explicit(&mt->state, memory_order_acquire) & LSMT_MT_RESETTING;
}

/* A get through the hash index: its answer, or LSMT_STATUS_COUNT_ when the key is not
 * indexed (the table was full near its home) and the skip list must be searched. Out of
 * line: the index is an option, and the plain get below stays small enough to inline. */
static __attribute__((noinline)) lsmt_status get_indexed(lsmt_memtable *mt, const void *key,
                                                         size_t klen, uint64_t snapshot,
                                                         const void **value, size_t *vlen,
                                                         uint64_t *seq_out)
{
    const lsmt_skiplist_node *n;
    switch (
        lsmt_hash_index_find(&mt->hidx, mt->sl, lsmt_hash_index_hash(key, klen), key, klen, &n)) {
    case LSMT_HI_HIT:
        n = lsmt_hash_index_walk(mt->sl, n, key, klen, snapshot);
        return get_resolve(mt, n, key, klen, snapshot, value, vlen, seq_out);
    case LSMT_HI_MISS:
        return get_resolve(mt, NULL, key, klen, snapshot, value, vlen, seq_out);
    case LSMT_HI_UNKNOWN:
        break;
    }
    return LSMT_STATUS_COUNT_;
}

/* The get of one key inside a read section. Forced inline into lsmt_memtable_get: out of
 * line it cost a call and its spills, +32 instructions per get (callgrind, W3). */
static inline __attribute__((always_inline)) lsmt_status
get_locked(lsmt_memtable *mt, const void *key, size_t klen, uint64_t snapshot, const void **value,
           size_t *vlen, uint64_t *seq_out)
{
    if (reads_empty(mt))
        return LSMT_NOT_FOUND;
    /* paranoid_checks: gets take the checked walk below, not the index (whose walk reads
     * nodes unchecked) */
    if (mt->hidx.slots != NULL && LSMT_LIKELY(!mt->paranoid)) {
        lsmt_status st = get_indexed(mt, key, klen, snapshot, value, vlen, seq_out);
        if (st != LSMT_STATUS_COUNT_)
            return st;
        /* not indexed (table full near the key): search the list */
    } else if (mt->bloom.nlines) {
        LSMT_MT_COUNT(mt, bloom_checks, 1);
        if (!lsmt_bloom_may_contain(&mt->bloom, lsmt_bloom_hash(key, klen))) {
            LSMT_MT_COUNT(mt, bloom_negatives, 1);
            return get_absent(mt, key, klen, snapshot, seq_out);
        }
    }
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->sl);
    if (LSMT_UNLIKELY(mt->paranoid)) {
        /* paranoid_checks: the checked walk (skiplist/checked.c) */
        lsmt_status cs = lsmt_sl_checked_seek(&it, key, klen, snapshot, LSMT_SL_GE);
        if (cs == LSMT_CORRUPTION)
            return cs;
    } else {
        lsmt_skiplist_iter_seek(&it, key, klen, snapshot);
    }
    return get_resolve(mt, lsmt_skiplist_iter_node(&it), key, klen, snapshot, value, vlen, seq_out);
}

lsmt_status lsmt_memtable_get(lsmt_memtable *mt, const void *key, size_t klen, uint64_t snapshot,
                              const void **value, size_t *vlen, uint64_t *seq_out)
{
    if (mt == NULL || lsmt_mt_bad_key(key, klen) || value == NULL || vlen == NULL)
        return LSMT_INVALID;
    if (snapshot > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    /* Linearizable under range deletes (R4, memtable/range_del.h). The point read and
     * the tombstone read are two reads; with sequence numbers handed out out of
     * real-time order, a tombstone invoked after the point read could otherwise decide
     * the answer (put k@10; get reads v10; put k@12; delete_range@11 invoked and done;
     * get's tombstone read sees 11 > 10: DELETED, which no instant had). Linearize the
     * get at its point read P; the answer is P's point version against the tombstones T
     * the tombstone read saw. It is legal when every tombstone in T could be placed
     * before P and every tombstone completed before P is in T:
     *  - g0 == g1 (the generation loaded before the point read and after the tombstone
     *    read): each tombstone in T bumped the generation before its link, which the
     *    tombstone read saw (in the recent stack, pushed after the link, or through a
     *    view built from a scan that saw it), so its increment is at or before
     *    g1 == g0: it was invoked before this get's point read, and may be linearized
     *    there;
     *  - a tombstone that completed before P incremented the count before the tombstone
     *    read loaded it, so the view consulted or the recent stack above it includes it
     *    (R1); a count of 0 (the fast path) means none had completed;
     *  - one that was only in flight and is not in T is linearized after P.
     * Progress: lock-free, not wait-free. A get starts over only when a range delete
     * began during it; with none ever, the cost is these two loads of the state word's
     * read-mostly line (memtable_internal.h). The hash-index path runs inside
     * get_locked, so it is covered too. */
    lsmt_status st;
    for (;;) {
        uint64_t g0 = lsmt_mt_rt_generation(mt);
        st = get_locked(mt, key, klen, snapshot, value, vlen, seq_out);
        if (LSMT_LIKELY(lsmt_mt_rt_generation(mt) == g0))
            break;
    }
    lsmt_mt_end(mt);
    return st;
}

/* multi_get takes its keys in chunks of this many: the chunk's bloom lines are
 * prefetched together, then the keys that pass go through one lsmt_skiplist_seek_batch,
 * whose interleaved searches overlap their cache misses. */
#define MULTI_GET_CHUNK 32

/* multi_get for n <= MULTI_GET_CHUNK keys, inside the caller's read section. */
static void multi_get_chunk(lsmt_memtable *mt, size_t n, const void *const *keys,
                            const size_t *klens, uint64_t snapshot, lsmt_status *statuses,
                            const void **values, size_t *vlens)
{
    const void *skeys[MULTI_GET_CHUNK];
    size_t sklens[MULTI_GET_CHUNK], which[MULTI_GET_CHUNK], m = 0;
    const lsmt_skiplist_node *found[MULTI_GET_CHUNK];
    uint64_t snaps[MULTI_GET_CHUNK];
    if (mt->bloom.nlines) {
        uint64_t h[MULTI_GET_CHUNK];
        for (size_t i = 0; i < n; i++) {
            h[i] = lsmt_bloom_hash(keys[i], klens[i]);
            lsmt_bloom_prefetch_read(&mt->bloom, h[i]);
        }
        LSMT_MT_COUNT(mt, bloom_checks, n);
        for (size_t i = 0; i < n; i++) {
            if (lsmt_bloom_may_contain(&mt->bloom, h[i]))
                which[m++] = i;
            else
                statuses[i] = get_absent(mt, keys[i], klens[i], snapshot, NULL);
        }
        LSMT_MT_COUNT(mt, bloom_negatives, n - m);
    } else {
        for (size_t i = 0; i < n; i++)
            which[m++] = i;
    }
    for (size_t j = 0; j < m; j++) {
        skeys[j] = keys[which[j]];
        sklens[j] = klens[which[j]];
        snaps[j] = snapshot;
    }
    /* the keys were checked by the caller: seek_batch cannot refuse them */
    if (LSMT_LIKELY(!mt->paranoid))
        lsmt_skiplist_seek_batch(mt->sl, m, skeys, sklens, snaps, found);
    for (size_t j = 0; j < m; j++) {
        size_t i = which[j];
        if (LSMT_UNLIKELY(mt->paranoid)) {
            /* paranoid_checks: one checked walk per key (skiplist/checked.c) */
            lsmt_skiplist_iter it;
            lsmt_skiplist_iter_init(&it, mt->sl);
            if (lsmt_sl_checked_seek(&it, skeys[j], sklens[j], snapshot, LSMT_SL_GE) ==
                LSMT_CORRUPTION) {
                statuses[i] = LSMT_CORRUPTION;
                continue;
            }
            found[j] = lsmt_skiplist_iter_node(&it);
        }
        statuses[i] =
            get_resolve(mt, found[j], keys[i], klens[i], snapshot, &values[i], &vlens[i], NULL);
    }
}

/* multi_get_chunk with the hash index on: the chunk's home slots are prefetched together,
 * then the nodes their words name, then each key is resolved (hash_index_find, level-0
 * walk); only the keys the index cannot answer (hash_index.h invariant 3) go through one
 * lsmt_skiplist_seek_batch. */
static void multi_get_chunk_indexed(lsmt_memtable *mt, size_t n, const void *const *keys,
                                    const size_t *klens, uint64_t snapshot, lsmt_status *statuses,
                                    const void **values, size_t *vlens)
{
    uint64_t h[MULTI_GET_CHUNK];
    const void *skeys[MULTI_GET_CHUNK];
    size_t sklens[MULTI_GET_CHUNK], which[MULTI_GET_CHUNK], m = 0;
    const lsmt_skiplist_node *found[MULTI_GET_CHUNK];
    uint64_t snaps[MULTI_GET_CHUNK];
    for (size_t i = 0; i < n; i++) {
        h[i] = lsmt_hash_index_hash(keys[i], klens[i]);
        lsmt_hash_index_prefetch(&mt->hidx, h[i]);
    }
    for (size_t i = 0; i < n; i++)
        lsmt_hash_index_prefetch_node(&mt->hidx, mt->sl, h[i]);
    for (size_t i = 0; i < n; i++) {
        const lsmt_skiplist_node *node = NULL;
        switch (lsmt_hash_index_find(&mt->hidx, mt->sl, h[i], keys[i], klens[i], &node)) {
        case LSMT_HI_HIT:
            node = lsmt_hash_index_walk(mt->sl, node, keys[i], klens[i], snapshot);
            /* fall through */
        case LSMT_HI_MISS:
            statuses[i] =
                get_resolve(mt, node, keys[i], klens[i], snapshot, &values[i], &vlens[i], NULL);
            break;
        case LSMT_HI_UNKNOWN:
            skeys[m] = keys[i];
            sklens[m] = klens[i];
            snaps[m] = snapshot;
            which[m++] = i;
            break;
        }
    }
    if (m == 0)
        return;
    /* the keys were checked by the caller: seek_batch cannot refuse them */
    lsmt_skiplist_seek_batch(mt->sl, m, skeys, sklens, snaps, found);
    for (size_t j = 0; j < m; j++) {
        size_t i = which[j];
        statuses[i] =
            get_resolve(mt, found[j], keys[i], klens[i], snapshot, &values[i], &vlens[i], NULL);
    }
}

lsmt_status lsmt_memtable_multi_get(lsmt_memtable *mt, size_t n, const void *const *keys,
                                    const size_t *klens, uint64_t snapshot, lsmt_status *statuses,
                                    const void **values, size_t *vlens)
{
    if (mt == NULL || (n != 0 && (keys == NULL || klens == NULL || statuses == NULL ||
                                  values == NULL || vlens == NULL)))
        return LSMT_INVALID;
    if (snapshot > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    for (size_t i = 0; i < n; i++) {
        if (lsmt_mt_bad_key(keys[i], klens[i]))
            return LSMT_INVALID;
    }
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    if (reads_empty(mt)) {
        for (size_t i = 0; i < n; i++)
            statuses[i] = LSMT_NOT_FOUND;
    } else {
        for (size_t i = 0; i < n; i += MULTI_GET_CHUNK) {
            size_t c = n - i < MULTI_GET_CHUNK ? n - i : MULTI_GET_CHUNK;
            /* R4: a chunk is redone when a range delete began during it, so each
             * position is a linearizable get (the argument in lsmt_memtable_get) */
            uint64_t g0;
            do {
                g0 = lsmt_mt_rt_generation(mt);
                (mt->hidx.slots != NULL && !mt->paranoid ? multi_get_chunk_indexed
                                                         : multi_get_chunk)(
                    mt, c, keys + i, klens + i, snapshot, statuses + i, values + i, vlens + i);
            } while (LSMT_UNLIKELY(lsmt_mt_rt_generation(mt) != g0));
        }
    }
    lsmt_mt_end(mt);
    return LSMT_OK;
}

/* ---- memory and lifecycle -------------------------------------------------------------- */

size_t lsmt_memtable_approximate_memory_usage(const lsmt_memtable *mt)
{
    return mt ? lsmt_sharded_arena_bytes_reserved_(mt->arena) : 0;
}

bool lsmt_memtable_should_flush(const lsmt_memtable *mt)
{
    if (mt == NULL)
        return false;
    /* bytes_reserved only grows until reset_all, and never past the arena's capacity, the
     * hard limit (invariant 5). */
    size_t used = lsmt_sharded_arena_bytes_reserved_(mt->arena);
    LSMT_ASSERT(used <= lsmt_sharded_arena_capacity_(mt->arena));
    /* relaxed: see refused_full (invariant 5: a write refused FULL makes this true even
     * when the arena filled up below write_buffer_size) */
    return used >= mt->write_buffer_size ||
           atomic_load_explicit(&mt->refused_full, memory_order_relaxed);
}

lsmt_status lsmt_memtable_freeze(lsmt_memtable *mt)
{
    if (mt == NULL)
        return LSMT_INVALID;
    /* seq_cst RMW: the flag must be in place before the grace period starts, so that
     * every write section beginning after that point sees it (RCU's guarantee). */
    atomic_fetch_or_explicit(&mt->state, LSMT_MT_FROZEN, memory_order_seq_cst);
    /* Writes in flight that missed the flag finish before this returns. */
    lsmt_mt_synchronize(&mt->tsan_token);
    return LSMT_OK;
}

lsmt_status lsmt_memtable_reset_all(lsmt_memtable *mt)
{
    if (mt == NULL)
        return LSMT_INVALID;
    /* relaxed: only a starting value for the CAS. */
    uint32_t s = atomic_load_explicit(&mt->state, memory_order_relaxed);
    do {
        if (s & LSMT_MT_RESET_PENDING)
            return LSMT_BUSY; /* another reset runs */
        /* seq_cst CAS: the Dekker pair with iter_create (it increments open_iters then
         * loads state; we set RESET_PENDING then load open_iters: with all four
         * seq_cst, at least one sees the other). Fails when freeze or another reset
         * changed the word: retry with the new value (a concurrent reset makes the next
         * round return LSMT_BUSY). */
    } while (!atomic_compare_exchange_weak_explicit(&mt->state, &s, s | LSMT_MT_RESET_PENDING,
                                                    memory_order_seq_cst, memory_order_relaxed));
    /* seq_cst: the other half of the Dekker pair above. Also acquires the destroyed
     * iterators' reads (their release decrement). */
    if (atomic_load_explicit(&mt->open_iters, memory_order_seq_cst) != 0) {
        /* release: undoes our flag. Gets and writes never looked at it, so nothing
         * they can observe changed. */
        atomic_fetch_and_explicit(&mt->state, ~LSMT_MT_RESET_PENDING, memory_order_release);
        return LSMT_BUSY;
    }
    /* seq_cst RMW: RESETTING must be in place before the grace period starts, so every
     * section beginning after that point sees it (RCU's guarantee). */
    atomic_fetch_or_explicit(&mt->state, LSMT_MT_RESETTING, memory_order_seq_cst);
    /* Every get and write that missed RESETTING is inside a section that began before
     * this grace period: wait for them (invariant 4). */
    lsmt_mt_synchronize(&mt->tsan_token);
    /* only this reset clears these bits, and resets never overlap (RESET_PENDING) */
    LSMT_ASSERT((atomic_load_explicit(&mt->state, memory_order_relaxed) &
                 (LSMT_MT_RESETTING | LSMT_MT_RESET_PENDING)) ==
                (LSMT_MT_RESETTING | LSMT_MT_RESET_PENDING));
    lsmt_status st = lsmt_sharded_arena_reset_all(mt->arena);
    if (st != LSMT_OK) {
        /* Only a debug build's detection of an allocation in flight; nothing reset. */
        atomic_fetch_and_explicit(&mt->state, ~(LSMT_MT_RESETTING | LSMT_MT_RESET_PENDING),
                                  memory_order_release);
        return LSMT_BUSY;
    }
    lsmt_skiplist_reset(mt->sl);
    lsmt_mt_range_reset(mt);
    if (mt->bloom.nlines)
        lsmt_bloom_clear(&mt->bloom);
    lsmt_hash_index_clear(&mt->hidx);
    for (size_t i = 0; i <= LSMT_MT_SLOTS; i++) {
        lsmt_mt_counters *c = &mt->ctr[i];
        /* relaxed: no operation is in flight; the release store below publishes. */
        atomic_store_explicit(&c->puts, 0, memory_order_relaxed);
        atomic_store_explicit(&c->deletes, 0, memory_order_relaxed);
        atomic_store_explicit(&c->key_bytes, 0, memory_order_relaxed);
        atomic_store_explicit(&c->value_bytes, 0, memory_order_relaxed);
        atomic_store_explicit(&c->bloom_checks, 0, memory_order_relaxed);
        atomic_store_explicit(&c->bloom_negatives, 0, memory_order_relaxed);
        atomic_store_explicit(&c->bloom_false_positives, 0, memory_order_relaxed);
    }
    /* relaxed: no write is in flight (they return LSMT_BUSY); the release store below
     * publishes. */
    atomic_store_explicit(&mt->refused_full, false, memory_order_relaxed);
    /* relaxed: a statistic; only reset_all writes it, and resets do not overlap. */
    atomic_fetch_add_explicit(&mt->resets, 1, memory_order_relaxed);
    /* release: publishes the emptied arena, list, bloom and counters to every
     * operation's acquire load of the state; clears FROZEN too: ACTIVE again. */
    atomic_store_explicit(&mt->state, 0, memory_order_release);
    return LSMT_OK;
}

lsmt_status lsmt_memtable_stats_get(const lsmt_memtable *mt, lsmt_memtable_stats *out)
{
    if (mt == NULL || out == NULL)
        return LSMT_INVALID;
    lsmt_memtable_stats s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i <= LSMT_MT_SLOTS; i++) {
        const lsmt_mt_counters *c = &mt->ctr[i];
        /* relaxed: an approximate sum while writers run; exact when quiescent. */
        s.puts += atomic_load_explicit(&c->puts, memory_order_relaxed);
        s.deletes += atomic_load_explicit(&c->deletes, memory_order_relaxed);
        s.key_bytes += atomic_load_explicit(&c->key_bytes, memory_order_relaxed);
        s.value_bytes += atomic_load_explicit(&c->value_bytes, memory_order_relaxed);
        s.bloom_checks += atomic_load_explicit(&c->bloom_checks, memory_order_relaxed);
        s.bloom_negatives += atomic_load_explicit(&c->bloom_negatives, memory_order_relaxed);
        s.bloom_false_positives +=
            atomic_load_explicit(&c->bloom_false_positives, memory_order_relaxed);
    }
    s.entries = s.puts + s.deletes;
    s.memory_used = lsmt_sharded_arena_bytes_reserved_(mt->arena);
    lsmt_skiplist_stats ss;
    lsmt_skiplist_stats_get(mt->sl, &ss);
    s.memory_reserved = lsmt_sharded_arena_capacity_(mt->arena) + lsmt_bloom_bytes(&mt->bloom) +
                        ss.memory_bytes + (mt->hidx.slots != NULL ? mt->hidx.bytes : 0);
    s.memory_reserved += lsmt_mt_range_memory(mt);
    s.range_deletes = lsmt_mt_range_count(mt);
    /* relaxed: a statistic. */
    s.hash_index_unindexed = mt->hidx.slots != NULL
                                 ? atomic_load_explicit(&mt->hidx.unindexed, memory_order_relaxed)
                                 : 0;
    /* acquire: a caller that sees FROZEN also sees what the freezer did before it. */
    s.frozen = (atomic_load_explicit(&mt->state, memory_order_acquire) & LSMT_MT_FROZEN) != 0;
    /* relaxed: a statistic. */
    s.resets = atomic_load_explicit(&mt->resets, memory_order_relaxed);
    *out = s;
    return LSMT_OK;
}

lsmt_status lsmt_memtable_validate(const lsmt_memtable *mt)
{
    if (mt == NULL)
        return LSMT_INVALID;
    size_t count = 0;
    if (lsmt_skiplist_validate(mt->sl, &count) != LSMT_OK)
        return LSMT_CORRUPT;
    lsmt_memtable_stats s;
    lsmt_memtable_stats_get(mt, &s);
    uint64_t puts = 0, dels = 0, kb = 0, vb = 0, n = 0;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->sl);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        const lsmt_skiplist_node *node = lsmt_skiplist_iter_node(&it);
        lsmt_skiplist_entry se;
        lsmt_skiplist_node_entry(node, &se);
        size_t vl = se.vlen;
        lsmt_mt_entry e;
        lsmt_mt_decode(mt, node, &e);
        if (e.seq > LSMT_MAX_SEQUENCE || e.klen > LSMT_MEMTABLE_MAX_KEY_LEN ||
            (e.type != LSMT_TYPE_PUT && e.type != LSMT_TYPE_DELETE))
            return LSMT_CORRUPT;
        if (e.type == LSMT_TYPE_DELETE && vl != mt->prot)
            return LSMT_CORRUPT; /* a tombstone has no value bytes (only its checksum) */
        if (vl < mt->prot || lsmt_mt_verify(mt, &e) != LSMT_OK)
            return LSMT_CORRUPT; /* validate reports every broken entry as LSMT_CORRUPT */
        if (mt->bloom.nlines && !lsmt_bloom_may_contain(&mt->bloom, lsmt_bloom_hash(e.key, e.klen)))
            return LSMT_CORRUPT;
        n++;
        kb += e.klen;
        if (e.type == LSMT_TYPE_PUT) {
            puts++;
            vb += e.vlen;
        } else {
            dels++;
        }
    }
    if (n != count || n != s.entries || puts != s.puts || dels != s.deletes || kb != s.key_bytes ||
        vb != s.value_bytes)
        return LSMT_CORRUPT;
    return lsmt_mt_range_validate(mt);
}
