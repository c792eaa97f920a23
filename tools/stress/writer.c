/* memtable-stress writers: puts, deletes and write batches into the active memtable.
 *
 * Design
 *   One operation, holding the engine lock shared from the choice of memtable until its
 *   outcome is recorded (so the rotation cannot retire the memtable while it is written):
 *     1. pick 1 record, or 2-4 (one op in 10), or 34-40 (one in 100, when --keys leaves
 *        room: more than the batch's 32-record chunk of duplicate checks); distinct keys,
 *        ascending (the key mutexes' lock order); one record in five a delete;
 *     2. register the versions PENDING in the expected state, taking their sequence
 *        numbers there (oracle.c), or give up the op if a ring slot is still in flight;
 *     3. make the write (put, delete, or a batch through lsmt_memtable_write);
 *     4. settle the versions COMMITTED or FAILED, and log the acknowledged ones in the
 *        memtable's slot for the flush check (V6).
 *   A refused write (FULL, FROZEN) waits for a rotation outside the lock; any status but
 *   OK, FULL, FROZEN and NOMEM is a V8 violation.
 */
#include "stress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Step 1: the op's records. Returns their number. */
static unsigned writer_pick(thr *t, uint32_t *keys, uint8_t *types)
{
    /* 1 record mostly; 2-4 in one op of 10; 34-40 in one of 100 when there are keys
     * enough for that many distinct ones */
    unsigned n = 1;
    if (rnd(&t->rs, 10) == 0)
        n = rnd(&t->rs, 10) == 0 && C.keys >= 4 * MAX_BATCH ? MAX_BATCH - (unsigned)rnd(&t->rs, 7)
                                                            : 2 + (unsigned)rnd(&t->rs, 3);
    for (unsigned i = 0; i < n; i++) {
    again:
        keys[i] = (uint32_t)rnd(&t->rs, C.keys);
        for (unsigned j = 0; j < i; j++)
            if (keys[j] == keys[i])
                goto again;
    }
    qsort(keys, n, sizeof(keys[0]), cmp_u32); /* lock order */
    for (unsigned i = 0; i < n; i++)
        types[i] = rnd(&t->rs, 5) == 0 ? LSMT_TYPE_DELETE : LSMT_TYPE_PUT;
    return n;
}

/* n > 1 records through one write batch. */
static lsmt_status writer_batch(thr *t, lsmt_memtable *mt, lsmt_write_batch *batch,
                                const uint8_t *types, unsigned n, uint64_t first,
                                char (*kbuf)[KEY_LEN + 1], uint8_t (*val)[1024], const size_t *vlen)
{
    lsmt_write_batch_clear(batch);
    lsmt_status st = LSMT_OK;
    for (unsigned i = 0; i < n && st == LSMT_OK; i++)
        st = types[i] == LSMT_TYPE_PUT
                 ? lsmt_write_batch_put(batch, kbuf[i], KEY_LEN, val[i], vlen[i])
                 : lsmt_write_batch_delete(batch, kbuf[i], KEY_LEN);
    if (st != LSMT_OK)
        violation(t->name, "write_batch_%s: %s", types[0] ? "put" : "delete", lsmt_status_str(st));
    else if (lsmt_write_batch_count(batch) != n)
        violation(t->name, "write_batch_count %zu, expected %u", lsmt_write_batch_count(batch), n);
    return lsmt_memtable_write(mt, first, batch);
}

/* Step 3: the write itself, at sequence numbers first..first + n - 1. */
static lsmt_status writer_apply(thr *t, lsmt_memtable *mt, lsmt_write_batch *batch,
                                const uint32_t *keys, const uint8_t *types, unsigned n,
                                uint64_t first, uint32_t inc)
{
    uint8_t val[MAX_BATCH][1024];
    size_t vlen[MAX_BATCH];
    char kbuf[MAX_BATCH][KEY_LEN + 1];
    for (unsigned i = 0; i < n; i++) {
        key_make(kbuf[i], keys[i]);
        vlen[i] = value_make(val[i], keys[i], first + i, inc);
    }
    if (selftest_stale_value(&t->rs, inc))
        vlen[0] = value_make(val[0], keys[0], first, inc - 1);
    if (selftest_claim_lost_write(&t->rs))
        return LSMT_OK;
    if (n == 1 && types[0] == LSMT_TYPE_PUT)
        return lsmt_memtable_put(mt, first, kbuf[0], KEY_LEN, val[0], vlen[0]);
    if (n == 1)
        return lsmt_memtable_delete(mt, first, kbuf[0], KEY_LEN);
    return writer_batch(t, mt, batch, types, n, first, kbuf, val, vlen);
}

