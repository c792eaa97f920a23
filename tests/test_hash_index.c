/* Check suite for the memtable's hash index (option hash_index, memtable/hash_index.h).
 *
 *  - model: random workloads (several versions per key arriving out of sequence order,
 *    tombstones, write batches, refused duplicates) applied to a memtable with the index
 *    and one without; gets and multi_gets at many snapshots, of present and absent keys,
 *    must agree exactly (status, value, sequence). Run with the default table, a table
 *    smaller than the key set (overflow: keys left out of the index must still be found)
 *    and a table of one window.
 *  - lifecycle: a refused write (EXISTS, FULL) leaves the index unchanged; freeze;
 *    reset_all reuse (old keys gone, new ones indexed); pool-backed memtables; options.
 *  - hot_keys (label "concurrency", also under TSan): writers race versions of a few hot
 *    keys with interleaved sequences; while they run, a get at the maximum snapshot of a
 *    key never returns a version older than the newest acknowledged before the get
 *    started, and after they finish it returns exactly the newest version of each key.
 * Seeds are fixed (printed on failure). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"
#include "support/hash.h"
#include "support/scale.h"

#include "lsmt/memtable.h"

#define SCALE LSMT_TEST_SCALE_DOWN(8, 2)

static lsmt_memtable *mk(size_t wbs, bool index, size_t expected, size_t hard)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = wbs;
    o.hard_limit = hard;
    o.shard_count = 2;
    o.hash_index = index;
    o.hash_index_expected_keys = expected;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

static void key_of(unsigned k, char *buf, size_t *len)
{
    /* varied lengths, the empty key included (k == 0) */
    *len = k == 0 ? 0 : (size_t)snprintf(buf, 32, "key%0*u", (int)(k % 7), k);
}

/* Both memtables must answer the same. */
static void agree_get(lsmt_memtable *a, lsmt_memtable *b, const char *k, size_t kl, uint64_t snap)
{
    const void *va = NULL, *vb = NULL;
    size_t la = 0, lb = 0;
    uint64_t sa = 0, sb = 0;
    lsmt_status x = lsmt_memtable_get(a, k, kl, snap, &va, &la, &sa);
    lsmt_status y = lsmt_memtable_get(b, k, kl, snap, &vb, &lb, &sb);
    if (x != y || ((x == LSMT_OK || x == LSMT_DELETED) && sa != sb) ||
        (x == LSMT_OK && (la != lb || memcmp(va, vb, la) != 0)))
        ck_abort_msg("key '%.*s' snapshot %llu: index %s/%llu, list %s/%llu", (int)kl, k,
                     (unsigned long long)snap, lsmt_status_str(x), (unsigned long long)sa,
                     lsmt_status_str(y), (unsigned long long)sb);
}

static void agree_multi(lsmt_memtable *a, lsmt_memtable *b, unsigned nkeys, uint64_t snap)
{
    enum { N = 77 }; /* spans chunks of 32 */
    char kb[N][32];
    const void *keys[N];
    size_t kl[N], la[N], lb[N];
    const void *va[N], *vb[N];
    lsmt_status sa[N], sb[N];
    for (unsigned i = 0; i < N; i++) {
        key_of((unsigned)((i * 7919u) % (nkeys + 20)), kb[i], &kl[i]);
        keys[i] = kb[i];
    }
    ck_assert_int_eq(lsmt_memtable_multi_get(a, N, keys, kl, snap, sa, va, la), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_multi_get(b, N, keys, kl, snap, sb, vb, lb), LSMT_OK);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_eq(sa[i], sb[i]);
        if (sa[i] == LSMT_OK) {
            ck_assert_uint_eq(la[i], lb[i]);
            ck_assert(memcmp(va[i], vb[i], la[i]) == 0);
        }
    }
}

