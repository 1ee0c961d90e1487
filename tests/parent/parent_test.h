/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers for the parent allocator's tests: boot the model, snapshot and compare its
 * accounting, read a frame's paddr through the arch invocation, and a metadata hook
 * that counts bytes and can be made to fail.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cbhost/parent.h>
#include <sel4/sel4.h>
#include <sel4host/host.h>
#include <sel4runtime.h>

#include "cbtest.h"

static inline const seL4_BootInfo *pt_boot(const struct sel4host_config *cfg)
{
    seL4_Error err = sel4host_boot(cfg);
    CBT_CHECK_EQ(err, seL4_NoError);
    return err == seL4_NoError ? sel4runtime_bootinfo() : NULL;
}

/* Boot the default world with a root CNode of 2^bits slots. */
static inline const seL4_BootInfo *pt_boot_cnode_bits(unsigned bits)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    cfg.root_cnode_bits = bits;
    return pt_boot(&cfg);
}

/* Every field of the model's accounting that a leak would move. */
#define PT_CHECK_ACCOUNT_EQ(a, b)                                                         \
    do {                                                                                  \
        CBT_CHECK_EQ((a).caps_live, (b).caps_live);                                       \
        CBT_CHECK_EQ((a).objects_live, (b).objects_live);                                 \
        CBT_CHECK_EQ((a).frames_live, (b).frames_live);                                   \
        CBT_CHECK_EQ((a).cnodes_live, (b).cnodes_live);                                   \
        CBT_CHECK_EQ((a).slots_used, (b).slots_used);                                     \
        CBT_CHECK_EQ((a).untyped_bytes_used, (b).untyped_bytes_used);                     \
    } while (0)

/* The parent's own statistics that a refused call must leave alone. */
#define PT_CHECK_STATS_EQ(a, b)                                                           \
    do {                                                                                  \
        CBT_CHECK_EQ((a).ram_bytes_used, (b).ram_bytes_used);                             \
        CBT_CHECK_EQ((a).device_bytes_used, (b).device_bytes_used);                       \
        CBT_CHECK_EQ((a).slots_used, (b).slots_used);                                     \
        CBT_CHECK_EQ((a).slots_pieces, (b).slots_pieces);                                 \
        CBT_CHECK_EQ((a).objects, (b).objects);                                           \
        CBT_CHECK_EQ((a).largest_free_ram_bits, (b).largest_free_ram_bits);               \
        CBT_CHECK_EQ((a).largest_free_device_bits, (b).largest_free_device_bits);         \
    } while (0)

static inline void pt_account(struct sel4host_account *a)
{
    sel4host_account(a);
}

static inline int pt_model_check(void)
{
    int r = sel4host_check();
    if (r) {
        fprintf(stderr, "model check: %s\n", sel4host_check_message());
    }
    return r;
}

/* Physical address of a frame, through the architecture's GetAddress invocation. */
static inline uint64_t pt_frame_paddr(seL4_CPtr frame)
{
#if defined(CONFIG_ARCH_X86)
    seL4_X86_Page_GetAddress_t r = seL4_X86_Page_GetAddress(frame);
#else
    seL4_ARM_Page_GetAddress_t r = seL4_ARM_Page_GetAddress(frame);
#endif
    return r.error ? UINT64_MAX : (uint64_t) r.paddr;
}

/* Metadata hook that counts and fails the fail_at-th allocation from now (0: never). */
struct pt_mem {
    size_t bytes;
    size_t allocs;
    size_t fail_at;
    size_t failed;
};

static inline void *pt_mem_alloc(void *cookie, size_t bytes)
{
    struct pt_mem *m = cookie;
    if (m->fail_at && --m->fail_at == 0) {
        m->failed++;
        return NULL;
    }
    void *p = malloc(bytes);
    if (p) {
        m->bytes += bytes;
        m->allocs++;
    }
    return p;
}

static inline void pt_mem_free(void *cookie, void *ptr, size_t bytes)
{
    struct pt_mem *m = cookie;
    m->bytes -= bytes;
    m->allocs--;
    free(ptr);
}

static inline cb_parent_config_t pt_config(const seL4_BootInfo *bi, struct pt_mem *m)
{
    cb_parent_config_t c = { .bootinfo = bi };
    if (m) {
        c.mem = (cb_parent_mem_t) { .alloc = pt_mem_alloc, .free = pt_mem_free, .cookie = m };
    }
    return c;
}

/* The frame object type of a frame size, as vka_alloc_frame picks it. */
static inline seL4_Word pt_frame_type(unsigned bits)
{
    return kobject_get_type(KOBJECT_FRAME, bits);
}

/* Largest RAM boot untyped, log2 bytes. */
static inline int pt_boot_largest_ram(const seL4_BootInfo *bi)
{
    int best = -1;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!bi->untypedList[i].isDevice && bi->untypedList[i].sizeBits > best) {
            best = bi->untypedList[i].sizeBits;
        }
    }
    return best;
}

/* Smallest RAM boot untyped of at least bits, log2 bytes, or -1. */
static inline int pt_boot_smallest_ram_fitting(const seL4_BootInfo *bi, unsigned bits)
{
    int best = -1;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= bits && (best < 0 || d->sizeBits < best)) {
            best = d->sizeBits;
        }
    }
    return best;
}
