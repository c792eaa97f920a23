/* memtable-stress: a torture test of lsmt_memtable inside a small engine model.
 *
 * Design
 *   The tool plays a storage engine: one ACTIVE memtable takes the writes, FROZEN
 *   ("immutable") memtables wait for their flush, flushed memtables are reset_all'd and
 *   kept in a free list for reuse (or destroyed, their arena going back to an
 *   lsmt_arena_pool). All of this runs at once:
 *     writers    puts, deletes and write batches; sequence numbers from one counter
 *     readers    engine reads (active, then frozen newest first, then the "SST") with
 *                get and multi_get at the latest or an older snapshot
 *     iterators  bounded scans of one memtable: seek/next forward, seek_for_prev/prev
 *                backward, internal and snapshot kinds
 *     rotation   freeze the active memtable, install a fresh one, flush-iterate the
 *                frozen one, reset_all it and return it to the free list
 *     probe      gets and iterators on ANY memtable, with no engine lock, so they race
 *                with freeze and reset_all (they check only what the API promises then)
 *
 *   The engine's view (which memtable is active, the frozen list) is guarded by a
 *   writer-preferring rwlock: writers, readers and iterators hold it shared for one
 *   operation, the rotation takes it exclusively only to install a memtable and to
 *   retire a flushed one. So freeze, the flush iteration and every memtable call run
 *   concurrently with the others; only the view switch is atomic.
 *
 * Values
 *   Every value encodes its key id, its sequence number, the INCARNATION of the
 *   memtable it was written to (a counter bumped each time a memtable is installed as
 *   active, so a value from before a reset_all is recognised) and its length, then a
 *   payload derived from the sequence number, then an xxh3 checksum of all of it:
 *       u32 key | u64 seq | u32 incarnation | u32 len | payload | u64 xxh3(seed = key)
 *   The length is a function of the sequence number. A torn, misplaced or stale value
 *   fails the decode.
 *
 * Expected state (as RocksDB's db_stress): per key, under a mutex, a ring of its latest
 *   RING versions in sequence order, each PENDING (write in flight), COMMITTED (the call
 *   returned LSMT_OK), FAILED (it returned an error: must leave no trace) or FLUSHED
 *   (its memtable was flushed: it now lives in the "SST", which this model serves from
 *   the ring). A write registers PENDING and takes its sequence number under the key's
 *   mutex, so a key's ring is ordered by sequence. A read computes, before it starts,
 *   the newest COMMITTED/FLUSHED version at its snapshot (what it MUST at least see) and
 *   judges the answer afterwards (an in-flight write may or may not be seen).
 *   Versions older than the ring make a check unjudgeable: it is then skipped and
 *   counted, never guessed.
 *
 * Invariants checked (each violation prints a diagnostic; the exit status is then 1):
 *   V1 read-your-writes: a read at snapshot s sees a version >= the newest version
 *      <= s committed before it started.
 *   V2 monotonic reads: a reader never sees an older version than it saw before at a
 *      snapshot that covers both.
 *   V3 a snapshot never shows a version above its sequence number.
 *   V4 values are intact: key, sequence, incarnation, length and checksum agree; the
 *      version exists and did not fail; its type matches (OK <-> put, DELETED <-> delete).
 *   V5 iteration is strictly ordered, stays inside its bounds and never misses a
 *      version (internal) / a visible key (snapshot) committed before it started.
 *   V6 the flush iterator of a frozen memtable yields exactly the acknowledged writes.
 *   V7 after reset_all the memtable is empty: nothing read comes from before it.
 *   V8 statuses are the documented ones (e.g. a write to a frozen memtable is FROZEN,
 *      a unique sequence number is never EXISTS, validate is OK).
 */
#include "lsmt/memtable.h"
#include "lsmt/skiplist.h" /* lsmt_skiplist_test_yield_hook (yield-injection builds) */
#include "arena/concurrent_internal.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define MAX_THREADS    16
#define NSLOTS         4 /* memtables: 1 active, up to MAX_IMM frozen, the rest spare */
#define MAX_IMM        2
#define RING           64 /* versions kept per key in the expected-state table */
#define KEY_LEN        8
#define VAL_HDR        20 /* key, seq, incarnation, len */
#define VAL_MIN        (VAL_HDR + 8)
#define MAX_BATCH      40 /* > 32: the duplicate check's chunk, so a batch can span two */
#define MAX_VIOLATIONS 20

/* ---- configuration ------------------------------------------------------------------ */
typedef struct config {
    unsigned writers, readers, iterators, probes;
    unsigned keys;
    double duration; /* seconds; 0 = until --ops */
    uint64_t ops;    /* total operations; 0 = until --duration */
    uint64_t seed;
    size_t buffer; /* write_buffer_size of each memtable */
    size_t value_max;
    uint64_t seq_base; /* first sequence number */
    double rotate_ms;  /* rotate at least this often (plus whenever should_flush) */
    int yield;         /* yield injection: sched_yield in race windows */
    double fault_rate; /* fault injection: probability that a map/discard fails */
    int verbose;
    int sabotage; /* self-test: 1 lost write, 2 stale value, 3 skipped reset */
} config;

static config C = {
    .writers = 2,
    .readers = 1,
    .iterators = 1,
    .probes = 1,
    .keys = 4096,
    .duration = 10,
    .ops = 0,
    .seed = 0,
    .buffer = 256 << 10,
    .value_max = 200,
    .seq_base = 1,
    .rotate_ms = 20,
    .yield = 0,
    .fault_rate = 0.0,
    .verbose = 0,
};

/* ---- counters (per thread, summed at the end) ----------------------------------------- */
typedef struct counters {
    uint64_t puts, deletes, batches, batch_records, write_full, write_frozen, write_nomem;
    uint64_t gets, multigets, found, deleted, not_found, sst_hits, unjudged;
    uint64_t iters, iter_steps, probe_gets, probe_iters, probe_busy;
    uint64_t rotations, resets, reset_busy, flushed_entries, destroyed, create_nomem;
} counters;

/* ---- global state ----------------------------------------------------------------------- */
static _Atomic int g_stop;          /* relaxed: a stop request; threads just finish soon */
static _Atomic uint64_t g_seq_next; /* relaxed: hands out distinct numbers; ordering of the
                                     * expected state comes from the key mutexes */
static _Atomic uint64_t g_ops;      /* relaxed: approximate progress for --ops */
static _Atomic int g_violations;    /* relaxed: counted, read at the end after joins */
static _Atomic uint64_t g_faults;   /* relaxed: injected failures (report only) */
static pthread_mutex_t g_print_mu = PTHREAD_MUTEX_INITIALIZER;

