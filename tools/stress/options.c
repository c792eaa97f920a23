/* memtable-stress options: the flags, their defaults and the printed configuration.
 *
 * Design
 *   One global `config C`, filled here from the command line before any thread starts
 *   and read-only afterwards (so the threads read it without synchronisation). Every
 *   run prints its configuration, its seed and a `repeat:` line that reproduces the
 *   workload (not the schedule). Exit statuses: 0 clean, 1 invariant violation, 2 usage
 *   or setup error; --help prints the usage and exits 0.
 */
#include "stress.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

config C = {
    .writers = 2,
    .readers = 1,
    .iterators = 1,
    .probes = 1,
    .keys = 4096,
    .duration = 10,
    .ops = 0,
    .seed = 0,
    .buffer = 256 << 10,
    .value_max = 200,
    .seq_base = 1,
    .rotate_ms = 20,
    .yield = 0,
    .fault_rate = 0.0,
    .verbose = 0,
};

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [options]\n"
            "  --duration S     run S seconds (default 10; 0 = until --ops)\n"
            "  --ops N          stop after N operations (default 0 = until --duration)\n"
            "  --seed N         random seed (default: from the clock; printed)\n"
            "  --writers N --readers N --iterators N --probes N   thread counts (2 1 1 1)\n"
            "  --keys N         key space (default 4096)\n"
            "  --buffer BYTES   write_buffer_size of each memtable (default 256 KiB)\n"
            "  --value-max N    longest value (default 200, >= %d, <= 1024)\n"
            "  --seq-base N     first sequence number (default 1; try 72057594037927935 - 2^40)\n"
            "  --rotate-ms MS   rotate at least this often (default 20)\n"
            "  --yield          yield injection: sched_yield inside the tool's race windows\n"
            "                   (and between position search and CAS inside the skip list\n"
            "                   when built with -DLSMT_YIELD_INJECTION)\n"
#ifdef LSMT_FAULT_INJECTION
            "  --fault-rate P   probability that a map/discard of the page layer, or a carve of\n"
            "                   the concurrent arena, fails (0.2)\n"
#endif
            "  --hash-index     two of the four memtable slots with the hash index (one of\n"
            "                   them with a table far smaller than the key space)\n"
            "  --sabotage N     self-test of the checks: 1 claim a lost write, 2 write a stale\n"
            "                   value, 3 skip a reset_all; the run must then report violations\n"
            "  --delete-range P fraction of writer ops that are range deletes of 1-8 keys\n"
            "                   (default 0)\n"
            "  --verbose\n"
            "exit status: 0 clean, 1 invariant violation, 2 usage or setup error\n",
            argv0, VAL_MIN);
}

/* One flag into C. Returns -1 when taken, else the exit status (the usage, --help). */
static int option_take(int c, const char *argv0, int *seed_given)
{
    switch (c) {
    case 'd':
        C.duration = atof(optarg);
        break;
    case 'o':
        C.ops = strtoull(optarg, NULL, 0);
        break;
    case 's':
        C.seed = strtoull(optarg, NULL, 0);
        *seed_given = 1;
        break;
    case 'w':
        C.writers = (unsigned)atoi(optarg);
        break;
    case 'r':
        C.readers = (unsigned)atoi(optarg);
        break;
    case 'i':
        C.iterators = (unsigned)atoi(optarg);
        break;
    case 'p':
        C.probes = (unsigned)atoi(optarg);
        break;
    case 'k':
        C.keys = (unsigned)atoi(optarg);
        break;
    case 'b':
        C.buffer = strtoull(optarg, NULL, 0);
        break;
    case 'v':
        C.value_max = strtoull(optarg, NULL, 0);
        break;
    case 'q':
        C.seq_base = strtoull(optarg, NULL, 0);
        break;
    case 'R':
        C.rotate_ms = atof(optarg);
        break;
    case 'y':
        C.yield = 1;
        break;
    case 'f':
#ifdef LSMT_FAULT_INJECTION
        C.fault_rate = atof(optarg);
        break;
#else
        fprintf(stderr, "--fault-rate needs a build with -DLSMT_FAULT_INJECTION=ON\n");
        return 2;
#endif
    case 'V':
        C.verbose = 1;
        break;
    case 'S':
        C.sabotage = atoi(optarg);
        break;
    case 'D':
        C.delete_range = atof(optarg);
        break;
    case 'H':
        C.hash_index = 1;
        break;
    default:
        usage(argv0);
        return c == 'h' ? 0 : 2;
    }
    return -1;
}

