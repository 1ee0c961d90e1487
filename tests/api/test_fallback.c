/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fallback: when the parent has no 4 MiB untyped, CapBuddy makes smaller pools, down to the
 * request's size, rather than fail while memory exists. Shown two ways: a small RAM boot,
 * and a parent whose large untypeds were all taken by someone else. Once CapBuddy says
 * NO_MEMORY, the parent really has nothing left of the request's size.
 */
#include <stdlib.h>

#include "world.h"

#define MAX_HOG 8192
#define MAX_RUNS 40000

/* Take every parent untyped of at least min_bits bits (largest first). */
static size_t hog_parent(struct world *w, unsigned min_bits, vka_object_t *objs, size_t max)
{
    size_t n = 0;
    for (unsigned b = 28; b >= min_bits && n < max; b--) {
        while (n < max && vka_alloc_untyped(&w->vka, b, &objs[n]) == 0) {
            n++;
        }
    }
    return n;
}

/*
 * Take the parent's untypeds of hog_min bits and more, then (if hog_min is the request's
 * size) give back those of exactly that size whose buddy stays taken, so that the parent
 * holds isolated pieces of the request's size only. Then allocate until refused.
 */
static void fill_until_refused(struct world *w, seL4_Word bits, unsigned hog_min, uint64_t ram)
{
    /* a small RAM cannot hold a 2^18-slot root CNode (8 MiB): cap the CNode there */
    struct world_opts o = {.ram_bytes = ram, .min_cnode_bits = 16};
    if (ram < 64 * W_MIB) {
        o.force_cnode_bits = 14;
    }
    if (!world_boot(w, &o)) {
        return;
    }
    CBT_CHECK_EQ(world_start(w), CAPBUDDY_OK);
    static vka_object_t hog[MAX_HOG];
    size_t nhog = hog_min ? hog_parent(w, hog_min < 22 ? 22 : hog_min, hog, MAX_HOG) : 0;
    CBT_CHECK(nhog < MAX_HOG);
    if (hog_min == bits) {
        /* the rest of the memory of at least the request's size, cut to that size ... */
        while (nhog < MAX_HOG && vka_alloc_untyped(&w->vka, (uint32_t)bits, &hog[nhog]) == 0) {
            nhog++;
        }
        CBT_CHECK(nhog < MAX_HOG);
        /* ... and pieces given back as long as their buddy was not: no two free pieces
         * can merge, so the parent holds nothing larger than the request */
        static uint64_t freed[MAX_HOG];
        size_t nfreed = 0;
        for (size_t i = 0; i < nhog; i++) {
            uint64_t pa = vka_object_paddr(&w->vka, &hog[i]);
            bool buddy_free = false;
            for (size_t j = 0; j < nfreed; j++) {
                buddy_free |= freed[j] == (pa ^ ((uint64_t)1 << bits));
            }
            if (hog[i].size_bits == bits && !buddy_free) {
                freed[nfreed++] = pa;
                vka_free_object(&w->vka, &hog[i]);
                hog[i--] = hog[--nhog];
            }
        }
    }
    cb_parent_stats_t ps;
    cb_parent_stats(w->parent, &ps);
    if (hog_min) {
        CBT_CHECK(ps.largest_free_ram_bits < 22); /* no 4 MiB untyped left */
    }
    CBT_CHECK(ps.largest_free_ram_bits >= (int)bits); /* memory exists for the request */

    static cspacepath_t runs[MAX_RUNS];
    size_t n = 0;
    int err = 0;
    while (n < MAX_RUNS && !(err = capbuddy_alloc(w->cb, bits, VKA_NO_PADDR, false, &runs[n]))) {
        n++;
    }
    CBT_CHECK_EQ(err, CAPBUDDY_ERR_NO_MEMORY);
    struct capbuddy_stats st;
    capbuddy_stats(w->cb, &st);
    /* smaller pools were made, and every frame they hold is in use or too small a run */
    CBT_CHECK(n > 0);
    CBT_CHECK(st.pools_created > 0);
    CBT_CHECK(st.frames_free + st.frames_used < st.pools_created * 1024);
    CBT_CHECK(st.largest_free_order < (int)(bits - 12));
    /* the parent has no untyped of the request's size left */
    cb_parent_stats(w->parent, &ps);
    CBT_CHECK(ps.largest_free_ram_bits < (int)bits);
    vka_object_t probe;
    CBT_CHECK(vka_alloc_untyped(&w->vka, (uint32_t)bits, &probe) != 0);
    printf("    %lu-bit runs, RAM %llu MiB, parent's untypeds >= %u bits taken (0: none): "
           "%zu runs from %lu pools (%lu frames)\n",
           (unsigned long)bits, (unsigned long long)(ram >> 20), hog_min, n, st.pools_created,
           st.frames_used + st.frames_free);
    CBT_CHECK_EQ(capbuddy_check(w->cb), 0);

    /* a refused alloc for lack of memory changes nothing but the parent's kernel calls */
    struct world_snap s;
    world_snap(w, &s);
    cspacepath_t r;
    CBT_CHECK_EQ(capbuddy_alloc(w->cb, bits, VKA_NO_PADDR, false, &r), CAPBUDDY_ERR_NO_MEMORY);
    world_snap_same_ex(w, &s, "alloc refused for lack of memory",
                       W_SNAP_INDEX_GROWTH | W_SNAP_CALLS);

    /* the memory comes back: after freeing, everything works again */
    for (size_t i = 0; i < n; i++) {
        CBT_CHECK_EQ(capbuddy_free(w->cb, runs[i].capPtr, bits), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_alloc(w->cb, bits, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w->cb, r.capPtr, bits), CAPBUDDY_OK);
    for (size_t i = 0; i < nhog; i++) {
        vka_free_object(&w->vka, &hog[i]);
    }
    world_down(w);
}

/* 16 MiB of RAM: a few 4 MiB untypeds, then only the smaller tails of the boot untypeds;
 * CapBuddy uses them all. */
static void small_ram(void)
{
    struct world w;
    fill_until_refused(&w, 12, 0, 16 * W_MIB);
}

/* Plenty of RAM, but every untyped of 4 MiB or more is taken: smaller pools. */
static void parent_large_untypeds_taken(void)
{
    struct world w;
    fill_until_refused(&w, 12, 22, 128 * W_MIB);
    fill_until_refused(&w, 14, 22, 128 * W_MIB);
}

/* Only isolated pieces of the request's size left: served from pools of exactly that size. */
static void parent_down_to_request_size(void)
{
    struct world w;
    fill_until_refused(&w, 16, 16, 32 * W_MIB);
    fill_until_refused(&w, 12, 12, 16 * W_MIB);
    fill_until_refused(&w, 19, 19, 64 * W_MIB);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_fallback");
    CBT_RUN(small_ram);
    CBT_RUN(parent_large_untypeds_taken);
    CBT_RUN(parent_down_to_request_size);
    return cbtest_finish();
}
