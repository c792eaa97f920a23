/* Concurrency suite for lsmt_memtable (label "concurrency": also run under TSan).
 *
 *  - reset_cycles: writers, getters and iterating readers run while the main thread
 *    repeatedly freezes, flushes (internal iterator), validates and resets the memtable.
 *    Checked: every value read decodes to the key and sequence it was found under
 *    (memory reused under a reader would break that, and ASan/TSan watch the accesses;
 *    value bytes are read only while the test honours reset_all's REQUIRES, see
 *    view_begin; iterators pin the memory themselves);
 *    read-your-writes (invariant 2) whenever no freeze/reset started around the write;
 *    writes return only OK / FROZEN / BUSY / FULL; a frozen memtable validates and its
 *    flush sees exactly stats.entries versions in order.
 *  - snapshot_point_in_time: writers with disjoint sequence streams publish their
 *    progress; readers pick a snapshot S below which every write has completed, read
 *    the whole memtable at S twice (iterator and gets) while writers keep landing
 *    newer versions of the same keys; the reads must agree and show no sequence > S
 *    (invariant 1).
 *  - bloom_concurrent: racing adds never make a get miss its own put.
 *  - calls_during_reset: a get parked in its read section holds a reset_all in its
 *    grace period; writes, batches, iterator creation and a second reset return
 *    LSMT_BUSY, gets read empty, nothing changes (deterministic, no timing).
 *  - thread_churn: threads that exit are unregistered (grace periods do not wait for
 *    them) and their statistics slots keep their counts.
 * The deterministic single-thread twin is the model test in tests/test_memtable.c. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"
#include "support/hash.h"
#include "support/scale.h"

#include "lsmt/memtable.h"
#include "skiplist_entry.h"

#define SCALE LSMT_TEST_SCALE_DOWN(8, 2)

#define NKEYS 2000u

/* A failure inside a thread: record the first message, checked by the main thread. */
static _Atomic int failed;
static char fail_msg[256];
#define T_REQ(c, ...)                                             \
    do {                                                          \
        if (!(c)) {                                               \
            int z = 0;                                            \
            if (atomic_compare_exchange_strong(&failed, &z, 1))   \
                snprintf(fail_msg, sizeof fail_msg, __VA_ARGS__); \
        }                                                         \
    } while (0)

static size_t make_key(char *buf, unsigned k)
{
    return (size_t)sprintf(buf, "key%05u", k);
}

/* Value of (key k, seq): 24 bytes that name both. */
static void make_val(unsigned char *v, unsigned k, uint64_t seq)
{
    uint64_t a = k, b = seq, c = fmix64(k ^ fmix64(seq));
    memcpy(v, &a, 8);
    memcpy(v + 8, &b, 8);
    memcpy(v + 16, &c, 8);
}

static bool val_ok(const void *v, size_t vl, const void *key, size_t kl, uint64_t seq)
{
    if (vl != 24 || kl != 8)
        return false;
    char kb[16];
    memcpy(kb, key, 8); /* keys in the memtable are not NUL-terminated */
    kb[8] = 0;
    unsigned k = (unsigned)strtoul(kb + 3, NULL, 10);
    make_key(kb, k);
    if (memcmp(kb, key, 8) != 0)
        return false;
    unsigned char want[24];
    make_val(want, k, seq);
    return memcmp(v, want, 24) == 0;
}

/* A memtable with the default options but its write buffer size and bloom filter bits
 * a key (0: no filter). */
static lsmt_memtable *new_memtable(size_t write_buffer_size, unsigned bloom_bits)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = write_buffer_size;
    o.bloom_bits_per_key = bloom_bits;
    lsmt_memtable *mt = NULL;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    return mt;
}

/* ---- reset cycles ------------------------------------------------------------------ */

typedef struct shared {
    lsmt_memtable *mt;
    _Atomic uint64_t next_seq;
    _Atomic uint64_t epoch; /* bumped by the main thread before each freeze */
    _Atomic int stop;
    _Atomic uint64_t rw_checked, gets_ok, iters_ok;
    /* The caller's side of reset_all's contract ("no longer uses views obtained
     * before"): a thread that will read a returned value's bytes counts itself in
     * `viewing` unless `resetting` is set; the main thread sets `resetting` and waits
     * for `viewing` to drain before reset_all. Gets themselves still race with resets. */
    _Atomic int resetting, viewing;
} shared;

/* seq_cst: a Dekker pair with the main thread (set resetting, then read viewing). */
static bool view_begin(shared *sh)
{
    atomic_fetch_add(&sh->viewing, 1);
    if (atomic_load(&sh->resetting)) {
        atomic_fetch_sub(&sh->viewing, 1);
        return false;
    }
    return true;
}
static void view_end(shared *sh)
{
    atomic_fetch_sub(&sh->viewing, 1);
}

