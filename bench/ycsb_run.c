/* YCSB load and run phases of memtable-bench (bench_run_ycsb in config.h).
 *
 * Design. A load phase (--records inserts, thread t inserting key numbers t, t + T, ...)
 * and a run phase (--ops operations or --duration seconds) drawing operations from the
 * workload's mix (bench/ycsb.c, faithful to YCSB's CoreWorkload) on the engine
 * (bench/engine.c). Records have YCSB's shape and its RocksDB binding's layout
 * (bench/record.c); an update reads the record, replaces one field and writes it back, as
 * that binding does (--update blind: a put of a whole record); F's read-modify-write
 * reads the record, then updates it, and YCSB's accounting is kept: its inner read and
 * update are also recorded as READ and UPDATE, while TOTAL counts transactions. Every
 * operation is timed with two clock reads into the thread's own histograms, merged after
 * the threads join, so the measured path takes no lock and makes no syscall. With
 * --target the run is open loop: operation k of thread t is due at the thread's start + k
 * T / target; the thread waits for that time, and its latency is also recorded from it
 * (the intended-start histograms, which never read lower than the measured ones).
 *
 * Concurrency: workers share only the engine (engine.h), the acknowledged insert counter
 * (ycsb.h) and the failure flag below; the main thread waits in bench_phase_run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/common.h"
#include "bench/config.h"
#include "bench/engine.h"
#include "bench/phase.h"
#include "bench/report.h"

#define SAMPLE_RECORDS 1000 /* records read back and parsed after the run */

typedef struct ycsb_shared ycsb_shared;

enum { MEASURED = 0, INTENDED = 1 };
#define H_TOTAL YCSB_OP_COUNT_       /* histogram index of TOTAL */
#define H_COUNT (YCSB_OP_COUNT_ + 1) /* histograms per kind */

typedef struct worker {
    ycsb_shared *sh;
    bench_rng rng;
    ycsb_keychooser kc;
    /* hist[MEASURED][op]: latency per operation type, [op == H_TOTAL] every transaction;
     * hist[INTENDED]: the same from the intended start (--target) */
    bench_hist *hist[2][H_COUNT];
    uint64_t quota; /* run-phase operations (--ops) */
    uint64_t read_miss, update_reads;
    uint64_t sink; /* touched bytes, added to the global sink at the end */
    /* Operations done, for the progress line. Written by this worker only (relaxed
     * store of its own count), read by the main thread (relaxed: an estimate). */
    _Atomic uint64_t done;
    unsigned char key[BENCH_KEY_MAX];
    unsigned char *rec;  /* a record being written (record size + one field) */
    unsigned char *copy; /* a record read (record size + one field) */
} worker;

struct ycsb_shared {
    const bench_config *cfg;
    const ycsb_workload *wl;
    engine eng;
    ycsb_ack_counter ack;
    uint64_t expected_new;
    size_t rec_max;               /* bytes of rec/copy buffers */
    const unsigned char *pattern; /* field values: 256 + field_len bytes */
    worker *w;
    /* Set at the --duration deadline and on Ctrl-C; read by workers every op. relaxed
     * both ways: it carries no data, a late observation costs one more op. */
    _Atomic bool stop;
    /* First failure (an unexpected memtable status), set once by a worker; the main
     * thread reads it after join. */
    _Atomic int failed;
    char fail_msg[160];
};

/* Record the first failure of the run (later ones are dropped); workers then stop. */
static void worker_fail(worker *w, const char *what, lsmt_status s)
{
    int expected = 0;
    /* acq_rel CAS: the winner's message is published by the thread join */
    if (atomic_compare_exchange_strong_explicit(&w->sh->failed, &expected, 1, memory_order_acq_rel,
                                                memory_order_relaxed))
        snprintf(w->sh->fail_msg, sizeof w->sh->fail_msg, "%s: %s", what, lsmt_status_str(s));
}

static bool failed(const ycsb_shared *sh)
{
    /* relaxed: see `failed` */
    return atomic_load_explicit(&((ycsb_shared *)sh)->failed, memory_order_relaxed) != 0;
}

static size_t key_of(worker *w, uint64_t n)
{
    return bench_key(&w->sh->cfg->keys, n, w->key);
}

/* A YCSB update of key number n (key already in w->key): merge = read the record,
 * replace one field, write it back; blind = put a whole new record. */
