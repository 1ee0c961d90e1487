/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The runner: plays an operation list against one allocator in a fresh model world.
 *
 * Each (workload, allocator, policy) is run 1 + repeats times, every time in a newly booted
 * world:
 * - the checked run verifies as it goes: every frame handed out is looked up in the kernel
 *   model (Page_GetAddress on its cap, a probe whose calls are subtracted from the counts)
 *   and marked in a bitmap by physical address, so a frame handed to two live blocks is
 *   caught whatever the allocator's own books say; the allocator's check and the model's
 *   integrity walk run periodically and at the end; tear-down must bring the model's
 *   accounting (caps, objects, untyped bytes, slots) back to its values after boot;
 * - the timed runs do nothing between allocator calls but step through the list, and time
 *   the whole loop: user time is wall time of the allocator calls, the model's work for
 *   their kernel invocations included (on the host the "kernel" is a C function). Their
 *   kernel-call counts must equal the checked run's (determinism), and their end state is
 *   checked and torn down the same way.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <sel4runtime.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(CONFIG_ARCH_X86) && !defined(CONFIG_ARCH_ARM)
#error "capbuddy-bench: unsupported architecture"
#endif

/* ---- the operation list ---------------------------------------------------------------- */

void ops_init(struct bench_oplist *l)
{
    memset(l, 0, sizeof(*l));
}

void ops_fini(struct bench_oplist *l)
{
    free(l->v);
    memset(l, 0, sizeof(*l));
}

struct bench_op *ops_push(struct bench_oplist *l, enum bench_op_kind kind)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct bench_op *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            fprintf(stderr, "capbuddy-bench: out of host memory\n");
            exit(1);
        }
        l->v = v;
        l->cap = cap;
    }
    struct bench_op *op = &l->v[l->n++];
    memset(op, 0, sizeof(*op));
    op->kind = (uint8_t)kind;
    return op;
}

uint32_t ops_alloc(struct bench_oplist *l, unsigned order, uint32_t frames, unsigned flags,
                   uint64_t paddr)
{
    struct bench_op *op = ops_push(l, OP_ALLOC);
    op->order = (uint8_t)order;
    op->frames = frames;
    op->flags = (uint8_t)flags;
    op->paddr = paddr;
    op->id = l->nblocks++;
    return op->id;
}

void ops_free(struct bench_oplist *l, uint32_t id)
{
    ops_push(l, OP_FREE)->id = id;
}

void ops_free_rest(struct bench_oplist *l)
{
    uint8_t *live = calloc(l->nblocks ? l->nblocks : 1, 1);
    if (!live) {
        exit(1);
    }
    size_t n = l->n;
    for (size_t i = 0; i < n; i++) {
        if (l->v[i].kind == OP_ALLOC) {
            live[l->v[i].id] = 1;
        } else if (l->v[i].kind == OP_FREE) {
            live[l->v[i].id] = 0;
        }
    }
    for (uint32_t id = 0; id < l->nblocks; id++) {
        if (live[id]) {
            ops_free(l, id);
        }
    }
    free(live);
}

static uint64_t op_units(const struct bench_op *op, bool rounded)
{
    if (op->flags & BLK_LARGE) {
        return (uint64_t)1 << op->order;
    }
    return rounded ? (uint64_t)1 << op->order : op->frames;
}

void ops_peak(const struct bench_oplist *l, uint64_t *peak_runs, uint64_t *peak_frames,
              uint64_t *paddr_end)
{
    /* Walk with a per-block table of the sizes, so frees know what they give back. */
    struct sz {
        uint32_t runs, frames;
    } *sz = calloc(l->nblocks ? l->nblocks : 1, sizeof(*sz));
    if (!sz) {
        exit(1);
    }
    uint64_t runs = 0, frames = 0, pr = 0, pf = 0, end = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            sz[op->id].runs = (uint32_t)op_units(op, true);
            sz[op->id].frames = (uint32_t)op_units(op, false);
            runs += sz[op->id].runs;
            frames += sz[op->id].frames;
            pr = runs > pr ? runs : pr;
            pf = frames > pf ? frames : pf;
            if (op->flags & BLK_AT) {
                uint64_t e = op->paddr + (op_units(op, true) << seL4_PageBits);
                end = e > end ? e : end;
            }
        } else if (op->kind == OP_FREE) {
            runs -= sz[op->id].runs;
            frames -= sz[op->id].frames;
            sz[op->id].runs = sz[op->id].frames = 0;
        }
    }
    free(sz);
    *peak_runs = pr;
    *peak_frames = pf;
    *paddr_end = end;
}

