/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capbuddy_alloc: every size gives a contiguous run (checked with the arch's
 * Page_GetAddress through libsel4, not with CapBuddy's own bookkeeping), is_from_pool
 * tells pool runs from everything else, the kernel calls are the ones the design promises
 * (a pool costs ceil(1024 / fan-out) retypes; the fast path costs none), and with many
 * pools the O(1) pick keeps serving from the pools that have room.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

static const char *const policy_name[] = {"trust", "revoke", "scrub"};

/* Checks one run: window, alignment, physical contiguity, CapBuddy's paddr, is_from_pool. */
static void check_run(const struct world *w, const cspacepath_t *r, seL4_Word size_bits)
{
    seL4_Word n = (seL4_Word)1 << (size_bits - seL4_PageBits);
    CBT_CHECK_EQ(r->window, n);
    CBT_CHECK_EQ(r->root, seL4_CapInitThreadCNode);
    CBT_CHECK_EQ(r->capDepth, seL4_WordBits);
    /* pools' slot ranges are aligned to their size and runs to theirs */
    CBT_CHECK_EQ(r->capPtr & (n - 1), 0);
    CBT_CHECK(r->capPtr >= w->cfg.slot_first &&
              r->capPtr + n <= w->cfg.slot_first + w->cfg.slot_count);
    uint64_t pa0 = world_frame_paddr(r->capPtr);
    CBT_CHECK_EQ(pa0 & ((((uint64_t)1) << size_bits) - 1), 0);
    CBT_CHECK(world_is_ram(w, pa0));
    for (seL4_Word i = 0; i < n; i++) {
        uint64_t pa = world_frame_paddr(r->capPtr + i);
        if (pa != pa0 + i * W_FRAME) {
            CBT_CHECK_EQ(pa, pa0 + i * W_FRAME);
            break;
        }
        if (capbuddy_paddr(w->cb, r->capPtr + i) != pa) {
            CBT_CHECK_EQ(capbuddy_paddr(w->cb, r->capPtr + i), pa);
            break;
        }
    }
    CBT_CHECK(capbuddy_is_from_pool(w->cb, r->capPtr, size_bits));
    CBT_CHECK(capbuddy_is_from_pool(w->cb, r->capPtr + n - 1, seL4_PageBits));
}

static void every_size_is_contiguous(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r[11];
    for (seL4_Word b = 12; b <= 22; b++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, b, VKA_NO_PADDR, false, &r[b - 12]), CAPBUDDY_OK);
        check_run(&w, &r[b - 12], b);
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    }
    /* runs are disjoint, in slots and in memory */
    for (int i = 0; i < 11; i++) {
        for (int j = i + 1; j < 11; j++) {
            uint64_t ai = world_frame_paddr(r[i].capPtr), aj = world_frame_paddr(r[j].capPtr);
            CBT_CHECK(ai + r[i].window * W_FRAME <= aj || aj + r[j].window * W_FRAME <= ai);
            CBT_CHECK(r[i].capPtr + r[i].window <= r[j].capPtr ||
                      r[j].capPtr + r[j].window <= r[i].capPtr);
        }
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 2047);
    for (seL4_Word b = 12; b <= 22; b++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[b - 12].capPtr, b), CAPBUDDY_OK);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 0);
    world_down(&w);
}

