/* The "engine" of memtable-bench's YCSB runs (bench/engine.c): writes go to the active
 * memtable with a sequence number from one shared counter; with --memtable-size the
 * memtables rotate as an LSM engine rotates them (freeze, flush-scan, reset_all, reuse).
 * Not a library API.
 *
 * Thread safety: engine_put, engine_get and engine_scan may be called by any number of
 * threads concurrently; engine_init, engine_destroy and engine_stats by one thread while
 * no worker runs. */
#ifndef LSMT_BENCH_ENGINE_H
#define LSMT_BENCH_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/table.h"

#define ENGINE_MAX_TABLES 4 /* active + up to 2 frozen + 1 free, as a small engine keeps */

typedef struct engine {
    lsmt_memtable *table[ENGINE_MAX_TABLES]; /* created at init, destroyed at the end */
    size_t ntables;
    bool rotate; /* --memtable-size: rotate when the active memtable should flush */
    /* The memtable writers write to. Written by engine_rotate() under `lock` (release);
     * read by every worker (acquire). Never NULL during a run. */
    _Alignas(64) _Atomic(lsmt_memtable *) active;
    char pad0_[64 - sizeof(void *)];
    /* Sequence numbers: one fetch_add per write, the order of versions. */
    _Alignas(64) _Atomic uint64_t seq;
    char pad1_[64 - sizeof(uint64_t)];
    /* Frozen memtables not yet reset, readable by gets. Written under `lock` (release
     * stores), read lock-free by readers (acquire). NULL = empty slot. */
    _Alignas(64) _Atomic(lsmt_memtable *) frozen[ENGINE_MAX_TABLES];
    /* Readers' pins (only with rotation): a get pins the current epoch's counter while it
     * reads and copies a value; the flusher, after unpublishing a frozen memtable, flips
     * `epoch` and waits for the old epoch's pins to drain before reset_all, so no copy
     * reads memory that a reset reuses (a tiny RCU). seq_cst: a Dekker pair, see
     * reader_pin(). */
    _Alignas(64) _Atomic uint64_t epoch;
    char pad2_[64 - sizeof(uint64_t)];
    _Alignas(64) _Atomic uint64_t pins[2][8]; /* [epoch & 1][0]; a line each */
    pthread_mutex_t lock; /* guards free list, flush queue, rotation, statistics */
    pthread_cond_t cond;  /* flush queue non-empty / free table available / stop */
    lsmt_memtable *free_list[ENGINE_MAX_TABLES];
    size_t nfree;
    lsmt_memtable *queue[ENGINE_MAX_TABLES]; /* frozen, oldest first */
    size_t nqueue;
    bool stop;
    pthread_t flusher;
    bool flusher_running;
    /* statistics, under `lock` */
    uint64_t rotations, flushed_entries, flush_ns, stall_ns, stalls, reset_busy;
    lsmt_status error; /* first unexpected status in the flusher */
} engine;

typedef struct engine_stats {
    uint64_t entries, memory_used; /* summed over the memtables */
    uint64_t rotations, stalls, flushed_entries;
    double stall_ms;
    lsmt_status error;
} engine_stats;

/* One memtable sized for expected_bytes (never flushes; its arena at most
 * TABLE_MAX_ARENA: LSMT_INVALID beyond), or with memtable_size > 0 a pool of
 * ENGINE_MAX_TABLES of that size and the flusher thread. `t` gives bloom, shards and huge
 * pages. LSMT_OK or the create status. */
lsmt_status engine_init(engine *e, const table_options *t, size_t memtable_size,
                        uint64_t expected_bytes, size_t entry_bytes);
/* Stop the flusher and destroy every memtable. REQUIRES: workers joined. */
void engine_destroy(engine *e);

/* Write a version (retried across rotations). LSMT_OK or the unexpected status. */
lsmt_status engine_put(engine *e, const void *key, size_t klen, const void *val, size_t vlen);
/* Newest version of `key` in the active and frozen memtables, copied into buf (cap
 * bytes; as a binding's get returns a copy): LSMT_OK with *vlen, LSMT_NOT_FOUND,
 * LSMT_DELETED, LSMT_FULL (cap too small), or an unexpected status. */
lsmt_status engine_get(engine *e, const void *key, size_t klen, void *buf, size_t cap,
                       size_t *vlen);
/* Up to `len` entries from `key` in the active memtable, touching keys and values into
 * *sink. Entries seen, or -1 on an unexpected status. */
long engine_scan(engine *e, const void *key, size_t klen, unsigned len, uint64_t *sink);

void engine_stats_get(engine *e, engine_stats *out);

#endif
