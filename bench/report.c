/* Printers of a memtable-bench report (report.h): a table for people, JSON and CSV for
 * scripts (bench/summarize_vs_peers.py, bench/plot.sh, the smoke test). CSV columns are
 * only ever appended, so older readers keep working. */
#include "bench/report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lsmt/lsmt.h"

bench_hist *bench_hist_new(void)
{
    bench_hist *h = malloc(sizeof *h);
    if (h != NULL)
        bench_hist_reset(h);
    return h;
}

void bench_report_metric(bench_report *r, const char *name, unsigned threads, double value,
                         const char *unit, const char *note)
{
    if (r->nmetrics >= BENCH_MAX_METRICS)
        return;
    bench_metric *m = &r->metric[r->nmetrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->threads = threads;
    m->value = value;
    snprintf(m->unit, sizeof m->unit, "%s", unit);
    snprintf(m->note, sizeof m->note, "%s", note ? note : "");
}

void bench_report_row(bench_report *r, const char *phase, const char *op, double seconds,
                      bench_hist *h)
{
    if (r->nrows >= BENCH_MAX_ROWS) {
        free(h);
        return;
    }
    bench_oprow *row = &r->row[r->nrows++];
    row->phase = phase;
    row->op = op;
    row->count = h->count;
    row->seconds = seconds;
    row->hist = h;
}

void bench_report_free(bench_report *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        free(r->row[i].hist);
    r->nrows = 0;
}

/* The percentiles of every report, in column order. */
static const double k_pcts[] = {50, 90, 95, 99, 99.9, 99.99};
static const char *const k_pct_names[] = {"p50", "p90", "p95", "p99", "p99_9", "p99_99"};
#define NPCT (sizeof k_pcts / sizeof k_pcts[0])

static double ops_per_sec(const bench_oprow *o)
{
    return o->seconds > 0 ? (double)o->count / o->seconds : 0;
}

/* Record bytes (YCSB) or value bytes (W workloads). */
static size_t record_bytes(const bench_config *c)
{
    return c->ycsb ? ycsb_record_size(&c->record) : c->value_size;
}

/* The path of this executable, for a repeat command that works from any directory. */
static const char *self_path(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return "memtable-bench";
    path[n] = '\0';
    return path;
}

/* Print `s` as a JSON string literal. */
static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* The "params" object: every flag value, so the run can be repeated. */
static void print_params_json(const bench_config *c)
{
    char rep[1024];
    bench_repeat_flags(c, rep, sizeof rep);
    printf("  \"params\": {\"workload\": \"%s\", \"threads\": %u, \"records\": %llu, "
           "\"ops\": %llu, \"duration_s\": %g, \"target_ops_per_sec\": %g, \"key_shape\": "
           "\"%s\", \"key_size\": %zu, \"value_size\": %zu, \"field_count\": %u, "
           "\"field_length\": %zu, \"record_bytes\": %zu, \"update\": \"%s\", "
           "\"distribution\": \"%s\", \"theta\": %g, \"scan_length\": %u, \"seed\": %llu, "
           "\"bloom_bits_per_key\": %u, \"shards\": %zu, \"huge_pages\": %s, "
           "\"memtable_size\": %zu, \"cycles\": %u, \"rounds\": %u, \"batch\": %u, "
           "\"w8_kind\": \"%s\", \"protection_bytes_per_key\": %u, \"paranoid_checks\": %s},\n",
           c->workload, c->threads, (unsigned long long)c->records, (unsigned long long)c->ops,
           c->ops ? 0.0 : c->duration, c->target, bench_key_shape_name(c->keys.shape), c->keys.size,
           c->value_size, c->record.fields, c->record.field_len, record_bytes(c),
           c->ycsb ? (c->blind_updates ? "blind" : "merge") : "", bench_dist_name(c->dist),
           c->theta, c->scan_length, (unsigned long long)c->seed, c->bloom, c->shards,
           c->huge_pages ? "true" : "false", c->memtable_size, c->cycles, c->rounds, c->batch,
           w8_kind_name(c->w8kind), c->protection, c->paranoid ? "true" : "false");
    char full[PATH_MAX + sizeof rep + 2];
    snprintf(full, sizeof full, "%s %s", self_path(), rep);
    printf("  \"repeat\": ");
    json_string(full);
    printf(",\n");
}

static void print_json(const bench_config *c, const bench_report *r)
{
    printf("{\n  \"tool\": \"memtable-bench\",\n  \"lsmt_version\": \"%d.%d.%d\",\n",
           lsmt_version() / 10000, lsmt_version() / 100 % 100, lsmt_version() % 100);
    printf("  \"interrupted\": %s,\n", r->interrupted ? "true" : "false");
    print_params_json(c);
    printf("  \"ops\": [");
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_oprow *o = &r->row[i];
        printf("%s\n    {\"phase\": \"%s\", \"op\": \"%s\", \"count\": %llu, "
               "\"seconds\": %.6f, \"ops_per_sec\": %.1f, \"mean_ns\": %.1f, \"min_ns\": %llu",
               i ? "," : "", o->phase, o->op, (unsigned long long)o->count, o->seconds,
               ops_per_sec(o), bench_hist_mean(o->hist),
               (unsigned long long)(o->count ? o->hist->min : 0));
        for (size_t k = 0; k < NPCT; k++)
            printf(", \"%s_ns\": %llu", k_pct_names[k],
                   (unsigned long long)bench_hist_value_at(o->hist, k_pcts[k]));
        printf(", \"max_ns\": %llu}", (unsigned long long)o->hist->max);
    }
    printf("%s],\n  \"metrics\": [", r->nrows ? "\n  " : "");
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_string(m->name);
        printf(", \"threads\": %u, \"value\": %.6g, \"unit\": ", m->threads,
               isfinite(m->value) ? m->value : 0.0);
        json_string(m->unit);
        printf(", \"note\": ");
        json_string(m->note);
        printf("}");
    }
    printf("%s]\n}\n", r->nmetrics ? "\n  " : "");
}

