/* memtable-bench micro workloads: W1-W6 and W8 of WORKLOADS.md through the memtable API
 * (W7 in bench/reset_cycle.c; W8 through bench/w8_alloc.c, the arena bench's driver).
 *
 * Keys are key_S(i) of the --key-shape (bench/keys.h; default random16, WORKLOADS.md's
 * key(i)), values --value-size bytes (100) with byte k = (i + k) & 0xff, each put with its
 * own sequence number (1 thread: i + 1; several: one shared atomic counter, as an engine
 * hands them out). As in the peers' harnesses, operations are not timed one by one: a
 * phase is timed as a whole, from its threads' own clocks (bench/phase.h), so the figures
 * compare with the peers'. Every phase checks its result (entries present, all found,
 * none found, scan count) and fails the run otherwise.
 *
 * Concurrency: worker threads share the memtable and the sequence counter only. */
#include "bench/micro.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "bench/phase.h"
#include "bench/report.h"

/* value(i) source: a 256 + value-size pattern, value(i) starts at offset i & 0xff. */
static unsigned char *g_pattern;

const unsigned char *micro_value(uint64_t i)
{
    return g_pattern + (i & 0xff);
}

size_t micro_key_bytes(const bench_config *cfg)
{
    static unsigned char buf[BENCH_KEY_MAX];
    if (cfg->keys.shape == BENCH_KEY_YCSB)
        return 24;
    size_t a = bench_key(&cfg->keys, 0, buf), b = bench_seq_key(&cfg->keys, 0, buf);
    return a > b ? a : b;
}

lsmt_status micro_table(const bench_config *cfg, uint64_t n, lsmt_arena_pool *pool, size_t budget,
                        lsmt_memtable **out)
{
    const size_t key = micro_key_bytes(cfg);
    table_options o = {.bloom_bits = cfg->bloom,
                       .protection = cfg->protection,
                       .paranoid = cfg->paranoid,
                       .shards = cfg->shards,
                       .huge_pages = cfg->huge_pages,
                       .hash_index = cfg->hash_index,
                       .pool = pool};
    if (budget) {
        o.budget = budget;
        /* the bloom filter sized as an engine that knows its entry size sizes it
         * (memtable.h: key + value + 24 bytes per entry) */
        o.expected_keys = budget / (key + cfg->value_size + 24);
    } else {
        /* Room for all n entries (an entry takes key + value + ~23 bytes; 64 are
         * allowed), so the budget is never reached; the bloom filter is sized for the
         * n keys the memtable will hold. */
        o.budget = (size_t)n * (key + cfg->value_size + 64) + ((size_t)64 << 20);
        o.hard_limit = o.budget + o.budget / 4;
        o.expected_keys = n;
    }
    return table_create(&o, out);
}

/* ---- a phase on T threads --------------------------------------------------------- */

enum { JOB_FILL_RANDOM, JOB_READ, JOB_READ_MISSING };

typedef struct job_set {
    const bench_config *cfg;
    lsmt_memtable *mt;
    uint64_t n; /* N */
    unsigned nthreads;
    int kind;             /* JOB_FILL_RANDOM, JOB_READ, JOB_READ_MISSING */
    _Atomic uint64_t seq; /* shared sequence counter (fills with T > 1) */
    uint64_t found[BENCH_MAX_THREADS];
    lsmt_status err[BENCH_MAX_THREADS]; /* first unexpected status per thread */
} job_set;

/* The sequence number of record i (one thread: i + 1) or of a batch of `count` records
 * (several threads: from the shared counter). */
static uint64_t next_seq(job_set *j, uint64_t i, uint64_t count)
{
    if (j->nthreads == 1)
        return i + 1;
    /* relaxed: only uniqueness matters; the memtable publishes the entries */
    return atomic_fetch_add_explicit(&j->seq, count, memory_order_relaxed);
}

/* A fill's stripe through write batches of cfg->batch records with consecutive
 * sequence numbers (what an engine's group commit hands the memtable). */
static lsmt_status fill_batched(job_set *j, unsigned tid)
{
    unsigned char key[BENCH_KEY_MAX];
    const size_t vs = j->cfg->value_size, B = j->cfg->batch;
    table_batch *wb = NULL;
    lsmt_status s = table_batch_create(&wb);
    for (uint64_t i = tid; i < j->n && s == LSMT_OK;) {
        table_batch_clear(wb);
        uint64_t first = i;
        for (size_t b = 0; b < B && i < j->n && s == LSMT_OK; b++, i += j->nthreads) {
            size_t kl = bench_key(&j->cfg->keys, i, key);
            s = table_batch_put(wb, key, kl, micro_value(i), vs);
        }
        if (s == LSMT_OK)
            s = table_write(j->mt, next_seq(j, first, table_batch_count(wb)), wb);
    }
    table_batch_destroy(wb);
    return s;
}

