/* What the skip list offers the rest of the library and its tests, not its users. */
#ifndef LSMT_SKIPLIST_INTERNAL_H
#define LSMT_SKIPLIST_INTERNAL_H

#include "lsmt/skiplist.h"

/* A hook run by an insert between its search and its publication. */
typedef void (*lsmt_sl_publish_hook)(void *ctx);

/* lsmt_skiplist_node_insert with the thread's splice for a node that this list's
 * lsmt_skiplist_node_alloc returned to the caller (the memtable's own nodes: not checked
 * again, except in debug builds), calling before_publish(ctx) (may be NULL) once,
 * after the search has found n's place and checked for a duplicate and before the first
 * CAS that could make n reachable. Any memory effect of the hook therefore happens-before
 * every reader that finds n (their acquire of a link that the CAS publishes with release).
 *
 * The memtable adds the key's bloom bit here rather than before the call: the bit must
 * be set before n is published (memtable/bloom.h), and here the bloom line's cache miss,
 * prefetched before the search, has had the whole search to arrive.
 *
 * The hook is not called when the result is LSMT_EXISTS found by the search; it may have been
 * called when LSMT_EXISTS comes from a racing insert of the same (key, version) that won the
 * level-0 CAS. Its effects must be harmless then (a bloom bit for a key that is present is). It
 * must not call into this list. */
__attribute__((visibility("hidden"))) lsmt_status
lsmt_sl_node_insert_hooked(lsmt_skiplist *sl, lsmt_skiplist_node *node,
                           lsmt_sl_publish_hook before_publish, void *ctx);

/* Node references for the memtable's hash index (skiplist/node_ref.c). A reference is
 * the node's 32-bit link encoding: never 0 for a node, and 0 maps back to NULL. It stays
 * valid until the list is reset. next0 is the node after n at level 0 (acquire: its
 * entry is readable), NULL at the end. REQUIRES: n is a published node of sl. */
__attribute__((visibility("hidden"))) uint32_t lsmt_sl_node_ref(const lsmt_skiplist *sl,
                                                                const lsmt_skiplist_node *n);
__attribute__((visibility("hidden"))) const lsmt_skiplist_node *
lsmt_sl_node_at(const lsmt_skiplist *sl, uint32_t ref);
__attribute__((visibility("hidden"))) const lsmt_skiplist_node *
lsmt_sl_node_next0(const lsmt_skiplist *sl, const lsmt_skiplist_node *n);

/* Make sl's plain searches prefetch `lines` (0..3) more lines of each level-0 node they
 * compare, beside its first (list.h, entry_lines): for a caller that reads the whole
 * entry a lookup returns. REQUIRES: no other thread uses sl yet. */
__attribute__((visibility("hidden"))) void lsmt_sl_prefetch_entry_lines(lsmt_skiplist *sl,
                                                                        unsigned lines);

#ifdef LSMT_YIELD_INJECTION
/* Test builds only (configured with -DLSMT_YIELD_INJECTION=ON; never in a release):
 * when set, called between finding an insert's position at a level and the CAS that
 * links the node there, so tests can land other inserts in that window. Set it before
 * the threads that insert start. Hidden: tests and tools link the static library. */
extern __attribute__((visibility("hidden"))) void (*lsmt_skiplist_test_yield_hook)(unsigned level);
#endif

#endif
