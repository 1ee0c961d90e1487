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
