/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs, whole sequences (the portable player): the host bench's workloads
 * (bench/workload_gen.c, the same generators and seeds as capbuddy-bench, at short sizes)
 * played through the parent's vka_alloc_frame / vka_free_object, one call per 4 KiB frame
 * (allocman on seL4: the host bench's "baseline"), and through CapBuddy under each policy
 * with the parent under it. One SEQ line per workload, allocator and pass (format: main.c).
 * Each sequence runs twice in a row through one allocator instance (pass=1, pass=2; CapBuddy
 * is made before pass 1 and destroyed after pass 2): pass 1 includes making the pools, and
 * with them the kernel's clearing of the memory they take (a boot untyped's first retype
 * clears it all, since the kernel hands boot untypeds out full; an untyped used before and
 * emptied is cleared on its next retype); pass 2 starts with what pass 1 kept (CapBuddy's
 * spare pool), the steady state.
 *
 * The platform (seq.h) gives the parent, the kernel-call counts and the instructions inside
 * invocations: seq_sel4.c on seL4 (allocman; sel4_count.h force-included with rdtsc
 * bracketing, which adds a few user instructions per invocation to instr), main_host.c on
 * the host model (the host parent; the model's counters and modelled instructions).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sel4/sel4.h>
#include <vka/object.h>
#include <capbuddy/capbuddy.h>
#include <capbuddy/scrub.h>
#include <capbuddy/vka_pool.h>

#include "../../bench/workload_gen.h"
#include "costs.h"
#include "seq.h"

#define SEED 42u
#define OBJ_MAX 32768
#define BLK_MAX 32768

const char *const seq_kind_names[SEQ_KINDS] = {
    "retype", "revoke", "delete", "copy", "mint", "move", "mutate",
    "page_map", "page_unmap", "page_getaddr", "paging_map", "other",
};

static const struct seq_platform *P;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above; analyzer false positive
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    P->line(line);
}

/* ---- the world ------------------------------------------------------------------------ */

/* The scrub hook: the library's ready one (capbuddy_scrub_frame: map the frame at a page of
 * the vspace, clear it, unmap it), clearing through the platform's zero_page. */
static struct capbuddy_scrub_window scrub_window;

static int clear_page(void *cookie, seL4_Word vaddr, size_t bytes)
{
    (void)cookie;
    (void)bytes; /* one page */
    return P->zero_page(vaddr);
}

static seL4_CPtr paging_from_parent(seL4_Word type)
{
    vka_object_t o;
    return vka_alloc_object(P->parent, type, 0, &o) == 0 ? o.cptr : 0;
}

/* ---- blocks ------------------------------------------------------------------------------ */

static vka_object_t objs[OBJ_MAX];
static uint8_t obj_used[OBJ_MAX];
static uint32_t blk_off[BLK_MAX];    /* allocman: first object of the block in objs[] */
static uint32_t blk_n[BLK_MAX];      /* allocman: its objects */
static uint8_t blk_order[BLK_MAX];   /* CapBuddy: the run's order */
static seL4_CPtr blk_cptr[BLK_MAX];  /* CapBuddy: the run's first cap */

static uint32_t blk_objs(const struct bench_op *op)
{
    return (op->flags & BLK_LARGE) ? 1 : op->frames;
}

/* Places every block's objects in objs[] (first fit), before the measured loop. */
static int place_blocks(const struct bench_oplist *l)
{
    memset(obj_used, 0, sizeof(obj_used));
    for (size_t i = 0; i < l->n; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            uint32_t n = blk_objs(op), run = 0, at = 0;
            for (; at < OBJ_MAX && run < n; at++) {
                run = obj_used[at] ? 0 : run + 1;
            }
            if (run < n) {
                return -1;
            }
            blk_off[op->id] = at - n;
            blk_n[op->id] = n;
            memset(&obj_used[at - n], 1, n);
        } else if (op->kind == OP_FREE) {
            memset(&obj_used[blk_off[op->id]], 0, blk_n[op->id]);
        }
    }
    return 0;
}

/* ---- one sequence --------------------------------------------------------------------- */

