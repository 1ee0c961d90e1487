/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection. A scenario that makes every kind of kernel call CapBuddy uses (pool
 * creation: Untyped_Retype; refresh and give-back: CNode_Revoke, CNode_Delete; flush:
 * per-frame CNode_Revoke and Page_Unmap) is run once to count the calls of each kind, then
 * once per call with exactly that call failing (sel4host_fault_nth), whether CapBuddy or its
 * parent makes it. Likewise the metadata hook's nth call returns NULL, and the parent's nth
 * allocation (slot, untyped or paddr query) fails. Each time:
 * - every operation returns 0 or a clean error (a fault the design absorbs, e.g. by making
 *   a smaller pool or keeping a run quarantined, may leave the operation successful);
 * - capbuddy_check() == 0 after every operation;
 * - after the fault is cleared the allocator keeps working;
 * - after destroy + teardown nothing leaked (world_down).
 * Faults during capbuddy_destroy are injected the same way.
 */
#include <inttypes.h>
#include <string.h>

#include "world.h"

/* ---- a parent that fails its nth allocation ----------------------------------------- */

struct flaky_parent {
    vka_t inner;
    unsigned long calls, fail_at;
};

static bool flaky_fails(struct flaky_parent *f)
{
    return ++f->calls == f->fail_at;
}

static int fp_cspace_alloc(void *data, seL4_CPtr *res)
{
    struct flaky_parent *f = data;
    return flaky_fails(f) ? -1 : vka_cspace_alloc(&f->inner, res);
}

static void fp_make_path(void *data, seL4_CPtr slot, cspacepath_t *res)
{
    struct flaky_parent *f = data;
    vka_cspace_make_path(&f->inner, slot, res);
}

static void fp_cspace_free(void *data, seL4_CPtr slot)
{
    struct flaky_parent *f = data;
    vka_cspace_free(&f->inner, slot);
}

static int fp_ut_alloc(void *data, const cspacepath_t *dest, seL4_Word type, seL4_Word bits,
                       seL4_Word *res)
{
    struct flaky_parent *f = data;
    return flaky_fails(f) ? -1 : vka_utspace_alloc(&f->inner, dest, type, bits, res);
}

static int fp_ut_alloc_dev(void *data, const cspacepath_t *dest, seL4_Word type, seL4_Word bits,
                           bool dev, seL4_Word *res)
{
    struct flaky_parent *f = data;
    return flaky_fails(f) ? -1
                          : vka_utspace_alloc_maybe_device(&f->inner, dest, type, bits, dev, res);
}

static int fp_ut_alloc_at(void *data, const cspacepath_t *dest, seL4_Word type, seL4_Word bits,
                          uintptr_t paddr, seL4_Word *res)
{
    struct flaky_parent *f = data;
    return flaky_fails(f) ? -1 : vka_utspace_alloc_at(&f->inner, dest, type, bits, paddr, res);
}

static void fp_ut_free(void *data, seL4_Word type, seL4_Word bits, seL4_Word target)
{
    struct flaky_parent *f = data;
    vka_utspace_free(&f->inner, type, bits, target);
}

/* a parent that cannot say where an untyped is: CapBuddy asks the kernel instead */
static uintptr_t fp_ut_paddr(void *data, seL4_Word target, seL4_Word type, seL4_Word bits)
{
    struct flaky_parent *f = data;
    return flaky_fails(f) ? VKA_NO_PADDR : vka_utspace_paddr(&f->inner, target, type, bits);
}

static void flaky_make(struct flaky_parent *f, const vka_t *inner, vka_t *out)
{
    memset(f, 0, sizeof(*f));
    f->inner = *inner;
    out->data = f;
    out->cspace_alloc = fp_cspace_alloc;
    out->cspace_make_path = fp_make_path;
    out->cspace_free = fp_cspace_free;
    out->utspace_alloc = fp_ut_alloc;
    out->utspace_alloc_maybe_device = fp_ut_alloc_dev;
    out->utspace_alloc_at = fp_ut_alloc_at;
    out->utspace_free = fp_ut_free;
    out->utspace_paddr = fp_ut_paddr;
}

