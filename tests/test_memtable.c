/* Check suite for lsmt_memtable (memtable/): lifecycle, bad input, a model-based test
 * against a reference multi-version map, write batches, exhaustion, freeze, reset,
 * bloom filter, statistics, pool-backed memtables.
 *
 * The model test is the deterministic single-thread twin of
 * tests/test_memtable_concurrent.c. Seeds are printed on failure; LSMT_TEST_SEED=<n>
 * runs one seed only. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"
#include "support/scale.h"

#include "lsmt/memtable.h"
#include "memtable/testhook.h"
#include "skiplist_entry.h"

#define SCALE LSMT_TEST_SCALE_DOWN(10, 4)

/* ---- small helpers -------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static size_t rndn(size_t n)
{
    return (size_t)(rnd() % n);
}

/* Model runs with the reverse of bytewise order (g_reverse): the empty key is then the
 * LARGEST key, so nothing may assume "" sorts first (seek_to_first once did). Equal
 * keys are still byte-identical, so the bloom filter stays valid. */
static int g_reverse;
static int reverse_cmp(void *ctx, const void *a, size_t al, const void *b, size_t bl)
{
    (void)ctx;
    return lsmt_bytewise_compare(NULL, b, bl, a, al);
}

static lsmt_memtable *mk(size_t wbs, unsigned bloom)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = wbs;
    o.compare = g_reverse ? reverse_cmp : NULL;
    o.bloom_bits_per_key = bloom;
    o.shard_count = 2;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    ck_assert_ptr_nonnull(mt);
    return mt;
}

static lsmt_status get_s(lsmt_memtable *mt, const char *k, uint64_t snap, char *buf, uint64_t *seq)
{
    const void *v = NULL;
    size_t vl = 0;
    lsmt_status st = lsmt_memtable_get(mt, k, strlen(k), snap, &v, &vl, seq);
    if (st == LSMT_OK && buf) {
        memcpy(buf, v, vl);
        buf[vl] = 0;
    }
    return st;
}

/* Cheap assertions for the hot loops of the model test: Check's ck_assert_* record a
 * checkpoint (a write to a pipe) per call, which would dominate the run time. */
