/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs' sequences on the host model, checked against a recording of the real kernel:
 *   costs_seq FILE [--tolerance PERCENT]
 * FILE is the output of apps/sel4-costs on the real kernel (tests/costs/real/). The model is
 * booted with the kernel's configuration (its CONFIG line: fan-out, root CNode size) and its
 * boot untyped list (its "UT" lines) less the largest device untyped, where the model's
 * root-task objects go (as apps/capbuddy-selftest/main_host.c --real). The boot untypeds
 * main.c's single-invocation phase touched on the kernel are touched here the same way (their
 * clearing state then matches), then the host parent (the allocman-like cb_parent) stands in
 * for allocman and the player (seq_play.c) plays the same sequences and passes. For every SEQ
 * line the model's kernel instructions (sel4host_modelled_instructions around the op loop:
 * stub entry and kernel, as calibrated) are compared with the recording's kinstr, and the
 * kernel calls of each kind with the recording's. A table is printed; the exit status is 1
 * when a sequence's kernel instructions differ by more than the tolerance (default 15 %), 77
 * when the recording is of another architecture than the model's or has no kinstr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cbhost/parent.h>
#include <sel4host/host.h>
#include <sel4runtime.h>

#include "costs.h"
#include "seq.h"

uint64_t costs_bracket; /* no bracket on the host: costs_tsc() is 0 */

#define MAX_SEQ 256
#define VA_BASE 0x40000000ul

struct seq_rec {
    char key[160];               /* "workload phase alloc pass" */
    bool have_k;
    unsigned long long kinstr;
    unsigned long calls[SEQ_KINDS];
};

