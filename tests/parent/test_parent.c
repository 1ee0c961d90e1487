/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Tests of cb_parent through the vka_t interface, on the host model: every object kind
 * and size, alloc_at (RAM above 4 GiB on 64-bit arches, device memory), exhaustion of
 * untypeds, slots and metadata, teardown back to the model's boot accounting, kernel
 * faults injected into every call in turn, and the exact kernel calls per frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parent_test.h"

#define GIB ((uint64_t) 1 << 30)
#define MIB ((uint64_t) 1 << 20)

static cb_parent_t *make(const seL4_BootInfo *bi, struct pt_mem *m, vka_t *vka)
{
    cb_parent_t *p = NULL;
    cb_parent_config_t cfg = pt_config(bi, m);
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), seL4_NoError);
    if (p && vka) {
        cb_parent_make_vka(p, vka);
    } else if (vka) {
        /* a failed init leaves a vka whose calls fail cleanly, not one of garbage pointers */
        memset(vka, 0, sizeof(*vka));
    }
    return p;
}

/* Teardown, then the model must be exactly as booted and all metadata returned. */
static void teardown_and_check(cb_parent_t *p, const struct sel4host_account *boot,
                               const struct pt_mem *m)
{
    struct sel4host_account a;
    CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
    pt_account(&a);
    PT_CHECK_ACCOUNT_EQ(a, *boot);
    if (m) {
        CBT_CHECK_EQ(m->bytes, 0);
        CBT_CHECK_EQ(m->allocs, 0);
    }
    CBT_CHECK_EQ(pt_model_check(), 0);
}

static struct sel4host_config big_ram_config(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
#if CONFIG_WORD_SIZE == 64
    cfg.ram_bytes = 4 * GIB; /* room for a 1 GiB huge page */
#endif
    return cfg;
}

/* ---- every object ------------------------------------------------------------------ */

static void test_every_object(void)
{
    struct sel4host_config cfg = big_ram_config();
    const seL4_BootInfo *bi = pt_boot(&cfg);
    struct sel4host_account boot;
    struct pt_mem m = { 0 };
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, &m, &vka);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    vka_object_t objs[128];
    size_t n = 0;

    /* frames of every size the architecture has; paddr agrees with the kernel's */
    unsigned frame_bits[3] = { seL4_PageBits, seL4_LargePageBits, 0 };
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_AARCH64)
    frame_bits[2] = seL4_HugePageBits;
#endif
    for (unsigned i = 0; i < 3 && frame_bits[i]; i++) {
        CBT_CHECK_EQ(vka_alloc_frame(&vka, frame_bits[i], &objs[n]), 0);
        CBT_CHECK_EQ(objs[n].type, pt_frame_type(frame_bits[i]));
        uint64_t pa = vka_object_paddr(&vka, &objs[n]);
        CBT_CHECK_EQ(pa, pt_frame_paddr(objs[n].cptr));
        CBT_CHECK_EQ(pa & (((uint64_t) 1 << frame_bits[i]) - 1), 0);
        n++;
    }
    /* Up to 2^28 bytes: on ia32 only about 508 MiB of the 1 GiB is RAM (the kernel window). */
    for (unsigned bits = seL4_MinUntypedBits; bits <= (seL4_WordBits == 32 ? 27u : 28u); bits++) {
        CBT_CHECK_EQ(vka_alloc_untyped(&vka, bits, &objs[n++]), 0);
    }
    CBT_CHECK_EQ(vka_alloc_tcb(&vka, &objs[n++]), 0);
    CBT_CHECK_EQ(vka_alloc_endpoint(&vka, &objs[n++]), 0);
    CBT_CHECK_EQ(vka_alloc_notification(&vka, &objs[n++]), 0);
    CBT_CHECK_EQ(vka_alloc_page_table(&vka, &objs[n++]), 0);
    for (unsigned radix = 1; radix <= 12; radix++) {
        CBT_CHECK_EQ(vka_alloc_cnode_object(&vka, radix, &objs[n++]), 0);
    }
    /* a malformed request is refused before any kernel call */
    uint64_t calls = sel4host_count_total();
    vka_object_t bad;
    CBT_CHECK(vka_alloc_object(&vka, seL4_ObjectTypeCount, 12, &bad) != 0);
    CBT_CHECK_EQ(bad.cptr, 0);
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, seL4_MaxUntypedBits + 1, &bad), seL4_RangeError);
    CBT_CHECK_EQ(sel4host_count_total(), calls);

    cb_parent_stats(p, &s);
    CBT_CHECK_EQ(s.objects, n);
    CBT_CHECK(cb_parent_check(p));
    CBT_CHECK_EQ(pt_model_check(), 0);
    for (size_t i = 0; i < n; i++) {
        vka_free_object(&vka, &objs[i]);
    }
    cb_parent_stats(p, &s);
    PT_CHECK_STATS_EQ(s, s0);
    CBT_CHECK(cb_parent_check(p));
    teardown_and_check(p, &boot, &m);
}

