/* memtable-bench W9: reads over range tombstones (issue 15), and the cost of writing them.
 *
 * Four memtables are filled alike with W1's N records (key_S(i), seq i + 1, one thread);
 * memtable c then gets C_c range tombstones, C = 0, 10, 100, 10000 (at most N), each
 * covering exactly one record: [key_S(j), key_S(j) + "\0") for j spread evenly over
 * [0, N), at sequence numbers above every put, so those records read as deleted. Then
 * --rounds rounds, each running on every memtable, in an order rotated per round
 * (interleaved, so a noisy neighbour hits every C alike):
 *   - gets: N lookups of key_S(probe(t)) at the latest snapshot, one thread (W3's phase);
 *     checked: every answer is OK or DELETED, DELETED only where C > 0;
 *   - scan: a SNAPSHOT iterator over the whole memtable (covered keys skipped), ns per
 *     key returned; checked: N - C keys.
 * Rows: W9-get-rtC (Mops/s) and W9-get-rtC-vs-rt0 (the median over rounds of the
 * same-round ratio), W9-scan-rtC (ns/entry), W9-delete-range (ns per delete_range
 * call, the 10000 of the last memtable) and W9-view-build (ms: the first get after
 * them, which builds the fragmented view). Last, on that memtable, reads and range
 * deletes interleave: 1,000 cycles of one more delete_range (over a record not yet
 * covered) and 100 gets; rows W9-mixed-get (Mops/s over the gets) and
 * W9-mixed-delete-range (ns per call): who pays for keeping the view current.
 * rt0 runs W3's code path exactly (no tombstone: the count and the range-delete
 * generation, three loads of the state word's line per get), so comparing it with
 * another build's W3 measures them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "bench/micro.h"
#include "bench/phase.h"
#include "bench/report.h"
#include "lsmt/range_del.h"

#define W9_TABLES 4
static const uint64_t w9_counts[W9_TABLES] = {0, 10, 100, 10000};

static int w9_fail(const char *what, lsmt_status s)
{
    fprintf(stderr, "memtable-bench: W9 %s: %s\n", what, lsmt_status_str(s));
    return 1;
}

/* N gets at the latest snapshot; Mops/s or -1. */
static double w9_gets(const bench_config *cfg, lsmt_memtable *mt, uint64_t c)
{
    const uint64_t N = cfg->records;
    unsigned char key[BENCH_KEY_MAX];
    uint64_t found = 0, deleted = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t t = 0; t < N; t++) {
        size_t kl = bench_key(&cfg->keys, bench_probe(t, N), key);
        const void *v = NULL;
        size_t vl = 0;
        lsmt_status s = table_get(mt, key, kl, &v, &vl, NULL);
        if (s == LSMT_OK) {
            found++;
            sum += vl ? ((const unsigned char *)v)[0] : 0;
        } else if (s == LSMT_DELETED) {
            deleted++;
        }
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    bench_sink_add(sum);
    if (found + deleted != N || (c == 0 && deleted != 0)) {
        fprintf(stderr,
                "memtable-bench: W9 gets (%llu tombstones): %llu found, %llu deleted of %llu\n",
                (unsigned long long)c, (unsigned long long)found, (unsigned long long)deleted,
                (unsigned long long)N);
        return -1;
    }
    return (double)N / secs / 1e6;
}

/* A full SNAPSHOT scan; ns per key returned, or -1. */
static double w9_scan(lsmt_memtable *mt, uint64_t n, uint64_t c)
{
    uint64_t cnt = 0, sum = 0, t0 = bench_now_ns();
    lsmt_status s = table_scan(mt, NULL, 0, UINT64_MAX, false, &cnt, &sum);
    double ns = (double)(bench_now_ns() - t0);
    bench_sink_add(sum);
    if (s != LSMT_OK || cnt != n - c) {
        fprintf(stderr,
                "memtable-bench: W9 scan (%llu tombstones): %llu keys, expected %llu (%s)\n",
                (unsigned long long)c, (unsigned long long)cnt, (unsigned long long)(n - c),
                lsmt_status_str(s));
        return -1;
    }
    return ns / (double)cnt;
}

