/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One pool: a tree over its frames, the quarantine of freed runs, where its caps and memory
 * are, and the links that put it in the pool set's buckets and indexes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backing.h"
#include "tree.h"

/*
 * Field order follows use: what every alloc and free reads or writes (counts, bucket links,
 * where frame 0 is, the tree's scalars) first, the bitmaps after, the quarantine map last
 * (REVOKE and SCRUB frees only).
 * Invariant: nlive + nquar + free frames of the tree = frames of the pool.
 */
#define CB_POOL_DIRTY_WORDS ((1u << CB_TREE_MAX_ORDER) / 64u)

struct cb_pool {
    uint32_t nlive;                /* frames handed out and not freed */
    uint32_t nquar;                /* frames freed, waiting in quarantine */
    uint8_t device;                /* 1: kept apart from RAM requests (device or unclassified) */
    uint8_t devmem;                /* 1: known or possibly device memory: only can_use_dev */
    uint8_t bucket;                /* largest free order + 1, or CB_BUCKET_PENDING */
    uint8_t native;                /* a run went out through the native API since the pool
                                    * was made or refreshed: its caps may be mapped (the vka
                                    * wrapper hands out copies, never the pool's caps) */
    uint8_t in_quar;               /* on the pool set's quarantine list */
    uint8_t stranded;              /* SCRUB, device memory, no scrub hook: quarantined frames
                                    * that nothing can zero (the kernel never clears device
                                    * memory); kept out of use, pending, until destroy */
    struct cb_pool *prev, *next;   /* bucket or pending list */
    struct cb_pool *cnext, *pnext; /* chains of the cptr and paddr indexes */
    struct cb_pool *qprev, *qnext; /* quarantine list: pools with nquar > 0, oldest first */
    struct cb_pool_backing b;
    struct cb_tree tree;
    /* Runs freed but not yet revoked (REVOKE, SCRUB): same bit layout as the tree's
     * allocation map; such runs stay allocated in the tree until revoked. */
    cb_tree_word_t qmap[CB_TREE_MAP_WORDS];
    /* One bit per frame: set when the frame may hold data an owner wrote since its memory was
     * last zeroed (it went out and came back). Cleared by a refresh of RAM (the kernel zeroes
     * it on the retype; never device memory) and by the scrub hook.
     * Written only off the fast path: by TRUST's free into the tree, the hot frame's drain and
     * the quarantine's cleaning; read by the vka wrapper, whose frames must read zero. */
    uint64_t dirty[CB_POOL_DIRTY_WORDS];
};

/* Bucket numbers: 0 = no free frame, o + 1 = largest free run of order o. */
#define CB_BUCKETS        (CB_TREE_MAX_ORDER + 2)
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
    return cb_tree_map_test(p->qmap, index, order);
}

/* The dirty map (see struct cb_pool): frames [index, index + 2^order). */
static inline void cb_pool_dirty_set(struct cb_pool *p, unsigned long index, unsigned order,
                                     bool dirty)
{
    if (order < 6) {
        uint64_t mask = (((uint64_t)2 << ((1u << order) - 1)) - 1) << (index & 63);
        if (dirty) {
            p->dirty[index >> 6] |= mask;
        } else {
            p->dirty[index >> 6] &= ~mask;
        }
        return;
    }
    for (unsigned long w = index >> 6; w < (index >> 6) + (1ul << (order - 6)); w++) {
        p->dirty[w] = dirty ? ~(uint64_t)0 : 0;
    }
}

static inline bool cb_pool_dirty_test(const struct cb_pool *p, unsigned long index)
{
    return (p->dirty[index >> 6] >> (index & 63)) & 1;
}

/* Every frame of p clean or dirty (the whole map, whatever the pool's size). */
static inline void cb_pool_dirty_reset(struct cb_pool *p, bool dirty)
{
    cb_pool_dirty_set(p, 0, CB_TREE_MAX_ORDER, dirty);
}

/* Every quarantined run of p marked dirty (its owner may have written it). */
static inline void cb_pool_dirty_quarantine(struct cb_pool *p)
{
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; p->nquar && o <= size_order; o++) {
        for (long b = cb_tree_map_next(p->qmap, size_order, o, 0); b >= 0;
             b = cb_tree_map_next(p->qmap, size_order, o, (unsigned long)b + 1)) {
            cb_pool_dirty_set(p, (unsigned long)b << o, o, true);
        }
    }
}
