/* Check suite for the thread-local scratch arena, its registry and the arena-backed
 * growable arrays (arena/scratch.c). Each test runs in its own process (Check's fork
 * mode), so the process-wide registry totals start from this test's own state. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsmt/arena.h"

#if defined(LSMT_TSAN) || defined(__SANITIZE_ADDRESS__)
#define SCALE 4
#else
#define SCALE 1
#endif

static lsmt_scratch_stats sstats(void)
{
    lsmt_scratch_stats s;
    ck_assert_int_eq(lsmt_scratch_stats_get(&s), LSMT_OK);
    return s;
}

/* The allocation's pointer, or NULL when lsmt_scratch_alloc did not return LSMT_OK (no
 * Check assertion: also used in worker threads). */
static void *scratch_p(size_t size, size_t align)
{
    void *p = NULL;
    return lsmt_scratch_alloc(size, align, &p) == LSMT_OK ? p : NULL;
}

/* Marks on scratch memory, the documented way: the bump arena's own marks on this
 * thread's scratch arena. scratch_mark returns 0 when the mark could not be opened. */
static lsmt_mark scratch_mark(void)
{
    lsmt_mark m = 0;
    return lsmt_bump_arena_mark(lsmt_scratch_arena(), &m) == LSMT_OK ? m : 0;
}

static lsmt_status scratch_rewind(lsmt_mark m)
{
    return lsmt_bump_arena_rewind(lsmt_scratch_arena(), m);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

START_TEST(test_lifecycle)
{
    lsmt_scratch_stats s = sstats();
    ck_assert_uint_eq(s.bytes_reserved, 0); /* nothing before first use */
    ck_assert_uint_eq(s.threshold, LSMT_SCRATCH_DEFAULT_THRESHOLD);
    ck_assert_uint_eq(s.threshold, 10u * 1024 * 1024);
    ck_assert_uint_eq(s.thread_count, 0);
    ck_assert_uint_eq(s.total_bytes, 0);
    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_OK);   /* fine without an arena */
    ck_assert_int_eq(lsmt_scratch_release(), LSMT_OK); /* likewise */
    ck_assert_uint_eq(sstats().thread_count, 0);

    char *p = scratch_p(100, 0);
    ck_assert_ptr_nonnull(p);
    memset(p, 3, 100);
    s = sstats();
    ck_assert_uint_eq(s.bytes_allocated, 104);
    ck_assert_uint_eq(s.block_count, 1);
    ck_assert_uint_eq(s.total_bytes, s.bytes_reserved);
    ck_assert_uint_eq(s.thread_count, 1);
    ck_assert_ptr_nonnull(lsmt_scratch_arena());

    void *q = scratch_p(10, 256);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq((uintptr_t)q % 256, 0);
    void *r = NULL;
    ck_assert_int_eq(lsmt_scratch_alloc(10, 64, &r), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)r % 64, 0);
    ck_assert_int_eq(lsmt_scratch_alloc(10, 0, &r), LSMT_OK); /* align 0: the default 8 */
    ck_assert_uint_eq((uintptr_t)r % 8, 0);

    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_OK);
    s = sstats();
    ck_assert_uint_eq(s.bytes_allocated, 0);
    ck_assert_uint_eq(s.block_count, 1); /* kept for reuse */
    ck_assert_ptr_eq(scratch_p(100, 0), p);

    ck_assert_int_eq(lsmt_scratch_release(), LSMT_OK);
    s = sstats();
    ck_assert_uint_eq(s.total_bytes, 0);
    ck_assert_uint_eq(s.thread_count, 0);
    ck_assert_uint_eq(s.bytes_reserved, 0);
    ck_assert_ptr_nonnull(scratch_p(8, 0)); /* a new arena on demand */
    ck_assert_uint_eq(sstats().thread_count, 1);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

