/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The benchmark runner's shared pieces: each workload is a function taking the
 * command line after its name.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* `capbuddy-bench tree --ops N [--order K|--mixed] [--json]` */
int bench_tree(int argc, char **argv);
