/* Test shorthands for reading a skip-list node through lsmt_skiplist_node_entry (the one
 * public accessor), so test assertions stay one line. NULL node: NULL / 0, as the tests
 * expect of "no node" (lengths 0). */
#ifndef LSMT_TESTS_SKIPLIST_ENTRY_H
#define LSMT_TESTS_SKIPLIST_ENTRY_H

#include <stdbool.h>
#include <string.h>

#include "lsmt/memtable.h"
#include "lsmt/skiplist.h"

static inline lsmt_skiplist_entry sl_entry(const lsmt_skiplist_node *n)
{
    lsmt_skiplist_entry e;
    memset(&e, 0, sizeof e);
    if (n != NULL)
        lsmt_skiplist_node_entry(n, &e);
    return e;
}
static inline const void *sl_key(const lsmt_skiplist_node *n, size_t *len)
{
    lsmt_skiplist_entry e = sl_entry(n);
    if (len != NULL)
        *len = e.klen;
    return e.key;
}
static inline const void *sl_value(const lsmt_skiplist_node *n, size_t *len)
{
    lsmt_skiplist_entry e = sl_entry(n);
    if (len != NULL)
        *len = e.vlen;
    return e.value;
}
static inline uint64_t sl_version(const lsmt_skiplist_node *n)
{
    return sl_entry(n).version;
}
static inline unsigned sl_tag(const lsmt_skiplist_node *n)
{
    return sl_entry(n).tag;
}
static inline unsigned sl_height_of(const lsmt_skiplist_node *n)
{
    return sl_entry(n).height;
}
static inline bool sl_contains(const lsmt_skiplist *sl, const void *key, size_t klen,
                               uint64_t version)
{
    return lsmt_skiplist_find(sl, key, klen, version) != NULL;
}
static inline bool sl_iter_valid(const lsmt_skiplist_iter *it)
{
    return lsmt_skiplist_iter_node(it) != NULL;
}
static inline lsmt_skiplist_stats sl_stats(const lsmt_skiplist *sl)
{
    lsmt_skiplist_stats s;
    memset(&s, 0, sizeof s);
    lsmt_skiplist_stats_get(sl, &s);
    return s;
}
static inline bool mt_is_frozen(const lsmt_memtable *mt)
{
    lsmt_memtable_stats s;
    return lsmt_memtable_stats_get(mt, &s) == LSMT_OK && s.frozen;
}

#endif