static uint64_t cur_seed;
#define REQ(c)                                                                                 \
    do {                                                                                       \
        if (!(c))                                                                              \
            ck_abort_msg("seed %llu line %d: %s", (unsigned long long)cur_seed, __LINE__, #c); \
    } while (0)
#define REQ_MSG(c, ...)                \
    do {                               \
        if (!(c))                      \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)
#define REQ_EQ(a, b)   REQ((a) == (b))
#define REQ_NULL(a)    REQ((a) == NULL)
#define REQ_NONNULL(a) REQ((a) != NULL)

/* ---- reference model: every version, kept sorted by (key bytewise, seq desc) ---------- */

typedef struct mver {
    unsigned char key[8];
    size_t klen;
    uint64_t seq;
    int type;
    unsigned char val[24];
    size_t vlen;
} mver;

typedef struct model {
    mver *v;
    size_t n, cap;
} model;

static int kcmp(const void *a, size_t al, const void *b, size_t bl)
{
    if (g_reverse) {
        const void *t = a;
        size_t tl = al;
        a = b, al = bl, b = t, bl = tl;
    }
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static int vcmp(const mver *a, const mver *b)
{
    int c = kcmp(a->key, a->klen, b->key, b->klen);
    if (c)
        return c;
    return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* Index of the first version >= (key, seq) (in (key asc, seq desc) order). */
static size_t m_lower(const model *m, const void *key, size_t klen, uint64_t seq)
{
    size_t lo = 0, hi = m->n;
    mver probe;
    memcpy(probe.key, key, klen);
    probe.klen = klen;
    probe.seq = seq;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (vcmp(&m->v[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool m_has(const model *m, const void *key, size_t klen, uint64_t seq)
{
    size_t i = m_lower(m, key, klen, seq);
    return i < m->n && m->v[i].seq == seq && kcmp(m->v[i].key, m->v[i].klen, key, klen) == 0;
}

static void m_add(model *m, const mver *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        REQ_NONNULL(m->v);
    }
    size_t i = m_lower(m, e->key, e->klen, e->seq);
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof *m->v);
    m->v[i] = *e;
    m->n++;
}

/* Model get: status and the version found. */
static lsmt_status m_get(const model *m, const void *key, size_t klen, uint64_t snap,
                         const mver **out)
{
    size_t i = m_lower(m, key, klen, snap);
    if (i >= m->n || kcmp(m->v[i].key, m->v[i].klen, key, klen) != 0)
        return LSMT_NOT_FOUND;
    *out = &m->v[i];
    return m->v[i].type == LSMT_TYPE_PUT ? LSMT_OK : LSMT_DELETED;
}

/* The expected sequence of an iterator: indexes into the model. */
static size_t m_view(const model *m, lsmt_iter_kind kind, uint64_t snap, const void *lo, size_t lol,
                     const void *up, size_t upl, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const mver *e = &m->v[i];
        if (lo && kcmp(e->key, e->klen, lo, lol) < 0)
            continue;
        if (up && kcmp(e->key, e->klen, up, upl) >= 0)
            continue;
        if (kind == LSMT_ITER_INTERNAL) {
            idx[n++] = i;
            continue;
        }
        if (e->seq > snap)
            continue;
        /* first visible version of its key? */
        bool first = true;
        for (size_t j = i; j-- > 0;) {
            if (kcmp(m->v[j].key, m->v[j].klen, e->key, e->klen) != 0)
                break;
            if (m->v[j].seq <= snap) {
                first = false;
                break;
            }
        }
        if (first && e->type == LSMT_TYPE_PUT)
            idx[n++] = i;
    }
    return n;
}

static void check_entry(lsmt_memtable_iter *it, const mver *e, uint64_t seed, const char *what)
{
    const void *k, *v;
    size_t kl, vl;
    uint64_t seq;
    lsmt_entry_type ty;
    REQ_EQ(lsmt_memtable_iter_entry(it, &k, &kl, &seq, &ty, &v, &vl), LSMT_OK);
    if (kl != e->klen || (kl && memcmp(k, e->key, kl)) || seq != e->seq || (int)ty != e->type)
        ck_abort_msg("seed %llu %s: entry (klen %zu seq %llu type %d) != model (klen %zu seq "
                     "%llu type %d)",
                     (unsigned long long)seed, what, kl, (unsigned long long)seq, (int)ty, e->klen,
                     (unsigned long long)e->seq, e->type);
    if (ty == LSMT_TYPE_PUT) {
        REQ_EQ(vl, e->vlen);
        if (vl)
            REQ_EQ(memcmp(v, e->val, vl), 0);
    } else {
        REQ_NULL(v);
        REQ_EQ(vl, 0);
    }
}

static void rand_key(unsigned char *k, size_t *kl)
{
    /* Few distinct keys (many versions each), including the empty key and keys that
     * are prefixes of others. */
    *kl = rndn(4);
    for (size_t i = 0; i < *kl; i++)
        k[i] = (unsigned char)('a' + rndn(3));
}

/* Full check of one iterator configuration against the model: forward, backward,
 * seeks and seek_for_prevs at random keys, direction changes. */
static void check_iter(lsmt_memtable *mt, const model *m, uint64_t seed, size_t *idx)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = rndn(2) ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL;
    io.snapshot = rndn(4) == 0 ? LSMT_MAX_SEQUENCE : rndn(m->n * 2 + 2);
    unsigned char lo[8], up[8];
    size_t lol = 0, upl = 0;
    if (rndn(3) == 0) {
        rand_key(lo, &lol);
        io.lower_bound = lo;
        io.lower_len = lol;
    }
    if (rndn(3) == 0) {
        rand_key(up, &upl);
        io.upper_bound = up;
        io.upper_len = upl;
    }
    size_t n = m_view(m, io.kind, io.snapshot, io.lower_bound, lol, io.upper_bound, upl, idx);
    lsmt_memtable_iter *it = NULL;
    REQ_EQ(lsmt_memtable_iter_create(mt, &io, &it), LSMT_OK);
    REQ(!lsmt_memtable_iter_valid(it));
    memset(lo, 0xEE, sizeof lo); /* the iterator copied the bounds */
    memset(up, 0xEE, sizeof up);
    /* forward */
    lsmt_status st = lsmt_memtable_iter_seek_to_first(it);
    for (size_t i = 0; i < n; i++) {
        REQ_MSG(st == LSMT_OK, "seed %llu: forward ended at %zu of %zu", (unsigned long long)seed,
                i, n);
        check_entry(it, &m->v[idx[i]], seed, "forward");
        st = lsmt_memtable_iter_next(it);
    }
    REQ_MSG(st == LSMT_END, "seed %llu: forward did not end (%zu)", (unsigned long long)seed, n);
    REQ(!lsmt_memtable_iter_valid(it));
    REQ_EQ(lsmt_memtable_iter_next(it), LSMT_INVALID);
    /* backward */
    st = lsmt_memtable_iter_seek_to_last(it);
    for (size_t i = n; i-- > 0;) {
        REQ_MSG(st == LSMT_OK, "seed %llu: backward ended early", (unsigned long long)seed);
        check_entry(it, &m->v[idx[i]], seed, "backward");
        st = lsmt_memtable_iter_prev(it);
    }
    REQ_MSG(st == LSMT_END, "seed %llu: backward did not end", (unsigned long long)seed);
    /* seeks, seek_for_prevs and a step in each direction from there */
    for (int s = 0; s < 6; s++) {
        unsigned char k[8];
        size_t kl;
        rand_key(k, &kl);
        /* expected seek: first view entry with key >= k */
        size_t j = 0;
        while (j < n && kcmp(m->v[idx[j]].key, m->v[idx[j]].klen, k, kl) < 0)
            j++;
        st = lsmt_memtable_iter_seek(it, k, kl);
        if (j == n) {
            REQ_MSG(st == LSMT_END, "seed %llu: seek past end", (unsigned long long)seed);
        } else {
            REQ_MSG(st == LSMT_OK, "seed %llu: seek", (unsigned long long)seed);
            check_entry(it, &m->v[idx[j]], seed, "seek");
            st = lsmt_memtable_iter_prev(it);
            if (j == 0)
                REQ_EQ(st, LSMT_END);
            else
                check_entry(it, &m->v[idx[j - 1]], seed, "seek+prev");
        }
        /* expected seek_for_prev: last view entry with key <= k */
        size_t p = n;
        while (p > 0 && kcmp(m->v[idx[p - 1]].key, m->v[idx[p - 1]].klen, k, kl) > 0)
            p--;
        st = lsmt_memtable_iter_seek_for_prev(it, k, kl);
        if (p == 0) {
            REQ_MSG(st == LSMT_END, "seed %llu: seek_for_prev before start",
                    (unsigned long long)seed);
        } else {
            REQ_MSG(st == LSMT_OK, "seed %llu: seek_for_prev", (unsigned long long)seed);
            check_entry(it, &m->v[idx[p - 1]], seed, "seek_for_prev");
            st = lsmt_memtable_iter_next(it);
            if (p == n)
                REQ_EQ(st, LSMT_END);
            else
                check_entry(it, &m->v[idx[p]], seed, "seek_for_prev+next");
        }
    }
    lsmt_memtable_iter_destroy(it);
}

/* multi_get of 1..80 keys (more than one chunk of its batched seeks), repeats allowed,
 * agrees with the model key by key; the value slots of keys not found stay untouched. */
static void multi_get_check(lsmt_memtable *mt, const model *m, uint64_t seed, size_t op, size_t ops)
{
    enum { MG = 80 };
    const void *keys[MG], *vals[MG];
    size_t klens[MG], vls[MG];
    unsigned char kb[MG][8];
    lsmt_status sts[MG];
    size_t n = 1 + rndn(MG);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rndn(4) == 0) {
            memcpy(kb[i], kb[i - 1], sizeof kb[i]);
            klens[i] = klens[i - 1];
        } else {
            rand_key(kb[i], &klens[i]);
        }
        keys[i] = kb[i];
        vals[i] = (const void *)m; /* sentinel */
        vls[i] = 12345;
    }
    uint64_t snap = rndn(5) == 0 ? LSMT_MAX_SEQUENCE : rndn(ops * 2 + 2);
    REQ_EQ(lsmt_memtable_multi_get(mt, n, keys, klens, snap, sts, vals, vls), LSMT_OK);
    for (size_t i = 0; i < n; i++) {
        const mver *want = NULL;
        lsmt_status exp = m_get(m, keys[i], klens[i], snap, &want);
        REQ_MSG(sts[i] == exp, "seed %llu op %zu: multi_get[%zu] %s, model %s",
                (unsigned long long)seed, op, i, lsmt_status_str(sts[i]), lsmt_status_str(exp));
        if (sts[i] == LSMT_OK)
            REQ(vls[i] == want->vlen && (vls[i] == 0 || memcmp(vals[i], want->val, vls[i]) == 0));
        else
            REQ(vals[i] == (const void *)m && vls[i] == 12345);
    }
}

static void model_run(uint64_t seed, size_t ops)
{
    rng_state = seed;
    cur_seed = seed;
    lsmt_memtable *mt = mk((size_t)4 << 20, rndn(2) ? 10 : 0);
    model m = {0};
    size_t *idx = malloc(sizeof(size_t) * (ops + 1));
    REQ_NONNULL(idx);
    lsmt_write_batch *b;
    REQ_EQ(lsmt_write_batch_create(&b), LSMT_OK);
    for (size_t op = 0; op < ops; op++) {
        size_t r = rndn(100);
        mver e;
        memset(&e, 0, sizeof e);
        rand_key(e.key, &e.klen);
        /* Sequence numbers land out of order, sometimes repeat (-> EXISTS). */
        e.seq = rndn(ops * 2 + 2);
        if (r < 60) {
            e.type = rndn(4) ? LSMT_TYPE_PUT : LSMT_TYPE_DELETE;
            e.vlen = e.type == LSMT_TYPE_PUT ? rndn(sizeof e.val) : 0;
            for (size_t i = 0; i < e.vlen; i++)
                e.val[i] = (unsigned char)rnd();
            lsmt_status st = e.type == LSMT_TYPE_PUT
                                 ? lsmt_memtable_put(mt, e.seq, e.key, e.klen, e.val, e.vlen)
                                 : lsmt_memtable_delete(mt, e.seq, e.key, e.klen);
            bool dup = m_has(&m, e.key, e.klen, e.seq);
            REQ_MSG(st == (dup ? LSMT_EXISTS : LSMT_OK), "seed %llu op %zu: write %s",
                    (unsigned long long)seed, op, lsmt_status_str(st));
            if (!dup)
                m_add(&m, &e);
        } else if (r < 65) {
            /* a batch of 1..4 records with consecutive seqs */
            size_t cnt = 1 + rndn(4);
            mver recs[4];
            lsmt_write_batch_clear(b);
            bool dup = false;
            for (size_t i = 0; i < cnt; i++) {
                recs[i] = e;
                rand_key(recs[i].key, &recs[i].klen);
                recs[i].seq = e.seq + i;
                recs[i].type = rndn(3) ? LSMT_TYPE_PUT : LSMT_TYPE_DELETE;
                recs[i].vlen = recs[i].type == LSMT_TYPE_PUT ? rndn(8) : 0;
                for (size_t j = 0; j < recs[i].vlen; j++)
                    recs[i].val[j] = (unsigned char)rnd();
                dup |= m_has(&m, recs[i].key, recs[i].klen, recs[i].seq);
                REQ_EQ(recs[i].type == LSMT_TYPE_PUT
                           ? lsmt_write_batch_put(b, recs[i].key, recs[i].klen, recs[i].val,
                                                  recs[i].vlen)
                           : lsmt_write_batch_delete(b, recs[i].key, recs[i].klen),
                       LSMT_OK);
            }
            REQ_EQ(lsmt_write_batch_count(b), cnt);
            lsmt_status st = lsmt_memtable_write(mt, e.seq, b);
            REQ_MSG(st == (dup ? LSMT_EXISTS : LSMT_OK), "seed %llu op %zu: batch %s",
                    (unsigned long long)seed, op, lsmt_status_str(st));
            for (size_t i = 0; i < cnt && !dup; i++)
                m_add(&m, &recs[i]);
        } else if (r < 68) {
            multi_get_check(mt, &m, seed, op, ops);
        } else if (r < 95) {
            uint64_t snap = rndn(5) == 0 ? LSMT_MAX_SEQUENCE : rndn(ops * 2 + 2);
            const mver *want = NULL;
            lsmt_status exp = m_get(&m, e.key, e.klen, snap, &want);
            const void *v = (const void *)&m; /* sentinel: must stay untouched */
            size_t vl = 12345;
            uint64_t seq = 777;
            lsmt_status st = lsmt_memtable_get(mt, e.key, e.klen, snap, &v, &vl, &seq);
            REQ_MSG(st == exp, "seed %llu op %zu: get %s, model %s", (unsigned long long)seed, op,
                    lsmt_status_str(st), lsmt_status_str(exp));
            if (st == LSMT_OK) {
                REQ_EQ(seq, want->seq);
                REQ_EQ(vl, want->vlen);
                REQ(vl == 0 || memcmp(v, want->val, vl) == 0);
            } else {
                REQ_EQ(v, (const void *)&m);
                REQ_EQ(vl, 12345);
                if (st == LSMT_DELETED)
                    REQ_EQ(seq, want->seq);
                else
                    REQ_EQ(seq, 777);
            }
        } else {
            check_iter(mt, &m, seed, idx);
        }
    }
    REQ_EQ(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_stats s;
    REQ_EQ(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    REQ_EQ(s.entries, m.n);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
    free(idx);
    free(m.v);
}

START_TEST(test_model)
{
    const char *env = getenv("LSMT_TEST_SEED");
    if (env) {
        model_run(strtoull(env, NULL, 10), 3000);
        return;
    }
    for (uint64_t seed = 1; seed <= 500 / SCALE; seed++)
        model_run(seed, 400 + (size_t)(seed % 5) * 200);
}
END_TEST

/* The same model with a custom comparator (reverse bytewise): custom comparators take
 * the skip list's general path and "" is the largest key. */
START_TEST(test_model_reverse)
{
    g_reverse = 1;
    for (uint64_t seed = 1; seed <= 200 / SCALE; seed++)
        model_run(seed, 400 + (size_t)(seed % 5) * 200);
    g_reverse = 0;
}
END_TEST

/* ---- lifecycle ------------------------------------------------------------------------- */

/* huge_pages (default on) applies to arenas of at least LSMT_MEMTABLE_HUGE_PAGES_MIN only:
 * the arena's mapping is rounded to 2 MiB exactly when it asked for huge pages. Hard
 * limits one page past a 2 MiB multiple tell the two roundings apart. */
START_TEST(test_huge_pages_rule)
{
    const size_t page = 4096, huge = (size_t)2 << 20, min = LSMT_MEMTABLE_HUGE_PAGES_MIN;
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    ck_assert(o.huge_pages);
    struct {
        size_t hard;
        bool on, huge;
    } cases[] = {
        {min + page, true, true},         /* large enough: 2 MiB pages */
        {min + page, false, false},       /* turned off */
        {min - huge + page, true, false}, /* below the line: 4 KiB pages */
        {(size_t)8 << 20 | page, true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsmt_memtable_options_default(&o);
        o.write_buffer_size = o.hard_limit = cases[i].hard;
        o.huge_pages = cases[i].on;
        lsmt_memtable *mt = NULL;
        ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
        size_t want = (cases[i].hard + (cases[i].huge ? huge : page) - 1) /
                      (cases[i].huge ? huge : page) * (cases[i].huge ? huge : page);
        ck_assert_uint_eq(lsmt_mt_test_arena_mapped_(mt), want);
        /* the memtable works on either */
        ck_assert_int_eq(lsmt_memtable_put(mt, 1, "k", 1, "v", 1), LSMT_OK);
        const void *v = NULL;
        size_t vl = 0;
        ck_assert_int_eq(lsmt_memtable_get(mt, "k", 1, 1, &v, &vl, NULL), LSMT_OK);
        ck_assert_uint_eq(vl, 1);
        lsmt_memtable_destroy(mt);
    }
}
END_TEST

START_TEST(test_lifecycle)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    ck_assert_uint_eq(o.write_buffer_size, (size_t)64 << 20);
    ck_assert_uint_eq(o.bloom_bits_per_key, 0); /* off unless asked for */
    ck_assert_uint_eq(o.bloom_expected_keys, 0);
    ck_assert_ptr_null(o.pool);
    lsmt_memtable_options_default(NULL);
    lsmt_memtable_destroy(NULL);
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(NULL, &mt), LSMT_OK);
    ck_assert_uint_eq(lsmt_memtable_approximate_memory_usage(mt), 0);
    ck_assert(!lsmt_memtable_should_flush(mt));
    ck_assert(!mt_is_frozen(mt));
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "x", 1), LSMT_OK);
    ck_assert_uint_gt(lsmt_memtable_approximate_memory_usage(mt), 0);
    char buf[8];
    uint64_t seq = 0;
    ck_assert_int_eq(get_s(mt, "a", 1, buf, &seq), LSMT_OK);
    ck_assert_str_eq(buf, "x");
    ck_assert_uint_eq(seq, 1);
    ck_assert_int_eq(get_s(mt, "a", 0, buf, NULL), LSMT_NOT_FOUND);
    lsmt_memtable_destroy(mt);

    /* put, delete, put again of one key: every version is kept */
    mt = mk(1 << 20, 10);
    ck_assert_int_eq(lsmt_memtable_put(mt, 10, "k", 1, "v1", 2), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 20, "k", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 30, "k", 1, "v3", 2), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "k", 15, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "v1");
    ck_assert_int_eq(get_s(mt, "k", 25, buf, &seq), LSMT_DELETED);
    ck_assert_uint_eq(seq, 20);
    ck_assert_int_eq(get_s(mt, "k", LSMT_MAX_SEQUENCE, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "v3");
    /* same (key, seq) again, either type: EXISTS, nothing changed */
    ck_assert_int_eq(lsmt_memtable_put(mt, 20, "k", 1, "zz", 2), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 10, "k", 1), LSMT_EXISTS);
    ck_assert_int_eq(get_s(mt, "k", 25, buf, NULL), LSMT_DELETED);
    ck_assert_int_eq(get_s(mt, "k", 15, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "v1");
    /* sequence bounds: 0 and the maximum are valid */
    ck_assert_int_eq(lsmt_memtable_put(mt, 0, "z", 1, "0", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, LSMT_MAX_SEQUENCE, "z", 1, "m", 1), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "z", 0, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "0");
    ck_assert_int_eq(get_s(mt, "z", LSMT_MAX_SEQUENCE, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "m");
    /* empty key and empty value */
    ck_assert_int_eq(lsmt_memtable_put(mt, 5, NULL, 0, NULL, 0), LSMT_OK);
    const void *v = NULL;
    size_t vl = 99;
    ck_assert_int_eq(lsmt_memtable_get(mt, "", 0, 5, &v, &vl, NULL), LSMT_OK);
    ck_assert_uint_eq(vl, 0);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* A comparator that ignores case: the memtable must use it for keys and bounds. */
static int nocase_ctx;
static int nocase_cmp(void *ctx, const void *a, size_t al, const void *b, size_t bl)
{
    ck_assert_ptr_eq(ctx, (void *)&nocase_ctx);
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < al && i < bl; i++) {
        int cx = x[i] | 0x20, cy = y[i] | 0x20;
        if (cx != cy)
            return cx - cy;
    }
    return al < bl ? -1 : al > bl;
}

START_TEST(test_comparator)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 1 << 20;
    o.compare = nocase_cmp;
    o.compare_ctx = (void *)&nocase_ctx;
    o.bloom_bits_per_key = 0; /* the bloom hashes bytes: only for bytewise-equal keys */
    lsmt_memtable *mt;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "ABC", 3, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, "abc", 3, "2", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 3, "b", 1, "3", 1), LSMT_OK);
    char buf[8];
    ck_assert_int_eq(get_s(mt, "aBc", 9, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "2");
    ck_assert_int_eq(get_s(mt, "aBc", 1, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "1");
    lsmt_memtable_iter *it;
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.lower_bound = "ABD";
    io.lower_len = 3;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(it), LSMT_OK);
    const void *k;
    size_t kl;
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, NULL, NULL), LSMT_OK);
    ck_assert_uint_eq(kl, 1);
    ck_assert_int_eq(lsmt_memtable_iter_next(it), LSMT_END);
    lsmt_memtable_iter_destroy(it);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- bad input: every function ------------------------------------------------------- */

