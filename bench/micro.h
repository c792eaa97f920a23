/* What the micro workloads' files share (bench/micro.c: W1-W6 and W8, bench/reset_cycle.c:
 * W7, bench/w9_range_del.c: W9, bench/w10_protection.c: W10). Not a library API. */
#ifndef LSMT_BENCH_MICRO_H
#define LSMT_BENCH_MICRO_H

#include <stddef.h>
#include <stdint.h>

#include "bench/config.h"
#include "bench/table.h"

/* value(i) of WORKLOADS.md: cfg->value_size bytes, byte k = (i + k) & 0xff. Valid
 * during bench_run_micro. */
const unsigned char *micro_value(uint64_t i);

/* Bytes of the longest key of cfg->keys. */
size_t micro_key_bytes(const bench_config *cfg);

/* A memtable for a micro workload: budget 0 = room for n entries (never flushes), else
 * that write-buffer size; pool as table_options.pool. */
lsmt_status micro_table(const bench_config *cfg, uint64_t n, lsmt_arena_pool *pool, size_t budget,
                        lsmt_memtable **out);

/* W1's fill of key_S(0..n-1) into mt on one thread, one put per record (seq i + 1),
 * checked (n entries after it): wall seconds, or -1 (message printed). */
double micro_fill_random(const bench_config *cfg, lsmt_memtable *mt, uint64_t n);

/* W3's n gets of present keys on one thread, one get per key, checked (all found): wall
 * seconds, or -1 (message printed). */
double micro_read_random(const bench_config *cfg, lsmt_memtable *mt, uint64_t n);

#endif
