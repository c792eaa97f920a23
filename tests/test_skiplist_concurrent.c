/* Check suite for lsmt_skiplist under concurrency (label "concurrency": also run under
 * ThreadSanitizer in CI).
 *
 * The LevelDB/RocksDB scheme: a key is (k, gen, hash(k, gen)), 24 bytes big-endian so the
 * byte order is the numeric order (and the 8-byte prefix ties on every generation of k).
 * Writer w owns the k with k % W == w; it inserts (k, gen) with gen = 1, 2, ... and then
 * publishes current[k] = gen (release). A reader snapshots current[] (acquire) and then
 * iterates and seeks: every entry it sees must be well formed (hash in key and value) and
 * in strictly increasing order, and no key present in its snapshot may be skipped.
 * Several writers (more than cores and than arena shards), several readers, and a
 * deterministic single-thread twin running the same checks. Plus racing inserts of equal
 * keys (exactly one winner) and arena exhaustion mid-race (each insert either found or
 * LSMT_FULL). No sleeps: threads start together through a spin barrier. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/check_run.h"

#include "lsmt/skiplist.h"
#include "skiplist/skiplist_internal.h" /* the yield hook (LSMT_YIELD_INJECTION builds) */
#include "skiplist_entry.h"

#ifdef LSMT_TSAN
#define SCALE 8 /* TSan is ~10x slower: fewer operations, same shape */
#else
#define SCALE 1
#endif

/* CHK calls into Check only on failure: every passing ck_assert records its location
 * with a write(2), far too slow for per-entry checks in worker threads. A failure in
 * any thread ends the forked test process with the message. */
