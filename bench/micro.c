/* memtable-bench micro workloads: W1-W8 of shared/anchors/WORKLOADS.md through the
 * memtable API (W8 through bench/w8_alloc.c, the arena-bench engineer's W8 driver).
 *
 * Keys are WORKLOADS.md's key(i) = BE64(splitmix64(i)) ++ BE64(i) (ycsb_build_key with
 * 16 bytes), values 100 bytes (--value-size) with byte k = (i + k) & 0xff, each put with
 * its own sequence number (1 thread: i + 1; several: one shared atomic counter, as an
 * engine hands them out). As in the peers' harnesses, operations are not timed one by
 * one: a phase is timed as a whole (wall time from the start barrier to the last
 * thread's end) so the figures compare with the peers'. Every phase checks its result
 * (entries present, all found, none found, scan count) and fails the run otherwise.
 *
 * Concurrency: worker threads share the memtable and the sequence counter only. */
#include "bench/memtable_bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsmt/arena.h"
#include "lsmt/memtable.h"

#define KEY_LEN 16

/* Touched bytes (defeats dead-code elimination); each thread adds once at its end.
 * relaxed: a pure counter, never read for ordering. */
static _Atomic uint64_t g_micro_sink;

/* value(i) source: a 256 + value-size pattern, value(i) starts at offset i & 0xff. */
static unsigned char *g_pattern;

/* WORKLOADS.md's probe(t): the t-th lookup target in [0, n). */
static uint64_t probe(uint64_t t, uint64_t n)
{
    return bench_splitmix64(t ^ 0xABCDEFull) % n;
}

/* A memtable for a micro workload: `budget` 0 = big enough for n entries (never
 * flushes), else that write-buffer size; `pool` as lsmt_memtable_options.pool. */
static lsmt_status make_memtable(const bench_config *cfg, uint64_t n, lsmt_arena_pool *pool,
                                 size_t budget, lsmt_memtable **out)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.bloom_bits_per_key = cfg->bloom;
    o.shard_count = cfg->shards;
    o.huge_pages = cfg->huge_pages;
    o.pool = pool;
    if (budget) {
        o.write_buffer_size = budget;
        /* the bloom filter sized as an engine that knows its entry size sizes it
         * (memtable.h: key + value + 24 bytes per entry) */
        o.bloom_expected_keys = budget / (KEY_LEN + cfg->value_size + 24);
    } else {
        /* Room for all n entries (an entry takes key + value + ~23 bytes; 64 are
         * allowed), so the budget is never reached; the bloom filter is sized for the
         * n keys the memtable will hold. */
        size_t per = KEY_LEN + cfg->value_size + 64;
        o.write_buffer_size = (size_t)n * per + ((size_t)64 << 20);
        o.hard_limit = o.write_buffer_size + o.write_buffer_size / 4;
        o.bloom_expected_keys = n;
    }
    return lsmt_memtable_create(&o, out);
}

/* ---- a phase on T threads --------------------------------------------------------- */

typedef struct job {
    lsmt_memtable *mt;
    const bench_config *cfg;
    uint64_t n; /* N */
    unsigned tid, nthreads;
    int kind;              /* JOB_FILL_RANDOM, JOB_READ, JOB_READ_MISSING */
    _Atomic uint64_t *seq; /* shared sequence counter (fills with T > 1) */
    uint64_t found;        /* out */
    lsmt_status err;       /* out: first unexpected status */
    pthread_barrier_t *bar;
    pthread_t th;
} job;

enum { JOB_FILL_RANDOM, JOB_READ, JOB_READ_MISSING };

/* A fill's stripe through write batches of cfg->batch records with consecutive
 * sequence numbers (what an engine's group commit hands the memtable). */
