/* memtable-bench internals shared by its source files (bench/memtable_bench.c: CLI,
 * YCSB runner, output; bench/micro.c: the W1-W8 micro workloads). Not a library API.
 *
 * A run fills one bench_report (operation rows with latency histograms, and named
 * metrics); the printer turns it into text, JSON or CSV. */
#ifndef LSMT_BENCH_MEMTABLE_BENCH_H
#define LSMT_BENCH_MEMTABLE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/histogram.h"
#include "bench/w8_alloc.h"
#include "bench/ycsb.h"

typedef enum bench_format { BENCH_TEXT = 0, BENCH_JSON, BENCH_CSV } bench_format;

/* Every flag of the command line (see usage() in memtable_bench.c for units/defaults). */
typedef struct bench_config {
    char workload[8]; /* "A".."F" or "W1".."W8" */
    char ycsb;        /* 'A'..'F', or 0 for a micro workload */
    int micro;        /* 1..8, or 0 for YCSB */
    unsigned threads;
    uint64_t records;
    uint64_t ops; /* 0: run for `duration` seconds */
    double duration;
    size_t key_size; /* 0: YCSB "user<n>" keys */
    size_t value_size;
    ycsb_dist dist;
    double theta;
    unsigned scan_length; /* max scan length (uniform 1..scan_length) */
    uint64_t seed;
    unsigned bloom; /* bits per key, 0 = off */
    size_t shards;  /* 0 = CPU count */
    bool huge_pages;
    size_t memtable_size; /* 0: one memtable for the whole run (no rotation) */
    bench_format format;
    unsigned cycles; /* W7 cycles */
    unsigned rounds; /* W1-W6: rounds in this process (median, min, max) */
    unsigned batch;  /* W3/W4: keys per lsmt_memtable_multi_get call; 1 = plain gets */
    w8_kind w8kind;  /* W8 arena kind */
    bool progress;   /* stderr is a tty */
} bench_config;

#define BENCH_MAX_ROWS    32
#define BENCH_MAX_ROUNDS  100
#define BENCH_MAX_METRICS 48

typedef struct bench_oprow {
    const char *phase; /* "load", "run" */
    const char *op;    /* YCSB op name or "TOTAL" */
    uint64_t count;
    double seconds;   /* wall time of the phase */
    bench_hist *hist; /* latencies, ns (owned by the report) */
} bench_oprow;

typedef struct bench_metric {
    char name[40];
    unsigned threads;
    double value;
    char unit[16];
    char note[120];
} bench_metric;

typedef struct bench_report {
    bench_oprow row[BENCH_MAX_ROWS];
    size_t nrows;
    bench_metric metric[BENCH_MAX_METRICS];
    size_t nmetrics;
} bench_report;

/* Add a metric (silently dropped past BENCH_MAX_METRICS). note may be NULL. */
void bench_report_metric(bench_report *r, const char *name, unsigned threads, double value,
                         const char *unit, const char *note);

/* Monotonic clock, ns (clock_gettime(CLOCK_MONOTONIC): vDSO, no syscall). */
uint64_t bench_now_ns(void);
/* Minor page faults of the process so far (getrusage). */
uint64_t bench_minflt(void);
/* Resident set size, bytes (/proc/self/statm); 0 if unavailable. */
uint64_t bench_rss(void);

/* Run micro workload cfg->micro (1..8) into `r`. Returns 0, or nonzero after printing
 * one line on stderr (a failed memtable call or a wrong result). */
int bench_run_micro(const bench_config *cfg, bench_report *r);

#endif
