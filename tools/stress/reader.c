/* memtable-stress readers: engine reads with get and multi_get, judged against the
 * expected state (V1-V4).
 *
 * Design
 *   One read, holding the engine lock shared throughout (so the view, and the FLUSHED
 *   state that changes only under the exclusive lock, stay consistent with each other):
 *     1. pick 1 key, or 4, or 40 (more than multi_get's 32-key chunk of interleaved
 *        seeks), and a snapshot (latest, an older one, or LSMT_MAX_SEQUENCE);
 *     2. before reading, per key under its mutex: the newest COMMITTED/FLUSHED version
 *        at the snapshot, which the read MUST at least see (V1);
 *     3. read as an engine does: the active memtable, then the frozen ones newest first,
 *        each answering only the keys the newer ones did not (values checked: V4);
 *     4. keys no memtable had come from the "SST" (the FLUSHED versions of the model);
 *        then judge every answer under its key's mutex: V1, V3, V4, and V2 against what
 *        this reader had seen before (thr.last_seen).
 *   A check whose versions left the ring meanwhile is counted "unjudged", never guessed.
 */
#include "stress.h"

#include <inttypes.h>
#include <stdlib.h>

enum { NK = 40 }; /* > 32: multi_get's chunk, so one call spans two */

typedef struct answer {
    lsmt_status st; /* OK, DELETED or NOT_FOUND */
    uint64_t seq;   /* version found (0 for NOT_FOUND / a DELETED from multi_get) */
    int from;       /* view index it came from; -1: the SST */
} answer;

/* One read: its keys and snapshot, what it must see and what it saw. */
typedef struct read_op {
    unsigned nk;
    uint32_t keys[NK];
    char kbuf[NK][KEY_LEN + 1];
    const void *kp[NK];
    size_t kl[NK];
    view v;
    uint64_t snap;
    uint64_t must[NK]; /* V1: newest committed/flushed version <= snap before the read */
    int judged[NK];
    answer ans[NK];
    uint64_t before[NK]; /* V2: what this reader had seen of each key before the call */
} read_op;

/* Step 1: the keys. */
static void read_pick(thr *t, read_op *r)
{
    r->nk = 1;
    if (rnd(&t->rs, 4) == 0)
        r->nk = rnd(&t->rs, 4) == 0 ? NK : 4;
    for (unsigned i = 0; i < r->nk; i++)
        r->keys[i] = (uint32_t)rnd(&t->rs, C.keys);
    for (unsigned i = 0; i < r->nk; i++) {
        key_make(r->kbuf[i], r->keys[i]);
        r->kp[i] = r->kbuf[i];
        r->kl[i] = KEY_LEN;
    }
}

/* Step 2: what the read must see (V1). */
static void read_bounds(read_op *r)
{
    for (unsigned i = 0; i < r->nk; i++) {
        khist *h = &g_hist[r->keys[i]];
        pthread_mutex_lock(&h->mu);
        ver *lb = hist_newest(h, r->snap, 1u << V_COMMITTED | 1u << V_FLUSHED, 0);
        r->must[i] = lb ? lb->seq : 0;
        /* judgeable when nothing was evicted, or the bound itself is still in the ring
         * (then every newer version is too) */
        r->judged[i] = h->appended <= RING || lb != NULL;
        pthread_mutex_unlock(&h->mu);
    }
}

/* Step 3, one memtable of the view (index m): answers the keys newer ones did not.
 * Returns 0 when the read must stop (multi_get failed). */
