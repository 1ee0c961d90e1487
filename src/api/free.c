/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_free: TRUST frees into the tree (or keeps a single frame hot), REVOKE and SCRUB
 * into the pool's quarantine. A refused free changes nothing.
 *
 * Fast path budget (x86_64, -O2; measured with the matching alloc by tests/budget, see
 * alloc.c for the figures): the argument test, the pool from the cptr index (one multiply, one
 * load, one compare), the policy test, then under TRUST the hot frame's tests (a single frame:
 * one allocation bit) or the tree's free (inline for a single frame, one call otherwise) and a
 * compare to see that the pool keeps its bucket. Errors, the quarantine, the hot frame's drain
 * and a pool's last run are out of line.
 */
#include "internal.h"

static int free_error(int tree_err)
{
    switch (tree_err) {
    case CB_TREE_ERR_ALIGN:
        return CAPBUDDY_ERR_MISALIGNED;
    case CB_TREE_ERR_NOT_ALLOCATED:
        return CAPBUDDY_ERR_NOT_ALLOCATED;
    case CB_TREE_ERR_INSIDE:
        return CAPBUDDY_ERR_INSIDE;
    default: /* ORDER, WRONG_ORDER: the run's size does not match */
        return CAPBUDDY_ERR_WRONG_SIZE;
    }
}

static CB_COLD int refuse(seL4_CPtr cptr, seL4_Word size_bits, int tree_err)
{
    (void)cptr;
    (void)size_bits;
    CB_LOG("free: cptr %lu, %lu bits: %s", (unsigned long)cptr, (unsigned long)size_bits,
           capbuddy_strerror(free_error(tree_err)));
    return free_error(tree_err);
}

/* The pool's last live run went to quarantine. The pool keeps serving its clean frames; its
 * quarantine is made reusable the cheapest way when an alloc finds nothing clean, or by
 * maintenance. Under SCRUB without a hook only a refresh can clean: the pool waits for one. */
static CB_NOINLINE void quarantine_emptied(capbuddy_t *cb, struct cb_pool *p)
{
    if (!cb_poolset_can_clean_frames(&cb->set)) {
        cb_poolset_make_pending(&cb->set, p);
    }
    cb_poolset_emptied(&cb->set, p);
}

/* REVOKE, SCRUB: the run waits in quarantine until its frames are revoked. */
static CB_ALWAYS_INLINE int quarantine_run(capbuddy_t *cb, struct cb_pool *p, seL4_CPtr cptr,
                                           unsigned long index, unsigned order, seL4_Word size_bits)
{
    int err = cb_pool_check_free(p, index, order);
    if (err) {
        return refuse(cptr, size_bits, err);
    }
    cb_pool_quarantine(&cb->set, p, index, order);
    if (cb_unlikely(p->nlive == 0)) {
        quarantine_emptied(cb, p);
    }
    return CAPBUDDY_OK;
}

static CB_NOINLINE int free_quarantine(capbuddy_t *cb, struct cb_pool *p, seL4_CPtr cptr,
                                       unsigned long index, seL4_Word size_bits)
{
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    if (order == 0) {
        return quarantine_run(cb, p, cptr, index, 0, size_bits); /* constant order: folded */
    }
    return quarantine_run(cb, p, cptr, index, order, size_bits);
}

/* TRUST: a single RAM frame becomes the hot frame, unless it is its pool's last and the pool
 * would go back to the parent now (more empty pools than spares). The frame is in its pool's
 * range (the cptr index said so), so its allocation bit alone tells a valid free. */
static inline bool keep_hot(const capbuddy_t *cb, const struct cb_pool *p, unsigned long index,
                            unsigned order)
{
    return order == 0 && !p->device && cb_tree_frame_is_allocated(&p->tree, index) &&
           (p->nlive > 1 || cb->set.nempty < cb->cfg.spare_pools);
}

static inline int make_hot(capbuddy_t *cb, struct cb_pool *p, unsigned long index)
{
    cb->hot_pool = p;
    cb->hot_index = index;
    cb->set.nempty += p->nlive == 1;
    return CAPBUDDY_OK;
}

/* A vka wrapper reads the dirty map: out of line, so that the free path without one keeps
 * its registers. */
static CB_COLD CB_NOINLINE void mark_dirty(struct cb_pool *p, unsigned long index, unsigned order)
{
    cb_pool_dirty_set(p, index, order, true);
}

/* TRUST, into the tree: no quarantine, the tree's own free validates and frees in one pass. */
static CB_NOINLINE int free_tree(capbuddy_t *cb, struct cb_pool *p, seL4_CPtr cptr,
                                 unsigned long index, seL4_Word size_bits)
{
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    int err = cb_tree_free(&p->tree, index, order);
    if (cb_unlikely(err)) {
        return refuse(cptr, size_bits, err);
    }
    p->nlive -= 1u << order;
    if (cb_unlikely(cb->track_dirty)) {
        mark_dirty(p, index, order);
    }
    if (cb_unlikely(p->nlive == 0)) {
        cb_poolset_rebucket(&cb->set, p);
        cb_poolset_emptied(&cb->set, p);
        return CAPBUDDY_OK;
    }
    cb_poolset_rebucket(&cb->set, p);
    return CAPBUDDY_OK;
}

/* TRUST with a hot frame waiting: finish its free first (unless this is the same frame,
 * which is then refused as the tree refuses it). */
static CB_NOINLINE int free_after_drain(capbuddy_t *cb, struct cb_pool *p, seL4_CPtr cptr,
                                        unsigned long index, seL4_Word size_bits)
{
    bool was_hot = cb->hot_pool == p && cb->hot_index == index;
    cb_api_drain_hot_slow(cb);
    if (!was_hot && keep_hot(cb, p, index, (unsigned)(size_bits - MIN_BITS))) {
        return make_hot(cb, p, index);
    }
    return free_tree(cb, p, cptr, index, size_bits);
}

static CB_COLD int free_not_pool(const capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits)
{
    (void)cptr;
    if (!cb || size_bits - MIN_BITS > CB_TREE_MAX_ORDER) {
        return CAPBUDDY_ERR_INVALID;
    }
    CB_LOG("free: cptr %lu is not in a pool", (unsigned long)cptr);
    return CAPBUDDY_ERR_NOT_POOL;
}

int capbuddy_free(capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits)
{
    struct cb_pool *p;
    if (cb_unlikely(!cb || size_bits - MIN_BITS > CB_TREE_MAX_ORDER ||
                    (p = cb_poolset_by_cptr(&cb->set, cptr)) == NULL)) {
        return free_not_pool(cb, cptr, size_bits);
    }
    unsigned long index = (unsigned long)(cptr - p->b.first);
    if (cb_unlikely(cb->cfg.policy != CAPBUDDY_POLICY_TRUST)) {
        return free_quarantine(cb, p, cptr, index, size_bits);
    }
    if (cb_unlikely(cb->hot_pool != NULL)) {
        return free_after_drain(cb, p, cptr, index, size_bits);
    }
    if (keep_hot(cb, p, index, (unsigned)(size_bits - MIN_BITS))) {
        return make_hot(cb, p, index);
    }
    return free_tree(cb, p, cptr, index, size_bits);
}
