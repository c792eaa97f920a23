/* Log-linear histogram (see histogram.h). Single-threaded by design: one per thread,
 * merged at the end, so recording needs no atomics. */
#include "bench/histogram.h"

#include <math.h>
#include <string.h>

void bench_hist_reset(bench_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void bench_hist_merge(bench_hist *dst, const bench_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Midpoint of bucket i. */
static uint64_t bucket_mid(unsigned i)
{
    if (i < BENCH_HIST_LINEAR)
        return i;
    unsigned j = i - BENCH_HIST_LINEAR;
    unsigned k = 8u + j / BENCH_HIST_SUB;
    unsigned shift = k - 7u;
    uint64_t lo = (uint64_t)(BENCH_HIST_SUB + j % BENCH_HIST_SUB) << shift;
    return lo + (((uint64_t)1 << shift) - 1) / 2;
}

uint64_t bench_hist_value_at(const bench_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* nearest rank: the smallest value with at least ceil(p/100 * count) values <= it */
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t v = bucket_mid(i);
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

double bench_hist_mean(const bench_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
