/* Shared by every benchmark of bench/ (memtable-bench, skiplist-bench, the tests of the
 * bench): clocks, process counters, medians. Not a library API.
 *
 * Thread safety: every function may be called from any thread; none keeps state except
 * bench_sink_add's relaxed counter. */
#ifndef LSMT_BENCH_COMMON_H
#define LSMT_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock, ns (clock_gettime(CLOCK_MONOTONIC): vDSO, no syscall). */
uint64_t bench_now_ns(void);
/* Minor page faults of the process so far (getrusage). */
uint64_t bench_minflt(void);
/* Resident set size, bytes (/proc/self/statm); 0 if unavailable. */
uint64_t bench_rss(void);

/* Median, min and max of v[0..n) (n >= 1; v is not modified). */
void bench_median(const double *v, size_t n, double *med, double *lo, double *hi);

/* Adds touched bytes to a process-wide sink so the compiler keeps the reads that
 * produced them. Call once per thread per phase, not per operation. */
void bench_sink_add(uint64_t v);

#endif
