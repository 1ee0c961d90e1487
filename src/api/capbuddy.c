/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The native API: picks pools, refills, quarantines, gives memory back. Every public
 * function checks all of its input before it changes anything.
 */
#include <capbuddy/capbuddy.h>

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "poolset.h"

#ifdef CAPBUDDY_LOG
#include <stdio.h>
#define LOG(...) (fprintf(stderr, "capbuddy: " __VA_ARGS__), fputc('\n', stderr))
#else
#define LOG(...) ((void)0)
#endif

#ifdef CONFIG_RETYPE_FAN_OUT_LIMIT
#define DEFAULT_FAN_OUT CONFIG_RETYPE_FAN_OUT_LIMIT
#else
#define DEFAULT_FAN_OUT 256
#endif

#define MIN_BITS seL4_PageBits
#define MAX_BITS (seL4_PageBits + CB_TREE_MAX_ORDER)

struct capbuddy {
    struct capbuddy_config cfg;
    struct cb_poolset set;
    struct cb_backend be;
    size_t meta, meta_peak;
    size_t nempty; /* pools with no live run: the spares, whatever their quarantine holds */
    unsigned long pools_created, pools_returned, pools_refreshed;
    /*
     * TRUST only: the last single RAM frame freed, not yet given back to its pool's tree.
     * A free/alloc ping-pong then costs no split and no merge (a lone frame in a lone pool
     * otherwise splits and merges all ten orders every pair). Every other operation first
     * finishes that free (drain_hot), and the statistics count the frame as free, so the
     * deferral shows only in which frame an order-0 alloc returns (the hot one, LIFO).
     * The frame stays allocated in the tree and counted in its pool's nlive; its pool is
     * counted in nempty when the frame was its last.
     */
    struct cb_pool *hot_pool; /* NULL: no hot frame */
    unsigned long hot_index;
};

/* ---- metadata ----------------------------------------------------------------------- */

static void *default_alloc(void *cookie, size_t bytes)
{
    (void)cookie;
    return malloc(bytes);
}

static void default_free(void *cookie, void *ptr, size_t bytes)
{
    (void)cookie;
    (void)bytes;
    free(ptr);
}

static void note_meta(capbuddy_t *cb)
{
    if (cb->meta > cb->meta_peak) {
        cb->meta_peak = cb->meta;
    }
}

static void *meta_alloc(capbuddy_t *cb, size_t bytes)
{
    void *p = cb->cfg.meta_alloc(cb->cfg.meta_cookie, bytes);
    if (p) {
        cb->meta += bytes;
        note_meta(cb);
    }
    return p;
}

static void meta_free(capbuddy_t *cb, void *p, size_t bytes)
{
    cb->cfg.meta_free(cb->cfg.meta_cookie, p, bytes);
    cb->meta -= bytes;
}

/* ---- init --------------------------------------------------------------------------- */

void capbuddy_config_default(struct capbuddy_config *cfg, vka_t *parent, seL4_CPtr cspace_root,
                             seL4_Word slot_first, seL4_Word slot_count)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->parent = parent;
    cfg->cspace_root = cspace_root;
    cfg->slots = CAPBUDDY_SLOTS_RANGE;
    cfg->slot_first = slot_first;
    cfg->slot_count = slot_count;
    cfg->policy = CAPBUDDY_POLICY_REVOKE;
    cfg->spare_pools = 1;
    cfg->fan_out_limit = DEFAULT_FAN_OUT;
}

