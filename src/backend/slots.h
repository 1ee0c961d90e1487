/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The slot window of the RANGE strategy: free extents of the caller's CNode, from which each
 * pool takes a range of 2^k slots aligned to its size (so a pool lies in one index chunk).
 * Pool creation is rare: a sorted extent array is plenty.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cb_extent {
    uintptr_t start, len;
};

struct cb_slots {
    struct cb_extent *ext;
    size_t n, cap;
    size_t ranges; /* ranges taken and not given back */
    uintptr_t total, used;
};

/* 0, or -1 if the metadata hook failed. */
int cb_slots_init(struct cb_slots *s, uintptr_t first, uintptr_t count,
                  void *(*alloc)(void *, size_t), void *cookie, size_t *meta);
/* Take 2^order aligned slots: their first, or (uintptr_t)-1 when no extent fits.
 * May need one more extent entry: call cb_slots_reserve first. */
uintptr_t cb_slots_take(struct cb_slots *s, unsigned order);
/* Make room for one more extent entry. false if the metadata hook failed. */
bool cb_slots_reserve(struct cb_slots *s, void *(*alloc)(void *, size_t),
                      void (*release)(void *, void *, size_t), void *cookie, size_t *meta);
/* Give back 2^order slots from first (merges with neighbours; never allocates). */
void cb_slots_give(struct cb_slots *s, uintptr_t first, unsigned order);
/* What the window holds, for the integrity walk: slots handed out, ranges handed out, bytes
 * of metadata it owns. */
static inline uintptr_t cb_slots_used(const struct cb_slots *s)
{
    return s->used;
}
static inline size_t cb_slots_ranges(const struct cb_slots *s)
{
    return s->ranges;
}
static inline size_t cb_slots_meta_bytes(const struct cb_slots *s)
{
    return s->cap * sizeof(*s->ext);
}
void cb_slots_fini(struct cb_slots *s, void (*release)(void *, void *, size_t), void *cookie,
                   size_t *meta);
