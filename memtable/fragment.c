/* The range-tombstone fragmenter: overlapping [begin, end) tombstones in, sorted
 * disjoint fragments with their descending sequence lists out (memtable/range_del.h,
 * invariants F1-F3).
 *
 * Algorithm (a sweep line)
 *  1. Every begin and every end is a boundary; sort them under the comparator and drop
 *     duplicates. Between two consecutive boundaries x < y, no tombstone starts or
 *     ends, so [x, y) is covered by the same set of tombstones throughout.
 *  2. Sweep the boundaries in order, keeping the "active" tombstones (begin <= x <
 *     end) sorted by seq descending: add those whose begin is <= x (the input is sorted
 *     by begin), drop those whose end is <= x. A non-empty active set gives the
 *     fragment [x, y) with its distinct seqs.
 * Cost: O(n log n) comparisons for the sort, plus O(output) for the sweep (the active
 * set is walked once per boundary, and every entry of it is written out).
 *
 * The view is built by a reader and never changes after publication, so nothing here
 * is concurrent.
 */
#include <stdlib.h>

#include "memtable/range_del.h"

typedef struct bkey {
    const void *p;
    size_t len;
} bkey;

/* Bottom-up merge sort of keys under cmp (qsort has no context argument). */
static void sort_keys(bkey *a, bkey *tmp, size_t n, lsmt_compare_fn cmp, void *ctx)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp(ctx, a[j].p, a[j].len, a[i].p, a[i].len) < 0 ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

void lsmt_rt_frag_free(lsmt_rt_frag *f)
{
    if (f == NULL)
        return;
    free(f->frags);
    free(f->seqs);
    free(f);
}

/* Grow *arr (elements of `size` bytes) to hold `need`; 0 or -1. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16, bytes;
    while (nc < need)
        nc *= 2;
    if (lsmt_mul_overflow(nc, size, &bytes))
        return -1;
    void *p = realloc(*arr, bytes);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

lsmt_rt_frag *lsmt_rt_fragment_build(const lsmt_rt_tomb *t, size_t n, lsmt_compare_fn cmp,
                                     void *ctx)
{
    lsmt_rt_frag *f = calloc(1, sizeof *f);
    size_t nb = 2 * n, bytes;
    if (f == NULL || n > SIZE_MAX / 4 || lsmt_mul_overflow(nb, sizeof(bkey), &bytes))
        goto fail;
    f->bytewise = cmp == lsmt_bytewise_compare;
    if (n == 0)
        return f;
    bkey *bd = malloc(bytes), *tmp = malloc(bytes);
    size_t *active = malloc(n * sizeof *active);
    size_t fcap = 0, scap = 0, nseqs = 0;
    if (bd == NULL || tmp == NULL || active == NULL)
        goto fail_tmp;
    for (size_t i = 0; i < n; i++) {
        bd[2 * i] = (bkey){t[i].begin, t[i].blen};
        bd[2 * i + 1] = (bkey){t[i].end, t[i].elen};
    }
    sort_keys(bd, tmp, nb, cmp, ctx);
    size_t u = 0; /* distinct boundaries */
    for (size_t i = 0; i < nb; i++) {
        if (u == 0 || cmp(ctx, bd[u - 1].p, bd[u - 1].len, bd[i].p, bd[i].len) != 0)
            bd[u++] = bd[i];
    }
    size_t next = 0, na = 0; /* next tombstone to add; active count */
    for (size_t b = 0; b + 1 < u; b++) {
        const bkey x = bd[b], y = bd[b + 1];
        /* drop the tombstones ending at or before x (order kept: seq desc) */
        size_t k = 0;
        for (size_t i = 0; i < na; i++) {
            const lsmt_rt_tomb *a = &t[active[i]];
            if (cmp(ctx, a->end, a->elen, x.p, x.len) > 0)
                active[k++] = active[i];
        }
        na = k;
        /* add the tombstones starting at or before x, by insertion on seq desc */
        while (next < n && cmp(ctx, t[next].begin, t[next].blen, x.p, x.len) <= 0) {
            if (cmp(ctx, t[next].end, t[next].elen, x.p, x.len) > 0) {
                size_t pos = na;
                while (pos > 0 && t[active[pos - 1]].seq < t[next].seq) {
                    active[pos] = active[pos - 1];
                    pos--;
                }
                active[pos] = next;
                na++;
            }
            next++;
        }
        if (na == 0)
            continue;
        if (grow((void **)&f->frags, &fcap, f->n + 1, sizeof *f->frags) != 0 ||
            grow((void **)&f->seqs, &scap, nseqs + na, sizeof *f->seqs) != 0)
            goto fail_tmp;
        lsmt_rt_fragment *fr = &f->frags[f->n++];
        fr->begin = x.p;
        fr->blen = x.len;
        fr->end = y.p;
        fr->elen = y.len;
        fr->bpfx = f->bytewise ? lsmt_rt_key_prefix(x.p, x.len) : 0;
        fr->epfx = f->bytewise ? lsmt_rt_key_prefix(y.p, y.len) : 0;
        fr->seq_off = nseqs;
        for (size_t i = 0; i < na; i++) {
            uint64_t s = t[active[i]].seq;
            if (nseqs == fr->seq_off || f->seqs[nseqs - 1] != s) /* distinct */
                f->seqs[nseqs++] = s;
        }
        fr->nseq = nseqs - fr->seq_off;
    }
    f->bytes = sizeof *f + fcap * sizeof *f->frags + scap * sizeof *f->seqs;
    free(bd);
    free(tmp);
    free(active);
    return f;

