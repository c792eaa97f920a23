/* A program outside the lsmt tree: built against the INSTALLED headers and library,
 * once through find_package(lsmt) and once through pkg-config. It exercises one call of
 * each layer and exits non-zero if any fails. */
#include <lsmt/arena.h>
#include <lsmt/lsmt.h>
#include <lsmt/memtable.h>
#include <lsmt/skiplist.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    if (lsmt_version() != LSMT_VERSION) {
        fprintf(stderr, "header/library version mismatch\n");
        return 1;
    }
    lsmt_memtable *mt = NULL;
    lsmt_status s = lsmt_memtable_create(NULL, &mt);
    if (s != LSMT_OK) {
        fprintf(stderr, "create: %s\n", lsmt_status_str(s));
        return 1;
    }
    s = lsmt_memtable_put(mt, 1, "key", 3, "value", 5);
    const void *v = NULL;
    size_t vlen = 0;
    if (s == LSMT_OK)
        s = lsmt_memtable_get(mt, "key", 3, 1, &v, &vlen, NULL);
    int ok = s == LSMT_OK && vlen == 5 && memcmp(v, "value", 5) == 0;
    lsmt_memtable_destroy(mt);
    if (!ok) {
        fprintf(stderr, "put/get failed: %s\n", lsmt_status_str(s));
        return 1;
    }
    printf("consumer ok: %s\n", lsmt_status_str(LSMT_OK));
    return 0;
}
