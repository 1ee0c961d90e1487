/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Conformance suite for the host seL4 model: one kernel rule per case, each named after the
 * rule. This file uses only libsel4, sel4runtime_bootinfo() and printf, so that it also runs
 * as a root task on the real kernel; every expectation follows the kernel source
 * (src/object/untyped.c, src/object/cnode.c, src/kernel/cspace.c, src/object/objecttype.c and
 * the arch's vspace.c). It takes its untypeds and free slots from the boot info, and cleans up
 * after every case by revoking the untypeds it used and deleting its scratch slots.
 */
#include <stdio.h>
#include <sel4/sel4.h>
#include <sel4runtime.h>

#if defined(CONFIG_ARCH_X86)
#define FRAME_TYPE seL4_X86_4K
#define PT_TYPE seL4_X86_PageTableObject
typedef seL4_X86_Page_GetAddress_t get_address_t;
#define GET_ADDRESS seL4_X86_Page_GetAddress
#define PAGE_MAP(f, vs, va, r) seL4_X86_Page_Map((f), (vs), (va), (r), seL4_X86_Default_VMAttributes)
#define PAGE_UNMAP seL4_X86_Page_Unmap
#define PT_MAP(t, vs, va) seL4_X86_PageTable_Map((t), (vs), (va), seL4_X86_Default_VMAttributes)
#elif defined(CONFIG_ARCH_ARM)
#define FRAME_TYPE seL4_ARM_SmallPageObject
#define PT_TYPE seL4_ARM_PageTableObject
typedef seL4_ARM_Page_GetAddress_t get_address_t;
#define GET_ADDRESS seL4_ARM_Page_GetAddress
#define PAGE_MAP(f, vs, va, r) seL4_ARM_Page_Map((f), (vs), (va), (r), seL4_ARM_Default_VMAttributes)
#define PAGE_UNMAP seL4_ARM_Page_Unmap
#define PT_MAP(t, vs, va) seL4_ARM_PageTable_Map((t), (vs), (va), seL4_ARM_Default_VMAttributes)
#endif

#if defined(CONFIG_ARCH_X86_64)
#define VSPACE_ROOT_TYPE seL4_X64_PML4Object
#elif defined(CONFIG_ARCH_IA32)
#define VSPACE_ROOT_TYPE seL4_X86_PageDirectoryObject
#elif defined(CONFIG_ARCH_AARCH64)
#define VSPACE_ROOT_TYPE seL4_ARM_VSpaceObject
#else
#define VSPACE_ROOT_TYPE seL4_ARM_PageDirectoryObject
#endif
#if defined(CONFIG_ARCH_X86)
#define ASID_ASSIGN seL4_X86_ASIDPool_Assign
#else
#define ASID_ASSIGN seL4_ARM_ASIDPool_Assign
#endif

#if CONFIG_WORD_SIZE == 64
#define TEST_VA 0x40000000000ul /* 4 TiB: no paging structures there at boot */
#else
#define TEST_VA 0x80000000ul
#endif

#define ROOT seL4_CapInitThreadCNode
#define DEPTH seL4_WordBits
#define VSPACE seL4_CapInitThreadVSpace

static seL4_BootInfo *bi;
static seL4_CPtr ut;          /* a large RAM untyped */
static seL4_Word ut_paddr;
static unsigned ut_bits;
static seL4_CPtr dev_ut;      /* a device untyped of at least 4 KiB, or 0 */
static seL4_CPtr free_base;   /* first of our scratch slots */
#define NSCRATCH 300u
#define S(i) (free_base + (i))

static int failed_line;
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            failed_line = __LINE__;                                                    \
            printf("    check failed at line %d: %s\n", __LINE__, #cond);              \
            return 1;                                                                  \
        }                                                                              \
    } while (0)
#define CHECK_ERR(expr, want) CHECK((expr) == (want))

static seL4_Error retype(seL4_CPtr untyped, seL4_Word type, seL4_Word bits, seL4_CPtr slot,
                         seL4_Word n)
{
    return seL4_Untyped_Retype(untyped, type, bits, ROOT, 0, 0, slot, n);
}

static seL4_Word paddr_of(seL4_CPtr frame)
{
    get_address_t r = GET_ADDRESS(frame);
    return r.error == seL4_NoError ? r.paddr : (seL4_Word)-1;
}

static seL4_Error copy(seL4_CPtr dest, seL4_CPtr src)
{
    return seL4_CNode_Copy(ROOT, dest, DEPTH, ROOT, src, DEPTH, seL4_AllRights);
}

