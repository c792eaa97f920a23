/* memtable-bench's command line: flags, --help, and the flags that repeat a run.
 *
 * Every flag takes a value (--flag value or --flag=value); a bad flag or value prints one
 * line naming the flag and its accepted range and exits 2 before anything runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bench/common.h"
#include "bench/config.h"
#include "bench/table.h"

/* --help, in pieces (C11 compilers need only take string literals of 4095 bytes). */
static const char *const k_usage[] = {
    "usage: memtable-bench [flags]\n"
    "\n"
    "Load-tests the lsmt memtable with the YCSB core workloads A-F or the micro workloads\n"
    "W1-W10 (W1-W8 of WORKLOADS.md). With no flags: YCSB A, 1M records of 10 x 100 B,\n"
    "2 threads, 10 s.\n"
    "Numbers accept k/m/g suffixes (x1000) and sizes K/M/G (x1024). --flag=value also works.\n"
    "\n"
    "  --workload NAME      A..F (YCSB: A read/update 50/50, B 95/5, C read only,\n"
    "                       D read/insert 95/5 latest, E scan/insert 95/5,\n"
    "                       F read/read-modify-write 50/50) or W1..W10 (W1 fillrandom,\n"
    "                       W2 fillrandom-mt, W3 readrandom, W4 readmissing, W5 scan,\n"
    "                       W6 fillseq, W7 reset-cycle, W8 alloc, W9 gets and scans\n"
    "                       over 0/10/100/10000 range tombstones, W10 fills and gets\n"
    "                       with --protection-bytes P (8 if 0) against 0, interleaved).\n"
    "                       Default A.\n"
    "  --threads N          worker threads, 1..256. Default 2.\n"
    "  --records N          YCSB: records loaded before the run; W1-W7, W9, W10: N of\n"
    "                       WORKLOADS.md. 1..1g. Default 1m. One memtable holds at most\n"
    "                       16 GiB (the skip list's arena limit): beyond that use\n"
    "                       --memtable-size.\n"
    "  --ops N              run-phase operations (W8: allocations per pass), 1..1e12.\n"
    "                       Default: run for --duration instead (W8: 10m).\n"
    "  --duration SECONDS   run-phase length, 0.01..86400. Default 10. Ignored with --ops.\n"
    "  --target OPS         YCSB run phase: open loop at OPS operations/s over all threads\n"
    "                       (YCSB's -target); latency is also reported from each\n"
    "                       operation's intended start (rows of phase run-intended), so\n"
    "                       queueing delay is not hidden. 1..1e9. Default 0 = closed loop.\n",
    "  --key-shape S        random16, ycsb, dbbench16, prefix8 or long128: WORKLOADS.md's\n"
    "                       key shapes; YCSB key number n is key_S(n) (N = --records).\n"
    "                       Default: ycsb for A..F (YCSB's own \"user\"+fnv64(n) keys),\n"
    "                       random16 for W1..W7. W6 keeps its ascending keys (with the\n"
    "                       shape's shared prefix).\n"
    "  --key-size BYTES     0 = the shape's own size; 16..4096 = random16 keys padded with\n"
    "                       zero bytes to BYTES (implies --key-shape random16). Default 0.\n"
    "  --field-count N      YCSB: fields per record, 1..1000. Default 10 (YCSB's).\n"
    "  --field-length BYTES YCSB: bytes per field, 0..1M. Default 100 (YCSB's). Records are\n"
    "                       stored as YCSB's RocksDB binding stores them (name and value of\n"
    "                       each field with 4-byte lengths): 1140 B by default.\n"
    "  --update MODE        YCSB updates (and F's read-modify-writes): merge = read the\n"
    "                       record, replace one field, write it back (YCSB's RocksDB\n"
    "                       binding); blind = put a whole new record. Default merge.\n"
    "  --value-size BYTES   W1-W8: value bytes, 0..1M. Default 100.\n",
    "  --distribution D     request distribution: zipfian (scrambled, YCSB's default),\n"
    "                       uniform or latest. Default: the workload's (D: latest).\n"
    "  --theta T            zipfian skew, 0.01..0.999. Default 0.99 (YCSB's constant).\n"
    "  --scan-length N      E: scan length uniform in 1..N, 1..100000. Default 100.\n"
    "  --seed N             random seed, 0..2^64-1. Default: derived from the clock\n"
    "                       (always printed, so any run can be repeated).\n"
    "  --bloom BITS         bloom filter bits per key, 0 (off)..64. Default: the library's\n"
    "                       (0, off); W4 measures the filter with --bloom 10.\n"
    "  --shards N           memtable arena shards, 0 (= CPU count)..256. Default 0.\n"
    "  --huge-pages on|off  transparent huge pages on arenas of at least 64 MiB (the\n"
    "                       memtable option huge_pages). Default: the library's (on).\n"
    "  --hash-index on|off  the memtable's hash index (sized for the keys a memtable\n"
    "                       holds, as the bloom filter). Default off.\n"
    "  --protection-bytes N per-entry checksum bytes (protection_bytes_per_key): 0 (off),\n"
    "                       1, 2, 4 or 8. Default 0.\n"
    "  --paranoid on|off    paranoid_checks (checked searches and steps). Default off.\n"
    "  --memtable-size SIZE rotate memtables of this write-buffer size through a pool of\n"
    "                       4 (freeze, flush-scan, reset_all, reuse), 1M..64G. Default 0 =\n"
    "                       one memtable for the whole run. W7: the size filled per cycle\n"
    "                       (default 64M).\n"
    "  --cycles N           W7: fill/reset cycles, 2..1000. Default 20.\n"
    "  --rounds N           W1-W6, W9, W10: rounds in one process, 1..100; the figure is their\n"
    "                       median (min and max beside it). Round 1 is cold (memory\n"
    "                       first touched), later rounds refill after reset_all (warm),\n"
    "                       as the peers' rounds reuse freed memory. Default 5.\n"
    "  --batch N            W1, W2: write through lsmt_memtable_write batches of N\n"
    "                       records; W3, W4: look keys up through\n"
    "                       lsmt_memtable_multi_get, N per call. Rows are named -batchN.\n"
    "                       1..1024. Default 1 (plain puts and gets, as the peers do).\n"
    "  --w8-kind K          W8: arena kind (malloc, bump, carena, carena_huge, pool,\n"
    "                       scratch, ring). Default carena (the memtable's arena).\n"
    "  --format F           text (a table), json or csv. Default text.\n"
    "  -h, --help           this text.\n"
    "\n"
    "Output: per operation type, throughput and latency min/p50/p90/p95/p99/p99.9/p99.99/\n"
    "max (ns, from a log-linear histogram, <= 0.4% error); the record size; memory per\n"
    "entry; minor page faults; the parameters, the seed and a command that repeats the\n"
    "run. Each phase is timed from its threads' own clocks (first start to last end).\n"
    "A progress line goes to stderr (at most 4 redraws a second) when it is a terminal.\n"
    "Ctrl-C stops the run and prints the figures so far.\n"
    "Exit status: 0 ok, 1 a run failed, 2 bad flags (nothing ran), 130 interrupted.\n",
    NULL};

