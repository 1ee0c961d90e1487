/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Tests of the parent's two allocators: the slot bitmap (cslots, pure) against a
 * reference array, and the split untyped allocator (through cb_parent, on the model):
 * every piece size, lowest-size-class choice, buddy merging back to the boot untypeds,
 * and random churn with integrity checks and no overlapping allocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cslots.h"
#include "parent_test.h"

/* ---- cslots ---------------------------------------------------------------------------- */

static void cslots_against_reference(size_t first, size_t count, uint64_t seed)
{
    struct cb_cslots c;
    void *mem = malloc(cb_cslots_bytes(count));
    bool *taken = calloc(count + 1, sizeof(bool));
    struct cbt_rng rng;
    size_t slot = 0;

    cbt_seed(&rng, seed);
    cb_cslots_init(&c, first, count, mem);
    CBT_CHECK(cb_cslots_check(&c));
    /* lowest first: a fresh allocator hands out first, first + 1, ... */
    for (size_t i = 0; i < count; i++) {
        CBT_CHECK(cb_cslots_alloc(&c, &slot));
        CBT_CHECK_EQ(slot, first + i);
        taken[i] = true;
    }
    CBT_CHECK(!cb_cslots_alloc(&c, &slot));
    CBT_CHECK(cb_cslots_check(&c));
    CBT_CHECK(!cb_cslots_is_taken(&c, first + count));
    if (first) {
        CBT_CHECK(!cb_cslots_is_taken(&c, first - 1));
    }
    size_t ops = (size_t)(20000 * cbtest_scale());
    for (size_t op = 0; count && op < ops; op++) {
        size_t i = (size_t) cbt_below(&rng, count);
        if (cbt_below(&rng, 2) && taken[i]) {
            CBT_CHECK(cb_cslots_is_taken(&c, first + i));
            cb_cslots_free(&c, first + i);
            taken[i] = false;
        } else if (cb_cslots_alloc(&c, &slot)) {
            size_t lowest = 0;
            while (taken[lowest]) {
                lowest++;
            }
            CBT_CHECK_EQ(slot, first + lowest);
            taken[lowest] = true;
        } else {
            for (size_t j = 0; j < count; j++) {
                CBT_CHECK(taken[j]);
            }
        }
        if (op % 1024 == 0) {
            CBT_CHECK(cb_cslots_check(&c));
            if (cbtest_failures) {
                break; /* not a return: taken is freed below */
            }
        }
    }
    CBT_CHECK(cb_cslots_check(&c));
    free(taken);
    free(mem);
}

static void test_cslots_reference(void)
{
    static const size_t counts[] = { 0, 1, 63, 64, 65, 4080, 4096, 64 * 64 + 1, 300000 };
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        cslots_against_reference(16 + i, counts[i], 1000 + i);
        CBT_BAIL_IF_FAILED();
    }
}

static void test_cslots_range(void)
{
    struct cb_cslots c;
    size_t count = 4000, first = 0, s = 0;
    void *mem = malloc(cb_cslots_bytes(count));

    cb_cslots_init(&c, 100, count, mem);
    CBT_CHECK(cb_cslots_alloc_range(&c, 1024, &first));
    CBT_CHECK_EQ(first, 100);
    CBT_CHECK(cb_cslots_alloc(&c, &s));
    CBT_CHECK_EQ(s, 1124);
    CBT_CHECK(cb_cslots_alloc_range(&c, 1024, &first));
    CBT_CHECK_EQ(first, 1125);
    /* free one slot inside the second range: a run of 1024 must not use the hole */
    cb_cslots_free(&c, 1500);
    CBT_CHECK(cb_cslots_alloc_range(&c, 1024, &first));
    CBT_CHECK_EQ(first, 2149);
    CBT_CHECK(!cb_cslots_alloc_range(&c, 1024, &first)); /* 927 left at the end + hole */
    CBT_CHECK(cb_cslots_alloc_range(&c, 927, &first));
    CBT_CHECK_EQ(first, 3173);
    CBT_CHECK(cb_cslots_alloc_range(&c, 1, &first));
    CBT_CHECK_EQ(first, 1500);
    CBT_CHECK_EQ(c.free, 0);
    CBT_CHECK(cb_cslots_check(&c));
    free(mem);
}

/* ---- split allocator ---------------------------------------------------------------- */