static lsmt_status fill_one_by_one(job_set *j, unsigned tid)
{
    unsigned char key[BENCH_KEY_MAX];
    for (uint64_t i = tid; i < j->n; i += j->nthreads) {
        size_t kl = bench_key(&j->cfg->keys, i, key);
        lsmt_status s =
            table_put(j->mt, next_seq(j, i, 1), key, kl, micro_value(i), j->cfg->value_size);
        if (s != LSMT_OK)
            return s;
    }
    return LSMT_OK;
}

/* Count a lookup's answer: found (touching the value) or absent; else the error. */
static lsmt_status tally(lsmt_status s, const void *v, size_t vl, uint64_t *found, uint64_t *sum)
{
    if (s == LSMT_OK) {
        (*found)++;
        *sum += vl ? ((const unsigned char *)v)[0] : 0;
        return LSMT_OK;
    }
    return s == LSMT_NOT_FOUND ? LSMT_OK : s;
}

/* Lookups t in [t0, t1) of key_S(off + probe(t)) through multi_get, cfg->batch keys per
 * call. */
static lsmt_status read_batched(job_set *j, uint64_t t0, uint64_t t1, uint64_t off, uint64_t *found,
                                uint64_t *sum)
{
    const size_t B = j->cfg->batch, kmax = micro_key_bytes(j->cfg);
    unsigned char *keys = malloc(B * kmax);
    const void **kp = malloc(B * sizeof *kp), **vals = malloc(B * sizeof *vals);
    size_t *kl = malloc(B * sizeof *kl), *vls = malloc(B * sizeof *vls);
    lsmt_status *sts = malloc(B * sizeof *sts), s = LSMT_NOMEM;
    if (keys && kp && vals && kl && vls && sts)
        s = LSMT_OK;
    for (uint64_t t = t0; t < t1 && s == LSMT_OK; t += B) {
        size_t nb = t1 - t < B ? (size_t)(t1 - t) : B;
        for (size_t b = 0; b < nb; b++) {
            kp[b] = keys + b * kmax;
            kl[b] = bench_key(&j->cfg->keys, off + bench_probe(t + b, j->n), keys + b * kmax);
        }
        s = table_multi_get(j->mt, nb, kp, kl, sts, vals, vls);
        for (size_t b = 0; b < nb && s == LSMT_OK; b++)
            s = tally(sts[b], vals[b], vls[b], found, sum);
    }
    free(keys);
    free(kp);
    free(vals);
    free(kl);
    free(vls);
    free(sts);
    return s;
}

static lsmt_status read_one_by_one(job_set *j, uint64_t t0, uint64_t t1, uint64_t off,
                                   uint64_t *found, uint64_t *sum)
{
    unsigned char key[BENCH_KEY_MAX];
    lsmt_status s = LSMT_OK;
    for (uint64_t t = t0; t < t1 && s == LSMT_OK; t++) {
        size_t kl = bench_key(&j->cfg->keys, off + bench_probe(t, j->n), key);
        const void *v = NULL;
        size_t vl = 0;
        s = tally(table_get(j->mt, key, kl, &v, &vl, NULL), v, vl, found, sum);
    }
    return s;
}

/* One thread of a fill (its stripe i = tid, tid + T, ...) or of lookups (thread t does
 * lookups t in [N t / T, N (t + 1) / T)). */
static void job_work(void *ctx, unsigned tid)
{
    job_set *j = ctx;
    const bool batched = j->cfg->batch > 1;
    if (j->kind == JOB_FILL_RANDOM) {
        j->err[tid] = batched ? fill_batched(j, tid) : fill_one_by_one(j, tid);
        return;
    }
    uint64_t t0 = j->n * tid / j->nthreads, t1 = j->n * (tid + 1) / j->nthreads;
    uint64_t off = j->kind == JOB_READ_MISSING ? j->n : 0, found = 0, sum = 0;
    j->err[tid] = (batched ? read_batched : read_one_by_one)(j, t0, t1, off, &found, &sum);
    j->found[tid] = found;
    bench_sink_add(sum);
}

/* Run `kind` on T threads; returns wall seconds, *found the total found, or -1 on a
 * failed call (message printed). */
