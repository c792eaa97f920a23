/* Test-only corruption of a stored entry (tests/test_protection.c) and views of the
 * memtable's internals (tests/test_range_del.c, tests/test_memtable.c). Hidden: not part
 * of liblsmt.so's API; the tests link the static library. Never called by the library. */
#ifndef LSMT_MEMTABLE_TESTHOOK_H
#define LSMT_MEMTABLE_TESTHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "lsmt/memtable.h"

/* What to damage in the entry. */
typedef enum lsmt_mt_flip_part {
    LSMT_FLIP_KEY,   /* a key byte */
    LSMT_FLIP_VALUE, /* a value byte (puts with a value only) */
    LSMT_FLIP_SEQ,   /* a bit of the 56-bit sequence in the node's tail word */
    LSMT_FLIP_TYPE,  /* one of the two type bits of the node header */
    LSMT_FLIP_PROT,  /* a byte of the stored checksum (protection on only) */
    LSMT_FLIP_LINK0, /* a bit of the level-0 link */
    LSMT_FLIP_LINK1  /* a bit of the level-1 link reference (nodes taller than 1 only) */
} lsmt_mt_flip_part;

/* Flip bit `bit` (taken modulo the part's size in bits) of `part` of the entry
 * (key, seq). LSMT_OK, LSMT_NOT_FOUND (no such entry), LSMT_INVALID (the entry has no
 * such part). REQUIRES: no other call on mt in flight. */
__attribute__((visibility("hidden"))) lsmt_status
lsmt_mt_test_flip_(lsmt_memtable *mt, const void *key, size_t klen, uint64_t seq,
                   lsmt_mt_flip_part part, unsigned bit);

/* The same for the range tombstone (begin, seq) (lsmt/range_del.h): LSMT_FLIP_KEY damages
 * a byte of begin, LSMT_FLIP_VALUE a byte of end, LSMT_FLIP_SEQ and LSMT_FLIP_PROT as
 * above; other parts are LSMT_INVALID. */
__attribute__((visibility("hidden"))) lsmt_status
lsmt_mt_test_flip_range_(lsmt_memtable *mt, const void *begin, size_t blen, uint64_t seq,
                         lsmt_mt_flip_part part, unsigned bit);

/* Range-tombstone views (memtable/range_del.h) built since create, and the bytes of the
 * cached one (0 when none). */
__attribute__((visibility("hidden"))) void
lsmt_mt_test_range_views_(const lsmt_memtable *mt, uint64_t *builds, size_t *view_bytes);

/* Bytes of address space mt's arena maps: its capacity rounded up to the page, or to
 * 2 MiB when it asked for huge pages (lsmt_memtable_options.huge_pages). */
__attribute__((visibility("hidden"))) size_t lsmt_mt_test_arena_mapped_(const lsmt_memtable *mt);

#endif
