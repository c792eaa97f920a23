/* Inserting into the skip list: building a node in the arena, finding its place, and
 * linking it level by level.
 *
 * An insert finds a splice (prev[i] < key <= next[i] at every level), then links the node
 * bottom-up with one CAS per level. Level 0 comes first: it is the linearisation point
 * and the duplicate check (invariant 2 of skiplist.h: a node is reachable at an upper
 * level only once it is at level 0). At each level:
 *
 *     before:   prev[i] ------------------------------> next[i]
 *     step 1:   prev[i] ------------------------------> next[i]
 *                                  n -----------------> next[i]   n's own link, plain
 *                                                                  store (n unreachable)
 *     step 2:   prev[i] ---------> n -----------------> next[i]   CAS prev[i]'s link from
 *                                                                  next[i] to n (release)
 *
 * The CAS fails when another insert linked a node after prev[i] meanwhile; the level is
 * then searched again from prev[i] (nodes are never removed, so prev[i] is still before
 * the key) and the two steps retried. Of racing inserts of an equal (key, version)
 * exactly one wins the level-0 CAS; the others find it on their re-search and return
 * LSMT_EXISTS with nothing linked (invariant 5).
 *
 * A splice is kept between inserts (a hint, the calling thread's own, or the list's serial
 * one), so ascending or clustered inserts only search the few levels the previous insert's
 * splice does not already bracket. insert_serial links with plain release stores: its
 * caller serialises every writer.
 *
 * The steps of an insert are named functions, but those on every insert's path
 * (insert_kv, node_build and node_reserve, splice_find and splice_repair's first case,
 * link_metas, link_done) are forced inline (HOT): an ascending insert (fillseq) costs
 * little else, and as calls they added ~60 instructions to its ~800 and made it 0.93x
 * the single function of 0.6 (callgrind and bench/run_ab.sh; bench/README.md, "fillseq
 * was calls, not slots"). The rare paths (repairing a far splice, the finger start, the
 * searches below the kept splice) stay out of line, and are not called when not needed. */
#include <stdlib.h>

#include "skiplist/finger.h"
#include "skiplist/skiplist_internal.h"

/* ---- yield injection (test builds only) ------------------------------------------- */

#ifdef LSMT_YIELD_INJECTION
/* Configured with -DLSMT_YIELD_INJECTION=ON: the hook, when set, runs between finding
 * an insert's position at a level and the CAS that links it there, so a test can make
 * other inserts land in that window (as Pebble's arenaskl tests do). Set it before any
 * thread inserts (thread creation publishes it); never in a production build. */
void (*lsmt_skiplist_test_yield_hook)(unsigned level);
#define YIELD_POINT(level)                                             \
    do {                                                               \
        void (*yield_hook_)(unsigned) = lsmt_skiplist_test_yield_hook; \
        if (yield_hook_ != NULL)                                       \
            yield_hook_(level);                                        \
    } while (0)
#else
#define YIELD_POINT(level) ((void)0)
#endif

/* ---- heights ----------------------------------------------------------------------- */

/* Per-thread xorshift64* state; 0 = not seeded yet. */
static LSMT_TLS uint64_t tls_rng;
/* Distinct seeds for threads. relaxed: only uniqueness of the counter value matters, it
 * orders nothing. */
