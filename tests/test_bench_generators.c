/* Tests of memtable-bench's workload generators and latency histogram (bench/ycsb.c,
 * bench/histogram.c): the figures the bench prints are only as good as these.
 *
 * Tolerances are derived from the sample size: a frequency p estimated from M draws has
 * standard deviation sqrt(p (1 - p) / M); checks allow about 6 of them (a false failure
 * about once in 10^9 runs), and the seeds are fixed so a run is reproducible. */
#include "bench/histogram.h"
#include "bench/ycsb.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#if defined(LSMT_TSAN) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#define SCALE     10 /* sanitizer builds: fewer iterations */
#else
#define SANITIZED 0
#define SCALE     1
#endif

/* ---- reference computations, independent of the code under test ---------------- */

static double ref_zeta(uint64_t n, double theta)
{
    double s = 0;
    for (uint64_t i = 1; i <= n; i++)
        s += pow((double)i, -theta);
    return s;
}

/* Exact probability of each rank under Gray et al.'s method with items n, skew theta,
 * zeta zetan (the distribution YCSB's ZipfianGenerator really draws from): u uniform in
 * [0,1); rank 0 below 1/zetan, rank 1 below (1 + 0.5^theta)/zetan, else
 * floor(n (eta u - eta + 1)^alpha), i.e. rank r for u in [g(r), g(r+1)) with
 * g(x) = ((x/n)^(1-theta) - 1) / eta + 1. Fills p[0..nranks). */
static void gray_probs(double n, double theta, double zetan, double *p, size_t nranks)
{
    double zeta2 = 1.0 + pow(2.0, -theta);
    double eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / zetan);
    double c1 = 1.0 / zetan, c2 = (1.0 + pow(0.5, theta)) / zetan;
    for (size_t r = 0; r < nranks; r++) {
        double lo = (pow((double)r / n, 1.0 - theta) - 1.0) / eta + 1.0;
        double hi = (pow((double)(r + 1) / n, 1.0 - theta) - 1.0) / eta + 1.0;
        if (lo < c2)
            lo = c2;
        if (hi > 1.0)
            hi = 1.0;
        p[r] = hi > lo ? hi - lo : 0.0;
    }
    p[0] += c1;
    if (nranks > 1)
        p[1] += c2 - c1;
}

static uint64_t ref_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- hashing and keys -------------------------------------------------------------- */

START_TEST(fnv_matches_ycsb)
{
    /* Reference values computed with an independent FNV-1a 64 + Java Math.abs. */
    ck_assert_uint_eq(ycsb_fnvhash64(0), 6284781860667377211ull);
    ck_assert_uint_eq(ycsb_fnvhash64(1), 8517097267634966620ull);
    ck_assert_uint_eq(ycsb_fnvhash64(12345), 1792800413050876852ull);
    ck_assert_uint_eq(ycsb_fnvhash64(INT64_MAX), 8289549613075766851ull);
}
END_TEST

START_TEST(keys_ycsb_and_binary)
{
    char buf[YCSB_KEY_MAX];
    size_t len = ycsb_build_key(buf, 0, 0);
    ck_assert_uint_eq(len, strlen("user6284781860667377211"));
    ck_assert(memcmp(buf, "user6284781860667377211", len) == 0);
    /* binary 16-byte key == WORKLOADS.md key(i) = BE64(splitmix64(i)) ++ BE64(i) */
    uint64_t i = 987654321;
    len = ycsb_build_key(buf, i, 16);
    ck_assert_uint_eq(len, 16);
    unsigned char want[16];
    for (int b = 0; b < 8; b++) {
        want[b] = (unsigned char)(ref_splitmix64(i) >> (56 - 8 * b));
        want[8 + b] = (unsigned char)(i >> (56 - 8 * b));
    }
    ck_assert(memcmp(buf, want, 16) == 0);
    len = ycsb_build_key(buf, i, 40);
    ck_assert_uint_eq(len, 40);
    ck_assert(memcmp(buf, want, 16) == 0);
    for (int b = 16; b < 40; b++)
        ck_assert_int_eq(buf[b], 0);
}
END_TEST

