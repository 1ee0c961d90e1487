/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The seL4 backend: libsel4 invocations plus a parent vka for untypeds and the untyped's slot.
 */
#include "backend.h"

#include <capbuddy/capbuddy.h>
#include <vka/kobject_t.h>

/* The arch's frame unmap and address query (names from libsel4's generated client). */
#if defined(CONFIG_ARCH_X86)
#define CB_PAGE_UNMAP        seL4_X86_Page_Unmap
#define CB_PAGE_GETADDRESS   seL4_X86_Page_GetAddress
#define CB_PAGE_GETADDRESS_T seL4_X86_Page_GetAddress_t
#elif defined(CONFIG_ARCH_ARM)
#define CB_PAGE_UNMAP        seL4_ARM_Page_Unmap
#define CB_PAGE_GETADDRESS   seL4_ARM_Page_GetAddress
#define CB_PAGE_GETADDRESS_T seL4_ARM_Page_GetAddress_t
#elif defined(CONFIG_ARCH_RISCV)
#define CB_PAGE_UNMAP        seL4_RISCV_Page_Unmap
#define CB_PAGE_GETADDRESS   seL4_RISCV_Page_GetAddress
#define CB_PAGE_GETADDRESS_T seL4_RISCV_Page_GetAddress_t
#else
#error "CapBuddy: unsupported architecture"
#endif

/* The untyped's cap sits in a slot of the parent's cspace: address it the parent's way. */
static cspacepath_t ut_path(struct cb_backend *be, seL4_CPtr ut)
{
    cspacepath_t path;
    vka_cspace_make_path(be->parent, ut, &path);
    return path;
}

static seL4_Error ut_revoke(struct cb_backend *be, seL4_CPtr ut)
{
    cspacepath_t path = ut_path(be, ut);
    be->revokes++;
    return seL4_CNode_Revoke(path.root, path.capPtr, (seL4_Uint8)path.capDepth);
}

/* Undo the parent's half of a pool: delete the untyped cap, return memory and slot. Only
 * when the cap is really gone: a parent given the slot of a live cap hands out a full slot,
 * and counts memory free that the cap still covers. */
static seL4_Error release_untyped(struct cb_backend *be, seL4_CPtr ut, seL4_Word cookie,
                                  unsigned size_order)
{
    cspacepath_t path = ut_path(be, ut);
    be->deletes++;
    seL4_Error err = seL4_CNode_Delete(path.root, path.capPtr, (seL4_Uint8)path.capDepth);
    if (err != seL4_NoError) {
        return err;
    }
    vka_utspace_free(be->parent, seL4_UntypedObject, size_order + seL4_PageBits, cookie);
    vka_cspace_free(be->parent, ut);
    return seL4_NoError;
}

/* Retype the frames in fan-out sized batches. On failure the caller revokes the untyped. */
static int retype_frames(struct cb_backend *be, const struct cb_pool_backing *b,
                         unsigned size_order)
{
    seL4_Word type = kobject_get_type(KOBJECT_FRAME, seL4_PageBits);
    seL4_Word n = (seL4_Word)1 << size_order;
    /* RANGE: node_depth 0 makes the root itself the destination (decodeUntypedInvocation);
     * CNODE: the pool's CNode, in its first-level slot. */
    seL4_Word node = be->cnode_per_pool ? b->cn_slot : 0;
    seL4_Word depth = be->cnode_per_pool ? seL4_WordBits - be->l2_bits : 0;
    seL4_Word offset = be->cnode_per_pool ? 0 : b->first;
    for (seL4_Word done = 0; done < n;) {
        seL4_Word batch = n - done < be->fan_out ? n - done : be->fan_out;
        be->retypes++;
        seL4_Error err = seL4_Untyped_Retype(b->ut_slot, type, seL4_PageBits, be->root, node, depth,
                                             offset + done, batch);
        if (err != seL4_NoError) {
            return CAPBUDDY_ERR_KERNEL;
        }
        done += batch;
    }
    return CAPBUDDY_OK;
}

/* CNODE strategy: a pool of 2^size_order frames lives in a CNode of 2^cnode_bits slots; the
 * kernel makes no CNode of one slot (radix 0), so a one-frame pool gets two. */
static unsigned cnode_bits(unsigned size_order)
{
    return size_order ? size_order : 1;
}

/* CNODE strategy: a CNode for a pool of 2^size_order frames in first-level slot l1, with a
 * guard that makes it resolve l2_bits. The parent retypes it into a slot of its own; a
 * Mutate moves it into place with the guard (a retype cannot set one). If the Mutate fails
 * and so does the Delete that undoes the retype, the CNode lives on in the parent's slot:
 * that slot and the CNode's memory are kept (counted), never handed back while it lives. */
