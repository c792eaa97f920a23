/* libFuzzer target: the memtable API against a reference model.
 *
 * The input is decoded into a sequence of calls on one memtable (put, delete, get,
 * multi_get, write batches, snapshot and internal iterators with bounds and every
 * positioning call, freeze, reset_all, stats, validate, range deletes single and in
 * batches, the raw and fragmented range-del iterators) with edge-case keys (empty,
 * NUL bytes, 0xff runs around the 8-byte prefix, long keys), values (empty to 60 KB,
 * oversize lengths) and sequence numbers (0, 2^56-1, 2^56, UINT64_MAX, small numbers
 * that collide). Every result is compared with a reference multi-version map; any
 * difference aborts with a description (a finding for libFuzzer).
 *
 * The memtable's arena comes from a small pool (256 KiB, 4 KiB chunks), so LSMT_FULL
 * happens: the model then expects nothing to have changed.
 *
 * Build and run: tests/fuzz/run.sh [seconds] (clang, -fsanitize=fuzzer,address,undefined).
 * Without clang's fuzzer runtime, replay_main.c replays the corpus (ctest fuzz_replay).
 *
 * Input format (bytes, read until exhausted; missing bytes read as 0):
 *   byte 0           options: bit 0 bloom filter on; bits 1..3 protection_bytes_per_key
 *                    (0, 1, 2, 4, 8, then 0 again); bit 4 paranoid_checks; bit 5 hash
 *                    index on; bit 6 hash index of 64 slots (overflows). Protection,
 *                    paranoid checks and the index change no answer: the model is the same.
 *   then ops         op byte % OP_COUNT, followed by the op's arguments (see decode_*)
 */
#include "lsmt/memtable.h"
#include "lsmt/range_del.h"
#include "lsmt/skiplist.h" /* lsmt_skiplist_node_min_bytes: what can never fit */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../skiplist_entry.h"

/* ---- input cursor ---------------------------------------------------------------- */
typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static uint8_t u8(cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

static void fail(const char *what, int got, int want)
{
    fprintf(stderr, "fuzz_memtable: %s: got %s, expected %s\n", what,
            lsmt_status_str((lsmt_status)got), lsmt_status_str((lsmt_status)want));
    abort();
}
/* The pool arenas' capacity: small, so LSMT_FULL happens (and entries or batches larger
 * than the whole arena are LSMT_INVALID). */
#define ARENA_CAPACITY ((size_t)256 << 10)

#define REQUIRE(cond, msg)                                                           \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_memtable: %s (%s:%d)\n", msg, __FILE__, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* ---- decoded arguments --------------------------------------------------------------- */
typedef struct bytes {
    uint8_t buf[512];
    size_t len;
} bytes;

static const struct {
    const char *p;
    size_t n;
} key_dict[] = {
    {"", 0},
    {"\0", 1},
    {"\0\0", 2},
    {"a", 1},
    {"ab", 2},
    {"abcdefg", 7},
    {"abcdefgh", 8},
    {"abcdefgh\0", 9},
    {"abcdefghi", 9},
    {"\xff", 1},
    {"\xff\xff\xff\xff\xff\xff\xff\xff", 8},
    {"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9},
    {"b", 1},
};
#define NDICT (sizeof(key_dict) / sizeof(key_dict[0]))

static void decode_key(cursor *c, bytes *k)
{
    uint8_t sel = u8(c);
    if (sel < 0xC0) {
        k->len = key_dict[sel % NDICT].n;
        memcpy(k->buf, key_dict[sel % NDICT].p, k->len);
    } else if (sel < 0xF8) {
        k->len = sel & 15;
        for (size_t i = 0; i < k->len; i++)
            k->buf[i] = u8(c) & 0x83; /* few distinct bytes: keys collide and share prefixes */
    } else {
        k->len = 8 + (size_t)(u8(c) % 250); /* long keys: past the node's key prefix */
        memset(k->buf, 'k', k->len);
        k->buf[k->len - 1] = u8(c) & 3;
    }
}

static uint64_t decode_seq(cursor *c)
{
    uint8_t sel = u8(c);
    switch (sel % 16) {
    case 0:
        return 0;
    case 1:
        return LSMT_MAX_SEQUENCE;
    case 2:
        return LSMT_MAX_SEQUENCE + 1; /* out of range */
    case 3:
        return UINT64_MAX; /* out of range */
    case 4:
        return LSMT_MAX_SEQUENCE - 1;
    default:
        return (uint64_t)(u8(c) % 32); /* small: (key, seq) collisions */
    }
}

static uint8_t g_big[70000];

/* A value: (pointer, length); long ones point into g_big. */
static const void *decode_value(cursor *c, bytes *v, size_t *len)
{
    uint8_t sel = u8(c);
    if (sel < 200) {
        v->len = sel % 48;
        for (size_t i = 0; i < v->len; i++)
            v->buf[i] = (uint8_t)(sel + i);
        *len = v->len;
        return v->buf;
    }
    if (sel < 252) {
        *len = 64 + (size_t)(sel - 200) * 80;
        return g_big;
    }
    *len = 60000;
    return g_big;
}

/* ---- the reference model ---------------------------------------------------------- */
/* A batch record type beside lsmt_entry_type's (model only): a range delete. */
#define RANGE_DEL 7
typedef struct mentry {
    uint8_t key[512];
    size_t klen;
    uint64_t seq;
    int type;
    const uint8_t *val; /* into vbuf */
    size_t vlen;
    uint8_t *vbuf;
} mentry;

/* A range tombstone [b, e) at seq. */
typedef struct mtomb {
    uint8_t b[512], e[512];
    size_t blen, elen;
    uint64_t seq;
} mtomb;

typedef struct model {
    mentry *e;
    size_t n, cap;
    mtomb *t;
    size_t nt, tcap;
    int frozen;
    int flushed; /* should_flush was seen true since the last reset */
    uint64_t puts, deletes;
} model;

static int kcmp(const void *a, size_t al, const void *b, size_t bl)
{
    return lsmt_bytewise_compare(NULL, a, al, b, bl);
}

/* Order of the memtable: key asc, seq desc. */
static int ecmp(const mentry *a, const mentry *b)
{
    int c = kcmp(a->key, a->klen, b->key, b->klen);
    if (c != 0)
        return c;
    return a->seq == b->seq ? 0 : (a->seq > b->seq ? -1 : 1);
}

static int ecmp_q(const void *a, const void *b)
{
    return ecmp(a, b);
}

static mentry *model_find(model *m, const bytes *k, uint64_t seq)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].seq == seq && kcmp(m->e[i].key, m->e[i].klen, k->buf, k->len) == 0)
            return &m->e[i];
    return NULL;
}

