/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * CapBuddy: physical memory for seL4 programs, from pools of ready-made frame capabilities.
 *
 * A pool is one untyped of up to 4 MiB retyped into up to 1024 4 KiB frame caps in
 * contiguous slots; a buddy bitmap per pool hands out naturally aligned runs of 2^n frames
 * (n = 0..10) as one answer: the first frame's cptr and a window of 2^n. No kernel call is
 * made on the allocation fast path.
 *
 * Every function validates all of its input before changing anything: a call that returns
 * an error has changed nothing (no slot, untyped, cap or metadata byte is lost), and logs a
 * line when CAPBUDDY_LOG is defined.
 *
 * Thread safety: none inside. A capbuddy_t and everything it hands out belong to whoever
 * calls it; calls on one allocator must be serialised by the caller (one lock around every
 * call, or one allocator per thread or core). Distinct allocators share no state, and the
 * library has no global state, so they may be used concurrently. The metadata and scrub
 * hooks are called from inside the calls, under the caller's serialisation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <vka/cspacepath_t.h>
#include <vka/vka.h>

/* This header's version: CAPBUDDY_VERSION is major * 10000 + minor * 100 + patch. */
#define CAPBUDDY_VERSION_MAJOR 0
#define CAPBUDDY_VERSION_MINOR 1
#define CAPBUDDY_VERSION_PATCH 0
#define CAPBUDDY_VERSION                                                                           \
    (CAPBUDDY_VERSION_MAJOR * 10000 + CAPBUDDY_VERSION_MINOR * 100 + CAPBUDDY_VERSION_PATCH)

/* Largest run: 2^10 frames (4 MiB), i.e. size_bits 12..22. The library checks at compile
 * time that this is its pool tree's order (CB_TREE_MAX_ORDER). */
#define CAPBUDDY_MAX_ORDER 10

/* Results: 0 or one of these. */
enum capbuddy_error {
    CAPBUDDY_OK = 0,
    CAPBUDDY_ERR_INVALID = -1,       /* bad argument: size_bits outside 12..22, NULL, bad config */
    CAPBUDDY_ERR_NO_MEMORY = -2,     /* the parent has no untyped left to make a pool from */
    CAPBUDDY_ERR_NO_SLOTS = -3,      /* the slot window (or parent cspace) is full */
    CAPBUDDY_ERR_KERNEL = -4,        /* a kernel invocation failed; everything was rolled back */
    CAPBUDDY_ERR_METADATA = -5,      /* the metadata allocation hook returned NULL */
    CAPBUDDY_ERR_PADDR = -6,         /* alloc at paddr: that memory is not available */
    CAPBUDDY_ERR_NOT_POOL = -7,      /* free: cptr is not in any pool */
    CAPBUDDY_ERR_NOT_ALLOCATED = -8, /* free: the run is free or waiting for revocation */
    CAPBUDDY_ERR_WRONG_SIZE = -9,    /* free: an allocation of another size starts at cptr */
    CAPBUDDY_ERR_MISALIGNED = -10,   /* free: cptr is not aligned to the run's size in its pool */
    CAPBUDDY_ERR_INSIDE = -11,       /* free: cptr lies inside a larger allocation */
    CAPBUDDY_ERR_BUSY = -12,         /* alloc at paddr: part of that run is in use */
};

/* What a freed run must go through before it is handed out again. */
enum capbuddy_policy {
    /* Reuse at once. The caller promises the frames are unmapped and that no copy of
     * their caps exists (the original CapBuddy's behaviour). The last single frame freed
     * is the next single frame handed out (LIFO), without touching its pool's tree. */
    CAPBUDDY_POLICY_TRUST,
    /* Default. A freed run is not handed out until every cap derived from its frame caps
     * is revoked and the frames unmapped. Freed runs wait in quarantine while their pool
     * goes on serving its clean frames; when an alloc finds nothing clean, or in
     * capbuddy_maintain() or capbuddy_flush(), the quarantine is made reusable the way that
     * costs the kernel least: frame by frame (a Revoke, and an Unmap when the pool's cap
     * may have been mapped: runs handed out natively), or one refresh of a pool no one uses
     * (untyped revoke + retype, which clears its memory) when that is cheaper. */
    CAPBUDDY_POLICY_REVOKE,
    /* As REVOKE, and no frame is handed out with its previous owner's data: quarantined
     * runs are reused only after the scrub hook zeroed them, or after their pool was
     * refreshed by an untyped revoke (the kernel zeroes memory on the next retype). Without
     * a hook only a refresh can clean, once no one uses the pool. Device memory: the kernel
     * never clears it, so after a refresh the hook zeroes every frame that went out; without
     * a hook, device memory that went out is not handed out again (its pool is kept out of
     * use until capbuddy_destroy, and an alloc at its address fails with PADDR). */
    CAPBUDDY_POLICY_SCRUB,
};

