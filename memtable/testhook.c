/* Test-only corruption of a stored entry (memtable/testhook.h). Single-threaded by
 * contract; the atomic words (links, header) are changed with relaxed RMWs only so that
 * a test run under ThreadSanitizer sees no plain access to an atomic. */
#include "memtable/testhook.h"

#include "arena/concurrent_internal.h"
#include "memtable/memtable_internal.h"
#include "skiplist/list.h"

static void flip_byte(unsigned char *p, unsigned bit)
{
    *p ^= (unsigned char)(1u << (bit % 8));
}

/* Flip `bit` of the bytes every entry has: its key, its value (or a range tombstone's
 * end), the sequence in the tail word after the key, its checksum. LSMT_INVALID for a
 * part the entry lacks (or another part: the caller's own). */
static lsmt_status flip_common(lsmt_mt_flip_part part, unsigned bit, const void *key, size_t klen,
                               const void *value, size_t vlen, const unsigned char *prot,
                               size_t plen)
{
    switch (part) {
    case LSMT_FLIP_KEY:
        if (klen == 0)
            return LSMT_INVALID;
        flip_byte((unsigned char *)key + (bit / 8) % klen, bit);
        return LSMT_OK;
    case LSMT_FLIP_VALUE:
        if (vlen == 0)
            return LSMT_INVALID;
        flip_byte((unsigned char *)value + (bit / 8) % vlen, bit);
        return LSMT_OK;
    case LSMT_FLIP_SEQ: {
        /* the tail word right after the key: version in bits 0..55 (node.h) */
        unsigned b = bit % 56;
        flip_byte((unsigned char *)key + klen + b / 8, b);
        return LSMT_OK;
    }
    case LSMT_FLIP_PROT:
        if (prot == NULL || plen == 0)
            return LSMT_INVALID;
        flip_byte((unsigned char *)prot + (bit / 8) % plen, bit);
        return LSMT_OK;
    default:
        return LSMT_INVALID;
    }
}

lsmt_status lsmt_mt_test_flip_(lsmt_memtable *mt, const void *key, size_t klen, uint64_t seq,
                               lsmt_mt_flip_part part, unsigned bit)
{
    if (mt == NULL || lsmt_mt_bad_key(key, klen))
        return LSMT_INVALID;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->sl);
    if (lsmt_skiplist_iter_seek(&it, key, klen, seq) != LSMT_OK)
        return LSMT_NOT_FOUND;
    char *n = (char *)lsmt_skiplist_iter_node(&it);
    lsmt_mt_entry e;
    lsmt_mt_decode(mt, (const lsmt_skiplist_node *)n, &e);
    if (e.seq != seq || !lsmt_mt_key_eq(mt, e.key, e.klen, key, klen))
        return LSMT_NOT_FOUND;
    switch (part) {
    case LSMT_FLIP_TYPE:
        atomic_fetch_xor_explicit(meta_word(n), 1u << (META_TAG_SHIFT + bit % 2),
                                  memory_order_relaxed);
        return LSMT_OK;
    case LSMT_FLIP_LINK0:
        atomic_fetch_xor_explicit(link0(n), (ref_t)1u << (bit % 32), memory_order_relaxed);
        return LSMT_OK;
    case LSMT_FLIP_LINK1:
        if (node_height(n) < 2)
            return LSMT_INVALID;
        atomic_fetch_xor_explicit(upper_slot(n, 1), (slot_t)1u << (bit % 32), memory_order_relaxed);
        return LSMT_OK;
    default:
        return flip_common(part, bit, e.key, e.klen, e.value, e.vlen, e.prot, mt->prot);
    }
}

lsmt_status lsmt_mt_test_flip_range_(lsmt_memtable *mt, const void *begin, size_t blen,
                                     uint64_t seq, lsmt_mt_flip_part part, unsigned bit)
{
    if (mt == NULL || lsmt_mt_bad_key(begin, blen))
        return LSMT_INVALID;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->rsl);
    if (lsmt_skiplist_iter_seek(&it, begin, blen, seq) != LSMT_OK)
        return LSMT_NOT_FOUND;
    lsmt_skiplist_entry e;
    lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it), &e);
    if (e.version != seq || !lsmt_mt_key_eq(mt, e.key, e.klen, begin, blen))
        return LSMT_NOT_FOUND;
    size_t elen = e.vlen - mt->prot; /* the end key, then the checksum (range_del.c) */
    return flip_common(part, bit, e.key, e.klen, e.value, elen,
                       mt->prot ? (const unsigned char *)e.value + elen : NULL, mt->prot);
}

void lsmt_mt_test_range_views_(const lsmt_memtable *mt, uint64_t *builds, size_t *view_bytes)
{
    /* relaxed: statistics, read with no call in flight */
    *builds = atomic_load_explicit(&mt->rt_view_builds, memory_order_relaxed);
    *view_bytes = atomic_load_explicit(&mt->rt_view_bytes, memory_order_relaxed);
}

size_t lsmt_mt_test_arena_mapped_(const lsmt_memtable *mt)
{
    return lsmt_sharded_arena_mapped_bytes_(mt->arena);
}
