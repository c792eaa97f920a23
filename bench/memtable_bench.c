/* memtable-bench: YCSB-style load testing of the lsmt memtable, and the micro workloads
 * W1-W8 of shared/anchors/WORKLOADS.md (bench/micro.c). Run `memtable-bench --help`.
 *
 * Design. A YCSB run has a load phase (--records inserts, striped over the threads) and
 * a run phase (--ops operations or --duration seconds) drawing operations from the
 * workload's mix (bench/ycsb.c, faithful to YCSB's CoreWorkload). Every operation is
 * timed with two clock reads (CLOCK_MONOTONIC, vDSO) into the thread's own log-linear
 * histogram (bench/histogram.c); histograms are merged after the threads join, so the
 * measured path takes no lock and makes no syscall.
 *
 * The "engine". Writes go to the active memtable with a sequence number from one shared
 * atomic counter (an update is a new version, as in an LSM engine). With
 * --memtable-size, memtables rotate as an engine rotates them: when the active one says
 * should_flush (or is FULL), a writer freezes it and publishes a free one; a flusher
 * thread walks the frozen one with the internal iterator (what a flush writes to an
 * SSTable), then reset_all and puts it back on the free list. Reads consult the active
 * and the frozen memtables and keep the newest version; a key only in flushed memtables
 * is a miss ("would be read from SSTables"), counted. Memtables are created once and
 * never destroyed during a run, so a thread holding a stale pointer is still safe: a
 * write gets LSMT_FROZEN/LSMT_BUSY and retries on the new active one, a get waits out
 * reset_all (memtable invariant 4). Without --memtable-size one memtable holds the
 * whole run (its hard limit is address space reserved with MAP_NORESERVE).
 *
 * Concurrency: workers share only the engine (atomics documented below), the sequence
 * counter and the acknowledged insert counter (bench/ycsb.h). The main thread sleeps,
 * prints progress from per-worker relaxed counters, and sets the stop flag. */
#include "bench/memtable_bench.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lsmt/memtable.h"

#define MAX_THREADS 256
#define MAX_TABLES  4 /* active + up to 2 frozen + 1 free, as a small engine keeps */

/* ---- small helpers --------------------------------------------------------------- */

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