#define CHK(cond)                                                               \
    do {                                                                        \
        if (!(cond))                                                            \
            ck_abort_msg("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
    } while (0)

#define NKEYS   128
#define KEY_LEN 24

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t key_hash(uint64_t k, uint64_t gen)
{
    return mix(k * 1000003u ^ mix(gen));
}

static void put_be64(unsigned char *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}
static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* k goes in the top bits of the first word, so the keys' first 4 bytes differ: two keys
 * per range of the skip list's finger table (64 MiB arena: 32768 ranges), and searches
 * start from finger nodes of the range before -- the table is raced too. */
#define K_SHIFT 48
static void make_key(unsigned char *out, uint64_t k, uint64_t gen)
{
    put_be64(out, k << K_SHIFT);
    put_be64(out + 8, gen);
    put_be64(out + 16, key_hash(k, gen));
}

/* A position in the key space: (k, gen); (k, 0) is before every real key of k. */
typedef struct pos {
    uint64_t k, gen;
} pos;

static int pos_cmp(pos a, pos b)
{
    if (a.k != b.k)
        return a.k < b.k ? -1 : 1;
    return (a.gen > b.gen) - (a.gen < b.gen);
}

/* Decode and check a node: 24-byte key, hash matches, value repeats the hash. */
static pos node_pos(const lsmt_skiplist_node *n)
{
    size_t kl = 0, vl = 0;
    const unsigned char *kp = sl_key(n, &kl);
    const unsigned char *vp = sl_value(n, &vl);
    CHK(kl == KEY_LEN);
    CHK(vl == 8);
    uint64_t w0 = get_be64(kp);
    CHK((w0 & ((1ull << K_SHIFT) - 1)) == 0);
    pos p = {w0 >> K_SHIFT, get_be64(kp + 8)};
    uint64_t h = key_hash(p.k, p.gen);
    if (get_be64(kp + 16) != h || get_be64(vp) != h)
        ck_abort_msg("corrupt entry k=%llu gen=%llu", (unsigned long long)p.k,
                     (unsigned long long)p.gen);
    if (p.k >= NKEYS || p.gen == 0)
        ck_abort_msg("entry out of the key space k=%llu gen=%llu", (unsigned long long)p.k,
                     (unsigned long long)p.gen);
    return p;
}

/* ---- shared state ---------------------------------------------------------------------- */

typedef struct world {
    lsmt_sharded_arena *arena;
    lsmt_skiplist *sl;
    unsigned writers;
    uint64_t per_writer; /* inserts per writer */
    /* current[k]: the newest generation of k that is fully inserted. Written by the
     * writer that owns k with a release store after its insert returned; readers load
     * it with acquire, so the entry (k, gen) is visible to them (read-your-published-
     * writes). */
    _Atomic uint64_t current[NKEYS];
    /* Writers still running; readers loop until it reaches 0. release/acquire: a reader
     * that sees 0 also sees every current[] store. */
    _Atomic unsigned running;
    /* Start barrier: threads spin until every thread arrived (no sleeps). */
    _Atomic unsigned arrived;
    unsigned nthreads;
    bool encoded; /* an LSMT_SKIPLIST_FORMAT_ENCODED list: writers publish entries */
} world;

static void barrier_wait(_Atomic unsigned *arrived, unsigned n)
{
    /* acq_rel / acquire: each thread's setup happens before any thread's work */
    atomic_fetch_add_explicit(arrived, 1, memory_order_acq_rel);
    while (atomic_load_explicit(arrived, memory_order_acquire) < n)
        sched_yield();
}

static void snapshot(world *w, uint64_t *snap)
{
    for (unsigned k = 0; k < NKEYS; k++) {
        /* acquire: pairs with the writer's release in writer_step */
        snap[k] = atomic_load_explicit(&w->current[k], memory_order_acquire);
    }
}

/* ---- writer ---------------------------------------------------------------------------- */

typedef struct writer_arg {
    world *w;
    unsigned id;
    uint64_t seed;
} writer_arg;

/* Reserve the node of entry (k, gen) and write it: KV through node_alloc, ENCODED through
 * entry_alloc (the LevelDB/RocksDB entry: varint 32 (24 + 8), key, version 0, varint 8,
 * value). Aborts the test on failure. */
static lsmt_skiplist_node *writer_node(world *w, unsigned id, uint64_t k, uint64_t gen)
{
    unsigned char val[8];
    put_be64(val, key_hash(k, gen));
    lsmt_skiplist_node *n;
    lsmt_status st;
    if (w->encoded) {
        enum { EBYTES = 1 + KEY_LEN + 8 + 1 + 8 };
        unsigned char *e;
        st = lsmt_skiplist_entry_alloc(w->sl, EBYTES, &n, (void **)&e);
        if (st == LSMT_OK) {
            e[0] = KEY_LEN + 8;
            make_key(e + 1, k, gen);
            memset(e + 1 + KEY_LEN, 0, 8);
            e[1 + KEY_LEN + 8] = 8;
            memcpy(e + 1 + KEY_LEN + 8 + 1, val, 8);
        }
    } else {
        void *kb, *vb;
        st = lsmt_skiplist_node_alloc(w->sl, KEY_LEN, 0, 8, 0, &n, &kb, &vb);
        if (st == LSMT_OK) {
            make_key(kb, k, gen);
            memcpy(vb, val, 8);
        }
    }
    if (st != LSMT_OK)
        ck_abort_msg("writer %u node for k=%llu: %s", id, (unsigned long long)k,
                     lsmt_status_str(st));
    return n;
}

/* One insert step of writer `id` (path by id % 3): returns after publishing the new
 * generation. */
/* Writer 3 (mod 4): 1..6 entries of its keys (a key may come twice: two generations)
 * through one node_insert_batch, each published after the batch returned. */
static uint64_t writer_batch_step(world *w, unsigned id, uint64_t *rng, unsigned per,
                                  uint64_t *local_gen, uint64_t left)
{
    enum { NB = 6 };
    lsmt_skiplist_node *nodes[NB];
    lsmt_status sts[NB];
    uint64_t ks[NB], gens[NB];
    *rng = mix(*rng);
    size_t nb = 1 + *rng % NB;
    if (nb > left)
        nb = (size_t)left;
    for (size_t b = 0; b < nb; b++) {
        *rng = mix(*rng);
        ks[b] = id + (uint64_t)w->writers * (*rng % per);
        gens[b] = ++local_gen[ks[b]];
        nodes[b] = writer_node(w, id, ks[b], gens[b]);
    }
    CHK(lsmt_skiplist_node_insert_batch(w->sl, nb, nodes, sts) == LSMT_OK);
    for (size_t b = 0; b < nb; b++) {
        if (sts[b] != LSMT_OK)
            ck_abort_msg("writer %u batch insert k=%llu gen=%llu: %s", id,
                         (unsigned long long)ks[b], (unsigned long long)gens[b],
                         lsmt_status_str(sts[b]));
        /* release: the entry (k, gen) is in the list; pairs with the readers' acquire */
        atomic_store_explicit(&w->current[ks[b]], gens[b], memory_order_release);
    }
    return nb;
}

/* One step of writer `id`, at most `left` entries; returns how many it inserted. */
static uint64_t writer_step(world *w, unsigned id, uint64_t *rng, lsmt_skiplist_hint *hint,
                            uint64_t *local_gen, uint64_t left)
{
    unsigned per = (NKEYS + w->writers - 1 - id) / w->writers; /* keys this writer owns */
    if (id % 4 == 3)
        return writer_batch_step(w, id, rng, per, local_gen, left);
    *rng = mix(*rng);
    uint64_t k = id + (uint64_t)w->writers * (*rng % per);
    uint64_t gen = ++local_gen[k];
    unsigned char key[KEY_LEN], val[8];
    make_key(key, k, gen);
    put_be64(val, key_hash(k, gen));
    lsmt_status st;
    switch (w->encoded ? 2 : id % 4) { /* ENCODED lists publish through node_insert */
    case 0:
        st = lsmt_skiplist_insert(w->sl, NULL, key, KEY_LEN, 0, val, 8);
        break;
    case 1:
        st = lsmt_skiplist_insert(w->sl, hint, key, KEY_LEN, 0, val, 8);
        break;
    default:
        st = lsmt_skiplist_node_insert(w->sl, (*rng & 1) ? hint : NULL, writer_node(w, id, k, gen));
        break;
    }
    if (st != LSMT_OK)
        ck_abort_msg("writer %u insert k=%llu gen=%llu: %s", id, (unsigned long long)k,
                     (unsigned long long)gen, lsmt_status_str(st));
    /* release: the entry (k, gen) is in the list; pairs with the readers' acquire */
    atomic_store_explicit(&w->current[k], gen, memory_order_release);
    return 1;
}

static void *writer_main(void *p)
{
    writer_arg *a = p;
    world *w = a->w;
    uint64_t rng = a->seed;
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    uint64_t *gen = calloc(NKEYS, sizeof *gen);
    CHK(gen != NULL);
    barrier_wait(&w->arrived, w->nthreads);
    for (uint64_t i = 0; i < w->per_writer;)
        i += writer_step(w, a->id, &rng, &hint, gen, w->per_writer - i);
    free(gen);
    /* release: see the field */
    atomic_fetch_sub_explicit(&w->running, 1, memory_order_release);
    return NULL;
}

/* ---- reader ---------------------------------------------------------------------------- */

/* One reader pass (LevelDB's ConcurrentTest::ReadStep): snapshot, then alternately step
 * and seek forward, checking order, integrity and that nothing in the snapshot between
 * consecutive positions was skipped. Then a find of a published key, and a few backward
 * steps checked for order. */
static void reader_pass(world *w, uint64_t *rng, uint64_t *snap)
{
    snapshot(w, snap);
    lsmt_skiplist_iter it;
    CHK(lsmt_skiplist_iter_init(&it, w->sl) == LSMT_OK);
    *rng = mix(*rng);
    /* one pass in four is a full scan (long runs of next: the iterator's read-ahead) */
    bool full = (*rng >> 40) % 4 == 0;
    pos at = {full ? 0 : *rng % NKEYS, 0};
    unsigned char key[KEY_LEN];
    make_key(key, at.k, 0);
    lsmt_status st = full ? lsmt_skiplist_iter_seek_to_first(&it)
                          : lsmt_skiplist_iter_seek(&it, key, 16, 0); /* 16 bytes: (k, 0) */
    for (int steps = 0; full || steps < 200; steps++) {
        pos cur = {NKEYS, 0};
        if (st == LSMT_OK)
            cur = node_pos(lsmt_skiplist_iter_node(&it));
        else
            CHK(st == LSMT_END);
        CHK(pos_cmp(at, cur) <= 0); /* never backwards */
        /* everything in [at, cur) must have been absent from the snapshot */
        while (pos_cmp(at, cur) < 0) {
            if (at.gen != 0 && at.gen <= snap[at.k])
                ck_abort_msg("missed k=%llu gen=%llu (snapshot gen %llu)", (unsigned long long)at.k,
                             (unsigned long long)at.gen, (unsigned long long)snap[at.k]);
            if (at.k < cur.k) {
                /* no later generation of at.k may be in the snapshot either */
                if (snap[at.k] > at.gen)
                    ck_abort_msg("missed k=%llu gen=%llu", (unsigned long long)at.k,
                                 (unsigned long long)at.gen + 1);
                at.k++;
                at.gen = 0;
            } else {
                at.gen++;
            }
        }
        if (st != LSMT_OK)
            break;
        *rng = mix(*rng);
        if (full || (*rng & 3)) {
            st = lsmt_skiplist_iter_next(&it);
            at.gen++; /* strictly after cur */
        } else {
            pos target = {(*rng >> 8) % NKEYS, 0};
            if (pos_cmp(target, at) > 0) {
                at = target;
                make_key(key, at.k, 0);
                st = lsmt_skiplist_iter_seek(&it, key, 16, 0);
            }
        }
    }
    /* read-your-published-writes: the newest published generation of k is found */
    *rng = mix(*rng);
    uint64_t k = *rng % NKEYS;
    /* acquire: pairs with the writer's release in writer_step */
    uint64_t g = atomic_load_explicit(&w->current[k], memory_order_acquire);
    if (g != 0) {
        make_key(key, k, g);
        const lsmt_skiplist_node *n = lsmt_skiplist_find(w->sl, key, KEY_LEN, 0);
        if (n == NULL)
            ck_abort_msg("published k=%llu gen=%llu not found", (unsigned long long)k,
                         (unsigned long long)g);
        CHK(node_pos(n).gen == g);
        /* seek_for_prev on it lands on it; prev steps go strictly down */
        CHK(lsmt_skiplist_iter_seek_for_prev(&it, key, KEY_LEN, 0) == LSMT_OK);
        CHK(lsmt_skiplist_iter_node(&it) == n);
        pos last = node_pos(n);
        for (int i = 0; i < 4 && lsmt_skiplist_iter_prev(&it) == LSMT_OK; i++) {
            pos p = node_pos(lsmt_skiplist_iter_node(&it));
            CHK(pos_cmp(p, last) < 0);
            last = p;
        }
    }
}

/* A batch of published keys through seek_batch (its interleaved searches run while the
 * writers insert): each lands exactly on its key, published before the call. */
static void reader_batch(world *w, uint64_t *rng)
{
    enum { NB = 40 }; /* more than the skip list's interleaved ways */
    unsigned char keys[NB][KEY_LEN];
    const void *kp[NB];
    size_t kl[NB], nb = 0;
    pos want[NB];
    for (int i = 0; i < NB; i++) {
        *rng = mix(*rng);
        uint64_t k = *rng % NKEYS;
        /* acquire: pairs with the writer's release in writer_step */
        uint64_t g = atomic_load_explicit(&w->current[k], memory_order_acquire);
        if (g == 0)
            continue;
        make_key(keys[nb], k, g);
        kp[nb] = keys[nb];
        kl[nb] = KEY_LEN;
        want[nb] = (pos){k, g};
        nb++;
    }
    const lsmt_skiplist_node *out[NB];
    const uint64_t vers[NB] = {0};
    CHK(lsmt_skiplist_seek_batch(w->sl, nb, kp, kl, vers, out) == LSMT_OK);
    for (size_t i = 0; i < nb; i++) {
        if (out[i] == NULL)
            ck_abort_msg("seek_batch: published k=%llu gen=%llu not found",
                         (unsigned long long)want[i].k, (unsigned long long)want[i].gen);
        pos got = node_pos(out[i]);
        CHK(got.k == want[i].k && got.gen == want[i].gen);
    }
}

typedef struct reader_arg {
    world *w;
    uint64_t seed;
    uint64_t passes;
} reader_arg;

static void *reader_main(void *p)
{
    reader_arg *a = p;
    world *w = a->w;
    uint64_t rng = a->seed;
    uint64_t *snap = calloc(NKEYS, sizeof *snap);
    CHK(snap != NULL);
    barrier_wait(&w->arrived, w->nthreads);
    bool last = false;
    while (!last) {
        /* acquire: see the field; the pass after seeing 0 checks the final state */
        last = atomic_load_explicit(&w->running, memory_order_acquire) == 0;
        reader_pass(w, &rng, snap);
        reader_batch(w, &rng);
        a->passes++;
    }
    free(snap);
    return NULL;
}

/* ---- setup and final checks ------------------------------------------------------------ */

static void world_init_fmt(world *w, unsigned writers, uint64_t per_writer, size_t shards,
                           lsmt_skiplist_format fmt)
{
    memset(w, 0, sizeof *w);
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)64 << 20;
    ao.chunk_size = (size_t)4 << 10; /* small chunks: shards refill often, more races */
    ao.shard_count = shards;
    CHK(lsmt_sharded_arena_create(&ao, &w->arena) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = w->arena;
    o.format = fmt;
    CHK(lsmt_skiplist_create(&o, &w->sl) == LSMT_OK);
    w->encoded = fmt == LSMT_SKIPLIST_FORMAT_ENCODED;
    w->writers = writers;
    w->per_writer = per_writer;
    for (unsigned k = 0; k < NKEYS; k++)
        atomic_init(&w->current[k], 0);
    atomic_init(&w->running, writers);
    atomic_init(&w->arrived, 0);
}

static void world_init(world *w, unsigned writers, uint64_t per_writer, size_t shards)
{
    world_init_fmt(w, writers, per_writer, shards, LSMT_SKIPLIST_FORMAT_KV);
}

/* After all threads joined: exactly gens 1..current[k] of every k, in order. */
static void world_check_final(world *w)
{
    size_t cnt = 0;
    CHK(lsmt_skiplist_validate(w->sl, &cnt) == LSMT_OK);
    CHK(cnt == (size_t)w->writers * w->per_writer);
    lsmt_skiplist_iter it;
    CHK(lsmt_skiplist_iter_init(&it, w->sl) == LSMT_OK);
    lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it);
    for (uint64_t k = 0; k < NKEYS; k++) {
        /* relaxed: every writer was joined, which orders its stores before this */
        uint64_t g = atomic_load_explicit(&w->current[k], memory_order_relaxed);
        for (uint64_t gen = 1; gen <= g; gen++) {
            CHK(st == LSMT_OK);
            pos p = node_pos(lsmt_skiplist_iter_node(&it));
            CHK(p.k == k);
            CHK(p.gen == gen);
            st = lsmt_skiplist_iter_next(&it);
        }
    }
    CHK(st == LSMT_END);
}

