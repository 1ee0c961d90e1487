/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The workload generators shared by the host bench and the real-kernel cost app
 * (workload_gen.h). Moved here unchanged from mcmc.c, single.c and vmram.c.
 *
 * mcmc: the original evaluation's Monte Carlo churn. At iteration i: draw a block size and a
 * lifetime t in 1..T, allocate the block (due at i + t), then free every block due at i.
 * Size laws: (a) 2^k frames, k uniform in 0..10; (b) a uniform count of 1..1023 frames
 * (CapBuddy rounds up to 2^k and reports the waste; per-frame allocators take exactly the
 * count); (c) 2^k frames with P(k) = 2^-(k+1) for k < 10 and 2^-10 for k = 10, so one frame
 * about half the time and 1024 frames about 1 in 1024. Blocks still live at the end are
 * freed, so every run ends empty and can be checked for leaks.
 */
#include "workload_gen.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned ceil_log2_32(uint32_t x)
{
    unsigned b = 0;
    while (((uint32_t)1 << b) < x) {
        b++;
    }
    return b;
}

void mcmc_generate(struct bench_oplist *l, char law, long iterations, long max_lifetime,
                   uint64_t seed, long mark_every)
{
    /* Blocks due at iteration i form a list: head[i], then next[id]. */
    if (iterations < 1 || max_lifetime < 1) {
        return; /* callers clamp both (mcmc_iterations, mcmc_max_lifetime) */
    }
    size_t slots = (size_t)iterations + (size_t)max_lifetime + 1;
    /* calloc, then -1 below: nothing is ever read uninitialised, and the analyzer sees it */
    int64_t *head = calloc(slots, sizeof(*head));
    int64_t *next = calloc((size_t)iterations, sizeof(*next));
    int64_t *tail = calloc(slots, sizeof(*tail));
    if (!head || !next || !tail) {
        fprintf(stderr, "mcmc: out of host memory\n");
        exit(1);
    }
    for (size_t i = 0; i < slots; i++) {
        head[i] = tail[i] = -1;
    }
    for (long i = 0; i < iterations; i++) {
        next[i] = -1; /* every id is set before it is read; this keeps the analyzer sure */
    }
    /* One stream per law, so that mcmc-a and mcmc-b with the same seed are independent. */
    uint64_t rng = seed * 0x100000001b3ull + (uint64_t)law;
    for (long i = 0; i < iterations; i++) {
        unsigned order;
        uint32_t frames;
        if (law == 'a') {
            order = (unsigned)bench_below(&rng, 11);
            frames = 1u << order;
        } else if (law == 'b') {
            frames = 1 + (uint32_t)bench_below(&rng, 1023);
            order = ceil_log2_32(frames);
        } else {
            uint64_t bits = bench_rand(&rng);
            order = 0;
            while (order < 10 && (bits >> order) & 1) {
                order++;
            }
            frames = 1u << order;
        }
        long t = 1 + (long)bench_below(&rng, (uint64_t)max_lifetime);
        uint32_t id = ops_alloc(l, order, frames, 0, 0);
        size_t due = (size_t)(i + t); /* < slots: t <= max_lifetime */
        if (due >= slots || id >= (uint32_t)iterations) {
            abort(); /* cannot happen: bench_below(n) < n, one id per iteration */
        }
        next[id] = -1;
        if (tail[due] < 0) {
            head[due] = id;
        } else {
            next[tail[due]] = id;
        }
        tail[due] = id;
        for (int64_t b = head[i]; b >= 0; b = next[b]) {
            ops_free(l, (uint32_t)b);
        }
        if (mark_every > 0 && i % mark_every == mark_every - 1) {
            ops_push(l, OP_MARK)->id = (uint32_t)(i + 1);
        }
    }
    ops_free_rest(l);
    free(head);
    free(next);
    free(tail);
}

void single_pairs_generate(struct bench_oplist *l, long pairs)
{
    for (long i = 0; i < pairs; i++) {
        ops_free(l, ops_alloc(l, 0, 1, 0, 0));
    }
}

int single_bulk_generate(struct bench_oplist *l, long bulk, uint64_t seed)
{
    uint32_t *ids = malloc((size_t)bulk * sizeof(*ids));
    if (!ids) {
        return -1;
    }
    for (long i = 0; i < bulk; i++) {
        ids[i] = ops_alloc(l, 0, 1, 0, 0);
    }
    uint64_t rng = seed;
    for (long i = bulk - 1; i > 0; i--) {
        long j = (long)bench_below(&rng, (uint64_t)i + 1);
        uint32_t t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    for (long i = 0; i < bulk; i++) {
        ops_free(l, ids[i]);
    }
    free(ids);
    return 0;
}

void vmram_generate(struct bench_oplist *l, int phase, uint64_t frames, unsigned large_order,
                    uint64_t seed)
{
    uint64_t rng = seed;
    for (uint64_t done = 0; done < frames;) {
        if (phase == 0) {
            ops_alloc(l, 0, 1, 0, 0);
            done++;
        } else if (phase == 1) {
            unsigned k = (unsigned)bench_below(&rng, 11);
            while ((1ull << k) > frames - done) {
                k--;
            }
            ops_alloc(l, k, 1u << k, 0, 0);
            done += 1ull << k;
        } else {
            ops_alloc(l, large_order, 1u << large_order, BLK_LARGE, 0);
            done += 1ull << large_order;
        }
    }
    ops_free_rest(l);
}
