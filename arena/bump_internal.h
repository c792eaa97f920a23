/* Internal view of the bump arena (arena/bump.c), for the scratch arena (arena/scratch.c)
 * which wraps one per thread. Never installed. */
#ifndef LSMT_ARENA_BUMP_INTERNAL_H
#define LSMT_ARENA_BUMP_INTERNAL_H

#include <stdint.h>

#include "lsmt/arena.h"

/* A block: this 16-byte header, then `size` usable bytes (a multiple of 16) starting
 * 16-aligned. `next` links it into exactly one of the arena's lists (used/spare). */
struct lsmt_block {
    struct lsmt_block *next;
    size_t size;
};

/* A mark record, allocated from the arena itself right after its position was taken,
 * so rewinding to it frees the record too. Records of open marks form a stack through
 * `prev` (invariant 4). */
struct lsmt_mark_rec {
    lsmt_mark serial;           /* the mark value handed out; unique in the process */
    struct lsmt_mark_rec *prev; /* the mark opened before this one, or NULL */
    size_t depth;               /* number of marks open below this one */
    struct lsmt_block *used;    /* head of the used list when the mark was taken */
    struct lsmt_block *cur;     /* current block then (NULL: none yet) */
    uintptr_t ptr;              /* bump position then */
    size_t retired;             /* a->retired then */
};

struct lsmt_bump_arena {
    /* Hot: the bump window [ptr, end) of the current block; both multiples of 8, both 0
     * when there is no current block. */
    uintptr_t ptr;
    uintptr_t end;
    struct lsmt_block *cur;       /* current block (a member of `used`), or NULL */
    struct lsmt_block *used;      /* blocks holding allocations, newest first */
    struct lsmt_block *spare_std; /* retained blocks of exactly the standard size */
    struct lsmt_block *spare_odd; /* retained blocks of any other size */
    size_t retired;               /* bytes allocated outside cur's [data, ptr) */
    size_t reserved;              /* bytes of all blocks held, headers included */
    size_t blocks;                /* blocks held */
    size_t block_allocs;          /* block_alloc calls since create */
    struct lsmt_mark_rec *top;    /* innermost open mark, or NULL */
    lsmt_mark next_serial;        /* next mark value; [next_serial, serial_end) is this */
    lsmt_mark serial_end;         /* arena's batch of process-unique serials (bump.c) */
    lsmt_bump_arena_options opt;  /* validated copy; std usable size = block_size - 16 */
};

/* Bytes allocated since the last reset (the stats' bytes_allocated). */
static inline size_t lsmt_bump_arena_used_(const lsmt_bump_arena *a)
{
    return a->cur ? a->retired + (size_t)(a->ptr - ((uintptr_t)a->cur + sizeof(struct lsmt_block)))
                  : a->retired;
}

/* Change retain_bytes of a live arena (the scratch arena follows its threshold). */
__attribute__((visibility("hidden"))) void lsmt_bump_arena_set_retain_(lsmt_bump_arena *a,
                                                                       size_t retain_bytes);

#endif