/* Print the one-line error for a bad flag value and exit 2 (nothing has run). */
static void usage_error(const char *flag, const char *range, const char *got)
{
    fprintf(stderr, "memtable-bench: %s: expected %s, got '%s' (see --help)\n", flag, range,
            got ? got : "(missing)");
    exit(2);
}

/* The multiplier of suffix `c`: k/m/g x1000 (x1024 when `binary`), K/M/G x1024; 0 if
 * `c` is no suffix. */
static double suffix_mul(char c, bool binary)
{
    switch (c) {
    case 'k':
        return binary ? 1024.0 : 1e3;
    case 'm':
        return binary ? 1048576.0 : 1e6;
    case 'g':
        return binary ? 1073741824.0 : 1e9;
    case 'K':
        return 1024.0;
    case 'M':
        return 1048576.0;
    case 'G':
        return 1073741824.0;
    default:
        return 0;
    }
}

/* Parse an unsigned number with an optional one-letter suffix (suffix_mul); scientific
 * notation (1e6) and fractions with a suffix (1.5k) accepted. Returns 0 or -1. */
static int parse_u64(const char *s, bool binary, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    char *end;
    errno = 0;
    uint64_t v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end == 'e' || *end == '.') { /* 1e6, 1.5k */
        double d = strtod(s, &end);
        if (d < 0 || d > 1.8e19)
            return -1;
        double mul = 1;
        if (*end != '\0') {
            mul = end[1] == '\0' ? suffix_mul(*end, binary) : 0;
            if (mul == 0)
                return -1;
            end++;
        } else if (d != (double)(uint64_t)d) {
            return -1; /* a fraction without a suffix */
        }
        if (d * mul > 1.8e19)
            return -1;
        v = (uint64_t)(d * mul);
    } else if (*end != '\0') {
        double mul = end[1] == '\0' ? suffix_mul(*end, binary) : 0;
        if (mul == 0 || (v != 0 && (uint64_t)mul > UINT64_MAX / v))
            return -1;
        v *= (uint64_t)mul;
        end++;
    }
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* The value of an integer flag in [lo, hi], or usage_error. */
static uint64_t flag_u64(const char *flag, const char *val, uint64_t lo, uint64_t hi, bool binary,
                         const char *range)
{
    uint64_t v;
    if (parse_u64(val, binary, &v) != 0 || v < lo || v > hi)
        usage_error(flag, range, val);
    return v;
}

