/* The memtable calls of memtable-bench (table.h), each a thin forward: the one file to
 * change when the library's memtable API changes. */
#include "bench/table.h"

unsigned table_default_bloom_bits(void)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    return o.bloom_bits_per_key;
}

bool table_default_huge_pages(void)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    return o.huge_pages;
}

lsmt_status table_create(const table_options *t, lsmt_memtable **out)
{
    lsmt_memtable_options o;
    lsmt_memtable_options_default(&o);
    o.bloom_bits_per_key = t->bloom_bits;
    o.shard_count = t->shards;
    o.huge_pages = t->huge_pages;
    o.write_buffer_size = t->budget;
    o.hard_limit = t->hard_limit;
    o.bloom_expected_keys = t->expected_keys;
    o.hash_index = t->hash_index;
    o.hash_index_expected_keys = t->hash_index ? t->expected_keys : 0;
    o.pool = t->pool;
    o.protection_bytes_per_key = t->protection;
    o.paranoid_checks = t->paranoid;
    return lsmt_memtable_create(&o, out);
}

void table_destroy(lsmt_memtable *mt)
{
    lsmt_memtable_destroy(mt);
}

lsmt_status table_reset(lsmt_memtable *mt)
{
    return lsmt_memtable_reset_all(mt);
}

void table_freeze(lsmt_memtable *mt)
{
    lsmt_memtable_freeze(mt);
}

bool table_should_flush(const lsmt_memtable *mt)
{
    return lsmt_memtable_should_flush(mt);
}

lsmt_status table_put(lsmt_memtable *mt, uint64_t seq, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    return lsmt_memtable_put(mt, seq, key, klen, val, vlen);
}

lsmt_status table_get(lsmt_memtable *mt, const void *key, size_t klen, const void **val,
                      size_t *vlen, uint64_t *seq)
{
    return lsmt_memtable_get(mt, key, klen, LSMT_MAX_SEQUENCE, val, vlen, seq);
}

lsmt_status table_multi_get(lsmt_memtable *mt, size_t n, const void *const *keys,
                            const size_t *klens, lsmt_status *st, const void **vals, size_t *vlens)
{
    return lsmt_memtable_multi_get(mt, n, keys, klens, LSMT_MAX_SEQUENCE, st, vals, vlens);
}

lsmt_status table_batch_create(table_batch **out)
{
    return lsmt_write_batch_create(out);
}

void table_batch_destroy(table_batch *b)
{
    lsmt_write_batch_destroy(b);
}

void table_batch_clear(table_batch *b)
{
    lsmt_write_batch_clear(b);
}

lsmt_status table_batch_put(table_batch *b, const void *key, size_t klen, const void *val,
                            size_t vlen)
{
    return lsmt_write_batch_put(b, key, klen, val, vlen);
}

size_t table_batch_count(const table_batch *b)
{
    return lsmt_write_batch_count(b);
}

lsmt_status table_write(lsmt_memtable *mt, uint64_t first_seq, table_batch *b)
{
    return lsmt_memtable_write(mt, first_seq, b);
}

lsmt_status table_scan(lsmt_memtable *mt, const void *from, size_t fromlen, uint64_t max,
                       bool internal, uint64_t *count, uint64_t *sum)
{
    lsmt_memtable_iter_options io;
    lsmt_memtable_iter_options_default(&io);
    if (internal)
        io.kind = LSMT_ITER_INTERNAL;
    lsmt_memtable_iter *it = NULL;
    lsmt_status s = lsmt_memtable_iter_create(mt, &io, &it);
    if (s != LSMT_OK)
        return s;
    uint64_t n = 0, acc = 0;
    s = from ? lsmt_memtable_iter_seek(it, from, fromlen) : lsmt_memtable_iter_seek_to_first(it);
    for (; s == LSMT_OK && n < max; s = lsmt_memtable_iter_next(it)) {
        const void *k, *v;
        size_t kl, vl;
        if (lsmt_memtable_iter_entry(it, &k, &kl, NULL, NULL, &v, &vl) == LSMT_OK) {
            acc += kl ? ((const unsigned char *)k)[kl - 1] : 0;
            acc += vl ? ((const unsigned char *)v)[vl - 1] : 0;
        }
        n++;
    }
    lsmt_memtable_iter_destroy(it);
    *count = n;
    *sum += acc;
    return s == LSMT_OK || s == LSMT_END ? LSMT_OK : s;
}

uint64_t table_entries(const lsmt_memtable *mt)
{
    lsmt_memtable_stats st;
    return lsmt_memtable_stats_get(mt, &st) == LSMT_OK ? st.entries : 0;
}

size_t table_memory(const lsmt_memtable *mt)
{
    return lsmt_memtable_approximate_memory_usage(mt);
}

void table_bloom_counts(const lsmt_memtable *mt, uint64_t *checks, uint64_t *negatives)
{
    lsmt_memtable_stats st;
    *checks = *negatives = 0;
    if (lsmt_memtable_stats_get(mt, &st) == LSMT_OK) {
        *checks = st.bloom_checks;
        *negatives = st.bloom_negatives;
    }
}
