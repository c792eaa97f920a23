/* The memtable's hash index: see hash_index.h for the layout and its invariants.
 *
 * Concurrency model
 *  - A slot word changes by CAS only, from 0 to a claim, or from one node of a key to a
 *    newer node of the same key (invariants 1, 2). Each CAS is release: it publishes
 *    nothing of its own (the node was published at level 0 before, with release), but a
 *    reader's acquire load of the word must make the node's entry visible to it, so the
 *    word's store continues the chain "node filled -> level-0 publish -> index word".
 *  - Readers load words with acquire and never write.
 *  - The table is allocated once (mmap: untouched pages cost nothing) and emptied by
 *    clear while nothing runs (reset_all after its grace period); no entry is ever freed
 *    on its own, so no reader can meet a stale word except through a reset, which RCU
 *    rules out (memtable invariant 4).
 */
#include "memtable/hash_index.h"

#include <string.h>
#include <sys/mman.h>

#include "memtable/memtable_internal.h"
#include "skiplist/skiplist_internal.h"

/* Clearing a table at least this large gives its pages back (madvise) instead of
 * writing zeros over them: the next memtable touches only the slots it uses. */
#define HI_MADVISE_MIN ((size_t)1 << 20)

static uint32_t word_fp(uint64_t w)
{
    return (uint32_t)(w >> 32);
}
static uint32_t word_ref(uint64_t w)
{
    return (uint32_t)w;
}