/* One row per (phase, op) and per metric; header first. Columns 1-14 are the historic
 * ones; p95, p99.99, min, key shape and record bytes follow. */
static void print_csv(const bench_config *c, const bench_report *r)
{
    printf("workload,threads,phase,name,value,unit,count,mean_ns,p50_ns,p90_ns,p99_ns,"
           "p99_9_ns,max_ns,seed,p95_ns,p99_99_ns,min_ns,key_shape,record_bytes\n");
    const char *shape = bench_key_shape_name(c->keys.shape);
    for (size_t i = 0; i < r->nrows; i++) {
        const bench_oprow *o = &r->row[i];
        const bench_hist *h = o->hist;
        printf("%s,%u,%s,%s,%.1f,ops/s,%llu,%.1f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%s,"
               "%zu\n",
               c->workload, c->threads, o->phase, o->op, ops_per_sec(o),
               (unsigned long long)o->count, bench_hist_mean(h),
               (unsigned long long)bench_hist_value_at(h, 50),
               (unsigned long long)bench_hist_value_at(h, 90),
               (unsigned long long)bench_hist_value_at(h, 99),
               (unsigned long long)bench_hist_value_at(h, 99.9), (unsigned long long)h->max,
               (unsigned long long)c->seed, (unsigned long long)bench_hist_value_at(h, 95),
               (unsigned long long)bench_hist_value_at(h, 99.99),
               (unsigned long long)(o->count ? h->min : 0), shape, record_bytes(c));
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("%s,%u,metric,%s,%.6g,%s,,,,,,,,%llu,,,,%s,%zu\n", c->workload, m->threads, m->name,
               m->value, m->unit, (unsigned long long)c->seed, shape, record_bytes(c));
    }
}

/* A latency for the text table: ns, us or ms. */
static void fmt_ns(char *buf, size_t n, double ns)
{
    if (ns < 10000)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e7)
        snprintf(buf, n, "%.1fus", ns / 1e3);
    else
        snprintf(buf, n, "%.1fms", ns / 1e6);
}

