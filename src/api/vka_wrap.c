/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A vka_t over CapBuddy: 4 KiB frames from pools, everything else from the parent.
 */
#include <capbuddy/vka_pool.h>

#include <vka/kobject_t.h>

#include "internal.h"

/* Cookies of pool frames carry the pool cap's cptr with this tag, so utspace_free and
 * utspace_paddr tell them from the parent's (allocman's cookies are pointers or indices;
 * the top bit is never set in either). */
#define POOL_TAG ((seL4_Word)1 << (seL4_WordBits - 1))

static int wrap_cspace_alloc(void *data, seL4_CPtr *res)
{
    struct capbuddy_vka *w = data;
    return vka_cspace_alloc(&w->parent, res);
}

static void wrap_cspace_make_path(void *data, seL4_CPtr slot, cspacepath_t *res)
{
    struct capbuddy_vka *w = data;
    vka_cspace_make_path(&w->parent, slot, res);
}

static void wrap_cspace_free(void *data, seL4_CPtr slot)
{
    struct capbuddy_vka *w = data;
    vka_cspace_free(&w->parent, slot);
}

static bool is_pool_frame(seL4_Word type, seL4_Word size_bits)
{
    return size_bits == seL4_PageBits && type == kobject_get_type(KOBJECT_FRAME, seL4_PageBits);
}

/* Give back a run this wrapper took and never handed out: straight into its pool's tree
 * (no one held a copy, so there is nothing to revoke; the frame's dirty bit is unchanged). */
static void unalloc(capbuddy_t *cb, struct cb_pool *p, unsigned long index)
{
    (void)cb_tree_free(&p->tree, index, 0); /* allocated at order 0 just now: cannot fail */
    p->nlive -= 1;
    cb_poolset_rebucket(&cb->set, p);
    if (p->nlive == 0) {
        cb_poolset_emptied(&cb->set, p);
    }
}

/*
 * Upstream's frames come fresh from a retype and read zero, and seL4_libs relies on it
 * (sel4utils_elf_load leaves a segment's .bss to the kernel's zeroing). A pool frame that
 * went out before may hold its last owner's data: the scrub hook zeroes it now. 0: the frame
 * reads zero. -1: it is dirty and was not zeroed (no hook, the hook failed, or it is device
 * memory, which is never written to: upstream's device frames are not zeroed either).
 */
static int zero_frame(capbuddy_t *cb, struct cb_pool *p, unsigned long index)
{
    if (!cb_pool_dirty_test(p, index)) {
        return 0;
    }
    if (p->devmem) {
        return 0; /* as upstream: device frames hold what the device holds */
    }
    if (!cb->cfg.scrub || cb->cfg.scrub(cb->cfg.scrub_cookie, (seL4_CPtr)(p->b.first + index))) {
        return -1;
    }
    cb_pool_dirty_set(p, index, 0, false);
    cb->frames_zeroed++;
    return 0;
}

/* Serve a frame from a pool into dest: allocate, zero it if it went out before, copy the cap,
 * keep the original. A dirty frame that cannot be zeroed goes back unused and the parent
 * serves the request (its retype zeroes), unless the request named an address (BUSY). */
static int pool_frame(struct capbuddy_vka *w, const cspacepath_t *dest, uint64_t paddr,
                      bool can_use_dev, seL4_Word *res)
{
    cspacepath_t run;
    cb_api_drain_hot(w->cb); /* the hot frame went out before: its drain marks it dirty */
    int err = cb_api_alloc_copied(w->cb, seL4_PageBits, paddr, can_use_dev, &run);
    if (err) {
        return err;
    }
    struct cb_pool *p = cb_poolset_by_cptr(&w->cb->set, run.capPtr);
    unsigned long index = (unsigned long)(run.capPtr - p->b.first);
    if (zero_frame(w->cb, p, index) != 0) {
        unalloc(w->cb, p, index);
        w->cb->zero_fallbacks++;
        if (paddr != VKA_NO_PADDR) {
            return CAPBUDDY_ERR_BUSY;
        }
        seL4_Word type = kobject_get_type(KOBJECT_FRAME, seL4_PageBits);
        return vka_utspace_alloc_maybe_device(&w->parent, dest, type, seL4_PageBits, can_use_dev,
                                              res);
    }
    w->cb->be.others++; /* counted with CapBuddy's own invocations (stats.kernel_calls) */
    seL4_Error kerr =
        seL4_CNode_Copy(dest->root, dest->capPtr, (seL4_Uint8)dest->capDepth, run.root, run.capPtr,
                        (seL4_Uint8)run.capDepth, seL4_AllRights);
    if (kerr != seL4_NoError) {
        unalloc(w->cb, p, index); /* no copy exists: nothing to revoke */
        return CAPBUDDY_ERR_KERNEL;
    }
    *res = POOL_TAG | run.capPtr;
    return 0;
}