/* ---- small helpers --------------------------------------------------------------------- */

bool bench_small_host(void)
{
    return sizeof(void *) < 8;
}

void bench_fail(bool *ok, char *why, size_t len, const char *fmt, ...)
{
    if (*ok) {
        va_list ap;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above; analyzer bug
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    *ok = false;
}

#define fail(r, ...) bench_fail(&(r)->ok, (r)->why, sizeof((r)->why), __VA_ARGS__)

static unsigned ceil_log2(uint64_t x)
{
    unsigned b = 0;
    while (b < 63 && ((uint64_t)1 << b) < x) {
        b++;
    }
    return b;
}

/* ---- the world ------------------------------------------------------------------------- */

/* --maintain N and --retain N for the run in progress (bench_run sets them): maintenance
 * every N calls; CapBuddy's retain_ops (-1: the library's default). */
static long maintain_every;
static long retain_ops = -1, max_overhead = -1;
/* --prepare: frames to make pools for before the list's first call (0: off) */
static uint64_t prepare_frames;

struct world {
    struct bench_env env;
    struct sel4host_account boot;
    uint64_t ram_paddr, ram_bytes;
    void *st;
};

struct sizing {
    uint64_t ram_bytes;
    unsigned cnode_bits;
};

/*
 * RAM: three times the peak of live frames plus 128 MiB (CapBuddy's pools may hold more
 * than the live frames, the parent's split pieces are power-of-two aligned, and the bottom
 * of RAM is reserved at boot); the model keeps no memory for RAM that is never written, so
 * generous costs nothing. Slots: the root CNode's halves (parent's range and CapBuddy's
 * window) each hold 4x the peak.
 */
static int size_world(const struct bench_spec *spec, struct sizing *sz, char *why, size_t whylen)
{
    uint64_t pr, pf, end;
    ops_peak(spec->ops, &pr, &pf, &end);
    uint64_t need = pr > pf ? pr : pf;
    uint64_t ram = spec->ram_bytes;
    if (!ram) {
        ram = 3 * (need << seL4_PageBits) + (128ull << 20);
        if (end + (64ull << 20) > ram) {
            ram = end + (64ull << 20);
        }
        ram = (ram + (64ull << 20) - 1) & ~((64ull << 20) - 1);
    }
    // cppcheck-suppress knownConditionTrueFalse ; depends on the host (32- or 64-bit)
    if (bench_small_host()) {
        if ((need << seL4_PageBits) > (3ull << 30) || spec->ram_bytes > 0xe0000000ull) {
            snprintf(why, whylen, "skipped on a 32-bit host: needs %llu MiB of modelled RAM",
                     (unsigned long long)(((spec->ram_bytes ? spec->ram_bytes : need << 12)) >> 20));
            return -1;
        }
        if (ram > 0xe0000000ull) {
            ram = 0xe0000000ull;
        }
    }
    unsigned bits = spec->cnode_bits;
    if (!bits) {
        bits = ceil_log2(need) + 3;
        bits = bits < 16 ? 16 : bits;
    }
    if (bits > 28) {
        snprintf(why, whylen, "skipped: needs a root CNode of 2^%u slots (model limit 2^28)", bits);
        return -1;
    }
    sz->ram_bytes = ram;
    sz->cnode_bits = bits;
    return 0;
}

static int world_up(struct world *w, const struct sizing *sz, const struct bench_allocator *a,
                    int policy, long spare_pools, struct bench_result *r)
{
    memset(w, 0, sizeof(*w));
    struct sel4host_config hc;
    sel4host_config_default(&hc);
    hc.ram_bytes = sz->ram_bytes;
    hc.root_cnode_bits = sz->cnode_bits;
    /* fan_out_limit stays the stock kernel's (256), as the goals ask. */
    if (sel4host_boot(&hc) != seL4_NoError) {
        fail(r, "boot of %llu MiB RAM, 2^%u slots refused", (unsigned long long)(sz->ram_bytes >> 20),
             sz->cnode_bits);
        return -1;
    }
    w->ram_paddr = hc.ram_paddr;
    w->ram_bytes = hc.ram_bytes;
    const seL4_BootInfo *bi = sel4runtime_bootinfo();
    sel4host_account(&w->boot);
    seL4_Word half = (seL4_Word)1 << (sz->cnode_bits - 1);
    cb_parent_config_t pc;
    memset(&pc, 0, sizeof(pc));
    pc.bootinfo = bi;
    pc.first_slot = bi->empty.start;
    /* The baseline has no window: all empty slots are the parent's. */
    pc.end_slot = a->uses_policy ? half : bi->empty.end;
    int err = cb_parent_init(&w->env.parent, &pc);
    if (err) {
        fail(r, "parent init: %d", err);
        sel4host_shutdown();
        return -1;
    }
    cb_parent_make_vka(w->env.parent, &w->env.parent_vka);
    w->env.bi = bi;
    w->env.window_first = half;
    w->env.window_count = bi->empty.end - half;
    w->env.policy = policy;
    w->env.spare_pools = spare_pools;
    w->env.retain_ops = retain_ops;
    w->env.max_overhead = max_overhead;
    err = a->init(&w->env, &w->st);
    if (err) {
        fail(r, "%s init: %d", a->name, err);
        (void)cb_parent_teardown(w->env.parent);
        sel4host_shutdown();
        return -1;
    }
    return 0;
}

/* End-of-run checks and tear-down; fills the allocator's statistics into r when stats. */
static void world_down(struct world *w, const struct bench_allocator *a, struct bench_result *r,
                       bool stats)
{
    if (stats) {
        struct bench_astats as;
        cb_parent_stats_t ps;
        a->stats(w->st, &as);
        cb_parent_stats(w->env.parent, &ps);
        uint64_t parent_free = ps.largest_free_ram_bits >= seL4_PageBits
                                   ? (uint64_t)1 << (ps.largest_free_ram_bits - seL4_PageBits)
                                   : 0;
        r->largest_free_frames = as.largest_free_frames > parent_free ? as.largest_free_frames
                                                                      : parent_free;
        /* The parent serves every allocator (CapBuddy takes its untypeds and slots there):
         * count its metadata too, so the rows compare whole stacks. */
        r->metadata_bytes_peak = as.metadata_bytes_peak + ps.metadata_bytes_peak;
        r->pools_created = as.pools_created;
        r->pools_returned = as.pools_returned;
    }
    if (a->check(w->st)) {
        fail(r, "%s check failed at the end", a->name);
    }
    if (!cb_parent_check(w->env.parent)) {
        fail(r, "parent check failed at the end");
    }
    if (sel4host_check()) {
        fail(r, "model check: %s", sel4host_check_message());
    }
    a->fini(w->st);
    int err = cb_parent_teardown(w->env.parent);
    if (err) {
        fail(r, "parent teardown: %d", err);
    }
    char leak[160];
    if (bench_leaked(&w->boot, leak, sizeof(leak))) {
        fail(r, "%s", leak);
    }
    if (sel4host_check()) {
        fail(r, "model check after teardown: %s", sel4host_check_message());
    }
    sel4host_shutdown();
}

bool bench_leaked(const struct sel4host_account *boot, char *why, size_t len)
{
    struct sel4host_account now;
    sel4host_account(&now);
    if (now.caps_live == boot->caps_live && now.objects_live == boot->objects_live &&
        now.untyped_bytes_used == boot->untyped_bytes_used &&
        now.slots_used == boot->slots_used && now.cnodes_live == boot->cnodes_live) {
        return false;
    }
    snprintf(why, len, "leak: caps %llu->%llu objects %llu->%llu untyped bytes %llu->%llu",
             (unsigned long long)boot->caps_live, (unsigned long long)now.caps_live,
             (unsigned long long)boot->objects_live, (unsigned long long)now.objects_live,
             (unsigned long long)boot->untyped_bytes_used,
             (unsigned long long)now.untyped_bytes_used);
    return true;
}

/* ---- progress --------------------------------------------------------------------------- */

struct progress {
    bool on;
    const char *what;
    unsigned run, runs;
    size_t n;
    int last;
};

static void progress_step(struct progress *p, size_t i)
{
    int pct = (int)(100.0 * (double)i / (double)(p->n ? p->n : 1));
    if (pct != p->last) {
        p->last = pct;
        fprintf(stderr, "\r%s run %u/%u %3d%%", p->what, p->run, p->runs, pct);
    }
}

static void progress_end(struct progress *p)
{
    if (p->on) {
        fprintf(stderr, "\r%-70s\r", "");
    }
}

/* ---- the checked run ------------------------------------------------------------------- */

struct checker {
    uint64_t *bits; /* one bit per 4 KiB of RAM: handed to a live block */
    uint64_t probes;
};

/* Look up frame i of b in the kernel model and mark/unmark its 4 KiB units. */
static int check_block(struct world *w, struct checker *c, const struct bench_allocator *a,
                       const struct bench_block *b, bool set, struct bench_result *r)
{
    uint32_t n = (b->flags & BLK_LARGE) ? 1 : b->frames;
    uint64_t units = (b->flags & BLK_LARGE) ? (uint64_t)1 << b->order : 1;
    for (uint32_t i = 0; i < n; i++) {
        seL4_CPtr cptr = a->frame(w->st, b, i);
        c->probes++;
#if defined(CONFIG_ARCH_X86)
        seL4_X86_Page_GetAddress_t ga = seL4_X86_Page_GetAddress(cptr);
#else
        seL4_ARM_Page_GetAddress_t ga = seL4_ARM_Page_GetAddress(cptr);
#endif
        if (ga.error != seL4_NoError) {
            fail(r, "block frame %u (cptr %lu) is not a frame cap", i, (unsigned long)cptr);
            return -1;
        }
        uint64_t pa = (uint64_t)ga.paddr;
        if (pa < w->ram_paddr || pa + (units << seL4_PageBits) > w->ram_paddr + w->ram_bytes) {
            fail(r, "frame at 0x%llx is outside RAM", (unsigned long long)pa);
            return -1;
        }
        uint64_t first = (pa - w->ram_paddr) >> seL4_PageBits;
        for (uint64_t u = first; u < first + units; u++) {
            uint64_t m = (uint64_t)1 << (u & 63);
            bool was = (c->bits[u >> 6] & m) != 0;
            if (set && was) {
                fail(r, "frame at 0x%llx handed out twice", (unsigned long long)u << 12);
                return -1;
            }
            if (!set && !was) {
                fail(r, "freeing frame at 0x%llx that was not handed out",
                     (unsigned long long)u << 12);
                return -1;
            }
            c->bits[u >> 6] ^= m;
        }
    }
    return 0;
}

static void snapshot(struct bench_result *r, uint64_t probes)
{
    r->calls_total = 0;
    for (unsigned k = 0; k < SEL4HOST_INV_COUNT; k++) {
        r->calls[k] = sel4host_count((enum sel4host_inv)k);
    }
    /* The checker's own lookups are not the allocator's. */
    r->calls[SEL4HOST_PAGE_GET_ADDRESS] -= probes;
    for (unsigned k = 0; k < SEL4HOST_INV_COUNT; k++) {
        r->calls_total += r->calls[k];
    }
    r->boot_clear = sel4host_boot_clear_instructions();
    r->instructions = sel4host_modelled_instructions() - r->boot_clear -
                      probes * sel4host_cost_of(SEL4HOST_PAGE_GET_ADDRESS)->base;
}

static void init_blocks(struct bench_block *blocks, const struct bench_oplist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            struct bench_block *b = &blocks[op->id];
            memset(b, 0, sizeof(*b));
            b->order = op->order;
            b->flags = op->flags;
            b->frames = op->frames;
            b->want = op->frames;
        }
    }
}


