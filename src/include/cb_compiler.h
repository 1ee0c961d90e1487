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
#define CB_COLD          __attribute__((cold, noinline))
#define CB_NOINLINE      __attribute__((noinline))
#define CB_ALWAYS_INLINE inline __attribute__((always_inline))

/* One log line per refused call or failed kernel step, when built with -DCAPBUDDY_LOG. */
#ifdef CAPBUDDY_LOG
#include <stdio.h>
#define CB_LOG(...) (fprintf(stderr, "capbuddy: " __VA_ARGS__), fputc('\n', stderr))
#else
#define CB_LOG(...) ((void)0)
#endif

/*
 * The integrity walkers (cb_tree_check, cb_poolset_check, capbuddy_check) return 0, or where
 * the first broken invariant was found: -(file * 10000 + line), file one of CB_CHECK_FILE_*.
 * Unambiguous across files, and never one of the CAPBUDDY_ERR_* codes (all above -100).
 */
#define CB_CHECK_FILE_TREE    1 /* src/tree/tree.c */
#define CB_CHECK_FILE_POOLSET 2 /* src/poolset/poolset.c */
#define CB_CHECK_FILE_API     3 /* src/api/check.c */
#define CB_CHECK_FAILED(file) (-((file)*10000 + __LINE__))
#define CB_CHECK(file, cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return CB_CHECK_FAILED(file);                                                          \
        }                                                                                          \
    } while (0)