START_TEST(test_bad_input)
{
    lsmt_memtable *mt = mk(1 << 20, 10), *out = (lsmt_memtable *)0x1;
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    ck_assert_int_eq(lsmt_memtable_create(&o, NULL), LSMT_INVALID);
    o.write_buffer_size = 0;
    ck_assert_int_eq(lsmt_memtable_create(&o, &out), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.hard_limit = o.write_buffer_size - 1;
    ck_assert_int_eq(lsmt_memtable_create(&o, &out), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.bloom_bits_per_key = 1000;
    ck_assert_int_eq(lsmt_memtable_create(&o, &out), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.bloom_expected_keys = o.write_buffer_size / 16 + 1; /* more entries than fit */
    ck_assert_int_eq(lsmt_memtable_create(&o, &out), LSMT_INVALID);
    o.bloom_expected_keys = SIZE_MAX;
    ck_assert_int_eq(lsmt_memtable_create(&o, &out), LSMT_INVALID);
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = SIZE_MAX / 2;
    ck_assert_int_ne(lsmt_memtable_create(&o, &out), LSMT_OK);
    ck_assert_ptr_eq(out, (lsmt_memtable *)0x1); /* untouched on failure */

    static char big[(1 << 20) + 1];
    /* writes */
    ck_assert_int_eq(lsmt_memtable_put(NULL, 1, "a", 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, NULL, 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, big, sizeof big, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, big, LSMT_MEMTABLE_MAX_VALUE_LEN + 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_put(mt, LSMT_MAX_SEQUENCE + 1, "a", 1, "b", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_put(mt, UINT64_MAX, "a", 1, "b", 1), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_delete(NULL, 1, "a", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 1, NULL, 3), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 1, big, sizeof big), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_delete(mt, LSMT_MAX_SEQUENCE + 1, "a", 1), LSMT_RANGE);
    /* nothing changed */
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert_uint_eq(lsmt_memtable_approximate_memory_usage(mt), 0);
    /* batches */
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(NULL, "a", 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, NULL, 1, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, "a", 1, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, big, sizeof big, "b", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, "a", 1, big, LSMT_MEMTABLE_MAX_VALUE_LEN + 1),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete(NULL, "a", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_delete(b, NULL, 1), LSMT_INVALID);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 0);
    ck_assert_uint_eq(lsmt_write_batch_count(NULL), 0);
    lsmt_write_batch_clear(NULL);
    lsmt_write_batch_destroy(NULL);
    ck_assert_int_eq(lsmt_memtable_write(mt, 1, b), LSMT_OK); /* empty */
    ck_assert_int_eq(lsmt_memtable_write(NULL, 1, b), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_write(mt, 1, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_write_batch_put(b, "a", 1, "b", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "c", 1, "d", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE, b), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE + 1, b), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_write(mt, UINT64_MAX, b), LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_write(mt, LSMT_MAX_SEQUENCE - 1, b), LSMT_OK);
    lsmt_write_batch_destroy(b);
    /* reads */
    const void *v = NULL;
    size_t vl = 0;
    ck_assert_int_eq(lsmt_memtable_get(NULL, "a", 1, 1, &v, &vl, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, NULL, 1, 1, &v, &vl, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, 1, NULL, &vl, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, 1, &v, NULL, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, big, sizeof big, 1, &v, &vl, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE + 1, &v, &vl, NULL),
                     LSMT_RANGE);
    const void *keys[2] = {"a", NULL};
    size_t klens[2] = {1, 1};
    lsmt_status sts[2];
    const void *vals[2];
    size_t vls[2];
    ck_assert_int_eq(lsmt_memtable_multi_get(NULL, 1, keys, klens, 1, sts, vals, vls),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, NULL, klens, 1, sts, vals, vls), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, NULL, 1, sts, vals, vls), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 1, NULL, vals, vls), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 1, sts, NULL, vls), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 1, keys, klens, 1, sts, vals, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 2, keys, klens, 1, sts, vals, vls),
                     LSMT_INVALID); /* keys[1] NULL with length 1 */
    ck_assert_int_eq(
        lsmt_memtable_multi_get(mt, 1, keys, klens, LSMT_MAX_SEQUENCE + 1, sts, vals, vls),
        LSMT_RANGE);
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, 0, NULL, NULL, 1, NULL, NULL, NULL), LSMT_OK);
    /* iterators */
    lsmt_memtable_iter *it = (lsmt_memtable_iter *)0x1;
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(NULL);
    lsmt_memtable_iter_options_default(&io);
    ck_assert_int_eq(io.kind, LSMT_ITER_SNAPSHOT);
    ck_assert_uint_eq(io.snapshot, LSMT_MAX_SEQUENCE);
    ck_assert_int_eq(lsmt_memtable_iter_create(NULL, &io, &it), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, NULL), LSMT_INVALID);
    io.kind = (lsmt_iter_kind)7;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_INVALID);
    lsmt_memtable_iter_options_default(&io);
    io.snapshot = LSMT_MAX_SEQUENCE + 1;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_RANGE);
    lsmt_memtable_iter_options_default(&io);
    io.lower_bound = big;
    io.lower_len = sizeof big;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_INVALID);
    ck_assert_ptr_eq(it, (lsmt_memtable_iter *)0x1);
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, NULL, &it), LSMT_OK);
    lsmt_memtable_iter_destroy(NULL);
    ck_assert(!lsmt_memtable_iter_valid(NULL));
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_last(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek(NULL, "a", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek(it, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek(it, big, sizeof big), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_for_prev(NULL, "a", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_for_prev(it, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_next(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_prev(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_next(it), LSMT_INVALID); /* not valid */
    ck_assert_int_eq(lsmt_memtable_iter_prev(it), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_entry(NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, NULL, NULL, NULL, NULL, NULL, NULL),
                     LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, NULL, NULL, NULL, NULL, NULL, NULL), LSMT_OK);
    lsmt_memtable_iter_destroy(it);
    /* memory and lifecycle */
    ck_assert_uint_eq(lsmt_memtable_approximate_memory_usage(NULL), 0);
    ck_assert(!lsmt_memtable_should_flush(NULL));
    ck_assert(!mt_is_frozen(NULL));
    ck_assert_int_eq(lsmt_memtable_freeze(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_reset_all(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_stats_get(NULL, &s), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_validate(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- exhaustion: hard limit, batches all-or-nothing ------------------------------------ */

START_TEST(test_full)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 1 << 20;
    o.hard_limit = 2 << 20;
    o.shard_count = 1;
    lsmt_memtable *mt;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    char key[32], val[100];
    memset(val, 'v', sizeof val);
    uint64_t seq = 1;
    bool flushed = false;
    lsmt_status st;
    for (;;) {
        snprintf(key, sizeof key, "k%08llu", (unsigned long long)seq);
        st = lsmt_memtable_put(mt, seq, key, strlen(key), val, sizeof val);
        if (st != LSMT_OK)
            break;
        /* invariant 5: should_flush turns true at the budget and stays true */
        bool sf = lsmt_memtable_should_flush(mt);
        ck_assert(!flushed || sf);
        ck_assert(sf == (lsmt_memtable_approximate_memory_usage(mt) >= o.write_buffer_size));
        flushed = sf;
        ck_assert_uint_le(lsmt_memtable_approximate_memory_usage(mt), o.hard_limit);
        seq++;
    }
    ck_assert_int_eq(st, LSMT_FULL);
    ck_assert(flushed);
    ck_assert_uint_gt(seq, 10000); /* ~14k entries of ~140 B fit in 2 MiB */
    uint64_t full_at = seq;
    /* everything written is readable; the failed write is not */
    for (uint64_t s = 1; s < full_at; s += 97) {
        snprintf(key, sizeof key, "k%08llu", (unsigned long long)s);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_OK);
    }
    snprintf(key, sizeof key, "k%08llu", (unsigned long long)full_at);
    ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    /* A batch larger than what is left: LSMT_FULL and none of its keys visible. Small
     * entries may still fit one by one, so the batch leads with several large values. */
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    static char bigv[64 << 10];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "batch%02d", i);
        ck_assert_int_eq(
            lsmt_write_batch_put(b, key, strlen(key), i % 2 ? "s" : bigv, i % 2 ? 1 : sizeof bigv),
            LSMT_OK);
    }
    lsmt_memtable_stats before, after;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &before), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 1u << 30, b), LSMT_FULL);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &after), LSMT_OK);
    ck_assert_uint_eq(after.entries, before.entries);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "batch%02d", i);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    }
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    /* after reset_all the same memtable takes writes again */
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    ck_assert_uint_eq(lsmt_memtable_approximate_memory_usage(mt), 0);
    ck_assert(!lsmt_memtable_should_flush(mt));
    ck_assert_int_eq(lsmt_memtable_write(mt, 1u << 30, b), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "batch01", LSMT_MAX_SEQUENCE, NULL, &seq), LSMT_OK);
    ck_assert_uint_eq(seq, (1u << 30) + 1);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

