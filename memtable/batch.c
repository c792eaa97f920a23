/* Write batches: records kept in one growable byte buffer, applied all-or-nothing.
 *
 * Batch layout: `recs` is an array of fixed records {type, klen, vlen, offset} and `data`
 * holds each record's key followed by its value, at `offset`. Both grow by doubling
 * (malloc/realloc, never on the memtable's hot path).
 *
 * lsmt_memtable_write, inside one RCU read section:
 *  0. a batch that could never fit the whole arena -> LSMT_INVALID, nothing done;
 *  1. check every (key, seq) against the list (batch_has_duplicate: interleaved seeks,
 *     which also warm each record's search path): any present -> LSMT_EXISTS, nothing
 *     done;
 *  2. allocate every node (lsmt_skiplist_node_alloc) and encode the entries: the arena
 *     running out -> LSMT_FULL, nothing published (the nodes stay unused in the arena);
 *  3. set the bloom bits, then publish the nodes in order (node_insert), each one
 *     entering the hash index (if on) right after its own publication.
 * Sequence numbers are unique per engine (the caller's contract). If a concurrent
 * writer nevertheless inserts one of the batch's (key, seq) between steps 1 and 3, that
 * record's node_insert fails: the racing entry stays, the other records are published,
 * and the call returns LSMT_EXISTS (the only way a batch is partly applied, and only
 * when the caller broke the contract).
 *
 * Range deletes (lsmt/range_del.h) are records of type LSMT_MT_TAG_RANGE_DEL, key =
 * begin, value = end. They go through the same steps against the memtable's range
 * list (rsl): step 0 also refuses an empty or inverted range (LSMT_INVALID), step 1
 * checks (begin, seq) in rsl, step 2 allocates their nodes and recent-stack entries with
 * the others (so FULL still applies nothing), step 3 sets no bloom bit, links them into
 * rsl and pushes each on the recent stack after its link (S1, range_del.h); the
 * tombstone count goes up (release) once all are linked (R1: before the call returns),
 * then the cached view is rebuilt if it now lags too far (lsmt_mt_range_after_write).
 */
#include <stdlib.h>

#include "arena/concurrent_internal.h"
#include "memtable/memtable_internal.h"
#include "memtable/range_del.h"
#include "skiplist/skiplist_internal.h"

typedef struct batch_rec {
    uint8_t type;
    size_t klen;
    size_t vlen;
    size_t off; /* key at data + off, value right after */
} batch_rec;

struct lsmt_write_batch {
    batch_rec *recs;
    size_t count, cap;
    unsigned char *data;
    size_t used, data_cap;
};

lsmt_status lsmt_write_batch_create(lsmt_write_batch **out)
{
    if (out == NULL)
        return LSMT_INVALID;
    lsmt_write_batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return LSMT_NOMEM;
    *out = b;
    return LSMT_OK;
}

void lsmt_write_batch_destroy(lsmt_write_batch *b)
{
    if (b == NULL)
        return;
    free(b->recs);
    free(b->data);
    free(b);
}

void lsmt_write_batch_clear(lsmt_write_batch *b)
{
    if (b == NULL)
        return;
    b->count = 0;
    b->used = 0;
}

size_t lsmt_write_batch_count(const lsmt_write_batch *b)
{
    return b ? b->count : 0;
}

static lsmt_status batch_add(lsmt_write_batch *b, uint8_t type, const void *key, size_t klen,
                             const void *value, size_t vlen)
{
    size_t need;
    if (lsmt_add_overflow(klen, vlen, &need) || lsmt_add_overflow(need, b->used, &need))
        return LSMT_INVALID;
    if (b->count == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        size_t bytes;
        if (lsmt_mul_overflow(nc, sizeof(batch_rec), &bytes))
            return LSMT_NOMEM;
        batch_rec *r = realloc(b->recs, bytes);
        if (r == NULL)
            return LSMT_NOMEM;
        b->recs = r;
        b->cap = nc;
    }
    if (need > b->data_cap) {
        size_t nc = b->data_cap ? b->data_cap : 256;
        while (nc < need) {
            if (lsmt_mul_overflow(nc, 2, &nc))
                return LSMT_NOMEM;
        }
        unsigned char *d = realloc(b->data, nc);
        if (d == NULL)
            return LSMT_NOMEM;
        b->data = d;
        b->data_cap = nc;
    }
    batch_rec *r = &b->recs[b->count];
    r->type = type;
    r->klen = klen;
    r->vlen = vlen;
    r->off = b->used;
    if (klen)
        memcpy(b->data + b->used, key, klen);
    if (vlen)
        memcpy(b->data + b->used + klen, value, vlen);
    b->used = need;
    b->count++;
    return LSMT_OK;
}

lsmt_status lsmt_write_batch_put(lsmt_write_batch *b, const void *key, size_t klen,
                                 const void *value, size_t vlen)
{
    if (b == NULL || lsmt_mt_bad_key(key, klen) || (value == NULL && vlen != 0) ||
        vlen > LSMT_MEMTABLE_MAX_VALUE_LEN)
        return LSMT_INVALID;
    return batch_add(b, LSMT_TYPE_PUT, key, klen, value, vlen);
}

