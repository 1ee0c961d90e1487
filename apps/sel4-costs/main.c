/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs: a root task that measures what seL4 invocations and whole allocation sequences
 * cost in guest instructions, user and kernel together. Run it under QEMU with
 * `-icount shift=0,sleep=off`: the guest's rdtsc then advances by exactly one per executed
 * guest instruction, so an rdtsc delta around an operation is its instruction count
 * (docs/real-sel4.md). Without icount the figures are meaningless (rdtsc is then time).
 *
 * Output: one line per measurement, "KEY key=value ...", values without spaces; keys stay
 * stable (a ctest parses recorded runs, tests/costs/real/):
 *
 *   CONFIG arch=x86_64 fanout=256 cnode_bits=18 reset_chunk_bits=8 ...   (once)
 *   UT <paddr hex> <size_bits> <is_device>      (once per boot untyped, bootinfo's order; the
 *                                                self-test's format: the host replay boots
 *                                                the model with this list)
 *   COST kind=<kind> [n=<objects or caps>] [ut_bits=<untyped size>] [reset_bytes=<bytes the
 *        kernel clears>] [expected=<e> match=<yes|no>] instr=<min over repeats>
 *        reps=<r1>/<r2>/<r3> agree=<yes|no>
 *   SEQ workload=<w> alloc=<a> pass=<1|2> ops=<allocator calls> frames=<4 KiB frames
 *       handed out> instr=<instructions of the op loop> kinstr=<of them, inside kernel
 *       invocations> instr_init=<i> instr_fini=<f>
 *       kernel_calls=<n> retype=.. revoke=.. delete=.. copy=.. mint=.. move=.. mutate=..
 *       page_map=.. page_unmap=.. page_getaddr=.. paging_map=.. other=..
 *   sel4-costs: done (<n> failures)                                     (last line)
 *
 * COST figures are net of the empty bracket (kind=bracket_empty, subtracted from all) and
 * include the user-level libsel4 stub of the invocation. instr is the smallest of the
 * repeats: a timer tick that lands inside one repeat adds the kernel's interrupt path to it
 * (agree=no then shows it). COST kinds:
 *   bracket_empty, bracket_asm       rdtsc twice (C helper; inline-asm form)
 *   validate_loop n=N expected=2N+1  a dec/jnz loop of N iterations (plus its one mov)
 *   retype_first_boot n=1 ut_bits=B reset_bytes=2^B
 *                                    first retype of a boot untyped: the kernel hands boot
 *                                    untypeds out full, so it clears all 2^B bytes first
 *   retype_untyped_first_boot n=N ut_bits=B reset_bytes=2^B   the same making N untypeds
 *   retype_frames n=N ut_bits=B reset_bytes=R   Retype of N 4 KiB frames; R = 0: no reset
 *                                    (fresh untyped, or one with children); R > 0: the
 *                                    untyped had no children, so the kernel first clears the
 *                                    R bytes used before (the reset)
 *   retype_pt, retype_pd, retype_pdpt, retype_cnode n=1 [slots=S]
 *   pt_map, pd_map, pdpt_map         mapping a paging structure in the root vspace
 *   revoke_untyped n=N ut_bits=B     Revoke of an untyped holding N frame caps
 *   revoke_frame n=C                 Revoke of a frame cap with C copies (0 or 1)
 *   copy, mint, move, mutate         CNode invocations on a frame cap
 *   delete_copy                      Delete of a frame cap copy
 *   delete_frame                     Delete of the last cap of an unmapped frame
 *   page_getaddr                     seL4_X86_Page_GetAddress
 *   page_map, page_unmap mapped=1, page_unmap mapped=0
 * SEQ: the workloads of bench/workload_gen.c at short sizes (seq_play.c, the player the host
 * replay shares; seq_sel4.c sets up allocman for it here; a WORKLOAD line before
 * each gives its parameters), plus workload=warmup (allocman alone, one frame at a time up to
 * the largest peak, then all freed). alloc is one of allocman (upstream allocman's
 * vka_alloc_frame / vka_free_object per 4 KiB frame), capbuddy-{trust,revoke,scrub}
 * (CapBuddy's native API over allocman, one call per block of 2^k frames) and
 * capbuddy-vka-{trust,revoke,scrub} (the allocman row's vka calls over CapBuddy's vka_t
 * wrapper). Each sequence is played twice through one allocator instance: pass=1 from a
 * fresh CapBuddy (it makes its pools: retypes plus the kernel's clearing of that memory),
 * pass=2 right after (steady state, with the spare pool pass 1 kept). instr counts the op
 * loop only (frees included); instr_init (capbuddy_init, pass 1 line) and instr_fini
 * (capbuddy_destroy: pools given back, pass 2 line) are separate, 0 on the other line and
 * for allocman; frames counts 4 KiB frames handed out (CapBuddy: 2^k per block); the kernel
 * call counts are of the op loop. kinstr (built with SEL4CostsCountCalls, else "na"): the
 * instructions spent inside the op loop's kernel invocations, stub entry and kernel (each
 * counted invocation's seL4_CallWithMRs bracketed with rdtsc in sel4_count.h under
 * CAPBUDDY_COUNT_TSC, one empty bracket per call subtracted; the generated stub's packing of
 * its arguments before seL4_CallWithMRs is outside the bracket, a few instructions). instr
 * - kinstr is then the user part, the counting's own instructions included. tests/costs
 * replays these sequences on the host model (main_host.c) against kinstr.
 *
 *   WORKLOAD workload=<w> phase=<p|-> param_a=.. param_b=.. seed=.. ops=.. blocks=.. frames=..
 */
#include <stdio.h>
#include <string.h>
#include <sel4/sel4.h>
#include <sel4runtime.h>

#include "costs.h"

#if !defined(CONFIG_ARCH_X86)
#error "sel4-costs: x86 (x86_64, ia32) only: rdtsc and the X86 page invocations"
#endif

uint64_t costs_bracket;
static int failures;

#define CNODE seL4_CapInitThreadCNode
#define DEPTH seL4_WordBits

#ifdef CONFIG_RETYPE_FAN_OUT_LIMIT
#define FAN_OUT CONFIG_RETYPE_FAN_OUT_LIMIT
#else
#define FAN_OUT 256
#endif

void costs_report(const char *kind, const char *extra, const uint64_t *r, int n)
{
    uint64_t mn = r[0];
    bool agree = true;
    char reps[128];
    size_t at = 0;
    reps[0] = 0;
    for (int i = 0; i < n; i++) {
        mn = r[i] < mn ? r[i] : mn;
        agree = agree && r[i] == r[0];
        at += (size_t)snprintf(reps + at, sizeof(reps) - at, "%s%llu", i ? "/" : "",
                               (unsigned long long)r[i]);
    }
    printf("COST kind=%s%s%s instr=%llu reps=%s agree=%s\n", kind, extra[0] ? " " : "", extra,
           (unsigned long long)mn, reps, agree ? "yes" : "no");
}

#define FAIL(...)                                                                              \
    do {                                                                                       \
        printf("FAIL " __VA_ARGS__);                                                           \
        printf("\n");                                                                          \
        failures++;                                                                            \
    } while (0)

/* Measure one expression's instructions (net of the bracket) into v, checking err == 0. */
#define MEASURE(v, expr)                                                                       \
    do {                                                                                       \
        uint64_t t0_ = costs_tsc();                                                            \
        seL4_Error e_ = (expr);                                                                \
        uint64_t t1_ = costs_tsc();                                                            \
        (v) = t1_ - t0_ - costs_bracket;                                                       \
        if (e_ != seL4_NoError) {                                                              \
            FAIL("%s:%d: %s = %d", __FILE__, __LINE__, #expr, (int)e_);                        \
        }                                                                                      \
    } while (0)

/* ---- the method ------------------------------------------------------------------------ */

static uint64_t asm_empty(void)
{
    uint32_t a0, d0, a1, d1;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %[a0]\n\t"
                     "mov %%edx, %[d0]\n\t"
                     "rdtsc\n\t"
                     : "=a"(a1), "=d"(d1), [a0] "=&r"(a0), [d0] "=&r"(d0)
                     :
                     : "cc", "memory");
    return (((uint64_t)d1 << 32) | a1) - (((uint64_t)d0 << 32) | a0);
}

static uint64_t asm_loop(uint32_t n)
{
    uint32_t a0, d0, a1, d1;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %[a0]\n\t"
                     "mov %%edx, %[d0]\n\t"
                     "mov %[n], %%ecx\n\t"
                     "1: dec %%ecx\n\t"
                     "jnz 1b\n\t"
                     "rdtsc\n\t"
                     : "=&a"(a1), "=&d"(d1), [a0] "=&r"(a0), [d0] "=&r"(d0)
                     : [n] "r"(n)
                     : "ecx", "cc", "memory");
    return (((uint64_t)d1 << 32) | a1) - (((uint64_t)d0 << 32) | a0);
}