static int is_empty(seL4_CPtr slot)
{
    /* moving an empty slot fails with FailedLookup; a full slot can be moved onto itself? no:
     * Move onto itself is DeleteFirst. So: a Move of slot into a scratch slot tells us. */
    seL4_Error e = seL4_CNode_Move(ROOT, S(NSCRATCH - 1), DEPTH, ROOT, slot, DEPTH);
    if (e == seL4_NoError) {
        seL4_CNode_Move(ROOT, slot, DEPTH, ROOT, S(NSCRATCH - 1), DEPTH);
        return 0;
    }
    return e == seL4_FailedLookup;
}

/* Make the paging structures for TEST_VA, into slots from `first`. Returns the count. */
static int map_tables(seL4_CPtr first)
{
#if defined(CONFIG_ARCH_X86_64)
    if (retype(ut, seL4_X86_PDPTObject, 0, first, 1) ||
        seL4_X86_PDPT_Map(first, VSPACE, TEST_VA, seL4_X86_Default_VMAttributes) ||
        retype(ut, seL4_X86_PageDirectoryObject, 0, first + 1, 1) ||
        seL4_X86_PageDirectory_Map(first + 1, VSPACE, TEST_VA, seL4_X86_Default_VMAttributes) ||
        retype(ut, seL4_X86_PageTableObject, 0, first + 2, 1) || PT_MAP(first + 2, VSPACE, TEST_VA)) {
        return -1;
    }
    return 3;
#elif defined(CONFIG_ARCH_IA32) || defined(CONFIG_ARCH_AARCH32)
    if (retype(ut, PT_TYPE, 0, first, 1) || PT_MAP(first, VSPACE, TEST_VA)) {
        return -1;
    }
    return 1;
#else
    for (int i = 0; i < 3; i++) {
        if (retype(ut, PT_TYPE, 0, first + i, 1) || PT_MAP(first + i, VSPACE, TEST_VA)) {
            return -1;
        }
    }
    return 3;
#endif
}

static void cleanup(void)
{
    seL4_CNode_Revoke(ROOT, ut, DEPTH);
    if (dev_ut) {
        seL4_CNode_Revoke(ROOT, dev_ut, DEPTH);
    }
    for (seL4_CPtr i = 0; i < NSCRATCH; i++) {
        seL4_CNode_Delete(ROOT, S(i), DEPTH);
    }
}

/* ---- Untyped_Retype: argument checks, in decode order ------------------------------------ */

static int retype_invalid_type_is_invalid_argument(void)
{
    CHECK_ERR(retype(ut, seL4_ObjectTypeCount, 0, S(0), 1), seL4_InvalidArgument);
    CHECK(is_empty(S(0)));
    return 0;
}

static int retype_huge_type_number_is_invalid_argument(void)
{
    CHECK_ERR(retype(ut, (seL4_Word)-1, 0, S(0), 1), seL4_InvalidArgument);
    return 0;
}

static int retype_size_bits_of_word_bits_is_range_error(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, seL4_WordBits, S(0), 1), seL4_RangeError);
    return 0;
}

static int retype_size_bits_is_checked_for_frames_too(void)
{
    /* userObjSize >= wordBits is refused even for fixed-size objects */
    CHECK_ERR(retype(ut, FRAME_TYPE, seL4_WordBits, S(0), 1), seL4_RangeError);
    return 0;
}

static int retype_untyped_above_max_untyped_bits_is_range_error(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, seL4_MaxUntypedBits + 1, S(0), 1), seL4_RangeError);
    return 0;
}

static int retype_captable_above_max_untyped_bits_is_range_error(void)
{
    CHECK_ERR(retype(ut, seL4_CapTableObject, seL4_MaxUntypedBits - seL4_SlotBits + 1, S(0), 1),
              seL4_RangeError);
    return 0;
}

static int retype_captable_of_size_zero_is_invalid_argument(void)
{
    CHECK_ERR(retype(ut, seL4_CapTableObject, 0, S(0), 1), seL4_InvalidArgument);
    return 0;
}

static int retype_untyped_below_min_untyped_bits_is_invalid_argument(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, seL4_MinUntypedBits - 1, S(0), 1),
              seL4_InvalidArgument);
    return 0;
}

static int retype_destination_not_a_cnode_is_failed_lookup(void)
{
    /* node_index/depth name the TCB cap's slot: not a CNode */
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, seL4_CapInitThreadTCB, DEPTH, 0, 1),
              seL4_FailedLookup);
    return 0;
}

static int retype_destination_depth_above_word_bits_is_range_error(void)
{
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, ROOT, DEPTH + 1, 0, 1), seL4_RangeError);
    return 0;
}

static int retype_destination_guard_mismatch_is_failed_lookup(void)
{
    /* the root CNode's guard covers all bits above its radix: a short depth cannot match */
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, ROOT, 1, 0, 1), seL4_FailedLookup);
    return 0;
}

