/* The skip list's node: its byte layout, its links, and the accessors every other file of
 * skiplist/ reads a node through. Nothing here searches or writes a link; it only says
 * where things are.
 *
 * One arena allocation per entry. Links are 32-bit references (offset from the arena's
 * base in 4-byte units, plus one, so 0 means null); the level-0 link is 4 bytes, an
 * upper link (level >= 1) is an 8-byte slot holding the reference AND where the key of
 * the node it points to first differs from its owner's ("Upper slots"). The upper slots sit BEFORE
 * the node address (they grow downwards, as in RocksDB's InlineSkipList), so the level-0 link, the
 * header and the first key bytes share a cache line whatever the height:
 *
 *        N - 8*(h-1)      N - 8        N       N+4     N+8          N+8+klen     N+16+klen
 *        +----------+ ... +----------+-------+-------+------------+------------+---------
 *        | slot h-1 |     | slot 1   | link0 | meta  | key bytes  | tail word  | value
 *        +----------+ ... +----------+-------+-------+------------+------------+---------
 *         ref | lcp | next's bytes    ref     klen | enc | tag | height | NEWER
 *                                                    version (56 bits) | short value length
 *
 *   N - 8*i  (i = h-1 .. 1)  _Atomic slot_t upper slot at level i (see "Upper slots")
 *   N + 0                    _Atomic ref_t  link at level 0
 *   N + 4                    _Atomic uint32_t meta = key length (bits 0..22)
 *                                            | ENCODED (bit 23, the format below)
 *                                            | tag << 24 | height << 26
 *                                            | NEWER (bit 31, invariant V)
 *   N + 8                    key bytes [klen]
 *   N + 8 + klen             uint64_t tail = version (bits 0..55)   (unaligned: memcpy)
 *                                          | short value length << 56
 *   N + 16 + klen            [uint32_t vlen, only when the short length is VLEN_LONG]
 *                            value bytes [vlen]
 *
 * N is 4-byte aligned, 8-byte aligned when h > 1. A value of up to VLEN_SHORT_MAX bytes
 * keeps its length in the tail word's top byte (most memtable values: no length field at
 * all); a longer one has VLEN_LONG there and its length in the 4 bytes after the word.
 * The allocation starts at N - 8*(h-1); its size, 16 + 8*(h-1) + klen + vlen (+ 4 for a
 * long value), is rounded up to 4 bytes. What a search touches -- the slot it follows,
 * meta and the first 8 key bytes -- is the 16 bytes [N, N+16) plus the slot below N: one
 * cache line for most nodes. Version and length sit after the key because a search needs
 * them only on a key tie (the version) or never (the value length). The tag is 2 bits the
 * caller may set at node_alloc (the memtable keeps its entry type there).
 *
 * ENCODED lists (lsmt_skiplist_options.format) keep one caller-encoded entry instead of
 * key, tail word and value, in the LevelDB/RocksDB memtable entry format:
 *
 *   N + 8                    varint32 (klen + 8)                 1..4 bytes (klen < 2^24)
 *   N + 8 + v                key bytes [klen]
 *   N + 8 + v + klen         uint64_t version, little-endian, all 64 bits
 *   N + 16 + v + klen        varint32 vlen, then the value bytes [vlen]
 *
 * meta has the ENCODED bit set (which makes every node self-describing: the accessors
 * below need no list). The entry is checked and klen set when it is published, which
 * also sets PARSED (the tag's low bit: ENCODED nodes have no tag); until then link0 holds
 * the entry's allocated size, so node_insert can check the entry fits it.
 *
 * The head is not in the arena: it is a tower inside the list header laid out the same
 * way (slot i at head - 8*i), so every walk uses one link accessor. Nodes never link to
 * the head: a reference 0 in a splice's prev slot stands for the head. */
#ifndef LSMT_SKIPLIST_NODE_H
#define LSMT_SKIPLIST_NODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/internal.h"
#include "lsmt/skiplist.h"

/* The comparison and link helpers sit inside every search loop: inline them also at -O2
 * (the default RelWithDebInfo build), where GCC would otherwise call node_cmp. */
#define HOT static inline __attribute__((always_inline))

/* A link holds a node reference: 0 = null, else (node - base) / LINK_UNIT + 1. */
typedef uint32_t ref_t;
#define LINK_UNIT 4u

/* Upper slots. A link at level >= 1 is one 64-bit atomic word: the reference in the low
 * 32 bits, and in the high 32 bits ("meta") what a search needs to know of the node y it
 * references relative to the slot's owner x:
 *     bits 17..31  d = lcp(x, y), the length of the prefix their keys share, or
 *                  SLOT_D_UNDECIDED when it is that long or more, when the keys are equal
 *                  (two versions), or in a list with a custom comparator;
 *     bit  16      END: y's key ends right after its byte d (so a zero below is padding);
 *     bits 0..15   y's key bytes d and d + 1, big-endian, zero past y's end.
 * The head counts as the empty key (d = 0); a null link's meta is 0.
 * Invariant S: a slot's meta is always that of its owner and its reference -- both are
 * written by one store or CAS, and keys never change -- so a reader that loads a slot
 * may trust it, and a CAS that expects the whole slot fails exactly when the link
 * changed. search.h shows how a search decides from it without loading y. */
