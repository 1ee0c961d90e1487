/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool tree against a plain reference model: one state per frame, every answer
 * derived by brute force. Built once per maximum order K (0..10) and word width, so
 * every K is covered (see CMakeLists.txt).
 *
 *   test_tree [--ops N] [--seed S]
 */
#include "cbtest.h"
#include "tree.h"

#include <string.h>

#define FRAMES CB_TREE_FRAMES

/* ---- the reference: who owns each frame ------------------------------------------------ */

struct ref {
    unsigned size_order;
    int16_t start[FRAMES]; /* first frame of the owning allocation, -1 when free */
    int8_t order[FRAMES];  /* order of the owning allocation */
};

static void ref_init(struct ref *r, unsigned size_order)
{
    r->size_order = size_order;
    for (unsigned f = 0; f < FRAMES; f++) {
        r->start[f] = -1;
        r->order[f] = -1;
    }
}

static unsigned ref_size(const struct ref *r)
{
    return 1u << r->size_order;
}

static bool ref_run_free(const struct ref *r, unsigned long index, unsigned order)
{
    for (unsigned long f = index; f < index + (1ul << order); f++) {
        if (r->start[f] >= 0) {
            return false;
        }
    }
    return true;
}

/*
 * Maximal free blocks, by brute force: a block is one when all its frames are free and it
 * is the whole tree or its parent is not wholly free. Fills best[o] with the lowest index
 * of such a block of order o (or -1).
 */
static void ref_free_blocks(const struct ref *r, long best[11])
{
    for (unsigned o = 0; o <= 10; o++) {
        best[o] = -1;
    }
    for (unsigned o = 0; o <= r->size_order; o++) {
        for (unsigned long i = 0; i < (ref_size(r) >> o); i++) {
            if (!ref_run_free(r, i << o, o)) {
                continue;
            }
            if (o < r->size_order && ref_run_free(r, (i >> 1) << (o + 1), o + 1)) {
                continue;
            }
            best[o] = (long)i << o;
            break;
        }
    }
}

static void ref_take(struct ref *r, unsigned long index, unsigned order)
{
    for (unsigned long f = index; f < index + (1ul << order); f++) {
        r->start[f] = (int16_t)index;
        r->order[f] = (int8_t)order;
    }
}

static long ref_alloc(struct ref *r, unsigned order)
{
    if (order > r->size_order) {
        return CB_TREE_ERR_ORDER;
    }
    long best[11];
    ref_free_blocks(r, best);
    for (unsigned o = order; o <= r->size_order; o++) {
        if (best[o] >= 0) {
            ref_take(r, (unsigned long)best[o], order);
            return best[o];
        }
    }
    return CB_TREE_ERR_FULL;
}

static int ref_check_args(const struct ref *r, unsigned long index, unsigned order)
{
    if (order > r->size_order) {
        return CB_TREE_ERR_ORDER;
    }
    if (index >= ref_size(r)) {
        return CB_TREE_ERR_RANGE;
    }
    if (index % (1ul << order)) {
        return CB_TREE_ERR_ALIGN;
    }
    return CB_TREE_OK;
}

static int ref_alloc_at(struct ref *r, unsigned long index, unsigned order)
{
    int err = ref_check_args(r, index, order);
    if (err) {
        return err;
    }
    if (!ref_run_free(r, index, order)) {
        return CB_TREE_ERR_BUSY;
    }
    ref_take(r, index, order);
    return CB_TREE_OK;
}

static int ref_classify_free(const struct ref *r, unsigned long index, unsigned order)
{
    int err = ref_check_args(r, index, order);
    if (err) {
        return err;
    }
    if (r->start[index] < 0) {
        return CB_TREE_ERR_NOT_ALLOCATED;
    }
    if ((unsigned long)r->start[index] != index) {
        return CB_TREE_ERR_INSIDE;
    }
    return (unsigned)r->order[index] == order ? CB_TREE_OK : CB_TREE_ERR_WRONG_ORDER;
}

