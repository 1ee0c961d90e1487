/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Fuzz target for the whole public API (native calls, the original entry points and the vka
 * wrapper) on the host seL4 model, against a plain reference of who owns which frame.
 *
 * Each input boots a small world (policy, spare pools and fan-out from its first bytes), then
 * runs one operation per 4 bytes: allocs of every size, at arbitrary paddrs, device or not;
 * frees of live, stale, foreign, misaligned and wrong-size runs; is_from_pool queries;
 * flushes; injected kernel and metadata faults. After every step:
 *   - no frame is handed out twice while live (reference indexed by physical frame);
 *   - every live allocation still reads its own tag through its caps;
 *   - a refused call changed nothing (CapBuddy's stats and the model's capability digest);
 *   - capbuddy_check() and the parent's check hold.
 * At the end everything is torn down and the model's accounting must be back at boot values.
 */
#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <capbuddy/vka_pool.h>
#include <sel4host/host.h>
#include <sel4runtime.h>
#include <vka/object.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BYTES (48ull << 20)
#define MAX_LIVE 256
#define MAX_FRAMES (RAM_BYTES >> 12)

#define FAIL(...)                                                                                 \
    do {                                                                                          \
        fprintf(stderr, "fuzz_api: " __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                                      \
        abort();                                                                                  \
    } while (0)

struct live {
    seL4_CPtr cptr;
    seL4_Word size_bits;
    uint64_t paddr;
    uint64_t tag;
    bool via_vka; /* allocated through the wrapper: object holds the caller's copy */
    vka_object_t obj;
};

static struct live live[MAX_LIVE];
static unsigned nlive;
static uint32_t *owner; /* per physical frame (paddr - ram_base) >> 12: tag low bits, 0 free */
static uint64_t ram_base;
static uint64_t next_tag;
static vka_t wvka; /* the wrapper */

/* Metadata hook that can be told to fail its Nth call from now. */
static long meta_fail_in;

static void *meta_alloc(void *cookie, size_t bytes)
{
    (void)cookie;
    if (meta_fail_in > 0 && --meta_fail_in == 0) {
        return NULL;
    }
    return malloc(bytes);
}

static void meta_free(void *cookie, void *ptr, size_t bytes)
{
    (void)cookie;
    (void)bytes;
    free(ptr);
}

static int scrub(void *cookie, seL4_CPtr frame)
{
    (void)cookie;
    static const uint8_t zero[4096];
    return sel4host_frame_write(frame, 0, zero, sizeof(zero)) == seL4_NoError ? 0 : -1;
}

static size_t frame_of(uint64_t paddr)
{
    if (paddr < ram_base || paddr - ram_base >= RAM_BYTES) {
        return (size_t)-1; /* device memory: not tracked by owner[] but still tagged */
    }
    return (size_t)((paddr - ram_base) >> 12);
}

/* The frames of one allocation: their caps. Pool runs are contiguous in cptr space; a
 * wrapper allocation is one frame whose cap is the caller's copy. */
static void check_tags(const struct live *l)
{
    seL4_Word n = (seL4_Word)1 << (l->size_bits - 12);
    /* Reading every frame of a 4 MiB run each step is slow; first, last and middle suffice
     * to catch a frame given to someone else (tags are per allocation). */
    seL4_Word probe[3] = {0, n / 2, n - 1};
    for (int k = 0; k < 3; k++) {
        uint64_t got = 0;
        if (sel4host_frame_read(l->cptr + probe[k], 0, &got, sizeof(got)) != seL4_NoError) {
            FAIL("live frame %lu of run at %lu unreadable", (unsigned long)probe[k],
                 (unsigned long)l->cptr);
        }
        if (got != l->tag) {
            FAIL("live frame of run at %lu carries tag %llx, not %llx", (unsigned long)l->cptr,
                 (unsigned long long)got, (unsigned long long)l->tag);
        }
    }
}

static void take(uint64_t paddr, seL4_Word size_bits, uint64_t tag)
{
    for (uint64_t f = 0; f < ((uint64_t)1 << (size_bits - 12)); f++) {
        size_t i = frame_of(paddr + (f << 12));
        if (i == (size_t)-1) {
            continue;
        }
        if (owner[i]) {
            FAIL("frame at paddr %llx handed out twice", (unsigned long long)(paddr + (f << 12)));
        }
        owner[i] = (uint32_t)tag;
    }
}

static void release(uint64_t paddr, seL4_Word size_bits)
{
    for (uint64_t f = 0; f < ((uint64_t)1 << (size_bits - 12)); f++) {
        size_t i = frame_of(paddr + (f << 12));
        if (i != (size_t)-1) {
            owner[i] = 0;
        }
    }
}

static void adopt(capbuddy_t *cb, seL4_CPtr cptr, seL4_Word size_bits, bool via_vka,
                  const vka_object_t *obj)
{
    if (nlive == MAX_LIVE) {
        return;
    }
    struct live *l = &live[nlive++];
    l->cptr = cptr;
    l->size_bits = size_bits;
    l->via_vka = via_vka;
    if (obj) {
        l->obj = *obj;
    }
    l->tag = ++next_tag | 0x5a5a000000000000ull;
    l->paddr = via_vka ? vka_object_paddr(&wvka, &l->obj) : capbuddy_paddr(cb, cptr);
    if (l->paddr == VKA_NO_PADDR) {
        FAIL("allocated run at %lu has no paddr", (unsigned long)cptr);
    }
    take(l->paddr, size_bits, l->tag);
    for (seL4_Word f = 0; f < ((seL4_Word)1 << (size_bits - 12)); f++) {
        if (sel4host_frame_write(cptr + f, 0, &l->tag, sizeof(l->tag)) != seL4_NoError) {
            FAIL("cannot write a fresh frame");
        }
    }
}

struct snapshot {
    struct capbuddy_stats st;
    uint64_t digest;
};

static void snap(const capbuddy_t *cb, struct snapshot *s)
{
    capbuddy_stats(cb, &s->st);
    s->digest = sel4host_digest();
}

static void expect_unchanged(const capbuddy_t *cb, const struct snapshot *before, const char *what)
{
    struct snapshot after;
    snap(cb, &after);
    if (after.digest != before->digest || after.st.frames_used != before->st.frames_used ||
        after.st.frames_free != before->st.frames_free ||
        after.st.frames_quarantined != before->st.frames_quarantined ||
        after.st.metadata_bytes != before->st.metadata_bytes ||
        after.st.pools_ram + after.st.pools_device != before->st.pools_ram + before->st.pools_device) {
        FAIL("refused %s changed the state", what);
    }
}

static void check_all(const capbuddy_t *cb, const cb_parent_t *parent)
{
    int err = capbuddy_check(cb);
    if (err) {
        FAIL("capbuddy_check failed: %d", err);
    }
    if (!cb_parent_check(parent)) {
        FAIL("parent check failed");
    }
    for (unsigned k = 0; k < nlive; k++) {
        check_tags(&live[k]);
    }
}

static void drop_live(unsigned k)
{
    release(live[k].paddr, live[k].size_bits);
    live[k] = live[--nlive];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) {
        return 0;
    }
    struct sel4host_config hc;
    sel4host_config_default(&hc);
    hc.ram_bytes = RAM_BYTES;
    hc.root_cnode_bits = 14;
    hc.fan_out_limit = (data[0] & 1) ? 1024 : 256;
    /* RAM above 4 GiB where the word can hold such addresses (64-bit arches). */
    hc.ram_paddr = ((data[0] & 2) && sizeof(seL4_Word) == 8) ? (5ull << 30) : 0;
    if (sel4host_boot(&hc) != seL4_NoError) {
        FAIL("boot");
    }
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    ram_base = hc.ram_paddr;
    static uint32_t owners[MAX_FRAMES];
    memset(owners, 0, sizeof(owners));
    owner = owners;
    nlive = 0;
    meta_fail_in = 0;
    struct sel4host_account boot;
    sel4host_account(&boot);

    seL4_Word half = bi->empty.start + (bi->empty.end - bi->empty.start) / 2;
    cb_parent_config_t pc = {.bootinfo = bi, .first_slot = bi->empty.start, .end_slot = half};
    cb_parent_t *parent;
    if (cb_parent_init(&parent, &pc)) {
        FAIL("parent init");
    }
    vka_t pvka;
    cb_parent_make_vka(parent, &pvka);

    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, &pvka, seL4_CapInitThreadCNode, half, bi->empty.end - half);
    cfg.policy = (enum capbuddy_policy)((data[1] % 3));
    cfg.spare_pools = data[1] >> 6;
    cfg.fan_out_limit = hc.fan_out_limit;
    cfg.bootinfo = (data[0] & 4) ? bi : NULL;
    cfg.meta_alloc = meta_alloc;
    cfg.meta_free = meta_free;
    cfg.scrub = (data[0] & 8) ? scrub : NULL;
    capbuddy_t *cb;
    if (capbuddy_init(&cb, &cfg)) {
        FAIL("init");
    }
    struct capbuddy_vka wstate;
    capbuddy_vka_make(&wstate, cb, &pvka, &wvka);

    for (size_t at = 2; at + 4 <= size; at += 4) {
        uint8_t op = data[at], a = data[at + 1], b = data[at + 2], c = data[at + 3];
        seL4_Word size_bits = 12 + a % 12; /* 22 is the largest valid; 23 is invalid */
        struct snapshot before;
        snap(cb, &before);
        switch (op % 10) {
        case 0:
        case 1: { /* alloc anywhere */
            cspacepath_t res;
            int err = capbuddy_alloc(cb, size_bits, VKA_NO_PADDR, b & 1, &res);
            if (!err) {
                if (res.window != ((seL4_Word)1 << (size_bits - 12))) {
                    FAIL("window");
                }
                adopt(cb, res.capPtr, size_bits, false, NULL);
            } else if (err != CAPBUDDY_ERR_INVALID || size_bits <= 22) {
                if (err == CAPBUDDY_ERR_INVALID) {
                    FAIL("valid alloc refused as invalid");
                }
            }
            if (err) {
                /* A failed alloc may have made and kept a pool only if it then failed later:
                 * the pools themselves are not observable to the caller, but frames are. */
                struct snapshot now;
                snap(cb, &now);
                if (now.st.frames_used != before.st.frames_used) {
                    FAIL("failed alloc changed the frames in use");
                }
            }
            break;
        }
        case 2: { /* alloc at a physical address */
            uint64_t pa = ram_base + ((uint64_t)((b << 8) | c) << 12) % RAM_BYTES;
            if (a & 0x80) {
                pa = ((uint64_t)b << 24) | ((uint64_t)c << 12); /* arbitrary, often absent */
            }
            pa &= ~((((uint64_t)1) << size_bits) - 1);
            cspacepath_t res;
            int err = capbuddy_alloc(cb, size_bits, pa, a & 0x40, &res);
            if (!err) {
                if (capbuddy_paddr(cb, res.capPtr) != pa) {
                    FAIL("alloc at %llx gave %llx", (unsigned long long)pa,
                         (unsigned long long)capbuddy_paddr(cb, res.capPtr));
                }
                adopt(cb, res.capPtr, size_bits, false, NULL);
            }
            break;
        }
        case 3:
        case 4: { /* free a live allocation */
            if (!nlive) {
                break;
            }
            unsigned k = (unsigned)((b << 8 | c) % nlive);
            check_tags(&live[k]);
            if (live[k].via_vka) {
                vka_free_object(&wvka, &live[k].obj);
            } else if (a & 1) {
                utspace_try_free_from_pool(cb, live[k].cptr, live[k].size_bits - 12);
            } else if (capbuddy_free(cb, live[k].cptr, live[k].size_bits)) {
                FAIL("valid free refused");
            }
            drop_live(k);
            break;
        }
        case 5: { /* a free that must be refused: wrong size, inside, stale, foreign */
            seL4_CPtr cptr = (seL4_CPtr)((b << 8) | c);
            seL4_Word bits = 11 + a % 13;
            if (nlive && (a & 0x80)) {
                const struct live *l = &live[b % nlive];
                cptr = l->cptr + (c & 1);
                bits = l->size_bits + (c & 2 ? 1 : 0) - (c & 4 && l->size_bits > 12 ? 1 : 0);
            }
            bool valid = false;
            for (unsigned k = 0; k < nlive; k++) {
                /* A wrapper allocation's pool cap travels in its cookie, tagged in the top bit
                 * (vka_wrap.c): freeing that cptr directly is a correct free too. */
                seL4_CPtr pool_cptr = live[k].via_vka
                                          ? (seL4_CPtr)(live[k].obj.ut & ~((seL4_Word)1 << (seL4_WordBits - 1)))
                                          : live[k].cptr;
                valid |= pool_cptr == cptr && live[k].size_bits == bits;
            }
            if (valid) {
                break; /* that one is simply a correct free: case 3 covers it */
            }
            if (capbuddy_free(cb, cptr, bits) == CAPBUDDY_OK) {
                FAIL("bad free of %lu/%lu accepted", (unsigned long)cptr, (unsigned long)bits);
            }
            expect_unchanged(cb, &before, "free");
            break;
        }
        case 6: { /* is_from_pool agrees with the reference for live runs */
            if (nlive) {
                const struct live *l = &live[a % nlive];
                if (!l->via_vka && (!capbuddy_is_from_pool(cb, l->cptr, l->size_bits) ||
                                    !cspace_is_from_pool(cb, l->cptr, l->size_bits - 12))) {
                    FAIL("live run not from pool");
                }
            }
            (void)capbuddy_is_from_pool(cb, (seL4_CPtr)((b << 8) | c), size_bits);
            expect_unchanged(cb, &before, "query");
            break;
        }
        case 7: /* flush */
            if (capbuddy_flush(cb)) {
                /* only a kernel fault can fail it; none is armed here */
                FAIL("flush failed");
            }
            break;
        case 8: { /* arm a fault for the next kernel call of a kind, or of the metadata hook */
            static const enum sel4host_inv kinds[] = {SEL4HOST_UNTYPED_RETYPE, SEL4HOST_CNODE_REVOKE,
                                                      SEL4HOST_CNODE_DELETE, SEL4HOST_CNODE_COPY};
            if (a & 1) {
                meta_fail_in = 1 + b % 4;
            } else {
                sel4host_fault_nth(kinds[b % 4], 1 + c % 3, seL4_NotEnoughMemory);
            }
            cspacepath_t res;
            int err = capbuddy_alloc(cb, size_bits, VKA_NO_PADDR, false, &res);
            meta_fail_in = 0;
            sel4host_fault_clear();
            if (!err) {
                adopt(cb, res.capPtr, size_bits, false, NULL);
            } else {
                struct snapshot now;
                snap(cb, &now);
                if (now.st.frames_used != before.st.frames_used) {
                    FAIL("faulted alloc changed the frames in use");
                }
            }
            break;
        }
        default: { /* the vka wrapper: a 4 KiB frame through vka_alloc_frame */
            vka_object_t obj;
            if (!vka_alloc_frame(&wvka, 12, &obj)) {
                adopt(cb, obj.cptr, 12, true, &obj);
            }
            break;
        }
        }
        check_all(cb, parent);
    }

    /* Tear down: frees through their own paths, then everything must be back. */
    while (nlive) {
        if (live[nlive - 1].via_vka) {
            vka_free_object(&wvka, &live[nlive - 1].obj);
        }
        drop_live(nlive - 1);
    }
    capbuddy_destroy(cb);
    if (cb_parent_teardown(parent)) {
        FAIL("parent teardown");
    }
    struct sel4host_account end;
    sel4host_account(&end);
    if (end.caps_live != boot.caps_live || end.objects_live != boot.objects_live ||
        end.untyped_bytes_used != boot.untyped_bytes_used) {
        FAIL("leak: caps %llu->%llu objects %llu->%llu untyped bytes %llu->%llu",
             (unsigned long long)boot.caps_live, (unsigned long long)end.caps_live,
             (unsigned long long)boot.objects_live, (unsigned long long)end.objects_live,
             (unsigned long long)boot.untyped_bytes_used,
             (unsigned long long)end.untyped_bytes_used);
    }
    if (sel4host_check()) {
        FAIL("model check: %s", sel4host_check_message());
    }
    return 0;
}
