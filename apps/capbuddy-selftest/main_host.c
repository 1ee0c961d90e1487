/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The self-test on the host seL4 model, with the host parent (host/parent/include/cbhost/parent.h)
 * in allocman's place: the lower half of the root CNode's empty slots for the parent, the
 * upper half for CapBuddy, as main_sel4.c does on the kernel.
 *   selftest [counts] [--cnode-bits N] [--fan-out N] [--real FILE]
 * --real FILE: the output of capbuddy-selftest-counts on the real kernel (its "UT" lines, the
 * bootinfo untyped list, and its "COUNT" lines). The model boots with that untyped list and
 * every count must equal the kernel's (docs/real-sel4.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cbhost/parent.h>
#include <sel4host/host.h>
#include <sel4runtime.h>
#include "selftest.h"

static int mem_write(seL4_Word vaddr, const void *buf, size_t len)
{
    return sel4host_vspace_write(seL4_CapInitThreadVSpace, vaddr, buf, len) != seL4_NoError;
}

static int mem_read(seL4_Word vaddr, void *buf, size_t len)
{
    return sel4host_vspace_read(seL4_CapInitThreadVSpace, vaddr, buf, len) != seL4_NoError;
}

static void counts(unsigned long out[ST_KINDS])
{
    static const enum selftest_kind kind_of[SEL4HOST_INV_COUNT] = {
        [SEL4HOST_UNTYPED_RETYPE] = ST_RETYPE,
        [SEL4HOST_CNODE_REVOKE] = ST_REVOKE,
        [SEL4HOST_CNODE_DELETE] = ST_DELETE,
        [SEL4HOST_CNODE_COPY] = ST_COPY,
        [SEL4HOST_CNODE_MINT] = ST_MINT,
        [SEL4HOST_CNODE_MOVE] = ST_MOVE,
        [SEL4HOST_CNODE_MUTATE] = ST_MUTATE,
        [SEL4HOST_PAGE_MAP] = ST_PAGE_MAP,
        [SEL4HOST_PAGE_UNMAP] = ST_PAGE_UNMAP,
        [SEL4HOST_PAGE_GET_ADDRESS] = ST_PAGE_GET_ADDRESS,
        [SEL4HOST_PAGING_MAP] = ST_PAGING_MAP,
        [SEL4HOST_PAGING_UNMAP] = ST_OTHER,
        [SEL4HOST_ASID_ASSIGN] = ST_OTHER,
        [SEL4HOST_TCB_SET_SPACE] = ST_OTHER,
    };
    memset(out, 0, sizeof(unsigned long) * ST_KINDS);
    for (int k = 0; k < SEL4HOST_INV_COUNT; k++) {
        out[kind_of[k]] += (unsigned long)sel4host_count((enum sel4host_inv)k);
    }
}

#define MAX_LINES 64
static seL4_UntypedDesc real_uts[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
static char expected[MAX_LINES][256], produced[MAX_LINES][256];
static unsigned nexpected, nproduced;

static void report(const char *line)
{
    if (nproduced < MAX_LINES) {
        snprintf(produced[nproduced++], sizeof(produced[0]), "%s", line);
    }
}

/* "UT <paddr in hex> <size bits> <is device>", as main_sel4.c prints it. */
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

/* Reads the kernel's output; the model's root-task objects need a place no listed untyped
 * covers, so the largest device untyped (never touched by these sequences) is left out and
 * the start of its range given to them. */
static int load_real(const char *path, struct sel4host_config *hc)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t n = 0, top = 0;
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        unsigned long long pa;
        unsigned bits, dev;
        if (parse_ut(line, &pa, &bits, &dev) && n < CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
            real_uts[n] = (seL4_UntypedDesc){.paddr = (seL4_Word)pa, .sizeBits = (seL4_Uint8)bits,
                                             .isDevice = (seL4_Uint8)dev};
            if (dev && (!real_uts[top].isDevice || bits > real_uts[top].sizeBits)) {
                top = n;
            }
            n++;
        } else if (strncmp(line, "COUNT ", 6) == 0 && strstr(line, " total=") &&
                   nexpected < MAX_LINES) {
            snprintf(expected[nexpected++], sizeof(expected[0]), "%s", line);
        }
    }
    fclose(f);
    if (n == 0 || nexpected == 0) {
        printf("%s: no UT or COUNT lines\n", path);
        return -1;
    }
    hc->ram_paddr = real_uts[top].paddr;
    uint64_t room = 1ull << real_uts[top].sizeBits;
    hc->ram_bytes = room < (64ull << 20) ? room : (64ull << 20);
    printf("model: %zu untypeds as the kernel listed them, less 0x%llx (%u bits, device %u), "
           "where the root task's objects go\n",
           n - 1, (unsigned long long)real_uts[top].paddr, (unsigned)real_uts[top].sizeBits,
           (unsigned)real_uts[top].isDevice);
    real_uts[top] = real_uts[n - 1];
    hc->untypeds = real_uts;
    hc->num_untypeds = n - 1;
    return 0;
}

