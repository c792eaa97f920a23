/* lsmt arenas: region-based memory for the memtable and its helpers.
 *
 * Five kinds, one source file each under arena/:
 *   lsmt_bump_arena     (bump.c)        single-threaded, block-chained bump allocator
 *   lsmt_sharded_arena  (concurrent.c)  sharded concurrent arena over one mmap'd region
 *   lsmt_arena_pool     (pool.c)        recycles reset sharded arenas across flushes
 *   lsmt_scratch_*      (scratch.c)     per-thread bump arena for temporaries, and the
 *                                       growable lsmt_abuf / lsmt_avec on any bump arena
 *   lsmt_ring           (ring.c)        fixed-capacity ring for short-lived buffers
 * plus lsmt_backing     (backing.c)     the page layer (mmap/munmap/madvise) that the
 *                                       sharded arena and the pool map memory through
 *
 * Memory from an arena is never freed piecemeal: it is released all at once by reset
 * or destroy. A pointer an arena returned is valid until that arena's next reset or
 * its destroy.
 *
 * Every allocation call has the same shape:
 *     lsmt_status lsmt_X_alloc(X *x, size_t size, size_t align, OUT *out)
 * with align 0 meaning the kind's default alignment; *out is written only on success.
 *
 * Thread safety (which calls may run concurrently on ONE object):
 *
 *   object              concurrent calls allowed                 must be exclusive
 *   ------------------  ---------------------------------------  ---------------------
 *   lsmt_bump_arena     none (single-threaded)                   everything
 *   lsmt_sharded_arena  alloc, stats_get, release_thread (each   reset_all,
 *                       thread gives up its own claim)           release_pages, destroy
 *   lsmt_arena_pool     every call (an internal mutex; it is     destroy
 *                       never on an allocation hot path)
 *   scratch             per thread by construction; the          -
 *                       process-wide fields of stats_get may be
 *                       read from any thread
 *   lsmt_abuf/avec      none (single-threaded like their arena)  everything
 *   lsmt_ring           release from any thread                  alloc, ext_*, stats_get
 *                                                                (one producer), destroy
 */
#ifndef LSMT_ARENA_H
#define LSMT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsmt/lsmt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================================
 * Backing: the page layer under the sharded arena and the pool
 * ===================================================================================
 * All page-level calls of lsmt_sharded_arena and lsmt_arena_pool go through one of these, so
 * a test can count them and a fault-injection build can fail them. NULL everywhere
 * means lsmt_backing_os() (mmap/munmap/madvise). Each hook returns 0 on success and
 * nonzero on failure (the arena then returns LSMT_NOMEM and changes nothing). */
typedef struct lsmt_backing {
    /* Reserve `size` bytes of readable, writable, zero-filled address space aligned to
     * at least `align` (a power of two, >= page size); *out receives the address. */
    int (*map)(void *ctx, size_t size, size_t align, void **out);
    /* Return a region obtained from map (same addr and size). */
    int (*unmap)(void *ctx, void *addr, size_t size);
    /* Drop the physical pages of [addr, addr+size) but keep the mapping (next touch
     * reads zeros): madvise(MADV_DONTNEED). */
    int (*discard)(void *ctx, void *addr, size_t size);
    /* Ask for transparent huge pages on [addr, addr+size): madvise(MADV_HUGEPAGE).
     * Failure is not an error (THP may be off); may be NULL. */
    int (*hugepage)(void *ctx, void *addr, size_t size);
    void *ctx; /* passed to every hook */
} lsmt_backing;

/* The operating system's backing (mmap with MAP_NORESERVE, munmap, madvise). Static;
 * never NULL; thread-safe. */
LSMT_API const lsmt_backing *lsmt_backing_os(void);

/* ===================================================================================
 * lsmt_bump_arena: single-threaded bump arena (arena/bump.c)
 * =================================================================================== */
/* Memory comes in blocks from malloc (or the block_alloc hook). A request is served
 * from the current block by a pointer bump; a request larger than a quarter of a block
 * gets a dedicated block of its own (the current block keeps serving small ones).
 * reset and rewind keep the blocks for reuse: after the first round, a workload that
 * repeats makes no block_alloc/block_free call at all (retained blocks are reused
 * best-fit, so the same requests find the same blocks).
 *
 * Thread safety: none. One thread at a time per arena (the caller serializes).
 *
 * Invariants:
 *  1. Every pointer returned is aligned to max(align, 8) and lies inside a block the
 *     arena holds; no two live allocations overlap.
 *  2. bytes_reserved <= capacity when a capacity is set; a request that would pass it
 *     returns LSMT_FULL and changes nothing.
 *  3. Nothing is freed before reset (beyond retain_bytes), rewind never frees, destroy
 *     frees everything. A pointer stays valid until the reset/destroy that follows it,
 *     or the rewind to a mark taken before it.
 *  4. Marks nest like a stack: rewinding to a mark closes it and every mark taken
 *     after it; a closed or foreign mark is rejected (LSMT_INVALID), never obeyed.
 *  5. Steady state: after reset, an allocation sequence no larger than the previous one
 *     is served from retained blocks (block_count and bytes_reserved unchanged).
 */
typedef struct lsmt_bump_arena lsmt_bump_arena;

/* An open mark of an arena (or of the thread's scratch arena): an opaque nonzero value,
 * unique in the process and never reused; 0 is never a valid mark. */
typedef uint64_t lsmt_mark;

/* Largest size or alignment any arena call accepts (larger: LSMT_INVALID). */
#define LSMT_ARENA_MAX_REQUEST (SIZE_MAX / 4)

