/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * contig: for every k in 0..10, allocate and free a run of 2^k frames 10,000 times (scaled);
 * (any) anywhere, (at) at one physical address, 4 MiB aligned, well above the memory the
 * boot reserves. Per-frame allocators take 2^k single frames (at paddr + i * 4 KiB).
 */
#include "bench.h"

#include <math.h>

/* 64 MiB: above the kernel image and root task objects at the bottom of modelled RAM. */
#define CONTIG_PADDR 0x4000000ull

int bench_contig(const struct bench_opts *o)
{
    long reps = lround(10000.0 * o->scale);
    reps = reps < 1 ? 1 : reps;
    if (!o->json) {
        printf("contig: runs of 2^k frames, k = 0..10, %ld times each; (at) at paddr 0x%llx\n",
               reps, CONTIG_PADDR);
    }
    int bad = 0;
    for (int at = 0; at < 2; at++) {
        struct bench_oplist l;
        ops_init(&l);
        for (unsigned k = 0; k <= 10; k++) {
            for (long i = 0; i < reps; i++) {
                ops_free(&l, ops_alloc(&l, k, 1u << k, at ? BLK_AT : 0, at ? CONTIG_PADDR : 0));
            }
        }
        struct bench_spec spec = {
            .workload = "contig", .phase = at ? "at" : "any", .ops = &l, .pools = -1};
        bad += bench_run_all(&spec, o, NULL, NULL);
        ops_fini(&l);
    }
    return bad ? 1 : 0;
}
