/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Capability work off the call path: capbuddy_prepare makes pools ahead of a burst,
 * capbuddy_maintain does the lifecycle's kernel work (cleaning the quarantine, giving idle
 * pools back, keeping wholly free pools ready) under a budget in estimated kernel
 * instructions (src/include/cb_costs.h), for an idle loop or a low-priority thread.
 */
#include "internal.h"

#include "cb_costs.h"

/* Making one pool of 2^size_order frames: the retypes, and about two more for the parent's
 * split of its untyped. */
static uint64_t cost_make(const capbuddy_t *cb, unsigned size_order)
{
    return cb_cost_retype(1ull << size_order, cb->be.fan_out) + 2ull * CB_COST_RETYPE;
}

static uint64_t free_frames(const capbuddy_t *cb)
{
    uint64_t n = cb->hot_pool != NULL; /* the hot frame is free to its user */
    struct cb_pool_iter it;
    const struct cb_pool *p;
    cb_poolset_for_each(&cb->set, CB_WALK_BUCKETS, it, p)
    {
        n += cb_tree_free_frames(&p->tree);
    }
    return n;
}

int capbuddy_prepare(capbuddy_t *cb, unsigned long frames)
{
    if (!cb) {
        return CAPBUDDY_ERR_INVALID;
    }
    uint64_t have = free_frames(cb);
    size_t made = 0;
    int err = CAPBUDDY_OK;
    while (have < frames && !err) {
        struct cb_pool *p = NULL;
        for (unsigned k = 0; k <= CB_TREE_MAX_ORDER; k++) { /* largest first */
            err = cb_poolset_make_pool(&cb->set, CB_TREE_MAX_ORDER - k, VKA_NO_PADDR, false, &p);
            if (err != CAPBUDDY_ERR_NO_MEMORY && err != CAPBUDDY_ERR_NO_SLOTS) {
                break;
            }
        }
        if (!err) {
            have += cb_pool_frames(p);
            made++;
        }
    }
    /* Prepared pools count as demand for a horizon: not given back as idle before that. */
    cb->set.peak_cur += made;
    return err;
}

int capbuddy_maintain(capbuddy_t *cb, uint64_t budget, uint64_t *spent_out)
{
    if (!cb) {
        return CAPBUDDY_ERR_INVALID;
    }
    struct cb_poolset *s = &cb->set;
    s->maintained = true;
    if (s->horizons == s->maint_horizons && s->horizon_left == s->maint_left) {
        cb_poolset_horizon(s, true); /* idle since the last call: demand decays with calls */
    }
    s->maint_horizons = s->horizons;
    s->maint_left = s->horizon_left;
    /* The burst to keep ready: wholly free pools the program used up since the last call. */
    size_t used = s->whole_after_maintain > s->nwhole ? s->whole_after_maintain - s->nwhole : 0;
    if (used > s->burst_cur) {
        s->burst_cur = used;
    }
    uint64_t spent = 0;
    int err = CAPBUDDY_OK;
    /* 1. pending pools and the quarantine, oldest first */
    while (s->pending && spent < budget) {
        struct cb_pool *p = s->pending;
        if (cb_poolset_clean_pool(s, p, budget, &spent)) {
            err = CAPBUDDY_ERR_KERNEL;
            break;
        }
        if (p->bucket == CB_BUCKET_PENDING) {
            break; /* the budget ran out half way */
        }
        cb_poolset_trim(s, p, false);
    }
    for (struct cb_pool *p = s->qhead, *next; p && spent < budget; p = next) {
        next = p->qnext;
        if (!cb_poolset_can_clean_frames(s) && p->nlive != 0) {
            continue; /* only a refresh cleans it, once no one uses the pool */
        }
        if (cb_poolset_clean_pool(s, p, budget, &spent)) {
            err = CAPBUDDY_ERR_KERNEL;
        }
    }
    /* 2. idle pools beyond the recent demand */
    if (spent < budget) {
        spent += cb_poolset_decay(s, budget - spent);
    }
    /* 3. wholly free pools for the next burst */
    while (!err && spent < budget && s->nwhole < cb_poolset_reserve_pools(s)) {
        struct cb_pool *p;
        if (cb_poolset_make_pool(s, CB_TREE_MAX_ORDER, VKA_NO_PADDR, false, &p)) {
            break; /* no memory or slots now: allocs will say so */
        }
        spent += cost_make(cb, CB_TREE_MAX_ORDER);
    }
    s->whole_after_maintain = s->nwhole;
    if (spent_out) {
        *spent_out = spent;
    }
    if (err) {
        return err;
    }
    bool left = s->pending != NULL || s->nempty > cb_poolset_empty_allowed(s) ||
                s->nwhole < cb_poolset_reserve_pools(s);
    for (const struct cb_pool *p = s->qhead; p && !left; p = p->qnext) {
        left = cb_poolset_can_clean_frames(s) || p->nlive == 0;
    }
    return left && spent >= budget ? CAPBUDDY_MORE : CAPBUDDY_OK;
}