static void violation(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(const char *who, const char *fmt, ...)
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

static int stopping(void)
{
    return atomic_load_explicit(&g_stop, memory_order_relaxed);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- random numbers ------------------------------------------------------------------- */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t rnd(uint64_t *s, uint64_t n)
{
    return n ? splitmix(s) % n : 0;
}

static void maybe_yield(uint64_t *rs)
{
    if (C.yield && rnd(rs, 4) == 0)
        sched_yield();
}

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

/* ---- keys and values ------------------------------------------------------------------ */
/* "k" and 7 decimal digits: bytewise order == numeric order (keys < 10^7). */
static void key_make(char *buf, uint32_t k)
{
    buf[0] = 'k';
    for (int i = KEY_LEN - 1; i >= 1; i--, k /= 10)
        buf[i] = (char)('0' + k % 10);
    buf[KEY_LEN] = 0;
}

static int key_parse(const void *key, size_t klen, uint32_t *k)
{
    char tmp[KEY_LEN + 1];
    if (klen != KEY_LEN || ((const char *)key)[0] != 'k')
        return -1;
    memcpy(tmp, key, KEY_LEN);
    tmp[KEY_LEN] = 0;
    char *end;
    unsigned long v = strtoul(tmp + 1, &end, 10);
    if (*end != 0 || v >= C.keys)
        return -1;
    *k = (uint32_t)v;
    return 0;
}

static size_t value_len(uint64_t seq)
{
    uint64_t s = seq * 0x9e3779b97f4a7c15ull;
    return VAL_MIN + (size_t)((s >> 40) % (C.value_max - VAL_MIN + 1));
}

static size_t value_make(uint8_t *buf, uint32_t key, uint64_t seq, uint32_t inc)
{
    uint32_t len = (uint32_t)value_len(seq);
    memcpy(buf, &key, 4);
    memcpy(buf + 4, &seq, 8);
    memcpy(buf + 12, &inc, 4);
    memcpy(buf + 16, &len, 4);
    for (uint32_t i = VAL_HDR; i < len - 8; i++)
        buf[i] = (uint8_t)(seq * 31 + i * 7 + key);
    uint64_t h = XXH3_64bits_withSeed(buf, len - 8, key);
    memcpy(buf + len - 8, &h, 8);
    return len;
}

/* Decode and check a value; inc == 0 means "any incarnation". Returns NULL when it is
 * intact and matches (key, seq, inc), else a description of what is wrong. */
static const char *value_check(const void *v, size_t vlen, uint32_t key, uint64_t seq, uint32_t inc)
{
    const uint8_t *b = v;
    uint32_t k, i, len;
    uint64_t s, h;
    if (v == NULL || vlen < VAL_MIN)
        return "value too short";
    memcpy(&k, b, 4);
    memcpy(&s, b + 4, 8);
    memcpy(&i, b + 12, 4);
    memcpy(&len, b + 16, 4);
    memcpy(&h, b + vlen - 8, 8);
    if (len != vlen)
        return "length field differs from the value's length (torn or misplaced)";
    if (h != XXH3_64bits_withSeed(b, vlen - 8, k))
        return "checksum mismatch (torn value)";
    if (k != key)
        return "value belongs to another key (misplaced)";
    if (s != seq)
        return "value carries another sequence number (misplaced)";
    if (vlen != value_len(seq))
        return "length does not match the sequence number";
    if (inc != 0 && i != inc)
        return "value from another memtable incarnation (stale: before reset_all?)";
    return NULL;
}

static uint64_t value_seq(const void *v)
{
    uint64_t s;
    memcpy(&s, (const uint8_t *)v + 4, 8);
    return s;
}

/* ---- expected state ----------------------------------------------------------------- */
enum { V_PENDING = 1, V_COMMITTED, V_FAILED, V_FLUSHED };
static const char *const state_name[] = {"?", "PENDING", "COMMITTED", "FAILED", "FLUSHED"};

typedef struct ver {
    uint64_t seq;
    uint32_t inc;  /* incarnation of the memtable it was written to */
    uint8_t type;  /* lsmt_entry_type */
    uint8_t state; /* V_* */
} ver;

typedef struct khist {
    pthread_mutex_t mu;
    uint64_t appended; /* versions ever appended; ring[(appended - 1) % RING] is newest */
    ver ring[RING];
} khist;

static khist *g_hist;

static size_t hist_len(const khist *h)
{
    return h->appended < RING ? h->appended : RING;
}
/* i-th retained version, 0 = oldest. */
static ver *hist_at(khist *h, size_t i)
{
    return &h->ring[(h->appended - hist_len(h) + i) % RING];
}
static ver *hist_find(khist *h, uint64_t seq)
{
    for (size_t i = 0; i < hist_len(h); i++)
        if (hist_at(h, i)->seq == seq)
            return hist_at(h, i);
    return NULL;
}
/* true when versions <= s (of incarnation >= min_inc) may have been evicted. */
static int hist_truncated(khist *h, uint64_t s, uint32_t min_inc)
{
    if (h->appended <= RING)
        return 0;
    const ver *old = hist_at(h, 0);
    return old->seq <= s ? old->inc >= min_inc && min_inc != 0 : 1;
}
/* Newest version with seq <= s whose state is in `mask` (bit per state) and whose
 * incarnation is `inc` (0 = any). */
static ver *hist_newest(khist *h, uint64_t s, unsigned mask, uint32_t inc)
{
    for (size_t i = hist_len(h); i-- > 0;) {
        ver *v = hist_at(h, i);
        if (v->seq <= s && (mask & (1u << v->state)) && (inc == 0 || v->inc == inc))
            return v;
    }
    return NULL;
}

/* ---- the engine --------------------------------------------------------------------- */
typedef struct ack {
    uint64_t seq;
    uint32_t key;
    uint32_t type;
} ack;
typedef struct ack_vec {
    ack *v;
    size_t n, cap;
} ack_vec;

enum { S_EMPTY = 0, S_FREE, S_ACTIVE, S_FROZEN };

typedef struct slot {
    lsmt_memtable *mt; /* written under life_mu (and the engine lock); probes read
                        * it under life_mu */
    pthread_mutex_t life_mu;
    uint32_t inc;              /* incarnation while ACTIVE/FROZEN; engine lock */
    int state;                 /* S_*; engine lock */
    ack_vec acks[MAX_THREADS]; /* acknowledged writes per writer; the writer appends
                                * holding the engine lock shared, the rotation reads
                                * them after retiring the memtable exclusively */
} slot;

static struct engine {
    pthread_rwlock_t lock;
    slot slots[NSLOTS];
    int active;
    int imm[MAX_IMM]; /* frozen memtables, newest first */
    int nimm;
    uint32_t inc_counter;
    lsmt_arena_pool *pool;
    pthread_mutex_t rot_mu; /* with rot_cv: writers nudge the rotation thread */
    pthread_cond_t rot_cv;
    int rot_wanted;
    pthread_cond_t installed_cv; /* with rot_mu: broadcast when a memtable is installed */
    uint32_t installed_inc;      /* rot_mu: incarnation of the newest active memtable */
} E;

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

/* Create the memtable of slot `i` through the pool. */
static lsmt_status slot_create(int i)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.write_buffer_size = C.buffer;
    o.pool = E.pool;
    o.bloom_bits_per_key = i % 2 ? 10 : 0; /* half the memtables with a bloom filter */
    /* one of those with a filter sized for 64 keys (two lines): saturated, so every add
     * ORs into the same few words as the other writers' and nearly every get passes the
     * filter to the skip list */
    o.bloom_expected_keys = i == 1 ? 64 : 0;
    lsmt_memtable *mt = NULL;
    lsmt_status st = lsmt_memtable_create(&o, &mt);
    if (st == LSMT_OK) {
        pthread_mutex_lock(&E.slots[i].life_mu);
        E.slots[i].mt = mt;
        pthread_mutex_unlock(&E.slots[i].life_mu);
    }
    return st;
}

/* ---- writers ----------------------------------------------------------------------- */
typedef struct thr {
    pthread_t th;
    unsigned idx; /* index among its kind */
    uint64_t rs;
    counters c;
    uint64_t *last_seen; /* readers: V2 */
    char name[24];
} thr;

static void nudge_rotation(void)
{
    pthread_mutex_lock(&E.rot_mu);
    E.rot_wanted = 1;
    pthread_cond_signal(&E.rot_cv);
    pthread_mutex_unlock(&E.rot_mu);
}

/* After LSMT_FULL / LSMT_FROZEN from memtable `inc`: ask for a rotation and wait until a
 * newer memtable is installed (bounded wait, so a stop request is seen). */
static void wait_rotation(uint32_t inc)
{
    pthread_mutex_lock(&E.rot_mu);
    E.rot_wanted = 1;
    pthread_cond_signal(&E.rot_cv);
    for (int i = 0; i < 10 && E.installed_inc == inc && !stopping(); i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&E.installed_cv, &E.rot_mu, &ts);
    }
    pthread_mutex_unlock(&E.rot_mu);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void writer_op(thr *t, lsmt_write_batch *batch)
{
    uint32_t keys[MAX_BATCH];
    uint8_t types[MAX_BATCH];
    /* 1 record mostly; 2-4 in one op of 10; 34-40 in one of 100 when there are keys
     * enough for that many distinct ones */
    unsigned n = 1;
    if (rnd(&t->rs, 10) == 0)
        n = rnd(&t->rs, 10) == 0 && C.keys >= 4 * MAX_BATCH ? MAX_BATCH - (unsigned)rnd(&t->rs, 7)
                                                            : 2 + (unsigned)rnd(&t->rs, 3);
    for (unsigned i = 0; i < n; i++) {
    again:
        keys[i] = (uint32_t)rnd(&t->rs, C.keys);
        for (unsigned j = 0; j < i; j++)
            if (keys[j] == keys[i])
                goto again;
    }
    qsort(keys, n, sizeof(keys[0]), cmp_u32); /* lock order */
    for (unsigned i = 0; i < n; i++)
        types[i] = rnd(&t->rs, 5) == 0 ? LSMT_TYPE_DELETE : LSMT_TYPE_PUT;

    pthread_rwlock_rdlock(&E.lock);
    slot *sl = &E.slots[E.active];
    lsmt_memtable *mt = sl->mt;
    uint32_t inc = sl->inc;
    /* Register the versions PENDING and take their sequence numbers under the keys'
     * mutexes (so each key's ring is in sequence order). */
    unsigned locked = 0;
    int room = 1;
    for (; locked < n; locked++) {
        khist *h = &g_hist[keys[locked]];
        pthread_mutex_lock(&h->mu);
        if (h->appended >= RING && h->ring[h->appended % RING].state == V_PENDING)
            room = 0; /* the ring slot to reuse is still in flight: try another op */
    }
    uint64_t first = 0;
    if (room) {
        first = atomic_fetch_add_explicit(&g_seq_next, n, memory_order_relaxed);
        for (unsigned i = 0; i < n; i++) {
            khist *h = &g_hist[keys[i]];
            h->ring[h->appended % RING] = (ver){first + i, inc, types[i], V_PENDING};
            h->appended++;
        }
    }
    for (unsigned i = 0; i < locked; i++)
        pthread_mutex_unlock(&g_hist[keys[i]].mu);
    if (!room) {
        pthread_rwlock_unlock(&E.lock);
        return;
    }
    maybe_yield(&t->rs);

    uint8_t val[MAX_BATCH][1024];
    size_t vlen[MAX_BATCH];
    char kbuf[MAX_BATCH][KEY_LEN + 1];
    for (unsigned i = 0; i < n; i++) {
        key_make(kbuf[i], keys[i]);
        vlen[i] = value_make(val[i], keys[i], first + i, inc);
    }
    if (C.sabotage == 2 && rnd(&t->rs, 1000) == 0 && inc > 1)
        vlen[0] = value_make(val[0], keys[0], first, inc - 1); /* self-test: stale value */
    lsmt_status st;
    if (C.sabotage == 1 && rnd(&t->rs, 1000) == 0)
        st = LSMT_OK; /* self-test: claim a write that never happened */
    else if (n == 1 && types[0] == LSMT_TYPE_PUT)
        st = lsmt_memtable_put(mt, first, kbuf[0], KEY_LEN, val[0], vlen[0]);
    else if (n == 1)
        st = lsmt_memtable_delete(mt, first, kbuf[0], KEY_LEN);
    else {
        lsmt_write_batch_clear(batch);
        st = LSMT_OK;
        for (unsigned i = 0; i < n && st == LSMT_OK; i++)
            st = types[i] == LSMT_TYPE_PUT
                     ? lsmt_write_batch_put(batch, kbuf[i], KEY_LEN, val[i], vlen[i])
                     : lsmt_write_batch_delete(batch, kbuf[i], KEY_LEN);
        if (st != LSMT_OK)
            violation(t->name, "write_batch_%s: %s", types[0] ? "put" : "delete",
                      lsmt_status_str(st));
        else if (lsmt_write_batch_count(batch) != n)
            violation(t->name, "write_batch_count %zu, expected %u", lsmt_write_batch_count(batch),
                      n);
        st = lsmt_memtable_write(mt, first, batch);
    }
    for (unsigned i = 0; i < n; i++) {
        khist *h = &g_hist[keys[i]];
        pthread_mutex_lock(&h->mu);
        ver *v = hist_find(h, first + i);
        if (v != NULL)
            v->state = st == LSMT_OK ? V_COMMITTED : V_FAILED;
        pthread_mutex_unlock(&h->mu);
    }
    if (st == LSMT_OK) {
        ack_vec *a = &sl->acks[t->idx];
        if (a->n + n > a->cap) {
            a->cap = a->cap ? a->cap * 2 : 1024;
            a->v = realloc(a->v, a->cap * sizeof(ack));
            if (a->v == NULL) {
                perror("realloc");
                exit(2);
            }
        }
        for (unsigned i = 0; i < n; i++)
            a->v[a->n++] = (ack){first + i, keys[i], types[i]};
    }
    int flush = st == LSMT_OK && lsmt_memtable_should_flush(mt);
    pthread_rwlock_unlock(&E.lock);

    switch (st) {
    case LSMT_OK:
        if (n > 1) {
            t->c.batches++;
            t->c.batch_records += n;
        } else if (types[0] == LSMT_TYPE_PUT)
            t->c.puts++;
        else
            t->c.deletes++;
        break;
    case LSMT_FULL:
        t->c.write_full++;
        wait_rotation(inc);
        flush = 0;
        break;
    case LSMT_FROZEN:
        t->c.write_frozen++;
        wait_rotation(inc);
        break;
    case LSMT_NOMEM:
        t->c.write_nomem++;
        break;
    default: /* EXISTS (sequence numbers are unique), BUSY (no reset runs on the active
              * memtable), INVALID, RANGE: all wrong here */
        violation(t->name, "write of %u record(s) at seq %" PRIu64 " returned %s", n, first,
                  lsmt_status_str(st));
    }
    if (flush)
        nudge_rotation();
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

static void *writer_main(void *arg)
{
    thr *t = arg;
    lsmt_write_batch *b = NULL;
    if (lsmt_write_batch_create(&b) != LSMT_OK) {
        violation(t->name, "write_batch_create failed");
        return NULL;
    }
    while (!stopping())
        writer_op(t, b);
    lsmt_write_batch_destroy(b);
    return NULL;
}

/* ---- readers ------------------------------------------------------------------------- */
/* The engine view a reader or iterator works on (copied under the shared lock). */
typedef struct view {
    int n;
    int slot[1 + MAX_IMM];
    uint32_t inc[1 + MAX_IMM];
    lsmt_memtable *mt[1 + MAX_IMM];
} view;

static void view_take(view *v)
{
    v->n = 0;
    v->slot[v->n] = E.active;
    v->inc[v->n] = E.slots[E.active].inc;
    v->mt[v->n++] = E.slots[E.active].mt;
    for (int i = 0; i < E.nimm; i++) {
        v->slot[v->n] = E.imm[i];
        v->inc[v->n] = E.slots[E.imm[i]].inc;
        v->mt[v->n++] = E.slots[E.imm[i]].mt;
    }
}

static uint64_t pick_snapshot(uint64_t *rs)
{
    /* relaxed: any value is a fine snapshot; the expected state is judged under the key
     * mutexes */
    uint64_t next = atomic_load_explicit(&g_seq_next, memory_order_relaxed);
    uint64_t r = rnd(rs, 10);
    if (r == 0)
        return LSMT_MAX_SEQUENCE;
    if (r < 7 || next - C.seq_base < 64)
        return next - 1;
    return next - 1 - rnd(rs, 64);
}

typedef struct answer {
    lsmt_status st; /* OK, DELETED or NOT_FOUND */
    uint64_t seq;   /* version found (0 for NOT_FOUND / a DELETED from multi_get) */
    int from;       /* view index it came from; -1: the SST */
} answer;

static void reader_op(thr *t)
{
    enum { NK = 40 }; /* > 32: multi_get's chunk, so one call spans two */
    uint32_t keys[NK];
    unsigned nk = 1;
    if (rnd(&t->rs, 4) == 0)
        nk = rnd(&t->rs, 4) == 0 ? NK : 4;
    for (unsigned i = 0; i < nk; i++)
        keys[i] = (uint32_t)rnd(&t->rs, C.keys);
    char kbuf[NK][KEY_LEN + 1];
    const void *kp[NK];
    size_t kl[NK];
    for (unsigned i = 0; i < nk; i++) {
        key_make(kbuf[i], keys[i]);
        kp[i] = kbuf[i];
        kl[i] = KEY_LEN;
    }

    pthread_rwlock_rdlock(&E.lock);
    view v;
    view_take(&v);
    uint64_t snap = pick_snapshot(&t->rs);
    uint64_t must[NK]; /* V1: newest committed/flushed version <= snap before the read */
    int judged[NK];
    for (unsigned i = 0; i < nk; i++) {
        khist *h = &g_hist[keys[i]];
        pthread_mutex_lock(&h->mu);
        ver *lb = hist_newest(h, snap, 1u << V_COMMITTED | 1u << V_FLUSHED, 0);
        must[i] = lb ? lb->seq : 0;
        /* judgeable when nothing was evicted, or the bound itself is still in the ring
         * (then every newer version is too) */
        judged[i] = h->appended <= RING || lb != NULL;
        pthread_mutex_unlock(&h->mu);
    }
    maybe_yield(&t->rs);

    answer ans[NK];
    uint64_t before[NK]; /* V2: what this reader had seen of each key before the call */
    for (unsigned i = 0; i < nk; i++) {
        ans[i] = (answer){LSMT_NOT_FOUND, 0, -1};
        before[i] = t->last_seen[keys[i]];
    }
    unsigned left = nk;
    for (int m = 0; m < v.n && left > 0; m++) {
        lsmt_status sts[NK];
        const void *vals[NK];
        size_t vlens[NK];
        uint64_t seqs[NK] = {0};
        if (nk == 1) {
            sts[0] = lsmt_memtable_get(v.mt[m], kp[0], kl[0], snap, &vals[0], &vlens[0], &seqs[0]);
            t->c.gets++;
        } else {
            lsmt_status st = lsmt_memtable_multi_get(v.mt[m], nk, kp, kl, snap, sts, vals, vlens);
            t->c.multigets++;
            if (st != LSMT_OK) {
                violation(t->name, "multi_get returned %s", lsmt_status_str(st));
                break;
            }
        }
        for (unsigned i = 0; i < nk; i++) {
            if (ans[i].st != LSMT_NOT_FOUND || ans[i].from >= 0)
                continue; /* already answered by a newer memtable */
            if (sts[i] == LSMT_NOT_FOUND)
                continue;
            if (sts[i] != LSMT_OK && sts[i] != LSMT_DELETED) {
                violation(t->name, "get key %u snap %" PRIu64 " returned %s", keys[i], snap,
                          lsmt_status_str(sts[i]));
                ans[i].from = m;
                left--;
                continue;
            }
            if (sts[i] == LSMT_OK) {
                uint64_t s = nk == 1 ? seqs[i] : (vlens[i] >= VAL_MIN ? value_seq(vals[i]) : 0);
                const char *why = value_check(vals[i], vlens[i], keys[i], s, v.inc[m]);
                if (why)
                    violation(t->name,
                              "V4 get key %u snap %" PRIu64 " seq %" PRIu64
                              " from memtable slot %d inc %u: %s",
                              keys[i], snap, s, v.slot[m], v.inc[m], why);
                seqs[i] = s;
            }
            ans[i] = (answer){sts[i], seqs[i], m};
            left--;
        }
    }
    /* Keys no memtable has: the SST (flushed versions) answers, from the model. Then
     * judge every answer. Flushed state changes only under the exclusive lock, which
     * we exclude, so the memtables and the SST were consistent with each other. */
    for (unsigned i = 0; i < nk; i++) {
        khist *h = &g_hist[keys[i]];
        pthread_mutex_lock(&h->mu);
        answer *a = &ans[i];
        if (a->from < 0) {
            ver *f = hist_newest(h, snap, 1u << V_FLUSHED, 0);
            if (f != NULL) {
                a->st = f->type == LSMT_TYPE_PUT ? LSMT_OK : LSMT_DELETED;
                a->seq = f->seq;
                t->c.sst_hits++;
            }
        }
        if (a->st == LSMT_OK)
            t->c.found++;
        else if (a->st == LSMT_DELETED)
            t->c.deleted++;
        else
            t->c.not_found++;
        if (!judged[i] || (must[i] != 0 && h->appended > RING && hist_at(h, 0)->seq > must[i]) ||
            (a->seq != 0 && h->appended > RING && hist_at(h, 0)->seq > a->seq)) {
            /* what the check needs left the ring meanwhile */
            t->c.unjudged++;
            pthread_mutex_unlock(&h->mu);
            continue;
        }
        if (a->seq > snap && !(a->st == LSMT_DELETED && a->seq == 0))
            violation(t->name, "V3 key %u: snapshot %" PRIu64 " shows version %" PRIu64, keys[i],
                      snap, a->seq);
        if (a->st == LSMT_DELETED && a->seq == 0) {
            /* multi_get's DELETED has no sequence: some non-failed tombstone in
             * [must, snap] of that memtable must exist */
            int ok = 0;
            for (size_t j = 0; j < hist_len(h); j++) {
                ver *x = hist_at(h, j);
                ok |= x->type == LSMT_TYPE_DELETE && x->state != V_FAILED && x->seq <= snap &&
                      x->seq >= must[i] && x->inc == v.inc[a->from];
            }
            if (!ok && h->appended > RING)
                t->c.unjudged++; /* the tombstone may have left the ring */
            else if (!ok)
                violation(t->name,
                          "V1/V4 key %u snap %" PRIu64 ": multi_get says DELETED, but no "
                          "tombstone >= %" PRIu64 " exists in memtable inc %u",
                          keys[i], snap, must[i], v.inc[a->from]);
        } else if (a->st == LSMT_NOT_FOUND) {
            if (must[i] != 0)
                violation(t->name,
                          "V1 key %u snap %" PRIu64 ": NOT_FOUND, but version %" PRIu64
                          " was committed before the read",
                          keys[i], snap, must[i]);
        } else {
            ver *x = hist_find(h, a->seq);
            if (a->seq < must[i])
                violation(t->name,
                          "V1 key %u snap %" PRIu64 ": read version %" PRIu64 " (%s), but %" PRIu64
                          " was committed before the read",
                          keys[i], snap, a->seq, a->from < 0 ? "sst" : "memtable", must[i]);
            else if (x == NULL)
                violation(t->name, "V4 key %u snap %" PRIu64 ": version %" PRIu64 " never written",
                          keys[i], snap, a->seq);
            else if (x->state == V_FAILED)
                violation(t->name, "V4 key %u: version %" PRIu64 " is visible but its write failed",
                          keys[i], a->seq);
            else if ((x->type == LSMT_TYPE_PUT) != (a->st == LSMT_OK))
                violation(t->name, "V4 key %u: version %" PRIu64 " is a %s but get said %s",
                          keys[i], a->seq, x->type == LSMT_TYPE_PUT ? "put" : "delete",
                          lsmt_status_str(a->st));
            else if (a->from >= 0 && x->inc != v.inc[a->from])
                violation(t->name,
                          "V4 key %u: version %" PRIu64 " written to inc %u found in inc %u",
                          keys[i], a->seq, x->inc, v.inc[a->from]);
        }
        /* V2: monotonic reads for this reader, against what it had seen before this
         * call: the lookups of one multi_get are concurrent with each other (memtable.h),
         * so two positions holding the same key may differ while a write of it lands */
        uint64_t last = before[i];
        if (snap >= last && a->seq < last && !(a->st == LSMT_DELETED && a->seq == 0))
            violation(t->name,
                      "V2 key %u: read version %" PRIu64 " at snapshot %" PRIu64
                      " after having read version %" PRIu64,
                      keys[i], a->seq, snap, last);
        if (a->seq > t->last_seen[keys[i]] && a->seq <= snap)
            t->last_seen[keys[i]] = a->seq;
        pthread_mutex_unlock(&h->mu);
    }
    pthread_rwlock_unlock(&E.lock);
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

static void *reader_main(void *arg)
{
    thr *t = arg;
    t->last_seen = calloc(C.keys, sizeof(uint64_t));
    while (!stopping())
        reader_op(t);
    free(t->last_seen);
    return NULL;
}

/* ---- iterators ------------------------------------------------------------------------- */
typedef struct seen {
    uint32_t key;
    uint64_t seq;
    uint8_t type;
} seen;

/* Order of (key asc, seq desc): <0, 0, >0. */
static int ent_cmp(uint32_t k1, uint64_t s1, uint32_t k2, uint64_t s2)
{
    if (k1 != k2)
        return k1 < k2 ? -1 : 1;
    return s1 == s2 ? 0 : (s1 > s2 ? -1 : 1);
}

/* Read the iterator's entry and check it (V4, V3). Returns 0 when unusable. */
static int iter_read(thr *t, lsmt_memtable_iter *it, uint32_t inc, int snapshot_kind, uint64_t snap,
                     seen *out)
{
    const void *key, *val;
    size_t klen, vlen;
    uint64_t seq;
    lsmt_entry_type type;
    lsmt_status st = lsmt_memtable_iter_entry(it, &key, &klen, &seq, &type, &val, &vlen);
    if (st != LSMT_OK) {
        violation(t->name, "iter_entry on a valid iterator returned %s", lsmt_status_str(st));
        return 0;
    }
    uint32_t k;
    if (key_parse(key, klen, &k) != 0) {
        violation(t->name, "V4 iterator yields a key that was never written (len %zu)", klen);
        return 0;
    }
    if (type == LSMT_TYPE_PUT) {
        const char *why = value_check(val, vlen, k, seq, inc);
        if (why)
            violation(t->name, "V4 iterator key %u seq %" PRIu64 " inc %u: %s", k, seq, inc, why);
    } else if (type != LSMT_TYPE_DELETE || val != NULL || vlen != 0) {
        violation(t->name, "V4 iterator key %u seq %" PRIu64 ": bad type %d / tombstone value", k,
                  seq, (int)type);
    }
    if (snapshot_kind && (seq > snap || type != LSMT_TYPE_PUT))
        violation(t->name,
                  "V3/V5 snapshot iterator at %" PRIu64 " yields key %u seq %" PRIu64 " type %d",
                  snap, k, seq, (int)type);
    *out = (seen){k, seq, (uint8_t)type};
    return 1;
}

static void iterator_op(thr *t)
{
    enum { MAXW = 48, MAXSEEN = MAXW * RING };
    static _Thread_local seen buf[MAXSEEN + 8];
    static _Thread_local ver must[MAXW][RING];
    static _Thread_local int nmust[MAXW];
    static _Thread_local int unjudged[MAXW];

    pthread_rwlock_rdlock(&E.lock);
    view v;
    view_take(&v);
    int m = v.n > 1 && rnd(&t->rs, 2) ? 1 + (int)rnd(&t->rs, (uint64_t)v.n - 1) : 0;
    uint32_t lo = (uint32_t)rnd(&t->rs, C.keys);
    uint32_t width = 1 + (uint32_t)rnd(&t->rs, MAXW);
    uint32_t hi = lo + width > C.keys ? C.keys : lo + width;
    int snapshot_kind = (int)rnd(&t->rs, 2);
    int bounded = rnd(&t->rs, 4) != 0;
    int backward = (int)rnd(&t->rs, 2);
    uint64_t snap = snapshot_kind ? pick_snapshot(&t->rs) : LSMT_MAX_SEQUENCE;
    uint32_t inc = v.inc[m];
    int frozen = m > 0;

    /* What the iteration must show (V5): committed versions of this incarnation. */
    for (uint32_t k = lo; k < hi; k++) {
        khist *h = &g_hist[k];
        int i = (int)(k - lo);
        pthread_mutex_lock(&h->mu);
        nmust[i] = 0;
        unjudged[i] = hist_truncated(h, snap, inc);
        for (size_t j = 0; j < hist_len(h); j++) {
            ver *x = hist_at(h, j);
            if (x->inc == inc && x->state == V_COMMITTED && x->seq <= snap)
                must[i][nmust[i]++] = *x;
        }
        pthread_mutex_unlock(&h->mu);
    }

    char lob[KEY_LEN + 1], hib[KEY_LEN + 1];
    key_make(lob, lo);
    key_make(hib, hi);
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = snapshot_kind ? LSMT_ITER_SNAPSHOT : LSMT_ITER_INTERNAL;
    io.snapshot = snap;
    if (bounded) {
        io.lower_bound = lob;
        io.lower_len = KEY_LEN;
        io.upper_bound = hib;
        io.upper_len = KEY_LEN;
    }
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = lsmt_memtable_iter_create(v.mt[m], &io, &it);
    if (st != LSMT_OK) {
        violation(t->name, "V8 iter_create on a memtable in the view returned %s",
                  lsmt_status_str(st));
        pthread_rwlock_unlock(&E.lock);
        return;
    }
    t->c.iters++;
    size_t n = 0;
    int complete = 0;
    if (!backward) {
        st = lsmt_memtable_iter_seek(it, lob, KEY_LEN);
        while (st == LSMT_OK && n < MAXSEEN) {
            seen s;
            if (!iter_read(t, it, inc, snapshot_kind, snap, &s))
                break;
            if (s.key >= hi) {
                if (bounded)
                    violation(t->name, "V5 iterator passes its upper bound: key %u >= %u", s.key,
                              hi);
                complete = 1;
                break;
            }
            if (s.key < lo)
                violation(t->name, "V5 seek(%u) lands on key %u", lo, s.key);
            if (n > 0 && ent_cmp(buf[n - 1].key, buf[n - 1].seq, s.key, s.seq) >= 0)
                violation(t->name,
                          "V5 iterator not strictly ascending: (%u,%" PRIu64 ") then (%u,%" PRIu64
                          ")",
                          buf[n - 1].key, buf[n - 1].seq, s.key, s.seq);
            if (snapshot_kind && n > 0 && buf[n - 1].key == s.key)
                violation(t->name, "V5 snapshot iterator yields key %u twice", s.key);
            buf[n++] = s;
            t->c.iter_steps++;
            st = lsmt_memtable_iter_next(it);
            maybe_yield(&t->rs);
        }
        if (st == LSMT_END)
            complete = 1;
        else if (st != LSMT_OK)
            violation(t->name, "iterator step returned %s", lsmt_status_str(st));
        /* One step back from where the walk stopped: lands on the last entry seen (on a
         * frozen memtable exactly; on the active one a newer insert may sit between). */
        seen cur, s;
        /* (Not for a snapshot iterator on the active memtable: a tombstone at or below
         * the snapshot may land meanwhile and legitimately hide the last key seen.) */
        if (n >= 1 && (frozen || !snapshot_kind) && lsmt_memtable_iter_valid(it) &&
            iter_read(t, it, inc, snapshot_kind, snap, &cur)) {
            seen a = buf[n - 1];
            st = lsmt_memtable_iter_prev(it);
            if (st != LSMT_OK)
                violation(t->name, "V5 prev after next returned %s", lsmt_status_str(st));
            else if (iter_read(t, it, inc, snapshot_kind, snap, &s)) {
                int below = snapshot_kind ? s.key < a.key : ent_cmp(s.key, s.seq, a.key, a.seq) < 0;
                int above =
                    snapshot_kind ? s.key >= cur.key : ent_cmp(s.key, s.seq, cur.key, cur.seq) >= 0;
                if (below || above || (frozen && (s.key != a.key || s.seq != a.seq)))
                    violation(t->name,
                              "V5 %s prev from (%u,%" PRIu64 ") lands on (%u,%" PRIu64
                              "), expected (%u,%" PRIu64 ")%s",
                              snapshot_kind ? "snapshot" : "internal", cur.key, cur.seq, s.key,
                              s.seq, a.key, a.seq,
                              frozen ? " on a frozen memtable" : " or a newer insert");
            }
        }
    } else {
        st = lsmt_memtable_iter_seek_for_prev(it, hib, KEY_LEN);
        while (st == LSMT_OK && n < MAXSEEN) {
            seen s;
            if (!iter_read(t, it, inc, snapshot_kind, snap, &s))
                break;
            if (s.key >= hi) {
                if (bounded || s.key != hi)
                    violation(t->name, "V5 seek_for_prev(%u) lands on key %u", hi, s.key);
                st = lsmt_memtable_iter_prev(it);
                continue;
            }
            if (s.key < lo) {
                if (bounded)
                    violation(t->name, "V5 iterator passes its lower bound: key %u < %u", s.key,
                              lo);
                complete = 1;
                break;
            }
            if (n > 0 && ent_cmp(buf[n - 1].key, buf[n - 1].seq, s.key, s.seq) <= 0)
                violation(t->name,
                          "V5 iterator not strictly descending: (%u,%" PRIu64 ") then (%u,%" PRIu64
                          ")",
                          buf[n - 1].key, buf[n - 1].seq, s.key, s.seq);
            if (snapshot_kind && n > 0 && buf[n - 1].key == s.key)
                violation(t->name, "V5 snapshot iterator yields key %u twice", s.key);
            buf[n++] = s;
            t->c.iter_steps++;
            st = lsmt_memtable_iter_prev(it);
            maybe_yield(&t->rs);
        }
        if (st == LSMT_END)
            complete = 1;
        else if (st != LSMT_OK)
            violation(t->name, "iterator step returned %s", lsmt_status_str(st));
    }
    lsmt_memtable_iter_destroy(it);

    /* Judge completeness (V5) and existence (V4) under the key mutexes. */
    for (uint32_t k = lo; k < hi && complete; k++) {
        int i = (int)(k - lo);
        khist *h = &g_hist[k];
        pthread_mutex_lock(&h->mu);
        if (unjudged[i] || hist_truncated(h, snap, inc)) {
            /* versions this check needs left the ring meanwhile */
            t->c.unjudged++;
            pthread_mutex_unlock(&h->mu);
            continue;
        }
        int found_any = 0;
        uint64_t vis = 0; /* snapshot kind: the version shown */
        for (size_t j = 0; j < n; j++) {
            if (buf[j].key != k)
                continue;
            found_any = 1;
            vis = buf[j].seq;
            ver *x = hist_find(h, buf[j].seq);
            if (x == NULL || x->state == V_FAILED || x->inc != inc || x->type != buf[j].type)
                violation(t->name,
                          "V4 iterator shows key %u seq %" PRIu64 " type %u, which is %s in "
                          "inc %u",
                          k, buf[j].seq, buf[j].type,
                          x == NULL ? "never written" : state_name[x->state], x ? x->inc : 0);
        }
        if (!snapshot_kind) {
            for (int q = 0; q < nmust[i]; q++) {
                int hit = 0;
                for (size_t j = 0; j < n && !hit; j++)
                    hit = buf[j].key == k && buf[j].seq == must[i][q].seq;
                if (!hit)
                    violation(
                        t->name,
                        "V5 internal iterator (%s, memtable inc %u) misses key %u seq %" PRIu64
                        " committed before it started",
                        backward ? "backward" : "forward", inc, k, must[i][q].seq);
            }
        } else {
            /* newest committed version <= snap at the start */
            const ver *lb = NULL;
            for (int q = 0; q < nmust[i]; q++)
                if (lb == NULL || must[i][q].seq > lb->seq)
                    lb = &must[i][q];
            if (found_any && lb != NULL && vis < lb->seq)
                violation(t->name,
                          "V1/V5 snapshot iterator at %" PRIu64 " shows key %u seq %" PRIu64
                          ", but %" PRIu64 " was committed before it started",
                          snap, k, vis, lb->seq);
            if (!found_any && lb != NULL && lb->type == LSMT_TYPE_PUT) {
                /* hidden only by a newer tombstone (<= snap, same memtable, not failed) */
                int hidden = 0;
                for (size_t j = 0; j < hist_len(h); j++) {
                    ver *x = hist_at(h, j);
                    hidden |= x->type == LSMT_TYPE_DELETE && x->inc == inc &&
                              x->state != V_FAILED && x->seq > lb->seq && x->seq <= snap;
                }
                if (!hidden)
                    violation(t->name,
                              "V5 snapshot iterator at %" PRIu64 " (%s, inc %u) misses key %u "
                              "(put seq %" PRIu64 " committed before it started)",
                              snap, backward ? "backward" : "forward", inc, k, lb->seq);
            }
        }
        pthread_mutex_unlock(&h->mu);
    }
    pthread_rwlock_unlock(&E.lock);
    atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
}

static void *iterator_main(void *arg)
{
    thr *t = arg;
    while (!stopping())
        iterator_op(t);
    return NULL;
}

/* ---- probe: no engine lock; races with freeze and reset_all ------------------------- */
static void *probe_main(void *arg)
{
    thr *t = arg;
    while (!stopping()) {
        int i = (int)rnd(&t->rs, NSLOTS);
        slot *sl = &E.slots[i];
        pthread_mutex_lock(&sl->life_mu);
        lsmt_memtable *mt = sl->mt;
        if (mt == NULL) {
            pthread_mutex_unlock(&sl->life_mu);
            continue;
        }
        char kb[KEY_LEN + 1];
        uint32_t k = (uint32_t)rnd(&t->rs, C.keys);
        key_make(kb, k);
        if (rnd(&t->rs, 2)) {
            /* The view must not be used: a reset may reuse it right after the get. */
            const void *val;
            size_t vlen;
            lsmt_status st =
                lsmt_memtable_get(mt, kb, KEY_LEN, LSMT_MAX_SEQUENCE, &val, &vlen, NULL);
            t->c.probe_gets++;
            if (st != LSMT_OK && st != LSMT_DELETED && st != LSMT_NOT_FOUND)
                violation(t->name, "V8 probe get returned %s", lsmt_status_str(st));
        } else {
            lsmt_memtable_iter *it = NULL;
            lsmt_memtable_iter_options io;
            lsmt_memtable_iter_options_default(&io);
            io.kind = LSMT_ITER_INTERNAL;
            lsmt_status st = lsmt_memtable_iter_create(mt, &io, &it);
            if (st == LSMT_BUSY) {
                t->c.probe_busy++;
            } else if (st != LSMT_OK) {
                violation(t->name, "V8 probe iter_create returned %s", lsmt_status_str(st));
            } else {
                /* An open iterator pins the memory: its entries must stay intact. */
                t->c.probe_iters++;
                seen prev = {0, 0, 0};
                int have = 0;
                st = lsmt_memtable_iter_seek(it, kb, KEY_LEN);
                for (int step = 0; st == LSMT_OK && step < 16; step++) {
                    seen s;
                    if (!iter_read(t, it, 0, 0, 0, &s))
                        break;
                    if (have && ent_cmp(prev.key, prev.seq, s.key, s.seq) >= 0)
                        violation(t->name, "V5 probe iterator not ascending");
                    prev = s;
                    have = 1;
                    st = lsmt_memtable_iter_next(it);
                }
                if (st != LSMT_OK && st != LSMT_END)
                    violation(t->name, "probe iterator step returned %s", lsmt_status_str(st));
                lsmt_memtable_iter_destroy(it);
            }
        }
        pthread_mutex_unlock(&sl->life_mu);
        maybe_yield(&t->rs);
    }
    return NULL;
}

/* ---- rotation -------------------------------------------------------------------------- */
static int ack_cmp(const void *a, const void *b)
{
    const ack *x = a, *y = b;
    return ent_cmp(x->key, x->seq, y->key, y->seq);
}

/* Flush the oldest frozen memtable: check it (V6), retire it from the view, mark its
 * versions FLUSHED, reset_all it (V7) and return it to the free list. */
static void flush_oldest(thr *t)
{
    double t_start = now_s();
    pthread_rwlock_rdlock(&E.lock);
    int i = E.imm[E.nimm - 1];
    uint32_t inc = E.slots[i].inc;
    pthread_rwlock_unlock(&E.lock);
    slot *sl = &E.slots[i];
    lsmt_memtable *mt = sl->mt;
    lsmt_memtable_stats fs;
    if (lsmt_memtable_stats_get(mt, &fs) != LSMT_OK || !fs.frozen)
        violation(t->name, "V8 frozen memtable (slot %d) says it is not frozen", i);

    /* Every writer to this memtable finished before it was replaced as active (writers
     * hold the engine lock shared; the switch took it exclusively), so its ack logs
     * are complete and no longer written. */
    size_t total = 0;
    for (unsigned w = 0; w < MAX_THREADS; w++)
        total += sl->acks[w].n;
    ack *all = malloc((total ? total : 1) * sizeof(ack));
    size_t nall = 0;
    for (unsigned w = 0; w < MAX_THREADS; w++) {
        if (sl->acks[w].n > 0)
            memcpy(all + nall, sl->acks[w].v, sl->acks[w].n * sizeof(ack));
        nall += sl->acks[w].n;
        sl->acks[w].n = 0;
    }
    qsort(all, nall, sizeof(ack), ack_cmp);

    /* V6: the internal iterator yields exactly the acknowledged writes. */
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = LSMT_ITER_INTERNAL;
    lsmt_memtable_iter *it = NULL;
    lsmt_status st = lsmt_memtable_iter_create(mt, &io, &it);
    if (st != LSMT_OK) {
        violation(t->name, "V8 flush iter_create returned %s", lsmt_status_str(st));
    } else {
        size_t j = 0;
        st = lsmt_memtable_iter_seek_to_first(it);
        while (st == LSMT_OK) {
            seen s;
            if (!iter_read(t, it, inc, 0, 0, &s))
                break;
            if (j >= nall) {
                violation(t->name,
                          "V6 flush of inc %u yields key %u seq %" PRIu64
                          " beyond the %zu acknowledged writes",
                          inc, s.key, s.seq, nall);
                break;
            }
            if (s.key != all[j].key || s.seq != all[j].seq || s.type != all[j].type) {
                violation(t->name,
                          "V6 flush of inc %u: entry %zu is (key %u, seq %" PRIu64
                          ", type %u), expected (key %u, seq %" PRIu64 ", type %u)",
                          inc, j, s.key, s.seq, s.type, all[j].key, all[j].seq, all[j].type);
                break;
            }
            j++;
            st = lsmt_memtable_iter_next(it);
        }
        if (st == LSMT_END && j != nall)
            violation(t->name,
                      "V6 flush of inc %u yields %zu entries, %zu writes were acknowledged "
                      "(first missing: key %u seq %" PRIu64 ")",
                      inc, j, nall, all[j].key, all[j].seq);
        else if (st != LSMT_END && st != LSMT_OK)
            violation(t->name, "flush iterator returned %s", lsmt_status_str(st));
        lsmt_memtable_iter_destroy(it);
    }
    /* Point lookups at the exact sequence find exactly that version. */
    for (int q = 0; q < 16 && nall > 0; q++) {
        ack *a = &all[rnd(&t->rs, nall)];
        char kb[KEY_LEN + 1];
        key_make(kb, a->key);
        const void *val = NULL;
        size_t vlen = 0;
        uint64_t so = 0;
        st = lsmt_memtable_get(mt, kb, KEY_LEN, a->seq, &val, &vlen, &so);
        lsmt_status want = a->type == LSMT_TYPE_PUT ? LSMT_OK : LSMT_DELETED;
        if (st != want || so != a->seq)
            violation(t->name,
                      "V1 get(key %u, snapshot %" PRIu64 ") on frozen inc %u: %s seq %" PRIu64,
                      a->key, a->seq, inc, lsmt_status_str(st), so);
    }
    lsmt_memtable_stats ms = {0};
    if (lsmt_memtable_stats_get(mt, &ms) != LSMT_OK || ms.entries != nall)
        violation(t->name, "V6 stats of inc %u: %" PRIu64 " entries, %zu acknowledged", inc,
                  ms.entries, nall);
    if ((st = lsmt_memtable_validate(mt)) != LSMT_OK)
        violation(t->name, "V8 validate of frozen inc %u: %s", inc, lsmt_status_str(st));
    t->c.flushed_entries += nall;
    double t_checked = now_s();

    /* Retire: from now on reads find these versions in the "SST". */
    pthread_rwlock_wrlock(&E.lock);
    E.nimm--;
    sl->state = S_FREE;
    for (size_t j = 0; j < nall; j++) {
        khist *h = &g_hist[all[j].key];
        pthread_mutex_lock(&h->mu);
        ver *x = hist_find(h, all[j].seq);
        if (x != NULL)
            x->state = V_FLUSHED;
        pthread_mutex_unlock(&h->mu);
    }
    pthread_rwlock_unlock(&E.lock);
    free(all);

    /* reset_all: probes may hold iterators (LSMT_BUSY: retry) or run gets (it waits). */
    uint64_t busy = 0;
    while (!(C.sabotage == 3 && t->c.resets % 4 == 1) && /* self-test: skip a reset */
           (st = lsmt_memtable_reset_all(mt)) == LSMT_BUSY) {
        busy++;
        sched_yield();
        if (busy > 100000000) {
            violation(t->name, "reset_all BUSY for ever");
            break;
        }
    }
    t->c.reset_busy += busy;
    if (st != LSMT_OK)
        violation(t->name, "reset_all returned %s", lsmt_status_str(st));
    t->c.resets++;
    /* V7: empty, active, nothing from before is reachable. */
    if (lsmt_memtable_stats_get(mt, &ms) != LSMT_OK || ms.frozen || lsmt_memtable_should_flush(mt))
        violation(t->name, "V7 after reset_all: frozen %d should_flush %d", ms.frozen,
                  lsmt_memtable_should_flush(mt));
    if (ms.entries != 0)
        violation(t->name, "V7 after reset_all: %" PRIu64 " entries", ms.entries);
    for (int q = 0; q < 8; q++) {
        char kb[KEY_LEN + 1];
        key_make(kb, (uint32_t)rnd(&t->rs, C.keys));
        const void *val;
        size_t vlen;
        st = lsmt_memtable_get(mt, kb, KEY_LEN, LSMT_MAX_SEQUENCE, &val, &vlen, NULL);
        if (st != LSMT_NOT_FOUND)
            violation(t->name, "V7 get after reset_all returned %s", lsmt_status_str(st));
    }
    io.kind = LSMT_ITER_INTERNAL;
    if (lsmt_memtable_iter_create(mt, &io, &it) == LSMT_OK) {
        if ((st = lsmt_memtable_iter_seek_to_first(it)) != LSMT_END)
            violation(t->name, "V7 iterator after reset_all: seek_to_first %s",
                      lsmt_status_str(st));
        lsmt_memtable_iter_destroy(it);
    }
    if ((st = lsmt_memtable_validate(mt)) != LSMT_OK)
        violation(t->name, "V8 validate after reset_all: %s", lsmt_status_str(st));
    if (C.verbose)
        printf("flush inc %u: %zu entries, checked in %.1f ms, retired+reset in %.1f ms\n", inc,
               nall, (t_checked - t_start) * 1e3, (now_s() - t_checked) * 1e3);

    /* Sometimes give the memory back instead (destroy: the arena returns to the pool). */
    if (rnd(&t->rs, C.fault_rate > 0 ? 2 : 8) == 0) {
        pthread_mutex_lock(&sl->life_mu);
        lsmt_memtable_destroy(sl->mt);
        sl->mt = NULL;
        pthread_mutex_unlock(&sl->life_mu);
        t->c.destroyed++;
        if (rnd(&t->rs, 4) == 0) {
            size_t rel = 0;
            lsmt_arena_pool_trim(E.pool, LSMT_POOL_DISCARD_PAGES, &rel);
            if (C.fault_rate > 0)
                lsmt_arena_pool_trim(E.pool, LSMT_POOL_DESTROY_IDLE, NULL); /* maps anew */
        }
    }
}

/* Freeze the active memtable and install a fresh one. 0 if no memtable could be made. */
static int rotate(thr *t)
{
    pthread_rwlock_rdlock(&E.lock);
    int nimm = E.nimm;
    pthread_rwlock_unlock(&E.lock);
    if (nimm >= MAX_IMM)
        flush_oldest(t);
    /* only the rotation thread changes slot states: reading them here needs no lock
     * against other writers of them, but readers hold the lock shared, so take it */
    int fresh = -1;
    pthread_rwlock_rdlock(&E.lock);
    for (int i = 0; i < NSLOTS && fresh < 0; i++)
        if (E.slots[i].state == S_FREE || E.slots[i].state == S_EMPTY)
            fresh = i;
    int old = E.active;
    pthread_rwlock_unlock(&E.lock);
    if (fresh < 0) {
        violation(t->name, "internal: no free memtable slot");
        return 0;
    }
    if (E.slots[fresh].mt == NULL) {
        lsmt_status st = slot_create(fresh);
        if (st == LSMT_NOMEM && C.fault_rate > 0) {
            t->c.create_nomem++;
            return 0;
        }
        if (st != LSMT_OK) {
            violation(t->name, "memtable_create returned %s", lsmt_status_str(st));
            return 0;
        }
    }
    lsmt_memtable *omt = E.slots[old].mt;
    /* freeze runs concurrently with the writers: they get LSMT_FROZEN and retry. */
    lsmt_status st = lsmt_memtable_freeze(omt);
    if (st != LSMT_OK)
        violation(t->name, "freeze returned %s", lsmt_status_str(st));
    maybe_yield(&t->rs);
    {
        /* V8: a write to a frozen memtable is refused (the sequence number is burnt) */
        uint64_t s = atomic_fetch_add_explicit(&g_seq_next, 1, memory_order_relaxed);
        uint8_t val[1024];
        char kb[KEY_LEN + 1];
        uint32_t k = (uint32_t)rnd(&t->rs, C.keys);
        key_make(kb, k);
        size_t vl = value_make(val, k, s, 0);
        if ((st = lsmt_memtable_put(omt, s, kb, KEY_LEN, val, vl)) != LSMT_FROZEN)
            violation(t->name, "V8 put on a frozen memtable returned %s", lsmt_status_str(st));
    }
    pthread_rwlock_wrlock(&E.lock);
    E.slots[fresh].inc = ++E.inc_counter;
    E.slots[fresh].state = S_ACTIVE;
    E.active = fresh;
    memmove(&E.imm[1], &E.imm[0], (size_t)E.nimm * sizeof(int));
    E.imm[0] = old;
    E.nimm++;
    E.slots[old].state = S_FROZEN;
    uint32_t now_inc = E.inc_counter;
    pthread_rwlock_unlock(&E.lock);
    pthread_mutex_lock(&E.rot_mu);
    E.installed_inc = now_inc;
    pthread_cond_broadcast(&E.installed_cv);
    pthread_mutex_unlock(&E.rot_mu);
    t->c.rotations++;
    return 1;
}

static void *rotation_main(void *arg)
{
    thr *t = arg;
    double last = now_s();
    while (!stopping()) {
        pthread_mutex_lock(&E.rot_mu);
        if (!E.rot_wanted) {
            /* pacing only: the rotation also runs every rotate_ms */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 2000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&E.rot_cv, &E.rot_mu, &ts);
        }
        int wanted = E.rot_wanted;
        E.rot_wanted = 0;
        pthread_mutex_unlock(&E.rot_mu);
        pthread_rwlock_rdlock(&E.lock);
        lsmt_memtable *a = E.slots[E.active].mt;
        pthread_rwlock_unlock(&E.lock);
        if (wanted || lsmt_memtable_should_flush(a) || (now_s() - last) * 1000 >= C.rotate_ms) {
            if (rotate(t))
                last = now_s();
            /* keep one frozen memtable in the view for the readers, flush the rest */
            pthread_rwlock_rdlock(&E.lock);
            int nimm = E.nimm;
            pthread_rwlock_unlock(&E.lock);
            if (nimm > 1)
                flush_oldest(t);
        }
    }
    return NULL;
}

/* ---- main -------------------------------------------------------------------------- */
static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [options]\n"
            "  --duration S     run S seconds (default 10; 0 = until --ops)\n"
            "  --ops N          stop after N operations (default 0 = until --duration)\n"
            "  --seed N         random seed (default: from the clock; printed)\n"
            "  --writers N --readers N --iterators N --probes N   thread counts (2 1 1 1)\n"
            "  --keys N         key space (default 4096)\n"
            "  --buffer BYTES   write_buffer_size of each memtable (default 256 KiB)\n"
            "  --value-max N    longest value (default 200, >= %d, <= 1024)\n"
            "  --seq-base N     first sequence number (default 1; try 72057594037927935 - 2^40)\n"
            "  --rotate-ms MS   rotate at least this often (default 20)\n"
            "  --yield          yield injection: sched_yield inside the tool's race windows\n"
            "                   (and between position search and CAS inside the skip list\n"
            "                   when built with -DLSMT_YIELD_INJECTION)\n"
#ifdef LSMT_FAULT_INJECTION
            "  --fault-rate P   probability that a map/discard of the page layer, or a carve of\n"
            "                   the concurrent arena, fails (0.2)\n"
#endif
            "  --sabotage N     self-test of the checks: 1 claim a lost write, 2 write a stale\n"
            "                   value, 3 skip a reset_all; the run must then report violations\n"
            "  --verbose\n"
            "exit status: 0 clean, 1 invariant violation, 2 usage or setup error\n",
            argv0, VAL_MIN);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"duration", 1, 0, 'd'},  {"ops", 1, 0, 'o'},        {"seed", 1, 0, 's'},
        {"writers", 1, 0, 'w'},   {"readers", 1, 0, 'r'},    {"iterators", 1, 0, 'i'},
        {"probes", 1, 0, 'p'},    {"keys", 1, 0, 'k'},       {"buffer", 1, 0, 'b'},
        {"value-max", 1, 0, 'v'}, {"seq-base", 1, 0, 'q'},   {"rotate-ms", 1, 0, 'R'},
        {"yield", 0, 0, 'y'},     {"fault-rate", 1, 0, 'f'}, {"verbose", 0, 0, 'V'},
        {"help", 0, 0, 'h'},      {"sabotage", 1, 0, 'S'},   {0, 0, 0, 0}};
    int seed_given = 0;
