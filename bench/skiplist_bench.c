/* skiplist-bench: W1-W6 of WORKLOADS.md on lsmt_skiplist directly (no memtable), in the
 * output format of the peer harnesses (the peer sources beside the checkout,
 * ../shared/anchors/peers, not part of this repository), so a script can interleave both
 * and report ratios (bench/run_skiplist_vs_peers.sh).
 *
 *   usage: skiplist-bench [-n N] [-r runs] [-k shape] [-H 0|1] [-s shards] [-q] [-o] [-c]
 *     -n  entries (default 1000000)        -r  rounds, median reported (default 5)
 *     -k  key shape: random16 (default; $KEY_SHAPE when set), ycsb, dbbench16, prefix8,
 *         long128 (WORKLOADS.md "Key shapes", bench/keys.h), as the peers' KEY_SHAPE
 *     -H  huge pages on the arena region (default 1)
 *     -s  arena shards (default 0 = CPU count)  -q  only the headline rows
 *     -o  only W1 (cold), W3, W4, W5: quick A/B runs of the search levers
 *     -c  time by process CPU time instead of wall time (A/B runs on a busy machine)
 *
 * Keys are key_S(i) of the shape (random16: BE64(splitmix64(i)) ++ BE64(i)), values 100
 * bytes stored inline after the key, version 0 (bytewise comparator: the prefix path).
 * Every output line ends in shape=<name>, as the peers' do. The headline fill rows
 * (W1-fillrandom, W2-fillrandom-mt, W6-fillseq) follow the peers' protocol
 * (map_driver.hpp): the median of R rounds of which the first fills a fresh arena (cold:
 * every page touched for the first time) and the others refill an arena after
 * lsmt_sharded_arena_reset_all (warm), as the peers' later rounds reuse the memory their
 * allocator got back. "-fresh-arena" rows fill a new arena in every round, "-warm" rows a
 * reused one in every round; each with minor faults per op.
 * Every skip-list and arena call is in the "map under test" section below.
 * Not a test: the numbers go to bench/README.md. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/common.h"
#include "bench/keys.h"
#include "lsmt/arena.h"
#include "lsmt/skiplist.h"

#define KEY_MAX  128 /* the longest key shape (long128) */
#define VAL_LEN  100
#define MAX_RUNS 64
/* keys per seek_batch / nodes per node_insert_batch call in the -batch rows */
#ifndef BATCH
#define BATCH 32
#endif

static bench_keys g_keys = {BENCH_KEY_RANDOM16, 1000000, 0};

