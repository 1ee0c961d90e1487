/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: the invocation stubs. On the real system these are generated from
 * libsel4/include/interfaces/object-api.xml and the arch XML files; here they are ordinary
 * functions implemented by the host model (sim/src/). Names, parameter types and order follow
 * the XML; only the subset an allocator uses is provided.
 */
#pragma once

#include <sel4/types.h>

seL4_Error seL4_Untyped_Retype(seL4_Untyped _service, seL4_Word type, seL4_Word size_bits,
                               seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                               seL4_Word node_offset, seL4_Word num_objects);

seL4_Error seL4_CNode_Revoke(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_CNode_Delete(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_CNode_Copy(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights);
seL4_Error seL4_CNode_Mint(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights, seL4_Word badge);
seL4_Error seL4_CNode_Move(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth);
seL4_Error seL4_CNode_Mutate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                             seL4_Word badge);

seL4_Error seL4_TCB_SetSpace(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                             seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                             seL4_Word vspace_root_data);

#if defined(CONFIG_ARCH_X86)
typedef struct seL4_X86_Page_GetAddress {
    int error;
    seL4_Word paddr;
} seL4_X86_Page_GetAddress_t;

seL4_Error seL4_X86_Page_Map(seL4_X86_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_Page_Unmap(seL4_X86_Page _service);
seL4_X86_Page_GetAddress_t seL4_X86_Page_GetAddress(seL4_X86_Page _service);
seL4_Error seL4_X86_PageTable_Map(seL4_X86_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PageTable_Unmap(seL4_X86_PageTable _service);
seL4_Error seL4_X86_ASIDPool_Assign(seL4_X86_ASIDPool _service, seL4_CPtr vspace);
#if defined(CONFIG_ARCH_X86_64)
seL4_Error seL4_X86_PageDirectory_Map(seL4_X86_PageDirectory _service, seL4_CPtr vspace,
                                      seL4_Word vaddr, seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PageDirectory_Unmap(seL4_X86_PageDirectory _service);
seL4_Error seL4_X86_PDPT_Map(seL4_X86_PDPT _service, seL4_X64_PML4 pml4, seL4_Word vaddr,
                             seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PDPT_Unmap(seL4_X86_PDPT _service);
#endif
#elif defined(CONFIG_ARCH_ARM)
typedef struct seL4_ARM_Page_GetAddress {
    int error;
    seL4_Word paddr;
} seL4_ARM_Page_GetAddress_t;

seL4_Error seL4_ARM_Page_Map(seL4_ARM_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_ARM_VMAttributes attr);
seL4_Error seL4_ARM_Page_Unmap(seL4_ARM_Page _service);
seL4_ARM_Page_GetAddress_t seL4_ARM_Page_GetAddress(seL4_ARM_Page _service);
seL4_Error seL4_ARM_Page_Clean_Data(seL4_ARM_Page _service, seL4_Word start_offset,
                                    seL4_Word end_offset);
seL4_Error seL4_ARM_PageTable_Map(seL4_ARM_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_ARM_VMAttributes attr);
seL4_Error seL4_ARM_PageTable_Unmap(seL4_ARM_PageTable _service);
seL4_Error seL4_ARM_ASIDPool_Assign(seL4_ARM_ASIDPool _service, seL4_CPtr vspace);
#endif