#ifdef LSMT_FAULT_INJECTION
    C.fault_rate = 0.2;
#endif
    for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
        switch (c) {
        case 'd':
            C.duration = atof(optarg);
            break;
        case 'o':
            C.ops = strtoull(optarg, NULL, 0);
            break;
        case 's':
            C.seed = strtoull(optarg, NULL, 0);
            seed_given = 1;
            break;
        case 'w':
            C.writers = (unsigned)atoi(optarg);
            break;
        case 'r':
            C.readers = (unsigned)atoi(optarg);
            break;
        case 'i':
            C.iterators = (unsigned)atoi(optarg);
            break;
        case 'p':
            C.probes = (unsigned)atoi(optarg);
            break;
        case 'k':
            C.keys = (unsigned)atoi(optarg);
            break;
        case 'b':
            C.buffer = strtoull(optarg, NULL, 0);
            break;
        case 'v':
            C.value_max = strtoull(optarg, NULL, 0);
            break;
        case 'q':
            C.seq_base = strtoull(optarg, NULL, 0);
            break;
        case 'R':
            C.rotate_ms = atof(optarg);
            break;
        case 'y':
            C.yield = 1;
            break;
        case 'f':
#ifdef LSMT_FAULT_INJECTION
            C.fault_rate = atof(optarg);
            break;
#else
            fprintf(stderr, "--fault-rate needs a build with -DLSMT_FAULT_INJECTION=ON\n");
            return 2;
#endif
        case 'V':
            C.verbose = 1;
            break;
        case 'S':
            C.sabotage = atoi(optarg);
            break;
        default:
            usage(argv[0]);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!seed_given)
        C.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (C.writers < 1 || C.writers > MAX_THREADS || C.readers > MAX_THREADS ||
        C.iterators > MAX_THREADS || C.probes > MAX_THREADS || C.keys < 2 || C.keys > 9999999 ||
        C.value_max < VAL_MIN || C.value_max > 1024 || C.seq_base < 1 ||
        C.seq_base > LSMT_MAX_SEQUENCE - ((uint64_t)1 << 40) || (C.duration <= 0 && C.ops == 0) ||
        C.buffer < 4096) {
        usage(argv[0]);
        return 2;
    }
    printf("memtable-stress: seed %" PRIu64 "\n", C.seed);
    printf("  writers %u readers %u iterators %u probes %u, keys %u, buffer %zu bytes, "
           "values %d..%zu bytes\n",
           C.writers, C.readers, C.iterators, C.probes, C.keys, C.buffer, VAL_MIN, C.value_max);
    printf("  duration %.1f s, ops %" PRIu64 ", seq base %" PRIu64
           ", rotate every %.0f ms, yield injection %s, fault rate %.3f\n",
           C.duration, C.ops, C.seq_base, C.rotate_ms, C.yield ? "on" : "off", C.fault_rate);
    printf("  repeat: %s --seed %" PRIu64 " --duration %g --ops %" PRIu64
           " --writers %u --readers %u --iterators %u --probes %u --keys %u --buffer %zu"
           " --value-max %zu --seq-base %" PRIu64 " --rotate-ms %g%s",
           argv[0], C.seed, C.duration, C.ops, C.writers, C.readers, C.iterators, C.probes, C.keys,
           C.buffer, C.value_max, C.seq_base, C.rotate_ms, C.yield ? " --yield" : "");