static int ref_free(struct ref *r, unsigned long index, unsigned order)
{
    int err = ref_classify_free(r, index, order);
    if (err) {
        return err;
    }
    for (unsigned long f = index; f < index + (1ul << order); f++) {
        r->start[f] = -1;
        r->order[f] = -1;
    }
    return CB_TREE_OK;
}

static int ref_largest(const struct ref *r)
{
    long best[11];
    ref_free_blocks(r, best);
    for (int o = (int)r->size_order; o >= 0; o--) {
        if (best[o] >= 0) {
            return o;
        }
    }
    return -1;
}

static unsigned ref_nfree(const struct ref *r)
{
    unsigned n = 0;
    for (unsigned f = 0; f < ref_size(r); f++) {
        n += r->start[f] < 0;
    }
    return n;
}

/* Every observable answer of the tree equals the reference's, and the invariants hold. */
static void compare_full(const struct cb_tree *t, const struct ref *r)
{
    CBT_CHECK_EQ(cb_tree_check(t), 0);
    CBT_CHECK_EQ(cb_tree_free_frames(t), ref_nfree(r));
    CBT_CHECK_EQ(cb_tree_largest_free_order(t), ref_largest(r));
    for (unsigned f = 0; f < ref_size(r); f++) {
        unsigned long start = 0;
        unsigned order = 0;
        int err = cb_tree_find_allocation(t, f, &start, &order);
        if (r->start[f] < 0) {
            CBT_CHECK_EQ(err, CB_TREE_ERR_NOT_ALLOCATED);
        } else {
            CBT_CHECK_EQ(err, CB_TREE_OK);
            CBT_CHECK_EQ(start, r->start[f]);
            CBT_CHECK_EQ(order, r->order[f]);
            CBT_CHECK(cb_tree_is_allocated(t, start, order));
        }
    }
}

/* ---- long random sequences ------------------------------------------------------------- */

struct live {
    unsigned long index;
    unsigned order;
};

/* Orders skewed small, as real requests are, so the tree churns at partial fill. */
static unsigned pick_order(struct cbt_rng *rng, unsigned size_order)
{
    unsigned o = 0;
    while (o < size_order && cbt_below(rng, 3) == 0) {
        o++;
    }
    if (cbt_below(rng, 8) == 0) {
        o = (unsigned)cbt_below(rng, size_order + 1);
    }
    return o;
}

/* A free that must be refused, or a legal one: every error case is drawn. */
static void pick_bad_free(struct cbt_rng *rng, const struct live *live, size_t nlive,
                          unsigned size_order, unsigned long *index, unsigned *order)
{
    unsigned kind = (unsigned)cbt_below(rng, 6);
    if (nlive == 0 || kind == 0) {
        /* anything at all, including out of range and too large */
        *index = (unsigned long)cbt_below(rng, (2ul << size_order) + 2);
        *order = (unsigned)cbt_below(rng, size_order + 3);
        return;
    }
    const struct live *l = &live[cbt_below(rng, nlive)];
    *index = l->index;
    *order = l->order;
    switch (kind) {
    case 1: /* wrong order, up or down */
        *order = l->order + 1;
        if ((l->order > 0 && cbt_below(rng, 2)) || *order > size_order) {
            *order = l->order - (l->order > 0);
        }
        break;
    case 2: /* inside the run */
        if (l->order > 0) {
            *index = l->index + 1 + cbt_below(rng, (1ul << l->order) - 1);
            *order = (unsigned)cbt_below(rng, l->order);
        }
        break;
    case 3: /* misaligned */
        *index = l->index + 1;
        *order = l->order + (l->order < size_order);
        break;
    case 4: /* just past the end */
        *index = 1ul << size_order;
        *order = 0;
        break;
    default: /* a frame next to the run: often free, so a double free */
        *index = (l->index + (1ul << l->order)) % (1ul << size_order);
        *order = 0;
        break;
    }
}

