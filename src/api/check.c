/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_check: the pool set's invariants, then what ties the layers together (the empty
 * pool count, the slot window, the metadata bytes, the hot frame).
 */
#include "internal.h"

#define CHECK(cond) CB_CHECK(CB_CHECK_FILE_API, cond)

static int check_hot(const capbuddy_t *cb)
{
    const struct cb_pool *h = cb->hot_pool;
    CHECK(cb->cfg.policy == CAPBUDDY_POLICY_TRUST && !h->device && h->bucket != CB_BUCKET_PENDING &&
          cb_tree_is_allocated(&h->tree, cb->hot_index, 0) &&
          cb_poolset_by_cptr(&cb->set, h->b.first) == h);
    return 0;
}

int capbuddy_check(const capbuddy_t *cb)
{
    if (!cb) {
        return CAPBUDDY_ERR_INVALID;
    }
    int err = cb_poolset_check(&cb->set);
    if (err) {
        return err;
    }
    /* Every slot the window handed out belongs to exactly one pool. */
    uintptr_t slots = 0;
    size_t pools = cb->set.npools[0] + cb->set.npools[1], nempty = 0;
    struct cb_pool_iter it;
    const struct cb_pool *p;
    cb_poolset_for_each(&cb->set, CB_WALK_ALL, it, p)
    {
        slots += cb_pool_frames(p);
        nempty += p->nlive == 0;
    }
    size_t ranges = pools;
    if (cb->be.cnode_per_pool) {
        /* one first-level slot per pool, and one per CNode kept after its Delete failed */
        slots = pools + cb->be.kept_l1;
        ranges += cb->be.kept_l1;
    }
    if (cb->hot_pool) {
        err = check_hot(cb);
        if (err) {
            return err;
        }
        nempty += cb->hot_pool->nlive == 1; /* its last frame is the hot one: empty to its user */
    }
    CHECK(nempty == cb->set.nempty);
    CHECK(slots == cb_slots_used(&cb->be.slots) && cb_slots_ranges(&cb->be.slots) == ranges);
    CHECK(cb->set.meta.bytes ==
          sizeof(*cb) + cb_poolset_meta_bytes(&cb->set) + cb_slots_meta_bytes(&cb->be.slots));
    return 0;
}