/* The value of a real-valued flag in [lo, hi], or usage_error. */
static double flag_double(const char *flag, const char *val, double lo, double hi,
                          const char *range)
{
    if (val == NULL || *val == '\0')
        usage_error(flag, range, val);
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    if (errno != 0 || *end != '\0' || !(d >= lo && d <= hi))
        usage_error(flag, range, val);
    return d;
}

/* Index of `val` in the NULL-terminated `names`, or usage_error. */
static int flag_choice(const char *flag, const char *val, const char *const *names,
                       const char *range)
{
    for (int i = 0; val != NULL && names[i] != NULL; i++)
        if (strcasecmp(val, names[i]) == 0)
            return i;
    usage_error(flag, range, val);
    return -1;
}

/* The defaults documented in --help. */
static void config_default(bench_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->workload, sizeof c->workload, "A");
    c->ycsb = 'A';
    c->threads = 2;
    c->records = 1000000;
    c->duration = 10.0;
    c->value_size = 100;
    c->record.fields = 10;
    c->record.field_len = 100;
    c->dist = YCSB_DIST_ZIPFIAN;
    c->theta = YCSB_ZIPF_THETA;
    c->scan_length = 100;
    c->bloom = table_default_bloom_bits();
    c->huge_pages = table_default_huge_pages();
    c->cycles = 20;
    c->rounds = 5;
    c->batch = 1;
    c->w8kind = W8_CARENA;
    c->seed = bench_splitmix64(bench_now_ns() ^ ((uint64_t)getpid() << 32));
}

const char *bench_dist_name(ycsb_dist d)
{
    return d == YCSB_DIST_UNIFORM ? "uniform" : d == YCSB_DIST_LATEST ? "latest" : "zipfian";
}

/* --workload: A..F or W1..W10. */
static void set_workload(bench_config *c, const char *flag, const char *val)
{
    if (val != NULL && strlen(val) == 1 && ycsb_workload_get(val[0]) != NULL) {
        c->ycsb = ycsb_workload_get(val[0])->name;
        c->micro = 0;
        snprintf(c->workload, sizeof c->workload, "%c", c->ycsb);
    } else if (val != NULL && (val[0] == 'w' || val[0] == 'W') &&
               ((strlen(val) == 2 && val[1] >= '1' && val[1] <= '9') ||
                strcmp(val + 1, "10") == 0)) {
        c->ycsb = 0;
        c->micro = atoi(val + 1);
        snprintf(c->workload, sizeof c->workload, "W%d", c->micro);
    } else {
        usage_error(flag, "A..F or W1..W10", val);
    }
}

/* Flags that were given, for the defaults that depend on the workload. */
typedef struct given {
    bool dist, memtable_size, key_shape;
} given;

