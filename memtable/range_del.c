/* Range tombstones: the write, the cached fragmented view, the flush iterator and the
 * lifecycle hooks (see lsmt/range_del.h for the contract, memtable/range_del.h for the
 * layout).
 *
 * Write. delete_range encodes one node in rsl (key = begin, version = seq, value =
 * end), bumps the generation rt_started (R4, memtable.c), and links the node with the
 * skip list's lock-free insert, which makes a second (begin, seq) LSMT_EXISTS. Then it
 * pushes the node on the recent stack rt_recent (S1, range_del.h) and increments
 * rt_count with release (R1). If the cached view now lags the stack by more
 * than lsmt_rt_lag_max and readers have been checking the tombstones it lacks
 * (rt_view_wanted), the writer rebuilds it (lsmt_mt_range_after_write): with reads
 * between the writes, the writers pay for the rebuilds, once per lsmt_rt_lag_max
 * tombstones, not the gets; a burst of writes with no read between builds nothing.
 *
 * Read. lsmt_mt_range_covering_seq loads rt_count (acquire); 0 means no tombstone and
 * returns at once. Otherwise the slow path loads the stack's top (acquire), then the
 * cached view (rt_frag, acquire). The answer is the view's lookup plus a direct check of
 * every stack entry above the view's count (the tombstones it may lack). When there is
 * no view, or it lags by more than twice lsmt_rt_lag_max (after a burst of writes, or a
 * writer's rebuild failed or is still running), the reader rebuilds: loads the top
 * again, scans rsl, fragments the tombstones (fragment.c) and publishes the result with
 * a release CAS that succeeds only over the view it loaded before its scan (F4,
 * view_get: so a view holds every tombstone of the one it replaced). The view it
 * replaced goes to call_rcu: freed after every read section that could hold it has
 * ended. A builder whose CAS loses frees its own, never-published view at once and uses
 * the winner if it was built at a count >= the one it needs, else builds again.
 * Why R1 holds: delete_range links its node, pushes it, then increments rt_count with
 * release; a get that starts after it returned loads a count that includes it (the
 * increments form a release sequence, so the acquire load synchronises with every
 * increment it counts), so its load of the top sees the push: the tombstone is either
 * at or below the view's count (in the view, by S1) or above it (checked directly).
 * If a view cannot be built (malloc failed), the reader scans rsl itself: O(T), correct.
 *
 * Reclamation. The view holds no pointer into the memtable: its callback only frees
 * it, so it may run after reset_all or destroy. reset_all and destroy free the current
 * view directly (no reader in flight then). Under ThreadSanitizer, every reader releases
 * rt_tsan_token after its last access to a view and the callback acquires it first:
 * the edge call_rcu's grace period provides, which TSan cannot see inside liburcu.
 */
#include <stdlib.h>

#include "arena/concurrent_internal.h"
#include "memtable/range_del.h"
#include "skiplist/skiplist_internal.h"

#if defined(LSMT_RCU_BP)
#define RT_CALL_RCU urcu_bp_call_rcu
#else
#define RT_CALL_RCU urcu_memb_call_rcu
#endif

/* TSan only: orders every reader's accesses to a view before its reclamation. */
static char rt_tsan_token;

/* Decode one rsl node (its value region is the end key, then mt->prot checksum bytes). */
static void tomb_decode(const lsmt_memtable *mt, const lsmt_skiplist_node *n, lsmt_rt_tomb *t,
                        unsigned *tag)
{
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(n, &se);
    t->begin = se.key;
    t->blen = se.klen;
    t->end = se.value;
    t->elen = se.vlen >= mt->prot ? se.vlen - mt->prot : 0;
    t->seq = se.version;
    if (tag != NULL)
        *tag = se.tag;
}

/* Protection (protect.h) of one rsl node: LSMT_OK, or LSMT_CORRUPTION when its checksum
 * (begin, the tail word, end; seeded with the range-delete tag) does not match or its
 * bytes would reach outside the arena (checked first). LSMT_OK when protection is off.
 * Checked where the tombstones leave the memtable for an SSTable (the range-del
 * iterators) and by validate. */
