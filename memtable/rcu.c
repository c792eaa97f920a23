/* Thread registration with liburcu and statistics slots (see memtable/rcu.h).
 *
 * A thread's first memtable call runs lsmt_mt_thread_register: it registers the thread
 * with liburcu-memb (unless the application already did), claims one of the
 * LSMT_MT_SLOTS private statistics slots (or falls back to the shared slot) and arms a
 * pthread key whose destructor undoes both at thread exit. Slot ownership is a
 * process-wide array of flags claimed with a CAS; the release at thread exit pairs
 * with the next owner's acquire so the new owner's plain increments start from the old
 * owner's last value.
 */
#include "memtable/rcu.h"

#include <pthread.h>
#include <stdatomic.h>

LSMT_TLS lsmt_mt_thread lsmt_mt_tls;

/* Slot ownership: 1 = owned by a live thread. Written by the claiming CAS (acquire)
 * and by the owner's exit (release store); the pair orders the old owner's counter
 * stores before the new owner's loads. */
static _Atomic unsigned char slot_owned[LSMT_MT_SLOTS];
/* Round-robin start for the slot search: relaxed, it only spreads the search. */
static atomic_uint slot_next;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int key_ok;

static void thread_exit(void *arg)
{
    (void)arg;
    lsmt_mt_thread *t = &lsmt_mt_tls;
    if (!t->ready)
        return;
#if !defined(LSMT_RCU_BP)
    if (t->own_rcu)
        urcu_memb_unregister_thread();
#endif
    if (t->slot < LSMT_MT_SLOTS) {
        /* release: our last counter stores happen-before the next owner's claim
         * (acquire CAS below). */
        atomic_store_explicit(&slot_owned[t->slot], 0, memory_order_release);
    }
    t->ready = false;
    t->own_rcu = false;
}

static void make_key(void)
{
    key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

static unsigned claim_slot(void)
{
    unsigned start = atomic_fetch_add_explicit(&slot_next, 1, memory_order_relaxed);
    for (unsigned i = 0; i < LSMT_MT_SLOTS; i++) {
        unsigned s = (start + i) % LSMT_MT_SLOTS;
        unsigned char expect = 0;
        /* acquire on success: see the previous owner's counter stores (its release
         * store in thread_exit). Fails when another live thread owns the slot: try the
         * next one; relaxed on failure since nothing is read. */
        if (atomic_load_explicit(&slot_owned[s], memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(&slot_owned[s], &expect, 1,
                                                    memory_order_acquire, memory_order_relaxed))
            return s;
    }
    return LSMT_MT_SLOT_SHARED;
}

int lsmt_mt_thread_register(void)
{
    lsmt_mt_thread *t = &lsmt_mt_tls;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return -1;
    /* Arm the destructor first: a non-NULL value is what makes it run. */
    if (pthread_setspecific(thread_key, (void *)1) != 0)
        return -1;
#if !defined(LSMT_RCU_BP)
    t->own_rcu = !URCU_TLS(urcu_memb_reader).registered;
    if (t->own_rcu)
        urcu_memb_register_thread();
#endif
    t->slot = claim_slot();
    t->ready = true;
    return 0;
}

void lsmt_mt_synchronize(const void *token)
{
#if defined(LSMT_RCU_BP)
    urcu_bp_synchronize_rcu();
#else
    urcu_memb_synchronize_rcu();
#endif
    LSMT_TSAN_ACQUIRE(token);
}
