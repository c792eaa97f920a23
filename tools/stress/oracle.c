/* memtable-stress expected state: what each key's recent versions are, and their fate.
 *
 * Design (as RocksDB's db_stress)
 *   Per key, under its own mutex, a ring of its latest RING versions in sequence order,
 *   each PENDING (write in flight), COMMITTED (the call returned LSMT_OK), FAILED (it
 *   returned an error: must leave no trace) or FLUSHED (its memtable was flushed: the
 *   model serves it as the "SST"). A write registers its versions PENDING and takes
 *   their sequence numbers while it holds all its keys' mutexes (locked in ascending key
 *   order, so writers never deadlock), so each ring is ordered by sequence; it settles
 *   them COMMITTED or FAILED after the call. Readers lock one key at a time to compute
 *   what they must see before they read and to judge what they saw afterwards.
 *   Versions that left the ring make a check unjudgeable (hist_truncated): the checks
 *   skip and count it, never guess.
 */
#include "stress.h"

#include <stdlib.h>

const char *const state_name[] = {"?", "PENDING", "COMMITTED", "FAILED", "FLUSHED"};

khist *g_hist;

void oracle_init(void)
{
    g_hist = calloc(C.keys, sizeof(khist));
    for (unsigned k = 0; k < C.keys; k++)
        pthread_mutex_init(&g_hist[k].mu, NULL);
}

void oracle_destroy(void)
{
    for (unsigned k = 0; k < C.keys; k++)
        pthread_mutex_destroy(&g_hist[k].mu);
    free(g_hist);
}

ver *hist_find(khist *h, uint64_t seq)
{
    for (size_t i = 0; i < hist_len(h); i++)
        if (hist_at(h, i)->seq == seq)
            return hist_at(h, i);
    return NULL;
}

/* true when versions <= s (of incarnation >= min_inc) may have been evicted. */
int hist_truncated(khist *h, uint64_t s, uint32_t min_inc)
{
    if (h->appended <= RING)
        return 0;
    const ver *old = hist_at(h, 0);
    return old->seq <= s ? old->inc >= min_inc && min_inc != 0 : 1;
}

/* Newest version with seq <= s whose state is in `mask` (bit per state) and whose
 * incarnation is `inc` (0 = any). */
ver *hist_newest(khist *h, uint64_t s, unsigned mask, uint32_t inc)
{
    for (size_t i = hist_len(h); i-- > 0;) {
        ver *v = hist_at(h, i);
        if (v->seq <= s && (mask & (1u << v->state)) && (inc == 0 || v->inc == inc))
            return v;
    }
    return NULL;
}

/* Register the versions PENDING and take their sequence numbers under the keys'
 * mutexes (so each key's ring is in sequence order). */
int oracle_register(const uint32_t *keys, const uint8_t *types, unsigned n, uint32_t inc,
                    uint64_t *first)
{
    unsigned locked = 0;
    int room = 1;
    for (; locked < n; locked++) {
        khist *h = &g_hist[keys[locked]];
        pthread_mutex_lock(&h->mu);
        if (h->appended >= RING && h->ring[h->appended % RING].state == V_PENDING)
            room = 0; /* the ring slot to reuse is still in flight: try another op */
    }
    if (room) {
        *first = atomic_fetch_add_explicit(&g_seq_next, n, memory_order_relaxed);
        for (unsigned i = 0; i < n; i++) {
            khist *h = &g_hist[keys[i]];
            h->ring[h->appended % RING] = (ver){*first + i, inc, types[i], V_PENDING};
            h->appended++;
        }
    }
    for (unsigned i = 0; i < locked; i++)
        pthread_mutex_unlock(&g_hist[keys[i]].mu);
    return room;
}

void oracle_settle(const uint32_t *keys, unsigned n, uint64_t first, lsmt_status st)
{
    for (unsigned i = 0; i < n; i++) {
        khist *h = &g_hist[keys[i]];
        pthread_mutex_lock(&h->mu);
        ver *v = hist_find(h, first + i);
        if (v != NULL)
            v->state = st == LSMT_OK ? V_COMMITTED : V_FAILED;
        pthread_mutex_unlock(&h->mu);
    }
}
