/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vka_t wrapper (capbuddy_vka_make): unmodified code calling vka_alloc_frame /
 * vka_free_object (vka/object.h) gets pool frames; the wrapper copies the pool cap into the
 * slot the caller's vka_alloc_object chose, so the copy's paddr must equal capbuddy_paddr of
 * the pool frame. Other objects (endpoint, untyped, large page) pass through to the parent.
 * A failing CNode_Copy is rolled back. Every frame the wrapper hands out reads zero, as
 * upstream's do, under every policy, with the ready scrub hook (capbuddy_scrub_frame through
 * a window of the model's vspace) or without a hook (the parent serves instead). And the
 * kernel calls per vka_alloc_frame + vka_free_object pair, wrapper (each policy) against the
 * parent (allocman's path), printed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <capbuddy/scrub.h>

#include "world.h"

/* The wrapper's cookie for a pool frame: the pool cap's cptr with the top bit set (an
 * implementation detail of src/api/vka_wrap.c this test relies on to find the pool cap). */
#define POOL_TAG ((seL4_Word)1 << (seL4_WordBits - 1))

static const char *const policy_name[] = {"trust", "revoke", "scrub"};

/* The ready scrub hook over a window at W_VA; the model's memory is written through its
 * vspace, as a seL4 program's memset would. */
struct scrubber {
    struct capbuddy_scrub_window win;
    vka_object_t tables[3];
    int ntables;
};

static int clear_through_model(void *cookie, seL4_Word vaddr, size_t bytes)
{
    static const unsigned char zero[1u << seL4_PageBits];
    (void)cookie;
    if (bytes > sizeof(zero)) {
        return -1;
    }
    return sel4host_vspace_write(seL4_CapInitThreadVSpace, vaddr, zero, bytes) == seL4_NoError
               ? 0
               : -1;
}

static bool up_opts(struct world *w, const struct world_opts *o, enum capbuddy_policy pol,
                    struct scrubber *sc, struct capbuddy_vka *state, vka_t *wv)
{
    if (!world_boot(w, o)) {
        return false;
    }
    w->cfg.policy = pol;
    if (sc) {
        sc->ntables = world_map_tables(w, sc->tables);
        CBT_CHECK(sc->ntables > 0);
        capbuddy_scrub_window_init(&sc->win, seL4_CapInitThreadVSpace, W_VA);
        sc->win.clear = clear_through_model;
        w->cfg.scrub = capbuddy_scrub_frame;
        w->cfg.scrub_cookie = &sc->win;
    }
    int err = world_start(w);
    CBT_CHECK_EQ(err, CAPBUDDY_OK);
    if (err) {
        return false;
    }
    capbuddy_vka_make(state, w->cb, &w->vka, wv);
    return true;
}

static bool up(struct world *w, enum capbuddy_policy pol, struct capbuddy_vka *state, vka_t *wv)
{
    return up_opts(w, NULL, pol, NULL, state, wv);
}

static void down(struct world *w, struct scrubber *sc)
{
    if (sc && w->cb) {
        capbuddy_destroy(w->cb); /* before the window's tables go */
        w->cb = NULL;
    }
    if (sc && sc->ntables > 0) {
        world_unmap_tables(w, sc->tables, sc->ntables);
    }
    world_down(w);
}

static void frames_come_from_pools(void)
{
    struct world w;
    struct capbuddy_vka state;
    struct scrubber sc;
    vka_t wv;
    if (!up_opts(&w, NULL, CAPBUDDY_POLICY_REVOKE, &sc, &state, &wv)) {
        return;
    }
    static vka_object_t f[1500];
    static uint64_t pa[1500];
    for (int i = 0; i < 1500; i++) {
        CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &f[i]), 0);
        /* the caller's slot holds a copy; the pool keeps the original */
        CBT_CHECK(!capbuddy_is_from_pool(w.cb, f[i].cptr, 12));
        CBT_CHECK(f[i].ut & POOL_TAG);
        seL4_CPtr pool_cap = (seL4_CPtr)(f[i].ut & ~POOL_TAG);
        CBT_CHECK(capbuddy_is_from_pool(w.cb, pool_cap, 12));
        pa[i] = world_frame_paddr(f[i].cptr);
        CBT_CHECK_EQ(pa[i], capbuddy_paddr(w.cb, pool_cap));
        CBT_CHECK_EQ(pa[i], world_frame_paddr(pool_cap));
        CBT_CHECK_EQ(pa[i], vka_object_paddr(&wv, &f[i]));
        for (int j = 0; j < i && j < 8; j++) {
            CBT_CHECK(pa[j] != pa[i]);
        }
    }
    /* CapBuddy counts its own invocations, the wrapper's Copies included: 1500 Copies and
     * the retypes of the two pools */
    struct capbuddy_stats st0;
    capbuddy_stats(w.cb, &st0);
    CBT_CHECK_EQ(st0.kernel_calls, 1500 + st0.retypes);
    /* data written through the copy is in the pool's frame */
    char out[6] = {0};
    CBT_CHECK_EQ(sel4host_frame_write(f[7].cptr, 64, "hello", 6), seL4_NoError);
    CBT_CHECK_EQ(sel4host_frame_read((seL4_CPtr)(f[7].ut & ~POOL_TAG), 64, out, 6), seL4_NoError);
    CBT_CHECK(strcmp(out, "hello") == 0);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 1500);
    /* all distinct */
    for (int i = 0; i < 1500; i++) {
        for (int j = i + 1; j < 1500; j++) {
            if (pa[i] == pa[j]) {
                CBT_CHECK(pa[i] != pa[j]);
            }
        }
    }
    seL4_CPtr slot7 = f[7].cptr;
    for (int i = 0; i < 1500; i++) {
        vka_free_object(&wv, &f[i]);
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_used, 0);
    /* the caller's copy was deleted by vka_free_object */
    CBT_CHECK_EQ(sel4host_frame_read(slot7, 0, out, 1), seL4_FailedLookup);
    /* at a paddr: frame 7's, written above; the hook zeroes it before it goes out again */
    vka_object_t at;
    CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(vka_alloc_frame_at(&wv, seL4_PageBits, (uintptr_t)pa[7], &at), 0);
    CBT_CHECK_EQ(world_frame_paddr(at.cptr), pa[7]);
    CBT_CHECK(at.ut & POOL_TAG);
    CBT_CHECK_EQ(sel4host_frame_read(at.cptr, 64, out, 6), seL4_NoError);
    CBT_CHECK(memcmp(out, "\0\0\0\0\0", 6) == 0);
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.frames_zeroed, 1);
    CBT_CHECK_EQ(sc.win.scrubbed, 1);
    vka_free_object(&wv, &at);
    down(&w, &sc);
}

