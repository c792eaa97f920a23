/* memtable-stress range deletes (--delete-range RATE): writes, their expected state and
 * their flush check.
 *
 * Design
 *   A range delete is, for the expected state, a delete of every key it covers, all at
 *   ONE sequence number: the writer picks keys lo .. lo + n - 1 (n = 1..8), locks their
 *   mutexes in ascending order, takes one sequence number s and appends a version
 *   (s, VT_RANGE) to each key's ring, PENDING; then calls
 *   lsmt_memtable_delete_range(mt, s, key(lo), key(lo + n)) (keys are "k" + 7 decimal
 *   digits, so [key(lo), key(lo + n)) holds exactly those keys) and settles the versions
 *   COMMITTED or FAILED. Reads judge a VT_RANGE version as a tombstone (get says
 *   DELETED with its seq); internal iterators never show one (they yield point versions
 *   only); snapshot iterators skip the keys it hides.
 *   Acknowledged range deletes are logged per slot and writer (slot.racks: ack.key = lo,
 *   ack.type = n), and the flush checks them (V6): the raw range-del iterator yields
 *   exactly them, in (begin asc, seq desc) order; stats.range_deletes agrees; the
 *   fragmented iterator's pieces are disjoint and ordered. At retire they turn FLUSHED
 *   with the point versions, so the "SST" serves them too.
 */
#include "stress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The id of a range bound: "k" + 7 digits, up to C.keys (an end may be one past the
 * last key). 1 when well-formed. */