/* Apply one flag; false if `flag` is unknown. */
static bool apply_flag(bench_config *c, given *g, const char *flag, const char *val)
{
    static const char *const dists[] = {"zipfian", "uniform", "latest", NULL};
    static const char *const onoff[] = {"off", "on", "0", "1", NULL};
    static const char *const updates[] = {"merge", "blind", NULL};
    static const char *const formats[] = {"text", "json", "csv", NULL};
#define IS(f) (strcmp(flag, f) == 0)
    if (IS("--workload")) {
        set_workload(c, flag, val);
    } else if (IS("--threads")) {
        c->threads =
            (unsigned)flag_u64(flag, val, 1, BENCH_MAX_THREADS, false, "an integer in [1, 256]");
    } else if (IS("--records")) {
        c->records = flag_u64(flag, val, 1, 1000000000ull, false, "an integer in [1, 1g]");
    } else if (IS("--ops")) {
        c->ops = flag_u64(flag, val, 1, 1000000000000ull, false, "an integer in [1, 1e12]");
    } else if (IS("--duration")) {
        c->duration = flag_double(flag, val, 0.01, 86400, "seconds in [0.01, 86400]");
    } else if (IS("--target")) {
        c->target = flag_double(flag, val, 0, 1e9, "operations/s in [1, 1e9], or 0");
        if (c->target != 0 && c->target < 1)
            usage_error(flag, "operations/s in [1, 1e9], or 0", val);
    } else if (IS("--key-shape")) {
        if (bench_key_shape_parse(val, &c->keys.shape) != 0)
            usage_error(flag, "random16, ycsb, dbbench16, prefix8 or long128", val);
        g->key_shape = true;
    } else if (IS("--key-size")) {
        c->keys.size = (size_t)flag_u64(flag, val, 0, BENCH_KEY_MAX, true,
                                        "0 (the shape's size) or bytes in [16, 4096]");
        if (c->keys.size != 0 && c->keys.size < 16)
            usage_error(flag, "0 (the shape's size) or bytes in [16, 4096]", val);
    } else if (IS("--field-count")) {
        c->record.fields = (unsigned)flag_u64(flag, val, 1, 1000, false, "an integer in [1, 1000]");
    } else if (IS("--field-length")) {
        c->record.field_len = (size_t)flag_u64(flag, val, 0, 1048576, true, "bytes in [0, 1M]");
    } else if (IS("--update")) {
        c->blind_updates = flag_choice(flag, val, updates, "merge or blind") == 1;
    } else if (IS("--value-size")) {
        c->value_size = (size_t)flag_u64(flag, val, 0, 1048576, true, "bytes in [0, 1M]");
    } else if (IS("--distribution")) {
        c->dist = (ycsb_dist)flag_choice(flag, val, dists, "zipfian, uniform or latest");
        g->dist = true;
    } else if (IS("--theta")) {
        c->theta = flag_double(flag, val, 0.01, 0.999, "a number in [0.01, 0.999]");
    } else if (IS("--scan-length")) {
        c->scan_length =
            (unsigned)flag_u64(flag, val, 1, 100000, false, "an integer in [1, 100000]");
    } else if (IS("--seed")) {
        c->seed = flag_u64(flag, val, 0, UINT64_MAX, false, "an integer in [0, 2^64-1]");
    } else if (IS("--bloom")) {
        c->bloom = (unsigned)flag_u64(flag, val, 0, 64, false, "bits per key in [0, 64]");
    } else if (IS("--shards")) {
        c->shards = (size_t)flag_u64(flag, val, 0, 256, false, "an integer in [0, 256]");
    } else if (IS("--hash-index")) {
        c->hash_index = flag_choice(flag, val, onoff, "on or off") % 2 == 1;
    } else if (IS("--protection-bytes")) {
        c->protection = (unsigned)flag_u64(flag, val, 0, 8, false, "0, 1, 2, 4 or 8");
        if (c->protection == 3 || (c->protection > 4 && c->protection < 8))
            usage_error(flag, "0, 1, 2, 4 or 8", val);
    } else if (IS("--paranoid")) {
        c->paranoid = flag_choice(flag, val, onoff, "on or off") % 2 == 1;
    } else if (IS("--huge-pages")) {
        c->huge_pages = flag_choice(flag, val, onoff, "on or off") % 2 == 1;
    } else if (IS("--memtable-size")) {
        c->memtable_size =
            (size_t)flag_u64(flag, val, 0, (uint64_t)64 << 30, true, "0 or bytes in [1M, 64G]");
        if (c->memtable_size != 0 && c->memtable_size < ((size_t)1 << 20))
            usage_error(flag, "0 or bytes in [1M, 64G]", val);
        g->memtable_size = true;
    } else if (IS("--cycles")) {
        c->cycles = (unsigned)flag_u64(flag, val, 2, 1000, false, "an integer in [2, 1000]");
    } else if (IS("--rounds")) {
        c->rounds =
            (unsigned)flag_u64(flag, val, 1, BENCH_MAX_ROUNDS, false, "an integer in [1, 100]");
    } else if (IS("--batch")) {
        c->batch = (unsigned)flag_u64(flag, val, 1, 1024, false, "an integer in [1, 1024]");
    } else if (IS("--w8-kind")) {
        if (val == NULL || w8_kind_parse(val, &c->w8kind) != LSMT_OK)
            usage_error(flag, "malloc, bump, carena, carena_huge, pool, scratch or ring", val);
    } else if (IS("--format")) {
        c->format = (bench_format)flag_choice(flag, val, formats, "text, json or csv");
    } else {
        return false;
    }
#undef IS
    return true;
}