/* ---- alloc_at -------------------------------------------------------------------- */

/* The boot untyped of a kind with the most room, as (paddr, size_bits). */
static bool pick_untyped(const seL4_BootInfo *bi, bool device, uint64_t *pa, unsigned *bits)
{
    bool found = false;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!!d->isDevice == device && (!found || d->sizeBits > *bits)) {
            *pa = d->paddr;
            *bits = d->sizeBits;
            found = true;
        }
    }
    return found;
}

/* Whether pa lies in one of the device untypeds (on ia32 there are several: RAM above the
 * kernel window is device memory too). */
static bool in_device_untyped(const seL4_BootInfo *bi, uint64_t pa)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (d->isDevice && pa >= d->paddr && pa - d->paddr < ((uint64_t) 1 << d->sizeBits)) {
            return true;
        }
    }
    return false;
}

/* The first paddr past every boot untyped, if a uintptr_t can hold it. */
static bool past_all_untypeds(const seL4_BootInfo *bi, uint64_t *out)
{
    uint64_t end = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        uint64_t e = (uint64_t) d->paddr + ((uint64_t) 1 << d->sizeBits);
        end = e > end ? e : end;
    }
    *out = end;
    return (uint64_t)(uintptr_t) end == end;
}

static void alloc_at_on(const struct sel4host_config *cfg)
{
    const seL4_BootInfo *bi = pt_boot(cfg);
    struct sel4host_account boot;
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, NULL, &vka);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    uint64_t base = 0;
    unsigned bits = 0;
    vka_object_t o, o2, big, dev;

    CBT_CHECK(pick_untyped(bi, false, &base, &bits));
    CBT_CHECK(bits >= 22);
    if (bits < 22) {
        /* already reported; the shifts below need an untyped of at least 4 MiB */
        cb_parent_teardown(p);
        return;
    }
    uint64_t pa = base + 0x123000;
    CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_PageBits, (uintptr_t) pa, &o), 0);
    CBT_CHECK_EQ(pt_frame_paddr(o.cptr), pa);
    CBT_CHECK_EQ(vka_object_paddr(&vka, &o), pa);
    /* taken, misaligned, outside every untyped: refused, nothing changes */
    cb_parent_stats(p, &s);
    uint64_t calls = sel4host_count_total();
    CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_PageBits, (uintptr_t) pa, &o2), seL4_DeleteFirst);
    CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_PageBits, (uintptr_t)(pa + 8), &o2),
                 seL4_AlignmentError);
    CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_LargePageBits, (uintptr_t)(pa & ~(MIB * 2 - 1)),
                                    &o2), seL4_DeleteFirst);
    uint64_t outside = 0;
    if (past_all_untypeds(bi, &outside)) {
        CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_PageBits, (uintptr_t) outside, &o2),
                     seL4_RangeError);
    }
    cb_parent_stats_t s1;
    cb_parent_stats(p, &s1);
    PT_CHECK_STATS_EQ(s1, s);
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    /* a large page in the other half of the same untyped */
    uint64_t pa2 = base + ((uint64_t) 1 << (bits - 1));
    CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_LargePageBits, (uintptr_t) pa2, &big), 0);
    CBT_CHECK_EQ(pt_frame_paddr(big.cptr), pa2);
    /* device memory: reachable through alloc_at (as allocman), not through plain alloc */
    uint64_t dbase = 0;
    unsigned dbits = 0;
    if (pick_untyped(bi, true, &dbase, &dbits)) {
        CBT_CHECK_EQ(vka_alloc_frame_at(&vka, seL4_PageBits, (uintptr_t)(dbase + 0x5000), &dev), 0);
        CBT_CHECK_EQ(pt_frame_paddr(dev.cptr), dbase + 0x5000);
        cb_parent_stats(p, &s);
        CBT_CHECK_EQ(s.device_bytes_used, 0x1000);
        cspacepath_t path;
        seL4_CPtr slot;
        seL4_Word cookie;
        CBT_CHECK_EQ(cb_parent_cspace_alloc(p, &slot), 0);
        cb_parent_cspace_make_path(p, slot, &path);
        CBT_CHECK_EQ(cb_parent_utspace_alloc_at(p, &path, pt_frame_type(seL4_PageBits),
                                                seL4_PageBits, dbase + 0x6000, false, &cookie),
                     seL4_RangeError);
        /* can_use_dev without paddr: RAM, since bootinfo device untypeds are not RAM */
        CBT_CHECK_EQ(cb_parent_utspace_alloc(p, &path, pt_frame_type(seL4_PageBits),
                                             seL4_PageBits, true, &cookie), 0);
        uint64_t got = cb_parent_utspace_paddr(p, cookie, pt_frame_type(seL4_PageBits),
                                               seL4_PageBits);
        CBT_CHECK(got < dbase || got >= dbase + ((uint64_t) 1 << dbits));
        vka_object_t tmp = { .cptr = slot, .ut = cookie, .type = pt_frame_type(seL4_PageBits),
                             .size_bits = seL4_PageBits };
        CBT_CHECK_EQ(cb_parent_free_object(p, &tmp), 0);
        vka_free_object(&vka, &dev);
    }
    vka_free_object(&vka, &big);
    vka_free_object(&vka, &o);
    cb_parent_stats(p, &s);
    PT_CHECK_STATS_EQ(s, s0);
    CBT_CHECK(cb_parent_check(p));
    teardown_and_check(p, &boot, NULL);
}

