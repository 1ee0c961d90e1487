/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mcmc: the original evaluation's Monte Carlo churn. At iteration i: draw a block size and a
 * lifetime t in 1..T, allocate the block (due at i + t), then free every block due at i.
 * Size laws: (a) 2^k frames, k uniform in 0..10; (b) a uniform count of 1..1023 frames
 * (CapBuddy rounds up to 2^k and reports the waste; per-frame allocators take exactly the
 * count); (c) 2^k frames with P(k) = 2^-(k+1) for k < 10 and 2^-10 for k = 10, so one frame
 * about half the time and 1024 frames about 1 in 1024. Blocks still live at the end are
 * freed, so every run ends empty and can be checked for leaks.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

long mcmc_iterations(const struct bench_opts *o)
{
    long n = o->iterations > 0 ? o->iterations : lround(50000.0 * o->scale);
    return n < 10 ? 10 : n;
}

long mcmc_max_lifetime(const struct bench_opts *o)
{
    long t = o->max_lifetime > 0 ? o->max_lifetime : lround(4999.0 * o->scale);
    return t < 2 ? 2 : t;
}

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
    size_t slots = (size_t)iterations + (size_t)max_lifetime + 1;
    int64_t *head = malloc(slots * sizeof(*head));
    int64_t *next = malloc((size_t)iterations * sizeof(*next));
    int64_t *tail = malloc(slots * sizeof(*tail));
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
        size_t due = (size_t)(i + t);
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

int bench_mcmc(const char *law, const struct bench_opts *o)
{
    long iters = mcmc_iterations(o), life = mcmc_max_lifetime(o);
    struct bench_oplist l;
    ops_init(&l);
    mcmc_generate(&l, law[5], iters, life, o->seed, 0);
    if (!o->json) {
        printf("%s: %ld iterations, lifetimes 1..%ld, seed %llu\n", law, iters, life,
               (unsigned long long)o->seed);
    }
    struct bench_spec spec = {.workload = law, .phase = "", .ops = &l, .pools = -1};
    struct bench_result *rows;
    size_t n;
    int bad = bench_run_all(&spec, o, &rows, &n);
    if (o->plot_dir) {
        plot_workload(o->plot_dir, law, rows, n);
    }
    bench_results_free(rows, n);
    ops_fini(&l);
    return bad ? 1 : 0;
}
