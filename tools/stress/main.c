/* memtable-stress: the memtable torture test (docs/RELIABILITY.md; the design and the
 * invariants V1-V8 are in stress.h).
 *
 * Design
 *   main is the run's frame and nothing else: parse and print the options, build the
 *   expected state and the engine, start the threads (writers, readers, iterators,
 *   probes, one rotation; each with its own random stream split from --seed), stop them
 *   after --duration or --ops, flush every memtable once more through the same checks
 *   (unless a violation already stopped the run), print the summary and tear down.
 *   Exit status: 0 clean, 1 invariant violation, 2 usage or setup error.
 */
#include "stress.h"

#include <stdio.h>
#include <stdlib.h>

_Atomic int g_stop;
_Atomic uint64_t g_seq_next;
_Atomic uint64_t g_ops;

enum { KINDS = 5 };

/* Start every thread; the rotation thread is the last one. Returns 0, or 2. */
static int threads_start(thr *th)
{
    void *(*fn[KINDS])(void *) = {writer_main, reader_main, iterator_main, probe_main,
                                  rotation_main};
    const char *names[KINDS] = {"writer", "reader", "iterator", "probe", "rotation"};
    unsigned counts[KINDS] = {C.writers, C.readers, C.iterators, C.probes, 1};
    uint64_t ss = C.seed;
    for (unsigned kind = 0, n = 0; kind < KINDS; kind++) {
        for (unsigned j = 0; j < counts[kind]; j++, n++) {
            th[n].idx = j;
            th[n].rs = splitmix(&ss);
            snprintf(th[n].name, sizeof(th[n].name), "%s %u", names[kind], j);
            if (pthread_create(&th[n].th, NULL, fn[kind], &th[n]) != 0) {
                perror("pthread_create");
                return 2;
            }
        }
    }
    return 0;
}

/* The run's length: --duration and/or --ops, whichever comes first. */
static void run_until_done(double t0)
{
    while (!stopping()) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (C.duration > 0 && now_s() - t0 >= C.duration)
            break;
        if (C.ops > 0 && atomic_load_explicit(&g_ops, memory_order_relaxed) >= C.ops)
            break;
    }
    atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
}

/* Final flush of everything: every acknowledged write is checked once more (V6). Runs
 * after the joins, as the rotation thread `rot`. */
static void final_flush(thr *rot)
{
    if (violations() != 0)
        return;
    while (E.nimm > 0)
        flush_oldest(rot);
    /* freeze the active memtable and flush it too */
    lsmt_memtable_freeze(E.slots[E.active].mt);
    E.imm[E.nimm++] = E.active;
    E.slots[E.active].state = S_FROZEN;
    flush_oldest(rot);
}

int main(int argc, char **argv)
{
    int rc = options_parse(argc, argv);
    if (rc >= 0)
        return rc;
    options_print(argv[0]);
    atomic_store_explicit(&g_seq_next, C.seq_base, memory_order_relaxed);
    oracle_init();
    if ((rc = engine_init()) != 0)
        return rc;

    unsigned nthr = C.writers + C.readers + C.iterators + C.probes + 1;
    thr *th = calloc(nthr, sizeof(thr));
    double t0 = now_s();
    if ((rc = threads_start(th)) != 0)
        return rc;
    run_until_done(t0);
    for (unsigned n = 0; n < nthr; n++)
        pthread_join(th[n].th, NULL);
    double elapsed = now_s() - t0;

    final_flush(&th[nthr - 1]);
    int viol = report_summary(th, nthr, elapsed);

    engine_destroy();
    oracle_destroy();
    free(th);
    return viol ? 1 : 0;
}