int capbuddy_init(capbuddy_t **out, const struct capbuddy_config *cfg)
{
    if (!out || !cfg || !cfg->parent || cfg->slots > CAPBUDDY_SLOTS_CNODE ||
        (cfg->slots == CAPBUDDY_SLOTS_CNODE &&
         (cfg->cnode_l2_bits < CB_TREE_MAX_ORDER || cfg->cnode_l2_bits >= seL4_WordBits)) ||
        cfg->policy > CAPBUDDY_POLICY_SCRUB || !!cfg->meta_alloc != !!cfg->meta_free ||
        cfg->slot_first + cfg->slot_count < cfg->slot_first) {
        LOG("init: invalid configuration");
        return CAPBUDDY_ERR_INVALID;
    }
    struct capbuddy_config c = *cfg;
    if (!c.meta_alloc) {
        c.meta_alloc = default_alloc;
        c.meta_free = default_free;
    }
    if (!c.fan_out_limit) {
        c.fan_out_limit = DEFAULT_FAN_OUT;
    }
    capbuddy_t *cb = c.meta_alloc(c.meta_cookie, sizeof(*cb));
    if (!cb) {
        return CAPBUDDY_ERR_METADATA;
    }
    memset(cb, 0, sizeof(*cb));
    cb->cfg = c;
    cb->meta = sizeof(*cb);
    cb_poolset_init(&cb->set);
    cb->be.parent = c.parent;
    cb->be.root = c.cspace_root;
    cb->be.fan_out = c.fan_out_limit;
    cb->be.cnode_per_pool = c.slots == CAPBUDDY_SLOTS_CNODE;
    cb->be.l2_bits = c.cnode_l2_bits;
    if (cb_slots_init(&cb->be.slots, c.slot_first, c.slot_count, c.meta_alloc, c.meta_cookie,
                      &cb->meta)) {
        c.meta_free(c.meta_cookie, cb, sizeof(*cb));
        return CAPBUDDY_ERR_METADATA;
    }
    note_meta(cb);
    *out = cb;
    return CAPBUDDY_OK;
}

/* ---- pools: make, refresh, give back ------------------------------------------------ */