/* capbuddy-vka-*: unmodified vka calls (vka_alloc_frame / vka_free_object per 4 KiB frame,
 * as allocman's row) over CapBuddy's vka_t wrapper; large pages pass to the parent. */
enum alloc_kind { A_ALLOCMAN, A_TRUST, A_REVOKE, A_SCRUB, A_VKA_TRUST, A_VKA_REVOKE,
                  A_VKA_SCRUB, A_KINDS };
static const char *const alloc_names[A_KINDS] = {
    "allocman", "capbuddy-trust", "capbuddy-revoke", "capbuddy-scrub",
    "capbuddy-vka-trust", "capbuddy-vka-revoke", "capbuddy-vka-scrub",
};
#define PER_FRAME(a) ((a) == A_ALLOCMAN || (a) >= A_VKA_TRUST)

/* Plays l twice through one allocator instance: pass 1 starts with no pool (CapBuddy makes
 * its pools then: retypes, and the kernel's reset of the parent's untypeds), pass 2 finds
 * what pass 1 left (a kept spare pool), the steady state. instr_init is on the pass 1 line,
 * instr_fini (CapBuddy's destroy) on the pass 2 line, 0 elsewhere. */
static int play_pass(const char *workload, const char *phase, const struct bench_oplist *l,
                     enum alloc_kind a, int pass, capbuddy_t *cb, vka_t *pv, uint64_t t_init,
                     bool destroy);

static int play(const char *workload, const char *phase, const struct bench_oplist *l,
                enum alloc_kind a)
{
    capbuddy_t *cb = NULL;
    struct capbuddy_vka wrap;
    vka_t cvka, *pv = P->parent;
    uint64_t t_init = 0;
    if (a != A_ALLOCMAN) {
        struct capbuddy_config cfg;
        capbuddy_config_default(&cfg, P->parent, seL4_CapInitThreadCNode, P->window_first,
                                P->window_count);
        cfg.policy = (a == A_TRUST || a == A_VKA_TRUST) ? CAPBUDDY_POLICY_TRUST
                   : (a == A_REVOKE || a == A_VKA_REVOKE) ? CAPBUDDY_POLICY_REVOKE
                   : CAPBUDDY_POLICY_SCRUB;
        cfg.bootinfo = P->bi;
        capbuddy_scrub_window_init(&scrub_window, seL4_CapInitThreadVSpace, P->scrub_vaddr);
        scrub_window.clear = clear_page;
        cfg.scrub = capbuddy_scrub_frame;
        cfg.scrub_cookie = &scrub_window;
        uint64_t t0 = costs_tsc();
        int err = capbuddy_init(&cb, &cfg);
        if (!err && a >= A_VKA_TRUST) {
            capbuddy_vka_make(&wrap, cb, P->parent, &cvka);
            pv = &cvka;
        }
        t_init = costs_tsc() - t0 - costs_bracket;
        if (err) {
            emit("FAIL %s/%s %s: capbuddy_init %s", workload, phase, alloc_names[a],
                   capbuddy_strerror(err));
            return 1;
        }
    }
    int bad = play_pass(workload, phase, l, a, 1, cb, pv, t_init, false);
    if (!bad) {
        bad = play_pass(workload, phase, l, a, 2, cb, pv, 0, true);
    } else if (cb) {
        capbuddy_destroy(cb);
    }
    return bad;
}