typedef struct lsmt_bump_arena_options {
    /* Bytes per standard block, its 16-byte header included. A power of two in
     * [4 KiB, 1 GiB]; default 256 KiB. Larger blocks: fewer malloc calls and a cheaper
     * refill; smaller: less memory held by small arenas. Requests over block_size/4
     * get a dedicated block. */
    size_t block_size;
    /* Hard limit on bytes_reserved (blocks and their headers), 0 = unlimited (default).
     * Past it, allocation returns LSMT_FULL; the last standard block is cut short so
     * the capacity can be used up to the byte. */
    size_t capacity;
    /* Bytes of blocks that reset keeps for reuse; beyond it reset frees blocks (odd-sized
     * ones first). Default SIZE_MAX (keep everything: no malloc in steady state). 0 makes
     * reset free every block. */
    size_t retain_bytes;
    /* Block source, both NULL = malloc/free (default), or both set. block_alloc must
     * return memory aligned to at least 16 bytes, or NULL (the arena then returns
     * LSMT_NOMEM and changes nothing); block_free receives the size passed to
     * block_alloc. Called only from the arena's calls, on the caller's thread. */
    void *(*block_alloc)(void *ctx, size_t size);
    void (*block_free)(void *ctx, void *block, size_t size);
    void *block_ctx; /* passed to both hooks */
} lsmt_bump_arena_options;

typedef struct lsmt_bump_arena_stats {
    size_t bytes_allocated; /* bytes handed out since the last reset (sizes rounded up to 8,
                               plus alignment padding and mark records) */
    size_t bytes_reserved;  /* bytes of blocks held (in use + retained), headers included */
    size_t block_count;     /* blocks held (in use + retained) */
    size_t block_allocs;    /* block_alloc calls since create (steady state: constant) */
    size_t capacity;        /* the capacity option (0 = unlimited) */
    size_t open_marks;      /* marks currently open */
} lsmt_bump_arena_stats;

/* Fill `opt` with the defaults documented above. NULL is ignored. O(1). */
LSMT_API void lsmt_bump_arena_options_default(lsmt_bump_arena_options *opt);

/* Create an empty arena (no block is allocated until the first request). `opt` NULL =
 * defaults. LSMT_INVALID for NULL `out` or options out of range (one hook without the
 * other), LSMT_NOMEM if the arena's own header could not be malloc'd. `*out` is written
 * only on success. O(1). */
LSMT_API lsmt_status lsmt_bump_arena_create(const lsmt_bump_arena_options *opt,
                                            lsmt_bump_arena **out);

/* Free every block and the arena. NULL is a no-op. Every pointer it returned becomes
 * invalid. O(blocks held). */
LSMT_API void lsmt_bump_arena_destroy(lsmt_bump_arena *a);

/* Allocate `size` bytes aligned to `align`: a power of two up to LSMT_ARENA_MAX_REQUEST,
 * 0 meaning the default 8 (values below 8 give 8).
 * Cost: a request with align <= 8 that fits the current block is one compare and one
 * add. Otherwise the slow path: padding for the alignment (O(1)), or a block: a retained
 * standard block (O(1)), the best-fitting retained odd block (O(retained odd blocks)),
 * or one block_alloc call.
 * LSMT_OK: *out receives uninitialised memory, valid until the next reset or destroy or
 * a rewind to a mark taken before it (invariant 3), aligned and disjoint (invariant 1).
 * LSMT_INVALID: NULL `a` or `out`, size 0, size or align > LSMT_ARENA_MAX_REQUEST,
 * align neither 0 nor a power of two. LSMT_FULL: the capacity would be passed
 * (invariant 2). LSMT_NOMEM: block_alloc failed. On failure *out is untouched and the
 * arena unchanged. */
LSMT_API lsmt_status lsmt_bump_arena_alloc(lsmt_bump_arena *a, size_t size, size_t align,
                                           void **out);

/* Grow or shrink the most recent allocation `p` (of `old_size` bytes) in place to
 * `new_size` bytes. LSMT_OK when `p` is the last allocation of the current block and
 * the block has room (contents kept); LSMT_FULL when it cannot be done in place (p is
 * not the last allocation, sits in a dedicated block, or the block is too small): the
 * caller then allocates anew and copies. LSMT_INVALID for NULL a/p, zero sizes, sizes
 * > LSMT_ARENA_MAX_REQUEST. O(1). The growable buffers below use it. */
LSMT_API lsmt_status lsmt_bump_arena_try_grow(lsmt_bump_arena *a, void *p, size_t old_size,
                                              size_t new_size);

/* Make all memory reusable: every pointer handed out and every open mark become
 * invalid. Blocks are kept up to retain_bytes (invariant 5). O(blocks held).
 * LSMT_INVALID for NULL. */
LSMT_API lsmt_status lsmt_bump_arena_reset(lsmt_bump_arena *a);

/* Open a mark at the current position. The mark record (about 64 bytes) is itself
 * allocated from the arena, so this can fail: LSMT_INVALID (NULL arguments), LSMT_FULL,
 * LSMT_NOMEM. `*out` is written only on success. O(1), as an allocation. */
LSMT_API lsmt_status lsmt_bump_arena_mark(lsmt_bump_arena *a, lsmt_mark *out);

/* Free everything allocated since `mark` was taken (blocks are kept for reuse) and
 * close it and every later mark (invariant 4). LSMT_INVALID for a NULL arena or a mark
 * that is not open on this arena (already rewound, from before a reset, foreign, 0):
 * nothing changes then. O(number of marks opened after `mark` + blocks released). */
LSMT_API lsmt_status lsmt_bump_arena_rewind(lsmt_bump_arena *a, lsmt_mark mark);

