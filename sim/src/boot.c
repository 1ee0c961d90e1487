/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot of the modelled world: the initial thread's CSpace, VSpace and boot information, after
 * src/kernel/boot.c (create_root_cnode, create_untypeds_for_region, provide_untyped_cap) and
 * the arch's init code. RAM is [ram_paddr, ram_paddr + ram_bytes). Its bottom is reserved the
 * way a real boot uses it: 2 MiB of "kernel image", then the root server's objects (root CNode,
 * TCB, VSpace tables, ASID pool, image frames, boot info and IPC buffer frames), each aligned to
 * its size. The rest of RAM becomes untypeds, cut into power-of-two blocks exactly as
 * create_untypeds_for_region does, so the first few are small: aligned in the kernel's window
 * (pptr), which for device memory past the window's wrap-around means "at pptr 0, any size".
 * On x86, RAM above the kernel window (PADDR_TOP) is handed out as device memory, as
 * boot_sys.c add_mem_p_regs leaves it (seen on the real ia32 kernel: docs/real-sel4.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sel4runtime.h>
#include "model.h"

struct world sim_w;
static seL4_IPCBuffer ipc_buffer;

#define KERNEL_IMAGE_BYTES 0x200000ull

/* PPTR_BASE_OFFSET and PADDR_TOP (= PPTR_TOP - PPTR_BASE_OFFSET) of pc99 (seL4
 * include/plat/pc99/plat/{32,64}/plat_mode/machine/hardware.h). On ia32 PPTR_TOP sits below
 * the kernel's own device window: 0x1fc00000 is where the real ia32 kernel under QEMU ended
 * RAM untypeds. ARM's windows depend on the platform and were not checked against a real
 * kernel: there all of RAM stays RAM, aligned by physical address. */
#if defined(CONFIG_ARCH_X86_64)
#define SIM_PPTR_OFFSET 0xffffff8000000000ull
#define SIM_PADDR_TOP 0x7f80000000ull
#elif defined(CONFIG_ARCH_IA32)
#define SIM_PPTR_OFFSET 0xe0000000ull
#define SIM_PADDR_TOP 0x1fc00000ull
#else
#define SIM_PPTR_OFFSET 0ull
#define SIM_PADDR_TOP (~0ull)
#endif
#define IMAGE_VADDR 0x400000ull
#define IMAGE_FRAMES 16u

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL) {
        fprintf(stderr, "sel4host: out of host memory\n");
        abort();
    }
    return p;
}

const char *sel4host_arch_name(void)
{
#if defined(CONFIG_ARCH_X86_64)
    return "x86_64";
#elif defined(CONFIG_ARCH_AARCH64)
    return "aarch64";
#elif defined(CONFIG_ARCH_IA32)
    return "ia32";
#elif defined(CONFIG_ARCH_AARCH32)
    return "aarch32";
#endif
}

void sel4host_config_default(struct sel4host_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_bytes = 1ull << 30;
    cfg->ram_paddr = 0;
    cfg->reserved_bytes = 0;
    cfg->root_cnode_bits = CONFIG_ROOT_CNODE_SIZE_BITS;
    cfg->fan_out_limit = CONFIG_RETYPE_FAN_OUT_LIMIT;
    cfg->num_device_untypeds = 1;
    cfg->device_paddr = 0;
    cfg->device_size_bits = 24;
    cfg->seed = 1;
}

void sel4host_get_config(struct sel4host_config *out)
{
    if (sim_w.booted) {
        *out = sim_w.cfg;
    } else {
        sel4host_config_default(out);
    }
}

static uint64_t align_up(uint64_t x, unsigned bits)
{
    uint64_t m = (1ull << bits) - 1;

    return (x + m) & ~m;
}