static int play_pass(const char *workload, const char *phase, const struct bench_oplist *l,
                     enum alloc_kind a, int pass, capbuddy_t *cb, vka_t *pv, uint64_t t_init,
                     bool destroy)
{
    unsigned long c0[SEQ_KINDS], c1[SEQ_KINDS];
    uint64_t frames = 0, nops = 0, t_fini = 0, k0 = 0, k1 = 0;
    int err = 0;
    bool have = P->counts(c0);
    bool have_k = P->kinstr(&k0);
    uint64_t t0 = costs_tsc();
    for (size_t i = 0; i < l->n && !err; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            nops++;
            if (PER_FRAME(a)) {
                vka_object_t *o = &objs[blk_off[op->id]];
                if (op->flags & BLK_LARGE) {
                    err = vka_alloc_frame(pv, seL4_LargePageBits, o);
                    frames += 1u << op->order;
                } else {
                    for (uint32_t f = 0; f < op->frames && !err; f++) {
                        err = vka_alloc_frame(pv, seL4_PageBits, &o[f]);
                    }
                    frames += op->frames;
                }
            } else {
                cspacepath_t path;
                err = capbuddy_alloc(cb, seL4_PageBits + op->order, VKA_NO_PADDR, false, &path);
                blk_cptr[op->id] = path.capPtr;
                blk_order[op->id] = op->order;
                frames += 1u << op->order;
            }
        } else if (op->kind == OP_FREE) {
            nops++;
            if (PER_FRAME(a)) {
                vka_object_t *o = &objs[blk_off[op->id]];
                for (uint32_t f = 0; f < blk_n[op->id]; f++) {
                    vka_free_object(pv, &o[f]);
                }
            } else {
                err = capbuddy_free(cb, blk_cptr[op->id], seL4_PageBits + blk_order[op->id]);
            }
        }
    }
    uint64_t t = costs_tsc() - t0 - costs_bracket;
    P->kinstr(&k1);
    P->counts(c1);
    if (cb && (destroy || err)) {
        uint64_t t1 = costs_tsc();
        capbuddy_destroy(cb);
        t_fini = costs_tsc() - t1 - costs_bracket;
    }
    if (err) {
        emit("FAIL %s/%s %s pass %d: error %d", workload, phase, alloc_names[a], pass, err);
        return 1;
    }
    char line[600], kinstr[32] = "na";
    if (have_k) {
        snprintf(kinstr, sizeof(kinstr), "%llu", (unsigned long long)(k1 - k0));
    }
    size_t n = (size_t)snprintf(line, sizeof(line),
                                "SEQ workload=%s phase=%s alloc=%s pass=%d ops=%llu frames=%llu "
                                "instr=%llu kinstr=%s instr_init=%llu instr_fini=%llu",
                                workload, phase, alloc_names[a], pass, (unsigned long long)nops,
                                (unsigned long long)frames, (unsigned long long)t, kinstr,
                                (unsigned long long)t_init, (unsigned long long)t_fini);
    if (have) {
        unsigned long total = 0;
        for (int k = 0; k < SEQ_KINDS; k++) {
            total += c1[k] - c0[k];
        }
        n += (size_t)snprintf(line + n, sizeof(line) - n, " kernel_calls=%lu", total);
        for (int k = 0; k < SEQ_KINDS && n < sizeof(line); k++) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%lu", seq_kind_names[k],
                                  c1[k] - c0[k]);
        }
    } else {
        snprintf(line + n, sizeof(line) - n, " kernel_calls=na");
    }
    P->line(line);
    return 0;
}

/* ---- the workloads ------------------------------------------------------------------- */

struct workload {
    const char *name, *phase;
    long a, b; /* mcmc: iterations, max lifetime; single: count; vmram: frames */
    bool capbuddy; /* CapBuddy's native API plays it (not large pages) */
};

static const struct workload workloads[] = {
    {"mcmc-a", "", 200, 20, true},
    {"mcmc-c", "", 1000, 100, true},
    {"single", "pairs", 1000, 0, true},
    {"single", "bulk", 1024, 0, true},
    {"vmram", "4k", 2048, 0, true},
    {"vmram", "runs", 2048, 0, true},
    {"vmram", "large", 2048, 0, false},
};

static void generate(const struct workload *w, struct bench_oplist *l)
{
    unsigned lorder = seL4_LargePageBits - seL4_PageBits;
    if (!strncmp(w->name, "mcmc-", 5)) {
        mcmc_generate(l, w->name[5], w->a, w->b, SEED, 0);
    } else if (!strcmp(w->phase, "pairs")) {
        single_pairs_generate(l, w->a);
    } else if (!strcmp(w->phase, "bulk")) {
        single_bulk_generate(l, w->a, SEED);
    } else {
        int p = !strcmp(w->phase, "4k") ? 0 : !strcmp(w->phase, "runs") ? 1 : 2;
        vmram_generate(l, p, (uint64_t)w->a, lorder, SEED);
    }
}