/* ---- zipfian ----------------------------------------------------------------------- */

START_TEST(zeta_matches_direct_sum)
{
    ck_assert_double_eq_tol(ycsb_zeta(1000, 0.99), ref_zeta(1000, 0.99), 1e-9);
    /* the Euler-Maclaurin tail (n > 2^24) against a direct sum of 2^25 terms (33M
     * pow calls: skipped under sanitizers; the 10^10 check below covers the same path) */
    if (!SANITIZED) {
        uint64_t n = (uint64_t)1 << 25;
        double want = ref_zeta(n, 0.99);
        ck_assert_double_eq_tol(ycsb_zeta(n, 0.99), want, want * 1e-10);
    }
    /* and YCSB's precomputed constant for its scrambled generator (10^10 items) */
    ck_assert_double_eq_tol(ycsb_zeta(YCSB_SCRAMBLED_ITEMS, 0.99), YCSB_SCRAMBLED_ZETAN_099, 1e-7);
}
END_TEST

START_TEST(zipfian_frequencies_closed_form)
{
    const uint64_t n = 10;
    const double theta = 0.99;
    const long M = 1000000 / SCALE;
    ycsb_zipf z;
    ck_assert_int_eq(ycsb_zipf_init(&z, 100, 100 + n - 1, theta, 0), 0);
    ck_assert_double_eq_tol(z.zetan, ref_zeta(n, theta), 1e-12);
    bench_rng r;
    bench_rng_seed(&r, 42, 0);
    long cnt[10] = {0};
    for (long i = 0; i < M; i++) {
        uint64_t v = ycsb_zipf_next(&z, &r);
        ck_assert(v >= 100 && v < 100 + n);
        cnt[v - 100]++;
    }
    double gray[10];
    gray_probs((double)n, theta, ref_zeta(n, theta), gray, n);
    /* 1. chi-square against the exact distribution of the algorithm: 9 degrees of
     * freedom, 33.7 is the 0.9999 quantile. */
    double chi2 = 0;
    for (uint64_t k = 0; k < n; k++) {
        double e = gray[k] * (double)M;
        chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    }
    ck_assert_msg(chi2 < 33.7, "chi-square %.1f vs Gray's closed form", chi2);
    /* 2. the ideal zipf law 1/(k+1)^theta / zeta(n): ranks 0 and 1 are exact in Gray's
     * method (6 sigma); ranks >= 2 are an approximation that YCSB accepts, within 10%
     * for n = 10 (see bench/README.md). */
    for (uint64_t k = 0; k < n; k++) {
        double want = pow((double)(k + 1), -theta) / ref_zeta(n, theta);
        double got = (double)cnt[k] / (double)M;
        double sd = sqrt(want * (1 - want) / (double)M);
        if (k < 2)
            ck_assert_msg(fabs(got - want) < 6 * sd, "rank %d: %f vs %f", (int)k, got, want);
        else
            ck_assert_msg(fabs(got - want) / want < 0.10 + 6 * sd / want, "rank %d: %f vs %f",
                          (int)k, got, want);
    }
}
END_TEST

START_TEST(scrambled_zipfian_frequencies_closed_form)
{
    const uint64_t items = 10;
    const long M = 1000000 / SCALE;
    ycsb_scrambled s;
    ck_assert_int_eq(ycsb_scrambled_init(&s, 0, items - 1, 0.99), 0);
    bench_rng r;
    bench_rng_seed(&r, 7, 3);
    long cnt[10] = {0};
    for (long i = 0; i < M; i++) {
        uint64_t v = ycsb_scrambled_next(&s, &r);
        ck_assert_uint_lt(v, items);
        cnt[v]++;
    }
    /* Expected: the exact mass of the first H ranks of the 10^10-item zipfian, each
     * hashed to its item, plus the remaining tail mass spread evenly (the tail is
     * smooth and FNV scatters it). */
    const size_t H = 2000000;
    double *p = malloc(H * sizeof *p);
    ck_assert_ptr_nonnull(p);
    gray_probs((double)YCSB_SCRAMBLED_ITEMS, 0.99, YCSB_SCRAMBLED_ZETAN_099, p, H);
    double exp[10] = {0}, head = 0;
    for (size_t k = 0; k < H; k++) {
        exp[ycsb_fnvhash64(k) % items] += p[k];
        head += p[k];
    }
    free(p);
    double chi2 = 0;
    for (uint64_t k = 0; k < items; k++) {
        double want = exp[k] + (1.0 - head) / (double)items;
        double got = (double)cnt[k] / (double)M;
        double sd = sqrt(want * (1 - want) / (double)M);
        ck_assert_msg(fabs(got - want) < 6 * sd, "item %d: %f vs %f", (int)k, got, want);
        chi2 += (got - want) * (got - want) * (double)M / want;
    }
    ck_assert_msg(chi2 < 33.7, "chi-square %.1f", chi2);
}
END_TEST

