/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * What the kernel work CapBuddy chooses between costs, in instructions the kernel executes
 * (the user-level libsel4 stub included), as measured on the real kernel: upstream seL4
 * 1326364bc, x86_64, fan-out 256, under QEMU with -icount (docs/real-sel4.md; recordings in
 * tests/costs/real/, the host model's table in sim/src/counters.c). Used only to choose
 * (per-frame revoke or refresh) and to bound capbuddy_maintain's budget: estimates, not
 * accounting. ia32 costs 10-26 % more per invocation and twice as much per byte cleared,
 * which moves no choice made here by much.
 */
#pragma once

#include <stdint.h>

#define CB_COST_REVOKE         650u /* Revoke, fixed part (a frame cap: 589 alone, ~693 in use) */
#define CB_COST_REVOKE_PER_CAP 383u /* each cap a Revoke deletes */
#define CB_COST_UNMAP          519u /* Page_Unmap (642 when the frame was mapped) */
#define CB_COST_MAP            795u /* Page_Map */
#define CB_COST_DELETE         760u /* CNode_Delete (774 a copy, 738 a frame's last cap) */
#define CB_COST_RETYPE         870u /* Untyped_Retype, fixed part */
#define CB_COST_RETYPE_PER_OBJ 57u  /* each object it makes */
#define CB_COST_CLEAR_PER_KIB  606u /* the clearing of an untyped reset, per KiB */
/* Zeroing 4 KiB at user level in the scrub hook (not measured: about one 8-byte store per
 * instruction plus the loop). */
#define CB_COST_SCRUB_USER 1100u

/* A Revoke that deletes `caps` caps. */
static inline uint64_t cb_cost_revoke(uint64_t caps)
{
    return CB_COST_REVOKE + caps * CB_COST_REVOKE_PER_CAP;
}

/* Retyping `frames` frame objects, `fan_out` objects per Untyped_Retype. */
static inline uint64_t cb_cost_retype(uint64_t frames, uint64_t fan_out)
{
    return (frames + fan_out - 1) / fan_out * CB_COST_RETYPE + frames * CB_COST_RETYPE_PER_OBJ;
}
