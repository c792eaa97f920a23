/* skiplist-ab: two versions of the skip list in ONE process, run figure by figure in
 * turn, so that an A/B between them measures the library and nothing else.
 *
 * Why one driver: skiplist-bench's own loops change with the library (key shapes, entry
 * accessors); this file uses only calls that both versions have and generates keys
 * inline, the same way for both. Why one process: on these shared VMs a process's speed
 * drifts by up to 1.7x over seconds, so two binaries run one after the other compare
 * machine phases as much as code; here each figure of the old list and the same figure
 * of the new one run back to back, the order alternating per round.
 *
 * bench/run_ab.sh skiplist builds it: the per-side part of this file (-DAB_SIDE) is
 * compiled against each tree's headers and linked with that tree's liblsmt.a into one
 * relocatable object (ld -r) whose hidden symbols are made local and whose global ones
 * get a prefix, old_ or new_; main (compiled without AB_SIDE) calls old_ab_side_impl and
 * new_ab_side_impl. CMake builds it with -DAB_SELF: both sides this tree's library (the
 * method's noise floor), so that it keeps compiling.
 *
 * Per side: one list filled with N random16 keys (WORKLOADS.md: BE64(splitmix64(i)) ++
 * BE64(i)) and 100-byte values on one thread (W1, once); another with N ascending keys
 * (BE64(0) ++ BE64(i)) R + 2 times, its list and arena reset in between (W6: round 1
 * touches fresh memory, later rounds reuse it); then per round: N gets of present keys
 * (W3), N gets of absent keys (W4), N gets through seek_batch 32 at a time (B32), and a
 * full scan (W5). Output, one line per figure:
 *     <row> <round> <old> <new>     (Mops/s; W5 in M entries/s)
 *
 * Every node a figure reads, it reads as an engine does (ab_read): key, version and
 * value, each's last byte.
 *
 * Built with -DAB_PRE_0_7 the side compiles against the API before the 0.7 reshape
 * (issue 12): the sharded concurrent arena was lsmt_carena, lsmt_skiplist_insert took no
 * hint, and a node's key, version and value came from three calls (node_key,
 * node_version, node_value) where 0.7 has one (node_entry). */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AB_DRIVER "skiplist"
#include "ab.h"

/* One side: its lists and the timed loops on them (each returns Mops/s). */
typedef struct ab_side {
    void *(*create)(uint64_t n);            /* an empty state for lists of n entries */
    double (*fill)(void *s, int ascending); /* W1 (random, once) or W6 (ascending) */
    void (*reset_seq)(void *s);             /* empty W6's list and arena for the next */
    double (*gets)(void *s, int absent, int round);
    double (*batch_gets)(void *s, int round); /* seek_batch, 32 keys a call */
    double (*scan)(void *s);                  /* M entries/s */
    void (*destroy)(void *s);
} ab_side;

#define KEY_LEN 16
#define VAL_LEN 100
#define BATCH   32

#if defined(AB_SIDE) || defined(AB_SELF)
/* ---- one side, compiled against one tree's headers ---------------------------------- */
#include "lsmt/arena.h"
#include "lsmt/skiplist.h"

#ifdef AB_PRE_0_7
typedef lsmt_carena ab_arena;
typedef lsmt_carena_options ab_arena_options;
#define ab_arena_options_default    lsmt_carena_options_default
#define ab_arena_create             lsmt_carena_create
#define ab_arena_destroy            lsmt_carena_destroy
#define ab_arena_reset_all          lsmt_carena_reset_all
#define ab_insert(sl, k, kl, v, vl) lsmt_skiplist_insert(sl, k, kl, 0, v, vl)
static unsigned ab_read(const lsmt_skiplist_node *n)
{
    size_t kl, vl;
    const unsigned char *k = lsmt_skiplist_node_key(n, &kl);
    const unsigned char *v = lsmt_skiplist_node_value(n, &vl);
    return k[kl - 1] + v[vl - 1] + (unsigned)(lsmt_skiplist_node_version(n) & 0xff);
}
#else
typedef lsmt_sharded_arena ab_arena;
typedef lsmt_sharded_arena_options ab_arena_options;
#define ab_arena_options_default    lsmt_sharded_arena_options_default
#define ab_arena_create             lsmt_sharded_arena_create
#define ab_arena_destroy            lsmt_sharded_arena_destroy
#define ab_arena_reset_all          lsmt_sharded_arena_reset_all
#define ab_insert(sl, k, kl, v, vl) lsmt_skiplist_insert(sl, NULL, k, kl, 0, v, vl)
static unsigned ab_read(const lsmt_skiplist_node *n)
{
    lsmt_skiplist_entry e;
    lsmt_skiplist_node_entry(n, &e);
    const unsigned char *k = e.key, *v = e.value;
    return k[e.klen - 1] + v[e.vlen - 1] + (unsigned)(e.version & 0xff);
}
#endif