/* c tombstones over single records, spread evenly; ns per call into *ns. */
static lsmt_status w9_tombstones(const bench_config *cfg, lsmt_memtable *mt, uint64_t c, double *ns)
{
    const uint64_t N = cfg->records;
    unsigned char b[BENCH_KEY_MAX + 1], e[BENCH_KEY_MAX + 1];
    uint64_t t0 = bench_now_ns();
    for (uint64_t t = 0; t < c; t++) {
        uint64_t j = t * (N / c);
        size_t kl = bench_key(&cfg->keys, j, b);
        memcpy(e, b, kl);
        e[kl] = 0; /* key_S(j) + "\0": the next key after key_S(j), bytewise */
        lsmt_status s = lsmt_memtable_delete_range(mt, N + 1 + t, b, kl, e, kl + 1);
        if (s != LSMT_OK)
            return s;
    }
    *ns = c ? (double)(bench_now_ns() - t0) / (double)c : 0;
    return LSMT_OK;
}

/* The interleaved phase on memtable mt, which holds c tombstones over records j * (N / c):
 * cycles of one delete_range over record j * (N / c) + 1 + (cycle / c) and 100 gets.
 * 0 or 1 (failure); *get_mops and *dr_ns. */
#define W9_MIX_CYCLES 1000
#define W9_MIX_GETS   100
static int w9_mixed(const bench_config *cfg, lsmt_memtable *mt, uint64_t c, double *get_mops,
                    double *dr_ns)
{
    const uint64_t N = cfg->records, stride = c ? N / c : 0;
    if (c == 0 || stride < 2) {
        *get_mops = *dr_ns = 0;
        return 0;
    }
    unsigned char b[BENCH_KEY_MAX + 1], e[BENCH_KEY_MAX + 1], key[BENCH_KEY_MAX];
    uint64_t get_ns = 0, del_ns = 0, gets = 0, sum = 0, t = 0;
    for (uint64_t m = 0; m < W9_MIX_CYCLES; m++) {
        uint64_t j = (m % c) * stride + 1 + (m / c) % (stride - 1);
        size_t kl = bench_key(&cfg->keys, j, b);
        memcpy(e, b, kl);
        e[kl] = 0;
        uint64_t t0 = bench_now_ns();
        lsmt_status s = lsmt_memtable_delete_range(mt, N + 1 + c + m, b, kl, e, kl + 1);
        uint64_t t1 = bench_now_ns();
        if (s != LSMT_OK)
            return w9_fail("mixed delete_range", s);
        del_ns += t1 - t0;
        for (unsigned g = 0; g < W9_MIX_GETS; g++, t++) {
            kl = bench_key(&cfg->keys, bench_probe(t, N), key);
            const void *v = NULL;
            size_t vl = 0;
            s = table_get(mt, key, kl, &v, &vl, NULL);
            if (s != LSMT_OK && s != LSMT_DELETED)
                return w9_fail("mixed get", s);
            sum += s == LSMT_OK && vl ? ((const unsigned char *)v)[0] : 0;
            gets++;
        }
        get_ns += bench_now_ns() - t1;
    }
    bench_sink_add(sum);
    *get_mops = (double)gets / ((double)get_ns / 1e3);
    *dr_ns = (double)del_ns / W9_MIX_CYCLES;
    return 0;
}

