/* SPDX-License-Identifier: BSD-2-Clause */
/* Host-only tests: configurations (RAM placement and size, root CNode size, fan-out limit),
 * the boot-time untyped layout, and a two-level CSpace. */
#include <string.h>
#include "host_tests.h"

static int boot_untypeds_are_aligned_and_cover_ram(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    struct sel4host_config cfg;
    uint64_t ram = 0;
    unsigned dev = 0;
    sel4host_get_config(&cfg);
    HCHECK(bi->untyped.end > bi->untyped.start);
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        HCHECK(d->sizeBits >= seL4_MinUntypedBits && d->sizeBits <= seL4_MaxUntypedBits);
        HCHECK((d->paddr & (((seL4_Word)1 << d->sizeBits) - 1)) == 0);
        if (d->isDevice) {
            dev++;
        } else {
            ram += 1ull << d->sizeBits;
        }
    }
    HCHECK(dev >= 1);
#if defined(CONFIG_ARCH_IA32)
    /* RAM above the kernel window (PADDR_TOP 0x1fc00000, as the real kernel showed) is
     * device memory: [0x1fc00000, 0x20000000) and [0x20000000, 1 GiB). */
    uint64_t ram_top = 0x1fc00000;
    HCHECK(dev >= 3);
#else
    uint64_t ram_top = cfg.ram_bytes;
#endif
    HCHECK(ram < ram_top && ram > ram_top - (8ull << 20));
    HCHECK(bi->initThreadCNodeSizeBits == 12);
    HCHECK(bi->empty.end == 4096 && bi->empty.start == bi->untyped.end);
    return 0;
}

static int bad_configurations_are_refused(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.ram_bytes = 2ull << 40;
    HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
    sel4host_config_default(&cfg);
    cfg.root_cnode_bits = 40;
    HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
    sel4host_config_default(&cfg);
    cfg.fan_out_limit = 0;
    HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
    HCHECK(sel4host_boot(NULL) == seL4_NoError);
    return 0;
}

static int ram_above_4gib_gives_high_physical_addresses(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.ram_paddr = 8ull << 30;
    if (seL4_WordBits == 32) {
        HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
        return 0;
    }
    HCHECK(sel4host_boot(&cfg) == seL4_NoError);
    seL4_CPtr ut = h_ut(20);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    uint64_t pa = H_GETADDR(h_slot(0)).paddr;
    HCHECK(pa >= (8ull << 30));
    HCHECK(sel4host_frame_write(h_slot(0), 8, "high", 5) == seL4_NoError);
    char out[5];
    HCHECK(sel4host_frame_read(h_slot(0), 8, out, 5) == seL4_NoError);
    HCHECK(strcmp(out, "high") == 0);
    return 0;
}

static int ram_of_64gib_boots_and_retypes_huge_untypeds(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.ram_bytes = 64ull << 30;
    if (seL4_WordBits == 32) {
        HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
        return 0;
    }
    HCHECK(sel4host_boot(&cfg) == seL4_NoError);
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_CPtr big = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!bi->untypedList[i].isDevice && bi->untypedList[i].sizeBits >= 35) {
            big = bi->untyped.start + i;
        }
    }
    HCHECK(big != 0);
    HCHECK(h_retype(big, seL4_UntypedObject, 34, h_slot(0), 2) == seL4_NoError);
    HCHECK(h_retype(h_slot(1), H_FRAME, 0, h_slot(2), 256) == seL4_NoError);
    HCHECK(h_revoke(big) == seL4_NoError);
    return 0;
}

static int fan_out_limit_of_1024_is_honoured(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.fan_out_limit = 1024;
    HCHECK(sel4host_boot(&cfg) == seL4_NoError);
    seL4_CPtr ut = h_ut(23);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1025) == seL4_RangeError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1024) == seL4_NoError);
    HCHECK(H_GETADDR(h_slot(1023)).paddr == H_GETADDR(h_slot(0)).paddr + 1023ull * 4096);
    return 0;
}

static int root_cnode_of_18_bits_holds_many_caps(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.root_cnode_bits = 18;
    HCHECK(sel4host_boot(&cfg) == seL4_NoError);
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    HCHECK(bi->initThreadCNodeSizeBits == 18 && bi->empty.end == (1u << 18));
    seL4_CPtr ut = h_ut(24);
    uint64_t used0, total0;
    HCHECK(ut != 0);
    HCHECK(sel4host_cnode_slots(seL4_CapInitThreadCNode, &used0, &total0) == seL4_NoError);
    for (unsigned i = 0; i < 16; i++) {
        HCHECK(h_retype(ut, H_FRAME, 0, 200000 + 256 * i, 256) == seL4_NoError);
    }
    uint64_t used, total;
    HCHECK(sel4host_cnode_slots(seL4_CapInitThreadCNode, &used, &total) == seL4_NoError);
    HCHECK(total == (1u << 18) && used == used0 + 4096);
    HCHECK(h_revoke(ut) == seL4_NoError);
    return 0;
}