/* One random workload on both memtables, then compare at many snapshots. */
static void model_run(uint64_t seed, size_t expected, bool expect_overflow)
{
    enum { NK = 300, NOPS = 4000 };
    lsmt_memtable *idx = mk(4u << 20, true, expected, 0);
    lsmt_memtable *ref = mk(4u << 20, false, 0, 0);
    uint64_t rs = seed;
    /* sequence numbers 1..NOPS, applied in a shuffled order: versions of a key arrive
     * older after newer, as racing writers deliver them */
    uint64_t *seqs = malloc(NOPS * sizeof *seqs);
    ck_assert_ptr_nonnull(seqs);
    for (unsigned i = 0; i < NOPS; i++)
        seqs[i] = i + 1;
    for (unsigned i = NOPS - 1; i > 0; i--) {
        unsigned j = (unsigned)(splitmix64(&rs) % (i + 1));
        uint64_t t = seqs[i];
        seqs[i] = seqs[j];
        seqs[j] = t;
    }
    lsmt_write_batch *wb;
    ck_assert_int_eq(lsmt_write_batch_create(&wb), LSMT_OK);
    char kb[32], vbuf[64];
    size_t kl;
    for (unsigned i = 0; i < NOPS; i++) {
        uint64_t r = splitmix64(&rs);
        unsigned k = (unsigned)(r % NK);
        key_of(k, kb, &kl);
        int vl = snprintf(vbuf, sizeof vbuf, "v%llu-%u", (unsigned long long)seqs[i], k);
        lsmt_status x, y;
        if ((r >> 20) % 10 == 0) {
            x = lsmt_memtable_delete(idx, seqs[i], kb, kl);
            y = lsmt_memtable_delete(ref, seqs[i], kb, kl);
        } else {
            x = lsmt_memtable_put(idx, seqs[i], kb, kl, vbuf, (size_t)vl);
            y = lsmt_memtable_put(ref, seqs[i], kb, kl, vbuf, (size_t)vl);
        }
        ck_assert_int_eq(x, LSMT_OK);
        ck_assert_int_eq(y, LSMT_OK);
        if ((r >> 40) % 16 == 0) {
            /* a duplicate (key, seq) with another value: refused, index unchanged */
            ck_assert_int_eq(lsmt_memtable_put(idx, seqs[i], kb, kl, "dup", 3), LSMT_EXISTS);
        }
    }
    /* batches on top: sequences above every single write */
    uint64_t next = NOPS + 1;
    for (unsigned bi = 0; bi < 20; bi++) {
        lsmt_write_batch_clear(wb);
        unsigned cnt = 1 + (unsigned)(splitmix64(&rs) % 50);
        for (unsigned j = 0; j < cnt; j++) {
            unsigned k = (unsigned)(splitmix64(&rs) % (NK + 50));
            key_of(k, kb, &kl);
            if (j % 5 == 4) {
                ck_assert_int_eq(lsmt_write_batch_delete(wb, kb, kl), LSMT_OK);
            } else {
                int vl = snprintf(vbuf, sizeof vbuf, "b%u-%u", bi, j);
                ck_assert_int_eq(lsmt_write_batch_put(wb, kb, kl, vbuf, (size_t)vl), LSMT_OK);
            }
        }
        ck_assert_int_eq(lsmt_memtable_write(idx, next, wb), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_write(ref, next, wb), LSMT_OK);
        /* the same batch again at the same sequences: EXISTS, nothing applied */
        ck_assert_int_eq(lsmt_memtable_write(idx, next, wb), LSMT_EXISTS);
        next += cnt;
    }
    ck_assert_int_eq(lsmt_memtable_validate(idx), LSMT_OK);
    /* every key, present and absent, at snapshots across the whole range */
    for (uint64_t snap = 0; snap <= next + 1; snap += 1 + snap / 8) {
        for (unsigned k = 0; k < NK + 60; k++) {
            key_of(k, kb, &kl);
            agree_get(idx, ref, kb, kl, snap);
        }
        agree_multi(idx, ref, NK + 50, snap);
    }
    for (unsigned k = 0; k < NK + 60; k++) {
        key_of(k, kb, &kl);
        agree_get(idx, ref, kb, kl, LSMT_MAX_SEQUENCE);
    }
    agree_multi(idx, ref, NK + 50, LSMT_MAX_SEQUENCE);
    lsmt_memtable_stats st;
    ck_assert_int_eq(lsmt_memtable_stats_get(idx, &st), LSMT_OK);
    if (expect_overflow)
        ck_assert_uint_gt(st.hash_index_unindexed, 0);
    else
        ck_assert_uint_eq(st.hash_index_unindexed, 0);
    lsmt_write_batch_destroy(wb);
    free(seqs);
    lsmt_memtable_destroy(idx);
    lsmt_memtable_destroy(ref);
}