static void test_alloc_at(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    alloc_at_on(&cfg);
#if CONFIG_WORD_SIZE == 64
    /* RAM above 4 GiB: paddrs must not be cut to 32 bits anywhere */
    cfg.ram_paddr = 5 * GIB;
    alloc_at_on(&cfg);
    cfg.ram_paddr = 64 * GIB;
    cfg.ram_bytes = 2 * GIB;
    alloc_at_on(&cfg);
#endif
}

/* With device_untypeds_are_ram, can_use_dev prefers the device untypeds. */
static void test_device_as_ram(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    cb_parent_t *p = NULL;
    cb_parent_config_t cfg = pt_config(bi, NULL);
    cfg.device_untypeds_are_ram = true;
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), 0);
    vka_t vka;
    cb_parent_make_vka(p, &vka);
    uint64_t dbase = 0;
    unsigned dbits = 0;
    if (!pick_untyped(bi, true, &dbase, &dbits)) {
        CBT_CHECK_EQ(cb_parent_teardown(p), 0);
        return;
    }
    vka_object_t a, b;
    CBT_CHECK_EQ(vka_alloc_frame_maybe_device(&vka, seL4_PageBits, true, &a), 0);
    uint64_t pa = vka_object_paddr(&vka, &a);
    CBT_CHECK(in_device_untyped(bi, pa));
    CBT_CHECK_EQ(vka_alloc_frame_maybe_device(&vka, seL4_PageBits, false, &b), 0);
    pa = vka_object_paddr(&vka, &b);
    CBT_CHECK(!in_device_untyped(bi, pa));
    vka_free_object(&vka, &a);
    vka_free_object(&vka, &b);
    CBT_CHECK_EQ(cb_parent_teardown(p), 0);
}

/* ---- exhaustion -------------------------------------------------------------------- */