static double run_jobs(const bench_config *cfg, lsmt_memtable *mt, uint64_t n, unsigned T, int kind,
                       uint64_t *found)
{
    static job_set j;
    memset(&j, 0, sizeof j);
    j.cfg = cfg;
    j.mt = mt;
    j.n = n;
    j.nthreads = T;
    j.kind = kind;
    atomic_init(&j.seq, 1);
    bench_phase p = {.threads = T, .work = job_work, .ctx = &j, .name = "W"};
    double secs = bench_phase_run(&p);
    uint64_t f = 0;
    for (unsigned t = 0; t < T; t++) {
        f += j.found[t];
        if (j.err[t] != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W%d: memtable call failed: %s\n", cfg->micro,
                    lsmt_status_str(j.err[t]));
            return -1;
        }
    }
    if (found)
        *found = f;
    return secs;
}

double micro_fill_random(const bench_config *cfg, lsmt_memtable *mt, uint64_t n)
{
    bench_config one = *cfg;
    one.batch = 1;
    double secs = run_jobs(&one, mt, n, 1, JOB_FILL_RANDOM, NULL);
    if (secs >= 0 && table_entries(mt) != n) {
        fprintf(stderr, "memtable-bench: fill: %llu entries, expected %llu\n",
                (unsigned long long)table_entries(mt), (unsigned long long)n);
        return -1;
    }
    return secs;
}

double micro_read_random(const bench_config *cfg, lsmt_memtable *mt, uint64_t n)
{
    bench_config one = *cfg;
    one.batch = 1;
    uint64_t found = 0;
    double secs = run_jobs(&one, mt, n, 1, JOB_READ, &found);
    if (secs >= 0 && found != n) {
        fprintf(stderr, "memtable-bench: gets found %llu of %llu\n", (unsigned long long)found,
                (unsigned long long)n);
        return -1;
    }
    return secs;
}

/* ---- rounds ------------------------------------------------------------------------ */

/* The peers' protocol (map_driver.hpp of the peer harnesses beside the checkout,
 * ../shared/anchors/peers): R rounds in one process, median with min and max. Round 1
 * runs on memory this process never touched (cold: every page is first-touched); rounds
 * 2..R reuse it: the memtable is reset_all'd and refilled, which is what an engine does
 * with a flushed memtable, as the peers' later rounds reuse the memory their allocator
 * got back from the previous round's map. */
typedef struct round_set {
    double v[BENCH_MAX_ROUNDS];
    unsigned n;
} round_set;

/* Report `name` as the median of all rounds (comparable with the peers' figure), and
 * `name`-cold (round 1) and `name`-warm (median of rounds 2..R) beside it. `flt` holds
 * the minor faults per operation of each round. */
static void report_rounds(bench_report *r, const char *name, unsigned T, const round_set *rs,
                          const round_set *flt, const char *unit, const char *what)
{
    char note[160], nm[48];
    double med, lo, hi;
    bench_median(rs->v, rs->n, &med, &lo, &hi);
    int len =
        snprintf(note, sizeof note, "%s; median of %u rounds [%.3f..%.3f]", what, rs->n, lo, hi);
    if (flt != NULL && len > 0 && (size_t)len < sizeof note)
        snprintf(note + len, sizeof note - (size_t)len, "; minflt/op=%.4f", flt->v[0]);
    bench_report_metric(r, name, T, med, unit, note);
    if (flt == NULL)
        return;
    snprintf(nm, sizeof nm, "%s-cold", name);
    snprintf(note, sizeof note, "round 1: memory first touched; minflt/op=%.4f", flt->v[0]);
    bench_report_metric(r, nm, T, rs->v[0], unit, note);
    if (rs->n > 1) {
        double fmed, flo, fhi;
        bench_median(rs->v + 1, rs->n - 1, &med, &lo, &hi);
        bench_median(flt->v + 1, flt->n - 1, &fmed, &flo, &fhi);
        snprintf(nm, sizeof nm, "%s-warm", name);
        snprintf(note, sizeof note, "rounds 2..%u after reset_all [%.3f..%.3f]; minflt/op=%.4f",
                 rs->n, lo, hi, fmed);
        bench_report_metric(r, nm, T, med, unit, note);
    }
}

/* W6's fill: the shape's ascending keys, one thread. Returns wall seconds or -1. */
static double fill_seq(const bench_config *cfg, lsmt_memtable *mt, uint64_t n)
{
    unsigned char key[BENCH_KEY_MAX];
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        size_t kl = bench_seq_key(&cfg->keys, i, key);
        lsmt_status s = table_put(mt, i + 1, key, kl, micro_value(i), cfg->value_size);
        if (s != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W6 put: %s\n", lsmt_status_str(s));
            return -1;
        }
    }
    return (double)(bench_now_ns() - t0) / 1e9;
}