START_TEST(test_model_default)
{
    for (uint64_t seed = 1; seed <= 3; seed++)
        model_run(seed, 0, false);
}
END_TEST

START_TEST(test_model_overflow)
{
    /* 64 slots (one window) for ~350 keys: most keys cannot be indexed */
    model_run(11, 16, true);
    /* 150 slots: windows fill up partly, keys near full runs are left out */
    model_run(12, 100, true);
}
END_TEST

START_TEST(test_refused_writes)
{
    /* a tiny arena: fill it up, then check FULL left the index as it was */
    lsmt_memtable *mt = mk(64u << 10, true, 0, 1u << 20);
    char v[200];
    memset(v, 'x', sizeof v);
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "old", 3), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, "k", 1, "new", 3), LSMT_EXISTS);
    uint64_t seq = 100;
    lsmt_status st;
    char kb[32];
    while ((st = lsmt_memtable_put(
                mt, seq, kb, (size_t)snprintf(kb, sizeof kb, "f%llu", (unsigned long long)seq), v,
                sizeof v)) == LSMT_OK)
        seq++;
    ck_assert_int_eq(st, LSMT_FULL);
    /* the refused key is absent, a refused newer version of "k" is not shown */
    const void *val;
    size_t vl;
    uint64_t s;
    ck_assert_int_eq(lsmt_memtable_get(mt, kb, strlen(kb), LSMT_MAX_SEQUENCE, &val, &vl, &s),
                     LSMT_NOT_FOUND);
    /* newer versions of "k" until one is refused: FULL at the margin depends on the
     * entry's size and its random tower height, so a smaller entry than the refused one
     * may still fit in the room left; the last accepted version is what a get shows,
     * never the refused one */
    uint64_t last = 5;
    const char *want = "old";
    size_t wl = 3;
    while ((st = lsmt_memtable_put(mt, ++seq, "k", 1, v, sizeof v)) == LSMT_OK) {
        last = seq;
        want = v;
        wl = sizeof v;
    }
    ck_assert_int_eq(st, LSMT_FULL);
    ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, LSMT_MAX_SEQUENCE, &val, &vl, &s), LSMT_OK);
    ck_assert_uint_eq(s, last);
    ck_assert(vl == wl && memcmp(val, want, wl) == 0);
    lsmt_memtable_destroy(mt);
}
END_TEST

START_TEST(test_freeze_reset)
{
    lsmt_memtable *mt = mk(1u << 20, true, 0, 0);
    const void *val;
    size_t vl;
    uint64_t s;
    char kb[32];
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 1000; i++) {
            int kl = snprintf(kb, sizeof kb, "r%u-%u", round, i);
            ck_assert_int_eq(lsmt_memtable_put(mt, 10 + i, kb, (size_t)kl, kb, (size_t)kl),
                             LSMT_OK);
        }
        ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_put(mt, 5000, "r0-1", 4, "z", 1), LSMT_FROZEN);
        for (unsigned i = 0; i < 1000; i++) {
            int kl = snprintf(kb, sizeof kb, "r%u-%u", round, i);
            ck_assert_int_eq(
                lsmt_memtable_get(mt, kb, (size_t)kl, LSMT_MAX_SEQUENCE, &val, &vl, &s), LSMT_OK);
            ck_assert_uint_eq(s, 10 + i);
            ck_assert(vl == (size_t)kl && memcmp(val, kb, vl) == 0);
            /* older snapshot: no version yet */
            ck_assert_int_eq(lsmt_memtable_get(mt, kb, (size_t)kl, 9 + i, &val, &vl, &s),
                             LSMT_NOT_FOUND);
            if (round > 0) { /* the previous round's keys are gone after reset_all */
                kl = snprintf(kb, sizeof kb, "r%u-%u", round - 1, i);
                ck_assert_int_eq(
                    lsmt_memtable_get(mt, kb, (size_t)kl, LSMT_MAX_SEQUENCE, &val, &vl, &s),
                    LSMT_NOT_FOUND);
            }
        }
        ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_get(mt, "r0-1", 4, LSMT_MAX_SEQUENCE, &val, &vl, &s),
                         LSMT_NOT_FOUND);
    }
    lsmt_memtable_destroy(mt);
}
END_TEST

