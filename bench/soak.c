/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The soak (issue 6): `capbuddy-bench soak [--ops N] [--seed S] [--policy P] [--json]`.
 *
 * N mixed operations (default 100,000,000) on one CapBuddy over 4 GiB of modelled RAM,
 * streamed from the seed (no operation list: 100M ops would not fit in host memory):
 * - allocs of every size 12..22 (2^0..2^10 frames), uniformly, 9 times in 16 (so the live
 *   frames climb to half of RAM and stay near it; an alloc that would pass that budget is a
 *   free instead); NO_MEMORY refusals (no free aligned run in any pool and no room
 *   in the parent for another pool: fragmentation) are counted and reported, not failures;
 *   any other error is;
 * - frees of a random live run, 7 times in 16;
 * - a few (1 in 1024) allocs at a random aligned paddr of RAM, 2^0..2^3 frames (refusals
 *   are expected when the place is taken; a success must be at that paddr);
 * - is_from_pool queries (1 in 32) on a random live run (must be true) and on a cap that
 *   is not CapBuddy's (the root CNode: must be false).
 *
 * Checked on every alloc: the first and last frame caps of the run are looked up in the
 * kernel model (Page_GetAddress), must be 2^k - 1 frames apart and inside RAM, and the run's
 * 4 KiB units are marked in a bitmap by physical address, so a frame handed to two live
 * runs is caught whatever CapBuddy's books say; frees unmark them. Every 10,000 operations:
 * capbuddy_check() == 0, cb_parent_check(), and every frame cap of 8 random live runs looked
 * up one by one (contiguous, as marked). At the end: everything freed, the checks again,
 * the model's integrity walk, and after tear-down the model's accounting back at its
 * post-boot values.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <sel4runtime.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOAK_CHECK_EVERY ((uint64_t)10000)
#define SOAK_MAX_ORDER 10u /* size_bits 22 */
#define SOAK_AT_MAX_ORDER 3u

struct soak_run {
    seL4_CPtr cptr;
    uint64_t paddr;
    uint8_t order;
};

struct soak {
    capbuddy_t *cb;
    cb_parent_t *parent;
    struct bench_env env; /* CapBuddy keeps a pointer to env.parent_vka */
    struct sel4host_account boot;
    uint64_t ram_paddr, ram_bytes;
    uint64_t *bits; /* one bit per 4 KiB of RAM: handed to a live run */
    struct soak_run *live;
    size_t nlive, cap;
    uint64_t live_frames, budget_frames, peak_frames;
    /* counts */
    uint64_t allocs, frees, at_tries, at_ok, queries, checks, alloc_failures;
    uint64_t probes;
    uint64_t op;              /* the operation running */
    char first_refusal[160];  /* the first NO_MEMORY refusal, described */
    bool ok;
    char why[200];
};

#define soak_fail(s, ...) bench_fail(&(s)->ok, (s)->why, sizeof((s)->why), __VA_ARGS__)

/* The physical address of a frame cap, from the kernel model; 0 and a failure if none. */
static int probe(struct soak *s, seL4_CPtr cptr, uint64_t *pa)
{
    s->probes++;
#if defined(CONFIG_ARCH_X86)
    seL4_X86_Page_GetAddress_t ga = seL4_X86_Page_GetAddress(cptr);
#else
    seL4_ARM_Page_GetAddress_t ga = seL4_ARM_Page_GetAddress(cptr);
#endif
    if (ga.error != seL4_NoError) {
        soak_fail(s, "cptr %lu is not a frame cap (%d)", (unsigned long)cptr, (int)ga.error);
        return -1;
    }
    *pa = (uint64_t)ga.paddr;
    return 0;
}

