/* memtable-stress engine: the memtable slots, the engine view and the rotation signals.
 *
 * Design
 *   NSLOTS memtable slots: one ACTIVE, up to MAX_IMM FROZEN (newest first in E.imm), the
 *   rest FREE (reset, kept for reuse) or EMPTY (destroyed; the next use creates one
 *   through the arena pool). Only the rotation thread changes a slot's state and the
 *   view; it does so under the engine rwlock held exclusively, and everyone else copies
 *   what it needs (view_take) under the lock held shared for one operation.
 *   A slot's memtable pointer is also guarded by its life_mu, which the probe holds
 *   instead of the engine lock.
 *
 *   Signals: a writer that got LSMT_FULL / LSMT_FROZEN or saw should_flush nudges the
 *   rotation thread (rot_mu + rot_cv); one that must wait for a fresh memtable waits on
 *   installed_cv for installed_inc to move on. Every wait is bounded, so a stop request
 *   is always seen.
 */
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>

engine E;

/* CLOCK_REALTIME now + ns: a pthread_cond_timedwait deadline. */
static struct timespec deadline_in(long ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ns;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* Create the memtable of slot `i` through the pool. */
lsmt_status slot_create(int i)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = C.buffer;
    o.pool = E.pool;
    o.bloom_bits_per_key = i % 2 ? 10 : 0; /* half the memtables with a bloom filter */
    /* one of those with a filter sized for 64 keys (two lines): saturated, so every add
     * ORs into the same few words as the other writers' and nearly every get passes the
     * filter to the skip list */
    o.bloom_expected_keys = i == 1 ? 64 : 0;
    /* --hash-index: slot 0 with the index at its default size, slot 2 (with protection)
     * with one sized for 32 keys (one window): most keys are left out of it, so its gets
     * mix index hits with skip-list fallbacks. (Slot 3's paranoid gets would bypass the
     * index: memtable.h, paranoid_checks.) */
    o.hash_index = C.hash_index && (i == 0 || i == 2);
    o.hash_index_expected_keys = i == 2 ? 32 : 0;
    /* slots 2 and 3 with per-entry protection, slot 3 also with paranoid checks: every
     * read of theirs verifies (a false LSMT_CORRUPTION is a violation like any other
     * unexpected status), and paranoid reads walk the list beside the writers */
    o.protection_bytes_per_key = i >= 2 ? 8 : 0;
    o.paranoid_checks = i == 3;
    lsmt_memtable *mt = NULL;
    lsmt_status st = lsmt_memtable_create(&o, &mt);
    if (st == LSMT_OK) {
        pthread_mutex_lock(&E.slots[i].life_mu);
        E.slots[i].mt = mt;
        pthread_mutex_unlock(&E.slots[i].life_mu);
    }
    return st;
}

static void engine_locks_init(void)
{
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&E.lock, &ra);
    pthread_mutex_init(&E.rot_mu, NULL);
    pthread_cond_init(&E.rot_cv, NULL);
    pthread_cond_init(&E.installed_cv, NULL);
    for (int i = 0; i < NSLOTS; i++)
        pthread_mutex_init(&E.slots[i].life_mu, NULL);
}

int engine_init(void)
{
    engine_locks_init();
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.chunk_size = 64 << 10;
    po.arena.capacity = C.buffer * 2 + 4 * po.arena.chunk_size;
    po.max_idle = 2;
    inject_setup(&po);
    lsmt_status st = lsmt_arena_pool_create(&po, &E.pool);
    if (st != LSMT_OK) {
        fprintf(stderr, "arena_pool_create: %s\n", lsmt_status_str(st));
        return 2;
    }
    /* the first active memtable (retry injected faults) */
    for (int tries = 0; (st = slot_create(0)) == LSMT_NOMEM && C.fault_rate > 0 && tries < 1000;
         tries++) {
    }
    if (st != LSMT_OK) {
        fprintf(stderr, "memtable_create: %s\n", lsmt_status_str(st));
        return 2;
    }
    E.active = 0;
    E.slots[0].state = S_ACTIVE;
    E.slots[0].inc = ++E.inc_counter;
    E.installed_inc = E.inc_counter;
    for (int i = 1; i < NSLOTS; i++)
        E.slots[i].state = S_EMPTY;
    return 0;
}

void engine_destroy(void)
{
    for (int i = 0; i < NSLOTS; i++) {
        lsmt_memtable_destroy(E.slots[i].mt);
        for (int w = 0; w < MAX_THREADS; w++) {
            free(E.slots[i].acks[w].v);
            free(E.slots[i].racks[w].v);
        }
    }
    lsmt_arena_pool_destroy(E.pool);
}

void nudge_rotation(void)
{
    pthread_mutex_lock(&E.rot_mu);
    E.rot_wanted = 1;
    pthread_cond_signal(&E.rot_cv);
    pthread_mutex_unlock(&E.rot_mu);
}

/* After LSMT_FULL / LSMT_FROZEN from memtable `inc`: ask for a rotation and wait until a
 * newer memtable is installed (bounded wait, so a stop request is seen). */
void wait_rotation(uint32_t inc)
{
    pthread_mutex_lock(&E.rot_mu);
    E.rot_wanted = 1;
    pthread_cond_signal(&E.rot_cv);
    for (int i = 0; i < 10 && E.installed_inc == inc && !stopping(); i++) {
        struct timespec ts = deadline_in(1000000);
        pthread_cond_timedwait(&E.installed_cv, &E.rot_mu, &ts);
    }
    pthread_mutex_unlock(&E.rot_mu);
}

int rotation_wait(void)
{
    pthread_mutex_lock(&E.rot_mu);
    if (!E.rot_wanted) {
        /* pacing only: the rotation also runs every rotate_ms */
        struct timespec ts = deadline_in(2000000);
        pthread_cond_timedwait(&E.rot_cv, &E.rot_mu, &ts);
    }
    int wanted = E.rot_wanted;
    E.rot_wanted = 0;
    pthread_mutex_unlock(&E.rot_mu);
    return wanted;
}

void rotation_installed(uint32_t inc)
{
    pthread_mutex_lock(&E.rot_mu);
    E.installed_inc = inc;
    pthread_cond_broadcast(&E.installed_cv);
    pthread_mutex_unlock(&E.rot_mu);
}

void view_take(view *v)
{
    v->n = 0;
    v->slot[v->n] = E.active;
    v->inc[v->n] = E.slots[E.active].inc;
    v->mt[v->n++] = E.slots[E.active].mt;
    for (int i = 0; i < E.nimm; i++) {
        v->slot[v->n] = E.imm[i];
        v->inc[v->n] = E.slots[E.imm[i]].inc;
        v->mt[v->n++] = E.slots[E.imm[i]].mt;
    }
}

uint64_t pick_snapshot(uint64_t *rs)
{
    /* relaxed: any value is a fine snapshot; the expected state is judged under the key
     * mutexes */
    uint64_t next = atomic_load_explicit(&g_seq_next, memory_order_relaxed);
    uint64_t r = rnd(rs, 10);
    if (r == 0)
        return LSMT_MAX_SEQUENCE;
    if (r < 7 || next - C.seq_base < 64)
        return next - 1;
    return next - 1 - rnd(rs, 64);
}
