/* Linearizability of the memtable's put / delete / get (tests/linearizability.h).
 *
 * TCase "checker": the checker is proven able to fail: hand-made non-linearizable
 * histories are rejected, linearizable ones (including ones that need reordering of
 * concurrent operations) are accepted, and random histories built around known
 * linearization points are accepted.
 * TCase "memtable": short concurrent histories recorded on a real memtable (3 threads,
 * 2 keys, about 24 operations per key, reset_all between rounds) must all be
 * linearizable. Invocation and response times come from one atomic clock (acq_rel
 * fetch_add), so "A returned before B was invoked" in the history implies it in reality. */
#include "linearizability.h"

#include "lsmt/memtable.h"
#include "lsmt/range_del.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#define NF LSMT_NOT_FOUND

static lin_op W(uint32_t key, lin_kind kind, uint64_t seq, uint64_t value, int status,
                uint64_t call, uint64_t ret)
{
    lin_op o = {key, kind, seq, value, status, 0, call, ret, 0, 0};
    return o;
}

static lin_op G(uint32_t key, uint64_t snap, int status, uint64_t seq_out, uint64_t value,
                uint64_t call, uint64_t ret)
{
    lin_op o = {key, LIN_GET, snap, value, status, seq_out, call, ret, 1, 0};
    return o;
}

/* A range delete of keys [begin, end) */
static lin_op R(uint32_t begin, uint32_t end, uint64_t seq, int status, uint64_t call, uint64_t ret)
{
    lin_op o = {begin, LIN_RDEL, seq, 0, status, 0, call, ret, 2, end};
    return o;
}

#define MAXS LSMT_MAX_SEQUENCE
#define CHECK_HIST(expect, ...)                                             \
    do {                                                                    \
        lin_op h_[] = {__VA_ARGS__};                                        \
        lin_report r_;                                                      \
        lin_verdict v_ = lin_check(h_, sizeof(h_) / sizeof(h_[0]), 0, &r_); \
        if (v_ != (expect))                                                 \
            lin_dump_key(h_, sizeof(h_) / sizeof(h_[0]), r_.key);           \
        ck_assert_int_eq(v_, (expect));                                     \
    } while (0)

START_TEST(test_sequential_legal)
{
    CHECK_HIST(LIN_OK, G(0, MAXS, NF, 0, 0, 1, 2), W(0, LIN_PUT, 1, 10, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_OK, 1, 10, 5, 6), W(0, LIN_DEL, 2, 0, LSMT_OK, 7, 8),
               G(0, MAXS, LSMT_DELETED, 2, 0, 9, 10), G(0, 1, LSMT_OK, 1, 10, 11, 12),
               W(0, LIN_PUT, 3, 30, LSMT_OK, 13, 14), G(0, MAXS, LSMT_OK, 3, 30, 15, 16));
}
END_TEST

START_TEST(test_stale_read_rejected)
{
    /* The put completed before the get began: the get must see it. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2), G(0, MAXS, NF, 0, 0, 3, 4));
    /* A completed delete hides the older put. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2),
               W(0, LIN_DEL, 2, 0, LSMT_OK, 3, 4), G(0, MAXS, LSMT_OK, 1, 10, 5, 6));
}
END_TEST

START_TEST(test_concurrent_either_way)
{
    /* Two gets inside the put's interval may disagree: get1, put, get2. */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 10), G(0, MAXS, NF, 0, 0, 2, 3),
               G(0, MAXS, LSMT_OK, 1, 10, 4, 5));
    /* ... even in the other time order, as long as they overlap each other. */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 10), G(0, MAXS, LSMT_OK, 1, 10, 2, 5),
               G(0, MAXS, NF, 0, 0, 3, 6));
}
END_TEST

START_TEST(test_non_monotonic_rejected)
{
    /* A saw the put, B started after A returned: B must see it too. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 10),
               G(0, MAXS, LSMT_OK, 1, 10, 2, 3), G(0, MAXS, NF, 0, 0, 4, 5));
}
END_TEST

START_TEST(test_phantom_and_snapshot)
{
    /* A value nobody wrote. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2),
               G(0, MAXS, LSMT_OK, 1, 99, 3, 4));
    /* A version above the snapshot. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 5, 10, LSMT_OK, 1, 2), G(0, 4, LSMT_OK, 5, 10, 3, 4));
    /* The right answer at an older snapshot. */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 5, 10, LSMT_OK, 1, 2), W(0, LIN_PUT, 7, 11, LSMT_OK, 3, 4),
               G(0, 6, LSMT_OK, 5, 10, 5, 6), G(0, 4, NF, 0, 0, 7, 8));
    /* A failed write leaves no trace. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_FULL, 1, 2),
               G(0, MAXS, LSMT_OK, 1, 10, 3, 4));
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 1, 10, LSMT_FULL, 1, 2), G(0, MAXS, NF, 0, 0, 3, 4));
}
END_TEST

START_TEST(test_versions_order_by_seq)
{
    /* The newest SEQUENCE wins, not the latest write in time. */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 2, 20, LSMT_OK, 1, 2), W(0, LIN_PUT, 1, 10, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_OK, 2, 20, 5, 6));
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 2, 20, LSMT_OK, 1, 2),
               W(0, LIN_PUT, 1, 10, LSMT_OK, 3, 4), G(0, MAXS, LSMT_OK, 1, 10, 5, 6));
}
END_TEST