static _Atomic uint64_t rng_seed_counter;

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(void)
{
    uint64_t x = tls_rng;
    if (LSMT_UNLIKELY(x == 0)) {
        uint64_t c = atomic_fetch_add_explicit(&rng_seed_counter, 1, memory_order_relaxed);
        x = splitmix64(c ^ (uint64_t)(uintptr_t)&tls_rng);
        if (x == 0)
            x = 0x9E3779B97F4A7C15ull;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    tls_rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* 1 + the number of leading "zero pairs": P(height > i) = 4^-i, capped. */
static inline unsigned random_height(const lsmt_skiplist *sl)
{
    uint64_t r = rng_next();
    unsigned h = 1;
    while ((r & 3u) == 0 && h < sl->max_height) {
        h++;
        r >>= 2;
    }
    return h;
}

/* ---- building a node ---------------------------------------------------------------- */

/* Reserve a node of a random height whose body (header and everything after it; the
 * tower comes on top) takes `body` bytes, and write its meta. LSMT_FULL when the arena is
 * full, LSMT_INVALID for a body larger than the whole arena.
 * The status depends on the body alone, never on the random height: whether a node
 * could ever fit is decided on its body (lsmt_skiplist_node_min_bytes), and a tower
 * that would push a fitting body past the capacity is cut to the levels that fit (at
 * worst height 1: a node that large is rare, and a short tower only costs its searches
 * a few steps). Otherwise the same write would be LSMT_OK or LSMT_INVALID at random. */
HOT lsmt_status node_reserve(lsmt_skiplist *sl, size_t body, uint32_t meta, char **out)
{
    size_t body_size = lsmt_align_up(body, LINK_UNIT);
    if (body_size > sl->capacity)
        return LSMT_INVALID;
    unsigned h = random_height(sl);
    if (LSMT_UNLIKELY((size_t)SLOT_BYTES * (h - 1) > sl->capacity - body_size))
        h = 1 + (unsigned)((sl->capacity - body_size) / SLOT_BYTES);
    /* upper slots are 8-byte atomics: a node with any starts 8-byte aligned */
    size_t tower = (size_t)SLOT_BYTES * (h - 1);
    size_t align = h > 1 ? SLOT_BYTES : LINK_UNIT;
    /* callers cap body far below SIZE_MAX / 4: no overflow */
    size_t size = lsmt_align_up(tower + body, LINK_UNIT);
    void *mem = NULL;
    lsmt_status st = lsmt_sharded_arena_alloc(sl->arena, size, align, &mem);
    if (st != LSMT_OK)
        return st == LSMT_INVALID ? LSMT_INVALID : LSMT_FULL;
    char *n = (char *)mem + tower;
    /* The links are set by the inserter before each publishing CAS; the header fields
     * are plain stores published by the level-0 release CAS (invariant 3). relaxed:
     * published by that CAS with the other header fields. */
    atomic_store_explicit(meta_word(n), meta | ((uint32_t)h << META_HEIGHT_SHIFT),
                          memory_order_relaxed);
    *out = n;
    return LSMT_OK;
}

/* Build a KV node for (klen, version, vlen, tag) (layout: node.h). LSMT_FULL when the
 * arena is full (nothing is linked), LSMT_INVALID on oversize lengths, a bad tag or a
 * node larger than the whole arena, LSMT_RANGE on a version over 56 bits. Key and value
 * bytes are left to the caller (the value's place goes to *value_out). */
HOT lsmt_status node_build(lsmt_skiplist *sl, size_t klen, uint64_t version, size_t vlen,
                           unsigned tag, char **out, char **value_out)
{
    if (sl->encoded || klen > LSMT_SKIPLIST_MAX_KEY_LEN || vlen > LSMT_SKIPLIST_MAX_VALUE_LEN ||
        tag > LSMT_SKIPLIST_TAG_MAX)
        return LSMT_INVALID;
    if (version > LSMT_SKIPLIST_MAX_VERSION)
        return LSMT_RANGE;
    char *n;
    lsmt_status st = node_reserve(sl, node_body_bytes(klen, vlen),
                                  (uint32_t)klen | ((uint32_t)tag << META_TAG_SHIFT), &n);
    if (st != LSMT_OK)
        return st;
    bool long_value = vlen > VLEN_SHORT_MAX;
    uint64_t tail = version | (uint64_t)(long_value ? VLEN_LONG : vlen) << TAIL_VLEN_SHIFT;
    char *t = n + HDR_KEY + klen;
    memcpy(t, &tail, sizeof tail);
    if (long_value) {
        uint32_t vl = (uint32_t)vlen;
        memcpy(t + TAIL_BYTES, &vl, sizeof vl);
    }
    *out = n;
    *value_out = t + TAIL_BYTES + (long_value ? VLEN_LONG_BYTES : 0);
    return LSMT_OK;
}

/* The smallest ENCODED entry: a 1-byte varint of 8, the version, a 1-byte varint of 0. */
#define ENTRY_MIN_BYTES 10u

lsmt_status lsmt_skiplist_entry_alloc(lsmt_skiplist *sl, size_t bytes, lsmt_skiplist_node **node,
                                      void **buf)
{
    if (sl == NULL || node == NULL || buf == NULL || !sl->encoded || bytes < ENTRY_MIN_BYTES ||
        bytes > UINT32_MAX)
        return LSMT_INVALID;
    char *n;
    /* klen reads 0 and META_PARSED is clear until the entry is parsed (entry_parse) */
    lsmt_status st = node_reserve(sl, (size_t)HDR_KEY + bytes, META_ENCODED, &n);
    if (st != LSMT_OK)
        return st;
    /* relaxed: unpublished; link0 holds the entry's size until entry_parse */
    atomic_store_explicit(link0(n), (ref_t)bytes, memory_order_relaxed);
    *node = (lsmt_skiplist_node *)n;
    *buf = n + HDR_KEY;
    return LSMT_OK;
}

/* An ENCODED node about to be published: check its entry against the size entry_alloc
 * reserved (held in link0 until then) and record the key length in meta, with
 * META_PARSED. A node parsed before (published, or refused as a duplicate) is left as
 * it is. false for a malformed entry (node.h, "ENCODED"; the key's varint must be the
 * shortest encoding, since readers find the key by its length): nothing changes. */
static bool entry_parse(char *n)
{
    uint32_t m = node_meta(n);
    if (m & META_PARSED)
        return true;
    const unsigned char *p = (const unsigned char *)n + HDR_KEY;
    /* relaxed: the node is unpublished, written by this thread's entry_alloc or handed
     * over by the caller's own synchronisation */
    const unsigned char *end = p + atomic_load_explicit(link0(n), memory_order_relaxed);
    uint32_t ilen, vlen;
    size_t a = varint32_decode(p, end, &ilen);
    if (a == 0 || a != varint32_len(ilen) || ilen < TAIL_BYTES ||
        ilen - TAIL_BYTES > LSMT_SKIPLIST_MAX_KEY_LEN || ilen > (size_t)(end - p) - a)
        return false;
    const unsigned char *v = p + a + ilen;
    size_t b = varint32_decode(v, end, &vlen);
    if (b == 0 || vlen > (size_t)(end - v) - b)
        return false;
    /* relaxed: unpublished (as node_reserve's store) */
    atomic_store_explicit(meta_word(n), m | META_PARSED | (ilen - TAIL_BYTES),
                          memory_order_relaxed);
    return true;
}

size_t lsmt_skiplist_node_min_bytes(size_t klen, size_t vlen)
{
    if (klen > LSMT_SKIPLIST_MAX_KEY_LEN || vlen > LSMT_SKIPLIST_MAX_VALUE_LEN)
        return SIZE_MAX;
    /* both lengths are capped far below SIZE_MAX / 4: no overflow */
    return lsmt_align_up(node_body_bytes(klen, vlen), LINK_UNIT);
}

lsmt_status lsmt_skiplist_node_alloc(lsmt_skiplist *sl, size_t klen, uint64_t version, size_t vlen,
                                     unsigned tag, lsmt_skiplist_node **node, void **key_buf,
                                     void **value_buf)
{
    if (sl == NULL || node == NULL || key_buf == NULL || value_buf == NULL)
        return LSMT_INVALID;
    char *n, *vb;
    lsmt_status st = node_build(sl, klen, version, vlen, tag, &n, &vb);
    if (st != LSMT_OK)
        return st;
    *node = (lsmt_skiplist_node *)n;
    *key_buf = n + HDR_KEY;
    *value_buf = vb;
    return LSMT_OK;
}

/* ---- the splice: where the node goes ------------------------------------------------ */

void lsmt_skiplist_hint_init(lsmt_skiplist_hint *hint)
{
    if (hint == NULL)
        return;
    splice *sp = (splice *)hint;
    sp->list = NULL;
    sp->epoch = 0;
    sp->height = 0;
}

/* node_cmp(node r, k) for r = prev[0] (j = 0) or next[0] (j = 1) of the insert in
 * progress, computed once per node and key (splice.cmp0_ref, list.h). */
HOT int splice_cmp0(const lsmt_skiplist *sl, splice *sp, unsigned j, ref_t r, const skey *k)
{
    if (sp->cmp0_ref[j] == r)
        return sp->cmp0_val[j];
    int c = node_cmp(sl, node_at(sl, r), k);
    sp->cmp0_ref[j] = r;
    sp->cmp0_val[j] = (int8_t)c;
    return c;
}

/* Does level i of splice sp bracket k (prev < k <= next; 0 = head / null)? */
HOT bool splice_brackets(const lsmt_skiplist *sl, splice *sp, unsigned i, const skey *k)
{
    if (sp->prev[i] != 0 && (i == 0 ? splice_cmp0(sl, sp, 0, sp->prev[0], k)
                                    : node_cmp(sl, node_at(sl, sp->prev[i]), k)) >= 0)
        return false;
    return sp->next[i] == 0 || (i == 0 ? splice_cmp0(sl, sp, 1, sp->next[0], k)
                                       : node_cmp(sl, node_at(sl, sp->next[i]), k)) >= 0;
}

/* Is level i of splice sp still adjacent (prev's link at level i is next)? */
HOT bool splice_tight(const lsmt_skiplist *sl, const splice *sp, unsigned i)
{
    return link_load_acquire(prev_node(sl, sp->prev[i]), i) == sp->next[i];
}

/* Make level i of sp read "head .. null" (always brackets). */
static inline void splice_open_level(splice *sp, unsigned i)
{
    sp->prev[i] = 0;
    sp->next[i] = 0;
    sp->nextmeta[i] = 0;
    sp->plcp[i] = 0;
    sp->plcp_valid |= 1u << i;
}

/* lcp(prev[i], k) for the key being inserted: known for the levels this insert searched,
 * computed (and kept) for levels kept from the hint. */
HOT size_t splice_plcp(const lsmt_skiplist *sl, splice *sp, unsigned i, const skey *k)
{
    if (!(sp->plcp_valid & (1u << i))) {
        size_t lcp = 0;
        if (sp->prev[i] != 0 && k->bytewise)
            node_cmp_from(sl, node_at(sl, sp->prev[i]), k, 0, &lcp);
        sp->plcp[i] = (uint32_t)lcp;
        sp->plcp_valid |= 1u << i;
    }
    return sp->plcp[i];
}

/* Raise the list height to at least h; returns the height now. CAS loop; fails only when
 * another inserter changed the height meanwhile (then `cur` is reloaded and we retry
 * only while still below h). relaxed: the height publishes nothing (see the field); head
 * links at the new levels are null until linked, which readers treat as end of level. */
static unsigned raise_height(lsmt_skiplist *sl, unsigned h)
{
    uint32_t cur = atomic_load_explicit(&sl->height, memory_order_relaxed);
    while (cur < h) {
        if (atomic_compare_exchange_weak_explicit(&sl->height, &cur, h, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            return h;
        }
    }
    return cur;
}

/* splice_repair when level 0 does not do: a splice for another list or epoch
 * (invariant 6), or one lower than the list, starts over from the head (rh = maxh); else
 * the lowest level >= 1 that brackets k and is tight. */
static unsigned splice_repair_far(const lsmt_skiplist *sl, splice *sp, const skey *k, unsigned maxh)
{
    if (sp->list != sl || sp->epoch != sl->epoch || sp->height < maxh) {
        sp->list = sl;
        sp->epoch = sl->epoch;
        sp->height = maxh;
        splice_open_level(sp, maxh);
        return maxh;
    }
    /* Bracketing is monotone in the level (prev[i+1] <= prev[i] and next[i+1] >= next[i],
     * kept so by every update of the splice), so binary-search the lowest bracketing
     * level in [1, height] (level `height` = head..null always brackets): about
     * log2(height) probes instead of a climb. Then climb past loose levels (inserts
     * landed in between since the splice was saved), so the walk below starts from a
     * gap that is empty at level rh. */
    unsigned lo = 1, hi = sp->height;
    splice_open_level(sp, hi);
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (splice_brackets(sl, sp, mid, k))
            hi = mid;
        else
            lo = mid + 1;
    }
    unsigned rh = lo;
    while (rh < sp->height && !splice_tight(sl, sp, rh))
        rh++;
    return rh;
}

/* Repair the splice sp for k on a list of height maxh: returns rh, the lowest level that
 * brackets k and is tight, so levels >= rh can be kept and only the levels below are
 * searched again. Inline for its first case, the one of ascending inserts (level 0
 * still brackets k and is tight: O(1), one comparison); the others out of line. */
HOT unsigned splice_repair(const lsmt_skiplist *sl, splice *sp, const skey *k, unsigned maxh)
{
    sp->plcp_valid = 0; /* a new key: no lcp or comparison is known yet */
    sp->cmp0_ref[0] = sp->cmp0_ref[1] = 0;
    if (LSMT_LIKELY(sp->list == sl && sp->epoch == sl->epoch && sp->height >= maxh) &&
        splice_brackets(sl, sp, 0, k) && splice_tight(sl, sp, 0))
        return 0;
    return splice_repair_far(sl, sp, k, maxh);
}

/* A far splice (kept only from level rh up) and a finger node x just before k whose top
 * level covers n's height h: build the splice from x instead, levels [0, hx) only (all n
 * needs), and keep only those (height = hx; level hx reads as head..null, so the splice
 * stays monotone). The next insert then sees a short splice and rebuilds it, from the
 * finger again for a random key. Returns the level from which sp is now kept. REQUIRES
 * rh > 1 (a splice kept from level 0 or 1 is closer than any finger node). */
static unsigned splice_from_finger(const lsmt_skiplist *sl, splice *sp, const skey *k, unsigned h,
                                   unsigned rh)
{
    LSMT_ASSERT(rh > 1);
    if (sl->finger == NULL || !k->bytewise)
        return rh;
    unsigned top;
    const char *x = finger_start(sl, k, &top);
    unsigned hx = top + 1;
    if (x == head_of(sl) || h > hx || hx >= rh)
        return rh;
    size_t m = 0;
    node_cmp_from(sl, x, k, 0, &m); /* lcp(x, k): x is before k (invariant F) */
    ref_t prev, next;
    uint32_t nextmeta;
    /* bounded, as a search's start walk (search.h): a far finger is not used */
    if (!find_splice_level_limit(sl, k, node_ref(sl, x), 0, 0, top, &prev, &next, &nextmeta, &m,
                                 FINGER_WALK_MAX))
        return rh;
    sp->height = hx;
    splice_open_level(sp, hx);
    sp->prev[top] = prev;
    sp->next[top] = next;
    sp->nextmeta[top] = nextmeta;
    sp->plcp[top] = (uint32_t)m;
    sp->plcp_valid |= 1u << top;
    return top;
}

/* Search levels rh - 1 .. 0 of sp from the level above: level i starts at prev[i + 1]
 * and ends by next[i + 1], whose lcp with prev[i + 1] bounds the bytes every node in
 * between shares with it (search.h). REQUIRES rh > 0. */
static void splice_fill_below(const lsmt_skiplist *sl, splice *sp, const skey *k, unsigned rh)
{
    LSMT_ASSERT(rh > 0);
    size_t m = splice_plcp(sl, sp, rh, k);
    for (unsigned i = rh; i-- > 0;) {
        size_t b = sp->next[i + 1] != 0 ? slot_lcp_lower(slot_make(0, sp->nextmeta[i + 1])) : 0;
        find_splice_level(sl, k, sp->prev[i + 1], sp->next[i + 1], b, i, &sp->prev[i], &sp->next[i],
                          &sp->nextmeta[i], &m);
        sp->plcp[i] = (uint32_t)m;
        sp->plcp_valid |= 1u << i;
    }
}

/* The splice for k, with levels [0, h) bracketing k (levels from the returned rh up only
 * as of the hint: the linking steps check them). */
HOT unsigned splice_find(lsmt_skiplist *sl, splice *sp, const skey *k, unsigned h)
{
    unsigned maxh = raise_height(sl, h);
    unsigned rh = splice_repair(sl, sp, k, maxh);
    if (rh > 1) /* else the kept splice is closer than any finger (ascending keys) */
        rh = splice_from_finger(sl, sp, k, h, rh);
    if (rh > 0) /* else nothing to search: ascending keys make no call */
        splice_fill_below(sl, sp, k, rh);
    return rh;
}

/* ---- linking ------------------------------------------------------------------------ */

/* n (key k) is about to be published at level 0 between prev[0] and next[0] of sp, as
 * found by the search or re-search just before. false when next[0] equals k: a
 * duplicate (invariant 1: next[0] is the first node >= k). Else keep invariant V:
 *  - n's own bit is recomputed (n is not reachable yet): set when prev holds k's key,
 *    i.e. a larger version precedes n;
 *  - next gets the bit when it holds k's key: n, a larger version, is about to precede it.
 * A re-search only moves prev and next towards n's place, so a bit set for an attempt
 * that then lost its CAS is still true of the final position (or of the racing equal
 * node that made us return EXISTS).
 * relaxed: the bit happens-before every reader that can find n, through the release
 * publish that follows (program order); a search that meets next without having seen n
 * either started after the insert returned (the caller's happens-before edge, then
 * coherence lets its load see the bit) or runs concurrently with it and may answer as
 * if n were not there yet. */
HOT bool place_level0(const lsmt_skiplist *sl, splice *sp, char *n, const skey *k)
{
    int cn = sp->next[0] != 0 ? splice_cmp0(sl, sp, 1, sp->next[0], k) : 1;
    if (cn == 0)
        return false;
    LSMT_ASSERT(cn > 0); /* invariant 1: next[0] is after k */
    uint32_t m = node_meta(n);
    int cp = sp->prev[0] != 0 ? splice_cmp0(sl, sp, 0, sp->prev[0], k) : -1;
    LSMT_ASSERT(cp < 0); /* invariant 1: prev[0] is before k */
    bool newer = cp == -SAME_KEY_AFTER;
    uint32_t want = newer ? m | META_NEWER : m & ~META_NEWER;
    if (want != m)
        atomic_store_explicit(meta_word(n), want, memory_order_relaxed); /* unpublished */
    if (cn == SAME_KEY_AFTER) {
        const char *nx = node_at(sl, sp->next[0]);
        if (!node_has_newer(nx))
            atomic_fetch_or_explicit(meta_word(nx), META_NEWER, memory_order_relaxed);
    }
    return true;
}

/* The metas of n's two links at level i >= 1 (invariant S): prev[i] -> n, from a =
 * lcp(prev[i], n); and n -> next[i], which is prev's old meta whenever n and next first
 * differ where prev and next do (a > d, or a == d with different bytes there: the keys
 * between a node and its successor share at least their lcp), and otherwise is computed
 * from next's key (the one case that loads next). */
HOT void link_metas(const lsmt_skiplist *sl, splice *sp, unsigned i, const skey *k, uint32_t *to_n,
                    uint32_t *from_n)
{
    size_t a = splice_plcp(sl, sp, i, k);
    const char *p = sp->prev[i] != 0 ? node_at(sl, sp->prev[i]) : NULL;
    size_t plen = p != NULL ? node_klen(p) : 0;
    *to_n = slot_meta_at(k->bytewise, a, a == plen && a == k->len, k->p, k->len);
    uint32_t pm = sp->nextmeta[i];
    if (sp->next[i] == 0) {
        *from_n = 0; /* a null link */
        return;
    }
    unsigned d = pm >> SLOT_D_SHIFT;
    LSMT_ASSERT(d == SLOT_D_UNDECIDED || a >= d); /* prev < n < next */
    if (k->bytewise && d != SLOT_D_UNDECIDED &&
        (a > d || (key_bytes2(k->p, k->len, d) >> 8) != (pm >> 8 & 0xffu))) {
        *from_n = pm;
        return;
    }
    const char *y = node_at(sl, sp->next[i]);
    *from_n = slot_meta_of(k->bytewise, k->p, k->len, node_key(y), node_klen(y));
}

/* Step 1 of a level: n's own link at level i takes (next[i], meta `from_n`). relaxed: n
 * is not reachable at level i yet; the release that links it publishes this store.
 * Returns the value prev[i]'s link must still hold for step 2. */
static inline slot_t link_own(const splice *sp, char *n, unsigned i, uint32_t from_n)
{
    if (i == 0) {
        atomic_store_explicit(link0(n), sp->next[0], memory_order_relaxed);
        return sp->next[0];
    }
    atomic_store_explicit(upper_slot(n, i), slot_make(sp->next[i], from_n), memory_order_relaxed);
    return slot_make(sp->next[i], sp->nextmeta[i]);
}

/* Step 2, concurrent: CAS prev[i]'s link from `old` to (n, to_n). true when linked. */
static inline bool link_cas(const lsmt_skiplist *sl, const splice *sp, ref_t nref, uint32_t to_n,
                            unsigned i, slot_t old)
{
    YIELD_POINT(i);
    const char *p = prev_node(sl, sp->prev[i]);
    if (i == 0) {
        ref_t expect = (ref_t)old;
        /* CAS, release on success: publishes n (header, key, value, its own link) to
         * readers that acquire this link (slot_load_acquire). Fails when another inserter
         * linked a node between prev[0] and next[0] since we read it; acquire on failure
         * so the node we then walk to is fully visible. The caller re-searches from
         * prev[0], which also catches an equal key inserted meanwhile (exactly one of
         * racing equal inserts wins this CAS). */
        return atomic_compare_exchange_strong_explicit(link0(p), &expect, nref,
                                                       memory_order_release, memory_order_acquire);
    }
    /* CAS, release on success / acquire on failure: as at level 0 (n's fields and its
     * slots <= i). The expected value is the whole slot; since a meta is a function of
     * the slot's owner and reference (invariant S), it fails exactly when the link
     * changed. */
    return atomic_compare_exchange_strong_explicit(upper_slot(p, i), &old, slot_make(nref, to_n),
                                                   memory_order_release, memory_order_acquire);
}

/* Step 2, serial: plain release store of (n, to_n) into prev[i]'s link. release:
 * publishes n as link_cas does; the caller serialises writers, so nothing else writes
 * the link. */
static inline void link_store(const lsmt_skiplist *sl, const splice *sp, ref_t nref, uint32_t to_n,
                              unsigned i)
{
    const char *p = prev_node(sl, sp->prev[i]);
    if (i == 0)
        atomic_store_explicit(link0(p), nref, memory_order_release);
    else
        atomic_store_explicit(upper_slot(p, i), slot_make(nref, to_n), memory_order_release);
}

/* Re-search level i of sp from prev[i] (still before k: nodes are never removed). */
static inline void splice_research(const lsmt_skiplist *sl, splice *sp, const skey *k, unsigned i)
{
    size_t m = splice_plcp(sl, sp, i, k);
    find_splice_level(sl, k, sp->prev[i], 0, 0, i, &sp->prev[i], &sp->next[i], &sp->nextmeta[i],
                      &m);
    sp->plcp[i] = (uint32_t)m;
}

/* After n is linked at levels [0, h): the splice describes the position just after n
 * (prev[i] = n, whose slot now leads to next[i] with meta from_n[i]). Its levels must
 * stay monotone (prev[i+1] <= prev[i], next[i+1] >= next[i]): the binary search and the
 * climb of the next insert rely on it. A re-search at level i > 0 after a lost CAS can
 * break it: the node m that beat us lies after n, so next[i] becomes m while next[j < i]
 * still names nodes after m (m reached those levels after we linked there). Such a
 * splice would let the next insert stop at m for a key above m and link it before m.
 * Drop it instead (`lost_upper`): the next insert searches from the head (this only
 * happens when two inserts raced at an upper level). Then note n in the finger table. */
HOT void link_done(lsmt_skiplist *sl, splice *sp, char *n, const skey *k, unsigned h,
                   const uint32_t *from_n, bool lost_upper)
{
    ref_t nref = node_ref(sl, n);
    for (unsigned i = 0; i < h; i++) {
        sp->prev[i] = nref;
        sp->nextmeta[i] = i > 0 ? from_n[i] : 0;
    }
    if (lost_upper)
        sp->height = 0;
    finger_note(sl, n, k, h);
    finger_tall_insert(sl, h); /* the table may arm now (finger.c) */
}

/* Link n (key k) through splice sp with one CAS per level, bottom-up. LSMT_OK, or
 * LSMT_EXISTS with nothing linked (a duplicate found at level 0). `before_publish`
 * (may be NULL) runs once, after the duplicate check and before the first CAS that can
 * publish n (skiplist_internal.h). */
static lsmt_status link_node(lsmt_skiplist *sl, splice *sp, char *n, const skey *k,
                             lsmt_sl_publish_hook before_publish, void *hook_ctx)
{
    unsigned h = node_height(n);
    ref_t nref = node_ref(sl, n);
    uint32_t to_n, from_n[LSMT_SKIPLIST_MAX_HEIGHT];
    splice_find(sl, sp, k, h);
    /* Level 0: every attempt follows a search or re-search of level 0; check its result
     * for a duplicate (nothing is linked yet, so the list is unchanged) and keep
     * invariant V before publishing. */
    for (;;) {
        if (!place_level0(sl, sp, n, k))
            return LSMT_EXISTS;
        if (before_publish != NULL) {
            before_publish(hook_ctx);
            before_publish = NULL;
        }
        if (link_cas(sl, sp, nref, 0, 0, link_own(sp, n, 0, 0)))
            break;
        splice_research(sl, sp, k, 0);
    }
    /* Upper levels: levels from the splice's kept part bracket k by monotonicity
     * (prev[i] <= prev[rh] < k <= next[rh] <= next[i]); the CAS checks tightness. */
    bool lost_upper = false;
    for (unsigned i = 1; i < h; i++) {
        for (;;) {
            link_metas(sl, sp, i, k, &to_n, &from_n[i]);
            if (link_cas(sl, sp, nref, to_n, i, link_own(sp, n, i, from_n[i])))
                break;
            lost_upper = true;
            splice_research(sl, sp, k, i);
        }
    }
    link_done(sl, sp, n, k, h, from_n, lost_upper);
    return LSMT_OK;
}

/* As link_node for a caller that serialises all writers: plain release stores, which
 * cannot fail. Levels >= rh come from the splice unchecked for tightness, and a plain
 * store must not skip nodes inserted there by other paths since the splice was saved:
 * such a loose level is searched again first. */
static lsmt_status link_node_serial(lsmt_skiplist *sl, splice *sp, char *n, const skey *k)
{
    unsigned h = node_height(n);
    ref_t nref = node_ref(sl, n);
    uint32_t to_n = 0, from_n[LSMT_SKIPLIST_MAX_HEIGHT] = {0};
    unsigned rh = splice_find(sl, sp, k, h);
    for (unsigned i = 0; i < h; i++) {
        if (i >= rh && !splice_tight(sl, sp, i))
            splice_research(sl, sp, k, i);
        if (i == 0 && !place_level0(sl, sp, n, k))
            return LSMT_EXISTS;
        if (i > 0)
            link_metas(sl, sp, i, k, &to_n, &from_n[i]);
        link_own(sp, n, i, from_n[i]);
        link_store(sl, sp, nref, to_n, i);
    }
    link_done(sl, sp, n, k, h, from_n, false);
    return LSMT_OK;
}

/* ---- entry points ------------------------------------------------------------------- */

static bool kv_args_ok(const void *key, size_t klen, const void *value, size_t vlen)
{
    return key_ok(key, klen) && (value != NULL || vlen == 0) && vlen <= LSMT_SKIPLIST_MAX_VALUE_LEN;
}

/* Plain inserts keep a splice per thread for the list they last inserted into, so
 * sequential or clustered inserts through the plain API are O(log distance) too (a
 * random insert pays at most two comparisons per level on nodes its previous insert
 * left in cache). Keyed by the list's never-reused id; the splice itself is validated
 * against the list's epoch (reset) and re-checked level by level before use. */
static LSMT_TLS struct {
    uint64_t list_id;
    splice sp;
} tls_splice;

/* The calling thread's splice for `sl` (reset when it last served another list). */
static inline splice *thread_splice(const lsmt_skiplist *sl)
{
    if (tls_splice.list_id != sl->id) {
        tls_splice.list_id = sl->id;
        lsmt_skiplist_hint_init((lsmt_skiplist_hint *)&tls_splice.sp);
    }
    return &tls_splice.sp;
}

/* Build (key, version, value) into a new node and link it through sp. */
HOT lsmt_status insert_kv(lsmt_skiplist *sl, splice *sp, bool serial, const void *key, size_t klen,
                          uint64_t version, const void *value, size_t vlen)
{
    if (!kv_args_ok(key, klen, value, vlen))
        return LSMT_INVALID;
    char *n, *vb;
    lsmt_status st = node_build(sl, klen, version, vlen, 0, &n, &vb);
    if (st != LSMT_OK)
        return st;
    lsmt_copy_key(n + HDR_KEY, key, klen);
    if (vlen)
        memcpy(vb, value, vlen);
    skey k;
    skey_of_node(sl, &k, n);
    return serial ? link_node_serial(sl, sp, n, &k) : link_node(sl, sp, n, &k, NULL, NULL);
}

lsmt_status lsmt_skiplist_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint, const void *key,
                                 size_t klen, uint64_t version, const void *value, size_t vlen)
{
    if (sl == NULL)
        return LSMT_INVALID;
    splice *sp = hint != NULL ? (splice *)hint : thread_splice(sl);
    return insert_kv(sl, sp, false, key, klen, version, value, vlen);
}

lsmt_status lsmt_skiplist_insert_serial(lsmt_skiplist *sl, const void *key, size_t klen,
                                        uint64_t version, const void *value, size_t vlen)
{
    if (sl == NULL)
        return LSMT_INVALID;
    return insert_kv(sl, &sl->serial_splice, true, key, klen, version, value, vlen);
}

bool node_ready(const lsmt_skiplist *sl, lsmt_skiplist_node *node)
{
    if (!node_plausible(sl, node))
        return false;
    char *n = (char *)node;
    if (sl->encoded && (!(node_meta(n) & META_ENCODED) || !entry_parse(n)))
        return false;
    return node_key_fits(sl, n);
}

static lsmt_status node_link_ready(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                   lsmt_skiplist_node *node, lsmt_sl_publish_hook before_publish,
                                   void *ctx)
{
    char *n = (char *)node;
    skey k;
    skey_of_node(sl, &k, n);
    splice *sp = hint != NULL ? (splice *)hint : thread_splice(sl);
    return link_node(sl, sp, n, &k, before_publish, ctx);
}

lsmt_status node_insert_ready(lsmt_skiplist *sl, lsmt_skiplist_node *node)
{
    LSMT_ASSERT(node_ready(sl, node));
    return node_link_ready(sl, NULL, node, NULL, NULL);
}

lsmt_status lsmt_skiplist_node_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                      lsmt_skiplist_node *node)
{
    if (sl == NULL || !node_ready(sl, node))
        return LSMT_INVALID;
    return node_link_ready(sl, hint, node, NULL, NULL);
}

lsmt_status lsmt_sl_node_insert_hooked(lsmt_skiplist *sl, lsmt_skiplist_node *node,
                                       lsmt_sl_publish_hook before_publish, void *ctx)
{
    LSMT_ASSERT(sl != NULL && node_ready(sl, node)); /* the caller's own node */
    return node_link_ready(sl, NULL, node, before_publish, ctx);
}