uint64_t bench_rss(void)
{
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

void bench_report_metric(bench_report *r, const char *name, unsigned threads, double value,
                         const char *unit, const char *note)
{
    if (r->nmetrics >= BENCH_MAX_METRICS)
        return;
    bench_metric *m = &r->metric[r->nmetrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->threads = threads;
    m->value = value;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    snprintf(m->note, sizeof m->note, "%s", note ? note : "");
}

/* A new empty histogram (malloc), or NULL. */
static bench_hist *hist_new(void)
{
    bench_hist *h = malloc(sizeof *h);
    if (h != NULL)
        bench_hist_reset(h);
    return h;
}

/* ---- command line ------------------------------------------------------------------ */

static const char *const k_usage =
    "usage: memtable-bench [flags]\n"
    "\n"
    "Load-tests the lsmt memtable with the YCSB core workloads A-F or the micro workloads\n"
    "W1-W8 of WORKLOADS.md. With no flags: YCSB A, 1M records, 2 threads, 10 s.\n"
    "Numbers accept k/m/g suffixes (x1000) and sizes K/M/G (x1024). --flag=value also works.\n"
    "\n"
    "  --workload NAME      A..F (YCSB: A read/update 50/50, B 95/5, C read only,\n"
    "                       D read/insert 95/5 latest, E scan/insert 95/5,\n"
    "                       F read/read-modify-write 50/50) or W1..W8 (W1 fillrandom,\n"
    "                       W2 fillrandom-mt, W3 readrandom, W4 readmissing, W5 scan,\n"
    "                       W6 fillseq, W7 reset-cycle, W8 alloc). Default A.\n"
    "  --threads N          worker threads, 1..256. Default 2.\n"
    "  --records N          YCSB: records loaded before the run; W1-W7: N of WORKLOADS.md.\n"
    "                       1..1g. Default 1m.\n"
    "  --ops N              run-phase operations (W8: allocations per pass), 1..1e12.\n"
    "                       Default: run for --duration instead (W8: 10m).\n"
    "  --duration SECONDS   run-phase length, 0.01..86400. Default 10. Ignored with --ops.\n"
    "  --key-size BYTES     0 = YCSB keys \"user\"+fnv64(n) (hashed insert order); 16..4096 =\n"
    "                       fixed-size binary keys BE64(splitmix64(n))++BE64(n)++zeros.\n"
    "                       Default 0. W1-W7 always use WORKLOADS.md's 16-byte keys.\n"
    "  --value-size BYTES   value bytes, 0..1M. Default 100 (YCSB's own record is 10x100).\n"
    "  --distribution D     request distribution: zipfian (scrambled, YCSB's default),\n"
    "                       uniform or latest. Default: the workload's (D: latest).\n"
    "  --theta T            zipfian skew, 0.01..0.999. Default 0.99 (YCSB's constant).\n"
    "  --scan-length N      E: scan length uniform in 1..N, 1..100000. Default 100.\n"
    "  --seed N             random seed, 0..2^64-1. Default: derived from the clock\n"
    "                       (always printed, so any run can be repeated).\n"
    "  --bloom BITS         bloom filter bits per key, 0 (off)..64. Default: the library's\n"
    "                       (0, off); W4 measures the filter with --bloom 10.\n"
    "  --shards N           memtable arena shards, 0 (= CPU count)..256. Default 0.\n"
    "  --huge-pages on|off  transparent huge pages on the arena. Default off.\n"
    "  --memtable-size SIZE rotate memtables of this write-buffer size through a pool of\n"
    "                       4 (freeze, flush-scan, reset_all, reuse), 1M..64G. Default 0 =\n"
    "                       one memtable for the whole run. W7: the size filled per cycle\n"
    "                       (default 64M).\n"
    "  --cycles N           W7: fill/reset cycles, 2..1000. Default 20.\n"
    "  --rounds N           W1-W6: rounds in one process, 1..100; the figure is their\n"
    "                       median (min and max beside it). Round 1 is cold (memory\n"
    "                       first touched), later rounds refill after reset_all (warm),\n"
    "                       as the peers' rounds reuse freed memory. Default 5.\n"
    "  --batch N            W1, W2: write through lsmt_memtable_write batches of N\n"
    "                       records; W3, W4: look keys up through\n"
    "                       lsmt_memtable_multi_get, N per call. Rows are named -batchN.\n"
    "                       1..1024. Default 1 (plain puts and gets, as the peers do).\n"
    "  --w8-kind K          W8: arena kind (malloc, bump, carena, carena_huge, pool,\n"
    "                       scratch, ring). Default carena (the memtable's arena).\n"
    "  --format F           text (a table), json or csv. Default text.\n"
    "  --help               this text.\n"
    "\n"
    "Output: per operation type, throughput and latency p50/p90/p99/p99.9/max (ns, from a\n"
    "log-linear histogram, <= 0.4% error); memory per entry; minor page faults; the\n"
    "parameters and seed. A progress line goes to stderr when it is a terminal.\n"
    "Exit status: 0 ok, 1 a run failed, 2 bad flags (nothing ran).\n";

/* Print the one-line error for a bad flag value and exit 2 (nothing has run). */
static void usage_error(const char *flag, const char *range, const char *got)
{
    fprintf(stderr, "memtable-bench: %s: expected %s, got '%s' (see --help)\n", flag, range,
            got ? got : "(missing)");
    exit(2);
}

/* Parse an unsigned number with an optional suffix: k/m/g = x1000 (counts), K/M/G =
 * x1024 (sizes; `binary`). Scientific notation (1e6) accepted. Returns 0 or -1. */
static int parse_u64(const char *s, bool binary, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    char *end;
    errno = 0;
    uint64_t v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end == 'e' || *end == '.') { /* 1e6, 1.5k */
        double d = strtod(s, &end);
        if (d < 0 || d > 1.8e19)
            return -1;
        v = (uint64_t)d;
        if (d != (double)v && *end == '\0')
            return -1;
        if (*end != '\0') { /* 1.5k */
            double mul = 0;
            if (end[1] == '\0') {
                switch (*end) {
                case 'k':
                    mul = 1e3;
                    break;
                case 'm':
                    mul = 1e6;
                    break;
                case 'g':
                    mul = 1e9;
                    break;
                case 'K':
                    mul = 1024.0;
                    break;
                case 'M':
                    mul = 1048576.0;
                    break;
                case 'G':
                    mul = 1073741824.0;
                    break;
                default:
                    return -1;
                }
            }
            if (mul == 0 || d * mul > 1.8e19)
                return -1;
            v = (uint64_t)(d * mul);
            end += 1;
        }
    } else if (*end != '\0') {
        uint64_t mul = 0;
        if (end[1] == '\0') {
            switch (*end) {
            case 'k':
                mul = binary ? 1024 : 1000;
                break;
            case 'm':
                mul = binary ? 1048576 : 1000000;
                break;
            case 'g':
                mul = binary ? 1073741824 : 1000000000;
                break;
            case 'K':
                mul = 1024;
                break;
            case 'M':
                mul = 1048576;
                break;
            case 'G':
                mul = 1073741824;
                break;
            default:
                return -1;
            }
        }
        if (mul == 0 || (v != 0 && mul > UINT64_MAX / v))
            return -1;
        v *= mul;
        end += 1;
    }
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* The value of an integer flag in [lo, hi], or usage_error. */
static uint64_t flag_u64(const char *flag, const char *val, uint64_t lo, uint64_t hi, bool binary,
                         const char *range)
{
    uint64_t v;
    if (parse_u64(val, binary, &v) != 0 || v < lo || v > hi)
        usage_error(flag, range, val);
    return v;
}

/* The value of a real-valued flag in [lo, hi], or usage_error. */
static double flag_double(const char *flag, const char *val, double lo, double hi,
                          const char *range)
{
    if (val == NULL || *val == '\0')
        usage_error(flag, range, val);
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    if (errno != 0 || *end != '\0' || !(d >= lo && d <= hi))
        usage_error(flag, range, val);
    return d;
}

/* The defaults documented in --help (YCSB A, 1M records, 2 threads, 10 s). */
static void config_default(bench_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->workload, sizeof c->workload, "A");
    c->ycsb = 'A';
    c->threads = 2;
    c->records = 1000000;
    c->duration = 10.0;
    c->value_size = 100;
    c->dist = YCSB_DIST_ZIPFIAN;
    c->theta = YCSB_ZIPF_THETA;
    c->scan_length = 100;
    lsmt_memtable_options mo;
    lsmt_memtable_options_default(&mo);
    c->bloom = mo.bloom_bits_per_key; /* the library's default */
    c->cycles = 20;
    c->rounds = 5;
    c->batch = 1;
    c->w8kind = W8_CARENA;
    c->seed = bench_splitmix64(bench_now_ns() ^ ((uint64_t)getpid() << 32));
}

/* The --distribution name of `d`. */
static const char *dist_name(ycsb_dist d)
{
    return d == YCSB_DIST_UNIFORM ? "uniform" : d == YCSB_DIST_LATEST ? "latest" : "zipfian";
}

/* Parse argv into `c`; exits 2 on any bad flag (nothing has run yet). */
static void parse_args(int argc, char **argv, bench_config *c)
{
    config_default(c);
    bool dist_set = false, memtable_size_set = false;
    for (int i = 1; i < argc; i++) {
        char flag[64];
        const char *arg = argv[i], *val = NULL;
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr,
                    "memtable-bench: unexpected argument '%s' (flags start with --; "
                    "see --help)\n",
                    arg);
            exit(2);
        }
        const char *eq = strchr(arg, '=');
        size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (flen >= sizeof flag)
            flen = sizeof flag - 1;
        memcpy(flag, arg, flen);
        flag[flen] = '\0';
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            fputs(k_usage, stdout);
            exit(0);
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
#define IS(f) (strcmp(flag, f) == 0)
        if (IS("--workload")) {
            if (val != NULL && strlen(val) == 1 && ycsb_workload_get(val[0]) != NULL) {
                c->ycsb = ycsb_workload_get(val[0])->name;
                c->micro = 0;
                snprintf(c->workload, sizeof c->workload, "%c", c->ycsb);
            } else if (val != NULL && strlen(val) == 2 && (val[0] == 'w' || val[0] == 'W') &&
                       val[1] >= '1' && val[1] <= '8') {
                c->ycsb = 0;
                c->micro = val[1] - '0';
                snprintf(c->workload, sizeof c->workload, "W%c", val[1]);
            } else {
                usage_error(flag, "A..F or W1..W8", val);
            }
        } else if (IS("--threads")) {
            c->threads =
                (unsigned)flag_u64(flag, val, 1, MAX_THREADS, false, "an integer in [1, 256]");
        } else if (IS("--records")) {
            c->records = flag_u64(flag, val, 1, 1000000000ull, false, "an integer in [1, 1g]");
        } else if (IS("--ops")) {
            c->ops = flag_u64(flag, val, 1, 1000000000000ull, false, "an integer in [1, 1e12]");
        } else if (IS("--duration")) {
            c->duration = flag_double(flag, val, 0.01, 86400, "seconds in [0.01, 86400]");
        } else if (IS("--key-size")) {
            c->key_size = (size_t)flag_u64(flag, val, 0, YCSB_KEY_MAX, true,
                                           "0 (YCSB keys) or bytes in [16, 4096]");
            if (c->key_size != 0 && c->key_size < 16)
                usage_error(flag, "0 (YCSB keys) or bytes in [16, 4096]", val);
        } else if (IS("--value-size")) {
            c->value_size = (size_t)flag_u64(flag, val, 0, 1048576, true, "bytes in [0, 1M]");
        } else if (IS("--distribution")) {
            if (val != NULL && strcasecmp(val, "zipfian") == 0)
                c->dist = YCSB_DIST_ZIPFIAN;
            else if (val != NULL && strcasecmp(val, "uniform") == 0)
                c->dist = YCSB_DIST_UNIFORM;
            else if (val != NULL && strcasecmp(val, "latest") == 0)
                c->dist = YCSB_DIST_LATEST;
            else
                usage_error(flag, "zipfian, uniform or latest", val);
            dist_set = true;
        } else if (IS("--theta")) {
            c->theta = flag_double(flag, val, 0.01, 0.999, "a number in [0.01, 0.999]");
        } else if (IS("--scan-length")) {
            c->scan_length =
                (unsigned)flag_u64(flag, val, 1, 100000, false, "an integer in [1, 100000]");
        } else if (IS("--seed")) {
            c->seed = flag_u64(flag, val, 0, UINT64_MAX, false, "an integer in [0, 2^64-1]");
        } else if (IS("--bloom")) {
            c->bloom = (unsigned)flag_u64(flag, val, 0, 64, false, "bits per key in [0, 64]");
        } else if (IS("--shards")) {
            c->shards = (size_t)flag_u64(flag, val, 0, 256, false, "an integer in [0, 256]");
        } else if (IS("--huge-pages")) {
            if (val != NULL && (strcmp(val, "on") == 0 || strcmp(val, "1") == 0))
                c->huge_pages = true;
            else if (val != NULL && (strcmp(val, "off") == 0 || strcmp(val, "0") == 0))
                c->huge_pages = false;
            else
                usage_error(flag, "on or off", val);
        } else if (IS("--memtable-size")) {
            c->memtable_size =
                (size_t)flag_u64(flag, val, 0, (uint64_t)64 << 30, true, "0 or bytes in [1M, 64G]");
            if (c->memtable_size != 0 && c->memtable_size < ((size_t)1 << 20))
                usage_error(flag, "0 or bytes in [1M, 64G]", val);
            memtable_size_set = true;
        } else if (IS("--cycles")) {
            c->cycles = (unsigned)flag_u64(flag, val, 2, 1000, false, "an integer in [2, 1000]");
        } else if (IS("--rounds")) {
            c->rounds =
                (unsigned)flag_u64(flag, val, 1, BENCH_MAX_ROUNDS, false, "an integer in [1, 100]");
        } else if (IS("--batch")) {
            c->batch = (unsigned)flag_u64(flag, val, 1, 1024, false, "an integer in [1, 1024]");
        } else if (IS("--w8-kind")) {
            if (val == NULL || w8_kind_parse(val, &c->w8kind) != LSMT_OK)
                usage_error(flag, "malloc, bump, carena, carena_huge, pool, scratch or ring", val);
        } else if (IS("--format")) {
            if (val != NULL && strcmp(val, "text") == 0)
                c->format = BENCH_TEXT;
            else if (val != NULL && strcmp(val, "json") == 0)
                c->format = BENCH_JSON;
            else if (val != NULL && strcmp(val, "csv") == 0)
                c->format = BENCH_CSV;
            else
                usage_error(flag, "text, json or csv", val);
        } else {
            fprintf(stderr, "memtable-bench: unknown flag '%s' (see --help)\n", flag);
            exit(2);
        }
#undef IS
    }
    if (c->ycsb && !dist_set)
        c->dist = ycsb_workload_get(c->ycsb)->dist;
    if (c->micro == 7 && !memtable_size_set)
        c->memtable_size = (size_t)64 << 20;
    c->progress = isatty(STDERR_FILENO) == 1;
}

