/* Check suite for range tombstones (lsmt/range_del.h, memtable/range_del.c, fragment.c):
 * hand-written semantics, a model test against a brute-force reference (gets,
 * multi_get, snapshot iterators both ways with bounds, the raw and fragmented flush
 * iterators) at every snapshot under two comparators, with and without the bloom
 * filter, write batches (all-or-nothing), freeze / reset_all / stats / memory, many
 * tombstones, and a two-thread test of invariant R1 (run under TSan: label concurrency).
 * LSMT_TEST_SEED=<n> runs one seed only. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"
#include "memtable/testhook.h"
#include "support/hash.h"
#include "support/scale.h"

#include "lsmt/range_del.h"

#define SCALE LSMT_TEST_SCALE_DOWN(10, 4)

static uint64_t rng_state;
static uint64_t rnd(void)
{
    return splitmix64(&rng_state);
}
static size_t rndn(size_t n)
{
    return (size_t)(rnd() % n);
}

static lsmt_memtable *mk(size_t wbs, size_t hard, lsmt_compare_fn cmp, unsigned bloom)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = wbs;
    o.hard_limit = hard;
    o.shard_count = 2;
    o.compare = cmp;
    o.bloom_bits_per_key = bloom;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

static lsmt_status get(lsmt_memtable *mt, const char *k, uint64_t snap, uint64_t *seq)
{
    const void *v;
    size_t vl;
    return lsmt_memtable_get(mt, k, strlen(k), snap, &v, &vl, seq);
}

#define DR(mt, seq, b, e) lsmt_memtable_delete_range((mt), (seq), (b), strlen(b), (e), strlen(e))

/* ---- hand-written semantics ----------------------------------------------------------- */
START_TEST(test_semantics)
{
    lsmt_memtable *mt = mk(1 << 20, 0, NULL, 0);
    uint64_t s = 0;
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "A", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, "b", 1, "B", 1), LSMT_OK);
    ck_assert_int_eq(DR(mt, 3, "a", "c"), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 4, "a", 1, "A2", 2), LSMT_OK);
    ck_assert_int_eq(get(mt, "a", 5, &s), LSMT_OK);
    ck_assert_uint_eq(s, 4);
    ck_assert_int_eq(get(mt, "a", 3, &s), LSMT_DELETED);
    ck_assert_uint_eq(s, 3);
    ck_assert_int_eq(get(mt, "a", 2, &s), LSMT_OK);
    ck_assert_uint_eq(s, 1);
    ck_assert_int_eq(get(mt, "b", 9, &s), LSMT_DELETED);
    ck_assert_uint_eq(s, 3);
    ck_assert_int_eq(get(mt, "b", 2, &s), LSMT_OK);
    ck_assert_int_eq(get(mt, "bb", 3, &s), LSMT_DELETED); /* no version at all */
    ck_assert_int_eq(get(mt, "bb", 2, &s), LSMT_NOT_FOUND);
    ck_assert_int_eq(get(mt, "c", 9, &s), LSMT_NOT_FOUND); /* end is exclusive */
    ck_assert_int_eq(get(mt, "", 9, &s), LSMT_NOT_FOUND);
    /* R3: a version with the tombstone's own sequence is not hidden */
    ck_assert_int_eq(lsmt_memtable_put(mt, 10, "x", 1, "X", 1), LSMT_OK);
    ck_assert_int_eq(DR(mt, 10, "x", "y"), LSMT_OK);
    ck_assert_int_eq(get(mt, "x", 10, &s), LSMT_OK);
    /* R2: the same (begin, seq) twice */
    ck_assert_int_eq(DR(mt, 10, "x", "z"), LSMT_EXISTS);
    ck_assert_int_eq(DR(mt, 11, "x", "z"), LSMT_OK);
    ck_assert_int_eq(get(mt, "x", 11, &s), LSMT_DELETED);
    /* nested and overlapping */
    ck_assert_int_eq(DR(mt, 20, "m", "p"), LSMT_OK);
    ck_assert_int_eq(DR(mt, 15, "k", "r"), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 17, "n", 1, "N", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 17, "q", 1, "Q", 1), LSMT_OK);
    ck_assert_int_eq(get(mt, "n", 30, &s), LSMT_DELETED);
    ck_assert_uint_eq(s, 20);
    ck_assert_int_eq(get(mt, "n", 19, &s), LSMT_OK);
    ck_assert_int_eq(get(mt, "q", 30, &s), LSMT_OK);
    ck_assert_int_eq(get(mt, "l", 16, &s), LSMT_DELETED);
    ck_assert_uint_eq(s, 15);
    ck_assert_int_eq(get(mt, "l", 14, &s), LSMT_NOT_FOUND);
    /* bad input: nothing changed */
    lsmt_memtable_stats st0, st1;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st0), LSMT_OK);
    ck_assert_int_eq(DR(mt, 40, "b", "b"), LSMT_INVALID);
    ck_assert_int_eq(DR(mt, 40, "c", "b"), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 40, NULL, 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 40, "a", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(DR(mt, LSMT_MAX_SEQUENCE + 1, "a", "b"), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 40, NULL, 0, "b", 1), LSMT_OK); /* "" */
    ck_assert_int_eq(get(mt, "a", 40, &s), LSMT_DELETED);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st1), LSMT_OK);
    ck_assert_uint_eq(st1.range_deletes, st0.range_deletes + 1);
    ck_assert_uint_eq(st1.range_deletes, 6);
    ck_assert_uint_eq(st1.entries, 6); /* a, b, a, x, n, q */
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- the model ------------------------------------------------------------------------- */
#define NK     40 /* key space k00..k39 (bounds may also be k40, k41) */
#define MAXOPS 400

