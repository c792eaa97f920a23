/* Status names, the library version and the default (bytewise) key order. */
#include "lsmt/lsmt.h"

#include <string.h>

static const char *const status_names[LSMT_STATUS_COUNT_] = {
    [LSMT_OK] = "LSMT_OK: success",
    [LSMT_NOT_FOUND] = "LSMT_NOT_FOUND: no such key or no visible version",
    [LSMT_DELETED] = "LSMT_DELETED: the visible version is a tombstone",
    [LSMT_EXISTS] = "LSMT_EXISTS: already present",
    [LSMT_FULL] = "LSMT_FULL: capacity reached, nothing written",
    [LSMT_NOMEM] = "LSMT_NOMEM: the system refused memory",
    [LSMT_INVALID] = "LSMT_INVALID: bad argument",
    [LSMT_FROZEN] = "LSMT_FROZEN: the memtable is frozen",
    [LSMT_BUSY] = "LSMT_BUSY: in use",
    [LSMT_RANGE] = "LSMT_RANGE: number out of range",
    [LSMT_END] = "LSMT_END: no more entries",
    [LSMT_CORRUPT] = "LSMT_CORRUPT: broken internal invariant",
    [LSMT_CORRUPTION] = "LSMT_CORRUPTION: a stored entry failed its checksum or order check",
};

const char *lsmt_status_str(lsmt_status s)
{
    if ((unsigned)s >= (unsigned)LSMT_STATUS_COUNT_ || status_names[s] == NULL)
        return "LSMT_?: unknown status";
    return status_names[s];
}

int lsmt_version(void)
{
    return LSMT_VERSION;
}

int lsmt_bytewise_compare(void *ctx, const void *a, size_t alen, const void *b, size_t blen)
{
    (void)ctx;
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}
