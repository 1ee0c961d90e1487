/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The backend: everything the pools need from the system, and nothing else. Make a pool's
 * frames from an untyped of the parent, refresh them with one untyped revoke, give them
 * back, revoke one frame. Each operation either succeeds or undoes what it did.
 * Written against libsel4 and the vka interface only, so the same file builds for seL4.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <vka/vka.h>

#include "backing.h"
#include "slots.h"

struct cb_backend {
    vka_t *parent;
    seL4_CPtr root;        /* CNode through which frame cptrs resolve at word depth */
    seL4_Word fan_out;     /* objects per Untyped_Retype */
    bool cnode_per_pool;   /* CNODE strategy (else RANGE) */
    seL4_Word l2_bits;     /* CNODE: bits resolved by a pool's CNode (its guard + radix) */
    struct cb_slots slots; /* RANGE: slots of the root CNode; CNODE: first-level slots */
    unsigned long retypes, revokes, deletes, unmaps, others;
    /* CNODE: pool CNodes whose Delete failed, kept with their memory: in a first-level slot
     * of the window (still taken in slots) and in a slot of the parent (never given back) */
    unsigned long kept_l1, kept_parent;
};

/* Errors are the public CAPBUDDY_ERR_* codes. */

/*
 * Make the frames of a pool of 2^size_order frames: slots from the window, an untyped of
 * size_order + 12 bits from the parent (at paddr unless VKA_NO_PADDR; device memory allowed
 * when device_ok), retyped into frame caps. Needs cb_slots_reserve beforehand.
 */
int cb_backend_make(struct cb_backend *be, unsigned size_order, uint64_t paddr, bool device_ok,
                    struct cb_pool_backing *out);

/* Revoke the pool's untyped (every frame cap and everything derived from them goes) and
 * retype the frames again; the kernel zeroes RAM on that retype. */
int cb_backend_refresh(struct cb_backend *be, const struct cb_pool_backing *b, unsigned size_order);

/* Revoke and delete everything, give the untyped and the slots back. Best effort: a kernel
 * error is returned but the parent still gets its memory back only if the revoke worked. */
int cb_backend_give_back(struct cb_backend *be, const struct cb_pool_backing *b,
                         unsigned size_order);

/* For capbuddy_destroy, when the pool is forgotten whatever happens: give back everything
 * that can safely go. A failed revoke (caps derived from the frames may live on) or a
 * failed delete of the untyped cap keeps the untyped with its memory; the CNode (CNODE) is
 * deleted and its memory and first-level slot given back all the same, unless that Delete
 * fails. KERNEL if anything was kept. */
int cb_backend_give_back_final(struct cb_backend *be, const struct cb_pool_backing *b,
                               unsigned size_order);

/* Revoke every cap derived from one frame cap and, when its cap may have been mapped, unmap
 * the frame. */
int cb_backend_revoke_frame(struct cb_backend *be, seL4_CPtr frame, bool unmap);

static inline unsigned long cb_backend_kernel_calls(const struct cb_backend *be)
{
    return be->retypes + be->revokes + be->deletes + be->unmaps + be->others;
}