int options_parse(int argc, char **argv)
{
    /* rows kept as they were, so a new flag adds one line */
    /* clang-format off */
    static const struct option lo[] = {
        {"duration", 1, 0, 'd'},  {"ops", 1, 0, 'o'},        {"seed", 1, 0, 's'},
        {"writers", 1, 0, 'w'},   {"readers", 1, 0, 'r'},    {"iterators", 1, 0, 'i'},
        {"probes", 1, 0, 'p'},    {"keys", 1, 0, 'k'},       {"buffer", 1, 0, 'b'},
        {"value-max", 1, 0, 'v'}, {"seq-base", 1, 0, 'q'},   {"rotate-ms", 1, 0, 'R'},
        {"yield", 0, 0, 'y'},     {"fault-rate", 1, 0, 'f'}, {"verbose", 0, 0, 'V'},
        {"help", 0, 0, 'h'},      {"sabotage", 1, 0, 'S'},
        {"delete-range", 1, 0, 'D'}, /* range.c */
        {"hash-index", 0, 0, 'H'},
        {0, 0, 0, 0}};
    /* clang-format on */
    int seed_given = 0;
#ifdef LSMT_FAULT_INJECTION
    C.fault_rate = 0.2;
#endif
    for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
        int rc = option_take(c, argv[0], &seed_given);
        if (rc >= 0)
            return rc;
    }
    if (!seed_given)
        C.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (C.writers < 1 || C.writers > MAX_THREADS || C.readers > MAX_THREADS ||
        C.iterators > MAX_THREADS || C.probes > MAX_THREADS || C.keys < 2 || C.keys > 9999999 ||
        C.value_max < VAL_MIN || C.value_max > 1024 || C.seq_base < 1 ||
        C.seq_base > LSMT_MAX_SEQUENCE - ((uint64_t)1 << 40) || (C.duration <= 0 && C.ops == 0) ||
        C.buffer < 4096 || !(C.delete_range >= 0 && C.delete_range <= 1)) {
        usage(argv[0]);
        return 2;
    }
    return -1;
}

void options_print(const char *argv0)
{
    printf("memtable-stress: seed %" PRIu64 "\n", C.seed);
    printf("  writers %u readers %u iterators %u probes %u, keys %u, buffer %zu bytes, "
           "values %d..%zu bytes\n",
           C.writers, C.readers, C.iterators, C.probes, C.keys, C.buffer, VAL_MIN, C.value_max);
    printf("  duration %.1f s, ops %" PRIu64 ", seq base %" PRIu64
           ", rotate every %.0f ms, yield injection %s, fault rate %.3f, hash index %s\n",
           C.duration, C.ops, C.seq_base, C.rotate_ms, C.yield ? "on" : "off", C.fault_rate,
           C.hash_index ? "on" : "off");
    printf("  repeat: %s --seed %" PRIu64 " --duration %g --ops %" PRIu64
           " --writers %u --readers %u --iterators %u --probes %u --keys %u --buffer %zu"
           " --value-max %zu --seq-base %" PRIu64 " --rotate-ms %g%s",
           argv0, C.seed, C.duration, C.ops, C.writers, C.readers, C.iterators, C.probes, C.keys,
           C.buffer, C.value_max, C.seq_base, C.rotate_ms, C.yield ? " --yield" : "");
#ifdef LSMT_FAULT_INJECTION
    printf(" --fault-rate %g", C.fault_rate);
#endif
    if (C.sabotage)
        printf(" --sabotage %d", C.sabotage);
    if (C.delete_range > 0)
        printf(" --delete-range %g", C.delete_range);
    if (C.hash_index)
        printf(" --hash-index");
    printf("\n");
    fflush(stdout);
}
