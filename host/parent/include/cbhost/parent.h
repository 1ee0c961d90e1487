/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * cb_parent: an allocman-like parent allocator for the host seL4 model, exposed as a
 * seL4_libs vka_t. It is what a seL4 root task gets from allocman (bootstrapped from
 * bootinfo with a split untyped allocator and a single-level cspace), so that
 * - CapBuddy's pools can take their untypeds and slots from a realistic parent, and
 * - `vka_alloc_frame` / `vka_free_object` over it are the benchmarks' baseline: per
 *   object one slot allocation and one seL4_Untyped_Retype of a piece split from a boot
 *   untyped (splitting a piece in two costs two more Retypes, as in allocman); per free
 *   one seL4_CNode_Delete (done by vka_free_object), the slot given back and the piece
 *   given back, merging with its buddy (two CNode_Deletes per merge).
 *
 * Untypeds: power-of-two split with buddy merging over the boot untypeds (allocman's
 * utspace/split.c), in O(1) per size class and O(log) for alloc_at. Slots: the range of
 * the root CNode that bootinfo reports empty (allocman's cspace/single_level), O(log64).
 * Metadata: from the allocation hook in the configuration (default malloc/free): three
 * blocks at init, then node structs for untyped pieces in chunks of 256 (recycled, kept
 * until teardown), so the hook is called only when a split needs more nodes than ever.
 *
 * Cookies (vka_object_t.ut) carry a generation: a cookie that was freed is refused by
 * utspace_free / utspace_paddr even when its piece was handed out again at once, so a
 * double free cannot free someone else's object (allocman hands out node pointers and
 * cannot tell). Wrong sizes and never-issued cookies are refused too.
 *
 * Errors are seL4_Error values (0 = seL4_NoError):
 *   seL4_InvalidArgument  NULL argument, unknown object type, bad configuration
 *   seL4_RangeError       size out of range; paddr in no untyped of an allowed kind
 *   seL4_AlignmentError   paddr not aligned to the object's size
 *   seL4_DeleteFirst      the memory at paddr is (partly) in use
 *   seL4_NotEnoughMemory  no free untyped piece large enough, no free slot, or the
 *                         metadata hook returned NULL
 *   any other             a kernel call failed; its error is passed through
 * Every refused call leaves the allocator and the kernel as they were (the kernel calls
 * of a split that has to be undone are counted, though).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <vka/vka.h>
#include <vka/object.h>

typedef struct cb_parent cb_parent_t;

/*
 * Metadata hook. alloc returns bytes bytes aligned for any type, or NULL; free gets the
 * size that was asked for. Both NULL: malloc and free.
 */
typedef struct cb_parent_mem {
    void *(*alloc)(void *cookie, size_t bytes);
    void (*free)(void *cookie, void *ptr, size_t bytes);
    void *cookie;
} cb_parent_mem_t;

typedef struct cb_parent_config {
    /* Required: boot information, for the untyped list and the empty slot range. */
    const seL4_BootInfo *bootinfo;
    /* The CNode the slots are in; 0: seL4_CapInitThreadCNode. */
    seL4_CPtr cnode;
    /* Depth of a slot cptr in that CNode; 0: seL4_WordBits (the root task's CNode). */
    seL4_Word cnode_depth;
    /*
     * Slot range [first_slot, end_slot) to manage; both 0: bootinfo->empty. Leave slots
     * out of it to reserve them for something else (e.g. CapBuddy's pool slot ranges).
     */
    seL4_CPtr first_slot;
    seL4_CPtr end_slot;
    /*
     * Treat the boot device untypeds as RAM in the device region (allocman's
     * ALLOCMAN_UT_DEV_MEM): utspace_alloc_maybe_device(can_use_dev = true) then prefers
     * them. false (allocman's default for bootinfo device untypeds, ALLOCMAN_UT_DEV):
     * device untypeds are handed out only by utspace_alloc_at.
     */
    bool device_untypeds_are_ram;
    cb_parent_mem_t mem;
} cb_parent_config_t;