/*
 * Where a pool's frame caps live.
 *
 * RANGE suits the initial thread's single-level root CNode: no setup, but each full pool
 * needs 1024 contiguous slots of it, so a stock 4096-slot root CNode holds at most three
 * pools beside everything else (CapBuddy takes only what a pool needs and fails with
 * CAPBUDDY_ERR_NO_SLOTS when the window is full).
 * CNODE suits a two-level cspace: each pool gets a CNode of its own (1024 slots, 32 KiB of
 * kernel memory on 64-bit, from the parent) in one slot of the first level, so thousands of
 * pools cost thousands of first-level slots, not millions. It needs the thread's cspace
 * root to resolve [guard][level-1 index][cnode_l2_bits], and one more kernel call per pool
 * (a Mutate that sets the pool CNode's guard when cnode_l2_bits > 10).
 */
enum capbuddy_slots {
    CAPBUDDY_SLOTS_RANGE,
    CAPBUDDY_SLOTS_CNODE,
};

struct capbuddy_config {
    vka_t *parent; /* untypeds and slots come from here (e.g. allocman's vka) */
    /* RANGE: the caller's single-level root CNode (seL4_CapInitThreadCNode).
     * CNODE: a cptr of a cap to the first-level CNode of the thread's cspace. */
    seL4_CPtr cspace_root;
    enum capbuddy_slots slots;
    seL4_Word slot_first;    /* first slot of the window CapBuddy may use (RANGE: slots of the */
    seL4_Word slot_count;    /* root CNode; CNODE: first-level slots, one per pool) and its size */
    seL4_Word cnode_l2_bits; /* CNODE: cptr bits resolved below the first level (>= 10) */
    enum capbuddy_policy policy;
    unsigned spare_pools; /* empty pools always kept, whatever the demand (default 1) */
    /* Retention by demand: an empty pool is kept while as many pools were in use at some
     * point of the last retain_ops to 2 x retain_ops allocations (the recent peak will
     * likely be needed again), and given back once demand stayed lower for that long; a
     * capbuddy_maintain() call with no allocation since the previous one also counts as a
     * horizon gone by. 0: no retention beyond spare_pools (a pool goes back as soon as it is
     * an extra spare). Default CAPBUDDY_DEFAULT_RETAIN_OPS. */
    unsigned long retain_ops;
    /* Ceiling on idle memory: empty pools beyond this many go back whatever the recent
     * demand (0 = no ceiling, the default). */
    unsigned long max_idle_pools;
    /* Ceiling tied to use: empty pools beyond spare_pools go back while the frames of all
     * pools held exceed the frames in use by more than this percentage plus one pool
     * (checked when a pool empties, at each retention horizon and by capbuddy_maintain),
     * whatever the recent demand. It bounds memory held but costs remaking pools when
     * demand comes back (~2.5 M kernel instructions each): util at scale 1 meets held <=
     * 1.10 x used + one pool at every sample with 10, for 52 instead of 3.6 instructions per
     * frame under TRUST. 0 = no such ceiling (the default, CAPBUDDY_DEFAULT_MAX_OVERHEAD_PCT). */
    unsigned max_overhead_pct;
    seL4_Word fan_out_limit; /* objects per retype; 0 = CONFIG_RETYPE_FAN_OUT_LIMIT */
    /* Optional: classifies memory as device or RAM for alloc at a paddr. Without it (or at
     * an address it does not list as RAM) the memory at a paddr is not known to be RAM, and
     * is handed out only to a request with can_use_dev (see capbuddy_alloc). */
    const seL4_BootInfo *bootinfo;
    /* Metadata hooks; NULL = malloc/free. Never called on the alloc/free fast path. */
    void *(*meta_alloc)(void *cookie, size_t bytes);
    void (*meta_free)(void *cookie, void *ptr, size_t bytes);
    void *meta_cookie;
    /* Zero one 4 KiB frame given by its cap (0 = done): SCRUB's cleaning, and the vka
     * wrapper's for a reused frame (its frames read zero). The ready one for seL4 is
     * capbuddy_scrub_frame (capbuddy/scrub.h): map at a window of your vspace, clear, unmap. */
    int (*scrub)(void *cookie, seL4_CPtr frame);
    void *scrub_cookie;
};

