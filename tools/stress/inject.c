/* memtable-stress fault and yield injection: the test hooks of the library's injection
 * builds, and a page layer that fails at random.
 *
 * Design
 *   --fault-rate P fails two layers, seeded from --seed (one generator under a mutex:
 *   faults are rare events, not a hot path):
 *   - the page layer: the arena pool maps memory through a backing whose map and
 *     discard fail with probability P, forwarding to the OS backing otherwise;
 *   - the sharded arena's carves (a build with -DLSMT_FAULT_INJECTION): its carve hook
 *     fails a chunk refill or large allocation as if the region were full.
 *   --yield in a build with -DLSMT_YIELD_INJECTION also yields inside the skip list,
 *   between finding an insert's position and its CAS. Every hook is installed once,
 *   before any thread starts; these are the tool's only uses of the library's test hooks.
 */
#include "stress.h"
#include "arena/concurrent_internal.h"  /* lsmt_sharded_arena_test_fault_hook */
#include "skiplist/skiplist_internal.h" /* lsmt_skiplist_test_yield_hook (yield builds) */

#include <errno.h>
#include <inttypes.h>

static _Atomic uint64_t g_faults; /* relaxed: injected failures (report only) */

#ifdef LSMT_YIELD_INJECTION
/* Yield injection inside the skip list (a tree configured with -DLSMT_YIELD_INJECTION):
 * skiplist/skiplist.c calls this hook between finding an insert's position and the CAS
 * that links the node, at every level, so other inserts land in that window (as
 * Pebble's arenaskl tests do). Set once before any thread starts. */
static _Thread_local uint64_t t_yield_rs;
static void yield_hook(unsigned level)
{
    if (t_yield_rs == 0)
        t_yield_rs = (uint64_t)(uintptr_t)&t_yield_rs ^ C.seed;
    if (splitmix(&t_yield_rs) % 3 == 0 || level > 0)
        sched_yield();
}
#endif

/* ---- fault injection: a backing that fails at random -------------------------------- */
static pthread_mutex_t g_fault_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_fault_rs;
static int fault_now(void)
{
    if (C.fault_rate <= 0)
        return 0;
    pthread_mutex_lock(&g_fault_mu);
    int f = (double)(splitmix(&g_fault_rs) >> 11) / 9007199254740992.0 < C.fault_rate;
    pthread_mutex_unlock(&g_fault_mu);
    if (f)
        atomic_fetch_add_explicit(&g_faults, 1, memory_order_relaxed);
    return f;
}
static int fb_map(void *ctx, size_t size, size_t align, void **out)
{
    const lsmt_backing *os = ctx;
    if (fault_now())
        return ENOMEM;
    return os->map(os->ctx, size, align, out);
}
static int fb_unmap(void *ctx, void *addr, size_t size)
{
    const lsmt_backing *os = ctx;
    return os->unmap(os->ctx, addr, size);
}
static int fb_discard(void *ctx, void *addr, size_t size)
{
    const lsmt_backing *os = ctx;
    if (fault_now())
        return ENOMEM;
    return os->discard(os->ctx, addr, size);
}
static int fb_hugepage(void *ctx, void *addr, size_t size)
{
    const lsmt_backing *os = ctx;
    return os->hugepage ? os->hugepage(os->ctx, addr, size) : 0;
}
static lsmt_backing g_faulty;

#ifdef LSMT_FAULT_INJECTION
/* The concurrent arena's carve hook (arena.h, fault-injection builds): a chunk refill or
 * large allocation fails as if the region were full, so writes get LSMT_FULL in the
 * middle of a memtable's life (a batch possibly after some of its nodes were carved)
 * and must leave no trace. Counted apart from the page-layer faults. */
static _Atomic uint64_t g_carve_faults; /* relaxed: report only */
static bool carve_fault(void)
{
    if (!fault_now())
        return false;
    atomic_fetch_add_explicit(&g_carve_faults, 1, memory_order_relaxed);
    return true;
}
#endif

void inject_setup(lsmt_arena_pool_options *po)
{
#ifdef LSMT_YIELD_INJECTION
    if (C.yield)
        lsmt_skiplist_test_yield_hook = yield_hook;
#endif
    g_fault_rs = C.seed ^ 0xfa017ull;
    g_faulty = *lsmt_backing_os();
    g_faulty.ctx = (void *)lsmt_backing_os();
    g_faulty.map = fb_map;
    g_faulty.unmap = fb_unmap;
    g_faulty.discard = fb_discard;
    g_faulty.hugepage = fb_hugepage;
    if (C.fault_rate > 0)
        po->arena.backing = &g_faulty;
#ifdef LSMT_FAULT_INJECTION
    if (C.fault_rate > 0)
        lsmt_sharded_arena_test_fault_hook = carve_fault;
#endif
}

uint64_t inject_faults(void)
{
    return atomic_load_explicit(&g_faults, memory_order_relaxed);
}

uint64_t inject_carve_faults(void)
{
#ifdef LSMT_FAULT_INJECTION
    return atomic_load_explicit(&g_carve_faults, memory_order_relaxed);
#else
    return 0;
#endif
}

void inject_check_coverage(void)
{
#ifdef LSMT_FAULT_INJECTION
    /* A fault run that injected nothing proved nothing: fail it. */
    if (C.fault_rate > 0 && (inject_faults() == 0 || inject_carve_faults() == 0))
        violation("main",
                  "--fault-rate %g injected %" PRIu64 " faults (%" PRIu64
                  " carves): nothing was tested",
                  C.fault_rate, inject_faults(), inject_carve_faults());
#endif
}