static void *writer(void *arg)
{
    shared *sh = arg;
    uint64_t r = fmix64((uint64_t)(uintptr_t)&r);
    char key[16];
    unsigned char val[24];
    while (!atomic_load(&sh->stop)) {
        unsigned k = (unsigned)((r = fmix64(r)) % NKEYS);
        uint64_t seq = atomic_fetch_add(&sh->next_seq, 1);
        size_t kl = make_key(key, k);
        make_val(val, k, seq);
        uint64_t e0 = atomic_load(&sh->epoch);
        lsmt_status st = (r & 15) == 0 ? lsmt_memtable_delete(sh->mt, seq, key, kl)
                                       : lsmt_memtable_put(sh->mt, seq, key, kl, val, 24);
        T_REQ(st == LSMT_OK || st == LSMT_FROZEN || st == LSMT_BUSY || st == LSMT_FULL,
              "write returned %s", lsmt_status_str(st));
        if (st == LSMT_FULL)
            sched_yield(); /* waiting for the rotation, not fixing a race */
        if (st != LSMT_OK)
            continue;
        /* invariant 2: visible to our own get unless a freeze/reset began meanwhile */
        const void *v;
        size_t vl;
        uint64_t got = 0;
        bool view = view_begin(sh);
        lsmt_status g = lsmt_memtable_get(sh->mt, key, kl, seq, &v, &vl, &got);
        if (atomic_load(&sh->epoch) == e0) {
            T_REQ(g == ((r & 15) == 0 ? LSMT_DELETED : LSMT_OK) && got == seq,
                  "read-your-write: %s seq %llu got %llu", lsmt_status_str(g),
                  (unsigned long long)seq, (unsigned long long)got);
            atomic_fetch_add_explicit(&sh->rw_checked, 1, memory_order_relaxed);
        }
        if (g == LSMT_OK && view)
            T_REQ(val_ok(v, vl, key, kl, got), "writer: bad value");
        if (view)
            view_end(sh);
    }
    return NULL;
}

static void *getter(void *arg)
{
    shared *sh = arg;
    uint64_t r = fmix64((uint64_t)(uintptr_t)&r + 1);
    char key[16];
    while (!atomic_load(&sh->stop)) {
        const void *keys[8];
        size_t klens[8];
        char kb[8][16];
        lsmt_status sts[8];
        const void *vals[8];
        size_t vls[8];
        for (int i = 0; i < 8; i++) {
            klens[i] = make_key(kb[i], (unsigned)((r = fmix64(r)) % (NKEYS + 100)));
            keys[i] = kb[i];
        }
        const void *v;
        size_t vl;
        uint64_t seq;
        size_t kl = make_key(key, (unsigned)((r = fmix64(r)) % NKEYS));
        bool view = view_begin(sh);
        lsmt_status st = lsmt_memtable_get(sh->mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, &seq);
        T_REQ(st == LSMT_OK || st == LSMT_DELETED || st == LSMT_NOT_FOUND, "get %s",
              lsmt_status_str(st));
        if (st == LSMT_OK && view) {
            T_REQ(val_ok(v, vl, key, kl, seq), "get: value does not match key/seq");
            atomic_fetch_add_explicit(&sh->gets_ok, 1, memory_order_relaxed);
        }
        if (view)
            view_end(sh);
        st = lsmt_memtable_multi_get(sh->mt, 8, keys, klens, LSMT_MAX_SEQUENCE, sts, vals, vls);
        T_REQ(st == LSMT_OK, "multi_get %s", lsmt_status_str(st));
    }
    return NULL;
}

