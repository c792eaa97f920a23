/* lsmt_memtable: the write buffer of an LSM-tree engine.
 *
 * Entries are versions: (user key, 56-bit sequence number, type) with type put or
 * delete (tombstone), ordered by user key ascending (the comparator), then sequence
 * DESCENDING. Any number of versions of a key coexist (put, delete, put again); the same
 * (key, sequence) twice is LSMT_EXISTS. Each entry is one arena allocation with the value
 * inline (encoding documented at the encoder, memtable/memtable.c: the skip list's
 * version is the sequence number and the type is the node's 2-bit tag, so
 * the skip list's own (key, version) uniqueness enforces "same (key, seq) = EXISTS"
 * atomically, whatever the types of two racing writes).
 *
 * Lifecycle an engine drives:
 *
 *     create / pool checkout -> ACTIVE --freeze--> FROZEN --(flush: internal iterator)-->
 *     reset_all --> ACTIVE (memory reused in place) ... destroy (arena back to the pool)
 *
 * Thread safety (one memtable):
 *
 *   call                               may run concurrently with
 *   ---------------------------------  ------------------------------------------------
 *   put, delete, write, delete_range   every call but destroy (reset_all makes them
 *                                      return LSMT_BUSY while it runs)
 *   get, multi_get, iterator calls     every call but destroy; never block (a get
 *   (range-del iterators too)          after a range delete may build the fragmented
 *                                      view: malloc, no lock)
 *   freeze, should_flush, stats, usage every call but destroy
 *   reset_all                          every call but destroy; it waits (RCU grace
 *                                      period) for gets and writes in flight; once it
 *                                      has found no open iterator and until it returns,
 *                                      the memtable reads as empty (gets return
 *                                      LSMT_NOT_FOUND) and writes return LSMT_BUSY; a
 *                                      reset_all refused with LSMT_BUSY is invisible
 *                                      to gets and writes
 *   destroy                            nothing
 *
 * freeze and reset_all wait for one RCU grace period each (microseconds); every other
 * call is lock-free and never waits for another thread.
 *
 * Threads are registered with liburcu (flavour liburcu-memb) inside the library,
 * invisibly, at their first call, and unregistered at thread exit (a pthread key
 * destructor). A thread the application registered with liburcu-memb itself is used
 * as is. If the pthread key cannot be created (PTHREAD_KEYS_MAX exhausted) calls that
 * read or write return LSMT_NOMEM.
 *
 * Invariants:
 *  1. A snapshot is point-in-time: a get or snapshot iterator at snapshot s never shows
 *     a version with sequence > s, whenever that version lands.
 *  2. A write that returns LSMT_OK is visible to every get/iterator positioned after the
 *     call returned at a snapshot >= its sequence, until reset_all.
 *  3. A write that returns anything else changed nothing visible (a batch is
 *     all-or-nothing with respect to LSMT_FULL and every other error; the one
 *     exception is a batch racing a write that breaks invariant 6, see
 *     lsmt_memtable_write). "Visible" is what gets, iterators and the entry statistics
 *     show: a write refused with LSMT_EXISTS or LSMT_FULL after its node was allocated
 *     may leave those arena bytes (and a bloom bit) behind, so memory usage and
 *     should_flush can advance.
 *  4. reset_all never reuses memory that a running get or an open iterator can reach.
 *  5. Usage never exceeds the hard limit; should_flush becomes true once usage reaches
 *     the write-buffer size, or once a write was refused with LSMT_FULL, and stays true
 *     until reset_all. So LSMT_FULL implies should_flush: an engine that flushes when
 *     should_flush says so and backs off on LSMT_FULL always gets to flush, also when the
 *     arena fills before the budget (hard_limit == write_buffer_size, a pool arena
 *     smaller than write_buffer_size, large entries, chunk slack of several shards).
 *  6. Sequence numbers are unique per engine: the caller never writes the same
 *     (key, seq) twice on purpose. Such a write is refused with LSMT_EXISTS (exactly one
 *     of two racing ones wins); see lsmt_memtable_write for the one case where a batch
 *     that breaks this rule is applied in part.
 *  7. The same write to the same state gets the same status: whether an entry could ever
 *     fit (else LSMT_INVALID) depends on its lengths and the arena's capacity only, and
 *     an entry that fits an empty memtable is LSMT_OK there (never LSMT_INVALID because
 *     of a random tower height); later it is LSMT_OK or LSMT_FULL (room now).
 */
