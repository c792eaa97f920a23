/* Check suite for lsmt_skiplist (single-threaded): a model-based test against a sorted
 * array over thousands of random operation sequences (each seed is printed on failure),
 * plus lifecycle, edge cases (empty, very long keys, many versions of one key, height
 * limits, custom comparators), arena exhaustion, reset/reuse, the hint and two-phase
 * insert paths, and bad input for every public function.
 *
 * LSMT_TEST_SEQUENCES (env) overrides the number of random sequences. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#include "lsmt/skiplist.h"
#include "skiplist/finger.h" /* the hint's private layout and where a search starts */
#include "skiplist_entry.h"

/* ---- helpers ------------------------------------------------------------------------ */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    return (size_t)strtoull(v, NULL, 10);
}

static lsmt_sharded_arena *make_arena(size_t capacity, size_t chunk, size_t shards)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = capacity;
    ao.chunk_size = chunk;
    ao.shard_count = shards;
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&ao, &a), LSMT_OK);
    return a;
}

static lsmt_skiplist *make_list_fmt(lsmt_sharded_arena *a, lsmt_compare_fn cmp, void *ctx,
                                    unsigned mh, size_t finger_bytes, lsmt_skiplist_format fmt)
{
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.format = fmt;
    o.arena = a;
    o.compare = cmp;
    o.compare_ctx = ctx;
    o.max_height = mh;
    o.finger_bytes = finger_bytes;
    lsmt_skiplist *sl = NULL;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_OK);
    ck_assert_ptr_nonnull(sl);
    return sl;
}

static lsmt_skiplist *make_list_ex(lsmt_sharded_arena *a, lsmt_compare_fn cmp, void *ctx,
                                   unsigned mh, size_t finger_bytes)
{
    return make_list_fmt(a, cmp, ctx, mh, finger_bytes, LSMT_SKIPLIST_FORMAT_KV);
}

static lsmt_skiplist *make_list(lsmt_sharded_arena *a, lsmt_compare_fn cmp, void *ctx, unsigned mh)
{
    return make_list_ex(a, cmp, ctx, mh, 0);
}

static int g_reverse_ctx; /* its address is the reverse comparator's expected ctx */
static int g_ctx_mismatch;

static int reverse_compare(void *ctx, const void *a, size_t alen, const void *b, size_t blen)
{
    if (ctx != &g_reverse_ctx)
        g_ctx_mismatch = 1;
    return -lsmt_bytewise_compare(NULL, a, alen, b, blen);
}

/* Bytewise order through the generic (non-prefix) comparator path. */
static int wrapped_bytewise(void *ctx, const void *a, size_t alen, const void *b, size_t blen)
{
    return lsmt_bytewise_compare(ctx, a, alen, b, blen);
}

/* ---- the model: a sorted array of entries -------------------------------------------- */

typedef struct ent {
    unsigned char *key;
    size_t klen;
    uint64_t ver;
    unsigned char *val;
    size_t vlen;
} ent;

typedef struct model {
    ent *e;
    size_t n, cap;
    lsmt_compare_fn cmp;
    void *ctx;
} model;

static unsigned g_shift; /* ENCODED_SEQ: 8, versions order (and search) by their upper bits */
/* The version the list orders (and a search passes) for a model version. */
#define SV(v) ((v) >> g_shift)

static int model_cmp(const model *m, const unsigned char *a, size_t alen, uint64_t av,
                     const unsigned char *b, size_t blen, uint64_t bv)
{
    int c = m->cmp(m->ctx, a, alen, b, blen);
    if (c != 0)
        return c < 0 ? -1 : 1;
    av = SV(av);
    bv = SV(bv);
    return (av < bv) - (av > bv); /* versions descend */
}

/* index of the first entry >= (k, v) */
static size_t model_lower(const model *m, const unsigned char *k, size_t klen, uint64_t v)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (model_cmp(m, m->e[mid].key, m->e[mid].klen, m->e[mid].ver, k, klen, v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool model_has(const model *m, const unsigned char *k, size_t klen, uint64_t v)
{
    size_t i = model_lower(m, k, klen, v);
    return i < m->n && model_cmp(m, m->e[i].key, m->e[i].klen, m->e[i].ver, k, klen, v) == 0;
}

static void model_add(model *m, const unsigned char *k, size_t klen, uint64_t v,
                      const unsigned char *val, size_t vlen)
{
    size_t i = model_lower(m, k, klen, v);
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
        ck_assert_ptr_nonnull(m->e);
    }
    memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof *m->e);
    ent *x = &m->e[i];
    x->key = malloc(klen ? klen : 1);
    ck_assert_ptr_nonnull(x->key);
    if (klen)
        memcpy(x->key, k, klen);
    x->klen = klen;
    x->ver = v;
    x->val = malloc(vlen ? vlen : 1);
    ck_assert_ptr_nonnull(x->val);
    if (vlen)
        memcpy(x->val, val, vlen);
    x->vlen = vlen;
    m->n++;
}

static void model_clear(model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].key);
        free(m->e[i].val);
    }
    m->n = 0;
}

/* ---- random sequences ---------------------------------------------------------------- */

static uint64_t g_seed; /* the sequence being run, printed by every failed check */
static bool g_enc;      /* the list under test is LSMT_SKIPLIST_FORMAT_ENCODED(_SEQ) */
static int g_op;
/* Calls into Check only on failure: every ck_assert records its location through a
 * write(2), which would dominate the run time of the hot model loop. */
