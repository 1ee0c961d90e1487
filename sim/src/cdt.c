/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The capability derivation tree, kept as the kernel keeps it: a doubly linked list of slots in
 * depth-first order plus a revocable bit per slot; "b is a child of a" is isMDBParentOf(a, b)
 * evaluated between neighbours (src/object/cnode.c: cteInsert, cteMove, emptySlot, cteRevoke,
 * isMDBParentOf, ensureNoChildren; src/object/objecttype.c: sameRegionAs, sameObjectAs,
 * isCapRevocable). Retype children and Copy/Mint children are inserted right after their
 * parent, so insertion, deletion and the "has children" test are O(1) and Revoke is
 * O(descendants).
 */
#include <string.h>
#include "model.h"

unsigned sim_cap_size_bits(const cte_t *c)
{
    switch (c->type) {
    case CAP_CNODE:
    case CAP_PAGING:
        return c->u.obj->size_bits;
    case CAP_UNTYPED:
    case CAP_FRAME:
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return c->size_bits;
    default:
        return 0;
    }
}

uint64_t sim_cap_base(const cte_t *c)
{
    switch (c->type) {
    case CAP_CNODE:
    case CAP_PAGING:
        return c->u.obj->paddr;
    case CAP_UNTYPED:
    case CAP_FRAME:
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return c->u.paddr;
    default:
        return 0;
    }
}

/* cap_get_capIsPhysical */
bool sim_cap_is_physical(const cte_t *c)
{
    switch (c->type) {
    case CAP_UNTYPED:
    case CAP_FRAME:
    case CAP_CNODE:
    case CAP_PAGING:
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return true;
    default:
        return false;
    }
}

static bool region_within(const cte_t *a, const cte_t *b)
{
    uint64_t a_base = sim_cap_base(a), b_base = sim_cap_base(b);
    uint64_t a_top = a_base + ((1ull << sim_cap_size_bits(a)) - 1);
    uint64_t b_top = b_base + ((1ull << sim_cap_size_bits(b)) - 1);

    return a_base <= b_base && b_top <= a_top && b_base <= b_top;
}

/* sameRegionAs (src/object/objecttype.c, Arch_sameRegionAs) */
bool sim_same_region_as(const cte_t *a, const cte_t *b)
{
    switch (a->type) {
    case CAP_UNTYPED:
        return sim_cap_is_physical(b) && region_within(a, b);
    case CAP_FRAME:
        return b->type == CAP_FRAME && region_within(a, b);
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_TCB:
        return b->type == a->type && b->u.paddr == a->u.paddr;
    case CAP_CNODE:
    case CAP_PAGING:
        return b->type == a->type && b->u.obj == a->u.obj;
    case CAP_ASID_CONTROL:
    case CAP_ASID_POOL:
    case CAP_IRQ_CONTROL:
    case CAP_DOMAIN:
    case CAP_IO_PORT_CONTROL:
        return b->type == a->type;
    default:
        return false;
    }
}

/* sameObjectAs: an untyped cap is never "the same object" (so untyped caps are never final
 * in the sense of isFinalCapability); frames compare base and size. */
bool sim_same_object_as(const cte_t *a, const cte_t *b)
{
    if (a->type == CAP_UNTYPED) {
        return false;
    }
    if (a->type == CAP_FRAME) {
        return b->type == CAP_FRAME && a->u.paddr == b->u.paddr && a->size_bits == b->size_bits &&
               (a->flags & CTE_DEVICE) == (b->flags & CTE_DEVICE);
    }
    return sim_same_region_as(a, b);
}

/* isMDBParentOf */
bool sim_is_mdb_parent_of(const cte_t *a, const cte_t *b)
{
    if (!(a->flags & CTE_REVOCABLE)) {
        return false;
    }
    if (!sim_same_region_as(a, b)) {
        return false;
    }
    if (a->type == CAP_ENDPOINT || a->type == CAP_NOTIFICATION) {
        if (a->word == 0) {
            return true;
        }
        return a->word == b->word && !(b->flags & CTE_FIRST_BADGED);
    }
    return true;
}

/* ensureNoChildren, as a predicate */
bool sim_has_children(const cte_t *slot)
{
    return slot->next != NULL && sim_is_mdb_parent_of(slot, slot->next);
}

/* isCapRevocable */
static bool is_cap_revocable(const cte_t *derived, const cte_t *src)
{
    switch (derived->type) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return derived->word != src->word;
    case CAP_UNTYPED:
        return true;
    default:
        return false; /* includes every arch cap: frames, paging structures */
    }
}

static bool in_tcb(const cte_t *slot)
{
    return slot == &sim_w.tcb_cspace || slot == &sim_w.tcb_vspace;
}

/* Write the cap part of *cap into slot, keeping slot's MDB links; takes a reference on the
 * object it names. */
