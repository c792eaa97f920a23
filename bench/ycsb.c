/* YCSB core-workload generators (see ycsb.h for what each one reproduces).
 *
 * Design: every generator but the acknowledged counter is a plain per-thread struct
 * driven by the caller's bench_rng, so the hot path takes no lock and touches no shared
 * line. The acknowledged counter is the one shared object: a fetch-add hands out key
 * numbers; acknowledgements set a flag in a sliding window; whichever acknowledger wins
 * a try-lock folds the contiguous run of flags into `acked` (YCSB's design, without its
 * lock wait: a loser leaves its flag for the winner, and the winner re-checks after
 * unlocking so no flag is stranded). */
#include "bench/ycsb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>

void bench_rng_seed(bench_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ bench_splitmix64(stream + 0x5851F42D4C957F2Dull);
    for (int i = 0; i < 4; i++) {
        x = bench_splitmix64(x);
        r->s[i] = x;
    }
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* xoshiro's one forbidden state */
}

uint64_t ycsb_fnv64_raw(uint64_t v)
{
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a 64 offset basis */
    for (int i = 0; i < 8; i++) {
        h ^= v & 0xff;
        v >>= 8;
        h *= 1099511628211ull; /* FNV 64 prime */
    }
    return h;
}

uint64_t ycsb_fnvhash64(uint64_t v)
{
    /* Java's Math.abs on a long: two's-complement negation of negative values. */
    int64_t s = (int64_t)ycsb_fnv64_raw(v);
    if (s == INT64_MIN)
        return 0;
    return (uint64_t)(s < 0 ? -s : s);
}

/* sum_{i=from+1..to} 1/i^theta, added to `sum` (YCSB's incremental zeta). */
static double zeta_range(uint64_t from, uint64_t to, double theta, double sum)
{
    for (uint64_t i = from; i < to; i++)
        sum += 1.0 / pow((double)(i + 1), theta);
    return sum;
}

#define ZETA_EXACT_MAX ((uint64_t)1 << 24)
#define ZETA_HEAD      1000000ull

double ycsb_zeta(uint64_t n, double theta)
{
    if (n <= ZETA_EXACT_MAX)
        return zeta_range(0, n, theta, 0.0);
    /* Head summed exactly up to m - 1, tail from m to n by Euler-Maclaurin:
     * integral + (f(m) + f(n)) / 2 + (f'(n) - f'(m)) / 12, f(x) = x^-theta. */
    double s = theta, m = (double)ZETA_HEAD, nn = (double)n;
    double head = zeta_range(0, ZETA_HEAD - 1, s, 0.0);
    double integral = (pow(nn, 1.0 - s) - pow(m, 1.0 - s)) / (1.0 - s);
    double ends = 0.5 * (pow(m, -s) + pow(nn, -s));
    double d1 = s / 12.0 * (pow(m, -s - 1.0) - pow(nn, -s - 1.0));
    return head + integral + ends + d1;
}

/* YCSB: eta = (1 - (2 / items)^(1 - theta)) / (1 - zeta2 / zetan), with `items` the
 * count given at construction even after nextLong(itemcount) grew zetan. */
static void zipf_set_count(ycsb_zipf *z, uint64_t items)
{
    z->items = items;
    z->eta = (1.0 - pow(2.0 / (double)z->items0, 1.0 - z->theta)) / (1.0 - z->zeta2 / z->zetan);
    z->count_for_zeta = items;
}

int ycsb_zipf_init(ycsb_zipf *z, uint64_t min, uint64_t max, double theta, double zetan)
{
    if (max < min || !(theta > 0.0 && theta < 1.0) || max - min == UINT64_MAX)
        return -1;
    uint64_t items = max - min + 1;
    z->base = min;
    z->items0 = items;
    z->theta = theta;
    z->alpha = 1.0 / (1.0 - theta);
    z->zeta2 = zeta_range(0, 2, theta, 0.0);
    z->zetan = zetan > 0 ? zetan : ycsb_zeta(items, theta);
    zipf_set_count(z, items);
    return 0;
}

/* Gray et al.: rank 0 for u * zetan < 1, rank 1 below 1 + 0.5^theta, else the closed
 * form items * (eta * u - eta + 1)^alpha. */
static uint64_t zipf_rank(const ycsb_zipf *z, double u)
{
    double uz = u * z->zetan;
    if (uz < 1.0)
        return 0;
    if (uz < 1.0 + pow(0.5, z->theta))
        return 1;
    double r = (double)z->items * pow(z->eta * u - z->eta + 1.0, z->alpha);
    uint64_t rank = (uint64_t)r;
    return rank < z->items ? rank : z->items - 1; /* guard rounding at u -> 1 */
}

