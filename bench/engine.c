/* The YCSB engine of memtable-bench (engine.h).
 *
 * Design. Writes go to the active memtable with a sequence number from one shared atomic
 * counter (an update is a new version, as in an LSM engine). With --memtable-size,
 * memtables rotate as an engine rotates them: when the active one says should_flush (or
 * is FULL), a writer freezes it and publishes a free one; a flusher thread walks the
 * frozen one with the internal iterator (what a flush writes to an SSTable), then
 * reset_all and puts it back on the free list. Reads consult the active and the frozen
 * memtables and keep the newest version; a key only in flushed memtables is a miss ("would
 * be read from SSTables"), counted by the caller. Memtables are created once and never
 * destroyed during a run, so a thread holding a stale pointer is still safe: a write gets
 * LSMT_FROZEN/LSMT_BUSY and retries on the new active one, a get waits out reset_all
 * (memtable invariant 4). Without --memtable-size one memtable holds the whole run (its
 * hard limit is address space reserved with MAP_NORESERVE). */
#include "bench/engine.h"

#include <sched.h>
#include <stddef.h>
#include <string.h>

#include "bench/common.h"

_Static_assert(offsetof(engine, seq) % 64 == 0, "engine.seq on its own cache line");

static void *flusher_main(void *p);

static void destroy_tables(engine *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        table_destroy(e->table[i]);
}

lsmt_status engine_init(engine *e, const table_options *t, size_t memtable_size,
                        uint64_t expected_bytes, size_t entry_bytes)
{
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->cond, NULL);
    atomic_init(&e->seq, 1);
    atomic_init(&e->epoch, 0);
    for (int i = 0; i < 2; i++)
        atomic_init(&e->pins[i][0], 0);
    for (size_t i = 0; i < ENGINE_MAX_TABLES; i++)
        atomic_init(&e->frozen[i], NULL);
    table_options o = *t;
    e->rotate = memtable_size != 0;
    if (e->rotate) {
        o.budget = memtable_size;
        o.hard_limit = 0;
        e->ntables = ENGINE_MAX_TABLES;
    } else {
        /* one memtable for everything: the budget is never reached; the hard limit is
         * address space reserved with MAP_NORESERVE, faulted in only as it is used, and
         * at most what the skip list can address */
        uint64_t want = expected_bytes + expected_bytes / 2 + ((uint64_t)256 << 20);
        if (want < ((uint64_t)4 << 30))
            want = (uint64_t)4 << 30;
        if (want > TABLE_MAX_ARENA - TABLE_MAX_ARENA / 5)
            return LSMT_INVALID;
        o.budget = (size_t)want;
        o.hard_limit = (size_t)(want + want / 4);
        e->ntables = 1;
    }
    /* the bloom filter sized for the entries the budget holds, as an engine that knows
     * its entry size sizes it (memtable.h: key + value + 24 bytes per entry) */
    o.expected_keys = o.budget / (entry_bytes + 24);
    for (size_t i = 0; i < e->ntables; i++) {
        lsmt_status s = table_create(&o, &e->table[i]);
        if (s != LSMT_OK) {
            destroy_tables(e, i);
            return s;
        }
    }
    atomic_init(&e->active, e->table[0]);
    for (size_t i = 1; i < e->ntables; i++)
        e->free_list[e->nfree++] = e->table[i];
    if (e->rotate) {
        if (pthread_create(&e->flusher, NULL, flusher_main, e) != 0) {
            destroy_tables(e, e->ntables);
            return LSMT_NOMEM;
        }
        e->flusher_running = true;
    }
    return LSMT_OK;
}

void engine_destroy(engine *e)
{
    if (e->flusher_running) {
        pthread_mutex_lock(&e->lock);
        e->stop = true;
        pthread_cond_broadcast(&e->cond);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->flusher, NULL);
    }
    destroy_tables(e, e->ntables);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->cond);
}

/* Rotate away from `full` (the active memtable that should flush or is full): take a
 * free memtable (waiting for the flusher: a write stall), freeze `full`, publish it to
 * readers and the flush queue, publish the new active one. No-op if another writer
 * rotated already. */
