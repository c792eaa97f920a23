/* Phases on T threads (phase.h).
 *
 * Design: T workers and the main thread meet at a barrier. Each worker then reads the
 * clock (its start), runs its share, reads the clock (its end), and reports under a
 * mutex; the last one signals the main thread. The main thread sleeps on a condition
 * variable (CLOCK_MONOTONIC) until the next of: every worker done, the next progress
 * redraw (every 250 ms), the deadline of a timed phase. Ctrl-C is a flag set by the signal
 * handler; the main thread notices it at its next wake-up (at most 250 ms later) and
 * sets the phase's stop flag. The phase's time comes only from the workers' clocks. */
#include "bench/phase.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/common.h"

#define REDRAW_NS  250000000ull /* progress: at most 4 redraws a second */
#define FIRST_DRAW 500000000ull /* none in the first half second */

/* Set by the SIGINT handler, read by anyone. A lock-free atomic: async-signal-safe.
 * relaxed everywhere: it carries no data. */
static _Atomic bool g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store_explicit(&g_interrupted, true, memory_order_relaxed);
}

void bench_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

bool bench_interrupted(void)
{
    return atomic_load_explicit(&g_interrupted, memory_order_relaxed);
}

typedef struct phase_run {
    const bench_phase *p;
    pthread_barrier_t start;
    pthread_mutex_t lock; /* guards finished and the workers' start/end */
    pthread_cond_t cond;  /* signalled when finished reaches T */
    unsigned finished;
} phase_run;

typedef struct phase_worker {
    phase_run *run;
    unsigned tid;
    pthread_t th;
    uint64_t start_ns, end_ns; /* written by the worker, read after the join */
} phase_worker;

static void *worker_main(void *arg)
{
    phase_worker *w = arg;
    phase_run *run = w->run;
    pthread_barrier_wait(&run->start);
    w->start_ns = bench_now_ns();
    run->p->work(run->p->ctx, w->tid);
    w->end_ns = bench_now_ns();
    pthread_mutex_lock(&run->lock);
    if (++run->finished == run->p->threads)
        pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

static void set_stop(const bench_phase *p)
{
    if (p->stop != NULL)
        /* relaxed: a flag without data; workers poll it, the joins order the rest */
        atomic_store_explicit(p->stop, true, memory_order_relaxed);
}

static void draw_progress(const bench_phase *p, uint64_t t0, uint64_t now, uint64_t *last_t,
                          uint64_t *last_n)
{
    uint64_t n = p->done ? p->done(p->ctx) : 0;
    double rate = now > *last_t ? (double)(n - *last_n) / ((double)(now - *last_t) / 1e9) : 0;
    double left = p->duration > 0            ? p->duration - (double)(now - t0) / 1e9
                  : rate > 0 && p->total > n ? (double)(p->total - n) / rate
                                             : 0;
    fprintf(stderr, "\r[%s] %llu ops  %.3f Mops/s  ETA %.0f s   ", p->name, (unsigned long long)n,
            rate / 1e6, left > 0 ? left : 0);
    *last_t = now;
    *last_n = n;
}

/* The main thread's wait for the workers: progress, deadline, Ctrl-C. */
static void wait_workers(phase_run *run)
{
    const bench_phase *p = run->p;
    uint64_t t0 = bench_now_ns(), last_t = t0, last_n = 0;
    uint64_t deadline = p->duration > 0 ? t0 + (uint64_t)(p->duration * 1e9) : UINT64_MAX;
    bool stopped = false, drawn = false;
    pthread_mutex_lock(&run->lock);
    while (run->finished < p->threads) {
        uint64_t now = bench_now_ns();
        if (!stopped && (now >= deadline || bench_interrupted())) {
            set_stop(p);
            stopped = true;
        }
        if (p->progress && now - t0 >= FIRST_DRAW && now - last_t >= REDRAW_NS) {
            draw_progress(p, t0, now, &last_t, &last_n);
            drawn = true;
        }
        uint64_t wake = now + REDRAW_NS;
        if (!stopped && deadline < wake)
            wake = deadline;
        struct timespec ts = {(time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull)};
        pthread_cond_timedwait(&run->cond, &run->lock, &ts);
    }
    pthread_mutex_unlock(&run->lock);
    if (drawn)
        fprintf(stderr, "\r%*s\r", 60, "");
}

double bench_phase_run(const bench_phase *p)
{
    const unsigned T = p->threads;
    phase_worker *w = calloc(T, sizeof *w);
    if (w == NULL) {
        fprintf(stderr, "memtable-bench: out of memory\n");
        exit(1);
    }
    phase_run run = {.p = p, .finished = 0};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&run.cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&run.lock, NULL);
    pthread_barrier_init(&run.start, NULL, T + 1);
    for (unsigned i = 0; i < T; i++) {
        w[i] = (phase_worker){.run = &run, .tid = i};
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "memtable-bench: cannot start thread %u\n", i);
            exit(1); /* the started ones wait at the barrier forever */
        }
    }
    pthread_barrier_wait(&run.start);
    wait_workers(&run);
    uint64_t first = UINT64_MAX, last = 0;
    for (unsigned i = 0; i < T; i++) {
        pthread_join(w[i].th, NULL);
        if (w[i].start_ns < first)
            first = w[i].start_ns;
        if (w[i].end_ns > last)
            last = w[i].end_ns;
    }
    pthread_barrier_destroy(&run.start);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
    free(w);
    return (double)(last - first) / 1e9;
}
