/* lsmt_skiplist: a lock-free, insert-only skip list over the sharded concurrent arena.
 *
 * The ordered index under the memtable. Each entry is one arena allocation holding the
 * node header, its tower of links, the key and the value inline (the layout is documented
 * in skiplist/node.h): 16 + 8 * (height - 1) + klen + vlen
 * bytes, 4 more for a value over 254 bytes, rounded up to 4 (a node of height > 1 is
 * also 8-byte aligned, which may cost up to 4 bytes of padding before it). Links are
 * 32-bit offsets into the arena's region (so the arena may be at most 16 GiB); each upper
 * level (>= 1) is an 8-byte slot holding the link, the length of the prefix the two keys
 * share and the next key's two bytes after it, so a search decides most steps without
 * loading the next node, whatever prefix the keys have in common. Heights are random with p = 1/4
 * (0.33 upper levels per entry on average). Entries are ordered by (key ascending by the
 * comparator, then version DESCENDING) where `version` is a number of up to 56 bits stored with the
 * entry (the memtable's sequence number; plain users pass 0), and a node may carry a 2-bit tag
 * (node_alloc). Nothing is ever removed: the list is emptied as a whole by lsmt_skiplist_reset
 * after its arena was reset.
 *
 * Thread safety:
 *
 *   call                                   may run concurrently with
 *   -------------------------------------  ----------------------------------------------
 *   insert, node_insert, node_insert_batch every call except reset/destroy
 *   insert_serial                          readers only (callers serialise all writers)
 *   find, seek_batch, iterator calls,      every call except reset/destroy
 *   node_entry, stats_get
 *   reset, destroy                         nothing (the caller quiesces the list first)
 *
 * Readers never block, never take a lock and never see a half-built node.
 *
 * Invariants:
 *  1. At level 0 the list is strictly ordered by (key, version desc); no two entries
 *     have an equal (key, version).
 *  2. A node reachable at level i > 0 is reachable at level 0 (a node is published at
 *     level 0 first, then linked upward).
 *  3. A node's key, version, value, lengths and height are written before the node is
 *     published (release) and never change after; a link changes only by the release
 *     CAS (or release store, insert_serial) that splices a newer node in after it;
 *     readers acquire links.
 *  4. An iterator never misses an entry that was present when it was positioned and
 *     never moves backwards in the order, while inserts run beside it.
 *  5. A failed insert (LSMT_EXISTS, LSMT_FULL, LSMT_INVALID) leaves the list's entries
 *     and links unchanged (LSMT_EXISTS may leave its unused node's bytes allocated in
 *     the arena, and may have raised the list's height, which only bounds where
 *     searches start).
 *  6. A hint (splice) is only followed for the list and reset epoch it was filled for
 *     (epochs are never reused, by any list, so a list created at a destroyed list's
 *     address does not follow its hints), and is re-checked against the current links
 *     before use; a stale hint costs time, never correctness.
 *  7. A bytewise list keeps a finger table (lsmt_skiplist_options.finger_bytes) whose
 *     entries only ever name fully linked nodes that come before every key of their key
 *     range; searches and inserts may start from them. It changes where a search
 *     starts, never what it finds (lsmt_skiplist_validate checks it).
 */
#ifndef LSMT_SKIPLIST_H
#define LSMT_SKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/arena.h"
#include "lsmt/lsmt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tallest tower a node may have (p = 1/4 per level). */
#define LSMT_SKIPLIST_MAX_HEIGHT    20
/* Longest key / value in bytes (a node records the key length in 23 bits of its header;
 * a value of up to 254 bytes keeps its length in the version word's top byte, a longer
 * one in 4 more bytes). */
#define LSMT_SKIPLIST_MAX_KEY_LEN   (((size_t)1 << 23) - 1)
#define LSMT_SKIPLIST_MAX_VALUE_LEN ((size_t)1 << 30)
/* Largest version a node stores (56 bits: the other 8 of its word hold a short value's
 * length). Searches and seeks take any 64-bit version: one above this is after every
 * stored version of its key. */
#define LSMT_SKIPLIST_MAX_VERSION   ((UINT64_C(1) << 56) - 1)
/* Largest node tag (lsmt_skiplist_node_alloc): two bits of the node header. */
#define LSMT_SKIPLIST_TAG_MAX       3u

