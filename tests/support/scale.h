/* How much a test shrinks its loops under a sanitizer (header-only).
 *
 * ThreadSanitizer runs a memtable test about 10x slower and AddressSanitizer 2-4x; a
 * test divides its iteration counts by SCALE so the sanitizer stages of CI stay inside
 * their time budget while the plain build runs the full counts. Each test names its own
 * divisors (its loops differ in what dominates them):
 *
 *     #define SCALE LSMT_TEST_SCALE_DOWN(10, 4)   -- TSan divides by 10, ASan by 4
 */
#ifndef LSMT_TESTS_SUPPORT_SCALE_H
#define LSMT_TESTS_SUPPORT_SCALE_H

#if defined(LSMT_TSAN)
#define LSMT_TEST_SCALE_DOWN(tsan, asan) (tsan)
#elif defined(__SANITIZE_ADDRESS__)
#define LSMT_TEST_SCALE_DOWN(tsan, asan) (asan)
#else
#define LSMT_TEST_SCALE_DOWN(tsan, asan) 1
#endif

#endif
