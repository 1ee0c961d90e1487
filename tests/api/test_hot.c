/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hot frame (TRUST): the last single RAM frame freed is kept out of its pool's tree until
 * another operation needs the tree, so that a free/alloc ping-pong splits and merges nothing.
 * What must not show: every statistic is as if the free had been done at once; pools go back
 * to the parent exactly when they would have; refused frees of that frame are refused as
 * they would be; a larger alloc, an alloc at a paddr and a flush see the frame free; device
 * frames are never kept.
 */
#include "world.h"

static bool boot_trust(struct world *w, unsigned spares)
{
    if (!world_boot(w, NULL)) {
        return false;
    }
    w->cfg.policy = CAPBUDDY_POLICY_TRUST;
    w->cfg.spare_pools = spares;
    CBT_CHECK_EQ(world_start(w), CAPBUDDY_OK);
    return true;
}

static void pingpong_reuses_one_frame_with_no_kernel_call(void)
{
    struct world w;
    if (!boot_trust(&w, 1)) {
        return;
    }
    cspacepath_t f, g;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &f), CAPBUDDY_OK);
    uint64_t calls = sel4host_count_total();
    for (int i = 0; i < 1000; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_OK);
        if (i == 0) {
            /* As if freed at once: a lone pool is wholly free again. */
            struct capbuddy_stats st;
            capbuddy_stats(w.cb, &st);
            CBT_CHECK_EQ(st.frames_used, 0);
            CBT_CHECK_EQ(st.frames_free, 1024);
            CBT_CHECK_EQ(st.largest_free_order, 10);
            CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        }
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &g), CAPBUDDY_OK);
        CBT_CHECK_EQ(g.capPtr, f.capPtr);
        CBT_CHECK_EQ(g.window, 1);
    }
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    CBT_CHECK_EQ(world_frame_paddr(g.capPtr), world_frame_paddr(f.capPtr));
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    CBT_CHECK_EQ(capbuddy_free(w.cb, g.capPtr, 12), CAPBUDDY_OK);
    world_down(&w);
}

/* Refused frees of the hot frame: refused as for a frame already back in the tree, and
 * nothing observable changes. */
static void refused_frees_of_the_hot_frame(void)
{
    struct world w;
    if (!boot_trust(&w, 1)) {
        return;
    }
    cspacepath_t f, g, big;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &f), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &g), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 14, VKA_NO_PADDR, false, &big), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_OK);
    struct world_snap s;
    world_snap(&w, &s);
    CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_ERR_NOT_ALLOCATED);
    CBT_CHECK(world_snap_same(&w, &s, "double free of the hot frame"));
    CBT_CHECK(capbuddy_free(w.cb, f.capPtr, 13) != CAPBUDDY_OK);
    CBT_CHECK(world_snap_same(&w, &s, "order-1 free over the hot frame"));
    CBT_CHECK_EQ(capbuddy_free(w.cb, big.capPtr + 1, 12), CAPBUDDY_ERR_INSIDE);
    CBT_CHECK(world_snap_same(&w, &s, "free inside a run, with a hot frame"));
    CBT_CHECK_EQ(capbuddy_free(w.cb, big.capPtr, 12), CAPBUDDY_ERR_WRONG_SIZE);
    CBT_CHECK(world_snap_same(&w, &s, "wrong size, with a hot frame"));
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    CBT_CHECK_EQ(capbuddy_free(w.cb, g.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, big.capPtr, 14), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, g.capPtr, 12), CAPBUDDY_ERR_NOT_ALLOCATED);
    world_down(&w);
}

/* With no spare pools, freeing a pool's last frame gives the pool back at once. */
static void last_frame_goes_back_when_no_spares(void)
{
    struct world w;
    if (!boot_trust(&w, 0)) {
        return;
    }
    cspacepath_t f;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &f), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_OK);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 0);
    CBT_CHECK_EQ(st.pools_returned, 1);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    world_down(&w);
}

/* One spare: two pools emptied in either order, one goes back - as with an eager free. */
static void spares_counted_as_with_an_eager_free(void)
{
    for (int order = 0; order < 2; order++) {
        struct world w;
        if (!boot_trust(&w, 1)) {
            return;
        }
        cspacepath_t whole, one;
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &whole), CAPBUDDY_OK);
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &one), CAPBUDDY_OK);
        struct capbuddy_stats st;
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.pools_ram, 2);
        if (order == 0) {
            CBT_CHECK_EQ(capbuddy_free(w.cb, one.capPtr, 12), CAPBUDDY_OK);   /* kept hot */
            CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
            CBT_CHECK_EQ(capbuddy_free(w.cb, whole.capPtr, 22), CAPBUDDY_OK); /* goes back */
        } else {
            CBT_CHECK_EQ(capbuddy_free(w.cb, whole.capPtr, 22), CAPBUDDY_OK); /* the spare */
            CBT_CHECK_EQ(capbuddy_free(w.cb, one.capPtr, 12), CAPBUDDY_OK);   /* goes back */
        }
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.pools_ram, 1);
        CBT_CHECK_EQ(st.pools_returned, 1);
        CBT_CHECK_EQ(st.frames_used, 0);
        CBT_CHECK_EQ(st.frames_free, 1024);
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        world_down(&w);
    }
}

/* A larger alloc, an alloc at the hot frame's paddr and a flush see the frame free. */
static void other_operations_see_the_frame_free(void)
{
    struct world w;
    if (!boot_trust(&w, 1)) {
        return;
    }
    cspacepath_t f, r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &f), CAPBUDDY_OK);
    uint64_t pa = world_frame_paddr(f.capPtr);
    CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1); /* the whole pool, not a new one */
    CBT_CHECK_EQ(r.capPtr, f.capPtr);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 22), CAPBUDDY_OK);

    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &f), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, f.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, pa, false, &r), CAPBUDDY_OK);
    CBT_CHECK_EQ(world_frame_paddr(r.capPtr), pa);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_free, 1024);
    CBT_CHECK_EQ(st.largest_free_order, 10);
    world_down(&w);
}

/* Device frames are freed at once: a RAM request never gets one back. */
static void device_frames_are_never_kept(void)
{
    struct world w;
    if (!boot_trust(&w, 1)) {
        return;
    }
    if (w.dev_hi <= w.dev_lo) {
        world_down(&w);
        return;
    }
    cspacepath_t d, r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, w.dev_lo, true, &d), CAPBUDDY_OK);
    CBT_CHECK(world_is_device(&w, world_frame_paddr(d.capPtr)));
    CBT_CHECK_EQ(capbuddy_free(w.cb, d.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    CBT_CHECK(world_is_ram(&w, world_frame_paddr(r.capPtr)));
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_hot");
    CBT_RUN(pingpong_reuses_one_frame_with_no_kernel_call);
    CBT_RUN(refused_frees_of_the_hot_frame);
    CBT_RUN(last_frame_goes_back_when_no_spares);
    CBT_RUN(spares_counted_as_with_an_eager_free);
    CBT_RUN(other_operations_see_the_frame_free);
    CBT_RUN(device_frames_are_never_kept);
    return cbtest_finish();
}