START_TEST(latest_favours_recent_inserts)
{
    const long M = 200000 / SCALE;
    ycsb_latest l;
    ck_assert_int_eq(ycsb_latest_init(&l, 1000, 0.99), 0);
    bench_rng r;
    bench_rng_seed(&r, 9, 1);
    /* acked 1000: keys 0..999 exist; max = 999 must be the most popular and recency
     * ranks follow the zipfian over 999 items. */
    long cnt[1000] = {0};
    for (long i = 0; i < M; i++) {
        uint64_t v = ycsb_latest_next(&l, &r, 1000);
        ck_assert_uint_lt(v, 1000);
        cnt[v]++;
    }
    double p[999];
    gray_probs(999, 0.99, ref_zeta(999, 0.99), p, 999);
    double recent10 = 0, want10 = 0;
    for (int k = 0; k < 10; k++) {
        recent10 += (double)cnt[999 - k] / (double)M;
        want10 += p[k];
    }
    for (int v = 0; v < 999; v++)
        ck_assert_int_ge(cnt[999], cnt[v]);
    double sd = sqrt(want10 * (1 - want10) / (double)M);
    ck_assert_msg(fabs(recent10 - want10) < 6 * sd, "newest 10 keys: %f vs %f", recent10, want10);
    ck_assert(want10 > 0.35); /* i.e. "favours": 1% of the keys get > 35% of requests */

    /* 1000 more inserts acknowledged: the new newest key takes over, old keys fade. */
    long newest = 0, old = 0;
    for (long i = 0; i < M; i++) {
        uint64_t v = ycsb_latest_next(&l, &r, 2000);
        ck_assert_uint_lt(v, 2000);
        newest += v == 1999;
        old += v < 1000;
    }
    double pnew = 1.0 / ref_zeta(1999, 0.99);
    sd = sqrt(pnew * (1 - pnew) / (double)M);
    ck_assert_msg(fabs((double)newest / (double)M - pnew) < 6 * sd, "newest %f vs %f",
                  (double)newest / (double)M, pnew);
    ck_assert_msg((double)old / (double)M < 0.15, "old keys %f", (double)old / (double)M);
}
END_TEST

/* ---- operation mix and key chooser --------------------------------------------------- */

START_TEST(operation_mix_within_one_percent)
{
    const char *names = "ABCDEF";
    for (int w = 0; names[w]; w++) {
        const ycsb_workload *wl = ycsb_workload_get(names[w]);
        ck_assert_ptr_nonnull(wl);
        bench_rng r;
        bench_rng_seed(&r, 1234, (uint64_t)w);
        long cnt[YCSB_OP_COUNT_] = {0};
        const long N = 100000;
        for (long i = 0; i < N; i++)
            cnt[ycsb_choose_op(wl->proportion, &r)]++;
        for (int op = 0; op < YCSB_OP_COUNT_; op++) {
            double got = (double)cnt[op] / (double)N;
            ck_assert_msg(fabs(got - wl->proportion[op]) <= 0.01, "workload %c %s: %f vs %f",
                          wl->name, ycsb_op_name((ycsb_op)op), got, wl->proportion[op]);
            if (wl->proportion[op] == 0)
                ck_assert_int_eq(cnt[op], 0);
        }
    }
    ck_assert_ptr_null(ycsb_workload_get('G'));
    ck_assert_ptr_nonnull(ycsb_workload_get('d'));
    ck_assert_int_eq(ycsb_workload_get('D')->dist, YCSB_DIST_LATEST);
}
END_TEST

