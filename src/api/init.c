/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Configuration, start and tear-down of an allocator.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* cb_tunables.h reads the kernel's configuration where it is first included: make sure that
 * was after libsel4's (internal.h includes <capbuddy/capbuddy.h> first). */
#if defined(CONFIG_RETYPE_FAN_OUT_LIMIT) && CB_DEFAULT_FAN_OUT != CONFIG_RETYPE_FAN_OUT_LIMIT
#error "CB_DEFAULT_FAN_OUT was fixed before the kernel's configuration was read"
#endif

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
    cfg->spare_pools = CB_DEFAULT_SPARE_POOLS;
    cfg->retain_ops = CAPBUDDY_DEFAULT_RETAIN_OPS;
    cfg->max_overhead_pct = CAPBUDDY_DEFAULT_MAX_OVERHEAD_PCT;
    cfg->fan_out_limit = CB_DEFAULT_FAN_OUT;
}

static bool config_valid(const struct capbuddy_config *cfg)
{
    return cfg->parent && cfg->slots <= CAPBUDDY_SLOTS_CNODE &&
           (cfg->slots != CAPBUDDY_SLOTS_CNODE ||
            (cfg->cnode_l2_bits >= CB_TREE_MAX_ORDER && cfg->cnode_l2_bits < seL4_WordBits)) &&
           cfg->policy <= CAPBUDDY_POLICY_SCRUB && !!cfg->meta_alloc == !!cfg->meta_free &&
           cfg->slot_first + cfg->slot_count >= cfg->slot_first;
}

int capbuddy_init(capbuddy_t **out, const struct capbuddy_config *cfg)
{
    if (!out || !cfg || !config_valid(cfg)) {
        CB_LOG("init: invalid configuration");
        return CAPBUDDY_ERR_INVALID;
    }
    struct capbuddy_config c = *cfg;
    if (!c.meta_alloc) {
        c.meta_alloc = default_alloc;
        c.meta_free = default_free;
    }
    if (!c.fan_out_limit) {
        c.fan_out_limit = CB_DEFAULT_FAN_OUT;
    }
    capbuddy_t *cb = c.meta_alloc(c.meta_cookie, sizeof(*cb));
    if (!cb) {
        return CAPBUDDY_ERR_METADATA;
    }
    memset(cb, 0, sizeof(*cb));
    cb->cfg = c;
    cb_poolset_init(&cb->set, &cb->be, &cb->cfg);
    cb->set.horizon_left = c.retain_ops ? c.retain_ops : 1ul << 20;
    struct cb_meta *m = &cb->set.meta;
    m->alloc = c.meta_alloc;
    m->release = c.meta_free;
    m->cookie = c.meta_cookie;
    m->bytes = sizeof(*cb);
    cb->be.parent = c.parent;
    cb->be.root = c.cspace_root;
    cb->be.fan_out = c.fan_out_limit;
    cb->be.cnode_per_pool = c.slots == CAPBUDDY_SLOTS_CNODE;
    cb->be.l2_bits = c.cnode_l2_bits;
    if (cb_slots_init(&cb->be.slots, c.slot_first, c.slot_count, c.meta_alloc, c.meta_cookie,
                      &m->bytes)) {
        c.meta_free(c.meta_cookie, cb, sizeof(*cb));
        return CAPBUDDY_ERR_METADATA;
    }
    cb_meta_note(m);
    *out = cb;
    return CAPBUDDY_OK;
}

void capbuddy_destroy(capbuddy_t *cb)
{
    if (!cb) {
        return;
    }
    cb_poolset_give_back_all(&cb->set);
    struct cb_meta *m = &cb->set.meta;
    cb_poolset_fini(&cb->set);
    cb_slots_fini(&cb->be.slots, m->release, m->cookie, &m->bytes);
    cb->cfg.meta_free(cb->cfg.meta_cookie, cb, sizeof(*cb));
}