static lsmt_status tomb_verify(const lsmt_memtable *mt, const lsmt_skiplist_node *n)
{
    if (mt->prot == 0)
        return LSMT_OK;
    lsmt_skiplist_entry se;
    lsmt_skiplist_node_entry(n, &se);
    if (se.tag != LSMT_MT_TAG_RANGE_DEL || se.vlen < mt->prot)
        return LSMT_CORRUPTION;
    uintptr_t k = (uintptr_t)se.key, c = (uintptr_t)se.value + se.vlen - mt->prot;
    if (k < mt->arena_lo || c < k || c > mt->arena_hi - mt->prot || se.klen > c - k ||
        c - k - se.klen < LSMT_PROT_TAIL_BYTES)
        return LSMT_CORRUPTION;
    uint64_t h = lsmt_prot_hash(se.key, (size_t)(c - k), LSMT_MT_TAG_RANGE_DEL);
    return lsmt_prot_match((const unsigned char *)c, mt->prot, h) ? LSMT_OK : LSMT_CORRUPTION;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

lsmt_status lsmt_mt_range_create(lsmt_memtable *mt)
{
    lsmt_skiplist_options so;
    lsmt_skiplist_options_default(&so);
    so.arena = mt->arena;
    so.compare = mt->cmp == lsmt_bytewise_compare ? NULL : mt->cmp;
    so.compare_ctx = mt->cmp_ctx;
    so.finger_bytes = SIZE_MAX; /* no finger table: range deletes are rare */
    lsmt_status st = lsmt_skiplist_create(&so, &mt->rsl);
    if (st != LSMT_OK)
        return st;
    /* relaxed: the memtable is published to other threads by the caller. */
    atomic_store_explicit(&mt->rt_count, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_started, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_frag, NULL, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_recent, NULL, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_view_bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_view_builds, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_view_wanted, false, memory_order_relaxed);
    return LSMT_OK;
}

void lsmt_mt_range_reset(lsmt_memtable *mt)
{
    lsmt_skiplist_reset(mt->rsl);
    /* relaxed: no operation is in flight (reset_all's grace period); its release store
     * of the state word publishes these. */
    lsmt_rt_frag *f = atomic_load_explicit(&mt->rt_frag, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_frag, NULL, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_count, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_recent, NULL, memory_order_relaxed); /* arena was reset */
    atomic_store_explicit(&mt->rt_view_bytes, 0, memory_order_relaxed);
    atomic_store_explicit(&mt->rt_view_wanted, false, memory_order_relaxed);
    lsmt_rt_frag_free(f);
}

void lsmt_mt_range_destroy(lsmt_memtable *mt)
{
    if (mt->rsl == NULL)
        return;
    /* relaxed: no call in flight (destroy's contract). */
    lsmt_rt_frag_free(atomic_load_explicit(&mt->rt_frag, memory_order_relaxed));
    lsmt_skiplist_destroy(mt->rsl);
    mt->rsl = NULL;
}

uint64_t lsmt_mt_range_count(const lsmt_memtable *mt)
{
    /* relaxed: a statistic. */
    return atomic_load_explicit(&mt->rt_count, memory_order_relaxed);
}

size_t lsmt_mt_range_memory(const lsmt_memtable *mt)
{
    lsmt_skiplist_stats ss;
    lsmt_skiplist_stats_get(mt->rsl, &ss);
    /* relaxed: a statistic. */
    return ss.memory_bytes + atomic_load_explicit(&mt->rt_view_bytes, memory_order_relaxed);
}

lsmt_status lsmt_mt_range_validate(const lsmt_memtable *mt)
{
    size_t count = 0;
    if (lsmt_skiplist_validate(mt->rsl, &count) != LSMT_OK)
        return LSMT_CORRUPT;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->rsl);
    uint64_t n = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        lsmt_rt_tomb t;
        unsigned tag;
        tomb_decode(mt, lsmt_skiplist_iter_node(&it), &t, &tag);
        if (tomb_verify(mt, lsmt_skiplist_iter_node(&it)) != LSMT_OK ||
            tag != LSMT_MT_TAG_RANGE_DEL || t.seq > LSMT_MAX_SEQUENCE ||
            t.blen > LSMT_MEMTABLE_MAX_KEY_LEN || t.elen > LSMT_MEMTABLE_MAX_KEY_LEN ||
            mt->cmp(mt->cmp_ctx, t.begin, t.blen, t.end, t.elen) >= 0)
            return LSMT_CORRUPT;
        n++;
    }
    /* relaxed: validate runs with no write in flight (its contract). */
    const lsmt_rt_frag *f = atomic_load_explicit(&mt->rt_frag, memory_order_relaxed);
    /* the recent stack: one entry per tombstone, idx n .. 1 from the top (S1) */
    uint64_t depth = 0;
    for (const lsmt_rt_recent *e = atomic_load_explicit(&mt->rt_recent, memory_order_relaxed);
         e != NULL; e = e->next, depth++) {
        if (depth >= n || e->idx != n - depth)
            return LSMT_CORRUPT;
    }
    if (depth != n || n != count || n != lsmt_mt_range_count(mt) ||
        (f != NULL && (f->count > n || lsmt_rt_frag_check(f, mt->cmp, mt->cmp_ctx) != 0)))
        return LSMT_CORRUPT;
    return LSMT_OK;
}

