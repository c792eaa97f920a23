/* Per-entry protection, paranoid checks and the two capacity edges (issue 15):
 *  - protection_bytes_per_key 1/2/4/8 (and paranoid_checks) give the same answers as a
 *    plain memtable on random workloads: gets, multi_gets, both iterators, both ways;
 *  - a flipped bit in a stored entry's key, value, sequence, type or checksum is caught
 *    (LSMT_CORRUPTION) by get, multi_get and both iterators, never returned as data;
 *  - a flipped link cannot crash or hang a reader with paranoid_checks (run this suite
 *    under ASan for the "cannot crash" half), and one pointing outside the arena is
 *    caught; paranoid_checks catch entries out of order;
 *  - an entry that fits an empty memtable is LSMT_OK every time (never a random
 *    LSMT_INVALID), and LSMT_FULL always comes with should_flush (invariants 5 and 7).
 * The corruption comes from the test-only hook lsmt_mt_test_flip_ (memtable/testhook.h). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#include "lsmt/memtable.h"
#include "lsmt/range_del.h"
#include "lsmt/skiplist.h"
#include "memtable/testhook.h"

static const unsigned widths[] = {1, 2, 4, 8};

/* Debug builds (LSMT_DEBUG) assert the skip list's order invariants inside its own
 * searches and steps, so there a damaged key or sequence (which breaks the order) is
 * read only through paranoid_checks' checked walk, which asserts nothing. */
#ifdef LSMT_DEBUG
static const bool order_asserts = true;
#else
static const bool order_asserts = false;
#endif

/* make() turns the hash index (issue 17) on while this is set: gets then reach entries
 * through it, and must verify them just the same. */
static bool g_hash_index;

static lsmt_memtable *make(unsigned prot, bool paranoid, size_t wbs, size_t hard)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = wbs;
    o.hard_limit = hard;
    o.shard_count = 1;
    o.protection_bytes_per_key = prot;
    o.paranoid_checks = paranoid;
    o.hash_index = g_hash_index;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

#define NKEYS 400

static size_t key_of(unsigned i, char *buf)
{
    return (size_t)snprintf(buf, 32, "key%05u", i);
}
static size_t value_of(unsigned i, uint64_t seq, char *buf)
{
    /* lengths 0..299: short and long value forms, and empty values */
    size_t n = (size_t)((i * 7 + seq) % 300);
    for (size_t j = 0; j < n; j++)
        buf[j] = (char)('a' + (i + seq + j) % 26);
    return n;
}

START_TEST(test_options)
{
    for (unsigned p = 0; p <= 300; p++) {
        lsmt_memtable_options o;
        lsmt_memtable_options_default(&o);
        o.write_buffer_size = 1 << 20;
        o.shard_count = 1;
        o.protection_bytes_per_key = p;
        lsmt_memtable *mt = NULL;
        bool ok = p == 0 || p == 1 || p == 2 || p == 4 || p == 8;
        ck_assert_int_eq(lsmt_memtable_create(&o, &mt), ok ? LSMT_OK : LSMT_INVALID);
        if (!ok)
            ck_assert_ptr_null(mt);
        lsmt_memtable_destroy(mt);
    }
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    ck_assert_uint_eq(o.protection_bytes_per_key, 0);
    ck_assert(!o.paranoid_checks);
    ck_assert_str_ne(lsmt_status_str(LSMT_CORRUPTION), lsmt_status_str(LSMT_STATUS_COUNT_));
    ck_assert_str_ne(lsmt_status_str(LSMT_CORRUPTION), lsmt_status_str(LSMT_CORRUPT));
}
END_TEST

/* Fill `mts` (n memtables) with the same random puts and deletes of NKEYS keys, several
 * versions each. */
static void fill_same(lsmt_memtable **mts, size_t n, unsigned ops)
{
    char k[32], v[300];
    for (unsigned s = 1; s <= ops; s++) {
        unsigned i = (unsigned)(rnd() % NKEYS);
        size_t kl = key_of(i, k);
        bool del = rnd() % 5 == 0;
        size_t vl = value_of(i, s, v);
        for (size_t m = 0; m < n; m++) {
            lsmt_status st = del ? lsmt_memtable_delete(mts[m], s, k, kl)
                                 : lsmt_memtable_put(mts[m], s, k, kl, v, vl);
            ck_assert_int_eq(st, LSMT_OK);
        }
    }
}

