/* Hash index beside the skip list (internal to the memtable; option hash_index).
 *
 * An open-addressing table, fixed size, allocated once at create, from user key to the
 * skip-list node of the key's newest version. The skip list stays the only source of
 * order (iterators, flush) and of every version: the index only saves a get its search.
 * A get at snapshot s lands on the newest indexed version and walks level 0 from there
 * through the key's older versions (versions are ordered seq descending) to the first
 * one with seq <= s.
 *
 * Slot: one 64-bit word, 0 = empty, else (fingerprint << 32) | node reference, where the
 * fingerprint is the high half of the key's xxh3 hash and the reference the node's
 * 32-bit link encoding (lsmt_sl_node_ref: never 0). Home slot: the low half of the hash
 * scaled to the table (multiply-shift, any table size); collisions probe linearly, at
 * most LSMT_HI_MAX_PROBE slots (the key's "window").
 *
 * Thread safety: learn (writers) and find (readers) run concurrently, lock-free, inside
 * the memtable's RCU read sections; clear and free run with none in flight (reset_all
 * after its grace period, destroy).
 *
 * Invariants:
 *  1. A slot, once non-empty, keeps the same key until clear: learn only claims an empty
 *     slot (CAS from 0) or replaces a word whose node has the same key bytes.
 *  2. A slot's node is always a published node (learn runs after the level-0 insert)
 *     and, for its key, never older than any version whose learn has returned: learn
 *     replaces it only with a higher sequence number (CAS loop), whatever order racing
 *     learns finish in.
 *  3. A key whose learn found no slot in its window (table full there) has a window
 *     with no empty slot, forever (invariant 1: slots never empty again until clear).
 *     So a find that meets an empty slot in the key's window before the key proves the
 *     key was never learned -- no write of it has returned (LSMT_HI_MISS) -- while a
 *     find that scans the whole window without meeting the key or an empty slot cannot
 *     tell and answers LSMT_HI_UNKNOWN: the caller searches the skip list.
 *  4. Equal keys are byte-identical: the index hashes and compares key bytes. With a
 *     custom comparator under which different bytes may be equal the index must be off
 *     (the memtable's REQUIRES, as for the bloom filter).
 */
#ifndef LSMT_MEMTABLE_HASH_INDEX_H
#define LSMT_MEMTABLE_HASH_INDEX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <xxhash.h>

#include "lsmt/skiplist.h"

/* Slots a key may occupy: its home and the next LSMT_HI_MAX_PROBE - 1 (wrapping), 32
 * cache lines. At the sized load (2/3) linear probing averages 2 slots for a present key
 * and 5 for an absent one, but its longest runs grow with the table: with 1M keys in
 * 1.5M slots a window of 64 left 7 keys out, 128 none (bench/hash_proto.c); 256 leaves
 * room for the 25 % more keys the hard limit admits. Only a miss in a table full around
 * the key scans the whole window (then searches the skip list). */
#define LSMT_HI_MAX_PROBE 256u
/* The smallest table (a window may be shorter than LSMT_HI_MAX_PROBE: the whole table). */
#define LSMT_HI_MIN_SLOTS 64u

typedef struct lsmt_hash_index {
    /* nslots words; NULL when the index is off. Written by learn (CAS) and clear. */
    _Atomic uint64_t *slots;
    uint32_t nslots; /* fixed after init */
    size_t bytes;    /* of the mapping (page-rounded); fixed after init */
    /* learns whose key found no slot (invariant 3); relaxed fetch_add (rare: only when
     * the table is full around the key), read by stats, zeroed by clear. */
    _Atomic uint64_t unindexed;
} lsmt_hash_index;

typedef enum lsmt_hi_result {
    LSMT_HI_MISS = 0, /* the key was never learned: no version of it is indexed */
    LSMT_HI_HIT,      /* *node is the newest indexed version of the key */
    LSMT_HI_UNKNOWN,  /* the window was full: search the skip list */
} lsmt_hi_result;

/* Size the table for `expected_keys` distinct keys (1.5 slots each, at least
 * LSMT_HI_MIN_SLOTS). 0 or -1 (no
 * memory, or more slots than 32-bit references can need). */
__attribute__((visibility("hidden"))) int lsmt_hash_index_init(lsmt_hash_index *hi,
                                                               size_t expected_keys);
/* Unmap the table. Accepts an index that is off. */
__attribute__((visibility("hidden"))) void lsmt_hash_index_free(lsmt_hash_index *hi);
/* Empty every slot. REQUIRES: no learn or find in flight (reset_all, after its grace
 * period). */
__attribute__((visibility("hidden"))) void lsmt_hash_index_clear(lsmt_hash_index *hi);

/* Index `node` (already published at level 0 of `sl`) as a version of key with
 * sequence seq, if no newer version of the key is indexed (invariant 2). h =
 * lsmt_hash_index_hash(key, klen). */
__attribute__((visibility("hidden"))) void
lsmt_hash_index_learn(lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h,
                      const lsmt_skiplist_node *node, const void *key, size_t klen, uint64_t seq);

/* Look key up (h its hash). On LSMT_HI_HIT, *node is the newest indexed version. */
__attribute__((visibility("hidden"))) lsmt_hi_result
lsmt_hash_index_find(const lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h,
                     const void *key, size_t klen, const lsmt_skiplist_node **node);

/* From n, a version of key, walk level 0 to the first node that is not a version of key
 * with sequence > snapshot: the node a skip-list seek of (key, snapshot) finds when n is
 * the newest version (or a version newer than snapshot). May return NULL or a node of
 * another key (the key has no version <= snapshot). */
__attribute__((visibility("hidden"))) const lsmt_skiplist_node *
lsmt_hash_index_walk(const lsmt_skiplist *sl, const lsmt_skiplist_node *n, const void *key,
                     size_t klen, uint64_t snapshot);

static inline uint64_t lsmt_hash_index_hash(const void *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

/* The key's home slot. */
static inline uint32_t lsmt_hash_index_home(const lsmt_hash_index *hi, uint64_t h)
{
    return (uint32_t)(((uint64_t)(uint32_t)h * hi->nslots) >> 32);
}

/* Start loading the key's home slot (multi_get: a chunk's slots load together). */
static inline void lsmt_hash_index_prefetch(const lsmt_hash_index *hi, uint64_t h)
{
    __builtin_prefetch((const void *)&hi->slots[lsmt_hash_index_home(hi, h)], 0, 3);
}

/* Start loading the node that the key's home slot names, if its fingerprint matches
 * (multi_get, after lsmt_hash_index_prefetch of the chunk). */
__attribute__((visibility("hidden"))) void
lsmt_hash_index_prefetch_node(const lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h);

#endif