static unsigned long total_ops;

static void random_run(unsigned size_order, unsigned long nops, uint64_t seed)
{
    static struct cb_tree t;
    static struct ref r;
    static struct live live[FRAMES];
    size_t nlive = 0;
    struct cbt_rng rng;
    cbt_seed(&rng, seed);

    CBT_CHECK_EQ(cb_tree_init(&t, size_order), CB_TREE_OK);
    ref_init(&r, size_order);
    /* Full comparisons cost O(frames): every op for small trees, periodically for big. */
    unsigned long full_every = size_order <= 6 ? 1 : 1ul << (size_order - 4);

    for (unsigned long op = 0; op < nops; op++) {
        unsigned what = (unsigned)cbt_below(&rng, 20);
        if (what < 8) {
            unsigned order = pick_order(&rng, size_order);
            if (cbt_below(&rng, 50) == 0) {
                order = size_order + 1 + (unsigned)cbt_below(&rng, 3);
            }
            long got = cb_tree_alloc(&t, order);
            long want = ref_alloc(&r, order);
            CBT_CHECK_EQ(got, want);
            if (got >= 0) {
                live[nlive++] = (struct live){(unsigned long)got, order};
            }
        } else if (what < 10) {
            unsigned order = pick_order(&rng, size_order);
            unsigned long index = (unsigned long)cbt_below(&rng, (1ul << size_order) + 1);
            if (cbt_below(&rng, 4)) {
                index &= ~((1ul << order) - 1); /* mostly aligned, so most can succeed */
            }
            int got = cb_tree_alloc_at(&t, index, order);
            int want = ref_alloc_at(&r, index, order);
            CBT_CHECK_EQ(got, want);
            if (got == CB_TREE_OK) {
                live[nlive++] = (struct live){index, order};
            }
        } else if (what < 17 && nlive > 0) {
            size_t k = (size_t)cbt_below(&rng, nlive);
            struct live l = live[k];
            live[k] = live[--nlive];
            CBT_CHECK_EQ(cb_tree_free(&t, l.index, l.order), CB_TREE_OK);
            CBT_CHECK_EQ(ref_free(&r, l.index, l.order), CB_TREE_OK);
            if (cbt_below(&rng, 8) == 0) { /* and again: a double free */
                CBT_CHECK_EQ(cb_tree_free(&t, l.index, l.order),
                             ref_classify_free(&r, l.index, l.order));
            }
        } else {
            unsigned long index;
            unsigned order;
            pick_bad_free(&rng, live, nlive, size_order, &index, &order);
            int want = ref_classify_free(&r, index, order);
            int got = cb_tree_free(&t, index, order);
            CBT_CHECK_EQ(got, want);
            if (want == CB_TREE_OK) {
                ref_free(&r, index, order);
                for (size_t k = 0; k < nlive; k++) {
                    if (live[k].index == index) {
                        live[k] = live[--nlive];
                        break;
                    }
                }
            }
        }
        CBT_CHECK_EQ(cb_tree_free_frames(&t), ref_nfree(&r));
        if (op % full_every == 0 || op + 1 == nops) {
            compare_full(&t, &r);
        }
        CBT_BAIL_IF_FAILED();
    }
    total_ops += nops;
}

/* ---- exhaustive: every reachable state of a small tree, every operation -------------- */

#define EXHAUSTIVE_MAX_ORDER 4

struct state {
    unsigned nalloc;
    struct live alloc[1u << EXHAUSTIVE_MAX_ORDER];
};

static unsigned long states_seen;
static unsigned long exhaustive_ops;

/*
 * The per-frame ownership and the integrity walk together pin the state down: with every
 * frame's owner equal to the reference's and cb_tree_check() proving that free blocks tile
 * the rest maximally, nothing else is left to differ (largest order included).
 */
