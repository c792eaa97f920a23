/* engine_loop: how a storage engine embeds lsmt_memtable.
 *
 * Two memtables are checked out of one arena pool and recycled forever:
 *   writers   put into the ACTIVE memtable; LSMT_FROZEN / LSMT_BUSY mean "it was just
 *             rotated: reload the active pointer and retry"; LSMT_FULL means "wait for the
 *             flush". After a successful put a writer asks for a flush when should_flush.
 *   flusher   rotates (the spare becomes active), freezes the old one (writes in flight
 *             finish first), writes it through the internal iterator into a sorted file,
 *             reads the file back and verifies it, publishes it as an SST, then reset_all
 *             (memory reused in place, pages stay faulted): the old memtable is the spare.
 *   readers   keep reading all along: both memtables and the SSTs, keeping the newest
 *             version (highest sequence) they find.
 * At the end every key's newest version must be the last one its writer wrote.
 * Kept under 300 lines; error handling is minimal where a real engine would report.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsmt/memtable.h"

#define WRITERS 2
#define READERS 1
#define KEYS    5000u
#if defined(LSMT_TSAN) /* sanitizer builds run the same loop, smaller */
#define PUTS_PER_WRITER 30000u
#define MEMTABLE_MIB    1u
#else
#define PUTS_PER_WRITER 120000u
#define MEMTABLE_MIB    4u
#endif
#define KLEN 12
#define VLEN 48

typedef struct rec { /* one record of a flushed file (and of an in-memory SST) */
    char key[KLEN];
    uint64_t seq;
    uint8_t type;
    char val[VLEN];
} rec;

typedef struct sst {
    rec *r;
    size_t n;
} sst;

static lsmt_memtable *mts[2];
static _Atomic(lsmt_memtable *) active;
static _Atomic uint64_t next_seq = 1;
static _Atomic int writers_done, flushes, bad;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* guards ssts; flush requests */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sst ssts[4096];
static size_t nssts;
static uint64_t last_seq[KEYS]; /* per key, the last seq written (its writer owns it) */

#define CHECK(c)                                                                        \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "engine_loop: check failed: %s (line %d)\n", #c, __LINE__); \
            atomic_store(&bad, 1);                                                      \
        }                                                                               \
    } while (0)

static void key_of(char *k, unsigned i)
{
    snprintf(k, KLEN + 1, "user%08u", i);
}

static void *writer(void *arg)
{
    unsigned w = (unsigned)(uintptr_t)arg;
    uint64_t x = 88172645463325252ull + w;
    char key[KLEN + 1], val[VLEN];
    for (unsigned n = 0; n < PUTS_PER_WRITER; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned k = (unsigned)(x % (KEYS / WRITERS)) * WRITERS + w; /* keys owned by w */
        key_of(key, k);
        uint64_t seq = atomic_fetch_add(&next_seq, 1);
        memset(val, 'a' + (int)(seq % 26), VLEN);
        memcpy(val, &seq, sizeof seq);
        for (;;) {
            lsmt_memtable *mt = atomic_load(&active);
            lsmt_status st = lsmt_memtable_put(mt, seq, key, KLEN, val, VLEN);
            if (st == LSMT_OK) {
                if (lsmt_memtable_should_flush(mt))
                    pthread_cond_signal(&cv);
                break;
            }
            if (st == LSMT_FULL) /* the flush is behind: let it run */
                pthread_cond_signal(&cv), sched_yield();
            else
                CHECK(st == LSMT_FROZEN || st == LSMT_BUSY); /* rotated: retry */
        }
        last_seq[k] = seq;
    }
    atomic_fetch_add(&writers_done, 1);
    pthread_cond_signal(&cv);
    return NULL;
}

static int rec_cmp(const rec *a, const rec *b) /* (key asc, seq desc) */
{
    int c = memcmp(a->key, b->key, KLEN);
    return c ? c : (a->seq > b->seq ? -1 : a->seq < b->seq);
}

/* Flush `mt` (frozen) into a file, read it back, verify it, return it as an SST. */
static sst flush_to_file(lsmt_memtable *mt)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    io.kind = LSMT_ITER_INTERNAL; /* every version, tombstones included */
    lsmt_memtable_iter *it;
    CHECK(lsmt_memtable_iter_create(mt, &io, &it) == LSMT_OK);
    size_t n = 0;
    for (lsmt_status st = lsmt_memtable_iter_seek_to_first(it); st == LSMT_OK;
         st = lsmt_memtable_iter_next(it), n++) {
        rec r;
        const void *k, *v;
        size_t kl, vl;
        lsmt_entry_type t;
        lsmt_memtable_iter_entry(it, &k, &kl, &r.seq, &t, &v, &vl);
        CHECK(kl == KLEN && (t != LSMT_TYPE_PUT || vl == VLEN));
        memcpy(r.key, k, KLEN);
        r.type = (uint8_t)t;
        memset(r.val, 0, VLEN);
        if (t == LSMT_TYPE_PUT)
            memcpy(r.val, v, VLEN);
        fwrite(&r, sizeof r, 1, f);
    }
    lsmt_memtable_iter_destroy(it); /* before reset_all: an open iterator makes it BUSY */
    lsmt_memtable_stats s;
    lsmt_memtable_stats_get(mt, &s);
    CHECK(n == s.entries); /* frozen: nothing can land after the flush started */
    /* Read the file back and verify: complete, sorted, values name their sequence. */
    sst out = {malloc(n * sizeof(rec) + 1), n};
    rewind(f);
    CHECK(fread(out.r, sizeof(rec), n, f) == n);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        uint64_t vs;
        memcpy(&vs, out.r[i].val, sizeof vs);
        CHECK(out.r[i].type != LSMT_TYPE_PUT || vs == out.r[i].seq);
        CHECK(i == 0 || rec_cmp(&out.r[i - 1], &out.r[i]) < 0);
    }
    return out;
}