static size_t make_key(unsigned char *k, uint64_t i)
{
    return bench_key(&g_keys, i, k);
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
static double median(const double *v, int n)
{
    double med, lo, hi;
    bench_median(v, (size_t)n, &med, &lo, &hi);
    return med;
}
static void report(const char *wl, int threads, const double *v, int n, const char *unit,
                   const char *extra)
{
    double med, lo, hi;
    bench_median(v, (size_t)n, &med, &lo, &hi);
    printf("lsmt_skiplist %s %d %.3f %s min=%.3f max=%.3f n=%d%s%s shape=%s\n", wl, threads, med,
           unit, lo, hi, n, extra ? " " : "", extra ? extra : "",
           bench_key_shape_name(g_keys.shape));
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

/* ---- the map under test: every skip-list and arena call of this file --------------- */

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
    /* node: 16-byte header + 8 per extra level + key + 100, plus slack: 160 bytes for
     * 16-byte keys (the finger table is sized from the capacity: keep it for random16) */
    unsigned char k[KEY_MAX];
    size_t klen = g_keys.shape == BENCH_KEY_YCSB ? 24 : make_key(k, 0);
    size_t per = 144 + klen;
    ao.capacity = ((size_t)N * per + ((size_t)64 << 20)) & ~(((size_t)2 << 20) - 1);
    ao.shard_count = g_shards;
    ao.huge_pages = g_huge != 0;
    lsmt_status st = lsmt_sharded_arena_create(&ao, &m->arena);
    if (st != LSMT_OK)
        die("sharded_arena_create", st);
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
static double map_arena_bytes(bench_map *m)
{
    lsmt_sharded_arena_stats s;
    lsmt_sharded_arena_stats_get(m->arena, &s);
    return (double)s.bytes_allocated;
}
/* Entries of a validated list (exits on a broken one). */
static size_t map_validate(bench_map *m, const char *what)
{
    size_t cnt = 0;
    lsmt_status st = lsmt_skiplist_validate(m->sl, &cnt);
    if (st != LSMT_OK)
        die(what, st);
    return cnt;
}

enum fill_kind { FILL_INSERT, FILL_SERIAL, FILL_HINT };

/* Insert (key, value(i)) at version 0 through `kind`. */
static lsmt_status map_insert(bench_map *m, enum fill_kind kind, lsmt_skiplist_hint *hint,
                              const unsigned char *k, size_t kl, uint64_t i)
{
    if (kind == FILL_SERIAL)
        return lsmt_skiplist_insert_serial(m->sl, k, kl, 0, value_src(i), VAL_LEN);
    return lsmt_skiplist_insert(m->sl, kind == FILL_HINT ? hint : NULL, k, kl, 0, value_src(i),
                                VAL_LEN);
}

/* A node holding key_S(i) and value(i), not yet linked. */
static lsmt_skiplist_node *map_node(bench_map *m, uint64_t i)
{
    unsigned char k[KEY_MAX];
    size_t kl = make_key(k, i);
    lsmt_skiplist_node *node;
    void *kb, *vb;
    lsmt_status st = lsmt_skiplist_node_alloc(m->sl, kl, 0, VAL_LEN, 0, &node, &kb, &vb);
    if (st != LSMT_OK)
        die("node_alloc", st);
    memcpy(kb, k, kl);
    memcpy(vb, value_src(i), VAL_LEN);
    return node;
}

/* Link nb nodes in one call; exits on any failure. */
static void map_insert_nodes(bench_map *m, size_t nb, lsmt_skiplist_node **nodes)
{
    lsmt_status sts[BATCH];
    lsmt_status st = lsmt_skiplist_node_insert_batch(m->sl, nb, nodes, sts);
    if (st != LSMT_OK)
        die("node_insert_batch", st);
    for (size_t b = 0; b < nb; b++)
        if (sts[b] != LSMT_OK)
            die("node_insert_batch entry", sts[b]);
}

/* The first value byte of the node holding exactly key k, or -1. */
static int map_find(bench_map *m, const unsigned char *k, size_t kl)
{
    lsmt_skiplist_entry e;
    if (lsmt_skiplist_node_entry(lsmt_skiplist_find(m->sl, k, kl, 0), &e) != LSMT_OK)
        return -1;
    return ((const unsigned char *)e.value)[0];
}

/* Seek nb keys in one call; out[b] = the first value byte of key b's node, or -1. */
static void map_find_batch(bench_map *m, size_t nb, const void *const *keys, const size_t *klens,
                           int *out)
{
    static const uint64_t versions[BATCH] = {0};
    const lsmt_skiplist_node *nodes[BATCH];
    lsmt_status st = lsmt_skiplist_seek_batch(m->sl, nb, keys, klens, versions, nodes);
    if (st != LSMT_OK)
        die("seek_batch", st);
    for (size_t b = 0; b < nb; b++) {
        lsmt_skiplist_entry e;
        out[b] = lsmt_skiplist_node_entry(nodes[b], &e) == LSMT_OK && e.klen == klens[b] &&
                         memcmp(e.key, keys[b], e.klen) == 0
                     ? ((const unsigned char *)e.value)[0]
                     : -1;
    }
}

/* Walk every node in order, touching the last key and value bytes; *count = nodes. */
static uint64_t map_scan(bench_map *m, uint64_t *count)
{
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, m->sl);
    uint64_t s = 0, c = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        lsmt_skiplist_entry e;
        lsmt_skiplist_node_entry(lsmt_skiplist_iter_node(&it), &e);
        s += ((const unsigned char *)e.key)[e.klen - 1] +
             ((const unsigned char *)e.value)[e.vlen - 1];
        c++;
    }
    *count = c;
    return s;
}

