/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The CapBuddy self-test: one set of checks that runs as a root task on the real kernel
 * (main_sel4.c: upstream allocman as the parent vka) and on the host seL4 model (host_main.c:
 * the host parent), so that the same assertions judge both. Written against libsel4, vka and
 * the CapBuddy API only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <capbuddy/capbuddy.h>

/* Invocations counted per kind, to compare the model's counters with the real kernel's. */
enum selftest_kind {
    ST_RETYPE,
    ST_REVOKE,
    ST_DELETE,
    ST_COPY,
    ST_MINT,
    ST_MOVE,
    ST_MUTATE,
    ST_PAGE_MAP,
    ST_PAGE_UNMAP,
    ST_PAGE_GET_ADDRESS,
    ST_PAGING_MAP,
    ST_OTHER,
    ST_KINDS
};

struct selftest_env {
    vka_t *parent;                /* allocman's vka on seL4; the host parent on the model */
    const char *parent_name;      /* printed with the counts */
    const seL4_BootInfo *bi;
    seL4_Word slot_first;         /* CapBuddy's window of the root CNode */
    seL4_Word slot_count;
    seL4_Word map_vaddr;          /* 2 MiB-aligned free virtual range of the root task's vspace */
    /* Read and write memory through the root task's own mappings: plain loads and stores on
     * seL4, the model's vspace access on the host. 0 = done. */
    int (*mem_write)(seL4_Word vaddr, const void *buf, size_t len);
    int (*mem_read)(seL4_Word vaddr, void *buf, size_t len);
    /* Invocations made so far, per kind (NULL: the counting part is skipped). */
    void (*counts)(unsigned long out[ST_KINDS]);
    /* Optional: gets every "COUNT <sequence> <phase> ..." line as it is printed. */
    void (*report)(const char *line);
};

/* The self-test proper: prints one line per case and "N passed, M failed". Returns M. */
int selftest_run(const struct selftest_env *env);

/* Kernel calls of fixed operation sequences, printed as "COUNT ..." lines, then "COUNTS END".
 * Returns the number of sequences that could not run to the end. */
int selftest_counts(const struct selftest_env *env);