#ifndef LSMT_MEMTABLE_H
#define LSMT_MEMTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/arena.h"
#include "lsmt/lsmt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest sequence number: 2^56 - 1 (the low 8 bits of the trailer hold the type). */
#define LSMT_MAX_SEQUENCE           ((uint64_t)0x00FFFFFFFFFFFFFFull)
/* Longest user key and value accepted (bytes). */
#define LSMT_MEMTABLE_MAX_KEY_LEN   ((size_t)1 << 20)
#define LSMT_MEMTABLE_MAX_VALUE_LEN ((size_t)1 << 28)

typedef enum lsmt_entry_type {
    LSMT_TYPE_DELETE = 0, /* tombstone */
    LSMT_TYPE_PUT = 1,
} lsmt_entry_type;

typedef struct lsmt_memtable lsmt_memtable;

/* The smallest arena a memtable asks transparent huge pages for (huge_pages). */
#define LSMT_MEMTABLE_HUGE_PAGES_MIN ((size_t)64 << 20)

typedef struct lsmt_memtable_options {
    /* Write-buffer size (bytes): should_flush turns true once usage (arena bytes reserved,
     * which grows by whole chunks of 256 KiB per shard) reaches it. Default 64 MiB.
     * With a pool it is clamped to the pool arenas' capacity. Also sizes the bloom
     * filter when bloom_expected_keys is 0. */
    size_t write_buffer_size;
    /* Hard limit (bytes) of the arena: past it writes return LSMT_FULL. 0 = derived:
     * write_buffer_size + write_buffer_size / 4 + one chunk per shard, so writers racing
     * past the budget still fit while the engine rotates. Must be >= write_buffer_size. */
    size_t hard_limit;
    /* Arena shards; 0 = CPU count. */
    size_t shard_count;
    /* User-key order; NULL = lsmt_bytewise_compare. */
    lsmt_compare_fn compare;
    void *compare_ctx;
    /* Bloom filter over user keys (xxh3 of the key bytes), bits per key, 0..64; 0 = off.
     * Default 0 (off, as RocksDB's memtable filter): it costs every write one random
     * cache line and bloom_bits_per_key / 8 bytes per expected key, and its lines compete
     * with the skip list's for the cache; it saves the skip-list search (O(log n) cache
     * misses) on most gets of absent keys, answering them in O(1). Turn it on when many
     * gets look for keys the memtable does not hold, e.g. an engine whose reads mostly
     * end in its SSTables: 10 gives about 1 % false positives at bloom_expected_keys.
     * REQUIRES with a custom comparator: keys it finds equal are byte-identical (else
     * turn the filter off: it would answer "absent" for an equal key spelt differently).
     * Ignored (no filter) with hash_index on and paranoid_checks off: see hash_index. */
    unsigned bloom_bits_per_key;
    /* Keys the bloom filter is sized for (bloom_bits_per_key bits each, fixed at create).
     * 0 = write_buffer_size / 64: right for 64-byte entries, oversized for larger ones.
     * Every write touches one random line of the filter, so an oversized filter spreads
     * those touches over more lines than the cache holds and slows random writes down.
     * An engine that knows its entry size sets write_buffer_size / (key + value + 24
     * bytes), e.g. from the last memtable's stats. More keys than this only raise the
     * false-positive rate. At most write_buffer_size / 16 (no entry is smaller), else
     * LSMT_INVALID. Ignored when the filter is off. */
    size_t bloom_expected_keys;
    /* Hash index beside the skip list (memtable/hash_index.h): user key -> node of its
     * newest version, in an open-addressing table of 8-byte slots allocated at create
     * (1.5 slots per expected key: 12 bytes per key, counted in stats memory_reserved but
     * not in approximate_memory_usage, which stays the entries' budget). Default false.
     * With it, a get of a present key costs about two cache misses (slot, then node)
     * plus a level-0 walk for a snapshot older than the newest version, and a get of an
     * absent key one (no skip-list search; gets do not test the bloom filter while the
     * index is on, so the filter is not built then and bloom_bits_per_key is ignored --
     * unless paranoid_checks is on, whose gets bypass the index); every write costs one
     * more random cache line. Iterators and flush still use the skip list only.
     * Keys beyond the table's capacity (hash_index_expected_keys) stay correct: a key
     * that finds no slot near its home is looked up by a skip-list search (stats
     * hash_index_unindexed counts such writes). A write enters the index after its node
     * is published in the skip list and before it returns: an iterator may show a write
     * still in flight that a get does not show yet (invariant 2 holds for both).
     * REQUIRES with a custom comparator: keys it finds equal are byte-identical, as for
     * the bloom filter (the index hashes and compares key bytes). */
    bool hash_index;
    /* Distinct keys the hash index is sized for (fixed at create). 0 = write_buffer_size
     * / 128: right for entries of about 100 bytes of key and value; set
     * write_buffer_size / (key + value + 24 bytes) for smaller ones. At most
     * write_buffer_size / 16, else LSMT_INVALID. Ignored when the index is off. */
    size_t hash_index_expected_keys;
    /* Transparent huge pages (madvise MADV_HUGEPAGE) on the arena region, when the
     * memtable creates its arena and that arena's capacity (hard_limit, or the one
     * derived from write_buffer_size) is at least LSMT_MEMTABLE_HUGE_PAGES_MIN; smaller
     * arenas keep 4 KiB pages, where a 2 MiB granule would be a large share of the
     * memory and the TLB reach gained small. Default true. A search over a memtable far
     * larger than the TLB's 4 KiB reach takes a TLB miss on most nodes it loads; with
     * 2 MiB pages most of those go (bench/README.md, "Huge pages by default"). Costs: up
     * to 2 MiB more resident memory per arena, and the write that first touches a 2 MiB
     * page waits while the kernel zeroes all of it (one stall per 2 MiB instead of a
     * short one per 4 KiB: a worse 99.99th percentile for writes into fresh memory; none
     * once the arena is reused after reset_all, which keeps its pages). Turn it off where
     * that tail, or the kernel's THP compaction stalls, matter more than throughput.
     * With THP disabled system-wide this does nothing. */
    bool huge_pages;
    /* Take the arena from this pool (and give it back at destroy); NULL = the memtable
     * creates its own. The pool's arena options then decide capacity and shards, and
     * hard_limit/shard_count/huge_pages are ignored. Must outlive the memtable. */
    lsmt_arena_pool *pool;
    /* Per-entry protection: bytes of checksum (xxh3 of key, sequence, type and value)
     * stored with each entry: 0 (off, default), 1, 2, 4 or 8; anything else is
     * LSMT_INVALID. Verified on every entry a read returns (get, multi_get, the entry
     * an iterator is positioned on, so also a flush through the internal iterator): a
     * mismatch is LSMT_CORRUPTION, never a wrong value. A random corruption goes unseen
     * with probability 2^(-8 * bytes). Costs the bytes per entry, a hash of key and
     * value per write and per entry read (memtable-bench --protection-bytes). Range
     * tombstones (lsmt/range_del.h) carry the same checksum over begin, sequence and end:
     * the range-del iterators and validate verify each one; gets and snapshot
     * iterators verify them when the fragmented view is built, and once one has failed
     * every read that consults the tombstones is LSMT_CORRUPTION (a damaged range could
     * cover any key). What is and is not guaranteed: memtable/protect.h. */
    unsigned protection_bytes_per_key;
    /* Paranoid checks (default false; gets then bypass the hash index, whose walk reads
     * nodes unchecked): gets, multi_gets, iterator positioning and steps
     * walk the list with checks -- every node inside the arena and plausible before its
     * key is read, and every link leading strictly forward in (key asc, sequence desc)
     * order -- so entries out of order, and links corrupted to point outside the arena or
     * back (a loop), are LSMT_CORRUPTION, not a crash or a hang (skiplist/checked.h says
     * what remains undetectable). Slower reads: no fast search paths. */
    bool paranoid_checks;
} lsmt_memtable_options;

