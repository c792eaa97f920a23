/* memtable-ab: two versions of the memtable in ONE process, run round by round in turn,
 * so that an A/B between them measures the library and nothing else.
 *
 * Why one process: on these shared VMs a process's speed drifts by up to 1.7x over
 * seconds (the same binary's W6 rounds read 20, then 12 Mops/s), so two binaries run one
 * after the other compare machine phases as much as code. Here round i of the old
 * library and round i of the new one run back to back (~0.1 s apart, the order
 * alternating), each on its own memtable.
 *
 * bench/run_ab.sh memtable builds it: the per-side part of this file (-DAB_SIDE) is
 * compiled against each tree's headers and linked with that tree's liblsmt.a into one
 * relocatable object (ld -r) whose hidden symbols are made local and whose global ones
 * get a prefix, old_ or new_; main (compiled without AB_SIDE) calls old_ab_side_impl and
 * new_ab_side_impl. CMake builds it with -DAB_SELF: both sides this tree's library (the
 * method's noise floor), so that it keeps compiling.
 *
 * It uses only calls every version since 0.6 has (options default, create, put, get,
 * the iterator, reset_all, destroy) and generates keys inline, the same way for both
 * (memtable-bench's loops change with the library: key shapes, the table.c forwards).
 * Each side has one memtable with default options, sized as memtable-bench sizes it (room for N
 * entries, the bloom filter for N keys), used on one thread; values are 100 bytes:
 *   - W6: R rounds of (N ascending keys BE64(0) ++ BE64(i), reset_all);
 *   - W1: R rounds of (N random16 keys BE64(splitmix64(i)) ++ BE64(i), then N gets of
 *     present keys in a round-dependent order (W3), a full scan with the internal
 *     iterator (W5), reset_all).
 * W6's round 1 writes memory first touched in this process (page faults, THP zeroing);
 * every later round reuses it, as an engine's reused memtable does. Output, one line
 * per round and figure:  <row> <round> <old Mops/s> <new Mops/s>  (rows W6, W1, W3,
 * W5; W5 in M entries/s).
 * Usage: memtable-ab [N] [rounds] [all|W6|W1]   (W1 also runs W3 and W5; default
 *        1000000 8 all) */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AB_DRIVER "memtable"
#include "ab.h"

/* One side: a memtable and the three timed loops on it. */
typedef struct ab_side {
    void *(*create)(uint64_t n);
    double (*fill)(void *mt, uint64_t n, int ascending); /* Mops/s */
    double (*gets)(void *mt, uint64_t n, int round);     /* Mops/s */
    double (*scan)(void *mt, uint64_t n);                /* M entries/s */
    void (*reset)(void *mt);
    void (*destroy)(void *mt);
} ab_side;

#define KEY_LEN 16
#define VAL_LEN 100

#if defined(AB_SIDE) || defined(AB_SELF)
/* ---- one side, compiled against one tree's headers ---------------------------------- */
#include "lsmt/memtable.h"

static void check(lsmt_status st, const char *what)
{
    if (st != LSMT_OK) {
        fprintf(stderr, "memtable-ab: %s: %s\n", what, lsmt_status_str(st));
        exit(1);
    }
}

static void *side_create(uint64_t n)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = (size_t)n * (KEY_LEN + VAL_LEN + 64) + ((size_t)64 << 20);
    o.hard_limit = o.write_buffer_size + o.write_buffer_size / 4;
    o.bloom_expected_keys = n;
    lsmt_memtable *mt;
    check(lsmt_memtable_create(&o, &mt), "create");
    return mt;
}

/* Put key(i) for i < n at sequence i + 1. */
static double side_fill(void *mt, uint64_t n, int ascending)
{
    static unsigned char v[VAL_LEN];
    memset(v, 7, sizeof v);
    unsigned char k[KEY_LEN];
    double t0 = ab_now_sec();
    for (uint64_t i = 0; i < n; i++) {
        if (ascending) /* a constant argument each: inlined without the select */
            ab_make_key(k, i, 1);
        else
            ab_make_key(k, i, 0);
        check(lsmt_memtable_put(mt, i + 1, k, KEY_LEN, v, VAL_LEN), "put");
    }
    return (double)n / (ab_now_sec() - t0) / 1e6;
}

