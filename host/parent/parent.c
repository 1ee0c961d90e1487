/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * cb_parent: bootinfo to allocator, and the vka_t glue. See include/cbhost/parent.h.
 * The untyped side is split.c, the slot side cslots.c; this file validates arguments
 * (so that the layers below only see well-formed requests) and keeps the metadata
 * accounting.
 */
#include <cbhost/parent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cslots.h"
#include "split.h"

#define LOG(...) fprintf(stderr, "cb_parent: " __VA_ARGS__)

struct cb_parent {
    struct cb_split split;
    struct cb_cslots slots;
    cb_parent_mem_t mem;            /* the caller's hook (or malloc) */
    seL4_CPtr cnode;
    seL4_Word depth;
    bool dev_is_ram;
    void *slot_mem;
    size_t slot_mem_bytes;
    void *roots_mem;
    size_t roots_mem_bytes;
    size_t meta_bytes;
    size_t meta_peak;
};

/* ---- metadata: every byte through the hook, counted ------------------------------ */

static void *default_alloc(void *cookie, size_t bytes)
{
    (void) cookie;
    return malloc(bytes);
}

static void default_free(void *cookie, void *ptr, size_t bytes)
{
    (void) cookie;
    (void) bytes;
    free(ptr);
}

static void *meta_alloc(void *cookie, size_t bytes)
{
    cb_parent_t *p = cookie;
    void *ptr = p->mem.alloc(p->mem.cookie, bytes);
    if (ptr) {
        p->meta_bytes += bytes;
        if (p->meta_bytes > p->meta_peak) {
            p->meta_peak = p->meta_bytes;
        }
    }
    return ptr;
}

static void meta_free(void *cookie, void *ptr, size_t bytes)
{
    cb_parent_t *p = cookie;
    p->meta_bytes -= bytes;
    p->mem.free(p->mem.cookie, ptr, bytes);
}

/* ---- life cycle ---------------------------------------------------------------------- */

int cb_parent_init(cb_parent_t **out, const cb_parent_config_t *config)
{
    if (!out || !config || !config->bootinfo) {
        return seL4_InvalidArgument;
    }
    const seL4_BootInfo *bi = config->bootinfo;
    cb_parent_mem_t mem = config->mem;
    if (!mem.alloc != !mem.free) {
        return seL4_InvalidArgument;
    }
    seL4_CPtr first = config->first_slot, end = config->end_slot;
    if (!first && !end) {
        first = bi->empty.start;
        end = bi->empty.end;
    }
    size_t num_ut = bi->untyped.end - bi->untyped.start;
    /* with the root task's CNode, the range must lie inside it */
    bool root_cnode = !config->cnode || config->cnode == seL4_CapInitThreadCNode;
    if (root_cnode && bi->initThreadCNodeSizeBits < seL4_WordBits &&
        end > ((seL4_CPtr) 1 << bi->initThreadCNodeSizeBits)) {
        return seL4_InvalidArgument;
    }
    if (end < first || bi->untyped.end < bi->untyped.start ||
        num_ut > CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
        return seL4_InvalidArgument;
    }
    for (size_t i = 0; i < num_ut; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (d->sizeBits < seL4_MinUntypedBits || d->sizeBits > seL4_MaxUntypedBits) {
            return seL4_InvalidArgument;
        }
    }

    /* The default hooks are filled in only here, after every early return: cppcheck takes
     * "mem.alloc = default_alloc" for an allocation and reports those returns as leaks. */
    if (!mem.alloc) {
        mem.alloc = default_alloc;
        mem.free = default_free;
        mem.cookie = NULL;
    }
    cb_parent_t *p = mem.alloc(mem.cookie, sizeof(*p));
    if (!p) {
        return seL4_NotEnoughMemory;
    }
    memset(p, 0, sizeof(*p));
    p->mem = mem;
    p->meta_bytes = p->meta_peak = sizeof(*p);
    p->cnode = config->cnode ? config->cnode : seL4_CapInitThreadCNode;
    p->depth = config->cnode_depth ? config->cnode_depth : seL4_WordBits;
    p->dev_is_ram = config->device_untypeds_are_ram;
    p->slot_mem_bytes = cb_cslots_bytes(end - first);
    p->slot_mem = meta_alloc(p, p->slot_mem_bytes);
    p->roots_mem_bytes = (num_ut ? num_ut : 1) * sizeof(struct cb_split_node);
    p->roots_mem = meta_alloc(p, p->roots_mem_bytes);
    struct cb_split_root *roots = meta_alloc(p, (num_ut ? num_ut : 1) * sizeof(*roots));
    if (!p->slot_mem || !p->roots_mem || !roots) {
        if (roots) {
            meta_free(p, roots, (num_ut ? num_ut : 1) * sizeof(*roots));
        }
        if (p->roots_mem) {
            meta_free(p, p->roots_mem, p->roots_mem_bytes);
        }
        if (p->slot_mem) {
            meta_free(p, p->slot_mem, p->slot_mem_bytes);
        }
        mem.free(mem.cookie, p, sizeof(*p));
        return seL4_NotEnoughMemory;
    }
    cb_cslots_init(&p->slots, first, end - first, p->slot_mem);
    for (size_t i = 0; i < num_ut; i++) {
        roots[i] = (struct cb_split_root) {
            .cap = bi->untyped.start + i,
            .paddr = bi->untypedList[i].paddr,
            .size_bits = bi->untypedList[i].sizeBits,
            .device = bi->untypedList[i].isDevice != 0,
        };
    }
    struct cb_split_mem smem = { .alloc = meta_alloc, .free = meta_free, .cookie = p };
    cb_split_init(&p->split, &p->slots, p->cnode, p->depth, smem, roots, num_ut, p->roots_mem);
    meta_free(p, roots, (num_ut ? num_ut : 1) * sizeof(*roots));
    *out = p;
    return seL4_NoError;
}

