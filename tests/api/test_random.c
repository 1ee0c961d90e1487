/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A long randomized run (fixed, printed seed; --seed to change it; CBTEST_SCALE to make it
 * longer) mixing every operation: allocs of every size, at a paddr (RAM and device),
 * correct frees, wrong frees, flushes, copies of frame caps kept by their owner. Checked
 * after every step against a simple reference (who owns which frame, by physical address,
 * from Page_GetAddress): no frame is handed out twice while live, runs are contiguous, RAM
 * requests never get device memory, a refused free is exactly a free that does not match a
 * live run and changes nothing, capbuddy_check() == 0. Under REVOKE and SCRUB a copy of a
 * freed frame's cap is gone once the frame is handed out again; under SCRUB (hook zeroing)
 * every run handed out reads zero where the previous owner wrote.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define MAX_LIVE 4096
#define MAX_COPIES 256

struct live_run {
    seL4_CPtr cptr;
    seL4_Word bits;
    uint64_t pa;
};

struct copy {
    seL4_CPtr slot;
    uint64_t pa;
};

struct ref {
    struct world *w;
    enum capbuddy_policy pol;
    struct live_run live[MAX_LIVE];
    unsigned nlive;
    unsigned long frames_live;
    uint8_t *owned; /* one byte per frame of [lo, hi) */
    uint64_t lo, hi;
    struct copy copies[MAX_COPIES];
    unsigned ncopies;
    unsigned long counts[8];
    bool faults; /* kernel calls fail at random: KERNEL results are fine, flush may fail */
};

enum { C_ALLOC, C_ALLOC_AT, C_ALLOC_DEV, C_FREE, C_BAD_FREE, C_FLUSH, C_COPY, C_COPY_CUT };
static const char *const count_name[] = {"allocs", "allocs at paddr", "device allocs", "frees",
                                         "refused frees", "flushes", "copies", "copies cut"};

static uint8_t *owned_at(struct ref *r, uint64_t pa)
{
    return pa >= r->lo && pa < r->hi ? &r->owned[(pa - r->lo) >> seL4_PageBits] : NULL;
}

static int scrub_zero(void *cookie, seL4_CPtr frame)
{
    static const unsigned char zeros[4096];
    (void)cookie;
    return sel4host_frame_write(frame, 0, zeros, sizeof(zeros)) == seL4_NoError ? 0 : -1;
}

/* A new run: contiguous, owned by nobody, the right kind of memory; copies of its frames'
 * old caps are gone (REVOKE, SCRUB), old data is gone (SCRUB). Then mark and write to it. */
static void took(struct ref *r, const cspacepath_t *p, seL4_Word bits, bool dev_ok)
{
    seL4_Word n = (seL4_Word)1 << (bits - 12);
    uint64_t pa0 = world_frame_paddr(p->capPtr);
    CBT_CHECK_EQ(p->window, n);
    CBT_CHECK_EQ(pa0 & (((uint64_t)1 << bits) - 1), 0);
    for (seL4_Word i = 0; i < n; i++) {
        uint64_t pa = pa0 + i * W_FRAME;
        if (i == 0 || i == n - 1) {
            CBT_CHECK_EQ(world_frame_paddr(p->capPtr + i), pa);
        }
        uint8_t *o = owned_at(r, pa);
        CBT_CHECK(o != NULL);
        if (!o) {
            return;
        }
        if (*o) {
            fprintf(stderr, "  frame 0x%" PRIx64 " handed out twice\n", pa);
            CBT_CHECK(*o == 0);
        }
        *o = 1;
    }
    if (!dev_ok) {
        CBT_CHECK(world_is_ram(r->w, pa0));
    }
    for (unsigned c = 0; c < r->ncopies; c++) {
        if (r->copies[c].pa >= pa0 && r->copies[c].pa < pa0 + n * W_FRAME) {
            char b;
            CBT_CHECK_EQ(sel4host_frame_read(r->copies[c].slot, 0, &b, 1), seL4_FailedLookup);
            vka_cspace_free(&r->w->vka, r->copies[c].slot);
            r->copies[c--] = r->copies[--r->ncopies];
            r->counts[C_COPY_CUT]++;
        }
    }
    if (r->pol == CAPBUDDY_POLICY_SCRUB && world_is_ram(r->w, pa0)) {
        /* where every previous owner wrote: the first bytes of the first and last frame */
        uint64_t v = 1;
        CBT_CHECK_EQ(sel4host_frame_read(p->capPtr, 0, &v, sizeof(v)), seL4_NoError);
        CBT_CHECK_EQ(v, 0);
        CBT_CHECK_EQ(sel4host_frame_read(p->capPtr + n - 1, 0, &v, sizeof(v)), seL4_NoError);
        CBT_CHECK_EQ(v, 0);
    }
    uint64_t mark = 0xfeedface00000000ull | pa0;
    if (world_is_ram(r->w, pa0)) {
        CBT_CHECK_EQ(sel4host_frame_write(p->capPtr, 0, &mark, sizeof(mark)), seL4_NoError);
        CBT_CHECK_EQ(sel4host_frame_write(p->capPtr + n - 1, 0, &mark, sizeof(mark)),
                     seL4_NoError);
    }
    r->live[r->nlive++] = (struct live_run){p->capPtr, bits, pa0};
    r->frames_live += n;
}

