/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool set's bookkeeping: buckets and the pending list (doubly linked, O(1) to move a
 * pool between them), the cptr and paddr indexes, the walk over the pools, the metadata
 * count. No seL4 type and no kernel call here.
 */
#include "poolset.h"

#include <string.h>

_Static_assert(CB_INDEX_INITIAL_BITS > 0, "cb_poolset_by_cptr hashes without testing for 0 bits");

void cb_poolset_init(struct cb_poolset *s, struct cb_backend *be, const struct capbuddy_config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->be = be;
    s->cfg = cfg;
}

void *cb_meta_alloc(struct cb_meta *m, size_t bytes)
{
    void *p = m->alloc(m->cookie, bytes);
    if (p) {
        m->bytes += bytes;
        cb_meta_note(m);
    }
    return p;
}

void cb_meta_free(struct cb_meta *m, void *ptr, size_t bytes)
{
    m->release(m->cookie, ptr, bytes);
    m->bytes -= bytes;
}

static bool is_whole(const struct cb_pool *p)
{
    return cb_tree_free_frames(&p->tree) == cb_pool_frames(p);
}

/* A pool of size order k is wholly free exactly when its largest free run has order k,
 * i.e. when it sits in bucket k + 1: the recorded bucket says whether it was counted. */
static bool bucket_is_whole(const struct cb_pool *p, unsigned bucket)
{
    return bucket == cb_tree_size_order(&p->tree) + 1u;
}

static struct cb_pool **list_head(struct cb_poolset *s, const struct cb_pool *p)
{
    return p->bucket == CB_BUCKET_PENDING ? &s->pending : &s->bucket[p->device][p->bucket];
}

static void unlink_pool(struct cb_poolset *s, struct cb_pool *p)
{
    struct cb_pool **head = list_head(s, p);
    if (p->prev) {
        p->prev->next = p->next;
    } else {
        *head = p->next;
    }
    if (p->next) {
        p->next->prev = p->prev;
    }
    if (p->bucket == CB_BUCKET_PENDING) {
        s->npending--;
    } else {
        if (!*head) {
            s->mask[p->device] &= ~(1u << p->bucket);
        }
        s->nwhole -= bucket_is_whole(p, p->bucket);
    }
    p->prev = p->next = NULL;
}

static void link_pool(struct cb_poolset *s, struct cb_pool *p, unsigned bucket)
{
    p->bucket = (uint8_t)bucket;
    struct cb_pool **head = list_head(s, p);
    p->prev = NULL;
    p->next = *head;
    if (*head) {
        (*head)->prev = p;
    }
    *head = p;
    if (bucket == CB_BUCKET_PENDING) {
        s->npending++;
    } else {
        s->mask[p->device] |= 1u << bucket;
        s->nwhole += bucket_is_whole(p, bucket);
    }
}

/* cb_poolset_rebucket's slow half: the largest free run changed. O(1). */
void cb_poolset__move(struct cb_poolset *s, struct cb_pool *p, unsigned bucket)
{
    unlink_pool(s, p);
    link_pool(s, p, bucket);
}

void cb_poolset_make_pending(struct cb_poolset *s, struct cb_pool *p)
{
    unlink_pool(s, p);
    link_pool(s, p, CB_BUCKET_PENDING);
}

void cb_poolset_unpend(struct cb_poolset *s, struct cb_pool *p)
{
    unlink_pool(s, p);
    link_pool(s, p, (unsigned)cb_pool_bucket_of(p));
}

/* ---- indexes ------------------------------------------------------------------------ */

static uint64_t key_of(const struct cb_pool *p, bool by_paddr)
{
    return by_paddr ? p->b.paddr >> CB_INDEX_PADDR_SHIFT
                    : (uint64_t)(p->b.first >> CB_INDEX_CPTR_SHIFT);
}

static struct cb_pool **chain_of(struct cb_pool *p, bool by_paddr)
{
    return by_paddr ? &p->pnext : &p->cnext;
}

static size_t hash(uint64_t key, unsigned bits)
{
    return (size_t)cb_index__hash(key, bits);
}

static void index_insert(struct cb_index *ix, struct cb_pool *p, bool by_paddr)
{
    size_t h = hash(key_of(p, by_paddr), ix->bits);
    *chain_of(p, by_paddr) = ix->slot[h];
    ix->slot[h] = p;
    ix->count++;
}

static void index_remove(struct cb_index *ix, struct cb_pool *p, bool by_paddr)
{
    struct cb_pool **at = &ix->slot[hash(key_of(p, by_paddr), ix->bits)];
    while (*at != p) {
        at = chain_of(*at, by_paddr);
    }
    *at = *chain_of(p, by_paddr);
    ix->count--;
}