static cb_parent_t *fresh_parent(const seL4_BootInfo *bi, struct pt_mem *m)
{
    cb_parent_t *p = NULL;
    cb_parent_config_t cfg = pt_config(bi, m);
    CBT_CHECK_EQ(cb_parent_init(&p, &cfg), seL4_NoError);
    return p;
}

/* Retype an untyped of bits into a fresh slot. */
static int alloc_untyped(cb_parent_t *p, unsigned bits, vka_object_t *o)
{
    cspacepath_t path;
    int err = cb_parent_cspace_alloc(p, &o->cptr);
    if (err) {
        return err;
    }
    cb_parent_cspace_make_path(p, o->cptr, &path);
    err = cb_parent_utspace_alloc(p, &path, seL4_UntypedObject, bits, false, &o->ut);
    if (err) {
        cb_parent_cspace_free(p, o->cptr);
        return err;
    }
    o->type = seL4_UntypedObject;
    o->size_bits = bits;
    return 0;
}

static void every_piece_size_on(const struct sel4host_config *cfg)
{
    const seL4_BootInfo *bi = pt_boot(cfg);
    struct sel4host_account boot;
    struct pt_mem m = { 0 };
    pt_account(&boot);
    cb_parent_t *p = fresh_parent(bi, &m);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    int top = pt_boot_largest_ram(bi);
    CBT_CHECK_EQ(s0.largest_free_ram_bits, top);

    for (unsigned bits = seL4_MinUntypedBits; bits <= (unsigned) top; bits++) {
        vka_object_t o;
        CBT_CHECK_EQ(alloc_untyped(p, bits, &o), seL4_NoError);
        uint64_t pa = cb_parent_utspace_paddr(p, o.ut, o.type, o.size_bits);
        CBT_CHECK(pa != VKA_NO_PADDR);
        CBT_CHECK_EQ(pa & (((uint64_t) 1 << bits) - 1), 0);
        cb_parent_stats(p, &s);
        CBT_CHECK_EQ(s.ram_bytes_used, (uint64_t) 1 << bits);
        CBT_CHECK(cb_parent_check(p));
        CBT_CHECK_EQ(cb_parent_free_object(p, &o), seL4_NoError);
        /* everything merged back: no piece left, boot sizes available again */
        cb_parent_stats(p, &s);
        PT_CHECK_STATS_EQ(s, s0);
        CBT_BAIL_IF_FAILED();
    }
    CBT_CHECK_EQ(pt_model_check(), 0);
    CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
    CBT_CHECK_EQ(m.bytes, 0);
    struct sel4host_account a;
    pt_account(&a);
    PT_CHECK_ACCOUNT_EQ(a, boot);
}

/* Stock configuration, a 2^18-slot root CNode, fan-out limit 1024, RAM above 4 GiB. */
static void test_every_piece_size(void)
{
    struct sel4host_config cfg;
    sel4host_config_default(&cfg);
    every_piece_size_on(&cfg);
    cfg.root_cnode_bits = 18;
    every_piece_size_on(&cfg);
    cfg.fan_out_limit = 1024;
    every_piece_size_on(&cfg);
#if CONFIG_WORD_SIZE == 64
    cfg.ram_paddr = (uint64_t) 6 << 30;
    every_piece_size_on(&cfg);
#endif
}

/* The smallest free piece that fits is split, never a larger one (allocman's choice). */
static void test_smallest_piece_first(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    cb_parent_t *p = fresh_parent(bi, NULL);
    int smallest = pt_boot_smallest_ram_fitting(bi, seL4_PageBits);
    vka_object_t o;
    cb_parent_stats_t s;

    CBT_CHECK(smallest >= seL4_PageBits);
    sel4host_counters_reset();
    CBT_CHECK_EQ(alloc_untyped(p, seL4_PageBits, &o), seL4_NoError);
    cb_parent_stats(p, &s);
    CBT_CHECK_EQ(s.splits, (uint64_t)(smallest - seL4_PageBits));
    CBT_CHECK_EQ(sel4host_count(SEL4HOST_UNTYPED_RETYPE), 2 * (smallest - seL4_PageBits) + 1);
    CBT_CHECK_EQ(s.slots_pieces, 2 * (size_t)(smallest - seL4_PageBits));
    CBT_CHECK(cb_parent_check(p));
    CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
}

