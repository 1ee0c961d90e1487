/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool tree: the buddy structure of one pool of 2^CB_TREE_MAX_ORDER frames.
 *
 * It knows nothing of seL4: it hands out naturally aligned runs of 2^order frame indices
 * and takes them back. Every operation costs O(1) word operations per order (find-first-set
 * over summary words), never a scan over frames, and never allocates memory.
 *
 * Representation (one meaning per bit, which the original lacked):
 *   free_map  bit (order o, block i) set  <=> frames [i*2^o, (i+1)*2^o) form one maximal free
 *             block: all free, and its buddy is not also a free block of order o (buddies
 *             always merge, so a free run of 2^o aligned frames lives in exactly one block).
 *   alloc_map bit (order o, block i) set  <=> frames [i*2^o, (i+1)*2^o) were handed out by one
 *             alloc of order o. This is what lets free() refuse a run of the wrong size.
 *   summary   bit w set <=> free_map word w is not zero.
 *   orders    bit o set <=> some free block of order o exists.
 * Both maps hold the orders back to back: order o starts at bit 2^(K+1) - 2^(K-o+1), so orders
 * with at least a word of blocks start on a word boundary and the small orders share the last
 * word without straddling it. 2^(K+1) - 1 bits per map: 256 bytes each for K = 10.
 *
 * Invariants are checked by cb_tree_check(), which the tests call after every operation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cb_tunables.h" /* CB_TREE_MAX_ORDER (K) */

#if CB_TREE_MAX_ORDER < 0 || CB_TREE_MAX_ORDER > 10
#error "CB_TREE_MAX_ORDER must be 0..10"
#endif

/* Width of the bitmap words. Defaults to the machine word; tests also build 32 on 64-bit. */
#ifndef CB_TREE_WORD_BITS
#if UINTPTR_MAX > 0xffffffffu
#define CB_TREE_WORD_BITS 64
#else
#define CB_TREE_WORD_BITS 32
#endif
#endif

#if CB_TREE_WORD_BITS == 64
typedef uint64_t cb_tree_word_t;
#define CB_TREE_LOG_WORD_BITS 6
#elif CB_TREE_WORD_BITS == 32
typedef uint32_t cb_tree_word_t;
#define CB_TREE_LOG_WORD_BITS 5
#else
#error "CB_TREE_WORD_BITS must be 32 or 64"
#endif

#define CB_TREE_FRAMES (1u << CB_TREE_MAX_ORDER)
/* Bits per map: 2^(K+1) - 1, rounded up to whole words. */
#define CB_TREE_MAP_BITS  (2u * CB_TREE_FRAMES)
#define CB_TREE_MAP_WORDS ((CB_TREE_MAP_BITS + CB_TREE_WORD_BITS - 1) / CB_TREE_WORD_BITS)

/* Results. Non-negative results of cb_tree_alloc are frame indices. */
enum cb_tree_error {
    CB_TREE_OK = 0,
    CB_TREE_ERR_ORDER = -1,         /* order above the tree's size (any call) */
    CB_TREE_ERR_RANGE = -2,         /* run reaches past the frames this tree manages */
    CB_TREE_ERR_ALIGN = -3,         /* index is not a multiple of 2^order */
    CB_TREE_ERR_FULL = -4,          /* alloc: no free run of that order */
    CB_TREE_ERR_BUSY = -5,          /* alloc_at: some frame of the run is allocated */
    CB_TREE_ERR_NOT_ALLOCATED = -6, /* free: the frame at index is free (double free) */
    CB_TREE_ERR_WRONG_ORDER = -7,   /* free: an allocation starts at index, of another order */
    CB_TREE_ERR_INSIDE = -8,        /* free: index lies inside an allocation starting before it */
};

/* The scalars every operation reads come first: one cache line with the first map words. */
struct cb_tree {
    uint64_t summary; /* at most 64 words: 2^11 bits / 32 */
    uint32_t orders;
    uint32_t nfree;
    uint8_t size_order; /* this tree manages frames [0, 2^size_order) */
    cb_tree_word_t free_map[CB_TREE_MAP_WORDS];
    cb_tree_word_t alloc_map[CB_TREE_MAP_WORDS];
};

_Static_assert(CB_TREE_MAP_WORDS <= 64, "summary must cover every map word");
_Static_assert(CB_TREE_MAX_ORDER != 10 || sizeof(struct cb_tree) <= 576,
               "a 1024-frame tree must fit its metadata budget of 576 bytes");

/* Start a tree that manages frames [0, 2^size_order), all free. size_order <= K. */
int cb_tree_init(struct cb_tree *t, unsigned size_order);

