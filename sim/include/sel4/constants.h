/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: object sizes and limits. Values from
 * libsel4/sel4_arch_include/{x86_64,ia32,aarch64}/sel4/sel4_arch/constants.h and
 * libsel4/include/sel4/constants.h (non-MCS, non-debug, no hypervisor configuration).
 */
#pragma once

#include <sel4/config.h>
#include <sel4/macros.h>

enum {
    seL4_MsgMaxLength = 120,
};
#define seL4_MsgExtraCapBits 2
#define seL4_MsgMaxExtraCaps (LIBSEL4_BIT(seL4_MsgExtraCapBits) - 1)

#if defined(CONFIG_ARCH_X86_64)
#define seL4_WordBits 64
#define seL4_WordSizeBits 3
#define seL4_PageBits 12
#define seL4_SlotBits 5
#define seL4_TCBBits 11
#define seL4_EndpointBits 4
#define seL4_NotificationBits 5
#define seL4_PageTableBits 12
#define seL4_PageTableEntryBits 3
#define seL4_PageTableIndexBits 9
#define seL4_PageDirBits 12
#define seL4_PageDirEntryBits 3
#define seL4_PageDirIndexBits 9
#define seL4_PDPTBits 12
#define seL4_PDPTEntryBits 3
#define seL4_PDPTIndexBits 9
#define seL4_PML4Bits 12
#define seL4_PML4EntryBits 3
#define seL4_PML4IndexBits 9
#define seL4_VSpaceBits seL4_PML4Bits
#define seL4_LargePageBits 21
#define seL4_HugePageBits 30
#define seL4_NumASIDPoolsBits 3
#define seL4_ASIDPoolBits 12
#define seL4_ASIDPoolIndexBits 9
#define seL4_MinUntypedBits 4
#define seL4_MaxUntypedBits 47
#define seL4_UserTop 0x7FFFFFFFFFFFul
#elif defined(CONFIG_ARCH_IA32)
#define seL4_WordBits 32
#define seL4_WordSizeBits 2
#define seL4_PageBits 12
#define seL4_SlotBits 4
#define seL4_TCBBits 11
#define seL4_EndpointBits 4
#define seL4_NotificationBits 4
#define seL4_PageTableBits 12
#define seL4_PageTableEntryBits 2
#define seL4_PageTableIndexBits 10
#define seL4_PageDirBits 12
#define seL4_PageDirEntryBits 2
#define seL4_PageDirIndexBits 10
#define seL4_VSpaceBits seL4_PageDirBits
#define seL4_NumASIDPoolsBits 2
#define seL4_ASIDPoolBits 12
#define seL4_ASIDPoolIndexBits 10
#define seL4_HugePageBits 30
#define seL4_PDPTBits 0
#define seL4_LargePageBits 22
#define seL4_4MBits seL4_LargePageBits
#define seL4_MinUntypedBits 4
#define seL4_MaxUntypedBits 29
#define seL4_UserTop 0xe0000000ul
#elif defined(CONFIG_ARCH_AARCH64)
#define seL4_WordBits 64
#define seL4_WordSizeBits 3
#define seL4_PageBits 12
#define seL4_LargePageBits 21
#define seL4_HugePageBits 30
#define seL4_SlotBits 5
#define seL4_TCBBits 11
#define seL4_EndpointBits 4
#define seL4_NotificationBits 5
#define seL4_PageTableBits 12
#define seL4_PageTableEntryBits 3
#define seL4_PageTableIndexBits 9
#define seL4_NumASIDPoolsBits 7
#define seL4_ASIDPoolBits 12
#define seL4_ASIDPoolIndexBits 9
#define seL4_IOPageTableBits 12
#define seL4_VSpaceEntryBits 3
#define seL4_VSpaceBits 12
#define seL4_VSpaceIndexBits 9
#define seL4_MinUntypedBits 4
#define seL4_MaxUntypedBits 47
#define seL4_UserTop 0x00007fffffffffffUL
#elif defined(CONFIG_ARCH_AARCH32)
/* libsel4/sel4_arch_include/aarch32/sel4/sel4_arch/constants.h, non-hypervisor, with FPU */
#define seL4_WordBits 32
#define seL4_WordSizeBits 2
#define seL4_PageBits 12
#define seL4_LargePageBits 16
#define seL4_SlotBits 4
#define seL4_TCBBits 10
#define seL4_EndpointBits 4
#define seL4_NotificationBits 4
#define seL4_PageTableBits 10
#define seL4_PageTableEntryBits 2
#define seL4_PageTableIndexBits 8
#define seL4_SectionBits 20
#define seL4_SuperSectionBits 24
#define seL4_PageDirEntryBits 2
#define seL4_PageDirIndexBits 12
#define seL4_PageDirBits 14
#define seL4_VSpaceBits seL4_PageDirBits
#define seL4_NumASIDPoolsBits 7
#define seL4_ASIDPoolBits 12
#define seL4_ASIDPoolIndexBits 10
#define seL4_IOPageTableBits 12
#define seL4_MinUntypedBits 4
#define seL4_MaxUntypedBits 29
/* libsel4 does not export it for aarch32: the kernel window starts at 0xe0000000 */
#define seL4_UserTop 0xe0000000ul
#else
#error "no modelled architecture selected (autoconf.h)"
#endif

#define seL4_BootInfoFrameBits seL4_PageBits
#define seL4_BootInfoFrameSize LIBSEL4_BIT(seL4_BootInfoFrameBits)
