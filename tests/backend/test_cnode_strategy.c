/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The CNODE slot strategy in a two-level cspace, on the host model.
 *
 * Set-up, as a root task would do it: a new first-level CNode L1 of 2^8 slots whose slot 0
 * holds the boot root CNode (radix 12), and the thread's cspace root switched to L1 with a
 * guard of wordBits - 8 - 12 bits. Every boot cptr below 4096 keeps its meaning (it resolves
 * through L1 slot 0), so the parent works unchanged, and L1 slots 1..255 take pool CNodes:
 * frame i of the pool in L1 slot s is cptr (s << 12) | i.
 */
#include "cbtest.h"

#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <sel4host/host.h>
#include <sel4runtime.h>
#include <vka/object.h>

#include <stdlib.h>

#define L1_BITS 8
#define L2_BITS 12

#if defined(CONFIG_ARCH_X86)
#define GET_ADDRESS seL4_X86_Page_GetAddress
#else
#define GET_ADDRESS seL4_ARM_Page_GetAddress
#endif

static cb_parent_t *parent;
static vka_t vka;
static vka_object_t l1;
static seL4_CPtr root; /* a cap to L1 with the guard of the thread's cspace root */
static struct sel4host_account boot;

static void two_level_up(void)
{
    struct sel4host_config hc;
    sel4host_config_default(&hc);
    CBT_CHECK_EQ(sel4host_boot(&hc), seL4_NoError);
    sel4host_account(&boot);
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    cb_parent_config_t pc = {.bootinfo = bi};
    CBT_CHECK_EQ(cb_parent_init(&parent, &pc), 0);
    cb_parent_make_vka(parent, &vka);
    CBT_CHECK_EQ(vka_alloc_cnode_object(&vka, L1_BITS, &l1), 0);
    /* A Mint, not a Copy: the boot CNode cap's guard spans the whole word; this one must
     * have none, so that it resolves the last 12 bits under L1 (a CNode cap's badge is its
     * guard data). */
    CBT_CHECK_EQ(seL4_CNode_Mint(l1.cptr, 0, L1_BITS, seL4_CapInitThreadCNode,
                                 seL4_CapInitThreadCNode, seL4_WordBits, seL4_AllRights,
                                 seL4_CNode_CapData_new(0, 0).words[0]),
                 seL4_NoError);
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - L1_BITS - L2_BITS).words[0];
    /* CNode invocations that name slots by full cptrs need a root cap that resolves them
     * the way the thread's cspace root does: same CNode, same guard. */
    CBT_CHECK_EQ(vka_cspace_alloc(&vka, &root), 0);
    CBT_CHECK_EQ(seL4_CNode_Mint(seL4_CapInitThreadCNode, root, seL4_WordBits,
                                 seL4_CapInitThreadCNode, l1.cptr, seL4_WordBits, seL4_AllRights,
                                 guard),
                 seL4_NoError);
    CBT_CHECK_EQ(seL4_TCB_SetSpace(seL4_CapInitThreadTCB, 0, l1.cptr, guard,
                                   seL4_CapInitThreadVSpace, 0),
                 seL4_NoError);
}

static void two_level_down(void)
{
    /* Back to the boot cspace before the parent revokes the untyped L1 came from. */
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - 12).words[0];
    CBT_CHECK_EQ(seL4_TCB_SetSpace(seL4_CapInitThreadTCB, 0, seL4_CapInitThreadCNode, guard,
                                   seL4_CapInitThreadVSpace, 0),
                 seL4_NoError);
    CBT_CHECK_EQ(seL4_CNode_Delete(seL4_CapInitThreadCNode, root, seL4_WordBits), seL4_NoError);
    vka_cspace_free(&vka, root);
    vka_free_object(&vka, &l1);
    CBT_CHECK_EQ(cb_parent_teardown(parent), 0);
    struct sel4host_account end;
    sel4host_account(&end);
    CBT_CHECK_EQ(end.caps_live, boot.caps_live);
    CBT_CHECK_EQ(end.objects_live, boot.objects_live);
    CBT_CHECK_EQ(end.untyped_bytes_used, boot.untyped_bytes_used);
    CBT_CHECK_EQ(sel4host_check(), 0);
}