/* 1 device memory, 0 RAM, -1 unknown (no boot info to tell). */
static int paddr_is_device(const capbuddy_t *cb, uint64_t paddr)
{
    const seL4_BootInfo *bi = cb->cfg.bootinfo;
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

static int make_pool(capbuddy_t *cb, unsigned size_order, uint64_t paddr, bool device,
                     struct cb_pool **out)
{
    struct cb_pool *p = meta_alloc(cb, sizeof(*p));
    if (!p) {
        return CAPBUDDY_ERR_METADATA;
    }
    if (!cb_poolset_reserve(&cb->set, cb->cfg.meta_alloc, cb->cfg.meta_free, cb->cfg.meta_cookie,
                            &cb->meta) ||
        !cb_slots_reserve(&cb->be.slots, cb->cfg.meta_alloc, cb->cfg.meta_free,
                          cb->cfg.meta_cookie, &cb->meta)) {
        note_meta(cb);
        meta_free(cb, p, sizeof(*p));
        return CAPBUDDY_ERR_METADATA;
    }
    note_meta(cb);
    int err = cb_backend_make(&cb->be, size_order, paddr, device, &p->b);
    if (err) {
        meta_free(cb, p, sizeof(*p));
        return err;
    }
    cb_tree_init(&p->tree, size_order);
    p->device = device ? 1 : 0;
    /* Pools kept apart hold memory that may be device memory: only requests that allow it
     * may have it, unless the boot info says it is RAM. */
    p->devmem = device && paddr_is_device(cb, p->b.paddr) != 0;
    cb_poolset_add(&cb->set, p);
    cb->nempty++;
    cb->pools_created++;
    *out = p;
    return CAPBUDDY_OK;
}

static void give_back(capbuddy_t *cb, struct cb_pool *p)
{
    if (cb_backend_give_back(&cb->be, &p->b, cb_tree_size_order(&p->tree))) {
        /* Nothing went back. If the revoke failed, caps derived from quarantined runs may
         * live on; if the delete of the untyped cap failed, the frame caps are gone. Keep
         * the pool with its quarantine as it was, and let it serve again only after a
         * refresh (revoke + retype). Only empty pools (nlive == 0) come here, as the
         * pending list requires. */
        LOG("giving a pool back failed; kept for a refresh");
        if (p->bucket != CB_BUCKET_PENDING) {
            cb_poolset_make_pending(&cb->set, p);
        }
        return;
    }
    cb_poolset_remove(&cb->set, p);
    cb->nempty -= p->nlive == 0;
    meta_free(cb, p, sizeof(*p));
    cb->pools_returned++;
}

/* A pool whose frames are all free (or waiting for revocation) stays as a spare or goes
 * back to the parent. */
static void trim(capbuddy_t *cb, struct cb_pool *p)
{
    if (cb->nempty > cb->cfg.spare_pools) {
        give_back(cb, p);
    }
}

static void pool_emptied(capbuddy_t *cb, struct cb_pool *p)
{
    cb->nempty++;
    trim(cb, p);
}

/* Refresh a pending pool: one untyped revoke kills every cap derived from its frames and
 * the next retype zeroes its memory. On failure the pool goes back to the parent. */
static int refresh_pool(capbuddy_t *cb, struct cb_pool *p)
{
    unsigned size_order = cb_tree_size_order(&p->tree);
    int err = cb_backend_refresh(&cb->be, &p->b, size_order);
    if (err) {
        give_back(cb, p);
        return err;
    }
    cb_tree_init(&p->tree, size_order);
    memset(p->qmap, 0, sizeof(p->qmap));
    p->nquar = 0;
    cb_poolset_unpend(&cb->set, p);
    cb->pools_refreshed++;
    return CAPBUDDY_OK;
}

/* The next quarantined block at or after bit `from` of the quarantine map, below `end`, or -1:
 * a word at a time, so a flush costs the quarantined runs, not a walk over every block. */
static long next_qbit(const struct cb_pool *p, unsigned from, unsigned end)
{
    while (from < end) {
        unsigned w = from >> CB_TREE_LOG_WORD_BITS;
        cb_tree_word_t word = p->qmap[w] >> (from & (CB_TREE_WORD_BITS - 1));
        if (word) {
            unsigned b = from + cb_tree__ctz_word(word);
            return b < end ? (long)b : -1;
        }
        from = (w + 1) << CB_TREE_LOG_WORD_BITS;
    }
    return -1;
}

/*
 * Revoke (and scrub) the quarantined runs of one pool, frame by frame: 2 calls a frame
 * (Revoke, Unmap). A run whose frames cannot all be revoked (or scrubbed) stays quarantined;
 * *failed says so. Under SCRUB without a hook nothing can be reused this way: skipped.
 */
static bool flush_pool(capbuddy_t *cb, struct cb_pool *p, bool *failed)
{
    bool freed = false;
    if (cb->cfg.policy == CAPBUDDY_POLICY_SCRUB && !cb->cfg.scrub) {
        return false;
    }
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; o <= size_order && p->nquar; o++) {
        unsigned off = cb_tree_order_tab[o].off, end = off + (1u << (size_order - o));
        for (long b = next_qbit(p, off, end); b >= 0 && p->nquar; b = next_qbit(p, (unsigned)b + 1, end)) {
            unsigned long index = (unsigned long)(b - off) << o;
            bool ok = true;
            for (unsigned long f = index; ok && f < index + (1ul << o); f++) {
                seL4_CPtr frame = (seL4_CPtr)(p->b.first + f);
                ok = cb_backend_revoke_frame(&cb->be, frame) == CAPBUDDY_OK;
                if (ok && cb->cfg.policy == CAPBUDDY_POLICY_SCRUB) {
                    ok = cb->cfg.scrub(cb->cfg.scrub_cookie, frame) == 0;
                }
            }
            if (!ok) {
                *failed = true;
                continue; /* stays quarantined; the pool's refresh will deal with it */
            }
            cb_pool_qclear(p, index, o);
            (void)cb_tree_free(&p->tree, index, o);
            p->nquar -= 1u << o;
            freed = true;
        }
    }
    if (p->bucket != CB_BUCKET_PENDING || p->nquar == 0) {
        cb_poolset_rebucket(&cb->set, p); /* a pending pool leaves the list once clean */
    }
    return freed;
}

static bool flush_all(capbuddy_t *cb, bool *failed)
{
    bool freed = false;
    for (int d = 0; d < 2; d++) {
        for (unsigned b = 0; b < CB_BUCKETS; b++) {
            for (struct cb_pool *p = cb->set.bucket[d][b], *next; p; p = next) {
                next = p->next;
                if (p->nquar) {
                    freed |= flush_pool(cb, p, failed);
                }
            }
        }
    }
    return freed;
}

/*
 * Slow path: no pool can serve 2^order frames of this kind. In order of cost: refresh a
 * pending pool (one revoke and a few retypes), make a new pool from the parent (largest
 * first, smaller ones while memory or slots run short), revoke quarantined runs one frame
 * at a time.
 */