#ifdef LSMT_FAULT_INJECTION
    printf(" --fault-rate %g", C.fault_rate);
#endif
    if (C.sabotage)
        printf(" --sabotage %d", C.sabotage);
    printf("\n");
    fflush(stdout);

#ifdef LSMT_YIELD_INJECTION
    if (C.yield)
        lsmt_skiplist_test_yield_hook = yield_hook;
#endif
    atomic_store_explicit(&g_seq_next, C.seq_base, memory_order_relaxed);
    g_fault_rs = C.seed ^ 0xfa017ull;
    g_hist = calloc(C.keys, sizeof(khist));
    for (unsigned k = 0; k < C.keys; k++)
        pthread_mutex_init(&g_hist[k].mu, NULL);

    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&E.lock, &ra);
    pthread_mutex_init(&E.rot_mu, NULL);
    pthread_cond_init(&E.rot_cv, NULL);
    pthread_cond_init(&E.installed_cv, NULL);
    for (int i = 0; i < NSLOTS; i++)
        pthread_mutex_init(&E.slots[i].life_mu, NULL);

    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.chunk_size = 64 << 10;
    po.arena.capacity = C.buffer * 2 + 4 * po.arena.chunk_size;
    po.max_idle = 2;
    g_faulty = *lsmt_backing_os();
    g_faulty.ctx = (void *)lsmt_backing_os();
    g_faulty.map = fb_map;
    g_faulty.unmap = fb_unmap;
    g_faulty.discard = fb_discard;
    g_faulty.hugepage = fb_hugepage;
    if (C.fault_rate > 0)
        po.arena.backing = &g_faulty;
