/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The calibrated model against the real kernel, one invocation kind at a time.
 *
 *   check_kinds FILE
 *
 * FILE is a recording of apps/sel4-costs on the real kernel (tests/costs/real/). For every
 * "COST kind=..." line this program sets up the same situation in a freshly booted host
 * model (an untyped of that size, fresh or holding children or emptied by a revoke so the
 * next retype resets it, a boot untyped on its first retype, a frame with copies, a mapped
 * frame...), makes the same invocation through libsel4 and reads the model's instruction
 * counter (sel4host_modelled_instructions). Each must be within 20 % of the kernel's figure.
 * The method lines (validate_loop) must show the recording's own checks held. A recording
 * of another architecture than the model's is skipped (exit 77).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sel4/sel4.h>
#include <sel4host/host.h>
#include <sel4runtime.h>

#define SKIP 77
#define TOLERANCE 0.20

#if defined(CONFIG_ARCH_X86)
#define FRAME_TYPE seL4_X86_4K
#define VA ((seL4_Word)(CONFIG_WORD_SIZE == 64 ? 0x40000000000ull : 0x80000000ul))
#else
#define FRAME_TYPE seL4_ARM_SmallPageObject
#define VA ((seL4_Word)(CONFIG_WORD_SIZE == 64 ? 0x40000000000ull : 0x80000000ul))
#endif

struct line {
    char kind[40];
    long n, ut_bits, reset_bytes, fresh, mapped, slots;
    uint64_t instr;
    char match[8];
};