static int create_failed(lsmt_status s)
{
    fprintf(stderr, "memtable-bench: lsmt_memtable_create: %s\n", lsmt_status_str(s));
    return 1;
}

/* Fill rounds' memory figures: RSS and approximate_memory_usage per entry of round 1. */
static void report_fill_memory(bench_report *r, unsigned T, double rss, double total, double usage)
{
    bench_report_metric(r, "W1-rss", T, rss, "B/entry", "RSS delta / N, round 1 (fresh process)");
    bench_report_metric(r, "W1-rss-total", T, total, "B/entry",
                        "RSS delta from before create / N, round 1: entries, bloom filter, "
                        "finger table");
    bench_report_metric(r, "W1-memtable-usage", T, usage, "B/entry",
                        "approximate_memory_usage / N");
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
    lsmt_status s = micro_table(cfg, N, NULL, 0, &mt);
    if (s != LSMT_OK)
        return create_failed(s);
    round_set ops = {.n = 0}, flt = {.n = 0};
    double rss_per = 0, rss_total_per = 0, usage_per = 0;
    int rc = 0;
    for (unsigned k = 0; k < cfg->rounds && rc == 0 && !bench_interrupted(); k++) {
        if (k > 0 && (s = table_reset(mt)) != LSMT_OK) {
            fprintf(stderr, "memtable-bench: reset_all: %s\n", lsmt_status_str(s));
            rc = 1;
            break;
        }
        uint64_t rss0 = bench_rss(), f0 = bench_minflt();
        double secs =
            cfg->micro == 6 ? fill_seq(cfg, mt, N) : run_jobs(cfg, mt, N, T, JOB_FILL_RANDOM, NULL);
        uint64_t f1 = bench_minflt(), rss1 = bench_rss();
        if (secs < 0 || table_entries(mt) != N) {
            if (secs >= 0)
                fprintf(stderr, "memtable-bench: fill: %llu entries, expected %llu\n",
                        (unsigned long long)table_entries(mt), (unsigned long long)N);
            rc = 1;
            break;
        }
        ops.v[ops.n++] = (double)N / secs / 1e6;
        flt.v[flt.n++] = (double)(f1 - f0) / (double)N;
        if (k == 0) {
            rss_per = ((double)rss1 - (double)rss0) / (double)N;
            rss_total_per = ((double)rss1 - (double)rss_pre) / (double)N;
            usage_per = (double)table_memory(mt) / (double)N;
        }
    }
    if (rc == 0 && ops.n > 0) {
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
        if (cfg->micro != 6)
            report_fill_memory(r, T, rss_per, rss_total_per, usage_per);
    }
    table_destroy(mt);
    return rc;
}

/* One round of W3 (1 thread into a, then T threads into b), W4 (into a) or W5 (into
 * a), each checked. 0 or 1 (message printed). */
static int read_round(const bench_config *cfg, lsmt_memtable *mt, round_set *a, round_set *b)
{
    const uint64_t N = cfg->records;
    const unsigned T = cfg->threads;
    uint64_t found = 0;
    if (cfg->micro == 3) {
        for (unsigned pass = 0; pass < (T > 1 ? 2u : 1u); pass++) {
            unsigned nt = pass == 0 ? 1 : T;
            double secs = run_jobs(cfg, mt, N, nt, JOB_READ, &found);
            if (secs < 0 || found != N) {
                fprintf(stderr, "memtable-bench: W3 (%u threads) found %llu of %llu\n", nt,
                        (unsigned long long)found, (unsigned long long)N);
                return 1;
            }
            round_set *dst = pass == 0 ? a : b;
            dst->v[dst->n++] = (double)N / secs / 1e6;
        }
        return 0;
    }
    if (cfg->micro == 4) {
        double secs = run_jobs(cfg, mt, N, 1, JOB_READ_MISSING, &found);
        if (secs < 0 || found != 0) {
            fprintf(stderr, "memtable-bench: W4 found %llu absent keys\n",
                    (unsigned long long)found);
            return 1;
        }
        a->v[a->n++] = (double)N / secs / 1e6;
        return 0;
    }
    /* W5: full ordered scan (internal iterator), touching key and value */
    uint64_t t0 = bench_now_ns(), cnt = 0, sum = 0;
    lsmt_status s = table_scan(mt, NULL, 0, UINT64_MAX, true, &cnt, &sum);
    double ns = (double)(bench_now_ns() - t0);
    bench_sink_add(sum);
    if (s != LSMT_OK || cnt != N) {
        fprintf(stderr, "memtable-bench: W5 scanned %llu of %llu (%s)\n", (unsigned long long)cnt,
                (unsigned long long)N, lsmt_status_str(s));
        return 1;
    }
    a->v[a->n++] = ns / (double)N;
    return 0;
}

