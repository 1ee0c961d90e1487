/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The CapBuddy self-test (see selftest.h). Each case starts a fresh allocator in the
 * window it is given, so that the stock 4096-slot root CNode (room for two pools beside
 * allocman's own slots) is enough, and ends with everything given back.
 *
 * Every allocator talks to the parent through a counting proxy vka: after each case the
 * proxy must show no slot and no untyped still out, and at the end the parent must hand
 * out as many 4 MiB untypeds and as many slots as it did before the first case.
 */
#include "selftest.h"

#include <stdio.h>
#include <string.h>
#include <capbuddy/scrub.h>
#include <capbuddy/vka_pool.h>
#include <vka/object.h>

#if defined(CONFIG_ARCH_X86)
#define ST_PAGE_MAP_FN(f, va)                                                                    \
    seL4_X86_Page_Map(f, seL4_CapInitThreadVSpace, va, seL4_AllRights,                          \
                      seL4_X86_Default_VMAttributes)
#define ST_PAGE_UNMAP_FN seL4_X86_Page_Unmap
#define ST_GETADDR_FN seL4_X86_Page_GetAddress
#define ST_GETADDR_T seL4_X86_Page_GetAddress_t
#elif defined(CONFIG_ARCH_ARM)
#define ST_PAGE_MAP_FN(f, va)                                                                    \
    seL4_ARM_Page_Map(f, seL4_CapInitThreadVSpace, va, seL4_AllRights,                          \
                      seL4_ARM_Default_VMAttributes)
#define ST_PAGE_UNMAP_FN seL4_ARM_Page_Unmap
#define ST_GETADDR_FN seL4_ARM_Page_GetAddress
#define ST_GETADDR_T seL4_ARM_Page_GetAddress_t
#else
#error "self-test: x86 and ARM only"
#endif

#define FRAME_BYTES 4096u
#define POOL_BITS 22
#define MAX_PAGING 8

/* ---- reporting ----------------------------------------------------------------------- */

static unsigned st_passed, st_failed;
static const char *st_case;
static int st_case_failed;

#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            printf("    %s:%d: %s: ", __FILE__, __LINE__, #cond);                               \
            printf(__VA_ARGS__);                                                                 \
            printf("\n");                                                                        \
            st_case_failed = 1;                                                                  \
            return -1;                                                                           \
        }                                                                                        \
    } while (0)

/* ---- the counting proxy between CapBuddy and its parent -------------------------------- */

struct proxy {
    vka_t *parent;
    long slots_out;
    long uts_out;
    unsigned long bytes_out;
};

static int px_cspace_alloc(void *d, seL4_CPtr *res)
{
    struct proxy *p = d;
    int err = vka_cspace_alloc(p->parent, res);
    p->slots_out += err == 0;
    return err;
}

static void px_make_path(void *d, seL4_CPtr slot, cspacepath_t *res)
{
    vka_cspace_make_path(((struct proxy *)d)->parent, slot, res);
}

static void px_cspace_free(void *d, seL4_CPtr slot)
{
    struct proxy *p = d;
    vka_cspace_free(p->parent, slot);
    p->slots_out--;
}

/* Bytes of an object as vka sizes it; an unknown type (size -1) counts as one byte, so that
 * it still shows up if it is not given back. */
static unsigned long object_bytes(seL4_Word type, seL4_Word size_bits)
{
    unsigned long bits = vka_get_object_size(type, size_bits);
    return bits < sizeof(unsigned long) * 8 ? 1ul << bits : 1ul;
}

static void px_took(struct proxy *p, int err, seL4_Word type, seL4_Word size_bits)
{
    if (err == 0) {
        p->uts_out++;
        p->bytes_out += object_bytes(type, size_bits);
    }
}

static int px_ut_alloc(void *d, const cspacepath_t *dest, seL4_Word type, seL4_Word size_bits,
                       seL4_Word *res)
{
    struct proxy *p = d;
    int err = p->parent->utspace_alloc(p->parent->data, dest, type, size_bits, res);
    px_took(p, err, type, size_bits);
    return err;
}

static int px_ut_alloc_dev(void *d, const cspacepath_t *dest, seL4_Word type, seL4_Word size_bits,
                           bool can_use_dev, seL4_Word *res)
{
    struct proxy *p = d;
    int err = p->parent->utspace_alloc_maybe_device(p->parent->data, dest, type, size_bits,
                                                    can_use_dev, res);
    px_took(p, err, type, size_bits);
    return err;
}

static int px_ut_alloc_at(void *d, const cspacepath_t *dest, seL4_Word type, seL4_Word size_bits,
                          uintptr_t paddr, seL4_Word *cookie)
{
    struct proxy *p = d;
    int err = p->parent->utspace_alloc_at(p->parent->data, dest, type, size_bits, paddr, cookie);
    px_took(p, err, type, size_bits);
    return err;
}

