/* What bench/skiplist_ab.c and bench/memtable_ab.c share: helpers that need no lsmt
 * header (each driver's per-side half is compiled against an older tree's headers too),
 * and the naming of the two sides.
 *
 * bench/run_ab.sh links each side's half with its tree's liblsmt.a and prefixes every
 * global symbol of the result with old_ or new_, so the driver's ab_side_impl becomes
 * old_ab_side_impl and new_ab_side_impl; with AB_SELF (CMake's build, both sides this
 * tree) both names are the one ab_side_impl. */
#ifndef LSMT_BENCH_AB_H
#define LSMT_BENCH_AB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef AB_DRIVER
#error "define AB_DRIVER (the driver's name, for messages) before including ab.h"
#endif

#ifdef AB_SELF
#define old_ab_side_impl ab_side_impl
#define new_ab_side_impl ab_side_impl
#endif

static inline uint64_t ab_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void ab_put_be64(unsigned char *p, uint64_t v)
{
    for (int b = 7; b >= 0; b--, v >>= 8)
        p[b] = (unsigned char)(v & 0xff);
}

/* key(i) of WORKLOADS.md: BE64(splitmix64(i)) ++ BE64(i) (random16), or BE64(0) ++
 * BE64(i) (W6's ascending keys); 16 bytes at k */
static inline void ab_make_key(unsigned char *k, uint64_t i, int ascending)
{
    ab_put_be64(k, ascending ? 0 : ab_splitmix64(i));
    ab_put_be64(k + 8, i);
}

static inline double ab_now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline void ab_die(const char *what)
{
    fprintf(stderr, "%s-ab: %s\n", AB_DRIVER, what);
    exit(1);
}

/* The arguments every driver takes first: [N] [rounds] (N entries, default 1000000;
 * rounds per process, default default_rounds). 0, or -1 when either is not positive. */
static inline int ab_args(int argc, char **argv, int default_rounds, uint64_t *n, int *rounds)
{
    *n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    *rounds = argc > 2 ? atoi(argv[2]) : default_rounds;
    return *n == 0 || *rounds < 1 ? -1 : 0;
}

/* 1 when the environment's AB_FLIP asks every "which side first" order swapped
 * (run_ab.sh sets it in every other process: a figure measured once per process is then
 * not always the old side's first). */
static inline int ab_flip(void)
{
    const char *e = getenv("AB_FLIP");
    return e != NULL && atoi(e) != 0;
}

#endif