#define MCHECK(cond)                                                                            \
    do {                                                                                        \
        if (!(cond))                                                                            \
            ck_abort_msg("seed %llu op %d: check failed: %s", (unsigned long long)g_seed, g_op, \
                         #cond);                                                                \
    } while (0)

static unsigned char g_keybuf[4096];

/* Keys from a tiny alphabet, so prefixes, lengths and versions tie often. */
static size_t rand_key(uint64_t *s, unsigned char *out)
{
    static const unsigned char alpha[4] = {0x00, 0x01, 'a', 0xff};
    uint64_t r = splitmix(s);
    size_t len;
    switch (r % 20) {
    case 0:
        len = 0;
        break;
    case 1:
        len = 200 + (size_t)(splitmix(s) % 3000); /* long keys */
        break;
    case 2:
    case 3: {
        /* a shared stem of 8 or 16 bytes (a common leading field) and a short tail */
        size_t stem = (r & 256) ? 16 : 8;
        len = stem + (size_t)(splitmix(s) % 6);
        for (size_t i = stem; i < len; i++)
            out[i] = alpha[splitmix(s) & 3];
        memset(out, 'k', stem);
        return len;
    }
    default:
        len = (size_t)(splitmix(s) % 14);
        break;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = alpha[splitmix(s) & 3];
    /* long keys: mostly one shared prefix so comparisons run deep */
    if (len >= 200 && (r & 64))
        memset(out, 'a', len - 4);
    return len;
}

/* A version a node can store: 0..LSMT_SKIPLIST_MAX_VERSION, edges often; an ENCODED
 * list stores all 64 bits, so there the upper edge and above it too. */
static uint64_t rand_version(uint64_t *s)
{
    static const uint64_t v[8] = {0,
                                  1,
                                  7,
                                  LSMT_SKIPLIST_MAX_VERSION,
                                  LSMT_SKIPLIST_MAX_VERSION - 1,
                                  LSMT_SKIPLIST_MAX_VERSION + 1,
                                  UINT64_MAX,
                                  UINT64_MAX - 1};
    uint64_t r = splitmix(s);
    if (g_enc)
        return (r & 15) < 8 ? v[r & 7] : splitmix(s);
    return (r & 7) < 5 ? v[r & 7] : splitmix(s) & LSMT_SKIPLIST_MAX_VERSION;
}

/* The LevelDB/RocksDB entry of (k, v, val) into out (LSMT_SKIPLIST_FORMAT_ENCODED). */
static size_t put_varint32(unsigned char *p, uint32_t x)
{
    size_t i = 0;
    while (x >= 0x80) {
        p[i++] = (unsigned char)(x | 0x80);
        x >>= 7;
    }
    p[i++] = (unsigned char)x;
    return i;
}
static size_t encode_entry(unsigned char *out, const unsigned char *k, size_t klen, uint64_t v,
                           const unsigned char *val, size_t vlen)
{
    size_t n = put_varint32(out, (uint32_t)(klen + 8));
    memcpy(out + n, k, klen);
    n += klen;
    for (int i = 0; i < 8; i++)
        out[n++] = (unsigned char)(v >> (8 * i)); /* little-endian */
    n += put_varint32(out + n, (uint32_t)vlen);
    memcpy(out + n, val, vlen);
    return n + vlen;
}

/* Insert (k, v, val) into an ENCODED list: entry_alloc, write, node_insert. */
static lsmt_status insert_encoded(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                  const unsigned char *k, size_t klen, uint64_t v,
                                  const unsigned char *val, size_t vlen)
{
    static unsigned char buf[8192];
    size_t n = encode_entry(buf, k, klen, v, val, vlen);
    lsmt_skiplist_node *node = NULL;
    void *b = NULL;
    lsmt_status st = lsmt_skiplist_entry_alloc(sl, n, &node, &b);
    if (st != LSMT_OK)
        return st;
    memcpy(b, buf, n);
    return lsmt_skiplist_node_insert(sl, hint, node);
}

/* A version to search for: any 64-bit number, so sometimes one above every stored one. */
static uint64_t rand_search_version(uint64_t *s)
{
    uint64_t r = splitmix(s);
    if ((r & 7) == 0)
        return UINT64_MAX;
    if ((r & 7) == 1)
        return LSMT_SKIPLIST_MAX_VERSION + 1 + (r >> 48);
    return rand_version(s);
}

static void value_for(const unsigned char *k, size_t klen, uint64_t v, unsigned char *out,
                      size_t *vlen)
{
    uint64_t h = v * 31 + klen;
    for (size_t i = 0; i < klen; i++)
        h = h * 131 + k[i];
    /* short values, and a quarter around the 254/255-byte edge of the short length */
    *vlen = (h >> 60) < 4 ? (size_t)(240 + h % 60) : (size_t)(h % 24);
    for (size_t i = 0; i < *vlen; i++)
        out[i] = (unsigned char)(h >> (i % 8));
}

static void check_node_is(const model *m, const lsmt_skiplist_node *n, size_t idx)
{
    MCHECK(n != NULL && idx < m->n);
    const ent *x = &m->e[idx];
    size_t kl = 0, vl = 0;
    const void *k = sl_key(n, &kl);
    const void *v = sl_value(n, &vl);
    MCHECK(kl == x->klen && (kl == 0 || memcmp(k, x->key, kl) == 0));
    MCHECK(sl_version(n) == x->ver);
    MCHECK(vl == x->vlen && (vl == 0 || memcmp(v, x->val, vl) == 0));
}

/* lsmt_skiplist_seek_batch over 1..70 keys (more than the interleaved ways, so ways are
 * refilled), present keys and random ones mixed, repeats allowed: every result is the model's lower
 * bound, as a single seek's would be. */
#define SEEK_BATCH_MAX 70
static unsigned char g_batchbuf[SEEK_BATCH_MAX][4096];
static void check_seek_batch(const model *m, const lsmt_skiplist *sl, uint64_t *s)
{
    const void *keys[SEEK_BATCH_MAX];
    size_t klens[SEEK_BATCH_MAX];
    const lsmt_skiplist_node *out[SEEK_BATCH_MAX];
    uint64_t vers[SEEK_BATCH_MAX];
    size_t nb = 1 + splitmix(s) % SEEK_BATCH_MAX;
    for (size_t b = 0; b < nb; b++) {
        keys[b] = g_batchbuf[b];
        if (m->n && (splitmix(s) & 1)) {
            const ent *x = &m->e[splitmix(s) % m->n];
            klens[b] = x->klen;
            memcpy(g_batchbuf[b], x->key, x->klen);
            vers[b] = (splitmix(s) & 1) ? x->ver : rand_search_version(s);
        } else if (b > 0 && splitmix(s) % 4 == 0) {
            klens[b] = klens[b - 1]; /* a repeat */
            memcpy(g_batchbuf[b], g_batchbuf[b - 1], klens[b]);
            vers[b] = vers[b - 1];
        } else {
            klens[b] = rand_key(s, g_batchbuf[b]);
            vers[b] = rand_version(s);
        }
        out[b] = (const lsmt_skiplist_node *)&out; /* must be overwritten */
    }
    uint64_t svers[SEEK_BATCH_MAX];
    for (size_t b = 0; b < nb; b++)
        svers[b] = SV(vers[b]);
    MCHECK(lsmt_skiplist_seek_batch(sl, nb, keys, klens, svers, out) == LSMT_OK);
    for (size_t b = 0; b < nb; b++) {
        size_t lo = model_lower(m, g_batchbuf[b], klens[b], vers[b]);
        if (lo == m->n)
            MCHECK(out[b] == NULL);
        else
            check_node_is(m, out[b], lo);
    }
}

/* The iterator stands on model index idx (idx == n: at END). Take a few random steps. */
static void walk_from(const model *m, lsmt_skiplist_iter *it, lsmt_status st, size_t idx,
                      uint64_t *s)
{
    for (int turn = 0; turn < 4; turn++) {
        if (idx >= m->n) {
            MCHECK(st == LSMT_END && !sl_iter_valid(it));
            MCHECK(lsmt_skiplist_iter_node(it) == NULL);
            MCHECK(lsmt_skiplist_iter_next(it) == LSMT_INVALID);
            MCHECK(lsmt_skiplist_iter_prev(it) == LSMT_INVALID);
            return;
        }
        MCHECK(st == LSMT_OK && sl_iter_valid(it));
        check_node_is(m, lsmt_skiplist_iter_node(it), idx);
        if (splitmix(s) & 1) {
            st = lsmt_skiplist_iter_next(it);
            idx++;
        } else {
            st = lsmt_skiplist_iter_prev(it);
            idx = idx == 0 ? m->n : idx - 1;
        }
    }
}

enum { PATH_INSERT, PATH_SERIAL, PATH_HINT, PATH_TWO_PHASE, PATH_COUNT };

static void run_sequence(lsmt_skiplist *sl, model *m, uint64_t seed, int nops)
{
    uint64_t s = seed;
    g_seed = seed;
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    unsigned char val[300];
    for (g_op = 0; g_op < nops; g_op++) {
        uint64_t r = splitmix(&s) % 100;
        size_t klen;
        uint64_t ver;
        if (r < 45) {
            /* insert: half the time an existing key with a new or the same version */
            if (m->n && (splitmix(&s) & 1)) {
                const ent *x = &m->e[splitmix(&s) % m->n];
                klen = x->klen;
                memcpy(g_keybuf, x->key, klen);
                ver = (splitmix(&s) & 1) ? x->ver : rand_version(&s);
            } else {
                klen = rand_key(&s, g_keybuf);
                ver = rand_version(&s);
            }
            size_t vlen;
            value_for(g_keybuf, klen, ver, val, &vlen);
            if (g_enc && splitmix(&s) % 32 == 0) {
                /* the KV calls refuse an ENCODED list: nothing inserted */
                lsmt_skiplist_node *n = NULL;
                void *kb = NULL, *vb = NULL;
                MCHECK(lsmt_skiplist_insert(sl, NULL, g_keybuf, klen, 0, val, vlen) ==
                       LSMT_INVALID);
                MCHECK(lsmt_skiplist_insert_serial(sl, g_keybuf, klen, 0, val, vlen) ==
                       LSMT_INVALID);
                MCHECK(lsmt_skiplist_node_alloc(sl, klen, 0, vlen, 0, &n, &kb, &vb) ==
                           LSMT_INVALID &&
                       n == NULL);
                continue;
            }
            if (!g_enc && splitmix(&s) % 32 == 0) {
                /* a version a node cannot store: refused, nothing inserted */
                uint64_t big = LSMT_SKIPLIST_MAX_VERSION + 1 + (splitmix(&s) >> 40);
                lsmt_skiplist_node *n = NULL;
                void *kb = NULL, *vb = NULL;
                MCHECK(lsmt_skiplist_insert(sl, NULL, g_keybuf, klen, big, val, vlen) ==
                       LSMT_RANGE);
                MCHECK(lsmt_skiplist_insert(sl, &hint, g_keybuf, klen, big, val, vlen) ==
                       LSMT_RANGE);
                MCHECK(lsmt_skiplist_node_alloc(sl, klen, big, vlen, 0, &n, &kb, &vb) ==
                           LSMT_RANGE &&
                       n == NULL);
                MCHECK(lsmt_skiplist_find(sl, g_keybuf, klen, big) == NULL);
                continue;
            }
            bool had = model_has(m, g_keybuf, klen, ver);
            lsmt_status st;
            if (g_enc) {
                st = insert_encoded(sl, (splitmix(&s) & 1) ? &hint : NULL, g_keybuf, klen, ver, val,
                                    vlen);
                MCHECK(st == (had ? LSMT_EXISTS : LSMT_OK));
                if (!had)
                    model_add(m, g_keybuf, klen, ver, val, vlen);
                continue;
            }
            switch (splitmix(&s) % PATH_COUNT) {
            case PATH_INSERT:
                st = lsmt_skiplist_insert(sl, NULL, g_keybuf, klen, ver, val, vlen);
                break;
            case PATH_SERIAL:
                st = lsmt_skiplist_insert_serial(sl, g_keybuf, klen, ver, val, vlen);
                break;
            case PATH_HINT:
                st = lsmt_skiplist_insert(sl, &hint, g_keybuf, klen, ver, val, vlen);
                break;
            default: {
                lsmt_skiplist_node *n = NULL;
                void *kb = NULL, *vb = NULL;
                st = lsmt_skiplist_node_alloc(sl, klen, ver, vlen, 0, &n, &kb, &vb);
                MCHECK(st == LSMT_OK && n && kb && vb);
                memcpy(kb, g_keybuf, klen);
                memcpy(vb, val, vlen);
                st = lsmt_skiplist_node_insert(sl, (splitmix(&s) & 1) ? &hint : NULL, n);
                break;
            }
            }
            MCHECK(st == (had ? LSMT_EXISTS : LSMT_OK));
            if (!had)
                model_add(m, g_keybuf, klen, ver, val, vlen);
        } else if (r < 60) {
            /* find / contains: present or absent */
            if (m->n && (splitmix(&s) & 1)) {
                const ent *x = &m->e[splitmix(&s) % m->n];
                klen = x->klen;
                memcpy(g_keybuf, x->key, klen);
                ver = x->ver;
            } else {
                klen = rand_key(&s, g_keybuf);
                ver = rand_search_version(&s);
            }
            if (splitmix(&s) % 8 == 0) {
                check_seek_batch(m, sl, &s);
                continue;
            }
            size_t i = model_lower(m, g_keybuf, klen, ver);
            bool has = model_has(m, g_keybuf, klen, ver);
            const lsmt_skiplist_node *n = lsmt_skiplist_find(sl, g_keybuf, klen, SV(ver));
            MCHECK((n != NULL) == has);
            MCHECK(sl_contains(sl, g_keybuf, klen, SV(ver)) == has);
            if (has)
                check_node_is(m, n, i);
        } else if (r < 90) {
            /* seek / seek_for_prev at or between keys, then a few steps */
            if (m->n && (splitmix(&s) & 1)) {
                const ent *x = &m->e[splitmix(&s) % m->n];
                klen = x->klen;
                memcpy(g_keybuf, x->key, klen);
                ver = (splitmix(&s) & 1) ? x->ver : rand_search_version(&s);
            } else {
                klen = rand_key(&s, g_keybuf);
                ver = rand_search_version(&s);
            }
            lsmt_skiplist_iter it;
            MCHECK(lsmt_skiplist_iter_init(&it, sl) == LSMT_OK);
            MCHECK(!sl_iter_valid(&it));
            size_t lo = model_lower(m, g_keybuf, klen, ver);
            if (r < 75) {
                lsmt_status st = lsmt_skiplist_iter_seek(&it, g_keybuf, klen, SV(ver));
                walk_from(m, &it, st, lo, &s);
            } else {
                bool has = model_has(m, g_keybuf, klen, ver);
                size_t idx = has ? lo : (lo == 0 ? m->n : lo - 1);
                lsmt_status st = lsmt_skiplist_iter_seek_for_prev(&it, g_keybuf, klen, SV(ver));
                walk_from(m, &it, st, idx, &s);
            }
        } else if (r < 97) {
            lsmt_skiplist_iter it;
            MCHECK(lsmt_skiplist_iter_init(&it, sl) == LSMT_OK);
            if (splitmix(&s) & 1) {
                lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it);
                walk_from(m, &it, st, 0, &s);
            } else {
                lsmt_status st = lsmt_skiplist_iter_seek_to_last(&it);
                walk_from(m, &it, st, m->n ? m->n - 1 : 0, &s);
            }
        } else {
            size_t cnt = 0;
            MCHECK(lsmt_skiplist_validate(sl, &cnt) == LSMT_OK);
            MCHECK(cnt == m->n);
        }
    }
    /* final: validate, full forward and backward scans agree with the model */
    size_t cnt = 0;
    MCHECK(lsmt_skiplist_validate(sl, &cnt) == LSMT_OK);
    MCHECK(cnt == m->n);
    lsmt_skiplist_iter it;
    MCHECK(lsmt_skiplist_iter_init(&it, sl) == LSMT_OK);
    size_t i = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it))
        check_node_is(m, lsmt_skiplist_iter_node(&it), i++);
    MCHECK(i == m->n);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_last(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_prev(&it))
        check_node_is(m, lsmt_skiplist_iter_node(&it), --i);
    MCHECK(i == 0);
}