static bool index_grow(struct cb_index *ix, bool by_paddr, struct cb_meta *m)
{
    /* Keep the load factor at or below one half. The old size is computed once: the analyzer
     * (clang-tidy) does not follow ix->bits through the copy below and reports the shift. */
    size_t old_n = ix->slot ? (size_t)1 << ix->bits : 0;
    if (ix->slot && 2 * (ix->count + 1) <= old_n) {
        return true;
    }
    unsigned bits = ix->slot ? ix->bits + 1 : CB_INDEX_INITIAL_BITS;
    size_t n = (size_t)1 << bits;
    struct cb_pool **slot = m->alloc(m->cookie, n * sizeof(*slot));
    if (!slot) {
        return false;
    }
    memset(slot, 0, n * sizeof(*slot));
    m->bytes += n * sizeof(*slot);
    struct cb_index old = *ix;
    ix->slot = slot;
    ix->bits = bits;
    ix->count = 0;
    for (size_t i = 0; i < old_n; i++) {
        struct cb_pool *p = old.slot[i];
        while (p) {
            struct cb_pool *next = *chain_of(p, by_paddr);
            index_insert(ix, p, by_paddr);
            p = next;
        }
    }
    if (old.slot) {
        m->release(m->cookie, old.slot, old_n * sizeof(*old.slot));
        m->bytes -= old_n * sizeof(*old.slot);
    }
    return true;
}

bool cb_poolset_reserve(struct cb_poolset *s)
{
    return index_grow(&s->by_cptr, false, &s->meta) && index_grow(&s->by_paddr, true, &s->meta);
}

void cb_poolset_add(struct cb_poolset *s, struct cb_pool *p)
{
    memset(p->qmap, 0, sizeof(p->qmap));
    p->nlive = p->nquar = 0;
    p->prev = p->next = p->cnext = p->pnext = NULL;
    index_insert(&s->by_cptr, p, false);
    index_insert(&s->by_paddr, p, true);
    s->npools[p->device]++;
    link_pool(s, p, (unsigned)cb_pool_bucket_of(p));
}

void cb_poolset__quar_link(struct cb_poolset *s, struct cb_pool *p)
{
    p->in_quar = 1;
    p->qnext = NULL;
    p->qprev = s->qtail;
    if (s->qtail) {
        s->qtail->qnext = p;
    } else {
        s->qhead = p;
    }
    s->qtail = p;
    s->nquar_pools++;
}

void cb_poolset__quar_unlink(struct cb_poolset *s, struct cb_pool *p)
{
    if (p->qprev) {
        p->qprev->qnext = p->qnext;
    } else {
        s->qhead = p->qnext;
    }
    if (p->qnext) {
        p->qnext->qprev = p->qprev;
    } else {
        s->qtail = p->qprev;
    }
    p->qprev = p->qnext = NULL;
    p->in_quar = 0;
    s->nquar_pools--;
}

void cb_poolset_remove(struct cb_poolset *s, struct cb_pool *p)
{
    if (p->in_quar) {
        cb_poolset__quar_unlink(s, p);
    }
    unlink_pool(s, p);
    index_remove(&s->by_cptr, p, false);
    index_remove(&s->by_paddr, p, true);
    s->npools[p->device]--;
}

struct cb_pool *cb_poolset_by_paddr(const struct cb_poolset *s, uint64_t paddr)
{
    if (!s->by_paddr.slot) {
        return NULL;
    }
    struct cb_pool *p = s->by_paddr.slot[hash(paddr >> CB_INDEX_PADDR_SHIFT, s->by_paddr.bits)];
    for (; p; p = p->pnext) {
        if (paddr >= p->b.paddr && ((paddr - p->b.paddr) >> CB_PAGE_BITS) < cb_pool_frames(p)) {
            return p;
        }
    }
    return NULL;
}

void cb_poolset_fini(struct cb_poolset *s)
{
    struct cb_index *ix[2] = {&s->by_cptr, &s->by_paddr};
    for (int i = 0; i < 2; i++) {
        if (ix[i]->slot) {
            size_t bytes = ((size_t)1 << ix[i]->bits) * sizeof(*ix[i]->slot);
            s->meta.release(s->meta.cookie, ix[i]->slot, bytes);
            s->meta.bytes -= bytes;
        }
        ix[i]->slot = NULL;
    }
}