/* Statistics (the struct above). LSMT_INVALID for NULL arguments. O(1). */
LSMT_API lsmt_status lsmt_bump_arena_stats_get(const lsmt_bump_arena *a,
                                               lsmt_bump_arena_stats *out);

/* ===================================================================================
 * lsmt_sharded_arena: sharded concurrent arena (arena/concurrent.c)
 * ===================================================================================
 * One region of `capacity` bytes is reserved with the backing's map at create (pages
 * are faulted in on first touch only). A fixed set of shards each carve fixed-size
 * chunks from the region with an atomic CAS on the region cursor (never past
 * capacity); allocation inside a chunk is a pointer bump. A writer thread claims a
 * shard exclusively the first time it allocates from an arena (an atomic round-robin
 * counter picks the starting shard) and caches the claim in thread-local storage (8
 * arenas per thread, least recently used evicted) keyed by the arena's never-reused
 * 64-bit id, so the hot path takes no lock and no read-modify-write when the thread
 * owns its shard.
 *
 * More writer threads than shards: a thread that finds every shard owned allocates on
 * the shared path (a lock-free CAS bump of the region cursor, one contended cache line)
 * and retries to claim a shard every 128 allocations. A claim is released when its
 * thread exits, when its cache entry is evicted, or by lsmt_sharded_arena_release_thread;
 * never by reset_all.
 *
 * Space: a refill abandons the rest of the shard's chunk, so each chunk wastes less
 * than the request that did not fit; requests above chunk_size / 4 that do not fit are
 * carved directly from the region instead (waste <= a quarter chunk per refill). When
 * less than a chunk remains, a refill takes the region's tail: the arena fills up to
 * its capacity.
 *
 * Invariants:
 *  1. Every allocation lies inside [base, base + capacity) and no two live allocations
 *     overlap, whatever the number of threads (more threads than shards share the
 *     region cursor safely with an atomic CAS bump).
 *  2. base and capacity never change between create and destroy, so an offset from
 *     base is a stable 32-bit-or-larger handle (the skip list stores links this way).
 *     base is page aligned (2 MiB aligned with huge_pages).
 *  3. A thread's cached claim belongs to one arena id; ids are never reused, so an
 *     arena created at the address of a destroyed one never sees stale claims.
 *  4. A thread that exits releases its claims on arenas that are still alive.
 *  5. reset_all makes all memory reusable in place (no unmap, pages stay faulted),
 *     keeps thread claims valid, and must not run while any alloc is in flight
 *     (debug builds -- LSMT_DEBUG: the Debug build type or -DLSMT_DEBUG_CHECKS=ON --
 *     count allocations in flight and return LSMT_BUSY when they see one).
 *  6. Memory returned is zero-filled only the first time it is used; after reset_all it
 *     holds old bytes.
 */
typedef struct lsmt_sharded_arena lsmt_sharded_arena;

typedef struct lsmt_sharded_arena_options {
    /* Bytes of address space reserved for the region; the hard limit of the arena:
     * an allocation that does not fit returns LSMT_FULL.
     * Default 64 MiB. Range [chunk_size, 2^40]. */
    size_t capacity;
    /* Number of shards. 0 = the CPU count (sysconf), at least 1, at most 256.
     * More shards than writer threads wastes at most one partly used chunk per shard. */
    size_t shard_count;
    /* Bytes a shard takes from the region at a time. Default 256 KiB; a power of two
     * in [4 KiB, capacity]. Larger chunks mean rarer refills (one CAS on the shared
     * region cursor each); smaller ones less waste per shard. Allocations larger than
     * chunk_size / 4 that do not fit the current chunk are carved directly from the
     * region. */
    size_t chunk_size;
    /* Ask for transparent huge pages on the region (madvise MADV_HUGEPAGE; the region
     * is then 2 MiB aligned). Default false. Fewer TLB misses and page faults on large
     * memtables; costs up to 2 MiB of resident memory per touched huge page. */
    bool huge_pages;
    /* Page layer; NULL = lsmt_backing_os(). Must outlive the arena. */
    const lsmt_backing *backing;
} lsmt_sharded_arena_options;

typedef struct lsmt_sharded_arena_stats {
    size_t bytes_allocated; /* sum of the sizes handed out, plus the alignment padding
                               of bump allocations inside shard chunks */
    size_t bytes_reserved;  /* bytes carved from the region (chunks, direct carves,
                               shared-path allocations, alignment gaps): <= capacity and
                               >= bytes_allocated (the difference is the free part of
                               each shard's chunk plus abandoned chunk tails) */
    size_t capacity;        /* the region's size */
    size_t chunk_count;     /* chunks carved since create or the last reset_all */
    size_t shard_count;     /* number of shards */
    size_t shards_claimed;  /* shards currently owned by a thread */
    size_t shared_allocs;   /* allocations that went through the shared (atomic) path */
} lsmt_sharded_arena_stats;

/* Fill `opt` with the defaults documented above. NULL is ignored. O(1). */
LSMT_API void lsmt_sharded_arena_options_default(lsmt_sharded_arena_options *opt);

/* Create an arena: one map call for the region (address space only: no page is
 * touched) and O(shard count) initialisation. LSMT_INVALID for NULL `out` or bad
 * options, LSMT_NOMEM if the backing refused the region. `*out` is written only on
 * success. */
LSMT_API lsmt_status lsmt_sharded_arena_create(const lsmt_sharded_arena_options *opt,
                                               lsmt_sharded_arena **out);

/* Unmap the region and free the arena. NULL is a no-op. REQUIRES: no call on this
 * arena is in flight or will be made; pointers into it become invalid. Threads that
 * still cache a claim on it are unaffected (invariant 3). O(1) plus one unmap. */