static void other_objects_pass_through(void)
{
    struct world w;
    struct capbuddy_vka state;
    vka_t wv;
    if (!up(&w, CAPBUDDY_POLICY_REVOKE, &state, &wv)) {
        return;
    }
    struct capbuddy_stats st0, st1;
    capbuddy_stats(w.cb, &st0);
    vka_object_t ep, ut, large, ntfn;
    CBT_CHECK_EQ(vka_alloc_endpoint(&wv, &ep), 0);
    CBT_CHECK_EQ(vka_alloc_notification(&wv, &ntfn), 0);
    CBT_CHECK_EQ(vka_alloc_untyped(&wv, 16, &ut), 0);
    CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_LargePageBits, &large), 0);
    vka_object_t *objs[] = {&ep, &ntfn, &ut, &large};
    for (size_t i = 0; i < 4; i++) {
        CBT_CHECK(!(objs[i]->ut & POOL_TAG));
        CBT_CHECK(!capbuddy_is_from_pool(w.cb, objs[i]->cptr, 12));
    }
    CBT_CHECK_EQ(vka_object_paddr(&wv, &large), world_frame_paddr(large.cptr));
    capbuddy_stats(w.cb, &st1);
    CBT_CHECK_EQ(st1.pools_created, st0.pools_created);
    CBT_CHECK_EQ(st1.frames_used, 0);
    for (size_t i = 0; i < 4; i++) {
        vka_free_object(&wv, objs[i]);
    }
    world_down(&w);
}

