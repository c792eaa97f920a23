/* Per-entry protection: a checksum of each entry, stored with it and verified where an
 * entry is read (lsmt_memtable_options.protection_bytes_per_key).
 *
 * Where the bytes live: the last P bytes (P = the memtable's width, 1, 2, 4 or 8) of the
 * skip-list node's value region, after the user's value (a tombstone's value region is
 * those P bytes alone):
 *
 *   skip-list value    value bytes [vlen] | checksum, low P bytes, little-endian
 *
 * Why there: the value region is the one part of a node the memtable owns beside the
 * key, so the skip list, its node layout and its search paths do not change at all (a
 * search never reads values), and an entry is still one allocation written by one copy.
 * The cost is that a node no longer says on its own where its value ends: the decoder
 * (lsmt_mt_decode) takes P from the memtable, fixed at create.
 *
 * The checksum: h = xxh3(key, seed = seq << 8 | type), then, for a put,
 * h = xxh3(value, seed = h); its low P bytes are stored. It covers key, sequence, type
 * and value (and so the lengths too: a changed length moves the bytes hashed and where
 * the stored checksum is read). Written once, before the node is published, next to the
 * copy of the same bytes; verified only on the entry a read returns (get, multi_get, the
 * entry an iterator stops on), never on the nodes a search passes. A random change is
 * missed with probability 2^(-8P).
 *
 * What it guarantees (with P > 0): a read that returns an entry has verified its bytes,
 * and the bounds of its key and value against the arena, first (a corrupted length
 * cannot make the check read outside the arena); a mismatch is LSMT_CORRUPTION, never a
 * wrong value. A SNAPSHOT iterator also verifies the versions whose type or sequence
 * make it move on (a visible tombstone, a version newer than its snapshot).
 *
 * What it does not: a corrupted key moves its entry in the order, so a get of the old
 * key answers LSMT_NOT_FOUND, and searches for the keys between its old and new place
 * may stop at it or pass it and answer LSMT_NOT_FOUND too. A forward scan steps along
 * level 0 and so reaches the entry (LSMT_CORRUPTION); a backward step is a search and may
 * pass over it, unless paranoid_checks catch the broken order where the search stops.
 * Every iterator move is checked to be monotone (memtable/iter.c, sl_seek), so a
 * damaged key never makes an iterator loop. A corrupted link, tower height or key
 * length is beyond the checksum: see paranoid_checks (skiplist/checked.h). */
#ifndef LSMT_MEMTABLE_PROTECT_H
#define LSMT_MEMTABLE_PROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xxhash.h>

/* Allowed widths (bytes): 0 (off), 1, 2, 4, 8. */
static inline bool lsmt_prot_width_ok(unsigned p)
{
    return p == 0 || p == 1 || p == 2 || p == 4 || p == 8;
}

/* The checksum of one entry (the format above). */
static inline uint64_t lsmt_prot_hash(const void *key, size_t klen, uint64_t seq, unsigned type,
                                      const void *value, size_t vlen)
{
    uint64_t h = XXH3_64bits_withSeed(key, klen, seq << 8 | type);
    if (vlen != 0)
        h = XXH3_64bits_withSeed(value, vlen, h);
    return h;
}

/* Store the low p bytes of h at dst, little-endian (byte order fixed: no host assumption). */
static inline void lsmt_prot_store(unsigned char *dst, unsigned p, uint64_t h)
{
    for (unsigned i = 0; i < p; i++)
        dst[i] = (unsigned char)(h >> (8 * i));
}

/* Do the p bytes at src hold the low bytes of h? */
static inline bool lsmt_prot_match(const unsigned char *src, unsigned p, uint64_t h)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < p; i++)
        s |= (uint64_t)src[i] << (8 * i);
    uint64_t mask = p == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * p)) - 1;
    return s == (h & mask);
}

#endif
