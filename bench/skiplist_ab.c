/* skiplist-ab: one driver for two versions of the skip list, so that an A/B between
 * them measures the library and nothing else (bench/run_skiplist_ab.sh builds it against
 * this tree and against an older commit, then runs the two binaries in turn).
 *
 * skiplist-bench's own loops change with the library (key shapes, entry accessors); this
 * file uses only calls that both versions have and generates keys inline, the same way
 * for both. It fills one list with N random16 keys (WORKLOADS.md: BE64(splitmix64(i)) ++
 * BE64(i)) and 100-byte values on one thread (W1), and another with N ascending keys
 * (BE64(0) ++ BE64(i): W6); then per round: N gets of present keys (W3), N gets of absent
 * keys (W4), N gets through seek_batch 32 at a time (B32), and a full scan reading each
 * entry's first value byte (W5). It prints one line per figure, W1 and W6 only with the
 * first round's:
 *     W1 <Mops/s>  W6 <Mops/s>  W3 <Mops/s>  W4 <Mops/s>  B32 <Mops/s>  W5 <ns/entry>
 *
 * Built with -DAB_PRE_0_7 it compiles against the API before the 0.7 reshape (issue 12):
 * the sharded concurrent arena was lsmt_carena, lsmt_skiplist_insert took no hint and a
 * node's value came from lsmt_skiplist_node_value. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lsmt/arena.h"
#include "lsmt/skiplist.h"

#ifdef AB_PRE_0_7
typedef lsmt_carena ab_arena;
typedef lsmt_carena_options ab_arena_options;
#define ab_arena_options_default    lsmt_carena_options_default
#define ab_arena_create             lsmt_carena_create
#define ab_arena_destroy            lsmt_carena_destroy
#define ab_insert(sl, k, kl, v, vl) lsmt_skiplist_insert(sl, k, kl, 0, v, vl)
static unsigned ab_value0(const lsmt_skiplist_node *n)
{
    return ((const unsigned char *)lsmt_skiplist_node_value(n, NULL))[0];
}
#else
typedef lsmt_sharded_arena ab_arena;
typedef lsmt_sharded_arena_options ab_arena_options;
#define ab_arena_options_default    lsmt_sharded_arena_options_default
#define ab_arena_create             lsmt_sharded_arena_create
#define ab_arena_destroy            lsmt_sharded_arena_destroy
#define ab_insert(sl, k, kl, v, vl) lsmt_skiplist_insert(sl, NULL, k, kl, 0, v, vl)
static unsigned ab_value0(const lsmt_skiplist_node *n)
{
    lsmt_skiplist_entry e;
    lsmt_skiplist_node_entry(n, &e);
    return ((const unsigned char *)e.value)[0];
}
#endif

#define KEY_LEN 16
#define VAL_LEN 100
#define BATCH   32

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int b = 7; b >= 0; b--, v >>= 8)
        p[b] = (unsigned char)(v & 0xff);
}

static void make_key(unsigned char *k, uint64_t i)
{
    put_be64(k, splitmix64(i));
    put_be64(k + 8, i);
}

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "skiplist-ab: %s\n", what);
    exit(1);
}

static volatile uint64_t g_sink;

/* N single gets of key(probe(t) + off), round r's own order; returns the number found. */
static uint64_t gets(const lsmt_skiplist *sl, uint64_t n, uint64_t off, int r)
{
    unsigned char k[KEY_LEN];
    uint64_t found = 0, sink = 0;
    for (uint64_t t = 0; t < n; t++) {
        make_key(k, splitmix64(t ^ 0xABCDEFull * (uint64_t)(r + 1)) % n + off);
        const lsmt_skiplist_node *x = lsmt_skiplist_find(sl, k, KEY_LEN, 0);
        if (x != NULL) {
            found++;
            sink += ab_value0(x);
        }
    }
    g_sink += sink;
    return found;
}