static void fill_batched(job *j)
{
    char key[YCSB_KEY_MAX];
    const size_t vs = j->cfg->value_size, B = j->cfg->batch;
    lsmt_write_batch *wb = NULL;
    lsmt_status s = lsmt_write_batch_create(&wb);
    for (uint64_t i = j->tid; i < j->n && s == LSMT_OK;) {
        lsmt_write_batch_clear(wb);
        uint64_t first = i + 1; /* one thread: record i has sequence i + 1, as put's */
        for (size_t b = 0; b < B && i < j->n && s == LSMT_OK; b++, i += j->nthreads) {
            ycsb_build_key(key, i, KEY_LEN);
            s = lsmt_write_batch_put(wb, key, KEY_LEN, g_pattern + (i & 0xff), vs);
        }
        if (s != LSMT_OK)
            break;
        if (j->nthreads > 1)
            /* relaxed: only uniqueness matters; the memtable publishes the entries */
            first =
                atomic_fetch_add_explicit(j->seq, lsmt_write_batch_count(wb), memory_order_relaxed);
        s = lsmt_memtable_write(j->mt, first, wb);
    }
    if (s != LSMT_OK)
        j->err = s;
    lsmt_write_batch_destroy(wb);
}

/* Lookups t in [t0, t1) through multi_get, cfg->batch keys per call; returns found. */
static uint64_t read_batched(job *j, uint64_t t0, uint64_t t1, uint64_t off)
{
    enum { MAXB = 1024 };
    static _Thread_local char keys[MAXB][KEY_LEN];
    static _Thread_local const void *kp[MAXB], *vals[MAXB];
    static _Thread_local size_t kl[MAXB], vls[MAXB];
    static _Thread_local lsmt_status sts[MAXB];
    const size_t B = j->cfg->batch;
    uint64_t found = 0, sum = 0;
    for (size_t b = 0; b < B; b++) {
        kp[b] = keys[b];
        kl[b] = KEY_LEN;
    }
    for (uint64_t t = t0; t < t1 && j->err == LSMT_OK; t += B) {
        size_t nb = t1 - t < B ? (size_t)(t1 - t) : B;
        for (size_t b = 0; b < nb; b++)
            ycsb_build_key(keys[b], off + probe(t + b, j->n), KEY_LEN);
        lsmt_status s =
            lsmt_memtable_multi_get(j->mt, nb, kp, kl, LSMT_MAX_SEQUENCE, sts, vals, vls);
        if (s != LSMT_OK)
            j->err = s;
        for (size_t b = 0; b < nb && s == LSMT_OK; b++) {
            if (sts[b] == LSMT_OK) {
                found++;
                sum += vls[b] ? ((const unsigned char *)vals[b])[0] : 0; /* touch the value */
            } else if (sts[b] != LSMT_NOT_FOUND) {
                j->err = sts[b];
            }
        }
    }
    atomic_fetch_add_explicit(&g_micro_sink, sum, memory_order_relaxed);
    return found;
}

/* One thread of a fill (its stripe i = tid, tid + T, ...) or of lookups. */
static void *job_main(void *p)
{
    job *j = p;
    char key[YCSB_KEY_MAX];
    const size_t vs = j->cfg->value_size;
    pthread_barrier_wait(j->bar);
    if (j->kind == JOB_FILL_RANDOM && j->cfg->batch > 1) {
        fill_batched(j);
    } else if (j->kind == JOB_FILL_RANDOM) {
        for (uint64_t i = j->tid; i < j->n; i += j->nthreads) {
            ycsb_build_key(key, i, KEY_LEN);
            uint64_t seq = i + 1;
            if (j->nthreads > 1)
                /* relaxed: only uniqueness matters; the memtable publishes the entry */
                seq = atomic_fetch_add_explicit(j->seq, 1, memory_order_relaxed);
            lsmt_status s = lsmt_memtable_put(j->mt, seq, key, KEY_LEN, g_pattern + (i & 0xff), vs);
            if (s != LSMT_OK) {
                j->err = s;
                break;
            }
        }
    } else {
        /* thread t does lookups t in [N t / T, N (t + 1) / T) */
        uint64_t t0 = j->n * j->tid / j->nthreads, t1 = j->n * (j->tid + 1) / j->nthreads;
        uint64_t off = j->kind == JOB_READ_MISSING ? j->n : 0, found = 0, sum = 0;
        if (j->cfg->batch > 1) {
            j->found = read_batched(j, t0, t1, off);
            return NULL;
        }
        for (uint64_t t = t0; t < t1; t++) {
            ycsb_build_key(key, off + probe(t, j->n), KEY_LEN);
            const void *v;
            size_t vl;
            lsmt_status s =
                lsmt_memtable_get(j->mt, key, KEY_LEN, LSMT_MAX_SEQUENCE, &v, &vl, NULL);
            if (s == LSMT_OK) {
                found++;
                sum += vl ? ((const unsigned char *)v)[0] : 0; /* touch the value */
            } else if (s != LSMT_NOT_FOUND) {
                j->err = s;
                break;
            }
        }
        j->found = found;
        atomic_fetch_add_explicit(&g_micro_sink, sum, memory_order_relaxed);
    }
    return NULL;
}