void bench_parse_args(int argc, char **argv, bench_config *c)
{
    config_default(c);
    given g = {false, false, false};
    for (int i = 1; i < argc; i++) {
        char flag[64];
        const char *arg = argv[i], *val = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            for (size_t k = 0; k_usage[k] != NULL; k++)
                fputs(k_usage[k], stdout);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr,
                    "memtable-bench: unexpected argument '%s' (flags start with --; "
                    "see --help)\n",
                    arg);
            exit(2);
        }
        const char *eq = strchr(arg, '=');
        size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (flen >= sizeof flag)
            flen = sizeof flag - 1;
        memcpy(flag, arg, flen);
        flag[flen] = '\0';
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        if (!apply_flag(c, &g, flag, val)) {
            fprintf(stderr, "memtable-bench: unknown flag '%s' (see --help)\n", flag);
            exit(2);
        }
    }
    if (c->keys.size != 0) {
        if (g.key_shape && c->keys.shape != BENCH_KEY_RANDOM16)
            usage_error("--key-size", "0 with --key-shape other than random16",
                        bench_key_shape_name(c->keys.shape));
        c->keys.shape = BENCH_KEY_RANDOM16;
    } else if (!g.key_shape) {
        c->keys.shape = c->ycsb ? BENCH_KEY_YCSB : BENCH_KEY_RANDOM16;
    }
    c->keys.n = c->records; /* dbbench16's N */
    if (c->ycsb && !g.dist)
        c->dist = ycsb_workload_get(c->ycsb)->dist;
    if (c->micro == 7 && !g.memtable_size)
        c->memtable_size = (size_t)64 << 20;
    c->progress = isatty(STDERR_FILENO) == 1;
}

/* Append printf output to buf at *len (truncating at n). */
#define APPEND(...)                                                      \
    do {                                                                 \
        if (*len < n)                                                    \
            *len += (size_t)snprintf(buf + *len, n - *len, __VA_ARGS__); \
    } while (0)

static void repeat_common(const bench_config *c, char *buf, size_t n, size_t *len)
{
    APPEND("--workload %s --threads %u --records %llu", c->workload, c->threads,
           (unsigned long long)c->records);
    if (c->ops)
        APPEND(" --ops %llu", (unsigned long long)c->ops);
    else if (c->ycsb)
        APPEND(" --duration %g", c->duration);
    APPEND(" --key-shape %s", bench_key_shape_name(c->keys.shape));
    if (c->keys.size)
        APPEND(" --key-size %zu", c->keys.size);
    APPEND(" --bloom %u --shards %zu --huge-pages %s --memtable-size %zu --seed %llu", c->bloom,
           c->shards, c->huge_pages ? "on" : "off", c->memtable_size, (unsigned long long)c->seed);
    if (c->hash_index)
        APPEND(" --hash-index on");
    if (c->protection || c->paranoid)
        APPEND(" --protection-bytes %u --paranoid %s", c->protection, c->paranoid ? "on" : "off");
}

void bench_repeat_flags(const bench_config *c, char *buf, size_t n)
{
    size_t zero = 0, *len = &zero;
    buf[0] = '\0';
    repeat_common(c, buf, n, len);
    if (c->ycsb) {
        APPEND(" --field-count %u --field-length %zu --update %s --distribution %s --theta %g"
               " --scan-length %u",
               c->record.fields, c->record.field_len, c->blind_updates ? "blind" : "merge",
               bench_dist_name(c->dist), c->theta, c->scan_length);
        if (c->target > 0)
            APPEND(" --target %g", c->target);
        return;
    }
    APPEND(" --value-size %zu", c->value_size);
    if (c->micro <= 6 || c->micro >= 9)
        APPEND(" --rounds %u", c->rounds);
    if (c->micro <= 4 && c->batch > 1)
        APPEND(" --batch %u", c->batch);
    if (c->micro == 7)
        APPEND(" --cycles %u", c->cycles);
    if (c->micro == 8)
        APPEND(" --w8-kind %s", w8_kind_name(c->w8kind));
}