lsmt_status lsmt_write_batch_delete(lsmt_write_batch *b, const void *key, size_t klen)
{
    if (b == NULL || lsmt_mt_bad_key(key, klen))
        return LSMT_INVALID;
    return batch_add(b, LSMT_TYPE_DELETE, key, klen, NULL, 0);
}

lsmt_status lsmt_write_batch_delete_range(lsmt_write_batch *b, const void *begin, size_t blen,
                                          const void *end, size_t elen)
{
    if (b == NULL || lsmt_mt_bad_key(begin, blen) || lsmt_mt_bad_key(end, elen))
        return LSMT_INVALID;
    return batch_add(b, LSMT_MT_TAG_RANGE_DEL, begin, blen, end, elen);
}

/* The key (then value) bytes of record `r`. `data` stays NULL while every record added
 * so far is empty (empty key, no value): pointer arithmetic on NULL is undefined even
 * with a zero offset, so such records read from an empty literal instead. */
static const unsigned char *rec_bytes(const lsmt_write_batch *b, const batch_rec *r)
{
    return b->data != NULL ? b->data + r->off : (const unsigned char *)"";
}

/* Records taken together by the interleaved steps of apply (duplicate check, bloom). */
#define BATCH_CHUNK 32

/* Is some (key, first_seq + i) of the batch already in the list? The lookups go through
 * lsmt_skiplist_seek_batch, BATCH_CHUNK at a time: their cache misses overlap, and they
 * leave each record's search path in the cache, so the inserts that follow search
 * through warm lines. */
static bool batch_has_duplicate(const lsmt_memtable *mt, uint64_t first_seq,
                                const lsmt_write_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        const batch_rec *r = &b->recs[i];
        if (r->type == LSMT_MT_TAG_RANGE_DEL && /* range deletes: in rsl, one by one */
            lsmt_skiplist_find(mt->rsl, rec_bytes(b, r), r->klen, first_seq + i) != NULL)
            return true;
    }
    const void *keys[BATCH_CHUNK];
    size_t klens[BATCH_CHUNK];
    uint64_t seqs[BATCH_CHUNK];
    const lsmt_skiplist_node *found[BATCH_CHUNK];
    for (size_t i0 = 0; i0 < b->count; i0 += BATCH_CHUNK) {
        size_t n = b->count - i0 < BATCH_CHUNK ? b->count - i0 : BATCH_CHUNK;
        for (size_t j = 0; j < n; j++) {
            const batch_rec *r = &b->recs[i0 + j];
            keys[j] = rec_bytes(b, r);
            klens[j] = r->klen;
            seqs[j] = first_seq + i0 + j;
        }
        /* the records' keys were checked when they were added: it cannot refuse them */
        lsmt_skiplist_seek_batch(mt->sl, n, keys, klens, seqs, found);
        for (size_t j = 0; j < n; j++) {
            /* first entry >= (key, seq): the same entry iff same key and sequence */
            lsmt_mt_entry e;
            if (found[j] == NULL || b->recs[i0 + j].type == LSMT_MT_TAG_RANGE_DEL)
                continue;
            lsmt_mt_decode(mt, found[j], &e);
            if (e.seq == seqs[j] && lsmt_mt_key_eq(mt, e.key, e.klen, keys[j], klens[j]))
                return true;
        }
    }
    return false;
}