static void model_add(model *m, const bytes *k, uint64_t seq, int type, const void *v, size_t vlen)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->e = realloc(m->e, m->cap * sizeof(mentry));
        REQUIRE(m->e != NULL, "out of memory");
    }
    mentry *e = &m->e[m->n++];
    memcpy(e->key, k->buf, k->len);
    e->klen = k->len;
    e->seq = seq;
    e->type = type;
    e->vlen = vlen;
    e->vbuf = malloc(vlen ? vlen : 1);
    REQUIRE(e->vbuf != NULL, "out of memory");
    if (vlen)
        memcpy(e->vbuf, v, vlen);
    e->val = e->vbuf;
    if (type == LSMT_TYPE_PUT)
        m->puts++;
    else
        m->deletes++;
    qsort(m->e, m->n, sizeof(mentry), ecmp_q);
}

static void model_clear(model *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].vbuf);
    m->n = 0;
    m->nt = 0;
    m->puts = m->deletes = 0;
    m->frozen = 0;
    m->flushed = 0;
}

/* Newest version of k with seq <= snap. */
static const mentry *model_get(const model *m, const void *k, size_t klen, uint64_t snap)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].seq <= snap && kcmp(m->e[i].key, m->e[i].klen, k, klen) == 0)
            return &m->e[i]; /* sorted: the first match is the newest */
    return NULL;
}

/* Newest range tombstone covering k with seq <= snap: 1 and *seq, or 0. */
static int model_covering(const model *m, const void *k, size_t klen, uint64_t snap, uint64_t *seq)
{
    int found = 0;
    for (size_t i = 0; i < m->nt; i++) {
        const mtomb *t = &m->t[i];
        if (t->seq <= snap && kcmp(t->b, t->blen, k, klen) <= 0 &&
            kcmp(k, klen, t->e, t->elen) < 0 && (!found || t->seq > *seq)) {
            *seq = t->seq;
            found = 1;
        }
    }
    return found;
}

/* Is version e hidden at snap by a newer range tombstone? */
static int model_hidden(const model *m, const mentry *e, uint64_t snap)
{
    uint64_t t;
    return model_covering(m, e->key, e->klen, snap, &t) && t > e->seq;
}

static mtomb *model_find_tomb(model *m, const bytes *b, uint64_t seq)
{
    for (size_t i = 0; i < m->nt; i++)
        if (m->t[i].seq == seq && kcmp(m->t[i].b, m->t[i].blen, b->buf, b->len) == 0)
            return &m->t[i];
    return NULL;
}