START_TEST(test_exists)
{
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 3),
               W(0, LIN_PUT, 1, 11, LSMT_EXISTS, 2, 4));
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_EXISTS, 1, 2),
               W(0, LIN_PUT, 1, 11, LSMT_OK, 3, 4));
    /* Both racing duplicates cannot succeed. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 3),
               W(0, LIN_PUT, 1, 11, LSMT_OK, 2, 4));
}
END_TEST

START_TEST(test_partitioned_by_key)
{
    lin_op h[] = {W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2), G(0, MAXS, LSMT_OK, 1, 10, 3, 4),
                  W(7, LIN_PUT, 2, 20, LSMT_OK, 1, 2), G(7, MAXS, NF, 0, 0, 3, 4)};
    lin_report r;
    ck_assert_int_eq(lin_check(h, 4, 0, &r), LIN_VIOLATION);
    ck_assert_uint_eq(r.key, 7);
    /* A put on key 0 does not satisfy a get on key 1. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2),
               G(1, MAXS, LSMT_OK, 1, 10, 3, 4));
}
END_TEST

START_TEST(test_bad_history)
{
    lin_op h[] = {W(0, LIN_PUT, 1, 10, LSMT_OK, 5, 5)};
    ck_assert_int_eq(lin_check(h, 1, 0, NULL), LIN_BAD_HISTORY);
    ck_assert_int_eq(lin_check(NULL, 0, 0, NULL), LIN_OK);
    /* More operations on one key than the checker handles: no verdict. */
    lin_op *big = calloc(LIN_MAX_OPS_PER_KEY + 1, sizeof(*big));
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i <= LIN_MAX_OPS_PER_KEY; i++)
        big[i] = G(0, MAXS, NF, 0, 0, 2 * i + 1, 2 * i + 2);
    ck_assert_int_eq(lin_check(big, LIN_MAX_OPS_PER_KEY + 1, 0, NULL), LIN_UNKNOWN);
    free(big);
}
END_TEST

/* ---- range deletes ---- */

START_TEST(test_rdel_sequential_legal)
{
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 10, 100, LSMT_OK, 1, 2), R(0, 1, 11, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_DELETED, 11, 0, 5, 6),
               /* below the tombstone's seq: the version shows */
               G(0, 10, LSMT_OK, 10, 100, 7, 8), W(0, LIN_PUT, 12, 120, LSMT_OK, 9, 10),
               G(0, MAXS, LSMT_OK, 12, 120, 11, 12),
               /* R2: a range tombstone may share a point version's seq; R3: it does not
                * hide that version */
               W(0, LIN_PUT, 20, 200, LSMT_OK, 13, 14), R(0, 2, 20, LSMT_OK, 15, 16),
               G(0, MAXS, LSMT_OK, 20, 200, 17, 18),
               /* a range that ends at key 1 does not cover it; one over it does, also
                * with no version at all */
               R(0, 1, 30, LSMT_OK, 19, 20), G(0, MAXS, LSMT_DELETED, 30, 0, 21, 22),
               G(1, MAXS, LSMT_DELETED, 20, 0, 23, 24), R(1, 3, 40, LSMT_OK, 25, 26),
               G(1, MAXS, LSMT_DELETED, 40, 0, 27, 28), G(0, MAXS, LSMT_DELETED, 30, 0, 29, 30),
               G(2, MAXS, LSMT_DELETED, 40, 0, 31, 32), G(2, 39, NF, 0, 0, 33, 34));
    /* A point delete newer than the range tombstone: its own seq. */
    CHECK_HIST(LIN_OK, R(0, 5, 3, LSMT_OK, 1, 2), W(0, LIN_DEL, 4, 0, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_DELETED, 4, 0, 5, 6));
    CHECK_HIST(LIN_VIOLATION, R(0, 5, 3, LSMT_OK, 1, 2), W(0, LIN_DEL, 4, 0, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_DELETED, 3, 0, 5, 6));
    /* A completed range delete hides an older version; a stale answer is rejected. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2), R(0, 1, 2, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_OK, 1, 10, 5, 6));
    CHECK_HIST(LIN_VIOLATION, R(0, 1, 2, LSMT_OK, 3, 4), G(0, MAXS, NF, 0, 0, 5, 6));
}
END_TEST

/* The anomaly of issue 15: put k@10 done; a get starts and its point read sees v10; put
 * k@12 completes; then a range delete @11 is invoked and completes; the get's tombstone
 * read sees 11 > 10 and answers DELETED. Every linearization either places the range
 * delete after the get (answer v10 or v12) or before it, hence after put@12 (v12). */