static capbuddy_t *make(enum capbuddy_policy policy, seL4_Word first, seL4_Word count)
{
    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, &vka, root, first, count);
    cfg.slots = CAPBUDDY_SLOTS_CNODE;
    cfg.cnode_l2_bits = L2_BITS;
    cfg.policy = policy;
    cfg.retain_ops = 0; /* the spare-pool rule: pools go back as soon as they are extra */
    cfg.bootinfo = sel4runtime_bootinfo(); /* RAM known as RAM, for allocs at a paddr */
    capbuddy_t *cb = NULL;
    CBT_CHECK_EQ(capbuddy_init(&cb, &cfg), CAPBUDDY_OK);
    return cb;
}

/* Pools live in their own CNodes: runs are contiguous, in cptr and in physical memory. */
static void test_pools_in_own_cnodes(void)
{
    two_level_up();
    capbuddy_t *cb = make(CAPBUDDY_POLICY_TRUST, 1, 255);
    cspacepath_t run[11];
    for (unsigned o = 0; o <= 10; o++) {
        CBT_CHECK_EQ(capbuddy_alloc(cb, 12 + o, VKA_NO_PADDR, false, &run[o]), CAPBUDDY_OK);
        CBT_BAIL_IF_FAILED();
        CBT_CHECK_EQ(run[o].window, 1u << o);
        CBT_CHECK_EQ(run[o].capPtr >> L2_BITS, run[o].dest);
        seL4_Word base = GET_ADDRESS(run[o].capPtr).paddr;
        for (seL4_Word i = 0; i < run[o].window; i++) {
            CBT_CHECK_EQ(GET_ADDRESS(run[o].capPtr + i).paddr, base + i * 4096);
        }
        CBT_CHECK(capbuddy_is_from_pool(cb, run[o].capPtr, 12 + o));
    }
    /* the 4 MiB run needed a second pool, in another first-level slot */
    CBT_CHECK(run[10].dest != run[0].dest);
    CBT_CHECK_EQ(capbuddy_check(cb), 0);
    CBT_CHECK_EQ(capbuddy_free(cb, run[3].capPtr, 13), CAPBUDDY_ERR_WRONG_SIZE);
    for (unsigned o = 0; o <= 10; o++) {
        CBT_CHECK_EQ(capbuddy_free(cb, run[o].capPtr, 12 + o), CAPBUDDY_OK);
    }
    struct capbuddy_stats st;
    capbuddy_stats(cb, &st);
    CBT_CHECK_EQ(st.pools_created, 2);
    CBT_CHECK_EQ(st.pools_returned, 1); /* one spare kept */
    CBT_CHECK_EQ(capbuddy_check(cb), 0);
    capbuddy_destroy(cb);
    two_level_down();
}

/* REVOKE: a copy of a freed frame's cap is gone before the frame is handed out again. */
static void test_revoke_reaches_copies(void)
{
    two_level_up();
    capbuddy_t *cb = make(CAPBUDDY_POLICY_REVOKE, 1, 255);
    cspacepath_t run;
    CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &run), CAPBUDDY_OK);
    seL4_CPtr copy = 0;
    CBT_CHECK_EQ(vka_cspace_alloc(&vka, &copy), 0);
    CBT_CHECK_EQ(seL4_CNode_Copy(root, copy, seL4_WordBits, root, run.capPtr + 7,
                                 seL4_WordBits, seL4_AllRights),
                 seL4_NoError);
    uint64_t secret = 0x5ec2e7, got = 0;
    CBT_CHECK_EQ(sel4host_frame_write(copy, 0, &secret, sizeof(secret)), seL4_NoError);
    CBT_CHECK_EQ(capbuddy_free(cb, run.capPtr, 22), CAPBUDDY_OK);
    CBT_CHECK_EQ(sel4host_frame_read(copy, 0, &got, sizeof(got)), seL4_NoError); /* not yet */
    cspacepath_t again;
    CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &again), CAPBUDDY_OK);
    CBT_CHECK_EQ(again.capPtr, run.capPtr); /* the same pool, its frames revoked */
    CBT_CHECK(sel4host_frame_read(copy, 0, &got, sizeof(got)) != seL4_NoError);
    CBT_CHECK_EQ(sel4host_frame_read(again.capPtr + 7, 0, &got, sizeof(got)), seL4_NoError);
    /* REVOKE promises no stale cap, not zeroed memory: the whole quarantine was revoked frame
     * by frame (1024 x (Revoke + Unmap), ~1.25 M instructions on the real kernel, against
     * ~2.94 M for a refresh that clears 4 MiB), so the data is still there. */
    CBT_CHECK_EQ(got, secret);
    vka_cspace_free(&vka, copy);
    CBT_CHECK_EQ(capbuddy_free(cb, again.capPtr, 22), CAPBUDDY_OK);
    capbuddy_destroy(cb);
    two_level_down();
}