/* Mark (set) or unmark the 2^order units of RAM from paddr; catches double hand-outs. */
static int mark(struct soak *s, uint64_t paddr, unsigned order, bool set)
{
    uint64_t n = (uint64_t)1 << order;
    if (paddr < s->ram_paddr || paddr + (n << seL4_PageBits) > s->ram_paddr + s->ram_bytes) {
        soak_fail(s, "run at 0x%llx is outside RAM", (unsigned long long)paddr);
        return -1;
    }
    uint64_t first = (paddr - s->ram_paddr) >> seL4_PageBits;
    if (first & (n - 1)) {
        soak_fail(s, "run of 2^%u frames at 0x%llx is not aligned", order,
                  (unsigned long long)paddr);
        return -1;
    }
    /* Runs are aligned: below 64 units they sit inside one word, above they fill words. */
    uint64_t words = n >= 64 ? n / 64 : 1;
    uint64_t m = n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1) << (first & 63);
    for (uint64_t w = first >> 6; w < (first >> 6) + words; w++) {
        uint64_t had = s->bits[w] & m;
        if (set && had) {
            soak_fail(s, "frame in run at 0x%llx handed out twice", (unsigned long long)paddr);
            return -1;
        }
        if (!set && had != m) {
            soak_fail(s, "freeing run at 0x%llx that was not handed out",
                      (unsigned long long)paddr);
            return -1;
        }
        s->bits[w] ^= m;
    }
    return 0;
}

static int track(struct soak *s, const cspacepath_t *path, unsigned order, uint64_t want_paddr)
{
    uint64_t n = (uint64_t)1 << order;
    uint64_t pa, last;
    if ((uint64_t)path->window != n) {
        soak_fail(s, "alloc of 2^%u frames gave a window of %lu", order,
                  (unsigned long)path->window);
        return -1;
    }
    if (probe(s, path->capPtr, &pa) || probe(s, path->capPtr + (seL4_CPtr)(n - 1), &last)) {
        return -1;
    }
    if (last != pa + ((n - 1) << seL4_PageBits)) {
        soak_fail(s, "run at 0x%llx: last frame at 0x%llx", (unsigned long long)pa,
                  (unsigned long long)last);
        return -1;
    }
    if (want_paddr != VKA_NO_PADDR && pa != want_paddr) {
        soak_fail(s, "alloc at 0x%llx gave 0x%llx", (unsigned long long)want_paddr,
                  (unsigned long long)pa);
        return -1;
    }
    if (mark(s, pa, order, true)) {
        return -1;
    }
    if (s->nlive == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        struct soak_run *v = realloc(s->live, cap * sizeof(*v));
        if (!v) {
            soak_fail(s, "out of host memory");
            return -1;
        }
        s->live = v;
        s->cap = cap;
    }
    s->live[s->nlive++] = (struct soak_run){path->capPtr, pa, (uint8_t)order};
    s->live_frames += n;
    s->peak_frames = s->live_frames > s->peak_frames ? s->live_frames : s->peak_frames;
    return 0;
}

static void do_alloc(struct soak *s, unsigned order)
{
    cspacepath_t path;
    int err = capbuddy_alloc(s->cb, seL4_PageBits + order, VKA_NO_PADDR, false, &path);
    s->allocs++;
    if (err == CAPBUDDY_ERR_NO_MEMORY) {
        /* The parent has no room for another pool and no pool has a free aligned run of
         * that size (fragmentation): a refusal, counted; the checks verify it changed
         * nothing. The first one is described. */
        if (!s->alloc_failures++) {
            struct capbuddy_stats st;
            capbuddy_stats(s->cb, &st);
            snprintf(s->first_refusal, sizeof(s->first_refusal),
                     "op %llu: 2^%u frames with %llu live; pools: %lu free, %lu used, "
                     "%lu quarantined, largest free 2^%d",
                     (unsigned long long)s->op, order, (unsigned long long)s->live_frames,
                     st.frames_free, st.frames_used, st.frames_quarantined,
                     st.largest_free_order);
        }
        return;
    }
    if (err) {
        soak_fail(s, "alloc of 2^%u frames failed with %llu frames live: %d (%s)", order,
                  (unsigned long long)s->live_frames, err, capbuddy_strerror(err));
        return;
    }
    (void)track(s, &path, order, VKA_NO_PADDR);
}

static void do_alloc_at(struct soak *s, uint64_t *rng)
{
    unsigned order = (unsigned)bench_below(rng, SOAK_AT_MAX_ORDER + 1);
    uint64_t n = (uint64_t)1 << order;
    uint64_t frames = s->ram_bytes >> seL4_PageBits;
    uint64_t idx = bench_below(rng, frames / n) * n;
    uint64_t pa = s->ram_paddr + (idx << seL4_PageBits);
    cspacepath_t path;
    s->at_tries++;
    if (capbuddy_alloc(s->cb, seL4_PageBits + order, pa, false, &path)) {
        return; /* taken, reserved at boot, or in a pool: refusals are expected */
    }
    s->at_ok++;
    (void)track(s, &path, order, pa);
}

