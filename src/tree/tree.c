/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool tree. See tree.h for the representation and its invariants.
 */
#include "tree.h"

#include "cb_compiler.h"

#define K    CB_TREE_MAX_ORDER
#define W    CB_TREE_WORD_BITS
#define LOGW CB_TREE_LOG_WORD_BITS

/* X(o) for every order the tree can have (orders above K are never reached at run time). */
#define EACH_ORDER(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10)

/* ---- public operations --------------------------------------------------------------- */

int cb_tree_init(struct cb_tree *t, unsigned size_order)
{
    if (size_order > K) {
        return CB_TREE_ERR_ORDER;
    }
    for (unsigned w = 0; w < CB_TREE_MAP_WORDS; w++) {
        t->free_map[w] = 0;
        t->alloc_map[w] = 0;
    }
    t->summary = 0;
    t->orders = 0;
    t->size_order = (uint8_t)size_order;
    t->nfree = 1u << size_order;
    cb_tree__free_add(t, size_order, 0);
    return CB_TREE_OK;
}

/* The slow halves: a split, a merge. Apart, so that the common cases keep few registers. */
static __attribute__((noinline)) long alloc_split(struct cb_tree *t, unsigned o, unsigned order)
{
    return cb_tree__alloc_from(t, o, order);
}

static __attribute__((noinline)) int free_merge(struct cb_tree *t, unsigned long block,
                                                unsigned order)
{
    unsigned o = order;
    do {
        cb_tree__free_remove(t, o, block ^ 1);
        block >>= 1;
        o++;
    } while (o < t->size_order && cb_tree__map_test(t->free_map, cb_tree__bit_of(o, block ^ 1)));
    cb_tree__free_add(t, o, block);
    return CB_TREE_OK;
}

long cb_tree_alloc_any(struct cb_tree *t, unsigned order)
{
    if (order > t->size_order) {
        return CB_TREE_ERR_ORDER;
    }
    unsigned avail = (unsigned)t->orders >> order;
    if (avail == 0) {
        return CB_TREE_ERR_FULL;
    }
    if (avail & 1) {
        /* A block of that order: no split. One copy per order, its constants folded. */
        switch (order) {
#define ALLOC_EXACT(o)                                                                             \
    case o:                                                                                        \
        return cb_tree__alloc_from(t, o, o);
            EACH_ORDER(ALLOC_EXACT)
#undef ALLOC_EXACT
        default:
            break;
        }
    }
    return alloc_split(t, order + (unsigned)__builtin_ctz(avail), order);
}

int cb_tree_free_any(struct cb_tree *t, unsigned long index, unsigned order)
{
    if (order > t->size_order || index >= (1ul << t->size_order) ||
        (index & ((1ul << order) - 1))) {
        return cb_tree_check_free(t, index, order);
    }
    unsigned long block = index >> order;
    unsigned b = cb_tree__bit_of(order, block);
    cb_tree_word_t *aw = &t->alloc_map[b >> LOGW];
    if (!(*aw & cb_tree__word_bit(b))) {
        return cb_tree_check_free(t, index, order);
    }
    *aw &= ~cb_tree__word_bit(b);
    t->nfree = t->nfree + (1u << order);
    if (order < t->size_order &&
        cb_tree__map_test(t->free_map, cb_tree__bit_of(order, block ^ 1))) {
        return free_merge(t, block, order);
    }
    /* The buddy is not free: no merge. One copy per order, its constants folded. */
    switch (order) {
#define FREE_ADD(o)                                                                                \
    case o:                                                                                        \
        cb_tree__free_add(t, o, block);                                                            \
        break;
        EACH_ORDER(FREE_ADD)
#undef FREE_ADD
    default:
        break;
    }
    return CB_TREE_OK;
}

/* Argument checks shared by alloc_at, free and the queries. */
static inline int check_run(const struct cb_tree *t, unsigned long index, unsigned order)
{
    if (order > t->size_order) {
        return CB_TREE_ERR_ORDER;
    }
    if (index >= (1ul << t->size_order)) {
        return CB_TREE_ERR_RANGE;
    }
    if (index & ((1ul << order) - 1)) {
        return CB_TREE_ERR_ALIGN;
    }
    return CB_TREE_OK;
}

int cb_tree_alloc_at(struct cb_tree *t, unsigned long index, unsigned order)
{
    int err = check_run(t, index, order);
    if (err) {
        return err;
    }
    /* Buddies always merge, so a wholly free run lies inside exactly one free block. */
    unsigned o = order;
    while (!cb_tree__map_test(t->free_map, cb_tree__bit_of(o, index >> o))) {
        if (++o > t->size_order) {
            return CB_TREE_ERR_BUSY;
        }
    }
    cb_tree__free_remove(t, o, index >> o);
    while (o > order) {
        o--;
        cb_tree__free_add(t, o, (index >> o) ^ 1);
    }
    unsigned b = cb_tree__bit_of(order, index >> order);
    t->alloc_map[b >> LOGW] |= cb_tree__word_bit(b);
    t->nfree = t->nfree - (1u << order);
    return CB_TREE_OK;
}

int cb_tree_find_allocation(const struct cb_tree *t, unsigned long index, unsigned long *start,
                            unsigned *order)
{
    if (index >= (1ul << t->size_order)) {
        return CB_TREE_ERR_RANGE;
    }
    for (unsigned o = 0; o <= t->size_order; o++) {
        if (cb_tree__map_test(t->alloc_map, cb_tree__bit_of(o, index >> o))) {
            *start = (index >> o) << o;
            *order = o;
            return CB_TREE_OK;
        }
    }
    return CB_TREE_ERR_NOT_ALLOCATED;
}

