/* SPDX-License-Identifier: BSD-2-Clause */
/* Host-only tests: counters, modelled cost, fault injection, accounting and leak checks. */
#include <string.h>
#include "host_tests.h"

static int counters_count_every_call_and_every_error(void)
{
    seL4_CPtr ut = h_ut(20);
    sel4host_counters_reset();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 4) == seL4_NoError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_DeleteFirst);
    HCHECK(h_copy(h_slot(10), h_slot(0)) == seL4_NoError);
    HCHECK(h_revoke(h_slot(0)) == seL4_NoError);
    HCHECK(sel4host_count(SEL4HOST_UNTYPED_RETYPE) == 2);
    HCHECK(sel4host_count_errors(SEL4HOST_UNTYPED_RETYPE) == 1);
    HCHECK(sel4host_count(SEL4HOST_CNODE_COPY) == 1);
    HCHECK(sel4host_count(SEL4HOST_CNODE_REVOKE) == 1);
    HCHECK(sel4host_count_total() == 4);
    sel4host_counters_reset();
    HCHECK(sel4host_count_total() == 0 && sel4host_modelled_instructions() == 0);
    return 0;
}

/* The reset's clearing per KiB (sim/src/model.h): measured per architecture. */
#if defined(CONFIG_ARCH_IA32)
#define CLEAR_PER_KIB 1117ull
#else
#define CLEAR_PER_KIB 606ull
#endif

static int modelled_instructions_follow_the_calibrated_table(void)
{
    seL4_CPtr ut = h_ut(20);
    const struct sel4host_cost *c = sel4host_cost_of(SEL4HOST_UNTYPED_RETYPE);
    HCHECK(c != NULL && c->source != NULL && c->per_item > 0);
    /* The first retype of a boot untyped clears all of it (it starts full): 1 MiB at
     * CLEAR_PER_KIB, counted apart as boot clearing too. */
    sel4host_counters_reset();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(200), 1) == seL4_NoError);
    HCHECK(sel4host_boot_clear_instructions() == 1024ull * CLEAR_PER_KIB);
    HCHECK(sel4host_modelled_instructions() == c->base + c->per_item + 1024ull * CLEAR_PER_KIB);
    sel4host_counters_reset();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    uint64_t one = sel4host_modelled_instructions();
    HCHECK(one == c->base + c->per_item && sel4host_boot_clear_instructions() == 0);
    sel4host_counters_reset();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(1), 100) == seL4_NoError);
    uint64_t hundred = sel4host_modelled_instructions();
    HCHECK(hundred - one == 99ull * c->per_item);
    /* Revoke the 102 frames: the next retype resets the untyped and clears what was handed
     * out (102 frames), which is steady-state cost, not boot clearing. */
    const struct sel4host_cost *rv = sel4host_cost_of(SEL4HOST_CNODE_REVOKE);
    sel4host_counters_reset();
    HCHECK(h_revoke(ut) == seL4_NoError);
    HCHECK(sel4host_modelled_instructions() == rv->base + 102ull * rv->per_item);
    sel4host_counters_reset();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(sel4host_modelled_instructions() == c->base + c->per_item + 102ull * 4 * CLEAR_PER_KIB);
    HCHECK(sel4host_boot_clear_instructions() == 0);
    for (int k = 0; k < SEL4HOST_INV_COUNT; k++) {
        HCHECK(sel4host_cost_of((enum sel4host_inv)k)->source[0] != '\0');
        HCHECK(strcmp(sel4host_inv_name((enum sel4host_inv)k), "?") != 0);
    }
    return 0;
}

static int fault_nth_fails_that_call_and_changes_nothing(void)
{
    seL4_CPtr ut = h_ut(20);
    struct sel4host_account before, after;
    sel4host_account(&before);
    sel4host_fault_nth(SEL4HOST_UNTYPED_RETYPE, 2, seL4_NotEnoughMemory);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(1), 1) == seL4_NotEnoughMemory);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(1), 1) == seL4_NoError);
    HCHECK(sel4host_faults_injected() == 1);
    /* the refused call moved no watermark: the third call got the second page */
    HCHECK(H_GETADDR(h_slot(1)).paddr == H_GETADDR(h_slot(0)).paddr + (1u << seL4_PageBits));
    HCHECK(h_revoke(ut) == seL4_NoError);
    sel4host_account(&after);
    HCHECK(after.caps_live == before.caps_live && after.objects_live == before.objects_live);
    return 0;
}

static int fault_probability_is_reproducible_from_the_seed(void)
{
    unsigned pattern[2] = {0, 0};
    for (int round = 0; round < 2; round++) {
        HCHECK(sel4host_boot(NULL) == seL4_NoError);
        sel4host_fault_seed(42);
        sel4host_fault_probability(SEL4HOST_CNODE_COPY, 0.5, seL4_FailedLookup);
        seL4_CPtr ut = h_ut(20);
        HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
        for (unsigned i = 0; i < 32; i++) {
            seL4_Error e = h_copy(h_slot(1 + i), h_slot(0));
            HCHECK(e == seL4_NoError || e == seL4_FailedLookup);
            pattern[round] |= (unsigned)(e == seL4_NoError) << i;
        }
    }
    HCHECK(pattern[0] == pattern[1]);
    HCHECK(pattern[0] != 0 && pattern[0] != 0xffffffffu);
    sel4host_fault_clear();
    return 0;
}

