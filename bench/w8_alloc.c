/* W8 "alloc" over every lsmt arena kind: see w8_alloc.h for the workload and what each
 * kind measures.
 *
 * Design: the caller is worker 0; workers 1..T-1 are started once per w8_run and live
 * through every pass, so thread-local state (carena claims, scratch arenas) stays warm
 * across passes exactly as in a long-lived writer thread. One pass is five barrier-
 * separated steps:
 *   B1  worker 0 has read the fault counter (and, for pool, checked out the arena)
 *   --  every worker runs its alloc loop (timed per worker)
 *   B2  every allocation of the pass exists
 *   --  every worker verifies its own slice (untimed; catches cross-thread overlap)
 *   B3
 *   --  every worker frees its part (timed per worker; shared arenas: worker 0 only)
 *   B4  worker 0 reads the fault counter, collects the times and decides to stop on error
 *   B5  the decision is visible to all workers
 * The barriers are the only synchronization: what one worker writes before a barrier
 * (the checked-out arena, the stop flag, its times) the others read after it. */
#include "w8_alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lsmt/arena.h"

#define W8_ALIGN 8 /* alignment requested from every arena (sizes are multiples of 16) */

static inline uint64_t w8_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double w8_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread (user + system), seconds */
static double w8_thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long w8_minflt(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_minflt;
}

static const char *const w8_names[W8_KIND_COUNT] = {
    [W8_MALLOC] = "malloc", [W8_BUMP] = "bump",
    [W8_CARENA] = "carena", [W8_CARENA_HUGE] = "carena_huge",
    [W8_POOL] = "pool",     [W8_SCRATCH] = "scratch",
    [W8_RING] = "ring",
};

const char *w8_kind_name(w8_kind k)
{
    if ((unsigned)k >= W8_KIND_COUNT)
        return "?";
    return w8_names[k];
}

lsmt_status w8_kind_parse(const char *name, w8_kind *out)
{
    if (!name || !out)
        return LSMT_INVALID;
    for (unsigned k = 0; k < W8_KIND_COUNT; k++) {
        if (strcmp(name, w8_names[k]) == 0) {
            *out = (w8_kind)k;
            return LSMT_OK;
        }
    }
    return LSMT_INVALID;
}

void w8_options_default(w8_options *opt)
{
    if (!opt)
        return;
    opt->n = W8_DEFAULT_N;
    opt->threads = 1;
    opt->passes = 2;
    opt->capacity = (size_t)3 << 29; /* 1.5 GiB */
    opt->ring_window = 1024;
    opt->ring_capacity = (size_t)1 << 20;
    opt->verify = true;
}

/* ---- per-run and per-worker state -------------------------------------------------- */

struct w8_shared {
    w8_kind kind;
    w8_options opt;
    const unsigned char *sizes; /* sizes[i] = size_i, precomputed */
    void **ptrs;                /* worker t's slice: ptrs + t * slice */
    uint64_t slice;             /* ceil(n / threads) */
    pthread_barrier_t bar;
    lsmt_sharded_arena *carena; /* carena kinds: the shared arena; pool: this pass's checkout */
    lsmt_arena_pool *pool;      /* pool kind */
    bool stop;                  /* written by worker 0 between B4 and B5 */
    pthread_mutex_t gate_mu;    /* start gate: workers 1..T-1 wait until every thread exists */
    pthread_cond_t gate_cv;
    int gate; /* 0 = wait, 1 = run, 2 = abandon (a pthread_create failed); under gate_mu */
    w8_pass *out;
    struct w8_worker *workers; /* [threads] */
};

struct w8_worker {
    _Alignas(64) struct w8_shared *sh;
    unsigned tid;
    lsmt_bump_arena *bump;     /* bump: this worker's arena */
    lsmt_ring *ring;           /* ring: this worker's ring */
    lsmt_ring_buf *win;        /* ring: the sliding window, ring_window handles (slot j % W) */
    uint64_t done;             /* allocations made in this pass */
    double ta0, ta1, tf0, tf1; /* phase start/end of this worker (wall clock) */
    double ca;                 /* CPU time of this worker's alloc phase (its thread clock) */
    lsmt_status st;            /* first failure of this worker */
    const char *what;
    char pad[64];
};

static void w8_fail(struct w8_worker *w, lsmt_status st, const char *what)
{
    if (w->st == LSMT_OK) {
        w->st = st;
        w->what = what;
    }
}

#define W8_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* thread `tid` allocates i = tid, tid+T, ...; j counts its allocations. CALL is an
 * allocation call that returns an lsmt_status and, on LSMT_OK, has set `p`. */
