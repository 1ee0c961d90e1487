/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool lifecycle: retention by demand (a recent peak is kept, idle pools decay after the
 * horizon, the idle ceiling), the quarantine made reusable by real cost (frame by frame with
 * an Unmap only for runs that went out natively, a refresh only where it costs less), and
 * capability work off the call path (capbuddy_prepare, capbuddy_maintain and its budget),
 * with kernel faults in every new kernel path. world_down checks for leaks after each.
 */
#include "world.h"

#define POOL_FRAMES 1024u

static bool up(struct world *w, enum capbuddy_policy pol, unsigned long retain,
               int (*scrub)(void *, seL4_CPtr))
{
    struct world_opts o = {.min_cnode_bits = 16};
    if (!world_boot(w, &o)) {
        return false;
    }
    w->cfg.policy = pol;
    w->cfg.spare_pools = 0;
    w->cfg.retain_ops = retain;
    w->cfg.scrub = scrub;
    return world_start(w) == CAPBUDDY_OK;
}

static void stats(const struct world *w, struct capbuddy_stats *st)
{
    capbuddy_stats(w->cb, st);
}

/* A recent peak of 4 pools is kept through a dip; once demand stays at 1 pool for the
 * horizon (two of them, at most), the idle pools go back: held <= need + floor. */
static void retention_keeps_the_peak_then_decays(void)
{
    struct world w;
    if (!up(&w, CAPBUDDY_POLICY_TRUST, 64, NULL)) {
        return;
    }
    cspacepath_t big[4], one;
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &big[i]), CAPBUDDY_OK);
    }
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, big[i].capPtr, 22), CAPBUDDY_OK);
    }
    struct capbuddy_stats st;
    stats(&w, &st);
    CBT_CHECK_EQ(st.pools_ram, 4); /* spare_pools 0, yet kept: demand was 4 */
    CBT_CHECK_EQ(st.pools_returned, 0);
    CBT_CHECK_EQ(st.pools_idle, 4);
    /* the burst comes back within the horizon: no kernel call at all */
    uint64_t calls = sel4host_count_total();
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &big[i]), CAPBUDDY_OK);
    }
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, big[i].capPtr, 22), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    /* then demand stays low (one pool in use) for more than two horizons */
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &one), CAPBUDDY_OK);
    for (int i = 0; i < 3 * 64; i++) {
        cspacepath_t r;
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 13, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
        CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 13), CAPBUDDY_OK);
    }
    stats(&w, &st);
    CBT_CHECK_EQ(st.pools_ram, 1);
    CBT_CHECK_EQ(st.pools_returned, 3);
    CBT_CHECK_EQ(st.inline_give_backs >= 1, 1);
    CBT_CHECK_EQ(capbuddy_free(w.cb, one.capPtr, 12), CAPBUDDY_OK);
    world_down(&w);
}

/* retain_ops 0: the spare rule alone; max_idle_pools: a ceiling whatever the demand. */
static void no_retention_and_idle_ceiling(void)
{
    for (int ceiling = 0; ceiling <= 1; ceiling++) {
        struct world w;
        if (!up(&w, CAPBUDDY_POLICY_REVOKE, ceiling ? 1024 : 0, NULL)) {
            return;
        }
        if (ceiling) {
            capbuddy_destroy(w.cb);
            w.cfg.max_idle_pools = 2;
            CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
        }
        cspacepath_t big[4];
        for (int i = 0; i < 4; i++) {
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &big[i]), CAPBUDDY_OK);
        }
        for (int i = 0; i < 4; i++) {
            CBT_CHECK_EQ(capbuddy_free(w.cb, big[i].capPtr, 22), CAPBUDDY_OK);
        }
        struct capbuddy_stats st;
        stats(&w, &st);
        CBT_CHECK_EQ(st.pools_ram, ceiling ? 2u : 0u);
        CBT_CHECK_EQ(st.pools_returned, ceiling ? 2u : 4u);
        world_down(&w);
    }
}

/* REVOKE: a pool keeps serving its clean frames while some are quarantined (no kernel call);
 * when only quarantine is left, exactly the quarantined frames are revoked, each with an
 * Unmap (the native caller may have mapped the pool's cap), and no refresh happens. */