static void validate(void)
{
    uint64_t r[COSTS_REPEATS], asm_bracket = ~0ull;
    for (int i = 0; i < COSTS_REPEATS; i++) {
        uint64_t t0 = costs_tsc();
        uint64_t t1 = costs_tsc();
        r[i] = t1 - t0;
    }
    costs_bracket = r[0];
    for (int i = 1; i < COSTS_REPEATS; i++) {
        costs_bracket = r[i] < costs_bracket ? r[i] : costs_bracket;
    }
    costs_report("bracket_empty", "", r, COSTS_REPEATS);
    for (int i = 0; i < COSTS_REPEATS; i++) {
        r[i] = asm_empty();
        asm_bracket = r[i] < asm_bracket ? r[i] : asm_bracket;
    }
    costs_report("bracket_asm", "", r, COSTS_REPEATS);
    static const uint32_t ns[] = {1, 10, 100, 1000, 10000, 100000};
    for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        for (int i = 0; i < COSTS_REPEATS; i++) {
            r[i] = asm_loop(ns[k]) - asm_bracket;
        }
        uint64_t want = 2ull * ns[k] + 1;
        bool match = true;
        for (int i = 0; i < COSTS_REPEATS; i++) {
            match = match && r[i] == want;
        }
        char extra[96];
        snprintf(extra, sizeof(extra), "n=%u expected=%llu match=%s", (unsigned)ns[k],
                 (unsigned long long)want, match ? "yes" : "no");
        costs_report("validate_loop", extra, r, COSTS_REPEATS);
        if (!match) {
            FAIL("validate_loop n=%u: the counter does not count instructions (is QEMU run "
                 "with -icount shift=0,sleep=off?)", (unsigned)ns[k]);
        }
    }
}

