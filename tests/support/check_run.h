/* The Check suites' main: run a suite, report, exit status.
 *
 * Every suite in tests/ ends with `int main(void) { return lsmt_check_run(suite()); }`:
 * the runner uses Check's defaults (fork mode from CK_FORK, CK_NORMAL output). A suite
 * that needs another runner setting builds its SRunner itself (test_scratch.c). */
#ifndef LSMT_TESTS_SUPPORT_CHECK_RUN_H
#define LSMT_TESTS_SUPPORT_CHECK_RUN_H

#include <check.h>

/* Runs every test of `s` (and frees it); returns EXIT_SUCCESS when none failed, else
 * EXIT_FAILURE. */
int lsmt_check_run(Suite *s);

#endif