uint64_t ycsb_zipf_next(ycsb_zipf *z, bench_rng *r)
{
    return z->base + zipf_rank(z, bench_rng_double(r));
}

uint64_t ycsb_zipf_next_n(ycsb_zipf *z, bench_rng *r, uint64_t itemcount)
{
    if (itemcount != z->count_for_zeta) {
        if (itemcount > z->count_for_zeta)
            z->zetan = zeta_range(z->count_for_zeta, itemcount, z->theta, z->zetan);
        else
            z->zetan = ycsb_zeta(itemcount, z->theta);
        zipf_set_count(z, itemcount);
    }
    return z->base + zipf_rank(z, bench_rng_double(r));
}

int ycsb_scrambled_init(ycsb_scrambled *s, uint64_t min, uint64_t max, double theta)
{
    if (max < min || max - min == UINT64_MAX)
        return -1;
    /* YCSB uses its precomputed zeta for the default theta, computes it otherwise. */
    double zetan = theta == YCSB_ZIPF_THETA ? YCSB_SCRAMBLED_ZETAN_099 : 0.0;
    if (ycsb_zipf_init(&s->gen, 0, YCSB_SCRAMBLED_ITEMS, theta, zetan) != 0)
        return -1;
    s->min = min;
    s->items = max - min + 1;
    return 0;
}

uint64_t ycsb_scrambled_next(ycsb_scrambled *s, bench_rng *r)
{
    return s->min + ycsb_fnvhash64(ycsb_zipf_next(&s->gen, r)) % s->items;
}

/* ---- acknowledged counter ---------------------------------------------------------- */

int ycsb_ack_counter_init(ycsb_ack_counter *c, uint64_t start)
{
    memset(c, 0, sizeof *c);
    c->window = calloc(YCSB_ACK_WINDOW, sizeof c->window[0]);
    if (c->window == NULL)
        return -1;
    for (uint64_t i = 0; i < YCSB_ACK_WINDOW; i++)
        atomic_init(&c->window[i], 0);
    atomic_init(&c->next, start);
    atomic_init(&c->acked, start);
    atomic_init(&c->lock, 0);
    return 0;
}

void ycsb_ack_counter_destroy(ycsb_ack_counter *c)
{
    free((void *)c->window);
    c->window = NULL;
}

uint64_t ycsb_ack_counter_next(ycsb_ack_counter *c)
{
    /* relaxed: the number only has to be unique; what it orders (the key's insert) is
     * published later through the window flag. */
    uint64_t n = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
    /* Keep at most YCSB_ACK_WINDOW numbers in flight, so window slots are not reused
     * before they are folded (YCSB throws here; we wait). acquire pairs with the
     * release store of `acked` in fold(), which cleared the slot we will reuse. */
    while (n - atomic_load_explicit(&c->acked, memory_order_acquire) >= YCSB_ACK_WINDOW)
        sched_yield();
    return n;
}

/* Fold the contiguous run of set flags into `acked`. Caller holds the lock. */
static void ack_fold(ycsb_ack_counter *c)
{
    /* relaxed: only the lock holder writes `acked`, and the lock's acquire ordered us
     * after the previous holder's writes. */
    uint64_t a = atomic_load_explicit(&c->acked, memory_order_relaxed);
    uint64_t a0 = a;
    /* acquire: pairs with the seq_cst flag store in acknowledge(), so the key's insert
     * (done before acknowledge) happens before readers that see the new `acked`. */
    while (atomic_load_explicit(&c->window[a % YCSB_ACK_WINDOW], memory_order_acquire)) {
        /* relaxed: the slot is reused only after `acked` passes it, published below by
         * the release store that next() acquires. */
        atomic_store_explicit(&c->window[a % YCSB_ACK_WINDOW], 0, memory_order_relaxed);
        a++;
    }
    if (a != a0)
        /* release: publishes the inserts of keys [a0, a) (through the acquire chain
         * above) and the cleared slots; pairs with acquire loads in acked() / next(). */
        atomic_store_explicit(&c->acked, a, memory_order_release);
}

void ycsb_ack_counter_acknowledge(ycsb_ack_counter *c, uint64_t n)
{
    /* seq_cst: a Dekker pair with the lock. Either we see the lock free below, or the
     * holder's seq_cst re-check of our slot after its unlock sees this flag. */
    atomic_store_explicit(&c->window[n % YCSB_ACK_WINDOW], 1, memory_order_seq_cst);
    for (;;) {
        int expected = 0;
        /* seq_cst CAS (acquire on success: we see the previous holder's `acked`).
         * Fails when another thread holds the lock: it will fold our flag (see the
         * re-check below), so giving up is correct; no retry needed. */
        if (!atomic_compare_exchange_strong_explicit(&c->lock, &expected, 1, memory_order_seq_cst,
                                                     memory_order_relaxed))
            return;
        ack_fold(c);
        /* seq_cst: the other half of the Dekker pair (unlock, then re-check). */
        atomic_store_explicit(&c->lock, 0, memory_order_seq_cst);
        uint64_t a = atomic_load_explicit(&c->acked, memory_order_seq_cst);
        if (!atomic_load_explicit(&c->window[a % YCSB_ACK_WINDOW], memory_order_seq_cst))
            return;
        /* a flag set while we held the lock: fold it too */
    }
}