typedef struct side_state {
    uint64_t n;
    ab_arena *arena, *seq_arena;
    lsmt_skiplist *sl;  /* W1's list, read by the rounds */
    lsmt_skiplist *seq; /* W6's */
} side_state;

static volatile uint64_t g_sink;

/* A list in a fresh arena sized as skiplist-bench sizes it for 16-byte keys (the finger
 * table follows the arena's capacity). */
static lsmt_skiplist *list_create(uint64_t n, ab_arena **arena)
{
    ab_arena_options ao;
    ab_arena_options_default(&ao);
    ao.capacity = ((size_t)n * 160 + ((size_t)64 << 20)) & ~(((size_t)2 << 20) - 1);
    ao.huge_pages = true;
    if (ab_arena_create(&ao, arena) != LSMT_OK)
        ab_die("arena create");
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = *arena;
    lsmt_skiplist *sl;
    if (lsmt_skiplist_create(&o, &sl) != LSMT_OK)
        ab_die("skiplist create");
    return sl;
}

static void *side_create(uint64_t n)
{
    side_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        ab_die("out of memory");
    s->n = n;
    s->sl = list_create(n, &s->arena);
    s->seq = list_create(n, &s->seq_arena);
    return s;
}

/* Insert key(i) for i < n: random16 into W1's list, or ascending (BE64(0) ++ BE64(i))
 * into W6's (empty). Both lists were created with the side, so neither side's first
 * fill reuses memory the other freed. */
static double side_fill(void *state, int ascending)
{
    side_state *s = state;
    lsmt_skiplist *sl = ascending ? s->seq : s->sl;
    unsigned char k[KEY_LEN], v[VAL_LEN];
    memset(v, 7, sizeof v);
    double t0 = ab_now_sec();
    for (uint64_t i = 0; i < s->n; i++) {
        if (ascending) /* a constant argument each: inlined without the select */
            ab_make_key(k, i, 1);
        else
            ab_make_key(k, i, 0);
        if (ab_insert(sl, k, KEY_LEN, v, VAL_LEN) != LSMT_OK)
            ab_die("insert");
    }
    return (double)s->n / (ab_now_sec() - t0) / 1e6;
}

/* N single gets of key(probe(t) + off), round r's own order: present keys (off 0, W3) or
 * absent ones (off n, W4); each checked. */
static double side_gets(void *state, int absent, int r)
{
    side_state *s = state;
    const uint64_t n = s->n, off = absent ? n : 0;
    unsigned char k[KEY_LEN];
    uint64_t found = 0, sink = 0;
    double t0 = ab_now_sec();
    for (uint64_t t = 0; t < n; t++) {
        ab_make_key(k, ab_splitmix64(t ^ 0xABCDEFull * (uint64_t)(r + 1)) % n + off, 0);
        const lsmt_skiplist_node *x = lsmt_skiplist_find(s->sl, k, KEY_LEN, 0);
        if (x != NULL) {
            found++;
            sink += ab_read(x);
        }
    }
    double secs = ab_now_sec() - t0;
    g_sink += sink;
    if (found != (absent ? 0 : n))
        ab_die(absent ? "W4 found absent keys" : "W3 missed keys");
    return (double)n / secs / 1e6;
}