typedef struct lsmt_memtable_stats {
    uint64_t entries; /* versions inserted (puts + deletes) */
    uint64_t puts;
    uint64_t deletes;
    uint64_t key_bytes;       /* user-key bytes of all versions */
    uint64_t value_bytes;     /* value bytes of all puts */
    size_t memory_used;       /* approximate_memory_usage (arena bytes reserved) */
    size_t memory_reserved;   /* address space held: arena capacity + bloom filter bytes
                               * + the skip list's own (lsmt_skiplist_memory_bytes)
                               * + the hash index table */
    uint64_t bloom_checks;    /* gets that consulted the bloom filter */
    uint64_t bloom_negatives; /* of those, answered "absent" without the skip list */
    /* of those, let through by the filter but NOT_FOUND at their snapshot: false
     * positives (plus keys whose only versions are newer than the snapshot). */
    uint64_t bloom_false_positives;
    uint64_t resets; /* completed reset_all calls (not reset by reset_all) */
    /* range tombstones written (lsmt/range_del.h); not in `entries`. Their bytes are in
     * memory_used; the cached fragmented view of them (malloc) is not. */
    uint64_t range_deletes;
    /* writes whose key found no slot in the hash index (it was full near the key's
     * home): gets of those keys search the skip list. 0 when the index is off. */
    uint64_t hash_index_unindexed;
    bool frozen; /* freeze was called and no reset_all since */
} lsmt_memtable_stats;