static void px_ut_free(void *d, seL4_Word type, seL4_Word size_bits, seL4_Word target)
{
    struct proxy *p = d;
    p->parent->utspace_free(p->parent->data, type, size_bits, target);
    p->uts_out--;
    p->bytes_out -= object_bytes(type, size_bits);
}

static uintptr_t px_ut_paddr(void *d, seL4_Word target, seL4_Word type, seL4_Word size_bits)
{
    struct proxy *p = d;
    return p->parent->utspace_paddr(p->parent->data, target, type, size_bits);
}

static void proxy_make(struct proxy *p, vka_t *parent, vka_t *out)
{
    *p = (struct proxy){.parent = parent};
    *out = (vka_t){
        .data = p,
        .cspace_alloc = px_cspace_alloc,
        .cspace_make_path = px_make_path,
        .utspace_alloc = px_ut_alloc,
        .utspace_alloc_maybe_device = px_ut_alloc_dev,
        .utspace_alloc_at = px_ut_alloc_at,
        .cspace_free = px_cspace_free,
        .utspace_free = px_ut_free,
        .utspace_paddr = px_ut_paddr,
    };
}

/* ---- one allocator per case ---------------------------------------------------------- */

struct world {
    const struct selftest_env *env;
    struct proxy px;
    vka_t vka;
    capbuddy_t *cb;
    vka_object_t paging[MAX_PAGING]; /* paging structures made for map_vaddr */
    unsigned npaging;
};

/* The allocator of the running case: closed by the runner if the case failed half way, so
 * that the next case finds the window empty. */
static struct world *st_world;

/* A world whose scrub hook gets scrub_cookie (NULL: the world) and whose slot window is the
 * first slot_count slots of the environment's (0: all of it). */
static int world_open_ex(struct world *w, const struct selftest_env *env,
                         enum capbuddy_policy pol, unsigned spares, int (*scrub)(void *, seL4_CPtr),
                         void *scrub_cookie, seL4_Word slot_count)
{
    memset(w, 0, sizeof(*w));
    w->env = env;
    proxy_make(&w->px, env->parent, &w->vka);
    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, &w->vka, seL4_CapInitThreadCNode, env->slot_first,
                            slot_count && slot_count < env->slot_count ? slot_count
                                                                       : env->slot_count);
    cfg.policy = pol;
    cfg.spare_pools = spares;
    cfg.retain_ops = 0; /* the spare-pool rule: a pool goes back once it is an extra spare */
    cfg.bootinfo = env->bi;
    cfg.scrub = scrub;
    cfg.scrub_cookie = scrub_cookie ? scrub_cookie : w;
    int err = capbuddy_init(&w->cb, &cfg);
    CHECK(err == 0, "capbuddy_init: %s", capbuddy_strerror(err));
    st_world = w;
    return 0;
}

static int world_open(struct world *w, const struct selftest_env *env, enum capbuddy_policy pol,
                      unsigned spares, int (*scrub)(void *, seL4_CPtr))
{
    return world_open_ex(w, env, pol, spares, scrub, NULL, 0);
}

/* Tear down; everything CapBuddy took from the parent must be back. */
static int world_close(struct world *w)
{
    st_world = NULL;
    int chk = w->cb ? capbuddy_check(w->cb) : 0;
    if (w->cb) {
        capbuddy_destroy(w->cb);
        w->cb = NULL;
    }
    while (w->npaging > 0) {
        vka_free_object(w->env->parent, &w->paging[--w->npaging]);
    }
    CHECK(chk == 0, "capbuddy_check: %d", chk);
    CHECK(w->px.slots_out == 0 && w->px.uts_out == 0 && w->px.bytes_out == 0,
          "still out with the parent after capbuddy_destroy: %ld slots, %ld untypeds, %lu bytes",
          w->px.slots_out, w->px.uts_out, w->px.bytes_out);
    return 0;
}

/* ---- physical addresses and mappings ------------------------------------------------- */

static uint64_t frame_paddr(seL4_CPtr frame)
{
    ST_GETADDR_T r = ST_GETADDR_FN(frame);
    return r.error == seL4_NoError ? (uint64_t)r.paddr : VKA_NO_PADDR;
}

/* 1: device untyped, 0: RAM untyped, -1: in no untyped bootinfo lists. */
static int paddr_kind(const seL4_BootInfo *bi, uint64_t paddr)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (paddr >= d->paddr && paddr - d->paddr < ((uint64_t)1 << d->sizeBits)) {
            return d->isDevice ? 1 : 0;
        }
    }
    return -1;
}