LSMT_API void lsmt_sharded_arena_destroy(lsmt_sharded_arena *a);

/* Allocate `size` bytes aligned to `align` (a power of two <= 4096; 0 means 8).
 * Thread-safe and lock-free. Cost: O(1) and wait-free (no atomic read-modify-write)
 * while the calling thread owns a shard whose chunk has room; a chunk refill or a large
 * request costs one CAS loop on the region cursor; a thread's first allocation on an
 * arena claims a shard (O(shard count) CAS attempts); with more writer threads than
 * shards, the threads left without one bump the region cursor by CAS.
 * LSMT_OK: *out receives memory inside [base, base + capacity), disjoint from every
 * other live allocation (invariant 1), valid until reset_all, release_pages or destroy;
 * it is zero-filled only the first time it is used (invariant 6).
 * LSMT_INVALID: NULL `a` or `out`, size 0, size > capacity (it could never fit, so
 * "flush and retry" would not help), align neither 0 nor a power of two <= 4096.
 * LSMT_FULL: the region has no room for it now (the arena is unchanged).
 * *out is written only on success. */
LSMT_API lsmt_status lsmt_sharded_arena_alloc(lsmt_sharded_arena *a, size_t size, size_t align,
                                              void **out);

/* Aggregate statistics (the struct above): O(shard count) relaxed loads, so a snapshot
 * that may lag allocations in flight in other threads; each counter is monotone
 * between two reset_all. LSMT_INVALID for NULL arguments. Thread-safe. */
LSMT_API lsmt_status lsmt_sharded_arena_stats_get(const lsmt_sharded_arena *a,
                                                  lsmt_sharded_arena_stats *out);

/* Make all memory reusable in place (invariant 5) in O(shard count). Every pointer it
 * returned becomes invalid; statistics restart from 0 (shards_claimed excepted: claims
 * stay). REQUIRES: no lsmt_sharded_arena_alloc in flight on this arena, ordered by the
 * caller's own synchronization (join, barrier, mutex...). Returns LSMT_OK, or
 * LSMT_BUSY when a debug build caught an allocation in flight (nothing reset; the
 * check is best effort: it sees allocations that started before it), or LSMT_INVALID
 * for NULL. */
LSMT_API lsmt_status lsmt_sharded_arena_reset_all(lsmt_sharded_arena *a);

/* The calling thread gives up its claim on `a` (if it holds one) and forgets its cached
 * entry; its next alloc on `a` claims a shard again. For engines whose writer threads
 * stop writing to an arena long before they exit (a claim otherwise lasts until thread
 * exit or cache eviction, and idle owners push other writers to the shared path).
 * LSMT_OK (also when there was nothing to release), LSMT_INVALID for NULL. O(1).
 * REQUIRES: `a` alive; the calling thread has no alloc on `a` in flight (trivially). */
LSMT_API lsmt_status lsmt_sharded_arena_release_thread(lsmt_sharded_arena *a);

/* reset_all, then give the region's physical pages back to the system through the
 * backing's discard (the mapping stays; the next use faults in zero pages). Only the
 * part of the region used since the last discard is discarded (rounded up to the page,
 * or to 2 MiB with huge pages). Same precondition and statuses as reset_all, plus
 * LSMT_NOMEM if discard failed (the arena is reset either way; a later call retries).
 * O(shard count) plus one discard call. */
LSMT_API lsmt_status lsmt_sharded_arena_release_pages(lsmt_sharded_arena *a);

/* ===================================================================================
 * lsmt_arena_pool: recycles sharded arenas across flushes (arena/pool.c)
 * ===================================================================================
 * An engine checks out an arena for each new memtable and gives it back after the
 * flush. give_back resets the arena in O(shard count), independent of how much was
 * allocated (its pages stay faulted, the writer threads' claims stay) and keeps it idle
 * for the next checkout, up to `max_idle`; beyond that the arena is destroyed. So in
 * steady state checkout/give_back make no map/unmap calls and take no page faults
 * (stats: arenas_created and arenas_destroyed stay constant). trim drops the physical
 * pages of idle arenas (keeping their mappings) when the engine goes quiet, or
 * destroys the idle arenas.
 *
 * Invariants:
 *  1. idle <= max_idle at every return.
 *  2. Every arena in the pool was created with the pool's arena options; an arena
 *     given back is reset before anyone can check it out again.
 *  3. A failed call (factory failure, bad input) leaves the pool unchanged.
 *
 * Thread safety: every call may run concurrently with every other (one internal mutex;
 * arena creation and destruction run outside it), except destroy. The most recently
 * given back arena is checked out first (its pages are the likeliest to be resident).
 */
typedef struct lsmt_arena_pool lsmt_arena_pool;

typedef struct lsmt_arena_pool_options {
    /* Options of every arena the pool creates (its factory). Default: the
     * lsmt_sharded_arena_options defaults. */
    lsmt_sharded_arena_options arena;
    /* Idle arenas kept for reuse; give_back beyond it destroys the arena. Default 4;
     * range [0, 65536] (0: the pool only creates). Each idle arena holds `capacity`
     * bytes of address space and whatever pages it touched until a trim. */
    size_t max_idle;
} lsmt_arena_pool_options;

/* A consistent snapshot (taken under the pool's mutex). */
typedef struct lsmt_arena_pool_stats {
    size_t idle;             /* arenas idle in the pool (<= max_idle, invariant 1) */
    size_t max_idle;         /* the max_idle option */
    size_t arenas_created;   /* arenas the pool created since create (checkout of an
                                empty pool, prewarm): one map call each */
    size_t arenas_destroyed; /* arenas the pool destroyed since create (give_back to a
                                full pool, prewarm surplus or rollback, trim with
                                LSMT_POOL_DESTROY_IDLE): one unmap call each */
} lsmt_arena_pool_stats;

