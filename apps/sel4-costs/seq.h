/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs, whole sequences: the portable player (seq_play.c) and what a platform gives it.
 * On seL4 the platform is seq_sel4.c (allocman, kernel calls counted by label, instructions
 * inside invocations by rdtsc); on the host model it is main_host.c (the host parent in
 * allocman's place, the model's counters and modelled instructions).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sel4/sel4.h>
#include <vka/vka.h>

/* Kernel calls by kind, in SEQ line order. */
enum seq_kind {
    SEQ_RETYPE, SEQ_REVOKE, SEQ_DELETE, SEQ_COPY, SEQ_MINT, SEQ_MOVE, SEQ_MUTATE,
    SEQ_PAGE_MAP, SEQ_PAGE_UNMAP, SEQ_PAGE_GETADDR, SEQ_PAGING_MAP, SEQ_OTHER, SEQ_KINDS
};
extern const char *const seq_kind_names[SEQ_KINDS];

struct seq_platform {
    const seL4_BootInfo *bi;
    vka_t *parent;                        /* allocman's vka, or the host parent's */
    seL4_Word window_first, window_count; /* CapBuddy's slot window in the root CNode */
    seL4_Word scrub_vaddr;                /* a page of the vspace for the scrub hook */
    /* Zero the page mapped at vaddr (the scrub hook's write). 0 on success. */
    int (*zero_page)(seL4_Word vaddr);
    /* Kernel calls by kind so far; false: not counted in this build. */
    bool (*counts)(unsigned long out[SEQ_KINDS]);
    /* Instructions inside kernel invocations so far (stub entry + kernel); false: not
     * measured in this build. */
    bool (*kinstr)(uint64_t *out);
    /* Each output line (WORKLOAD, SEQ, FAIL), without its newline. */
    void (*line)(const char *line);
};

/* Plays the allocman warm-up, maps the scrub window, then every workload through every
 * allocator, two passes each. Returns the number of failures. */
int seq_play_all(const struct seq_platform *p);