static void revoke_serves_clean_frames_and_cleans_frame_by_frame(void)
{
    struct world w;
    if (!up(&w, CAPBUDDY_POLICY_REVOKE, 1024, NULL)) {
        return;
    }
    cspacepath_t half, q[8], r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 21, VKA_NO_PADDR, false, &half), CAPBUDDY_OK);
    for (int i = 0; i < 8; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &q[i]), CAPBUDDY_OK);
    }
    for (int i = 0; i < 8; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, q[i].capPtr, 12), CAPBUDDY_OK);
    }
    sel4host_counters_reset();
    /* the other 504 clean frames serve first, with no kernel call */
    static cspacepath_t rest[504];
    for (int i = 0; i < 504; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &rest[i]), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(sel4host_count_total(), 0);
    /* now only the 8 quarantined frames are left in the pool: they are revoked one by one */
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE), 8);
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_PAGE_UNMAP), 8);
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_UNTYPED_RETYPE), 0);
    struct capbuddy_stats st;
    stats(&w, &st);
    CBT_CHECK_EQ(st.frames_revoked, 8);
    CBT_CHECK_EQ(st.pools_refreshed, 0);
    CBT_CHECK_EQ(st.pools_created, 1);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    for (int i = 0; i < 504; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, rest[i].capPtr, 12), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_free(w.cb, half.capPtr, 21), CAPBUDDY_OK);
    world_down(&w);
}

/* Frames that went out through the vka wrapper were copies: the pool's caps were never
 * mapped, so cleaning them is a Revoke alone. */
static void wrapper_frames_need_no_unmap(void)
{
    struct world w;
    if (!up(&w, CAPBUDDY_POLICY_REVOKE, 1024, NULL)) {
        return;
    }
    struct capbuddy_vka state;
    vka_t wv;
    capbuddy_vka_make(&state, w.cb, &w.vka, &wv);
    static vka_object_t f[POOL_FRAMES];
    for (unsigned i = 0; i < POOL_FRAMES; i++) {
        CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &f[i]), 0);
    }
    for (unsigned i = 0; i < POOL_FRAMES; i++) {
        vka_free_object(&wv, &f[i]);
    }
    sel4host_counters_reset();
    CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE), POOL_FRAMES);
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_PAGE_UNMAP), 0);
    world_down(&w);
}

static int scrub_count;
static int scrub_hook(void *cookie, seL4_CPtr frame)
{
    (void)cookie;
    static uint8_t zeros[4096];
    scrub_count++;
    return sel4host_frame_write(frame, 0, zeros, sizeof(zeros)) == seL4_NoError ? 0 : -1;
}

/* SCRUB with a hook: a few quarantined frames of a pool in use are scrubbed one by one; a
 * wholly quarantined idle pool is refreshed (its per-frame map, clear and unmap would cost
 * more than the refresh's kernel clearing). */
static void scrub_chooses_by_cost(void)
{
    struct world w;
    if (!up(&w, CAPBUDDY_POLICY_SCRUB, 1024, scrub_hook)) {
        return;
    }
    cspacepath_t keep, q[4], all;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &keep), CAPBUDDY_OK);
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &q[i]), CAPBUDDY_OK);
    }
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, q[i].capPtr, 12), CAPBUDDY_OK);
    }
    scrub_count = 0;
    CBT_CHECK_EQ(capbuddy_maintain(w.cb, UINT64_MAX, NULL), CAPBUDDY_OK);
    CBT_CHECK_EQ(scrub_count, 4);
    struct capbuddy_stats st;
    stats(&w, &st);
    CBT_CHECK_EQ(st.frames_quarantined, 0);
    CBT_CHECK_EQ(st.pools_refreshed, 0);
    /* a whole pool's worth quarantined in a pool no one uses (made while `keep` is live: a
     * 4 MiB request would otherwise refresh keep's pool, all free or quarantined, and use it) */
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &all), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, keep.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, all.capPtr, 22), CAPBUDDY_OK);
    scrub_count = 0;
    CBT_CHECK_EQ(capbuddy_maintain(w.cb, UINT64_MAX, NULL), CAPBUDDY_OK);
    stats(&w, &st);
    CBT_CHECK_EQ(scrub_count, 1); /* `keep`, alone in the first pool: cheaper one by one */
    CBT_CHECK_EQ(st.pools_refreshed, 1);
    CBT_CHECK_EQ(st.frames_quarantined, 0);
    world_down(&w);
}

/* The contig shape: a single frame and a 4 MiB run allocated and freed in turn. The pool
 * holding the freed frame (quarantined) and 1023 free frames can serve the 4 MiB request once
 * cleaned: it is, instead of a new pool being made for each run (REVOKE and SCRUB). The run
 * handed out again has no live copy. */
