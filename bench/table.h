/* Every lsmt_memtable call of memtable-bench goes through this file's functions
 * (bench/table.c), so a change of the library's API touches bench/table.c only. Not a
 * library API.
 *
 * Thread safety: as the memtable's own (include/lsmt/memtable.h): puts, gets, scans and
 * batches may run concurrently; create, reset, freeze and destroy follow its rules. */
#ifndef LSMT_BENCH_TABLE_H
#define LSMT_BENCH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/arena.h"
#include "lsmt/memtable.h"

/* The largest arena one memtable can have: the skip list addresses its arena with 32-bit
 * references in 4-byte units (include/lsmt/skiplist.h), 16 GiB. */
#define TABLE_MAX_ARENA ((size_t)16 << 30)

typedef struct table_options {
    unsigned bloom_bits; /* bits per key, 0 = off */
    size_t shards;       /* 0 = CPU count */
    bool huge_pages;
    bool hash_index;        /* sized for expected_keys, as the bloom filter */
    size_t budget;          /* write_buffer_size: should_flush turns true past it */
    size_t hard_limit;      /* arena bytes; 0 = the library's (budget + budget / 4 + ...) */
    uint64_t expected_keys; /* keys the bloom filter is sized for */
    lsmt_arena_pool *pool;  /* NULL = the memtable maps its own arena */
    unsigned protection;    /* protection_bytes_per_key */
    bool paranoid;          /* paranoid_checks */
} table_options;

/* The library's default bloom bits per key. */
unsigned table_default_bloom_bits(void);
/* The library's default for huge_pages (lsmt_memtable_options). */
bool table_default_huge_pages(void);

lsmt_status table_create(const table_options *o, lsmt_memtable **out);
void table_destroy(lsmt_memtable *mt);
/* Empty for reuse (LSMT_BUSY while an iterator is open). */
lsmt_status table_reset(lsmt_memtable *mt);
/* Read-only from now on (waits for in-flight writes). */
void table_freeze(lsmt_memtable *mt);
bool table_should_flush(const lsmt_memtable *mt);

lsmt_status table_put(lsmt_memtable *mt, uint64_t seq, const void *key, size_t klen,
                      const void *val, size_t vlen);
/* The newest version of key: LSMT_OK with *val, *vlen (a view valid until reset) and
 * *seq (when seq != NULL), LSMT_NOT_FOUND, LSMT_DELETED, or an error. */
lsmt_status table_get(lsmt_memtable *mt, const void *key, size_t klen, const void **val,
                      size_t *vlen, uint64_t *seq);
/* n gets in one call: st[i], vals[i], vlens[i] as table_get's. */
lsmt_status table_multi_get(lsmt_memtable *mt, size_t n, const void *const *keys,
                            const size_t *klens, lsmt_status *st, const void **vals, size_t *vlens);

/* A write batch: puts with consecutive sequence numbers, applied by table_write. */
typedef struct lsmt_write_batch table_batch;
lsmt_status table_batch_create(table_batch **out);
void table_batch_destroy(table_batch *b);
void table_batch_clear(table_batch *b);
lsmt_status table_batch_put(table_batch *b, const void *key, size_t klen, const void *val,
                            size_t vlen);
size_t table_batch_count(const table_batch *b);
lsmt_status table_write(lsmt_memtable *mt, uint64_t first_seq, table_batch *b);

/* Walk up to `max` entries in key order from the first key >= from (from == NULL: the
 * first entry), reading the last byte of each key and value into *sum; internal = every
 * version (a flush's view), else the latest visible version of each key. *count = entries
 * walked. LSMT_OK, LSMT_BUSY (the memtable is being reset: retry on the current one), or
 * an error. */
lsmt_status table_scan(lsmt_memtable *mt, const void *from, size_t fromlen, uint64_t max,
                       bool internal, uint64_t *count, uint64_t *sum);

/* Versions held (0 on error), arena bytes reserved, and the bloom filter's counters. */
uint64_t table_entries(const lsmt_memtable *mt);
size_t table_memory(const lsmt_memtable *mt);
void table_bloom_counts(const lsmt_memtable *mt, uint64_t *checks, uint64_t *negatives);

#endif