static bool maintain_due(const struct bench_allocator *a, size_t i)
{
    return maintain_every > 0 && a->maintain && i % (size_t)maintain_every ==
                                                    (size_t)maintain_every - 1;
}

/* --prepare peak: the most frames the list holds live at once, as the allocator takes them
 * (CapBuddy: 2^order frames a block; a per-frame allocator: the frames asked for). Large
 * pages are left out: they never come from pools. */
static uint64_t list_peak_frames(const struct bench_oplist *l, const struct bench_allocator *a)
{
    uint64_t *held = calloc(l->nblocks ? l->nblocks : 1, sizeof(*held));
    uint64_t live = 0, peak = 0;
    for (size_t i = 0; held && i < l->n; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC && !(op->flags & BLK_LARGE)) {
            held[op->id] = a->per_frame ? op->frames : (uint64_t)1 << op->order;
            live += held[op->id];
            peak = live > peak ? live : peak;
        } else if (op->kind == OP_FREE) {
            live -= held[op->id];
            held[op->id] = 0;
        }
    }
    free(held);
    return peak;
}

/* Kernel instructions of the calls so far, the one-time boot clearing left out. */
static uint64_t steady_instructions(void)
{
    return sel4host_modelled_instructions() - sel4host_boot_clear_instructions();
}