static void world_free(world *w)
{
    lsmt_skiplist_destroy(w->sl);
    lsmt_sharded_arena_destroy(w->arena);
}

static void run_concurrent_fmt(unsigned writers, unsigned readers, size_t shards, uint64_t per,
                               lsmt_skiplist_format fmt)
{
    world *w = malloc(sizeof *w);
    CHK(w != NULL);
    world_init_fmt(w, writers, per, shards, fmt);
    w->nthreads = writers + readers;
    pthread_t th[16];
    writer_arg wa[16];
    reader_arg ra[16];
    for (unsigned i = 0; i < writers; i++) {
        wa[i] = (writer_arg){w, i, mix(1000 + i)};
        CHK(pthread_create(&th[i], NULL, writer_main, &wa[i]) == 0);
    }
    for (unsigned i = 0; i < readers; i++) {
        ra[i] = (reader_arg){w, mix(2000 + i), 0};
        CHK(pthread_create(&th[writers + i], NULL, reader_main, &ra[i]) == 0);
    }
    for (unsigned i = 0; i < writers + readers; i++)
        CHK(pthread_join(th[i], NULL) == 0);
    for (unsigned i = 0; i < readers; i++)
        CHK(ra[i].passes >= 1);
    world_check_final(w);
    world_free(w);
    free(w);
}