static void model_add_tomb(model *m, const bytes *b, const bytes *e, uint64_t seq)
{
    if (m->nt == m->tcap) {
        m->tcap = m->tcap ? m->tcap * 2 : 16;
        m->t = realloc(m->t, m->tcap * sizeof(mtomb));
        REQUIRE(m->t != NULL, "out of memory");
    }
    mtomb *t = &m->t[m->nt++];
    memcpy(t->b, b->buf, b->len);
    t->blen = b->len;
    memcpy(t->e, e->buf, e->len);
    t->elen = e->len;
    t->seq = seq;
}

/* A get's expected answer: the newest version (want) unless a newer covering range
 * tombstone makes it LSMT_DELETED (*rt_seq set, want NULL). */
static const mentry *model_resolve(const model *m, const void *k, size_t klen, uint64_t snap,
                                   int *range_deleted, uint64_t *rt_seq)
{
    const mentry *want = model_get(m, k, klen, snap);
    uint64_t t;
    *range_deleted = model_covering(m, k, klen, snap, &t) && (want == NULL || t > want->seq);
    if (*range_deleted) {
        *rt_seq = t;
        return NULL;
    }
    return want;
}

static void check_get(lsmt_status st, const void *val, size_t vlen, const mentry *want,
                      const char *what)
{
    if (want == NULL) {
        if (st != LSMT_NOT_FOUND)
            fail(what, st, LSMT_NOT_FOUND);
    } else if (want->type == LSMT_TYPE_DELETE) {
        if (st != LSMT_DELETED)
            fail(what, st, LSMT_DELETED);
    } else {
        if (st != LSMT_OK)
            fail(what, st, LSMT_OK);
        REQUIRE(vlen == want->vlen && (vlen == 0 || memcmp(val, want->val, vlen) == 0),
                "get returned a wrong value");
    }
}

/* ---- operations -------------------------------------------------------------------- */
static lsmt_arena_pool *g_pool;
/* The memtable's protection_bytes_per_key: its checksum takes arena bytes beside the
 * value, so it counts in "could this ever fit". */
static unsigned g_prot;

/* Expected status of a write of `count` records at first_seq whose (key, seq) pairs
 * are `dup` (already present). FULL is always possible for a valid write. */
static void check_write(lsmt_status st, const model *m, uint64_t first, size_t count, int dup,
                        int too_big, const char *what)
{
    if (count > 0 && (first > LSMT_MAX_SEQUENCE || count - 1 > LSMT_MAX_SEQUENCE - first)) {
        if (st != LSMT_RANGE)
            fail(what, st, LSMT_RANGE);
    } else if (m->frozen && count > 0) {
        if (st != LSMT_FROZEN)
            fail(what, st, LSMT_FROZEN);
    } else if (count == 0) {
        if (st != LSMT_OK && st != LSMT_FROZEN)
            fail(what, st, LSMT_OK);
    } else if (too_big) {
        /* larger than the whole arena: could never fit, so INVALID, not FULL */
        if (st != LSMT_INVALID)
            fail(what, st, LSMT_INVALID);
    } else if (dup) {
        /* the node may be allocated before the duplicate is found: FULL is possible */
        if (st != LSMT_EXISTS && st != LSMT_FULL)
            fail(what, st, LSMT_EXISTS);
    } else if (st != LSMT_OK && st != LSMT_FULL) {
        fail(what, st, LSMT_OK);
    }
}

static void op_write(lsmt_memtable *mt, model *m, cursor *c, int type)
{
    bytes k, v;
    decode_key(c, &k);
    uint64_t seq = decode_seq(c);
    size_t vlen = 0;
    const void *val = type == LSMT_TYPE_PUT ? decode_value(c, &v, &vlen) : NULL;
    lsmt_status st = type == LSMT_TYPE_PUT ? lsmt_memtable_put(mt, seq, k.buf, k.len, val, vlen)
                                           : lsmt_memtable_delete(mt, seq, k.buf, k.len);
    check_write(st, m, seq, 1, seq <= LSMT_MAX_SEQUENCE && model_find(m, &k, seq) != NULL,
                lsmt_skiplist_node_min_bytes(k.len, vlen + g_prot) > ARENA_CAPACITY,
                type == LSMT_TYPE_PUT ? "put" : "delete");
    if (st == LSMT_OK)
        model_add(m, &k, seq, type, val, vlen);
}

