/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Paging structures, ASIDs and the frame/paging-structure invocations of the modelled
 * architecture, after src/arch/x86/kernel/vspace.c, src/arch/x86/64/kernel/vspace.c and
 * src/arch/arm/64/kernel/vspace.c (decode*FrameInvocation, decode*PageTableInvocation). A
 * vspace is a tree of tables; a table entry is empty, points at a lower table or maps a page.
 * A mapping belongs to the frame cap that made it (capFMappedASID / capFMappedAddress), so
 * deleting or unmapping that cap removes exactly that mapping.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

/* entry encoding: 0 empty; (uintptr)table | 1; paddr | 2 | rights << 2 */
#define E_TABLE 1u
#define E_PAGE 2u
#define E_TAG 3u
#define E_RIGHTS_SHIFT 2

#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_AARCH64)
#define NLEVELS 4
static const unsigned level_shift[NLEVELS] = {39, 30, 21, 12};
static const unsigned level_bits[NLEVELS] = {9, 9, 9, 9};
#elif defined(CONFIG_ARCH_IA32)
#define NLEVELS 2
static const unsigned level_shift[NLEVELS] = {22, 12};
static const unsigned level_bits[NLEVELS] = {10, 10};
#elif defined(CONFIG_ARCH_AARCH32)
/* short-descriptor format: 4096 x 1 MiB page-directory entries, 256 x 4 KiB page-table
 * entries; 64 KiB pages and 16 MiB supersections repeat their entry 16 times */
#define NLEVELS 2
static const unsigned level_shift[NLEVELS] = {20, 12};
static const unsigned level_bits[NLEVELS] = {12, 8};
#endif

/* The level whose entries map pages of 2^bits bytes: the deepest whose entries are not larger
 * than the page (a page larger than one entry takes several consecutive entries). */
static int leaf_level_for(unsigned bits)
{
    for (int l = NLEVELS - 1; l >= 0; l--) {
        if (level_shift[l] <= bits && (l == 0 || bits < level_shift[l - 1])) {
            return l;
        }
    }
    return -1;
}

static unsigned entries_for(unsigned bits, int level)
{
    return 1u << (bits - level_shift[level]);
}

unsigned sim_frame_bits_for_type(seL4_Word type)
{
    switch (type) {
#if defined(CONFIG_ARCH_X86)
    case seL4_X86_4K:
        return seL4_PageBits;
    case seL4_X86_LargePageObject:
        return seL4_LargePageBits;
#if defined(CONFIG_ARCH_X86_64)
    case seL4_X64_HugePageObject:
        return seL4_HugePageBits;
#endif
#elif defined(CONFIG_ARCH_AARCH64)
    case seL4_ARM_SmallPageObject:
        return seL4_PageBits;
    case seL4_ARM_LargePageObject:
        return seL4_LargePageBits;
    case seL4_ARM_HugePageObject:
        return seL4_HugePageBits;
#elif defined(CONFIG_ARCH_AARCH32)
    case seL4_ARM_SmallPageObject:
        return seL4_PageBits;
    case seL4_ARM_LargePageObject:
        return seL4_LargePageBits;
    case seL4_ARM_SectionObject:
        return seL4_SectionBits;
    case seL4_ARM_SuperSectionObject:
        return seL4_SuperSectionBits;
#endif
    default:
        return 0;
    }
}