/* mode: 0 default (NULL), 1 lsmt_bytewise_compare, 2 reverse, 3 wrapped bytewise; each
 * with `fmt`, the node format */
static void model_sweep_fmt(int mode, size_t sequences, int nops, lsmt_skiplist_format fmt)
{
    static const lsmt_compare_fn fns[4] = {NULL, lsmt_bytewise_compare, reverse_compare,
                                           wrapped_bytewise};
    model m = {0};
    m.cmp = fns[mode] ? fns[mode] : lsmt_bytewise_compare;
    m.ctx = mode == 2 ? &g_reverse_ctx : NULL;
    g_enc = fmt != LSMT_SKIPLIST_FORMAT_KV;
    g_shift = fmt == LSMT_SKIPLIST_FORMAT_ENCODED_SEQ ? 8 : 0;
    g_ctx_mismatch = 0;
    lsmt_sharded_arena *a = NULL;
    lsmt_skiplist *sl = NULL;
    for (size_t q = 0; q < sequences; q++) {
        if (q % 64 == 0) {
            /* a fresh arena and list now and then; reset/reuse otherwise */
            lsmt_skiplist_destroy(sl);
            lsmt_sharded_arena_destroy(a);
            a = make_arena((size_t)8 << 20, (size_t)64 << 10, 2);
            /* finger tables: the default, a fine one (a range per 64 arena bytes, so
             * most ranges are empty and searches fall back), or none */
            static const size_t fbs[3] = {0, 64, SIZE_MAX};
            sl = make_list_fmt(a, fns[mode], m.ctx, (q / 64) % 3 == 2 ? 3 : 0,
                               fbs[(q / 64 / 3) % 3], fmt);
        } else {
            ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
            ck_assert_int_eq(lsmt_skiplist_reset(sl), LSMT_OK);
            ck_assert_uint_eq(sl_stats(sl).height, 1);
        }
        model_clear(&m);
        run_sequence(sl, &m, 0x5EED0000ull + (uint64_t)mode * 1000003ull + q, nops);
    }
    ck_assert_int_eq(g_ctx_mismatch, 0);
    model_clear(&m);
    free(m.e);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
    g_enc = false;
    g_shift = 0;
}

static void model_sweep(int mode, size_t sequences, int nops)
{
    model_sweep_fmt(mode, sequences, nops, LSMT_SKIPLIST_FORMAT_KV);
}

#if defined(__SANITIZE_ADDRESS__) || defined(LSMT_TSAN)
#define DEFAULT_SEQUENCES 500 /* sanitizers run ~10x slower: same shape, fewer seeds */
#else
#define DEFAULT_SEQUENCES 2000
#endif
static size_t sequences(void)
{
    return env_size("LSMT_TEST_SEQUENCES", DEFAULT_SEQUENCES);
}

START_TEST(model_default)
{
    model_sweep(0, sequences(), 160);
}
END_TEST
START_TEST(model_bytewise_explicit)
{
    model_sweep(1, sequences() / 2, 160);
}
END_TEST
START_TEST(model_reverse)
{
    model_sweep(2, sequences() / 2, 160);
}
END_TEST
START_TEST(model_generic_bytewise)
{
    model_sweep(3, sequences() / 2, 160);
}
END_TEST
/* ENCODED nodes (the LevelDB/RocksDB entry, 64-bit versions), bytewise and reversed. */
START_TEST(model_encoded)
{
    model_sweep_fmt(0, sequences() / 2, 160, LSMT_SKIPLIST_FORMAT_ENCODED);
}
END_TEST
/* ENCODED_SEQ: ordered and deduplicated by the version's upper 56 bits (RocksDB's rule). */
START_TEST(model_encoded_seq)
{
    model_sweep_fmt(0, sequences() / 2, 160, LSMT_SKIPLIST_FORMAT_ENCODED_SEQ);
}
END_TEST
START_TEST(model_encoded_reverse)
{
    model_sweep_fmt(2, sequences() / 4, 160, LSMT_SKIPLIST_FORMAT_ENCODED);
}
END_TEST
/* Fewer, longer sequences: taller lists. */
START_TEST(model_long_sequences)
{
    model_sweep(0, sequences() / 50 + 1, 3000);
}
END_TEST

/* ---- lifecycle and bad input --------------------------------------------------------- */