static void op_batch(lsmt_memtable *mt, model *m, cursor *c)
{
    enum { MAXB = 6 };
    lsmt_write_batch *b = NULL;
    REQUIRE(lsmt_write_batch_create(&b) == LSMT_OK, "write_batch_create");
    size_t n = u8(c) % (MAXB + 1);
    bytes k[MAXB], v[MAXB];
    const void *vals[MAXB];
    size_t vlens[MAXB];
    int types[MAXB];
    bytes ends[MAXB]; /* range deletes: the end key */
    int bad_range = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t t = u8(c);
        types[i] = t & 1 ? LSMT_TYPE_PUT : (t & 0x40 ? RANGE_DEL : LSMT_TYPE_DELETE);
        decode_key(c, &k[i]);
        vals[i] = NULL;
        vlens[i] = 0;
        if (types[i] == LSMT_TYPE_PUT)
            vals[i] = decode_value(c, &v[i], &vlens[i]);
        if (types[i] == RANGE_DEL) {
            decode_key(c, &ends[i]);
            vlens[i] = ends[i].len; /* the node's value */
            bad_range |= kcmp(k[i].buf, k[i].len, ends[i].buf, ends[i].len) >= 0;
        }
        lsmt_status st =
            types[i] == LSMT_TYPE_PUT
                ? lsmt_write_batch_put(b, k[i].buf, k[i].len, vals[i], vlens[i])
            : types[i] == RANGE_DEL
                ? lsmt_write_batch_delete_range(b, k[i].buf, k[i].len, ends[i].buf, ends[i].len)
                : lsmt_write_batch_delete(b, k[i].buf, k[i].len);
        if (st != LSMT_OK)
            fail("write_batch_put/delete", st, LSMT_OK);
    }
    REQUIRE(lsmt_write_batch_count(b) == n, "write_batch_count");
    uint64_t first = decode_seq(c);
    int dup = 0;
    size_t min_total = 0;
    for (size_t i = 0; i < n && first <= LSMT_MAX_SEQUENCE - i; i++)
        dup |= types[i] == RANGE_DEL ? model_find_tomb(m, &k[i], first + i) != NULL
                                     : model_find(m, &k[i], first + i) != NULL;
    for (size_t i = 0; i < n; i++) /* each record's smallest node; no overflow at these sizes */
        min_total += lsmt_skiplist_node_min_bytes(k[i].len, vlens[i] + g_prot);
    lsmt_status st = lsmt_memtable_write(mt, first, b);
    if (bad_range && min_total <= ARENA_CAPACITY && !m->frozen && first <= LSMT_MAX_SEQUENCE &&
        n - 1 <= LSMT_MAX_SEQUENCE - first) {
        if (st != LSMT_INVALID) /* an empty or inverted range: nothing applied */
            fail("write(batch with an empty range)", st, LSMT_INVALID);
    } else {
        check_write(st, m, first, n, dup, min_total > ARENA_CAPACITY, "write(batch)");
    }
    if (st == LSMT_OK)
        for (size_t i = 0; i < n; i++) {
            if (types[i] == RANGE_DEL)
                model_add_tomb(m, &k[i], &ends[i], first + i);
            else
                model_add(m, &k[i], first + i, types[i], vals[i], vlens[i]);
        }
    if (u8(c) & 1) { /* reuse after clear: an empty batch */
        lsmt_write_batch_clear(b);
        REQUIRE(lsmt_write_batch_count(b) == 0, "write_batch_clear");
        st = lsmt_memtable_write(mt, first, b);
        check_write(st, m, first, 0, 0, 0, "write(empty batch)");
    }
    lsmt_write_batch_destroy(b);
}

static void op_get(lsmt_memtable *mt, model *m, cursor *c)
{
    bytes k;
    decode_key(c, &k);
    uint64_t snap = decode_seq(c);
    const void *val = (const void *)1;
    size_t vlen = 12345;
    uint64_t so = 777;
    lsmt_status st = lsmt_memtable_get(mt, k.buf, k.len, snap, &val, &vlen, &so);
    if (snap > LSMT_MAX_SEQUENCE) {
        if (st != LSMT_RANGE)
            fail("get(snapshot > max)", st, LSMT_RANGE);
        REQUIRE(val == (const void *)1 && vlen == 12345 && so == 777,
                "get wrote its out-params on failure");
        return;
    }
    int rdel;
    uint64_t rseq = 0;
    const mentry *want = model_resolve(m, k.buf, k.len, snap, &rdel, &rseq);
    if (rdel) {
        if (st != LSMT_DELETED)
            fail("get (range-deleted)", st, LSMT_DELETED);
        REQUIRE(so == rseq, "get: wrong seq_out for a range tombstone");
        return;
    }
    check_get(st, val, vlen, want, "get");
    if (want != NULL)
        REQUIRE(so == want->seq, "get: wrong seq_out");
    else
        REQUIRE(val == (const void *)1 && vlen == 12345 && so == 777,
                "get wrote its out-params on NOT_FOUND");
}