/* What lsmt_arena_pool_trim gives back. */
typedef enum lsmt_arena_pool_trim_mode {
    /* Drop the physical pages of every idle arena through the backing's discard, keeping
     * the arenas and their mappings: the next checkout re-faults zero pages instead of
     * mapping anew. Only what each arena touched since its last discard is discarded. */
    LSMT_POOL_DISCARD_PAGES = 0,
    /* Destroy every idle arena (unmapping it); the next checkout maps a new one. */
    LSMT_POOL_DESTROY_IDLE = 1
} lsmt_arena_pool_trim_mode;

/* Fill `opt` with the defaults documented above. NULL is ignored. O(1). */
LSMT_API void lsmt_arena_pool_options_default(lsmt_arena_pool_options *opt);

/* Create an empty pool (no arena is created until checkout or prewarm). opt == NULL
 * means defaults. LSMT_INVALID for NULL `out` or bad options (the arena options are
 * validated as lsmt_sharded_arena_create would); LSMT_NOMEM if memory for the pool
 * itself failed. `*out` written only on success. O(1). */
LSMT_API lsmt_status lsmt_arena_pool_create(const lsmt_arena_pool_options *opt,
                                            lsmt_arena_pool **out);

/* Destroy every idle arena and the pool. Arenas still checked out remain the caller's
 * (destroy them with lsmt_sharded_arena_destroy). NULL is a no-op. O(idle) unmaps. */
LSMT_API void lsmt_arena_pool_destroy(lsmt_arena_pool *p);

/* Take an idle arena (already reset) or create one with the pool's options. O(1)
 * (one map call when the pool is empty). LSMT_INVALID for NULL arguments; LSMT_NOMEM
 * from the factory leaves the pool unchanged. `*out` written only on success. */
LSMT_API lsmt_status lsmt_arena_pool_checkout(lsmt_arena_pool *p, lsmt_sharded_arena **out);

/* Return an arena: reset it (REQUIRES: no allocation in flight on it) and keep it idle,
 * or destroy it when max_idle are already idle; LSMT_OK either way. LSMT_INVALID for
 * NULL, for an arena whose capacity/shards/chunk size/huge pages/backing differ from
 * the pool's options, or for an arena already idle in the pool (given back twice);
 * LSMT_BUSY when a debug build saw an allocation in flight. On failure the arena is
 * not taken and stays the caller's. O(shard count + idle) (one unmap when it is
 * destroyed). */
LSMT_API lsmt_status lsmt_arena_pool_give_back(lsmt_arena_pool *p, lsmt_sharded_arena *a);

/* Create arenas until `n` are idle (capped at max_idle). It maps address space only:
 * no page is touched, so the first fill of each still takes its page faults.
 * All or nothing: LSMT_NOMEM if the factory failed, and then the arenas it created
 * are destroyed again (pool unchanged, invariant 3). LSMT_INVALID for NULL.
 * O(n) map calls. */
LSMT_API lsmt_status lsmt_arena_pool_prewarm(lsmt_arena_pool *p, size_t n);

/* The pool's statistics (the struct above). LSMT_INVALID for NULL arguments. O(1). */
LSMT_API lsmt_status lsmt_arena_pool_stats_get(const lsmt_arena_pool *p,
                                               lsmt_arena_pool_stats *out);

/* Give back the memory of the idle arenas, as `how` says (see lsmt_arena_pool_trim_mode);
 * checked-out arenas are not affected. O(idle) discard or unmap calls.
 * LSMT_POOL_DISCARD_PAGES holds the pool's mutex meanwhile, so no checkout can take an
 * arena whose pages are being dropped; LSMT_POOL_DESTROY_IDLE unmaps outside it.
 * *released (may be NULL) receives, on success only, the bytes of address space
 * discarded or unmapped. LSMT_INVALID for NULL `p` or an unknown `how`; LSMT_NOMEM if a
 * discard failed (the other arenas are still discarded; a later trim retries). */
LSMT_API lsmt_status lsmt_arena_pool_trim(lsmt_arena_pool *p, lsmt_arena_pool_trim_mode how,
                                          size_t *released);

/* ===================================================================================
 * Scratch: per-thread bump arena for temporaries (arena/scratch.c)
 * =================================================================================== */