static struct seq_rec real_seq[MAX_SEQ], model_seq[MAX_SEQ];
static unsigned nreal, nmodel;
static seL4_UntypedDesc real_uts[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
static char real_arch[32];
static unsigned real_fanout, real_cnode_bits;

/* The value of " key=" in line (up to the next space) into out; false if absent. */
static bool field(const char *line, const char *key, char *out, size_t len)
{
    char pat[40];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *at = strstr(line, pat);
    if (!at) {
        return false;
    }
    at += strlen(pat);
    size_t n = strcspn(at, " \r\n");
    n = n < len - 1 ? n : len - 1;
    memcpy(out, at, n);
    out[n] = 0;
    return true;
}

static bool parse_seq(const char *line, struct seq_rec *r)
{
    char w[48], ph[48], a[48], pass[8], v[32];
    if (strncmp(line, "SEQ ", 4) != 0 || !field(line, "workload", w, sizeof(w)) ||
        !field(line, "phase", ph, sizeof(ph)) || !field(line, "alloc", a, sizeof(a)) ||
        !field(line, "pass", pass, sizeof(pass))) {
        return false;
    }
    memset(r, 0, sizeof(*r));
    snprintf(r->key, sizeof(r->key), "%s %s %s %s", w, ph, a, pass);
    if (field(line, "kinstr", v, sizeof(v)) && strcmp(v, "na") != 0) {
        r->have_k = true;
        r->kinstr = strtoull(v, NULL, 10);
    }
    for (int k = 0; k < SEQ_KINDS; k++) {
        if (field(line, seq_kind_names[k], v, sizeof(v))) {
            r->calls[k] = strtoul(v, NULL, 10);
        }
    }
    return true;
}

/* "UT <paddr in hex> <size bits> <is device>" (main.c, as the self-test prints it). */
static bool parse_ut(const char *line, unsigned long long *pa, unsigned *bits, unsigned *dev)
{
    char *end;
    if (strncmp(line, "UT ", 3) != 0) {
        return false;
    }
    errno = 0;
    *pa = strtoull(line + 3, &end, 16);
    unsigned long b = strtoul(end, &end, 10);
    unsigned long d = strtoul(end, &end, 10);
    if (errno != 0 || *end != '\0' || b > 63 || d > 1) {
        return false;
    }
    *bits = (unsigned)b;
    *dev = (unsigned)d;
    return true;
}

/* Reads the recording; the model's root-task objects need a place no listed untyped covers,
 * so the largest device untyped (never touched by these sequences) is left out and the start
 * of its range given to them. The others keep the kernel's order (the parent takes them in
 * that order, as allocman does). Returns 0, 77 (nothing to compare) or -1. */
static int load_real(const char *path, struct sel4host_config *hc)
{
    FILE *f = fopen(path, "r");
    char text[1024], v[32];
    size_t n = 0, top = 0;
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(text, sizeof(text), f)) {
        text[strcspn(text, "\r\n")] = 0;
        unsigned long long pa;
        unsigned bits, dev;
        if (parse_ut(text, &pa, &bits, &dev) && n < CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
            real_uts[n] = (seL4_UntypedDesc){.paddr = (seL4_Word)pa, .sizeBits = (seL4_Uint8)bits,
                                             .isDevice = (seL4_Uint8)dev};
            if (dev && (!real_uts[top].isDevice || bits > real_uts[top].sizeBits)) {
                top = n;
            }
            n++;
        } else if (strncmp(text, "CONFIG ", 7) == 0) {
            field(text, "arch", real_arch, sizeof(real_arch));
            if (field(text, "fanout", v, sizeof(v))) {
                real_fanout = (unsigned)strtoul(v, NULL, 10);
            }
            if (field(text, "cnode_bits", v, sizeof(v))) {
                real_cnode_bits = (unsigned)strtoul(v, NULL, 10);
            }
        } else if (nreal < MAX_SEQ && parse_seq(text, &real_seq[nreal])) {
            nreal++;
        }
    }
    fclose(f);
    if (strcmp(real_arch, sel4host_arch_name()) != 0) {
        printf("%s: a recording of %s, the model is %s: skipped\n", path, real_arch,
               sel4host_arch_name());
        return 77;
    }
    if (n == 0 || nreal == 0 || !real_seq[0].have_k) {
        printf("%s: no UT lines or no SEQ lines with kinstr: nothing to compare\n", path);
        return 77;
    }
    hc->ram_paddr = real_uts[top].paddr;
    uint64_t room = 1ull << real_uts[top].sizeBits;
    hc->ram_bytes = room < (64ull << 20) ? room : (64ull << 20);
    hc->fan_out_limit = real_fanout;
    hc->root_cnode_bits = real_cnode_bits;
    printf("model: %s, fan-out %u, root CNode %u bits, %zu untypeds as the kernel listed them, "
           "less 0x%llx (%u bits, device %u), where the root task's objects go\n",
           real_arch, real_fanout, real_cnode_bits, n - 1,
           (unsigned long long)real_uts[top].paddr, (unsigned)real_uts[top].sizeBits,
           (unsigned)real_uts[top].isDevice);
    memmove(&real_uts[top], &real_uts[top + 1], (n - 1 - top) * sizeof(real_uts[0]));
    hc->untypeds = real_uts;
    hc->num_untypeds = n - 1;
    return 0;
}

/* ---- main.c's single-invocation phase, as far as boot untypeds see it -------------------- */

static bool used_ut[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];

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

/* main.c micro() takes boot untypeds in this order and leaves each with its children revoked
 * and its free index where its own retypes left it (the kernel clears that much on the
 * untyped's next retype): three of 64 KiB, 256 KiB and 1 MiB with one frame each; one of
 * 16 MiB with three 4 MiB and eight 4 KiB untypeds; at fan-out 1024 also the smallest of 16 to
 * 256 MiB with three 4 MiB untypeds. Here: the same retypes into the top slots, revoked. */