static int retype_destination_root_not_cnode_is_failed_lookup(void)
{
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, seL4_CapInitThreadTCB, 0, 0, S(0), 1),
              seL4_FailedLookup);
    return 0;
}

static int retype_offset_past_cnode_is_range_error(void)
{
    seL4_Word size = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, size, 1), seL4_RangeError);
    return 0;
}

static int retype_zero_objects_is_range_error(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 0), seL4_RangeError);
    return 0;
}

static int retype_more_than_fan_out_limit_is_range_error(void)
{
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(0), CONFIG_RETYPE_FAN_OUT_LIMIT + 1),
              seL4_RangeError);
    CHECK(is_empty(S(0)));
    return 0;
}

static int retype_window_overrunning_cnode_is_range_error(void)
{
    seL4_Word size = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, size - 1, 2), seL4_RangeError);
    return 0;
}

static int retype_into_occupied_slot_is_delete_first(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_DeleteFirst);
    CHECK(is_empty(S(0)));
    return 0;
}

static int retype_beyond_untyped_is_not_enough_memory(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 12, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(1), 2), seL4_NotEnoughMemory);
    CHECK(is_empty(S(1)));
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), seL4_EndpointObject, 0, S(2), 1), seL4_NotEnoughMemory);
    return 0;
}

static int retype_object_larger_than_untyped_is_not_enough_memory(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 12, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), seL4_UntypedObject, 13, S(1), 1), seL4_NotEnoughMemory);
    return 0;
}

static int retype_device_untyped_into_tcb_is_invalid_argument(void)
{
    if (!dev_ut) {
        return 0;
    }
    CHECK_ERR(retype(dev_ut, seL4_TCBObject, 0, S(0), 1), seL4_InvalidArgument);
    CHECK_ERR(retype(dev_ut, seL4_CapTableObject, 4, S(0), 1), seL4_InvalidArgument);
    return 0;
}

static int retype_device_untyped_into_frame_is_allowed(void)
{
    if (!dev_ut) {
        return 0;
    }
    CHECK_ERR(retype(dev_ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(dev_ut, seL4_UntypedObject, seL4_MinUntypedBits, S(1), 1), seL4_NoError);
    return 0;
}

static int retype_on_frame_cap_is_illegal_operation(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(1), 1), seL4_IllegalOperation);
    return 0;
}

static int retype_on_empty_slot_is_invalid_capability(void)
{
    CHECK_ERR(retype(S(5), FRAME_TYPE, 0, S(0), 1), seL4_InvalidCapability);
    return 0;
}

/* ---- Untyped_Retype: effects -------------------------------------------------------------- */

static int retype_first_object_is_at_untyped_base(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK(paddr_of(S(0)) == ut_paddr);
    return 0;
}

static int retype_makes_contiguous_objects_in_slot_order(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 8), seL4_NoError);
    for (seL4_Word i = 0; i < 8; i++) {
        CHECK(paddr_of(S(i)) == ut_paddr + (i << seL4_PageBits));
    }
    return 0;
}

static int retype_aligns_objects_to_their_size(void)
{
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK(paddr_of(S(1)) == ut_paddr + (1ul << seL4_PageBits));
    return 0;
}

static int retype_with_children_continues_at_free_index(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr + (2ul << seL4_PageBits));
    return 0;
}

static int retype_after_all_children_deleted_restarts_at_base(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(1), DEPTH), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr);
    return 0;
}

static int retype_with_one_child_left_does_not_restart(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr + (2ul << seL4_PageBits));
    return 0;
}

static int retype_refused_moves_no_watermark(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_DeleteFirst);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK(paddr_of(S(1)) == ut_paddr + (1ul << seL4_PageBits));
    return 0;
}

static int retype_node_depth_zero_targets_the_root_itself(void)
{
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, 12345, 0, S(3), 1), seL4_NoError);
    CHECK(paddr_of(S(3)) == ut_paddr);
    return 0;
}

static int retype_into_a_cnode_named_by_index_and_depth(void)
{
    CHECK_ERR(retype(ut, seL4_CapTableObject, 4, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, S(0), DEPTH, 15, 1), seL4_NoError);
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, S(0), DEPTH, 15, 1), seL4_DeleteFirst);
    CHECK_ERR(seL4_Untyped_Retype(ut, FRAME_TYPE, 0, ROOT, S(0), DEPTH, 16, 1), seL4_RangeError);
    return 0;
}

static int retype_child_untyped_lies_inside_parent(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 2), seL4_NoError);
    CHECK_ERR(retype(S(1), FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr + (1ul << 16));
    return 0;
}