/* The same present keys through seek_batch, BATCH per call; returns the number found. */
static uint64_t batch_gets(const lsmt_skiplist *sl, uint64_t n, int r)
{
    unsigned char k[BATCH][KEY_LEN];
    const void *kp[BATCH];
    size_t kl[BATCH];
    uint64_t vers[BATCH] = {0};
    const lsmt_skiplist_node *out[BATCH];
    uint64_t found = 0, sink = 0;
    for (int b = 0; b < BATCH; b++) {
        kp[b] = k[b];
        kl[b] = KEY_LEN;
    }
    for (uint64_t t = 0; t < n; t += BATCH) {
        size_t nb = n - t < BATCH ? (size_t)(n - t) : BATCH;
        for (size_t b = 0; b < nb; b++)
            make_key(k[b], splitmix64((t + b) ^ 0xABCDEFull * (uint64_t)(r + 1)) % n);
        if (lsmt_skiplist_seek_batch(sl, nb, kp, kl, vers, out) != LSMT_OK)
            die("seek_batch");
        for (size_t b = 0; b < nb; b++)
            if (out[b] != NULL) {
                found++;
                sink += ab_value0(out[b]);
            }
    }
    g_sink += sink;
    return found;
}

static uint64_t scan(const lsmt_skiplist *sl)
{
    lsmt_skiplist_iter it;
    uint64_t c = 0, sink = 0;
    lsmt_skiplist_iter_init(&it, sl);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        sink += ab_value0(lsmt_skiplist_iter_node(&it));
        c++;
    }
    g_sink += sink;
    return c;
}

/* A list in a fresh arena sized as skiplist-bench sizes it for 16-byte keys (the finger
 * table follows the arena's capacity). */
static lsmt_skiplist *list_create(uint64_t n, ab_arena **arena)
{
    ab_arena_options ao;
    ab_arena_options_default(&ao);
    ao.capacity = ((size_t)n * 160 + ((size_t)64 << 20)) & ~(((size_t)2 << 20) - 1);
    ao.huge_pages = true;
    if (ab_arena_create(&ao, arena) != LSMT_OK)
        die("arena create");
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = *arena;
    lsmt_skiplist *sl;
    if (lsmt_skiplist_create(&o, &sl) != LSMT_OK)
        die("skiplist create");
    return sl;
}

/* Insert key(i) for i < n (ascending: BE64(0) ++ BE64(i)); returns Mops/s. */
static double fill(lsmt_skiplist *sl, uint64_t n, bool ascending)
{
    unsigned char k[KEY_LEN], v[VAL_LEN];
    memset(v, 7, sizeof v);
    double t0 = now_sec();
    for (uint64_t i = 0; i < n; i++) {
        if (ascending) {
            put_be64(k, 0);
            put_be64(k + 8, i);
        } else {
            make_key(k, i);
        }
        if (ab_insert(sl, k, KEY_LEN, v, VAL_LEN) != LSMT_OK)
            die("insert");
    }
    return (double)n / (now_sec() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 2;
    if (n == 0 || rounds < 1) {
        fprintf(stderr, "usage: %s [N] [rounds]\n", argv[0]);
        return 2;
    }
    ab_arena *a, *aseq;
    lsmt_skiplist *sl = list_create(n, &a), *seq = list_create(n, &aseq);
    printf("W1 %.4f\n", fill(sl, n, false));
    printf("W6 %.4f\n", fill(seq, n, true));
    lsmt_skiplist_destroy(seq);
    ab_arena_destroy(aseq);
    for (int r = 0; r < rounds; r++) {
        double t0 = now_sec();
        if (gets(sl, n, 0, r) != n)
            die("W3 missed keys");
        double t1 = now_sec();
        if (gets(sl, n, n, r) != 0)
            die("W4 found absent keys");
        double t2 = now_sec();
        if (batch_gets(sl, n, r) != n)
            die("B32 missed keys");
        double t3 = now_sec();
        if (scan(sl) != n)
            die("W5 count");
        double t4 = now_sec();
        printf("W3 %.4f\nW4 %.4f\nB32 %.4f\nW5 %.2f\n", (double)n / (t1 - t0) / 1e6,
               (double)n / (t2 - t1) / 1e6, (double)n / (t3 - t2) / 1e6,
               (t4 - t3) * 1e9 / (double)n);
    }
    lsmt_skiplist_destroy(sl);
    ab_arena_destroy(a);
    return 0;
}
