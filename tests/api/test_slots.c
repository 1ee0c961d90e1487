/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The RANGE slot strategy on a stock kernel's 4096-slot root CNode (12 bits): a window that
 * fits two pools works, the third pool fails clearly with NO_SLOTS and nothing leaks. An
 * unaligned window is used to its last slot by smaller pools. The parent running out of
 * slots (for the pool's untyped cap) and a window whose slots are not empty are refused
 * cleanly too. (The original bumped a pointer through its slot region and never reused it.)
 */
#include <string.h>

#include "world.h"

static void refused_alloc(struct world *w, seL4_Word bits, int expect, const char *what)
{
    struct world_snap s;
    world_snap(w, &s);
    cspacepath_t r;
    int err = capbuddy_alloc(w->cb, bits, VKA_NO_PADDR, false, &r);
    CBT_CHECK_EQ(err, expect);
    if (err != expect) {
        fprintf(stderr, "  %s: %d (%s)\n", what, err, capbuddy_strerror(err));
    }
    if (!err) {
        (void)capbuddy_free(w->cb, r.capPtr, bits);
        return;
    }
    world_snap_same_ex(w, &s, what, W_SNAP_INDEX_GROWTH | W_SNAP_CALLS);
}

static void stock_cnode_two_pools(void)
{
    struct world w;
    struct world_opts o = {.force_cnode_bits = 12};
    if (!world_boot(&w, &o)) {
        return;
    }
    CBT_CHECK_EQ(w.cfg.slot_first, 2048);
    CBT_CHECK_EQ(w.cfg.slot_count, 2048);
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t a, b, c;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
    uint64_t used, total;
    CBT_CHECK_EQ(sel4host_cnode_slots(seL4_CapInitThreadCNode, &used, &total), seL4_NoError);
    CBT_CHECK_EQ(total, 4096);
    /* the third pool: no slots, whatever size is asked */
    refused_alloc(&w, 22, CAPBUDDY_ERR_NO_SLOTS, "third 4 MiB pool");
    refused_alloc(&w, 12, CAPBUDDY_ERR_NO_SLOTS, "a frame with both pools full");
    uint64_t used2;
    CBT_CHECK_EQ(sel4host_cnode_slots(seL4_CapInitThreadCNode, &used2, &total), seL4_NoError);
    CBT_CHECK_EQ(used2, used);
    /* give one back: its slots serve again (REVOKE: refreshed, one spare kept) */
    CBT_CHECK_EQ(capbuddy_free(w.cb, a.capPtr, 22), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &c), CAPBUDDY_OK);
    CBT_CHECK_EQ(c.capPtr, a.capPtr);
    CBT_CHECK_EQ(capbuddy_free(w.cb, b.capPtr, 22), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, c.capPtr, 22), CAPBUDDY_OK);
    world_down(&w);
}

/* An unaligned window: the first 4 MiB pool at its one aligned 1024-slot range, then
 * smaller pools in the rest, down to the last slot. */
static void unaligned_window_used_to_the_last_slot(void)
{
    struct world w;
    struct world_opts o = {.force_cnode_bits = 12, .window_first = 2596, .window_count = 1500};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_TRUST;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t big;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &big), CAPBUDDY_OK);
    CBT_CHECK_EQ(big.capPtr, 3072);
    refused_alloc(&w, 22, CAPBUDDY_ERR_NO_SLOTS, "second 4 MiB pool");
    static cspacepath_t r[1500];
    unsigned n = 0;
    int err;
    while (n < 1500 && !(err = capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r[n]))) {
        CBT_CHECK(r[n].capPtr >= 2596 && r[n].capPtr < 3072);
        n++;
    }
    CBT_CHECK_EQ(err, CAPBUDDY_ERR_NO_SLOTS);
    CBT_CHECK_EQ(n, 3072 - 2596); /* every slot of the window */
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    printf("    window of 1500 slots at 2596: one 1024-frame pool and %lu smaller ones\n",
           st.pools_created - 1);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    for (unsigned i = 0; i < n; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 12), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_free(w.cb, big.capPtr, 22), CAPBUDDY_OK);
    world_down(&w);
}

static void empty_window(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.slot_count = 0;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    refused_alloc(&w, 12, CAPBUDDY_ERR_NO_SLOTS, "empty window");
    world_down(&w);
}

/* The parent has no slot for the pool's untyped cap. */
static void parent_out_of_slots(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    static seL4_CPtr taken[1 << 17];
    size_t n = 0;
    while (n < sizeof(taken) / sizeof(taken[0]) && vka_cspace_alloc(&w.vka, &taken[n]) == 0) {
        n++;
    }
    CBT_CHECK(n > 0 && n < sizeof(taken) / sizeof(taken[0]));
    refused_alloc(&w, 12, CAPBUDDY_ERR_NO_SLOTS, "parent out of slots");
    refused_alloc(&w, 22, CAPBUDDY_ERR_NO_SLOTS, "parent out of slots, 4 MiB");
    vka_cspace_free(&w.vka, taken[--n]);
    cspacepath_t r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    while (n) {
        vka_cspace_free(&w.vka, taken[--n]);
    }
    world_down(&w);
}

/* A caller error: the window holds a cap. The retype is refused (DeleteFirst); CapBuddy
 * rolls back (untyped revoked, deleted and returned, slots returned) and says KERNEL. */
static void window_not_empty(void)
{
    struct world w;
    struct world_opts o = {.force_cnode_bits = 12, .window_first = 1024, .window_count = 1024};
    if (!world_boot(&w, &o)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    vka_object_t ep;
    CBT_CHECK_EQ(vka_alloc_endpoint(&w.vka, &ep), 0);
    CBT_CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, 1024 + 700, seL4_WordBits,
                                 seL4_CapInitThreadCNode, ep.cptr, seL4_WordBits, seL4_AllRights),
                 seL4_NoError);
    refused_alloc(&w, 12, CAPBUDDY_ERR_KERNEL, "window slot occupied");
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 0);
    CBT_CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, 1024 + 700, seL4_WordBits),
                 seL4_NoError);
    cspacepath_t r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    vka_free_object(&w.vka, &ep);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_slots");
    CBT_RUN(stock_cnode_two_pools);
    CBT_RUN(unaligned_window_used_to_the_last_slot);
    CBT_RUN(empty_window);
    CBT_RUN(parent_out_of_slots);
    CBT_RUN(window_not_empty);
    return cbtest_finish();
}
