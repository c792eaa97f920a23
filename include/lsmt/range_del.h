/* lsmt range tombstones: delete every version of every key in [begin, end) at once.
 *
 * A range tombstone (begin, end, seq) hides, from every snapshot >= seq, each version
 * of each user key k with begin <= k < end (the memtable's comparator) whose sequence
 * is < seq. It is what an engine writes for RocksDB's DeleteRange: dropping a table,
 * a tenant, expired data, without a point tombstone per key.
 *
 * Storage. Range tombstones live apart from the point versions, in a second skip list
 * on the memtable's arena (key = begin, version = seq, value = end): the point entries
 * and the internal (flush) iterator are unchanged, the tombstones' bytes count in
 * lsmt_memtable_approximate_memory_usage, and reset_all, freeze, the pool and the RCU
 * rules cover them exactly as they cover point entries.
 *
 * Reads. get, multi_get and SNAPSHOT iterators consult a fragmented view of the
 * tombstones: sorted, non-overlapping [start, end) fragments, each with the descending
 * sequence numbers of the tombstones covering it, published with RCU and reclaimed
 * after a grace period (or at reset_all / destroy). A read with none costs three loads
 * of one read-mostly cache line: a tombstone count, and R4's generation twice. A read
 * with T costs one binary search, O(log T), plus a check of each tombstone written
 * since the view was built, at most L of them (L = 8 + T/128, at most 64). (RocksDB
 * caches a fragmented view per memtable for the same reason: scanning the raw,
 * overlapping list costs O(T) per read.) Building the view costs O(T log T + F), F the
 * number of (fragment, seq) pairs (about 5 ms at T = 10,000): while reads and range
 * deletes interleave, the delete_range that puts the view more than L tombstones behind
 * rebuilds it, once per L tombstones; after a burst of range deletes with no read
 * between them, the first read more than 2L behind rebuilds it once. The view's memory
 * (malloc'd, about 64 bytes per fragment) is counted in
 * lsmt_memtable_stats.memory_reserved.
 *
 * Thread safety: as the memtable's writes (delete_range) and reads (the iterator
 * below): see the table in lsmt/memtable.h; a range-del iterator counts as an open
 * iterator (reset_all returns LSMT_BUSY while one is open).
 *
 * Invariants (in addition to 1-6 of lsmt/memtable.h, which hold for range tombstones
 * as they do for point writes):
 *  R1. A delete_range that returned LSMT_OK is honoured by every get, multi_get and
 *      SNAPSHOT iterator positioned after it returned, at every snapshot >= its seq,
 *      until reset_all (it is linked, then pushed on a stack of recent tombstones,
 *      then counted with a release; a read that loads the count with an acquire sees
 *      the push, and checks every tombstone pushed after its view was built).
 *  R2. The same (begin, seq) twice is LSMT_EXISTS (exactly one of two racing ones wins);
 *      (begin, seq) need not differ from any point entry's (key, seq).
 *  R3. A point version with the same sequence number as a covering tombstone is not
 *      hidden (the tombstone hides sequence numbers strictly below its own).
 *  R4. get and each position of multi_get are linearizable with puts, deletes, write
 *      batches and range deletes, whatever order their sequence numbers were handed out
 *      in: the answer is the one the memtable gave at a single instant inside the call.
 *      (A get reads the point version, then the tombstones: two reads. A range delete
 *      bumps a generation before linking its tombstone; a get that finds the generation
 *      moved between before its point read and after its tombstone read does both
 *      again; memtable.c, lsmt_memtable_get.) Progress: lock-free, not wait-free -- a
 *      get starts over only when a range delete began during it, so it finishes once
 *      range deletes pause for the length of one get. Multi-key: the checker that tests
 *      this (tests/linearizability.h) checks each key's projection of the history.
 *      Under memory exhaustion (the cached view cannot be allocated) a get scans the
 *      raw tombstones instead and may see one still in flight that a later get, served
 *      by the cached view, does not: R1 still holds, R4 may not.
 */
#ifndef LSMT_RANGE_DEL_H
#define LSMT_RANGE_DEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/memtable.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- writes ------------------------------------------------------------------------ */