START_TEST(test_bad_scratch)
{
    ck_assert_ptr_nonnull(scratch_p(8, 0));
    lsmt_scratch_stats before = sstats();
    void *out = (void *)(uintptr_t)0x1;
    ck_assert_int_eq(lsmt_scratch_alloc(8, 8, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 0, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(0, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(0, 8, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(SIZE_MAX, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(SIZE_MAX, 8, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(SIZE_MAX - 3, 8, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(LSMT_ARENA_MAX_REQUEST + 1, 0, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 7, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, 48, &out), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_alloc(8, SIZE_MAX, &out), LSMT_INVALID);
    ck_assert_ptr_eq(out, (void *)(uintptr_t)0x1);
    ck_assert_int_eq(scratch_rewind(0), LSMT_INVALID);
    ck_assert_int_eq(scratch_rewind(999999), LSMT_INVALID);
    ck_assert_int_eq(lsmt_scratch_set_threshold(0), LSMT_RANGE);
    ck_assert_int_eq(lsmt_scratch_set_threshold(4095), LSMT_RANGE);
    ck_assert_uint_eq(sstats().threshold, LSMT_SCRATCH_DEFAULT_THRESHOLD);
    ck_assert_int_eq(lsmt_scratch_stats_get(NULL), LSMT_INVALID);
    lsmt_scratch_stats after = sstats();
    ck_assert_uint_eq(after.bytes_allocated, before.bytes_allocated);
    ck_assert_uint_eq(after.bytes_reserved, before.bytes_reserved);
}
END_TEST

START_TEST(test_bad_arrays)
{
    lsmt_bump_arena *a;
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &a), LSMT_OK);
    lsmt_abuf b = {0}, keep;
    ck_assert_int_eq(lsmt_abuf_init(NULL, a, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, NULL, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, a, SIZE_MAX), LSMT_INVALID);
    ck_assert_ptr_null(b.arena); /* untouched */
    ck_assert_int_eq(lsmt_abuf_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_reserve(&b, 1), LSMT_INVALID); /* never initialised */
    ck_assert_int_eq(lsmt_abuf_append(NULL, "x", 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_init(&b, a, 4), LSMT_OK);
    ck_assert_int_eq(lsmt_abuf_append(&b, "abc", 3), LSMT_OK);
    keep = b;
    ck_assert_int_eq(lsmt_abuf_append(&b, NULL, 5), LSMT_INVALID);
    ck_assert_int_eq(lsmt_abuf_append(&b, NULL, 0), LSMT_OK);
    ck_assert_int_eq(lsmt_abuf_reserve(&b, SIZE_MAX), LSMT_INVALID);      /* len + n overflows */
    ck_assert_int_eq(lsmt_abuf_reserve(&b, SIZE_MAX - 10), LSMT_INVALID); /* too big */
    ck_assert(memcmp(&b, &keep, sizeof b) == 0);
    ck_assert_int_eq(memcmp(b.data, "abc", 3), 0);

    lsmt_avec v = {0};
    int x = 5;
    void *slot = NULL;
    ck_assert_int_eq(lsmt_avec_init(NULL, a, 4, 4, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, NULL, 4, 4, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 0, 4, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 4, 3, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 4, SIZE_MAX, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, SIZE_MAX, 8, 0), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, 1024, 8, SIZE_MAX / 512), LSMT_INVALID); /* ovf */
    ck_assert_ptr_null(v.arena);
    ck_assert_int_eq(lsmt_avec_reserve(NULL, 1), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_reserve(&v, 1), LSMT_INVALID); /* never initialised */
    ck_assert_int_eq(lsmt_avec_push(NULL, &x), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_emplace(NULL, &slot), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_init(&v, a, sizeof x, _Alignof(int), 0), LSMT_OK);
    ck_assert_int_eq(lsmt_avec_push(&v, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_emplace(&v, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_avec_reserve(&v, SIZE_MAX / 2), LSMT_INVALID); /* bytes overflow */
    ck_assert_uint_eq(v.len, 0);
    ck_assert_int_eq(lsmt_avec_push(&v, &x), LSMT_OK);
    ck_assert_uint_eq(v.len, 1); /* element 0 only */
    ck_assert_int_eq(*(int *)v.data, 5);
    lsmt_bump_arena_destroy(a);
}
END_TEST

/* ---- marks -------------------------------------------------------------------------- */

START_TEST(test_marks)
{
    unsigned char *loose = scratch_p(64, 0);
    memset(loose, 0x77, 64);
    size_t base = sstats().bytes_allocated;
    lsmt_mark m = scratch_mark();
    ck_assert_uint_ne(m, 0);
    ck_assert_uint_eq(sstats().open_marks, 1);
    for (int i = 0; i < 100; i++)
        memset(scratch_p(1000, 0), i, 1000);
    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_BUSY); /* refused under a mark */
    ck_assert_int_eq(lsmt_scratch_release(), LSMT_BUSY);
    lsmt_mark inner = scratch_mark();
    ck_assert_uint_ne(inner, 0);
    ck_assert_ptr_nonnull(scratch_p(100, 0));
    ck_assert_int_eq(scratch_rewind(m), LSMT_OK); /* closes inner too */
    ck_assert_int_eq(scratch_rewind(inner), LSMT_INVALID);
    ck_assert_int_eq(scratch_rewind(m), LSMT_INVALID);
    ck_assert_uint_eq(sstats().bytes_allocated, base);
    ck_assert_uint_eq(sstats().open_marks, 0);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(loose[i], 0x77);
    ck_assert_int_eq(lsmt_scratch_reset(), LSMT_OK);
}
END_TEST

static void *other_thread_rewind(void *arg)
{
    lsmt_mark m = *(lsmt_mark *)arg;
    /* a mark of another thread is not open here (with or without a scratch arena) */
    lsmt_status st1 = scratch_rewind(m);
    lsmt_mark mine = scratch_mark();
    lsmt_status st2 = scratch_rewind(m + 1 == mine ? m + 2 : m);
    lsmt_status st3 = scratch_rewind(mine);
    return (void *)(uintptr_t)(st1 == LSMT_INVALID && st2 == LSMT_INVALID && st3 == LSMT_OK);
}

START_TEST(test_mark_other_thread)
{
    ck_assert_ptr_nonnull(scratch_p(8, 0));
    lsmt_mark m = scratch_mark();
    lsmt_mark m2 = scratch_mark();
    (void)m2;
    pthread_t t;
    void *ok;
    ck_assert_int_eq(pthread_create(&t, NULL, other_thread_rewind, &m), 0);
    ck_assert_int_eq(pthread_join(t, &ok), 0);
    ck_assert_ptr_eq(ok, (void *)(uintptr_t)1);
    ck_assert_uint_eq(sstats().open_marks, 2); /* untouched by the other thread */
    ck_assert_int_eq(scratch_rewind(m), LSMT_OK);
}
END_TEST

/* ---- auto-reset threshold ----------------------------------------------------------- */

START_TEST(test_auto_reset)
{
    const size_t thr = 64 * 1024;
    ck_assert_int_eq(lsmt_scratch_set_threshold(thr), LSMT_OK);
    ck_assert_uint_eq(sstats().threshold, thr);
    ck_assert_ptr_nonnull(scratch_p(40000, 0));
    ck_assert_ptr_nonnull(scratch_p(24000, 0)); /* 64000 <= thr: no reset at start */
    ck_assert_uint_eq(sstats().auto_resets, 0);
    ck_assert_ptr_nonnull(scratch_p(2000, 0)); /* 64000 + 2000 > thr after this */
    ck_assert_uint_eq(sstats().auto_resets, 0);
    ck_assert_uint_gt(sstats().bytes_allocated, thr);
    ck_assert_ptr_nonnull(scratch_p(100, 0)); /* over thr at the start: reset first */
    lsmt_scratch_stats s = sstats();
    ck_assert_uint_eq(s.auto_resets, 1);
    ck_assert_uint_eq(s.bytes_allocated, 104);
    ck_assert_uint_le(s.bytes_reserved, thr); /* trimmed to the threshold */
    ck_assert_uint_eq(s.total_bytes, s.bytes_reserved);

    /* under a mark (lsmt_bump_arena_mark on lsmt_scratch_arena()): never reset, however
     * far past the threshold, memory intact */
    lsmt_mark m = scratch_mark();
    ck_assert_uint_ne(m, 0);
    enum { K = 40 };
    unsigned char *ps[K];
    for (int i = 0; i < K; i++) {
        ps[i] = scratch_p(10000, 0);
        ck_assert_ptr_nonnull(ps[i]);
        memset(ps[i], i + 1, 10000);
    }
    s = sstats();
    ck_assert_uint_eq(s.auto_resets, 1);
    ck_assert_uint_gt(s.bytes_allocated, 6 * thr);
    for (int i = 0; i < K; i++)
        for (int j = 0; j < 10000; j += 97)
            ck_assert_uint_eq(ps[i][j], (unsigned char)(i + 1));
    void *out = (void *)(uintptr_t)0x1;
    ck_assert_int_eq(lsmt_scratch_alloc(8, 3, &out), LSMT_INVALID); /* no reset either */
    ck_assert_ptr_eq(out, (void *)(uintptr_t)0x1);
    ck_assert_uint_eq(sstats().auto_resets, 1);
    ck_assert_int_eq(scratch_rewind(m), LSMT_OK);
    ck_assert_uint_eq(sstats().bytes_allocated, 104);
    ck_assert_ptr_nonnull(scratch_p(8, 0)); /* below thr again: no reset */
    ck_assert_uint_eq(sstats().auto_resets, 1);

    /* SIZE_MAX disables auto-reset */
    ck_assert_int_eq(lsmt_scratch_set_threshold(SIZE_MAX), LSMT_OK);
    for (int i = 0; i < 20; i++)
        ck_assert_ptr_nonnull(scratch_p(10000, 0));
    ck_assert_uint_eq(sstats().auto_resets, 1);
    ck_assert_uint_gt(sstats().bytes_allocated, 3 * thr);
}
END_TEST

/* ---- threads: isolation, registry, release at exit ----------------------------------- */

enum { NTHREADS = 4 };

struct iso_arg {
    int id;
    pthread_barrier_t *bar;
    int ok;
};

static void *iso_thread(void *arg)
{
    struct iso_arg *ia = arg;
    const int n = 2000 / SCALE;
    unsigned char **ptrs = malloc(sizeof *ptrs * (size_t)n);
    size_t *sizes = malloc(sizeof *sizes * (size_t)n);
    uint64_t seed = 0x9e37u * (uint64_t)(ia->id + 1);
    ia->ok = 1;
    lsmt_mark m = scratch_mark();
    if (!m)
        ia->ok = 0;
    for (int i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        sizes[i] = 1 + (size_t)(seed >> 33) % 700;
        ptrs[i] = scratch_p(sizes[i], (size_t)1 << ((seed >> 20) % 7));
        if (!ptrs[i]) {
            ia->ok = 0;
            break;
        }
        memset(ptrs[i], (ia->id * 31 + i) & 0xff, sizes[i]);
    }
    pthread_barrier_wait(ia->bar); /* everyone has allocated: overlaps would show now */
    for (int i = 0; ia->ok && i < n; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (ptrs[i][j] != ((ia->id * 31 + i) & 0xff))
                ia->ok = 0;
    lsmt_scratch_stats s;
    lsmt_scratch_stats_get(&s);
    if (s.open_marks != 1 || s.bytes_allocated < (size_t)n)
        ia->ok = 0;
    if (scratch_rewind(m) != LSMT_OK)
        ia->ok = 0;
    free(ptrs);
    free(sizes);
    return NULL;
}

START_TEST(test_thread_isolation)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    struct iso_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (struct iso_arg){.id = i, .bar = &bar};
        ck_assert_int_eq(pthread_create(&t[i], NULL, iso_thread, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(args[i].ok, 1);
    }
    pthread_barrier_destroy(&bar);
    /* every thread's arena was released at its exit */
    lsmt_scratch_stats s = sstats();
    ck_assert_uint_eq(s.total_bytes, 0);
    ck_assert_uint_eq(s.thread_count, 0);
}
END_TEST

struct reg_arg {
    pthread_barrier_t *hold; /* thread has allocated; main reads the totals */
    pthread_barrier_t *go;   /* main has read; thread may exit */
    size_t bytes;            /* thread: bytes it allocated */
    size_t reserved;         /* thread: its own reserved bytes */
};

static void *reg_thread(void *arg)
{
    struct reg_arg *ra = arg;
    for (size_t done = 0; done < ra->bytes; done += 5000)
        memset(scratch_p(5000, 0), 1, 5000);
    lsmt_scratch_stats s;
    lsmt_scratch_stats_get(&s);
    ra->reserved = s.bytes_reserved;
    pthread_barrier_wait(ra->hold);
    pthread_barrier_wait(ra->go);
    return NULL; /* exit without reset or release: the key destructor frees it */
}

START_TEST(test_registry)
{
    ck_assert_ptr_nonnull(scratch_p(1000, 0)); /* main thread holds some too */
    const size_t mine = sstats().bytes_reserved;
    ck_assert_uint_eq(sstats().total_bytes, mine);
    pthread_barrier_t hold, go;
    pthread_barrier_init(&hold, NULL, 3);
    pthread_barrier_init(&go, NULL, 3);
    struct reg_arg ra[2] = {{&hold, &go, 300000, 0}, {&hold, &go, 700000, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reg_thread, &ra[i]), 0);
    pthread_barrier_wait(&hold);
    /* visible from this (another) thread */
    lsmt_scratch_stats s = sstats();
    ck_assert_uint_eq(s.total_bytes, mine + ra[0].reserved + ra[1].reserved);
    ck_assert_uint_ge(s.total_bytes, mine + 1000000);
    ck_assert_uint_eq(s.thread_count, 3);
    pthread_barrier_wait(&go);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    /* released at thread exit */
    s = sstats();
    ck_assert_uint_eq(s.total_bytes, mine);
    ck_assert_uint_eq(s.thread_count, 1);
    pthread_barrier_destroy(&hold);
    pthread_barrier_destroy(&go);
}
END_TEST

static void *churn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        lsmt_mark m = scratch_mark();
        memset(scratch_p(3000, 0), 2, 3000);
        scratch_rewind(m);
    }
    scratch_p(100000, 0); /* held at exit */
    return NULL;
}

START_TEST(test_thread_churn)
{
    for (int round = 0; round < 20 / SCALE; round++) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, churn_thread, NULL), 0);
        for (int i = 0; i < 3; i++)
            pthread_join(t[i], NULL);
        lsmt_scratch_stats s = sstats();
        ck_assert_uint_eq(s.total_bytes, 0);
        ck_assert_uint_eq(s.thread_count, 0);
    }
}
END_TEST

/* ---- growable arrays ------------------------------------------------------------------ */

START_TEST(test_abuf)
{
    lsmt_bump_arena *a;
    ck_assert_int_eq(lsmt_bump_arena_create(NULL, &a), LSMT_OK);
    lsmt_abuf b;
    ck_assert_int_eq(lsmt_abuf_init(&b, a, 0), LSMT_OK);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.cap, 0);
    /* grows in place while it is the last allocation */
    ck_assert_int_eq(lsmt_abuf_append(&b, "hello", 5), LSMT_OK);
    unsigned char *first = b.data;
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(lsmt_abuf_append(&b, "0123456789", 10), LSMT_OK);
    ck_assert_ptr_eq(b.data, first);
    ck_assert_uint_eq(b.len, 10005);
    ck_assert_uint_ge(b.cap, b.len);
    lsmt_bump_arena_stats as;
    ck_assert_int_eq(lsmt_bump_arena_stats_get(a, &as), LSMT_OK);
    ck_assert_uint_le(as.bytes_allocated, 2 * b.cap + 16);
    /* another allocation after it: the next growth moves it, contents kept */
    char *other = NULL;
    ck_assert_int_eq(lsmt_bump_arena_alloc(a, 16, 0, (void **)&other), LSMT_OK);
    memset(other, 'z', 16);
    ck_assert_int_eq(lsmt_abuf_reserve(&b, b.cap - b.len + 1), LSMT_OK);
    ck_assert_ptr_ne(b.data, first);
    ck_assert_int_eq(memcmp(b.data, "hello", 5), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(memcmp(b.data + 5 + 10 * i, "0123456789", 10), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(other[i], 'z');
    /* len = 0 empties it, keeping the capacity: the next append starts at data */
    size_t cap = b.cap;
    unsigned char *data = b.data;
    b.len = 0;
    ck_assert_int_eq(lsmt_abuf_append(&b, "xy", 2), LSMT_OK);
    ck_assert_uint_eq(b.len, 2);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_ptr_eq(b.data, data);
    ck_assert_int_eq(memcmp(b.data, "xy", 2), 0);
    lsmt_bump_arena_destroy(a);

    /* a capacity-limited arena: FULL leaves the buffer as it was */
    lsmt_bump_arena_options o;
    lsmt_bump_arena_options_default(&o);
    o.block_size = 4096;
    o.capacity = 8192;
    ck_assert_int_eq(lsmt_bump_arena_create(&o, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_abuf_init(&b, a, 16), LSMT_OK);
    lsmt_status st = LSMT_OK;
    size_t n = 0;
    while ((st = lsmt_abuf_append(&b, "abcdefgh", 8)) == LSMT_OK)
        n++;
    ck_assert_int_eq(st, LSMT_FULL);
    ck_assert_uint_eq(b.len, 8 * n);
    ck_assert_uint_gt(n, 100);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(memcmp(b.data + 8 * i, "abcdefgh", 8), 0);
    lsmt_bump_arena_destroy(a);
}
END_TEST

struct elem {
    uint64_t k;
    double v[3];
};

START_TEST(test_avec)
{
    lsmt_bump_arena *a = lsmt_scratch_arena(); /* on this thread's scratch arena */
    ck_assert_ptr_nonnull(a);
    lsmt_mark m = scratch_mark();
    lsmt_avec v;
    ck_assert_int_eq(lsmt_avec_init(&v, a, sizeof(struct elem), 64, 3), LSMT_OK);
    ck_assert_uint_eq(v.cap, 3);
    ck_assert_uint_eq((uintptr_t)v.data % 64, 0);
    for (uint64_t i = 0; i < 5000; i++) {
        struct elem e = {.k = i * 7, .v = {(double)i, 0, 1}};
        if (i % 2)
            ck_assert_int_eq(lsmt_avec_push(&v, &e), LSMT_OK);
        else {
            void *slot;
            ck_assert_int_eq(lsmt_avec_emplace(&v, &slot), LSMT_OK);
            memcpy(slot, &e, sizeof e);
        }
        ck_assert_uint_eq((uintptr_t)v.data % 64, 0);
        if (i % 500 == 0)
            ck_assert_ptr_nonnull(scratch_p(24, 0)); /* interleave: forces moves */
    }
    ck_assert_uint_eq(v.len, 5000);
    for (uint64_t i = 0; i < 5000; i++) {
        struct elem *e = (struct elem *)((char *)v.data + i * v.elem_size); /* element i */
        ck_assert_uint_eq(e->k, i * 7);
        ck_assert(e->v[0] == (double)i);
    }
    ck_assert_int_eq(lsmt_avec_reserve(&v, 10), LSMT_OK);
    ck_assert_uint_ge(v.cap, v.len + 10);
    /* len = 0 empties it, keeping the capacity: the next push is element 0 again */
    size_t cap = v.cap;
    v.len = 0;
    struct elem z = {.k = 99};
    ck_assert_int_eq(lsmt_avec_push(&v, &z), LSMT_OK);
    ck_assert_uint_eq(v.len, 1);
    ck_assert_uint_eq(v.cap, cap);
    ck_assert_uint_eq(((struct elem *)v.data)->k, 99);
    ck_assert_int_eq(scratch_rewind(m), LSMT_OK);

    /* elem_align 0 means 8 */
    ck_assert_int_eq(lsmt_avec_init(&v, a, 3, 0, 0), LSMT_OK);
    ck_assert_uint_eq(v.elem_align, 8);
    ck_assert_int_eq(lsmt_avec_push(&v, "abc"), LSMT_OK);
    ck_assert_uint_eq((uintptr_t)v.data % 8, 0);
}
END_TEST

static Suite *scratch_suite(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc;
    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_lifecycle);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, test_bad_scratch);
    tcase_add_test(tc, test_bad_arrays);
    suite_add_tcase(s, tc);
    tc = tcase_create("marks");
    tcase_add_test(tc, test_marks);
    tcase_add_test(tc, test_mark_other_thread);
    suite_add_tcase(s, tc);
    tc = tcase_create("auto_reset");
    tcase_add_test(tc, test_auto_reset);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, test_thread_isolation);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_thread_churn);
    suite_add_tcase(s, tc);
    tc = tcase_create("arrays");
    tcase_add_test(tc, test_abuf);
    tcase_add_test(tc, test_avec);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scratch_suite());
    srunner_set_fork_status(sr, CK_FORK); /* registry totals are per process: isolate */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