/*
 * Allocate 2^order frames. Picks the smallest free block that fits (lowest address among
 * blocks of that order) and hands out its lowest part, so results are deterministic.
 * Returns the first frame's index, or CB_TREE_ERR_FULL / CB_TREE_ERR_ORDER.
 */
static inline long cb_tree_alloc(struct cb_tree *t, unsigned order);

/* cb_tree_alloc and cb_tree_free out of line, for every case; the inline ones keep the
 * single-frame cases without a split or a merge and call these for the rest. */
long cb_tree_alloc_any(struct cb_tree *t, unsigned order);
int cb_tree_free_any(struct cb_tree *t, unsigned long index, unsigned order);

/* Allocate exactly frames [index, index + 2^order). CB_TREE_ERR_BUSY if any is taken. */
int cb_tree_alloc_at(struct cb_tree *t, unsigned long index, unsigned order);

/*
 * Free a run handed out as exactly (index, order). Anything else is refused with its own
 * error and leaves the tree unchanged: ORDER, RANGE, ALIGN, NOT_ALLOCATED (double free),
 * WRONG_ORDER (an allocation of another size starts there), INSIDE (part of an allocation).
 */
static inline int cb_tree_free(struct cb_tree *t, unsigned long index, unsigned order);

/* Largest order with a free block, or -1 when no frame is free. */
static inline int cb_tree_largest_free_order(const struct cb_tree *t)
{
    return t->orders ? 31 - __builtin_clz((unsigned)t->orders) : -1;
}

static inline unsigned cb_tree_free_frames(const struct cb_tree *t)
{
    return t->nfree;
}

static inline unsigned cb_tree_size_order(const struct cb_tree *t)
{
    return t->size_order;
}

/* True iff frame index (below the tree's size) was handed out alone, by an alloc of order 0. */
static inline bool cb_tree_frame_is_allocated(const struct cb_tree *t, unsigned long index);

/* The largest free order the tree would have once the allocation (index, order) is freed
 * (it must be one): what a deferred free will leave, without doing it. */
int cb_tree_largest_free_order_after_free(const struct cb_tree *t, unsigned long index,
                                          unsigned order);

/* True iff (index, order) was handed out by one allocation of exactly that order. */
static inline bool cb_tree_is_allocated(const struct cb_tree *t, unsigned long index,
                                        unsigned order);

/*
 * The allocation holding frame index: its first frame and order. Returns CB_TREE_OK,
 * CB_TREE_ERR_RANGE, or CB_TREE_ERR_NOT_ALLOCATED if the frame is free.
 */
int cb_tree_find_allocation(const struct cb_tree *t, unsigned long index, unsigned long *start,
                            unsigned *order);

/* Classify a free that would be refused; CB_TREE_OK if (index, order) may be freed. */
int cb_tree_check_free(const struct cb_tree *t, unsigned long index, unsigned order);

/*
 * Maps with the tree's layout (one bit per block of every order, orders back to back), for
 * bookkeeping beside the tree such as the pool set's quarantine map.
 */
static inline bool cb_tree_map_test(const cb_tree_word_t *map, unsigned long index, unsigned order);
static inline void cb_tree_map_set(cb_tree_word_t *map, unsigned long index, unsigned order);
static inline void cb_tree_map_clear(cb_tree_word_t *map, unsigned long index, unsigned order);
/* The first block of `order` at or after block `from` whose bit is set, or -1. Word-wise:
 * costs the set bits and the words, not the blocks. */
long cb_tree_map_next(const cb_tree_word_t *map, unsigned size_order, unsigned order,
                      unsigned long from);

/* Integrity walk (O(frames)): 0 if every invariant above holds, else where the first broken
 * one was found (CB_CHECK_FAILED in cb_compiler.h). */
int cb_tree_check(const struct cb_tree *t);

const char *cb_tree_strerror(int err);

/* Forced: the fast paths are a few dozen instructions, a call and its spills cost a third. */
#define CB_TREE__INLINE static inline __attribute__((always_inline))

/* ---- the fast paths, inline so that callers pay no call ----------------------------- */
/* Everything below is internal (cb_tree__ prefix); use the functions declared above. */

/* ---- bit tricks, all in one place ---------------------------------------------------- */

CB_TREE__INLINE unsigned cb_tree__ctz_word(cb_tree_word_t x)
{
#if CB_TREE_WORD_BITS == 64
    return (unsigned)__builtin_ctzll(x);
#else
    return (unsigned)__builtin_ctz(x);
#endif
}