int lsmt_hash_index_init(lsmt_hash_index *hi, size_t expected_keys)
{
    memset(hi, 0, sizeof *hi);
    size_t n = expected_keys + expected_keys / 2;
    if (n < LSMT_HI_MIN_SLOTS)
        n = LSMT_HI_MIN_SLOTS;
    if (n > UINT32_MAX)
        return -1; /* more keys than 32-bit node references can name */
    size_t page = 4096, bytes = n * sizeof(uint64_t);
    bytes = (bytes + page - 1) & ~(page - 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return -1;
    hi->slots = p; /* anonymous pages read as zero: every slot empty */
    hi->nslots = (uint32_t)n;
    hi->bytes = bytes;
    /* relaxed: the memtable is published to other threads by its creator. */
    atomic_store_explicit(&hi->unindexed, 0, memory_order_relaxed);
    return 0;
}

void lsmt_hash_index_free(lsmt_hash_index *hi)
{
    if (hi->slots != NULL)
        munmap((void *)hi->slots, hi->bytes);
    hi->slots = NULL;
}

void lsmt_hash_index_clear(lsmt_hash_index *hi)
{
    if (hi->slots == NULL)
        return;
    /* MADV_DONTNEED on private anonymous memory: the pages read as zero again. */
    if (hi->bytes < HI_MADVISE_MIN || madvise((void *)hi->slots, hi->bytes, MADV_DONTNEED) != 0)
        memset((void *)hi->slots, 0, hi->bytes);
    /* relaxed: nothing runs; reset_all's release store of the state publishes. */
    atomic_store_explicit(&hi->unindexed, 0, memory_order_relaxed);
}

/* Does node n hold key (bytes)? Fills *seq with its sequence. */
static bool node_is_key(const lsmt_skiplist_node *n, const void *key, size_t klen, uint64_t *seq)
{
    /* the key and the sequence only: no value, so no protection bytes to strip */
    lsmt_skiplist_entry e;
    lsmt_skiplist_node_entry(n, &e);
    *seq = e.version;
    return e.klen == klen && (klen == 0 || memcmp(e.key, key, klen) == 0);
}

void lsmt_hash_index_learn(lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h,
                           const lsmt_skiplist_node *node, const void *key, size_t klen,
                           uint64_t seq)
{
    uint32_t fp = (uint32_t)(h >> 32);
    uint64_t mine = (uint64_t)fp << 32 | lsmt_sl_node_ref(sl, node);
    uint32_t i = lsmt_hash_index_home(hi, h);
    uint32_t window = hi->nslots < LSMT_HI_MAX_PROBE ? hi->nslots : LSMT_HI_MAX_PROBE;
    for (uint32_t p = 0; p < window; p++, i = i + 1 == hi->nslots ? 0 : i + 1) {
        _Atomic uint64_t *s = &hi->slots[i];
        /* acquire: pairs with the release CAS that stored the word, so the node it names
         * is readable (its key decides whether this slot is ours). */
        uint64_t w = atomic_load_explicit(s, memory_order_acquire);
        for (;;) {
            if (w != 0) {
                uint64_t old_seq;
                if (word_fp(w) != fp ||
                    !node_is_key(lsmt_sl_node_at(sl, word_ref(w)), key, klen, &old_seq))
                    break; /* another key's slot (invariant 1: it stays so): probe on */
                if (old_seq >= seq)
                    return; /* a newer version is indexed (invariant 2): nothing to do */
            }
            /* release: publishes `mine` so that a reader's acquire of the word sees the
             * node's entry (written before its level-0 publication); pairs with the
             * acquire loads here and in find. acquire on failure: as the load above.
             * Fails when a racing learn claimed the empty slot (for our key or another)
             * or indexed another version of our key: w is then the new word, and the
             * loop decides again on it -- the slot's key never changes once set
             * (invariant 1), so re-deciding on the same slot is all a failure needs. */
            if (atomic_compare_exchange_weak_explicit(s, &w, mine, memory_order_release,
                                                      memory_order_acquire))
                return;
        }
    }
    /* Every slot of the window holds another key (invariant 3): finds of this key will
     * answer LSMT_HI_UNKNOWN and search the skip list. relaxed: a statistic. */
    atomic_fetch_add_explicit(&hi->unindexed, 1, memory_order_relaxed);
}

lsmt_hi_result lsmt_hash_index_find(const lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h,
                                    const void *key, size_t klen, const lsmt_skiplist_node **node)
{
    uint32_t fp = (uint32_t)(h >> 32);
    uint32_t i = lsmt_hash_index_home(hi, h);
    uint32_t window = hi->nslots < LSMT_HI_MAX_PROBE ? hi->nslots : LSMT_HI_MAX_PROBE;
    for (uint32_t p = 0; p < window; p++, i = i + 1 == hi->nslots ? 0 : i + 1) {
        /* acquire: pairs with learn's release CAS; the node's entry is then readable. */
        uint64_t w = atomic_load_explicit(&hi->slots[i], memory_order_acquire);
        if (w == 0)
            return LSMT_HI_MISS; /* invariant 3 */
        if (word_fp(w) != fp)
            continue;
        const lsmt_skiplist_node *n = lsmt_sl_node_at(sl, word_ref(w));
        uint64_t seq;
        if (node_is_key(n, key, klen, &seq)) {
            *node = n;
            return LSMT_HI_HIT;
        }
    }
    return LSMT_HI_UNKNOWN;
}

const lsmt_skiplist_node *lsmt_hash_index_walk(const lsmt_skiplist *sl, const lsmt_skiplist_node *n,
                                               const void *key, size_t klen, uint64_t snapshot)
{
    uint64_t seq;
    /* Versions of one key are adjacent at level 0, seq descending: the first that is not
     * newer than the snapshot is the one a seek of (key, snapshot) lands on. */
    while (n != NULL && node_is_key(n, key, klen, &seq) && seq > snapshot)
        n = lsmt_sl_node_next0(sl, n);
    return n;
}

void lsmt_hash_index_prefetch_node(const lsmt_hash_index *hi, const lsmt_skiplist *sl, uint64_t h)
{
    /* relaxed: only a prefetch address; find loads the word again with acquire before
     * reading the node. */
    uint64_t w =
        atomic_load_explicit(&hi->slots[lsmt_hash_index_home(hi, h)], memory_order_relaxed);
    if (w != 0 && word_fp(w) == (uint32_t)(h >> 32))
        __builtin_prefetch((const void *)lsmt_sl_node_at(sl, word_ref(w)), 0, 3);
}