static bool config_ok(const struct sel4host_config *c)
{
    uint64_t phys_limit = seL4_WordBits == 32 ? (1ull << 32) : (1ull << 47);

    if (c->ram_bytes < (16ull << 20) || c->ram_bytes > (1ull << 40) || (c->ram_bytes & 0xfff)) {
        return false;
    }
    if ((c->ram_paddr & 0xfff) || c->ram_paddr + c->ram_bytes > phys_limit) {
        return false;
    }
    if (c->root_cnode_bits < 8 || c->root_cnode_bits > 28 || c->root_cnode_bits >= seL4_WordBits) {
        return false;
    }
    if (c->fan_out_limit < 1 || c->fan_out_limit > (1u << 20)) {
        return false;
    }
    if (c->num_untypeds > 0 &&
        (c->untypeds == NULL || c->num_untypeds > CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS)) {
        return false;
    }
    for (size_t i = 0; i < c->num_untypeds; i++) {
        const seL4_UntypedDesc *d = &c->untypeds[i];
        uint64_t bytes = 1ull << (d->sizeBits & 63);
        /* The kernel cuts regions into blocks aligned in its own window (pptr), and device
         * regions beyond that window wrap around to pptr 0, which counts as aligned: x86_64
         * bootinfo lists device untypeds such as 2^46 bytes at paddr 2^39 (seen on QEMU,
         * docs/real-sel4.md). So device untypeds need only be frame-aligned. */
        uint64_t align = d->isDevice && bytes > 4096 ? 4096 : bytes;
        if (d->sizeBits < seL4_MinUntypedBits || d->sizeBits > seL4_MaxUntypedBits ||
            ((uint64_t)d->paddr & (align - 1)) || (uint64_t)d->paddr + bytes > phys_limit) {
            return false;
        }
    }
    if (c->num_device_untypeds > 16) {
        return false;
    }
    if (c->num_device_untypeds > 0 &&
        (c->device_size_bits < 12 || c->device_size_bits > 32 || c->device_size_bits > seL4_MaxUntypedBits)) {
        return false;
    }
    return true;
}

/* Write a boot cap into a root CNode slot: boot.c write_slot makes it revocable and unlinked. */
static cte_t *write_slot(uint64_t index, const cte_t *cap)
{
    cte_t *s = sim_cnode_slot(sim_w.root_cnode, index);

    sim_cap_set(s, cap);
    s->flags |= CTE_REVOCABLE | CTE_FIRST_BADGED;
    return s;
}

static cte_t phys_cap(uint8_t type, uint64_t paddr, unsigned bits)
{
    cte_t c = {0};

    c.type = type;
    c.u.paddr = paddr;
    c.size_bits = (uint8_t)bits;
    c.rights = type == CAP_FRAME ? (RIGHT_READ | RIGHT_WRITE) : RIGHTS_ALL;
    return c;
}

static cte_t obj_cap(uint8_t type, struct kobj *o)
{
    cte_t c = {0};

    c.type = type;
    c.u.obj = o;
    c.rights = RIGHTS_ALL;
    return c;
}

/* provide_untyped_cap: false only when the root CNode is full. */
static bool provide_untyped(uint64_t start, unsigned size_bits, bool device, uint64_t *slot)
{
    seL4_Word n = *slot - sim_w.bi.untyped.start;
    if (n >= CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
        return true; /* "Too many untyped regions for boot info": the block is dropped */
    }
    if (*slot >= sim_w.root_cnode->cn.nslots) {
        return false;
    }
    cte_t c = phys_cap(CAP_UNTYPED, start, size_bits);
    c.flags = device ? CTE_DEVICE : CTE_BOOT_FULL;
    c.word = 1ull << size_bits; /* MAX_FREE_INDEX: the first retype resets */
    write_slot(*slot, &c);
    sim_w.bi.untypedList[n].paddr = (seL4_Word)start;
    sim_w.bi.untypedList[n].sizeBits = (seL4_Uint8)size_bits;
    sim_w.bi.untypedList[n].isDevice = device;
    (*slot)++;
    return true;
}

/* create_untypeds_for_region */
static bool untypeds_for_region(uint64_t start, uint64_t end, bool device, uint64_t *slot)
{
    while (start < end) {
        unsigned size_bits = 63u - (unsigned)__builtin_clzll(end - start);
        if (size_bits > seL4_MaxUntypedBits) {
            size_bits = seL4_MaxUntypedBits;
        }
        /* The kernel aligns in its window: pptr 0 (where device memory wraps) fits any size. */
        uint64_t pptr = (start + SIM_PPTR_OFFSET) &
                        (seL4_WordBits == 32 ? 0xffffffffull : ~0ull);
        if (pptr != 0) {
            unsigned align_bits = (unsigned)__builtin_ctzll(pptr);
            if (size_bits > align_bits) {
                size_bits = align_bits;
            }
        }
        if (size_bits >= seL4_MinUntypedBits && !provide_untyped(start, size_bits, device, slot)) {
            return false;
        }
        start += 1ull << size_bits;
    }
    return true;
}

