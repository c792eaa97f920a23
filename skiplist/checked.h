/* The checked walk: searches and steps that trust nothing they read (the memtable's
 * paranoid_checks). Hidden: the memtable's read paths and the tests use it.
 *
 * A normal search follows every link it loads. A corrupted link (a flipped bit in a
 * reference, a tower height or a key length) can send it outside the arena, into the
 * middle of another node, or round a cycle. The checked walk takes a node only when
 *  1. it lies inside the arena, aligned, with a height in 1..max_height whose tower,
 *     key, version word and value all lie inside the arena too (lsmt_sl_node_sane); at
 *     level i its height is > i (so its slot i is part of it);
 *  2. it orders strictly after the node whose link led to it: (key asc, version desc)
 *     under the list's comparator (the head orders before everything).
 * A search also checks the node that ended it at level 0 against its level-0 successor:
 * a node whose key was damaged to a larger one stops the searches of the keys it now
 * hides, and is caught there. (One damaged to a smaller key hides the keys before it
 * only from searches that pass it on an upper level; a scan steps across it.) Otherwise it stops
 * with LSMT_CORRUPTION. Guarantees: every byte it reads lies inside the arena's mapping (or the
 * list header), so it cannot crash; and it terminates, because along one level the nodes it takes
 * strictly increase in the order, so no address comes back, and there are finitely many (at most
 * capacity / 4 per level). What it cannot promise: a corrupted link that happens to point at a sane
 * node in the right order (for instance skipping over a few nodes, or at stale bytes from before a
 * reset that still look like a node) is not detected; the walk then returns a sane
 * node, which the memtable's protection checksum verifies before it is returned.
 *
 * Concurrency: as the normal search (acquire loads of links, readers never write);
 * inserts may run beside it. Costs one extra key comparison per link followed. */
#ifndef LSMT_SKIPLIST_CHECKED_H
#define LSMT_SKIPLIST_CHECKED_H

#include <stdbool.h>

#include "lsmt/skiplist.h"

typedef enum lsmt_sl_goal {
    LSMT_SL_GE,    /* first node >= (key, version) */
    LSMT_SL_LT,    /* last node < (key, version) */
    LSMT_SL_LE,    /* last node <= (key, version) */
    LSMT_SL_FIRST, /* the first node (key ignored) */
    LSMT_SL_LAST   /* the last node (key ignored) */
} lsmt_sl_goal;

/* Position `it` (initialised on a KV list) by the checked walk: LSMT_OK (on a node),
 * LSMT_END (no such node; not positioned) or LSMT_CORRUPTION (not positioned). */
__attribute__((visibility("hidden"))) lsmt_status lsmt_sl_checked_seek(lsmt_skiplist_iter *it,
                                                                       const void *key, size_t klen,
                                                                       uint64_t version,
                                                                       lsmt_sl_goal goal);
/* The last node, by the checked walk. */
__attribute__((visibility("hidden"))) lsmt_status lsmt_sl_checked_last(lsmt_skiplist_iter *it);
/* The next / previous node of a positioned iterator (REQUIRES positioned), checked:
 * next must order after the current node. */
__attribute__((visibility("hidden"))) lsmt_status lsmt_sl_checked_next(lsmt_skiplist_iter *it);
__attribute__((visibility("hidden"))) lsmt_status lsmt_sl_checked_prev(lsmt_skiplist_iter *it);
/* Condition 1 above for node n of KV list sl. */
__attribute__((visibility("hidden"))) bool lsmt_sl_node_sane(const lsmt_skiplist *sl,
                                                             const lsmt_skiplist_node *n);

#endif