/* Paging structure types: their size and the level they occupy (-1: decided at map time). */
static bool paging_info(seL4_Word type, unsigned *size_bits, int *level)
{
    switch (type) {
#if defined(CONFIG_ARCH_X86_64)
    case seL4_X64_PML4Object:
        *size_bits = seL4_PML4Bits;
        *level = 0;
        return true;
    case seL4_X86_PDPTObject:
        *size_bits = seL4_PDPTBits;
        *level = 1;
        return true;
    case seL4_X86_PageDirectoryObject:
        *size_bits = seL4_PageDirBits;
        *level = 2;
        return true;
    case seL4_X86_PageTableObject:
        *size_bits = seL4_PageTableBits;
        *level = 3;
        return true;
#elif defined(CONFIG_ARCH_IA32)
    case seL4_X86_PageDirectoryObject:
        *size_bits = seL4_PageDirBits;
        *level = 0;
        return true;
    case seL4_X86_PageTableObject:
        *size_bits = seL4_PageTableBits;
        *level = 1;
        return true;
#elif defined(CONFIG_ARCH_AARCH64)
    case seL4_ARM_VSpaceObject:
        *size_bits = seL4_VSpaceBits;
        *level = 0;
        return true;
    case seL4_ARM_PageTableObject:
        *size_bits = seL4_PageTableBits;
        *level = -1;
        return true;
#elif defined(CONFIG_ARCH_AARCH32)
    case seL4_ARM_PageDirectoryObject:
        *size_bits = seL4_PageDirBits;
        *level = 0;
        return true;
    case seL4_ARM_PageTableObject:
        *size_bits = seL4_PageTableBits;
        *level = -1;
        return true;
#endif
    default:
        return false;
    }
}

bool sim_paging_type(seL4_Word type, unsigned *size_bits)
{
    int level;

    return paging_info(type, size_bits, &level);
}

struct kobj *sim_paging_create(uint64_t paddr, seL4_Word type)
{
    unsigned bits = 0;
    int level = 0;
    struct kobj *o = sim_xcalloc(1, sizeof(*o));

    paging_info(type, &bits, &level);
    o->kind = KOBJ_PAGING;
    o->paddr = paddr;
    o->size_bits = (uint8_t)bits;
    o->otype = (uint8_t)type;
    o->pg.level = (uint8_t)(level < 0 ? 0xff : level);
    o->pg.nbits = (uint8_t)level_bits[level < 0 ? NLEVELS - 1 : level];
    o->pg.e = sim_xcalloc((size_t)1 << o->pg.nbits, sizeof(uint64_t));
    sim_kobj_register(o);
    return o;
}

bool sim_vspace_is_root(const struct kobj *o)
{
    unsigned bits;
    int level;

    return o->kind == KOBJ_PAGING && paging_info(o->otype, &bits, &level) && level == 0;
}

static struct kobj *entry_table(uint64_t e)
{
    return (struct kobj *)(uintptr_t)(e & ~(uint64_t)E_TAG);
}

/* Clear all entries of a table (unmapping a table clears it, as clearMemory does in
 * performX86PageTableInvocationUnmap); lower tables forget their parent. */
static void table_clear(struct kobj *o)
{
    size_t n = (size_t)1 << o->pg.nbits;

    for (size_t i = 0; i < n; i++) {
        if ((o->pg.e[i] & E_TAG) == E_TABLE) {
            entry_table(o->pg.e[i])->pg.parent = NULL;
        }
        o->pg.e[i] = 0;
    }
}

static void table_detach(struct kobj *o)
{
    struct kobj *p = o->pg.parent;

    if (p != NULL && p->pg.e[o->pg.parent_index] == ((uint64_t)(uintptr_t)o | E_TABLE)) {
        p->pg.e[o->pg.parent_index] = 0;
    }
    o->pg.parent = NULL;
}

void sim_paging_destroy(struct kobj *o)
{
    table_detach(o);
    table_clear(o);
    if (o->pg.asid != 0 && o->pg.asid < sim_w.asid_cap && sim_w.asid_table[o->pg.asid] == o) {
        sim_w.asid_table[o->pg.asid] = NULL; /* deleteASID */
        sim_w.asids_used--;
    }
    sim_kobj_unregister(o);
    free(o->pg.e);
    free(o);
}

/* The one ASID pool (the initial thread's) has 2^seL4_ASIDPoolIndexBits entries; ASID 0 is
 * never handed out. Like the kernel's pool, the first free entry is taken, so ASIDs of deleted
 * vspaces are reused. Returns 0 when the pool is full. */
#define ASID_POOL_SIZE (1u << seL4_ASIDPoolIndexBits)

static uint32_t asid_free_entry(void)
{
    for (uint32_t asid = 1; asid < ASID_POOL_SIZE; asid++) {
        if (sim_w.asid_table[asid] == NULL) {
            return asid;
        }
    }
    return 0;
}