static void do_free(struct soak *s, size_t i)
{
    struct soak_run r = s->live[i];
    s->live[i] = s->live[--s->nlive];
    s->live_frames -= (uint64_t)1 << r.order;
    s->frees++;
    if (mark(s, r.paddr, r.order, false)) {
        return;
    }
    int err = capbuddy_free(s->cb, r.cptr, seL4_PageBits + r.order);
    if (err) {
        soak_fail(s, "free of 2^%u frames at cptr %lu refused: %d", r.order,
                  (unsigned long)r.cptr, err);
    }
}

static void do_query(struct soak *s, uint64_t *rng)
{
    s->queries++;
    if (s->nlive) {
        const struct soak_run *r = &s->live[bench_below(rng, s->nlive)];
        if (!capbuddy_is_from_pool(s->cb, r->cptr, seL4_PageBits + r->order)) {
            soak_fail(s, "is_from_pool false for a live run at cptr %lu", (unsigned long)r->cptr);
        }
    }
    if (capbuddy_is_from_pool(s->cb, seL4_CapInitThreadCNode, seL4_PageBits)) {
        soak_fail(s, "is_from_pool true for the root CNode cap");
    }
}

/* The periodic checks: the allocator's and the parent's invariants, and a few live runs
 * looked up frame by frame. */
static void checkpoint(struct soak *s, uint64_t *rng, uint64_t op)
{
    s->checks++;
    if (capbuddy_check(s->cb)) {
        soak_fail(s, "capbuddy_check failed after op %llu", (unsigned long long)op);
    }
    if (!cb_parent_check(s->parent)) {
        soak_fail(s, "cb_parent_check failed after op %llu", (unsigned long long)op);
    }
    for (unsigned k = 0; k < 8 && s->nlive && s->ok; k++) {
        const struct soak_run *r = &s->live[bench_below(rng, s->nlive)];
        for (uint64_t i = 0; i < ((uint64_t)1 << r->order) && s->ok; i++) {
            uint64_t pa;
            if (!probe(s, r->cptr + (seL4_CPtr)i, &pa) &&
                pa != r->paddr + (i << seL4_PageBits)) {
                soak_fail(s, "frame %llu of the run at 0x%llx is at 0x%llx", (unsigned long long)i,
                          (unsigned long long)r->paddr, (unsigned long long)pa);
            }
        }
    }
}

static int soak_up(struct soak *s, uint64_t ram, int policy)
{
    struct sel4host_config hc;
    sel4host_config_default(&hc);
    hc.ram_bytes = ram;
    /* RAM is 2^20 frames at most: 2^21 slots in each half of the root CNode cover every
     * frame CapBuddy's pools can hold, as the other workloads size it (4x the live peak). */
    hc.root_cnode_bits = 22;
    if (sel4host_boot(&hc) != seL4_NoError) {
        soak_fail(s, "boot of %llu MiB RAM refused", (unsigned long long)(ram >> 20));
        return -1;
    }
    s->ram_paddr = hc.ram_paddr;
    s->ram_bytes = hc.ram_bytes;
    const seL4_BootInfo *bi = sel4runtime_bootinfo();
    sel4host_account(&s->boot);
    seL4_Word half = (seL4_Word)1 << (hc.root_cnode_bits - 1);
    cb_parent_config_t pc;
    memset(&pc, 0, sizeof(pc));
    pc.bootinfo = bi;
    pc.first_slot = bi->empty.start;
    pc.end_slot = half;
    int err = cb_parent_init(&s->parent, &pc);
    if (err) {
        soak_fail(s, "parent init: %d", err);
        sel4host_shutdown();
        return -1;
    }
    struct bench_env *env = &s->env;
    cb_parent_make_vka(s->parent, &env->parent_vka);
    env->bi = bi;
    env->parent = s->parent;
    env->window_first = half;
    env->window_count = bi->empty.end - half;
    env->policy = policy;
    env->spare_pools = -1;
    env->retain_ops = -1;
    env->max_overhead = -1;
    err = bench_capbuddy_new(env, &s->cb);
    if (err) {
        soak_fail(s, "capbuddy init: %d", err);
        (void)cb_parent_teardown(s->parent);
        sel4host_shutdown();
        return -1;
    }
    s->bits = calloc((size_t)((s->ram_bytes >> seL4_PageBits) / 64 + 1), sizeof(uint64_t));
    if (!s->bits) {
        soak_fail(s, "out of host memory for the frame bitmap");
    }
    return 0;
}