static void contiguous_runs_reuse_their_pool(void)
{
    for (int pol = CAPBUDDY_POLICY_REVOKE; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        struct world w;
        if (!up(&w, (enum capbuddy_policy)pol, 1024, NULL)) {
            return;
        }
        seL4_CPtr copy = 0;
        for (int i = 0; i < 20; i++) {
            cspacepath_t small, run;
            unsigned char byte;
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &small), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_free(w.cb, small.capPtr, 12), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &run), CAPBUDDY_OK);
            if (copy) {
                /* the previous owner's copy went before the run came out again */
                CBT_CHECK_EQ(sel4host_frame_read(copy, 0, &byte, 1), seL4_FailedLookup);
                vka_cspace_free(&w.vka, copy);
            }
            /* the owner copies the run's last frame cap into a slot of its own */
            CBT_CHECK_EQ(vka_cspace_alloc(&w.vka, &copy), 0);
            CBT_CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, copy, seL4_WordBits,
                                         seL4_CapInitThreadCNode, run.capPtr + POOL_FRAMES - 1,
                                         seL4_WordBits, seL4_AllRights),
                         seL4_NoError);
            CBT_CHECK_EQ(capbuddy_free(w.cb, run.capPtr, 22), CAPBUDDY_OK);
        }
        CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
        CBT_CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, copy, seL4_WordBits),
                     seL4_NoError);
        vka_cspace_free(&w.vka, copy);
        struct capbuddy_stats st;
        stats(&w, &st);
        printf("    %s: %lu pools made, %lu refreshed, %lu frames revoked one by one\n",
               pol == CAPBUDDY_POLICY_REVOKE ? "revoke" : "scrub", st.pools_created,
               st.pools_refreshed, st.frames_revoked);
        CBT_CHECK_EQ(st.pools_created, 1);
        world_down(&w);
    }
}

/* prepare makes the pools ahead; allocs then make no kernel call. maintain respects its
 * budget (to within one run's worth of work), says when more is left, and once it has run,
 * frees that empty pools leave the give-back to it. */
