/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Adapter: capbuddy-vka, unmodified vka code over CapBuddy's vka_t wrapper. Exactly the
 * baseline's calls (vka_alloc_frame per 4 KiB frame, vka_free_object per frame), but the
 * frames come from pools: per frame one slot from the parent and one CNode_Copy of the
 * pool's cap into it; per free one CNode_Delete of the copy. Large pages pass through to
 * the parent.
 */
#include "bench.h"

#include <capbuddy/capbuddy.h>
#include <capbuddy/vka_pool.h>

#include <stdlib.h>

struct vka_adapter {
    capbuddy_t *cb;
    struct capbuddy_vka wrap;
    vka_t vka;
    struct vka_blocks *vb;
};

static int va_init(const struct bench_env *env, void **st)
{
    struct vka_adapter *s = calloc(1, sizeof(*s));
    if (!s) {
        return -1;
    }
    int err = bench_capbuddy_new(env, &s->cb);
    if (err) {
        free(s);
        return err;
    }
    capbuddy_vka_make(&s->wrap, s->cb, &env->parent_vka, &s->vka);
    s->vb = vka_blocks_new(&s->vka);
    if (!s->vb) {
        capbuddy_destroy(s->cb);
        free(s);
        return -1;
    }
    *st = s;
    return 0;
}

static int va_alloc(void *st, struct bench_block *b, uint64_t paddr)
{
    return vka_blocks_alloc(((struct vka_adapter *)st)->vb, b, paddr);
}

static int va_free(void *st, struct bench_block *b)
{
    return vka_blocks_free(((struct vka_adapter *)st)->vb, b);
}

static seL4_CPtr va_frame(void *st, const struct bench_block *b, uint32_t i)
{
    (void)st;
    return vka_blocks_frame(b, i);
}

static void va_stats(void *st, struct bench_astats *out)
{
    bench_alloc_capbuddy.stats(((struct vka_adapter *)st)->cb, out);
}

static int va_check(void *st)
{
    return capbuddy_check(((struct vka_adapter *)st)->cb);
}

static void va_fini(void *st)
{
    struct vka_adapter *s = st;
    vka_blocks_delete(s->vb);
    capbuddy_destroy(s->cb);
    free(s);
}

static int va_maintain(void *st)
{
    int err = capbuddy_maintain(((struct vka_adapter *)st)->cb, UINT64_MAX, NULL);
    return err == CAPBUDDY_MORE ? 0 : err;
}

static int va_prepare(void *st, unsigned long frames)
{
    return capbuddy_prepare(((struct vka_adapter *)st)->cb, frames);
}

const struct bench_allocator bench_alloc_vka = {
    .name = "capbuddy-vka",
    .uses_policy = true,
    .per_frame = true,
    .has_large = true,
    .init = va_init,
    .alloc = va_alloc,
    .free = va_free,
    .frame = va_frame,
    .stats = va_stats,
    .check = va_check,
    .maintain = va_maintain,
    .prepare = va_prepare,
    .fini = va_fini,
};