/* ---- single invocations ------------------------------------------------------------------ */

/* Scratch slots at the top of the root CNode, all empty again when the phase ends. */
static seL4_Word scratch;
#define SL_FRAMES 0      /* 1024 frame caps */
#define SL_U 1024        /* 4 MiB untypeds, fresh */
#define SL_K 1028        /* 4 KiB untypeds */
#define SL_MISC 1040     /* copies */
#define SL_PAGING 1060   /* paging structures */
#define SL_BOOTF 1080    /* first-boot frames */
#define SL_U2 1100       /* 4 MiB untypeds for Retype of 1024 frames (fan-out 1024) */
#define SCRATCH_SLOTS 2048
#define NU 3
#define NK 8
#define VA_BASE 0x40000000ul

static seL4_CPtr slot(seL4_Word i)
{
    return (seL4_CPtr)(scratch + i);
}

static seL4_Error retype(seL4_CPtr ut, seL4_Word type, seL4_Word bits, seL4_Word dest,
                         seL4_Word n)
{
    return seL4_Untyped_Retype(ut, type, bits, CNODE, 0, 0, dest, n);
}

/* Retype n frames into SL_FRAMES.., in fan-out sized calls (not measured). */
static void fill(seL4_CPtr ut, seL4_Word n)
{
    for (seL4_Word done = 0; done < n;) {
        seL4_Word c = n - done < FAN_OUT ? n - done : FAN_OUT;
        seL4_Error e = retype(ut, seL4_X86_4K, 0, scratch + SL_FRAMES + done, c);
        if (e != seL4_NoError) {
            FAIL("fill %lu frames: %d", (unsigned long)n, (int)e);
            return;
        }
        done += c;
    }
}

