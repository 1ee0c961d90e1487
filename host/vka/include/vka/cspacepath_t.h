/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Host-build copy of seL4_libs' <vka/cspacepath_t.h>, written from upstream's API
 * (libsel4vka/include/vka/cspacepath_t.h): same type name, same members in the same
 * order, same meaning. A real seL4 build uses upstream's header instead of this one.
 */
#pragma once

#include <sel4/sel4.h>

/*
 * A slot (or, with window > 1, a run of consecutive slots) in a cspace, in the two
 * forms seL4 invocations want it:
 * - capPtr/capDepth: the slot addressed from the root CNode, as CNode_Delete and
 *   friends take it (service root, index capPtr, depth capDepth bits);
 * - root/dest/destDepth/offset: the CNode that holds the slot (dest, resolved from root
 *   with destDepth bits; destDepth 0 means root itself) and the slot's index in it, as
 *   Untyped_Retype takes its destination.
 * window: how many consecutive slots, starting at capPtr/offset, the path stands for.
 */
typedef struct _cspacepath_t {
    seL4_CPtr capPtr;
    seL4_Word capDepth;
    seL4_CNode root;
    seL4_Word dest;
    seL4_Word destDepth;
    seL4_Word offset;
    seL4_Word window;
} cspacepath_t;

static inline void cspacepath_swap(cspacepath_t *a, cspacepath_t *b)
{
    cspacepath_t tmp = *a;
    *a = *b;
    *b = tmp;
}