static void test_exhaust_untyped(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, NULL, &vka);
    cb_parent_stats_t s0, s, s1;
    cb_parent_stats(p, &s0);
    size_t cap = 1024, n = 0;
    vka_object_t *objs = calloc(cap, sizeof(*objs));
    int err = 0;

    /* 4 MiB untypeds (what CapBuddy takes for a pool) until RAM runs out */
    while (n < cap && !(err = vka_alloc_untyped(&vka, 22, &objs[n]))) {
        n++;
    }
    CBT_CHECK_EQ(err, seL4_NotEnoughMemory);
    CBT_CHECK(n > 0 && n < cap);
    cb_parent_stats(p, &s);
    CBT_CHECK(s.largest_free_ram_bits < 22);
    uint64_t calls = sel4host_count_total();
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, 22, &objs[n]), seL4_NotEnoughMemory);
    CBT_CHECK_EQ(sel4host_count_total(), calls);
    cb_parent_stats(p, &s1);
    PT_CHECK_STATS_EQ(s1, s);
    /* everything comes back and merges: the largest untyped is available again */
    while (n) {
        vka_free_object(&vka, &objs[--n]);
    }
    cb_parent_stats(p, &s);
    PT_CHECK_STATS_EQ(s, s0);
    CBT_CHECK_EQ(s.largest_free_ram_bits, pt_boot_largest_ram(bi));
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, (uint32_t) s.largest_free_ram_bits, &objs[0]), 0);
    vka_free_object(&vka, &objs[0]);
    teardown_and_check(p, &boot, NULL);
    free(objs);
}

static void test_exhaust_slots(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    pt_account(&boot);
    cb_parent_t *p = NULL;
    cb_parent_config_t cfg = pt_config(bi, NULL);
    cfg.first_slot = bi->empty.start;
    cfg.end_slot = bi->empty.end + 1; /* past the end of the root CNode */
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), seL4_InvalidArgument);
    cfg.first_slot = bi->empty.start + 100;
    cfg.end_slot = bi->empty.start + 108;
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), 0);
    vka_t vka;
    cb_parent_make_vka(p, &vka);
    seL4_CPtr slots[9] = {0}; /* compared even after a failed alloc */

    for (int i = 0; i < 8; i++) {
        CBT_CHECK_EQ(vka_cspace_alloc(&vka, &slots[i]), 0);
        CBT_CHECK_EQ(slots[i], cfg.first_slot + (seL4_CPtr) i);
    }
    CBT_CHECK_EQ(vka_cspace_alloc(&vka, &slots[8]), seL4_NotEnoughMemory);
    for (int i = 0; i < 8; i++) {
        vka_cspace_free(&vka, slots[i]);
    }
    /* a double free and a foreign slot are refused */
    vka_cspace_free(&vka, slots[0]);
    vka_cspace_free(&vka, bi->empty.start);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    CBT_CHECK_EQ(s0.slots_used, 0);
    CBT_CHECK(cb_parent_check(p));

    /* a frame that needs more split slots than there are: refused before any call */
    int need = pt_boot_smallest_ram_fitting(bi, seL4_PageBits) - seL4_PageBits;
    vka_object_t o;
    uint64_t calls = sel4host_count_total();
    int err = vka_alloc_frame(&vka, seL4_PageBits, &o);
    if (2 * need + 1 > 8) {
        CBT_CHECK_EQ(err, seL4_NotEnoughMemory);
        CBT_CHECK_EQ(sel4host_count_total(), calls);
        cb_parent_stats(p, &s);
        PT_CHECK_STATS_EQ(s, s0);
    } else {
        CBT_CHECK_EQ(err, 0);
        vka_free_object(&vka, &o);
    }
    /* slot ranges */
    seL4_CPtr first;
    CBT_CHECK_EQ(cb_parent_cspace_alloc_range(p, 9, &first), seL4_NotEnoughMemory);
    CBT_CHECK_EQ(cb_parent_cspace_alloc_range(p, 0, &first), seL4_InvalidArgument);
    CBT_CHECK_EQ(cb_parent_cspace_alloc_range(p, 8, &first), 0);
    CBT_CHECK_EQ(first, cfg.first_slot);
    CBT_CHECK_EQ(cb_parent_cspace_free_range(p, first + 1, 8), seL4_InvalidArgument);
    CBT_CHECK_EQ(cb_parent_cspace_free_range(p, first, 8), 0);
    teardown_and_check(p, &boot, NULL);
}