static seL4_Error revoke(seL4_CPtr c)
{
    return seL4_CNode_Revoke(CNODE, c, DEPTH);
}

static seL4_Error del(seL4_CPtr c)
{
    return seL4_CNode_Delete(CNODE, c, DEPTH);
}

static seL4_Word next_k = 3; /* K0..K2 are for the 4 KiB reset cases */
static seL4_Word next_paging;

/* Paging structures from the 4 KiB untypeds (costs_map_frame's provider here). */
static seL4_CPtr paging_from_k(seL4_Word type)
{
    if (next_k >= NK || next_paging >= 20) {
        return 0;
    }
    seL4_CPtr dst = slot(SL_PAGING + next_paging);
    uint64_t v;
    MEASURE(v, retype(slot(SL_K + next_k), type, 0, dst, 1));
    const char *kind = type == seL4_X86_PageTableObject ? "retype_pt"
#ifdef CONFIG_ARCH_X86_64
                       : type == seL4_X86_PageDirectoryObject ? "retype_pd"
                       : "retype_pdpt";
#else
                       : "retype_pd";
#endif
    costs_report(kind, "n=1 ut_bits=12", &v, 1);
    next_k++;
    next_paging++;
    return dst;
}

static void report_paging_map(const char *kind, uint64_t v)
{
    costs_report(kind, "", &v, 1);
}

static bool used_ut[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];

/* A RAM boot untyped of exactly `bits` not used yet, or 0. */
static seL4_CPtr boot_ut(const seL4_BootInfo *bi, unsigned bits)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!used_ut[i] && !bi->untypedList[i].isDevice && bi->untypedList[i].sizeBits == bits) {
            used_ut[i] = true;
            return (seL4_CPtr)(bi->untyped.start + i);
        }
    }
    return 0;
}

