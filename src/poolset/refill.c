/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Refill: no pool can serve 2^order frames of this kind. In order: a pending pool (it can
 * only serve again after a refresh), the quarantine (oldest pools first, each whose
 * quarantine could serve the request, cleaned the cheapest way: see cb_poolset_clean_pool),
 * and a new pool from the parent (largest first, smaller ones while memory or slots run
 * short).
 */
#include "poolset.h"

#include <capbuddy/capbuddy.h>

#include "backend.h"

static bool can_serve(const struct cb_poolset *s, unsigned order, bool can_use_dev)
{
    return cb_poolset_pick(s, order, false) || (can_use_dev && cb_poolset_pick(s, order, true));
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
    s->inline_refills++;
    struct cb_pool_iter it;
    struct cb_pool *p;
    cb_poolset_for_each(s, CB_WALK_PENDING, it, p)
    {
        if (!p->stranded && cb_tree_size_order(&p->tree) >= order && (!p->device || can_use_dev)) {
            uint64_t spent = 0;
            if (!cb_poolset_clean_pool(s, p, UINT64_MAX, &spent) &&
                p->bucket != CB_BUCKET_PENDING) {
                return CAPBUDDY_OK;
            }
            break; /* the list changed; go on with the quarantine or a new pool */
        }
    }
    for (struct cb_pool *q = s->qhead, *next; q; q = next) {
        next = q->qnext;
        /* its quarantine with its free frames may hold the run (a pool whose runs are all
         * free or quarantined serves a 4 MiB request once cleaned) */
        if (q->bucket != CB_BUCKET_PENDING &&
            q->nquar + cb_tree_free_frames(&q->tree) >= (1u << order) &&
            (!q->device || can_use_dev)) {
            uint64_t spent = 0;
            (void)cb_poolset_clean_pool(s, q, UINT64_MAX, &spent);
            if (can_serve(s, order, can_use_dev)) {
                return CAPBUDDY_OK;
            }
        }
    }
    /* No quarantine left that could hold the run (a pool whose quarantined and free frames
     * together are fewer than the run's cannot): flushing the others would change state for
     * nothing, so a refusal below leaves them as they were. */
    return make_any_pool(s, order, can_use_dev);
}