START_TEST(test_batch)
{
    lsmt_memtable *mt = mk(1 << 20, 10);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    char key[16];
    for (int i = 0; i < 100; i++) { /* > the on-stack node array */
        snprintf(key, sizeof key, "b%03d", i);
        if (i % 10 == 9)
            ck_assert_int_eq(lsmt_write_batch_delete(b, key, strlen(key)), LSMT_OK);
        else
            ck_assert_int_eq(lsmt_write_batch_put(b, key, strlen(key), key, strlen(key)), LSMT_OK);
    }
    /* (b050, 1050) already present: the whole batch is refused */
    ck_assert_int_eq(lsmt_memtable_delete(mt, 1050, "b050", 4), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 1000, b), LSMT_EXISTS);
    ck_assert_int_eq(get_s(mt, "b000", LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    /* the same for a duplicate in the last, partial chunk of the duplicate check (b099) */
    ck_assert_int_eq(lsmt_memtable_delete(mt, 3099, "b099", 4), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 3000, b), LSMT_EXISTS);
    ck_assert_int_eq(get_s(mt, "b000", LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_write(mt, 2000, b), LSMT_OK);
    uint64_t seq;
    char buf[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "b%03d", i);
        lsmt_status st = get_s(mt, key, 2999, buf, &seq);
        ck_assert_int_eq(st, i % 10 == 9 ? LSMT_DELETED : LSMT_OK);
        ck_assert_uint_eq(seq, 2000 + (uint64_t)i);
        if (st == LSMT_OK)
            ck_assert_str_eq(buf, key);
        /* consecutive seqs: at 2000 + i - 1, record i is not visible yet */
        ck_assert_int_eq(get_s(mt, key, 2000 + (uint64_t)i - 1, buf, NULL),
                         i == 50 ? LSMT_DELETED : LSMT_NOT_FOUND);
    }
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 102);
    ck_assert_uint_eq(s.deletes, 12);
    ck_assert_uint_eq(s.puts, 90);
    lsmt_write_batch_clear(b);
    ck_assert_uint_eq(lsmt_write_batch_count(b), 0);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- freeze and reset --------------------------------------------------------------- */