static void is_from_pool_only_for_pool_runs(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    /* no pool yet: nothing is from a pool */
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, w.cfg.slot_first, 12));
    CBT_CHECK_EQ(capbuddy_paddr(w.cb, w.cfg.slot_first), VKA_NO_PADDR);
    cspacepath_t r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 16, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    seL4_CPtr first = r.capPtr & ~(seL4_CPtr)1023; /* the pool's first slot */
    CBT_CHECK(capbuddy_is_from_pool(w.cb, r.capPtr, 16));
    CBT_CHECK(capbuddy_is_from_pool(w.cb, first, 22));
    /* the whole pool is from the pool, whether allocated or not ... */
    CBT_CHECK(capbuddy_is_from_pool(w.cb, first + 1023, 12));
    /* ... but not a run that leaves it */
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, first + 1023, 13));
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, first + 1, 22));
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, first + 1024, 12));
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, first - 1, 12));
    /* foreign cptrs: the well-known caps, a parent slot, the null cap, the top of the word */
    seL4_CPtr mine;
    CBT_CHECK_EQ(vka_cspace_alloc(&w.vka, &mine), 0);
    const seL4_CPtr foreign[] = {seL4_CapNull, seL4_CapInitThreadCNode, seL4_CapInitThreadVSpace,
                                 w.bi->untyped.start, mine, (seL4_CPtr)-1,
                                 (seL4_CPtr)-1 - 1023};
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        CBT_CHECK(!capbuddy_is_from_pool(w.cb, foreign[i], 12));
        CBT_CHECK(!capbuddy_is_from_pool(w.cb, foreign[i], 22));
        CBT_CHECK_EQ(capbuddy_paddr(w.cb, foreign[i]), VKA_NO_PADDR);
    }
    vka_cspace_free(&w.vka, mine);
    /* sizes out of range are never from a pool */
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, r.capPtr, 11));
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, r.capPtr, 23));
    CBT_CHECK(!capbuddy_is_from_pool(w.cb, r.capPtr, 0));
    CBT_CHECK(!capbuddy_is_from_pool(NULL, r.capPtr, 12));
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 16), CAPBUDDY_OK);
    world_down(&w);
}

/* Kernel calls of the first alloc, of the fast path, and of frees, under each policy. */
static void kernel_calls_per_policy(void)
{
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        struct world w;
        if (!world_boot(&w, NULL)) {
            return;
        }
        w.cfg.policy = (enum capbuddy_policy)pol;
        CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
        unsigned long rpp = world_retypes_per_pool(&w);

        sel4host_counters_reset();
        cspacepath_t r;
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
        struct capbuddy_stats st;
        capbuddy_stats(w.cb, &st);
        uint64_t cold_total = sel4host_count_total();
        uint64_t cold_retype = sel4host_count(SEL4HOST_UNTYPED_RETYPE);
        /* CapBuddy's own calls: exactly the retypes of one 4 MiB pool */
        CBT_CHECK_EQ(st.retypes, rpp);
        CBT_CHECK_EQ(st.kernel_calls, rpp);
        CBT_CHECK_EQ(st.pools_created, 1);
        /* plus at least the parent's retype of the 4 MiB untyped */
        CBT_CHECK(cold_retype >= rpp + 1);
        CBT_CHECK_EQ(cold_total, cold_retype); /* the parent splits with retypes only */

        /* the rest of the pool: no kernel call at all */
        static cspacepath_t runs[1024];
        runs[0] = r;
        for (int i = 1; i < 1024; i++) {
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &runs[i]), CAPBUDDY_OK);
        }
        CBT_CHECK_EQ(sel4host_count_total(), cold_total);
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.pools_created, 1);
        CBT_CHECK_EQ(st.frames_free, 0);

        /* frees: none under any policy (the pool stays as the one spare when it empties) */
        for (int i = 0; i < 1024; i++) {
            CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, 12), CAPBUDDY_OK);
        }
        CBT_CHECK_EQ(sel4host_count_total(), cold_total);
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.pools_ram, 1);
        CBT_CHECK_EQ(st.pools_returned, 0);
        if (pol == CAPBUDDY_POLICY_TRUST) {
            CBT_CHECK_EQ(st.frames_free, 1024);
        } else {
            CBT_CHECK_EQ(st.frames_quarantined, 1024);
        }

        /* steady state: cycles of 1024 single-frame allocs and frees */
        const int cycles = 8;
        sel4host_counters_reset();
        for (int c = 0; c < cycles; c++) {
            for (int i = 0; i < 1024; i++) {
                CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &runs[i]), CAPBUDDY_OK);
            }
            for (int i = 0; i < 1024; i++) {
                CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, 12), CAPBUDDY_OK);
            }
        }
        uint64_t steady = sel4host_count_total();
        capbuddy_stats(w.cb, &st);
        if (pol == CAPBUDDY_POLICY_TRUST) {
            CBT_CHECK_EQ(steady, 0);
        } else if (pol == CAPBUDDY_POLICY_REVOKE) {
            /* the quarantine made reusable frame by frame (Revoke + Unmap each: ~1.2 k
             * instructions) rather than by a refresh (~2.9 k a frame with the 4 MiB clear) */
            CBT_CHECK_EQ(steady, (uint64_t)cycles * 1024 * 2);
            CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE), (uint64_t)cycles * 1024);
        } else {
            /* SCRUB without a hook (as here): only a refresh cleans, once per cycle: one
             * revoke of the untyped plus the pool's retypes */
            CBT_CHECK_EQ(steady, (uint64_t)cycles * (1 + rpp));
            CBT_CHECK_EQ(sel4host_count(SEL4HOST_CNODE_REVOKE), cycles);
        }
        CBT_CHECK_EQ(st.pools_created, 1);
        printf("    kernel calls, policy %-6s fan-out %u: first alloc %" PRIu64
               " (CapBuddy %lu retypes, parent the rest); next 1023 allocs 0; 1024 frees 0; "
               "steady alloc+free %.4f per frame (%" PRIu64 " in %d x 1024)\n",
               policy_name[pol], world_args.fanout, cold_total, rpp,
               (double)steady / (cycles * 1024.0), steady, cycles);
        world_down(&w);
    }
}

