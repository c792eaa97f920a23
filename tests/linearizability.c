/* Wing-Gong / Lowe linearizability checker: see linearizability.h for the sequential
 * specification and the method. Single-threaded; allocates with malloc. */
#include "linearizability.h"

#include "lsmt/lsmt.h"
#include "support/hash.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of placed-operation masks (open addressing, linear probing). Mask 0 (nothing
 * placed) is tracked by a flag so that 0 can mark an empty slot. */
typedef struct mask_set {
    uint64_t *slots;
    size_t cap; /* power of two */
    size_t len;
    bool has_zero;
} mask_set;

static bool set_contains(const mask_set *s, uint64_t m)
{
    if (m == 0)
        return s->has_zero;
    for (size_t i = fmix64(m) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == m)
            return true;
        if (s->slots[i] == 0)
            return false;
    }
}

static bool set_insert(mask_set *s, uint64_t m)
{
    if (m == 0) {
        s->has_zero = true;
        return true;
    }
    if ((s->len + 1) * 2 > s->cap) {
        mask_set g = {calloc(s->cap * 2, sizeof(uint64_t)), s->cap * 2, 0, s->has_zero};
        if (g.slots == NULL)
            return false;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i] != 0)
                set_insert(&g, s->slots[i]);
        free(s->slots);
        *s = g;
    }
    size_t i = fmix64(m) & (s->cap - 1);
    while (s->slots[i] != 0 && s->slots[i] != m)
        i = (i + 1) & (s->cap - 1);
    if (s->slots[i] == 0) {
        s->slots[i] = m;
        s->len++;
    }
    return true;
}

/* One operation in one key's partition: a range delete has one per key it covers. */
typedef struct proj {
    const lin_op *op;
    uint32_t key; /* the partition */
} proj;

typedef struct search {
    const lin_op **ops; /* one key's operations, by call time */
    size_t n;
    uint64_t full;
    mask_set seen;
    size_t explored;
    size_t budget;
} search;

static bool is_write(const lin_op *o)
{
    return o->kind == LIN_PUT || o->kind == LIN_DEL;
}

/* Does GET o's reported sequence match version seq `seq`? */
static bool seq_is(const lin_op *o, uint64_t seq)
{
    return o->seq_out == LIN_SEQ_ANY || o->seq_out == seq;
}

/* Is placing ops[i] next, after the operations in `placed`, legal in the spec? The state
 * is the set of successful writes in `placed` (point versions V and, apart, range
 * tombstones R: every RDEL of the partition covers its key). */
static bool legal(const search *s, uint64_t placed, size_t i)
{
    const lin_op *o = s->ops[i];
    const lin_op *best = NULL;  /* GET: newest point version <= snapshot */
    const lin_op *rbest = NULL; /* GET: newest range tombstone <= snapshot */
    bool present = false;       /* writes: the same (key, seq) or (begin, seq) exists */
    for (size_t j = 0; j < s->n; j++) {
        if (!(placed & ((uint64_t)1 << j)))
            continue;
        const lin_op *w = s->ops[j];
        if (w->kind == LIN_GET || w->status != LSMT_OK)
            continue;
        if (w->kind == LIN_RDEL) {
            if (o->kind == LIN_RDEL && w->seq == o->seq && w->key == o->key)
                present = true;
            if (o->kind == LIN_GET && w->seq <= o->seq && (rbest == NULL || w->seq > rbest->seq))
                rbest = w;
            continue;
        }
        if (is_write(o) && w->seq == o->seq)
            present = true;
        if (o->kind == LIN_GET && w->seq <= o->seq && (best == NULL || w->seq > best->seq))
            best = w;
    }
    if (o->kind != LIN_GET) {
        if (o->status == LSMT_OK)
            return !present;
        if (o->status == LSMT_EXISTS)
            return present;
        return true; /* failed write: no effect */
    }
    /* R3: a range tombstone hides the versions strictly below its seq */
    if (rbest != NULL && (best == NULL || rbest->seq > best->seq))
        return o->status == LSMT_DELETED && seq_is(o, rbest->seq);
    if (best == NULL)
        return o->status == LSMT_NOT_FOUND;
    if (best->kind == LIN_DEL)
        return o->status == LSMT_DELETED && seq_is(o, best->seq);
    return o->status == LSMT_OK && seq_is(o, best->seq) && o->value == best->value;
}

/* 1: a linearization of the rest exists; 0: none; -1: budget exhausted. */
static int dfs(search *s, uint64_t placed)
{
    if (placed == s->full)
        return 1;
    if (set_contains(&s->seen, placed))
        return 0;
    if (++s->explored > s->budget)
        return -1;
    /* An unplaced op may go next only if it was invoked before every other unplaced op
     * returned (otherwise that op precedes it in real time). */
    uint64_t min_ret = UINT64_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (!(placed & ((uint64_t)1 << i)) && s->ops[i]->ret < min_ret)
            min_ret = s->ops[i]->ret;
    for (size_t i = 0; i < s->n; i++) {
        if (placed & ((uint64_t)1 << i))
            continue;
        if (s->ops[i]->call > min_ret)
            break; /* sorted by call: no later op qualifies */
        if (!legal(s, placed, i))
            continue;
        int r = dfs(s, placed | ((uint64_t)1 << i));
        if (r != 0)
            return r;
    }
    if (!set_insert(&s->seen, placed))
        return -1;
    return 0;
}

static int by_call(const void *a, const void *b)
{
    const lin_op *x = *(const lin_op *const *)a, *y = *(const lin_op *const *)b;
    return (x->call > y->call) - (x->call < y->call);
}