/*
 * The pool frame's copy cannot be made: that alloc fails, its slot and frame go back, the
 * others are untouched. For each of the K copies a scenario makes, under each policy.
 */
static void copy_fault_rolls_back(void)
{
    enum { K = 6 };
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        for (uint64_t nth = 1; nth <= K; nth++) {
            struct world w;
            struct capbuddy_vka state;
            vka_t wv;
            if (!up(&w, (enum capbuddy_policy)pol, &state, &wv)) {
                return;
            }
            vka_object_t f[K];
            unsigned ok = 0;
            sel4host_fault_nth(SEL4HOST_CNODE_COPY, nth, seL4_NotEnoughMemory);
            for (uint64_t i = 1; i <= K; i++) {
                struct world_snap s;
                world_snap(&w, &s);
                int err = vka_alloc_frame(&wv, seL4_PageBits, &f[ok]);
                if (i == nth) {
                    CBT_CHECK(err != 0);
                    /* everything as before but the counters: the pool frame, never seen
                     * by anyone, went straight back to its pool, under every policy */
                    struct capbuddy_stats now;
                    capbuddy_stats(w.cb, &now);
                    CBT_CHECK_EQ(now.frames_used, s.st.frames_used);
                    CBT_CHECK_EQ(now.frames_quarantined, s.st.frames_quarantined);
                    CBT_CHECK_EQ(now.revocations_pending, s.st.revocations_pending);
                    if (now.pools_created == s.st.pools_created) {
                        CBT_CHECK_EQ(now.frames_free, s.st.frames_free);
                    }
                    struct sel4host_account a;
                    sel4host_account(&a);
                    if (now.pools_created == s.st.pools_created) {
                        CBT_CHECK_EQ(a.caps_live, s.acc.caps_live); /* no copy left behind */
                    }
                    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
                } else {
                    CBT_CHECK_EQ(err, 0);
                    ok += err == 0;
                }
            }
            CBT_CHECK_EQ(sel4host_faults_injected(), 1);
            sel4host_fault_clear();
            /* keeps working */
            CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &f[ok]), 0);
            ok++;
            for (unsigned i = 0; i < ok; i++) {
                vka_free_object(&wv, &f[i]);
            }
            struct capbuddy_stats st;
            capbuddy_stats(w.cb, &st);
            CBT_CHECK_EQ(st.frames_used, 0);
            world_down(&w);
        }
    }
}

/* Kernel calls per vka_alloc_frame + vka_free_object pair, three patterns. */
enum pattern { BATCH, PINGPONG, PINGPONG_PINNED };
static const char *const pattern_name[] = {"batch of 1024", "alloc/free alone",
                                           "alloc/free, 1 frame pinned"};

static double pair_cost(vka_t *v, enum pattern pat, unsigned pairs, uint64_t *cold)
{
    static vka_object_t f[1024];
    vka_object_t pin;
    sel4host_counters_reset();
    CBT_CHECK_EQ(vka_alloc_frame(v, seL4_PageBits, &f[0]), 0);
    vka_free_object(v, &f[0]);
    *cold = sel4host_count_total();
    if (pat == PINGPONG_PINNED) {
        CBT_CHECK_EQ(vka_alloc_frame(v, seL4_PageBits, &pin), 0);
    }
    /* warm up past the first pool's worth of frees (so that a policy's steady state, not
     * its first pool, is measured), then measure */
    for (int round = 0; round < 2; round++) {
        unsigned n = round ? pairs : 1100;
        sel4host_counters_reset();
        if (pat == BATCH) {
            for (unsigned done = 0; done < n; done += 1024) {
                for (int i = 0; i < 1024; i++) {
                    CBT_CHECK_EQ(vka_alloc_frame(v, seL4_PageBits, &f[i]), 0);
                }
                for (int i = 0; i < 1024; i++) {
                    vka_free_object(v, &f[i]);
                }
            }
        } else {
            for (unsigned i = 0; i < n; i++) {
                CBT_CHECK_EQ(vka_alloc_frame(v, seL4_PageBits, &f[0]), 0);
                vka_free_object(v, &f[0]);
            }
        }
    }
    double per = (double)sel4host_count_total() / pairs;
    if (pat == PINGPONG_PINNED) {
        vka_free_object(v, &pin);
    }
    return per;
}

