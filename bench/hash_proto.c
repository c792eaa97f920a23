/* hash-index-proto: the two candidate tables of issue 17, alone (no memtable), on the
 * same keys and "nodes", to pick one: liburcu's cds_lfht (resizing, a node per entry)
 * against an open-addressing table of 8-byte slots sized up front (the design of
 * memtable/hash_index.c: fingerprint | 32-bit node index, linear probing, CAS claim).
 *
 * N random 16-byte keys; each key's "node" is a 144-byte record (key, 100-byte value,
 * header) in one array, as the memtable's arena holds them, so both tables pay the node
 * miss of their key comparison. cds_lfht gets its best case: its cds_lfht_node is
 * embedded in the record (no malloc per entry), and the bucket table is either sized up
 * front or grown by auto-resize from 1024 buckets. One thread: ns per insert (every key
 * once, random order) and per lookup (random present keys), median of --rounds; the
 * index's own bytes per entry.
 *   hash-index-proto [N (1000000)] [rounds (3)]
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>
#include <xxhash.h>

typedef struct rec {
    struct cds_lfht_node lf; /* used by the cds_lfht candidate only */
    uint8_t key[16];
    uint64_t seq;
    uint8_t value[104];
} rec;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static uint64_t sm(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- open addressing (as memtable/hash_index.c) ---- */
/* Slots a key may occupy (memtable/hash_index.h LSMT_HI_MAX_PROBE). */
#ifndef WINDOW
#define WINDOW 256u
#endif
typedef struct oa {
    _Atomic uint64_t *slots;
    uint32_t n;
    size_t bytes;
} oa;
static void oa_init(oa *t, size_t keys)
{
    t->n = (uint32_t)(keys + keys / 2);
    t->bytes = t->n * sizeof(uint64_t);
    t->slots = mmap(NULL, t->bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}
static void oa_learn(oa *t, rec *recs, uint32_t idx)
{
    uint64_t h = XXH3_64bits(recs[idx].key, 16);
    uint32_t fp = (uint32_t)(h >> 32), i = (uint32_t)(((uint64_t)(uint32_t)h * t->n) >> 32);
    uint64_t mine = (uint64_t)fp << 32 | (idx + 1u);
    for (unsigned p = 0; p < WINDOW; p++, i = i + 1 == t->n ? 0 : i + 1) {
        uint64_t w = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        for (;;) {
            if (w != 0) {
                rec *o = &recs[(uint32_t)w - 1];
                if ((uint32_t)(w >> 32) != fp || memcmp(o->key, recs[idx].key, 16) != 0)
                    break;
                if (o->seq >= recs[idx].seq)
                    return;
            }
            if (atomic_compare_exchange_weak_explicit(&t->slots[i], &w, mine, memory_order_release,
                                                      memory_order_acquire))
                return;
        }
    }
}
static rec *oa_find(const oa *t, rec *recs, const uint8_t *key)
{
    uint64_t h = XXH3_64bits(key, 16);
    uint32_t fp = (uint32_t)(h >> 32), i = (uint32_t)(((uint64_t)(uint32_t)h * t->n) >> 32);
    for (unsigned p = 0; p < WINDOW; p++, i = i + 1 == t->n ? 0 : i + 1) {
        uint64_t w = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (w == 0)
            return NULL;
        if ((uint32_t)(w >> 32) == fp && memcmp(recs[(uint32_t)w - 1].key, key, 16) == 0)
            return &recs[(uint32_t)w - 1];
    }
    return NULL;
}

/* ---- cds_lfht ---- */
static int lf_match(struct cds_lfht_node *node, const void *key)
{
    return memcmp(caa_container_of(node, rec, lf)->key, key, 16) == 0;
}
static void lf_learn(struct cds_lfht *ht, rec *r)
{
    /* add_replace: one node per key, the newest (the memtable would compare seqs) */
    cds_lfht_add_replace(ht, XXH3_64bits(r->key, 16), lf_match, r->key, &r->lf);
}
static rec *lf_find(struct cds_lfht *ht, const uint8_t *key)
{
    struct cds_lfht_iter it;
    cds_lfht_lookup(ht, XXH3_64bits(key, 16), lf_match, key, &it);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
    return n ? caa_container_of(n, rec, lf) : NULL;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
    unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
    rec *recs = calloc(n, sizeof *recs);
    uint32_t *order = malloc(n * sizeof *order), *probe = malloc(n * sizeof *probe);
    if (!recs || !order || !probe)
        return 1;
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = sm(&s), b = sm(&s);
        memcpy(recs[i].key, &a, 8);
        memcpy(recs[i].key + 8, &b, 8);
        recs[i].seq = i + 1;
        order[i] = (uint32_t)i;
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = sm(&s) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        probe[i] = (uint32_t)(sm(&s) % n);
    urcu_memb_register_thread();
    const char *names[3] = {"open-addressing (8 B slots, 1.5/key)", "cds_lfht presized",
                            "cds_lfht auto-resize from 1024"};
    double ins[3][16], get[3][16], bytes[3] = {0};
    if (rounds > 16)
        rounds = 16;
    for (unsigned r = 0; r < rounds; r++) {
        for (int c = 0; c < 3; c++) { /* candidates interleaved within each round */
            oa t = {0};
            struct cds_lfht *ht = NULL;
            unsigned long pres = 1;
            while (pres < n)
                pres <<= 1;
            if (c == 0)
                oa_init(&t, n);
            else if (c == 1)
                ht = cds_lfht_new_flavor(pres, pres, pres, 0, &urcu_memb_flavor, NULL);
            else
                ht = cds_lfht_new_flavor(1024, 1024, pres * 2, CDS_LFHT_AUTO_RESIZE,
                                         &urcu_memb_flavor, NULL);
            double t0 = now_ns();
            urcu_memb_read_lock();
            for (size_t i = 0; i < n; i++) {
                if (c == 0)
                    oa_learn(&t, recs, order[i]);
                else
                    lf_learn(ht, &recs[order[i]]);
            }
            urcu_memb_read_unlock();
            double t1 = now_ns();
            uint64_t found = 0;
            urcu_memb_read_lock();
            for (size_t i = 0; i < n; i++) {
                rec *x = c == 0 ? oa_find(&t, recs, recs[probe[i]].key)
                                : lf_find(ht, recs[probe[i]].key);
                found += x != NULL;
            }
            urcu_memb_read_unlock();
            double t2 = now_ns();
            if (found != n) {
                fprintf(stderr, "%s: found %llu of %zu\n", names[c], (unsigned long long)found, n);
                return 1;
            }
            ins[c][r] = (t1 - t0) / (double)n;
            get[c][r] = (t2 - t1) / (double)n;
            if (c == 0) {
                bytes[0] = (double)t.bytes / (double)n;
                munmap((void *)t.slots, t.bytes);
            } else {
                /* a node (embedded, 16 B) + its bucket: cds_lfht's bucket nodes are
                 * cds_lfht_node too, one per bucket (>= keys / 1 at the default load) */
                bytes[c] = 16.0 + 16.0 * (double)pres / (double)n;
                /* tear down: remove every node, then destroy (in a read section for
                 * the removals; no reclaim needed, the records are ours) */
                struct cds_lfht_iter it;
                struct cds_lfht_node *nd;
                urcu_memb_read_lock();
                cds_lfht_for_each(ht, &it, nd) cds_lfht_del(ht, nd);
                urcu_memb_read_unlock();
                urcu_memb_synchronize_rcu();
                cds_lfht_destroy(ht, NULL);
                for (size_t i = 0; i < n; i++)
                    memset(&recs[i].lf, 0, sizeof recs[i].lf);
            }
        }
    }
    printf("hash-index-proto: N %zu random 16-byte keys, 144-byte records, 1 thread, median of "
           "%u rounds\n",
           n, rounds);
    printf("| candidate | insert ns/key | lookup ns/key | index B/entry |\n|---|---:|---:|---:|\n");
    for (int c = 0; c < 3; c++) {
        qsort(ins[c], rounds, sizeof(double), cmp_double);
        qsort(get[c], rounds, sizeof(double), cmp_double);
        printf("| %s | %.1f | %.1f | %.1f |\n", names[c], ins[c][rounds / 2], get[c][rounds / 2],
               bytes[c]);
    }
    urcu_memb_unregister_thread();
    return 0;
}