#ifdef LSMT_FAULT_INJECTION
    if (C.fault_rate > 0)
        lsmt_sharded_arena_test_fault_hook = carve_fault;
#endif
    lsmt_status st = lsmt_arena_pool_create(&po, &E.pool);
    if (st != LSMT_OK) {
        fprintf(stderr, "arena_pool_create: %s\n", lsmt_status_str(st));
        return 2;
    }
    /* the first active memtable (retry injected faults) */
    for (int tries = 0; (st = slot_create(0)) == LSMT_NOMEM && C.fault_rate > 0 && tries < 1000;
         tries++) {
    }
    if (st != LSMT_OK) {
        fprintf(stderr, "memtable_create: %s\n", lsmt_status_str(st));
        return 2;
    }
    E.active = 0;
    E.slots[0].state = S_ACTIVE;
    E.slots[0].inc = ++E.inc_counter;
    E.installed_inc = E.inc_counter;
    for (int i = 1; i < NSLOTS; i++)
        E.slots[i].state = S_EMPTY;

    unsigned nthr = C.writers + C.readers + C.iterators + C.probes + 1;
    thr *th = calloc(nthr, sizeof(thr));
    void *(*fn[5])(void *) = {writer_main, reader_main, iterator_main, probe_main, rotation_main};
    const char *names[5] = {"writer", "reader", "iterator", "probe", "rotation"};
    unsigned counts[5] = {C.writers, C.readers, C.iterators, C.probes, 1};
    uint64_t ss = C.seed;
    double t0 = now_s();
    for (unsigned kind = 0, n = 0; kind < 5; kind++) {
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
    /* The run's length: --duration and/or --ops, whichever comes first. */
    while (!stopping()) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (C.duration > 0 && now_s() - t0 >= C.duration)
            break;
        if (C.ops > 0 && atomic_load_explicit(&g_ops, memory_order_relaxed) >= C.ops)
            break;
    }
    atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
    for (unsigned n = 0; n < nthr; n++)
        pthread_join(th[n].th, NULL);
    double elapsed = now_s() - t0;

    /* Final flush of everything: every acknowledged write is checked once more (V6). */
    thr *rot = &th[nthr - 1];
    if (atomic_load_explicit(&g_violations, memory_order_relaxed) == 0) {
        while (E.nimm > 0)
            flush_oldest(rot);
        /* freeze the active memtable and flush it too */
        lsmt_memtable_freeze(E.slots[E.active].mt);
        E.imm[E.nimm++] = E.active;
        E.slots[E.active].state = S_FROZEN;
        flush_oldest(rot);
    }

    counters s = {0};
    for (unsigned n = 0; n < nthr; n++) {
        uint64_t *a = (uint64_t *)&s, *b = (uint64_t *)&th[n].c;
        for (size_t f = 0; f < sizeof(counters) / sizeof(uint64_t); f++)
            a[f] += b[f];
    }
    uint64_t ops = s.puts + s.deletes + s.batches + s.gets + s.multigets + s.iters + s.probe_gets +
                   s.probe_iters;