/* The present keys through seek_batch, BATCH per call. */
static double side_batch_gets(void *state, int r)
{
    side_state *s = state;
    const uint64_t n = s->n;
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
    double t0 = ab_now_sec();
    for (uint64_t t = 0; t < n; t += BATCH) {
        size_t nb = n - t < BATCH ? (size_t)(n - t) : BATCH;
        for (size_t b = 0; b < nb; b++)
            ab_make_key(k[b], ab_splitmix64((t + b) ^ 0xABCDEFull * (uint64_t)(r + 1)) % n, 0);
        if (lsmt_skiplist_seek_batch(s->sl, nb, kp, kl, vers, out) != LSMT_OK)
            ab_die("seek_batch");
        for (size_t b = 0; b < nb; b++)
            if (out[b] != NULL) {
                found++;
                sink += ab_read(out[b]);
            }
    }
    double secs = ab_now_sec() - t0;
    g_sink += sink;
    if (found != n)
        ab_die("B32 missed keys");
    return (double)n / secs / 1e6;
}

static double side_scan(void *state)
{
    side_state *s = state;
    lsmt_skiplist_iter it;
    uint64_t c = 0, sink = 0;
    double t0 = ab_now_sec();
    lsmt_skiplist_iter_init(&it, s->sl);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        sink += ab_read(lsmt_skiplist_iter_node(&it));
        c++;
    }
    double secs = ab_now_sec() - t0;
    g_sink += sink;
    if (c != s->n)
        ab_die("W5 count");
    return (double)c / secs / 1e6;
}

/* W6's list emptied and its arena reset (its memory kept, already touched), as an
 * engine's memtable reuses its arena after a flush. */
static void side_reset_seq(void *state)
{
    side_state *s = state;
    if (ab_arena_reset_all(s->seq_arena) != LSMT_OK || lsmt_skiplist_reset(s->seq) != LSMT_OK)
        ab_die("reset");
}

static void side_destroy(void *state)
{
    side_state *s = state;
    lsmt_skiplist_destroy(s->sl);
    lsmt_skiplist_destroy(s->seq);
    ab_arena_destroy(s->arena);
    ab_arena_destroy(s->seq_arena);
    free(s);
}

const ab_side ab_side_impl = {side_create,     side_fill, side_reset_seq, side_gets,
                              side_batch_gets, side_scan, side_destroy};
#endif /* AB_SIDE || AB_SELF */

#ifndef AB_SIDE
/* ---- main: the two sides in turn ----------------------------------------------------- */
extern const ab_side old_ab_side_impl, new_ab_side_impl;

int main(int argc, char **argv)
{
    uint64_t n;
    int rounds;
    if (ab_args(argc, argv, 2, &n, &rounds) != 0) {
        fprintf(stderr, "usage: %s [N] [rounds]\n", argv[0]);
        return 2;
    }
    const ab_side *side[2] = {&old_ab_side_impl, &new_ab_side_impl};
    void *st[2] = {side[0]->create(n), side[1]->create(n)};
    double f[2];
    /* which side goes first alternates per figure and round; AB_FLIP=1 swaps every order
     * (run_ab.sh sets it in every other process: W1 runs once per process) */
    const int flip = ab_flip();
#define BOTH(r, expr)                  \
    for (int j_ = 0; j_ < 2; j_++) {   \
        int s = ((r) + j_ + flip) % 2; \
        f[s] = side[s]->expr;          \
    }
    BOTH(0, fill(st[s], 0));
    printf("W1 1 %.4f %.4f\n", f[0], f[1]);
    for (int r = 0; r < rounds + 2; r++) {
        BOTH(r + 1, fill(st[s], 1));
        printf("W6 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        fflush(stdout);
        side[0]->reset_seq(st[0]);
        side[1]->reset_seq(st[1]);
    }
    for (int r = 0; r < rounds; r++) {
        BOTH(r, gets(st[s], 0, r));
        printf("W3 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        BOTH(r + 1, gets(st[s], 1, r));
        printf("W4 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        BOTH(r, batch_gets(st[s], r));
        printf("B32 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        BOTH(r + 1, scan(st[s]));
        printf("W5 %d %.4f %.4f\n", r + 1, f[0], f[1]);
        fflush(stdout);
    }
#undef BOTH
    side[0]->destroy(st[0]);
    side[1]->destroy(st[1]);
    return 0;
}
#endif /* !AB_SIDE */