static void release(struct ref *r, unsigned i)
{
    struct live_run *l = &r->live[i];
    seL4_Word n = (seL4_Word)1 << (l->bits - 12);
    CBT_CHECK_EQ(capbuddy_free(r->w->cb, l->cptr, l->bits), CAPBUDDY_OK);
    for (seL4_Word k = 0; k < n; k++) {
        uint8_t *o = owned_at(r, l->pa + k * W_FRAME);
        if (o) {
            *o = 0;
        }
    }
    r->frames_live -= n;
    r->live[i] = r->live[--r->nlive];
}

static bool is_live_run(const struct ref *r, seL4_CPtr c, seL4_Word bits)
{
    for (unsigned i = 0; i < r->nlive; i++) {
        if (r->live[i].cptr == c && r->live[i].bits == bits) {
            return true;
        }
    }
    return false;
}

static seL4_Word random_bits(struct cbt_rng *g)
{
    /* mostly small runs, now and then a large one */
    seL4_Word b = 12;
    while (b < 22 && cbt_below(g, 100) < 35) {
        b++;
    }
    return b;
}

static void alloc_result(struct ref *r, int err, const cspacepath_t *p, seL4_Word bits, bool dev)
{
    if (err) {
        if (!(err == CAPBUDDY_ERR_NO_SLOTS || err == CAPBUDDY_ERR_NO_MEMORY ||
              err == CAPBUDDY_ERR_BUSY || err == CAPBUDDY_ERR_PADDR ||
              (r->faults && err == CAPBUDDY_ERR_KERNEL))) {
            fprintf(stderr, "  alloc of %lu bits: %d (%s)\n", (unsigned long)bits, err,
                    capbuddy_strerror(err));
            CBT_CHECK(false);
        }
        return;
    }
    took(r, p, bits, dev);
}