/* How a node holds its entry (lsmt_skiplist_options.format). */
typedef enum lsmt_skiplist_format {
    /* (key, version, value) given to insert / node_alloc, laid out by the list. Versions
     * are 56 bits. The default. */
    LSMT_SKIPLIST_FORMAT_KV = 0,
    /* One caller-encoded entry per node, in the LevelDB / RocksDB memtable entry format:
     *     varint32 (klen + 8), klen key bytes, an 8-byte little-endian 64-bit version,
     *     varint32 vlen, vlen value bytes
     * The caller reserves the node with lsmt_skiplist_entry_alloc, writes the entry into
     * the buffer, and publishes it with lsmt_skiplist_node_insert. The order is the usual
     * one -- key by the comparator (which, and the fast paths of the bytewise order, see
     * the key bytes inside the entry), then version descending over all 64 bits -- so an
     * engine's internal keys (user key, seq << 8 | type) sort as it expects. A custom
     * comparator receives the key where it lies -- inside an entry, or the caller's own
     * search key -- never a copy. insert, insert_serial and node_alloc are for KV lists
     * only. */
    LSMT_SKIPLIST_FORMAT_ENCODED = 1,
    /* As ENCODED, but ordered by the version word's upper 56 bits only (version >> 8,
     * descending): its low byte -- an engine's value type, as in RocksDB's
     * (seq << 8 | type) -- is carried, not ordered, so two entries of one key and one
     * sequence number are duplicates (LSMT_EXISTS) whatever their types, which is
     * RocksDB's memtable order and its duplicate rule. Searches, seeks and find take the
     * 56-bit sequence as their version; lsmt_skiplist_entry.version is the whole word. */
    LSMT_SKIPLIST_FORMAT_ENCODED_SEQ = 2,
} lsmt_skiplist_format;

typedef struct lsmt_skiplist lsmt_skiplist;
/* An entry of the list; opaque. Valid until the list is reset or destroyed. */
typedef struct lsmt_skiplist_node lsmt_skiplist_node;

typedef struct lsmt_skiplist_options {
    /* The arena nodes come from. Required; not owned; must outlive the list. Its
     * capacity bounds the list (links are offsets into its region). */
    lsmt_sharded_arena *arena;
    /* Key order; NULL = lsmt_bytewise_compare, which also enables the fixed-size key
     * prefix stored in each node (most comparisons never touch the key bytes). */
    lsmt_compare_fn compare;
    void *compare_ctx;
    /* Tallest tower; 0 = derived from the arena's capacity (enough levels for the
     * most nodes it can hold), at most LSMT_SKIPLIST_MAX_HEIGHT. */
    unsigned max_height;
    /* The finger table (bytewise lists only): one 4-byte entry per this many bytes of
     * arena capacity, allocated at create (0.2 % of the capacity by default), plus a
     * fixed 8.5 KiB for its learned ranges. Entry b names the last tall node of key range b - 1,
     * so a search starts next to its key instead of at the head and skips the upper
     * levels: O(1) cache misses above level 1 instead of O(log n). A range with no tall
     * node (a table with more entries than the list has tall nodes: large entries, or
     * an arena far larger than what the list holds) hands its keys to the nearest named
     * entry of the 64 below. The ranges are learned
     * from the list's own keys once it holds a few thousand (the prefix they all share,
     * then the byte values they take), so keys that share a long prefix spread over the
     * whole table too; a key outside what was learned is still found, its search starting
     * at the head. 0 = the default (LSMT_SKIPLIST_FINGER_BYTES_DEFAULT); SIZE_MAX = no
     * table. */
    size_t finger_bytes;
    /* How nodes hold their entries (lsmt_skiplist_format). Default KV. */
    lsmt_skiplist_format format;
} lsmt_skiplist_options;

/* Default lsmt_skiplist_options.finger_bytes. */
#define LSMT_SKIPLIST_FINGER_BYTES_DEFAULT 2048u

/* Position memory for inserts: nearby inserts cost O(log distance) instead of O(log n).
 * One per writer thread (not shared); initialise with lsmt_skiplist_hint_init and keep it
 * with the list it was used on (a hint from another list, or from before a reset, is
 * recognised and ignored). Opaque, LSMT_SKIPLIST_HINT_BYTES bytes, may live anywhere. */
#define LSMT_SKIPLIST_HINT_BYTES 384
typedef struct lsmt_skiplist_hint {
    uint64_t opaque_[LSMT_SKIPLIST_HINT_BYTES / 8];
} lsmt_skiplist_hint;