START_TEST(test_freeze_reset)
{
    lsmt_memtable *mt = mk(1 << 20, 10);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
    ck_assert(mt_is_frozen(mt));
    ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK); /* idempotent */
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, "b", 1, "2", 1), LSMT_FROZEN);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 3, "a", 1), LSMT_FROZEN);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "c", 1, "3", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 4, b), LSMT_FROZEN);
    char buf[8];
    ck_assert_int_eq(get_s(mt, "a", 9, buf, NULL), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "b", 9, buf, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(get_s(mt, "c", 9, buf, NULL), LSMT_NOT_FOUND);
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 1);
    /* an open iterator blocks the reset */
    lsmt_memtable_iter *it;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, NULL, &it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_seek_to_first(it), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_BUSY);
    ck_assert(mt_is_frozen(mt));
    ck_assert_int_eq(get_s(mt, "a", 9, buf, NULL), LSMT_OK); /* nothing done */
    const void *k;
    ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, NULL, NULL, NULL, NULL, NULL), LSMT_OK);
    ck_assert_int_eq(memcmp(k, "a", 1), 0);
    lsmt_memtable_iter_destroy(it);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    ck_assert(!mt_is_frozen(mt));
    ck_assert_int_eq(get_s(mt, "a", 9, buf, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert_uint_eq(s.resets, 1);
    ck_assert_uint_eq(s.memory_used, 0);
    /* active again; the same (key, seq) is new after a reset */
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "x", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, 4, b), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "a", 9, buf, NULL), LSMT_OK);
    ck_assert_str_eq(buf, "x");
    ck_assert_int_eq(get_s(mt, "c", 9, buf, NULL), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- bloom filter -------------------------------------------------------------------- */

START_TEST(test_bloom)
{
    lsmt_memtable *mt = mk(4 << 20, 10);
    char key[32];
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(lsmt_memtable_put(mt, (uint64_t)i, key, strlen(key), "v", 1), LSMT_OK);
    }
    /* never a false negative */
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_OK);
    }
    lsmt_memtable_stats s0, s1;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s0), LSMT_OK);
    ck_assert_uint_eq(s0.bloom_checks, (uint64_t)n);
    ck_assert_uint_eq(s0.bloom_negatives, 0);
    ck_assert_uint_eq(s0.bloom_false_positives, 0); /* every key it passed was there */
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "absent-%d", i);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    }
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s1), LSMT_OK);
    ck_assert_uint_eq(s1.bloom_checks, 2 * (uint64_t)n);
    /* 10 bits/key sized for 64-byte entries: far under 5% false positives here */
    ck_assert_uint_gt(s1.bloom_negatives, (uint64_t)n * 95 / 100);
    /* every absent get is either answered by the filter or one of its false positives */
    ck_assert_uint_eq(s1.bloom_negatives + s1.bloom_false_positives, (uint64_t)n);
    /* after a reset the filter is empty again: an old key is a bloom negative */
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
    ck_assert_int_eq(get_s(mt, "present-1", LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s1), LSMT_OK);
    ck_assert_uint_eq(s1.bloom_checks, 1);
    ck_assert_uint_eq(s1.bloom_negatives, 1);
    lsmt_memtable_destroy(mt);

    /* a tiny filter (1 bit per expected key, many more keys): false positives are
     * counted, and still no false negative */
    mt = mk(1 << 20, 1);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(lsmt_memtable_put(mt, (uint64_t)i, key, strlen(key), "v", 1), LSMT_OK);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "absent-%d", i);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(get_s(mt, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_OK);
    }
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s1), LSMT_OK);
    ck_assert_uint_eq(s1.bloom_checks, 10000);
    ck_assert_uint_eq(s1.bloom_negatives + s1.bloom_false_positives, 5000);
    ck_assert_uint_gt(s1.bloom_false_positives, 500);
    lsmt_memtable_destroy(mt);

    /* off: no checks counted */
    mt = mk(1 << 20, 0);
    ck_assert_int_eq(get_s(mt, "x", 1, NULL, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s1), LSMT_OK);
    ck_assert_uint_eq(s1.bloom_checks, 0);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* bloom_expected_keys sizes the filter: its bytes show in memory_reserved, and a filter
 * sized for fewer keys than it gets lets more absent keys through. */
