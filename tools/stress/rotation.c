/* memtable-stress rotation: freeze, install, flush-check, reset_all, reuse or destroy.
 *
 * Design
 *   One thread runs the memtables' life cycle, on a nudge from a writer, when the
 *   active memtable should flush, or every --rotate-ms:
 *     rotate        freeze the active memtable while the writers keep writing (they get
 *                   LSMT_FROZEN and retry), check that a write to it is refused (V8),
 *                   then install a fresh memtable and push the frozen one on the
 *                   immutable list, under the engine lock held exclusively;
 *     flush_oldest  the oldest frozen memtable: its flush iterator yields exactly the
 *                   acknowledged writes (V6), point lookups and stats agree; retire it
 *                   from the view (exclusive lock) and mark its versions FLUSHED; then
 *                   reset_all it, retrying LSMT_BUSY while a probe's iterator is open,
 *                   and check that it is empty and active (V7); sometimes destroy it
 *                   instead of keeping it, giving its arena back to the pool.
 *   One frozen memtable stays in the view for the readers; the rest are flushed. At the
 *   end, main flushes everything once more through flush_oldest.
 */
#include "stress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ack_cmp(const void *a, const void *b)
{
    const ack *x = a, *y = b;
    return ent_cmp(x->key, x->seq, y->key, y->seq);
}

/* The slot's acknowledged writes of all writers, in iteration order; the logs are
 * emptied. Every writer to this memtable finished before it was replaced as active
 * (writers hold the engine lock shared; the switch took it exclusively), so its ack
 * logs are complete and no longer written. */
static ack *flush_collect(slot *sl, size_t *nall)
{
    size_t total = 0;
    for (unsigned w = 0; w < MAX_THREADS; w++)
        total += sl->acks[w].n;
    ack *all = malloc((total ? total : 1) * sizeof(ack));
    size_t n = 0;
    for (unsigned w = 0; w < MAX_THREADS; w++) {
        if (sl->acks[w].n > 0)
            memcpy(all + n, sl->acks[w].v, sl->acks[w].n * sizeof(ack));
        n += sl->acks[w].n;
        sl->acks[w].n = 0;
    }
    qsort(all, n, sizeof(ack), ack_cmp);
    *nall = n;
    return all;
}

/* V6: the internal iterator yields exactly the acknowledged writes. */
static void flush_check_iter(thr *t, lsmt_memtable *mt, uint32_t inc, const ack *all, size_t nall)
{
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = iter_internal(mt, &it);
    if (st != LSMT_OK) {
        violation(t->name, "V8 flush iter_create returned %s", lsmt_status_str(st));
        return;
    }
    size_t j = 0;
    st = lsmt_memtable_iter_seek_to_first(it);
    while (st == LSMT_OK) {
        seen s;
        if (!iter_read(t, it, inc, 0, 0, &s))
            break;
        if (j >= nall) {
            violation(t->name,
                      "V6 flush of inc %u yields key %u seq %" PRIu64
                      " beyond the %zu acknowledged writes",
                      inc, s.key, s.seq, nall);
            break;
        }
        if (s.key != all[j].key || s.seq != all[j].seq || s.type != all[j].type) {
            violation(t->name,
                      "V6 flush of inc %u: entry %zu is (key %u, seq %" PRIu64
                      ", type %u), expected (key %u, seq %" PRIu64 ", type %u)",
                      inc, j, s.key, s.seq, s.type, all[j].key, all[j].seq, all[j].type);
            break;
        }
        j++;
        st = lsmt_memtable_iter_next(it);
    }
    if (st == LSMT_END && j != nall)
        violation(t->name,
                  "V6 flush of inc %u yields %zu entries, %zu writes were acknowledged "
                  "(first missing: key %u seq %" PRIu64 ")",
                  inc, j, nall, all[j].key, all[j].seq);
    else if (st != LSMT_END && st != LSMT_OK)
        violation(t->name, "flush iterator returned %s", lsmt_status_str(st));
    lsmt_memtable_iter_destroy(it);
}

/* Point lookups at the exact sequence find exactly that version (V1); the stats count
 * the acknowledged writes (V6); the memtable validates (V8). */
static void flush_check_points(thr *t, lsmt_memtable *mt, uint32_t inc, const ack *all, size_t nall)
{
    lsmt_status st;
    for (int q = 0; q < 16 && nall > 0; q++) {
        const ack *a = &all[rnd(&t->rs, nall)];
        char kb[KEY_LEN + 1];
        key_make(kb, a->key);
        const void *val = NULL;
        size_t vlen = 0;
        uint64_t so = 0;
        st = lsmt_memtable_get(mt, kb, KEY_LEN, a->seq, &val, &vlen, &so);
        lsmt_status want = a->type == LSMT_TYPE_PUT ? LSMT_OK : LSMT_DELETED;
        if (st != want || so != a->seq)
            violation(t->name,
                      "V1 get(key %u, snapshot %" PRIu64 ") on frozen inc %u: %s seq %" PRIu64,
                      a->key, a->seq, inc, lsmt_status_str(st), so);
    }
    lsmt_memtable_stats ms = {0};
    if (lsmt_memtable_stats_get(mt, &ms) != LSMT_OK || ms.entries != nall)
        violation(t->name, "V6 stats of inc %u: %" PRIu64 " entries, %zu acknowledged", inc,
                  ms.entries, nall);
    if ((st = lsmt_memtable_validate(mt)) != LSMT_OK)
        violation(t->name, "V8 validate of frozen inc %u: %s", inc, lsmt_status_str(st));
}

