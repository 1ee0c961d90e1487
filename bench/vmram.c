/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmram: back a guest's RAM, the way a VMM populates guest memory: 1 GiB (scaled) as 4 KiB
 * frames, as runs of 2^k frames (k uniform in 0..10, the last run cut to fit), and as large
 * pages; then release it all. CapBuddy's pools hold 4 KiB frames only, so its native row
 * for large pages is skipped; capbuddy-vka passes large pages to the parent.
 */
#include "bench.h"

#include <math.h>

int bench_vmram(const struct bench_opts *o)
{
    uint64_t frames = (uint64_t)llround(262144.0 * o->scale);
    unsigned lorder = seL4_LargePageBits - seL4_PageBits;
    frames = frames < (1u << lorder) ? (1u << lorder) : frames;
    if (!o->json) {
        printf("vmram: %llu MiB of guest RAM; large pages of %u KiB; seed %llu\n",
               (unsigned long long)(frames >> 8), 4u << lorder, (unsigned long long)o->seed);
    }
    int bad = 0;
    static const char *const phases[] = {"4k", "runs", "large"};
    for (int p = 0; p < 3; p++) {
        struct bench_oplist l;
        ops_init(&l);
        vmram_generate(&l, p, frames, lorder, o->seed);
        struct bench_spec spec = {.workload = "vmram", .phase = phases[p], .ops = &l, .pools = -1};
        bad += bench_run_all(&spec, o, NULL, NULL);
        ops_fini(&l);
    }
    return bad ? 1 : 0;
}