static int refill(capbuddy_t *cb, unsigned order, bool can_use_dev)
{
    for (struct cb_pool *p = cb->set.pending; p; p = p->next) {
        if (cb_tree_size_order(&p->tree) >= order && (!p->device || can_use_dev)) {
            /* Revoking a few frames one by one (2 calls each) can be cheaper than the
             * refresh (1 revoke + the retypes): e.g. a single frame freed and asked for
             * again, over and over. */
            unsigned long refresh_cost = 1 + (cb_pool_frames(p) + cb->be.fan_out - 1) / cb->be.fan_out;
            bool failed = false;
            if (2ul * p->nquar < refresh_cost && flush_pool(cb, p, &failed) && p->nquar == 0) {
                return CAPBUDDY_OK;
            }
            int err = refresh_pool(cb, p);
            if (!err) {
                return CAPBUDDY_OK;
            }
            break; /* the list changed; make a new pool instead */
        }
    }
    int err = CAPBUDDY_ERR_NO_MEMORY;
    for (int dev = 0; dev <= (int)can_use_dev; dev++) {
        for (unsigned size = CB_TREE_MAX_ORDER; size + 1 > order; size--) {
            struct cb_pool *p;
            err = make_pool(cb, size, VKA_NO_PADDR, dev, &p);
            if (!err) {
                return CAPBUDDY_OK;
            }
            if (err != CAPBUDDY_ERR_NO_MEMORY && err != CAPBUDDY_ERR_NO_SLOTS) {
                break;
            }
        }
    }
    bool failed = false;
    if (flush_all(cb, &failed)) {
        return CAPBUDDY_OK;
    }
    return err;
}

/* ---- the hot frame (TRUST) ----------------------------------------------------------- */

/* Finish the deferred free of the hot frame. If it was its pool's last frame, the pool was
 * counted empty (and would not have been trimmed) when the frame was freed. */
static void drain_hot(capbuddy_t *cb)
{
    struct cb_pool *p = cb->hot_pool;
    if (!p) {
        return;
    }
    cb->hot_pool = NULL;
    (void)cb_tree_free(&p->tree, cb->hot_index, 0); /* allocated at order 0: cannot fail */
    p->nlive -= 1;
    cb_poolset_rebucket(&cb->set, p);
}

/* ---- allocation --------------------------------------------------------------------- */

static void fill_path(const capbuddy_t *cb, const struct cb_pool *p, unsigned long index,
                      unsigned order, cspacepath_t *res)
{
    memset(res, 0, sizeof(*res));
    res->root = cb->cfg.cspace_root;
    res->capPtr = (seL4_CPtr)(p->b.first + index);
    res->capDepth = seL4_WordBits;
    if (cb->be.cnode_per_pool) {
        /* dest names the pool's CNode (its first-level slot), offset the slot in it */
        res->dest = (seL4_Word)p->b.cn_slot;
        res->destDepth = seL4_WordBits - cb->be.l2_bits;
        res->offset = index;
    } else {
        res->dest = cb->cfg.cspace_root;
        res->destDepth = seL4_WordBits;
        res->offset = res->capPtr;
    }
    res->window = (seL4_Word)1 << order;
}

