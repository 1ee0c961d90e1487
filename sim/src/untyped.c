/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seL4_Untyped_Retype, after src/object/untyped.c (decodeUntypedInvocation,
 * invokeUntyped_Retype) and src/object/objecttype.c (getObjectSize, createObject). All checks
 * run before anything changes; a refused call leaves the world untouched.
 */
#include "model.h"

/* getObjectSize + Arch_getObjectSize. Saturates instead of wrapping so that a huge user size
 * is caught by the range check below (the kernel checks userObjSize >= wordBits first). */
unsigned sim_object_size_bits(seL4_Word type, seL4_Word user_size)
{
    unsigned bits;

    switch (type) {
    case seL4_UntypedObject:
        return user_size > 255 ? 255 : (unsigned)user_size;
    case seL4_TCBObject:
        return seL4_TCBBits;
    case seL4_EndpointObject:
        return seL4_EndpointBits;
    case seL4_NotificationObject:
        return seL4_NotificationBits;
    case seL4_CapTableObject:
        return user_size > 200 ? 255 : (unsigned)user_size + seL4_SlotBits;
    default:
        bits = sim_frame_bits_for_type(type);
        if (bits != 0) {
            return bits;
        }
        if (sim_paging_type(type, &bits)) {
            return bits;
        }
        return 0;
    }
}

static void make_object(seL4_Word type, seL4_Word user_size, uint64_t paddr, bool device,
                        cte_t *cap)
{
    unsigned frame_bits = sim_frame_bits_for_type(type);

    cap->u.paddr = paddr;
    cap->rights = RIGHTS_ALL;
    cap->flags = device ? CTE_DEVICE : 0;
    if (frame_bits != 0) {
        cap->type = CAP_FRAME;
        cap->size_bits = (uint8_t)frame_bits;
        cap->rights = RIGHT_READ | RIGHT_WRITE; /* VMReadWrite */
        return;
    }
    switch (type) {
    case seL4_UntypedObject:
        /* a new untyped starts with free index 0: its memory is past its parent's watermark
         * or was cleared by the parent's reset, so it is known to be zero */
        cap->type = CAP_UNTYPED;
        cap->size_bits = (uint8_t)user_size;
        cap->word = 0;
        break;
    case seL4_TCBObject:
        cap->type = CAP_TCB;
        cap->size_bits = seL4_TCBBits;
        break;
    case seL4_EndpointObject:
        cap->type = CAP_ENDPOINT;
        cap->size_bits = seL4_EndpointBits;
        break;
    case seL4_NotificationObject:
        cap->type = CAP_NOTIFICATION;
        cap->size_bits = seL4_NotificationBits;
        break;
    case seL4_CapTableObject:
        cap->type = CAP_CNODE;
        cap->u.obj = sim_cnode_create(paddr, (unsigned)user_size);
        cap->word = 0;
        cap->aux = 0;
        break;
    default:
        cap->type = CAP_PAGING;
        cap->u.obj = sim_paging_create(paddr, type);
        break;
    }
}

seL4_Error seL4_Untyped_Retype(seL4_Untyped _service, seL4_Word type, seL4_Word size_bits,
                               seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                               seL4_Word node_offset, seL4_Word num_objects)
{
    const enum sel4host_inv kind = SEL4HOST_UNTYPED_RETYPE;
    seL4_Error err;
    cte_t *svc, *root_slot, *node;

    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(_service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    root_slot = sim_lookup_extra(root, &err);
    if (root_slot == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_UNTYPED) {
        /* other objects' decoders reject the UntypedRetype label */
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (type >= seL4_ObjectTypeCount) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }
    unsigned obj_bits = sim_object_size_bits(type, size_bits);
    if (size_bits >= seL4_WordBits || obj_bits > seL4_MaxUntypedBits) {
        return sim_leave(kind, seL4_RangeError, 0);
    }
    if (type == seL4_CapTableObject && size_bits == 0) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }
    if (type == seL4_UntypedObject && size_bits < seL4_MinUntypedBits) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }

    /* the destination CNode: the root itself for depth 0, else the cap found at index/depth */
    if (node_depth == 0) {
        node = root_slot;
    } else {
        err = sim_lookup_slot_for_cnode_op(root_slot, node_index, node_depth, &node);
        if (err != seL4_NoError) {
            return sim_leave(kind, err, 0);
        }
    }
    if (node->type != CAP_CNODE) {
        return sim_leave(kind, seL4_FailedLookup, 0);
    }
    struct kobj *cn = node->u.obj;
    uint64_t node_size = cn->cn.nslots;
    if (node_offset > node_size - 1) {
        return sim_leave(kind, seL4_RangeError, 0);
    }
    if (num_objects < 1 || num_objects > sim_w.cfg.fan_out_limit) {
        return sim_leave(kind, seL4_RangeError, 0);
    }
    if (num_objects > node_size - node_offset) {
        return sim_leave(kind, seL4_RangeError, 0);
    }
    for (uint64_t i = node_offset; i < node_offset + num_objects; i++) {
        cte_t *s = sim_cnode_slot_peek(cn, i);
        if (s != NULL && s->type != CAP_NULL) {
            return sim_leave(kind, seL4_DeleteFirst, 0);
        }
    }

    /* no children: start again from the base (and reset); else continue at the free index */
    bool reset = !sim_has_children(svc);
    uint64_t free_index = reset ? 0 : svc->word;
    uint64_t base = svc->u.paddr;
    uint64_t ut_bytes = 1ull << svc->size_bits;
    uint64_t free_bytes = ut_bytes - free_index;
    if ((free_bytes >> obj_bits) < num_objects) {
        return sim_leave(kind, seL4_NotEnoughMemory, 0);
    }
    bool device = (svc->flags & CTE_DEVICE) != 0;
    if (device && sim_frame_bits_for_type(type) == 0 && type != seL4_UntypedObject) {
        return sim_leave(kind, seL4_InvalidArgument, 0);
    }

    /* ---- invoke: cannot fail from here ---- */
    if (reset) {
        /* resetUntypedCap clears what was handed out; device memory is left alone */
        if (!device && svc->word != 0) {
            sim_phys_clear(base, svc->word);
            sim_charge_reset(svc->word, (svc->flags & CTE_BOOT_FULL) != 0);
        }
        svc->flags &= (uint8_t)~CTE_BOOT_FULL;
        svc->word = 0;
    }
    uint64_t obj_size = 1ull << obj_bits;
    uint64_t aligned = (base + free_index + obj_size - 1) & ~(obj_size - 1);
    for (uint64_t i = 0; i < num_objects; i++) {
        cte_t cap = {0};
        make_object(type, size_bits, aligned + i * obj_size, device, &cap);
        sim_insert_new_cap(svc, sim_cnode_slot(cn, node_offset + i), &cap);
    }
    svc->word = aligned + num_objects * obj_size - base;
    return sim_leave(kind, seL4_NoError, num_objects);
}