static lsmt_memtable *mk_bloom_keys(unsigned bits, size_t expected)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 4 << 20;
    o.bloom_bits_per_key = bits;
    o.bloom_expected_keys = expected;
    o.shard_count = 2;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

static size_t reserved(lsmt_memtable *mt)
{
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    return s.memory_reserved;
}

START_TEST(test_bloom_expected_keys)
{
    lsmt_memtable *off = mk_bloom_keys(0, 0);
    lsmt_memtable *dflt = mk_bloom_keys(10, 0);       /* 4 MiB / 64 = 65536 keys */
    lsmt_memtable *small = mk_bloom_keys(10, 1000);   /* 10,000 bits */
    lsmt_memtable *large = mk_bloom_keys(10, 200000); /* 2,000,000 bits */
    size_t base = reserved(off);
    /* whole 64-byte lines of at least expected * bits bits, and less than one line more */
    const size_t want[3] = {65536 * 10 / 8, 1000 * 10 / 8, 200000 * 10 / 8};
    lsmt_memtable *with[3] = {dflt, small, large};
    for (int i = 0; i < 3; i++) {
        size_t bytes = reserved(with[i]) - base;
        ck_assert_uint_ge(bytes, want[i]);
        ck_assert_uint_lt(bytes, want[i] + 128);
        ck_assert_uint_eq(bytes % 64, 0);
    }
    /* 20,000 keys: 20x what `small` was sized for, a tenth of `large`'s */
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(lsmt_memtable_put(small, (uint64_t)i, key, strlen(key), "v", 1), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_put(large, (uint64_t)i, key, strlen(key), "v", 1), LSMT_OK);
    }
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "absent-%d", i);
        ck_assert_int_eq(get_s(small, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
        ck_assert_int_eq(get_s(large, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
        snprintf(key, sizeof key, "present-%d", i);
        ck_assert_int_eq(get_s(small, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_OK);
    }
    lsmt_memtable_stats ss, sl;
    ck_assert_int_eq(lsmt_memtable_stats_get(small, &ss), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_stats_get(large, &sl), LSMT_OK);
    /* overfilled: most absent keys pass; 100 bits per key: almost none do */
    ck_assert_uint_gt(ss.bloom_false_positives, 10000);
    ck_assert_uint_lt(sl.bloom_false_positives, 200);
    ck_assert_uint_eq(ss.bloom_negatives + ss.bloom_false_positives, 20000);
    ck_assert_uint_eq(sl.bloom_negatives + sl.bloom_false_positives, 20000);
    lsmt_memtable_destroy(off);
    lsmt_memtable_destroy(dflt);
    lsmt_memtable_destroy(small);
    lsmt_memtable_destroy(large);
}
END_TEST

START_TEST(test_stats)
{
    lsmt_memtable *mt = mk(1 << 20, 10);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "abc", 3, "12345", 5), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, "abc", 3, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_delete(mt, 3, "de", 2), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 2, "abc", 3, "1", 1), LSMT_EXISTS); /* not counted */
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 3);
    ck_assert_uint_eq(s.puts, 2);
    ck_assert_uint_eq(s.deletes, 1);
    ck_assert_uint_eq(s.key_bytes, 8);
    ck_assert_uint_eq(s.value_bytes, 6);
    ck_assert_uint_eq(s.memory_used, lsmt_memtable_approximate_memory_usage(mt));
    ck_assert_uint_ge(s.memory_reserved, s.memory_used);
    ck_assert_uint_eq(s.resets, 0);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- pool-backed memtables ------------------------------------------------------------ */