static int retype_fan_out_limit_objects_in_one_call(void)
{
    CHECK_ERR(retype(ut, seL4_NotificationObject, 0, S(0), CONFIG_RETYPE_FAN_OUT_LIMIT > NSCRATCH - 2
                                                                ? NSCRATCH - 2
                                                                : CONFIG_RETYPE_FAN_OUT_LIMIT),
              seL4_NoError);
    return 0;
}

static int retype_tcb_endpoint_notification_cnode_succeed(void)
{
    CHECK_ERR(retype(ut, seL4_TCBObject, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(retype(ut, seL4_NotificationObject, 0, S(2), 1), seL4_NoError);
    CHECK_ERR(retype(ut, seL4_CapTableObject, 8, S(3), 1), seL4_NoError);
    CHECK_ERR(retype(ut, PT_TYPE, 0, S(4), 1), seL4_NoError);
    return 0;
}

/* ---- CNode operations --------------------------------------------------------------------- */

static int copy_into_occupied_slot_is_delete_first(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_DeleteFirst);
    return 0;
}

static int copy_from_empty_slot_is_failed_lookup(void)
{
    CHECK_ERR(copy(S(1), S(0)), seL4_FailedLookup);
    CHECK(is_empty(S(1)));
    return 0;
}

static int copy_with_depth_zero_is_range_error(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(1), 0, ROOT, S(0), DEPTH, seL4_AllRights), seL4_RangeError);
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(1), DEPTH, ROOT, S(0), 0, seL4_AllRights), seL4_RangeError);
    return 0;
}

static int copy_with_depth_above_word_bits_is_range_error(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(1), DEPTH + 1, ROOT, S(0), DEPTH, seL4_AllRights),
              seL4_RangeError);
    return 0;
}

static int copy_with_short_depth_is_failed_lookup(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(1), DEPTH - 1, ROOT, S(0), DEPTH, seL4_AllRights),
              seL4_FailedLookup);
    return 0;
}

static int copy_of_untyped_with_children_is_revoke_first(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(copy(S(2), S(0)), seL4_RevokeFirst);
    CHECK(is_empty(S(2)));
    return 0;
}

static int copy_of_untyped_without_children_is_allowed(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    return 0;
}

static int untyped_copy_is_a_child_of_the_original(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(is_empty(S(1)));
    CHECK(!is_empty(S(0)));
    return 0;
}

static int copy_of_untyped_leaves_the_original_full(void)
{
    /* cteInsert's setUntypedCapAsFull: the original cannot retype while its copy lives */
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(2), 1), seL4_NotEnoughMemory);
    CHECK_ERR(retype(S(1), FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr);
    return 0;
}

static int copy_of_frame_names_the_same_frame(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK(paddr_of(S(1)) == paddr_of(S(0)));
    return 0;
}

static int revoke_of_frame_copy_deletes_nothing(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(copy(S(2), S(1)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(1), DEPTH), seL4_NoError);
    CHECK(!is_empty(S(2)));
    return 0;
}

static int revoke_of_retyped_frame_deletes_copies_of_copies(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(copy(S(2), S(1)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(3), DEPTH, ROOT, S(2), DEPTH, seL4_CanRead, 0), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(is_empty(S(1)) && is_empty(S(2)) && is_empty(S(3)));
    CHECK(!is_empty(S(0)));
    return 0;
}

static int revoke_of_untyped_deletes_every_descendant(void)
{
    CHECK_ERR(retype(ut, seL4_UntypedObject, 16, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(S(0), FRAME_TYPE, 0, S(1), 4), seL4_NoError);
    CHECK_ERR(copy(S(5), S(1)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    for (int i = 1; i <= 5; i++) {
        CHECK(is_empty(S(i)));
    }
    CHECK(!is_empty(S(0)));
    return 0;
}

static int revoke_of_untyped_lets_retype_restart(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 3), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, ut, DEPTH), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK(paddr_of(S(0)) == ut_paddr);
    return 0;
}

static int revoke_of_empty_slot_succeeds(void)
{
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    return 0;
}

static int delete_of_empty_slot_succeeds(void)
{
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    return 0;
}

static int delete_empties_the_slot(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(GET_ADDRESS(S(0)).error == seL4_InvalidCapability);
    return 0;
}

static int delete_of_original_leaves_copies(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(paddr_of(S(1)) == ut_paddr);
    /* the copy is still a descendant of the untyped: retype does not restart */
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr + (1ul << seL4_PageBits));
    return 0;
}

static int move_keeps_the_cdt_position(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Move(ROOT, S(2), DEPTH, ROOT, S(1), DEPTH), seL4_NoError);
    CHECK(is_empty(S(1)));
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(is_empty(S(2)));
    return 0;
}

