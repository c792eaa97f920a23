/* arena-bench: W8 (shared/anchors/WORKLOADS.md) for every lsmt arena kind beside glibc
 * malloc -- and, with --peer-bin, beside the peers' alloc_bench (bump floor, glibc) -- all
 * in one run, interleaved, cold and warm, 1 and 2 threads, median/min/max of the rounds,
 * minor faults per allocation, ratios against the baselines of the same run.
 *
 * Every measurement runs in a fresh child process (fork + exec of this binary with
 * "--child KIND THREADS N VERIFY PASSES"), so "cold" really starts from an empty address
 * space; the child runs PASSES (default 2) passes of bench/w8_alloc.c (cold, then warm
 * after the free-all; with more passes warm is their median) and
 * prints "alloc_cold free_cold alloc_warm free_warm minflt_cold minflt_warm" (ns and
 * faults per allocation) -- the same line as the peers' `alloc_bench --child MODE T`, so
 * the driver runs both the same way. Rounds are interleaved: round r runs every
 * configuration once, for each thread count, before round r+1 starts, so slow drifts of
 * the machine hit every configuration alike; ratios are taken per round, then the median.
 *
 * Usage: arena-bench [--rounds R] [--threads 1,2] [--kinds k1,k2,...] [--n N]
 *                    [--peer-bin PATH/alloc_bench] [--no-verify] [--passes P] [--quiet-wait S]
 *                    [--nice N]
 * Kinds: malloc bump carena carena_huge pool scratch ring (default: all). */
#include "w8_alloc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 64
#define MAX_CFG    16
#define MAX_TH     2

/* per child: alloc/free cold, alloc/free warm, faults cold/warm (the peers' six), then ours
 * only: alloc phase by thread CPU time, cold and warm (-1 for the peers) */
enum { R_AC, R_FC, R_AW, R_FW, R_FLC, R_FLW, R_CAC, R_CAW, R_COUNT };

struct cfg {
    const char *name; /* printed */
    const char *bin;  /* executable */
    const char *mode; /* its mode argument */
    int ours;         /* 1: this binary (passes N, VERIFY and PASSES) */
    int kind;         /* w8_kind for ours, -1 for peers */
};

static void stats3(const double *v, int n, double *med, double *mn, double *mx);

static int child_main(int argc, char **argv)
{
    /* --child KIND THREADS [N [VERIFY [PASSES]]] */
    if (argc < 4)
        return 2;
    w8_kind k;
    if (w8_kind_parse(argv[2], &k) != LSMT_OK) {
        fprintf(stderr, "arena-bench: unknown kind %s\n", argv[2]);
        return 2;
    }
    w8_options o;
    w8_options_default(&o);
    o.threads = (unsigned)atoi(argv[3]);
    if (argc > 4)
        o.n = strtoull(argv[4], NULL, 10);
    if (argc > 5)
        o.verify = atoi(argv[5]) != 0;
    o.passes = 2;
    if (argc > 6)
        o.passes = (unsigned)atoi(argv[6]);
    if (o.passes < 2 || o.passes > MAX_ROUNDS) {
        fprintf(stderr, "arena-bench: passes must be in [2, %d]\n", MAX_ROUNDS);
        return 2;
    }
    w8_pass p[MAX_ROUNDS];
    const char *what = "";
    lsmt_status st = w8_run(k, &o, p, &what);
    if (st != LSMT_OK) {
        fprintf(stderr, "arena-bench: %s: %s (%s)\n", argv[2], lsmt_status_str(st), what);
        return 1;
    }
    /* warm = the median over the warm passes 1..P-1 (just pass 1 by default) */
    double aw[MAX_ROUNDS], fw[MAX_ROUNDS], flw[MAX_ROUNDS], mn, mx, awm, fwm, flwm;
    for (unsigned q = 1; q < o.passes; q++) {
        aw[q - 1] = p[q].alloc_ns;
        fw[q - 1] = p[q].free_ns;
        flw[q - 1] = p[q].minflt;
    }
    stats3(aw, (int)o.passes - 1, &awm, &mn, &mx);
    stats3(fw, (int)o.passes - 1, &fwm, &mn, &mx);
    stats3(flw, (int)o.passes - 1, &flwm, &mn, &mx);
    double caw[MAX_ROUNDS], cawm;
    for (unsigned q = 1; q < o.passes; q++)
        caw[q - 1] = p[q].alloc_cpu_ns;
    stats3(caw, (int)o.passes - 1, &cawm, &mn, &mx);
    printf("%.4f %.4f %.4f %.4f %.5f %.5f %.4f %.4f\n", p[0].alloc_ns, p[0].free_ns, awm, fwm,
           p[0].minflt, flwm, p[0].alloc_cpu_ns, cawm);
    return 0;
}