LSMT_API void lsmt_memtable_options_default(lsmt_memtable_options *opt);

/* LSMT_INVALID: bad options (write_buffer_size 0, hard_limit < write_buffer_size,
 * bloom_bits_per_key > 64, bloom_expected_keys or hash_index_expected_keys > write_buffer_size
 * / 16, protection_bytes_per_key not 0, 1, 2, 4 or 8, an arena the options
 * cannot describe); LSMT_NOMEM: memory/mapping refused; a pool's checkout status is passed through.
 * `*out` is written only on success. */
LSMT_API lsmt_status lsmt_memtable_create(const lsmt_memtable_options *opt, lsmt_memtable **out);

/* Free the memtable (its arena goes back to the pool it came from, reset). NULL is a
 * no-op. REQUIRES: no call in flight, no open iterator. */
LSMT_API void lsmt_memtable_destroy(lsmt_memtable *mt);

/* ---- writes ------------------------------------------------------------------------
 * (Range deletes: lsmt_memtable_delete_range in lsmt/range_del.h, same rules.)
 * Each returns LSMT_OK, LSMT_EXISTS (same key and sequence present), LSMT_FULL (hard
 * limit; nothing written), LSMT_FROZEN, LSMT_BUSY (reset_all running), LSMT_RANGE
 * (seq > LSMT_MAX_SEQUENCE) or LSMT_INVALID (NULL handle, NULL pointer with nonzero
 * length, a key or value over its maximum, or an entry larger than the whole arena: it
 * could never fit, so LSMT_FULL would have an engine rotate and retry forever). */
LSMT_API lsmt_status lsmt_memtable_put(lsmt_memtable *mt, uint64_t seq, const void *key,
                                       size_t klen, const void *value, size_t vlen);
LSMT_API lsmt_status lsmt_memtable_delete(lsmt_memtable *mt, uint64_t seq, const void *key,
                                          size_t klen);

