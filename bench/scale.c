/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * scale: does the cost of an allocation grow with the number of pools? P pools are made
 * first (not timed), one frame allocated at each of P consecutive 4 MiB-aligned physical
 * addresses (CapBuddy: one pool per address, holding that frame; the per-frame allocators
 * hold the same P frames), then single-frame churn runs with 256 frames live: free a random
 * one, allocate a new one. The P set-up frames are freed after the timed part. P = 1, 64,
 * 1024, 16384 (scaled; 16384 pools are 64 GiB of modelled RAM and 2^24 pool slots).
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHURN_LIVE 256

static unsigned ceil_log2_64(uint64_t x)
{
    unsigned b = 0;
    while (b < 63 && ((uint64_t)1 << b) < x) {
        b++;
    }
    return b;
}

static int cmp_rows(const void *x, const void *y)
{
    const struct bench_result *a = x, *b = y;
    int c = strcmp(a->allocator, b->allocator);
    if (!c) {
        c = strcmp(a->policy, b->policy);
    }
    return c ? c : (a->pools > b->pools) - (a->pools < b->pools);
}

int bench_scale(const struct bench_opts *o)
{
    static const long base_counts[] = {1, 64, 1024, 16384};
    long steps = lround(500000.0 * o->scale);
    steps = steps < 1000 ? 1000 : steps;
    if (!o->json) {
        printf("scale: %ld churn steps (free + alloc) with %d frames live, seed %llu\n", steps,
               CHURN_LIVE, (unsigned long long)o->seed);
    }
    struct bench_result *all = NULL;
    size_t nall = 0;
    long last = 0;
    int bad = 0;
    for (size_t c = 0; c < sizeof(base_counts) / sizeof(base_counts[0]); c++) {
        long pools = lround((double)base_counts[c] * (o->scale < 1 ? o->scale : 1));
        pools = pools < 1 ? 1 : pools;
        if (pools == last) {
            continue;
        }
        last = pools;
        /* The root CNode is part of what the boot reserves at the bottom of RAM: 2^bits
         * slots of 32 bytes, aligned to its size after the 2 MiB kernel image. Place the pools
         * above it, with 64 MiB to spare for the other root task objects. */
        unsigned bits = ceil_log2_64(((uint64_t)pools << 10) + 65536) + 1;
        uint64_t base = ((uint64_t)1 << (bits + 6)) + (64ull << 20);
        struct bench_oplist l;
        ops_init(&l);
        for (long p = 0; p < pools; p++) {
            ops_alloc(&l, 0, 1, BLK_AT, base + ((uint64_t)p << 22));
        }
        size_t from = l.n;
        uint32_t live[CHURN_LIVE];
        for (int i = 0; i < CHURN_LIVE; i++) {
            live[i] = ops_alloc(&l, 0, 1, 0, 0);
        }
        uint64_t rng = o->seed;
        for (long s = 0; s < steps; s++) {
            unsigned k = (unsigned)bench_below(&rng, CHURN_LIVE);
            ops_free(&l, live[k]);
            live[k] = ops_alloc(&l, 0, 1, 0, 0);
        }
        for (int i = 0; i < CHURN_LIVE; i++) {
            ops_free(&l, live[i]);
        }
        size_t to = l.n;
        for (long p = 0; p < pools; p++) {
            ops_free(&l, (uint32_t)p);
        }
        struct bench_spec spec = {.workload = "scale",
                                  .phase = "",
                                  .ops = &l,
                                  .pools = pools,
                                  .ram_bytes = base + ((uint64_t)pools << 22) + (128ull << 20),
                                  .cnode_bits = bits,
                                  .timed_from = from,
                                  .timed_to = to};
        struct bench_result *rows;
        size_t n;
        bad += bench_run_all(&spec, o, &rows, &n);
        struct bench_result *grown = realloc(all, (nall + n) * sizeof(*all));
        if (!grown) {
            bench_results_free(rows, n);
            ops_fini(&l);
            break;
        }
        all = grown;
        memcpy(all + nall, rows, n * sizeof(*rows));
        nall += n;
        free(rows); /* the rows' samples (none here) now belong to all */
        ops_fini(&l);
    }
    qsort(all, nall, sizeof(*all), cmp_rows);
    if (!o->json) {
        report_scale_table(stdout, all, nall);
    }
    if (o->plot_dir) {
        plot_workload(o->plot_dir, "scale", all, nall);
    }
    bench_results_free(all, nall);
    return bad ? 1 : 0;
}
