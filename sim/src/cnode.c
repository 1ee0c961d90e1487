/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CNode objects (slot storage) and the CNode invocations, after src/object/cnode.c
 * (decodeCNodeInvocation). Slots are stored in lazily allocated chunks of 1024 so that a root
 * CNode of 2^28 slots costs memory only where it is used.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

void sim_kobj_register(struct kobj *o)
{
    o->reg_prev = NULL;
    o->reg_next = sim_w.registry;
    if (sim_w.registry != NULL) {
        sim_w.registry->reg_prev = o;
    }
    sim_w.registry = o;
}

void sim_kobj_unregister(struct kobj *o)
{
    if (o->reg_prev != NULL) {
        o->reg_prev->reg_next = o->reg_next;
    } else {
        sim_w.registry = o->reg_next;
    }
    if (o->reg_next != NULL) {
        o->reg_next->reg_prev = o->reg_prev;
    }
    o->reg_prev = o->reg_next = NULL;
}

struct kobj *sim_cnode_create(uint64_t paddr, unsigned radix)
{
    struct kobj *o = sim_xcalloc(1, sizeof(*o));

    o->kind = KOBJ_CNODE;
    o->paddr = paddr;
    o->size_bits = (uint8_t)(radix + seL4_SlotBits);
    o->otype = seL4_CapTableObject;
    o->cn.radix = (uint8_t)radix;
    o->cn.nslots = 1ull << radix;
    o->cn.nchunks = (uint32_t)((o->cn.nslots + CHUNK_SLOTS - 1) >> CHUNK_BITS);
    o->cn.chunks = sim_xcalloc(o->cn.nchunks, sizeof(cte_t *));
    sim_kobj_register(o);
    sim_w.cnodes_live++;
    return o;
}

cte_t *sim_cnode_slot(struct kobj *cn, uint64_t index)
{
    uint64_t ci = index >> CHUNK_BITS;
    cte_t *chunk = cn->cn.chunks[ci];

    if (chunk == NULL) {
        uint64_t n = sim_chunk_slots(cn);
        chunk = sim_xcalloc((size_t)n, sizeof(cte_t));
        cn->cn.chunks[ci] = chunk;
    }
    return &chunk[index & (CHUNK_SLOTS - 1)];
}

cte_t *sim_cnode_slot_peek(const struct kobj *cn, uint64_t index)
{
    cte_t *chunk = cn->cn.chunks[index >> CHUNK_BITS];

    return chunk == NULL ? NULL : &chunk[index & (CHUNK_SLOTS - 1)];
}

/* The last cap to a CNode went away. The kernel turns it into a zombie and deletes its slots
 * piece by piece; we do the same after the invocation (sim_reap), so that a slot being worked
 * on (e.g. the target of a Revoke that lives inside this CNode) is never freed under us. */
void sim_cnode_zombify(struct kobj *cn)
{
    if (cn->dead) {
        return;
    }
    cn->dead = 1;
    sim_kobj_unregister(cn);
    cn->reg_next = sim_w.zombies;
    sim_w.zombies = cn;
}

void sim_reap(void)
{
    while (sim_w.zombies != NULL) {
        struct kobj *z = sim_w.zombies;
        for (uint32_t ci = 0; ci < z->cn.nchunks; ci++) {
            cte_t *chunk = z->cn.chunks[ci];
            if (chunk == NULL) {
                continue;
            }
            uint64_t n = sim_chunk_slots(z);
            for (uint64_t i = 0; i < n; i++) {
                if (chunk[i].type != CAP_NULL) {
                    sim_cte_delete(&chunk[i]);
                }
            }
        }
        /* deleting the slots may have queued more zombies in front of z: unlink z itself */
        struct kobj **pp = &sim_w.zombies;
        while (*pp != z) {
            pp = &(*pp)->reg_next;
        }
        *pp = z->reg_next;
        for (uint32_t ci = 0; ci < z->cn.nchunks; ci++) {
            free(z->cn.chunks[ci]);
        }
        free(z->cn.chunks);
        free(z);
        sim_w.cnodes_live--;
    }
}