/* A write batch: puts and deletes recorded in order, applied by lsmt_memtable_write
 * with consecutive sequence numbers first_seq, first_seq + 1, ... All or nothing with
 * respect to LSMT_FULL (and every other error): a batch that does not fit changes
 * nothing. Not thread-safe itself (one builder at a time).
 * create: LSMT_OK, LSMT_INVALID (NULL out), LSMT_NOMEM.
 * put/delete: LSMT_OK, LSMT_INVALID (NULL batch, NULL pointer with nonzero length, a key
 * or value over its maximum, total size overflow; the batch is unchanged), LSMT_NOMEM
 * (the batch could not grow; unchanged). destroy and clear accept NULL. */
typedef struct lsmt_write_batch lsmt_write_batch;
LSMT_API lsmt_status lsmt_write_batch_create(lsmt_write_batch **out);
LSMT_API void lsmt_write_batch_destroy(lsmt_write_batch *b);
LSMT_API lsmt_status lsmt_write_batch_put(lsmt_write_batch *b, const void *key, size_t klen,
                                          const void *value, size_t vlen);
LSMT_API lsmt_status lsmt_write_batch_delete(lsmt_write_batch *b, const void *key, size_t klen);
LSMT_API void lsmt_write_batch_clear(lsmt_write_batch *b);
/* Number of records; 0 for NULL. */
LSMT_API size_t lsmt_write_batch_count(const lsmt_write_batch *b);
/* Apply `b`. LSMT_RANGE if first_seq + count - 1 > LSMT_MAX_SEQUENCE; LSMT_EXISTS if any
 * (key, seq) is already present (nothing applied); LSMT_INVALID for a batch whose
 * entries together exceed the whole arena (it could never fit); LSMT_NOMEM if the
 * bookkeeping for a batch of over 32 records cannot be allocated or the thread cannot
 * be registered; others as for put. An empty batch is LSMT_OK. The records become visible one by
 * one (each with its own sequence, so a snapshot below first_seq sees none of them). Invariant 6:
 * if another thread inserts one of the batch's (key, seq) between the duplicate check and the
 * publication, that record is skipped, the others are applied, and the call returns LSMT_EXISTS.
 * Cost: O(count log n); the duplicate check runs the records' searches interleaved
 * (lsmt_skiplist_seek_batch, 32 at a time) and leaves their search paths in the cache, so
 * the inserts that follow take no dependent cache misses of their own. */
LSMT_API lsmt_status lsmt_memtable_write(lsmt_memtable *mt, uint64_t first_seq,
                                         const lsmt_write_batch *b);

/* ---- reads -------------------------------------------------------------------------
 * Range tombstones (lsmt/range_del.h) hide the versions they cover: a key covered at the
 * snapshot by a range tombstone newer than its newest visible version reads as
 * LSMT_DELETED (*seq_out = the tombstone's seq), also when it has no version at all.
 * get: the newest version of `key` with sequence <= snapshot:
 *   LSMT_OK with *value / *vlen set (a view into the memtable, valid until reset_all or
 *   destroy), LSMT_DELETED for a tombstone, LSMT_NOT_FOUND otherwise.
 *   *seq_out (may be NULL) receives the sequence of the version found (OK or DELETED).
 *   LSMT_INVALID (NULL mt/value/vlen, bad key) / LSMT_RANGE (snapshot >
 *   LSMT_MAX_SEQUENCE) for bad arguments; LSMT_NOMEM when the thread cannot be
 *   registered with liburcu (see the top of this header). Never blocks; linearizable also
 *   under range deletes (lsmt/range_del.h R4: it redoes its reads when a range delete
 *   began during it -- lock-free, not wait-free). While reset_all runs the
 *   memtable reads as empty (LSMT_NOT_FOUND). LSMT_CORRUPTION: the version found failed its
 *   checksum (protection_bytes_per_key) or, with paranoid_checks, the search met a
 *   broken link or order; nothing is returned. */
LSMT_API lsmt_status lsmt_memtable_get(lsmt_memtable *mt, const void *key, size_t klen,
                                       uint64_t snapshot, const void **value, size_t *vlen,
                                       uint64_t *seq_out);

