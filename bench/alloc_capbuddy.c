/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Adapter: CapBuddy's native API. A block of 2^k frames is one capbuddy_alloc of
 * size_bits 12 + k (the request rounded up to a power of two), one capbuddy_free.
 */
#include "bench.h"

#include <capbuddy/capbuddy.h>
#include <capbuddy/scrub.h>
#include <cbhost/parent.h>

#include <string.h>

/* A free virtual page in the initial thread's image page table (the model maps the image
 * at 0x400000 with one page table covering 0x400000-0x5fffff). */
#define SCRUB_VADDR 0x5ff000ul

/*
 * The scrub hook: the library's ready one (capbuddy_scrub_frame: map the frame at a window of
 * the vspace, clear it, unmap it; Page_Map + Page_Unmap per frame, counted like any kernel
 * call). The benchmarks never write to frames, so the clear reads first and only writes when
 * the page holds data: writing zeros would make the model back every scrubbed page with host
 * memory.
 */
static int clear_if_dirty(void *cookie, seL4_Word vaddr, size_t bytes)
{
    static uint8_t buf[4096];
    (void)cookie;
    if (bytes > sizeof(buf) ||
        sel4host_vspace_read(seL4_CapInitThreadVSpace, vaddr, buf, bytes) != seL4_NoError) {
        return -1;
    }
    for (size_t i = 0; i < bytes; i++) {
        if (buf[i] != 0) {
            memset(buf, 0, bytes);
            return sel4host_vspace_write(seL4_CapInitThreadVSpace, vaddr, buf, bytes) ==
                           seL4_NoError
                       ? 0
                       : -1;
        }
    }
    return 0;
}

static struct capbuddy_scrub_window scrub_window;

int bench_capbuddy_new(const struct bench_env *env, struct capbuddy **out)
{
    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, (vka_t *)&env->parent_vka, seL4_CapInitThreadCNode,
                            env->window_first, env->window_count);
    cfg.policy = (enum capbuddy_policy)env->policy;
    cfg.bootinfo = env->bi;
    capbuddy_scrub_window_init(&scrub_window, seL4_CapInitThreadVSpace, SCRUB_VADDR);
    scrub_window.clear = clear_if_dirty;
    cfg.scrub = capbuddy_scrub_frame;
    cfg.scrub_cookie = &scrub_window;
    if (env->spare_pools >= 0) {
        cfg.spare_pools = (unsigned)env->spare_pools;
    }
    if (env->retain_ops >= 0) {
        cfg.retain_ops = (unsigned long)env->retain_ops;
    }
    if (env->max_overhead >= 0) {
        cfg.max_overhead_pct = (unsigned)env->max_overhead;
    }
    return capbuddy_init(out, &cfg);
}

static int cb_init(const struct bench_env *env, void **st)
{
    capbuddy_t *cb;
    int err = bench_capbuddy_new(env, &cb);
    *st = err ? NULL : cb;
    return err;
}

static int cb_alloc(void *st, struct bench_block *b, uint64_t paddr)
{
    cspacepath_t path;
    int err = capbuddy_alloc(st, seL4_PageBits + b->order,
                             (b->flags & BLK_AT) ? paddr : VKA_NO_PADDR, false, &path);
    if (!err) {
        b->h = path.capPtr;
        b->frames = (uint32_t)path.window;
    }
    return err;
}

static int cb_free(void *st, struct bench_block *b)
{
    return capbuddy_free(st, (seL4_CPtr)b->h, seL4_PageBits + b->order);
}

static seL4_CPtr cb_frame(void *st, const struct bench_block *b, uint32_t i)
{
    (void)st;
    return (seL4_CPtr)b->h + i;
}

static void cb_stats(void *st, struct bench_astats *out)
{
    struct capbuddy_stats s;
    capbuddy_stats(st, &s);
    memset(out, 0, sizeof(*out));
    out->metadata_bytes_peak = s.metadata_bytes_peak;
    out->pools_created = s.pools_created;
    out->pools_returned = s.pools_returned;
    out->frames_held = s.frames_free + s.frames_used + s.frames_quarantined;
    out->largest_free_frames = s.largest_free_order >= 0 ? 1ull << s.largest_free_order : 0;
}

static int cb_check(void *st)
{
    return capbuddy_check(st);
}

static int cb_maintain(void *st)
{
    int err = capbuddy_maintain(st, UINT64_MAX, NULL);
    return err == CAPBUDDY_MORE ? 0 : err;
}

static int cb_prepare(void *st, unsigned long frames)
{
    return capbuddy_prepare(st, frames);
}

static void cb_fini(void *st)
{
    capbuddy_destroy(st);
}

const struct bench_allocator bench_alloc_capbuddy = {
    .name = "capbuddy",
    .uses_policy = true,
    .per_frame = false,
    .has_large = false,
    .init = cb_init,
    .alloc = cb_alloc,
    .free = cb_free,
    .frame = cb_frame,
    .stats = cb_stats,
    .check = cb_check,
    .maintain = cb_maintain,
    .prepare = cb_prepare,
    .fini = cb_fini,
};