#define W8_LOOP(CALL, FAILWHAT)                            \
    do {                                                   \
        uint64_t j = 0;                                    \
        for (uint64_t i = w->tid; i < n; i += step, j++) { \
            void *p;                                       \
            lsmt_status st_ = (CALL);                      \
            if (W8_UNLIKELY(st_ != LSMT_OK)) {             \
                w8_fail(w, st_, FAILWHAT);                 \
                break;                                     \
            }                                              \
            *(uint64_t *)p = i;                            \
            ptrs[j] = p;                                   \
        }                                                  \
        w->done = j;                                       \
    } while (0)

static void w8_alloc_phase(struct w8_worker *w)
{
    struct w8_shared *sh = w->sh;
    const uint64_t n = sh->opt.n, step = sh->opt.threads;
    const unsigned char *sizes = sh->sizes;
    void **ptrs = sh->ptrs + (uint64_t)w->tid * sh->slice;
    switch (sh->kind) {
    case W8_MALLOC:
        W8_LOOP((p = malloc(sizes[i])) != NULL ? LSMT_OK : LSMT_NOMEM, "malloc returned NULL");
        break;
    case W8_BUMP: {
        lsmt_bump_arena *a = w->bump;
        W8_LOOP(lsmt_bump_arena_alloc(a, sizes[i], W8_ALIGN, &p), "lsmt_bump_arena_alloc failed");
        break;
    }
    case W8_SCRATCH:
        W8_LOOP(lsmt_scratch_alloc(sizes[i], W8_ALIGN, &p), "lsmt_scratch_alloc failed");
        break;
    case W8_RING: {
        /* allocation j: release buffer j - W (its slot), allocate into the slot, write */
        lsmt_ring *r = w->ring;
        lsmt_ring_buf *win = w->win;
        const uint64_t wn = sh->opt.ring_window;
        uint64_t j = 0, slot = 0;
        for (uint64_t i = w->tid; i < n; i += step, j++) {
            lsmt_ring_buf *b = &win[slot];
            if (j >= wn)
                (void)lsmt_ring_release(b);
            lsmt_status st = lsmt_ring_alloc(r, sizes[i], 0, b);
            if (W8_UNLIKELY(st != LSMT_OK)) {
                w8_fail(w, st, "lsmt_ring_alloc failed (ring too small for the window?)");
                b->guard_ = NULL; /* nothing live in this slot */
                break;
            }
            *(uint64_t *)b->data = i;
            ptrs[j] = b->data;
            if (++slot == wn)
                slot = 0;
        }
        w->done = j;
        break;
    }

    case W8_CARENA:
    case W8_CARENA_HUGE:
    case W8_POOL: {
        lsmt_sharded_arena *a = sh->carena;
        W8_LOOP(lsmt_sharded_arena_alloc(a, sizes[i], W8_ALIGN, &p),
                "lsmt_sharded_arena_alloc failed");
        break;
    }
    default:
        w8_fail(w, LSMT_INVALID, "kind not available in this build");
        w->done = 0;
        break;
    }
}

static void w8_free_phase(struct w8_worker *w)
{
    struct w8_shared *sh = w->sh;
    void **ptrs = sh->ptrs + (uint64_t)w->tid * sh->slice;
    lsmt_status st;
    switch (sh->kind) {
    case W8_MALLOC:
        for (uint64_t j = 0; j < w->done; j++)
            free(ptrs[j]);
        break;
    case W8_BUMP:
        if ((st = lsmt_bump_arena_reset(w->bump)) != LSMT_OK)
            w8_fail(w, st, "lsmt_bump_arena_reset failed");
        break;
    case W8_SCRATCH:
        if ((st = lsmt_scratch_reset()) != LSMT_OK)
            w8_fail(w, st, "lsmt_scratch_reset failed");
        break;
    case W8_RING: {
        /* release the last window (the buffers j - W .. j - 1 still live) */
        const uint64_t live = w->done < sh->opt.ring_window ? w->done : sh->opt.ring_window;
        for (uint64_t k = 0; k < live; k++)
            if (w->win[k].guard_ && (st = lsmt_ring_release(&w->win[k])) != LSMT_OK)
                w8_fail(w, st, "lsmt_ring_release failed");
        break;
    }

    case W8_CARENA:
    case W8_CARENA_HUGE:
        if (w->tid == 0 && (st = lsmt_sharded_arena_reset_all(sh->carena)) != LSMT_OK)
            w8_fail(w, st, "lsmt_sharded_arena_reset_all failed");
        break;
    case W8_POOL:
        if (w->tid == 0) {
            st = lsmt_arena_pool_give_back(sh->pool, sh->carena);
            if (st != LSMT_OK) {
                w8_fail(w, st, "lsmt_arena_pool_give_back failed");
                lsmt_sharded_arena_destroy(sh->carena);
            }
            sh->carena = NULL;
        }
        break;
    default:
        break;
    }
}