/*
 * Many pools: fill them one frame at a time, free a random half, then allocate random sizes.
 * Whenever some pool has a free run of the order asked for, the request is served without
 * a kernel call and without a new pool: the pick found it (in O(1), by bucket).
 */
static void many_pools_keep_serving(void)
{
    struct world w;
    struct world_opts o = {.min_cnode_bits = 16, .ram_bytes = 512 * W_MIB};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_TRUST;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    const unsigned pools = 24;
    const size_t nframes = (size_t)pools * 1024;
    cspacepath_t *runs = calloc(nframes, sizeof(*runs));
    seL4_Word *bits = calloc(nframes, sizeof(*bits));
    CBT_CHECK(runs && bits);
    if (!runs || !bits) {
        free(runs);
        free(bits);
        world_down(&w);
        return;
    }
    size_t live = 0;
    for (size_t i = 0; i < nframes; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &runs[live]), CAPBUDDY_OK);
        bits[live++] = 12;
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, pools);
    CBT_CHECK_EQ(st.frames_free, 0);

    struct cbt_rng rng;
    cbt_seed(&rng, world_args.seed);
    /* free a random half */
    for (size_t k = 0; k < nframes / 2; k++) {
        size_t i = (size_t)cbt_below(&rng, live);
        CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, bits[i]), CAPBUDDY_OK);
        runs[i] = runs[--live];
        bits[i] = bits[live];
    }
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    /* random orders 0..3: served from existing pools while any has a run that big */
    unsigned long served_in_place = 0;
    for (int k = 0; k < 4000 && live < nframes; k++) {
        seL4_Word b = 12 + (seL4_Word)cbt_below(&rng, 4);
        capbuddy_stats(w.cb, &st);
        bool fits = st.largest_free_order >= (int)(b - 12);
        uint64_t before = sel4host_count_total();
        unsigned long created = st.pools_created;
        int err = capbuddy_alloc(w.cb, b, VKA_NO_PADDR, false, &runs[live]);
        if (err && !fits) {
            /* a new pool was needed and the window (32 pools at 16 bits) is full: fine */
            CBT_CHECK(err == CAPBUDDY_ERR_NO_SLOTS || err == CAPBUDDY_ERR_NO_MEMORY);
            continue;
        }
        CBT_CHECK_EQ(err, CAPBUDDY_OK);
        if (err) {
            break;
        }
        bits[live++] = b;
        if (fits) {
            served_in_place++;
            CBT_CHECK_EQ(sel4host_count_total(), before);
            capbuddy_stats(w.cb, &st);
            CBT_CHECK_EQ(st.pools_created, created);
        }
    }
    CBT_CHECK(served_in_place > 1000);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    capbuddy_stats(w.cb, &st);
    unsigned long most_pools = st.pools_ram; /* never fewer live before the frees below */
    for (size_t i = 0; i < live; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i].capPtr, bits[i]), CAPBUDDY_OK);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 0);
    /* TRUST, one spare: every other pool went back to the parent as it emptied */
    CBT_CHECK_EQ(st.pools_ram, 1);
    printf("    many pools: %lu pools made, %lu served in place; metadata peak %zu bytes "
           "for %lu live pools (%zu per pool)\n",
           st.pools_created, served_in_place, st.metadata_bytes_peak, most_pools,
           (size_t)(st.metadata_bytes_peak / most_pools));
    free(runs);
    free(bits);
    world_down(&w);
}