static void *iterator(void *arg)
{
    shared *sh = arg;
    unsigned round = 0;
    while (!atomic_load(&sh->stop)) {
        /* Like an engine's readers, move off a frozen memtable (they would read the
         * next active one): otherwise back-to-back iterators could starve reset_all,
         * which returns LSMT_BUSY while any is open. */
        if (mt_is_frozen(sh->mt)) {
            sched_yield();
            continue;
        }
        lsmt_memtable_iter_options io;
        lsmt_memtable_iter_options_default(&io);
        io.kind = (round++ & 1) ? LSMT_ITER_INTERNAL : LSMT_ITER_SNAPSHOT;
        lsmt_memtable_iter *it;
        lsmt_status st = lsmt_memtable_iter_create(sh->mt, &io, &it);
        T_REQ(st == LSMT_OK || st == LSMT_BUSY, "iter_create %s", lsmt_status_str(st));
        if (st != LSMT_OK) {
            sched_yield();
            continue;
        }
        char prev[16] = "";
        uint64_t prev_seq = 0;
        int n = 0;
        for (st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK && n < 300;
             st = lsmt_memtable_iter_next(it), n++) {
            const void *k, *v;
            size_t kl, vl;
            uint64_t seq;
            lsmt_entry_type ty;
            lsmt_memtable_iter_entry(it, &k, &kl, &seq, &ty, &v, &vl);
            T_REQ(kl == 8, "iter: key length %zu", kl);
            int c = n ? memcmp(prev, k, 8) : -1;
            if (io.kind == LSMT_ITER_SNAPSHOT)
                T_REQ(c < 0 && ty == LSMT_TYPE_PUT, "snapshot iter: order/type");
            else
                T_REQ(c < 0 || (c == 0 && seq < prev_seq), "internal iter: order");
            if (ty == LSMT_TYPE_PUT)
                T_REQ(val_ok(v, vl, k, kl, seq), "iter: value does not match key/seq");
            memcpy(prev, k, 8);
            prev_seq = seq;
        }
        T_REQ(st == LSMT_OK || st == LSMT_END, "iter step %s", lsmt_status_str(st));
        /* and one step back */
        if (lsmt_memtable_iter_valid(it))
            lsmt_memtable_iter_prev(it);
        lsmt_memtable_iter_destroy(it);
        atomic_fetch_add_explicit(&sh->iters_ok, 1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_reset_cycles)
{
    shared sh;
    memset(&sh, 0, sizeof sh);
    atomic_store(&sh.next_seq, 1);
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 1 << 20;
    o.hard_limit = 2 << 20;
    o.shard_count = 2;
    o.bloom_bits_per_key = 10; /* reset_all clears it while readers come and go */
    ck_assert_int_eq(lsmt_memtable_create(&o, &sh.mt), LSMT_OK);
    pthread_t th[5];
    void *(*fn[5])(void *) = {writer, writer, writer, getter, iterator};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, fn[i], &sh), 0);
    const int cycles = 40 / SCALE;
    for (int c = 0; c < cycles && !atomic_load(&failed); c++) {
        /* let the writers fill a little (progress wait, no timing assumption) */
        lsmt_memtable_stats s;
        do {
            sched_yield();
            lsmt_memtable_stats_get(sh.mt, &s);
        } while (
            (s.entries < 3000 / SCALE && !lsmt_memtable_should_flush(sh.mt)) ||
            /* the last cycle also waits until every kind of check has run */
            (c == cycles - 1 && (atomic_load(&sh.gets_ok) == 0 || atomic_load(&sh.iters_ok) == 0 ||
                                 atomic_load(&sh.rw_checked) == 0)));
        atomic_fetch_add(&sh.epoch, 1);
        ck_assert_int_eq(lsmt_memtable_freeze(sh.mt), LSMT_OK);
        /* frozen: no write in flight, so validate and an exact flush are allowed */
        ck_assert_int_eq(lsmt_memtable_validate(sh.mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_stats_get(sh.mt, &s), LSMT_OK);
        lsmt_memtable_iter_options io;
        lsmt_memtable_iter_options_default(&io);
        io.kind = LSMT_ITER_INTERNAL;
        lsmt_memtable_iter *it;
        ck_assert_int_eq(lsmt_memtable_iter_create(sh.mt, &io, &it), LSMT_OK);
        uint64_t n = 0;
        for (lsmt_status st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK;
             st = lsmt_memtable_iter_next(it))
            n++;
        ck_assert_uint_eq(n, s.entries);
        lsmt_memtable_iter_destroy(it);
        /* no thread may still use a view (the caller's contract), then reset:
         * LSMT_BUSY while the reader's iterators are open; retry */
        atomic_store(&sh.resetting, 1);
        while (atomic_load(&sh.viewing) != 0)
            sched_yield();
        lsmt_status st;
        while ((st = lsmt_memtable_reset_all(sh.mt)) == LSMT_BUSY)
            sched_yield();
        ck_assert_int_eq(st, LSMT_OK);
        atomic_store(&sh.resetting, 0);
    }
    atomic_store(&sh.stop, 1);
    for (int i = 0; i < 5; i++)
        pthread_join(th[i], NULL);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
    lsmt_memtable_stats s;
    lsmt_memtable_stats_get(sh.mt, &s);
    ck_assert_uint_eq(s.resets, (uint64_t)cycles);
    /* the checks above actually ran */
    ck_assert_uint_gt(atomic_load(&sh.rw_checked), 0);
    ck_assert_uint_gt(atomic_load(&sh.iters_ok), 0);
    ck_assert_uint_gt(atomic_load(&sh.gets_ok), 0);
    lsmt_memtable_destroy(sh.mt);
}
END_TEST

/* ---- snapshot point-in-time ---------------------------------------------------------- */

#define PW 3 /* writers: more threads than cores */

typedef struct pit {
    lsmt_memtable *mt;
    _Atomic uint64_t done[PW]; /* last completed seq of writer w (release) */
    _Atomic int stop;
    _Atomic uint64_t checks;
} pit;

typedef struct pit_arg {
    pit *p;
    unsigned w;
} pit_arg;

static void *pit_writer(void *arg)
{
    pit_arg *a = arg;
    pit *p = a->p;
    uint64_t r = fmix64(a->w + 77);
    char key[16];
    unsigned char val[24];
    /* writer w owns sequences w+1, w+1+PW, ... */
    for (uint64_t seq = a->w + 1; !atomic_load(&p->stop) && seq < 300000 / SCALE; seq += PW) {
        unsigned k = (unsigned)((r = fmix64(r)) % 300);
        size_t kl = make_key(key, k);
        make_val(val, k, seq);
        lsmt_status st = (r & 7) == 0 ? lsmt_memtable_delete(p->mt, seq, key, kl)
                                      : lsmt_memtable_put(p->mt, seq, key, kl, val, 24);
        T_REQ(st == LSMT_OK, "pit write %s", lsmt_status_str(st));
        if (st != LSMT_OK)
            break;
        /* release: the write happens-before a reader that acquires this progress */
        atomic_store_explicit(&p->done[a->w], seq, memory_order_release);
    }
    return NULL;
}

typedef struct seen {
    char key[8];
    uint64_t seq;
} seen;

static size_t read_at(lsmt_memtable *mt, uint64_t snap, seen *out, size_t cap)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.snapshot = snap;
    lsmt_memtable_iter *it;
    if (lsmt_memtable_iter_create(mt, &io, &it) != LSMT_OK)
        return SIZE_MAX;
    size_t n = 0;
    for (lsmt_status st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK && n < cap;
         st = lsmt_memtable_iter_next(it)) {
        const void *k, *v;
        size_t kl, vl;
        lsmt_memtable_iter_entry(it, &k, &kl, &out[n].seq, NULL, &v, &vl);
        T_REQ(out[n].seq <= snap, "iterator shows seq %llu > snapshot %llu",
              (unsigned long long)out[n].seq, (unsigned long long)snap);
        T_REQ(val_ok(v, vl, k, kl, out[n].seq), "pit: bad value");
        memcpy(out[n].key, k, 8);
        n++;
    }
    lsmt_memtable_iter_destroy(it);
    return n;
}