START_TEST(lifecycle)
{
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    ck_assert_ptr_null(o.arena);
    ck_assert(o.compare == NULL);
    ck_assert_uint_eq(o.max_height, 0);
    lsmt_skiplist_options_default(NULL); /* ignored */

    lsmt_sharded_arena *a = make_arena((size_t)1 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    ck_assert_uint_eq(sl_stats(sl).height, 1);
    size_t cnt = 99;
    ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
    ck_assert_uint_eq(cnt, 0);
    ck_assert_ptr_null(lsmt_skiplist_find(sl, "a", 1, 0));
    lsmt_skiplist_iter it;
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, sl), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_last(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, "a", 1, 0), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, "a", 1, 0), LSMT_END);
    ck_assert(!sl_iter_valid(&it));
    lsmt_skiplist_destroy(sl);
    lsmt_skiplist_destroy(NULL);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* The finger table's size follows finger_bytes; no table for custom comparators or
 * SIZE_MAX; and lists with and without one agree (the model sweep runs all three). */
START_TEST(finger_table_size)
{
    const size_t cap = (size_t)8 << 20;
    lsmt_sharded_arena *a = make_arena(cap, (size_t)64 << 10, 1);
    lsmt_skiplist *off = make_list_ex(a, NULL, NULL, 0, SIZE_MAX);
    lsmt_skiplist *def = make_list_ex(a, NULL, NULL, 0, 0);
    lsmt_skiplist *fine = make_list_ex(a, lsmt_bytewise_compare, NULL, 0, 64);
    lsmt_skiplist *one = make_list_ex(a, NULL, NULL, 0, cap * 2);
    lsmt_skiplist *rev = make_list_ex(a, reverse_compare, &g_reverse_ctx, 0, 64);
    size_t base = sl_stats(off).memory_bytes;
    ck_assert_uint_gt(base, 0);
    /* a table: 4 bytes an entry, plus its learned ranges (a fixed size) */
    ck_assert_uint_eq(sl_stats(one).finger_entries, 1);
    ck_assert_uint_gt(sl_stats(one).memory_bytes, base + 4);
    size_t ranges = sl_stats(one).memory_bytes - base - 4;
    ck_assert_uint_eq(sl_stats(def).finger_entries, cap / LSMT_SKIPLIST_FINGER_BYTES_DEFAULT);
    ck_assert_uint_eq(sl_stats(def).memory_bytes,
                      base + ranges + 4 * (cap / LSMT_SKIPLIST_FINGER_BYTES_DEFAULT));
    ck_assert_uint_eq(sl_stats(fine).memory_bytes, base + ranges + 4 * (cap / 64));
    ck_assert_uint_eq(sl_stats(rev).memory_bytes, base); /* custom order: none */
    ck_assert_uint_eq(sl_stats(rev).finger_entries, 0);
    ck_assert_uint_eq(sl_stats(NULL).memory_bytes, 0);
    lsmt_skiplist_destroy(rev);
    lsmt_skiplist_destroy(one);
    lsmt_skiplist_destroy(fine);
    lsmt_skiplist_destroy(def);
    lsmt_skiplist_destroy(off);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

START_TEST(bad_input)
{
    lsmt_sharded_arena *a = make_arena((size_t)1 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    lsmt_skiplist *sl = (lsmt_skiplist *)&o; /* sentinel: must stay untouched */
    ck_assert_int_eq(lsmt_skiplist_create(NULL, &sl), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID); /* no arena */
    ck_assert_ptr_eq(sl, (lsmt_skiplist *)&o);
    o.arena = a;
    ck_assert_int_eq(lsmt_skiplist_create(&o, NULL), LSMT_INVALID);
    o.max_height = LSMT_SKIPLIST_MAX_HEIGHT + 1;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID);
    ck_assert_ptr_eq(sl, (lsmt_skiplist *)&o);
    o.max_height = LSMT_SKIPLIST_MAX_HEIGHT;
    sl = NULL;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_OK);

    ck_assert_int_eq(lsmt_skiplist_reset(NULL), LSMT_INVALID);
    ck_assert_uint_eq(sl_stats(NULL).height, 0);
    ck_assert_int_eq(lsmt_skiplist_validate(NULL, NULL), LSMT_INVALID);

    /* insert family: NULL list, NULL key/value with length, oversize key/value */
    const size_t big_k = LSMT_SKIPLIST_MAX_KEY_LEN + 1, big_v = LSMT_SKIPLIST_MAX_VALUE_LEN + 1;
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    lsmt_skiplist_hint_init(NULL);
    ck_assert_int_eq(lsmt_skiplist_insert(NULL, NULL, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, NULL, 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", big_k, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, "v", big_v), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, "v", SIZE_MAX), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(NULL, "k", 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, NULL, 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, "k", big_k, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(NULL, &hint, "k", 1, 0, "v", 1), LSMT_INVALID);
    /* a NULL hint is the thread's own splice (insert_hint's NULL-hint refusal went when
     * insert and insert_hint became one call) */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "k", 1, 0, "v", 1), LSMT_OK);
    ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, "k", 1, 0));
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &hint, NULL, 1, 0, "v", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, &hint, "k", 1, 0, "v", big_v), LSMT_INVALID);
    /* NULL with zero length is fine: the empty key / empty value */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, NULL, 0, 0, NULL, 0), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, NULL, 0, 0, NULL, 0), LSMT_EXISTS);

    lsmt_skiplist_node *n = (lsmt_skiplist_node *)&o;
    void *kb = &o, *vb = &o;
    ck_assert_int_eq(lsmt_skiplist_node_alloc(NULL, 1, 0, 1, 0, &n, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 0, NULL, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 0, &n, NULL, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, 1, 0, &n, &kb, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, big_k, 0, 1, 0, &n, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 1, 0, big_v, 0, &n, &kb, &vb), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, SIZE_MAX, 0, SIZE_MAX, 0, &n, &kb, &vb),
                     LSMT_INVALID);
    ck_assert_ptr_eq(n, (lsmt_skiplist_node *)&o); /* untouched on failure */
    ck_assert_ptr_eq(kb, &o);
    ck_assert_int_eq(lsmt_skiplist_node_insert(NULL, NULL, n), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, NULL), LSMT_INVALID);
    /* a pointer outside the arena is refused */
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, (lsmt_skiplist_node *)&o), LSMT_INVALID);
    /* a node inserted twice: the second time it is its own duplicate */
    ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 2, 5, 3, 0, &n, &kb, &vb), LSMT_OK);
    memcpy(kb, "kk", 2);
    memcpy(vb, "vvv", 3);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, &hint, n), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, n), LSMT_EXISTS);
    ck_assert_int_eq(lsmt_skiplist_node_insert(sl, &hint, n), LSMT_EXISTS);
    {
        /* node_insert_batch: one bad node refuses the whole batch; duplicates, of the
         * list or of an earlier node of the batch, are EXISTS */
        lsmt_skiplist_node *bn[3];
        lsmt_status bs[3];
        for (int i = 0; i < 3; i++) {
            void *bk, *bv;
            ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 2, 9, 1, 0, &bn[i], &bk, &bv), LSMT_OK);
            memcpy(bk, i == 2 ? "kk" : "kb", 2); /* ("kb", 9) twice, then ("kk", 9) */
            memcpy(bv, "v", 1);
        }
        lsmt_skiplist_node *bad[2] = {bn[0], (lsmt_skiplist_node *)&o};
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 2, bad, bs), LSMT_INVALID);
        ck_assert_ptr_null(lsmt_skiplist_find(sl, "kb", 2, 9));
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 3, bn, bs), LSMT_OK);
        ck_assert_int_eq(bs[0], LSMT_OK);
        ck_assert_int_eq(bs[1], LSMT_EXISTS);
        ck_assert_int_eq(bs[2], LSMT_OK);
        ck_assert_ptr_eq(lsmt_skiplist_find(sl, "kb", 2, 9), bn[0]);
        ck_assert_ptr_eq(lsmt_skiplist_find(sl, "kk", 2, 9), bn[2]);
        ck_assert_int_eq(lsmt_skiplist_node_insert_batch(sl, 1, bn + 2, bs), LSMT_OK);
        ck_assert_int_eq(bs[0], LSMT_EXISTS);
    }

    /* lookups and accessors */
    ck_assert_ptr_null(lsmt_skiplist_find(NULL, "kk", 2, 5));
    ck_assert_ptr_null(lsmt_skiplist_find(sl, NULL, 2, 5));
    ck_assert_ptr_null(lsmt_skiplist_find(sl, "kk", big_k, 5));
    ck_assert(!sl_contains(NULL, "kk", 2, 5));
    ck_assert(!sl_contains(sl, NULL, 2, 5));
    ck_assert(sl_contains(sl, "kk", 2, 5));
    ck_assert(sl_contains(sl, NULL, 0, 0));
    {
        /* seek_batch: bad arguments write nothing */
        const void *bk[2] = {"kk", NULL};
        size_t bl[2] = {2, 0};
        const lsmt_skiplist_node *bo[2] = {n, n};
        const uint64_t bv[2] = {5, 5};
        ck_assert_int_eq(lsmt_skiplist_seek_batch(NULL, 2, bk, bl, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, NULL, bl, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, NULL, bv, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, bl, NULL, bo), LSMT_INVALID);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, bl, bv, NULL), LSMT_INVALID);
        bl[1] = 1; /* NULL key with a length */
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, bl, bv, bo), LSMT_INVALID);
        bl[1] = big_k;
        bk[1] = "x";
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, bl, bv, bo), LSMT_INVALID);
        ck_assert_ptr_eq(bo[0], n);
        ck_assert_ptr_eq(bo[1], n);
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 0, NULL, NULL, bv, NULL), LSMT_OK);
        /* ("kk", 5) is there; the empty key at version 5 seeks to the first entry */
        bk[1] = NULL;
        bl[1] = 0;
        ck_assert_int_eq(lsmt_skiplist_seek_batch(sl, 2, bk, bl, bv, bo), LSMT_OK);
        ck_assert_ptr_eq(bo[0], n);
        ck_assert_ptr_eq(bo[1], lsmt_skiplist_find(sl, NULL, 0, 0));
    }
    ck_assert_ptr_null(sl_key(NULL, NULL));
    ck_assert_ptr_null(sl_value(NULL, NULL));
    ck_assert_uint_eq(sl_version(NULL), 0);
    const lsmt_skiplist_node *f = lsmt_skiplist_find(sl, "kk", 2, 5);
    ck_assert_ptr_eq(f, n);
    ck_assert_ptr_eq(sl_key(f, NULL), kb); /* len may be NULL */
    ck_assert_ptr_eq(sl_value(f, NULL), vb);

    /* iterator */
    lsmt_skiplist_iter it;
    ck_assert_int_eq(lsmt_skiplist_iter_init(NULL, sl), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, NULL), LSMT_INVALID);
    ck_assert(!sl_iter_valid(NULL));
    ck_assert_ptr_null(lsmt_skiplist_iter_node(NULL));
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_last(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(NULL, "a", 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(NULL, "a", 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_next(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_prev(NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, sl), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(&it), LSMT_OK);
    const lsmt_skiplist_node *before = lsmt_skiplist_iter_node(&it);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, NULL, 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, "a", big_k, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, NULL, 1, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, "a", big_k, 0), LSMT_INVALID);
    ck_assert_ptr_eq(lsmt_skiplist_iter_node(&it), before); /* unchanged */
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_last(&it), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_next(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_next(&it), LSMT_INVALID); /* not valid any more */
    ck_assert_int_eq(lsmt_skiplist_iter_prev(&it), LSMT_INVALID);
    lsmt_skiplist_iter zero;
    memset(&zero, 0, sizeof zero); /* never initialised: refused, not dereferenced */
    ck_assert_int_eq(lsmt_skiplist_iter_seek_to_first(&zero), LSMT_INVALID);
    ck_assert_int_eq(lsmt_skiplist_iter_next(&zero), LSMT_INVALID);

    size_t cnt = 0;
    ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
    /* "", ("k", 0) (NULL hint), ("kk", 5), and the batch's ("kb", 9), ("kk", 9) */
    ck_assert_uint_eq(cnt, 5);
    ck_assert_int_eq(lsmt_skiplist_validate(sl, NULL), LSMT_OK);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* An arena whose region a 32-bit link cannot address is refused. */
START_TEST(arena_too_large)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)32 << 30; /* 32 GiB of address space, never touched */
    lsmt_sharded_arena *a = NULL;
    if (lsmt_sharded_arena_create(&ao, &a) != LSMT_OK)
        return; /* the machine refused the reservation: nothing to check */
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    lsmt_skiplist *sl = NULL;
    ck_assert_int_eq(lsmt_skiplist_create(&o, &sl), LSMT_INVALID);
    ck_assert_ptr_null(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- edge cases ------------------------------------------------------------------------ */

START_TEST(empty_and_long_keys)
{
    lsmt_sharded_arena *a = make_arena((size_t)16 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    size_t big = (size_t)1 << 20;
    unsigned char *k1 = malloc(big + 1), *k2 = malloc(big + 1);
    ck_assert_ptr_nonnull(k1);
    ck_assert_ptr_nonnull(k2);
    memset(k1, 'x', big + 1);
    memcpy(k2, k1, big + 1);
    k2[big] = 'y'; /* differs only in the last byte */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k2, big + 1, 0, "2", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k1, big + 1, 0, "1", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k1, big, 0, "0", 1), LSMT_OK); /* prefix */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "", 0, 0, "e", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k1, big + 1, 0, "1", 1), LSMT_EXISTS);
    lsmt_skiplist_iter it;
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, sl), LSMT_OK);
    const char *order = "e012";
    int i = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it), i++) {
        size_t vl;
        const char *v = sl_value(lsmt_skiplist_iter_node(&it), &vl);
        ck_assert_uint_eq(vl, 1);
        ck_assert_int_eq(v[0], order[i]);
    }
    ck_assert_int_eq(i, 4);
    /* (k1, 1) sorts just before (k1, 0): versions descend */
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, k1, big + 1, 1), LSMT_OK);
    ck_assert_int_eq(((const char *)sl_value(lsmt_skiplist_iter_node(&it), NULL))[0], '1');
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, k1, big + 1, 1), LSMT_OK);
    ck_assert_int_eq(((const char *)sl_value(lsmt_skiplist_iter_node(&it), NULL))[0], '0');
    /* (k2, max) sorts between k1 and k2 */
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, k2, big + 1, UINT64_MAX), LSMT_OK);
    ck_assert_int_eq(((const char *)sl_value(lsmt_skiplist_iter_node(&it), NULL))[0], '2');
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, k2, big + 1, UINT64_MAX), LSMT_OK);
    ck_assert_int_eq(((const char *)sl_value(lsmt_skiplist_iter_node(&it), NULL))[0], '1');
    /* the empty key is the first: nothing before it */
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, "", 0, 1), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, "", 0, 0), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_prev(&it), LSMT_END);
    ck_assert_int_eq(lsmt_skiplist_validate(sl, NULL), LSMT_OK);
    free(k1);
    free(k2);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* Many versions of one key: newest first; seek by version lands between them. */
