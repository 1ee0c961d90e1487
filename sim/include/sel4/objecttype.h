/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: object types. The numbering follows libsel4/include/sel4/objecttype.h,
 * libsel4/sel4_arch_include/<arch>/sel4/sel4_arch/objecttype.h and
 * libsel4/arch_include/<arch>/sel4/arch/objecttype.h for a configuration without MCS,
 * IOMMU, VT-x or hypervisor support, and with CONFIG_HUGE_PAGE on x86_64.
 */
#pragma once

#include <sel4/config.h>
#include <sel4/simple_types.h>

typedef enum api_object {
    seL4_UntypedObject,
    seL4_TCBObject,
    seL4_EndpointObject,
    seL4_NotificationObject,
    seL4_CapTableObject,
    seL4_NonArchObjectTypeCount,
} seL4_ObjectType;

typedef seL4_Word api_object_t;

#if defined(CONFIG_ARCH_X86_64)
typedef enum _mode_object {
    seL4_X86_PDPTObject = seL4_NonArchObjectTypeCount,
    seL4_X64_PML4Object,
    seL4_X64_HugePageObject,
    seL4_ModeObjectTypeCount
} seL4_seL4ArchObjectType;
#define seL4_IA32_PDPTObject seL4_X86_PDPTObject
#elif defined(CONFIG_ARCH_IA32)
typedef enum _mode_object {
    seL4_ModeObjectTypeCount = seL4_NonArchObjectTypeCount,
} seL4_ModeObjectType;
#define seL4_IA32_PDPTObject 0xffffffff
#define seL4_X64_HugePageObject 0xfffffffe
#elif defined(CONFIG_ARCH_AARCH64)
typedef enum _mode_object {
    seL4_ARM_HugePageObject = seL4_NonArchObjectTypeCount,
    seL4_ARM_VSpaceObject,
    seL4_ModeObjectTypeCount
} seL4_ModeObjectType;
#elif defined(CONFIG_ARCH_AARCH32)
typedef enum _mode_object {
    seL4_ARM_PageDirectoryObject = seL4_NonArchObjectTypeCount,
    seL4_ModeObjectTypeCount,
} seL4_ModeObjectType;
#endif

#if defined(CONFIG_ARCH_X86)
typedef enum _object {
    seL4_X86_4K = seL4_ModeObjectTypeCount,
    seL4_X86_LargePageObject,
    seL4_X86_PageTableObject,
    seL4_X86_PageDirectoryObject,
    seL4_ObjectTypeCount
} seL4_ArchObjectType;
#define seL4_X86_IOPageTableObject 0xffffff
#define seL4_X86_VCPUObject 0xfffffe
#define seL4_X86_EPTPML4Object 0xfffffd
#define seL4_X86_EPTPDPTObject 0xfffffc
#define seL4_X86_EPTPDObject 0xfffffb
#define seL4_X86_EPTPTObject 0xfffffa
#elif defined(CONFIG_ARCH_ARM)
typedef enum _object {
    seL4_ARM_SmallPageObject = seL4_ModeObjectTypeCount,
    seL4_ARM_LargePageObject,
#if defined(CONFIG_ARCH_AARCH32)
    seL4_ARM_SectionObject,
    seL4_ARM_SuperSectionObject,
#endif
    seL4_ARM_PageTableObject,
    seL4_ObjectTypeCount
} seL4_ArchObjectType;
#define seL4_ARM_VCPUObject 0xfffe
#define seL4_ARM_IOPageTableObject 0xffff
#endif

typedef seL4_Word object_t;
