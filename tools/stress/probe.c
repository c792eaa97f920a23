/* memtable-stress probe: gets and iterators on any memtable, with no engine lock.
 *
 * Design
 *   The probe picks any slot, holds only that slot's life_mu (so the memtable is not
 *   destroyed under it) and calls the memtable while the rotation may be freezing it,
 *   flushing it or running reset_all on it. It checks only what the API promises then:
 *   a get returns a documented status (its value is not read: a reset may reuse the
 *   memory right after the get); an iterator is either refused with LSMT_BUSY (a reset
 *   runs) or pins the memory, so its entries stay intact and ordered (and reset_all
 *   answers LSMT_BUSY meanwhile: the rotation retries it, counting "busy retries").
 */
#include "stress.h"

/* An internal iterator from key kb on: up to 16 intact, ascending entries. */
static void probe_iter(thr *t, lsmt_memtable *mt, const char *kb)
{
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = iter_internal(mt, &it);
    if (st == LSMT_BUSY) {
        t->c.probe_busy++;
        return;
    }
    if (st != LSMT_OK) {
        violation(t->name, "V8 probe iter_create returned %s", lsmt_status_str(st));
        return;
    }
    /* An open iterator pins the memory: its entries must stay intact. */
    t->c.probe_iters++;
    seen prev = {0, 0, 0};
    int have = 0;
    st = lsmt_memtable_iter_seek(it, kb, KEY_LEN);
    for (int step = 0; st == LSMT_OK && step < 16; step++) {
        seen s;
        if (!iter_read(t, it, 0, 0, 0, &s))
            break;
        if (have && ent_cmp(prev.key, prev.seq, s.key, s.seq) >= 0)
            violation(t->name, "V5 probe iterator not ascending");
        prev = s;
        have = 1;
        st = lsmt_memtable_iter_next(it);
    }
    if (st != LSMT_OK && st != LSMT_END)
        violation(t->name, "probe iterator step returned %s", lsmt_status_str(st));
    lsmt_memtable_iter_destroy(it);
}

void *probe_main(void *arg)
{
    thr *t = arg;
    while (!stopping()) {
        int i = (int)rnd(&t->rs, NSLOTS);
        slot *sl = &E.slots[i];
        pthread_mutex_lock(&sl->life_mu);
        lsmt_memtable *mt = sl->mt;
        if (mt == NULL) {
            pthread_mutex_unlock(&sl->life_mu);
            continue;
        }
        char kb[KEY_LEN + 1];
        uint32_t k = (uint32_t)rnd(&t->rs, C.keys);
        key_make(kb, k);
        if (rnd(&t->rs, 2)) {
            /* The view must not be used: a reset may reuse it right after the get. */
            const void *val;
            size_t vlen;
            lsmt_status st =
                lsmt_memtable_get(mt, kb, KEY_LEN, LSMT_MAX_SEQUENCE, &val, &vlen, NULL);
            t->c.probe_gets++;
            if (st != LSMT_OK && st != LSMT_DELETED && st != LSMT_NOT_FOUND)
                violation(t->name, "V8 probe get returned %s", lsmt_status_str(st));
        } else {
            probe_iter(t, mt, kb);
        }
        pthread_mutex_unlock(&sl->life_mu);
        maybe_yield(&t->rs);
    }
    return NULL;
}