/* W8_STATS=1 in the environment: the carena's statistics after each alloc phase, on
 * stderr (a diagnostic for the benchmark's user; printed outside the timed phases) */
static void w8_print_stats(const lsmt_sharded_arena *a, unsigned pass)
{
    lsmt_sharded_arena_stats cs;
    if (!getenv("W8_STATS") || lsmt_sharded_arena_stats_get(a, &cs) != LSMT_OK)
        return;
    fprintf(
        stderr,
        "w8: pass %u carena stats: allocated %zu reserved %zu capacity %zu chunks %zu shards %zu "
        "claimed %zu shared_allocs %zu\n",
        pass, cs.bytes_allocated, cs.bytes_reserved, cs.capacity, cs.chunk_count, cs.shard_count,
        cs.shards_claimed, cs.shared_allocs);
}

static void w8_verify(struct w8_worker *w)
{
    struct w8_shared *sh = w->sh;
    if (!sh->opt.verify || sh->kind == W8_RING)
        return;
    void *const *ptrs = sh->ptrs + (uint64_t)w->tid * sh->slice;
    uint64_t i = w->tid;
    for (uint64_t j = 0; j < w->done; j++, i += sh->opt.threads) {
        if (*(const uint64_t *)ptrs[j] != i) {
            w8_fail(w, LSMT_CORRUPT, "verify: an allocation was overwritten (overlap)");
            return;
        }
    }
}

static void w8_pass_loop(struct w8_worker *w, struct w8_worker *all)
{
    struct w8_shared *sh = w->sh;
    size_t scratch_threshold = 0;
    if (sh->kind == W8_SCRATCH) {
        /* never auto-reset within a pass (a pass holds ~720 MB); reset keeps everything */
        lsmt_scratch_stats ss;
        lsmt_status st = lsmt_scratch_stats_get(&ss);
        if (st == LSMT_OK) {
            scratch_threshold = ss.threshold;
            st = lsmt_scratch_set_threshold(SIZE_MAX);
        }
        if (st != LSMT_OK)
            w8_fail(w, st, "lsmt_scratch_set_threshold failed");
    }
    for (unsigned pass = 0; pass < sh->opt.passes; pass++) {
        long flt0 = 0;
        double tc = 0;
        w->done = 0;
        if (w->tid == 0) {
            flt0 = w8_minflt();
            if (sh->kind == W8_POOL) {
                double c0 = w8_now();
                lsmt_status st = lsmt_arena_pool_checkout(sh->pool, &sh->carena);
                tc = w8_now() - c0;
                if (st != LSMT_OK) {
                    sh->carena = NULL;
                    w8_fail(w, st, "lsmt_arena_pool_checkout failed");
                }
            }
        }
        pthread_barrier_wait(&sh->bar); /* B1 */
        w->ta0 = w8_now();
        const double c0 = w8_thread_cpu();
        if (sh->carena || (sh->kind != W8_POOL))
            w8_alloc_phase(w);
        w->ca = w8_thread_cpu() - c0;
        w->ta1 = w8_now();
        pthread_barrier_wait(&sh->bar); /* B2 */
        w8_verify(w);
        if (w->tid == 0 && sh->carena)
            w8_print_stats(sh->carena, pass); /* untimed: between B2 and B3 */
        pthread_barrier_wait(&sh->bar);       /* B3 */
        w->tf0 = w8_now();
        if (sh->carena || (sh->kind != W8_POOL))
            w8_free_phase(w);
        w->tf1 = w8_now();
        pthread_barrier_wait(&sh->bar); /* B4 */
        if (w->tid == 0) {
            long flt1 = w8_minflt();
            double a0 = all[0].ta0, a1 = all[0].ta1, f0 = all[0].tf0, f1 = all[0].tf1;
            double ca = all[0].ca;
            for (unsigned t = 1; t < sh->opt.threads; t++) {
                a0 = all[t].ta0 < a0 ? all[t].ta0 : a0;
                a1 = all[t].ta1 > a1 ? all[t].ta1 : a1;
                f0 = all[t].tf0 < f0 ? all[t].tf0 : f0;
                f1 = all[t].tf1 > f1 ? all[t].tf1 : f1;
                ca = all[t].ca > ca ? all[t].ca : ca;
            }
            const double n = (double)sh->opt.n;
            sh->out[pass].alloc_ns = (a1 - a0 + tc) * 1e9 / n;
            sh->out[pass].free_ns = (f1 - f0) * 1e9 / n;
            sh->out[pass].alloc_cpu_ns = (ca + tc) * 1e9 / n;
            sh->out[pass].minflt = (double)(flt1 - flt0) / n;
            for (unsigned t = 0; t < sh->opt.threads; t++)
                if (all[t].st != LSMT_OK)
                    sh->stop = true;
        }
        pthread_barrier_wait(&sh->bar); /* B5 */
        if (sh->stop)
            break;
    }
    if (sh->kind == W8_SCRATCH) {
        /* give the memory back and restore the thread's threshold (the caller's thread
         * lives on after w8_run) */
        (void)lsmt_scratch_release();
        (void)lsmt_scratch_set_threshold(scratch_threshold);
    }
}