static void kernel_calls_wrapper_vs_parent(void)
{
    /* enough pairs to reach the steady state; each REVOKE ping-pong pair refreshes a pool
     * (1024 caps revoked and made in the model), so keep those few */
    const unsigned pairs_of[] = {2048, 256, 256};
    /* 2^16 slots: the allocman-like parent splits down to 4 KiB pieces, and holding 1024
     * frames at once takes about 3000 of its slots (frames plus the split pieces' caps) */
    struct world_opts o = {.min_cnode_bits = 16};
    for (int pat = BATCH; pat <= PINGPONG_PINNED; pat++) {
        struct world w;
        uint64_t cold;
        if (!world_boot(&w, &o)) {
            return;
        }
        const unsigned pairs = pairs_of[pat];
        double parent = pair_cost(&w.vka, (enum pattern)pat, pairs, &cold);
        printf("    %-27s parent (allocman-like)  %6.3f calls/pair (first pair %" PRIu64 ")\n",
               pattern_name[pat], parent, cold);
        world_down(&w);
        for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
            struct capbuddy_vka state;
            struct scrubber sc;
            vka_t wv;
            if (!up_opts(&w, &o, (enum capbuddy_policy)pol, &sc, &state, &wv)) {
                return;
            }
            double per = pair_cost(&wv, (enum pattern)pat, pairs, &cold);
            printf("    %-27s wrapper, policy %-6s %6.3f calls/pair (first pair %" PRIu64 ")\n",
                   pattern_name[pat], policy_name[pol], per, cold);
            /* a Copy and a Delete per pair at least; TRUST exactly that plus the scrub's
             * Map and Unmap of the reused frame (and on ARM its cache clean) */
            CBT_CHECK(per >= 2.0);
            if (pol == CAPBUDDY_POLICY_TRUST) {
#if defined(CONFIG_ARCH_ARM)
                CBT_CHECK(per == 5.0);
#else
                CBT_CHECK(per == 4.0);
#endif
            }
            down(&w, &sc);
        }
    }
}

/* Owner after owner, each wrapper frame reads zero: the previous owner wrote all of it
 * through its copy, unmapped nothing (the copy's delete does) and freed it. With the hook the
 * pool frame is zeroed and reused; without one, a reused frame is not handed out and the
 * parent's retype serves. Under slot pressure too (a window of one pool), where REVOKE
 * reuses frames one by one. */