static int make_cnode(struct cb_backend *be, unsigned size_order, seL4_Word l1, seL4_Word *cookie)
{
    unsigned bits = cnode_bits(size_order);
    seL4_CPtr tmp;
    if (vka_cspace_alloc(be->parent, &tmp)) {
        return CAPBUDDY_ERR_NO_SLOTS;
    }
    cspacepath_t path;
    vka_cspace_make_path(be->parent, tmp, &path);
    if (vka_utspace_alloc(be->parent, &path, seL4_CapTableObject, bits, cookie)) {
        vka_cspace_free(be->parent, tmp);
        return CAPBUDDY_ERR_NO_MEMORY;
    }
    seL4_Word data = seL4_CNode_CapData_new(0, be->l2_bits - bits).words[0];
    be->others++;
    seL4_Error err = seL4_CNode_Mutate(be->root, l1, (seL4_Uint8)(seL4_WordBits - be->l2_bits),
                                       path.root, path.capPtr, (seL4_Uint8)path.capDepth, data);
    if (err == seL4_NoError) {
        vka_cspace_free(be->parent, tmp); /* empty: the cap moved to l1 */
        return CAPBUDDY_OK;
    }
    be->deletes++;
    if (seL4_CNode_Delete(path.root, path.capPtr, (seL4_Uint8)path.capDepth) != seL4_NoError) {
        be->kept_parent++;
        return CAPBUDDY_ERR_KERNEL;
    }
    vka_utspace_free(be->parent, seL4_CapTableObject, bits, *cookie);
    vka_cspace_free(be->parent, tmp);
    return CAPBUDDY_ERR_KERNEL;
}

/* Delete a pool's CNode and give its memory back; an error if the Delete failed (the CNode
 * and its memory then stay). */
static seL4_Error release_cnode(struct cb_backend *be, seL4_Word l1, seL4_Word cookie,
                                unsigned size_order)
{
    be->deletes++;
    seL4_Error err = seL4_CNode_Delete(be->root, l1, (seL4_Uint8)(seL4_WordBits - be->l2_bits));
    if (err != seL4_NoError) {
        return err;
    }
    vka_utspace_free(be->parent, seL4_CapTableObject, cnode_bits(size_order), cookie);
    return seL4_NoError;
}

/* Where frame 0 goes: a range of the slot window (RANGE) or a first-level slot (CNODE).
 * Bookkeeping only; the CNode comes later, once the untyped is known to exist. */
static int take_slots(struct cb_backend *be, unsigned size_order, struct cb_pool_backing *out)
{
    uintptr_t at = cb_slots_take(&be->slots, be->cnode_per_pool ? 0 : size_order);
    if (at == (uintptr_t)-1) {
        return CAPBUDDY_ERR_NO_SLOTS;
    }
    out->first = at;
    out->cn_slot = 0;
    if (be->cnode_per_pool) {
        out->cn_slot = at;
        out->first = at << be->l2_bits;
    }
    return CAPBUDDY_OK;
}

/* Undo take_slots (no CNode made yet). */
static void untake_slots(struct cb_backend *be, const struct cb_pool_backing *b,
                         unsigned size_order)
{
    if (be->cnode_per_pool) {
        cb_slots_give(&be->slots, b->cn_slot, 0);
    } else {
        cb_slots_give(&be->slots, b->first, size_order);
    }
}

/* Give a pool's slots back. CNODE: only once its CNode is deleted; a CNode whose Delete
 * failed keeps its memory and its first-level slot (taken in the window for good, counted),
 * so that no later pool is put in a slot that is not empty: false then. */
static bool give_slots(struct cb_backend *be, const struct cb_pool_backing *b, unsigned size_order)
{
    if (be->cnode_per_pool) {
        if (release_cnode(be, b->cn_slot, b->cn_cookie, size_order) != seL4_NoError) {
            be->kept_l1++;
            return false;
        }
        cb_slots_give(&be->slots, b->cn_slot, 0);
    } else {
        cb_slots_give(&be->slots, b->first, size_order);
    }
    return true;
}

/* Ask the parent for the pool's untyped into a slot of its own: at paddr, or anywhere
 * (device memory allowed when device_ok). Nothing is left behind on failure. */
static int get_untyped(struct cb_backend *be, unsigned size_order, uint64_t paddr, bool device_ok,
                       struct cb_pool_backing *out)
{
    seL4_Word size_bits = size_order + seL4_PageBits;
    seL4_CPtr ut;
    if (vka_cspace_alloc(be->parent, &ut)) {
        return CAPBUDDY_ERR_NO_SLOTS;
    }
    cspacepath_t path = ut_path(be, ut);
    seL4_Word cookie = 0;
    int err;
    if (paddr != VKA_NO_PADDR) {
        if ((uint64_t)(uintptr_t)paddr != paddr) {
            err = -1; /* vka takes a uintptr_t paddr: unreachable from this word size */
        } else {
            err = vka_utspace_alloc_at(be->parent, &path, seL4_UntypedObject, size_bits,
                                       (uintptr_t)paddr, &cookie);
        }
    } else if (device_ok) {
        err = vka_utspace_alloc_maybe_device(be->parent, &path, seL4_UntypedObject, size_bits, true,
                                             &cookie);
    } else {
        err = vka_utspace_alloc(be->parent, &path, seL4_UntypedObject, size_bits, &cookie);
    }
    if (err) {
        vka_cspace_free(be->parent, ut);
        return paddr != VKA_NO_PADDR ? CAPBUDDY_ERR_PADDR : CAPBUDDY_ERR_NO_MEMORY;
    }
    out->ut_slot = ut;
    out->ut_cookie = cookie;
    return CAPBUDDY_OK;
}