static int g_passes = 2;

static int run_child(const struct cfg *c, int nt, unsigned long long n, int verify,
                     double out[R_COUNT])
{
    int fd[2];
    if (pipe(fd))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        unsetenv("LD_PRELOAD");
        char nts[16], ns[32], vs[4], ps[16];
        snprintf(ps, sizeof ps, "%d", g_passes);
        snprintf(nts, sizeof nts, "%d", nt);
        snprintf(ns, sizeof ns, "%llu", n);
        snprintf(vs, sizeof vs, "%d", verify);
        if (c->ours)
            execl(c->bin, c->bin, "--child", c->mode, nts, ns, vs, ps, (char *)NULL);
        else
            execl(c->bin, c->bin, "--child", c->mode, nts, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[512] = {0};
    ssize_t got = 0, r;
    while ((r = read(fd[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += r;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    out[R_CAC] = out[R_CAW] = -1;
    return sscanf(buf, "%lf %lf %lf %lf %lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3],
                  &out[4], &out[5], &out[6], &out[7]) >= 6
               ? 0
               : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median, min, max of v[0..n) */
static void stats3(const double *v, int n, double *med, double *mn, double *mx)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    *med = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    *mn = s[0];
    *mx = s[n - 1];
}

static unsigned long long machine_busy_jiffies(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) != 8) {
        fclose(f);
        return 0;
    }
    fclose(f);
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* all but idle and iowait */
}

static unsigned long long machine_total_jiffies(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) != 8) {
        fclose(f);
        return 0;
    }
    fclose(f);
    unsigned long long t = 0;
    for (int i = 0; i < 8; i++)
        t += v[i];
    return t;
}

/* percent of the machine's CPU time that was busy over the next `sec` seconds */
static int busy_pct(int sec)
{
    unsigned long long b0 = machine_busy_jiffies(), t0 = machine_total_jiffies();
    sleep((unsigned)sec);
    unsigned long long b1 = machine_busy_jiffies(), t1 = machine_total_jiffies();
    return t1 > t0 ? (int)(100 * (b1 - b0) / (t1 - t0)) : 0;
}

static double own_cpu_sec(void)
{
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &b);
    return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
           1e-6 * (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
                           b.ru_stime.tv_usec);
}

static void usage(void)
{
    printf("usage: arena-bench [--rounds R] [--threads 1,2] [--kinds k1,k2,...] [--n N]\n"
           "                   [--peer-bin PATH/alloc_bench] [--no-verify] [--passes P]\n"
           "                   [--quiet-wait S] [--nice N]\n"
           "  W8 of shared/anchors/WORKLOADS.md: N allocations of 16 + (splitmix64(i) & 112)\n"
           "  bytes, each written (8 bytes), freed all at once; cold (fresh process) and warm.\n"
           "  kinds: malloc bump carena carena_huge pool scratch ring (default: all)\n"
           "  --peer-bin: the peers' alloc_bench (built from shared/anchors/peers); adds\n"
           "  peer:bump_floor and peer:glibc_malloc, interleaved, and the target ratios.\n"
           "  --quiet-wait S: before each round and thread count, wait up to S s for the machine\n"
           "  to be < 15%% busy (default 0: do not wait); each round logs how busy it was\n"
           "  --nice N: run the driver and every child (ours and the peers') at this nice value,\n"
           "  e.g. -20 (root) so that other work on a shared machine cannot take our CPUs\n"
           "  --passes P: passes per child process, warm = median of passes 2..P (default 2)\n"
           "  defaults: --rounds 5 --threads 1,2 --n 10000000\n"
           "  exit status: 0; 1 if a configuration failed (arena error, or the untimed check\n"
           "  that found two allocations overlapping); 2 for bad flags\n");
}

