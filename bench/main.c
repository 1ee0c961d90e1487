/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy-bench: one binary, one subcommand per workload.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: capbuddy-bench WORKLOAD [options]\n"
                    "workloads:\n"
                    "  tree --ops N [--order K|--mixed] [--json]   one warm pool tree\n"
                    "  demo                                        the main benchmark\n"
                    "  all                                         every benchmark\n");
    return 2;
}

static int run_demo(void)
{
    char *order0[] = {"tree", "--ops", "20000000", "--order", "0"};
    char *mixed[] = {"tree", "--ops", "20000000", "--mixed"};
    int err = bench_tree(5, order0);
    return err ? err : bench_tree(4, mixed);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage();
    }
    if (!strcmp(argv[1], "tree")) {
        return bench_tree(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "demo") || !strcmp(argv[1], "all")) {
        return run_demo();
    }
    return usage();
}