/* An iterator: opaque, LSMT_SKIPLIST_ITER_BYTES bytes, may live on the stack, may be
 * copied, needs no destroy. Valid until the list is reset or destroyed. */
#define LSMT_SKIPLIST_ITER_BYTES 128
typedef struct lsmt_skiplist_iter {
    uint64_t opaque_[LSMT_SKIPLIST_ITER_BYTES / 8];
} lsmt_skiplist_iter;

/* What lsmt_skiplist_node_entry reports of a node. The pointers stay valid until the list
 * is reset or destroyed. */
typedef struct lsmt_skiplist_entry {
    const void *key;
    size_t klen;
    uint64_t version;
    const void *value;
    size_t vlen;
    const void *encoded; /* ENCODED lists: the entry as the caller wrote it; else NULL */
    unsigned tag;        /* the tag given to node_alloc (0 for insert and ENCODED) */
    unsigned height;     /* levels the node is (or, before node_insert, will be) linked at */
} lsmt_skiplist_entry;

typedef struct lsmt_skiplist_stats {
    size_t memory_bytes;   /* bytes held outside the arena: the header and finger table */
    unsigned height;       /* current tallest tower (1 for an empty list) */
    unsigned max_height;   /* the tallest tower allowed */
    size_t finger_entries; /* entries of the finger table (0: none) */
} lsmt_skiplist_stats;

/* Fill `opt` with defaults (arena NULL: the caller must set it). NULL is ignored. */
LSMT_API void lsmt_skiplist_options_default(lsmt_skiplist_options *opt);

/* Create an empty list. LSMT_INVALID: NULL opt/out/arena, max_height too large, an arena
 * larger than 4 * (2^32 - 2) bytes (the link encoding), an unknown format. LSMT_NOMEM: the list
 * header or its finger table could not be allocated. */
LSMT_API lsmt_status lsmt_skiplist_create(const lsmt_skiplist_options *opt, lsmt_skiplist **out);

/* Free the list header and its finger table (node memory belongs to the arena). NULL is
 * a no-op. */
LSMT_API void lsmt_skiplist_destroy(lsmt_skiplist *sl);

/* Empty the list. REQUIRES: no call on the list in flight, and no node, iterator or
 * hint from before will be used again. Call it after lsmt_sharded_arena_reset_all of the
 * list's arena (or before: it touches no node). LSMT_INVALID for NULL. */
LSMT_API lsmt_status lsmt_skiplist_reset(lsmt_skiplist *sl);

/* Insert (key, version) with `value` copied inline. O(log n) expected; O(log distance)
 * from the previous insert through the same splice. `hint` may be NULL: the calling
 * thread then keeps its own splice (thread-local), so ascending or clustered inserts are
 * cheap either way; pass a hint to keep one per stream of related inserts. Thread-safe
 * with every other insert: among racing inserts of an equal (key, version) exactly one
 * returns LSMT_OK, the others LSMT_EXISTS. LSMT_FULL: the arena is full, the list is
 * unchanged. LSMT_INVALID: NULL list, NULL pointer with nonzero length, oversize key or
 * value, or an entry larger than the whole arena (it could never fit: LSMT_FULL would
 * invite a retry after a reset). LSMT_RANGE: version > LSMT_SKIPLIST_MAX_VERSION. The hint
 * itself is not thread-safe (one per thread). */
LSMT_API lsmt_status lsmt_skiplist_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                          const void *key, size_t klen, uint64_t version,
                                          const void *value, size_t vlen);

/* As lsmt_skiplist_insert for callers that serialise their writers themselves: no CAS,
 * plain release stores, and a splice kept in the list (ascending inserts are O(1)).
 * REQUIRES: no other insert of any kind in flight (readers may run). */
LSMT_API lsmt_status lsmt_skiplist_insert_serial(lsmt_skiplist *sl, const void *key, size_t klen,
                                                 uint64_t version, const void *value, size_t vlen);

/* Reset a hint (also makes a hint from another list or before a reset harmless). */
LSMT_API void lsmt_skiplist_hint_init(lsmt_skiplist_hint *hint);

