/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Physical memory and frame contents. RAM is a sparse 3-level radix map of 4 KiB pages keyed
 * by page number; a page that was never written reads as zero, so a new object costs nothing
 * and an untyped reset (src/object/untyped.c, resetUntypedCap) just drops pages.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define PG_BITS 12u
#define LVL_BITS 12u
#define LVL_SIZE (1u << LVL_BITS)
#define LVL_MASK (LVL_SIZE - 1)

uint8_t *sim_phys_page(uint64_t paddr, bool create)
{
    uint64_t pfn = paddr >> PG_BITS;
    unsigned i0 = (unsigned)((pfn >> (2 * LVL_BITS)) & LVL_MASK);
    unsigned i1 = (unsigned)((pfn >> LVL_BITS) & LVL_MASK);
    unsigned i2 = (unsigned)(pfn & LVL_MASK);

    if (pfn >> (3 * LVL_BITS)) {
        return NULL; /* beyond 2^48: never RAM in the model */
    }
    if (sim_w.phys_root == NULL) {
        if (!create) {
            return NULL;
        }
        sim_w.phys_root = sim_xcalloc(LVL_SIZE, sizeof(void **));
    }
    void **l1 = sim_w.phys_root[i0];
    if (l1 == NULL) {
        if (!create) {
            return NULL;
        }
        l1 = sim_w.phys_root[i0] = sim_xcalloc(LVL_SIZE, sizeof(void *));
    }
    uint8_t **l2 = (uint8_t **)l1[i1];
    if (l2 == NULL) {
        if (!create) {
            return NULL;
        }
        l2 = sim_xcalloc(LVL_SIZE, sizeof(uint8_t *));
        l1[i1] = l2;
    }
    if (l2[i2] == NULL && create) {
        l2[i2] = sim_xcalloc(1, 1u << PG_BITS);
        sim_w.backing_pages++;
    }
    return l2[i2];
}

void sim_phys_copy(uint64_t paddr, void *buf, size_t len, bool write)
{
    uint8_t *b = buf;

    while (len > 0) {
        uint64_t off = paddr & ((1u << PG_BITS) - 1);
        size_t n = (size_t)((1u << PG_BITS) - off);
        if (n > len) {
            n = len;
        }
        uint8_t *page = sim_phys_page(paddr, write);
        if (write) {
            if (page != NULL) { /* NULL only beyond 2^48, where the model places no memory */
                memcpy(page + off, b, n);
            }
        } else if (page != NULL) {
            memcpy(b, page + off, n);
        } else {
            memset(b, 0, n);
        }
        b += n;
        len -= n;
        paddr += n;
    }
}

/* Zero [paddr, paddr + len): whole pages are dropped, partial ones cleared. Walks only the
 * parts of the map that exist. */
void sim_phys_clear(uint64_t paddr, uint64_t len)
{
    uint64_t end = paddr + len;

    if (sim_w.phys_root == NULL || len == 0) {
        return;
    }
    while (paddr < end) {
        uint64_t pfn = paddr >> PG_BITS;
        if (pfn >> (3 * LVL_BITS)) {
            return;
        }
        void **l1 = sim_w.phys_root[(pfn >> (2 * LVL_BITS)) & LVL_MASK];
        if (l1 == NULL) {
            /* skip to the next top-level block */
            paddr = ((pfn >> (2 * LVL_BITS)) + 1) << (2 * LVL_BITS + PG_BITS);
            continue;
        }
        uint8_t **l2 = (uint8_t **)l1[(pfn >> LVL_BITS) & LVL_MASK];
        if (l2 == NULL) {
            paddr = ((pfn >> LVL_BITS) + 1) << (LVL_BITS + PG_BITS);
            continue;
        }
        uint8_t **pp = &l2[pfn & LVL_MASK];
        uint64_t off = paddr & ((1u << PG_BITS) - 1);
        uint64_t n = (1u << PG_BITS) - off;
        if (n > end - paddr) {
            n = end - paddr;
        }
        if (*pp != NULL) {
            if (n == (1u << PG_BITS)) {
                free(*pp);
                *pp = NULL;
                sim_w.backing_pages--;
            } else {
                memset(*pp + off, 0, (size_t)n);
            }
        }
        paddr += n;
    }
}

void sim_phys_free_all(void)
{
    if (sim_w.phys_root == NULL) {
        return;
    }
    for (unsigned i = 0; i < LVL_SIZE; i++) {
        void **l1 = sim_w.phys_root[i];
        if (l1 == NULL) {
            continue;
        }
        for (unsigned j = 0; j < LVL_SIZE; j++) {
            uint8_t **l2 = (uint8_t **)l1[j];
            if (l2 == NULL) {
                continue;
            }
            for (unsigned k = 0; k < LVL_SIZE; k++) {
                free(l2[k]);
            }
            free(l2);
        }
        free(l1);
    }
    free(sim_w.phys_root);
    sim_w.phys_root = NULL;
    sim_w.backing_pages = 0;
}

static seL4_Error frame_rw(seL4_CPtr frame, seL4_Word offset, void *buf, size_t len, bool write)
{
    sim_ensure_booted();
    cte_t *c = sim_lookup_slot(frame);
    if (c == NULL || c->type != CAP_FRAME) {
        return seL4_FailedLookup;
    }
    uint64_t size = 1ull << c->size_bits;
    if ((uint64_t)offset > size || len > size - offset) {
        return seL4_RangeError;
    }
    sim_phys_copy(c->u.paddr + offset, buf, len, write);
    return seL4_NoError;
}

seL4_Error sel4host_frame_write(seL4_CPtr frame, seL4_Word offset, const void *buf, size_t len)
{
    return frame_rw(frame, offset, (void *)(uintptr_t)buf, len, true);
}

seL4_Error sel4host_frame_read(seL4_CPtr frame, seL4_Word offset, void *buf, size_t len)
{
    return frame_rw(frame, offset, buf, len, false);
}