typedef uint64_t slot_t;
#define SLOT_BYTES      8u
/* Largest arena a 32-bit reference can address. */
#define MAX_ARENA_BYTES ((size_t)LINK_UNIT * (size_t)(UINT32_MAX - 1u))

#define HDR_META          4
#define HDR_KEY           8
#define NODE_FIXED        16 /* link0 + meta + tail word: the smallest node */
#define TAIL_BYTES        8
#define TAIL_VLEN_SHIFT   56
#define VLEN_SHORT_MAX    254u
#define VLEN_LONG         255u /* the tail's length byte when a uint32_t length follows */
#define VLEN_LONG_BYTES   4
#define META_KLEN_MASK    ((1u << 23) - 1u)
#define META_ENCODED      (1u << 23)
#define META_PARSED       (1u << META_TAG_SHIFT) /* ENCODED: the entry was checked */
#define META_TAG_SHIFT    24
#define META_HEIGHT_SHIFT 26
#define META_HEIGHT_MASK  31u
/* Invariant V (versions): a node's NEWER bit is set once a node of an equal key and a
 * larger version precedes it at level 0, and before that node can be reached: the
 * inserter sets it on its level-0 successor when their keys are equal, and on its own
 * node when its level-0 predecessor's key is equal, before the publishing CAS or store
 * (place_level0, insert.c). A node WITHOUT the bit is therefore the first version of its
 * key that any search can see, which lets a search stop at an upper level on a node
 * whose key equals the search key (search.h). The bit is the only header field written
 * after publication, so meta is read and written atomically (relaxed: see
 * place_level0). */
#define META_NEWER        (1u << 31)
_Static_assert(LSMT_SKIPLIST_TAG_MAX == 3 && META_TAG_SHIFT + 2 == META_HEIGHT_SHIFT,
               "the tag has exactly the two bits between key length and height");
_Static_assert(LSMT_SKIPLIST_MAX_KEY_LEN <= META_KLEN_MASK, "key length must fit in meta");
_Static_assert(META_KLEN_MASK + TAIL_BYTES < (1u << 28),
               "an ENCODED key's varint takes <= 4 bytes");
_Static_assert(LSMT_SKIPLIST_MAX_HEIGHT <= META_HEIGHT_MASK && META_HEIGHT_SHIFT + 5 == 31,
               "height must fit in meta below the NEWER bit");
_Static_assert(LSMT_SKIPLIST_MAX_VALUE_LEN <= UINT32_MAX, "value length must fit in 32 bits");

/* The level-0 link of node (or head) `n`. */
static inline _Atomic ref_t *link0(const char *n)
{
    return (_Atomic ref_t *)n;
}
/* The upper slot of node (or head) `n` at level i >= 1. */
static inline _Atomic slot_t *upper_slot(const char *n, unsigned i)
{
    return (_Atomic slot_t *)(n - (size_t)SLOT_BYTES * i);
}
#define SLOT_D_SHIFT        17
#define SLOT_D_UNDECIDED    0x7FFFu
#define SLOT_META_UNDECIDED (SLOT_D_UNDECIDED << SLOT_D_SHIFT)
#define SLOT_END            (1u << 16)
#define SLOT_BYTES_MASK     0xFFFFu

static inline slot_t slot_make(ref_t r, uint32_t meta)
{
    return (slot_t)meta << 32 | r;
}
static inline ref_t slot_ref(slot_t s)
{
    return (ref_t)s;
}
static inline uint32_t slot_meta(slot_t s)
{
    return (uint32_t)(s >> 32);
}

/* Acquire: observes every field of the node the link points to, written before the
 * release CAS (or release store, insert_serial) that published it (insert.c). Level 0 is
 * a bare link (its meta reads as 0). */
HOT slot_t slot_load_acquire(const char *n, unsigned i)
{
    if (i == 0)
        return atomic_load_explicit(link0(n), memory_order_acquire);
    return atomic_load_explicit(upper_slot(n, i), memory_order_acquire);
}
HOT ref_t link_load_acquire(const char *n, unsigned i)
{
    return slot_ref(slot_load_acquire(n, i));
}

