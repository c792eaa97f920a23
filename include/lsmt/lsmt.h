/* lsmt -- the in-memory write buffer (memtable) of an LSM-tree key-value store.
 *
 * Umbrella header: version, the status codes every call returns, the export
 * macro, the key comparator type, and the per-module headers.
 *
 *   arena.h     memory: bump, sharded concurrent, pool, thread-local scratch, ring
 *   skiplist.h  lock-free insert-only skip list over the concurrent arena
 *   memtable.h  LSM semantics: sequence numbers, tombstones, snapshots, flush/reset
 *
 * Conventions shared by every header:
 *  - Opaque handles; `lsmt_x_create(const lsmt_x_options *opt, lsmt_x **out)` with
 *    `opt == NULL` meaning defaults; `lsmt_x_destroy(NULL)` is a no-op.
 *  - Functions return `lsmt_status` (LSMT_OK == 0). Out-parameters are written only
 *    on success.
 *  - Keys and values are `(const void *ptr, size_t len)`; `ptr` may be NULL only when
 *    `len == 0`.
 *  - Bad input never crashes: it returns LSMT_INVALID and changes nothing. The library
 *    never aborts, exits or prints.
 */
#ifndef LSMT_LSMT_H
#define LSMT_LSMT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one source of the version: CMakeLists.txt reads these three lines. */
#define LSMT_VERSION_MAJOR 0
#define LSMT_VERSION_MINOR 7
#define LSMT_VERSION_PATCH 0
/* LSMT_VERSION: major * 10000 + minor * 100 + patch, for compile-time checks. */
#define LSMT_VERSION       (LSMT_VERSION_MAJOR * 10000 + LSMT_VERSION_MINOR * 100 + LSMT_VERSION_PATCH)

/* LSMT_API marks the exported functions; the library is built with
 * -fvisibility=hidden so nothing else leaks. */
#if defined(LSMT_BUILDING) && defined(__GNUC__)
#define LSMT_API __attribute__((visibility("default")))
#else
#define LSMT_API
#endif

/* Status codes. Every public function that can fail returns one of these.
 * LSMT_CORRUPT vs LSMT_CORRUPTION: LSMT_CORRUPT is lsmt_memtable_validate's (and the skip
 * list's validate's) verdict that a structural invariant is broken -- a bug in lsmt.
 * LSMT_CORRUPTION is what a read (get, multi_get, an iterator) returns instead of an
 * entry whose stored checksum does not match (memtable protection_bytes_per_key) or
 * when paranoid_checks find entries or links out of order: usually memory damaged from
 * outside (a stray write, a hardware fault). Nothing is returned with it, and a
 * memtable that gave it should not be flushed. */
typedef enum lsmt_status {
    LSMT_OK = 0,       /* success */
    LSMT_NOT_FOUND,    /* no such key / no version visible at the snapshot */
    LSMT_DELETED,      /* the visible version of the key is a tombstone */
    LSMT_EXISTS,       /* the same key (and sequence number) is already present */
    LSMT_FULL,         /* capacity reached: nothing was written */
    LSMT_NOMEM,        /* the operating system refused memory (malloc/mmap failed) */
    LSMT_INVALID,      /* bad argument: NULL handle or pointer, bad size or alignment */
    LSMT_FROZEN,       /* the memtable is frozen (read-only) */
    LSMT_BUSY,         /* the object is in use (live buffers, open iterators, reset) */
    LSMT_RANGE,        /* a number is out of its documented range (e.g. seq > 2^56-1) */
    LSMT_END,          /* an iterator or cursor has no more entries */
    LSMT_CORRUPT,      /* a validation found a broken invariant (a bug: please report) */
    LSMT_CORRUPTION,   /* a read found a stored entry damaged (checksum, paranoid checks) */
    LSMT_STATUS_COUNT_ /* number of codes; not a status */
} lsmt_status;

/* A static, human-readable name of `s` ("LSMT_OK: success"); never NULL, also for
 * values outside the enum. Thread-safe. */
LSMT_API const char *lsmt_status_str(lsmt_status s);

/* The library's run-time version, LSMT_VERSION of the build. */
LSMT_API int lsmt_version(void);

/* Three-way key comparator: < 0, 0, > 0 as a orders before, equal to, after b.
 * Must be a total order, pure and thread-safe; `ctx` is passed through unchanged.
 * NULL comparator everywhere means lsmt_bytewise_compare. */
typedef int (*lsmt_compare_fn)(void *ctx, const void *a, size_t alen, const void *b, size_t blen);

/* The default order: memcmp over the common prefix, then the shorter key first. */
LSMT_API int lsmt_bytewise_compare(void *ctx, const void *a, size_t alen, const void *b,
                                   size_t blen);

#ifdef __cplusplus
}
#endif

#endif /* LSMT_LSMT_H */