/* ---- the scenario ------------------------------------------------------------------- */

struct run {
    seL4_CPtr cptr;
    seL4_Word bits;
};

struct outcome {
    unsigned errors; /* operations that returned an error */
};

static void op_alloc(struct world *w, seL4_Word bits, uint64_t paddr, struct run *live, int *n,
                     struct outcome *out)
{
    cspacepath_t r;
    int err = capbuddy_alloc(w->cb, bits, paddr, false, &r);
    if (err) {
        /* a clean error, one of the documented ones */
        CBT_CHECK(err == CAPBUDDY_ERR_KERNEL || err == CAPBUDDY_ERR_NO_MEMORY ||
                  err == CAPBUDDY_ERR_METADATA || err == CAPBUDDY_ERR_NO_SLOTS ||
                  err == CAPBUDDY_ERR_PADDR);
        out->errors++;
    } else {
        live[(*n)++] = (struct run){r.capPtr, bits};
    }
    CBT_CHECK_EQ(capbuddy_check(w->cb), 0);
}

static void op_free(struct world *w, struct run *live, int *n, int i)
{
    if (i >= *n) {
        return;
    }
    /* a free of a live run never fails, whatever the kernel says (a failed give-back is
     * logged and the pool kept) */
    CBT_CHECK_EQ(capbuddy_free(w->cb, live[i].cptr, live[i].bits), CAPBUDDY_OK);
    live[i] = live[--*n];
    CBT_CHECK_EQ(capbuddy_check(w->cb), 0);
}

static void op_flush(struct world *w, struct outcome *out)
{
    int err = capbuddy_flush(w->cb);
    if (err) {
        CBT_CHECK_EQ(err, CAPBUDDY_ERR_KERNEL);
        out->errors++;
    }
    CBT_CHECK_EQ(capbuddy_check(w->cb), 0);
}

/* A paddr in the last 4 MiB of the highest RAM untyped: a new pool at a paddr. */
static uint64_t far_paddr(const struct world *w)
{
    const seL4_UntypedDesc *best = NULL;
    for (seL4_Word i = 0; i < w->bi->untyped.end - w->bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &w->bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= 22 && (!best || d->paddr > best->paddr)) {
            best = d;
        }
    }
    return best ? best->paddr + ((uint64_t)1 << best->sizeBits) - (4u << 20) + 0x10000
                : VKA_NO_PADDR;
}

static void scenario(struct world *w, struct outcome *out)
{
    struct run live[16];
    int n = 0;
    op_alloc(w, 12, VKA_NO_PADDR, live, &n, out); /* pool 1 */
    op_alloc(w, 22, VKA_NO_PADDR, live, &n, out); /* pool 2 */
    op_alloc(w, 16, VKA_NO_PADDR, live, &n, out);
    op_alloc(w, 12, VKA_NO_PADDR, live, &n, out);
    op_free(w, live, &n, n - 1); /* quarantined */
    op_flush(w, out);            /* per-frame revoke + unmap */
    /* free everything: pools empty; one stays as the spare, the other goes back */
    while (n) {
        op_free(w, live, &n, 0);
    }
    op_alloc(w, 12, VKA_NO_PADDR, live, &n, out); /* refresh of the spare */
    op_alloc(w, 14, far_paddr(w), live, &n, out); /* a pool at a paddr */
    op_alloc(w, 13, VKA_NO_PADDR, live, &n, out);
    op_free(w, live, &n, n - 1);
    op_free(w, live, &n, 0);
    op_flush(w, out); /* refresh pending pools */
    while (n) {
        op_free(w, live, &n, 0);
    }
    op_flush(w, out);
}

/* After a fault: the allocator still serves every size. */
static void keeps_working(struct world *w)
{
    cspacepath_t a, b;
    CBT_CHECK_EQ(capbuddy_alloc(w->cb, 12, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w->cb, 22, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w->cb, a.capPtr, 12), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w->cb, b.capPtr, 22), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_flush(w->cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(w->cb), 0);
}

