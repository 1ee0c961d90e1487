/* SPDX-License-Identifier: BSD-2-Clause */
#include "slots.h"

#include "cb_tunables.h"

#include <string.h>

int cb_slots_init(struct cb_slots *s, uintptr_t first, uintptr_t count,
                  void *(*alloc)(void *, size_t), void *cookie, size_t *meta)
{
    memset(s, 0, sizeof(*s));
    s->cap = CB_SLOTS_INITIAL_EXTENTS;
    s->ext = alloc(cookie, s->cap * sizeof(*s->ext));
    if (!s->ext) {
        return -1;
    }
    *meta += s->cap * sizeof(*s->ext);
    s->total = count;
    if (count) {
        s->ext[s->n++] = (struct cb_extent){first, count};
    }
    return 0;
}

bool cb_slots_reserve(struct cb_slots *s, void *(*alloc)(void *, size_t),
                      void (*release)(void *, void *, size_t), void *cookie, size_t *meta)
{
    /* Extents are separated by taken ranges, so there are at most ranges + 1 of them:
     * with room for ranges + 2 a take, and every later give, fits without allocating. */
    if (s->ranges + 2 <= s->cap) {
        return true;
    }
    struct cb_extent *ext = alloc(cookie, 2 * s->cap * sizeof(*ext));
    if (!ext) {
        return false;
    }
    memcpy(ext, s->ext, s->n * sizeof(*ext));
    release(cookie, s->ext, s->cap * sizeof(*ext));
    *meta += s->cap * sizeof(*ext);
    s->ext = ext;
    s->cap *= 2;
    return true;
}

uintptr_t cb_slots_take(struct cb_slots *s, unsigned order)
{
    uintptr_t size = (uintptr_t)1 << order;
    for (size_t i = 0; i < s->n; i++) {
        struct cb_extent e = s->ext[i];
        uintptr_t at = (e.start + size - 1) & ~(size - 1);
        if (at < e.start || at - e.start + size > e.len) {
            continue;
        }
        uintptr_t before = at - e.start, after = e.len - before - size;
        if (before && after) {
            memmove(&s->ext[i + 2], &s->ext[i + 1], (s->n - i - 1) * sizeof(*s->ext));
            s->ext[i] = (struct cb_extent){e.start, before};
            s->ext[i + 1] = (struct cb_extent){at + size, after};
            s->n++;
        } else if (before) {
            s->ext[i].len = before;
        } else if (after) {
            s->ext[i] = (struct cb_extent){at + size, after};
        } else {
            memmove(&s->ext[i], &s->ext[i + 1], (s->n - i - 1) * sizeof(*s->ext));
            s->n--;
        }
        s->used += size;
        s->ranges++;
        return at;
    }
    return (uintptr_t)-1;
}

void cb_slots_give(struct cb_slots *s, uintptr_t first, unsigned order)
{
    uintptr_t size = (uintptr_t)1 << order;
    size_t i = 0;
    while (i < s->n && s->ext[i].start < first) {
        i++;
    }
    bool join_prev = i > 0 && s->ext[i - 1].start + s->ext[i - 1].len == first;
    bool join_next = i < s->n && first + size == s->ext[i].start;
    if (join_prev && join_next) {
        s->ext[i - 1].len += size + s->ext[i].len;
        memmove(&s->ext[i], &s->ext[i + 1], (s->n - i - 1) * sizeof(*s->ext));
        s->n--;
    } else if (join_prev) {
        s->ext[i - 1].len += size;
    } else if (join_next) {
        s->ext[i].start = first;
        s->ext[i].len += size;
    } else {
        memmove(&s->ext[i + 1], &s->ext[i], (s->n - i) * sizeof(*s->ext));
        s->ext[i] = (struct cb_extent){first, size};
        s->n++;
    }
    s->used -= size;
    s->ranges--;
}

void cb_slots_fini(struct cb_slots *s, void (*release)(void *, void *, size_t), void *cookie,
                   size_t *meta)
{
    if (s->ext) {
        release(cookie, s->ext, s->cap * sizeof(*s->ext));
        *meta -= s->cap * sizeof(*s->ext);
    }
    s->ext = NULL;
}