static void frames_read_zero(void)
{
    for (int pressure = 0; pressure < 2; pressure++) {
        for (int hook = 0; hook < 2; hook++) {
            for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
                struct world_opts o = {.max_window = pressure ? 1100 : 0};
                struct world w;
                struct capbuddy_vka state;
                struct scrubber sc;
                vka_t wv;
                if (!up_opts(&w, &o, (enum capbuddy_policy)pol, hook ? &sc : NULL, &state,
                             &wv)) {
                    return;
                }
                static unsigned char page[1u << seL4_PageBits];
                static vka_object_t hold[1000];
                unsigned dirty = 0, from_pool = 0;
                /* under pressure, most of the one pool is held so reuse comes early */
                unsigned nhold = pressure ? 1000 : 0;
                for (unsigned i = 0; i < nhold; i++) {
                    CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &hold[i]), 0);
                }
                for (int round = 0; round < 64; round++) {
                    vka_object_t f;
                    CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &f), 0);
                    from_pool += (f.ut & POOL_TAG) != 0;
                    CBT_CHECK_EQ(sel4host_frame_read(f.cptr, 0, page, sizeof(page)),
                                 seL4_NoError);
                    unsigned nz = 0;
                    for (size_t k = 0; k < sizeof(page); k++) {
                        nz += page[k] != 0;
                    }
                    dirty += nz != 0;
                    memset(page, 0xa5, sizeof(page));
                    CBT_CHECK_EQ(sel4host_frame_write(f.cptr, 0, page, sizeof(page)),
                                 seL4_NoError);
                    vka_free_object(&wv, &f);
                }
                for (unsigned i = 0; i < nhold; i++) {
                    vka_free_object(&wv, &hold[i]);
                }
                struct capbuddy_stats st;
                capbuddy_stats(w.cb, &st);
                printf("    %-6s %-7s %-8s: 64 owners, %u dirty, %u from pools, %lu zeroed by "
                       "the hook, %lu served by the parent\n",
                       policy_name[pol], hook ? "hook" : "no hook",
                       pressure ? "pressure" : "plenty", dirty, from_pool, st.frames_zeroed,
                       st.zero_fallbacks);
                CBT_CHECK_EQ(dirty, 0);
                CBT_CHECK_EQ(from_pool + st.zero_fallbacks, 64);
                if (pol == CAPBUDDY_POLICY_TRUST) {
                    /* TRUST reuses at once: every owner after the first got a reused frame */
                    CBT_CHECK_EQ(hook ? st.frames_zeroed : st.zero_fallbacks, 63);
                }
                if (!hook) {
                    CBT_CHECK_EQ(st.frames_zeroed, 0);
                }
                down(&w, hook ? &sc : NULL);
            }
        }
    }
}

/* A wrapper made over an allocator already used natively under TRUST: the frames freed before
 * it existed were not tracked, so they count as dirty and are zeroed before they go out. */
static void wrapper_made_late(void)
{
    struct world w;
    struct scrubber sc;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_TRUST;
    sc.ntables = world_map_tables(&w, sc.tables);
    CBT_CHECK(sc.ntables > 0);
    capbuddy_scrub_window_init(&sc.win, seL4_CapInitThreadVSpace, W_VA);
    sc.win.clear = clear_through_model;
    w.cfg.scrub = capbuddy_scrub_frame;
    w.cfg.scrub_cookie = &sc.win;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r;
    static unsigned char page[1u << seL4_PageBits];
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 13, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    memset(page, 0x5a, sizeof(page));
    CBT_CHECK_EQ(sel4host_frame_write(r.capPtr, 0, page, sizeof(page)), seL4_NoError);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 13), CAPBUDDY_OK);
    struct capbuddy_vka state;
    vka_t wv;
    capbuddy_vka_make(&state, w.cb, &w.vka, &wv);
    vka_object_t f;
    CBT_CHECK_EQ(vka_alloc_frame(&wv, seL4_PageBits, &f), 0);
    CBT_CHECK_EQ(world_frame_paddr(f.cptr), world_frame_paddr(r.capPtr)); /* the same frame */
    CBT_CHECK_EQ(sel4host_frame_read(f.cptr, 0, page, sizeof(page)), seL4_NoError);
    unsigned nz = 0;
    for (size_t k = 0; k < sizeof(page); k++) {
        nz += page[k] != 0;
    }
    CBT_CHECK_EQ(nz, 0);
    vka_free_object(&wv, &f);
    down(&w, &sc);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_vka");
    CBT_RUN(frames_come_from_pools);
    CBT_RUN(other_objects_pass_through);
    CBT_RUN(copy_fault_rolls_back);
    CBT_RUN(frames_read_zero);
    CBT_RUN(wrapper_made_late);
    CBT_RUN(kernel_calls_wrapper_vs_parent);
    return cbtest_finish();
}
