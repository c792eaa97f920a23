/* Concurrent bloom filter over user keys (internal to the memtable).
 *
 * Cache-line blocked: a key's probes all fall in one 64-byte line (8 words), chosen by
 * the high 32 bits of its xxh3 hash; the k probe positions come from the low 32 bits,
 * remixed by a multiplication per probe. One cache miss per add or test.
 *
 * Concurrency: add is a relaxed atomic OR per touched word (skipped when the bits are
 * already set); test is relaxed loads. Bits are only ever set between two clears, and
 * clear runs only when no add or test is in flight (after an RCU grace period, see
 * memtable.c). Why relaxed is enough is argued at lsmt_bloom_add_apply.
 *
 * Invariant: no false negatives: once add(h) has happened-before test(h), test(h) is
 * true (until the next clear).
 */
#ifndef LSMT_MEMTABLE_BLOOM_H
#define LSMT_MEMTABLE_BLOOM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xxhash.h>

typedef struct lsmt_bloom {
    /* nlines * 8 words, 64-byte aligned. Written by add (relaxed OR) and clear. */
    _Atomic uint64_t *words;
    uint32_t nlines; /* > 0 when the filter is on; fixed after init */
    unsigned k;      /* probes per key, 1..16; fixed after init */
} lsmt_bloom;

/* Size the filter for `expected_keys` keys at `bits_per_key` (>= 1). 0 or -1 (malloc). */
__attribute__((visibility("hidden"))) int lsmt_bloom_init(lsmt_bloom *b, size_t expected_keys,
                                                          unsigned bits_per_key);
__attribute__((visibility("hidden"))) void lsmt_bloom_free(lsmt_bloom *b);
/* Zero every bit. REQUIRES: no add or test in flight. */
__attribute__((visibility("hidden"))) void lsmt_bloom_clear(lsmt_bloom *b);
/* Bytes of the bit array. */
static inline size_t lsmt_bloom_bytes(const lsmt_bloom *b)
{
    return (size_t)b->nlines * 64;
}

static inline uint64_t lsmt_bloom_hash(const void *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

/* The 64-byte line (8 words) that holds all k probes of `h`. */
static inline _Atomic uint64_t *lsmt_bloom_line(const lsmt_bloom *b, uint64_t h)
{
    return b->words + (size_t)(((h >> 32) * (uint64_t)b->nlines) >> 32) * 8;
}

/* The line of `h` and the per-word masks of its k probes. */
static inline _Atomic uint64_t *lsmt_bloom_masks(const lsmt_bloom *b, uint64_t h, uint64_t masks[8])
{
    uint32_t x = (uint32_t)h;
    for (int w = 0; w < 8; w++)
        masks[w] = 0;
    for (unsigned i = 0; i < b->k; i++) {
        unsigned bit = x >> 23; /* top 9 bits: 0..511 */
        masks[bit >> 6] |= (uint64_t)1 << (bit & 63);
        x *= 0x9E3779B9u;
    }
    return lsmt_bloom_line(b, h);
}

/* Start loading the line of `h` for a test (multi_get: a chunk's lines load together). */
static inline void lsmt_bloom_prefetch_read(const lsmt_bloom *b, uint64_t h)
{
    __builtin_prefetch(lsmt_bloom_line(b, h), 0, 3);
}

/* An add in two steps, so the line's miss can overlap other work: prepare computes the
 * line and the probe masks and starts loading the line (for writing); apply ORs the masks
 * in, and is the add (thread-safe with add and test). A single put prepares before its
 * skip-list search and applies just before the node is published
 * (skiplist/skiplist_internal.h), when the line has long arrived; a write batch prepares
 * a chunk of records, then applies them (memtable/batch.c). */
typedef struct lsmt_bloom_pending {
    _Atomic uint64_t *line;
    uint64_t masks[8];
} lsmt_bloom_pending;

static inline void lsmt_bloom_add_prepare(const lsmt_bloom *b, uint64_t h, lsmt_bloom_pending *p)
{
    p->line = lsmt_bloom_masks(b, h, p->masks);
    __builtin_prefetch(p->line, 1, 3);
}

/* Record the prepared key.
 *
 * Relaxed is enough, and this is why invariant 2 of memtable.h holds with a bloom
 * filter: the memtable applies the add before it publishes the entry (the skip list's
 * release CAS), in the writer's program order. A get that starts after the put returned
 * is, by the meaning of "after", ordered by some happens-before edge from the put's
 * return (same thread, or the caller's own release/acquire, e.g. publishing the sequence
 * number). The OR is sequenced before that return, so it happens-before the get's load
 * of the word, and read-coherence forbids the load from returning a value older than
 * the OR in the word's modification order: the bit is seen. A get concurrent with the
 * put may miss the bit and answer "absent"; that get is then ordered before the put,
 * which is allowed because the put had not returned. Only ORs touch the words between
 * clears, so no later store can take the bit away. */
static inline void lsmt_bloom_add_apply(const lsmt_bloom_pending *p)
{
    for (int w = 0; w < 8; w++) {
        if (p->masks[w] == 0)
            continue;
        /* relaxed: a stale read only makes us OR bits that are already set. */
        if ((atomic_load_explicit(&p->line[w], memory_order_relaxed) & p->masks[w]) != p->masks[w])
            /* relaxed: ordered by the caller's program order before the publishing
             * release (see above); coherence does the rest. */
            atomic_fetch_or_explicit(&p->line[w], p->masks[w], memory_order_relaxed);
    }
}

/* false when `h` was certainly never added (since the last clear). */
static inline bool lsmt_bloom_may_contain(const lsmt_bloom *b, uint64_t h)
{
    uint64_t masks[8];
    _Atomic uint64_t *line = lsmt_bloom_masks(b, h, masks);
    for (int w = 0; w < 8; w++) {
        /* relaxed: see lsmt_bloom_add_apply; a racing add may be missed, harmlessly. */
        if ((atomic_load_explicit(&line[w], memory_order_relaxed) & masks[w]) != masks[w])
            return false;
    }
    return true;
}

#endif