static void step(struct ref *r, struct cbt_rng *g)
{
    struct world *w = r->w;
    unsigned op = (unsigned)cbt_below(g, 100);
    /* keep the live set bounded: free more when it is large */
    bool full = r->nlive >= MAX_LIVE - 1 || r->frames_live > 12000;
    if (full && op < 55) {
        op = 55;
    }
    cspacepath_t p;
    if (op < 35) {
        seL4_Word bits = random_bits(g);
        bool dev = cbt_below(g, 10) == 0;
        alloc_result(r, capbuddy_alloc(w->cb, bits, VKA_NO_PADDR, dev, &p), &p, bits, dev);
        r->counts[C_ALLOC]++;
    } else if (op < 45) {
        seL4_Word bits = random_bits(g);
        uint64_t span = ((w->ram_hi - w->ram_lo) >> bits) + 1;
        uint64_t pa = ((w->ram_lo >> bits) + cbt_below(g, span)) << bits; /* aligned */
        int err = capbuddy_alloc(w->cb, bits, pa, false, &p);
        alloc_result(r, err, &p, bits, false);
        if (!err) {
            CBT_CHECK_EQ(r->live[r->nlive - 1].pa, pa);
        }
        r->counts[C_ALLOC_AT]++;
    } else if (op < 50) {
        seL4_Word bits = 12 + (seL4_Word)cbt_below(g, 4);
        uint64_t span = ((w->dev_hi - w->dev_lo) >> bits) + 1;
        uint64_t pa = ((w->dev_lo >> bits) + cbt_below(g, span)) << bits;
        int err = capbuddy_alloc(w->cb, bits, pa, true, &p);
        alloc_result(r, err, &p, bits, true);
        if (!err) {
            CBT_CHECK(world_is_device(w, pa));
            CBT_CHECK_EQ(r->live[r->nlive - 1].pa, pa);
        }
        r->counts[C_ALLOC_DEV]++;
    } else if (op < 85) {
        if (r->nlive) {
            release(r, (unsigned)cbt_below(g, r->nlive));
            r->counts[C_FREE]++;
        }
    } else if (op < 95) {
        /* a free that may or may not match a live run: near one, or anywhere in the window */
        seL4_CPtr c;
        seL4_Word bits = 12 + (seL4_Word)cbt_below(g, 11);
        if (r->nlive && cbt_below(g, 2)) {
            const struct live_run *l = &r->live[cbt_below(g, r->nlive)];
            c = l->cptr + (seL4_CPtr)cbt_below(g, 3);
        } else {
            c = (seL4_CPtr)(w->cfg.slot_first + cbt_below(g, w->cfg.slot_count + 16));
        }
        if (!is_live_run(r, c, bits)) {
            struct capbuddy_stats a, b;
            capbuddy_stats(w->cb, &a);
            uint64_t calls = sel4host_count_total();
            int err = capbuddy_free(w->cb, c, bits);
            CBT_CHECK(err < 0);
            capbuddy_stats(w->cb, &b);
            CBT_CHECK(world_stats_equal(&a, &b));
            CBT_CHECK_EQ(sel4host_count_total(), calls);
            r->counts[C_BAD_FREE]++;
        }
    } else if (op < 96) {
        int err = capbuddy_flush(w->cb);
        CBT_CHECK(err == CAPBUDDY_OK || (r->faults && err == CAPBUDDY_ERR_KERNEL));
        r->counts[C_FLUSH]++;
    } else if (op < 97) {
        /* background work with a budget from nothing to everything */
        static const uint64_t budgets[] = {0, 2000, 200000, 3000000, UINT64_MAX};
        int err = capbuddy_maintain(w->cb, budgets[cbt_below(g, 5)], NULL);
        CBT_CHECK(err == CAPBUDDY_OK || err == CAPBUDDY_MORE ||
                  (r->faults && err == CAPBUDDY_ERR_KERNEL));
        r->counts[C_FLUSH]++;
    } else if (r->pol != CAPBUDDY_POLICY_TRUST && r->nlive && r->ncopies < MAX_COPIES) {
        /* the owner keeps a copy of a frame cap of its run (TRUST forbids that) */
        const struct live_run *l = &r->live[cbt_below(g, r->nlive)];
        seL4_CPtr slot;
        if (vka_cspace_alloc(&w->vka, &slot) == 0) {
            CBT_CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, slot, seL4_WordBits,
                                         seL4_CapInitThreadCNode, l->cptr, seL4_WordBits,
                                         seL4_AllRights),
                         seL4_NoError);
            r->copies[r->ncopies++] = (struct copy){slot, l->pa};
            r->counts[C_COPY]++;
        }
    }
}

static const enum sel4host_inv fault_kinds[] = {SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_REVOKE,
                                                SEL4HOST_CNODE_DELETE, SEL4HOST_PAGE_UNMAP};