int cb_tree_check_free(const struct cb_tree *t, unsigned long index, unsigned order)
{
    int err = check_run(t, index, order);
    if (err) {
        return err;
    }
    if (cb_tree__map_test(t->alloc_map, cb_tree__bit_of(order, index >> order))) {
        return CB_TREE_OK;
    }
    unsigned long start;
    unsigned found;
    err = cb_tree_find_allocation(t, index, &start, &found);
    if (err) {
        return err;
    }
    return start == index ? CB_TREE_ERR_WRONG_ORDER : CB_TREE_ERR_INSIDE;
}

int cb_tree_largest_free_order_after_free(const struct cb_tree *t, unsigned long index,
                                          unsigned order)
{
    unsigned o = order;
    unsigned long block = index >> order;
    while (o < t->size_order && cb_tree__map_test(t->free_map, cb_tree__bit_of(o, block ^ 1))) {
        block >>= 1;
        o++;
    }
    int largest = cb_tree_largest_free_order(t);
    return (int)o > largest ? (int)o : largest;
}

long cb_tree_map_next(const cb_tree_word_t *map, unsigned size_order, unsigned order,
                      unsigned long from)
{
    unsigned off = cb_tree_order_tab[order].off;
    unsigned b = off + (unsigned)from, end = off + (1u << (size_order - order));
    while (b < end) {
        unsigned w = b >> LOGW;
        cb_tree_word_t word = map[w] >> (b & (W - 1));
        if (word) {
            b += cb_tree__ctz_word(word);
            return b < end ? (long)(b - off) : -1;
        }
        b = (w + 1) << LOGW;
    }
    return -1;
}

/* ---- integrity walk ------------------------------------------------------------------ */

#define CHECK(cond) CB_CHECK(CB_CHECK_FILE_TREE, cond)

static unsigned popcount_map(const cb_tree_word_t *map)
{
    unsigned n = 0;
    for (unsigned w = 0; w < CB_TREE_MAP_WORDS; w++) {
        n += (unsigned)__builtin_popcountll((unsigned long long)map[w]);
    }
    return n;
}

/* Costs O(2^size_order) plus a pass over the map words, so tests can call it often. */
int cb_tree_check(const struct cb_tree *t)
{
    enum { UNSEEN, FREE, USED };
    uint8_t frame[CB_TREE_FRAMES];
    unsigned nfree = 0, bits_seen = 0;

    CHECK(t->size_order < K + 1); /* not "<= K": with K = 0 that compares an unsigned with 0 */
    unsigned size = 1u << t->size_order;
    for (unsigned f = 0; f < size; f++) {
        frame[f] = UNSEEN;
    }
    for (unsigned w = 0; w < CB_TREE_MAP_WORDS; w++) {
        CHECK(((t->summary >> w) & 1) == (t->free_map[w] != 0));
    }
    /* "% 64": the shift must stay below 64 even in the branch the || skips (cppcheck checks
     * it); with 64 map words every summary bit is used and there is nothing to check. */
    CHECK(CB_TREE_MAP_WORDS == 64 || (t->summary >> (CB_TREE_MAP_WORDS % 64)) == 0);
    CHECK((t->orders >> (t->size_order + 1)) == 0);

    for (unsigned o = 0; o <= t->size_order; o++) {
        bool any_free = false;
        for (unsigned long i = 0; i < (size >> o); i++) {
            bool is_free = cb_tree__map_test(t->free_map, cb_tree__bit_of(o, i));
            bool is_used = cb_tree__map_test(t->alloc_map, cb_tree__bit_of(o, i));
            if (!is_free && !is_used) {
                continue;
            }
            bits_seen += is_free + is_used;
            CHECK(!(is_free && is_used));
            for (unsigned long f = i << o; f < ((i + 1) << o); f++) {
                CHECK(frame[f] == UNSEEN);
                frame[f] = is_free ? FREE : USED;
            }
            if (is_free) {
                any_free = true;
                nfree += 1u << o;
                /* Buddies merge: a free block's buddy is never a free block too. */
                CHECK(o == t->size_order ||
                      !cb_tree__map_test(t->free_map, cb_tree__bit_of(o, i ^ 1)));
            }
        }
        CHECK(any_free == (((t->orders >> o) & 1) != 0));
    }
    /* No bit outside the blocks the tree manages. */
    CHECK(bits_seen == popcount_map(t->free_map) + popcount_map(t->alloc_map));
    for (unsigned f = 0; f < size; f++) {
        CHECK(frame[f] != UNSEEN);
    }
    CHECK(nfree == t->nfree);
    return 0;
}

const char *cb_tree_strerror(int err)
{
    switch (err) {
    case CB_TREE_OK:
        return "ok";
    case CB_TREE_ERR_ORDER:
        return "order larger than the tree";
    case CB_TREE_ERR_RANGE:
        return "run out of the tree's range";
    case CB_TREE_ERR_ALIGN:
        return "index not aligned to the run's size";
    case CB_TREE_ERR_FULL:
        return "no free run of that size";
    case CB_TREE_ERR_BUSY:
        return "part of the run is allocated";
    case CB_TREE_ERR_NOT_ALLOCATED:
        return "run is not allocated (double free?)";
    case CB_TREE_ERR_WRONG_ORDER:
        return "an allocation of another size starts there";
    case CB_TREE_ERR_INSIDE:
        return "index lies inside a larger allocation";
    default:
        return "unknown tree error";
    }
}