/* Every entry of iterator a equals iterator b's, forward and backward. */
static void same_scan(lsmt_memtable *ma, lsmt_memtable *mb, const lsmt_memtable_iter_options *io)
{
    lsmt_memtable_iter *a, *b;
    ck_assert_int_eq(lsmt_memtable_iter_create(ma, io, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_iter_create(mb, io, &b), LSMT_OK);
    for (int dir = 0; dir < 2; dir++) {
        lsmt_status sa =
            dir ? lsmt_memtable_iter_seek_to_last(a) : lsmt_memtable_iter_seek_to_first(a);
        lsmt_status sb =
            dir ? lsmt_memtable_iter_seek_to_last(b) : lsmt_memtable_iter_seek_to_first(b);
        size_t steps = 0;
        for (;;) {
            ck_assert_int_eq(sa, sb);
            if (sa != LSMT_OK)
                break;
            const void *ka, *kb, *va, *vb;
            size_t kla, klb, vla, vlb;
            uint64_t qa, qb;
            lsmt_entry_type ta, tb;
            ck_assert_int_eq(lsmt_memtable_iter_entry(a, &ka, &kla, &qa, &ta, &va, &vla), LSMT_OK);
            ck_assert_int_eq(lsmt_memtable_iter_entry(b, &kb, &klb, &qb, &tb, &vb, &vlb), LSMT_OK);
            ck_assert_uint_eq(kla, klb);
            ck_assert(memcmp(ka, kb, kla) == 0);
            ck_assert_uint_eq(qa, qb);
            ck_assert_int_eq(ta, tb);
            ck_assert_uint_eq(vla, vlb);
            ck_assert(vla == 0 || memcmp(va, vb, vla) == 0);
            steps++;
            sa = dir ? lsmt_memtable_iter_prev(a) : lsmt_memtable_iter_next(a);
            sb = dir ? lsmt_memtable_iter_prev(b) : lsmt_memtable_iter_next(b);
        }
        ck_assert_int_eq(sa, LSMT_END);
        ck_assert_uint_gt(steps, 0);
    }
    /* seeks */
    char k[32];
    for (int t = 0; t < 50; t++) {
        size_t kl = key_of((unsigned)(rnd() % (NKEYS + 10)), k);
        bool fp = t & 1;
        lsmt_status sa =
            fp ? lsmt_memtable_iter_seek_for_prev(a, k, kl) : lsmt_memtable_iter_seek(a, k, kl);
        lsmt_status sb =
            fp ? lsmt_memtable_iter_seek_for_prev(b, k, kl) : lsmt_memtable_iter_seek(b, k, kl);
        ck_assert_int_eq(sa, sb);
        if (sa == LSMT_OK) {
            uint64_t qa, qb;
            ck_assert_int_eq(lsmt_memtable_iter_entry(a, NULL, NULL, &qa, NULL, NULL, NULL),
                             LSMT_OK);
            ck_assert_int_eq(lsmt_memtable_iter_entry(b, NULL, NULL, &qb, NULL, NULL, NULL),
                             LSMT_OK);
            ck_assert_uint_eq(qa, qb);
        }
    }
    lsmt_memtable_iter_destroy(a);
    lsmt_memtable_iter_destroy(b);
}

START_TEST(test_agree)
{
    enum { OPS = 3000 };
    for (unsigned w = 0; w < 5; w++) {
        for (int paranoid = 0; paranoid < 2; paranoid++) {
            if (w == 4 && !paranoid)
                continue; /* width 0 without paranoid is the reference itself */
            unsigned p = w < 4 ? widths[w] : 0;
            lsmt_memtable *mts[2] = {make(0, false, 8 << 20, 0), make(p, paranoid, 8 << 20, 0)};
            fill_same(mts, 2, OPS);
            ck_assert_int_eq(lsmt_memtable_validate(mts[1]), LSMT_OK);
            char k[32];
            for (int t = 0; t < 2000; t++) {
                size_t kl = key_of((unsigned)(rnd() % (NKEYS + 10)), k);
                uint64_t snap = rnd() % (OPS + 10);
                const void *va = NULL, *vb = NULL;
                size_t vla = 0, vlb = 0;
                uint64_t qa = 0, qb = 0;
                lsmt_status sa = lsmt_memtable_get(mts[0], k, kl, snap, &va, &vla, &qa);
                lsmt_status sb = lsmt_memtable_get(mts[1], k, kl, snap, &vb, &vlb, &qb);
                ck_assert_int_eq(sa, sb);
                if (sa == LSMT_OK || sa == LSMT_DELETED)
                    ck_assert_uint_eq(qa, qb);
                if (sa == LSMT_OK) {
                    ck_assert_uint_eq(vla, vlb);
                    ck_assert(vla == 0 || memcmp(va, vb, vla) == 0);
                }
            }
            /* multi_get over 100 keys (several chunks) */
            char kbuf[100][32];
            const void *keys[100];
            size_t klens[100];
            for (int i = 0; i < 100; i++) {
                klens[i] = key_of((unsigned)(rnd() % (NKEYS + 10)), kbuf[i]);
                keys[i] = kbuf[i];
            }
            lsmt_status sa[100], sb[100];
            const void *va[100], *vb[100];
            size_t vla[100], vlb[100];
            ck_assert_int_eq(
                lsmt_memtable_multi_get(mts[0], 100, keys, klens, OPS / 2, sa, va, vla), LSMT_OK);
            ck_assert_int_eq(
                lsmt_memtable_multi_get(mts[1], 100, keys, klens, OPS / 2, sb, vb, vlb), LSMT_OK);
            for (int i = 0; i < 100; i++) {
                ck_assert_int_eq(sa[i], sb[i]);
                if (sa[i] == LSMT_OK) {
                    ck_assert_uint_eq(vla[i], vlb[i]);
                    ck_assert(vla[i] == 0 || memcmp(va[i], vb[i], vla[i]) == 0);
                }
            }
            lsmt_memtable_iter_options io;
            lsmt_memtable_iter_options_default(&io);
            io.kind = LSMT_ITER_INTERNAL;
            same_scan(mts[0], mts[1], &io);
            io.kind = LSMT_ITER_SNAPSHOT;
            io.snapshot = OPS / 3;
            same_scan(mts[0], mts[1], &io);
            io.lower_bound = "key001";
            io.lower_len = 6;
            io.upper_bound = "key003";
            io.upper_len = 6;
            same_scan(mts[0], mts[1], &io);
            lsmt_memtable_stats s0, s1;
            lsmt_memtable_stats_get(mts[0], &s0);
            lsmt_memtable_stats_get(mts[1], &s1);
            ck_assert_uint_eq(s0.value_bytes, s1.value_bytes);
            ck_assert_uint_eq(s0.entries, s1.entries);
            lsmt_memtable_destroy(mts[0]);
            lsmt_memtable_destroy(mts[1]);
        }
    }
}
END_TEST

/* One put per key (seq = key number + 1), keys key00000 .. */
static lsmt_memtable *make_filled(unsigned prot, bool paranoid, unsigned n)
{
    lsmt_memtable *mt = make(prot, paranoid, 1 << 20, 2 << 20);
    char k[32], v[300];
    for (unsigned i = 0; i < n; i++) {
        size_t kl = key_of(i, k);
        size_t vl = value_of(i, 1, v);
        if (i % 17 == 5)
            ck_assert_int_eq(lsmt_memtable_delete(mt, i + 1, k, kl), LSMT_OK);
        else
            ck_assert_int_eq(lsmt_memtable_put(mt, i + 1, k, kl, v, vl), LSMT_OK);
    }
    return mt;
}

/* Scan the whole memtable with an iterator of `kind`, forward (dir 0) or backward:
 * the status that ended it (LSMT_END or LSMT_CORRUPTION); every entry it showed is
 * checked against what was written (protection never lets a wrong entry through). */
static lsmt_status scan(lsmt_memtable *mt, lsmt_iter_kind kind, int dir, size_t *count)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = kind;
    lsmt_memtable_iter *it;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_OK);
    lsmt_status st =
        dir ? lsmt_memtable_iter_seek_to_last(it) : lsmt_memtable_iter_seek_to_first(it);
    size_t n = 0;
    while (st == LSMT_OK) {
        const void *k, *v;
        size_t kl, vl;
        uint64_t seq;
        lsmt_entry_type t;
        ck_assert_int_eq(lsmt_memtable_iter_entry(it, &k, &kl, &seq, &t, &v, &vl), LSMT_OK);
        char ek[32], ev[300];
        ck_assert_uint_ge(seq, 1);
        unsigned i = (unsigned)(seq - 1);
        ck_assert_uint_eq(kl, key_of(i, ek));
        ck_assert(memcmp(k, ek, kl) == 0);
        ck_assert_int_eq(t, i % 17 == 5 ? LSMT_TYPE_DELETE : LSMT_TYPE_PUT);
        if (t == LSMT_TYPE_PUT) {
            ck_assert_uint_eq(vl, value_of(i, 1, ev));
            ck_assert(vl == 0 || memcmp(v, ev, vl) == 0);
        }
        ck_assert_msg(n < 100000, "loop: kind %d dir %d at seq %llu", (int)kind, dir,
                      (unsigned long long)seq); /* no loop */
        n++;
        st = dir ? lsmt_memtable_iter_prev(it) : lsmt_memtable_iter_next(it);
    }
    ck_assert(st == LSMT_END || st == LSMT_CORRUPTION);
    ck_assert(!lsmt_memtable_iter_valid(it));
    if (count)
        *count = n;
    lsmt_memtable_iter_destroy(it);
    return st;
}