static lsmt_status do_update(worker *w, uint64_t n, size_t kl, uint64_t stamp)
{
    ycsb_shared *sh = w->sh;
    const ycsb_record_shape *shape = &sh->cfg->record;
    unsigned field = (unsigned)bench_rng_below(&w->rng, shape->fields);
    size_t len = 0;
    lsmt_status got = LSMT_OK;
    if (!sh->cfg->blind_updates) {
        size_t vl = 0;
        w->update_reads++;
        got = engine_get(&sh->eng, w->key, kl, w->copy, sh->rec_max, &vl);
        if (got == LSMT_OK) {
            len = ycsb_record_merge(shape, w->copy, vl, field, stamp + field, sh->pattern, w->rec);
            if (len == 0)
                return LSMT_CORRUPT;
        } else if (got != LSMT_NOT_FOUND && got != LSMT_DELETED) {
            return got;
        }
    }
    if (len == 0) { /* blind, or a record only in flushed memtables (its SSTable) */
        ycsb_record_build(shape, n, stamp, sh->pattern, w->rec);
        len = ycsb_record_size(shape);
    }
    lsmt_status s = engine_put(&sh->eng, w->key, kl, w->rec, len);
    return s == LSMT_OK ? got : s; /* a miss of the read half is reported as such */
}

/* A YCSB read: the record copied out, as a binding returns it. */
static lsmt_status do_read(worker *w, size_t kl)
{
    size_t vl = 0;
    lsmt_status s = engine_get(&w->sh->eng, w->key, kl, w->copy, w->sh->rec_max, &vl);
    if (s == LSMT_OK)
        w->sink += vl ? w->copy[vl - 1] : 0;
    return s;
}

static void record_latency(worker *w, int op, uint64_t t0, uint64_t t1)
{
    bench_hist_record(w->hist[MEASURED][op], t1 - t0);
}

/* One transaction of the run phase; records its inner operations (F). Returns the
 * status that decides a miss or a failure. */
static lsmt_status transaction(worker *w, ycsb_op op, uint64_t stamp)
{
    ycsb_shared *sh = w->sh;
    const bench_config *cfg = sh->cfg;
    if (op == YCSB_INSERT) {
        uint64_t n = ycsb_ack_counter_next(&sh->ack);
        if (!bench_key_unique(&cfg->keys, n))
            return LSMT_FULL; /* dbbench16 has 2 N distinct keys */
        size_t kl = key_of(w, n);
        ycsb_record_build(&cfg->record, n, 0, sh->pattern, w->rec);
        lsmt_status s = engine_put(&sh->eng, w->key, kl, w->rec, ycsb_record_size(&cfg->record));
        ycsb_ack_counter_acknowledge(&sh->ack, n);
        return s;
    }
    uint64_t n = ycsb_choose_key(&w->kc, &w->rng, ycsb_ack_counter_acked(&sh->ack));
    size_t kl = key_of(w, n);
    switch (op) {
    case YCSB_READ:
        return do_read(w, kl);
    case YCSB_UPDATE:
        return do_update(w, n, kl, stamp);
    case YCSB_SCAN: {
        unsigned len = 1 + (unsigned)bench_rng_below(&w->rng, cfg->scan_length);
        return engine_scan(&sh->eng, w->key, kl, len, &w->sink) < 0 ? LSMT_CORRUPT : LSMT_OK;
    }
    default: { /* read-modify-write: YCSB's read, then its update, each measured too */
        uint64_t t0 = bench_now_ns();
        lsmt_status r = do_read(w, kl);
        uint64_t t1 = bench_now_ns();
        record_latency(w, YCSB_READ, t0, t1);
        if (r != LSMT_OK && r != LSMT_NOT_FOUND && r != LSMT_DELETED)
            return r;
        lsmt_status u = do_update(w, n, kl, stamp);
        record_latency(w, YCSB_UPDATE, t1, bench_now_ns());
        return u == LSMT_OK ? r : u;
    }
    }
}

/* Wait until `due` (CLOCK_MONOTONIC ns): sleep while far, spin the last 100 us. true when
 * `due` has come, false when the phase was stopped first. */