static int compare_with_kernel(void)
{
    int bad = nproduced != nexpected;
    for (unsigned i = 0; i < nexpected || i < nproduced; i++) {
        const char *k = i < nexpected ? expected[i] : "(none)";
        const char *m = i < nproduced ? produced[i] : "(none)";
        if (strcmp(k, m) != 0) {
            printf("FAIL model and kernel differ:\n  kernel: %s\n  model:  %s\n", k, m);
            bad = 1;
        }
    }
    if (!bad) {
        printf("model counts equal the kernel's: %u lines\n", nexpected);
    }
    return bad;
}

int main(int argc, char **argv)
{
    const char *real = NULL;
    struct sel4host_config hc;
    bool count_mode = false;
    sel4host_config_default(&hc);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "counts") == 0) {
            count_mode = true;
        } else if (strcmp(argv[i], "--cnode-bits") == 0 && i + 1 < argc) {
            hc.root_cnode_bits = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--fan-out") == 0 && i + 1 < argc) {
            hc.fan_out_limit = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--real") == 0 && i + 1 < argc) {
            real = argv[++i];
            count_mode = true;
        } else {
            fprintf(stderr, "usage: %s [counts] [--cnode-bits N] [--fan-out N] [--real FILE]\n",
                    argv[0]);
            return 2;
        }
    }
    if (real && load_real(real, &hc) != 0) {
        return 1;
    }
    if (sel4host_boot(&hc) != seL4_NoError) {
        printf("model boot refused the configuration\n");
        return 1;
    }
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_Word half = ((seL4_Word)1 << bi->initThreadCNodeSizeBits) / 2;
    cb_parent_config_t pc = {.bootinfo = bi, .first_slot = bi->empty.start, .end_slot = half};
    cb_parent_t *parent;
    vka_t vka;
    if (bi->empty.start >= half || cb_parent_init(&parent, &pc) != 0) {
        printf("parent set-up failed\n");
        return 1;
    }
    cb_parent_make_vka(parent, &vka);
    struct selftest_env env = {
        .parent = &vka,
        .parent_name = "host-parent",
        .bi = bi,
        .slot_first = half,
        .slot_count = half,
        .map_vaddr = 0x40000000ul,
        .mem_write = mem_write,
        .mem_read = mem_read,
        .counts = counts,
        .report = real ? report : NULL,
    };
    printf("capbuddy self-test on the host model (%s), root CNode %u bits, fan-out %u\n",
           sel4host_arch_name(), hc.root_cnode_bits, hc.fan_out_limit);
    int failed = count_mode ? selftest_counts(&env) : selftest_run(&env);
    if (real) {
        failed += compare_with_kernel();
    }
    if (cb_parent_teardown(parent) != 0) {
        printf("FAIL parent teardown: something was not given back\n");
        failed++;
    }
    if (sel4host_check() != 0) {
        printf("FAIL model integrity: %s\n", sel4host_check_message());
        failed++;
    }
    return failed != 0;
}
