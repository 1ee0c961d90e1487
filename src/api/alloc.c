/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_alloc, its fast path, and the hot frame (TRUST's order-0 cache of one frame).
 *
 * Fast path budget (x86_64, -O2, measured by tests/budget with callgrind): with a pool whose
 * largest free run fits, one test for the hot frame, one ctz over the bucket mask, the tree's
 * alloc (tree.h), a compare to see that the pool keeps its bucket, and the answer's stores.
 * Everything else (alloc at a paddr, refill, moving the pool to another bucket) is out of
 * line.
 */
#include "internal.h"

#include <string.h>

void cb_api_drain_hot_slow(capbuddy_t *cb)
{
    struct cb_pool *p = cb->hot_pool;
    cb->hot_pool = NULL;
    (void)cb_tree_free(&p->tree, cb->hot_index, 0); /* allocated at order 0: cannot fail */
    p->nlive -= 1;
    cb_poolset_rebucket(&cb->set, p);
}

void cb_api_fill_path(const capbuddy_t *cb, const struct cb_pool *p, unsigned long index,
                      unsigned order, cspacepath_t *res)
{
    memset(res, 0, sizeof(*res));
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

/* TRUST: hand out the hot frame (RAM: every request may have it). */
static int alloc_hot(capbuddy_t *cb, cspacepath_t *res)
{
    struct cb_pool *p = cb->hot_pool;
    cb->hot_pool = NULL;
    cb->set.nempty -= p->nlive == 1;
    cb_api_fill_path(cb, p, cb->hot_index, 0, res);
    return CAPBUDDY_OK;
}

/* No pool of the kind can serve: refill until one can, or fail. */
static CB_COLD int alloc_slow(capbuddy_t *cb, unsigned order, bool can_use_dev,
                              cspacepath_t *res);

static inline int alloc_from(capbuddy_t *cb, struct cb_pool *p, unsigned order,
                             cspacepath_t *res)
{
    long index = cb_tree_alloc(&p->tree, order);
    cb->set.nempty -= p->nlive == 0;
    p->nlive += 1u << order;
    cb_poolset_rebucket(&cb->set, p);
    cb_api_fill_path(cb, p, (unsigned long)index, order, res);
    return CAPBUDDY_OK;
}

static CB_COLD int alloc_slow(capbuddy_t *cb, unsigned order, bool can_use_dev,
                              cspacepath_t *res)
{
    for (;;) {
        int err = cb_poolset_refill(&cb->set, order, can_use_dev);
        if (err) {
            CB_LOG("alloc: no pool for %u bits: %s", order + MIN_BITS, capbuddy_strerror(err));
            return err;
        }
        struct cb_pool *p = cb_poolset_pick(&cb->set, order, false);
        if (!p && can_use_dev) {
            p = cb_poolset_pick(&cb->set, order, true);
        }
        if (p) {
            return alloc_from(cb, p, order, res);
        }
    }
}

int capbuddy_alloc(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                   cspacepath_t *res)
{
    if (cb_unlikely(!cb || !res || size_bits < MIN_BITS || size_bits > MAX_BITS)) {
        CB_LOG("alloc: invalid size_bits %lu", (unsigned long)size_bits);
        return CAPBUDDY_ERR_INVALID;
    }
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    if (cb_unlikely(cb->hot_pool != NULL)) {
        if (order == 0 && paddr == VKA_NO_PADDR) {
            return alloc_hot(cb, res);
        }
        cb_api_drain_hot_slow(cb);
    }
    if (cb_unlikely(paddr != VKA_NO_PADDR)) {
        return cb_api_alloc_at(cb, order, paddr, can_use_dev, res);
    }
    struct cb_pool *p = cb_poolset_pick(&cb->set, order, false);
    if (cb_unlikely(!p) && can_use_dev) {
        p = cb_poolset_pick(&cb->set, order, true);
    }
    if (cb_unlikely(!p)) {
        return alloc_slow(cb, order, can_use_dev, res);
    }
    return alloc_from(cb, p, order, res);
}