static int shadow_micro(const seL4_BootInfo *bi)
{
    seL4_Word slots = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    seL4_Word dst = slots - 2048;
    int bad = 0;
    static const unsigned first_bits[] = {16, 18, 20};
    for (unsigned b = 0; b < 3; b++) {
        for (int r = 0; r < 3; r++) {
            seL4_CPtr u = boot_ut(bi, first_bits[b]);
            if (!u) {
                break;
            }
            bad |= seL4_Untyped_Retype(u, seL4_X86_4K, 0, seL4_CapInitThreadCNode, 0, 0, dst, 1) != seL4_NoError;
            bad |= seL4_CNode_Revoke(seL4_CapInitThreadCNode, u, seL4_WordBits) != seL4_NoError;
        }
    }
    seL4_CPtr src = boot_ut(bi, 24);
    if (!src) {
        return 1;
    }
    bad |= seL4_Untyped_Retype(src, seL4_UntypedObject, 22, seL4_CapInitThreadCNode, 0, 0, dst,
                               3) != seL4_NoError;
    bad |= seL4_Untyped_Retype(src, seL4_UntypedObject, 12, seL4_CapInitThreadCNode, 0, 0,
                               dst + 3, 8) != seL4_NoError;
    bad |= seL4_CNode_Revoke(seL4_CapInitThreadCNode, src, seL4_WordBits) != seL4_NoError;
    if (real_fanout >= 1024) {
        seL4_CPtr src2 = 0;
        for (unsigned bits = 24; !src2 && bits <= 28; bits++) {
            src2 = boot_ut(bi, bits);
        }
        if (src2) {
            bad |= seL4_Untyped_Retype(src2, seL4_UntypedObject, 22, seL4_CapInitThreadCNode, 0,
                                       0, dst, 3) != seL4_NoError;
            bad |= seL4_CNode_Revoke(seL4_CapInitThreadCNode, src2, seL4_WordBits) != seL4_NoError;
        }
    }
    return bad;
}

/* ---- the platform -------------------------------------------------------------------------- */

static int zero_page(seL4_Word vaddr)
{
    static const char zero[4096];
    return sel4host_vspace_write(seL4_CapInitThreadVSpace, vaddr, zero, sizeof(zero)) !=
           seL4_NoError;
}

static bool counts(unsigned long out[SEQ_KINDS])
{
    static const enum seq_kind kind_of[SEL4HOST_INV_COUNT] = {
        [SEL4HOST_UNTYPED_RETYPE] = SEQ_RETYPE,
        [SEL4HOST_CNODE_REVOKE] = SEQ_REVOKE,
        [SEL4HOST_CNODE_DELETE] = SEQ_DELETE,
        [SEL4HOST_CNODE_COPY] = SEQ_COPY,
        [SEL4HOST_CNODE_MINT] = SEQ_MINT,
        [SEL4HOST_CNODE_MOVE] = SEQ_MOVE,
        [SEL4HOST_CNODE_MUTATE] = SEQ_MUTATE,
        [SEL4HOST_PAGE_MAP] = SEQ_PAGE_MAP,
        [SEL4HOST_PAGE_UNMAP] = SEQ_PAGE_UNMAP,
        [SEL4HOST_PAGE_GET_ADDRESS] = SEQ_PAGE_GETADDR,
        [SEL4HOST_PAGING_MAP] = SEQ_PAGING_MAP,
        [SEL4HOST_PAGING_UNMAP] = SEQ_OTHER,
        [SEL4HOST_ASID_ASSIGN] = SEQ_OTHER,
        [SEL4HOST_TCB_SET_SPACE] = SEQ_OTHER,
    };
    memset(out, 0, sizeof(unsigned long) * SEQ_KINDS);
    for (int k = 0; k < SEL4HOST_INV_COUNT; k++) {
        out[kind_of[k]] += (unsigned long)sel4host_count((enum sel4host_inv)k);
    }
    return true;
}

static bool kinstr(uint64_t *out)
{
    *out = sel4host_modelled_instructions();
    return true;
}

static bool verbose;

static void line(const char *s)
{
    if (verbose || strncmp(s, "SEQ ", 4) != 0) {
        printf("%s\n", s);
    }
    if (nmodel < MAX_SEQ && parse_seq(s, &model_seq[nmodel])) {
        nmodel++;
    }
}

/* ---- the comparison ------------------------------------------------------------------------ */