START_TEST(keychooser_never_beyond_acked)
{
    ycsb_dist d[3] = {YCSB_DIST_ZIPFIAN, YCSB_DIST_UNIFORM, YCSB_DIST_LATEST};
    for (int i = 0; i < 3; i++) {
        ycsb_keychooser k;
        ck_assert_int_eq(ycsb_keychooser_init(&k, d[i], 1000, 1000, 0.99), 0);
        bench_rng r;
        bench_rng_seed(&r, 5, (uint64_t)i);
        for (uint64_t acked = 1000; acked < 2000; acked += 7)
            for (int j = 0; j < 50; j++)
                ck_assert_uint_lt(ycsb_choose_key(&k, &r, acked), acked);
    }
    ycsb_keychooser k;
    ck_assert_int_eq(ycsb_keychooser_init(&k, YCSB_DIST_ZIPFIAN, 0, 0, 0.99), -1);
}
END_TEST

/* ---- acknowledged counter ------------------------------------------------------------ */

START_TEST(ack_counter_contiguous)
{
    ycsb_ack_counter c;
    ck_assert_int_eq(ycsb_ack_counter_init(&c, 10), 0);
    ck_assert_uint_eq(ycsb_ack_counter_acked(&c), 10);
    uint64_t a = ycsb_ack_counter_next(&c), b = ycsb_ack_counter_next(&c),
             d = ycsb_ack_counter_next(&c);
    ck_assert_uint_eq(a, 10);
    ck_assert_uint_eq(b, 11);
    ck_assert_uint_eq(d, 12);
    ycsb_ack_counter_acknowledge(&c, d);
    ycsb_ack_counter_acknowledge(&c, b);
    ck_assert_uint_eq(ycsb_ack_counter_acked(&c), 10); /* 10 still missing */
    ycsb_ack_counter_acknowledge(&c, a);
    ck_assert_uint_eq(ycsb_ack_counter_acked(&c), 13);
    ycsb_ack_counter_destroy(&c);
}
END_TEST

typedef struct {
    ycsb_ack_counter *c;
    long n;
    _Atomic unsigned char *inserted; /* the "inserts" the counter must publish */
} ack_arg;

static void *ack_worker(void *p)
{
    ack_arg *a = p;
    for (long i = 0; i < a->n; i++) {
        uint64_t k = ycsb_ack_counter_next(a->c);
        /* relaxed: published by acknowledge's release chain, checked below */
        atomic_store_explicit(&a->inserted[k], 1, memory_order_relaxed);
        ycsb_ack_counter_acknowledge(a->c, k);
        /* every key below acked must be inserted (invariant 1) */
        uint64_t acked = ycsb_ack_counter_acked(a->c);
        if (acked > 0 && !atomic_load_explicit(&a->inserted[acked - 1], memory_order_relaxed))
            return (void *)1;
    }
    return NULL;
}

START_TEST(ack_counter_concurrent)
{
    const long n = 200000 / SCALE;
    ycsb_ack_counter c;
    ck_assert_int_eq(ycsb_ack_counter_init(&c, 0), 0);
    _Atomic unsigned char *ins = calloc((size_t)(2 * n), 1);
    ck_assert_ptr_nonnull((void *)ins);
    ack_arg arg = {&c, n, ins};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, ack_worker, &arg), 0);
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        ck_assert_ptr_null(ret);
    }
    /* no acknowledgement stranded: everything folded */
    ck_assert_uint_eq(ycsb_ack_counter_acked(&c), (uint64_t)(2 * n));
    free((void *)ins);
    ycsb_ack_counter_destroy(&c);
}
END_TEST

