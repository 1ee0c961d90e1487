/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * util: memory utilisation under mcmc (a). Every 1,000th iteration (scaled with the run)
 * the checked run records frames the program holds and frames the allocator holds from the
 * parent (for CapBuddy: every frame of its pools, free, used or waiting for revocation); at
 * the end everything is freed and the row reports pools given back and the largest run the
 * allocator or its parent can hand out again.
 */
#include "bench.h"

#include <string.h>

int bench_util(const struct bench_opts *o)
{
    long iters = mcmc_iterations(o), life = mcmc_max_lifetime(o);
    long every = iters / 50 > 0 ? iters / 50 : 1;
    struct bench_oplist l;
    ops_init(&l);
    mcmc_generate(&l, 'a', iters, life, o->seed, every);
    if (!o->json) {
        printf("util: mcmc-a, %ld iterations, lifetimes 1..%ld, seed %llu, sampled every %ld\n",
               iters, life, (unsigned long long)o->seed, every);
    }
    struct bench_spec spec = {
        .workload = "util", .phase = "", .ops = &l, .pools = -1, .samples = true};
    struct bench_result *rows;
    size_t n;
    int bad = bench_run_all(&spec, o, &rows, &n);
    if (!o->json) {
        printf("  utilisation: live frames / frames held, over the run's samples\n");
        for (size_t i = 0; i < n; i++) {
            const struct bench_result *r = &rows[i];
            if (r->skipped || !r->nsamples) {
                continue;
            }
            double worst = 1, sum = 0;
            uint64_t peak_held = 0, peak_used = 0;
            for (size_t k = 0; k < r->nsamples; k++) {
                double u = r->samples[k].held ? (double)r->samples[k].used / (double)r->samples[k].held : 1;
                worst = u < worst ? u : worst;
                sum += u;
                peak_held = r->samples[k].held > peak_held ? r->samples[k].held : peak_held;
                peak_used = r->samples[k].used > peak_used ? r->samples[k].used : peak_used;
            }
            printf("  %-12s %-6s mean %.3f, worst %.3f; peak used %llu, peak held %llu frames; "
                   "pools made %llu, given back %llu; largest free run at the end %llu frames\n",
                   r->allocator, r->policy, sum / (double)r->nsamples, worst,
                   (unsigned long long)peak_used, (unsigned long long)peak_held,
                   (unsigned long long)r->pools_created, (unsigned long long)r->pools_returned,
                   (unsigned long long)r->largest_free_frames);
        }
    }
    if (o->plot_dir) {
        plot_workload(o->plot_dir, "util", rows, n);
    }
    bench_results_free(rows, n);
    ops_fini(&l);
    return bad ? 1 : 0;
}