/* Two-phase insert (KV lists), for callers that build the entry in place or need all-or-nothing
 * batches: node_alloc reserves a node for a key of `klen` and a value of `vlen` bytes,
 * with a 2-bit `tag` (0..LSMT_SKIPLIST_TAG_MAX) stored in the node header at no cost in
 * size, and returns where to write the key and value; the node is invisible until
 * node_insert publishes it. A batch allocates all its nodes first, so LSMT_FULL leaves
 * the list unchanged. A node never published just stays unused in the arena. Like the
 * key, version and value, the tag is written before the node is published and never
 * changes. O(1): one arena allocation.
 * LSMT_OK (*node, *key_buf, *value_buf set), LSMT_FULL (the arena is full), LSMT_INVALID
 * (NULL list or out pointer, oversize key or value, tag > LSMT_SKIPLIST_TAG_MAX, a node
 * whose lsmt_skiplist_node_min_bytes exceeds the whole arena), LSMT_RANGE (version >
 * LSMT_SKIPLIST_MAX_VERSION); the out pointers are written only on success. The status
 * depends on the lengths and the arena's state, never on the node's random height: a
 * tower that would not fit beside a body that does is cut short. */
LSMT_API lsmt_status lsmt_skiplist_node_alloc(lsmt_skiplist *sl, size_t klen, uint64_t version,
                                              size_t vlen, unsigned tag, lsmt_skiplist_node **node,
                                              void **key_buf, void **value_buf);

/* ENCODED lists: reserve a node for an entry of `bytes` bytes (LSMT_SKIPLIST_FORMAT_ENCODED)
 * and return in *buf where to write it; the node is invisible until node_insert, which
 * reads the key and version from the entry. O(1): one arena allocation. LSMT_OK,
 * LSMT_FULL (the arena is full), LSMT_INVALID (NULL arguments, a KV list, bytes below the
 * smallest entry (10) or above 2^32 - 1, a node larger than the whole arena). The out
 * pointers are written only on success. */
LSMT_API lsmt_status lsmt_skiplist_entry_alloc(lsmt_skiplist *sl, size_t bytes,
                                               lsmt_skiplist_node **node, void **buf);

/* The fewest arena bytes a node for a key of `klen` and a value of `vlen` bytes takes
 * (a tower of height 1; each further level adds 8 bytes, plus up to 4 of alignment): a
 * caller can tell an entry that could never fit its arena (say, a batch larger than the
 * whole arena) from a full arena. SIZE_MAX when the lengths are over the limits. O(1). */
LSMT_API size_t lsmt_skiplist_node_min_bytes(size_t klen, size_t vlen);

/* Publish a node from node_alloc whose key bytes are written (or from entry_alloc whose
 * entry is written). LSMT_OK or LSMT_EXISTS (the node is then dropped; publishing an
 * already published node also returns LSMT_EXISTS and changes nothing). LSMT_INVALID:
 * NULL list or node, a node that is not inside the list's arena or whose header is out
 * of range, an ENCODED entry that is malformed or does not fit the bytes reserved (a bad
 * varint, a key length below 8 or over LSMT_SKIPLIST_MAX_KEY_LEN + 8, a value running
 * past the end): nothing is published. Thread-safe like insert, and
 * `hint` as there. REQUIRES: `node` came from node_alloc on this list since its last
 * reset, and no two threads publish the same node at once. */
LSMT_API lsmt_status lsmt_skiplist_node_insert(lsmt_skiplist *sl, lsmt_skiplist_hint *hint,
                                               lsmt_skiplist_node *node);
/* node_insert for n nodes, in array order, through the calling thread's splice;
 * statuses[i] is node i's (LSMT_OK or LSMT_EXISTS; a node equal to an earlier one of the
 * batch is its duplicate). First the n searches run interleaved, as in seek_batch, which
 * loads every node's search path with the misses overlapped; the inserts then search and
 * link through cached lines. Returns LSMT_OK when every node was inserted or refused
 * (see statuses), else LSMT_INVALID (NULL sl, a NULL array with n > 0, or a node
 * node_insert would refuse: nothing inserted). Same REQUIRES as node_insert, for every
 * node. */
LSMT_API lsmt_status lsmt_skiplist_node_insert_batch(lsmt_skiplist *sl, size_t n,
                                                     lsmt_skiplist_node *const *nodes,
                                                     lsmt_status *statuses);

