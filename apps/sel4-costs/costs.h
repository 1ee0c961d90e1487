/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs: shared pieces of the real-kernel cost root task (main.c: method check and
 * single invocations; seq_play.c: whole workload sequences, also played on the host model by
 * main_host.c; seq_sel4.c: their allocman set-up on seL4). The output format is described at
 * the top of main.c and in docs/real-sel4.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sel4/sel4.h>

#define COSTS_REPEATS 3

/* The guest's time-stamp counter: under QEMU with -icount shift=0,sleep=off it advances by
 * one per executed guest instruction (user and kernel). On the host model (COSTS_HOST) there
 * is no such counter: 0 (the host replay reads the model's instructions instead). */
static inline __attribute__((always_inline)) uint64_t costs_tsc(void)
{
#if defined(COSTS_HOST)
    return 0;
#else
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
#endif
}

/* Instructions of an empty C bracket (costs_tsc(); costs_tsc();), measured at start and
 * subtracted from every figure (0 on the host). */
extern uint64_t costs_bracket;

/* Print "COST kind=<kind> <extra> instr=<min> reps=<a>/<b>/<c> agree=<yes|no>" for n
 * repeats r[0..n-1] (already net of the bracket). main.c. */
void costs_report(const char *kind, const char *extra, const uint64_t *r, int n);

/* Map a 4 KiB frame at vaddr in the root task's vspace, making missing paging structures
 * with get_obj (which makes one object of the given type in a free slot and returns its
 * cptr, or 0). measured (may be NULL) gets each paging structure map that succeeded:
 * "pt_map", "pd_map" or "pdpt_map" and its instructions. 0 or a seL4 error. x86 only
 * (map.c). */
int costs_map_frame(seL4_CPtr frame, seL4_Word vaddr, seL4_CPtr (*get_obj)(seL4_Word type),
                    void (*measured)(const char *kind, uint64_t instr));

struct costs_env {
    const seL4_BootInfo *bi;
    seL4_Word cnode_slots;
    seL4_Word allocman_first, allocman_end; /* allocman's slots */
    seL4_Word window_first, window_count;   /* CapBuddy's slot window */
    seL4_Word scrub_vaddr;                  /* a page of the vspace for the scrub hook */
};

/* seq_sel4.c: bootstraps allocman, plays every sequence (seq_play.c), prints SEQ lines.
 * Returns failures. */
int costs_sequences(struct costs_env *env);