int cb_parent_teardown(cb_parent_t *p)
{
    if (!p) {
        return seL4_InvalidArgument;
    }
    int err = cb_split_revoke_all(&p->split);
    if (err != seL4_NoError) {
        LOG("teardown: revoke failed (%d); call teardown again\n", err);
        return err;
    }
    cb_split_destroy(&p->split);
    meta_free(p, p->roots_mem, p->roots_mem_bytes);
    meta_free(p, p->slot_mem, p->slot_mem_bytes);
    cb_parent_mem_t mem = p->mem;
    mem.free(mem.cookie, p, sizeof(*p));
    return seL4_NoError;
}

void cb_parent_stats(const cb_parent_t *p, cb_parent_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->ram_bytes_total = p->split.bytes_total[CB_SPLIT_RAM];
    out->ram_bytes_used = p->split.bytes_used[CB_SPLIT_RAM];
    out->device_bytes_total = p->split.bytes_total[CB_SPLIT_DEVICE];
    out->device_bytes_used = p->split.bytes_used[CB_SPLIT_DEVICE];
    out->slots_total = p->slots.count;
    out->slots_used = p->slots.count - p->slots.free;
    out->slots_pieces = p->split.pieces;
    out->objects = p->split.objects;
    out->metadata_bytes = p->meta_bytes;
    out->metadata_bytes_peak = p->meta_peak;
    out->splits = p->split.splits;
    out->merges = p->split.merges;
    out->largest_free_ram_bits = cb_split_largest_free(&p->split, CB_SPLIT_RAM);
    out->largest_free_device_bits = cb_split_largest_free(&p->split, CB_SPLIT_DEVICE);
}

bool cb_parent_check(const cb_parent_t *p)
{
    return p && cb_cslots_check(&p->slots) && cb_split_check(&p->split) &&
           p->split.pieces <= p->slots.count - p->slots.free;
}

/* ---- slots ------------------------------------------------------------------------- */

int cb_parent_cspace_alloc(cb_parent_t *p, seL4_CPtr *res)
{
    size_t slot;
    if (!p || !res) {
        return seL4_InvalidArgument;
    }
    if (!cb_cslots_alloc(&p->slots, &slot)) {
        return seL4_NotEnoughMemory;
    }
    *res = (seL4_CPtr) slot;
    return seL4_NoError;
}

void cb_parent_cspace_make_path(cb_parent_t *p, seL4_CPtr slot, cspacepath_t *res)
{
    /* single-level CNode: the slot's cptr is its index, the CNode itself the dest */
    *res = (cspacepath_t) {
        .capPtr = slot,
        .capDepth = p->depth,
        .root = p->cnode,
        .dest = 0,
        .destDepth = 0,
        .offset = slot,
        .window = 1,
    };
}