/* N gets of present random16 keys in round r's order, each value read. */
static double side_gets(void *mt, uint64_t n, int r)
{
    unsigned char k[KEY_LEN];
    unsigned sink = 0;
    double t0 = ab_now_sec();
    for (uint64_t t = 0; t < n; t++) {
        ab_make_key(k, ab_splitmix64(t ^ 0xABCDEFull * (uint64_t)(r + 1)) % n, 0);
        const void *v;
        size_t vl;
        check(lsmt_memtable_get(mt, k, KEY_LEN, LSMT_MAX_SEQUENCE, &v, &vl, NULL), "get");
        sink += ((const unsigned char *)v)[0];
    }
    double s = ab_now_sec() - t0;
    if (sink != 7u * (unsigned)n)
        ab_die("get: wrong value");
    return (double)n / s / 1e6;
}

/* A full scan with the internal iterator (memtable-bench's W5), touching each entry's
 * last key byte and first value byte; checks it saw n entries. */
static double side_scan(void *mt, uint64_t n)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = LSMT_ITER_INTERNAL;
    lsmt_memtable_iter *it;
    double t0 = ab_now_sec();
    check(lsmt_memtable_iter_create(mt, &io, &it), "iter_create");
    uint64_t c = 0;
    unsigned sink = 0;
    lsmt_status st;
    for (st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_memtable_iter_next(it)) {
        const void *k, *v;
        size_t kl, vl;
        check(lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, &v, &vl), "iter_entry");
        sink += ((const unsigned char *)k)[kl - 1] + ((const unsigned char *)v)[0];
        c++;
    }
    lsmt_memtable_iter_destroy(it);
    double s = ab_now_sec() - t0;
    if (st != LSMT_END || c != n)
        ab_die("scan: wrong count");
    (void)sink;
    return (double)n / s / 1e6;
}

static void side_reset(void *mt)
{
    check(lsmt_memtable_reset_all(mt), "reset_all");
}

static void side_destroy(void *mt)
{
    lsmt_memtable_destroy(mt);
}

const ab_side ab_side_impl = {side_create, side_fill,  side_gets,
                              side_scan,   side_reset, side_destroy};
#endif /* AB_SIDE || AB_SELF */

#ifndef AB_SIDE
/* ---- main: the two sides in turn ----------------------------------------------------- */
extern const ab_side old_ab_side_impl, new_ab_side_impl;

int main(int argc, char **argv)
{
    uint64_t n;
    int rounds;
    int bad = ab_args(argc, argv, 8, &n, &rounds);
    const char *rows = argc > 3 ? argv[3] : "all";
    bool run_w6 = strcmp(rows, "W1") != 0, run_w1 = strcmp(rows, "W6") != 0;
    if (bad || (!run_w6 && !run_w1) || (strcmp(rows, "all") && run_w6 && run_w1)) {
        fprintf(stderr, "usage: %s [N] [rounds] [all|W6|W1]\n", argv[0]);
        return 2;
    }
    const ab_side *side[2] = {&old_ab_side_impl, &new_ab_side_impl};
    /* which side goes first alternates per round; AB_FLIP=1 swaps every order (run_ab.sh
     * sets it in every other process, so W6's cold round 1 is not always the old side's
     * first) */
    const int flip = ab_flip();
    void *mt[2] = {side[0]->create(n), side[1]->create(n)};
    for (int r = 0; run_w6 && r < rounds; r++) {
        double f[2];
        for (int j = 0; j < 2; j++) {
            int s = (r + j + flip) % 2;
            f[s] = side[s]->fill(mt[s], n, 1);
            side[s]->reset(mt[s]);
        }
        printf("W6 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        fflush(stdout);
    }
    for (int r = 0; run_w1 && r < rounds; r++) {
        double w1[2], w3[2], w5[2];
        for (int j = 0; j < 2; j++) {
            int s = (r + j + flip) % 2;
            w1[s] = side[s]->fill(mt[s], n, 0);
            w3[s] = side[s]->gets(mt[s], n, r);
            w5[s] = side[s]->scan(mt[s], n);
            side[s]->reset(mt[s]);
        }
        printf("W1 %d %.4f %.4f\nW3 %d %.4f %.4f\nW5 %d %.4f %.4f\n", r + 1, w1[0], w1[1], r + 1,
               w3[0], w3[1], r + 1, w5[0], w5[1]);
        fflush(stdout);
    }
    side[0]->destroy(mt[0]);
    side[1]->destroy(mt[1]);
    return 0;
}
#endif /* !AB_SIDE */