typedef struct mver {
    int key;
    uint64_t seq;
    int put; /* 1 put, 0 delete */
} mver;
typedef struct mtomb {
    int b, e; /* key indices, b < e in the comparator's order */
    uint64_t seq;
} mtomb;

static mver vers[MAXOPS];
static mtomb tombs[MAXOPS];
static size_t nvers, ntombs;
static int reversed;

static int rev_cmp(void *ctx, const void *a, size_t al, const void *b, size_t bl)
{
    return lsmt_bytewise_compare(ctx, b, bl, a, al);
}
/* key index order under the comparator */
static int kcmp(int a, int b)
{
    return reversed ? (b > a) - (b < a) : (a > b) - (a < b);
}
/* Keys: "k%02d", or with long_keys "kkkkkkkkkk%02d" (12 bytes: every pair shares its
 * first 8 bytes, so the fragments' prefix comparisons all tie and fall back). */
static int long_keys;
#define KB 16
#define KL ((size_t)(long_keys ? 12 : 3))
static void kname(int i, char out[KB])
{
    snprintf(out, KB, long_keys ? "kkkkkkkkkk%02d" : "k%02d", i);
}

/* Expected get of key k at snapshot snap: status, seq. */
static lsmt_status model_get(int k, uint64_t snap, uint64_t *seq)
{
    const mver *best = NULL;
    for (size_t i = 0; i < nvers; i++) {
        if (vers[i].key == k && vers[i].seq <= snap && (best == NULL || vers[i].seq > best->seq))
            best = &vers[i];
    }
    uint64_t t = 0;
    int tf = 0;
    for (size_t i = 0; i < ntombs; i++) {
        if (tombs[i].seq <= snap && kcmp(tombs[i].b, k) <= 0 && kcmp(k, tombs[i].e) < 0 &&
            (!tf || tombs[i].seq > t)) {
            t = tombs[i].seq;
            tf = 1;
        }
    }
    if (tf && (best == NULL || t > best->seq)) {
        *seq = t;
        return LSMT_DELETED;
    }
    if (best == NULL)
        return LSMT_NOT_FOUND;
    *seq = best->seq;
    return best->put ? LSMT_OK : LSMT_DELETED;
}

/* Keys visible (status OK) at snap, in comparator order, within [lo, hi) (-1 = none). */
static size_t model_scan(uint64_t snap, int lo, int hi, int *out)
{
    size_t n = 0;
    for (int j = 0; j < NK; j++) {
        int k = reversed ? NK - 1 - j : j;
        if ((lo >= 0 && kcmp(k, lo) < 0) || (hi >= 0 && kcmp(k, hi) >= 0))
            continue;
        uint64_t s;
        if (model_get(k, snap, &s) == LSMT_OK)
            out[n++] = k;
    }
    return n;
}