/* Each thread that calls a scratch function gets its own lsmt_bump_arena (64 KiB blocks),
 * created on first use and destroyed when the thread exits (a pthread key destructor;
 * a thread that returns from main() and calls exit() keeps it until process exit). No
 * call takes a lock; the registry totals are atomics.
 *
 * Marks: scratch memory is scoped with the bump arena's own marks on this thread's
 * scratch arena:
 *     lsmt_mark m;
 *     if (lsmt_bump_arena_mark(lsmt_scratch_arena(), &m) == LSMT_OK) {
 *         ... lsmt_scratch_alloc(...) ...
 *         lsmt_bump_arena_rewind(lsmt_scratch_arena(), m);
 *     }
 * (lsmt_scratch_arena() returns the same arena until lsmt_scratch_release, which a mark
 * being open refuses.)
 *
 * Lifetime of scratch memory (the contract):
 *  - Memory allocated while a mark is open is valid until that mark (or an enclosing
 *    one) is rewound. Auto-reset never touches it, lsmt_scratch_reset and
 *    lsmt_scratch_release refuse to run (LSMT_BUSY): memory under a mark is only ever
 *    released by rewinding it. This holds for every mark opened with
 *    lsmt_bump_arena_mark on lsmt_scratch_arena().
 *  - Memory allocated while no mark is open ("loose" memory) is valid until this
 *    thread's next lsmt_scratch_reset / lsmt_scratch_release, or until an auto-reset.
 *  - AUTO-RESET happens exactly here: at the start of lsmt_scratch_alloc, when this
 *    thread has NO open mark and its bytes_allocated exceeds its threshold (default
 *    10 MiB). The arena is then reset as by lsmt_scratch_reset (keeping at most
 *    `threshold` bytes of blocks) before the request is served. So loose memory is for
 *    immediate use; keep memory across further scratch allocations by opening a mark
 *    first. Direct lsmt_bump_arena_* calls on lsmt_scratch_arena() never auto-reset.
 *
 * Registry: every thread's scratch publishes the bytes of blocks it holds into a
 * process-wide atomic total when its blocks change (never on the allocation hot path);
 * any thread reads the total in lsmt_scratch_stats_get's total_bytes. A thread's exit
 * frees its blocks and subtracts them.
 *
 * Growable arrays (lsmt_abuf for bytes, lsmt_avec for typed elements) live in any
 * lsmt_bump_arena, including this thread's scratch arena (lsmt_scratch_arena()): they grow in
 * place while they are the arena's last allocation, else move (copy) to a new, larger
 * allocation (the old copy stays in the arena until reset). They follow the lifetime of
 * the arena memory they sit in; they are single-threaded like their arena.
 */

typedef struct lsmt_scratch_stats {
    size_t bytes_allocated; /* this thread: bytes handed out since the last (auto-)reset */
    size_t bytes_reserved;  /* this thread: bytes of blocks held */
    size_t block_count;     /* this thread: blocks held */
    size_t threshold;       /* this thread's auto-reset threshold */
    size_t auto_resets;     /* this thread: auto-resets so far */
    size_t open_marks;      /* this thread: marks open */
    /* Process-wide, whichever thread asks: relaxed loads of the registry, a snapshot that
     * may lag block changes in flight in other threads (never torn). */
    size_t total_bytes;  /* bytes of blocks held by the scratch arenas of all threads */
    size_t thread_count; /* threads currently holding a scratch arena */
} lsmt_scratch_stats;

/* Default auto-reset threshold of every thread. */
#define LSMT_SCRATCH_DEFAULT_THRESHOLD ((size_t)10 * 1024 * 1024)

/* Allocate `size` bytes aligned to `align` (as lsmt_bump_arena_alloc: a power of two up
 * to LSMT_ARENA_MAX_REQUEST, 0 meaning 8) from this thread's scratch arena, creating the
 * arena on the thread's first call and auto-resetting first as described above.
 * Cost: O(1), a thread-local load, the auto-reset test (two loads and a compare) and
 * lsmt_bump_arena_alloc; an auto-reset costs O(blocks held).
 * LSMT_OK: *out is set; the memory lives as the contract above says.
 * LSMT_INVALID: NULL `out`, size 0, size or align > LSMT_ARENA_MAX_REQUEST, align
 * neither 0 nor a power of two (checked before anything else: nothing changes, no arena
 * is created). LSMT_NOMEM: the arena or a block could not be obtained (nothing changes
 * then, except a due auto-reset). *out is written only on success. */
LSMT_API lsmt_status lsmt_scratch_alloc(size_t size, size_t align, void **out);

/* Release all of this thread's scratch memory for reuse, keeping at most `threshold`
 * bytes of blocks. O(blocks held). LSMT_OK (also when the thread has no scratch yet),
 * LSMT_BUSY when a mark is open (nothing is reset). */
LSMT_API lsmt_status lsmt_scratch_reset(void);

/* Set this thread's auto-reset threshold in bytes: [4096, SIZE_MAX], SIZE_MAX = never
 * auto-reset. Also the bytes of blocks a reset keeps. Takes effect at the next alloc.
 * LSMT_RANGE outside the range (nothing changes). O(1). */
LSMT_API lsmt_status lsmt_scratch_set_threshold(size_t bytes);

/* Free this thread's scratch arena now (its blocks go back to the system and leave the
 * registry); the next scratch call creates a new one. O(blocks held). LSMT_OK (also
 * when the thread has none), LSMT_BUSY when a mark is open (nothing is freed). */
LSMT_API lsmt_status lsmt_scratch_release(void);

/* Statistics (the struct above): this thread's fields (all zero but the threshold
 * before its first scratch use) and the process-wide ones. O(1). LSMT_INVALID for
 * NULL. */
LSMT_API lsmt_status lsmt_scratch_stats_get(lsmt_scratch_stats *out);

/* This thread's scratch arena, created on demand, for lsmt_abuf/lsmt_avec, marks
 * (above) or direct lsmt_bump_arena_* use (which bypasses auto-reset; the memory follows
 * the contract above). NULL when it could not be created. O(1). Never destroy it: it is
 * destroyed at thread exit or by lsmt_scratch_release (which invalidates this pointer). */
LSMT_API lsmt_bump_arena *lsmt_scratch_arena(void);

/* A growable byte buffer in an arena (bumpalo's String/Vec<u8> counterpart).
 * data[0..len) are the bytes. Fields are readable; the one field a caller may write is
 * `len`, and only to shrink it: `b->len = 0` empties the buffer keeping its capacity.
 * Everything else changes only through the functions. */
typedef struct lsmt_abuf {
    lsmt_bump_arena *arena; /* the arena it lives in */
    unsigned char *data;    /* NULL while cap == 0 */
    size_t len;             /* bytes in use, <= cap; the caller may lower it */
    size_t cap;             /* bytes allocated */
} lsmt_abuf;