/* Fill one size class with 4 KiB pieces, free in random order: all merges back. */
static void test_merge_back(void)
{
    /* 2048 frames plus their split pieces do not fit in a stock 4096-slot root CNode */
    const seL4_BootInfo *bi = pt_boot_cnode_bits(16);
    struct sel4host_account boot, a;
    pt_account(&boot);
    cb_parent_t *p = fresh_parent(bi, NULL);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    size_t n = 2048;
    vka_object_t *objs = calloc(n, sizeof(*objs));
    struct cbt_rng rng;
    cbt_seed(&rng, 7);

    for (size_t i = 0; i < n; i++) {
        CBT_CHECK_EQ(alloc_untyped(p, seL4_PageBits, &objs[i]), seL4_NoError);
    }
    CBT_CHECK(cb_parent_check(p));
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t) cbt_below(&rng, i);
        vka_object_t t = objs[j];
        objs[j] = objs[i - 1];
        objs[i - 1] = t;
    }
    for (size_t i = 0; i < n; i++) {
        CBT_CHECK_EQ(cb_parent_free_object(p, &objs[i]), seL4_NoError);
    }
    cb_parent_stats(p, &s);
    PT_CHECK_STATS_EQ(s, s0);
    CBT_CHECK_EQ(s.merges, s.splits);
    CBT_CHECK(cb_parent_check(p));
    /* the largest boot untyped can be handed out whole again */
    vka_object_t big;
    CBT_CHECK_EQ(alloc_untyped(p, (unsigned) s0.largest_free_ram_bits, &big), seL4_NoError);
    CBT_CHECK_EQ(cb_parent_free_object(p, &big), seL4_NoError);
    CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
    pt_account(&a);
    PT_CHECK_ACCOUNT_EQ(a, boot);
    free(objs);
}

/*
 * Issue 15, item 6: a CNode_Delete that fails while merging buddies back. Each Delete of
 * the merges of one free fails in turn; the block must not be lost: the memory stays
 * usable, the merge is retried when a request needs it (here: the whole boot untyped, at
 * its address), and once everything is freed the parent is as it was at boot.
 */
static void test_merge_delete_fails(void)
{
    uint64_t deletes = 0;
    for (uint64_t n = 0; n <= deletes; n++) {
        unsigned long failures = cbtest_failures;
        const seL4_BootInfo *bi = pt_boot(NULL);
        struct sel4host_account boot, a;
        pt_account(&boot);
        cb_parent_t *p = fresh_parent(bi, NULL);
        cb_parent_stats_t s0, s;
        cb_parent_stats(p, &s0);
        int smallest = pt_boot_smallest_ram_fitting(bi, seL4_PageBits);
        vka_object_t o;
        CBT_CHECK_EQ(alloc_untyped(p, seL4_PageBits, &o), seL4_NoError);
        uint64_t base = cb_parent_utspace_paddr(p, o.ut, o.type, o.size_bits) &
                        ~(((uint64_t) 1 << smallest) - 1);
        uint64_t before = sel4host_count(SEL4HOST_CNODE_DELETE);
        if (n) {
            sel4host_fault_nth(SEL4HOST_CNODE_DELETE, n, seL4_InvalidArgument);
        }
        int ferr = cb_parent_free_object(p, &o);
        if (n) {
            CBT_CHECK_EQ(sel4host_faults_injected(), 1);
        } else {
            deletes = sel4host_count(SEL4HOST_CNODE_DELETE) - before;
        }
        sel4host_fault_clear();
        if (ferr) {
            /* the first Delete is the object's own: the free is refused, changing nothing */
            CBT_CHECK_EQ(n, 1);
            CBT_CHECK_EQ(cb_parent_free_object(p, &o), seL4_NoError);
        }
        CBT_CHECK(cb_parent_check(p));
        /* the whole block, at its own address: needs every merge done */
        vka_object_t whole;
        cspacepath_t path;
        CBT_CHECK_EQ(cb_parent_cspace_alloc(p, &whole.cptr), 0);
        cb_parent_cspace_make_path(p, whole.cptr, &path);
        int err = cb_parent_utspace_alloc_at(p, &path, seL4_UntypedObject, (seL4_Word) smallest,
                                             base, false, &whole.ut);
        CBT_CHECK_EQ(err, seL4_NoError);
        if (err == seL4_NoError) {
            whole.type = seL4_UntypedObject;
            whole.size_bits = (seL4_Word) smallest;
            CBT_CHECK_EQ(cb_parent_free_object(p, &whole), seL4_NoError);
        } else {
            cb_parent_cspace_free(p, whole.cptr);
        }
        cb_parent_stats(p, &s);
        PT_CHECK_STATS_EQ(s, s0);
        CBT_CHECK(cb_parent_check(p));
        CBT_CHECK_EQ(pt_model_check(), 0);
        CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
        pt_account(&a);
        PT_CHECK_ACCOUNT_EQ(a, boot);
        if (cbtest_failures != failures) {
            fprintf(stderr, "  ^ merge Delete %llu of %llu failed\n", (unsigned long long) n,
                    (unsigned long long) deletes);
        }
    }
    CBT_CHECK(deletes >= 2);
}