size_t cb_poolset_meta_bytes(const struct cb_poolset *s)
{
    size_t bytes = (s->npools[0] + s->npools[1]) * sizeof(struct cb_pool);
    const struct cb_index *ix[2] = {&s->by_cptr, &s->by_paddr};
    for (int i = 0; i < 2; i++) {
        if (ix[i]->slot) {
            bytes += ((size_t)1 << ix[i]->bits) * sizeof(struct cb_pool *);
        }
    }
    return bytes;
}

/* ---- walking the pools --------------------------------------------------------------- */

#define WALK_LISTS (2 * CB_BUCKETS) /* bucket lists; the pending list comes after them */

void cb_poolset_iter_init(struct cb_pool_iter *it, const struct cb_poolset *s, unsigned which)
{
    it->s = s;
    it->which = which;
    it->next = NULL;
    it->list = which & CB_WALK_BUCKETS ? 0 : WALK_LISTS;
    if (it->list < WALK_LISTS) {
        it->next = s->bucket[0][0];
    } else if (which & CB_WALK_PENDING) {
        it->next = s->pending;
    } else {
        it->list = WALK_LISTS + 1;
    }
}

struct cb_pool *cb_poolset_iter_next(struct cb_pool_iter *it)
{
    while (!it->next) {
        if (it->list >= WALK_LISTS) {
            return NULL;
        }
        it->list++;
        if (it->list < WALK_LISTS) {
            it->next = it->s->bucket[it->list / CB_BUCKETS][it->list % CB_BUCKETS];
        } else if (it->which & CB_WALK_PENDING) {
            it->next = it->s->pending;
        }
    }
    struct cb_pool *p = it->next;
    it->next = p->next;
    return p;
}

/* ---- integrity walk ----------------------------------------------------------------- */

#define CHECK(cond) CB_CHECK(CB_CHECK_FILE_POOLSET, cond)

static int check_pool(const struct cb_poolset *s, const struct cb_pool *p)
{
    CHECK(cb_tree_check(&p->tree) == 0);
    CHECK(cb_poolset_by_cptr(s, p->b.first) == p);
    CHECK(cb_poolset_by_paddr(s, p->b.paddr) == p);
    /* Quarantined runs are allocations of the tree, and counted. */
    unsigned long nquar = 0;
    unsigned size_order = cb_tree_size_order(&p->tree);
    for (unsigned o = 0; o <= size_order; o++) {
        for (unsigned long i = 0; i < (1ul << (size_order - o)); i++) {
            if (cb_pool_qtest(p, i << o, o)) {
                CHECK(cb_tree_is_allocated(&p->tree, i << o, o));
                nquar += 1ul << o;
            }
        }
    }
    CHECK(nquar == p->nquar);
    CHECK(!!p->in_quar == (p->nquar != 0));
    CHECK(p->nlive + p->nquar + cb_tree_free_frames(&p->tree) == cb_pool_frames(p));
    if (p->bucket == CB_BUCKET_PENDING) {
        CHECK(p->nlive == 0);
    } else {
        CHECK(p->bucket == (unsigned)cb_pool_bucket_of(p));
    }
    return 0;
}

int cb_poolset_check(const struct cb_poolset *s)
{
    size_t npools[2] = {0, 0}, nwhole = 0, npending = 0;
    for (int d = 0; d < 2; d++) {
        for (unsigned b = 0; b < CB_BUCKETS; b++) {
            CHECK(((s->mask[d] >> b) & 1) == (s->bucket[d][b] != NULL));
            const struct cb_pool *prev = NULL;
            for (const struct cb_pool *p = s->bucket[d][b]; p; prev = p, p = p->next) {
                CHECK(p->prev == prev && p->device == d && p->bucket == b);
                int err = check_pool(s, p);
                if (err) {
                    return err;
                }
                npools[d]++;
                nwhole += is_whole(p);
            }
        }
        CHECK((s->mask[d] >> CB_BUCKETS) == 0);
    }
    for (const struct cb_pool *p = s->pending; p; p = p->next) {
        int err = check_pool(s, p);
        if (err) {
            return err;
        }
        npools[p->device]++;
        npending++;
    }
    CHECK(npools[0] == s->npools[0] && npools[1] == s->npools[1]);
    CHECK(nwhole == s->nwhole && npending == s->npending);
    CHECK(s->by_cptr.count == npools[0] + npools[1] && s->by_paddr.count == s->by_cptr.count);
    size_t nq = 0;
    const struct cb_pool *qprev = NULL;
    for (const struct cb_pool *p = s->qhead; p; qprev = p, p = p->qnext) {
        CHECK(p->in_quar && p->qprev == qprev && nq < npools[0] + npools[1]);
        nq++;
    }
    CHECK(qprev == s->qtail && nq == s->nquar_pools);
    return 0;
}