static int move_of_retyped_cap_keeps_it_a_parent(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Move(ROOT, S(2), DEPTH, ROOT, S(0), DEPTH), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(2), DEPTH), seL4_NoError);
    CHECK(is_empty(S(1)));
    return 0;
}

static int move_onto_itself_is_delete_first(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Move(ROOT, S(0), DEPTH, ROOT, S(0), DEPTH), seL4_DeleteFirst);
    return 0;
}

static int move_from_empty_slot_is_failed_lookup(void)
{
    CHECK_ERR(seL4_CNode_Move(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH), seL4_FailedLookup);
    return 0;
}

static int mutate_from_empty_slot_is_failed_lookup(void)
{
    CHECK_ERR(seL4_CNode_Mutate(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH, 0), seL4_FailedLookup);
    return 0;
}

static int mutate_of_frame_moves_it(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Mutate(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH, 0), seL4_NoError);
    CHECK(is_empty(S(0)));
    CHECK(paddr_of(S(1)) == ut_paddr);
    return 0;
}

static int mutate_of_endpoint_is_illegal_operation(void)
{
    /* updateCapData with preserve set refuses to badge an endpoint */
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Mutate(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH, 5), seL4_IllegalOperation);
    CHECK(!is_empty(S(0)));
    return 0;
}

static int mint_of_badged_endpoint_again_is_illegal_operation(void)
{
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH, seL4_AllRights, 7),
              seL4_NoError);
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(2), DEPTH, ROOT, S(1), DEPTH, seL4_AllRights, 8),
              seL4_IllegalOperation);
    return 0;
}

static int minted_badged_endpoint_is_a_child_of_the_original(void)
{
    CHECK_ERR(retype(ut, seL4_EndpointObject, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(2), DEPTH, ROOT, S(1), DEPTH, seL4_AllRights, 7),
              seL4_NoError);
    /* the unbadged copy is not revocable; the badged mint is, and is a child of the
     * retyped original */
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(1), DEPTH), seL4_NoError);
    CHECK(!is_empty(S(2)));
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK(is_empty(S(1)) && is_empty(S(2)));
    return 0;
}

static int mint_cnode_guard_too_large_is_illegal_operation(void)
{
    CHECK_ERR(retype(ut, seL4_CapTableObject, 4, S(0), 1), seL4_NoError);
    seL4_Word data = seL4_CNode_CapData_new(0, seL4_WordBits - 4 + 1).words[0];
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(1), DEPTH, ROOT, S(0), DEPTH, seL4_AllRights, data),
              seL4_IllegalOperation);
    return 0;
}

static int mint_cnode_guard_resolves_a_two_level_lookup(void)
{
    /* L2: a 16-slot CNode. Minted into a root slot with a guard so that radix + guard of the
     * root (word bits) plus 4 bits... a root copy with guard 0 gives 12 + 4 = 16-bit cptrs. */
    unsigned rb = (unsigned)bi->initThreadCNodeSizeBits;
    CHECK_ERR(retype(ut, seL4_CapTableObject, 4, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    /* root' = the root CNode with no guard: resolves rb bits */
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(2), DEPTH, ROOT, ROOT, DEPTH, seL4_AllRights,
                              seL4_CNode_CapData_new(0, 0).words[0]),
              seL4_NoError);
    /* copy the frame into L2 slot 3 through root' with depth rb + 4 */
    seL4_Word l2_index = ((seL4_Word)S(0) << 4) | 3;
    CHECK_ERR(seL4_CNode_Copy(S(2), l2_index, (seL4_Uint8)(rb + 4), ROOT, S(1), DEPTH,
                              seL4_AllRights),
              seL4_NoError);
    /* and back out of it into a root slot */
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(3), DEPTH, S(2), l2_index, (seL4_Uint8)(rb + 4),
                              seL4_AllRights),
              seL4_NoError);
    CHECK(paddr_of(S(3)) == paddr_of(S(1)));
    /* a depth that stops inside L2's radix is a lookup failure */
    CHECK_ERR(seL4_CNode_Copy(ROOT, S(4), DEPTH, S(2), l2_index, (seL4_Uint8)(rb + 3),
                              seL4_AllRights),
              seL4_FailedLookup);
    return 0;
}