/* get and multi_get of every key: the entries written, except LSMT_CORRUPTION (and, for
 * a damaged key, LSMT_NOT_FOUND) where allowed. Returns how many reads were
 * LSMT_CORRUPTION. */
static unsigned read_all(lsmt_memtable *mt, unsigned n, bool may_hide)
{
    unsigned bad = 0;
    char kb[NKEYS][32];
    const void *keys[NKEYS];
    size_t klens[NKEYS];
    lsmt_status sts[NKEYS];
    const void *vals[NKEYS];
    size_t vls[NKEYS];
    for (unsigned i = 0; i < n; i++) {
        klens[i] = key_of(i, kb[i]);
        keys[i] = kb[i];
    }
    ck_assert_int_eq(lsmt_memtable_multi_get(mt, n, keys, klens, LSMT_MAX_SEQUENCE, sts, vals, vls),
                     LSMT_OK);
    for (unsigned i = 0; i < n; i++) {
        const void *v = NULL;
        size_t vl = 0;
        uint64_t seq = 0;
        lsmt_status st = lsmt_memtable_get(mt, keys[i], klens[i], LSMT_MAX_SEQUENCE, &v, &vl, &seq);
        lsmt_status want = i % 17 == 5 ? LSMT_DELETED : LSMT_OK;
        for (int r = 0; r < 2; r++) {
            lsmt_status s = r ? sts[i] : st;
            if (s == LSMT_CORRUPTION) {
                bad++;
                continue;
            }
            /* a damaged key makes its entry unfindable, and can hide the keys between its
             * old and new place from searches that do not step across it (protect.h); a
             * damaged link can skip entries (skiplist/checked.h) */
            if (may_hide && s == LSMT_NOT_FOUND)
                continue;
            ck_assert_msg(s == want, "key %u status %d want %d", i, s, want);
            if (s == LSMT_OK) {
                char ev[300];
                const void *got = r ? vals[i] : v;
                size_t gl = r ? vls[i] : vl;
                ck_assert_uint_eq(gl, value_of(i, 1, ev));
                ck_assert(gl == 0 || memcmp(got, ev, gl) == 0);
            }
        }
    }
    return bad;
}