/* The run of 2^order frames at run: contiguous, aligned, RAM, and as CapBuddy reports it. */
static int check_run(struct world *w, const cspacepath_t *run, unsigned order)
{
    uint64_t base = frame_paddr(run->capPtr);
    CHECK(base != VKA_NO_PADDR, "Page_GetAddress of cap %lu failed", (unsigned long)run->capPtr);
    CHECK(base % ((uint64_t)FRAME_BYTES << order) == 0, "run of order %u at 0x%llx not aligned",
          order, (unsigned long long)base);
    CHECK(capbuddy_paddr(w->cb, run->capPtr) == base, "capbuddy_paddr 0x%llx, kernel 0x%llx",
          (unsigned long long)capbuddy_paddr(w->cb, run->capPtr), (unsigned long long)base);
    CHECK((seL4_Word)run->window == ((seL4_Word)1 << order), "window %lu for order %u",
          (unsigned long)run->window, order);
    for (seL4_Word i = 1; i < ((seL4_Word)1 << order); i++) {
        uint64_t pa = frame_paddr(run->capPtr + i);
        CHECK(pa == base + i * FRAME_BYTES, "frame %lu of an order-%u run at 0x%llx, not 0x%llx",
              (unsigned long)i, order, (unsigned long long)pa,
              (unsigned long long)(base + i * FRAME_BYTES));
    }
    CHECK(paddr_kind(w->env->bi, base) == 0, "RAM run at 0x%llx is not in a RAM untyped",
          (unsigned long long)base);
    return 0;
}

/* Map frame at vaddr in the root task's vspace, making the paging structures on the way. */
static int map_frame(struct world *w, seL4_CPtr frame, seL4_Word vaddr)
{
    static const seL4_Word levels[] = {
#if defined(CONFIG_ARCH_X86_64)
        seL4_X86_PageTableObject, seL4_X86_PageDirectoryObject, seL4_X86_PDPTObject,
#elif defined(CONFIG_ARCH_X86)
        seL4_X86_PageTableObject,
#elif defined(CONFIG_ARCH_AARCH64)
        seL4_ARM_PageTableObject, seL4_ARM_PageTableObject, seL4_ARM_PageTableObject,
#else
        seL4_ARM_PageTableObject,
#endif
    };
    seL4_Error e = ST_PAGE_MAP_FN(frame, vaddr);
    /* A missing level: add tables from the lowest up until one of them maps. */
    for (unsigned lvl = 0; e == seL4_FailedLookup && lvl < sizeof(levels) / sizeof(levels[0]);) {
        CHECK(w->npaging < MAX_PAGING, "too many paging structures");
        vka_object_t *o = &w->paging[w->npaging];
        CHECK(vka_alloc_object(w->env->parent, levels[lvl], 0, o) == 0, "paging object");
        w->npaging++;
        seL4_Error m;
#if defined(CONFIG_ARCH_X86)
        switch (levels[lvl]) {
        case seL4_X86_PageTableObject:
            m = seL4_X86_PageTable_Map(o->cptr, seL4_CapInitThreadVSpace, vaddr,
                                       seL4_X86_Default_VMAttributes);
            break;
#if defined(CONFIG_ARCH_X86_64)
        case seL4_X86_PageDirectoryObject:
            m = seL4_X86_PageDirectory_Map(o->cptr, seL4_CapInitThreadVSpace, vaddr,
                                           seL4_X86_Default_VMAttributes);
            break;
        default:
            m = seL4_X86_PDPT_Map(o->cptr, seL4_CapInitThreadVSpace, vaddr,
                                  seL4_X86_Default_VMAttributes);
            break;
#else
        default:
            m = seL4_InvalidArgument;
            break;
#endif
        }
#else
        m = seL4_ARM_PageTable_Map(o->cptr, seL4_CapInitThreadVSpace, vaddr,
                                   seL4_ARM_Default_VMAttributes);
#endif
        if (m == seL4_FailedLookup) {
            /* This level's parent is missing too: keep the table, add the next one up. */
            w->npaging--;
            vka_free_object(w->env->parent, o);
            lvl++;
            continue;
        }
        CHECK(m == seL4_NoError, "paging structure map: %d", (int)m);
        lvl = 0;
        e = ST_PAGE_MAP_FN(frame, vaddr);
    }
    CHECK(e == seL4_NoError, "Page_Map at 0x%lx: %d", (unsigned long)vaddr, (int)e);
    return 0;
}

static int fill_frame(struct world *w, seL4_CPtr frame, unsigned char byte)
{
    static unsigned char buf[FRAME_BYTES];
    memset(buf, byte, sizeof(buf));
    if (map_frame(w, frame, w->env->map_vaddr)) {
        return -1;
    }
    int err = w->env->mem_write(w->env->map_vaddr, buf, sizeof(buf));
    seL4_Error e = ST_PAGE_UNMAP_FN(frame);
    CHECK(err == 0 && e == seL4_NoError, "write through mapping: %d, unmap %d", err, (int)e);
    return 0;
}

/* 0 and *nonzero = number of bytes that are not zero. */
static int read_frame(struct world *w, seL4_CPtr frame, unsigned *nonzero)
{
    static unsigned char buf[FRAME_BYTES];
    if (map_frame(w, frame, w->env->map_vaddr)) {
        return -1;
    }
    int err = w->env->mem_read(w->env->map_vaddr, buf, sizeof(buf));
    seL4_Error e = ST_PAGE_UNMAP_FN(frame);
    CHECK(err == 0 && e == seL4_NoError, "read through mapping: %d, unmap %d", err, (int)e);
    *nonzero = 0;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        *nonzero += buf[i] != 0;
    }
    return 0;
}