/* ---- the engine: active memtable + frozen ones + flusher ----------------------------- */

typedef struct engine {
    const bench_config *cfg;
    lsmt_memtable *table[MAX_TABLES]; /* created at start, destroyed at the end */
    size_t ntables;
    /* The memtable writers write to. Written by rotate() under `lock` (release); read by
     * every worker (acquire). Never NULL during a run. */
    _Alignas(64) _Atomic(lsmt_memtable *) active;
    char pad0_[64 - sizeof(void *)];
    /* Sequence numbers: one fetch_add per write, the order of versions. */
    _Alignas(64) _Atomic uint64_t seq;
    char pad1_[64 - sizeof(uint64_t)];
    /* Frozen memtables not yet reset, readable by gets. Written under `lock` (release
     * stores), read lock-free by readers (acquire). NULL = empty slot. */
    _Alignas(64) _Atomic(lsmt_memtable *) frozen[MAX_TABLES];
    pthread_mutex_t lock; /* guards free list, flush queue, rotation */
    pthread_cond_t cond;  /* flush queue non-empty / free table available / stop */
    lsmt_memtable *free_list[MAX_TABLES];
    size_t nfree;
    lsmt_memtable *queue[MAX_TABLES]; /* frozen, oldest first */
    size_t nqueue;
    bool stop;
    pthread_t flusher;
    bool flusher_running;
    /* statistics, under `lock` */
    uint64_t rotations, flushed_entries, flush_ns, stall_ns, stalls, reset_busy;
    lsmt_status error; /* first unexpected status in the flusher */
} engine;
_Static_assert(offsetof(engine, seq) % 64 == 0, "engine.seq on its own cache line");

static void *flusher_main(void *p);

/* Create the memtables (one, or MAX_TABLES with --memtable-size and the flusher
 * thread). expected_bytes sizes the single memtable. LSMT_OK or the create status. */
static lsmt_status engine_init(engine *e, const bench_config *cfg, uint64_t expected_bytes)
{
    memset(e, 0, sizeof *e);
    e->cfg = cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->cond, NULL);
    atomic_init(&e->seq, 1);
    for (size_t i = 0; i < MAX_TABLES; i++)
        atomic_init(&e->frozen[i], NULL);
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.bloom_bits_per_key = cfg->bloom;
    o.shard_count = cfg->shards;
    o.huge_pages = cfg->huge_pages;
    if (cfg->memtable_size) {
        o.write_buffer_size = cfg->memtable_size;
        e->ntables = MAX_TABLES;
    } else {
        /* one memtable for everything: the budget is never reached; the hard limit is
         * reserved address space (MAP_NORESERVE), faulted in only as it is used. */
        size_t want = expected_bytes * 2 + ((size_t)256 << 20);
        if (want < ((size_t)4 << 30))
            want = (size_t)4 << 30;
        o.write_buffer_size = want;
        o.hard_limit = want + want / 4;
        e->ntables = 1;
    }
    /* the bloom filter sized for the entries the budget holds, as an engine that knows
     * its entry size sizes it (memtable.h: key + value + 24 bytes per entry) */
    o.bloom_expected_keys =
        o.write_buffer_size / ((cfg->key_size ? cfg->key_size : 24) + cfg->value_size + 24);
    for (size_t i = 0; i < e->ntables; i++) {
        lsmt_status s = lsmt_memtable_create(&o, &e->table[i]);
        if (s != LSMT_OK) {
            for (size_t j = 0; j < i; j++)
                lsmt_memtable_destroy(e->table[j]);
            return s;
        }
    }
    atomic_init(&e->active, e->table[0]);
    for (size_t i = 1; i < e->ntables; i++)
        e->free_list[e->nfree++] = e->table[i];
    if (cfg->memtable_size) {
        if (pthread_create(&e->flusher, NULL, flusher_main, e) != 0) {
            for (size_t i = 0; i < e->ntables; i++)
                lsmt_memtable_destroy(e->table[i]);
            return LSMT_NOMEM;
        }
        e->flusher_running = true;
    }
    return LSMT_OK;
}