static bool start(struct world *w, enum capbuddy_policy pol, struct flaky_parent *fp,
                  vka_t *fvka)
{
    /* 2^14 slots: room for the scenario's pools and for keeps_working's */
    struct world_opts o = {.min_cnode_bits = 14};
    if (!world_boot(w, &o)) {
        return false;
    }
    w->cfg.policy = pol;
    if (fp) {
        flaky_make(fp, &w->vka, fvka);
        w->cfg.parent = fvka;
    }
    int err = world_start(w);
    CBT_CHECK_EQ(err, CAPBUDDY_OK);
    return err == CAPBUDDY_OK;
}

static const enum sel4host_inv kinds[] = {SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_REVOKE,
                                          SEL4HOST_CNODE_DELETE, SEL4HOST_PAGE_UNMAP};

static void kernel_faults_under(enum capbuddy_policy pol)
{
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct world w;
        struct outcome out = {0};
        if (!start(&w, pol, NULL, NULL)) {
            return;
        }
        uint64_t before = sel4host_count(kinds[k]);
        scenario(&w, &out);
        uint64_t calls = sel4host_count(kinds[k]) - before;
        CBT_CHECK_EQ(out.errors, 0);
        world_down(&w);

        unsigned surfaced = 0;
        for (uint64_t nth = 1; nth <= calls; nth++) {
            unsigned long failures_before = cbtest_failures;
            if (!start(&w, pol, NULL, NULL)) {
                return;
            }
            sel4host_fault_nth(kinds[k], nth, seL4_InvalidArgument);
            memset(&out, 0, sizeof(out));
            scenario(&w, &out);
            CBT_CHECK_EQ(sel4host_faults_injected(), 1);
            surfaced += out.errors > 0;
            sel4host_fault_clear();
            keeps_working(&w);
            world_down(&w);
            if (cbtest_failures != failures_before) {
                fprintf(stderr, "  ^ policy %d, %s call %" PRIu64 " of %" PRIu64 " failed\n", pol,
                        sel4host_inv_name(kinds[k]), nth, calls);
            }
        }
        printf("    policy %s, %-16s %3" PRIu64 " calls in the scenario, each failed in turn: "
               "%u surfaced as an error, the rest absorbed\n",
               pol == CAPBUDDY_POLICY_TRUST ? "trust " : "revoke", sel4host_inv_name(kinds[k]),
               calls, surfaced);
    }
}

static void kernel_faults_trust(void)
{
    kernel_faults_under(CAPBUDDY_POLICY_TRUST);
}

static void kernel_faults_revoke(void)
{
    kernel_faults_under(CAPBUDDY_POLICY_REVOKE);
}

/* Faults while destroying: whatever fails, teardown of the parent gets everything back. */
static void kernel_faults_in_destroy(void)
{
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct world w;
        struct outcome out = {0};
        const unsigned keep = 3;
        if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
            return;
        }
        cspacepath_t r[3];
        for (unsigned i = 0; i < keep; i++) {
            CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
        }
        uint64_t before = sel4host_count(kinds[k]);
        capbuddy_destroy(w.cb);
        w.cb = NULL;
        uint64_t calls = sel4host_count(kinds[k]) - before;
        world_down(&w);
        for (uint64_t nth = 1; nth <= calls; nth++) {
            if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
                return;
            }
            for (unsigned i = 0; i < keep; i++) {
                CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
            }
            sel4host_fault_nth(kinds[k], nth, seL4_InvalidArgument);
            capbuddy_destroy(w.cb);
            w.cb = NULL;
            CBT_CHECK_EQ(sel4host_faults_injected(), 1);
            world_down(&w); /* metadata all freed, teardown recovers every cap */
        }
        (void)out;
    }
}