#define CAPBUDDY_DEFAULT_RETAIN_OPS       16384ul
#define CAPBUDDY_DEFAULT_MAX_OVERHEAD_PCT 0u

/* Fills a config with the defaults: REVOKE, 1 spare pool, retention over
 * CAPBUDDY_DEFAULT_RETAIN_OPS allocations, no idle ceiling and none tied to use, the
 * kernel's fan-out limit. */
void capbuddy_config_default(struct capbuddy_config *cfg, vka_t *parent, seL4_CPtr cspace_root,
                             seL4_Word slot_first, seL4_Word slot_count);

typedef struct capbuddy capbuddy_t;

/* Start an allocator. Makes no pool yet. INVALID, METADATA.
 * Note on "a refused call changes nothing": an alloc that tried to make a pool may leave the
 * pool indexes grown (capacity reserved through the metadata hook, counted in the stats and
 * freed by capbuddy_destroy); no slot, untyped, cap or frame is kept, except (CNODE) a pool
 * CNode whose Delete failed while undoing: see capbuddy_stats.cnodes_kept. */
int capbuddy_init(capbuddy_t **out, const struct capbuddy_config *cfg);

/*
 * Allocate 2^(size_bits - 12) contiguous frames (size_bits 12..22) as one path: capPtr is
 * the first frame's cap, window the frame count; frame i's cap is capPtr + i. paddr is
 * VKA_NO_PADDR for any address, else the physical address of the first frame (aligned to
 * the run's size). can_use_dev allows device memory (never handed out otherwise). At a
 * paddr, memory not known to be RAM (no bootinfo in the config, or an address bootinfo does
 * not list as RAM) counts as device memory: without can_use_dev such an alloc is PADDR,
 * unless a pool made for RAM requests already holds the address.
 * INVALID, NO_MEMORY, NO_SLOTS, KERNEL, METADATA, PADDR, BUSY.
 */
int capbuddy_alloc(capbuddy_t *cb, seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                   cspacepath_t *res);

/* Give back a run allocated as (cptr, size_bits). INVALID, NOT_POOL, NOT_ALLOCATED,
 * WRONG_SIZE, MISALIGNED, INSIDE. Never makes a kernel call under TRUST and REVOKE except
 * to give a wholly free pool back to the parent (KERNEL is then logged, not returned). */
int capbuddy_free(capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits);

/* True only when every frame of the run lies in one of this allocator's pools. */
bool capbuddy_is_from_pool(const capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits);

/* Physical address of the frame whose pool cap is cptr, or VKA_NO_PADDR if not a pool cap. */
uint64_t capbuddy_paddr(const capbuddy_t *cb, seL4_CPtr cptr);

