/* Check suite for lsmt_arena_pool (arena/pool.c).
 *
 * TCases: lifecycle, bad input, reuse (the steady state makes zero map/unmap calls and
 * takes no page faults: calls are counted through a backing whose hooks count, faults
 * with getrusage(RUSAGE_THREAD), and by the pool's own arenas_created/destroyed
 * statistics), trim, factory failure, concurrency (many threads checking out, filling,
 * verifying and giving back). */
#include "lsmt/arena.h"

#include "arena/concurrent_internal.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support/backing.h"
#include "support/check_run.h"
#include "support/scale.h"

#define SCALE LSMT_TEST_SCALE_DOWN(8, 1)

/* The counting backing (support/backing.h) without huge pages. */
static struct counting g_cnt;
static lsmt_backing g_backing = {cnt_map, cnt_unmap, cnt_discard, NULL, &g_cnt};

static lsmt_arena_pool *make_pool(size_t max_idle, size_t capacity)
{
    memset(&g_cnt, 0, sizeof g_cnt);
    lsmt_arena_pool_options o;
    lsmt_arena_pool_options_default(&o);
    o.max_idle = max_idle;
    o.arena.capacity = capacity;
    o.arena.chunk_size = 64 * KIB;
    o.arena.shard_count = 2;
    o.arena.backing = &g_backing;
    lsmt_arena_pool *p = NULL;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_OK);
    ck_assert_ptr_nonnull(p);
    return p;
}

static lsmt_arena_pool_stats pool_stats(const lsmt_arena_pool *p)
{
    lsmt_arena_pool_stats s;
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, &s), LSMT_OK);
    return s;
}

static size_t idle_of(const lsmt_arena_pool *p)
{
    return pool_stats(p).idle;
}

/* Allocate `bytes` in 256-byte pieces, each filled with `tag`; check the first piece
 * starts at base (an empty arena). */
static void fill_arena(lsmt_sharded_arena *a, size_t bytes, unsigned char tag)
{
    for (size_t done = 0; done < bytes; done += 256) {
        unsigned char *q = alloc_p(a, 256, 8);
        ck_assert_ptr_nonnull(q);
        if (done == 0)
            ck_assert_ptr_eq(q, lsmt_sharded_arena_base_(a));
        memset(q, tag, 256);
    }
    ck_assert_uint_eq(allocated(a), bytes);
}

/* ---- lifecycle --------------------------------------------------------------------- */

START_TEST(lifecycle_defaults)
{
    lsmt_arena_pool_options o;
    memset(&o, 0xff, sizeof o);
    lsmt_arena_pool_options_default(&o);
    ck_assert_uint_eq(o.max_idle, 4);
    lsmt_sharded_arena_options d;
    lsmt_sharded_arena_options_default(&d);
    ck_assert_mem_eq(&o.arena, &d, sizeof d);
    lsmt_arena_pool_options_default(NULL);

    lsmt_arena_pool *p = NULL;
    ck_assert_int_eq(lsmt_arena_pool_create(NULL, &p), LSMT_OK);
    lsmt_arena_pool_stats ps = pool_stats(p);
    ck_assert_uint_eq(ps.max_idle, 4);
    ck_assert_uint_eq(ps.idle, 0);
    ck_assert_uint_eq(ps.arenas_created, 0);
    ck_assert_uint_eq(ps.arenas_destroyed, 0);
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_uint_eq(lsmt_sharded_arena_capacity_(a), d.capacity);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 1);
    lsmt_arena_pool_destroy(p); /* destroys the idle arena */
    lsmt_arena_pool_destroy(NULL);
}
END_TEST

START_TEST(checkout_give_back_recycles)
{
    lsmt_arena_pool *p = make_pool(2, 4 * MIB);
    lsmt_sharded_arena *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 1);
    fill_arena(a, 1 * MIB, 1);
    uint64_t id = lsmt_sharded_arena_id_(a);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 1);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &b), LSMT_OK);
    ck_assert_ptr_eq(b, a); /* the same arena, reset */
    ck_assert_uint_eq(lsmt_sharded_arena_id_(b), id);
    ck_assert_uint_eq(allocated(b), 0);
    ck_assert_uint_eq(lsmt_sharded_arena_bytes_reserved_(b), 0);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 1);
    ck_assert_uint_eq(idle_of(p), 0);
    /* max_idle respected: the third arena given back is destroyed. */
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &c), LSMT_OK);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 3);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, b), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 2);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 0);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, c), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 2);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 1);
    /* The pool's counters agree with the backing's. */
    lsmt_arena_pool_stats ps = pool_stats(p);
    ck_assert_uint_eq(ps.arenas_created, 3);
    ck_assert_uint_eq(ps.arenas_destroyed, 1);
    /* trim(DESTROY_IDLE) unmaps every idle arena; the next checkout maps anew. */
    size_t released = 0;
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DESTROY_IDLE, &released), LSMT_OK);
    ck_assert_uint_eq(released, 2 * 4 * MIB); /* two regions of 4 MiB (page multiples) */
    ck_assert_uint_eq(idle_of(p), 0);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 3);
    ck_assert_uint_eq(pool_stats(p).arenas_destroyed, 3);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 4);
    ck_assert_uint_eq(pool_stats(p).arenas_created, 4);
    lsmt_sharded_arena_destroy(a);
    lsmt_arena_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 4);
}
END_TEST

