/* memtable-bench W10: what per-entry protection costs (issue 15), measured in one process.
 *
 * Two memtables alike but for protection_bytes_per_key: 0, and P (--protection-bytes,
 * 8 when not given). Then --rounds rounds, each running on both memtables, in an order
 * swapped every round (interleaved, so a noisy neighbour hits both alike):
 *   - fill: W1's fill of N records (key_S(i), seq i + 1, one thread), after reset_all
 *     from the second round on (as W1's rounds);
 *   - gets: W3's N gets of present keys at the latest snapshot, one thread (each touches
 *     its value's first byte; with P > 0 the get verifies the entry's checksum first,
 *     which reads all of its key and value).
 * Rows: W10-fill-p0, W10-fill-pP, W10-get-p0, W10-get-pP (Mops/s, medians of the rounds)
 * and W10-fill-pP-vs-p0, W10-get-pP-vs-p0: the median over rounds of the same-round
 * ratio, the figure issue 15 names ("at most 10 % slower": >= 0.90). Separate processes
 * (W1 or W3 with --protection-bytes P and 0) measure the same thing, but on this kind of
 * shared 2-vCPU machine their spread between processes minutes apart (+-15 %) swamps a
 * 10 % difference; a ratio taken within one round does not. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/micro.h"
#include "bench/phase.h"
#include "bench/report.h"

#define W10_TABLES 2
enum { W10_FILL, W10_GET, W10_PHASES };
static const char *const w10_phase[W10_PHASES] = {"fill", "get"};
static const char *const w10_what[W10_PHASES] = {"W1's fill", "W3's gets"};

/* Rows of one phase: its figure per memtable (v[i]: Mops/s per round), then the
 * same-round ratio of memtable 1 (protection P) to memtable 0. */
static void w10_report(bench_report *r, unsigned ph, const bench_config c[W10_TABLES],
                       double v[W10_TABLES][BENCH_MAX_ROUNDS], const double *ratio, unsigned rounds)
{
    char name[48], note[160];
    double med, lo, hi;
    for (unsigned i = 0; i < W10_TABLES; i++) {
        bench_median(v[i], rounds, &med, &lo, &hi);
        snprintf(name, sizeof name, "W10-%s-p%u", w10_phase[ph], c[i].protection);
        snprintf(note, sizeof note,
                 "%s, protection_bytes_per_key %u; median of %u rounds [%.3f..%.3f]", w10_what[ph],
                 c[i].protection, rounds, lo, hi);
        bench_report_metric(r, name, 1, med, "Mops/s", note);
    }
    bench_median(ratio, rounds, &med, &lo, &hi);
    snprintf(name, sizeof name, "W10-%s-p%u-vs-p0", w10_phase[ph], c[1].protection);
    snprintf(note, sizeof note, "same-round ratio, median [%.3f..%.3f]", lo, hi);
    bench_report_metric(r, name, 1, med, "x", note);
}

int bench_run_w10(const bench_config *cfg, bench_report *r)
{
    const uint64_t N = cfg->records;
    bench_config c[W10_TABLES] = {*cfg, *cfg};
    c[0].protection = 0;
    c[1].protection = cfg->protection ? cfg->protection : 8;
    lsmt_memtable *mt[W10_TABLES] = {NULL};
    double v[W10_PHASES][W10_TABLES][BENCH_MAX_ROUNDS];
    double ratio[W10_PHASES][BENCH_MAX_ROUNDS];
    unsigned rounds = 0;
    int rc = 0;
    for (unsigned i = 0; i < W10_TABLES && rc == 0; i++) {
        lsmt_status s = micro_table(&c[i], N, NULL, 0, &mt[i]);
        if (s != LSMT_OK) {
            fprintf(stderr, "memtable-bench: W10 create (protection %u): %s\n", c[i].protection,
                    lsmt_status_str(s));
            rc = 1;
        }
    }
    for (unsigned k = 0; rc == 0 && k < cfg->rounds && !bench_interrupted(); k++) {
        for (unsigned x = 0; x < W10_TABLES && rc == 0; x++) {
            unsigned i = (x + k) % W10_TABLES; /* swapped every round */
            lsmt_status s = k > 0 ? table_reset(mt[i]) : LSMT_OK;
            if (s != LSMT_OK) {
                fprintf(stderr, "memtable-bench: W10 reset_all: %s\n", lsmt_status_str(s));
                rc = 1;
                break;
            }
            double fs = micro_fill_random(&c[i], mt[i], N);
            double gs = fs < 0 ? -1 : micro_read_random(&c[i], mt[i], N);
            if (fs <= 0 || gs <= 0) {
                rc = 1;
                break;
            }
            v[W10_FILL][i][k] = (double)N / fs / 1e6;
            v[W10_GET][i][k] = (double)N / gs / 1e6;
        }
        if (rc != 0)
            break;
        for (unsigned ph = 0; ph < W10_PHASES; ph++)
            ratio[ph][k] = v[ph][1][k] / v[ph][0][k];
        rounds++;
    }
    for (unsigned ph = 0; ph < W10_PHASES && rc == 0 && rounds > 0; ph++)
        w10_report(r, ph, c, v[ph], ratio[ph], rounds);
    for (unsigned i = 0; i < W10_TABLES; i++)
        table_destroy(mt[i]);
    return rc;
}
