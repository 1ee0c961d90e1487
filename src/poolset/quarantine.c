/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The quarantine (REVOKE and SCRUB): a freed run stays allocated in its pool's tree, marked
 * in the pool's quarantine map, until every cap derived from its frames is revoked (and,
 * under SCRUB, the frames zeroed). Then it goes back to the tree.
 */
#include "poolset.h"

#include <capbuddy/capbuddy.h>

#include "backend.h"

int cb_pool_check_free_slow(const struct cb_pool *p, unsigned long index, unsigned order)
{
    int err = cb_tree_check_free(&p->tree, index, order);
    if (!err && p->nquar && cb_pool_qtest(p, index, order)) {
        err = CB_TREE_ERR_NOT_ALLOCATED; /* already freed, waiting for revocation */
    } else if (p->nquar && (err == CB_TREE_ERR_WRONG_ORDER || err == CB_TREE_ERR_INSIDE)) {
        unsigned long start;
        unsigned o;
        if (!cb_tree_find_allocation(&p->tree, index, &start, &o) && cb_pool_qtest(p, start, o)) {
            err = CB_TREE_ERR_NOT_ALLOCATED;
        }
    }
    return err;
}

unsigned long cb_pool_quarantined_runs(const struct cb_pool *p)
{
    unsigned long runs = 0;
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; p->nquar && o <= size_order; o++) {
        for (long b = cb_tree_map_next(p->qmap, size_order, o, 0); b >= 0;
             b = cb_tree_map_next(p->qmap, size_order, o, (unsigned long)b + 1)) {
            runs++;
        }
    }
    return runs;
}

/* Revoke (and scrub) the 2^order frames of one run: 2 calls a frame (Revoke, Unmap). */
static bool revoke_run(struct cb_poolset *s, const struct cb_pool *p, unsigned long index,
                       unsigned order)
{
    const struct capbuddy_config *cfg = s->cfg;
    bool ok = true;
    for (unsigned long f = index; ok && f < index + (1ul << order); f++) {
        seL4_CPtr frame = (seL4_CPtr)(p->b.first + f);
        ok = cb_backend_revoke_frame(s->be, frame) == CAPBUDDY_OK;
        if (ok && cfg->policy == CAPBUDDY_POLICY_SCRUB) {
            ok = cfg->scrub(cfg->scrub_cookie, frame) == 0;
        }
    }
    return ok;
}

/*
 * A run whose frames cannot all be revoked (or scrubbed) stays quarantined; *failed says so.
 * Under SCRUB without a hook nothing can be reused this way: skipped.
 */
bool cb_poolset_flush_pool(struct cb_poolset *s, struct cb_pool *p, bool *failed)
{
    bool freed = false;
    if (s->cfg->policy == CAPBUDDY_POLICY_SCRUB && !s->cfg->scrub) {
        return false;
    }
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; o <= size_order && p->nquar; o++) {
        for (long b = cb_tree_map_next(p->qmap, size_order, o, 0); b >= 0 && p->nquar;
             b = cb_tree_map_next(p->qmap, size_order, o, (unsigned long)b + 1)) {
            unsigned long index = (unsigned long)b << o;
            if (!revoke_run(s, p, index, o)) {
                *failed = true;
                continue; /* stays quarantined; the pool's refresh will deal with it */
            }
            cb_tree_map_clear(p->qmap, index, o);
            (void)cb_tree_free(&p->tree, index, o);
            p->nquar -= 1u << o;
            freed = true;
        }
    }
    if (p->bucket != CB_BUCKET_PENDING || p->nquar == 0) {
        cb_poolset_rebucket(s, p); /* a pending pool leaves the list once clean */
    }
    return freed;
}

bool cb_poolset_flush_all(struct cb_poolset *s, bool *failed)
{
    bool freed = false;
    struct cb_pool_iter it;
    struct cb_pool *p;
    cb_poolset_for_each(s, CB_WALK_BUCKETS, it, p)
    {
        if (p->nquar) {
            freed |= cb_poolset_flush_pool(s, p, failed);
        }
    }
    return freed;
}