/* A window of first-level slots bounds the pools; the next one fails clearly, leak-free. */
static void test_window_full(void)
{
    two_level_up();
    capbuddy_t *cb = make(CAPBUDDY_POLICY_TRUST, 1, 2);
    cspacepath_t a, b, c;
    CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
    uint64_t digest = sel4host_digest();
    CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &c), CAPBUDDY_ERR_NO_SLOTS);
    CBT_CHECK_EQ(sel4host_digest(), digest);
    CBT_CHECK_EQ(capbuddy_check(cb), 0);
    capbuddy_destroy(cb);
    two_level_down();
}

/* Every kernel call of making a pool fails in turn: refused, nothing leaks, then it works. */
static void test_faults(void)
{
    static const enum sel4host_inv kinds[] = {SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_MUTATE};
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned n = 1; n <= 8; n++) {
            two_level_up();
            capbuddy_t *cb = make(CAPBUDDY_POLICY_REVOKE, 1, 255);
            uint64_t digest = sel4host_digest();
            sel4host_fault_nth(kinds[k], n, seL4_NotEnoughMemory);
            cspacepath_t run;
            int err = capbuddy_alloc(cb, 12, VKA_NO_PADDR, false, &run);
            bool fired = sel4host_faults_injected() > 0;
            sel4host_fault_clear();
            if (err) {
                CBT_CHECK(fired);
                CBT_CHECK_EQ(sel4host_digest(), digest);
            }
            CBT_CHECK_EQ(capbuddy_check(cb), 0);
            if (err) {
                CBT_CHECK_EQ(capbuddy_alloc(cb, 12, VKA_NO_PADDR, false, &run), CAPBUDDY_OK);
            }
            capbuddy_destroy(cb);
            two_level_down();
        }
    }
}

/* After a fault: new pools in new first-level slots, every size, nothing broken. */
static void keeps_working(capbuddy_t *cb)
{
    cspacepath_t r[4];
    for (unsigned i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
    }
    cspacepath_t small;
    CBT_CHECK_EQ(capbuddy_alloc(cb, 12, VKA_NO_PADDR, false, &small), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(cb, small.capPtr, 12), CAPBUDDY_OK);
    for (unsigned i = 0; i < 4; i++) {
        CBT_CHECK_EQ(capbuddy_free(cb, r[i].capPtr, 22), CAPBUDDY_OK);
    }
    CBT_CHECK_EQ(capbuddy_flush(cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(cb), 0);
    CBT_CHECK(cb_parent_check(parent));
    CBT_CHECK_EQ(sel4host_check(), 0);
}

/*
 * Issue 15, item 2: giving a pool back deletes its untyped cap, then its CNode. Each Delete
 * fails in turn, under every policy: a CNode that could not be deleted keeps its memory and
 * its first-level slot (counted in cnodes_kept), and the allocator goes on making pools.
 */
static void test_give_back_delete_fails(void)
{
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        /* n = 0 counts the Deletes of the give-back (CapBuddy's and the parent's merges) */
        uint64_t deletes = 0;
        unsigned kept = 0;
        for (uint64_t n = 0; n <= deletes; n++) {
            unsigned long failures = cbtest_failures;
            two_level_up();
            capbuddy_t *cb = make((enum capbuddy_policy)pol, 1, 255);
            cspacepath_t a, b;
            CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_free(cb, a.capPtr, 22), CAPBUDDY_OK);
            uint64_t before = sel4host_count(SEL4HOST_CNODE_DELETE);
            if (n) {
                sel4host_fault_nth(SEL4HOST_CNODE_DELETE, n, seL4_InvalidArgument);
            }
            CBT_CHECK_EQ(capbuddy_free(cb, b.capPtr, 22), CAPBUDDY_OK); /* an extra spare */
            if (n) {
                CBT_CHECK_EQ(sel4host_faults_injected(), 1);
            } else {
                deletes = sel4host_count(SEL4HOST_CNODE_DELETE) - before;
            }
            sel4host_fault_clear();
            struct capbuddy_stats st;
            capbuddy_stats(cb, &st);
            CBT_CHECK(st.cnodes_kept <= 1);
            kept += (unsigned)st.cnodes_kept;
            CBT_CHECK_EQ(capbuddy_check(cb), 0);
            CBT_CHECK_EQ(sel4host_check(), 0);
            keeps_working(cb);
            capbuddy_destroy(cb);
            two_level_down();
            if (cbtest_failures != failures) {
                fprintf(stderr, "  ^ policy %d, give-back Delete %llu of %llu failed\n", pol,
                        (unsigned long long)n, (unsigned long long)deletes);
            }
        }
        CBT_CHECK(deletes >= 2);
        CBT_CHECK_EQ(kept, 1); /* the pool CNode's Delete, once */
    }
}