/* The scrub hook for the SCRUB case: zero the frame through the root task's mapping. */
static int scrub_hook(void *cookie, seL4_CPtr frame)
{
    return fill_frame(cookie, frame, 0) == 0 ? 0 : -1;
}

/* ---- the cases --------------------------------------------------------------------- */

/* Every size 1..1024 frames live at once (2047 frames: two pools), each contiguous and
 * aligned in physical memory as Page_GetAddress reports it; then every kind of bad free. */
static int case_every_size(const struct selftest_env *env)
{
    static struct world w;
    cspacepath_t runs[CAPBUDDY_MAX_ORDER + 1];
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 1, NULL)) {
        return -1;
    }
    for (unsigned o = CAPBUDDY_MAX_ORDER + 1; o-- > 0;) {
        int err = capbuddy_alloc(w.cb, seL4_PageBits + o, VKA_NO_PADDR, false, &runs[o]);
        CHECK(err == 0, "alloc of 2^%u frames: %s", o, capbuddy_strerror(err));
        if (check_run(&w, &runs[o], o)) {
            return -1;
        }
    }
    CHECK(capbuddy_check(w.cb) == 0, "check after allocs");
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CHECK(st.frames_used == 2047, "frames_used %lu", st.frames_used);

    /* Refused frees change nothing. */
    seL4_CPtr c3 = runs[3].capPtr;
    CHECK(capbuddy_free(w.cb, c3, seL4_PageBits + 4) == CAPBUDDY_ERR_WRONG_SIZE, "wrong size");
    CHECK(capbuddy_free(w.cb, c3, seL4_PageBits + 2) == CAPBUDDY_ERR_WRONG_SIZE, "smaller size");
    CHECK(capbuddy_free(w.cb, c3 + 1, seL4_PageBits + 3) == CAPBUDDY_ERR_MISALIGNED, "misaligned");
    CHECK(capbuddy_free(w.cb, c3 + 1, seL4_PageBits) == CAPBUDDY_ERR_INSIDE, "inside");
    CHECK(capbuddy_free(w.cb, env->slot_first + env->slot_count, seL4_PageBits) ==
              CAPBUDDY_ERR_NOT_POOL, "outside the window");
    capbuddy_stats(w.cb, &st);
    CHECK(st.frames_used == 2047, "a refused free changed frames_used: %lu", st.frames_used);
    for (unsigned o = 0; o <= CAPBUDDY_MAX_ORDER; o++) {
        CHECK(check_run(&w, &runs[o], o) == 0, "run of order %u changed", o);
        int err = capbuddy_free(w.cb, runs[o].capPtr, seL4_PageBits + o);
        CHECK(err == 0, "free of 2^%u frames: %s", o, capbuddy_strerror(err));
    }
    CHECK(capbuddy_free(w.cb, c3, seL4_PageBits + 3) == CAPBUDDY_ERR_NOT_ALLOCATED, "double free");
    capbuddy_stats(w.cb, &st);
    CHECK(st.frames_used == 0, "frames_used %lu after freeing all", st.frames_used);
    return world_close(&w);
}

/* A RAM frame and a 16-frame run at chosen physical addresses; a device frame only when
 * asked for, and never a device frame for a RAM request. */