static void test_exhaust_metadata(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    pt_account(&boot);
    struct pt_mem m = { 0 };
    cb_parent_t *p = NULL;
    cb_parent_config_t cfg = pt_config(bi, &m);

    /* init fails cleanly at each of its allocations */
    for (size_t k = 1; k <= 4; k++) {
        m.fail_at = k;
        int err = cb_parent_init(&p, &cfg);
        if (err == 0) {
            CBT_CHECK_EQ(m.failed, k - 1); /* init needs fewer than k allocations */
            CBT_CHECK_EQ(cb_parent_teardown(p), 0);
            break;
        }
        CBT_CHECK_EQ(err, seL4_NotEnoughMemory);
        CBT_CHECK_EQ(m.bytes, 0);
    }
    // cppcheck-suppress redundantAssignment ; init reads m through cfg.mem.cookie
    m.fail_at = 0;
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), 0);
    vka_t vka;
    cb_parent_make_vka(p, &vka);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    /* the first frame splits, so it needs node structs: fail each one in turn */
    for (size_t k = 1;; k++) {
        vka_object_t o;
        m.fail_at = k;
        uint64_t calls = sel4host_count_total();
        int err = vka_alloc_frame(&vka, seL4_PageBits, &o);
        // cppcheck-suppress redundantAssignment ; the parent reads m through its mem cookie
        m.fail_at = 0;
        if (err == 0) {
            vka_free_object(&vka, &o);
            break;
        }
        CBT_CHECK_EQ(err, seL4_NotEnoughMemory);
        CBT_CHECK_EQ(sel4host_count_total(), calls);
        cb_parent_stats(p, &s);
        PT_CHECK_STATS_EQ(s, s0);
        CBT_CHECK_EQ(s.metadata_bytes, s0.metadata_bytes);
        CBT_BAIL_IF_FAILED();
    }
    CBT_CHECK(cb_parent_check(p));
    teardown_and_check(p, &boot, &m);
}

/* ---- bad frees ----------------------------------------------------------------------- */

/*
 * A free of a cookie that is not live - freed before, even if its piece was handed out
 * again at once, or never given out, or with the wrong size - is refused and changes
 * nothing: the object now living in that piece stays allocated.
 */
static void test_stale_and_bad_frees(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, NULL, &vka);
    vka_object_t a, b, old;
    cb_parent_stats_t s, s1;

    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &a), 0);
    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &b), 0); /* a's buddy stays in use */
    old = a;
    vka_free_object(&vka, &a);
    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &a), 0);
    /* same slot and same piece (LIFO), yet the old cookie is stale */
    CBT_CHECK_EQ(a.cptr, old.cptr);
    CBT_CHECK_EQ(vka_object_paddr(&vka, &a), pt_frame_paddr(old.cptr));
    CBT_CHECK(a.ut != old.ut);
    cb_parent_stats(p, &s);
    CBT_CHECK_EQ(cb_parent_free_object(p, &old), seL4_InvalidArgument);
    cb_parent_utspace_free(p, old.type, old.size_bits, old.ut);
    CBT_CHECK_EQ(cb_parent_utspace_paddr(p, old.ut, old.type, old.size_bits), VKA_NO_PADDR);
    /* wrong size, never-issued and zero cookies */
    cb_parent_utspace_free(p, seL4_UntypedObject, 13, a.ut);
    cb_parent_utspace_free(p, a.type, a.size_bits, 0);
    cb_parent_utspace_free(p, a.type, a.size_bits, a.ut + ((seL4_Word) 1000 << 16));
    vka_object_t zero = { 0 };
    CBT_CHECK_EQ(cb_parent_free_object(p, &zero), seL4_InvalidArgument);
    cb_parent_stats(p, &s1);
    PT_CHECK_STATS_EQ(s1, s);
    CBT_CHECK_EQ(pt_frame_paddr(a.cptr), vka_object_paddr(&vka, &a));
    CBT_CHECK(cb_parent_check(p));
    vka_free_object(&vka, &a);
    vka_free_object(&vka, &b);
    /* a whole boot untyped handed out, freed, handed out again: old cookie stale too */
    int top = pt_boot_largest_ram(bi);
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, (uint32_t) top, &a), 0);
    old = a;
    vka_free_object(&vka, &a);
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, (uint32_t) top, &a), 0);
    cb_parent_utspace_free(p, old.type, old.size_bits, old.ut);
    cb_parent_stats(p, &s);
    CBT_CHECK_EQ(s.objects, 1);
    vka_free_object(&vka, &a);
    teardown_and_check(p, &boot, NULL);
}

/* ---- teardown ------------------------------------------------------------------------ */

