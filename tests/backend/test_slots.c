/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The slot window (src/backend/slots.c) on its own: ranges aligned to their size, taken
 * first-fit, given back and merged with their neighbours, the extent array grown only by
 * cb_slots_reserve, every byte of metadata accounted for. Checked against a bitmap of the
 * window's slots.
 */
#include <stdlib.h>
#include <string.h>

#include "cbtest.h"
#include "slots.h"

static size_t hook_outstanding;

static void *hook_alloc(void *cookie, size_t bytes)
{
    (void)cookie;
    hook_outstanding += bytes;
    return malloc(bytes);
}

static void hook_free(void *cookie, void *ptr, size_t bytes)
{
    (void)cookie;
    hook_outstanding -= bytes;
    free(ptr);
}

#define FIRST 4096u
#define COUNT 8192u

static unsigned char used[COUNT];

/* The extents are sorted, apart (never touching), inside the window, and exactly the slots
 * the reference says are free. */
static void check_against(const struct cb_slots *s)
{
    uintptr_t free_slots = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct cb_extent *e = &s->ext[i];
        CBT_CHECK(e->len > 0 && e->start >= FIRST && e->start + e->len <= FIRST + COUNT);
        if (i > 0) {
            CBT_CHECK(s->ext[i - 1].start + s->ext[i - 1].len < e->start);
        }
        for (uintptr_t a = e->start; a < e->start + e->len; a++) {
            CBT_CHECK(!used[a - FIRST]);
        }
        free_slots += e->len;
    }
    CBT_CHECK_EQ(free_slots + cb_slots_used(s), COUNT);
    CBT_CHECK(s->n <= s->cap);
}

static void take_give_merge(void)
{
    struct cb_slots s;
    size_t meta = 0;
    memset(used, 0, sizeof(used));
    CBT_CHECK_EQ(cb_slots_init(&s, FIRST, COUNT, hook_alloc, NULL, &meta), 0);
    CBT_CHECK_EQ(meta, cb_slots_meta_bytes(&s));
    uintptr_t at[64];
    unsigned order[64], n = 0;
    /* Mixed sizes until the window is full. */
    for (unsigned i = 0; n < 64; i++) {
        unsigned o = (i * 7) % 11;
        CBT_CHECK(cb_slots_reserve(&s, hook_alloc, hook_free, NULL, &meta));
        uintptr_t a = cb_slots_take(&s, o);
        if (a == (uintptr_t)-1) {
            if (o == 0) {
                break;
            }
            continue;
        }
        CBT_CHECK_EQ(a & (((uintptr_t)1 << o) - 1), 0); /* aligned to its size */
        for (uintptr_t k = a; k < a + ((uintptr_t)1 << o); k++) {
            CBT_CHECK(!used[k - FIRST]);
            used[k - FIRST] = 1;
        }
        at[n] = a;
        order[n++] = o;
        check_against(&s);
    }
    CBT_CHECK_EQ(cb_slots_ranges(&s), n);
    /* Give back every other range, then the rest: merges leave one extent. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = pass; i < n; i += 2) {
            cb_slots_give(&s, at[i], order[i]);
            memset(&used[at[i] - FIRST], 0, (size_t)1 << order[i]);
            check_against(&s);
        }
    }
    CBT_CHECK_EQ(s.n, 1);
    CBT_CHECK_EQ(cb_slots_used(&s), 0);
    CBT_CHECK_EQ(cb_slots_ranges(&s), 0);
    CBT_CHECK_EQ(meta, cb_slots_meta_bytes(&s));
    CBT_CHECK_EQ(meta, hook_outstanding);
    cb_slots_fini(&s, hook_free, NULL, &meta);
    CBT_CHECK_EQ(meta, 0);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* A range that fits nowhere is refused and changes nothing; an empty window has no slot. */
static void refusals(void)
{
    struct cb_slots s;
    size_t meta = 0;
    CBT_CHECK_EQ(cb_slots_init(&s, 1000, 1000, hook_alloc, NULL, &meta), 0);
    /* 1000 slots from 1000: no aligned run of 1024 fits; one of 512 does, at 1024. */
    CBT_CHECK(cb_slots_take(&s, 10) == (uintptr_t)-1);
    CBT_CHECK_EQ(cb_slots_used(&s), 0);
    CBT_CHECK_EQ(cb_slots_take(&s, 9), 1024);
    CBT_CHECK(cb_slots_take(&s, 9) == (uintptr_t)-1);
    CBT_CHECK_EQ(cb_slots_take(&s, 3), 1000);
    CBT_CHECK_EQ(cb_slots_ranges(&s), 2);
    cb_slots_give(&s, 1024, 9);
    cb_slots_give(&s, 1000, 3);
    CBT_CHECK_EQ(s.n, 1);
    CBT_CHECK_EQ(s.ext[0].start, 1000);
    CBT_CHECK_EQ(s.ext[0].len, 1000);
    cb_slots_fini(&s, hook_free, NULL, &meta);

    CBT_CHECK_EQ(cb_slots_init(&s, 0, 0, hook_alloc, NULL, &meta), 0);
    CBT_CHECK(cb_slots_take(&s, 0) == (uintptr_t)-1);
    cb_slots_fini(&s, hook_free, NULL, &meta);
    CBT_CHECK_EQ(meta, 0);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

/* The extent array grows only in cb_slots_reserve, and a failed hook leaves it as it was. */
static void reserve_grows(void)
{
    struct cb_slots s;
    size_t meta = 0;
    CBT_CHECK_EQ(cb_slots_init(&s, 0, 1u << 16, hook_alloc, NULL, &meta), 0);
    size_t cap0 = s.cap;
    /* The reserve keeps room for ranges + 2 extents (a take splits one extent in two at
     * most): single slots, one range each, make it grow. */
    for (unsigned i = 0; i < 4 * cap0; i++) {
        CBT_CHECK(cb_slots_reserve(&s, hook_alloc, hook_free, NULL, &meta));
        size_t cap = s.cap;
        CBT_CHECK(cb_slots_take(&s, 0) != (uintptr_t)-1);
        CBT_CHECK_EQ(s.cap, cap);
        CBT_CHECK(s.n <= s.ranges + 1);
    }
    CBT_CHECK(s.cap > cap0);
    CBT_CHECK_EQ(meta, cb_slots_meta_bytes(&s));
    CBT_CHECK_EQ(meta, hook_outstanding);
    cb_slots_fini(&s, hook_free, NULL, &meta);
    CBT_CHECK_EQ(meta, 0);
    CBT_CHECK_EQ(hook_outstanding, 0);
}

int main(void)
{
    CBT_RUN(take_give_merge);
    CBT_RUN(refusals);
    CBT_RUN(reserve_grows);
    return cbtest_finish();
}
