/* The skip list's searches (readers): first node >= a key, last node before a key, the
 * last node. Each loads links with acquire and never writes (search.h); all but the last
 * run the search step that batch.c interleaves. */
#include "skiplist/finger.h"

/* search_run for one goal, with `kv` a constant: true when k->kv holds, so the compiler
 * drops the custom-comparator and ENCODED branches from the loop. */
HOT const char *search_run_as(const lsmt_skiplist *sl, const skey *k, goal g, ref_t *stop1, bool kv)
{
    search s;
    s.k = *k;
    if (kv) {
        s.k.kv = true; /* as it was: restated so the compiler sees a constant */
        s.k.bytewise = true;
    }
    search_start(sl, &s);
    if (s.m == M_UNKNOWN)
        search_learn_m(sl, &s);
    const char *out;
    ref_t st1 = 0;
    step st;
    while ((st = search_step(sl, &s, g, false, NULL, &out)) != STEP_DONE) {
        if (st == STEP_DOWN && s.level == 0)
            st1 = s.stop != NULL ? node_ref(sl, s.stop) : 0; /* the level-1 stop */
    }
    if (stop1 != NULL) {
        /* a search that ended above level 0 found a node linked there: its level-1 link */
        if (out != NULL && s.level > 0 && g == GOAL_GE && node_height(out) > 1)
            st1 = link_load_acquire(out, 1);
        *stop1 = st1;
    }
    return out;
}

const char *search_run(const lsmt_skiplist *sl, const skey *k, goal g, ref_t *stop1)
{
    /* the common search (a lookup or seek in a KV bytewise list) gets its own copy */
    if (g == GOAL_GE && k->kv)
        return search_run_as(sl, k, GOAL_GE, stop1, true);
    return search_run_as(sl, k, g, stop1, false);
}

const char *find_last(const lsmt_skiplist *sl)
{
    const char *x = head_of(sl);
    unsigned level = list_height(sl) - 1;
    for (;;) {
        const char *nx = next_node(sl, link_load_acquire(x, level));
        if (nx != NULL) {
            x = nx;
            continue;
        }
        if (level == 0)
            return x;
        level--;
    }
}