static void test_teardown_with_live_objects(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    struct pt_mem m = { 0 };
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, &m, &vka);
    vka_object_t o;

    for (int i = 0; i < 100; i++) {
        CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &o), 0);
    }
    CBT_CHECK_EQ(vka_alloc_untyped(&vka, 22, &o), 0);
    CBT_CHECK_EQ(vka_alloc_endpoint(&vka, &o), 0);
    /* a copy of a frame cap in a slot of ours: a descendant, so teardown removes it too */
    vka_object_t f;
    seL4_CPtr copy;
    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &f), 0);
    CBT_CHECK_EQ(vka_cspace_alloc(&vka, &copy), 0);
    CBT_CHECK_EQ(seL4_CNode_Copy(seL4_CapInitThreadCNode, copy, seL4_WordBits,
                                 seL4_CapInitThreadCNode, f.cptr, seL4_WordBits,
                                 seL4_AllRights), 0);
    struct sel4host_account a;
    pt_account(&a);
    CBT_CHECK(a.caps_live > boot.caps_live);
    teardown_and_check(p, &boot, &m);
}

/* ---- fault injection ---------------------------------------------------------------- */

#define FAULT_ERR seL4_IllegalOperation

/* Snapshot before an operation; after a refusal, everything must be as it was. */
struct snap {
    cb_parent_stats_t s;
    struct sel4host_account a;
};

static void take_snap(cb_parent_t *p, struct snap *x)
{
    cb_parent_stats(p, &x->s);
    pt_account(&x->a);
}

static void check_unchanged(cb_parent_t *p, const struct snap *x)
{
    struct snap y;
    take_snap(p, &y);
    PT_CHECK_STATS_EQ(y.s, x->s);
    PT_CHECK_ACCOUNT_EQ(y.a, x->a);
}

/*
 * A workload touching every kernel call the parent makes: cold allocations (splits),
 * alloc_at, frees that merge, frees that do not. Returns how many operations were
 * refused; each refusal is checked to change nothing, and retried.
 */
static unsigned faulty_workload(cb_parent_t *p, vka_t *vka, const seL4_BootInfo *bi)
{
    vka_object_t objs[12];
    unsigned refused = 0;
    struct snap x;
    uint64_t base = 0;
    unsigned bits = 0;
    CBT_CHECK(pick_untyped(bi, false, &base, &bits));

    for (int i = 0; i < 12; i++) {
        for (;;) {
            take_snap(p, &x);
            int err = i == 5 ? vka_alloc_frame_at(vka, seL4_PageBits,
                                                  (uintptr_t)(base + ((uint64_t) 1 << (bits - 1)) +
                                                              0x7000), &objs[i])
                             : i == 9 ? vka_alloc_untyped(vka, 16, &objs[i])
                                      : vka_alloc_frame(vka, seL4_PageBits, &objs[i]);
            if (!err) {
                break;
            }
            CBT_CHECK_EQ(err, FAULT_ERR);
            check_unchanged(p, &x);
            CBT_CHECK(cb_parent_check(p));
            refused++;
            if (refused > 100) {
                return refused;
            }
        }
    }
    for (int i = 11; i >= 0; i -= (i % 3) ? 1 : 2) {
        for (;;) {
            take_snap(p, &x);
            int err = cb_parent_free_object(p, &objs[i]);
            if (!err) {
                break;
            }
            CBT_CHECK_EQ(err, FAULT_ERR);
            check_unchanged(p, &x);
            refused++;
        }
        CBT_CHECK(cb_parent_check(p));
    }
    return refused;
}