static int wrap_utspace_alloc(void *data, const cspacepath_t *dest, seL4_Word type,
                              seL4_Word size_bits, seL4_Word *res)
{
    struct capbuddy_vka *w = data;
    if (is_pool_frame(type, size_bits)) {
        return pool_frame(w, dest, VKA_NO_PADDR, false, res);
    }
    return vka_utspace_alloc(&w->parent, dest, type, size_bits, res);
}

static int wrap_utspace_alloc_maybe_device(void *data, const cspacepath_t *dest, seL4_Word type,
                                           seL4_Word size_bits, bool can_use_dev, seL4_Word *res)
{
    struct capbuddy_vka *w = data;
    if (is_pool_frame(type, size_bits)) {
        return pool_frame(w, dest, VKA_NO_PADDR, can_use_dev, res);
    }
    return vka_utspace_alloc_maybe_device(&w->parent, dest, type, size_bits, can_use_dev, res);
}

static int wrap_utspace_alloc_at(void *data, const cspacepath_t *dest, seL4_Word type,
                                 seL4_Word size_bits, uintptr_t paddr, seL4_Word *cookie)
{
    struct capbuddy_vka *w = data;
    if (is_pool_frame(type, size_bits)) {
        return pool_frame(w, dest, paddr, true, cookie);
    }
    return vka_utspace_alloc_at(&w->parent, dest, type, size_bits, paddr, cookie);
}

static void wrap_utspace_free(void *data, seL4_Word type, seL4_Word size_bits, seL4_Word target)
{
    struct capbuddy_vka *w = data;
    if (is_pool_frame(type, size_bits) && (target & POOL_TAG)) {
        (void)capbuddy_free(w->cb, (seL4_CPtr)(target & ~POOL_TAG), size_bits);
        return;
    }
    vka_utspace_free(&w->parent, type, size_bits, target);
}

static uintptr_t wrap_utspace_paddr(void *data, seL4_Word target, seL4_Word type,
                                    seL4_Word size_bits)
{
    struct capbuddy_vka *w = data;
    if (is_pool_frame(type, size_bits) && (target & POOL_TAG)) {
        uint64_t pa = capbuddy_paddr(w->cb, (seL4_CPtr)(target & ~POOL_TAG));
        return pa == VKA_NO_PADDR || (uint64_t)(uintptr_t)pa != pa ? VKA_NO_PADDR : (uintptr_t)pa;
    }
    return vka_utspace_paddr(&w->parent, target, type, size_bits);
}

/* From now on TRUST's frees are tracked; what went out before was not, so under TRUST every
 * frame of the pools held so far counts as dirty (the other policies mark their frames when
 * they clean their quarantine, always). */
static void track_dirty(capbuddy_t *cb)
{
    if (cb->track_dirty) {
        return;
    }
    cb->track_dirty = true;
    if (cb->cfg.policy != CAPBUDDY_POLICY_TRUST) {
        return;
    }
    struct cb_pool_iter it;
    struct cb_pool *p;
    cb_poolset_for_each(&cb->set, CB_WALK_ALL, it, p)
    {
        cb_pool_dirty_reset(p, true);
    }
}

void capbuddy_vka_make(struct capbuddy_vka *state, capbuddy_t *cb, const vka_t *parent, vka_t *out)
{
    track_dirty(cb);
    state->cb = cb;
    state->parent = *parent;
    out->data = state;
    out->cspace_alloc = wrap_cspace_alloc;
    out->cspace_make_path = wrap_cspace_make_path;
    out->utspace_alloc = wrap_utspace_alloc;
    out->utspace_alloc_maybe_device = wrap_utspace_alloc_maybe_device;
    out->utspace_alloc_at = wrap_utspace_alloc_at;
    out->cspace_free = wrap_cspace_free;
    out->utspace_free = wrap_utspace_free;
    out->utspace_paddr = wrap_utspace_paddr;
}