/* Initialise an empty buffer in `a`, reserving `initial_cap` bytes (0: nothing yet).
 * O(1), as one allocation. LSMT_INVALID (NULL b or a, initial_cap >
 * LSMT_ARENA_MAX_REQUEST), LSMT_FULL, LSMT_NOMEM; *b is written only on success. */
LSMT_API lsmt_status lsmt_abuf_init(lsmt_abuf *b, lsmt_bump_arena *a, size_t initial_cap);

/* Make room for `additional` more bytes (len + additional <= cap afterwards). Grows in
 * place when the buffer is its arena's last allocation, else moves `data` (old pointers
 * into it then see the old copy). Capacity at least doubles, so appends cost amortised
 * O(1) per byte. LSMT_INVALID (NULL b, a zeroed never-initialised b, overflow),
 * LSMT_FULL / LSMT_NOMEM from the arena (the buffer is unchanged). */
LSMT_API lsmt_status lsmt_abuf_reserve(lsmt_abuf *b, size_t additional);

/* Append `n` bytes from `p` (`p` may be NULL only when n == 0). O(n) amortised.
 * Statuses as reserve. */
LSMT_API lsmt_status lsmt_abuf_append(lsmt_abuf *b, const void *p, size_t n);

/* A growable array of fixed-size elements in an arena (bumpalo's Vec<T>). data is
 * aligned to elem_align; element i (i < len) is at (char *)data + i * elem_size, valid
 * until the array next grows. Fields are readable; the one field a caller may write is
 * `len`, and only to shrink it: `v->len = 0` empties the array keeping its capacity. */
typedef struct lsmt_avec {
    lsmt_bump_arena *arena;
    void *data;        /* NULL while cap == 0 */
    size_t len;        /* elements in use, <= cap; the caller may lower it */
    size_t cap;        /* elements allocated */
    size_t elem_size;  /* bytes per element */
    size_t elem_align; /* alignment of data */
} lsmt_avec;

/* Initialise an empty array of elements of `elem_size` bytes (>= 1) aligned to
 * `elem_align` (a power of two; 0 means 8), reserving `initial_cap` elements. O(1), as
 * one allocation. LSMT_INVALID for NULL, bad sizes/alignment or elem_size * initial_cap
 * overflow, LSMT_FULL / LSMT_NOMEM from the arena. *v is written only on success. */
LSMT_API lsmt_status lsmt_avec_init(lsmt_avec *v, lsmt_bump_arena *a, size_t elem_size,
                                    size_t elem_align, size_t initial_cap);

/* Make room for `additional` more elements (see lsmt_abuf_reserve). */
LSMT_API lsmt_status lsmt_avec_reserve(lsmt_avec *v, size_t additional);

/* Append a copy of the element at `elem` (elem_size bytes, not NULL). Amortised O(1)
 * element copies. Statuses as reserve, LSMT_INVALID also for NULL `elem`. */
LSMT_API lsmt_status lsmt_avec_push(lsmt_avec *v, const void *elem);

/* Append an uninitialised element and return its address in *slot (valid until the
 * array next grows). Amortised O(1). Statuses as reserve, LSMT_INVALID also for NULL
 * `slot`; *slot is written only on success. */
LSMT_API lsmt_status lsmt_avec_emplace(lsmt_avec *v, void **slot);

/* ===================================================================================
 * lsmt_ring: ring allocator for short-lived buffers (arena/ring.c)
 * =================================================================================== */
/* A fixed-capacity ring of bytes for short-lived buffers (the idea of the ringal crate).
 * Buffers are carved from the ring in order, each behind a 16-byte guard; a buffer is
 * released by an atomic store to its guard, from any thread. The producer reclaims
 * released buffers oldest-first, lazily, when it allocates. When the next buffer would
 * run into a buffer still live (the ring has wrapped onto it), allocation fails with
 * LSMT_FULL at once: it never blocks and never overwrites. Released buffers behind a
 * live one are reclaimed only once the live one is released (release buffers roughly
 * in allocation order for the best use of the ring).
 *
 * Thread safety: ONE producer thread (or callers that serialize) calls create, alloc,
 * ext_*, stats_get and destroy; lsmt_ring_release may run on any thread, concurrently
 * with the producer and with other releases (of different buffers). A buffer handle is
 * passed between threads by the caller's own synchronization (a queue, a mutex), which
 * also orders the producer's writes into the buffer before the consumer's reads.
 *
 * Invariants:
 *  1. Live buffers never overlap each other, and no allocation writes into a live
 *     buffer or its guard.
 *  2. Everything a releasing thread did to a buffer happens-before the producer reuses
 *     its bytes (release store on the guard, acquire load in the producer's reclaim).
 *  3. While an extendable buffer is open it is the newest allocation; no other buffer
 *     can be allocated (LSMT_BUSY) until it is finalized or cancelled.
 *  4. destroy frees the ring only when no buffer is live (or the open extendable buffer
 *     is gone); otherwise it returns LSMT_BUSY (or waits, by option) and the ring stays
 *     fully usable.
 */
typedef struct lsmt_ring lsmt_ring;

typedef struct lsmt_ring_options {
    /* Bytes of the ring, guards included; rounded up to a multiple of 4 KiB.
     * Range [4 KiB, 2^40]; default 1 MiB. */
    size_t capacity;
    /* What destroy does with live buffers: false (default) = return LSMT_BUSY and keep
     * the ring; true = wait (yielding the CPU) until other threads release them. Waiting
     * forever is the caller's bug: only choose it when every buffer is sure to be
     * released. */
    bool destroy_waits;
} lsmt_ring_options;