START_TEST(test_flip_entry)
{
    enum { N = 200 };
    static const lsmt_mt_flip_part parts[] = {LSMT_FLIP_KEY, LSMT_FLIP_VALUE, LSMT_FLIP_SEQ,
                                              LSMT_FLIP_TYPE, LSMT_FLIP_PROT};
    unsigned cases = 0;
    for (unsigned w = 0; w < 4; w++) {
        for (unsigned pi = 0; pi < 5; pi++) {
            for (unsigned bit = 0; bit < 64; bit += (widths[w] == 8 ? 1 : 13)) {
                unsigned victim = 3 + (bit * 31 + pi * 7) % (N - 6);
                if (victim % 17 == 5 && parts[pi] == LSMT_FLIP_VALUE)
                    victim++; /* a tombstone has no value */
                bool reorders = parts[pi] == LSMT_FLIP_KEY || parts[pi] == LSMT_FLIP_SEQ;
                bool paranoid = bit % 2 == 1 || (reorders && order_asserts);
                g_hash_index = bit % 3 == 0; /* a third of the cases read through the index */
                lsmt_memtable *mt = make_filled(widths[w], paranoid, N);
                g_hash_index = false;
                char k[32];
                size_t kl = key_of(victim, k);
                lsmt_status fs = lsmt_mt_test_flip_(mt, k, kl, victim + 1, parts[pi], bit);
                if (fs == LSMT_INVALID) { /* e.g. an empty value */
                    lsmt_memtable_destroy(mt);
                    continue;
                }
                ck_assert_int_eq(fs, LSMT_OK);
                cases++;
                bool key_damaged = parts[pi] == LSMT_FLIP_KEY;
                /* get and multi_get: each caught once at least */
                unsigned bad = read_all(mt, N, key_damaged);
                if (!key_damaged)
                    ck_assert_uint_eq(bad, 2);
                /* iterators: every one that reaches the entry stops with CORRUPTION; a
                 * forward scan (level-0 steps) always reaches it. A damaged key moves the
                 * entry in the order: a backward step is a search, which may pass over it
                 * unless paranoid_checks catch the order break where the search stops. */
                for (int kind = 0; kind < 2; kind++) {
                    for (int dir = 0; dir < 2; dir++) {
                        lsmt_status st =
                            scan(mt, kind ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL, dir, NULL);
                        ck_assert_msg(st == LSMT_CORRUPTION || (dir && key_damaged && !paranoid),
                                      "w %u part %u bit %u kind %d dir %d", widths[w], pi, bit,
                                      kind, dir);
                    }
                }
                lsmt_memtable_destroy(mt);
            }
        }
    }
    ck_assert_uint_gt(cases, 300);
}
END_TEST