/* ---- histogram ----------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(histogram_percentiles_vs_sorted)
{
    const size_t n = 1000000 / SCALE;
    uint64_t *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    bench_rng r;
    bench_rng_seed(&r, 77, 0);
    static bench_hist h, h1, h2;
    bench_hist_reset(&h);
    bench_hist_reset(&h1);
    bench_hist_reset(&h2);
    for (size_t i = 0; i < n; i++) {
        /* log-uniform over 10 ns .. 100 ms, plus a 0.1% tail up to 10 s */
        double e = 1.0 + 7.0 * bench_rng_double(&r);
        if (bench_rng_below(&r, 1000) == 0)
            e = 8.0 + 2.0 * bench_rng_double(&r);
        v[i] = (uint64_t)pow(10.0, e);
        bench_hist_record(&h, v[i]);
        bench_hist_record(i % 2 ? &h1 : &h2, v[i]);
    }
    bench_hist_merge(&h1, &h2);
    ck_assert_uint_eq(h1.count, h.count);
    ck_assert(memcmp(h1.bucket, h.bucket, sizeof h.bucket) == 0);
    qsort(v, n, sizeof *v, cmp_u64);
    const double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        size_t rank = (size_t)ceil(ps[i] / 100.0 * (double)n);
        double want = (double)v[rank - 1];
        double got = (double)bench_hist_value_at(&h, ps[i]);
        ck_assert_msg(fabs(got - want) / want <= 0.01, "p%g: %.0f vs %.0f", ps[i], got, want);
        ck_assert_uint_eq(bench_hist_value_at(&h1, ps[i]), bench_hist_value_at(&h, ps[i]));
    }
    ck_assert_uint_eq(bench_hist_value_at(&h, 100), v[n - 1]);
    ck_assert_uint_eq(bench_hist_value_at(&h, 0), v[0]);
    ck_assert_uint_eq(h.max, v[n - 1]);
    free(v);
}
END_TEST

START_TEST(histogram_bucket_error_bound)
{
    /* every value's bucket midpoint within 1/256 of it, buckets monotone in v */
    bench_rng r;
    bench_rng_seed(&r, 3, 3);
    static bench_hist h;
    bench_hist_reset(&h);
    h.min = 0;
    h.max = UINT64_MAX;
    h.count = 1;
    for (int i = 0; i < 200000 / SCALE; i++) {
        uint64_t v = bench_rng_next(&r) >> bench_rng_below(&r, 64);
        h.bucket[bench_hist_index(v)] = 1; /* a histogram holding only v's bucket */
        double mid = (double)bench_hist_value_at(&h, 50);
        h.bucket[bench_hist_index(v)] = 0;
        ck_assert_msg(fabs(mid - (double)v) <= (double)v / 256.0 + 0.5, "v=%llu mid=%.0f",
                      (unsigned long long)v, mid);
        ck_assert_uint_lt(bench_hist_index(v), BENCH_HIST_BUCKETS);
        if (v > 0)
            ck_assert_uint_le(bench_hist_index(v - 1), bench_hist_index(v));
    }
    ck_assert_uint_eq(bench_hist_index(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("bench_generators");
    TCase *tc = tcase_create("hash_keys");
    tcase_add_test(tc, fnv_matches_ycsb);
    tcase_add_test(tc, keys_ycsb_and_binary);
    suite_add_tcase(s, tc);
    tc = tcase_create("zipfian");
    tcase_add_test(tc, zeta_matches_direct_sum);
    tcase_add_test(tc, zipfian_frequencies_closed_form);
    tcase_add_test(tc, scrambled_zipfian_frequencies_closed_form);
    tcase_add_test(tc, latest_favours_recent_inserts);
    suite_add_tcase(s, tc);
    tc = tcase_create("mix");
    tcase_add_test(tc, operation_mix_within_one_percent);
    tcase_add_test(tc, keychooser_never_beyond_acked);
    suite_add_tcase(s, tc);
    tc = tcase_create("ack_counter");
    tcase_add_test(tc, ack_counter_contiguous);
    tcase_add_test(tc, ack_counter_concurrent);
    suite_add_tcase(s, tc);
    tc = tcase_create("histogram");
    tcase_add_test(tc, histogram_percentiles_vs_sorted);
    tcase_add_test(tc, histogram_bucket_error_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
