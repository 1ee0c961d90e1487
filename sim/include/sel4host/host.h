/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-only API of the seL4 model: configuration and boot, invocation counters, the
 * instruction-cost table (calibrated on the real kernel), fault injection, accounting for leak
 * checks, an integrity walker and access to frame contents. Nothing here exists on a real seL4 system; code meant to run there must
 * only use <sel4/sel4.h> and <sel4runtime.h>.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sel4/sel4.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration and boot ---------------------------------------------------------- */

struct sel4host_config {
    uint64_t ram_bytes;          /* RAM modelled (default 1 GiB; 16 MiB .. 1 TiB, below 4 GiB on 32-bit) */
    uint64_t ram_paddr;          /* physical base of RAM (default 0; may be above 4 GiB) */
    uint64_t reserved_bytes;     /* bottom of RAM kept by "kernel + root task image" */
    unsigned root_cnode_bits;    /* CONFIG_ROOT_CNODE_SIZE_BITS (default 12, up to 28) */
    unsigned fan_out_limit;      /* CONFIG_RETYPE_FAN_OUT_LIMIT (default 256) */
    unsigned num_device_untypeds;/* device untypeds after RAM/at device_paddr (default 1) */
    uint64_t device_paddr;       /* 0 = place them just above the end of RAM */
    unsigned device_size_bits;   /* size of each device untyped (default 24: 16 MiB) */
    uint64_t seed;               /* seed of the fault-injection generator */
    /* Boot with exactly these untypeds, in this order, in place of those derived from
     * ram_bytes and the device_* fields: e.g. the list a real kernel's bootinfo gave, so that
     * code whose choices depend on the untyped layout (allocman's) makes the same calls on
     * the model. Each must be aligned to its size, 4..seL4_MaxUntypedBits bits, and clear of
     * [ram_paddr, reserved end), where the root task's objects still go. Read only during
     * sel4host_boot. NULL: derived. */
    const seL4_UntypedDesc *untypeds;
    size_t num_untypeds;
};

/* The modelled architecture, fixed at compile time: "x86_64", "aarch64", "ia32", "aarch32". */
const char *sel4host_arch_name(void);
void sel4host_config_default(struct sel4host_config *cfg);
/* (Re)boot a fresh world. Returns seL4_NoError, or seL4_InvalidArgument for a configuration
 * that cannot be modelled (then no world exists). cfg NULL = defaults. */
seL4_Error sel4host_boot(const struct sel4host_config *cfg);
/* Free the whole world (sel4runtime_bootinfo() boots the default again on next use). */
void sel4host_shutdown(void);
/* The configuration of the running world (defaults if none booted yet). */
void sel4host_get_config(struct sel4host_config *out);

/* ---- counters and modelled cost -------------------------------------------------------- */

enum sel4host_inv {
    SEL4HOST_UNTYPED_RETYPE,
    SEL4HOST_CNODE_REVOKE,
    SEL4HOST_CNODE_DELETE,
    SEL4HOST_CNODE_COPY,
    SEL4HOST_CNODE_MINT,
    SEL4HOST_CNODE_MOVE,
    SEL4HOST_CNODE_MUTATE,
    SEL4HOST_PAGE_MAP,
    SEL4HOST_PAGE_UNMAP,
    SEL4HOST_PAGE_GET_ADDRESS,
    SEL4HOST_PAGING_MAP,     /* PageTable / PageDirectory / PDPT map */
    SEL4HOST_PAGING_UNMAP,
    SEL4HOST_ASID_ASSIGN,
    SEL4HOST_TCB_SET_SPACE,
    SEL4HOST_PAGE_CLEAN_DATA, /* ARM: clean a mapped frame's data cache lines */
    SEL4HOST_INV_COUNT
};

const char *sel4host_inv_name(enum sel4host_inv kind);
uint64_t sel4host_count(enum sel4host_inv kind);        /* calls, including refused ones */
uint64_t sel4host_count_errors(enum sel4host_inv kind); /* calls that returned an error */
uint64_t sel4host_count_total(void);                    /* all calls of all kinds */
void sel4host_counters_reset(void);                     /* also resets modelled instructions */

