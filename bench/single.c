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
    for (long i = 0; i < pairs; i++) {
        ops_free(&l, ops_alloc(&l, 0, 1, 0, 0));
    }
    int bad = run_phase("pairs", &l, o);

    ops_init(&l);
    uint32_t *ids = malloc((size_t)bulk * sizeof(*ids));
    if (!ids) {
        return 1;
    }
    for (long i = 0; i < bulk; i++) {
        ids[i] = ops_alloc(&l, 0, 1, 0, 0);
    }
    uint64_t rng = o->seed;
    for (long i = bulk - 1; i > 0; i--) {
        long j = (long)bench_below(&rng, (uint64_t)i + 1);
        uint32_t t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    for (long i = 0; i < bulk; i++) {
        ops_free(&l, ids[i]);
    }
    free(ids);
    bad += run_phase("bulk", &l, o);
    return bad ? 1 : 0;
}