/* The header lines of the text report: workload, parameters, record, repeat command. */
static void print_text_header(const bench_config *c)
{
    printf("memtable-bench (lsmt %d.%d.%d)  workload %s", LSMT_VERSION_MAJOR, LSMT_VERSION_MINOR,
           LSMT_VERSION_PATCH, c->workload);
    if (c->ycsb) {
        const ycsb_workload *wl = ycsb_workload_get(c->ycsb);
        printf(" (");
        const char *sep = "";
        for (int k = 0; k < YCSB_OP_COUNT_; k++)
            if (wl->proportion[k] > 0) {
                printf("%s%s %.0f%%", sep, ycsb_op_name((ycsb_op)k), wl->proportion[k] * 100);
                sep = ", ";
            }
        printf("; %s", bench_dist_name(c->dist));
        if (c->dist != YCSB_DIST_UNIFORM)
            printf(" theta %g", c->theta);
        printf(")");
    }
    printf("\n  threads %u  records %llu", c->threads, (unsigned long long)c->records);
    if (c->ops)
        printf("  ops %llu", (unsigned long long)c->ops);
    else if (c->ycsb)
        printf("  duration %gs", c->duration);
    if (c->target > 0)
        printf("  target %g ops/s (open loop)", c->target);
    printf("  keys %s", bench_key_shape_name(c->keys.shape));
    if (c->ycsb)
        printf("  record %u x %zu B = %zu B (%s updates)", c->record.fields, c->record.field_len,
               ycsb_record_size(&c->record), c->blind_updates ? "blind" : "merge");
    else
        printf("  value %zu B", c->value_size);
    printf("\n  bloom %u  shards %zu  huge-pages %s  memtable-size %zu  seed %llu\n", c->bloom,
           c->shards, c->huge_pages ? "on" : "off", c->memtable_size, (unsigned long long)c->seed);
    if (c->protection || c->paranoid)
        printf("  protection-bytes %u  paranoid %s\n", c->protection, c->paranoid ? "on" : "off");
    char rep[1024];
    bench_repeat_flags(c, rep, sizeof rep);
    printf("  repeat: %s %s\n\n", self_path(), rep);
}

static void print_text(const bench_config *c, const bench_report *r)
{
    print_text_header(c);
    if (r->interrupted)
        printf("  INTERRUPTED (Ctrl-C): the figures of the run so far\n\n");
    if (r->nrows) {
        printf("%-12s %-18s %10s %11s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "phase", "operation",
               "count", "ops/s", "mean", "min", "p50", "p90", "p95", "p99", "p99.9", "p99.99",
               "max");
        for (size_t i = 0; i < r->nrows; i++) {
            const bench_oprow *o = &r->row[i];
            char cell[NPCT + 3][16];
            fmt_ns(cell[0], 16, bench_hist_mean(o->hist));
            fmt_ns(cell[1], 16, (double)(o->count ? o->hist->min : 0));
            for (size_t k = 0; k < NPCT; k++)
                fmt_ns(cell[k + 2], 16, (double)bench_hist_value_at(o->hist, k_pcts[k]));
            fmt_ns(cell[NPCT + 2], 16, (double)o->hist->max);
            printf("%-12s %-18s %10llu %11.0f %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", o->phase,
                   o->op, (unsigned long long)o->count, ops_per_sec(o), cell[0], cell[1], cell[2],
                   cell[3], cell[4], cell[5], cell[6], cell[7], cell[8]);
        }
        printf("\n");
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const bench_metric *m = &r->metric[i];
        printf("  %-34s %2uT %14.4g %-10s %s\n", m->name, m->threads, m->value, m->unit, m->note);
    }
}

void bench_report_print(const bench_config *cfg, const bench_report *r)
{
    switch (cfg->format) {
    case BENCH_JSON:
        print_json(cfg, r);
        break;
    case BENCH_CSV:
        print_csv(cfg, r);
        break;
    default:
        print_text(cfg, r);
        break;
    }
}