START_TEST(many_versions)
{
    lsmt_sharded_arena *a = make_arena((size_t)4 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    const uint64_t nv = 2000;
    uint64_t s = 42;
    for (uint64_t i = 0; i < nv; i++) {
        uint64_t v = 2 * ((i * 7919) % nv) + 2; /* even versions 2..2nv, shuffled */
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "samekey!", 8, v, &v, sizeof v), LSMT_OK);
        if (splitmix(&s) % 4 == 0) /* neighbours: a prefix and an extension */
            (void)lsmt_skiplist_insert(sl, NULL, "samekey", 7, v, NULL, 0);
    }
    (void)lsmt_skiplist_insert(sl, NULL, "samekey!!", 9, 0, NULL, 0);
    for (uint64_t v = 2; v <= 2 * nv; v += 2)
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "samekey!", 8, v, NULL, 0), LSMT_EXISTS);
    lsmt_skiplist_iter it;
    ck_assert_int_eq(lsmt_skiplist_iter_init(&it, sl), LSMT_OK);
    ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, "samekey!", 8, UINT64_MAX), LSMT_OK);
    uint64_t expect = 2 * nv;
    for (uint64_t i = 0; i < nv; i++) {
        const lsmt_skiplist_node *n = lsmt_skiplist_iter_node(&it);
        size_t kl;
        sl_key(n, &kl);
        ck_assert_uint_eq(kl, 8);
        ck_assert_uint_eq(sl_version(n), expect);
        expect -= 2;
        lsmt_skiplist_iter_next(&it);
    }
    for (uint64_t v = 1; v <= 2 * nv + 1; v += 2) { /* odd: between two versions */
        ck_assert_int_eq(lsmt_skiplist_iter_seek(&it, "samekey!", 8, v), LSMT_OK);
        ck_assert_uint_eq(sl_version(lsmt_skiplist_iter_node(&it)), v == 1 ? 0 : v - 1);
        if (v == 1) { /* past the oldest version: the next key */
            size_t kl;
            sl_key(lsmt_skiplist_iter_node(&it), &kl);
            ck_assert_uint_eq(kl, 9);
        }
        if (v <= 2 * nv) {
            ck_assert_int_eq(lsmt_skiplist_iter_seek_for_prev(&it, "samekey!", 8, v), LSMT_OK);
            ck_assert_uint_eq(sl_version(lsmt_skiplist_iter_node(&it)), v + 1);
        }
    }
    ck_assert_int_eq(lsmt_skiplist_validate(sl, NULL), LSMT_OK);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* max_height bounds every tower: 1 (a linked list), 2, and the largest allowed. */