static void run_concurrent(unsigned writers, unsigned readers, size_t shards, uint64_t per)
{
    run_concurrent_fmt(writers, readers, shards, per, LSMT_SKIPLIST_FORMAT_KV);
}

/* 5 writers (> 2 cores, > 2 shards) and 3 readers. */
START_TEST(writers_and_readers)
{
    run_concurrent(5, 3, 2, 60000 / SCALE);
}
END_TEST

/* The same on an ENCODED list (entries published through node_insert and batches). */
START_TEST(writers_and_readers_encoded)
{
    run_concurrent_fmt(4, 2, 2, 40000 / SCALE, LSMT_SKIPLIST_FORMAT_ENCODED);
}
END_TEST

/* 6 writers on a single shard: every allocation shares it. */
START_TEST(writers_one_shard)
{
    run_concurrent(6, 2, 1, 30000 / SCALE);
}
END_TEST

/* The deterministic single-thread twin: the same writer steps, interleaved round-robin,
 * with a reader pass after every few steps. */
START_TEST(single_thread_twin)
{
    world *w = malloc(sizeof *w);
    CHK(w != NULL);
    enum { WRITERS = 5 };
    world_init(w, WRITERS, 20000 / SCALE, 2);
    uint64_t rngs[WRITERS], *gens[WRITERS], rr = mix(77);
    lsmt_skiplist_hint hints[WRITERS];
    for (unsigned i = 0; i < WRITERS; i++) {
        rngs[i] = mix(1000 + i);
        gens[i] = calloc(NKEYS, sizeof(uint64_t));
        CHK(gens[i] != NULL);
        lsmt_skiplist_hint_init(&hints[i]);
    }
    uint64_t *snap = calloc(NKEYS, sizeof *snap);
    CHK(snap != NULL);
    uint64_t done[WRITERS] = {0};
    for (uint64_t s = 0; s < w->per_writer; s++) {
        for (unsigned i = 0; i < WRITERS; i++) {
            if (done[i] < w->per_writer)
                done[i] += writer_step(w, i, &rngs[i], &hints[i], gens[i], w->per_writer - done[i]);
        }
        if (s % 64 == 0)
            reader_pass(w, &rr, snap);
    }
    reader_pass(w, &rr, snap);
    world_check_final(w);
    for (unsigned i = 0; i < WRITERS; i++)
        free(gens[i]);
    free(snap);
    world_free(w);
    free(w);
}
END_TEST

