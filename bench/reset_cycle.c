/* memtable-bench W7 reset-cycle (WORKLOADS.md): fill a memtable of --memtable-size
 * (64 MiB) until should_flush, recycle it, --cycles times; once with one memtable from an
 * lsmt_arena_pool recycled by reset_all, once with a fresh memtable created and destroyed
 * per cycle (a pool with max_idle = 0, so every create maps and every destroy unmaps).
 * The pool's arenas map through a counting lsmt_backing, so mmap/munmap calls of the
 * steady state (cycles 2..N) are counted exactly; minor faults come from getrusage.
 *
 * Concurrency: one thread; the backing's counters are atomics only because the arena
 * may call them from any thread. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bench/common.h"
#include "bench/micro.h"
#include "bench/report.h"

typedef struct counting_backing {
    /* Incremented by the hooks (any thread: arena calls), read by the bench between
     * cycles. relaxed: pure counters, read after the calls they count returned in the
     * same thread. */
    _Atomic uint64_t maps, unmaps, discards;
} counting_backing;

/* Counting backing hooks: count, then forward to lsmt_backing_os(). */
static int cb_map(void *ctx, size_t size, size_t align, void **out)
{
    counting_backing *c = ctx;
    atomic_fetch_add_explicit(&c->maps, 1, memory_order_relaxed); /* counter only */
    const lsmt_backing *os = lsmt_backing_os();
    return os->map(os->ctx, size, align, out);
}

static int cb_unmap(void *ctx, void *addr, size_t size)
{
    counting_backing *c = ctx;
    atomic_fetch_add_explicit(&c->unmaps, 1, memory_order_relaxed); /* counter only */
    const lsmt_backing *os = lsmt_backing_os();
    return os->unmap(os->ctx, addr, size);
}

static int cb_discard(void *ctx, void *addr, size_t size)
{
    counting_backing *c = ctx;
    atomic_fetch_add_explicit(&c->discards, 1, memory_order_relaxed); /* counter only */
    const lsmt_backing *os = lsmt_backing_os();
    return os->discard(os->ctx, addr, size);
}

static int cb_hugepage(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    const lsmt_backing *os = lsmt_backing_os();
    return os->hugepage ? os->hugepage(os->ctx, addr, size) : 0;
}

/* Fill `mt` with key_S(i), i from *next on, until should_flush. Returns entries put or
 * -1 (message printed). */
static long fill_until_flush(const bench_config *cfg, lsmt_memtable *mt, uint64_t *next,
                             uint64_t *seq)
{
    unsigned char key[BENCH_KEY_MAX];
    long n = 0;
    while (!table_should_flush(mt)) {
        uint64_t i = (*next)++;
        size_t kl = bench_key(&cfg->keys, i, key);
        lsmt_status s = table_put(mt, (*seq)++, key, kl, micro_value(i), cfg->value_size);
        if (s != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W7 put: %s\n", lsmt_status_str(s));
            return -1;
        }
        n++;
    }
    return n;
}

typedef struct cycle_stats {
    double ms_first, ms_steady;   /* cycle 1; mean of cycles 2.. */
    double ms_recycle;            /* steady cycles: mean ms in reset_all, or in create+destroy */
    double flt_first, flt_steady; /* minor faults: cycle 1; mean per steady cycle */
    uint64_t maps_steady, unmaps_steady;
    long entries; /* per cycle (first) */
} cycle_stats;

/* A pool of arenas sized for --memtable-size, mapping through `cb`. */
static lsmt_status make_pool(const bench_config *cfg, bool fresh, lsmt_backing *backing,
                             lsmt_arena_pool **out)
{
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    size_t size = cfg->memtable_size;
    po.arena.capacity = size + size / 4 + ((size_t)64 << 20);
    po.arena.shard_count = cfg->shards;
    /* the memtable's rule for the arenas it creates (huge_pages, memtable.h) */
    po.arena.huge_pages = cfg->huge_pages && po.arena.capacity >= LSMT_MEMTABLE_HUGE_PAGES_MIN;
    po.arena.backing = backing;
    po.max_idle = fresh ? 0 : 1;
    return lsmt_arena_pool_create(&po, out);
}

/* Add cycle c's figures to `cs`. */
static void account_cycle(cycle_stats *cs, unsigned c, double ms, double recycle, double flt,
                          long n, uint64_t maps, uint64_t unmaps)
{
    if (c == 0) {
        cs->ms_first = ms;
        cs->flt_first = flt;
        cs->entries = n;
        return;
    }
    cs->ms_steady += ms;
    cs->ms_recycle += recycle;
    cs->flt_steady += flt;
    cs->maps_steady += maps;
    cs->unmaps_steady += unmaps;
}

/* W7: `fresh` = create + fill + destroy a memtable per cycle; else one memtable from a
 * pool, fill + reset_all per cycle. 0 or -1 (message printed). */