static int two_level_cspace_after_set_space(void)
{
    /* An L2 CNode of 2^8 slots sits in root slot s. The thread's new CSpace root is the root
     * CNode with a guard of wordBits - 12 - 8 bits, so cptr (i << 8 | j) names slot j of the
     * CNode in root slot i. The root CNode cap and an untyped are placed in L2 first. */
    seL4_CPtr ut = h_ut(20);
    seL4_CPtr s = h_slot(0);
    HCHECK(h_retype(ut, seL4_CapTableObject, 8, s, 1) == seL4_NoError);
    HCHECK(seL4_CNode_Copy(s, 0, 8, seL4_CapInitThreadCNode, seL4_CapInitThreadCNode,
                           seL4_WordBits, seL4_AllRights) == seL4_NoError);
    HCHECK(seL4_Untyped_Retype(ut, seL4_UntypedObject, 16, seL4_CapInitThreadCNode, s,
                               seL4_WordBits, 1, 1) == seL4_NoError);
    seL4_Word data = seL4_CNode_CapData_new(0, seL4_WordBits - 12 - 8).words[0];
    HCHECK(seL4_TCB_SetSpace(seL4_CapInitThreadTCB, 0, seL4_CapInitThreadCNode, data,
                             seL4_CapInitThreadVSpace, 0) == seL4_NoError);
    seL4_CPtr root = s << 8;       /* L2 slot 0: the root CNode cap */
    seL4_CPtr ut2 = (s << 8) | 1;  /* L2 slot 1: the child untyped */
    HCHECK(seL4_Untyped_Retype(ut2, H_FRAME, 0, root, s, seL4_WordBits, 5, 3) == seL4_NoError);
    HCHECK(H_GETADDR((s << 8) | 5).error == seL4_NoError);
    HCHECK(H_GETADDR((s << 8) | 7).paddr == H_GETADDR((s << 8) | 5).paddr + 2ull * 4096);
    /* old single-level cptrs no longer name the same slots */
    HCHECK(H_GETADDR(ut).error == seL4_InvalidCapability);
    /* deleting the L2 CNode's only cap deletes everything in it */
    HCHECK(seL4_CNode_Delete(root, s, seL4_WordBits) == seL4_NoError);
    HCHECK(H_GETADDR((s << 8) | 5).error == seL4_InvalidCapability);
    return 0;
}

static int given_untyped_list_is_booted_as_listed(void)
{
    /* As a real bootinfo might list them: device first, RAM in pieces, not in address order. */
    static const seL4_UntypedDesc list[] = {
        {.paddr = 0xfec00000, .sizeBits = 20, .isDevice = 1},
        {.paddr = 0x2000000, .sizeBits = 25},
        {.paddr = 0x1800000, .sizeBits = 23},
        {.paddr = 0x1400000, .sizeBits = 22},
    };
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.ram_bytes = 16ull << 20; /* the root task's objects: [0, 16 MiB) */
    cfg.untypeds = list;
    cfg.num_untypeds = 4;
    HCHECK(sel4host_boot(&cfg) == seL4_NoError);
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    HCHECK(bi->untyped.end - bi->untyped.start == 4 && bi->empty.start == bi->untyped.end);
    for (unsigned i = 0; i < 4; i++) {
        HCHECK(bi->untypedList[i].paddr == list[i].paddr);
        HCHECK(bi->untypedList[i].sizeBits == list[i].sizeBits);
        HCHECK(bi->untypedList[i].isDevice == list[i].isDevice);
    }
    /* The third untyped really is at 24 MiB, and the device one is device memory. */
    HCHECK(h_retype(bi->untyped.start + 2, H_FRAME, 0, h_slot(0), 2) == seL4_NoError);
    HCHECK(H_GETADDR(h_slot(1)).paddr == 0x1800000 + 4096);
    HCHECK(h_retype(bi->untyped.start, H_FRAME, 0, h_slot(2), 1) == seL4_NoError);
    HCHECK(H_GETADDR(h_slot(2)).paddr == 0xfec00000);

    /* Pairs after a valid first untyped: refused when overlapping it, overlapping the root
     * task's objects at the bottom of ram_paddr, or RAM not aligned to its size; a device
     * untyped need only be frame-aligned (x86_64 bootinfo lists such, docs/real-sel4.md). */
    static const struct {
        seL4_UntypedDesc second;
        seL4_Error want;
    } pairs[] = {
        {{.paddr = 0x3000000, .sizeBits = 22}, seL4_InvalidArgument},
        {{.paddr = 0, .sizeBits = 22}, seL4_InvalidArgument},
        {{.paddr = 0x5000000 + 4096, .sizeBits = 22}, seL4_InvalidArgument},
        {{.paddr = 0x5000000 + 4096, .sizeBits = 22, .isDevice = 1}, seL4_NoError},
        {{.paddr = 0x5000000 + 2048, .sizeBits = 22, .isDevice = 1}, seL4_InvalidArgument},
    };
    for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const seL4_UntypedDesc two[2] = {{.paddr = 0x2000000, .sizeBits = 25}, pairs[i].second};
        cfg.untypeds = two;
        cfg.num_untypeds = 2;
        HCHECK(sel4host_boot(&cfg) == pairs[i].want);
    }
    HCHECK(sel4host_check() == 0);
    cfg.untypeds = NULL;
    HCHECK(sel4host_boot(&cfg) == seL4_InvalidArgument);
    HCHECK(sel4host_boot(NULL) == seL4_NoError);
    return 0;
}

const struct host_test config_tests[] = {
    HT(given_untyped_list_is_booted_as_listed),
    HT(boot_untypeds_are_aligned_and_cover_ram),
    HT(bad_configurations_are_refused),
    HT(ram_above_4gib_gives_high_physical_addresses),
    HT(ram_of_64gib_boots_and_retypes_huge_untypeds),
    HT(fan_out_limit_of_1024_is_honoured),
    HT(root_cnode_of_18_bits_holds_many_caps),
    HT(two_level_cspace_after_set_space),
    {NULL, NULL},
};