static void map_hint_init(lsmt_skiplist_hint *hint)
{
    lsmt_skiplist_hint_init(hint);
}

/* ---- workloads ------------------------------------------------------------------------- */

static void fill_random(bench_map *m, uint64_t start, uint64_t step, enum fill_kind kind)
{
    unsigned char k[KEY_MAX];
    lsmt_skiplist_hint hint;
    map_hint_init(&hint);
    for (uint64_t i = start; i < N; i += step) {
        size_t kl = make_key(k, i);
        lsmt_status st = map_insert(m, kind, &hint, k, kl, i);
        if (st != LSMT_OK)
            die("fill", st);
    }
}

/* W1 through node_insert_batch, BATCH nodes per call (the "-batch" fill row). */
static void fill_random_batch(bench_map *m)
{
    lsmt_skiplist_node *nodes[BATCH];
    for (uint64_t i = 0; i < N;) {
        size_t nb = 0;
        for (; nb < BATCH && i < N; nb++, i++)
            nodes[nb] = map_node(m, i);
        map_insert_nodes(m, nb, nodes);
    }
}

static void fill_seq(bench_map *m, enum fill_kind kind)
{
    unsigned char k[KEY_MAX];
    lsmt_skiplist_hint hint;
    map_hint_init(&hint);
    for (uint64_t i = 0; i < N; i++) {
        size_t kl = bench_seq_key(&g_keys, i, k);
        lsmt_status st = map_insert(m, kind, &hint, k, kl, i);
        if (st != LSMT_OK)
            die("fillseq", st);
    }
}

static volatile uint64_t g_sink;