static void engine_rotate(engine *e, lsmt_memtable *full)
{
    pthread_mutex_lock(&e->lock);
    /* relaxed: `active` only changes under `lock`, which we hold */
    if (atomic_load_explicit(&e->active, memory_order_relaxed) != full) {
        pthread_mutex_unlock(&e->lock);
        return;
    }
    if (e->nfree == 0) {
        uint64_t t0 = bench_now_ns();
        while (e->nfree == 0 && !e->stop)
            pthread_cond_wait(&e->cond, &e->lock);
        e->stall_ns += bench_now_ns() - t0;
        e->stalls++;
        if (e->nfree == 0) {
            pthread_mutex_unlock(&e->lock);
            return;
        }
    }
    lsmt_memtable *next = e->free_list[--e->nfree];
    table_freeze(full); /* in-flight writes finish first (memtable.h) */
    for (size_t i = 0; i < ENGINE_MAX_TABLES; i++) {
        /* relaxed: slots only change under `lock`, which we hold */
        if (atomic_load_explicit(&e->frozen[i], memory_order_relaxed) == NULL) {
            /* release: readers that find `full` here see a fully frozen memtable;
             * pairs with the acquire load in engine_get() */
            atomic_store_explicit(&e->frozen[i], full, memory_order_release);
            break;
        }
    }
    e->queue[e->nqueue++] = full;
    /* release: publishes the reset (empty, ACTIVE) memtable `next`; pairs with the
     * acquire loads in engine_put() / engine_get() / engine_scan() */
    atomic_store_explicit(&e->active, next, memory_order_release);
    e->rotations++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

/* Stop finding `mt` in the frozen slots (before its memory is reused). Holds `lock`. */
static void unpublish_frozen(engine *e, lsmt_memtable *mt)
{
    for (size_t i = 0; i < ENGINE_MAX_TABLES; i++)
        /* relaxed load: slots only change under `lock` */
        if (atomic_load_explicit(&e->frozen[i], memory_order_relaxed) == mt)
            /* release: pairs with engine_get()'s acquire; a reader that still loaded
             * `mt` is protected by reset_all's grace period */
            atomic_store_explicit(&e->frozen[i], NULL, memory_order_release);
}

/* A get's pin of the current epoch (only with rotation). Returns the epoch's parity.
 * The increment and the re-check are seq_cst, as the flusher's flip and its read of the
 * count: if the flusher read our count as 0 before our increment, its flip precedes our
 * re-check, which then sees the new epoch, unpins and retries; so a reader the flusher
 * does not wait for pinned after the flip, and after the unpublishing before it. */
static unsigned reader_pin(engine *e)
{
    for (;;) {
        unsigned ep = (unsigned)(atomic_load_explicit(&e->epoch, memory_order_seq_cst) & 1);
        atomic_fetch_add_explicit(&e->pins[ep][0], 1, memory_order_seq_cst);
        if ((atomic_load_explicit(&e->epoch, memory_order_seq_cst) & 1) == ep)
            return ep;
        /* release: our reads (none yet) are done; pairs with wait_for_readers' acquire */
        atomic_fetch_sub_explicit(&e->pins[ep][0], 1, memory_order_release);
    }
}

static void reader_unpin(engine *e, unsigned ep)
{
    /* release: the copy of the value happens before the flusher's reset; pairs with the
     * acquire load in wait_for_readers() */
    atomic_fetch_sub_explicit(&e->pins[ep][0], 1, memory_order_release);
}

/* Flip the epoch and wait until every get that may still hold a view into an
 * unpublished memtable has copied it (its pin dropped). Flusher only. */
static void wait_for_readers(engine *e)
{
    uint64_t ep = atomic_fetch_add_explicit(&e->epoch, 1, memory_order_seq_cst) & 1;
    while (atomic_load_explicit(&e->pins[ep][0], memory_order_acquire) != 0)
        sched_yield();
}

/* The flusher: walk each frozen memtable in order (internal iterator, touching every key
 * and value, as writing an SSTable would), then reset_all and free it. */
static void *flusher_main(void *p)
{
    engine *e = p;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        while (e->nqueue == 0 && !e->stop)
            pthread_cond_wait(&e->cond, &e->lock);
        if (e->nqueue == 0 && e->stop)
            break;
        lsmt_memtable *mt = e->queue[0];
        pthread_mutex_unlock(&e->lock);

        uint64_t t0 = bench_now_ns(), n = 0, sum = 0;
        lsmt_status s = table_scan(mt, NULL, 0, UINT64_MAX, true, &n, &sum);
        bench_sink_add(sum);
        pthread_mutex_lock(&e->lock);
        if (s != LSMT_OK && e->error == LSMT_OK)
            e->error = s;
        unpublish_frozen(e, mt);
        pthread_mutex_unlock(&e->lock);
        wait_for_readers(e);
        /* reset_all is BUSY while a scan iterator is open on it: retry */
        while ((s = table_reset(mt)) == LSMT_BUSY) {
            e->reset_busy++; /* only this thread writes it until join */
            sched_yield();
        }
        pthread_mutex_lock(&e->lock);
        if (s != LSMT_OK && e->error == LSMT_OK)
            e->error = s;
        e->flushed_entries += n;
        e->flush_ns += bench_now_ns() - t0;
        memmove(&e->queue[0], &e->queue[1], (e->nqueue - 1) * sizeof e->queue[0]);
        e->nqueue--;
        e->free_list[e->nfree++] = mt;
        pthread_cond_broadcast(&e->cond);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

lsmt_status engine_put(engine *e, const void *key, size_t klen, const void *val, size_t vlen)
{
    /* relaxed: only uniqueness and per-key order matter; the memtable publishes the
     * version itself */
    uint64_t seq = atomic_fetch_add_explicit(&e->seq, 1, memory_order_relaxed);
    for (;;) {
        /* acquire: pairs with the release store in engine_rotate() */
        lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
        lsmt_status s = table_put(mt, seq, key, klen, val, vlen);
        if (s == LSMT_OK) {
            if (e->rotate && table_should_flush(mt))
                engine_rotate(e, mt);
            return LSMT_OK;
        }
        if (s == LSMT_FULL && e->rotate) {
            engine_rotate(e, mt);
            continue;
        }
        if (s == LSMT_FROZEN || s == LSMT_BUSY) {
            sched_yield();
            continue;
        }
        return s;
    }
}

/* Newest version of `key`: the active memtable, then (with rotation) the frozen ones,
 * keeping the highest sequence number. *val is a view; the caller holds a pin. */
static lsmt_status newest(engine *e, const void *key, size_t klen, const void **val, size_t *vlen)
{
    /* acquire: pairs with the release store in engine_rotate() */
    lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
    lsmt_status s = table_get(mt, key, klen, val, vlen, NULL);
    if (s != LSMT_NOT_FOUND || e->ntables == 1)
        return s;
    uint64_t best = 0;
    lsmt_status bs = LSMT_NOT_FOUND;
    for (size_t i = 0; i < ENGINE_MAX_TABLES; i++) {
        /* acquire: pairs with the release stores in engine_rotate() / flusher_main() */
        lsmt_memtable *f = atomic_load_explicit(&e->frozen[i], memory_order_acquire);
        if (f == NULL || f == mt)
            continue;
        const void *v;
        size_t vl;
        uint64_t sq;
        lsmt_status fs = table_get(f, key, klen, &v, &vl, &sq);
        if ((fs == LSMT_OK || fs == LSMT_DELETED) && sq >= best) {
            best = sq;
            bs = fs;
            if (fs == LSMT_OK) {
                *val = v;
                *vlen = vl;
            }
        }
    }
    return bs;
}

lsmt_status engine_get(engine *e, const void *key, size_t klen, void *buf, size_t cap, size_t *vlen)
{
    unsigned ep = e->rotate ? reader_pin(e) : 0;
    const void *v = NULL;
    size_t vl = 0;
    lsmt_status s = newest(e, key, klen, &v, &vl);
    if (s == LSMT_OK && vl > cap)
        s = LSMT_FULL;
    if (s == LSMT_OK) {
        memcpy(buf, v, vl);
        *vlen = vl;
    }
    if (e->rotate)
        reader_unpin(e, ep);
    return s;
}

long engine_scan(engine *e, const void *key, size_t klen, unsigned len, uint64_t *sink)
{
    for (;;) {
        /* acquire: pairs with the release store in engine_rotate() */
        lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
        uint64_t n = 0;
        lsmt_status s = table_scan(mt, key, klen, len, false, &n, sink);
        if (s == LSMT_OK)
            return (long)n;
        if (s != LSMT_BUSY)
            return -1;
        sched_yield(); /* the memtable is being reset: it was rotated away */
    }
}

void engine_stats_get(engine *e, engine_stats *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < e->ntables; i++) {
        out->entries += table_entries(e->table[i]);
        out->memory_used += table_memory(e->table[i]);
    }
    pthread_mutex_lock(&e->lock);
    out->rotations = e->rotations;
    out->stalls = e->stalls;
    out->flushed_entries = e->flushed_entries;
    out->stall_ms = (double)e->stall_ns / 1e6;
    out->error = e->error;
    pthread_mutex_unlock(&e->lock);
}
