/* What a memtable-bench run reports (bench/report.c): operation rows, each with a latency
 * histogram, and named metrics; printed as text, JSON or CSV. Not a library API.
 *
 * Thread safety: none; filled by the main thread after the workers joined. */
#ifndef LSMT_BENCH_REPORT_H
#define LSMT_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/config.h"
#include "bench/histogram.h"

#define BENCH_MAX_ROWS    48
#define BENCH_MAX_METRICS 64

typedef struct bench_oprow {
    const char *phase; /* "load", "run", "run-intended" (latency from intended starts) */
    const char *op;    /* YCSB op name or "TOTAL" */
    uint64_t count;
    double seconds;   /* the phase's time (first thread start to last thread end) */
    bench_hist *hist; /* latencies, ns (owned by the report) */
} bench_oprow;

typedef struct bench_metric {
    char name[48];
    unsigned threads;
    double value;
    char unit[16];
    char note[160];
} bench_metric;

typedef struct bench_report {
    bench_oprow row[BENCH_MAX_ROWS];
    size_t nrows;
    bench_metric metric[BENCH_MAX_METRICS];
    size_t nmetrics;
    bool interrupted; /* Ctrl-C: the figures of the run so far */
} bench_report;

/* Add a metric (silently dropped past BENCH_MAX_METRICS). note may be NULL. */
void bench_report_metric(bench_report *r, const char *name, unsigned threads, double value,
                         const char *unit, const char *note);
/* Add a row that takes ownership of `h` (freed, and the row dropped, past BENCH_MAX_ROWS). */
void bench_report_row(bench_report *r, const char *phase, const char *op, double seconds,
                      bench_hist *h);
/* Free the rows' histograms. */
void bench_report_free(bench_report *r);

/* Print `r` in cfg->format on stdout. */
void bench_report_print(const bench_config *cfg, const bench_report *r);

/* A new empty histogram (malloc), or NULL. */
bench_hist *bench_hist_new(void);

#endif