static int case_paddr_and_device(const struct selftest_env *env)
{
    const seL4_BootInfo *bi = env->bi;
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 1, NULL)) {
        return -1;
    }
    /* RAM: the top 4 MiB of the largest RAM untyped, else lower (allocman may use some). */
    const seL4_UntypedDesc *big = NULL;
    const seL4_UntypedDesc *dev = NULL;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= POOL_BITS && (!big || d->sizeBits > big->sizeBits)) {
            big = d;
        }
        if (d->isDevice && d->sizeBits >= POOL_BITS && d->paddr >= 0x100000 && !dev) {
            dev = d;
        }
    }
    CHECK(big != NULL, "no RAM untyped of 4 MiB or more");
    cspacepath_t one, run16;
    uint64_t at = 0;
    int err = CAPBUDDY_ERR_PADDR;
    for (unsigned k = 1; k <= 8 && err != 0 && ((uint64_t)k << POOL_BITS) <= (1ull << big->sizeBits);
         k++) {
        at = big->paddr + (1ull << big->sizeBits) - ((uint64_t)k << POOL_BITS) +
             (uint64_t)5 * FRAME_BYTES;
        err = capbuddy_alloc(w.cb, seL4_PageBits, at, false, &one);
    }
    CHECK(err == 0, "alloc at RAM paddr 0x%llx: %s", (unsigned long long)at,
          capbuddy_strerror(err));
    CHECK(frame_paddr(one.capPtr) == at, "frame at 0x%llx, asked 0x%llx",
          (unsigned long long)frame_paddr(one.capPtr), (unsigned long long)at);
    uint64_t at16 = (at & ~(((uint64_t)1 << POOL_BITS) - 1)) + (uint64_t)64 * FRAME_BYTES;
    err = capbuddy_alloc(w.cb, seL4_PageBits + 4, at16, false, &run16);
    CHECK(err == 0, "alloc of 16 frames at 0x%llx: %s", (unsigned long long)at16,
          capbuddy_strerror(err));
    if (check_run(&w, &run16, 4)) {
        return -1;
    }
    CHECK(frame_paddr(run16.capPtr) == at16, "run at 0x%llx", (unsigned long long)at16);
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits, at, false, &one) == CAPBUDDY_ERR_BUSY, "busy");
    CHECK(capbuddy_free(w.cb, run16.capPtr, seL4_PageBits + 4) == 0, "free run16");

    /* Device memory. */
    CHECK(dev != NULL, "no device untyped of 4 MiB or more above 1 MiB");
    cspacepath_t d1;
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits, dev->paddr, false, &d1) == CAPBUDDY_ERR_PADDR,
          "device memory without can_use_dev");
    err = capbuddy_alloc(w.cb, seL4_PageBits, dev->paddr, true, &d1);
    CHECK(err == 0, "device frame at 0x%llx: %s", (unsigned long long)dev->paddr,
          capbuddy_strerror(err));
    CHECK(frame_paddr(d1.capPtr) == dev->paddr, "device frame at 0x%llx",
          (unsigned long long)frame_paddr(d1.capPtr));
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CHECK(st.pools_device == 1 && st.pools_ram == 1, "pools: %lu device, %lu RAM",
          st.pools_device, st.pools_ram);
    /* RAM requests, more than the free frames left in the RAM pool's neighbourhood of the
     * device pool: none may come from the device pool. */
    static cspacepath_t singles[600];
    for (unsigned i = 0; i < 600; i++) {
        err = capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &singles[i]);
        CHECK(err == 0, "RAM frame %u: %s", i, capbuddy_strerror(err));
        uint64_t pa = frame_paddr(singles[i].capPtr);
        CHECK(paddr_kind(bi, pa) == 0, "RAM request served at 0x%llx (kind %d)",
              (unsigned long long)pa, paddr_kind(bi, pa));
    }
    for (unsigned i = 0; i < 600; i++) {
        CHECK(capbuddy_free(w.cb, singles[i].capPtr, seL4_PageBits) == 0, "free single %u", i);
    }
    CHECK(capbuddy_free(w.cb, d1.capPtr, seL4_PageBits) == 0, "free device frame");
    CHECK(capbuddy_free(w.cb, one.capPtr, seL4_PageBits) == 0, "free RAM frame");
    return world_close(&w);
}

/* A wholly free pool goes back to the parent, which can hand that very memory out again. */
static int case_give_back(const struct selftest_env *env)
{
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 0, NULL)) {
        return -1;
    }
    cspacepath_t r;
    int err = capbuddy_alloc(w.cb, seL4_PageBits + 3, VKA_NO_PADDR, false, &r);
    CHECK(err == 0, "alloc: %s", capbuddy_strerror(err));
    uint64_t pool = frame_paddr(r.capPtr) & ~(((uint64_t)1 << POOL_BITS) - 1);
    CHECK(capbuddy_free(w.cb, r.capPtr, seL4_PageBits + 3) == 0, "free");
    err = capbuddy_flush(w.cb);
    CHECK(err == 0, "flush: %s", capbuddy_strerror(err));
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CHECK(st.pools_ram == 0 && st.pools_returned == 1, "pools_ram %lu, returned %lu",
          st.pools_ram, st.pools_returned);
    CHECK(w.px.uts_out == 0 && w.px.slots_out == 0, "%ld untypeds, %ld slots still out",
          w.px.uts_out, w.px.slots_out);
    vka_object_t ut;
    err = vka_alloc_untyped_at(env->parent, POOL_BITS, (uintptr_t)pool, &ut);
    CHECK(err == 0, "the parent cannot hand out the returned 4 MiB at 0x%llx: %d",
          (unsigned long long)pool, err);
    vka_free_object(env->parent, &ut);
    return world_close(&w);
}

/* Parent slot holding a copy of a frame cap, as another program might keep one. */
static int copy_into_parent_slot(struct world *w, seL4_CPtr frame, cspacepath_t *copy)
{
    CHECK(vka_cspace_alloc_path(w->env->parent, copy) == 0, "parent slot");
    cspacepath_t src;
    vka_cspace_make_path(&w->vka, frame, &src);
    CHECK(seL4_CNode_Copy(copy->root, copy->capPtr, (uint8_t)copy->capDepth, src.root, src.capPtr,
                          (uint8_t)src.capDepth, seL4_AllRights) == seL4_NoError,
          "copy");
    return 0;
}

/* True when the copy's slot no longer holds a frame cap. */
static bool copy_gone(seL4_CPtr copy)
{
    return frame_paddr(copy) == VKA_NO_PADDR;
}

/* REVOKE: a copy of a freed frame's cap is gone before that frame is handed out again,
 * whether it comes back by itself (single-frame ping-pong) or after a flush. */
