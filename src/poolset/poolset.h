/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Layer 2, the pool set: every pool of one allocator.
 *
 * Bookkeeping (poolset.c, seL4-free): pools bucketed by largest free order, so that the pool
 * to serve a request is found with one count-trailing-zeros, and indexed by cptr and by
 * physical address, so that a free or an alloc-at finds its pool in O(1) expected.
 * Upkeep (quarantine.c, reclaim.c, refill.c): the quarantine of freed runs, making pools
 * from untypeds and refreshing or giving them back, refilling when no pool can serve. It
 * asks the backend (layer 3) for slots, untypeds and kernel work, and knows nothing of how
 * the backend gets them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_compiler.h"
#include "pool.h"

struct cb_backend;
struct capbuddy_config;

/* Keys: a pool of up to 2^K frames whose slots and memory are aligned to its size lies in
 * exactly one 2^K-slot chunk and one 2^(K + page bits)-byte chunk. */
#define CB_INDEX_CPTR_SHIFT  CB_TREE_MAX_ORDER
#define CB_INDEX_PADDR_SHIFT (CB_TREE_MAX_ORDER + CB_PAGE_BITS)

/* Metadata: the caller's hooks, and the bytes taken through them (now and at most). */
struct cb_meta {
    void *(*alloc)(void *cookie, size_t bytes);
    void (*release)(void *cookie, void *ptr, size_t bytes);
    void *cookie;
    size_t bytes, peak;
};

struct cb_index {
    struct cb_pool **slot; /* chained hash table, 2^bits heads */
    unsigned bits;
    size_t count;
};

struct cb_poolset {
    /* the fast path's fields first */
    uint32_t mask[2];                      /* bit b: bucket b not empty */
    struct cb_pool *bucket[2][CB_BUCKETS]; /* [device][largest free order + 1] */
    struct cb_index by_cptr, by_paddr;
    struct cb_pool *pending; /* pools waiting for a refresh */
    size_t npools[2];
    size_t nwhole; /* pools wholly free, in buckets */
    size_t npending;
    /* Pools with no live run: the spares, whatever their quarantine holds. Kept by the
     * upkeep and by the interface layer's order-0 cache (a cached frame's pool counts as
     * empty when the frame is its last). */
    size_t nempty;
    unsigned long created, returned, refreshed;
    struct cb_meta meta;
    /* The lifecycle (reclaim.c). Demand: the most pools in use (holding a live frame) in
     * this horizon and the last; a horizon is cfg->retain_ops allocations (the interface
     * layer counts them down in horizon_left and calls cb_poolset_horizon at 0), or a
     * maintain call with no allocation since the previous one. */
    uint64_t horizon_left, horizons;
    uint64_t maint_left, maint_horizons; /* the two as the last maintain call left them */
    size_t peak_cur, peak_prev;
    /* Under maintenance: wholly free pools used up between two maintain calls (the most in
     * this horizon and the last) and the count the last call left. */
    size_t burst_cur, burst_prev, whole_after_maintain;
    bool maintained; /* capbuddy_maintain was called: it gives pools back, not alloc/free */
    unsigned long inline_refills, inline_give_backs, frames_revoked;
    /* Quarantine (quarantine.c): pools with quarantined runs, oldest first. */
    struct cb_pool *qhead, *qtail;
    size_t nquar_pools;
    /* Upkeep only: the backend it asks, and the allocator's configuration (policy, scrub
     * hook, spare pools, boot info). */
    struct cb_backend *be;
    const struct capbuddy_config *cfg;
};

/* ---- bookkeeping (poolset.c) --------------------------------------------------------- */

/* An empty set; meta's hooks must be set before the first pool. */
void cb_poolset_init(struct cb_poolset *s, struct cb_backend *be,
                     const struct capbuddy_config *cfg);

/* Account for metadata taken or given back outside the set (peak follows). */
static inline void cb_meta_note(struct cb_meta *m)
{
    if (m->bytes > m->peak) {
        m->peak = m->bytes;
    }
}
void *cb_meta_alloc(struct cb_meta *m, size_t bytes);
void cb_meta_free(struct cb_meta *m, void *ptr, size_t bytes);

/* The pool whose largest free run is the smallest that fits 2^order, or NULL. O(1). */
static inline struct cb_pool *cb_poolset_pick(const struct cb_poolset *s, unsigned order,
                                              bool device)
{
    uint32_t m = s->mask[device] >> (order + 1);
    return cb_likely(m) ? s->bucket[device][order + 1 + (unsigned)__builtin_ctz(m)] : NULL;
}

/* Move a pool between lists (never called directly: cb_poolset_rebucket decides). */
void cb_poolset__move(struct cb_poolset *s, struct cb_pool *p, unsigned bucket);