START_TEST(test_rdel_anomaly_rejected)
{
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 10, 100, LSMT_OK, 1, 2),
               G(0, MAXS, LSMT_DELETED, 11, 0, 3, 10), W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5),
               R(0, 3, 11, LSMT_OK, 6, 7));
    /* the legal answers of the same history */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 10, 100, LSMT_OK, 1, 2), G(0, MAXS, LSMT_OK, 10, 100, 3, 10),
               W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5), R(0, 3, 11, LSMT_OK, 6, 7));
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 10, 100, LSMT_OK, 1, 2), G(0, MAXS, LSMT_OK, 12, 120, 3, 10),
               W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5), R(0, 3, 11, LSMT_OK, 6, 7));
    /* The mirror: the point read sees put k@12, invoked after range delete @13 returned,
     * but the tombstone read missed @13. Any order placing put@12 before the get places
     * @13 before it too: the answer must be DELETED 13. */
    CHECK_HIST(LIN_VIOLATION, G(0, MAXS, LSMT_OK, 12, 120, 1, 10), R(0, 1, 13, LSMT_OK, 2, 3),
               W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5));
    CHECK_HIST(LIN_OK, G(0, MAXS, LSMT_DELETED, 13, 0, 1, 10), R(0, 1, 13, LSMT_OK, 2, 3),
               W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5));
    CHECK_HIST(LIN_OK, G(0, MAXS, NF, 0, 0, 1, 10), R(0, 1, 13, LSMT_OK, 2, 3),
               W(0, LIN_PUT, 12, 120, LSMT_OK, 4, 5));
}
END_TEST

START_TEST(test_rdel_non_monotonic_rejected)
{
    /* A range delete in flight: two gets that overlap each other may disagree ... */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2), R(0, 2, 5, LSMT_OK, 3, 20),
               G(0, MAXS, LSMT_DELETED, 5, 0, 4, 7), G(0, MAXS, LSMT_OK, 1, 10, 5, 8));
    /* ... but once one get saw it, a get invoked after that one returned must too. */
    CHECK_HIST(LIN_VIOLATION, W(0, LIN_PUT, 1, 10, LSMT_OK, 1, 2), R(0, 2, 5, LSMT_OK, 3, 20),
               G(0, MAXS, LSMT_DELETED, 5, 0, 4, 5), G(0, MAXS, LSMT_OK, 1, 10, 6, 7));
    /* The same across keys of the range is not checked: each key's projection alone is
     * legal here (key 0 sees it, then key 1 does not), though no single order is. */
    CHECK_HIST(LIN_OK, R(0, 2, 5, LSMT_OK, 1, 20), G(0, MAXS, LSMT_DELETED, 5, 0, 2, 3),
               G(1, MAXS, NF, 0, 0, 4, 5));
}
END_TEST

START_TEST(test_rdel_exists_and_failures)
{
    CHECK_HIST(LIN_OK, R(0, 2, 5, LSMT_OK, 1, 3), R(0, 3, 5, LSMT_EXISTS, 2, 4),
               G(0, MAXS, LSMT_DELETED, 5, 0, 5, 6));
    /* the same (begin, seq) cannot succeed twice */
    CHECK_HIST(LIN_VIOLATION, R(0, 2, 5, LSMT_OK, 1, 3), R(0, 3, 5, LSMT_OK, 2, 4),
               G(0, MAXS, LSMT_DELETED, 5, 0, 5, 6));
    /* another begin with the same seq can */
    CHECK_HIST(LIN_OK, R(0, 3, 5, LSMT_OK, 1, 3), R(1, 3, 5, LSMT_OK, 2, 4),
               G(1, MAXS, LSMT_DELETED, 5, 0, 5, 6));
    CHECK_HIST(LIN_VIOLATION, R(0, 2, 5, LSMT_EXISTS, 1, 2), G(0, MAXS, NF, 0, 0, 3, 4));
    /* a point version with the range tombstone's seq is no duplicate of it (R2) */
    CHECK_HIST(LIN_OK, W(0, LIN_PUT, 5, 50, LSMT_OK, 1, 2), R(0, 2, 5, LSMT_OK, 3, 4),
               G(0, MAXS, LSMT_OK, 5, 50, 5, 6));
    /* a failed range delete leaves no trace */
    CHECK_HIST(LIN_OK, R(0, 2, 5, LSMT_FULL, 1, 2), G(0, MAXS, NF, 0, 0, 3, 4));
    CHECK_HIST(LIN_VIOLATION, R(0, 2, 5, LSMT_FULL, 1, 2), G(0, MAXS, LSMT_DELETED, 5, 0, 3, 4));
}
END_TEST