uint32_t sim_asid_assign(struct kobj *root)
{
    if (sim_w.asid_table == NULL) {
        sim_w.asid_table = sim_xcalloc(ASID_POOL_SIZE, sizeof(struct kobj *));
        sim_w.asid_cap = ASID_POOL_SIZE;
    }
    uint32_t asid = asid_free_entry();
    if (asid != 0) {
        sim_w.asid_table[asid] = root;
        root->pg.asid = asid;
        sim_w.asids_used++;
    }
    return asid;
}

static struct kobj *find_vspace_for_asid(uint32_t asid)
{
    if (asid == 0 || asid >= sim_w.asid_cap) {
        return NULL;
    }
    return sim_w.asid_table[asid];
}

void sim_vspace_free_all(void)
{
    free(sim_w.asid_table);
    sim_w.asid_table = NULL;
    sim_w.asid_cap = 0;
    sim_w.asids_used = 0;
}

static unsigned index_at(unsigned level, uint64_t vaddr)
{
    return (unsigned)((vaddr >> level_shift[level]) & ((1ull << level_bits[level]) - 1));
}

/* The table at `level` on the path to vaddr, or NULL if some table above is missing. */
static struct kobj *walk_to(struct kobj *root, uint64_t vaddr, unsigned level)
{
    struct kobj *t = root;

    for (unsigned l = 0; l < level; l++) {
        uint64_t e = t->pg.e[index_at(l, vaddr)];
        if ((e & E_TAG) != E_TABLE) {
            return NULL;
        }
        t = entry_table(e);
    }
    return t;
}

/* A vspace root cap the kernel accepts (isValidNativeRoot): a root with an ASID. */
static struct kobj *valid_root(const cte_t *c)
{
    if (c->type != CAP_PAGING || !sim_vspace_is_root(c->u.obj) || !(c->flags & CTE_MAPPED)) {
        return NULL;
    }
    return c->u.obj;
}

void sim_frame_unmap_cap(const cte_t *cap)
{
    struct kobj *root = find_vspace_for_asid(cap->aux);
    int leaf = leaf_level_for(cap->size_bits);

    if (root == NULL || leaf < 0) {
        return;
    }
    struct kobj *t = walk_to(root, cap->word, (unsigned)leaf);
    if (t == NULL) {
        return;
    }
    unsigned idx = index_at((unsigned)leaf, cap->word);
    unsigned n = entries_for(cap->size_bits, leaf);
    for (unsigned i = 0; i < n; i++) {
        uint64_t *e = &t->pg.e[idx + i];
        uint64_t pa = cap->u.paddr + ((uint64_t)i << level_shift[leaf]);
        /* unmapPage only clears the entry if it still maps this frame */
        if ((*e & E_TAG) == E_PAGE && (*e & ~0xfffull) == pa) {
            *e = 0;
        }
    }
}

static void map_table(struct kobj *parent, unsigned parent_level, uint64_t vaddr, struct kobj *t,
                      cte_t *slot, uint32_t asid)
{
    unsigned idx = index_at(parent_level, vaddr);

    parent->pg.e[idx] = (uint64_t)(uintptr_t)t | E_TABLE;
    t->pg.parent = parent;
    t->pg.parent_index = idx;
    t->pg.level = (uint8_t)(parent_level + 1);
    slot->flags |= CTE_MAPPED;
    slot->aux = asid;
    slot->word = vaddr & ~((1ull << level_shift[parent_level]) - 1);
}

seL4_Error sim_boot_map_table(struct kobj *root, uint64_t vaddr, cte_t *slot)
{
    struct kobj *t = slot->u.obj;
    unsigned level = t->pg.level == 0xff ? 1 : t->pg.level;

    for (unsigned l = 1; l < NLEVELS; l++) {
        struct kobj *p = walk_to(root, vaddr, l - 1);
        if (p != NULL && p->pg.e[index_at(l - 1, vaddr)] == 0) {
            level = l;
            break;
        }
    }
    struct kobj *parent = walk_to(root, vaddr, level - 1);
    if (parent == NULL || parent->pg.e[index_at(level - 1, vaddr)] != 0) {
        return seL4_FailedLookup;
    }
    map_table(parent, level - 1, vaddr, t, slot, root->pg.asid);
    return seL4_NoError;
}