/* "key=value" anywhere in the line, as a number (or -1). */
static long num(const char *s, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = strstr(s, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static void word(const char *s, const char *key, char *out, size_t len)
{
    char pat[32];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = strstr(s, pat);
    out[0] = 0;
    if (p) {
        p += strlen(pat);
        size_t i = 0;
        while (p[i] && p[i] != ' ' && p[i] != '\n' && i + 1 < len) {
            out[i] = p[i];
            i++;
        }
        out[i] = 0;
    }
}

/* ---- the model world ---------------------------------------------------------------- */

/* Boot untypeds: a big one to carve children from, and never-touched ones of the sizes a
 * first retype is measured at (the kernel hands boot untypeds out full). */
static const unsigned boot_sizes[] = {28, 24, 20, 18, 16};
static seL4_UntypedDesc uts[5];
static seL4_CPtr next_slot;
static unsigned long fan_out = 256; /* the recording's CONFIG fanout */

static int boot(void)
{
    struct sel4host_config c;
    sel4host_config_default(&c);
    c.fan_out_limit = (seL4_Word)fan_out;
    c.ram_bytes = 1ull << 30;
    c.root_cnode_bits = 16;
    uint64_t at = c.ram_paddr + (1ull << 29); /* upper half of RAM, aligned */
    for (size_t i = 0; i < sizeof(boot_sizes) / sizeof(boot_sizes[0]); i++) {
        uts[i].paddr = (seL4_Word)at;
        uts[i].sizeBits = (seL4_Uint8)boot_sizes[i];
        uts[i].isDevice = 0;
        at += 1ull << boot_sizes[i];
    }
    c.untypeds = uts;
    c.num_untypeds = sizeof(uts) / sizeof(uts[0]);
    if (sel4host_boot(&c) != seL4_NoError) {
        printf("FAIL: model boot refused\n");
        return -1;
    }
    next_slot = sel4runtime_bootinfo()->empty.start;
    return 0;
}

static seL4_CPtr boot_ut(unsigned bits)
{
    const seL4_BootInfo *bi = sel4runtime_bootinfo();
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (bi->untypedList[i].sizeBits == bits && !bi->untypedList[i].isDevice) {
            return bi->untyped.start + i;
        }
    }
    return 0;
}

static seL4_CPtr slots(seL4_Word n)
{
    seL4_CPtr s = next_slot;
    next_slot += n;
    return s;
}

static seL4_Error retype(seL4_CPtr ut, seL4_Word type, seL4_Word bits, seL4_CPtr dest,
                         seL4_Word n)
{
    return seL4_Untyped_Retype(ut, type, bits, seL4_CapInitThreadCNode, 0, 0, dest, n);
}

/* Retype n frames in batches the kernel accepts. */
static int frames(seL4_CPtr ut, seL4_CPtr dest, long n)
{
    long batch = (long)fan_out;
    for (long done = 0; done < n; done += batch) {
        long k = n - done < batch ? n - done : batch;
        if (retype(ut, FRAME_TYPE, 0, dest + (seL4_CPtr)done, (seL4_Word)k)) {
            return -1;
        }
    }
    return 0;
}

/* A fresh untyped of 2^bits (free index 0: its first retype clears nothing). */
static seL4_CPtr child_ut(unsigned bits)
{
    seL4_CPtr s = slots(1);
    return retype(boot_ut(boot_sizes[0]), seL4_UntypedObject, bits, s, 1) ? 0 : s;
}

static uint64_t mark;
static void start(void)
{
    mark = sel4host_modelled_instructions();
}
static uint64_t since(void)
{
    return sel4host_modelled_instructions() - mark;
}

#define TRY(x)                                                                                    \
    do {                                                                                          \
        if ((x) != 0) {                                                                           \
            printf("FAIL: model set-up for %s: %s\n", l->kind, #x);                              \
            return -1;                                                                            \
        }                                                                                         \
    } while (0)

/* A frame with `copies` copies; returns its slot. */
static seL4_CPtr frame_with_copies(long copies)
{
    seL4_CPtr ut = child_ut(12), f = slots(1);
    if (!ut || frames(ut, f, 1)) {
        return 0;
    }
    for (long i = 0; i < copies; i++) {
        if (seL4_CNode_Copy(seL4_CapInitThreadCNode, slots(1), seL4_WordBits,
                            seL4_CapInitThreadCNode, f, seL4_WordBits, seL4_AllRights)) {
            return 0;
        }
    }
    return f;
}

#if defined(CONFIG_ARCH_X86)
/* Paging structures so that VA takes 4 KiB pages; m[] gets the costs of the retype and the
 * map of the page directory (x86_64) and of the page table. */
static int tables(uint64_t m[4])
{
    seL4_CPtr ut = child_ut(20);
    if (!ut) {
        return -1;
    }
#if defined(CONFIG_ARCH_X86_64)
    seL4_CPtr s = slots(3);
    if (retype(ut, seL4_X86_PDPTObject, 0, s, 1) ||
        seL4_X86_PDPT_Map(s, seL4_CapInitThreadVSpace, VA, seL4_X86_Default_VMAttributes)) {
        return -1;
    }
    start();
    if (retype(ut, seL4_X86_PageDirectoryObject, 0, s + 1, 1)) {
        return -1;
    }
    m[0] = since();
    start();
    if (seL4_X86_PageDirectory_Map(s + 1, seL4_CapInitThreadVSpace, VA,
                                   seL4_X86_Default_VMAttributes)) {
        return -1;
    }
    m[1] = since();
    s += 2;
#else
    seL4_CPtr s = slots(1);
#endif
    start();
    if (retype(ut, seL4_X86_PageTableObject, 0, s, 1)) {
        return -1;
    }
    m[2] = since();
    start();
    if (seL4_X86_PageTable_Map(s, seL4_CapInitThreadVSpace, VA, seL4_X86_Default_VMAttributes)) {
        return -1;
    }
    m[3] = since();
    return 0;
}
#endif

/* The model's figure for one recorded situation; -1: set-up failed, -2: kind not modelled. */
static int64_t model(const struct line *l)
{
    if (boot()) {
        return -1;
    }
    const char *k = l->kind;
    int64_t r = -2;
    if (!strcmp(k, "retype_first_boot")) {
        seL4_CPtr ut = boot_ut((unsigned)l->ut_bits), s = slots(1);
        TRY(!ut);
        start();
        TRY(frames(ut, s, 1));
        r = (int64_t)since();
    } else if (!strcmp(k, "retype_untyped_first_boot") || !strcmp(k, "retype_untyped")) {
        seL4_CPtr ut = boot_ut((unsigned)l->ut_bits), s = slots(64);
        TRY(!ut);
        if (!strcmp(k, "retype_untyped")) {
            TRY(retype(ut, seL4_UntypedObject, 16, s + 32, 1)); /* it has children: no reset */
        }
        start();
        TRY(retype(ut, seL4_UntypedObject, 16, s, (seL4_Word)l->n));
        r = (int64_t)since();
    } else if (!strcmp(k, "retype_frames")) {
        seL4_CPtr ut = child_ut((unsigned)l->ut_bits), s = slots(4096);
        TRY(!ut);
        if (l->reset_bytes > 0) {
            TRY(frames(ut, s + 2048, l->reset_bytes / 4096));
            TRY(seL4_CNode_Revoke(seL4_CapInitThreadCNode, ut, seL4_WordBits));
        } else if (l->fresh == 0) {
            TRY(frames(ut, s + 2048, 1));
        }
        start();
        TRY(retype(ut, FRAME_TYPE, 0, s, (seL4_Word)l->n));
        r = (int64_t)since();
    } else if (!strcmp(k, "revoke_untyped")) {
        seL4_CPtr ut = child_ut((unsigned)l->ut_bits), s = slots(1024);
        TRY(!ut);
        TRY(frames(ut, s, l->n));
        start();
        TRY(seL4_CNode_Revoke(seL4_CapInitThreadCNode, ut, seL4_WordBits));
        r = (int64_t)since();
    } else if (!strcmp(k, "revoke_frame")) {
        seL4_CPtr f = frame_with_copies(l->n);
        TRY(!f);
        start();
        TRY(seL4_CNode_Revoke(seL4_CapInitThreadCNode, f, seL4_WordBits));
        r = (int64_t)since();
    } else if (!strcmp(k, "copy") || !strcmp(k, "mint") || !strcmp(k, "move") ||
               !strcmp(k, "mutate") || !strcmp(k, "delete_copy") || !strcmp(k, "delete_frame")) {
        seL4_CPtr f = frame_with_copies(1), d = slots(1);
        TRY(!f);
        seL4_CPtr copy = f + 1;
        start();
        if (!strcmp(k, "copy")) {
            TRY(seL4_CNode_Copy(seL4_CapInitThreadCNode, d, seL4_WordBits, seL4_CapInitThreadCNode,
                                f, seL4_WordBits, seL4_AllRights));
        } else if (!strcmp(k, "mint")) {
            TRY(seL4_CNode_Mint(seL4_CapInitThreadCNode, d, seL4_WordBits, seL4_CapInitThreadCNode,
                                f, seL4_WordBits, seL4_AllRights, 0));
        } else if (!strcmp(k, "move")) {
            TRY(seL4_CNode_Move(seL4_CapInitThreadCNode, d, seL4_WordBits, seL4_CapInitThreadCNode,
                                copy, seL4_WordBits));
        } else if (!strcmp(k, "mutate")) {
            TRY(seL4_CNode_Mutate(seL4_CapInitThreadCNode, d, seL4_WordBits,
                                  seL4_CapInitThreadCNode, copy, seL4_WordBits, 0));
        } else if (!strcmp(k, "delete_copy")) {
            TRY(seL4_CNode_Delete(seL4_CapInitThreadCNode, copy, seL4_WordBits));
        } else {
            TRY(seL4_CNode_Delete(seL4_CapInitThreadCNode, copy, seL4_WordBits));
            start();
            TRY(seL4_CNode_Delete(seL4_CapInitThreadCNode, f, seL4_WordBits));
        }
        r = (int64_t)since();
    } else if (!strcmp(k, "retype_cnode")) {
        seL4_CPtr ut = child_ut(20), s = slots(1);
        TRY(!ut);
        unsigned bits = 0;
        while ((1L << bits) < l->slots) {
            bits++;
        }
        start();
        TRY(retype(ut, seL4_CapTableObject, bits, s, 1));
        r = (int64_t)since();
#if defined(CONFIG_ARCH_X86)
    } else if (!strcmp(k, "page_getaddr") || !strcmp(k, "page_map") ||
               !strcmp(k, "page_unmap") || !strncmp(k, "retype_p", 8) || !strcmp(k, "pt_map") ||
               !strcmp(k, "pd_map")) {
        uint64_t m[4] = {0, 0, 0, 0};
        TRY(tables(m));
        seL4_CPtr f = frame_with_copies(0);
        TRY(!f);
        if (!strcmp(k, "retype_pd") && CONFIG_WORD_SIZE == 64) {
            r = (int64_t)m[0];
        } else if (!strcmp(k, "pd_map") && CONFIG_WORD_SIZE == 64) {
            r = (int64_t)m[1];
        } else if (!strcmp(k, "retype_pt")) {
            r = (int64_t)m[2];
        } else if (!strcmp(k, "pt_map")) {
            r = (int64_t)m[3];
        } else if (!strncmp(k, "retype_p", 8) || !strcmp(k, "pd_map")) {
            r = -2; /* pdpt, or a page directory on ia32 (the vspace root) */
        } else if (!strcmp(k, "page_getaddr")) {
            start();
            TRY(seL4_X86_Page_GetAddress(f).error);
            r = (int64_t)since();
        } else {
            bool map_first = !strcmp(k, "page_unmap") && l->mapped == 1;
            if (map_first) {
                TRY(seL4_X86_Page_Map(f, seL4_CapInitThreadVSpace, VA, seL4_AllRights,
                                      seL4_X86_Default_VMAttributes));
            }
            start();
            if (!strcmp(k, "page_map")) {
                TRY(seL4_X86_Page_Map(f, seL4_CapInitThreadVSpace, VA, seL4_AllRights,
                                      seL4_X86_Default_VMAttributes));
            } else {
                TRY(seL4_X86_Page_Unmap(f));
            }
            r = (int64_t)since();
        }
#endif
    }
    sel4host_shutdown();
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s RECORDING\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char buf[1024], arch[16] = "";
    unsigned compared = 0, bad = 0, unmodelled = 0;
    while (fgets(buf, sizeof(buf), f)) {
        if (!strncmp(buf, "CONFIG ", 7)) {
            word(buf, "arch", arch, sizeof(arch));
            if (num(buf, "fanout") > 0) {
                fan_out = (unsigned long)num(buf, "fanout");
            }
            if (strcmp(arch, sel4host_arch_name())) {
                printf("skipped: a recording of %s, the model is %s\n", arch,
                       sel4host_arch_name());
                fclose(f);
                return SKIP;
            }
            printf("%-26s %-36s %12s %12s %8s\n", "kind", "situation", "kernel", "model", "diff");
            continue;
        }
        if (strncmp(buf, "COST ", 5)) {
            continue;
        }
        struct line l;
        memset(&l, 0, sizeof(l));
        word(buf, "kind", l.kind, sizeof(l.kind));
        l.n = num(buf, "n");
        l.ut_bits = num(buf, "ut_bits");
        l.reset_bytes = num(buf, "reset_bytes");
        l.fresh = num(buf, "fresh");
        l.mapped = num(buf, "mapped");
        l.slots = num(buf, "slots");
        l.instr = (uint64_t)num(buf, "instr");
        word(buf, "match", l.match, sizeof(l.match));
        if (!strncmp(l.kind, "bracket", 7)) {
            continue;
        }
        if (!strcmp(l.kind, "validate_loop")) {
            if (strcmp(l.match, "yes")) {
                printf("FAIL: the recording's own method check: %s", buf);
                bad++;
            }
            continue;
        }
        int64_t m = model(&l);
        if (m == -1) {
            bad++;
            continue;
        }
        if (m == -2) {
            unmodelled++;
            printf("%-26s (not compared: no such situation in this checker)\n", l.kind);
            continue;
        }
        char sit[64];
        snprintf(sit, sizeof(sit), "n=%ld ut_bits=%ld reset=%ld mapped=%ld", l.n, l.ut_bits,
                 l.reset_bytes, l.mapped);
        double diff = ((double)m - (double)l.instr) / (double)l.instr;
        bool ok = diff <= TOLERANCE && diff >= -TOLERANCE;
        printf("%-26s %-36s %12" PRIu64 " %12" PRId64 " %+7.1f%%%s\n", l.kind, sit, l.instr, m,
               100 * diff, ok ? "" : "  FAIL (beyond 20 %)");
        compared++;
        bad += !ok;
    }
    fclose(f);
    if (!arch[0]) {
        printf("FAIL: no CONFIG line in %s\n", argv[1]);
        return 1;
    }
    printf("%u kinds compared, %u not compared, %u failed\n", compared, unmodelled, bad);
    return bad || compared == 0 ? 1 : 0;
}