/* get for n keys at one snapshot, in one read-side section; statuses[i], values[i],
 * vlens[i] as get's. Returns LSMT_OK when every key was looked up (see statuses), else
 * LSMT_INVALID (a NULL array with n > 0, a bad key: nothing looked up), LSMT_RANGE or
 * LSMT_NOMEM as get. Keys need no order and may repeat. The lookups of one call run
 * interleaved, so they are concurrent with each other: each answer is one a get made at
 * some moment during the call would give (invariants 1 and 2 hold for every position),
 * but while a write of a key with sequence <= snapshot lands during the call, two
 * positions holding that key may show different versions, in either order. Cost: 32
 * keys at a time, their bloom lines are loaded together, then the keys that pass are
 * looked up with lsmt_skiplist_seek_batch, whose interleaved searches overlap their cache
 * misses (up to 32 at once). O(n log N). */
LSMT_API lsmt_status lsmt_memtable_multi_get(lsmt_memtable *mt, size_t n, const void *const *keys,
                                             const size_t *klens, uint64_t snapshot,
                                             lsmt_status *statuses, const void **values,
                                             size_t *vlens);

/* ---- iterators ---------------------------------------------------------------------
 * LSMT_ITER_INTERNAL: every version in order (user key asc, sequence desc), tombstones
 *   included: what a flush writes to an SSTable (range tombstones not included: they
 *   have their own iterator, lsmt_range_del_iter_create in lsmt/range_del.h).
 * LSMT_ITER_SNAPSHOT: per user key, the newest version with sequence <= snapshot;
 *   keys whose visible version is a tombstone, or is hidden by a newer range tombstone
 *   visible at the snapshot, are skipped.
 * Bounds: lower inclusive, upper exclusive, on user keys; NULL = unbounded.
 * An open iterator pins the memtable's memory: reset_all returns LSMT_BUSY while any
 * iterator is open (destroy the iterators first). Iterator calls never block.
 * Positioning calls return LSMT_OK (on an entry), LSMT_END (no entry; not valid) or
 * LSMT_INVALID, or LSMT_NOMEM when the thread cannot be registered with liburcu, or
 * LSMT_CORRUPTION (not valid): the entry it would stop on failed its checksum
 * (protection_bytes_per_key; a SNAPSHOT iterator also checks the versions whose type or
 * sequence made it move on), or, with paranoid_checks, it met entries or links out of
 * order. iter_entry returns the entry as verified when the iterator moved onto it. */
typedef enum lsmt_iter_kind { LSMT_ITER_INTERNAL = 0, LSMT_ITER_SNAPSHOT = 1 } lsmt_iter_kind;

typedef struct lsmt_memtable_iter_options {
    lsmt_iter_kind kind;     /* default LSMT_ITER_SNAPSHOT */
    uint64_t snapshot;       /* default LSMT_MAX_SEQUENCE; SNAPSHOT only */
    const void *lower_bound; /* inclusive; NULL = none (default) */
    size_t lower_len;
    const void *upper_bound; /* exclusive; NULL = none (default) */
    size_t upper_len;
} lsmt_memtable_iter_options;

typedef struct lsmt_memtable_iter lsmt_memtable_iter;

LSMT_API void lsmt_memtable_iter_options_default(lsmt_memtable_iter_options *opt);
/* LSMT_BUSY while reset_all runs; LSMT_RANGE for snapshot > LSMT_MAX_SEQUENCE;
 * LSMT_INVALID for NULL mt/out, a bad kind, a bound longer than the key limit or a NULL
 * bound with a nonzero length; LSMT_NOMEM (the iterator cannot be allocated). The
 * bounds are copied. The iterator starts unpositioned (not valid). Costs: next is O(1) amortised
 * (a key with many versions is skipped with one O(log n) seek); prev, seek_for_prev and
 * seek_to_last are O(log n) per key visited (the skip list has no back links). */
LSMT_API lsmt_status lsmt_memtable_iter_create(lsmt_memtable *mt,
                                               const lsmt_memtable_iter_options *opt,
                                               lsmt_memtable_iter **out);