static int read_memtable(thr *t, read_op *r, int m, unsigned *left)
{
    unsigned nk = r->nk;
    lsmt_status sts[NK];
    const void *vals[NK];
    size_t vlens[NK];
    uint64_t seqs[NK] = {0};
    if (nk == 1) {
        sts[0] = lsmt_memtable_get(r->v.mt[m], r->kp[0], r->kl[0], r->snap, &vals[0], &vlens[0],
                                   &seqs[0]);
        t->c.gets++;
    } else {
        lsmt_status st =
            lsmt_memtable_multi_get(r->v.mt[m], nk, r->kp, r->kl, r->snap, sts, vals, vlens);
        t->c.multigets++;
        if (st != LSMT_OK) {
            violation(t->name, "multi_get returned %s", lsmt_status_str(st));
            return 0;
        }
    }
    for (unsigned i = 0; i < nk; i++) {
        answer *a = &r->ans[i];
        if (a->st != LSMT_NOT_FOUND || a->from >= 0)
            continue; /* already answered by a newer memtable */
        if (sts[i] == LSMT_NOT_FOUND)
            continue;
        if (sts[i] != LSMT_OK && sts[i] != LSMT_DELETED) {
            violation(t->name, "get key %u snap %" PRIu64 " returned %s", r->keys[i], r->snap,
                      lsmt_status_str(sts[i]));
            a->from = m;
            (*left)--;
            continue;
        }
        if (sts[i] == LSMT_OK) {
            uint64_t s = nk == 1 ? seqs[i] : (vlens[i] >= VAL_MIN ? value_seq(vals[i]) : 0);
            const char *why = value_check(vals[i], vlens[i], r->keys[i], s, r->v.inc[m]);
            if (why)
                violation(t->name,
                          "V4 get key %u snap %" PRIu64 " seq %" PRIu64
                          " from memtable slot %d inc %u: %s",
                          r->keys[i], r->snap, s, r->v.slot[m], r->v.inc[m], why);
            seqs[i] = s;
        }
        *a = (answer){sts[i], seqs[i], m};
        (*left)--;
    }
    return 1;
}

/* Step 4a: a key no memtable has is answered by the SST (the model's flushed versions);
 * then the answer is counted. REQUIRES: h->mu held. */
static void read_sst(thr *t, const read_op *r, khist *h, answer *a)
{
    if (a->from < 0) {
        ver *f = hist_newest(h, r->snap, 1u << V_FLUSHED, 0);
        if (f != NULL) {
            a->st = f->type == LSMT_TYPE_PUT ? LSMT_OK : LSMT_DELETED;
            a->seq = f->seq;
            t->c.sst_hits++;
        }
    }
    if (a->st == LSMT_OK)
        t->c.found++;
    else if (a->st == LSMT_DELETED)
        t->c.deleted++;
    else
        t->c.not_found++;
}

/* multi_get's DELETED has no sequence: some non-failed tombstone in [must, snap] of that
 * memtable must exist. REQUIRES: h->mu held. */
static void judge_tombstone(thr *t, const read_op *r, unsigned i, khist *h)
{
    const answer *a = &r->ans[i];
    int ok = 0;
    for (size_t j = 0; j < hist_len(h); j++) {
        ver *x = hist_at(h, j);
        ok |= x->type != LSMT_TYPE_PUT && x->state != V_FAILED && x->seq <= r->snap &&
              x->seq >= r->must[i] && x->inc == r->v.inc[a->from];
    }
    if (!ok && h->appended > RING)
        t->c.unjudged++; /* the tombstone may have left the ring */
    else if (!ok)
        violation(t->name,
                  "V1/V4 key %u snap %" PRIu64 ": multi_get says DELETED, but no "
                  "tombstone >= %" PRIu64 " exists in memtable inc %u",
                  r->keys[i], r->snap, r->must[i], r->v.inc[a->from]);
}

