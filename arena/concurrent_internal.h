/* Internal interface of the sharded arena (arena/concurrent.c) for the rest of the
 * library (the pool, the skip list, the memtable), the tests and the tools. Never
 * installed. Every symbol has hidden visibility, so it is reachable only from inside the
 * library objects and from in-tree programs that link the static layer libraries
 * (tests/CMakeLists.txt); liblsmt.so does not export it. The accessors end in '_' (the
 * tree's internal style, as lsmt_bump_arena_used_ in bump_internal.h). */
#ifndef LSMT_ARENA_CONCURRENT_INTERNAL_H
#define LSMT_ARENA_CONCURRENT_INTERNAL_H

#include "lsmt/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The region's first byte (invariant 2 of lsmt_sharded_arena in include/lsmt/arena.h:
 * page aligned, fixed between create and destroy). NULL for a NULL arena. O(1). */
__attribute__((visibility("hidden"))) void *lsmt_sharded_arena_base_(const lsmt_sharded_arena *a);

/* The region's size, the capacity option (invariant 2). 0 for a NULL arena. O(1). */
__attribute__((visibility("hidden"))) size_t
lsmt_sharded_arena_capacity_(const lsmt_sharded_arena *a);

/* Bytes carved from the region so far, the stats' bytes_reserved: one relaxed load,
 * O(1) (the memtable's should_flush test on its write path), <= capacity, and monotone
 * between two reset_all. 0 for a NULL arena. */
__attribute__((visibility("hidden"))) size_t
lsmt_sharded_arena_bytes_reserved_(const lsmt_sharded_arena *a);

/* Bytes of address space the region maps: capacity rounded up to the page (2 MiB with
 * huge pages); what destroying the arena unmaps. 0 for a NULL arena. O(1). */
__attribute__((visibility("hidden"))) size_t
lsmt_sharded_arena_mapped_bytes_(const lsmt_sharded_arena *a);

/* The arena's unique id (invariant 3: never reused within a process, never 0). 0 for a
 * NULL arena. O(1). The tests use it to prove that a new arena at a destroyed one's
 * address sees no stale claim. */
__attribute__((visibility("hidden"))) uint64_t lsmt_sharded_arena_id_(const lsmt_sharded_arena *a);

/* Validate `in` (NULL = defaults) and write the fully resolved options to *out: the
 * shard count 0 replaced by the CPU count, a NULL backing by lsmt_backing_os().
 * LSMT_INVALID for out-of-range fields; *out written only on success. */
__attribute__((visibility("hidden"))) lsmt_status
lsmt_sharded_arena_resolve_options(const lsmt_sharded_arena_options *in,
                                   lsmt_sharded_arena_options *out);

/* True when `a` was created with options that resolve to `resolved` (capacity, shard
 * count, chunk size, huge pages, backing). */
__attribute__((visibility("hidden"))) bool
lsmt_sharded_arena_matches(const lsmt_sharded_arena *a, const lsmt_sharded_arena_options *resolved);

/* lsmt_sharded_arena_release_pages, also reporting in *discarded (may be NULL) the bytes
 * of address space handed to the backing's discard (0 when nothing was touched since the
 * last discard). Same precondition and statuses. */
__attribute__((visibility("hidden"))) lsmt_status
lsmt_sharded_arena_release_pages_n(lsmt_sharded_arena *a, size_t *discarded);

/* Test support. In debug builds (LSMT_DEBUG) every lsmt_sharded_arena_alloc on `a` calls
 * fn(ctx) while the allocation is marked in flight, so a test can hold an allocation
 * in flight deterministically and check that reset_all reports LSMT_BUSY. fn == NULL
 * removes the hook. REQUIRES: no alloc on `a` in flight or concurrent with this call
 * (set it before starting the threads). Returns false (and does nothing) in non-debug
 * builds, where allocations are not tracked. */
typedef void (*lsmt_sharded_arena_debug_hook)(void *ctx);
__attribute__((visibility("hidden"))) bool
lsmt_sharded_arena_debug_set_alloc_hook(lsmt_sharded_arena *a, lsmt_sharded_arena_debug_hook fn,
                                        void *ctx);

#ifdef LSMT_FAULT_INJECTION
/* Test builds only (configured with -DLSMT_FAULT_INJECTION=ON; never in a release):
 * when set and it returns true, the sharded arena's next carve from its region (a chunk
 * refill, a large direct allocation, a shared-path allocation) fails as if the region
 * were exhausted, so callers see LSMT_FULL. Set it before the threads that allocate
 * start (a plain variable: written once, read by the allocating threads after the
 * caller's own thread start orders the write). */
__attribute__((visibility("hidden"))) extern bool (*lsmt_sharded_arena_test_fault_hook)(void);
#endif

#endif
