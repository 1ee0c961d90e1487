/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs, whole sequences on seL4: upstream allocman bootstrapped from bootinfo is the
 * parent, and the player (seq_play.c) gets the kernel calls by label and the instructions
 * inside invocations from the self-test's sel4_count.h, which the build (SEL4CostsCountCalls)
 * force-includes here and into CapBuddy, allocman, vka and simple with CAPBUDDY_COUNT_TSC:
 * every counted invocation is bracketed with rdtsc (under QEMU -icount: instructions), its
 * delta added to capbuddy_calls_tsc; one empty bracket per call is subtracted here.
 */
#include <stdio.h>
#include <string.h>
#include <sel4/sel4.h>
/* allocman's headers have unused parameters in inline functions; -Wextra is ours alone. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <allocman/allocman.h>
#include <allocman/bootstrap.h>
#include <allocman/vka.h>
#include <simple-default/simple-default.h>
#include <vka/object.h>
#pragma GCC diagnostic pop

#include "costs.h"
#include "seq.h"

#define ALLOCMAN_POOL_BYTES (2u << 20)
static char allocman_pool[ALLOCMAN_POOL_BYTES];

#ifdef CAPBUDDY_COUNT_LABELS
unsigned long capbuddy_calls_by_label[CAPBUDDY_COUNT_LABELS];

static enum seq_kind kind_of_label(unsigned l)
{
    switch (l) {
    case UntypedRetype: return SEQ_RETYPE;
    case CNodeRevoke: return SEQ_REVOKE;
    case CNodeDelete: return SEQ_DELETE;
    case CNodeCopy: return SEQ_COPY;
    case CNodeMint: return SEQ_MINT;
    case CNodeMove: return SEQ_MOVE;
    case CNodeMutate: return SEQ_MUTATE;
    case X86PageMap: return SEQ_PAGE_MAP;
    case X86PageUnmap: return SEQ_PAGE_UNMAP;
    case X86PageGetAddress: return SEQ_PAGE_GETADDR;
    case X86PageTableMap:
    case X86PageDirectoryMap:
#ifdef CONFIG_ARCH_X86_64
    case X86PDPTMap:
#endif
        return SEQ_PAGING_MAP;
    default: return SEQ_OTHER;
    }
}

static bool counts(unsigned long out[SEQ_KINDS])
{
    memset(out, 0, sizeof(unsigned long) * SEQ_KINDS);
    for (unsigned l = 0; l < CAPBUDDY_COUNT_LABELS; l++) {
        out[kind_of_label(l)] += capbuddy_calls_by_label[l];
    }
    return true;
}
#else
static bool counts(unsigned long out[SEQ_KINDS])
{
    memset(out, 0, sizeof(unsigned long) * SEQ_KINDS);
    return false;
}
#endif

#ifdef CAPBUDDY_COUNT_TSC
unsigned long long capbuddy_calls_tsc;

static bool kinstr(uint64_t *out)
{
    unsigned long long calls = 0;
    for (unsigned l = 0; l < CAPBUDDY_COUNT_LABELS; l++) {
        calls += capbuddy_calls_by_label[l];
    }
    *out = capbuddy_calls_tsc - calls * costs_bracket;
    return true;
}
#else
static bool kinstr(uint64_t *out)
{
    *out = 0;
    return false;
}
#endif

static int zero_page(seL4_Word vaddr)
{
    memset((void *)vaddr, 0, 4096);
    return 0;
}

static void line(const char *s)
{
    printf("%s\n", s);
}

int costs_sequences(struct costs_env *env)
{
    static vka_t vka;
    simple_t simple;
    simple_default_init_bootinfo(&simple, (seL4_BootInfo *)env->bi);
    allocman_t *am = bootstrap_use_current_1level(seL4_CapInitThreadCNode, env->cnode_slots,
                                                  env->allocman_first, env->allocman_end,
                                                  sizeof(allocman_pool), allocman_pool);
    if (!am || allocman_add_simple_untypeds(am, &simple) != 0) {
        printf("FAIL allocman bootstrap\n");
        return 1;
    }
    allocman_make_vka(&vka, am);
    struct seq_platform p = {
        .bi = env->bi,
        .parent = &vka,
        .window_first = env->window_first,
        .window_count = env->window_count,
        .scrub_vaddr = env->scrub_vaddr,
        .zero_page = zero_page,
        .counts = counts,
        .kinstr = kinstr,
        .line = line,
    };
    return seq_play_all(&p);
}