static void op_multi_get(lsmt_memtable *mt, model *m, cursor *c)
{
    enum { MAXK = 5 };
    size_t n = u8(c) % (MAXK + 1);
    bytes k[MAXK];
    const void *kp[MAXK];
    size_t kl[MAXK];
    for (size_t i = 0; i < n; i++) {
        decode_key(c, &k[i]);
        kp[i] = k[i].buf;
        kl[i] = k[i].len;
    }
    uint64_t snap = decode_seq(c);
    lsmt_status sts[MAXK];
    const void *vals[MAXK];
    size_t vlens[MAXK];
    lsmt_status st = lsmt_memtable_multi_get(mt, n, kp, kl, snap, sts, vals, vlens);
    if (snap > LSMT_MAX_SEQUENCE) {
        if (st != LSMT_RANGE)
            fail("multi_get(snapshot > max)", st, LSMT_RANGE);
        return;
    }
    if (st != LSMT_OK)
        fail("multi_get", st, LSMT_OK);
    for (size_t i = 0; i < n; i++) {
        int rdel;
        uint64_t rseq;
        const mentry *want = model_resolve(m, kp[i], kl[i], snap, &rdel, &rseq);
        if (rdel && sts[i] != LSMT_DELETED)
            fail("multi_get[i] (range-deleted)", sts[i], LSMT_DELETED);
        if (!rdel)
            check_get(sts[i], vals[i], vlens[i], want, "multi_get[i]");
    }
}

/* A range delete [b, e) at seq: the statuses in the order the header lists them. */
static void op_delete_range(lsmt_memtable *mt, model *m, cursor *c)
{
    bytes b, e;
    decode_key(c, &b);
    decode_key(c, &e);
    uint64_t seq = decode_seq(c);
    lsmt_status st = lsmt_memtable_delete_range(mt, seq, b.buf, b.len, e.buf, e.len);
    if (seq > LSMT_MAX_SEQUENCE) {
        if (st != LSMT_RANGE)
            fail("delete_range(seq > max)", st, LSMT_RANGE);
    } else if (kcmp(b.buf, b.len, e.buf, e.len) >= 0) {
        if (st != LSMT_INVALID)
            fail("delete_range(empty range)", st, LSMT_INVALID);
    } else {
        check_write(st, m, seq, 1, model_find_tomb(m, &b, seq) != NULL, 0, "delete_range");
    }
    if (st == LSMT_OK)
        model_add_tomb(m, &b, &e, seq);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The range-del iterators: RAW yields the model's tombstones in (begin asc, seq desc)
 * order; FRAGMENTED yields disjoint sorted fragments that cover every probe key (each
 * tombstone bound and each dictionary key) with exactly the model's seqs. */
static void op_range_iters(lsmt_memtable *mt, model *m)
{
    lsmt_range_del_iter *it = NULL;
    lsmt_status st = lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, &it);
    if (st != LSMT_OK)
        fail("range_del_iter_create(raw)", st, LSMT_OK);
    size_t n = 0;
    const void *pb = NULL;
    size_t pbl = 0;
    uint64_t pseq = 0;
    for (st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it), n++) {
        const void *b, *e;
        size_t bl, el;
        uint64_t seq;
        REQUIRE(lsmt_range_del_iter_entry(it, &b, &bl, &e, &el, &seq) == LSMT_OK, "rd entry");
        if (pb != NULL) {
            int cmp = kcmp(pb, pbl, b, bl);
            REQUIRE(cmp < 0 || (cmp == 0 && pseq > seq), "raw range dels out of order");
        }
        bytes kb;
        memcpy(kb.buf, b, bl);
        kb.len = bl;
        mtomb *t = model_find_tomb(m, &kb, seq);
        REQUIRE(t != NULL && kcmp(t->e, t->elen, e, el) == 0, "raw range del not in the model");
        pb = b;
        pbl = bl;
        pseq = seq;
    }
    if (st != LSMT_END)
        fail("range_del_iter_next(raw)", st, LSMT_END);
    REQUIRE(n == m->nt, "raw range-del iterator: wrong count");
    lsmt_range_del_iter_destroy(it);

    st = lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_FRAGMENTED, &it);
    if (st != LSMT_OK)
        fail("range_del_iter_create(fragmented)", st, LSMT_OK);
    size_t nprobe = 2 * m->nt + NDICT;
    bytes *probe = malloc(nprobe * sizeof *probe);
    uint64_t *got = malloc((nprobe * (m->nt + 1) + 1) * sizeof *got);
    size_t *ngot = calloc(nprobe, sizeof *ngot);
    REQUIRE(probe != NULL && got != NULL && ngot != NULL, "out of memory");
    for (size_t i = 0; i < m->nt; i++) {
        memcpy(probe[2 * i].buf, m->t[i].b, m->t[i].blen);
        probe[2 * i].len = m->t[i].blen;
        memcpy(probe[2 * i + 1].buf, m->t[i].e, m->t[i].elen);
        probe[2 * i + 1].len = m->t[i].elen;
    }
    for (size_t i = 0; i < NDICT; i++) {
        memcpy(probe[2 * m->nt + i].buf, key_dict[i].p, key_dict[i].n);
        probe[2 * m->nt + i].len = key_dict[i].n;
    }
    const void *pe = NULL;
    size_t pel = 0;
    for (st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it)) {
        const void *b, *e;
        size_t bl, el;
        uint64_t seq;
        REQUIRE(lsmt_range_del_iter_entry(it, &b, &bl, &e, &el, &seq) == LSMT_OK, "frag entry");
        REQUIRE(kcmp(b, bl, e, el) < 0, "empty fragment");
        REQUIRE(pe == NULL || kcmp(pe, pel, e, el) <= 0, "fragments out of order");
        for (size_t p = 0; p < nprobe; p++) {
            if (kcmp(b, bl, probe[p].buf, probe[p].len) <= 0 &&
                kcmp(probe[p].buf, probe[p].len, e, el) < 0) {
                REQUIRE(ngot[p] < m->nt, "a key covered by more fragments than tombstones");
                got[p * (m->nt + 1) + ngot[p]++] = seq;
            }
        }
        pe = e;
        pel = el;
    }
    lsmt_range_del_iter_destroy(it);
    uint64_t *want = malloc((m->nt + 1) * sizeof *want);
    REQUIRE(want != NULL, "out of memory");
    for (size_t p = 0; p < nprobe; p++) {
        size_t nw = 0;
        for (size_t i = 0; i < m->nt; i++) {
            const mtomb *t = &m->t[i];
            if (kcmp(t->b, t->blen, probe[p].buf, probe[p].len) <= 0 &&
                kcmp(probe[p].buf, probe[p].len, t->e, t->elen) < 0)
                want[nw++] = t->seq;
        }
        /* distinct seqs: tombstones with the same seq collapse into one fragment entry */
        qsort(want, nw, sizeof *want, u64_cmp);
        size_t u = 0;
        for (size_t i = 0; i < nw; i++)
            if (u == 0 || want[u - 1] != want[i])
                want[u++] = want[i];
        uint64_t *g = got + p * (m->nt + 1);
        qsort(g, ngot[p], sizeof *g, u64_cmp);
        REQUIRE(ngot[p] == u && (u == 0 || memcmp(g, want, u * sizeof *g) == 0),
                "fragments cover a key with the wrong seqs");
    }
    free(want);
    free(probe);
    free(got);
    free(ngot);
}

