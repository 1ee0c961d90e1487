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
 */
struct capbuddy_vka {
    capbuddy_t *cb;
    vka_t parent;
};
void capbuddy_vka_make(struct capbuddy_vka *state, capbuddy_t *cb, const vka_t *parent, vka_t *out);
