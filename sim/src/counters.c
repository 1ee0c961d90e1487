/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Invocation counters and the modelled cycle cost of each invocation kind.
 *
 * The figures are ours: seL4 publishes IPC and fault-path numbers (sel4bench,
 * https://sel4.systems/About/Performance/) but not per-invocation costs for Retype, CNode
 * operations or mapping. Each entry below says how it was estimated: a slow-path syscall on
 * x86_64 (syscall entry, capability lookup, decode, exit) is taken as ~350 cycles, about the
 * published non-fastpath seL4_Call round trip on a modern x86 core being ~2x the fastpath's
 * ~200-400 cycles, and each extra step is costed from the kernel work it does (src/object/...).
 * Benchmarks print modelled kernel time next to measured user time; treat it as an order of
 * magnitude, not a measurement.
 */
#include <string.h>
#include "model.h"

static const char *const names[SEL4HOST_INV_COUNT] = {
    [SEL4HOST_UNTYPED_RETYPE] = "Untyped_Retype",
    [SEL4HOST_CNODE_REVOKE] = "CNode_Revoke",
    [SEL4HOST_CNODE_DELETE] = "CNode_Delete",
    [SEL4HOST_CNODE_COPY] = "CNode_Copy",
    [SEL4HOST_CNODE_MINT] = "CNode_Mint",
    [SEL4HOST_CNODE_MOVE] = "CNode_Move",
    [SEL4HOST_CNODE_MUTATE] = "CNode_Mutate",
    [SEL4HOST_PAGE_MAP] = "Page_Map",
    [SEL4HOST_PAGE_UNMAP] = "Page_Unmap",
    [SEL4HOST_PAGE_GET_ADDRESS] = "Page_GetAddress",
    [SEL4HOST_PAGING_MAP] = "PageTable_Map",
    [SEL4HOST_PAGING_UNMAP] = "PageTable_Unmap",
    [SEL4HOST_ASID_ASSIGN] = "ASIDPool_Assign",
    [SEL4HOST_TCB_SET_SPACE] = "TCB_SetSpace",
};

static const struct sel4host_cost costs[SEL4HOST_INV_COUNT] = {
    [SEL4HOST_UNTYPED_RETYPE] = {600, 120,
                                 "our estimate: slow-path syscall (350) + two cptr lookups and "
                                 "the window check (250); per object a cap write, an MDB insert "
                                 "and object init (120); lazy memory clearing not costed"},
    [SEL4HOST_CNODE_REVOKE] = {450, 300,
                               "our estimate: syscall + lookup (450); per descendant one "
                               "cteDelete with finalise and MDB unlink (300)"},
    [SEL4HOST_CNODE_DELETE] = {500, 0,
                               "our estimate: syscall + lookup (450) + finalise/unlink (50)"},
    [SEL4HOST_CNODE_COPY] = {500, 0,
                             "our estimate: syscall + two lookups + deriveCap + cteInsert"},
    [SEL4HOST_CNODE_MINT] = {520, 0, "our estimate: as Copy plus updateCapData"},
    [SEL4HOST_CNODE_MOVE] = {480, 0, "our estimate: syscall + two lookups + cteMove"},
    [SEL4HOST_CNODE_MUTATE] = {500, 0, "our estimate: as Move plus updateCapData"},
    [SEL4HOST_PAGE_MAP] = {650, 0,
                           "our estimate: syscall + lookups + page-table walk + PTE write and "
                           "cache maintenance"},
    [SEL4HOST_PAGE_UNMAP] = {600, 0, "our estimate: syscall + walk + PTE clear + TLB flush"},
    [SEL4HOST_PAGE_GET_ADDRESS] = {380, 0, "our estimate: slow-path syscall with one reply word"},
    [SEL4HOST_PAGING_MAP] = {650, 0, "our estimate: as Page_Map"},
    [SEL4HOST_PAGING_UNMAP] = {900, 0, "our estimate: walk + clearing the table (4 KiB)"},
    [SEL4HOST_ASID_ASSIGN] = {600, 0, "our estimate: syscall + pool scan + entry write"},
    [SEL4HOST_TCB_SET_SPACE] = {1200, 0,
                                "our estimate: two derives, two cteDelete and two cteInsert"},
};

const char *sel4host_inv_name(enum sel4host_inv kind)
{
    return (unsigned)kind < SEL4HOST_INV_COUNT ? names[kind] : "?";
}

const struct sel4host_cost *sel4host_cost_of(enum sel4host_inv kind)
{
    return (unsigned)kind < SEL4HOST_INV_COUNT ? &costs[kind] : NULL;
}

uint64_t sel4host_count(enum sel4host_inv kind)
{
    return (unsigned)kind < SEL4HOST_INV_COUNT ? sim_w.ctr.calls[kind] : 0;
}

uint64_t sel4host_count_errors(enum sel4host_inv kind)
{
    return (unsigned)kind < SEL4HOST_INV_COUNT ? sim_w.ctr.errors[kind] : 0;
}

uint64_t sel4host_count_total(void)
{
    uint64_t n = 0;

    for (unsigned k = 0; k < SEL4HOST_INV_COUNT; k++) {
        n += sim_w.ctr.calls[k];
    }
    return n;
}

void sel4host_counters_reset(void)
{
    memset(&sim_w.ctr, 0, sizeof(sim_w.ctr));
}

uint64_t sel4host_modelled_cycles(void)
{
    return sim_w.ctr.cycles;
}

uint64_t sel4host_cap_faults(void)
{
    return sim_w.ctr.cap_faults;
}

/* Start of every invocation: boot if needed, count, and maybe inject a fault (then the call
 * returns *err at once, having changed nothing). */
bool sim_enter(enum sel4host_inv kind, seL4_Error *err)
{
    sim_ensure_booted();
    sim_w.ctr.calls[kind]++;
    sim_w.ctr.cycles += costs[kind].base;
    if (sim_fault_fire(kind, err)) {
        sim_w.ctr.errors[kind]++;
        return true;
    }
    return false;
}

seL4_Error sim_leave(enum sel4host_inv kind, seL4_Error err, uint64_t items)
{
    if (err != seL4_NoError) {
        sim_w.ctr.errors[kind]++;
    } else {
        sim_w.ctr.cycles += (uint64_t)costs[kind].per_item * items;
    }
    sim_reap();
    return err;
}
