/* Node references and level-0 steps for the memtable's hash index (memtable/hash_index.h).
 *
 * The index stores a node as its 32-bit link reference (list.h: the same encoding the
 * links use), so an index slot holds a reference and a key fingerprint in one 64-bit
 * word that one CAS replaces. These helpers convert between nodes and references and
 * take one step along level 0; they read no key and search nothing. */
#include "skiplist/list.h"
#include "skiplist/node.h"
#include "skiplist/skiplist_internal.h"

uint32_t lsmt_sl_node_ref(const lsmt_skiplist *sl, const lsmt_skiplist_node *n)
{
    return node_ref(sl, (const char *)n);
}

const lsmt_skiplist_node *lsmt_sl_node_at(const lsmt_skiplist *sl, uint32_t ref)
{
    return (const lsmt_skiplist_node *)next_node(sl, ref);
}

const lsmt_skiplist_node *lsmt_sl_node_next0(const lsmt_skiplist *sl, const lsmt_skiplist_node *n)
{
    /* acquire: pairs with the release CAS/store that published the successor at level 0
     * (place_level0, insert.c), so its key, version and value are visible. */
    return (const lsmt_skiplist_node *)next_node(sl, link_load_acquire((const char *)n, 0));
}