START_TEST(test_rdel_projection)
{
    /* The range [0, 3) covers keys 0 and 2 (1 has no operation); the violation is on
     * key 2. A range that covers no key of the history changes nothing. */
    lin_op h[] = {R(0, 3, 5, LSMT_OK, 1, 2),           G(0, MAXS, LSMT_DELETED, 5, 0, 3, 4),
                  G(2, MAXS, NF, 0, 0, 3, 4),          R(7, 9, 6, LSMT_OK, 1, 2),
                  W(9, LIN_PUT, 1, 10, LSMT_OK, 1, 2), G(9, MAXS, LSMT_OK, 1, 10, 3, 4)};
    lin_report r;
    ck_assert_int_eq(lin_check(h, 6, 0, &r), LIN_VIOLATION);
    ck_assert_uint_eq(r.key, 2);
    h[2].status = LSMT_DELETED;
    h[2].seq_out = 5;
    ck_assert_int_eq(lin_check(h, 6, 0, &r), LIN_OK);
    ck_assert_uint_eq(r.keys_checked, 3);
    /* an empty or inverted range is a malformed history */
    lin_op bad[] = {R(3, 3, 5, LSMT_OK, 1, 2), G(3, MAXS, NF, 0, 0, 3, 4)};
    ck_assert_int_eq(lin_check(bad, 2, 0, NULL), LIN_BAD_HISTORY);
}
END_TEST

/* Random histories linearizable by construction: each operation gets a linearization
 * point 10*i, its result from the specification run in point order, and an interval
 * around its point (so many operations overlap). A second variant corrupts one get so
 * that its answer is impossible (a value never written) and must be rejected. */
START_TEST(test_random_by_construction)
{
    unsigned rs = 12345u + (unsigned)_i;
    enum { N = 40 };
    lin_op h[N];
    uint64_t vseq[N], vval[N];
    int vtype[N], nv = 0;
    uint64_t next_seq = 1;
    for (int i = 0; i < N; i++) {
        uint64_t point = 100 + 10 * (uint64_t)i;
        uint64_t call = point - (uint64_t)(rand_r(&rs) % 60),
                 ret = point + 1 + (uint64_t)(rand_r(&rs) % 60);
        int r = rand_r(&rs) % 10;
        if (r < 4) { /* put, sequence numbers not in time order */
            uint64_t seq = next_seq + (uint64_t)(rand_r(&rs) % 3);
            next_seq = seq + 3;
            h[i] = W(0, LIN_PUT, seq, 1000 + (uint64_t)i, LSMT_OK, call, ret);
            vseq[nv] = seq, vval[nv] = 1000 + (uint64_t)i, vtype[nv++] = 1;
        } else if (r < 6) {
            uint64_t seq = next_seq++;
            h[i] = W(0, LIN_DEL, seq, 0, LSMT_OK, call, ret);
            vseq[nv] = seq, vval[nv] = 0, vtype[nv++] = 0;
        } else {
            uint64_t snap = rand_r(&rs) % 2 ? MAXS : (uint64_t)(rand_r(&rs) % (int)next_seq);
            int best = -1;
            for (int j = 0; j < nv; j++)
                if (vseq[j] <= snap && (best < 0 || vseq[j] > vseq[best]))
                    best = j;
            if (best < 0)
                h[i] = G(0, snap, NF, 0, 0, call, ret);
            else if (vtype[best] == 0)
                h[i] = G(0, snap, LSMT_DELETED, vseq[best], 0, call, ret);
            else
                h[i] = G(0, snap, LSMT_OK, vseq[best], vval[best], call, ret);
        }
        h[i].call = h[i].call * 2; /* distinct from every ret */
        h[i].ret = h[i].ret * 2 + 1;
    }
    lin_report rep;
    if (lin_check(h, N, 0, &rep) != LIN_OK)
        lin_dump_key(h, N, 0);
    ck_assert_int_eq(rep.verdict, LIN_OK);
    for (int i = 0; i < N; i++) {
        if (h[i].kind == LIN_GET && h[i].status == LSMT_OK) {
            h[i].value = 777777; /* never written */
            ck_assert_int_eq(lin_check(h, N, 0, NULL), LIN_VIOLATION);
            return;
        }
    }
}
END_TEST

/* The same with range deletes over 3 keys: puts and deletes of one key, range deletes
 * of [a, b) (0 <= a < b <= 3), gets of one key judged by the spec (range tombstones
 * hide versions strictly below their seq). Corrupted variants: a get answering a value
 * never written, a get reporting a range tombstone that does not exist. */
