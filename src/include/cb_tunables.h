/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Every compile-time tunable of the library, each with what it is for. A build may override
 * any of them with -D; the defaults are what the tests, the benchmarks and the real-kernel
 * runs use.
 */
#pragma once

/* log2 of the frames of the largest pool (the tree's K): 10 = 1024 frames = 4 MiB pools.
 * Fixed at compile time so that the tree's per-order tables fold to constants. The tree
 * tests build every value 0..10; the library itself needs 10 (CAPBUDDY_MAX_ORDER). */
#ifndef CB_TREE_MAX_ORDER
#define CB_TREE_MAX_ORDER 10
#endif

/* log2 of a frame's size: the only frame size pools hold (seL4_PageBits on every arch
 * CapBuddy supports). The seL4-free layers (tree, pool set) use this instead of libsel4. */
#define CB_PAGE_BITS 12

/* Objects per Untyped_Retype when the config does not say: the kernel's
 * CONFIG_RETYPE_FAN_OUT_LIMIT when libsel4's configuration was included before this header
 * (src/api/init.c checks that it was), else the stock kernel's 256. */
#ifdef CONFIG_RETYPE_FAN_OUT_LIMIT
#define CB_DEFAULT_FAN_OUT CONFIG_RETYPE_FAN_OUT_LIMIT
#else
#define CB_DEFAULT_FAN_OUT 256
#endif

/* Wholly free pools kept instead of given back, when the caller does not say
 * (capbuddy_config_default). One spare absorbs a pool-sized alloc/free ping-pong. */
#define CB_DEFAULT_SPARE_POOLS 1

/* log2 of the first size of the cptr and paddr hash indexes; they double when more than
 * half full, so the first growth comes with the ninth pool. */
#define CB_INDEX_INITIAL_BITS 4

/* Extent entries of the slot window allocated at init; it doubles when a new pool could
 * need more (a take splits an extent in two at most). */
#define CB_SLOTS_INITIAL_EXTENTS 8
