/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for the host seL4 model: the input is decoded into a sequence of invocations
 * with arguments drawn from small pools of interesting values (scratch slots, untypeds, boot
 * caps, depths around the word size, odd sizes) plus raw input words, and after every call the
 * model's own integrity walker must pass. Works with libFuzzer (clang, CAPBUDDY_FUZZ) and with
 * tests/lib/fuzz_main.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <sel4host/host.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t byte(struct in *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static seL4_Word word(struct in *in)
{
    seL4_Word w = 0;
    for (unsigned i = 0; i < sizeof(w); i++) {
        w = (w << 8) | byte(in);
    }
    return w;
}

#define NSCRATCH 24u

static seL4_BootInfo *bi;

static seL4_CPtr cptr(struct in *in)
{
    uint8_t b = byte(in);
    switch (b & 7) {
    case 0:
    case 1:
    case 2:
    case 3:
        return bi->empty.start + (b >> 3) % NSCRATCH;
    case 7:
        if (b & 0x80) {
            return bi->untyped.end - 1 - (b >> 3) % 4; /* the big RAM untypeds */
        }
        return word(in);
    case 4:
        return (b >> 3) % seL4_NumInitialCaps;
    case 5:
        return bi->userImagePaging.start + (b >> 3) % 24;
    default:
        /* an index into a retyped CNode through a two-level-looking cptr */
        return ((bi->empty.start + (b >> 3) % NSCRATCH) << 4) | (byte(in) & 15);
    }
}

static seL4_Word depth(struct in *in)
{
    uint8_t b = byte(in);
    switch (b & 7) {
    case 6:
        return (seL4_Word)((b >> 3) % (seL4_WordBits + 3));
    case 7:
        return 4 + bi->initThreadCNodeSizeBits + (b >> 3) % 8;
    default:
        return seL4_WordBits;
    }
}

#if defined(CONFIG_ARCH_X86)
#define F_SMALL seL4_X86_4K
#define F_PT seL4_X86_PageTableObject
#else
#define F_SMALL seL4_ARM_SmallPageObject
#define F_PT seL4_ARM_PageTableObject
#endif

static seL4_Word obj_type(struct in *in)
{
    static const seL4_Word common[] = {seL4_UntypedObject, F_SMALL, F_SMALL, seL4_CapTableObject,
                                       seL4_EndpointObject, F_PT, seL4_TCBObject, F_SMALL};
    uint8_t b = byte(in);
    if (b < 160) {
        return common[b % 8];
    }
    return b < 250 ? b % (seL4_ObjectTypeCount + 1) : word(in);
}

static seL4_Word obj_size(struct in *in, seL4_Word type)
{
    uint8_t b = byte(in);
    if (b >= 200) {
        return b < 250 ? b % 40 : word(in);
    }
    if (type == seL4_UntypedObject) {
        return 4 + b % 16;
    }
    if (type == seL4_CapTableObject) {
        return 1 + b % 6;
    }
    return 0;
}

static seL4_Word vaddr(struct in *in)
{
    uint8_t b = byte(in);
#if CONFIG_WORD_SIZE == 64
    seL4_Word base = 0x40000000000ul;
#else
    seL4_Word base = 0x80000000ul;
#endif
    switch (b & 3) {
    case 0:
        return base + ((seL4_Word)(b >> 2) << seL4_PageBits);
    case 1:
        return 0x400000 + ((seL4_Word)(b >> 2) << seL4_PageBits);
    case 2:
        return base + ((seL4_Word)(b >> 2) << 21);
    default:
        return word(in);
    }
}

static seL4_CapRights_t rights(struct in *in)
{
    uint8_t b = byte(in);
    return seL4_CapRights_new((b >> 3) & 1, (b >> 2) & 1, (b >> 1) & 1, b & 1);
}

static void fail(const char *what)
{
    fprintf(stderr, "model invariant broken after %s: %s\n", what, sel4host_check_message());
    abort();
}

/* FUZZ_MODEL_STATS totals across inputs (file scope: they outlive each call). */
static uint64_t stat_calls[SEL4HOST_INV_COUNT], stat_ok[SEL4HOST_INV_COUNT], stat_inputs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    struct sel4host_config cfg;
    char buf[64];

    sel4host_config_default(&cfg);
    cfg.ram_bytes = 16ull << 20;
    cfg.root_cnode_bits = 8 + (byte(&in) & 3);
    cfg.fan_out_limit = 1 + (byte(&in) % 64);
    if (sel4host_boot(&cfg) != seL4_NoError) {
        abort();
    }
    bi = sel4runtime_bootinfo();
    for (unsigned steps = 0; in.n > 0 && steps < 256; steps++) {
        uint8_t op = byte(&in);
        const char *what = "?";
        seL4_Error e = seL4_NoError;
        uint64_t before = sel4host_digest();
        switch (op % 18) {
        case 0:
        case 1:
        case 2: {
            what = "Retype";
            uint8_t pick = byte(&in);
            seL4_CPtr svc = (pick & 3) == 0 ? cptr(&in)
                            : (pick & 3) == 1 ? bi->empty.start + (pick >> 2) % NSCRATCH
                                              : bi->untyped.end - 1 - (pick >> 2) % 3;
            seL4_Word t = obj_type(&in), sb = obj_size(&in, t);
            uint8_t m = byte(&in);
            seL4_CPtr root = m & 1 ? cptr(&in) : seL4_CapInitThreadCNode;
            seL4_Word idx = m & 2 ? cptr(&in) : 0, dp = m & 2 ? depth(&in) : 0;
            seL4_Word off = m & 4 ? byte(&in) : bi->empty.start + byte(&in) % NSCRATCH;
            seL4_Word num = m & 8 ? byte(&in) % 70 : 1 + byte(&in) % 4;
            e = seL4_Untyped_Retype(svc, t, sb, root, idx, dp, off, num);
            break;
        }
        case 3:
            what = "Copy";
            e = seL4_CNode_Copy(seL4_CapInitThreadCNode, cptr(&in), (seL4_Uint8)depth(&in),
                            seL4_CapInitThreadCNode, cptr(&in), (seL4_Uint8)depth(&in),
                            rights(&in));
            break;
        case 4:
            what = "Mint";
            e = seL4_CNode_Mint(byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadCNode, cptr(&in),
                            (seL4_Uint8)depth(&in), seL4_CapInitThreadCNode, cptr(&in),
                            (seL4_Uint8)depth(&in), rights(&in),
                            byte(&in) & 1 ? word(&in) : seL4_CNode_CapData_new(0, byte(&in) % 8).words[0]);
            break;
        case 5:
            what = "Move";
            e = seL4_CNode_Move(seL4_CapInitThreadCNode, cptr(&in), (seL4_Uint8)depth(&in),
                            seL4_CapInitThreadCNode, cptr(&in), (seL4_Uint8)depth(&in));
            break;
        case 6:
            what = "Mutate";
            e = seL4_CNode_Mutate(seL4_CapInitThreadCNode, cptr(&in), (seL4_Uint8)depth(&in),
                              byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadCNode, cptr(&in),
                              (seL4_Uint8)depth(&in), word(&in));
            break;
        case 7:
        case 8:
            what = "Delete";
            e = seL4_CNode_Delete(byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadCNode, cptr(&in),
                              (seL4_Uint8)depth(&in));
            break;
        case 9:
            what = "Revoke";
            e = seL4_CNode_Revoke(byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadCNode, cptr(&in),
                              (seL4_Uint8)depth(&in));
            break;
#if defined(CONFIG_ARCH_X86)
        case 10:
            what = "Page_Map";
            e = seL4_X86_Page_Map(cptr(&in), byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadVSpace,
                              vaddr(&in), rights(&in), seL4_X86_Default_VMAttributes);
            break;
        case 11:
            what = "Page_Unmap";
            e = seL4_X86_Page_Unmap(cptr(&in));
            break;
        case 12:
            what = "GetAddress";
            e = (seL4_Error)seL4_X86_Page_GetAddress(cptr(&in)).error;
            break;
        case 13: {
            what = "PageTable_Map";
            seL4_CPtr t = cptr(&in);
            seL4_CPtr vs = byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadVSpace;
            seL4_Word va = vaddr(&in);
            switch (byte(&in) % 4) {
            case 0:
                e = seL4_X86_PageTable_Map(t, vs, va, seL4_X86_Default_VMAttributes);
                break;
#if defined(CONFIG_ARCH_X86_64)
            case 1:
                e = seL4_X86_PageDirectory_Map(t, vs, va, seL4_X86_Default_VMAttributes);
                break;
            case 2:
                e = seL4_X86_PDPT_Map(t, vs, va, seL4_X86_Default_VMAttributes);
                break;
#endif
            default:
                e = seL4_X86_PageTable_Unmap(t);
                break;
            }
            break;
        }
        case 14:
            what = "ASIDPool_Assign";
            e = seL4_X86_ASIDPool_Assign(cptr(&in), cptr(&in));
            break;
#else
        case 10:
            what = "Page_Map";
            e = seL4_ARM_Page_Map(cptr(&in), byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadVSpace,
                              vaddr(&in), rights(&in), seL4_ARM_Default_VMAttributes);
            break;
        case 11:
            what = "Page_Unmap";
            e = seL4_ARM_Page_Unmap(cptr(&in));
            break;
        case 12:
            what = "GetAddress";
            e = (seL4_Error)seL4_ARM_Page_GetAddress(cptr(&in)).error;
            break;
        case 13:
            what = "PageTable_Map";
            if (byte(&in) & 1) {
                e = seL4_ARM_PageTable_Map(cptr(&in), byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadVSpace,
                                       vaddr(&in), seL4_ARM_Default_VMAttributes);
            } else {
                e = seL4_ARM_PageTable_Unmap(cptr(&in));
            }
            break;
        case 14:
            what = "ASIDPool_Assign";
            e = seL4_ARM_ASIDPool_Assign(cptr(&in), cptr(&in));
            break;
#endif
        case 15: {
            what = "frame access";
            size_t len = byte(&in) % sizeof(buf);
            seL4_Word off = byte(&in) & 1 ? word(&in) : (seL4_Word)byte(&in) * 16;
            memset(buf, byte(&in), sizeof(buf));
            if (byte(&in) & 1) {
                e = sel4host_frame_write(cptr(&in), off, buf, len);
            } else {
                e = sel4host_frame_read(cptr(&in), off, buf, len);
            }
            break;
        }
        case 16: {
            what = "vspace access";
            size_t len = byte(&in) % sizeof(buf);
            seL4_CPtr vs = byte(&in) & 1 ? cptr(&in) : seL4_CapInitThreadVSpace;
            seL4_Word va = vaddr(&in) + byte(&in);
            if (byte(&in) & 1) {
                e = sel4host_vspace_write(vs, va, buf, len);
            } else {
                e = sel4host_vspace_read(vs, va, buf, len);
            }
            break;
        }
        default:
            what = "SetSpace";
            if (byte(&in) < 16) {
                e = seL4_TCB_SetSpace(cptr(&in), 0, cptr(&in), byte(&in) & 1 ? word(&in) : 0,
                                  cptr(&in), 0);
            }
            break;
        }
        if (sel4host_check() != 0) {
            fail(what);
        }
        if (e != seL4_NoError && sel4host_digest() != before) {
            fprintf(stderr, "refused %s (error %d) changed the capability state\n", what, e);
            abort();
        }
    }
    /* revoking every boot untyped must leave exactly the caps that do not come from them */
    for (seL4_CPtr u = bi->untyped.start; u < bi->untyped.end; u++) {
        seL4_CNode_Revoke(seL4_CapInitThreadCNode, u, seL4_WordBits);
    }
    if (sel4host_check() != 0) {
        fail("final revoke");
    }
    /* FUZZ_MODEL_STATS=1: print how many calls of each kind succeeded so far, to check that
     * the decoder reaches deep states and not just argument errors */
    static int stats = -1;
    if (stats < 0) {
        stats = getenv("FUZZ_MODEL_STATS") != NULL;
    }
    if (stats) {
        for (int k = 0; k < SEL4HOST_INV_COUNT; k++) {
            stat_calls[k] += sel4host_count((enum sel4host_inv)k);
            stat_ok[k] += sel4host_count((enum sel4host_inv)k) -
                     sel4host_count_errors((enum sel4host_inv)k);
        }
        if (++stat_inputs % 1000 == 0) {
            for (int k = 0; k < SEL4HOST_INV_COUNT; k++) {
                fprintf(stderr, "%-16s %10llu calls %10llu ok\n",
                        sel4host_inv_name((enum sel4host_inv)k), (unsigned long long)stat_calls[k],
                        (unsigned long long)stat_ok[k]);
            }
        }
    }
    sel4host_shutdown();
    return 0;
}
