/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Queries: is a run from a pool, a frame's physical address, the statistics; the error text.
 */
#include "internal.h"

#include <string.h>

bool capbuddy_is_from_pool(const capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits)
{
    if (!cb || size_bits < MIN_BITS || size_bits > MAX_BITS) {
        return false;
    }
    const struct cb_pool *p = cb_poolset_by_cptr(&cb->set, cptr);
    seL4_Word n = (seL4_Word)1 << (size_bits - MIN_BITS);
    /* Pools never share a slot range, so one pool must hold the whole run. */
    return p && cptr - p->b.first + n <= cb_pool_frames(p);
}

uint64_t capbuddy_paddr(const capbuddy_t *cb, seL4_CPtr cptr)
{
    const struct cb_pool *p = cb ? cb_poolset_by_cptr(&cb->set, cptr) : NULL;
    return p ? p->b.paddr + ((uint64_t)(cptr - p->b.first) << CB_PAGE_BITS) : VKA_NO_PADDR;
}

/* The hot frame counts as free: add it back to the figures of its pool. */
static void stat_pool(const capbuddy_t *cb, const struct cb_pool *p, struct capbuddy_stats *st)
{
    bool hot = p == cb->hot_pool;
    st->frames_free += cb_tree_free_frames(&p->tree) + hot;
    st->frames_used += p->nlive - hot;
    st->frames_quarantined += p->nquar;
    int largest = hot ? cb_tree_largest_free_order_after_free(&p->tree, cb->hot_index, 0)
                      : cb_tree_largest_free_order(&p->tree);
    if (largest > st->largest_free_order) {
        st->largest_free_order = largest;
    }
    st->revocations_pending += cb_pool_quarantined_runs(p);
}

void capbuddy_stats(const capbuddy_t *cb, struct capbuddy_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->largest_free_order = -1;
    if (!cb) {
        return;
    }
    struct cb_pool_iter it;
    const struct cb_pool *p;
    cb_poolset_for_each(&cb->set, CB_WALK_ALL, it, p)
    {
        stat_pool(cb, p, st);
    }
    st->pools_ram = cb->set.npools[0];
    st->pools_device = cb->set.npools[1];
    st->pools_created = cb->set.created;
    st->pools_returned = cb->set.returned;
    st->pools_refreshed = cb->set.refreshed;
    st->pools_idle = cb->set.nempty;
    st->inline_refills = cb->set.inline_refills;
    st->inline_give_backs = cb->set.inline_give_backs;
    st->frames_revoked = cb->set.frames_revoked;
    st->frames_zeroed = cb->frames_zeroed;
    st->zero_fallbacks = cb->zero_fallbacks;
    st->kernel_calls = cb_backend_kernel_calls(&cb->be);
    st->retypes = cb->be.retypes;
    st->revokes = cb->be.revokes;
    st->deletes = cb->be.deletes;
    st->unmaps = cb->be.unmaps;
    st->cnodes_kept = cb->be.kept_l1 + cb->be.kept_parent;
    st->metadata_bytes = cb->set.meta.bytes;
    st->metadata_bytes_peak = cb->set.meta.peak;
}

const char *capbuddy_strerror(int err)
{
    static const char *const text[] = {
        "ok",
        "invalid argument",
        "parent has no memory for a pool",
        "no free slots",
        "kernel invocation failed",
        "metadata allocation failed",
        "memory at that physical address is not available",
        "cptr is not in a pool",
        "run is not allocated (double free?)",
        "an allocation of another size starts there",
        "cptr is not aligned to the run's size",
        "cptr lies inside a larger allocation",
        "part of the run at that address is in use",
    };
    return err <= 0 && -err < (int)(sizeof(text) / sizeof(text[0])) ? text[-err] : "unknown error";
}
