/* memtable-stress iterators: bounded scans of one memtable, judged for order, bounds and
 * completeness (V3-V5); also the entry reader the probe and the flush check share.
 *
 * Design
 *   One scan, holding the engine lock shared throughout (the memtable stays in the view,
 *   though writers keep inserting into the active one):
 *     1. plan: a memtable of the view (the active one, or a frozen one), a key range
 *        [lo, hi) of up to MAXW keys, internal or snapshot kind, bounded or not,
 *        forward (seek/next) or backward (seek_for_prev/prev);
 *     2. before it starts, per key under its mutex: the COMMITTED versions of that
 *        memtable's incarnation at the snapshot, which the scan must show (V5);
 *     3. walk, checking every entry (V4 value, V3 snapshot) and the order, bounds and
 *        uniqueness (V5); a forward walk then steps back once (prev after next);
 *     4. if the walk reached the end of its range, judge every key of the range under
 *        its mutex: everything shown exists in that incarnation and did not fail (V4),
 *        nothing required is missing (V5; for a snapshot scan, a key may be hidden only
 *        by a newer tombstone).
 *   The per-thread buffers are _Thread_local: a scan may hold MAXW * RING entries.
 */
#include "stress.h"

#include <inttypes.h>

enum { MAXW = 48, MAXSEEN = MAXW * RING };

static _Thread_local seen t_buf[MAXSEEN + 8]; /* what the walk saw, in walk order */
static _Thread_local ver t_must[MAXW][RING];  /* per key of the range: required versions */
static _Thread_local int t_nmust[MAXW];       /* ... their number */
static _Thread_local int t_unjudged[MAXW];    /* ... or unjudgeable from the start */

/* One scan: its plan and how far its walk got. */
typedef struct scan {
    view v;
    int m; /* the view index scanned */
    uint32_t lo, hi;
    int snapshot_kind, bounded, backward, frozen;
    uint64_t snap;
    uint32_t inc;
    char lob[KEY_LEN + 1], hib[KEY_LEN + 1];
    size_t n;     /* entries in t_buf */
    int complete; /* the walk reached the end of [lo, hi) */
} scan;

/* Order of (key asc, seq desc): <0, 0, >0. */
int ent_cmp(uint32_t k1, uint64_t s1, uint32_t k2, uint64_t s2)
{
    if (k1 != k2)
        return k1 < k2 ? -1 : 1;
    return s1 == s2 ? 0 : (s1 > s2 ? -1 : 1);
}

/* Read the iterator's entry and check it (V4, V3). Returns 0 when unusable. */
int iter_read(thr *t, lsmt_memtable_iter *it, uint32_t inc, int snapshot_kind, uint64_t snap,
              seen *out)
{
    const void *key, *val;
    size_t klen, vlen;
    uint64_t seq;
    lsmt_entry_type type;
    lsmt_status st = lsmt_memtable_iter_entry(it, &key, &klen, &seq, &type, &val, &vlen);
    if (st != LSMT_OK) {
        violation(t->name, "iter_entry on a valid iterator returned %s", lsmt_status_str(st));
        return 0;
    }
    uint32_t k;
    if (key_parse(key, klen, &k) != 0) {
        violation(t->name, "V4 iterator yields a key that was never written (len %zu)", klen);
        return 0;
    }
    if (type == LSMT_TYPE_PUT) {
        const char *why = value_check(val, vlen, k, seq, inc);
        if (why)
            violation(t->name, "V4 iterator key %u seq %" PRIu64 " inc %u: %s", k, seq, inc, why);
    } else if (type != LSMT_TYPE_DELETE || val != NULL || vlen != 0) {
        violation(t->name, "V4 iterator key %u seq %" PRIu64 ": bad type %d / tombstone value", k,
                  seq, (int)type);
    }
    if (snapshot_kind && (seq > snap || type != LSMT_TYPE_PUT))
        violation(t->name,
                  "V3/V5 snapshot iterator at %" PRIu64 " yields key %u seq %" PRIu64 " type %d",
                  snap, k, seq, (int)type);
    *out = (seen){k, seq, (uint8_t)type};
    return 1;
}