/* W3 readrandom (1 and T threads), W4 readmissing, W5 scan: one fill (W1's), then R
 * rounds of the read phase, each checked. */
static int micro_read(const bench_config *cfg, bench_report *r)
{
    const uint64_t N = cfg->records;
    lsmt_memtable *mt = NULL;
    lsmt_status s = micro_table(cfg, N, NULL, 0, &mt);
    if (s != LSMT_OK)
        return create_failed(s);
    if (micro_fill_random(cfg, mt, N) < 0) {
        table_destroy(mt);
        return 1;
    }
    round_set a = {.n = 0}, b = {.n = 0};
    int rc = 0;
    for (unsigned k = 0; k < cfg->rounds && rc == 0 && !bench_interrupted(); k++)
        rc = read_round(cfg, mt, &a, &b);
    if (rc == 0 && a.n > 0) {
        char name[48], note[160];
        const char *batch = cfg->batch > 1 ? "-batch" : "";
        if (cfg->micro == 3) {
            snprintf(name, sizeof name, "W3-readrandom%s", batch);
            snprintf(note, sizeof note, "gets of present keys");
        } else if (cfg->micro == 4) {
            uint64_t checks, negatives;
            table_bloom_counts(mt, &checks, &negatives);
            snprintf(name, sizeof name, "W4-readmissing%s", batch);
            snprintf(note, sizeof note, "bloom %u bits/key: %llu of %llu gets answered by it",
                     cfg->bloom, (unsigned long long)negatives, (unsigned long long)checks);
        } else {
            snprintf(name, sizeof name, "W5-scan");
            snprintf(note, sizeof note, "internal iterator, key + value touched");
        }
        if (cfg->batch > 1 && cfg->micro != 5) {
            size_t len = strlen(name);
            snprintf(name + len, sizeof name - len, "%u", cfg->batch);
        }
        if (cfg->batch > 1 && cfg->micro == 3)
            snprintf(note, sizeof note, "multi_get of %u present keys per call", cfg->batch);
        report_rounds(r, name, 1, &a, NULL, cfg->micro == 5 ? "ns/entry" : "Mops/s", note);
        if (cfg->micro == 3 && b.n > 0)
            report_rounds(r, name, cfg->threads, &b, NULL, "Mops/s", note);
    }
    table_destroy(mt);
    return rc;
}

/* W8: w8_run of the arena bench (bench/w8_alloc.h), cold and warm passes. */
static int micro_alloc(const bench_config *cfg, bench_report *r)
{
    char note[160];
    w8_options wo;
    w8_options_default(&wo);
    wo.threads = cfg->threads;
    if (cfg->ops)
        wo.n = cfg->ops;
    wo.passes = 2;
    w8_pass pass[2];
    const char *what = NULL;
    lsmt_status s = w8_run(cfg->w8kind, &wo, pass, &what);
    if (s != LSMT_OK) {
        fprintf(stderr, "memtable-bench: W8 %s: %s (%s)\n", w8_kind_name(cfg->w8kind),
                lsmt_status_str(s), what ? what : "");
        return 1;
    }
    const char *kind = w8_kind_name(cfg->w8kind);
    snprintf(note, sizeof note, "%s, fresh process; minflt/alloc=%.4f", kind, pass[0].minflt);
    bench_report_metric(r, "W8-alloc-cold", cfg->threads, pass[0].alloc_ns, "ns/alloc", note);
    snprintf(note, sizeof note, "%s, memory reused; minflt/alloc=%.4f", kind, pass[1].minflt);
    bench_report_metric(r, "W8-alloc-warm", cfg->threads, pass[1].alloc_ns, "ns/alloc", note);
    bench_report_metric(r, "W8-freeall", cfg->threads, pass[1].free_ns, "ns/alloc", kind);
    return 0;
}

int bench_run_micro(const bench_config *cfg, bench_report *r)
{
    g_pattern = malloc(256 + cfg->value_size + 1);
    if (g_pattern == NULL)
        return 1;
    for (size_t k = 0; k < 256 + cfg->value_size + 1; k++)
        g_pattern[k] = (unsigned char)(k & 0xff);
    int rc;
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
    case 7:
        rc = bench_run_reset_cycle(cfg, r);
        break;
    case 8:
        rc = micro_alloc(cfg, r);
        break;
    case 9:
        rc = bench_run_w9(cfg, r);
        break;
    case 10:
        rc = bench_run_w10(cfg, r);
        break;
    default:
        rc = 1;
    }
    r->interrupted = bench_interrupted();
    free(g_pattern);
    return rc;
}