/* ---- writes ------------------------------------------------------------------------------ */

lsmt_status lsmt_memtable_delete_range(lsmt_memtable *mt, uint64_t seq, const void *begin,
                                       size_t blen, const void *end, size_t elen)
{
    if (mt == NULL || lsmt_mt_bad_key(begin, blen) || lsmt_mt_bad_key(end, elen))
        return LSMT_INVALID;
    if (seq > LSMT_MAX_SEQUENCE)
        return LSMT_RANGE;
    if (mt->cmp(mt->cmp_ctx, begin, blen, end, elen) >= 0)
        return LSMT_INVALID; /* empty or inverted */
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    lsmt_status st = lsmt_mt_writable(mt);
    if (st == LSMT_OK) {
        lsmt_skiplist_node *node;
        lsmt_rt_recent *e = NULL;
        st = lsmt_mt_range_recent_alloc(mt, &e);
        if (st == LSMT_OK)
            st = lsmt_mt_encode_in(mt, mt->rsl, seq, LSMT_MT_TAG_RANGE_DEL, begin, blen, end, elen,
                                   &node);
        if (st == LSMT_OK) {
            lsmt_mt_rt_begin(mt); /* before the link (R4) */
            st = lsmt_sl_node_insert_hooked(mt->rsl, node, NULL, NULL);
        }
        if (st == LSMT_OK) {
            lsmt_mt_range_recent_push(mt, e, node);
            /* release: publishes the linked, pushed node to every reader whose acquire
             * load of the count includes this increment (R1; lsmt_mt_range_covering_seq). */
            atomic_fetch_add_explicit(&mt->rt_count, 1, memory_order_release);
            lsmt_mt_range_after_write(mt);
        }
        lsmt_mt_note_full(mt, st); /* invariant 5: FULL implies should_flush */
    }
    lsmt_mt_end(mt);
    return st;
}

lsmt_status lsmt_mt_range_recent_alloc(lsmt_memtable *mt, lsmt_rt_recent **e)
{
    void *p;
    lsmt_status st =
        lsmt_sharded_arena_alloc(mt->arena, sizeof(lsmt_rt_recent), _Alignof(lsmt_rt_recent), &p);
    *e = st == LSMT_OK ? p : NULL;
    return st;
}

void lsmt_mt_range_recent_push(lsmt_memtable *mt, lsmt_rt_recent *e, const lsmt_skiplist_node *node)
{
    lsmt_rt_tomb t;
    tomb_decode(mt, node, &t, NULL);
    e->node = node;
    e->seq = t.seq;
    e->bpfx = lsmt_rt_key_prefix(t.begin, t.blen);
    e->epfx = lsmt_rt_key_prefix(t.end, t.elen);
    /* acquire: we read the top's idx below (pairs with the release CAS that pushed it) */
    lsmt_rt_recent *top = atomic_load_explicit(&mt->rt_recent, memory_order_acquire);
    do {
        e->next = top;
        e->idx = (top != NULL ? top->idx : 0) + 1;
        /* release: publishes e's fields and (S1) the node linked before it to readers
         * that acquire the top; acquire (also on failure): the fields of the top we read
         * (its idx) and, by the chain of these RMWs, of every entry below it. */
    } while (!atomic_compare_exchange_weak_explicit(&mt->rt_recent, &top, e, memory_order_acq_rel,
                                                    memory_order_acquire));
}

