/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Adapter: the baseline, stock seL4_libs usage over the allocman-like parent. A block of n
 * frames is n vka_alloc_frame calls (each: one slot, one Untyped_Retype of a 4 KiB piece
 * split from a boot untyped, plus two Retypes per split) and n vka_free_object calls (each:
 * one CNode_Delete, the slot and the piece given back, two Deletes per buddy merge), the
 * way code that needs n frames calls vka today. A large page is one vka_alloc_frame of
 * seL4_LargePageBits.
 *
 * The vka_object_t arrays are the caller's memory, as in real code; they are recycled per
 * size class so that no malloc happens inside the timed loop once warm.
 */
#include "bench.h"

#include <cbhost/parent.h>
#include <vka/object.h>

#include <stdlib.h>
#include <string.h>

#define CLASSES 12 /* arrays of 2^0 .. 2^11 objects */

struct objarr {
    struct objarr *next;
    vka_object_t o[];
};

struct vka_blocks {
    vka_t *vka;
    struct objarr *free_list[CLASSES];
};

static unsigned class_of(uint32_t n)
{
    unsigned c = 0;
    while (((uint32_t)1 << c) < n) {
        c++;
    }
    return c;
}

struct vka_blocks *vka_blocks_new(vka_t *vka)
{
    struct vka_blocks *vb = calloc(1, sizeof(*vb));
    if (vb) {
        vb->vka = vka;
    }
    return vb;
}

static struct objarr *get_arr(struct vka_blocks *vb, unsigned c)
{
    struct objarr *a = vb->free_list[c];
    if (a) {
        vb->free_list[c] = a->next;
        return a;
    }
    return malloc(sizeof(*a) + ((size_t)1 << c) * sizeof(vka_object_t));
}

static void put_arr(struct vka_blocks *vb, struct objarr *a, unsigned c)
{
    a->next = vb->free_list[c];
    vb->free_list[c] = a;
}

int vka_blocks_alloc(struct vka_blocks *vb, struct bench_block *b, uint64_t paddr)
{
    bool large = (b->flags & BLK_LARGE) != 0;
    uint32_t n = large ? 1 : b->frames;
    unsigned c = class_of(n);
    if (c >= CLASSES) {
        return -1;
    }
    struct objarr *a = get_arr(vb, c);
    if (!a) {
        return -1;
    }
    bool at = (b->flags & BLK_AT) != 0;
    if (at && (uint64_t)(uintptr_t)paddr != paddr) {
        put_arr(vb, a, c);
        return -1; /* vka takes a uintptr_t paddr */
    }
    uint32_t i;
    int err = 0;
    for (i = 0; i < n && !err; i++) {
        uint64_t k0 = bench_call_begin();
        if (large) {
            err = at ? vka_alloc_frame_at(vb->vka, seL4_LargePageBits, (uintptr_t)paddr, &a->o[i])
                     : vka_alloc_frame(vb->vka, seL4_LargePageBits, &a->o[i]);
        } else if (at) {
            err = vka_alloc_frame_at(vb->vka, seL4_PageBits,
                                     (uintptr_t)(paddr + ((uint64_t)i << seL4_PageBits)), &a->o[i]);
        } else {
            err = vka_alloc_frame(vb->vka, seL4_PageBits, &a->o[i]);
        }
        bench_call_end(k0);
    }
    if (err) {
        /* Give back the frames of the block made so far: a failed request holds nothing. */
        for (uint32_t k = 0; k + 1 < i; k++) {
            vka_free_object(vb->vka, &a->o[k]);
        }
        put_arr(vb, a, c);
        return err;
    }
    b->h = (uintptr_t)a;
    return 0;
}

int vka_blocks_free(struct vka_blocks *vb, struct bench_block *b)
{
    struct objarr *a = (struct objarr *)b->h;
    uint32_t n = (b->flags & BLK_LARGE) ? 1 : b->frames;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k0 = bench_call_begin();
        vka_free_object(vb->vka, &a->o[i]);
        bench_call_end(k0);
    }
    put_arr(vb, a, class_of(n));
    b->h = 0;
    return 0;
}

seL4_CPtr vka_blocks_frame(const struct bench_block *b, uint32_t i)
{
    return ((const struct objarr *)b->h)->o[i].cptr;
}

void vka_blocks_delete(struct vka_blocks *vb)
{
    if (!vb) {
        return;
    }
    for (unsigned c = 0; c < CLASSES; c++) {
        while (vb->free_list[c]) {
            struct objarr *a = vb->free_list[c];
            vb->free_list[c] = a->next;
            free(a);
        }
    }
    free(vb);
}

/* ---- the baseline adapter ------------------------------------------------------------ */

struct baseline {
    vka_t vka;
    struct cb_parent *parent;
    struct vka_blocks *vb;
};

static int bl_init(const struct bench_env *env, void **st)
{
    struct baseline *s = calloc(1, sizeof(*s));
    if (!s) {
        return -1;
    }
    s->vka = env->parent_vka;
    s->parent = env->parent;
    s->vb = vka_blocks_new(&s->vka);
    if (!s->vb) {
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static int bl_alloc(void *st, struct bench_block *b, uint64_t paddr)
{
    return vka_blocks_alloc(((struct baseline *)st)->vb, b, paddr);
}

static int bl_free(void *st, struct bench_block *b)
{
    return vka_blocks_free(((struct baseline *)st)->vb, b);
}

static seL4_CPtr bl_frame(void *st, const struct bench_block *b, uint32_t i)
{
    (void)st;
    return vka_blocks_frame(b, i);
}

static void bl_stats(void *st, struct bench_astats *out)
{
    struct baseline *s = st;
    cb_parent_stats_t ps;
    cb_parent_stats(s->parent, &ps);
    memset(out, 0, sizeof(*out));
    /* No pools: what it holds is what it handed out. Its metadata is the parent's, which
     * the runner adds for every allocator. */
    out->frames_held = ps.ram_bytes_used >> seL4_PageBits;
}

static int bl_check(void *st)
{
    (void)st;
    return 0; /* the runner checks the parent itself */
}

static void bl_fini(void *st)
{
    struct baseline *s = st;
    vka_blocks_delete(s->vb);
    free(s);
}

const struct bench_allocator bench_alloc_baseline = {
    .name = "baseline",
    .uses_policy = false,
    .per_frame = true,
    .has_large = true,
    .init = bl_init,
    .alloc = bl_alloc,
    .free = bl_free,
    .frame = bl_frame,
    .stats = bl_stats,
    .check = bl_check,
    .fini = bl_fini,
};