/* Step 4: the acknowledged records, for the flush check (V6). REQUIRES: the engine
 * lock held shared (the rotation reads the log after taking it exclusively). */
static void ack_append(ack_vec *a, const uint32_t *keys, const uint8_t *types, unsigned n,
                       uint64_t first)
{
    if (a->n + n > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        a->v = realloc(a->v, a->cap * sizeof(ack));
        if (a->v == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    for (unsigned i = 0; i < n; i++)
        a->v[a->n++] = (ack){first + i, keys[i], types[i]};
}

/* A write refused for a reason the engine expects (the memtable full or frozen by a
 * rotation, memory refused): count it, and for the first two wait for the rotation
 * (outside the engine lock). false for any other status. Range deletes too (range.c). */
bool writer_refused(thr *t, lsmt_status st, uint32_t inc)
{
    switch (st) {
    case LSMT_FULL:
        t->c.write_full++;
        wait_rotation(inc);
        return true;
    case LSMT_FROZEN:
        t->c.write_frozen++;
        wait_rotation(inc);
        return true;
    case LSMT_NOMEM:
        t->c.write_nomem++;
        return true;
    default:
        return false;
    }
}

/* Count the outcome of a put, delete or batch. */
static void writer_outcome(thr *t, lsmt_status st, unsigned n, const uint8_t *types, uint64_t first,
                           uint32_t inc)
{
    if (st == LSMT_OK) {
        if (n > 1) {
            t->c.batches++;
            t->c.batch_records += n;
        } else if (types[0] == LSMT_TYPE_PUT)
            t->c.puts++;
        else
            t->c.deletes++;
    } else if (!writer_refused(t, st, inc)) {
        /* EXISTS (sequence numbers are unique), BUSY (no reset runs on the active
         * memtable), INVALID, RANGE: all wrong here */
        violation(t->name, "write of %u record(s) at seq %" PRIu64 " returned %s", n, first,
                  lsmt_status_str(st));
    }
}

static void writer_op(thr *t, lsmt_write_batch *batch)
{
    uint32_t keys[MAX_BATCH];
    uint8_t types[MAX_BATCH];
    if (C.delete_range > 0 && (double)rnd(&t->rs, 1u << 20) < C.delete_range * (1u << 20)) {
        range_op(t); /* --delete-range (range.c) */
        return;
    }
    unsigned n = writer_pick(t, keys, types);

    pthread_rwlock_rdlock(&E.lock);
    slot *sl = &E.slots[E.active];
    lsmt_memtable *mt = sl->mt;
    uint32_t inc = sl->inc;
    uint64_t first = 0;
    if (!oracle_register(keys, types, n, inc, &first)) {
        pthread_rwlock_unlock(&E.lock);
        return;
    }
    maybe_yield(&t->rs);
    lsmt_status st = writer_apply(t, mt, batch, keys, types, n, first, inc);
    oracle_settle(keys, n, first, st);
    if (st == LSMT_OK)
        ack_append(&sl->acks[t->idx], keys, types, n, first);
    int flush = st == LSMT_OK && lsmt_memtable_should_flush(mt);
    pthread_rwlock_unlock(&E.lock);

    writer_outcome(t, st, n, types, first, inc);
    if (flush)
        nudge_rotation();
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

void *writer_main(void *arg)
{
    thr *t = arg;
    lsmt_write_batch *b = NULL;
    if (lsmt_write_batch_create(&b) != LSMT_OK) {
        violation(t->name, "write_batch_create failed");
        return NULL;
    }
    while (!stopping())
        writer_op(t, b);
    lsmt_write_batch_destroy(b);
    return NULL;
}
