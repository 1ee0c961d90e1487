/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allocation at a physical address, and device memory.
 * - any size inside an existing pool; a new pool at the 4 MiB-aligned address holding the
 *   paddr (smaller when the parent has handed part of that 4 MiB out); RAM above 4 GiB with
 *   the exact 64-bit address (the original cut paddrs to 32 bits and "succeeded" with a frame
 *   from elsewhere); PADDR for memory that is not available, BUSY for runs in use, INVALID
 *   for a paddr not aligned to the run. Every refusal changes nothing.
 * - device memory (bootinfo in the config): device pools only for can_use_dev requests, and
 *   their frames are never handed to a request that did not ask for device memory.
 * Addresses are checked with Page_GetAddress on the caps CapBuddy hands out.
 */
#include <inttypes.h>
#include <string.h>

#include "world.h"

#define FOUR_MIB ((uint64_t)4 << 20)

static void refused_at(struct world *w, seL4_Word bits, uint64_t paddr, bool dev, int expect,
                       const char *what)
{
    struct world_snap s;
    world_snap(w, &s);
    cspacepath_t r;
    int err = capbuddy_alloc(w->cb, bits, paddr, dev, &r);
    if (err != expect) {
        fprintf(stderr, "  %s: alloc(%lu bits at 0x%" PRIx64 ") = %d (%s), expected %d\n", what,
                (unsigned long)bits, paddr, err, capbuddy_strerror(err), expect);
    }
    CBT_CHECK_EQ(err, expect);
    if (!err) {
        (void)capbuddy_free(w->cb, r.capPtr, bits);
        return;
    }
    /* a refused alloc at a paddr may have asked the parent (whose failed attempt makes no
     * lasting change); CapBuddy's state and the capability state are as before */
    world_snap_same_ex(w, &s, what, W_SNAP_INDEX_GROWTH | W_SNAP_CALLS);
}

static bool run_at(const struct world *w, const cspacepath_t *r, seL4_Word bits, uint64_t pa)
{
    (void)w;
    seL4_Word n = (seL4_Word)1 << (bits - 12);
    bool ok = r->window == n;
    for (seL4_Word i = 0; ok && i < n; i++) {
        ok = world_frame_paddr(r->capPtr + i) == pa + i * W_FRAME &&
             capbuddy_paddr(w->cb, r->capPtr + i) == pa + i * W_FRAME;
    }
    return ok;
}

/* A RAM untyped of at least 4 MiB from bootinfo: the last one, far from what boot used. */
static const seL4_UntypedDesc *big_ram_untyped(const struct world *w)
{
    const seL4_UntypedDesc *best = NULL;
    for (seL4_Word i = 0; i < w->bi->untyped.end - w->bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &w->bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= 22 && (!best || d->paddr > best->paddr)) {
            best = d;
        }
    }
    return best;
}

static void every_size_inside_a_pool(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t first;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &first), CAPBUDDY_OK);
    uint64_t base = world_frame_paddr(first.capPtr) & ~(FOUR_MIB - 1);
    CBT_CHECK_EQ(capbuddy_paddr(w.cb, first.capPtr & ~(seL4_CPtr)1023), base);
    uint64_t calls = sel4host_count_total();
    uint64_t getaddr = sel4host_count(SEL4HOST_PAGE_GET_ADDRESS);
    cspacepath_t r[10];
    /* runs at base + 2^b for b = 12..21 are disjoint and fill the pool after frame 0 */
    for (seL4_Word b = 12; b <= 21; b++) {
        uint64_t pa = base + ((uint64_t)1 << b);
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, b, pa, false, &r[b - 12]), CAPBUDDY_OK);
        CBT_CHECK(run_at(&w, &r[b - 12], b, pa));
    }
    /* GetAddress calls aside, no kernel call: the pool was there */
    CBT_CHECK_EQ(sel4host_count_total() - calls,
                 sel4host_count(SEL4HOST_PAGE_GET_ADDRESS) - getaddr);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1);
    CBT_CHECK_EQ(st.frames_free, 0);
    /* BUSY: runs in use, whole or in part */
    refused_at(&w, 12, base, false, CAPBUDDY_ERR_BUSY, "frame 0 again");
    refused_at(&w, 22, base, false, CAPBUDDY_ERR_BUSY, "the whole pool");
    refused_at(&w, 12, base + ((uint64_t)1 << 15) + 0x2000, false, CAPBUDDY_ERR_BUSY,
               "a frame inside a live run");
    refused_at(&w, 20, base + ((uint64_t)1 << 20), false, CAPBUDDY_ERR_BUSY, "a live 1 MiB run");
    /* INVALID: not aligned to the run's size */
    refused_at(&w, 13, base + 0x1000, false, CAPBUDDY_ERR_INVALID, "2 frames at an odd frame");
    refused_at(&w, 12, base + 1, false, CAPBUDDY_ERR_INVALID, "unaligned byte address");
    refused_at(&w, 22, base + FOUR_MIB / 2, false, CAPBUDDY_ERR_INVALID, "4 MiB at 2 MiB");
    /* free and allocate again at the same addresses */
    for (seL4_Word b = 12; b <= 21; b++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[b - 12].capPtr, b), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_free(w.cb, first.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, base, false, &r[0]), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &r[0], 22, base));
    CBT_CHECK_EQ(capbuddy_free(w.cb, r[0].capPtr, 22), CAPBUDDY_OK);
    world_down(&w);
}

