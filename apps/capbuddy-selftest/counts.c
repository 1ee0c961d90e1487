/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Kernel calls of fixed operation sequences, for comparing the host model's counters with
 * the real kernel's (docs/real-sel4.md). The same sequences run through CapBuddy (REVOKE,
 * one spare pool) and through the parent's vka_alloc_frame / vka_free_object path (upstream
 * allocman on seL4). Each line gives the calls of one phase by kind, and for CapBuddy the
 * part it made itself (its statistics), the rest being its parent's.
 *
 * mcmc-a (WORKLOADS.md), short: at iteration i a block of 2^k frames, k uniform in 0..10,
 * lives for t iterations, t uniform in 1..T; the generator is a fixed-seed xorshift so that
 * the model and the kernel replay the same sequence.
 */
#include "selftest.h"

#include <stdio.h>
#include <string.h>
#include <vka/object.h>

#define SINGLES 1024
#define MCMC_ITER 300
#define MCMC_T 8
#define MCMC_SEED 42u

static const char *const kind_names[ST_KINDS] = {
    "retype", "revoke", "delete", "copy", "mint", "move", "mutate",
    "page_map", "page_unmap", "page_getaddr", "paging_map", "other",
};

struct phase {
    const struct selftest_env *env;
    unsigned long at[ST_KINDS];
    unsigned long cb_at;
};

static unsigned long cb_calls(capbuddy_t *cb)
{
    struct capbuddy_stats st;
    if (!cb) {
        return 0;
    }
    capbuddy_stats(cb, &st);
    return st.kernel_calls;
}

static void phase_start(struct phase *p, capbuddy_t *cb)
{
    p->env->counts(p->at);
    p->cb_at = cb_calls(cb);
}

/* One "COUNT" line: to env->report when set (the host compares it with the kernel's), and
 * to stdout. */
static void emit(const struct selftest_env *env, const char *line)
{
    printf("%s\n", line);
    if (env->report) {
        env->report(line);
    }
}

/* cb_end: CapBuddy's own count at the end of the phase (it may be destroyed by then). */
static void phase_print(struct phase *p, const char *seq, const char *name, unsigned long cb_end,
                        bool has_cb)
{
    unsigned long now[ST_KINDS], total = 0;
    char line[256];
    size_t n = 0;
    p->env->counts(now);
    for (int k = 0; k < ST_KINDS; k++) {
        total += now[k] - p->at[k];
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "COUNT %-26s %-8s total=%lu", seq, name,
                          total);
    for (int k = 0; k < ST_KINDS && n < sizeof(line); k++) {
        if (now[k] != p->at[k]) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%lu", kind_names[k],
                                  now[k] - p->at[k]);
        }
    }
    if (has_cb && n < sizeof(line)) {
        snprintf(line + n, sizeof(line) - n, " capbuddy=%lu", cb_end - p->cb_at);
    }
    emit(p->env, line);
}

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

struct block {
    int due;          /* iteration at whose end it is freed; -1: slot unused */
    unsigned order;
    cspacepath_t run; /* CapBuddy */
    vka_object_t *objs; /* parent path: 2^order frames */
};

static vka_object_t frames[SINGLES * 8];
static struct block blocks[MCMC_ITER];

static int capbuddy_singles(const struct selftest_env *env, capbuddy_t *cb)
{
    static cspacepath_t runs[SINGLES];
    struct phase p = {.env = env};
    phase_start(&p, cb);
    for (int i = 0; i < SINGLES; i++) {
        int err = capbuddy_alloc(cb, seL4_PageBits, VKA_NO_PADDR, false, &runs[i]);
        if (err) {
            printf("COUNT capbuddy-1024-single: alloc %d: %s\n", i, capbuddy_strerror(err));
            return -1;
        }
    }
    phase_print(&p, "capbuddy-1024-single", "alloc", cb_calls(cb), true);
    phase_start(&p, cb);
    for (int i = 0; i < SINGLES; i++) {
        if (capbuddy_free(cb, runs[i].capPtr, seL4_PageBits)) {
            printf("COUNT capbuddy-1024-single: free %d refused\n", i);
            return -1;
        }
    }
    phase_print(&p, "capbuddy-1024-single", "free", cb_calls(cb), true);
    return 0;
}

static int parent_singles(const struct selftest_env *env, const char *seq)
{
    struct phase p = {.env = env};
    phase_start(&p, NULL);
    for (int i = 0; i < SINGLES; i++) {
        int err = vka_alloc_frame(env->parent, seL4_PageBits, &frames[i]);
        if (err) {
            printf("COUNT %s: vka_alloc_frame %d: %d\n", seq, i, err);
            return -1;
        }
    }
    phase_print(&p, seq, "alloc", 0, false);
    phase_start(&p, NULL);
    for (int i = 0; i < SINGLES; i++) {
        vka_free_object(env->parent, &frames[i]);
    }
    phase_print(&p, seq, "free", 0, false);
    return 0;
}