static void *pit_reader(void *arg)
{
    pit *p = arg;
    seen *a = malloc(sizeof(seen) * 400), *b = malloc(sizeof(seen) * 400);
    while (!atomic_load(&p->stop)) {
        uint64_t s = UINT64_MAX;
        for (int w = 0; w < PW; w++) {
            /* acquire: pairs with the writer's release; every seq <= s is complete */
            uint64_t d = atomic_load_explicit(&p->done[w], memory_order_acquire);
            s = d < s ? d : s;
        }
        if (s == 0) {
            sched_yield();
            continue;
        }
        size_t na = read_at(p->mt, s, a, 400);
        /* gets at s agree with the iteration */
        for (size_t i = 0; i < na; i++) {
            const void *v;
            size_t vl;
            uint64_t seq;
            lsmt_status st = lsmt_memtable_get(p->mt, a[i].key, 8, s, &v, &vl, &seq);
            T_REQ(st == LSMT_OK && seq == a[i].seq, "get at snapshot disagrees: %s",
                  lsmt_status_str(st));
        }
        size_t nb = read_at(p->mt, s, b, 400);
        T_REQ(na == nb && memcmp(a, b, na * sizeof *a) == 0,
              "snapshot %llu not point-in-time: %zu then %zu entries", (unsigned long long)s, na,
              nb);
        atomic_fetch_add_explicit(&p->checks, 1, memory_order_relaxed);
    }
    free(a);
    free(b);
    return NULL;
}

