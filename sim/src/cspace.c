/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capability address resolution, after src/kernel/cspace.c (resolveAddressBits, lookupSlot,
 * lookupSlotForCNodeOp). Each level consumes guard + radix bits of the cptr; the walk stops at
 * the first slot that does not hold a CNode cap or when the requested depth is used up.
 */
#include "model.h"

static uint64_t mask_bits(unsigned n)
{
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* resolveAddressBits: 0 and the slot (plus bits left unresolved), or -1 on a lookup fault
 * (invalid root, guard mismatch, depth mismatch). */
static int resolve_address_bits(const cte_t *node, seL4_Word cptr, unsigned n_bits, cte_t **slot,
                                unsigned *bits_left)
{
    uint64_t ptr = cptr;

    if (node->type != CAP_CNODE) {
        return -1;
    }
    for (;;) {
        struct kobj *cn = node->u.obj;
        unsigned radix = cn->cn.radix;
        unsigned guard_bits = node->aux;
        unsigned level_bits = radix + guard_bits;
        uint64_t guard = 0;

        if (guard_bits > n_bits) {
            return -1;
        }
        if (guard_bits != 0) {
            guard = (ptr >> (n_bits - guard_bits)) & mask_bits(guard_bits);
        }
        if (guard != node->word) {
            return -1;
        }
        if (level_bits > n_bits) {
            return -1;
        }
        uint64_t offset = (ptr >> (n_bits - level_bits)) & mask_bits(radix);
        cte_t *s = sim_cnode_slot(cn, offset);
        if (n_bits == level_bits) {
            *slot = s;
            *bits_left = 0;
            return 0;
        }
        n_bits -= level_bits;
        if (s->type != CAP_CNODE) {
            *slot = s;
            *bits_left = n_bits;
            return 0;
        }
        node = s;
    }
}

/* lookupSlot: resolve a cptr in the initial thread's CSpace with a full word of depth. */
cte_t *sim_lookup_slot(seL4_CPtr cptr)
{
    cte_t *slot;
    unsigned left;

    if (resolve_address_bits(&sim_w.tcb_cspace, cptr, seL4_WordBits, &slot, &left) != 0) {
        return NULL;
    }
    return slot;
}

/* lookupSlotForCNodeOp: the root must be a CNode (FailedLookup), the depth within 1..wordBits
 * (RangeError), and the walk must end exactly at depth (FailedLookup). */
seL4_Error sim_lookup_slot_for_cnode_op(const cte_t *root, seL4_Word index, seL4_Word depth,
                                        cte_t **out)
{
    cte_t *slot;
    unsigned left;

    if (root->type != CAP_CNODE) {
        return seL4_FailedLookup;
    }
    if (depth < 1 || depth > seL4_WordBits) {
        return seL4_RangeError;
    }
    if (resolve_address_bits(root, index, (unsigned)depth, &slot, &left) != 0) {
        return seL4_FailedLookup;
    }
    if (left != 0) {
        return seL4_FailedLookup;
    }
    *out = slot;
    return seL4_NoError;
}

/* The invoked cap. An unresolvable cptr is a cap fault on the real kernel (the thread does not
 * return from the call); the model counts it and answers InvalidCapability, which is also the
 * kernel's answer for invoking an empty slot (decodeInvocation, cap_null_cap). */
cte_t *sim_lookup_service(seL4_CPtr cptr, seL4_Error *err)
{
    cte_t *slot = sim_lookup_slot(cptr);

    if (slot == NULL) {
        sim_w.ctr.cap_faults++;
        *err = seL4_InvalidCapability;
        return NULL;
    }
    if (slot->type == CAP_NULL) {
        *err = seL4_InvalidCapability;
        return NULL;
    }
    return slot;
}

/* An extra cap of the message (lookupExtraCaps): an empty slot is fine here (the decoder then
 * rejects the null cap); an unresolvable cptr is a cap fault on the kernel, FailedLookup here. */
cte_t *sim_lookup_extra(seL4_CPtr cptr, seL4_Error *err)
{
    cte_t *slot = sim_lookup_slot(cptr);

    if (slot == NULL) {
        sim_w.ctr.cap_faults++;
        *err = seL4_FailedLookup;
    }
    return slot;
}