static void random_run(enum capbuddy_policy pol, unsigned steps, bool faults)
{
    static struct ref r;
    static struct world w;
    memset(&r, 0, sizeof(r));
    /* 8 pools' worth of window: capbuddy_check() after every step costs O(pools) */
    struct world_opts o = {.min_cnode_bits = 14, .max_window = 8192};
    if (!world_boot(&w, &o)) {
        return;
    }
    w.cfg.policy = pol;
    w.cfg.spare_pools = pol; /* 0, 1, 2 spares across the runs */
    /* retention by demand: none, a short horizon, the default */
    w.cfg.retain_ops = pol == 0 ? 0 : pol == 1 ? 64 : CAPBUDDY_DEFAULT_RETAIN_OPS;
    if (pol == CAPBUDDY_POLICY_SCRUB) {
        w.cfg.scrub = scrub_zero;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    r.w = &w;
    r.pol = pol;
    r.faults = faults;
    r.lo = w.ram_lo < w.dev_lo || !w.dev_hi ? w.ram_lo : w.dev_lo;
    r.hi = w.ram_hi > w.dev_hi ? w.ram_hi : w.dev_hi;
    r.owned = calloc((size_t)((r.hi - r.lo) >> seL4_PageBits), 1);
    CBT_CHECK(r.owned != NULL);
    if (!r.owned) {
        world_down(&w);
        return;
    }
    struct cbt_rng g;
    cbt_seed(&g, world_args.seed + (uint64_t)pol);
    if (faults) {
        /* every kind CapBuddy uses fails now and then, CapBuddy's calls and the parent's */
        sel4host_fault_seed(world_args.seed);
        for (size_t k = 0; k < sizeof(fault_kinds) / sizeof(fault_kinds[0]); k++) {
            sel4host_fault_probability(fault_kinds[k], 0.03, seL4_InvalidArgument);
        }
    }
    for (unsigned s = 0; s < steps; s++) {
        unsigned long before = cbtest_failures;
        step(&r, &g);
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        struct capbuddy_stats st;
        capbuddy_stats(w.cb, &st);
        CBT_CHECK_EQ(st.frames_used, r.frames_live);
        if (cbtest_failures != before) {
            fprintf(stderr, "  policy %d: first failure at step %u (seed %" PRIu64 ")\n", pol, s,
                    world_args.seed);
            break;
        }
    }
    uint64_t injected = sel4host_faults_injected();
    sel4host_fault_clear();
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    printf("    policy %d%s, %u steps, seed %" PRIu64 ":", pol,
           faults ? " with kernel faults" : "", steps, world_args.seed + pol);
    for (int c = 0; c < 8; c++) {
        printf(" %lu %s%s", r.counts[c], count_name[c], c < 7 ? "," : "");
    }
    printf("; %lu pools made, %lu given back, %lu refreshed; %" PRIu64 " faults injected\n",
           st.pools_created, st.pools_returned, st.pools_refreshed, injected);
    while (r.nlive) {
        release(&r, r.nlive - 1);
    }
    for (unsigned c = 0; c < r.ncopies; c++) {
        /* copies of frames not handed out again yet: delete those still there */
        char b;
        if (sel4host_frame_read(r.copies[c].slot, 0, &b, 1) == seL4_NoError) {
            CBT_CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, r.copies[c].slot,
                                           seL4_WordBits),
                         seL4_NoError);
        }
        vka_cspace_free(&w.vka, r.copies[c].slot);
    }
    free(r.owned);
    world_down(&w);
}

static void random_mix(void)
{
    unsigned steps = (unsigned)(2500 * cbtest_scale());
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        random_run((enum capbuddy_policy)pol, steps, false);
    }
}

/* The same mix while 3% of the Retype, Revoke, Delete and Unmap calls fail: the reference
 * checks (no frame twice, copies cut, data scrubbed) must hold all the same. */
static void random_mix_with_faults(void)
{
    unsigned steps = (unsigned)(1500 * cbtest_scale());
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        random_run((enum capbuddy_policy)pol, steps, true);
    }
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_random");
    CBT_RUN(random_mix);
    CBT_RUN(random_mix_with_faults);
    return cbtest_finish();
}