/* A fixed buffer: data[0..size) is the caller's, aligned as requested. Copyable; pass it
 * to lsmt_ring_release exactly once (from any thread). Fields ending in '_' are private. */
typedef struct lsmt_ring_buf {
    void *data;
    size_t size;
    void *guard_;
    uint64_t tag_;
} lsmt_ring_buf;

/* An extendable buffer (producer thread only): data[0..len) written, cap allocated.
 * data moves when a reserve cannot grow in place. Fields ending in '_' are private. */
typedef struct lsmt_ring_ext {
    unsigned char *data;
    size_t len;
    size_t cap;
    lsmt_ring *ring_;
    void *guard_;
    uint64_t tag_;
} lsmt_ring_ext;

typedef struct lsmt_ring_stats {
    size_t capacity;     /* bytes of the ring */
    size_t bytes_in_use; /* bytes from the oldest live buffer to the newest (guards,
                            padding and released buffers behind a live one included) */
    size_t live_buffers; /* buffers allocated and not released (the open extendable
                            buffer counts) */
    uint64_t allocs;     /* successful allocations since create */
    uint64_t full;       /* allocations refused with LSMT_FULL since create */
} lsmt_ring_stats;

/* Largest alignment a ring buffer can have. */
#define LSMT_RING_MAX_ALIGN ((size_t)4096)

/* Fill `opt` with the defaults documented above. NULL is ignored. O(1). */
LSMT_API void lsmt_ring_options_default(lsmt_ring_options *opt);

/* Create a ring (its memory is allocated now, one allocation of `capacity` bytes).
 * `opt` NULL = defaults. LSMT_INVALID for NULL out, LSMT_RANGE for a capacity out of
 * range, LSMT_NOMEM. */
LSMT_API lsmt_status lsmt_ring_create(const lsmt_ring_options *opt, lsmt_ring **out);

/* Free the ring: LSMT_OK (also for NULL), or LSMT_BUSY when a buffer is still live and
 * destroy_waits is false, or an extendable buffer is open (nothing is freed; the ring is
 * intact). With destroy_waits, waits for the other threads' releases. Producer thread.
 * O(live buffers). */
LSMT_API lsmt_status lsmt_ring_destroy(lsmt_ring *r);

/* Allocate a fixed buffer of `size` bytes aligned to `align` (a power of two <=
 * LSMT_RING_MAX_ALIGN; 0 means 16, and values below 16 give 16). `size` is a byte
 * count: for n elements of s bytes, pass n * s after checking it for overflow.
 * Cost: O(1) plus the lazy reclaim of the buffers released since the last allocation
 * (one acquire load each). Producer thread only.
 * LSMT_OK: out->data[0..size) is the caller's until it releases the buffer.
 * LSMT_INVALID: NULL r/out, size 0, a bad align, a size that can never fit (more than
 * the capacity minus one guard and the alignment padding). LSMT_FULL: the ring would
 * run into a live buffer (retry after releases). LSMT_BUSY: an extendable buffer is
 * open. Nothing changes on failure (*out untouched). */
LSMT_API lsmt_status lsmt_ring_alloc(lsmt_ring *r, size_t size, size_t align, lsmt_ring_buf *out);

/* Release a buffer: any thread, exactly once per buffer (invariant 2). Clears buf's
 * private fields, so a second release through the same handle returns LSMT_INVALID;
 * LSMT_INVALID also for NULL or a never-allocated handle, and (best effort, while its
 * bytes are not yet reused) for a copy of an already released handle. O(1), lock-free
 * (one release CAS). */
LSMT_API lsmt_status lsmt_ring_release(lsmt_ring_buf *buf);

/* Open an extendable buffer with room for `initial_cap` bytes (0 allowed: 16 bytes),
 * aligned to 16. Cost and statuses as lsmt_ring_alloc. While it is open, other
 * allocations return LSMT_BUSY. */
LSMT_API lsmt_status lsmt_ring_ext_begin(lsmt_ring *r, size_t initial_cap, lsmt_ring_ext *out);

/* Make room for `additional` more bytes: grows in place (it is the newest buffer), or,
 * at the ring's end, moves to the ring's start (data changes; contents kept).
 * LSMT_INVALID (NULL, not open, overflow, more than the ring could ever hold), LSMT_FULL
 * (no room now: the buffer is unchanged and still open). O(1), or O(len) when it
 * moves. */
LSMT_API lsmt_status lsmt_ring_ext_reserve(lsmt_ring_ext *e, size_t additional);

/* Append `n` bytes from `p` (NULL only when n == 0). Statuses as reserve; O(n)
 * amortised. */
LSMT_API lsmt_status lsmt_ring_ext_append(lsmt_ring_ext *e, const void *p, size_t n);

/* Close the extendable buffer into a fixed buffer of its `len` bytes (unused capacity
 * goes back to the ring). *e is cleared. LSMT_INVALID when e is NULL or not open, or
 * out is NULL. O(1). */
LSMT_API lsmt_status lsmt_ring_ext_finalize(lsmt_ring_ext *e, lsmt_ring_buf *out);

/* Close the extendable buffer and give all its bytes back. LSMT_INVALID when e is NULL
 * or not open. O(1). */
LSMT_API lsmt_status lsmt_ring_ext_cancel(lsmt_ring_ext *e);

/* Statistics (walks the live buffers: O(live)). Producer thread. LSMT_INVALID for NULL. */
LSMT_API lsmt_status lsmt_ring_stats_get(lsmt_ring *r, lsmt_ring_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* LSMT_ARENA_H */
