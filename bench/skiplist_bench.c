/* skiplist-bench: W1-W6 of shared/anchors/WORKLOADS.md on lsmt_skiplist directly (no
 * memtable), in the output format of the peer harnesses (anchors/peers), so a script can
 * interleave both and report ratios (bench/run_skiplist_vs_peers.sh).
 *
 *   usage: skiplist-bench [-n N] [-r runs] [-H 0|1] [-s shards] [-q] [-o] [-c]
 *     -n  entries (default 1000000)        -r  rounds, median reported (default 5)
 *     -H  huge pages on the arena region (default 1)
 *     -s  arena shards (default 0 = CPU count)  -q  only the headline rows
 *     -o  only W1 (cold), W3, W4, W5: quick A/B runs of the search levers
 *     -c  time by process CPU time instead of wall time (A/B runs on a busy machine)
 *
 * Keys are 16 bytes (BE64(splitmix64(i)) ++ BE64(i)), values 100 bytes stored inline
 * after the key, version 0 (bytewise comparator: the prefix path). The headline fill rows
 * (W1-fillrandom, W2-fillrandom-mt, W6-fillseq) follow the peers' protocol
 * (anchors/peers/map_driver.hpp): the median of R rounds of which the first fills a
 * fresh arena (cold: every page touched for the first time) and the others refill an
 * arena after lsmt_sharded_arena_reset_all (warm), as the peers' later rounds reuse the memory
 * their allocator got back. "-fresh-arena" rows fill a new arena in every round, "-warm"
 * rows a reused one in every round; each with minor faults per op.
 * Not a test: the numbers go to bench/README.md. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lsmt/skiplist.h"

#define KEY_LEN  16
#define VAL_LEN  100
#define MAX_RUNS 64
/* keys per seek_batch / nodes per node_insert_batch call in the -batch rows */
#ifndef BATCH
#define BATCH 32
#endif

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static void put_be64(unsigned char *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}
static void make_key(unsigned char *k, uint64_t i)
{
    put_be64(k, splitmix64(i));
    put_be64(k + 8, i);
}
static void make_seq_key(unsigned char *k, uint64_t i)
{
    put_be64(k, 0);
    put_be64(k + 8, i);
}
static uint64_t probe(uint64_t t, uint64_t n)
{
    return splitmix64(t ^ 0xABCDEFull) % n;
}

static unsigned char g_val[256 + VAL_LEN];
static const unsigned char *value_src(uint64_t i)
{
    return g_val + (i & 0xff);
}

/* Wall time by default; -c: the process's CPU time, for A/B runs of the levers on a busy
 * machine (time the process is descheduled then does not count; cache pollution by
 * other processes still does). */