static int alloc_at(capbuddy_t *cb, unsigned order, uint64_t paddr, bool can_use_dev,
                    cspacepath_t *res)
{
    uint64_t bytes = (uint64_t)1 << (order + seL4_PageBits);
    if (paddr & (bytes - 1)) {
        LOG("alloc at 0x%llx: not aligned to the run", (unsigned long long)paddr);
        return CAPBUDDY_ERR_INVALID;
    }
    struct cb_pool *p = cb_poolset_by_paddr(&cb->set, paddr);
    if (!p) {
        /* Without boot info the kind of memory at paddr is unknown: such a pool is kept
         * apart from anonymous RAM requests, but serves the addresses it was made for. */
        int kind = paddr_is_device(cb, paddr);
        if (kind == 1 && !can_use_dev) {
            return CAPBUDDY_ERR_PADDR;
        }
        bool device = kind != 0;
        int err = CAPBUDDY_ERR_PADDR;
        for (unsigned size = CB_TREE_MAX_ORDER; size + 1 > order; size--) {
            uint64_t base = paddr & ~(((uint64_t)1 << (size + seL4_PageBits)) - 1);
            err = make_pool(cb, size, base, device, &p);
            if (err != CAPBUDDY_ERR_PADDR && err != CAPBUDDY_ERR_NO_SLOTS) {
                break;
            }
        }
        if (err) {
            return err;
        }
        if (kind == -1 && !can_use_dev) {
            p->devmem = 0; /* asked for by address, by a caller who expects RAM there */
        }
    }
    if (p->devmem && !can_use_dev) {
        return CAPBUDDY_ERR_PADDR;
    }
    unsigned long index = (unsigned long)((paddr - p->b.paddr) >> seL4_PageBits);
    if (order > cb_tree_size_order(&p->tree)) {
        return CAPBUDDY_ERR_PADDR; /* the pool holding paddr is smaller than the run */
    }
    if (p->bucket == CB_BUCKET_PENDING) {
        int err = refresh_pool(cb, p);
        if (err) {
            return err;
        }
    }
    int err = cb_tree_alloc_at(&p->tree, index, order);
    if (err && p->nquar) {
        /* Quarantined runs may be in the way: a pool no one uses is refreshed (one revoke),
         * else its quarantine is revoked frame by frame. Then try again. */
        bool failed = false;
        if (p->nlive == 0) {
            cb_poolset_make_pending(&cb->set, p);
            err = refresh_pool(cb, p);
            if (err) {
                return err;
            }
        } else {
            (void)flush_pool(cb, p, &failed);
        }
        err = cb_tree_alloc_at(&p->tree, index, order);
    }
    if (err) {
        return CAPBUDDY_ERR_BUSY;
    }
    cb->nempty -= p->nlive == 0;
    p->nlive += 1u << order;
    cb_poolset_rebucket(&cb->set, p);
    fill_path(cb, p, index, order, res);
    return CAPBUDDY_OK;
}

int capbuddy_alloc(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                   cspacepath_t *res)
{
    if (!cb || !res || size_bits < MIN_BITS || size_bits > MAX_BITS) {
        LOG("alloc: invalid size_bits %lu", (unsigned long)size_bits);
        return CAPBUDDY_ERR_INVALID;
    }
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    if (order == 0 && paddr == VKA_NO_PADDR && cb->hot_pool) {
        struct cb_pool *p = cb->hot_pool; /* RAM: every request may have it */
        cb->hot_pool = NULL;
        cb->nempty -= p->nlive == 1;
        fill_path(cb, p, cb->hot_index, 0, res);
        return CAPBUDDY_OK;
    }
    drain_hot(cb);
    if (paddr != VKA_NO_PADDR) {
        return alloc_at(cb, order, paddr, can_use_dev, res);
    }
    for (;;) {
        struct cb_pool *p = cb_poolset_pick(&cb->set, order, false);
        if (!p && can_use_dev) {
            p = cb_poolset_pick(&cb->set, order, true);
        }
        if (p) {
            long index = cb_tree_alloc(&p->tree, order);
            cb->nempty -= p->nlive == 0;
            p->nlive += 1u << order;
            cb_poolset_rebucket(&cb->set, p);
            fill_path(cb, p, (unsigned long)index, order, res);
            return CAPBUDDY_OK;
        }
        int err = refill(cb, order, can_use_dev);
        if (err) {
            LOG("alloc: no pool for %lu bits: %s", (unsigned long)size_bits, capbuddy_strerror(err));
            return err;
        }
    }
}

/* ---- free --------------------------------------------------------------------------- */

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