/* The frame cap's own mapping state (x86: before the ASID lookup; ARM: after alignment). */
static seL4_Error check_frame_mapping(const cte_t *svc, uint32_t asid, seL4_Word vaddr)
{
    uint64_t size = 1ull << svc->size_bits;

    if (svc->flags & CTE_MAPPED) {
        if (svc->aux != asid) {
            return seL4_InvalidCapability;
        }
        if (svc->word != vaddr) {
            /* "Attempting to map frame into multiple addresses" */
            return seL4_InvalidArgument;
        }
    } else if ((uint64_t)vaddr > seL4_UserTop || (uint64_t)vaddr + size - 1 > seL4_UserTop) {
        return seL4_InvalidArgument;
    }
    return seL4_NoError;
}

static seL4_Error find_root(const struct kobj *root, uint32_t asid)
{
    struct kobj *found = find_vspace_for_asid(asid);

    if (found == NULL) {
        return seL4_FailedLookup;
    }
    return found == root ? seL4_NoError : seL4_InvalidCapability;
}

static seL4_Error page_map(cte_t *svc, cte_t *vs, seL4_Word vaddr, seL4_CapRights_t rights)
{
    struct kobj *root = valid_root(vs);
    seL4_Error err;

    if (root == NULL) {
        return seL4_InvalidCapability;
    }
    uint32_t asid = vs->aux;
    uint64_t size = 1ull << svc->size_bits;
#if defined(CONFIG_ARCH_ARM)
    /* src/arch/arm/64/kernel/vspace.c, ARMPageMap */
    if ((err = find_root(root, asid)) != seL4_NoError) {
        return err;
    }
    if (vaddr & (size - 1)) {
        return seL4_AlignmentError;
    }
    if ((err = check_frame_mapping(svc, asid, vaddr)) != seL4_NoError) {
        return err;
    }
#else
    /* src/arch/x86/kernel/vspace.c, X86PageMap */
    if ((err = check_frame_mapping(svc, asid, vaddr)) != seL4_NoError) {
        return err;
    }
    if ((err = find_root(root, asid)) != seL4_NoError) {
        return err;
    }
    if (vaddr & (size - 1)) {
        return seL4_AlignmentError;
    }
#endif
    int leaf = leaf_level_for(svc->size_bits);
    if (leaf < 0) {
        return seL4_InvalidArgument;
    }
    struct kobj *t = walk_to(root, vaddr, (unsigned)leaf);
    if (t == NULL) {
        /* a paging structure on the way is missing, or a larger page covers vaddr */
        return seL4_FailedLookup;
    }
    unsigned idx = index_at((unsigned)leaf, vaddr);
    unsigned n = entries_for(svc->size_bits, leaf);
    for (unsigned i = 0; i < n; i++) {
        if ((t->pg.e[idx + i] & E_TAG) == E_TABLE) {
#if defined(CONFIG_ARCH_AARCH64)
            /* lookupPTSlot walks on into the table: ptBitsLeft does not match the page size */
            return seL4_FailedLookup;
#else
            /* x86 createSafeMappingEntries_PDE/PDPTE, aarch32 createSafeMappingEntries:
             * a page table is present */
            return seL4_DeleteFirst;
#endif
        }
    }
    /* a page already there is overwritten, as both kernels do; its cap keeps a stale
     * mapping record that no longer matches (unmapPage checks the frame address) */
    uint8_t r = (uint8_t)(rights.words[0] & RIGHTS_ALL);
    bool rd = (svc->rights & RIGHT_READ) && (r & RIGHT_READ);
    bool wr = rd && (svc->rights & RIGHT_WRITE) && (r & RIGHT_WRITE);
    uint64_t r_bits = (uint64_t)((rd ? RIGHT_READ : 0) | (wr ? RIGHT_WRITE : 0)) << E_RIGHTS_SHIFT;
    for (unsigned i = 0; i < n; i++) {
        t->pg.e[idx + i] = (svc->u.paddr + ((uint64_t)i << level_shift[leaf])) | E_PAGE | r_bits;
    }
    svc->flags |= CTE_MAPPED;
    svc->aux = asid;
    svc->word = vaddr;
    return seL4_NoError;
}