CB_TREE__INLINE unsigned cb_tree__ctz64(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

CB_TREE__INLINE cb_tree_word_t cb_tree__word_bit(unsigned b)
{
    return (cb_tree_word_t)1 << (b & (CB_TREE_WORD_BITS - 1));
}

/*
 * Per-order constants, folded at compile time from CB_TREE_MAX_ORDER and CB_TREE_WORD_BITS:
 *   off   first bit of the order in each map (2^(CB_TREE_MAX_ORDER+1) - 2^(CB_TREE_MAX_ORDER-o+1));
 *   rmask summary bits of the map words the order occupies;
 *   wmask the order's bits within such a word (all ones for orders of a word or more,
 *         the order's field for the small orders packed into the last word).
 * Entries above CB_TREE_MAX_ORDER are zero and never read.
 */
#define CB_TREE__OK(o)  ((o) <= CB_TREE_MAX_ORDER)
#define CB_TREE__SH(o)  (CB_TREE__OK(o) ? CB_TREE_MAX_ORDER - (o) : 0)
#define CB_TREE__OFF(o) (CB_TREE__OK(o) ? (2u << CB_TREE_MAX_ORDER) - (2u << CB_TREE__SH(o)) : 0u)
#define CB_TREE__NB(o)  (1u << CB_TREE__SH(o))
#define CB_TREE__FW(o)  (CB_TREE__OFF(o) >> CB_TREE_LOG_WORD_BITS)
#define CB_TREE__LW(o)  ((CB_TREE__OFF(o) + CB_TREE__NB(o) - 1) >> CB_TREE_LOG_WORD_BITS)
#define CB_TREE__RMASK(o)                                                                          \
    (CB_TREE__OK(o) ? ((~0ull >> (63 - CB_TREE__LW(o))) & (~0ull << CB_TREE__FW(o))) : 0ull)
#define CB_TREE__WMASK(o)                                                                          \
    (CB_TREE__NB(o) >= CB_TREE_WORD_BITS                                                           \
         ? (cb_tree_word_t) ~(cb_tree_word_t)0                                                     \
         : (cb_tree_word_t)((((cb_tree_word_t)1 << (CB_TREE__NB(o) % CB_TREE_WORD_BITS)) - 1)      \
                            << (CB_TREE__OFF(o) % CB_TREE_WORD_BITS)))
#define CB_TREE__ENTRY(o)                                                                          \
    {                                                                                              \
        CB_TREE__RMASK(o), CB_TREE__WMASK(o), CB_TREE__OFF(o)                                      \
    }

struct cb_tree_order_info {
    uint64_t rmask;
    cb_tree_word_t wmask;
    uint16_t off;
};

static const struct cb_tree_order_info cb_tree_order_tab[11] = {
    CB_TREE__ENTRY(0), CB_TREE__ENTRY(1), CB_TREE__ENTRY(2),  CB_TREE__ENTRY(3),
    CB_TREE__ENTRY(4), CB_TREE__ENTRY(5), CB_TREE__ENTRY(6),  CB_TREE__ENTRY(7),
    CB_TREE__ENTRY(8), CB_TREE__ENTRY(9), CB_TREE__ENTRY(10),
};

CB_TREE__INLINE unsigned cb_tree__bit_of(unsigned o, unsigned long block)
{
    return cb_tree_order_tab[o].off + (unsigned)block;
}

/* The size order never exceeds K (cb_tree_init refuses it): telling the compiler lets it
 * drop bounds it cannot prove, at no cost. */
CB_TREE__INLINE unsigned cb_tree__size(const struct cb_tree *t)
{
    if (t->size_order > CB_TREE_MAX_ORDER) {
        __builtin_unreachable();
    }
    return t->size_order;
}

CB_TREE__INLINE bool cb_tree__map_test(const cb_tree_word_t *map, unsigned b)
{
    return (map[b >> CB_TREE_LOG_WORD_BITS] & cb_tree__word_bit(b)) != 0;
}

CB_TREE__INLINE bool cb_tree_map_test(const cb_tree_word_t *map, unsigned long index,
                                      unsigned order)
{
    return cb_tree__map_test(map, cb_tree__bit_of(order, index >> order));
}

CB_TREE__INLINE void cb_tree_map_set(cb_tree_word_t *map, unsigned long index, unsigned order)
{
    unsigned b = cb_tree__bit_of(order, index >> order);
    map[b >> CB_TREE_LOG_WORD_BITS] |= cb_tree__word_bit(b);
}

CB_TREE__INLINE void cb_tree_map_clear(cb_tree_word_t *map, unsigned long index, unsigned order)
{
    unsigned b = cb_tree__bit_of(order, index >> order);
    map[b >> CB_TREE_LOG_WORD_BITS] &= ~cb_tree__word_bit(b);
}

/* ---- free-block bookkeeping: the only writers of free_map, summary and orders -------- */

CB_TREE__INLINE void cb_tree__free_add(struct cb_tree *t, unsigned o, unsigned long block)
{
    unsigned b = cb_tree__bit_of(o, block);
    unsigned w = b >> CB_TREE_LOG_WORD_BITS;
    t->free_map[w] |= cb_tree__word_bit(b);
    t->summary |= 1ull << w;
    t->orders |= (1u << o);
}

CB_TREE__INLINE void cb_tree__free_remove(struct cb_tree *t, unsigned o, unsigned long block)
{
    unsigned b = cb_tree__bit_of(o, block);
    unsigned w = b >> CB_TREE_LOG_WORD_BITS;
    cb_tree_word_t word = t->free_map[w] & ~cb_tree__word_bit(b);
    t->free_map[w] = word;
    if (word == 0) {
        t->summary &= ~(1ull << w);
    }
    /* The order is empty when its part of this word is, and none of its other words has a
     * summary bit (small orders have no other word: their rmask is this word's bit alone). */
    if ((word & cb_tree_order_tab[o].wmask) == 0 &&
        (t->summary & cb_tree_order_tab[o].rmask & ~(1ull << w)) == 0) {
        t->orders &= ~(1u << o);
    }
}

/* Take the lowest free block of order o (one exists) and hand out its first 2^order frames,
 * splitting o - order times. Inlined with constant orders by the callers below. */
CB_TREE__INLINE long cb_tree__alloc_from(struct cb_tree *t, unsigned o, unsigned order)
{
    const struct cb_tree_order_info *oi = &cb_tree_order_tab[o];
    unsigned w = cb_tree__ctz64(t->summary & oi->rmask);
    unsigned long block = ((unsigned long)w << CB_TREE_LOG_WORD_BITS) +
                          cb_tree__ctz_word(t->free_map[w] & oi->wmask) - oi->off;
    cb_tree__free_remove(t, o, block);
    while (o > order) {
        o--;
        block <<= 1;
        cb_tree__free_add(t, o, block + 1);
    }
    unsigned b = cb_tree__bit_of(order, block);
    t->alloc_map[b >> CB_TREE_LOG_WORD_BITS] |= cb_tree__word_bit(b);
    t->nfree = t->nfree - (1u << order);
    return (long)(block << order);
}

/*
 * Fast path budget (x86_64, measured by tests/budget): a single frame with a free block of
 * order 0 is a test of the order mask, a ctz over the summary, one over the word, a clear, a
 * set and the free count, the per-order constants folded. Every other case (another order,
 * a split) is one call to cb_tree_alloc_any. Measured with the matching free: 59 instructions
 * a pair when the frame is the only free one of its order (the summary and order bits change
 * each time); orders 0..10 in turn on an empty tree (10 - order splits and merges a pair) 549.
 * Issue 13's budgets: 40 and 120.
 */
CB_TREE__INLINE long cb_tree_alloc(struct cb_tree *t, unsigned order)
{
    if (__builtin_expect(order == 0 && (t->orders & 1), 1)) {
        return cb_tree__alloc_from(t, 0, 0);
    }
    return cb_tree_alloc_any(t, order);
}

CB_TREE__INLINE bool cb_tree_frame_is_allocated(const struct cb_tree *t, unsigned long index)
{
    return cb_tree__map_test(t->alloc_map, cb_tree__bit_of(0, index));
}

CB_TREE__INLINE bool cb_tree_is_allocated(const struct cb_tree *t, unsigned long index,
                                          unsigned order)
{
    return order <= cb_tree__size(t) && index < (1ul << cb_tree__size(t)) &&
           (index & ((1ul << order) - 1)) == 0 &&
           cb_tree__map_test(t->alloc_map, cb_tree__bit_of(order, index >> order));
}

/*
 * Fast path budget: a single frame whose buddy is not free is a range test, a bit test and
 * clear, a buddy test and one free_add with constant orders (figures: see cb_tree_alloc).
 * Every other case (another order, a merge, a refused free) is one call to cb_tree_free_any.
 */
CB_TREE__INLINE int cb_tree_free(struct cb_tree *t, unsigned long index, unsigned order)
{
    if (__builtin_expect(order == 0 && index < (1ul << cb_tree__size(t)) && cb_tree__size(t) > 0,
                         1)) {
        unsigned b = cb_tree__bit_of(0, index);
        unsigned w = b >> CB_TREE_LOG_WORD_BITS;
        cb_tree_word_t bit = cb_tree__word_bit(b);
        /* The buddy's bit is in the same word: order 0 starts at bit 0, and words are even. */
        if (__builtin_expect(
                (t->alloc_map[w] & bit) && !(t->free_map[w] & cb_tree__word_bit(b ^ 1)), 1)) {
            t->alloc_map[w] &= ~bit;
            t->nfree = t->nfree + 1;
            cb_tree__free_add(t, 0, index);
            return CB_TREE_OK;
        }
    }
    return cb_tree_free_any(t, index, order);
}