static void *w8_thread(void *arg)
{
    struct w8_worker *w = arg;
    struct w8_worker *all = w - w->tid;
    struct w8_shared *sh = w->sh;
    pthread_mutex_lock(&sh->gate_mu);
    while (sh->gate == 0)
        pthread_cond_wait(&sh->gate_cv, &sh->gate_mu);
    int gate = sh->gate;
    pthread_mutex_unlock(&sh->gate_mu);
    if (gate == 1)
        w8_pass_loop(w, all);
    return NULL;
}

static lsmt_status w8_check_options(const w8_options *o)
{
    if (o->n < 1 || o->n > (1ULL << 32))
        return LSMT_INVALID;
    if (o->threads < 1 || o->threads > W8_MAX_THREADS)
        return LSMT_INVALID;
    if (o->passes < 1 || o->passes > 64)
        return LSMT_INVALID;
    if (o->ring_window < 1 || o->ring_capacity < 4096)
        return LSMT_INVALID;
    return LSMT_OK;
}

/* create the per-run objects of `kind` (untimed) */
static lsmt_status w8_setup(struct w8_shared *sh, const char **what)
{
    switch (sh->kind) {
    case W8_MALLOC:
    case W8_SCRATCH:
        return LSMT_OK;
    case W8_BUMP:
        for (unsigned t = 0; t < sh->opt.threads; t++) {
            lsmt_status st = lsmt_bump_arena_create(NULL, &sh->workers[t].bump);
            if (st != LSMT_OK) {
                *what = "lsmt_bump_arena_create failed";
                return st;
            }
        }
        return LSMT_OK;
    case W8_RING:
        for (unsigned t = 0; t < sh->opt.threads; t++) {
            struct w8_worker *w = &sh->workers[t];
            lsmt_ring_options ro;
            lsmt_ring_options_default(&ro);
            ro.capacity = sh->opt.ring_capacity;
            w->win = calloc(sh->opt.ring_window, sizeof *w->win);
            if (!w->win) {
                *what = "out of memory for the ring window";
                return LSMT_NOMEM;
            }
            lsmt_status st = lsmt_ring_create(&ro, &w->ring);
            if (st != LSMT_OK) {
                *what = "lsmt_ring_create failed";
                return st;
            }
        }
        return LSMT_OK;
    case W8_CARENA:
    case W8_CARENA_HUGE: {
        lsmt_sharded_arena_options co;
        lsmt_sharded_arena_options_default(&co);
        co.capacity = sh->opt.capacity;
        co.huge_pages = sh->kind == W8_CARENA_HUGE;
        lsmt_status st = lsmt_sharded_arena_create(&co, &sh->carena);
        if (st != LSMT_OK)
            *what = "lsmt_sharded_arena_create failed";
        return st;
    }
    case W8_POOL: {
        lsmt_arena_pool_options po;
        lsmt_arena_pool_options_default(&po);
        po.arena.capacity = sh->opt.capacity;
        lsmt_status st = lsmt_arena_pool_create(&po, &sh->pool);
        if (st != LSMT_OK)
            *what = "lsmt_arena_pool_create failed";
        return st;
    }
    default:
        *what = "kind not available in this build";
        return LSMT_INVALID;
    }
}