START_TEST(test_pool_and_options)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    ck_assert(!o.hash_index);
    ck_assert_uint_eq(o.hash_index_expected_keys, 0);
    o.write_buffer_size = 1u << 20;
    o.hash_index = true;
    o.hash_index_expected_keys = (1u << 20) / 16 + 1;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_INVALID);
    ck_assert_ptr_null(mt);
    /* memory_reserved counts the table */
    lsmt_memtable *with = mk(1u << 20, true, 0, 0), *without = mk(1u << 20, false, 0, 0);
    lsmt_memtable_stats a, b;
    ck_assert_int_eq(lsmt_memtable_stats_get(with, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_stats_get(without, &b), LSMT_OK);
    ck_assert_uint_ge(a.memory_reserved, b.memory_reserved + ((1u << 20) / 128) * 8);
    lsmt_memtable_destroy(with);
    lsmt_memtable_destroy(without);
    /* with the index on, the bloom filter is not built (no get would test it) -- unless
     * paranoid_checks, whose gets bypass the index; its absent-key answers still hold */
    lsmt_memtable_stats st[3];
    for (unsigned v = 0; v < 3; v++) {
        lsmt_memtable_options bo;
        lsmt_memtable_options_default(&bo);
        bo.write_buffer_size = 1u << 20;
        bo.hash_index = true;
        bo.bloom_bits_per_key = v == 0 ? 0 : 10;
        bo.paranoid_checks = v == 2;
        ck_assert_int_eq(lsmt_memtable_create(&bo, &mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "v", 1), LSMT_OK);
        const void *val;
        size_t vl;
        ck_assert_int_eq(lsmt_memtable_get(mt, "b", 1, LSMT_MAX_SEQUENCE, &val, &vl, NULL),
                         LSMT_NOT_FOUND);
        ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE, &val, &vl, NULL),
                         LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_stats_get(mt, &st[v]), LSMT_OK);
        lsmt_memtable_destroy(mt);
    }
    ck_assert_uint_eq(st[1].memory_reserved, st[0].memory_reserved);
    ck_assert_uint_eq(st[1].bloom_checks, 0);
    ck_assert_uint_gt(st[2].memory_reserved, st[0].memory_reserved);
    ck_assert_uint_eq(st[2].bloom_checks, 2);
    /* pool-backed: the index is the memtable's own, the arena goes back reset */
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    lsmt_arena_pool *pool = NULL;
    ck_assert_int_eq(lsmt_arena_pool_create(&po, &pool), LSMT_OK);
    o.hash_index_expected_keys = 0;
    o.pool = pool;
    for (unsigned round = 0; round < 3; round++) {
        ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
        const void *val;
        size_t vl;
        uint64_t s;
        ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE, &val, &vl, &s),
                         LSMT_NOT_FOUND);
        ck_assert_int_eq(lsmt_memtable_put(mt, 1 + round, "a", 1, "v", 1), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE, &val, &vl, &s), LSMT_OK);
        ck_assert_uint_eq(s, 1 + round);
        lsmt_memtable_destroy(mt);
    }
    lsmt_arena_pool_destroy(pool);
}
END_TEST

/* ---- hot keys: racing versions, the newest must win ---------------------------------- */

#define HOT_KEYS    8u
#define HOT_WRITERS 3u
#define HOT_READERS 2u
static lsmt_memtable *hot_mt;
static _Atomic uint64_t hot_acked[HOT_KEYS]; /* newest acknowledged seq per key */
static _Atomic unsigned hot_writers_left;
static _Atomic int hot_failed;
static char hot_msg[200];

static void hot_fail(const char *what, unsigned k, uint64_t got, uint64_t want)
{
    int z = 0;
    if (atomic_compare_exchange_strong(&hot_failed, &z, 1))
        snprintf(hot_msg, sizeof hot_msg, "%s: key %u got seq %llu, acknowledged %llu", what, k,
                 (unsigned long long)got, (unsigned long long)want);
}

static void hot_key(unsigned k, char *kb)
{
    snprintf(kb, 16, "hot%02u", k);
}

