/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A pool's life: made from an untyped of the parent, refreshed with one untyped revoke when
 * that is the cheapest way to clean its quarantine, given back to the parent when more pools
 * are empty than the recent demand and the spares call for.
 *
 * Retention by demand, as the best general-purpose allocators return memory (jemalloc's
 * decay, TCMalloc's "keep what the recent peak needs", mimalloc's purge delay): remaking a
 * pool costs the kernel its 4 MiB clearing (~2.5 M instructions on x86_64) when the parent
 * hands out memory it had before, so a pool emptied in a dip of demand is kept while the
 * peak of pools in use over the last one to two horizons says it will be needed again.
 */
#include "poolset.h"

#include <string.h>

#include <capbuddy/capbuddy.h>

#include "backend.h"
#include "cb_costs.h"

int cb_poolset_paddr_kind(const struct cb_poolset *s, uint64_t paddr)
{
    const seL4_BootInfo *bi = s->cfg->bootinfo;
    if (!bi) {
        return -1;
    }
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (paddr >= d->paddr && paddr - d->paddr < ((uint64_t)1 << d->sizeBits)) {
            return d->isDevice;
        }
    }
    return -1;
}

int cb_poolset_make_pool(struct cb_poolset *s, unsigned size_order, uint64_t paddr, bool device,
                         struct cb_pool **out)
{
    struct cb_meta *m = &s->meta;
    struct cb_pool *p = cb_meta_alloc(m, sizeof(*p));
    if (!p) {
        return CAPBUDDY_ERR_METADATA;
    }
    if (!cb_poolset_reserve(s) ||
        !cb_slots_reserve(&s->be->slots, m->alloc, m->release, m->cookie, &m->bytes)) {
        cb_meta_note(m);
        cb_meta_free(m, p, sizeof(*p));
        return CAPBUDDY_ERR_METADATA;
    }
    cb_meta_note(m);
    int err = cb_backend_make(s->be, size_order, paddr, device, &p->b);
    if (err) {
        cb_meta_free(m, p, sizeof(*p));
        return err;
    }
    cb_tree_init(&p->tree, size_order);
    p->nlive = p->nquar = 0;
    p->native = p->in_quar = 0;
    p->qprev = p->qnext = NULL;
    memset(p->qmap, 0, sizeof(p->qmap));
    p->device = device ? 1 : 0;
    /* Pools kept apart hold memory that may be device memory: only requests that allow it
     * may have it, unless the boot info says it is RAM. */
    p->devmem = device && cb_poolset_paddr_kind(s, p->b.paddr) != 0;
    cb_pool_dirty_reset(p, false); /* no owner of ours wrote to it yet */
    p->stranded = 0;
    cb_poolset_add(s, p);
    s->nempty++;
    s->created++;
    *out = p;
    return CAPBUDDY_OK;
}

static void give_back(struct cb_poolset *s, struct cb_pool *p)
{
    if (cb_backend_give_back(s->be, &p->b, cb_tree_size_order(&p->tree))) {
        /* Nothing went back. If the revoke failed, caps derived from quarantined runs may
         * live on; if the delete of the untyped cap failed, the frame caps are gone. Keep
         * the pool with its quarantine as it was, and let it serve again only after a
         * refresh (revoke + retype). Only empty pools (nlive == 0) come here, as the
         * pending list requires. */
        CB_LOG("giving a pool back failed; kept for a refresh");
        if (p->bucket != CB_BUCKET_PENDING) {
            cb_poolset_make_pending(s, p);
        }
        return;
    }
    cb_poolset_remove(s, p);
    s->nempty -= p->nlive == 0;
    cb_meta_free(&s->meta, p, sizeof(*p));
    s->returned++;
}

size_t cb_poolset_reserve_pools(const struct cb_poolset *s)
{
    return s->burst_cur > s->burst_prev ? s->burst_cur : s->burst_prev;
}

/* Empty pools that fit under the ceiling tied to use: frames held by pools in use plus
 * the empty ones <= (100 + max_overhead_pct) % of the frames in use + one largest pool.
 * O(pools): called only when a pool empties, at a horizon, or by maintenance. */