static void check_iters(lsmt_memtable *mt, uint64_t snap)
{
    int exp[NK], lo = -1, hi = -1;
    char lb[KB], ub[KB];
    if (rndn(2)) {
        lo = (int)rndn(NK + 2);
        kname(lo, lb);
    }
    if (rndn(2)) {
        hi = (int)rndn(NK + 2);
        kname(hi, ub);
    }
    size_t n = model_scan(snap, lo, hi, exp);
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.snapshot = snap;
    if (lo >= 0) {
        io.lower_bound = lb;
        io.lower_len = KL;
    }
    if (hi >= 0) {
        io.upper_bound = ub;
        io.upper_len = KL;
    }
    lsmt_memtable_iter *it;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_OK);
    size_t i = 0;
    for (lsmt_status st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_memtable_iter_next(it), i++) {
        const void *k;
        size_t kl;
        char nm[KB];
        ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, NULL, NULL), LSMT_OK);
        ck_assert_uint_lt(i, n);
        kname(exp[i], nm);
        ck_assert_msg(kl == KL && memcmp(k, nm, KL) == 0, "fwd %zu: %.*s != %s (snap %llu)", i,
                      (int)kl, (const char *)k, nm, (unsigned long long)snap);
    }
    ck_assert_uint_eq(i, n);
    i = n;
    for (lsmt_status st = lsmt_memtable_iter_seek_to_last(it); st == LSMT_OK;
         st = lsmt_memtable_iter_prev(it)) {
        const void *k;
        size_t kl;
        char nm[KB];
        ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, NULL, NULL), LSMT_OK);
        ck_assert_uint_gt(i, 0);
        i--;
        kname(exp[i], nm);
        ck_assert_msg(kl == KL && memcmp(k, nm, KL) == 0, "bwd %zu: %.*s != %s", i, (int)kl,
                      (const char *)k, nm);
    }
    ck_assert_uint_eq(i, 0);
    /* a seek into the middle */
    int sk = (int)rndn(NK);
    char skn[KB];
    kname(sk, skn);
    size_t first = 0;
    while (first < n && kcmp(exp[first], sk) < 0)
        first++;
    lsmt_status st = lsmt_memtable_iter_seek(it, skn, KL);
    if (first == n || (lo >= 0 && kcmp(sk, lo) < 0 && false)) {
        ck_assert_int_eq(st, LSMT_END);
    } else {
        const void *k;
        size_t kl;
        char nm[KB];
        ck_assert_int_eq(st, LSMT_OK);
        lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, NULL, NULL);
        kname(exp[first], nm);
        ck_assert(kl == KL && memcmp(k, nm, KL) == 0);
    }
    lsmt_memtable_iter_destroy(it);
}

/* The flush iterators against the model: raw order, fragments disjoint and sorted,
 * and per key the (fragment, seq) pairs covering it = the tombstones covering it. */
static void check_flush_iters(lsmt_memtable *mt)
{
    lsmt_range_del_iter *it;
    ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, &it), LSMT_OK);
    size_t n = 0;
    const void *pb = NULL;
    size_t pbl = 0;
    uint64_t pseq = 0;
    for (lsmt_status st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it), n++) {
        const void *b, *e;
        size_t bl, el;
        uint64_t s;
        ck_assert_int_eq(lsmt_range_del_iter_entry(it, &b, &bl, &e, &el, &s), LSMT_OK);
        if (pb != NULL) {
            int c = reversed ? -lsmt_bytewise_compare(NULL, pb, pbl, b, bl)
                             : lsmt_bytewise_compare(NULL, pb, pbl, b, bl);
            ck_assert(c < 0 || (c == 0 && pseq > s));
        }
        pb = b;
        pbl = bl;
        pseq = s;
    }
    ck_assert_uint_eq(n, ntombs);
    ck_assert(!lsmt_range_del_iter_valid(it));
    lsmt_range_del_iter_destroy(it);

    ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_FRAGMENTED, &it), LSMT_OK);
    /* covering[k] collects seqs from fragments; compare to the model's */
    static uint64_t got[NK + 2][MAXOPS];
    size_t ngot[NK + 2] = {0};
    int prev_e = -1;
    for (lsmt_status st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it)) {
        const char *b, *e;
        size_t bl, el;
        uint64_t s;
        ck_assert_int_eq(
            lsmt_range_del_iter_entry(it, (const void **)&b, &bl, (const void **)&e, &el, &s),
            LSMT_OK);
        ck_assert(bl == KL && el == KL);
        int bi = (b[KL - 2] - '0') * 10 + (b[KL - 1] - '0'),
            ei = (e[KL - 2] - '0') * 10 + (e[KL - 1] - '0');
        ck_assert_int_lt(kcmp(bi, ei), 0);
        if (prev_e >= 0)
            ck_assert_int_le(kcmp(prev_e, ei), 0);
        for (int k = 0; k < NK + 2; k++) {
            if (kcmp(bi, k) <= 0 && kcmp(k, ei) < 0) {
                for (size_t j = 0; j < ngot[k]; j++)
                    ck_assert_uint_ne(got[k][j], s); /* distinct within a key */
                got[k][ngot[k]++] = s;
            }
        }
        prev_e = ei;
    }
    lsmt_range_del_iter_destroy(it);
    for (int k = 0; k < NK + 2; k++) {
        size_t want = 0;
        for (size_t i = 0; i < ntombs; i++) {
            if (kcmp(tombs[i].b, k) <= 0 && kcmp(k, tombs[i].e) < 0) {
                want++;
                size_t j = 0;
                while (j < ngot[k] && got[k][j] != tombs[i].seq)
                    j++;
                ck_assert_msg(j < ngot[k], "key %d misses seq %llu", k,
                              (unsigned long long)tombs[i].seq);
            }
        }
        ck_assert_uint_eq(want, ngot[k]); /* seqs are unique in the model */
    }
}