static void compare_light(const struct cb_tree *t, const struct ref *r)
{
    CBT_CHECK_EQ(cb_tree_check(t), 0);
    CBT_CHECK_EQ(cb_tree_free_frames(t), ref_nfree(r));
    for (unsigned f = 0; f < ref_size(r); f++) {
        unsigned long start = 0;
        unsigned order = 0;
        int err = cb_tree_find_allocation(t, f, &start, &order);
        CBT_CHECK_EQ(err, r->start[f] < 0 ? CB_TREE_ERR_NOT_ALLOCATED : CB_TREE_OK);
        if (!err) {
            CBT_CHECK(start == (unsigned long)r->start[f] && order == (unsigned)r->order[f]);
        }
    }
}

/*
 * A refused call must leave the tree byte for byte as it was; an accepted one must agree
 * with the reference. Copies are memcpy'd so padding compares equal too.
 */
static void compare_after(const struct cb_tree *t, const struct ref *r, const struct cb_tree *base,
                          long result)
{
    if (result < 0) {
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison): t is a memcpy of base
        CBT_CHECK(memcmp(t, base, sizeof(*t)) == 0);

    } else {
        compare_light(t, r);
    }
}

/* Build the state by alloc_at, then try every operation on a copy of it. */
static void exhaust_state(const struct state *s, unsigned size_order)
{
    struct cb_tree base, t;
    struct ref rbase, r;
    memset(&base, 0, sizeof(base));
    cb_tree_init(&base, size_order);
    ref_init(&rbase, size_order);
    for (unsigned k = 0; k < s->nalloc; k++) {
        CBT_CHECK_EQ(cb_tree_alloc_at(&base, s->alloc[k].index, s->alloc[k].order), CB_TREE_OK);
        ref_take(&rbase, s->alloc[k].index, s->alloc[k].order);
    }
    compare_full(&base, &rbase);
    states_seen++;

    unsigned size = 1u << size_order;
    for (unsigned order = 0; order <= size_order + 1; order++) {
        memcpy(&t, &base, sizeof(t));
        r = rbase;
        long got = cb_tree_alloc(&t, order);
        CBT_CHECK_EQ(got, ref_alloc(&r, order));
        compare_after(&t, &r, &base, got);
        exhaustive_ops++;
        /* Every index, aligned or not, up to one past the end. */
        for (unsigned long index = 0; index <= size; index++) {
            memcpy(&t, &base, sizeof(t));
            r = rbase;
            got = cb_tree_alloc_at(&t, index, order);
            CBT_CHECK_EQ(got, ref_alloc_at(&r, index, order));
            compare_after(&t, &r, &base, got);
            memcpy(&t, &base, sizeof(t));
            r = rbase;
            got = cb_tree_free(&t, index, order);
            CBT_CHECK_EQ(got, ref_free(&r, index, order));
            compare_after(&t, &r, &base, got);
            exhaustive_ops += 2;
        }
    }
}

/*
 * Enumerate every state exactly once. A block is wholly free, one allocation, or split into
 * halves that hold at least one allocation between them (two free halves would have merged:
 * that state is the 'wholly free' one). The pending stack holds blocks still to decide and
 * 'check' markers that drop a split whose halves stayed empty.
 */
struct pending {
    unsigned long index;
    unsigned order;
    int check; /* -1: a block; else the allocation count when the split began */
};

#define PENDING_MAX (2 * EXHAUSTIVE_MAX_ORDER + 2)