static inline _Atomic uint32_t *meta_word(const char *n)
{
    return (_Atomic uint32_t *)(uintptr_t)(n + HDR_META);
}
static inline uint32_t node_meta(const char *n)
{
    /* relaxed: every field but NEWER is written before the node is published (and the
     * acquire that reached n orders it); NEWER: see place_level0. */
    return atomic_load_explicit(meta_word(n), memory_order_relaxed);
}
/* The fields of a meta word m (node_meta). */
static inline size_t meta_klen(uint32_t m)
{
    return m & META_KLEN_MASK;
}
static inline unsigned meta_height(uint32_t m)
{
    return (m >> META_HEIGHT_SHIFT) & META_HEIGHT_MASK;
}
static inline unsigned meta_tag(uint32_t m)
{
    return m & META_ENCODED ? 0 : (m >> META_TAG_SHIFT) & LSMT_SKIPLIST_TAG_MAX;
}
static inline size_t node_klen(const char *n)
{
    return meta_klen(node_meta(n));
}
static inline unsigned node_height(const char *n)
{
    return meta_height(node_meta(n));
}
static inline unsigned node_tag(const char *n)
{
    return meta_tag(node_meta(n));
}
/* Invariant V: has a version of n's key with a larger version been placed before n? */
static inline bool node_has_newer(const char *n)
{
    return (node_meta(n) & META_NEWER) != 0;
}
/* Bytes of a varint32 holding v. */
static inline size_t varint32_len(uint32_t v)
{
    return 1u + (v >= 1u << 7) + (v >= 1u << 14) + (v >= 1u << 21) + (v >= 1u << 28);
}

/* Decode a varint32 from [p, end): bytes used, or 0 when it does not end inside (or
 * has more than 5 bytes). */
static inline size_t varint32_decode(const unsigned char *p, const unsigned char *end,
                                     uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 5 && p + i < end; i++) {
        v |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/* The value of a KV node whose key (klen bytes) starts at `key`: the one decoder of the
 * two length forms. *long_form (may be NULL) tells which one the node uses. */
static inline const char *kv_value(const unsigned char *key, size_t klen, size_t *vlen,
                                   bool *long_form)
{
    const char *t = (const char *)key + klen;
    uint64_t w;
    memcpy(&w, t, sizeof w);
    unsigned s = (unsigned)(w >> TAIL_VLEN_SHIFT);
    t += TAIL_BYTES;
    if (long_form != NULL)
        *long_form = s == VLEN_LONG;
    if (LSMT_LIKELY(s != VLEN_LONG)) {
        *vlen = s;
        return t;
    }
    uint32_t v;
    memcpy(&v, t, sizeof v);
    *vlen = v;
    return t + VLEN_LONG_BYTES;
}

/* The accessors below read a node's meta once and derive the rest from it: `m` is
 * node_meta(n) (the fields they use never change once n is published). */

/* Where node n's key starts: after the header (KV), or after the entry's varint. */
static inline const unsigned char *node_key_m(const char *n, uint32_t m)
{
    const unsigned char *p = (const unsigned char *)n + HDR_KEY;
    if (m & META_ENCODED)
        p += varint32_len((uint32_t)meta_klen(m) + TAIL_BYTES);
    return p;
}
static inline const unsigned char *node_key(const char *n)
{
    return node_key_m(n, node_meta(n));
}
/* The version in the word right after the key (at `key`, klen bytes): 56 bits (KV) or
 * all 64 (ENCODED). */
static inline uint64_t node_ver_m(const unsigned char *key, size_t klen, uint32_t m)
{
    uint64_t w;
    memcpy(&w, key + klen, sizeof w);
    return m & META_ENCODED ? w : w & LSMT_SKIPLIST_MAX_VERSION;
}
static inline uint64_t node_ver(const char *n)
{
    uint32_t m = node_meta(n);
    return node_ver_m(node_key_m(n, m), meta_klen(m), m);
}
/* The value's bytes and length (ENCODED: after the entry's value varint, checked to end
 * inside the entry when it was published). */
static inline const char *node_value_m(const unsigned char *key, size_t klen, uint32_t m,
                                       size_t *vlen)
{
    if (!(m & META_ENCODED))
        return kv_value(key, klen, vlen, NULL);
    const unsigned char *p = key + klen + TAIL_BYTES;
    uint32_t v = 0;
    size_t used = varint32_decode(p, p + 5, &v);
    *vlen = v;
    return (const char *)p + used;
}
static inline const char *node_value(const char *n, size_t *vlen)
{
    uint32_t m = node_meta(n);
    return node_value_m(node_key_m(n, m), meta_klen(m), m, vlen);
}

/* Bytes of a node's fixed fields, key and value, before rounding and without the tower. */
static inline size_t node_body_bytes(size_t klen, size_t vlen)
{
    return (size_t)NODE_FIXED + klen + (vlen > VLEN_SHORT_MAX ? VLEN_LONG_BYTES : 0) + vlen;
}

static inline void prefetch_node(const char *n)
{
    __builtin_prefetch(n, 0, 3);
}

#endif