static size_t empty_room(const struct cb_poolset *s)
{
    uint64_t used = 0, busy = 0; /* frames live; frames of pools with a live frame */
    struct cb_pool_iter it;
    const struct cb_pool *p;
    cb_poolset_for_each(s, CB_WALK_ALL, it, p)
    {
        used += p->nlive;
        busy += p->nlive ? cb_pool_frames(p) : 0;
    }
    uint64_t pool = 1u << CB_TREE_MAX_ORDER;
    uint64_t line = used + used * s->cfg->max_overhead_pct / 100 + pool;
    return line > busy ? (size_t)((line - busy) / pool) : 0;
}

size_t cb_poolset_empty_allowed(const struct cb_poolset *s)
{
    size_t in_use = s->npools[0] + s->npools[1] - s->nempty;
    size_t demand = s->peak_cur > s->peak_prev ? s->peak_cur : s->peak_prev;
    size_t allowed = s->cfg->retain_ops && demand > in_use ? demand - in_use : 0;
    allowed += cb_poolset_reserve_pools(s); /* 0 without maintenance */
    if (allowed < s->cfg->spare_pools) {
        allowed = s->cfg->spare_pools;
    }
    if (s->cfg->max_idle_pools && allowed > s->cfg->max_idle_pools) {
        allowed = s->cfg->max_idle_pools;
    }
    if (s->cfg->max_overhead_pct && allowed > s->cfg->spare_pools) {
        size_t room = empty_room(s);
        if (allowed > room) {
            allowed = room > s->cfg->spare_pools ? room : s->cfg->spare_pools;
        }
    }
    return allowed;
}

/* Out of line, so that the usual case (at most the spares) stays a few instructions. */
static CB_NOINLINE void trim_beyond_spares(struct cb_poolset *s, struct cb_pool *p,
                                           bool inline_call)
{
    if (s->nempty > cb_poolset_empty_allowed(s) && !(inline_call && s->maintained) &&
        !p->stranded) {
        s->inline_give_backs += inline_call;
        give_back(s, p);
    }
}

/* A pool whose frames are all free (or waiting for revocation) stays held or goes back to
 * the parent. */
void cb_poolset_trim(struct cb_poolset *s, struct cb_pool *p, bool inline_call)
{
    size_t floor = s->cfg->spare_pools;
    if (s->cfg->max_idle_pools && s->cfg->max_idle_pools < floor) {
        floor = s->cfg->max_idle_pools;
    }
    if (s->nempty <= floor) {
        return; /* at most the spares: kept whatever the demand (the usual case) */
    }
    trim_beyond_spares(s, p, inline_call);
}

void cb_poolset_emptied(struct cb_poolset *s, struct cb_pool *p)
{
    s->nempty++;
    cb_poolset_trim(s, p, true);
}

uint64_t cb_poolset_decay(struct cb_poolset *s, uint64_t budget)
{
    uint64_t spent = 0;
    while (s->nempty > cb_poolset_empty_allowed(s) && spent < budget) {
        /* pending pools first, then wholly free ones from the largest bucket down, then
         * any without live frames (its quarantine goes with it) */
        struct cb_pool *victim = NULL;
        struct cb_pool_iter it;
        struct cb_pool *p;
        cb_poolset_for_each(s, CB_WALK_PENDING, it, p)
        {
            if (!p->stranded) {
                victim = p;
                break;
            }
        }
        for (int d = 0; !victim && d < 2; d++) {
            for (unsigned b = CB_BUCKETS; !victim && b > 0; b--) {
                for (p = s->bucket[d][b - 1]; p; p = p->next) {
                    if (p->nlive == 0) {
                        victim = p;
                        break;
                    }
                }
            }
        }
        if (!victim) {
            break; /* the empty one is the interface layer's cached frame's pool */
        }
        size_t before = s->npools[0] + s->npools[1];
        spent += cb_cost_revoke(cb_pool_frames(victim)) + CB_COST_DELETE;
        give_back(s, victim);
        if (s->npools[0] + s->npools[1] == before) {
            break; /* it failed and was kept for a refresh */
        }
    }
    return spent;
}

void cb_poolset_horizon(struct cb_poolset *s, bool from_maintain)
{
    s->horizon_left = s->cfg->retain_ops ? s->cfg->retain_ops : 1ul << 20;
    s->horizons++;
    s->peak_prev = s->peak_cur;
    s->peak_cur = s->npools[0] + s->npools[1] - s->nempty;
    s->burst_prev = s->burst_cur;
    s->burst_cur = 0;
    if (!from_maintain && !s->maintained && s->nempty > cb_poolset_empty_allowed(s)) {
        s->inline_give_backs++;
        (void)cb_poolset_decay(s, UINT64_MAX);
    }
}