int capbuddy_free(capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits)
{
    if (!cb || size_bits < MIN_BITS || size_bits > MAX_BITS) {
        return CAPBUDDY_ERR_INVALID;
    }
    struct cb_pool *p = cb_poolset_by_cptr(&cb->set, cptr);
    if (!p) {
        LOG("free: cptr %lu is not in a pool", (unsigned long)cptr);
        return CAPBUDDY_ERR_NOT_POOL;
    }
    unsigned order = (unsigned)(size_bits - MIN_BITS);
    unsigned long index = (unsigned long)(cptr - p->b.first);
    if (cb->cfg.policy == CAPBUDDY_POLICY_TRUST) {
        bool was_hot = cb->hot_pool == p && cb->hot_index == index;
        drain_hot(cb);
        /* A single RAM frame becomes the hot frame, unless it is its pool's last and the
         * pool would go back to the parent now (more empty pools than spares). */
        if (order == 0 && !was_hot && !p->device &&
            cb_tree__map_test(p->tree.alloc_map, cb_tree__bit_of(0, index)) &&
            (p->nlive > 1 || cb->nempty < cb->cfg.spare_pools)) {
            cb->hot_pool = p;
            cb->hot_index = index;
            cb->nempty += p->nlive == 1;
            return CAPBUDDY_OK;
        }
        /* No quarantine under TRUST: the tree's own free validates and frees in one pass. */
        int err = cb_tree_free(&p->tree, index, order);
        if (err) {
            LOG("free: cptr %lu, %lu bits: %s", (unsigned long)cptr, (unsigned long)size_bits,
                capbuddy_strerror(free_error(err)));
            return free_error(err);
        }
        p->nlive -= 1u << order;
        cb_poolset_rebucket(&cb->set, p);
        if (p->nlive == 0) {
            pool_emptied(cb, p);
        }
        return CAPBUDDY_OK;
    }
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
    if (err) {
        LOG("free: cptr %lu, %lu bits: %s", (unsigned long)cptr, (unsigned long)size_bits,
            capbuddy_strerror(free_error(err)));
        return free_error(err);
    }
    p->nlive -= 1u << order;
    cb_pool_qset(p, index, order);
    p->nquar += 1u << order;
    if (p->nlive == 0) {
        /* No one uses the pool now: it waits for one refresh (or for a frame-by-frame revoke
         * of its quarantine when that is cheaper, see refill) before it serves again. */
        cb_poolset_make_pending(&cb->set, p);
        pool_emptied(cb, p);
    }
    return CAPBUDDY_OK;
}

/* ---- queries ------------------------------------------------------------------------ */

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
    return p ? p->b.paddr + ((uint64_t)(cptr - p->b.first) << seL4_PageBits) : VKA_NO_PADDR;
}

int capbuddy_flush(capbuddy_t *cb)
{
    if (!cb) {
        return CAPBUDDY_ERR_INVALID;
    }
    drain_hot(cb);
    while (cb->set.pending) {
        struct cb_pool *p = cb->set.pending;
        if (refresh_pool(cb, p)) {
            return CAPBUDDY_ERR_KERNEL;
        }
        trim(cb, p);
    }
    bool failed = false;
    flush_all(cb, &failed);
    return failed ? CAPBUDDY_ERR_KERNEL : CAPBUDDY_OK;
}

static void stat_pool(const struct cb_pool *p, struct capbuddy_stats *st)
{
    st->frames_free += cb_tree_free_frames(&p->tree);
    st->frames_used += p->nlive;
    st->frames_quarantined += p->nquar;
    if (cb_tree_largest_free_order(&p->tree) > st->largest_free_order) {
        st->largest_free_order = cb_tree_largest_free_order(&p->tree);
    }
    /* Runs waiting: count quarantined runs. */
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; p->nquar && o <= size_order; o++) {
        for (unsigned long i = 0; i < (1ul << (size_order - o)); i++) {
            st->revocations_pending += cb_pool_qtest(p, i << o, o);
        }
    }
}