/*
 * Issue 15, item 2: making a pool's CNode, the Mutate that moves it into place fails, and so
 * does the Delete that undoes it: the CNode lives on in the parent's slot, so that slot and
 * the CNode's memory are kept (cnodes_kept), not handed back to the parent.
 */
static void test_make_cnode_undo_fails(void)
{
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        two_level_up();
        capbuddy_t *cb = make((enum capbuddy_policy)pol, 1, 255);
        sel4host_fault_nth(SEL4HOST_CNODE_MUTATE, 1, seL4_InvalidArgument);
        sel4host_fault_nth(SEL4HOST_CNODE_DELETE, 1, seL4_InvalidArgument);
        cspacepath_t run;
        CBT_CHECK_EQ(capbuddy_alloc(cb, 12, VKA_NO_PADDR, false, &run), CAPBUDDY_ERR_KERNEL);
        CBT_CHECK_EQ(sel4host_faults_injected(), 2);
        sel4host_fault_clear();
        struct capbuddy_stats st;
        capbuddy_stats(cb, &st);
        CBT_CHECK_EQ(st.cnodes_kept, 1);
        CBT_CHECK_EQ(st.pools_ram, 0);
        CBT_CHECK_EQ(sel4host_check(), 0);
        keeps_working(cb);
        capbuddy_destroy(cb);
        two_level_down();
    }
}

/*
 * Issue 15, item 3: alloc at an address the parent cannot give (memory it handed out
 * elsewhere, and beyond RAM), 4 KiB and 16 KiB: PADDR, with no capability changed and no
 * pool CNode made (the untyped at the address is asked for first).
 */
static void test_alloc_at_unavailable(void)
{
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        two_level_up();
        capbuddy_t *cb = make((enum capbuddy_policy)pol, 1, 255);
        vka_object_t held;
        CBT_CHECK_EQ(vka_alloc_frame(&vka, 12, &held), 0);
        uint64_t held_pa = GET_ADDRESS(held.cptr).paddr;
        struct sel4host_config hc;
        sel4host_get_config(&hc);
        uint64_t beyond = hc.ram_paddr + hc.ram_bytes + ((uint64_t)1 << 30);
        uint64_t addrs[2] = {held_pa & ~(uint64_t)0x3fff, beyond};
        for (unsigned a = 0; a < 2; a++) {
            for (unsigned bits = 12; bits <= 14; bits += 2) {
                struct capbuddy_stats st0, st1;
                capbuddy_stats(cb, &st0);
                uint64_t digest = sel4host_digest();
                uint64_t calls = sel4host_count_total();
                cspacepath_t run;
                CBT_CHECK_EQ(capbuddy_alloc(cb, bits, addrs[a], false, &run), CAPBUDDY_ERR_PADDR);
                CBT_CHECK_EQ(sel4host_digest(), digest);
                CBT_CHECK_EQ(sel4host_count_total() - calls, 0);
                capbuddy_stats(cb, &st1);
                CBT_CHECK_EQ(st1.kernel_calls, st0.kernel_calls);
                CBT_CHECK_EQ(st1.pools_created, st0.pools_created);
                CBT_CHECK_EQ(capbuddy_check(cb), 0);
            }
        }
        vka_free_object(&vka, &held);
        keeps_working(cb);
        capbuddy_destroy(cb);
        two_level_down();
    }
}