static struct cfg g_cfg[MAX_CFG];
static int g_ncfg;
static double g_res[MAX_TH][MAX_CFG][R_COUNT][MAX_ROUNDS];
static int g_ok[MAX_TH][MAX_CFG];
static int g_rounds = 5, g_nth = 2, g_th[MAX_TH] = {1, 2};

static int find_cfg(const char *name)
{
    for (int c = 0; c < g_ncfg; c++)
        if (strcmp(g_cfg[c].name, name) == 0)
            return c;
    return -1;
}

static int find_th(int t)
{
    for (int i = 0; i < g_nth; i++)
        if (g_th[i] == t)
            return i;
    return -1;
}

/* per-round ratio num[r] / den[r] of field f (or 1/(..) when inverse), median/min/max;
 * returns 0 if unavailable */
static int ratio(int ti_a, int ca, int ti_b, int cb, int f, double *med, double *mn, double *mx)
{
    if (ti_a < 0 || ti_b < 0 || ca < 0 || cb < 0 || !g_ok[ti_a][ca] || !g_ok[ti_b][cb])
        return 0;
    double v[MAX_ROUNDS];
    for (int r = 0; r < g_rounds; r++) {
        if (g_res[ti_a][ca][f][r] < 0 || g_res[ti_b][cb][f][r] <= 0)
            return 0; /* not measured by that binary (the peers' CPU time) */
        v[r] = g_res[ti_a][ca][f][r] / g_res[ti_b][cb][f][r];
    }
    stats3(v, g_rounds, med, mn, mx);
    return 1;
}