/* A damaged range tombstone (begin, end, sequence or checksum byte) is caught where the
 * tombstones leave the memtable for an SSTable -- the raw iterator's entry, the
 * fragmented iterator's create -- and by validate; the other tombstones still read.
 * Reads find it either way a lookup can take (memtable/range_del.h): with 6 tombstones
 * they check the recent stack's entries one by one (no view is built for so few), with
 * 40 the first read builds the fragmented view over them. */
START_TEST(test_flip_range)
{
    const unsigned ntomb = _i ? 40 : 6;
    static const lsmt_mt_flip_part parts[] = {LSMT_FLIP_KEY, LSMT_FLIP_VALUE, LSMT_FLIP_SEQ,
                                              LSMT_FLIP_PROT};
    unsigned cases = 0;
    for (unsigned w = 0; w < 4; w++) {
        for (unsigned pi = 0; pi < 4; pi++) {
            /* a damaged begin or sequence can break the list's order, which a debug build's
             * own order assertions stop on before any checksum is read */
            bool reorders = parts[pi] == LSMT_FLIP_KEY || parts[pi] == LSMT_FLIP_SEQ;
            for (unsigned bit = 0; bit < 64 && !(reorders && order_asserts); bit += 5) {
                lsmt_memtable *mt = make_filled(widths[w], false, 100);
                char b[32], e[32];
                for (unsigned j = 0; j < ntomb; j++) {
                    size_t bl = key_of(10 * j + 1, b), el = key_of(10 * j + 6, e);
                    ck_assert_int_eq(lsmt_memtable_delete_range(mt, 1000 + j, b, bl, e, el),
                                     LSMT_OK);
                }
                ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
                unsigned victim = bit % ntomb;
                size_t bl = key_of(10 * victim + 1, b);
                ck_assert_int_eq(lsmt_mt_test_flip_range_(mt, b, bl, 1000 + victim, parts[pi], bit),
                                 LSMT_OK);
                cases++;
                ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_CORRUPT);
                lsmt_range_del_iter *it;
                ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_FRAGMENTED, &it),
                                 LSMT_CORRUPTION);
                ck_assert_int_eq(lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, &it), LSMT_OK);
                unsigned ok = 0, bad = 0;
                for (lsmt_status st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
                     st = lsmt_range_del_iter_next(it)) {
                    uint64_t seq;
                    lsmt_status es = lsmt_range_del_iter_entry(it, NULL, NULL, NULL, NULL, &seq);
                    if (es == LSMT_CORRUPTION)
                        bad++;
                    else if (es == LSMT_OK && seq >= 1000 && seq < 1000 + ntomb)
                        ok++;
                }
                lsmt_range_del_iter_destroy(it);
                ck_assert_uint_eq(bad, 1);
                ck_assert_uint_eq(ok, ntomb - 1);
                /* reads: a damaged tombstone could cover any key, so every read that
                 * consults the tombstones answers LSMT_CORRUPTION, never a wrong status */
                char k[32];
                const void *v;
                size_t vl;
                for (unsigned i = 0; i < 100; i += 7) {
                    size_t kl = key_of(i, k);
                    ck_assert_int_eq(lsmt_memtable_get(mt, k, kl, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                                     LSMT_CORRUPTION);
                }
                ck_assert_int_eq(scan(mt, LSMT_ITER_SNAPSHOT, (int)(bit & 1), NULL),
                                 LSMT_CORRUPTION);
                lsmt_memtable_destroy(mt);
            }
        }
    }
    ck_assert_uint_gt(cases, order_asserts ? 100 : 200);
}
END_TEST

