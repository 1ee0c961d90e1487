/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seL4_TCB_SetSpace for the initial thread, after src/object/tcb.c (decodeSetSpace,
 * invokeTCB_ThreadControl): the new CSpace root is the given CNode cap, updated with
 * cspace_root_data if non-zero and derived; the old roots are deleted from the TCB's slots and
 * the new ones inserted as copies. This is how a root task switches to a two-level CSpace.
 * Only the initial thread is modelled: any TCB cap sets its spaces.
 */
#include "model.h"

seL4_Error seL4_TCB_SetSpace(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                             seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                             seL4_Word vspace_root_data)
{
    const enum sel4host_inv kind = SEL4HOST_TCB_SET_SPACE;
    seL4_Error err;
    cte_t *svc, *cslot, *vslot;

    (void)fault_ep;
    (void)vspace_root_data;
    if (sim_enter(kind, &err)) {
        return err;
    }
    svc = sim_lookup_service(_service, &err);
    if (svc == NULL) {
        return sim_leave(kind, err, 0);
    }
    cslot = sim_lookup_extra(cspace_root, &err);
    if (cslot == NULL) {
        return sim_leave(kind, err, 0);
    }
    vslot = sim_lookup_extra(vspace_root, &err);
    if (vslot == NULL) {
        return sim_leave(kind, err, 0);
    }
    if (svc->type != CAP_TCB) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    cte_t ccap = *cslot;
    ccap.prev = ccap.next = NULL;
    if (cspace_root_data != 0) {
        if (ccap.type != CAP_CNODE) {
            return sim_leave(kind, seL4_IllegalOperation, 0);
        }
        seL4_CNode_CapData_t d = {{cspace_root_data}};
        uint64_t gs = seL4_CNode_CapData_get_guardSize(d);
        if (gs + ccap.u.obj->cn.radix > seL4_WordBits) {
            return sim_leave(kind, seL4_IllegalOperation, 0);
        }
        ccap.word = seL4_CNode_CapData_get_guard(d) & (gs >= 64 ? ~0ull : (1ull << gs) - 1);
        ccap.aux = (uint32_t)gs;
    }
    if (ccap.type != CAP_CNODE) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    if (vslot->type != CAP_PAGING || !sim_vspace_is_root(vslot->u.obj) ||
        !(vslot->flags & CTE_MAPPED)) {
        return sim_leave(kind, seL4_IllegalOperation, 0);
    }
    cte_t vcap = *vslot;
    vcap.prev = vcap.next = NULL;
    /* hold the new root while the old one goes, in case they are the same CNode */
    ccap.u.obj->refs++;
    sim_cte_delete(&sim_w.tcb_cspace);
    sim_cte_insert(&ccap, cslot, &sim_w.tcb_cspace);
    ccap.u.obj->refs--;
    sim_cte_delete(&sim_w.tcb_vspace);
    sim_cte_insert(&vcap, vslot, &sim_w.tcb_vspace);
    return sim_leave(kind, seL4_NoError, 1);
}
