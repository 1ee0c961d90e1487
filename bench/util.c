/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * util: memory utilisation under mcmc (a). Every 1,000th iteration (scaled with the run)
 * the checked run records frames the program holds and frames the allocator holds from the
 * parent (for CapBuddy: every frame of its pools, free, used or waiting for revocation); at
 * the end everything is freed and the row reports pools given back and the largest run the
 * allocator or its parent can hand out again. Each row's held-versus-used figures
 * (report_overhead_of: held and used at most, overhead = held / used - 1 over the samples
 * with used > 0, the goal held <= 1.10 x used + one pool at every sample) go in its JSON row
 * and, one line a row, under the table.
 */
#include "bench.h"

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
        report_overhead_lines(stdout, rows, n, true);
    }
    if (o->plot_dir) {
        plot_workload(o->plot_dir, "util", rows, n);
    }
    bench_results_free(rows, n);
    ops_fini(&l);
    return bad ? 1 : 0;
}
