/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_alloc at a physical address: the pool holding it (made if need be), a refresh or a
 * flush when quarantined runs are in the way.
 */
#include "internal.h"

/* A pool holding paddr, made for it: the largest that the parent can give there. */
static int make_pool_at(capbuddy_t *cb, unsigned order, uint64_t paddr, bool can_use_dev,
                        struct cb_pool **out)
{
    /* Device memory only with can_use_dev, and memory not known to be RAM (no boot info,
     * or an address it does not list) counts as device memory: the parent's alloc_at may
     * serve a device untyped there, and no invocation tells. Such a pool is kept apart
     * from anonymous RAM requests and refused to requests without can_use_dev. */
    int kind = cb_poolset_paddr_kind(&cb->set, paddr);
    if (kind != 0 && !can_use_dev) {
        return CAPBUDDY_ERR_PADDR;
    }
    bool device = kind != 0;
    int err = CAPBUDDY_ERR_PADDR;
    struct cb_pool *p = NULL;
    for (unsigned size = CB_TREE_MAX_ORDER; size + 1 > order; size--) {
        uint64_t base = paddr & ~(((uint64_t)1 << (size + CB_PAGE_BITS)) - 1);
        err = cb_poolset_make_pool(&cb->set, size, base, device, &p);
        if (err != CAPBUDDY_ERR_PADDR && err != CAPBUDDY_ERR_NO_SLOTS) {
            break;
        }
    }
    if (err) {
        return err;
    }
    *out = p;
    return CAPBUDDY_OK;
}

/* Quarantined runs may be in the way: the pool's quarantine is cleaned the cheapest way
 * (frame by frame, or a refresh of a pool no one uses). A run that could not be cleaned
 * stays in the way (BUSY). */
static int clear_quarantine(capbuddy_t *cb, struct cb_pool *p)
{
    if (p->nlive == 0 && cb_poolset_refresh_is_cheaper(&cb->set, p)) {
        return cb_poolset_refresh(&cb->set, p); /* on failure the pool went back */
    }
    bool failed = false;
    uint64_t spent = 0;
    (void)cb_poolset_flush_pool(&cb->set, p, &failed, UINT64_MAX, &spent);
    return CAPBUDDY_OK;
}

int cb_api_alloc_at(capbuddy_t *cb, unsigned order, uint64_t paddr, bool can_use_dev, bool native,
                    cspacepath_t *res)
{
    uint64_t bytes = (uint64_t)1 << (order + CB_PAGE_BITS);
    if (paddr & (bytes - 1)) {
        CB_LOG("alloc at 0x%llx: not aligned to the run", (unsigned long long)paddr);
        return CAPBUDDY_ERR_INVALID;
    }
    struct cb_pool *p = cb_poolset_by_paddr(&cb->set, paddr);
    if (!p) {
        int err = make_pool_at(cb, order, paddr, can_use_dev, &p);
        if (err) {
            return err;
        }
    }
    if (p->devmem && !can_use_dev) {
        return CAPBUDDY_ERR_PADDR;
    }
    unsigned long index = (unsigned long)((paddr - p->b.paddr) >> CB_PAGE_BITS);
    if (order > cb_tree_size_order(&p->tree)) {
        return CAPBUDDY_ERR_PADDR; /* the pool holding paddr is smaller than the run */
    }
    if (p->bucket == CB_BUCKET_PENDING) {
        int err = cb_poolset_refresh(&cb->set, p);
        if (err) {
            return err;
        }
    }
    int err = cb_tree_alloc_at(&p->tree, index, order);
    if (err && p->nquar) {
        err = clear_quarantine(cb, p);
        if (err) {
            return err;
        }
        err = cb_tree_alloc_at(&p->tree, index, order);
    }
    if (err) {
        return CAPBUDDY_ERR_BUSY;
    }
    if (p->nlive == 0) {
        cb->set.nempty--;
        cb_poolset_in_use(&cb->set);
    }
    p->nlive += 1u << order;
    p->native |= (uint8_t)native;
    cb_poolset_rebucket(&cb->set, p);
    cb_api_fill_path(cb, p, index, order, res);
    return CAPBUDDY_OK;
}