lsmt_status iter_internal(lsmt_memtable *mt, lsmt_memtable_iter **it)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = LSMT_ITER_INTERNAL;
    return lsmt_memtable_iter_create(mt, &io, it);
}

/* Step 1 (engine lock held shared). */
static void scan_plan(thr *t, scan *sc)
{
    view_take(&sc->v);
    sc->m = sc->v.n > 1 && rnd(&t->rs, 2) ? 1 + (int)rnd(&t->rs, (uint64_t)sc->v.n - 1) : 0;
    sc->lo = (uint32_t)rnd(&t->rs, C.keys);
    uint32_t width = 1 + (uint32_t)rnd(&t->rs, MAXW);
    sc->hi = sc->lo + width > C.keys ? C.keys : sc->lo + width;
    sc->snapshot_kind = (int)rnd(&t->rs, 2);
    sc->bounded = rnd(&t->rs, 4) != 0;
    sc->backward = (int)rnd(&t->rs, 2);
    sc->snap = sc->snapshot_kind ? pick_snapshot(&t->rs) : LSMT_MAX_SEQUENCE;
    sc->inc = sc->v.inc[sc->m];
    sc->frozen = sc->m > 0;
    sc->n = 0;
    sc->complete = 0;
    key_make(sc->lob, sc->lo);
    key_make(sc->hib, sc->hi);
}

/* Step 2: what the iteration must show (V5): committed versions of this incarnation. */
static void scan_expect(const scan *sc)
{
    for (uint32_t k = sc->lo; k < sc->hi; k++) {
        khist *h = &g_hist[k];
        int i = (int)(k - sc->lo);
        pthread_mutex_lock(&h->mu);
        t_nmust[i] = 0;
        t_unjudged[i] = hist_truncated(h, sc->snap, sc->inc);
        for (size_t j = 0; j < hist_len(h); j++) {
            ver *x = hist_at(h, j);
            if (x->inc == sc->inc && x->state == V_COMMITTED && x->seq <= sc->snap)
                t_must[i][t_nmust[i]++] = *x;
        }
        pthread_mutex_unlock(&h->mu);
    }
}

static lsmt_memtable_iter *scan_open(thr *t, const scan *sc)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = sc->snapshot_kind ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL;
    io.snapshot = sc->snap;
    if (sc->bounded) {
        io.lower_bound = sc->lob;
        io.lower_len = KEY_LEN;
        io.upper_bound = sc->hib;
        io.upper_len = KEY_LEN;
    }
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = lsmt_memtable_iter_create(sc->v.mt[sc->m], &io, &it);
    if (st != LSMT_OK) {
        violation(t->name, "V8 iter_create on a memtable in the view returned %s",
                  lsmt_status_str(st));
        return NULL;
    }
    return it;
}

/* Step 3, one entry inside the range: strictly ordered in the walk's direction (dir 1
 * ascending, -1 descending), a key at most once for a snapshot scan (V5); recorded. */
static void scan_record(thr *t, scan *sc, seen s, int dir)
{
    size_t n = sc->n;
    if (n > 0 && dir * ent_cmp(t_buf[n - 1].key, t_buf[n - 1].seq, s.key, s.seq) >= 0)
        violation(t->name, "V5 iterator not strictly %s: (%u,%" PRIu64 ") then (%u,%" PRIu64 ")",
                  dir > 0 ? "ascending" : "descending", t_buf[n - 1].key, t_buf[n - 1].seq, s.key,
                  s.seq);
    if (sc->snapshot_kind && n > 0 && t_buf[n - 1].key == s.key)
        violation(t->name, "V5 snapshot iterator yields key %u twice", s.key);
    t_buf[sc->n++] = s;
    t->c.iter_steps++;
}

/* Step 3, the walk's last status: LSMT_END means it saw the whole range. */
static void scan_end(thr *t, scan *sc, lsmt_status st)
{
    if (st == LSMT_END)
        sc->complete = 1;
    else if (st != LSMT_OK)
        violation(t->name, "iterator step returned %s", lsmt_status_str(st));
}

/* One step back from where the forward walk stopped: lands on the last entry seen (on a
 * frozen memtable exactly; on the active one a newer insert may sit between). */