#ifdef LSMT_FAULT_INJECTION
    /* A fault run that injected nothing proved nothing: fail it. */
    if (C.fault_rate > 0 && (atomic_load_explicit(&g_faults, memory_order_relaxed) == 0 ||
                             atomic_load_explicit(&g_carve_faults, memory_order_relaxed) == 0))
        violation("main",
                  "--fault-rate %g injected %" PRIu64 " faults (%" PRIu64
                  " carves): nothing was tested",
                  C.fault_rate, atomic_load_explicit(&g_faults, memory_order_relaxed),
                  atomic_load_explicit(&g_carve_faults, memory_order_relaxed));
#endif
    int viol = atomic_load_explicit(&g_violations, memory_order_relaxed);
    printf("summary: %.1f s, %" PRIu64 " ops (%.0f/s)\n", elapsed, ops, (double)ops / elapsed);
    printf("  writes: %" PRIu64 " puts, %" PRIu64 " deletes, %" PRIu64 " batches (%" PRIu64
           " records); refused: %" PRIu64 " full, %" PRIu64 " frozen, %" PRIu64 " nomem\n",
           s.puts, s.deletes, s.batches, s.batch_records, s.write_full, s.write_frozen,
           s.write_nomem);
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
           atomic_load_explicit(&g_faults, memory_order_relaxed),
#ifdef LSMT_FAULT_INJECTION
           atomic_load_explicit(&g_carve_faults, memory_order_relaxed));
#else
           (uint64_t)0);
#endif
    printf("  violations: %d\n", viol);
    printf("%s\n", viol ? "FAILED" : "PASSED");

    for (int i = 0; i < NSLOTS; i++) {
        lsmt_memtable_destroy(E.slots[i].mt);
        for (int w = 0; w < MAX_THREADS; w++)
            free(E.slots[i].acks[w].v);
    }
    lsmt_arena_pool_destroy(E.pool);
    for (unsigned k = 0; k < C.keys; k++)
        pthread_mutex_destroy(&g_hist[k].mu);
    free(g_hist);
    free(th);
    return viol ? 1 : 0;
}