static int w7_cycles(const bench_config *cfg, bool fresh, cycle_stats *cs)
{
    static counting_backing cb;
    atomic_store_explicit(&cb.maps, 0, memory_order_relaxed);
    atomic_store_explicit(&cb.unmaps, 0, memory_order_relaxed);
    atomic_store_explicit(&cb.discards, 0, memory_order_relaxed);
    lsmt_backing backing = {cb_map, cb_unmap, cb_discard, cb_hugepage, &cb};
    lsmt_arena_pool *pool = NULL;
    lsmt_status s = make_pool(cfg, fresh, &backing, &pool);
    if (s != LSMT_OK) {
        fprintf(stderr, "memtable-bench: W7 pool: %s\n", lsmt_status_str(s));
        return -1;
    }
    lsmt_memtable *mt = NULL;
    uint64_t next = 0, seq = 1;
    memset(cs, 0, sizeof *cs);
    int rc = 0;
    for (unsigned c = 0; c < cfg->cycles && rc == 0; c++) {
        uint64_t f0 = bench_minflt();
        uint64_t m0 = atomic_load_explicit(&cb.maps, memory_order_relaxed);
        uint64_t u0 = atomic_load_explicit(&cb.unmaps, memory_order_relaxed);
        uint64_t t0 = bench_now_ns();
        s = mt == NULL ? micro_table(cfg, 0, pool, cfg->memtable_size, &mt) : LSMT_OK;
        uint64_t t_fill = bench_now_ns();
        long n = s == LSMT_OK ? fill_until_flush(cfg, mt, &next, &seq) : -1;
        uint64_t t_end_fill = bench_now_ns();
        if (n >= 0 && fresh) {
            table_destroy(mt);
            mt = NULL;
        } else if (n >= 0) {
            s = table_reset(mt);
        }
        uint64_t t1 = bench_now_ns();
        if (s != LSMT_OK || n < 0) {
            if (s != LSMT_OK)
                fprintf(stderr, "memtable-bench: W7 create/reset_all: %s\n", lsmt_status_str(s));
            rc = -1;
            break;
        }
        /* the recycling itself: create + destroy, or reset_all (the fill excluded) */
        double recycle = (double)((t_fill - t0) + (t1 - t_end_fill)) / 1e6;
        account_cycle(cs, c, (double)(t1 - t0) / 1e6, recycle, (double)(bench_minflt() - f0), n,
                      atomic_load_explicit(&cb.maps, memory_order_relaxed) - m0,
                      atomic_load_explicit(&cb.unmaps, memory_order_relaxed) - u0);
    }
    cs->ms_steady /= (double)(cfg->cycles - 1);
    cs->ms_recycle /= (double)(cfg->cycles - 1);
    cs->flt_steady /= (double)(cfg->cycles - 1);
    if (mt != NULL)
        table_destroy(mt);
    lsmt_arena_pool_destroy(pool);
    return rc;
}

int bench_run_reset_cycle(const bench_config *cfg, bench_report *r)
{
    cycle_stats pool_cs, fresh_cs;
    char note[160];
    if (w7_cycles(cfg, false, &pool_cs) != 0 || w7_cycles(cfg, true, &fresh_cs) != 0)
        return 1;
    snprintf(note, sizeof note,
             "pool + reset_all, %ld entries/cycle; first cycle %.1f ms, %.0f faults",
             pool_cs.entries, pool_cs.ms_first, pool_cs.flt_first);
    bench_report_metric(r, "W7-reset-cycle", 1, pool_cs.ms_steady, "ms/cycle", note);
    snprintf(note, sizeof note, "steady-state faults per cycle = %.3f%% of cycle 1",
             pool_cs.flt_first > 0 ? 100.0 * pool_cs.flt_steady / pool_cs.flt_first : 0);
    bench_report_metric(r, "W7-minflt-per-cycle", 1, pool_cs.flt_steady, "faults", note);
    snprintf(note, sizeof note, "munmap calls in cycles 2..%u: %llu", cfg->cycles,
             (unsigned long long)pool_cs.unmaps_steady);
    bench_report_metric(r, "W7-mmap-calls", 1, (double)pool_cs.maps_steady, "count", note);
    snprintf(note, sizeof note,
             "create+fill+destroy per cycle; %.0f faults/cycle, %llu mmap, %llu munmap",
             fresh_cs.flt_steady, (unsigned long long)fresh_cs.maps_steady,
             (unsigned long long)fresh_cs.unmaps_steady);
    bench_report_metric(r, "W7-fresh-cycle", 1, fresh_cs.ms_steady, "ms/cycle", note);
    bench_report_metric(r, "W7-speedup-vs-fresh", 1,
                        pool_cs.ms_steady > 0 ? fresh_cs.ms_steady / pool_cs.ms_steady : 0, "x",
                        "fresh ms/cycle / pool ms/cycle (steady state)");
    bench_report_metric(r, "W7-reset-all-ms", 1, pool_cs.ms_recycle, "ms/cycle",
                        "the reset_all call of a steady cycle (fill excluded)");
    snprintf(note, sizeof note,
             "create + destroy of a steady cycle (fill excluded; its %.0f faults are in the fill)",
             fresh_cs.flt_steady);
    bench_report_metric(r, "W7-fresh-create-destroy-ms", 1, fresh_cs.ms_recycle, "ms/cycle", note);
    return 0;
}