static void scan_prev_after_next(thr *t, const scan *sc, lsmt_memtable_iter *it)
{
    seen cur, s;
    /* (Not for a snapshot iterator on the active memtable: a tombstone at or below
     * the snapshot may land meanwhile and legitimately hide the last key seen.) */
    if (sc->n < 1 || !(sc->frozen || !sc->snapshot_kind) || !lsmt_memtable_iter_valid(it) ||
        !iter_read(t, it, sc->inc, sc->snapshot_kind, sc->snap, &cur))
        return;
    seen a = t_buf[sc->n - 1];
    lsmt_status st = lsmt_memtable_iter_prev(it);
    if (st != LSMT_OK) {
        violation(t->name, "V5 prev after next returned %s", lsmt_status_str(st));
    } else if (iter_read(t, it, sc->inc, sc->snapshot_kind, sc->snap, &s)) {
        int below = sc->snapshot_kind ? s.key < a.key : ent_cmp(s.key, s.seq, a.key, a.seq) < 0;
        int above =
            sc->snapshot_kind ? s.key >= cur.key : ent_cmp(s.key, s.seq, cur.key, cur.seq) >= 0;
        if (below || above || (sc->frozen && (s.key != a.key || s.seq != a.seq)))
            violation(t->name,
                      "V5 %s prev from (%u,%" PRIu64 ") lands on (%u,%" PRIu64
                      "), expected (%u,%" PRIu64 ")%s",
                      sc->snapshot_kind ? "snapshot" : "internal", cur.key, cur.seq, s.key, s.seq,
                      a.key, a.seq, sc->frozen ? " on a frozen memtable" : " or a newer insert");
    }
}

static void scan_forward(thr *t, scan *sc, lsmt_memtable_iter *it)
{
    lsmt_status st = lsmt_memtable_iter_seek(it, sc->lob, KEY_LEN);
    while (st == LSMT_OK && sc->n < MAXSEEN) {
        seen s;
        if (!iter_read(t, it, sc->inc, sc->snapshot_kind, sc->snap, &s))
            break;
        if (s.key >= sc->hi) {
            if (sc->bounded)
                violation(t->name, "V5 iterator passes its upper bound: key %u >= %u", s.key,
                          sc->hi);
            sc->complete = 1;
            break;
        }
        if (s.key < sc->lo)
            violation(t->name, "V5 seek(%u) lands on key %u", sc->lo, s.key);
        scan_record(t, sc, s, 1);
        st = lsmt_memtable_iter_next(it);
        maybe_yield(&t->rs);
    }
    scan_end(t, sc, st);
    scan_prev_after_next(t, sc, it);
}

static void scan_backward(thr *t, scan *sc, lsmt_memtable_iter *it)
{
    lsmt_status st = lsmt_memtable_iter_seek_for_prev(it, sc->hib, KEY_LEN);
    while (st == LSMT_OK && sc->n < MAXSEEN) {
        seen s;
        if (!iter_read(t, it, sc->inc, sc->snapshot_kind, sc->snap, &s))
            break;
        if (s.key >= sc->hi) {
            if (sc->bounded || s.key != sc->hi)
                violation(t->name, "V5 seek_for_prev(%u) lands on key %u", sc->hi, s.key);
            st = lsmt_memtable_iter_prev(it);
            continue;
        }
        if (s.key < sc->lo) {
            if (sc->bounded)
                violation(t->name, "V5 iterator passes its lower bound: key %u < %u", s.key,
                          sc->lo);
            sc->complete = 1;
            break;
        }
        scan_record(t, sc, s, -1);
        st = lsmt_memtable_iter_prev(it);
        maybe_yield(&t->rs);
    }
    scan_end(t, sc, st);
}

/* Step 4, an internal scan: every required version of key k (index i) was shown. */
static void judge_internal(thr *t, const scan *sc, uint32_t k, int i)
{
    for (int q = 0; q < t_nmust[i]; q++) {
        int hit = t_must[i][q].type == VT_RANGE; /* range deletes are not point versions */
        for (size_t j = 0; j < sc->n && !hit; j++)
            hit = t_buf[j].key == k && t_buf[j].seq == t_must[i][q].seq;
        if (!hit)
            violation(t->name,
                      "V5 internal iterator (%s, memtable inc %u) misses key %u seq %" PRIu64
                      " committed before it started",
                      sc->backward ? "backward" : "forward", sc->inc, k, t_must[i][q].seq);
    }
}