static int by_key(const void *a, const void *b)
{
    const proj *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->op->call > y->op->call) - (x->op->call < y->op->call);
}

static int by_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Does RDEL `o` cover key k? */
static bool covers(const lin_op *o, uint32_t k)
{
    return o->kind == LIN_RDEL && o->key <= k && k < o->key_end;
}

/* The partitions: every non-RDEL op under its key, every RDEL under each key of `keys`
 * (the sorted distinct keys of the non-RDEL ops, nk of them) that it covers. The
 * result is sorted by (key, call); *np its length. NULL when memory runs out. */
static proj *project(const lin_op *ops, size_t n, const uint32_t *keys, size_t nk, size_t *np)
{
    size_t m = 0, cap = n;
    proj *p = malloc((cap ? cap : 1) * sizeof(*p));
    for (size_t i = 0; p != NULL && i < n; i++) {
        const lin_op *o = &ops[i];
        size_t k0 = 0, k1 = 1; /* keys[k0, k1) get a copy */
        if (o->kind == LIN_RDEL) {
            while (k0 < nk && keys[k0] < o->key)
                k0++;
            for (k1 = k0; k1 < nk && covers(o, keys[k1]);)
                k1++;
        }
        for (size_t k = k0; k < k1; k++) {
            if (m == cap) {
                proj *g = realloc(p, 2 * cap * sizeof(*p));
                if (g == NULL) {
                    free(p);
                    return NULL;
                }
                p = g;
                cap *= 2;
            }
            p[m++] = (proj){o, o->kind == LIN_RDEL ? keys[k] : o->key};
        }
    }
    if (p != NULL && m > 1)
        qsort(p, m, sizeof(*p), by_key);
    *np = m;
    return p;
}

lin_verdict lin_check(const lin_op *ops, size_t n, size_t budget, lin_report *report)
{
    lin_report rep = {LIN_OK, 0, 0, 0};
    uint32_t *keys = n ? malloc(n * sizeof(*keys)) : NULL;
    proj *p = NULL;
    const lin_op **v = NULL;
    size_t nk = 0, np = 0;
    if (n && keys == NULL) {
        rep.verdict = LIN_UNKNOWN;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (ops[i].call >= ops[i].ret || ops[i].kind > LIN_RDEL ||
            (ops[i].kind == LIN_RDEL && ops[i].key >= ops[i].key_end)) {
            rep.verdict = LIN_BAD_HISTORY;
            rep.key = ops[i].key;
            goto out;
        }
        if (ops[i].kind != LIN_RDEL)
            keys[nk++] = ops[i].key;
    }
    if (nk > 1)
        qsort(keys, nk, sizeof(*keys), by_u32);
    size_t u = 0;
    for (size_t i = 0; i < nk; i++)
        if (u == 0 || keys[u - 1] != keys[i])
            keys[u++] = keys[i];
    nk = u;
    p = project(ops, n, keys, nk, &np);
    v = malloc((np ? np : 1) * sizeof(*v));
    if (p == NULL || v == NULL) {
        rep.verdict = LIN_UNKNOWN;
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        v[i] = p[i].op;
    for (size_t lo = 0; lo < np && rep.verdict == LIN_OK;) {
        size_t hi = lo;
        while (hi < np && p[hi].key == p[lo].key)
            hi++;
        rep.keys_checked++;
        rep.key = p[lo].key;
        if (hi - lo > LIN_MAX_OPS_PER_KEY) {
            rep.verdict = LIN_UNKNOWN;
            break;
        }
        search s = {v + lo, hi - lo, 0, {NULL, 1024, 0, false}, 0, budget ? budget : 1000000};
        s.full = s.n == 64 ? UINT64_MAX : (((uint64_t)1 << s.n) - 1);
        s.seen.slots = calloc(s.seen.cap, sizeof(uint64_t));
        if (s.seen.slots == NULL) {
            rep.verdict = LIN_UNKNOWN;
            break;
        }
        qsort(s.ops, s.n, sizeof(*s.ops), by_call);
        int r = dfs(&s, 0);
        rep.states_explored += s.explored;
        free(s.seen.slots);
        if (r == 0)
            rep.verdict = LIN_VIOLATION;
        else if (r < 0)
            rep.verdict = LIN_UNKNOWN;
        lo = hi;
    }
    if (rep.verdict == LIN_OK)
        rep.key = 0;
out:
    free(v);
    free(p);
    free(keys);
    if (report != NULL)
        *report = rep;
    return rep.verdict;
}

void lin_dump_key(const lin_op *ops, size_t n, uint32_t key)
{
    static const char *const kinds[] = {"PUT", "DEL", "GET", "RDEL"};
    const lin_op **v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((ops[i].kind != LIN_RDEL && ops[i].key == key) || covers(&ops[i], key))
            v[m++] = &ops[i];
    qsort(v, m, sizeof(*v), by_call);
    fprintf(stderr, "history of key %" PRIu32 " (%zu ops):\n", key, m);
    for (size_t i = 0; i < m; i++) {
        const lin_op *o = v[i];
        fprintf(stderr,
                "  [%6" PRIu64 ", %6" PRIu64 "] t%-2" PRIu32 " %s seq=%" PRIu64 " value=%" PRIu64
                " -> %s seq_out=%" PRIu64 "\n",
                o->call, o->ret, o->thread, kinds[o->kind], o->seq, o->value,
                lsmt_status_str((lsmt_status)o->status), o->seq_out);
        if (o->kind == LIN_RDEL)
            fprintf(stderr, "        range [%" PRIu32 ", %" PRIu32 ")\n", o->key, o->key_end);
    }
    free(v);
}
