/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Giving memory back: a pool that is wholly free goes back to the parent beyond
 * cfg.spare_pools (0, 1 and 2 tried, under TRUST and REVOKE), and the parent can then hand
 * that memory out again (a 4 MiB untyped through vka_alloc_untyped). The original never gave
 * a pool back. capbuddy_destroy + cb_parent_teardown return the model's accounting to its
 * boot values (world_down checks that after every test).
 */
#include <stdlib.h>

#include "world.h"

#define MAX_POOLS 64

static unsigned count_parent_4mib(struct world *w, vka_object_t *objs, unsigned max)
{
    unsigned n = 0;
    while (n < max && vka_alloc_untyped(&w->vka, 22, &objs[n]) == 0) {
        n++;
    }
    return n;
}

static void spares_under(enum capbuddy_policy pol, unsigned spares)
{
    struct world w;
    /* 64 MiB of RAM: the parent runs out of 4 MiB untypeds before the window of slots does */
    struct world_opts o = {.ram_bytes = 64 * W_MIB, .min_cnode_bits = 16};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = pol;
    w.cfg.spare_pools = spares;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);

    /* take every 4 MiB the parent has, as whole-pool runs */
    cspacepath_t runs[MAX_POOLS];
    unsigned n = 0;
    int err;
    while (n < MAX_POOLS && (err = capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &runs[n])) == 0) {
        n++;
    }
    CBT_CHECK_EQ(err, CAPBUDDY_ERR_NO_MEMORY);
    CBT_CHECK(n > spares + 2);
    vka_object_t objs[MAX_POOLS];
    CBT_CHECK_EQ(count_parent_4mib(&w, objs, MAX_POOLS), 0);

    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    unsigned long own = st.kernel_calls;
    uint64_t revokes = sel4host_count(SEL4HOST_CNODE_REVOKE);
    for (unsigned i = 0; i < n; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, 22), CAPBUDDY_OK);
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, spares);
    CBT_CHECK_EQ(st.pools_returned, n - spares);
    CBT_CHECK_EQ(st.frames_used, 0);
    /* giving a pool back is one untyped revoke and one delete of the untyped cap (the
     * parent's buddy merges cost it two more deletes each, counted by the model only) */
    CBT_CHECK_EQ(st.kernel_calls - own, 2ul * (n - spares));
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE) - revokes, n - spares);

    /* the parent hands the memory out again, 4 MiB at a time */
    unsigned again = count_parent_4mib(&w, objs, MAX_POOLS);
    CBT_CHECK_EQ(again, n - spares);
    printf("    policy %s, %u spare(s): %u pools, %u given back and re-allocated by the parent\n",
           pol == CAPBUDDY_POLICY_TRUST ? "trust" : "revoke", spares, n, again);
    for (unsigned i = 0; i < again; i++) {
        vka_free_object(&w.vka, &objs[i]);
    }
    /* the spares serve at once (TRUST) or once their quarantine is revoked frame by frame
     * (REVOKE: 1024 x (Revoke + Unmap), cheaper on the real kernel than a refresh that
     * clears 4 MiB), without the parent and without a retype */
    for (unsigned i = 0; i < spares; i++) {
        uint64_t before = sel4host_count(SEL4HOST_UNTYPED_RETYPE);
        uint64_t rv = sel4host_count(SEL4HOST_CNODE_REVOKE);
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &runs[i]), CAPBUDDY_OK);
        CBT_CHECK_EQ(sel4host_count(SEL4HOST_UNTYPED_RETYPE) - before, 0);
        CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE) - rv,
                     pol == CAPBUDDY_POLICY_TRUST ? 0 : 1024);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, n);
    for (unsigned i = 0; i < spares; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, 22), CAPBUDDY_OK);
    }
    CBT_CHECK(st.metadata_bytes_peak >= st.metadata_bytes);
    world_down(&w);
}

static void spares_trust(void)
{
    for (unsigned s = 0; s <= 2; s++) {
        spares_under(CAPBUDDY_POLICY_TRUST, s);
    }
}

static void spares_revoke(void)
{
    for (unsigned s = 0; s <= 2; s++) {
        spares_under(CAPBUDDY_POLICY_REVOKE, s);
    }
}

/* Pools made of smaller runs give back too, once their last run is freed, in any order. */
static void pool_goes_back_when_last_run_freed(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.spare_pools = 0;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r[1024];
    int n = 0;
    struct cbt_rng rng;
    cbt_seed(&rng, world_args.seed);
    struct capbuddy_stats st;
    /* fill exactly one pool with mixed sizes */
    for (;;) {
        capbuddy_stats(w.cb, &st);
        if (st.pools_created == 1 && st.frames_free == 0) {
            break;
        }
        seL4_Word b = 12 + (seL4_Word)cbt_below(&rng, 4);
        while (st.largest_free_order >= 0 && (int)(b - 12) > st.largest_free_order) {
            b--;
        }
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, b, VKA_NO_PADDR, false, &r[n]), CAPBUDDY_OK);
        n++;
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1);
    /* free in random order; the pool stays until the very last run */
    for (int left = n; left > 0; left--) {
        int i = (int)cbt_below(&rng, (uint64_t)left);
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.pools_ram, 1);
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 12 + (seL4_Word)__builtin_ctzl(r[i].window)),
                     CAPBUDDY_OK);
        r[i] = r[left - 1];
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 0);
    CBT_CHECK_EQ(st.pools_returned, 1);
    world_down(&w);
}

/* flush makes every quarantined run reusable (frame by frame: cheaper than refreshes) and
 * keeps the spares */
static void flush_gives_back_beyond_spares(void)
{
    struct world w;
    struct world_opts o = {.min_cnode_bits = 14};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_REVOKE;
    w.cfg.spare_pools = 3;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r[4];
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
    }
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 22), CAPBUDDY_OK);
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 3);
    CBT_CHECK_EQ(st.frames_quarantined, 3 * 1024);
    CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_quarantined, 0);
    CBT_CHECK_EQ(st.frames_free, 3 * 1024);
    CBT_CHECK_EQ(st.pools_refreshed, 0);
    CBT_CHECK_EQ(st.frames_revoked, 3 * 1024);
    CBT_CHECK_EQ(st.revocations_pending, 0);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_reclaim");
    CBT_RUN(spares_trust);
    CBT_RUN(spares_revoke);
    CBT_RUN(pool_goes_back_when_last_run_freed);
    CBT_RUN(flush_gives_back_beyond_spares);
    return cbtest_finish();
}
