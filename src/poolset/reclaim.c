/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A pool's life: made from an untyped of the parent, refreshed with one untyped revoke when
 * all of its frames were freed under a quarantining policy, given back to the parent when
 * more pools than the spares are wholly free.
 */
#include "poolset.h"

#include <string.h>

#include <capbuddy/capbuddy.h>

#include "backend.h"

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
    p->device = device ? 1 : 0;
    /* Pools kept apart hold memory that may be device memory: only requests that allow it
     * may have it, unless the boot info says it is RAM. */
    p->devmem = device && cb_poolset_paddr_kind(s, p->b.paddr) != 0;
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

/* A pool whose frames are all free (or waiting for revocation) stays as a spare or goes
 * back to the parent. */
void cb_poolset_trim(struct cb_poolset *s, struct cb_pool *p)
{
    if (s->nempty > s->cfg->spare_pools) {
        give_back(s, p);
    }
}

void cb_poolset_emptied(struct cb_poolset *s, struct cb_pool *p)
{
    s->nempty++;
    cb_poolset_trim(s, p);
}

/* One untyped revoke kills every cap derived from the pool's frames and the next retype
 * zeroes its memory. On failure the pool goes back to the parent. */
int cb_poolset_refresh(struct cb_poolset *s, struct cb_pool *p)
{
    unsigned size_order = cb_tree_size_order(&p->tree);
    int err = cb_backend_refresh(s->be, &p->b, size_order);
    if (err) {
        give_back(s, p);
        return err;
    }
    cb_tree_init(&p->tree, size_order);
    memset(p->qmap, 0, sizeof(p->qmap));
    p->nquar = 0;
    cb_poolset_unpend(s, p);
    s->refreshed++;
    return CAPBUDDY_OK;
}

int cb_poolset_refresh_all(struct cb_poolset *s)
{
    while (s->pending) {
        struct cb_pool *p = s->pending;
        if (cb_poolset_refresh(s, p)) {
            return CAPBUDDY_ERR_KERNEL;
        }
        cb_poolset_trim(s, p);
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
        if (cb_backend_give_back(s->be, &p->b, cb_tree_size_order(&p->tree))) {
            CB_LOG("destroy: a pool could not be revoked; its memory stays with it");
        } else {
            s->returned++;
        }
        cb_meta_free(&s->meta, p, sizeof(*p));
    }
}