/*
 * Issue 15, item 5: destroy with each Revoke and Delete of it failing in turn. A pool whose
 * untyped could not be revoked (or its cap deleted) keeps its untyped, but everything that
 * can safely go back does: its CNode is deleted and its memory returned, so at most one
 * pool's untyped (4 MiB), or one CNode whose own Delete failed, stays out of the parent.
 */
static void test_destroy_faults(void)
{
    static const enum sel4host_inv kinds[] = {SEL4HOST_CNODE_REVOKE, SEL4HOST_CNODE_DELETE};
    for (unsigned k = 0; k < 2; k++) {
        uint64_t calls = 0;
        unsigned cnodes_kept = 0;
        for (uint64_t n = 0; n <= calls; n++) {
            unsigned long failures = cbtest_failures;
            two_level_up();
            struct sel4host_account pre, post;
            sel4host_account(&pre);
            capbuddy_t *cb = make(CAPBUDDY_POLICY_REVOKE, 1, 255);
            cspacepath_t a, b;
            CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
            CBT_CHECK_EQ(capbuddy_alloc(cb, 22, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
            uint64_t before = sel4host_count(kinds[k]);
            if (n) {
                sel4host_fault_nth(kinds[k], n, seL4_InvalidArgument);
            }
            capbuddy_destroy(cb);
            if (n) {
                CBT_CHECK_EQ(sel4host_faults_injected(), 1);
            } else {
                calls = sel4host_count(kinds[k]) - before;
            }
            sel4host_fault_clear();
            sel4host_account(&post);
            /* nothing reaches the kept untyped's memory once the CNode holding its frame
             * caps is gone: at most one pool CNode (its own Delete failed) stays */
            CBT_CHECK(post.cnodes_live <= pre.cnodes_live + 1);
            CBT_CHECK(post.untyped_bytes_used <= pre.untyped_bytes_used + 32768);
            cnodes_kept += post.cnodes_live != pre.cnodes_live;
            CBT_CHECK(cb_parent_check(parent));
            CBT_CHECK_EQ(sel4host_check(), 0);
            two_level_down(); /* the parent's tear-down reclaims what was kept */
            if (cbtest_failures != failures || getenv("CB_VERBOSE")) {
                fprintf(stderr, "  ^ destroy, %s %llu of %llu failed: %llu cnodes, %llu bytes kept\n",
                        sel4host_inv_name(kinds[k]), (unsigned long long)n,
                        (unsigned long long)calls,
                        (unsigned long long)(post.cnodes_live - pre.cnodes_live),
                        (unsigned long long)(post.untyped_bytes_used - pre.untyped_bytes_used));
            }
        }
        /* only when the Delete of one of the two pool CNodes is the call that fails */
        CBT_CHECK_EQ(cnodes_kept, kinds[k] == SEL4HOST_CNODE_DELETE ? 2u : 0u);
    }
}

/*
 * Issue 15, item 3: an alloc at an address the parent can give, under CNODE, with each
 * kernel call of making the pool (the parent's retypes, the pool CNode's Mutate, the frame
 * retypes) failing in turn, every policy, 4 KiB and 16 KiB: refused with nothing changed
 * (digest equal, no pool, no CNode kept), then the same alloc works.
 */
/* An address in the upper half of the largest RAM untyped (the parent splits the smallest
 * untyped that fits first, so this one is whole until a large request). */
static uint64_t free_ram_paddr(void)
{
    const seL4_BootInfo *bi = sel4runtime_bootinfo();
    const seL4_UntypedDesc *best = NULL;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && (!best || d->sizeBits > best->sizeBits)) {
            best = d;
        }
    }
    CBT_CHECK(best != NULL && best->sizeBits >= 16);
    return best ? best->paddr + ((uint64_t)1 << (best->sizeBits - 1)) : 0;
}

