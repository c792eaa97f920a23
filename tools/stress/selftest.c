/* memtable-stress self-tests: --sabotage N breaks the run on purpose, so that a check
 * which can never fail is found out.
 *
 * Design
 *   Each sabotage is a predicate asked at the one place it acts; with --sabotage off
 *   they draw no random numbers, so a seed's workload is the same with or without this
 *   file. The ctest entries stress_selftest_* (tools/CMakeLists.txt) require the
 *   matching violation:
 *     1  a writer claims a write that never happened     -> V1, V5 or V6 (writer.c)
 *     2  a writer writes a value of an older incarnation -> V4 (writer.c)
 *     3  the rotation skips a reset_all, now and then    -> V6 or V7 (rotation.c)
 */
#include "stress.h"

/* 1: claim LSMT_OK without calling the memtable, once in 1000 writes. */
bool selftest_claim_lost_write(uint64_t *rs)
{
    return C.sabotage == 1 && rnd(rs, 1000) == 0;
}

/* 2: encode the value with the previous incarnation, once in 1000 writes. */
bool selftest_stale_value(uint64_t *rs, uint32_t inc)
{
    return C.sabotage == 2 && rnd(rs, 1000) == 0 && inc > 1;
}

/* 3: skip the reset_all of one flush in four (given the resets done so far). */
bool selftest_skip_reset(uint64_t resets)
{
    return C.sabotage == 3 && resets % 4 == 1;
}