static int mutate_cnode_sets_its_guard(void)
{
    unsigned rb = (unsigned)bi->initThreadCNodeSizeBits;
    CHECK_ERR(retype(ut, seL4_CapTableObject, 4, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    /* L2 with a 4-bit guard 0x5: rb + 4 + 4 bit cptrs */
    CHECK_ERR(seL4_CNode_Mutate(ROOT, S(5), DEPTH, ROOT, S(0), DEPTH,
                                seL4_CNode_CapData_new(5, 4).words[0]),
              seL4_NoError);
    CHECK_ERR(seL4_CNode_Mint(ROOT, S(2), DEPTH, ROOT, ROOT, DEPTH, seL4_AllRights,
                              seL4_CNode_CapData_new(0, 0).words[0]),
              seL4_NoError);
    seL4_Word good = ((((seL4_Word)S(5) << 4) | 5) << 4) | 9;
    seL4_Word bad = ((((seL4_Word)S(5) << 4) | 6) << 4) | 9;
    CHECK_ERR(seL4_CNode_Copy(S(2), good, (seL4_Uint8)(rb + 8), ROOT, S(1), DEPTH, seL4_AllRights),
              seL4_NoError);
    CHECK_ERR(seL4_CNode_Copy(S(2), bad, (seL4_Uint8)(rb + 8), ROOT, S(1), DEPTH, seL4_AllRights),
              seL4_FailedLookup);
    return 0;
}

static int copy_of_irq_control_is_illegal_operation(void)
{
    CHECK_ERR(copy(S(0), seL4_CapIRQControl), seL4_IllegalOperation);
    CHECK(is_empty(S(0)));
    return 0;
}

static int cnode_invocation_on_frame_cap_is_illegal_operation(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(S(0), S(1), DEPTH), seL4_IllegalOperation);
    return 0;
}

static int cnode_invocation_on_empty_slot_is_invalid_capability(void)
{
    CHECK_ERR(seL4_CNode_Delete(S(0), S(1), DEPTH), seL4_InvalidCapability);
    return 0;
}

static int deleting_a_cnode_deletes_the_caps_inside(void)
{
    /* a frame copy parked in a CNode goes with the CNode; the untyped then has no child
     * left once the original is gone, so retype restarts at the base */
    CHECK_ERR(retype(ut, seL4_CapTableObject, 4, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(seL4_CNode_Copy(S(0), 2, 4, ROOT, S(1), DEPTH, seL4_AllRights), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(1), DEPTH), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(2), 1), seL4_NoError);
    CHECK(paddr_of(S(2)) == ut_paddr);
    return 0;
}

/* ---- frames and mappings ------------------------------------------------------------------ */

static int get_address_returns_the_physical_address(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    get_address_t r = GET_ADDRESS(S(0));
    CHECK(r.error == seL4_NoError && r.paddr == ut_paddr);
    return 0;
}

static int get_address_on_untyped_is_illegal_operation(void)
{
    CHECK(GET_ADDRESS(ut).error == seL4_IllegalOperation);
    return 0;
}

static int page_map_without_page_tables_is_failed_lookup(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_FailedLookup);
    return 0;
}

static int page_map_misaligned_is_alignment_error(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA + 0x800, seL4_AllRights), seL4_AlignmentError);
    return 0;
}

static int page_map_above_user_top_is_invalid_argument(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, (seL4_Word)0 - (1ul << seL4_PageBits), seL4_AllRights),
              seL4_InvalidArgument);
    return 0;
}

static int page_map_into_a_non_vspace_is_invalid_capability(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), S(1), TEST_VA, seL4_AllRights), seL4_InvalidCapability);
    return 0;
}

static int page_map_after_paging_structures_succeeds(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    return 0;
}

static int page_map_of_mapped_cap_elsewhere_is_invalid_argument(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA + (1ul << seL4_PageBits), seL4_AllRights),
              seL4_InvalidArgument);
    return 0;
}

static int copy_of_mapped_frame_is_unmapped(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    /* the copy carries no mapping, so it can be mapped at a second address */
    CHECK_ERR(PAGE_MAP(S(1), VSPACE, TEST_VA + (1ul << seL4_PageBits), seL4_AllRights),
              seL4_NoError);
    return 0;
}

static int page_unmap_then_map_elsewhere_succeeds(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(PAGE_UNMAP(S(0)), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA + (1ul << seL4_PageBits), seL4_AllRights),
              seL4_NoError);
    return 0;
}

static int page_map_over_a_mapped_address_replaces_the_mapping(void)
{
    /* neither x86 (createSafeMappingEntries_PTE) nor ARM checks a present leaf entry */
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(1), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    return 0;
}

static int page_unmap_of_unmapped_frame_succeeds(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(PAGE_UNMAP(S(0)), seL4_NoError);
    return 0;
}