void cb_parent_cspace_free(cb_parent_t *p, seL4_CPtr slot)
{
    if (!cb_cslots_is_taken(&p->slots, slot)) {
        LOG("cspace_free: slot %lu is not an allocated slot; ignored\n", (unsigned long) slot);
        return;
    }
    cb_cslots_free(&p->slots, slot);
}

int cb_parent_cspace_alloc_range(cb_parent_t *p, size_t n, seL4_CPtr *first)
{
    size_t f;
    if (!p || !first || n == 0) {
        return seL4_InvalidArgument;
    }
    if (!cb_cslots_alloc_range(&p->slots, n, &f)) {
        return seL4_NotEnoughMemory;
    }
    *first = (seL4_CPtr) f;
    return seL4_NoError;
}

int cb_parent_cspace_free_range(cb_parent_t *p, seL4_CPtr first, size_t n)
{
    if (!p || n == 0 || first + n < first) {
        return seL4_InvalidArgument;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cb_cslots_is_taken(&p->slots, first + i)) {
            LOG("cspace_free_range: slot %lu is not allocated; nothing freed\n",
                (unsigned long)(first + i));
            return seL4_InvalidArgument;
        }
    }
    for (size_t i = 0; i < n; i++) {
        cb_cslots_free(&p->slots, first + i);
    }
    return seL4_NoError;
}

/* ---- untypeds ---------------------------------------------------------------------- */

/* Untyped bytes (log2) an object occupies, or -1 when the request is malformed. */
static int object_bits(seL4_Word type, seL4_Word size_bits)
{
    if (type >= seL4_ObjectTypeCount) {
        return -1;
    }
    unsigned long bits = vka_get_object_size(type, size_bits);
    if (bits < seL4_MinUntypedBits || bits > seL4_MaxUntypedBits) {
        return -1;
    }
    return (int) bits;
}

int cb_parent_utspace_alloc(cb_parent_t *p, const cspacepath_t *dest, seL4_Word type,
                            seL4_Word size_bits, bool can_use_dev, seL4_Word *cookie)
{
    static const enum cb_split_kind ram_only[] = { CB_SPLIT_RAM };
    static const enum cb_split_kind dev_first[] = { CB_SPLIT_DEVICE, CB_SPLIT_RAM };
    struct cb_split_node *node;

    if (!p || !dest || !cookie || type >= seL4_ObjectTypeCount) {
        return seL4_InvalidArgument;
    }
    int bits = object_bits(type, size_bits);
    if (bits < 0) {
        return seL4_RangeError;
    }
    bool dev = can_use_dev && p->dev_is_ram;
    int err = cb_split_alloc(&p->split, type, size_bits, (unsigned) bits, dev ? dev_first : ram_only,
                             dev ? 2 : 1, dest->root, dest->dest, dest->destDepth, dest->offset,
                             &node);
    if (err == seL4_NoError) {
        *cookie = cb_split_cookie(node);
    }
    return err;
}

int cb_parent_utspace_alloc_at(cb_parent_t *p, const cspacepath_t *dest, seL4_Word type,
                               seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                               seL4_Word *cookie)
{
    struct cb_split_node *node;

    if (!p || !dest || !cookie || type >= seL4_ObjectTypeCount) {
        return seL4_InvalidArgument;
    }
    int bits = object_bits(type, size_bits);
    if (bits < 0) {
        return seL4_RangeError;
    }
    int err = cb_split_alloc_at(&p->split, type, size_bits, (unsigned) bits, paddr, can_use_dev,
                                dest->root, dest->dest, dest->destDepth, dest->offset, &node);
    if (err == seL4_NoError) {
        *cookie = cb_split_cookie(node);
    }
    return err;
}

/* The USED node behind a cookie of an object of (type, size_bits), or NULL. */
static struct cb_split_node *cookie_node(const cb_parent_t *p, seL4_Word cookie, seL4_Word type,
                                         seL4_Word size_bits)
{
    int bits = object_bits(type, size_bits);
    return bits >= 0 ? cb_split_node_of(&p->split, cookie, (unsigned) bits) : NULL;
}