/* Step 4b: V1, V3, V4 for key i. REQUIRES: h->mu held. */
static void judge_answer(thr *t, const read_op *r, unsigned i, khist *h)
{
    const answer *a = &r->ans[i];
    uint32_t key = r->keys[i];
    uint64_t snap = r->snap, must = r->must[i];
    if (a->seq > snap && !(a->st == LSMT_DELETED && a->seq == 0))
        violation(t->name, "V3 key %u: snapshot %" PRIu64 " shows version %" PRIu64, key, snap,
                  a->seq);
    if (a->st == LSMT_DELETED && a->seq == 0) {
        judge_tombstone(t, r, i, h);
    } else if (a->st == LSMT_NOT_FOUND) {
        if (must != 0)
            violation(t->name,
                      "V1 key %u snap %" PRIu64 ": NOT_FOUND, but version %" PRIu64
                      " was committed before the read",
                      key, snap, must);
    } else {
        ver *x = hist_find(h, a->seq);
        if (a->seq < must)
            violation(t->name,
                      "V1 key %u snap %" PRIu64 ": read version %" PRIu64 " (%s), but %" PRIu64
                      " was committed before the read",
                      key, snap, a->seq, a->from < 0 ? "sst" : "memtable", must);
        else if (x == NULL)
            violation(t->name, "V4 key %u snap %" PRIu64 ": version %" PRIu64 " never written", key,
                      snap, a->seq);
        else if (x->state == V_FAILED)
            violation(t->name, "V4 key %u: version %" PRIu64 " is visible but its write failed",
                      key, a->seq);
        else if ((x->type == LSMT_TYPE_PUT) != (a->st == LSMT_OK))
            violation(t->name, "V4 key %u: version %" PRIu64 " is a %s but get said %s", key,
                      a->seq, x->type == LSMT_TYPE_PUT ? "put" : "delete", lsmt_status_str(a->st));
        else if (a->from >= 0 && x->inc != r->v.inc[a->from])
            violation(t->name, "V4 key %u: version %" PRIu64 " written to inc %u found in inc %u",
                      key, a->seq, x->inc, r->v.inc[a->from]);
    }
}

/* Step 4: judge key i's answer. */
static void read_judge(thr *t, read_op *r, unsigned i)
{
    khist *h = &g_hist[r->keys[i]];
    pthread_mutex_lock(&h->mu);
    answer *a = &r->ans[i];
    read_sst(t, r, h, a);
    if (!r->judged[i] ||
        (r->must[i] != 0 && h->appended > RING && hist_at(h, 0)->seq > r->must[i]) ||
        (a->seq != 0 && h->appended > RING && hist_at(h, 0)->seq > a->seq)) {
        /* what the check needs left the ring meanwhile */
        t->c.unjudged++;
        pthread_mutex_unlock(&h->mu);
        return;
    }
    judge_answer(t, r, i, h);
    /* V2: monotonic reads for this reader, against what it had seen before this
     * call: the lookups of one multi_get are concurrent with each other (memtable.h),
     * so two positions holding the same key may differ while a write of it lands */
    uint64_t last = r->before[i];
    if (r->snap >= last && a->seq < last && !(a->st == LSMT_DELETED && a->seq == 0))
        violation(t->name,
                  "V2 key %u: read version %" PRIu64 " at snapshot %" PRIu64
                  " after having read version %" PRIu64,
                  r->keys[i], a->seq, r->snap, last);
    if (a->seq > t->last_seen[r->keys[i]] && a->seq <= r->snap)
        t->last_seen[r->keys[i]] = a->seq;
    pthread_mutex_unlock(&h->mu);
}

static void reader_op(thr *t)
{
    read_op r;
    read_pick(t, &r);

    pthread_rwlock_rdlock(&E.lock);
    view_take(&r.v);
    r.snap = pick_snapshot(&t->rs);
    read_bounds(&r);
    maybe_yield(&t->rs);

    for (unsigned i = 0; i < r.nk; i++) {
        r.ans[i] = (answer){LSMT_NOT_FOUND, 0, -1};
        r.before[i] = t->last_seen[r.keys[i]];
    }
    unsigned left = r.nk;
    for (int m = 0; m < r.v.n && left > 0; m++)
        if (!read_memtable(t, &r, m, &left))
            break;
    /* Keys no memtable has: the SST (flushed versions) answers, from the model. Then
     * judge every answer. Flushed state changes only under the exclusive lock, which
     * we exclude, so the memtables and the SST were consistent with each other. */
    for (unsigned i = 0; i < r.nk; i++)
        read_judge(t, &r, i);
    pthread_rwlock_unlock(&E.lock);
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

void *reader_main(void *arg)
{
    thr *t = arg;
    t->last_seen = calloc(C.keys, sizeof(uint64_t));
    while (!stopping())
        reader_op(t);
    free(t->last_seen);
    return NULL;
}
