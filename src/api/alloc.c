/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_alloc, its fast path, and the hot frame (TRUST's order-0 cache of one frame).
 *
 * Fast path budget (x86_64, -O2; tests/budget measures it with callgrind and fails above its
 * limit): a plain request is the argument test, one test for the hot frame, one for a paddr,
 * one ctz over the bucket mask, the tree's alloc (inline for a single frame, one call for
 * other orders), the counts, the answer's seven stores, and a compare to see that the pool
 * keeps its bucket. Everything else (alloc at a paddr, refill, the hot frame's drain, moving
 * the pool to another bucket) is out of line. Measured with the matching free, per pair:
 * a single frame 118 instructions (TRUST, the hot frame) and 183 (REVOKE, into quarantine),
 * other orders without a split or a merge 312-318 (438-445 when the pool changes bucket);
 * issue 13's budgets are 60 and 120.
 */
#include "internal.h"

void cb_api_drain_hot_slow(capbuddy_t *cb)
{
    struct cb_pool *p = cb->hot_pool;
    cb->hot_pool = NULL;
    (void)cb_tree_free(&p->tree, cb->hot_index, 0); /* allocated at order 0: cannot fail */
    cb_pool_dirty_set(p, cb->hot_index, 0, true);
    p->nlive -= 1;
    cb_poolset_rebucket(&cb->set, p);
}

/* Every field of the answer is set (no memset: the fast path pays for what it uses). */
void cb_api_fill_path(const capbuddy_t *cb, const struct cb_pool *p, unsigned long index,
                      unsigned order, cspacepath_t *res)
{
    cb_api_fill_path_inline(cb, p, index, order, res);
}

/* A pool's first live run since it was empty: it counts for the demand estimate. */
static inline void pool_in_use(capbuddy_t *cb)
{
    cb->set.nempty--;
    cb_poolset_in_use(&cb->set);
}

/* TRUST: hand out the hot frame (RAM: every request may have it). */
static inline int alloc_hot(capbuddy_t *cb, bool native, cspacepath_t *res)
{
    struct cb_pool *p = cb->hot_pool;
    cb->hot_pool = NULL;
    if (cb_unlikely(p->nlive == 1)) {
        pool_in_use(cb);
    }
    if (native) {
        p->native = 1;
    }
    cb_api_fill_path_inline(cb, p, cb->hot_index, 0, res);
    return CAPBUDDY_OK;
}

/* The answer is written before the pool changes bucket, so that the move (rare: the pool's
 * largest free run changed) is the last call and the fast path keeps nothing across it.
 * native: the caller gets the pool's own caps and may map them (the vka wrapper hands out
 * copies), so cleaning the run later needs an Unmap. */
static inline int alloc_from(capbuddy_t *cb, struct cb_pool *p, unsigned order, bool native,
                             cspacepath_t *res)
{
    long index = cb_tree_alloc(&p->tree, order);
    if (cb_unlikely(p->nlive == 0)) {
        pool_in_use(cb);
    }
    p->nlive += 1u << order;
    if (native) {
        p->native = 1;
    }
    cb_api_fill_path_inline(cb, p, (unsigned long)index, order, res);
    cb_poolset_rebucket(&cb->set, p);
    return CAPBUDDY_OK;
}

static CB_NOINLINE int alloc_from_any(capbuddy_t *cb, struct cb_pool *p, unsigned order,
                                      bool native, cspacepath_t *res)
{
    return alloc_from(cb, p, order, native, res);
}

/* No pool of the kind can serve: refill until one can, or fail. */
static CB_COLD int alloc_slow(capbuddy_t *cb, unsigned order, bool can_use_dev, bool native,
                              cspacepath_t *res)
{
    struct cb_pool *p = can_use_dev ? cb_poolset_pick(&cb->set, order, true) : NULL;
    while (!p) {
        int err = cb_poolset_refill(&cb->set, order, can_use_dev);
        if (err) {
            CB_LOG("alloc: no pool for %u bits: %s", order + MIN_BITS, capbuddy_strerror(err));
            return err;
        }
        p = cb_poolset_pick(&cb->set, order, false);
        if (!p && can_use_dev) {
            p = cb_poolset_pick(&cb->set, order, true);
        }
    }
    return alloc_from_any(cb, p, order, native, res);
}

/* Anything but a plain request while a hot frame waits: finish its free, then serve. */
static CB_NOINLINE int alloc_after_drain(capbuddy_t *cb, unsigned order, uint64_t paddr,
                                         bool can_use_dev, bool native, cspacepath_t *res);

/* The demand horizon moves on every retain_ops allocations. */
static CB_COLD CB_NOINLINE void next_horizon(capbuddy_t *cb)
{
    cb_poolset_horizon(&cb->set, false);
}

static CB_COLD int alloc_invalid(seL4_Word size_bits)
{
    (void)size_bits;
    CB_LOG("alloc: invalid size_bits %lu", (unsigned long)size_bits);
    return CAPBUDDY_ERR_INVALID;
}

static CB_ALWAYS_INLINE int alloc(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr,
                                  bool can_use_dev, bool native, cspacepath_t *res)
{
    if (cb_unlikely(!cb || !res || size_bits - MIN_BITS > CB_TREE_MAX_ORDER)) {
        return alloc_invalid(size_bits);
    }
    if (cb_unlikely(--cb->set.horizon_left == 0)) {
        next_horizon(cb);
    }
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    if (cb_unlikely(cb->hot_pool != NULL)) {
        if (order == 0 && paddr == VKA_NO_PADDR) {
            return alloc_hot(cb, native, res);
        }
        return alloc_after_drain(cb, order, paddr, can_use_dev, native, res);
    }
    if (cb_unlikely(paddr != VKA_NO_PADDR)) {
        return cb_api_alloc_at(cb, order, paddr, can_use_dev, native, res);
    }
    struct cb_pool *p = cb_poolset_pick(&cb->set, order, false);
    if (cb_unlikely(!p)) {
        return alloc_slow(cb, order, can_use_dev, native, res);
    }
    if (order == 0) {
        /* constant order: the tree's single-frame path */
        return alloc_from(cb, p, 0, native, res);
    }
    return alloc_from_any(cb, p, order, native, res);
}

int capbuddy_alloc(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                   cspacepath_t *res)
{
    return alloc(cb, size_bits, paddr, can_use_dev, true, res);
}

int cb_api_alloc_copied(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                        cspacepath_t *res)
{
    return alloc(cb, size_bits, paddr, can_use_dev, false, res);
}

static CB_NOINLINE int alloc_after_drain(capbuddy_t *cb, unsigned order, uint64_t paddr,
                                         bool can_use_dev, bool native, cspacepath_t *res)
{
    cb_api_drain_hot_slow(cb);
    cb->set.horizon_left++; /* counted once (never 0 here: it was decremented from >= 1) */
    return alloc(cb, (seL4_Word)order + MIN_BITS, paddr, can_use_dev, native, res);
}