seL4_Error sim_boot_map_frame(struct kobj *root, uint64_t vaddr, cte_t *slot)
{
    cte_t vs = {0};

    vs.type = CAP_PAGING;
    vs.u.obj = root;
    vs.flags = CTE_MAPPED;
    vs.aux = root->pg.asid;
    return page_map(slot, &vs, vaddr, seL4_AllRights);
}

static seL4_Error do_page_map(seL4_CPtr service, seL4_CPtr vspace, seL4_Word vaddr,
                              seL4_CapRights_t rights)
{
    const enum sel4host_inv kind = SEL4HOST_PAGE_MAP;
    seL4_Error err;
    cte_t *svc, *vs;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    vs = sim_lookup_extra(vspace, &err);
    if (vs == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_FRAME) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    return sim_leave(kind, page_map(svc, vs, vaddr, rights), 1);
}

static seL4_Error do_page_unmap(seL4_CPtr service)
{
    const enum sel4host_inv kind = SEL4HOST_PAGE_UNMAP;
    seL4_Error err;
    cte_t *svc;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_FRAME) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    uint64_t mapped = (svc->flags & CTE_MAPPED) != 0; /* costed apart: the walk and the flush */
    if (mapped) {
        sim_frame_unmap_cap(svc);
    }
    svc->flags &= (uint8_t)~CTE_MAPPED;
    svc->aux = 0;
    svc->word = 0;
    return sim_leave(kind, seL4_NoError, mapped);
}

static seL4_Error do_get_address(seL4_CPtr service, seL4_Word *paddr)
{
    const enum sel4host_inv kind = SEL4HOST_PAGE_GET_ADDRESS;
    seL4_Error err;
    cte_t *svc;

    *paddr = 0;
    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_FRAME) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    *paddr = (seL4_Word)svc->u.paddr;
    return sim_leave(kind, seL4_NoError, 1);
}

/* Map a (non-root) paging structure. x86 tables have a fixed level; an ARM page table goes to
 * the first level where the walk to vaddr finds nothing (lookupPTSlot). */
static seL4_Error do_table_map(seL4_CPtr service, seL4_CPtr vspace, seL4_Word vaddr, bool x86)
{
    const enum sel4host_inv kind = SEL4HOST_PAGING_MAP;
    seL4_Error err;
    cte_t *svc, *vs;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    vs = sim_lookup_extra(vspace, &err);
    if (vs == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_PAGING || sim_vspace_is_root(svc->u.obj)) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    struct kobj *t = svc->u.obj;
    if (svc->flags & CTE_MAPPED) {
        return sim_leave(kind, seL4_InvalidCapability, 0);
    }
    struct kobj *root = valid_root(vs);
    if (root == NULL) {
        return sim_leave(kind, seL4_InvalidCapability, 0);
    }
    if ((uint64_t)vaddr > seL4_UserTop) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }
    if ((err = find_root(root, vs->aux)) != seL4_NoError) {
        return sim_leave(kind, err, 0);
    }
    unsigned level;
    if (x86) {
        level = t->pg.level;
    } else {
        /* deepest existing table on the path; mapping below the last level is refused */
        struct kobj *p = root;
        level = 1;
        while (level < NLEVELS) {
            uint64_t e = p->pg.e[index_at(level - 1, vaddr)];
            if ((e & E_TAG) != E_TABLE) {
                break;
            }
            p = entry_table(e);
            level++;
        }
        if (level >= NLEVELS) {
            return sim_leave(kind, seL4_DeleteFirst, 0);
        }
    }
    struct kobj *parent = walk_to(root, vaddr, level - 1);
    if (parent == NULL) {
        return sim_leave(kind, seL4_FailedLookup, 0);
    }
    if (parent->pg.e[index_at(level - 1, vaddr)] != 0) {
        return sim_leave(kind, seL4_DeleteFirst, 0);
    }
    map_table(parent, level - 1, vaddr, t, svc, vs->aux);
    return sim_leave(kind, seL4_NoError, 1);
}

