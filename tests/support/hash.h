/* Hash functions the tests derive keys, values and random choices from.
 *
 * Header-only (static inline): each test binary gets its own copy, and nothing here
 * depends on the library. Both are the published constants; a test that changes them
 * changes its workload. */
#ifndef LSMT_TESTS_SUPPORT_HASH_H
#define LSMT_TESTS_SUPPORT_HASH_H

#include <stdint.h>

/* SplitMix64 (Steele, Lea, Flood): advances *s and returns its next output. A seeded
 * sequence of well-mixed 64-bit numbers. */
static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* MurmurHash3's 64-bit finalizer: a bijection on 64-bit words that mixes every input
 * bit into every output bit. */
static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

#endif