LSMT_API void lsmt_memtable_iter_destroy(lsmt_memtable_iter *it);
LSMT_API bool lsmt_memtable_iter_valid(const lsmt_memtable_iter *it);
LSMT_API lsmt_status lsmt_memtable_iter_seek_to_first(lsmt_memtable_iter *it);
LSMT_API lsmt_status lsmt_memtable_iter_seek_to_last(lsmt_memtable_iter *it);
/* First position with user key >= key (INTERNAL: the newest version of that key). */
LSMT_API lsmt_status lsmt_memtable_iter_seek(lsmt_memtable_iter *it, const void *key, size_t klen);
/* Last position with user key <= key (INTERNAL: the oldest version of that key). */
LSMT_API lsmt_status lsmt_memtable_iter_seek_for_prev(lsmt_memtable_iter *it, const void *key,
                                                      size_t klen);
LSMT_API lsmt_status lsmt_memtable_iter_next(lsmt_memtable_iter *it);
LSMT_API lsmt_status lsmt_memtable_iter_prev(lsmt_memtable_iter *it);
/* The current entry (REQUIRES valid, else LSMT_INVALID). Views valid until reset_all.
 * Any out pointer may be NULL. For a tombstone, value is NULL and vlen 0. */
LSMT_API lsmt_status lsmt_memtable_iter_entry(const lsmt_memtable_iter *it, const void **key,
                                              size_t *klen, uint64_t *seq, lsmt_entry_type *type,
                                              const void **value, size_t *vlen);

/* ---- memory and lifecycle ------------------------------------------------------------ */
/* Bytes the memtable holds (arena bytes reserved: whole chunks carved by the shards,
 * an upper bound of the bytes its entries use), O(1). 0 for NULL. */
LSMT_API size_t lsmt_memtable_approximate_memory_usage(const lsmt_memtable *mt);
/* true once usage >= write_buffer_size or a write was refused with LSMT_FULL, until
 * reset_all (invariant 5). false for NULL. */
LSMT_API bool lsmt_memtable_should_flush(const lsmt_memtable *mt);
/* Make the memtable read-only: later writes return LSMT_FROZEN; reads continue. Writes
 * in flight finish before freeze returns (they are visible to the flush iterator):
 * it waits for an RCU grace period. Idempotent. LSMT_INVALID for NULL.
 * REQUIRES: not called from inside another lsmt call (e.g. a comparator). */
LSMT_API lsmt_status lsmt_memtable_freeze(lsmt_memtable *mt);
/* Empty the memtable and make it ACTIVE again, reusing all its memory in place (pages
 * stay faulted). Waits for gets and writes in flight (an RCU grace period); writes
 * during the reset return LSMT_BUSY. LSMT_BUSY (nothing done) if an iterator is open
 * or another reset_all runs. Works on a frozen or an active memtable; statistics other
 * than `resets` restart from zero. The memtable ends ACTIVE: a freeze that overlaps a
 * reset_all is ordered before it (and so undone); engines freeze before they flush and
 * reset after, never both at once. REQUIRES: the caller no longer uses views
 * (values/keys) obtained before; not called from inside another lsmt call. */
LSMT_API lsmt_status lsmt_memtable_reset_all(lsmt_memtable *mt);

LSMT_API lsmt_status lsmt_memtable_stats_get(const lsmt_memtable *mt, lsmt_memtable_stats *out);

/* Full structural validation (skip-list order and towers, entry encodings and, with
 * protection_bytes_per_key, their checksums, stats agree with the entries; the range
 * tombstones' list, their begin < end (and checksums), their count and the cached
 * fragmented view's order, lsmt/range_del.h): LSMT_OK or LSMT_CORRUPT; LSMT_INVALID for
 * NULL. REQUIRES: no write and no reset_all in flight (it reads without a read-side
 * section). O(n). */
LSMT_API lsmt_status lsmt_memtable_validate(const lsmt_memtable *mt);

#ifdef __cplusplus
}
#endif

#endif /* LSMT_MEMTABLE_H */