static uint64_t read_range(bench_map *m, uint64_t t0, uint64_t t1, uint64_t offset)
{
    unsigned char k[KEY_MAX];
    uint64_t sink = 0, found = 0;
    for (uint64_t t = t0; t < t1; t++) {
        size_t kl = make_key(k, offset + bench_probe(t, N));
        int v = map_find(m, k, kl);
        if (v >= 0) {
            sink += (uint64_t)v;
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
    unsigned char k[BATCH][KEY_MAX];
    const void *keys[BATCH];
    size_t klens[BATCH];
    int vals[BATCH];
    uint64_t sink = 0, found = 0;
    for (int b = 0; b < BATCH; b++)
        keys[b] = k[b];
    for (uint64_t t = t0; t < t1; t += BATCH) {
        size_t nb = t1 - t < BATCH ? (size_t)(t1 - t) : BATCH;
        for (size_t b = 0; b < nb; b++)
            klens[b] = make_key(k[b], offset + bench_probe(t + b, N));
        map_find_batch(m, nb, keys, klens, vals);
        for (size_t b = 0; b < nb; b++)
            if (vals[b] >= 0) {
                sink += (uint64_t)vals[b];
                found++;
            }
    }
    g_sink += sink;
    return found;
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

/* Mops/s of N lookups of key_S(offset + probe(t)) on T threads (T > 1: offset 0), one
 * key per call or BATCH per seek_batch call; exits unless exactly `expect` are found. */
static double timed_reads(bench_map *m, int T, int batch, uint64_t offset, uint64_t expect,
                          const char *what)
{
    uint64_t found;
    double dt;
    if (T == 1) {
        double t0 = now_sec();
        found = (batch ? read_range_batch : read_range)(m, 0, N, offset);
        dt = now_sec() - t0;
    } else {
        dt = run_threads(m, T, batch ? 2 : 1, &found);
    }
    if (found != expect)
        die(what, LSMT_CORRUPT);
    return (double)N / dt / 1e6;
}

static void check_count(bench_map *m, const char *what)
{
    size_t cnt = map_validate(m, what);
    if (cnt != N) {
        fprintf(stderr, "skiplist-bench: %s: %zu entries, expected %llu\n", what, cnt,
                (unsigned long long)N);
        exit(1);
    }
}

/* W2: fill on T threads; *mops and *flt_per_op of the fill, checked. */
static void timed_mt_fill(bench_map *m, int T, double *mops, double *flt_per_op, const char *what)
{
    uint64_t flt0 = bench_minflt();
    double dt = run_threads(m, T, 0, NULL);
    *flt_per_op = (double)(bench_minflt() - flt0) / (double)N;
    *mops = (double)N / dt / 1e6;
    check_count(m, what);
}

int main(int argc, char **argv)
{
    int R = 5, quiet = 0, reads_only = 0, opt;
    const char *shape = getenv("KEY_SHAPE");
    while ((opt = getopt(argc, argv, "n:r:k:H:s:qoc")) != -1) {
        switch (opt) {
        case 'k':
            shape = optarg;
            break;
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
            fprintf(stderr,
                    "usage: %s [-n N] [-r runs] [-k shape] [-H 0|1] [-s shards] [-q] [-o] [-c]\n",
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
    if (shape != NULL && *shape != '\0' && bench_key_shape_parse(shape, &g_keys.shape) != 0) {
        fprintf(stderr,
                "skiplist-bench: key shape '%s': want random16, ycsb, dbbench16, prefix8 "
                "or long128\n",
                shape);
        return 2;
    }
    g_keys.n = N;
    printf("# skiplist-bench N=%llu runs=%d huge_pages=%d shards=%zu shape=%s value=%d clock=%s "
           "(keys: WORKLOADS.md key shapes; no other randomness)\n",
           (unsigned long long)N, R, g_huge, g_shards, bench_key_shape_name(g_keys.shape), VAL_LEN,
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
        long rss0 = (long)bench_rss(), flt0 = (long)bench_minflt();
        double t0 = now_sec();
        fill_random(&m, 0, 1, FILL_INSERT);
        double dt = now_sec() - t0;
        f1[r] = (double)((long)bench_minflt() - flt0) / (double)N;
        w1[r] = (double)N / dt / 1e6;
        if (r == 0) {
            rss_per_entry = (double)((long)bench_rss() - rss0) / (double)N;
            alloc_per_entry = map_arena_bytes(&m) / (double)N;
        }
        check_count(&m, "W1");

        /* W3 readrandom, 1 thread and T threads; W4 readmissing; both through seek_batch */
        w3a[r] = timed_reads(&m, 1, 0, 0, N, "W3 missed keys");
        w3b[r] = timed_reads(&m, T, 0, 0, N, "W3-mt missed keys");
        w4[r] = timed_reads(&m, 1, 0, N, 0, "W4 found absent keys");
        w3ba[r] = timed_reads(&m, 1, 1, 0, N, "W3-batch missed keys");
        w3bb[r] = timed_reads(&m, T, 1, 0, N, "W3-batch-mt missed keys");
        w4b[r] = timed_reads(&m, 1, 1, N, 0, "W4-batch found absent keys");

        /* W5 scan */
        uint64_t cnt;
        t0 = now_sec();
        g_sink += map_scan(&m, &cnt);
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
        flt0 = (long)bench_minflt();
        t0 = now_sec();
        fill_random(&m, 0, 1, FILL_INSERT);
        dt = now_sec() - t0;
        f1w[r] = (double)((long)bench_minflt() - flt0) / (double)N;
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
        flt0 = (long)bench_minflt();
        t0 = now_sec();
        fill_seq(&m, FILL_INSERT);
        w6w[r] = (double)N / (now_sec() - t0) / 1e6;
        f6w[r] = (double)((long)bench_minflt() - flt0) / (double)N;
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
        timed_mt_fill(&m, T, &w2w[r], &f2w[r], "W2-warm");
        map_destroy(&m);

        /* W6 fillseq cold */
        map_create(&m);
        flt0 = (long)bench_minflt();
        t0 = now_sec();
        fill_seq(&m, FILL_INSERT);
        dt = now_sec() - t0;
        f6[r] = (double)((long)bench_minflt() - flt0) / (double)N;
        w6[r] = (double)N / dt / 1e6;
        map_destroy(&m);

        /* W2 fillrandom-mt cold */
        map_create(&m);
        timed_mt_fill(&m, T, &w2[r], &f2[r], "W2");
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
           "allocated / N = %.1f) shape=%s\n",
           rss_per_entry, alloc_per_entry, bench_key_shape_name(g_keys.shape));
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
