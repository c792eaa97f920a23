/* ThreadSanitizer annotations for liburcu grace periods (internal; TSan builds only).
 *
 * liburcu 0.13 orders a read-side section before the end of the grace period that
 * waits for it with sys_membarrier and plain (volatile) counters inside an
 * uninstrumented library, so TSan cannot see that edge and would report every reuse
 * of memory after synchronize_rcu() as a race with the readers it waited for. We make
 * the edge explicit on a per-memtable token byte:
 *
 *   reader:  ... accesses ... ; LSMT_TSAN_RELEASE(token); rcu_read_unlock();
 *   updater: synchronize_rcu(); LSMT_TSAN_ACQUIRE(token); ... reuse memory ...
 *
 * which is exactly the guarantee RCU gives: every read section that ended before the
 * grace period completed happens-before the code after synchronize_rcu(). Without
 * LSMT_TSAN both macros compile to nothing. Reports from inside liburcu itself are
 * suppressed by tests/tsan.supp.
 */
#ifndef LSMT_MEMTABLE_TSAN_RCU_H
#define LSMT_MEMTABLE_TSAN_RCU_H

#if defined(LSMT_TSAN)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define LSMT_TSAN_RELEASE(addr) __tsan_release((void *)(addr))
#define LSMT_TSAN_ACQUIRE(addr) __tsan_acquire((void *)(addr))
#else
#define LSMT_TSAN_RELEASE(addr) ((void)(addr))
#define LSMT_TSAN_ACQUIRE(addr) ((void)(addr))
#endif

#endif