/* A damaged key with protection off: paranoid scans find the order broken. */
START_TEST(test_paranoid_order)
{
    enum { N = 200 };
    for (int paranoid = order_asserts; paranoid < 2; paranoid++) {
        lsmt_memtable *mt = make_filled(0, paranoid, N);
        char k[32];
        size_t kl = key_of(100, k);
        /* 'k' ^ 0x80 sorts after every other key: the order breaks at its successor */
        ck_assert_int_eq(lsmt_mt_test_flip_(mt, k, kl, 101, LSMT_FLIP_KEY, 7), LSMT_OK);
        lsmt_memtable_iter_options io;
        lsmt_memtable_iter_options_default(&io);
        io.kind = LSMT_ITER_INTERNAL;
        lsmt_memtable_iter *it;
        ck_assert_int_eq(lsmt_memtable_iter_create(mt, &io, &it), LSMT_OK);
        lsmt_status st = lsmt_memtable_iter_seek_to_first(it);
        size_t n = 0;
        while (st == LSMT_OK) {
            n++;
            st = lsmt_memtable_iter_next(it);
        }
        if (paranoid) {
            ck_assert_int_eq(st, LSMT_CORRUPTION);
            ck_assert_uint_eq(n, 101); /* entries 0..100, then the step to 101 fails */
            /* a seek past the damaged entry walks over it at level 0 or above */
            ck_assert_int_eq(lsmt_memtable_iter_seek(it, "key00101", 8), LSMT_CORRUPTION);
            const void *v;
            size_t vl;
            ck_assert_int_eq(lsmt_memtable_get(mt, "key00101", 8, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                             LSMT_CORRUPTION);
        } else {
            ck_assert_int_eq(st, LSMT_END); /* not detected without paranoid_checks */
            ck_assert_uint_eq(n, N);
        }
        lsmt_memtable_iter_destroy(it);
        lsmt_memtable_destroy(mt);
    }
}
END_TEST

/* Flipped links under paranoid_checks (and protection): no crash, no hang, every entry
 * shown is right; a link pointing outside the arena is LSMT_CORRUPTION. */
START_TEST(test_flip_link)
{
    enum { N = 300 };
    unsigned caught = 0, tall = 0;
    for (int part = 0; part < 2; part++) {
        for (unsigned bit = 0; bit < 32; bit++) {
            lsmt_memtable *mt = make_filled(8, true, N);
            /* the first victim with a tower tall enough for the part */
            unsigned victim = 7 + bit;
            lsmt_status fs;
            char k[32];
            for (;;) {
                size_t kl = key_of(victim, k);
                fs = lsmt_mt_test_flip_(mt, k, kl, victim + 1,
                                        part ? LSMT_FLIP_LINK1 : LSMT_FLIP_LINK0, bit);
                if (fs != LSMT_INVALID || victim >= N - 2)
                    break;
                victim++;
            }
            ck_assert_int_eq(fs, LSMT_OK);
            tall += part;
            read_all(mt, N, true);
            bool any = false;
            for (int kind = 0; kind < 2; kind++) {
                for (int dir = 0; dir < 2; dir++) {
                    size_t n;
                    lsmt_status st =
                        scan(mt, kind ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL, dir, &n);
                    any |= st == LSMT_CORRUPTION;
                }
            }
            /* a 2 MiB arena holds references below 2^19: bits 19 and up point outside */
            if (bit >= 19 && part == 0)
                ck_assert_msg(any, "link0 bit %u", bit);
            caught += any;
            lsmt_memtable_destroy(mt);
        }
    }
    ck_assert_uint_gt(tall, 0);
    ck_assert_uint_ge(caught, 13);
}
END_TEST

/* Capacity edge 1: an entry that exactly fits the arena is LSMT_OK on every fresh
 * memtable (single put and one-record batch), whatever the random tower height. */
START_TEST(test_exact_fit)
{
    enum { KLEN = 8, VLEN = 262116, RUNS = 200 };
    ck_assert_uint_eq(lsmt_skiplist_node_min_bytes(KLEN, VLEN), 262144);
    char *v = calloc(1, VLEN + 8);
    ck_assert_ptr_nonnull(v);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    for (unsigned w = 0; w < 2; w++) {
        unsigned prot = w ? 8 : 0;
        size_t vlen = VLEN - prot; /* the checksum takes its bytes from the value's room */
        for (int r = 0; r < RUNS; r++) {
            lsmt_memtable *mt = make(prot, false, 256 << 10, 256 << 10);
            ck_assert_int_eq(lsmt_memtable_put(mt, 1, "12345678", KLEN, v, vlen), LSMT_OK);
            /* the arena is now full: the same write again is FULL, never INVALID */
            ck_assert_int_eq(lsmt_memtable_put(mt, 2, "12345678", KLEN, v, vlen), LSMT_FULL);
            ck_assert(lsmt_memtable_should_flush(mt));
            ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
            lsmt_write_batch_clear(b);
            ck_assert_int_eq(lsmt_write_batch_put(b, "12345678", KLEN, v, vlen), LSMT_OK);
            ck_assert_int_eq(lsmt_memtable_write(mt, 3, b), LSMT_OK);
            /* one byte more could never fit */
            ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
            ck_assert_int_eq(lsmt_memtable_put(mt, 4, "12345678", KLEN, v, vlen + 4), LSMT_INVALID);
            lsmt_write_batch_clear(b);
            ck_assert_int_eq(lsmt_write_batch_put(b, "12345678", KLEN, v, vlen + 4), LSMT_OK);
            ck_assert_int_eq(lsmt_memtable_write(mt, 5, b), LSMT_INVALID);
            lsmt_memtable_destroy(mt);
        }
    }
    /* the skip list's own node_alloc */
    for (int r = 0; r < RUNS; r++) {
        lsmt_sharded_arena_options ao;
        lsmt_sharded_arena_options_default(&ao);
        ao.capacity = 256 << 10;
        ao.shard_count = 1;
        lsmt_sharded_arena *a;
        ck_assert_int_eq(lsmt_sharded_arena_create(&ao, &a), LSMT_OK);
        lsmt_skiplist_options so;
        lsmt_skiplist_options_default(&so);
        so.arena = a;
        lsmt_skiplist *sl;
        ck_assert_int_eq(lsmt_skiplist_create(&so, &sl), LSMT_OK);
        lsmt_skiplist_node *n;
        void *kb, *vb;
        ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, KLEN, 1, VLEN, 0, &n, &kb, &vb), LSMT_OK);
        memcpy(kb, "12345678", KLEN);
        ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, n), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, KLEN, 2, VLEN, 0, &n, &kb, &vb), LSMT_FULL);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "1", 1, 1, NULL, 0), LSMT_FULL);
        lsmt_skiplist_destroy(sl);
        lsmt_sharded_arena_destroy(a);
    }
    lsmt_write_batch_destroy(b);
    free(v);
}
END_TEST