/* Steps 0-3 of the comment at the top, inside the caller's read section. */
static lsmt_status apply(lsmt_memtable *mt, uint64_t first_seq, const lsmt_write_batch *b,
                         lsmt_skiplist_node **nodes)
{
    /* A batch whose smallest possible nodes exceed the whole arena could never fit:
     * LSMT_INVALID, not LSMT_FULL (an engine would rotate and retry it forever).
     * Checked after FROZEN/BUSY, in the same order as a single put. */
    size_t min_total = 0, nranges = 0;
    for (size_t i = 0; i < b->count; i++) {
        size_t nb = lsmt_skiplist_node_min_bytes(b->recs[i].klen, b->recs[i].vlen + mt->prot);
        if (b->recs[i].type == LSMT_MT_TAG_RANGE_DEL) {
            nranges++;
            nb += nb != SIZE_MAX ? sizeof(lsmt_rt_recent) : 0; /* its stack entry */
        }
        if (nb == SIZE_MAX || lsmt_add_overflow(min_total, nb, &min_total))
            return LSMT_INVALID;
    }
    if (min_total > lsmt_sharded_arena_capacity_(mt->arena))
        return LSMT_INVALID;
    for (size_t i = 0; i < b->count; i++) {
        const batch_rec *r = &b->recs[i];
        const unsigned char *k = rec_bytes(b, r);
        if (r->type == LSMT_MT_TAG_RANGE_DEL &&
            mt->cmp(mt->cmp_ctx, k, r->klen, k + r->klen, r->vlen) >= 0)
            return LSMT_INVALID; /* an empty or inverted range */
    }
    if (batch_has_duplicate(mt, first_seq, b))
        return LSMT_EXISTS;
    /* the range deletes' recent-stack entries (range_del.h), one allocation */
    lsmt_rt_recent *recent = NULL;
    if (nranges != 0) {
        void *p;
        lsmt_status st = lsmt_sharded_arena_alloc(mt->arena, nranges * sizeof(lsmt_rt_recent),
                                                  _Alignof(lsmt_rt_recent), &p);
        if (st != LSMT_OK)
            return st; /* LSMT_FULL: nothing published */
        recent = p;
    }
    for (size_t i = 0; i < b->count; i++) {
        const batch_rec *r = &b->recs[i];
        const unsigned char *k = rec_bytes(b, r);
        lsmt_skiplist *list = r->type == LSMT_MT_TAG_RANGE_DEL ? mt->rsl : mt->sl;
        lsmt_status st = lsmt_mt_encode_in(mt, list, first_seq + i, r->type, k, r->klen,
                                           k + r->klen, r->vlen, &nodes[i]);
        if (st != LSMT_OK)
            return st; /* LSMT_FULL: nothing published */
    }
    if (mt->bloom.nlines) {
        /* BATCH_CHUNK records at a time, every line first, then the adds: the adds'
         * read-modify-writes are serialising (locked) instructions, which would otherwise
         * wait out one miss each */
        lsmt_bloom_pending p[BATCH_CHUNK];
        for (size_t i0 = 0; i0 < b->count; i0 += BATCH_CHUNK) {
            size_t n = b->count - i0 < BATCH_CHUNK ? b->count - i0 : BATCH_CHUNK;
            for (size_t j = 0; j < n; j++) {
                const batch_rec *r = &b->recs[i0 + j];
                lsmt_bloom_add_prepare(&mt->bloom, lsmt_bloom_hash(rec_bytes(b, r), r->klen),
                                       &p[j]);
            }
            for (size_t j = 0; j < n; j++) {
                if (b->recs[i0 + j].type != LSMT_MT_TAG_RANGE_DEL)
                    lsmt_bloom_add_apply(&p[j]);
            }
        }
    }
    lsmt_status result = LSMT_OK;
    uint64_t puts = 0, dels = 0, kbytes = 0, vbytes = 0, ranges = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (b->recs[i].type == LSMT_MT_TAG_RANGE_DEL) {
            lsmt_mt_rt_begin(mt); /* once, before the first link (R4) */
            break;
        }
    }
    for (size_t i = 0; i < b->count; i++) {
        const batch_rec *r = &b->recs[i];
        bool range = r->type == LSMT_MT_TAG_RANGE_DEL;
        if (lsmt_sl_node_insert_hooked(range ? mt->rsl : mt->sl, nodes[i], NULL, NULL) !=
            LSMT_OK) {            /* own node */
            result = LSMT_EXISTS; /* a racing writer broke the unique-seq contract */
            continue;
        }
        if (range) {
            lsmt_mt_range_recent_push(mt, &recent[ranges++], nodes[i]); /* after its link (S1) */
            continue;
        }
        lsmt_mt_index_learn(mt, lsmt_mt_index_prepare(mt, rec_bytes(b, r), r->klen), nodes[i],
                            rec_bytes(b, r), r->klen, first_seq + i);
        kbytes += r->klen;
        if (r->type == LSMT_TYPE_PUT) {
            puts++;
            vbytes += r->vlen;
        } else {
            dels++;
        }
    }
    lsmt_mt_count_writes(mt, puts, dels, kbytes, vbytes);
    if (ranges != 0) {
        /* release: publishes the linked tombstones to every reader whose acquire load
         * of the count includes them (R1; range_del.c). */
        atomic_fetch_add_explicit(&mt->rt_count, ranges, memory_order_release);
        lsmt_mt_range_after_write(mt);
    }
    return result;
}

lsmt_status lsmt_memtable_write(lsmt_memtable *mt, uint64_t first_seq, const lsmt_write_batch *b)
{
    if (mt == NULL || b == NULL)
        return LSMT_INVALID;
    if (b->count == 0)
        return LSMT_OK;
    if (first_seq > LSMT_MAX_SEQUENCE || b->count - 1 > LSMT_MAX_SEQUENCE - first_seq)
        return LSMT_RANGE;
    lsmt_skiplist_node *stack_nodes[32];
    lsmt_skiplist_node **nodes = stack_nodes;
    if (b->count > 32) {
        size_t bytes;
        if (lsmt_mul_overflow(b->count, sizeof *nodes, &bytes) || (nodes = malloc(bytes)) == NULL)
            return LSMT_NOMEM;
    }
    lsmt_status st;
    if (lsmt_mt_begin() != 0) {
        st = LSMT_NOMEM;
    } else {
        st = lsmt_mt_writable(mt);
        if (st == LSMT_OK)
            st = apply(mt, first_seq, b, nodes);
        lsmt_mt_note_full(mt, st);
        lsmt_mt_end(mt);
    }
    if (nodes != stack_nodes)
        free(nodes);
    return st;
}