static void check_all(lsmt_memtable *mt, uint64_t maxseq)
{
    for (uint64_t snap = 0; snap <= maxseq + 1; snap += 1 + rndn(4)) {
        const void *keys[NK + 2];
        size_t klens[NK + 2];
        char names[NK + 2][KB];
        lsmt_status sts[NK + 2];
        const void *vals[NK + 2];
        size_t vls[NK + 2];
        for (int k = 0; k < NK + 2; k++) {
            kname(k, names[k]);
            keys[k] = names[k];
            klens[k] = KL;
            uint64_t es = 0, gs = 0;
            lsmt_status e = model_get(k, snap, &es);
            lsmt_status g = get(mt, names[k], snap, &gs);
            ck_assert_msg(e == g, "key %d snap %llu: want %d got %d", k, (unsigned long long)snap,
                          e, g);
            if (e != LSMT_NOT_FOUND)
                ck_assert_uint_eq(es, gs);
        }
        ck_assert_int_eq(lsmt_memtable_multi_get(mt, NK + 2, keys, klens, snap, sts, vals, vls),
                         LSMT_OK);
        for (int k = 0; k < NK + 2; k++) {
            uint64_t es;
            ck_assert_int_eq(sts[k], model_get(k, snap, &es));
        }
        check_iters(mt, snap);
    }
    check_flush_iters(mt);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
}

static void run_model(uint64_t seed, int rev, unsigned bloom)
{
    long_keys = bloom == 1; /* run_seeds(0, 1): long keys, no filter */
    if (long_keys)
        bloom = 0;
    rng_state = seed;
    reversed = rev;
    nvers = ntombs = 0;
    lsmt_memtable *mt = mk(1 << 20, 0, rev ? rev_cmp : NULL, bloom);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    uint64_t seq = 1;
    size_t nops = 50 + rndn(MAXOPS - 100);
    for (size_t op = 0; op < nops;) {
        int batch = rndn(5) == 0;
        size_t nrec = batch ? 1 + rndn(4) : 1;
        if (op + nrec > nops)
            nrec = nops - op;
        lsmt_write_batch_clear(b);
        for (size_t r = 0; r < nrec; r++, op++) {
            int kind = (int)rndn(10); /* 0-5 put, 6-7 delete, 8-9 range delete */
            uint64_t s = seq + r;
            char kn[KB], en[KB];
            if (kind < 8) {
                int k = (int)rndn(NK);
                kname(k, kn);
                vers[nvers++] = (mver){k, s, kind < 6};
                if (batch)
                    ck_assert_int_eq(kind < 6 ? lsmt_write_batch_put(b, kn, KL, "v", 1)
                                              : lsmt_write_batch_delete(b, kn, KL),
                                     LSMT_OK);
                else
                    ck_assert_int_eq(kind < 6 ? lsmt_memtable_put(mt, s, kn, KL, "v", 1)
                                              : lsmt_memtable_delete(mt, s, kn, KL),
                                     LSMT_OK);
            } else {
                int x = (int)rndn(NK + 2), y = (int)rndn(NK + 2);
                if (x == y)
                    y = (x + 1) % (NK + 2);
                if (kcmp(x, y) > 0) {
                    int t = x;
                    x = y;
                    y = t;
                }
                if (rndn(3) == 0 && kcmp(x, y) < 0) { /* often short ranges */
                    y = rev ? (x > 0 ? x - 1 : x) : x + 1;
                    if (kcmp(x, y) >= 0)
                        y = rev ? x - 1 : x + 1;
                }
                kname(x, kn);
                kname(y, en);
                tombs[ntombs++] = (mtomb){x, y, s};
                if (batch)
                    ck_assert_int_eq(lsmt_write_batch_delete_range(b, kn, KL, en, KL), LSMT_OK);
                else
                    ck_assert_int_eq(lsmt_memtable_delete_range(mt, s, kn, KL, en, KL), LSMT_OK);
            }
        }
        if (batch)
            ck_assert_int_eq(lsmt_memtable_write(mt, seq, b), LSMT_OK);
        seq += nrec;
        if (rndn(40) == 0)
            check_all(mt, seq);
    }
    check_all(mt, seq);
    lsmt_memtable_stats st;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st), LSMT_OK);
    ck_assert_uint_eq(st.range_deletes, ntombs);
    ck_assert_uint_eq(st.entries, nvers);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}