/* Peak of live 4 KiB frames (per-frame count, large pages as their frames). */
static uint64_t peak_frames(const struct bench_oplist *l)
{
    uint64_t live = 0, peak = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            blk_n[op->id] = (op->flags & BLK_LARGE) ? 1u << op->order : op->frames;
            live += blk_n[op->id];
            peak = live > peak ? live : peak;
        } else if (op->kind == OP_FREE) {
            live -= blk_n[op->id];
        }
    }
    return peak;
}

int seq_play_all(const struct seq_platform *plat)
{
    P = plat;

    /* First touch: allocman one frame at a time up to the largest peak of live frames of
     * any workload, then all freed; twice. The kernel hands boot untypeds out full, so the
     * first pass clears every boot untyped allocman touches (pass 1 - pass 2 is that
     * one-time clearing); the sequences below then see the steady state. */
    uint64_t peak = 0;
    for (unsigned w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
        struct bench_oplist l;
        ops_init(&l);
        generate(&workloads[w], &l);
        uint64_t p = peak_frames(&l);
        peak = p > peak ? p : peak;
        ops_fini(&l);
    }
    peak = peak > OBJ_MAX ? OBJ_MAX : peak;
    emit("WORKLOAD workload=warmup phase=- param_a=%llu param_b=0 seed=0 ops=%llu blocks=%llu "
         "frames=%llu", (unsigned long long)peak, 2ull * peak,
         (unsigned long long)peak, (unsigned long long)peak);
    {
        struct bench_oplist l;
        ops_init(&l);
        for (uint64_t i = 0; i < peak; i++) {
            ops_alloc(&l, 0, 1, 0, 0);
        }
        ops_free_rest(&l);
        int bad = place_blocks(&l);
        if (!bad) {
            bad = play("warmup", "-", &l, A_ALLOCMAN);
        }
        ops_fini(&l);
        if (bad) {
            return 1;
        }
    }

    /* The scrub hook's page: paging structures for it from the parent, once. */
    vka_object_t f;
    if (vka_alloc_frame(P->parent, seL4_PageBits, &f) != 0 ||
        costs_map_frame(f.cptr, P->scrub_vaddr, paging_from_parent, NULL) != 0) {
        emit("FAIL scrub window at 0x%lx", (unsigned long)P->scrub_vaddr);
        return 1;
    }
    seL4_X86_Page_Unmap(f.cptr);
    vka_free_object(P->parent, &f);

    int failed = 0;
    for (unsigned w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
        const struct workload *wl = &workloads[w];
        struct bench_oplist l;
        ops_init(&l);
        generate(wl, &l);
        uint64_t nf = 0, nb = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (l.v[i].kind == OP_ALLOC) {
                nb++;
                nf += (l.v[i].flags & BLK_LARGE) ? 1u << l.v[i].order : l.v[i].frames;
            }
        }
        emit("WORKLOAD workload=%s phase=%s param_a=%ld param_b=%ld seed=%u ops=%lu "
             "blocks=%llu frames=%llu", wl->name, wl->phase[0] ? wl->phase : "-", wl->a,
             wl->b, SEED, (unsigned long)l.n, (unsigned long long)nb, (unsigned long long)nf);
        if (l.nblocks > BLK_MAX || place_blocks(&l) != 0) {
            emit("FAIL %s/%s: more than %d blocks or %d live objects", wl->name, wl->phase,
                 BLK_MAX, OBJ_MAX);
            failed++;
            ops_fini(&l);
            continue;
        }
        for (int a = 0; a < A_KINDS; a++) {
            if (!PER_FRAME(a) && !wl->capbuddy) {
                continue;
            }
            failed += play(wl->name, wl->phase[0] ? wl->phase : "-", &l, (enum alloc_kind)a);
        }
        ops_fini(&l);
    }
    return failed;
}