static int bound_parse(const void *key, size_t klen, uint32_t *k)
{
    const char *p = key;
    if (klen != KEY_LEN || p[0] != 'k')
        return 0;
    uint32_t v = 0;
    for (size_t i = 1; i < KEY_LEN; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    *k = v;
    return v <= C.keys;
}

/* Register VT_RANGE versions of keys lo..lo+n-1 at one new sequence number. 0 when a
 * ring slot to reuse is still PENDING (nothing registered). */
static int range_register(uint32_t lo, unsigned n, uint32_t inc, uint64_t *seq)
{
    int room = 1;
    for (unsigned i = 0; i < n; i++) {
        khist *h = &g_hist[lo + i];
        pthread_mutex_lock(&h->mu);
        if (h->appended >= RING && h->ring[h->appended % RING].state == V_PENDING)
            room = 0;
    }
    if (room) {
        *seq = atomic_fetch_add_explicit(&g_seq_next, 1, memory_order_relaxed);
        for (unsigned i = 0; i < n; i++) {
            khist *h = &g_hist[lo + i];
            h->ring[h->appended % RING] = (ver){*seq, inc, VT_RANGE, V_PENDING};
            h->appended++;
        }
    }
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_unlock(&g_hist[lo + i].mu);
    return room;
}

static void range_settle(uint32_t lo, unsigned n, uint64_t seq, int state)
{
    for (unsigned i = 0; i < n; i++) {
        khist *h = &g_hist[lo + i];
        pthread_mutex_lock(&h->mu);
        ver *v = hist_find(h, seq);
        if (v != NULL)
            v->state = (uint8_t)state;
        pthread_mutex_unlock(&h->mu);
    }
}

void range_op(thr *t)
{
    uint32_t lo = (uint32_t)rnd(&t->rs, C.keys);
    unsigned maxn = C.keys - lo < 8 ? C.keys - lo : 8;
    unsigned n = 1 + (unsigned)rnd(&t->rs, maxn);
    char kb[KEY_LEN + 1], ke[KEY_LEN + 1];
    key_make(kb, lo);
    key_make(ke, lo + n);

    pthread_rwlock_rdlock(&E.lock);
    slot *sl = &E.slots[E.active];
    lsmt_memtable *mt = sl->mt;
    uint32_t inc = sl->inc;
    uint64_t seq = 0;
    if (!range_register(lo, n, inc, &seq)) {
        pthread_rwlock_unlock(&E.lock);
        return;
    }
    maybe_yield(&t->rs);
    lsmt_status st = lsmt_memtable_delete_range(mt, seq, kb, KEY_LEN, ke, KEY_LEN);
    range_settle(lo, n, seq, st == LSMT_OK ? V_COMMITTED : V_FAILED);
    if (st == LSMT_OK) {
        ack_vec *a = &sl->racks[t->idx];
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 256;
            a->v = realloc(a->v, a->cap * sizeof(ack));
            if (a->v == NULL) {
                perror("realloc");
                exit(2);
            }
        }
        a->v[a->n++] = (ack){seq, lo, n};
    }
    int flush = st == LSMT_OK && lsmt_memtable_should_flush(mt);
    pthread_rwlock_unlock(&E.lock);

    if (st == LSMT_OK)
        t->c.range_deletes++;
    else if (!writer_refused(t, st, inc))
        violation(t->name, "delete_range [%u, %u) at seq %" PRIu64 " returned %s", lo, lo + n, seq,
                  lsmt_status_str(st));
    if (flush)
        nudge_rotation();
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

/* (begin asc, seq desc): the raw range-del iterator's order. */
static int rack_cmp(const void *a, const void *b)
{
    const ack *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq == y->seq ? 0 : (x->seq > y->seq ? -1 : 1);
}

/* The slot's acknowledged range deletes, sorted; the logs are NOT emptied (range_retire
 * does that). Complete for the same reason as flush_collect's. */
static ack *range_collect(slot *sl, size_t *nall)
{
    size_t total = 0, n = 0;
    for (unsigned w = 0; w < MAX_THREADS; w++)
        total += sl->racks[w].n;
    ack *all = malloc((total ? total : 1) * sizeof(ack));
    for (unsigned w = 0; w < MAX_THREADS; w++) {
        if (sl->racks[w].n > 0)
            memcpy(all + n, sl->racks[w].v, sl->racks[w].n * sizeof(ack));
        n += sl->racks[w].n;
    }
    qsort(all, n, sizeof(ack), rack_cmp);
    *nall = n;
    return all;
}

void range_flush_check(thr *t, slot *sl, lsmt_memtable *mt, uint32_t inc)
{
    size_t n;
    ack *all = range_collect(sl, &n);
    lsmt_range_del_iter *it = NULL;
    lsmt_status st = lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_RAW, &it);
    if (st != LSMT_OK) {
        violation(t->name, "V8 range_del_iter_create(raw) on inc %u: %s", inc, lsmt_status_str(st));
        free(all);
        return;
    }
    size_t j = 0;
    for (st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_range_del_iter_next(it), j++) {
        const void *b, *e;
        size_t bl, el;
        uint64_t seq;
        uint32_t kb = 0, ke = 0;
        lsmt_range_del_iter_entry(it, &b, &bl, &e, &el, &seq);
        if (!bound_parse(b, bl, &kb) || !bound_parse(e, el, &ke) || j >= n || kb != all[j].key ||
            ke != all[j].key + all[j].type || seq != all[j].seq) {
            violation(t->name,
                      "V6 flush of inc %u: range delete %zu is [%u, %u) seq %" PRIu64
                      ", expected %zu acknowledged ones (this one [%u, %u) seq %" PRIu64 ")",
                      inc, j, kb, ke, seq, n, j < n ? all[j].key : 0,
                      j < n ? all[j].key + all[j].type : 0, j < n ? all[j].seq : 0);
            break;
        }
    }
    if (st == LSMT_END && j != n)
        violation(t->name, "V6 flush of inc %u: %zu range deletes, %zu acknowledged", inc, j, n);
    lsmt_range_del_iter_destroy(it);
    /* fragments: disjoint, ordered, each with seqs of acknowledged range deletes */
    if (lsmt_range_del_iter_create(mt, LSMT_RANGE_DEL_FRAGMENTED, &it) == LSMT_OK) {
        uint32_t prev_begin = 0, prev_end = 0; /* one entry per (fragment, seq) */
        for (st = lsmt_range_del_iter_seek_to_first(it); st == LSMT_OK;
             st = lsmt_range_del_iter_next(it)) {
            const void *b, *e;
            size_t bl, el;
            uint64_t seq;
            uint32_t kb = 0, ke = 0;
            lsmt_range_del_iter_entry(it, &b, &bl, &e, &el, &seq);
            if (!bound_parse(b, bl, &kb) || !bound_parse(e, el, &ke) || kb >= ke ||
                (kb < prev_end && !(kb == prev_begin && ke == prev_end))) {
                violation(t->name, "V6 flush of inc %u: bad fragment [%u, %u) after end %u", inc,
                          kb, ke, prev_end);
                break;
            }
            prev_begin = kb;
            prev_end = ke;
        }
        lsmt_range_del_iter_destroy(it);
    }
    lsmt_memtable_stats ms = {0};
    if (lsmt_memtable_stats_get(mt, &ms) != LSMT_OK || ms.range_deletes != n)
        violation(t->name, "V6 stats of inc %u: %" PRIu64 " range deletes, %zu acknowledged", inc,
                  ms.range_deletes, n);
    free(all);
}

void range_retire(slot *sl)
{
    for (unsigned w = 0; w < MAX_THREADS; w++) {
        ack_vec *a = &sl->racks[w];
        for (size_t j = 0; j < a->n; j++)
            range_settle(a->v[j].key, a->v[j].type, a->v[j].seq, V_FLUSHED);
        a->n = 0;
    }
}