/* Retire: from now on reads find these versions in the "SST". */
static void flush_retire(slot *sl, const ack *all, size_t nall)
{
    pthread_rwlock_wrlock(&E.lock);
    E.nimm--;
    sl->state = S_FREE;
    for (size_t j = 0; j < nall; j++) {
        khist *h = &g_hist[all[j].key];
        pthread_mutex_lock(&h->mu);
        ver *x = hist_find(h, all[j].seq);
        if (x != NULL)
            x->state = V_FLUSHED;
        pthread_mutex_unlock(&h->mu);
    }
    range_retire(sl);
    pthread_rwlock_unlock(&E.lock);
}

/* reset_all: probes may hold iterators (LSMT_BUSY: retry) or run gets (it waits).
 * Then V7: empty, active, nothing from before is reachable. */
static void flush_reset(thr *t, lsmt_memtable *mt)
{
    lsmt_status st = LSMT_OK;
    uint64_t busy = 0;
    while (!selftest_skip_reset(t->c.resets) && (st = lsmt_memtable_reset_all(mt)) == LSMT_BUSY) {
        busy++;
        sched_yield();
        if (busy > 100000000) {
            violation(t->name, "reset_all BUSY for ever");
            break;
        }
    }
    t->c.reset_busy += busy;
    if (st != LSMT_OK)
        violation(t->name, "reset_all returned %s", lsmt_status_str(st));
    t->c.resets++;
    lsmt_memtable_stats ms = {0};
    if (lsmt_memtable_stats_get(mt, &ms) != LSMT_OK || ms.frozen || lsmt_memtable_should_flush(mt))
        violation(t->name, "V7 after reset_all: frozen %d should_flush %d", ms.frozen,
                  lsmt_memtable_should_flush(mt));
    if (ms.entries != 0)
        violation(t->name, "V7 after reset_all: %" PRIu64 " entries", ms.entries);
    for (int q = 0; q < 8; q++) {
        char kb[KEY_LEN + 1];
        key_make(kb, (uint32_t)rnd(&t->rs, C.keys));
        const void *val;
        size_t vlen;
        st = lsmt_memtable_get(mt, kb, KEY_LEN, LSMT_MAX_SEQUENCE, &val, &vlen, NULL);
        if (st != LSMT_NOT_FOUND)
            violation(t->name, "V7 get after reset_all returned %s", lsmt_status_str(st));
    }
    lsmt_memtable_iter *it = NULL;
    if (iter_internal(mt, &it) == LSMT_OK) {
        if ((st = lsmt_memtable_iter_seek_to_first(it)) != LSMT_END)
            violation(t->name, "V7 iterator after reset_all: seek_to_first %s",
                      lsmt_status_str(st));
        lsmt_memtable_iter_destroy(it);
    }
    if ((st = lsmt_memtable_validate(mt)) != LSMT_OK)
        violation(t->name, "V8 validate after reset_all: %s", lsmt_status_str(st));
}

/* Sometimes give the memory back instead (destroy: the arena returns to the pool). */
static void flush_maybe_destroy(thr *t, slot *sl)
{
    if (rnd(&t->rs, C.fault_rate > 0 ? 2 : 8) != 0)
        return;
    pthread_mutex_lock(&sl->life_mu);
    lsmt_memtable_destroy(sl->mt);
    sl->mt = NULL;
    pthread_mutex_unlock(&sl->life_mu);
    t->c.destroyed++;
    if (rnd(&t->rs, 4) == 0) {
        size_t rel = 0;
        lsmt_arena_pool_trim(E.pool, LSMT_POOL_DISCARD_PAGES, &rel);
        if (C.fault_rate > 0)
            lsmt_arena_pool_trim(E.pool, LSMT_POOL_DESTROY_IDLE, NULL); /* next create maps */
    }
}

/* Flush the oldest frozen memtable: check it (V6), retire it from the view, mark its
 * versions FLUSHED, reset_all it (V7) and return it to the free list. */
