/* YCSB core-workload generators for memtable-bench (bench/ycsb.c).
 *
 * Written from the semantics of the YCSB reference implementation (Java, package
 * site.ycsb.generator and site.ycsb.workloads.CoreWorkload), so that figures mean what
 * YCSB users expect:
 *
 *   ycsb_zipf        ZipfianGenerator: Gray et al.'s "Quickly generating billion-record
 *                    synthetic databases" rejection-free method; rank 0 most popular;
 *                    the item count may grow (zeta extended incrementally), as the
 *                    latest distribution needs.
 *   ycsb_scrambled   ScrambledZipfianGenerator: a zipfian over 10^10 items (theta 0.99
 *                    uses YCSB's precomputed zeta 26.46902820178302), each drawn rank
 *                    hashed with 64-bit FNV-1a and reduced modulo the item count, so the
 *                    popular items are spread over the key space.
 *   ycsb_latest      SkewedLatestGenerator: max - zipf(max) over the acknowledged insert
 *                    counter; the newest acknowledged key is the most popular.
 *   ycsb_ack_counter AcknowledgedCounterGenerator: hands out new key numbers to
 *                    inserters and publishes the largest n such that every key < n was
 *                    acknowledged (inserted); readers never ask for a key beyond it.
 *   ycsb_mix         DiscreteGenerator over the operation proportions.
 *
 * Thread safety: every generator except ycsb_ack_counter is per thread (owns no shared
 * state; give each thread its own bench_rng). ycsb_ack_counter is shared: next,
 * acknowledge and acked may be called from any number of threads concurrently.
 *
 * Invariants:
 *  1. ycsb_ack_counter_acked() only grows, and every key number below it was passed to
 *     ycsb_ack_counter_acknowledge() (or was preloaded).
 *  2. ycsb_latest_next() and ycsb_choose_key() never return a key number >= the acked
 *     count they were given.
 */
#ifndef LSMT_BENCH_YCSB_H
#define LSMT_BENCH_YCSB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/keys.h"

/* ---- random numbers: xoshiro256** seeded through splitmix64 (bench/keys.h) ---------- */
typedef struct bench_rng {
    uint64_t s[4];
} bench_rng;

/* Seed `r` from (seed, stream): distinct streams give independent sequences. */
void bench_rng_seed(bench_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t bench_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits. */
static inline uint64_t bench_rng_next(bench_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = bench_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = bench_rotl(s[3], 45);
    return out;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double bench_rng_double(bench_rng *r)
{
    return (double)(bench_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n); n > 0 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t bench_rng_below(bench_rng *r, uint64_t n)
{
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)bench_rng_next(r) * n) >> 64);
}

/* ---- hashing --------------------------------------------------------------------- */
/* YCSB's Utils.fnvhash64: FNV-1a over the 8 little-endian bytes of v, then the absolute
 * value as a signed 64-bit number (so the result is < 2^63; YCSB leaves Long.MIN_VALUE
 * negative, here it maps to 0: probability 2^-64). */
uint64_t ycsb_fnvhash64(uint64_t v);
/* FNV-1a 64 over the 8 little-endian bytes of v, before the absolute value. */
uint64_t ycsb_fnv64_raw(uint64_t v);

/* ---- zipfian --------------------------------------------------------------------- */
/* YCSB's ScrambledZipfianGenerator.ITEM_COUNT and its zeta at theta 0.99. YCSB builds
 * its zipfian as ZipfianGenerator(0, ITEM_COUNT), bounds inclusive: ITEM_COUNT + 1 items
 * (the precomputed zeta is that of ITEM_COUNT items; YCSB uses it as is, and so do we). */
#define YCSB_SCRAMBLED_ITEMS     10000000000ull
#define YCSB_SCRAMBLED_ZETAN_099 26.46902820178302
#define YCSB_ZIPF_THETA          0.99

/* sum_{i=1..n} 1 / i^theta, summed exactly for n <= 2^24, else the exact head plus an
 * Euler-Maclaurin tail (relative error < 1e-12). */
double ycsb_zeta(uint64_t n, double theta);

typedef struct ycsb_zipf {
    uint64_t base;           /* smallest value returned */
    uint64_t items;          /* values are in [base, base + items) */
    uint64_t items0;         /* the item count at init: YCSB computes eta from it forever */
    double theta;            /* skew, in (0, 1) */
    double alpha;            /* 1 / (1 - theta) */
    double zeta2;            /* zeta(2, theta) */
    double zetan;            /* zeta(items, theta) */
    double eta;              /* Gray's constant for (items, theta) */
    uint64_t count_for_zeta; /* the item count zetan was computed for */
} ycsb_zipf;

/* A zipfian over [min, max] with skew theta in (0, 1). zetan > 0 skips computing
 * zeta(max - min + 1) (YCSB's precomputed constant); 0 computes it. Returns 0, or -1
 * for bad arguments (max < min, theta out of range). */
int ycsb_zipf_init(ycsb_zipf *z, uint64_t min, uint64_t max, double theta, double zetan);

/* Next value in [base, base + items): base + rank, rank 0 the most popular. */
uint64_t ycsb_zipf_next(ycsb_zipf *z, bench_rng *r);

/* Next value in [base, base + itemcount) where itemcount may have grown since the last
 * call (zeta is extended incrementally, as YCSB's nextLong(itemcount); like YCSB, eta
 * keeps the item count given at init). A smaller itemcount recomputes zeta from scratch.
 * itemcount >= 1. */
uint64_t ycsb_zipf_next_n(ycsb_zipf *z, bench_rng *r, uint64_t itemcount);