/* ---- the cached view ------------------------------------------------------------------ */

/* Every tombstone in rsl, in (begin asc, seq desc) order, into a malloc'd array. bad (may
 * be NULL): incremented for every tombstone whose checksum fails (tomb_verify). */
static lsmt_rt_tomb *scan_all(lsmt_memtable *mt, uint64_t hint, size_t *n_out, size_t *bad)
{
    size_t cap = hint > 16 ? (size_t)hint + 16 : 32, n = 0;
    lsmt_rt_tomb *t = malloc(cap * sizeof *t);
    if (t == NULL)
        return NULL;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->rsl);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        if (n == cap) {
            lsmt_rt_tomb *g =
                cap < SIZE_MAX / 2 / sizeof *t ? realloc(t, 2 * cap * sizeof *t) : NULL;
            if (g == NULL) {
                free(t);
                return NULL;
            }
            t = g;
            cap *= 2;
        }
        if (bad != NULL && tomb_verify(mt, lsmt_skiplist_iter_node(&it)) != LSMT_OK)
            (*bad)++;
        tomb_decode(mt, lsmt_skiplist_iter_node(&it), &t[n++], NULL);
    }
    *n_out = n;
    return t;
}

/* A view of everything linked into rsl, labelled with a count loaded before the scan. */
/* bad: as scan_all's. */
static lsmt_rt_frag *build_view(lsmt_memtable *mt, size_t *bad)
{
    /* acquire: every tombstone at or below this top was linked before the scan below
     * (S1; pairs with the release CAS of lsmt_mt_range_recent_push). */
    const lsmt_rt_recent *top = atomic_load_explicit(&mt->rt_recent, memory_order_acquire);
    uint64_t count = top != NULL ? top->idx : 0;
    size_t n = 0;
    lsmt_rt_tomb *t = scan_all(mt, count, &n, bad);
    if (t == NULL)
        return NULL;
    lsmt_rt_frag *f = lsmt_rt_fragment_build(t, n, mt->cmp, mt->cmp_ctx);
    free(t);
    if (f != NULL)
        f->count = count;
    /* relaxed: a statistic (the tests' count of rebuilds) */
    atomic_fetch_add_explicit(&mt->rt_view_builds, 1, memory_order_relaxed);
    return f;
}

static void view_reclaim(struct rcu_head *head)
{
    /* every reader released the token after its last access; the grace period that
     * ran before this callback waited for them all (TSan cannot see it in liburcu) */
    LSMT_TSAN_ACQUIRE(&rt_tsan_token);
    lsmt_rt_frag_free(caa_container_of(head, lsmt_rt_frag, rcu));
}

/* A view built at a count >= `count`, NULL if none could be built. Inside a read
 * section; the result stays valid until the section ends.
 * F4 (monotone views): a view is published only over the very view this reader loaded
 * (acquire) before its scan, so it holds every tombstone of the view it replaces: those
 * were linked before that view's publication, which happens-before our load, which
 * precedes our scan. A reader whose CAS loses to a view still built at a lower count
 * than it needs builds again (scanning after loading the winner) rather than publish
 * over tombstones it may have missed: a tombstone still in flight (linked, not yet
 * counted) that one get saw through the cached view then stays in it for every later
 * one (R4, memtable.c lsmt_memtable_get). */
