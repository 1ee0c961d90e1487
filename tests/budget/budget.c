/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fast path's instruction budget, measured: each scenario sets up a state in which the
 * measured pair neither splits nor merges (or, for the tree's mixed pair, does exactly what
 * the scenario says), checks that premise, then calls one measure_* function per pair,
 * N times, and measure_empty N times. tests/budget/budget.sh runs this binary under
 * callgrind with --toggle-collect=<function> twice (the scenario's function, then
 * measure_empty) and divides: instructions per pair, the empty call's own cost subtracted.
 *
 *   budget <scenario> <order> <pairs> [world options]   (revoke_o0: at most 512 pairs)
 * scenarios:
 *   tree_o0     the tree alone: free + alloc of one frame whose buddy is allocated
 *   tree_mixed  the tree alone: alloc + free of orders 0..10 in turn on an empty tree (each
 *               pair splits and merges 10 - order times)
 *   trust       capbuddy_free + capbuddy_alloc of one run of 2^order frames, TRUST, whose
 *               buddy is allocated, in a pool that keeps its bucket (order 0: the hot frame;
 *               orders 9 and 10: as trust_full)
 *   trust_full  the same in a pool full of runs of that order: each free and alloc moves the
 *               pool between buckets
 *   revoke_o0   capbuddy_alloc + capbuddy_free of one frame, REVOKE, from a pool of free
 *               single frames whose buddies are allocated (the free goes to quarantine)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "world.h"

#define MAX_PAIRS 1000000ul

static struct cb_tree tree;
static cspacepath_t answer;
static seL4_CPtr run;

/* Extern, so that callgrind finds them by name; noinline, so that each pair is one call. */
void measure_empty(capbuddy_t *cb, unsigned order);
void measure_tree_o0(capbuddy_t *cb, unsigned order);
void measure_tree_mixed(capbuddy_t *cb, unsigned order);
void measure_trust(capbuddy_t *cb, unsigned order);
void measure_revoke_o0(capbuddy_t *cb, unsigned order);

__attribute__((noinline)) void measure_empty(capbuddy_t *cb, unsigned order)
{
    __asm__ volatile("" : : "r"(cb), "r"(order) : "memory");
}

__attribute__((noinline)) void measure_tree_o0(capbuddy_t *cb, unsigned order)
{
    (void)cb;
    (void)cb_tree_free(&tree, 0, order);
    (void)cb_tree_alloc(&tree, order);
}

__attribute__((noinline)) void measure_tree_mixed(capbuddy_t *cb, unsigned order)
{
    (void)cb;
    long i = cb_tree_alloc(&tree, order);
    (void)cb_tree_free(&tree, (unsigned long)i, order);
}

__attribute__((noinline)) void measure_trust(capbuddy_t *cb, unsigned order)
{
    (void)capbuddy_free(cb, run, seL4_PageBits + order);
    (void)capbuddy_alloc(cb, seL4_PageBits + order, VKA_NO_PADDR, false, &answer);
}

__attribute__((noinline)) void measure_revoke_o0(capbuddy_t *cb, unsigned order)
{
    (void)capbuddy_alloc(cb, seL4_PageBits + order, VKA_NO_PADDR, false, &answer);
    (void)capbuddy_free(cb, answer.capPtr, seL4_PageBits + order);
}

static void run_pairs(void (*fn)(capbuddy_t *, unsigned), capbuddy_t *cb, unsigned order,
                      unsigned long pairs, bool cycle)
{
    for (unsigned long i = 0; i < pairs; i++) {
        fn(cb, cycle ? (unsigned)(i % (CB_TREE_MAX_ORDER + 1)) : order);
    }
    for (unsigned long i = 0; i < pairs; i++) {
        measure_empty(cb, order);
    }
}

static void tree_scenario(bool mixed, unsigned long pairs)
{
    CBT_CHECK_EQ(cb_tree_init(&tree, CB_TREE_MAX_ORDER), CB_TREE_OK);
    if (!mixed) {
        CBT_CHECK_EQ(cb_tree_alloc(&tree, 0), 0);
        CBT_CHECK_EQ(cb_tree_alloc(&tree, 0), 1); /* the buddy: frees of 0 cannot merge */
    }
    unsigned nfree = cb_tree_free_frames(&tree);
    run_pairs(mixed ? measure_tree_mixed : measure_tree_o0, NULL, 0, pairs, mixed);
    CBT_CHECK_EQ(cb_tree_free_frames(&tree), nfree);
    CBT_CHECK_EQ(cb_tree_check(&tree), 0);
}