/* The untypeds the kernel would make from the configured RAM and device regions: device
 * regions first in address order (RAM above the kernel window, then the configured ones),
 * then RAM. */
static bool derived_untypeds(const struct sel4host_config *cfg, uint64_t ram_end,
                             uint64_t reserved_end, uint64_t *slot)
{
    uint64_t ram_top = ram_end;
    if (ram_end > SIM_PADDR_TOP) {
        ram_top = reserved_end > SIM_PADDR_TOP ? reserved_end : SIM_PADDR_TOP;
        if (!untypeds_for_region(ram_top, ram_end, true, slot)) {
            return false;
        }
    }
    if (cfg->num_device_untypeds > 0) {
        uint64_t dev = cfg->device_paddr ? cfg->device_paddr
                                         : align_up(ram_end, cfg->device_size_bits);
        uint64_t dev_end = dev + ((uint64_t)cfg->num_device_untypeds << cfg->device_size_bits);
        uint64_t phys_limit = seL4_WordBits == 32 ? (1ull << 32) : (1ull << 47);
        if ((dev < ram_end && dev_end > cfg->ram_paddr) || dev_end > phys_limit ||
            !untypeds_for_region(dev, dev_end, true, slot)) {
            return false;
        }
    }
    return untypeds_for_region(reserved_end, ram_top, false, slot);
}

/* An explicit list (sel4host_config.untypeds), clear of the root task's objects and of
 * each other. */
static bool given_untypeds(const struct sel4host_config *cfg, uint64_t reserved_end,
                           uint64_t *slot)
{
    for (size_t i = 0; i < cfg->num_untypeds; i++) {
        const seL4_UntypedDesc *d = &cfg->untypeds[i];
        uint64_t lo = d->paddr, hi = lo + (1ull << d->sizeBits);
        if (lo < reserved_end && hi > cfg->ram_paddr) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            const seL4_UntypedDesc *e = &cfg->untypeds[j];
            if (lo < e->paddr + (1ull << e->sizeBits) && e->paddr < hi) {
                return false;
            }
        }
        if (!provide_untyped(lo, d->sizeBits, d->isDevice, slot)) {
            return false; /* no room in the root CNode */
        }
    }
    return true;
}

static void world_free(void)
{
    /* drop every cap so CNodes are reaped and tables freed; then whatever is left (objects
     * kept alive by cycles of caps, which the kernel would keep too) is freed directly */
    struct kobj *o;
    while ((o = sim_w.registry) != NULL) {
        sim_kobj_unregister(o);
        if (o->kind == KOBJ_CNODE) {
            for (uint32_t ci = 0; ci < o->cn.nchunks; ci++) {
                free(o->cn.chunks[ci]);
            }
            free(o->cn.chunks);
        } else {
            free(o->pg.e);
        }
        free(o);
    }
    while ((o = sim_w.zombies) != NULL) {
        sim_w.zombies = o->reg_next;
        for (uint32_t ci = 0; ci < o->cn.nchunks; ci++) {
            free(o->cn.chunks[ci]);
        }
        free(o->cn.chunks);
        free(o);
    }
    sim_phys_free_all();
    sim_vspace_free_all();
}

static seL4_Error boot_fail(void)
{
    world_free();
    memset(&sim_w, 0, sizeof(sim_w));
    return seL4_InvalidArgument;
}

void sel4host_shutdown(void)
{
    if (!sim_w.booted) {
        return;
    }
    world_free();
    memset(&sim_w, 0, sizeof(sim_w));
}