/* Capacity edge 2: LSMT_FULL implies should_flush, for large entries, shard counts 1..4,
 * with and without a pool; reset_all clears it. */
START_TEST(test_full_implies_flush)
{
    enum { VLEN = 100000 };
    char *v = calloc(1, VLEN), *e = malloc(VLEN);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(e);
    memset(e, 0xFF, VLEN); /* a range tombstone's end after every key_of key */
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    for (size_t shards = 1; shards <= 4; shards++) {
        /* own arena, pool, own arena + batches, own arena + range deletes (100,000-byte
         * end keys) */
        for (int mode = 0; mode < 4; mode++) {
            lsmt_arena_pool *pool = NULL;
            lsmt_memtable_options o;
            lsmt_memtable_options_default(&o);
            o.write_buffer_size = 1 << 20;
            o.hard_limit = 1 << 20;
            o.shard_count = shards;
            if (mode == 1) {
                lsmt_arena_pool_options po;
                lsmt_arena_pool_options_default(&po);
                po.arena.capacity = 768 << 10; /* smaller than write_buffer_size: clamped */
                po.arena.shard_count = shards;
                ck_assert_int_eq(lsmt_arena_pool_create(&po, &pool), LSMT_OK);
                o.pool = pool;
            }
            lsmt_memtable *mt;
            ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
            for (int round = 0; round < 2; round++) {
                ck_assert(!lsmt_memtable_should_flush(mt));
                uint64_t seq = 1;
                lsmt_status st;
                char k[32];
                do {
                    size_t kl = key_of((unsigned)seq, k);
                    if (mode == 2) {
                        lsmt_write_batch_clear(b);
                        ck_assert_int_eq(lsmt_write_batch_put(b, k, kl, v, VLEN), LSMT_OK);
                        ck_assert_int_eq(lsmt_write_batch_put(b, k, kl, v, 10), LSMT_OK);
                        st = lsmt_memtable_write(mt, seq, b);
                        seq += 2;
                    } else if (mode == 3) {
                        st = lsmt_memtable_delete_range(mt, seq, k, kl, e, VLEN);
                        seq++;
                    } else {
                        st = lsmt_memtable_put(mt, seq, k, kl, v, VLEN);
                        seq++;
                    }
                    ck_assert(st == LSMT_OK || st == LSMT_FULL);
                    ck_assert_uint_lt(seq, 100);
                } while (st == LSMT_OK);
                ck_assert_msg(lsmt_memtable_should_flush(mt), "shards %zu mode %d", shards, mode);
                ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
                ck_assert(lsmt_memtable_should_flush(mt));
                ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
            }
            lsmt_memtable_destroy(mt);
            lsmt_arena_pool_destroy(pool);
        }
    }
    lsmt_write_batch_destroy(b);
    free(v);
    free(e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("protection");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_options);
    suite_add_tcase(s, tc);
    tc = tcase_create("agree");
    tcase_add_test(tc, test_agree);
    suite_add_tcase(s, tc);
    tc = tcase_create("flip");
    tcase_add_test(tc, test_flip_entry);
    tcase_add_loop_test(tc, test_flip_range, 0, 2);
    tcase_add_test(tc, test_paranoid_order);
    tcase_add_test(tc, test_flip_link);
    suite_add_tcase(s, tc);
    tc = tcase_create("capacity");
    tcase_add_test(tc, test_exact_fit);
    tcase_add_test(tc, test_full_implies_flush);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