/* Step 4, a snapshot scan: key k shows at least the newest version required, and is
 * missing only when a newer tombstone hides it. REQUIRES: h->mu held. */
static void judge_snapshot(thr *t, const scan *sc, uint32_t k, int i, khist *h, int found_any,
                           uint64_t vis)
{
    /* newest committed version <= snap at the start */
    const ver *lb = NULL;
    for (int q = 0; q < t_nmust[i]; q++)
        if (lb == NULL || t_must[i][q].seq > lb->seq)
            lb = &t_must[i][q];
    if (found_any && lb != NULL && vis < lb->seq)
        violation(t->name,
                  "V1/V5 snapshot iterator at %" PRIu64 " shows key %u seq %" PRIu64
                  ", but %" PRIu64 " was committed before it started",
                  sc->snap, k, vis, lb->seq);
    if (!found_any && lb != NULL && lb->type == LSMT_TYPE_PUT) {
        /* hidden only by a newer tombstone (<= snap, same memtable, not failed) */
        int hidden = 0;
        for (size_t j = 0; j < hist_len(h); j++) {
            ver *x = hist_at(h, j);
            hidden |= x->type != LSMT_TYPE_PUT && x->inc == sc->inc && x->state != V_FAILED &&
                      x->seq > lb->seq && x->seq <= sc->snap;
        }
        if (!hidden)
            violation(t->name,
                      "V5 snapshot iterator at %" PRIu64 " (%s, inc %u) misses key %u "
                      "(put seq %" PRIu64 " committed before it started)",
                      sc->snap, sc->backward ? "backward" : "forward", sc->inc, k, lb->seq);
    }
}

/* Step 4: judge completeness (V5) and existence (V4) of key k under its mutex. */
static void scan_judge(thr *t, const scan *sc, uint32_t k)
{
    int i = (int)(k - sc->lo);
    khist *h = &g_hist[k];
    pthread_mutex_lock(&h->mu);
    if (t_unjudged[i] || hist_truncated(h, sc->snap, sc->inc)) {
        /* versions this check needs left the ring meanwhile */
        t->c.unjudged++;
        pthread_mutex_unlock(&h->mu);
        return;
    }
    int found_any = 0;
    uint64_t vis = 0; /* snapshot kind: the version shown */
    for (size_t j = 0; j < sc->n; j++) {
        if (t_buf[j].key != k)
            continue;
        found_any = 1;
        vis = t_buf[j].seq;
        ver *x = hist_find(h, t_buf[j].seq);
        if (x == NULL || x->state == V_FAILED || x->inc != sc->inc || x->type != t_buf[j].type)
            violation(t->name,
                      "V4 iterator shows key %u seq %" PRIu64 " type %u, which is %s in "
                      "inc %u",
                      k, t_buf[j].seq, t_buf[j].type,
                      x == NULL ? "never written" : state_name[x->state], x ? x->inc : 0);
    }
    if (!sc->snapshot_kind)
        judge_internal(t, sc, k, i);
    else
        judge_snapshot(t, sc, k, i, h, found_any, vis);
    pthread_mutex_unlock(&h->mu);
}

static void iterator_op(thr *t)
{
    scan sc;
    pthread_rwlock_rdlock(&E.lock);
    scan_plan(t, &sc);
    scan_expect(&sc);
    lsmt_memtable_iter *it = scan_open(t, &sc);
    if (it == NULL) {
        pthread_rwlock_unlock(&E.lock);
        return;
    }
    t->c.iters++;
    if (!sc.backward)
        scan_forward(t, &sc, it);
    else
        scan_backward(t, &sc, it);
    lsmt_memtable_iter_destroy(it);

    for (uint32_t k = sc.lo; k < sc.hi && sc.complete; k++)
        scan_judge(t, &sc, k);
    pthread_rwlock_unlock(&E.lock);
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

void *iterator_main(void *arg)
{
    thr *t = arg;
    while (!stopping())
        iterator_op(t);
    return NULL;
}