/*
 * Decode before invoke: the slots are taken in the window (bookkeeping), then the untyped
 * is asked for (an alloc at an address the parent cannot give fails here, having changed no
 * capability), and only then is the pool's CNode made (CNODE) and the frames retyped.
 */
int cb_backend_make(struct cb_backend *be, unsigned size_order, uint64_t paddr, bool device_ok,
                    struct cb_pool_backing *out)
{
    seL4_Word size_bits = size_order + seL4_PageBits;
    int err = take_slots(be, size_order, out);
    if (err) {
        return err;
    }
    err = get_untyped(be, size_order, paddr, device_ok, out);
    if (err) {
        untake_slots(be, out, size_order);
        return err;
    }
    seL4_CPtr ut = out->ut_slot;
    seL4_Word cookie = out->ut_cookie;
    if (be->cnode_per_pool) {
        seL4_Word cn_cookie;
        err = make_cnode(be, size_order, out->cn_slot, &cn_cookie);
        if (err) {
            /* a fresh untyped with nothing derived from it: deleting its cap is all */
            (void)release_untyped(be, ut, cookie, size_order);
            untake_slots(be, out, size_order);
            return err;
        }
        out->cn_cookie = cn_cookie;
    }
    err = retype_frames(be, out, size_order);
    uintptr_t pa =
        err ? VKA_NO_PADDR : vka_utspace_paddr(be->parent, cookie, seL4_UntypedObject, size_bits);
    if (!err && pa == VKA_NO_PADDR) {
        /* the parent cannot say: ask the kernel; a pool with a wrong paddr must not exist */
        be->others++;
        CB_PAGE_GETADDRESS_T ga = CB_PAGE_GETADDRESS(out->first);
        err = ga.error != seL4_NoError ? CAPBUDDY_ERR_KERNEL : CAPBUDDY_OK;
        pa = (uintptr_t)ga.paddr;
    }
    if (err) {
        /* Frames of the batches that worked exist until the revoke. If it fails they live
         * on: the untyped must then stay with us (the parent would hand its memory out
         * again while they reach it); the parent's tear-down revokes it. */
        if (ut_revoke(be, ut) == seL4_NoError) {
            (void)release_untyped(be, ut, cookie, size_order);
        }
        (void)give_slots(be, out, size_order);
        return err;
    }
    out->paddr = pa;
    return CAPBUDDY_OK;
}

int cb_backend_refresh(struct cb_backend *be, const struct cb_pool_backing *b, unsigned size_order)
{
    if (ut_revoke(be, b->ut_slot) != seL4_NoError) {
        return CAPBUDDY_ERR_KERNEL;
    }
    return retype_frames(be, b, size_order);
}

int cb_backend_give_back(struct cb_backend *be, const struct cb_pool_backing *b,
                         unsigned size_order)
{
    if (ut_revoke(be, b->ut_slot) != seL4_NoError) {
        return CAPBUDDY_ERR_KERNEL;
    }
    if (release_untyped(be, b->ut_slot, b->ut_cookie, size_order) != seL4_NoError) {
        return CAPBUDDY_ERR_KERNEL; /* frames revoked, untyped kept: the caller refreshes */
    }
    (void)give_slots(be, b, size_order);
    return CAPBUDDY_OK;
}

int cb_backend_revoke_frame(struct cb_backend *be, seL4_CPtr frame, bool unmap)
{
    be->revokes++;
    if (seL4_CNode_Revoke(be->root, frame, (seL4_Uint8)seL4_WordBits) != seL4_NoError) {
        return CAPBUDDY_ERR_KERNEL;
    }
    if (!unmap) {
        return CAPBUDDY_OK;
    }
    be->unmaps++;
    return CB_PAGE_UNMAP(frame) == seL4_NoError ? CAPBUDDY_OK : CAPBUDDY_ERR_KERNEL;
}

int cb_backend_give_back_final(struct cb_backend *be, const struct cb_pool_backing *b,
                               unsigned size_order)
{
    int err = CAPBUDDY_OK;
    bool revoked = ut_revoke(be, b->ut_slot) == seL4_NoError;
    if (!revoked || release_untyped(be, b->ut_slot, b->ut_cookie, size_order) != seL4_NoError) {
        err = CAPBUDDY_ERR_KERNEL; /* the untyped, and what may be derived from it, stays */
    }
    /* CNODE: the CNode's memory is its own object's, not the untyped's: once the CNode is
     * deleted (with any frame cap still in it) nothing reaches that memory. RANGE: the
     * window's slots are empty only if the revoke took every frame cap. */
    if ((be->cnode_per_pool || revoked) && !give_slots(be, b, size_order)) {
        err = CAPBUDDY_ERR_KERNEL;
    }
    return err;
}