struct live {
    vka_object_t o;
    uint64_t paddr;
};

static int live_cmp(const void *x, const void *y)
{
    const struct live *a = x, *b = y;
    return a->paddr < b->paddr ? -1 : a->paddr > b->paddr;
}

/* Random sizes, random frees; allocations never overlap; everything comes back. */
static void test_random_churn(void)
{
    const seL4_BootInfo *bi = pt_boot(NULL);
    struct sel4host_account boot, a;
    pt_account(&boot);
    struct pt_mem m = { 0 };
    cb_parent_t *p = fresh_parent(bi, &m);
    cb_parent_stats_t s0, s;
    cb_parent_stats(p, &s0);
    size_t cap = 4096, n = 0;
    struct live *live = calloc(cap, sizeof(*live));
    struct live *sorted = calloc(cap, sizeof(*live));
    struct cbt_rng rng;
    size_t ops = (size_t)(20000 * cbtest_scale());

    cbt_seed(&rng, 42);
    for (size_t op = 0; op < ops; op++) {
        if (n < cap && (n == 0 || cbt_below(&rng, 100) < 55)) {
            unsigned bits = seL4_MinUntypedBits + (unsigned) cbt_below(&rng, 19);
            int err = alloc_untyped(p, bits, &live[n].o);
            CBT_CHECK(err == seL4_NoError || err == seL4_NotEnoughMemory);
            if (!err) {
                live[n].paddr = cb_parent_utspace_paddr(p, live[n].o.ut, live[n].o.type, bits);
                n++;
            }
        } else {
            size_t i = (size_t) cbt_below(&rng, n);
            CBT_CHECK_EQ(cb_parent_free_object(p, &live[i].o), seL4_NoError);
            live[i] = live[--n];
        }
        if (op % 512 == 0) {
            CBT_CHECK(cb_parent_check(p));
            memcpy(sorted, live, n * sizeof(*live));
            qsort(sorted, n, sizeof(*sorted), live_cmp);
            for (size_t i = 1; i < n; i++) {
                CBT_CHECK(sorted[i - 1].paddr + ((uint64_t) 1 << sorted[i - 1].o.size_bits) <=
                          sorted[i].paddr);
            }
            if (cbtest_failures) {
                break;
            }
        }
    }
    CBT_CHECK_EQ(pt_model_check(), 0);
    while (n) {
        CBT_CHECK_EQ(cb_parent_free_object(p, &live[--n].o), seL4_NoError);
    }
    cb_parent_stats(p, &s);
    PT_CHECK_STATS_EQ(s, s0);
    CBT_CHECK(cb_parent_check(p));
    CBT_CHECK_EQ(cb_parent_teardown(p), seL4_NoError);
    CBT_CHECK_EQ(m.bytes, 0);
    pt_account(&a);
    PT_CHECK_ACCOUNT_EQ(a, boot);
    free(live);
    free(sorted);
}

int main(void)
{
    printf("parent/split on %s\n", sel4host_arch_name());
    CBT_RUN(test_cslots_reference);
    CBT_RUN(test_cslots_range);
    CBT_RUN(test_every_piece_size);
    CBT_RUN(test_smallest_piece_first);
    CBT_RUN(test_merge_back);
    CBT_RUN(test_merge_delete_fails);
    CBT_RUN(test_random_churn);
    sel4host_shutdown();
    return cbtest_finish();
}