/* Stop the flusher and destroy every memtable. REQUIRES: workers joined. */
static void engine_destroy(engine *e)
{
    if (e->flusher_running) {
        pthread_mutex_lock(&e->lock);
        e->stop = true;
        pthread_cond_broadcast(&e->cond);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->flusher, NULL);
    }
    for (size_t i = 0; i < e->ntables; i++)
        lsmt_memtable_destroy(e->table[i]);
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
    lsmt_memtable_freeze(full); /* in-flight writes finish first (memtable.h) */
    for (size_t i = 0; i < MAX_TABLES; i++) {
        if (atomic_load_explicit(&e->frozen[i], memory_order_relaxed) == NULL) {
            /* release: readers that find `full` here see a fully frozen memtable;
             * pairs with the acquire load in engine_get() */
            atomic_store_explicit(&e->frozen[i], full, memory_order_release);
            break;
        }
    }
    e->queue[e->nqueue++] = full;
    /* release: publishes the reset (empty, ACTIVE) memtable `next`; pairs with the
     * acquire loads in engine_put() / engine_get() / scans */
    atomic_store_explicit(&e->active, next, memory_order_release);
    e->rotations++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

/* Sum of touched bytes: defeats dead-code elimination of the reads. Each thread sums
 * locally and adds once at its end. relaxed: a pure counter, never read for ordering. */
static _Atomic uint64_t g_sink;
static void sink_add(uint64_t v)
{
    atomic_fetch_add_explicit(&g_sink, v, memory_order_relaxed);
}

