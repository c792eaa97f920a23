/* The memtable's private layout, shared by memtable.c, batch.c and iter.c. */
#ifndef LSMT_MEMTABLE_INTERNAL_H
#define LSMT_MEMTABLE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/internal.h"
#include "lsmt/memtable.h"
#include "lsmt/skiplist.h"
#include "memtable/bloom.h"
#include "memtable/rcu.h"

/* State word bits (lsmt_memtable.state). */
#define LSMT_MT_FROZEN        1u
/* reset_all has started and is checking for open iterators: iter_create refuses
 * (LSMT_BUSY); gets and writes are not affected. */
#define LSMT_MT_RESET_PENDING 4u
/* reset_all found no open iterator and is emptying the memtable: gets read it as empty,
 * writes and iter_create return LSMT_BUSY. Set only with RESET_PENDING. */
#define LSMT_MT_RESETTING     2u

/* Statistics of one slot (see rcu.h): written by the slot's owner thread only (plain
 * load + store, relaxed) or, for the shared slot, by fetch_add; read by stats_get with
 * relaxed loads (a stale sum is fine: stats are approximate while writes run);
 * zeroed by reset_all while no writer or reader is in flight. One cache line each. */
typedef struct lsmt_mt_counters {
    _Alignas(LSMT_CACHE_LINE) _Atomic uint64_t puts;
    _Atomic uint64_t deletes;
    _Atomic uint64_t key_bytes;
    _Atomic uint64_t value_bytes;
    _Atomic uint64_t bloom_checks;
    _Atomic uint64_t bloom_negatives;
    _Atomic uint64_t bloom_false_positives;
} lsmt_mt_counters;
_Static_assert(sizeof(lsmt_mt_counters) == LSMT_CACHE_LINE, "one cache line per slot");

struct lsmt_memtable {
    /* ---- fixed after create (read by every call) ---- */
    lsmt_sharded_arena *arena;
    lsmt_arena_pool *pool; /* the arena's pool, or NULL when we own the arena */
    lsmt_skiplist *sl;
    lsmt_compare_fn cmp; /* never NULL (bytewise when the option was NULL) */
    void *cmp_ctx;
    size_t write_buffer_size; /* should_flush threshold (<= arena capacity) */
    lsmt_bloom bloom;         /* bloom.nlines == 0: off */
    /* ---- lifecycle word: read (acquire) at the start of every write and get, written
     * by freeze (fetch_or) and reset_all (CAS to set RESET_PENDING, fetch_or to add
     * RESETTING, release store to clear).
     * Read-mostly, so it shares its line with the fixed fields. */
    _Atomic uint32_t state;
    /* TSan token for the RCU edge (memtable/tsan_rcu.h); never read or written. */
    char tsan_token;
    /* ---- open iterators: incremented by iter_create, decremented by iter_destroy,
     * read by reset_all. Own line: iterator churn must not invalidate the line every
     * get reads. */
    _Alignas(LSMT_CACHE_LINE) _Atomic size_t open_iters;
    /* completed reset_all calls (written by reset_all only; relaxed). */
    _Atomic uint64_t resets;
    /* ---- per-thread statistics, summed on read ---- */
    lsmt_mt_counters ctr[LSMT_MT_SLOTS + 1];
};

/* ---- entry encoding (the encoder is encode_entry in memtable.c) ---- */
/* A decoded entry. */
typedef struct lsmt_mt_entry {
    const void *key;
    size_t klen;
    uint64_t seq;
    lsmt_entry_type type;
    const void *value;
    size_t vlen;
} lsmt_mt_entry;

/* Decode the entry of skip-list node `n` (see encode_entry in memtable.c):
 * version = seq, node tag = type, value area = the value bytes. */
static inline void lsmt_mt_decode(const lsmt_skiplist_node *n, lsmt_mt_entry *e)
{
    size_t vl;
    e->key = lsmt_skiplist_node_key(n, &e->klen);
    e->seq = lsmt_skiplist_node_version(n);
    const void *v = lsmt_skiplist_node_value(n, &vl);
    e->type = (lsmt_entry_type)lsmt_skiplist_node_tag(n);
    e->value = e->type == LSMT_TYPE_PUT ? v : NULL;
    e->vlen = e->type == LSMT_TYPE_PUT ? vl : 0;
}

/* Add to the calling thread's statistics slot. */
static inline void lsmt_mt_count(lsmt_memtable *mt, size_t field_offset, uint64_t v)
{
    unsigned slot = lsmt_mt_tls.slot;
    _Atomic uint64_t *c = (_Atomic uint64_t *)((char *)&mt->ctr[slot] + field_offset);
    if (LSMT_LIKELY(slot < LSMT_MT_SLOTS)) {
        /* relaxed load + store: this thread is the slot's only writer (rcu.c), and
         * readers only need an eventually exact sum. */
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                              memory_order_relaxed);
    } else {
        /* relaxed RMW: the shared slot has several writers; only the sum matters. */
        atomic_fetch_add_explicit(c, v, memory_order_relaxed);
    }
}
#define LSMT_MT_COUNT(mt, field, v) lsmt_mt_count((mt), offsetof(lsmt_mt_counters, field), (v))

/* Is `a` equal to `b` under the memtable's comparator? */
static inline bool lsmt_mt_key_eq(const lsmt_memtable *mt, const void *a, size_t alen,
                                  const void *b, size_t blen)
{
    if (mt->cmp == lsmt_bytewise_compare)
        return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
    return mt->cmp(mt->cmp_ctx, a, alen, b, blen) == 0;
}

/* Every key the memtable accepts is one the skip list accepts, so a batched skip-list
 * call on keys that passed lsmt_mt_bad_key (multi_get, a write batch's duplicate check)
 * cannot be refused. */
_Static_assert(LSMT_MEMTABLE_MAX_KEY_LEN <= LSMT_SKIPLIST_MAX_KEY_LEN,
               "memtable keys must be valid skip-list keys");

/* Argument checks shared by the entry points. */
static inline bool lsmt_mt_bad_key(const void *key, size_t klen)
{
    return (key == NULL && klen != 0) || klen > LSMT_MEMTABLE_MAX_KEY_LEN;
}

/* Begin / end an operation that reads or writes the list: registration and RCU read
 * section. lsmt_mt_begin returns -1 (LSMT_NOMEM) if the thread could not register. */
static inline int lsmt_mt_begin(void)
{
    if (lsmt_mt_thread_enter() != 0)
        return -1;
    lsmt_mt_read_lock();
    return 0;
}
static inline void lsmt_mt_end(const lsmt_memtable *mt)
{
    lsmt_mt_read_unlock(&mt->tsan_token);
}

/* The memtable's write path for already validated batch records (batch.c). */
__attribute__((visibility("hidden"))) lsmt_status lsmt_mt_writable(const lsmt_memtable *mt);

#endif