static int case_revoke(const struct selftest_env *env)
{
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 1, NULL)) {
        return -1;
    }
    cspacepath_t f, copy;
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &f) == 0, "alloc");
    uint64_t pa = frame_paddr(f.capPtr);
    if (copy_into_parent_slot(&w, f.capPtr, &copy) || fill_frame(&w, copy.capPtr, 0x5a)) {
        return -1;
    }
    CHECK(!copy_gone(copy.capPtr), "the copy works while the frame is allocated");
    CHECK(capbuddy_free(w.cb, f.capPtr, seL4_PageBits) == 0, "free");
    unsigned tries = 0;
    for (;;) {
        cspacepath_t g;
        CHECK(capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &g) == 0, "realloc");
        bool same = frame_paddr(g.capPtr) == pa;
        CHECK(!same || copy_gone(copy.capPtr), "frame 0x%llx handed out again with a live copy",
              (unsigned long long)pa);
        CHECK(capbuddy_free(w.cb, g.capPtr, seL4_PageBits) == 0, "free again");
        if (same) {
            break;
        }
        CHECK(++tries < 2048, "the freed frame never came back in 2048 ping-pongs");
    }
    vka_cspace_free(env->parent, copy.capPtr);

    /* A 4-frame run asked for again at its address: its quarantine is revoked on the spot. */
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits + 2, VKA_NO_PADDR, false, &f) == 0, "alloc 4");
    pa = frame_paddr(f.capPtr);
    if (copy_into_parent_slot(&w, f.capPtr + 2, &copy)) {
        return -1;
    }
    CHECK(capbuddy_free(w.cb, f.capPtr, seL4_PageBits + 2) == 0, "free 4");
    cspacepath_t g;
    int err = capbuddy_alloc(w.cb, seL4_PageBits + 2, pa, false, &g);
    CHECK(err == 0, "alloc 4 at 0x%llx: %s", (unsigned long long)pa, capbuddy_strerror(err));
    CHECK(copy_gone(copy.capPtr), "run 0x%llx handed out again with a live copy",
          (unsigned long long)pa);
    CHECK(capbuddy_free(w.cb, g.capPtr, seL4_PageBits + 2) == 0, "free 4 again");
    vka_cspace_free(env->parent, copy.capPtr);

    /* And by capbuddy_flush. */
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &f) == 0, "alloc");
    if (copy_into_parent_slot(&w, f.capPtr, &copy)) {
        return -1;
    }
    CHECK(capbuddy_free(w.cb, f.capPtr, seL4_PageBits) == 0, "free");
    CHECK(!copy_gone(copy.capPtr), "the copy is revoked only when needed");
    CHECK(capbuddy_flush(w.cb) == 0, "flush");
    CHECK(copy_gone(copy.capPtr), "the copy survived the flush");
    vka_cspace_free(env->parent, copy.capPtr);
    return world_close(&w);
}

/* SCRUB: a frame handed out again reads zero through a mapping, after the previous owner
 * wrote to it; once with the scrub hook, once without (the pool is refreshed by an
 * untyped revoke, and the kernel zeroes memory when it is retyped). */
static int scrub_once(const struct selftest_env *env, bool hook)
{
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_SCRUB, 1, hook ? scrub_hook : NULL)) {
        return -1;
    }
    cspacepath_t f, g, keep;
    /* With the hook, a frame kept live in the pool rules out the refresh, so the hook must
     * do the zeroing; without it, the pool has nothing else and is refreshed. */
    CHECK(!hook || capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &keep) == 0, "keep");
    CHECK(capbuddy_alloc(w.cb, seL4_PageBits, VKA_NO_PADDR, false, &f) == 0, "alloc");
    uint64_t pa = frame_paddr(f.capPtr);
    unsigned nonzero;
    if (fill_frame(&w, f.capPtr, 0xa5) || read_frame(&w, f.capPtr, &nonzero)) {
        return -1;
    }
    CHECK(nonzero == FRAME_BYTES, "the owner's write reads back: %u non-zero bytes", nonzero);
    CHECK(capbuddy_free(w.cb, f.capPtr, seL4_PageBits) == 0, "free");
    int err = capbuddy_alloc(w.cb, seL4_PageBits, pa, false, &g);
    CHECK(err == 0, "alloc at 0x%llx again: %s", (unsigned long long)pa, capbuddy_strerror(err));
    if (read_frame(&w, g.capPtr, &nonzero)) {
        return -1;
    }
    CHECK(nonzero == 0, "frame 0x%llx handed out again with %u non-zero bytes",
          (unsigned long long)pa, nonzero);
    CHECK(capbuddy_free(w.cb, g.capPtr, seL4_PageBits) == 0, "free again");
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CHECK(hook ? st.pools_refreshed == 0 : st.pools_refreshed == 1, "%s: %lu pool refreshes",
          hook ? "hook" : "no hook", st.pools_refreshed);
    CHECK(!hook || capbuddy_free(w.cb, keep.capPtr, seL4_PageBits) == 0, "free keep");
    return world_close(&w);
}