/* The metadata hook fails its nth call, for every call the scenario makes; and in init. */
static void metadata_hook_faults(void)
{
    struct world w;
    struct outcome out = {0};
    if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
        return;
    }
    unsigned long before = world_cb_meta.calls;
    scenario(&w, &out);
    unsigned long calls = world_cb_meta.calls - before;
    world_down(&w);
    CBT_CHECK(calls > 0);
    unsigned surfaced = 0;
    for (unsigned long nth = 1; nth <= calls; nth++) {
        if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
            return;
        }
        world_meta_fail_nth(&world_cb_meta, nth);
        memset(&out, 0, sizeof(out));
        scenario(&w, &out);
        surfaced += out.errors > 0;
        world_meta_fail_nth(&world_cb_meta, 0);
        keeps_working(&w);
        world_down(&w);
    }
    printf("    metadata hook: %lu calls in the scenario, each failed in turn: %u surfaced\n",
           calls, surfaced);
    /* init: every hook call it makes */
    for (unsigned long nth = 1; nth <= 4; nth++) {
        struct world_opts o = {0};
        if (!world_boot(&w, &o)) {
            return;
        }
        world_meta_fail_nth(&world_cb_meta, nth);
        int err = world_start(&w);
        CBT_CHECK(err == CAPBUDDY_OK || err == CAPBUDDY_ERR_METADATA);
        if (err) {
            w.cb = NULL;
            CBT_CHECK_EQ(world_cb_meta.outstanding, 0);
        }
        world_meta_fail_nth(&world_cb_meta, 0);
        world_down(&w);
    }
}

/* The parent's nth allocation (slot, untyped, paddr query) fails, for each one made. */
static void parent_faults(void)
{
    struct world w;
    struct outcome out = {0};
    struct flaky_parent fp;
    vka_t fvka;
    if (!start(&w, CAPBUDDY_POLICY_REVOKE, &fp, &fvka)) {
        return;
    }
    scenario(&w, &out);
    unsigned long calls = fp.calls;
    world_down(&w);
    CBT_CHECK(calls > 0);
    unsigned surfaced = 0;
    for (unsigned long nth = 1; nth <= calls; nth++) {
        if (!start(&w, CAPBUDDY_POLICY_REVOKE, &fp, &fvka)) {
            return;
        }
        fp.fail_at = nth;
        memset(&out, 0, sizeof(out));
        scenario(&w, &out);
        surfaced += out.errors > 0;
        // cppcheck-suppress redundantAssignment ; the parent hook reads fp.fail_at through its cookie
        fp.fail_at = 0;
        keeps_working(&w);
        world_down(&w);
    }
    printf("    parent: %lu allocations in the scenario, each failed in turn: %u surfaced\n",
           calls, surfaced);
}

/* A fan-out limit above the kernel's: every retype is refused (RangeError); CapBuddy rolls
 * the pool back and says KERNEL. */
static void fan_out_above_the_kernels(void)
{
    struct world w;
    if (world_args.fanout >= 1024) {
        printf("    skipped: a pool's 1024 frames fit in one retype at this fan-out\n");
        return;
    }
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.fan_out_limit = 1024;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    struct world_snap s;
    world_snap(&w, &s);
    cspacepath_t r;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_ERR_KERNEL);
    world_snap_same_ex(&w, &s, "retypes above the fan-out limit",
                       W_SNAP_INDEX_GROWTH | W_SNAP_CALLS);
    world_down(&w);
}

/*
 * Two faults at once: a pool's second retype batch fails (so frames of the first batch
 * exist) and the revoke that should undo them fails too. Then the frames live on, so the
 * parent must not get the untyped's memory back: it would hand it out again while those
 * frames still reach it.
 */