static const lsmt_rt_frag *view_get(lsmt_memtable *mt, uint64_t count)
{
    /* acquire (rcu_dereference): the view's contents, written before its publication
     * (pairs with the release CAS below); F4: our scan starts after this load. */
    lsmt_rt_frag *cur = atomic_load_explicit(&mt->rt_frag, memory_order_acquire);
    for (;;) {
        if (LSMT_LIKELY(cur != NULL && cur->count >= count))
            return cur;
        size_t bad = 0;
        lsmt_rt_frag *mine = build_view(mt, &bad);
        if (mine == NULL)
            return NULL;
        mine->corrupt = bad != 0;          /* written before its publication, like every field */
        LSMT_ASSERT(mine->count >= count); /* the count never drops outside reset_all */
        lsmt_rt_frag *loaded = cur;
        /* strong CAS (rcu_assign_pointer over the view we loaded): release publishes
         * mine's contents to the acquire loads above; acquire on failure: the winner's
         * contents, which we may then use or scan after (F4). No ABA: `loaded` cannot be
         * freed and reused while our read section holds it. */
        if (atomic_compare_exchange_strong_explicit(&mt->rt_frag, &cur, mine, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            if (loaded != NULL)
                RT_CALL_RCU(&loaded->rcu, view_reclaim); /* readers may still hold it */
            /* relaxed: a statistic; two publishers may store out of order, and the next
             * publication corrects it */
            atomic_store_explicit(&mt->rt_view_bytes, mine->bytes, memory_order_relaxed);
            return mine;
        }
        /* another reader published cur meanwhile: never published, no reader holds mine */
        lsmt_rt_frag_free(mine);
        /* the loop's top uses cur if it serves this read, else builds again (F4) */
    }
}

/* The answer without a view: scan rsl. O(T); only when memory for a view ran out. */
static int covering_scan(lsmt_memtable *mt, const void *key, size_t klen, uint64_t snapshot,
                         uint64_t *seq)
{
    bool found = false;
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, mt->rsl);
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it)) {
        lsmt_rt_tomb t;
        if (tomb_verify(mt, lsmt_skiplist_iter_node(&it)) != LSMT_OK)
            return LSMT_RT_CORRUPT;
        tomb_decode(mt, lsmt_skiplist_iter_node(&it), &t, NULL);
        if (mt->cmp(mt->cmp_ctx, t.begin, t.blen, key, klen) > 0)
            break; /* sorted by begin: no later tombstone starts at or before key */
        if (t.seq <= snapshot && (!found || t.seq > *seq) &&
            mt->cmp(mt->cmp_ctx, key, klen, t.end, t.elen) < 0) {
            *seq = t.seq;
            found = true;
        }
    }
    return found ? LSMT_RT_COVERED : LSMT_RT_NONE;
}

/* Raise (*found, *seq) with the tombstones of the stack entries from `top` down to the
 * first at or below `upto` that cover key at snapshot: LSMT_RT_NONE, or LSMT_RT_CORRUPT
 * when protection is on and one of them fails its checksum -- any of them, as a view
 * built over a damaged tombstone answers LSMT_RT_CORRUPT to every lookup: a damaged
 * begin or end could cover any key. The entries' fields were published before `top`
 * (S1). Bytewise: the prefixes settle most entries without reading the node. */
static int recent_covering(lsmt_memtable *mt, const lsmt_rt_recent *top, uint64_t upto,
                           const void *key, size_t klen, uint64_t snapshot, bool *found,
                           uint64_t *seq)
{
    const bool bytewise = mt->cmp == lsmt_bytewise_compare;
    const uint64_t kp = bytewise ? lsmt_rt_key_prefix(key, klen) : 0;
    for (const lsmt_rt_recent *e = top; e != NULL && e->idx > upto; e = e->next) {
        if (LSMT_UNLIKELY(mt->prot != 0) && tomb_verify(mt, e->node) != LSMT_OK)
            return LSMT_RT_CORRUPT;
        if (e->seq > snapshot || (*found && e->seq <= *seq))
            continue; /* invisible, or no newer than what we have */
        if (bytewise && (kp < e->bpfx || kp > e->epfx))
            continue; /* key < begin, or key > end */
        lsmt_rt_tomb t;
        tomb_decode(mt, e->node, &t, NULL);
        bool after_begin = bytewise && kp != e->bpfx
                               ? true /* kp > bpfx */
                               : mt->cmp(mt->cmp_ctx, t.begin, t.blen, key, klen) <= 0;
        bool before_end = bytewise && kp != e->epfx
                              ? true /* kp < epfx */
                              : mt->cmp(mt->cmp_ctx, key, klen, t.end, t.elen) < 0;
        if (!after_begin || !before_end)
            continue;
        if (t.seq != e->seq)
            return LSMT_RT_CORRUPT; /* the node's sequence changed after its push */
        *seq = t.seq;
        *found = true;
    }
    return LSMT_RT_NONE;
}