typedef struct cb_parent_stats {
    uint64_t ram_bytes_total;       /* RAM untyped under management */
    uint64_t ram_bytes_used;        /* of it, retyped into objects handed out */
    uint64_t device_bytes_total;
    uint64_t device_bytes_used;
    size_t slots_total;             /* slots in the managed range */
    size_t slots_used;              /* taken: by callers plus by untyped pieces */
    size_t slots_pieces;            /* of them, holding untyped pieces of the splits */
    size_t objects;                 /* objects handed out and not freed */
    size_t metadata_bytes;          /* from the hook now */
    size_t metadata_bytes_peak;
    uint64_t splits;                /* pieces split in two (2 Retypes each) */
    uint64_t merges;                /* buddies merged (2 Deletes each) */
    int largest_free_ram_bits;      /* largest free RAM piece, log2 bytes; -1 none */
    int largest_free_device_bits;
} cb_parent_stats_t;

/*
 * Build a parent over config->bootinfo's untypeds and empty slots. Makes no kernel call.
 * 0 and *out, or seL4_InvalidArgument / seL4_NotEnoughMemory (hook failed).
 */
int cb_parent_init(cb_parent_t **out, const cb_parent_config_t *config);

/* Fill *vka so that seL4_libs code allocates through this parent. */
void cb_parent_make_vka(cb_parent_t *p, vka_t *vka);

/*
 * Delete every capability the parent's untypeds gave rise to (one seL4_CNode_Revoke per
 * boot untyped that was used: objects still allocated die too), then free all metadata
 * and p itself. 0, or the kernel error of a failed revoke: then p is still valid, the
 * untypeds before the failed one are done, and teardown can be called again.
 */
int cb_parent_teardown(cb_parent_t *p);

void cb_parent_stats(const cb_parent_t *p, cb_parent_stats_t *out);

/* Integrity check of every internal structure (tests, fuzzers). true when sound. */
bool cb_parent_check(const cb_parent_t *p);

/* ---- The vka_t operations, callable directly (same contracts as vka.h) ---- */

int cb_parent_cspace_alloc(cb_parent_t *p, seL4_CPtr *res);
void cb_parent_cspace_make_path(cb_parent_t *p, seL4_CPtr slot, cspacepath_t *res);
/* A slot that is not taken (or not ours) is refused with a log line. */
void cb_parent_cspace_free(cb_parent_t *p, seL4_CPtr slot);

/*
 * Retype one object (type, size_bits as Untyped_Retype takes them) into dest, from RAM
 * (can_use_dev: device untypeds first when device_untypeds_are_ram, then RAM).
 * *cookie identifies the allocation for utspace_free / utspace_paddr.
 */
int cb_parent_utspace_alloc(cb_parent_t *p, const cspacepath_t *dest, seL4_Word type,
                            seL4_Word size_bits, bool can_use_dev, seL4_Word *cookie);

/*
 * As cb_parent_utspace_alloc, for the object at physical address paddr (64-bit on
 * every host; RAM or, when can_use_dev, device memory). The vka_t entry point passes
 * can_use_dev = true, as allocman's does.
 */
int cb_parent_utspace_alloc_at(cb_parent_t *p, const cspacepath_t *dest, seL4_Word type,
                               seL4_Word size_bits, uint64_t paddr, bool can_use_dev,
                               seL4_Word *cookie);

/*
 * Give back an object's untyped; the caller destroyed the object. A cookie that is not
 * live (double free, stale, wrong type/size, never issued) is refused with a log line.
 */
void cb_parent_utspace_free(cb_parent_t *p, seL4_Word type, seL4_Word size_bits,
                            seL4_Word cookie);

/* Physical address of an allocation, or VKA_NO_PADDR for a bad cookie. */
uint64_t cb_parent_utspace_paddr(cb_parent_t *p, seL4_Word cookie, seL4_Word type,
                                 seL4_Word size_bits);

/*
 * vka_free_object with its error reported: delete the cap; only if that worked, give back
 * the slot and the untyped. Upstream's vka_free_object ignores a failed delete and frees
 * anyway (which leaks the object and poisons the slot); this is the careful variant.
 */
int cb_parent_free_object(cb_parent_t *p, vka_object_t *object);

/* ---- Slot ranges, for CapBuddy's contiguous per-pool slots ---- */

/*
 * Take n consecutive free slots: 0 and *first, seL4_InvalidArgument (n == 0) or
 * seL4_NotEnoughMemory. O(slots / 64): for carving pool ranges, not per frame.
 */
int cb_parent_cspace_alloc_range(cb_parent_t *p, size_t n, seL4_CPtr *first);

/* Give back n slots from first (each must be taken; otherwise refused, nothing freed). */
int cb_parent_cspace_free_range(cb_parent_t *p, seL4_CPtr first, size_t n);