static void run_seeds(int rev, unsigned bloom)
{
    const char *env = getenv("LSMT_TEST_SEED");
    if (env != NULL) {
        run_model(strtoull(env, NULL, 10), rev, bloom);
        return;
    }
    int n = 20 / SCALE + 1;
    for (int i = 0; i < n; i++) {
        uint64_t seed = 1000 + (uint64_t)i * 7919 + (uint64_t)rev * 31 + bloom;
        fprintf(stderr, "%s", "");
        run_model(seed, rev, bloom);
    }
}

START_TEST(test_model)
{
    run_seeds(0, 0);
}
END_TEST
START_TEST(test_model_reverse)
{
    run_seeds(1, 0);
}
END_TEST
START_TEST(test_model_bloom)
{
    run_seeds(0, 10);
}
END_TEST
START_TEST(test_model_long_keys)
{
    run_seeds(0, 1);
}
END_TEST

/* ---- write batches -------------------------------------------------------------------- */
START_TEST(test_batch)
{
    lsmt_memtable *mt = mk(1 << 20, 0, NULL, 0);
    lsmt_write_batch *b;
    uint64_t s;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "a", 1, "A", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "a", 1, "c", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "b", 1, "B", 1), LSMT_OK);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 3);
    ck_assert_int_eq(lsmt_memtable_write(mt, 10, b), LSMT_OK);
    ck_assert_int_eq(get(mt, "a", 20, &s), LSMT_DELETED); /* a@10 < range@11 */
    ck_assert_uint_eq(s, 11);
    ck_assert_int_eq(get(mt, "b", 20, &s), LSMT_OK); /* b@12 > range@11 */
    ck_assert_int_eq(get(mt, "a", 10, &s), LSMT_OK);
    /* a (begin, seq) already present: EXISTS, nothing applied */
    lsmt_memtable_stats st0, st1;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st0), LSMT_OK);
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_put(b, "z", 1, "Z", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "a", 1, "q", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 10, b), LSMT_EXISTS);
    /* an empty / inverted range: INVALID, nothing applied */
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_put(b, "y", 1, "Y", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "q", 1, "q", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 30, b), LSMT_INVALID);
    lsmt_write_batch_clear(b);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "r", 1, "q", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 30, b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st1), LSMT_OK);
    ck_assert_uint_eq(st1.entries, st0.entries);
    ck_assert_uint_eq(st1.range_deletes, st0.range_deletes);
    ck_assert_int_eq(get(mt, "z", 99, &s), LSMT_NOT_FOUND);
    ck_assert_int_eq(get(mt, "y", 99, &s), LSMT_NOT_FOUND);
    /* bad records leave the batch unchanged */
    size_t c = lsmt_write_batch_count(b);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, NULL, 1, "q", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "q", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete_range(NULL, "q", 1, "r", 1), LSMT_INVALID);
    ck_assert_uint_eq(lsmt_write_batch_count(b), c);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* A batch that does not fit (FULL) with a range delete in it applies nothing. */
