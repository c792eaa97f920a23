/* The operating system's page layer (lsmt_backing_os): mmap / munmap / madvise.
 *
 * Design: every page-level call of the concurrent arena and the pool goes through an
 * lsmt_backing, so tests can count or fail them. This file is the default backing.
 *   map      mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) of
 *            size + align - page bytes, then the misaligned head and the tail are unmapped
 *            so exactly [addr, addr + size) stays mapped and addr is `align`-aligned.
 *            MAP_NORESERVE: address space only; pages are faulted in on first touch.
 *   unmap    munmap(addr, size).
 *   discard  madvise(MADV_DONTNEED): the pages are dropped, the mapping stays, the next
 *            touch faults in a zero page.
 *   hugepage madvise(MADV_HUGEPAGE): transparent huge pages for the range (THP is in
 *            `madvise` mode on our machines, so nothing happens without this call).
 *
 * Concurrency: the hooks keep no state; they are safe to call from any thread. */
#include "lsmt/arena.h"

#include "common/internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t os_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static int os_map(void *ctx, size_t size, size_t align, void **out)
{
    (void)ctx;
    size_t page = os_page_size();
    if (out == NULL || size == 0 || !lsmt_is_pow2(align))
        return EINVAL;
    if (align < page)
        align = page;
    size_t len = lsmt_align_up(size, page);
    size_t span;
    if (len == 0 || lsmt_add_overflow(len, align - page, &span))
        return EINVAL;
    void *raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return errno != 0 ? errno : ENOMEM;
    uintptr_t start = (uintptr_t)raw;
    uintptr_t aligned = (start + (align - 1)) & ~(uintptr_t)(align - 1);
    size_t head = (size_t)(aligned - start);
    size_t tail = span - head - len;
    /* Trim the slack so the mapping is exactly [aligned, aligned + len): unmap(addr,
     * size) later then releases the whole reservation. munmap of a sub-range of a
     * private anonymous mapping cannot fail short of a kernel bug; ignore its result. */
    if (head != 0)
        (void)munmap(raw, head);
    if (tail != 0)
        (void)munmap((void *)(aligned + len), tail);
    *out = (void *)aligned;
    return 0;
}

static int os_unmap(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    if (addr == NULL || size == 0)
        return EINVAL;
    return munmap(addr, lsmt_align_up(size, os_page_size())) == 0 ? 0 : errno;
}

static int os_discard(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    if (addr == NULL)
        return EINVAL;
    if (size == 0)
        return 0;
    return madvise(addr, lsmt_align_up(size, os_page_size()), MADV_DONTNEED) == 0 ? 0 : errno;
}

static int os_hugepage(void *ctx, void *addr, size_t size)
{
    (void)ctx;
#ifdef MADV_HUGEPAGE
    if (addr == NULL || size == 0)
        return EINVAL;
    return madvise(addr, size, MADV_HUGEPAGE) == 0 ? 0 : errno;
#else
    (void)addr;
    (void)size;
    return ENOSYS;
#endif
}

static const lsmt_backing os_backing = {
    .map = os_map,
    .unmap = os_unmap,
    .discard = os_discard,
    .hugepage = os_hugepage,
    .ctx = NULL,
};

const lsmt_backing *lsmt_backing_os(void)
{
    return &os_backing;
}
