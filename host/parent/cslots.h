/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Slot allocator over one range [first, end) of a single-level CNode, as allocman's
 * cspace/single_level does it, with O(log64 n) alloc and free instead of its word scan:
 * a hierarchy of bitmaps, bit set = slot (or, one level up, some slot of that word)
 * free. Lowest free slot first, so that slot use is dense and deterministic.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough levels for 64^6 = 2^36 slots: more than any CNode radix a root task uses. */
#define CB_CSLOTS_MAX_LEVELS 6

struct cb_cslots {
    size_t first;                              /* slot index of bit 0 */
    size_t count;                              /* slots managed */
    size_t free;                               /* slots free now */
    unsigned levels;                           /* 1..CB_CSLOTS_MAX_LEVELS */
    uint64_t *level[CB_CSLOTS_MAX_LEVELS];     /* level[0] = leaf bits, last = one word */
    size_t words[CB_CSLOTS_MAX_LEVELS];        /* words per level */
};

/* Bytes of metadata the allocator needs for count slots (one block, see init). */
size_t cb_cslots_bytes(size_t count);

/* Lay the allocator over mem (cb_cslots_bytes(count) bytes, 8-aligned); all slots free. */
void cb_cslots_init(struct cb_cslots *c, size_t first, size_t count, void *mem);

/* Take the lowest free slot: true and *slot set, or false when every slot is taken. */
bool cb_cslots_alloc(struct cb_cslots *c, size_t *slot);

/*
 * Take n consecutive free slots (the lowest such run): true and *first set, or false.
 * O(slots / 64): meant for carving a pool's slot range, not for the per-object path.
 */
bool cb_cslots_alloc_range(struct cb_cslots *c, size_t n, size_t *first);

/* Is slot one of ours and taken? */
bool cb_cslots_is_taken(const struct cb_cslots *c, size_t slot);

/* Give back a taken slot. The caller has checked cb_cslots_is_taken. */
void cb_cslots_free(struct cb_cslots *c, size_t slot);

/* Integrity check (tests): every summary bit agrees with the level below, free count. */
bool cb_cslots_check(const struct cb_cslots *c);