static void rollback_with_failing_revoke(void)
{
    if (world_args.fanout >= 1024) {
        printf("    skipped: one retype makes a whole pool at this fan-out\n");
        return;
    }
    struct world w;
    cspacepath_t r;
    if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
        return;
    }
    uint64_t before = sel4host_count(SEL4HOST_UNTYPED_RETYPE);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r), CAPBUDDY_OK);
    uint64_t parent_retypes = sel4host_count(SEL4HOST_UNTYPED_RETYPE) - before -
                              world_retypes_per_pool(&w);
    world_down(&w);

    if (!start(&w, CAPBUDDY_POLICY_REVOKE, NULL, NULL)) {
        return;
    }
    sel4host_fault_nth(SEL4HOST_UNTYPED_RETYPE, parent_retypes + 2, seL4_NotEnoughMemory);
    sel4host_fault_nth(SEL4HOST_CNODE_REVOKE, 1, seL4_InvalidArgument);
    int err = capbuddy_alloc(w.cb, 22, VKA_NO_PADDR, false, &r);
    sel4host_fault_clear();
    CBT_CHECK(err != CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    struct sel4host_account a;
    sel4host_account(&a);
    cb_parent_stats_t ps;
    cb_parent_stats(w.parent, &ps);
    uint64_t frames_left = a.frames_live - w.boot.frames_live;
    printf("    retype batch 2 and the undoing revoke fail: %s, %llu frames left, "
           "parent counts %llu bytes used\n",
           capbuddy_strerror(err), (unsigned long long)frames_left,
           (unsigned long long)ps.ram_bytes_used);
    /* the parent still counts the untyped as used while its frames exist (fixed in
     * cb_backend_make: the rollback released the untyped even when its revoke failed) */
    CBT_CHECK(frames_left == 0 || ps.ram_bytes_used >= frames_left * W_FRAME);
    /* FIXME(library): the window slots that still hold those frames are given back to the
     * window, so the next pool made there is refused (DeleteFirst -> KERNEL) until the
     * parent's tear-down; safe (no frame reaches two owners) but the allocator is degraded.
     * Reported, not fixed: keeping them taken needs a "lost range" in the slot accounting.
     * So no keeps_working() here. */
    cspacepath_t r2;
    err = capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r2);
    printf("    next alloc after that: %s\n", capbuddy_strerror(err));
    if (!err) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r2.capPtr, 12), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    world_down(&w); /* the parent's teardown revokes the boot untypeds: nothing leaks */
}

/*
 * The parent cannot say where the pool's untyped is (utspace_paddr gives VKA_NO_PADDR), so
 * CapBuddy asks the kernel (Page_GetAddress on the first frame); first when that works, then
 * when it fails too: the pool must not be made with a wrong physical address.
 */
static void paddr_from_kernel_when_parent_cannot_say(void)
{
    for (int fail_kernel = 0; fail_kernel <= 1; fail_kernel++) {
        struct world w;
        struct flaky_parent fp;
        vka_t fvka;
        if (!start(&w, CAPBUDDY_POLICY_REVOKE, &fp, &fvka)) {
            return;
        }
        /* the parent's calls for one pool: slot, untyped, paddr query (the third) */
        fp.fail_at = 3;
        if (fail_kernel) {
            sel4host_fault_nth(SEL4HOST_PAGE_GET_ADDRESS, 1, seL4_InvalidCapability);
        }
        cspacepath_t r;
        int err = capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &r);
        sel4host_fault_clear();
        // cppcheck-suppress redundantAssignment ; the parent hook reads fp.fail_at through its cookie
        fp.fail_at = 0;
        CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
        /* fixed in cb_backend_make: the failed GetAddress was ignored and the pool made
         * with physical address 0 (wrong paddr index, wrong capbuddy_paddr) */
        CBT_CHECK_EQ(err, fail_kernel ? CAPBUDDY_ERR_KERNEL : CAPBUDDY_OK);
        printf("    parent paddr query fails%s: %s\n",
               fail_kernel ? " and Page_GetAddress fails" : "",
               err ? capbuddy_strerror(err) : "pool made, paddr from Page_GetAddress");
        if (!err) {
            CBT_CHECK_EQ(capbuddy_paddr(w.cb, r.capPtr), world_frame_paddr(r.capPtr));
            CBT_CHECK_EQ(capbuddy_free(w.cb, r.capPtr, 12), CAPBUDDY_OK);
        } else {
            struct capbuddy_stats st;
            capbuddy_stats(w.cb, &st);
            CBT_CHECK_EQ(st.pools_ram, 0);
        }
        keeps_working(&w);
        world_down(&w);
    }
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_faults");
    CBT_RUN(kernel_faults_trust);
    CBT_RUN(kernel_faults_revoke);
    CBT_RUN(kernel_faults_in_destroy);
    CBT_RUN(metadata_hook_faults);
    CBT_RUN(parent_faults);
    CBT_RUN(fan_out_above_the_kernels);
    CBT_RUN(rollback_with_failing_revoke);
    CBT_RUN(paddr_from_kernel_when_parent_cannot_say);
    return cbtest_finish();
}
