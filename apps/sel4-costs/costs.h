/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs: shared pieces of the real-kernel cost root task (main.c: method check and
 * single invocations; seq.c: whole workload sequences). The output format is described at
 * the top of main.c and in docs/real-sel4.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sel4/sel4.h>

#define COSTS_REPEATS 3

/* The guest's time-stamp counter: under QEMU with -icount shift=0,sleep=off it advances by
 * one per executed guest instruction (user and kernel). */
static inline __attribute__((always_inline)) uint64_t costs_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Instructions of an empty C bracket (costs_tsc(); costs_tsc();), measured at start and
 * subtracted from every figure. */
extern uint64_t costs_bracket;

/* Print "COST kind=<kind> <extra> instr=<min> reps=<a>/<b>/<c> agree=<yes|no>" for n
 * repeats r[0..n-1] (already net of the bracket). */
void costs_report(const char *kind, const char *extra, const uint64_t *r, int n);

/* Map a 4 KiB frame at vaddr in the root task's vspace, making missing paging structures
 * with get_obj (which retypes one object of the given type into a free slot and returns
 * its cptr, or 0). 0 or a seL4 error. */
int costs_map_frame(seL4_CPtr frame, seL4_Word vaddr, seL4_CPtr (*get_obj)(seL4_Word type));

struct costs_env {
    const seL4_BootInfo *bi;
    seL4_Word cnode_slots;
    seL4_Word allocman_first, allocman_end; /* allocman's slots */
    seL4_Word window_first, window_count;   /* CapBuddy's slot window */
    seL4_Word scrub_vaddr;                  /* a page of the vspace for the scrub hook */
};

/* seq.c: bootstraps allocman, runs every sequence, prints SEQ lines. Returns failures. */
int costs_sequences(struct costs_env *env);
