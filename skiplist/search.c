/* The skip list's searches (readers): first node >= a key, last node before a key, the
 * last node. Each loads links with acquire and never writes (search.h). find_ge is the
 * plain form of the search step that batch.c interleaves. */
#include "skiplist/finger.h"

void search_start(const lsmt_skiplist *sl, search *s)
{
    s->x = finger_start(sl, &s->k, &s->level);
    s->stop = NULL;
}

const char *find_ge(const lsmt_skiplist *sl, const skey *k)
{
    search s;
    s.k = *k;
    search_start(sl, &s);
    const char *out;
    while (search_step(sl, &s, false, NULL, &out) != STEP_DONE)
        ;
    return out;
}

const char *find_before(const lsmt_skiplist *sl, const skey *k, bool less)
{
    unsigned level;
    const char *x = finger_start(sl, k, &level);
    const char *stop = NULL;
    for (;;) {
        slot_t s = slot_load_acquire(x, level);
        const char *nx = next_node(sl, slot_ref(s));
        search_prefetch(sl, x, nx, level, k);
        if (nx != NULL && nx != stop) {
            int c = succ_cmp(sl, k, s, nx, level);
            if (c < 0 || (!less && c == 0)) {
                x = nx;
                continue;
            }
        }
        if (level == 0)
            return x;
        stop = nx;
        level--;
    }
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
