/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Compiler hints for the fast paths (branch weights, out-of-line cold code) and the debug log.
 * GCC and Clang, the compilers seL4 builds with, understand all of them.
 */
#pragma once

/* The common case of a test on the fast path: the compiler lays it out as the fall-through. */
#define cb_likely(x)   __builtin_expect(!!(x), 1)
#define cb_unlikely(x) __builtin_expect(!!(x), 0)

/* Slow paths: kept out of line, and out of the fast path's cache lines. */
#define CB_COLD     __attribute__((cold, noinline))
#define CB_NOINLINE __attribute__((noinline))

/* One log line per refused call or failed kernel step, when built with -DCAPBUDDY_LOG. */
#ifdef CAPBUDDY_LOG
#include <stdio.h>
#define CB_LOG(...) (fprintf(stderr, "capbuddy: " __VA_ARGS__), fputc('\n', stderr))
#else
#define CB_LOG(...) ((void)0)
#endif