/* ---- invocations --------------------------------------------------------------------- */

/* maskCapRights (src/object/objecttype.c and the arch's maskVMRights). */
static void mask_cap_rights(cte_t *c, uint8_t rights)
{
    switch (c->type) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        c->rights &= rights;
        break;
    case CAP_FRAME: {
        /* maskVMRights: read-write needs read and write; read-only needs read; else kernel-only */
        bool r = (c->rights & RIGHT_READ) && (rights & RIGHT_READ);
        bool w = r && (c->rights & RIGHT_WRITE) && (rights & RIGHT_WRITE);
        c->rights = (uint8_t)((r ? RIGHT_READ : 0) | (w ? RIGHT_WRITE : 0));
        break;
    }
    default:
        break;
    }
}

/* updateCapData (src/object/objecttype.c). Returns false where the kernel returns a null cap. */
static bool update_cap_data(bool preserve, seL4_Word data, cte_t *c)
{
    switch (c->type) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        if (!preserve && c->word == 0) {
            c->word = data;
            return true;
        }
        return false;
    case CAP_CNODE: {
        seL4_CNode_CapData_t d = {{data}};
        uint64_t guard_size = seL4_CNode_CapData_get_guardSize(d);
        if (guard_size + c->u.obj->cn.radix > seL4_WordBits) {
            return false;
        }
        uint64_t guard = seL4_CNode_CapData_get_guard(d);
        guard &= guard_size >= 64 ? ~0ull : (1ull << guard_size) - 1;
        c->word = guard;
        c->aux = (uint32_t)guard_size;
        return true;
    }
    default:
        return true;
    }
}

/* deriveCap (src/object/objecttype.c, Arch_deriveCap of src/arch/x86/object/objecttype.c and
 * src/arch/arm/object/objecttype.c). */
static seL4_Error derive_cap(const cte_t *slot, cte_t *c, bool *is_null)
{
    *is_null = false;
    switch (c->type) {
    case CAP_UNTYPED:
        if (sim_has_children(slot)) {
            return seL4_RevokeFirst;
        }
        return seL4_NoError;
    case CAP_IRQ_CONTROL:
    case CAP_IO_PORT_CONTROL:
        *is_null = true;
        return seL4_NoError;
    case CAP_FRAME:
        /* a copy of a mapped frame cap is unmapped */
        c->flags &= (uint8_t)~CTE_MAPPED;
        c->word = 0;
        c->aux = 0;
        return seL4_NoError;
    case CAP_PAGING:
        /* page tables and vspace roots can only be copied once mapped / given an ASID */
        if (!(c->flags & CTE_MAPPED)) {
            return seL4_IllegalOperation;
        }
        return seL4_NoError;
    default:
        return seL4_NoError;
    }
}

static bool is_cnode_service(seL4_CNode service, cte_t **svc, seL4_Error *err)
{
    *svc = sim_lookup_service(service, err);
    if (*svc == NULL) {
        return false;
    }
    if ((*svc)->type != CAP_CNODE) {
        *err = seL4_IllegalOperation;
        return false;
    }
    return true;
}