static void soak_down(struct soak *s)
{
    while (s->nlive && s->ok) {
        do_free(s, s->nlive - 1);
    }
    if (capbuddy_check(s->cb)) {
        soak_fail(s, "capbuddy_check failed at the end");
    }
    if (!cb_parent_check(s->parent)) {
        soak_fail(s, "cb_parent_check failed at the end");
    }
    if (sel4host_check()) {
        soak_fail(s, "model check: %s", sel4host_check_message());
    }
    capbuddy_destroy(s->cb);
    int err = cb_parent_teardown(s->parent);
    if (err) {
        soak_fail(s, "parent teardown: %d", err);
    }
    char leak[160];
    if (bench_leaked(&s->boot, leak, sizeof(leak))) {
        soak_fail(s, "%s", leak);
    }
    if (sel4host_check()) {
        soak_fail(s, "model check after teardown: %s", sel4host_check_message());
    }
    sel4host_shutdown();
}

static int parse_u64(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    if (end == v || *end) {
        return -1;
    }
    *out = x;
    return 0;
}

int bench_soak(int argc, char **argv, FILE *json_out)
{
    uint64_t nops = 100000000ull, seed = 42;
    int policy = CAPBUDDY_POLICY_TRUST;
    bool json = false, progress = isatty(2) != 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--progress")) {
            progress = true;
        } else if (!strcmp(a, "--no-progress")) {
            progress = false;
        } else if (!strcmp(a, "--ops") && v && !parse_u64(v, &nops)) {
            i++;
        } else if (!strcmp(a, "--seed") && v && !parse_u64(v, &seed)) {
            i++;
        } else if (!strcmp(a, "--policy") && v &&
                   (!strcmp(v, "trust") || !strcmp(v, "revoke") || !strcmp(v, "scrub"))) {
            i++;
            policy = !strcmp(v, "trust")    ? CAPBUDDY_POLICY_TRUST
                     : !strcmp(v, "revoke") ? CAPBUDDY_POLICY_REVOKE
                                            : CAPBUDDY_POLICY_SCRUB;
        } else {
            fprintf(stderr, "soak: unknown or incomplete option %s\n"
                            "usage: capbuddy-bench soak [--ops N] [--seed S] "
                            "[--policy trust|revoke|scrub] [--json]\n",
                    a);
            return 2;
        }
    }
    uint64_t ram = 4ull << 30;
    // cppcheck-suppress knownConditionTrueFalse ; depends on the host (32- or 64-bit)
    if (bench_small_host()) {
        ram = 2560ull << 20; /* the model on a 32-bit host holds less than 3.5 GiB */
        fprintf(stderr, "soak: 32-bit host: %llu MiB of modelled RAM instead of 4096\n",
                (unsigned long long)(ram >> 20));
    }

    struct soak *s = calloc(1, sizeof(*s));
    if (!s) {
        return 1;
    }
    s->ok = true;
    uint64_t t0 = bench_now_ns(), t_run = 0, op = 0;
    if (!soak_up(s, ram, policy)) {
        s->budget_frames = (s->ram_bytes >> seL4_PageBits) / 2;
        uint64_t rng = seed * 0x100000001b3ull + 's';
        uint64_t t1 = bench_now_ns();
        for (op = 0; op < nops && s->ok; op++) {
            uint64_t r = bench_rand(&rng);
            s->op = op;
            if ((r & 31) == 0) {
                do_query(s, &rng);
            } else if ((r >> 5 & 1023) == 0) {
                do_alloc_at(s, &rng);
            } else {
                unsigned order = (unsigned)((r >> 15) % (SOAK_MAX_ORDER + 1));
                /* 9 in 16: the live frames climb to the budget and stay near it */
                bool alloc = (r >> 40 & 15) < 9 || !s->nlive;
                if (alloc && s->live_frames + ((uint64_t)1 << order) > s->budget_frames) {
                    alloc = false;
                }
                if (alloc) {
                    do_alloc(s, order);
                } else if (s->nlive) {
                    do_free(s, (size_t)bench_below(&rng, s->nlive));
                }
            }
            if (op % SOAK_CHECK_EVERY == SOAK_CHECK_EVERY - 1) {
                checkpoint(s, &rng, op + 1);
                if (progress && op % (100 * SOAK_CHECK_EVERY) == 100 * SOAK_CHECK_EVERY - 1) {
                    fprintf(stderr, "\rsoak %llu/%llu ops", (unsigned long long)op + 1,
                            (unsigned long long)nops);
                }
            }
        }
        t_run = bench_now_ns() - t1;
        if (progress) {
            fprintf(stderr, "\r%-60s\r", "");
        }
        if (s->ok && nops % SOAK_CHECK_EVERY) {
            checkpoint(s, &rng, op); /* the tail after the last checkpoint */
        }
        soak_down(s);
    }
    double wall = (double)(bench_now_ns() - t0) / 1e9;
    double ops_s = t_run ? (double)op * 1e9 / (double)t_run : 0;
    char line[768];
    snprintf(line, sizeof(line),
             "{\"workload\":\"soak\",\"allocator\":\"capbuddy\",\"policy\":\"%s\",\"seed\":%llu,"
             "\"ops\":%llu,\"ram_mib\":%llu,\"peak_live_mib\":%llu,\"allocs\":%llu,\"frees\":%llu,\"alloc_at_tries\":%llu,"
             "\"alloc_at_ok\":%llu,\"refused\":%llu,\"queries\":%llu,\"checkpoints\":%llu,\"probes\":%llu,"
             "\"ops_per_s\":%.0f,\"run_s\":%.3f,\"wall_s\":%.3f,\"ok\":%s,\"why\":\"%s\"}\n",
             report_policy_name(policy), (unsigned long long)seed, (unsigned long long)op,
             (unsigned long long)(s->ram_bytes >> 20),
             (unsigned long long)(s->peak_frames >> (20 - seL4_PageBits)),
             (unsigned long long)s->allocs,
             (unsigned long long)s->frees, (unsigned long long)s->at_tries,
             (unsigned long long)s->at_ok, (unsigned long long)s->alloc_failures,
             (unsigned long long)s->queries, (unsigned long long)s->checks, (unsigned long long)s->probes, ops_s,
             (double)t_run / 1e9, wall, s->ok ? "true" : "false", s->ok ? "" : s->why);
    if (json) {
        fputs(line, stdout);
    } else {
        printf("soak: %llu ops (%llu allocs, %llu frees, %llu/%llu allocs at a paddr, %llu "
               "is_from_pool queries) on CapBuddy/%s over %llu MiB (peak live %llu MiB), "
               "seed %llu\n",
               (unsigned long long)op, (unsigned long long)s->allocs,
               (unsigned long long)s->frees, (unsigned long long)s->at_ok,
               (unsigned long long)s->at_tries, (unsigned long long)s->queries,
               report_policy_name(policy), (unsigned long long)(s->ram_bytes >> 20),
               (unsigned long long)(s->peak_frames >> (20 - seL4_PageBits)),
               (unsigned long long)seed);
        printf("soak: %.0f ops/s (%.1f s of ops, %.1f s wall with boot and tear-down), "
               "%llu checkpoints\n",
               ops_s, (double)t_run / 1e9, wall, (unsigned long long)s->checks);
        if (s->alloc_failures) {
            printf("soak: %llu allocs refused for lack of memory (fragmentation), first: %s\n",
                   (unsigned long long)s->alloc_failures, s->first_refusal);
        }
        printf("soak: %s%s\n", s->ok ? "every check held" : "FAILED: ", s->ok ? "" : s->why);
    }
    fflush(stdout);
    if (json_out) {
        fputs(line, json_out);
        fflush(json_out);
    }
    int rc = s->ok ? 0 : 1;
    free(s->bits);
    free(s->live);
    free(s);
    return rc;
}