/* The iterator's expected sequence: indices into m->e. */
static size_t build_view(const model *m, int snapshot_kind, uint64_t snap, const bytes *lo,
                         const bytes *hi, size_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const mentry *e = &m->e[i];
        if (lo && kcmp(e->key, e->klen, lo->buf, lo->len) < 0)
            continue;
        if (hi && kcmp(e->key, e->klen, hi->buf, hi->len) >= 0)
            continue;
        if (snapshot_kind) {
            if (e->seq > snap)
                continue;
            /* the newest version <= snap of its key, and a put */
            const mentry *nw = model_get(m, e->key, e->klen, snap);
            if (nw != e || e->type != LSMT_TYPE_PUT || model_hidden(m, e, snap))
                continue;
        }
        out[n++] = i;
    }
    return n;
}

static void check_pos(lsmt_memtable_iter *it, const model *m, const size_t *view, long pos,
                      lsmt_status st, const char *what)
{
    int want_valid = pos >= 0;
    if (want_valid && st != LSMT_OK)
        fail(what, st, LSMT_OK);
    if (!want_valid && st != LSMT_END && st != LSMT_INVALID)
        fail(what, st, LSMT_END);
    REQUIRE(lsmt_memtable_iter_valid(it) == (bool)want_valid, "iter_valid disagrees");
    const void *k, *v;
    size_t kl, vl;
    uint64_t seq;
    lsmt_entry_type type;
    st = lsmt_memtable_iter_entry(it, &k, &kl, &seq, &type, &v, &vl);
    if (!want_valid) {
        if (st != LSMT_INVALID)
            fail("iter_entry on an invalid iterator", st, LSMT_INVALID);
        return;
    }
    if (st != LSMT_OK)
        fail("iter_entry", st, LSMT_OK);
    const mentry *e = &m->e[view[pos]];
    REQUIRE(kl == e->klen && (kl == 0 || memcmp(k, e->key, kl) == 0), "iterator: wrong key");
    REQUIRE(seq == e->seq, "iterator: wrong sequence number");
    REQUIRE((int)type == e->type, "iterator: wrong type");
    if (e->type == LSMT_TYPE_PUT)
        REQUIRE(vl == e->vlen && (vl == 0 || memcmp(v, e->val, vl) == 0), "iterator: wrong value");
    else
        REQUIRE(v == NULL && vl == 0, "iterator: tombstone with a value");
}

