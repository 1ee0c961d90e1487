/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool tree alone: N alloc+free pairs on one warm tree.
 *   --order K   every pair allocates and frees a run of order K, on a tree half full of
 *               runs of order K (every other one freed: no pair splits or merges);
 *   --mixed     orders uniform in 0..K, churn at about half full.
 * Random choices come from a table filled once, so that per-pair cost is the tree's plus
 * two loads: measure with callgrind as (Ir at 2N - Ir at N) / N, which cancels start-up.
 */
#include "bench.h"
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE 4096

struct run {
    unsigned long index;
    unsigned order;
};

static uint32_t table[TABLE];

static void fill_table(uint64_t seed)
{
    for (unsigned i = 0; i < TABLE; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        table[i] = (uint32_t)(seed >> 33);
    }
}

/*
 * Warm the tree for fixed-order churn: fill it with runs of that order, then free every
 * other one, so it is half full and each hole's buddy is in use. This is the steady state
 * of fixed-order churn in a pool in use: a pair neither splits nor merges.
 */
static void warm(struct cb_tree *t, unsigned order)
{
    long index;
    do {
        index = cb_tree_alloc(t, order);
    } while (index >= 0);
    for (unsigned long i = 0; i < CB_TREE_FRAMES; i += 2ul << order) {
        (void)cb_tree_free(t, i, order);
    }
}

int bench_tree(int argc, char **argv)
{
    unsigned long ops = 1000000;
    int order = 0;
    bool mixed = false, json = false, variable = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
            ops = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--order") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end || v < 0 || v > CB_TREE_MAX_ORDER) {
                fprintf(stderr, "tree: --order must be 0..%d\n", CB_TREE_MAX_ORDER);
                return 2;
            }
            order = (int)v;
        } else if (!strcmp(argv[i], "--mixed")) {
            mixed = true;
        } else if (!strcmp(argv[i], "--variable-order")) {
            variable = true;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else {
            fprintf(stderr, "tree: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (order < 0 || order > CB_TREE_MAX_ORDER) {
        fprintf(stderr, "tree: --order must be 0..%d\n", CB_TREE_MAX_ORDER);
        return 2;
    }
    fill_table(0xcb);
    static struct cb_tree t;
    cb_tree_init(&t, CB_TREE_MAX_ORDER);

    unsigned long allocs = 0, frees = 0, full = 0;
    uint64_t start;
    if (!mixed) {
        warm(&t, (unsigned)order);
        start = bench_now_ns();
        /* Order 0 (single frames, the commonest request) runs with the order known at
         * compile time, as a caller's single-frame entry point has it; --variable-order
         * passes it at run time as the other orders do. */
        if (order == 0 && !variable) {
            for (unsigned long i = 0; i < ops; i++) {
                long index = cb_tree_alloc(&t, 0);
                if (index < 0 || cb_tree_free(&t, (unsigned long)index, 0) != CB_TREE_OK) {
                    fprintf(stderr, "tree: order 0 pair failed\n");
                    return 1;
                }
            }
        } else {
            for (unsigned long i = 0; i < ops; i++) {
                long index = cb_tree_alloc(&t, (unsigned)order);
                if (index < 0 ||
                    cb_tree_free(&t, (unsigned long)index, (unsigned)order) != CB_TREE_OK) {
                    fprintf(stderr, "tree: order %d pair failed\n", order);
                    return 1;
                }
            }
        }
        allocs = frees = ops;
    } else {
        static struct run live[CB_TREE_FRAMES];
        unsigned nlive = 0, used = 0;
        start = bench_now_ns();
        for (unsigned long i = 0; i < ops; i++) {
            uint32_t r = table[i & (TABLE - 1)];
            unsigned o = r % (CB_TREE_MAX_ORDER + 1);
            long index = cb_tree_alloc(&t, o);
            if (index >= 0) {
                live[nlive++] = (struct run){(unsigned long)index, o};
                used += 1u << o;
                allocs++;
            } else {
                full++;
            }
            /* Free one run whenever more than half the tree is in use. */
            if (used > CB_TREE_FRAMES / 2 && nlive > 0) {
                unsigned k = (r >> 8) % nlive;
                struct run v = live[k];
                live[k] = live[--nlive];
                used -= 1u << v.order;
                if (cb_tree_free(&t, v.index, v.order) != CB_TREE_OK) {
                    fprintf(stderr, "tree: free failed\n");
                    return 1;
                }
                frees++;
            }
        }
    }
    uint64_t ns = bench_now_ns() - start;
    double per_pair = ops ? (double)ns / (double)ops : 0;
    int check = cb_tree_check(&t);
    if (json) {
        printf("{\"workload\":\"tree\",\"mode\":\"%s\",\"order\":%d,\"ops\":%lu,\"allocs\":%lu,"
               "\"allocs_full\":%lu,\"frees\":%lu,\"ns_per_pair\":%.2f,\"ok\":%s}\n",
               mixed ? "mixed" : "fixed", mixed ? -1 : order, ops, allocs, full, frees, per_pair,
               check == 0 ? "true" : "false");
    } else {
        printf("tree %-8s %10lu pairs: %lu allocs (%lu found no room), %lu frees, "
               "%.1f ns per pair, check %s\n",
               mixed ? "mixed" : (order == 0 ? "order 0" : "fixed"), ops, allocs, full, frees,
               per_pair, check == 0 ? "ok" : "FAILED");
    }
    return check == 0 ? 0 : 1;
}