static size_t pool_idle(const lsmt_arena_pool *pool)
{
    lsmt_arena_pool_stats ps;
    ck_assert_int_eq(lsmt_arena_pool_stats_get(pool, &ps), LSMT_OK);
    return ps.idle;
}

START_TEST(test_pool)
{
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.capacity = 4 << 20;
    po.arena.shard_count = 2;
    po.max_idle = 2;
    lsmt_arena_pool *pool;
    ck_assert_int_eq(lsmt_arena_pool_create(&po, &pool), LSMT_OK);
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.pool = pool;
    o.write_buffer_size = 2 << 20;
    lsmt_memtable *a, *b;
    ck_assert_int_eq(lsmt_memtable_create(&o, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_create(&o, &b), LSMT_OK);
    ck_assert_uint_eq(pool_idle(pool), 0);
    char key[16];
    for (int cycle = 0; cycle < 3; cycle++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(key, sizeof key, "%d-%d", cycle, i);
            ck_assert_int_eq(lsmt_memtable_put(a, (uint64_t)i + 1, key, strlen(key), key, 4),
                             LSMT_OK);
        }
        ck_assert_int_eq(lsmt_memtable_validate(a), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_freeze(a), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_reset_all(a), LSMT_OK); /* in place */
        ck_assert_uint_eq(pool_idle(pool), 0);
        snprintf(key, sizeof key, "%d-%d", cycle, 5);
        ck_assert_int_eq(get_s(a, key, LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    }
    /* the memtable's budget is clamped to the pool arena's capacity */
    o.write_buffer_size = 64 << 20;
    lsmt_memtable *c;
    ck_assert_int_eq(lsmt_memtable_create(&o, &c), LSMT_OK);
    ck_assert(!lsmt_memtable_should_flush(c));
    lsmt_memtable_destroy(c);
    ck_assert_uint_eq(pool_idle(pool), 1);
    lsmt_memtable_destroy(a);
    lsmt_memtable_destroy(b);
    ck_assert_uint_eq(pool_idle(pool), 2);
    /* checkout reuses an idle arena */
    ck_assert_int_eq(lsmt_memtable_create(&o, &a), LSMT_OK);
    ck_assert_uint_eq(pool_idle(pool), 1);
    ck_assert_int_eq(get_s(a, "0-1", LSMT_MAX_SEQUENCE, NULL, NULL), LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_put(a, 1, "x", 1, "y", 1), LSMT_OK);
    lsmt_memtable_destroy(a);
    lsmt_arena_pool_destroy(pool);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("memtable");
    TCase *tc;
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_huge_pages_rule);
    tcase_add_test(tc, test_comparator);
    tcase_add_test(tc, test_stats);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_model_reverse);
    suite_add_tcase(s, tc);
    tc = tcase_create("batch");
    tcase_add_test(tc, test_batch);
    suite_add_tcase(s, tc);
    tc = tcase_create("full");
    tcase_add_test(tc, test_full);
    suite_add_tcase(s, tc);
    tc = tcase_create("freeze_reset");
    tcase_add_test(tc, test_freeze_reset);
    suite_add_tcase(s, tc);
    tc = tcase_create("bloom");
    tcase_add_test(tc, test_bloom);
    tcase_add_test(tc, test_bloom_expected_keys);
    suite_add_tcase(s, tc);
    tc = tcase_create("pool");
    tcase_add_test(tc, test_pool);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