static void op_iter(lsmt_memtable *mt, model *m, cursor *c)
{
    uint8_t flags = u8(c);
    int snapshot_kind = flags & 1;
    bytes lo, hi;
    if (flags & 2)
        decode_key(c, &lo);
    if (flags & 4)
        decode_key(c, &hi);
    uint64_t snap = decode_seq(c);
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = snapshot_kind ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL;
    io.snapshot = snap;
    if (flags & 2) {
        io.lower_bound = lo.buf;
        io.lower_len = lo.len;
    }
    if (flags & 4) {
        io.upper_bound = hi.buf;
        io.upper_len = hi.len;
    }
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = lsmt_memtable_iter_create(mt, &io, &it);
    if (snap > LSMT_MAX_SEQUENCE) {
        if (st != LSMT_RANGE)
            fail("iter_create(snapshot > max)", st, LSMT_RANGE);
        return;
    }
    if (st != LSMT_OK)
        fail("iter_create", st, LSMT_OK);
    REQUIRE(!lsmt_memtable_iter_valid(it), "a new iterator is valid");
    size_t *view = malloc((m->n ? m->n : 1) * sizeof(size_t));
    REQUIRE(view != NULL, "out of memory");
    size_t n = build_view(m, snapshot_kind, snapshot_kind ? snap : LSMT_MAX_SEQUENCE,
                          flags & 2 ? &lo : NULL, flags & 4 ? &hi : NULL, view);
    long pos = -1;
    /* Reset must refuse while the iterator is open (nothing changes). */
    if (flags & 8) {
        st = lsmt_memtable_reset_all(mt);
        if (st != LSMT_BUSY)
            fail("reset_all with an open iterator", st, LSMT_BUSY);
    }
    for (int steps = u8(c) % 24; steps > 0; steps--) {
        uint8_t op = u8(c) % 6;
        bytes k;
        switch (op) {
        case 0:
            st = lsmt_memtable_iter_seek_to_first(it);
            pos = n ? 0 : -1;
            check_pos(it, m, view, pos, st, "seek_to_first");
            break;
        case 1:
            st = lsmt_memtable_iter_seek_to_last(it);
            pos = n ? (long)n - 1 : -1;
            check_pos(it, m, view, pos, st, "seek_to_last");
            break;
        case 2:
            decode_key(c, &k);
            st = lsmt_memtable_iter_seek(it, k.buf, k.len);
            pos = -1;
            for (size_t i = 0; i < n && pos < 0; i++)
                if (kcmp(m->e[view[i]].key, m->e[view[i]].klen, k.buf, k.len) >= 0)
                    pos = (long)i;
            check_pos(it, m, view, pos, st, "seek");
            break;
        case 3:
            decode_key(c, &k);
            st = lsmt_memtable_iter_seek_for_prev(it, k.buf, k.len);
            pos = -1;
            for (size_t i = n; i-- > 0 && pos < 0;)
                if (kcmp(m->e[view[i]].key, m->e[view[i]].klen, k.buf, k.len) <= 0)
                    pos = (long)i;
            check_pos(it, m, view, pos, st, "seek_for_prev");
            break;
        case 4:
            st = lsmt_memtable_iter_next(it);
            if (pos < 0) {
                if (st == LSMT_OK)
                    fail("next on an invalid iterator", st, LSMT_INVALID);
            } else {
                pos = pos + 1 < (long)n ? pos + 1 : -1;
            }
            check_pos(it, m, view, pos, st, "next");
            break;
        case 5:
            st = lsmt_memtable_iter_prev(it);
            if (pos < 0) {
                if (st == LSMT_OK)
                    fail("prev on an invalid iterator", st, LSMT_INVALID);
            } else {
                pos = pos - 1;
            }
            check_pos(it, m, view, pos, st, "prev");
            break;
        }
    }
    free(view);
    lsmt_memtable_iter_destroy(it);
}

