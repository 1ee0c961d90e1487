/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool set's bookkeeping (src/poolset/poolset.c) on its own, without seL4 or a backend:
 * buckets and the pick, the pending list, the cptr and paddr indexes and their growth, the
 * walk (cb_poolset_for_each), metadata accounting. Pools are made by hand: a tree, a
 * backing with aligned slots and memory, as the upkeep would make them.
 */
#include <stdlib.h>
#include <string.h>

#include "cbtest.h"
#include "poolset.h"

#define MAXP 100

static size_t hook_outstanding;

static void *hook_alloc(void *cookie, size_t bytes)
{
    (void)cookie;
    hook_outstanding += bytes;
    return malloc(bytes);
}

static void hook_free(void *cookie, void *ptr, size_t bytes)
{
    (void)cookie;
    hook_outstanding -= bytes;
    free(ptr);
}

static void set_up(struct cb_poolset *s)
{
    cb_poolset_init(s, NULL, NULL);
    s->meta.alloc = hook_alloc;
    s->meta.release = hook_free;
}

/* Pool i: 2^size_order frames at slot i * 1024 + 1024 and memory i * 4 MiB + 1 GiB. */
static struct cb_pool *make(struct cb_poolset *s, unsigned i, unsigned size_order, bool device)
{
    struct cb_pool *p = calloc(1, sizeof(*p));
    CBT_CHECK(cb_poolset_reserve(s));
    cb_tree_init(&p->tree, size_order);
    p->b.first = (uintptr_t)(i + 1) << CB_TREE_MAX_ORDER;
    p->b.paddr = ((uint64_t)i << (CB_TREE_MAX_ORDER + CB_PAGE_BITS)) + ((uint64_t)1 << 30);
    p->device = device;
    cb_poolset_add(s, p);
    return p;
}

static void take(struct cb_poolset *s, struct cb_pool *p, unsigned order)
{
    CBT_CHECK(cb_tree_alloc(&p->tree, order) >= 0);
    p->nlive += 1u << order;
    cb_poolset_rebucket(s, p);
}

static unsigned walk_count(const struct cb_poolset *s, unsigned which, const struct cb_pool *p0)
{
    unsigned n = 0, seen = 0;
    struct cb_pool_iter it;
    struct cb_pool *p;
    cb_poolset_for_each(s, which, it, p) {
        n++;
        seen += p == p0;
    }
    return p0 ? seen : n;
}

static void empty_set(void)
{
    struct cb_poolset s;
    set_up(&s);
    CBT_CHECK(cb_poolset_pick(&s, 0, false) == NULL);
    CBT_CHECK(cb_poolset_by_cptr(&s, 1024) == NULL);
    CBT_CHECK(cb_poolset_by_paddr(&s, 1ull << 30) == NULL);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_ALL, NULL), 0);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    CBT_CHECK_EQ(cb_poolset_meta_bytes(&s), 0);
    cb_poolset_fini(&s);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* The pick takes the pool whose largest free run is the smallest that fits; RAM and device
 * pools are kept apart. */