void cb_parent_utspace_free(cb_parent_t *p, seL4_Word type, seL4_Word size_bits, seL4_Word cookie)
{
    struct cb_split_node *n = p ? cookie_node(p, cookie, type, size_bits) : NULL;
    if (!n) {
        LOG("utspace_free: cookie %#lx is not an allocation of type %lu size %lu; ignored\n",
            (unsigned long) cookie, (unsigned long) type, (unsigned long) size_bits);
        return;
    }
    cb_split_free(&p->split, n);
}

uint64_t cb_parent_utspace_paddr(cb_parent_t *p, seL4_Word cookie, seL4_Word type,
                                 seL4_Word size_bits)
{
    struct cb_split_node *n = p ? cookie_node(p, cookie, type, size_bits) : NULL;
    return n ? n->paddr : VKA_NO_PADDR;
}

int cb_parent_free_object(cb_parent_t *p, vka_object_t *object)
{
    struct cb_split_node *n = p && object ? cookie_node(p, object->ut, object->type,
                                                        object->size_bits) : NULL;
    if (!n || !cb_cslots_is_taken(&p->slots, object->cptr)) {
        return seL4_InvalidArgument;
    }
    int err = seL4_CNode_Delete(p->cnode, object->cptr, (seL4_Uint8) p->depth);
    if (err != seL4_NoError) {
        return err;
    }
    cb_cslots_free(&p->slots, object->cptr);
    cb_split_free(&p->split, n);
    return seL4_NoError;
}

/* ---- vka_t glue ---------------------------------------------------------------------- */

static int vka_cspace_alloc_glue(void *data, seL4_CPtr *res)
{
    return cb_parent_cspace_alloc(data, res);
}

static void vka_cspace_make_path_glue(void *data, seL4_CPtr slot, cspacepath_t *res)
{
    cb_parent_cspace_make_path(data, slot, res);
}

static void vka_cspace_free_glue(void *data, seL4_CPtr slot)
{
    cb_parent_cspace_free(data, slot);
}

static int vka_utspace_alloc_glue(void *data, const cspacepath_t *dest, seL4_Word type,
                                  seL4_Word size_bits, seL4_Word *res)
{
    return cb_parent_utspace_alloc(data, dest, type, size_bits, false, res);
}

static int vka_utspace_alloc_maybe_device_glue(void *data, const cspacepath_t *dest,
                                               seL4_Word type, seL4_Word size_bits,
                                               bool can_use_dev, seL4_Word *res)
{
    return cb_parent_utspace_alloc(data, dest, type, size_bits, can_use_dev, res);
}

static int vka_utspace_alloc_at_glue(void *data, const cspacepath_t *dest, seL4_Word type,
                                     seL4_Word size_bits, uintptr_t paddr, seL4_Word *cookie)
{
    return cb_parent_utspace_alloc_at(data, dest, type, size_bits, paddr, true, cookie);
}

static void vka_utspace_free_glue(void *data, seL4_Word type, seL4_Word size_bits,
                                  seL4_Word target)
{
    cb_parent_utspace_free(data, type, size_bits, target);
}

static uintptr_t vka_utspace_paddr_glue(void *data, seL4_Word target, seL4_Word type,
                                        seL4_Word size_bits)
{
    uint64_t pa = cb_parent_utspace_paddr(data, target, type, size_bits);
    /* a paddr a uintptr_t cannot hold cannot be reported through the vka interface */
    return (uint64_t)(uintptr_t) pa == pa ? (uintptr_t) pa : VKA_NO_PADDR;
}

void cb_parent_make_vka(cb_parent_t *p, vka_t *vka)
{
    *vka = (vka_t) {
        .data = p,
        .cspace_alloc = vka_cspace_alloc_glue,
        .cspace_make_path = vka_cspace_make_path_glue,
        .utspace_alloc = vka_utspace_alloc_glue,
        .utspace_alloc_maybe_device = vka_utspace_alloc_maybe_device_glue,
        .utspace_alloc_at = vka_utspace_alloc_at_glue,
        .cspace_free = vka_cspace_free_glue,
        .utspace_free = vka_utspace_free_glue,
        .utspace_paddr = vka_utspace_paddr_glue,
    };
}
