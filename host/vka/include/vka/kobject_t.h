/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Host-build copy of seL4_libs' <vka/kobject_t.h> (with its arch and sel4_arch parts),
 * written from upstream's API: the same kobject_t numbering per architecture and the
 * same kobject_get_type / kobject_get_size results. A real seL4 build uses upstream's.
 *
 * The architecture comes from the seL4 configuration macros that <sel4/sel4.h> brings
 * (CONFIG_ARCH_X86_64, CONFIG_ARCH_IA32, CONFIG_ARCH_AARCH64); only those three are
 * modelled on the host.
 */
#pragma once

#include <sel4/sel4.h>

typedef int kobject_t;

#if defined(CONFIG_ARCH_X86_64)
enum _x86_mode_kobject_type {
    KOBJECT_PML4,
    KOBJECT_PDPT,
    KOBJECT_FRAME,
    KOBJECT_MODE_NUM_TYPES,
};
enum _x86_kobject_type {
    KOBJECT_IO_PAGETABLE = KOBJECT_MODE_NUM_TYPES,
    KOBJECT_PAGE_DIRECTORY,
    KOBJECT_PAGE_TABLE,
    KOBJECT_ARCH_NUM_TYPES,
};
#elif defined(CONFIG_ARCH_IA32)
enum _x86_mode_kobject_type {
    KOBJECT_PDPT,
    KOBJECT_FRAME,
    KOBJECT_MODE_NUM_TYPES,
};
enum _x86_kobject_type {
    KOBJECT_IO_PAGETABLE = KOBJECT_MODE_NUM_TYPES,
    KOBJECT_PAGE_DIRECTORY,
    KOBJECT_PAGE_TABLE,
    KOBJECT_ARCH_NUM_TYPES,
};
#elif defined(CONFIG_ARCH_AARCH64)
enum _arm_mode_kobject_type {
    KOBJECT_FRAME = 0,
    KOBJECT_PAGE_GLOBAL_DIRECTORY,
    KOBJECT_PAGE_UPPER_DIRECTORY,
    KOBJECT_MODE_NUM_TYPES,
};
enum _arm_kobject_type {
    KOBJECT_PAGE_DIRECTORY = KOBJECT_MODE_NUM_TYPES,
    KOBJECT_PAGE_TABLE,
    KOBJECT_ARCH_NUM_TYPES,
};
#else
#error "vka/kobject_t.h (host build): no modelled architecture selected"
#endif

/* Generic kernel object kinds, numbered after the architecture's, as upstream does. */
enum _kobject_type {
    KOBJECT_TCB = KOBJECT_ARCH_NUM_TYPES,
    KOBJECT_CNODE,
    KOBJECT_CSLOT,
    KOBJECT_UNTYPED,
    KOBJECT_ENDPOINT,
    KOBJECT_NOTIFICATION,
    KOBJECT_REPLY,
    KOBJECT_SCHED_CONTEXT,
    NUM_KOBJECT_TYPES
};

/*
 * Architecture part of kobject_get_size: frames and paging structures. On aarch64 the
 * page directory and upper directory are page tables and the global directory is the
 * VSpace object, as upstream's libsel4 deprecated names make them.
 */
static inline seL4_Word arch_kobject_get_size(kobject_t type, seL4_Word objectSize)
{
    switch (type) {
    case KOBJECT_FRAME:
        if (objectSize == seL4_PageBits || objectSize == seL4_LargePageBits) {
            return objectSize;
        }
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_AARCH64)
        if (objectSize == seL4_HugePageBits) {
            return objectSize;
        }
#endif
        return 0;
    case KOBJECT_PAGE_TABLE:
        return seL4_PageTableBits;
#if defined(CONFIG_ARCH_AARCH64)
    case KOBJECT_PAGE_DIRECTORY:
    case KOBJECT_PAGE_UPPER_DIRECTORY:
        return seL4_PageTableBits;
#else
    case KOBJECT_PAGE_DIRECTORY:
        return seL4_PageDirBits;
#endif
#if defined(CONFIG_ARCH_X86_64)
    case KOBJECT_PDPT:
        return seL4_PDPTBits;
#endif
    default:
        return 0;
    }
}

/* Architecture part of kobject_get_type; (seL4_Word)-1 for no such object. */
static inline seL4_Word arch_kobject_get_type(kobject_t type, seL4_Word objectSize)
{
    switch (type) {
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_IA32)
    case KOBJECT_FRAME:
        if (objectSize == seL4_PageBits) {
            return seL4_X86_4K;
        }
        if (objectSize == seL4_LargePageBits) {
            return seL4_X86_LargePageObject;
        }
#if defined(CONFIG_ARCH_X86_64)
        if (objectSize == seL4_HugePageBits) {
            return seL4_X64_HugePageObject;
        }
#endif
        return (seL4_Word) -1;
    case KOBJECT_PAGE_DIRECTORY:
        return seL4_X86_PageDirectoryObject;
    case KOBJECT_PAGE_TABLE:
        return seL4_X86_PageTableObject;
#if defined(CONFIG_ARCH_X86_64)
    case KOBJECT_PML4:
        return seL4_X64_PML4Object;
    case KOBJECT_PDPT:
        return seL4_X86_PDPTObject;
#endif
#elif defined(CONFIG_ARCH_AARCH64)
    case KOBJECT_FRAME:
        if (objectSize == seL4_PageBits) {
            return seL4_ARM_SmallPageObject;
        }
        if (objectSize == seL4_LargePageBits) {
            return seL4_ARM_LargePageObject;
        }
        if (objectSize == seL4_HugePageBits) {
            return seL4_ARM_HugePageObject;
        }
        return (seL4_Word) -1;
    case KOBJECT_PAGE_DIRECTORY:
    case KOBJECT_PAGE_TABLE:
    case KOBJECT_PAGE_UPPER_DIRECTORY:
        return seL4_ARM_PageTableObject;
    case KOBJECT_PAGE_GLOBAL_DIRECTORY:
        return seL4_ARM_VSpaceObject;
#endif
    default:
        return (seL4_Word) -1;
    }
}

/* Size in bits of the untyped memory an object of this kind and size needs. */
static inline seL4_Word kobject_get_size(kobject_t type, seL4_Word objectSize)
{
    switch (type) {
    case KOBJECT_TCB:
        return seL4_TCBBits;
    case KOBJECT_CNODE:
        return seL4_SlotBits + objectSize;
    case KOBJECT_CSLOT:
        return 0;
    case KOBJECT_UNTYPED:
        return objectSize;
    case KOBJECT_ENDPOINT:
        return seL4_EndpointBits;
    case KOBJECT_NOTIFICATION:
        /* Upstream answers seL4_EndpointBits here too; kept for the same results. */
        return seL4_EndpointBits;
    default:
        return arch_kobject_get_size(type, objectSize);
    }
}

/* The seL4 object type (as Untyped_Retype takes it) of a kind and size. */
static inline seL4_Word kobject_get_type(kobject_t type, seL4_Word objectSize)
{
    switch (type) {
    case KOBJECT_TCB:
        return seL4_TCBObject;
    case KOBJECT_CNODE:
        return seL4_CapTableObject;
    case KOBJECT_CSLOT:
        return (seL4_Word) -1;
    case KOBJECT_UNTYPED:
        return seL4_UntypedObject;
    case KOBJECT_ENDPOINT:
        return seL4_EndpointObject;
    case KOBJECT_NOTIFICATION:
        return seL4_NotificationObject;
    default:
        return arch_kobject_get_type(type, objectSize);
    }
}