static int deleting_mapped_frame_frees_its_virtual_address(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(0), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(seL4_CNode_Delete(ROOT, S(0), DEPTH), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(1), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    return 0;
}

static int page_table_map_when_mapped_is_invalid_capability(void)
{
    int n = map_tables(S(10));
    CHECK(n > 0);
    CHECK_ERR(PT_MAP(S(10 + n - 1), VSPACE, TEST_VA), seL4_InvalidCapability);
    return 0;
}

static int page_table_map_where_one_exists_is_delete_first(void)
{
    int n = map_tables(S(10));
    CHECK(n > 0);
    CHECK_ERR(retype(ut, PT_TYPE, 0, S(20), 1), seL4_NoError);
    /* x86: the directory entry holds a table already; ARM: every level is present */
    CHECK_ERR(PT_MAP(S(20), VSPACE, TEST_VA), seL4_DeleteFirst);
    return 0;
}

static int copy_of_unmapped_page_table_is_illegal_operation(void)
{
    CHECK_ERR(retype(ut, PT_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_IllegalOperation);
    return 0;
}

static int revoke_unmaps_mapped_copies(void)
{
    CHECK(map_tables(S(10)) > 0);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 2), seL4_NoError);
    CHECK_ERR(copy(S(2), S(0)), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(2), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    CHECK_ERR(seL4_CNode_Revoke(ROOT, S(0), DEPTH), seL4_NoError);
    /* the copy is gone and so is its mapping: another frame can take the address */
    CHECK_ERR(PAGE_MAP(S(1), VSPACE, TEST_VA, seL4_AllRights), seL4_NoError);
    return 0;
}

static int asid_assign_of_vspace_with_an_asid_is_invalid_capability(void)
{
    CHECK_ERR(ASID_ASSIGN(seL4_CapInitThreadASIDPool, VSPACE), seL4_InvalidCapability);
    return 0;
}

static int asid_assign_of_a_frame_is_invalid_capability(void)
{
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(ASID_ASSIGN(seL4_CapInitThreadASIDPool, S(0)), seL4_InvalidCapability);
    return 0;
}

static int vspace_root_can_be_copied_only_once_it_has_an_asid(void)
{
    CHECK_ERR(retype(ut, VSPACE_ROOT_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_IllegalOperation);
    CHECK_ERR(ASID_ASSIGN(seL4_CapInitThreadASIDPool, S(0)), seL4_NoError);
    CHECK_ERR(copy(S(1), S(0)), seL4_NoError);
    return 0;
}

static int page_map_into_a_vspace_without_asid_is_invalid_capability(void)
{
    CHECK_ERR(retype(ut, VSPACE_ROOT_TYPE, 0, S(0), 1), seL4_NoError);
    CHECK_ERR(retype(ut, FRAME_TYPE, 0, S(1), 1), seL4_NoError);
    CHECK_ERR(PAGE_MAP(S(1), S(0), TEST_VA, seL4_AllRights), seL4_InvalidCapability);
    return 0;
}

/* ---- driver -------------------------------------------------------------------------------- */

struct test_case {
    const char *name;
    int (*fn)(void);
};

#define T(f) {#f, f}
static const struct test_case cases[] = {
    T(retype_invalid_type_is_invalid_argument),
    T(retype_huge_type_number_is_invalid_argument),
    T(retype_size_bits_of_word_bits_is_range_error),
    T(retype_size_bits_is_checked_for_frames_too),
    T(retype_untyped_above_max_untyped_bits_is_range_error),
    T(retype_captable_above_max_untyped_bits_is_range_error),
    T(retype_captable_of_size_zero_is_invalid_argument),
    T(retype_untyped_below_min_untyped_bits_is_invalid_argument),
    T(retype_destination_not_a_cnode_is_failed_lookup),
    T(retype_destination_depth_above_word_bits_is_range_error),
    T(retype_destination_guard_mismatch_is_failed_lookup),
    T(retype_destination_root_not_cnode_is_failed_lookup),
    T(retype_offset_past_cnode_is_range_error),
    T(retype_zero_objects_is_range_error),
    T(retype_more_than_fan_out_limit_is_range_error),
    T(retype_window_overrunning_cnode_is_range_error),
    T(retype_into_occupied_slot_is_delete_first),
    T(retype_beyond_untyped_is_not_enough_memory),
    T(retype_object_larger_than_untyped_is_not_enough_memory),
    T(retype_device_untyped_into_tcb_is_invalid_argument),
    T(retype_device_untyped_into_frame_is_allowed),
    T(retype_on_frame_cap_is_illegal_operation),
    T(retype_on_empty_slot_is_invalid_capability),
    T(retype_first_object_is_at_untyped_base),
    T(retype_makes_contiguous_objects_in_slot_order),
    T(retype_aligns_objects_to_their_size),
    T(retype_with_children_continues_at_free_index),
    T(retype_after_all_children_deleted_restarts_at_base),
    T(retype_with_one_child_left_does_not_restart),
    T(retype_refused_moves_no_watermark),
    T(retype_node_depth_zero_targets_the_root_itself),
    T(retype_into_a_cnode_named_by_index_and_depth),
    T(retype_child_untyped_lies_inside_parent),
    T(retype_fan_out_limit_objects_in_one_call),
    T(retype_tcb_endpoint_notification_cnode_succeed),
    T(copy_into_occupied_slot_is_delete_first),
    T(copy_from_empty_slot_is_failed_lookup),
    T(copy_with_depth_zero_is_range_error),
    T(copy_with_depth_above_word_bits_is_range_error),
    T(copy_with_short_depth_is_failed_lookup),
    T(copy_of_untyped_with_children_is_revoke_first),
    T(copy_of_untyped_without_children_is_allowed),
    T(untyped_copy_is_a_child_of_the_original),
    T(copy_of_untyped_leaves_the_original_full),
    T(copy_of_frame_names_the_same_frame),
    T(revoke_of_frame_copy_deletes_nothing),
    T(revoke_of_retyped_frame_deletes_copies_of_copies),
    T(revoke_of_untyped_deletes_every_descendant),
    T(revoke_of_untyped_lets_retype_restart),
    T(revoke_of_empty_slot_succeeds),
    T(delete_of_empty_slot_succeeds),
    T(delete_empties_the_slot),
    T(delete_of_original_leaves_copies),
    T(move_keeps_the_cdt_position),
    T(move_of_retyped_cap_keeps_it_a_parent),
    T(move_onto_itself_is_delete_first),
    T(move_from_empty_slot_is_failed_lookup),
    T(mutate_from_empty_slot_is_failed_lookup),
    T(mutate_of_frame_moves_it),
    T(mutate_of_endpoint_is_illegal_operation),
    T(mint_of_badged_endpoint_again_is_illegal_operation),
    T(minted_badged_endpoint_is_a_child_of_the_original),
    T(mint_cnode_guard_too_large_is_illegal_operation),
    T(mint_cnode_guard_resolves_a_two_level_lookup),
    T(mutate_cnode_sets_its_guard),
    T(copy_of_irq_control_is_illegal_operation),
    T(cnode_invocation_on_frame_cap_is_illegal_operation),
    T(cnode_invocation_on_empty_slot_is_invalid_capability),
    T(deleting_a_cnode_deletes_the_caps_inside),
    T(get_address_returns_the_physical_address),
    T(get_address_on_untyped_is_illegal_operation),
    T(page_map_without_page_tables_is_failed_lookup),
    T(page_map_misaligned_is_alignment_error),
    T(page_map_above_user_top_is_invalid_argument),
    T(page_map_into_a_non_vspace_is_invalid_capability),
    T(page_map_after_paging_structures_succeeds),
    T(page_map_of_mapped_cap_elsewhere_is_invalid_argument),
    T(copy_of_mapped_frame_is_unmapped),
    T(page_unmap_then_map_elsewhere_succeeds),
    T(page_map_over_a_mapped_address_replaces_the_mapping),
    T(page_unmap_of_unmapped_frame_succeeds),
    T(deleting_mapped_frame_frees_its_virtual_address),
    T(page_table_map_when_mapped_is_invalid_capability),
    T(page_table_map_where_one_exists_is_delete_first),
    T(copy_of_unmapped_page_table_is_illegal_operation),
    T(revoke_unmaps_mapped_copies),
    T(asid_assign_of_vspace_with_an_asid_is_invalid_capability),
    T(asid_assign_of_a_frame_is_invalid_capability),
    T(vspace_root_can_be_copied_only_once_it_has_an_asid),
    T(page_map_into_a_vspace_without_asid_is_invalid_capability),
};

int main(void)
{
    unsigned passed = 0, failed = 0;

    bi = sel4runtime_bootinfo();
    free_base = bi->empty.start;
    if (bi->empty.end - bi->empty.start < NSCRATCH) {
        printf("not enough free slots\n");
        return 1;
    }
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= 22 && (ut == 0 || d->sizeBits < ut_bits)) {
            ut = bi->untyped.start + i;
            ut_paddr = d->paddr;
            ut_bits = d->sizeBits;
        }
        if (d->isDevice && d->sizeBits >= seL4_PageBits && dev_ut == 0) {
            dev_ut = bi->untyped.start + i;
        }
    }
    if (ut == 0) {
        printf("no RAM untyped of 4 MiB or more\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = cases[i].fn();
        cleanup();
        printf("%s %s\n", r == 0 ? "ok  " : "FAIL", cases[i].name);
        if (r == 0) {
            passed++;
        } else {
            failed++;
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed > 0;
}
