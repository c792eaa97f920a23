/* memtable-bench: YCSB-style load testing of the lsmt memtable, and the micro workloads
 * W1-W8 of WORKLOADS.md. Run `memtable-bench --help`; bench/config.h lists the files and
 * bench/README.md what the figures mean.
 *
 * main: parse the flags (exit 2 on a bad one, before anything runs), run the workload,
 * print its report. Ctrl-C stops the run; the figures so far are printed and the exit
 * status is 130. */
#include <stdio.h>

#include "bench/config.h"
#include "bench/phase.h"
#include "bench/report.h"

int main(int argc, char **argv)
{
    static bench_config cfg;
    static bench_report rep;
    bench_parse_args(argc, argv, &cfg);
    bench_interrupt_install();
    int rc = cfg.micro ? bench_run_micro(&cfg, &rep) : bench_run_ycsb(&cfg, &rep);
    if (rc == 0 || rep.interrupted)
        bench_report_print(&cfg, &rep);
    bench_report_free(&rep);
    if (fflush(stdout) != 0)
        return 1;
    return rep.interrupted ? 130 : rc != 0;
}