START_TEST(test_snapshot_point_in_time)
{
    pit p;
    memset(&p, 0, sizeof p);
    p.mt = new_memtable(64 << 20, 0);
    pthread_t w[PW], r[2];
    pit_arg args[PW];
    for (unsigned i = 0; i < PW; i++) {
        args[i].p = &p;
        args[i].w = i;
        ck_assert_int_eq(pthread_create(&w[i], NULL, pit_writer, &args[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&r[i], NULL, pit_reader, &p), 0);
    /* run until the readers made enough checks (progress, not time) */
    while (atomic_load(&p.checks) < 300 / SCALE && !atomic_load(&failed))
        sched_yield();
    atomic_store(&p.stop, 1);
    for (int i = 0; i < PW; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
    ck_assert_int_eq(lsmt_memtable_validate(p.mt), LSMT_OK);
    lsmt_memtable_destroy(p.mt);
}
END_TEST

/* ---- bloom: no false negative while adds race with gets -------------------------------- */

static void *bloom_writer(void *arg)
{
    pit_arg *a = arg;
    char key[16];
    for (unsigned i = a->w; i < 20000 / SCALE; i += 2) {
        size_t kl = (size_t)sprintf(key, "b%07u", i);
        T_REQ(lsmt_memtable_put(a->p->mt, i + 1, key, kl, "v", 1) == LSMT_OK, "put");
        /* read-your-write through the bloom filter: never a false negative */
        const void *v;
        size_t vl;
        T_REQ(lsmt_memtable_get(a->p->mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, NULL) == LSMT_OK,
              "bloom false negative on %s", key);
    }
    return NULL;
}

START_TEST(test_bloom_concurrent)
{
    pit p;
    memset(&p, 0, sizeof p);
    p.mt = new_memtable(4 << 20, 4); /* small filter: many shared words, more racing ORs */
    pthread_t t[2];
    pit_arg args[2] = {{&p, 0}, {&p, 1}};
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, bloom_writer, &args[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
    /* and every key afterwards, from this thread */
    char key[16];
    for (unsigned i = 0; i < 20000 / SCALE; i++) {
        size_t kl = (size_t)sprintf(key, "b%07u", i);
        const void *v;
        size_t vl;
        if (lsmt_memtable_get(p.mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, NULL) != LSMT_OK)
            ck_abort_msg("bloom false negative on %s", key);
    }
    ck_assert_int_eq(lsmt_memtable_validate(p.mt), LSMT_OK);
    lsmt_memtable_destroy(p.mt);
}
END_TEST

/* ---- bloom: the bit is set before the entry can be seen ------------------------------ *
 * An iterator does not consult the filter, so it can see an entry the moment it is
 * published. A get that the same thread runs afterwards is ordered after that sighting
 * and must find the entry: the put has to set the bloom bit before it publishes the node
 * (skiplist/skiplist_internal.h), not merely before it returns. */
#define PUB_KEYS (20000u / SCALE)
static _Atomic unsigned pub_written; /* keys put so far (release by the writer) */

static size_t pub_key(char *buf, unsigned i)
{
    return (size_t)sprintf(buf, "q%07u", i);
}

/* The run both publication tests share: one writer puts every key once, at sequence
 * `seq` (0: key i at i + 1), while `observer` watches (both get the run). */
typedef struct pub_run {
    lsmt_memtable *mt;
    uint64_t seq;
} pub_run;

static void *pub_writer(void *arg)
{
    const pub_run *run = arg;
    char key[16];
    for (unsigned i = 0; i < PUB_KEYS; i++) {
        size_t kl = pub_key(key, i);
        uint64_t seq = run->seq ? run->seq : i + 1;
        T_REQ(lsmt_memtable_put(run->mt, seq, key, kl, "v", 1) == LSMT_OK, "put %s", key);
        /* release: lets the observer stop once every key was put */
        atomic_store_explicit(&pub_written, i + 1, memory_order_release);
    }
    return NULL;
}

static void run_publication(lsmt_memtable *mt, uint64_t seq, void *(*observer)(void *))
{
    pub_run run = {mt, seq};
    atomic_store(&pub_written, 0);
    pthread_t w, r;
    ck_assert_int_eq(pthread_create(&r, NULL, observer, &run), 0);
    ck_assert_int_eq(pthread_create(&w, NULL, pub_writer, &run), 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
}

/* An internal iterator for an observer thread, or NULL (failure recorded). */
static lsmt_memtable_iter *internal_iter(lsmt_memtable *mt)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = LSMT_ITER_INTERNAL;
    lsmt_memtable_iter *it = NULL;
    T_REQ(lsmt_memtable_iter_create(mt, &io, &it) == LSMT_OK, "iter_create");
    return it;
}

static void *pub_observer(void *arg)
{
    lsmt_memtable *mt = ((const pub_run *)arg)->mt;
    lsmt_memtable_iter *it = internal_iter(mt);
    if (it == NULL)
        return NULL;
    char key[16];
    unsigned j = 0; /* the next key to catch as it appears */
    while (j < PUB_KEYS && !atomic_load(&failed)) {
        size_t kl = pub_key(key, j);
        /* acquire: once the writer has put key j, the seek below must see it */
        bool written = atomic_load_explicit(&pub_written, memory_order_acquire) > j;
        const void *k = NULL;
        size_t klen = 0;
        if (lsmt_memtable_iter_seek(it, key, kl) == LSMT_OK)
            lsmt_memtable_iter_entry(it, &k, &klen, NULL, NULL, NULL, NULL);
        if (k == NULL || klen != kl || memcmp(k, key, kl) != 0) {
            T_REQ(!written, "iterator missed %s after its put returned", key);
            continue; /* not published yet: look again */
        }
        const void *v;
        size_t vl;
        lsmt_status st = lsmt_memtable_get(mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, NULL);
        T_REQ(st == LSMT_OK, "iterator saw %s, a get after it said %s (bloom bit published late)",
              key, lsmt_status_str(st));
        j++;
    }
    lsmt_memtable_iter_destroy(it);
    return NULL;
}

START_TEST(test_bloom_bit_before_publish)
{
    lsmt_memtable *mt = new_memtable(8 << 20, 10);
    run_publication(mt, 0, pub_observer);
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, PUB_KEYS);
    ck_assert_uint_eq(s.bloom_checks, PUB_KEYS); /* every get went through the filter */
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- a newer version is marked before it can be seen ---------------------------------- *
 * A get may stop at an upper level on a version of its key that has no newer version
 * before it (skiplist.c, invariant V). Once an iterator has seen the newer version, a
 * get after it must not stop at the older one: the inserter must mark the older node
 * before it publishes the newer one. */
static void *ver_observer(void *arg)
{
    lsmt_memtable *mt = ((const pub_run *)arg)->mt;
    lsmt_memtable_iter *it = internal_iter(mt);
    if (it == NULL)
        return NULL;
    char key[16];
    unsigned j = 0;
    while (j < PUB_KEYS && !atomic_load(&failed)) {
        size_t kl = pub_key(key, j);
        /* acquire: once the writer has put version 2 of key j, the seek must see it */
        bool written = atomic_load_explicit(&pub_written, memory_order_acquire) > j;
        /* The newest version of key j, reached along level 0: from key j - 1 (complete,
         * so its seek is exact) step past its two versions. A seek for key j itself could
         * stop at the older version the same way the get would. */
        uint64_t seq = 0;
        lsmt_status st = LSMT_OK;
        if (j == 0) {
            st = lsmt_memtable_iter_seek_to_first(it);
        } else {
            char pk[16];
            size_t pl = pub_key(pk, j - 1);
            st = lsmt_memtable_iter_seek(it, pk, pl);
            for (int step = 0; step < 2 && st == LSMT_OK; step++)
                st = lsmt_memtable_iter_next(it);
        }
        if (st == LSMT_OK) {
            const void *k;
            size_t klen;
            lsmt_memtable_iter_entry(it, &k, &klen, &seq, NULL, NULL, NULL);
            T_REQ(klen == kl && memcmp(k, key, kl) == 0, "iterator not at %s", key);
        }
        if (seq != 2) {
            T_REQ(!written && seq == 1, "iterator: %s at seq %llu", key, (unsigned long long)seq);
            continue;
        }
        const void *v;
        size_t vl;
        uint64_t got = 0;
        st = lsmt_memtable_get(mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, &got);
        T_REQ(st == LSMT_OK && got == 2,
              "iterator saw %s at seq 2, a get after it: %s at seq %llu (older version not "
              "marked before the newer one was published)",
              key, lsmt_status_str(st), (unsigned long long)got);
        j++;
    }
    lsmt_memtable_iter_destroy(it);
    return NULL;
}

START_TEST(test_newer_version_marked_before_publish)
{
    lsmt_memtable *mt = new_memtable(8 << 20, 0); /* no filter: every get searches */
    char key[16];
    for (unsigned i = 0; i < PUB_KEYS; i++) {
        size_t kl = pub_key(key, i);
        ck_assert_int_eq(lsmt_memtable_put(mt, 1, key, kl, "v", 1), LSMT_OK);
    }
    run_publication(mt, 2, ver_observer);     /* version 2 of every key */
    for (unsigned i = 0; i < PUB_KEYS; i++) { /* and both versions by snapshot */
        size_t kl = pub_key(key, i);
        const void *v;
        size_t vl;
        uint64_t got;
        ck_assert_int_eq(lsmt_memtable_get(mt, key, kl, LSMT_MAX_SEQUENCE, &v, &vl, &got), LSMT_OK);
        ck_assert_uint_eq(got, 2);
        ck_assert_int_eq(lsmt_memtable_get(mt, key, kl, 1, &v, &vl, &got), LSMT_OK);
        ck_assert_uint_eq(got, 1);
    }
    ck_assert_int_eq(lsmt_memtable_validate(mt), LSMT_OK);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* Threads come and go (registration at first call, unregistration at exit). */
static void *short_lived(void *arg)
{
    lsmt_memtable *mt = arg;
    const void *v;
    size_t vl;
    lsmt_memtable_get(mt, "x", 1, 1, &v, &vl, NULL);
    return NULL;
}

START_TEST(test_thread_churn)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.bloom_bits_per_key = 10; /* its check counter counts the gets, per thread slot */
    lsmt_memtable *mt;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "x", 1, "y", 1), LSMT_OK);
    for (int round = 0; round < 100 / SCALE; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, short_lived, mt), 0);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        lsmt_memtable_stats s;
        ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
        ck_assert_uint_eq(s.bloom_checks, 4); /* exited threads' slots still count */
        /* a grace period must not wait for exited threads */
        ck_assert_int_eq(lsmt_memtable_freeze(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_OK);
        ck_assert_int_eq(lsmt_memtable_put(mt, 1, "x", 1, "y", 1), LSMT_OK);
    }
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.entries, 1);
    ck_assert_uint_eq(s.resets, (uint64_t)(100 / SCALE));
    lsmt_memtable_destroy(mt);
}
END_TEST

