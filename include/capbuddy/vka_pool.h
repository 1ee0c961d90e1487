/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The original CapBuddy's three vka entry points, with their original names, signatures and
 * meanings, over a capbuddy_t passed as `data`. Opt-in: define CAPBUDDY_VKA_POOL_OPERATIONS
 * (the CMake option CAPBUDDY_VKA_POOL_OPERATIONS / LibCapBuddyPoolOperations does) to get
 * them; they can be stored in the three extra members of the original fork's vka_t.
 *
 * And a vka_t wrapper, for code that only knows upstream's vka_t: frames requested through
 * vka_alloc_frame / vka_alloc_object (4 KiB frames) come from pools, everything else goes to
 * the parent.
 */
#pragma once

#include <capbuddy/capbuddy.h>

#ifdef CAPBUDDY_VKA_POOL_OPERATIONS
/* Allocate 2^(size_bits - 12) frames; paddr is VKA_NO_PADDR for any. 0 or a CAPBUDDY_ERR_*. */
int utspace_try_alloc_from_pool(void *data, seL4_Word size_bits, uintptr_t paddr, bool can_use_dev,
                                cspacepath_t *res);
/* Free 2^num_bits frames from cptr. A refused free is logged and changes nothing. */
void utspace_try_free_from_pool(void *data, seL4_CPtr cptr, size_t num_bits);
/* 1 when all 2^num_bits frames from cptr lie in one of this allocator's pools, else 0. */
int cspace_is_from_pool(void *data, seL4_CPtr cptr, size_t num_bits);
#endif

/*
 * The wrapper: *out becomes a vka_t whose utspace_alloc serves 4 KiB frame objects from `cb`
 * by copying a pool frame cap into the slot the caller chose (one seL4_CNode_Copy; upstream's
 * vka_alloc_object picks the slot, so a copy is the cheapest way to honour it), and whose
 * utspace_free returns the run; all else goes to `parent`. `state` must outlive `out`.
 *
 * What a caller gets, against upstream vka over allocman:
 * - Every RAM frame reads zero, as upstream's (fresh from a retype) do; seL4_libs relies on it
 *   (sel4utils_elf_load leaves a segment's .bss to the kernel's zeroing). A frame fresh from a
 *   pool's retype or refresh needs nothing; a reused one is zeroed by the allocator's scrub
 *   hook (struct capbuddy_config's scrub: give it capbuddy_scrub_frame, capbuddy/scrub.h,
 *   which maps, clears and unmaps it through a window of your vspace) before its cap is
 *   copied. Without a hook, or when the hook fails, a reused frame is not handed out: it goes
 *   back to its pool untouched and the parent serves the request with a fresh frame (a request
 *   at a physical address then fails: CAPBUDDY_ERR_BUSY). The statistics count both
 *   (frames_zeroed, zero_fallbacks). Device frames are never written (they may be device
 *   registers): they hold what the device holds, as upstream's do.
 * - The cap in the caller's slot is a copy of the pool's cap, not a child. On seL4 a copy is
 *   not the parent of further copies, so seL4_CNode_Revoke (vka_cnode_revoke) on it does not
 *   delete copies the caller made from it, as it would on a cap fresh from allocman's retype.
 *   vka_free_object deletes the caller's copy (as it always does); under REVOKE and SCRUB the
 *   allocator then revokes the pool's cap before the frame is reused, which deletes every
 *   copy made from either cap; under TRUST the caller must have deleted them. Code that
 *   relies on revoking its frame cap to reach its own copies should use the native API
 *   (capbuddy_alloc hands out the pool's caps, whose revoke reaches everything derived).
 * - A frame cap from the wrapper can be mapped, copied and freed like upstream's;
 *   vka_utspace_paddr gives its physical address.
 */
struct capbuddy_vka {
    capbuddy_t *cb;
    vka_t parent;
};
void capbuddy_vka_make(struct capbuddy_vka *state, capbuddy_t *cb, const vka_t *parent, vka_t *out);