static void micro(const seL4_BootInfo *bi)
{
    uint64_t r[COSTS_REPEATS], v;
    char extra[128];

    /* 1. First retype of boot untypeds: the kernel made them with their free index at the
     * end, so the first retype resets them (clears every byte). */
    static const unsigned first_bits[] = {16, 18, 20};
    for (unsigned b = 0; b < sizeof(first_bits) / sizeof(first_bits[0]); b++) {
        int n = 0;
        seL4_CPtr uts[COSTS_REPEATS];
        for (; n < COSTS_REPEATS; n++) {
            uts[n] = boot_ut(bi, first_bits[b]);
            if (!uts[n]) {
                break;
            }
            MEASURE(r[n], retype(uts[n], seL4_X86_4K, 0, slot(SL_BOOTF + (seL4_Word)n), 1));
        }
        if (n) {
            snprintf(extra, sizeof(extra), "n=1 ut_bits=%u reset_bytes=%lu", first_bits[b],
                     1ul << first_bits[b]);
            costs_report("retype_first_boot", extra, r, n);
        }
        for (int i = 0; i < n; i++) {
            revoke(uts[i]);
        }
    }

    /* 2. The source: a 16 MiB RAM boot untyped, cut into 3 fresh 4 MiB untypeds and 8 fresh
     * 4 KiB untypeds. Its first retype clears all 16 MiB. */
    seL4_CPtr src = boot_ut(bi, 24);
    if (!src) {
        FAIL("no 16 MiB RAM boot untyped");
        return;
    }
    MEASURE(v, retype(src, seL4_UntypedObject, 22, slot(SL_U), NU));
    costs_report("retype_untyped_first_boot", "n=3 ut_bits=24 reset_bytes=16777216", &v, 1);
    MEASURE(v, retype(src, seL4_UntypedObject, 12, slot(SL_K), NK));
    costs_report("retype_untyped", "n=8 ut_bits=24 reset_bytes=0", &v, 1);

    /* 3. Retype N frames without a reset: the first into a fresh untyped, the rest into one
     * that has children. Repeat r uses untyped U_r. */
    static const seL4_Word ns[] = {1, 16, 64, 256};
    uint64_t rr[4][COSTS_REPEATS];
    for (int rep = 0; rep < NU; rep++) {
        seL4_Word at = 0;
        for (unsigned k = 0; k < 4; k++) {
            MEASURE(rr[k][rep], retype(slot(SL_U + (seL4_Word)rep), seL4_X86_4K, 0,
                                       slot(SL_FRAMES + at), ns[k]));
            at += ns[k];
        }
        revoke(slot(SL_U + (seL4_Word)rep));
    }
    for (unsigned k = 0; k < 4; k++) {
        snprintf(extra, sizeof(extra), "n=%lu ut_bits=22 reset_bytes=0%s", (unsigned long)ns[k],
                 k == 0 ? " fresh=1" : " fresh=0");
        costs_report("retype_frames", extra, rr[k], NU);
    }
    if (FAN_OUT >= 1024) {
        /* 1024 frames in one call fill a 4 MiB untyped: fresh ones from a second boot
         * untyped of 16 MiB or more (its first retype clears it; not reported). */
        seL4_CPtr src2 = 0;
        unsigned src2_bits = 24;
        for (; !src2 && src2_bits <= 28; src2_bits++) {
            src2 = boot_ut(bi, src2_bits); /* the smallest with room for three */
        }
        if (!src2 || retype(src2, seL4_UntypedObject, 22, slot(SL_U2), NU) != seL4_NoError) {
            FAIL("no second RAM boot untyped of 16-256 MiB for Retype of 1024 frames");
        } else {
            for (int rep = 0; rep < NU; rep++) {
                MEASURE(r[rep], retype(slot(SL_U2 + (seL4_Word)rep), seL4_X86_4K, 0,
                                       slot(SL_FRAMES), 1024));
                revoke(slot(SL_U2 + (seL4_Word)rep));
            }
            costs_report("retype_frames", "n=1024 ut_bits=22 reset_bytes=0 fresh=1", r, NU);
            revoke(src2);
        }
    }

    /* 4. Revoke of an untyped holding N frame caps, and Retype of M frames after such a
     * revoke (the kernel resets the untyped: clears the N * 4 KiB used before). */
    static const seL4_Word prev[] = {1, 16, 256, 1024};
    static const seL4_Word ms[] = {1, 16, 64, 256, 1024};
    unsigned nms = FAN_OUT >= 1024 ? 5 : 4; /* Retype of M frames: M <= the fan-out */
    uint64_t rv[4][COSTS_REPEATS], rs[4][5][COSTS_REPEATS];
    for (int rep = 0; rep < NU; rep++) {
        seL4_CPtr u = slot(SL_U + (seL4_Word)rep);
        for (unsigned p = 0; p < 4; p++) {
            for (unsigned k = 0; k < nms; k++) {
                fill(u, prev[p]); /* resets what the previous round used: not measured */
                MEASURE(v, revoke(u));
                if (k == 0) {
                    rv[p][rep] = v;
                }
                MEASURE(rs[p][k][rep], retype(u, seL4_X86_4K, 0, slot(SL_FRAMES), ms[k]));
                revoke(u);
            }
        }
    }
    for (unsigned p = 0; p < 4; p++) {
        snprintf(extra, sizeof(extra), "n=%lu ut_bits=22", (unsigned long)prev[p]);
        costs_report("revoke_untyped", extra, rv[p], NU);
    }
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned k = 0; k < nms; k++) {
            snprintf(extra, sizeof(extra), "n=%lu ut_bits=22 reset_bytes=%lu",
                     (unsigned long)ms[k], (unsigned long)prev[p] * 4096ul);
            costs_report("retype_frames", extra, rs[p][k], NU);
        }
    }

    /* 5. A 4 KiB untyped: one frame fresh, the revoke, one frame after its reset (4 KiB). */
    uint64_t k1[COSTS_REPEATS], k2[COSTS_REPEATS], k3[COSTS_REPEATS];
    for (int rep = 0; rep < COSTS_REPEATS; rep++) {
        seL4_CPtr k = slot(SL_K + (seL4_Word)rep);
        MEASURE(k1[rep], retype(k, seL4_X86_4K, 0, slot(SL_FRAMES), 1));
        MEASURE(k2[rep], revoke(k));
        MEASURE(k3[rep], retype(k, seL4_X86_4K, 0, slot(SL_FRAMES), 1));
        revoke(k);
    }
    costs_report("retype_frames", "n=1 ut_bits=12 reset_bytes=0 fresh=1", k1, COSTS_REPEATS);
    costs_report("revoke_untyped", "n=1 ut_bits=12", k2, COSTS_REPEATS);
    costs_report("retype_frames", "n=1 ut_bits=12 reset_bytes=4096", k3, COSTS_REPEATS);

    /* 6. A CNode of 1024 slots (CapBuddy's CNODE pools) from an untyped with children. */
    {
        seL4_CPtr u = slot(SL_U);
        fill(u, 1);
        seL4_Word cn_bits = 10;
        MEASURE(v, retype(u, seL4_CapTableObject, cn_bits, slot(SL_MISC + 10), 1));
        costs_report("retype_cnode", "n=1 slots=1024", &v, 1);
        revoke(u);
    }

    /* 7. Frame caps: frames F_0..F_2 from U_0 (its reset not measured). */
    uint64_t ga[COSTS_REPEATS], rf0[COSTS_REPEATS], cp[COSTS_REPEATS], rf1[COSTS_REPEATS],
        mi[COSTS_REPEATS], mv[COSTS_REPEATS], mu[COSTS_REPEATS], dc[COSTS_REPEATS],
        pm[COSTS_REPEATS], pu1[COSTS_REPEATS], pu0[COSTS_REPEATS], df[COSTS_REPEATS];
    fill(slot(SL_U), COSTS_REPEATS);
    for (int rep = 0; rep < COSTS_REPEATS; rep++) {
        seL4_CPtr f = slot(SL_FRAMES + (seL4_Word)rep);
        seL4_CPtr c1 = slot(SL_MISC), c2 = slot(SL_MISC + 1), c3 = slot(SL_MISC + 2),
                  c4 = slot(SL_MISC + 3);
        seL4_Word va = VA_BASE + (seL4_Word)rep * (2ul << 20);
        uint64_t t0 = costs_tsc();
        seL4_X86_Page_GetAddress_t a = seL4_X86_Page_GetAddress(f);
        ga[rep] = costs_tsc() - t0 - costs_bracket;
        if (a.error) {
            FAIL("GetAddress: %d", (int)a.error);
        }
        MEASURE(rf0[rep], revoke(f));
        MEASURE(cp[rep], seL4_CNode_Copy(CNODE, c1, DEPTH, CNODE, f, DEPTH, seL4_AllRights));
        MEASURE(rf1[rep], revoke(f));
        seL4_CNode_Copy(CNODE, c1, DEPTH, CNODE, f, DEPTH, seL4_AllRights);
        MEASURE(mi[rep], seL4_CNode_Mint(CNODE, c2, DEPTH, CNODE, f, DEPTH, seL4_AllRights, 0));
        MEASURE(mv[rep], seL4_CNode_Move(CNODE, c3, DEPTH, CNODE, c2, DEPTH));
        MEASURE(mu[rep], seL4_CNode_Mutate(CNODE, c4, DEPTH, CNODE, c3, DEPTH, 0));
        MEASURE(dc[rep], del(c1));
        del(c4);
        /* map once unmeasured (makes the paging structures), unmap, then measure */
        int m = costs_map_frame(f, va, paging_from_k, report_paging_map);
        if (m) {
            FAIL("map frame at 0x%lx: %d", (unsigned long)va, m);
        }
        seL4_X86_Page_Unmap(f);
        MEASURE(pm[rep], seL4_X86_Page_Map(f, seL4_CapInitThreadVSpace, va, seL4_AllRights,
                                           seL4_X86_Default_VMAttributes));
        MEASURE(pu1[rep], seL4_X86_Page_Unmap(f));
        MEASURE(pu0[rep], seL4_X86_Page_Unmap(f));
        MEASURE(df[rep], del(f));
    }
    costs_report("page_getaddr", "", ga, COSTS_REPEATS);
    costs_report("revoke_frame", "n=0", rf0, COSTS_REPEATS);
    costs_report("copy", "", cp, COSTS_REPEATS);
    costs_report("revoke_frame", "n=1", rf1, COSTS_REPEATS);
    costs_report("mint", "", mi, COSTS_REPEATS);
    costs_report("move", "", mv, COSTS_REPEATS);
    costs_report("mutate", "", mu, COSTS_REPEATS);
    costs_report("delete_copy", "", dc, COSTS_REPEATS);
    costs_report("page_map", "", pm, COSTS_REPEATS);
    costs_report("page_unmap", "mapped=1", pu1, COSTS_REPEATS);
    costs_report("page_unmap", "mapped=0", pu0, COSTS_REPEATS);
    costs_report("delete_frame", "", df, COSTS_REPEATS);

    /* Everything made here goes: the source's revoke deletes the untypeds, frames and
     * paging structures made from it (unmapping the tables). */
    revoke(src);
    for (seL4_Word i = 0; i < SCRATCH_SLOTS; i++) {
        seL4_CPtr c = slot(i);
        seL4_Error e = seL4_CNode_Delete(CNODE, c, DEPTH);
        if (e != seL4_NoError) {
            FAIL("scratch slot %lu: delete %d", (unsigned long)i, (int)e);
            break;
        }
    }
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (used_ut[i]) {
            revoke(bi->untyped.start + i);
        }
    }
}