/* The flusher: walk each frozen memtable in order (internal iterator, touching every
 * key and value, as writing an SSTable would), then reset_all and free it. */
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
        lsmt_memtable_iter_options io;
        lsmt_memtable_iter_options_default(&io);
        io.kind = LSMT_ITER_INTERNAL;
        lsmt_memtable_iter *it = NULL;
        lsmt_status s = lsmt_memtable_iter_create(mt, &io, &it);
        if (s == LSMT_OK) {
            for (s = lsmt_memtable_iter_seek_to_first(it); s == LSMT_OK;
                 s = lsmt_memtable_iter_next(it)) {
                const void *k, *v;
                size_t kl, vl;
                if (lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, &v, &vl) == LSMT_OK) {
                    sum += kl ? ((const unsigned char *)k)[kl - 1] : 0;
                    sum += vl ? ((const unsigned char *)v)[vl - 1] : 0;
                }
                n++;
            }
            lsmt_memtable_iter_destroy(it);
        }
        sink_add(sum);
        pthread_mutex_lock(&e->lock);
        /* readers stop finding it before its memory is reused */
        for (size_t i = 0; i < MAX_TABLES; i++)
            if (atomic_load_explicit(&e->frozen[i], memory_order_relaxed) == mt)
                /* release: pairs with engine_get()'s acquire; a reader that still
                 * loaded `mt` is protected by reset_all's grace period */
                atomic_store_explicit(&e->frozen[i], NULL, memory_order_release);
        pthread_mutex_unlock(&e->lock);
        /* reset_all is BUSY while a scan iterator is open on it: retry */
        while ((s = lsmt_memtable_reset_all(mt)) == LSMT_BUSY) {
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

/* Write a version: retried on FROZEN/BUSY (rotation in progress) and on FULL (after
 * rotating). Returns LSMT_OK or the unexpected status. */
static lsmt_status engine_put(engine *e, const void *key, size_t klen, const void *val, size_t vlen)
{
    /* relaxed: only uniqueness and per-key order matter; the memtable publishes the
     * version itself */
    uint64_t seq = atomic_fetch_add_explicit(&e->seq, 1, memory_order_relaxed);
    for (;;) {
        /* acquire: pairs with the release store in engine_rotate() */
        lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
        lsmt_status s = lsmt_memtable_put(mt, seq, key, klen, val, vlen);
        if (s == LSMT_OK) {
            if (e->cfg->memtable_size && lsmt_memtable_should_flush(mt))
                engine_rotate(e, mt);
            return LSMT_OK;
        }
        if (s == LSMT_FULL && e->cfg->memtable_size) {
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

/* Newest version of `key` in the active and frozen memtables. LSMT_OK with *value,
 * LSMT_NOT_FOUND, LSMT_DELETED, or an unexpected status. */
static lsmt_status engine_get(engine *e, const void *key, size_t klen, const void **value,
                              size_t *vlen)
{
    /* acquire: pairs with the release store in engine_rotate() */
    lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
    lsmt_status s = lsmt_memtable_get(mt, key, klen, LSMT_MAX_SEQUENCE, value, vlen, NULL);
    if (s != LSMT_NOT_FOUND || e->ntables == 1)
        return s;
    uint64_t best = 0;
    lsmt_status bs = LSMT_NOT_FOUND;
    for (size_t i = 0; i < MAX_TABLES; i++) {
        /* acquire: pairs with the release stores in engine_rotate() / flusher_main() */
        lsmt_memtable *f = atomic_load_explicit(&e->frozen[i], memory_order_acquire);
        if (f == NULL || f == mt)
            continue;
        const void *v;
        size_t vl;
        uint64_t sq;
        lsmt_status fs = lsmt_memtable_get(f, key, klen, LSMT_MAX_SEQUENCE, &v, &vl, &sq);
        if ((fs == LSMT_OK || fs == LSMT_DELETED) && sq >= best) {
            best = sq;
            bs = fs;
            if (fs == LSMT_OK) {
                *value = v;
                *vlen = vl;
            }
        }
    }
    return bs;
}

/* Scan up to `len` entries from `key` in the active memtable (snapshot iterator,
 * touching keys and values). Returns entries seen, or -1 on an unexpected status. */
static long engine_scan(engine *e, const void *key, size_t klen, unsigned len, uint64_t *sink)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    lsmt_memtable_iter *it = NULL;
    lsmt_status s;
    for (;;) {
        /* acquire: pairs with the release store in engine_rotate() */
        lsmt_memtable *mt = atomic_load_explicit(&e->active, memory_order_acquire);
        s = lsmt_memtable_iter_create(mt, &io, &it);
        if (s != LSMT_BUSY)
            break;
        sched_yield(); /* the memtable is being reset: it was rotated away */
    }
    if (s != LSMT_OK)
        return -1;
    long n = 0;
    uint64_t sum = 0;
    for (s = lsmt_memtable_iter_seek(it, key, klen); s == LSMT_OK && n < (long)len;
         s = lsmt_memtable_iter_next(it)) {
        const void *k, *v;
        size_t kl, vl;
        if (lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, &v, &vl) == LSMT_OK) {
            sum += kl ? ((const unsigned char *)k)[0] : 0;
            sum += vl ? ((const unsigned char *)v)[0] : 0;
        }
        n++;
    }
    lsmt_memtable_iter_destroy(it);
    *sink += sum;
    return (s == LSMT_OK || s == LSMT_END) ? n : -1;
}

/* ---- YCSB workers ---------------------------------------------------------------- */

typedef struct ycsb_shared {
    const bench_config *cfg;
    const ycsb_workload *wl;
    engine *eng;
    ycsb_ack_counter ack;
    uint64_t expected_new;
    /* Set by the main thread when --duration expires; read by workers every op.
     * relaxed both ways: it carries no data, a late observation costs one more op. */
    _Atomic bool stop;
    /* First failure (an unexpected memtable status), set once by a worker; the main
     * thread reads it after join. */
    _Atomic int failed;
    char fail_msg[160];
    pthread_barrier_t start;
} ycsb_shared;

typedef struct worker {
    ycsb_shared *sh;
    unsigned tid;
    int phase; /* 0 load, 1 run */
    pthread_t th;
    bench_rng rng;
    ycsb_keychooser kc;
    bench_hist *hist[YCSB_OP_COUNT_];
    uint64_t quota; /* ops (run, --ops) */
    uint64_t read_miss;
    uint64_t sink; /* touched bytes, added to g_sink at the end */
    /* Operations done, for the progress line. Written by this worker only (relaxed
     * store of its own count), read by the main thread (relaxed: an estimate). */
    _Atomic uint64_t done;
    char key[YCSB_KEY_MAX];
    unsigned char *value;
} worker;

/* Record the first failure of the run (later ones are dropped); workers then stop. */
static void worker_fail(worker *w, const char *what, lsmt_status s)
{
    int expected = 0;
    /* acq_rel CAS: the winner's message is published by the thread join */
    if (atomic_compare_exchange_strong_explicit(&w->sh->failed, &expected, 1, memory_order_acq_rel,
                                                memory_order_relaxed))
        snprintf(w->sh->fail_msg, sizeof w->sh->fail_msg, "%s: %s", what, lsmt_status_str(s));
}

/* A value for (keynum, seq): the pattern shifted by keynum, first 8 bytes = seq. */
static void fill_value(worker *w, uint64_t keynum, uint64_t stamp)
{
    size_t n = w->sh->cfg->value_size;
    if (n >= 8)
        memcpy(w->value, &stamp, 8);
    else if (n > 0)
        w->value[0] = (unsigned char)(keynum + stamp);
}

/* A worker: the load phase (its stripe of key numbers) or the run phase (the
 * workload mix until its quota or the stop flag), timing every memtable call. */
static void *ycsb_worker_main(void *p)
{
    worker *w = p;
    ycsb_shared *sh = w->sh;
    const bench_config *cfg = sh->cfg;
    engine *e = sh->eng;
    const size_t ks = cfg->key_size, vs = cfg->value_size;
    pthread_barrier_wait(&sh->start);

    if (w->phase == 0) { /* load: keys tid, tid + T, ... */
        for (uint64_t n = w->tid; n < cfg->records; n += cfg->threads) {
            size_t kl = ycsb_build_key(w->key, n, ks);
            fill_value(w, n, n);
            uint64_t t0 = bench_now_ns();
            lsmt_status s = engine_put(e, w->key, kl, w->value, vs);
            bench_hist_record(w->hist[YCSB_INSERT], bench_now_ns() - t0);
            if (s != LSMT_OK) {
                worker_fail(w, "load put", s);
                break;
            }
            /* relaxed: progress estimate only */
            atomic_store_explicit(&w->done,
                                  atomic_load_explicit(&w->done, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
        }
        return NULL;
    }

    uint64_t done = 0;
    for (;;) {
        if (cfg->ops ? done >= w->quota : atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        /* relaxed: see `failed` */
        if (atomic_load_explicit(&sh->failed, memory_order_relaxed))
            break;
        ycsb_op op = ycsb_choose_op(sh->wl->proportion, &w->rng);
        uint64_t t0, t1;
        lsmt_status s = LSMT_OK;
        if (op == YCSB_INSERT) {
            uint64_t n = ycsb_ack_counter_next(&sh->ack);
            size_t kl = ycsb_build_key(w->key, n, ks);
            fill_value(w, n, n);
            t0 = bench_now_ns();
            s = engine_put(e, w->key, kl, w->value, vs);
            t1 = bench_now_ns();
            ycsb_ack_counter_acknowledge(&sh->ack, n);
            if (s != LSMT_OK) {
                worker_fail(w, "insert", s);
                break;
            }
        } else {
            uint64_t n = ycsb_choose_key(&w->kc, &w->rng, ycsb_ack_counter_acked(&sh->ack));
            size_t kl = ycsb_build_key(w->key, n, ks);
            const void *v = NULL;
            size_t vl = 0;
            if (op == YCSB_READ) {
                t0 = bench_now_ns();
                s = engine_get(e, w->key, kl, &v, &vl);
                if (s == LSMT_OK && vl > 0)
                    w->sink += ((const unsigned char *)v)[vl - 1];
                t1 = bench_now_ns();
            } else if (op == YCSB_UPDATE) {
                fill_value(w, n, done);
                t0 = bench_now_ns();
                s = engine_put(e, w->key, kl, w->value, vs);
                t1 = bench_now_ns();
            } else if (op == YCSB_SCAN) {
                unsigned len = 1 + (unsigned)bench_rng_below(&w->rng, cfg->scan_length);
                t0 = bench_now_ns();
                long got = engine_scan(e, w->key, kl, len, &w->sink);
                t1 = bench_now_ns();
                if (got < 0) {
                    worker_fail(w, "scan", LSMT_CORRUPT);
                    break;
                }
            } else { /* read-modify-write: read, modify, write a new version */
                t0 = bench_now_ns();
                s = engine_get(e, w->key, kl, &v, &vl);
                if (s == LSMT_OK || s == LSMT_NOT_FOUND) {
                    uint64_t old = 0;
                    if (s == LSMT_OK && vl >= 8)
                        memcpy(&old, v, 8);
                    fill_value(w, n, old + 1);
                    lsmt_status r = s;
                    s = engine_put(e, w->key, kl, w->value, vs);
                    if (s == LSMT_OK)
                        s = r; /* count a miss of the read half */
                }
                t1 = bench_now_ns();
            }
            if (s == LSMT_NOT_FOUND || s == LSMT_DELETED) {
                w->read_miss++;
            } else if (s != LSMT_OK) {
                worker_fail(w, ycsb_op_name(op), s);
                break;
            }
        }
        bench_hist_record(w->hist[op], t1 - t0);
        done++;
        if ((done & 255) == 0)
            /* relaxed: progress estimate only */
            atomic_store_explicit(&w->done, done, memory_order_relaxed);
    }
    atomic_store_explicit(&w->done, done, memory_order_relaxed);
    sink_add(w->sink);
    return NULL;
}

/* Operations done by all workers (an estimate while they run). */
static uint64_t workers_done(worker *w, unsigned n)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < n; i++)
        /* relaxed: an estimate for the progress line */
        s += atomic_load_explicit(&w[i].done, memory_order_relaxed);
    return s;
}

/* Sleep `ns` nanoseconds (restarted on EINTR). */
static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Run one phase on cfg->threads workers; the main thread sleeps, prints progress and
 * stops a --duration run. Returns the phase's wall seconds. */
static double run_phase(ycsb_shared *sh, worker *w, int phase)
{
    const bench_config *cfg = sh->cfg;
    unsigned T = cfg->threads;
    uint64_t total = phase == 0 ? cfg->records : cfg->ops;
    for (unsigned i = 0; i < T; i++) {
        w[i].phase = phase;
        atomic_store_explicit(&w[i].done, 0, memory_order_relaxed);
        w[i].quota = cfg->ops / T + (i < cfg->ops % T ? 1 : 0);
    }
    /* relaxed: read by workers after the barrier, which orders it */
    atomic_store_explicit(&sh->stop, false, memory_order_relaxed);
    pthread_barrier_init(&sh->start, NULL, T + 1);
    for (unsigned i = 0; i < T; i++)
        if (pthread_create(&w[i].th, NULL, ycsb_worker_main, &w[i]) != 0) {
            fprintf(stderr, "memtable-bench: cannot start thread %u\n", i);
            exit(1);
        }
    pthread_barrier_wait(&sh->start);
    uint64_t t0 = bench_now_ns();
    bool timed = phase == 1 && cfg->ops == 0;
    uint64_t deadline = t0 + (uint64_t)(cfg->duration * 1e9);
    uint64_t last_t = t0, last_n = 0;
    const char *name = phase == 0 ? "load" : "run";
    for (;;) {
        uint64_t now = bench_now_ns();
        uint64_t n = workers_done(w, T);
        bool finished = timed ? now >= deadline : n >= total;
        /* relaxed: see `failed` */
        if (finished || atomic_load_explicit(&sh->failed, memory_order_relaxed))
            break;
        if (cfg->progress && now - t0 > 1000000000ull) {
            double rate = (double)(n - last_n) / ((double)(now - last_t) / 1e9);
            double eta = timed      ? (double)(deadline - now) / 1e9
                         : rate > 0 ? (double)(total - n) / rate
                                    : 0;
            fprintf(stderr, "\r[%s] %llu ops  %.3f Mops/s  ETA %.0f s   ", name,
                    (unsigned long long)n, rate / 1e6, eta);
            last_t = now;
            last_n = n;
        }
        uint64_t step = 250000000ull; /* 0.25 s */
        if (timed && deadline - now < step)
            step = deadline - now;
        if (!timed)
            step = 20000000ull; /* poll completion every 20 ms */
        if (cfg->progress && !timed && now - last_t < 1000000000ull)
            step = 20000000ull;
        sleep_ns(step);
    }
    if (timed)
        /* relaxed: carries no data; the joins below order everything else */
        atomic_store_explicit(&sh->stop, true, memory_order_relaxed);
    for (unsigned i = 0; i < T; i++)
        pthread_join(w[i].th, NULL);
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    if (cfg->progress)
        fprintf(stderr, "\r%*s\r", 60, "");
    pthread_barrier_destroy(&sh->start);
    return secs;
}

/* Merge the workers' histograms of op `op` into a new report row. */
static void add_row(bench_report *r, const char *phase, const char *op, worker *w, unsigned T,
                    int opi, double secs)
{
    if (r->nrows >= BENCH_MAX_ROWS)
        return;
    bench_hist *h = hist_new();
    if (h == NULL)
        return;
    for (unsigned i = 0; i < T; i++) {
        if (opi >= 0) {
            bench_hist_merge(h, w[i].hist[opi]);
        } else {
            for (int k = 0; k < YCSB_OP_COUNT_; k++)
                bench_hist_merge(h, w[i].hist[k]);
        }
    }
    if (h->count == 0 && opi >= 0) {
        free(h);
        return;
    }
    bench_oprow *row = &r->row[r->nrows++];
    row->phase = phase;
    row->op = op;
    row->count = h->count;
    row->seconds = secs;
    row->hist = h;
}

/* Entries and approximate_memory_usage summed over the memtables. */
static void engine_memory(engine *e, uint64_t *entries, uint64_t *used)
{
    *entries = 0;
    *used = 0;
    for (size_t i = 0; i < e->ntables; i++) {
        lsmt_memtable_stats st;
        if (lsmt_memtable_stats_get(e->table[i], &st) == LSMT_OK) {
            *entries += st.entries;
            *used += st.memory_used;
        }
    }
}

/* A hint for a memtable that filled up without rotation. */
static const char *full_hint(const bench_config *cfg, const char *msg)
{
    return !cfg->memtable_size && strstr(msg, "FULL") != NULL
               ? " (the single memtable is full: use --memtable-size to rotate memtables)"
               : "";
}

/* Load + run phases of a YCSB workload into `r`. 0, or 1 after one stderr line. */
static int run_ycsb(const bench_config *cfg, bench_report *r)
{
    const unsigned T = cfg->threads;
    static ycsb_shared sh; /* large, zeroed */
    sh.cfg = cfg;
    sh.wl = ycsb_workload_get(cfg->ycsb);
    const double ins = sh.wl->proportion[YCSB_INSERT];
    /* YCSB: expected new keys = operationcount * insertproportion * 2; with --duration
     * the operation count is unknown: assume --records operations. */
    sh.expected_new = (uint64_t)((double)(cfg->ops ? cfg->ops : cfg->records) * ins * 2.0);
    if (ycsb_ack_counter_init(&sh.ack, cfg->records) != 0) {
        fprintf(stderr, "memtable-bench: out of memory\n");
        return 1;
    }
    static engine eng;
    size_t per = (cfg->key_size ? cfg->key_size : 24) + cfg->value_size + 64;
    lsmt_status s = engine_init(&eng, cfg, (uint64_t)per * cfg->records);
    if (s != LSMT_OK) {
        fprintf(stderr, "memtable-bench: lsmt_memtable_create: %s\n", lsmt_status_str(s));
        return 1;
    }
    sh.eng = &eng;
    worker *w = calloc(T, sizeof *w);
    if (w == NULL)
        return 1;
    for (unsigned i = 0; i < T; i++) {
        w[i].sh = &sh;
        w[i].tid = i;
        bench_rng_seed(&w[i].rng, cfg->seed, i);
        if (ycsb_keychooser_init(&w[i].kc, cfg->dist, cfg->records, sh.expected_new, cfg->theta) !=
            0) {
            fprintf(stderr, "memtable-bench: bad key chooser parameters\n");
            return 1;
        }
        w[i].value = malloc(cfg->value_size + 8);
        if (w[i].value == NULL)
            return 1;
        for (size_t b = 0; b < cfg->value_size; b++)
            w[i].value[b] = (unsigned char)(b + i);
        for (int k = 0; k < YCSB_OP_COUNT_; k++)
            if ((w[i].hist[k] = hist_new()) == NULL)
                return 1;
    }

    /* load phase */
    uint64_t rss0 = bench_rss(), f0 = bench_minflt();
    double load_s = run_phase(&sh, w, 0);
    uint64_t f1 = bench_minflt(), rss1 = bench_rss();
    /* relaxed: after the joins */
    if (atomic_load_explicit(&sh.failed, memory_order_relaxed)) {
        fprintf(stderr, "memtable-bench: %s%s\n", sh.fail_msg, full_hint(cfg, sh.fail_msg));
        return 1;
    }
    add_row(r, "load", "INSERT", w, T, YCSB_INSERT, load_s);
    uint64_t entries, used;
    engine_memory(&eng, &entries, &used);
    char note[120];
    snprintf(note, sizeof note, "%llu entries, %.1f MiB (approximate_memory_usage)",
             (unsigned long long)entries, (double)used / 1048576.0);
    bench_report_metric(r, "load-memtable-bytes-per-entry", T,
                        entries ? (double)used / (double)entries : 0, "B/entry", note);
    bench_report_metric(r, "load-rss-bytes-per-record", T,
                        (double)(rss1 > rss0 ? rss1 - rss0 : 0) / (double)cfg->records, "B/record",
                        "resident set growth during the load / records");
    bench_report_metric(r, "load-minflt-per-op", T, (double)(f1 - f0) / (double)cfg->records,
                        "faults/op", "minor page faults (getrusage), whole process");

    /* run phase */
    for (unsigned i = 0; i < T; i++)
        for (int k = 0; k < YCSB_OP_COUNT_; k++)
            bench_hist_reset(w[i].hist[k]);
    pthread_mutex_lock(&eng.lock);
    uint64_t rot0 = eng.rotations;
    pthread_mutex_unlock(&eng.lock);
    f0 = bench_minflt();
    double run_s = run_phase(&sh, w, 1);
    f1 = bench_minflt();
    /* relaxed: after the joins */
    if (atomic_load_explicit(&sh.failed, memory_order_relaxed)) {
        fprintf(stderr, "memtable-bench: %s%s\n", sh.fail_msg, full_hint(cfg, sh.fail_msg));
        return 1;
    }
    for (int k = 0; k < YCSB_OP_COUNT_; k++)
        add_row(r, "run", ycsb_op_name((ycsb_op)k), w, T, k, run_s);
    add_row(r, "run", "TOTAL", w, T, -1, run_s);
    uint64_t run_ops = r->row[r->nrows - 1].count, misses = 0;
    for (unsigned i = 0; i < T; i++)
        misses += w[i].read_miss;
    bench_report_metric(r, "run-minflt-per-op", T,
                        run_ops ? (double)(f1 - f0) / (double)run_ops : 0, "faults/op",
                        "minor page faults (getrusage), whole process");
    bench_report_metric(r, "run-read-misses", T, (double)misses, "count",
                        cfg->memtable_size ? "reads of keys only in flushed memtables "
                                             "(an engine reads them from SSTables)"
                                           : "must be 0: every acknowledged key is present");
    engine_memory(&eng, &entries, &used);
    snprintf(note, sizeof note, "%llu versions in the memtables at the end",
             (unsigned long long)entries);
    bench_report_metric(r, "end-memtable-bytes-per-entry", T,
                        entries ? (double)used / (double)entries : 0, "B/entry", note);
    pthread_mutex_lock(&eng.lock);
    uint64_t rotations = eng.rotations - rot0, stalls = eng.stalls;
    double stall_ms = (double)eng.stall_ns / 1e6;
    uint64_t flushed = eng.flushed_entries;
    lsmt_status ferr = eng.error;
    pthread_mutex_unlock(&eng.lock);
    if (cfg->memtable_size) {
        bench_report_metric(r, "run-rotations", T, (double)rotations, "count",
                            "memtables frozen, flush-scanned, reset_all and reused");
        snprintf(note, sizeof note, "%llu stalls; %llu entries flush-scanned in total",
                 (unsigned long long)stalls, (unsigned long long)flushed);
        bench_report_metric(r, "write-stall-ms", T, stall_ms, "ms", note);
    }
    int rc = 0;
    if (ferr != LSMT_OK) {
        fprintf(stderr, "memtable-bench: flush/reset: %s\n", lsmt_status_str(ferr));
        rc = 1;
    }
    if (!cfg->memtable_size && misses != 0) {
        fprintf(stderr, "memtable-bench: %llu reads missed acknowledged keys\n",
                (unsigned long long)misses);
        rc = 1;
    }
    engine_destroy(&eng);
    for (unsigned i = 0; i < T; i++) {
        for (int k = 0; k < YCSB_OP_COUNT_; k++)
            free(w[i].hist[k]);
        free(w[i].value);
    }
    free(w);
    ycsb_ack_counter_destroy(&sh.ack);
    return rc;
}

/* ---- output ---------------------------------------------------------------------- */

static const double k_pcts[] = {50, 90, 99, 99.9};

/* The "params" object: every flag value, so the run can be repeated. */
static void print_params_json(const bench_config *c)
{
    printf("  \"params\": {\"workload\": \"%s\", \"threads\": %u, \"records\": %llu, "
           "\"ops\": %llu, \"duration_s\": %g, \"key_size\": %zu, \"value_size\": %zu, "
           "\"distribution\": \"%s\", \"theta\": %g, \"scan_length\": %u, \"seed\": %llu, "
           "\"bloom_bits_per_key\": %u, \"shards\": %zu, \"huge_pages\": %s, "
           "\"memtable_size\": %zu, \"cycles\": %u, \"rounds\": %u, \"w8_kind\": \"%s\"},\n",
           c->workload, c->threads, (unsigned long long)c->records, (unsigned long long)c->ops,
           c->ops ? 0.0 : c->duration, c->key_size, c->value_size, dist_name(c->dist), c->theta,
           c->scan_length, (unsigned long long)c->seed, c->bloom, c->shards,
           c->huge_pages ? "true" : "false", c->memtable_size, c->cycles, c->rounds,
           w8_kind_name(c->w8kind));
}

/* Print `s` as a JSON string literal. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* The report as one JSON object (tool, version, params, ops, metrics). */
static void print_json(const bench_config *c, const bench_report *r)
{
    printf("{\n  \"tool\": \"memtable-bench\",\n  \"lsmt_version\": \"%d.%d.%d\",\n",
           lsmt_version() / 10000, lsmt_version() / 100 % 100, lsmt_version() % 100);
    print_params_json(c);
    printf("  \"ops\": [");
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_oprow *o = &r->row[i];
        printf("%s\n    {\"phase\": \"%s\", \"op\": \"%s\", \"count\": %llu, "
               "\"seconds\": %.6f, \"ops_per_sec\": %.1f, \"mean_ns\": %.1f, \"min_ns\": %llu",
               i ? "," : "", o->phase, o->op, (unsigned long long)o->count, o->seconds,
               o->seconds > 0 ? (double)o->count / o->seconds : 0, bench_hist_mean(o->hist),
               (unsigned long long)(o->count ? o->hist->min : 0));
        printf(", \"p50_ns\": %llu, \"p90_ns\": %llu, \"p99_ns\": %llu, \"p99_9_ns\": %llu"
               ", \"max_ns\": %llu}",
               (unsigned long long)bench_hist_value_at(o->hist, 50),
               (unsigned long long)bench_hist_value_at(o->hist, 90),
               (unsigned long long)bench_hist_value_at(o->hist, 99),
               (unsigned long long)bench_hist_value_at(o->hist, 99.9),
               (unsigned long long)o->hist->max);
    }
    printf("%s],\n  \"metrics\": [", r->nrows ? "\n  " : "");
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_string(m->name);
        printf(", \"threads\": %u, \"value\": %.6g, \"unit\": ", m->threads,
               isfinite(m->value) ? m->value : 0.0);
        json_string(m->unit);
        printf(", \"note\": ");
        json_string(m->note);
        printf("}");
    }
    printf("%s]\n}\n", r->nmetrics ? "\n  " : "");
}

/* The report as CSV: one row per (phase, op) and per metric; header first. */
static void print_csv(const bench_config *c, const bench_report *r)
{
    printf("workload,threads,phase,name,value,unit,count,mean_ns,p50_ns,p90_ns,p99_ns,"
           "p99_9_ns,max_ns,seed\n");
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_oprow *o = &r->row[i];
        printf("%s,%u,%s,%s,%.1f,ops/s,%llu,%.1f,%llu,%llu,%llu,%llu,%llu,%llu\n", c->workload,
               c->threads, o->phase, o->op, o->seconds > 0 ? (double)o->count / o->seconds : 0,
               (unsigned long long)o->count, bench_hist_mean(o->hist),
               (unsigned long long)bench_hist_value_at(o->hist, 50),
               (unsigned long long)bench_hist_value_at(o->hist, 90),
               (unsigned long long)bench_hist_value_at(o->hist, 99),
               (unsigned long long)bench_hist_value_at(o->hist, 99.9),
               (unsigned long long)o->hist->max, (unsigned long long)c->seed);
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("%s,%u,metric,%s,%.6g,%s,,,,,,,,%llu\n", c->workload, m->threads, m->name, m->value,
               m->unit, (unsigned long long)c->seed);
    }
}