START_TEST(height_limits)
{
    static const unsigned hs[3] = {1, 2, LSMT_SKIPLIST_MAX_HEIGHT};
    lsmt_sharded_arena *a = make_arena((size_t)8 << 20, (size_t)64 << 10, 1);
    for (int t = 0; t < 3; t++) {
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        lsmt_skiplist *sl = make_list(a, NULL, NULL, hs[t]);
        lsmt_skiplist_hint hint;
        lsmt_skiplist_hint_init(&hint);
        uint64_t s = 7;
        const int n = 3000;
        for (int i = 0; i < n; i++) {
            uint64_t k = __builtin_bswap64(splitmix(&s));
            ck_assert_int_eq(lsmt_skiplist_insert(sl, &hint, &k, sizeof k, 0, NULL, 0), LSMT_OK);
            ck_assert_uint_le(sl_stats(sl).height, hs[t]);
        }
        /* with 3000 nodes at p = 1/4, a height-2 node is all but certain (1 - 0.75^3000) */
        ck_assert_uint_ge(sl_stats(sl).height, hs[t] < 5 ? hs[t] : 5);
        size_t cnt;
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, (size_t)n);
        s = 7;
        for (int i = 0; i < n; i++) {
            uint64_t k = __builtin_bswap64(splitmix(&s));
            ck_assert(sl_contains(sl, &k, sizeof k, 0));
        }
        lsmt_skiplist_destroy(sl);
    }
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* The arena fills: LSMT_FULL, the list unchanged and valid, everything earlier found. */
START_TEST(arena_full)
{
    lsmt_sharded_arena *a = make_arena((size_t)64 << 10, (size_t)4 << 10, 1);
    for (int path = 0; path < PATH_COUNT; path++) {
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
        lsmt_skiplist_hint hint;
        lsmt_skiplist_hint_init(&hint);
        unsigned char val[100];
        memset(val, 'v', sizeof val);
        uint64_t i = 0, ok = 0, full = 0;
        static bool inserted[100000];
        for (; full < 20 && i < 100000; i++) {
            uint64_t k = __builtin_bswap64(splitmix(&(uint64_t){i}));
            lsmt_status st;
            if (path == PATH_INSERT)
                st = lsmt_skiplist_insert(sl, NULL, &k, 8, i, val, sizeof val);
            else if (path == PATH_SERIAL)
                st = lsmt_skiplist_insert_serial(sl, &k, 8, i, val, sizeof val);
            else if (path == PATH_HINT)
                st = lsmt_skiplist_insert(sl, &hint, &k, 8, i, val, sizeof val);
            else {
                lsmt_skiplist_node *n;
                void *kb, *vb;
                st = lsmt_skiplist_node_alloc(sl, 8, i, sizeof val, 0, &n, &kb, &vb);
                if (st == LSMT_OK) {
                    memcpy(kb, &k, 8);
                    memcpy(vb, val, sizeof val);
                    st = lsmt_skiplist_node_insert(sl, &hint, n);
                }
            }
            /* a shorter tower may still fit after a FULL: track each key's outcome */
            inserted[i] = st == LSMT_OK;
            if (st == LSMT_OK) {
                ok++;
            } else {
                ck_assert_int_eq(st, LSMT_FULL);
                full++;
            }
        }
        ck_assert_uint_eq(full, 20);
        ck_assert_uint_gt(ok, 100);
        size_t cnt;
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, ok);
        for (uint64_t j = 0; j < i; j++) {
            uint64_t k = __builtin_bswap64(splitmix(&(uint64_t){j}));
            ck_assert(sl_contains(sl, &k, 8, j) == inserted[j]);
        }
        /* fill the last bytes with bare headers until even those fail */
        lsmt_status st = LSMT_OK;
        for (int e = 0; e < 10000 && st != LSMT_FULL; e++) {
            uint32_t k = (uint32_t)e;
            st = lsmt_skiplist_insert(sl, NULL, &k, sizeof k, 0, NULL, 0);
            ok += st == LSMT_OK;
        }
        ck_assert_int_eq(st, LSMT_FULL);
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, ok);
        lsmt_skiplist_destroy(sl);
    }
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* reset after reset_all: empty, reusable, and a hint from before is harmless. */
START_TEST(reset_reuse)
{
    lsmt_sharded_arena *a = make_arena((size_t)4 << 20, (size_t)64 << 10, 2);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    for (int round = 0; round < 4; round++) {
        const uint64_t n = 5000;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t k = __builtin_bswap64(i * 2 + (uint64_t)round);
            ck_assert_int_eq(lsmt_skiplist_insert(sl, &hint, &k, 8, 0, &i, sizeof i), LSMT_OK);
        }
        size_t cnt;
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, n);
        for (uint64_t i = 0; i < n; i += 97) {
            uint64_t k = __builtin_bswap64(i * 2 + (uint64_t)round);
            const lsmt_skiplist_node *f = lsmt_skiplist_find(sl, &k, 8, 0);
            ck_assert_ptr_nonnull(f);
            uint64_t v;
            memcpy(&v, sl_value(f, NULL), sizeof v);
            ck_assert_uint_eq(v, i);
            k = __builtin_bswap64(i * 2 + (uint64_t)round + 1); /* the other parity */
            ck_assert(!sl_contains(sl, &k, 8, 0));
        }
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_reset(sl), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, 0);
        uint64_t k0 = 0;
        ck_assert(!sl_contains(sl, &k0, 8, 0));
        /* the hint still names the old list epoch: it must be ignored, not followed */
    }
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* Hints: ascending, descending and strided inserts, two hints interleaved, and a hint
 * moved between two lists. */
START_TEST(hint_paths)
{
    lsmt_sharded_arena *a = make_arena((size_t)16 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    lsmt_skiplist *other = make_list(a, NULL, NULL, 0);
    lsmt_skiplist_hint h1, h2;
    lsmt_skiplist_hint_init(&h1);
    lsmt_skiplist_hint_init(&h2);
    const uint64_t n = 20000;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t up = __builtin_bswap64(i), down = __builtin_bswap64(4 * n - i);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, &h1, &up, 8, 0, NULL, 0), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, &h2, &down, 8, 0, NULL, 0), LSMT_OK);
        if (i % 1000 == 0) /* the same hint on another list: re-initialised, not misused */
            ck_assert_int_eq(lsmt_skiplist_insert(other, &h1, &up, 8, 0, NULL, 0), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, &h1, &up, 8, 0, NULL, 0), LSMT_EXISTS);
    }
    for (uint64_t i = 0; i < n; i += 3) { /* strided fill of the gap, serial path */
        uint64_t k = __builtin_bswap64(n + i);
        ck_assert_int_eq(lsmt_skiplist_insert_serial(sl, &k, 8, 0, NULL, 0), LSMT_OK);
    }
    size_t cnt;
    ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
    ck_assert_uint_eq(cnt, 2 * n + (n + 2) / 3);
    ck_assert_int_eq(lsmt_skiplist_validate(other, &cnt), LSMT_OK);
    ck_assert_uint_eq(cnt, n / 1000);
    uint64_t prev = 0;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, sl);
    size_t seen = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it), seen++) {
        uint64_t k;
        memcpy(&k, sl_key(lsmt_skiplist_iter_node(&it), NULL), 8);
        k = __builtin_bswap64(k);
        if (seen)
            ck_assert_uint_gt(k, prev);
        prev = k;
    }
    ck_assert_uint_eq(seen, cnt = 2 * n + (n + 2) / 3);
    lsmt_skiplist_destroy(other);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* A hint filled for a list that was destroyed must not be followed by a new list that
 * happens to get the same address (invariant 6): the new list's first insert through
 * that hint is found, and the list holds exactly what was inserted into it. */
START_TEST(hint_of_destroyed_list)
{
    lsmt_sharded_arena *a = make_arena((size_t)16 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist_hint h;
    lsmt_skiplist_hint_init(&h);
    unsigned same_address = 0;
    for (int round = 0; round < 16; round++) {
        lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
        for (uint64_t i = 0; i < 50; i++) {
            uint64_t k = __builtin_bswap64(i * 2);
            ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, &k, 8, 0, NULL, 0), LSMT_OK);
        }
        void *old = sl;
        lsmt_skiplist_destroy(sl);
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
        sl = make_list(a, NULL, NULL, 0);
        same_address += (void *)sl == old;
        /* What address reuse gives, whether or not malloc reused it this round: the hint
         * names the new list (a private field, set here on purpose). */
        ((splice *)&h)->list = sl;
        /* h still holds the old list's splice; key 1 lies inside its range */
        uint64_t k = __builtin_bswap64(1);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, &h, &k, 8, 0, NULL, 0), LSMT_OK);
        ck_assert(sl_contains(sl, &k, 8, 0));
        size_t cnt;
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, 1);
        lsmt_skiplist_destroy(sl);
        ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    }
    (void)same_address; /* malloc's choice; the hint was pointed at the new list anyway */
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* The finger table's learned ranges: keys that share their first bytes ("user" and
 * digits, a zero-padded counter, a long common prefix) spread over many ranges once the
 * list is tall, where ranges taken from the first 4 bytes would put them all in one, and
 * random keys (the flat ranges) spread too; a key outside the learned prefix, and keys
 * shorter than 4 bytes, are still found; validate checks the table exactly. */