/* capbuddy_prepare for --prepare, at the start of the list: right after the counters are
 * reset for the counted window when that starts with the list (so its work counts in the
 * totals, in both the checked and the timed runs), else before the set-up (part of it).
 * Records its kernel instructions in r (the checked run); false (and the run failed) on an
 * error. */
static bool prepare(const struct bench_allocator *a, void *st, struct bench_result *r)
{
    uint64_t k0 = steady_instructions();
    int err = a->prepare(st, (unsigned long)prepare_frames);
    if (r) {
        r->prepare_instr = steady_instructions() - k0;
        if (err) {
            fail(r, "%s: prepare(%llu frames) failed: %d", a->name,
                 (unsigned long long)prepare_frames, err);
        }
    }
    return err == 0;
}

/* Kernel instructions of each allocator call of the checked run: one per capbuddy_alloc or
 * capbuddy_free, and for a per-frame allocator one per vka call (a block of n frames is n
 * calls; vka_blocks reports them through bench_call_begin/end). Saturates at 2^32 - 1. */
static struct {
    uint32_t *v;
    size_t n, cap;
    bool on;  /* recording: the counted window, steady state */
    bool oom; /* the host ran out of memory for it */
} calls;

static void calls_push(uint64_t instr)
{
    if (calls.n == calls.cap) {
        size_t cap = calls.cap ? 2 * calls.cap : 4096;
        uint32_t *v = realloc(calls.v, cap * sizeof(*v));
        if (!v) {
            calls.oom = true;
            return;
        }
        calls.v = v;
        calls.cap = cap;
    }
    calls.v[calls.n++] = instr > UINT32_MAX ? UINT32_MAX : (uint32_t)instr;
}

