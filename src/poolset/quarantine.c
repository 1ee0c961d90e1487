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
#include "cb_costs.h"

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

bool cb_poolset_can_clean_frames(const struct cb_poolset *s)
{
    return s->cfg->policy != CAPBUDDY_POLICY_SCRUB || s->cfg->scrub;
}

/* Making one quarantined frame of p reusable on its own: a Revoke, an Unmap when the pool's
 * caps may have been mapped, and under SCRUB the hook's map, clear and unmap. */
static uint64_t cost_frame(const struct cb_poolset *s, const struct cb_pool *p)
{
    uint64_t c = CB_COST_REVOKE + (p->native ? CB_COST_UNMAP : 0);
    if (s->cfg->policy == CAPBUDDY_POLICY_SCRUB) {
        c += CB_COST_MAP + CB_COST_UNMAP + CB_COST_SCRUB_USER;
    }
    return c;
}

/* A refresh: the Revoke of the untyped (every frame cap goes), the retypes, and the reset's
 * clearing of the whole pool. */
static uint64_t cost_refresh(const struct cb_poolset *s, const struct cb_pool *p)
{
    uint64_t frames = cb_pool_frames(p);
    uint64_t c = cb_cost_revoke(frames) + cb_cost_retype(frames, s->be->fan_out);
    if (!p->devmem) {
        return c + frames * (1u << (CB_PAGE_BITS - 10)) * CB_COST_CLEAR_PER_KIB;
    }
    /* the kernel never clears device memory; under SCRUB the hook zeroes what was written */
    if (s->cfg->policy == CAPBUDDY_POLICY_SCRUB) {
        c += (uint64_t)p->nquar * (CB_COST_MAP + CB_COST_UNMAP + CB_COST_SCRUB_USER);
    }
    return c;
}

/* Revoke (and scrub) the 2^order frames of one run. */
static bool revoke_run(struct cb_poolset *s, const struct cb_pool *p, unsigned long index,
                       unsigned order)
{
    const struct capbuddy_config *cfg = s->cfg;
    bool ok = true;
    for (unsigned long f = index; ok && f < index + (1ul << order); f++) {
        seL4_CPtr frame = (seL4_CPtr)(p->b.first + f);
        ok = cb_backend_revoke_frame(s->be, frame, p->native != 0) == CAPBUDDY_OK;
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
bool cb_poolset_flush_pool(struct cb_poolset *s, struct cb_pool *p, bool *failed, uint64_t budget,
                           uint64_t *spent)
{
    bool freed = false;
    if (!cb_poolset_can_clean_frames(s)) {
        return false;
    }
    uint64_t per_frame = cost_frame(s, p);
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; o <= size_order && p->nquar && *spent < budget; o++) {
        for (long b = cb_tree_map_next(p->qmap, size_order, o, 0);
             b >= 0 && p->nquar && *spent < budget;
             b = cb_tree_map_next(p->qmap, size_order, o, (unsigned long)b + 1)) {
            unsigned long index = (unsigned long)b << o;
            *spent += per_frame << o;
            if (!revoke_run(s, p, index, o)) {
                *failed = true;
                continue; /* stays quarantined; the pool's refresh will deal with it */
            }
            cb_tree_map_clear(p->qmap, index, o);
            /* scrubbed (SCRUB) or as its last owner left it */
            cb_pool_dirty_set(p, index, o, s->cfg->policy != CAPBUDDY_POLICY_SCRUB);
            (void)cb_tree_free(&p->tree, index, o);
            p->nquar -= 1u << o;
            s->frames_revoked += 1ul << o;
            freed = true;
        }
    }
    if (p->nquar == 0 && p->in_quar) {
        cb_poolset__quar_unlink(s, p);
    }
    if (p->bucket != CB_BUCKET_PENDING || p->nquar == 0) {
        cb_poolset_rebucket(s, p); /* a pending pool leaves the list once clean */
    }
    return freed;
}

bool cb_poolset_flush_all(struct cb_poolset *s, bool *failed)
{
    bool freed = false;
    for (struct cb_pool *p = s->qhead, *next; p; p = next) {
        next = p->qnext;
        uint64_t spent = 0;
        freed |= cb_poolset_flush_pool(s, p, failed, UINT64_MAX, &spent);
    }
    return freed;
}

bool cb_poolset_refresh_is_cheaper(const struct cb_poolset *s, const struct cb_pool *p)
{
    return !cb_poolset_can_clean_frames(s) ||
           cost_refresh(s, p) < (uint64_t)p->nquar * cost_frame(s, p);
}

int cb_poolset_clean_pool(struct cb_poolset *s, struct cb_pool *p, uint64_t budget, uint64_t *spent)
{
    if (p->bucket == CB_BUCKET_PENDING || (p->nlive == 0 && cb_poolset_refresh_is_cheaper(s, p))) {
        *spent += cost_refresh(s, p);
        return cb_poolset_refresh(s, p);
    }
    bool failed = false;
    (void)cb_poolset_flush_pool(s, p, &failed, budget, spent);
    return failed ? CAPBUDDY_ERR_KERNEL : CAPBUDDY_OK;
}
