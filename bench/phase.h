/* A phase of a benchmark on T threads (bench/phase.c), timed by the threads themselves:
 * each worker reads the clock right after the start barrier and right after its share of
 * the work, and the phase's time is the last end minus the first start. The main thread
 * only waits: its wake-ups (progress redraws, the --duration deadline, Ctrl-C) never
 * enter the figure, so a 1000-operation phase is timed as exactly as a long one. Not a
 * library API.
 *
 * Thread safety: bench_phase_run is called by one thread at a time. bench_interrupted
 * may be called from any thread. */
#ifndef LSMT_BENCH_PHASE_H
#define LSMT_BENCH_PHASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct bench_phase {
    unsigned threads;
    /* One thread's share of the phase; returns when done, or soon after *stop is set. */
    void (*work)(void *ctx, unsigned tid);
    void *ctx;
    /* Operations done so far (an estimate, for the progress line); NULL = none. */
    uint64_t (*done)(void *ctx);
    uint64_t total;     /* operations the phase will do (ETA); 0 = unknown */
    double duration;    /* > 0: set *stop this many seconds after the start */
    _Atomic bool *stop; /* set at the deadline and on Ctrl-C; may be NULL */
    const char *name;   /* progress label */
    bool progress;      /* draw the progress line on stderr (at most 4 times a second) */
} bench_phase;

/* Run the phase; returns its seconds (first thread's start to last thread's end). Exits
 * 1 after a message when a thread cannot be started. */
double bench_phase_run(const bench_phase *p);

/* Ctrl-C (SIGINT) from now on sets the interrupted flag and the running phase's stop
 * flag instead of ending the process. */
void bench_interrupt_install(void);
/* Whether Ctrl-C was pressed. */
bool bench_interrupted(void);

#endif