struct sel4host_cost {
    uint32_t base;     /* instructions per call (real kernel, measured: see counters.c) */
    uint32_t per_item; /* plus this per object created / cap deleted */
    const char *source;
};
const struct sel4host_cost *sel4host_cost_of(enum sel4host_inv kind);
/* Instructions the real kernel would execute for every call since the last reset (calibrated
 * per kind, plus the clearing of each untyped reset), and of them the one-time clearing of
 * boot untypeds on their first retype (they start full: every allocator pays it once). */
uint64_t sel4host_modelled_instructions(void);
uint64_t sel4host_boot_clear_instructions(void);

/* Calls to an unresolvable service or extra-cap cptr. The real kernel raises a cap fault on
 * the calling thread; the model returns an error and counts it here. */
uint64_t sel4host_cap_faults(void);

/* ---- fault injection ------------------------------------------------------------------ */

/* Make the nth call of kind from now (n >= 1) fail with err, changing nothing. */
void sel4host_fault_nth(enum sel4host_inv kind, uint64_t n, seL4_Error err);
/* Make every call of kind fail with probability p (0..1) with err; deterministic from the
 * configured seed (reseeded at boot and by sel4host_fault_seed). */
void sel4host_fault_probability(enum sel4host_inv kind, double p, seL4_Error err);
void sel4host_fault_seed(uint64_t seed);
void sel4host_fault_clear(void);
uint64_t sel4host_faults_injected(void);

/* ---- accounting and integrity --------------------------------------------------------- */

struct sel4host_account {
    uint64_t caps_live;         /* non-null caps in all CNodes */
    uint64_t objects_live;      /* distinct objects with at least one cap (untypeds included) */
    uint64_t frames_live;       /* distinct frame objects */
    uint64_t cnodes_live;       /* CNode objects alive (reachable or not) */
    uint64_t slots_used;        /* = caps_live */
    uint64_t slots_total;       /* slots of all live CNodes */
    uint64_t untyped_bytes_used;/* bytes of live non-untyped objects made from boot untypeds */
    uint64_t backing_pages;     /* 4 KiB pages of frame contents the model holds */
};
/* O(slots): walks every CNode. */
void sel4host_account(struct sel4host_account *out);
/* Used and total slots of the CNode whose cap is at cptr (thread cspace, depth = word bits). */
seL4_Error sel4host_cnode_slots(seL4_CPtr cnode, uint64_t *used, uint64_t *total);
/* Walks the whole model and checks its invariants: CDT list well-formed and exactly the
 * live caps, no overlapping objects within an untyped, watermarks within bounds, slot
 * accounting exact, object reference counts exact. 0 = fine; otherwise -1 and
 * sel4host_check_message() says what is wrong. */
int sel4host_check(void);
const char *sel4host_check_message(void);
/* A hash of the whole capability state: every slot's cap, its CDT links and flags, untyped
 * watermarks, mappings, CNode and ASID bookkeeping. Equal digests before and after a call
 * mean the call changed no capability state (frame contents are not included). O(slots). */
uint64_t sel4host_digest(void);

/* ---- frame contents ------------------------------------------------------------------- */

/* Read/write bytes of the frame whose cap is at cptr (any frame cap: original, copy or
 * mint). Fails with seL4_FailedLookup if the cptr does not hold a frame cap, seL4_RangeError
 * if [offset, offset+len) leaves the frame. */
seL4_Error sel4host_frame_write(seL4_CPtr frame, seL4_Word offset, const void *buf, size_t len);
seL4_Error sel4host_frame_read(seL4_CPtr frame, seL4_Word offset, void *buf, size_t len);
/* Access through a virtual address space (cap to its root paging structure). Fails with
 * seL4_FailedLookup if some byte is not mapped, seL4_IllegalOperation if a write meets a
 * read-only mapping. Nothing is copied on failure. */
seL4_Error sel4host_vspace_write(seL4_CPtr vspace, seL4_Word vaddr, const void *buf, size_t len);
seL4_Error sel4host_vspace_read(seL4_CPtr vspace, seL4_Word vaddr, void *buf, size_t len);

#ifdef __cplusplus
}
#endif