static seL4_Error do_table_unmap(seL4_CPtr service)
{
    const enum sel4host_inv kind = SEL4HOST_PAGING_UNMAP;
    seL4_Error err;
    cte_t *svc;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_PAGING || sim_vspace_is_root(svc->u.obj)) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (svc->u.obj->refs > 1) {
        /* "Cannot unmap if more than one cap exists" (isFinalCapability) */
        return sim_leave(kind, seL4_RevokeFirst, 0);
    }
    if (svc->flags & CTE_MAPPED) {
        table_detach(svc->u.obj);
        table_clear(svc->u.obj);
    }
    svc->flags &= (uint8_t)~CTE_MAPPED;
    svc->aux = 0;
    svc->word = 0;
    return sim_leave(kind, seL4_NoError, 1);
}

static seL4_Error do_asid_assign(seL4_CPtr service, seL4_CPtr vspace)
{
    const enum sel4host_inv kind = SEL4HOST_ASID_ASSIGN;
    seL4_Error err;
    cte_t *svc, *vs;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    vs = sim_lookup_extra(vspace, &err);
    if (vs == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_ASID_POOL) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (vs->type != CAP_PAGING || !sim_vspace_is_root(vs->u.obj) || (vs->flags & CTE_MAPPED)) {
        return sim_leave(kind, seL4_InvalidCapability, 0);
    }
    if (sim_w.asid_table == NULL || asid_free_entry() == 0) {
        /* the one pool is full */
        return sim_leave(kind, seL4_DeleteFirst, 0);
    }
    vs->aux = sim_asid_assign(vs->u.obj);
    vs->flags |= CTE_MAPPED;
    vs->word = 0;
    return sim_leave(kind, seL4_NoError, 1);
}

/* ---- host access through a vspace ----------------------------------------------------- */

static seL4_Error vspace_rw(seL4_CPtr vspace, seL4_Word vaddr, void *buf, size_t len, bool write)
{
    sim_ensure_booted();
    cte_t *vs = sim_lookup_slot(vspace);
    if (vs == NULL || vs->type != CAP_PAGING || !sim_vspace_is_root(vs->u.obj)) {
        return seL4_InvalidCapability;
    }
    struct kobj *root = vs->u.obj;
    /* two passes: check every byte is reachable, then copy */
    for (int pass = 0; pass < 2; pass++) {
        uint64_t va = vaddr;
        size_t done = 0;
        while (done < len) {
            struct kobj *t = root;
            uint64_t e = 0;
            unsigned l;
            for (l = 0; l < NLEVELS; l++) {
                e = t->pg.e[index_at(l, va)];
                if ((e & E_TAG) != E_TABLE) {
                    break;
                }
                t = entry_table(e);
            }
            if (l == NLEVELS || (e & E_TAG) != E_PAGE) {
                return seL4_FailedLookup;
            }
            unsigned rights = (unsigned)(e >> E_RIGHTS_SHIFT) & 3u;
            if (!(rights & RIGHT_READ) || (write && !(rights & RIGHT_WRITE))) {
                return seL4_IllegalOperation;
            }
            uint64_t page_size = 1ull << level_shift[l];
            uint64_t off = va & (page_size - 1);
            uint64_t chunk = page_size - off;
            if (chunk > len - done) {
                chunk = len - done;
            }
            if (pass == 1) {
                sim_phys_copy((e & ~0xfffull) + off, (uint8_t *)buf + done, (size_t)chunk, write);
            }
            done += (size_t)chunk;
            va += chunk;
        }
    }
    return seL4_NoError;
}

seL4_Error sel4host_vspace_write(seL4_CPtr vspace, seL4_Word vaddr, const void *buf, size_t len)
{
    return vspace_rw(vspace, vaddr, (void *)(uintptr_t)buf, len, true);
}

seL4_Error sel4host_vspace_read(seL4_CPtr vspace, seL4_Word vaddr, void *buf, size_t len)
{
    return vspace_rw(vspace, vaddr, buf, len, false);
}

/* ---- the arch's invocation names ---------------------------------------------------- */