/* ---- racing equal inserts -------------------------------------------------------------- */

#define RACERS    4
#define RACE_KEYS (10000 / SCALE)

typedef struct race {
    lsmt_skiplist *sl;
    _Atomic unsigned arrived;
    lsmt_status st[RACERS][RACE_KEYS];
} race;

typedef struct racer_arg {
    race *r;
    unsigned id;
} racer_arg;

static void race_key(unsigned char *key, unsigned i)
{
    put_be64(key, mix(i));
    put_be64(key + 8, i);
}

static void *racer_main(void *p)
{
    racer_arg *a = p;
    race *r = a->r;
    lsmt_skiplist_hint hint;
    lsmt_skiplist_hint_init(&hint);
    for (unsigned i = 0; i < RACE_KEYS; i++) {
        /* all racers start each key together (a per-key barrier), so their searches see
         * the same splice and their level-0 CASes collide: the losers take the
         * CAS-failure path and must find the winner's node there */
        barrier_wait(&r->arrived, RACERS * (i + 1));
        unsigned char key[16];
        race_key(key, i);
        uint64_t v = a->id;
        /* every racer inserts the same keys in the same order: maximal collisions */
        r->st[a->id][i] = (a->id & 1) ? lsmt_skiplist_insert(r->sl, &hint, key, 16, 7, &v, 8)
                                      : lsmt_skiplist_insert(r->sl, NULL, key, 16, 7, &v, 8);
    }
    return NULL;
}