START_TEST(prewarm_caps)
{
    lsmt_arena_pool *p = make_pool(3, 1 * MIB);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 2), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 2);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 10), LSMT_OK); /* capped at max_idle */
    ck_assert_uint_eq(idle_of(p), 3);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 3);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 1), LSMT_OK); /* already there */
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 3);
    /* A checkout takes a prewarmed arena: no map. */
    lsmt_sharded_arena *a;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 3);
    ck_assert_uint_eq(idle_of(p), 2);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    lsmt_arena_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 3);
}
END_TEST

START_TEST(max_idle_zero)
{
    lsmt_arena_pool *p = make_pool(0, 1 * MIB);
    ck_assert_uint_eq(pool_stats(p).max_idle, 0);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 5), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 0);
    lsmt_sharded_arena *a;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK); /* destroyed */
    ck_assert_uint_eq(idle_of(p), 0);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 1);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 1);
    lsmt_arena_pool_destroy(p);
}
END_TEST

/* ---- bad input --------------------------------------------------------------------- */

START_TEST(bad_input)
{
    lsmt_arena_pool_options o;
    lsmt_arena_pool *sentinel = (lsmt_arena_pool *)(uintptr_t)0x42, *p = sentinel;
    lsmt_arena_pool_options_default(&o);
    ck_assert_int_eq(lsmt_arena_pool_create(&o, NULL), LSMT_INVALID);
    o.arena.chunk_size = 1000;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_INVALID);
    lsmt_arena_pool_options_default(&o);
    o.arena.capacity = 0;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_INVALID);
    lsmt_arena_pool_options_default(&o);
    o.arena.shard_count = 1000;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_INVALID);
    lsmt_arena_pool_options_default(&o);
    o.max_idle = SIZE_MAX;
    ck_assert_int_eq(lsmt_arena_pool_create(&o, &p), LSMT_INVALID);
    ck_assert_ptr_eq(p, sentinel);

    lsmt_sharded_arena *a_sentinel = (lsmt_sharded_arena *)(uintptr_t)0x43, *a = a_sentinel;
    size_t rel = 77;
    ck_assert_int_eq(lsmt_arena_pool_checkout(NULL, &a), LSMT_INVALID);
    ck_assert_ptr_eq(a, a_sentinel);
    ck_assert_int_eq(lsmt_arena_pool_give_back(NULL, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(NULL, 1), LSMT_INVALID);
    lsmt_arena_pool_stats ps;
    memset(&ps, 0x5a, sizeof ps);
    lsmt_arena_pool_stats ps_saved = ps;
    ck_assert_int_eq(lsmt_arena_pool_stats_get(NULL, &ps), LSMT_INVALID);
    ck_assert_mem_eq(&ps, &ps_saved, sizeof ps);
    ck_assert_int_eq(lsmt_arena_pool_trim(NULL, LSMT_POOL_DESTROY_IDLE, &rel), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_trim(NULL, LSMT_POOL_DISCARD_PAGES, &rel), LSMT_INVALID);
    ck_assert_uint_eq(rel, 77);

    p = make_pool(2, 1 * MIB);
    ck_assert_int_eq(lsmt_arena_pool_stats_get(p, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, (lsmt_arena_pool_trim_mode)2, &rel), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, (lsmt_arena_pool_trim_mode)-1, &rel), LSMT_INVALID);
    ck_assert_uint_eq(rel, 77);
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, NULL), LSMT_INVALID);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, NULL), LSMT_INVALID);
    /* An arena made with other options is refused (and stays the caller's). */
    lsmt_sharded_arena_options co;
    lsmt_sharded_arena_options_default(&co);
    lsmt_sharded_arena *other = NULL;
    ck_assert_int_eq(lsmt_sharded_arena_create(&co, &other), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, other), LSMT_INVALID);
    ck_assert_uint_eq(idle_of(p), 0);
    ck_assert_ptr_nonnull(alloc_p(other, 8, 8)); /* still alive */
    lsmt_sharded_arena_destroy(other);
    /* Giving the same arena back twice is refused the second time. */
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_INVALID);
    ck_assert_uint_eq(idle_of(p), 1);
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DISCARD_PAGES, NULL), LSMT_OK); /* NULL ok */
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DESTROY_IDLE, NULL), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 0);
    lsmt_arena_pool_destroy(p);
}
END_TEST