static int case_scrub(const struct selftest_env *env)
{
    return scrub_once(env, true) || scrub_once(env, false) ? -1 : 0;
}

/* The original fork's three vka entry points over a capbuddy_t. */
static int case_original_entry_points(const struct selftest_env *env)
{
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 1, NULL)) {
        return -1;
    }
    cspacepath_t r;
    int err = utspace_try_alloc_from_pool(w.cb, seL4_PageBits + 5, VKA_NO_PADDR, false, &r);
    CHECK(err == 0, "utspace_try_alloc_from_pool: %d", err);
    if (check_run(&w, &r, 5)) {
        return -1;
    }
    /* The original's num_bits counts frames (2^num_bits), not bytes. */
    CHECK(cspace_is_from_pool(w.cb, r.capPtr, 5), "is_from_pool");
    CHECK(!cspace_is_from_pool(w.cb, seL4_CapInitThreadCNode, 0), "root CNode");
    utspace_try_free_from_pool(w.cb, r.capPtr, 5);
    CHECK(capbuddy_free(w.cb, r.capPtr, seL4_PageBits + 5) == CAPBUDDY_ERR_NOT_ALLOCATED,
          "utspace_try_free_from_pool did not free");
    return world_close(&w);
}

/* The vka wrapper: vka_alloc_frame / vka_free_object served from the pools. */
static int case_vka_wrapper(const struct selftest_env *env)
{
    static struct world w;
    if (world_open(&w, env, CAPBUDDY_POLICY_REVOKE, 1, NULL)) {
        return -1;
    }
    struct capbuddy_vka state;
    vka_t v;
    capbuddy_vka_make(&state, w.cb, env->parent, &v);
    vka_object_t objs[32];
    for (unsigned i = 0; i < 32; i++) {
        int err = vka_alloc_frame(&v, seL4_PageBits, &objs[i]);
        CHECK(err == 0, "vka_alloc_frame %u: %d", i, err);
        uint64_t pa = frame_paddr(objs[i].cptr);
        CHECK(pa != VKA_NO_PADDR && paddr_kind(env->bi, pa) == 0, "frame %u at 0x%llx", i,
              (unsigned long long)pa);
        CHECK(vka_utspace_paddr(&v, objs[i].ut, objs[i].type, objs[i].size_bits) == pa,
              "vka_utspace_paddr of frame %u", i);
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CHECK(st.frames_used == 32, "frames_used %lu", st.frames_used);
    for (unsigned i = 0; i < 32; i++) {
        vka_free_object(&v, &objs[i]);
    }
    capbuddy_stats(w.cb, &st);
    CHECK(st.frames_used == 0, "frames_used %lu after vka_free_object", st.frames_used);
    return world_close(&w);
}

/* The ready scrub's clear, through the environment's memory access (a memset's worth of
 * stores on seL4, the model's vspace on the host). */
static const struct selftest_env *zero_env;

static int clear_page(void *cookie, seL4_Word vaddr, size_t bytes)
{
    static const unsigned char zero[FRAME_BYTES];
    (void)cookie;
    return bytes <= sizeof(zero) ? zero_env->mem_write(vaddr, zero, bytes) : -1;
}

/*
 * The vka wrapper's frames read zero, as upstream's do: 64 owners in turn each get a frame
 * from vka_alloc_frame, read all of it through a mapping of the copy they got (it must be
 * zero), write all of it and free it. Under every policy, with the library's ready scrub hook
 * (capbuddy_scrub_frame, through a window of the root task's vspace) and a slot window of one
 * pool, most of which other frames hold, so that frames are reused early (TRUST at once,
 * REVOKE after a per-frame revoke, SCRUB after the hook or a refresh).
 */
static int zero_once(const struct selftest_env *env, enum capbuddy_policy pol)
{
    static struct world w;
    static struct capbuddy_scrub_window win;
    static vka_object_t hold[1000];
    const seL4_Word window_vaddr = env->map_vaddr + FRAME_BYTES;
    /* the window's paging structures: map and unmap a parent frame there once */
    vka_object_t probe;
    CHECK(vka_alloc_frame(env->parent, seL4_PageBits, &probe) == 0, "probe frame");
    if (world_open_ex(&w, env, pol, 1, capbuddy_scrub_frame, &win, 1100)) {
        return -1;
    }
    if (map_frame(&w, probe.cptr, window_vaddr)) {
        return -1;
    }
    CHECK(ST_PAGE_UNMAP_FN(probe.cptr) == seL4_NoError, "probe unmap");
    vka_free_object(env->parent, &probe);
    capbuddy_scrub_window_init(&win, seL4_CapInitThreadVSpace, window_vaddr);
    zero_env = env;
    win.clear = clear_page;
    struct capbuddy_vka state;
    vka_t v;
    capbuddy_vka_make(&state, w.cb, env->parent, &v);
    for (unsigned i = 0; i < 1000; i++) {
        CHECK(vka_alloc_frame(&v, seL4_PageBits, &hold[i]) == 0, "hold %u", i);
    }
    unsigned dirty = 0;
    for (unsigned round = 0; round < 64; round++) {
        vka_object_t f;
        unsigned nonzero;
        int err = vka_alloc_frame(&v, seL4_PageBits, &f);
        CHECK(err == 0, "vka_alloc_frame, owner %u: %d", round, err);
        if (read_frame(&w, f.cptr, &nonzero) || fill_frame(&w, f.cptr, 0xa5)) {
            return -1;
        }
        dirty += nonzero != 0;
        vka_free_object(&v, &f);
    }
    for (unsigned i = 0; i < 1000; i++) {
        vka_free_object(&v, &hold[i]);
    }
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    printf("     policy %d: 64 owners, %u handed a dirty frame; %lu zeroed by the hook, %lu from "
           "the parent, %lu pools refreshed\n",
           (int)pol, dirty, st.frames_zeroed, st.zero_fallbacks, st.pools_refreshed);
    CHECK(dirty == 0, "policy %d: %u of 64 owners got a frame with data", (int)pol, dirty);
    CHECK(pol != CAPBUDDY_POLICY_TRUST || st.frames_zeroed == 63,
          "TRUST reuses every frame at once: %lu zeroed", st.frames_zeroed);
    CHECK(win.failed == 0, "%lu scrub calls failed", win.failed);
    return world_close(&w);
}

static int case_vka_zero(const struct selftest_env *env)
{
    return zero_once(env, CAPBUDDY_POLICY_TRUST) || zero_once(env, CAPBUDDY_POLICY_REVOKE) ||
                   zero_once(env, CAPBUDDY_POLICY_SCRUB)
               ? -1
               : 0;
}

/* What the parent can hand out: 4 MiB untypeds (up to a bound) and slots. */
struct parent_census {
    unsigned pools;
    unsigned slots;
};

#define CENSUS_MAX 4096

static int census(vka_t *parent, struct parent_census *c)
{
    static vka_object_t uts[CENSUS_MAX];
    static seL4_CPtr slots[CENSUS_MAX];
    c->pools = 0;
    while (c->pools < CENSUS_MAX && vka_alloc_untyped(parent, POOL_BITS, &uts[c->pools]) == 0) {
        c->pools++;
    }
    for (unsigned i = c->pools; i-- > 0;) {
        vka_free_object(parent, &uts[i]);
    }
    c->slots = 0;
    while (c->slots < CENSUS_MAX && vka_cspace_alloc(parent, &slots[c->slots]) == 0) {
        c->slots++;
    }
    for (unsigned i = c->slots; i-- > 0;) {
        vka_cspace_free(parent, slots[i]);
    }
    CHECK(c->pools > 0 && c->slots > 0, "the parent has %u pools and %u slots to give", c->pools,
          c->slots);
    return 0;
}

int selftest_run(const struct selftest_env *env)
{
    static const struct {
        const char *name;
        int (*fn)(const struct selftest_env *);
    } cases[] = {
        {"every_size_contiguous_then_bad_frees_refused", case_every_size},
        {"alloc_at_paddr_and_device_memory_kept_apart", case_paddr_and_device},
        {"free_pool_given_back_and_handed_out_by_parent", case_give_back},
        {"revoke_policy_copy_gone_before_reuse", case_revoke},
        {"scrub_policy_reuse_reads_zero", case_scrub},
        {"original_three_entry_points", case_original_entry_points},
        {"vka_wrapper_alloc_frame_free_object", case_vka_wrapper},
        {"vka_wrapper_frames_read_zero_every_policy", case_vka_zero},
    };
    struct parent_census before, after;
    st_passed = st_failed = 0;
    st_case = "parent_census_before";
    if (census(env->parent, &before)) {
        printf("FAIL %s\n", st_case);
        st_failed++;
    }
    printf("parent before: %u x 4 MiB untyped, %u slots (window %lu slots at %lu)\n",
           before.pools, before.slots, (unsigned long)env->slot_count,
           (unsigned long)env->slot_first);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_case = cases[i].name;
        st_case_failed = 0;
        int r = cases[i].fn(env);
        if (st_world) {
            (void)world_close(st_world);
        }
        if (r || st_case_failed) {
            st_failed++;
            printf("FAIL %s\n", st_case);
        } else {
            st_passed++;
            printf("ok   %s\n", st_case);
        }
    }
    st_case = "everything_back_with_the_parent";
    st_case_failed = 0;
    if (census(env->parent, &after) == 0 && before.pools == after.pools &&
        before.slots == after.slots) {
        st_passed++;
        printf("ok   %s (%u x 4 MiB, %u slots)\n", st_case, after.pools, after.slots);
    } else {
        st_failed++;
        printf("FAIL %s: %u x 4 MiB, %u slots (before: %u, %u)\n", st_case, after.pools,
               after.slots, before.pools, before.slots);
    }
    printf("%u passed, %u failed\n", st_passed, st_failed);
    return (int)st_failed;
}