uint64_t ycsb_ack_counter_acked(ycsb_ack_counter *c)
{
    /* acquire: pairs with the release store in ack_fold(): the inserts of every key
     * below the value are visible to us. */
    return atomic_load_explicit(&c->acked, memory_order_acquire);
}

/* ---- latest ---------------------------------------------------------------------- */

int ycsb_latest_init(ycsb_latest *l, uint64_t acked0, double theta)
{
    uint64_t items = acked0 > 1 ? acked0 - 1 : 1;
    return ycsb_zipf_init(&l->zipf, 0, items - 1, theta, 0.0);
}

uint64_t ycsb_latest_next(ycsb_latest *l, bench_rng *r, uint64_t acked)
{
    if (acked <= 1)
        return 0;
    uint64_t max = acked - 1;
    return max - ycsb_zipf_next_n(&l->zipf, r, max);
}

/* ---- operations -------------------------------------------------------------------- */

const char *ycsb_op_name(ycsb_op op)
{
    static const char *const names[YCSB_OP_COUNT_] = {"READ", "UPDATE", "INSERT", "SCAN",
                                                      "READ-MODIFY-WRITE"};
    return (unsigned)op < YCSB_OP_COUNT_ ? names[op] : "?";
}

/* YCSB's workloads/workload[a-f] files. */
static const ycsb_workload k_workloads[] = {
    {'A', {0.50, 0.50, 0, 0, 0}, YCSB_DIST_ZIPFIAN},
    {'B', {0.95, 0.05, 0, 0, 0}, YCSB_DIST_ZIPFIAN},
    {'C', {1.00, 0, 0, 0, 0}, YCSB_DIST_ZIPFIAN},
    {'D', {0.95, 0, 0.05, 0, 0}, YCSB_DIST_LATEST},
    {'E', {0, 0, 0.05, 0.95, 0}, YCSB_DIST_ZIPFIAN},
    {'F', {0.50, 0, 0, 0, 0.50}, YCSB_DIST_ZIPFIAN},
};

const ycsb_workload *ycsb_workload_get(char name)
{
    if (name >= 'a' && name <= 'z')
        name = (char)(name - 'a' + 'A');
    for (size_t i = 0; i < sizeof k_workloads / sizeof k_workloads[0]; i++)
        if (k_workloads[i].name == name)
            return &k_workloads[i];
    return NULL;
}

ycsb_op ycsb_choose_op(const double proportion[YCSB_OP_COUNT_], bench_rng *r)
{
    double total = 0;
    for (int i = 0; i < YCSB_OP_COUNT_; i++)
        total += proportion[i];
    double v = bench_rng_double(r) * total;
    int last = 0;
    for (int i = 0; i < YCSB_OP_COUNT_; i++) {
        if (proportion[i] <= 0)
            continue;
        last = i;
        if (v < proportion[i])
            return (ycsb_op)i;
        v -= proportion[i];
    }
    return (ycsb_op)last; /* rounding at v ~ total */
}

int ycsb_keychooser_init(ycsb_keychooser *k, ycsb_dist dist, uint64_t records,
                         uint64_t expected_new, double theta)
{
    memset(k, 0, sizeof *k);
    if (records == 0)
        return -1;
    k->dist = dist;
    k->records = records;
    switch (dist) {
    case YCSB_DIST_ZIPFIAN:
        return ycsb_scrambled_init(&k->scrambled, 0, records + expected_new, theta);
    case YCSB_DIST_LATEST:
        return ycsb_latest_init(&k->latest, records, theta);
    case YCSB_DIST_UNIFORM:
        return 0;
    }
    return -1;
}

uint64_t ycsb_choose_key(ycsb_keychooser *k, bench_rng *r, uint64_t acked)
{
    switch (k->dist) {
    case YCSB_DIST_UNIFORM:
        /* YCSB: UniformLongGenerator over the loaded records only */
        return bench_rng_below(r, k->records < acked ? k->records : acked);
    case YCSB_DIST_LATEST:
        return ycsb_latest_next(&k->latest, r, acked);
    case YCSB_DIST_ZIPFIAN:
    default:
        for (;;) {
            uint64_t n = ycsb_scrambled_next(&k->scrambled, r);
            if (n < acked) /* CoreWorkload.nextKeynum: redraw keys not inserted yet */
                return n;
        }
    }
}