static void *flusher(void *arg)
{
    (void)arg;
    int cur = 0;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (!lsmt_memtable_should_flush(mts[cur]) && atomic_load(&writers_done) < WRITERS)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        if (!lsmt_memtable_should_flush(mts[cur]))
            return NULL; /* writers finished: the rest stays in memory */
        lsmt_memtable *old = mts[cur];
        cur ^= 1;
        atomic_store(&active, mts[cur]); /* rotate: writers move to the spare */
        lsmt_memtable_freeze(old);       /* returns once writes in flight finished */
        sst t = flush_to_file(old);
        pthread_mutex_lock(&mu);
        ssts[nssts++] = t; /* published before the memtable forgets the data */
        pthread_mutex_unlock(&mu);
        lsmt_status st;
        while ((st = lsmt_memtable_reset_all(old)) == LSMT_BUSY)
            sched_yield();
        CHECK(st == LSMT_OK);
        atomic_fetch_add(&flushes, 1);
    }
}

/* The newest version of key k across both memtables and every SST. */
static uint64_t lookup(const char *key, int *type)
{
    uint64_t best = 0;
    *type = -1;
    for (int m = 0; m < 2; m++) {
        const void *v;
        size_t vl;
        uint64_t seq;
        lsmt_status st = lsmt_memtable_get(mts[m], key, KLEN, LSMT_MAX_SEQUENCE, &v, &vl, &seq);
        if ((st == LSMT_OK || st == LSMT_DELETED) && seq > best)
            best = seq, *type = st == LSMT_OK;
    }
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nssts; i++) {
        size_t lo = 0, hi = ssts[i].n; /* first record with this key = its newest */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (memcmp(ssts[i].r[mid].key, key, KLEN) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < ssts[i].n && !memcmp(ssts[i].r[lo].key, key, KLEN) && ssts[i].r[lo].seq > best)
            best = ssts[i].r[lo].seq, *type = ssts[i].r[lo].type == LSMT_TYPE_PUT;
    }
    pthread_mutex_unlock(&mu);
    return best;
}

static void *reader(void *arg)
{
    (void)arg;
    char key[KLEN + 1];
    unsigned long found = 0;
    for (unsigned i = 0; atomic_load(&writers_done) < WRITERS; i++) {
        key_of(key, (i * 2654435761u) % KEYS);
        int type;
        found += lookup(key, &type) != 0;
    }
    printf("reader: %lu lookups found a version\n", found);
    return NULL;
}

int main(void)
{
    lsmt_arena_pool_options po;
    lsmt_arena_pool_options_default(&po);
    po.arena.capacity = MEMTABLE_MIB << 20; /* the hard limit of each memtable */
    /* huge pages by the rule a memtable applies to the arenas it creates itself */
    po.arena.huge_pages = po.arena.capacity >= LSMT_MEMTABLE_HUGE_PAGES_MIN;
    po.max_idle = 2;
    lsmt_arena_pool *pool;
    if (lsmt_arena_pool_create(&po, &pool) != LSMT_OK)
        return 1;
    lsmt_memtable_options mo;
    lsmt_memtable_options_default(&mo);
    mo.pool = pool;
    mo.write_buffer_size = (MEMTABLE_MIB << 20) / 4 * 3; /* should_flush at 3/4 of it */
    mo.bloom_bits_per_key = 10; /* readers look up keys: filter them (off by default) */
    mo.bloom_expected_keys = mo.write_buffer_size / (KLEN + VLEN + 24); /* entries it holds */
    for (int i = 0; i < 2; i++)
        if (lsmt_memtable_create(&mo, &mts[i]) != LSMT_OK)
            return 1;
    atomic_store(&active, mts[0]);
    pthread_t w[WRITERS], r[READERS], fl;
    pthread_create(&fl, NULL, flusher, NULL);
    for (uintptr_t i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)i);
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(fl, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    /* Every key's newest version is the last put its writer made. */
    char key[KLEN + 1];
    for (unsigned k = 0; k < KEYS; k++) {
        key_of(key, k);
        int type;
        uint64_t got = lookup(key, &type);
        CHECK(got == last_seq[k] && (got == 0 || type == 1));
    }
    lsmt_memtable_stats s;
    lsmt_memtable_stats_get(mts[0], &s);
    printf("engine_loop: %u puts, %d flushes into %zu verified files, %llu resets of "
           "memtable 0, %s\n",
           WRITERS * PUTS_PER_WRITER, atomic_load(&flushes), nssts, (unsigned long long)s.resets,
           atomic_load(&bad) ? "FAILED" : "all checks passed");
    for (int i = 0; i < 2; i++)
        lsmt_memtable_destroy(mts[i]); /* arenas go back to the pool */
    for (size_t i = 0; i < nssts; i++)
        free(ssts[i].r);
    lsmt_arena_pool_destroy(pool);
    return atomic_load(&bad) || atomic_load(&flushes) < 2 ? 1 : 0;
}