/* ---- calls while reset_all runs (deterministic) ------------------------------------
 * A get parks inside its read section (in a comparator that waits for the test), so a
 * reset_all started by another thread is held in its grace period with RESETTING set:
 * every call made meanwhile must return its documented status and change nothing. */
static _Thread_local int blocker_thread;
static _Atomic int parked, release_get;
static int block_cmp(void *ctx, const void *a, size_t al, const void *b, size_t bl)
{
    (void)ctx;
    if (blocker_thread && !atomic_load(&release_get)) {
        atomic_store(&parked, 1);
        while (!atomic_load(&release_get))
            sched_yield();
    }
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (al < bl ? -1 : al > bl);
}
static void *parked_get(void *arg)
{
    blocker_thread = 1;
    const void *v;
    size_t vl;
    lsmt_memtable_get(arg, "a", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL);
    return NULL;
}
static void *resetter(void *arg)
{
    return (void *)(intptr_t)lsmt_memtable_reset_all(arg);
}

START_TEST(test_calls_during_reset)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = 1 << 20;
    o.compare = block_cmp;
    o.bloom_bits_per_key = 0;
    lsmt_memtable *mt;
    ck_assert_int_eq(lsmt_memtable_create(&o, &mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, 1, "a", 1, "1", 1), LSMT_OK);
    atomic_store(&parked, 0);
    atomic_store(&release_get, 0);
    pthread_t g, r;
    ck_assert_int_eq(pthread_create(&g, NULL, parked_get, mt), 0);
    while (!atomic_load(&parked))
        sched_yield();
    ck_assert_int_eq(pthread_create(&r, NULL, resetter, mt), 0);
    /* until the resetter has set RESETTING, writes still succeed (or find the memtable
     * full, if the resetter is slow to start) */
    uint64_t seq = 100;
    lsmt_status st;
    while ((st = lsmt_memtable_put(mt, seq, "x", 1, "y", 1)) == LSMT_OK || st == LSMT_FULL) {
        seq++;
        if (st == LSMT_FULL)
            sched_yield();
    }
    ck_assert_int_eq(st, LSMT_BUSY);
    lsmt_memtable_stats before, after;
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &before), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(mt, seq, "z", 1, "y", 1), LSMT_BUSY);
    ck_assert_int_eq(lsmt_memtable_delete(mt, seq, "a", 1), LSMT_BUSY);
    lsmt_write_batch *b;
    ck_assert_int_eq(lsmt_write_batch_create(&b), LSMT_OK);
    ck_assert_int_eq(lsmt_write_batch_put(b, "q", 1, "r", 1), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_write(mt, seq, b), LSMT_BUSY);
    lsmt_memtable_iter *it;
    ck_assert_int_eq(lsmt_memtable_iter_create(mt, NULL, &it), LSMT_BUSY);
    ck_assert_int_eq(lsmt_memtable_reset_all(mt), LSMT_BUSY); /* one reset at a time */
    const void *v;
    size_t vl;
    /* reads never block: the memtable reads as empty while it is being reset */
    ck_assert_int_eq(lsmt_memtable_get(mt, "a", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL),
                     LSMT_NOT_FOUND);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &after), LSMT_OK);
    ck_assert_uint_eq(after.entries, before.entries);
    ck_assert_uint_eq(after.resets, 0);
    atomic_store(&release_get, 1);
    void *rst;
    pthread_join(g, NULL);
    pthread_join(r, &rst);
    ck_assert_int_eq((int)(intptr_t)rst, LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_stats_get(mt, &after), LSMT_OK);
    ck_assert_uint_eq(after.entries, 0);
    ck_assert_uint_eq(after.resets, 1);
    ck_assert_int_eq(lsmt_memtable_write(mt, seq, b), LSMT_OK); /* active again */
    ck_assert_int_eq(lsmt_memtable_get(mt, "q", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL), LSMT_OK);
    lsmt_write_batch_destroy(b);
    lsmt_memtable_destroy(mt);
}
END_TEST