static void enumerate(struct state *s, const struct pending *todo, unsigned ntodo,
                      unsigned size_order)
{
    if (cbtest_failures) {
        return;
    }
    if (ntodo == 0) {
        exhaust_state(s, size_order);
        return;
    }
    struct pending p = todo[ntodo - 1];
    if (p.check >= 0) {
        if (s->nalloc != (unsigned)p.check) {
            enumerate(s, todo, ntodo - 1, size_order);
        }
        return;
    }
    enumerate(s, todo, ntodo - 1, size_order); /* wholly free */
    s->alloc[s->nalloc++] = (struct live){p.index, p.order};
    enumerate(s, todo, ntodo - 1, size_order); /* one allocation */
    s->nalloc--;
    if (p.order > 0) {
        /* Each level works on its own copy: deeper levels reuse the slots above theirs. */
        struct pending next[PENDING_MAX];
        memcpy(next, todo, (ntodo - 1) * sizeof(*todo));
        next[ntodo - 1] = (struct pending){0, 0, (int)s->nalloc};
        next[ntodo] = (struct pending){p.index + (1ul << (p.order - 1)), p.order - 1, -1};
        next[ntodo + 1] = (struct pending){p.index, p.order - 1, -1};
        enumerate(s, next, ntodo + 2, size_order);
    }
}

/* Number of states of a block of order k: S(0) = 2, S(k) = S(k-1)^2 + 1. */
static unsigned long expected_states(unsigned k)
{
    unsigned long n = 2;
    while (k--) {
        n = n * n + 1;
    }
    return n;
}

static void test_exhaustive(void)
{
    /* Builds with K <= 4 walk every state of their whole tree; bigger builds walk the small
     * trees they can also hold (size order <= 3) to cover the layout of their maps. */
    /* The order-4 walk is most of this test's time (minutes under valgrind): a run with
     * CBTEST_SCALE below 1 stops at order 3, which goes through the same code. */
    unsigned limit = cbtest_scale() < 1.0 ? 3 : EXHAUSTIVE_MAX_ORDER;
    unsigned top = CB_TREE_MAX_ORDER < limit + 1 ? CB_TREE_MAX_ORDER : 3; /* not <=: K may be 0 */
    printf("  exhaustive: size orders 0..%u (CBTEST_SCALE < 1 stops at 3)\n", top);
    /* "< top + 1": with K = 0, "<= top" compares an unsigned with 0 (cppcheck warns). */
    for (unsigned size_order = 0; size_order < top + 1; size_order++) {
        struct state s = {0};
        struct pending todo[PENDING_MAX];
        todo[0] = (struct pending){0, size_order, -1};
        unsigned long before = states_seen;
        enumerate(&s, todo, 1, size_order);
        CBT_CHECK_EQ(states_seen - before, expected_states(size_order));
        printf("  exhaustive: size order %u: %lu states\n", size_order, states_seen - before);
    }
    printf("  exhaustive: %lu states, %lu operations checked\n", states_seen, exhaustive_ops);
}

/* ---- directed cases: each error once, by name ----------------------------------------- */