static void *hot_writer(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    unsigned rounds = 4000u / SCALE;
    char kb[16];
    for (unsigned r = 0; r < rounds; r++) {
        unsigned k = (r * 5u + t) % HOT_KEYS;
        hot_key(k, kb);
        /* interleaved streams: writers race versions of the same key */
        uint64_t seq = (uint64_t)r * HOT_WRITERS + t + 1;
        uint64_t v = seq;
        lsmt_status st = (r % 7 == 3) ? lsmt_memtable_delete(hot_mt, seq, kb, 5)
                                      : lsmt_memtable_put(hot_mt, seq, kb, 5, &v, sizeof v);
        if (st != LSMT_OK) {
            hot_fail("write refused", k, st, seq);
            break;
        }
        /* release max: a reader that sees it sees the write acknowledged */
        uint64_t cur = atomic_load_explicit(&hot_acked[k], memory_order_relaxed);
        while (cur < seq &&
               !atomic_compare_exchange_weak_explicit(&hot_acked[k], &cur, seq,
                                                      memory_order_release, memory_order_relaxed)) {
        }
    }
    atomic_fetch_sub_explicit(&hot_writers_left, 1, memory_order_release);
    return NULL;
}

static void hot_check(unsigned k, uint64_t floor)
{
    char kb[16];
    hot_key(k, kb);
    const void *val = NULL;
    size_t vl = 0;
    uint64_t s = 0;
    lsmt_status st = lsmt_memtable_get(hot_mt, kb, 5, LSMT_MAX_SEQUENCE, &val, &vl, &s);
    if (st == LSMT_NOT_FOUND) {
        if (floor != 0)
            hot_fail("not found", k, 0, floor);
        return;
    }
    if (st != LSMT_OK && st != LSMT_DELETED) {
        hot_fail("get status", k, st, floor);
        return;
    }
    if (s < floor)
        hot_fail("older version", k, s, floor);
    if (st == LSMT_OK) {
        uint64_t v;
        if (vl != sizeof v)
            hot_fail("value length", k, vl, s);
        memcpy(&v, val, sizeof v);
        if (v != s)
            hot_fail("value", k, v, s);
    }
}

static void *hot_reader(void *arg)
{
    (void)arg;
    unsigned k = 0;
    while (atomic_load_explicit(&hot_writers_left, memory_order_acquire) != 0) {
        /* acquire: pairs with the writer's release max */
        uint64_t floor = atomic_load_explicit(&hot_acked[k], memory_order_acquire);
        hot_check(k, floor);
        k = (k + 1) % HOT_KEYS;
    }
    return NULL;
}

START_TEST(test_hot_keys)
{
    for (unsigned rep = 0; rep < 3; rep++) {
        hot_mt = mk(8u << 20, true, 0, 0);
        for (unsigned k = 0; k < HOT_KEYS; k++)
            atomic_store(&hot_acked[k], 0);
        atomic_store(&hot_writers_left, HOT_WRITERS);
        atomic_store(&hot_failed, 0);
        pthread_t w[HOT_WRITERS], r[HOT_READERS];
        for (unsigned i = 0; i < HOT_READERS; i++)
            ck_assert_int_eq(pthread_create(&r[i], NULL, hot_reader, NULL), 0);
        for (unsigned i = 0; i < HOT_WRITERS; i++)
            ck_assert_int_eq(pthread_create(&w[i], NULL, hot_writer, (void *)(uintptr_t)i), 0);
        for (unsigned i = 0; i < HOT_WRITERS; i++)
            pthread_join(w[i], NULL);
        for (unsigned i = 0; i < HOT_READERS; i++)
            pthread_join(r[i], NULL);
        ck_assert_msg(!atomic_load(&hot_failed), "%s", hot_msg);
        /* quiescent: exactly the newest version of each key */
        for (unsigned k = 0; k < HOT_KEYS; k++) {
            uint64_t want = atomic_load(&hot_acked[k]);
            char kb[16];
            hot_key(k, kb);
            const void *val;
            size_t vl;
            uint64_t s = 0;
            lsmt_status st = lsmt_memtable_get(hot_mt, kb, 5, LSMT_MAX_SEQUENCE, &val, &vl, &s);
            ck_assert(st == LSMT_OK || st == LSMT_DELETED);
            ck_assert_uint_eq(s, want);
        }
        ck_assert_int_eq(lsmt_memtable_validate(hot_mt), LSMT_OK);
        lsmt_memtable_destroy(hot_mt);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hash_index");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, test_model_default);
    tcase_add_test(tc, test_model_overflow);
    suite_add_tcase(s, tc);
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_refused_writes);
    tcase_add_test(tc, test_freeze_reset);
    tcase_add_test(tc, test_pool_and_options);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, test_hot_keys);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