static void test_alloc_at_faults(void)
{
    static const enum sel4host_inv kinds[] = {SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_MUTATE};
    for (int pol = CAPBUDDY_POLICY_TRUST; pol <= CAPBUDDY_POLICY_SCRUB; pol++) {
        for (unsigned bits = 12; bits <= 14; bits += 2) {
            for (unsigned k = 0; k < 2; k++) {
                uint64_t calls = 0;
                for (uint64_t n = 0; n <= calls; n++) {
                    unsigned long failures = cbtest_failures;
                    two_level_up();
                    capbuddy_t *cb = make((enum capbuddy_policy)pol, 1, 255);
                    uint64_t at = free_ram_paddr();
                    uint64_t digest = sel4host_digest();
                    struct sel4host_account acc0, acc1;
                    sel4host_account(&acc0);
                    uint64_t before = sel4host_count(kinds[k]);
                    if (n) {
                        sel4host_fault_nth(kinds[k], n, seL4_NotEnoughMemory);
                    }
                    cspacepath_t run;
                    int err = capbuddy_alloc(cb, bits, at, false, &run);
                    if (n) {
                        /* refused, or absorbed: a smaller pool holding the address */
                        CBT_CHECK_EQ(sel4host_faults_injected(), 1);
                        if (getenv("CB_VERBOSE")) {
                            fprintf(stderr, "n %llu err %d\n", (unsigned long long)n, err);
                        }
                    } else {
                        CBT_CHECK_EQ(err, CAPBUDDY_OK);
                        calls = sel4host_count(kinds[k]) - before;
                    }
                    sel4host_fault_clear();
                    struct capbuddy_stats st;
                    capbuddy_stats(cb, &st);
                    if (err) {
                        /* No cap, object or CNode left. The digest too, except where the
                         * parent itself refused (NO_MEMORY: its split's second retype
                         * failed and the undo left the untyped's watermark advanced, which
                         * the digest covers; the host parent's behaviour, not CapBuddy's). */
                        sel4host_account(&acc1);
                        CBT_CHECK_EQ(acc1.caps_live, acc0.caps_live);
                        CBT_CHECK_EQ(acc1.objects_live, acc0.objects_live);
                        CBT_CHECK_EQ(acc1.cnodes_live, acc0.cnodes_live);
                        CBT_CHECK_EQ(acc1.untyped_bytes_used, acc0.untyped_bytes_used);
                        if (err != CAPBUDDY_ERR_NO_MEMORY) {
                            CBT_CHECK_EQ(sel4host_digest(), digest);
                        }
                        CBT_CHECK_EQ(st.pools_ram + st.pools_device, 0);
                        CBT_CHECK_EQ(st.cnodes_kept, 0);
                        CBT_CHECK_EQ(capbuddy_alloc(cb, bits, at, false, &run), CAPBUDDY_OK);
                    }
                    CBT_CHECK_EQ(capbuddy_paddr(cb, run.capPtr), at);
                    CBT_CHECK_EQ(capbuddy_free(cb, run.capPtr, bits), CAPBUDDY_OK);
                    CBT_CHECK_EQ(capbuddy_check(cb), 0);
                    CBT_CHECK(cb_parent_check(parent));
                    CBT_CHECK_EQ(sel4host_check(), 0);
                    capbuddy_destroy(cb);
                    two_level_down();
                    if (cbtest_failures != failures) {
                        fprintf(stderr, "  ^ policy %d, %u bits, %s %llu of %llu failed\n", pol,
                                bits, sel4host_inv_name(kinds[k]), (unsigned long long)n,
                                (unsigned long long)calls);
                    }
                }
                CBT_CHECK(calls >= 1);
            }
        }
    }
}

int main(void)
{
    printf("CNODE strategy on %s\n", sel4host_arch_name());
    CBT_RUN(test_pools_in_own_cnodes);
    CBT_RUN(test_revoke_reaches_copies);
    CBT_RUN(test_window_full);
    CBT_RUN(test_faults);
    CBT_RUN(test_give_back_delete_fails);
    CBT_RUN(test_make_cnode_undo_fails);
    CBT_RUN(test_alloc_at_unavailable);
    CBT_RUN(test_destroy_faults);
    CBT_RUN(test_alloc_at_faults);
    return cbtest_finish();
}