static void new_pool_at_aligned_address(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    const seL4_UntypedDesc *d = big_ram_untyped(&w);
    CBT_CHECK(d != NULL);
    if (!d) {
        world_down(&w);
        return;
    }
    uint64_t chunk = d->paddr + ((uint64_t)1 << d->sizeBits) - FOUR_MIB; /* its last 4 MiB */
    uint64_t pa = chunk + 0x5000;
    cspacepath_t r, r2;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, pa, false, &r), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &r, 12, pa));
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1);
    CBT_CHECK_EQ(st.frames_free, 1023);
    /* the pool is the whole aligned 4 MiB: its first cap is at the chunk's base */
    CBT_CHECK_EQ(capbuddy_paddr(w.cb, r.capPtr - 5), chunk);
    CBT_CHECK_EQ(world_frame_paddr(r.capPtr - 5), chunk);
    /* a second paddr in the same 4 MiB: no new pool */
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 16, chunk + 0x100000, false, &r2), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &r2, 16, chunk + 0x100000));
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r2.capPtr, 16), CAPBUDDY_OK);

    /* part of the next 4 MiB handed out by the parent: CapBuddy makes the largest aligned
     * pool that holds the paddr and is free (here 1 MiB) */
    uint64_t chunk2 = chunk - FOUR_MIB;
    vka_object_t piece;
    CBT_CHECK_EQ(vka_alloc_untyped_at(&w.vka, 16, (uintptr_t)chunk2, &piece), 0);
    refused_at(&w, 12, chunk2, false, CAPBUDDY_ERR_PADDR, "memory the parent handed out");
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, chunk2 + 0x100000, false, &r), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &r, 12, chunk2 + 0x100000));
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 2);
    CBT_CHECK_EQ(st.frames_free + st.frames_used + st.frames_quarantined, 1024 + 256);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    vka_free_object(&w.vka, &piece);
    world_down(&w);
}

/* A paddr in a pool waiting for its refresh (REVOKE, all runs freed, kept as the spare):
 * the pool is refreshed first, so a copy of the old cap does not reach the new owner. */
static void at_paddr_in_a_pending_pool(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_REVOKE;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r, again;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 16, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    uint64_t pa = world_frame_paddr(r.capPtr);
    seL4_CPtr c = 0;
    CBT_CHECK_EQ(vka_cspace_alloc(&w.vka, &c), 0);
    CBT_CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, c, seL4_WordBits,
                                 seL4_CapInitThreadCNode, r.capPtr + 3, seL4_WordBits,
                                 seL4_AllRights),
                 seL4_NoError);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 16), CAPBUDDY_OK);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 1);
    CBT_CHECK_EQ(st.frames_quarantined, 16);
    /* the same frames, by address */
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 14, pa + 0x2000ull * 2, false, &again), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &again, 14, pa + 0x4000));
    capbuddy_stats(w.cb, &st);
    /* the 16 quarantined frames revoked one by one: cheaper than refreshing the pool */
    CBT_CHECK_EQ(st.pools_refreshed, 0);
    CBT_CHECK_EQ(st.frames_revoked, 16);
    CBT_CHECK_EQ(st.frames_quarantined, 0);
    char b;
    CBT_CHECK_EQ(sel4host_frame_read(c, 0, &b, 1), seL4_FailedLookup);
    vka_cspace_free(&w.vka, c);
    CBT_CHECK_EQ(capbuddy_free(w.cb, again.capPtr, 14), CAPBUDDY_OK);
    world_down(&w);
}