static size_t shape_key(int shape, uint64_t i, unsigned char *k)
{
    uint64_t h = i * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    switch (shape) {
    case 0: { /* "user" + decimal, as YCSB's keys */
        int n = snprintf((char *)k, 32, "user%llu", (unsigned long long)(h >> 1));
        return (size_t)n;
    }
    case 1: /* an 8-byte big-endian counter padded with '0', as db_bench's */
        for (int b = 0; b < 8; b++)
            k[b] = (unsigned char)((i * 7919u % 2000003u) >> (8 * (7 - b)));
        memset(k + 8, '0', 8);
        return 16;
    case 3: /* random bytes from the first: the flat ranges (finger.c), whose keys shorter
             * than their 4 bytes below are zero padded */
        for (int b = 0; b < 8; b++) {
            k[b] = (unsigned char)(h >> (8 * (7 - b)));
            k[8 + b] = (unsigned char)(i >> (8 * b));
        }
        return 16;
    case 4: /* a fixed 8-byte table id, then 16 random bytes */
        memcpy(k, "\0\0\0\x2a\0\0\0\x01", 8);
        for (int b = 0; b < 8; b++) {
            k[8 + b] = (unsigned char)(h >> (8 * (7 - b)));
            k[16 + b] = (unsigned char)(i >> (8 * b));
        }
        return 24;
    default: /* 96 shared bytes, then 16 random ones */
        memset(k, 'k', 96);
        for (int b = 0; b < 8; b++) {
            k[96 + b] = (unsigned char)(h >> (8 * b));
            k[104 + b] = (unsigned char)(i >> (8 * b));
        }
        return 112;
    }
}

START_TEST(finger_learned_ranges)
{
    for (int shape = 0; shape < 4; shape++) {
        lsmt_sharded_arena *a = make_arena((size_t)32 << 20, (size_t)64 << 10, 1);
        lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
        enum { N = 40000 };
        unsigned char k[128];
        for (uint64_t i = 0; i < N; i++) {
            size_t kl = shape_key(shape, i, k);
            ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k, kl, 0, "v", 1), LSMT_OK);
        }
        /* a key outside the learned prefix: found, and validate still passes */
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "\x00", 1, 0, "v", 1), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "\xff", 1, 0, "v", 1), LSMT_OK);
        ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, "\x00", 1, 0));
        ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, "\xff", 1, 0));
        /* keys shorter than 4 bytes around a tall node's: the ranges stay monotone
         * (validate checks the table against level 1's order) */
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, NULL, 0, 0, "v", 1), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "\x80\x00", 2, 0, "v", 1), LSMT_OK);
        ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "\x80\x00\x00\x00\x00", 5, 0, "v", 1),
                         LSMT_OK);
        ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, NULL, 0, 0));
        ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, "\x80\x00", 2, 0));
        size_t cnt;
        ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
        ck_assert_uint_eq(cnt, N + 5);
        for (uint64_t i = 0; i < N; i += 97) {
            size_t kl = shape_key(shape, i, k);
            ck_assert_ptr_nonnull(lsmt_skiplist_find(sl, k, kl, 0));
        }
        /* spread: the table names many distinct entries (the learned ranges cover the
         * keys' varying bytes); ranges from the first 4 bytes would name 1 or 2 */
        const struct lsmt_skiplist *raw = sl;
        size_t named = 0;
        for (uint32_t b = 0; b < raw->finger_n; b++)
            named += atomic_load_explicit(&raw->finger[b], memory_order_relaxed) != 0;
        ck_assert_msg(named > raw->finger_n / 16, "shape %d: %zu of %u entries", shape, named,
                      raw->finger_n);
        lsmt_skiplist_destroy(sl);
        lsmt_sharded_arena_destroy(a);
    }
}
END_TEST

/* The learned ranges spread keys evenly, not only widely: with 64 keys per range on
 * average, under 4 % of the ranges of a "user" + digits, counter, long-prefix or
 * table-id list are empty, and under 5 % of the keys sit in ranges holding more than
 * twice the mean. (Equal pieces per digit value seen left 18 % of the "user" ranges
 * empty; the "user" keys under a first digit 9 are the crowded ones now, ~3 %: the
 * second digit's shares are measured over all keys, not those under a 9.) */
START_TEST(finger_even_ranges)
{
    static const int shapes[] = {0, 1, 2, 4};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        enum { N = 64000, PER_RANGE = 64 };
        size_t cap = (size_t)32 << 20;
        lsmt_sharded_arena *a = make_arena(cap, (size_t)64 << 10, 1);
        lsmt_skiplist *sl = make_list_ex(a, NULL, NULL, 0, cap / (N / PER_RANGE));
        unsigned char k[128];
        for (uint64_t i = 0; i < N; i++) {
            size_t kl = shape_key(shapes[s], i, k);
            ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k, kl, 0, "v", 1), LSMT_OK);
        }
        const struct lsmt_skiplist *raw = sl;
        uint32_t n = raw->finger_n, *per = calloc(n, sizeof *per);
        ck_assert_ptr_nonnull(per);
        for (uint64_t i = 0; i < N; i++) {
            size_t kl = shape_key(shapes[s], i, k);
            skey sk;
            skey_init(sl, &sk, k, kl, 0);
            uint32_t b = finger_key_range(sl, k, kl, sk.prefix, sk.prefix2);
            ck_assert_uint_lt(b, n); /* every key of the list has a range (not FINGER_NONE) */
            per[b]++;
        }
        uint32_t crowded = 0, empty = 0; /* keys in ranges over twice the mean; empty ranges */
        for (uint32_t b = 0; b < n; b++) {
            crowded += per[b] > 2 * N / n ? per[b] : 0;
            empty += per[b] == 0;
        }
        ck_assert_msg(crowded * 20 < N && empty * 25 < n,
                      "shape %d: %u of %u keys in crowded ranges, %u of %u ranges empty", shapes[s],
                      crowded, (unsigned)N, empty, n);
        free(per);
        lsmt_skiplist_destroy(sl);
        lsmt_sharded_arena_destroy(a);
    }
}
END_TEST

/* A sparse finger table -- more entries than the list has tall nodes, as when the arena
 * is far larger than what the list holds (an engine's generous memtable, large
 * entries) -- still starts nearly every search at a finger node, which is before the
 * key (invariant F): a search whose own entry is empty looks further down. At 2.5
 * ranges per tall node a look at the entry below alone started about half of these
 * searches at the head; at 10 ranges per tall node a look at the 16 below started a
 * fifth there. */
START_TEST(finger_sparse_table)
{
    static const struct {
        unsigned ranges_per_tall_x2; /* ranges per tall node, doubled */
        unsigned max_head_pct;       /* searches allowed to start at the head, % */
    } sparse[] = {{5, 5}, {20, 2}};
    for (size_t v = 0; v < sizeof sparse / sizeof sparse[0]; v++)
        for (int shape = 0; shape < 4; shape += 3) { /* "user" + digits, random bytes */
            enum { N = 40000 };
            size_t cap = (size_t)32 << 20;
            lsmt_sharded_arena *a = make_arena(cap, (size_t)64 << 10, 1);
            /* N / 4 tall nodes (height >= 2) */
            size_t ranges = (size_t)N / 4 * sparse[v].ranges_per_tall_x2 / 2;
            lsmt_skiplist *sl = make_list_ex(a, NULL, NULL, 0, cap / ranges);
            unsigned char k[128];
            for (uint64_t i = 0; i < N; i++) {
                size_t kl = shape_key(shape, i, k);
                ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k, kl, 0, "v", 1), LSMT_OK);
            }
            size_t from_head = 0, probes = 0;
            for (uint64_t i = 0; i < N; i += 7, probes++) {
                size_t kl = shape_key(shape, i, k);
                skey sk;
                skey_init(sl, &sk, k, kl, 0);
                unsigned level;
                const char *x = finger_start(sl, &sk, &level);
                if (x == head_of(sl)) {
                    from_head++;
                    continue;
                }
                ck_assert_int_lt(node_cmp(sl, x, &sk), 0); /* invariant F: before the key */
                ck_assert_uint_lt(level, node_height(x));
            }
            ck_assert_msg(from_head * 100 <= probes * sparse[v].max_head_pct,
                          "shape %d, %u ranges per 2 tall nodes: %zu of %zu searches from the "
                          "head",
                          shape, sparse[v].ranges_per_tall_x2, from_head, probes);
            lsmt_skiplist_destroy(sl);
            lsmt_sharded_arena_destroy(a);
        }
}
END_TEST

