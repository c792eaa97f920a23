/* Bloom filter storage (the probe logic is inline in memtable/bloom.h).
 *
 * The bit array is one aligned allocation of whole 64-byte lines sized at init; it is
 * never resized (a memtable's entry count is bounded by its budget), and clear zeroes
 * it in place so a reset memtable keeps its pages.
 */
#include "memtable/bloom.h"

#include <stdlib.h>

int lsmt_bloom_init(lsmt_bloom *b, size_t expected_keys, unsigned bits_per_key)
{
    size_t bits;
    if (expected_keys == 0)
        expected_keys = 1;
    if (__builtin_mul_overflow(expected_keys, (size_t)bits_per_key, &bits))
        bits = SIZE_MAX;
    size_t lines = bits / 512 + 1;
    if (lines > UINT32_MAX)
        lines = UINT32_MAX;
    /* k = bits_per_key * ln 2, rounded, in [1, 16]. */
    unsigned k = (bits_per_key * 69u + 50u) / 100u;
    if (k < 1)
        k = 1;
    if (k > 16)
        k = 16;
    void *w = aligned_alloc(64, lines * 64);
    if (w == NULL)
        return -1;
    b->words = w;
    b->nlines = (uint32_t)lines;
    b->k = k;
    lsmt_bloom_clear(b);
    return 0;
}

void lsmt_bloom_free(lsmt_bloom *b)
{
    free(b->words);
    b->words = NULL;
    b->nlines = 0;
}

void lsmt_bloom_clear(lsmt_bloom *b)
{
    size_t n = (size_t)b->nlines * 8;
    for (size_t i = 0; i < n; i++) {
        /* relaxed: no add or test runs (REQUIRES); the memtable publishes the cleared
         * filter with its release store of the state word after the reset. */
        atomic_store_explicit(&b->words[i], 0, memory_order_relaxed);
    }
}