static void memory_not_available(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    /* the bottom of RAM is the kernel's and the root task's: no untyped covers it */
    refused_at(&w, 12, w.hc.ram_paddr, false, CAPBUDDY_ERR_PADDR, "kernel image");
    refused_at(&w, 22, w.hc.ram_paddr, false, CAPBUDDY_ERR_PADDR, "kernel image, 4 MiB");
    /* past the end of RAM and the device region */
    uint64_t past = (w.dev_hi > w.ram_hi ? w.dev_hi : w.ram_hi) + 64 * W_MIB;
    refused_at(&w, 12, past, false, CAPBUDDY_ERR_PADDR, "past RAM");
    refused_at(&w, 12, past, true, CAPBUDDY_ERR_PADDR, "past RAM, device ok");
    /* 4 GiB above a RAM address: must not be cut to 32 bits and served from RAM */
    const seL4_UntypedDesc *d = big_ram_untyped(&w);
    if (d && d->paddr + ((uint64_t)1 << 32) >= w.ram_hi) {
        refused_at(&w, 12, d->paddr + ((uint64_t)1 << 32), false, CAPBUDDY_ERR_PADDR,
                   "RAM address + 4 GiB");
    }
    /* and a paddr at the very top of the 64-bit space */
    refused_at(&w, 12, UINT64_MAX & ~(W_FRAME - 1), false, CAPBUDDY_ERR_PADDR, "top of 64 bits");
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 0);
    world_down(&w);
}

/* RAM above 4 GiB: every address exact, through alloc at paddr and plain alloc. */
static void ram_above_4gib(void)
{
#if seL4_WordBits == 32
    printf("    skipped: a 32-bit arch models no RAM above 4 GiB (checked: such a paddr is "
           "refused, never truncated, in memory_not_available)\n");
#else
    struct world w;
    struct world_opts o = {.ram_paddr = 0x340000000ull}; /* 13 GiB */
    if (!world_boot(&w, &o)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    const seL4_UntypedDesc *d = big_ram_untyped(&w);
    CBT_CHECK(d && d->paddr > ((uint64_t)1 << 32));
    if (!d) {
        world_down(&w);
        return;
    }
    uint64_t pa = d->paddr + ((uint64_t)1 << d->sizeBits) - FOUR_MIB + 0x40000;
    cspacepath_t r, r2;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 18, pa, false, &r), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &r, 18, pa));
    CBT_CHECK(capbuddy_paddr(w.cb, r.capPtr) > ((uint64_t)1 << 32));
    /* the same low 32 bits are not RAM: refused, not served from the 64-bit address */
    refused_at(&w, 18, pa & 0xffffffffull, false, CAPBUDDY_ERR_PADDR, "low 32 bits of it");
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r2), CAPBUDDY_OK);
    CBT_CHECK(world_frame_paddr(r2.capPtr) >= 0x340000000ull);
    CBT_CHECK(run_at(&w, &r2, 22, world_frame_paddr(r2.capPtr)));
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 18), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, r2.capPtr, 22), CAPBUDDY_OK);
    world_down(&w);
#endif
}

static void device_pools_only_for_device_requests(void)
{
    struct world w;
    struct world_opts o = {.min_cnode_bits = 14}; /* room for a device pool and 3 RAM pools */
    if (!world_boot(&w, &o)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    CBT_CHECK(w.dev_hi > w.dev_lo);
    uint64_t dev = w.dev_lo;
    refused_at(&w, 12, dev, false, CAPBUDDY_ERR_PADDR, "device memory, not asked for");
    cspacepath_t d, d2;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, dev + 0x3000, true, &d), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &d, 12, dev + 0x3000));
    CBT_CHECK(world_is_device(&w, world_frame_paddr(d.capPtr)));
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_device, 1);
    CBT_CHECK_EQ(st.pools_ram, 0);
    /* the device pool exists now; still refused to a RAM request, whole or in part */
    refused_at(&w, 12, dev + 0x4000, false, CAPBUDDY_ERR_PADDR, "device pool, not asked for");
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 14, dev + 0x8000, true, &d2), CAPBUDDY_OK);
    CBT_CHECK(run_at(&w, &d2, 14, dev + 0x8000));
    /* RAM requests never get a device frame, however many are made */
    static cspacepath_t r[3000];
    for (int i = 0; i < 3000; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
        uint64_t pa = world_frame_paddr(r[i].capPtr);
        if (!world_is_ram(&w, pa)) {
            CBT_CHECK(world_is_ram(&w, pa));
            break;
        }
    }
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_device, 1);
    CBT_CHECK(st.pools_ram >= 3);
    for (int i = 0; i < 3000; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, 12), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_free(w.cb, d.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, d2.capPtr, 14), CAPBUDDY_OK);
    world_down(&w);
}

