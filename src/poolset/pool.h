/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One pool: a tree over its frames, the quarantine of freed runs, where its caps and memory
 * are, and the links that put it in the pool set's buckets and indexes.
 */
#pragma once

#include <stdint.h>

#include "tree.h"

/* What the backend needs to remember to refresh or give back a pool. */
struct cb_pool_backing {
    uint64_t paddr;          /* physical address of frame 0 */
    uintptr_t first;         /* cptr of frame 0; frame i is first + i */
    uintptr_t ut_slot;       /* cptr of the pool's untyped cap */
    uintptr_t ut_cookie;     /* the parent's cookie for that untyped */
    uintptr_t cn_slot;       /* CNODE strategy: first-level slot of the pool's CNode */
    uintptr_t cn_cookie;     /* CNODE strategy: the parent's cookie for that CNode */
};

struct cb_pool {
    struct cb_tree tree;
    /* Runs freed but not yet revoked (REVOKE, SCRUB): same bit layout as the tree's
     * allocation map; such runs stay allocated in the tree until revoked. */
    cb_tree_word_t qmap[CB_TREE_MAP_WORDS];
    struct cb_pool_backing b;
    uint32_t nlive;          /* frames handed out and not freed */
    uint32_t nquar;          /* frames freed, waiting in quarantine */
    uint8_t device;          /* 1: kept apart from RAM requests (device or unclassified) */
    uint8_t devmem;          /* 1: known or possibly device memory: only can_use_dev gets it */
    uint8_t bucket;          /* largest free order + 1, or CB_BUCKET_PENDING */
    struct cb_pool *prev, *next;    /* bucket or pending list */
    struct cb_pool *cnext, *pnext;  /* chains of the cptr and paddr indexes */
};

/* Bucket numbers: 0 = no free frame, o + 1 = largest free run of order o. */
#define CB_BUCKETS (CB_TREE_MAX_ORDER + 2)
#define CB_BUCKET_PENDING 0xff /* all frames free or quarantined: refresh before reuse */

static inline unsigned cb_pool_frames(const struct cb_pool *p)
{
    return 1u << cb_tree_size_order(&p->tree);
}

static inline int cb_pool_bucket_of(const struct cb_pool *p)
{
    return cb_tree_largest_free_order(&p->tree) + 1;
}

static inline bool cb_pool_qtest(const struct cb_pool *p, unsigned long index, unsigned order)
{
    return cb_tree__map_test(p->qmap, cb_tree__bit_of(order, index >> order));
}

static inline void cb_pool_qset(struct cb_pool *p, unsigned long index, unsigned order)
{
    unsigned b = cb_tree__bit_of(order, index >> order);
    p->qmap[b >> CB_TREE_LOG_WORD_BITS] |= cb_tree__word_bit(b);
}

static inline void cb_pool_qclear(struct cb_pool *p, unsigned long index, unsigned order)
{
    unsigned b = cb_tree__bit_of(order, index >> order);
    p->qmap[b >> CB_TREE_LOG_WORD_BITS] &= ~cb_tree__word_bit(b);
}