/* First fit in frames[] for the n frame objects of block i, among the live blocks before it. */
static vka_object_t *place(int i, unsigned n)
{
    size_t cap = sizeof(frames) / sizeof(frames[0]);
    for (int c = -1; c < i; c++) {
        size_t at = 0;
        if (c >= 0) {
            if (blocks[c].due < 0) {
                continue;
            }
            at = (size_t)(blocks[c].objs - frames) + (1u << blocks[c].order);
        }
        bool clash = at + n > cap;
        for (int j = 0; j < i && !clash; j++) {
            size_t b = blocks[j].due < 0 ? 0 : (size_t)(blocks[j].objs - frames);
            clash = blocks[j].due >= 0 && at < b + (1u << blocks[j].order) && b < at + n;
        }
        if (!clash) {
            return &frames[at];
        }
    }
    return NULL;
}

/* The short mcmc-a, through CapBuddy (cb) or, when cb is NULL, the parent frame by frame. */
static int mcmc(const struct selftest_env *env, capbuddy_t *cb, const char *seq)
{
    uint32_t rng = MCMC_SEED;
    struct phase p = {.env = env};
    unsigned long nallocs = 0, nframes = 0;
    phase_start(&p, cb);
    for (int i = 0; i < MCMC_ITER; i++) {
        blocks[i].order = rng_next(&rng) % 11;
        blocks[i].due = i + 1 + (int)(rng_next(&rng) % MCMC_T);
        unsigned n = 1u << blocks[i].order;
        nallocs++;
        nframes += n;
        if (cb) {
            int err = capbuddy_alloc(cb, seL4_PageBits + blocks[i].order, VKA_NO_PADDR, false,
                                     &blocks[i].run);
            if (err) {
                printf("COUNT %s: alloc at iteration %d: %s\n", seq, i, capbuddy_strerror(err));
                return -1;
            }
        } else {
            blocks[i].objs = place(i, n);
            if (!blocks[i].objs) {
                printf("COUNT %s: more than %zu live frames\n", seq,
                       sizeof(frames) / sizeof(frames[0]));
                return -1;
            }
            for (unsigned f = 0; f < n; f++) {
                int err = vka_alloc_frame(env->parent, seL4_PageBits, &blocks[i].objs[f]);
                if (err) {
                    printf("COUNT %s: vka_alloc_frame at iteration %d: %d\n", seq, i, err);
                    return -1;
                }
            }
        }
        /* Free what is due now (and, at the last iteration, everything). */
        for (int j = 0; j <= i; j++) {
            if (blocks[j].due < 0 || (blocks[j].due > i && i != MCMC_ITER - 1)) {
                continue;
            }
            if (cb) {
                if (capbuddy_free(cb, blocks[j].run.capPtr, seL4_PageBits + blocks[j].order)) {
                    printf("COUNT %s: free refused\n", seq);
                    return -1;
                }
            } else {
                for (unsigned f = 0; f < (1u << blocks[j].order); f++) {
                    vka_free_object(env->parent, &blocks[j].objs[f]);
                }
            }
            blocks[j].due = -1;
        }
    }
    char name[32];
    snprintf(name, sizeof(name), "n=%lu/%lu", nallocs, nframes);
    phase_print(&p, seq, name, cb_calls(cb), cb != NULL);
    return 0;
}

static int cb_mcmc(const struct selftest_env *env, capbuddy_t *cb)
{
    return mcmc(env, cb, "capbuddy-mcmc-a-short");
}

static int cb_destroy_counted(const struct selftest_env *env,
                              int (*fn)(const struct selftest_env *, capbuddy_t *),
                              const char *seq)
{
    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, env->parent, seL4_CapInitThreadCNode, env->slot_first,
                            env->slot_count);
    cfg.bootinfo = env->bi;
    capbuddy_t *cb;
    int err = capbuddy_init(&cb, &cfg);
    if (err) {
        printf("COUNT capbuddy_init: %s\n", capbuddy_strerror(err));
        return -1;
    }
    int r = fn(env, cb);
    struct phase p = {.env = env};
    phase_start(&p, NULL);
    capbuddy_destroy(cb);
    phase_print(&p, seq, "destroy", 0, false);
    return r;
}

int selftest_counts(const struct selftest_env *env)
{
    int failed = 0;
    if (!env->counts) {
        printf("COUNTS END (no counters)\n");
        return 0;
    }
    printf("COUNT parent=%s root-cnode-bits=%lu window=%lu+%lu\n", env->parent_name,
           (unsigned long)env->bi->initThreadCNodeSizeBits, (unsigned long)env->slot_first,
           (unsigned long)env->slot_count);
    failed += parent_singles(env, "parent-1024-single") != 0;
    failed += parent_singles(env, "parent-1024-single-again") != 0;
    failed += cb_destroy_counted(env, capbuddy_singles, "capbuddy-1024-single") != 0;
    failed += mcmc(env, NULL, "parent-mcmc-a-short") != 0;
    failed += cb_destroy_counted(env, cb_mcmc, "capbuddy-mcmc-a-short") != 0;
    printf("COUNTS END (%d sequences failed)\n", failed);
    return failed;
}