seL4_Error sel4host_boot(const struct sel4host_config *cfg_in)
{
    struct sel4host_config cfg;

    if (cfg_in == NULL) {
        sel4host_config_default(&cfg);
    } else {
        cfg = *cfg_in;
    }
    if (!config_ok(&cfg)) {
        return seL4_InvalidArgument;
    }
    sel4host_shutdown();
    memset(&sim_w, 0, sizeof(sim_w));
    sim_w.cfg = cfg;
    sel4host_fault_seed(cfg.seed);

    /* rootserver objects, each aligned to its size, after the kernel image */
    uint64_t ram_end = cfg.ram_paddr + cfg.ram_bytes;
    uint64_t cur = cfg.ram_paddr + KERNEL_IMAGE_BYTES;
#define ALLOC(bits) (cur = align_up(cur, (bits)) + (1ull << (bits)), cur - (1ull << (bits)))
    unsigned cnode_bits = cfg.root_cnode_bits + seL4_SlotBits;
    uint64_t cnode_pa = ALLOC(cnode_bits);
    uint64_t vspace_pa = ALLOC(seL4_VSpaceBits);
    uint64_t tcb_pa = ALLOC(seL4_TCBBits);
    uint64_t pool_pa = ALLOC(seL4_ASIDPoolBits);
    uint64_t table_pa[3];
#if defined(CONFIG_ARCH_IA32)
    const unsigned ntables = 1;
    const seL4_Word table_types[3] = {seL4_X86_PageTableObject, 0, 0};
#elif defined(CONFIG_ARCH_AARCH32)
    const unsigned ntables = 1;
    const seL4_Word table_types[3] = {seL4_ARM_PageTableObject, 0, 0};
#elif defined(CONFIG_ARCH_X86_64)
    const unsigned ntables = 3;
    const seL4_Word table_types[3] = {seL4_X86_PDPTObject, seL4_X86_PageDirectoryObject,
                                      seL4_X86_PageTableObject};
#else
    const unsigned ntables = 3;
    const seL4_Word table_types[3] = {seL4_ARM_PageTableObject, seL4_ARM_PageTableObject,
                                      seL4_ARM_PageTableObject};
#endif
    for (unsigned i = 0; i < ntables; i++) {
        table_pa[i] = ALLOC(seL4_PageTableBits);
    }
    uint64_t frames_pa = cur = align_up(cur, seL4_PageBits);
    cur += (uint64_t)(IMAGE_FRAMES + 2) << seL4_PageBits;
#undef ALLOC
    uint64_t reserved_end = cur;
    if (cfg.reserved_bytes > reserved_end - cfg.ram_paddr) {
        reserved_end = cfg.ram_paddr + cfg.reserved_bytes;
    }
    if (reserved_end >= ram_end) {
        memset(&sim_w, 0, sizeof(sim_w));
        return seL4_InvalidArgument;
    }

    /* the root CNode and the initial thread's CSpace root (guard: one word-sized level) */
    sim_w.root_cnode = sim_cnode_create(cnode_pa, cfg.root_cnode_bits);
    cte_t cn = obj_cap(CAP_CNODE, sim_w.root_cnode);
    cn.aux = seL4_WordBits - cfg.root_cnode_bits;
    cn.word = 0;
    cte_t *cn_slot = write_slot(seL4_CapInitThreadCNode, &cn);
    sim_cap_set(&sim_w.tcb_cspace, &cn);
    sim_w.tcb_cspace.prev = cn_slot;
    cn_slot->next = &sim_w.tcb_cspace;

    cte_t tcb = phys_cap(CAP_TCB, tcb_pa, seL4_TCBBits);
    write_slot(seL4_CapInitThreadTCB, &tcb);

#if defined(CONFIG_ARCH_X86_64)
    struct kobj *root = sim_paging_create(vspace_pa, seL4_X64_PML4Object);
#elif defined(CONFIG_ARCH_IA32)
    struct kobj *root = sim_paging_create(vspace_pa, seL4_X86_PageDirectoryObject);
#elif defined(CONFIG_ARCH_AARCH32)
    struct kobj *root = sim_paging_create(vspace_pa, seL4_ARM_PageDirectoryObject);
#else
    struct kobj *root = sim_paging_create(vspace_pa, seL4_ARM_VSpaceObject);
#endif
    cte_t vs = obj_cap(CAP_PAGING, root);
    vs.flags = CTE_MAPPED;
    vs.aux = sim_asid_assign(root);
    cte_t *vs_slot = write_slot(seL4_CapInitThreadVSpace, &vs);
    sim_cap_set(&sim_w.tcb_vspace, &vs);
    sim_w.tcb_vspace.prev = vs_slot;
    vs_slot->next = &sim_w.tcb_vspace;

    cte_t c = {0};
    c.rights = RIGHTS_ALL;
    c.type = CAP_IRQ_CONTROL;
    write_slot(seL4_CapIRQControl, &c);
    c.type = CAP_ASID_CONTROL;
    write_slot(seL4_CapASIDControl, &c);
    c.type = CAP_ASID_POOL;
    c.u.paddr = pool_pa;
    write_slot(seL4_CapInitThreadASIDPool, &c);
    c.u.paddr = 0;
#if defined(CONFIG_ARCH_X86)
    c.type = CAP_IO_PORT_CONTROL;
    write_slot(seL4_CapIOPortControl, &c);
#endif
    c.type = CAP_DOMAIN;
    write_slot(seL4_CapDomain, &c);

    /* boot info and IPC buffer frames, mapped after the image */
    uint64_t slot = seL4_NumInitialCaps;
    sim_w.bi.userImagePaging.start = slot;
    for (unsigned i = 0; i < ntables; i++) {
        cte_t t = obj_cap(CAP_PAGING, sim_paging_create(table_pa[i], table_types[i]));
        cte_t *s = write_slot(slot++, &t);
        sim_boot_map_table(root, IMAGE_VADDR, s);
    }
    sim_w.bi.userImagePaging.end = slot;
    sim_w.bi.userImageFrames.start = slot;
    for (unsigned i = 0; i < IMAGE_FRAMES; i++) {
        cte_t f = phys_cap(CAP_FRAME, frames_pa + ((uint64_t)i << seL4_PageBits), seL4_PageBits);
        cte_t *s = write_slot(slot++, &f);
        sim_boot_map_frame(root, IMAGE_VADDR + ((uint64_t)i << seL4_PageBits), s);
    }
    sim_w.bi.userImageFrames.end = slot;
    for (unsigned i = 0; i < 2; i++) {
        cte_t f = phys_cap(CAP_FRAME, frames_pa + ((uint64_t)(IMAGE_FRAMES + i) << seL4_PageBits),
                           seL4_PageBits);
        cte_t *s = write_slot(i == 0 ? seL4_CapBootInfoFrame : seL4_CapInitThreadIPCBuffer, &f);
        sim_boot_map_frame(root, IMAGE_VADDR + ((uint64_t)(IMAGE_FRAMES + i) << seL4_PageBits), s);
    }
    sim_w.bi.sharedFrames.start = sim_w.bi.sharedFrames.end = slot;
    sim_w.bi.ioSpaceCaps.start = sim_w.bi.ioSpaceCaps.end = slot;
    sim_w.bi.extraBIPages.start = sim_w.bi.extraBIPages.end = slot;

    /* untypeds: device regions first, then free RAM, as the kernel lists them */
    sim_w.bi.untyped.start = slot;
    if (cfg.num_untypeds > 0) {
        if (!given_untypeds(&cfg, reserved_end, &slot)) {
            return boot_fail();
        }
    } else {
        if (!derived_untypeds(&cfg, ram_end, reserved_end, &slot)) {
            return boot_fail();
        }
    }
    sim_w.bi.untyped.end = slot;
    sim_w.bi.empty.start = slot;
    sim_w.bi.empty.end = sim_w.root_cnode->cn.nslots;
    sim_w.reserved_end = reserved_end;
    sim_w.bi.initThreadCNodeSizeBits = cfg.root_cnode_bits;
    sim_w.bi.nodeID = 0;
    sim_w.bi.numNodes = 1;
    sim_w.bi.ipcBuffer = &ipc_buffer;
    sim_w.booted = true;
    return seL4_NoError;
}

void sim_ensure_booted(void)
{
    if (!sim_w.booted && sel4host_boot(NULL) != seL4_NoError) {
        fprintf(stderr, "sel4host: default boot failed\n");
        abort();
    }
}

seL4_BootInfo *sel4runtime_bootinfo(void)
{
    sim_ensure_booted();
    return &sim_w.bi;
}