int main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_Word slots = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    printf("CONFIG arch=%s fanout=%lu cnode_bits=%lu reset_chunk_bits=%d "
           "work_units_per_preemption=%d timer_tick_ms=%d debug_build=%d untypeds=%lu\n",
#ifdef CONFIG_ARCH_X86_64
           "x86_64",
#else
           "ia32",
#endif
           (unsigned long)FAN_OUT, (unsigned long)bi->initThreadCNodeSizeBits,
#ifdef CONFIG_RESET_CHUNK_BITS
           CONFIG_RESET_CHUNK_BITS,
#else
           -1,
#endif
#ifdef CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION
           CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION,
#else
           -1,
#endif
#ifdef CONFIG_TIMER_TICK_MS
           CONFIG_TIMER_TICK_MS,
#else
           -1,
#endif
#ifdef CONFIG_DEBUG_BUILD
           1,
#else
           0,
#endif
           (unsigned long)(bi->untyped.end - bi->untyped.start));
    if (bi->empty.start >= slots / 2 || slots < 4 * SCRATCH_SLOTS) {
        printf("sel4-costs: root CNode too small (%lu slots); build with "
               "-DKernelRootCNodeSizeBits=18\n", (unsigned long)slots);
        printf("sel4-costs: done (1 failures)\n");
        return 1;
    }
    /* The boot untyped list, for booting the host model with the same layout (the parent's
     * calls depend on it): main_host.c reads these lines, as the self-test's do. */
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        printf("UT 0x%llx %u %u\n", (unsigned long long)bi->untypedList[i].paddr,
               (unsigned)bi->untypedList[i].sizeBits, (unsigned)bi->untypedList[i].isDevice);
    }
    validate();
    scratch = slots - SCRATCH_SLOTS;
    micro(bi);

    struct costs_env env = {
        .bi = bi,
        .cnode_slots = slots,
        .allocman_first = bi->empty.start,
        .allocman_end = slots / 2,
        .window_first = slots / 2,
        .window_count = slots - slots / 2,
        .scrub_vaddr = VA_BASE,
    };
    failures += costs_sequences(&env);
    printf("sel4-costs: done (%d failures)\n", failures);
    return 0;
}