/* Run `kind` on T threads; returns wall seconds, *found the total found, or -1 on a
 * failed call (message printed). */
static double run_jobs(const bench_config *cfg, lsmt_memtable *mt, uint64_t n, unsigned T, int kind,
                       uint64_t *found)
{
    job *jobs = calloc(T, sizeof *jobs);
    static _Atomic uint64_t seq;
    /* relaxed: set before the threads start (pthread_create orders it) */
    atomic_store_explicit(&seq, 1, memory_order_relaxed);
    pthread_barrier_t bar;
    if (jobs == NULL)
        return -1;
    pthread_barrier_init(&bar, NULL, T + 1);
    for (unsigned t = 0; t < T; t++) {
        jobs[t] = (job){.mt = mt,
                        .cfg = cfg,
                        .n = n,
                        .tid = t,
                        .nthreads = T,
                        .kind = kind,
                        .seq = &seq,
                        .bar = &bar};
        if (pthread_create(&jobs[t].th, NULL, job_main, &jobs[t]) != 0) {
            fprintf(stderr, "memtable-bench: cannot start a thread\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&bar);
    uint64_t t0 = bench_now_ns();
    for (unsigned t = 0; t < T; t++)
        pthread_join(jobs[t].th, NULL);
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    pthread_barrier_destroy(&bar);
    uint64_t f = 0;
    lsmt_status err = LSMT_OK;
    for (unsigned t = 0; t < T; t++) {
        f += jobs[t].found;
        if (jobs[t].err != LSMT_OK && err == LSMT_OK)
            err = jobs[t].err;
    }
    free(jobs);
    if (err != LSMT_OK) {
        fprintf(stderr, "memtable-bench: W%d: memtable call failed: %s\n", cfg->micro,
                lsmt_status_str(err));
        return -1;
    }
    if (found)
        *found = f;
    return secs;
}

/* Versions in `mt` (stats), 0 on error. */
static uint64_t entries_of(lsmt_memtable *mt)
{
    lsmt_memtable_stats st;
    return lsmt_memtable_stats_get(mt, &st) == LSMT_OK ? st.entries : 0;
}

/* ---- W7: counting backing --------------------------------------------------------- */

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

/* Fill `mt` with key(i), i from *next on, until should_flush. Returns entries put or
 * -1 (message printed). */
static long fill_until_flush(const bench_config *cfg, lsmt_memtable *mt, uint64_t *next,
                             uint64_t *seq)
{
    char key[KEY_LEN];
    long n = 0;
    while (!lsmt_memtable_should_flush(mt)) {
        uint64_t i = (*next)++;
        ycsb_build_key(key, i, KEY_LEN);
        lsmt_status s =
            lsmt_memtable_put(mt, (*seq)++, key, KEY_LEN, g_pattern + (i & 0xff), cfg->value_size);
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

/* W7: `fresh` = create + fill + destroy a memtable per cycle (the pool keeps nothing:
 * max_idle 0, so each create maps and each destroy unmaps); else one memtable from a
 * pool, fill + reset_all per cycle. */
static int w7_cycles(const bench_config *cfg, bool fresh, cycle_stats *cs)
{
    static counting_backing cb;
    atomic_store_explicit(&cb.maps, 0, memory_order_relaxed);
    atomic_store_explicit(&cb.unmaps, 0, memory_order_relaxed);
    atomic_store_explicit(&cb.discards, 0, memory_order_relaxed);
    lsmt_backing backing = {cb_map, cb_unmap, cb_discard, cb_hugepage, &cb};
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    size_t size = cfg->memtable_size;
    po.arena.capacity = size + size / 4 + ((size_t)64 << 20);
    po.arena.shard_count = cfg->shards;
    po.arena.huge_pages = cfg->huge_pages;
    po.arena.backing = &backing;
    po.max_idle = fresh ? 0 : 1;
    lsmt_arena_pool *pool = NULL;
    lsmt_status s = lsmt_arena_pool_create(&po, &pool);
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
        if (mt == NULL && (s = make_memtable(cfg, 0, pool, size, &mt)) != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W7 create: %s\n", lsmt_status_str(s));
            rc = -1;
            break;
        }
        uint64_t t_fill = bench_now_ns();
        long n = fill_until_flush(cfg, mt, &next, &seq);
        if (n < 0) {
            rc = -1;
            break;
        }
        uint64_t t_end_fill = bench_now_ns();
        if (fresh) {
            lsmt_memtable_destroy(mt);
            mt = NULL;
        } else if ((s = lsmt_memtable_reset_all(mt)) != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W7 reset_all: %s\n", lsmt_status_str(s));
            rc = -1;
            break;
        }
        uint64_t t1 = bench_now_ns();
        double ms = (double)(t1 - t0) / 1e6;
        /* the recycling itself: create + destroy, or reset_all (the fill excluded) */
        double recycle = (double)((t_fill - t0) + (t1 - t_end_fill)) / 1e6;
        double flt = (double)(bench_minflt() - f0);
        if (c == 0) {
            cs->ms_first = ms;
            cs->flt_first = flt;
            cs->entries = n;
        } else {
            cs->ms_steady += ms;
            cs->ms_recycle += recycle;
            cs->flt_steady += flt;
            cs->maps_steady += atomic_load_explicit(&cb.maps, memory_order_relaxed) - m0;
            cs->unmaps_steady += atomic_load_explicit(&cb.unmaps, memory_order_relaxed) - u0;
        }
    }
    cs->ms_steady /= (double)(cfg->cycles - 1);
    cs->ms_recycle /= (double)(cfg->cycles - 1);
    cs->flt_steady /= (double)(cfg->cycles - 1);
    lsmt_memtable_destroy(mt);
    lsmt_arena_pool_destroy(pool);
    return rc;
}

/* ---- rounds ------------------------------------------------------------------------ */

/* The peers' protocol (shared/anchors/peers/map_driver.hpp): R rounds in one process,
 * median with min and max. Round 1 runs on memory this process never touched (cold:
 * every page is first-touched); rounds 2..R reuse it: the memtable is reset_all'd and
 * refilled, which is what an engine does with a flushed memtable, as the peers' later
 * rounds reuse the memory their allocator got back from the previous round's map. */
typedef struct round_set {
    double v[BENCH_MAX_ROUNDS];
    unsigned n;
} round_set;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max of rounds [from, n) of `rs` (from < n). */
static void round_stats(const round_set *rs, unsigned from, double *med, double *lo, double *hi)
{
    double v[BENCH_MAX_ROUNDS];
    unsigned n = rs->n - from;
    memcpy(v, rs->v + from, n * sizeof v[0]);
    qsort(v, n, sizeof v[0], cmp_double);
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *lo = v[0];
    *hi = v[n - 1];
}

/* Report `name` as the median of all rounds (comparable with the peers' figure), and
 * `name`-cold (round 1) and `name`-warm (median of rounds 2..R) beside it. `flt` holds
 * the minor faults per operation of each round. */
static void report_rounds(bench_report *r, const char *name, unsigned T, const round_set *rs,
                          const round_set *flt, const char *unit, const char *what)
{
    char note[120], nm[40];
    double med, lo, hi;
    round_stats(rs, 0, &med, &lo, &hi);
    if (flt != NULL)
        snprintf(note, sizeof note, "%s; median of %u rounds [%.3f..%.3f]; minflt/op=%.4f", what,
                 rs->n, lo, hi, flt->v[0]);
    else
        snprintf(note, sizeof note, "%s; median of %u rounds [%.3f..%.3f]", what, rs->n, lo, hi);
    bench_report_metric(r, name, T, med, unit, note);
    if (flt == NULL)
        return;
    snprintf(nm, sizeof nm, "%s-cold", name);
    snprintf(note, sizeof note, "round 1: memory first touched; minflt/op=%.4f", flt->v[0]);
    bench_report_metric(r, nm, T, rs->v[0], unit, note);
    if (rs->n > 1) {
        double fmed, flo, fhi;
        round_stats(rs, 1, &med, &lo, &hi);
        round_stats(flt, 1, &fmed, &flo, &fhi);
        snprintf(nm, sizeof nm, "%s-warm", name);
        snprintf(note, sizeof note, "rounds 2..%u after reset_all [%.3f..%.3f]; minflt/op=%.4f",
                 rs->n, lo, hi, fmed);
        bench_report_metric(r, nm, T, med, unit, note);
    }
}

/* W6's fill: BE64(0) ++ BE64(i), i ascending, one thread. Returns wall seconds or -1. */
static double fill_seq(const bench_config *cfg, lsmt_memtable *mt, uint64_t n)
{
    unsigned char key[KEY_LEN];
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            key[b] = 0;
            key[8 + b] = (unsigned char)(i >> (56 - 8 * b));
        }
        lsmt_status s =
            lsmt_memtable_put(mt, i + 1, key, KEY_LEN, g_pattern + (i & 0xff), cfg->value_size);
        if (s != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W6 put: %s\n", lsmt_status_str(s));
            return -1;
        }
    }
    return (double)(bench_now_ns() - t0) / 1e9;
}

/* W1 fillrandom, W2 fillrandom-mt, W6 fillseq: R rounds of (fill, check, reset_all). */
static int micro_fill(const bench_config *cfg, bench_report *r)
{
    const uint64_t N = cfg->records;
    const unsigned T = cfg->micro == 2 ? cfg->threads : 1;
    lsmt_memtable *mt = NULL;
    /* before create: the total row counts what create makes resident (the bloom filter,
     * cleared there) beside the entries */
    uint64_t rss_pre = bench_rss();
    lsmt_status s = make_memtable(cfg, N, NULL, 0, &mt);
    if (s != LSMT_OK) {
        fprintf(stderr, "memtable-bench: lsmt_memtable_create: %s\n", lsmt_status_str(s));
        return 1;
    }
    round_set ops = {.n = 0}, flt = {.n = 0};
    double rss_per = 0, rss_total_per = 0, usage_per = 0;
    int rc = 0;
    for (unsigned k = 0; k < cfg->rounds && rc == 0; k++) {
        if (k > 0 && (s = lsmt_memtable_reset_all(mt)) != LSMT_OK) {
            fprintf(stderr, "memtable-bench: reset_all: %s\n", lsmt_status_str(s));
            rc = 1;
            break;
        }
        uint64_t rss0 = bench_rss(), f0 = bench_minflt();
        double secs =
            cfg->micro == 6 ? fill_seq(cfg, mt, N) : run_jobs(cfg, mt, N, T, JOB_FILL_RANDOM, NULL);
        uint64_t f1 = bench_minflt(), rss1 = bench_rss();
        if (secs < 0 || entries_of(mt) != N) {
            if (secs >= 0)
                fprintf(stderr, "memtable-bench: fill: %llu entries, expected %llu\n",
                        (unsigned long long)entries_of(mt), (unsigned long long)N);
            rc = 1;
            break;
        }
        ops.v[ops.n++] = (double)N / secs / 1e6;
        flt.v[flt.n++] = (double)(f1 - f0) / (double)N;
        if (k == 0) {
            rss_per = ((double)rss1 - (double)rss0) / (double)N;
            rss_total_per = ((double)rss1 - (double)rss_pre) / (double)N;
            usage_per = (double)lsmt_memtable_approximate_memory_usage(mt) / (double)N;
        }
    }
    if (rc == 0) {
        static const char *const names[] = {
            [1] = "W1-fillrandom", [2] = "W2-fillrandom-mt", [6] = "W6-fillseq"};
        char name[48], note[64];
        bool batched = cfg->batch > 1 && cfg->micro != 6;
        snprintf(name, sizeof name, "%s", names[cfg->micro]);
        if (batched)
            snprintf(name, sizeof name, "%s-batch%u", names[cfg->micro], cfg->batch);
        snprintf(note, sizeof note, "%s%s", cfg->micro == 6 ? "ascending keys" : "random order",
                 batched ? ", write batches" : "");
        report_rounds(r, name, T, &ops, &flt, "Mops/s", note);
        if (cfg->micro != 6) {
            bench_report_metric(r, "W1-rss", T, rss_per, "B/entry",
                                "RSS delta / N, round 1 (fresh process)");
            bench_report_metric(r, "W1-rss-total", T, rss_total_per, "B/entry",
                                "RSS delta from before create / N, round 1: entries, bloom "
                                "filter, finger table");
            bench_report_metric(r, "W1-memtable-usage", T, usage_per, "B/entry",
                                "approximate_memory_usage / N");
        }
    }
    lsmt_memtable_destroy(mt);
    return rc;
}

/* W3 readrandom (1 and T threads), W4 readmissing, W5 scan: one fill (W1's), then R
 * rounds of the read phase, each checked. */
static int micro_read(const bench_config *cfg, bench_report *r)
{
    const uint64_t N = cfg->records;
    const unsigned T = cfg->threads;
    char note[120];
    lsmt_memtable *mt = NULL;
    lsmt_status s = make_memtable(cfg, N, NULL, 0, &mt);
    if (s != LSMT_OK) {
        fprintf(stderr, "memtable-bench: lsmt_memtable_create: %s\n", lsmt_status_str(s));
        return 1;
    }
    int rc = 0;
    if (run_jobs(cfg, mt, N, 1, JOB_FILL_RANDOM, NULL) < 0 || entries_of(mt) != N) {
        fprintf(stderr, "memtable-bench: fill: %llu entries, expected %llu\n",
                (unsigned long long)entries_of(mt), (unsigned long long)N);
        lsmt_memtable_destroy(mt);
        return 1;
    }
    round_set a = {.n = 0}, b = {.n = 0};
    uint64_t found = 0;
    for (unsigned k = 0; k < cfg->rounds && rc == 0; k++) {
        double secs;
        if (cfg->micro == 3) {
            /* 1 thread into a, then (T > 1) T threads into b */
            for (unsigned pass = 0; pass < (T > 1 ? 2u : 1u) && rc == 0; pass++) {
                unsigned nt = pass == 0 ? 1 : T;
                secs = run_jobs(cfg, mt, N, nt, JOB_READ, &found);
                if (secs < 0 || found != N) {
                    fprintf(stderr, "memtable-bench: W3 (%u threads) found %llu of %llu\n", nt,
                            (unsigned long long)found, (unsigned long long)N);
                    rc = 1;
                    break;
                }
                round_set *dst = pass == 0 ? &a : &b;
                dst->v[dst->n++] = (double)N / secs / 1e6;
            }
        } else if (cfg->micro == 4) {
            secs = run_jobs(cfg, mt, N, 1, JOB_READ_MISSING, &found);
            if (secs < 0 || found != 0) {
                fprintf(stderr, "memtable-bench: W4 found %llu absent keys\n",
                        (unsigned long long)found);
                rc = 1;
                break;
            }
            a.v[a.n++] = (double)N / secs / 1e6;
        } else { /* W5: full ordered scan, touching key and value */
            lsmt_memtable_iter_options io;
            lsmt_memtable_iter_options_default(&io);
            io.kind = LSMT_ITER_INTERNAL;
            lsmt_memtable_iter *it = NULL;
            if ((s = lsmt_memtable_iter_create(mt, &io, &it)) != LSMT_OK) {
                fprintf(stderr, "memtable-bench: W5 iter_create: %s\n", lsmt_status_str(s));
                rc = 1;
                break;
            }
            uint64_t t0 = bench_now_ns(), cnt = 0, sum = 0;
            for (s = lsmt_memtable_iter_seek_to_first(it); s == LSMT_OK;
                 s = lsmt_memtable_iter_next(it)) {
                const void *kp, *v;
                size_t kl, vl;
                lsmt_memtable_iter_entry(it, &kp, &kl, NULL, NULL, &v, &vl);
                sum += ((const unsigned char *)kp)[kl - 1] +
                       (vl ? ((const unsigned char *)v)[vl - 1] : 0);
                cnt++;
            }
            double ns = (double)(bench_now_ns() - t0);
            lsmt_memtable_iter_destroy(it);
            atomic_fetch_add_explicit(&g_micro_sink, sum, memory_order_relaxed);
            if (s != LSMT_END || cnt != N) {
                fprintf(stderr, "memtable-bench: W5 scanned %llu of %llu (%s)\n",
                        (unsigned long long)cnt, (unsigned long long)N, lsmt_status_str(s));
                rc = 1;
                break;
            }
            a.v[a.n++] = ns / (double)N;
        }
    }
    char w3name[40], w4name[40], w3note[80];
    if (cfg->batch > 1) {
        snprintf(w3name, sizeof w3name, "W3-readrandom-batch%u", cfg->batch);
        snprintf(w4name, sizeof w4name, "W4-readmissing-batch%u", cfg->batch);
        snprintf(w3note, sizeof w3note, "multi_get of %u present keys per call", cfg->batch);
    } else {
        snprintf(w3name, sizeof w3name, "W3-readrandom");
        snprintf(w4name, sizeof w4name, "W4-readmissing");
        snprintf(w3note, sizeof w3note, "gets of present keys");
    }
    if (rc == 0) {
        if (cfg->micro == 3) {
            report_rounds(r, w3name, 1, &a, NULL, "Mops/s", w3note);
            if (T > 1)
                report_rounds(r, w3name, T, &b, NULL, "Mops/s", w3note);
        } else if (cfg->micro == 4) {
            lsmt_memtable_stats st;
            lsmt_memtable_stats_get(mt, &st);
            snprintf(note, sizeof note, "bloom %u bits/key: %llu of %llu gets answered by it",
                     cfg->bloom, (unsigned long long)st.bloom_negatives,
                     (unsigned long long)st.bloom_checks);
            report_rounds(r, w4name, 1, &a, NULL, "Mops/s", note);
        } else {
            report_rounds(r, "W5-scan", 1, &a, NULL, "ns/entry",
                          "internal iterator, key + value touched");
        }
    }
    lsmt_memtable_destroy(mt);
    return rc;
}

/* ---- the workloads ------------------------------------------------------------------ */

int bench_run_micro(const bench_config *cfg, bench_report *r)
{
    const unsigned T = cfg->threads;
    char note[120];
    g_pattern = malloc(256 + cfg->value_size + 1);
    if (g_pattern == NULL)
        return 1;
    for (size_t k = 0; k < 256 + cfg->value_size + 1; k++)
        g_pattern[k] = (unsigned char)(k & 0xff);

    int rc = 0;
    lsmt_status s;
    switch (cfg->micro) {
    case 1:
    case 2:
    case 6:
        rc = micro_fill(cfg, r);
        break;
    case 3:
    case 4:
    case 5:
        rc = micro_read(cfg, r);
        break;
    case 7: {
        cycle_stats pool_cs, fresh_cs;
        if (w7_cycles(cfg, false, &pool_cs) != 0 || w7_cycles(cfg, true, &fresh_cs) != 0) {
            rc = 1;
            break;
        }
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
                 "create + destroy of a steady cycle (fill excluded; its %.0f faults are in "
                 "the fill)",
                 fresh_cs.flt_steady);
        bench_report_metric(r, "W7-fresh-create-destroy-ms", 1, fresh_cs.ms_recycle, "ms/cycle",
                            note);
        break;
    }
    case 8: {
        w8_options wo;
        w8_options_default(&wo);
        wo.threads = T;
        if (cfg->ops)
            wo.n = cfg->ops;
        wo.passes = 2;
        w8_pass pass[2];
        const char *what = NULL;
        s = w8_run(cfg->w8kind, &wo, pass, &what);
        if (s != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W8 %s: %s (%s)\n", w8_kind_name(cfg->w8kind),
                    lsmt_status_str(s), what ? what : "");
            rc = 1;
            break;
        }
        snprintf(note, sizeof note, "%s, fresh process; minflt/alloc=%.4f",
                 w8_kind_name(cfg->w8kind), pass[0].minflt);
        bench_report_metric(r, "W8-alloc-cold", T, pass[0].alloc_ns, "ns/alloc", note);
        snprintf(note, sizeof note, "%s, memory reused; minflt/alloc=%.4f",
                 w8_kind_name(cfg->w8kind), pass[1].minflt);
        bench_report_metric(r, "W8-alloc-warm", T, pass[1].alloc_ns, "ns/alloc", note);
        bench_report_metric(r, "W8-freeall", T, pass[1].free_ns, "ns/alloc",
                            w8_kind_name(cfg->w8kind));
        break;
    }
    default:
        rc = 1;
    }
    free(g_pattern);
    return rc;
}
