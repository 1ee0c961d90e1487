/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * What the backend remembers of one pool to refresh it or give it back. Plain integers, so
 * that the seL4-free pool set can hold it without seeing a libsel4 type.
 */
#pragma once

#include <stdint.h>

struct cb_pool_backing {
    uint64_t paddr;      /* physical address of frame 0 */
    uintptr_t first;     /* cptr of frame 0; frame i is first + i */
    uintptr_t ut_slot;   /* cptr of the pool's untyped cap */
    uintptr_t ut_cookie; /* the parent's cookie for that untyped */
    uintptr_t cn_slot;   /* CNODE strategy: first-level slot of the pool's CNode */
    uintptr_t cn_cookie; /* CNODE strategy: the parent's cookie for that CNode */
};