static void test_fault_injection(void)
{
    static const enum sel4host_inv kinds[] = { SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_DELETE };
    for (size_t k = 0; k < 2; k++) {
        unsigned hits = 0;
        for (uint64_t nth = 1;; nth++) {
            const seL4_BootInfo *bi = pt_boot(NULL);
            struct sel4host_account boot;
            struct pt_mem m = { 0 };
            vka_t vka;
            pt_account(&boot);
            cb_parent_t *p = make(bi, &m, &vka);
            sel4host_fault_nth(kinds[k], nth, FAULT_ERR);
            faulty_workload(p, &vka, bi);
            uint64_t injected = sel4host_faults_injected();
            sel4host_fault_clear();
            CBT_CHECK(cb_parent_check(p));
            teardown_and_check(p, &boot, &m);
            CBT_BAIL_IF_FAILED();
            if (!injected) {
                break;
            }
            hits++;
        }
        printf("     fault injection: %s failed in turn at each of %u calls\n",
               sel4host_inv_name(kinds[k]), hits);
        CBT_CHECK(hits > 10);
    }
    /* teardown's revokes: a failed one leaves a usable parent; teardown again finishes */
    for (uint64_t nth = 1; nth <= 4; nth++) {
        const seL4_BootInfo *bi = pt_boot(NULL);
        struct sel4host_account boot;
        struct pt_mem m = { 0 };
        vka_t vka;
        vka_object_t o;
        pt_account(&boot);
        cb_parent_t *p = make(bi, &m, &vka);
        for (int i = 0; i < 3; i++) {
            CBT_CHECK_EQ(vka_alloc_untyped(&vka, (uint32_t)(pt_boot_largest_ram(bi) - i), &o), 0);
        }
        sel4host_fault_nth(SEL4HOST_CNODE_REVOKE, nth, FAULT_ERR);
        int err = cb_parent_teardown(p);
        sel4host_fault_clear();
        if (err) {
            CBT_CHECK_EQ(err, FAULT_ERR);
            CBT_CHECK(cb_parent_check(p));
            teardown_and_check(p, &boot, &m);
        } else {
            struct sel4host_account a;
            pt_account(&a);
            PT_CHECK_ACCOUNT_EQ(a, boot);
        }
    }
}

/*
 * Faults at random in both kinds at once, so that one operation can meet two failures
 * (a split whose undo fails, a merge that stops half way): every state reached must be
 * sound, allocation must go on working, and teardown must still return everything.
 */
static void test_random_faults(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot;
    struct pt_mem m = { 0 };
    vka_t vka;
    pt_account(&boot);
    cb_parent_t *p = make(bi, &m, &vka);
    const size_t cap = 512;
    vka_object_t *objs = calloc(cap, sizeof(*objs));
    size_t n = 0, refused = 0;
    struct cbt_rng rng;
    size_t ops = (size_t)(4000 * cbtest_scale());

    cbt_seed(&rng, 99);
    sel4host_fault_seed(1234);
    sel4host_fault_probability(SEL4HOST_UNTYPED_RETYPE, 0.2, FAULT_ERR);
    sel4host_fault_probability(SEL4HOST_CNODE_DELETE, 0.2, FAULT_ERR);
    for (size_t op = 0; op < ops; op++) {
        if (n < cap && (n == 0 || cbt_below(&rng, 100) < 60)) {
            unsigned bits = seL4_PageBits + (unsigned) cbt_below(&rng, 6);
            int err = bits == seL4_PageBits ? vka_alloc_frame(&vka, bits, &objs[n])
                                            : vka_alloc_untyped(&vka, bits, &objs[n]);
            CBT_CHECK(err == 0 || err == FAULT_ERR || err == seL4_NotEnoughMemory);
            if (!err) {
                n++;
            } else {
                refused++;
            }
        } else {
            size_t i = (size_t) cbt_below(&rng, n);
            if (cb_parent_free_object(p, &objs[i]) == 0) {
                objs[i] = objs[--n];
            } else {
                refused++;
            }
        }
        if (op % 64 == 0) {
            CBT_CHECK(cb_parent_check(p));
            if (cbtest_failures) {
                break;
            }
        }
    }
    sel4host_fault_clear();
    CBT_CHECK(refused > 0);
    CBT_CHECK(cb_parent_check(p));
    /* without faults it keeps working */
    vka_object_t o;
    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &o), 0);
    vka_free_object(&vka, &o);
    while (n) {
        CBT_CHECK_EQ(cb_parent_free_object(p, &objs[--n]), 0);
    }
    CBT_CHECK(cb_parent_check(p));
    teardown_and_check(p, &boot, &m);
    free(objs);
}

/* ---- kernel calls per frame ------------------------------------------------------------ */

struct calls {
    uint64_t retype, del, revoke, total;
};

static void calls_now(struct calls *c)
{
    c->retype = sel4host_count(SEL4HOST_UNTYPED_RETYPE);
    c->del = sel4host_count(SEL4HOST_CNODE_DELETE);
    c->revoke = sel4host_count(SEL4HOST_CNODE_REVOKE);
    c->total = sel4host_count_total();
}