int lsmt_mt_range_covering_slow(lsmt_memtable *mt, const void *key, size_t klen, uint64_t snapshot,
                                uint64_t *seq)
{
    /* acquire: S1 for every entry at or below it (pairs with the push's release CAS) */
    const lsmt_rt_recent *top = atomic_load_explicit(&mt->rt_recent, memory_order_acquire);
    uint64_t upto = top != NULL ? top->idx : 0;
    /* acquire (rcu_dereference): the view's contents (pairs with view_get's release CAS) */
    const lsmt_rt_frag *f = atomic_load_explicit(&mt->rt_frag, memory_order_acquire);
    uint64_t have = f != NULL ? f->count : 0;
    if (upto > have && upto - have > 2 * lsmt_rt_lag_max(have)) {
        /* far behind (or none and many tombstones): this reader rebuilds */
        f = view_get(mt, upto);
        if (f == NULL)
            return covering_scan(mt, key, klen, snapshot, seq);
        have = f->count;
    }
    /* relaxed: a hint to the writers (rt_view_wanted); written only when clear, so the
     * shared line is dirtied once per rebuild, not per get */
    if (upto > have && !atomic_load_explicit(&mt->rt_view_wanted, memory_order_relaxed))
        atomic_store_explicit(&mt->rt_view_wanted, true, memory_order_relaxed);
    bool found = false;
    int r = LSMT_RT_NONE;
    if (f != NULL) {
        if (LSMT_UNLIKELY(f->corrupt))
            r = LSMT_RT_CORRUPT;
        else
            found = lsmt_rt_frag_lookup(f, mt->cmp, mt->cmp_ctx, key, klen, snapshot, seq);
        LSMT_TSAN_RELEASE(&rt_tsan_token); /* after our last access to f */
    }
    if (r == LSMT_RT_NONE && upto > have)
        r = recent_covering(mt, top, have, key, klen, snapshot, &found, seq);
    if (r == LSMT_RT_CORRUPT)
        return r;
    return found ? LSMT_RT_COVERED : LSMT_RT_NONE;
}

void lsmt_mt_range_after_write(lsmt_memtable *mt)
{
    /* acquire: as in lsmt_mt_range_covering_slow */
    const lsmt_rt_recent *top = atomic_load_explicit(&mt->rt_recent, memory_order_acquire);
    const lsmt_rt_frag *f = atomic_load_explicit(&mt->rt_frag, memory_order_acquire);
    uint64_t upto = top != NULL ? top->idx : 0, have = f != NULL ? f->count : 0;
    /* relaxed: rt_view_wanted is a hint (see the field) */
    if (upto > have && upto - have > lsmt_rt_lag_max(have) &&
        atomic_load_explicit(&mt->rt_view_wanted, memory_order_relaxed)) {
        atomic_store_explicit(&mt->rt_view_wanted, false, memory_order_relaxed);
        (void)view_get(mt, upto); /* NULL (no memory): a later write or reader retries */
        LSMT_TSAN_RELEASE(&rt_tsan_token);
    }
}

/* ---- the flush iterator -------------------------------------------------------------------- */

struct lsmt_range_del_iter {
    lsmt_memtable *mt;
    lsmt_range_del_kind kind;
    lsmt_skiplist_iter it; /* RAW: position in rsl */
    lsmt_rt_frag *frag;    /* FRAGMENTED: private view built at create */
    size_t fi, si;         /* FRAGMENTED: fragment, seq within it */
    bool valid;
};

