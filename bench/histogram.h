/* Log-linear latency histogram for memtable-bench (bench/histogram.c), HdrHistogram
 * style: values below 256 have their own bucket; above, each power of two [2^k, 2^k+1)
 * is split into 128 equal sub-buckets, so a bucket is at most 1/128 of its lower bound
 * wide and the midpoint reported is within 1/256 (0.4%) of any value in it. Covers the
 * whole uint64_t range (nanoseconds: up to 584 years) in 7424 counters (58 KiB).
 *
 * Thread safety: none. Each thread records into its own histogram (record is a few
 * arithmetic instructions and one increment: no lock, no syscall); the histograms are
 * merged after the threads joined.
 *
 * Invariants:
 *  1. count == sum of buckets; min <= every recorded value <= max (when count > 0).
 *  2. bench_hist_value_at(h, p) is within 0.4% of the value of nearest rank
 *     ceil(p / 100 * count) among the recorded values, and within [min, max].
 */
#ifndef LSMT_BENCH_HISTOGRAM_H
#define LSMT_BENCH_HISTOGRAM_H

#include <stdint.h>

#define BENCH_HIST_SUB     128 /* sub-buckets per power of two */
#define BENCH_HIST_LINEAR  256 /* values below this are exact */
#define BENCH_HIST_BUCKETS (BENCH_HIST_LINEAR + (63 - 8 + 1) * BENCH_HIST_SUB)

typedef struct bench_hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    double sum; /* for the mean */
    uint64_t bucket[BENCH_HIST_BUCKETS];
} bench_hist;

/* Bucket index of v (exposed for the tests). */
static inline unsigned bench_hist_index(uint64_t v)
{
    if (v < BENCH_HIST_LINEAR)
        return (unsigned)v;
    unsigned k = 63u - (unsigned)__builtin_clzll(v); /* 2^k <= v < 2^(k+1), k >= 8 */
    unsigned shift = k - 7u;                         /* v >> shift in [128, 256) */
    return BENCH_HIST_LINEAR + (k - 8u) * BENCH_HIST_SUB +
           (unsigned)((v >> shift) - BENCH_HIST_SUB);
}

/* Empty `h`. */
void bench_hist_reset(bench_hist *h);

/* Record one value. O(1), no allocation. */
static inline void bench_hist_record(bench_hist *h, uint64_t v)
{
    h->bucket[bench_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* dst += src. */
void bench_hist_merge(bench_hist *dst, const bench_hist *src);

/* The value at percentile p in [0, 100] (invariant 2); 0 for an empty histogram. */
uint64_t bench_hist_value_at(const bench_hist *h, double p);

/* Mean of the recorded values; 0 when empty. */
double bench_hist_mean(const bench_hist *h);

#endif
