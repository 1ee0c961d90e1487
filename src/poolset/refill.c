/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Refill: no pool can serve 2^order frames of this kind. In order of cost: refresh a pending
 * pool (one revoke and a few retypes), make a new pool from the parent (largest first,
 * smaller ones while memory or slots run short), revoke quarantined runs one frame at a time.
 */
#include "poolset.h"

#include <capbuddy/capbuddy.h>

#include "backend.h"

/* A pending pool that can serve: revoke its few quarantined frames one by one when that is
 * cheaper than the refresh (2 calls a frame against 1 revoke + the retypes; e.g. a single
 * frame freed and asked for again, over and over), else refresh it. */
static int reuse_pending(struct cb_poolset *s, struct cb_pool *p)
{
    unsigned long refresh_cost = 1 + (cb_pool_frames(p) + s->be->fan_out - 1) / s->be->fan_out;
    bool failed = false;
    if (2ul * p->nquar < refresh_cost && cb_poolset_flush_pool(s, p, &failed) && p->nquar == 0) {
        return CAPBUDDY_OK;
    }
    return cb_poolset_refresh(s, p);
}

static int make_any_pool(struct cb_poolset *s, unsigned order, bool can_use_dev)
{
    int err = CAPBUDDY_ERR_NO_MEMORY;
    for (int dev = 0; dev <= (int)can_use_dev; dev++) {
        for (unsigned size = CB_TREE_MAX_ORDER; size + 1 > order; size--) {
            struct cb_pool *p;
            err = cb_poolset_make_pool(s, size, VKA_NO_PADDR, dev, &p);
            if (!err) {
                return CAPBUDDY_OK;
            }
            if (err != CAPBUDDY_ERR_NO_MEMORY && err != CAPBUDDY_ERR_NO_SLOTS) {
                break;
            }
        }
    }
    return err;
}

int cb_poolset_refill(struct cb_poolset *s, unsigned order, bool can_use_dev)
{
    struct cb_pool_iter it;
    struct cb_pool *p;
    cb_poolset_for_each(s, CB_WALK_PENDING, it, p)
    {
        if (cb_tree_size_order(&p->tree) >= order && (!p->device || can_use_dev)) {
            if (!reuse_pending(s, p)) {
                return CAPBUDDY_OK;
            }
            break; /* the list changed; make a new pool instead */
        }
    }
    int err = make_any_pool(s, order, can_use_dev);
    if (!err) {
        return CAPBUDDY_OK;
    }
    bool failed = false;
    if (cb_poolset_flush_all(s, &failed)) {
        return CAPBUDDY_OK;
    }
    return err;
}
