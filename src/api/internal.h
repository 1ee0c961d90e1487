/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Layer 4's private header: the allocator object and what the files of src/api share.
 */
#pragma once

#include <capbuddy/capbuddy.h>

#include "backend.h"
#include "cb_compiler.h"
#include "cb_tunables.h"
#include "poolset.h"

_Static_assert(CAPBUDDY_MAX_ORDER == CB_TREE_MAX_ORDER,
               "the public largest run must be the tree's order (CB_TREE_MAX_ORDER)");
_Static_assert(CB_PAGE_BITS == seL4_PageBits, "pools hold frames of seL4_PageBits");

#define MIN_BITS CB_PAGE_BITS
#define MAX_BITS (CB_PAGE_BITS + CB_TREE_MAX_ORDER)

struct capbuddy {
    /*
     * TRUST only: the last single RAM frame freed, not yet given back to its pool's tree.
     * A free/alloc ping-pong then costs no split and no merge (a lone frame in a lone pool
     * otherwise splits and merges all ten orders every pair). Every other operation first
     * finishes that free (cb_api_drain_hot), and the statistics count the frame as free, so
     * the deferral shows only in which frame an order-0 alloc returns (the hot one, LIFO).
     * The frame stays allocated in the tree and counted in its pool's nlive; its pool is
     * counted in nempty when the frame was its last.
     */
    struct cb_pool *hot_pool; /* NULL: no hot frame */
    unsigned long hot_index;
    /* vka wrapper: reused frames zeroed by the scrub hook before they went out, and frames
     * served by the parent because a reused one could not be zeroed */
    unsigned long frames_zeroed, zero_fallbacks;
    /* A vka wrapper was made over this allocator: TRUST's free into the tree marks frames
     * dirty (the only dirty marking on a fast path; without a wrapper no one reads it) */
    bool track_dirty;
    struct cb_poolset set;
    struct cb_backend be;
    struct capbuddy_config cfg;
};

/* Finish the deferred free of the hot frame, if any (alloc.c). */
void cb_api_drain_hot_slow(capbuddy_t *cb);
static inline void cb_api_drain_hot(capbuddy_t *cb)
{
    if (cb_unlikely(cb->hot_pool != NULL)) {
        cb_api_drain_hot_slow(cb);
    }
}

/* Fill the answer for 2^order frames from index of pool p: every field of it. */
static inline void cb_api_fill_path_inline(const capbuddy_t *cb, const struct cb_pool *p,
                                           unsigned long index, unsigned order, cspacepath_t *res)
{
    res->root = cb->cfg.cspace_root;
    res->capPtr = (seL4_CPtr)(p->b.first + index);
    res->capDepth = seL4_WordBits;
    if (cb->be.cnode_per_pool) {
        /* dest names the pool's CNode (its first-level slot), offset the slot in it */
        res->dest = (seL4_Word)p->b.cn_slot;
        res->destDepth = seL4_WordBits - cb->be.l2_bits;
        res->offset = index;
    } else {
        res->dest = cb->cfg.cspace_root;
        res->destDepth = seL4_WordBits;
        res->offset = res->capPtr;
    }
    res->window = (seL4_Word)1 << order;
}
_Static_assert(sizeof(cspacepath_t) == 7 * sizeof(seL4_Word),
               "cb_api_fill_path_inline sets every field of cspacepath_t");

/* The same, out of line (alloc.c). */
void cb_api_fill_path(const capbuddy_t *cb, const struct cb_pool *p, unsigned long index,
                      unsigned order, cspacepath_t *res);

/* capbuddy_alloc at a physical address (alloc_at.c); native as for alloc_from (alloc.c). */
int cb_api_alloc_at(capbuddy_t *cb, unsigned order, uint64_t paddr, bool can_use_dev, bool native,
                    cspacepath_t *res);

/* capbuddy_alloc for the vka wrapper, which hands out copies of the pool's caps and never
 * the caps themselves: they are never mapped, so cleaning the run later needs no Unmap. */
int cb_api_alloc_copied(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                        cspacepath_t *res);