START_TEST(test_random_rdel_by_construction)
{
    unsigned rs = 54321u + (unsigned)_i;
    enum { N = 48, K = 3 };
    lin_op h[N];
    struct {
        uint64_t seq, val;
        int type; /* 0 point tombstone, 1 put, 2 range delete */
        uint32_t key, end;
    } w[N];
    int nw = 0;
    uint64_t next_seq = 1;
    for (int i = 0; i < N; i++) {
        uint64_t point = 100 + 10 * (uint64_t)i;
        uint64_t call = point - (uint64_t)(rand_r(&rs) % 60),
                 ret = point + 1 + (uint64_t)(rand_r(&rs) % 60);
        int r = rand_r(&rs) % 10;
        uint32_t k = (uint32_t)(rand_r(&rs) % K);
        if (r < 3) { /* put, sequence numbers not in time order */
            uint64_t seq = next_seq + (uint64_t)(rand_r(&rs) % 3);
            next_seq = seq + 3;
            h[i] = W(k, LIN_PUT, seq, 1000 + (uint64_t)i, LSMT_OK, call, ret);
            w[nw].seq = seq, w[nw].val = 1000 + (uint64_t)i, w[nw].type = 1, w[nw++].key = k;
        } else if (r < 4) {
            uint64_t seq = next_seq++;
            h[i] = W(k, LIN_DEL, seq, 0, LSMT_OK, call, ret);
            w[nw].seq = seq, w[nw].val = 0, w[nw].type = 0, w[nw++].key = k;
        } else if (r < 6) {
            uint32_t end = k + 1 + (uint32_t)(rand_r(&rs) % (K - k));
            uint64_t seq = next_seq + (uint64_t)(rand_r(&rs) % 3);
            next_seq = seq + 3;
            h[i] = R(k, end, seq, LSMT_OK, call, ret);
            w[nw].seq = seq, w[nw].type = 2, w[nw].key = k, w[nw++].end = end;
        } else {
            uint64_t snap = rand_r(&rs) % 2 ? MAXS : (uint64_t)(rand_r(&rs) % (int)next_seq);
            int best = -1, rbest = -1;
            for (int j = 0; j < nw; j++) {
                if (w[j].seq > snap)
                    continue;
                if (w[j].type == 2 && w[j].key <= k && k < w[j].end &&
                    (rbest < 0 || w[j].seq > w[rbest].seq))
                    rbest = j;
                if (w[j].type != 2 && w[j].key == k && (best < 0 || w[j].seq > w[best].seq))
                    best = j;
            }
            if (rbest >= 0 && (best < 0 || w[rbest].seq > w[best].seq))
                h[i] = G(k, snap, LSMT_DELETED, w[rbest].seq, 0, call, ret);
            else if (best < 0)
                h[i] = G(k, snap, NF, 0, 0, call, ret);
            else if (w[best].type == 0)
                h[i] = G(k, snap, LSMT_DELETED, w[best].seq, 0, call, ret);
            else
                h[i] = G(k, snap, LSMT_OK, w[best].seq, w[best].val, call, ret);
        }
        h[i].call = h[i].call * 2; /* distinct from every ret */
        h[i].ret = h[i].ret * 2 + 1;
    }
    lin_report rep;
    if (lin_check(h, N, 0, &rep) != LIN_OK)
        lin_dump_key(h, N, rep.key);
    ck_assert_int_eq(rep.verdict, LIN_OK);
    bool corrupted_value = false, corrupted_range = false;
    for (int i = 0; i < N; i++) {
        lin_op *o = &h[i];
        if (!corrupted_value && o->kind == LIN_GET && o->status == LSMT_OK) {
            uint64_t v = o->value;
            o->value = 777777; /* never written */
            ck_assert_int_eq(lin_check(h, N, 0, NULL), LIN_VIOLATION);
            o->value = v;
            corrupted_value = true;
        }
        if (!corrupted_range && o->kind == LIN_GET && o->status == LSMT_DELETED) {
            uint64_t so = o->seq_out;
            o->seq_out = 888888; /* no tombstone has it */
            ck_assert_int_eq(lin_check(h, N, 0, NULL), LIN_VIOLATION);
            o->seq_out = so;
            corrupted_range = true;
        }
    }
    ck_assert_int_eq(lin_check(h, N, 0, NULL), LIN_OK);
}
END_TEST

/* ---- real histories --------------------------------------------------------------- */
enum { T_THREADS = 3, T_KEYS = 2, T_OPS = 16 };

static _Atomic uint64_t g_clock; /* acq_rel fetch_add: orders every timestamp (see top) */
static _Atomic uint64_t g_seq;   /* relaxed: only uniqueness of sequence numbers matters */

typedef struct rec_ctx {
    lsmt_memtable *mt;
    pthread_barrier_t *bar;
    uint32_t thread;
    unsigned seed;
    lin_op ops[T_OPS];
} rec_ctx;

