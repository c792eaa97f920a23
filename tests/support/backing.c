/* The arena tests' counting backing and page-fault counter (backing.h). */
#include "backing.h"

#include <string.h>
#include <sys/resource.h>

int cnt_map(void *ctx, size_t size, size_t align, void **out)
{
    struct counting *c = ctx;
    if (atomic_load(&c->fail_map))
        return 12;
    if (atomic_load(&c->map_budget) > 0 && atomic_fetch_sub(&c->map_budget, 1) == 1)
        atomic_store(&c->fail_map, 1); /* this map succeeds; the next ones fail */
    atomic_fetch_add(&c->maps, 1);
    atomic_store(&c->last_map_align, align);
    atomic_store(&c->last_map_size, size);
    return lsmt_backing_os()->map(NULL, size, align, out);
}

int cnt_unmap(void *ctx, void *addr, size_t size)
{
    struct counting *c = ctx;
    atomic_fetch_add(&c->unmaps, 1);
    return lsmt_backing_os()->unmap(NULL, addr, size);
}

int cnt_discard(void *ctx, void *addr, size_t size)
{
    struct counting *c = ctx;
    if (atomic_load(&c->fail_discard))
        return 5;
    atomic_fetch_add(&c->discards, 1);
    atomic_fetch_add(&c->discarded, size);
    atomic_store(&c->last_discard_size, size);
    return lsmt_backing_os()->discard(NULL, addr, size);
}

int cnt_huge(void *ctx, void *addr, size_t size)
{
    struct counting *c = ctx;
    atomic_fetch_add(&c->hugepages, 1);
    atomic_store(&c->last_huge_size, size);
    return lsmt_backing_os()->hugepage(NULL, addr, size);
}

lsmt_backing counting_backing(struct counting *c)
{
    memset(c, 0, sizeof *c);
    lsmt_backing b = {cnt_map, cnt_unmap, cnt_discard, cnt_huge, c};
    return b;
}

long minflt_thread(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt;
}