START_TEST(racing_equal_inserts)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)16 << 20;
    ao.shard_count = 2;
    lsmt_sharded_arena *a;
    CHK(lsmt_sharded_arena_create(&ao, &a) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    race *r = calloc(1, sizeof *r);
    CHK(r != NULL);
    CHK(lsmt_skiplist_create(&o, &r->sl) == LSMT_OK);
    pthread_t th[RACERS];
    racer_arg args[RACERS];
    for (unsigned t = 0; t < RACERS; t++) {
        args[t] = (racer_arg){r, t};
        CHK(pthread_create(&th[t], NULL, racer_main, &args[t]) == 0);
    }
    for (unsigned t = 0; t < RACERS; t++)
        CHK(pthread_join(th[t], NULL) == 0);
    for (unsigned i = 0; i < RACE_KEYS; i++) {
        unsigned winners = 0, winner = 0;
        for (unsigned t = 0; t < RACERS; t++) {
            if (r->st[t][i] == LSMT_OK) {
                winners++;
                winner = t;
            } else {
                CHK(r->st[t][i] == LSMT_EXISTS);
            }
        }
        CHK(winners == 1);
        unsigned char key[16];
        race_key(key, i);
        const lsmt_skiplist_node *n = lsmt_skiplist_find(r->sl, key, 16, 7);
        CHK(n != NULL);
        uint64_t v;
        memcpy(&v, sl_value(n, NULL), 8);
        CHK(v == winner); /* the winner's value, not a loser's */
    }
    size_t cnt;
    CHK(lsmt_skiplist_validate(r->sl, &cnt) == LSMT_OK);
    CHK(cnt == RACE_KEYS);
    lsmt_skiplist_destroy(r->sl);
    free(r);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- arena exhaustion mid-race ----------------------------------------------------------- */

#define FILLERS  5
#define FILL_MAX 20000

typedef struct fill {
    lsmt_skiplist *sl;
    _Atomic unsigned arrived;
    lsmt_status st[FILLERS][FILL_MAX];
    unsigned tried[FILLERS];
} fill;

typedef struct filler_arg {
    fill *f;
    unsigned id;
} filler_arg;

static void filler_key(unsigned char *key, unsigned id, unsigned i)
{
    put_be64(key, mix((uint64_t)id << 32 | i));
    put_be64(key + 8, (uint64_t)id << 32 | i);
}

static void *filler_main(void *p)
{
    filler_arg *a = p;
    fill *f = a->f;
    barrier_wait(&f->arrived, FILLERS);
    unsigned fulls = 0, i = 0;
    for (; i < FILL_MAX && fulls < 50; i++) {
        unsigned char key[16], val[40];
        filler_key(key, a->id, i);
        memset(val, (int)(i & 0xff), sizeof val);
        lsmt_status st = lsmt_skiplist_insert(f->sl, NULL, key, 16, 0, val, (i % 3) * 20);
        f->st[a->id][i] = st;
        fulls += st == LSMT_FULL;
    }
    f->tried[a->id] = i;
    return NULL;
}

START_TEST(exhaustion_mid_race)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)256 << 10;
    ao.chunk_size = (size_t)4 << 10;
    ao.shard_count = 2;
    lsmt_sharded_arena *a;
    CHK(lsmt_sharded_arena_create(&ao, &a) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    fill *f = calloc(1, sizeof *f);
    CHK(f != NULL);
    CHK(lsmt_skiplist_create(&o, &f->sl) == LSMT_OK);
    pthread_t th[FILLERS];
    filler_arg args[FILLERS];
    for (unsigned t = 0; t < FILLERS; t++) {
        args[t] = (filler_arg){f, t};
        CHK(pthread_create(&th[t], NULL, filler_main, &args[t]) == 0);
    }
    for (unsigned t = 0; t < FILLERS; t++)
        CHK(pthread_join(th[t], NULL) == 0);
    size_t ok = 0, full = 0;
    for (unsigned t = 0; t < FILLERS; t++) {
        CHK(f->tried[t] < FILL_MAX); /* the arena did run out for every thread */
        for (unsigned i = 0; i < f->tried[t]; i++) {
            lsmt_status st = f->st[t][i];
            unsigned char key[16];
            filler_key(key, t, i);
            if (st == LSMT_OK) {
                ok++;
                const lsmt_skiplist_node *n = lsmt_skiplist_find(f->sl, key, 16, 0);
                CHK(n != NULL);
                size_t vl;
                const unsigned char *v = sl_value(n, &vl);
                CHK(vl == (i % 3) * 20);
                CHK(vl == 0 || v[vl - 1] == (unsigned char)(i & 0xff));
            } else {
                CHK(st == LSMT_FULL);
                CHK(!sl_contains(f->sl, key, 16, 0));
                full++;
            }
        }
    }
    CHK(full > 0);
    size_t cnt;
    CHK(lsmt_skiplist_validate(f->sl, &cnt) == LSMT_OK);
    CHK(cnt == ok);
    lsmt_skiplist_destroy(f->sl);
    free(f);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- interleaved ascending inserts ----------------------------------------------------
 * T threads (more than cores) insert one ascending sequence between them, thread t taking
 * i = t, t+T, ...: each thread's splice is reused for a key just past the others' newest
 * keys, so CAS races at upper levels and the splices they leave behind are exercised
 * on every run. The list must stay ordered, and hold every key exactly once. */
#define ASC_THREADS 6
#define ASC_N       (120000 / SCALE)
typedef struct asc_arg {
    lsmt_skiplist *sl;
    unsigned t;
    _Atomic unsigned *go;
} asc_arg;

static void *asc_main(void *arg)
{
    asc_arg *a = arg;
    atomic_fetch_add(a->go, 1);
    while (atomic_load(a->go) < ASC_THREADS)
        sched_yield();
    for (uint64_t i = a->t; i < ASC_N; i += ASC_THREADS) {
        unsigned char key[8];
        put_be64(key, i);
        /* plain insert (thread splice) and insert_hint alternate by thread */
        CHK(lsmt_skiplist_insert(a->sl, NULL, key, 8, 0, NULL, 0) == LSMT_OK);
    }
    return NULL;
}

START_TEST(interleaved_ascending)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)64 << 20;
    ao.shard_count = 2;
    lsmt_sharded_arena *a;
    CHK(lsmt_sharded_arena_create(&ao, &a) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    o.max_height = 6; /* short towers: more nodes share the upper levels, more races */
    lsmt_skiplist *sl;
    CHK(lsmt_skiplist_create(&o, &sl) == LSMT_OK);
    _Atomic unsigned go = 0;
    pthread_t th[ASC_THREADS];
    asc_arg args[ASC_THREADS];
    for (unsigned t = 0; t < ASC_THREADS; t++) {
        args[t] = (asc_arg){sl, t, &go};
        CHK(pthread_create(&th[t], NULL, asc_main, &args[t]) == 0);
    }
    for (unsigned t = 0; t < ASC_THREADS; t++)
        CHK(pthread_join(th[t], NULL) == 0);
    size_t cnt = 0;
    CHK(lsmt_skiplist_validate(sl, &cnt) == LSMT_OK);
    CHK(cnt == ASC_N);
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, sl);
    uint64_t expect = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it), expect++) {
        size_t kl;
        const unsigned char *k = sl_key(lsmt_skiplist_iter_node(&it), &kl);
        CHK(kl == 8 && get_be64(k) == expect);
    }
    CHK(expect == ASC_N);
    lsmt_skiplist_destroy(sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

/* ---- insert_serial beside readers ------------------------------------------------------
 * insert_serial publishes with plain release stores: one writer, readers iterating and
 * seeking concurrently must see a strictly ordered list that only grows, and every key
 * published before they started. */
#define SER_N (100000 / SCALE)
typedef struct ser {
    lsmt_skiplist *sl;
    _Atomic uint64_t published; /* keys 0..published-1 are in (release by the writer) */
    _Atomic int done;
} ser;

static void *ser_reader(void *arg)
{
    ser *s = arg;
    uint64_t rs = 12345;
    while (!atomic_load(&s->done)) {
        uint64_t have = atomic_load_explicit(&s->published, memory_order_acquire);
        lsmt_skiplist_iter it;
        lsmt_skiplist_iter_init(&it, s->sl);
        uint64_t seen = 0, last = 0, evens = 0;
        lsmt_status st;
        for (st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK && seen < 2000;
             st = lsmt_skiplist_iter_next(&it)) {
            size_t kl;
            const unsigned char *k = sl_key(lsmt_skiplist_iter_node(&it), &kl);
            uint64_t v = get_be64(k);
            CHK(kl == 8 && (seen == 0 || v > last)); /* strictly ascending */
            if (v % 2 == 0) {
                CHK(v / 2 == evens); /* the even keys 0, 2, 4, ... with no gap */
                evens++;
            }
            last = v;
            seen++;
        }
        if (st != LSMT_OK) /* walked to the end: every key published before we began */
            CHK(evens >= have);
        if (have > 0) {
            rs = mix(rs);
            uint64_t probe = rs % have;
            unsigned char key[8];
            put_be64(key, 2 * probe);
            CHK(sl_contains(s->sl, key, 8, 0));
        }
    }
    return NULL;
}

START_TEST(serial_writer_with_readers)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.capacity = (size_t)32 << 20;
    lsmt_sharded_arena *a;
    CHK(lsmt_sharded_arena_create(&ao, &a) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    ser s;
    memset(&s, 0, sizeof s);
    CHK(lsmt_skiplist_create(&o, &s.sl) == LSMT_OK);
    pthread_t rd[3];
    for (int r = 0; r < 3; r++)
        CHK(pthread_create(&rd[r], NULL, ser_reader, &s) == 0);
    /* ascending even keys 2i, each published before the counter moves past it; odd keys
     * from a second pass land between them (inserts in the middle, not only at the end) */
    for (uint64_t i = 0; i < SER_N; i++) {
        unsigned char key[8];
        put_be64(key, 2 * i);
        CHK(lsmt_skiplist_insert_serial(s.sl, key, 8, 0, NULL, 0) == LSMT_OK);
        atomic_store_explicit(&s.published, i + 1, memory_order_release);
    }
    for (uint64_t i = 0; i < SER_N; i += 7) {
        unsigned char key[8];
        put_be64(key, 2 * i + 1);
        CHK(lsmt_skiplist_insert_serial(s.sl, key, 8, 0, NULL, 0) == LSMT_OK);
    }
    atomic_store(&s.done, 1);
    for (int r = 0; r < 3; r++)
        CHK(pthread_join(rd[r], NULL) == 0);
    size_t cnt;
    CHK(lsmt_skiplist_validate(s.sl, &cnt) == LSMT_OK);
    CHK(cnt == SER_N + (SER_N + 6) / 7);
    lsmt_skiplist_destroy(s.sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST

#ifdef LSMT_YIELD_INJECTION
/* ---- a lost upper-level CAS, replayed deterministically ------------------------------
 * (Built with -DLSMT_YIELD_INJECTION=ON only: the skip list then calls a hook right
 * before each linking CAS.) Thread A inserts n (key 10, height 4) with its hint; at its
 * level-3 CAS the hook lets thread B insert m (key 11, height 4) completely. A's CAS
 * loses, it re-searches level 3 and finds m, while its levels 0..2 still name what
 * followed n before m existed. A's next insert (key 12) through the same hint must land
 * after m: a splice left with next[3] = m before next[2] would put 12 before 11. */
static _Thread_local int race_role; /* 1 in thread A */
static _Atomic int race_phase;      /* 0 idle, 1 A waits in the hook, 2 B done */

static void race_hook(unsigned level)
{
    if (race_role == 1 && level == 3 && atomic_load(&race_phase) == 0) {
        atomic_store(&race_phase, 1);
        while (atomic_load(&race_phase) != 2)
            sched_yield();
    }
}

typedef struct race_ctx {
    lsmt_skiplist *sl;
    lsmt_skiplist_node *n, *m;
} race_ctx;

/* A node for key k of height h (nodes of other heights stay unused in the arena). */
static lsmt_skiplist_node *node_of_height(lsmt_skiplist *sl, uint64_t k, unsigned h)
{
    for (int tries = 0; tries < 100000; tries++) {
        lsmt_skiplist_node *n;
        void *kb, *vb;
        CHK(lsmt_skiplist_node_alloc(sl, 8, 0, 0, 0, &n, &kb, &vb) == LSMT_OK);
        if (sl_height_of(n) == h) {
            put_be64(kb, k);
            return n;
        }
    }
    CHK(!"no node of the wanted height");
    return NULL;
}

static void *race_a(void *arg)
{
    race_ctx *c = arg;
    race_role = 1;
    lsmt_skiplist_hint h;
    lsmt_skiplist_hint_init(&h);
    unsigned char key[8];
    put_be64(key, 5);
    CHK(lsmt_skiplist_insert(c->sl, &h, key, 8, 0, NULL, 0) == LSMT_OK);
    CHK(lsmt_skiplist_node_insert(c->sl, &h, c->n) == LSMT_OK); /* B runs inside */
    put_be64(key, 12);
    CHK(lsmt_skiplist_insert(c->sl, &h, key, 8, 0, NULL, 0) == LSMT_OK);
    return NULL;
}

static void *race_b(void *arg)
{
    race_ctx *c = arg;
    while (atomic_load(&race_phase) != 1)
        sched_yield();
    CHK(lsmt_skiplist_node_insert(c->sl, NULL, c->m) == LSMT_OK);
    atomic_store(&race_phase, 2);
    return NULL;
}

START_TEST(lost_upper_cas_keeps_order)
{
    lsmt_sharded_arena_options ao;
    lsmt_sharded_arena_options_default(&ao);
    ao.shard_count = 1;
    lsmt_sharded_arena *a;
    CHK(lsmt_sharded_arena_create(&ao, &a) == LSMT_OK);
    lsmt_skiplist_options o;
    lsmt_skiplist_options_default(&o);
    o.arena = a;
    o.max_height = 4;
    race_ctx c;
    CHK(lsmt_skiplist_create(&o, &c.sl) == LSMT_OK);
    c.n = node_of_height(c.sl, 10, 4);
    c.m = node_of_height(c.sl, 11, 4);
    atomic_store(&race_phase, 0);
    lsmt_skiplist_test_yield_hook = race_hook;
    pthread_t ta, tb;
    CHK(pthread_create(&tb, NULL, race_b, &c) == 0);
    CHK(pthread_create(&ta, NULL, race_a, &c) == 0);
    CHK(pthread_join(ta, NULL) == 0);
    CHK(pthread_join(tb, NULL) == 0);
    lsmt_skiplist_test_yield_hook = NULL;
    CHK(atomic_load(&race_phase) == 2); /* the race did happen */
    size_t cnt;
    CHK(lsmt_skiplist_validate(c.sl, &cnt) == LSMT_OK);
    CHK(cnt == 4);
    static const uint64_t want[] = {5, 10, 11, 12};
    lsmt_skiplist_iter it;
    lsmt_skiplist_iter_init(&it, c.sl);
    size_t i = 0;
    for (lsmt_status st = lsmt_skiplist_iter_seek_to_first(&it); st == LSMT_OK;
         st = lsmt_skiplist_iter_next(&it), i++) {
        const unsigned char *k = sl_key(lsmt_skiplist_iter_node(&it), NULL);
        CHK(i < 4 && get_be64(k) == want[i]);
    }
    CHK(i == 4);
    lsmt_skiplist_destroy(c.sl);
    lsmt_sharded_arena_destroy(a);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("skiplist_concurrent");
    TCase *tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, single_thread_twin);
    tcase_add_test(tc, writers_and_readers);
    tcase_add_test(tc, writers_one_shard);
    tcase_add_test(tc, writers_and_readers_encoded);
    tcase_add_test(tc, racing_equal_inserts);
    tcase_add_test(tc, exhaustion_mid_race);
    tcase_add_test(tc, interleaved_ascending);
    tcase_add_test(tc, serial_writer_with_readers);
#ifdef LSMT_YIELD_INJECTION
    tcase_add_test(tc, lost_upper_cas_keeps_order);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lsmt_check_run(suite());
}