static bool pace_until(ycsb_shared *sh, uint64_t due)
{
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= due)
            return true;
        /* relaxed: see `stop` */
        if (atomic_load_explicit(&sh->stop, memory_order_relaxed))
            return false;
        if (due - now > 150000) {
            uint64_t wake = due - 100000;
            if (wake - now > 50000000)
                wake = now + 50000000; /* re-check the stop flag every 50 ms */
            struct timespec ts = {(time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
    }
}

/* Load: keys tid, tid + T, ... */
static void load_work(void *ctx, unsigned tid)
{
    ycsb_shared *sh = ctx;
    worker *w = &sh->w[tid];
    const bench_config *cfg = sh->cfg;
    const size_t rl = ycsb_record_size(&cfg->record);
    uint64_t done = 0;
    for (uint64_t n = tid; n < cfg->records && !failed(sh); n += cfg->threads) {
        /* relaxed: see `stop` */
        if (atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        size_t kl = key_of(w, n);
        ycsb_record_build(&cfg->record, n, 0, sh->pattern, w->rec);
        uint64_t t0 = bench_now_ns();
        lsmt_status s = engine_put(&sh->eng, w->key, kl, w->rec, rl);
        uint64_t t1 = bench_now_ns();
        record_latency(w, YCSB_INSERT, t0, t1);
        record_latency(w, H_TOTAL, t0, t1);
        if (s != LSMT_OK) {
            worker_fail(w, "load put", s);
            break;
        }
        if ((++done & 255) == 0)
            /* relaxed: progress estimate only */
            atomic_store_explicit(&w->done, done, memory_order_relaxed);
    }
    atomic_store_explicit(&w->done, done, memory_order_relaxed);
}

/* Run: the workload's mix until the quota or the stop flag. */
static void run_work(void *ctx, unsigned tid)
{
    ycsb_shared *sh = ctx;
    worker *w = &sh->w[tid];
    const bench_config *cfg = sh->cfg;
    const double interval = cfg->target > 0 ? (double)cfg->threads * 1e9 / cfg->target : 0;
    const uint64_t start = bench_now_ns();
    uint64_t done = 0;
    for (;;) {
        /* relaxed: see `stop` */
        if (cfg->ops ? done >= w->quota : atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        if (failed(sh) || (cfg->ops && atomic_load_explicit(&sh->stop, memory_order_relaxed)))
            break;
        uint64_t due = 0;
        if (interval > 0) {
            due = start + (uint64_t)((double)done * interval);
            /* stopped before the op was due: it is not run (run early, its latency from
             * the intended start would read below the measured one) */
            if (!pace_until(sh, due))
                break;
        }
        ycsb_op op = ycsb_choose_op(sh->wl->proportion, &w->rng);
        uint64_t t0 = bench_now_ns();
        lsmt_status s = transaction(w, op, done);
        uint64_t t1 = bench_now_ns();
        if (s == LSMT_NOT_FOUND || s == LSMT_DELETED) {
            w->read_miss++;
        } else if (s != LSMT_OK) {
            worker_fail(w, ycsb_op_name(op), s);
            break;
        }
        record_latency(w, op, t0, t1);
        record_latency(w, H_TOTAL, t0, t1);
        if (interval > 0) {
            bench_hist_record(w->hist[INTENDED][op], t1 - due);
            bench_hist_record(w->hist[INTENDED][H_TOTAL], t1 - due);
        }
        if ((++done & 255) == 0)
            /* relaxed: progress estimate only */
            atomic_store_explicit(&w->done, done, memory_order_relaxed);
    }
    atomic_store_explicit(&w->done, done, memory_order_relaxed);
    bench_sink_add(w->sink);
}

static uint64_t workers_done(void *ctx)
{
    ycsb_shared *sh = ctx;
    uint64_t s = 0;
    for (unsigned i = 0; i < sh->cfg->threads; i++)
        /* relaxed: an estimate for the progress line */
        s += atomic_load_explicit(&sh->w[i].done, memory_order_relaxed);
    return s;
}

/* Merge the workers' histograms hist[kind][h] into a new report row (dropped when
 * empty). */
static void add_row(bench_report *r, ycsb_shared *sh, const char *phase, const char *op,
                    double secs, int kind, int h)
{
    bench_hist *m = bench_hist_new();
    if (m == NULL)
        return;
    for (unsigned i = 0; i < sh->cfg->threads; i++)
        bench_hist_merge(m, sh->w[i].hist[kind][h]);
    if (m->count == 0) {
        free(m);
        return;
    }
    bench_report_row(r, phase, op, secs, m);
}

static void reset_hists(ycsb_shared *sh)
{
    for (unsigned i = 0; i < sh->cfg->threads; i++) {
        for (int k = 0; k < 2 * H_COUNT; k++)
            bench_hist_reset(sh->w[i].hist[k / H_COUNT][k % H_COUNT]);
        atomic_store_explicit(&sh->w[i].done, 0, memory_order_relaxed);
    }
}

static void free_workers(ycsb_shared *sh)
{
    for (unsigned i = 0; sh->w != NULL && i < sh->cfg->threads; i++) {
        worker *w = &sh->w[i];
        for (int k = 0; k < 2 * H_COUNT; k++)
            free(w->hist[k / H_COUNT][k % H_COUNT]);
        free(w->rec);
        free(w->copy);
    }
    free(sh->w);
    sh->w = NULL;
}

/* Workers with their generators, histograms and buffers. 0 or -1 (message printed). */
static int make_workers(ycsb_shared *sh)
{
    const bench_config *cfg = sh->cfg;
    sh->w = calloc(cfg->threads, sizeof *sh->w);
    if (sh->w == NULL)
        return -1;
    for (unsigned i = 0; i < cfg->threads; i++) {
        worker *w = &sh->w[i];
        w->sh = sh;
        bench_rng_seed(&w->rng, cfg->seed, i);
        if (ycsb_keychooser_init(&w->kc, cfg->dist, cfg->records, sh->expected_new, cfg->theta) !=
            0) {
            fprintf(stderr, "memtable-bench: bad key chooser parameters\n");
            return -1;
        }
        w->quota = cfg->ops / cfg->threads + (i < cfg->ops % cfg->threads ? 1 : 0);
        w->rec = malloc(sh->rec_max);
        w->copy = malloc(sh->rec_max);
        bool ok = w->rec && w->copy;
        for (int k = 0; k < 2 * H_COUNT; k++)
            ok = (w->hist[k / H_COUNT][k % H_COUNT] = bench_hist_new()) != NULL && ok;
        if (!ok) {
            fprintf(stderr, "memtable-bench: out of memory\n");
            return -1;
        }
        atomic_init(&w->done, 0);
    }
    return 0;
}

static double run_phase(ycsb_shared *sh, bool load)
{
    const bench_config *cfg = sh->cfg;
    reset_hists(sh);
    /* relaxed: read by workers after the start barrier, which orders it */
    atomic_store_explicit(&sh->stop, false, memory_order_relaxed);
    bench_phase p = {.threads = cfg->threads,
                     .work = load ? load_work : run_work,
                     .ctx = sh,
                     .done = workers_done,
                     .total = load ? cfg->records : cfg->ops,
                     .duration = !load && cfg->ops == 0 ? cfg->duration : 0,
                     .stop = &sh->stop,
                     .name = load ? "load" : "run",
                     .progress = cfg->progress};
    return bench_phase_run(&p);
}

/* A hint for a memtable that filled up without rotation. */
static const char *full_hint(const bench_config *cfg, const char *msg)
{
    if (strstr(msg, "FULL") == NULL)
        return "";
    if (cfg->keys.shape == BENCH_KEY_DBBENCH16)
        return " (dbbench16 has 2 x --records distinct keys: fewer inserts, or more records)";
    return !cfg->memtable_size
               ? " (the single memtable is full: use --memtable-size to rotate memtables)"
               : "";
}

/* After the run: read back up to SAMPLE_RECORDS loaded records and parse them; every one
 * present must still have --field-count fields (updates merged, none lost). Returns the
 * number that do not. */
static uint64_t check_records(ycsb_shared *sh, uint64_t *checked)
{
    const bench_config *cfg = sh->cfg;
    worker *w = &sh->w[0];
    uint64_t step = cfg->records > SAMPLE_RECORDS ? cfg->records / SAMPLE_RECORDS : 1, bad = 0;
    *checked = 0;
    for (uint64_t n = 0; n < cfg->records; n += step) {
        size_t kl = key_of(w, n), vl;
        if (engine_get(&sh->eng, w->key, kl, w->copy, sh->rec_max, &vl) != LSMT_OK)
            continue; /* only in flushed memtables */
        (*checked)++;
        if (ycsb_record_fields(&cfg->record, w->copy, vl) != (long)cfg->record.fields)
            bad++;
    }
    return bad;
}

static void report_load(const bench_config *cfg, ycsb_shared *sh, bench_report *r, double secs,
                        uint64_t rss0, uint64_t f0)
{
    uint64_t f1 = bench_minflt(), rss1 = bench_rss();
    add_row(r, sh, "load", "INSERT", secs, MEASURED, YCSB_INSERT);
    const unsigned T = cfg->threads;
    engine_stats es;
    engine_stats_get(&sh->eng, &es);
    char note[160];
    snprintf(note, sizeof note, "%llu entries, %.1f MiB (approximate_memory_usage); record %zu B",
             (unsigned long long)es.entries, (double)es.memory_used / 1048576.0,
             ycsb_record_size(&cfg->record));
    bench_report_metric(r, "load-memtable-bytes-per-entry", T,
                        es.entries ? (double)es.memory_used / (double)es.entries : 0, "B/entry",
                        note);
    bench_report_metric(r, "load-rss-bytes-per-record", T,
                        (double)(rss1 > rss0 ? rss1 - rss0 : 0) / (double)cfg->records, "B/record",
                        "resident set growth during the load / records");
    bench_report_metric(r, "load-minflt-per-op", T, (double)(f1 - f0) / (double)cfg->records,
                        "faults/op", "minor page faults (getrusage), whole process");
}

/* The run phase's rows and metrics; returns 1 if its figures show a failure. */
static int report_run(const bench_config *cfg, ycsb_shared *sh, bench_report *r, double secs,
                      uint64_t f0, uint64_t rot0)
{
    uint64_t f1 = bench_minflt();
    const unsigned T = cfg->threads;
    for (int kind = MEASURED; kind <= (cfg->target > 0 ? INTENDED : MEASURED); kind++)
        for (int k = 0; k < H_COUNT; k++)
            add_row(r, sh, kind == MEASURED ? "run" : "run-intended",
                    k == H_TOTAL ? "TOTAL" : ycsb_op_name((ycsb_op)k), secs, kind, k);
    uint64_t run_ops = 0;
    for (unsigned i = 0; i < T; i++)
        run_ops += sh->w[i].hist[MEASURED][H_TOTAL]->count;
    uint64_t misses = 0, update_reads = 0, checked = 0;
    for (unsigned i = 0; i < T; i++) {
        misses += sh->w[i].read_miss;
        update_reads += sh->w[i].update_reads;
    }
    bench_report_metric(r, "run-minflt-per-op", T,
                        run_ops ? (double)(f1 - f0) / (double)run_ops : 0, "faults/op",
                        "minor page faults (getrusage), whole process");
    bench_report_metric(r, "run-read-misses", T, (double)misses, "count",
                        cfg->memtable_size ? "reads of keys only in flushed memtables "
                                             "(an engine reads them from SSTables)"
                                           : "must be 0: every acknowledged key is present");
    bench_report_metric(r, "run-update-reads", T, (double)update_reads, "count",
                        cfg->blind_updates ? "blind updates: none read the record"
                                           : "records read by updates before merging one field "
                                             "(YCSB's RocksDB binding)");
    uint64_t bad = check_records(sh, &checked);
    char note[160];
    snprintf(note, sizeof note, "of %llu records read back after the run, with %u fields of %zu B",
             (unsigned long long)checked, cfg->record.fields, cfg->record.field_len);
    bench_report_metric(r, "end-records-malformed", T, (double)bad, "count", note);
    engine_stats es;
    engine_stats_get(&sh->eng, &es);
    snprintf(note, sizeof note, "%llu versions in the memtables at the end",
             (unsigned long long)es.entries);
    bench_report_metric(r, "end-memtable-bytes-per-entry", T,
                        es.entries ? (double)es.memory_used / (double)es.entries : 0, "B/entry",
                        note);
    if (cfg->memtable_size) {
        bench_report_metric(r, "run-rotations", T, (double)(es.rotations - rot0), "count",
                            "memtables frozen, flush-scanned, reset_all and reused");
        snprintf(note, sizeof note, "%llu stalls; %llu entries flush-scanned in total",
                 (unsigned long long)es.stalls, (unsigned long long)es.flushed_entries);
        bench_report_metric(r, "write-stall-ms", T, es.stall_ms, "ms", note);
    }
    int rc = 0;
    if (es.error != LSMT_OK) {
        fprintf(stderr, "memtable-bench: flush/reset: %s\n", lsmt_status_str(es.error));
        rc = 1;
    }
    if (!cfg->memtable_size && misses != 0) {
        fprintf(stderr, "memtable-bench: %llu reads missed acknowledged keys\n",
                (unsigned long long)misses);
        rc = 1;
    }
    if (bad != 0) {
        fprintf(stderr, "memtable-bench: %llu records do not have %u fields\n",
                (unsigned long long)bad, cfg->record.fields);
        rc = 1;
    }
    return rc;
}

/* Create the engine; 0 or 1 (message printed). */
static int start_engine(const bench_config *cfg, ycsb_shared *sh)
{
    static unsigned char probe[BENCH_KEY_MAX];
    size_t key_bytes = cfg->keys.shape == BENCH_KEY_YCSB ? 24 : bench_key(&cfg->keys, 0, probe);
    size_t entry = key_bytes + ycsb_record_size(&cfg->record);
    uint64_t expected = (uint64_t)(entry + 64) * (cfg->records + sh->expected_new);
    table_options t = {.bloom_bits = cfg->bloom,
                       .shards = cfg->shards,
                       .huge_pages = cfg->huge_pages,
                       .hash_index = cfg->hash_index,
                       .protection = cfg->protection,
                       .paranoid = cfg->paranoid};
    lsmt_status s = engine_init(&sh->eng, &t, cfg->memtable_size, expected, entry);
    if (s == LSMT_OK)
        return 0;
    if (s == LSMT_INVALID && !cfg->memtable_size)
        fprintf(stderr,
                "memtable-bench: %llu records of %zu B need ~%.1f GiB in one memtable; its "
                "arena holds at most %zu GiB (the skip list's 32-bit references): use "
                "--memtable-size to rotate memtables, or fewer --records\n",
                (unsigned long long)cfg->records, entry, (double)expected / 1073741824.0,
                TABLE_MAX_ARENA >> 30);
    else
        fprintf(stderr, "memtable-bench: lsmt_memtable_create: %s\n", lsmt_status_str(s));
    return 1;
}

int bench_run_ycsb(const bench_config *cfg, bench_report *r)
{
    static ycsb_shared sh; /* large, zeroed */
    memset(&sh, 0, sizeof sh);
    sh.cfg = cfg;
    sh.wl = ycsb_workload_get(cfg->ycsb);
    /* YCSB: expected new keys = operationcount * insertproportion * 2; with --duration
     * the operation count is unknown: assume --records operations. */
    sh.expected_new = (uint64_t)((double)(cfg->ops ? cfg->ops : cfg->records) *
                                 sh.wl->proportion[YCSB_INSERT] * 2.0);
    sh.rec_max = ycsb_record_size(&cfg->record) + 8 + 16 + cfg->record.field_len;
    unsigned char *pattern = malloc(256 + cfg->record.field_len);
    if (pattern == NULL || ycsb_ack_counter_init(&sh.ack, cfg->records) != 0) {
        fprintf(stderr, "memtable-bench: out of memory\n");
        return 1;
    }
    for (size_t b = 0; b < 256 + cfg->record.field_len; b++)
        pattern[b] = (unsigned char)('a' + b % 26); /* printable, as YCSB's values */
    sh.pattern = pattern;
    if (start_engine(cfg, &sh) != 0) {
        free(pattern);
        ycsb_ack_counter_destroy(&sh.ack);
        return 1;
    }
    int rc = make_workers(&sh) != 0;
    if (rc == 0) {
        uint64_t rss0 = bench_rss(), f0 = bench_minflt();
        double secs = run_phase(&sh, true);
        if (failed(&sh)) {
            fprintf(stderr, "memtable-bench: %s%s\n", sh.fail_msg, full_hint(cfg, sh.fail_msg));
            rc = 1;
        } else {
            report_load(cfg, &sh, r, secs, rss0, f0);
        }
    }
    if (rc == 0 && !bench_interrupted()) {
        engine_stats es;
        engine_stats_get(&sh.eng, &es);
        uint64_t f0 = bench_minflt();
        double secs = run_phase(&sh, false);
        if (failed(&sh)) {
            fprintf(stderr, "memtable-bench: %s%s\n", sh.fail_msg, full_hint(cfg, sh.fail_msg));
            rc = 1;
        } else {
            rc = report_run(cfg, &sh, r, secs, f0, es.rotations);
        }
    }
    r->interrupted = bench_interrupted();
    engine_destroy(&sh.eng);
    free_workers(&sh);
    free(pattern);
    ycsb_ack_counter_destroy(&sh.ack);
    return rc;
}
