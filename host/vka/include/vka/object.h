/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Host-build copy of seL4_libs' <vka/object.h> (with its arch parts), written from
 * upstream's API: vka_object_t with the same members, and the object allocation and
 * free helpers that unmodified seL4 code commonly calls, with upstream's semantics:
 * one cspace_alloc plus one utspace_alloc* per object, and per free one CNode_Delete
 * (its error ignored, as upstream does), then cspace_free and utspace_free.
 * A real seL4 build uses upstream's header instead of this one.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sel4/sel4.h>
#include <vka/vka.h>
#include <vka/kobject_t.h>

/* One allocated object: its cap, the untyped cookie, and what free needs to know. */
typedef struct vka_object {
    seL4_CPtr cptr;
    seL4_Word ut;
    seL4_Word type;
    seL4_Word size_bits;
} vka_object_t;

/*
 * Allocate a slot, then retype an object into it, at paddr unless paddr is VKA_NO_PADDR.
 * On error the slot is given back and *result is zeroed.
 */
static inline int vka_alloc_object_at_maybe_dev(vka_t *vka, seL4_Word type, seL4_Word size_bits,
                                                uintptr_t paddr, bool can_use_dev,
                                                vka_object_t *result)
{
    int error = -1;
    cspacepath_t path;

    if (!(type < seL4_ObjectTypeCount)) {
        result->cptr = 0;
        goto error;
    }
    error = vka_cspace_alloc(vka, &result->cptr);
    if (error) {
        result->cptr = 0;
        goto error;
    }
    vka_cspace_make_path(vka, result->cptr, &path);
    if (paddr == VKA_NO_PADDR) {
        error = vka_utspace_alloc_maybe_device(vka, &path, type, size_bits, can_use_dev,
                                               &result->ut);
    } else {
        error = vka_utspace_alloc_at(vka, &path, type, size_bits, paddr, &result->ut);
    }
    if (error) {
        goto error;
    }
    result->type = type;
    result->size_bits = size_bits;
    return 0;

error:
    if (result->cptr) {
        vka_cspace_free(vka, result->cptr);
    }
    memset(result, 0, sizeof(*result));
    return error;
}

static inline int vka_alloc_object_at(vka_t *vka, seL4_Word type, seL4_Word size_bits,
                                      uintptr_t paddr, vka_object_t *result)
{
    return vka_alloc_object_at_maybe_dev(vka, type, size_bits, paddr, false, result);
}

static inline int vka_alloc_object(vka_t *vka, seL4_Word type, seL4_Word size_bits,
                                   vka_object_t *result)
{
    return vka_alloc_object_at(vka, type, size_bits, VKA_NO_PADDR, result);
}

/* Allocate and forget the bookkeeping: the object can then never be freed. 0 on error. */
static inline seL4_CPtr vka_alloc_object_leaky(vka_t *vka, seL4_Word type, seL4_Word size_bits)
{
    vka_object_t result = { .cptr = 0, .ut = 0, .type = 0, .size_bits = 0 };
    return vka_alloc_object(vka, type, size_bits, &result) ? 0 : result.cptr;
}

/* Delete the cap (errors ignored, as upstream), give back the slot, then the untyped. */
static inline void vka_free_object(vka_t *vka, vka_object_t *object)
{
    cspacepath_t path;

    vka_cspace_make_path(vka, object->cptr, &path);
    if (path.capPtr == 0) {
        return;
    }
    (void) seL4_CNode_Delete(path.root, path.capPtr, (uint8_t) path.capDepth);
    vka_cspace_free(vka, object->cptr);
    vka_utspace_free(vka, object->type, object->size_bits, object->ut);
}

static inline uintptr_t vka_object_paddr(vka_t *vka, vka_object_t *object)
{
    return vka_utspace_paddr(vka, object->ut, object->type, object->size_bits);
}

static inline int vka_alloc_untyped(vka_t *vka, uint32_t size_bits, vka_object_t *result)
{
    return vka_alloc_object(vka, seL4_UntypedObject, size_bits, result);
}

static inline int vka_alloc_untyped_at(vka_t *vka, uint32_t size_bits, uintptr_t paddr,
                                       vka_object_t *result)
{
    return vka_alloc_object_at(vka, seL4_UntypedObject, size_bits, paddr, result);
}

