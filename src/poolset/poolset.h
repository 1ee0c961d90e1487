/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool set: every pool of one allocator, bucketed by largest free order so that the
 * pool to serve a request is found with one count-trailing-zeros, and indexed by cptr and
 * by physical address so that a free or an alloc-at finds its pool in O(1) expected.
 * It knows nothing of how slots or untypeds are obtained (that is the backend's job).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"

/* Keys: a pool of up to 1024 frames whose slots and memory are aligned to its size lies in
 * exactly one 1024-slot chunk and one 4 MiB chunk. */
#define CB_INDEX_CPTR_SHIFT CB_TREE_MAX_ORDER
#define CB_INDEX_PADDR_SHIFT (CB_TREE_MAX_ORDER + 12)

struct cb_index {
    struct cb_pool **slot; /* chained hash table, 2^bits heads */
    unsigned bits;
    size_t count;
};

struct cb_poolset {
    struct cb_pool *bucket[2][CB_BUCKETS]; /* [device][largest free order + 1] */
    uint32_t mask[2];                      /* bit b: bucket b not empty */
    struct cb_pool *pending;               /* pools waiting for a refresh */
    struct cb_index by_cptr, by_paddr;
    size_t npools[2];
    size_t nwhole;                         /* pools wholly free, in buckets */
    size_t npending;
};

void cb_poolset_init(struct cb_poolset *s);

/* The pool whose largest free run is the smallest that fits 2^order, or NULL. O(1). */
static inline struct cb_pool *cb_poolset_pick(const struct cb_poolset *s, unsigned order,
                                              bool device)
{
    uint32_t m = s->mask[device] >> (order + 1);
    return m ? s->bucket[device][order + 1 + (unsigned)__builtin_ctz(m)] : NULL;
}

/* Put a pool in the bucket its tree now calls for (after an alloc or free). O(1). */
void cb_poolset_rebucket(struct cb_poolset *s, struct cb_pool *p);

/* Move a pool to / from the pending (refresh) list. */
void cb_poolset_make_pending(struct cb_poolset *s, struct cb_pool *p);
void cb_poolset_unpend(struct cb_poolset *s, struct cb_pool *p);

/* Make sure the indexes can take one more pool without allocating (call before making one).
 * Returns false when the metadata hook fails. */
bool cb_poolset_reserve(struct cb_poolset *s, void *(*alloc)(void *, size_t),
                        void (*release)(void *, void *, size_t), void *cookie, size_t *meta);

/* Add a new pool (tree initialised, backing filled) / take one out before it is freed. */
void cb_poolset_add(struct cb_poolset *s, struct cb_pool *p);
void cb_poolset_remove(struct cb_poolset *s, struct cb_pool *p);

/* The pool holding the cap at cptr / the memory at paddr, or NULL. O(1) expected. */
struct cb_pool *cb_poolset_by_cptr(const struct cb_poolset *s, uintptr_t cptr);
struct cb_pool *cb_poolset_by_paddr(const struct cb_poolset *s, uint64_t paddr);

/* Free the index tables. */
void cb_poolset_fini(struct cb_poolset *s, void (*release)(void *, void *, size_t), void *cookie,
                     size_t *meta);

/* Every invariant of the set and of each pool's tree. 0 if all hold. */
int cb_poolset_check(const struct cb_poolset *s);