static void check_stats(lsmt_memtable *mt, const model *m)
{
    lsmt_memtable_stats s;
    lsmt_status st = lsmt_memtable_stats_get(mt, &s);
    if (st != LSMT_OK)
        fail("stats_get", st, LSMT_OK);
    REQUIRE(s.entries == m->n, "stats: entries");
    REQUIRE(s.puts == m->puts && s.deletes == m->deletes, "stats: puts/deletes");
    REQUIRE(s.range_deletes == m->nt, "stats: range_deletes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cursor c = {data, size};
    if (g_pool == NULL) {
        lsmt_arena_pool_options po;
        lsmt_arena_pool_options_default(&po);
        po.arena.capacity = ARENA_CAPACITY;
        po.arena.chunk_size = 4096;
        po.arena.shard_count = 1;
        po.max_idle = 1;
        REQUIRE(lsmt_arena_pool_create(&po, &g_pool) == LSMT_OK, "arena_pool_create");
        for (size_t i = 0; i < sizeof(g_big); i++)
            g_big[i] = (uint8_t)(i * 7);
    }
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 128 << 10;
    o.pool = g_pool;
    static const unsigned prot_widths[8] = {0, 1, 2, 4, 8, 0, 0, 0};
    uint8_t opts = u8(&c);
    o.bloom_bits_per_key = opts & 1 ? 10 : 0;
    g_prot = prot_widths[(opts >> 1) & 7];
    o.protection_bytes_per_key = g_prot;
    o.paranoid_checks = (opts >> 4) & 1;
    /* the hash index, with its default size or one window (64 slots: most keys of a long
     * input are left out of it, and must still be found by a skip-list search) */
    o.hash_index = (opts & 0x20) != 0;
    o.hash_index_expected_keys = opts & 0x40 ? 16 : 0;
    lsmt_memtable *mt = NULL;
    lsmt_status st = lsmt_memtable_create(&o, &mt);
    if (st != LSMT_OK)
        fail("memtable_create", st, LSMT_OK);
    model m = {0};
    while (c.n > 0) {
        switch (u8(&c) % 18) {
        case 0:
        case 1:
        case 2:
            op_write(mt, &m, &c, LSMT_TYPE_PUT);
            break;
        case 3:
            op_write(mt, &m, &c, LSMT_TYPE_DELETE);
            break;
        case 4:
        case 5:
            op_get(mt, &m, &c);
            break;
        case 6:
            op_multi_get(mt, &m, &c);
            break;
        case 7:
            op_batch(mt, &m, &c);
            break;
        case 8:
        case 9:
            op_iter(mt, &m, &c);
            break;
        case 10:
            st = lsmt_memtable_freeze(mt);
            if (st != LSMT_OK)
                fail("freeze", st, LSMT_OK);
            REQUIRE(mt_is_frozen(mt), "is_frozen after freeze");
            m.frozen = 1;
            break;
        case 11:
            st = lsmt_memtable_reset_all(mt);
            if (st != LSMT_OK)
                fail("reset_all", st, LSMT_OK);
            model_clear(&m);
            REQUIRE(!mt_is_frozen(mt), "frozen after reset_all");
            REQUIRE(!lsmt_memtable_should_flush(mt), "should_flush after reset_all");
            break;
        case 12:
            check_stats(mt, &m);
            break;
        case 13:
            st = lsmt_memtable_validate(mt);
            if (st != LSMT_OK)
                fail("validate", st, LSMT_OK);
            break;
        case 14: {
            /* oversize and inconsistent arguments change nothing */
            bytes k;
            decode_key(&c, &k);
            st = lsmt_memtable_put(mt, 1, k.buf, LSMT_MEMTABLE_MAX_KEY_LEN + 1, g_big, 1);
            if (st != LSMT_INVALID)
                fail("put(oversize key)", st, LSMT_INVALID);
            st = lsmt_memtable_put(mt, 1, k.buf, k.len, g_big, LSMT_MEMTABLE_MAX_VALUE_LEN + 1);
            if (st != LSMT_INVALID)
                fail("put(oversize value)", st, LSMT_INVALID);
            st = lsmt_memtable_put(mt, 1, NULL, 3, g_big, 1);
            if (st != LSMT_INVALID)
                fail("put(NULL key, len 3)", st, LSMT_INVALID);
            st = lsmt_memtable_put(mt, 1, k.buf, k.len, NULL, 5);
            if (st != LSMT_INVALID)
                fail("put(NULL value, len 5)", st, LSMT_INVALID);
            st = lsmt_memtable_delete(mt, 1, NULL, 1);
            if (st != LSMT_INVALID)
                fail("delete(NULL key, len 1)", st, LSMT_INVALID);
            break;
        }
        case 16:
            op_delete_range(mt, &m, &c);
            break;
        case 17:
            op_range_iters(mt, &m);
            break;
        case 15: {
            /* should_flush: monotonic until reset_all (invariant 5) */
            bool sf = lsmt_memtable_should_flush(mt);
            REQUIRE(!(m.flushed && !sf), "should_flush went back to false");
            m.flushed |= sf;
            REQUIRE(lsmt_memtable_approximate_memory_usage(mt) > 0 || m.n == 0,
                    "memory usage 0 with entries");
            break;
        }
        }
    }
    if (!m.frozen) /* validate REQUIRES no write in flight: none here */
        REQUIRE(lsmt_memtable_validate(mt) == LSMT_OK, "validate at the end");
    check_stats(mt, &m);
    model_clear(&m);
    free(m.e);
    free(m.t);
    lsmt_memtable_destroy(mt);
    return 0;
}