/* A latency for the text table: ns, us or ms. */
static void fmt_ns(char *buf, size_t n, double ns)
{
    if (ns < 10000)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e7)
        snprintf(buf, n, "%.1fus", ns / 1e3);
    else
        snprintf(buf, n, "%.1fms", ns / 1e6);
}

/* The report as a readable table, with the parameters and a repeat command. */
static void print_text(const bench_config *c, const bench_report *r)
{
    printf("memtable-bench (lsmt %d.%d.%d)  workload %s", LSMT_VERSION_MAJOR, LSMT_VERSION_MINOR,
           LSMT_VERSION_PATCH, c->workload);
    if (c->ycsb) {
        const ycsb_workload *wl = ycsb_workload_get(c->ycsb);
        printf(" (");
        const char *sep = "";
        for (int k = 0; k < YCSB_OP_COUNT_; k++)
            if (wl->proportion[k] > 0) {
                printf("%s%s %.0f%%", sep, ycsb_op_name((ycsb_op)k), wl->proportion[k] * 100);
                sep = ", ";
            }
        printf("; %s", dist_name(c->dist));
        if (c->dist != YCSB_DIST_UNIFORM)
            printf(" theta %g", c->theta);
        printf(")");
    }
    printf("\n  threads %u  records %llu  ", c->threads, (unsigned long long)c->records);
    if (c->ops)
        printf("ops %llu", (unsigned long long)c->ops);
    else
        printf("duration %gs", c->duration);
    printf("  key %s  value %zu B  bloom %u  shards %zu  huge-pages %s  memtable-size %zu\n",
           c->key_size ? "binary" : "user<n>", c->value_size, c->bloom, c->shards,
           c->huge_pages ? "on" : "off", c->memtable_size);
    printf("  seed %llu  (repeat: memtable-bench --workload %s --threads %u --records %llu",
           (unsigned long long)c->seed, c->workload, c->threads, (unsigned long long)c->records);
    if (c->ops)
        printf(" --ops %llu", (unsigned long long)c->ops);
    else
        printf(" --duration %g", c->duration);
    printf(" --key-size %zu --value-size %zu --distribution %s --theta %g --scan-length %u"
           " --bloom %u --shards %zu --huge-pages %s --memtable-size %zu --seed %llu",
           c->key_size, c->value_size, dist_name(c->dist), c->theta, c->scan_length, c->bloom,
           c->shards, c->huge_pages ? "on" : "off", c->memtable_size, (unsigned long long)c->seed);
    if (c->micro >= 1 && c->micro <= 6)
        printf(" --rounds %u", c->rounds);
    if (c->micro >= 1 && c->micro <= 4 && c->batch > 1)
        printf(" --batch %u", c->batch);
    else if (c->micro == 7)
        printf(" --cycles %u", c->cycles);
    else if (c->micro == 8)
        printf(" --w8-kind %s", w8_kind_name(c->w8kind));
    printf(")\n\n");
    if (r->nrows) {
        printf("%-5s %-18s %12s %12s %9s %9s %9s %9s %9s %9s\n", "phase", "operation", "count",
               "ops/s", "mean", "p50", "p90", "p99", "p99.9", "max");
        for (size_t i = 0; i < r->nrows; i++) {
            const bench_oprow *o = &r->row[i];
            char cell[6][16];
            fmt_ns(cell[0], 16, bench_hist_mean(o->hist));
            for (int k = 0; k < 4; k++)
                fmt_ns(cell[k + 1], 16, (double)bench_hist_value_at(o->hist, k_pcts[k]));
            fmt_ns(cell[5], 16, (double)o->hist->max);
            printf("%-5s %-18s %12llu %12.0f %9s %9s %9s %9s %9s %9s\n", o->phase, o->op,
                   (unsigned long long)o->count, o->seconds > 0 ? (double)o->count / o->seconds : 0,
                   cell[0], cell[1], cell[2], cell[3], cell[4], cell[5]);
        }
        printf("\n");
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("  %-32s %2uT %14.4g %-10s %s\n", m->name, m->threads, m->value, m->unit, m->note);
    }
}

int main(int argc, char **argv)
{
    bench_config cfg;
    parse_args(argc, argv, &cfg);
    static bench_report rep;
    int rc = cfg.micro ? bench_run_micro(&cfg, &rep) : run_ycsb(&cfg, &rep);
    if (rc != 0)
        return 1;
    switch (cfg.format) {
    case BENCH_JSON:
        print_json(&cfg, &rep);
        break;
    case BENCH_CSV:
        print_csv(&cfg, &rep);
        break;
    default:
        print_text(&cfg, &rep);
        break;
    }
    for (size_t i = 0; i < rep.nrows; i++)
        free(rep.row[i].hist);
    return fflush(stdout) == 0 ? 0 : 1;
}