static int accounting_sees_objects_caps_and_slots(void)
{
    struct sel4host_account a0, a1;
    sel4host_account(&a0);
    seL4_CPtr ut = h_ut(20);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 8) == seL4_NoError);
    HCHECK(h_copy(h_slot(8), h_slot(0)) == seL4_NoError);
    HCHECK(h_retype(ut, seL4_CapTableObject, 6, h_slot(9), 1) == seL4_NoError);
    sel4host_account(&a1);
    HCHECK(a1.caps_live == a0.caps_live + 10);
    HCHECK(a1.frames_live == a0.frames_live + 8);
    HCHECK(a1.objects_live == a0.objects_live + 9);
    HCHECK(a1.cnodes_live == a0.cnodes_live + 1);
    HCHECK(a1.slots_total == a0.slots_total + 64);
    HCHECK(a1.untyped_bytes_used ==
           a0.untyped_bytes_used + 8 * 4096ull + (64ull << seL4_SlotBits));
    uint64_t used, total;
    HCHECK(sel4host_cnode_slots(h_slot(9), &used, &total) == seL4_NoError);
    HCHECK(used == 0 && total == 64);
    HCHECK(sel4host_cnode_slots(h_slot(0), &used, &total) == seL4_FailedLookup);
    return 0;
}

static int revoke_of_untyped_leaves_no_leak(void)
{
    struct sel4host_account a0, a1;
    sel4host_account(&a0);
    seL4_CPtr ut = h_ut(22);
    HCHECK(h_retype(ut, seL4_UntypedObject, 18, h_slot(0), 2) == seL4_NoError);
    HCHECK(h_retype(h_slot(0), seL4_CapTableObject, 8, h_slot(2), 1) == seL4_NoError);
    HCHECK(seL4_Untyped_Retype(h_slot(1), H_FRAME, 0, seL4_CapInitThreadCNode, h_slot(2),
                               seL4_WordBits, 0, 60) == seL4_NoError);
    HCHECK(h_retype(h_slot(0), seL4_EndpointObject, 0, h_slot(3), 5) == seL4_NoError);
    HCHECK(sel4host_check() == 0);
    HCHECK(h_revoke(ut) == seL4_NoError);
    sel4host_account(&a1);
    HCHECK(a1.caps_live == a0.caps_live);
    HCHECK(a1.objects_live == a0.objects_live);
    HCHECK(a1.cnodes_live == a0.cnodes_live);
    HCHECK(a1.untyped_bytes_used == a0.untyped_bytes_used);
    return 0;
}

static int unresolvable_cptr_counts_a_cap_fault(void)
{
    uint64_t f0 = sel4host_cap_faults();
    /* a cptr whose guard bits are not zero does not resolve in the root CSpace */
    seL4_CPtr bad = (seL4_CPtr)1 << (seL4_WordBits - 1);
    HCHECK(seL4_CNode_Delete(bad, 0, seL4_WordBits) == seL4_InvalidCapability);
    HCHECK(sel4host_cap_faults() == f0 + 1);
    return 0;
}

static int check_accepts_a_busy_world(void)
{
    seL4_CPtr ut = h_ut(22);
    HCHECK(h_retype(ut, seL4_UntypedObject, 16, h_slot(0), 4) == seL4_NoError);
    for (unsigned i = 0; i < 4; i++) {
        HCHECK(h_retype(h_slot(i), H_FRAME, 0, h_slot(10 + 16 * i), 16) == seL4_NoError);
    }
    HCHECK(h_copy(h_slot(100), h_slot(10)) == seL4_NoError);
    HCHECK(h_delete(h_slot(11)) == seL4_NoError);
    HCHECK(h_revoke(h_slot(1)) == seL4_NoError);
    HCHECK(sel4host_check() == 0);
    return 0;
}

static int refused_calls_leave_the_digest_unchanged(void)
{
    seL4_CPtr ut = h_ut(20);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 2) == seL4_NoError);
    uint64_t d = sel4host_digest();
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(1), 1) == seL4_DeleteFirst);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(2), 1u << 20) == seL4_RangeError);
    HCHECK(h_copy(h_slot(0), h_slot(1)) == seL4_DeleteFirst);
    HCHECK(h_copy(h_slot(5), h_slot(6)) == seL4_FailedLookup);
    sel4host_fault_nth(SEL4HOST_CNODE_REVOKE, 1, seL4_IllegalOperation);
    HCHECK(h_revoke(ut) == seL4_IllegalOperation);
    HCHECK(sel4host_digest() == d);
    HCHECK(h_delete(h_slot(0)) == seL4_NoError);
    HCHECK(sel4host_digest() != d);
    return 0;
}

const struct host_test host_tests[] = {
    HT(refused_calls_leave_the_digest_unchanged),
    HT(counters_count_every_call_and_every_error),
    HT(modelled_instructions_follow_the_calibrated_table),
    HT(fault_nth_fails_that_call_and_changes_nothing),
    HT(fault_probability_is_reproducible_from_the_seed),
    HT(accounting_sees_objects_caps_and_slots),
    HT(revoke_of_untyped_leaves_no_leak),
    HT(unresolvable_cptr_counts_a_cap_fault),
    HT(check_accepts_a_busy_world),
    {NULL, NULL},
};
