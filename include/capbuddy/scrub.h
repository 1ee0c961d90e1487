/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A ready scrub hook for seL4 (struct capbuddy_config's scrub): zero a frame through a
 * mapping window of the caller's own vspace. Map the frame there read-write, clear its
 * 4 KiB, unmap it: one seL4_ARCH_Page_Map and one Page_Unmap per frame, whatever the batch
 * (every frame cap is mapped on its own, so batching would save only the loop; see
 * BENCHMARKS.md for the measured cost beside a refresh's kernel clearing).
 *
 * The window is one page of virtual address space the caller reserves for CapBuddy alone:
 * nothing mapped there, and the paging structures down to its page table present (map and
 * unmap any frame there once; or sel4utils' vspace_reserve_range plus one mapping). A frame
 * given to the hook must not be mapped anywhere (seL4 maps a frame cap once): CapBuddy
 * passes pool caps that its caller left unmapped (TRUST's promise) or that were revoked and
 * unmapped (REVOKE, SCRUB), and the vka wrapper's pool caps are never mapped.
 *
 * Usage:
 *     static struct capbuddy_scrub_window win;
 *     capbuddy_scrub_window_init(&win, seL4_CapInitThreadVSpace, 0x7f0000000000ul);
 *     cfg.scrub = capbuddy_scrub_frame;
 *     cfg.scrub_cookie = &win;
 */
#pragma once

#include <stddef.h>

#include <sel4/sel4.h>

struct capbuddy_scrub_window {
    seL4_CPtr vspace; /* cap to the root paging structure of the vspace holding the window */
    seL4_Word vaddr;  /* the window: a page-aligned virtual address, reserved as said above */
    /* How to clear the mapped page. NULL (the default): memset((void *)vaddr, 0, bytes), the
     * way a seL4 program writes its own memory. A program that does not see vaddr as a plain
     * pointer (the host model's tests write through the model's vspace) supplies its own;
     * 0 = cleared. */
    int (*clear)(void *cookie, seL4_Word vaddr, size_t bytes);
    void *clear_cookie;
    unsigned long scrubbed; /* frames zeroed */
    unsigned long failed;   /* calls that failed (map, clear or unmap) */
};

/* Fill a window with its vspace and page-aligned vaddr, clear = NULL, counts 0. */
void capbuddy_scrub_window_init(struct capbuddy_scrub_window *win, seL4_CPtr vspace,
                                seL4_Word vaddr);

/*
 * The hook: cookie is a struct capbuddy_scrub_window. Maps frame at the window (read-write,
 * the architecture's default attributes), clears it, unmaps it. 0 when the frame was zeroed
 * and is unmapped again; -1 otherwise: a failed Map changed nothing, a failed clear is
 * followed by the Unmap all the same (the frame is then not zero: CapBuddy keeps it out of
 * use), a failed Unmap leaves it mapped at the window (the window is then unusable until the
 * caller unmaps it). On ARM the data cache is cleaned to the point of coherency before the
 * unmap (seL4_ARM_Page_Clean_Data), so that a next owner mapping it uncached sees zeroes.
 */
int capbuddy_scrub_frame(void *cookie, seL4_CPtr frame);