static int compare(double tol)
{
    int beyond = 0, missing = 0, calls_differ = 0;
    double worst = 0;
    printf("\n%-30s %-20s %4s %12s %12s %8s  %s\n", "workload", "allocator", "pass",
           "real kinstr", "model", "diff", "kernel calls");
    for (unsigned i = 0; i < nreal; i++) {
        const struct seq_rec *r = &real_seq[i], *m = NULL;
        for (unsigned j = 0; j < nmodel && !m; j++) {
            m = strcmp(model_seq[j].key, r->key) == 0 ? &model_seq[j] : NULL;
        }
        char w[48], ph[48], a[48];
        char ps[16] = "0";
        (void)sscanf(r->key, "%47s %47s %47s %15s", w, ph, a, ps);
        int pass = (int)strtol(ps, NULL, 10);
        char wl[100];
        snprintf(wl, sizeof(wl), "%s%s%s", w, strcmp(ph, "-") ? "/" : "", strcmp(ph, "-") ? ph : "");
        if (!m) {
            printf("%-30s %-20s %4d %12llu %12s  FAIL not played on the model\n", wl, a, pass,
                   r->kinstr, "-");
            missing++;
            continue;
        }
        double diff = r->kinstr ? 100.0 * ((double)m->kinstr - (double)r->kinstr) / (double)r->kinstr
                                : (m->kinstr ? 100.0 : 0.0);
        double ad = diff < 0 ? -diff : diff;
        /* A sequence with no kernel call on either side has nothing to compare but the
         * counter's noise (a timer tick): 0 calls on both sides counts as agreement. */
        unsigned long rc = 0, mc = 0;
        char calls[256] = "same";
        size_t at = 0;
        for (int k = 0; k < SEQ_KINDS; k++) {
            rc += r->calls[k];
            mc += m->calls[k];
            if (r->calls[k] != m->calls[k]) {
                at += (size_t)snprintf(calls + at, sizeof(calls) - at, "%s%s %lu/%lu",
                                       at ? ", " : "", seq_kind_names[k], r->calls[k],
                                       m->calls[k]);
            }
        }
        if (at) {
            calls_differ++;
        }
        bool bad = ad > tol && !(rc == 0 && mc == 0);
        worst = !(rc == 0 && mc == 0) && ad > worst ? ad : worst;
        beyond += bad;
        printf("%-30s %-20s %4d %12llu %12llu %+7.1f%%%s %s%s\n", wl, a, pass, r->kinstr,
               m->kinstr, diff, bad ? " FAIL" : "", at ? "real/model: " : "", calls);
    }
    printf("\n%u sequences: %d beyond %.0f %% of the real kernel's instructions inside "
           "invocations, %d not played, %d with other kernel-call counts; largest |diff| "
           "%.1f %%\n", nreal, beyond, tol, missing, calls_differ, worst);
    return beyond + missing;
}

int main(int argc, char **argv)
{
    const char *real = NULL;
    double tol = 15.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tolerance") == 0 && i + 1 < argc) {
            tol = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (!real && argv[i][0] != '-') {
            real = argv[i];
        } else {
            fprintf(stderr, "usage: %s RECORDING [--tolerance PERCENT] [-v]\n", argv[0]);
            return 2;
        }
    }
    if (!real) {
        fprintf(stderr, "usage: %s RECORDING [--tolerance PERCENT] [-v]\n", argv[0]);
        return 2;
    }
    struct sel4host_config hc;
    sel4host_config_default(&hc);
    int l = load_real(real, &hc);
    if (l != 0) {
        return l < 0 ? 1 : 77;
    }
    if (sel4host_boot(&hc) != seL4_NoError) {
        printf("model boot refused the configuration\n");
        return 1;
    }
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_Word slots = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    if (shadow_micro(bi) != 0) {
        printf("FAIL the single-invocation phase's boot untypeds\n");
        return 1;
    }
    cb_parent_config_t pc = {.bootinfo = bi, .first_slot = bi->empty.start, .end_slot = slots / 2};
    cb_parent_t *parent;
    vka_t vka;
    if (bi->empty.start >= slots / 2 || cb_parent_init(&parent, &pc) != 0) {
        printf("parent set-up failed\n");
        return 1;
    }
    cb_parent_make_vka(parent, &vka);
    struct seq_platform p = {
        .bi = bi,
        .parent = &vka,
        .window_first = slots / 2,
        .window_count = slots - slots / 2,
        .scrub_vaddr = VA_BASE,
        .zero_page = zero_page,
        .counts = counts,
        .kinstr = kinstr,
        .line = line,
    };
    int failed = seq_play_all(&p);
    if (failed) {
        printf("FAIL %d sequences failed on the model\n", failed);
    }
    int beyond = compare(tol);
    /* The parent takes back everything it handed out (a revoke of each root untyped). */
    if (cb_parent_teardown(parent) != 0) {
        printf("FAIL parent teardown\n");
        failed++;
    }
    sel4host_shutdown();
    return failed || beyond ? 1 : 0;
}