static void test_errors_by_name(void)
{
    struct cb_tree t;
    unsigned k = CB_TREE_MAX_ORDER;
    CBT_CHECK_EQ(cb_tree_init(&t, k + 1), CB_TREE_ERR_ORDER);
    CBT_CHECK_EQ(cb_tree_init(&t, k), CB_TREE_OK);
    CBT_CHECK_EQ(cb_tree_largest_free_order(&t), (int)k);
    CBT_CHECK_EQ(cb_tree_alloc(&t, k + 1), CB_TREE_ERR_ORDER);
    CBT_CHECK_EQ(cb_tree_free(&t, 0, k + 1), CB_TREE_ERR_ORDER);
    CBT_CHECK_EQ(cb_tree_free(&t, 1ul << k, 0), CB_TREE_ERR_RANGE);
    CBT_CHECK_EQ(cb_tree_free(&t, 0, 0), CB_TREE_ERR_NOT_ALLOCATED);
    CBT_CHECK_EQ(cb_tree_alloc_at(&t, 1ul << k, 0), CB_TREE_ERR_RANGE);
    // cppcheck-suppress knownConditionTrueFalse ; k is the build's K, so fixed per build
    if (k >= 1) {
        CBT_CHECK_EQ(cb_tree_alloc_at(&t, 1, 1), CB_TREE_ERR_ALIGN);
        CBT_CHECK_EQ(cb_tree_alloc(&t, 1), 0);
        CBT_CHECK_EQ(cb_tree_free(&t, 1, 1), CB_TREE_ERR_ALIGN);
        CBT_CHECK_EQ(cb_tree_free(&t, 0, 0), CB_TREE_ERR_WRONG_ORDER);
        CBT_CHECK_EQ(cb_tree_free(&t, 1, 0), CB_TREE_ERR_INSIDE);
        CBT_CHECK_EQ(cb_tree_alloc_at(&t, 0, 0), CB_TREE_ERR_BUSY);
        CBT_CHECK(!cb_tree_is_allocated(&t, 0, 0));
        CBT_CHECK(cb_tree_is_allocated(&t, 0, 1));
        CBT_CHECK_EQ(cb_tree_free(&t, 0, 1), CB_TREE_OK);
        CBT_CHECK_EQ(cb_tree_free(&t, 0, 1), CB_TREE_ERR_NOT_ALLOCATED);
    }
    CBT_CHECK_EQ(cb_tree_alloc(&t, k), 0);
    CBT_CHECK_EQ(cb_tree_alloc(&t, 0), CB_TREE_ERR_FULL);
    CBT_CHECK_EQ(cb_tree_largest_free_order(&t), -1);
    CBT_CHECK_EQ(cb_tree_free_frames(&t), 0);
    CBT_CHECK_EQ(cb_tree_free(&t, 0, k), CB_TREE_OK);
    CBT_CHECK_EQ(cb_tree_check(&t), 0);
    for (int e = 0; e >= -9; e--) {
        CBT_CHECK(cb_tree_strerror(e) != NULL);
    }
}

/* The original's bug: under mixed-order churn freed frames went unseen. Fill with single
 * frames, free them all, and the whole tree must be one free block again. */
static void test_full_merge(void)
{
    struct cb_tree t;
    unsigned k = CB_TREE_MAX_ORDER;
    cb_tree_init(&t, k);
    for (unsigned long f = 0; f < (1ul << k); f++) {
        CBT_CHECK_EQ(cb_tree_alloc(&t, 0), (long)f);
    }
    /* XOR with a constant permutes the frames: freed in a scrambled order, each once. */
    unsigned long scramble = ((1ul << k) - 1) / 3;
    for (unsigned long f = 0; f < (1ul << k); f++) {
        CBT_CHECK_EQ(cb_tree_free(&t, f ^ scramble, 0), CB_TREE_OK);
    }
    CBT_CHECK_EQ(cb_tree_largest_free_order(&t), (int)k);
    CBT_CHECK_EQ(cb_tree_check(&t), 0);
}

static void test_random(void)
{
    unsigned long base_ops = (unsigned long)(1000000 * cbtest_scale());
    uint64_t seed = 0xcb7ee000u + CB_TREE_MAX_ORDER;
    /* The whole tree, then smaller pools inside the same type (pools made from less than
     * 4 MiB of untyped use a tree of lower size order). */
    for (int size_order = CB_TREE_MAX_ORDER; size_order >= 0; size_order -= 4) {
        unsigned long ops = size_order == CB_TREE_MAX_ORDER ? base_ops : base_ops / 10;
        printf("  random: K=%u word=%u size order %d, %lu ops, seed 0x%llx\n",
               (unsigned)CB_TREE_MAX_ORDER, (unsigned)CB_TREE_WORD_BITS, size_order, ops,
               (unsigned long long)seed);
        random_run((unsigned)size_order, ops, seed);
        seed = seed * 31 + 7;
    }
    printf("  random: %lu operations in total\n", total_ops);
}

int main(void)
{
    printf("pool tree: K=%u, %u-bit words, %zu bytes of metadata per tree\n",
           (unsigned)CB_TREE_MAX_ORDER, (unsigned)CB_TREE_WORD_BITS, sizeof(struct cb_tree));
    CBT_RUN(test_errors_by_name);
    CBT_RUN(test_full_merge);
    CBT_RUN(test_exhaustive);
    CBT_RUN(test_random);
    return cbtest_finish();
}