/* ---- factory failure ---------------------------------------------------------------- */

START_TEST(factory_failure_leaves_pool_unchanged)
{
    lsmt_arena_pool *p = make_pool(4, 1 * MIB);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 1), LSMT_OK);
    lsmt_sharded_arena *a = NULL, *b = NULL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK); /* the idle one */
    atomic_store(&g_cnt.fail_map, 1);
    lsmt_sharded_arena *sentinel = (lsmt_sharded_arena *)(uintptr_t)0x44;
    b = sentinel;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &b), LSMT_NOMEM);
    ck_assert_ptr_eq(b, sentinel);
    ck_assert_uint_eq(idle_of(p), 0);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 1);
    /* prewarm: the failure is reported, the idle arena stays. */
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 3), LSMT_NOMEM);
    ck_assert_uint_eq(idle_of(p), 1);
    /* A failure midway (first map fine, second refused): all or nothing, the arena
     * created before the failure is destroyed again. */
    atomic_store(&g_cnt.fail_map, 0);
    atomic_store(&g_cnt.map_budget, 1);
    int maps0 = atomic_load(&g_cnt.maps), unmaps0 = atomic_load(&g_cnt.unmaps);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 4), LSMT_NOMEM);
    ck_assert_uint_eq(idle_of(p), 1);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), maps0 + 1);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), unmaps0 + 1);
    lsmt_arena_pool_stats ps = pool_stats(p);
    ck_assert_uint_eq(ps.arenas_created, (size_t)atomic_load(&g_cnt.maps));
    ck_assert_uint_eq(ps.arenas_destroyed, (size_t)atomic_load(&g_cnt.unmaps));
    ck_assert_int_eq(atomic_load(&g_cnt.fail_map), 1);
    /* The idle arena is still handed out while the factory fails. */
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &b), LSMT_OK);
    ck_assert_ptr_eq(b, a);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, b), LSMT_OK);
    atomic_store(&g_cnt.fail_map, 0);
    ck_assert_int_eq(lsmt_arena_pool_prewarm(p, 3), LSMT_OK);
    ck_assert_uint_eq(idle_of(p), 3);
    lsmt_arena_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), atomic_load(&g_cnt.unmaps));
}
END_TEST

/* ---- steady state -------------------------------------------------------------------- */