#if defined(CONFIG_ARCH_X86)
seL4_Error seL4_X86_Page_Map(seL4_X86_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_X86_VMAttributes attr)
{
    (void)attr;
    return do_page_map(_service, vspace, vaddr, rights);
}

seL4_Error seL4_X86_Page_Unmap(seL4_X86_Page _service)
{
    return do_page_unmap(_service);
}

seL4_X86_Page_GetAddress_t seL4_X86_Page_GetAddress(seL4_X86_Page _service)
{
    seL4_X86_Page_GetAddress_t r;

    r.error = do_get_address(_service, &r.paddr);
    return r;
}

seL4_Error seL4_X86_PageTable_Map(seL4_X86_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_X86_VMAttributes attr)
{
    (void)attr;
    return do_table_map(_service, vspace, vaddr, true);
}

seL4_Error seL4_X86_PageTable_Unmap(seL4_X86_PageTable _service)
{
    return do_table_unmap(_service);
}

seL4_Error seL4_X86_ASIDPool_Assign(seL4_X86_ASIDPool _service, seL4_CPtr vspace)
{
    return do_asid_assign(_service, vspace);
}

#if defined(CONFIG_ARCH_X86_64)
seL4_Error seL4_X86_PageDirectory_Map(seL4_X86_PageDirectory _service, seL4_CPtr vspace,
                                      seL4_Word vaddr, seL4_X86_VMAttributes attr)
{
    (void)attr;
    return do_table_map(_service, vspace, vaddr, true);
}

seL4_Error seL4_X86_PageDirectory_Unmap(seL4_X86_PageDirectory _service)
{
    return do_table_unmap(_service);
}

seL4_Error seL4_X86_PDPT_Map(seL4_X86_PDPT _service, seL4_X64_PML4 pml4, seL4_Word vaddr,
                             seL4_X86_VMAttributes attr)
{
    (void)attr;
    return do_table_map(_service, pml4, vaddr, true);
}

seL4_Error seL4_X86_PDPT_Unmap(seL4_X86_PDPT _service)
{
    return do_table_unmap(_service);
}
#endif
#elif defined(CONFIG_ARCH_ARM)
seL4_Error seL4_ARM_Page_Map(seL4_ARM_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_ARM_VMAttributes attr)
{
    (void)attr;
    return do_page_map(_service, vspace, vaddr, rights);
}

seL4_Error seL4_ARM_Page_Unmap(seL4_ARM_Page _service)
{
    return do_page_unmap(_service);
}

seL4_ARM_Page_GetAddress_t seL4_ARM_Page_GetAddress(seL4_ARM_Page _service)
{
    seL4_ARM_Page_GetAddress_t r;

    r.error = do_get_address(_service, &r.paddr);
    return r;
}

/* src/arch/arm/64/kernel/vspace.c, decodeARMFrameInvocation, ARMPageClean_Data: the frame
 * must be mapped (in a live vspace) and the range non-empty and inside the frame. The model
 * has no caches: nothing else happens. */
seL4_Error seL4_ARM_Page_Clean_Data(seL4_ARM_Page _service, seL4_Word start_offset,
                                    seL4_Word end_offset)
{
    const enum sel4host_inv kind = SEL4HOST_PAGE_CLEAN_DATA;
    seL4_Error err;
    cte_t *svc;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(_service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_FRAME || !(svc->flags & CTE_MAPPED)) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (find_vspace_for_asid((uint32_t)svc->aux) == NULL) {
        return sim_leave(kind, seL4_FailedLookup, 0);
    }
    if (end_offset <= start_offset || end_offset > ((seL4_Word)1 << svc->size_bits)) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }
    return sim_leave(kind, seL4_NoError, 1);
}

seL4_Error seL4_ARM_PageTable_Map(seL4_ARM_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_ARM_VMAttributes attr)
{
    (void)attr;
    return do_table_map(_service, vspace, vaddr, false);
}

seL4_Error seL4_ARM_PageTable_Unmap(seL4_ARM_PageTable _service)
{
    return do_table_unmap(_service);
}

seL4_Error seL4_ARM_ASIDPool_Assign(seL4_ARM_ASIDPool _service, seL4_CPtr vspace)
{
    return do_asid_assign(_service, vspace);
}
#endif
