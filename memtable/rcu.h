/* RCU and per-thread state of the memtable (internal).
 *
 * Flavour: liburcu-memb (sys_membarrier), with lazy registration done here. A thread's
 * first memtable call registers it with liburcu and claims a private statistics slot;
 * a pthread key destructor unregisters it and frees the slot when the thread exits, so
 * the caller never sees liburcu. Measured against urcu-bp (which registers itself) on
 * the 2-vCPU EPYC VM, liburcu 0.13, under heavy background load:
 *   read_lock + read_unlock pair, inlined, 1e8 iterations:   memb 3.2-3.8 ns, bp 3.6-3.9 ns
 *   the same through liburcu's exported functions:           memb 25-27 ns,  bp 33-37 ns
 *     (each call pays __tls_get_addr: hence the inlining and the initial-exec
 *     declarations below)
 *   synchronize_rcu with two threads spinning on read sections:
 *                                                            memb 1-9 us,   bp 250-750 us
 * Read sections cost the same (memtable get overhead over a raw skip-list seek was
 * within noise for both); bp's grace period polls with sleeps while readers are active,
 * and freeze and reset_all each wait for one, so memb wins the flush/reset cycle.
 * Building with -DLSMT_RCU_BP switches to urcu-bp (kept to repeat that measurement;
 * it then needs liburcu-bp linked, which the default build does not need).
 *
 * Only the read-lock/unlock fast paths of liburcu are inlined (_LGPL_SOURCE): liburcu
 * documents both as under its 10-line limit, usable from non-LGPL code.
 *
 * Registration is skipped when the application registered the thread with
 * liburcu-memb itself (and then left to the application to undo).
 */
#ifndef LSMT_MEMTABLE_RCU_H
#define LSMT_MEMTABLE_RCU_H

#include <stdbool.h>

#include "common/internal.h"
#include "memtable/tsan_rcu.h"

#define _LGPL_SOURCE 1
#if defined(LSMT_RCU_BP)
#include <urcu/urcu-bp.h>
#define LSMT_RCU_READ_LOCK()   urcu_bp_read_lock()
#define LSMT_RCU_READ_UNLOCK() urcu_bp_read_unlock()
/* See the memb branch. */
extern _Thread_local struct urcu_bp_reader *urcu_bp_reader
    __attribute__((tls_model("initial-exec")));
#else
#include <urcu/urcu-memb.h>
#define LSMT_RCU_READ_LOCK()   urcu_memb_read_lock()
#define LSMT_RCU_READ_UNLOCK() urcu_memb_read_unlock()
/* The reader's TLS block lives in liburcu-memb.so, a load-time dependency of ours, so
 * it is in the static TLS area: initial-exec access is valid and saves the
 * __tls_get_addr calls that the default (general-dynamic) model costs inside a shared
 * library on every read section (the same trade LSMT_TLS makes). */
extern _Thread_local struct urcu_reader urcu_memb_reader __attribute__((tls_model("initial-exec")));
#endif
#undef _LGPL_SOURCE

/* Process-wide statistics slots: LSMT_MT_SLOTS private ones, each owned by at most one
 * live thread (plain load + store increments), plus one shared overflow slot
 * (LSMT_MT_SLOT_SHARED, atomic fetch_add) for threads beyond that. */
#define LSMT_MT_SLOTS       64
#define LSMT_MT_SLOT_SHARED LSMT_MT_SLOTS

/* Per-thread state. Written only by its own thread. */
typedef struct lsmt_mt_thread {
    bool ready;    /* registered with liburcu, slot claimed, destructor armed */
    bool own_rcu;  /* we registered the thread (and unregister it at exit) */
    unsigned slot; /* statistics slot, < LSMT_MT_SLOTS or LSMT_MT_SLOT_SHARED */
} lsmt_mt_thread;

__attribute__((visibility("hidden"))) extern LSMT_TLS lsmt_mt_thread lsmt_mt_tls;

/* Slow path of lsmt_mt_thread_enter: register, claim a slot. 0 on success, -1 when the
 * pthread key could not be created (the call then fails with LSMT_NOMEM). */
__attribute__((visibility("hidden"))) int lsmt_mt_thread_register(void);

/* Make the calling thread ready for read sections. 0 or -1 as above. */
static inline int lsmt_mt_thread_enter(void)
{
    if (LSMT_LIKELY(lsmt_mt_tls.ready))
        return 0;
    return lsmt_mt_thread_register();
}

/* Enter / leave a read-side section. `token` is the memtable's TSan token: every
 * section's accesses happen-before the end of a grace period that waited for it. */
static inline void lsmt_mt_read_lock(void)
{
    LSMT_RCU_READ_LOCK();
}
static inline void lsmt_mt_read_unlock(const void *token)
{
    LSMT_TSAN_RELEASE(token);
    LSMT_RCU_READ_UNLOCK();
}

/* Wait for every read section in progress (a grace period), then acquire `token` for
 * TSan. REQUIRES: the caller is not inside a read section. */
__attribute__((visibility("hidden"))) void lsmt_mt_synchronize(const void *token);

#endif