static clockid_t g_clock = CLOCK_MONOTONIC;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static long minflt_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}
static long rss_bytes(void)
{
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(const double *v, int n)
{
    double s[MAX_RUNS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}
static void report(const char *wl, int threads, const double *v, int n, const char *unit,
                   const char *extra)
{
    double s[MAX_RUNS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    printf("lsmt_skiplist %s %d %.3f %s min=%.3f max=%.3f n=%d%s%s\n", wl, threads, median(v, n),
           unit, s[0], s[n - 1], n, extra ? " " : "", extra ? extra : "");
    fflush(stdout);
}
static void report_flt(const char *wl, int threads, const double *v, const double *f, int n)
{
    char x[64];
    snprintf(x, sizeof x, "minflt/op=%.4f", median(f, n));
    report(wl, threads, v, n, "Mops/s", x);
}

/* The peers' round protocol from two series: round 1 of `fresh`, rounds 2..n of `warm`. */
static void peer_protocol(double *dst, const double *fresh, const double *warm, int n)
{
    dst[0] = fresh[0];
    for (int r = 1; r < n; r++)
        dst[r] = warm[r];
}

static void die(const char *what, lsmt_status st)
{
    fprintf(stderr, "skiplist-bench: %s: %s\n", what, lsmt_status_str(st));
    exit(1);
}

/* ---- the map under test ---------------------------------------------------------------- */

typedef struct bench_map {
    lsmt_sharded_arena *arena;
    lsmt_skiplist *sl;
} bench_map;

static size_t g_shards;
static int g_huge = 1;
static uint64_t N = 1000000;

static void map_create(bench_map *m)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    /* node: 20-byte header + 4 per extra level + 16 + 100, ~137.3 bytes on average */
    ao.capacity = ((size_t)N * 160 + ((size_t)64 << 20)) & ~(((size_t)2 << 20) - 1);
    ao.shard_count = g_shards;
    ao.huge_pages = g_huge != 0;
    lsmt_status st = lsmt_sharded_arena_create(&ao, &m->arena);
    if (st != LSMT_OK)
        die("carena_create", st);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = m->arena;
    st = lsmt_skiplist_create(&o, &m->sl);
    if (st != LSMT_OK)
        die("skiplist_create", st);
}
static void map_reset(bench_map *m)
{
    lsmt_status st = lsmt_sharded_arena_reset_all(m->arena);
    if (st == LSMT_OK)
        st = lsmt_skiplist_reset(m->sl);
    if (st != LSMT_OK)
        die("reset", st);
}
static void map_destroy(bench_map *m)
{
    lsmt_skiplist_destroy(m->sl);
    lsmt_sharded_arena_destroy(m->arena);
}

enum fill_kind { FILL_INSERT, FILL_SERIAL, FILL_HINT };

static void fill_random(bench_map *m, uint64_t start, uint64_t step, enum fill_kind kind)
{
    unsigned char k[KEY_LEN];
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    for (uint64_t i = start; i < N; i += step) {
        make_key(k, i);
        lsmt_status st;
        if (kind == FILL_INSERT)
            st = lsmt_skiplist_insert(m->sl, NULL, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        else if (kind == FILL_SERIAL)
            st = lsmt_skiplist_insert_serial(m->sl, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        else
            st = lsmt_skiplist_insert(m->sl, &hint, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        if (st != LSMT_OK)
            die("fill", st);
    }
}

/* W1 through node_insert_batch, BATCH nodes per call (the "-batch" fill row). */
static void fill_random_batch(bench_map *m)
{
    lsmt_skiplist_node *nodes[BATCH];
    lsmt_status sts[BATCH];
    for (uint64_t i = 0; i < N;) {
        size_t nb = 0;
        for (; nb < BATCH && i < N; nb++, i++) {
            void *kb, *vb;
            lsmt_status st =
                lsmt_skiplist_node_alloc(m->sl, KEY_LEN, 0, VAL_LEN, 0, &nodes[nb], &kb, &vb);
            if (st != LSMT_OK)
                die("node_alloc", st);
            make_key((unsigned char *)kb, i);
            memcpy(vb, value_src(i), VAL_LEN);
        }
        lsmt_status st = lsmt_skiplist_node_insert_batch(m->sl, nb, nodes, sts);
        if (st != LSMT_OK)
            die("node_insert_batch", st);
        for (size_t b = 0; b < nb; b++) {
            if (sts[b] != LSMT_OK)
                die("node_insert_batch entry", sts[b]);
        }
    }
}

static void fill_seq(bench_map *m, enum fill_kind kind)
{
    unsigned char k[KEY_LEN];
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    for (uint64_t i = 0; i < N; i++) {
        make_seq_key(k, i);
        lsmt_status st;
        if (kind == FILL_INSERT)
            st = lsmt_skiplist_insert(m->sl, NULL, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        else if (kind == FILL_SERIAL)
            st = lsmt_skiplist_insert_serial(m->sl, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        else
            st = lsmt_skiplist_insert(m->sl, &hint, k, KEY_LEN, 0, value_src(i), VAL_LEN);
        if (st != LSMT_OK)
            die("fillseq", st);
    }
}

static volatile uint64_t g_sink;

static uint64_t read_range(bench_map *m, uint64_t t0, uint64_t t1, uint64_t offset)
{
    unsigned char k[KEY_LEN];
    uint64_t sink = 0, found = 0;
    for (uint64_t t = t0; t < t1; t++) {
        make_key(k, offset + probe(t, N));
        const lsmt_skiplist_node *n = lsmt_skiplist_find(m->sl, k, KEY_LEN, 0);
        lsmt_skiplist_entry e;
        if (lsmt_skiplist_node_entry(n, &e) == LSMT_OK) {
            sink += ((const unsigned char *)e.value)[0];
            found++;
        }
    }
    g_sink += sink;
    return found;
}

/* The same gets through lsmt_skiplist_seek_batch, BATCH keys per call (the "-batch"
 * rows: what an engine's multi-get does; not the peers' one-at-a-time protocol). */
static uint64_t read_range_batch(bench_map *m, uint64_t t0, uint64_t t1, uint64_t offset)
{
    unsigned char k[BATCH][KEY_LEN];
    const void *keys[BATCH];
    size_t klens[BATCH];
    const lsmt_skiplist_node *out[BATCH];
    const uint64_t versions[BATCH] = {0};
    uint64_t sink = 0, found = 0;
    for (int b = 0; b < BATCH; b++) {
        keys[b] = k[b];
        klens[b] = KEY_LEN;
    }
    for (uint64_t t = t0; t < t1; t += BATCH) {
        size_t nb = t1 - t < BATCH ? (size_t)(t1 - t) : BATCH;
        for (size_t b = 0; b < nb; b++)
            make_key(k[b], offset + probe(t + b, N));
        lsmt_status st = lsmt_skiplist_seek_batch(m->sl, nb, keys, klens, versions, out);
        if (st != LSMT_OK)
            die("seek_batch", st);
        for (size_t b = 0; b < nb; b++) {
            lsmt_skiplist_entry e;
            if (lsmt_skiplist_node_entry(out[b], &e) == LSMT_OK &&
                memcmp(e.key, k[b], KEY_LEN) == 0) {
                sink += ((const unsigned char *)e.value)[0];
                found++;
            }
        }
    }
    g_sink += sink;
    return found;
}

static uint64_t scan(bench_map *m, uint64_t *count)
{
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, m->sl);
    uint64_t s = 0, c = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        lsmt_skiplist_entry e;
        lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it), &e);
        s += ((const unsigned char *)e.key)[15] + ((const unsigned char *)e.value)[99];
        c++;
    }
    *count = c;
    return s;
}

/* ---- threads --------------------------------------------------------------------------- */

typedef struct job {
    bench_map *m;
    int t, T;
    int what; /* 0 = fill (random, insert), 1 = read, 2 = batched read */
    uint64_t found;
    _Atomic int *ready;
    _Atomic int *go;
} job;

static void *job_main(void *p)
{
    job *j = p;
    /* release/acquire: a start line; the main thread times from `go` */
    atomic_fetch_add_explicit(j->ready, 1, memory_order_release);
    while (!atomic_load_explicit(j->go, memory_order_acquire)) {
    }
    if (j->what == 0)
        fill_random(j->m, (uint64_t)j->t, (uint64_t)j->T, FILL_INSERT);
    else
        j->found = (j->what == 1 ? read_range
                                 : read_range_batch)(j->m, N * (uint64_t)j->t / (uint64_t)j->T,
                                                     N * (uint64_t)(j->t + 1) / (uint64_t)j->T, 0);
    return NULL;
}

/* Run `what` on T threads released together; returns wall seconds, *found the total. */
static double run_threads(bench_map *m, int T, int what, uint64_t *found)
{
    pthread_t th[8];
    job jobs[8];
    _Atomic int ready = 0, go = 0;
    for (int t = 0; t < T; t++) {
        jobs[t] = (job){m, t, T, what, 0, &ready, &go};
        if (pthread_create(&th[t], NULL, job_main, &jobs[t]) != 0) {
            fprintf(stderr, "skiplist-bench: pthread_create failed\n");
            exit(1);
        }
    }
    while (atomic_load_explicit(&ready, memory_order_acquire) != T) {
    }
    double t0 = now_sec();
    atomic_store_explicit(&go, 1, memory_order_release);
    uint64_t f = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        f += jobs[t].found;
    }
    if (found)
        *found = f;
    return now_sec() - t0;
}

static void check_count(bench_map *m, const char *what)
{
    size_t cnt = 0;
    lsmt_status st = lsmt_skiplist_validate(m->sl, &cnt);
    if (st != LSMT_OK || cnt != N) {
        fprintf(stderr, "skiplist-bench: %s: validate %s, %zu entries\n", what, lsmt_status_str(st),
                cnt);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int R = 5, quiet = 0, reads_only = 0, opt;
    while ((opt = getopt(argc, argv, "n:r:H:s:qoc")) != -1) {
        switch (opt) {
        case 'n':
            N = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            R = atoi(optarg);
            break;
        case 'H':
            g_huge = atoi(optarg);
            break;
        case 's':
            g_shards = strtoull(optarg, NULL, 10);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'o':
            reads_only = 1; /* W1 (cold), W3, W4, W5 only: for A/B runs of search levers */
            break;
        case 'c':
            g_clock = CLOCK_PROCESS_CPUTIME_ID; /* 2-thread rows then count both CPUs */
            break;
        default:
            fprintf(stderr, "usage: %s [-n N] [-r runs] [-H 0|1] [-s shards] [-q] [-o] [-c]\n",
                    argv[0]);
            return 2;
        }
    }
    if (N < 16 || R < 1 || R > MAX_RUNS) {
        fprintf(stderr, "skiplist-bench: need N >= 16 and 1 <= runs <= %d\n", MAX_RUNS);
        return 2;
    }
    for (int k = 0; k < 256 + VAL_LEN; k++)
        g_val[k] = (unsigned char)(k & 0xff);
    printf("# skiplist-bench N=%llu runs=%d huge_pages=%d shards=%zu key=%d value=%d clock=%s "
           "(keys: splitmix64, WORKLOADS.md; no other randomness)\n",
           (unsigned long long)N, R, g_huge, g_shards, KEY_LEN, VAL_LEN,
           g_clock == CLOCK_MONOTONIC ? "wall" : "process-cpu");
    const int T = 2;
    double w1[MAX_RUNS], f1[MAX_RUNS], w1w[MAX_RUNS], f1w[MAX_RUNS], w1s[MAX_RUNS], w1h[MAX_RUNS],
        w2[MAX_RUNS], f2[MAX_RUNS], w2w[MAX_RUNS], f2w[MAX_RUNS], w3a[MAX_RUNS], w3b[MAX_RUNS],
        w1b[MAX_RUNS], w3ba[MAX_RUNS], w3bb[MAX_RUNS], w4b[MAX_RUNS], w4[MAX_RUNS], w5[MAX_RUNS],
        w6[MAX_RUNS], f6[MAX_RUNS], w6w[MAX_RUNS], w6h[MAX_RUNS], w6s[MAX_RUNS], f6w[MAX_RUNS];
    double rss_per_entry = 0, alloc_per_entry = 0;
    for (int r = 0; r < R; r++) {
        bench_map m;
        /* W1 fillrandom, cold: a fresh arena, every page touched for the first time */
        map_create(&m);
        long rss0 = rss_bytes(), flt0 = minflt_now();
        double t0 = now_sec();
        fill_random(&m, 0, 1, FILL_INSERT);
        double dt = now_sec() - t0;
        f1[r] = (double)(minflt_now() - flt0) / (double)N;
        w1[r] = (double)N / dt / 1e6;
        if (r == 0) {
            rss_per_entry = (double)(rss_bytes() - rss0) / (double)N;
            lsmt_sharded_arena_stats as;
            alloc_per_entry = lsmt_sharded_arena_stats_get(m.arena, &as) == LSMT_OK
                                  ? (double)as.bytes_allocated / (double)N
                                  : 0;
        }
        check_count(&m, "W1");

        /* W3 readrandom, 1 thread and T threads */
        uint64_t found;
        t0 = now_sec();
        found = read_range(&m, 0, N, 0);
        dt = now_sec() - t0;
        if (found != N)
            die("W3 missed keys", LSMT_CORRUPT);
        w3a[r] = (double)N / dt / 1e6;
        dt = run_threads(&m, T, 1, &found);
        if (found != N)
            die("W3-mt missed keys", LSMT_CORRUPT);
        w3b[r] = (double)N / dt / 1e6;

        /* W4 readmissing */
        t0 = now_sec();
        found = read_range(&m, 0, N, N);
        dt = now_sec() - t0;
        if (found != 0)
            die("W4 found absent keys", LSMT_CORRUPT);
        w4[r] = (double)N / dt / 1e6;

        /* W3 and W4 again through seek_batch */
        t0 = now_sec();
        found = read_range_batch(&m, 0, N, 0);
        dt = now_sec() - t0;
        if (found != N)
            die("W3-batch missed keys", LSMT_CORRUPT);
        w3ba[r] = (double)N / dt / 1e6;
        dt = run_threads(&m, T, 2, &found);
        if (found != N)
            die("W3-batch-mt missed keys", LSMT_CORRUPT);
        w3bb[r] = (double)N / dt / 1e6;
        t0 = now_sec();
        found = read_range_batch(&m, 0, N, N);
        dt = now_sec() - t0;
        if (found != 0)
            die("W4-batch found absent keys", LSMT_CORRUPT);
        w4b[r] = (double)N / dt / 1e6;

        /* W5 scan */
        uint64_t cnt;
        t0 = now_sec();
        g_sink += scan(&m, &cnt);
        dt = now_sec() - t0;
        if (cnt != N)
            die("W5 count", LSMT_CORRUPT);
        w5[r] = dt * 1e9 / (double)N;

        if (reads_only) {
            map_destroy(&m);
            continue;
        }
        /* W1 again, warm: the same arena after reset_all (pages resident) */
        map_reset(&m);
        flt0 = minflt_now();
        t0 = now_sec();
        fill_random(&m, 0, 1, FILL_INSERT);
        dt = now_sec() - t0;
        f1w[r] = (double)(minflt_now() - flt0) / (double)N;
        w1w[r] = (double)N / dt / 1e6;
        /* W1 warm through insert_serial and insert_hint */
        map_reset(&m);
        t0 = now_sec();
        fill_random(&m, 0, 1, FILL_SERIAL);
        w1s[r] = (double)N / (now_sec() - t0) / 1e6;
        map_reset(&m);
        t0 = now_sec();
        fill_random(&m, 0, 1, FILL_HINT);
        w1h[r] = (double)N / (now_sec() - t0) / 1e6;
        check_count(&m, "W1-hint");
        map_reset(&m);
        t0 = now_sec();
        fill_random_batch(&m);
        w1b[r] = (double)N / (now_sec() - t0) / 1e6;
        check_count(&m, "W1-batch");

        /* W6 fillseq warm: insert, insert_hint, insert_serial */
        map_reset(&m);
        flt0 = minflt_now();
        t0 = now_sec();
        fill_seq(&m, FILL_INSERT);
        w6w[r] = (double)N / (now_sec() - t0) / 1e6;
        f6w[r] = (double)(minflt_now() - flt0) / (double)N;
        check_count(&m, "W6");
        map_reset(&m);
        t0 = now_sec();
        fill_seq(&m, FILL_HINT);
        w6h[r] = (double)N / (now_sec() - t0) / 1e6;
        map_reset(&m);
        t0 = now_sec();
        fill_seq(&m, FILL_SERIAL);
        w6s[r] = (double)N / (now_sec() - t0) / 1e6;
        check_count(&m, "W6-serial");

        /* W2 fillrandom-mt warm (T threads, thread t inserts t, t+T, ...) */
        map_reset(&m);
        flt0 = minflt_now();
        dt = run_threads(&m, T, 0, NULL);
        f2w[r] = (double)(minflt_now() - flt0) / (double)N;
        w2w[r] = (double)N / dt / 1e6;
        check_count(&m, "W2-warm");
        map_destroy(&m);

        /* W6 fillseq cold */
        map_create(&m);
        flt0 = minflt_now();
        t0 = now_sec();
        fill_seq(&m, FILL_INSERT);
        dt = now_sec() - t0;
        f6[r] = (double)(minflt_now() - flt0) / (double)N;
        w6[r] = (double)N / dt / 1e6;
        map_destroy(&m);

        /* W2 fillrandom-mt cold */
        map_create(&m);
        flt0 = minflt_now();
        dt = run_threads(&m, T, 0, NULL);
        f2[r] = (double)(minflt_now() - flt0) / (double)N;
        w2[r] = (double)N / dt / 1e6;
        check_count(&m, "W2");
        map_destroy(&m);
    }
    /* the peers' protocol: round 1 fresh, rounds 2..R reused (reads-only runs have no
     * warm fills: their W1 is the fresh series) */
    double p1[MAX_RUNS], pf1[MAX_RUNS], p2[MAX_RUNS], pf2[MAX_RUNS], p6[MAX_RUNS], pf6[MAX_RUNS];
    peer_protocol(p1, w1, reads_only ? w1 : w1w, R);
    peer_protocol(pf1, f1, reads_only ? f1 : f1w, R);
    if (!reads_only) {
        peer_protocol(p2, w2, w2w, R);
        peer_protocol(pf2, f2, f2w, R);
        peer_protocol(p6, w6, w6w, R);
        peer_protocol(pf6, f6, f6w, R);
    }
    report_flt("W1-fillrandom", 1, p1, pf1, R);
    printf("lsmt_skiplist W1-rss 1 %.1f bytes/entry (RSS delta / N, first round; arena bytes "
           "allocated / N = %.1f)\n",
           rss_per_entry, alloc_per_entry);
    if (!reads_only)
        report_flt("W2-fillrandom-mt", T, p2, pf2, R);
    report("W3-readrandom", 1, w3a, R, "Mops/s", NULL);
    report("W3-readrandom", T, w3b, R, "Mops/s", NULL);
    report("W4-readmissing", 1, w4, R, "Mops/s", NULL);
    report("W3-readrandom-batch32", 1, w3ba, R, "Mops/s", NULL);
    report("W3-readrandom-batch32", T, w3bb, R, "Mops/s", NULL);
    report("W4-readmissing-batch32", 1, w4b, R, "Mops/s", NULL);
    report("W5-scan", 1, w5, R, "ns/entry", NULL);
    if (reads_only)
        return 0;
    report_flt("W6-fillseq", 1, p6, pf6, R);
    report("W1-fillrandom-batch32-warm", 1, w1b, R, "Mops/s", NULL);
    report_flt("W1-fillrandom-fresh-arena", 1, w1, f1, R);
    report_flt("W2-fillrandom-mt-fresh-arena", T, w2, f2, R);
    report_flt("W6-fillseq-fresh-arena", 1, w6, f6, R);
    if (!quiet) {
        report_flt("W1-fillrandom-warm", 1, w1w, f1w, R);
        report("W1-fillrandom-serial-warm", 1, w1s, R, "Mops/s", NULL);
        report("W1-fillrandom-hint-warm", 1, w1h, R, "Mops/s", NULL);
        report_flt("W2-fillrandom-mt-warm", T, w2w, f2w, R);
        report("W6-fillseq-warm", 1, w6w, R, "Mops/s", NULL);
        report("W6-fillseq-hint-warm", 1, w6h, R, "Mops/s", NULL);
        report("W6-fillseq-serial-warm", 1, w6s, R, "Mops/s", NULL);
    }
    return 0;
}