/* More live threads than private statistics slots (64): the rest share the atomic
 * overflow slot; the sums must still be exact. */
#define MANY 80
static pthread_barrier_t many_barrier;
static void *many_writer(void *arg)
{
    pit_arg *a = arg;
    char key[16];
    pthread_barrier_wait(&many_barrier); /* all MANY threads alive at once */
    for (unsigned i = 0; i < 50; i++) {
        size_t kl = (size_t)sprintf(key, "m%03u-%02u", a->w, i);
        T_REQ(lsmt_memtable_put(a->p->mt, a->w * 100 + i + 1, key, kl, "val", 3) == LSMT_OK, "put");
    }
    pthread_barrier_wait(&many_barrier); /* nobody exits before all have written */
    return NULL;
}

START_TEST(test_many_threads)
{
    pit p;
    memset(&p, 0, sizeof p);
    ck_assert_int_eq(lsmt_memtable_create(NULL, &p.mt), LSMT_OK);
    pthread_t t[MANY];
    pit_arg args[MANY];
    ck_assert_int_eq(pthread_barrier_init(&many_barrier, NULL, MANY), 0);
    for (unsigned i = 0; i < MANY; i++) {
        args[i].p = &p;
        args[i].w = i;
        ck_assert_int_eq(pthread_create(&t[i], NULL, many_writer, &args[i]), 0);
    }
    for (unsigned i = 0; i < MANY; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&many_barrier);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
    lsmt_memtable_stats s;
    ck_assert_int_eq(lsmt_memtable_stats_get(p.mt, &s), LSMT_OK);
    ck_assert_uint_eq(s.puts, MANY * 50);
    ck_assert_uint_eq(s.value_bytes, MANY * 50 * 3);
    ck_assert_uint_eq(s.key_bytes, MANY * 50 * 7);
    ck_assert_int_eq(lsmt_memtable_validate(p.mt), LSMT_OK);
    lsmt_memtable_destroy(p.mt);
}
END_TEST