/* Sometimes yield between a timestamp and the call (or the call and its timestamp):
 * the interval then really contains other threads' operations, even on a loaded
 * machine where threads would otherwise run one after the other. */
static void widen(unsigned *seed)
{
    if (rand_r(seed) % 4 == 0)
        sched_yield();
}

static uint64_t tick(void)
{
    /* acq_rel: a timestamp taken after a call returned happens-after the call; one taken
     * before a call happens-before it. Pairs with every other tick. */
    return atomic_fetch_add_explicit(&g_clock, 1, memory_order_acq_rel);
}

/* Record one get of the 4-byte `key` into o: at the latest snapshot, or at whatever the
 * sequence counter says now (relaxed: any value is a legal snapshot; the spec judges the
 * answer). */
static void record_get(lsmt_memtable *mt, unsigned *seed, lin_op *o, const char *key, bool latest)
{
    o->kind = LIN_GET;
    o->seq = latest ? LSMT_MAX_SEQUENCE : atomic_load_explicit(&g_seq, memory_order_relaxed);
    const void *val = NULL;
    size_t vlen = 0;
    o->call = tick();
    widen(seed);
    o->status = lsmt_memtable_get(mt, key, 4, o->seq, &val, &vlen, &o->seq_out);
    o->ret = (widen(seed), tick());
    if (o->status == LSMT_OK) {
        ck_assert_uint_eq(vlen, sizeof(o->value));
        memcpy(&o->value, val, sizeof(o->value));
    }
}

static void *recorder(void *arg)
{
    rec_ctx *c = arg;
    pthread_barrier_wait(c->bar);
    for (int i = 0; i < T_OPS; i++) {
        lin_op *o = &c->ops[i];
        uint32_t k = (uint32_t)(rand_r(&c->seed) % T_KEYS);
        char key[8] = {'k', 'e', 'y', (char)('0' + k)};
        int r = rand_r(&c->seed) % 10;
        memset(o, 0, sizeof(*o));
        o->key = k;
        o->thread = c->thread;
        if (r < 4) {
            o->kind = LIN_PUT;
            /* relaxed: the counter only hands out distinct numbers */
            o->seq = atomic_fetch_add_explicit(&g_seq, 1, memory_order_relaxed);
            o->value = ((uint64_t)c->thread << 32) | (uint64_t)i;
            o->call = tick();
            widen(&c->seed);
            o->status = lsmt_memtable_put(c->mt, o->seq, key, 4, &o->value, sizeof(o->value));
            o->ret = (widen(&c->seed), tick());
        } else if (r < 5) {
            o->kind = LIN_DEL;
            o->seq = atomic_fetch_add_explicit(&g_seq, 1, memory_order_relaxed);
            o->call = tick();
            widen(&c->seed);
            o->status = lsmt_memtable_delete(c->mt, o->seq, key, 4);
            o->ret = (widen(&c->seed), tick());
        } else {
            record_get(c->mt, &c->seed, o, key, r < 8);
        }
    }
    return NULL;
}

/* One recorded history must be linearizable (else its offending key is printed): the
 * states the checker explored. */
static size_t check_history(const lin_op *all, size_t m, int variant, int round)
{
    lin_report rep;
    lin_verdict v = lin_check(all, m, 0, &rep);
    if (v != LIN_OK) {
        fprintf(stderr, "variant %d round %d: verdict %d on key %u\n", variant, round, (int)v,
                rep.key);
        lin_dump_key(all, m, rep.key);
    }
    ck_assert_int_eq(v, LIN_OK);
    return rep.states_explored;
}

static int rounds(int plain)
{
#if defined(LSMT_TSAN) || defined(__SANITIZE_ADDRESS__)
    return plain / 10;
#else
    const char *e = getenv("LSMT_TEST_SCALE");
    return e != NULL && atoi(e) > 0 ? plain * atoi(e) : plain;
#endif
}