static void print_ratio_line(const char *label, int ti_a, int ca, int ti_b, int cb, int f,
                             int want_le, double target)
{
    double med, mn, mx;
    if (!ratio(ti_a, ca, ti_b, cb, f, &med, &mn, &mx)) {
        printf("TARGET %-58s n/a (not measured)\n", label);
        return;
    }
    int met = want_le ? med <= target : med >= target;
    printf("TARGET %-58s %6.2fx [%.2f..%.2f]  %s %.2fx  %s\n", label, med, mn, mx,
           want_le ? "<=" : ">=", target, met ? "MET" : "MISSED");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);

    const char *peer = NULL;
    const char *kinds = NULL;
    unsigned long long n = W8_DEFAULT_N;
    int verify = 1, quiet_wait = 0, nice_val = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        } else if (!strcmp(a, "--no-verify")) {
            verify = 0;
        } else if (v && !strcmp(a, "--rounds")) {
            g_rounds = atoi(v);
            i++;
        } else if (v && !strcmp(a, "--nice")) {
            nice_val = atoi(v);
            i++;
        } else if (v && !strcmp(a, "--quiet-wait")) {
            quiet_wait = atoi(v);
            i++;
        } else if (v && !strcmp(a, "--passes")) {
            g_passes = atoi(v);
            i++;
        } else if (v && !strcmp(a, "--n")) {
            n = strtoull(v, NULL, 10);
            i++;
        } else if (v && !strcmp(a, "--peer-bin")) {
            peer = v;
            i++;
        } else if (v && !strcmp(a, "--kinds")) {
            kinds = v;
            i++;
        } else if (v && !strcmp(a, "--threads")) {
            g_nth = sscanf(v, "%d,%d", &g_th[0], &g_th[1]);
            if (g_nth < 1 || g_th[0] < 1 || g_th[0] > W8_MAX_THREADS ||
                (g_nth == 2 && (g_th[1] < 1 || g_th[1] > W8_MAX_THREADS))) {
                fprintf(stderr, "arena-bench: bad --threads %s\n", v);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "arena-bench: unknown argument %s\n", a);
            usage();
            return 2;
        }
    }
    if (g_passes < 2 || g_passes > MAX_ROUNDS) {
        fprintf(stderr, "arena-bench: --passes must be in [2, %d]\n", MAX_ROUNDS);
        return 2;
    }
    if (peer && g_passes != 2) {
        fprintf(stderr, "arena-bench: the peers' alloc_bench runs 2 passes only; drop --passes "
                        "or --peer-bin\n");
        return 2;
    }
    if (g_rounds < 1 || g_rounds > MAX_ROUNDS || n < 1 || n > (1ULL << 32)) {
        fprintf(stderr, "arena-bench: --rounds must be in [1, %d], --n in [1, 2^32]\n", MAX_ROUNDS);
        return 2;
    }

    if (nice_val != 0 && setpriority(PRIO_PROCESS, 0, nice_val) != 0) {
        fprintf(stderr, "arena-bench: setpriority(%d): %s\n", nice_val, strerror(errno));
        return 2;
    }

    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = 0;

    /* configurations, in the order they run within a round */
    for (int k = 0; k < W8_KIND_COUNT; k++) {
        const char *kn = w8_kind_name((w8_kind)k);
        if (kinds) {
            char list[256];
            snprintf(list, sizeof list, ",%s,", kinds);
            char key[64];
            snprintf(key, sizeof key, ",%s,", kn);
            if (!strstr(list, key))
                continue;
        }
        static char names[W8_KIND_COUNT][48];
        snprintf(names[k], sizeof names[k], k == W8_MALLOC ? "glibc_malloc" : "lsmt_%s", kn);
        g_cfg[g_ncfg++] = (struct cfg){names[k], self, kn, 1, k};
    }
    if (peer) {
        if (access(peer, X_OK) != 0) {
            fprintf(stderr, "arena-bench: --peer-bin %s: not executable\n", peer);
            return 2;
        }
        if (n != W8_DEFAULT_N) {
            fprintf(stderr, "arena-bench: the peers' alloc_bench runs N = 10,000,000 only; "
                            "drop --n or --peer-bin\n");
            return 2;
        }
        g_cfg[g_ncfg++] = (struct cfg){"peer:bump_floor", peer, "bump", 0, -1};
        g_cfg[g_ncfg++] = (struct cfg){"peer:glibc_malloc", peer, "malloc", 0, -1};
    }
    if (g_ncfg == 0) {
        fprintf(stderr, "arena-bench: no kind selected\n");
        return 2;
    }

    /* header: parameters and how busy the machine is */
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char ths[32];
    if (g_nth == 2)
        snprintf(ths, sizeof ths, "%d,%d", g_th[0], g_th[1]);
    else
        snprintf(ths, sizeof ths, "%d", g_th[0]);
    printf("# arena-bench W8 %s  %ld cpus  N=%llu  rounds=%d  threads=%s  passes=%d  verify=%d  "
           "nice=%d\n",
           date, sysconf(_SC_NPROCESSORS_ONLN), n, g_rounds, ths, g_passes, verify, nice_val);
    printf("# sizes: 16 + (splitmix64(i) & 112), i = 0..N-1 (no other seed); each allocation "
           "written 8 bytes; thread t allocates i = t, t+T, ...\n");
    printf("# configs:");
    for (int c = 0; c < g_ncfg; c++)
        printf(" %s", g_cfg[c].name);
    printf("\n# peer binary: %s\n", peer ? peer : "(none: --peer-bin not given)");
    {
        int busy = busy_pct(2);
        printf("# cpu busy before start: %d%%%s\n", busy,
               busy > 10 ? "  WARNING: other work is using the CPUs; figures are skewed" : "");
    }
    printf("# format: config workload threads median unit min max n [extra]\n");
    fflush(stdout);

    const long hz = sysconf(_SC_CLK_TCK);
    const unsigned long long mb0 = machine_busy_jiffies();
    const double own0 = own_cpu_sec();
    const time_t tstart = time(NULL);

    for (int ti = 0; ti < g_nth; ti++)
        for (int c = 0; c < g_ncfg; c++)
            g_ok[ti][c] = 1;
    for (int r = 0; r < g_rounds; r++)
        for (int ti = 0; ti < g_nth; ti++) {
            /* optionally wait for a quiet machine, then log what the group ran beside */
            int waited = 0, busy = busy_pct(1);
            while (busy > 15 && waited < quiet_wait) {
                waited++;
                busy = busy_pct(1);
            }
            const unsigned long long gb0 = machine_busy_jiffies();
            const double go0 = own_cpu_sec();
            for (int c = 0; c < g_ncfg; c++) {
                if (!g_ok[ti][c])
                    continue;
                double o[R_COUNT];
                if (run_child(&g_cfg[c], g_th[ti], n, verify, o) != 0) {
                    g_ok[ti][c] = 0;
                    failed++;
                    fprintf(stderr, "arena-bench: %s with %d threads: child failed (see above)\n",
                            g_cfg[c].name, g_th[ti]);
                    continue;
                }
                for (int f = 0; f < R_COUNT; f++)
                    g_res[ti][c][f][r] = o[f];
            }
            const double go =
                (double)(machine_busy_jiffies() - gb0) / (double)hz - (own_cpu_sec() - go0);
            printf("# round %d threads %d: busy %d%% at start (waited %d s), other processes "
                   "used %.0f core-s meanwhile\n",
                   r + 1, g_th[ti], busy, waited, go > 0 ? go : 0.0);
            fflush(stdout);
        }

    for (int ti = 0; ti < g_nth; ti++)
        for (int c = 0; c < g_ncfg; c++) {
            const char *nm = g_cfg[c].name;
            if (!g_ok[ti][c]) {
                printf("%s W8 %d skipped (failed or not available)\n", nm, g_th[ti]);
                continue;
            }
            double med, mn, mx, fl;
            stats3(g_res[ti][c][R_AC], g_rounds, &med, &mn, &mx);
            stats3(g_res[ti][c][R_FLC], g_rounds, &fl, &(double){0}, &(double){0});
            printf("%s W8-alloc-cold %d %.3f ns/alloc min=%.3f max=%.3f n=%d minflt/alloc=%.4f\n",
                   nm, g_th[ti], med, mn, mx, g_rounds, fl);
            stats3(g_res[ti][c][R_AW], g_rounds, &med, &mn, &mx);
            stats3(g_res[ti][c][R_FLW], g_rounds, &fl, &(double){0}, &(double){0});
            char cpu[48] = "";
            if (g_res[ti][c][R_CAW][0] >= 0) {
                double cm;
                stats3(g_res[ti][c][R_CAW], g_rounds, &cm, &(double){0}, &(double){0});
                snprintf(cpu, sizeof cpu, " cpu_ns/alloc=%.3f", cm);
            }
            printf("%s W8-alloc-warm %d %.3f ns/alloc min=%.3f max=%.3f n=%d minflt/alloc=%.4f%s\n",
                   nm, g_th[ti], med, mn, mx, g_rounds, fl, cpu);
            stats3(g_res[ti][c][R_FC], g_rounds, &med, &mn, &mx);
            printf("%s W8-freeall %d %.3f ns/alloc min=%.3f max=%.3f n=%d (cold pass)\n", nm,
                   g_th[ti], med, mn, mx, g_rounds);
        }

    /* ratio table: per-round ratios (adjacent processes), median [min..max] */
    /* the malloc baseline: ours (same binary), else the peers' */
    int cmalloc = find_cfg("glibc_malloc");
    if (cmalloc < 0)
        cmalloc = find_cfg("peer:glibc_malloc");
    const int cfloor = find_cfg("peer:bump_floor");
    printf("\n# ratios: median of per-round ratios [min..max]. x/floor = time of x / time of the "
           "peers' bump floor (lower is better);\n# malloc/x = glibc malloc time / time of x (how "
           "many times faster than malloc). wall = wall clock; cpu = thread CPU time\n");
    printf("# %-3s %-18s %-19s %-19s %-19s %-19s %-19s\n", "T", "config", "warm x/floor wall",
           "warm x/floor cpu", "cold x/floor wall", "warm malloc/x wall", "warm malloc/x cpu");
    for (int ti = 0; ti < g_nth; ti++)
        for (int c = 0; c < g_ncfg; c++) {
            if (!g_ok[ti][c])
                continue;
            char cell[5][32];
            const int num[5] = {c, c, c, cmalloc, cmalloc}, den[5] = {cfloor, cfloor, cfloor, c, c};
            const int fld[5] = {R_AW, R_CAW, R_AC, R_AW, R_CAW};
            for (int k = 0; k < 5; k++) {
                double med, mn, mx;
                if (ratio(ti, num[k], ti, den[k], fld[k], &med, &mn, &mx))
                    snprintf(cell[k], sizeof cell[k], "%.2f [%.2f..%.2f]", med, mn, mx);
                else
                    snprintf(cell[k], sizeof cell[k], "-");
            }
            printf("  %-3d %-18s %-19s %-19s %-19s %-19s %-19s\n", g_th[ti], g_cfg[c].name, cell[0],
                   cell[1], cell[2], cell[3], cell[4]);
        }
    /* 2-thread scaling: alloc time with 1 thread / with 2 threads = throughput ratio */
    int t1 = find_th(1), t2 = find_th(2);
    if (t1 >= 0 && t2 >= 0) {
        printf("\n# 2-thread scaling: throughput(2 threads) / throughput(1 thread) = time(1) / "
               "time(2), per round, median [min..max]\n# cpu = by thread CPU time (max over the "
               "threads): a diagnostic on a busy machine, NOT a throughput figure\n");
        for (int c = 0; c < g_ncfg; c++) {
            char cell[3][32];
            const int fld[3] = {R_AW, R_CAW, R_AC};
            for (int k = 0; k < 3; k++) {
                double med, mn, mx;
                if (ratio(t1, c, t2, c, fld[k], &med, &mn, &mx))
                    snprintf(cell[k], sizeof cell[k], "%.2f [%.2f..%.2f]", med, mn, mx);
                else
                    snprintf(cell[k], sizeof cell[k], "-");
            }
            printf("  %-18s warm wall %-19s warm cpu %-19s cold wall %s\n", g_cfg[c].name, cell[0],
                   cell[1], cell[2]);
        }
    }

    /* the targets of issue 2, on both bases */
    printf("\n# targets (issue 2); wall = wall clock, cpu = thread CPU time\n");
    const int cbump = find_cfg("lsmt_bump"), ccar = find_cfg("lsmt_sharded_arena");
    static const char *const basis[2] = {"wall", "cpu"};
    static const int warm_f[2] = {R_AW, R_CAW};
    for (int b = 0; b < 2; b++)
        for (int ti = 0; ti < g_nth; ti++) {
            char l[96];
            snprintf(l, sizeof l, "bump warm / bump_floor warm (T=%d, %s)", g_th[ti], basis[b]);
            print_ratio_line(l, ti, cbump, ti, cfloor, warm_f[b], 1, 1.2);
            snprintf(l, sizeof l, "carena warm / bump_floor warm (T=%d, %s)", g_th[ti], basis[b]);
            print_ratio_line(l, ti, ccar, ti, cfloor, warm_f[b], 1, 1.5);
            snprintf(l, sizeof l, "malloc warm / bump warm (T=%d, %s)", g_th[ti], basis[b]);
            print_ratio_line(l, ti, cmalloc, ti, cbump, warm_f[b], 0, 10.0);
            snprintf(l, sizeof l, "malloc warm / carena warm (T=%d, %s)", g_th[ti], basis[b]);
            print_ratio_line(l, ti, cmalloc, ti, ccar, warm_f[b], 0, 10.0);
        }
    print_ratio_line("carena throughput 2T / 1T, warm (wall)", t1, ccar, t2, ccar, R_AW, 0, 1.8);
    print_ratio_line("carena 2T / 1T by thread CPU time (diagnostic only)", t1, ccar, t2, ccar,
                     R_CAW, 0, 1.8);
    print_ratio_line("carena throughput 2T / 1T, cold (wall)", t1, ccar, t2, ccar, R_AC, 0, 1.8);
    print_ratio_line("(reference) bump_floor throughput 2T / 1T, warm (wall)", t1, cfloor, t2,
                     cfloor, R_AW, 0, 1.8);
    print_ratio_line("(reference) bump_floor 2T / 1T by CPU time (diagnostic)", t1, cfloor, t2,
                     cfloor, R_CAW, 0, 1.8);

    const double others =
        (double)(machine_busy_jiffies() - mb0) / (double)hz - (own_cpu_sec() - own0);
    printf("# total run time %ld s; CPU used by other processes meanwhile: %.0f core-s "
           "(0 = quiet machine)\n",
           (long)(time(NULL) - tstart), others > 0 ? others : 0.0);
    if (failed)
        printf("# %d configuration(s) failed (see stderr): exit status 1\n", failed);
    return failed ? 1 : 0;
}