uint64_t bench_call_begin(void)
{
    return steady_instructions();
}

void bench_call_end(uint64_t begin)
{
    if (calls.on) {
        calls_push(steady_instructions() - begin);
    }
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Most and 99.9th percentile (nearest rank) of the per-call figures; empties the log. */
static void per_op_tail(struct bench_result *r)
{
    r->instr_max_per_op = r->instr_p999_per_op = 0;
    if (calls.oom) {
        fail(r, "out of host memory for the per-call figures");
    } else if (calls.n > 0) {
        qsort(calls.v, calls.n, sizeof(*calls.v), cmp_u32);
        size_t rank = (calls.n * 999 + 999) / 1000; /* ceil(0.999 n), 1-based */
        r->instr_p999_per_op = calls.v[rank - 1];
        r->instr_max_per_op = calls.v[calls.n - 1];
    }
    free(calls.v);
    memset(&calls, 0, sizeof(calls));
}

static void checked_run(const struct bench_spec *spec, const struct sizing *sz,
                        const struct bench_allocator *a, int policy, long spare,
                        struct bench_block *blocks,
                        struct bench_result *r, struct progress *pg)
{
    struct world w;
    if (world_up(&w, sz, a, policy, spare, r)) {
        return;
    }
    struct checker c = {0};
    c.bits = calloc((size_t)((w.ram_bytes >> seL4_PageBits) / 64 + 1), sizeof(uint64_t));
    if (!c.bits) {
        fail(r, "out of host memory for the frame bitmap");
        world_down(&w, a, r, false);
        return;
    }
    const struct bench_oplist *l = spec->ops;
    init_blocks(blocks, l);
    /* The allocator's own check is O(pools): run it about 64 times over the list. */
    size_t check_every = l->n / 64 + 1;
    size_t end = spec->timed_to ? spec->timed_to : l->n;
    bool counting = true;
    uint64_t used = 0;
    if (spec->samples) {
        r->samples = calloc(BENCH_MAX_SAMPLES, sizeof(*r->samples));
    }
    bool steady = maintain_every == 0 || !a->maintain;
    if (prepare_frames) {
        /* made ahead, before the first call: per-call figures from the first call on */
        steady = spec->timed_from == 0 || prepare(a, w.st, r);
    }
    sel4host_counters_reset();
    for (size_t i = 0; i < l->n && r->ok; i++) {
        const struct bench_op *op = &l->v[i];
        if (i == spec->timed_from) {
            sel4host_counters_reset();
            c.probes = 0;
            calls.n = 0;
            if (prepare_frames && spec->timed_from == 0) {
                (void)prepare(a, w.st, r);
            }
            r->maintain_instr = 0;
            r->frames_allocated = r->frames_wasted = r->alloc_failures = 0;
        }
        if (i == end) {
            snapshot(r, c.probes);
            counting = false;
        }
        if (pg->on && (i & 0x3ff) == 0) {
            progress_step(pg, i);
        }
        struct bench_block *b = &blocks[op->id];
        if (op->kind == OP_ALLOC) {
            calls.on = counting && steady && a->per_frame; /* vka_blocks: per vka call */
            uint64_t k0 = bench_call_begin();
            int err = a->alloc(w.st, b, op->paddr);
            calls.on = counting && steady && !a->per_frame;
            bench_call_end(k0);
            calls.on = false;
            if (err) {
                b->failed = 1;
                r->alloc_failures++;
                if (op->line) {
                    r->trace_errors++;
                    fprintf(stderr, "line %u: alloc %u frames%s failed (%d)\n", op->line,
                            1u << op->order, (op->flags & BLK_AT) ? " at paddr" : "", err);
                    if (spec->strict) {
                        fail(r, "line %u: alloc failed (--strict)", op->line);
                    }
                } else {
                    fail(r, "alloc of %u frames failed: %d", op->frames, err);
                }
                continue;
            }
            b->live = 1;
            uint64_t got = (op->flags & BLK_LARGE) ? (uint64_t)1 << op->order : b->frames;
            if (counting) {
                r->frames_allocated += got;
                r->frames_wasted += got - ((op->flags & BLK_LARGE) ? got : op->frames);
            }
            used += op->frames;
            (void)check_block(&w, &c, a, b, true, r);
        } else if (op->kind == OP_FREE) {
            if (b->failed) {
                if (op->line) {
                    fprintf(stderr, "line %u: free of block %u skipped: its alloc failed\n",
                            op->line, op->id);
                    r->trace_errors++;
                }
                continue;
            }
            if (check_block(&w, &c, a, b, false, r)) {
                break;
            }
            calls.on = counting && steady && a->per_frame;
            uint64_t k0 = bench_call_begin();
            int err = a->free(w.st, b);
            calls.on = counting && steady && !a->per_frame;
            bench_call_end(k0);
            calls.on = false;
            if (err) {
                fail(r, "free of block %u refused: %d", op->id, err);
            }
            b->live = 0;
            used -= b->want;
        } else if (op->kind == OP_MARK && r->samples && r->nsamples < BENCH_MAX_SAMPLES) {
            struct bench_astats as;
            a->stats(w.st, &as);
            r->samples[r->nsamples++] = (struct bench_sample){op->id, used, as.frames_held};
        }
        if (spec->sample_every && op->kind != OP_MARK && (i + 1) % spec->sample_every == 0 &&
            r->samples && r->nsamples < BENCH_MAX_SAMPLES) {
            struct bench_astats as;
            a->stats(w.st, &as);
            r->samples[r->nsamples++] =
                (struct bench_sample){(uint32_t)(i + 1), used, as.frames_held};
        }
        if (maintain_due(a, i)) {
            uint64_t k0 = steady_instructions();
            steady = true; /* per-call figures from the first maintenance on */
            if (a->maintain(w.st)) {
                fail(r, "%s maintenance failed after op %zu", a->name, i);
            }
            if (counting) {
                r->maintain_instr += steady_instructions() - k0;
            }
        }
        if (i % check_every == check_every - 1 && a->check(w.st)) {
            fail(r, "%s check failed after op %zu", a->name, i);
        }
    }
    if (counting) {
        snapshot(r, c.probes);
    }
    per_op_tail(r);
    free(c.bits);
    world_down(&w, a, r, true);
}

/* One timed run; returns ns of the allocator calls, counts into *calls. */
static uint64_t timed_run(const struct bench_spec *spec, const struct sizing *sz,
                          const struct bench_allocator *a, int policy, long spare,
                          struct bench_block *blocks,
                          struct bench_result *r, struct bench_result *counts,
                          struct progress *pg)
{
    struct world w;
    if (world_up(&w, sz, a, policy, spare, r)) {
        return 0;
    }
    const struct bench_oplist *l = spec->ops;
    init_blocks(blocks, l);
    /* Set-up first (not timed), then the timed part with nothing but allocator calls. */
    if (prepare_frames && spec->timed_from > 0) {
        (void)prepare(a, w.st, NULL); /* part of the set-up */
    }
    for (size_t i = 0; i < spec->timed_from; i++) {
        const struct bench_op *op = &l->v[i];
        if (op->kind == OP_ALLOC) {
            (void)a->alloc(w.st, &blocks[op->id], op->paddr);
        } else if (op->kind == OP_FREE) {
            (void)a->free(w.st, &blocks[op->id]);
        }
        if (maintain_due(a, i)) {
            (void)a->maintain(w.st);
        }
    }
    sel4host_counters_reset();
    const struct bench_op *v = l->v;
    size_t n = spec->timed_to ? spec->timed_to : l->n;
    bool strict = spec->strict, prog = pg->on;
    uint64_t t0 = bench_now_ns();
    if (prepare_frames && spec->timed_from == 0) {
        (void)prepare(a, w.st, NULL); /* the checked run saw it work */
    }
    for (size_t i = spec->timed_from; i < n; i++) {
        const struct bench_op *op = &v[i];
        struct bench_block *b = &blocks[op->id];
        if (op->kind == OP_ALLOC) {
            if (a->alloc(w.st, b, op->paddr)) {
                b->failed = 1;
                if (strict) {
                    break;
                }
            }
        } else if (op->kind == OP_FREE) {
            if (!b->failed) {
                (void)a->free(w.st, b);
            }
        }
        if (maintain_due(a, i)) {
            (void)a->maintain(w.st); /* the checked run saw it succeed */
        }
        if (prog && (i & 0x3ff) == 0) {
            progress_step(pg, i); /* one branch per call when off; a division per 1024 when on */
        }
    }
    uint64_t ns = bench_now_ns() - t0;
    snapshot(counts, 0);
    for (size_t i = n; i < l->n; i++) {
        const struct bench_op *op = &v[i];
        if (op->kind == OP_FREE && !blocks[op->id].failed) {
            (void)a->free(w.st, &blocks[op->id]);
        }
    }
    world_down(&w, a, r, false);
    return ns;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

void bench_run(const struct bench_spec *spec, const struct bench_allocator *a, int policy,
               const struct bench_opts *o, struct bench_result *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->workload, sizeof(r->workload), "%s", spec->workload);
    snprintf(r->phase, sizeof(r->phase), "%s", spec->phase ? spec->phase : "");
    snprintf(r->allocator, sizeof(r->allocator), "%s", a->name);
    snprintf(r->policy, sizeof(r->policy), "%s", a->uses_policy ? report_policy_name(policy) : "none");
    r->seed = o->seed;
    maintain_every = a->uses_policy ? o->maintain_every : 0;
    retain_ops = o->retain_ops;
    max_overhead = o->max_overhead;
    r->maintain_every = maintain_every;
    prepare_frames = 0;
    if (a->uses_policy && a->prepare && o->prepare) {
        prepare_frames = o->prepare == BENCH_PREPARE_PEAK ? list_peak_frames(spec->ops, a)
                                                          : (uint64_t)o->prepare;
    }
    r->prepare_frames = prepare_frames;
    r->pools = spec->pools;
    r->spare_pools = a->uses_policy ? o->spare_pools : -1;
    r->ok = true;

    const struct bench_oplist *l = spec->ops;
    r->trace_errors = spec->trace_errors;
    for (size_t i = spec->timed_from; i < (spec->timed_to ? spec->timed_to : l->n); i++) {
        r->ops += l->v[i].kind != OP_MARK;
    }
    bool large = false;
    for (size_t i = 0; i < l->n && !large; i++) {
        large = (l->v[i].flags & BLK_LARGE) != 0;
    }
    if (large && !a->has_large) {
        r->skipped = true;
        snprintf(r->note, sizeof(r->note), "pools hold 4 KiB frames only: no large pages");
        return;
    }
    struct sizing sz;
    if (size_world(spec, &sz, r->note, sizeof(r->note))) {
        r->skipped = true;
        return;
    }
    struct bench_block *blocks = calloc(l->nblocks ? l->nblocks : 1, sizeof(*blocks));
    if (!blocks) {
        fail(r, "out of host memory");
        return;
    }
    char what[96];
    snprintf(what, sizeof(what), "%s%s%s %s/%s", spec->workload, r->phase[0] ? " " : "", r->phase,
             r->allocator, r->policy);
    /* Progress only for runs long enough to wonder about: many calls or many frames. */
    uint64_t work = 0;
    for (size_t i = 0; i < l->n; i++) {
        work += l->v[i].kind == OP_ALLOC ? l->v[i].frames : 1;
    }
    struct progress pg = {o->progress && work >= 2000000, what, 1, 1 + o->repeats, l->n, -1};
    checked_run(spec, &sz, a, policy, o->spare_pools, blocks, r, &pg);

    double ns[64];
    unsigned reps = o->repeats < 64 ? o->repeats : 64;
    // cppcheck-suppress knownConditionTrueFalse ; checked_run() may clear r->ok through r
    for (unsigned k = 0; k < reps && r->ok; k++) {
        struct bench_result counts;
        memset(&counts, 0, sizeof(counts));
        pg.run = k + 2;
        pg.last = -1;
        uint64_t t = timed_run(spec, &sz, a, policy, o->spare_pools, blocks, r, &counts, &pg);
        ns[k] = r->ops ? (double)t / (double)r->ops : 0;
        if (memcmp(counts.calls, r->calls, sizeof(r->calls)) || counts.instructions != r->instructions ||
            counts.boot_clear != r->boot_clear) {
            fail(r, "repeat %u made %llu kernel calls, the checked run %llu: not deterministic",
                 k + 1, (unsigned long long)counts.calls_total,
                 (unsigned long long)r->calls_total);
        }
        r->repeats = k + 1;
    }
    progress_end(&pg);
    if (r->repeats) {
        qsort(ns, r->repeats, sizeof(ns[0]), cmp_double);
        r->ns_min = ns[0];
        r->ns_max = ns[r->repeats - 1];
        r->ns_per_op = r->repeats % 2 ? ns[r->repeats / 2]
                                      : (ns[r->repeats / 2 - 1] + ns[r->repeats / 2]) / 2;
    }
    free(blocks);
}

void bench_results_free(struct bench_result *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].samples);
    }
    free(rows);
}

