/* memtable-bench: the run's parameters (every flag, bench/cli.c) and the entry points of
 * its workloads. Not a library API.
 *
 * Layout of memtable-bench (each file opens with its design):
 *   memtable_bench.c  main: parse, run, print
 *   cli.c             flags, --help, the repeat command line
 *   report.c/.h       rows and metrics of a run; text, JSON and CSV printers
 *   phase.c/.h        running a phase on T threads, timed by the threads' own clocks;
 *                     progress line, --duration deadline, Ctrl-C
 *   table.c/.h        every lsmt_memtable call of the bench, in one place
 *   engine.c/.h       the YCSB "engine": active + frozen memtables, rotation, flusher
 *   ycsb_run.c        YCSB load and run phases (workers, --target pacing, records)
 *   micro.c           W1-W6, W8; reset_cycle.c: W7
 *   ycsb.c, record.c, keys.c, histogram.c, common.c: generators, YCSB records, key
 *                     shapes, latency histogram, clocks (shared with the tests and
 *                     skiplist-bench) */
#ifndef LSMT_BENCH_CONFIG_H
#define LSMT_BENCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/keys.h"
#include "bench/record.h"
#include "bench/w8_alloc.h"
#include "bench/ycsb.h"

typedef enum bench_format { BENCH_TEXT = 0, BENCH_JSON, BENCH_CSV } bench_format;

#define BENCH_MAX_THREADS 256
#define BENCH_MAX_ROUNDS  100

/* Every flag of the command line (cli.c's usage text gives units and defaults). */
typedef struct bench_config {
    char workload[8]; /* "A".."F" or "W1".."W10" */
    char ycsb;        /* 'A'..'F', or 0 for a micro workload */
    int micro;        /* 1..9, or 0 for YCSB */
    unsigned threads;
    uint64_t records;
    uint64_t ops; /* 0: run for `duration` seconds */
    double duration;
    bench_keys keys;          /* --key-shape, --key-size (keys.n is set by each run) */
    size_t value_size;        /* W1-W8: value bytes */
    ycsb_record_shape record; /* YCSB: --field-count x --field-length */
    bool blind_updates;       /* YCSB: --update blind (a put of a whole record) */
    double target;            /* YCSB run phase: ops/s over all threads; 0 = closed loop */
    ycsb_dist dist;
    double theta;
    unsigned scan_length; /* max scan length (uniform 1..scan_length) */
    uint64_t seed;
    unsigned bloom;      /* bits per key, 0 = off */
    unsigned protection; /* protection_bytes_per_key: 0 (off), 1, 2, 4, 8 */
    bool paranoid;       /* paranoid_checks */
    size_t shards;       /* 0 = CPU count */
    bool huge_pages;
    bool hash_index;      /* --hash-index on: the memtable's hash index (issue 17) */
    size_t memtable_size; /* 0: one memtable for the whole run (no rotation) */
    bench_format format;
    unsigned cycles; /* W7 cycles */
    unsigned rounds; /* W1-W6, W9: rounds in this process (median, min, max) */
    unsigned batch;  /* W1-W4: keys per write batch / multi_get call; 1 = single calls */
    w8_kind w8kind;  /* W8 arena kind */
    bool progress;   /* stderr is a terminal: draw the progress line */
} bench_config;

/* Parse argv into `c`; prints one line and exits 2 on any bad flag (nothing has run),
 * prints --help and exits 0. */
void bench_parse_args(int argc, char **argv, bench_config *c);
/* The flags that repeat this run, into buf (NUL-terminated, truncated to n). */
void bench_repeat_flags(const bench_config *c, char *buf, size_t n);
/* The --distribution name of `d`. */
const char *bench_dist_name(ycsb_dist d);

struct bench_report;
/* YCSB load + run phases of cfg->ycsb into `r`. 0, or 1 after one stderr line. */
int bench_run_ycsb(const bench_config *cfg, struct bench_report *r);
/* Micro workload cfg->micro (1..10) into `r`. 0, or 1 after one stderr line (a failed
 * memtable call or a wrong result). */
int bench_run_micro(const bench_config *cfg, struct bench_report *r);
/* W7 (reset_cycle.c), called by bench_run_micro. */
int bench_run_reset_cycle(const bench_config *cfg, struct bench_report *r);
/* W9 (w9_range_del.c: range tombstones), called by bench_run_micro. */
int bench_run_w9(const bench_config *cfg, struct bench_report *r);
/* W10 (w10_protection.c: protection 0 against P, interleaved), called by bench_run_micro. */
int bench_run_w10(const bench_config *cfg, struct bench_report *r);

#endif