/* Put a pool in the bucket its tree now calls for (after an alloc or free). O(1); inline,
 * and a compare when the largest free run did not change (most operations). */
static inline void cb_poolset_rebucket(struct cb_poolset *s, struct cb_pool *p)
{
    unsigned want = (unsigned)cb_pool_bucket_of(p);
    if (cb_unlikely(want != p->bucket)) {
        cb_poolset__move(s, p, want);
    }
}

/* Move a pool to / from the pending (refresh) list. */
void cb_poolset_make_pending(struct cb_poolset *s, struct cb_pool *p);
void cb_poolset_unpend(struct cb_poolset *s, struct cb_pool *p);

/* Make sure the indexes can take one more pool without allocating (call before making one).
 * Returns false when the metadata hook fails. */
bool cb_poolset_reserve(struct cb_poolset *s);

/* Add a new pool (tree initialised, backing filled) / take one out before it is freed. */
void cb_poolset_add(struct cb_poolset *s, struct cb_pool *p);
void cb_poolset_remove(struct cb_poolset *s, struct cb_pool *p);

/* The pool holding the cap at cptr / the memory at paddr, or NULL. O(1) expected. */
static inline struct cb_pool *cb_poolset_by_cptr(const struct cb_poolset *s, uintptr_t cptr);
struct cb_pool *cb_poolset_by_paddr(const struct cb_poolset *s, uint64_t paddr);

/* Free the index tables. */
void cb_poolset_fini(struct cb_poolset *s);

/* Bytes of metadata the set itself owns: its pools and its index tables. */
size_t cb_poolset_meta_bytes(const struct cb_poolset *s);

/* Every invariant of the set and of each pool's tree: 0 if all hold, else where the first
 * broken one was found (CB_CHECK_FAILED). */
int cb_poolset_check(const struct cb_poolset *s);

/*
 * Walking the pools. The walk reads each list's head only when it gets there and each
 * pool's successor before handing the pool out, so the pool handed out may be moved to
 * another bucket (it may then be met again) or taken out of the set.
 */
enum cb_pool_walk {
    CB_WALK_BUCKETS = 1, /* pools that can serve: RAM buckets, then device buckets */
    CB_WALK_PENDING = 2, /* pools waiting for a refresh */
    CB_WALK_ALL = 3,
};
struct cb_pool_iter {
    const struct cb_poolset *s;
    struct cb_pool *next;
    unsigned list; /* 2 * CB_BUCKETS bucket lists, then the pending list */
    unsigned which;
};
void cb_poolset_iter_init(struct cb_pool_iter *it, const struct cb_poolset *s, unsigned which);
struct cb_pool *cb_poolset_iter_next(struct cb_pool_iter *it);

#define cb_poolset_for_each(s, which, it, p)                                                       \
    for (cb_poolset_iter_init(&(it), (s), (which)); ((p) = cb_poolset_iter_next(&(it))) != NULL;)

static inline uint64_t cb_index__hash(uint64_t key, unsigned bits)
{
    return bits ? (key * 0x9e3779b97f4a7c15ull) >> (64 - bits) : 0;
}

static inline struct cb_pool *cb_poolset_by_cptr(const struct cb_poolset *s, uintptr_t cptr)
{
    if (cb_unlikely(!s->by_cptr.slot)) {
        return NULL;
    }
    /* A table exists: bits >= CB_INDEX_INITIAL_BITS > 0, so no test for an empty hash. */
    uint64_t key = cptr >> CB_INDEX_CPTR_SHIFT;
    struct cb_pool *p = s->by_cptr.slot[(key * 0x9e3779b97f4a7c15ull) >> (64 - s->by_cptr.bits)];
    for (; p; p = p->cnext) {
        if (cb_likely(cptr - p->b.first < cb_pool_frames(p))) { /* unsigned: also cptr >= */
            return p;
        }
    }
    return NULL;
}

/* ---- upkeep (quarantine.c, reclaim.c, refill.c) --------------------------------------- */
/* Errors are the public CAPBUDDY_ERR_* codes. */

/* Classify a free of (index, order) from p under a quarantining policy: 0, or the tree's
 * error for it (a run waiting in quarantine counts as not allocated). Changes nothing.
 * Inline: a valid free is two bit tests; the rest is cb_pool_check_free_slow. */
int cb_pool_check_free_slow(const struct cb_pool *p, unsigned long index, unsigned order);
static inline int cb_pool_check_free(const struct cb_pool *p, unsigned long index, unsigned order)
{
    if (cb_likely(cb_tree_is_allocated(&p->tree, index, order) &&
                  !(p->nquar && cb_pool_qtest(p, index, order)))) {
        return 0;
    }
    return cb_pool_check_free_slow(p, index, order);
}