void sim_cap_set(cte_t *slot, const cte_t *cap)
{
    slot->u = cap->u;
    slot->word = cap->word;
    slot->aux = cap->aux;
    slot->type = cap->type;
    slot->size_bits = cap->size_bits;
    slot->rights = cap->rights;
    slot->flags = (uint8_t)(cap->flags & ~(CTE_REVOCABLE | CTE_FIRST_BADGED));
    if (cap->type == CAP_CNODE || cap->type == CAP_PAGING) {
        cap->u.obj->refs++;
    }
    if (!in_tcb(slot)) {
        sim_w.caps_live++;
    }
}

static void link_after(cte_t *prev, cte_t *slot)
{
    cte_t *next = prev->next;

    slot->prev = prev;
    slot->next = next;
    prev->next = slot;
    if (next != NULL) {
        next->prev = slot;
    }
}

/* insertNewCap: a cap made by retype, revocable, right after its untyped. */
void sim_insert_new_cap(cte_t *parent, cte_t *slot, const cte_t *cap)
{
    sim_cap_set(slot, cap);
    slot->flags |= CTE_REVOCABLE | CTE_FIRST_BADGED;
    link_after(parent, slot);
}

/* cteInsert: Copy/Mint, right after the source. */
void sim_cte_insert(const cte_t *cap, cte_t *src, cte_t *dest)
{
    bool rev = is_cap_revocable(cap, src);

    /* setUntypedCapAsFull: once an untyped is copied, the original's free index is set to
     * the end, so it cannot hand out memory that the copy hands out too */
    if (src->type == CAP_UNTYPED && cap->type == CAP_UNTYPED && src->u.paddr == cap->u.paddr &&
        src->size_bits == cap->size_bits) {
        src->word = 1ull << src->size_bits;
    }
    sim_cap_set(dest, cap);
    if (rev) {
        dest->flags |= CTE_REVOCABLE | CTE_FIRST_BADGED;
    }
    link_after(src, dest);
}

/* cteMove: the destination takes the source's place in the MDB (Move/Mutate). */
void sim_cte_move(const cte_t *cap, cte_t *src, cte_t *dest)
{
    uint8_t mdb = src->flags & (CTE_REVOCABLE | CTE_FIRST_BADGED);
    cte_t *prev = src->prev, *next = src->next;

    dest->u = cap->u;
    dest->word = cap->word;
    dest->aux = cap->aux;
    dest->type = cap->type;
    dest->size_bits = cap->size_bits;
    dest->rights = cap->rights;
    dest->flags = (uint8_t)((cap->flags & ~(CTE_REVOCABLE | CTE_FIRST_BADGED)) | mdb);
    dest->prev = prev;
    dest->next = next;
    if (prev != NULL) {
        prev->next = dest;
    }
    if (next != NULL) {
        next->prev = dest;
    }
    memset(src, 0, sizeof(*src));
    if (in_tcb(dest) != in_tcb(src)) {
        /* not reachable through the API: TCB slots are not addressable */
        sim_w.caps_live += in_tcb(src) ? 1 : (uint64_t)-1;
    }
}

/* finaliseCap for the final (or any) deletion of a cap. */
static void finalise(const cte_t *cap)
{
    switch (cap->type) {
    case CAP_FRAME:
        /* Arch_finaliseCap unmaps a mapped frame cap whether or not it is the last one */
        if (cap->flags & CTE_MAPPED) {
            sim_frame_unmap_cap(cap);
        }
        break;
    case CAP_CNODE:
        if (--cap->u.obj->refs == 0) {
            sim_cnode_zombify(cap->u.obj);
        }
        break;
    case CAP_PAGING:
        if (--cap->u.obj->refs == 0) {
            sim_paging_destroy(cap->u.obj);
        }
        break;
    default:
        break;
    }
}

/* cteDelete + emptySlot. Returns the number of caps deleted (0 or 1). */
uint64_t sim_cte_delete(cte_t *slot)
{
    if (slot->type == CAP_NULL) {
        return 0;
    }
    cte_t cap = *slot;
    cte_t *prev = slot->prev, *next = slot->next;

    if (prev != NULL) {
        prev->next = next;
    }
    if (next != NULL) {
        next->prev = prev;
        if (slot->flags & CTE_FIRST_BADGED) {
            next->flags |= CTE_FIRST_BADGED;
        }
    }
    memset(slot, 0, sizeof(*slot));
    if (!in_tcb(slot)) {
        sim_w.caps_live--;
    }
    finalise(&cap);
    return 1;
}

/* cteRevoke: delete every descendant, not the cap itself. */
uint64_t sim_cte_revoke(cte_t *slot)
{
    uint64_t n = 0;

    while (slot->type != CAP_NULL && slot->next != NULL && sim_is_mdb_parent_of(slot, slot->next)) {
        n += sim_cte_delete(slot->next);
    }
    return n;
}