/* seek_batch's ways start as a plain search does, but in steps (batch.c: the finger
 * entry, then the finger node, each prefetched first): on armed tables, dense and sparse
 * (where a way's own entry is often empty and it looks further down), for every key
 * shape, keys present and absent, and keys outside the learned ranges (which start at
 * the head), every result is the node a plain seek finds. */
START_TEST(finger_batch_starts)
{
    static const int shapes[] = {0, 1, 3, 4, 5};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int sparse = 0; sparse < 2; sparse++) {
            enum { N = 20000, Q = 3000 };
            size_t cap = (size_t)32 << 20;
            lsmt_sharded_arena *a = make_arena(cap, (size_t)64 << 10, 1);
            /* dense: the default table; sparse: ~10 ranges per tall node (N / 8 of them) */
            lsmt_skiplist *sl = make_list_ex(a, NULL, NULL, 0, sparse ? cap / (N / 8 * 10) : 0);
            unsigned char k[128];
            for (uint64_t i = 0; i < N; i++) { /* even key numbers: odd ones are absent */
                size_t kl = shape_key(shapes[s], 2 * i, k);
                ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, k, kl, 0, "v", 1), LSMT_OK);
            }
            static unsigned char qk[Q][128];
            const void *keys[Q];
            size_t klens[Q];
            uint64_t vers[Q] = {0};
            size_t from_finger = 0;
            for (size_t q = 0; q < Q; q++) {
                if (q % 100 == 99) { /* outside any learned prefix, at either end */
                    memset(qk[q], q % 200 == 99 ? 0x00 : 0xff, 3);
                    klens[q] = 3;
                } else {
                    klens[q] = shape_key(shapes[s], q * 13 % (2 * N + 50), qk[q]);
                }
                keys[q] = qk[q];
                skey sk;
                skey_init(sl, &sk, qk[q], klens[q], 0);
                from_finger += finger_node(sl, finger_entry(sl, &sk)) != NULL;
            }
            /* the ways did start from finger nodes (the table is armed and covers most) */
            ck_assert_msg(from_finger * 10 > (size_t)Q * 9, "shape %d sparse %d: %zu of %d",
                          shapes[s], sparse, from_finger, Q);
            const lsmt_skiplist_node *out[Q];
            for (size_t q = 0, nb; q < Q; q += nb) { /* batches of 1..70 keys */
                nb = 1 + (q * 7 % 70);
                nb = nb < Q - q ? nb : Q - q;
                ck_assert_int_eq(
                    lsmt_skiplist_seek_batch(sl, nb, keys + q, klens + q, vers + q, out + q),
                    LSMT_OK);
            }
            lsmt_skiplist_iter it;
            lsmt_skiplist_iter_init(&it, sl);
            for (size_t q = 0; q < Q; q++) {
                lsmt_status st = lsmt_skiplist_iter_seek(&it, keys[q], klens[q], 0);
                ck_assert_msg(out[q] == (st == LSMT_OK ? lsmt_skiplist_iter_node(&it) : NULL),
                              "shape %d sparse %d: key %zu", shapes[s], sparse, q);
            }
            lsmt_skiplist_destroy(sl);
            lsmt_sharded_arena_destroy(a);
        }
}
END_TEST

/* Tower heights follow p = 1/4: of 200k nodes, the share of height >= i+1 among height
 * >= i is 1/4 within a few standard deviations, for the first levels. */
START_TEST(height_distribution)
{
    lsmt_sharded_arena *a = make_arena((size_t)64 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    enum { N = 200000 };
    size_t at_least[8] = {0};
    for (int i = 0; i < N; i++) {
        lsmt_skiplist_node *n;
        void *kb, *vb;
        ck_assert_int_eq(lsmt_skiplist_node_alloc(sl, 8, 0, 0, 0, &n, &kb, &vb), LSMT_OK);
        unsigned h = sl_height_of(n);
        ck_assert_uint_ge(h, 1);
        for (unsigned l = 0; l < 8 && l < h; l++)
            at_least[l]++;
    }
    ck_assert_uint_eq(at_least[0], N);
    for (int l = 1; l < 5; l++) {
        double n = (double)at_least[l - 1], p = (double)at_least[l] / n;
        double sd = __builtin_sqrt(0.25 * 0.75 / n);
        ck_assert_msg(p > 0.25 - 5 * sd && p < 0.25 + 5 * sd,
                      "level %d: %.4f of the nodes of height >= %d go higher (want 0.25 +- %.4f)",
                      l, p, l, 5 * sd);
    }
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* Tags ride in the node header: every value 0..TAG_MAX round-trips, whatever the key
 * length (the key length bits sit next to them), height or value, and a tag never changes
 * the key, version or value read back. */
START_TEST(node_tags)
{
    lsmt_sharded_arena *a = make_arena((size_t)8 << 20, (size_t)64 << 10, 1);
    lsmt_skiplist *sl = make_list(a, NULL, NULL, 0);
    static const size_t klens[] = {0, 1, 8, 255, 4096};
    static char kbuf[4096];
    uint64_t s = 9;
    size_t n = 0;
    for (size_t ki = 0; ki < sizeof klens / sizeof klens[0]; ki++) {
        for (unsigned tag = 0; tag <= LSMT_SKIPLIST_TAG_MAX; tag++) {
            for (int rep = 0; rep < 8; rep++) {
                lsmt_skiplist_node *node;
                void *kb, *vb;
                uint64_t ver = splitmix(&s) & LSMT_SKIPLIST_MAX_VERSION;
                ck_assert_int_eq(
                    lsmt_skiplist_node_alloc(sl, klens[ki], ver, 3, tag, &node, &kb, &vb), LSMT_OK);
                memset(kbuf, (int)(ki * 16 + tag), klens[ki]);
                if (klens[ki])
                    memcpy(kb, kbuf, klens[ki]);
                memcpy(vb, "abc", 3);
                ck_assert_uint_eq(sl_tag(node), tag); /* before publishing */
                ck_assert_int_eq(lsmt_skiplist_node_insert(sl, NULL, node), LSMT_OK);
                n++;
                const lsmt_skiplist_node *f = lsmt_skiplist_find(sl, kbuf, klens[ki], ver);
                ck_assert_ptr_eq(f, node);
                ck_assert_uint_eq(sl_tag(f), tag);
                size_t kl, vl;
                sl_key(f, &kl);
                ck_assert_uint_eq(kl, klens[ki]);
                ck_assert_uint_eq(sl_version(f), ver);
                const char *v = sl_value(f, &vl);
                ck_assert(vl == 3 && memcmp(v, "abc", 3) == 0);
            }
        }
    }
    /* plain inserts are tag 0 */
    ck_assert_int_eq(lsmt_skiplist_insert(sl, NULL, "plain", 5, 1, NULL, 0), LSMT_OK);
    ck_assert_uint_eq(sl_tag(lsmt_skiplist_find(sl, "plain", 5, 1)), 0);
    size_t cnt;
    ck_assert_int_eq(lsmt_skiplist_validate(sl, &cnt), LSMT_OK);
    ck_assert_uint_eq(cnt, n + 1);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

static Suite *skiplist_suite(void)
{
    Suite *s = suite_create("skiplist");
    /* Check's default per-test timeout is 4 s: too short under sanitizers */
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, lifecycle);
    tcase_add_test(tc, arena_too_large);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, finger_table_size);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, model_default);
    tcase_add_test(tc, model_bytewise_explicit);
    tcase_add_test(tc, model_reverse);
    tcase_add_test(tc, model_generic_bytewise);
    tcase_add_test(tc, model_encoded);
    tcase_add_test(tc, model_encoded_reverse);
    tcase_add_test(tc, model_encoded_seq);
    tcase_add_test(tc, model_long_sequences);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("edge");
    tcase_add_test(tc, empty_and_long_keys);
    tcase_add_test(tc, many_versions);
    tcase_add_test(tc, height_limits);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("full");
    tcase_add_test(tc, arena_full);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    tc = tcase_create("reuse");
    tcase_add_test(tc, reset_reuse);
    tcase_add_test(tc, hint_paths);
    tcase_add_test(tc, hint_of_destroyed_list);
    tcase_add_test(tc, height_distribution);
    tcase_add_test(tc, finger_learned_ranges);
    tcase_add_test(tc, finger_sparse_table);
    tcase_add_test(tc, finger_even_ranges);
    tcase_add_test(tc, finger_batch_starts);
    tcase_add_test(tc, node_tags);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(skiplist_suite());
}