START_TEST(test_batch_full)
{
    lsmt_memtable *mt = mk(1 << 20, 1 << 20, NULL, 0);
    char big[4096];
    memset(big, 'v', sizeof big);
    uint64_t seq = 1;
    lsmt_status st;
    while ((st = lsmt_memtable_put(mt, seq, &seq, sizeof seq, big, sizeof big)) == LSMT_OK)
        seq++;
    ck_assert_int_eq(st, LSMT_FULL);
    lsmt_memtable_stats s0, s1;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s0), LSMT_OK);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(b, "", 0, "\xff", 1), LSMT_OK);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(lsmt_write_batch_put(b, "k", 1, big, sizeof big), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, seq + 10, b), LSMT_FULL);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s1), LSMT_OK);
    ck_assert_uint_eq(s1.range_deletes, 0);
    ck_assert_uint_eq(s1.entries, s0.entries);
    uint64_t k = 1, s;
    const void *v;
    size_t vl;
    ck_assert_int_eq(lsmt_memtable_get(mt, &k, sizeof k, LSMT_MAX_SEQUENCE, &v, &vl, &s), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- lifecycle, stats, memory ---------------------------------------------------------- */
START_TEST(test_lifecycle)
{
    lsmt_memtable *mt = mk(1 << 20, 0, NULL, 0);
    uint64_t s;
    size_t m0 = lsmt_memtable_approximate_memory_usage(mt);
    char b[16], e[16];
    for (int i = 0; i < 2000; i++) { /* > one 256 KiB chunk: 2000 * ~100 bytes */
        snprintf(b, sizeof b, "r%05d", i);
        snprintf(e, sizeof e, "r%05d~", i);
        ck_assert_int_eq(DR(mt, (uint64_t)i + 1, b, e), LSMT_OK);
    }
    ck_assert_uint_gt(lsmt_memtable_approximate_memory_usage(mt), m0);
    ck_assert_int_eq(get(mt, "r01234x", 9999, &s), LSMT_DELETED);
    ck_assert_uint_eq(s, 1235);
    ck_assert_int_eq(get(mt, "r01234x", 1234, &s), LSMT_NOT_FOUND);
    ck_assert_int_eq(get(mt, "r01234~~", 9999, &s), LSMT_NOT_FOUND);
    /* freeze: writes refused, reads continue */
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
    ck_assert_int_eq(DR(mt, 5000, "a", "b"), LSMT_FROZEN);
    lsmt_write_batch *wb;
    ck_assert_int_eq(lsmt_write_batch_create(&wb), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_delete_range(wb, "a", 1, "b", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 5000, wb), LSMT_FROZEN);
    ck_assert_int_eq(get(mt, "r00000", 9999, &s), LSMT_DELETED);
    /* an open range-del iterator makes reset_all BUSY */
    lsmt_range_del_iter *it;
    ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_FRAGMENTED, &it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_BUSY);
    size_t n = 0;
    for (lsmt_status st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it))
        n++;
    ck_assert_uint_eq(n, 2000);
    lsmt_range_del_iter_destroy(it);
    lsmt_memtable_stats st;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st), LSMT_OK);
    ck_assert_uint_eq(st.range_deletes, 2000);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    /* reset_all: empty, ACTIVE, tombstones gone */
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st), LSMT_OK);
    ck_assert_uint_eq(st.range_deletes, 0);
    ck_assert_int_eq(get(mt, "r00000", 9999, &s), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, &it), LSMT_OK);
    ck_assert_int_eq(lsmt_range_del_iter_seek_to_first(it), LSMT_END);
    lsmt_range_del_iter_destroy(it);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "r00000", 6, "v", 1), LSMT_OK);
    ck_assert_int_eq(DR(mt, 2, "r", "s"), LSMT_OK);
    ck_assert_int_eq(get(mt, "r00000", 9999, &s), LSMT_DELETED);
    ck_assert_int_eq(get(mt, "r00000", 1, &s), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_write_batch_destroy(wb);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* Many tombstones, gets interleaved with the writes: the newest tombstones are answered
 * from the recent stack, the older ones from the cached view, which the writers rebuild
 * only when it lags by more than lsmt_rt_lag_max (8 + T/128, at most 64) -- not once per
 * tombstone -- and whose old copies are reclaimed through call_rcu. The answers stay
 * right at every step, and the view's bytes are counted in memory_reserved. */
START_TEST(test_many_interleaved)
{
    lsmt_memtable *mt = mk(8 << 20, 0, NULL, 0);
    char b[16], e[16], k[16];
    uint64_t s;
    int n = 3000 / SCALE;
    for (int i = 0; i < n; i++) {
        snprintf(b, sizeof b, "t%06d", i * 2);
        snprintf(e, sizeof e, "t%06d", i * 2 + 1);
        ck_assert_int_eq(DR(mt, (uint64_t)i + 1, b, e), LSMT_OK);
        /* the newest (from the stack), a random one (mostly the view), a gap */
        int probe[2] = {i, (int)(rnd() % (uint64_t)(i + 1))};
        for (int p = 0; p < 2; p++) {
            snprintf(k, sizeof k, "t%06d", probe[p] * 2);
            ck_assert_int_eq(get(mt, k, LSMT_MAX_SEQUENCE, &s), LSMT_DELETED);
            ck_assert_uint_eq(s, (uint64_t)probe[p] + 1);
            ck_assert_int_eq(get(mt, k, (uint64_t)probe[p], &s),
                             LSMT_NOT_FOUND); /* older snapshot */
            snprintf(k, sizeof k, "t%06d", probe[p] * 2 + 1);
            ck_assert_int_eq(get(mt, k, LSMT_MAX_SEQUENCE, &s), LSMT_NOT_FOUND);
        }
    }
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    uint64_t builds;
    size_t view_bytes;
    lsmt_mt_test_range_views_(mt, &builds, &view_bytes);
    /* one build per more than 8 new tombstones at most (a rebuild per tombstone before) */
    ck_assert_uint_ge(builds, 1);
    ck_assert_uint_le(builds, (uint64_t)n / 8 + 1);
    /* one fragment (64 bytes) per tombstone at least, all counted */
    ck_assert_uint_ge(view_bytes, (size_t)(n - 64) * 64);
    lsmt_memtable_stats before, after;
    lsmt_memtable_stats_get(mt, &before);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    lsmt_memtable_stats_get(mt, &after);
    lsmt_mt_test_range_views_(mt, &builds, &view_bytes);
    ck_assert_uint_eq(view_bytes, 0);
    ck_assert_uint_ge(before.memory_reserved - after.memory_reserved, (size_t)(n - 64) * 64);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- R1 across threads ------------------------------------------------------------------ */
typedef struct r1_ctx {
    lsmt_memtable *mt;
    _Atomic int done; /* tombstones that have returned OK */
    int n;
} r1_ctx;

static void *r1_writer(void *p)
{
    r1_ctx *c = p;
    char b[16], e[16];
    for (int i = 0; i < c->n; i++) {
        snprintf(b, sizeof b, "w%06d", i);
        snprintf(e, sizeof e, "w%06d~", i);
        if (DR(c->mt, (uint64_t)i + 1, b, e) != LSMT_OK)
            abort();
        /* release: the test's own hand-off "this delete_range returned" */
        atomic_store_explicit(&c->done, i + 1, memory_order_release);
    }
    return NULL;
}

START_TEST(test_r1_concurrent)
{
    r1_ctx c = {.mt = mk(8 << 20, 0, NULL, 0), .done = 0, .n = 4000 / SCALE};
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, r1_writer, &c), 0);
    int seen;
    uint64_t checks = 0;
    while ((seen = atomic_load_explicit(&c.done, memory_order_acquire)) < c.n) {
        if (seen == 0)
            continue;
        int j = (int)(rnd() % (uint64_t)seen);
        char k[16];
        uint64_t s;
        snprintf(k, sizeof k, "w%06dx", j);
        lsmt_status st = get(c.mt, k, LSMT_MAX_SEQUENCE, &s);
        ck_assert_msg(st == LSMT_DELETED, "tombstone %d (of %d returned) not seen: %d", j, seen,
                      st);
        checks++;
    }
    pthread_join(w, NULL);
    ck_assert_int_eq(lsmt_memtable_validate(c.mt), LSMT_OK);
    lsmt_memtable_destroy(c.mt);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("range_del");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, test_semantics);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_model_reverse);
    tcase_add_test(tc, test_model_bloom);
    tcase_add_test(tc, test_model_long_keys);
    suite_add_tcase(s, tc);
    tc = tcase_create("batch");
    tcase_add_test(tc, test_batch);
    tcase_add_test(tc, test_batch_full);
    suite_add_tcase(s, tc);
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_many_interleaved);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrent");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_r1_concurrent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