/* ---- a refused reset_all is invisible ------------------------------------------------
 * With an iterator open, reset_all must return LSMT_BUSY and change nothing a get or a
 * write can observe, however often it is retried (an engine's flush thread retries it
 * in a loop). One thread retries reset_all, another gets a present key and writes new
 * versions meanwhile: every get must find the key and every write must succeed. */
typedef struct refused {
    lsmt_memtable *mt;
    _Atomic int stop;
    _Atomic uint64_t resets_tried;
} refused;

static void *refused_resetter(void *arg)
{
    refused *r = arg;
    while (!atomic_load(&r->stop)) {
        T_REQ(lsmt_memtable_reset_all(r->mt) == LSMT_BUSY, "reset_all with an open iterator");
        atomic_fetch_add(&r->resets_tried, 1);
    }
    return NULL;
}

START_TEST(test_refused_reset_invisible)
{
    refused r;
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(lsmt_memtable_create(NULL, &r.mt), LSMT_OK);
    ck_assert_int_eq(lsmt_memtable_put(r.mt, 1, "k", 1, "v", 1), LSMT_OK);
    lsmt_memtable_iter *it;
    ck_assert_int_eq(lsmt_memtable_iter_create(r.mt, NULL, &it), LSMT_OK);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, refused_resetter, &r), 0);
    /* wait until the resetter is looping, so the gets below overlap its attempts */
    while (atomic_load(&r.resets_tried) == 0)
        sched_yield();
    uint64_t missed = 0, refused_writes = 0;
    for (uint64_t i = 0; i < 200000 / SCALE; i++) {
        const void *v;
        size_t vl;
        if (lsmt_memtable_get(r.mt, "k", 1, LSMT_MAX_SEQUENCE, &v, &vl, NULL) != LSMT_OK)
            missed++;
        if ((i & 63) == 0 && lsmt_memtable_put(r.mt, 2 + i, "w", 1, "x", 1) != LSMT_OK)
            refused_writes++;
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
    ck_assert_msg(missed == 0 && refused_writes == 0,
                  "%llu gets missed a present key and %llu writes were refused while "
                  "%llu refused reset_all calls ran",
                  (unsigned long long)missed, (unsigned long long)refused_writes,
                  (unsigned long long)atomic_load(&r.resets_tried));
    lsmt_memtable_stats st;
    ck_assert_int_eq(lsmt_memtable_stats_get(r.mt, &st), LSMT_OK);
    ck_assert_uint_eq(st.resets, 0);
    lsmt_memtable_iter_destroy(it);
    ck_assert_int_eq(lsmt_memtable_reset_all(r.mt), LSMT_OK); /* closed: now it resets */
    lsmt_memtable_destroy(r.mt);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("memtable_concurrent");
    TCase *tc = tcase_create("concurrency");
    tcase_add_test(tc, test_reset_cycles);
    tcase_add_test(tc, test_snapshot_point_in_time);
    tcase_add_test(tc, test_bloom_concurrent);
    tcase_add_test(tc, test_bloom_bit_before_publish);
    tcase_add_test(tc, test_newer_version_marked_before_publish);
    tcase_add_test(tc, test_thread_churn);
    tcase_add_test(tc, test_many_threads);
    tcase_add_test(tc, test_calls_during_reset);
    tcase_add_test(tc, test_refused_reset_invisible);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
