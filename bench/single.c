/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * single: (pairs) 1,000,000 one-frame alloc-then-free pairs; (bulk) 262,144 frames (1 GiB)
 * allocated one by one, then freed in random order. Scaled by --scale.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>

static int run_phase(const char *phase, struct bench_oplist *l, const struct bench_opts *o)
{
    struct bench_spec spec = {.workload = "single", .phase = phase, .ops = l, .pools = -1};
    int bad = bench_run_all(&spec, o, NULL, NULL);
    ops_fini(l);
    return bad;
}

int bench_single(const struct bench_opts *o)
{
    long pairs = lround(1000000.0 * o->scale), bulk = lround(262144.0 * o->scale);
    pairs = pairs < 1 ? 1 : pairs;
    bulk = bulk < 1 ? 1 : bulk;
    if (!o->json) {
        printf("single: %ld pairs (ns/op is per call: a pair is 2 ops); then %ld frames one by "
               "one, freed in random order; seed %llu\n",
               pairs, bulk, (unsigned long long)o->seed);
    }
    struct bench_oplist l;
    ops_init(&l);
    single_pairs_generate(&l, pairs);
    int bad = run_phase("pairs", &l, o);

    ops_init(&l);
    if (single_bulk_generate(&l, bulk, o->seed)) {
        return 1;
    }
    bad += run_phase("bulk", &l, o);
    return bad ? 1 : 0;
}