void capbuddy_stats(const capbuddy_t *cb, struct capbuddy_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->largest_free_order = -1;
    if (!cb) {
        return;
    }
    for (int d = 0; d < 2; d++) {
        for (unsigned b = 0; b < CB_BUCKETS; b++) {
            for (const struct cb_pool *p = cb->set.bucket[d][b]; p; p = p->next) {
                if (p == cb->hot_pool) {
                    /* As it will be once the hot frame's free is finished. */
                    struct cb_pool drained = *p;
                    (void)cb_tree_free(&drained.tree, cb->hot_index, 0);
                    drained.nlive -= 1;
                    stat_pool(&drained, st);
                } else {
                    stat_pool(p, st);
                }
            }
        }
    }
    for (const struct cb_pool *p = cb->set.pending; p; p = p->next) {
        stat_pool(p, st);
    }
    st->pools_ram = cb->set.npools[0];
    st->pools_device = cb->set.npools[1];
    st->pools_created = cb->pools_created;
    st->pools_returned = cb->pools_returned;
    st->pools_refreshed = cb->pools_refreshed;
    st->kernel_calls = cb_backend_kernel_calls(&cb->be);
    st->retypes = cb->be.retypes;
    st->revokes = cb->be.revokes;
    st->deletes = cb->be.deletes;
    st->unmaps = cb->be.unmaps;
    st->metadata_bytes = cb->meta;
    st->metadata_bytes_peak = cb->meta_peak;
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
    size_t pools = cb->set.npools[0] + cb->set.npools[1];
    size_t expect_meta = sizeof(*cb) + pools * sizeof(struct cb_pool) +
                         cb->be.slots.cap * sizeof(struct cb_extent);
    for (int d = 0; d < 2; d++) {
        for (unsigned b = 0; b < CB_BUCKETS; b++) {
            for (const struct cb_pool *p = cb->set.bucket[d][b]; p; p = p->next) {
                slots += cb_pool_frames(p);
            }
        }
    }
    for (const struct cb_pool *p = cb->set.pending; p; p = p->next) {
        slots += cb_pool_frames(p);
    }
    if (cb->be.cnode_per_pool) {
        slots = pools; /* one first-level slot per pool */
    }
    size_t nempty = 0;
    for (int d = 0; d < 2; d++) {
        for (unsigned b = 0; b < CB_BUCKETS; b++) {
            for (const struct cb_pool *p = cb->set.bucket[d][b]; p; p = p->next) {
                nempty += p->nlive == 0;
            }
        }
    }
    for (const struct cb_pool *p = cb->set.pending; p; p = p->next) {
        nempty += p->nlive == 0;
    }
    if (cb->hot_pool) {
        const struct cb_pool *h = cb->hot_pool;
        if (cb->cfg.policy != CAPBUDDY_POLICY_TRUST || h->device ||
            h->bucket == CB_BUCKET_PENDING || !cb_tree_is_allocated(&h->tree, cb->hot_index, 0) ||
            cb_poolset_by_cptr(&cb->set, h->b.first) != h) {
            return -__LINE__;
        }
        nempty += h->nlive == 1; /* its last frame is the hot one: empty to its user */
    }
    if (nempty != cb->nempty) {
        return -__LINE__;
    }
    if (slots != cb->be.slots.used || cb->be.slots.ranges != pools) {
        return -__LINE__;
    }
    const struct cb_index *ix[2] = {&cb->set.by_cptr, &cb->set.by_paddr};
    for (int i = 0; i < 2; i++) {
        if (ix[i]->slot) {
            expect_meta += ((size_t)1 << ix[i]->bits) * sizeof(struct cb_pool *);
        }
    }
    return cb->meta == expect_meta ? 0 : -__LINE__;
}

void capbuddy_destroy(capbuddy_t *cb)
{
    if (!cb) {
        return;
    }
    for (;;) {
        struct cb_pool *p = cb->set.pending;
        for (int d = 0; !p && d < 2; d++) {
            for (unsigned b = 0; !p && b < CB_BUCKETS; b++) {
                p = cb->set.bucket[d][b];
            }
        }
        if (!p) {
            break;
        }
        cb_poolset_remove(&cb->set, p);
        if (cb_backend_give_back(&cb->be, &p->b, cb_tree_size_order(&p->tree))) {
            LOG("destroy: a pool could not be revoked; its memory stays with it");
        } else {
            cb->pools_returned++;
        }
        meta_free(cb, p, sizeof(*p));
    }
    cb_poolset_fini(&cb->set, cb->cfg.meta_free, cb->cfg.meta_cookie, &cb->meta);
    cb_slots_fini(&cb->be.slots, cb->cfg.meta_free, cb->cfg.meta_cookie, &cb->meta);
    cb->cfg.meta_free(cb->cfg.meta_cookie, cb, sizeof(*cb));
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