/* Delete [begin, end) below `seq`. LSMT_OK; LSMT_EXISTS (R2); LSMT_FULL (hard limit;
 * nothing written); LSMT_FROZEN; LSMT_BUSY (reset_all running); LSMT_RANGE (seq >
 * LSMT_MAX_SEQUENCE); LSMT_INVALID (NULL handle, a NULL bound with a nonzero length, a
 * bound longer than LSMT_MEMTABLE_MAX_KEY_LEN, an empty or inverted range: begin >= end
 * under the comparator, or a tombstone larger than the whole arena). Nothing changes
 * unless LSMT_OK. */
LSMT_API lsmt_status lsmt_memtable_delete_range(lsmt_memtable *mt, uint64_t seq, const void *begin,
                                                size_t blen, const void *end, size_t elen);

/* Record a range delete in a write batch: applied by lsmt_memtable_write with the
 * record's sequence number, all-or-nothing with the batch's other records (a batch that
 * does not fit, or holds a (begin, seq) already present, changes nothing).
 * LSMT_OK; LSMT_INVALID (NULL batch, a NULL bound with a nonzero length, a bound over
 * the key limit; the batch is unchanged); LSMT_NOMEM (unchanged). The empty-range
 * check needs the memtable's comparator: lsmt_memtable_write returns LSMT_INVALID,
 * applying nothing, for a batch holding an empty or inverted range. */
LSMT_API lsmt_status lsmt_write_batch_delete_range(lsmt_write_batch *b, const void *begin,
                                                   size_t blen, const void *end, size_t elen);

/* ---- flush: the range tombstones for an SSTable's range-del block ------------------
 * LSMT_RANGE_DEL_RAW: every tombstone as written, (begin asc, seq desc); the
 *   iterator walks the live list (a tombstone landing meanwhile may or may not show).
 * LSMT_RANGE_DEL_FRAGMENTED: the tombstones cut into non-overlapping [begin, end)
 *   fragments (begin asc), one entry per (fragment, seq) pair, seq descending within a
 *   fragment; a key is covered by the fragments' tombstone with seq s iff it is
 *   covered by a written tombstone with seq s. Built at iter_create from the tombstones
 *   present then: O(T log T + F) time, O(F) memory (freed by iter_destroy).
 * Views (begin, end) stay valid until reset_all or destroy. */
typedef enum lsmt_range_del_kind {
    LSMT_RANGE_DEL_RAW = 0,
    LSMT_RANGE_DEL_FRAGMENTED = 1,
} lsmt_range_del_kind;

typedef struct lsmt_range_del_iter lsmt_range_del_iter;

/* LSMT_OK (unpositioned); LSMT_INVALID (NULL mt/out, a bad kind); LSMT_BUSY (reset_all
 * running); LSMT_NOMEM; LSMT_CORRUPTION (FRAGMENTED, protection_bytes_per_key on: a
 * tombstone failed its checksum). `*out` is written only on success. */
LSMT_API lsmt_status lsmt_range_del_iter_create(lsmt_memtable *mt, lsmt_range_del_kind kind,
                                                lsmt_range_del_iter **out);
/* NULL is a no-op. */
LSMT_API void lsmt_range_del_iter_destroy(lsmt_range_del_iter *it);
/* LSMT_OK (on an entry), LSMT_END (none), LSMT_INVALID (NULL; next when not valid),
 * LSMT_NOMEM (the thread cannot be registered with liburcu). */
LSMT_API lsmt_status lsmt_range_del_iter_seek_to_first(lsmt_range_del_iter *it);
LSMT_API lsmt_status lsmt_range_del_iter_next(lsmt_range_del_iter *it);
LSMT_API bool lsmt_range_del_iter_valid(const lsmt_range_del_iter *it);
/* The current tombstone or fragment (REQUIRES valid, else LSMT_INVALID). Any out
 * pointer may be NULL. LSMT_CORRUPTION (RAW, protection_bytes_per_key on): this
 * tombstone failed its checksum; nothing is written, next moves past it. */
LSMT_API lsmt_status lsmt_range_del_iter_entry(const lsmt_range_del_iter *it, const void **begin,
                                               size_t *blen, const void **end, size_t *elen,
                                               uint64_t *seq);

#ifdef __cplusplus
}
#endif

#endif /* LSMT_RANGE_DEL_H */
