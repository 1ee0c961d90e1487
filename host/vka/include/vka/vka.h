/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Host-build copy of seL4_libs' <vka/vka.h>, written from upstream's API
 * (libsel4vka/include/vka/vka.h): the same function-pointer types, the same vka_t
 * members in the same order, the same inline wrappers with the same results. A real
 * seL4 build uses upstream's header instead of this one; code written against this one
 * must therefore use nothing that upstream lacks.
 *
 * Upstream logs through zf_log on a NULL argument; this copy returns the same error
 * values silently, since the host build has no zf_log.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <vka/cspacepath_t.h>

/* Allocate a slot: 0 on success, the slot's cptr in *res. */
typedef int (*vka_cspace_alloc_fn)(void *data, seL4_CPtr *res);

/* Turn a slot from cspace_alloc into a path for invocations such as Untyped_Retype. */
typedef void (*vka_cspace_make_path_fn)(void *data, seL4_CPtr slot, cspacepath_t *res);

/* Give back a slot from cspace_alloc; the caller has emptied it first. */
typedef void (*vka_cspace_free_fn)(void *data, seL4_CPtr slot);

/*
 * Retype a piece of untyped into one object of (type, size_bits as Untyped_Retype takes
 * them) placed in the empty slot dest. 0 on success, and *res is a cookie for free/paddr.
 */
typedef int (*vka_utspace_alloc_fn)(void *data, const cspacepath_t *dest, seL4_Word type,
                                    seL4_Word size_bits, seL4_Word *res);

/* As vka_utspace_alloc_fn, for an object that starts at physical address paddr. */
typedef int (*vka_utspace_alloc_at_fn)(void *data, const cspacepath_t *dest, seL4_Word type,
                                       seL4_Word size_bits, uintptr_t paddr, seL4_Word *cookie);

/* As vka_utspace_alloc_fn; can_use_dev allows device untyped instead of RAM. */
typedef int (*vka_utspace_alloc_maybe_device_fn)(void *data, const cspacepath_t *dest,
                                                 seL4_Word type, seL4_Word size_bits,
                                                 bool can_use_dev, seL4_Word *res);

/*
 * Give back the untyped behind an object. The caller has already destroyed the object
 * (deleted every capability to it).
 */
typedef void (*vka_utspace_free_fn)(void *data, seL4_Word type, seL4_Word size_bits,
                                    seL4_Word target);

/* Physical address of an object, or VKA_NO_PADDR. */
typedef uintptr_t (*vka_utspace_paddr_fn)(void *data, seL4_Word target, seL4_Word type,
                                          seL4_Word size_bits);

/* Never a valid paddr of an object (objects are at least 16-byte aligned). */
#define VKA_NO_PADDR 1

/* The generic kernel-object allocator interface: an implementation fills the members. */
typedef struct vka {
    void *data;
    vka_cspace_alloc_fn cspace_alloc;
    vka_cspace_make_path_fn cspace_make_path;
    vka_utspace_alloc_fn utspace_alloc;
    vka_utspace_alloc_maybe_device_fn utspace_alloc_maybe_device;
    vka_utspace_alloc_at_fn utspace_alloc_at;
    vka_cspace_free_fn cspace_free;
    vka_utspace_free_fn utspace_free;
    vka_utspace_paddr_fn utspace_paddr;
} vka_t;

static inline int vka_cspace_alloc(vka_t *vka, seL4_CPtr *res)
{
    if (!vka || !res || !vka->cspace_alloc) {
        return -1;
    }
    return vka->cspace_alloc(vka->data, res);
}

/* Upstream treats a NULL argument here as fatal (ZF_LOGF); so do we. */
static inline void vka_cspace_make_path(vka_t *vka, seL4_CPtr slot, cspacepath_t *res)
{
    if (!vka || !res || !vka->cspace_make_path) {
        __builtin_trap();
    }
    vka->cspace_make_path(vka->data, slot, res);
}

static inline int vka_cspace_alloc_path(vka_t *vka, cspacepath_t *res)
{
    seL4_CPtr slot;
    int error = vka_cspace_alloc(vka, &slot);

    if (error == seL4_NoError) {
        vka_cspace_make_path(vka, slot, res);
    }
    return error;
}

static inline void vka_cspace_free(vka_t *vka, seL4_CPtr slot)
{
    if (!vka->cspace_free) {
        return;
    }
    vka->cspace_free(vka->data, slot);
}

static inline void vka_cspace_free_path(vka_t *vka, cspacepath_t path)
{
    vka_cspace_free(vka, path.capPtr);
}

static inline int vka_utspace_alloc(vka_t *vka, const cspacepath_t *dest, seL4_Word type,
                                    seL4_Word size_bits, seL4_Word *res)
{
    if (!vka || !res || !vka->utspace_alloc) {
        return -1;
    }
    return vka->utspace_alloc(vka->data, dest, type, size_bits, res);
}

static inline int vka_utspace_alloc_maybe_device(vka_t *vka, const cspacepath_t *dest,
                                                 seL4_Word type, seL4_Word size_bits,
                                                 bool can_use_dev, seL4_Word *res)
{
    if (!vka || !res || !vka->utspace_alloc_maybe_device) {
        return -1;
    }
    return vka->utspace_alloc_maybe_device(vka->data, dest, type, size_bits, can_use_dev, res);
}

static inline int vka_utspace_alloc_at(vka_t *vka, const cspacepath_t *dest, seL4_Word type,
                                       seL4_Word size_bits, uintptr_t paddr, seL4_Word *cookie)
{
    if (!vka || !cookie || !vka->utspace_alloc_at) {
        return -1;
    }
    return vka->utspace_alloc_at(vka->data, dest, type, size_bits, paddr, cookie);
}

/* Upstream makes a missing utspace_free fatal unless leaks are allowed; we return. */
static inline void vka_utspace_free(vka_t *vka, seL4_Word type, seL4_Word size_bits,
                                    seL4_Word target)
{
    if (!vka || !vka->utspace_free) {
        return;
    }
    vka->utspace_free(vka->data, type, size_bits, target);
}

static inline uintptr_t vka_utspace_paddr(vka_t *vka, seL4_Word target, seL4_Word type,
                                          seL4_Word size_bits)
{
    if (!vka || !vka->utspace_paddr) {
        return VKA_NO_PADDR;
    }
    return vka->utspace_paddr(vka->data, target, type, size_bits);
}