static void test_kernel_calls_per_frame(void)
{
    /*
     * 2048 frames plus the untyped pieces they were split from need more slots than a
     * stock 4096-slot root CNode has (allocman-style allocation runs out of slots after
     * about 1300 frames there): use a 2^16-slot root CNode.
     */
    const seL4_BootInfo *bi = pt_boot_cnode_bits(16);
    vka_t vka;
    cb_parent_t *p = make(bi, NULL, &vka);
    struct calls c;
    cb_parent_stats_t s;

    /* the very first frame: split the smallest fitting boot untyped down to 4 KiB */
    int d = pt_boot_smallest_ram_fitting(bi, seL4_PageBits) - seL4_PageBits;
    vka_object_t first;
    sel4host_counters_reset();
    CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &first), 0);
    calls_now(&c);
    CBT_CHECK_EQ(c.retype, 2 * (uint64_t) d + 1);
    CBT_CHECK_EQ(c.total, c.retype);
    printf("     first frame: %llu Retypes (%d splits)\n", (unsigned long long) c.retype, d);
    vka_free_object(&vka, &first);
    calls_now(&c);
    CBT_CHECK_EQ(c.del, 1 + 2 * (uint64_t) d); /* the frame, then d merges */
    CBT_CHECK(cb_parent_check(p));

    /* cold: n frames from a fresh parent, as vka_alloc_frame callers do */
    const size_t n = 2048;
    vka_object_t *objs = calloc(n, sizeof(*objs));
    cb_parent_stats_t s0;
    cb_parent_stats(p, &s0);
    sel4host_counters_reset();
    for (size_t i = 0; i < n; i++) {
        CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &objs[i]), 0);
    }
    calls_now(&c);
    cb_parent_stats(p, &s);
    uint64_t splits = s.splits - s0.splits;
    CBT_CHECK_EQ(c.retype, n + 2 * splits);
    CBT_CHECK_EQ(c.total, c.retype);
    printf("     cold alloc: %zu frames, %llu Retypes = %.3f per frame, %.3f calls per frame\n",
           n, (unsigned long long) c.retype, (double) c.retype / (double) n,
           (double) c.total / (double) n);

    /* steady state: the buddies are in use, so no split and no merge */
    const size_t rounds = 1000;
    sel4host_counters_reset();
    for (size_t r = 0; r < rounds; r++) {
        /* the first half: every frame there has its buddy in use, so nothing merges */
        size_t i = (r * 7) % (n / 2);
        vka_free_object(&vka, &objs[i]);
        CBT_CHECK_EQ(vka_alloc_frame(&vka, seL4_PageBits, &objs[i]), 0);
    }
    calls_now(&c);
    CBT_CHECK_EQ(c.retype, rounds);
    CBT_CHECK_EQ(c.del, rounds);
    CBT_CHECK_EQ(c.total, 2 * rounds);
    printf("     steady state: per frame %.3f Retype + %.3f Delete (alloc + free)\n",
           (double) c.retype / (double) rounds, (double) c.del / (double) rounds);

    /* cold free: everything back, merging all the way */
    cb_parent_stats(p, &s0);
    sel4host_counters_reset();
    for (size_t i = 0; i < n; i++) {
        vka_free_object(&vka, &objs[i]);
    }
    calls_now(&c);
    cb_parent_stats(p, &s);
    uint64_t merges = s.merges - s0.merges;
    CBT_CHECK_EQ(c.del, n + 2 * merges);
    CBT_CHECK_EQ(c.total, c.del);
    CBT_CHECK_EQ(s.slots_used, 0);
    printf("     free all: %llu Deletes = %.3f per frame (%llu merges)\n",
           (unsigned long long) c.del, (double) c.del / (double) n,
           (unsigned long long) merges);
    CBT_CHECK_EQ(cb_parent_teardown(p), 0);
    free(objs);
}

int main(void)
{
    printf("parent/vka on %s\n", sel4host_arch_name());
    CBT_RUN(test_every_object);
    CBT_RUN(test_alloc_at);
    CBT_RUN(test_device_as_ram);
    CBT_RUN(test_exhaust_untyped);
    CBT_RUN(test_exhaust_slots);
    CBT_RUN(test_exhaust_metadata);
    CBT_RUN(test_stale_and_bad_frees);
    CBT_RUN(test_teardown_with_live_objects);
    CBT_RUN(test_fault_injection);
    CBT_RUN(test_random_faults);
    CBT_RUN(test_kernel_calls_per_frame);
    sel4host_shutdown();
    return cbtest_finish();
}
