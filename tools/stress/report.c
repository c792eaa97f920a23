/* memtable-stress report: the violation diagnostics and the summary.
 *
 * Design
 *   Any thread reports a broken invariant through violation(): one line on stderr,
 *   "VIOLATION [thread] Vn ... (seed S)", printed whole under a mutex (the self-test
 *   entries in tools/CMakeLists.txt match that form). After MAX_VIOLATIONS the run is
 *   asked to stop, so a broken build does not flood the log. The counters live in each
 *   thread's `thr` (no sharing while running) and are summed here after the joins.
 */
#include "stress.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static _Atomic int g_violations; /* relaxed: counted, read at the end after joins */
static pthread_mutex_t g_print_mu = PTHREAD_MUTEX_INITIALIZER;

void violation(const char *who, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&g_print_mu);
    fprintf(stderr, "VIOLATION [%s] ", who);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (seed %" PRIu64 ")\n", C.seed);
    pthread_mutex_unlock(&g_print_mu);
    if (atomic_fetch_add_explicit(&g_violations, 1, memory_order_relaxed) + 1 >= MAX_VIOLATIONS)
        atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
}

int violations(void)
{
    return atomic_load_explicit(&g_violations, memory_order_relaxed);
}

int report_summary(const thr *th, unsigned nthr, double elapsed)
{
    counters s = {0};
    for (unsigned n = 0; n < nthr; n++) {
        uint64_t *a = (uint64_t *)&s;
        const uint64_t *b = (const uint64_t *)&th[n].c;
        for (size_t f = 0; f < sizeof(counters) / sizeof(uint64_t); f++)
            a[f] += b[f];
    }
    uint64_t ops = s.puts + s.deletes + s.range_deletes + s.batches + s.gets + s.multigets +
                   s.iters + s.probe_gets + s.probe_iters;
    inject_check_coverage();
    int viol = violations();
    printf("summary: %.1f s, %" PRIu64 " ops (%.0f/s)\n", elapsed, ops, (double)ops / elapsed);
    printf("  writes: %" PRIu64 " puts, %" PRIu64 " deletes, %" PRIu64 " batches (%" PRIu64
           " records); refused: %" PRIu64 " full, %" PRIu64 " frozen, %" PRIu64 " nomem\n",
           s.puts, s.deletes, s.batches, s.batch_records, s.write_full, s.write_frozen,
           s.write_nomem);
    if (s.range_deletes)
        printf("  range deletes: %" PRIu64 "\n", s.range_deletes);
    printf("  reads: %" PRIu64 " gets, %" PRIu64 " multi_gets -> %" PRIu64 " found, %" PRIu64
           " deleted, %" PRIu64 " not found (%" PRIu64 " from the sst); %" PRIu64 " unjudged\n",
           s.gets, s.multigets, s.found, s.deleted, s.not_found, s.sst_hits, s.unjudged);
    printf("  iterators: %" PRIu64 " scans, %" PRIu64 " steps; probes: %" PRIu64 " gets, %" PRIu64
           " iterators, %" PRIu64 " busy\n",
           s.iters, s.iter_steps, s.probe_gets, s.probe_iters, s.probe_busy);
    printf("  lifecycle: %" PRIu64 " rotations, %" PRIu64 " resets (%" PRIu64
           " busy retries), %" PRIu64 " entries flushed, %" PRIu64 " destroyed, %" PRIu64
           " create nomem, %" PRIu64 " injected faults (%" PRIu64 " arena carves)\n",
           s.rotations, s.resets, s.reset_busy, s.flushed_entries, s.destroyed, s.create_nomem,
           inject_faults(), inject_carve_faults());
    printf("  violations: %d\n", viol);
    printf("%s\n", viol ? "FAILED" : "PASSED");
    return viol;
}