typedef struct ycsb_scrambled {
    ycsb_zipf gen; /* over [0, YCSB_SCRAMBLED_ITEMS], inclusive */
    uint64_t min;
    uint64_t items;
} ycsb_scrambled;

/* A scrambled zipfian over [min, max]. Returns 0 or -1 (bad arguments). */
int ycsb_scrambled_init(ycsb_scrambled *s, uint64_t min, uint64_t max, double theta);
/* min + fnvhash64(zipf rank) % items. */
uint64_t ycsb_scrambled_next(ycsb_scrambled *s, bench_rng *r);

/* ---- acknowledged insert counter (shared) ---------------------------------------- */
#define YCSB_ACK_WINDOW ((uint64_t)1 << 20) /* key numbers in flight at most */

typedef struct ycsb_ack_counter {
    /* Next key number to hand out. Written by ycsb_ack_counter_next (fetch_add), read by
     * nobody else. Invariant: next >= acked. Own cache line: every inserter hits it. */
    _Alignas(64) _Atomic uint64_t next;
    char pad0_[64 - sizeof(uint64_t)];
    /* Count of contiguously acknowledged key numbers: every n < acked is inserted.
     * Written only by the thread holding `lock`; read by every reader (acquire).
     * Only grows (invariant 1). */
    _Alignas(64) _Atomic uint64_t acked;
    /* 0 free, 1 held: the thread advancing `acked`. try-lock only, never waited on. */
    _Atomic int lock;
    char pad1_[64 - sizeof(uint64_t) - sizeof(int)];
    /* window[n % YCSB_ACK_WINDOW] = 1 once key n is acknowledged and not yet folded into
     * `acked`. Written by acknowledgers (set) and the lock holder (clear). */
    _Atomic unsigned char *window;
} ycsb_ack_counter;
_Static_assert(sizeof(ycsb_ack_counter) == 3 * 64, "ycsb_ack_counter: one line per hot field");

/* Keys [0, start) count as inserted already (the load phase). Returns 0 or -1 (no
 * memory). */
int ycsb_ack_counter_init(ycsb_ack_counter *c, uint64_t start);
void ycsb_ack_counter_destroy(ycsb_ack_counter *c);
/* A new key number for an insert. Waits (spins) while YCSB_ACK_WINDOW inserts are
 * unacknowledged. */
uint64_t ycsb_ack_counter_next(ycsb_ack_counter *c);
/* Key n is inserted (readers may now ask for it once every smaller key is too). */
void ycsb_ack_counter_acknowledge(ycsb_ack_counter *c, uint64_t n);
/* Every key number < the result is inserted (invariant 1). */
uint64_t ycsb_ack_counter_acked(ycsb_ack_counter *c);

/* ---- latest ---------------------------------------------------------------------- */
typedef struct ycsb_latest {
    ycsb_zipf zipf; /* over the acked count, grown as inserts land */
} ycsb_latest;

/* `acked0` is the acked count at start (>= 1). Returns 0 or -1. */
int ycsb_latest_init(ycsb_latest *l, uint64_t acked0, double theta);
/* YCSB's SkewedLatestGenerator: with max = acked - 1, returns max - zipf(max), i.e. a
 * value in (0, max] with max the most popular (YCSB never returns 0 once max >= 1);
 * acked <= 1 returns 0. */
uint64_t ycsb_latest_next(ycsb_latest *l, bench_rng *r, uint64_t acked);

/* ---- operations and workloads ---------------------------------------------------- */
typedef enum ycsb_op {
    YCSB_READ = 0,
    YCSB_UPDATE,
    YCSB_INSERT,
    YCSB_SCAN,
    YCSB_RMW, /* read-modify-write */
    YCSB_OP_COUNT_
} ycsb_op;

/* "READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE" (YCSB's names). */
const char *ycsb_op_name(ycsb_op op);

typedef enum ycsb_dist {
    YCSB_DIST_ZIPFIAN = 0, /* scrambled zipfian, YCSB's "zipfian" */
    YCSB_DIST_UNIFORM,
    YCSB_DIST_LATEST,
} ycsb_dist;

typedef struct ycsb_workload {
    char name; /* 'A'..'F' */
    double proportion[YCSB_OP_COUNT_];
    ycsb_dist dist; /* default request distribution */
} ycsb_workload;

/* The core workload 'A'..'F' (case-insensitive), or NULL. */
const ycsb_workload *ycsb_workload_get(char name);

/* Pick an operation: YCSB's DiscreteGenerator (u * total, first cumulative weight > it). */
ycsb_op ycsb_choose_op(const double proportion[YCSB_OP_COUNT_], bench_rng *r);

/* Per-thread chooser of existing keys for reads, updates and scans (CoreWorkload's
 * keychooser + nextKeynum): zipfian = scrambled zipfian over [0, records + expected new
 * keys], inclusive as YCSB's ScrambledZipfianGenerator(insertstart, insertstart +
 * insertcount + expectednewkeys): records + expected_new + 1 items; uniform over [0,
 * records); latest over the acknowledged counter. */
typedef struct ycsb_keychooser {
    ycsb_dist dist;
    uint64_t records;
    ycsb_scrambled scrambled;
    ycsb_latest latest;
} ycsb_keychooser;

/* expected_new = run-phase inserts expected (YCSB: ops * insert proportion * 2).
 * Returns 0 or -1. */
int ycsb_keychooser_init(ycsb_keychooser *k, ycsb_dist dist, uint64_t records,
                         uint64_t expected_new, double theta);
/* A key number < acked (redraws values that are not acknowledged yet, as YCSB does);
 * acked >= 1. */
uint64_t ycsb_choose_key(ycsb_keychooser *k, bench_rng *r, uint64_t acked);

#endif