static seL4_Error cnode_copy_like(enum sel4host_inv kind, seL4_CNode service, seL4_Word dest_index,
                                  seL4_Uint8 dest_depth, seL4_CNode src_root, seL4_Word src_index,
                                  seL4_Uint8 src_depth, seL4_CapRights_t rights, seL4_Word badge)
{
    seL4_Error err;
    cte_t *svc, *dest, *src, *root;
    bool null_cap = false;

    if (sim_enter(kind, &err)) {
        return err;
    }
    if (!is_cnode_service(service, &svc, &err)) {
        return sim_leave(kind, err, 0);
    }
    root = sim_lookup_extra(src_root, &err);
    if (root == NULL) {
        return sim_leave(kind, err, 0);
    }
    err = sim_lookup_slot_for_cnode_op(svc, dest_index, dest_depth, &dest);
    if (err != seL4_NoError) {
        return sim_leave(kind, err, 0);
    }
    if (dest->type != CAP_NULL) {
        return sim_leave(kind, seL4_DeleteFirst, 0);
    }
    err = sim_lookup_slot_for_cnode_op(root, src_index, src_depth, &src);
    if (err != seL4_NoError) {
        return sim_leave(kind, err, 0);
    }
    if (src->type == CAP_NULL) {
        return sim_leave(kind, seL4_FailedLookup, 0);
    }

    cte_t nc = *src;
    nc.prev = nc.next = NULL;
    uint8_t r = (uint8_t)(rights.words[0] & RIGHTS_ALL);
    switch (kind) {
    case SEL4HOST_CNODE_COPY:
        mask_cap_rights(&nc, r);
        err = derive_cap(src, &nc, &null_cap);
        break;
    case SEL4HOST_CNODE_MINT:
        mask_cap_rights(&nc, r);
        null_cap = !update_cap_data(false, badge, &nc);
        if (!null_cap) {
            err = derive_cap(src, &nc, &null_cap);
        }
        break;
    case SEL4HOST_CNODE_MUTATE:
        null_cap = !update_cap_data(true, badge, &nc);
        break;
    default: /* Move */
        break;
    }
    if (err != seL4_NoError) {
        return sim_leave(kind, err, 0);
    }
    if (null_cap) {
        /* "Mutated cap would be invalid" */
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (kind == SEL4HOST_CNODE_MOVE || kind == SEL4HOST_CNODE_MUTATE) {
        sim_cte_move(&nc, src, dest);
    } else {
        sim_cte_insert(&nc, src, dest);
    }
    return sim_leave(kind, seL4_NoError, 1);
}

seL4_Error seL4_CNode_Copy(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights)
{
    return cnode_copy_like(SEL4HOST_CNODE_COPY, _service, dest_index, dest_depth, src_root,
                           src_index, src_depth, rights, 0);
}

seL4_Error seL4_CNode_Mint(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights, seL4_Word badge)
{
    return cnode_copy_like(SEL4HOST_CNODE_MINT, _service, dest_index, dest_depth, src_root,
                           src_index, src_depth, rights, badge);
}

seL4_Error seL4_CNode_Move(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth)
{
    return cnode_copy_like(SEL4HOST_CNODE_MOVE, _service, dest_index, dest_depth, src_root,
                           src_index, src_depth, seL4_AllRights, 0);
}

seL4_Error seL4_CNode_Mutate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                             seL4_Word badge)
{
    return cnode_copy_like(SEL4HOST_CNODE_MUTATE, _service, dest_index, dest_depth, src_root,
                           src_index, src_depth, seL4_AllRights, badge);
}

static seL4_Error cnode_target_op(enum sel4host_inv kind, seL4_CNode service, seL4_Word index,
                                  seL4_Uint8 depth)
{
    seL4_Error err;
    cte_t *svc, *dest;

    if (sim_enter(kind, &err)) {
        return err;
    }
    if (!is_cnode_service(service, &svc, &err)) {
        return sim_leave(kind, err, 0);
    }
    err = sim_lookup_slot_for_cnode_op(svc, index, depth, &dest);
    if (err != seL4_NoError) {
        return sim_leave(kind, err, 0);
    }
    uint64_t n = kind == SEL4HOST_CNODE_REVOKE ? sim_cte_revoke(dest) : sim_cte_delete(dest);
    return sim_leave(kind, seL4_NoError, n);
}

seL4_Error seL4_CNode_Revoke(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_target_op(SEL4HOST_CNODE_REVOKE, _service, index, depth);
}

seL4_Error seL4_CNode_Delete(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_target_op(SEL4HOST_CNODE_DELETE, _service, index, depth);
}