/* With the parent treating device untypeds as RAM-like (ALLOCMAN_UT_DEV_MEM) and RAM gone,
 * device requests get device pools; RAM requests are refused rather than given one. */
static void device_pools_when_ram_is_gone(void)
{
    struct world w;
    struct world_opts o = {.ram_bytes = 32 * W_MIB, .dev_untypeds_are_ram = true,
                           .min_cnode_bits = 14};
    if (!world_boot(&w, &o)) {
        return;
    }
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    static vka_object_t hog[4096];
    size_t nhog = 0;
    for (uint32_t b = 28; b >= 12; b--) {
        while (nhog < 4096 && vka_alloc_untyped(&w.vka, b, &hog[nhog]) == 0) {
            nhog++;
        }
    }
    cspacepath_t r;
    refused_at(&w, 12, VKA_NO_PADDR, false, CAPBUDDY_ERR_NO_MEMORY, "RAM gone");
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, true, &r), CAPBUDDY_OK);
    CBT_CHECK(world_is_device(&w, world_frame_paddr(r.capPtr)));
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_device, 1);
    CBT_CHECK_EQ(st.pools_ram, 0);
    /* the device pool has room, still a RAM request is refused */
    refused_at(&w, 12, VKA_NO_PADDR, false, CAPBUDDY_ERR_NO_MEMORY, "RAM gone, device pool");
    CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
    for (size_t i = 0; i < nhog; i++) {
        vka_free_object(&w.vka, &hog[i]);
    }
    world_down(&w);
}

/*
 * Without bootinfo in the config CapBuddy cannot tell device memory from RAM at a paddr
 * (no invocation says whether a frame is device memory), and the parent's alloc_at (as
 * allocman's) serves device untypeds. The header promises device memory only with
 * can_use_dev (issue 15, item 5), so memory not known to be RAM is handed out only to a
 * request with can_use_dev: without it an alloc at an address with no pool is PADDR and
 * changes nothing, whatever the policy; with it the address is served, in a pool kept
 * apart from RAM requests, and still refused to requests without can_use_dev.
 */
static void device_paddr_without_bootinfo(void)
{
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        struct world w;
        struct world_opts o = {.no_bootinfo = true};
        if (!world_boot(&w, &o)) {
            return;
        }
        w.cfg.policy = (enum capbuddy_policy)pol;
        CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
        cspacepath_t r;
        uint64_t addrs[2] = {w.dev_lo, w.ram_hi - 64 * W_MIB}; /* device, and RAM no pool has */
        for (unsigned a = 0; a < 2; a++) {
            for (unsigned bits = 12; bits <= 22; bits += 5) {
                struct world_snap before;
                world_snap(&w, &before);
                CBT_CHECK_EQ(capbuddy_alloc(w.cb, bits, addrs[a], false, &r), CAPBUDDY_ERR_PADDR);
                CBT_CHECK(world_snap_same(&w, &before, "no bootinfo, not can_use_dev"));
            }
        }
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, w.dev_lo, true, &r), CAPBUDDY_OK);
        cspacepath_t r2;
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, w.dev_lo + W_FRAME, false, &r2), CAPBUDDY_ERR_PADDR);
        /* anonymous RAM requests never get the pool kept apart */
        for (int k = 0; k < 600; k++) {
            cspacepath_t ram;
            if (capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &ram)) {
                break;
            }
            uint64_t pa = capbuddy_paddr(w.cb, ram.capPtr);
            CBT_CHECK(pa < w.dev_lo || pa >= w.dev_hi);
        }
        CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
        world_down(&w);
    }
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_paddr_device");
    CBT_RUN(every_size_inside_a_pool);
    CBT_RUN(new_pool_at_aligned_address);
    CBT_RUN(at_paddr_in_a_pending_pool);
    CBT_RUN(memory_not_available);
    CBT_RUN(ram_above_4gib);
    CBT_RUN(device_pools_only_for_device_requests);
    CBT_RUN(device_pools_when_ram_is_gone);
    CBT_RUN(device_paddr_without_bootinfo);
    return cbtest_finish();
}