static void pick_smallest_fit(void)
{
    struct cb_poolset s;
    set_up(&s);
    struct cb_pool *big = make(&s, 0, 10, false);
    struct cb_pool *small = make(&s, 1, 3, false);
    struct cb_pool *dev = make(&s, 2, 10, true);
    CBT_CHECK(cb_poolset_pick(&s, 0, false) == small);
    CBT_CHECK(cb_poolset_pick(&s, 3, false) == small);
    CBT_CHECK(cb_poolset_pick(&s, 4, false) == big);
    CBT_CHECK(cb_poolset_pick(&s, 0, true) == dev);
    take(&s, small, 3); /* small is full: bucket 0 */
    CBT_CHECK_EQ(small->bucket, 0);
    CBT_CHECK(cb_poolset_pick(&s, 0, false) == big);
    take(&s, big, 0); /* largest free run of big: order 9 */
    CBT_CHECK_EQ(big->bucket, 10);
    CBT_CHECK(cb_poolset_pick(&s, 10, false) == NULL);
    CBT_CHECK(cb_poolset_pick(&s, 9, false) == big);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    CBT_CHECK_EQ(s.nwhole, 1); /* dev only */
    struct cb_pool *all[] = {big, small, dev};
    for (int i = 0; i < 3; i++) {
        cb_poolset_remove(&s, all[i]);
        free(all[i]);
    }
    cb_poolset_fini(&s);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* Every frame's cptr and paddr finds its pool; one past the end does not. */
static void indexes_find_every_frame(void)
{
    struct cb_poolset s;
    set_up(&s);
    static struct cb_pool *pools[MAXP];
    for (unsigned i = 0; i < MAXP; i++) {
        pools[i] = make(&s, i * 3, i % (CB_TREE_MAX_ORDER + 1), i % 7 == 0);
        CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    }
    /* the tables grew, and the set counts them with its pools */
    CBT_CHECK(s.by_cptr.bits > CB_INDEX_INITIAL_BITS);
    CBT_CHECK_EQ(hook_outstanding, cb_poolset_meta_bytes(&s) - MAXP * sizeof(struct cb_pool));
    CBT_CHECK_EQ(s.meta.bytes, hook_outstanding);
    for (unsigned i = 0; i < MAXP; i++) {
        const struct cb_pool *p = pools[i];
        unsigned n = cb_pool_frames(p);
        CBT_CHECK(cb_poolset_by_cptr(&s, p->b.first) == p);
        CBT_CHECK(cb_poolset_by_cptr(&s, p->b.first + n - 1) == p);
        CBT_CHECK(cb_poolset_by_paddr(&s, p->b.paddr + ((uint64_t)(n - 1) << CB_PAGE_BITS)) == p);
        if (n < CB_TREE_FRAMES) {
            CBT_CHECK(cb_poolset_by_cptr(&s, p->b.first + n) == NULL);
            CBT_CHECK(cb_poolset_by_paddr(&s, p->b.paddr + ((uint64_t)n << CB_PAGE_BITS)) ==
                      NULL);
        }
        CBT_CHECK(cb_poolset_by_cptr(&s, p->b.first - 1) == NULL); /* the gap before it */
    }
    CBT_CHECK_EQ(s.npools[0] + s.npools[1], MAXP);
    for (unsigned i = 0; i < MAXP; i++) {
        cb_poolset_remove(&s, pools[i]);
        CBT_CHECK(cb_poolset_by_cptr(&s, pools[i]->b.first) == NULL);
        free(pools[i]);
    }
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    cb_poolset_fini(&s);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* The walk sees every pool once, pending ones only when asked, and survives moving or
 * removing the pool it just handed out. */
static void walk_and_pending(void)
{
    struct cb_poolset s;
    set_up(&s);
    struct cb_pool *p[6];
    for (unsigned i = 0; i < 6; i++) {
        p[i] = make(&s, i, 4 + i, i == 5);
    }
    take(&s, p[1], 0);
    cb_pool_quarantine(&s, p[1], 0, 0); /* its frame freed into quarantine */
    CBT_CHECK(s.qhead == p[1] && s.qtail == p[1] && s.nquar_pools == 1);
    cb_poolset_make_pending(&s, p[1]);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    CBT_CHECK_EQ(s.npending, 1);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_ALL, NULL), 6);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_BUCKETS, NULL), 5);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_PENDING, NULL), 1);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_PENDING, p[1]), 1);
    CBT_CHECK_EQ(walk_count(&s, CB_WALK_BUCKETS, p[1]), 0);
    for (unsigned i = 0; i < 6; i++) {
        CBT_CHECK_EQ(walk_count(&s, CB_WALK_ALL, p[i]), 1);
    }
    /* Move each pool to a lower bucket while walking: no pool is lost. */
    unsigned n = 0;
    struct cb_pool_iter it;
    struct cb_pool *q;
    cb_poolset_for_each(&s, CB_WALK_BUCKETS, it, q) {
        if (q->nlive == 0) {
            take(&s, q, 0);
        }
        n++;
    }
    CBT_CHECK(n >= 5);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    /* Remove every pool while walking. */
    cb_poolset_for_each(&s, CB_WALK_ALL, it, q) {
        cb_poolset_remove(&s, q);
        free(q);
    }
    CBT_CHECK_EQ(s.npools[0] + s.npools[1], 0);
    CBT_CHECK_EQ(s.npending, 0);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    cb_poolset_fini(&s);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* The integrity walk sees a pool in the wrong bucket and counts that do not add up. */
static void check_finds_damage(void)
{
    struct cb_poolset s;
    set_up(&s);
    struct cb_pool *p = make(&s, 0, 10, false);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    CBT_CHECK(cb_tree_alloc(&p->tree, 0) >= 0); /* no rebucket, no nlive */
    CBT_CHECK(cb_poolset_check(&s) < 0);
    p->nlive = 1;
    CBT_CHECK(cb_poolset_check(&s) < 0); /* still in the wholly-free bucket */
    cb_poolset_rebucket(&s, p);
    CBT_CHECK_EQ(cb_poolset_check(&s), 0);
    cb_poolset_remove(&s, p);
    free(p);
    cb_poolset_fini(&s);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

int main(void)
{
    CBT_RUN(empty_set);
    CBT_RUN(pick_smallest_fit);
    CBT_RUN(indexes_find_every_frame);
    CBT_RUN(walk_and_pending);
    CBT_RUN(check_finds_damage);
    return cbtest_finish();
}
