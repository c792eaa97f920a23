/* Internal interface of the concurrent arena (arena/concurrent.c) for the arena pool
 * (arena/pool.c) and the tests. Never installed; the symbols have hidden visibility
 * (they are not LSMT_API), so they are reachable only from inside the library objects
 * and from in-tree programs that link the static layer libraries. */
#ifndef LSMT_ARENA_CONCURRENT_INTERNAL_H
#define LSMT_ARENA_CONCURRENT_INTERNAL_H

#include "lsmt/arena.h"

#include <stdbool.h>
#include <stddef.h>

/* Validate `in` (NULL = defaults) and write the fully resolved options to *out: the
 * shard count 0 replaced by the CPU count, a NULL backing by lsmt_backing_os().
 * LSMT_INVALID for out-of-range fields; *out written only on success. */
lsmt_status lsmt_sharded_arena_resolve_options(const lsmt_sharded_arena_options *in,
                                               lsmt_sharded_arena_options *out);

/* True when `a` was created with options that resolve to `resolved` (capacity, shard
 * count, chunk size, huge pages, backing). */
bool lsmt_sharded_arena_matches(const lsmt_sharded_arena *a,
                                const lsmt_sharded_arena_options *resolved);

/* lsmt_sharded_arena_release_pages, also reporting in *discarded (may be NULL) the bytes of
 * address space handed to the backing's discard (0 when nothing was touched since the
 * last discard). Same precondition and statuses. */
lsmt_status lsmt_sharded_arena_release_pages_n(lsmt_sharded_arena *a, size_t *discarded);

/* Test support. In debug builds (LSMT_DEBUG) every lsmt_sharded_arena_alloc on `a` calls
 * fn(ctx) while the allocation is marked in flight, so a test can hold an allocation
 * in flight deterministically and check that reset_all reports LSMT_BUSY. fn == NULL
 * removes the hook. REQUIRES: no alloc on `a` in flight or concurrent with this call
 * (set it before starting the threads). Returns false (and does nothing) in non-debug
 * builds, where allocations are not tracked. */
typedef void (*lsmt_sharded_arena_debug_hook)(void *ctx);
bool lsmt_sharded_arena_debug_set_alloc_hook(lsmt_sharded_arena *a,
                                             lsmt_sharded_arena_debug_hook fn, void *ctx);

#endif