/* The quarantine list: p joins its tail (oldest first) when its first run is quarantined
 * and leaves it when its last run is made reusable. */
void cb_poolset__quar_link(struct cb_poolset *s, struct cb_pool *p);
void cb_poolset__quar_unlink(struct cb_poolset *s, struct cb_pool *p);

/* Put a run, checked by cb_pool_check_free, in quarantine. */
static inline void cb_pool_quarantine(struct cb_poolset *s, struct cb_pool *p, unsigned long index,
                                      unsigned order)
{
    p->nlive -= 1u << order;
    cb_tree_map_set(p->qmap, index, order);
    if (cb_unlikely(!p->nquar)) {
        cb_poolset__quar_link(s, p);
    }
    p->nquar += 1u << order;
}
/* Runs in quarantine (not frames). */
unsigned long cb_pool_quarantined_runs(const struct cb_pool *p);

/* Per-frame cleaning is possible: always under REVOKE, under SCRUB only with a hook. */
bool cb_poolset_can_clean_frames(const struct cb_poolset *s);

/* Revoke (and scrub) quarantined runs frame by frame so that they can be reused, until the
 * estimated cost *spent reaches budget (checked between runs): of one pool, or of every
 * pool. True when some run was freed; *failed is set when some run could not be revoked
 * (it stays quarantined). */
bool cb_poolset_flush_pool(struct cb_poolset *s, struct cb_pool *p, bool *failed, uint64_t budget,
                           uint64_t *spent);
bool cb_poolset_flush_all(struct cb_poolset *s, bool *failed);

/* For a pool no one uses: one refresh costs the kernel less than cleaning its quarantine
 * frame by frame (or frames cannot be cleaned one by one: SCRUB without a hook). */
bool cb_poolset_refresh_is_cheaper(const struct cb_poolset *s, const struct cb_pool *p);

/* Make one pool's quarantine reusable the way the real-kernel costs say is cheapest: frame
 * by frame, or one refresh of a pool no one uses (the only way for a pending pool, or under
 * SCRUB without a hook). Adds the estimate to *spent. 0 or KERNEL. */
int cb_poolset_clean_pool(struct cb_poolset *s, struct cb_pool *p, uint64_t budget,
                          uint64_t *spent);

/* 1 when the boot info says paddr is device memory, 0 RAM, -1 unknown (no boot info). */
int cb_poolset_paddr_kind(const struct cb_poolset *s, uint64_t paddr);

/* Make a pool of 2^size_order frames at paddr (VKA_NO_PADDR: anywhere), kept apart from
 * RAM requests when device. */
int cb_poolset_make_pool(struct cb_poolset *s, unsigned size_order, uint64_t paddr, bool device,
                         struct cb_pool **out);
/* Refresh a pending pool (one untyped revoke and the retypes); on failure it goes back. */
int cb_poolset_refresh(struct cb_poolset *s, struct cb_pool *p);
/* A pool's last live run was freed: count it empty, give it back when more pools are empty
 * than the demand and spares allow (not when maintenance does that). */
void cb_poolset_emptied(struct cb_poolset *s, struct cb_pool *p);
/* Give a pool back when more pools are empty than allowed (inline_call: from alloc or free,
 * which leave it to maintenance once that runs). */
void cb_poolset_trim(struct cb_poolset *s, struct cb_pool *p, bool inline_call);
/* A pool went from empty to in use: count it for the demand estimate. */
static inline void cb_poolset_in_use(struct cb_poolset *s)
{
    size_t in_use = s->npools[0] + s->npools[1] - s->nempty;
    if (in_use > s->peak_cur) {
        s->peak_cur = in_use;
    }
}
/* How many empty pools may be held now. */
size_t cb_poolset_empty_allowed(const struct cb_poolset *s);
/* The demand horizon moves on (and, without maintenance, idle pools beyond it go back). */
void cb_poolset_horizon(struct cb_poolset *s, bool from_maintain);
/* Give back empty pools beyond what is allowed while the estimate stays below budget;
 * returns the estimate spent. */
uint64_t cb_poolset_decay(struct cb_poolset *s, uint64_t budget);
/* Wholly free pools maintenance keeps ready. */
size_t cb_poolset_reserve_pools(const struct cb_poolset *s);
/* Refresh every pending pool (each then kept as a spare or given back). */
int cb_poolset_refresh_all(struct cb_poolset *s);
/* Give every pool back (tear-down). */
void cb_poolset_give_back_all(struct cb_poolset *s);

/* No pool can serve 2^order frames of this kind: refresh, make or flush one that can. */
int cb_poolset_refill(struct cb_poolset *s, unsigned order, bool can_use_dev);
