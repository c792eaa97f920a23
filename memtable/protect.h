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
 * The checksum: xxh3 (64 bits, seed = the type) of the node's bytes from the key's first
 * byte up to the checksum, its low P bytes stored. A KV node keeps those bytes together
 * (skiplist/node.h): the key, the tail word (the 56-bit sequence and the value's short
 * length), a long value's 4-byte length, the value. So one hash call covers key,
 * sequence, type and value, and the lengths too (a changed length moves the bytes hashed
 * and where the stored checksum is read): one call over ~klen + vlen + 8 bytes instead of
 * one per field, which halves the cost of a verify on small entries. Written once, before
 * the node is published, over the bytes just copied (still in the writer's cache);
 * verified only on the entry a read returns (get, multi_get, the entry an iterator stops
 * on), never on the nodes a search passes. A random change is missed with probability
 * 2^(-8P).
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
#include <string.h>

/* xxh3 inlined (XXH_INLINE_ALL: static copies under their own names, beside the
 * library's symbols bloom.h uses): every verified read hashes a short key and value, where
 * a call into libxxhash costs as much as the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#undef XXH_INLINE_ALL

/* Allowed widths (bytes): 0 (off), 1, 2, 4, 8. */
static inline bool lsmt_prot_width_ok(unsigned p)
{
    return p == 0 || p == 1 || p == 2 || p == 4 || p == 8;
}

/* Bytes of the skip list's tail word between a KV node's key and its value (node.h):
 * the smallest gap a verify accepts between the key's end and the checksum. */
#define LSMT_PROT_TAIL_BYTES 8u

/* The checksum of one entry: the node's `len` bytes from its key's first byte (the
 * format above), seeded with the type. */
static inline uint64_t lsmt_prot_hash(const void *span, size_t len, unsigned type)
{
    return XXH3_64bits_withSeed(span, len, type);
}

/* Prefetch the lines of the span [from, to] (at most 4: a longer value's later lines
 * arrive while the hash works through the first ones). */
static inline void lsmt_prot_prefetch(const void *from, const void *to)
{
    const char *p = (const char *)from, *end = (const char *)to;
    for (int i = 0; i < 4 && p < end; i++, p += 64)
        __builtin_prefetch(p, 0, 3);
    __builtin_prefetch(end, 0, 3);
}

/* h as the 8 bytes of its little-endian form (byte order fixed: no host assumption). */
static inline uint64_t lsmt_prot_le(uint64_t h)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(h);
#else
    return h;
#endif
}

/* Store the low p bytes of h at dst, little-endian. One store per width (p is one of the
 * four the options allow, lsmt_prot_width_ok): a byte loop cost ~30 instructions per
 * write at p = 8. */
static inline void lsmt_prot_store(unsigned char *dst, unsigned p, uint64_t h)
{
    /* the first p bytes of le in memory are h's low p bytes, on either byte order */
    uint64_t le = lsmt_prot_le(h);
    const unsigned char *src = (const unsigned char *)&le;
    switch (p) {
    case 8:
        memcpy(dst, src, 8);
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    case 2:
        memcpy(dst, src, 2);
        break;
    default:
        memcpy(dst, src, 1);
        break;
    }
}

/* Do the p bytes at src hold the low bytes of h? */
static inline bool lsmt_prot_match(const unsigned char *src, unsigned p, uint64_t h)
{
    unsigned char want[8];
    lsmt_prot_store(want, p, h);
    switch (p) {
    case 8:
        return memcmp(src, want, 8) == 0;
    case 4:
        return memcmp(src, want, 4) == 0;
    case 2:
        return memcmp(src, want, 2) == 0;
    default:
        return src[0] == want[0];
    }
}

#endif