/*
 * TRUST, 2^order frames. The freed run's buddy is allocated (no merge) and the run is the
 * only free block of its order (the alloc takes it back without a split). Normally the pool
 * keeps larger free blocks, so that it keeps its bucket; with full (and for orders 9 and 10,
 * where a 1024-frame pool cannot hold a larger free block beside the run and its buddy) the
 * pool is full of runs of that order, and every free and alloc moves it between buckets.
 */
static void trust_scenario(unsigned order, unsigned long pairs, bool full)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_TRUST;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    unsigned n = 1u << (CB_TREE_MAX_ORDER - order);
    if (!full && n > 2) {
        n = 2; /* the run and its buddy */
    }
    seL4_CPtr *runs = calloc(n, sizeof(*runs));
    for (unsigned i = 0; i < n; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, seL4_PageBits + order, VKA_NO_PADDR, false, &answer), 0);
        runs[i] = answer.capPtr;
    }
    run = runs[0];
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_created, 1);
    unsigned long calls = st.kernel_calls, nfree = st.frames_free;
    run_pairs(measure_trust, w.cb, order, pairs, false);
    CBT_CHECK_EQ(answer.capPtr, run);
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.kernel_calls, calls);
    CBT_CHECK_EQ(st.frames_free, nfree);
    for (unsigned i = 0; i < n; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, runs[i], seL4_PageBits + order), 0);
    }
    free(runs);
    world_down(&w);
}

static void revoke_scenario(unsigned long pairs)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_REVOKE;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    /* A pool of 1024 single frames, every other one freed and revoked: 512 free frames whose
     * buddies are allocated. Each measured alloc takes one without a split; each free puts
     * it in quarantine. */
    enum { N = 1u << CB_TREE_MAX_ORDER };
    static seL4_CPtr frames[N];
    for (unsigned i = 0; i < N; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &answer), 0);
        frames[i] = answer.capPtr;
    }
    for (unsigned i = 0; i < N; i += 2) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, frames[i], seL4_PageBits), 0);
    }
    CBT_CHECK_EQ(capbuddy_flush(w.cb), 0);
    if (pairs > N / 2) {
        fprintf(stderr, "revoke_o0: at most %u pairs\n", (unsigned)N / 2);
        cbtest_failures++;
        pairs = N / 2;
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    unsigned long calls = st.kernel_calls;
    run_pairs(measure_revoke_o0, w.cb, 0, pairs, false);
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.kernel_calls, calls);
    CBT_CHECK_EQ(st.pools_created, 1);
    CBT_CHECK_EQ(st.frames_quarantined, pairs);
    for (unsigned i = 1; i < N; i += 2) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, frames[i], seL4_PageBits), 0);
    }
    world_down(&w);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s tree_o0|tree_mixed|trust|trust_full|revoke_o0 order pairs [opts]\n",
                argv[0]);
        return 2;
    }
    const char *scenario = argv[1];
    unsigned order = (unsigned)strtoul(argv[2], NULL, 0);
    unsigned long pairs = strtoul(argv[3], NULL, 0);
    if (order > CB_TREE_MAX_ORDER || pairs == 0 || pairs > MAX_PAIRS) {
        fprintf(stderr, "%s: bad order or pair count\n", argv[0]);
        return 2;
    }
    argv[3] = argv[0];
    world_parse_args(argc - 3, argv + 3, "budget");
    if (!strcmp(scenario, "tree_o0")) {
        tree_scenario(false, pairs);
    } else if (!strcmp(scenario, "tree_mixed")) {
        tree_scenario(true, pairs);
    } else if (!strcmp(scenario, "trust")) {
        trust_scenario(order, pairs, false);
    } else if (!strcmp(scenario, "trust_full")) {
        trust_scenario(order, pairs, true);
    } else if (!strcmp(scenario, "revoke_o0")) {
        revoke_scenario(pairs);
    } else {
        fprintf(stderr, "%s: unknown scenario %s\n", argv[0], scenario);
        return 2;
    }
    return cbtest_finish();
}