lsmt_status lsmt_range_del_iter_create(lsmt_memtable *mt, lsmt_range_del_kind kind,
                                       lsmt_range_del_iter **out)
{
    if (mt == NULL || out == NULL ||
        (kind != LSMT_RANGE_DEL_RAW && kind != LSMT_RANGE_DEL_FRAGMENTED))
        return LSMT_INVALID;
    lsmt_range_del_iter *it = calloc(1, sizeof *it);
    if (it == NULL)
        return LSMT_NOMEM;
    it->mt = mt;
    it->kind = kind;
    lsmt_skiplist_iter_init(&it->it, mt->rsl);
    /* seq_cst: the Dekker pair with reset_all, exactly as lsmt_memtable_iter_create
     * (iter.c): we count ourselves, then look for RESET_PENDING. */
    atomic_fetch_add_explicit(&mt->open_iters, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&mt->state, memory_order_seq_cst) & LSMT_MT_RESET_PENDING) {
        /* release: nothing was read; keeps every decrement a release. */
        atomic_fetch_sub_explicit(&mt->open_iters, 1, memory_order_release);
        free(it);
        return LSMT_BUSY;
    }
    lsmt_status st = LSMT_OK;
    if (kind == LSMT_RANGE_DEL_FRAGMENTED) {
        if (lsmt_mt_begin() != 0) {
            st = LSMT_NOMEM;
        } else {
            size_t bad = 0;
            /* private: never published, pinned by open_iters */
            it->frag = build_view(mt, &bad);
            lsmt_mt_end(mt);
            if (it->frag == NULL)
                st = LSMT_NOMEM;
            else if (bad != 0)
                st = LSMT_CORRUPTION; /* a tombstone's checksum failed */
        }
    }
    if (st != LSMT_OK) {
        lsmt_range_del_iter_destroy(it);
        return st;
    }
    *out = it;
    return LSMT_OK;
}

void lsmt_range_del_iter_destroy(lsmt_range_del_iter *it)
{
    if (it == NULL)
        return;
    lsmt_rt_frag_free(it->frag);
    /* release: every node read through this iterator happens-before a reset_all that
     * sees the count drop (as lsmt_memtable_iter_destroy). */
    atomic_fetch_sub_explicit(&it->mt->open_iters, 1, memory_order_release);
    free(it);
}

bool lsmt_range_del_iter_valid(const lsmt_range_del_iter *it)
{
    return it != NULL && it->valid;
}

static lsmt_status raw_move(lsmt_range_del_iter *it, bool first)
{
    if (lsmt_mt_begin() != 0)
        return LSMT_NOMEM;
    lsmt_status st =
        first ? lsmt_skiplist_iter_seek_to_first(&it->it) : lsmt_skiplist_iter_next(&it->it);
    lsmt_mt_end(it->mt);
    it->valid = st == LSMT_OK;
    return it->valid ? LSMT_OK : LSMT_END;
}

lsmt_status lsmt_range_del_iter_seek_to_first(lsmt_range_del_iter *it)
{
    if (it == NULL)
        return LSMT_INVALID;
    if (it->kind == LSMT_RANGE_DEL_RAW)
        return raw_move(it, true);
    it->fi = 0;
    it->si = 0;
    it->valid = it->frag->n > 0;
    return it->valid ? LSMT_OK : LSMT_END;
}

lsmt_status lsmt_range_del_iter_next(lsmt_range_del_iter *it)
{
    if (it == NULL || !it->valid)
        return LSMT_INVALID;
    if (it->kind == LSMT_RANGE_DEL_RAW)
        return raw_move(it, false);
    if (++it->si == it->frag->frags[it->fi].nseq) {
        it->si = 0;
        it->fi++;
    }
    it->valid = it->fi < it->frag->n;
    return it->valid ? LSMT_OK : LSMT_END;
}

lsmt_status lsmt_range_del_iter_entry(const lsmt_range_del_iter *it, const void **begin,
                                      size_t *blen, const void **end, size_t *elen, uint64_t *seq)
{
    if (it == NULL || !it->valid)
        return LSMT_INVALID;
    lsmt_rt_tomb t;
    if (it->kind == LSMT_RANGE_DEL_RAW) {
        /* No read section needed: the open iterator pins the memory (reset_all -> BUSY). */
        if (tomb_verify(it->mt, lsmt_skiplist_iter_node(&it->it)) != LSMT_OK)
            return LSMT_CORRUPTION;
        tomb_decode(it->mt, lsmt_skiplist_iter_node(&it->it), &t, NULL);
    } else {
        const lsmt_rt_fragment *fr = &it->frag->frags[it->fi];
        t = (lsmt_rt_tomb){fr->begin, fr->blen, fr->end, fr->elen,
                           it->frag->seqs[fr->seq_off + it->si]};
    }
    if (begin)
        *begin = t.begin;
    if (blen)
        *blen = t.blen;
    if (end)
        *end = t.end;
    if (elen)
        *elen = t.elen;
    if (seq)
        *seq = t.seq;
    return LSMT_OK;
}