fail_tmp:
    free(bd);
    free(tmp);
    free(active);
fail:
    lsmt_rt_frag_free(f);
    return NULL;
}

bool lsmt_rt_frag_lookup(const lsmt_rt_frag *f, lsmt_compare_fn cmp, void *ctx, const void *key,
                         size_t klen, uint64_t snapshot, uint64_t *seq)
{
    /* the last fragment whose begin is <= key (F1: sorted by begin) */
    uint64_t kp = f->bytewise ? lsmt_rt_key_prefix(key, klen) : 0;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const lsmt_rt_fragment *m = &f->frags[mid];
        bool le = f->bytewise && m->bpfx != kp ? m->bpfx < kp
                                               : cmp(ctx, m->begin, m->blen, key, klen) <= 0;
        if (le)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const lsmt_rt_fragment *fr = &f->frags[lo - 1];
    bool before_end =
        f->bytewise && fr->epfx != kp ? kp < fr->epfx : cmp(ctx, key, klen, fr->end, fr->elen) < 0;
    if (!before_end)
        return false; /* in a gap between fragments (F1: disjoint) */
    /* the first seq <= snapshot of a descending list */
    const uint64_t *s = f->seqs + fr->seq_off;
    lo = 0;
    hi = fr->nseq;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid] > snapshot)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == fr->nseq)
        return false;
    *seq = s[lo];
    return true;
}

int lsmt_rt_frag_check(const lsmt_rt_frag *f, lsmt_compare_fn cmp, void *ctx)
{
    for (size_t i = 0; i < f->n; i++) {
        const lsmt_rt_fragment *fr = &f->frags[i];
        if (cmp(ctx, fr->begin, fr->blen, fr->end, fr->elen) >= 0 || fr->nseq == 0)
            return -1;
        if (i + 1 < f->n &&
            cmp(ctx, fr->end, fr->elen, f->frags[i + 1].begin, f->frags[i + 1].blen) > 0)
            return -1;
        for (size_t j = 1; j < fr->nseq; j++) {
            if (f->seqs[fr->seq_off + j - 1] <= f->seqs[fr->seq_off + j])
                return -1;
        }
    }
    return 0;
}