/*
 * Capability work off the call path. An alloc that finds nothing ready does the work inline
 * (counted in the statistics as inline_refills); these two let a program do it ahead of time,
 * e.g. in an idle loop or a low-priority thread. An allocator is not thread-safe: whoever
 * calls them must be the thread that calls alloc and free, or hold the same lock.
 *
 * capbuddy_prepare: make pools until at least `frames` frames are free (rounded up to whole
 * pools); they count as recent demand, so they are not given back for a horizon. INVALID,
 * NO_MEMORY, NO_SLOTS, KERNEL, METADATA (what could be made stays made).
 *
 * capbuddy_maintain: the background work, until its estimated kernel cost reaches `budget`
 * instructions (estimates from the real-kernel table, docs/real-sel4.md; the step that
 * crosses the budget, at most one run's cleaning or one pool, is finished): make
 * quarantined runs reusable the cheapest way, give back pools idle beyond the recent demand,
 * and keep as many wholly free pools ready as the program's largest burst of allocations
 * between two recent calls needed. Once it has been called, alloc and free leave the giving
 * back to it. *spent (may be NULL) gets the estimated instructions spent. Returns CAPBUDDY_OK
 * when nothing is left to do, CAPBUDDY_MORE when the budget ran out first, or an error
 * (INVALID; KERNEL when a kernel call failed: what could not be done stays as it was, and
 * nothing unsafe is handed out).
 */
#define CAPBUDDY_MORE 1
int capbuddy_prepare(capbuddy_t *cb, unsigned long frames);
int capbuddy_maintain(capbuddy_t *cb, uint64_t budget, uint64_t *spent);

/* Revoke (and scrub) every quarantined run now, so that it can be reused. INVALID; KERNEL
 * when some run could not be revoked or scrubbed (a failed invocation or scrub hook): those
 * runs stay in quarantine, nothing unsafe is handed out. */
int capbuddy_flush(capbuddy_t *cb);

struct capbuddy_stats {
    unsigned long pools_ram, pools_device;
    unsigned long frames_free, frames_used, frames_quarantined;
    int largest_free_order; /* over all pools, -1 if none */
    unsigned long pools_created, pools_returned, pools_refreshed;
    unsigned long revocations_pending; /* runs in quarantine */
    unsigned long pools_idle;          /* pools with no frame in use (held for demand or spare) */
    unsigned long inline_refills;      /* allocs that made, cleaned or refreshed a pool */
    unsigned long inline_give_backs;   /* alloc/free calls that gave a pool back */
    unsigned long frames_revoked;      /* quarantined frames made reusable one by one */
    unsigned long frames_zeroed;       /* vka wrapper: reused frames zeroed by the scrub hook */
    unsigned long zero_fallbacks;      /* vka wrapper: served by the parent, as a reused frame
                                        * could not be zeroed (no hook, or it failed) */
    unsigned long kernel_calls;        /* invocations CapBuddy itself made (the vka wrapper's
                                        * Copy included; a scrub hook's are the hook's) */
    unsigned long retypes, revokes, deletes, unmaps;
    /* CNODE strategy: pool CNodes whose Delete failed. Each keeps its memory and its slot
     * (a first-level slot of the window, or one of the parent's) for as long as the
     * allocator lives, as the CNode may still hold caps; the parent's tear-down (a revoke
     * of its untypeds) reclaims them. The allocator goes on with the other slots. */
    unsigned long cnodes_kept;
    size_t metadata_bytes, metadata_bytes_peak;
};
void capbuddy_stats(const capbuddy_t *cb, struct capbuddy_stats *st);

/* Check every invariant of every pool and index. 0 if all hold; CAPBUDDY_ERR_INVALID for
 * NULL; else where the first broken invariant was found, -(file * 10000 + line) (a bug:
 * report it with the number). */
int capbuddy_check(const capbuddy_t *cb);

/* Give every pool back to the parent and free all metadata. Runs still allocated are
 * revoked with their pools: their caps cease to exist.
 * If a pool's untyped cannot be revoked (a failed Revoke: caps derived from its frames may
 * live on) or its cap deleted, that untyped and its memory are kept, never handed back to
 * the parent, as is its untyped's slot of the parent; with RANGE its slots of the window
 * too (they may hold frame caps). What can safely go back still does: every metadata byte,
 * and with CNODE the pool's CNode (deleted with any frame cap still in it, its memory and
 * first-level slot given back) unless that Delete fails too. The parent's tear-down (a
 * revoke of its untypeds) reclaims whatever was kept. */
void capbuddy_destroy(capbuddy_t *cb);

const char *capbuddy_strerror(int err);