/* SCRUB, device memory: the refresh left the frames' data (the kernel clears RAM only); the
 * hook zeroes every dirty frame now. A frame it cannot zero goes back into quarantine, out of
 * use, for a later cleaning to try again. */
static void scrub_device_frames(struct cb_poolset *s, struct cb_pool *p)
{
    const struct capbuddy_config *cfg = s->cfg;
    for (unsigned long f = 0; f < cb_pool_frames(p); f++) {
        if (!cb_pool_dirty_test(p, f)) {
            continue;
        }
        if (cfg->scrub(cfg->scrub_cookie, (seL4_CPtr)(p->b.first + f)) == 0) {
            cb_pool_dirty_set(p, f, 0, false);
            continue;
        }
        (void)cb_tree_alloc_at(&p->tree, f, 0); /* free after the refresh: cannot fail */
        p->nlive += 1;
        cb_pool_quarantine(s, p, f, 0);
    }
    cb_poolset_rebucket(s, p);
}

/* One untyped revoke kills every cap derived from the pool's frames and the next retype
 * zeroes its memory (RAM; device memory keeps its data: under SCRUB the hook zeroes what
 * owners wrote, and without a hook such a pool is kept out of use, stranded: returns
 * CAPBUDDY_ERR_PADDR and the pool stays pending). On failure the pool goes back to the
 * parent. */
int cb_poolset_refresh(struct cb_poolset *s, struct cb_pool *p)
{
    unsigned size_order = cb_tree_size_order(&p->tree);
    bool scrub_dev = p->devmem && s->cfg->policy == CAPBUDDY_POLICY_SCRUB;
    if (p->devmem) {
        cb_pool_dirty_quarantine(p); /* what owners wrote stays in device memory */
    }
    if (p->stranded || (scrub_dev && !s->cfg->scrub)) {
        if (p->bucket != CB_BUCKET_PENDING) {
            cb_poolset_make_pending(s, p);
        }
        p->stranded = 1;
        return CAPBUDDY_ERR_PADDR;
    }
    int err = cb_backend_refresh(s->be, &p->b, size_order);
    if (err) {
        give_back(s, p);
        return err;
    }
    cb_tree_init(&p->tree, size_order);
    memset(p->qmap, 0, sizeof(p->qmap));
    p->nquar = 0;
    if (p->in_quar) {
        cb_poolset__quar_unlink(s, p);
    }
    p->native = 0;
    if (!p->devmem) {
        cb_pool_dirty_reset(p, false); /* the retype zeroed RAM */
    }
    cb_poolset_unpend(s, p); /* from the pending list or its bucket to its new bucket */
    s->refreshed++;
    if (scrub_dev) {
        scrub_device_frames(s, p);
    }
    return CAPBUDDY_OK;
}

int cb_poolset_refresh_all(struct cb_poolset *s)
{
    struct cb_pool *p = s->pending;
    while (p) {
        if (p->stranded) {
            p = p->next; /* kept out of use until destroy */
            continue;
        }
        int err = cb_poolset_refresh(s, p);
        if (err == CAPBUDDY_ERR_PADDR) {
            p = s->pending; /* it was stranded now: start over, it is skipped */
            continue;
        }
        if (err) {
            return CAPBUDDY_ERR_KERNEL;
        }
        cb_poolset_trim(s, p, false);
        p = s->pending;
    }
    return CAPBUDDY_OK;
}

void cb_poolset_give_back_all(struct cb_poolset *s)
{
    for (;;) {
        struct cb_pool_iter it;
        cb_poolset_iter_init(&it, s, CB_WALK_PENDING);
        struct cb_pool *p = cb_poolset_iter_next(&it);
        if (!p) {
            cb_poolset_iter_init(&it, s, CB_WALK_BUCKETS);
            p = cb_poolset_iter_next(&it);
        }
        if (!p) {
            break;
        }
        cb_poolset_remove(s, p);
        if (cb_backend_give_back_final(s->be, &p->b, cb_tree_size_order(&p->tree))) {
            CB_LOG("destroy: a pool could not be revoked; its memory stays with it");
        } else {
            s->returned++;
        }
        cb_meta_free(&s->meta, p, sizeof(*p));
    }
}