int bench_run_w9(const bench_config *cfg, bench_report *r)
{
    const uint64_t N = cfg->records;
    lsmt_memtable *mt[W9_TABLES] = {NULL};
    uint64_t cnt[W9_TABLES];
    double get_v[W9_TABLES][BENCH_MAX_ROUNDS], ratio[W9_TABLES][BENCH_MAX_ROUNDS];
    double scan_v[W9_TABLES][BENCH_MAX_ROUNDS], dr_ns = 0, build_ms = 0;
    unsigned rounds = 0;
    int rc = 0;
    for (unsigned i = 0; i < W9_TABLES && rc == 0; i++) {
        cnt[i] = w9_counts[i] < N ? w9_counts[i] : N;
        lsmt_status s = micro_table(cfg, N, NULL, 0, &mt[i]);
        if (s != LSMT_OK)
            return w9_fail("create", s);
        unsigned char key[BENCH_KEY_MAX];
        for (uint64_t k = 0; k < N && s == LSMT_OK; k++) {
            size_t kl = bench_key(&cfg->keys, k, key);
            s = table_put(mt[i], k + 1, key, kl, micro_value(k), cfg->value_size);
        }
        double ns = 0;
        if (s == LSMT_OK)
            s = w9_tombstones(cfg, mt[i], cnt[i], &ns);
        if (s != LSMT_OK) {
            rc = w9_fail("fill", s);
            break;
        }
        if (i == W9_TABLES - 1) {
            dr_ns = ns;
            unsigned char key0[BENCH_KEY_MAX];
            size_t kl = bench_key(&cfg->keys, 0, key0);
            const void *v;
            size_t vl;
            uint64_t t0 = bench_now_ns();
            table_get(mt[i], key0, kl, &v, &vl, NULL); /* builds the view */
            build_ms = (double)(bench_now_ns() - t0) / 1e6;
        }
    }
    for (unsigned k = 0; rc == 0 && k < cfg->rounds && !bench_interrupted(); k++) {
        for (unsigned x = 0; x < W9_TABLES && rc == 0; x++) {
            unsigned i = (x + k) % W9_TABLES; /* rotated: interleaved across rounds */
            double g = w9_gets(cfg, mt[i], cnt[i]);
            double sc = g < 0 ? -1 : w9_scan(mt[i], N, cnt[i]);
            if (g < 0 || sc < 0)
                rc = 1;
            get_v[i][k] = g;
            scan_v[i][k] = sc;
        }
        for (unsigned i = 0; i < W9_TABLES && rc == 0; i++)
            ratio[i][k] = get_v[i][k] / get_v[0][k];
        if (rc == 0)
            rounds++;
    }
    for (unsigned i = 0; i < W9_TABLES && rc == 0 && rounds > 0; i++) {
        char name[48], note[160];
        double med, lo, hi;
        bench_median(get_v[i], rounds, &med, &lo, &hi);
        snprintf(name, sizeof name, "W9-get-rt%llu", (unsigned long long)cnt[i]);
        snprintf(note, sizeof note,
                 "gets of present keys, %llu range tombstones; median of %u rounds [%.3f..%.3f]",
                 (unsigned long long)cnt[i], rounds, lo, hi);
        bench_report_metric(r, name, 1, med, "Mops/s", note);
        if (i > 0) {
            bench_median(ratio[i], rounds, &med, &lo, &hi);
            snprintf(name, sizeof name, "W9-get-rt%llu-vs-rt0", (unsigned long long)cnt[i]);
            snprintf(note, sizeof note, "same-round ratio, median [%.3f..%.3f]", lo, hi);
            bench_report_metric(r, name, 1, med, "x", note);
        }
        bench_median(scan_v[i], rounds, &med, &lo, &hi);
        snprintf(name, sizeof name, "W9-scan-rt%llu", (unsigned long long)cnt[i]);
        snprintf(note, sizeof note, "snapshot iterator, full scan; median [%.3f..%.3f]", lo, hi);
        bench_report_metric(r, name, 1, med, "ns/entry", note);
    }
    if (rc == 0 && rounds > 0) {
        char note[96];
        snprintf(note, sizeof note, "%llu delete_range calls into %llu entries",
                 (unsigned long long)cnt[W9_TABLES - 1], (unsigned long long)N);
        bench_report_metric(r, "W9-delete-range", 1, dr_ns, "ns/op", note);
        bench_report_metric(r, "W9-view-build", 1, build_ms, "ms",
                            "first get after them: fragments the tombstones");
        double mix_get = 0, mix_dr = 0;
        if (w9_mixed(cfg, mt[W9_TABLES - 1], cnt[W9_TABLES - 1], &mix_get, &mix_dr) != 0) {
            rc = 1;
        } else if (mix_get > 0) {
            snprintf(note, sizeof note, "%d cycles of 1 delete_range + %d gets, %llu tombstones+",
                     W9_MIX_CYCLES, W9_MIX_GETS, (unsigned long long)cnt[W9_TABLES - 1]);
            bench_report_metric(r, "W9-mixed-get", 1, mix_get, "Mops/s", note);
            bench_report_metric(r, "W9-mixed-delete-range", 1, mix_dr, "ns/op", note);
        }
    }
    for (unsigned i = 0; i < W9_TABLES; i++)
        table_destroy(mt[i]);
    return rc;
}
