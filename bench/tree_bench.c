/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The pool tree alone: N alloc+free pairs on one warm tree.
 *   --order K   every pair allocates and frees a run of order K, on a tree kept half full
 *               by a fixed set of other runs (so no pair splits or merges past its buddy);
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
 * Warm the tree the way a pool in use looks: fill it with runs of random small orders, then
 * free every other one, so that it is half full and its free space is fragmented.
 */
static void warm(struct cb_tree *t)
{
    static struct run runs[CB_TREE_FRAMES];
    unsigned n = 0;
    unsigned top = CB_TREE_MAX_ORDER > 3 ? 4 : CB_TREE_MAX_ORDER + 1;
    for (unsigned i = 0; cb_tree_free_frames(t) > 0; i++) {
        unsigned order = table[i % TABLE] % top;
        long index = cb_tree_alloc(t, order);
        if (index >= 0) {
            runs[n++] = (struct run){(unsigned long)index, order};
        }
    }
    for (unsigned k = 0; k < n; k += 2) {
        (void)cb_tree_free(t, runs[k].index, runs[k].order);
    }
}

int bench_tree(int argc, char **argv)
{
    unsigned long ops = 1000000;
    int order = 0;
    bool mixed = false, json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
            ops = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--order") && i + 1 < argc) {
            order = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--mixed")) {
            mixed = true;
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
        warm(&t);
        start = bench_now_ns();
        for (unsigned long i = 0; i < ops; i++) {
            long index = cb_tree_alloc(&t, (unsigned)order);
            if (index < 0 ||
                cb_tree_free(&t, (unsigned long)index, (unsigned)order) != CB_TREE_OK) {
                fprintf(stderr, "tree: order %d pair failed\n", order);
                return 1;
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