/* The entry equal to (key, version), or NULL (also for bad input). O(log n). */
LSMT_API const lsmt_skiplist_node *lsmt_skiplist_find(const lsmt_skiplist *sl, const void *key,
                                                      size_t klen, uint64_t version);
/* Batched seek: out[i] = the first entry >= (keys[i], versions[i]), or NULL when there is
 * none -- what lsmt_skiplist_iter_seek would land on -- for every i < n. The searches are
 * interleaved: each one runs until it reaches a node it has not touched, prefetches it
 * and hands over to the next, so up to 32 cache misses overlap instead of being paid one
 * after another. O(n log N) work with the misses of up to 32 searches overlapped. Same
 * guarantees as n separate seeks made while the call runs; never blocks. Keys may repeat
 * and need no order. LSMT_INVALID (nothing written) for NULL sl, a NULL array with
 * n > 0, or a bad key (NULL with a length, or longer than LSMT_SKIPLIST_MAX_KEY_LEN). */
LSMT_API lsmt_status lsmt_skiplist_seek_batch(const lsmt_skiplist *sl, size_t n,
                                              const void *const *keys, const size_t *klens,
                                              const uint64_t *versions,
                                              const lsmt_skiplist_node **out);

/* What node `n` holds (lsmt_skiplist_entry). O(1). LSMT_INVALID for NULL arguments. */
LSMT_API lsmt_status lsmt_skiplist_node_entry(const lsmt_skiplist_node *n,
                                              lsmt_skiplist_entry *out);

/* ---- iterator ----------------------------------------------------------------------
 * Positioning calls return LSMT_OK when the iterator stands on an entry, LSMT_END when
 * there is none (lsmt_skiplist_iter_node then returns NULL), LSMT_INVALID on bad
 * arguments (the iterator is unchanged). seek* order by (key, version desc) like the
 * list. Cost: next is O(1); seek, seek_for_prev, prev and seek_to_last are O(log n) each
 * (the list has no backward links). */
/* Bind `it` to `sl`, not positioned. LSMT_INVALID for NULL it or sl. */
LSMT_API lsmt_status lsmt_skiplist_iter_init(lsmt_skiplist_iter *it, const lsmt_skiplist *sl);
/* The first entry; LSMT_END for an empty list. O(1). */
LSMT_API lsmt_status lsmt_skiplist_iter_seek_to_first(lsmt_skiplist_iter *it);
/* The last entry; LSMT_END for an empty list. */
LSMT_API lsmt_status lsmt_skiplist_iter_seek_to_last(lsmt_skiplist_iter *it);
/* First entry >= (key, version). */
LSMT_API lsmt_status lsmt_skiplist_iter_seek(lsmt_skiplist_iter *it, const void *key, size_t klen,
                                             uint64_t version);
/* Last entry <= (key, version). */
LSMT_API lsmt_status lsmt_skiplist_iter_seek_for_prev(lsmt_skiplist_iter *it, const void *key,
                                                      size_t klen, uint64_t version);
/* The next entry. REQUIRES positioned (else LSMT_INVALID). After a run of next calls (a
 * scan), next also reads ahead along independent stretches of level 0 and prefetches
 * their nodes and values, so a long scan overlaps its cache misses instead of taking one
 * full memory latency per entry. The read-ahead only prefetches: results are the same. */
LSMT_API lsmt_status lsmt_skiplist_iter_next(lsmt_skiplist_iter *it);
/* The entry before the current one. REQUIRES positioned (else LSMT_INVALID); LSMT_END at
 * the first entry. */
LSMT_API lsmt_status lsmt_skiplist_iter_prev(lsmt_skiplist_iter *it);
/* The current entry; NULL when not positioned (or for NULL). */
LSMT_API const lsmt_skiplist_node *lsmt_skiplist_iter_node(const lsmt_skiplist_iter *it);

/* Statistics: memory outside the arena, heights, finger table size. O(1). LSMT_INVALID
 * for NULL arguments. */
LSMT_API lsmt_status lsmt_skiplist_stats_get(const lsmt_skiplist *sl, lsmt_skiplist_stats *out);

/* Full check of the invariants (order, towers agree with level 0, lengths in range):
 * LSMT_OK or LSMT_CORRUPT; *count (may be NULL) receives the number of entries.
 * REQUIRES: no insert in flight. O(n). */
LSMT_API lsmt_status lsmt_skiplist_validate(const lsmt_skiplist *sl, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* LSMT_SKIPLIST_H */
