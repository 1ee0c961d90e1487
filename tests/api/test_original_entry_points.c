/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The original fork's three vka entry points (include/capbuddy/vka_pool.h, compiled with
 * CAPBUDDY_VKA_POOL_OPERATIONS), with their original signatures and meanings, over a
 * capbuddy_t passed as `data`: utspace_try_alloc_from_pool takes size_bits (12..22);
 * utspace_try_free_from_pool and cspace_is_from_pool take num_bits = log2 of the frame count.
 */
#include "world.h"

#ifndef CAPBUDDY_VKA_POOL_OPERATIONS
#error "the CMake targets define CAPBUDDY_VKA_POOL_OPERATIONS; this test needs it"
#endif

/* As stored in the original fork's vka_t: the three extra members. */
struct original_vka_ops {
    int (*utspace_try_alloc_from_pool)(void *data, seL4_Word size_bits, uintptr_t paddr,
                                       bool can_use_dev, cspacepath_t *res);
    void (*utspace_try_free_from_pool)(void *data, seL4_CPtr cptr, size_t num_bits);
    int (*cspace_is_from_pool)(void *data, seL4_CPtr cptr, size_t num_bits);
    void *data;
};

static void every_size_through_the_original_calls(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    struct original_vka_ops ops = {utspace_try_alloc_from_pool, utspace_try_free_from_pool,
                                   cspace_is_from_pool, w.cb};
    cspacepath_t r[11];
    for (size_t num_bits = 0; num_bits <= 10; num_bits++) {
        seL4_Word size_bits = num_bits + seL4_PageBits;
        CBT_CHECK_EQ(ops.utspace_try_alloc_from_pool(ops.data, size_bits, VKA_NO_PADDR, false,
                                                     &r[num_bits]),
                     0);
        CBT_CHECK_EQ(r[num_bits].window, (seL4_Word)1 << num_bits);
        CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, r[num_bits].capPtr, num_bits), 1);
        uint64_t pa = world_frame_paddr(r[num_bits].capPtr);
        seL4_CPtr last = r[num_bits].capPtr + r[num_bits].window - 1;
        CBT_CHECK_EQ(world_frame_paddr(last), pa + (r[num_bits].window - 1) * W_FRAME);
    }
    /* num_bits out of range, foreign cptrs: not from a pool */
    CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, r[0].capPtr, 11), 0);
    CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, r[0].capPtr, (size_t)-1), 0);
    CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, seL4_CapInitThreadCNode, 0), 0);
    CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, w.bi->empty.start, 0), 0);
    /* a bad size through the original alloc: an error, nothing allocated */
    cspacepath_t bad;
    CBT_CHECK_EQ(ops.utspace_try_alloc_from_pool(ops.data, 11, VKA_NO_PADDR, false, &bad),
                 CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(ops.utspace_try_alloc_from_pool(ops.data, 23, VKA_NO_PADDR, false, &bad),
                 CAPBUDDY_ERR_INVALID);

    /* refused frees (void: nothing to return) change nothing */
    struct world_snap s;
    world_snap(&w, &s);
    ops.utspace_try_free_from_pool(ops.data, r[3].capPtr, 2);         /* wrong size */
    ops.utspace_try_free_from_pool(ops.data, r[3].capPtr + 1, 0);     /* inside */
    ops.utspace_try_free_from_pool(ops.data, r[3].capPtr, 11);        /* out of range */
    ops.utspace_try_free_from_pool(ops.data, r[3].capPtr, (size_t)-1);
    ops.utspace_try_free_from_pool(ops.data, seL4_CapInitThreadCNode, 0); /* not a pool */
    world_snap_same(&w, &s, "refused original frees");

    struct capbuddy_stats st;
    for (size_t num_bits = 0; num_bits <= 10; num_bits++) {
        ops.utspace_try_free_from_pool(ops.data, r[num_bits].capPtr, num_bits);
        /* a run stays "from the pool" after its free (the question is about the slots)
         * while its pool is kept; the 4 MiB run's pool empties last and goes back to the
         * parent (the other pool is the one spare) */
        CBT_CHECK_EQ(ops.cspace_is_from_pool(ops.data, r[num_bits].capPtr, num_bits),
                     num_bits < 10);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 0);
    /* double free through the original call: refused, nothing changes */
    world_snap(&w, &s);
    ops.utspace_try_free_from_pool(ops.data, r[0].capPtr, 0);
    world_snap_same(&w, &s, "double free through the original call");
    world_down(&w);
}

static void at_paddr_through_the_original_call(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r, r2;
    CBT_CHECK_EQ(utspace_try_alloc_from_pool(w.cb, 12, VKA_NO_PADDR, false, &r), 0);
    uint64_t base = world_frame_paddr(r.capPtr);
    if ((uint64_t)(uintptr_t)(base + 0x10000) == base + 0x10000) {
        /* 16 frames (num_bits 4) at a paddr in the same pool */
        CBT_CHECK_EQ(utspace_try_alloc_from_pool(w.cb, 16, (uintptr_t)(base + 0x10000), false, &r2),
                     0);
        CBT_CHECK_EQ(world_frame_paddr(r2.capPtr), base + 0x10000);
        CBT_CHECK_EQ(cspace_is_from_pool(w.cb, r2.capPtr, 4), 1);
        utspace_try_free_from_pool(w.cb, r2.capPtr, 4);
    }
    utspace_try_free_from_pool(w.cb, r.capPtr, 0);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 0);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_original_entry_points");
    CBT_RUN(every_size_through_the_original_calls);
    CBT_RUN(at_paddr_through_the_original_call);
    return cbtest_finish();
}