static inline int vka_alloc_tcb(vka_t *vka, vka_object_t *result)
{
    return vka_alloc_object(vka, seL4_TCBObject, seL4_TCBBits, result);
}

static inline int vka_alloc_endpoint(vka_t *vka, vka_object_t *result)
{
    return vka_alloc_object(vka, seL4_EndpointObject, seL4_EndpointBits, result);
}

static inline int vka_alloc_notification(vka_t *vka, vka_object_t *result)
{
    return vka_alloc_object(vka, seL4_NotificationObject, seL4_NotificationBits, result);
}

static inline int vka_alloc_cnode_object(vka_t *vka, uint32_t slot_bits, vka_object_t *result)
{
    return vka_alloc_object(vka, seL4_CapTableObject, slot_bits, result);
}

static inline int vka_alloc_frame(vka_t *vka, uint32_t size_bits, vka_object_t *result)
{
    return vka_alloc_object(vka, kobject_get_type(KOBJECT_FRAME, size_bits), size_bits, result);
}

static inline int vka_alloc_frame_maybe_device(vka_t *vka, uint32_t size_bits, bool can_use_dev,
                                               vka_object_t *result)
{
    return vka_alloc_object_at_maybe_dev(vka, kobject_get_type(KOBJECT_FRAME, size_bits),
                                         size_bits, VKA_NO_PADDR, can_use_dev, result);
}

static inline int vka_alloc_frame_at(vka_t *vka, uint32_t size_bits, uintptr_t paddr,
                                     vka_object_t *result)
{
    return vka_alloc_object_at(vka, kobject_get_type(KOBJECT_FRAME, size_bits), size_bits,
                               paddr, result);
}

static inline int vka_alloc_page_table(vka_t *vka, vka_object_t *result)
{
    return vka_alloc_object(vka, kobject_get_type(KOBJECT_PAGE_TABLE, 0), seL4_PageTableBits,
                            result);
}

static inline int vka_alloc_kobject(vka_t *vka, kobject_t type, seL4_Word size_bits,
                                    vka_object_t *result)
{
    return vka_alloc_object(vka, kobject_get_type(type, size_bits), size_bits, result);
}

static inline seL4_CPtr vka_alloc_frame_leaky(vka_t *vka, uint32_t size_bits)
{
    vka_object_t object;
    return vka_alloc_frame(vka, size_bits, &object) ? 0 : object.cptr;
}

/* Architecture part of vka_get_object_size; (unsigned long)-1 for an unknown type. */
static inline unsigned long vka_arch_get_object_size(seL4_Word objectType)
{
    switch (objectType) {
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_IA32)
    case seL4_X86_4K:
        return seL4_PageBits;
    case seL4_X86_LargePageObject:
        return seL4_LargePageBits;
    case seL4_X86_PageTableObject:
        return seL4_PageTableBits;
    case seL4_X86_PageDirectoryObject:
        return seL4_PageDirBits;
#if defined(CONFIG_ARCH_X86_64)
    case seL4_X64_HugePageObject:
        return seL4_HugePageBits;
    case seL4_X86_PDPTObject:
        return seL4_PDPTBits;
    case seL4_X64_PML4Object:
        return seL4_PML4Bits;
#endif
#elif defined(CONFIG_ARCH_AARCH64)
    case seL4_ARM_SmallPageObject:
        return seL4_PageBits;
    case seL4_ARM_LargePageObject:
        return seL4_LargePageBits;
    case seL4_ARM_HugePageObject:
        return seL4_HugePageBits;
    case seL4_ARM_PageTableObject:
        return seL4_PageTableBits;
    case seL4_ARM_VSpaceObject:
        return seL4_VSpaceBits;
#endif
    default:
        return (unsigned long) -1;
    }
}

/*
 * Size in bits of the untyped memory an object of (type, size as Untyped_Retype takes
 * it) occupies.
 */
static inline unsigned long vka_get_object_size(seL4_Word objectType, seL4_Word objectSize)
{
    switch (objectType) {
    case seL4_UntypedObject:
        return objectSize;
    case seL4_TCBObject:
        return seL4_TCBBits;
    case seL4_EndpointObject:
        return seL4_EndpointBits;
    case seL4_NotificationObject:
        return seL4_NotificationBits;
    case seL4_CapTableObject:
        return seL4_SlotBits + objectSize;
    default:
        return vka_arch_get_object_size(objectType);
    }
}
