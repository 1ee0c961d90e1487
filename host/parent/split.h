/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Power-of-two split untyped allocator over the boot untypeds, with buddy merging on
 * free, as libsel4allocman's utspace/split.c does it - same kernel calls - but with O(1)
 * size-class lookup (a bitmask of non-empty free lists) and O(log) alloc_at (binary
 * search of the boot untypeds, then a walk down the split tree) instead of list scans.
 *
 * Each untyped piece is a node. A node is FREE (on its size's free list, its untyped cap
 * has no children), SPLIT (its cap has two untyped children, its halves) or USED (an
 * object was retyped from it). Splitting a FREE node costs two Untyped_Retype calls
 * (one per half, as allocman does); merging two FREE halves costs two CNode_Delete calls
 * and makes the parent FREE again. A boot untyped is the root of a tree and is never
 * deleted. A SPLIT node may miss a half (child NULL) only after a kernel call failed in
 * the middle of a split or merge undo; the missing half's memory comes back when the
 * other half merges. A merge that a failed delete stopped is retried when a request cannot
 * be served otherwise (an alloc with no piece large enough, an alloc_at whose walk meets a
 * missing half or a split piece), so no block is lost for good.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include "cslots.h"

enum cb_split_state {
    CB_SPLIT_FREE = 1,
    CB_SPLIT_SPLIT,
    CB_SPLIT_USED,
};

enum cb_split_kind {
    CB_SPLIT_RAM = 0,
    CB_SPLIT_DEVICE = 1,
    CB_SPLIT_KINDS,
};

/* Upper bound on size_bits of any piece (seL4_MaxUntypedBits is 47 or 29). */
#define CB_SPLIT_SIZES 64

struct cb_split_node {
    struct cb_split_node *parent;   /* NULL for a boot untyped */
    struct cb_split_node *child[2]; /* halves while SPLIT: [0] lower address */
    struct cb_split_node *next;     /* free list (FREE) or spare list */
    struct cb_split_node *prev;     /* free list (FREE) */
    uint64_t paddr;
    seL4_CPtr cap;                  /* slot of this piece's untyped cap */
    uint32_t index;                 /* 1-based number of the node: roots, then the table */
    uint16_t gen;                   /* bumped each time the struct is recycled */
    uint8_t size_bits;
    uint8_t state;                  /* 0 while spare */
    uint8_t kind;
};

/* Node structs come from the metadata hook in chunks of this many. */
#define CB_SPLIT_CHUNK 256

/* Where metadata comes from (see parent.h for the contract). */
struct cb_split_mem {
    void *(*alloc)(void *cookie, size_t bytes);
    void (*free)(void *cookie, void *ptr, size_t bytes);
    void *cookie;
};

struct cb_split {
    struct cb_split_node *free_list[CB_SPLIT_KINDS][CB_SPLIT_SIZES];
    uint64_t nonempty[CB_SPLIT_KINDS];      /* bit s: free_list[k][s] is not empty */
    struct cb_split_node *roots;            /* boot untypeds, sorted by paddr */
    size_t num_roots;
    struct cb_split_node **chunks;          /* node table: chunks of CB_SPLIT_CHUNK */
    size_t num_chunks, chunks_cap;
    struct cb_split_node *spare;            /* node structs not in use */
    size_t spare_count;
    struct cb_cslots *slots;                /* where piece caps live */
    seL4_CPtr cnode;                        /* the CNode those slots are in */
    seL4_Word cnode_depth;                  /* capDepth of a slot in it */
    struct cb_split_mem mem;
    /* statistics */
    uint64_t bytes_total[CB_SPLIT_KINDS];
    uint64_t bytes_used[CB_SPLIT_KINDS];    /* handed out as objects */
    size_t nodes_allocated;                 /* node structs in the table (incl. spare) */
    size_t pieces;                          /* non-root nodes alive (each holds a slot) */
    size_t objects;                         /* USED nodes */
    uint64_t splits, merges;
    bool merge_stuck; /* a failed delete stopped a merge: retried when a request fails */
};

/* One boot untyped handed to cb_split_init. */
struct cb_split_root {
    seL4_CPtr cap;
    uint64_t paddr;
    uint8_t size_bits;
    bool device;
};

/*
 * roots_mem: num * sizeof(struct cb_split_node) bytes that the split allocator keeps
 * (the caller frees it after teardown). The roots may be in any order.
 */
void cb_split_init(struct cb_split *s, struct cb_cslots *slots, seL4_CPtr cnode,
                   seL4_Word cnode_depth, struct cb_split_mem mem,
                   const struct cb_split_root *roots, size_t num, void *roots_mem);

/*
 * Retype one object of (type, obj_bits as Untyped_Retype takes it) occupying 2^size_bits
 * bytes into dest (root CNode, dest index/depth, offset), from the kinds allowed
 * (kind_order: up to two kinds tried in turn). 0 and *out_node, or an seL4_Error;
 * on error nothing changed.
 */
int cb_split_alloc(struct cb_split *s, seL4_Word type, seL4_Word obj_bits, unsigned size_bits,
                   const enum cb_split_kind *kind_order, unsigned num_kinds, seL4_CNode root,
                   seL4_Word dest_index, seL4_Word dest_depth, seL4_Word dest_offset,
                   struct cb_split_node **out_node);

/* As cb_split_alloc at physical address paddr (any kind if allow_device). */
int cb_split_alloc_at(struct cb_split *s, seL4_Word type, seL4_Word obj_bits, unsigned size_bits,
                      uint64_t paddr, bool allow_device, seL4_CNode root, seL4_Word dest_index,
                      seL4_Word dest_depth, seL4_Word dest_offset,
                      struct cb_split_node **out_node);

/*
 * Cookies: a node's number and the low bits of its generation, so that a cookie that was
 * freed (and whose node struct may serve another piece since) is told apart from a live
 * one. Never 0.
 */
seL4_Word cb_split_cookie(const struct cb_split_node *n);

/* The USED node of size_bits that a cookie names, or NULL (stale, foreign, wrong size). */
struct cb_split_node *cb_split_node_of(const struct cb_split *s, seL4_Word cookie,
                                       unsigned size_bits);

/* Give back a USED node whose object the caller has destroyed; merges buddies. */
void cb_split_free(struct cb_split *s, struct cb_split_node *n);

/* Largest piece size_bits that one alloc could return without a split failing, or -1. */
int cb_split_largest_free(const struct cb_split *s, enum cb_split_kind kind);

/*
 * Delete every cap made from the boot untypeds (one CNode_Revoke per boot untyped that
 * has children) and give back every piece's slot and node. 0, or the first kernel error;
 * roots done before the error stay done, so a retry continues. Then cb_split_destroy.
 */
int cb_split_revoke_all(struct cb_split *s);

/* Free the node table (after a successful revoke_all). */
void cb_split_destroy(struct cb_split *s);

/* Integrity check (tests): tree shapes, states, list membership, counters. */
bool cb_split_check(const struct cb_split *s);