static void w8_teardown(struct w8_shared *sh)
{
    switch (sh->kind) {
    case W8_RING:
        for (unsigned t = 0; t < sh->opt.threads; t++) {
            /* after a failed pass some buffers may still be live: release them first */
            struct w8_worker *w = &sh->workers[t];
            for (size_t k = 0; w->win && k < sh->opt.ring_window; k++)
                if (w->win[k].guard_)
                    (void)lsmt_ring_release(&w->win[k]);
            (void)lsmt_ring_destroy(w->ring);
            w->ring = NULL;
            free(w->win);
            w->win = NULL;
        }
        break;
    case W8_BUMP:
        for (unsigned t = 0; t < sh->opt.threads; t++) {
            lsmt_bump_arena_destroy(sh->workers[t].bump);
            sh->workers[t].bump = NULL;
        }
        break;
    case W8_CARENA:
    case W8_CARENA_HUGE:
        lsmt_sharded_arena_destroy(sh->carena);
        sh->carena = NULL;
        break;
    case W8_POOL:
        lsmt_sharded_arena_destroy(sh->carena); /* only if a pass stopped while checked out */
        sh->carena = NULL;
        lsmt_arena_pool_destroy(sh->pool);
        sh->pool = NULL;
        break;
    default:
        break;
    }
}

lsmt_status w8_run(w8_kind kind, const w8_options *opt, w8_pass *out, const char **what)
{
    const char *dummy;
    if (!what)
        what = &dummy;
    *what = "";
    w8_options o;
    if (opt)
        o = *opt;
    else
        w8_options_default(&o);
    if (!out || (unsigned)kind >= W8_KIND_COUNT || w8_check_options(&o) != LSMT_OK) {
        *what = "bad options";
        return LSMT_INVALID;
    }

    lsmt_status st = LSMT_OK;
    struct w8_shared *sh = calloc(1, sizeof *sh);
    struct w8_worker *ws = aligned_alloc(64, sizeof(struct w8_worker) * o.threads);
    w8_pass *res = calloc(o.passes, sizeof *res);
    unsigned char *sizes = malloc(o.n);
    uint64_t slice = (o.n + o.threads - 1) / o.threads;
    void **ptrs = malloc(slice * o.threads * sizeof(void *));
    if (!sh || !ws || !res || !sizes || !ptrs) {
        st = LSMT_NOMEM;
        *what = "out of memory for the size/pointer arrays";
        goto out_free;
    }
    for (uint64_t i = 0; i < o.n; i++)
        sizes[i] = (unsigned char)(16 + (w8_splitmix64(i) & 112));
    /* pre-fault the pointer array: a write to every page, through volatile so the
     * compiler cannot turn malloc + memset(0) into calloc (which skips the writes on
     * fresh mmap memory -- what happens to the peers' alloc_bench at -O2) */
    for (size_t k = 0; k < slice * o.threads * sizeof(void *); k += 4096)
        ((volatile unsigned char *)ptrs)[k] = 0;
    memset(ptrs, 0, slice * o.threads * sizeof(void *));

    sh->kind = kind;
    sh->opt = o;
    sh->sizes = sizes;
    sh->ptrs = ptrs;
    sh->slice = slice;
    sh->out = res;
    sh->workers = ws;
    memset(ws, 0, sizeof(struct w8_worker) * o.threads);
    for (unsigned t = 0; t < o.threads; t++) {
        ws[t].sh = sh;
        ws[t].tid = t;
        ws[t].st = LSMT_OK;
    }
    st = w8_setup(sh, what);
    if (st != LSMT_OK)
        goto out_teardown;
    if (pthread_barrier_init(&sh->bar, NULL, o.threads) != 0) {
        st = LSMT_NOMEM;
        *what = "pthread_barrier_init failed";
        goto out_teardown;
    }
    pthread_mutex_init(&sh->gate_mu, NULL);
    pthread_cond_init(&sh->gate_cv, NULL);
    pthread_t th[W8_MAX_THREADS];
    unsigned started = 1;
    for (; started < o.threads; started++)
        if (pthread_create(&th[started], NULL, w8_thread, &ws[started]) != 0)
            break;
    pthread_mutex_lock(&sh->gate_mu);
    sh->gate = started < o.threads ? 2 : 1;
    pthread_cond_broadcast(&sh->gate_cv);
    pthread_mutex_unlock(&sh->gate_mu);
    if (started == o.threads) {
        w8_pass_loop(&ws[0], ws);
    } else {
        st = LSMT_NOMEM;
        *what = "pthread_create failed";
    }
    for (unsigned t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_cond_destroy(&sh->gate_cv);
    pthread_mutex_destroy(&sh->gate_mu);
    pthread_barrier_destroy(&sh->bar);
    if (st != LSMT_OK)
        goto out_teardown;
    for (unsigned t = 0; t < o.threads; t++) {
        if (ws[t].st != LSMT_OK) {
            st = ws[t].st;
            *what = ws[t].what;
            break;
        }
    }
    if (st == LSMT_OK)
        memcpy(out, res, sizeof *res * o.passes);
out_teardown:
    w8_teardown(sh);
out_free:
    free(ptrs);
    free(sizes);
    free(res);
    free(ws);
    free(sh);
    return st;
}