void flush_oldest(thr *t)
{
    double t_start = now_s();
    pthread_rwlock_rdlock(&E.lock);
    int i = E.imm[E.nimm - 1];
    uint32_t inc = E.slots[i].inc;
    pthread_rwlock_unlock(&E.lock);
    slot *sl = &E.slots[i];
    lsmt_memtable *mt = sl->mt;
    lsmt_memtable_stats fs;
    if (lsmt_memtable_stats_get(mt, &fs) != LSMT_OK || !fs.frozen)
        violation(t->name, "V8 frozen memtable (slot %d) says it is not frozen", i);

    size_t nall;
    ack *all = flush_collect(sl, &nall);
    flush_check_iter(t, mt, inc, all, nall);
    flush_check_points(t, mt, inc, all, nall);
    range_flush_check(t, sl, mt, inc);
    t->c.flushed_entries += nall;
    double t_checked = now_s();

    flush_retire(sl, all, nall);
    free(all);
    flush_reset(t, mt);
    if (C.verbose)
        printf("flush inc %u: %zu entries, checked in %.1f ms, retired+reset in %.1f ms\n", inc,
               nall, (t_checked - t_start) * 1e3, (now_s() - t_checked) * 1e3);
    flush_maybe_destroy(t, sl);
}

/* V8: a write to a frozen memtable is refused (the sequence number is burnt). */
static void rotate_check_frozen(thr *t, lsmt_memtable *omt)
{
    uint64_t s = atomic_fetch_add_explicit(&g_seq_next, 1, memory_order_relaxed);
    uint8_t val[1024];
    char kb[KEY_LEN + 1];
    uint32_t k = (uint32_t)rnd(&t->rs, C.keys);
    key_make(kb, k);
    size_t vl = value_make(val, k, s, 0);
    lsmt_status st = lsmt_memtable_put(omt, s, kb, KEY_LEN, val, vl);
    if (st != LSMT_FROZEN)
        violation(t->name, "V8 put on a frozen memtable returned %s", lsmt_status_str(st));
}

/* The switch: slot `fresh` becomes active, `old` the newest frozen memtable. */
static void rotate_install(int fresh, int old)
{
    pthread_rwlock_wrlock(&E.lock);
    E.slots[fresh].inc = ++E.inc_counter;
    E.slots[fresh].state = S_ACTIVE;
    E.active = fresh;
    memmove(&E.imm[1], &E.imm[0], (size_t)E.nimm * sizeof(int));
    E.imm[0] = old;
    E.nimm++;
    E.slots[old].state = S_FROZEN;
    uint32_t now_inc = E.inc_counter;
    pthread_rwlock_unlock(&E.lock);
    rotation_installed(now_inc);
}

/* A FREE or EMPTY slot for the next active memtable, with its memtable created; -1 (and
 * counted or reported) if none could be had. */
static int rotate_fresh_slot(thr *t)
{
    /* only the rotation thread changes slot states: reading them here needs no lock
     * against other writers of them, but readers hold the lock shared, so take it */
    int fresh = -1;
    pthread_rwlock_rdlock(&E.lock);
    for (int i = 0; i < NSLOTS && fresh < 0; i++)
        if (E.slots[i].state == S_FREE || E.slots[i].state == S_EMPTY)
            fresh = i;
    pthread_rwlock_unlock(&E.lock);
    if (fresh < 0) {
        violation(t->name, "internal: no free memtable slot");
        return -1;
    }
    if (E.slots[fresh].mt == NULL) {
        lsmt_status st = slot_create(fresh);
        if (st == LSMT_NOMEM && C.fault_rate > 0) {
            t->c.create_nomem++;
            return -1;
        }
        if (st != LSMT_OK) {
            violation(t->name, "memtable_create returned %s", lsmt_status_str(st));
            return -1;
        }
    }
    return fresh;
}

/* Freeze the active memtable and install a fresh one. 0 if no memtable could be made. */
static int rotate(thr *t)
{
    pthread_rwlock_rdlock(&E.lock);
    int nimm = E.nimm;
    pthread_rwlock_unlock(&E.lock);
    if (nimm >= MAX_IMM)
        flush_oldest(t);
    int fresh = rotate_fresh_slot(t);
    if (fresh < 0)
        return 0;
    int old = E.active; /* only this thread changes it */
    lsmt_memtable *omt = E.slots[old].mt;
    /* freeze runs concurrently with the writers: they get LSMT_FROZEN and retry. */
    lsmt_status st = lsmt_memtable_freeze(omt);
    if (st != LSMT_OK)
        violation(t->name, "freeze returned %s", lsmt_status_str(st));
    maybe_yield(&t->rs);
    rotate_check_frozen(t, omt);
    rotate_install(fresh, old);
    t->c.rotations++;
    return 1;
}

void *rotation_main(void *arg)
{
    thr *t = arg;
    double last = now_s();
    while (!stopping()) {
        int wanted = rotation_wait();
        pthread_rwlock_rdlock(&E.lock);
        lsmt_memtable *a = E.slots[E.active].mt;
        pthread_rwlock_unlock(&E.lock);
        if (wanted || lsmt_memtable_should_flush(a) || (now_s() - last) * 1000 >= C.rotate_ms) {
            if (rotate(t))
                last = now_s();
            /* keep one frozen memtable in the view for the readers, flush the rest */
            pthread_rwlock_rdlock(&E.lock);
            int nimm = E.nimm;
            pthread_rwlock_unlock(&E.lock);
            if (nimm > 1)
                flush_oldest(t);
        }
    }
    return NULL;
}