static void prepare_and_maintain_move_the_work_off_the_call_path(void)
{
    struct world w;
    if (!up(&w, CAPBUDDY_POLICY_REVOKE, 1024, NULL)) {
        return;
    }
    CBT_CHECK_EQ(capbuddy_prepare(NULL, 1), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_maintain(NULL, 1, NULL), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_prepare(w.cb, 3ul * POOL_FRAMES), CAPBUDDY_OK);
    struct capbuddy_stats st;
    stats(&w, &st);
    CBT_CHECK_EQ(st.pools_ram, 3);
    CBT_CHECK_EQ(st.frames_free, 3ul * POOL_FRAMES);
    uint64_t calls = sel4host_count_total();
    cspacepath_t r[3];
    for (int i = 0; i < 3; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    stats(&w, &st);
    CBT_CHECK_EQ(st.inline_refills, 0);
    /* maintain once: from now on give-back is its job */
    int first = capbuddy_maintain(w.cb, 0, NULL);
    CBT_CHECK(first == CAPBUDDY_OK || first == CAPBUDDY_MORE);
    for (int i = 0; i < 3; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 22), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    stats(&w, &st);
    CBT_CHECK_EQ(st.frames_quarantined, 3 * POOL_FRAMES);
    /* a budget of one pool's cleaning (1024 x Revoke + Unmap, ~1.25 M instructions) at a time */
    const uint64_t budget = 1300000;
    int rounds = 0, err;
    do {
        uint64_t spent = 0;
        err = capbuddy_maintain(w.cb, budget, &spent);
        CBT_CHECK(err == CAPBUDDY_OK || err == CAPBUDDY_MORE);
        /* the step that crosses the budget is one run: at most 1024 frames' cleaning */
        CBT_CHECK(spent <= budget + POOL_FRAMES * 1224ull + 400000);
        rounds++;
    } while (err == CAPBUDDY_MORE && rounds < 32);
    CBT_CHECK_EQ(err, CAPBUDDY_OK);
    CBT_CHECK(rounds >= 2);
    stats(&w, &st);
    CBT_CHECK_EQ(st.frames_quarantined, 0);
    CBT_CHECK_EQ(st.frames_revoked, 3 * POOL_FRAMES);
    CBT_CHECK_EQ(st.inline_give_backs, 0);
    world_down(&w);
}

/* Kernel faults in the new paths: a failing Revoke or Unmap while maintain cleans leaves the
 * run quarantined (never handed out uncleaned), maintain says KERNEL, and a later maintain
 * finishes; a failing give-back during decay keeps the pool for a refresh. No leak. */
static void faults_in_maintenance(void)
{
    static const enum sel4host_inv kinds[] = {SEL4HOST_CNODE_REVOKE, SEL4HOST_PAGE_UNMAP,
                                              SEL4HOST_CNODE_DELETE};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct world w;
        if (!up(&w, CAPBUDDY_POLICY_REVOKE, 8, NULL)) {
            return;
        }
        cspacepath_t r[4];
        for (int i = 0; i < 4; i++) {
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
        }
        CBT_CHECK_EQ(capbuddy_maintain(w.cb, UINT64_MAX, NULL), CAPBUDDY_OK);
        for (int i = 0; i < 4; i++) {
            CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 12), CAPBUDDY_OK);
        }
        sel4host_fault_nth(kinds[k], 1, seL4_InvalidArgument);
        int err = capbuddy_maintain(w.cb, UINT64_MAX, NULL);
        sel4host_fault_clear();
        struct capbuddy_stats st;
        stats(&w, &st);
        if (kinds[k] == SEL4HOST_CNODE_DELETE) {
            CBT_CHECK_EQ(err, CAPBUDDY_OK); /* no Delete in cleaning */
        } else {
            CBT_CHECK_EQ(err, CAPBUDDY_ERR_KERNEL);
            CBT_CHECK_EQ(st.frames_quarantined, 1); /* the frame whose call failed */
        }
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        CBT_CHECK_EQ(capbuddy_maintain(w.cb, UINT64_MAX, NULL), CAPBUDDY_OK);
        stats(&w, &st);
        CBT_CHECK_EQ(st.frames_quarantined, 0);
        /* idle for the horizon: decay gives the pool back; a failing Revoke keeps it */
        for (int i = 0; i < 40; i++) {
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r[0]), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_free(w.cb, r[0].capPtr, 12), CAPBUDDY_OK);
        }
        CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
        /* the program goes idle: its maintain calls are the horizons going by */
        sel4host_fault_nth(kinds[k], 1, seL4_InvalidArgument);
        for (int i = 0; i < 3; i++) {
            (void)capbuddy_maintain(w.cb, UINT64_MAX, NULL);
        }
        sel4host_fault_clear();
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        for (int i = 0; i < 3; i++) {
            CBT_CHECK_EQ(capbuddy_maintain(w.cb, UINT64_MAX, NULL), CAPBUDDY_OK);
        }
        stats(&w, &st);
        CBT_CHECK_EQ(st.pools_ram, 0);
        printf("    fault in %s: maintain %s, then every pool given back\n",
               sel4host_inv_name(kinds[k]), capbuddy_strerror(err));
        world_down(&w);
    }
}

/* The ceiling tied to use (max_overhead_pct 10): whatever the recent demand, empty pools go
 * back once held > 1.10 x used + one pool; with one frame in use one pool is held. */
static void ceiling_tied_to_use(void)
{
    struct world w;
    struct world_opts o = {.min_cnode_bits = 16};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_TRUST;
    w.cfg.retain_ops = 64; /* the peak of 5 pools would be kept without the ceiling */
    w.cfg.max_overhead_pct = 10;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t big[4], one;
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &big[i]), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &one), CAPBUDDY_OK);
    for (int i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, big[i].capPtr, 22), CAPBUDDY_OK);
    }
    struct capbuddy_stats st;
    stats(&w, &st);
    /* the frame's pool, and one empty pool (the line's one pool of slack) */
    CBT_CHECK_EQ(st.pools_ram, 2);
    CBT_CHECK_EQ(st.pools_returned, 3);
    CBT_CHECK_EQ(capbuddy_check(w.cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, one.capPtr, 12), CAPBUDDY_OK);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_lifecycle");
    CBT_RUN(retention_keeps_the_peak_then_decays);
    CBT_RUN(no_retention_and_idle_ceiling);
    CBT_RUN(ceiling_tied_to_use);
    CBT_RUN(revoke_serves_clean_frames_and_cleans_frame_by_frame);
    CBT_RUN(wrapper_frames_need_no_unmap);
    CBT_RUN(scrub_chooses_by_cost);
    CBT_RUN(contiguous_runs_reuse_their_pool);
    CBT_RUN(prepare_and_maintain_move_the_work_off_the_call_path);
    CBT_RUN(faults_in_maintenance);
    return cbtest_finish();
}