/* Refused allocations change nothing. */
static void alloc_refusals_change_nothing(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r, keep;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &keep), CAPBUDDY_OK);
    struct world_snap s;
    world_snap(&w, &s);
    const seL4_Word bad[] = {0, 11, 23, 64, (seL4_Word)-1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, bad[i], VKA_NO_PADDR, false, &r), CAPBUDDY_ERR_INVALID);
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, bad[i], 0x1000000, true, &r), CAPBUDDY_ERR_INVALID);
    }
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, NULL), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_alloc(NULL, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_ERR_INVALID);
    world_snap_same(&w, &s, "refused allocs");
    CBT_CHECK_EQ(capbuddy_free(w.cb, keep.capPtr, 12), CAPBUDDY_OK);
    /* init refuses bad configurations and allocates nothing */
    capbuddy_t *cb2 = NULL;
    struct capbuddy_config c = w.cfg;
    c.parent = NULL;
    CBT_CHECK_EQ(capbuddy_init(&cb2, &c), CAPBUDDY_ERR_INVALID);
    c = w.cfg;
    c.policy = (enum capbuddy_policy)7;
    CBT_CHECK_EQ(capbuddy_init(&cb2, &c), CAPBUDDY_ERR_INVALID);
    c = w.cfg;
    c.meta_free = NULL;
    CBT_CHECK_EQ(capbuddy_init(&cb2, &c), CAPBUDDY_ERR_INVALID);
    c = w.cfg;
    c.slot_first = (seL4_Word)-2;
    c.slot_count = 4;
    CBT_CHECK_EQ(capbuddy_init(&cb2, &c), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_init(NULL, &w.cfg), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_init(&cb2, NULL), CAPBUDDY_ERR_INVALID);
    CBT_CHECK(cb2 == NULL);
    /* every error has a text */
    for (int e = CAPBUDDY_OK; e >= CAPBUDDY_ERR_BUSY; e--) {
        CBT_CHECK(strcmp(capbuddy_strerror(e), "unknown error") != 0);
    }
    CBT_CHECK(strcmp(capbuddy_strerror(1), "unknown error") == 0);
    CBT_CHECK(strcmp(capbuddy_strerror(-1000), "unknown error") == 0);
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_alloc");
    CBT_RUN(every_size_is_contiguous);
    CBT_RUN(is_from_pool_only_for_pool_runs);
    CBT_RUN(kernel_calls_per_policy);
    CBT_RUN(many_pools_keep_serving);
    CBT_RUN(alloc_refusals_change_nothing);
    return cbtest_finish();
}