START_TEST(steady_state_no_syscalls_no_faults)
{
    enum { CYCLES = 20 / SCALE };
    const size_t fill_bytes = 8 * MIB / SCALE;
    lsmt_arena_pool *p = make_pool(2, 16 * MIB);
    long faults[CYCLES];
    for (int i = 0; i < CYCLES; i++) {
        int maps0 = atomic_load(&g_cnt.maps), unmaps0 = atomic_load(&g_cnt.unmaps);
        lsmt_arena_pool_stats ps0 = pool_stats(p);
        long f0 = minflt_thread();
        lsmt_sharded_arena *a = NULL;
        ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
        fill_arena(a, fill_bytes, (unsigned char)i);
        ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
        faults[i] = minflt_thread() - f0;
        if (i > 0) {
            /* Steady state: zero map/unmap calls, zero new page faults. */
            ck_assert_int_eq(atomic_load(&g_cnt.maps), maps0);
            ck_assert_int_eq(atomic_load(&g_cnt.unmaps), unmaps0);
            ck_assert_uint_eq(pool_stats(p).arenas_created, ps0.arenas_created);
            ck_assert_uint_eq(pool_stats(p).arenas_destroyed, ps0.arenas_destroyed);
            if (FAULTS_MEASURABLE)
                ck_assert_msg(faults[i] == 0, "cycle %d took %ld faults", i, faults[i]);
        }
    }
    /* The first cycle faulted every page it touched: the counter works. */
    if (FAULTS_MEASURABLE)
        ck_assert_int_ge(faults[0], (long)(fill_bytes / 4096));
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 1);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 0);
    ck_assert_int_eq(atomic_load(&g_cnt.discards), 0);

    /* trim(DISCARD_PAGES) drops the pages (keeping the mapping); the next cycle
     * re-faults them, still without any map call. */
    size_t released = 0;
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DISCARD_PAGES, &released), LSMT_OK);
    ck_assert_int_eq(atomic_load(&g_cnt.discards), 1);
    ck_assert_uint_ge(released, fill_bytes);
    ck_assert_uint_le(released, 16 * MIB);
    ck_assert_uint_eq(idle_of(p), 1);
    long f0 = minflt_thread();
    lsmt_sharded_arena *a = NULL;
    ck_assert_int_eq(lsmt_arena_pool_checkout(p, &a), LSMT_OK);
    unsigned char *first = alloc_p(a, 256, 8);
    ck_assert_uint_eq(first[0], 0); /* dropped pages come back zero */
    ck_assert_int_eq(lsmt_sharded_arena_reset_all(a), LSMT_OK);
    fill_arena(a, fill_bytes, 0x77);
    if (FAULTS_MEASURABLE)
        ck_assert_int_ge(minflt_thread() - f0, (long)(fill_bytes / 4096));
    ck_assert_int_eq(atomic_load(&g_cnt.maps), 1);
    ck_assert_int_eq(lsmt_arena_pool_give_back(p, a), LSMT_OK);
    /* Nothing touched since: a second trim discards what the last cycle used. */
    ck_assert_int_eq(lsmt_arena_pool_trim(p, LSMT_POOL_DISCARD_PAGES, &released), LSMT_OK);
    ck_assert_uint_ge(released, fill_bytes);
    lsmt_arena_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&g_cnt.unmaps), 1);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------------- */

struct cycle_arg {
    lsmt_arena_pool *p;
    int id, cycles;
};

static void *cycle_worker(void *v)
{
    struct cycle_arg *c = v;
    for (int i = 0; i < c->cycles; i++) {
        lsmt_sharded_arena *a = NULL;
        ck_assert_int_eq(lsmt_arena_pool_checkout(c->p, &a), LSMT_OK);
        /* A checked-out arena is empty and ours alone: fill it and verify. */
        ck_assert_uint_eq(allocated(a), 0);
        unsigned char tag = (unsigned char)(c->id * 31 + i);
        unsigned char *q[64];
        for (int k = 0; k < 64; k++) {
            q[k] = alloc_p(a, 512, 8);
            ck_assert_ptr_nonnull(q[k]);
            memset(q[k], tag, 512);
        }
        for (int k = 0; k < 64; k++)
            for (int j = 0; j < 512; j += 64)
                if (q[k][j] != tag)
                    ck_abort_msg("arena shared between two checkouts");
        ck_assert_uint_eq(allocated(a), 64 * 512);
        ck_assert_int_eq(lsmt_arena_pool_give_back(c->p, a), LSMT_OK);
        if (i % 16 == 0) {
            ck_assert_int_eq(lsmt_arena_pool_trim(c->p, LSMT_POOL_DISCARD_PAGES, NULL), LSMT_OK);
            ck_assert_uint_le(idle_of(c->p), 3);
        }
    }
    return NULL;
}

START_TEST(concurrent_checkout_give_back)
{
    enum { T = 4 };
    lsmt_arena_pool *p = make_pool(3, 1 * MIB);
    pthread_t th[T];
    struct cycle_arg args[T];
    for (int t = 0; t < T; t++) {
        args[t] = (struct cycle_arg){p, t, 400 / SCALE};
        pthread_create(&th[t], NULL, cycle_worker, &args[t]);
    }
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    size_t idle = idle_of(p);
    ck_assert_uint_le(idle, 3);
    ck_assert_uint_ge(idle, 1);
    /* Every arena was given back: the live mappings are exactly the idle arenas. */
    ck_assert_int_eq(atomic_load(&g_cnt.maps) - atomic_load(&g_cnt.unmaps), (int)idle);
    lsmt_arena_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&g_cnt.maps), atomic_load(&g_cnt.unmaps));
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("arena_pool");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, lifecycle_defaults);
    tcase_add_test(tc, checkout_give_back_recycles);
    tcase_add_test(tc, prewarm_caps);
    tcase_add_test(tc, max_idle_zero);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, factory_failure_leaves_pool_unchanged);
    suite_add_tcase(s, tc);
    tc = tcase_create("reuse");
    tcase_add_test(tc, steady_state_no_syscalls_no_faults);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_add_test(tc, concurrent_checkout_give_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(pool_suite());
}