START_TEST(test_memtable_histories)
{
    lsmt_memtable_options opt;
    lsmt_memtable_options_default(&opt);
    opt.write_buffer_size = 1 << 20;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&opt, &mt), LSMT_OK);
    atomic_store_explicit(&g_seq, 1, memory_order_relaxed);
    size_t explored = 0, overlaps = 0;
    int n = rounds(2000);
    for (int round = 0; round < n; round++) {
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, T_THREADS);
        rec_ctx ctx[T_THREADS];
        pthread_t th[T_THREADS];
        for (uint32_t t = 0; t < T_THREADS; t++) {
            ctx[t].mt = mt;
            ctx[t].bar = &bar;
            ctx[t].thread = t;
            ctx[t].seed = (unsigned)(round * 131 + (int)t * 7 + 1);
            ck_assert_int_eq(pthread_create(&th[t], NULL, recorder, &ctx[t]), 0);
        }
        lin_op all[T_THREADS * T_OPS];
        for (int t = 0; t < T_THREADS; t++) {
            pthread_join(th[t], NULL);
            memcpy(&all[t * T_OPS], ctx[t].ops, sizeof(ctx[t].ops));
        }
        pthread_barrier_destroy(&bar);
        explored += check_history(all, T_THREADS * T_OPS, 0, round);
        for (int a = 0; a < T_THREADS * T_OPS; a++)
            for (int b = a + 1; b < T_THREADS * T_OPS; b++)
                overlaps += all[a].key == all[b].key && all[a].call < all[b].ret &&
                            all[b].call < all[a].ret;
        /* A fresh history per round: reset_all empties the memtable (nothing of the
         * previous round may show up, the spec starts empty). */
        ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    }
    /* The histories must really be concurrent, or the test proves nothing. */
    fprintf(stderr, "linearizability: %d histories, %zu overlapping pairs, %zu states\n", n,
            overlaps, explored);
    ck_assert_uint_gt(overlaps, (size_t)n / 4);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- real histories with range deletes ----
 * Keys "key0".."key3" (numbered in bytewise order, as the checker requires); range
 * deletes of [key a, key b) covering 1 to 3 of them, half through delete_range, half
 * through a write batch; gets through get and multi_get (two keys: two GET operations
 * with the call's interval). Sequence numbers are taken before the call, so they are
 * out of real-time order (the issue-15 setting). Variants (_i): 0 plain, 1 hash index,
 * 2 protection_bytes_per_key 8, 3 bloom filter. */
enum { R_KEYS = 4 };

typedef struct rdel_ctx {
    lsmt_memtable *mt;
    pthread_barrier_t *bar;
    uint32_t thread;
    unsigned seed;
    size_t n;
    lin_op ops[2 * T_OPS];
} rdel_ctx;

static void key_name(char key[4], uint32_t k)
{
    memcpy(key, "key", 3);
    key[3] = (char)('0' + k);
}

static void *recorder_rdel(void *arg)
{
    rdel_ctx *c = arg;
    lsmt_write_batch *b = NULL;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    pthread_barrier_wait(c->bar);
    c->n = 0;
    for (int i = 0; i < T_OPS; i++) {
        lin_op *o = &c->ops[c->n++];
        uint32_t k = (uint32_t)(rand_r(&c->seed) % R_KEYS);
        char key[4];
        key_name(key, k);
        int r = rand_r(&c->seed) % 10;
        memset(o, 0, sizeof(*o));
        o->key = k;
        o->thread = c->thread;
        if (r < 4) {
            o->kind = r < 3 ? LIN_PUT : LIN_DEL;
            /* relaxed: the counter only hands out distinct numbers */
            o->seq = atomic_fetch_add_explicit(&g_seq, 1, memory_order_relaxed);
            o->value = ((uint64_t)c->thread << 32) | (uint64_t)i;
            widen(&c->seed); /* sequence numbers further out of real-time order */
            o->call = tick();
            widen(&c->seed);
            o->status = o->kind == LIN_PUT
                            ? lsmt_memtable_put(c->mt, o->seq, key, 4, &o->value, sizeof(o->value))
                            : lsmt_memtable_delete(c->mt, o->seq, key, 4);
            o->ret = (widen(&c->seed), tick());
        } else if (r < 6) {
            uint32_t span = R_KEYS - k < 3 ? R_KEYS - k : 3;
            char end[4];
            o->kind = LIN_RDEL;
            o->key_end = k + 1 + (uint32_t)(rand_r(&c->seed) % span);
            key_name(end, o->key_end);
            bool batched = rand_r(&c->seed) % 2;
            if (batched) {
                lsmt_write_batch_clear(b);
                ck_assert_int_eq(lsmt_write_batch_delete_range(b, key, 4, end, 4), LSMT_OK);
            }
            o->seq = atomic_fetch_add_explicit(&g_seq, 1, memory_order_relaxed);
            widen(&c->seed);
            o->call = tick();
            widen(&c->seed);
            o->status = batched ? lsmt_memtable_write(c->mt, o->seq, b)
                                : lsmt_memtable_delete_range(c->mt, o->seq, key, 4, end, 4);
            o->ret = (widen(&c->seed), tick());
        } else if (r < 9) {
            record_get(c->mt, &c->seed, o, key, r < 8);
        } else {
            /* multi_get of k and the next key: it reports no sequence numbers
             * (LIN_SEQ_ANY), so its answers are judged by status and value (unique per
             * put) */
            lin_op *o2 = &c->ops[c->n++];
            char key2[4];
            uint32_t k2 = (k + 1) % R_KEYS;
            key_name(key2, k2);
            const void *keys[2] = {key, key2}, *vals[2] = {NULL, NULL};
            size_t klens[2] = {4, 4}, vlens[2] = {0, 0};
            lsmt_status st[2];
            o->kind = LIN_GET;
            o->seq = LSMT_MAX_SEQUENCE;
            *o2 = *o;
            o2->key = k2;
            o->call = tick();
            widen(&c->seed);
            ck_assert_int_eq(
                lsmt_memtable_multi_get(c->mt, 2, keys, klens, LSMT_MAX_SEQUENCE, st, vals, vlens),
                LSMT_OK);
            o->ret = (widen(&c->seed), tick());
            o2->call = o->call;
            o2->ret = o->ret;
            lin_op *p[2] = {o, o2};
            for (int j = 0; j < 2; j++) {
                p[j]->status = st[j];
                p[j]->seq_out = LIN_SEQ_ANY;
                if (st[j] == LSMT_OK) {
                    ck_assert_uint_eq(vlens[j], sizeof(o->value));
                    memcpy(&p[j]->value, vals[j], sizeof(o->value));
                }
            }
        }
    }
    lsmt_write_batch_destroy(b);
    return NULL;
}

START_TEST(test_memtable_histories_rdel)
{
    lsmt_memtable_options opt;
    lsmt_memtable_options_default(&opt);
    opt.write_buffer_size = 1 << 20;
    opt.hash_index = _i == 1;
    opt.protection_bytes_per_key = _i == 2 ? 8 : 0;
    opt.bloom_bits_per_key = _i == 3 ? 10 : 0;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&opt, &mt), LSMT_OK);
    atomic_store_explicit(&g_seq, 1, memory_order_relaxed);
    size_t explored = 0, overlaps = 0, covered_gets = 0;
    int n = rounds(500);
    for (int round = 0; round < n; round++) {
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, T_THREADS);
        rdel_ctx ctx[T_THREADS];
        pthread_t th[T_THREADS];
        for (uint32_t t = 0; t < T_THREADS; t++) {
            ctx[t].mt = mt;
            ctx[t].bar = &bar;
            ctx[t].thread = t;
            ctx[t].seed = (unsigned)(round * 131 + (int)t * 7 + 1 + _i * 100003);
            ck_assert_int_eq(pthread_create(&th[t], NULL, recorder_rdel, &ctx[t]), 0);
        }
        lin_op all[T_THREADS * 2 * T_OPS];
        size_t m = 0;
        for (int t = 0; t < T_THREADS; t++) {
            pthread_join(th[t], NULL);
            memcpy(&all[m], ctx[t].ops, ctx[t].n * sizeof(lin_op));
            m += ctx[t].n;
        }
        pthread_barrier_destroy(&bar);
        explored += check_history(all, m, _i, round);
        for (size_t a = 0; a < m; a++) {
            covered_gets += all[a].kind == LIN_GET && all[a].status == LSMT_DELETED;
            for (size_t b = a + 1; b < m; b++)
                overlaps += all[a].call < all[b].ret && all[b].call < all[a].ret &&
                            (all[a].kind == LIN_RDEL || all[b].kind == LIN_RDEL);
        }
        ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    }
    /* The histories must really be concurrent, and range deletes must really decide
     * answers, or the test proves nothing. */
    fprintf(stderr,
            "linearizability (range deletes, variant %d): %d histories, %zu pairs overlapping "
            "a range delete, %zu DELETED gets, %zu states\n",
            _i, n, overlaps, covered_gets, explored);
    ck_assert_uint_gt(overlaps, (size_t)n / 4);
    ck_assert_uint_gt(covered_gets, (size_t)n / 4);
    lsmt_memtable_destroy(mt);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("linearizability");
    TCase *tc = tcase_create("checker");
    tcase_add_test(tc, test_sequential_legal);
    tcase_add_test(tc, test_stale_read_rejected);
    tcase_add_test(tc, test_concurrent_either_way);
    tcase_add_test(tc, test_non_monotonic_rejected);
    tcase_add_test(tc, test_phantom_and_snapshot);
    tcase_add_test(tc, test_versions_order_by_seq);
    tcase_add_test(tc, test_exists);
    tcase_add_test(tc, test_partitioned_by_key);
    tcase_add_test(tc, test_bad_history);
    tcase_add_loop_test(tc, test_random_by_construction, 0, 50);
    tcase_add_test(tc, test_rdel_sequential_legal);
    tcase_add_test(tc, test_rdel_anomaly_rejected);
    tcase_add_test(tc, test_rdel_non_monotonic_rejected);
    tcase_add_test(tc, test_rdel_exists_and_failures);
    tcase_add_test(tc, test_rdel_projection);
    tcase_add_loop_test(tc, test_random_rdel_by_construction, 0, 50);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("memtable");
    tcase_add_test(tm, test_memtable_histories);
    tcase_add_loop_test(tm, test_memtable_histories_rdel, 0, 4);
    suite_add_tcase(s, tm);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
