/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Invocation counters and the modelled cost of each invocation kind, in instructions the
 * real kernel executes (user-side stub and syscall entry/exit included).
 *
 * Calibration: upstream seL4 1326364bc, x86_64 pc99, KernelRetypeFanOutLimit 256,
 * KernelDebugBuild OFF with KernelPrinting ON, user code -O2, run under
 * `qemu-system-x86_64 -icount shift=0,sleep=off`, where the guest's rdtsc advances by one per
 * executed guest instruction: an rdtsc bracket around one invocation in a root task is its
 * cost in instructions, kernel included (the bracket's own 3 subtracted). The method is
 * checked in the measuring app (a dec/jnz loop of n iterations reads 2n+1; repeat runs give
 * identical figures). The figures are in docs/real-sel4.md ("Real kernel costs") and the
 * recordings in tests/costs/real/; tests/costs checks this table against them.
 *
 * Each row says which measurement it comes from. Rows marked "not measured" are estimates
 * scaled from the nearest measured kind; no benchmark workload of CapBuddy or the baseline
 * uses them on its allocation path.
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
    [SEL4HOST_UNTYPED_RETYPE] = {770, 57,
                                 "measured: Retype of 1/16/64/256 4 KiB frames from an untyped "
                                 "that needs no reset, ~770 + ~57 per object (256 frames: "
                                 "15,369); a reset adds its clearing, see SIM_RESET_INSTR_PER_KIB"},
    [SEL4HOST_CNODE_REVOKE] = {704, 383,
                               "measured: Revoke of a frame cap with no children 704; of an "
                               "untyped holding 256 / 1024 frame caps 98,712 / 393,115, ~383 per "
                               "cap removed"},
    [SEL4HOST_CNODE_DELETE] = {774, 0, "measured: Delete of an unmapped frame cap, 774"},
    [SEL4HOST_CNODE_COPY] = {911, 0, "measured: Copy of a frame cap, 911"},
    [SEL4HOST_CNODE_MINT] = {930, 0, "not measured: Copy (911) plus updateCapData"},
    [SEL4HOST_CNODE_MOVE] = {850, 0, "not measured: Copy (911) less deriveCap"},
    [SEL4HOST_CNODE_MUTATE] = {870, 0, "not measured: Move plus updateCapData"},
    [SEL4HOST_PAGE_MAP] = {900, 0,
                           "not measured: Unmap of an unmapped frame (520) plus a page-table "
                           "walk and a PTE write"},
    [SEL4HOST_PAGE_UNMAP] = {520, 0, "measured: Unmap of an unmapped frame, 520"},
    [SEL4HOST_PAGE_GET_ADDRESS] = {531, 0, "measured: Page_GetAddress, 531"},
    [SEL4HOST_PAGING_MAP] = {900, 0, "not measured: as Page_Map"},
    [SEL4HOST_PAGING_UNMAP] = {1200, 0, "not measured: walk and clearing of the table"},
    [SEL4HOST_ASID_ASSIGN] = {850, 0, "not measured: syscall, pool scan and entry write"},
    [SEL4HOST_TCB_SET_SPACE] = {1700, 0,
                                "not measured: two derives, two cteDelete and two cteInsert"},
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

uint64_t sel4host_modelled_instructions(void)
{
    return sim_w.ctr.instructions;
}

uint64_t sel4host_boot_clear_instructions(void)
{
    return sim_w.ctr.boot_clear;
}

uint64_t sim_reset_clear_instructions(uint64_t bytes)
{
    return (bytes * SIM_RESET_INSTR_PER_KIB + 1023) / 1024;
}

void sim_charge_reset(uint64_t bytes, bool boot_full)
{
    uint64_t n = sim_reset_clear_instructions(bytes);
    sim_w.ctr.instructions += n;
    if (boot_full) {
        sim_w.ctr.boot_clear += n;
    }
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
    sim_w.ctr.instructions += costs[kind].base;
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
        sim_w.ctr.instructions += (uint64_t)costs[kind].per_item * items;
    }
    sim_reap();
    return err;
}