int bench_run_all(const struct bench_spec *spec, const struct bench_opts *o,
                  struct bench_result **rows_out, size_t *nrows_out)
{
    static const struct bench_allocator *const all[] = {&bench_alloc_capbuddy, &bench_alloc_vka,
                                                        &bench_alloc_baseline};
    static const unsigned sel[] = {AL_CAPBUDDY, AL_VKA, AL_BASELINE};
    static const int pols[] = {CAPBUDDY_POLICY_TRUST, CAPBUDDY_POLICY_REVOKE, CAPBUDDY_POLICY_SCRUB};
    static const unsigned polsel[] = {POL_TRUST, POL_REVOKE, POL_SCRUB};
    struct bench_result *rows = calloc(16, sizeof(*rows));
    size_t n = 0;
    int bad = 0;
    if (!rows) {
        return 1;
    }
    for (unsigned i = 0; i < 3; i++) {
        if (!(o->allocators & sel[i])) {
            continue;
        }
        for (unsigned p = 0; p < 3; p++) {
            if (all[i]->uses_policy ? !(o->policies & polsel[p]) : p > 0) {
                continue;
            }
            struct bench_result *r = &rows[n++];
            bench_run(spec, all[i], pols[p], o, r);
            bad += !r->ok;
            if (o->json) {
                report_json(stdout, r);
                fflush(stdout);
            }
            if (o->json_out) {
                report_json(o->json_out, r);
                fflush(o->json_out);
            }
        }
    }
    if (!o->json && spec->pools < 0) {
        report_table(stdout, rows, n);
    }
    if (rows_out) {
        *rows_out = rows;
        *nrows_out = n;
    } else {
        bench_results_free(rows, n);
    }
    return bad;
}
